#include "tests/reliability/registryd_child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_log.h"
#include "google/protobuf/util/json_util.h"
#include "server/key_file.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

extern char** environ;

namespace registry::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "RegistrydChild: %s\n", what.c_str());
  std::abort();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) Die("cannot write " + path);
  // Whatever the umask: registryd refuses a policy that every local account may write.
  ::chmod(path.c_str(), 0644);
}

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

std::string ConfigJson(const RegistrydChild::Files& f) {
  const std::string tls = f.dir + "/tls";
  return absl::StrCat(
      "{\"listen_address\": \"127.0.0.1:0\",\n"
      " \"tls\": {\"client_ca_file\": ", Quoted(tls + "/ca.pem"),
      ", \"cert_file\": ", Quoted(tls + "/cert.pem"), ", \"key_file\": ", Quoted(tls + "/key.pem"),
      ", \"crl_directory\": ", Quoted(tls + "/crl"), "},\n",
      " \"data_dir\": ", Quoted(f.data_dir), ",\n",
      " \"backup_dir\": ", Quoted(f.dir + "/backups"), ",\n",
      " \"key_file\": ", Quoted(f.key_file), ",\n",
      " \"policy_file\": ", Quoted(f.policy_file), ",\n",
      " \"reference_dir\": ", Quoted(REGISTRY_SOURCE_DIR "/deploy/reference"), "}\n");
}

}  // namespace

registry::v1::AccessPolicy UnthrottledDevPolicy() {
  registry::v1::AccessPolicy policy = DevPolicy();
  for (auto& org : *policy.mutable_organisations()) {
    if (!org.has_rate_limit()) continue;
    org.mutable_rate_limit()->set_per_minute(100000);
    org.mutable_rate_limit()->set_burst(100000);
    org.mutable_rate_limit()->set_checks_per_person_per_day(100000);
    org.mutable_rate_limit()->set_checks_per_name_per_day(100000);
    org.mutable_rate_limit()->set_refers_per_day_alert(100000);
  }
  return policy;
}

RegistrydChild::Files RegistrydChild::Prepare(const std::string& dir,
                                              const registry::v1::AccessPolicy& policy,
                                              const std::string& data_dir) {
  Files f;
  f.dir = dir;
  f.config = dir + "/registryd.json";
  f.data_dir = data_dir.empty() ? dir + "/data" : data_dir;
  f.key_file = dir + "/keys.json";
  f.policy_file = dir + "/policy.json";

  auto keys = server::GenerateKeyFile(absl::Now());
  if (!keys.ok()) Die(keys.status().ToString());
  absl::Status written = server::WriteKeyFile(f.key_file, *keys, /*overwrite=*/false);
  if (!written.ok()) Die(written.ToString());

  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(policy, &json, o).ok()) Die("policy json");
  WriteFile(f.policy_file, json);

  // The server's own copies of the PKI's files, as an installation has them.
  const TestPki& pki = TestPki::Get();
  std::filesystem::create_directories(dir + "/tls/crl");
  WriteFile(dir + "/tls/ca.pem", pki.CaPem());
  WriteFile(dir + "/tls/cert.pem", pki.ReadFile("server/cert.pem"));
  WriteFile(dir + "/tls/key.pem", pki.ReadFile("server/key.pem"));
  chmod((dir + "/tls/key.pem").c_str(), 0600);
  for (const auto& entry : std::filesystem::directory_iterator(pki.CrlDir())) {
    WriteFile(dir + "/tls/crl/" + entry.path().filename().string(),
              ReadFileOrDie(entry.path().string()));
  }
  WriteFile(f.config, ConfigJson(f));
  return f;
}

RegistrydChild::Files RegistrydChild::WithDataDir(const Files& base, const std::string& dir,
                                                  const std::string& data_dir) {
  Files f = base;
  f.config = dir + "/registryd.json";
  f.data_dir = data_dir;
  // The erasure ledger lives beside the key file by default; an installation whose data is a
  // copy needs its own, or two copies would append to one ledger.
  std::string config = ConfigJson(f);
  config.insert(config.rfind('}'),
                absl::StrCat(", \"erasure_ledger_file\": ", Quoted(dir + "/erasures.ledger")));
  // Likewise the audit watermark beside it (a copy with events and no watermark is refused),
  // taken over from the installation the data was copied from.
  for (const char* name : {"erasures.ledger", "audit.watermark"}) {
    const std::string from = absl::StrCat(base.dir, "/", name);
    if (std::filesystem::exists(from)) {
      std::filesystem::copy_file(from, absl::StrCat(dir, "/", name),
                                 std::filesystem::copy_options::overwrite_existing);
    }
  }
  WriteFile(f.config, config);
  return f;
}

RegistrydChild::~RegistrydChild() { Kill(); }

void RegistrydChild::Spawn() {
  Kill();
  port_ = 0;
  exit_code_ = 0;
  log_path_ = absl::StrCat(files_.config, ".", ++starts_, ".log");
  const std::string binary = REGISTRY_BINARY_DIR "/registryd";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const char* argv[] = {binary.c_str(), "--config", files_.config.c_str(), nullptr};
  // posix_spawn, not fork: the test has gRPC threads running.
  const int error = posix_spawn(&pid_, binary.c_str(), &actions, nullptr,
                                const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) Die(absl::StrCat("cannot run ", binary, ": ", error));
}

RegistrydChild::Outcome RegistrydChild::Start(absl::Duration deadline) {
  Spawn();
  return WaitServing(deadline);
}

bool RegistrydChild::Reap() {
  if (pid_ <= 0) return true;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return false;
  pid_ = -1;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

RegistrydChild::Outcome RegistrydChild::WaitServing(absl::Duration deadline) {
  const absl::Time end = absl::Now() + deadline;
  while (true) {
    const std::string log = Log();
    port_ = registry::ServingPortFromLog(log);
    if (port_ > 0) return Outcome::kServing;
    if (Reap()) return Outcome::kExited;
    if (absl::Now() >= end) return Outcome::kTimeout;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void RegistrydChild::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  exit_code_ = 128 + SIGKILL;
}

int RegistrydChild::Terminate(absl::Duration deadline) {
  if (pid_ <= 0) return exit_code_;
  kill(pid_, SIGTERM);
  const absl::Time end = absl::Now() + deadline;
  while (!Reap()) {
    if (absl::Now() >= end) {
      Kill();
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

std::string RegistrydChild::Log() const {
  std::ifstream in(log_path_, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::shared_ptr<grpc::Channel> RegistrydChild::Channel(absl::string_view identity) const {
  return MakeChannel(absl::StrCat("127.0.0.1:", port_), identity);
}

}  // namespace registry::testing
