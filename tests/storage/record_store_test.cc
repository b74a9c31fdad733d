// RecordStore on a real RocksDB in a temporary directory: records round-trip through envelope
// encryption, duplicates are refused, blind-index search matches spelling variants but nothing
// else, changes make versions, and vetting matches by token without decrypting anything.
#include "storage/record_store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "crypto/blind_index.h"
#include "crypto/hmac.h"
#include "crypto/keyring.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "rocksdb/perf_context.h"
#include "rocksdb/perf_level.h"
#include "common/clock.h"
#include "common/deterministic_bytes.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "tests/testing/case_number_spellings.h"
#include "tests/testing/data_files.h"
#include "tests/testing/record_store_fixture.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

using google::protobuf::util::MessageDifferencer;
using registry::v1::Conviction;
using registry::v1::Person;
using registry::v1::Record;
using registry::v1::RecordMetadata;
using testing::MakePerson;

constexpr char kActor[] = "spiffe://registry.kjc.test/clerk/test-clerk";

Conviction MakeConviction(absl::string_view court_id, absl::string_view case_number) {
  Conviction c = testing::MakeConviction(court_id, case_number);
  auto* ban = c.add_bans();
  ban->set_type(registry::v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date("2034-05-15");
  c.set_release_date("2027-03-01");
  return c;
}

VersionMeta Meta(absl::string_view now = "2026-01-02T03:04:05Z") {
  VersionMeta m;
  m.actor = kActor;
  m.now = std::string(now);
  m.today = std::string(now.substr(0, 10));  // 03:04 UTC is 04:04 in Kosovo, the same day
  m.own.employer_visible_until = "2034-05-15";
  m.own.delete_after = "2054-05-15";
  return m;
}

std::vector<std::string> Ids(const std::vector<Record>& records) {
  std::vector<std::string> ids;
  for (const Record& r : records) ids.push_back(r.metadata().record_id());
  return ids;
}

class RecordStoreTest : public testing::RecordStoreFixture {
 protected:
  RecordStoreTest() : RecordStoreFixture("registry-record-store-test") {}

  // Prepares and commits a new record; returns its id.
  absl::StatusOr<std::string> Create(const Person& person, const Conviction& conviction) {
    absl::StatusOr<PendingWrite> pending = store_->PrepareCreate(person, conviction, Meta());
    if (!pending.ok()) return pending.status();
    absl::Status written = db_->Write(*pending->batch());
    if (!written.ok()) return written;
    return pending->metadata().record_id();
  }

  // A record of the case `case_number` at basic-prishtine, final on `final_date`, with its own
  // dates as given (as the service would have computed them); its id, "" on a failure.
  std::string CreateDated(const Person& person, const std::string& case_number,
                          const std::string& final_date, const std::string& visible,
                          const std::string& deleted) {
    VersionMeta meta = Meta();
    meta.own.final_date = final_date;
    meta.own.employer_visible_until = visible;
    meta.own.delete_after = deleted;
    absl::StatusOr<PendingWrite> pending =
        store_->PrepareCreate(person, MakeConviction("basic-prishtine", case_number), meta);
    EXPECT_TRUE(pending.ok()) << pending.status();
    if (!pending.ok()) return std::string();
    EXPECT_TRUE(db_->Write(*pending->batch()).ok());
    return pending->metadata().record_id();
  }

  // The metadata of the stored record `id`; empty, a failure, when it cannot be read.
  RecordMetadata StoredMetadata(const std::string& id) {
    absl::StatusOr<Record> record = store_->Get(id);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? record->metadata() : RecordMetadata();
  }

  std::string CreateOrFail(const Person& person, const Conviction& conviction) {
    absl::StatusOr<std::string> id = Create(person, conviction);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or("");
  }

  // The uniqueness token storage schema 9 gave a conviction abroad of `person` under
  // `case_number`: the court id "foreign" alone, whatever the court; "" when it cannot be made.
  std::string Schema9ForeignToken(absl::string_view case_number, const Person& person) {
    absl::StatusOr<std::unique_ptr<crypto::BlindIndexer>> indexer =
        crypto::BlindIndexer::Create(derivation_root_, "court-case-person");
    EXPECT_TRUE(indexer.ok()) << indexer.status();
    absl::StatusOr<std::string> canonical = CanonicalCaseNumber(case_number);
    EXPECT_TRUE(canonical.ok()) << canonical.status();
    if (!indexer.ok() || !canonical.ok()) return "";
    absl::StatusOr<std::string> token =
        (*indexer)->Token(absl::StrCat("foreign|", *canonical, "|", person.personal_number()));
    EXPECT_TRUE(token.ok()) << token.status();
    return token.value_or("");
  }
  // Files the stored record `id` under the uniqueness token `token` instead of its own, as an
  // earlier storage schema filed it: the head (MACed again) and its row 'd'. Returns the new row's
  // key.
  std::string RefileUnderDedupToken(const std::string& id, const std::string& token) {
    const auto mac_key = [&](absl::string_view purpose) {
      absl::StatusOr<crypto::SecretBytes> secret = crypto::DeriveKey(derivation_root_, purpose);
      EXPECT_TRUE(secret.ok()) << secret.status();
      return *crypto::HmacSha256Key::Create(*secret);
    };
    const std::unique_ptr<crypto::HmacSha256Key> head_key = mac_key("mac/record-head/v1");
    const std::unique_ptr<crypto::HmacSha256Key> row_key = mac_key("mac/index-row/v1");
    absl::StatusOr<std::optional<std::string>> raw = db_->Get(Cf::kRecords, id);
    EXPECT_TRUE(raw.ok() && raw->has_value());
    StoredHead head;
    EXPECT_TRUE(raw.ok() && raw->has_value() && head.ParseFromString(**raw));
    const std::string current = head.dedup_token();
    EXPECT_NE(current, token);
    head.set_dedup_token(token);
    head.clear_mac();
    std::string bytes = "kjc-registry/head/v1";
    AppendDeterministicBytes(head, &bytes);
    head.set_mac(*head_key->Mac(bytes));
    const std::string row = absl::StrCat("d", token, id);
    Batch batch;
    batch.Put(Cf::kRecords, id, head.SerializeAsString());
    batch.Delete(Cf::kIndex, absl::StrCat("d", current, id));
    batch.Put(Cf::kIndex, row, *row_key->Mac(absl::StrCat("kjc-registry/index-row/v1|", row)));
    EXPECT_TRUE(db_->Write(batch).ok());
    return row;
  }


  // The conviction `entered` (court basic-prizren) is one conviction in every spelling given: a
  // second record of it is ALREADY_EXISTS while it is live (`live_spellings`), and it does not
  // come back once expunged (`expunged_spellings`).
  void ExpectOneConviction(const Person& person, const char* entered,
                           const std::vector<const char*>& live_spellings,
                           const std::vector<const char*>& expunged_spellings) {
    const std::string live = CreateOrFail(person, MakeConviction("basic-prizren", entered));
    ASSERT_FALSE(live.empty());
    ASSERT_NO_FATAL_FAILURE(ExpectTakenThenErased(person, live, live_spellings,
                                                  expunged_spellings));
  }

  // The live record `id` of `person` at basic-prizren is taken in every spelling of
  // `live_spellings` (a second record is ALREADY_EXISTS), and once expunged it does not come
  // back in any of `expunged_spellings`.
  void ExpectTakenThenErased(const Person& person, const std::string& id,
                             const std::vector<const char*>& live_spellings,
                             const std::vector<const char*>& expunged_spellings) {
    for (const char* spelling : live_spellings) {
      EXPECT_EQ(Create(person, MakeConviction("basic-prizren", spelling)).status().code(),
                absl::StatusCode::kAlreadyExists)
          << spelling;
    }
    ASSERT_NO_FATAL_FAILURE(Expunge(id));
    for (const char* spelling : expunged_spellings) {
      EXPECT_EQ(Create(person, MakeConviction("basic-prizren", spelling)).status(),
                ErasedConvictionError())
          << spelling;
    }
  }

  // A live record of the case `entered` at basic-prizren, filed under the token of the earlier
  // canonical form `form` of its case number (which must be `expected_form`), as it was stored
  // then: it is still found, taken in every spelling of `live_spellings` and, once expunged,
  // erased in every spelling of `expunged_spellings`.
  void ExpectLiveUnderEarlierForm(const Person& person, const char* entered, CaseNumberForm form,
                                  absl::string_view expected_form,
                                  const std::vector<const char*>& live_spellings,
                                  const std::vector<const char*>& expunged_spellings) {
    const std::string id = CreateOrFail(person, MakeConviction("basic-prizren", entered));
    ASSERT_FALSE(id.empty());
    absl::StatusOr<std::string> earlier_form = CanonicalCaseNumber(entered, form);
    ASSERT_TRUE(earlier_form.ok()) << earlier_form.status();
    ASSERT_EQ(*earlier_form, expected_form);
    std::string earlier;
    ASSERT_NO_FATAL_FAILURE(EarlierFormToken(person, *earlier_form, &earlier));
    RefileUnderDedupToken(id, earlier);
    ASSERT_TRUE(store_->Get(id).ok());
    ASSERT_NO_FATAL_FAILURE(ExpectTakenThenErased(person, id, live_spellings,
                                                  expunged_spellings));
  }

  // Expunges the record `id`, as the service's ExpungeRecord commits it. The pending write holds
  // the record's locks until it goes, here on return, so the caller may create again at once.
  void Expunge(const std::string& id) {
    absl::StatusOr<PendingWrite> expunge = store_->PrepareExpunge(id);
    ASSERT_TRUE(expunge.ok()) << expunge.status();
    ASSERT_TRUE(db_->Write(*expunge->batch()).ok());
  }

  // A conviction of `person` at basic-prizren erased while its case number's canonical form was
  // `canonical` (an earlier form): its erased-conviction row under that form's token.
  void EraseUnderEarlierForm(const Person& person, absl::string_view canonical) {
    std::string earlier;
    ASSERT_NO_FATAL_FAILURE(EarlierFormToken(person, canonical, &earlier));
    PendingWrite erased;
    ASSERT_TRUE(
        store_->StageErasedRow(earlier, "0123456789abcdef0123456789abcdef", &erased).ok());
    ASSERT_TRUE(db_->Write(*erased.batch()).ok());
  }

  // Sets `token` to the uniqueness token of a conviction of `person` at basic-prizren while its
  // case number's canonical form was `canonical` (an earlier form); a fatal failure when it
  // cannot be made.
  void EarlierFormToken(const Person& person, absl::string_view canonical, std::string* token) {
    absl::StatusOr<std::unique_ptr<crypto::BlindIndexer>> indexer =
        crypto::BlindIndexer::Create(derivation_root_, "court-case-person");
    ASSERT_TRUE(indexer.ok()) << indexer.status();
    absl::StatusOr<std::string> earlier = (*indexer)->Token(
        absl::StrCat("basic-prizren|", canonical, "|", person.personal_number()));
    ASSERT_TRUE(earlier.ok()) << earlier.status();
    *token = *earlier;
  }

  // A conviction of `person` erased under the earlier form `canonical` stays erased in every
  // spelling of `erased_spellings`, and the case `other` (another number) is still taken.
  void ExpectErasedUnderEarlierForm(const Person& person, absl::string_view canonical,
                                    const std::vector<const char*>& erased_spellings,
                                    const char* other) {
    ASSERT_NO_FATAL_FAILURE(EraseUnderEarlierForm(person, canonical));
    for (const char* spelling : erased_spellings) {
      EXPECT_EQ(Create(person, MakeConviction("basic-prizren", spelling)).status(),
                ErasedConvictionError())
          << spelling;
    }
    EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", other)).ok()) << other;
  }

  // The vetting facts of the candidate so named, born on `born`, under the personal number `pn`;
  // none, and a failure, when the candidate's tokens or the facts cannot be had.
  std::vector<VettingFacts> FactsFor(const std::string& pn, const std::string& surname,
                                     const std::string& given, const std::string& born) {
    auto tokens = store_->TokensForCandidate(pn, surname, given, born);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    if (!tokens.ok()) return std::vector<VettingFacts>();
    absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
    EXPECT_TRUE(facts.ok()) << facts.status();
    return facts.value_or(std::vector<VettingFacts>());
  }

  // `facts` is the record `id` alone, found under another number as one naming the candidate.
  static void ExpectNamesTheCandidate(const std::vector<VettingFacts>& facts,
                                      const std::string& id) {
    ASSERT_EQ(facts.size(), 1u);
    EXPECT_EQ(facts[0].record_id, id);
    EXPECT_TRUE(facts[0].under_other_number);
    EXPECT_TRUE(facts[0].identity_matches);
  }

  // `facts` is one record, under the candidate's own number, that does not name the candidate.
  static void ExpectOwnNumbersRecordOfAnotherName(const std::vector<VettingFacts>& facts) {
    ASSERT_EQ(facts.size(), 1u);
    EXPECT_FALSE(facts[0].under_other_number);
    EXPECT_FALSE(facts[0].identity_matches);
  }

  // The daily name limit's buckets of the name typed and of the name filed meet, and each of the
  // typed name's buckets is in it once.
  void ExpectNameBucketsMeet(const std::string& typed_surname, const std::string& typed_given,
                             const std::string& filed_surname, const std::string& filed_given) {
    absl::StatusOr<std::vector<std::string>> typed =
        store_->NameLimitTokens(typed_surname, typed_given);
    ASSERT_TRUE(typed.ok()) << typed.status();
    absl::StatusOr<std::vector<std::string>> filed =
        store_->NameLimitTokens(filed_surname, filed_given);
    ASSERT_TRUE(filed.ok()) << filed.status();
    std::vector<std::string> a = *typed;
    std::vector<std::string> b = *filed;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    std::vector<std::string> shared;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(shared));
    EXPECT_THAT(shared, ::testing::Not(::testing::IsEmpty()));
    EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), a.size());
  }

  std::vector<Record> ByName(absl::string_view surname, absl::string_view given,
                             absl::string_view birth_date) {
    std::string token;
    auto found = store_->SearchByName(surname, given, birth_date, 100, &token);
    EXPECT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(token.size(), 64u);
    return found.value_or(std::vector<Record>());
  }

  std::vector<Record> ByPersonalNumber(absl::string_view pn) {
    std::string token;
    auto found = store_->SearchByPersonalNumber(pn, 100, &token);
    EXPECT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(token.size(), 64u);
    return found.value_or(std::vector<Record>());
  }

  // Commits a change that sets the surname; returns the new version.
  absl::StatusOr<uint32_t> ChangeSurname(const std::string& id, uint32_t expected,
                                         absl::string_view surname, absl::string_view reason) {
    absl::StatusOr<PendingWrite> pending = store_->PrepareChange(
        id, expected, [&](Record* record, std::string* why, VersionMeta* meta) {
          record->mutable_person()->set_surname(std::string(surname));
          *why = std::string(reason);
          *meta = Meta("2026-02-03T04:05:06Z");
          return absl::OkStatus();
        });
    if (!pending.ok()) return pending.status();
    absl::Status written = db_->Write(*pending->batch());
    if (!written.ok()) return written;
    return pending->metadata().version();
  }

};

TEST_F(RecordStoreTest, CreateThenGetRoundTrips) {
  const Person person = MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890");
  const Conviction conviction = MakeConviction("basic-prishtine", "P 123/2024");
  absl::StatusOr<PendingWrite> pending = store_->PrepareCreate(person, conviction, Meta());
  ASSERT_TRUE(pending.ok()) << pending.status();
  const std::string id = pending->metadata().record_id();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(pending->record_ids(), std::vector<std::string>{id});
  ASSERT_EQ(pending->tokens().size(), 1u);
  EXPECT_EQ(pending->tokens()[0].size(), 64u);
  ASSERT_TRUE(db_->Write(*pending->batch()).ok());
  pending = absl::UnknownError("released");

  absl::StatusOr<Record> got = store_->Get(id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(MessageDifferencer::Equals(got->person(), person)) << got->person().DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(got->conviction(), conviction));
  const auto& m = got->metadata();
  EXPECT_EQ(m.record_id(), id);
  EXPECT_EQ(m.version(), 1u);
  EXPECT_EQ(m.status(), registry::v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ(m.created_by(), kActor);
  EXPECT_EQ(m.created_at(), "2026-01-02T03:04:05Z");
  EXPECT_EQ(m.updated_by(), kActor);
  EXPECT_EQ(m.employer_visible_until(), "2034-05-15");
  EXPECT_EQ(m.delete_after(), "2054-05-15");

  // Ids are random: a second record of another person gets another one.
  const std::string other =
      CreateOrFail(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
                   MakeConviction("basic-prishtine", "P 124/2024"));
  EXPECT_NE(other, id);
}

// A stolen data folder showed each version's plaintext length: two records whose surnames differed
// by 23 letters were 23 bytes apart. Versions are padded to 512-byte steps, and read back as
// they were written.
TEST_F(RecordStoreTest, ASealedVersionsSizeDoesNotTellHowLongItsTextsAre) {
  const std::vector<std::pair<std::string, std::string>> people = {
      {"Gashi", "1111111111"},
      {"Gashi-Ëmërllari-Krasniqi-Berisha", "2222222222"},
      {"Јовановић-Петровић", "3333333333"}};
  std::set<size_t> sizes;
  for (const auto& [surname, number] : people) {
    SCOPED_TRACE(surname);
    const Person person = MakePerson(surname, "Luan", "1975-01-01", number);
    const std::string id = CreateOrFail(person, MakeConviction("basic-prishtine", "P 5/2024"));
    auto raw = db_->Get(Cf::kVersions, absl::StrCat(id, EncodeU32(1)));
    ASSERT_TRUE(raw.ok() && raw->has_value());
    sizes.insert((*raw)->size());
    absl::StatusOr<Record> got = store_->Get(id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(MessageDifferencer::Equals(got->person(), person));
  }
  EXPECT_EQ(sizes.size(), 1u) << "sealed versions of " << *sizes.begin() << " and "
                              << *sizes.rbegin() << " bytes";
  // A text past the step takes the next one, not its own length.
  Person long_address = MakePerson("Gashi", "Luan", "1975-01-01", "4444444444");
  long_address.set_last_known_address(std::string(700, 'x'));
  const std::string id =
      CreateOrFail(long_address, MakeConviction("basic-prishtine", "P 6/2024"));
  auto raw = db_->Get(Cf::kVersions, absl::StrCat(id, EncodeU32(1)));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  EXPECT_GT((*raw)->size(), *sizes.begin());
  EXPECT_EQ(((*raw)->size() - *sizes.begin()) % 512, 0u) << (*raw)->size();
}

// A loose search lists the other spellings only: an exact match is never a "possible match",
// also when there are more exact matches than a search lists (a court then saw them as other
// spellings of the name it typed), nor one found by an alias in the surname's place.
TEST_F(RecordStoreTest, ALooseSearchNeverListsAnExactMatchHoweverManyThereAre) {
  std::set<std::string> exact;
  for (int i = 0; i < 5; ++i) {
    exact.insert(CreateOrFail(
        MakePerson("Kërqeli", "Arben", "1980-04-12", absl::StrCat("100000030", i)),
        MakeConviction("basic-prishtine", absl::StrCat("P ", i + 1, "/2024"))));
  }
  Person aliased = MakePerson("Gashi", "Arben", "1980-04-12", "1000000310");
  aliased.add_aliases("Kërqeli");
  exact.insert(CreateOrFail(aliased, MakeConviction("basic-prishtine", "P 9/2024")));
  const std::string loose =
      CreateOrFail(MakePerson("Kerćeli", "Arben", "1980-04-12", "1000000320"),
                   MakeConviction("basic-prishtine", "P 10/2024"));
  std::string token;
  for (const size_t limit : {1, 2, 10}) {
    SCOPED_TRACE(limit);
    absl::StatusOr<std::vector<Record>> possible =
        store_->SearchByLooseName("Kërqeli", "Arben", "1980-04-12", limit, &token);
    ASSERT_TRUE(possible.ok()) << possible.status();
    ASSERT_EQ(possible->size(), 1u);
    EXPECT_EQ(possible->front().metadata().record_id(), loose);
  }
  absl::StatusOr<std::vector<Record>> found =
      store_->SearchByName("Kërqeli", "Arben", "1980-04-12", 2, &token);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->size(), 2u);
  for (const Record& r : *found) EXPECT_EQ(exact.count(r.metadata().record_id()), 1u);
  // Under the other spelling the roles turn: the six are its possible matches.
  absl::StatusOr<std::vector<Record>> other =
      store_->SearchByLooseName("Kerćeli", "Arben", "1980-04-12", 10, &token);
  ASSERT_TRUE(other.ok()) << other.status();
  std::set<std::string> other_ids;
  for (const Record& r : *other) other_ids.insert(r.metadata().record_id());
  EXPECT_EQ(other_ids, exact);
}

// A person with two given names is found by either of them, and by both in the other order, as
// a possible match (never an exact one); a record of one given name is found by a search that
// gives it another beside it; under an alias as under the surname. An amendment and an erasure
// leave no word row behind.
TEST_F(RecordStoreTest, ALooseSearchFindsAPersonByEachOfTwoGivenNamesInEitherOrder) {
  Person person = MakePerson("Mehmeti", "Ali Arben", "1982-02-02", "1000000401");
  person.add_aliases("Krasniqi");
  const std::string id = CreateOrFail(person, MakeConviction("basic-prishtine", "P 41/2024"));
  const std::string one = CreateOrFail(MakePerson("Hoti", "Arben", "1982-02-02", "1000000402"),
                                       MakeConviction("basic-prishtine", "P 42/2024"));
  Person other = MakePerson("Hoxha", "Dren Luan", "1982-02-02", "1000000403");
  other.add_aliases("Shala");
  const std::string two_words =
      CreateOrFail(other, MakeConviction("basic-prishtine", "P 43/2024"));
  std::string token;
  const auto ids = [&](absl::StatusOr<std::vector<Record>> found) {
    EXPECT_TRUE(found.ok()) << found.status();
    std::vector<std::string> out;
    for (const Record& r : found.value_or(std::vector<Record>())) {
      out.push_back(r.metadata().record_id());
    }
    return out;
  };
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Mehmeti", "Arben"}, {"Mehmeti", "Ali"}, {"Mehmeti", "Arben Ali"},
           {"MEHMETI", "arben-ali"}, {"Krasniqi", "Arben"}, {"Krasniqi", "Arben Ali"}}) {
    SCOPED_TRACE(surname + " " + given);
    EXPECT_THAT(ids(store_->SearchByName(surname, given, "1982-02-02", 10, &token)),
                ::testing::IsEmpty());
    EXPECT_THAT(ids(store_->SearchByLooseName(surname, given, "1982-02-02", 10, &token)),
                ::testing::ElementsAre(id));
  }
  // The name as filed is an exact match, never a possible one.
  EXPECT_THAT(ids(store_->SearchByName("Mehmeti", "Ali-Arben", "1982-02-02", 10, &token)),
              ::testing::ElementsAre(id));
  EXPECT_THAT(ids(store_->SearchByLooseName("Mehmeti", "Ali Arben", "1982-02-02", 10, &token)),
              ::testing::IsEmpty());
  // The other way round: a search that gives a second given name finds the record of one (and
  // "Mehmeti, Ali Arben", which shares two of its words, as vetting finds it).
  std::vector<std::string> words;
  EXPECT_THAT(ids(store_->SearchByLooseName("Hoti", "Arben Ali", "1982-02-02", 10, &token,
                                            &words)),
              ::testing::UnorderedElementsAre(one, id));
  EXPECT_GT(words.size(), 2u);
  // Another birth date or surname is another person.
  EXPECT_THAT(ids(store_->SearchByLooseName("Mehmeti", "Arben", "1982-02-03", 10, &token)),
              ::testing::IsEmpty());
  EXPECT_THAT(ids(store_->SearchByLooseName("Gashi", "Arben", "1982-02-02", 10, &token)),
              ::testing::IsEmpty());

  // Amended to one given name: the words' rows go, and the name still finds it.
  ASSERT_NO_FATAL_FAILURE(CommitChange(
      id, 0, [](Record* record) { record->mutable_person()->set_given_name("Arben"); },
      "given name corrected", Meta()));
  EXPECT_THAT(ids(store_->SearchByLooseName("Mehmeti", "Ali", "1982-02-02", 10, &token)),
              ::testing::IsEmpty());
  EXPECT_THAT(ids(store_->SearchByLooseName("Mehmeti", "Arben Ali", "1982-02-02", 10, &token)),
              ::testing::ElementsAre(id));
  DataCheckReport report;
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems, ::testing::IsEmpty());
  // The data check holds the word rows to the head: one deleted is named.
  absl::StatusOr<std::optional<std::string>> raw = db_->Get(Cf::kRecords, one);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  StoredHead head;
  ASSERT_TRUE(head.ParseFromString(**raw));
  EXPECT_EQ(head.loose_word_tokens_size(), 0);  // one given name: no word rows
  raw = db_->Get(Cf::kRecords, two_words);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  ASSERT_TRUE(head.ParseFromString(**raw));
  ASSERT_EQ(head.loose_word_tokens_size(), 2);
  ASSERT_EQ(head.given_word_tokens_size(), 2);
  ASSERT_EQ(head.alias_loose_word_tokens_size(), 2);
  Batch batch;
  batch.Delete(Cf::kIndex, absl::StrCat("l", head.loose_word_tokens(0), two_words));
  batch.Delete(Cf::kIndex, absl::StrCat("w", head.given_word_tokens(0), two_words));
  batch.Delete(Cf::kIndex, absl::StrCat("b", head.alias_loose_word_tokens(0), two_words));
  ASSERT_TRUE(db_->Write(batch).ok());
  report = DataCheckReport();
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems,
              ::testing::UnorderedElementsAre(
                  absl::StrCat("record ", two_words, ": index row 'l' missing"),
                  absl::StrCat("record ", two_words, ": index row 'w' missing"),
                  absl::StrCat("record ", two_words, ": index row 'b' missing")));
  absl::StatusOr<PendingWrite> gone = store_->PrepareExpunge(two_words);
  ASSERT_TRUE(gone.ok()) << gone.status();
  ASSERT_TRUE(db_->Write(*gone->batch()).ok());
  gone = absl::InternalError("dropped");
  // Erased: no row names it.
  absl::StatusOr<PendingWrite> erase = store_->PrepareExpunge(one);
  ASSERT_TRUE(erase.ok()) << erase.status();
  ASSERT_TRUE(db_->Write(*erase->batch()).ok());
  erase = absl::InternalError("dropped");
  report = DataCheckReport();
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems, ::testing::IsEmpty());
}

// A name's parts joined or split otherwise, with or without a hyphen or apostrophe, find each
// other as possible matches, never as exact ones.
TEST_F(RecordStoreTest, ALooseSearchIgnoresSpacesHyphensAndApostrophesInsideAName) {
  std::string token;
  int n = 0;
  for (const auto& [filed, typed] : std::vector<std::pair<std::string, std::string>>{
           {"O'Brien", "O Brien"}, {"O Brien", "O\xe2\x80\x99" "Brien"}, {"De La Cruz", "DeLaCruz"},
           {"DeLaCruz", "De-La Cruz"}, {"Hoxha-Berisha", "HoxhaBerisha"},
           {"HoxhaBerisha", "Hoxha Berisha"}}) {
    SCOPED_TRACE(filed + " / " + typed);
    ++n;
    const std::string born = absl::StrCat("1983-03-", n < 10 ? "0" : "", n);
    const std::string pn = absl::StrCat("10000005", n < 10 ? "0" : "", n);
    const std::string id = CreateOrFail(MakePerson(filed, "Luan", born, pn),
                                        MakeConviction("basic-prishtine",
                                                       absl::StrCat("P ", 50 + n, "/2024")));
    absl::StatusOr<std::vector<Record>> exact = store_->SearchByName(typed, "Luan", born, 10,
                                                                     &token);
    ASSERT_TRUE(exact.ok()) << exact.status();
    EXPECT_THAT(*exact, ::testing::IsEmpty());
    absl::StatusOr<std::vector<Record>> possible =
        store_->SearchByLooseName(typed, "Luan", born, 10, &token);
    ASSERT_TRUE(possible.ok()) << possible.status();
    ASSERT_EQ(possible->size(), 1u);
    EXPECT_EQ(possible->front().metadata().record_id(), id);
  }
}

