// A registry's write-ahead log is its own: every write carries a seal under a key from the key
// file (storage/database.h, DatabaseOptions::wal_seal_key), and every way of opening a data
// folder with the key file checks it. Another registry's log dropped into the folder (its
// writes had been replayed and served, the audit log damaged) is refused by
// `registryd --check_config`, the start and the offline modes; the registry's own log, as a
// kill -9 leaves it, is replayed by each. Writes made by one path are checked by the others, so
// a path that forgot the key fails one of these tests.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/clock.h"
#include "registry/v1/config.pb.h"
#include "registry/v1/keyfile.pb.h"
#include "server/check_config.h"
#include "server/config.h"
#include "server/key_file.h"
#include "server/registry_server.h"
#include "tests/testing/data_files.h"
#include "tests/testing/installation.h"
#include "tests/testing/log_lines.h"
#include "tests/testing/test_pki.h"

namespace registry::server {
namespace {

using ::testing::HasSubstr;

std::string NewestLog(const std::string& dir) { return testing::NewestWriteAheadLog(dir); }

// A complete installation in a temporary folder, from the test PKI, with its own key file.
class Installation {
 public:
  Installation() {
    dir_ = testing::MakeTempDir("foreign-wal");
    testing::WriteInstallationFiles(dir_);
    Put("registryd.json", testing::InstallationConfig("127.0.0.1:0", ""));
  }
  ~Installation() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  const std::string& dir() const { return dir_; }
  std::string config_file() const { return dir_ + "/registryd.json"; }
  std::string data() const { return dir_ + "/data"; }

  registry::v1::ServerConfig Config() const {
    absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(config_file());
    EXPECT_TRUE(config.ok()) << config.status();
    return config.ok() ? *config : registry::v1::ServerConfig();
  }

  // The stored data as start-up opens it (made when absent), with `events` more audit events
  // and the audit watermark following the log. With a `crash_copy`, the data folder is copied
  // there while the database is still open, as a kill -9 leaves it: its write-ahead log holds
  // those events. The database is then closed cleanly.
  void AddEvents(int events, const std::string& crash_copy = "") {
    absl::StatusOr<StorageStack> st = OpenStorage(Config(), SystemClock::Get());
    ASSERT_TRUE(st.ok()) << st.status();
    for (int i = 0; i < events; ++i) {
      registry::v1::AuditEvent e;
      e.set_actor("system:test");
      e.set_action("test");
      ASSERT_TRUE(st->audit->Append(e, nullptr).ok());
    }
    ASSERT_TRUE(st->watermark->Advance(*st->audit).ok());
    if (!crash_copy.empty()) {
      std::filesystem::copy(data(), crash_copy, std::filesystem::copy_options::recursive);
    }
  }

  std::vector<std::string> Check() const {
    return CheckConfig(config_file(), absl::Now(), ::geteuid());
  }

  // registryd with `args` (bounded: a start that is not refused serves until stopped); its
  // exit code, and its stderr and stdout in *out.
  int Run(const std::string& args, std::string* out) const {
    const std::string file = dir_ + "/out.txt";
    const std::string cmd = absl::StrCat("timeout 60 " REGISTRY_BINARY_DIR "/registryd ", args,
                                         " > ", file, " 2>&1");
    const int rc = std::system(cmd.c_str());
    *out = testing::ReadFileOrDie(file);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }

 private:
  void Put(const std::string& name, const std::string& content) {
    std::ofstream(dir_ + "/" + name, std::ios::trunc) << content;
    ::chmod((dir_ + "/" + name).c_str(), 0644);
  }

