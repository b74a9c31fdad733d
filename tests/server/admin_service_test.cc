// AdminService (server/admin_service.h), RPC by RPC, as the security officer calls it: each call
// answers what it did and leaves exactly one audit event naming the call and the officer, and
// every other role is refused (and audited) whatever it asks. Deeper behaviour has its own tests:
// key rotation in key_rotator_test.cc, backup verification in operations_test.cc
// (BackupVerifyTest), the data check in data_check_test.cc, backups and erasure in
// erasure_test.cc.
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.pb.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    admin_ = v1::AdminService::NewStub(server_->Channel("admin"));
  }

  uint64_t Events() { return testing::AuditLogSize(*server_); }

  // The one event the last call left, checked for the officer and the method.
  void ExpectOneEventOf(uint64_t before, const std::string& method, grpc::StatusCode outcome) {
    ASSERT_EQ(Events(), before + 1) << method;
    const v1::AuditEvent event = testing::StoredEvent(*server_, before);
    EXPECT_EQ(event.action(), "/registry.v1.AdminService/" + method);
    EXPECT_EQ(event.actor(), testing::kAdminId);
    EXPECT_EQ(event.role(), v1::ROLE_ADMIN);
    EXPECT_EQ(event.outcome(), static_cast<int>(outcome));
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

TEST_F(AdminServiceTest, ABackupIsMadeListedAndVerified) {
  testing::CreatedRecordId(*server_, "clerk", testing::ExampleRecord());

  uint64_t before = Events();
  v1::BackupInfo made;
  ASSERT_TRUE(admin_->CreateBackup(testing::NewCallContext().get(), {}, &made).ok());
  EXPECT_GT(made.backup_id(), 0u);
  EXPECT_GT(made.size_bytes(), 0u);
  EXPECT_FALSE(made.created_at().empty());
  ExpectOneEventOf(before, "CreateBackup", grpc::StatusCode::OK);

  before = Events();
  v1::ListBackupsResponse listed;
  ASSERT_TRUE(admin_->ListBackups(testing::NewCallContext().get(), {}, &listed).ok());
  ASSERT_EQ(listed.backups_size(), 1);
  EXPECT_EQ(listed.backups(0).backup_id(), made.backup_id());
  ExpectOneEventOf(before, "ListBackups", grpc::StatusCode::OK);

  before = Events();
  v1::VerifyBackupRequest which;
  which.set_backup_id(made.backup_id());
  v1::VerifyBackupResponse verified;
  ASSERT_TRUE(admin_->VerifyBackup(testing::NewCallContext().get(), which, &verified).ok());
  EXPECT_TRUE(verified.ok()) << verified.DebugString();
  EXPECT_EQ(verified.records(), 1u);
  ExpectOneEventOf(before, "VerifyBackup", grpc::StatusCode::OK);
}

TEST_F(AdminServiceTest, VerifyDataCountsWhatIsStoredAndFindsNoProblem) {
  testing::CreatedRecordId(*server_, "clerk", testing::FictionalRecord(1));
  testing::CreatedRecordId(*server_, "clerk", testing::FictionalRecord(2));
  const uint64_t before = Events();
  v1::VerifyDataResponse check;
  ASSERT_TRUE(admin_->VerifyData(testing::NewCallContext().get(), {}, &check).ok());
  EXPECT_EQ(check.records(), 2u);
  EXPECT_EQ(check.versions(), 2u);
  EXPECT_GT(check.index_rows(), 0u);
  EXPECT_EQ(check.audit_events(), before) << "the events before this call's own";
  EXPECT_EQ(check.problem_count(), 0u) << check.DebugString();
  ExpectOneEventOf(before, "VerifyData", grpc::StatusCode::OK);
}

TEST_F(AdminServiceTest, RotateKeysMakesANewCurrentKekAndRewrapsEveryDataKey) {
  testing::CreatedRecordId(*server_, "clerk", testing::FictionalRecord(1));
  testing::CreatedRecordId(*server_, "clerk", testing::FictionalRecord(2));
  v1::RotateKeysResponse rotated;
  ASSERT_TRUE(admin_->RotateKeys(testing::NewCallContext().get(), {}, &rotated).ok());
  EXPECT_EQ(rotated.current_kek_version(), 2u);
  EXPECT_EQ(rotated.rewrapped(), 2u);
  // The rotation's own system events (start, batch, end) come first; the call's event is last.
  const v1::AuditEvent last = testing::LastStoredEvent(*server_);
  EXPECT_EQ(last.action(), "/registry.v1.AdminService/RotateKeys");
  EXPECT_EQ(last.actor(), testing::kAdminId);
  EXPECT_EQ(testing::OutcomeName(last), "OK");
}

TEST_F(AdminServiceTest, AnUnknownBackupIsNotFoundAndAudited) {
  const uint64_t before = Events();
  v1::VerifyBackupRequest which;
  which.set_backup_id(99);
  v1::VerifyBackupResponse verified;
  const grpc::Status s =
      admin_->VerifyBackup(testing::NewCallContext().get(), which, &verified);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  ExpectOneEventOf(before, "VerifyBackup", grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminServiceTest, EveryOtherRoleIsRefusedEveryCallAndAudited) {
  for (const char* identity : {"clerk", "court", "vetting", "auditor"}) {
    auto stub = v1::AdminService::NewStub(server_->Channel(identity));
    const auto refused = [&](const grpc::Status& s, const char* method) {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << identity << " " << method;
    };
    const uint64_t before = Events();
    v1::RotateKeysResponse rotated;
    refused(stub->RotateKeys(testing::NewCallContext().get(), {}, &rotated), "RotateKeys");
    v1::BackupInfo made;
    refused(stub->CreateBackup(testing::NewCallContext().get(), {}, &made), "CreateBackup");
    v1::ListBackupsResponse listed;
    refused(stub->ListBackups(testing::NewCallContext().get(), {}, &listed), "ListBackups");
    v1::VerifyDataResponse check;
    refused(stub->VerifyData(testing::NewCallContext().get(), {}, &check), "VerifyData");
    v1::VerifyBackupResponse verified;
    refused(stub->VerifyBackup(testing::NewCallContext().get(), {}, &verified), "VerifyBackup");
    EXPECT_EQ(Events(), before + 5) << identity << ": one event per refused call";
    EXPECT_TRUE(rotated.ByteSizeLong() == 0 && made.ByteSizeLong() == 0 &&
                listed.ByteSizeLong() == 0 && check.ByteSizeLong() == 0 &&
                verified.ByteSizeLong() == 0)
        << identity << ": a refused call answers nothing";
  }
  v1::ListBackupsResponse listed;
  ASSERT_TRUE(admin_->ListBackups(testing::NewCallContext().get(), {}, &listed).ok());
  EXPECT_EQ(listed.backups_size(), 0) << "no refused call made a backup";
}

}  // namespace
}  // namespace registry::testing
