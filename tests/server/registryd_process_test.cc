// The registryd binary as an operator runs it: it serves, reloads its policy and its revocation
// lists on SIGHUP, refuses to start while a client CA has no current CRL (naming it), writes a
// fatal start-up error as one JSON line, and on SIGTERM or SIGINT stops accepting, lets
// in-flight calls finish, closes RocksDB cleanly and exits 0.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "common/json_log.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/key_file.h"
#include "storage/database.h"
#include "tests/testing/held_port.h"
#include "tests/testing/log_lines.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

extern char** environ;

namespace registry::testing {
namespace {

class RegistrydProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("registryd-process");
    auto keys = server::GenerateKeyFile(absl::Now());
    ASSERT_TRUE(keys.ok());
    ASSERT_TRUE(server::WriteKeyFile(dir_ + "/keys.json", *keys, false).ok());
    std::ofstream(dir_ + "/policy.json") << testing::ReadFileOrDie(REGISTRY_SOURCE_DIR
                                                                    "/deploy/dev/policy.json");
    // Whatever the umask: registryd refuses a policy that every local account may write.
    ::chmod((dir_ + "/policy.json").c_str(), 0644);
    WriteConfig(/*crl_directory=*/"");
  }

  // registryd.json, with tls.crl_directory when `crl_directory` is not empty.
  void WriteConfig(const std::string& crl_directory) {
    const std::string pki = TestPki::Get().dir();
    const std::string crl =
        crl_directory.empty() ? "" : absl::StrCat(R"(, "crl_directory": ")", crl_directory, "\"");
    std::ofstream(dir_ + "/registryd.json") << absl::StrCat(
        // Port 0: the kernel picks a free port, and Spawn reads it back from the log, so that
        // tests running side by side never race for one.
        R"({"listen_address": "127.0.0.1:0",
            "tls": {"client_ca_file": ")", pki, R"(/ca/ca.pem", "cert_file": ")", pki,
        R"(/server/cert.pem", "key_file": ")", pki, R"(/server/key.pem")", crl, R"(},
            "data_dir": "data", "key_file": "keys.json", "policy_file": "policy.json",
            "reference_dir": ")", REGISTRY_SOURCE_DIR, R"(/deploy/reference"})");
  }

  std::string Log() const { return testing::ReadFileOrDie(dir_ + "/registryd.log"); }

  // Waits until the log contains `text`; false after 15 s.
  bool WaitForLog(const std::string& text) const {
    for (int i = 0; i < 150; ++i) {
      if (Log().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void Spawn() {
    const std::string binary = REGISTRY_BINARY_DIR "/registryd";
    const std::string config = dir_ + "/registryd.json";
    const std::string log = dir_ + "/registryd.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const char* argv[] = {binary.c_str(), "--config", config.c_str(), nullptr};
    ASSERT_EQ(posix_spawn(&pid_, binary.c_str(), &actions, nullptr, const_cast<char**>(argv),
                          environ),
              0);
    posix_spawn_file_actions_destroy(&actions);
    // The port it bound, from its "registryd serving" line.
    port_ = 0;
    for (int i = 0; i < 300 && port_ == 0; ++i) {
      // The child creates the log file itself: it may not exist yet.
      std::ifstream in(dir_ + "/registryd.log", std::ios::binary);
      const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      port_ = registry::ServingPortFromLog(log);
      if (port_ > 0) break;
      port_ = 0;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "registryd exited before serving:\n" << log;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_NE(port_, 0) << "registryd did not say which port it serves on:\n" << Log();
    // Wait until it answers (health refuses every caller while no CRL is current).
    for (int i = 0; i < 100; ++i) {
      const grpc::StatusCode code = Health().error_code();
      if (code != grpc::StatusCode::UNAVAILABLE && code != grpc::StatusCode::DEADLINE_EXCEEDED) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "registryd did not come up:\n" << testing::ReadFileOrDie(log);
  }

  std::shared_ptr<grpc::Channel> Channel(absl::string_view identity) {
    return testing::MakeChannel(absl::StrCat("127.0.0.1:", port_), identity);
  }

  grpc::Status Health() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckResponse resp;
    return grpc::health::v1::Health::NewStub(Channel("clerk"))->Check(&ctx, {}, &resp);
  }

  grpc::Status PublicKey(absl::string_view identity) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    registry::v1::PublicKey key;
    return registry::v1::VettingService::NewStub(Channel(identity))
        ->GetVettingPublicKey(&ctx, {}, &key);
  }

  // Runs registryd with the config and `mode` ("" for a start) to its end (60 s at most):
  // its exit code, and what it wrote to stdout and stderr in *out.
  int RunToEnd(const std::string& mode, std::string* out) {
    const std::string cmd = absl::StrCat("timeout 60 " REGISTRY_BINARY_DIR "/registryd --config ",
                                         dir_, "/registryd.json ", mode, " > ", dir_,
                                         "/out.txt 2>&1");
    const int rc = std::system(cmd.c_str());
    *out = testing::ReadFileOrDie(dir_ + "/out.txt");
    EXPECT_TRUE(WIFEXITED(rc)) << "registryd ended by a signal: " << *out;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

  int WaitExit() {
    int status = 0;
    for (int i = 0; i < 150; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(RegistrydProcessTest, SigtermStopsCleanlyAndTheDatabaseReopens) {
  ASSERT_NO_FATAL_FAILURE(Spawn());
  ASSERT_TRUE(PublicKey("clerk").ok());
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  EXPECT_EQ(WaitExit(), 0);
  EXPECT_FALSE(Health().ok());
  // RocksDB was closed: its lock is free and the data reopens with the call's event.
  storage::DatabaseOptions o;
  o.path = dir_ + "/data";
  o.create_if_missing = false;
  auto db = storage::Database::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  auto frontier = (*db)->Get(storage::Cf::kMeta, "audit/frontier");
  ASSERT_TRUE(frontier.ok());
  EXPECT_TRUE(frontier->has_value());
  const std::string log = testing::ReadFileOrDie(dir_ + "/registryd.log");
  EXPECT_NE(log.find("\"msg\":\"call\""), std::string::npos) << log;
  EXPECT_NE(log.find("stopped"), std::string::npos) << log;
}

// registryd allows itself no core file, whatever limit it was started with: a core of it would
// hold the key file's keys and the records it served.
TEST_F(RegistrydProcessTest, ItAllowsItselfNoCoreFileWhateverItWasStartedWith) {
  struct rlimit before;
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &before), 0);
  if (before.rlim_max == 0) GTEST_SKIP() << "core files are not allowed here at all";
  struct rlimit allowed = before;
  allowed.rlim_cur = allowed.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_CORE, &allowed), 0);
  const auto restore = absl::MakeCleanup([&] { ::setrlimit(RLIMIT_CORE, &before); });
  ASSERT_NO_FATAL_FAILURE(Spawn());
  const std::string limits = testing::ReadFileOrDie(absl::StrCat("/proc/", pid_, "/limits"));
  bool found = false;
  for (const absl::string_view line : absl::StrSplit(limits, '\n')) {
    if (!absl::StartsWith(line, "Max core file size")) continue;
    found = true;
    const std::vector<absl::string_view> words =
        absl::StrSplit(line.substr(sizeof("Max core file size") - 1), ' ', absl::SkipEmpty());
    ASSERT_GE(words.size(), 2u) << line;
    EXPECT_EQ(words[0], "0") << line;  // soft
    EXPECT_EQ(words[1], "0") << line;  // hard
  }
  EXPECT_TRUE(found) << limits;
}

// Started from a shell's usual umask (022), registryd still makes every file and folder its own
// user's only: the database, the erasure ledger, the watermark, whatever it writes.
TEST_F(RegistrydProcessTest, EverythingItMakesIsItsOwnUsersOnlyWhateverTheUmask) {
  const mode_t before = ::umask(022);
  ASSERT_NO_FATAL_FAILURE(Spawn());
  ::umask(before);
  ASSERT_TRUE(PublicKey("clerk").ok());
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  ASSERT_EQ(WaitExit(), 0);
  const std::set<std::string> written_by_the_test = {"keys.json", "policy.json", "registryd.json",
                                                     "registryd.log"};
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    const std::string top =
        std::filesystem::relative(entry.path(), dir_).begin()->string();
    if (written_by_the_test.count(top) > 0) continue;
    struct stat st;
    ASSERT_EQ(::lstat(entry.path().c_str(), &st), 0) << entry.path();
    EXPECT_EQ(st.st_mode & 077, 0u) << entry.path() << " is open to others";
    ++checked;
  }
  EXPECT_GT(checked, 5) << "the database's files were not there to check";
}

TEST_F(RegistrydProcessTest, SigintAlsoStopsCleanly) {
  ASSERT_NO_FATAL_FAILURE(Spawn());
  ASSERT_EQ(kill(pid_, SIGINT), 0);
  EXPECT_EQ(WaitExit(), 0);
}

TEST_F(RegistrydProcessTest, SighupReloadsThePolicy) {
  ASSERT_NO_FATAL_FAILURE(Spawn());
  ASSERT_TRUE(PublicKey("court").ok());
  auto policy = testing::DevPolicy();
  auto* principals = policy.mutable_principals();
  for (int i = 0; i < principals->size(); ++i) {
    if (principals->Get(i).id() == kCourtId) {
      principals->DeleteSubrange(i, 1);
      break;
    }
  }
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(policy, &json).ok());
  std::ofstream(dir_ + "/policy.json") << json;
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  grpc::StatusCode code = grpc::StatusCode::OK;
  for (int i = 0; i < 150 && code != grpc::StatusCode::PERMISSION_DENIED; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    code = PublicKey("court").error_code();
  }
  EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(PublicKey("clerk").ok());
}