// Macedonian Ѓ and Ќ are Gj and Kj in Latin letters, and Serbian Lj and Nj may be written L and
// N in an Albanian spelling: each spelling finds the others as a possible match.
TEST_F(RecordStoreTest, ALooseSearchFindsMacedonianAndSerbianSpellingsOfOneName) {
  std::string token;
  int n = 0;
  for (const auto& [filed, typed] : std::vector<std::pair<Person, Person>>{
           {MakePerson("Ѓорѓиевски", "Ѓорѓи", "", ""),
            MakePerson("Gjorgjievski", "Gjorgji", "", "")},
           {MakePerson("Gjorgjievski", "Gjorgji", "", ""),
            MakePerson("Ѓорѓиевски", "Ѓорѓи", "", "")},
           {MakePerson("Ќосе", "Ѓорѓе", "", ""), MakePerson("Kjose", "Đorđe", "", "")},
           {MakePerson("Ќосе", "Ђорђе", "", ""), MakePerson("Qose", "Gjorgje", "", "")},
           {MakePerson("Petrović", "Ljubiša", "", ""), MakePerson("Petroviq", "Lubisha", "", "")},
           {MakePerson("Petrović", "Njegoš", "", ""), MakePerson("Petrovic", "Negosh", "", "")},
           {MakePerson("Gashi", "Djordje", "", ""), MakePerson("Gashi", "Ѓорѓе", "", "")}}) {
    ++n;
    SCOPED_TRACE(n);
    const std::string born = absl::StrCat("1984-04-0", n);
    const std::string id = CreateOrFail(
        MakePerson(filed.surname(), filed.given_name(), born, absl::StrCat("100000060", n)),
        MakeConviction("basic-prishtine", absl::StrCat("P ", 60 + n, "/2024")));
    absl::StatusOr<std::vector<Record>> exact =
        store_->SearchByName(typed.surname(), typed.given_name(), born, 10, &token);
    ASSERT_TRUE(exact.ok()) << exact.status();
    EXPECT_THAT(*exact, ::testing::IsEmpty());
    absl::StatusOr<std::vector<Record>> possible =
        store_->SearchByLooseName(typed.surname(), typed.given_name(), born, 10, &token);
    ASSERT_TRUE(possible.ok()) << possible.status();
    ASSERT_EQ(possible->size(), 1u);
    EXPECT_EQ(possible->front().metadata().record_id(), id);
  }
}

// A vetting candidate named by one of a record's two given names, or a record of one given name
// that the candidate gives with another, under another number: the record names the candidate,
// so it refers (under another number it never decides); under the candidate's own number it is
// the number's record, not one of the candidate's exact name, so it never decides NOT_CLEAR
// either. The daily buckets of the name cover each word looked up.
TEST_F(RecordStoreTest, FactsForVettingFindARecordByOneOfTwoGivenNames) {
  const std::string two = CreateOrFail(
      MakePerson("Mehmeti", "Ali Arben", "1982-02-02", "1000000701"),
      MakeConviction("basic-prishtine", "P 71/2024"));
  const std::string one = CreateOrFail(MakePerson("Hoti", "Besnik", "1982-02-02", "1000000702"),
                                       MakeConviction("basic-prishtine", "P 72/2024"));
  const auto facts_for = [&](const std::string& pn, const std::string& surname,
                             const std::string& given) {
    return FactsFor(pn, surname, given, "1982-02-02");
  };
  for (const auto& [surname, given, id] : std::vector<std::tuple<std::string, std::string,
                                                                 std::string>>{
           {"Mehmeti", "Arben", two}, {"Mehmeti", "Ali", two}, {"Mehmeti", "Arben Ali", two},
           {"Hoti", "Besnik Ali", one}}) {
    SCOPED_TRACE(surname + " " + given);
    ASSERT_NO_FATAL_FAILURE(ExpectNamesTheCandidate(facts_for("1000000799", surname, given), id));
  }
  ASSERT_NO_FATAL_FAILURE(
      ExpectOwnNumbersRecordOfAnotherName(facts_for("1000000701", "Mehmeti", "Arben")));
  EXPECT_THAT(facts_for("1000000799", "Mehmeti", "Besnik"), ::testing::IsEmpty());

  absl::StatusOr<std::vector<std::string>> limit = store_->NameLimitTokens("Mehmeti", "Ali Arben");
  ASSERT_TRUE(limit.ok()) << limit.status();
  const auto first = [&](const std::string& given) {
    absl::StatusOr<std::vector<std::string>> t = store_->NameLimitTokens("Mehmeti", given);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? t->front() : std::string();
  };
  // And the given name joined ("AliArben"), and the words in any order, which no name's first
  // token is.
  EXPECT_THAT(*limit, ::testing::IsSupersetOf({first("Ali Arben"), first("Ali"), first("Arben"),
                                               first("AliArben")}));
  // And each two of its words: ali arben, ali mehmeti, arben mehmeti, aliarben mehmeti, and
  // each of the whole name joined each way (mehmetialiarben, aliarbenmehmeti) with each of
  // mehmeti, ali, arben, aliarben.
  EXPECT_EQ(limit->size(), 17u);
}

// A record under another number names a candidate who gives its name's words in the other field
// ("Arben, Krasniqi"), a field's words joined or split ("AliArben", "Hoxha Berisha" for
// "HoxhaBerisha"), or one of two surnames ("Berisha" for "Hoxha-Berisha", and "Hoti Morina" for
// "Morina"), with its birth date: it is found as one naming the candidate (it refers, never
// decides); under its own number it is a name mismatch. Other words or another birth date find
// nothing. The buckets of the daily name limit of each such spelling and the record's meet, and
// the data check holds the rows ('v') to the head.
TEST_F(RecordStoreTest, FactsForVettingFindARecordByTheNamesOtherWaysOfBeingWritten) {
  const std::string swapped = CreateOrFail(
      MakePerson("Krasniqi", "Arben", "1983-01-01", "1000000901"),
      MakeConviction("basic-prishtine", "P 91/2024"));
  const std::string two_surnames = CreateOrFail(
      MakePerson("Hoxha-Berisha", "Luan", "1983-01-02", "1000000902"),
      MakeConviction("basic-prishtine", "P 92/2024"));
  const std::string two_given = CreateOrFail(
      MakePerson("Gashi", "Ali Arben", "1983-01-03", "1000000903"),
      MakeConviction("basic-prishtine", "P 93/2024"));
  const std::string one_surname = CreateOrFail(
      MakePerson("Morina", "Drita", "1983-01-04", "1000000904"),
      MakeConviction("basic-prishtine", "P 94/2024"));
  struct Case {
    std::string surname;
    std::string given;
    std::string born;
    std::string id;
    std::pair<std::string, std::string> filed;
  };
  const std::vector<Case> cases = {
      {"Arben", "Krasniqi", "1983-01-01", swapped, {"Krasniqi", "Arben"}},
      {"Berisha", "Luan", "1983-01-02", two_surnames, {"Hoxha-Berisha", "Luan"}},
      {"Hoxha", "Luan", "1983-01-02", two_surnames, {"Hoxha-Berisha", "Luan"}},
      {"HoxhaBerisha", "Luan", "1983-01-02", two_surnames, {"Hoxha-Berisha", "Luan"}},
      {"Luan", "Hoxha Berisha", "1983-01-02", two_surnames, {"Hoxha-Berisha", "Luan"}},
      {"Gashi", "AliArben", "1983-01-03", two_given, {"Gashi", "Ali Arben"}},
      {"Gashi Ali", "Arben", "1983-01-03", two_given, {"Gashi", "Ali Arben"}},
      {"Hoti Morina", "Drita", "1983-01-04", one_surname, {"Morina", "Drita"}}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.surname + ", " + c.given);
    ASSERT_NO_FATAL_FAILURE(
        ExpectNamesTheCandidate(FactsFor("1000000999", c.surname, c.given, c.born), c.id));
    ASSERT_NO_FATAL_FAILURE(
        ExpectNameBucketsMeet(c.surname, c.given, c.filed.first, c.filed.second));
  }
  ASSERT_NO_FATAL_FAILURE(ExpectOwnNumbersRecordOfAnotherName(
      FactsFor("1000000901", "Arben", "Krasniqi", "1983-01-01")));
  EXPECT_THAT(FactsFor("1000000999", "Arben", "Krasniqi", "1983-01-05"), ::testing::IsEmpty());
  EXPECT_THAT(FactsFor("1000000999", "Berisha", "Arben", "1983-01-02"), ::testing::IsEmpty());
  EXPECT_THAT(FactsFor("1000000999", "Gashi", "Ali", "1983-01-02"), ::testing::IsEmpty());
  EXPECT_THAT(FactsFor("1000000999", "Hoti", "Drita", "1983-01-04"), ::testing::IsEmpty());

  // The rows: the words in any order, the surname joined and each of its words alone, and each
  // two of its words that stand for different ones (hoxha berisha, hoxha luan, berisha luan,
  // hoxhaberisha luan, and the whole name joined each way with each of the four words), and the
  // surname joined each way alone (hoxhaberisha, berishahoxha).
  absl::StatusOr<std::optional<std::string>> raw = db_->Get(Cf::kRecords, two_surnames);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  StoredHead head;
  ASSERT_TRUE(head.ParseFromString(**raw));
  ASSERT_EQ(head.name_variant_tokens_size(), 18);
  DataCheckReport report;
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems, ::testing::IsEmpty());
  Batch batch;
  batch.Delete(Cf::kIndex, absl::StrCat("v", head.name_variant_tokens(0), two_surnames));
  ASSERT_TRUE(db_->Write(batch).ok());
  report = DataCheckReport();
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems, ::testing::ElementsAre(absl::StrCat(
                                   "record ", two_surnames, ": index row 'v' missing")));

  // A database of schema 11 filed no such row: the upgrade (ReindexNames) files them.
  Batch unfiled;
  for (const std::string& id : {swapped, two_surnames, two_given, one_surname}) {
    raw = db_->Get(Cf::kRecords, id);
    ASSERT_TRUE(raw.ok() && raw->has_value());
    ASSERT_TRUE(head.ParseFromString(**raw));
    for (const std::string& t : head.name_variant_tokens()) {
      unfiled.Delete(Cf::kIndex, absl::StrCat("v", t, id));
    }
  }
  ASSERT_TRUE(db_->Write(unfiled).ok());
  EXPECT_THAT(FactsFor("1000000999", "Arben", "Krasniqi", "1983-01-01"), ::testing::IsEmpty());
  absl::StatusOr<size_t> filed = store_->ReindexNames(10, [&](PendingWrite w, size_t) {
    return db_->Write(*w.batch());
  });
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(*filed, 4u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.surname + ", " + c.given);
    const std::vector<VettingFacts> facts = FactsFor("1000000999", c.surname, c.given, c.born);
    ASSERT_EQ(facts.size(), 1u);
    EXPECT_EQ(facts[0].record_id, c.id);
  }
  report = DataCheckReport();
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems, ::testing::IsEmpty());
}

// A record under another number names a candidate who shares any two of its name's words, from
// either field and in any order, with its birth date, however the rest is written: one of two
// surnames with one of two given names, the words swapped and one left out, a field joined, an
// extra word. It is found as one naming the candidate (it refers, never decides); under its own
// number it is a name mismatch; one shared word, or two with another birth date, find nothing.
// The daily name limit's buckets of each such name and the record's meet in the pair's bucket,
// and the pairs a name gives are bounded.
TEST_F(RecordStoreTest, FactsForVettingFindARecordThatSharesAnyTwoWordsOfItsName) {
  const std::string id = CreateOrFail(
      MakePerson("Hoti Morina", "Ali Arben", "1983-02-01", "1000000911"),
      MakeConviction("basic-prishtine", "P 111/2024"));
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Hoti", "Arben"}, {"Arben", "Hoti"}, {"AliArben", "Morina"},
           {"Hoti Morina Xhafa", "Arben"}, {"Morina", "Ali"}, {"HotiMorina", "Besnik Ali"}}) {
    SCOPED_TRACE(surname + ", " + given);
    ASSERT_NO_FATAL_FAILURE(
        ExpectNamesTheCandidate(FactsFor("1000000999", surname, given, "1983-02-01"), id));
    ASSERT_NO_FATAL_FAILURE(ExpectNameBucketsMeet(surname, given, "Hoti Morina", "Ali Arben"));
  }
  ASSERT_NO_FATAL_FAILURE(
      ExpectOwnNumbersRecordOfAnotherName(FactsFor("1000000911", "Hoti", "Arben", "1983-02-01")));
  EXPECT_THAT(FactsFor("1000000999", "Hoti", "Besnik", "1983-02-01"), ::testing::IsEmpty());
  EXPECT_THAT(FactsFor("1000000999", "Hoti", "Hoti", "1983-02-01"), ::testing::IsEmpty());
  EXPECT_THAT(FactsFor("1000000999", "Hoti", "Arben", "1983-02-02"), ::testing::IsEmpty());

  // The rows: the four of schema 12 (the words in any order, the fields joined, each surname
  // alone) and 23 pairs: six of the four words, each field joined with each word of the other
  // field and with the other field joined, and the whole name joined each way with each of the
  // six; and each field joined each way alone (hotimorina, morinahoti, aliarben, arbenali).
  absl::StatusOr<std::optional<std::string>> raw = db_->Get(Cf::kRecords, id);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  StoredHead head;
  ASSERT_TRUE(head.ParseFromString(**raw));
  EXPECT_EQ(head.name_variant_tokens_size(), 31);
  DataCheckReport report;
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems, ::testing::IsEmpty());

  // The bound: every word of a field of six (RecordStore::kMaxPairedWordsPerField) pairs, with
  // each field joined: 66 + 6 + 6 + 1, and the whole name joined each way with each of those 14:
  // 28; and each word and field joined alone: 14. When every word has a "dj" (and so a plain-D
  // form): 264 pairs of the 24 words, each of the four fields joined with the 12 words of the
  // other field and with the two of the other field joined (48 + 4), the four whole-name joins
  // with each of 28 (112), and 28 words alone.
  auto many = store_->TokensForCandidate("1000000999", "Berisha Gashi Hoti Krasniqi Shala Zeka",
                                         "Arben Besnik Drita Luan Nora Vesa", "1983-02-01");
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_EQ(many->name_word_pairs.size(), 107u + 14u);
  auto most = store_->TokensForCandidate("1000000999", "Djaka Djeka Djika Djoka Djuka Djyka",
                                         "Djana Djena Djina Djona Djuna Djyna", "1983-02-01");
  ASSERT_TRUE(most.ok()) << most.status();
  EXPECT_EQ(most->name_word_pairs.size(), 264u + 52u + 112u + 28u);
  // A seventh word in a field is refused, naming it, before anything is looked up.
  auto seven = store_->TokensForCandidate("1000000999", "Hoti",
                                          "Arben Besnik Drita Luan Nora Vesa Zana", "1983-02-01");
  EXPECT_TRUE(absl::IsInvalidArgument(seven.status())) << seven.status();
  EXPECT_EQ(seven.status().message(), "given_name: at most 6 words");
}

// A database of schema 10 filed the loose tokens with the spaces in a name and no word of a
// given name of several words: the upgrade (ReindexNames) files them anew, rows and head, and
// the data check finds every row.
TEST_F(RecordStoreTest, TheUpgradeFilesEachGivenNameAndTheJoinedLooseFormAnew) {
  const std::string id = CreateOrFail(MakePerson("O'Brien", "Ali Arben", "1982-02-02",
                                                 "1000000801"),
                                      MakeConviction("basic-prishtine", "P 81/2024"));
  // Take the record back to what schema 10 filed: a loose token of another form, no word rows.
  absl::StatusOr<std::optional<std::string>> raw = db_->Get(Cf::kRecords, id);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  StoredHead head;
  ASSERT_TRUE(head.ParseFromString(**raw));
  ASSERT_EQ(head.loose_word_tokens_size(), 2);
  ASSERT_EQ(head.given_word_tokens_size(), 2);
  Batch batch;
  for (const std::string& t : head.loose_word_tokens()) {
    batch.Delete(Cf::kIndex, absl::StrCat("l", t, id));
  }
  for (const std::string& t : head.given_word_tokens()) {
    batch.Delete(Cf::kIndex, absl::StrCat("w", t, id));
  }
  batch.Delete(Cf::kIndex, absl::StrCat("l", head.loose_name_token(), id));
  // Nor the name's other ways of being written (schema 12 on), which the search reads too, nor
  // those in the loose form (schema 14 on).
  for (const std::string& t : head.name_variant_tokens()) {
    batch.Delete(Cf::kIndex, absl::StrCat("v", t, id));
  }
  for (const std::string& t : head.loose_variant_tokens()) {
    batch.Delete(Cf::kIndex, absl::StrCat("u", t, id));
  }
  ASSERT_TRUE(db_->Write(batch).ok());
  std::string token;
  absl::StatusOr<std::vector<Record>> before =
      store_->SearchByLooseName("O Brien", "Arben", "1982-02-02", 10, &token);
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_THAT(*before, ::testing::IsEmpty());

  absl::StatusOr<size_t> filed = store_->ReindexNames(10, [&](PendingWrite w, size_t) {
    return db_->Write(*w.batch());
  });
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(*filed, 1u);
  absl::StatusOr<std::vector<Record>> after =
      store_->SearchByLooseName("O Brien", "Arben", "1982-02-02", 10, &token);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ(after->front().metadata().record_id(), id);
  auto tokens = store_->TokensForCandidate("1000000899", "O'Brien", "Arben", "1982-02-02");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->size(), 1u);
  DataCheckReport report;
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems, ::testing::IsEmpty());
}

TEST_F(RecordStoreTest, UncommittedCreateIsInvisible) {
  std::string id;
  {
    absl::StatusOr<PendingWrite> pending =
        store_->PrepareCreate(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
                              MakeConviction("basic-prishtine", "P 1/2024"), Meta());
    ASSERT_TRUE(pending.ok()) << pending.status();
    id = pending->metadata().record_id();
  }  // dropped, never written
  EXPECT_EQ(store_->Get(id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ByPersonalNumber("1111111111").empty());
  // Nor does it block a real create of the same conviction.
  EXPECT_TRUE(Create(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
                     MakeConviction("basic-prishtine", "P 1/2024"))
                  .ok());
}

TEST_F(RecordStoreTest, UnknownOrMalformedIdIsNotFound) {
  EXPECT_EQ(store_->Get(std::string(32, 'a')).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Get("not-an-id").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->History(std::string(32, 'b')).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RecordStoreTest, SameCourtCaseAndPersonalNumberIsAlreadyExists) {
  const Person person = MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890");
  const std::string first = CreateOrFail(person, MakeConviction("basic-prishtine", "P 123/2024"));
  ASSERT_FALSE(first.empty());

  absl::StatusOr<std::string> again =
      Create(person, MakeConviction("basic-prishtine", "P 123/2024"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
  // The case number is compared after folding case and spacing.
  absl::StatusOr<std::string> spaced =
      Create(person, MakeConviction("basic-prishtine", " p  123/2024 "));
  EXPECT_EQ(spaced.status().code(), absl::StatusCode::kAlreadyExists) << spaced.status();
  // Other names do not make it another conviction.
  absl::StatusOr<std::string> renamed =
      Create(MakePerson("Gashi", "Luan", "1975-01-01", "1234567890"),
             MakeConviction("basic-prishtine", "P 123/2024"));
  EXPECT_EQ(renamed.status().code(), absl::StatusCode::kAlreadyExists) << renamed.status();
  EXPECT_EQ(ByPersonalNumber("1234567890").size(), 1u);

  // Any one of the three differing makes it another record.
  EXPECT_TRUE(Create(person, MakeConviction("basic-prishtine", "P 124/2024")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "P 123/2024")).ok());
  EXPECT_TRUE(Create(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567891"),
                     MakeConviction("basic-prishtine", "P 123/2024"))
                  .ok());
  EXPECT_EQ(ByPersonalNumber("1234567890").size(), 3u);
}

Conviction Abroad(absl::string_view court, absl::string_view country,
                   absl::string_view case_number = "12/2020") {
  Conviction c = MakeConviction("foreign", case_number);
  c.set_foreign_court(std::string(court));
  c.set_foreign_country(std::string(country));
  return c;
}

// Every court abroad has the court id "foreign": the uniqueness token held only that, so a
// conviction in Tirana under the case number and personal number of one in Vienna was refused as
// ALREADY_EXISTS, and after the Vienna one was expunged as an expunged conviction. The court
// abroad is its country and its name, folded as names are compared.
TEST_F(RecordStoreTest, ConvictionsOfTwoCourtsAbroadUnderOneCaseNumberAreTwoRecords) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "4200000001");
  const std::string vienna = CreateOrFail(person, Abroad("Landesgericht Wien", "AT"));
  ASSERT_FALSE(vienna.empty());
  const absl::StatusOr<std::string> tirana =
      Create(person, Abroad("Gjykata e Rrethit Tiran\xc3\xab", "AL"));
  ASSERT_TRUE(tirana.ok()) << tirana.status();
  // The same court in another case, accents or spacing is the same conviction; the same name in
  // another country is another court.
  for (const char* spelling :
       {"LANDESGERICHT  WIEN", " landesgericht wien.", "Landesgericht-Wien"}) {
    EXPECT_EQ(Create(person, Abroad(spelling, "AT")).status().code(),
              absl::StatusCode::kAlreadyExists)
        << spelling;
  }
  EXPECT_EQ(Create(person, Abroad("GJYKATA E RRETHIT TIRANE", "AL")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Create(person, Abroad("Landesgericht Wien", "DE")).ok());
  // A number in the court's name is part of it: "No. 3" and "No 03" are one court, "No. 4"
  // another.
  EXPECT_TRUE(Create(person, Abroad("District Court No. 3", "GB")).ok());
  EXPECT_EQ(Create(person, Abroad("district court no 03", "GB")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Create(person, Abroad("District Court No. 4", "GB")).ok());

  // Expunged, the Vienna conviction stays out (in any spelling of its court); Tirana's is live.
  ASSERT_NO_FATAL_FAILURE(Expunge(vienna));
  EXPECT_EQ(Create(person, Abroad("landesgericht wien", "AT")).status(), ErasedConvictionError());
  EXPECT_EQ(Create(person, Abroad("Gjykata e Rrethit Tiran\xc3\xab", "AL")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Create(person, Abroad("Tribunale di Roma", "IT")).ok());
}

// A conviction abroad expunged before the court abroad was in the token (storage schema 9) left
// an erased-conviction row under the token of the court id "foreign" alone, from which its court
// cannot be told: that row still refuses the conviction, in every spelling of its case number.
TEST_F(RecordStoreTest, AConvictionAbroadErasedBeforeSchemaTenStaysErased) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "4200000002");
  const std::string earlier = Schema9ForeignToken("12/2020", person);
  ASSERT_FALSE(earlier.empty());
  PendingWrite erased;
  ASSERT_TRUE(store_->StageErasedRow(earlier, "0123456789abcdef0123456789abcdef", &erased).ok());
  ASSERT_TRUE(db_->Write(*erased.batch()).ok());

  for (const char* case_number : {"12/2020", "12/20", "nr. 12/2020"}) {
    EXPECT_EQ(Create(person, Abroad("Landesgericht Wien", "AT", case_number)).status(),
              ErasedConvictionError())
        << case_number;
  }
  EXPECT_TRUE(Create(person, Abroad("Landesgericht Wien", "AT", "13/2020")).ok());
}

// A database of schema 9 holds its live convictions abroad under the token of the court id
// alone; the upgrade (ReindexNames) files each under its court's token, so that another court's
// conviction under the same case number gets in, and the record itself is still found.
TEST_F(RecordStoreTest, TheUpgradeFilesAConvictionAbroadUnderItsCourt) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "4200000003");
  const std::string vienna = CreateOrFail(person, Abroad("Landesgericht Wien", "AT"));
  ASSERT_FALSE(vienna.empty());
  // Put the record as schema 9 filed it: head and row 'd' under the token of "foreign" alone.
  const std::string legacy = Schema9ForeignToken("12/2020", person);
  ASSERT_FALSE(legacy.empty());
  const std::string legacy_row = RefileUnderDedupToken(vienna, legacy);
  // As schema 9 answered: every court abroad is Vienna's.
  ASSERT_EQ(Create(person, Abroad("Tribunale di Roma", "IT")).status().code(),
            absl::StatusCode::kAlreadyExists);

  absl::StatusOr<size_t> filed = store_->ReindexNames(10, [&](PendingWrite w, size_t) {
    return db_->Write(*w.batch());
  });
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(*filed, 1u);
  absl::StatusOr<std::optional<std::string>> row = db_->Get(Cf::kIndex, legacy_row);
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value()) << "the row of the court id alone stayed";
  EXPECT_EQ(Create(person, Abroad("LANDESGERICHT WIEN", "AT")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Create(person, Abroad("Tribunale di Roma", "IT")).ok());
  EXPECT_TRUE(store_->Get(vienna).ok());
}

// The uniqueness token's case number: what one clerk or another may type for one case number is
// one case number; another number is another.
TEST(CanonicalCaseNumberTest, SpellingsOfOneCaseNumberAgreeAndOtherNumbersDoNot) {
  const auto canonical = [](absl::string_view s) {
    absl::StatusOr<std::string> c = CanonicalCaseNumber(s);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.value_or("(failed)");
  };
  EXPECT_EQ(canonical("P 5/2020"), "p5/2020");
  for (const char* same : {
           "P5/2020", "P-5/2020", "P 05/2020", "P 5/2020.", "P 5 / 2020", "P.5/2020",
           "p 5/2020", " P  5/2020 ", "P 5 2020", "P:5-2020", "P_5,2020", "P 005/02020",
           "\xd0\x9f 5/2020",            // Serbian Cyrillic capital Pe, read by sound
           "\xd0\xbf 5/2020",            // Cyrillic small pe
           "\xce\xa1 5/2020",            // Greek capital Rho
           "\xef\xbc\xb0\xef\xbc\x95/2020",  // full-width P and 5
           "P\xe2\x80\x8b 5/2020",      // zero-width space
           "P\xc2\xa0" "5\xe2\x81\x84" "2020",  // no-break space, fraction slash
           "P 5\xe2\x80\x94" "2020",     // em dash
       }) {
    EXPECT_EQ(canonical(same), "p5/2020") << same;
  }
  // Cyrillic and Greek look-alikes of every letter the rule names: a Serbian Cyrillic word is
  // read by sound, a Cyrillic letter among Latin ones by its look.
  EXPECT_EQ(canonical("\xd0\x90\xd0\x92\xd0\x95\xd0\x9a\xd0\x9c\xd0\x9d\xd0\x9e\xd0\xa0"
                      "\xd0\xa1\xd0\xa2\xd0\xa3\xd0\xa5"),  // А В Е К М Н О Р С Т У Х
            "avekmnorstuh");
  EXPECT_EQ(canonical("Q\xd0\x90\xd0\x92\xd0\x95\xd0\x9a\xd0\x9c\xd0\x9d\xd0\x9e\xd0\xa0"
                      "\xd0\xa1\xd0\xa2\xd0\xa3\xd0\xa5"),  // Q then А В Е К М Н О Р С Т У Х
            "qabekmhopctyx");
  EXPECT_EQ(canonical("\xce\x91\xce\x92\xce\x95\xce\x96\xce\x97\xce\x99\xce\x9a\xce\x9c"
                      "\xce\x9d\xce\x9f\xce\xa1\xce\xa4\xce\xa5\xce\xa7"),  // Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ
            "abezhikmnoptyx");
  EXPECT_EQ(canonical("PK 12/2024"), canonical("P K 12/2024"));
  // "nr." / "br." (number) standing alone before the number is no part of it.
  for (const char* same : {"P.nr. 5/2020", "P nr 5/2020", "P. Nr. 5/2020", "P-NR-5/2020",
                           "P br. 5/2020", "P.\xd0\xb1\xd1\x80. 5/2020",  // Cyrillic бр
                           "P no. 5/2020", "P No 5/2020"}) {
    EXPECT_EQ(canonical(same), "p5/2020") << same;
  }
  EXPECT_EQ(canonical("nr. 5/2020"), "5/2020");
  // Elsewhere it stays: joined to another word (but "nr" in lower case onto capitals, "Pnr
  // 5/2020"), after the first number, or another word.
  EXPECT_EQ(canonical("Pnr 5/2020"), "p5/2020");
  for (const char* other : {"pnr 5/2020", "P 5 nr 6/2020", "P nrr 5/2020", "P nor. 5/2020"}) {
    EXPECT_NE(canonical(other), "p5/2020") << other;
    EXPECT_NE(canonical(other), "p56/2020") << other;
  }
  // The earlier form keeps it.
  EXPECT_EQ(CanonicalCaseNumber("P.nr. 5/2020", CaseNumberForm::kWithNumberWords).value_or(""),
            "pnr5/2020");
  // Other numbers, however separated, stay other numbers.
  for (const char* other : {"P 50/2020", "P 52/020", "P 5/2021", "P 5/20 20", "K 5/2020",
                            "P 5/2020/1", "P 5", "PP 5/2020", "P 0/2020"}) {
    EXPECT_NE(canonical(other), "p5/2020") << other;
  }
  EXPECT_EQ(canonical("P 52/020"), "p52/20");
  EXPECT_EQ(canonical("P 0/2020"), "p0/2020");
  EXPECT_EQ(canonical("P 00/2020"), "p0/2020");
  // A Serbian Cyrillic word reads as Serbian Latin writes it: Р is R, not P.
  EXPECT_NE(canonical("\xd0\xa0 5/2020"), "p5/2020");
  // A letter that looks like a digit, touching a number, is that digit; elsewhere a letter.
  for (const char* same : {"P 9173/2O21", "P 9173/2o21", "P 917\xd0\x97/2021",  // Cyrillic З
                           "P 9173/2\xd0\x9e" "21",                            // Cyrillic О
                           "P 9173/2\xce\x9f" "21",                            // Greek Ο
                           "P 9l73/2021", "P 9I73/2021", "P 9173/202l", "P O9173/2021"}) {
    EXPECT_EQ(canonical(same), "p9173/2021") << same;
  }
  for (const char* other : {"PO 5/2020", "Pl 5/2020", "P 5/2020 o", "PO5/2020"}) {
    EXPECT_NE(canonical(other), "p5/2020") << other;
  }
  EXPECT_EQ(CanonicalCaseNumber("P 9173/2O21", CaseNumberForm::kBeforeDigitLookAlikes)
                .value_or(""),
            "p9173/2o21");
  // So is a word of such letters only, standing alone, that a separator parts from a number;
  // not the first word, where the register's letters stand, nor a word with another letter.
  for (const char* same : {"P l/2020", "P I/2020", "P \xd1\x96/2020",  // Cyrillic і
                           "P l / 2020", "P 1/2O2O"}) {
    EXPECT_EQ(canonical(same), "p1/2020") << same;
  }
  EXPECT_EQ(canonical("P lO/2020"), "p10/2020");
  EXPECT_EQ(canonical("P 5/l"), "p5/1");
  for (const char* other : {"I 1/2020", "P lx/2020", "P Il", "PI 1/2020"}) {
    EXPECT_NE(canonical(other), "p1/2020") << other;
    EXPECT_NE(canonical(other), "p1/1/2020") << other;
  }
  EXPECT_EQ(canonical("I 5/2020"), "i5/2020");
  EXPECT_EQ(CanonicalCaseNumber("P l/2020", CaseNumberForm::kBeforeStandAloneLookAlikes)
                .value_or(""),
            "pl2020");
  EXPECT_EQ(CanonicalCaseNumber("P l/2O20", CaseNumberForm::kBeforeStandAloneLookAlikes)
                .value_or(""),
            "pl2020");
  // Bytes that are not UTF-8 never collapse into one another.
  EXPECT_NE(canonical("P \xff 5/2020"), canonical("P \xfe 5/2020"));
  EXPECT_NE(canonical("P \xff 5/2020"), "p5/2020");
}

