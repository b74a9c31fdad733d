// The fixture of the record service tests and of the tests of the key file and key rotation
// that need a running registry: a TestServer with clerk, court and admin stubs, and helpers to
// create, read, search and amend records, rotate keys, and reach the stopped server's database.
#ifndef REGISTRY_TESTS_SERVER_RECORD_SERVICE_FIXTURE_H_
#define REGISTRY_TESTS_SERVER_RECORD_SERVICE_FIXTURE_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/keyring.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "server/key_file.h"
#include "storage/database.h"
#include "storage/stored.pb.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"

namespace registry::testing {

namespace v1 = registry::v1;

inline constexpr char kCaseReference[] = "PKR 1/2026";
inline constexpr char kPurposeCode[] = "criminal_proceedings";

inline void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
}

inline void SetPurpose(v1::Purpose* purpose) {
  purpose->set_case_reference(kCaseReference);
  purpose->set_purpose_code(kPurposeCode);
}

inline void WriteFileWithMode(const std::string& path, const std::string& content, mode_t mode) {
  std::filesystem::remove(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ASSERT_EQ(::fchmod(fd, mode), 0);
  ::close(fd);
}

// Runs the registryd binary; returns its exit code and puts stdout+stderr in *output.
inline int RunRegistryd(const std::string& args, std::string* output) {
  const std::string command = absl::StrCat(REGISTRY_BINARY_DIR, "/registryd ", args, " 2>&1");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  output->clear();
  char buffer[512];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output->append(buffer, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class RecordServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    Connect();
  }

  void Connect() {
    clerk_ = v1::RecordService::NewStub(server_->Channel("clerk"));
    court_ = v1::RecordService::NewStub(server_->Channel("court"));
    admin_ = v1::AdminService::NewStub(server_->Channel("admin"));
  }

  // Restarts on the same files and reconnects (the port changes).
  void RestartOrFail() {
    absl::Status s = server_->Restart();
    ASSERT_TRUE(s.ok()) << s;
    Connect();
  }

  grpc::Status Create(const v1::CreateRecordRequest& req, std::string* id) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::CreateRecordResponse resp;
    grpc::Status s = clerk_->CreateRecord(&ctx, req, &resp);
    if (s.ok() && id != nullptr) *id = resp.record_id();
    return s;
  }

  std::string CreateOrFail(const v1::CreateRecordRequest& req) {
    std::string id;
    grpc::Status s = Create(req, &id);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return id;
  }

  // Creates FictionalRecord(0) .. FictionalRecord(count - 1): their ids in order into *ids, and
  // each one's surname into *surnames.
  void CreateFictional(int count, std::vector<std::string>* ids,
                       std::map<std::string, std::string>* surnames) {
    for (int i = 0; i < count; ++i) {
      const v1::CreateRecordRequest r = FictionalRecord(i);
      ids->push_back(CreateOrFail(r));
      (*surnames)[ids->back()] = r.person().surname();
    }
  }

  // GetRecord as the court, stating a purpose.
  grpc::Status Get(const std::string& id, v1::Record* record) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::GetRecordRequest req;
    req.set_record_id(id);
    SetPurpose(req.mutable_purpose());
    v1::GetRecordResponse resp;
    grpc::Status s = court_->GetRecord(&ctx, req, &resp);
    if (record != nullptr) *record = resp.record();
    return s;
  }

  grpc::Status History(const std::string& id, v1::GetRecordHistoryResponse* resp) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::GetRecordHistoryRequest req;
    req.set_record_id(id);
    SetPurpose(req.mutable_purpose());
    return court_->GetRecordHistory(&ctx, req, resp);
  }

  grpc::Status Search(const v1::SearchRecordsRequest& query, std::vector<std::string>* ids) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::SearchRecordsRequest req = query;
    SetPurpose(req.mutable_purpose());
    v1::SearchRecordsResponse resp;
    grpc::Status s = court_->SearchRecords(&ctx, req, &resp);
    ids->clear();
    for (const auto& r : resp.records()) ids->push_back(r.metadata().record_id());
    return s;
  }

  std::vector<std::string> ByPersonalNumber(const std::string& pn) {
    v1::SearchRecordsRequest req;
    req.set_personal_number(pn);
    std::vector<std::string> ids;
    grpc::Status s = Search(req, &ids);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return ids;
  }

  std::vector<std::string> ByName(const std::string& surname, const std::string& given,
                                  const std::string& birth_date) {
    v1::SearchRecordsRequest req;
    req.mutable_name()->set_surname(surname);
    req.mutable_name()->set_given_name(given);
    req.mutable_name()->set_birth_date(birth_date);
    std::vector<std::string> ids;
    grpc::Status s = Search(req, &ids);
    EXPECT_TRUE(s.ok()) << surname << ": " << s.error_message();
    return ids;
  }

  grpc::Status Amend(const v1::AmendRecordRequest& req, v1::AmendRecordResponse* resp) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    return clerk_->AmendRecord(&ctx, req, resp);
  }

  grpc::Status RotateKeys(v1::RotateKeysResponse* resp) {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    return admin_->RotateKeys(&ctx, v1::RotateKeysRequest(), resp);
  }

  // Expects every record in `ids` to read back with the surname it was created with.
  void ExpectAllReadable(const std::vector<std::string>& ids,
                         const std::map<std::string, std::string>& surnames) {
    for (const std::string& id : ids) {
      v1::Record record;
      grpc::Status s = Get(id, &record);
      ASSERT_TRUE(s.ok()) << id << ": " << s.error_code() << " " << s.error_message();
      EXPECT_EQ(record.metadata().record_id(), id);
      EXPECT_EQ(record.person().surname(), surnames.at(id));
    }
  }

  // How many data keys each KEK version wraps, read from the running server's database.
  std::map<uint32_t, int> KekUsage() {
    std::map<uint32_t, int> usage;
    auto it = server_->server()->database()->NewIterator(storage::Cf::kRecords);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      storage::StoredHead head;
      EXPECT_TRUE(head.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())));
      auto version = crypto::Keyring::WrappedVersion(head.wrapped_dek());
      EXPECT_TRUE(version.ok()) << version.status();
      if (version.ok()) ++usage[*version];
    }
    EXPECT_TRUE(it->status().ok());
    return usage;
  }

  std::set<uint32_t> KekVersionsInFile() {
    auto file = server::ReadKeyFile(server_->config().key_file());
    EXPECT_TRUE(file.ok()) << file.status();
    std::set<uint32_t> versions;
    if (file.ok()) {
      for (const auto& k : file->keks()) versions.insert(k.version());
    }
    return versions;
  }

  void RemoveKekFromFile(uint32_t version) {
    auto file = server::ReadKeyFile(server_->config().key_file());
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE(server::RemoveKek(&*file, version).ok());
    ASSERT_TRUE(server::WriteKeyFile(server_->config().key_file(), *file, true).ok());
  }

  // The stopped server's database, opened directly.
  std::unique_ptr<storage::Database> OpenStoppedDatabase() {
    return testing::OpenStoppedDatabase(*server_);
  }

  static std::string ReadRaw(storage::Database* db, storage::Cf cf, const std::string& key) {
    auto value = db->Get(cf, key);
    EXPECT_TRUE(value.ok() && value->has_value()) << storage::CfName(cf);
    return value.ok() ? value->value_or("") : "";
  }

  static void WriteRaw(storage::Database* db, storage::Cf cf, const std::string& key,
                       const std::string& value) {
    storage::Batch batch;
    batch.Put(cf, key, value);
    ASSERT_TRUE(db->Write(batch).ok());
  }

  // Stops the server and reads one value of its database into *value; the server stays stopped.
  void StopAndReadRaw(storage::Cf cf, const std::string& key, std::string* value) {
    server_->Stop();
    std::unique_ptr<storage::Database> db = OpenStoppedDatabase();
    ASSERT_NE(db, nullptr);
    *value = ReadRaw(db.get(), cf, key);
  }

  // Stops the server, applies `edit` to its database, restarts.
  template <typename Edit>
  void EditStoredData(Edit edit) {
    ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, edit));
    RestartOrFail();
  }

  // Writes a config file for the registryd binary describing the test server's files.
  std::string WriteConfigFile() {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    EXPECT_TRUE(
        google::protobuf::util::MessageToJsonString(server_->config(), &json, options).ok());
    const std::string path = server_->dir() + "/registryd-test-config.json";
    std::ofstream(path) << json;
    return path;
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RecordService::Stub> clerk_;
  std::unique_ptr<v1::RecordService::Stub> court_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_SERVER_RECORD_SERVICE_FIXTURE_H_