// Without a current CRL for a client CA registryd does not start (exit 2, one JSON error line
// naming the CA), as --check_config does not pass it; once serving, SIGHUP takes the CRL folder as
// it is: a CRL removed leaves its CA's certificates refused (and the log says which CA), a CRL
// put back lets them in again.
TEST_F(RegistrydProcessTest, StartWithoutACurrentCrlIsRefusedAndSighupTakesTheCrlFolderAsItIs) {
  const std::string crl_dir = dir_ + "/crl";
  ASSERT_EQ(mkdir(crl_dir.c_str(), 0700), 0);
  WriteConfig(crl_dir);
  const std::string cmd = absl::StrCat("timeout 60 " REGISTRY_BINARY_DIR "/registryd --config ",
                                       dir_, "/registryd.json 2>", dir_, "/err.txt");
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const google::protobuf::Struct line =
      testing::OneErrorLogLine(testing::ReadFileOrDie(dir_ + "/err.txt"));
  EXPECT_EQ(line.fields().at("stage").string_value(), "start-up");
  EXPECT_THAT(line.fields().at("msg").string_value(),
              ::testing::HasSubstr("no current revocation list for client CA"));
  EXPECT_THAT(line.fields().at("msg").string_value(),
              ::testing::HasSubstr("KJC Registry Development CA"));

  const TestPki& pki = TestPki::Get();
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(pki.CrlDir())) {
    names.push_back(entry.path().filename().string());
    testing::WriteFileAtomically(crl_dir + "/" + names.back(),
                                 testing::ReadFileOrDie(entry.path().string()));
  }
  ASSERT_NO_FATAL_FAILURE(Spawn());
  EXPECT_TRUE(PublicKey("clerk").ok());
  // The CRL gone, then SIGHUP (which reloads and says so even when the watcher was first).
  for (const std::string& name : names) std::filesystem::remove(crl_dir + "/" + name);
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  EXPECT_TRUE(WaitForLog("no current revocation list for client CA")) << Log();
  EXPECT_EQ(PublicKey("clerk").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Health().error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // The current CRL back, then SIGHUP.
  for (const auto& entry : std::filesystem::directory_iterator(pki.CrlDir())) {
    testing::WriteFileAtomically(crl_dir + "/" + entry.path().filename().string(),
                                 testing::ReadFileOrDie(entry.path().string()));
  }
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  EXPECT_TRUE(WaitForLog("revocation lists reloaded; every client CA has a current CRL"))
      << Log();
  EXPECT_TRUE(PublicKey("clerk").ok());
  EXPECT_EQ(PublicKey("revoked").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(RegistrydProcessTest, GroupReadableKeyFileStopsStartWithExitTwo) {
  ASSERT_EQ(chmod((dir_ + "/keys.json").c_str(), 0640), 0);
  const std::string cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd --config ", dir_,
                                       "/registryd.json 2>", dir_, "/err.txt");
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const std::string err = testing::ReadFileOrDie(dir_ + "/err.txt");
  EXPECT_NE(err.find("group or others"), std::string::npos) << err;
  // One JSON line, as the rest of the log, for the runbook's jq over the journal.
  const google::protobuf::Struct line = testing::OneErrorLogLine(err);
  EXPECT_EQ(line.fields().at("stage").string_value(), "start-up");
  EXPECT_EQ(line.fields().at("exit_code").number_value(), 2);
  EXPECT_THAT(line.fields().at("msg").string_value(),
              ::testing::StartsWith("registryd: start-up: "));
}

// An offline command run beside a running registryd says to stop it, instead of RocksDB's lock
// error, and changes nothing.
TEST_F(RegistrydProcessTest, AnOfflineCommandBesideARunningServerSaysToStopItFirst) {
  ASSERT_NO_FATAL_FAILURE(Spawn());
  ASSERT_GT(port_, 0);
  for (const char* mode : {"--verify_data", "--retire_kek 1"}) {
    SCOPED_TRACE(mode);
    std::string out;
    EXPECT_NE(RunToEnd(mode, &out), 0) << out;
    EXPECT_NE(out.find("registryd is running"), std::string::npos) << out;
    EXPECT_NE(out.find("stop registryd first; nothing was changed"), std::string::npos) << out;
    EXPECT_EQ(out.find("IO error"), std::string::npos) << out;
  }
}

// --help lists registryd's own flags; --export_public_keys into a folder that is not there says so.
TEST_F(RegistrydProcessTest, HelpListsTheFlagsAndAnExportNeedsAnExistingFolder) {
  std::string cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd --help > ", dir_,
                                 "/help.txt 2>&1");
  std::system(cmd.c_str());
  const std::string help = testing::ReadFileOrDie(dir_ + "/help.txt");
  for (const char* flag : {"--config", "--restore_backup", "--verify_data", "--retire_kek",
                           "--export_public_keys", "--check_config"}) {
    EXPECT_NE(help.find(flag), std::string::npos) << flag << "\n" << help;
  }
  EXPECT_EQ(help.find("No flags matched"), std::string::npos) << help;

  cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd --config ", dir_,
                     "/registryd.json --export_public_keys ", dir_, "/missing > ", dir_,
                     "/out.txt 2>&1");
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const std::string out = testing::ReadFileOrDie(dir_ + "/out.txt");
  EXPECT_NE(out.find("/missing is not a folder: create it first"), std::string::npos) << out;
}