// A stop between an erasure's commit and its compaction (the process killed, or the compaction
// failing) left the record's wrapped data key in the table files, and in every backup made until
// some later compaction. The erasure commits a marker, and the next CompactIfErasuresDue (at
// start-up, before a backup, in the retention run) removes the bytes and then the marker.
TEST_F(RecordStoreTest, AnErasureWhoseCompactionNeverRanIsCompactedByTheNext) {
  using ::testing::IsEmpty;
  using ::testing::Not;
  const std::string data = root_ + "/data";
  const Person person = MakePerson("Krasniqi", "Driton", "1975-02-03", "1000000124");
  const std::string id = CreateOrFail(person, MakeConviction("basic-prizren", "P 7/2020"));
  ASSERT_TRUE(db_->Flush().ok());
  absl::StatusOr<std::optional<std::string>> raw = db_->Get(Cf::kRecords, id);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  StoredHead head;
  ASSERT_TRUE(head.ParseFromString(**raw));
  const std::string wrapped_key = head.wrapped_dek();
  ASSERT_GE(wrapped_key.size(), 32u);
  ASSERT_THAT(testing::FilesContaining(data, wrapped_key), Not(IsEmpty()));
  absl::StatusOr<bool> nothing_due = store_->CompactIfErasuresDue();
  ASSERT_TRUE(nothing_due.ok()) << nothing_due.status();
  EXPECT_FALSE(*nothing_due);

  ASSERT_NO_FATAL_FAILURE(Expunge(id));
  // Stopped here: no compaction. The bytes are still in the older table file.
  EXPECT_THAT(testing::FilesContaining(data, wrapped_key), Not(IsEmpty()));

  absl::StatusOr<bool> compacted = store_->CompactIfErasuresDue();
  ASSERT_TRUE(compacted.ok()) << compacted.status();
  EXPECT_TRUE(*compacted);
  EXPECT_THAT(testing::FilesContaining(data, wrapped_key), IsEmpty());
  absl::StatusOr<bool> again = store_->CompactIfErasuresDue();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again) << "the marker outlived its compaction";
}

// A conviction erased while the canonical form kept "nr." left its row under that form's token
// ("pnr8/2020" for "P.nr. 8/2020"): it stays erased in every spelling, with the word or without.
TEST_F(RecordStoreTest, AConvictionErasedUnderTheEarlierFormStaysErasedInEverySpelling) {
  const Person person = MakePerson("Krasniqi", "Driton", "1975-02-03", "1000000125");
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "pnr8/2020", {"P.nr. 8/2020", "P nr 8/2020", "P 8/2020", "P br. 8/2020"},
      "P.nr. 9/2020"));
}

// A case number with a letter typed for a digit ("2O21" with the letter O, "917З" with Cyrillic
// Ze) was another case number: an expunged conviction could be entered again so, and a live one
// twice. And one stored, or erased, before such letters were read as digits keeps its earlier
// token, which the check still finds.
TEST_F(RecordStoreTest, ALetterTypedForADigitInTheCaseNumberIsTheSameConviction) {
  const Person person = MakePerson("Qorrolli", "Zyrafete", "1975-02-03", "1000000126");
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(
      person, "P 9173/2021", {"P 9173/2O21", "P 917\xd0\x97/2021", "P 9l73/2021"},
      {"P 9173/2O21", "P 917\xd0\x97/2021", "P 9173/2021"}));
  // Erased under the form that kept the letter: "p9173/2o22".
  ASSERT_NO_FATAL_FAILURE(
      ExpectErasedUnderEarlierForm(person, "p9173/2o22", {"P 9173/2O22"}, "P 9173/2023"));
}

// "P l/2020", with a lower-case L for the number, brought an expunged "P 1/2020" back: a letter
// standing alone for a number was read as a letter, because it touched no digit.
TEST_F(RecordStoreTest, ALetterStandingAloneForANumberInTheCaseNumberIsTheSameConviction) {
  const Person person = MakePerson("Qorrolli", "Zyrafete", "1975-02-03", "1000000126");
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "P 1/2020",
                                              {"P l/2020", "P I/2020", "P \xd1\x96/2020"},
                                              {"P l/2020", "P 1/2O2O", "P I / 2020"}));
  // Erased under the form that kept the word as letters: "pl2021".
  ASSERT_NO_FATAL_FAILURE(
      ExpectErasedUnderEarlierForm(person, "pl2021", {"P l/2021"}, "P lO/2021"));
}

// The uniqueness rule keys on the canonical case number: a second record of a live conviction,
// or the return of an expunged one, is refused in every spelling of its case number.
TEST_F(RecordStoreTest, AnotherSpellingOfTheCaseNumberIsTheSameConviction) {
  const Person person = MakePerson("Krasniqi", "Driton", "1975-02-03", "1000000123");
  const std::string live = CreateOrFail(person, MakeConviction("basic-prizren", "P 5/2020"));
  const std::string gone = CreateOrFail(person, MakeConviction("basic-prizren", "P 6/2020"));
  ASSERT_FALSE(live.empty());
  ASSERT_FALSE(gone.empty());
  ASSERT_NO_FATAL_FAILURE(Expunge(gone));
  for (const char* spelling : {"P5/2020", "P-5/2020", "P 05/2020", "P 5/2020.", "P 5 / 2020",
                               "P.5/2020", "\xce\xa1 5/2020", "P.nr. 5/2020", "P br. 5/2020",
                               "P no. 5/2020", "\xd0\x9f 5/2020", "P 5/20", "p.nr.5/20"}) {
    absl::StatusOr<std::string> again = Create(person, MakeConviction("basic-prizren", spelling));
    EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists)
        << spelling << ": " << again.status();
    const std::string expunged_spelling = absl::StrReplaceAll(spelling, {{"5", "6"}});
    absl::StatusOr<std::string> back =
        Create(person, MakeConviction("basic-prizren", expunged_spelling));
    EXPECT_EQ(back.status(), ErasedConvictionError()) << expunged_spelling;
    PendingWrite batch;
    EXPECT_EQ(store_->StageCreate(person, MakeConviction("basic-prizren", expunged_spelling),
                                  Meta(), &batch, nullptr),
              ErasedConvictionError())
        << expunged_spelling;
  }
  EXPECT_EQ(Ids(ByPersonalNumber("1000000123")), std::vector<std::string>{live});
  // The record keeps the case number as it was entered.
  absl::StatusOr<Record> stored = store_->Get(live);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->conviction().case_number(), "P 5/2020");
}

// Courts write a case number in Serbian Cyrillic or Latin, and its year in two digits or four:
// whichever way a record was stored, the other spellings find it (and its erasure), and another
// number or year is another case.
TEST_F(RecordStoreTest, ACaseNumberInTheOtherScriptOrWithItsYearShortIsTheSameConviction) {
  const Person person = MakePerson("Berisha", "Driton", "1980-01-10", "1000000601");
  // ПКР 77/2022 and P.KR.nr.88/22, as typed.
  CreateOrFail(person, MakeConviction("basic-prishtine", "\xd0\x9f\xd0\x9a\xd0\xa0 77/2022"));
  CreateOrFail(person, MakeConviction("basic-prishtine", "P.KR.nr.88/22"));
  const std::string erased =
      CreateOrFail(person, MakeConviction("basic-prishtine", "\xd0\x9f\xd0\x9a\xd0\xa0 99/21"));
  ASSERT_NO_FATAL_FAILURE(Expunge(erased));
  for (const char* same : {"PKR 77/2022", "PKR 77/22", "pkr-77/22", "PKR 88/2022",
                           "\xd0\x9f\xd0\x9a\xd0\xa0 88/22"}) {
    EXPECT_EQ(Create(person, MakeConviction("basic-prishtine", same)).status().code(),
              absl::StatusCode::kAlreadyExists)
        << same;
  }
  for (const char* back : {"PKR 99/2021", "P.KR.nr. 99/21", "PKR no. 99/2021"}) {
    EXPECT_EQ(Create(person, MakeConviction("basic-prishtine", back)).status(),
              ErasedConvictionError())
        << back;
  }
  for (const char* other : {"PKR 77/2023", "PKR 78/22", "PKR 77/1922", "PK 77/2022"}) {
    EXPECT_TRUE(Create(person, MakeConviction("basic-prishtine", other)).ok()) << other;
  }
  // Two spellings of one case in one batch (an import): the second is the first's duplicate.
  const Person other = MakePerson("Gashi", "Besa", "1990-01-02", "1000000602");
  PendingWrite batch;
  ASSERT_TRUE(
      store_->StageCreate(other, MakeConviction("basic-prishtine", "P 5/2021"), Meta(), &batch,
                          nullptr)
          .ok());
  EXPECT_EQ(store_->StageCreate(other, MakeConviction("basic-prishtine", "P 5/21"), Meta(), &batch,
                                nullptr)
                .code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(RecordStoreTest, DuplicateWithinOneStagedBatchIsAlreadyExists) {
  const Person person = MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890");
  const Conviction conviction = MakeConviction("basic-prishtine", "P 123/2024");
  {
    PendingWrite batch;
    ASSERT_TRUE(store_->StageCreate(person, conviction, Meta(), &batch, nullptr).ok());
    std::string existing = "unset";
    absl::Status dup = store_->StageCreate(person, conviction, Meta(), &batch, &existing);
    EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
    EXPECT_EQ(existing, "");  // the record it duplicates is in this batch, not yet stored
    ASSERT_TRUE(store_->StageCreate(person, MakeConviction("basic-prishtine", "P 9/2024"),
                                    Meta(), &batch, nullptr)
                    .ok());
    EXPECT_EQ(batch.record_ids().size(), 2u);
    ASSERT_TRUE(store_->StageDates(&batch).ok());
    ASSERT_TRUE(db_->Write(*batch.batch()).ok());
  }
  const std::vector<Record> stored = ByPersonalNumber("1234567890");
  ASSERT_EQ(stored.size(), 2u);

  // Against a stored record, the duplicate names it.
  PendingWrite batch;
  std::string existing;
  absl::Status dup = store_->StageCreate(person, conviction, Meta(), &batch, &existing);
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  const Record& original = stored[0].conviction().case_number() == "P 123/2024" ? stored[0]
                                                                                : stored[1];
  EXPECT_EQ(existing, original.metadata().record_id());
}

TEST_F(RecordStoreTest, SearchByPersonalNumberFindsEveryRecordOfThePerson) {
  const Person person = MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890");
  const std::string a = CreateOrFail(person, MakeConviction("basic-prishtine", "P 1/2024"));
  const std::string b = CreateOrFail(person, MakeConviction("basic-peje", "P 2/2024"));
  CreateOrFail(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
               MakeConviction("basic-prishtine", "P 3/2024"));

  const std::vector<std::string> ids = Ids(ByPersonalNumber("1234567890"));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), (std::set<std::string>{a, b}));
  for (const Record& r : ByPersonalNumber("1234567890")) {
    EXPECT_EQ(r.person().personal_number(), "1234567890");  // decrypted current version
  }
  EXPECT_TRUE(ByPersonalNumber("1234567899").empty());
  EXPECT_TRUE(ByPersonalNumber("123456789").empty());

  // The limit is honoured.
  std::string token;
  auto one = store_->SearchByPersonalNumber("1234567890", 1, &token);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST_F(RecordStoreTest, SearchByNameMatchesCaseDiacriticAndScriptVariants) {
  const std::string albanian =
      CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
                   MakeConviction("basic-prishtine", "P 1/2024"));
  const std::string serbian =
      CreateOrFail(MakePerson("Petrović", "Dragan", "1970-10-30", "2222222222"),
                   MakeConviction("basic-mitrovice", "P 2/2024"));

  for (const char* surname : {"Kërqeli", "Kerqeli", "KËRQELI", "kërqeli", "KERQELI"}) {
    EXPECT_EQ(Ids(ByName(surname, "Arben", "1980-04-12")), std::vector<std::string>{albanian})
        << surname;
  }
  EXPECT_EQ(Ids(ByName("KËRQELI", "ARBEN", "1980-04-12")), std::vector<std::string>{albanian});
  for (auto [surname, given] : {std::make_pair("Petrović", "Dragan"),
                                std::make_pair("Petrovic", "Dragan"),
                                std::make_pair("Петровић", "Драган"),
                                std::make_pair("ПЕТРОВИЋ", "драган")}) {
    EXPECT_EQ(Ids(ByName(surname, given, "1970-10-30")), std::vector<std::string>{serbian})
        << surname;
  }
}

TEST_F(RecordStoreTest, NearMissesFindNothing) {
  CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
               MakeConviction("basic-prishtine", "P 1/2024"));
  ASSERT_EQ(ByName("Kerqeli", "Arben", "1980-04-12").size(), 1u);  // the control matches
  EXPECT_TRUE(ByName("Kerqeli", "Arben", "1980-04-13").empty());
  EXPECT_TRUE(ByName("Kerqeli", "Arben", "1981-04-12").empty());
  EXPECT_TRUE(ByName("Kerqel", "Arben", "1980-04-12").empty());
  EXPECT_TRUE(ByName("Kerqelii", "Arben", "1980-04-12").empty());
  EXPECT_TRUE(ByName("Kerqeli", "Arbena", "1980-04-12").empty());
  // Surname and given name are not interchangeable.
  EXPECT_TRUE(ByName("Arben", "Kerqeli", "1980-04-12").empty());
  // A name that cannot be normalised is an error, not an empty result.
  std::string token;
  EXPECT_EQ(store_->SearchByName("Kerqeli7", "Arben", "1980-04-12", 10, &token).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RecordStoreTest, ChangeMakesVersionTwoAndHistoryKeepsBoth) {
  const std::string id = CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
                                      MakeConviction("basic-prishtine", "P 1/2024"));
  absl::StatusOr<uint32_t> version = ChangeSurname(id, 1, "Krasniqi", "typo in the judgment copy");
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 2u);

  absl::StatusOr<Record> current = store_->Get(id);
  ASSERT_TRUE(current.ok()) << current.status();
  EXPECT_EQ(current->metadata().version(), 2u);
  EXPECT_EQ(current->person().surname(), "Krasniqi");
  EXPECT_EQ(current->person().given_name(), "Arben");
  EXPECT_EQ(current->metadata().created_at(), "2026-01-02T03:04:05Z");
  EXPECT_EQ(current->metadata().updated_at(), "2026-02-03T04:05:06Z");

  auto history = store_->History(id);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].record().metadata().version(), 1u);
  EXPECT_EQ((*history)[0].record().person().surname(), "Kërqeli");
  EXPECT_EQ((*history)[0].reason(), "created");
  EXPECT_EQ((*history)[1].record().metadata().version(), 2u);
  EXPECT_EQ((*history)[1].record().person().surname(), "Krasniqi");
  EXPECT_EQ((*history)[1].reason(), "typo in the judgment copy");

  // The name index follows the current version only.
  EXPECT_TRUE(ByName("Kerqeli", "Arben", "1980-04-12").empty());
  EXPECT_EQ(Ids(ByName("Krasniqi", "Arben", "1980-04-12")), std::vector<std::string>{id});
}

TEST_F(RecordStoreTest, ExpectedVersionMismatchIsAborted) {
  const std::string id = CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
                                      MakeConviction("basic-prishtine", "P 1/2024"));
  bool called = false;
  {
    absl::StatusOr<PendingWrite> stale =
        store_->PrepareChange(id, 2, [&](Record*, std::string*, VersionMeta*) {
          called = true;
          return absl::OkStatus();
        });
    EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
    EXPECT_FALSE(called);
  }  // releases the record lock, should the check ever be missing

  ASSERT_TRUE(ChangeSurname(id, 1, "Krasniqi", "first").ok());
  // A clerk who read version 1 cannot overwrite version 2.
  EXPECT_EQ(ChangeSurname(id, 1, "Gashi", "second").status().code(), absl::StatusCode::kAborted);
  absl::StatusOr<Record> current = store_->Get(id);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->person().surname(), "Krasniqi");
  EXPECT_EQ(current->metadata().version(), 2u);
  // 0 skips the check.
  absl::StatusOr<uint32_t> unchecked = ChangeSurname(id, 0, "Gashi", "third");
  ASSERT_TRUE(unchecked.ok()) << unchecked.status();
  EXPECT_EQ(*unchecked, 3u);
  EXPECT_EQ(ChangeSurname(std::string(32, 'c'), 0, "X", "r").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RecordStoreTest, ChangeIntoAnotherRecordsConvictionIsAlreadyExists) {
  const Person person = MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890");
  CreateOrFail(person, MakeConviction("basic-prishtine", "P 1/2024"));
  const std::string second = CreateOrFail(person, MakeConviction("basic-prishtine", "P 2/2024"));
  auto to_case = [&](absl::string_view case_number) {
    absl::StatusOr<PendingWrite> pending = store_->PrepareChange(
        second, 0, [&](Record* record, std::string* why, VersionMeta* meta) {
          record->mutable_conviction()->set_case_number(std::string(case_number));
          *why = "case number corrected";
          *meta = Meta();
          return absl::OkStatus();
        });
    if (!pending.ok()) return pending.status();
    return db_->Write(*pending->batch());
  };
  EXPECT_EQ(to_case("P 1/2024").code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(to_case("P 3/2024").ok());
  // The combination it left is free again.
  EXPECT_TRUE(Create(person, MakeConviction("basic-prishtine", "P 2/2024")).ok());
  EXPECT_EQ(Create(person, MakeConviction("basic-prishtine", "P 3/2024")).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(RecordStoreTest, ConcurrentDuplicateCreatesAdmitExactlyOne) {
  const Person person = MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890");
  const Conviction conviction = MakeConviction("basic-prishtine", "P 1/2024");
  constexpr int kThreads = 8;
  std::vector<absl::StatusCode> codes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { codes[i] = Create(person, conviction).status().code(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kOk), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kAlreadyExists),
            kThreads - 1);
  EXPECT_EQ(ByPersonalNumber("1234567890").size(), 1u);
}

TEST_F(RecordStoreTest, ConcurrentChangesOfOneVersionAdmitExactlyOne) {
  const std::string id = CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
                                      MakeConviction("basic-prishtine", "P 1/2024"));
  constexpr int kThreads = 8;
  std::vector<absl::StatusCode> codes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      codes[i] = ChangeSurname(id, 1, absl::StrCat("Surname", std::string(i + 1, 'x')), "race")
                     .status()
                     .code();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kOk), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), absl::StatusCode::kAborted), kThreads - 1);
  auto history = store_->History(id);
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->size(), 2u);
}

TEST_F(RecordStoreTest, SuccessiveBulkStagesDoNotTripLockOrdering) {
  // Each batch stages many records whose uniqueness stripes come in hash order. Taken in that
  // order, two batches would take some pair of stripes in opposite orders, and Debian's abseil
  // (built with its lock-order checker on) aborts the process.
  for (int batch_no = 0; batch_no < 4; ++batch_no) {
    PendingWrite batch;
    for (int row = 0; row < 30; ++row) {
      const int n = batch_no * 100 + (batch_no % 2 == 0 ? row : 29 - row);
      const Conviction conviction =
          MakeConviction("basic-prishtine", absl::StrCat("P ", n, "/2024"));
      ASSERT_TRUE(store_
                      ->StageCreate(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
                                    conviction, Meta(), &batch, nullptr)
                      .ok());
    }
    ASSERT_TRUE(store_->StageDates(&batch).ok());
    ASSERT_TRUE(db_->Write(*batch.batch()).ok());
  }
  EXPECT_EQ(ByPersonalNumber("1111111111").size(), 100u);  // the search limit
}

// An import dates each person once, after its rows. Re-dating after every row staged every
// earlier record of the person again, rows²/2 head writes for one person with many rows, all
// while holding every stripe. The records still end with the dates in force that creating them
// one by one gives: the newest conviction's, for the stored record and every staged one.
TEST_F(RecordStoreTest, AnImportDatesEachPersonOnceAfterItsRows) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "1111111111");
  // Entered in 2020, when none of these is due for deletion yet.
  constexpr char kEntered[] = "2020-01-02T03:04:05Z";
  VersionMeta spent = Meta(kEntered);
  spent.own.final_date = "2009-01-10";
  spent.own.employer_visible_until = "2019-01-10";
  spent.own.delete_after = "2024-01-10";
  std::string stored_id;
  {
    absl::StatusOr<PendingWrite> first =
        store_->PrepareCreate(person, MakeConviction("basic-prishtine", "P 1/2009"), spent);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(db_->Write(*first->batch()).ok());
    stored_id = first->metadata().record_id();
  }  // releases the person's stripe

  // What staging one record writes, for the bound below.
  size_t per_record = 0;
  {
    PendingWrite one;
    ASSERT_TRUE(store_
                    ->StageCreate(MakePerson("Berisha", "Ana", "1980-02-02", "2222222222"),
                                  MakeConviction("basic-prizren", "P 1/2020"), Meta(), &one,
                                  nullptr)
                    .ok());
    per_record = one.staged().size();
  }

  constexpr int kRows = 120;
  PendingWrite batch;
  for (int row = 0; row < kRows; ++row) {
    // Each row final later than the one before, so each extends every earlier record.
    const int year = 2011 + row / 12;
    const std::string month_day = absl::StrFormat("-%02d-01", row % 12 + 1);
    VersionMeta meta = Meta(kEntered);
    meta.own.final_date = absl::StrCat(year, month_day);
    meta.own.employer_visible_until = absl::StrCat(year + 10, month_day);
    meta.own.delete_after = absl::StrCat(year + 15, month_day);
    ASSERT_TRUE(store_
                    ->StageCreate(person,
                                  MakeConviction("basic-prishtine", absl::StrCat("P ", row, "/2011")),
                                  meta, &batch, nullptr)
                    .ok());
  }
  EXPECT_TRUE(batch.dates_pending());
  EXPECT_EQ(batch.staged().size(), kRows * per_record);  // no re-dating yet
  ASSERT_TRUE(store_->StageDates(&batch).ok());
  EXPECT_FALSE(batch.dates_pending());
  // Each record of the person (the stored one and every row) re-dated at most once.
  EXPECT_LE(batch.staged().size(), kRows * per_record + kRows + 1);
  ASSERT_TRUE(db_->Write(*batch.batch()).ok());

  std::vector<std::string> ids = batch.record_ids();
  ids.push_back(stored_id);
  for (const std::string& id : ids) {
    absl::StatusOr<Record> got = store_->Get(id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->metadata().employer_visible_until(), "2030-12-01") << id;
    EXPECT_EQ(got->metadata().delete_after(), "2035-12-01") << id;
  }
}

// A batch whose persons were never re-dated is refused by the one writer, before anything is
// written: committing it would store records with the wrong dates in force.
TEST_F(RecordStoreTest, TheAuditLogRefusesABatchWhoseDatesArePending) {
  auto log_key = crypto::SecretBytes::Random(32);
  ASSERT_TRUE(log_key.ok());
  auto log = AuditLog::Open(db_.get(), SystemClock::Get(), *log_key);
  ASSERT_TRUE(log.ok()) << log.status();
  PendingWrite batch;
  ASSERT_TRUE(store_
                  ->StageCreate(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
                                MakeConviction("basic-prishtine", "P 1/2024"), Meta(), &batch,
                                nullptr)
                  .ok());
  const std::string id = batch.record_ids().at(0);
  absl::StatusOr<uint64_t> refused = (*log)->Append(registry::v1::AuditEvent(), &batch);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInternal) << refused.status();
  EXPECT_EQ((*log)->CurrentHead().size, 0u);
  EXPECT_TRUE(absl::IsNotFound(store_->Get(id).status()));

  ASSERT_TRUE(store_->StageDates(&batch).ok());
  absl::StatusOr<uint64_t> written = (*log)->Append(registry::v1::AuditEvent(), &batch);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_TRUE(store_->Get(id).ok());
}

TEST_F(RecordStoreTest, RewrapInManySmallBatchesTripsNoLockOrdering) {
  // As above, for the record stripes of successive re-wrap batches.
  for (int i = 0; i < 150; ++i) {
    CreateOrFail(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
                 MakeConviction("basic-prishtine", absl::StrCat("P ", i, "/2024")));
  }
  auto kek2 = crypto::SecretBytes::Random(crypto::kKekSize);
  ASSERT_TRUE(kek2.ok());
  keys_->Set(Ring({{1, kek1_}, {2, *kek2}}, 2));
  uint64_t rewrapped = 0;
  std::string after;
  do {
    PendingWrite w;
    auto last = store_->StageRewrapBatch(after, 20, &rewrapped, &w);
    ASSERT_TRUE(last.ok()) << last.status();
    ASSERT_TRUE(db_->Write(*w.batch()).ok());
    after = *last;
  } while (!after.empty());
  EXPECT_EQ(rewrapped, 150u);
}

// An effective record's dates: visible to employers until, deleted after.
MATCHER_P2(DatesAre, visible_until, delete_after,
           absl::StrCat("visible until ", visible_until, ", deleted after ", delete_after)) {
  *result_listener << "visible until " << arg.employer_visible_until << ", deleted after "
                   << arg.delete_after;
  return arg.employer_visible_until == visible_until && arg.delete_after == delete_after;
}

