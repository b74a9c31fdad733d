// KeyRotationState: an unfinished rotation's target and cursor survive in the meta family until
// it is done; nothing is recorded before a start; a target that is not a version number is
// DataLoss rather than a rotation to some other version.
#include "storage/key_rotation_state.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "storage/database.h"
#include "storage/pending_write.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

class KeyRotationStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("registry-key-rotation-state-test");
    DatabaseOptions options;
    options.path = dir_;
    auto db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Commits what `stage` puts into a write, as the rotator does with its audit event.
  template <typename Fn>
  void Commit(Fn stage) {
    PendingWrite w;
    stage(&w);
    ASSERT_TRUE(db_->Write(w.staged()).ok());
  }

  std::optional<KeyRotationState::Progress> Progress() const {
    auto p = KeyRotationState(db_.get()).Get();
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : std::nullopt;
  }

  std::string dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(KeyRotationStateTest, NothingIsRecordedBeforeARotationStarts) {
  EXPECT_EQ(Progress(), std::nullopt);
}

TEST_F(KeyRotationStateTest, TheTargetAndCursorAreKeptUntilTheRotationIsDone) {
  const KeyRotationState state(db_.get());
  Commit([&](PendingWrite* w) { state.StageStart(3, w); });
  ASSERT_TRUE(Progress().has_value());
  EXPECT_EQ(Progress()->target, 3u);
  EXPECT_EQ(Progress()->cursor, "");

  const std::string last(32, 'a');
  Commit([&](PendingWrite* w) { state.StageCursor(last, w); });
  ASSERT_TRUE(Progress().has_value());
  EXPECT_EQ(Progress()->target, 3u);
  EXPECT_EQ(Progress()->cursor, last);

  // Staged but not committed: nothing changes (the write goes with its audit event or not at all).
  {
    PendingWrite dropped;
    state.StageDone(&dropped);
  }
  EXPECT_EQ(Progress()->cursor, last);

  Commit([&](PendingWrite* w) { state.StageDone(w); });
  EXPECT_EQ(Progress(), std::nullopt);
}

TEST_F(KeyRotationStateTest, ANewStartForgetsTheEarlierCursor) {
  const KeyRotationState state(db_.get());
  Commit([&](PendingWrite* w) {
    state.StageStart(2, w);
    state.StageCursor(std::string(32, 'b'), w);
  });
  Commit([&](PendingWrite* w) { state.StageStart(4, w); });
  ASSERT_TRUE(Progress().has_value());
  EXPECT_EQ(Progress()->target, 4u);
  EXPECT_EQ(Progress()->cursor, "");
}

TEST_F(KeyRotationStateTest, ATargetThatIsNotAVersionNumberIsDataLoss) {
  Commit([&](PendingWrite* w) { w->batch()->Put(Cf::kMeta, "rotation/target", "three"); });
  auto p = KeyRotationState(db_.get()).Get();
  EXPECT_TRUE(absl::IsDataLoss(p.status())) << p.status();
}

// When a rotation made a version is kept after the rotation is done (`--retire_kek` bounds the
// backups that need the version by it); a version no rotation recorded has no such time.
TEST_F(KeyRotationStateTest, WhenAVersionCameInIsKeptForGoodAndUnknownWhenNotRecorded) {
  const KeyRotationState state(db_.get());
  const absl::Time at = absl::FromUnixMicros(1'800'000'000'123'456);
  Commit([&](PendingWrite* w) {
    state.StageStart(2, w);
    state.StageCameIn(2, at, w);
  });
  Commit([&](PendingWrite* w) { state.StageDone(w); });
  const absl::StatusOr<std::optional<absl::Time>> two = state.CameIn(2);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(*two, std::optional<absl::Time>(at));
  const absl::StatusOr<std::optional<absl::Time>> one = state.CameIn(1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, std::nullopt);
  Commit([&](PendingWrite* w) { w->batch()->Put(Cf::kMeta, "rotation/came-in/3", "soon"); });
  EXPECT_TRUE(absl::IsDataLoss(state.CameIn(3).status()));
}

}  // namespace
}  // namespace registry::storage
