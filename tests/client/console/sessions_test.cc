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

TEST(KeptTest, RemoveIfForgetsTheMatchingValuesAndFreesTheirPlaces) {
  Kept<int> kept;
  for (int i = 0; i < 6; ++i) kept.Add(absl::StrCat("id-", i), i);
  EXPECT_EQ(kept.RemoveIf([](int value) { return value % 2 == 0; }), 3u);
  EXPECT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.Find("id-0"), nullptr);
  ASSERT_NE(kept.Find("id-1"), nullptr);
  // The places freed count no more: the oldest kept is still the first forgotten.
  for (size_t i = 0; i + 3 < kMaxKept; ++i) kept.Add(absl::StrCat("new-", i), 100);
  EXPECT_NE(kept.Find("id-1"), nullptr);
  kept.Add("one-more", 7);
  EXPECT_EQ(kept.Find("id-1"), nullptr);
  EXPECT_NE(kept.Find("id-3"), nullptr);
}

// An expunging through the console forgets, in every session, what names the record: a court's
// read of it, a search's results that list it, a form of its pages (a refused expunge form, which
// shows the person). A change of it forgets the reads and results only; what names another
// record stays.
TEST(SessionStoreTest, ForgetRecordForgetsInEverySessionWhatNamesTheRecord) {
  const std::string id(32, 'a');
  const std::string other(32, 'b');
  SessionStore store("secret", absl::Hours(1));
  const absl::Time now = absl::Now();
  std::shared_ptr<Session> court = store.Create(now);
  std::shared_ptr<Session> clerk = store.Create(now);
  {
    absl::MutexLock lock(&court->mu);
    CourtRead read;
    read.record_id = id;
    court->court_reads.Add("read", read);
    read.record_id = other;
    court->court_reads.Add("other-read", read);
    SearchResult found;
    found.found.add_records()->mutable_metadata()->set_record_id(id);
    court->searches.Add("search", found);
    SearchResult unrelated;
    unrelated.found.add_records()->mutable_metadata()->set_record_id(other);
    court->searches.Add("other-search", unrelated);
  }
  {
    absl::MutexLock lock(&clerk->mu);
    FormAnswer refused;
    refused.form = absl::StrCat("/records/", id, "/expunge");
    clerk->form_answers.Add("expunge", refused);
    FormAnswer subject;
    subject.form = "/subject";
    clerk->form_answers.Add("subject", subject);
  }
  EXPECT_EQ(store.ForgetRecord(id, /*forms=*/false), 2u);
  {
    absl::MutexLock lock(&clerk->mu);
    EXPECT_NE(clerk->form_answers.Find("expunge"), nullptr) << "a change keeps the forms";
  }
  EXPECT_EQ(store.ForgetRecord(id, /*forms=*/true), 1u);
  absl::MutexLock court_lock(&court->mu);
  EXPECT_EQ(court->court_reads.Find("read"), nullptr);
  EXPECT_EQ(court->searches.Find("search"), nullptr);
  EXPECT_NE(court->court_reads.Find("other-read"), nullptr);
  EXPECT_NE(court->searches.Find("other-search"), nullptr);
  absl::MutexLock clerk_lock(&clerk->mu);
  EXPECT_EQ(clerk->form_answers.Find("expunge"), nullptr);
  EXPECT_NE(clerk->form_answers.Find("subject"), nullptr);
}

TEST(SessionStoreTest, ForgetKeptBeforeForgetsWhatWasKeptTooLongAgoInEverySession) {
  SessionStore store("secret", absl::Hours(1));
  const absl::Time now = absl::Now();
  std::shared_ptr<Session> session = store.Create(now);
  {
    absl::MutexLock lock(&session->mu);
    CourtRead read;
    read.kept_at = now - kKeptAnswerLife - absl::Seconds(1);
    session->court_reads.Add("old", read);
    read.kept_at = now - kKeptAnswerLife + absl::Seconds(1);
    session->court_reads.Add("new", read);
    SearchResult found;
    found.kept_at = now - absl::Hours(2);
    session->searches.Add("old", found);
    FormAnswer answer;
    answer.kept_at = now - absl::Hours(2);
    session->form_answers.Add("old", answer);
  }
  store.ForgetKeptBefore(now - kKeptAnswerLife);
  absl::MutexLock lock(&session->mu);
  EXPECT_EQ(session->court_reads.Find("old"), nullptr);
  EXPECT_NE(session->court_reads.Find("new"), nullptr);
  EXPECT_EQ(session->searches.Find("old"), nullptr);
  EXPECT_EQ(session->form_answers.Find("old"), nullptr);
}

}  // namespace
}  // namespace registry::console
