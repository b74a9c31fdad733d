// Vetting end to end with the real registry-cli binary against a real registryd: an employer's
// check prints the answer in words and saves a signed certificate that anyone verifies offline
// with the published key; a changed certificate or another key is refused; a clerk's `vet history`
// prints the person's whole history, every page; and the vetting identity cannot read, search or
// audit anything.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "crypto/ed25519.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCli[] = REGISTRY_BINARY_DIR "/registry-cli";

struct CliRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

// Runs registry-cli with `args` (posix_spawn, no shell), collecting its output. The environment
// is passed on without REGISTRY_* variables, so only the arguments decide.
CliRun RunCli(const std::vector<std::string>& args) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "REGISTRY_", 9) != 0) env_strings.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {kCli};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  CliRun run;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, kCli, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    run.output = absl::StrCat("posix_spawn failed: ", std::strerror(spawned));
    return run;
  }
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) {
    run.output.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

class VettingCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    dir_ = MakeTempDir("vetting-cli-test");
    grpc::ClientContext ctx;
    v1::CreateRecordResponse resp;
    const grpc::Status s = v1::RecordService::NewStub(server_->Channel("clerk"))
                               ->CreateRecord(&ctx, ExampleRecord(), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    record_id_ = resp.record_id();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // registry-cli --server ADDR --identity <pki>/<identity> args...
  CliRun As(const std::string& identity, std::vector<std::string> args) {
    std::vector<std::string> all = {"--server", server_->address(), "--identity",
                                    TestPki::Get().IdentityDir(identity)};
    all.insert(all.end(), args.begin(), args.end());
    return RunCli(all);
  }

  // A check of the example person, certificate saved in dir_/cert.json.
  CliRun CheckExamplePerson() {
    const v1::Person p = ExampleRecord().person();
    return As("vetting", {"vet", "check", "--personal-number", p.personal_number(), "--surname",
                          p.surname(), "--given-name", p.given_name(), "--birth-date",
                          p.birth_date(), "--position", "teacher", "--consent-ref", "C-1",
                          "--out", CertPath()});
  }

  std::string CertPath() const { return dir_ + "/cert.json"; }
  std::string KeyPath() const { return dir_ + "/vetting.pem"; }

  CliRun SavePublicKey() { return As("vetting", {"vet", "public-key", "--out", KeyPath()}); }

  CliRun Verify(const std::string& cert, const std::string& key) {
    return RunCli({"certificate", "verify", cert, "--public-key", key});
  }

  std::unique_ptr<TestServer> server_;
  std::string dir_;
  std::string record_id_;
};

TEST_F(VettingCliTest, CheckPrintsTheResultInWordsAndSavesAVerifiableCertificate) {
  const CliRun check = CheckExamplePerson();
  ASSERT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("NOT CLEAR"));
  EXPECT_THAT(check.output, HasSubstr("do not employ in contact with children"));
  // Words, and nothing from the record.
  EXPECT_THAT(check.output, Not(HasSubstr("P 123/2024")));
  EXPECT_THAT(check.output, Not(HasSubstr("basic-prishtine")));
  EXPECT_THAT(check.output, Not(HasSubstr("06/L-074")));

  const CliRun key = SavePublicKey();
  ASSERT_EQ(key.exit_code, 0) << key.output;
  EXPECT_THAT(ReadFileOrDie(KeyPath()), HasSubstr("-----BEGIN PUBLIC KEY-----"));

  const CliRun verify = Verify(CertPath(), KeyPath());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("valid: "));
  EXPECT_THAT(verify.output, HasSubstr("dev-school"));
}

TEST_F(VettingCliTest, UnknownCandidateIsClear) {
  const CliRun check = As("vetting", {"vet", "check", "--personal-number", "5555555555", "--surname",
                                   "Rexhepi", "--given-name", "Drita", "--birth-date",
                                   "1990-02-03", "--position", "teacher", "--consent-ref", "C-2"});
  ASSERT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("CLEAR: no relevant record"));
}

TEST_F(VettingCliTest, ChangedSurnameFailsVerification) {
  ASSERT_EQ(CheckExamplePerson().exit_code, 0);
  ASSERT_EQ(SavePublicKey().exit_code, 0);
  std::string json = ReadFileOrDie(CertPath());
  const std::string field = "\"surname\":";
  size_t at = json.find(field);
  ASSERT_NE(at, std::string::npos) << json;
  at = json.find('"', at + field.size());  // the value's opening quote
  ASSERT_NE(at, std::string::npos) << json;
  ASSERT_EQ(json[at + 1], 'K') << json;  // "Kërqeli"
  json[at + 1] = 'Q';
  const std::string changed = dir_ + "/changed.json";
  WriteFile(changed, json);

  const CliRun verify = Verify(changed, KeyPath());
  EXPECT_NE(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("bad signature"));
  // The untouched certificate still verifies, so it is the change that is refused.
  EXPECT_EQ(Verify(CertPath(), KeyPath()).exit_code, 0);
}