// A repeat offender's earlier convictions last as long as the later ones; a later one does not
// shorten an earlier one; convictions final on the same day extend each other.
TEST(EffectiveDatesTest, LaterConvictionsExtendEarlierOnes) {
  const std::vector<EffectiveRecordDates> dates = EffectiveDates({
      {"2014-01-10", "2024-01-10", "2029-01-10", "", true, "", {}, {}, ""},  // first offence, spent
      {"2020-03-01", "2030-03-01", "2035-03-01", "", true, "", {}, {}, ""},  // second
      // between, shorter own dates
      {"2018-06-01", "2022-01-01", "2027-01-01", "", true, "", {}, {}, ""},
  });
  ASSERT_EQ(dates.size(), 3u);
  EXPECT_THAT(dates[0], DatesAre("2030-03-01", "2035-03-01"));
  EXPECT_THAT(dates[1], DatesAre("2030-03-01", "2035-03-01"));  // the newest keeps its own
  EXPECT_THAT(dates[2], DatesAre("2030-03-01", "2035-03-01"));

  // An earlier conviction with longer dates does not extend a later one.
  const std::vector<EffectiveRecordDates> apart = EffectiveDates({
      {"2010-01-01", "2040-01-01", "2050-01-01", "", true, "", {}, {}, ""},
      {"2020-01-01", "2030-01-01", "2035-01-01", "", true, "", {}, {}, ""},
  });
  EXPECT_EQ(apart[0].employer_visible_until, "2040-01-01");
  EXPECT_THAT(apart[1], DatesAre("2030-01-01", "2035-01-01"));

  const std::vector<EffectiveRecordDates> same_day = EffectiveDates({
      {"2020-01-01", "2030-01-01", "2031-01-01", "", true, "", {}, {}, ""},
      {"2020-01-01", "2025-01-01", "2040-01-01", "", true, "", {}, {}, ""},
  });
  EXPECT_THAT(same_day[0], DatesAre("2030-01-01", "2040-01-01"));
  EXPECT_THAT(same_day[1], DatesAre("2030-01-01", "2040-01-01"));

  // Deletion comes after visibility ends, the day after at the earliest (a record is not erased
  // on a day it still counts), and a lone conviction otherwise keeps its own dates.
  const std::vector<EffectiveRecordDates> lone =
      EffectiveDates({{"2020-01-01", "2030-01-01", "2030-01-01", "", true, "", {}, {}, ""}});
  EXPECT_THAT(lone[0], DatesAre("2030-01-01", "2030-01-02"));
  const std::vector<EffectiveRecordDates> at_year_end =
      EffectiveDates({{"2020-01-01", "2030-12-31", "2025-01-01", "", true, "", {}, {}, ""}});
  EXPECT_THAT(at_year_end[0], DatesAre("2030-12-31", "2031-01-01"));
  const std::vector<EffectiveRecordDates> own =
      EffectiveDates({{"2020-01-01", "2030-01-01", "2035-01-01", "", true, "", {}, {}, ""}});
  EXPECT_THAT(own[0], DatesAre("2030-01-01", "2035-01-01"));
  EXPECT_TRUE(EffectiveDates({}).empty());
}

// A conviction final after an earlier one had stopped counting for vetting does not revive it:
// art. 103 rehabilitation lapses on a new offence within the period, and here it had come. One
// within the period extends it, and so brings within it a still later one that falls inside the
// extended period (in whatever order the convictions come).
TEST(EffectiveDatesTest, AConvictionFinalAfterAnEarlierOneStoppedCountingDoesNotReviveIt) {
  const PersonConviction spent{"2014-01-10", "2024-01-10", "2029-01-10", "", true, "", {}, {}, ""};
  const PersonConviction after{"2025-06-01", "2035-06-01", "2040-06-01", "", true, "", {}, {}, ""};
  std::vector<EffectiveRecordDates> dates = EffectiveDates({spent, after});
  EXPECT_THAT(dates[0], DatesAre("2024-01-10", "2029-01-10"));
  EXPECT_THAT(dates[1], DatesAre("2035-06-01", "2040-06-01"));
  // The day after its last day is after; the last day itself is within.
  PersonConviction next_day = after;
  next_day.final_date = "2024-01-11";
  EXPECT_THAT(EffectiveDates({spent, next_day})[0], DatesAre("2024-01-10", "2029-01-10"));
  PersonConviction last_day = after;
  last_day.final_date = "2024-01-10";
  EXPECT_THAT(EffectiveDates({spent, last_day})[0], DatesAre("2035-06-01", "2040-06-01"));

  // A chain: the second (within the first's period) extends the first to 2032; the third, final
  // in 2030, is then within it too. A fourth, final after every period ended, extends none.
  const PersonConviction second{"2022-05-01", "2032-05-01", "2037-05-01", "", true, "", {}, {}, ""};
  const PersonConviction third{"2030-02-01", "2040-02-01", "2045-02-01", "", true, "", {}, {}, ""};
  const PersonConviction fourth{"2041-03-01", "2051-03-01", "2056-03-01", "", true, "", {}, {}, ""};
  for (const auto& order : std::vector<std::vector<PersonConviction>>{
           {spent, second, third, fourth}, {fourth, third, second, spent}}) {
    dates = EffectiveDates(order);
    for (size_t i = 0; i < order.size(); ++i) {
      SCOPED_TRACE(order[i].final_date);
      if (order[i].final_date == "2041-03-01") {
        EXPECT_THAT(dates[i], DatesAre("2051-03-01", "2056-03-01"));
      } else {
        EXPECT_THAT(dates[i], DatesAre("2040-02-01", "2045-02-01"));
      }
    }
  }
}

// Under one personal number, a later record that names someone else extends nothing, and a
// disputed one extends deletion only: neither may make a spent record visible to employers.
TEST(EffectiveDatesTest, OnlyTheSamePersonsActiveRecordsExtendVisibility) {
  const PersonConviction spent{"2014-01-10", "2024-01-10", "2029-01-10", "arben",
                               true, "", {}, {}, ""};
  PersonConviction later{"2024-01-10", "2034-01-10", "2039-01-10", "arben", true, "", {}, {}, ""};
  EXPECT_THAT(EffectiveDates({spent, later})[0], DatesAre("2034-01-10", "2039-01-10"));

  later.active = false;  // disputed
  EXPECT_THAT(EffectiveDates({spent, later})[0], DatesAre("2024-01-10", "2039-01-10"));
  EXPECT_THAT(EffectiveDates({spent, later})[1], DatesAre("2034-01-10", "2039-01-10"));

  later.active = true;
  later.person = "arta";  // another name or birth date under the same number
  EXPECT_THAT(EffectiveDates({spent, later})[0], DatesAre("2024-01-10", "2029-01-10"));

  // The same person in another spelling only (the loose token): deletion, not visibility.
  PersonConviction spent_loose = spent;
  spent_loose.loose_person = "arben~";
  later.loose_person = "arben~";
  EXPECT_THAT(EffectiveDates({spent_loose, later})[0], DatesAre("2024-01-10", "2039-01-10"));
  // A head from before the loose token links by the exact one alone.
  later.loose_person = "";
  EXPECT_THAT(EffectiveDates({spent, later})[0], DatesAre("2024-01-10", "2029-01-10"));
  // Under the same personal number, whatever it names: deletion, not visibility.
  PersonConviction spent_numbered = spent;
  spent_numbered.number = "9910000003~";
  later.number = "9910000003~";
  EXPECT_THAT(EffectiveDates({spent_numbered, later})[0], DatesAre("2024-01-10", "2039-01-10"));
}

// A record that only keeps another from deletion (another person's under the number, the
// person's in another spelling, or their own disputed one) does not lengthen the earlier one's
// period for vetting: the same person's later record, final after that period as it stands from
// their own active records, revives nothing, and a spent record stays spent (REFER, not
// NOT_CLEAR). Such a record still lengthens the period for deletion.
TEST(EffectiveDatesTest, ARecordThatOnlyKeepsAnotherFromDeletionDoesNotLengthenItsVettingPeriod) {
  // Berisha Vjosa: spent on 2023-03-01.
  const PersonConviction spent{"2013-03-01", "2023-03-01", "2028-03-01", "berisha",
                               true, "berisa~", {}, {}, "3000000040~"};
  // Hoxha-Berisha with the alias Berisha, final 2025-01-01: after the spent one stopped counting.
  const PersonConviction own_later{"2025-01-01", "2035-01-01", "2040-01-01", "hoxha-berisha",
                                   true, "hoxa-berisa~", {"berisha"}, {"berisa~"}, "3000000040~"};
  // Within the spent one's period, counting until 2032-12-01.
  const PersonConviction another_person{"2022-12-01", "2032-12-01", "2037-12-01", "gashi",
                                        true, "gasi~", {}, {}, "3000000040~"};
  PersonConviction loose = another_person;
  loose.person = "berisa";  // another spelling (the loose token alone), under no number
  loose.loose_person = "berisa~";
  loose.number = "";
  PersonConviction disputed = another_person;
  disputed.person = "berisha";
  disputed.loose_person = "berisa~";
  disputed.active = false;
  const std::vector<std::pair<const char*, PersonConviction>> keepers = {
      {"another person under the number", another_person},
      {"another spelling", loose},
      {"disputed", disputed}};
  for (const auto& [what, keeper] : keepers) {
    SCOPED_TRACE(what);
    // Alone, it keeps the spent one from deletion only.
    EXPECT_THAT(EffectiveDates({spent, keeper})[0], DatesAre("2023-03-01", "2037-12-01"));
    // With the person's own later record, final after the spent one's period for vetting: that
    // one stays spent, and is kept from deletion as long as the later ones (the keeper's period
    // takes the later one in for deletion), in whatever order they come.
    std::vector<EffectiveRecordDates> dates = EffectiveDates({spent, keeper, own_later});
    EXPECT_THAT(dates[0], DatesAre("2023-03-01", "2040-01-01"));
    EXPECT_THAT(dates[2], DatesAre("2035-01-01", "2040-01-01"));
    dates = EffectiveDates({own_later, keeper, spent});
    EXPECT_THAT(dates[2], DatesAre("2023-03-01", "2040-01-01"));
  }
  // The person's own active record within the period still lengthens it for vetting.
  PersonConviction own_within = disputed;
  own_within.active = true;
  EXPECT_THAT(EffectiveDates({spent, own_within, own_later})[0],
              DatesAre("2035-01-01", "2040-01-01"));
}

// An alias (a maiden or married surname in the surname's place) names the same person as the
// court's search takes it: a record whose name or alias is another's name or alias extends its
// visibility, and so do the records linked to it through another such record.
TEST(EffectiveDatesTest, ARecordNamingThePersonByAnAliasExtendsVisibility) {
  const PersonConviction spent{"2015-01-10", "2025-01-10", "2030-01-10", "berisha",
                               true, "", {}, {}, ""};
  PersonConviction married{"2024-06-01", "2034-06-01", "2039-06-01", "hoxha-berisha",
                           true, "", {}, {}, ""};
  EXPECT_THAT(EffectiveDates({spent, married})[0], DatesAre("2025-01-10", "2030-01-10"));
  married.alias_persons = {"berisha"};
  EXPECT_THAT(EffectiveDates({spent, married})[0], DatesAre("2034-06-01", "2039-06-01"));
  // The earlier one giving the later surname as an alias links them alike.
  PersonConviction spent_aliased = spent;
  spent_aliased.alias_persons = {"hoxha-berisha"};
  married.alias_persons.clear();
  EXPECT_THAT(EffectiveDates({spent_aliased, married})[0],
              DatesAre("2034-06-01", "2039-06-01"));
  // Through a third record: Berisha, Hoxha-Berisha with the alias Berisha, Hoxha-Berisha.
  PersonConviction linking{"2020-01-10", "2030-01-10", "2035-01-10", "hoxha-berisha",
                           true, "", {}, {}, ""};
  linking.alias_persons = {"berisha"};
  EXPECT_THAT(EffectiveDates({spent, linking, married})[0],
              DatesAre("2034-06-01", "2039-06-01"));
  // An alias in another spelling only (loose): deletion, not visibility.
  PersonConviction spent_loose = spent;
  spent_loose.loose_person = "berisha~";
  married.alias_loose_persons = {"berisha~"};
  EXPECT_THAT(EffectiveDates({spent_loose, married})[0], DatesAre("2025-01-10", "2039-06-01"));
}

// A check about a person without a record reads a block of the records table, as one about a
// person with a record does: a stand-in key that is not in the table would be answered by the
// table's filter without one, and a registry larger than its cache would then answer "no
// record" measurably faster than "spent".
TEST_F(RecordStoreTest, ACandidateWithoutARecordReadsARecordsBlock) {
  CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
               MakeConviction("basic-prishtine", "P 1/2024"));
  // Only the records family goes to a table file; the index rows stay in memory, so every block
  // read counted below is the records table's.
  ASSERT_TRUE(db_->CompactRange(Cf::kRecords, "", "").ok());
  // No record names the candidate, under their number or another.
  auto tokens = store_->TokensForCandidate("9999999999", "Rexhepi", "Drita", "1990-02-03");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  const auto blocks_read = [](const std::function<void()>& read) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    rocksdb::get_perf_context()->Reset();
    read();
    const uint64_t blocks = rocksdb::get_perf_context()->block_read_count;
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return blocks;
  };
  // What the test rests on: a key the table does not hold costs no block read.
  EXPECT_EQ(blocks_read([&] {
              auto absent = db_->Get(Cf::kRecords, std::string(32, '0'));
              EXPECT_TRUE(absent.ok() && !absent->has_value());
            }),
            0u);
  absl::StatusOr<std::vector<VettingFacts>> facts;
  EXPECT_GE(blocks_read([&] { facts = store_->FactsForVetting(*tokens); }), 1u);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_TRUE(facts->empty());
}

// However many records a person has up to the floor, a check reads as many heads (records, then
// stand-ins), opens as many sealed dates and compares as many MACs: the work does not tell "no
// record" from one or a few spent records. Only a person with more costs more.
TEST_F(RecordStoreTest, VettingWorkDoesNotGrowWithThePersonsRecordsUpToTheFloor) {
  const size_t floor = RecordStore::kVettingWorkFloor;
  for (size_t records = 0; records <= floor + 1; ++records) {
    SCOPED_TRACE(records);
    const std::string pn = absl::StrCat("55555000", records, "0");
    // A birth date of each round's own: the earlier rounds' records must not name this candidate.
    const std::string born = absl::StrCat("1985-02-0", records + 1);
    for (size_t i = 0; i < records; ++i) {
      CreateOrFail(MakePerson("Krasniqi", "Dren", born, pn),
                   MakeConviction("basic-prishtine", absl::StrCat("P ", 100 + i, "/2020")));
    }
    auto tokens = store_->TokensForCandidate(pn, "Krasniqi", "Dren", born);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    const uint64_t before = store_->VettingHeadsRead();
    absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
    ASSERT_TRUE(facts.ok()) << facts.status();
    EXPECT_EQ(facts->size(), records);
    EXPECT_EQ(store_->VettingHeadsRead() - before, std::max(records, floor));
  }
}

// The KJC review's case: a record that names the candidate exactly (name and birth date) under
// another personal number is found by the name index, marked as under another number, with its
// dates in force; a record of that number under another name is not.
TEST_F(RecordStoreTest, FactsForVettingFindARecordNamingTheCandidateUnderAnotherNumber) {
  const std::string id =
      CreateOrFail(MakePerson("Tha\xc3\xa7i", "Dardan", "1985-07-15", "4000000001"),
                   MakeConviction("basic-prishtine", "P 1/2024"));
  CreateOrFail(MakePerson("Tha\xc3\xa7i", "Blerta", "1985-07-15", "4000000001"),
               MakeConviction("basic-prishtine", "P 2/2024"));
  auto tokens = store_->TokensForCandidate("4000000099", "Tha\xc3\xa7i", "Dardan", "1985-07-15");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), 1u);
  EXPECT_EQ((*facts)[0].record_id, id);
  EXPECT_TRUE((*facts)[0].under_other_number);
  EXPECT_TRUE((*facts)[0].identity_matches);
  EXPECT_EQ((*facts)[0].status, registry::v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ((*facts)[0].employer_visible_until, "2034-05-15");

  // Under the candidate's own number the same record is the number's, found once.
  auto own = store_->TokensForCandidate("4000000001", "Tha\xc3\xa7i", "Dardan", "1985-07-15");
  ASSERT_TRUE(own.ok()) << own.status();
  facts = store_->FactsForVetting(*own);
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), 2u);
  for (const VettingFacts& f : *facts) EXPECT_FALSE(f.under_other_number) << f.record_id;
}

// A surname typed in Cyrillic letters that look Latin ("Рера" sounds "Rera", reads "Pepa") finds
// the record naming the candidate as the name reads, under another number, as the Latin spelling
// does; each record is read once however many forms find it, and the forms' index reads depend
// on the name typed only (a Latin name has none).
TEST_F(RecordStoreTest, FactsForVettingFindARecordNamedAsACyrillicLookAlikeNameReads) {
  const std::string id = CreateOrFail(MakePerson("Pepa", "Arben", "1981-01-01", "2000000300"),
                                      MakeConviction("basic-prishtine", "P 3/2024"));
  const auto facts_for = [&](const std::string& surname, const std::string& given) {
    return FactsFor("2000000301", surname, given, "1981-01-01");
  };
  for (const auto& [surname, given] : std::vector<std::pair<std::string, std::string>>{
           {"Pepa", "Arben"},
           {"\u0420\u0435\u0440\u0430", "Arben"},           // Рера
           {"\u0420\u0415\u0420\u0410", "Arben"},           // РЕРА
           {"\u0420\u0435\u0440\u0430", "\u0410\u0440\u0431\u0435\u043d"}}) {  // Арбен
    SCOPED_TRACE(absl::CHexEscape(surname));
    const std::vector<VettingFacts> facts = facts_for(surname, given);
    ASSERT_NO_FATAL_FAILURE(ExpectNamesTheCandidate(facts, id));
    EXPECT_FALSE(facts[0].person_token.empty());
  }
  // Read by sound, "Рера" is Rera: another name, and a record so named is found by it too.
  const std::string rera = CreateOrFail(
      MakePerson("Rera", "Arben", "1981-01-01", "2000000302"),
      MakeConviction("basic-prishtine", "P 4/2024"));
  const std::vector<VettingFacts> both = facts_for("\u0420\u0435\u0440\u0430", "Arben");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_THAT((std::vector<std::string>{both[0].record_id, both[1].record_id}),
              ::testing::UnorderedElementsAre(id, rera));
  EXPECT_THAT(facts_for("Rera", "Arben"), ::testing::SizeIs(1));

  // A Latin name without a word that looks Cyrillic has no other form ("Pepa" has one, "Rera").
  auto latin = store_->TokensForCandidate("2000000301", "Gashi", "Arben", "1981-01-01");
  ASSERT_TRUE(latin.ok()) << latin.status();
  EXPECT_TRUE(latin->names_as_seen.empty());
  // Surname, given name, or both as they read: at most three more forms.
  auto cyrillic = store_->TokensForCandidate("2000000301", "\u0420\u0435\u0440\u0430",
                                             "\u0410\u043d\u0430", "1981-01-01");  // Рера Ана
  ASSERT_TRUE(cyrillic.ok()) << cyrillic.status();
  EXPECT_EQ(cyrillic->names_as_seen.size(), 3u);
}

// Every form the vetting lookup reads a name under takes from a daily bucket: "Рера Вера" sounds
// "Rera Vera" and reads "Pepa Bepa", and is looked up as "Pepa Vera" and "Rera Bepa" too, so its
// limit tokens are those of all four names, and a mixed form buys no fresh day of guesses at the
// birth date of a "Pepa Vera" whose own bucket is spent.
TEST_F(RecordStoreTest, TheNameLimitTokensCoverEveryFormTheVettingLookupReadsTheNameUnder) {
  const auto first_token = [&](const std::string& surname, const std::string& given) {
    absl::StatusOr<std::vector<std::string>> tokens = store_->NameLimitTokens(surname, given);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    return tokens.ok() && !tokens->empty() ? tokens->front() : std::string();
  };
  absl::StatusOr<std::vector<std::string>> cyrillic =
      store_->NameLimitTokens("\u0420\u0435\u0440\u0430", "\u0412\u0435\u0440\u0430");
  ASSERT_TRUE(cyrillic.ok()) << cyrillic.status();
  EXPECT_THAT(*cyrillic, ::testing::IsSupersetOf(
                             {first_token("Rera", "Vera"), first_token("Pepa", "Vera"),
                              first_token("Rera", "Bepa"), first_token("Pepa", "Bepa")}));
  // As many as the lookup reads: one more than the candidate's other forms, and each form's
  // words in any order.
  auto lookup = store_->TokensForCandidate("2000000301", "\u0420\u0435\u0440\u0430",
                                           "\u0412\u0435\u0440\u0430", "1990-03-15");
  ASSERT_TRUE(lookup.ok()) << lookup.status();
  EXPECT_EQ(lookup->names_any_order.size(), 4u);
  // Per form, 1 + the joins with 2 each; and each of the four words alone (rera, pepa, vera,
  // bepa), which the limit does not take from (a bucket of one word would hold every check of a
  // common surname).
  EXPECT_EQ(lookup->name_word_pairs.size(), 4 * 5u + 4u);
  EXPECT_EQ(cyrillic->size(), lookup->names_as_seen.size() + 1 + lookup->names_any_order.size() +
                                  lookup->name_word_pairs.size() - 4u);
  // A Latin name without a word that looks Cyrillic is one bucket, that of its words in any
  // order ("Vera Gashi") and those of its two words (the two words, and each word with the name
  // joined each way).
  absl::StatusOr<std::vector<std::string>> latin = store_->NameLimitTokens("Gashi", "Vera");
  ASSERT_TRUE(latin.ok()) << latin.status();
  EXPECT_THAT(*latin, ::testing::SizeIs(7));
  absl::StatusOr<std::vector<std::string>> swapped = store_->NameLimitTokens("Vera", "Gashi");
  ASSERT_TRUE(swapped.ok()) << swapped.status();
  EXPECT_THAT(*swapped, ::testing::Contains(latin->back()));
}

// The other way round: a name stored in Cyrillic ("Петровић Марко", "Рера Arben") that an
// employer copies by eye into Latin letters ("Mapko", "Pepa", which sound otherwise) is found
// under another number as the Cyrillic those letters look like reads, as the spelling by sound
// is, without any record filed anew; each record once.
TEST_F(RecordStoreTest, FactsForVettingFindARecordInCyrillicNamedAsALatinLookAlikeNameReads) {
  const std::string marko =
      CreateOrFail(MakePerson("Петровић", "Марко", "1979-07-07", "1000000007"),
                   MakeConviction("basic-prishtine", "P 7/2024"));
  const std::string rera = CreateOrFail(MakePerson("Рера", "Arben", "1982-02-02", "1000000008"),
                                        MakeConviction("basic-prishtine", "P 8/2024"));
  const auto facts_for = [&](const std::string& surname, const std::string& given,
                             const std::string& born) {
    return FactsFor("1000000094", surname, given, born);
  };
  struct Probe {
    const char* surname;
    const char* given;
    const char* born;
    const std::string* found;
  };
  for (const Probe& probe : {Probe{"Петровић", "Mapko", "1979-07-07", &marko},
                             Probe{"Petrović", "Mapko", "1979-07-07", &marko},
                             Probe{"Petrović", "MAPKO", "1979-07-07", &marko},
                             Probe{"Petrović", "Marko", "1979-07-07", &marko},
                             Probe{"Pepa", "Arben", "1982-02-02", &rera},
                             Probe{"PEPA", "Arben", "1982-02-02", &rera},
                             Probe{"Pepa", "Арбен", "1982-02-02", &rera},
                             Probe{"Rera", "Arben", "1982-02-02", &rera}}) {
    SCOPED_TRACE(absl::StrCat(probe.surname, " ", probe.given));
    const std::vector<VettingFacts> facts = facts_for(probe.surname, probe.given, probe.born);
    ASSERT_NO_FATAL_FAILURE(ExpectNamesTheCandidate(facts, *probe.found));
    EXPECT_FALSE(facts[0].person_token.empty());
  }
  // Another birth date, or a word with a letter that looks like no Cyrillic one, names no one.
  EXPECT_THAT(facts_for("Pepa", "Arben", "1982-02-03"), ::testing::IsEmpty());
  EXPECT_THAT(facts_for("Petrović", "Mapkos", "1979-07-07"), ::testing::IsEmpty());

  // The forms read depend on the name typed only, each once: a name whose every field is in one
  // alphabet has at most three; one with both kinds of look-alike word in each field, eight.
  const auto forms = [&](const std::string& surname, const std::string& given) {
    auto tokens = store_->TokensForCandidate("1000000094", surname, given, "1979-07-07");
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    if (!tokens.ok()) return std::vector<std::string>();
    return tokens->names_as_seen;
  };
  EXPECT_THAT(forms("Petrović", "Mapko"), ::testing::SizeIs(1));
  EXPECT_THAT(forms("Pepa", "Mapko"), ::testing::SizeIs(3));
  const std::vector<std::string> most = forms("Рера Pepa", "Ана Mapko");
  EXPECT_THAT(most, ::testing::SizeIs(8));
  EXPECT_EQ(std::set<std::string>(most.begin(), most.end()).size(), most.size());
}

// The name limit takes from the bucket of the Cyrillic a Latin look-alike name reads as: "Mapko"
// and "Pepa", looked up as "Марко" and "Рера", take from the buckets of "Marko" and "Rera" too.
TEST_F(RecordStoreTest, TheNameLimitTokensCoverTheCyrillicALatinLookAlikeNameReadsAs) {
  const auto first_token = [&](const std::string& surname, const std::string& given) {
    absl::StatusOr<std::vector<std::string>> tokens = store_->NameLimitTokens(surname, given);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    return tokens.ok() && !tokens->empty() ? tokens->front() : std::string();
  };
  absl::StatusOr<std::vector<std::string>> mapko = store_->NameLimitTokens("Петровић", "Mapko");
  ASSERT_TRUE(mapko.ok()) << mapko.status();
  EXPECT_THAT(*mapko, ::testing::IsSupersetOf({first_token("Petrović", "Mapko"),
                                               first_token("Petrović", "Marko")}));
  absl::StatusOr<std::vector<std::string>> pepa = store_->NameLimitTokens("PEPA", "Arben");
  ASSERT_TRUE(pepa.ok()) << pepa.status();
  EXPECT_THAT(*pepa, ::testing::IsSupersetOf({first_token("Pepa", "Arben"),
                                              first_token("Рера", "Arben")}));
  // As many as the lookup reads: one more than the candidate's other forms and other ways of
  // writing them, whatever mix; but each word alone (of each form) and field joined, which the
  // limit does not take from.
  for (const auto& [surname, given, alone] :
       std::vector<std::tuple<std::string, std::string, size_t>>{
           {"Pepa", "Mapko", 4}, {"Рера Pepa", "Ана Mapko", 12}, {"Рера", "Mapko", 4}}) {
    absl::StatusOr<std::vector<std::string>> limit = store_->NameLimitTokens(surname, given);
    ASSERT_TRUE(limit.ok()) << limit.status();
    auto lookup = store_->TokensForCandidate("1000000094", surname, given, "1979-07-07");
    ASSERT_TRUE(lookup.ok()) << lookup.status();
    EXPECT_EQ(limit->size(), lookup->names_as_seen.size() + 1 +
                                 lookup->given_name_words.size() +
                                 lookup->names_any_order.size() + lookup->name_parts.size() +
                                 lookup->name_word_pairs.size() - alone)
        << surname << " " << given;
  }
}

// A name typed with a letter that looks like another than the one the name index folds it to
// ("Krɣeziu": small gamma, folded to g, looks like y; "Mʋja", "ſetahu", Cyrillic "КаЬако" with
// the soft sign, "Peħa" read as the Cyrillic "Рећа") finds under another number the record that
// names the candidate as the name reads, and takes from that name's daily bucket.
TEST_F(RecordStoreTest, FactsForVettingFindARecordNamedAsALetterThatLooksLikeAnotherReads) {
  struct Case {
    const char* filed_surname;
    const char* filed_given;
    const char* number;
    const char* typed_surname;
    const char* typed_given;
  };
  const Case cases[] = {
      {"Kryeziu", "Arben", "3000000001", "Kr\u0263eziu", "Arben"},
      {"Muja", "Besnik", "3000000002", "M\u028Bja", "Besnik"},
      {"Fetahu", "Drita", "3000000003", "\u017Fetahu", "Drita"},
      {"Kabako", "Agim", "3000000004",
       "\u041A\u0430\u042C\u0430\u043A\u043E", "Agim"},  // КаЬако
      {"\u0420\u0435\u045B\u0430", "Arben", "3000000005", "Pe\u0127a", "Arben"},  // Рећа
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filed_surname);
    const std::string id =
        CreateOrFail(MakePerson(c.filed_surname, c.filed_given, "1983-03-03", c.number),
                     MakeConviction("basic-prishtine", absl::StrCat("P ", 90 + ++n, "/2024")));
    auto tokens =
        store_->TokensForCandidate("3000000099", c.typed_surname, c.typed_given, "1983-03-03");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
    ASSERT_TRUE(facts.ok()) << facts.status();
    ASSERT_EQ(facts->size(), 1u);
    EXPECT_EQ(facts->front().record_id, id);
    EXPECT_TRUE(facts->front().under_other_number);
    EXPECT_TRUE(facts->front().identity_matches);

    absl::StatusOr<std::vector<std::string>> limit =
        store_->NameLimitTokens(c.typed_surname, c.typed_given);
    ASSERT_TRUE(limit.ok()) << limit.status();
    absl::StatusOr<std::vector<std::string>> filed =
        store_->NameLimitTokens(c.filed_surname, c.filed_given);
    ASSERT_TRUE(filed.ok()) << filed.status();
    EXPECT_THAT(*limit, ::testing::Contains(filed->front()));
  }
}

