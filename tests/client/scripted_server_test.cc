// registry-cli against a server whose answers the test scripts: answers a real registry gives
// rarely or only after much setup (a search cut at 100 records, a revoked certificate, an import
// batch that runs out of time), and how the client says them.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/json_util.h"
#include "registry/v1/info.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/reference.pb.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/server_credentials.h"
#include "tests/testing/test_pki.h"

namespace registry::client {
namespace {

using ::registry::testing::CliArgsAs;
using ::registry::testing::CliRun;
using ::registry::testing::Flowed;
using ::registry::testing::RunCliCaptured;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class ScriptedRecords final : public v1::RecordService::Service {
 public:
  // 100 records of one fictional name, and more that match.
  grpc::Status SearchRecords(grpc::ServerContext*, const v1::SearchRecordsRequest*,
                             v1::SearchRecordsResponse* response) override {
    for (int i = 0; i < 100; ++i) {
      v1::Record* record = response->add_records();
      record->mutable_metadata()->set_record_id(
          absl::StrCat("0123456789abcdef0123456789ab", 1000 + i));
      record->mutable_person()->set_surname("Krasniqi");
      record->mutable_person()->set_given_name("Driton");
    }
    response->set_more_records(true);
    return grpc::Status::OK;
  }
  // As registryd answers a certificate on its revocation list (server/call_gate.cc).
  grpc::Status GetRecord(grpc::ServerContext*, const v1::GetRecordRequest*,
                         v1::GetRecordResponse*) override {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "client certificate is revoked");
  }
  grpc::Status ImportRecords(grpc::ServerContext*, const v1::ImportRecordsRequest*,
                             v1::ImportRecordsResponse*) override {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
  }
};

class ScriptedServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", registry::testing::RegistryServerCredentials(), &port);
    builder.RegisterService(&records_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  CliRun Run(const std::string& identity, const std::vector<std::string>& command,
             bool json = false) {
    return RunCliCaptured(CliArgsAs(address_, identity, command, json));
  }

  ScriptedRecords records_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// "100 matching records" read as all there are; the cut was said only after the hundred
// records. The heading says it, and --json gives more_records before the records.
TEST_F(ScriptedServerTest, ASearchCutAtTheLimitSaysSoBeforeTheList) {
  const CliRun text = Run("clerk", {"record", "search", "--personal-number", "1000000123"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, StartsWith("more than 100 matching records; the first 100 (narrow the "
                                   "search to see the others):\n"));
  EXPECT_THAT(text.out, Not(HasSubstr("\n100 matching records")));

  const CliRun json =
      Run("clerk", {"record", "search", "--personal-number", "1000000123"}, /*json=*/true);
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, StartsWith("{\"more_records\":true,\"records\":["));
  EXPECT_EQ(json.out.find("more_records"), json.out.rfind("more_records"));
}

// The expired case said what to do; a revoked certificate said only "client certificate is
// revoked".
TEST_F(ScriptedServerTest, ARevokedCertificateSaysToAskForANewOneAndWhereItGoes) {
  const CliRun run = Run("clerk", {"record", "get", "0123456789abcdef0123456789abcdef"});
  EXPECT_EQ(run.code, 1);
  const std::string err = Flowed(run.err);
  EXPECT_THAT(err, StartsWith("error: UNAUTHENTICATED: your certificate ("));
  EXPECT_THAT(err, HasSubstr(") is revoked: the registry refuses it; ask the registry office for "
                             "a new certificate and put it in your identity folder "));
  EXPECT_THAT(err, HasSubstr(registry::testing::TestPki::Get().IdentityDir("clerk")));
}

// A single call that runs out of time names the server, the time and --timeout; an import's
// batch said only "Deadline Exceeded".
TEST_F(ScriptedServerTest, AnImportBatchWithoutAnAnswerInTimeIsExplainedAsASingleCallIs) {
  const CliRun run = Run(
      "clerk", {"record", "import", REGISTRY_SOURCE_DIR "/deploy/examples/import.csv"});
  EXPECT_EQ(run.code, 1);
  const std::string err = Flowed(run.err);
  EXPECT_THAT(err, HasSubstr(absl::StrCat("error: DEADLINE_EXCEEDED: no answer from ", address_,
                                          " within ")));
  EXPECT_THAT(err, HasSubstr("(--timeout): the server may be overloaded"));
  EXPECT_THAT(err, HasSubstr("got no answer, so whether it was entered is not known"));
}

// A pasted id's surrounding spaces were sent with it, and an id of the wrong shape (a personal
// number) was sent, refused and audited: the spaces are dropped, and the shape is checked here,
// as `audit list --record-id` checks it, without repeating what was typed.
TEST_F(ScriptedServerTest, RecordGetTrimsAPastedIdAndRefusesOneOfTheWrongShapeBeforeSending) {
  // Sent (the scripted server answers every GetRecord so).
  const CliRun pasted = Run("clerk", {"record", "get", "  0123456789ABCDEF0123456789abcdef \t"});
  EXPECT_EQ(pasted.code, 1);
  EXPECT_THAT(pasted.err, HasSubstr("is revoked"));
  for (const std::string& id : {std::string("1000000123"), std::string("P 88/2025"),
                                std::string(31, 'a'), std::string(32, 'g')}) {
    const CliRun run = Run("clerk", {"record", "get", id});
    EXPECT_EQ(run.code, kExitUsage) << id;
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: ID must be a record id: 32 "
                                    "characters 0-9 and a-f"))
        << id;
    EXPECT_THAT(run.err, Not(HasSubstr(id))) << id;
    EXPECT_THAT(run.err, Not(HasSubstr("revoked"))) << id;
  }
}

