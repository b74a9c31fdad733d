// TestServer: a real registryd (RegistryServer) on 127.0.0.1:0 with real mTLS, the development
// PKI, a fresh key file, the dev access policy and a temporary RocksDB directory — for
// integration tests. The server reads its own copies of the TLS files and the CRL folder
// (tls_dir(), crl_dir()), so a test may replace them while it runs.
//
//   auto server = TestServer::Start();
//   auto stub = registry::v1::RecordService::NewStub(server->Channel("clerk"));
#ifndef REGISTRY_TESTS_TESTING_TEST_SERVER_H_
#define REGISTRY_TESTS_TESTING_TEST_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/config.pb.h"
#include "registry/v1/policy.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"
#include "server/registry_server.h"
#include "storage/database.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {

struct TestServerOptions {
  // Default: deploy/dev/policy.json. Tests check one candidate many times: an organisation whose
  // rate_limit leaves checks_per_person_per_day 0 (5 a day) gets 100000 in the policy the server
  // reads (TestServer::WritePolicy), and so do checks_per_name_per_day and refers_per_day_alert
  // (whose alert event would come between a test's calls); the tests of the limits and the alert
  // set their own.
  std::unique_ptr<registry::v1::AccessPolicy> policy;
  // Not owned. Default: the system clock.
  const Clock* clock = nullptr;
  // Not owned: decides whether a CRL is current. Default: the system clock.
  const Clock* revocation_clock = nullptr;
  // Not owned: the monotonic clock vetting lookups are held to. Default: the real one.
  const server::Pacer* pacer = nullptr;
  // Not owned: the monotonic clock the registry clock is checked against before erasures
  // (RegistryServerOptions::clock_guard_elapsed). Default: the real one with the system clock,
  // none with another.
  const server::Pacer* clock_guard_elapsed = nullptr;
  // Where each REFER is counted after its reply (RegistryServerOptions::after_reply). Default:
  // the gate's own worker.
  std::function<void(std::function<void()>)> after_reply;
  // Not owned.
  storage::WriteFaultInjector* fault_injector = nullptr;
  // Not owned: the Env of the database (a failing or in-memory file system).
  rocksdb::Env* storage_env = nullptr;
  // Check client certificates against CRLs (tls.crl_directory). Default true.
  bool crl = true;
  // The dev PKI folder whose CRLs the server's CRL folder starts with ("crl", "crl-next",
  // "crl-expired"); empty: an empty folder.
  std::string crl_source = "crl";
  // Poll interval of the revocation watcher (CA bundle and CRL folder); zero disables it.
  absl::Duration revocation_poll = absl::ZeroDuration();
  // How often gRPC re-reads the TLS files.
  absl::Duration tls_refresh = absl::Seconds(1);
  // Audited refusals of unknown certificates; zero fields take the defaults (10/min, burst 20).
  registry::v1::UnknownCallerConfig unknown_callers;
  // The summary of unaudited refusals is written by the test (FlushUnauditedRefusals) and at
  // shutdown; a positive interval also starts the periodic writer.
  absl::Duration unaudited_summary_interval = absl::ZeroDuration();
  // How often the audit watermark follows the log while the server runs; zero (the default):
  // only at start-up and shutdown.
  absl::Duration watermark_interval = absl::ZeroDuration();
  // Run the retention scheduler thread. Default false (tests call RunRetentionOnce).
  bool scheduler = false;
  // Poll interval of the policy watcher; zero disables it.
  absl::Duration policy_poll = absl::ZeroDuration();
  // Backup retention; zero fields take the defaults.
  registry::v1::BackupConfig backup;
  // Reference data folder. Default: deploy/reference.
  std::string reference_dir;
  // Audit retention (retention_days); default 0, every event kept.
  registry::v1::AuditConfig audit;
  // metrics.listen_address, e.g. "127.0.0.1:0"; default "" (no metrics listener).
  std::string metrics_listen_address;
  // One JSON log line per call on stderr. Default false.
  bool log_calls = false;
  // How long gRPC waits for a connection's TLS handshake (RegistryServerOptions).
  absl::Duration handshake_timeout = absl::Seconds(10);

  // The defaults, on `clock` (not owned): for a test that moves time on.
  static TestServerOptions OnClock(const Clock* clock) {
    TestServerOptions options;
    options.clock = clock;
    return options;
  }
};

