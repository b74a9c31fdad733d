#include "server/listener_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace registry::server {
namespace {

// Milliseconds left until `deadline`, at least 0.
int MillisUntil(absl::Time deadline) {
  const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
  return left < 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
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
  sockaddr_storage address{};
  socklen_t length = 0;
  int family = AF_INET;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      ::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
             ::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    length = sizeof(sockaddr_in6);
    family = AF_INET6;
  } else {
    return false;  // a name: registryd listens on addresses
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool answered = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 ||
      errno == EINPROGRESS) {
    pollfd connected{fd, POLLOUT, 0};
    int error = 0;
    socklen_t error_length = sizeof(error);
    if (::poll(&connected, 1, MillisUntil(deadline)) == 1 &&
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) == 0 && error == 0) {
      // Not a TLS record: gRPC's handshake ends the connection once it reads them. Until gRPC
      // accepts the connection nobody reads them, and nothing comes back.
      static const char kProbe[] = "registryd listener probe\r\n\r\n";
      if (::send(fd, kProbe, sizeof(kProbe) - 1, MSG_NOSIGNAL) > 0) {
        pollfd reply{fd, POLLIN, 0};
        answered = ::poll(&reply, 1, MillisUntil(deadline)) == 1;
      }
    }
  }
  ::close(fd);
  return answered;
}

}  // namespace registry::server
