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
#include "common/sigpipe.h"
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

// Whether the server's ServerHello has been read: its random is then no longer all zeros.
bool ServerHelloRead(const SSL* ssl) {
  unsigned char random[SSL3_RANDOM_SIZE] = {};
  const size_t size = SSL_get_server_random(ssl, random, sizeof(random));
  return std::any_of(random, random + size, [](unsigned char b) { return b != 0; });
}

// Sends a TLS ClientHello on the connected socket `fd` and goes on with the handshake until
// `deadline` or until the server's ServerHello has been read. The handshake is then dropped:
// gRPC logs nothing for a connection closed there (bytes that are no TLS, an earlier form of this
// probe, made it log an error every time). The handshake's state decides, not the first bytes on
// the socket: OpenSSL may already have read the ServerHello, and what follows it is encrypted.
ListenerProbe ServerHelloComes(int fd, absl::Time deadline) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return ListenerProbe::kNoConnection;
  // Asked for a client certificate (registryd always asks), the handshake stops there, with
  // nothing more sent: the listener sees a connection closed while it waits for the client, which
  // gRPC does not log. Going on without a certificate made it log a handshake error every probe.
  SSL_CTX_set_client_cert_cb(ctx.get(), [](SSL*, X509**, EVP_PKEY**) { return -1; });
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (ssl == nullptr || SSL_set_fd(ssl.get(), fd) != 1) return ListenerProbe::kNoConnection;
  while (true) {
    int rc = 0;
    {
      // A listener that closed the connection already would end registryd with SIGPIPE (it did,
      // with no log line, once its server certificate was replaced by a damaged one).
      const SigpipeHeld held;
      rc = SSL_connect(ssl.get());  // non-blocking: as far as what has arrived takes it
    }
    if (rc == 1 || ServerHelloRead(ssl.get())) return ListenerProbe::kServerHello;
    if (SSL_get_error(ssl.get(), rc) != SSL_ERROR_WANT_READ) {
      // An alert, a closed connection or a failed write: the listener took the connection and
      // ended it without a ServerHello.
      return ListenerProbe::kNoHandshake;
    }
    pollfd reply{fd, POLLIN, 0};
    if (::poll(&reply, 1, MillisUntil(deadline)) != 1) return ListenerProbe::kNoConnection;
  }
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
  return ProbeListener(host, port, wait) == ListenerProbe::kServerHello;
}

ListenerProbe ProbeListener(const std::string& host, int port, absl::Duration wait) {
  const absl::Time deadline = absl::Now() + wait;
  // The host as gRPC took it: an address or a name ("localhost").
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return ListenerProbe::kNoConnection;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  // gRPC listens on every address of a name: any of them that answers will do (one it does not
  // listen on refuses at once).
  ListenerProbe answered = ListenerProbe::kNoConnection;
  for (const addrinfo* at = found; at != nullptr && answered != ListenerProbe::kServerHello;
       at = at->ai_next) {
    const int fd = ::socket(at->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (::connect(fd, at->ai_addr, at->ai_addrlen) == 0 || errno == EINPROGRESS) {
      pollfd connected{fd, POLLOUT, 0};
      int error = 0;
      socklen_t error_length = sizeof(error);
      // The kernel completes the connection whether or not gRPC ever accepts it: only the
      // ServerHello tells that gRPC took it up.
      if (::poll(&connected, 1, MillisUntil(deadline)) == 1 &&
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) == 0) {
        // A connection reset before anything was sent was taken and ended at once, as a listener
        // that completes no handshake may: a refused one never was (ECONNREFUSED).
        const ListenerProbe found_here = error == 0              ? ServerHelloComes(fd, deadline)
                                         : error == ECONNRESET ? ListenerProbe::kNoHandshake
                                                               : ListenerProbe::kNoConnection;
        // A handshake that failed at one address says more than silence at another.
        if (found_here != ListenerProbe::kNoConnection) answered = found_here;
      }
    }
    ::close(fd);
  }
  return answered;
}

}  // namespace registry::server
