// CheckStore: a person's vetting checks come back newest first and only theirs, a page at a time,
// every check on exactly one page however long the history; nothing of a check is readable in
// the `checks` family; a value moved under another person's key, or opened with
// another key, is DataLoss; withholding touches only the checks the erased record decided.
#include "storage/check_store.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "crypto/aes_gcm.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/pending_write.h"

namespace registry::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace fs = std::filesystem;

constexpr char kOrganisation[] = "Kopshti Lulet e Prishtinës";
constexpr char kRequester[] = "spiffe://kjc.example/employer/kopshti-lulet";
const std::string kPersonA(32, 'a');
const std::string kPersonB(32, 'b');
const absl::Time kNoon = absl::FromUnixSeconds(1'790'000'000);

StoredCheck MakeCheck(int n, registry::v1::VettingResult result,
                      std::vector<std::string> deciding = {}) {
  StoredCheck check;
  registry::v1::CheckSummary* s = check.mutable_summary();
  s->set_check_id(absl::StrCat(std::string(31 - absl::StrCat(n).size(), '0'), "c", n));
  s->set_organisation(kOrganisation);
  s->set_requester(kRequester);
  s->set_checked_at(absl::StrCat("2026-09-21T12:00:0", n, "Z"));
  s->set_position_category("kindergarten-teacher");
  s->set_result(result);
  for (std::string& id : deciding) check.add_deciding_record_ids(std::move(id));
  return check;
}

// Every record the checks name is still stored.
absl::StatusOr<bool> AllStored(absl::string_view) { return true; }

class CheckStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("check_store_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    ASSERT_NO_FATAL_FAILURE(Open());
  }
  // Opens the database in dir_ and the store over it, as a (re)started registryd does.
  void Open() {
    DatabaseOptions options;
    options.path = dir_.string();
    auto db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto checks = CheckStore::Create(db_.get(), key_);
    ASSERT_TRUE(checks.ok()) << checks.status();
    checks_ = std::move(*checks);
  }
  void TearDown() override {
    checks_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  void Record(const std::string& token, int n, registry::v1::VettingResult result,
              std::vector<std::string> deciding = {}) {
    PendingWrite w;
    ASSERT_TRUE(checks_->Stage(token, kNoon + absl::Seconds(n), MakeCheck(n, result, deciding), &w)
                    .ok());
    ASSERT_TRUE(db_->Write(w.staged()).ok());
  }

  // Every (key, value) of the checks family.
  std::vector<std::pair<std::string, std::string>> Raw() const {
    std::vector<std::pair<std::string, std::string>> rows;
    std::unique_ptr<Iterator> it = db_->NewIterator(Cf::kChecks);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rows.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    EXPECT_TRUE(it->status().ok()) << it->status();
    return rows;
  }

  fs::path dir_;
  const crypto::SecretBytes key_{std::string(32, 'k')};
  std::unique_ptr<Database> db_;
  std::unique_ptr<CheckStore> checks_;
};

TEST_F(CheckStoreTest, ListsOnlyThePersonsChecksNewestFirstAPageAtATime) {
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_CLEAR);
  Record(kPersonB, 2, registry::v1::VETTING_RESULT_NOT_CLEAR);
  Record(kPersonA, 3, registry::v1::VETTING_RESULT_NOT_CLEAR);
  Record(kPersonA, 4, registry::v1::VETTING_RESULT_CLEAR);

  auto all = checks_->List(kPersonA, std::nullopt, 10, AllStored);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->checks.size(), 3u);
  EXPECT_EQ(all->checks[0].check_id(), MakeCheck(4, {}).summary().check_id());
  EXPECT_EQ(all->checks[1].check_id(), MakeCheck(3, {}).summary().check_id());
  EXPECT_EQ(all->checks[2].check_id(), MakeCheck(1, {}).summary().check_id());
  EXPECT_EQ(all->checks[1].result(), registry::v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(all->checks[1].organisation(), kOrganisation);
  EXPECT_FALSE(all->next.has_value());

  // A page of one: the newest, and the place the next page starts below.
  auto newest = checks_->List(kPersonA, std::nullopt, 1, AllStored);
  ASSERT_TRUE(newest.ok()) << newest.status();
  ASSERT_EQ(newest->checks.size(), 1u);
  EXPECT_EQ(newest->checks[0].check_id(), MakeCheck(4, {}).summary().check_id());
  ASSERT_TRUE(newest->next.has_value());
  EXPECT_EQ(newest->next->check_id, MakeCheck(4, {}).summary().check_id());
  EXPECT_EQ(newest->next->checked_at_micros, absl::ToUnixMicros(kNoon + absl::Seconds(4)));
  auto rest = checks_->List(kPersonA, newest->next, 10, AllStored);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->checks.size(), 2u);
  EXPECT_EQ(rest->checks[0].check_id(), MakeCheck(3, {}).summary().check_id());
  EXPECT_EQ(rest->checks[1].check_id(), MakeCheck(1, {}).summary().check_id());
  EXPECT_FALSE(rest->next.has_value());
  // A page exactly as long as what is left says nothing follows.
  auto exact = checks_->List(kPersonA, newest->next, 2, AllStored);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->checks.size(), 2u);
  EXPECT_FALSE(exact->next.has_value());

  auto none = checks_->List(std::string(32, 'c'), std::nullopt, 10, AllStored);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->checks.empty());
}

// The flood that used to hide a check: one organisation's check of a person, then 1005 calls by
// another (rate-limited or not, each is kept). Followed page by page, the history holds every
// check once, newest first, the first organisation's last; none is left out for being old.
TEST_F(CheckStoreTest, EveryCheckIsOnExactlyOnePageWhateverTheHistorysLength) {
  constexpr int kFlood = 1005;
  const auto check_of = [](const std::string& organisation, int n) {
    StoredCheck check = MakeCheck(n, registry::v1::VETTING_RESULT_UNSPECIFIED);
    check.mutable_summary()->set_organisation(organisation);
    return check;
  };
  PendingWrite w;
  const StoredCheck earlier = check_of("kopshti-lulet", 1);
  ASSERT_TRUE(checks_->Stage(kPersonA, kNoon, earlier, &w).ok());
  for (int n = 2; n < 2 + kFlood; ++n) {
    // Two checks in each microsecond used, which their check ids order.
    const absl::Time at = kNoon + absl::Seconds(1) + absl::Microseconds(250 * (n / 2));
    ASSERT_TRUE(checks_->Stage(kPersonA, at, check_of("flooder", n), &w).ok());
  }
  ASSERT_TRUE(checks_->Stage(kPersonB, kNoon, check_of("flooder", 99999), &w).ok());
  ASSERT_TRUE(db_->Write(w.staged()).ok());

  for (const size_t page_size : {size_t{1000}, size_t{100}, size_t{7}}) {
    SCOPED_TRACE(page_size);
    std::vector<std::string> ids;
    std::vector<size_t> sizes;
    std::optional<CheckStore::HistoryPosition> after;
    do {
      auto page = checks_->List(kPersonA, after, page_size, AllStored);
      ASSERT_TRUE(page.ok()) << page.status();
      sizes.push_back(page->checks.size());
      for (const auto& check : page->checks) ids.push_back(check.check_id());
      if (page->next.has_value()) {
        ASSERT_EQ(page->checks.size(), page_size);
        EXPECT_EQ(page->next->check_id, page->checks.back().check_id());
      }
      after = page->next;
    } while (after.has_value());
    ASSERT_EQ(ids.size(), static_cast<size_t>(kFlood + 1));
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "a repeat";
    EXPECT_EQ(sizes.size(), (kFlood + 1 + page_size - 1) / page_size);
    // Newest first: the flood from its last check down, then the earlier organisation's.
    for (size_t i = 0; i < ids.size(); ++i) {
      const int n = i + 1 == ids.size() ? 1 : 1 + kFlood - static_cast<int>(i);
      ASSERT_EQ(ids[i], MakeCheck(n, {}).summary().check_id()) << i;
    }
  }
}

