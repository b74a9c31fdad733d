#include "common/connection_serving.h"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>

#include "absl/strings/numbers.h"

namespace registry::serving {
namespace {

// Set on the listener's thread while it hands back a connection it will not queue (RunRefused).
thread_local bool t_refusing = false;

std::string NumericHost(const sockaddr_storage& addr, socklen_t len, int* port) {
  char host[NI_MAXHOST] = "";
  char serv[NI_MAXSERV] = "";
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0 ||
      !absl::SimpleAtoi(serv, port)) {
    *port = 0;
    return "";
  }
  return host;
}

// `sock`'s address as `name_of` (getpeername, getsockname) gives it.
void AddressOf(int (*name_of)(int, sockaddr*, socklen_t*), int sock, std::string* ip, int* port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  *port = 0;
  ip->clear();
  if (name_of(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    *ip = NumericHost(addr, len, port);
  }
}

}  // namespace

SteadyClock::time_point DeadlineAfter(SteadyClock::time_point from, absl::Duration span) {
  if (span >= absl::Hours(24 * 365)) return SteadyClock::time_point::max();
  return from + std::chrono::duration_cast<SteadyClock::duration>(absl::ToChronoNanoseconds(span));
}

SocketWait WaitForSocket(int fd, short events, int stop_fd, SteadyClock::time_point deadline) {
  for (;;) {
    const auto now = SteadyClock::now();
    if (now >= deadline) return SocketWait::kDeadline;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    const int ms = static_cast<int>(std::min<int64_t>(left.count() + 1, INT_MAX));
    const int n = ::poll(fds, stop_fd >= 0 ? 2 : 1, ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return SocketWait::kFailed;
    }
    if (stop_fd >= 0 && fds[1].revents != 0) return SocketWait::kStopped;
    if (fds[0].revents != 0) return SocketWait::kReady;
  }
}

ssize_t ReceiveNow(int sock, char* into, size_t room, short* want) {
  const ssize_t n = ::recv(sock, into, room, MSG_DONTWAIT);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) *want = POLLIN;
  return -1;
}

ssize_t SendNow(int sock, const char* data, size_t size, short* want) {
  const ssize_t n = ::send(sock, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) *want = POLLOUT;
  return -1;
}

void PeerAddress(int sock, std::string* ip, int* port) {
  AddressOf(::getpeername, sock, ip, port);
}

void LocalAddress(int sock, std::string* ip, int* port) {
  AddressOf(::getsockname, sock, ip, port);
}

StopSignal::StopSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

StopSignal::~StopSignal() {
  if (fd_ >= 0) ::close(fd_);
}

void StopSignal::Raise() {
  raised_.store(true);
  const uint64_t one = 1;
  while (fd_ >= 0 && ::write(fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void RunRefused(const std::function<void()>& fn) {
  t_refusing = true;
  fn();
  t_refusing = false;
}

bool ServeAndClose(int sock, const StopSignal& stop, const std::function<bool()>& serve) {
  bool served = false;
  if (!stop.raised() && !t_refusing) served = serve();
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return served;
}

}  // namespace registry::serving
