// MetricsEndpoint: the metrics listener. Plain HTTP on its own address (metrics.listen_address,
// e.g. "127.0.0.1:9464"), apart from the gRPC port and its mTLS: it answers GET /metrics with
// Metrics::Render() and 404 to anything else. It serves counts and ages only (server/metrics.h),
// and should be bound to loopback or a management network that only the monitoring system
// reaches.
//
//   ASSIGN_OR_RETURN(auto endpoint, MetricsEndpoint::Start("127.0.0.1:0", &metrics));
//   ... endpoint->port() ...
#ifndef REGISTRY_SERVER_METRICS_ENDPOINT_H_
#define REGISTRY_SERVER_METRICS_ENDPOINT_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/metrics.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace registry::server {

// Splits "host:port" or "[v6]:port" (port 0..65535). InvalidArgument naming `field` otherwise.
absl::Status SplitHostPort(absl::string_view field, absl::string_view address, std::string* host,
                           int* port);

class MetricsEndpoint {
 public:
  // Binds `address` (port 0: any free port) and serves `metrics` (not owned) from a thread of its
  // own. Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& address,
                                                                const Metrics* metrics);
  ~MetricsEndpoint();

  int port() const { return port_; }
  // Stops listening and waits for the thread. Idempotent.
  void Stop();

 private:
  MetricsEndpoint() = default;

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_METRICS_ENDPOINT_H_