  std::string dir_;
};

// The steps: registry B killed with writes in its log, registry A stopped cleanly,
// B's log copied over A's current (empty) one.
TEST(ForeignWalTest, AnotherRegistrysLogIsRefusedByTheCheckTheStartAndTheOfflineModes) {
  Installation a, b;
  ASSERT_NO_FATAL_FAILURE(a.AddEvents(3));
  const std::string b_crashed = b.dir() + "/data-crashed";
  ASSERT_NO_FATAL_FAILURE(b.AddEvents(3, b_crashed));
  ASSERT_THAT(a.Check(), ::testing::IsEmpty());
  const std::string a_log = NewestLog(a.data());
  ASSERT_FALSE(a_log.empty());
  ASSERT_GT(std::filesystem::file_size(NewestLog(b_crashed)), 0u);
  std::filesystem::copy_file(NewestLog(b_crashed), a_log,
                             std::filesystem::copy_options::overwrite_existing);

  const std::string refused = "holds writes this registry did not make";
  EXPECT_THAT(a.Check(), ::testing::ElementsAre(HasSubstr(absl::StrCat(
                             "data_dir: the database in ", a.data(), " is not opened"))));
  EXPECT_THAT(a.Check(), ::testing::ElementsAre(HasSubstr(refused)));
  std::string out;
  EXPECT_EQ(a.Run(absl::StrCat("--check_config ", a.config_file()), &out), 2) << out;
  EXPECT_THAT(out, HasSubstr(refused));
  // Damage is no configuration error: the start exits 1, and serves nothing.
  EXPECT_EQ(a.Run(absl::StrCat("--config ", a.config_file()), &out), 1) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr(refused));
  EXPECT_NE(a.Run(absl::StrCat("--config ", a.config_file(), " --verify_data"), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(refused));
  // Every offline mode opens the data as this does.
  absl::StatusOr<StorageStack> offline =
      OpenStorage(a.Config(), SystemClock::Get(), {}, /*existing_only=*/true);
  EXPECT_EQ(offline.status().code(), absl::StatusCode::kDataLoss) << offline.status();
  EXPECT_THAT(std::string(offline.status().message()), HasSubstr(refused));
  EXPECT_GT(std::filesystem::file_size(a_log), 0u) << "the evidence is kept";
}

// Every file under `dir` with its size and a hash of its bytes, for comparing.
std::map<std::string, std::string> FilesOf(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const std::string& path : testing::FilesUnder(dir)) {
    const std::string bytes = testing::ReadBinary(path);
    files[path] = absl::StrCat(bytes.size(), " bytes, hash ", std::hash<std::string>{}(bytes));
  }
  return files;
}

// The start refused another registry's log only on its writable open, which had already written
// into the folder (LOG rotated, a new one written), the folder whose evidence the refusal says to
// keep. The read-only look before it, which meets the same log, now refuses it in the same words,
// and every file of the folder is left as it was; --confirm_clock too.
TEST(ForeignWalTest, AStartRefusedForAnotherRegistrysLogWritesNothingThere) {
  Installation a, b;
  ASSERT_NO_FATAL_FAILURE(a.AddEvents(3));
  const std::string b_crashed = b.dir() + "/data-crashed";
  ASSERT_NO_FATAL_FAILURE(b.AddEvents(3, b_crashed));
  std::filesystem::copy_file(NewestLog(b_crashed), NewestLog(a.data()),
                             std::filesystem::copy_options::overwrite_existing);
  const std::map<std::string, std::string> before = FilesOf(a.data());
  ASSERT_FALSE(before.empty());

  const std::string refused = "holds writes this registry did not make";
  const absl::Status looked = RefuseBeforeWriting(a.Config(), SystemClock::Get());
  EXPECT_EQ(looked.code(), absl::StatusCode::kDataLoss) << looked;
  EXPECT_THAT(std::string(looked.message()), HasSubstr(refused));
  std::string out;
  EXPECT_EQ(a.Run(absl::StrCat("--config ", a.config_file()), &out), 1) << out;
  EXPECT_THAT(testing::OneErrorLogLine(out).fields().at("msg").string_value(),
              HasSubstr(refused));
  EXPECT_EQ(FilesOf(a.data()), before);
  absl::Time trusted_before;
  const absl::Status confirmed = ConfirmClock(a.Config(), SystemClock::Get(), &trusted_before);
  EXPECT_EQ(confirmed.code(), absl::StatusCode::kDataLoss) << confirmed;
  EXPECT_EQ(confirmed.message(), looked.message());
  EXPECT_EQ(FilesOf(a.data()), before);
}

// The registry's own log as a kill -9 leaves it, written by the start's open: the check and the
// offline modes replay it, each under the same key (the start: CrashCyclesTest).
TEST(ForeignWalTest, ItsOwnLogAsAKillLeavesItIsReplayedByTheCheckAndTheOfflineModes) {
  Installation a;
  const std::string crashed = a.dir() + "/data-crashed";
  ASSERT_NO_FATAL_FAILURE(a.AddEvents(3, crashed));
  ASSERT_GT(std::filesystem::file_size(NewestLog(crashed)), 0u);
  std::filesystem::remove_all(a.data());
  std::filesystem::rename(crashed, a.data());

  EXPECT_THAT(a.Check(), ::testing::IsEmpty());
  std::string out;
  EXPECT_EQ(a.Run(absl::StrCat("--config ", a.config_file(), " --verify_data"), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("consistent"));
  absl::StatusOr<StorageStack> offline =
      OpenStorage(a.Config(), SystemClock::Get(), {}, /*existing_only=*/true);
  ASSERT_TRUE(offline.ok()) << offline.status();
  EXPECT_GE(offline->audit->CurrentHead().size, 3u);
}

}  // namespace
}  // namespace registry::server
