#include "server/metrics_endpoint.h"

#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace registry::server {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// A scrape's request is a line and a few headers; anything longer is no scrape. (cpp-httplib
// 0.11 reads header lines without a limit on their number.)
constexpr size_t kMaxMetricsRequestBytes = 16 * 1024;

SteadyTime SteadyAfter(absl::Duration d) {
  return std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(d);
}

// Waits until `fd` is ready for `events`, at most until `deadline`, and not once `stop_fd` is
// readable. True when `fd` is ready (an error or a hang-up counts: the read or write that follows
// says which).
bool MetricsSocketReady(int fd, short events, int stop_fd, SteadyTime deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    const int ms = static_cast<int>(std::min<int64_t>(left.count() + 1, INT_MAX));
    const int n = ::poll(fds, 2, ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents != 0) return false;  // stopping
    if (fds[0].revents != 0) return true;
  }
}

std::string NumericHost(const sockaddr_storage& addr, socklen_t len, int* port) {
  char host[NI_MAXHOST] = "";
  char serv[NI_MAXSERV] = "";
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    *port = 0;
    return "";
  }
  if (!absl::SimpleAtoi(serv, port)) *port = 0;
  return host;
}

// One connection's stream, as cpp-httplib reads the request from it and writes the answer: reads
// end at the request's deadline whatever arrives in between, writes at the answer's (counted
// from the first write), both at once when the listener stops, and a request is read up to
// kMaxMetricsRequestBytes.
class MetricsStream final : public httplib::Stream {
 public:
  MetricsStream(int sock, int stop_fd, SteadyTime read_deadline, absl::Duration answer_time)
      : sock_(sock), stop_fd_(stop_fd), read_deadline_(read_deadline), answer_time_(answer_time) {}

  bool is_readable() const override {
    return off_ < size_ || MetricsSocketReady(sock_, POLLIN, stop_fd_, read_deadline_);
  }
  bool is_writable() const override {
    return MetricsSocketReady(sock_, POLLOUT, stop_fd_, WriteDeadline());
  }

  ssize_t read(char* ptr, size_t size) override {
    if (off_ == size_) {
      if (taken_ >= kMaxMetricsRequestBytes) return -1;
      for (;;) {
        if (!MetricsSocketReady(sock_, POLLIN, stop_fd_, read_deadline_)) return -1;
        const size_t room = std::min(sizeof(buf_), kMaxMetricsRequestBytes - taken_);
        const ssize_t n = ::recv(sock_, buf_, room, MSG_DONTWAIT);
        if (n > 0) {
          off_ = 0;
          size_ = static_cast<size_t>(n);
          taken_ += size_;
          break;
        }
        if (n == 0) return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
      }
    }
    const size_t n = std::min(size, size_ - off_);
    std::memcpy(ptr, buf_ + off_, n);
    off_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      if (!MetricsSocketReady(sock_, POLLOUT, stop_fd_, WriteDeadline())) return -1;
      const ssize_t n = ::send(sock_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) return n;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    port = 0;
    ip.clear();
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      ip = NumericHost(addr, len, &port);
    }
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    port = 0;
    ip.clear();
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      ip = NumericHost(addr, len, &port);
    }
  }
  socket_t socket() const override { return sock_; }

 private:
  SteadyTime WriteDeadline() const {
    if (!write_deadline_.has_value()) write_deadline_ = SteadyAfter(answer_time_);
    return *write_deadline_;
  }

  const int sock_;
  const int stop_fd_;
  const SteadyTime read_deadline_;
  const absl::Duration answer_time_;
  mutable std::optional<SteadyTime> write_deadline_;
  char buf_[4096];
  size_t off_ = 0;
  size_t size_ = 0;
  size_t taken_ = 0;
};

// Set on the listener's thread while it closes a connection it will not queue (BoundedPool).
thread_local bool t_refusing = false;

// cpp-httplib's ThreadPool with a bound on the connections waiting for a worker: its own queue
// has none, and each waiting connection holds an open file. A connection past the bound is
// handed straight back to the server on the listener's thread with t_refusing set, which
// closes it unserved (process_and_close_socket below).
class BoundedPool final : public httplib::TaskQueue {
 public:
  BoundedPool(size_t workers, size_t max_waiting)
      : pool_(workers), capacity_(workers + max_waiting) {}