TEST_F(RegistrydProcessTest, AMistypedCommandLineIsOneJsonLineThatNamesOnlyAFlagName) {
  struct Case {
    std::string args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"--bogus_flag", "--bogus_flag is not a flag of registryd"},
      {"--config=" + dir_ + "/registryd.json --verify_dta", "--verify_dta is not a flag"},
      // A flag typed with hyphens, or a near miss, is answered with the flag meant.
      {"--check-config " + dir_ + "/registryd.json",
       "--check-config is not a flag of registryd: did you mean --check_config?"},
      {"--config=" + dir_ + "/registryd.json --verify_dta",
       "--verify_dta is not a flag of registryd: did you mean --verify_data?"},
      {"--restore-backup 7", "did you mean --restore_backup?"},
      {dir_ + "/registryd.json", "registryd takes flags only"},
      {"--verify_data yes --config " + dir_ + "/registryd.json", "registryd takes flags only"},
      // Whatever is typed as a flag name is repeated only when it looks like one.
      {"'--Zana Gashi=1999'", "a flag is not a flag of registryd"},
      // A value is never repeated: abseil's own complaint repeated it, and --flagfile printed
      // every line of the file it was given (the key file).
      {"--flagfile=" + dir_ + "/keys.json", "--flagfile is not taken by registryd"},
      {"--fromenv=Zana", "--fromenv is not taken by registryd"},
      {"--retire_kek=Zana1999", "--retire_kek takes a whole number"},
      {"--config", "--config needs a value"},
      {"--config=", "--config needs a value"},
      {"--verify_data=Zana", "--verify_data takes no value, or =true or =false"},
  };
  for (const Case& c : cases) {
    const std::string out_path = dir_ + "/usage.txt";
    const std::string cmd =
        absl::StrCat(REGISTRY_BINARY_DIR "/registryd ", c.args, " > ", out_path, " 2>&1");
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc)) << c.args;
    EXPECT_EQ(WEXITSTATUS(rc), 2) << c.args;
    const std::string out = testing::ReadFileOrDie(out_path);
    const std::vector<std::string> lines =
        absl::StrSplit(out, '\n', absl::SkipWhitespace());
    ASSERT_EQ(lines.size(), 1u) << c.args << "\n" << out;
    google::protobuf::Struct line;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &line).ok()) << out;
    EXPECT_EQ(line.fields().at("level").string_value(), "error") << out;
    EXPECT_EQ(line.fields().at("stage").string_value(), "usage") << out;
    EXPECT_NE(line.fields().at("msg").string_value().find(c.says), std::string::npos)
        << c.args << "\n" << out;
    EXPECT_EQ(out.find("Zana"), std::string::npos) << out;
    EXPECT_EQ(out.find("\"key\""), std::string::npos) << out;
  }
  // Every flag of its own, and abseil's help flags, are still taken, in each of their spellings.
  for (const char* help : {"--help", "--helpshort", "-helpfull", "--helpmatch=main"}) {
    const std::string cmd =
        absl::StrCat(REGISTRY_BINARY_DIR "/registryd --noverify_data -check_lock_order ", help,
                     " > ", dir_, "/help.txt 2>&1");
    std::system(cmd.c_str());
    const std::string out = testing::ReadFileOrDie(dir_ + "/help.txt");
    EXPECT_NE(out.find("--config"), std::string::npos) << help << "\n" << out;
    EXPECT_EQ(out.find("is not a flag"), std::string::npos) << help << "\n" << out;
  }
}

