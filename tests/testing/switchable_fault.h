// SwitchableFault: a storage::WriteFaultInjector for tests that fails writes as a full or broken
// disk would: every write while set_failing(true), or only the n-th write after FailNth(n). It
// counts the writes it was asked about.
#ifndef REGISTRY_TESTS_TESTING_SWITCHABLE_FAULT_H_
#define REGISTRY_TESTS_TESTING_SWITCHABLE_FAULT_H_

#include <atomic>

#include "absl/status/status.h"
#include "storage/database.h"

namespace registry::testing {

class SwitchableFault : public storage::WriteFaultInjector {
 public:
  absl::Status BeforeWrite() override {
    writes_.fetch_add(1);
    const int countdown = countdown_.fetch_sub(1);
    if (failing_.load() || countdown == 1) return absl::UnavailableError("injected disk failure");
    return absl::OkStatus();
  }
  // Fails every write while on; switching cancels a pending FailNth.
  void set_failing(bool failing) {
    failing_.store(failing);
    countdown_.store(0);
  }
  // Fails only the n-th write from now (n >= 1).
  void FailNth(int n) { countdown_.store(n); }
  int writes() const { return writes_.load(); }

 private:
  std::atomic<bool> failing_{false};
  std::atomic<int> countdown_{0};
  std::atomic<int> writes_{0};
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_SWITCHABLE_FAULT_H_
