// SerialWorker: one thread that runs the tasks handed to it, one at a time, in the order they
// came. The call gate runs each REFER's count and alert on one (call_gate.h), after the reply.
//
//   SerialWorker worker;
//   worker.Post([] { ... });
//   worker.AwaitIdle();  // every task posted so far has run
#ifndef REGISTRY_SERVER_SERIAL_WORKER_H_
#define REGISTRY_SERVER_SERIAL_WORKER_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace registry::server {

// Thread-safe. The destructor runs what is still queued, then joins the thread.
class SerialWorker {
 public:
  SerialWorker();
  ~SerialWorker();
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  void Post(std::function<void()> task);
  // Returns once every task posted before the call has run.
  void AwaitIdle();

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_SERIAL_WORKER_H_