// Pages follow from a place, not a count: checks made after the first page (newer than all of
// it) neither repeat a check on the next page nor push one out of it.
TEST_F(CheckStoreTest, APageStartsBelowTheLastCheckOfTheOneBeforeWhateverCameMeanwhile) {
  for (int n = 1; n <= 6; ++n) Record(kPersonA, n, registry::v1::VETTING_RESULT_CLEAR);
  auto first = checks_->List(kPersonA, std::nullopt, 3, AllStored);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->checks.size(), 3u);
  ASSERT_TRUE(first->next.has_value());
  for (int n = 7; n <= 9; ++n) Record(kPersonA, n, registry::v1::VETTING_RESULT_CLEAR);
  auto second = checks_->List(kPersonA, first->next, 3, AllStored);
  ASSERT_TRUE(second.ok()) << second.status();
  std::vector<std::string> ids;
  for (const auto& check : second->checks) ids.push_back(check.check_id());
  EXPECT_THAT(ids, ElementsAre(MakeCheck(3, {}).summary().check_id(),
                               MakeCheck(2, {}).summary().check_id(),
                               MakeCheck(1, {}).summary().check_id()));
  EXPECT_FALSE(second->next.has_value());
}

TEST_F(CheckStoreTest, TheKeySaysNeitherWhenNorWhichCheck) {
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_CLEAR);
  const auto rows = Raw();
  ASSERT_EQ(rows.size(), 1u);
  const std::string& key = rows[0].first;
  const std::string check_id = MakeCheck(1, {}).summary().check_id();
  absl::StatusOr<std::string> slot = checks_->Slot(kPersonA, check_id);
  ASSERT_TRUE(slot.ok()) << slot.status();
  absl::StatusOr<std::string> person = checks_->PersonKey(kPersonA);
  ASSERT_TRUE(person.ok()) << person.status();
  EXPECT_EQ(key, "H" + *person + *slot);
  EXPECT_EQ(key.find(check_id), std::string::npos);
  const std::string micros = EncodeU64(static_cast<uint64_t>(absl::ToUnixMicros(kNoon + absl::Seconds(1))));
  EXPECT_EQ(key.find(micros.substr(0, 6)), std::string::npos) << "the time's leading bytes";
  // The slot is keyed: another store key gives another slot for the same check.
  auto other = CheckStore::Create(db_.get(), crypto::SecretBytes(std::string(32, 'x')));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(*(*other)->Slot(kPersonA, check_id), *slot);
}

TEST_F(CheckStoreTest, TheNewestComeFirstByTheSealedTimeWhateverTheKeysOrder) {
  // Entered out of time order; the keys' order is the slots', unrelated to either.
  for (int n : {5, 1, 9, 3, 7, 2, 8, 4, 6}) {
    Record(kPersonA, n, registry::v1::VETTING_RESULT_CLEAR);
  }
  auto newest = checks_->List(kPersonA, std::nullopt, 4, AllStored);
  ASSERT_TRUE(newest.ok()) << newest.status();
  std::vector<std::string> ids;
  for (const auto& check : newest->checks) ids.push_back(check.check_id());
  EXPECT_THAT(ids, ElementsAre(MakeCheck(9, {}).summary().check_id(),
                               MakeCheck(8, {}).summary().check_id(),
                               MakeCheck(7, {}).summary().check_id(),
                               MakeCheck(6, {}).summary().check_id()));
}

// Rows of the earlier layout (token || u64be micros || check id) move to the current one, in
// batches, each handed to the caller to commit; listed afterwards as before.
TEST_F(CheckStoreTest, RowsOfTheEarlierLayoutMoveToKeysWithoutTheirTime) {
  auto aead = crypto::AesGcm::Create(key_);
  ASSERT_TRUE(aead.ok()) << aead.status();
  const auto legacy_key = [&](const std::string& token, int n) {
    return absl::StrCat(token, EncodeU64(static_cast<uint64_t>(
                                   absl::ToUnixMicros(kNoon + absl::Seconds(n)))),
                        MakeCheck(n, {}).summary().check_id());
  };
  Batch batch;
  for (const auto& [token, n] : std::vector<std::pair<std::string, int>>{
           {kPersonA, 1}, {kPersonA, 2}, {kPersonA, 3}, {kPersonB, 4}}) {
    const std::string key = legacy_key(token, n);
    auto sealed = (*aead)->Encrypt(
        MakeCheck(n, registry::v1::VETTING_RESULT_CLEAR).SerializeAsString(), key);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    batch.Put(Cf::kChecks, key, *sealed);
  }
  ASSERT_TRUE(db_->Write(batch).ok());

  std::vector<size_t> batches;
  auto moved = checks_->RekeyLegacyRows(3, [&](PendingWrite write, size_t rows) {
    batches.push_back(rows);
    return db_->Write(write.staged());
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 4u);
  EXPECT_THAT(batches, ElementsAre(3u, 1u));
  const auto rows = Raw();
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& [key, value] : rows) {
    EXPECT_EQ(key.size(), 1u + CheckStore::kPersonKeySize + CheckStore::kSlotSize);
  }

  auto listed = checks_->List(kPersonA, std::nullopt, 10, AllStored);
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::vector<std::string> ids;
  for (const auto& check : listed->checks) ids.push_back(check.check_id());
  EXPECT_THAT(ids, ElementsAre(MakeCheck(3, {}).summary().check_id(),
                               MakeCheck(2, {}).summary().check_id(),
                               MakeCheck(1, {}).summary().check_id()));
  // Nothing left to move.
  moved = checks_->RekeyLegacyRows(3, [&](PendingWrite, size_t) {
    ADD_FAILURE() << "nothing should be committed";
    return absl::OkStatus();
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 0u);

  // An old row that does not authenticate is left where it is, for the data check to name;
  // the others still move (in a folder whose move was not marked done).
  Batch forged;
  forged.Delete(Cf::kMeta, "layouts/vetting-checks");
  forged.Put(Cf::kChecks, legacy_key(kPersonB, 5), "not sealed by the registry");
  auto sealed = (*aead)->Encrypt(
      MakeCheck(6, registry::v1::VETTING_RESULT_CLEAR).SerializeAsString(), legacy_key(kPersonB, 6));
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  forged.Put(Cf::kChecks, legacy_key(kPersonB, 6), *sealed);
  ASSERT_TRUE(db_->Write(forged).ok());
  moved = checks_->RekeyLegacyRows(3, [&](PendingWrite write, size_t rows) {
    EXPECT_EQ(rows, 1u);
    return db_->Write(write.staged());
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 1u);
  DataCheckReport report;
  size_t authentic = 0, damaged = 0;
  ASSERT_TRUE(checks_
                  ->CheckAll([&](const CheckStore::StoredRow& row) {
                    ++(row.authentic ? authentic : damaged);
                  },
                             &report)
                  .ok());
  EXPECT_EQ(authentic, 5u);
  EXPECT_EQ(damaged, 1u);
  EXPECT_EQ(report.problem_count, 0u) << "named by the caller, which knows the check ids";
}

// Only a holder of the keys can seal a check under another check's slot; the data check still
// names it, since the history would then hold one check where the log wrote another.
TEST_F(CheckStoreTest, ACheckSealedUnderAnotherChecksSlotIsNamedByTheDataCheck) {
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_CLEAR);
  auto aead = crypto::AesGcm::Create(key_);
  ASSERT_TRUE(aead.ok()) << aead.status();
  absl::StatusOr<std::string> key_of_3 =
      checks_->RowKey(kPersonA, MakeCheck(3, {}).summary().check_id());
  ASSERT_TRUE(key_of_3.ok()) << key_of_3.status();
  const std::string key = *key_of_3;
  auto sealed =
      (*aead)->Encrypt(MakeCheck(2, registry::v1::VETTING_RESULT_CLEAR).SerializeAsString(), key);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  Batch batch;
  batch.Put(Cf::kChecks, key, *sealed);
  ASSERT_TRUE(db_->Write(batch).ok());

  DataCheckReport report;
  std::vector<std::string> ids;
  ASSERT_TRUE(checks_
                  ->CheckAll(
                      [&](const CheckStore::StoredRow& row) {
                        EXPECT_TRUE(row.authentic);
                        ids.push_back(row.check_id);
                      },
                      &report)
                  .ok());
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre(MakeCheck(1, {}).summary().check_id(),
                                                   MakeCheck(2, {}).summary().check_id()));
  EXPECT_EQ(report.vetting_checks, 2u);
  EXPECT_THAT(report.problems,
              ElementsAre(absl::StrCat("vetting check ", MakeCheck(2, {}).summary().check_id(),
                                       ": stored under another slot")));
}

