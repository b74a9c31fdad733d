// Key rotation (server/key_rotator.h) in a running registry: every data key re-wrapped under the
// new KEK, each step committed with its system event, an interrupted rotation finished at
// start-up or by the next one, a damaged data key failing the rotation but not the start, and
// `registryd --retire_kek` refusing while a data key still needs the KEK.
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "crypto/keyring.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "server/key_file.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"
#include "storage/stored.pb.h"
#include "tests/server/record_service_fixture.h"
#include "tests/testing/data_files.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

class KeyRotationTest : public testing::RecordServiceFixture {
 protected:
  // Creates FictionalRecord(0) .. FictionalRecord(count - 1) into ids_ and surnames_: the
  // records a test expects to read back whatever the rotation did.
  void CreateRecords(int count) { CreateFictional(count, &ids_, &surnames_); }

  // Restarts on the same files and expects every record in ids_ to read back.
  void RestartAndReadAll() {
    ASSERT_NO_FATAL_FAILURE(RestartOrFail());
    ExpectAllReadable(ids_, surnames_);
  }

  // A rotation in batches of five that fails after `batches` of them, as a crash would leave it.
  void InterruptRotationAfter(int batches) {
    server_->server()->rotator()->SetBatchSizeForTesting(5);
    server_->server()->rotator()->FailAfterBatchesForTesting(batches);
    v1::RotateKeysResponse rotated;
    const grpc::Status s = RotateKeys(&rotated);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
        << "interrupted after " << batches << " batches: " << s.error_message();
  }

  // Adds a KEK to the key file and makes it current, as a rotation does before re-wrapping.
  void AddKekToFile() {
    auto file = server::ReadKeyFile(server_->config().key_file());
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE(server::AddKek(&*file, absl::Now()).ok());
    ASSERT_TRUE(server::WriteKeyFile(server_->config().key_file(), *file, true).ok());
  }

  // `registryd --config <config> --retire_kek <version>`: its exit code, its output in *output.
  static int RetireKek(const std::string& config, uint32_t version, std::string* output) {
    return RunRegistryd(absl::StrCat("--config ", config, " --retire_kek ", version), output);
  }

  // In `Cf::kMeta`: the KEK version an unfinished rotation re-wraps to, absent when none is.
  absl::StatusOr<std::optional<std::string>> RotationTarget() {
    return server_->server()->database()->Get(storage::Cf::kMeta, "rotation/target");
  }

  std::vector<std::string> ids_;
  std::map<std::string, std::string> surnames_;
};

TEST_F(KeyRotationTest, RotationRewrapsEveryDataKeyAndOldKekCanBeRemoved) {
  CreateRecords(25);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 25}}));

  v1::RotateKeysResponse rotated;
  grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(rotated.current_kek_version(), 2u);
  EXPECT_EQ(rotated.rewrapped(), 25u);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 25}}));
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));
  ExpectAllReadable(ids_, surnames_);
  // New records use the new KEK.
  const v1::CreateRecordRequest late = FictionalRecord(99);
  ids_.push_back(CreateOrFail(late));
  surnames_[ids_.back()] = late.person().surname();
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 26}}));

  // Only admins rotate.
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::RotateKeysResponse resp;
    EXPECT_EQ(v1::AdminService::NewStub(server_->Channel("clerk"))
                  ->RotateKeys(&ctx, v1::RotateKeysRequest(), &resp)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  server_->Stop();
  RemoveKekFromFile(1);
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{2}));
  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
  EXPECT_EQ(ByPersonalNumber(late.person().personal_number()).size(), 1u);

  // A second rotation re-wraps them all again.
  s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.current_kek_version(), 3u);
  EXPECT_EQ(rotated.rewrapped(), 26u);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{3, 26}}));
}