class TestServer {
 public:
  // Starts a server in a new temporary directory. Aborts the test process on failure.
  static std::unique_ptr<TestServer> Start(TestServerOptions options = {});
  // Starts a server on `clock` whose audit log keeps events the shortest retention allows
  // (server::kMinAuditRetentionDays), for tests of a log whose oldest events were pruned.
  static std::unique_ptr<TestServer> StartPruningAudit(const Clock* clock);
  ~TestServer();

  // "127.0.0.1:<port>".
  std::string address() const;
  // An mTLS channel with identity folder `identity` of the dev PKI ("clerk", "untrusted", ...).
  std::shared_ptr<grpc::Channel> Channel(absl::string_view identity) const;

  server::RegistryServer* server() { return server_.get(); }
  // The temporary root: config.json, keys.json, policy.json, data/, tls/, crl/.
  const std::string& dir() const { return dir_; }
  // The server's TLS files: ca.pem (client CA bundle), cert.pem, key.pem.
  std::string tls_dir() const { return dir_ + "/tls"; }
  // The server's tls.crl_directory.
  std::string crl_dir() const { return dir_ + "/crl"; }
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

// Makes `conviction` a fine judged on `judgment_date` and final on `final_date` (YYYY-MM-DD),
// without bans, release or suspension, under the code of its time (UnderTheCodeOfItsTime): an
// adult's fine is visible 10 years from its final date and kept 15 (deploy/reference), so one
// final in 2014 is spent today.
void MakeFine(registry::v1::Conviction* conviction, absl::string_view judgment_date,
              absl::string_view final_date);

// Sets the rate limit of organisation `org` of the dev policy to `per_minute` with `burst`, and
// has `server` load the policy (its error, if any).
absl::Status LimitOrganisation(TestServer& server, absl::string_view org, uint32_t per_minute,
                               uint32_t burst);

// ExampleRecord as a fine, final on 2005-03-01 (its own periods long over), with one ban on work
// with children ending `ban_end` (YYYY-MM-DD), or for life when empty.
registry::v1::CreateRecordRequest OldFineWithAChildrenBan(absl::string_view ban_end);

// A valid record of a fictional person; `n` varies the personal number, case number and names.
registry::v1::CreateRecordRequest FictionalRecord(int n);
// The example's offence (06/L-074 art. 230 §1) under the code in force on the conviction's
// judgment date: its 2012-code equivalent (04/L-082 art. 234, no minimum either) between 2013 and
// the 2019 code, its Provisional Criminal Code equivalent (UNMIK/2003/25 art. 196) from 6 April
// 2004 to 2012 (deploy/reference/offences.json "laws"); and before 2013 a District Court for a
// Basic Court or the Court of Appeals (courts.json). For tests that date a conviction back.
void UnderTheCodeOfItsTime(registry::v1::Conviction* conviction);

// A vetting request for `person` as registered, for the dev vetting identity: position category
// "teacher" (dev-school's), consent reference `consent`, or when it is empty the person's own
// (ConsentFor below).
registry::v1::VettingCheckRequest CandidateOf(const registry::v1::Person& person,
                                              absl::string_view consent = "");

// A consent reference of the candidate with `personal_number` alone (a consent is one
// candidate's: an organisation's reference given for one candidate is refused for another):
// `base`, a dash and the number's digits spelled as letters (0 -> A, 1 -> B, ...), so that it
// holds no digits that could read as a personal number.
std::string ConsentFor(absl::string_view personal_number,
                       absl::string_view base = "CONSENT 2026/17");

// Whether two convictions are equal, ignoring output-only fields (offence titles, court name).
bool SameConviction(const registry::v1::Conviction& a, const registry::v1::Conviction& b);

// Writes `content` to `path` through a temporary file and a rename, so a reader sees the old or
// the new file, never a part. Aborts on failure.
void WriteFileAtomically(const std::string& path, const std::string& content);
// Writes `policy` to `path` as registryd reads it (JSON, proto field names), atomically as above.
void WritePolicyFile(const std::string& path, const registry::v1::AccessPolicy& policy);

// Channel for `identity` of the dev PKI to `address`.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, absl::string_view identity);
// The same with the CA, certificate and key of `identity`: one a test issued, or altered.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TestPki::Identity& identity);
// The same with `args` (a subchannel pool of its own is always set).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TestPki::Identity& identity,
                                           grpc::ChannelArguments args);

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_TEST_SERVER_H_