// The two readings combine: a name that reads by eye otherwise ("Рера" reads "Pepa", "Pepa"
// copied from "Рера", "Mapko" from "Марко") is looked up by each of its given names too, in each
// form, so a record that names the candidate by one of its given names, as the name reads, is
// found under another number; and the name's daily buckets cover each such form.
TEST_F(RecordStoreTest, FactsForVettingFindARecordByOneOfItsGivenNamesAsTheNameReadsByEye) {
  const std::string pepa = CreateOrFail(MakePerson("Pepa", "Arben Ali", "1984-04-04", "3000000101"),
                                        MakeConviction("basic-prishtine", "P 101/2024"));
  // Рера Марко Јован.
  const std::string rera = CreateOrFail(
      MakePerson("\u0420\u0435\u0440\u0430",
                 "\u041C\u0430\u0440\u043A\u043E \u0408\u043E\u0432\u0430\u043D",
                 "1984-04-05", "3000000102"),
      MakeConviction("basic-prishtine", "P 102/2024"));
  const std::string hoti = CreateOrFail(MakePerson("Pepa", "Besnik", "1984-04-06", "3000000103"),
                                        MakeConviction("basic-prishtine", "P 103/2024"));
  struct Probe {
    const char* surname;
    const char* given;
    const char* born;
    const std::string* found;
  };
  for (const Probe& probe : {
           Probe{"\u0420\u0435\u0440\u0430", "Arben", "1984-04-04", &pepa},     // Рера
           Probe{"\u0420\u0435\u0440\u0430", "Ali", "1984-04-04", &pepa},
           Probe{"\u0420\u0415\u0420\u0410", "Ali Arben", "1984-04-04", &pepa},
           Probe{"Pepa", "Mapko", "1984-04-05", &rera},
           Probe{"Pepa", "Jobah", "1984-04-05", &rera},  // Јован copied by eye
           Probe{"Rera", "Mapko", "1984-04-05", &rera},
           Probe{"\u0420\u0435\u0440\u0430", "Besnik Ali", "1984-04-06", &hoti}}) {
    SCOPED_TRACE(absl::StrCat(absl::CHexEscape(probe.surname), " ", probe.given));
    auto tokens = store_->TokensForCandidate("3000000199", probe.surname, probe.given, probe.born);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
    ASSERT_TRUE(facts.ok()) << facts.status();
    ASSERT_EQ(facts->size(), 1u);
    EXPECT_EQ(facts->front().record_id, *probe.found);
    EXPECT_TRUE(facts->front().under_other_number);
    EXPECT_TRUE(facts->front().identity_matches);
  }

  const auto first_token = [&](const std::string& surname, const std::string& given) {
    absl::StatusOr<std::vector<std::string>> tokens = store_->NameLimitTokens(surname, given);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    return tokens.ok() && !tokens->empty() ? tokens->front() : std::string();
  };
  absl::StatusOr<std::vector<std::string>> cyrillic =
      store_->NameLimitTokens("\u0420\u0435\u0440\u0430", "Arben Ali");
  ASSERT_TRUE(cyrillic.ok()) << cyrillic.status();
  EXPECT_THAT(*cyrillic, ::testing::IsSupersetOf({first_token("Pepa", "Arben"),
                                                  first_token("Pepa", "Ali"),
                                                  first_token("Rera", "Arben")}));
  absl::StatusOr<std::vector<std::string>> latin = store_->NameLimitTokens("Pepa", "Mapko Ali");
  ASSERT_TRUE(latin.ok()) << latin.status();
  EXPECT_THAT(*latin, ::testing::IsSupersetOf({first_token("Rera", "Marko"),
                                               first_token("Pepa", "Ali"),
                                               first_token("Rera", "Ali")}));
  // As many as the lookup reads.
  auto lookup = store_->TokensForCandidate("3000000199", "Pepa", "Mapko Ali", "1984-04-05");
  ASSERT_TRUE(lookup.ok()) << lookup.status();
  EXPECT_EQ(latin->size(), lookup->names_as_seen.size() + 1 + lookup->given_name_words.size() +
                               lookup->names_any_order.size() + lookup->name_parts.size() +
                               lookup->name_word_pairs.size() - 7u);  // but each word alone
}

// A spent record under another number is extended by a later active one of the same name and
// number, as under the candidate's own: the dates in force are those the other number's records
// give, not the spent record's own.
TEST_F(RecordStoreTest, ARecordUnderAnotherNumberHasTheDatesInForceOfItsNumber) {
  const auto create = [&](const std::string& case_number, const std::string& final_date,
                          const std::string& visible, const std::string& deleted) {
    VersionMeta meta = Meta();
    meta.own.final_date = final_date;
    meta.own.employer_visible_until = visible;
    meta.own.delete_after = deleted;
    absl::StatusOr<PendingWrite> pending = store_->PrepareCreate(
        MakePerson("Berisha", "Kushtrim", "1970-01-10", "4000000201"),
        MakeConviction("basic-prishtine", case_number), meta);
    EXPECT_TRUE(pending.ok()) << pending.status();
    if (!pending.ok()) return std::string();
    EXPECT_TRUE(db_->Write(*pending->batch()).ok());
    return pending->metadata().record_id();
  };
  const std::string spent = create("P 1/2014", "2014-01-10", "2024-01-10", "2029-01-10");
  const std::string later = create("P 2/2024", "2020-05-15", "2030-05-15", "2050-05-15");
  auto tokens = store_->TokensForCandidate("4000000299", "Berisha", "Kushtrim", "1970-01-10");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
  ASSERT_TRUE(facts.ok()) << facts.status();
  std::map<std::string, std::string> visible;
  for (const VettingFacts& f : *facts) {
    EXPECT_TRUE(f.under_other_number);
    visible[f.record_id] = f.employer_visible_until;
  }
  EXPECT_EQ(visible, (std::map<std::string, std::string>{{spent, "2030-05-15"},
                                                         {later, "2030-05-15"}}));
}

// The name index is read on every check, and the records it finds count toward the work floor
// as the number's do, each record once however it was found: the work tells neither "no record"
// from a record under another number, nor one found twice from one found once.
TEST_F(RecordStoreTest, VettingWorkCountsEachRecordFoundByNumberOrNameOnce) {
  const size_t floor = RecordStore::kVettingWorkFloor;
  ASSERT_EQ(floor, 4u);
  const auto heads_read = [&](const std::string& pn, const std::string& born,
                              size_t* found, size_t* under_other) {
    auto tokens = store_->TokensForCandidate(pn, "Hoxha", "Liridon", born);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    const uint64_t before = store_->VettingHeadsRead();
    absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
    ASSERT_TRUE(facts.ok()) << facts.status();
    *found = store_->VettingHeadsRead() - before;
    *under_other = 0;
    for (const VettingFacts& f : *facts) *under_other += f.under_other_number ? 1 : 0;
  };
  // One under the candidate's number, one under another: two records, two stand-ins.
  CreateOrFail(MakePerson("Hoxha", "Liridon", "1991-01-01", "4000000301"),
               MakeConviction("basic-prishtine", "P 1/2024"));
  CreateOrFail(MakePerson("Hoxha", "Liridon", "1991-01-01", "4000000302"),
               MakeConviction("basic-prishtine", "P 2/2024"));
  size_t read = 0;
  size_t under_other = 0;
  heads_read("4000000301", "1991-01-01", &read, &under_other);
  EXPECT_EQ(read, floor);
  EXPECT_EQ(under_other, 1u);
  // Three under the number (each also found by name), two under others: five heads, not eight.
  for (int i = 0; i < 3; ++i) {
    CreateOrFail(MakePerson("Hoxha", "Liridon", "1992-02-02", "4000000311"),
                 MakeConviction("basic-prishtine", absl::StrCat("P ", 10 + i, "/2024")));
  }
  for (const char* pn : {"4000000312", "4000000313"}) {
    CreateOrFail(MakePerson("Hoxha", "Liridon", "1992-02-02", pn),
                 MakeConviction("basic-prishtine", "P 20/2024"));
  }
  heads_read("4000000311", "1992-02-02", &read, &under_other);
  EXPECT_EQ(read, 5u);
  EXPECT_EQ(under_other, 2u);
}

// One person's judgments may spell the name in Albanian or Serbian, in either script: a later
// conviction under another spelling (same personal number, loose name and birth date) keeps the
// earlier one from deletion as long as itself, but not visible to employers (vetting compares
// exact names, and a loose match must never answer NOT_CLEAR); one under the same spelling, in
// either script, extends both.
TEST_F(RecordStoreTest, ALaterConvictionUnderAnotherSpellingOfTheNameKeepsTheEarlierOne) {
  const auto visible_until = [&](const std::string& id) {
    return StoredMetadata(id).employer_visible_until();
  };
  const auto delete_after = [&](const std::string& id) {
    return StoredMetadata(id).delete_after();
  };
  // Counting until 2024-06-10: the second, final on 2024-05-15, is within its period.
  const std::string first = CreateDated(MakePerson("Petroviq", "Marko", "1970-01-10", "1000000401"),
                                        "P 1/2014", "2014-01-10", "2024-06-10", "2029-06-10");
  EXPECT_EQ(visible_until(first), "2024-06-10");
  const std::string second =
      CreateDated(MakePerson("Petrovi\xc4\x87", "Marko", "1970-01-10", "1000000401"), "P 2/2024",
                  "2024-05-15", "2034-05-15", "2054-05-15");
  EXPECT_EQ(visible_until(first), "2024-06-10");
  EXPECT_EQ(delete_after(first), "2054-05-15");
  // The same spelling in Cyrillic (Петровић Марко) is the same name as vetting compares it: it
  // extends both dates of the second, and the deletion of the first.
  CreateDated(MakePerson("\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x9b",
                         "\xd0\x9c\xd0\xb0\xd1\x80\xd0\xba\xd0\xbe", "1970-01-10", "1000000401"),
              "P 3/2025", "2025-05-15", "2035-05-15", "2055-05-15");
  EXPECT_EQ(visible_until(second), "2035-05-15");
  EXPECT_EQ(delete_after(second), "2055-05-15");
  EXPECT_EQ(visible_until(first), "2024-06-10");
  EXPECT_EQ(delete_after(first), "2055-05-15");
  // Another name under the same number (another given name) never extends visibility; the
  // number, the registry's strongest identity, keeps it from deletion.
  const std::string other = CreateDated(MakePerson("Petroviq", "Ilir", "1970-01-10", "1000000402"),
                                        "P 1/2014", "2014-01-10", "2024-06-10", "2029-06-10");
  CreateDated(MakePerson("Petrovi\xc4\x87", "Marko", "1970-01-10", "1000000402"), "P 3/2024",
              "2024-05-15", "2034-05-15", "2054-05-15");
  EXPECT_EQ(visible_until(other), "2024-06-10");
  EXPECT_EQ(delete_after(other), "2054-05-15");
}

// A repeat offender's later judgment under a married or compound surname that gives the earlier
// surname as an alias names the same person, as the court's search takes it: the earlier record
// is kept, and counts, as long as the later one, and returns to its own dates when the later one
// is expunged. Without the alias, the same personal number keeps it from deletion only.
TEST_F(RecordStoreTest, ALaterConvictionUnderAMarriedSurnameWithTheEarlierAsAnAliasKeepsIt) {
  const auto dates = [&](const std::string& id) {
    const RecordMetadata metadata = StoredMetadata(id);
    return std::make_pair(metadata.employer_visible_until(), metadata.delete_after());
  };
  using Dates = std::pair<std::string, std::string>;
  const std::string earlier = CreateDated(MakePerson("Berisha", "Arta", "1980-08-10", "9910000003"),
                                          "P 1/2014", "2015-01-10", "2025-01-10", "2030-01-10");
  Person married = MakePerson("Hoxha-Berisha", "Arta", "1980-08-10", "9910000003");
  married.add_aliases("Berisha");
  const std::string later =
      CreateDated(married, "P 1/2024", "2024-06-01", "2034-06-01", "2039-06-01");
  EXPECT_EQ(dates(earlier), Dates("2034-06-01", "2039-06-01"));
  // Vetting, which computes the dates in force, counts it as long too.
  absl::StatusOr<CandidateTokens> tokens =
      store_->TokensForCandidate("9910000003", "Berisha", "Arta", "1980-08-10");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
  ASSERT_TRUE(facts.ok()) << facts.status();
  for (const VettingFacts& f : *facts) {
    EXPECT_EQ(f.employer_visible_until, "2034-06-01") << (f.record_id == earlier);
  }
  // So does the vetting of the earlier record's name when it is found under another number
  // (with the later record, which "Berisha" names as one of its two surnames).
  tokens = store_->TokensForCandidate("9910000099", "Berisha", "Arta", "1980-08-10");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  facts = store_->FactsForVetting(*tokens);
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), 2u);
  EXPECT_THAT(std::vector<std::string>({(*facts)[0].record_id, (*facts)[1].record_id}),
              ::testing::UnorderedElementsAre(earlier, later));
  for (const VettingFacts& f : *facts) {
    EXPECT_TRUE(f.under_other_number);
    EXPECT_EQ(f.employer_visible_until, "2034-06-01");
  }

  // The later one expunged, the earlier has its own dates again (and is due: the retention run
  // and the expunge erase it).
  ASSERT_NO_FATAL_FAILURE(Expunge(later));
  EXPECT_EQ(dates(earlier), Dates("2025-01-10", "2030-01-10"));

  // Under the married surname without the alias: the number keeps it, not visible.
  const std::string unaliased =
      CreateDated(MakePerson("Hoxha-Berisha", "Arta", "1980-08-10", "9910000003"), "P 2/2024",
                  "2024-06-01", "2034-06-01", "2039-06-01");
  EXPECT_EQ(dates(earlier), Dates("2025-01-10", "2039-06-01"));
  // A third judgment that gives the alias links the two surnames: the earlier counts again.
  married.clear_aliases();
  married.add_aliases("BERISHA");
  CreateDated(married, "P 3/2024", "2024-07-01", "2034-07-01", "2039-07-01");
  EXPECT_EQ(dates(earlier), Dates("2034-07-01", "2039-07-01"));
  EXPECT_EQ(dates(unaliased), Dates("2034-07-01", "2039-07-01"));
}

// Berisha Vjosa's record counted for vetting until 2023-03-01; her later record under the
// married surname Hoxha-Berisha (alias Berisha) became final on 2025-01-01, after it, and so
// revives nothing. A record final within her period that only keeps hers from deletion (another
// person's under her number, hers in another spelling, or her own disputed one) must not
// lengthen that period so as to take the later one in: her spent record stays spent in the dates
// stored and in those vetting computes.
TEST_F(RecordStoreTest, ARecordThatOnlyKeepsAnotherFromDeletionDoesNotBringALaterOneBackWithin) {
  const auto dates = [&](const std::string& id) {
    absl::StatusOr<Record> record = store_->Get(id);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? std::make_pair(record->metadata().employer_visible_until(),
                                        record->metadata().delete_after())
                       : std::make_pair(std::string(), std::string());
  };
  using Dates = std::pair<std::string, std::string>;
  const auto dispute = [&](const std::string& id) {
    absl::StatusOr<PendingWrite> pending =
        store_->PrepareChange(id, 0, [&](Record* record, std::string* why, VersionMeta* meta) {
          record->mutable_metadata()->set_status(registry::v1::RECORD_STATUS_DISPUTED);
          *why = "the person contests the identity";
          *meta = Meta();
          meta->own = {"2032-12-01", "2037-12-01", "2022-12-01", ""};
          return absl::OkStatus();
        });
    ASSERT_TRUE(pending.ok()) << pending.status();
    ASSERT_TRUE(db_->Write(*pending->batch()).ok());
  };
  enum class Keeper { kAnotherPerson, kAnotherSpelling, kDisputed };
  int n = 40;
  for (const Keeper keeper :
       {Keeper::kAnotherPerson, Keeper::kAnotherSpelling, Keeper::kDisputed}) {
    SCOPED_TRACE(static_cast<int>(keeper));
    const std::string number = absl::StrCat("30000000", n++);
    const Person vjosa = MakePerson("Berisha", "Vjosa", "1980-09-09", number);
    const std::string spent =
        CreateDated(vjosa, "A 1/2013", "2013-03-01", "2023-03-01", "2028-03-01");
    const Person b = keeper == Keeper::kAnotherPerson
                         ? MakePerson("Gashi", "Arta", "1985-01-01", number)
                     : keeper == Keeper::kAnotherSpelling
                         ? MakePerson("Berisa", "Vjosa", "1980-09-09", number)
                         : vjosa;
    const std::string kept = CreateDated(b, "B 1/2022", "2022-12-01", "2032-12-01", "2037-12-01");
    if (keeper == Keeper::kDisputed) dispute(kept);
    EXPECT_EQ(dates(spent), Dates("2023-03-01", "2037-12-01"));
    Person married = MakePerson("Hoxha-Berisha", "Vjosa", "1980-09-09", number);
    married.add_aliases("Berisha");
    CreateDated(married, "C 1/2025", "2025-01-01", "2035-01-01", "2040-01-01");
    EXPECT_EQ(dates(spent), Dates("2023-03-01", "2040-01-01"));
    // Vetting, which computes the dates in force, finds it spent too.
    absl::StatusOr<CandidateTokens> tokens =
        store_->TokensForCandidate(number, "Berisha", "Vjosa", "1980-09-09");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
    ASSERT_TRUE(facts.ok()) << facts.status();
    bool found = false;
    for (const VettingFacts& f : *facts) {
      if (f.record_id != spent) continue;
      found = true;
      EXPECT_EQ(f.employer_visible_until, "2023-03-01");
    }
    EXPECT_TRUE(found);
  }
}

// A conviction whose deletion is already due would be erased by the next retention run, and
// could then not be entered again, not even after the later conviction that keeps it: it is not
// entered. Entered after that later conviction, it is kept as long as the later one.
TEST_F(RecordStoreTest, AConvictionAlreadyDueForDeletionIsNotEnteredUnlessALaterOneKeepsIt) {
  // Counting for a year from its final date (the later conviction below is final within it).
  const auto prepare = [&](const Person& person, const std::string& case_number,
                           const std::string& final_date, const std::string& deleted) {
    VersionMeta meta = Meta("2026-01-02T03:04:05Z");
    meta.own.final_date = final_date;
    meta.own.employer_visible_until = absl::StrCat(std::stoi(final_date.substr(0, 4)) + 1,
                                                   final_date.substr(4));
    meta.own.delete_after = deleted;
    return store_->PrepareCreate(person, MakeConviction("basic-prishtine", case_number), meta);
  };
  const Person person = MakePerson("Berisha", "Driton", "1980-01-10", "1000001101");
  for (const char* due : {"2025-02-01", "2026-01-02"}) {  // before today, and today
    absl::StatusOr<PendingWrite> refused = prepare(person, "P 11/2010", "2010-02-01", due);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << due;
    EXPECT_THAT(std::string(refused.status().message()),
                ::testing::StartsWith("conviction: its retention period has ended"));
  }
  EXPECT_TRUE(Ids(ByPersonalNumber("1000001101")).empty());
  {
    absl::StatusOr<PendingWrite> tomorrow = prepare(person, "P 11/2010", "2010-02-01", "2026-01-03");
    ASSERT_TRUE(tomorrow.ok()) << tomorrow.status();
  }

  // The later conviction first: then the earlier one is kept as long as it.
  const Person other = MakePerson("Gashi", "Luan", "1975-01-01", "1000001102");
  {
    absl::StatusOr<PendingWrite> later = prepare(other, "P 12/2011", "2011-01-20", "2039-02-01");
    ASSERT_TRUE(later.ok()) << later.status();
    ASSERT_TRUE(db_->Write(*later->batch()).ok());
  }
  absl::StatusOr<PendingWrite> earlier = prepare(other, "P 11/2010", "2010-02-01", "2025-02-01");
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  ASSERT_TRUE(db_->Write(*earlier->batch()).ok());
  absl::StatusOr<Record> kept = store_->Get(earlier->metadata().record_id());
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->metadata().delete_after(), "2039-02-01");
}

// The refusal's hint was "a later conviction of the person, entered first, keeps it", told of an
// earlier conviction entered after a later one that became final only once its period had ended:
// the clerk had done just that. It says the day the period ended and what would have kept it.
TEST_F(RecordStoreTest, ARefusalForAnEndedRetentionPeriodSaysTheDayAndWhatWouldHaveKeptIt) {
  // Counting until `last_day`, deleted the day after.
  const auto prepare = [&](const Person& person, const std::string& case_number,
                           const std::string& final_date, const std::string& last_day,
                           const std::string& deleted) {
    VersionMeta meta = Meta("2026-01-02T03:04:05Z");
    meta.own.final_date = final_date;
    meta.own.employer_visible_until = last_day;
    meta.own.delete_after = deleted;
    return store_->PrepareCreate(person, MakeConviction("basic-prishtine", case_number), meta);
  };
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "1000001102");
  {
    absl::StatusOr<PendingWrite> later =
        prepare(person, "P 12/2022", "2022-01-31", "2032-01-31", "2037-01-31");
    ASSERT_TRUE(later.ok()) << later.status();
    ASSERT_TRUE(db_->Write(*later->batch()).ok());
  }
  // Final 2010-01-31, it stopped counting on 2020-01-31 and was deleted on 2025-01-31: the later
  // one, final in 2022 (before the deletion day, after the period), keeps nothing. Said "final
  // before 2025-01-31", the hint named just such a one; the day to name is the period's last.
  absl::StatusOr<PendingWrite> earlier =
      prepare(person, "P 11/2010", "2010-01-31", "2020-01-31", "2025-01-31");
  EXPECT_EQ(earlier.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(earlier.status().message()),
            "conviction: its retention period has ended (it was due for deletion on "
            "2025-01-31), so it is not entered: only a later conviction of the person that "
            "became final by 2020-01-31 would have kept it");
  // Final on that last day, a later conviction keeps it: "by" includes the day.
  const Person other = MakePerson("Gashi", "Arben", "1976-02-02", "1000001103");
  {
    absl::StatusOr<PendingWrite> later =
        prepare(other, "P 13/2020", "2020-01-31", "2030-01-31", "2035-01-31");
    ASSERT_TRUE(later.ok()) << later.status();
    ASSERT_TRUE(db_->Write(*later->batch()).ok());
  }
  EXPECT_TRUE(prepare(other, "P 14/2010", "2010-01-31", "2020-01-31", "2025-01-31").ok());
}

// A check reads every record of the person, however many, not the first of them in id order:
// one live record among many spent ones, wherever its id sorts, decides the answer.
// An amendment that made a conviction due had the retention run erase it for good, and then the
// corrected conviction could not be entered again. Like a create, a change may not make a
// conviction due: neither the one changed nor one that it kept.
TEST_F(RecordStoreTest, AChangeThatWouldMakeAConvictionDueForDeletionIsRefused) {
  const auto meta_for = [&](const std::string& final_date, const std::string& deleted) {
    VersionMeta meta = Meta("2026-01-02T03:04:05Z");
    meta.own.final_date = final_date;
    meta.own.employer_visible_until = final_date;
    meta.own.delete_after = deleted;
    return meta;
  };
  const auto create = [&](const Person& person, const std::string& case_number,
                          const VersionMeta& meta) {
    absl::StatusOr<PendingWrite> w =
        store_->PrepareCreate(person, MakeConviction("basic-prishtine", case_number), meta);
    EXPECT_TRUE(w.ok()) << w.status();
    EXPECT_TRUE(db_->Write(*w->batch()).ok());
    return w->metadata().record_id();
  };
  const auto change = [&](const std::string& id, const VersionMeta& meta) {
    return store_->PrepareChange(id, 0, [&](Record*, std::string* why, VersionMeta* m) {
      *why = "dates corrected";
      *m = meta;
      return absl::OkStatus();
    });
  };
  const Person person = MakePerson("Berisha", "Driton", "1980-01-10", "1000001101");
  const std::string id = create(person, "P 11/2024", meta_for("2024-02-01", "2039-02-01"));
  absl::StatusOr<PendingWrite> due = change(id, meta_for("1994-05-15", "2009-05-15"));
  EXPECT_EQ(due.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(due.status().message()),
              ::testing::StartsWith("conviction: with these dates its retention period has ended"));
  EXPECT_TRUE(change(id, meta_for("2010-02-01", "2026-01-03")).ok());  // due tomorrow: allowed

  // The later conviction kept an earlier one; moved before it, it would leave it due.
  const Person other = MakePerson("Gashi", "Luan", "1975-01-01", "1000001102");
  const std::string later = create(other, "P 12/2024", meta_for("2024-02-01", "2039-02-01"));
  // Counting until 2024-06-01, so the later one (final 2024-02-01) is within its period.
  VersionMeta earlier_meta = meta_for("2010-02-01", "2025-02-01");
  earlier_meta.own.employer_visible_until = "2024-06-01";
  const std::string earlier = create(other, "P 11/2010", earlier_meta);
  absl::StatusOr<PendingWrite> unkept = change(later, meta_for("2009-01-01", "2039-02-01"));
  EXPECT_EQ(unkept.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(unkept.status().message()),
              ::testing::HasSubstr(absl::StrCat("this change would leave record ", earlier,
                                                ", an earlier conviction of the person")));
  absl::StatusOr<Record> kept = store_->Get(earlier);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->metadata().delete_after(), "2039-02-01");
}

TEST_F(RecordStoreTest, VettingReadsEveryRecordOfAPersonWithManyRecords) {
  const std::string pn = "5000000001";
  std::vector<std::string> ids;
  for (int i = 0; i < 150; ++i) {
    ids.push_back(CreateOrFail(MakePerson("Gashi", "Besnik", "1970-01-01", pn),
                               MakeConviction("basic-prizren", absl::StrCat("P ", i + 1, "/2012"))));
  }
  auto tokens = store_->TokensForCandidate(pn, "Gashi", "Besnik", "1970-01-01");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
  ASSERT_TRUE(facts.ok()) << facts.status();
  std::vector<std::string> read;
  for (const VettingFacts& f : *facts) read.push_back(f.record_id);
  std::sort(ids.begin(), ids.end());
  std::sort(read.begin(), read.end());
  EXPECT_EQ(read.size(), ids.size());
  EXPECT_EQ(read, ids) << "the records whose ids sort last were not read";
}

// A head deleted from the data folder while its index rows stay is damage, not an erasure (which
// removes both in one write): every lookup through those rows says DataLoss, so that vetting
// does not answer CLEAR for the person; after an erasure the same lookups find nothing.
TEST_F(RecordStoreTest, AHeadDeletedBehindItsIndexRowsIsDataLossAndAnErasureIsNot) {
  const Person person = MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890");
  const std::string id = CreateOrFail(person, MakeConviction("basic-prishtine", "P 1/2024"));
  auto tokens = store_->TokensForCandidate("1234567890", "Kërqeli", "Arben", "1980-04-12");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(store_->FactsForVetting(*tokens)->size(), 1u);
  std::string token;
  {
    Batch batch;
    batch.Delete(Cf::kRecords, id);
    ASSERT_TRUE(db_->Write(batch).ok());
  }
  EXPECT_EQ(store_->FactsForVetting(*tokens).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->SearchByPersonalNumber("1234567890", 10, &token).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(store_->SearchByName("Kërqeli", "Arben", "1980-04-12", 10, &token).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      store_->SearchByLooseName("Kerćeli", "Arben", "1980-04-12", 10, &token).status().code(),
      absl::StatusCode::kDataLoss);

  const std::string other = CreateOrFail(MakePerson("Gashi", "Besa", "1990-01-02", "1000000200"),
                                         MakeConviction("basic-prishtine", "P 2/2024"));
  ASSERT_NO_FATAL_FAILURE(Expunge(other));
  auto erased = store_->TokensForCandidate("1000000200", "Gashi", "Besa", "1990-01-02");
  ASSERT_TRUE(erased.ok());
  absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*erased);
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_TRUE(facts->empty());
  absl::StatusOr<std::vector<Record>> found =
      store_->SearchByPersonalNumber("1000000200", 10, &token);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->empty());
}

// Versions are deleted only with their record: a history with one missing is damage.
TEST_F(RecordStoreTest, AHistoryWithAVersionMissingIsDataLoss) {
  const std::string id = CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
                                      MakeConviction("basic-prishtine", "P 1/2024"));
  ASSERT_TRUE(ChangeSurname(id, 1, "Krasniqi", "typo in the judgment copy").ok());
  ASSERT_TRUE(ChangeSurname(id, 2, "Krasniqe", "another typo").ok());
  ASSERT_EQ(store_->History(id)->size(), 3u);
  {
    Batch batch;
    batch.Delete(Cf::kVersions, absl::StrCat(id, EncodeU32(2)));
    ASSERT_TRUE(db_->Write(batch).ok());
  }
  EXPECT_EQ(store_->History(id).status().code(), absl::StatusCode::kDataLoss);
}

