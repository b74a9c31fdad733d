// RecordService through a real registryd (mTLS, RocksDB in a temporary directory), and the
// properties of the encrypted record store as seen from outside:
//  - records round-trip, are searchable by personal number and by name variants, and keep their
//    history when amended;
//  - no personal value (of a record, an amendment, a search or a vetting check) reaches any file
//    of the data or backup directory in plaintext;
//  - a changed, moved or replayed ciphertext or wrapped data key gives DATA_LOSS, never data.
// The fixture (record_service_fixture.h) is shared with key_file_test.cc (a wrong, exposed or
// malformed key file) and key_rotator_test.cc (key rotation and retiring a KEK).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/time_format.h"
#include "crypto/keyring.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/key_file.h"
#include "server/record_validation.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"
#include "storage/stored.pb.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/data_files.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"
#include "tests/server/record_service_fixture.h"
#include "unicode/locid.h"
#include "unicode/unistr.h"

namespace registry::testing {
namespace {

using google::protobuf::util::MessageDifferencer;




std::string VersionKey(absl::string_view record_id, uint32_t version) {
  return absl::StrCat(record_id, storage::EncodeU32(version));
}

// Unicode case mappings (ICU), so that "Kërqeli" also gives "KËRQELI".
std::string Lower(absl::string_view utf8) {
  std::string out;
  icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())))
      .toLower(icu::Locale::getRoot())
      .toUTF8String(out);
  return out;
}
std::string Upper(absl::string_view utf8) {
  std::string out;
  icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())))
      .toUpper(icu::Locale::getRoot())
      .toUTF8String(out);
  return out;
}

bool AnyEndsWith(const std::vector<std::string>& paths, absl::string_view suffix) {
  for (const auto& p : paths) {
    if (absl::EndsWith(p, suffix)) return true;
  }
  return false;
}



// Ten aliases of three words: names that file more name tokens than a record may
// (storage::RecordStore::kMaxNameTokensOfARecord).
void SetTooManyNameWords(v1::Person* person) {
  person->clear_aliases();
  for (int i = 0; i < 10; ++i) {
    const std::string letter(1, static_cast<char>('a' + i));
    person->add_aliases(absl::StrCat("K", letter, "ar K", letter, "br K", letter, "cr"));
  }
}

class RecordServiceTest : public testing::RecordServiceFixture {
 protected:
  // ExampleRecord as a fine of the person with `personal_number`, judged and final on the dates
  // given: the retention tests set when a conviction's own retention ends by these dates alone.
  static v1::CreateRecordRequest FineOf(const std::string& personal_number,
                                        absl::string_view judgment_date,
                                        absl::string_view final_date) {
    v1::CreateRecordRequest fine = testing::ExampleRecord();
    fine.mutable_person()->set_personal_number(personal_number);
    testing::MakeFine(fine.mutable_conviction(), judgment_date, final_date);
    return fine;
  }

  // Another conviction of `later`'s person: `later` under `case_number`, judged and final on the
  // dates given.
  static v1::CreateRecordRequest EarlierFine(const v1::CreateRecordRequest& later,
                                             const std::string& case_number,
                                             absl::string_view judgment_date,
                                             absl::string_view final_date) {
    v1::CreateRecordRequest earlier = later;
    earlier.mutable_conviction()->set_case_number(case_number);
    testing::MakeFine(earlier.mutable_conviction(), judgment_date, final_date);
    return earlier;
  }

  // An expunge of `record_id` on the legal basis every expunge here cites.
  static v1::ExpungeRecordRequest ExpungeOf(const std::string& record_id) {
    v1::ExpungeRecordRequest expunge;
    expunge.set_record_id(record_id);
    expunge.set_legal_basis("CC 04/L-082 art. 103");
    return expunge;
  }

  // ExpungeRecord as the clerk.
  grpc::Status Expunge(const v1::ExpungeRecordRequest& req, v1::ExpungeRecordResponse* resp) {
    grpc::ClientContext ctx;
    return clerk_->ExpungeRecord(&ctx, req, resp);
  }

  // The last event of the audit log, read from storage; use under ASSERT_NO_FATAL_FAILURE.
  void ReadLastEvent(v1::AuditEvent* event) {
    storage::AuditLog* log = server_->server()->audit_log();
    ASSERT_TRUE(event->ParseFromString(*log->ReadEvent(log->CurrentHead().size - 1)));
  }
};

// ---------------------------------------------------------------------------------------------
// Functional behaviour.

TEST_F(RecordServiceTest, CreateThenGetReturnsTheSameRecordAndMetadata) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::CreateRecordResponse created;
  grpc::Status s = clerk_->CreateRecord(&ctx, example, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(created.record_id().size(), 32u);
  EXPECT_EQ(created.version(), 1u);

  v1::Record record;
  s = Get(created.record_id(), &record);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(record.person(), example.person()))
      << record.person().DebugString();
  EXPECT_TRUE(testing::SameConviction(record.conviction(), example.conviction()))
      << record.conviction().DebugString();
  const v1::RecordMetadata& m = record.metadata();
  EXPECT_EQ(m.record_id(), created.record_id());
  EXPECT_EQ(m.version(), 1u);
  EXPECT_EQ(m.status(), v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ(m.created_by(), kClerkId);
  EXPECT_FALSE(m.created_at().empty());
  // Both dates are set, as YYYY-MM-DD; the ban runs to 2034-05-15, so the record counts for
  // vetting at least that long, and is deleted no earlier.
  ASSERT_EQ(m.employer_visible_until().size(), 10u);
  ASSERT_EQ(m.delete_after().size(), 10u);
  EXPECT_GE(m.employer_visible_until(), "2034-05-15");
  EXPECT_GE(m.delete_after(), m.employer_visible_until());

  // The clerk reads it too, without a purpose.
  grpc::ClientContext clerk_ctx;
  SetDeadline(&clerk_ctx);
  v1::GetRecordRequest req;
  req.set_record_id(created.record_id());
  v1::GetRecordResponse clerk_view;
  s = clerk_->GetRecord(&clerk_ctx, req, &clerk_view);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(clerk_view.record(), record));

  // Unknown ids are NOT_FOUND.
  EXPECT_EQ(Get(std::string(32, 'a'), nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RecordServiceTest, SearchFindsByPersonalNumberAndNameVariants) {
  v1::CreateRecordRequest albanian = testing::ExampleRecord();  // Kërqeli Arben 1980-04-12
  const std::string a = CreateOrFail(albanian);
  v1::CreateRecordRequest serbian = testing::ExampleRecord();
  serbian.mutable_person()->set_surname("Petrović");
  serbian.mutable_person()->set_given_name("Dragan");
  serbian.mutable_person()->set_birth_date("1970-10-30");
  serbian.mutable_person()->set_personal_number("2222222222");
  const std::string s = CreateOrFail(serbian);
  // A second conviction of the same Kërqeli.
  v1::CreateRecordRequest second = albanian;
  second.mutable_conviction()->set_case_number("P 999/2024");
  const std::string a2 = CreateOrFail(second);

  const std::vector<std::string> by_pn = ByPersonalNumber("1234567890");
  EXPECT_EQ(std::set<std::string>(by_pn.begin(), by_pn.end()), (std::set<std::string>{a, a2}));
  EXPECT_EQ(ByPersonalNumber("2222222222"), std::vector<std::string>{s});
  EXPECT_TRUE(ByPersonalNumber("1234567899").empty());

  for (const char* surname : {"Kërqeli", "Kerqeli", "KËRQELI"}) {
    const std::vector<std::string> ids = ByName(surname, "Arben", "1980-04-12");
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), (std::set<std::string>{a, a2}))
        << surname;
  }
  EXPECT_EQ(ByName("Petrović", "Dragan", "1970-10-30"), std::vector<std::string>{s});
  EXPECT_EQ(ByName("Петровић", "Драган", "1970-10-30"), std::vector<std::string>{s});
  EXPECT_EQ(ByName("Petrovic", "DRAGAN", "1970-10-30"), std::vector<std::string>{s});

  // Near misses find nothing.
  EXPECT_TRUE(ByName("Kerqeli", "Arben", "1980-04-13").empty());
  EXPECT_TRUE(ByName("Kerqel", "Arben", "1980-04-12").empty());
  EXPECT_TRUE(ByName("Petrović", "Dragan", "1970-10-31").empty());
}

