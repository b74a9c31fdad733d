// AuditWatermark: the mark follows the log forward only, a log behind it or another log is
// DATA_LOSS, the file is authenticated, and a restore moves it back on purpose.
#include "storage/audit_watermark.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

using ::testing::HasSubstr;

crypto::SecretBytes LogKey() { return crypto::SecretBytes(std::string(32, '\x5a')); }
crypto::SecretBytes MarkKey() { return crypto::SecretBytes(std::string(32, '\x3c')); }

// A database with an audit log of its own in folder `name`.
struct Log {
  std::unique_ptr<Database> db;
  std::unique_ptr<AuditLog> log;
};

class AuditWatermarkTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = registry::testing::MakeTempDir("audit-watermark-test"); }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  Log OpenLog(const std::string& name) {
    Log l;
    DatabaseOptions options;
    options.path = absl::StrCat(dir_, "/", name);
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    EXPECT_TRUE(db.ok()) << db.status();
    if (!db.ok()) return l;
    l.db = *std::move(db);
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(l.db.get(), &clock_, LogKey());
    EXPECT_TRUE(log.ok()) << log.status();
    if (log.ok()) l.log = *std::move(log);
    return l;
  }

  static void Append(AuditLog* log, int events) {
    for (int i = 0; i < events; ++i) {
      registry::v1::AuditEvent event;
      event.set_action(absl::StrCat("/test/", i));
      ASSERT_TRUE(log->Append(std::move(event), nullptr).ok());
    }
  }

  std::unique_ptr<AuditWatermark> OpenMark(const crypto::SecretBytes& key = MarkKey()) {
    absl::StatusOr<std::unique_ptr<AuditWatermark>> mark =
        AuditWatermark::Open(path(), key, &clock_);
    EXPECT_TRUE(mark.ok()) << mark.status();
    return mark.ok() ? *std::move(mark) : nullptr;
  }

  std::string path() const { return dir_ + "/audit.watermark"; }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string dir_;
};

// Without a file, an empty log (a new database) passes; one that holds events is refused (an
// earlier copy put back with the mark removed looks so) until the mark is written.
TEST_F(AuditWatermarkTest, WithoutAFileOnlyAnEmptyLogPassesAndAdvanceWritesTheHead) {
  Log l = OpenLog("data");
  std::unique_ptr<AuditWatermark> mark = OpenMark();
  ASSERT_NE(mark, nullptr);
  EXPECT_FALSE(mark->mark().has_value());
  EXPECT_TRUE(mark->Check(*l.log).ok());
  Append(l.log.get(), 3);
  const absl::Status refused = mark->Check(*l.log);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("is missing"));
  ASSERT_TRUE(mark->Advance(*l.log).ok());
  EXPECT_TRUE(std::filesystem::exists(path()));
  EXPECT_EQ(std::filesystem::status(path()).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // Read again, as the next start reads it.
  std::unique_ptr<AuditWatermark> again = OpenMark();
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->mark().has_value());
  EXPECT_EQ(again->mark()->size, 3u);
  EXPECT_EQ(again->mark()->root, l.log->CurrentHead().root);
  EXPECT_EQ(again->mark()->written_at, clock_.Now());
  EXPECT_TRUE(again->Check(*l.log).ok());
}