TEST_F(CheckStoreTest, RefusesACheckIdThatIsNotThirtyTwoHexCharacters) {
  for (const std::string& bad : {std::string("short"), std::string(32, 'G'),
                                 std::string(33, '0'), std::string(32, 'A')}) {
    StoredCheck check = MakeCheck(1, registry::v1::VETTING_RESULT_CLEAR);
    check.mutable_summary()->set_check_id(bad);
    PendingWrite w;
    EXPECT_FALSE(checks_->Stage(kPersonA, kNoon, check, &w).ok()) << bad;
    EXPECT_TRUE(w.staged().empty()) << bad;
  }
}

TEST_F(CheckStoreTest, NothingOfACheckIsReadableInTheFamily) {
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_NOT_CLEAR, {"r-0001"});
  const auto rows = Raw();
  ASSERT_EQ(rows.size(), 1u);
  const std::string& value = rows[0].second;
  for (const std::string& text : {std::string(kOrganisation), std::string(kRequester),
                                  std::string("kindergarten-teacher"), std::string("r-0001"),
                                  MakeCheck(1, {}).summary().check_id()}) {
    EXPECT_EQ(value.find(text), std::string::npos) << text;
  }
}

TEST_F(CheckStoreTest, AValueMovedUnderAnotherPersonsKeyIsDataLoss) {
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_NOT_CLEAR);
  const auto rows = Raw();
  ASSERT_EQ(rows.size(), 1u);
  // The same key shape, with person B's person key after the mark.
  std::string moved_key = rows[0].first;
  absl::StatusOr<std::string> person_b = checks_->PersonKey(kPersonB);
  ASSERT_TRUE(person_b.ok()) << person_b.status();
  moved_key.replace(1, person_b->size(), *person_b);
  Batch batch;
  batch.Put(Cf::kChecks, moved_key, rows[0].second);
  ASSERT_TRUE(db_->Write(batch).ok());
  auto listed = checks_->List(kPersonB, std::nullopt, 10, AllStored);
  EXPECT_EQ(listed.status().code(), absl::StatusCode::kDataLoss) << listed.status();
}

TEST_F(CheckStoreTest, AnotherKeyCannotOpenTheChecks) {
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_CLEAR);
  auto other = CheckStore::Create(db_.get(), crypto::SecretBytes(std::string(32, 'x')));
  ASSERT_TRUE(other.ok()) << other.status();
  // Another key derives another person key: the person's rows are not even found under it.
  auto listed = (*other)->List(kPersonA, std::nullopt, 10, AllStored);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_TRUE(listed->checks.empty());
  // Read whole, no row opens.
  DataCheckReport report;
  size_t rows = 0;
  ASSERT_TRUE((*other)
                  ->CheckAll(
                      [&](const CheckStore::StoredRow& row) {
                        ++rows;
                        EXPECT_FALSE(row.authentic);
                      },
                      &report)
                  .ok());
  EXPECT_EQ(rows, 1u);
  EXPECT_EQ(report.vetting_checks, 0u);
}