// A rotation re-writes every head with its data key under the new KEK, but the data folder's
// files and write-ahead log kept each head as it was: the old KEK alone opened every record
// there, and in every backup made after the rotation. Once the rotation is finished, no file
// holds a data key as it was wrapped under the old KEK.
TEST_F(KeyRotationTest, NoFileKeepsADataKeyWrappedUnderTheOldKekOnceARotationIsFinished) {
  CreateRecords(6);
  std::vector<std::string> old_wraps;
  {
    auto it = server_->server()->database()->NewIterator(storage::Cf::kRecords);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      storage::StoredHead head;
      ASSERT_TRUE(head.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())));
      old_wraps.push_back(head.wrapped_dek());
    }
    ASSERT_TRUE(it->status().ok());
  }
  ASSERT_EQ(old_wraps.size(), 6u);
  // In table files, as they would be once the memtables were flushed in the normal course.
  ASSERT_TRUE(server_->server()->database()->Flush().ok());
  for (const std::string& wrap : old_wraps) {
    ASSERT_THAT(FilesContaining(server_->config().data_dir(), wrap), ::testing::Not(::testing::IsEmpty()));
  }
  v1::RotateKeysResponse rotated;
  const grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.rewrapped(), 6u);
  server_->Stop();
  for (const std::string& wrap : old_wraps) {
    EXPECT_THAT(FilesContaining(server_->config().data_dir(), wrap), ::testing::IsEmpty());
  }
  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
}

// Every step of a rotation (start, each batch with its cursor, end, and the batches a restart
// resumes) commits with its own system event, so the log shows every change rotation makes.
// The event that records the new KEK names the official who asked: a crash later in the
// rotation leaves no event of the call itself, and the next start finishes the rotation.
TEST_F(KeyRotationTest, EveryRotationStepCommitsWithItsSystemEvent) {
  for (int i = 0; i < 12; ++i) CreateOrFail(FictionalRecord(i));
  const auto references_since = [&](uint64_t start) {
    std::vector<std::string> refs;
    storage::AuditLog* log = server_->server()->audit_log();
    for (uint64_t i = start; i < log->CurrentHead().size; ++i) {
      v1::AuditEvent e;
      auto bytes = log->ReadEvent(i);
      EXPECT_TRUE(bytes.ok() && e.ParseFromString(*bytes));
      refs.push_back(absl::StrCat(e.actor(), " ", e.reference(), " ", e.outcome(),
                                  e.detail().empty() ? "" : " | ", e.detail()));
    }
    return refs;
  };
  uint64_t start = server_->server()->audit_log()->CurrentHead().size;
  InterruptRotationAfter(2);
  EXPECT_EQ(references_since(start),
            (std::vector<std::string>{"system:key-rotation kek-v2 started 0 | asked by "
                                      "spiffe://registry.kjc.dev/admin/dev-admin",
                                      "system:key-rotation kek-v2 batch 1: 5 re-wrapped 0",
                                      "system:key-rotation kek-v2 batch 2: 5 re-wrapped 0",
                                      "spiffe://registry.kjc.dev/admin/dev-admin  14"}));
  start = server_->server()->audit_log()->CurrentHead().size;
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());  // resumes
  EXPECT_EQ(references_since(start),
            (std::vector<std::string>{"system:key-rotation kek-v2 batch 1: 2 re-wrapped 0",
                                      "system:key-rotation kek-v2 finished 0"}));
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 12}}));
}

TEST_F(KeyRotationTest, InterruptedRotationIsFinishedAtStartUp) {
  CreateRecords(25);
  InterruptRotationAfter(2);

  // Half done: 10 data keys under KEK 2, the rest still under KEK 1; all readable meanwhile.
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 15}, {2, 10}}));
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));
  ExpectAllReadable(ids_, surnames_);
  {
    auto target = RotationTarget();
    ASSERT_TRUE(target.ok() && target->has_value());
    EXPECT_EQ(**target, "2");
  }

  server_->Stop();
  // registryd refuses to retire KEK 1 while the rotation is unfinished.
  const std::string config = WriteConfigFile();
  std::string output;
  EXPECT_NE(RetireKek(config, 1, &output), 0) << output;
  EXPECT_TRUE(absl::StrContains(output, "unfinished")) << output;
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));

  ASSERT_NO_FATAL_FAILURE(RestartOrFail());  // Resume() finishes the rotation
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 25}}));
  {
    auto target = RotationTarget();
    ASSERT_TRUE(target.ok());
    EXPECT_FALSE(target->has_value());
    // The store's own count agrees.
    auto keys = server::LoadKeyFile(server_->config().key_file());
    ASSERT_TRUE(keys.ok());
    storage::KeyringHolder holder(std::shared_ptr<const crypto::Keyring>(std::move(keys->keyring)));
    auto normalizer = storage::NameNormalizer::Create();
    ASSERT_TRUE(normalizer.ok());
    auto store = storage::RecordStore::Create(server_->server()->database(), &holder,
                                              keys->derivation_root, normalizer->get());
    ASSERT_TRUE(store.ok());
    auto not_under_2 = (*store)->CountNotUnder(2);
    ASSERT_TRUE(not_under_2.ok());
    EXPECT_EQ(*not_under_2, 0u);
    auto not_under_1 = (*store)->CountNotUnder(1);
    ASSERT_TRUE(not_under_1.ok());
    EXPECT_EQ(*not_under_1, 25u);
  }
  ExpectAllReadable(ids_, surnames_);

  server_->Stop();
  RemoveKekFromFile(1);
  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
}

