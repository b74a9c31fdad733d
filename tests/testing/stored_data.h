// Direct access to a TestServer's database, for tests that damage or inspect the stored data the
// way an attacker with the files, or a failing disk, would. RocksDB lets one opener at a time
// hold a database, so the server is stopped first.
//
//   ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server, [&](storage::Database* db) {
//     DeleteStored(db, storage::Cf::kAudit, storage::EncodeU64(20));
//   }));
//   ASSERT_TRUE(server->Restart().ok());
#ifndef REGISTRY_TESTS_TESTING_STORED_DATA_H_
#define REGISTRY_TESTS_TESTING_STORED_DATA_H_

#include <functional>
#include <memory>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "crypto/secret_bytes.h"
#include "storage/database.h"
#include "tests/testing/test_server.h"

namespace registry::testing {

// Opens the database of `server`, which must be stopped. A failure fails the test and gives null.
std::unique_ptr<storage::Database> OpenStoppedDatabase(const TestServer& server);

// Stops `server` and applies `edit` to its database, which is closed again afterwards; the
// server stays stopped. A failure to open fails the test (fatally).
void EditStoppedData(TestServer& server, const std::function<void(storage::Database*)>& edit);

// Writes `server`'s audit watermark (storage/audit_watermark.h) for its stopped data as it is,
// as someone who holds the key file (and so every key) could, without an audit event, so that the
// next start takes the data as it is and the later lines of defence can be tested. Fatal on
// failure; the server stays stopped.
void ForgeWatermark(TestServer& server);

// Seals the index rows of `server`'s stopped data as they are (storage/index_seal.h), as someone
// who holds the key file could, without an audit event: for the tests of the defences behind the
// index seal, which an edit of the index rows without the key file no longer gets past. Fatal on
// failure; the server stays stopped.
void ForgeIndexSeal(TestServer& server);

// Starts `server` (stopped, its data edited) and expects the start to be refused for the audit
// watermark: its data directory is behind what the log had held, or another. Then forges the
// watermark (ForgeWatermark). Fatal on failure; the server stays stopped.
void ExpectRefusedByTheWatermarkThenForgeIt(TestServer& server);

// Deletes `key` of `cf` in a write of its own. A failure fails the test (fatally).
void DeleteStored(storage::Database* db, storage::Cf cf, const std::string& key);

// DeleteStored of a row that must be there: a row not found fails the test (fatally).
void DeleteStoredRow(storage::Database* db, storage::Cf cf, const std::string& key);

// Rows as an insider with the data folder copies them: (family, (key, value)).
using StoredRows = std::vector<std::pair<storage::Cf, std::pair<std::string, std::string>>>;

// Every row of `families`. A read failure fails the test.
StoredRows CopyRows(storage::Database* db, std::initializer_list<storage::Cf> families);

// Writes `rows` back over what is stored, in one write. A failure fails the test (fatally).
void PutRows(storage::Database* db, const StoredRows& rows);

// The audit log's key (storage/audit_log.h), from `server`'s key file: what a test needs to read
// or rewrite stored events as the holder of the key file would. A failure fails the test and
// gives a key of zeros.
crypto::SecretBytes AuditLogKeyOf(const TestServer& server);

// The key `server`'s key file gives for `purpose` (crypto::DeriveKey), e.g.
// storage::kCheckStoreKeyPurpose: what a key holder would use to write rows of their own. A
// failure fails the test and gives a key of zeros.
crypto::SecretBytes DerivedKeyOf(const TestServer& server, absl::string_view purpose);

// Writes each of `keys` into `db`'s index family with the row's MAC as its value, in one write,
// as the holder of `server`'s key file would. A failure fails the test (fatally).
void PutIndexRows(const TestServer& server, storage::Database* db,
                  const std::vector<std::string>& keys);

// The key of the row of `db`'s checks family that holds check `check_id` of `server`, as the
// holder of the key file finds it (storage/check_store.h): in the history of the number it was
// asked under, else a copy. "" when there is none; a failure fails the test.
std::string StoredCheckKey(const TestServer& server, storage::Database* db,
                           absl::string_view check_id);

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_STORED_DATA_H_