// An offline command given a data_dir that holds no database (a typo in the config) says so,
// and makes nothing there: --verify_data made a new, empty database and checked that.
TEST_F(RegistrydProcessTest, AnOfflineCheckOfAFolderWithoutADatabaseSaysSoAndMakesNothing) {
  for (const char* mode : {"--verify_data", "--confirm_clock"}) {
    SCOPED_TRACE(mode);
    const std::string cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd --config ", dir_,
                                         "/registryd.json ", mode, " > ", dir_, "/out.txt 2>&1");
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 1);
    const std::string out = testing::ReadFileOrDie(dir_ + "/out.txt");
    EXPECT_NE(out.find(absl::StrCat("no database in ", dir_, "/data: check data_dir")),
              std::string::npos)
        << out;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/data/CURRENT")) << out;
  }
}

// A data folder a restore left unfinished (its RESTORE-UNFINISHED file, naming the backup and
// the folder moved aside, as a kill after the swap leaves it): the start, --adopt_watermark and
// --check_config say so and how to finish it or give up on it, not --adopt_watermark, and leave
// the file where it is. The start had served such a folder (or, after a real restore, been
// refused for the watermark alone, pointing to the adoption), and a restore run again then
// deleted it with what had been written into it.
TEST_F(RegistrydProcessTest, ADataFolderARestoreLeftUnfinishedIsRefusedSayingHowToFinishIt) {
  ASSERT_NO_FATAL_FAILURE(Spawn());
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  ASSERT_EQ(WaitExit(), 0);
  pid_ = -1;
  const std::string token_file = dir_ + "/data/RESTORE-UNFINISHED";
  std::ofstream(token_file) << std::string(32, 'c') << "\nbackup 7\nbefore data.before-restore-5\n";
  for (const char* mode : {"", "--adopt_watermark", "--confirm_clock"}) {
    SCOPED_TRACE(mode);
    std::string out;
    EXPECT_EQ(RunToEnd(mode, &out), 1) << out;
    EXPECT_NE(out.find("was left unfinished"), std::string::npos) << out;
    EXPECT_NE(out.find("--restore_backup 7"), std::string::npos) << out;
    EXPECT_NE(out.find(absl::StrCat("put ", dir_, "/data.before-restore-5")), std::string::npos)
        << out;
    EXPECT_EQ(out.find("watermark now holds"), std::string::npos) << out;
    EXPECT_TRUE(std::filesystem::exists(token_file));
  }
  const std::string cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd --check_config ", dir_,
                                       "/registryd.json > ", dir_, "/out.txt 2>&1");
  const int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  const std::string out = testing::ReadFileOrDie(dir_ + "/out.txt");
  EXPECT_NE(out.find("problem: data_dir: a restore of backup 7 into"), std::string::npos) << out;
  EXPECT_NE(out.find("--restore_backup 7"), std::string::npos) << out;
}

