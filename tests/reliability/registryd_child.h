// RegistrydChild: the registryd binary run as a child process, as an operator runs it, for the
// reliability tests (crash cycles, tamper flips, a full disk). It listens on 127.0.0.1:0 and the
// port is read back from its "registryd serving ... port=N" line; every wait has a deadline and
// ends early on the event it waits for (the line, or the process's exit).
//
//   RegistrydChild::Files files = RegistrydChild::Prepare(dir, policy);
//   RegistrydChild child(files);
//   ASSERT_EQ(child.Start(absl::Seconds(30)), RegistrydChild::Outcome::kServing) << child.Log();
//   auto channel = child.Channel("clerk");
//   child.Kill();  // SIGKILL: no flush, no clean close
#ifndef REGISTRY_TESTS_RELIABILITY_REGISTRYD_CHILD_H_
#define REGISTRY_TESTS_RELIABILITY_REGISTRYD_CHILD_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/policy.pb.h"

namespace registry::testing {

class RegistrydChild {
 public:
  // The files of one installation: a config naming them all by absolute path.
  struct Files {
    std::string dir;          // holds everything below
    std::string config;       // registryd.json
    std::string data_dir;     // data/
    std::string key_file;     // keys.json (mode 0600)
    std::string policy_file;  // policy.json
  };

  // Writes a new key file, `policy`, the TLS files of the test PKI, its CRL folder and a config
  // listening on 127.0.0.1:0 into `dir` (which must exist). `data_dir` empty: dir/data. Aborts on
  // failure: that is the test environment's failure, not the code's.
  static Files Prepare(const std::string& dir, const registry::v1::AccessPolicy& policy,
                       const std::string& data_dir = "");

  // The same installation with another data folder (a copy of the data made by the test): a
  // config of its own in `dir`, pointing at the same keys, policy and TLS files.
  static Files WithDataDir(const Files& base, const std::string& dir, const std::string& data_dir);

  explicit RegistrydChild(Files files) : files_(std::move(files)) {}
  ~RegistrydChild();  // SIGKILL if still running
  RegistrydChild(const RegistrydChild&) = delete;
  RegistrydChild& operator=(const RegistrydChild&) = delete;

  enum class Outcome {
    kServing,  // the "serving" line appeared; port() is set
    kExited,   // the process ended first; exit_code() and Log() say how
    kTimeout,  // neither within the deadline
  };

  // Spawns registryd --config files.config, its stderr to a new log file, and waits for one of
  // the outcomes above.
  Outcome Start(absl::Duration deadline);
  // Spawns it and returns at once (for a kill at an arbitrary moment of start-up).
  void Spawn();
  // Waits for the serving line or the exit of a spawned process.
  Outcome WaitServing(absl::Duration deadline);

  // SIGKILL and reap. No-op when not running.
  void Kill();
  // SIGTERM, then waits for the exit (up to `deadline`, then SIGKILL). Returns the exit code,
  // 128 + signal when it was killed by one, -1 when it had to be killed.
  int Terminate(absl::Duration deadline);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  // Exit code after kExited: the code, or 128 + the signal that ended it.
  int exit_code() const { return exit_code_; }
  // The whole log of the last start.
  std::string Log() const;
  const Files& files() const { return files_; }

  // An mTLS channel to the serving process as `identity` of the test PKI ("clerk", ...).
  std::shared_ptr<grpc::Channel> Channel(absl::string_view identity) const;

 private:
  // Reaps the child if it has ended; true when it has.
  bool Reap();

  Files files_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = 0;
  int starts_ = 0;
};

// The dev access policy with the vetting organisations' rate limits raised out of reach: the
// reliability tests check answers, not the throttle.
registry::v1::AccessPolicy UnthrottledDevPolicy();

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_RELIABILITY_REGISTRYD_CHILD_H_
