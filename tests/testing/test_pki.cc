#include "tests/testing/test_pki.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

extern char** environ;

namespace registry::testing {
namespace {

[[noreturn]] void Die(absl::string_view message) {
  std::fprintf(stderr, "registry::testing: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::fflush(stderr);
  std::abort();
}

// Runs `argv` with stdout and stderr captured; returns the exit status as waitpid reports it.
int RunCapturingOutput(const char* const argv[], std::string& output) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) Die(absl::StrCat("pipe2: ", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  pid_t pid;
  // posix_spawn, not fork: tests may already have threads running.
  const int spawn_error =
      posix_spawnp(&pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawn_error != 0) {
    close(fds[0]);
    Die(absl::StrCat("cannot run ", argv[0], ": ", std::strerror(spawn_error)));
  }
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buffer, sizeof(buffer));
    if (n > 0) {
      output.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) Die(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  return status;
}

// The PKI directory and the process that created it, for removal at exit. A forked child (a death
// test) that exits normally must not delete its parent's files.
std::string* pki_dir_to_remove = nullptr;
pid_t pki_owner = 0;

void RemovePkiDir() {
  if (pki_dir_to_remove == nullptr || getpid() != pki_owner) return;
  std::error_code ignored;
  std::filesystem::remove_all(*pki_dir_to_remove, ignored);
}

// The directories MakeTempDir made, each with the process that made it, removed when that process
// exits. A forked child (a death test) leaves its parent's alone.
struct MadeDir {
  pid_t owner;
  std::string path;
};
absl::Mutex made_dirs_mutex(absl::kConstInit);
std::vector<MadeDir>* made_dirs = nullptr;

void RemoveMadeDirs() {
  std::vector<MadeDir> dirs;
  {
    absl::MutexLock lock(&made_dirs_mutex);
    if (made_dirs == nullptr) return;
    dirs = *made_dirs;
  }
  for (const MadeDir& dir : dirs) {
    if (dir.owner != getpid()) continue;
    std::error_code ignored;
    std::filesystem::remove_all(dir.path, ignored);
  }
}

void RemoveAtExit(const std::string& path) {
  if (const char* keep = std::getenv("REGISTRY_KEEP_TEST_DIRS"); keep != nullptr && *keep != '\0') {
    return;
  }
  absl::MutexLock lock(&made_dirs_mutex);
  if (made_dirs == nullptr) {
    made_dirs = new std::vector<MadeDir>();
    std::atexit(RemoveMadeDirs);
  }
  made_dirs->push_back(MadeDir{getpid(), path});
}

}  // namespace

std::string MakeTempDir(absl::string_view prefix) {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path =
      absl::StrCat((tmpdir != nullptr && *tmpdir != '\0') ? tmpdir : "/tmp", "/", prefix, "XXXXXX");
  if (mkdtemp(path.data()) == nullptr) {
    Die(absl::StrCat("mkdtemp(", path, "): ", std::strerror(errno)));
  }
  RemoveAtExit(path);
  return path;
}

std::string ReadFileOrDie(absl::string_view path) {
  const std::string name(path);
  std::ifstream in(name, std::ios::binary);
  if (!in) Die(absl::StrCat("cannot open ", name));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) Die(absl::StrCat("cannot read ", name));
  return std::move(content).str();
}

const TestPki& TestPki::Get() {
  static const TestPki* const pki = [] {
    // ctest points every test at one PKI made at build time (tests/CMakeLists.txt), so that each
    // test process does not pay for generating its own.
    if (const char* shared = std::getenv("REGISTRY_TEST_PKI_DIR"); shared != nullptr) {
      struct stat st;
      if (stat(absl::StrCat(shared, "/ca/ca.pem").c_str(), &st) == 0) {
        return new TestPki(std::string(shared));
      }
    }
    std::string dir = MakeTempDir("registry-test-pki-");
    const std::string script = REGISTRY_SOURCE_DIR "/deploy/pki/dev-pki.sh";
    const char* const argv[] = {"bash", script.c_str(), dir.c_str(), nullptr};
    std::string output;
    const int status = RunCapturingOutput(argv, output);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      Die(absl::StrCat(script, " ", dir, " failed (wait status ", status, "):\n", output));
    }
    if (std::getenv("REGISTRY_KEEP_TEST_PKI") == nullptr) {
      pki_dir_to_remove = new std::string(dir);
      pki_owner = getpid();
      std::atexit(RemovePkiDir);
    } else {
      std::fprintf(stderr, "registry::testing: keeping test PKI in %s\n", dir.c_str());
    }
    return new TestPki(std::move(dir));
  }();
  return *pki;
}

