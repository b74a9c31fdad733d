// MetricsEndpoint: the metrics listener. Plain HTTP on its own address (metrics.listen_address,
// e.g. "127.0.0.1:9464"), apart from the gRPC port and its mTLS: it answers GET /metrics with
// Metrics::Render() and 404 to anything else. It serves counts and ages only (server/metrics.h),
// and should be bound to loopback or a management network that only the monitoring system
// reaches.
//
// A connection cannot hold the listener: each carries one request (the answer says "Connection:
// close"), which must arrive whole within MetricsEndpointLimits::request_deadline of a worker
// taking the connection up, however its bytes trickle in (cpp-httplib's own read timeout starts
// again with every byte, so a client sending a header line every few seconds held a worker, and
// Stop(), for as long as it went on). Stop() ends every connection's wait at once.
//
//   ASSIGN_OR_RETURN(auto endpoint, MetricsEndpoint::Start("127.0.0.1:0", &metrics));
//   ... endpoint->port() ...
#ifndef REGISTRY_SERVER_METRICS_ENDPOINT_H_
#define REGISTRY_SERVER_METRICS_ENDPOINT_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/metrics.h"

namespace registry::server {

// Splits "host:port" or "[v6]:port" (port 0..65535). InvalidArgument naming `field` otherwise.
absl::Status SplitHostPort(absl::string_view field, absl::string_view address, std::string* host,
                           int* port);

// How long a connection may hold one of the listener's workers. A scrape sends its request in
// one packet and reads a page of a few tens of KiB, so these are generous for it; what they bound
// is a client that does not.
struct MetricsEndpointLimits {
  // From a worker taking a connection up to the end of its request's headers.
  absl::Duration request_deadline = absl::Seconds(2);
  // From the first byte of the answer to its last.
  absl::Duration answer_deadline = absl::Seconds(5);
  // Connections served at once; the others wait in order. A client holding K connections open
  // without finishing their requests delays a scrape behind them by at most
  // ceil(K / workers) * request_deadline.
  int workers = 8;
  // Connections accepted and waiting for a worker, at most. One more is closed at once, unserved:
  // each waiting connection holds an open file of registryd's, and a flood of idle connections
  // must not use up the files the gRPC listener and RocksDB need.
  int max_waiting = 64;
};

class MetricsEndpoint {
 public:
  // Binds `address` (port 0: any free port) and serves `metrics` (not owned) from a thread of its
  // own. Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& address, const Metrics* metrics, MetricsEndpointLimits limits = {});
  ~MetricsEndpoint();

  int port() const { return port_; }
  // Stops listening, ends every connection's wait for its request or for room to write its
  // answer, and waits for the threads (a page being rendered is finished first). Idempotent.
  void Stop();

 private:
  // An httplib::Server that reads each request under a deadline and wakes on Stop.
  class Http;

  MetricsEndpoint() = default;

  std::unique_ptr<Http> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_METRICS_ENDPOINT_H_
