#include "client/console/sessions.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace registry::console {
namespace {

// A time at which what the tests keep is within its life.
const absl::Time kT = absl::FromUnixSeconds(1800000000);

// Ids are random, so the one that sorts first is not the oldest: what a session forgets first
// is what it was given first, and a job just started is never the one forgotten.
TEST(KeptTest, ForgetsTheOldestNotTheIdThatSortsFirst) {
  Kept<std::shared_ptr<int>> kept;
  // Added in descending order: the newest sorts first.
  for (int i = 0; i < static_cast<int>(kMaxKept) + 5; ++i) {
    kept.Add(absl::StrCat("id-", 999 - i), std::make_shared<int>(i), kT);
    const std::shared_ptr<int>* newest = kept.Find(absl::StrCat("id-", 999 - i), kT);
    ASSERT_NE(newest, nullptr) << "the value just added is gone";
    EXPECT_EQ(**newest, i);
  }
  EXPECT_EQ(kept.size(), kMaxKept);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(kept.Find(absl::StrCat("id-", 999 - i), kT), nullptr) << i;
  for (int i = 5; i < static_cast<int>(kMaxKept) + 5; ++i) {
    EXPECT_NE(kept.Find(absl::StrCat("id-", 999 - i), kT), nullptr) << i;
  }
}

TEST(KeptTest, TakeRemovesOnceAndAnIdAddedTwiceKeepsItsFirstValue) {
  Kept<std::string> kept;
  kept.Add("b", "first", kT);
  kept.Add("b", "second", kT);
  kept.Add("a", "other", kT);
  EXPECT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept.Take("b", kT), std::optional<std::string>("first"));
  EXPECT_EQ(kept.Take("b", kT), std::nullopt);
  EXPECT_EQ(kept.size(), 1u);
  // The taken id no longer counts toward the limit.
  for (size_t i = 0; i + 1 < kMaxKept; ++i) kept.Add(absl::StrCat("n", i), "x", kT);
  EXPECT_NE(kept.Find("a", kT), nullptr);
  kept.Add("last", "x", kT);
  EXPECT_EQ(kept.Find("a", kT), nullptr);
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
  for (int i = 0; i < 6; ++i) kept.Add(absl::StrCat("id-", i), i, kT);
  EXPECT_EQ(kept.RemoveIf([](int value) { return value % 2 == 0; }), 3u);
  EXPECT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.Find("id-0", kT), nullptr);
  ASSERT_NE(kept.Find("id-1", kT), nullptr);
  // The places freed count no more: the oldest kept is still the first forgotten.
  for (size_t i = 0; i + 3 < kMaxKept; ++i) kept.Add(absl::StrCat("new-", i), 100, kT);
  EXPECT_NE(kept.Find("id-1", kT), nullptr);
  kept.Add("one-more", 7, kT);
  EXPECT_EQ(kept.Find("id-1", kT), nullptr);
  EXPECT_NE(kept.Find("id-3", kT), nullptr);
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
    court->court_reads.Add("read", read, now);
    read.record_id = other;
    court->court_reads.Add("other-read", read, now);
    SearchResult found;
    found.found.add_records()->mutable_metadata()->set_record_id(id);
    court->searches.Add("search", found, now);
    SearchResult unrelated;
    unrelated.found.add_records()->mutable_metadata()->set_record_id(other);
    court->searches.Add("other-search", unrelated, now);
  }
  {
    absl::MutexLock lock(&clerk->mu);
    FormAnswer refused;
    refused.form = absl::StrCat("/records/", id, "/expunge");
    clerk->form_answers.Add("expunge", refused, now);
    FormAnswer subject;
    subject.form = "/subject";
    clerk->form_answers.Add("subject", subject, now);
  }
  EXPECT_EQ(store.ForgetRecord(id, /*forms=*/false), 2u);
  {
    absl::MutexLock lock(&clerk->mu);
    EXPECT_NE(clerk->form_answers.Find("expunge", now), nullptr) << "a change keeps the forms";
  }
  EXPECT_EQ(store.ForgetRecord(id, /*forms=*/true), 1u);
  absl::MutexLock court_lock(&court->mu);
  EXPECT_EQ(court->court_reads.Find("read", now), nullptr);
  EXPECT_EQ(court->searches.Find("search", now), nullptr);
  EXPECT_NE(court->court_reads.Find("other-read", now), nullptr);
  EXPECT_NE(court->searches.Find("other-search", now), nullptr);
  absl::MutexLock clerk_lock(&clerk->mu);
  EXPECT_EQ(clerk->form_answers.Find("expunge", now), nullptr);
  EXPECT_NE(clerk->form_answers.Find("subject", now), nullptr);
}