TEST_F(CheckStoreTest, WithholdingRewritesOnlyTheChecksTheRecordDecided) {
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_NOT_CLEAR, {"r-erased"});
  Record(kPersonA, 2, registry::v1::VETTING_RESULT_NOT_CLEAR, {"r-kept"});
  Record(kPersonA, 3, registry::v1::VETTING_RESULT_CLEAR);
  Record(kPersonB, 4, registry::v1::VETTING_RESULT_NOT_CLEAR, {"r-erased"});

  PendingWrite w;
  auto rewritten = checks_->StageWithhold(kPersonA, "r-erased", &w);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten, 1);
  ASSERT_TRUE(db_->Write(w.staged()).ok());

  auto a = checks_->List(kPersonA, std::nullopt, 10, AllStored);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->checks.size(), 3u);
  // Newest first: 3, 2, 1.
  EXPECT_EQ(a->checks[0].result(), registry::v1::VETTING_RESULT_CLEAR);
  EXPECT_FALSE(a->checks[0].result_withheld());
  EXPECT_EQ(a->checks[1].result(), registry::v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_FALSE(a->checks[1].result_withheld());
  EXPECT_EQ(a->checks[2].result(), registry::v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_TRUE(a->checks[2].result_withheld());
  // Who asked and when stay.
  EXPECT_EQ(a->checks[2].organisation(), kOrganisation);
  EXPECT_EQ(a->checks[2].checked_at(), MakeCheck(1, {}).summary().checked_at());

  // Withholding is per person: B's check about the same record is B's erasure's to change.
  auto b = checks_->List(kPersonB, std::nullopt, 10, AllStored);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->checks.size(), 1u);
  EXPECT_EQ(b->checks[0].result(), registry::v1::VETTING_RESULT_NOT_CLEAR);

  // A result whose deciding record is no longer stored is withheld when listed, whatever the
  // stored check says (a row written back after the erasure is the registry's own, and
  // authenticates).
  const auto erased_gone = [](absl::string_view id) -> absl::StatusOr<bool> {
    return id != "r-erased";
  };
  auto b_listed = checks_->List(kPersonB, std::nullopt, 10, erased_gone);
  ASSERT_TRUE(b_listed.ok()) << b_listed.status();
  ASSERT_EQ(b_listed->checks.size(), 1u);
  EXPECT_EQ(b_listed->checks[0].result(), registry::v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_TRUE(b_listed->checks[0].result_withheld());
  auto a_listed = checks_->List(kPersonA, std::nullopt, 10, erased_gone);
  ASSERT_TRUE(a_listed.ok()) << a_listed.status();
  EXPECT_EQ(a_listed->checks[1].result(), registry::v1::VETTING_RESULT_NOT_CLEAR);  // r-kept
  // A record that fails authentication is an error, not a withheld result.
  const auto damaged = [](absl::string_view) -> absl::StatusOr<bool> {
    return absl::DataLossError("authentication failed");
  };
  EXPECT_EQ(checks_->List(kPersonB, std::nullopt, 10, damaged).status().code(),
            absl::StatusCode::kDataLoss);

  // A second pass finds nothing left to withhold.
  PendingWrite again;
  auto twice = checks_->StageWithhold(kPersonA, "r-erased", &again);
  ASSERT_TRUE(twice.ok()) << twice.status();
  EXPECT_EQ(*twice, 0);
}

// A REFER given by a namesake's record under another number is stored in the history of the
// number asked about and in the namesake's. Only the namesake's copy names that record as
// deciding it: the erasure of a record that was never the asked number's changes nothing in the
// asked number's history, which reads as it did before (and as a history untouched by any
// record does, as far as its entries' kinds go), while the namesake's own copy is withheld.
TEST_F(CheckStoreTest, AnEntryIsDecidedOnlyByItsOwnPersonsRecordsSoANamesakesErasureLeavesIt) {
  const std::string kPersonC(32, 'c');
  // The heads of the records, as the record store keeps them: each names its person's token.
  const auto head = [&](const std::string& record_id, const std::string& token) {
    StoredHead stored;
    stored.set_personal_number_token(token);
    Batch batch;
    batch.Put(Cf::kRecords, record_id, stored.SerializeAsString());
    ASSERT_TRUE(db_->Write(batch).ok());
  };
  ASSERT_NO_FATAL_FAILURE(head("r-of-b", kPersonB));
  ASSERT_NO_FATAL_FAILURE(head("r-of-c", kPersonC));
  // C is asked about under C's number: C's own record and B's (under B's number) referred it.
  // A is asked about under A's number, and has no record: B's referred it; A's other check
  // found nothing.
  Record(kPersonC, 1, registry::v1::VETTING_RESULT_REFER, {"r-of-c", "r-of-b"});
  Record(kPersonA, 2, registry::v1::VETTING_RESULT_REFER, {"r-of-b"});
  Record(kPersonA, 3, registry::v1::VETTING_RESULT_CLEAR);
  StoredCheck copy = MakeCheck(2, registry::v1::VETTING_RESULT_REFER, {"r-of-b"});
  copy.mutable_summary()->set_asked_under_another_number(true);
  PendingWrite copy_write;
  ASSERT_TRUE(checks_->Stage(kPersonB, kNoon + absl::Seconds(2), copy, &copy_write).ok());
  ASSERT_TRUE(db_->Write(copy_write.staged()).ok());

  const auto history = [&](const std::string& token, const CheckStore::IsStoredFn& is_stored) {
    std::vector<std::string> entries;
    auto page = checks_->List(token, std::nullopt, 10, is_stored);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const auto& check : page->checks) entries.push_back(check.SerializeAsString());
    }
    return entries;
  };
  const std::vector<std::string> a_before = history(kPersonA, AllStored);
  ASSERT_EQ(a_before.size(), 2u);

  // B's record is erased: its head goes, and B's history is rewritten in the erasure's batch.
  PendingWrite erase;
  erase.batch()->Delete(Cf::kRecords, "r-of-b");
  auto rewritten = checks_->StageWithhold(kPersonB, "r-of-b", &erase);
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_EQ(*rewritten, 1);
  ASSERT_TRUE(db_->Write(erase.staged()).ok());
  const auto b_gone = [](absl::string_view id) -> absl::StatusOr<bool> {
    return id != "r-of-b";
  };

  // A's history is what it was, byte for byte: the REFER as it was answered.
  EXPECT_EQ(history(kPersonA, b_gone), a_before);
  auto a = checks_->List(kPersonA, std::nullopt, 10, b_gone);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->checks.size(), 2u);
  EXPECT_EQ(a->checks[1].result(), registry::v1::VETTING_RESULT_REFER);
  EXPECT_FALSE(a->checks[1].result_withheld());
  // C's entry is decided by C's own record, still stored: its REFER stays too.
  auto c = checks_->List(kPersonC, std::nullopt, 10, b_gone);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->checks.size(), 1u);
  EXPECT_EQ(c->checks[0].result(), registry::v1::VETTING_RESULT_REFER);
  EXPECT_FALSE(c->checks[0].result_withheld());
  // B's copy is withheld: the erased record was B's.
  auto b = checks_->List(kPersonB, std::nullopt, 10, b_gone);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->checks.size(), 1u);
  EXPECT_EQ(b->checks[0].result(), registry::v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_TRUE(b->checks[0].result_withheld());
  EXPECT_TRUE(b->checks[0].asked_under_another_number());

  // C's own record goes: C's entry is withheld, by the erasure and by the listing alike.
  PendingWrite erase_c;
  erase_c.batch()->Delete(Cf::kRecords, "r-of-c");
  auto rewritten_c = checks_->StageWithhold(kPersonC, "r-of-c", &erase_c);
  ASSERT_TRUE(rewritten_c.ok()) << rewritten_c.status();
  EXPECT_EQ(*rewritten_c, 1);
  ASSERT_TRUE(db_->Write(erase_c.staged()).ok());
  auto c_after = checks_->List(kPersonC, std::nullopt, 10, AllStored);
  ASSERT_TRUE(c_after.ok()) << c_after.status();
  ASSERT_EQ(c_after->checks.size(), 1u);
  EXPECT_TRUE(c_after->checks[0].result_withheld());
}

// ---- Limit rows (the vetting limit per organisation and person, kept for a restart) ----

TEST_F(CheckStoreTest, LimitTakesCountOnlyTheOrganisationsOwnChecksOfThePersonSinceTheTime) {
  const auto take = [&](const std::string& org, const std::string& token, int n) {
    PendingWrite w;
    ASSERT_TRUE(checks_->StageLimitTake(org, token, kNoon + absl::Hours(n),
                                        MakeCheck(n, {}).summary().check_id(), &w)
                    .ok());
    ASSERT_TRUE(db_->Write(w.staged()).ok());
  };
  take("school-7", kPersonA, 1);
  take("school-7", kPersonA, 2);
  take("school-7", kPersonA, 3);
  take("school-7", kPersonB, 2);
  take("school-70", kPersonA, 2);  // an organisation whose id starts with the other's
  take("care-home-3", kPersonA, 2);
  const auto count = [&](const std::string& org, const std::string& token, absl::Time since) {
    absl::StatusOr<uint32_t> n = checks_->CountLimitTakes(org, token, since);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(999);
  };
  EXPECT_EQ(count("school-7", kPersonA, kNoon), 3u);
  EXPECT_EQ(count("school-7", kPersonA, kNoon + absl::Hours(2)), 2u);  // at `since` counts
  EXPECT_EQ(count("school-7", kPersonA, kNoon + absl::Hours(2) + absl::Microseconds(1)), 1u);
  EXPECT_EQ(count("school-7", kPersonA, kNoon + absl::Hours(4)), 0u);
  EXPECT_EQ(count("school-7", kPersonB, kNoon), 1u);
  EXPECT_EQ(count("school-70", kPersonA, kNoon), 1u);
  EXPECT_EQ(count("care-home-3", kPersonA, kNoon), 1u);
  EXPECT_EQ(count("dev-school", kPersonA, kNoon), 0u);
  // The rows are not in the checks family, whose rows all have the checks' own key shape.
  EXPECT_TRUE(Raw().empty());
}