  void enqueue(std::function<void()> fn) override {
    if (pending_.fetch_add(1) >= capacity_) {
      pending_.fetch_sub(1);
      t_refusing = true;
      fn();
      t_refusing = false;
      return;
    }
    pool_.enqueue([this, fn = std::move(fn)] {
      fn();
      pending_.fetch_sub(1);
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  const size_t capacity_;
  std::atomic<size_t> pending_{0};
};

}  // namespace

// cpp-httplib 0.11 serves a connection in Server::process_and_close_socket (virtual) on a worker
// of the task queue, reading through its own stream whose read timeout starts again with every
// byte, and its stop() only closes the listening socket and then joins the workers. This one
// serves each connection through a MetricsStream instead, so that no connection holds a worker
// past its deadlines, and Interrupt() ends every wait at once.
class MetricsEndpoint::Http final : public httplib::Server {
 public:
  explicit Http(const MetricsEndpointLimits& limits)
      : limits_(limits), stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    const size_t workers = static_cast<size_t>(std::max(1, limits.workers));
    const size_t waiting = static_cast<size_t>(std::max(0, limits.max_waiting));
    new_task_queue = [workers, waiting] { return new BoundedPool(workers, waiting); };
  }
  ~Http() override {
    if (stop_fd_ >= 0) ::close(stop_fd_);
  }

  bool valid() const { return stop_fd_ >= 0; }

  // Every connection's wait ends now, and connections still queued are closed unserved.
  void Interrupt() {
    stopping_.store(true);
    const uint64_t one = 1;
    // An eventfd stays readable once written: every poll sees it, now and later.
    while (::write(stop_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    bool served = false;
    if (!stopping_.load() && !t_refusing) {
      MetricsStream stream(sock, stop_fd_, SteadyAfter(limits_.request_deadline),
                           limits_.answer_deadline);
      bool closed = false;
      // One request per connection: between two requests of a kept-alive connection the worker
      // would wait again, for whatever the client chose to send next.
      served = process_request(stream, /*close_connection=*/true, closed, nullptr);
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return served;
  }

  const MetricsEndpointLimits limits_;
  const int stop_fd_;
  std::atomic<bool> stopping_{false};
};

absl::Status SplitHostPort(absl::string_view field, absl::string_view address, std::string* host,
                           int* port) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": expected host:port"));
  }
  absl::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = -1;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": port must be 0..65535"));
  }
  *host = std::string(h);
  *port = p;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& address, const Metrics* metrics, MetricsEndpointLimits limits) {
  std::string host;
  int port = 0;
  absl::Status split = SplitHostPort("metrics.listen_address", address, &host, &port);
  if (!split.ok()) return split;
  std::unique_ptr<MetricsEndpoint> e(new MetricsEndpoint());
  e->http_ = std::make_unique<Http>(limits);
  if (!e->http_->valid()) {
    return absl::UnavailableError(
        absl::StrCat("metrics: cannot serve on ", address, ": ", std::strerror(errno)));
  }
  Http& http = *e->http_;
  // A scrape is a bodiless GET: nothing large is read.
  http.set_payload_max_length(4096);
  // cpp-httplib's default sets SO_REUSEPORT, with which a second registryd (of the same user)
  // binds the same port and takes a share of the scrapes unnoticed. SO_REUSEADDR alone lets a
  // restart bind again while old connections linger, and a port in use is an error.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(metrics->Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (port == 0) {
    e->port_ = http.bind_to_any_port(host);
    if (e->port_ <= 0) {
      return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", address));
    }
  } else {
    if (!http.bind_to_port(host, port)) {
      return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", address));
    }
    e->port_ = port;
  }
  auto ended = std::make_shared<std::atomic<bool>>(false);
  e->thread_ = std::thread([raw = e->http_.get(), ended] {
    raw->listen_after_bind();
    ended->store(true);
  });
  // Stop() is only heard once the loop runs.
  while (!http.is_running() && !ended->load()) std::this_thread::yield();
  if (ended->load()) {
    e->thread_.join();
    return absl::UnavailableError(absl::StrCat("metrics: cannot serve on ", address));
  }
  return e;
}

void MetricsEndpoint::Stop() {
  if (http_ == nullptr) return;
  // First the waits, so that the workers the listening loop joins once its socket is closed are
  // free within moments, whatever their clients send.
  http_->Interrupt();
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

}  // namespace registry::server