// A read takes the head, then the versions, with no snapshot between them: a court reading the
// history while a clerk amended or expunged the record was told its stored data failed
// authentication. It now answers as before or after the change (NotFound after an erasure).
TEST_F(RecordStoreTest, AReadRacingAnAmendmentOrAnErasureIsNeverDataLoss) {
  const std::string amended =
      CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
                   MakeConviction("basic-prishtine", "P 1/2024"));
  std::vector<std::string> erased;
  for (int i = 0; i < 150; ++i) {
    erased.push_back(CreateOrFail(MakePerson("Gashi", "Ilir", "1981-05-13", "2234567890"),
                                  MakeConviction("basic-prishtine", absl::StrCat("P ", i, "/2023"))));
  }
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 150; ++i) {
      EXPECT_TRUE(ChangeSurname(amended, 0, i % 2 == 0 ? "Krasniqi" : "Kërqeli", "race").ok());
      ASSERT_NO_FATAL_FAILURE(Expunge(erased[i]));
    }
    done = true;
  });
  std::map<absl::StatusCode, int> codes;
  size_t next = 0;
  while (!done) {
    codes[store_->History(amended).status().code()]++;
    codes[store_->Get(amended).status().code()]++;
    const std::string& other = erased[next++ % erased.size()];
    codes[store_->History(other).status().code()]++;
    codes[store_->Get(other).status().code()]++;
  }
  writer.join();
  for (const auto& [code, count] : codes) {
    EXPECT_TRUE(code == absl::StatusCode::kOk || code == absl::StatusCode::kNotFound)
        << absl::StatusCodeToString(code) << " " << count << " times";
  }
  EXPECT_GT(codes[absl::StatusCode::kOk], 0);
}

TEST_F(RecordStoreTest, VettingFactsWithoutDecryption) {
  const std::string id = CreateOrFail(MakePerson("Kërqeli", "Arben", "1980-04-12", "1234567890"),
                                      MakeConviction("basic-prishtine", "P 1/2024"));

  // Make every record undecryptable: a keyring with an unrelated KEK of the same version.
  // Vetting must still answer, because it compares tokens only.
  auto unrelated = crypto::SecretBytes::Random(crypto::kKekSize);
  ASSERT_TRUE(unrelated.ok());
  keys_->Set(Ring({{1, *unrelated}}, 1));
  ASSERT_EQ(store_->Get(id).status().code(), absl::StatusCode::kDataLoss);

  const auto facts_for = [&](absl::string_view pn, absl::string_view surname,
                             absl::string_view birth) {
    auto tokens = store_->TokensForCandidate(pn, surname, "Arben", birth);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    EXPECT_EQ(tokens->personal_number.size(), 32u);
    EXPECT_EQ(tokens->name.size(), 32u);
    auto facts = store_->FactsForVetting(*tokens);
    EXPECT_TRUE(facts.ok()) << facts.status();
    return *facts;
  };

  EXPECT_TRUE(facts_for("9999999999", "Gashi", "1980-04-12").empty());
  // Under another number, by the name index, without decryption too.
  auto elsewhere = facts_for("9999999999", "Kërqeli", "1980-04-12");
  ASSERT_EQ(elsewhere.size(), 1u);
  EXPECT_EQ(elsewhere[0].record_id, id);
  EXPECT_TRUE(elsewhere[0].under_other_number);

  auto mismatch = facts_for("1234567890", "Gashi", "1980-04-12");
  ASSERT_EQ(mismatch.size(), 1u);
  EXPECT_EQ(mismatch[0].record_id, id);
  EXPECT_FALSE(mismatch[0].identity_matches);
  auto other_birth = facts_for("1234567890", "Kërqeli", "1980-04-13");
  ASSERT_EQ(other_birth.size(), 1u);
  EXPECT_FALSE(other_birth[0].identity_matches);

  auto match = facts_for("1234567890", "KERQELI", "1980-04-12");
  ASSERT_EQ(match.size(), 1u);
  EXPECT_TRUE(match[0].identity_matches);
  EXPECT_EQ(match[0].status, registry::v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ(match[0].employer_visible_until, "2034-05-15");
}

TEST_F(RecordStoreTest, CandidateTokensNameTheFieldThatCannotBeNormalised) {
  // "ǂ" is a letter to ICU (a click consonant) that no transliteration maps to Latin letters.
  auto surname = store_->TokensForCandidate("1234567890", "Gashiǂ", "Arben", "1980-04-12");
  ASSERT_EQ(surname.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(surname.status().message(), "surname: ")) << surname.status();
  auto given = store_->TokensForCandidate("1234567890", "Gashi", "ǂArben", "1980-04-12");
  ASSERT_EQ(given.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(given.status().message(), "given_name: ")) << given.status();
}

// Each KEK has a check value of its own: a key file whose KEK bytes changed is refused when the
// store opens, before a record is written under it that the right key file could not read.
TEST_F(RecordStoreTest, AKekWhoseBytesChangedIsRefusedAtOpen) {
  const std::string id = CreateOrFail(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
                                      MakeConviction("basic-prishtine", "P 1/2024"));
  std::string flipped(kek1_.view());
  flipped[7] ^= 0x01;
  KeyringHolder wrong(Ring({{1, crypto::SecretBytes(flipped)}}, 1));
  store_.reset();
  absl::StatusOr<std::unique_ptr<RecordStore>> refused =
      RecordStore::Create(db_.get(), &wrong, derivation_root_, normalizer_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("key-encryption key version 1"));

  absl::StatusOr<std::unique_ptr<RecordStore>> reopened =
      RecordStore::Create(db_.get(), keys_.get(), derivation_root_, normalizer_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  store_ = *std::move(reopened);
  EXPECT_TRUE(store_->Get(id).ok());
}

// A KEK rotated in while the store is open gets its check value with the first write under it,
// and is held to it from then on; so is a KEK made current in the key file while it was closed.
TEST_F(RecordStoreTest, ARotatedInKekGetsACheckValueVerifiedOnReopen) {
  CreateOrFail(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
               MakeConviction("basic-prishtine", "P 1/2024"));
  auto kek2 = crypto::SecretBytes::Random(crypto::kKekSize);
  ASSERT_TRUE(kek2.ok());
  keys_->Set(Ring({{1, kek1_}, {2, *kek2}}, 2));
  ASSERT_FALSE(db_->Get(Cf::kMeta, "keys/kek-check/2")->has_value());
  {
    uint64_t rewrapped = 0;
    PendingWrite w;
    ASSERT_TRUE(store_->StageRewrapBatch("", 100, &rewrapped, &w).ok());
    ASSERT_TRUE(db_->Write(*w.batch()).ok());
  }
  EXPECT_TRUE(db_->Get(Cf::kMeta, "keys/kek-check/2")->has_value());

  std::string flipped(kek2->view());
  flipped[0] ^= 0x80;
  for (const auto& [what, ring] :
       {std::make_pair("KEK 2 changed", Ring({{1, kek1_}, {2, crypto::SecretBytes(flipped)}}, 2)),
        std::make_pair("KEK 2 changed, KEK 1 current",
                       Ring({{1, kek1_}, {2, crypto::SecretBytes(flipped)}}, 1))}) {
    KeyringHolder wrong(ring);
    EXPECT_EQ(RecordStore::Create(db_.get(), &wrong, derivation_root_, normalizer_)
                  .status()
                  .code(),
              absl::StatusCode::kFailedPrecondition)
        << what;
  }
  // A swapped-in keyring whose old KEK changed is refused at the first write under it.
  keys_->Set(Ring({{1, kek1_}, {2, crypto::SecretBytes(flipped)}, {3, kek1_}}, 3));
  absl::StatusOr<std::string> refused =
      Create(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
             MakeConviction("basic-prishtine", "P 2/2024"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();

  // The right KEKs open; a version first made current while closed gets its check value then.
  auto kek3 = crypto::SecretBytes::Random(crypto::kKekSize);
  ASSERT_TRUE(kek3.ok());
  KeyringHolder right(Ring({{1, kek1_}, {2, *kek2}, {3, *kek3}}, 3));
  store_.reset();
  ASSERT_TRUE(RecordStore::Create(db_.get(), &right, derivation_root_, normalizer_).ok());
  EXPECT_TRUE(db_->Get(Cf::kMeta, "keys/kek-check/3")->has_value());
  std::string flipped3(kek3->view());
  flipped3[31] ^= 0x01;
  KeyringHolder wrong3(Ring({{1, kek1_}, {2, *kek2}, {3, crypto::SecretBytes(flipped3)}}, 3));
  EXPECT_EQ(RecordStore::Create(db_.get(), &wrong3, derivation_root_, normalizer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RecordStoreTest, RewrapMovesEveryDataKeyWithoutTouchingRecords) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(CreateOrFail(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
                               MakeConviction("basic-prishtine", absl::StrCat("P ", i, "/2024"))));
  }
  std::map<std::string, std::string> sealed_before;
  for (const std::string& id : ids) {
    auto raw = db_->Get(Cf::kVersions, absl::StrCat(id, EncodeU32(1)));
    ASSERT_TRUE(raw.ok() && raw->has_value());
    sealed_before[id] = **raw;
  }
  auto kek2 = crypto::SecretBytes::Random(crypto::kKekSize);
  ASSERT_TRUE(kek2.ok());
  keys_->Set(Ring({{1, kek1_}, {2, *kek2}}, 2));
  auto pending = store_->CountNotUnder(2);
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(*pending, 7u);

  uint64_t rewrapped = 0;
  std::string after;
  int batches = 0;
  do {
    PendingWrite w;
    auto last = store_->StageRewrapBatch(after, 3, &rewrapped, &w);
    ASSERT_TRUE(last.ok()) << last.status();
    ASSERT_TRUE(db_->Write(*w.batch()).ok());
    after = *last;
    ASSERT_LT(++batches, 10);
  } while (!after.empty());
  EXPECT_EQ(rewrapped, 7u);
  auto left = store_->CountNotUnder(2);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0u);
  // A second pass has nothing to do.
  uint64_t again = 0;
  PendingWrite nothing;
  ASSERT_TRUE(store_->StageRewrapBatch("", 100, &again, &nothing).ok());
  EXPECT_EQ(again, 0u);

  // The sealed versions were not re-encrypted, and KEK 1 is no longer needed.
  keys_->Set(Ring({{2, *kek2}}, 2));
  for (const std::string& id : ids) {
    auto raw = db_->Get(Cf::kVersions, absl::StrCat(id, EncodeU32(1)));
    ASSERT_TRUE(raw.ok() && raw->has_value());
    EXPECT_EQ(**raw, sealed_before[id]);
    auto head = db_->Get(Cf::kRecords, id);
    ASSERT_TRUE(head.ok() && head->has_value());
    StoredHead parsed;
    ASSERT_TRUE(parsed.ParseFromString(**head));
    auto version = crypto::Keyring::WrappedVersion(parsed.wrapped_dek());
    ASSERT_TRUE(version.ok());
    EXPECT_EQ(*version, 2u);
    auto record = store_->Get(id);
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_EQ(record->person().surname(), "Gashi");
  }
}

// A history is the court's account of who changed what and why: each version keeps the dates it
// was written with, the newest too, whatever a later conviction of the person does to the dates
// in force. Before, the newest version carried the dates in force, so the extension read as the
// change of the clerk who last corrected the address, and moved to each next version.
TEST_F(RecordStoreTest, AHistorysVersionsKeepTheirOwnDatesWhenALaterConvictionExtendsThem) {
  const Person person = MakePerson("Bajrami", "Shpend", "1985-03-03", "3300000001");
  const std::string earlier =
      CreateDated(person, "P 1/2016", "2016-12-07", "2026-12-07", "2031-12-07");
  ASSERT_FALSE(earlier.empty());
  // An address correction, with the conviction's own dates, as the service computes them.
  const auto amend_address = [&](uint32_t expected, const std::string& address) {
    absl::StatusOr<PendingWrite> pending = store_->PrepareChange(
        earlier, expected, [&](Record* record, std::string* why, VersionMeta* meta) {
          record->mutable_person()->set_last_known_address(address);
          *why = "address from police";
          *meta = Meta("2026-02-03T04:05:06Z");
          meta->own.final_date = "2016-12-07";
          meta->own.employer_visible_until = "2026-12-07";
          meta->own.delete_after = "2031-12-07";
          return absl::OkStatus();
        });
    ASSERT_TRUE(pending.ok()) << pending.status();
    ASSERT_TRUE(db_->Write(*pending->batch()).ok());
  };
  // Every version of the earlier record, as the dates it shows.
  const auto dates_shown = [&] {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<registry::v1::RecordVersion>> history = store_->History(earlier);
    EXPECT_TRUE(history.ok()) << history.status();
    if (!history.ok()) return out;
    for (const registry::v1::RecordVersion& v : *history) {
      const RecordMetadata& m = v.record().metadata();
      out.push_back(absl::StrCat(m.version(), ": ", m.employer_visible_until(), " ",
                                 m.delete_after()));
    }
    return out;
  };
  ASSERT_NO_FATAL_FAILURE(amend_address(1, "Rr. Dardania 5, Prizren"));
  EXPECT_THAT(dates_shown(), ::testing::ElementsAre("1: 2026-12-07 2031-12-07",
                                                    "2: 2026-12-07 2031-12-07"));

  const std::string single =
      CreateDated(person, "P 3/2018", "2018-06-01", "2028-06-01", "2033-06-01");
  ASSERT_FALSE(single.empty());
  // The same person's later conviction, final on the earlier one's last day for vetting,
  // extends its dates in force; no version of the earlier record changed them.
  const std::string later =
      CreateDated(person, "P 2/2026", "2026-12-07", "2051-12-07", "2061-12-07");
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(StoredMetadata(earlier).employer_visible_until(), "2051-12-07");
  EXPECT_EQ(StoredMetadata(earlier).delete_after(), "2061-12-07");
  EXPECT_THAT(dates_shown(), ::testing::ElementsAre("1: 2026-12-07 2031-12-07",
                                                    "2: 2026-12-07 2031-12-07"));
  ASSERT_NO_FATAL_FAILURE(amend_address(2, "Rr. Dardania 7, Prizren"));
  EXPECT_THAT(dates_shown(), ::testing::ElementsAre("1: 2026-12-07 2031-12-07",
                                                    "2: 2026-12-07 2031-12-07",
                                                    "3: 2026-12-07 2031-12-07"));
  // A one-version record the later conviction extends shows its own dates too, under "created".
  EXPECT_EQ(StoredMetadata(single).employer_visible_until(), "2051-12-07");
  absl::StatusOr<std::vector<registry::v1::RecordVersion>> single_history =
      store_->History(single);
  ASSERT_TRUE(single_history.ok()) << single_history.status();
  ASSERT_EQ(single_history->size(), 1u);
  EXPECT_EQ((*single_history)[0].record().metadata().employer_visible_until(), "2028-06-01");
  EXPECT_EQ((*single_history)[0].record().metadata().delete_after(), "2033-06-01");

  // The expunge of the later convictions gives the earlier one its own dates back; its history
  // reads as before.
  ASSERT_NO_FATAL_FAILURE(Expunge(later));
  ASSERT_NO_FATAL_FAILURE(Expunge(single));
  EXPECT_EQ(StoredMetadata(earlier).employer_visible_until(), "2026-12-07");
  EXPECT_THAT(dates_shown(), ::testing::ElementsAre("1: 2026-12-07 2031-12-07",
                                                    "2: 2026-12-07 2031-12-07",
                                                    "3: 2026-12-07 2031-12-07"));
}


// A record's personal-number row deleted from the data folder: the record still names its person
// exactly, and the name index, read on every check, finds it under their own number. It is one of
// the number's records, with what it says deciding (NOT_CLEAR stays NOT_CLEAR), never left out
// (CLEAR); an error line names the record id and nothing of the person; the data check names the
// row.
TEST_F(RecordStoreTest, ARecordWhosePersonalNumberRowIsDeletedStillDecidesItsPersonsCheck) {
  const std::string id = CreateOrFail(MakePerson("Gashi", "Blerim", "1970-05-05", "1000000999"),
                                      MakeConviction("basic-prishtine", "P 9/2024"));
  auto tokens = store_->TokensForCandidate("1000000999", "Gashi", "Blerim", "1970-05-05");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  absl::StatusOr<std::optional<std::string>> raw = db_->Get(Cf::kRecords, id);
  ASSERT_TRUE(raw.ok() && raw->has_value());
  StoredHead head;
  ASSERT_TRUE(head.ParseFromString(**raw));
  {
    Batch batch;
    batch.Delete(Cf::kIndex, absl::StrCat("p", head.personal_number_token(), id));
    ASSERT_TRUE(db_->Write(batch).ok());
  }
  ::testing::internal::CaptureStderr();
  const uint64_t before = store_->VettingHeadsRead();
  absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
  const uint64_t read = store_->VettingHeadsRead() - before;
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(facts.ok()) << facts.status();
  ASSERT_EQ(facts->size(), 1u);
  EXPECT_EQ((*facts)[0].record_id, id);
  EXPECT_FALSE((*facts)[0].under_other_number);
  EXPECT_TRUE((*facts)[0].identity_matches);
  EXPECT_EQ((*facts)[0].status, registry::v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ((*facts)[0].employer_visible_until, "2034-05-15");
  EXPECT_EQ(read, RecordStore::kVettingWorkFloor);  // one record, read once, and stand-ins
  EXPECT_THAT(log, ::testing::HasSubstr(absl::StrCat("\"record_id\":\"", id, "\"")));
  EXPECT_THAT(log, ::testing::HasSubstr("personal-number index row is missing"));
  for (const char* personal : {"Gashi", "Blerim", "1000000999", "1970-05-05"}) {
    EXPECT_THAT(log, ::testing::Not(::testing::HasSubstr(personal)));
  }
  DataCheckReport report;
  ASSERT_TRUE(store_->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems,
              ::testing::ElementsAre(absl::StrCat("record ", id, ": index row 'p' missing")));
}

// A record moved between two numbers while the candidate of one of them is checked, under the
// name it gives: each check finds it, under the candidate's number or under the other, however
// the move falls between the check's reads of the number index, the name index and the head.
// A record filed under the number after the number index was read was left out, and so the
// record that named the candidate (REFER before the move, NOT_CLEAR after) gave no fact: CLEAR.
TEST_F(RecordStoreTest, ACheckRacingAMoveOfTheRecordToTheCandidatesNumberAlwaysFindsIt) {
  const std::string id = CreateOrFail(MakePerson("Gashi", "Blerim", "1970-05-05", "1000000998"),
                                      MakeConviction("basic-prishtine", "P 9/2024"));
  auto tokens = store_->TokensForCandidate("1000000999", "Gashi", "Blerim", "1970-05-05");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) {
      absl::StatusOr<PendingWrite> pending = store_->PrepareChange(
          id, 0, [&](Record* record, std::string* why, VersionMeta* meta) {
            record->mutable_person()->set_personal_number(i % 2 == 0 ? "1000000999"
                                                                     : "1000000998");
            *why = "personal number corrected by court notice";
            *meta = Meta("2026-02-03T04:05:06Z");
            return absl::OkStatus();
          });
      EXPECT_TRUE(pending.ok()) << pending.status();
      if (pending.ok()) {
        EXPECT_TRUE(db_->Write(*pending->batch()).ok());
      }
    }
    done = true;
  });
  int checks = 0;
  int own = 0;
  int missed = 0;
  while (!done) {
    absl::StatusOr<std::vector<VettingFacts>> facts = store_->FactsForVetting(*tokens);
    ++checks;
    if (!facts.ok()) {
      ADD_FAILURE() << facts.status();
      break;
    }
    if (facts->size() != 1) {
      ++missed;
      continue;
    }
    EXPECT_EQ((*facts)[0].record_id, id);
    EXPECT_TRUE((*facts)[0].identity_matches);
    own += (*facts)[0].under_other_number ? 0 : 1;
  }
  writer.join();
  EXPECT_EQ(missed, 0) << "of " << checks << " checks";
  EXPECT_GT(own, 0);
  EXPECT_LT(own, checks);
}

// A KEK's check value deleted from the data folder while data keys are under that KEK: the store
// does not record a new one from whatever KEK of that version the key file now holds (which
// would end the refusal of a KEK whose bytes changed), neither at open nor at the first write
// with a keyring swapped in; a read-only look opens, and its data check names the version. A
// version made current while the store was closed, with no data key under it, still gets its
// check value at open (ARotatedInKekGetsACheckValueVerifiedOnReopen).
TEST_F(RecordStoreTest, AKekCheckValueDeletedUnderItsDataKeysIsRefusedNotRecordedAgain) {
  CreateOrFail(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
               MakeConviction("basic-prishtine", "P 1/2024"));
  CreateOrFail(MakePerson("Gashi", "Luan", "1975-01-01", "1111111111"),
               MakeConviction("basic-prishtine", "P 2/2024"));
  const auto delete_check_value = [&] {
    Batch batch;
    batch.Delete(Cf::kMeta, "keys/kek-check/1");
    ASSERT_TRUE(db_->Write(batch).ok());
  };
  const auto check_value_kept = [&] {
    absl::StatusOr<std::optional<std::string>> stored = db_->Get(Cf::kMeta, "keys/kek-check/1");
    return stored.ok() && stored->has_value();
  };
  ASSERT_TRUE(check_value_kept());
  ASSERT_NO_FATAL_FAILURE(delete_check_value());
  // While open: the same KEKs read again from the key file, as a rotation that found nothing to
  // do swaps them in.
  keys_->Set(Ring({{1, kek1_}}, 1));
  absl::StatusOr<std::string> written = Create(MakePerson("Gashi", "Luan", "1975-01-01",
                                                          "1111111111"),
                                               MakeConviction("basic-prishtine", "P 3/2024"));
  EXPECT_EQ(written.status().code(), absl::StatusCode::kDataLoss) << written.status();
  EXPECT_FALSE(check_value_kept());

  store_.reset();
  absl::StatusOr<std::unique_ptr<RecordStore>> refused =
      RecordStore::Create(db_.get(), keys_.get(), derivation_root_, normalizer_);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
  EXPECT_THAT(refused.status().message(),
              ::testing::HasSubstr("2 data keys under key-encryption key version 1 but no check "
                                   "value for that version"));
  EXPECT_THAT(refused.status().message(),
              ::testing::HasSubstr("restore the data folder from a backup"));
  EXPECT_FALSE(check_value_kept());

  absl::StatusOr<std::unique_ptr<RecordStore>> look = RecordStore::Create(
      db_.get(), keys_.get(), derivation_root_, normalizer_, /*read_only=*/true);
  ASSERT_TRUE(look.ok()) << look.status();
  DataCheckReport report;
  ASSERT_TRUE((*look)->CheckAll([](absl::string_view, uint32_t) {}, &report).ok());
  EXPECT_THAT(report.problems,
              ::testing::ElementsAre("key-encryption key version 1: 2 data keys are under it, "
                                     "but its check value is missing"));
  EXPECT_FALSE(check_value_kept());
}

// "Number" is no part of a case number wherever a clerk puts it, repeated or not, in any case
// or script: each of these is "P 77/2025". The register's letters are never taken for it.
TEST(CanonicalCaseNumberTest, ANumberWordIsDroppedWhereverItStandsAndARegisterLetterNever) {
  const auto canonical = [](absl::string_view s) {
    absl::StatusOr<std::string> c = CanonicalCaseNumber(s);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.value_or("(failed)");
  };
  ASSERT_EQ(canonical("P 77/2025"), "p77/2025");
  for (const char* same : {
           "P.nr. 77/2025", "No. P 77/2025", "Nr. P 77/2025", "Br. P 77/2025", "NO P 77/2025",
           "nr. 77/2025 P", "P nr.nr. 77/2025", "P nr. nr. 77/2025", "P nr. br. 77/2025",
           "P num\xc3\xabr 77/2025",                   // numër
           "P NUM\xc3\x8bR 77/2025",                   // NUMËR
           "P nume\xcc\x88r 77/2025",                  // numër, the diaeresis combining
           "P numer 77/2025", "P broj 77/2025", "P Broj. 77/2025", "P n. 77/2025",
           "P number 77/2025", "P No. 77/2025", "Nr. P nr. 77/2025", "P 77/2025 nr.",
           "P.\xd0\xb1\xd1\x80. 77/2025",              // бр
           "P \xd0\x91\xd1\x80\xd0\xbe\xd1\x98 77/2025",  // Број
           "\xd0\x91\xd1\x80. P 77/2025",              // Бр. before the register
           "\xe2\x84\x96 P 77/2025",                   // the numero sign, No
           "77/2025 P", "77/2025-P"}) {
    EXPECT_EQ(canonical(same), "p77/2025") << same;
  }
  // The register's letters stay, whichever number word is beside them.
  EXPECT_EQ(canonical("PKR nr. 77/2025"), "pkr77/2025");
  EXPECT_EQ(canonical("No. PKR 77/2025"), "pkr77/2025");
  EXPECT_EQ(canonical("77/2025 PKR"), "pkr77/2025");
  EXPECT_EQ(canonical("K br. 77/2025"), "k77/2025");
  EXPECT_EQ(canonical("AC no. 77/2025"), "ac77/2025");
  EXPECT_EQ(canonical("C num\xc3\xabr 77/2025"), "c77/2025");
  // A lone n is a number word only in lower case, after the register's letters and a space or
  // a full stop, and before the number: an N may be a register's letter (PN, N).
  EXPECT_EQ(canonical("P n 77/2025"), "p77/2025");
  EXPECT_EQ(canonical("P.n. 77/2025"), "p77/2025");
  for (const char* register_n : {"PN 77/2025", "P.N. 77/2025", "P N. 77/2025", "Pn. 77/2025"}) {
    EXPECT_EQ(canonical(register_n), "pn77/2025") << register_n;
  }
  for (const char* register_n : {"N 77/2025", "N. 77/2025", "n. 77/2025"}) {
    EXPECT_EQ(canonical(register_n), "n77/2025") << register_n;
  }
  EXPECT_EQ(canonical("P 77 n. 2025"), "p77n2025");
  // A word that only holds one is another word; a number word between two numbers parts them.
  for (const char* other : {"PNR 77/2025", "P nrx 77/2025", "PBROJ 77/2025", "P nor 77/2025",
                            "P 77/2025 K", "P 77nr/2025", "NOP 77/2025"}) {
    EXPECT_NE(canonical(other), "p77/2025") << other;
  }
  EXPECT_EQ(canonical("P 5 nr 6/2020"), "p5/6/2020");
  EXPECT_EQ(canonical("P 5 broj 6"), "p5/6");
  // A case number of no number keeps its words.
  EXPECT_EQ(canonical("No"), "no");
  EXPECT_EQ(canonical("P nr"), "pnr");
  // The form before: the word only before the first number, and the letters where they stood.
  const auto before = [](absl::string_view s) {
    return CanonicalCaseNumber(s, CaseNumberForm::kBeforeNumberWordsAnywhere).value_or("");
  };
  EXPECT_EQ(before("No. P 77/2025"), "nop77/2025");
  EXPECT_EQ(before("P num\xc3\xabr 77/2025"), "pnum\xc3\xabr77/2025");
  EXPECT_EQ(before("nr. 77/2025 P"), "77/2025p");
  EXPECT_EQ(before("P nr.nr. 77/2025"), "pnr77/2025");
  EXPECT_EQ(before("P n. 77/2025"), "pn77/2025");
  EXPECT_EQ(before("P.nr. 77/2025"), "p77/2025");
  EXPECT_EQ(before("P l/2020"), "p1/2020");
}

// "No. P 77/2025", "P numër 77/2025" or "nr. 77/2025 P" was another case than "P 77/2025": an
// expunged conviction was entered again so, by a create, an import or an amendment, and a live
// one twice.
TEST_F(RecordStoreTest, ANumberWordAnywhereInTheCaseNumberIsTheSameConviction) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000127");
  const std::vector<const char*> spellings = {
      "No. P 77/2025",  "P nr.nr. 77/2025", "P num\xc3\xabr 77/2025", "P broj 77/2025",
      "nr. 77/2025 P",  "Nr. P 77/2025",    "Br. P 77/2025",          "P numer 77/2025",
      "P n. 77/2025",   "P number 77/2025", "P \xd0\xb1\xd1\x80\xd0\xbe\xd1\x98 77/2025"};
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "P.nr. 77/2025", spellings, spellings));
  const std::string other = CreateOrFail(person, MakeConviction("basic-prizren", "P 90/2025"));
  ASSERT_FALSE(other.empty());
  for (const char* spelling : spellings) {
    {
      // An import row. The batch holds every uniqueness stripe until it goes.
      PendingWrite batch;
      EXPECT_EQ(store_->StageCreate(person, MakeConviction("basic-prizren", spelling), Meta(),
                                    &batch, nullptr),
                ErasedConvictionError())
          << spelling;
    }
    absl::StatusOr<PendingWrite> amended =
        store_->PrepareChange(other, 0, [&](Record* record, std::string* why, VersionMeta* meta) {
          record->mutable_conviction()->set_case_number(spelling);
          *why = "case number corrected";
          *meta = Meta();
          return absl::OkStatus();
        });
    EXPECT_EQ(amended.status(), ErasedConvictionError()) << spelling;
  }
  // The register's letter N is no number word: PN's case is another.
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "PN 77/2025")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "P.N. 78/2025")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "P 78/2025")).ok());
}