// The limit and REFER rows carry a check's time; they are deleted once past what is counted,
// in batches of at most the number asked for, and the newer ones stay and still count.
TEST_F(CheckStoreTest, LimitAndReferRowsBeforeTheCutAreDeletedAndTheRestStillCount) {
  const absl::Time cut = kNoon + absl::Hours(10);
  PendingWrite w;
  for (int n : {1, 2, 9, 10, 11}) {
    const std::string id = MakeCheck(n, {}).summary().check_id();
    ASSERT_TRUE(checks_->StageLimitTake("school-7", kPersonA, kNoon + absl::Hours(n), id, &w).ok());
    ASSERT_TRUE(checks_->StageRefer("school-7", kNoon + absl::Hours(n), id, &w).ok());
  }
  ASSERT_TRUE(db_->Write(w.staged()).ok());
  const auto rows = [&] {
    size_t count = 0;
    std::unique_ptr<Iterator> it = db_->NewIterator(Cf::kMeta);
    for (it->Seek("limits/"); it->Valid() && absl::StartsWith(it->key(), "limits/"); it->Next()) {
      ++count;
    }
    return count;
  };
  ASSERT_EQ(rows(), 10u);

  // Six rows are older than the cut (three of each kind): a batch of four, then one of two.
  const auto prune = [&](std::vector<size_t>* batches) {
    return checks_->PruneCountedRows(cut, 4, [&](PendingWrite write, size_t n) {
      batches->push_back(n);
      return db_->Write(write.staged());
    });
  };
  std::vector<size_t> batches;
  absl::StatusOr<size_t> pruned = prune(&batches);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 6u);
  EXPECT_THAT(batches, ElementsAre(4u, 2u));
  EXPECT_EQ(rows(), 4u);
  batches.clear();
  pruned = prune(&batches);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 0u);
  EXPECT_THAT(batches, IsEmpty());
  absl::StatusOr<uint32_t> takes = checks_->CountLimitTakes("school-7", kPersonA, kNoon);
  ASSERT_TRUE(takes.ok()) << takes.status();
  EXPECT_EQ(*takes, 2u);  // hours 10 and 11: the cut itself is kept
  absl::StatusOr<std::vector<absl::Time>> refers =
      checks_->RefersBetween("school-7", kNoon, absl::InfiniteFuture(), "");
  ASSERT_TRUE(refers.ok()) << refers.status();
  EXPECT_THAT(*refers, ElementsAre(kNoon + absl::Hours(10), kNoon + absl::Hours(11)));
}

TEST_F(CheckStoreTest, ALimitRowNamesNeitherOrganisationNorPersonAndAMovedOneIsDataLoss) {
  const std::string id = MakeCheck(1, {}).summary().check_id();
  for (const std::string& person : {kPersonA, kPersonB}) {
    PendingWrite w;
    ASSERT_TRUE(checks_->StageLimitTake("school-7", person, kNoon, id, &w).ok());
    ASSERT_TRUE(db_->Write(w.staged()).ok());
  }
  std::vector<std::pair<std::string, std::string>> rows;
  {
    std::unique_ptr<Iterator> it = db_->NewIterator(Cf::kMeta);
    for (it->Seek("limits/"); it->Valid() && absl::StartsWith(it->key(), "limits/"); it->Next()) {
      rows.emplace_back(std::string(it->key()), std::string(it->value()));
    }
  }
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& [key, value] : rows) {
    // Which organisation asked about whom is sealed in the checks family; the rows keep it so.
    EXPECT_EQ(key.find("school-7"), std::string::npos);
    EXPECT_EQ(key.find(kPersonA), std::string::npos);
    EXPECT_EQ(key.find(kPersonB), std::string::npos);
  }
  // Each row's value under the other's key: neither authenticates.
  Batch batch;
  batch.Put(Cf::kMeta, rows[0].first, rows[1].second);
  batch.Put(Cf::kMeta, rows[1].first, rows[0].second);
  ASSERT_TRUE(db_->Write(batch).ok());
  EXPECT_EQ(checks_->CountLimitTakes("school-7", kPersonA, kNoon - absl::Hours(1)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(checks_->CountLimitTakes("school-7", kPersonB, kNoon - absl::Hours(1)).status().code(),
            absl::StatusCode::kDataLoss);

  PendingWrite w;
  EXPECT_FALSE(checks_->StageLimitTake("school-7", "short", kNoon, id, &w).ok());
  EXPECT_FALSE(checks_->StageLimitTake("", kPersonA, kNoon, id, &w).ok());
  EXPECT_FALSE(
      checks_->StageLimitTake(std::string("a\0b", 3), kPersonA, kNoon, id, &w).ok());
  EXPECT_FALSE(checks_->StageLimitTake("school-7", kPersonA, kNoon, "not-an-id", &w).ok());
  EXPECT_FALSE(checks_->CountLimitTakes("school-7", "short", kNoon).ok());
}

// REFER rows: each organisation reads its own, between two times both included, without the
// check being counted; the files do not name the organisation.
TEST_F(CheckStoreTest, ReferRowsAreTheOrganisationsOwnAndNameNoOrganisation) {
  // Check n at hour n; each check has an id of its own (the REFER row's key is a hash of it).
  const auto refer = [&](const std::string& org, int n, int id = 0) {
    PendingWrite w;
    ASSERT_TRUE(checks_->StageRefer(org, kNoon + absl::Hours(n),
                                    MakeCheck(id == 0 ? n : id, {}).summary().check_id(), &w)
                    .ok());
    ASSERT_TRUE(db_->Write(w.staged()).ok());
  };
  for (int n : {1, 2, 3}) refer("school-7", n);
  refer("school-70", 2, 12);
  const auto times = [&](const std::string& org, absl::Time since, absl::Time until,
                         const std::string& except) {
    absl::StatusOr<std::vector<absl::Time>> t = checks_->RefersBetween(org, since, until, except);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.value_or(std::vector<absl::Time>());
  };
  const absl::Time end = kNoon + absl::Hours(3);
  EXPECT_THAT(times("school-7", kNoon, end, ""),
              ElementsAre(kNoon + absl::Hours(1), kNoon + absl::Hours(2), end));
  EXPECT_THAT(times("school-7", kNoon + absl::Hours(2), end - absl::Microseconds(1), ""),
              ElementsAre(kNoon + absl::Hours(2)));
  EXPECT_THAT(times("school-7", kNoon, end, MakeCheck(3, {}).summary().check_id()),
              ElementsAre(kNoon + absl::Hours(1), kNoon + absl::Hours(2)));
  EXPECT_THAT(times("school-70", kNoon, end, ""), ElementsAre(kNoon + absl::Hours(2)));
  EXPECT_THAT(times("care-home-3", kNoon, end, ""), IsEmpty());
  std::unique_ptr<Iterator> it = db_->NewIterator(Cf::kMeta);
  int rows = 0;
  for (it->Seek("limits/org-refers/");
       it->Valid() && absl::StartsWith(it->key(), "limits/org-refers/"); it->Next(), ++rows) {
    EXPECT_EQ(std::string(it->key()).find("school"), std::string::npos);
  }
  EXPECT_EQ(rows, 4);
}

// A stolen data folder told each check's broad outcome by the size of its sealed value (a CLEAR
// 165 bytes, a NOT_CLEAR or REFER 199: each deciding record adds its id). Every check, whatever
// its result, its status and up to eight deciding records, and the rewrite that withholds one, is
// one size now; a check sealed before the padding still reads.
TEST_F(CheckStoreTest, ASealedChecksSizeTellsNeitherItsResultNorHowManyRecordsDecidedIt) {
  const std::string record(32, 'e');
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_CLEAR);
  Record(kPersonA, 2, registry::v1::VETTING_RESULT_NOT_CLEAR, {record});
  Record(kPersonA, 3, registry::v1::VETTING_RESULT_REFER, std::vector<std::string>(8, record));
  {
    StoredCheck refused = MakeCheck(4, registry::v1::VETTING_RESULT_UNSPECIFIED);
    refused.mutable_summary()->set_status_code(8);
    PendingWrite w;
    ASSERT_TRUE(checks_->Stage(kPersonA, kNoon + absl::Seconds(4), refused, &w).ok());
    ASSERT_TRUE(db_->Write(w.staged()).ok());
  }
  PendingWrite withhold;
  ASSERT_TRUE(checks_->StageWithhold(kPersonA, record, &withhold).ok());
  ASSERT_TRUE(db_->Write(withhold.staged()).ok());
  std::set<size_t> sizes;
  for (const auto& [key, value] : Raw()) sizes.insert(value.size());
  ASSERT_EQ(sizes.size(), 1u);
  EXPECT_EQ(*sizes.begin() % CheckStore::kSealedCheckBucket,
            crypto::kAesGcmNonceSize + crypto::kAesGcmTagSize);

  // A check sealed as before the padding: read as it was written.
  StoredCheck earlier = MakeCheck(5, registry::v1::VETTING_RESULT_NOT_CLEAR, {"r-0001"});
  earlier.set_checked_at_micros(absl::ToUnixMicros(kNoon + absl::Seconds(5)));
  absl::StatusOr<std::string> row_key = checks_->RowKey(kPersonB, earlier.summary().check_id());
  ASSERT_TRUE(row_key.ok()) << row_key.status();
  const std::string key = *row_key;
  absl::StatusOr<std::unique_ptr<crypto::AesGcm>> aead = crypto::AesGcm::Create(key_);
  ASSERT_TRUE(aead.ok()) << aead.status();
  absl::StatusOr<std::string> sealed = (*aead)->Encrypt(earlier.SerializeAsString(), key);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  Batch batch;
  batch.Put(Cf::kChecks, key, *sealed);
  ASSERT_TRUE(db_->Write(batch).ok());
  auto listed = checks_->List(kPersonB, std::nullopt, 10, AllStored);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->checks.size(), 1u);
  EXPECT_EQ(listed->checks[0].check_id(), earlier.summary().check_id());
  EXPECT_EQ(listed->checks[0].result(), registry::v1::VETTING_RESULT_NOT_CLEAR);
}

