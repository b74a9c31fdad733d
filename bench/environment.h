// The server under test and the way clients reach it.
//
// LocalSetup prepares everything registryd needs in one folder: the development PKI
// (deploy/pki/dev-pki.sh), a new key file, the dev access policy with a vetting rate limit large
// enough never to throttle the benchmark, and a config file. The server then runs in this process
// (InProcessServer: server::RegistryServer, log_calls off) or as a child process (ChildServer:
// the registryd binary, whose peak RSS is then its own).
//
//   ASSIGN_OR_RETURN(LocalSetup setup, PrepareLocalSetup(work_dir, source_dir));
//   ASSIGN_OR_RETURN(auto server, InProcessServer::Start(setup));
//   ChannelFactory channels(server->address(), setup.pki_dir);
//   auto channel = channels.New("vetting");
#ifndef REGISTRY_BENCH_ENVIRONMENT_H_
#define REGISTRY_BENCH_ENVIRONMENT_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/config.pb.h"
#include "server/registry_server.h"

namespace registry::bench {

struct LocalSetup {
  std::string root;         // the work folder
  std::string pki_dir;      // dev-pki.sh output: ca/ server/ clerk/ court/ vetting/ auditor/ ...
  std::string config_file;  // registryd's JSON config
  registry::v1::ServerConfig config;  // the same, finished (absolute paths)
};

// Runs dev-pki.sh, writes keys.json, policy.json and registryd.json into `root` (created when
// missing). The data folder is root/data. Fails with the script's output or the file error.
absl::StatusOr<LocalSetup> PrepareLocalSetup(const std::string& root,
                                             const std::string& source_dir);

// Memory figures from /proc/<pid>/status, in KiB (nullopt when unreadable).
struct MemoryStatus {
  std::optional<uint64_t> vm_hwm_kib;  // peak resident set
  std::optional<uint64_t> vm_rss_kib;  // resident set now
};
MemoryStatus ReadMemoryStatus(pid_t pid);  // 0: this process
// CPU time (user + system) of process `pid` (0: this process) so far, in seconds.
std::optional<double> ProcessCpuSeconds(pid_t pid);
// Resets this process's peak RSS (VmHWM) to its current RSS (Linux: "5" > /proc/self/clear_refs).
bool ResetPeakRss();

class BenchServer {
 public:
  virtual ~BenchServer() = default;
  // "127.0.0.1:<port>".
  virtual std::string address() const = 0;
  // The server's memory. For the in-process server this is the whole process, clients included.
  virtual MemoryStatus Memory() const = 0;
  // CPU time (user + system) the server process has used so far, in seconds; nullopt when the
  // server is not a process of its own.
  virtual std::optional<double> CpuSeconds() const { return std::nullopt; }
  // Stops the server and releases the database. Idempotent.
  virtual absl::Status Stop() = 0;
};

class InProcessServer : public BenchServer {
 public:
  static absl::StatusOr<std::unique_ptr<InProcessServer>> Start(
      const registry::v1::ServerConfig& config);
  ~InProcessServer() override;
  std::string address() const override;
  MemoryStatus Memory() const override;
  absl::Status Stop() override;

 private:
  std::unique_ptr<server::RegistryServer> server_;
  int port_ = 0;
};

class ChildServer : public BenchServer {
 public:
  // Starts `registryd --config <config_file>` with its stderr in `log_file` and waits (up to
  // `timeout`) for its "registryd serving" line. *startup (may be null) receives the time from
  // spawn to that line. Fails when it exits or does not come up in time.
  static absl::StatusOr<std::unique_ptr<ChildServer>> Start(const std::string& registryd,
                                                            const std::string& config_file,
                                                            const std::string& log_file,
                                                            absl::Duration timeout,
                                                            absl::Duration* startup);
  ~ChildServer() override;
  std::string address() const override;
  MemoryStatus Memory() const override;
  std::optional<double> CpuSeconds() const override;
  // SIGTERM, then waits for a clean exit (exit status 0) for up to 60 s, else SIGKILL.
  absl::Status Stop() override;
  pid_t pid() const { return pid_; }
  // Waits (up to `timeout`) for the first whole log line whose msg is `msg`; the time from the
  // serving line to it. Fails when registryd exits or the line does not come in time.
  absl::StatusOr<absl::Duration> WaitForLogLine(absl::string_view msg, absl::Duration timeout);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_file_;
  std::chrono::steady_clock::time_point serving_;
};

// Times RegistryServer::Start on the files of `config` (no server may have them open), shuts it
// down again, and returns the start time.
absl::StatusOr<absl::Duration> TimeServerStart(const registry::v1::ServerConfig& config);

// New mTLS channels to one address, one identity folder (ca.pem, cert.pem, key.pem) per role.
// Each channel uses its own subchannel pool, so it is its own TCP + TLS connection.
class ChannelFactory {
 public:
  ChannelFactory(std::string address, std::string identity_root)
      : address_(std::move(address)), identity_root_(std::move(identity_root)) {}
  // A new channel as identity_root/<identity>. Fails when the PEM files cannot be read.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> New(const std::string& identity) const;
  const std::string& address() const { return address_; }

 private:
  std::string address_;
  std::string identity_root_;
};

// The folder registry-bench lives in (for the registryd beside it).
std::string SelfDir();

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_ENVIRONMENT_H_