// A key other than the signing one is no verdict (an HR person read "invalid" as a forgery): the
// certificate cannot be checked with it, and both keys are named.
TEST_F(VettingCliTest, AnotherKeyLeavesTheCertificateUncheckedNamingBothKeys) {
  ASSERT_EQ(CheckExamplePerson().exit_code, 0);
  absl::StatusOr<crypto::SecretBytes> seed = crypto::SecretBytes::Random(crypto::kEd25519SeedSize);
  ASSERT_TRUE(seed.ok());
  absl::StatusOr<std::unique_ptr<crypto::Ed25519Signer>> other =
      crypto::Ed25519Signer::FromSeed(*seed);
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string other_key = dir_ + "/other.pem";
  WriteFile(other_key, (*other)->PublicKeyPem());

  const CliRun verify = Verify(CertPath(), other_key);
  EXPECT_EQ(verify.exit_code, 2) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("names key"));
}

// A data subject's request answered with `vet history`: one organisation checked the person, then
// another made 1005 calls naming them in a burst (all but the first over its rate limit). The
// command follows every page, so the earlier check is printed with the rest, last (the oldest),
// in --json (one object per check) and in the table alike.
TEST_F(VettingCliTest, VetHistoryPrintsEveryPageIncludingACheckAFloodWouldHaveHidden) {
  ASSERT_TRUE(LimitOrganisation(*server_, "dev-school", 1, 1).ok());
  v1::VettingCheckRequest candidate;
  candidate.set_personal_number("5555555555");
  candidate.set_surname("Rexhepi");
  candidate.set_given_name("Drita");
  candidate.set_birth_date("1990-02-03");
  candidate.set_position_category("care_worker");
  candidate.set_consent_reference("C-1");
  std::string earlier_id;
  {
    grpc::ClientContext ctx;
    v1::VettingCheckResponse resp;
    const grpc::Status s =
        v1::VettingService::NewStub(server_->Channel("vetting2"))->VettingCheck(&ctx, candidate,
                                                                               &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    earlier_id = resp.check_id();
  }
  constexpr int kFlood = 1005;
  candidate.set_position_category("teacher");
  auto flooder = v1::VettingService::NewStub(server_->Channel("vetting"));
  for (int i = 0; i < kFlood; ++i) {
    grpc::ClientContext ctx;
    v1::VettingCheckResponse resp;
    flooder->VettingCheck(&ctx, candidate, &resp);
  }

  storage::AuditLog* log = server_->server()->audit_log();
  const uint64_t before = log->CurrentHead().size;
  const CliRun json = As("clerk", {"--json", "vet", "history", "--personal-number",
                                   candidate.personal_number(), "--request-ref", "DSR-2026-7"});
  ASSERT_EQ(json.exit_code, 0) << json.output.substr(0, 2000);
  // Two pages (1000 and 6), each an audited call.
  EXPECT_EQ(log->CurrentHead().size, before + 2);
  std::vector<std::string> lines = absl::StrSplit(json.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kFlood + 1)) << json.output.substr(0, 2000);
  for (const std::string& line : lines) ASSERT_TRUE(absl::StartsWith(line, "{")) << line;
  EXPECT_THAT(lines.back(), HasSubstr(earlier_id));
  EXPECT_THAT(lines.back(), HasSubstr("dev-care-home"));

  const CliRun table = As("clerk", {"vet", "history", "--personal-number",
                                    candidate.personal_number(), "--request-ref", "DSR-2026-7"});
  ASSERT_EQ(table.exit_code, 0) << table.output.substr(0, 2000);
  lines = absl::StrSplit(table.output, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kFlood + 2)) << table.output.substr(0, 2000);
  EXPECT_TRUE(absl::StartsWith(lines.front(), "DATE")) << lines.front();
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return absl::StartsWith(l, "DATE"); }),
            1);
  EXPECT_THAT(lines.back(), HasSubstr("dev-care-home"));
  EXPECT_THAT(lines.back(), HasSubstr("care_worker"));
}

TEST_F(VettingCliTest, VettingIdentityCannotReadSearchOrAudit) {
  const std::vector<std::vector<std::string>> commands = {
      {"record", "get", record_id_},
      {"record", "get", record_id_, "--case-ref", "PKR 1/2026", "--purpose",
       "criminal_proceedings"},
      {"record", "search", "--personal-number", ExampleRecord().person().personal_number()},
      {"record", "history", record_id_},
      {"vet", "history", "--personal-number", ExampleRecord().person().personal_number(),
       "--request-ref", "DSR-2026-7"},
      {"audit", "list"},
  };
  for (const std::vector<std::string>& command : commands) {
    SCOPED_TRACE(absl::StrCat(command[0], " ", command[1]));
    const CliRun run = As("vetting", command);
    EXPECT_NE(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("PERMISSION_DENIED")) << run.output;
    EXPECT_THAT(run.output, Not(HasSubstr("Kërqeli")));
    EXPECT_THAT(run.output, Not(HasSubstr("P 123/2024")));
  }
  // The same commands work for the roles allowed them, so the refusal is the role's.
  const CliRun clerk_get = As("clerk", {"record", "get", record_id_});
  EXPECT_EQ(clerk_get.exit_code, 0) << clerk_get.output;
  EXPECT_THAT(clerk_get.output, HasSubstr("P 123/2024"));
}

}  // namespace
}  // namespace registry::testing