// The check id is the certificate's, which the employer and the candidate hold: a limit or REFER
// row's key carried it in the clear, linking the certificate to the organisation's other rows of
// that person or name. The key carries a keyed tag of it now; a row of the earlier layout (the
// check id itself) still counts, is found by the data check and is left out as the REFER alert's
// own check.
TEST_F(CheckStoreTest, ALimitRowsKeyDoesNotNameItsCheckAndEarlierRowsStillCount) {
  const std::string id = MakeCheck(1, {}).summary().check_id();
  const std::string earlier_id = MakeCheck(2, {}).summary().check_id();
  PendingWrite w;
  ASSERT_TRUE(checks_->StageLimitTake("school-7", kPersonA, kNoon, id, &w).ok());
  ASSERT_TRUE(checks_->StageRefer("school-7", kNoon, id, &w).ok());
  ASSERT_TRUE(db_->Write(w.staged()).ok());
  std::vector<std::string> keys;
  {
    std::unique_ptr<Iterator> it = db_->NewIterator(Cf::kMeta);
    for (it->Seek("limits/"); it->Valid() && absl::StartsWith(it->key(), "limits/"); it->Next()) {
      keys.emplace_back(it->key());
    }
  }
  ASSERT_EQ(keys.size(), 2u);
  absl::StatusOr<std::unique_ptr<crypto::AesGcm>> aead = crypto::AesGcm::Create(key_);
  ASSERT_TRUE(aead.ok()) << aead.status();
  Batch batch;
  for (const std::string& key : keys) {
    EXPECT_EQ(key.find(id), std::string::npos);
    // The same row as an earlier registry wrote it for another check, a second later: kind ||
    // the pair's or the organisation's token || time || the check id, sealed over nothing with
    // the key as associated data. The organisation's token is sealed in a REFER row now.
    std::string earlier;
    for (const std::string kind : {"limits/person-checks/", "limits/org-refers/"}) {
      if (!absl::StartsWith(key, kind)) continue;
      if (kind == "limits/person-checks/") {
        earlier = key.substr(0, kind.size() + 32);
      } else {
        absl::StatusOr<std::optional<std::string>> value = db_->Get(Cf::kMeta, key);
        ASSERT_TRUE(value.ok() && value->has_value());
        absl::StatusOr<std::string> plain = (*aead)->Decrypt(**value, key);
        ASSERT_TRUE(plain.ok()) << plain.status();
        earlier = kind + plain->substr(8, 32);
      }
    }
    ASSERT_FALSE(earlier.empty()) << key;
    earlier += EncodeU64(static_cast<uint64_t>(absl::ToUnixMicros(kNoon + absl::Seconds(1))));
    earlier += earlier_id;
    absl::StatusOr<std::string> sealed = (*aead)->Encrypt("", earlier);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    batch.Put(Cf::kMeta, earlier, *sealed);
  }
  ASSERT_TRUE(db_->Write(batch).ok());

  const absl::Time since = kNoon - absl::Hours(1);
  absl::StatusOr<uint32_t> count = checks_->CountLimitTakes("school-7", kPersonA, since);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 2u);
  for (const std::string& check : {id, earlier_id}) {
    absl::StatusOr<bool> has = checks_->HasLimitTake("school-7", kPersonA, since, check);
    ASSERT_TRUE(has.ok()) << has.status();
    EXPECT_TRUE(*has) << check;
  }
  absl::StatusOr<bool> other = checks_->HasLimitTake("school-7", kPersonA, since,
                                                     MakeCheck(3, {}).summary().check_id());
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE(*other);
  DataCheckReport report;
  auto takes = checks_->LimitTakesSince(since, {id, earlier_id}, &report);
  ASSERT_TRUE(takes.ok()) << takes.status();
  EXPECT_EQ(report.problem_count, 0u);
  EXPECT_EQ(*takes, (std::map<std::string, int>{{id, 1}, {earlier_id, 1}}));
  const auto refers = [&](const std::string& except) {
    auto times = checks_->RefersBetween("school-7", since, kNoon + absl::Hours(1), except);
    EXPECT_TRUE(times.ok()) << times.status();
    return times.value_or(std::vector<absl::Time>());
  };
  EXPECT_THAT(refers(""), ElementsAre(kNoon, kNoon + absl::Seconds(1)));
  EXPECT_THAT(refers(id), ElementsAre(kNoon + absl::Seconds(1)));
  EXPECT_THAT(refers(earlier_id), ElementsAre(kNoon));
}

// ---- What a stolen data folder shows: no join to the index, no link between copies, no times ----