// One rule for every kept value: found for kKeptAnswerLife after it was kept, not after; taken
// past it, it is gone all the same; Expire drops it from memory, not only from the pages.
TEST(KeptTest, AValueIsKeptForItsLifeOnlyAndExpireDropsItFromMemory) {
  Kept<std::shared_ptr<int>> kept;
  auto old_value = std::make_shared<int>(1);
  std::weak_ptr<int> old_alive = old_value;
  kept.Add("old", std::move(old_value), kT);
  kept.Add("new", std::make_shared<int>(2), kT + absl::Minutes(5));
  kept.Add("taken", std::make_shared<int>(3), kT);
  absl::Time kept_at;
  ASSERT_NE(kept.Find("old", kT + kKeptAnswerLife, &kept_at), nullptr);
  EXPECT_EQ(kept_at, kT);
  const absl::Time later = kT + kKeptAnswerLife + absl::Seconds(1);
  EXPECT_EQ(kept.Find("old", later), nullptr);
  EXPECT_NE(kept.Find("new", later), nullptr);
  EXPECT_EQ(kept.Take("taken", later), std::nullopt);
  EXPECT_EQ(kept.size(), 2u) << "a value taken past its life stays in memory";
  EXPECT_FALSE(old_alive.expired());
  EXPECT_EQ(kept.Expire(later), 1u);
  EXPECT_EQ(kept.size(), 1u);
  EXPECT_TRUE(old_alive.expired()) << "a value past its life is still in memory";
}

// A task's outcome lives kKeptAnswerLife from when it finished: not forgotten while it runs,
// however long, nor at once when a long one ends.
TEST(KeptTest, AJobIsKeptWhileItRunsAndForItsLifeAfterItFinished) {
  Kept<std::shared_ptr<Job>> jobs;
  auto job = std::make_shared<Job>(Job::Kind::kImport);
  jobs.Add("job", job, kT);
  const absl::Time done = kT + absl::Hours(1);
  EXPECT_EQ(jobs.Expire(done), 0u);
  ASSERT_NE(jobs.Find("job", done), nullptr) << "a running job was forgotten";
  {
    absl::MutexLock lock(&job->mu);
    job->finished_at = done;
  }
  EXPECT_NE(jobs.Find("job", done + kKeptAnswerLife), nullptr);
  EXPECT_EQ(jobs.Find("job", done + kKeptAnswerLife + absl::Seconds(1)), nullptr);
  EXPECT_EQ(jobs.Expire(done + kKeptAnswerLife + absl::Seconds(1)), 1u);
}

// Everything a session keeps, of every kind (a vetting answer and certificate, a data check's
// result, an auditor's filter, an import file, a task, a search, a court's read, a form, the
// notices of its changes), goes from every session's memory once past its life; what is within
// it stays.
TEST(SessionStoreTest, ForgetExpiredDropsEveryKindOfKeptValueFromEverySessionsMemory) {
  SessionStore store("secret", absl::Hours(8));
  const absl::Time now = kT;
  const absl::Time old = now - kKeptAnswerLife - absl::Seconds(1);
  const absl::Time recent = now - kKeptAnswerLife + absl::Seconds(1);
  std::vector<std::shared_ptr<Session>> sessions = {store.Create(now), store.Create(now)};
  auto upload = std::make_shared<Upload>();
  std::weak_ptr<Upload> upload_alive = upload;
  const auto finished = [](absl::Time at) {
    auto job = std::make_shared<Job>(Job::Kind::kVerify);
    absl::MutexLock lock(&job->mu);
    job->finished_at = at;
    return job;
  };
  const auto sizes = [](Session& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
    return std::vector<size_t>{s.certificates.size(), s.vetting_results.size(),
                               s.data_checks.size(),  s.searches.size(),
                               s.court_reads.size(),  s.audit_filters.size(),
                               s.form_answers.size(), s.uploads.size(),
                               s.jobs.size(),         s.expunged.size(),
                               s.changes_answered.size()};
  };
  for (const std::shared_ptr<Session>& session : sessions) {
    absl::MutexLock lock(&session->mu);
    for (const auto& [id, at] : {std::pair{"old", old}, std::pair{"recent", recent}}) {
      session->certificates.Add(id, {}, at);
      session->vetting_results.Add(id, {}, at);
      session->data_checks.Add(id, {}, at);
      session->searches.Add(id, {}, at);
      session->court_reads.Add(id, {}, at);
      session->audit_filters.Add(id, {{"actor", "CN=someone"}}, at);
      session->form_answers.Add(id, {}, at);
      session->uploads.Add(id, at == old ? upload : std::make_shared<Upload>(), at);
      session->jobs.Add(id, finished(at), at);
      session->expunged.Add(id, {}, at);
      session->changes_answered.Add(id, true, at);
    }
    // Started long ago and still running.
    session->jobs.Add("running", std::make_shared<Job>(Job::Kind::kImport), old);
  }
  upload.reset();
  EXPECT_EQ(store.ForgetExpired(now), 2 * 11u);
  for (const std::shared_ptr<Session>& session : sessions) {
    absl::MutexLock lock(&session->mu);
    std::vector<size_t> expected(11, 1);
    expected[8] = 2;  // the finished job within its life, and the running one
    EXPECT_EQ(sizes(*session), expected);
    EXPECT_NE(session->certificates.Find("recent", now), nullptr);
    EXPECT_NE(session->jobs.Find("running", now), nullptr);
  }
  EXPECT_TRUE(upload_alive.expired()) << "an import file past its life is still in memory";
}

}  // namespace
}  // namespace registry::console
