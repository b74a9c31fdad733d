// RecordingPacer: a server::Pacer whose time moves by a set step at each reading and that
// records each wait instead of sleeping (the wait moves its time to the wait's end).
//
//   RecordingPacer pacer(absl::Microseconds(1));
//   FixedSpan span(&pacer, absl::Milliseconds(1));
//   span.Close();
//   pacer.Waits()  // {{from: 2us, until: 1001us}}
#ifndef REGISTRY_TESTS_TESTING_RECORDING_PACER_H_
#define REGISTRY_TESTS_TESTING_RECORDING_PACER_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/fixed_span.h"

namespace registry::testing {

class RecordingPacer final : public server::Pacer {
 public:
  struct Wait {
    absl::Duration from;   // the time when the wait began
    absl::Duration until;  // the time it waited for
  };

  explicit RecordingPacer(absl::Duration step) : step_(step) {}

  absl::Duration Elapsed() const override {
    absl::MutexLock lock(&mu_);
    now_ += step_;
    return now_;
  }
  void WaitUntil(absl::Duration until) const override {
    absl::MutexLock lock(&mu_);
    waits_.push_back({now_, until});
    if (until > now_) now_ = until;
  }

  void SetStep(absl::Duration step) {
    absl::MutexLock lock(&mu_);
    step_ = step;
  }
  std::vector<Wait> Waits() const {
    absl::MutexLock lock(&mu_);
    return waits_;
  }
  void ClearWaits() {
    absl::MutexLock lock(&mu_);
    waits_.clear();
  }

 private:
  mutable absl::Mutex mu_;
  absl::Duration step_ ABSL_GUARDED_BY(mu_);
  mutable absl::Duration now_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  mutable std::vector<Wait> waits_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_RECORDING_PACER_H_
