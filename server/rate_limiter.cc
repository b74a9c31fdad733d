#include "server/rate_limiter.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace registry::server {

uint32_t ChecksPerPersonPerDay(const registry::v1::RateLimit& limit) {
  return limit.checks_per_person_per_day() != 0 ? limit.checks_per_person_per_day()
                                                : kDefaultChecksPerPersonPerDay;
}

uint32_t ChecksPerNamePerDay(const registry::v1::RateLimit& limit) {
  return limit.checks_per_name_per_day() != 0 ? limit.checks_per_name_per_day()
                                              : kDefaultChecksPerNamePerDay;
}

uint32_t RefersPerDayAlert(const registry::v1::RateLimit& limit) {
  return limit.refers_per_day_alert() != 0 ? limit.refers_per_day_alert()
                                           : kDefaultRefersPerDayAlert;
}

bool RateLimiter::Take(Bucket& b, absl::Time now, absl::Duration period, uint32_t rate,
                       uint32_t capacity) {
  const absl::int128 token = absl::ToInt64Nanoseconds(period);
  // Clock steps back earn nothing; a long idle earns at most a full bucket.
  const int64_t elapsed_ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(now - b.last));
  b.units = std::min(token * capacity, b.units + absl::int128(elapsed_ns) * rate);
  b.last = now;
  if (b.units < token) return false;
  b.units -= token;
  return true;
}

void RateLimiter::Rebuild(Bucket& b, absl::Time now, absl::Duration period, uint32_t rate,
                          uint32_t capacity, uint32_t taken_on_record) {
  const absl::int128 token = absl::ToInt64Nanoseconds(period);
  // What the bucket has earned back by now counts under the limit it was taken under.
  const int64_t elapsed_ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(now - b.last));
  const absl::int128 held_full = token * b.capacity;
  const absl::int128 held = std::min(held_full, b.units + absl::int128(elapsed_ns) * b.rate);
  const absl::int128 taken = std::max(held_full - held, token * taken_on_record);
  b.units = std::max(absl::int128(0), token * capacity - taken);
  b.last = now;
  b.capacity = capacity;
  b.rate = rate;
}

bool RateLimiter::Allow(absl::string_view organisation, const registry::v1::RateLimit& limit) {
  if (limit.per_minute() == 0) return false;
  const uint32_t capacity = limit.burst() != 0 ? limit.burst() : limit.per_minute();
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(organisation);
  if (it == buckets_.end()) {
    // A new organisation starts with a full bucket.
    Bucket full{absl::int128(absl::ToInt64Nanoseconds(absl::Minutes(1))) * capacity, now,
                capacity, limit.per_minute()};
    it = buckets_.emplace(std::string(organisation), full).first;
  } else if (it->second.capacity != capacity || it->second.rate != limit.per_minute()) {
    // A reloaded policy: no durable record, as at a restart; what was taken still counts.
    Rebuild(it->second, now, absl::Minutes(1), limit.per_minute(), capacity, 0);
  }
  return Take(it->second, now, absl::Minutes(1), limit.per_minute(), capacity);
}

absl::StatusOr<bool> RateLimiter::AllowPersonCheck(absl::string_view organisation,
                                                   absl::string_view person_token,
                                                   const registry::v1::RateLimit& limit,
                                                   const EarlierTakesFn& earlier_takes) {
  const uint32_t per_day = ChecksPerPersonPerDay(limit);
  const absl::Time now = clock_->Now();
  std::string key = absl::StrCat(organisation, absl::string_view("\0", 1), person_token);
  {
    absl::MutexLock lock(&mu_);
    auto it = person_buckets_.find(key);
    if (it != person_buckets_.end() && it->second.capacity == per_day) {
      return Take(it->second, now, absl::Hours(24), per_day, per_day);
    }
  }
  // Read the durable record without the lock (it reads the database). A call that created the
  // bucket meanwhile had read the same record, and its bucket (with its take) is kept; so is one
  // it rebuilt for the same limit.
  const absl::StatusOr<uint32_t> earlier = earlier_takes(now - absl::Hours(24));
  if (!earlier.ok()) return earlier.status();
  absl::MutexLock lock(&mu_);
  auto it = person_buckets_.find(key);
  if (it == person_buckets_.end()) {
    if (person_buckets_.size() >= next_sweep_) SweepPersonBuckets(now);
    const uint32_t left = per_day - std::min(per_day, *earlier);
    Bucket start{absl::int128(absl::ToInt64Nanoseconds(absl::Hours(24))) * left, now, per_day,
                 per_day};
    it = person_buckets_.emplace(std::move(key), start).first;
  } else if (it->second.capacity != per_day) {
    // Held under the limit of an earlier policy: counted again as a restart counts it.
    Rebuild(it->second, now, absl::Hours(24), per_day, per_day, *earlier);
  }
  return Take(it->second, now, absl::Hours(24), per_day, per_day);
}

void RateLimiter::GiveBackPersonCheck(absl::string_view organisation,
                                      absl::string_view person_token,
                                      const registry::v1::RateLimit& limit) {
  const uint32_t per_day = ChecksPerPersonPerDay(limit);
  const absl::int128 token = absl::ToInt64Nanoseconds(absl::Hours(24));
  absl::MutexLock lock(&mu_);
  auto it = person_buckets_.find(
      absl::StrCat(organisation, absl::string_view("\0", 1), person_token));
  if (it == person_buckets_.end() || it->second.capacity != per_day) return;
  it->second.units = std::min(it->second.units + token, token * per_day);
}

void RateLimiter::SweepPersonBuckets(absl::Time now) {
  // A bucket untouched for 24 hours has refilled whatever its limit: it is a new bucket.
  absl::erase_if(person_buckets_,
                 [now](const auto& entry) { return now - entry.second.last >= absl::Hours(24); });
  next_sweep_ = std::max<size_t>(1024, 2 * person_buckets_.size());
}

absl::StatusOr<bool> RateLimiter::CountRefer(absl::string_view organisation,
                                             const registry::v1::RateLimit& limit,
                                             const EarlierRefersFn& earlier_refers) {
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    if (refers_.find(organisation) != refers_.end()) {
      return CountHeldRefer(organisation, limit, now);
    }
  }
  // Read without the lock; another REFER of the organisation may seed the period meanwhile.
  ASSIGN_OR_RETURN(const std::vector<absl::Time> earlier,
                   earlier_refers(now - absl::Hours(24), now));
  absl::MutexLock lock(&mu_);
  if (refers_.find(organisation) == refers_.end()) {
    ReferPeriod period{earlier.empty() ? now : earlier.front()};
    period.refers = static_cast<uint32_t>(earlier.size());
    refers_.emplace(std::string(organisation), period);
  }
  return CountHeldRefer(organisation, limit, now);
}

bool RateLimiter::CountHeldRefer(absl::string_view organisation,
                                 const registry::v1::RateLimit& limit, absl::Time now) {
  ReferPeriod& period = refers_.find(organisation)->second;
  // A clock that went back keeps the period it is in.
  if (now - period.start >= absl::Hours(24)) period = ReferPeriod{now};
  ++period.refers;
  // At the count, or past it when a reloaded policy lowered the count during the period.
  if (period.alerted || period.refers < RefersPerDayAlert(limit)) return false;
  period.alerted = true;
  return true;
}

size_t RateLimiter::PersonBucketsForTest() const {
  absl::MutexLock lock(&mu_);
  return person_buckets_.size();
}

}  // namespace registry::server