// A port in use stopped the start with "cannot listen on 127.0.0.1:P" and no reason (gRPC's own
// line, which has one, is withheld), after a new data folder had been created. The reason is
// said, and nothing is created.
TEST_F(RegistrydProcessTest, APortInUseStopsTheStartSayingSoBeforeTheDataFolderIsCreated) {
  const testing::HeldPort held;
  ASSERT_GT(held.port(), 0);
  const std::string address = held.address();
  std::string config = testing::ReadFileOrDie(dir_ + "/registryd.json");
  config.replace(config.find("127.0.0.1:0"), 11, address);
  std::ofstream(dir_ + "/registryd.json", std::ios::trunc) << config;
  std::string out;
  EXPECT_NE(RunToEnd("", &out), 0) << out;
  EXPECT_NE(out.find(absl::StrCat("listen_address: cannot listen on ", address,
                                  ": the port is in use")),
            std::string::npos)
      << out;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/data")) << out;
}

// A data folder registryd cannot use is refused at start naming the setting (RocksDB's
// "While renaming a file to ./data/LOG.old" said neither which setting nor what to do).
TEST_F(RegistrydProcessTest, ADataFolderItCannotUseStopsTheStartNamingTheSetting) {
  std::ofstream(dir_ + "/data") << "a file where the data folder should be";
  std::string out;
  EXPECT_EQ(RunToEnd("", &out), 2) << out;
  EXPECT_NE(out.find("data_dir: " + dir_ + "/data is not a folder"), std::string::npos) << out;
}

