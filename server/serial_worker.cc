#include "server/serial_worker.h"

#include <utility>

namespace registry::server {

SerialWorker::SerialWorker() : thread_([this] { Loop(); }) {}

SerialWorker::~SerialWorker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void SerialWorker::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

void SerialWorker::AwaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](SerialWorker* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
        return w->queue_.empty() && !w->running_;
      },
      this));
}

void SerialWorker::Loop() {
  mu_.Lock();
  while (true) {
    mu_.Await(absl::Condition(
        +[](SerialWorker* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu_) {
          return !w->queue_.empty() || w->stopping_;
        },
        this));
    if (queue_.empty()) break;  // stopping, and nothing left to run
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    running_ = true;
    mu_.Unlock();
    task();
    mu_.Lock();
    running_ = false;
  }
  mu_.Unlock();
}

}  // namespace registry::server