// A search gives at most 100 records and says when more match, so that a court does not take
// the first hundred for all of them; only the records it gives are named in its audit event.
TEST_F(RecordServiceTest, ASearchSaysWhenMoreRecordsMatchThanItGives) {
  const auto import = [&](const std::string& pn, int n) {
    v1::ImportRecordsRequest req;
    for (int i = 0; i < n; ++i) {
      v1::ImportRow* row = req.add_rows();
      row->set_line(i + 1);
      *row->mutable_record() = testing::ExampleRecord();
      row->mutable_record()->mutable_person()->set_personal_number(pn);
      row->mutable_record()->mutable_conviction()->set_case_number(
          absl::StrCat("P ", i + 1, "/2024"));
    }
    v1::ImportRecordsResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    const grpc::Status s = clerk_->ImportRecords(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const v1::ImportRowResult& r : resp.results()) {
      ASSERT_EQ(r.outcome(), v1::ImportRowResult::OUTCOME_CREATED) << r.line() << ": " << r.error();
    }
  };
  const auto search = [&](const v1::SearchRecordsRequest& query) {
    v1::SearchRecordsRequest req = query;
    SetPurpose(req.mutable_purpose());
    v1::SearchRecordsResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    const grpc::Status s = court_->SearchRecords(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  v1::SearchRecordsRequest by_number;
  by_number.set_personal_number("1234567890");
  v1::SearchRecordsRequest by_name;
  by_name.mutable_name()->set_surname("Kërqeli");
  by_name.mutable_name()->set_given_name("Arben");
  by_name.mutable_name()->set_birth_date("1980-04-12");

  ASSERT_NO_FATAL_FAILURE(import("1234567890", 100));
  for (const v1::SearchRecordsRequest* query : {&by_number, &by_name}) {
    const v1::SearchRecordsResponse all = search(*query);
    EXPECT_EQ(all.records_size(), 100);
    EXPECT_FALSE(all.more_records()) << "exactly 100 match";
  }
  ASSERT_NO_FATAL_FAILURE(import("1234567891", 1));  // the same names, another number
  const v1::SearchRecordsResponse hundred = search(by_number);
  EXPECT_EQ(hundred.records_size(), 100);
  EXPECT_FALSE(hundred.more_records());
  const v1::SearchRecordsResponse more = search(by_name);
  EXPECT_EQ(more.records_size(), 100);
  EXPECT_TRUE(more.more_records()) << "101 records have these names";
  const v1::AuditEvent event = testing::LastStoredEvent(*server_);
  EXPECT_EQ(event.record_ids_size(), 100) << "the event names the records given";
  for (const v1::Record& r : more.records()) {
    EXPECT_NE(std::find(event.record_ids().begin(), event.record_ids().end(),
                        r.metadata().record_id()),
              event.record_ids().end());
  }
}

TEST_F(RecordServiceTest, AmendChangesMaskedFieldAndHistoryKeepsOldValues) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);

  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  amend.set_expected_version(1);
  amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
  amend.mutable_person()->set_surname("Ignored");  // not in the mask
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.set_reason("address confirmed by the police");
  v1::AmendRecordResponse amended;
  grpc::Status s = Amend(amend, &amended);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(amended.record_id(), id);
  EXPECT_EQ(amended.version(), 2u);

  v1::Record current;
  ASSERT_TRUE(Get(id, &current).ok());
  EXPECT_EQ(current.metadata().version(), 2u);
  EXPECT_EQ(current.person().last_known_address(), "Rr. Nëna Terezë 3, Prizren");
  EXPECT_EQ(current.person().surname(), example.person().surname());
  EXPECT_EQ(current.metadata().updated_by(), kClerkId);

  v1::GetRecordHistoryResponse history;
  s = History(id, &history);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(history.versions_size(), 2);
  EXPECT_EQ(history.versions(0).record().metadata().version(), 1u);
  EXPECT_EQ(history.versions(0).reason(), "created");
  EXPECT_TRUE(MessageDifferencer::Equals(history.versions(0).record().person(), example.person()));
  EXPECT_EQ(history.versions(1).record().metadata().version(), 2u);
  EXPECT_EQ(history.versions(1).reason(), "address confirmed by the police");
  EXPECT_EQ(history.versions(1).record().person().last_known_address(),
            "Rr. Nëna Terezë 3, Prizren");

  // A second amendment based on the stale version 1 is ABORTED.
  amend.set_reason("again");
  EXPECT_EQ(Amend(amend, &amended).error_code(), grpc::StatusCode::ABORTED);

  // The answer names the paths the amendment changed, not every path it sent: the address is
  // sent again as it is, the surname anew.
  ASSERT_EQ(amended.changed_paths_size(), 1);
  EXPECT_EQ(amended.changed_paths(0), "person.last_known_address");
  amend.set_expected_version(2);
  amend.mutable_update_mask()->add_paths("person.surname");
  amend.mutable_person()->set_surname("Berisha");
  amend.set_reason("surname corrected from the judgment");
  s = Amend(amend, &amended);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(amended.changed_paths_size(), 1) << amended.DebugString();
  EXPECT_EQ(amended.changed_paths(0), "person.surname");
}

TEST_F(RecordServiceTest, AmendWithoutReasonIsInvalidArgumentNamingReason) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  v1::AmendRecordResponse resp;
  grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "reason")) << s.error_message();
  v1::Record current;
  ASSERT_TRUE(Get(id, &current).ok());
  EXPECT_EQ(current.metadata().version(), 1u);  // nothing written
}

// FieldMaskUtil skips empty segments, so "person..surname" would act as "person.surname": a
// mask the clerk did not write as the field path it names. Each is refused by its index, never
// echoed (a path outside the field-name alphabet is caller text), and nothing is written.
TEST_F(RecordServiceTest, AMaskPathWithAnEmptySegmentIsInvalidArgumentNamingItsIndex) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);
  for (const std::string path : {"person..surname", "person.surname.", "person.....surname",
                                 ".person.surname", "person.", "person. surname",
                                 "person.Arben Kërqeli"}) {
    SCOPED_TRACE(path);
    v1::AmendRecordRequest amend;
    amend.set_record_id(id);
    amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
    amend.mutable_person()->set_surname("Krasniqi");
    amend.mutable_update_mask()->add_paths("person.last_known_address");
    amend.mutable_update_mask()->add_paths(path);
    amend.set_reason("surname corrected");
    const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
    v1::AmendRecordResponse resp;
    const grpc::Status s = Amend(amend, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message(),
              "update_mask.paths[1]: not a field path (field names joined by single dots)");
    EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before + 1);
    const v1::AuditEvent event = StoredEvent(*server_, before);
    EXPECT_EQ(event.detail(), s.error_message());
  }
  v1::Record current;
  ASSERT_TRUE(Get(id, &current).ok());
  EXPECT_EQ(current.metadata().version(), 1u) << "nothing written";
  EXPECT_EQ(current.person().surname(), example.person().surname());
}

// An output-only field is set by the registry from its tables: in a mask it would be merged and
// then cleared, alone an amendment that "changes nothing", beside another path silently dropped.
TEST_F(RecordServiceTest, AMaskPathNamingAnOutputOnlyFieldIsInvalidArgumentNamingItsIndex) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  const auto amend_with = [&](const std::vector<std::string>& paths) {
    v1::AmendRecordRequest amend;
    amend.set_record_id(id);
    amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
    amend.mutable_conviction()->set_court_name("Supreme Court of Atlantis");
    v1::Offence* offence = amend.mutable_conviction()->add_offences();
    offence->set_law("06/L-074");
    offence->set_article(111);
    offence->set_title("Something else");
    for (const std::string& p : paths) amend.mutable_update_mask()->add_paths(p);
    amend.set_reason("names corrected");
    v1::AmendRecordResponse resp;
    return Amend(amend, &resp);
  };
  grpc::Status s = amend_with({"conviction.court_name"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "update_mask.paths[0]: conviction.court_name is output only, set by the registry");
  s = amend_with({"person.last_known_address", "conviction.court_name"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "update_mask.paths[1]: conviction.court_name is output only, set by the registry");
  // An offence's title, the other output-only field, cannot be named inside the repeated field.
  s = amend_with({"person.last_known_address", "conviction.offences.title"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "update_mask.paths[1]: not a person or conviction field");
  v1::Record current;
  ASSERT_TRUE(Get(id, &current).ok());
  EXPECT_EQ(current.metadata().version(), 1u) << "nothing written";
  // The whole part is still a path: its output-only names are ignored, as on entry.
  s = amend_with({"person.last_known_address"});
  ASSERT_TRUE(s.ok()) << s.error_message();
}

// docs/bad-input.md: every bad field is named in one answer, as CreateRecord names every bad
// field of a record, in field order.
TEST_F(RecordServiceTest, AnAmendmentNamesEveryBadFieldInOneAnswer) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  v1::AmendRecordRequest amend;
  amend.set_record_id("not-an-id");
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.mutable_update_mask()->add_paths("person..surname");
  amend.mutable_update_mask()->add_paths("conviction.court_name");
  amend.mutable_update_mask()->add_paths("conviction.no_such_field");
  v1::AmendRecordResponse resp;
  const grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            absl::StrCat(
                server::RecordValidator::ValidateRecordId("record_id", "not-an-id").message(),
                "; update_mask.paths[1]: not a field path (field names joined by single dots)",
                "; update_mask.paths[2]: conviction.court_name is output only, set by the "
                "registry",
                "; update_mask.paths[3]: not a person or conviction field; ",
                server::RecordValidator::ValidateText("reason", "", 1, 500).message()));
  // Without a mask: the mask's problem and the reason's, beside a good record id.
  amend.set_record_id(id);
  amend.clear_update_mask();
  const grpc::Status no_mask = Amend(amend, &resp);
  EXPECT_EQ(no_mask.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(no_mask.error_message(),
            absl::StrCat("update_mask: at least one path; ",
                         server::RecordValidator::ValidateText("reason", "", 1, 500).message()));
  // A usable id and mask: the missing reason is named with the amended record's own problems,
  // not before them (the clerk mended the reason, then learned of the months), and nothing is
  // written.
  amend.mutable_update_mask()->add_paths("conviction.sentence");
  amend.mutable_conviction()->mutable_sentence()->set_type(v1::SENTENCE_TYPE_IMPRISONMENT);
  amend.mutable_conviction()->mutable_sentence()->set_months(700);
  const grpc::Status both = Amend(amend, &resp);
  EXPECT_EQ(both.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(
      both.error_message(),
      absl::StrCat(server::RecordValidator::ValidateText("reason", "", 1, 500).message(),
                   "; conviction.sentence")))
      << both.error_message();
  v1::Record current;
  ASSERT_TRUE(Get(id, &current).ok());
  EXPECT_EQ(current.metadata().version(), 1u);
}

// Fields the protos do not declare would pass validation unseen, be sealed with the record and
// be served to every reader. The gate refuses them at any depth, naming where, never the value.
TEST_F(RecordServiceTest, UnknownFieldsAreRefusedWhereverTheyAre) {
  const auto with_unknown = [](google::protobuf::Message* m) {
    m->GetReflection()->MutableUnknownFields(m)->AddLengthDelimited(99, "Hidden Note 1234567890");
  };
  storage::AuditLog* log = server_->server()->audit_log();
  struct Case {
    std::function<void(v1::CreateRecordRequest*)> edit;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[&](v1::CreateRecordRequest* r) { with_unknown(r); }, "request: unknown field 99"},
      {[&](v1::CreateRecordRequest* r) { with_unknown(r->mutable_person()); },
       "person: unknown field 99"},
      {[&](v1::CreateRecordRequest* r) {
         with_unknown(r->mutable_conviction()->mutable_offences(0));
       },
       "conviction.offences[0]: unknown field 99"},
      {[&](v1::CreateRecordRequest* r) {
         with_unknown(r->mutable_conviction()->mutable_sentence());
       },
       "conviction.sentence: unknown field 99"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    v1::CreateRecordRequest req = testing::ExampleRecord();
    c.edit(&req);
    const uint64_t before = log->CurrentHead().size;
    std::string id;
    const grpc::Status s = Create(req, &id);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), c.message);
    // Its audit event and nothing else.
    ASSERT_EQ(log->CurrentHead().size, before + 1);
    v1::AuditEvent event;
    ASSERT_TRUE(event.ParseFromString(*log->ReadEvent(before)));
    EXPECT_EQ(testing::OutcomeName(event), "INVALID_ARGUMENT");
    EXPECT_TRUE(event.record_ids().empty());
  }
  EXPECT_TRUE(ByPersonalNumber(testing::ExampleRecord().person().personal_number()).empty());
  // The same request without them is entered.
  CreateOrFail(testing::ExampleRecord());
}