// A conviction stored, or erased, while the canonical form kept a number word that stood
// elsewhere than right before the number ("No. P 81/2025" was "nop81/2025"), or the register's
// letters after the numbers ("5/2020 P" was "5/2020p"), is under that form's token: it is still
// found in every spelling.
TEST_F(RecordStoreTest, AConvictionStoredOrErasedBeforeNumberWordsWereDroppedAnywhereIsFound) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000128");
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "nop82/2025", {"P 82/2025", "No. P 82/2025", "P.nr. 82/2025", "nr. 82/2025 P"},
      "No. P 83/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "pnum\xc3\xabr84/2025", {"P 84/2025", "P broj 84/2025", "P num\xc3\xabr 84/2025"},
      "P num\xc3\xabr 85/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "86/2025p", {"P 86/2025", "nr. 86/2025 P", "No. P 86/2025"}, "86/2025 K"));

  // A live record filed under the earlier form's token, as it was stored.
  ASSERT_NO_FATAL_FAILURE(ExpectLiveUnderEarlierForm(
      person, "No. P 81/2025", CaseNumberForm::kBeforeNumberWordsAnywhere, "nop81/2025",
      {"P 81/2025", "P.nr. 81/2025", "Nr. P 81/2025", "No. P 81/2025", "P broj 81/2025"},
      {"P 81/2025", "No. P 81/2025", "P num\xc3\xabr 81/2025"}));
}

// More ways of writing one case number: "number" as Albanian "numri" and "num.", "nro.",
// Cyrillic "ном." and "номер", "N°" or "#"; "year" after the year ("g.", "godine", "г.",
// "viti"); and S or Z typed for 5 or 2 inside the numbers. The register's letters stay
// themselves, those whose Cyrillic form looks like another Latin letter too.
TEST(CanonicalCaseNumberTest, MoreNumberWordsYearWordsAndSOrZForADigitAreOneCaseNumber) {
  const auto canonical = [](absl::string_view s) {
    absl::StatusOr<std::string> c = CanonicalCaseNumber(s);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.value_or("(failed)");
  };
  for (const char* same : {
           "P numri 5/2020", "P NUMRI 5/2020", "P num. 5/2020", "P nro. 5/2020",
           "P numero 5/2020", "P nr.nr 5/2020", "P no. 5/2020", "P 5/2020 numri",
           "P \xd0\xbd\xd0\xbe\xd0\xbc. 5/2020",                    // ном.
           "P \xd0\x9d\xd0\xbe\xd0\xbc\xd0\xb5\xd1\x80 5/2020",     // Номер
           "\xd0\x9d\xd0\xbe\xd0\xbc. P 5/2020",                    // Ном. before the register
           "P \xd0\x91\xd1\x80. 5/2020",                            // Бр.
           "P \xd0\xb1\xd1\x80.\xd0\xb1\xd1\x80. 5/2020",             // бр.бр.
           "P N\xc2\xb0 5/2020", "P n\xc2\xb0 5/2020", "N\xc2\xb0 P 5/2020",  // N°, n°
           "P \xe2\x84\x96 5/2020", "P N\xc2\xba 5/2020",  // №, Nº
           "P # 5/2020", "P #5/2020",
           // A year word after the year.
           "P 5/2020 g.", "P 5/2020g.", "P 5/2020 G", "P 5/2020 god.", "P 5/2020 godine",
           "P 5/2020. godine", "P 5/2020 viti", "P nr. 5/2020 g.",
           "P 5/2020 \xd0\xb3.", "P 5/2020\xd0\xb3.",                                   // г.
           "P 5/2020 \xd0\xb3\xd0\xbe\xd0\xb4.",                                        // год.
           "P 5/2020 \xd0\xb3\xd0\xbe\xd0\xb4\xd0\xb8\xd0\xbd\xd0\xb5",                 // године
           // S for 5, Z for 2, inside the numbers.
           "P S/2020", "P S / 2020", "P-S/2020", "P 5/2O2O", "P 5/Z020", "P 5/20Z0"}) {
    EXPECT_EQ(canonical(same), "p5/2020") << same;
  }
  EXPECT_EQ(canonical("P 1S/2020"), "p15/2020");
  EXPECT_EQ(canonical("P lS/2020"), "p15/2020");
  EXPECT_EQ(canonical("P SO/2020"), "p50/2020");
  EXPECT_EQ(canonical("P Z/2020"), "p2/2020");
  EXPECT_EQ(canonical("P 5/202Z"), "p5/2022");
  EXPECT_EQ(canonical("1S/2020"), "15/2020");
  // Each register letter stays itself, and so does an S or Z where the register's letters
  // stand: first, right before the number, after a full stop, or after the numbers of a case
  // number with no letters before them.
  for (const char* letter : {"R", "V", "H", "U", "S", "C", "B", "Z", "G", "P", "X", "Y", "N"}) {
    const std::string lower = absl::AsciiStrToLower(letter);
    EXPECT_EQ(canonical(absl::StrCat(letter, " 5/2020")), absl::StrCat(lower, "5/2020"))
        << letter;
    EXPECT_EQ(canonical(absl::StrCat(letter, "5/2020")), absl::StrCat(lower, "5/2020"))
        << letter;
    EXPECT_EQ(canonical(absl::StrCat("5/2020 ", letter)), absl::StrCat(lower, "5/2020"))
        << letter;
  }
  for (const char* register_s : {"PS 5/2020", "P S5/2020", "P S 5/2020", "P.S. 5/2020",
                                 "P S. 5/2020", "PS5/2020", "5/2020 PS", "5/2020PS"}) {
    EXPECT_EQ(canonical(register_s), "ps5/2020") << register_s;
  }
  EXPECT_EQ(canonical("5/2020S"), "s5/2020");
  EXPECT_EQ(canonical("PZ 5/2020"), "pz5/2020");
  // A lone g after the numbers is the register's when no letters stand before them.
  EXPECT_EQ(canonical("5/2020 g."), "g5/2020");
  EXPECT_EQ(canonical("5/2020 godine"), "5/2020");
  // Other numbers stay other numbers: B is no 8 ("5b" is half of a split case), G no 6, a
  // space between digits parts two numbers, and a two-digit year is looked up, not folded.
  for (const char* other : {"P 5B/2020", "P 5b/2020", "P 5G/2020", "P 5/202G", "P 5 8/2020",
                            "P 1 234/2020", "P 5/20", "P 5/2020 K", "P 5/2020 gg"}) {
    EXPECT_NE(canonical(other), "p5/2020") << other;
    EXPECT_NE(canonical(other), "p58/2020") << other;
    EXPECT_NE(canonical(other), "p56/2020") << other;
    EXPECT_NE(canonical(other), "p1234/2020") << other;
  }
  // A Serbian Cyrillic word is read by sound: Р is R.
  EXPECT_EQ(canonical("\xd0\xa0 5/2020"), "r5/2020");
  EXPECT_EQ(canonical("R 5/2020"), "r5/2020");
  // The form before kept each of them.
  const auto before = [](absl::string_view s) {
    return CanonicalCaseNumber(s, CaseNumberForm::kBeforeMoreNumberWords).value_or("");
  };
  EXPECT_EQ(before("P numri 5/2020"), "pnumri5/2020");
  EXPECT_EQ(before("P \xd0\xbd\xd0\xbe\xd0\xbc. 5/2020"), "phom5/2020");
  EXPECT_EQ(before("P N\xc2\xb0 5/2020"), "pn5/2020");
  EXPECT_EQ(before("P 5/2020 g."), "p5/2020g");
  EXPECT_EQ(before("P 1S/2020"), "p1s2020");
  EXPECT_EQ(before("P S/2020"), "ps2020");
  EXPECT_EQ(before("No. P 5/2020"), "p5/2020");
  EXPECT_EQ(before("5/2020 P"), "p5/2020");
}

// "P numri 15/2025", "P 15/2025 g.", "P 1S/2025" or "P N° 15/2025" was another case than
// "P 15/2025": an expunged conviction was entered again so, and a live one twice.
TEST_F(RecordStoreTest, MoreNumberWordsAYearWordOrSForADigitInTheCaseNumberAreTheSameConviction) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000129");
  // The spellings the service is tried with, and more.
  std::vector<const char*> spellings(std::begin(testing::kMoreSpellingsOfP15Of2025),
                                     std::end(testing::kMoreSpellingsOfP15Of2025));
  spellings.insert(spellings.end(),
                   {"P num. 15/2025",
                    "P \xd0\xbd\xd0\xbe\xd0\xbc\xd0\xb5\xd1\x80 15/2025",  // номер
                    "P N\xc2\xb0 15/2025", "P # 15/2025", "P lS/2025", "P 15/2O2S"});
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "P 15/2025", spellings, spellings));
  // And the other way round: the spelling with the word entered first.
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "P 16/2025 godine",
                                              {"P 16/2025", "P numri 16/2025"},
                                              {"P 16/2025", "P 16/2025 g.", "P 16/25"}));
  // Another number is another case.
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "P 18/2025")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "PS 15/2025")).ok());
  // A letter between the number and the year is another case while "P 15/2025" is live; once it
  // is expunged, its case number up to its year refuses it (the safe side).
  EXPECT_EQ(Create(person, MakeConviction("basic-prizren", "P 15B/2025")).status(),
            ErasedCutConvictionError());
}

// A conviction stored, or erased, before these spellings were one case number is under the
// earlier form's token ("P numri 21/2025" was "pnumri21/2025", "P 22/2025 g." "p22/2025g",
// "P 2S/2025" "p2s2025"): it is still found, in that spelling and in the plain one.
TEST_F(RecordStoreTest, AConvictionStoredOrErasedBeforeMoreNumberWordsIsFound) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000130");
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "pnumri21/2025", {"P numri 21/2025", "P 21/2025", "P num. 21/2025", "P 21/25"},
      "P numri 31/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "p22/2025g", {"P 22/2025 g.", "P 22/2025", "P 22/25 g.", "P 22/2025 godine"},
      "P 32/2025 g."));
  ASSERT_NO_FATAL_FAILURE(
      ExpectErasedUnderEarlierForm(person, "p2s2025", {"P 2S/2025"}, "P 3S/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "\xd0\xbfhomep23/2025",  // п, then номер as folded
      {"\xd0\x9f \xd0\xbd\xd0\xbe\xd0\xbc\xd0\xb5\xd1\x80 23/2025",  // П номер
       "\xd0\x9f 23/2025", "P 23/2025"},
      "P 33/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "\xd0\xbf" "24/2025\xd0\xb3",  // п 24/2025 г
      {"\xd0\x9f 24/2025 \xd0\xb3.", "\xd0\x9f 24/2025", "P 24/2025"}, "P 34/2025"));

  // A live record filed under the earlier form's token, as it was stored.
  ASSERT_NO_FATAL_FAILURE(ExpectLiveUnderEarlierForm(
      person, "P numri 81/2025", CaseNumberForm::kBeforeMoreNumberWords, "pnumri81/2025",
      {"P 81/2025", "P numri 81/2025", "P.nr. 81/2025", "P 81/25"},
      {"P 81/2025", "P numri 81/2025", "P num. 81/2025"}));
}

// "R 5/2020" was refused as "P 5/2020" of the same person and court: the uniqueness check wrote
// it in Cyrillic, "р 5/2020", and read its р by look, P. Registers whose letters only differ so
// (R and P, V and B, H and X, U and Y, S and C, N and H) are two convictions, live or expunged;
// Cyrillic letters typed for the Latin ones they look like still fold, and a register in
// Cyrillic is still the same in Latin.
TEST_F(RecordStoreTest, RegistersWhoseCyrillicLettersLookLikeOtherLatinOnesAreTwoConvictions) {
  const Person person = MakePerson("Berisha", "Arben", "1981-02-03", "1000000131");
  std::map<std::string, std::string> ids;
  for (const char* letter : {"P", "R", "B", "V", "X", "H", "Y", "U", "C", "S", "N", "K"}) {
    const std::string case_number = absl::StrCat(letter, " 5/2020");
    absl::StatusOr<std::string> id =
        Create(person, MakeConviction("basic-prizren", case_number));
    ASSERT_TRUE(id.ok()) << case_number << ": " << id.status();
    ids[letter] = *id;
  }
  // PR is no PP, nor KR KP.
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "PR 6/2020")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "PP 6/2020")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "KR 6/2020")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "KP 6/2020")).ok());
  // The same ones again are refused, typed with a Cyrillic look-alike too (Р is P).
  for (const char* same : {"R 5/2020", "P 5/2020", "\xd0\xa0 5/2020", "V 5/2020", "S 5/2020"}) {
    EXPECT_EQ(Create(person, MakeConviction("basic-prizren", same)).status().code(),
              absl::StatusCode::kAlreadyExists)
        << same;
  }
  // One expunged leaves the other.
  ASSERT_NO_FATAL_FAILURE(Expunge(ids["R"]));
  ASSERT_NO_FATAL_FAILURE(Expunge(ids["V"]));
  EXPECT_EQ(Create(person, MakeConviction("basic-prizren", "R 5/2020")).status(),
            ErasedConvictionError());
  EXPECT_EQ(Create(person, MakeConviction("basic-prizren", "V 5/2020")).status(),
            ErasedConvictionError());
  EXPECT_EQ(Create(person, MakeConviction("basic-prizren", "P 5/2020")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(store_->Get(ids["P"]).ok());
  EXPECT_TRUE(store_->Get(ids["B"]).ok());

  // A register in Cyrillic is the same in Latin, either way round: ПКР is PKR.
  const Person other = MakePerson("Berisha", "Besa", "1982-02-03", "1000000132");
  CreateOrFail(other, MakeConviction("basic-prizren", "\xd0\x9f\xd0\x9a\xd0\xa0 7/2020"));
  CreateOrFail(other, MakeConviction("basic-prizren", "PKR 8/2020"));
  EXPECT_EQ(Create(other, MakeConviction("basic-prizren", "PKR 7/2020")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Create(other, MakeConviction("basic-prizren", "P.KR. 7/20")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Create(other, MakeConviction("basic-prizren", "\xd0\x9f\xd0\x9a\xd0\xa0 8/2020"))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Create(other, MakeConviction("basic-prizren", "PKP 7/2020")).ok());
}

// "Kz 77/2021", "Kzh 77/2021" and "KŽ 77/2021 v." were other cases than "Kž 77/2021", and
// "Pnr. 15/2022", "P n 15/2022", "P nummer 15/2022", "P 15/2022 vjet" or "P 15/2022 г.г." other
// than "P 15/2022": letters with a diacritic and their digraphs are the plain letters, and more
// number and year words go.
TEST(CanonicalCaseNumberTest, LettersWithADiacriticTheirDigraphsAndMoreWordsAreOneCaseNumber) {
  const auto canonical = [](absl::string_view s) { return CanonicalCaseNumber(s).value_or(""); };
  for (const char* kz : {"K\xc5\xbe 77/2021", "Kz 77/2021", "Kzh 77/2021", "KZH 77/2021",
                         "K\xc5\xbd 77/2021 v.", "K\xc5\xbe nr. 77/2021 viti",
                         "\xd0\x9a\xd0\x96 77/2021",  // КЖ
                         "K\xc5\xbenr. 77/2021"}) {
    EXPECT_EQ(canonical(kz), "kz77/2021") << kz;
  }
  EXPECT_EQ(canonical("P\xc5\xa1 5/2020"), "ps5/2020");          // Pš
  EXPECT_EQ(canonical("Psh 5/2020"), "ps5/2020");
  EXPECT_EQ(canonical("\xd0\x9f\xd0\xa8 5/2020"), "ps5/2020");  // ПШ
  for (const char* c : {"P\xc4\x8d 5/2020", "P\xc4\x87 5/2020", "P\xc3\xa7 5/2020", "Pch 5/2020",
                        "PC 5/2020"}) {
    EXPECT_EQ(canonical(c), "pc5/2020") << c;
  }
  for (const char* d : {"P\xc4\x91 5/2020", "Pdj 5/2020", "PD 5/2020"}) {
    EXPECT_EQ(canonical(d), "pd5/2020") << d;
  }
  EXPECT_EQ(canonical("P\xc3\xab 5/2020"), "pe5/2020");  // Pë
  for (const char* p : {"P 15/2022", "P 15/2022 v.", "Pnr. 15/2022", "P n 15/2022",
                        "P 15/2022 vjet", "P 15/2022 vit", "P 15/2022 vitit", "P 15/2022 godini",
                        "P 15/2022 gd.", "P br 15/2022 gdn", "P 15/2022 \xd0\xb3.\xd0\xb3.",
                        "P 15/2022 yr", "P 15/2022 year", "P 15/2022 anno", "P nummer 15/2022",
                        "P nr. i 15/2022", "P Nr. I 15/2022", "P 15/2022 r.",
                        "P 15/2022 e.", "Pbr. 15/2022"}) {
    EXPECT_EQ(canonical(p), "p15/2022") << p;
  }
  // "l." after the year was read as the digit 1 (step 7), a second conviction beside "P
  // 15/2022": it is a letter with a full stop, as "r." is (step 9).
  for (const char* p : {"P 15/2022 l.", "P 15/2022 L.", "P 15/2022 - l. ", "P nr. 15/2022 l."}) {
    EXPECT_EQ(canonical(p), "p15/2022") << p;
  }
  EXPECT_EQ(canonical("P 15/22 l."), "p15/22");
  EXPECT_EQ(canonical("P 15/22 v."), "p15/22");
  // Other registers stay other: K is no Kz, PN no "P n", PNR no "P nr", and a letter after the
  // year with no full stop, or one of a case number with no letters before its numbers, may be
  // the register's.
  EXPECT_EQ(canonical("K 77/2021"), "k77/2021");
  EXPECT_EQ(canonical("Pn 15/2022"), "pn15/2022");
  EXPECT_EQ(canonical("P N 15/2022"), "pn15/2022");
  EXPECT_EQ(canonical("PNR 15/2022"), "pnr15/2022");
  EXPECT_EQ(canonical("pnr 15/2022"), "pnr15/2022");
  // "nr" in lower case written onto capitals is the number word (step 5).
  EXPECT_EQ(canonical("Pnr 15/2022"), "p15/2022");
  // An l is 1 (step 7) where it can be another number: after a slash, with more after it, after
  // a number that is no year or with no number before the year.
  for (const char* one : {"P 15/2022/l.", "P 15/2022 l. 3"}) {
    EXPECT_EQ(canonical(one).substr(0, 10), "p15/2022/1") << one;
  }
  EXPECT_EQ(canonical("P 15/123 l."), "p15/123/1");
  EXPECT_EQ(canonical("P 2022 l."), "p2022/1");
  EXPECT_EQ(canonical("15/2022 l."), "15/2022/1");
  EXPECT_EQ(canonical("P 15/2022 I."), "p15/2022/1");
  EXPECT_EQ(canonical("P 15/2022 i"), "p15/2022/1");
  // An l standing last after the year, and a connecting word, are no part of it (step 9).
  EXPECT_EQ(canonical("P 15/2022 l"), "p15/2022");
  EXPECT_EQ(canonical("P 15/2022 e"), "p15/2022");
  EXPECT_EQ(canonical("P 5/2020 K"), "p5/2020k");
  EXPECT_EQ(canonical("15/2022 r."), "r15/2022");
  EXPECT_EQ(canonical("P i 15/2022"), "p1/15/2022");
  EXPECT_EQ(canonical("PZ 5/2020"), "pz5/2020");
  EXPECT_EQ(canonical("PS 5/2020"), "ps5/2020");
  EXPECT_NE(canonical("PS 5/2020"), canonical("PC 5/2020"));
  // The form before kept each of them.
  const auto before = [](absl::string_view s) {
    return CanonicalCaseNumber(s, CaseNumberForm::kBeforeFoldedRegisterLetters).value_or("");
  };
  EXPECT_EQ(before("K\xc5\xbe 77/2021"), "k\xc5\xbe" "77/2021");
  EXPECT_EQ(before("Kzh 77/2021"), "kzh77/2021");
  EXPECT_EQ(before("\xd0\x9a\xd0\x96 77/2021"), "k\xd0\xb6" "77/2021");
  EXPECT_EQ(before("P 15/2022 v."), "p15/2022v");
  EXPECT_EQ(before("Pnr. 15/2022"), "pnr15/2022");
  EXPECT_EQ(before("P n 15/2022"), "pn15/2022");
  EXPECT_EQ(before("P nummer 15/2022"), "pnummer15/2022");
  EXPECT_EQ(before("P 15/2022 \xd0\xb3.\xd0\xb3."), "p15/2022\xd0\xb3\xd0\xb3");
  EXPECT_EQ(before("P 15/2022 g."), "p15/2022");
  EXPECT_EQ(before("P 1S/2020"), "p15/2020");
  // The form before the l was a year letter read it as 1, and is kCurrent otherwise.
  const auto before_l = [](absl::string_view s) {
    return CanonicalCaseNumber(s, CaseNumberForm::kBeforeDottedL).value_or("");
  };
  EXPECT_EQ(before_l("P 15/2022 l."), "p15/2022/1");
  EXPECT_EQ(before_l("Kzh 77/2021 r."), "kz77/2021");
}

// "Kz 61/2025", "Kzh 61/2025", "Pnr. 62/2025" or "P 62/2025 vjet" was another case than
// "Kž 61/2025" or "P 62/2025": an expunged conviction was entered again so, and a live one twice.
TEST_F(RecordStoreTest, ALetterWithADiacriticOrItsDigraphAndMoreWordsAreTheSameConviction) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000133");
  const std::vector<const char*> kz = {"Kz 61/2025", "Kzh 61/2025", "K\xc5\xbd 61/2025 v.",
                                       "\xd0\x9a\xd0\x96 61/2025"};
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "K\xc5\xbe 61/2025", kz, kz));
  const std::vector<const char*> p = {"Pnr. 62/2025", "P n 62/2025", "P nummer 62/2025",
                                      "P 62/2025 vjet", "P 62/2025 \xd0\xb3.\xd0\xb3.",
                                      "P nr. i 62/2025", "P 62/2025 r."};
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "P 62/2025", p, p));
  // "P 15/2022 l." was stored as a second conviction beside "P 15/2022".
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "P 63/2025", {"P 63/2025 l."},
                                              {"P 63/2025 l.", "P 63/25 L."}));
  // Other registers are other cases.
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "K 61/2025")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "Pn 62/2025")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "PS 62/2025")).ok());
}

// A conviction stored, or erased, before letters with a diacritic were plain ones is under the
// earlier form's token ("Kž 63/2025" was "kž63/2025", "КЖ 64/2025" "kж64/2025", "Kzh 65/2025"
// "kzh65/2025", "P 66/2025 v." "p66/2025v"): it is still found, in any of its spellings.
TEST_F(RecordStoreTest, AConvictionStoredOrErasedBeforeLettersWithADiacriticWereFoldedIsFound) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000134");
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "k\xc5\xbe" "63/2025",
      {"K\xc5\xbe 63/2025", "Kz 63/2025", "Kzh 63/2025", "K\xc5\xbd 63/2025 v.",
       "K\xc5\xbe nr. 63/2025", "Kz 63/25"},
      "K 63/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "k\xd0\xb6" "64/2025",
      {"\xd0\x9a\xd0\x96 64/2025", "K\xc5\xbe 64/2025", "Kz 64/2025"}, "K 64/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "kzh65/2025", {"Kzh 65/2025", "Kz 65/2025", "K\xc5\xbe 65/2025"}, "K 65/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "p66/2025v", {"P 66/2025 v.", "P 66/2025", "P 66/25"}, "P 76/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "pnummer67/2025", {"P nummer 67/2025", "P 67/2025"}, "P 77/2025"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "p\xc4\x8d" "68/2025", {"P\xc4\x8d 68/2025", "Pc 68/2025", "Pch 68/2025"},
      "P 68/2025"));

  // A live record filed under the earlier form's token, as it was stored.
  ASSERT_NO_FATAL_FAILURE(ExpectLiveUnderEarlierForm(
      person, "K\xc5\xbe 81/2025", CaseNumberForm::kBeforeFoldedRegisterLetters,
      "k\xc5\xbe" "81/2025",
      {"K\xc5\xbe 81/2025", "Kz 81/2025", "Kzh 81/2025", "KZ 81/25"},
      {"K\xc5\xbe 81/2025", "Kz 81/2025", "Kzh 81/2025"}));
  // One stored, or erased, while an l with a full stop after the year was read as 1 ("P
  // 82/2025 l." was "p82/2025/1") is still found under that spelling.
  ASSERT_NO_FATAL_FAILURE(ExpectLiveUnderEarlierForm(
      person, "P 82/2025 l.", CaseNumberForm::kBeforeDottedL, "p82/2025/1", {"P 82/2025 l."},
      {"P 82/2025 l."}));
  // "P 83/2025" is not looked up under that form: it is "P 83/2025/1"'s too.
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "p83/2025/1", {"P 83/2025 l.", "P 83/2025/1"}, "P 83/2025"));
}

// A Cyrillic case number whose register uses Р, В, Н, С, У or Х was read by the letters' look
// ("КР 16/2021" as "kp16/2021"): its Latin spelling "KR 16/2021" was another conviction and
// "KP 16/2021", another register, the same. A Serbian Cyrillic word reads as Serbian Latin
// writes it, letter for letter; a Cyrillic letter among Latin ones by its look.
TEST(CanonicalCaseNumberTest, ASerbianCyrillicRegisterReadsAsItsLatinSpelling) {
  const auto canonical = [](absl::string_view s) { return CanonicalCaseNumber(s).value_or(""); };
  const std::vector<std::pair<const char*, const char*>> same = {
      {"\xd0\x9a\xd0\xa0 16/2021", "KR 16/2021"},          // КР
      {"\xd0\xa0 17/2021", "R 17/2021"},                   // Р
      {"\xd0\x9a\xd1\x80 18/2021", "Kr 18/2021"},          // Кр
      {"\xd0\x9a\xd0\xb2 19/2021", "Kv 19/2021"},          // Кв
      {"\xd0\xa1 20/2021", "S 20/2021"},                   // С
      {"\xd0\x9d 21/2021", "N 21/2021"},                   // Н
      {"\xd0\x9a\xd0\x9d 22/2021", "KN 22/2021"},          // КН
      {"\xd0\x9a\xd0\xa0\xd0\x96 23/2021", "KR\xc5\xbd 23/2021"},  // КРЖ, KRŽ
      {"\xd0\xa0- 24/2021", "R- 24/2021"},                 // Р-
      {"\xd0\xa3 25/2021", "U 25/2021"},                   // У
      {"\xd0\xa5 26/2021", "H 26/2021"},                   // Х
      {"\xd0\x9f\xd0\x9a\xd0\xa0 77/2022", "PKR 77/2022"},  // ПКР
      {"\xd0\x9f \xd0\xbd\xd0\xbe\xd0\xbc. 5/2020", "P 5/2020"},  // П ном.
      {"\xd0\x9f \xd0\xb1\xd1\x80. 5/2020 \xd0\xb3.", "P 5/2020"},  // П бр. 5/2020 г.
      {"\xd0\x89\xd0\x8a 5/2020", "LJNJ 5/2020"},          // ЉЊ
  };
  for (const auto& [cyrillic, latin] : same) {
    EXPECT_EQ(canonical(cyrillic), canonical(latin)) << cyrillic << " " << latin;
  }
  const std::vector<std::pair<const char*, const char*>> other = {
      {"\xd0\x9a\xd0\xa0 16/2021", "KP 16/2021"}, {"\xd0\xa0 17/2021", "P 17/2021"},
      {"\xd0\x9a\xd0\xb2 19/2021", "KB 19/2021"}, {"\xd0\xa1 20/2021", "C 20/2021"},
      {"\xd0\x9d 21/2021", "H 21/2021"},          {"\xd0\x9a\xd0\x9d 22/2021", "KH 22/2021"},
      {"\xd0\xa3 25/2021", "Y 25/2021"},          {"\xd0\xa5 26/2021", "X 26/2021"},
  };
  for (const auto& [cyrillic, latin] : other) {
    EXPECT_NE(canonical(cyrillic), canonical(latin)) << cyrillic << " " << latin;
  }
  // A Cyrillic letter among Latin ones is read by its look: "KР" with a Cyrillic Р is KP.
  EXPECT_EQ(canonical("K\xd0\xa0 16/2021"), "kp16/2021");
  // Registers with no such letter are their Latin spelling too.
  for (const auto& [cyrillic, latin] : std::vector<std::pair<const char*, const char*>>{
           {"\xd0\x9a\xd0\xbf\xd0\xbe 5/2020", "Kpo 5/2020"},  // Кпо
           {"\xd0\x9a\xd0\xb8 5/2020", "Ki 5/2020"},             // Ки
           {"\xd0\x9a\xd0\x9c 5/2020", "KM 5/2020"},             // КМ
           {"\xd0\x9a\xd0\xa2 5/2020", "KT 5/2020"},             // КТ
           {"\xd0\x9a 5/2020", "K 5/2020"}}) {                     // К
    EXPECT_EQ(canonical(cyrillic), canonical(latin)) << cyrillic;
  }
  // The form before read every Cyrillic letter by its look.
  EXPECT_EQ(CanonicalCaseNumber("\xd0\x9a\xd0\xa0 16/2021", CaseNumberForm::kBeforeCyrillicBySound)
                .value_or(""),
            "kp16/2021");
}

