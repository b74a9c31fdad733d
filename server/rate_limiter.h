// RateLimiter: the vetting organisations' limits, each a token bucket: one per organisation
// (RateLimit.per_minute, burst), and one per organisation and person it checks
// (RateLimit.checks_per_person_per_day), so that no employer can put more than a few questions a
// day about one personal number, whatever its overall rate (docs/security.md, "What REFER itself
// says"). The gate takes as many from the buckets keyed on the candidate's name (its keyed
// tokens, RecordStore::NameLimitTokens: as typed, and as it reads by eye), through the same
// AllowPersonCheck: a fresh number for each try buys no more questions about one name. It also
// counts each organisation's REFER answers, for the gate's alert on an organisation that gets
// many (RateLimit.refers_per_day_alert).
//
//   RateLimiter limiter(&clock);
//   if (!limiter.Allow("school-7", org.rate_limit())) -> RESOURCE_EXHAUSTED
//   ASSIGN_OR_RETURN(bool allowed, limiter.AllowPersonCheck("school-7", token, org.rate_limit(),
//                                                           count_from_check_store));
//   if (!allowed) -> RESOURCE_EXHAUSTED
//   ASSIGN_OR_RETURN(bool alert, limiter.CountRefer("school-7", org.rate_limit(), from_store));
//   if (alert) -> raise the alert
//
// A reloaded policy may change any of these limits while buckets are held. A bucket remembers
// the capacity it was filled under, and one met under another capacity is rebuilt as a restart
// would build it: the new capacity minus what was taken (for the daily buckets, the takes of the
// last 24 hours on record, or what the bucket itself has taken and not yet earned back when that
// is more), so a reload, like a restart, gives no new tries when a limit is lowered and the new
// capacity less the day's takes when it is raised. Capping the tokens left at the new capacity
// would let a lowered limit answer the old day's worth and hold a raised one to the old day's.
// Rebuilding from the record, rather than keeping a deficit in every bucket, keeps one way of
// counting a day for a restart and a reload alike.
#ifndef REGISTRY_SERVER_RATE_LIMITER_H_
#define REGISTRY_SERVER_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "registry/v1/policy.pb.h"

namespace registry::server {

// RateLimit.checks_per_person_per_day when the policy leaves it 0.
inline constexpr uint32_t kDefaultChecksPerPersonPerDay = 5;

// The checks of one person an organisation may make in 24 hours under `limit`.
uint32_t ChecksPerPersonPerDay(const registry::v1::RateLimit& limit);

// RateLimit.checks_per_name_per_day when the policy leaves it 0.
inline constexpr uint32_t kDefaultChecksPerNamePerDay = 20;

// The checks of one name an organisation may make in 24 hours under `limit`.
uint32_t ChecksPerNamePerDay(const registry::v1::RateLimit& limit);

// RateLimit.refers_per_day_alert when the policy leaves it 0.
inline constexpr uint32_t kDefaultRefersPerDayAlert = 20;

// How many REFER answers to an organisation within 24 hours raise the alert under `limit`.
uint32_t RefersPerDayAlert(const registry::v1::RateLimit& limit);

// Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(const Clock* clock) : clock_(clock) {}

  // Takes one token from the organisation's bucket (capacity burst or per_minute, refilled at
  // per_minute per minute). False when the bucket is empty or the limit is zero. A bucket held
  // under another capacity (a reloaded policy) keeps what it had taken and not yet earned back:
  // it holds the new capacity less that.
  bool Allow(absl::string_view organisation, const registry::v1::RateLimit& limit);

  // How many of the organisation's checks of the person took from its bucket at `since` or
  // later, by the durable record (storage::CheckStore::CountLimitTakes).
  using EarlierTakesFn = std::function<absl::StatusOr<uint32_t>(absl::Time since)>;

  // Takes one token from the bucket of `organisation`'s checks of the person whose
  // personal-number token is `person_token` (capacity ChecksPerPersonPerDay(limit), refilled at
  // that many a day). False when it is empty. Buckets left full again are forgotten, so memory
  // follows the checks of the last 24 hours.
  //
  // A bucket this limiter does not hold (the first check in a day, or the first since registryd
  // started) starts from the durable record: `earlier_takes` is asked for the takes of the last
  // 24 hours, N, and the bucket starts with capacity - N tokens (at least none). A token bucket
  // never holds fewer than that (each of the N takes is at most a day old, and a day refills at
  // most the capacity), so a restart never gives an organisation more checks of a person than
  // running on would have; it may give fewer until the bucket refills. `earlier_takes`' error is
  // returned, and nothing is taken.
  //
  // A held bucket of another capacity (a reloaded policy changed the limit) is rebuilt the same
  // way: the new capacity less the takes of the last 24 hours on record, or less what the bucket
  // had taken and not yet earned back when that is more (a check that took and has not yet
  // written its row), then refilled at the new limit a day.
  absl::StatusOr<bool> AllowPersonCheck(absl::string_view organisation,
                                        absl::string_view person_token,
                                        const registry::v1::RateLimit& limit,
                                        const EarlierTakesFn& earlier_takes);