// A mode flag's number outside its range is a usage error naming the flag, before anything is
// opened: `--retire_kek -1` was taken for no --retire_kek at all, and the server started.
TEST_F(RegistrydProcessTest, AModeNumberOutOfItsRangeIsAUsageErrorBeforeAnythingIsOpened) {
  struct Case {
    std::string args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"--retire_kek -1", "--retire_kek takes a key-encryption key version: 1 or more"},
      {"--retire_kek=0", "--retire_kek takes a key-encryption key version: 1 or more"},
      {"--restore_backup -2", "--restore_backup takes a backup id: 0 (the newest) or more"},
      {"--restore_backup=-1", "--restore_backup takes a backup id: 0 (the newest) or more"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    // Bounded: a start that is not refused serves until stopped.
    const std::string cmd = absl::StrCat("timeout 30 " REGISTRY_BINARY_DIR "/registryd --config ",
                                         dir_, "/registryd.json ", c.args, " > ", dir_,
                                         "/out.txt 2>&1");
    const int rc = std::system(cmd.c_str());
    const std::string out = testing::ReadFileOrDie(dir_ + "/out.txt");
    ASSERT_TRUE(WIFEXITED(rc)) << out;
    EXPECT_EQ(WEXITSTATUS(rc), 2) << out;
    const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipWhitespace());
    ASSERT_EQ(lines.size(), 1u) << out;
    google::protobuf::Struct line;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines[0], &line).ok()) << out;
    EXPECT_EQ(line.fields().at("stage").string_value(), "usage") << out;
    EXPECT_NE(line.fields().at("msg").string_value().find(c.says), std::string::npos) << out;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/data")) << "the data folder was opened";
  }
}

// --help (and --helpshort, --helpfull) is an answer, not a failure: exit 0, the usage of every
// mode and each of registryd's flags, and no path of the machine it was built on. It exited 1,
// its usage named two modes only, and it said "Flags from work/main/server/main.cc".
TEST_F(RegistrydProcessTest, HelpShowsEveryModeWithoutABuildPathAndExitsZero) {
  for (const char* help : {"--help", "-help", "--helpshort", "--helpfull"}) {
    SCOPED_TRACE(help);
    const std::string cmd = absl::StrCat(REGISTRY_BINARY_DIR "/registryd ", help, " > ", dir_,
                                         "/help.txt 2>&1");
    const int rc = std::system(cmd.c_str());
    const std::string out = testing::ReadFileOrDie(dir_ + "/help.txt");
    ASSERT_TRUE(WIFEXITED(rc)) << out;
    EXPECT_EQ(WEXITSTATUS(rc), 0) << out;
    const std::string usage = out.substr(0, out.find("Flags:"));
    for (const char* mode : {"--config FILE", "--check_config FILE", "--generate_key_file FILE",
                             "--key_file_record FILE", "--export_public_keys DIR",
                             "--verify_data", "--restore_backup ID", "--retire_kek VERSION",
                             "--confirm_clock"}) {
      EXPECT_NE(usage.find(mode), std::string::npos) << mode << "\n" << out;
    }
    for (const char* flag : {"--check_lock_order", "--key_file_record", "--config"}) {
      EXPECT_NE(out.find(absl::StrCat("\n  ", flag, "\n")), std::string::npos)
          << flag << "\n" << out;
    }
    EXPECT_EQ(out.find("Flags from"), std::string::npos) << out;
    EXPECT_EQ(out.find(REGISTRY_SOURCE_DIR), std::string::npos) << out;
    EXPECT_EQ(out.find("main.cc"), std::string::npos) << out;
    // abseil's flags that registryd refuses are not offered.
    EXPECT_EQ(out.find("--flagfile"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace registry::testing
