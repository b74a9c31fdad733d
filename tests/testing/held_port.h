// A TCP socket listening on 127.0.0.1 at a port the kernel chose, closed with the object (or by
// Close): a port in use for a test, or a listener that takes connections and never answers.
//
//   testing::HeldPort held;
//   ASSERT_GT(held.port(), 0);
//   config.set_listen_address(held.address());   // "127.0.0.1:PORT", in use
#ifndef REGISTRY_TESTS_TESTING_HELD_PORT_H_
#define REGISTRY_TESTS_TESTING_HELD_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace registry::testing {

class HeldPort {
 public:
  // Listens with room for `backlog` connections that nothing accepts; port() is 0 when the
  // socket could not be made.
  explicit HeldPort(int backlog = 1) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(a);
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), size) == 0 &&
        ::listen(fd_, backlog) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &size) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~HeldPort() { Close(); }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:PORT".
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Stops listening; the port stays the number it was.
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_HELD_PORT_H_