  // Returns the token a check of the person took (AllowPersonCheck) and then did not use: the
  // check was refused for its input before anything about the person was read. Nothing when the
  // bucket is not held (forgotten meanwhile: it was full), nor when it was rebuilt under another
  // capacity than `limit`'s since (its rebuild may not have counted the take); never past its
  // capacity.
  void GiveBackPersonCheck(absl::string_view organisation, absl::string_view person_token,
                           const registry::v1::RateLimit& limit);

  // When the organisation's checks other than the one being counted answered REFER from `since`
  // to `until` (both included), oldest first, by the durable record
  // (storage::CheckStore::RefersBetween).
  using EarlierRefersFn =
      std::function<absl::StatusOr<std::vector<absl::Time>>(absl::Time since, absl::Time until)>;

  // Counts one REFER answer to `organisation`, made now. True for the first answer of the
  // organisation's current period that finds its REFERs at RefersPerDayAlert(limit) or more
  // (more when a reloaded policy lowered the count): a period is the 24 hours from the first
  // REFER after the last period ended, so the alert is raised at most once per period, and again
  // in a later period that reaches the count again.
  //
  // An organisation whose period this limiter does not hold (its first REFER since registryd
  // started) starts from the durable record: its REFERs of the last 24 hours before now, the
  // period from the oldest of them, so that a restart does not start the count again (the alert
  // may then be raised a second time in that period, never missed). `earlier_refers`' error is
  // returned, and nothing is counted.
  absl::StatusOr<bool> CountRefer(absl::string_view organisation,
                                  const registry::v1::RateLimit& limit,
                                  const EarlierRefersFn& earlier_refers);

  // How many organisation-and-person buckets are held (tests).
  size_t PersonBucketsForTest() const;

 private:
  // Tokens are counted in whole units: a token is `period` in nanoseconds, and a limit of N a
  // period earns N units a nanosecond, exactly, so a token is never late by a rounding error
  // however time is sliced.
  struct Bucket {
    absl::int128 units = 0;
    absl::Time last;
    // The limit the bucket is filled under: `capacity` tokens, refilled at `rate` a period.
    uint32_t capacity = 0;
    uint32_t rate = 0;
  };
  // Refills `b` up to `capacity` tokens at `rate` tokens a `period`, then takes one if it can.
  static bool Take(Bucket& b, absl::Time now, absl::Duration period, uint32_t rate,
                   uint32_t capacity);
  // Rebuilds `b`, held under another limit, for `capacity` tokens refilled at `rate`: refilled
  // to `now` under the limit it was filled under, it then holds `capacity` less what it had taken
  // and not earned back, or less `taken_on_record` whole tokens when that is more (at least
  // none).
  static void Rebuild(Bucket& b, absl::Time now, absl::Duration period, uint32_t rate,
                      uint32_t capacity, uint32_t taken_on_record);
  // Counts one REFER of an organisation whose period is held.
  bool CountHeldRefer(absl::string_view organisation, const registry::v1::RateLimit& limit,
                      absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets the person buckets that are full again (untouched for a day).
  void SweepPersonBuckets(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_ ABSL_GUARDED_BY(mu_);
  // Keyed by organisation, a zero byte, and the person's token (a keyed hash, never the number).
  // Hashed, not ordered: a check looks up one or more of these among all the people checked in
  // the last day, and nothing reads them in order.
  absl::flat_hash_map<std::string, Bucket> person_buckets_ ABSL_GUARDED_BY(mu_);
  size_t next_sweep_ ABSL_GUARDED_BY(mu_) = 1024;
  // Each organisation's REFER answers in its current period (one entry per organisation that
  // had one: the policy's organisations bound them).
  struct ReferPeriod {
    absl::Time start;
    uint32_t refers = 0;
    bool alerted = false;
  };
  std::map<std::string, ReferPeriod, std::less<>> refers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_RATE_LIMITER_H_
