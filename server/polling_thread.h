#ifndef REGISTRY_SERVER_POLLING_THREAD_H_
#define REGISTRY_SERVER_POLLING_THREAD_H_

#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace registry::server {

// What a watcher compares to see that a file changed: its modification time, size and inode.
// "-" when the file cannot be stat'ed (missing, no permission).
std::string FileStamp(const std::string& path);

// A thread that calls `poll` every `interval` until stopped: the watchers of the policy file and
// of the client CA bundle and CRL folder, and the writer of the unaudited refusals' summary.
// Start at most once.
class PollingThread {
 public:
  PollingThread() = default;
  PollingThread(const PollingThread&) = delete;
  PollingThread& operator=(const PollingThread&) = delete;
  ~PollingThread() { Stop(); }

  // The first call is `interval` after Start.
  void Start(absl::Duration interval, std::function<void()> poll) {
    Start(interval, interval, std::move(poll));
  }
  // The first call is `first` after Start (zero: at once, on the thread), then every `interval`.
  void Start(absl::Duration first, absl::Duration interval, std::function<void()> poll);
  // Waits for a running `poll` to return and stops the thread. Idempotent.
  void Stop();

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_POLLING_THREAD_H_
