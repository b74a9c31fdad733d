// FixedSpan: a span of work held to a fixed length from its start, so that how long it took says
// nothing of what it found.
//
// A vetting check reads the facts of the person's records and decides (RecordStore::
// FactsForVetting, DecideVetting). Row 42 of docs/security.md makes that the same work whether
// the person has no record or up to four, but not the same time: a real record is read by a
// point lookup, a stand-in by a seek elsewhere, and blocks sit in the memtable, the cache or a
// file. The check therefore holds that span to vetting.lookup_floor_micros from its start and
// goes on only then; its end no longer follows what the registry holds. A span that runs past
// its length (a loaded machine) ends when its work does; the vetting service counts those
// (registryd_vetting_lookup_overruns_total) so that an operator can raise the length.
//
//   FixedSpan span(Pacer::Steady(), absl::Milliseconds(1));
//   ... read and decide ...
//   if (!span.Close()) metrics->RecordVettingLookupOverrun();
//
// The wait sleeps (it costs latency, not CPU) until an absolute point on the monotonic clock,
// so that when the thread wakes does not depend on how long the work took.
#ifndef REGISTRY_SERVER_FIXED_SPAN_H_
#define REGISTRY_SERVER_FIXED_SPAN_H_

#include "absl/time/time.h"

namespace registry::server {

// Monotonic time and waiting on it. Thread-safe.
class Pacer {
 public:
  virtual ~Pacer() = default;
  // Time since an arbitrary, fixed origin; never goes back.
  virtual absl::Duration Elapsed() const = 0;
  // Returns once Elapsed() has reached `until` (at once when it has).
  virtual void WaitUntil(absl::Duration until) const = 0;

  // CLOCK_MONOTONIC and an absolute clock_nanosleep. Process-wide.
  static const Pacer* Steady();
};

class FixedSpan {
 public:
  // Starts the span now. `pacer` is not owned and must outlive the span.
  FixedSpan(const Pacer* pacer, absl::Duration length)
      : pacer_(pacer), end_(pacer->Elapsed() + length) {}
  FixedSpan(const FixedSpan&) = delete;
  FixedSpan& operator=(const FixedSpan&) = delete;

  // Waits until the span's end. False when the work had already run past it (and nothing was
  // waited).
  bool Close() const;

 private:
  const Pacer* pacer_;
  const absl::Duration end_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_FIXED_SPAN_H_
