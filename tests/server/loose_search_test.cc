// Names across Albanian and Serbian spellings, through a real registryd: a court's name search
// returns the exact matches first, then the records that match only in the loose form as
// "possible matches"; vetting never uses the loose form, so a loosely matching name never
// widens an employer's answer. A person's aliases are searched as their surname.
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "common/time_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Found {
  std::vector<std::string> exact;
  std::vector<std::string> possible;
};

// A name and birth date searched for.
struct Name {
  std::string surname, given, birth;
};

// A name and birth date searched for, and the id of the record it should find.
struct Query {
  std::string surname, given, birth, id;
};

class LooseSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    v1::CreateRecordRequest r = ExampleRecord();
    r.mutable_person()->set_surname("Petroviq");  // an Albanian spelling of Petrović
    r.mutable_person()->set_given_name("Gjorgje");
    grpc::ClientContext ctx;
    v1::CreateRecordResponse created;
    ASSERT_TRUE(v1::RecordService::NewStub(server_->Channel("clerk"))
                    ->CreateRecord(&ctx, r, &created)
                    .ok());
    id_ = created.record_id();
    person_ = r.person();
  }

  Found Search(const std::string& surname, const std::string& given,
               const std::string& birth = "1980-04-12") {
    v1::SearchRecordsRequest req;
    req.mutable_name()->set_surname(surname);
    req.mutable_name()->set_given_name(given);
    req.mutable_name()->set_birth_date(birth);
    v1::SearchRecordsResponse resp;
    const grpc::Status s = SearchRecordsAs(*server_, "court", req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    Found f;
    for (const auto& r : resp.records()) f.exact.push_back(r.metadata().record_id());
    for (const auto& r : resp.possible_matches()) f.possible.push_back(r.metadata().record_id());
    return f;
  }

  // Expects the search by the name born `birth` to find record `id` as its one possible match
  // and no exact one, and the same name born `other_birth` to find nothing.
  void ExpectOnlyAPossibleMatch(const std::string& surname, const std::string& given,
                                const std::string& birth, const std::string& id,
                                const std::string& other_birth = "1970-01-01") {
    const Found f = Search(surname, given, birth);
    EXPECT_THAT(f.exact, IsEmpty());
    EXPECT_THAT(f.possible, ElementsAre(id));
    ExpectNothingFound(surname, given, other_birth);
  }

  // Expects the search by the name born `birth` to find no record, exact or possible.
  void ExpectNothingFound(const std::string& surname, const std::string& given,
                          const std::string& birth) {
    const Found f = Search(surname, given, birth);
    EXPECT_THAT(f.exact, IsEmpty());
    EXPECT_THAT(f.possible, IsEmpty());
  }

  // ExpectOnlyAPossibleMatch of each query, born on 1 January 1970 for the other birth date.
  void ExpectEachOnlyAPossibleMatch(const std::vector<Query>& queries) {
    for (const Query& q : queries) {
      SCOPED_TRACE(q.surname + ", " + q.given);
      ExpectOnlyAPossibleMatch(q.surname, q.given, q.birth, q.id);
    }
  }

  // ExpectNothingFound of each name.
  void ExpectNoneFound(const std::vector<Name>& names) {
    for (const Name& n : names) {
      SCOPED_TRACE(n.surname + ", " + n.given);
      ExpectNothingFound(n.surname, n.given, n.birth);
    }
  }

  // Creates a record of the example person under `pn`, named `surname`, `given`, born `birth`,
  // with `alias` as its one alias when given and none otherwise: the new record's id.
  std::string CreatePerson(const std::string& pn, const std::string& surname,
                           const std::string& given, const std::string& birth,
                           const std::string& alias = "") {
    v1::CreateRecordRequest r = ExampleRecord();
    r.mutable_person()->set_personal_number(pn);
    r.mutable_person()->set_surname(surname);
    r.mutable_person()->set_given_name(given);
    r.mutable_person()->set_birth_date(birth);
    r.mutable_person()->clear_aliases();
    if (!alias.empty()) r.mutable_person()->add_aliases(alias);
    const std::string id = CreatedRecordId(*server_, "clerk", r);
    EXPECT_FALSE(id.empty()) << surname;
    return id;
  }

  // The audit event of the last call.
  v1::AuditEvent LastEvent() {
    storage::AuditLog* log = server_->server()->audit_log();
    v1::AuditEvent event;
    EXPECT_TRUE(event.ParseFromString(*log->ReadEvent(log->CurrentHead().size - 1)));
    return event;
  }

  // Expects the event of a search by name to name the record `id` alone, and to hold the
  // tokens looked up (each a distinct hex digest) but none of `words` of the name.
  static void ExpectAnEventOfTokensOnly(const v1::AuditEvent& event, const std::string& id,
                                        const std::vector<std::string>& words) {
    EXPECT_THAT(event.record_ids(), ElementsAre(id));
    const std::set<std::string> distinct(event.tokens().begin(), event.tokens().end());
    EXPECT_EQ(distinct.size(), static_cast<size_t>(event.tokens_size()));
    for (const std::string& t : event.tokens()) {
      EXPECT_FALSE(t.empty());
      EXPECT_EQ(t.find_first_not_of("0123456789abcdef"), std::string::npos) << t;
    }
    const std::string bytes = event.SerializeAsString();
    for (const std::string& word : words) {
      EXPECT_EQ(bytes.find(word), std::string::npos) << word;
    }
  }

  // VettingCheck of the example person under `pn`, named `surname`, `given`, and born `birth`
  // when given (the example person's birth date otherwise).
  v1::VettingResult Vet(const std::string& pn, const std::string& surname,
                        const std::string& given, const std::string& birth = "") {
    v1::Person p = person_;
    p.set_personal_number(pn);
    p.set_surname(surname);
    p.set_given_name(given);
    if (!birth.empty()) p.set_birth_date(birth);
    grpc::ClientContext ctx;
    v1::VettingCheckResponse resp;
    const grpc::Status s = v1::VettingService::NewStub(server_->Channel("vetting"))
                               ->VettingCheck(&ctx, CandidateOf(p), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.result();
  }

  std::unique_ptr<TestServer> server_;
  std::string id_;
  v1::Person person_;
};

TEST_F(LooseSearchTest, ExactMatchesComeFirstAndOtherSpellingsArePossibleMatches) {
  const Found exact = Search("PETROVIQ", "gjorgje");
  EXPECT_THAT(exact.exact, ElementsAre(id_));
  EXPECT_THAT(exact.possible, IsEmpty());  // never listed twice

  for (const auto& [surname, given] :
       std::vector<std::pair<std::string, std::string>>{{"Petrović", "Đorđe"},
                                                        {"Петровић", "Ђорђе"},
                                                        {"Petrovic", "Dorde"},
                                                        {"Petrovic", "Djordje"}}) {
    SCOPED_TRACE(surname + " " + given);
    const Found f = Search(surname, given);
    EXPECT_THAT(f.exact, IsEmpty());
    EXPECT_THAT(f.possible, ElementsAre(id_));
  }
  // The birth date still has to agree; another name is no match at all.
  EXPECT_THAT(Search("Petrović", "Đorđe", "1980-04-13").possible, IsEmpty());
  EXPECT_THAT(Search("Petrovski", "Đorđe").possible, IsEmpty());

  // What the court saw, possible matches included, is on the record.
  Search("Petrović", "Đorđe");
  const v1::AuditEvent event = LastEvent();
  EXPECT_THAT(event.record_ids(), ElementsAre(id_));
  // The exact and the loose token first, then those of the name's other ways of being written.
  EXPECT_GT(event.tokens_size(), 2);
}

// The same registered person, asked about under other spellings: vetting compares exact tokens
// only, so a loosely matching name is an identity mismatch (REFER), never NOT_CLEAR; under
// another personal number the exact name refers (it may be the person under a mistyped number),
// and a loosely matching name finds nothing (CLEAR).
TEST_F(LooseSearchTest, VettingNeverUsesTheLooseForm) {
  const std::string pn = person_.personal_number();
  EXPECT_EQ(Vet(pn, "Petroviq", "Gjorgje"), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(Vet(pn, "Petrović", "Đorđe"), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(pn, "Petrovic", "Dorde"), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet(pn, "Petrovski", "Gjorgje"), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet("5555555555", "Petroviq", "Gjorgje"), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet("5555555555", "Petrović", "Đorđe"), v1::VETTING_RESULT_CLEAR);
}

// A spent conviction and a later one of the same personal number and birth date naming the
// person in another spelling only (Gashi Zana, then Gashi Xhana: the same loose form): the later
// one keeps the earlier from deletion, but never makes it visible to employers again. Vetting
// under the earlier spelling meets an identity mismatch (REFER), never NOT_CLEAR from a loose
// match; under the later spelling it meets the later conviction (NOT_CLEAR). Under the same
// spelling (Serbian Latin = Cyrillic, an exact equivalence), the later one extends both.
TEST_F(LooseSearchTest, AConvictionUnderAnotherSpellingNeverMakesASpentOneVisibleAgain) {
  const auto create = [&](const std::string& surname, const std::string& given,
                          const std::string& pn, const std::string& case_number, bool spent) {
    v1::CreateRecordRequest r = ExampleRecord();
    r.mutable_person()->set_surname(surname);
    r.mutable_person()->set_given_name(given);
    r.mutable_person()->set_personal_number(pn);
    r.mutable_conviction()->set_case_number(case_number);
    // A fine final in 2014: visible until 2024-06-01, kept until 2029-06-01; the later
    // convictions below (final 2024-05-15) are within its period.
    if (spent) MakeFine(r.mutable_conviction(), "2014-05-20", "2014-06-01");
    grpc::ClientContext ctx;
    v1::CreateRecordResponse created;
    const grpc::Status s =
        v1::RecordService::NewStub(server_->Channel("clerk"))->CreateRecord(&ctx, r, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.record_id();
  };
  const auto dates = [&](const std::string& id) {
    v1::GetRecordRequest req;
    req.set_record_id(id);
    req.mutable_purpose()->set_case_reference("PKR 1/2026");
    req.mutable_purpose()->set_purpose_code("criminal_proceedings");
    v1::GetRecordResponse resp;
    grpc::ClientContext ctx;
    const grpc::Status s =
        v1::RecordService::NewStub(server_->Channel("court"))->GetRecord(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return std::make_pair(resp.record().metadata().employer_visible_until(),
                          resp.record().metadata().delete_after());
  };

  const std::string spent = create("Gashi", "Zana", "3000000002", "P 1/2014", true);
  ASSERT_EQ(Vet("3000000002", "Gashi", "Zana"), v1::VETTING_RESULT_CLEAR);
  const auto before = dates(spent);
  EXPECT_EQ(before.first, "2024-06-01");
  const std::string later = create("Gashi", "Xhana", "3000000002", "P 9/2024", false);
  const auto after = dates(spent);
  EXPECT_EQ(after.first, "2024-06-01");                  // not visible again
  EXPECT_EQ(after.second, dates(later).second);          // kept as long as the later one
  EXPECT_GT(after.second, before.second);
  EXPECT_EQ(Vet("3000000002", "Gashi", "Zana"), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(Vet("3000000002", "Gashi", "Xhana"), v1::VETTING_RESULT_NOT_CLEAR);

  // The same spelling in the other script: the same person as vetting compares names.
  const std::string spent_sr = create("Petrovi\xc4\x87", "Marko", "3000000003", "P 2/2014", true);
  create("\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x9b",
         "\xd0\x9c\xd0\xb0\xd1\x80\xd0\xba\xd0\xbe", "3000000003", "P 10/2024", false);
  EXPECT_GT(dates(spent_sr).first, "2024-06-01");
  EXPECT_EQ(Vet("3000000003", "Petrovi\xc4\x87", "Marko"), v1::VETTING_RESULT_NOT_CLEAR);
}

// A search by name is checked like a vetting candidate: a birth date that is not before today is
// refused (it found nothing, quietly), and every bad field is named at once.
TEST_F(LooseSearchTest, ASearchByNameRefusesABirthDateNotBeforeTodayAndNamesEveryBadField) {
  const absl::CivilDay today = KosovoDay(absl::Now());
  for (const absl::CivilDay day : {today, today + 2, absl::CivilDay(2999, 1, 1)}) {
    v1::SearchRecordsRequest req;
    req.mutable_name()->set_surname("Petroviq");
    req.mutable_name()->set_given_name("Gjorgje");
    req.mutable_name()->set_birth_date(absl::FormatCivilTime(day));
    const grpc::Status s = SearchRecordsAs(*server_, "court", req, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << req.name().birth_date();
    EXPECT_EQ(s.error_message(), "name.birth_date: must be before today");
  }
  v1::SearchRecordsRequest both;
  both.mutable_name()->set_surname("Petroviq7");
  both.mutable_name()->set_given_name("Gjorgje");
  both.mutable_name()->set_birth_date(absl::FormatCivilTime(today + 2));
  const grpc::Status s = SearchRecordsAs(*server_, "court", both, nullptr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("name.surname: "));
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("name.birth_date: must be before today"));
}

// A person's aliases (each another surname) find the record as the surname does: exactly, and
// across spellings as a possible match, with the same given name and birth date. An amendment
// that drops an alias drops it from the search, and an erasure every alias. Vetting compares the
// registered name only: an alias given to an employer is an identity mismatch (REFER), as before.
TEST_F(LooseSearchTest, AliasesAreSearchedAsTheSurnameAndFollowAmendmentsAndErasure) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_surname("Krasniqi");
  r.mutable_person()->set_given_name("Arben");
  r.mutable_person()->set_personal_number("1234500001");
  r.mutable_conviction()->set_case_number("PKR 41/2021");
  r.mutable_person()->add_aliases("Berisha");
  r.mutable_person()->add_aliases("Gashi-Hoxha");
  const std::string id = CreatedRecordId(*server_, "clerk", r);
  ASSERT_FALSE(id.empty());

  EXPECT_THAT(Search("Krasniqi", "Arben").exact, ElementsAre(id));
  EXPECT_THAT(Search("berisha", "ARBEN").exact, ElementsAre(id));
  EXPECT_THAT(Search("Gashi-Hoxha", "Arben").exact, ElementsAre(id));
  const Found cyrillic = Search("Бериша", "Арбен");
  EXPECT_THAT(cyrillic.exact, IsEmpty());
  EXPECT_THAT(cyrillic.possible, ElementsAre(id));
  // The given name and the birth date still have to agree.
  EXPECT_THAT(Search("Berisha", "Arton").exact, IsEmpty());
  EXPECT_THAT(Search("Berisha", "Arben", "1980-04-13").exact, IsEmpty());
  EXPECT_THAT(Search("Berisha", "Arben", "1980-04-13").possible, IsEmpty());
  // An alias of one person is not another person's surname.
  EXPECT_THAT(Search("Berisha", "Gjorgje").exact, IsEmpty());

  // Vetting: the registered name, never an alias.
  v1::Person as_alias = r.person();
  as_alias.set_surname("Berisha");
  EXPECT_EQ(VetAs(*server_, "vetting", as_alias), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(VetAs(*server_, "vetting", r.person()), v1::VETTING_RESULT_NOT_CLEAR);

  // An amendment that keeps one alias and adds another.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline());
    v1::AmendRecordRequest amend;
    amend.set_record_id(id);
    amend.mutable_person()->add_aliases("Gashi-Hoxha");
    amend.mutable_person()->add_aliases("Morina");
    amend.mutable_update_mask()->add_paths("person.aliases");
    amend.set_reason("aliases corrected by court notice");
    v1::AmendRecordResponse resp;
    const grpc::Status s =
        v1::RecordService::NewStub(server_->Channel("clerk"))->AmendRecord(&ctx, amend, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_THAT(Search("Berisha", "Arben").exact, IsEmpty());
  EXPECT_THAT(Search("Бериша", "Арбен").possible, IsEmpty());
  EXPECT_THAT(Search("Gashi-Hoxha", "Arben").exact, ElementsAre(id));
  EXPECT_THAT(Search("Morina", "Arben").exact, ElementsAre(id));

  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", id).ok());
  for (const char* surname : {"Krasniqi", "Gashi-Hoxha", "Morina"}) {
    const Found f = Search(surname, "Arben");
    EXPECT_THAT(f.exact, IsEmpty()) << surname;
    EXPECT_THAT(f.possible, IsEmpty()) << surname;
  }
}

// An alias that has no Latin spelling is refused naming the alias, as a surname would be.
TEST_F(LooseSearchTest, AnAliasThatCannotBeIndexedIsRefusedNamingIt) {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_personal_number("1234500002");
  r.mutable_person()->add_aliases("Berisha");
  r.mutable_person()->add_aliases("\uA64Aa");  // a Cyrillic letter with no Latin spelling
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::CreateRecordResponse created;
  const grpc::Status s =
      v1::RecordService::NewStub(server_->Channel("clerk"))->CreateRecord(&ctx, r, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("person.aliases[1]"));
}

// A court's name search finds every record vetting finds the name in: by another way of
// writing it (one of two surnames, the words in the other field, the surname with an alias, as
// judgments name a married woman) as a possible match, never an exact one. An unrelated person
// who shares one word, or the same words with another birth date, is not found.
TEST_F(LooseSearchTest, ANameSearchFindsTheNamesOtherWaysOfBeingWrittenAsPossibleMatches) {
  const std::string markovic =
      CreatePerson("1234500011", "\u0402\u0443\u043a\u0438\u045b-\u041c\u0430\u0440\u043a"
                           "\u043e\u0432\u0438\u045b",  // Ђукић-Марковић
             "\u0408\u0435\u043b\u0435\u043d\u0430", "1988-02-29");  // Јелена
  const std::string ceku =
      CreatePerson("1234500012", "Gashi-\u00c7eku", "Lir\u00eb", "1991-05-05");
  const std::string berisha =
      CreatePerson("1234500013", "Hoxha Berisha", "Ali Arben", "1983-08-08");
  const std::string kelmendi =
      CreatePerson("1234500014", "Kelmendi", "Drita", "1979-09-09", "Gashi");
  const std::string krasniqi = CreatePerson("1234500015", "Krasniqi", "Arb\u00ebr", "1986-01-01");

  // Each found as a possible match alone; another birth date is someone else.
  ExpectEachOnlyAPossibleMatch({
      {"Markovi\u0107", "Jelena", "1988-02-29", markovic},
      {"\u0402\u0443\u043a\u0438\u045b", "\u0408\u0435\u043b\u0435\u043d\u0430",
       "1988-02-29", markovic},
      {"Gashi", "Lir\u00eb", "1991-05-05", ceku},
      {"\u00c7eku", "Lir\u00eb", "1991-05-05", ceku},
      {"Berisha", "Ali Arben", "1983-08-08", berisha},
      {"Kelmendi-Gashi", "Drita", "1979-09-09", kelmendi},
      {"Kelmendi Gashi", "Drita", "1979-09-09", kelmendi},
      {"Drita", "Gashi", "1979-09-09", kelmendi},
      {"Arb\u00ebr", "Krasniqi", "1986-01-01", krasniqi}});
  // One word in common is someone else.
  ExpectNoneFound({
      {"Markovi\u0107", "Ana", "1988-02-29"}, {"Gashi", "Arta", "1991-05-05"},
      {"Gashi", "Arta", "1979-09-09"}, {"Berisha", "Besnik", "1983-08-08"},
      {"Krasniqi", "Besnik", "1986-01-01"}});
  // The exact name is an exact match, and only that.
  const Found exact = Search("Kelmendi", "Drita", "1979-09-09");
  EXPECT_THAT(exact.exact, ElementsAre(kelmendi));
  EXPECT_THAT(exact.possible, IsEmpty());

  // The event names the record shown and the tokens looked up, never the name.
  Search("Markovi\u0107", "Jelena", "1988-02-29");
  const v1::AuditEvent event = LastEvent();
  EXPECT_GT(event.tokens_size(), 2);
  ExpectAnEventOfTokensOnly(event, markovic,
                            {"markovi", "Markovi", "jelena", "Jelena", "1988-02-29"});
}

// A court's name search finds, as a possible match, what vetting finds by two words: a field of
// two words written as one, either way round, and the surname with a word of an alias, each with
// the record's birth date; one shared word, or another birth date, finds nothing.
TEST_F(LooseSearchTest, ANameSearchFindsAFieldWrittenAsOneWordAndTheSurnameWithAnAlias) {
  const std::string hoti = CreatePerson("1234500021", "Hoti Morina", "Ali Arben", "1980-01-01");
  const std::string gashi =
      CreatePerson("1234500022", "Gashi", "Arta", "1980-01-01", "Berisha Hoxha");
  for (const auto& [surname, given, id] : std::vector<std::tuple<std::string, std::string,
                                                                 std::string>>{
           {"Hotimorina", "Besnik", hoti}, {"Morinahoti", "Besnik", hoti},
           {"Arbenali", "Xhafa", hoti}, {"Gashi Hoxha", "Drita", gashi},
           {"GashiBerishaHoxha", "Drita", gashi}}) {
    SCOPED_TRACE(surname + ", " + given);
    ExpectOnlyAPossibleMatch(surname, given, "1980-01-01", id, "1980-01-02");
  }
  const Found one = Search("Hoxha", "Besnik", "1980-01-01");
  EXPECT_THAT(one.possible, IsEmpty());
}

// The Albanian or Serbian spelling combines with the other ways of writing a name: one of two
// surnames, the fields swapped, any two words, a field joined, each in another spelling, finds
// the record as a possible match (a judgment in Albanian writes "Petroviq, Gjorgje" for
// "Јовановић-Петровић, Ђорђе"); one word in common, or another birth date, finds nothing, and
// vetting still compares exact forms only.
TEST_F(LooseSearchTest, TheOtherSpellingOfANameCombinesWithItsOtherWaysOfBeingWritten) {
  const std::string jovanovic = CreatePerson(
      "1234500031",
      "\u0408\u043e\u0432\u0430\u043d\u043e\u0432\u0438\u045b-"
      "\u041f\u0435\u0442\u0440\u043e\u0432\u0438\u045b",  // Јовановић-Петровић
      "\u0402\u043e\u0440\u0452\u0435", "1980-02-29");  // Ђорђе
  const std::string krasniqi = CreatePerson("1234500032", "Krasniqi", "Arb\u00ebr", "1986-01-01");

  ExpectEachOnlyAPossibleMatch({
      // Found before: one of two surnames, or another spelling, alone.
      {"Petrovic", "Dorde", "1980-02-29", jovanovic},
      {"Jovanovi\u0107", "\u0110or\u0111e", "1980-02-29", jovanovic},
      {"Jovanoviq-Petroviq", "Gjorgje", "1980-02-29", jovanovic},
      {"Arb\u00ebr", "Krasniqi", "1986-01-01", krasniqi},
      // Both together.
      {"Petroviq", "\u0110or\u0111e", "1980-02-29", jovanovic},
      {"Petroviq", "Dorde", "1980-02-29", jovanovic},
      {"Petrovic", "Gjorgje", "1980-02-29", jovanovic},
      {"Jovanoviq", "Dorde", "1980-02-29", jovanovic},
      {"Gjorgje", "Petroviq", "1980-02-29", jovanovic},
      {"Gjorgje", "JovanoviqPetroviq", "1980-02-29", jovanovic},
      {"Petroviq Gjorgje", "Xhafa", "1980-02-29", jovanovic},
      {"Arber", "Krasnici", "1986-01-01", krasniqi},
      {"Krasnici Arber", "Besnik", "1986-01-01", krasniqi}});
  // One word in common, however spelt, is someone else.
  ExpectNoneFound({
      {"Petroviq", "Ana", "1980-02-29"}, {"Jovanoviq", "Marko", "1980-02-29"},
      {"Gjorgjevski", "Gjorgje", "1980-02-29"}, {"Krasnici", "Besnik", "1986-01-01"},
      {"Arber", "Gashi", "1986-01-01"}});

  // The event names the record shown and the tokens looked up, never the name.
  Search("Petroviq", "Dorde", "1980-02-29");
  ExpectAnEventOfTokensOnly(LastEvent(), jovanovic,
                            {"petrovi", "Petrovi", "dorde", "Dorde", "1980-02-29"});

  // Vetting is unchanged: under another number the other spelling of one surname finds nothing.
  EXPECT_EQ(Vet("5555555555", "Petroviq", "Gjorgje", "1980-02-29"), v1::VETTING_RESULT_CLEAR);
}

}  // namespace
}  // namespace registry::testing