TEST_F(KeyRotationTest, InterruptedRotationIsFinishedByTheNextRotation) {
  CreateRecords(12);
  InterruptRotationAfter(1);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 7}, {2, 5}}));

  server_->server()->rotator()->FailAfterBatchesForTesting(0);
  v1::RotateKeysResponse rotated;
  const grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // The interrupted rotation to 2 is finished first (7 keys), then all 12 go to 3.
  EXPECT_EQ(rotated.current_kek_version(), 3u);
  EXPECT_EQ(rotated.rewrapped(), 7u + 12u);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{3, 12}}));
  server_->Stop();
  RemoveKekFromFile(1);
  RemoveKekFromFile(2);
  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
}

// A backup restored from the middle of a rotation, beside the key file of a later rotation: the
// recorded target is no longer the key file's current KEK. The restored registry did not start
// ("an interrupted rotation targets KEK version 2 but the key file's current version is 3"); now
// every data key is re-wrapped under the current KEK.
TEST_F(KeyRotationTest, AnInterruptedRotationBehindTheKeyFileIsFinishedUnderItsCurrentKek) {
  CreateRecords(12);
  InterruptRotationAfter(1);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 7}, {2, 5}}));
  server_->Stop();
  ASSERT_NO_FATAL_FAILURE(AddKekToFile());
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  Connect();
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{3, 12}}));
  ExpectAllReadable(ids_, surnames_);
  bool said = false;
  storage::AuditLog* log = server_->server()->audit_log();
  for (uint64_t i = 0; i < log->CurrentHead().size; ++i) {
    v1::AuditEvent e;
    auto bytes = log->ReadEvent(i);
    ASSERT_TRUE(bytes.ok() && e.ParseFromString(*bytes));
    said = said || absl::StrContains(e.reference(), "kek-v2 interrupted; the key file is at kek-v3");
  }
  EXPECT_TRUE(said);
}

// A rotation whose audit event cannot be written changes nothing: the key file had already been
// rewritten, so a KEK existed that no event named and the officer, told the call failed, kept no
// copy of it.
TEST_F(KeyRotationTest, ARotationThatCannotBeAuditedLeavesTheKeyFileAsItWas) {
  server_->Stop();
  SwitchableFault fault;
  TestServerOptions options;
  options.fault_injector = &fault;
  server_ = TestServer::Start(std::move(options));
  Connect();
  CreateOrFail(FictionalRecord(1));
  fault.set_failing(true);
  v1::RotateKeysResponse rotated;
  EXPECT_EQ(RotateKeys(&rotated).error_code(), grpc::StatusCode::UNAVAILABLE);
  fault.set_failing(false);
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1}));
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 1}}));
  // Once the log can be written, the rotation goes through.
  ASSERT_TRUE(RotateKeys(&rotated).ok());
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{2, 1}}));
}