std::string TestPki::IdentityDir(absl::string_view name) const {
  std::string path = absl::StrCat(dir_, "/", name);
  struct stat st;
  if (name.empty() || stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    Die(absl::StrCat("no identity folder ", path));
  }
  return path;
}

std::string TestPki::ReadFile(absl::string_view path) const {
  if (!path.empty() && path.front() == '/') return ReadFileOrDie(path);
  return ReadFileOrDie(absl::StrCat(dir_, "/", path));
}

std::string TestPki::CaPem() const { return ReadFile("ca/ca.pem"); }

std::string TestPki::CrlDir() const { return absl::StrCat(dir_, "/crl"); }

TestPki::Identity TestPki::LoadIdentity(absl::string_view name) const {
  const std::string dir = IdentityDir(name);
  Identity identity;
  identity.ca_pem = ReadFileOrDie(absl::StrCat(dir, "/ca.pem"));
  identity.cert_pem = ReadFileOrDie(absl::StrCat(dir, "/cert.pem"));
  identity.key_pem = ReadFileOrDie(absl::StrCat(dir, "/key.pem"));
  identity.fingerprint = std::string(
      absl::StripAsciiWhitespace(ReadFileOrDie(absl::StrCat(dir, "/fingerprint.sha256"))));
  return identity;
}

namespace {

// Runs openssl with `args`; returns its output. Aborts when it fails.
std::string RunOpenssl(std::initializer_list<const char*> args) {
  std::vector<const char*> argv(args);
  argv.push_back(nullptr);
  std::string output;
  const int status = RunCapturingOutput(argv.data(), output);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Die(absl::StrCat("openssl ", argv[1], " failed (wait status ", status, "):\n", output));
  }
  return output;
}

void WriteOrDie(const std::string& path, absl::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) Die(absl::StrCat("cannot write ", path));
}

}  // namespace

TestPki::Ca TestPki::TwinOfTheRegistryCa() const {
  const std::string dir = MakeTempDir("registry-test-twin-ca-");
  const std::string registry_ca = absl::StrCat(dir_, "/ca/ca.pem");
  Ca ca;
  ca.cert_file = dir + "/ca.pem";
  ca.key_file = dir + "/ca.key";
  const std::string csr = dir + "/ca.csr";
  const std::string ext = dir + "/ext.cnf";
  // "X509v3 Subject Key Identifier: \n    77:DE:...": the identifier is the last line.
  const std::string shown =
      RunOpenssl({"openssl", "x509", "-in", registry_ca.c_str(), "-noout", "-ext",
                  "subjectKeyIdentifier"});
  const std::string ski(absl::StripAsciiWhitespace(shown.substr(shown.find('\n') + 1)));
  if (ski.empty() || ski.find(':') == std::string::npos) {
    Die(absl::StrCat("no subject key identifier in ", registry_ca, ": ", shown));
  }
  WriteOrDie(ext, absl::StrCat("[ca_ext]\n"
                               "basicConstraints = critical, CA:TRUE\n"
                               "keyUsage = critical, keyCertSign, cRLSign\n"
                               "subjectKeyIdentifier = ", ski, "\n"));
  RunOpenssl({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
              ca.key_file.c_str()});
  // The request carries the registry CA's subject as its bytes are, under the new key.
  RunOpenssl({"openssl", "x509", "-x509toreq", "-in", registry_ca.c_str(), "-signkey",
              ca.key_file.c_str(), "-out", csr.c_str()});
  RunOpenssl({"openssl", "x509", "-req", "-in", csr.c_str(), "-signkey", ca.key_file.c_str(),
              "-extfile", ext.c_str(), "-extensions", "ca_ext", "-days", "1", "-sha256", "-out",
              ca.cert_file.c_str()});
  ca.cert_pem = ReadFileOrDie(ca.cert_file);
  return ca;
}

