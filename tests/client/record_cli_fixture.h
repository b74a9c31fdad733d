// The fixture of the tests of registry-cli's record commands against a real registryd
// (record_commands_test, record_amend_test): a server and a folder of each test's own, the command
// line as an identity of the dev PKI, a record read back as the clerk, and the actions of the
// audit log, which show what a refused command did not send.
#ifndef REGISTRY_TESTS_CLIENT_RECORD_CLI_FIXTURE_H_
#define REGISTRY_TESTS_CLIENT_RECORD_CLI_FIXTURE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.pb.h"
#include "storage/audit_log.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {

class RecordCliTest : public ::testing::Test {
 protected:
  // `dir_prefix` begins the name of the test's folder, so that one left behind says whose it is.
  explicit RecordCliTest(std::string dir_prefix) : dir_prefix_(std::move(dir_prefix)) {}

  void SetUp() override {
    server_ = TestServer::Start();
    dir_ = MakeTempDir(dir_prefix_);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // registry-cli as `identity`, with --json when `json`; `input` typed on a terminal when given,
  // unless `input_is_terminal` is false (piped, as a script runs it).
  CliRun As(const std::string& identity, const std::vector<std::string>& command,
            std::optional<std::string> input = std::nullopt, bool input_is_terminal = true,
            bool json = false) {
    return RunCliCaptured(CliArgsAs(server_->address(), identity, command, json), {},
                          CliInput{input.value_or(""), input.has_value() && input_is_terminal});
  }

  v1::Record Get(const std::string& id) {
    v1::Record record;
    const grpc::Status s = GetRecordAs(*server_, "clerk", id, &record);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return record;
  }

  // The actions of the audit events from `from` on.
  std::vector<std::string> ActionsSince(uint64_t from) {
    std::vector<std::string> actions;
    storage::AuditLog* log = server_->server()->audit_log();
    for (uint64_t i = from; i < log->CurrentHead().size; ++i) {
      v1::AuditEvent event;
      EXPECT_TRUE(event.ParseFromString(*log->ReadEvent(i)));
      actions.push_back(event.action().substr(event.action().rfind('/') + 1));
    }
    return actions;
  }
  uint64_t LogSize() { return server_->server()->audit_log()->CurrentHead().size; }

  std::unique_ptr<TestServer> server_;
  std::string dir_;

 private:
  std::string dir_prefix_;
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_CLIENT_RECORD_CLI_FIXTURE_H_