TEST_F(RecordServiceTest, SecondCreateOfTheSameConvictionIsAlreadyExists) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string first = CreateOrFail(example);
  std::string id;
  grpc::Status s = Create(example, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  // The clerk's next step is the record that exists: the answer names it, as an import's
  // duplicate row does, and the event records the id disclosed.
  EXPECT_EQ(s.error_message(),
            "a record with this court, case number and personal number exists: " + first);
  v1::AuditEvent event;
  ASSERT_NO_FATAL_FAILURE(ReadLastEvent(&event));
  EXPECT_EQ(testing::OutcomeName(event), "ALREADY_EXISTS");
  EXPECT_EQ(std::vector<std::string>(event.record_ids().begin(), event.record_ids().end()),
            std::vector<std::string>{first});
  EXPECT_EQ(ByPersonalNumber(example.person().personal_number()),
            std::vector<std::string>{first});
}

// The same conviction in another spelling of its case number is the same conviction: a second
// record of it is refused as the exact one is, and the first keeps its case number as entered.
TEST_F(RecordServiceTest, TheSameConvictionUnderAnotherSpellingOfItsCaseNumberIsAlreadyExists) {
  v1::CreateRecordRequest example = testing::ExampleRecord();
  example.mutable_conviction()->set_court_id("basic-prizren");
  example.mutable_conviction()->set_case_number("P 5/2020");
  const std::string first = CreateOrFail(example);
  for (const std::string spelling : {"P5/2020", "P-5/2020", "P 05/2020", "P 5/2020.",
                                     "P 5 / 2020", "P.5/2020", "\xd0\x9f 5/2020"}) {  // П
    v1::CreateRecordRequest again = example;
    again.mutable_conviction()->set_case_number(spelling);
    std::string id;
    const grpc::Status s = Create(again, &id);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS)
        << spelling << ": " << s.error_message();
    EXPECT_EQ(s.error_message(),
              "a record with this court, case number and personal number exists: " + first);
  }
  // Another number is another conviction.
  v1::CreateRecordRequest other = example;
  other.mutable_conviction()->set_case_number("P 50/2020");
  CreateOrFail(other);
  v1::Record record;
  ASSERT_TRUE(Get(first, &record).ok());
  EXPECT_EQ(record.conviction().case_number(), "P 5/2020");
}

// Every court abroad has the court id "foreign", and the uniqueness rule held only the id: a
// second conviction abroad under the same case number and personal number (Tirana after Vienna)
// was refused ALREADY_EXISTS, and after the first was expunged FAILED_PRECONDITION as that
// expunged conviction. The court abroad counts, by its country and its name as names compare.
TEST_F(RecordServiceTest, ConvictionsOfTwoCourtsAbroadUnderOneCaseNumberAreBothEntered) {
  v1::CreateRecordRequest vienna = testing::ExampleRecord();
  vienna.mutable_person()->set_personal_number("4200000001");
  vienna.mutable_conviction()->set_court_id("foreign");
  vienna.mutable_conviction()->set_case_number("12/2020");
  vienna.mutable_conviction()->set_foreign_court("Landesgericht Wien");
  vienna.mutable_conviction()->set_foreign_country("AT");
  v1::CreateRecordRequest tirana = vienna;
  tirana.mutable_conviction()->set_foreign_court("Gjykata e Rrethit Tiran\xc3\xab");
  tirana.mutable_conviction()->set_foreign_country("AL");
  const std::string first = CreateOrFail(vienna);
  v1::CreateRecordRequest vienna_again = vienna;
  vienna_again.mutable_conviction()->set_foreign_court("LANDESGERICHT  WIEN");
  std::string id;
  grpc::Status s = Create(vienna_again, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "a record with this court, case number and personal number exists: " + first);

  v1::ExpungeRecordResponse expunged;
  ASSERT_TRUE(Expunge(ExpungeOf(first), &expunged).ok());
  const std::string second = CreateOrFail(tirana);
  EXPECT_NE(second, first);
  // The expunged one stays out.
  s = Create(vienna_again, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  v1::Record record;
  ASSERT_TRUE(Get(second, &record).ok());
  EXPECT_EQ(record.conviction().foreign_country(), "AL");
}

// A row of an import that is the same conviction as another row of it names that row's line
// too: the clerk was told only that it repeated "another row of this import", and had to find
// which among hundreds. The row it repeats is the one of the same court, personal number and
// case number (in any spelling), not another conviction of the same person.
TEST_F(RecordServiceTest, AnImportRowThatRepeatsAnotherNamesTheLineItRepeats) {
  v1::CreateRecordRequest fifth = testing::ExampleRecord();
  fifth.mutable_conviction()->set_case_number("P 5/2020");
  v1::CreateRecordRequest sixth = fifth;
  sixth.mutable_conviction()->set_case_number("P 6/2020");
  v1::CreateRecordRequest sixth_again = fifth;
  sixth_again.mutable_conviction()->set_case_number("P 06/2020");
  v1::ImportRecordsRequest req;
  for (const auto& [line, record] :
       std::vector<std::pair<uint64_t, v1::CreateRecordRequest>>{
           {3, fifth}, {7, fifth}, {9, sixth}, {12, sixth_again}}) {
    v1::ImportRow* row = req.add_rows();
    row->set_line(line);
    *row->mutable_record() = record;
  }
  const std::string rule =
      "conviction: the same conviction (court, case number, personal number) as another row of "
      "this import";
  for (const bool dry_run : {true, false}) {
    req.set_dry_run(dry_run);
    v1::ImportRecordsResponse resp;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    const grpc::Status s = clerk_->ImportRecords(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(resp.results_size(), 4);
    const auto kept = dry_run ? v1::ImportRowResult::OUTCOME_VALID
                              : v1::ImportRowResult::OUTCOME_CREATED;
    EXPECT_EQ(resp.results(0).outcome(), kept) << resp.results(0).error();
    EXPECT_EQ(resp.results(2).outcome(), kept) << resp.results(2).error();
    EXPECT_EQ(resp.results(1).outcome(), v1::ImportRowResult::OUTCOME_INVALID);
    EXPECT_EQ(resp.results(1).error(), rule + " (line 3); one row per conviction");
    EXPECT_EQ(resp.results(3).outcome(), v1::ImportRowResult::OUTCOME_INVALID);
    EXPECT_EQ(resp.results(3).error(), rule + " (line 9); one row per conviction");
  }
}

// An amendment that makes a record another's conviction (court, case number, personal number)
// is refused as a create is, naming the field the amendment changed and the record that holds
// the conviction, which the event records as disclosed.
TEST_F(RecordServiceTest, AnAmendmentIntoAnotherRecordsConvictionNamesTheFieldAndTheRecord) {
  v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string first = CreateOrFail(example);
  example.mutable_conviction()->set_case_number("P 6/2020");
  const std::string second = CreateOrFail(example);
  v1::AmendRecordRequest amend;
  amend.set_record_id(second);
  amend.mutable_conviction()->set_case_number(testing::ExampleRecord().conviction().case_number());
  amend.mutable_update_mask()->add_paths("conviction.case_number");
  amend.set_reason("case number corrected");
  v1::AmendRecordResponse resp;
  const grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "conviction.case_number: another record has this court, case number and personal "
            "number: " + first);
  v1::AuditEvent event;
  ASSERT_NO_FATAL_FAILURE(ReadLastEvent(&event));
  EXPECT_EQ(testing::OutcomeName(event), "ALREADY_EXISTS");
  EXPECT_NE(std::find(event.record_ids().begin(), event.record_ids().end(), first),
            event.record_ids().end());
}

// A later conviction keeps an earlier one of the person whose retention has ended. Moving the later
// one to its real owner (another personal number) would leave the earlier one due for deletion,
// which only an expunge may do: the change is refused naming that record (the event records it
// as disclosed) and how a record leaves the registry; once it is expunged, the change is made.
TEST_F(RecordServiceTest, AChangeThatWouldLeaveAnEarlierConvictionDueNamesItAndTheWayOut) {
  // Final in 2019, while the earlier one below still counted (until 2020-01-10).
  const v1::CreateRecordRequest later = FineOf("4000000001", "2019-05-20", "2019-06-01");
  const std::string later_id = CreateOrFail(later);
  // A fine final in 2010: visible until 2020, deleted after 2025, unless the later one keeps it.
  const std::string earlier_id =
      CreateOrFail(EarlierFine(later, "P 1/2010", "2010-01-01", "2010-01-10"));

  v1::AmendRecordRequest amend;
  amend.set_record_id(later_id);
  amend.mutable_person()->set_personal_number("4000000099");
  amend.mutable_update_mask()->add_paths("person.personal_number");
  amend.set_reason("the conviction is another person's");
  v1::AmendRecordResponse resp;
  const grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "conviction: this change would leave record " + earlier_id +
                ", an earlier conviction of the person that this one kept, past its retention "
                "period, so it is not made: a conviction leaves the registry only by an expunge. "
                "If that record's retention has ended, expunge it first, then make this change");
  v1::AuditEvent event;
  ASSERT_NO_FATAL_FAILURE(ReadLastEvent(&event));
  EXPECT_EQ(testing::OutcomeName(event), "FAILED_PRECONDITION");
  EXPECT_NE(std::find(event.record_ids().begin(), event.record_ids().end(), earlier_id),
            event.record_ids().end());

  v1::ExpungeRecordResponse expunged;
  ASSERT_TRUE(Expunge(ExpungeOf(earlier_id), &expunged).ok());
  const grpc::Status moved = Amend(amend, &resp);
  EXPECT_TRUE(moved.ok()) << moved.error_message();
}

