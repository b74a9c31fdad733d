// What registryd's metrics listener and registry-console share in serving cpp-httplib 0.11
// connections so that no connection holds a worker past a deadline: waits on a socket that end
// at a deadline or when the server stops, one read or write that does not wait, the stop itself
// (an eventfd), the pool of workers with a bound on the connections waiting for one, and the
// closing of each connection. Each server's httplib::Stream reads and writes through these under
// its own deadlines.
//
// Nothing here names cpp-httplib, so common/ does not depend on it: the server that uses
// SocketStream and BoundedWorkers hands them the library's Stream, TaskQueue and ThreadPool.
//
//   serving::StopSignal stop;  // stop.Raise() ends the wait below at once
//   const auto deadline = serving::DeadlineAfter(serving::SteadyClock::now(), absl::Seconds(2));
//   if (serving::WaitForSocket(sock, POLLIN, stop.fd(), deadline) == serving::SocketWait::kReady) {
//     n = serving::ReceiveNow(sock, buf, sizeof(buf), &want);
//   }
#ifndef REGISTRY_COMMON_CONNECTION_SERVING_H_
#define REGISTRY_COMMON_CONNECTION_SERVING_H_

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>

#include "absl/time/time.h"

namespace registry::serving {

using SteadyClock = std::chrono::steady_clock;

// `from` + `span`; the end of time for a span of a year or more (an infinite one).
SteadyClock::time_point DeadlineAfter(SteadyClock::time_point from, absl::Duration span);

enum class SocketWait { kReady, kDeadline, kStopped, kFailed };

// Waits until `fd` is ready for `events` (an error or a hang-up counts: the read or write that
// follows says which), at most until `deadline`, and not once `stop_fd` (when >= 0) is readable.
SocketWait WaitForSocket(int fd, short events, int stop_fd, SteadyClock::time_point deadline);

// One recv or send on `sock` that does not wait: > 0 bytes, 0 at the end of the stream (or a
// send of nothing), < 0 otherwise, with `*want` the readiness to wait for before trying again (0:
// it failed for good). A send raises no SIGPIPE.
ssize_t ReceiveNow(int sock, char* into, size_t room, short* want);
ssize_t SendNow(int sock, const char* data, size_t size, short* want);

// The numeric address and port of `sock`'s peer, and of its own end; "" and 0 when unknown.
void PeerAddress(int sock, std::string* ip, int* port);
void LocalAddress(int sock, std::string* ip, int* port);

// What a connection's httplib::Stream (`Stream`) says of its socket: its ends' addresses, and the
// socket itself. The stream reads and writes as its server's deadlines say.
template <class Stream>
class SocketStream : public Stream {
 public:
  explicit SocketStream(int sock) : sock_(sock) {}

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    PeerAddress(sock_, &ip, &port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    LocalAddress(sock_, &ip, &port);
  }
  int socket() const override { return sock_; }

 protected:
  const int sock_;
};

// A server's stop, as every wait for a client sees it: an eventfd, which stays readable once
// written, so that every WaitForSocket given its fd() ends at once, now and later.
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // False when no eventfd could be made (errno says why): nothing then ends the waits early.
  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Raise();
  bool raised() const { return raised_.load(); }

 private:
  const int fd_;
  std::atomic<bool> raised_{false};
};

// Runs `fn`, a connection BoundedWorkers will not queue, on this thread, marked so that
// ServeAndClose closes the connection unserved.
void RunRefused(const std::function<void()>& fn);

// A server's process_and_close_socket: runs `serve` unless `stop` is raised or the connection is
// one BoundedWorkers refused, then shuts the socket down and closes it. What `serve` returned;
// false when it did not run.
bool ServeAndClose(int sock, const StopSignal& stop, const std::function<bool()>& serve);

// cpp-httplib's ThreadPool with a bound on the connections waiting for a worker: its own queue
// has none, and each waiting connection holds an open file. A connection past the bound is
// handed straight back to the server on the listener's thread (RunRefused), which closes it
// unserved (ServeAndClose). `TaskQueue` and `ThreadPool` are httplib's.
template <class TaskQueue, class ThreadPool>
class BoundedWorkers final : public TaskQueue {
 public:
  // A server's new_task_queue: `workers` serving at once (at least 1), at most `max_waiting`
  // waiting (at least 0).
  static std::function<TaskQueue*()> Factory(int workers, int max_waiting) {
    const size_t serving = static_cast<size_t>(std::max(1, workers));
    const size_t waiting = static_cast<size_t>(std::max(0, max_waiting));
    return [serving, waiting] { return new BoundedWorkers(serving, waiting); };
  }

  BoundedWorkers(size_t workers, size_t max_waiting)
      : pool_(workers), capacity_(workers + max_waiting) {}

  void enqueue(std::function<void()> fn) override {
    if (pending_.fetch_add(1) >= capacity_) {
      pending_.fetch_sub(1);
      RunRefused(fn);
      return;
    }
    pool_.enqueue([this, fn = std::move(fn)] {
      fn();
      pending_.fetch_sub(1);
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  ThreadPool pool_;
  const size_t capacity_;
  std::atomic<size_t> pending_{0};
};

}  // namespace registry::serving

#endif  // REGISTRY_COMMON_CONNECTION_SERVING_H_
