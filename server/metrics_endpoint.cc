#include "server/metrics_endpoint.h"

#include <httplib.h>

#include <atomic>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace registry::server {

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

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& address,
                                                                        const Metrics* metrics) {
  std::string host;
  int port = 0;
  absl::Status split = SplitHostPort("metrics.listen_address", address, &host, &port);
  if (!split.ok()) return split;
  std::unique_ptr<MetricsEndpoint> e(new MetricsEndpoint());
  e->http_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *e->http_;
  // A scrape is a bodiless GET: nothing large is read, and a slow client is dropped soon.
  http.set_payload_max_length(4096);
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_keep_alive_max_count(10);
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
  if (http_ != nullptr) http_->stop();
  if (thread_.joinable()) thread_.join();
}

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

}  // namespace registry::server