// A history is the court's account of who changed what: each version keeps the dates it was
// written with, and dates a later conviction of the person extends are said apart, as that, and
// not as part of the newest version's change; after that conviction's expunge, they are gone
// and the versions read as before.
TEST_F(RecordServiceTest, AHistorySaysTheDatesInForceApartFromItsVersionsWhenALaterOneExtendsThem) {
  const v1::CreateRecordRequest later = FineOf("4000000007", "2024-05-20", "2024-06-01");
  const std::string earlier_id =
      CreateOrFail(EarlierFine(later, "P 7/2020", "2020-01-01", "2020-01-10"));
  v1::Record own;
  ASSERT_TRUE(Get(earlier_id, &own).ok());
  const auto history_of = [&](v1::GetRecordHistoryResponse* history) {
    const grpc::Status s = History(earlier_id, history);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(history->versions_size(), 1);
    EXPECT_EQ(history->versions(0).record().metadata().employer_visible_until(),
              own.metadata().employer_visible_until());
    EXPECT_EQ(history->versions(0).record().metadata().delete_after(),
              own.metadata().delete_after());
  };
  v1::GetRecordHistoryResponse alone;
  ASSERT_NO_FATAL_FAILURE(history_of(&alone));
  EXPECT_FALSE(alone.has_dates_in_force());

  const std::string later_id = CreateOrFail(later);
  v1::Record extended;
  ASSERT_TRUE(Get(earlier_id, &extended).ok());
  ASSERT_GT(extended.metadata().employer_visible_until(),
            own.metadata().employer_visible_until());
  v1::GetRecordHistoryResponse kept;
  ASSERT_NO_FATAL_FAILURE(history_of(&kept));
  ASSERT_TRUE(kept.has_dates_in_force());
  EXPECT_EQ(kept.dates_in_force().employer_visible_until(),
            extended.metadata().employer_visible_until());
  EXPECT_EQ(kept.dates_in_force().delete_after(), extended.metadata().delete_after());
  EXPECT_TRUE(kept.dates_in_force().extended_by_another_conviction());
  EXPECT_FALSE(kept.dates_in_force().kept_from_deletion_only());
  EXPECT_FALSE(kept.dates_in_force().retention_rules_changed());

  v1::ExpungeRecordResponse expunged;
  ASSERT_TRUE(Expunge(ExpungeOf(later_id), &expunged).ok());
  v1::GetRecordHistoryResponse after;
  ASSERT_NO_FATAL_FAILURE(history_of(&after));
  EXPECT_FALSE(after.has_dates_in_force());
}

// A later conviction under the same personal number but another name keeps the earlier record
// from deletion without lengthening the time it counts for vetting: the history said its dates
// were "extended by another conviction of the same person". It says only deletion was.
TEST_F(RecordServiceTest, AHistorySaysWhenAnotherConvictionOnlyKeepsTheRecordFromDeletion) {
  v1::CreateRecordRequest later = FineOf("4000000009", "2024-05-20", "2024-06-01");
  const std::string earlier_id =
      CreateOrFail(EarlierFine(later, "P 9/2020", "2020-01-01", "2020-01-10"));
  v1::Record own;
  ASSERT_TRUE(Get(earlier_id, &own).ok());
  later.mutable_person()->set_surname("Hoxha");
  later.mutable_person()->set_given_name("Blerta");
  later.mutable_person()->set_sex(v1::SEX_FEMALE);
  CreateOrFail(later);
  v1::Record kept;
  ASSERT_TRUE(Get(earlier_id, &kept).ok());
  ASSERT_EQ(kept.metadata().employer_visible_until(), own.metadata().employer_visible_until());
  ASSERT_GT(kept.metadata().delete_after(), own.metadata().delete_after());
  v1::GetRecordHistoryResponse history;
  const grpc::Status s = History(earlier_id, &history);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(history.has_dates_in_force());
  EXPECT_EQ(history.dates_in_force().delete_after(), kept.metadata().delete_after());
  EXPECT_TRUE(history.dates_in_force().kept_from_deletion_only());
  EXPECT_FALSE(history.dates_in_force().retention_rules_changed());
}

// A clerk corrected the personal number of a conviction whose own retention had ended and that
// only the person's later conviction kept: the answer, "with these dates its retention period
// has ended", sent them to dates no one had changed. It says why (under the new number nothing
// keeps it) and what to do, and names no personal number.
TEST_F(RecordServiceTest, CorrectingTheNumberOfAConvictionOnlyALaterOneKeepsSaysWhyAndWhatToDo) {
  const v1::CreateRecordRequest later = FineOf("4000000003", "2019-05-20", "2019-06-01");
  CreateOrFail(later);
  // Final in 2010: its own deletion date has passed; only the later conviction keeps it.
  const std::string earlier_id =
      CreateOrFail(EarlierFine(later, "P 3/2010", "2010-01-01", "2010-01-10"));

  v1::AmendRecordRequest amend;
  amend.set_record_id(earlier_id);
  amend.mutable_person()->set_personal_number("4000000098");
  amend.mutable_update_mask()->add_paths("person.personal_number");
  amend.set_reason("the personal number was mistyped");
  v1::AmendRecordResponse resp;
  const grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "conviction: its own retention period has ended, and such a conviction stays in the "
            "registry only while a later conviction under its personal number keeps it: under "
            "the new personal number none does, so the correction is not made (the retention "
            "run would erase it for good). A later conviction under the old number cannot be "
            "corrected first either, while it keeps this one: the registry cannot yet move a "
            "person's convictions to another number together, so leave the numbers as they are "
            "and report the mistake to the registry's administrators (docs/domain.md)");
  v1::AuditEvent event;
  ASSERT_NO_FATAL_FAILURE(ReadLastEvent(&event));
  EXPECT_EQ(testing::OutcomeName(event), "FAILED_PRECONDITION");
  EXPECT_FALSE(absl::StrContains(event.detail(), "4000000")) << event.detail();
}