TestPki::Identity TestPki::IssueClient(absl::string_view common_name,
                                       absl::string_view extensions) const {
  Ca registry_ca;
  registry_ca.cert_file = absl::StrCat(dir_, "/ca/ca.pem");
  registry_ca.key_file = absl::StrCat(dir_, "/ca/ca.key");
  return IssueClientBy(registry_ca, common_name, extensions);
}

TestPki::Identity TestPki::IssueClientBy(const Ca& ca, absl::string_view common_name,
                                         absl::string_view extensions) const {
  return Issue(ca, common_name, extensions, /*rsa=*/false);
}

TestPki::Identity TestPki::IssueForRsaKey(absl::string_view common_name,
                                          absl::string_view extensions) const {
  Ca registry_ca;
  registry_ca.cert_file = absl::StrCat(dir_, "/ca/ca.pem");
  registry_ca.key_file = absl::StrCat(dir_, "/ca/ca.key");
  return Issue(registry_ca, common_name, extensions, /*rsa=*/true);
}

TestPki::Identity TestPki::Issue(const Ca& ca, absl::string_view common_name,
                                 absl::string_view extensions, bool rsa) const {
  const std::string dir = MakeTempDir("registry-test-client-");
  const std::string key = dir + "/key.pem";
  const std::string csr = dir + "/csr.pem";
  const std::string ext = dir + "/ext.cnf";
  const std::string cert = dir + "/cert.pem";
  const std::string der = dir + "/cert.der";
  {
    std::ofstream out(ext, std::ios::binary);
    out << "[leaf_ext]\n" << extensions << "\n";
    if (!out) Die(absl::StrCat("cannot write ", ext));
  }
  // A random serial, so that no two certificates of the CA share one.
  std::random_device random;
  std::string serial = "0x7f";
  for (int i = 0; i < 4; ++i) serial += absl::StrCat(absl::Hex(random(), absl::kZeroPad8));
  const std::string subject = absl::StrCat("/CN=", common_name);
  const std::string& ca_pem = ca.cert_file;
  const std::string& ca_key = ca.key_file;
  const auto run = RunOpenssl;
  run({"openssl", "req", "-new", "-newkey", rsa ? "rsa" : "ec", "-pkeyopt",
       rsa ? "rsa_keygen_bits:2048" : "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.c_str(),
       "-subj", subject.c_str(), "-out", csr.c_str()});
  run({"openssl", "x509", "-req", "-in", csr.c_str(), "-CA", ca_pem.c_str(), "-CAkey",
       ca_key.c_str(), "-set_serial", serial.c_str(), "-days", "1", "-sha256", "-extfile",
       ext.c_str(), "-extensions", "leaf_ext", "-out", cert.c_str()});
  run({"openssl", "x509", "-in", cert.c_str(), "-outform", "DER", "-out", der.c_str()});
  const std::string digest = run({"openssl", "dgst", "-sha256", "-r", der.c_str()});
  Identity identity;
  identity.ca_pem = CaPem();
  identity.cert_pem = ReadFileOrDie(cert);
  identity.key_pem = ReadFileOrDie(key);
  identity.fingerprint = digest.substr(0, digest.find(' '));
  if (identity.fingerprint.size() != 64) Die(absl::StrCat("openssl dgst said: ", digest));
  return identity;
}

}  // namespace registry::testing
