#include "bench/environment.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json_log.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "registry/v1/policy.pb.h"
#include "server/config.h"
#include "server/key_file.h"

extern char** environ;

namespace registry::bench {
namespace {

namespace v1 = registry::v1;

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  o.add_whitespace = true;
  if (!google::protobuf::util::MessageToJsonString(m, &json, o).ok()) {
    return absl::InternalError("cannot encode JSON");
  }
  return json;
}

// Runs argv with stdout and stderr appended to `log`, waits, and fails with the log's tail when
// the exit status is not 0.
absl::Status RunAndWait(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int err = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return absl::UnavailableError(absl::StrCat("cannot run ", args[0]));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    auto text = server::ReadFile(log);
    return absl::InternalError(
        absl::StrCat(args[0], " failed: ", text.ok() ? text->substr(0, 2000) : ""));
  }
  return absl::OkStatus();
}

std::optional<uint64_t> StatusField(const std::string& status, absl::string_view field) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::ConsumePrefix(&line, field)) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, " kB");
    uint64_t v = 0;
    if (absl::SimpleAtoi(line, &v)) return v;
  }
  return std::nullopt;
}

server::RegistryServerOptions BenchServerOptions(const v1::ServerConfig& config) {
  server::RegistryServerOptions o;
  o.config = config;
  o.log_calls = false;
  o.start_scheduler = false;
  o.policy_poll = absl::ZeroDuration();
  return o;
}

}  // namespace

absl::StatusOr<LocalSetup> PrepareLocalSetup(const std::string& root,
                                             const std::string& source_dir) {
  LocalSetup s;
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", root));
  ::chmod(root.c_str(), 0700);
  s.root = root;
  s.pki_dir = root + "/pki";
  RETURN_IF_ERROR(
      RunAndWait({source_dir + "/deploy/pki/dev-pki.sh", s.pki_dir}, root + "/dev-pki.log"));

  const std::string key_file = root + "/keys.json";
  if (!std::filesystem::exists(key_file)) {
    ASSIGN_OR_RETURN(v1::KeyFile keys, server::GenerateKeyFile(absl::Now()));
    RETURN_IF_ERROR(server::WriteKeyFile(key_file, keys, /*overwrite=*/false));
  }

  // The dev policy, with vetting limits the benchmark cannot reach: it measures the service, not
  // the throttle (which RateLimiter's own tests cover).
  ASSIGN_OR_RETURN(std::string policy_json,
                   server::ReadFile(source_dir + "/deploy/dev/policy.json"));
  v1::AccessPolicy policy;
  RETURN_IF_ERROR(server::ParseJson(policy_json, &policy));
  for (v1::Organisation& org : *policy.mutable_organisations()) {
    if (!org.has_rate_limit()) continue;
    org.mutable_rate_limit()->set_per_minute(100000);
    org.mutable_rate_limit()->set_burst(2000000000);
    org.mutable_rate_limit()->set_checks_per_person_per_day(100000);
    org.mutable_rate_limit()->set_checks_per_name_per_day(100000);
    org.mutable_rate_limit()->set_refers_per_day_alert(100000);
  }
  ASSIGN_OR_RETURN(std::string policy_out, ToJson(policy));
  RETURN_IF_ERROR(WriteText(root + "/policy.json", policy_out));

  v1::ServerConfig config;
  config.set_listen_address("127.0.0.1:0");
  config.mutable_tls()->set_client_ca_file(s.pki_dir + "/ca/ca.pem");
  config.mutable_tls()->set_cert_file(s.pki_dir + "/server/cert.pem");
  config.mutable_tls()->set_key_file(s.pki_dir + "/server/key.pem");
  config.mutable_tls()->set_crl_directory(s.pki_dir + "/crl");
  config.set_data_dir(root + "/data");
  config.set_backup_dir(root + "/backups");
  config.set_key_file(key_file);
  config.set_policy_file(root + "/policy.json");
  config.set_reference_dir(source_dir + "/deploy/reference");
  ASSIGN_OR_RETURN(std::string config_json, ToJson(config));
  s.config_file = root + "/registryd.json";
  RETURN_IF_ERROR(WriteText(s.config_file, config_json));
  ASSIGN_OR_RETURN(s.config, server::FinishConfig(config, root));
  return s;
}

MemoryStatus ReadMemoryStatus(pid_t pid) {
  MemoryStatus m;
  const std::string path = pid == 0 ? "/proc/self/status" : absl::StrCat("/proc/", pid, "/status");
  std::ifstream in(path);
  if (!in) return m;
  std::stringstream text;
  text << in.rdbuf();
  m.vm_hwm_kib = StatusField(text.str(), "VmHWM:");
  m.vm_rss_kib = StatusField(text.str(), "VmRSS:");
  return m;
}

