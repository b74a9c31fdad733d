#include "server/refusal_limiter.h"

#include <algorithm>

namespace registry::server {
namespace {

// Status codes are 0..16: one bit each in Entry::counted_codes.
uint32_t CodeBit(absl::StatusCode code) {
  const int c = static_cast<int>(code);
  return c >= 0 && c < 32 ? (1u << c) : 0;
}

}  // namespace

void RefusalLimiter::Refill(Entry& e, absl::Time now) const {
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - e.last));
  e.tokens = std::min<double>(options_.burst, e.tokens + elapsed * options_.per_minute / 60.0);
  e.last = std::max(e.last, now);
}

bool RefusalLimiter::Idle(const Entry& e, absl::Time now) const {
  Entry copy = e;
  Refill(copy, now);
  return copy.tokens >= options_.burst;
}

void RefusalLimiter::EvictIdle(absl::Time now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    // Counted in the open period: keep it, or the certificate would be counted twice.
    if (Idle(it->second, now) && it->second.counted_period != period_) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void RefusalLimiter::Count(Entry* e, absl::StatusCode code) {
  Unaudited& u = unaudited_[code];
  u.code = code;
  ++u.calls;
  if (e == nullptr) {
    ++u.certificates;
    return;
  }
  if (e->counted_period != period_) {
    e->counted_period = period_;
    e->counted_codes = 0;
  }
  if ((e->counted_codes & CodeBit(code)) == 0) {
    e->counted_codes |= CodeBit(code);
    ++u.certificates;
  }
}

bool RefusalLimiter::ShouldAudit(absl::string_view fingerprint, absl::StatusCode code) {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(fingerprint);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_certificates) EvictIdle(now);
    if (entries_.size() >= options_.max_certificates) {
      Count(nullptr, code);
      return false;
    }
    it = entries_.emplace(std::string(fingerprint), Entry{static_cast<double>(options_.burst), now})
             .first;
  }
  Entry& e = it->second;
  Refill(e, now);
  if (e.tokens >= 1.0) {
    e.tokens -= 1.0;
    return true;
  }
  Count(&e, code);
  return false;
}

std::vector<RefusalLimiter::Unaudited> RefusalLimiter::TakeUnaudited() {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  std::vector<Unaudited> out;
  for (const auto& [code, u] : unaudited_) out.push_back(u);
  unaudited_.clear();
  ++period_;
  EvictIdle(now);
  return out;
}

void RefusalLimiter::PutBack(const Unaudited& counts) {
  absl::MutexLock lock(&mu_);
  Unaudited& u = unaudited_[counts.code];
  u.code = counts.code;
  u.calls += counts.calls;
  u.certificates += counts.certificates;
}

size_t RefusalLimiter::tracked() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace registry::server
