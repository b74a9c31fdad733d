// RefusalLimiter: how many refused calls of a certificate that is not a known caller still get
// their own audit event.
//
// Every call is audited, refusals too. But a certificate the registry CA issued that names no
// single identity, is revoked, has no current revocation list, is on the deny list, or names a
// principal the policy does not list, could otherwise grow the audit log (kept forever) without
// bound. Each such certificate, by fingerprint, has a token bucket: while it has tokens its
// refusals are audited as usual; past it they are refused the same way (same status code) but
// without an event, and only counted. The gate writes the counts as one "refused-unaudited"
// system event per status code every minute (CallGate::FlushUnauditedRefusals).
//
// Memory is bounded: a certificate's entry is dropped once its bucket is full again (it has been
// idle long enough that forgetting it changes nothing), and when `max_certificates` entries are
// in use and none is idle, a new certificate's refusals are not audited at all (each such call
// counts as one certificate in the summary, since untracked certificates cannot be told apart:
// the count is then an upper bound).
//
//   RefusalLimiter limiter(&clock, {});
//   if (!limiter.ShouldAudit(fingerprint, absl::StatusCode::kPermissionDenied)) -> no event
#ifndef REGISTRY_SERVER_REFUSAL_LIMITER_H_
#define REGISTRY_SERVER_REFUSAL_LIMITER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace registry::server {

// Thread-safe.
class RefusalLimiter {
 public:
  struct Options {
    // Audited refusals per certificate and minute, sustained.
    uint32_t per_minute = 10;
    // Audited refusals a certificate may have at once (the bucket's size).
    uint32_t burst = 20;
    // Certificates tracked at once.
    size_t max_certificates = 10000;
  };
  RefusalLimiter(const Clock* clock, Options options) : clock_(clock), options_(options) {}

  // One refusal, with `code`, of the certificate with `fingerprint`. True: audit it. False: it is
  // over its certificate's rate; it is counted for the next TakeUnaudited.
  bool ShouldAudit(absl::string_view fingerprint, absl::StatusCode code);

  struct Unaudited {
    absl::StatusCode code;
    uint64_t calls = 0;
    uint64_t certificates = 0;
  };
  // The refusals that were not audited since the last call, one entry per status code (none when
  // there were none), and resets the counts. Also forgets idle certificates.
  std::vector<Unaudited> TakeUnaudited();
  // Adds counts that TakeUnaudited returned back, when they could not be written.
  void PutBack(const Unaudited& counts);

  // Certificates tracked now.
  size_t tracked() const;

 private:
  struct Entry {
    double tokens = 0;
    absl::Time last;
    // The period (number of TakeUnaudited calls) in which this certificate was last counted,
    // and for which codes, so that "M certificates" counts each certificate once.
    uint64_t counted_period = UINT64_MAX;
    uint32_t counted_codes = 0;
  };
  // Refills `e` up to `now`.
  void Refill(Entry& e, absl::Time now) const;
  bool Idle(const Entry& e, absl::Time now) const;
  void EvictIdle(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Count(Entry* e, absl::StatusCode code) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* clock_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t period_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<absl::StatusCode, Unaudited> unaudited_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_REFUSAL_LIMITER_H_