// The checks family was keyed by the personal-number token itself, the very token of the index
// family's 'p' rows ('p' || token || record id): a thief without the key file joined a record to
// how often its person had been vetting-checked. The key holds a person key now, derived from the
// token under a key of its own: no key of the family starts with, holds or (without the key file)
// follows from a token.
TEST_F(CheckStoreTest, NoKeyOfTheFamilyStartsWithOrHoldsAPersonsIndexToken) {
  Record(kPersonA, 1, registry::v1::VETTING_RESULT_CLEAR);
  Record(kPersonA, 2, registry::v1::VETTING_RESULT_NOT_CLEAR, {"r-0001"});
  Record(kPersonB, 3, registry::v1::VETTING_RESULT_REFER, {"r-0002"});
  const auto rows = Raw();
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& [key, value] : rows) {
    for (const std::string& token : {kPersonA, kPersonB}) {
      EXPECT_FALSE(absl::StartsWith(key, token));
      EXPECT_EQ(key.find(token), std::string::npos);
      // Nor any 8 bytes of it.
      EXPECT_EQ(key.find(token.substr(0, 8)), std::string::npos);
    }
  }
  // The person key is keyed: another store key gives another one, and it is not the slot key's.
  absl::StatusOr<std::string> person = checks_->PersonKey(kPersonA);
  ASSERT_TRUE(person.ok()) << person.status();
  auto other = CheckStore::Create(db_.get(), crypto::SecretBytes(std::string(32, 'x')));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(*(*other)->PersonKey(kPersonA), *person);
  // A person's rows are still theirs alone.
  auto listed = checks_->List(kPersonA, std::nullopt, 10, AllStored);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->checks.size(), 2u);
}

// A REFER by a record under another number is stored in two histories. Its slot was a hash of
// the check id alone, so the two rows ended in the same 16 bytes, and the files said which two
// histories the REFER linked. Each copy's slot is bound to its history now: they share nothing.
TEST_F(CheckStoreTest, TheTwoCopiesOfAReferShareNoSlot) {
  const StoredCheck refer = MakeCheck(1, registry::v1::VETTING_RESULT_REFER, {"r-0001"});
  PendingWrite w;
  ASSERT_TRUE(checks_->Stage(kPersonA, kNoon, refer, &w).ok());
  StoredCheck copy = refer;
  copy.mutable_summary()->set_asked_under_another_number(true);
  ASSERT_TRUE(checks_->Stage(kPersonB, kNoon, copy, &w).ok());
  ASSERT_TRUE(db_->Write(w.staged()).ok());
  const auto rows = Raw();
  ASSERT_EQ(rows.size(), 2u);
  const std::string& a = rows[0].first;
  const std::string& b = rows[1].first;
  ASSERT_EQ(a.size(), b.size());
  const size_t slot_at = a.size() - CheckStore::kSlotSize;
  EXPECT_NE(a.substr(slot_at), b.substr(slot_at));
  // No 8 bytes of one key's slot are anywhere in the other key.
  for (size_t i = slot_at; i + 8 <= a.size(); ++i) {
    EXPECT_EQ(b.find(a.substr(i, 8)), std::string::npos) << i;
  }
  // Each history lists its own copy, and the data check reads both as authentic, each under its
  // own slot.
  for (const std::string& token : {kPersonA, kPersonB}) {
    auto listed = checks_->List(token, std::nullopt, 10, AllStored);
    ASSERT_TRUE(listed.ok()) << listed.status();
    ASSERT_EQ(listed->checks.size(), 1u);
    EXPECT_EQ(listed->checks[0].check_id(), refer.summary().check_id());
  }
  DataCheckReport report;
  std::set<std::string> persons;
  ASSERT_TRUE(checks_
                  ->CheckAll([&](const CheckStore::StoredRow& row) {
                    EXPECT_TRUE(row.authentic);
                    persons.insert(row.person);
                  },
                             &report)
                  .ok());
  EXPECT_EQ(report.problem_count, 0u);
  EXPECT_EQ(persons, (std::set<std::string>{*checks_->PersonKey(kPersonA),
                                           *checks_->PersonKey(kPersonB)}));
}

// The limit and REFER rows' keys carried each check's time (u64be micros) for two days, and
// the REFER rows were grouped under their organisation's token, so that the files told how many
// REFERs an organisation got, and when. The times are sealed in the values now, a REFER row's key
// is a hash of its check id alone, and a check's rows share no tag. Counting reads the sealed
// times, across a reopening of the files as before.
TEST_F(CheckStoreTest, LimitAndReferRowKeysHoldNoTimeAndCountAcrossAReopening) {
  const std::vector<int> hours = {1, 2, 3, 30};
  PendingWrite w;
  for (int n : hours) {
    const std::string id = MakeCheck(n, {}).summary().check_id();
    const absl::Time at = kNoon + absl::Hours(n);
    ASSERT_TRUE(checks_->StageLimitTake("school-7", kPersonA, at, id, &w).ok());
    ASSERT_TRUE(checks_->StageLimitTake("school-7", kPersonB, at, id, &w).ok());  // a name's
    ASSERT_TRUE(checks_->StageRefer("school-7", at, id, &w).ok());
  }
  ASSERT_TRUE(checks_->StageRefer("school-70", kNoon, MakeCheck(9, {}).summary().check_id(), &w)
                  .ok());
  ASSERT_TRUE(db_->Write(w.staged()).ok());
  std::vector<std::string> keys;
  {
    std::unique_ptr<Iterator> it = db_->NewIterator(Cf::kMeta);
    for (it->Seek("limits/"); it->Valid() && absl::StartsWith(it->key(), "limits/"); it->Next()) {
      keys.emplace_back(it->key());
    }
  }
  ASSERT_EQ(keys.size(), 3 * hours.size() + 1);
  std::set<std::string> tails;
  for (const std::string& key : keys) {
    for (int n : hours) {
      const std::string micros =
          EncodeU64(static_cast<uint64_t>(absl::ToUnixMicros(kNoon + absl::Hours(n))));
      // The leading bytes of the time are those of any time within about 19 hours of it.
      EXPECT_EQ(key.find(micros.substr(0, 4)), std::string::npos) << n;
    }
    // Every row's last 16 bytes are its own: the person's, the name's and the REFER row of one
    // check share none.
    EXPECT_TRUE(tails.insert(key.substr(key.size() - 16)).second);
  }
  // The REFER rows are not grouped by organisation: no 32 bytes after the kind repeat.
  std::set<std::string> refer_groups;
  for (const std::string& key : keys) {
    if (!absl::StartsWith(key, "limits/org-refers/")) continue;
    EXPECT_EQ(key.size(), strlen("limits/org-refers/") + 32);
    EXPECT_TRUE(refer_groups.insert(key.substr(strlen("limits/org-refers/"), 16)).second);
  }
  EXPECT_EQ(refer_groups.size(), hours.size() + 1);

  // Reopened, as a restarted registryd: the counts are read from the sealed times.
  checks_.reset();
  db_.reset();
  ASSERT_NO_FATAL_FAILURE(Open());
  const auto count = [&](const std::string& token, absl::Time since) {
    absl::StatusOr<uint32_t> n = checks_->CountLimitTakes("school-7", token, since);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(999);
  };
  EXPECT_EQ(count(kPersonA, kNoon), 4u);
  EXPECT_EQ(count(kPersonA, kNoon + absl::Hours(2)), 3u);  // at `since` counts
  EXPECT_EQ(count(kPersonA, kNoon + absl::Hours(2) + absl::Microseconds(1)), 2u);
  EXPECT_EQ(count(kPersonB, kNoon + absl::Hours(4)), 1u);
  EXPECT_EQ(count(std::string(32, 'c'), kNoon), 0u);
  const std::string id_of_3 = MakeCheck(3, {}).summary().check_id();
  absl::StatusOr<std::vector<absl::Time>> refers =
      checks_->RefersBetween("school-7", kNoon + absl::Hours(2), kNoon + absl::Hours(30), id_of_3);
  ASSERT_TRUE(refers.ok()) << refers.status();
  EXPECT_THAT(*refers, ElementsAre(kNoon + absl::Hours(2), kNoon + absl::Hours(30)));
  absl::StatusOr<std::vector<absl::Time>> others =
      checks_->RefersBetween("school-70", kNoon, absl::InfiniteFuture(), "");
  ASSERT_TRUE(others.ok()) << others.status();
  EXPECT_THAT(*others, ElementsAre(kNoon));
  for (const auto& [since, expected] : std::vector<std::pair<absl::Time, bool>>{
           {kNoon + absl::Hours(3), true}, {kNoon + absl::Hours(3) + absl::Seconds(1), false}}) {
    absl::StatusOr<bool> limit = checks_->HasLimitTake("school-7", kPersonA, since, id_of_3);
    ASSERT_TRUE(limit.ok()) << limit.status();
    EXPECT_EQ(*limit, expected);
    absl::StatusOr<bool> refer = checks_->HasRefer("school-7", since, id_of_3);
    ASSERT_TRUE(refer.ok()) << refer.status();
    EXPECT_EQ(*refer, expected);
  }
  absl::StatusOr<bool> not_theirs = checks_->HasRefer("school-70", kNoon, id_of_3);
  ASSERT_TRUE(not_theirs.ok()) << not_theirs.status();
  EXPECT_FALSE(*not_theirs);
  DataCheckReport report;
  auto takes = checks_->LimitTakesSince(kNoon + absl::Hours(3), {id_of_3}, &report);
  ASSERT_TRUE(takes.ok()) << takes.status();
  EXPECT_EQ(report.problem_count, 0u);
  EXPECT_EQ(*takes, (std::map<std::string, int>{{id_of_3, 2}}));

  // Pruned by the sealed times: hours 1 and 2 go (six rows) and the other organisation's REFER
  // at noon, the rest still count.
  std::vector<size_t> batches;
  absl::StatusOr<size_t> pruned =
      checks_->PruneCountedRows(kNoon + absl::Hours(3), 100, [&](PendingWrite write, size_t n) {
        batches.push_back(n);
        return db_->Write(write.staged());
      });
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 7u);
  EXPECT_EQ(count(kPersonA, kNoon), 2u);
}