// A KJC clerk entered a later conviction B before the person's earlier A, whose own retention had
// ended (only B kept it), then expunged B: A went with it, for good, and the answer named only B.
// The answer names A and why, a dry run names it beforehand and erases nothing, and A's erasure
// has its own event naming A by id only.
TEST_F(RecordServiceTest, AnExpungeNamesTheEarlierConvictionItErasesWithItAndWhy) {
  const v1::CreateRecordRequest later = FineOf("4000000002", "2020-01-10", "2020-01-31");
  const std::string later_id = CreateOrFail(later);
  // Final in 2010: its own deletion date has passed; only the later conviction keeps it.
  const std::string earlier_id =
      CreateOrFail(EarlierFine(later, "P 2/2010", "2010-01-10", "2010-01-31"));

  v1::ExpungeRecordRequest expunge = ExpungeOf(later_id);
  expunge.set_dry_run(true);
  v1::ExpungeRecordResponse preview;
  {
    const grpc::Status s = Expunge(expunge, &preview);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_TRUE(preview.dry_run());
  ASSERT_EQ(preview.records_erased_with_it_size(), 1);
  EXPECT_EQ(preview.records_erased_with_it(0).record_id(), earlier_id);
  v1::AuditEvent dry;
  ASSERT_NO_FATAL_FAILURE(ReadLastEvent(&dry));
  EXPECT_TRUE(dry.dry_run());
  // Nothing was erased.
  v1::Record record;
  EXPECT_TRUE(Get(later_id, &record).ok());
  EXPECT_TRUE(Get(earlier_id, &record).ok());

  expunge.set_dry_run(false);
  v1::ExpungeRecordResponse expunged;
  {
    const grpc::Status s = Expunge(expunge, &expunged);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(expunged.record_id(), later_id);
  EXPECT_FALSE(expunged.dry_run());
  ASSERT_EQ(expunged.records_erased_with_it_size(), 1);
  EXPECT_EQ(expunged.records_erased_with_it(0).record_id(), earlier_id);
  EXPECT_EQ(expunged.records_erased_with_it(0).reason(),
            v1::ErasedWithRecord::REASON_RETENTION_ENDED_KEPT_ONLY_BY_EXPUNGED);
  // A's erasure is the retention run's, recorded by its own event: its id, no personal data.
  v1::AuditEvent event;
  ASSERT_NO_FATAL_FAILURE(ReadLastEvent(&event));
  EXPECT_EQ(event.actor(), "system:retention");
  EXPECT_EQ(std::vector<std::string>(event.record_ids().begin(), event.record_ids().end()),
            std::vector<std::string>{earlier_id});
  const std::string bytes = event.SerializeAsString();
  EXPECT_FALSE(absl::StrContains(bytes, later.person().personal_number()));
  EXPECT_FALSE(absl::StrContains(bytes, later.person().surname()));
  EXPECT_EQ(Get(earlier_id, &record).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A clerk asked to expunge B and was told nothing went with it; before the yes, another clerk
// entered the person's earlier A, whose retention had ended and which only B keeps. The expunge,
// confirming "nothing else", is refused and erases nothing: not B, not A, and not later either
// (the next erasure applies the ledger's unapplied entries, and none was written).
TEST_F(RecordServiceTest, AConfirmedExpungeErasesNothingWhenMoreWouldGoThanTheClerkWasShown) {
  const v1::CreateRecordRequest later = FineOf("4000000003", "2020-01-10", "2020-01-31");
  const std::string later_id = CreateOrFail(later);
  v1::ExpungeRecordRequest expunge = ExpungeOf(later_id);
  expunge.set_dry_run(true);
  v1::ExpungeRecordResponse preview;
  ASSERT_TRUE(Expunge(expunge, &preview).ok());
  EXPECT_EQ(preview.records_erased_with_it_size(), 0);
  const std::string earlier_id =
      CreateOrFail(EarlierFine(later, "P 3/2010", "2010-01-10", "2010-01-31"));

  expunge.set_dry_run(false);
  expunge.set_confirms_erased_with_it(true);
  v1::ExpungeRecordResponse expunged;
  const grpc::Status s = Expunge(expunge, &expunged);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(s.error_message(),
            "the records erased with it have changed since the question: ask again");
  v1::AuditEvent event;
  ASSERT_NO_FATAL_FAILURE(ReadLastEvent(&event));
  EXPECT_EQ(testing::OutcomeName(event), "ABORTED");
  EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), later.person().personal_number()));

  // Another person's record expunged: an erasure first applies what the ledger holds unapplied.
  v1::CreateRecordRequest other = testing::ExampleRecord();
  other.mutable_person()->set_personal_number("4000000004");
  other.mutable_conviction()->set_case_number("P 4/2020");
  const std::string other_id = CreateOrFail(other);
  {
    v1::ExpungeRecordResponse done;
    const grpc::Status erased = Expunge(ExpungeOf(other_id), &done);
    ASSERT_TRUE(erased.ok()) << erased.error_message();
  }
  v1::Record record;
  EXPECT_TRUE(Get(later_id, &record).ok());
  EXPECT_TRUE(Get(earlier_id, &record).ok());
}

// Confirmed as the dry run named it, the expunge goes ahead and erases just that with it.
TEST_F(RecordServiceTest, AConfirmedExpungeErasesWhatTheClerkWasShownWhenThatIsUnchanged) {
  const v1::CreateRecordRequest later = FineOf("4000000005", "2020-01-10", "2020-01-31");
  const std::string later_id = CreateOrFail(later);
  const std::string earlier_id =
      CreateOrFail(EarlierFine(later, "P 5/2010", "2010-01-10", "2010-01-31"));

  v1::ExpungeRecordRequest expunge = ExpungeOf(later_id);
  expunge.set_confirms_erased_with_it(true);
  expunge.add_erased_with_it_confirmed(earlier_id);
  v1::ExpungeRecordResponse expunged;
  const grpc::Status s = Expunge(expunge, &expunged);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(expunged.records_erased_with_it_size(), 1);
  EXPECT_EQ(expunged.records_erased_with_it(0).record_id(), earlier_id);
  v1::Record record;
  EXPECT_EQ(Get(later_id, &record).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(earlier_id, &record).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A rule that an amendment breaks through a field it leaves as it was (the judgment date moved
// past the final date) is said as that: the unchanged field is named, and so is what was changed,
// so that the clerk is not sent to correct the final date they never touched.
TEST_F(RecordServiceTest, AProblemOfAFieldTheAmendmentLeftAsItWasNamesWhatWasChanged) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  // A month after the judgment became final.
  absl::CivilDay final_day;
  ASSERT_TRUE(absl::ParseCivilTime(example.conviction().final_date(), &final_day));
  amend.mutable_conviction()->set_judgment_date(absl::FormatCivilTime(final_day + 30));
  amend.mutable_update_mask()->add_paths("conviction.judgment_date");
  amend.set_reason("judgment date corrected");
  v1::AmendRecordResponse resp;
  const grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(),
                                "conviction.final_date: must be on or after the judgment date "
                                "and not in the future (left as it was: this amendment did not "
                                "change it, and it no longer fits the amended judgment date. "
                                "Amend it too)"))
      << s.error_message();
  // The field the amendment changes is named as it was.
  amend.mutable_update_mask()->add_paths("conviction.final_date");
  amend.mutable_conviction()->set_final_date("2999-01-01");
  const grpc::Status both = Amend(amend, &resp);
  EXPECT_EQ(both.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(absl::StrContains(both.error_message(), "left as it was")) << both.error_message();
}

// A field an amendment leaves as it was is told in the words a clerk knows: what was amended is
// named in plain words (never "conviction.sentence"), and the rule is the one the record now
// breaks. registry-cli shows the field as "--set release-date" though the clerk typed no such
// --set: the words say it was not changed, and what to do.
TEST_F(RecordServiceTest, AFieldLeftAsItWasIsToldInPlainWordsWhatWasAmendedAndWhatToDo) {
  const std::string id = CreateOrFail(testing::ExampleRecord());  // imprisonment, released
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  amend.mutable_conviction()->mutable_sentence()->set_type(v1::SENTENCE_TYPE_FINE);
  amend.mutable_update_mask()->add_paths("conviction.sentence");
  amend.set_reason("the judgment imposed a fine");
  v1::AmendRecordResponse resp;
  grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "conviction.release_date: must be empty unless the sentence is imprisonment or life "
            "imprisonment (left as it was: this amendment did not change it, and it no longer "
            "fits the amended sentence. Amend it too)");

  // Moved to a court abroad, the court's name it never had is required, as a create says, and
  // not "1..200 characters".
  amend.clear_conviction();
  amend.mutable_conviction()->set_court_id("foreign");
  amend.mutable_update_mask()->Clear();
  amend.mutable_update_mask()->add_paths("conviction.court_id");
  amend.set_reason("convicted abroad");
  s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(
      s.error_message(),
      "conviction.foreign_court: required for a foreign court: its name (left as it was: this "
      "amendment did not change it, and it no longer fits the amended court. Amend it too); "
      "conviction.foreign_country: required for a foreign court"))
      << s.error_message();
  EXPECT_FALSE(absl::StrContains(s.error_message(), "conviction.court_id")) << s.error_message();
}

// A rule whose own words hold "; " stays one problem: the note on a field left as it was follows
// the whole rule, not its first half.
TEST_F(RecordServiceTest, ARuleHoldingASemicolonGetsTheNoteOnAFieldLeftAsItWasAtItsEnd) {
  v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  // Suspended, the 36 months left as they were are more than a suspended sentence's 24.
  amend.mutable_conviction()->mutable_sentence()->set_type(v1::SENTENCE_TYPE_SUSPENDED);
  amend.mutable_update_mask()->add_paths("conviction.sentence.type");
  amend.mutable_update_mask()->add_paths("conviction.release_date");
  amend.set_reason("the sentence was suspended");
  v1::AmendRecordResponse resp;
  const grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "conviction.sentence.months: 1..24 for a suspended sentence (the term of "
            "imprisonment, at most two years); the end of its verification period is a date of "
            "its own (left as it was: this amendment did not change it, and it no longer fits "
            "the amended sentence, release date. Amend it too)");
}

// An amendment of a version that is no longer the record's says what to do: read the record
// again and make the change anew, without the API's field name (expected_version) no clerk typed.
TEST_F(RecordServiceTest, AnAmendmentOfAVersionNoLongerCurrentSaysToReadTheRecordAgain) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  amend.set_expected_version(1);
  amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.set_reason("address confirmed by the police");
  v1::AmendRecordResponse resp;
  ASSERT_TRUE(Amend(amend, &resp).ok());
  amend.mutable_person()->set_last_known_address("Rr. Agim Ramadani 9, Gjilan");
  const grpc::Status stale = Amend(amend, &resp);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(stale.error_message(),
            "the record changed since it was read (it is no longer version 1), so this change "
            "was not made: read the record again and repeat the change on what it holds now");
}

