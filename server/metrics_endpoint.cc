#include "server/metrics_endpoint.h"

#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/connection_serving.h"
#include "server/listen_check.h"

namespace registry::server {
namespace {

using serving::SteadyClock;

// A scrape's request is a line and a few headers; anything longer is no scrape. (cpp-httplib
// 0.11 reads header lines without a limit on their number.)
constexpr size_t kMaxMetricsRequestBytes = 16 * 1024;

// One connection's stream, as cpp-httplib reads the request from it and writes the answer: reads
// end at the request's deadline whatever arrives in between, writes at the answer's (counted
// from the first write), both at once when the listener stops, and a request is read up to
// kMaxMetricsRequestBytes.
class MetricsStream final : public serving::SocketStream<httplib::Stream> {
 public:
  MetricsStream(int sock, int stop_fd, SteadyClock::time_point read_deadline,
                absl::Duration answer_time)
      : SocketStream(sock),
        stop_fd_(stop_fd),
        read_deadline_(read_deadline),
        answer_time_(answer_time) {}

  bool is_readable() const override { return off_ < size_ || Ready(POLLIN, read_deadline_); }
  bool is_writable() const override { return Ready(POLLOUT, WriteDeadline()); }

  ssize_t read(char* ptr, size_t size) override {
    if (off_ == size_) {
      if (taken_ >= kMaxMetricsRequestBytes) return -1;
      for (;;) {
        if (!Ready(POLLIN, read_deadline_)) return -1;
        const size_t room = std::min(sizeof(buf_), kMaxMetricsRequestBytes - taken_);
        short want = 0;
        const ssize_t n = serving::ReceiveNow(sock_, buf_, room, &want);
        if (n > 0) {
          off_ = 0;
          size_ = static_cast<size_t>(n);
          taken_ += size_;
          break;
        }
        if (n == 0) return 0;
        if (want == 0) return -1;
      }
    }
    const size_t n = std::min(size, size_ - off_);
    std::memcpy(ptr, buf_ + off_, n);
    off_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      if (!Ready(POLLOUT, WriteDeadline())) return -1;
      short want = 0;
      const ssize_t n = serving::SendNow(sock_, ptr, size, &want);
      if (n >= 0) return n;
      if (want == 0) return -1;
    }
  }

 private:
  // Whether the socket is ready for `events` by `deadline`, the listener not stopping first.
  bool Ready(short events, SteadyClock::time_point deadline) const {
    return serving::WaitForSocket(sock_, events, stop_fd_, deadline) == serving::SocketWait::kReady;
  }
  SteadyClock::time_point WriteDeadline() const {
    if (!write_deadline_.has_value()) {
      write_deadline_ = serving::DeadlineAfter(SteadyClock::now(), answer_time_);
    }
    return *write_deadline_;
  }

  const int stop_fd_;
  const SteadyClock::time_point read_deadline_;
  const absl::Duration answer_time_;
  mutable std::optional<SteadyClock::time_point> write_deadline_;
  char buf_[4096];
  size_t off_ = 0;
  size_t size_ = 0;
  size_t taken_ = 0;
};

}  // namespace

// cpp-httplib 0.11 serves a connection in Server::process_and_close_socket (virtual) on a worker
// of the task queue, reading through its own stream whose read timeout starts again with every
// byte, and its stop() only closes the listening socket and then joins the workers. This one
// serves each connection through a MetricsStream instead, so that no connection holds a worker
// past its deadlines, and Interrupt() ends every wait at once. Its task queue is bounded
// (serving::BoundedWorkers): a connection past MetricsEndpointLimits::max_waiting is closed
// unserved.
class MetricsEndpoint::Http final : public httplib::Server {
 public:
  explicit Http(const MetricsEndpointLimits& limits) : limits_(limits) {
    new_task_queue = serving::BoundedWorkers<httplib::TaskQueue, httplib::ThreadPool>::Factory(
        limits.workers, limits.max_waiting);
  }

  bool valid() const { return stop_.valid(); }

  // Every connection's wait ends now, and connections still queued are closed unserved.
  void Interrupt() { stop_.Raise(); }

 private:
  bool process_and_close_socket(socket_t sock) override {
    return serving::ServeAndClose(sock, stop_, [&] {
      MetricsStream stream(sock, stop_.fd(),
                           serving::DeadlineAfter(SteadyClock::now(), limits_.request_deadline),
                           limits_.answer_deadline);
      bool closed = false;
      // One request per connection: between two requests of a kept-alive connection the worker
      // would wait again, for whatever the client chose to send next.
      return process_request(stream, /*close_connection=*/true, closed, nullptr);
    });
  }

  const MetricsEndpointLimits limits_;
  serving::StopSignal stop_;
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
  // Why a bind failed, in CheckCanListen's words (the port in use: by then perhaps registryd's
  // own gRPC listener on 0.0.0.0), or the bare fact when a bind of its own went through.
  const auto cannot_listen = [&address]() {
    const absl::Status why = CheckCanListen("metrics.listen_address", address);
    return why.ok() ? absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", address))
                    : absl::UnavailableError(why.message());
  };
  if (port == 0) {
    e->port_ = http.bind_to_any_port(host);
    if (e->port_ <= 0) return cannot_listen();
  } else {
    if (!http.bind_to_port(host, port)) return cannot_listen();
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
