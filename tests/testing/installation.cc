#include "tests/testing/installation.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/key_file.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {
namespace {

void Put(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  EXPECT_TRUE(out.good()) << path;
  ::chmod(path.c_str(), 0644);
}

}  // namespace

void WriteInstallationFiles(const std::string& dir) {
  const TestPki& pki = TestPki::Get();
  ::mkdir((dir + "/tls").c_str(), 0700);
  ::mkdir((dir + "/crl").c_str(), 0700);
  Put(dir + "/tls/ca.pem", pki.CaPem());
  Put(dir + "/tls/cert.pem", pki.ReadFile("server/cert.pem"));
  Put(dir + "/tls/key.pem", pki.ReadFile("server/key.pem"));
  ::chmod((dir + "/tls/key.pem").c_str(), 0600);
  for (const auto& entry : std::filesystem::directory_iterator(pki.dir() + "/crl")) {
    Put(dir + "/crl/" + entry.path().filename().string(), ReadFileOrDie(entry.path().string()));
  }
  absl::StatusOr<registry::v1::KeyFile> keys = server::GenerateKeyFile(absl::Now());
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_TRUE(server::WriteKeyFile(dir + "/keys.json", *keys, false).ok());
  Put(dir + "/policy.json", ReadFileOrDie(REGISTRY_SOURCE_DIR "/deploy/dev/policy.json"));
}

std::string InstallationConfig(const std::string& listen, const std::string& more) {
  return absl::StrCat(R"({"listen_address": ")", listen, R"(",
      "tls": {"client_ca_file": "tls/ca.pem", "cert_file": "tls/cert.pem",
              "key_file": "tls/key.pem", "crl_directory": "crl"},
      "data_dir": "data", "backup_dir": "backups", "key_file": "keys.json",
      "policy_file": "policy.json", "reference_dir": ")",
                      REGISTRY_SOURCE_DIR, R"(/deploy/reference")", more, "}");
}

}  // namespace registry::testing