TEST_F(RecordServiceTest, AnAmendmentThatChangesNothingIsRefusedAndMakesNoVersion) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  // The values the record holds already, one field and a whole part.
  amend.mutable_person()->set_last_known_address(example.person().last_known_address());
  *amend.mutable_conviction()->mutable_sentence() = example.conviction().sentence();
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.mutable_update_mask()->add_paths("conviction.sentence");
  amend.set_reason("nothing new");
  v1::AmendRecordResponse resp;
  grpc::Status s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(),
            "update_mask: the record already holds these values (last known address, sentence); "
            "the amendment changes nothing");
  v1::GetRecordHistoryResponse history;
  ASSERT_TRUE(History(id, &history).ok());
  EXPECT_EQ(history.versions_size(), 1);
  // Output-only names sent back as they were read change nothing either.
  v1::Record read;
  ASSERT_TRUE(Get(id, &read).ok());
  ASSERT_FALSE(read.conviction().court_name().empty());
  *amend.mutable_conviction() = read.conviction();
  amend.mutable_update_mask()->Clear();
  amend.mutable_update_mask()->add_paths("conviction");
  EXPECT_EQ(Amend(amend, &resp).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // One field that does change is a version.
  amend.mutable_conviction()->set_release_date("2025-03-02");
  ASSERT_TRUE(Amend(amend, &resp).ok());
  EXPECT_EQ(resp.version(), 2u);
}

TEST_F(RecordServiceTest, ReadsNameTheCourtFromTheTableNotTheCaller) {
  v1::CreateRecordRequest request = testing::ExampleRecord();
  request.mutable_conviction()->set_court_name("Zzqx caller court");
  const std::string id = CreateOrFail(request);
  v1::Record record;
  ASSERT_TRUE(Get(id, &record).ok());
  EXPECT_EQ(record.conviction().court_name(), "Basic Court of Prishtinë/Priština");
  v1::GetRecordHistoryResponse history;
  ASSERT_TRUE(History(id, &history).ok());
  EXPECT_EQ(history.versions(0).record().conviction().court_name(),
            "Basic Court of Prishtinë/Priština");
}

// ---------------------------------------------------------------------------------------------
// No plaintext at rest.

TEST_F(RecordServiceTest, NoPlaintextPersonalDataInAnyFile) {
  auto normalizer = storage::NameNormalizer::Create();
  ASSERT_TRUE(normalizer.ok());
  struct Person {
    std::string surname, given, father, alias, place, address, pn;
  };
  const std::vector<Person> people = {
      {"Zzyzxkërqeli", "Qwertyarben", "Plughbesim", "Frobozzçaj", "Xyzzyvillë",
       "Rruga Xyzzyplugh 17", "9876501234"},
      {"Жвргуљевићзз", "Квертимир", "Плугхомир", "Фробозовић", "Зyzzград", "Улица Ксизи 23",
       "9876505678"},
      {"Zzyzxkërqeli", "Qwertyarben", "Plughbesim", "Frobozzçaj", "Xyzzyvillë",
       "Rruga Xyzzyplugh 17", "9876509012"},
  };
  const std::string new_address = "Rruga Plughxyzzy 42";
  const std::string amend_reason = "Qwertyreason Xyzzyconfirmed";

  auto request = [&](size_t i) {
    v1::CreateRecordRequest r = testing::ExampleRecord();
    auto* p = r.mutable_person();
    p->set_surname(people[i].surname);
    p->set_given_name(people[i].given);
    p->set_father_name(people[i].father);
    p->add_aliases(people[i].alias);
    p->set_birth_place(people[i].place);
    p->set_last_known_address(people[i].address);
    p->set_personal_number(people[i].pn);
    r.mutable_conviction()->set_case_number(absl::StrCat("P ", 7700 + i, "/2024"));
    return r;
  };
  std::vector<std::string> ids;
  ids.push_back(CreateOrFail(request(0)));
  ids.push_back(CreateOrFail(request(1)));
  // A backup flushes the first two records into SST files and copies them.
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::BackupInfo backup;
    grpc::Status s = admin_->CreateBackup(&ctx, v1::CreateBackupRequest(), &backup);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The rest stays in the write-ahead log.
  ids.push_back(CreateOrFail(request(2)));
  v1::AmendRecordRequest amend;
  amend.set_record_id(ids[0]);
  amend.mutable_person()->set_last_known_address(new_address);
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.set_reason(amend_reason);
  v1::AmendRecordResponse amended;
  ASSERT_TRUE(Amend(amend, &amended).ok());
  for (const auto& id : ids) ASSERT_EQ(id.size(), 32u);
  // Searches, reads, vetting checks and refused calls are audited; they must not leak either.
  EXPECT_EQ(ByName("ZZYZXKERQELI", "qwertyarben", "1980-04-12").size(), 2u);
  EXPECT_EQ(ByPersonalNumber("9876501234").size(), 1u);
  ASSERT_TRUE(Get(ids[1], nullptr).ok());
  const Person candidate = {"Zzyzxvettingonly", "Qwertyvetting", "", "", "", "", "9876504321"};
  auto vetting = v1::VettingService::NewStub(server_->Channel("vetting"));
  for (const Person& who : {people[0], candidate}) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::VettingCheckRequest check;
    check.set_personal_number(who.pn);
    check.set_surname(who.surname);
    check.set_given_name(who.given);
    check.set_birth_date("1980-04-12");
    check.set_position_category("teacher");
    // A consent reference is one candidate's.
    check.set_consent_reference(who.pn == people[0].pn ? "CONSENT 2026/17" : "CONSENT 2026/18");
    v1::VettingCheckResponse answer;
    grpc::Status s = vetting->VettingCheck(&ctx, check, &answer);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }
  {
    v1::CreateRecordRequest invalid = request(0);
    invalid.mutable_person()->set_birth_date("1980-13-45");
    EXPECT_EQ(Create(invalid, nullptr).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }

  v1::Record stored;  // its dates are needles below
  ASSERT_TRUE(Get(ids[0], &stored).ok());

  // What a thief copies from a running machine: the live files, write-ahead log included.
  const std::string data_dir = server_->config().data_dir();
  const std::string live_copy = server_->dir() + "/live-copy";
  std::filesystem::copy(data_dir, live_copy, std::filesystem::copy_options::recursive);
  server_->Stop();  // flushes and closes RocksDB
  const std::string backup_dir = server_->config().backup_dir();
  ASSERT_TRUE(std::filesystem::exists(backup_dir));

  std::set<std::string> needles;
  auto add_forms = [&](const std::string& value) {
    needles.insert(value);
    needles.insert(Lower(value));
    needles.insert(Upper(value));
    needles.insert(absl::AsciiStrToLower(value));
    for (absl::string_view word : absl::StrSplit(value, ' ')) {
      if (word.size() >= 6) needles.insert(std::string(word));
    }
    auto normal = (*normalizer)->Normalize(value);
    if (normal.ok()) {
      needles.insert(*normal);
      needles.insert(absl::AsciiStrToUpper(*normal));
    }
  };
  for (const Person& p : people) {
    for (const std::string* v : {&p.surname, &p.given, &p.father, &p.alias, &p.place,
                                 &p.address}) {
      add_forms(*v);
    }
    needles.insert(p.pn);
  }
  add_forms(new_address);
  add_forms(amend_reason);
  add_forms(candidate.surname);
  add_forms(candidate.given);
  needles.insert(candidate.pn);
  // What the audit events say of the calls: who called from which organisation, which method,
  // for which case or consent, with which request id and when. Read with the key file, as an
  // auditor is served them; a thief without it must find none of it. (Record ids and tokens are
  // keys of other families, so they are not needles.)
  size_t audit_needles = 0;
  {
    const crypto::SecretBytes log_key = testing::AuditLogKeyOf(*server_);
    std::unique_ptr<storage::Database> db = testing::OpenStoppedDatabase(*server_);
    ASSERT_NE(db, nullptr);
    std::unique_ptr<storage::Iterator> it = db->NewIterator(storage::Cf::kAudit);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      absl::StatusOr<std::string> bytes = storage::AuditLog::OpenEvent(
          log_key, storage::DecodeU64(it->key()), it->value());
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      v1::AuditEvent event;
      ASSERT_TRUE(event.ParseFromString(*bytes));
      for (const std::string* v :
           {&event.time(), &event.actor(), &event.organisation(), &event.action(),
            &event.purpose_code(), &event.case_reference(), &event.consent_reference(),
            &event.recipient(), &event.request_id(), &event.reference()}) {
        if (v->size() >= 8 && needles.insert(*v).second) ++audit_needles;
      }
    }
  }
  // Who made and changed the record, and when (sealed with the record's dates and versions).
  for (const std::string* v : {&stored.metadata().created_by(), &stored.metadata().created_at(),
                               &stored.metadata().updated_at()}) {
    ASSERT_FALSE(v->empty());
    needles.insert(*v);
  }
  EXPECT_TRUE(needles.count("CONSENT 2026/17"));
  EXPECT_TRUE(needles.count(kVettingCheckMethod));
  EXPECT_GT(audit_needles, 20u);
  // Dates of the person and the conviction, and the registry dates derived from them (which with
  // the retention table would reveal the final date, the juvenile flag and the sentence band), in
  // every encoding the code writes (text YYYY-MM-DD), the compact one, and 64-bit big- and
  // little-endian seconds and microseconds since the epoch at midnight UTC.
  const v1::Conviction& c = stored.conviction();
  std::vector<std::string> dates = {stored.person().birth_date(), c.judgment_date(),
                                    c.final_date(), c.release_date(),
                                    stored.metadata().employer_visible_until(),
                                    stored.metadata().delete_after()};
  for (const auto& ban : c.bans()) dates.push_back(ban.end_date());
  for (const std::string& date : dates) {
    if (date.empty()) continue;
    auto day = ParseDate(date);
    ASSERT_TRUE(day.ok()) << date;
    needles.insert(date);
    needles.insert(absl::StrReplaceAll(date, {{"-", ""}}));
    const absl::Time midnight = absl::FromCivil(*day, absl::UTCTimeZone());
    for (const int64_t n : {absl::ToUnixSeconds(midnight), absl::ToUnixMicros(midnight)}) {
      std::string be = storage::EncodeU64(static_cast<uint64_t>(n));
      needles.insert(be);
      needles.insert(std::string(be.rbegin(), be.rend()));
    }
  }

  for (const std::string& dir : {data_dir, backup_dir, live_copy}) {
    for (const std::string& needle : needles) {
      EXPECT_EQ(FilesContaining(dir, needle), std::vector<std::string>{})
          << "plaintext \"" << needle << "\" found under " << dir;
    }
  }

  // The scan is not vacuous: the live copy has SST, WAL, MANIFEST, LOG and OPTIONS files, and the
  // scan does see bytes we know are stored in the clear (record ids are keys): the first two
  // records in SST files and the backup, the third one in the live write-ahead log.
  std::set<std::string> kinds;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(live_copy)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".sst")) kinds.insert("sst");
    if (absl::EndsWith(name, ".log") && entry.file_size() > 0) kinds.insert("log");
    if (absl::StartsWith(name, "MANIFEST")) kinds.insert("manifest");
    if (name == "LOG") kinds.insert("LOG");
    if (absl::StartsWith(name, "OPTIONS")) kinds.insert("options");
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"sst", "log", "manifest", "LOG", "options"}));
  EXPECT_TRUE(AnyEndsWith(FilesContaining(data_dir, ids[1]), ".sst"));
  EXPECT_FALSE(FilesContaining(backup_dir, ids[1]).empty());
  EXPECT_TRUE(AnyEndsWith(FilesContaining(live_copy, ids[2]), ".log"));
  EXPECT_TRUE(AnyEndsWith(FilesContaining(data_dir, ids[2]), ".sst"));  // flushed at shutdown
  // And a value written in plaintext on purpose is found.
  const std::string control = data_dir + "/plaintext-control.txt";
  std::ofstream(control) << "prefix " << people[0].surname << " suffix";
  EXPECT_EQ(FilesContaining(data_dir, people[0].surname), std::vector<std::string>{control});
  EXPECT_EQ(FilesContaining(data_dir, people[0].surname.substr(0, 8)).size(), 1u);
  std::filesystem::remove(control);

  // The data is all there, encrypted.
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  v1::Record record;
  ASSERT_TRUE(Get(ids[0], &record).ok());
  EXPECT_EQ(record.person().surname(), people[0].surname);
  EXPECT_EQ(record.person().last_known_address(), new_address);
  ASSERT_TRUE(Get(ids[1], &record).ok());
  EXPECT_EQ(record.person().given_name(), people[1].given);
}

