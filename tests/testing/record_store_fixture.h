// A RecordStore on a real RocksDB in a temporary directory, for the storage tests: one name
// normaliser per test suite, a keyring of one random KEK (kek1_), a random derivation root, and
// helpers to make a person and to commit a new record.
#ifndef REGISTRY_TESTS_TESTING_RECORD_STORE_FIXTURE_H_
#define REGISTRY_TESTS_TESTING_RECORD_STORE_FIXTURE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/keyring.h"
#include "crypto/secret_bytes.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {

// A person born on `birth_date` with the personal number `personal_number`, every other field
// filled in with the same valid values.
inline registry::v1::Person MakePerson(absl::string_view surname, absl::string_view given_name,
                                       absl::string_view birth_date,
                                       absl::string_view personal_number) {
  registry::v1::Person p;
  p.set_surname(std::string(surname));
  p.set_given_name(std::string(given_name));
  p.set_father_name("Besim");
  p.set_sex(registry::v1::SEX_MALE);
  p.set_birth_date(std::string(birth_date));
  p.set_birth_place("Prishtinë");
  p.add_citizenships("XK");
  p.set_personal_number(std::string(personal_number));
  p.set_last_known_address("Rr. Agim Ramadani 14, Prishtinë");
  return p;
}

// A conviction at `court_id` under `case_number`, judged on 1 March 2024 and final on 15 May
// 2024, for one offence (06/L-074, article 230(1)) with 36 months of imprisonment.
inline registry::v1::Conviction MakeConviction(absl::string_view court_id,
                                               absl::string_view case_number) {
  registry::v1::Conviction c;
  c.set_court_id(std::string(court_id));
  c.set_case_number(std::string(case_number));
  c.set_judgment_date("2024-03-01");
  c.set_final_date("2024-05-15");
  auto* offence = c.add_offences();
  offence->set_law("06/L-074");
  offence->set_article(230);
  offence->set_paragraph(1);
  c.mutable_sentence()->set_type(registry::v1::SENTENCE_TYPE_IMPRISONMENT);
  c.mutable_sentence()->set_months(36);
  return c;
}

// A test clerk's change made on 2 January 2026, to a record visible to employers until
// `employer_visible_until` and due for deletion after 15 May 2054.
inline storage::VersionMeta ClerkMeta(absl::string_view employer_visible_until) {
  storage::VersionMeta meta;
  meta.actor = "spiffe://registry.kjc.test/clerk/test-clerk";
  meta.now = "2026-01-02T03:04:05Z";
  meta.today = "2026-01-02";
  meta.own.employer_visible_until = std::string(employer_visible_until);
  meta.own.delete_after = "2054-05-15";
  return meta;
}

class RecordStoreFixture : public ::testing::Test {
 protected:
  // `temp_prefix` names the temporary directory each test's database lives in.
  explicit RecordStoreFixture(std::string temp_prefix) : temp_prefix_(std::move(temp_prefix)) {}

  static void SetUpTestSuite() {
    auto normalizer = storage::NameNormalizer::Create();
    ASSERT_TRUE(normalizer.ok()) << normalizer.status();
    normalizer_ = normalizer->release();
  }
  static void TearDownTestSuite() {
    delete normalizer_;
    normalizer_ = nullptr;
  }

  void SetUp() override {
    root_ = MakeTempDir(temp_prefix_);
    storage::DatabaseOptions options;
    options.path = root_ + "/data";
    auto db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto kek1 = crypto::SecretBytes::Random(crypto::kKekSize);
    ASSERT_TRUE(kek1.ok());
    kek1_ = *std::move(kek1);
    keys_ = std::make_unique<storage::KeyringHolder>(Ring({{1, kek1_}}, 1));
    auto root = crypto::SecretBytes::Random(32);
    ASSERT_TRUE(root.ok());
    derivation_root_ = *std::move(root);
    auto store =
        storage::RecordStore::Create(db_.get(), keys_.get(), derivation_root_, normalizer_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  void TearDown() override {
    store_.reset();
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  // Prepares and commits a new record; its id, "" (and a failure) when it cannot be.
  std::string CommitNew(const registry::v1::Person& person,
                        const registry::v1::Conviction& conviction,
                        const storage::VersionMeta& meta) {
    absl::StatusOr<storage::PendingWrite> pending = store_->PrepareCreate(person, conviction, meta);
    EXPECT_TRUE(pending.ok()) << pending.status();
    if (!pending.ok()) return std::string();
    EXPECT_TRUE(db_->Write(*pending->batch()).ok());
    return pending->metadata().record_id();
  }

  // Amends record `id` from version `expected_version` by `edit`, giving `why` and `meta`, and
  // commits the change. A failure fails the test (fatally).
  void CommitChange(const std::string& id, uint32_t expected_version,
                    const std::function<void(registry::v1::Record*)>& edit,
                    const std::string& why, const storage::VersionMeta& meta) {
    absl::StatusOr<storage::PendingWrite> pending = store_->PrepareChange(
        id, expected_version,
        [&](registry::v1::Record* record, std::string* reason, storage::VersionMeta* version) {
          edit(record);
          *reason = why;
          *version = meta;
          return absl::OkStatus();
        });
    ASSERT_TRUE(pending.ok()) << pending.status();
    ASSERT_TRUE(db_->Write(*pending->batch()).ok());
  }

  static std::shared_ptr<const crypto::Keyring> Ring(
      std::vector<std::pair<uint32_t, crypto::SecretBytes>> keks, uint32_t current) {
    auto ring = crypto::Keyring::Create(std::move(keks), current);
    EXPECT_TRUE(ring.ok()) << ring.status();
    return ring.ok() ? std::shared_ptr<const crypto::Keyring>(*std::move(ring)) : nullptr;
  }

  static inline storage::NameNormalizer* normalizer_ = nullptr;
  std::string root_;
  crypto::SecretBytes derivation_root_;
  crypto::SecretBytes kek1_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::KeyringHolder> keys_;
  std::unique_ptr<storage::RecordStore> store_;

 private:
  std::string temp_prefix_;
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_RECORD_STORE_FIXTURE_H_