// The conviction "КР 16/2021" and "KR 16/2021" is one, in either order, live or expunged; "KP
// 16/2021" is another register and another conviction. So for each register whose Cyrillic letters
// look like other Latin ones.
TEST_F(RecordStoreTest, ACyrillicRegisterAndItsLatinSpellingAreOneConvictionInEitherOrder) {
  std::vector<std::array<std::string, 3>> registers;
  for (const testing::LookalikeRegister& r : testing::kLookalikeRegisters) {
    // Cyrillic, its Latin spelling, the register its letters look like.
    registers.push_back({absl::StrCat(r.cyrillic, " 5/2021"), absl::StrCat(r.latin, " 5/2021"),
                         absl::StrCat(r.look, " 5/2021")});
  }
  int n = 0;
  for (const auto& [cyrillic, latin, look] : registers) {
    for (const bool cyrillic_first : {true, false}) {
      SCOPED_TRACE(absl::StrCat(cyrillic, cyrillic_first ? " first" : " second"));
      const Person person = MakePerson("Hoxha", "Arta", "1980-01-01",
                                       absl::StrCat("77000", 10000 + n++));
      const std::string& first = cyrillic_first ? cyrillic : latin;
      const std::string& second = cyrillic_first ? latin : cyrillic;
      const std::string id = CreateOrFail(person, MakeConviction("basic-mitrovice", first));
      ASSERT_FALSE(id.empty());
      absl::StatusOr<std::string> again =
          Create(person, MakeConviction("basic-mitrovice", second));
      EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
      // The register the letters look like is another conviction.
      const std::string other = CreateOrFail(person, MakeConviction("basic-mitrovice", look));
      ASSERT_NO_FATAL_FAILURE(Expunge(id));
      EXPECT_EQ(Create(person, MakeConviction("basic-mitrovice", second)).status(),
                ErasedConvictionError());
      EXPECT_EQ(Create(person, MakeConviction("basic-mitrovice", first)).status(),
                ErasedConvictionError());
      EXPECT_TRUE(store_->Get(other).ok());
    }
  }
}

// A record stored, or a conviction erased, while a Cyrillic letter was read by its look ("КР
// 16/2021" filed as "kp16/2021") is still found in Cyrillic and in its Latin spelling. A new
// "KP 16/2021" cannot be told from it (the same token): refused as a duplicate, naming it. A new
// Cyrillic "Р 5/2020" beside a live Latin "P 5/2020" is another register, and is entered.
TEST_F(RecordStoreTest, ACyrillicRegisterFiledByItsLettersLookIsStillFound) {
  const Person person = MakePerson("Hoxha", "Besim", "1980-01-01", "7800000001");
  ASSERT_NO_FATAL_FAILURE(ExpectLiveUnderEarlierForm(
      person, "\xd0\x9a\xd0\xa0 16/2021", CaseNumberForm::kBeforeCyrillicBySound,
      "kp16/2021", {"\xd0\x9a\xd0\xa0 16/2021", "KR 16/2021", "Kr 16/21", "\xd0\x9a\xd1\x80 16/21"},
      {"\xd0\x9a\xd0\xa0 16/2021", "KR 16/2021", "kr 16/21"}));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "p17/2021", {"\xd0\xa0 17/2021", "R 17/2021", "\xd0\xa0 17/21"}, "R 18/2021"));

  // Live under the earlier form, with a Latin register its letters look like beside it.
  const Person other = MakePerson("Hoxha", "Drita", "1980-01-01", "7800000002");
  const std::string id =
      CreateOrFail(other, MakeConviction("basic-prizren", "\xd0\x9a\xd0\xa0 16/2021"));
  std::string earlier;
  ASSERT_NO_FATAL_FAILURE(EarlierFormToken(other, "kp16/2021", &earlier));
  RefileUnderDedupToken(id, earlier);
  EXPECT_EQ(Create(other, MakeConviction("basic-prizren", "KR 16/2021")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Create(other, MakeConviction("basic-prizren", "KP 16/2021")).status().code(),
            absl::StatusCode::kAlreadyExists);
  // A Latin "P 5/2020" live beside a new Cyrillic "Р 5/2020" (R): two registers.
  CreateOrFail(other, MakeConviction("basic-prizren", "P 5/2020"));
  EXPECT_TRUE(Create(other, MakeConviction("basic-prizren", "\xd0\xa0 5/2020")).ok());
}

// A court abroad typed with "ue" for ü (and oe, ae for ö, ä), or with a Roman numeral as its
// last word for the number, was another court: the conviction came back after it was expunged.
TEST_F(RecordStoreTest, CommonVariantsOfACourtAbroadsNameAreOneCourt) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "4200000071");
  const std::string wien = CreateOrFail(
      person, Abroad("Landesgericht f\xc3\xbcr Strafsachen Wien", "AT", "12 Hv 34/20"));
  const std::string muenchen =
      CreateOrFail(person, Abroad("Landgericht M\xc3\xbcnchen I", "DE", "5 KLs 2/21"));
  for (const char* court : {"Landesgericht fuer Strafsachen Wien",
                            "Landesgericht fur Strafsachen Wien"}) {
    EXPECT_EQ(Create(person, Abroad(court, "AT", "12 Hv 34/20")).status().code(),
              absl::StatusCode::kAlreadyExists)
        << court;
  }
  for (const char* court : {"Landgericht Muenchen I", "Landgericht M\xc3\xbcnchen 1",
                            "LANDGERICHT MUENCHEN 1"}) {
    EXPECT_EQ(Create(person, Abroad(court, "DE", "5 KLs 2/21")).status().code(),
              absl::StatusCode::kAlreadyExists)
        << court;
  }
  // Another numeral is another court.
  EXPECT_TRUE(Create(person, Abroad("Landgericht M\xc3\xbcnchen II", "DE", "5 KLs 2/21")).ok());
  ASSERT_NO_FATAL_FAILURE(Expunge(wien));
  ASSERT_NO_FATAL_FAILURE(Expunge(muenchen));
  for (const char* court : {"Landesgericht fuer Strafsachen Wien",
                            "Landesgericht f\xc3\xbcr Strafsachen Wien"}) {
    EXPECT_EQ(Create(person, Abroad(court, "AT", "12 Hv 34/20")).status(),
              ErasedConvictionError())
        << court;
  }
  for (const char* court : {"Landgericht Muenchen I", "Landgericht M\xc3\xbcnchen 1"}) {
    EXPECT_EQ(Create(person, Abroad(court, "DE", "5 KLs 2/21")).status(),
              ErasedConvictionError())
        << court;
  }
}

// A conviction abroad stored, or erased, before the variants of a court's name folded is under
// its name as typed: still found when the name is typed so.
TEST_F(RecordStoreTest, ACourtAbroadFiledBeforeItsNameVariantsFoldedIsStillFound) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "4200000072");
  const std::string id = CreateOrFail(
      person, Abroad("Landesgericht fuer Strafsachen Wien", "AT", "12 Hv 34/20"));
  absl::StatusOr<std::unique_ptr<crypto::BlindIndexer>> indexer =
      crypto::BlindIndexer::Create(derivation_root_, "court-case-person");
  ASSERT_TRUE(indexer.ok()) << indexer.status();
  absl::StatusOr<std::string> canonical = CanonicalCaseNumber("12 Hv 34/20");
  ASSERT_TRUE(canonical.ok());
  absl::StatusOr<std::string> as_typed = (*indexer)->Token(
      absl::StrCat("foreign|AT|landesgericht fuer strafsachen wien|", *canonical, "|",
                   person.personal_number()));
  ASSERT_TRUE(as_typed.ok());
  RefileUnderDedupToken(id, *as_typed);
  EXPECT_EQ(Create(person, Abroad("Landesgericht fuer Strafsachen Wien", "AT", "12 Hv 34/20"))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_NO_FATAL_FAILURE(Expunge(id));
  EXPECT_EQ(Create(person, Abroad("LANDESGERICHT FUER STRAFSACHEN WIEN", "AT", "12 Hv 34/20"))
                .status(),
            ErasedConvictionError());
}

// What may follow a judgment's number and year (a date, connecting words and prepositions, the
// year again) made another case number: "P 15/2021 e vitit", "P 15/2021 od 10.05.2021" or "P nr.
// 15 viti 2021" came back after "P 15/2021" was expunged. So did "P.n. 15/2021" and "Pnr15/2021"
// (n and nr for "number") and "P 15/2021 l".
TEST(CanonicalCaseNumberTest, WhatFollowsAJudgmentsYearIsNoPartOfItsCaseNumber) {
  const auto canonical = [](absl::string_view s) { return CanonicalCaseNumber(s).value_or(""); };
  const std::string p = canonical("P 15/2021");
  ASSERT_EQ(p, "p15/2021");
  for (const char* same : {
           "P.nr.15/2021 dt.10.05.2021", "P nr. 15/2021 i dat\xc3\xabs 10.05.2021",
           "P. br. 15/2021 od 10.05.2021", "P 15/2021 e vitit", "P 15/2021 od",
           "P 15/2021 iz 2021", "P nr. 15 viti 2021", "P nr. 15 i 2021", "P 15 od 2021",
           "P 15/2021 godine", "\xd0\x9f \xd0\xb1\xd1\x80. 15/2021 \xd0\xb3.",  // П бр. ... г.
           "\xd0\x9f 15/2021 \xd0\xbe\xd0\xb4 10.05.2021",                       // П ... од ...
           "P 15/2021 od 10.05.2021 godine", "P 15/2021 dt. 2021-05-10", "P 15/2021 of 10/5/21",
           "P 15/2021 e vitit 2021", "P 15/2021 e", "P 15/2021 l",
           "P 15/2021 v.", "P.n. 15/2021", "P.n.15/2021", "P. n. 15/2021", "P n 15/2021",
           "Pnr15/2021", "Pnr 15/2021", "Pbr. 15/2021"}) {
    EXPECT_EQ(canonical(same), p) << same;
  }
  EXPECT_EQ(canonical("P 15/21 e vitit 2021"), "p15/21");
  EXPECT_EQ(canonical("PKR 15/2021 viti 2021"), canonical("PKR 15/2021"));
  EXPECT_EQ(canonical("K\xc5\xbdnr 5/2020"), canonical("K\xc5\xbd 5/2020"));  // KŽnr
  // Genuinely other numbers stay other: another register, a letter after the year with no full
  // stop, a part after a slash, an I (a Roman numeral), a date with no word before it, another
  // year, a capital N after a full stop (a register's letter), a register "PNR" or "pnr".
  for (const char* other :
       {"PV 15/2021", "P 15/2021 K", "P 15/2021/3", "P 15/2021 I.", "P 15/2021 i",
        "P 15/2021 10.05.2021", "P 15/2021 iz 2022", "P 15/2021 od 2022", "P.N. 15/2021",
        "PNR 15/2021", "pnr 15/2021", "P 15/2020", "P 15/1921", "P 15/2021/l.",
        "P 15 od 2021 K", "P 1/15/2021"}) {
    EXPECT_NE(canonical(other), p) << other;
  }
  // The form before kept each of them.
  const auto before = [](absl::string_view s) {
    return CanonicalCaseNumber(s, CaseNumberForm::kBeforeCitationTail).value_or("");
  };
  EXPECT_EQ(before("P 15/2021 e vitit"), "p15/2021e");
  EXPECT_EQ(before("P 15/2021 od"), "p15/2021od");
  EXPECT_EQ(before("Pnr15/2021"), "pnr15/2021");
  EXPECT_EQ(before("P.n. 15/2021"), "pn15/2021");
  EXPECT_EQ(before("P 15/2021 l"), "p15/2021/1");
  EXPECT_EQ(before("P 15/2021 godine"), "p15/2021");
}

// "P 15/2021 e vitit", "P 15/2021 od 10.05.2021", "P nr. 15 viti 2021", "P.n. 15/2021" and
// their like were entered as a second record of a live "P 15/2021", and again after it was
// expunged.
TEST_F(RecordStoreTest, AJudgmentsDateOrConnectingWordsAfterItsYearAreTheSameConviction) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000135");
  const std::vector<const char*> p = {
      "P.nr.15/2021 dt.10.05.2021", "P nr. 15/2021 i dat\xc3\xabs 10.05.2021",
      "P. br. 15/2021 od 10.05.2021", "P 15/2021 e vitit", "P 15/2021 od", "P 15/2021 iz 2021",
      "P nr. 15 viti 2021", "P nr. 15 i 2021", "P 15 od 2021", "P 15/21 e vitit",
      "P.n. 15/2021", "P. n. 15/2021", "Pnr15/2021", "P 15/2021 l"};
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "P 15/2021", p, p));
  const std::vector<const char*> pkr = {"PKR 15/2021 viti 2021", "PKR 15 od 2021"};
  ASSERT_NO_FATAL_FAILURE(ExpectOneConviction(person, "PKR 15/2021", pkr, pkr));
  // Another register is another case; a letter or a part after the year, or another year after
  // it, is refused once "P 15/2021" is expunged: its case number up to its year (the safe side;
  // while it is live they are other cases: AnExpungedConvictionIsRefusedWhateverFollowsItsYear).
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "PV 15/2021")).ok());
  for (const char* other : {"P 15/2021 K", "P 15/2021/3", "P 15/2021 iz 2022"}) {
    EXPECT_EQ(Create(person, MakeConviction("basic-prizren", other)).status(),
              ErasedCutConvictionError())
        << other;
  }
}

// A conviction stored, or erased, while what follows a judgment's year was kept ("P 16/2021 e
// vitit" as "p16/2021e", "Pnr 18/2021" as "pnr18/2021", "P 19/2021 od 10.05.2021" with its
// date) is under that form's token: still found, in the spelling it was filed under and in the
// case number alone.
TEST_F(RecordStoreTest, AConvictionFiledBeforeWhatFollowsItsYearWasDroppedIsStillFound) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000136");
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "p16/2021e", {"P 16/2021 e vitit", "P 16/2021 e", "P 16/2021", "P 16/21"},
      "P 17/2021"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "pnr18/2021", {"Pnr 18/2021", "P 18/2021", "P nr. 18/2021"}, "PN 18/2021"));
  ASSERT_NO_FATAL_FAILURE(ExpectErasedUnderEarlierForm(
      person, "p20/2021od", {"P 20/2021 od", "P 20/2021"}, "P 21/2021"));
  ASSERT_NO_FATAL_FAILURE(ExpectLiveUnderEarlierForm(
      person, "P 19/2021 od 10.05.2021", CaseNumberForm::kBeforeCitationTail,
      "p19/2021od10/5/2021", {"P 19/2021 od 10.05.2021"}, {"P 19/2021 od 10.05.2021"}));
}

// A court abroad whose name has an apostrophe was another court when the apostrophe was typed
// as a space or a hyphen, or left out ("Tribunal d arrondissement de Lausanne"), and one whose
// name has a letter with a diacritic was another court when a digraph was written for it
// ("Vishi sud" for "Viši sud"): the conviction came back after it was expunged.
TEST_F(RecordStoreTest, ACourtAbroadsNameWithAnApostropheOrADigraphIsOneCourt) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "4200000073");
  struct Court {
    const char* entered;
    const char* country;
    std::vector<const char*> spellings;
  };
  const std::vector<Court> courts = {
      {"Tribunal d'arrondissement de Lausanne", "CH",
       {"Tribunal d arrondissement de Lausanne", "Tribunal d-arrondissement de Lausanne",
        "Tribunal d\xe2\x80\x99" "arrondissement de Lausanne"}},
      {"Tribunal judiciaire de l'Aude", "FR", {"Tribunal judiciaire de l Aude"}},
      {"Tribunale dell'Aquila", "IT", {"Tribunale dell Aquila", "Tribunale dell-Aquila"}},
      {"Vi\xc5\xa1i sud u Podgorici", "ME", {"Vishi sud u Podgorici", "Visi sud u Podgorici"}},
      {"Vi\xc5\xa1i sud u Beogradu", "RS",
       {"Vishi sud u Beogradu", "\xd0\x92\xd0\xb8\xd1\x88\xd0\xb8 \xd1\x81\xd1\x83\xd0\xb4 "
        "\xd1\x83 \xd0\x91\xd0\xb5\xd0\xbe\xd0\xb3\xd1\x80\xd0\xb0\xd0\xb4\xd1\x83"}},  // Виши
  };
  std::vector<std::string> ids;
  for (const Court& court : courts) {
    ids.push_back(CreateOrFail(person, Abroad(court.entered, court.country, "K 5/21")));
    for (const char* spelling : court.spellings) {
      EXPECT_EQ(Create(person, Abroad(spelling, court.country, "K 5/21")).status().code(),
                absl::StatusCode::kAlreadyExists)
          << spelling;
    }
  }
  for (const std::string& id : ids) ASSERT_NO_FATAL_FAILURE(Expunge(id));
  for (const Court& court : courts) {
    for (const char* spelling : court.spellings) {
      EXPECT_EQ(Create(person, Abroad(spelling, court.country, "K 5/21")).status(),
                ErasedConvictionError())
          << spelling;
    }
  }
  // An elided article is not written out, and "sj" is no digraph: other names.
  EXPECT_TRUE(Create(person, Abroad("Tribunale de L'Aquila", "IT", "K 5/21")).ok());
  EXPECT_TRUE(Create(person, Abroad("Visji sud u Beogradu", "RS", "K 5/21")).ok());
}

// A conviction abroad stored, or erased, while an apostrophe was part of its word and digraphs
// were kept, its name's variants folded ("tribunal darrondissement de lausanne 2", "vishi sud u
// podgorici 2") is under that form of its court's name: still found when the name is typed so.
TEST_F(RecordStoreTest, ACourtAbroadFiledBeforeApostrophesPartedWordsIsStillFound) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "4200000074");
  absl::StatusOr<std::unique_ptr<crypto::BlindIndexer>> indexer =
      crypto::BlindIndexer::Create(derivation_root_, "court-case-person");
  ASSERT_TRUE(indexer.ok()) << indexer.status();
  absl::StatusOr<std::string> canonical = CanonicalCaseNumber("K 6/21");
  ASSERT_TRUE(canonical.ok());
  for (const auto& [court, country, filed_as] :
       std::vector<std::array<const char*, 3>>{
           {"Tribunal d'arrondissement de Lausanne II", "CH",
            "tribunal darrondissement de lausanne 2"},
           {"Vishi sud u Podgorici II", "ME", "vishi sud u podgorici 2"}}) {
    SCOPED_TRACE(court);
    const std::string id = CreateOrFail(person, Abroad(court, country, "K 6/21"));
    absl::StatusOr<std::string> earlier = (*indexer)->Token(absl::StrCat(
        "foreign|", country, "|", filed_as, "|", *canonical, "|", person.personal_number()));
    ASSERT_TRUE(earlier.ok());
    RefileUnderDedupToken(id, *earlier);
    EXPECT_EQ(Create(person, Abroad(court, country, "K 6/21")).status().code(),
              absl::StatusCode::kAlreadyExists);
    ASSERT_NO_FATAL_FAILURE(Expunge(id));
    EXPECT_EQ(Create(person, Abroad(court, country, "K 6/21")).status(), ErasedConvictionError());
  }
}

// The reviewer's spellings of "P 15/2021" that the closed list of what may follow a year missed:
// month names, Roman months and years, other prepositions, O for zero, a word after the date, a
// date between the number and the year. Cut after its year, each is "p15/2021".
constexpr const char* kWhateverFollowsTheYear[] = {
    "P 15/2021 of 10 May 2021", "P 15/2021 od 10. maja 2021",
    "P 15/2021 e dat\xc3\xabs 10 maj 2021", "P 15/2021 od 10.V.2021", "P 15/2021 dt 10-V-2021",
    "P 15/2021 MMXXI", "P 15/2021 e vitit MMXXI", "P 15/2021 m\xc3\xab 10.05.2021",
    "P 15/2021 datuar 10.05.2021", "P 15/2021 e datuar 10.05.2021",
    "P 15/2021 nga data 10.05.2021", "P 15/2021 me dat\xc3\xab 10.05.2021",
    "P 15/2021 \xd0\xbd\xd0\xb0 10.05.2021",  // на
    "P 15/2021 vom 10.05.2021", "P 15/2021 du 10.05.2021", "P 15/2021 dd 10.05.2021",
    "P 15/2021 od 10.O5.2O21", "P 15/2021 dt. 10.05.2021 dhe",
    "P 15/2021 dat\xc3\xab 10.05.2021 ora 12", "P 15 od 10.05.2021", "P 15 od 10.05.2021/2021",
    "P 15 od 10 May 2021"};

TEST(CanonicalCaseNumberTest, ACaseNumberCutAfterItsYearIsTheSameWhateverFollowsIt) {
  const auto cut = [](absl::string_view s) {
    return CanonicalCaseNumber(s, CaseNumberForm::kCutAtYear).value_or("?");
  };
  EXPECT_EQ(cut("P 15/2021"), "p15/2021");
  for (const char* same : kWhateverFollowsTheYear) EXPECT_EQ(cut(same), "p15/2021") << same;
  // On the safe side, a part after a slash and a letter after the year too.
  for (const char* same : {"P 15/2021/3", "P 15/2021 K", "P.nr. 15/2021", "Pbroj 15/2021"}) {
    EXPECT_EQ(cut(same), "p15/2021") << same;
  }
  EXPECT_EQ(cut("P 15/21 od 10 May"), "p15/21");
  // Another register, number or year is another cut form; none without a register first or a
  // year after the number.
  EXPECT_EQ(cut("PV 15/2021"), "pv15/2021");
  EXPECT_EQ(cut("P 16/2021 of 10 May 2021"), "p16/2021");
  EXPECT_EQ(cut("P 15/2022 of 10 May 2021"), "p15/2022");
  EXPECT_EQ(cut("15/2021 P"), "");
  EXPECT_EQ(cut("P 15"), "");
  // The exact form keeps live convictions apart.
  for (const char* other : {"P 15/2021/3", "PV 15/2021", "P 15/2021 K"}) {
    EXPECT_NE(CanonicalCaseNumber(other).value_or(""), "p15/2021") << other;
  }
}

// "Pbroj 15/2021", "Pnumër 15/2021", "Pno. 15/2021" and "PNr 15/2021" came back after "P
// 15/2021" was expunged: a number word written onto the register's capitals was read as
// register letters unless it was a lower-case nr or br.
TEST(CanonicalCaseNumberTest, AnyNumberWordWrittenOntoTheRegistersCapitalsIsANumberWord) {
  const auto canonical = [](absl::string_view s) { return CanonicalCaseNumber(s).value_or(""); };
  for (const char* same :
       {"Pbroj 15/2021", "Pnum\xc3\xabr 15/2021", "Pno. 15/2021", "PNr 15/2021", "PNo. 15/2021",
        "PBr. 15/2021", "Pnumri 15/2021", "PBroj 15/2021", "Pnumber 15/2021", "Pnr15/2021"}) {
    EXPECT_EQ(canonical(same), "p15/2021") << same;
  }
  EXPECT_EQ(canonical("K\xc5\xbd" "broj 5/2020"), canonical("K\xc5\xbd 5/2020"));  // KŽbroj
  // All capitals, or register letters not in capitals, stay the register's letters.
  for (const char* other : {"PNR 15/2021", "PNO 15/2021", "PBROJ 15/2021", "pno 15/2021"}) {
    EXPECT_NE(canonical(other), "p15/2021") << other;
  }
  // The form before kept them.
  EXPECT_EQ(CanonicalCaseNumber("Pbroj 15/2021", CaseNumberForm::kBeforeCitationTail).value_or(""),
            "pbroj15/2021");
}

// After "P 15/2021" was expunged, each of the reviewer's spellings came back as a new record:
// the erasure files its case number cut after its year, which every create looks up. While it is
// live, "P 15/2021/3", "PV 15/2021" and "P 15/2021 K" are other convictions.
TEST_F(RecordStoreTest, AnExpungedConvictionIsRefusedWhateverFollowsItsYear) {
  const Person person = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000137");
  const std::string id = CreateOrFail(person, MakeConviction("basic-prizren", "P 15/2021"));
  ASSERT_FALSE(id.empty());
  for (const char* other : {"P 15/2021/3", "PV 15/2021", "P 15/2021 K"}) {
    EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", other)).ok()) << other;
  }
  ASSERT_NO_FATAL_FAILURE(Expunge(id));
  for (const char* spelling : kWhateverFollowsTheYear) {
    const absl::Status refused =
        Create(person, MakeConviction("basic-prizren", spelling)).status();
    EXPECT_TRUE(refused == ErasedCutConvictionError() || refused == ErasedConvictionError())
        << spelling << ": " << refused;
  }
  EXPECT_EQ(Create(person, MakeConviction("basic-prizren", "P 15/2021 of 10 May 2021")).status(),
            ErasedCutConvictionError());
  EXPECT_EQ(Create(person, MakeConviction("basic-prizren", "P 15/21 of 10 May 2021")).status(),
            ErasedCutConvictionError());
  for (const char* glued : {"Pbroj 15/2021", "Pnum\xc3\xabr 15/2021", "Pno. 15/2021",
                            "PNr 15/2021"}) {
    EXPECT_EQ(Create(person, MakeConviction("basic-prizren", glued)).status(),
              ErasedConvictionError())
        << glued;
  }
  // Another court, person, number or year is another conviction.
  EXPECT_TRUE(Create(person, MakeConviction("basic-peje", "P 15/2021 of 10 May 2021")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "P 16/2021 of 10 May 2021")).ok());
  EXPECT_TRUE(Create(person, MakeConviction("basic-prizren", "P 15/2022 of 10 May 2021")).ok());
  const Person other = MakePerson("Hoxha", "Mimoza", "1979-04-05", "1000000138");
  EXPECT_TRUE(Create(other, MakeConviction("basic-prizren", "P 15/2021 of 10 May 2021")).ok());
}

// "Tribunal d'arrondissement de Lausanne" expunged came back as "Tribunal darrondissement de
// Lausanne": an apostrophe left out joined two words. Where a space, a hyphen or an apostrophe
// stood, or none, is no part of a court abroad's name; one filed while words stood apart
// ("tribunal d arrondissement de lausanne") is still found.
TEST_F(RecordStoreTest, ACourtAbroadsNameWithItsApostropheLeftOutIsOneCourt) {
  const Person person = MakePerson("Gashi", "Luan", "1975-01-01", "4200000075");
  const std::vector<const char*> spellings = {
      "Tribunal darrondissement de Lausanne", "Tribunal d'arrondissement deLausanne",
      "Tribunal d' arrondissement de Lausanne", "Tribunal-d-arrondissement de Lausanne"};
  const std::string id =
      CreateOrFail(person, Abroad("Tribunal d'arrondissement de Lausanne", "CH", "K 7/21"));
  for (const char* spelling : spellings) {
    EXPECT_EQ(Create(person, Abroad(spelling, "CH", "K 7/21")).status().code(),
              absl::StatusCode::kAlreadyExists)
        << spelling;
  }
  ASSERT_NO_FATAL_FAILURE(Expunge(id));
  for (const char* spelling : spellings) {
    EXPECT_EQ(Create(person, Abroad(spelling, "CH", "K 7/21")).status(), ErasedConvictionError())
        << spelling;
  }
  // Filed while words stood apart.
  absl::StatusOr<std::unique_ptr<crypto::BlindIndexer>> indexer =
      crypto::BlindIndexer::Create(derivation_root_, "court-case-person");
  ASSERT_TRUE(indexer.ok()) << indexer.status();
  absl::StatusOr<std::string> canonical = CanonicalCaseNumber("K 8/21");
  ASSERT_TRUE(canonical.ok());
  const std::string filed =
      CreateOrFail(person, Abroad("Tribunal d'arrondissement de Lausanne", "CH", "K 8/21"));
  absl::StatusOr<std::string> earlier = (*indexer)->Token(
      absl::StrCat("foreign|CH|tribunal d arrondissement de lausanne|", *canonical, "|",
                   person.personal_number()));
  ASSERT_TRUE(earlier.ok());
  RefileUnderDedupToken(filed, *earlier);
  for (const char* spelling :
       {"Tribunal d'arrondissement de Lausanne", "Tribunal d arrondissement de Lausanne"}) {
    EXPECT_EQ(Create(person, Abroad(spelling, "CH", "K 8/21")).status().code(),
              absl::StatusCode::kAlreadyExists)
        << spelling;
  }
  ASSERT_NO_FATAL_FAILURE(Expunge(filed));
  EXPECT_EQ(
      Create(person, Abroad("Tribunal d-arrondissement de Lausanne", "CH", "K 8/21")).status(),
      ErasedConvictionError());
}

}  // namespace
}  // namespace registry::storage
