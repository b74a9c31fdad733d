// TestServer: a real registryd (RegistryServer) on 127.0.0.1:0 with real mTLS, the development
// PKI, a fresh key file, the dev access policy and a temporary RocksDB directory — for
// integration tests.
//
//   auto server = TestServer::Start();
//   auto stub = registry::v1::RecordService::NewStub(server->Channel("clerk"));
#ifndef REGISTRY_TESTS_TESTING_TEST_SERVER_H_
#define REGISTRY_TESTS_TESTING_TEST_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/config.pb.h"
#include "registry/v1/policy.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"
#include "server/registry_server.h"
#include "storage/database.h"

namespace registry::testing {

struct TestServerOptions {
  // Default: deploy/dev/policy.json.
  std::unique_ptr<registry::v1::AccessPolicy> policy;
  // Not owned. Default: the system clock.
  const Clock* clock = nullptr;
  // Not owned.
  storage::WriteFaultInjector* fault_injector = nullptr;
  // Check client certificates against the dev CRL. Default true.
  bool crl = true;
  // Run the retention scheduler thread. Default false (tests call RunRetentionOnce).
  bool scheduler = false;
  // Poll interval of the policy watcher; zero disables it.
  absl::Duration policy_poll = absl::ZeroDuration();
  // Backup retention; zero fields take the defaults.
  registry::v1::BackupConfig backup;
};

class TestServer {
 public:
  // Starts a server in a new temporary directory. Aborts the test process on failure.
  static std::unique_ptr<TestServer> Start(TestServerOptions options = {});
  ~TestServer();

  // "127.0.0.1:<port>".
  std::string address() const;
  // An mTLS channel with identity folder `identity` of the dev PKI ("clerk", "untrusted", ...).
  std::shared_ptr<grpc::Channel> Channel(absl::string_view identity) const;

  server::RegistryServer* server() { return server_.get(); }
  // The temporary root: config.json, keys.json, policy.json, data/.
  const std::string& dir() const { return dir_; }
  const registry::v1::ServerConfig& config() const { return config_; }

  // Shuts the server down and closes the database (files stay).
  void Stop();
  // Starts again on the same files (a new port). Returns the start-up error, if any.
  absl::Status Restart();
  // Rewrites the policy file.
  void WritePolicy(const registry::v1::AccessPolicy& policy) const;

 private:
  TestServer() = default;
  TestServerOptions options_;
  std::string dir_;
  registry::v1::ServerConfig config_;
  std::unique_ptr<server::RegistryServer> server_;
};

// The dev access policy (deploy/dev/policy.json).
registry::v1::AccessPolicy DevPolicy();

// deploy/examples/record.json as a request.
registry::v1::CreateRecordRequest ExampleRecord();

// A valid record of a fictional person; `n` varies the personal number, case number and names.
registry::v1::CreateRecordRequest FictionalRecord(int n);

// A vetting request for `person` as registered, for the dev vetting identity: position category
// "teacher" (dev-school's), consent reference `consent`.
registry::v1::VettingCheckRequest CandidateOf(const registry::v1::Person& person,
                                              absl::string_view consent = "CONSENT 2026/17");

// Whether two convictions are equal, ignoring output-only fields (offence titles, court name).
bool SameConviction(const registry::v1::Conviction& a, const registry::v1::Conviction& b);

// Channel for `identity` of the dev PKI to `address`.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, absl::string_view identity);

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_TEST_SERVER_H_