std::optional<double> ProcessCpuSeconds(pid_t pid) {
  const std::string path = pid == 0 ? "/proc/self/stat" : absl::StrCat("/proc/", pid, "/stat");
  std::ifstream in(path);
  std::string text;
  if (!in || !std::getline(in, text)) return std::nullopt;
  // Fields after the command name (which may hold spaces, so start after its closing ')'):
  // state is field 3, utime field 14 and stime field 15, in clock ticks.
  const size_t paren = text.rfind(')');
  if (paren == text.npos) return std::nullopt;
  std::vector<std::string> fields = absl::StrSplit(text.substr(paren + 2), ' ');
  uint64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return std::nullopt;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.close();
  return static_cast<bool>(out);
}

absl::StatusOr<std::unique_ptr<InProcessServer>> InProcessServer::Start(
    const v1::ServerConfig& config) {
  std::unique_ptr<InProcessServer> s(new InProcessServer());
  ASSIGN_OR_RETURN(s->server_, server::RegistryServer::Start(BenchServerOptions(config)));
  s->port_ = s->server_->port();
  return s;
}

InProcessServer::~InProcessServer() { Stop().IgnoreError(); }

std::string InProcessServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

MemoryStatus InProcessServer::Memory() const { return ReadMemoryStatus(0); }

absl::Status InProcessServer::Stop() {
  if (server_ == nullptr) return absl::OkStatus();
  server_->Shutdown(absl::Seconds(5));
  server_.reset();  // closes RocksDB
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ChildServer>> ChildServer::Start(const std::string& registryd,
                                                                const std::string& config_file,
                                                                const std::string& log_file,
                                                                absl::Duration timeout,
                                                                absl::Duration* startup) {
  std::unique_ptr<ChildServer> s(new ChildServer());
  std::vector<std::string> args = {registryd, "--config", config_file};
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const auto start = std::chrono::steady_clock::now();
  const int err = posix_spawn(&s->pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    s->pid_ = -1;
    return absl::NotFoundError(absl::StrCat("cannot run ", registryd, ": ", std::strerror(err)));
  }
  const auto deadline = start + absl::ToChronoNanoseconds(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    auto log = server::ReadFile(log_file);
    if (log.ok()) s->port_ = ServingPortFromLog(*log);
    if (s->port_ != 0) {
      s->serving_ = std::chrono::steady_clock::now();
      s->log_file_ = log_file;
      if (startup != nullptr) *startup = absl::FromChrono(s->serving_ - start);
      return s;
    }
    int status = 0;
    if (waitpid(s->pid_, &status, WNOHANG) == s->pid_) {
      s->pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("registryd exited during start-up: ", log.ok() ? log->substr(0, 2000) : ""));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return absl::DeadlineExceededError("registryd did not start in time");
}

absl::StatusOr<absl::Duration> ChildServer::WaitForLogLine(absl::string_view msg,
                                                           absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    auto log = server::ReadFile(log_file_);
    if (log.ok() && !FindLogLine(*log, msg).empty()) {
      return absl::FromChrono(std::chrono::steady_clock::now() - serving_);
    }
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError("registryd exited");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return absl::DeadlineExceededError(absl::StrCat("no \"", msg, "\" line from registryd"));
}

ChildServer::~ChildServer() { Stop().IgnoreError(); }

std::string ChildServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

MemoryStatus ChildServer::Memory() const {
  return pid_ > 0 ? ReadMemoryStatus(pid_) : MemoryStatus();
}

std::optional<double> ChildServer::CpuSeconds() const {
  return pid_ > 0 ? ProcessCpuSeconds(pid_) : std::nullopt;
}

absl::Status ChildServer::Stop() {
  if (pid_ <= 0) return absl::OkStatus();
  const pid_t pid = pid_;
  pid_ = -1;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return absl::InternalError("waitpid failed");
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError("registryd did not stop within 60 s; killed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("registryd exited with status ", status));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> TimeServerStart(const v1::ServerConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::unique_ptr<server::RegistryServer> s,
                   server::RegistryServer::Start(BenchServerOptions(config)));
  const absl::Duration took = absl::FromChrono(std::chrono::steady_clock::now() - start);
  s->Shutdown(absl::Seconds(5));
  return took;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFactory::New(
    const std::string& identity) const {
  const std::string dir = identity_root_ + "/" + identity;
  ASSIGN_OR_RETURN(std::string ca, server::ReadFile(dir + "/ca.pem"));
  ASSIGN_OR_RETURN(std::string cert, server::ReadFile(dir + "/cert.pem"));
  ASSIGN_OR_RETURN(std::string key, server::ReadFile(dir + "/key.pem"));
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca;
  ssl.pem_cert_chain = cert;
  ssl.pem_private_key = key;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address_, grpc::SslCredentials(ssl), args);
}

std::string SelfDir() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

}  // namespace registry::bench