// A key file put back from before a rotation lacks the KEK the data keys are now under: the
// registry started, said SERVING, and answered every read DATA_LOSS. It now refuses to start,
// naming the version and what to do.
TEST_F(KeyRotationTest, AKeyFileOlderThanTheDataIsRefusedAtStart) {
  CreateRecords(3);
  auto before_rotation = server::ReadKeyFile(server_->config().key_file());
  ASSERT_TRUE(before_rotation.ok()) << before_rotation.status();
  v1::RotateKeysResponse rotated;
  ASSERT_TRUE(RotateKeys(&rotated).ok());
  auto after_rotation = server::ReadKeyFile(server_->config().key_file());
  ASSERT_TRUE(after_rotation.ok()) << after_rotation.status();
  server_->Stop();
  ASSERT_TRUE(server::WriteKeyFile(server_->config().key_file(), *before_rotation, true).ok());
  const absl::Status refused = server_->Restart();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "3 data keys are under key-encryption key "
                                                   "version 2, which the key file does not hold"))
      << refused;

  // The message says which remedy fits which case: here the key file is the older one.
  EXPECT_TRUE(absl::StrContains(refused.message(), "put back the current key file from custody"))
      << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(),
                                "bring KEK version 2 back from the key custody copies"))
      << refused;

  // The current key file back: it starts, and everything reads.
  ASSERT_TRUE(server::WriteKeyFile(server_->config().key_file(), *after_rotation, true).ok());
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  Connect();
  ExpectAllReadable(ids_, surnames_);
}

// The other way round: a backup made before two rotations, the first KEK retired since. The
// data is older than the key file, and putting back "the current key file" cannot help: the
// restore and the backup check say to bring the retired KEK back from the custody copies.
TEST_F(KeyRotationTest, ABackupFromBeforeARetiredKekSaysToBringThatKekBack) {
  CreateRecords(3);
  uint32_t backup_id = 0;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::BackupInfo info;
    const grpc::Status s = admin_->CreateBackup(&ctx, v1::CreateBackupRequest(), &info);
    ASSERT_TRUE(s.ok()) << s.error_message();
    backup_id = info.backup_id();
  }
  v1::RotateKeysResponse rotated;
  ASSERT_TRUE(RotateKeys(&rotated).ok());
  ASSERT_TRUE(RotateKeys(&rotated).ok());
  server_->Stop();
  const std::string config = WriteConfigFile();
  std::string output;
  // registryd will not retire the KEK the backup needs ...
  ASSERT_EQ(RetireKek(config, 1, &output), 1) << output;
  EXPECT_TRUE(absl::StrContains(output, absl::StrCat("backups ", backup_id, " in "))) << output;
  // ... but a key file can lack it all the same (edited by hand, or the wrong custody copy).
  absl::StatusOr<v1::KeyFile> keys = server::ReadKeyFile(server_->config().key_file());
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_TRUE(server::RemoveKek(&*keys, 1).ok());
  ASSERT_TRUE(server::WriteKeyFile(server_->config().key_file(), *keys, true).ok());
  const std::string remedy = "bring KEK version 1 back from the key custody copies";

  EXPECT_EQ(RunRegistryd(absl::StrCat("--config ", config, " --restore_backup ", backup_id),
                         &output),
            1)
      << output;
  EXPECT_TRUE(absl::StrContains(output, "under key-encryption key version 1, which the key "
                                        "file does not hold"))
      << output;
  EXPECT_TRUE(absl::StrContains(output, "a backup made before a rotation")) << output;
  EXPECT_TRUE(absl::StrContains(output, remedy)) << output;

  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::VerifyBackupRequest req;
  req.set_backup_id(backup_id);
  v1::VerifyBackupResponse checked;
  const grpc::Status s = admin_->VerifyBackup(&ctx, req, &checked);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(checked.ok());
  std::string problems;
  for (const std::string& p : checked.problems()) absl::StrAppend(&problems, p, "\n");
  EXPECT_TRUE(absl::StrContains(problems, remedy)) << problems;
}

TEST_F(KeyRotationTest, DamagedDataKeyFailsRotationButNotStartUp) {
  CreateRecords(6);
  const std::string damaged = ids_[2];
  ids_.erase(ids_.begin() + 2);
  EditStoredData([&](storage::Database* db) {
    storage::StoredHead head;
    ASSERT_TRUE(head.ParseFromString(ReadRaw(db, storage::Cf::kRecords, damaged)));
    (*head.mutable_wrapped_dek())[30] ^= 0x01;
    WriteRaw(db, storage::Cf::kRecords, damaged, head.SerializeAsString());
  });
  v1::RotateKeysResponse rotated;
  EXPECT_EQ(RotateKeys(&rotated).error_code(), grpc::StatusCode::DATA_LOSS);

  // The unfinished rotation cannot be finished at start-up either, but the registry still
  // starts: only the damaged record is lost.
  server_->Stop();
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  EXPECT_EQ(Get(damaged, nullptr).error_code(), grpc::StatusCode::DATA_LOSS);
  ExpectAllReadable(ids_, surnames_);
  {
    auto target = RotationTarget();
    ASSERT_TRUE(target.ok() && target->has_value());
  }
  server_->Stop();
  const std::string config = WriteConfigFile();
  std::string output;
  EXPECT_NE(RetireKek(config, 1, &output), 0);
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));

  // Once the damaged record is expunged, rotation completes and the old KEKs can go.
  ASSERT_NO_FATAL_FAILURE(RestartOrFail());
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::ExpungeRecordRequest expunge;
    expunge.set_record_id(damaged);
    expunge.set_legal_basis("KJC decision 1/2026 - damaged entry re-entered");
    v1::ExpungeRecordResponse resp;
    grpc::Status s = clerk_->ExpungeRecord(&ctx, expunge, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.current_kek_version(), 3u);
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{3, 5}}));
  server_->Stop();
  EXPECT_EQ(RetireKek(config, 1, &output), 0) << output;
  EXPECT_EQ(RetireKek(config, 2, &output), 0) << output;
  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
}