// Rows of the layout before (token || slot of the check id alone) and of the one before that
// (token || time || check id) move to the current one in batches, each handed to the caller to
// commit. A move stopped part way (a batch's commit failed) leaves every check in exactly one
// layout; the next call moves the rest, and then marks the move done, so that later calls scan
// nothing. An authentic row of an earlier layout found after the mark (put back from an older
// copy of the files) is named by the data check: no history lists it.
TEST_F(CheckStoreTest, RowsOfTheEarlierLayoutsMoveResumablyAndOnlyOnce) {
  auto aead = crypto::AesGcm::Create(key_);
  ASSERT_TRUE(aead.ok()) << aead.status();
  const auto earlier_key = [&](const std::string& token, int n) {
    absl::StatusOr<std::string> slot = checks_->EarlierSlot(MakeCheck(n, {}).summary().check_id());
    EXPECT_TRUE(slot.ok()) << slot.status();
    return token + slot.value_or("");
  };
  const auto put_earlier = [&](const std::string& token, int n, Batch* batch) {
    StoredCheck check = MakeCheck(n, registry::v1::VETTING_RESULT_CLEAR);
    check.set_checked_at_micros(absl::ToUnixMicros(kNoon + absl::Seconds(n)));
    const std::string key = earlier_key(token, n);
    auto sealed = (*aead)->Encrypt(check.SerializeAsString(), key);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    batch->Put(Cf::kChecks, key, *sealed);
  };
  Batch batch;
  for (int n = 1; n <= 5; ++n) put_earlier(n % 2 == 0 ? kPersonB : kPersonA, n, &batch);
  {
    // One of the layout before that.
    const std::string key = absl::StrCat(
        kPersonA, EncodeU64(static_cast<uint64_t>(absl::ToUnixMicros(kNoon + absl::Seconds(6)))),
        MakeCheck(6, {}).summary().check_id());
    auto sealed = (*aead)->Encrypt(
        MakeCheck(6, registry::v1::VETTING_RESULT_CLEAR).SerializeAsString(), key);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    batch.Put(Cf::kChecks, key, *sealed);
  }
  ASSERT_TRUE(db_->Write(batch).ok());

  // Stopped after the first batch of two.
  int commits = 0;
  auto moved = checks_->RekeyLegacyRows(2, [&](PendingWrite write, size_t) {
    if (++commits > 1) return absl::UnavailableError("stopped");
    return db_->Write(write.staged());
  });
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kUnavailable);
  size_t current = 0;
  for (const auto& [key, value] : Raw()) {
    current += key.size() == 1 + CheckStore::kPersonKeySize + CheckStore::kSlotSize;
  }
  EXPECT_EQ(current, 2u);
  EXPECT_EQ(Raw().size(), 6u) << "each check in exactly one layout";

  // Resumed: the rest move, nothing twice.
  std::vector<size_t> batches;
  moved = checks_->RekeyLegacyRows(2, [&](PendingWrite write, size_t rows) {
    batches.push_back(rows);
    return db_->Write(write.staged());
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 4u);
  EXPECT_THAT(batches, ElementsAre(2u, 2u));
  for (const auto& [key, value] : Raw()) {
    EXPECT_EQ(key.size(), 1u + CheckStore::kPersonKeySize + CheckStore::kSlotSize);
  }
  std::vector<std::string> ids;
  for (const std::string& token : {kPersonA, kPersonB}) {
    auto listed = checks_->List(token, std::nullopt, 10, AllStored);
    ASSERT_TRUE(listed.ok()) << listed.status();
    for (const auto& check : listed->checks) ids.push_back(check.check_id());
  }
  EXPECT_THAT(ids, ElementsAre(MakeCheck(6, {}).summary().check_id(),
                               MakeCheck(5, {}).summary().check_id(),
                               MakeCheck(3, {}).summary().check_id(),
                               MakeCheck(1, {}).summary().check_id(),
                               MakeCheck(4, {}).summary().check_id(),
                               MakeCheck(2, {}).summary().check_id()));
  DataCheckReport report;
  ASSERT_TRUE(checks_->CheckAll([](const CheckStore::StoredRow&) {}, &report).ok());
  EXPECT_EQ(report.vetting_checks, 6u);
  EXPECT_EQ(report.problem_count, 0u);

  // Marked done: the next call commits nothing, and does not move a row put back since; the
  // data check names that row.
  Batch put_back;
  put_earlier(kPersonB, 7, &put_back);
  ASSERT_TRUE(db_->Write(put_back).ok());
  moved = checks_->RekeyLegacyRows(2, [&](PendingWrite, size_t) {
    ADD_FAILURE() << "nothing should be committed";
    return absl::OkStatus();
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, 0u);
  report = DataCheckReport();
  ASSERT_TRUE(checks_->CheckAll([](const CheckStore::StoredRow&) {}, &report).ok());
  EXPECT_THAT(report.problems,
              ElementsAre(absl::StrCat("vetting check ", MakeCheck(7, {}).summary().check_id(),
                                       ": stored in an earlier layout after the move at start, "
                                       "so its person's history does not list it")));
}

}  // namespace
}  // namespace registry::storage