// ---------------------------------------------------------------------------------------------
// Tampering gives DATA_LOSS.

TEST_F(RecordServiceTest, FlippedByteOfSealedVersionIsDataLoss) {
  const v1::CreateRecordRequest example = testing::ExampleRecord();
  const std::string id = CreateOrFail(example);
  std::string original;
  ASSERT_NO_FATAL_FAILURE(StopAndReadRaw(storage::Cf::kVersions, VersionKey(id, 1), &original));
  storage::StoredVersion stored;
  ASSERT_TRUE(stored.ParseFromString(original));
  const size_t n = stored.sealed().size();
  ASSERT_GT(n, 100u);
  // Format byte, nonce, ciphertext (start, middle, end) and tag.
  for (size_t pos : {size_t{0}, size_t{1}, size_t{12}, size_t{13}, n / 2, n - 17, n - 16,
                     n - 1}) {
    SCOPED_TRACE(absl::StrCat("byte ", pos, " of ", n));
    storage::StoredVersion tampered = stored;
    (*tampered.mutable_sealed())[pos] ^= 0x01;
    server_->Stop();
    {
      auto db = OpenStoppedDatabase();
      ASSERT_NE(db, nullptr);
      WriteRaw(db.get(), storage::Cf::kVersions, VersionKey(id, 1), tampered.SerializeAsString());
    }
    ASSERT_NO_FATAL_FAILURE(RestartOrFail());
    v1::Record record;
    grpc::Status s = Get(id, &record);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS) << s.error_message();
    EXPECT_FALSE(record.has_person());
    v1::GetRecordHistoryResponse history;
    EXPECT_EQ(History(id, &history).error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_EQ(history.versions_size(), 0);
    std::vector<std::string> ids;
    v1::SearchRecordsRequest query;
    query.set_personal_number(example.person().personal_number());
    EXPECT_EQ(Search(query, &ids).error_code(), grpc::StatusCode::DATA_LOSS);
  }

  // Putting the original bytes back makes the record readable again: the flip was the cause.
  EditStoredData([&](storage::Database* db) {
    WriteRaw(db, storage::Cf::kVersions, VersionKey(id, 1), original);
  });
  v1::Record record;
  grpc::Status s = Get(id, &record);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(record.person(), example.person()));
}