// A KEK that a rotation adds gets its check value in the database as the rotation puts data keys
// under it, and the next start holds the key file to it: the new KEK with a bit changed is
// refused, as the first one would be.
TEST_F(KeyRotationTest, ARotatedInKekGetsACheckValueThatTheNextStartHoldsItTo) {
  CreateRecords(3);
  v1::RotateKeysResponse rotated;
  grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(rotated.current_kek_version(), 2u);
  {
    auto check = server_->server()->database()->Get(storage::Cf::kMeta, "keys/kek-check/2");
    ASSERT_TRUE(check.ok()) << check.status();
    EXPECT_TRUE(check->has_value()) << "recorded by the rotation, before any restart";
  }
  server_->Stop();
  const std::string path = server_->config().key_file();
  auto original = server::ReadKeyFile(path);
  ASSERT_TRUE(original.ok()) << original.status();
  for (int kek = 0; kek < original->keks_size(); ++kek) {
    v1::KeyFile changed = *original;
    (*changed.mutable_keks(kek)->mutable_key())[17] ^= 0x40;
    ASSERT_TRUE(server::WriteKeyFile(path, changed, /*overwrite=*/true).ok());
    const absl::Status started = server_->Restart();
    EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition)
        << "KEK version " << changed.keks(kek).version() << ": " << started;
    EXPECT_TRUE(absl::StrContains(started.message(),
                                  absl::StrCat("key-encryption key version ",
                                               changed.keks(kek).version())))
        << started;
    server_->Stop();
  }
  ASSERT_TRUE(server::WriteKeyFile(path, *original, true).ok());
  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
}

TEST_F(KeyRotationTest, RetireKekRefusesWhileADataKeyUsesItAndSucceedsAfterRotation) {
  CreateRecords(5);
  server_->Stop();
  const std::string config = WriteConfigFile();
  const std::string path = server_->config().key_file();
  std::string output;

  // The current KEK is never retired.
  EXPECT_NE(RetireKek(config, 1, &output), 0) << output;
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1}));

  // KEK 2 added and made current, but no data key re-wrapped yet (as after a crash between
  // writing the key file and starting the re-wrap): KEK 1 is still in use.
  ASSERT_NO_FATAL_FAILURE(AddKekToFile());
  EXPECT_NE(RetireKek(config, 1, &output), 0) << output;
  EXPECT_TRUE(absl::StrContains(output, "5 data keys")) << output;
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{1, 2}));

  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
  EXPECT_EQ(KekUsage(), (std::map<uint32_t, int>{{1, 5}}));
  v1::RotateKeysResponse rotated;
  grpc::Status s = RotateKeys(&rotated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rotated.current_kek_version(), 3u);
  EXPECT_EQ(rotated.rewrapped(), 5u);
  server_->Stop();

  EXPECT_EQ(RetireKek(config, 1, &output), 0) << output;
  EXPECT_EQ(RetireKek(config, 2, &output), 0) << output;
  EXPECT_EQ(KekVersionsInFile(), (std::set<uint32_t>{3}));
  // Retiring a version that is gone fails and changes nothing.
  EXPECT_NE(RetireKek(config, 1, &output), 0);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_NO_FATAL_FAILURE(RestartAndReadAll());
}


}  // namespace
}  // namespace registry::testing
