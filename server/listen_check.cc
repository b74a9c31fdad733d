#include "server/listen_check.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace registry::server {
namespace {

// What an operator does about a bind that failed with `error`.
std::string BindProblem(int error) {
  switch (error) {
    case EADDRINUSE:
      return "the port is in use (another program, or another registryd, listens there): stop "
             "it or choose another port";
    case EADDRNOTAVAIL:
      return "the address is not one of this machine's: give one of its addresses, 127.0.0.1, "
             "or 0.0.0.0 for all";
    case EACCES:
      return "permission denied (ports below 1024 need a privilege registryd does not have): "
             "choose a port of 1024 or above";
    default:
      return std::strerror(error);
  }
}

}  // namespace

absl::Status CheckCanListen(absl::string_view field, absl::string_view address) {
  const size_t colon = address.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port > 65535 || !absl::ascii_isdigit(static_cast<unsigned char>(address.back()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", address, " is not host:port (such as 127.0.0.1:7443)"));
  }
  std::string host(address.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string prefix = absl::StrCat(field, ": cannot listen on ", address, ": ");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int resolved =
      getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (resolved != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        prefix, "the host is not an address, or a name this machine resolves (",
        gai_strerror(resolved), ")"));
  }
  int first_error = 0;
  bool bound = false;
  for (const addrinfo* a = found; a != nullptr && !bound; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      if (first_error == 0) first_error = errno;
      continue;
    }
    // As the listeners bind: SO_REUSEADDR, so that connections of a registryd that just stopped,
    // lingering in TIME_WAIT, do not count as the port in use.
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0) {
      bound = true;
    } else if (first_error == 0) {
      first_error = errno;
    }
    close(fd);
  }
  freeaddrinfo(found);
  if (bound) return absl::OkStatus();
  // A port in use may be free at the next try (the service manager starts registryd again); an
  // address that is not this machine's is the config's to mend.
  const std::string problem = absl::StrCat(prefix, BindProblem(first_error));
  return first_error == EADDRINUSE ? absl::UnavailableError(problem)
                                   : absl::FailedPreconditionError(problem);
}

}  // namespace registry::server