TEST_F(RecordServiceTest, SealedVersionCopiedToAnotherRecordIsDataLoss) {
  const std::string a = CreateOrFail(FictionalRecord(1));
  const std::string b = CreateOrFail(FictionalRecord(2));
  EditStoredData([&](storage::Database* db) {
    WriteRaw(db, storage::Cf::kVersions, VersionKey(b, 1),
             ReadRaw(db, storage::Cf::kVersions, VersionKey(a, 1)));
  });
  EXPECT_EQ(Get(b, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_TRUE(Get(a, nullptr).ok());

  // Also when B's head is given A's data key, wrapped for B with the real KEK (an attacker who
  // holds the key file but not the record's place): only the record id in the associated data
  // stops it.
  server_->Stop();
  auto keys = server::LoadKeyFile(server_->config().key_file());
  ASSERT_TRUE(keys.ok()) << keys.status();
  {
    auto db = OpenStoppedDatabase();
    ASSERT_NE(db, nullptr);
    storage::StoredHead head_a, head_b;
    ASSERT_TRUE(head_a.ParseFromString(ReadRaw(db.get(), storage::Cf::kRecords, a)));
    ASSERT_TRUE(head_b.ParseFromString(ReadRaw(db.get(), storage::Cf::kRecords, b)));
    auto dek_a = keys->keyring->UnwrapDek(head_a.wrapped_dek(), a);
    ASSERT_TRUE(dek_a.ok()) << dek_a.status();
    auto a_wrapped_for_b = keys->keyring->WrapDek(*dek_a, b);
    ASSERT_TRUE(a_wrapped_for_b.ok());
    head_b.set_wrapped_dek(*a_wrapped_for_b);
    WriteRaw(db.get(), storage::Cf::kRecords, b, head_b.SerializeAsString());
  }
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  EXPECT_EQ(Get(b, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);
  v1::GetRecordHistoryResponse history;
  EXPECT_EQ(History(b, &history).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_TRUE(Get(a, nullptr).ok());
}

TEST_F(RecordServiceTest, OlderVersionReplayedAsCurrentIsDataLoss) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  v1::AmendRecordRequest amend;
  amend.set_record_id(id);
  amend.mutable_person()->set_last_known_address("Rr. Nëna Terezë 3, Prizren");
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.set_reason("new address");
  v1::AmendRecordResponse amended;
  ASSERT_TRUE(Amend(amend, &amended).ok());
  ASSERT_EQ(amended.version(), 2u);

  // Version 1's bytes as they are, under version 2's key.
  EditStoredData([&](storage::Database* db) {
    WriteRaw(db, storage::Cf::kVersions, VersionKey(id, 2),
             ReadRaw(db, storage::Cf::kVersions, VersionKey(id, 1)));
  });
  EXPECT_EQ(Get(id, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);

  // With its cleartext version number also changed to 2: the associated data still says 1.
  EditStoredData([&](storage::Database* db) {
    storage::StoredVersion v1_stored;
    ASSERT_TRUE(v1_stored.ParseFromString(ReadRaw(db, storage::Cf::kVersions, VersionKey(id, 1))));
    v1_stored.set_version(2);
    WriteRaw(db, storage::Cf::kVersions, VersionKey(id, 2), v1_stored.SerializeAsString());
  });
  v1::Record record;
  EXPECT_EQ(Get(id, &record).error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_FALSE(record.has_person());
  v1::GetRecordHistoryResponse history;
  EXPECT_EQ(History(id, &history).error_code(), grpc::StatusCode::DATA_LOSS);
}

// Offence titles are output only: the registry's table supplies them on reads, and whatever a
// caller sends in their place is neither stored nor returned.
TEST_F(RecordServiceTest, OffenceTitlesComeFromTheTableNotTheCaller) {
  v1::CreateRecordRequest request = testing::ExampleRecord();
  request.mutable_conviction()->mutable_offences(0)->set_title("Zzqx caller title");
  const std::string id = CreateOrFail(request);
  v1::Record record;
  ASSERT_TRUE(Get(id, &record).ok());
  ASSERT_EQ(record.conviction().offences_size(), 1);
  EXPECT_FALSE(record.conviction().offences(0).title().empty());
  EXPECT_EQ(record.conviction().offences(0).title().find("Zzqx"), std::string::npos);
}

// Registry metadata in the head decides vetting answers (status, visibility): it is
// authenticated, so editing it in the files gives DATA_LOSS, never a changed answer.
TEST_F(RecordServiceTest, EditedHeadMetadataIsDataLossForReadsAndVetting) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  std::string original;
  ASSERT_NO_FATAL_FAILURE(StopAndReadRaw(storage::Cf::kRecords, id, &original));
  storage::StoredHead head;
  ASSERT_TRUE(head.ParseFromString(original));
  auto vet = [&]() {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::VettingCheckRequest check;
    const auto example = testing::ExampleRecord();
    check.set_personal_number(example.person().personal_number());
    check.set_surname(example.person().surname());
    check.set_given_name(example.person().given_name());
    check.set_birth_date(example.person().birth_date());
    check.set_position_category("teacher");
    check.set_consent_reference("CONSENT 2026/18");
    v1::VettingCheckResponse answer;
    grpc::Status s =
        v1::VettingService::NewStub(server_->Channel("vetting"))->VettingCheck(&ctx, check, &answer);
    if (!s.ok()) {
      EXPECT_EQ(answer.result(), v1::VETTING_RESULT_UNSPECIFIED);  // no answer leaks
    }
    return s.error_code();
  };
  std::vector<std::function<void(storage::StoredHead*)>> edits = {
      [](storage::StoredHead* h) { (*h->mutable_sealed_dates())[20] ^= 1; },
      [](storage::StoredHead* h) { h->set_status(v1::RECORD_STATUS_DISPUTED); },
      [](storage::StoredHead* h) { h->set_version(h->version() + 1); },
      [](storage::StoredHead* h) { h->clear_sealed_dates(); },
  };
  for (size_t i = 0; i < edits.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("edit ", i));
    storage::StoredHead tampered = head;
    edits[i](&tampered);
    EditStoredData([&](storage::Database* db) {
      WriteRaw(db, storage::Cf::kRecords, id, tampered.SerializeAsString());
    });
    EXPECT_EQ(Get(id, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_EQ(vet(), grpc::StatusCode::DATA_LOSS);
  }
  EditStoredData(
      [&](storage::Database* db) { WriteRaw(db, storage::Cf::kRecords, id, original); });
  EXPECT_TRUE(Get(id, nullptr).ok());
  EXPECT_EQ(vet(), grpc::StatusCode::OK);
}

// Index rows carry a MAC binding their token to their record id: a row moved under another
// person's token, or forged without the key, is DATA_LOSS for searches and vetting, never a
// different answer.
TEST_F(RecordServiceTest, MovedOrForgedIndexRowIsDataLoss) {
  const v1::CreateRecordRequest a = testing::ExampleRecord();
  const v1::CreateRecordRequest b = FictionalRecord(3);
  const std::string id_a = CreateOrFail(a);
  const std::string id_b = CreateOrFail(b);
  storage::StoredHead head_a, head_b;
  server_->Stop();
  {
    auto db = OpenStoppedDatabase();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(head_a.ParseFromString(ReadRaw(db.get(), storage::Cf::kRecords, id_a)));
    ASSERT_TRUE(head_b.ParseFromString(ReadRaw(db.get(), storage::Cf::kRecords, id_b)));
  }
  RestartOrFail();
  const std::string row_a = absl::StrCat("p", head_a.personal_number_token(), id_a);
  const auto vet_b = [&]() {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::VettingCheckResponse answer;
    return v1::VettingService::NewStub(server_->Channel("vetting"))
        ->VettingCheck(&ctx, testing::CandidateOf(b.person()), &answer)
        .error_code();
  };
  const auto search_b = [&]() {
    v1::SearchRecordsRequest req;
    req.set_personal_number(b.person().personal_number());
    std::vector<std::string> ids;
    return Search(req, &ids).error_code();
  };
  ASSERT_EQ(vet_b(), grpc::StatusCode::OK);

  struct Case {
    std::string what;
    std::function<std::string(storage::Database*)> value;  // written under B's token, A's id
  };
  const std::vector<Case> cases = {
      {"A's row moved under B's token",
       [&](storage::Database* db) { return ReadRaw(db, storage::Cf::kIndex, row_a); }},
      {"forged row", [](storage::Database*) { return std::string(32, '\x5a'); }},
      {"row without a MAC", [](storage::Database*) { return std::string(); }},
  };
  const std::string planted = absl::StrCat("p", head_b.personal_number_token(), id_a);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EditStoredData([&](storage::Database* db) {
      WriteRaw(db, storage::Cf::kIndex, planted, c.value(db));
    });
    EXPECT_EQ(search_b(), grpc::StatusCode::DATA_LOSS);
    EXPECT_EQ(vet_b(), grpc::StatusCode::DATA_LOSS);
  }
  EditStoredData([&](storage::Database* db) {
    storage::Batch batch;
    batch.Delete(storage::Cf::kIndex, planted);
    ASSERT_TRUE(db->Write(batch).ok());
  });
  EXPECT_EQ(search_b(), grpc::StatusCode::OK);
  EXPECT_EQ(vet_b(), grpc::StatusCode::OK);
}

TEST_F(RecordServiceTest, FlippedByteOfWrappedDataKeyIsDataLoss) {
  const std::string id = CreateOrFail(testing::ExampleRecord());
  const std::string other = CreateOrFail(FictionalRecord(3));
  std::string original;
  ASSERT_NO_FATAL_FAILURE(StopAndReadRaw(storage::Cf::kRecords, id, &original));
  storage::StoredHead head;
  ASSERT_TRUE(head.ParseFromString(original));
  ASSERT_EQ(head.wrapped_dek().size(), crypto::kWrappedDekSize);
  // Format byte, KEK version, nonce, ciphertext, tag.
  for (size_t pos : {size_t{0}, size_t{4}, size_t{5}, size_t{20}, size_t{48}, size_t{49},
                     size_t{64}}) {
    SCOPED_TRACE(absl::StrCat("wrapped_dek byte ", pos));
    storage::StoredHead tampered = head;
    (*tampered.mutable_wrapped_dek())[pos] ^= 0x01;
    EditStoredData([&](storage::Database* db) {
      WriteRaw(db, storage::Cf::kRecords, id, tampered.SerializeAsString());
    });
    v1::Record record;
    EXPECT_EQ(Get(id, &record).error_code(), grpc::StatusCode::DATA_LOSS);
    EXPECT_FALSE(record.has_person());
  }
  // Another record's wrapped key, moved over: bound to the other id.
  EditStoredData([&](storage::Database* db) {
    storage::StoredHead moved = head;
    storage::StoredHead other_head;
    ASSERT_TRUE(other_head.ParseFromString(ReadRaw(db, storage::Cf::kRecords, other)));
    moved.set_wrapped_dek(other_head.wrapped_dek());
    WriteRaw(db, storage::Cf::kRecords, id, moved.SerializeAsString());
  });
  EXPECT_EQ(Get(id, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);

  EditStoredData(
      [&](storage::Database* db) { WriteRaw(db, storage::Cf::kRecords, id, original); });
  EXPECT_TRUE(Get(id, nullptr).ok());
  EXPECT_TRUE(Get(other, nullptr).ok());
}

// ---------------------------------------------------------------------------------------------
// Key files.

// ---------------------------------------------------------------------------------------------
// Figures: a single client against the real server, every call audited with a synced write.
// Printed only; no assertion on time.

TEST_F(RecordServiceTest, Figures) {
  constexpr int kOps = 200;
  std::vector<v1::CreateRecordRequest> requests;
  for (int i = 0; i < kOps; ++i) requests.push_back(FictionalRecord(1000 + i));
  std::vector<std::string> ids;
  absl::Time start = absl::Now();
  for (const auto& r : requests) ids.push_back(CreateOrFail(r));
  const absl::Duration create = absl::Now() - start;

  start = absl::Now();
  for (const auto& id : ids) ASSERT_TRUE(Get(id, nullptr).ok());
  const absl::Duration get = absl::Now() - start;

  start = absl::Now();
  for (const auto& r : requests) {
    ASSERT_EQ(ByPersonalNumber(r.person().personal_number()).size(), 1u);
  }
  const absl::Duration search = absl::Now() - start;

  auto per_op = [&](absl::Duration d) { return absl::ToDoubleMilliseconds(d) / kOps; };
  std::printf("FIGURES create=%.3f ms/op get=%.3f ms/op search=%.3f ms/op (%d ops each)\n",
              per_op(create), per_op(get), per_op(search), kOps);
}

}  // namespace
// Names that would file more name tokens than the vetting check is levelled to read (a head of
// many long aliases told a record from none by its read time) are refused on a create and on an
// amendment of the aliases, naming person.aliases, never a name; nothing is stored.
TEST_F(RecordServiceTest, NamesOfTooManyWordsAreRefusedOnCreateAndAmendNamingTheAliases) {
  v1::CreateRecordRequest record = testing::ExampleRecord();
  SetTooManyNameWords(record.mutable_person());
  std::string id;
  grpc::Status s = Create(record, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(),
                               "person.aliases: too many name words across the aliases"))
      << s.error_message();
  EXPECT_FALSE(absl::StrContains(s.error_message(), "Kabr")) << s.error_message();
  const std::string stored = CreateOrFail(testing::ExampleRecord());
  v1::AmendRecordRequest amend;
  amend.set_record_id(stored);
  *amend.mutable_person() = record.person();
  amend.mutable_update_mask()->add_paths("person.aliases");
  amend.set_reason("aliases added");
  v1::AmendRecordResponse resp;
  s = Amend(amend, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(s.error_message(),
                               "person.aliases: too many name words across the aliases"))
      << s.error_message();
  // Fewer aliases are taken.
  amend.mutable_person()->mutable_aliases()->DeleteSubrange(3, 7);
  EXPECT_TRUE(Amend(amend, &resp).ok());
}

}  // namespace registry::testing
