#include "server/listener_probe.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "openssl/ssl.h"

namespace registry::server {
namespace {

// Milliseconds left until `deadline`, at least 0.
int MillisUntil(absl::Time deadline) {
  const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
  return left < 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

// Sends a TLS ClientHello on the connected socket `fd` and waits until `deadline` for the
// server's first bytes (its ServerHello). The handshake is then dropped: gRPC logs nothing for a
// connection closed there (bytes that are no TLS, an earlier form of this probe, made it log an
// error every time).
bool ServerHelloComes(int fd, absl::Time deadline) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return false;
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1) return false;
  const int rc = SSL_connect(ssl.get());  // non-blocking: sends the ClientHello, then wants more
  if (rc != 1 && SSL_get_error(ssl.get(), rc) != SSL_ERROR_WANT_READ) return false;
  pollfd reply{fd, POLLIN, 0};
  return ::poll(&reply, 1, MillisUntil(deadline)) == 1;
}

}  // namespace

std::string ProbeHostFor(absl::string_view listen_host) {
  absl::string_view host = listen_host;
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return std::string(host);
}

bool ListenerAnswers(const std::string& host, int port, absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  // The host as gRPC took it: an address or a name ("localhost").
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return false;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  // gRPC listens on every address of a name: any of them that answers will do (one it does not
  // listen on refuses at once).
  bool answered = false;
  for (const addrinfo* at = found; at != nullptr && !answered; at = at->ai_next) {
    const int fd = ::socket(at->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, at->ai_addr, at->ai_addrlen) == 0 || errno == EINPROGRESS) {
      pollfd connected{fd, POLLOUT, 0};
      int error = 0;
      socklen_t error_length = sizeof(error);
      // The kernel completes the connection whether or not gRPC ever accepts it: only the
      // ServerHello tells that gRPC took it up.
      answered = ::poll(&connected, 1, MillisUntil(deadline)) == 1 &&
                 ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) == 0 &&
                 error == 0 && ServerHelloComes(fd, deadline);
    }
    ::close(fd);
  }
  return answered;
}

}  // namespace registry::server