// A clerk, and the tables deploy/reference ships (without the offences behind a switch, as the
// registry leaves them out).
class ScriptedInfo final : public v1::InfoService::Service {
 public:
  grpc::Status WhoAmI(grpc::ServerContext*, const v1::WhoAmIRequest*,
                      v1::WhoAmIResponse* response) override {
    response->set_role(v1::ROLE_CLERK);
    return grpc::Status::OK;
  }
  grpc::Status GetReferenceData(grpc::ServerContext*, const v1::GetReferenceDataRequest*,
                                v1::GetReferenceDataResponse* response) override {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    v1::OffenceTable offences;
    v1::CourtTable courts;
    if (!google::protobuf::util::JsonStringToMessage(
             Read(REGISTRY_SOURCE_DIR "/deploy/reference/offences.json"), &offences, options)
             .ok() ||
        !google::protobuf::util::JsonStringToMessage(
             Read(REGISTRY_SOURCE_DIR "/deploy/reference/courts.json"), &courts, options)
             .ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "tables");
    }
    for (const v1::OffenceEntry& offence : offences.offences()) {
      if (offence.requires_switch().empty()) *response->add_offences() = offence;
    }
    *response->mutable_courts() = courts.courts();
    return grpc::Status::OK;
  }

 private:
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

// The dry run before "Enter this record?" that could not be made was skipped without a word: the
// clerk answered yes to answers the registry had not checked.
TEST(ScriptedClerkServerTest, AnInteractiveRecordTheRegistryCouldNotCheckSaysSoBeforeTheQuestion) {
  ScriptedRecords records;  // answers ImportRecords (the dry run) with DEADLINE_EXCEEDED
  ScriptedInfo info;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", registry::testing::RegistryServerCredentials(), &port);
  builder.RegisterService(&records);
  builder.RegisterService(&info);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  const std::filesystem::path before = std::filesystem::current_path();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("scripted_clerk.", getpid());
  std::filesystem::create_directories(dir);
  std::filesystem::current_path(dir);
  const std::string answers =
      "Krasniqi\nDriton\n\n\nm\n1975-02-03\n\n\n1000000123\n\n"
      "2\nP 88/2025\n2025-03-03\n2025-06-01\n3\n\nimprisonment\n18\nwork_with_children\n\n\n\n"
      "no\n";
  const CliRun run = RunCliCaptured(
      CliArgsAs(absl::StrCat("127.0.0.1:", port), "clerk", {"record", "create", "--interactive"}),
      {}, registry::testing::CliInput{answers, true});
  std::filesystem::current_path(before);
  std::filesystem::remove_all(dir);
  server->Shutdown();
  EXPECT_EQ(run.code, 1) << run.err;
  const std::string err = Flowed(run.err);
  const size_t unchecked =
      err.find("The registry did not check these answers (its check failed: DEADLINE_EXCEEDED): "
               "it checks them only when the record is sent.");
  ASSERT_NE(unchecked, std::string::npos) << run.err;
  const size_t question = err.find("Enter this record? (yes/no)");
  ASSERT_NE(question, std::string::npos) << run.err;
  EXPECT_LT(unchecked, question);
}

}  // namespace
}  // namespace registry::client