TEST_F(AuditWatermarkTest, ALogBehindTheMarkIsDataLossAndTheMarkDoesNotMoveBack) {
  Log l = OpenLog("data");
  Append(l.log.get(), 2);
  l.log.reset();
  l.db.reset();
  // The copy someone keeps of the folder, two events in.
  std::filesystem::copy(dir_ + "/data", dir_ + "/older", std::filesystem::copy_options::recursive);
  l = OpenLog("data");
  Append(l.log.get(), 3);
  std::unique_ptr<AuditWatermark> mark = OpenMark();
  ASSERT_TRUE(mark->Advance(*l.log).ok());

  Log older = OpenLog("older");
  const absl::Status behind = OpenMark()->Check(*older.log);
  EXPECT_EQ(behind.code(), absl::StatusCode::kDataLoss) << behind;
  EXPECT_THAT(std::string(behind.message()),
              HasSubstr("the audit log holds 2 events, fewer than the 5 it held at"));
  EXPECT_THAT(std::string(behind.message()), HasSubstr(path()));
  // Advance never moves it back; only a restore's Reset does, and says what it replaced.
  EXPECT_EQ(mark->Advance(*older.log).code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<std::optional<AuditWatermark::Mark>> replaced = mark->Reset(*older.log);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  ASSERT_TRUE(replaced->has_value());
  EXPECT_EQ((*replaced)->size, 5u);
  EXPECT_TRUE(OpenMark()->Check(*older.log).ok());
  EXPECT_EQ(OpenMark()->mark()->size, 2u);
}

TEST_F(AuditWatermarkTest, AnotherLogOfAsManyEventsOrMoreIsDataLoss) {
  Log mine = OpenLog("data");
  Append(mine.log.get(), 4);
  ASSERT_TRUE(OpenMark()->Advance(*mine.log).ok());
  for (int events : {4, 6}) {
    SCOPED_TRACE(events);
    Log other = OpenLog(absl::StrCat("other-", events));
    // Other events, so another tree.
    for (int i = 0; i < events; ++i) {
      registry::v1::AuditEvent event;
      event.set_action(absl::StrCat("/other/", i));
      ASSERT_TRUE(other.log->Append(std::move(event), nullptr).ok());
    }
    const absl::Status replaced = OpenMark()->Check(*other.log);
    EXPECT_EQ(replaced.code(), absl::StatusCode::kDataLoss) << replaced;
    EXPECT_THAT(std::string(replaced.message()),
                HasSubstr("the audit log's first 4 events are not those it held"));
  }
  // The log itself, grown on, still passes.
  Append(mine.log.get(), 2);
  EXPECT_TRUE(OpenMark()->Check(*mine.log).ok());
}

TEST_F(AuditWatermarkTest, AnEditedOrForeignMarkIsDataLoss) {
  Log l = OpenLog("data");
  Append(l.log.get(), 3);
  ASSERT_TRUE(OpenMark()->Advance(*l.log).ok());
  std::string line;
  {
    std::ifstream in(path());
    std::getline(in, line);
  }
  // The size lowered to what a put-back copy holds, the MAC left as it was.
  std::ofstream(path(), std::ios::trunc) << "1" << line.substr(line.find(' ')) << "\n";
  absl::StatusOr<std::unique_ptr<AuditWatermark>> edited =
      AuditWatermark::Open(path(), MarkKey(), &clock_);
  EXPECT_EQ(edited.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(edited.status().message()), HasSubstr("fails authentication"));
  // The original line under another installation's key.
  std::ofstream(path(), std::ios::trunc) << line << "\n";
  EXPECT_TRUE(AuditWatermark::Open(path(), MarkKey(), &clock_).ok());
  EXPECT_EQ(AuditWatermark::Open(path(), LogKey(), &clock_).status().code(),
            absl::StatusCode::kDataLoss);
  for (const std::string& bad : {std::string(""), line, std::string("x y z w\n")}) {
    std::ofstream(path(), std::ios::trunc) << bad;  // no newline, or malformed
    EXPECT_EQ(AuditWatermark::Open(path(), MarkKey(), &clock_).status().code(),
              absl::StatusCode::kDataLoss)
        << bad;
  }
}

// A watermark that cannot be read was said as "audit watermark PATH: malformed", at start, at
// --check_config and at --adopt_watermark alike: a dead end. It says what the file is, that it is
// not to be edited, and the way out: its copy put back, or, the data folder known to be the
// current one, the file moved aside and the log adopted (an audited step; the adoption itself
// still refuses a mark it cannot read, which may have been ahead of the log).
TEST_F(AuditWatermarkTest, AWatermarkThatCannotBeReadSaysWhatItIsAndTheWayOut) {
  for (const std::string& bad : {std::string("x y z w\n"), std::string("no newline")}) {
    std::ofstream(path(), std::ios::trunc) << bad;
    const absl::Status opened = AuditWatermark::Open(path(), MarkKey(), &clock_).status();
    EXPECT_EQ(opened.code(), absl::StatusCode::kDataLoss) << bad;
    const std::string message(opened.message());
    EXPECT_THAT(message, HasSubstr(absl::StrCat("audit watermark ", path(), ": ")));
    EXPECT_THAT(message, HasSubstr("records how far the audit log had grown"));
    EXPECT_THAT(message, HasSubstr("must not be edited"));
    EXPECT_THAT(message, HasSubstr("Put back its copy from where the key file is kept"));
    EXPECT_THAT(message, HasSubstr(absl::StrCat("move ", path(), " aside")));
    EXPECT_THAT(message, HasSubstr("--adopt_watermark"));
  }
}

}  // namespace
}  // namespace registry::storage
