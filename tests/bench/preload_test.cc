#include "bench/preload.h"

#include <cstdlib>
#include <filesystem>
#include <set>

#include "common/clock.h"
#include "crypto/blind_index.h"
#include "gtest/gtest.h"
#include "server/key_file.h"
#include "server/record_validation.h"
#include "server/reference_data.h"
#include "storage/audit_log.h"
#include "storage/audit_log_id.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"

namespace registry::bench {
namespace {

TEST(RecordGeneratorTest, RecordsAreValidUnderTheShippedReferenceData) {
  auto reference = server::ReferenceData::Load(REGISTRY_SOURCE_DIR "/deploy/reference");
  ASSERT_TRUE(reference.ok()) << reference.status();
  auto validator = server::RecordValidator::Create(reference->get(), server::ValidationOptions(),
                                                   SystemClock::Get());
  ASSERT_TRUE(validator.ok()) << validator.status();
  const RecordGenerator gen(1000000000, "2024");
  for (uint64_t n : {0ull, 1ull, 19ull, 399ull, 12345ull, 999999ull, 8999999999ull}) {
    const registry::v1::CreateRecordRequest r = gen.Record(n);
    EXPECT_TRUE((*validator)->ValidateRecord(r.person(), r.conviction()).ok())
        << "record " << n << ": " << (*validator)->ValidateRecord(r.person(), r.conviction());
  }
}

TEST(RecordGeneratorTest, PersonalNumbersAndCaseNumbersAreDistinct) {
  const RecordGenerator gen(1000000000, "2024");
  std::set<std::string> numbers, cases;
  for (uint64_t n = 0; n < 5000; ++n) {
    const registry::v1::CreateRecordRequest r = gen.Record(n);
    EXPECT_TRUE(numbers.insert(r.person().personal_number()).second);
    EXPECT_TRUE(cases.insert(r.conviction().case_number()).second);
    EXPECT_EQ(r.person().personal_number(), gen.PersonalNumber(n));
    EXPECT_EQ(r.person().surname(), gen.Surname(n));
    EXPECT_EQ(r.person().birth_date(), gen.BirthDate(n));
  }
  EXPECT_EQ(gen.PersonalNumber(7), "1000000007");
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bench-preload-XXXXXX");
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Several batches through one RecordStore: each batch takes uniqueness stripes in a different
// order, which once tripped abseil's lock-order checker (and could deadlock two bulk imports).
TEST(PreloadStoreTest, ManyBatchesAreWrittenAndReadable) {
  TempDir dir;
  auto keys = server::GenerateKeyFile(absl::Now());
  ASSERT_TRUE(keys.ok()) << keys.status();
  const std::string key_file = dir.path() + "/keys.json";
  ASSERT_TRUE(server::WriteKeyFile(key_file, *keys, false).ok());
  PreloadOptions options;
  options.data_dir = dir.path() + "/data";
  options.key_file = key_file;
  options.reference_dir = REGISTRY_SOURCE_DIR "/deploy/reference";
  options.records = 1500;
  options.audit_events = 300;
  options.threads = 2;
  options.batch = 250;
  options.audit_threads = 16;
  options.progress = false;
  const RecordGenerator gen(1000000000, "2024");
  absl::StatusOr<PreloadResult> loaded = PreloadStore(options, gen);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->ids.size(), 1500u);

  // Read back through a fresh store over the closed-and-reopened database.
  storage::DatabaseOptions db_options;
  db_options.path = options.data_dir;
  db_options.create_if_missing = false;
  auto db = storage::Database::Open(db_options);
  ASSERT_TRUE(db.ok()) << db.status();
  auto material = server::LoadKeyFile(key_file);
  ASSERT_TRUE(material.ok()) << material.status();
  storage::KeyringHolder holder(
      std::shared_ptr<const crypto::Keyring>(std::move(material->keyring)));
  auto normalizer = storage::NameNormalizer::Create();
  ASSERT_TRUE(normalizer.ok());
  auto store = storage::RecordStore::Create(db->get(), &holder, material->derivation_root,
                                            normalizer->get());
  ASSERT_TRUE(store.ok()) << store.status();
  for (uint64_t n : {0ull, 249ull, 250ull, 777ull, 1499ull}) {
    auto record = (*store)->Get(IdString(loaded->ids[n]));
    ASSERT_TRUE(record.ok()) << n << ": " << record.status();
    EXPECT_EQ(record->person().personal_number(), gen.PersonalNumber(n));
    EXPECT_EQ(record->conviction().case_number(), gen.Record(n).conviction().case_number());
  }
  // The dates were computed under the shipped retention rules, and the database says so: a
  // registryd started on it has nothing to re-date before it serves.
  auto reference = server::ReferenceData::Load(options.reference_dir);
  ASSERT_TRUE(reference.ok()) << reference.status();
  auto rules = (*store)->DatesRulesFingerprint();
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(*rules, (*reference)->RulesFingerprint());
  // The generator's records really are distinct: a second create of one is refused.
  const registry::v1::CreateRecordRequest again = gen.Record(5);
  storage::VersionMeta meta;
  meta.actor = "test";
  meta.now = "2026-01-01T00:00:00Z";
  EXPECT_EQ((*store)->PrepareCreate(again.person(), again.conviction(), meta).status().code(),
            absl::StatusCode::kAlreadyExists);
  auto state_key = crypto::DeriveKey(material->derivation_root, storage::kAuditLogKeyPurpose);
  ASSERT_TRUE(state_key.ok()) << state_key.status();
  auto log = storage::AuditLog::Open(db->get(), SystemClock::Get(), *state_key);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->CurrentHead().size, 300u);
  // Named as registryd names a new database, or registryd would refuse to serve it.
  EXPECT_TRUE(storage::ReadAuditLogId(**db, *state_key).ok());
}

}  // namespace
}  // namespace registry::bench
