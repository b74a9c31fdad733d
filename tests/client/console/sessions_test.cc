#include "client/console/sessions.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace registry::console {
namespace {

// Ids are random, so the one that sorts first is not the oldest: what a session forgets first
// is what it was given first, and a job just started is never the one forgotten.
TEST(KeptTest, ForgetsTheOldestNotTheIdThatSortsFirst) {
  Kept<std::shared_ptr<int>> kept;
  // Added in descending order: the newest sorts first.
  for (int i = 0; i < static_cast<int>(kMaxKept) + 5; ++i) {
    kept.Add(absl::StrCat("id-", 999 - i), std::make_shared<int>(i));
    const std::shared_ptr<int>* newest = kept.Find(absl::StrCat("id-", 999 - i));
    ASSERT_NE(newest, nullptr) << "the value just added is gone";
    EXPECT_EQ(**newest, i);
  }
  EXPECT_EQ(kept.size(), kMaxKept);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(kept.Find(absl::StrCat("id-", 999 - i)), nullptr) << i;
  for (int i = 5; i < static_cast<int>(kMaxKept) + 5; ++i) {
    EXPECT_NE(kept.Find(absl::StrCat("id-", 999 - i)), nullptr) << i;
  }
}

TEST(KeptTest, TakeRemovesOnceAndAnIdAddedTwiceKeepsItsFirstValue) {
  Kept<std::string> kept;
  kept.Add("b", "first");
  kept.Add("b", "second");
  kept.Add("a", "other");
  EXPECT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept.Take("b"), std::optional<std::string>("first"));
  EXPECT_EQ(kept.Take("b"), std::nullopt);
  EXPECT_EQ(kept.size(), 1u);
  // The taken id no longer counts toward the limit.
  for (size_t i = 0; i + 1 < kMaxKept; ++i) kept.Add(absl::StrCat("n", i), "x");
  EXPECT_NE(kept.Find("a"), nullptr);
  kept.Add("last", "x");
  EXPECT_EQ(kept.Find("a"), nullptr);
}

// Signing out ends the one session at once; the others go on.
TEST(SessionStoreTest, EndRemovesTheOneSessionAtOnce) {
  SessionStore store(RandomHex(32), absl::Hours(8));
  const absl::Time now = absl::Now();
  std::shared_ptr<Session> mine = store.Create(now);
  std::shared_ptr<Session> other = store.Create(now);
  EXPECT_FALSE(store.End(std::string(64, '0')));
  EXPECT_FALSE(store.End(""));
  EXPECT_TRUE(store.End(mine->id));
  EXPECT_EQ(store.Find(mine->id, now), nullptr);
  EXPECT_FALSE(store.End(mine->id)) << "ended once";
  EXPECT_EQ(store.Find(other->id, now), other);
}

// A session that ends (signed out, idle too long, the least recently used of too many) is
// remembered by its id and token, to say why a request naming them is refused; a live session's
// own token is not "another session's", and a token never given is neither.
TEST(SessionStoreTest, AnEndedSessionsIdAndTokenAreKnownAsEndedAndOpenNothing) {
  SessionStore store(RandomHex(32), absl::Hours(8));
  const absl::Time now = absl::Now();
  std::shared_ptr<Session> signed_out = store.Create(now);
  std::shared_ptr<Session> idle = store.Create(now);
  std::shared_ptr<Session> current = store.Create(now + absl::Hours(7));
  std::shared_ptr<Session> replaced = store.Create(now + absl::Hours(7));
  EXPECT_FALSE(store.Ended(signed_out->id));
  EXPECT_TRUE(store.End(signed_out->id));
  EXPECT_EQ(store.Find(idle->id, now + absl::Hours(9)), nullptr);
  for (const auto& ended : {signed_out, idle}) {
    EXPECT_TRUE(store.Ended(ended->id));
    EXPECT_TRUE(store.TokenOfAnotherSession(ended->csrf, *current));
    EXPECT_EQ(store.Find(ended->id, now + absl::Hours(9)), nullptr) << "an ended session opens";
  }
  EXPECT_FALSE(store.Ended(current->id));
  EXPECT_TRUE(store.TokenOfAnotherSession(replaced->csrf, *current)) << "live, of another";
  EXPECT_FALSE(store.TokenOfAnotherSession(current->csrf, *current));
  EXPECT_FALSE(store.TokenOfAnotherSession(std::string(64, 'f'), *current));
  EXPECT_FALSE(store.TokenOfAnotherSession("", *current));
  EXPECT_FALSE(store.Ended(""));
  EXPECT_FALSE(store.Ended(std::string(64, '0')));
  // The least recently used, ended to make room, too.
  std::shared_ptr<Session> oldest = store.Create(now + absl::Hours(7));
  for (size_t i = 0; i < SessionStore::kMaxSessions; ++i) store.Create(now + absl::Hours(8));
  EXPECT_TRUE(store.Ended(oldest->id));
  // Only the newest kMaxEnded are kept.
  for (size_t i = 0; i < SessionStore::kMaxEnded; ++i) {
    store.End(store.Create(now + absl::Hours(8))->id);
  }
  EXPECT_FALSE(store.Ended(signed_out->id));
}

// The browser's history keeps the start address: a secret good until the console stopped opened
// a new session for whoever found it there. Its first use spends it, and a new one takes its
// place.
TEST(SessionStoreTest, AStartSecretIsSpentByItsFirstUse) {
  const std::string first = RandomHex(32);
  SessionStore store(first, absl::Hours(8));
  EXPECT_FALSE(store.SpendSecret(""));
  EXPECT_FALSE(store.SpendSecret(std::string(64, '0')));
  EXPECT_EQ(store.start_secret(), first) << "a wrong secret spends nothing";
  EXPECT_TRUE(store.SpendSecret(first));
  EXPECT_FALSE(store.SpendSecret(first)) << "spent";
  const std::string next = store.start_secret();
  EXPECT_NE(next, first);
  EXPECT_EQ(next.size(), first.size());
  EXPECT_TRUE(store.SpendSecret(next));
}

}  // namespace
}  // namespace registry::console
