#include "tests/testing/stored_data.h"

#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "crypto/aes_gcm.h"
#include "crypto/blind_index.h"
#include "crypto/hmac.h"
#include "gtest/gtest.h"
#include "server/key_file.h"
#include "storage/audit_log.h"
#include "storage/audit_watermark.h"
#include "storage/check_store.h"

namespace registry::testing {

std::unique_ptr<storage::Database> OpenStoppedDatabase(const TestServer& server) {
  storage::DatabaseOptions options;
  options.path = server.config().data_dir();
  options.create_if_missing = false;
  // As the holder of the key file: its writes are sealed as the server's, which checks them.
  options.wal_seal_key = DerivedKeyOf(server, storage::kWalSealKeyPurpose);
  absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

void EditStoppedData(TestServer& server, const std::function<void(storage::Database*)>& edit) {
  server.Stop();
  std::unique_ptr<storage::Database> db = OpenStoppedDatabase(server);
  ASSERT_NE(db, nullptr);
  edit(db.get());
}

void ExpectRefusedByTheWatermarkThenForgeIt(TestServer& server) {
  const absl::Status started = server.Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_NE(started.message().find("audit watermark"), absl::string_view::npos) << started;
  server.Stop();
  ForgeWatermark(server);
}

void ForgeIndexSeal(TestServer& server) {
  server.Stop();
  storage::DatabaseOptions options;
  options.path = server.config().data_dir();
  options.create_if_missing = false;
  options.wal_seal_key = DerivedKeyOf(server, storage::kWalSealKeyPurpose);
  options.index_seal_key = DerivedKeyOf(server, storage::kIndexSealKeyPurpose);
  absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status();
  const absl::StatusOr<storage::IndexSealSum> sealed = (*db)->ResealIndex();
  ASSERT_TRUE(sealed.ok()) << sealed.status();
}

void ForgeWatermark(TestServer& server) {
  server.Stop();
  std::unique_ptr<storage::Database> db = OpenStoppedDatabase(server);
  ASSERT_NE(db, nullptr);
  absl::StatusOr<std::unique_ptr<storage::AuditLog>> log =
      storage::AuditLog::Open(db.get(), SystemClock::Get(), AuditLogKeyOf(server));
  ASSERT_TRUE(log.ok()) << log.status();
  // The line as storage/audit_watermark.h lays it out, with the root start-up will compute at
  // that size (from the stored tree, which a test may have edited).
  const uint64_t size = (*log)->CurrentHead().size;
  absl::StatusOr<std::string> root = (*log)->RootAt(size);
  ASSERT_TRUE(root.ok()) << root.status();
  const std::string body = absl::StrCat(size, " ", absl::BytesToHexString(*root), " ",
                                        absl::ToUnixMicros(absl::Now()));
  absl::StatusOr<std::string> mac =
      crypto::HmacSha256(DerivedKeyOf(server, storage::kAuditWatermarkKeyPurpose),
                         absl::StrCat("kjc-registry/audit-watermark/v1|", body));
  ASSERT_TRUE(mac.ok()) << mac.status();
  WriteFileAtomically(server.config().audit_watermark_file(),
                      absl::StrCat(body, " ", absl::BytesToHexString(*mac), "\n"));
}

void DeleteStored(storage::Database* db, storage::Cf cf, const std::string& key) {
  storage::Batch batch;
  batch.Delete(cf, key);
  ASSERT_TRUE(db->Write(batch).ok());
}

void DeleteStoredRow(storage::Database* db, storage::Cf cf, const std::string& key) {
  absl::StatusOr<std::optional<std::string>> row = db->Get(cf, key);
  ASSERT_TRUE(row.ok() && row->has_value());
  DeleteStored(db, cf, key);
}

StoredRows CopyRows(storage::Database* db, std::initializer_list<storage::Cf> families) {
  StoredRows rows;
  for (storage::Cf cf : families) {
    std::unique_ptr<storage::Iterator> it = db->NewIterator(cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      rows.push_back({cf, {std::string(it->key()), std::string(it->value())}});
    }
    EXPECT_TRUE(it->status().ok()) << it->status();
  }
  return rows;
}

void PutRows(storage::Database* db, const StoredRows& rows) {
  storage::Batch batch;
  for (const auto& [cf, row] : rows) batch.Put(cf, row.first, row.second);
  ASSERT_TRUE(db->Write(batch).ok());
}

crypto::SecretBytes DerivedKeyOf(const TestServer& server, absl::string_view purpose) {
  absl::StatusOr<server::KeyMaterial> keys = server::LoadKeyFile(server.config().key_file());
  EXPECT_TRUE(keys.ok()) << keys.status();
  if (!keys.ok()) return crypto::SecretBytes(std::string(32, '\0'));
  absl::StatusOr<crypto::SecretBytes> key = crypto::DeriveKey(keys->derivation_root, purpose);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *std::move(key) : crypto::SecretBytes(std::string(32, '\0'));
}

void PutIndexRows(const TestServer& server, storage::Database* db,
                  const std::vector<std::string>& keys) {
  const crypto::SecretBytes mac_key = DerivedKeyOf(server, "mac/index-row/v1");
  storage::Batch batch;
  for (const std::string& key : keys) {
    absl::StatusOr<std::string> mac =
        crypto::HmacSha256(mac_key, absl::StrCat("kjc-registry/index-row/v1|", key));
    ASSERT_TRUE(mac.ok()) << mac.status();
    batch.Put(storage::Cf::kIndex, key, *mac);
  }
  ASSERT_TRUE(db->Write(batch).ok());
}

crypto::SecretBytes AuditLogKeyOf(const TestServer& server) {
  return DerivedKeyOf(server, storage::kAuditLogKeyPurpose);
}

std::string StoredCheckKey(const TestServer& server, storage::Database* db,
                           absl::string_view check_id) {
  // The slot depends on the history too: every row is opened, and the one of the number the
  // check was asked under is preferred to a REFER's copy in another person's history.
  absl::StatusOr<std::unique_ptr<crypto::AesGcm>> aead =
      crypto::AesGcm::Create(DerivedKeyOf(server, storage::kCheckStoreKeyPurpose));
  EXPECT_TRUE(aead.ok()) << aead.status();
  if (!aead.ok()) return "";
  std::string copy;
  std::unique_ptr<storage::Iterator> it = db->NewIterator(storage::Cf::kChecks);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<std::string> plain = (*aead)->Decrypt(it->value(), it->key());
    storage::StoredCheck check;
    if (!plain.ok() || !check.ParseFromString(*plain) || check.summary().check_id() != check_id) {
      continue;
    }
    if (!check.summary().asked_under_another_number()) return std::string(it->key());
    if (copy.empty()) copy = std::string(it->key());
  }
  EXPECT_TRUE(it->status().ok()) << it->status();
  return copy;
}

}  // namespace registry::testing
