// A certificate the server refuses is said to be refused, and why, not reported as a server that
// is down: an expired or not yet valid certificate before connecting, a revoked one or one of
// another CA from the handshake; and a server that is down is said to be down. A connection
// that ends without a word about the certificate, or a port that never answers TLS, is not
// taken for a refusal.
#include "client/tls_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/cli.h"
#include "client/option_parser.h"
#include "client/output_buffer.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/server_credentials.h"
#include "gtest/gtest.h"
#include "openssl/evp.h"
#include "openssl/pem.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/client_settings.h"
#include "tests/testing/server_credentials.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_server.h"

namespace registry::client {
namespace {

using ::registry::testing::Flowed;
using ::registry::testing::TestPki;
using ::registry::testing::TestServer;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct CliRun {
  int code;
  std::string err;
};

// `registry-cli [global] --server SERVER --identity <pki>/IDENTITY health`.
CliRun Health(const std::string& server, const std::string& identity,
              std::vector<std::string> global = {}) {
  std::ostringstream out, err;
  global.insert(global.end(),
                {"--server", server, "--identity", TestPki::Get().IdentityDir(identity), "health"});
  const int code = RunCli(
      global, [](absl::string_view) -> std::optional<std::string> { return std::nullopt; }, out,
      err, false);
  return {code, err.str()};
}

TEST(CheckOwnCertificateTest, ExpiredAndNotYetValidCertificatesAreNamedWithTheirDates) {
  const std::string expired = TestPki::Get().ReadFile("expired/cert.pem");
  const absl::Status status = CheckOwnCertificate(expired, "id/cert.pem", absl::Now());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(),
            "your certificate (id/cert.pem) expired on 2020-01-02T00:00:00Z: "
            "the registry refuses it; ask the registry office for a new certificate");
  const std::string clerk = TestPki::Get().ReadFile("clerk/cert.pem");
  EXPECT_TRUE(CheckOwnCertificate(clerk, "c", absl::Now()).ok());
  const absl::Status early =
      CheckOwnCertificate(clerk, "c", absl::Now() - absl::Hours(24 * 365 * 20));
  EXPECT_EQ(early.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(early.message()),
              StartsWith("your certificate (c) is not valid before "));
  EXPECT_EQ(CheckOwnCertificate("not a pem", "c", absl::Now()).code(),
            absl::StatusCode::kInvalidArgument);
}

// The PEM of `key_pem`'s key, encrypted under a passphrase as `openssl pkey -aes256` writes it.
std::string EncryptedKeyPem(const std::string& key_pem) {
  BIO* in = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  static char kPassphrase[] = "secret";
  EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), kPassphrase,
                                          sizeof(kPassphrase) - 1, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(out);
  EVP_PKEY_free(key);
  BIO_free(in);
  return pem;
}

// gRPC reports each of these as "UNAVAILABLE: empty address list"; each is named by the file,
// as the user gave it, and what is wrong with it. An encrypted key is refused without asking for
// its passphrase (OpenSSL's default would ask on the terminal).
TEST(CheckIdentityFilesTest, NamesTheFileThatCannotBeUsedAndWhy) {
  const TestPki& pki = TestPki::Get();
  const TestPki::Identity clerk = pki.LoadIdentity("clerk");
  const TestPki::Identity court = pki.LoadIdentity("court");
  const IdentityFileNames names{"--identity x/ca.pem", "--identity x/cert.pem", "--key k.pem"};
  EXPECT_TRUE(CheckIdentityFiles(clerk.ca_pem, clerk.cert_pem, clerk.key_pem, names).ok());

  const absl::Status mismatch =
      CheckIdentityFiles(clerk.ca_pem, clerk.cert_pem, court.key_pem, names);
  EXPECT_TRUE(IsUsageError(mismatch));
  EXPECT_EQ(Flowed(mismatch.message()), "--key k.pem: not the private key of --identity x/cert.pem");

  EXPECT_EQ(CheckIdentityFiles(clerk.ca_pem, clerk.cert_pem, clerk.cert_pem, names).message(),
            "--key k.pem: holds a certificate, not the private key");
  EXPECT_EQ((CheckIdentityFiles(clerk.ca_pem, clerk.cert_pem, EncryptedKeyPem(clerk.key_pem),
                                      names)
                       .message()),
            "--key k.pem: encrypted with a passphrase; registry-cli needs an unencrypted key "
            "(mode 0600)");
  EXPECT_EQ(CheckIdentityFiles("garbage\n", clerk.cert_pem, clerk.key_pem, names).message(),
            "--identity x/ca.pem: holds no certificate");
  EXPECT_EQ(CheckIdentityFiles(clerk.ca_pem, clerk.key_pem, clerk.key_pem, names).message(),
            "--identity x/cert.pem: holds no certificate");
}

// A folder whose key is another identity's: a usage error naming the folder's files (exit 2),
// not a server that does not answer.
TEST(CheckIdentityFilesTest, AFolderWithAnotherIdentitysKeyIsAUsageErrorOfTheCommandLine) {
  const std::string dir = ::registry::testing::MakeTempDir("tls-probe-test");
  const TestPki& pki = TestPki::Get();
  for (const auto& [name, from] : {std::pair<std::string, std::string>{"ca.pem", "clerk"},
                                   {"cert.pem", "clerk"},
                                   {"key.pem", "court"}}) {
    std::ofstream(dir + "/" + name) << pki.ReadFile(from + "/" + name);
  }
  std::ostringstream out, err;
  const int code = RunCli(
      {"--server", "127.0.0.1:7443", "--identity", dir, "health"},
      [](absl::string_view) -> std::optional<std::string> { return std::nullopt; }, out, err,
      false);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(code, 2);
  EXPECT_THAT(Flowed(err.str()), StartsWith(absl::StrCat("error: INVALID_ARGUMENT: --identity ", dir,
                                                 "/key.pem: not the private key of --identity ",
                                                 dir, "/cert.pem usage: ")));
}

// The connection settings of the clerk's identity for the server at `address`.
ConnectionSettings ClerkAt(const std::string& address) {
  return ::registry::testing::IdentitySettingsAt(address);
}

// What the user is told of a call that gRPC ended with its own words for any failed connection.
absl::Status ExplainFailedConnection(const ConnectionSettings& settings) {
  return ExplainUnavailable(settings, absl::UnavailableError("failed to connect to all addresses"));
}

// Expects the clerk's failed connection to `address` to be told as UNAVAILABLE: `message`.
void ExpectToldUnavailable(const std::string& address, const std::string& message) {
  SCOPED_TRACE(message);
  const absl::Status status = ExplainFailedConnection(ClerkAt(address));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message(), message);
}

// A TCP socket listening on 127.0.0.1 at a port the system chose, which it stores in `port`.
int ListenOnLoopback(int backlog, int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(listen(fd, backlog), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  *port = ntohs(address.sin_port);
  return fd;
}

// A plain TCP server on 127.0.0.1:0 that answers whatever comes with an HTTP error, as a
// metrics port does, and hangs up.
class PlainHttpServer {
 public:
  PlainHttpServer() {
    fd_ = ListenOnLoopback(4, &port_);
    thread_ = std::thread([this] {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char buffer[4096];
      (void)!read(client, buffer, sizeof(buffer));
      static const char kAnswer[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
      (void)!write(client, kAnswer, sizeof(kAnswer) - 1);
      close(client);
    });
  }
  ~PlainHttpServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(ProbeTlsTest, AServerThatDoesNotSpeakTlsIsSaidToBeAnotherPort) {
  PlainHttpServer http;
  ExpectToldUnavailable(http.address(),
                        absl::StrCat("something answers at ", http.address(),
                                     " but does not speak TLS: is this the registry's gRPC port "
                                     "(not its metrics port)? (--server, $REGISTRY_SERVER)"));
}

// Should the identity files fail to load in the probe (changed since the channel was made),
// the explanation names them rather than passing gRPC's words on.
TEST(ProbeTlsTest, IdentityFilesTheProbeCannotLoadAreNamed) {
  PlainHttpServer http;
  ConnectionSettings settings = ClerkAt(http.address());
  settings.key_file = TestPki::Get().dir() + "/court/key.pem";
  const absl::Status status =
      ExplainUnavailable(settings, absl::UnavailableError("empty address list: "));
  EXPECT_TRUE(IsUsageError(status));
  EXPECT_EQ(Flowed(status.message()), absl::StrCat("--key ", settings.key_file,
                                           ": not the private key of --cert ",
                                           settings.cert_file));
}

// A TCP server on 127.0.0.1:0 that reads what a client sends first (its ClientHello) and then,
// as `behaviour` says, hangs up, resets the connection, sends `answer` (a TLS alert) and hangs
// up, or says nothing at all until it is destroyed; for a server that stops, it also stops
// listening after the first connection.
class HandshakeBreakingServer {
 public:
  enum class Behaviour { kClose, kReset, kStop, kAnswer, kSilent };

  explicit HandshakeBreakingServer(Behaviour behaviour, std::string answer = "")
      : behaviour_(behaviour), answer_(std::move(answer)) {
    fd_ = ListenOnLoopback(8, &port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HandshakeBreakingServer() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
    }
    thread_.join();
    if (fd_ >= 0) close(fd_);
    for (const int client : silent_) close(client);
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  void Serve() {
    for (;;) {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char buffer[4096];
      (void)!read(client, buffer, sizeof(buffer));
      switch (behaviour_) {
        case Behaviour::kSilent:
          silent_.push_back(client);
          continue;
        case Behaviour::kReset: {
          // A close with unread data or a zero linger time sends RST instead of FIN.
          const linger abort_close{1, 0};
          setsockopt(client, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
          break;
        }
        case Behaviour::kAnswer:
          (void)!write(client, answer_.data(), answer_.size());
          break;
        case Behaviour::kStop: {
          // No longer listening before the client sees the close, as when the process ends.
          const std::lock_guard<std::mutex> lock(mutex_);
          close(fd_);
          fd_ = -1;
          close(client);
          return;
        }
        case Behaviour::kClose:
          break;
      }
      close(client);
    }
  }

  const Behaviour behaviour_;
  const std::string answer_;
  std::mutex mutex_;
  int fd_ = -1;  // guarded by mutex_ once the thread runs
  int port_ = 0;
  std::vector<int> silent_;
  std::thread thread_;
};

// A TLS alert record as a server sends it in place of its ServerHello: fatal, `description`.
std::string FatalAlert(unsigned char description) {
  return std::string({'\x15', '\x03', '\x03', '\x00', '\x02', '\x02',
                      static_cast<char>(description)});
}

// A server killed or aborting mid-handshake, or a firewall cutting the connection, was told to
// the user as "the server refused this certificate", and operators revoked and re-issued
// certificates for nothing. Without an alert about the certificate, a connection that ends is
// said to have ended.
TEST(ProbeTlsTest, AConnectionClosedOrResetDuringTheHandshakeIsNoCertificateRefusal) {
  for (const auto& [behaviour, closed] :
       {std::pair{HandshakeBreakingServer::Behaviour::kClose, "closed"},
        std::pair{HandshakeBreakingServer::Behaviour::kReset, "reset"}}) {
    HandshakeBreakingServer server(behaviour);
    const TlsProbe probe = ProbeTls(ClerkAt(server.address()));
    EXPECT_EQ(probe.outcome, TlsProbe::Outcome::kClosed) << closed << ": " << probe.detail;
    ExpectToldUnavailable(
        server.address(),
        absl::StrCat("the connection was ", closed, " during the TLS handshake with ",
                     server.address(),
                     ": the server stopped, or something between you and it closed the "
                     "connection; check that registryd runs at ",
                     server.address(), " and try again (--server, $REGISTRY_SERVER)"));
  }
  // Through the command line, as the user met it.
  HandshakeBreakingServer server(HandshakeBreakingServer::Behaviour::kClose);
  const CliRun run = Health(server.address(), "clerk");
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, StartsWith("error: UNAVAILABLE: the connection was closed during the TLS "
                                  "handshake with "));
  EXPECT_THAT(run.err, Not(HasSubstr("refused")));
}

TEST(ProbeTlsTest, AServerThatStopsDuringTheHandshakeIsSaidToHaveStopped) {
  HandshakeBreakingServer server(HandshakeBreakingServer::Behaviour::kStop);
  ExpectToldUnavailable(
      server.address(),
      absl::StrCat("the connection was closed during the TLS handshake with ", server.address(),
                   ", and nothing answers there now: registryd stopped; see its log for why, and "
                   "start it again (--server, $REGISTRY_SERVER)"));
}

// An alert that names the certificate is the server's refusal of it; any other alert (a
// protocol version or cipher the two do not share) is not, and is named as it came.
TEST(ProbeTlsTest, OnlyAnAlertAboutTheCertificateIsACertificateRefusal) {
  for (const auto& [alert, text] :
       {std::pair<unsigned char, const char*>{42, "bad certificate"},
        {44, "certificate revoked"},
        {48, "unknown CA"},
        {49, "access denied"}}) {
    HandshakeBreakingServer server(HandshakeBreakingServer::Behaviour::kAnswer, FatalAlert(alert));
    const ConnectionSettings settings = ClerkAt(server.address());
    const absl::Status status = ExplainFailedConnection(settings);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << text;
    EXPECT_EQ(status.message(),
              absl::StrCat("the server refused this certificate (revoked, unknown CA or not yet "
                           "valid): ",
                           settings.cert_file, " (TLS alert: ", text, ")"));
  }
  HandshakeBreakingServer server(HandshakeBreakingServer::Behaviour::kAnswer,
                                 FatalAlert(40));  // handshake_failure
  ExpectToldUnavailable(server.address(),
                        absl::StrCat("the TLS connection to ", server.address(),
                                     " failed (TLS alert: handshake failure): is it registryd's "
                                     "gRPC port? (--server, $REGISTRY_SERVER)"));
}

// gRPC gives up on such a server after about 20 s with "UNAVAILABLE: failed to connect to all
// addresses; last error: UNKNOWN: ipv4:...: Handshake read failed"; a shorter --timeout ends the
// call first, with DEADLINE_EXCEEDED. Either way the user is told what was found; the probe that
// finds it waits at most a second more, and its message states no wait of its own (it said
// "within 3s" after a call that had waited 20).
// A registryd stopped with kill -STOP answers so too: it was said to be another service ("is it
// registryd's gRPC port?"); both are said, neither asserted.
TEST(ProbeTlsTest, AServerThatAcceptsButNeverAnswersTlsIsSaidToBeSilent) {
  HandshakeBreakingServer server(HandshakeBreakingServer::Behaviour::kSilent);
  ConnectionSettings settings = ClerkAt(server.address());
  settings.timeout = absl::Seconds(1);
  const absl::Status status = ExplainUnavailable(
      settings, absl::UnavailableError("failed to connect to all addresses; last error: UNKNOWN: "
                                       "ipv4:127.0.0.1:17633: Handshake read failed"));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  const std::string expected =
      absl::StrCat("no TLS answer from ", server.address(),
                   " (it accepts the connection, then sends nothing): either registryd is "
                   "there but stuck (stopped or overloaded: see its process and its log), or "
                   "the port is another service's, such as registryd's metrics port (--server, "
                   "$REGISTRY_SERVER)");
  EXPECT_EQ(status.message(), expected);

  const CliRun run = Health(server.address(), "clerk", {"--timeout", "1"});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.err, absl::StrCat("error: UNAVAILABLE: ", expected, "\n"));
}

// Between registry-cli and a server: a TCP relay on 127.0.0.1:0 that forwards both ways until
// Cut(), which stops listening and resets every connection, as the end of a killed registryd
// looks to the client.
class CuttableRelay {
 public:
  explicit CuttableRelay(int backend_port) : backend_port_(backend_port) {
    fd_ = ListenOnLoopback(8, &port_);
    thread_ = std::thread([this] { Accept(); });
  }
  ~CuttableRelay() {
    Cut();
    thread_.join();
    for (std::thread& pump : pumps_) pump.join();
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

  // Returns once every connection has been reset: nothing sent after it reaches the client.
  void Cut() {
    if (!cut_.exchange(true)) shutdown(fd_, SHUT_RDWR);
    while (open_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

 private:
  void Accept() {
    for (;;) {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0 || cut_) {
        if (client >= 0) close(client);
        close(fd_);
        return;
      }
      const int backend = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(backend_port_));
      if (connect(backend, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        close(backend);
        close(client);
        continue;
      }
      ++open_;
      pumps_.emplace_back([this, client, backend] { Pump(client, backend); });
    }
  }

  // Copies bytes each way until either side closes or the relay is cut; a cut connection is
  // reset (zero linger), not closed politely.
  void Pump(int client, int backend) {
    pollfd fds[2] = {{client, POLLIN, 0}, {backend, POLLIN, 0}};
    char buffer[16384];
    while (!cut_) {
      if (poll(fds, 2, 20) <= 0) continue;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t got = read(fds[i].fd, buffer, sizeof(buffer));
        done = got <= 0 || write(fds[1 - i].fd, buffer, static_cast<size_t>(got)) != got;
      }
      if (done) break;
    }
    const linger abort_close{1, 0};
    setsockopt(client, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
    close(client);
    close(backend);
    --open_;
  }

  const int backend_port_;
  std::atomic<bool> cut_{false};
  std::atomic<int> open_{0};  // connections not yet closed
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::thread> pumps_;  // only touched by thread_ until it has been joined
};

// An admin service whose RotateKeys, once the request has arrived, has `relay` cut the
// connection before answering: the keys were rotated, the answer never reaches the caller.
class RotatesThenDies final : public v1::AdminService::Service {
 public:
  CuttableRelay* relay = nullptr;
  std::atomic<int> rotations{0};
  std::atomic<bool> refuse{false};

  grpc::Status RotateKeys(grpc::ServerContext*, const v1::RotateKeysRequest*,
                          v1::RotateKeysResponse* response) override {
    if (refuse) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the registry cannot record this call; try again later");
    }
    ++rotations;
    relay->Cut();
    response->set_current_kek_version(2);
    return grpc::Status::OK;
  }
};

// The fake registry over mutual TLS with the test PKI's server identity, on 127.0.0.1:0, behind
// a relay that the service cuts mid-call.
class ServerDiesMidCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int port = 0;
    server_ = registry::testing::StartFakeRegistry({&admin_}, &port);
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    relay_ = std::make_unique<CuttableRelay>(port);
    admin_.relay = relay_.get();
  }
  void TearDown() override {
    // The server first: Shutdown returns once every handler has, and RotateKeys may still be
    // inside the relay's Cut() after its caller saw the connection go.
    server_->Shutdown(std::chrono::system_clock::now());
    relay_.reset();
  }

  // RotateKeys through CallUnary, as `registry-cli admin rotate-keys` makes it.
  absl::StatusOr<v1::RotateKeysResponse> RotateKeys(const ConnectionSettings& settings) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = CreateChannel(settings);
    EXPECT_TRUE(channel.ok()) << channel.status();
    if (!channel.ok()) return channel.status();
    auto stub = v1::AdminService::NewStub(*channel);
    return CallUnary<v1::RotateKeysResponse>(
        settings, [&](grpc::ClientContext* c, v1::RotateKeysResponse* r) {
          return stub->RotateKeys(c, v1::RotateKeysRequest(), r);
        });
  }

  RotatesThenDies admin_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<CuttableRelay> relay_;
};

// registryd killed while `admin rotate-keys` was in flight: the keys were rotated, and the
// security officer was told "nothing answers at ...: is registryd running there?", as if nothing
// had happened. A call that had reached the server says that its outcome is not known.
TEST_F(ServerDiesMidCallTest, ACallCutAfterItReachedTheServerIsSaidToHaveAnUnknownOutcome) {
  const ConnectionSettings settings = ClerkAt(relay_->address());
  const absl::StatusOr<v1::RotateKeysResponse> rotated = RotateKeys(settings);
  ASSERT_EQ(rotated.status().code(), absl::StatusCode::kUnavailable) << rotated.status();
  EXPECT_EQ(admin_.rotations, 1);
  EXPECT_TRUE(SentBeforeFailure(rotated.status())) << rotated.status();
  // Nothing listens at the address any more, as after kill -9.
  const absl::Status told = ExplainUnavailable(settings, rotated.status());
  EXPECT_EQ(told.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(told.message()),
              StartsWith(absl::StrCat("the connection to the registry at ", settings.server,
                                      " broke after the call had reached it; ")));
  EXPECT_THAT(std::string(told.message()), Not(HasSubstr(rotated.status().message())));
  EXPECT_THAT(std::string(told.message()), HasSubstr("whether it was carried out is not known"));
  EXPECT_THAT(std::string(told.message()), Not(HasSubstr("nothing answers")));
}

// The registry's own UNAVAILABLE came over a working connection: it too may have been carried
// out in part, and is not taken for a server that does not answer; its words stay.
TEST_F(ServerDiesMidCallTest, TheRegistrysOwnUnavailableKeepsItsWords) {
  admin_.refuse = true;
  const ConnectionSettings settings = ClerkAt(relay_->address());
  const absl::StatusOr<v1::RotateKeysResponse> refused = RotateKeys(settings);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_THAT(std::string(ExplainUnavailable(settings, refused.status()).message()),
              HasSubstr("(the registry cannot record this call; try again later)"));
}

// gRPC names the channel's target as the peer of a call that never connected: such a call is
// not marked, and is explained by the probe as before.
TEST_F(ServerDiesMidCallTest, ACallThatNeverConnectedIsNotMarkedAsSent) {
  int port = 0;
  close(ListenOnLoopback(1, &port));
  const ConnectionSettings nobody = ClerkAt(absl::StrCat("127.0.0.1:", port));
  const absl::StatusOr<v1::RotateKeysResponse> unanswered = RotateKeys(nobody);
  ASSERT_EQ(unanswered.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(SentBeforeFailure(unanswered.status())) << unanswered.status();
  EXPECT_THAT(std::string(ExplainUnavailable(nobody, unanswered.status()).message()),
              StartsWith(absl::StrCat("nothing answers at ", nobody.server)));

  HandshakeBreakingServer closing(HandshakeBreakingServer::Behaviour::kClose);
  const absl::StatusOr<v1::RotateKeysResponse> cut = RotateKeys(ClerkAt(closing.address()));
  ASSERT_EQ(cut.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(SentBeforeFailure(cut.status())) << cut.status();
  EXPECT_EQ(admin_.rotations, 0);
}

// gRPC's own words of the break ("recvmsg:Connection reset by peer") named a system call: the
// break is said in the user's terms, without them.
TEST(ExplainUnavailableTest, AStatusMarkedAsSentIsNotProbedAndSaysTheConnectionBroke) {
  int port = 0;
  close(ListenOnLoopback(1, &port));
  const ConnectionSettings settings = ClerkAt(absl::StrCat("127.0.0.1:", port));
  const absl::Status marked =
      MarkSentBeforeFailure(absl::UnavailableError("recvmsg:Connection reset by peer"));
  EXPECT_TRUE(SentBeforeFailure(marked));
  EXPECT_FALSE(SentBeforeFailure(absl::UnavailableError("recvmsg:Connection reset by peer")));
  const absl::Status told = ExplainUnavailable(settings, marked);
  EXPECT_EQ(told.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(told.message(),
            absl::StrCat("the connection to the registry at ", settings.server,
                         " broke after the call had reached it; whether it was carried out is not "
                         "known, so check before trying again (with a read, or `audit list` as "
                         "an auditor)"));
  for (const char* words : {"Socket closed", "sendmsg:Broken pipe", "GOAWAY received",
                            "keepalive watchdog timeout"}) {
    EXPECT_THAT(std::string(ExplainUnavailable(
                                settings, MarkSentBeforeFailure(absl::UnavailableError(words)))
                                .message()),
                Not(HasSubstr(words)));
  }
}

// A call the registry stopped (Ctrl-C of registryd) was "error: CANCELLED: ... (CANCELLED): the
// connection broke ...": the code twice, and a broken connection said of a call that was stopped.
TEST(HowTheCallEndedTest, ACallTheRegistryStoppedIsSaidSoWithoutRepeatingTheCode) {
  const ConnectionSettings settings = ClerkAt("127.0.0.1:4760");
  for (const char* words : {"CANCELLED", "Cancelled", "Cancelled on the server side"}) {
    const std::string said = HowTheCallEnded(settings, absl::CancelledError(words));
    EXPECT_EQ(said,
              "the registry at 127.0.0.1:4760 stopped the call before answering it (registryd "
              "was stopping, or could not finish it)")
        << words;
  }
  // The registry's own words are its, and kept.
  EXPECT_THAT(HowTheCallEnded(settings, absl::UnavailableError("audit log unavailable")),
              HasSubstr("(audit log unavailable)"));
  EXPECT_THAT(HowTheCallEnded(settings, absl::CancelledError("the data check is running")),
              HasSubstr("(the data check is running; "));
}

class RefusedCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start(); }
  std::unique_ptr<TestServer> server_;
};

TEST_F(RefusedCertificateTest, AnExpiredIdentityIsToldSoBeforeConnecting) {
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  const CliRun run = Health(server_->address(), "expired");
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, StartsWith("error: UNAUTHENTICATED: your certificate ("));
  EXPECT_THAT(run.err, HasSubstr("expired/cert.pem) expired on 2020-01-02T00:00:00Z"));
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before);
}

// The README promises both refusals "with what to do and where it goes"; the expired one said
// neither whom to ask nor where the new certificate goes.
TEST_F(RefusedCertificateTest, AnExpiredAndARevokedCertificateAreRefusedInTheSameWords) {
  const CliRun expired = Health(server_->address(), "expired");
  const CliRun revoked = Health(server_->address(), "revoked");
  const std::string advice =
      ": the registry refuses it; ask the registry office for a new certificate and put it in "
      "your identity folder ";
  EXPECT_THAT(::registry::testing::Flowed(expired.err),
              HasSubstr(absl::StrCat("expired/cert.pem) expired on 2020-01-02T00:00:00Z", advice,
                                     TestPki::Get().IdentityDir("expired"), " (--identity)")));
  EXPECT_THAT(::registry::testing::Flowed(revoked.err),
              HasSubstr(absl::StrCat("revoked/cert.pem) is revoked", advice,
                                     TestPki::Get().IdentityDir("revoked"), " (--identity)")));
}

TEST_F(RefusedCertificateTest, ARevokedOrUnknownCertificateIsToldItWasRefused) {
  // A certificate of another CA fails the handshake: the probe tells it from a server that does
  // not answer.
  const CliRun untrusted = Health(server_->address(), "untrusted");
  EXPECT_EQ(untrusted.code, 1);
  EXPECT_THAT(untrusted.err, StartsWith("error: UNAUTHENTICATED: the server refused this "
                                        "certificate (revoked, unknown CA or not yet valid): "));
  EXPECT_THAT(untrusted.err, HasSubstr("untrusted/cert.pem"));
  // A revoked one completes the handshake and the registry itself says why it refuses it.
  const CliRun revoked = Health(server_->address(), "revoked");
  EXPECT_EQ(revoked.code, 1);
  // Said with what to do and where the new certificate goes, as an expired one is.
  EXPECT_THAT(revoked.err, StartsWith("error: UNAUTHENTICATED: your certificate ("));
  EXPECT_THAT(::registry::testing::Flowed(revoked.err),
              HasSubstr("revoked/cert.pem) is revoked: the registry refuses it; ask the registry "
                        "office for a new certificate and put it in your identity folder "));
  // The probe finds nothing wrong with an accepted identity.
  ConnectionSettings settings = ClerkAt(server_->address());
  EXPECT_EQ(ProbeTls(settings).outcome, TlsProbe::Outcome::kAccepted);
  // A server certificate of another name than the address is the server's problem, said so.
  settings.server_name = "registry.example";
  EXPECT_EQ(ProbeTls(settings).outcome, TlsProbe::Outcome::kServerNotTrusted);
}

// A server's certificate used as a client's (--identity pki/server) was told "revoked, unknown
// CA or not yet valid", none of which it is: it is not made for client authentication.
TEST_F(RefusedCertificateTest, AServersCertificateIsSaidNotToBeMadeForClientAuthentication) {
  const CliRun run = Health(server_->address(), "server");
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, StartsWith("error: UNAUTHENTICATED: the server refused this certificate: "));
  EXPECT_THAT(::registry::testing::Flowed(run.err),
              HasSubstr("server/cert.pem is not made for client authentication"));
  EXPECT_THAT(run.err, Not(HasSubstr("revoked, unknown CA")));
}

TEST_F(RefusedCertificateTest, AServerThatIsDownIsSaidToBeDown) {
  const std::string address = server_->address();
  server_->Stop();
  const CliRun run = Health(address, "clerk");
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, StartsWith(absl::StrCat("error: UNAVAILABLE: nothing answers at ", address,
                                               " (Connection refused): is registryd running "
                                               "there?")));
}

// A call made as registry-cli makes it, with the status registry-cli would see (FailedCallStatus,
// which reads the registry's trailing mark).
template <typename Call>
absl::Status CallAsTheClient(const ConnectionSettings& settings, Call call) {
  grpc::ClientContext context;
  PrepareContext(settings, &context);
  const grpc::Status status = call(&context);
  if (status.ok()) return absl::OkStatus();
  return FailedCallStatus(settings, context, status);
}

// On a full disk registryd refuses a call it cannot record (nothing was done), and registry-cli
// said "whether it was carried out is not known, so check before trying again": the registry now
// marks the refusal, and the client says that nothing was done.
TEST(RegistryRefusalTest, ARecordTheRegistryCouldNotRecordIsSaidToHaveDoneNothing) {
  registry::testing::SwitchableFault fault;
  registry::testing::TestServerOptions options;
  options.fault_injector = &fault;
  std::unique_ptr<TestServer> server = TestServer::Start(std::move(options));
  const ConnectionSettings settings = ClerkAt(server->address());
  std::shared_ptr<grpc::Channel> channel = *CreateChannel(settings);
  auto stub = v1::RecordService::NewStub(channel);
  const v1::CreateRecordRequest record = registry::testing::ExampleRecord();
  const auto create = [&](grpc::ClientContext* context) {
    v1::CreateRecordResponse response;
    return stub->CreateRecord(context, record, &response);
  };

  fault.set_failing(true);
  const absl::Status refused = CallAsTheClient(settings, create);
  fault.set_failing(false);
  ASSERT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_TRUE(RefusedWithNothingDone(refused)) << refused;
  const absl::Status told = ExplainUnavailable(settings, refused);
  EXPECT_EQ(told.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(told.message(),
            absl::StrCat("the registry at ", settings.server,
                         " refused the call: nothing was done; try again later (the registry "
                         "cannot record this call; try again later)"));
  // It was not: the same record is entered now, not found to be there already.
  EXPECT_TRUE(CallAsTheClient(settings, create).ok());
}

// The keys are rotated by the handler under events of their own before the call's event is
// written: when that one fails, the rotation may stand, and the call is not marked.
TEST(RegistryRefusalTest, ACallWhoseHandlerRanWithoutCommittingIsNotSaidToHaveDoneNothing) {
  registry::testing::SwitchableFault fault;
  registry::testing::TestServerOptions options;
  options.fault_injector = &fault;
  std::unique_ptr<TestServer> server = TestServer::Start(std::move(options));
  const ConnectionSettings settings =
      registry::testing::IdentitySettingsAt(server->address(), "admin");
  auto stub = v1::AdminService::NewStub(*CreateChannel(settings));
  fault.set_failing(true);
  const absl::Status failed = CallAsTheClient(settings, [&](grpc::ClientContext* context) {
    v1::RotateKeysResponse response;
    return stub->RotateKeys(context, v1::RotateKeysRequest(), &response);
  });
  fault.set_failing(false);
  ASSERT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  EXPECT_FALSE(RefusedWithNothingDone(failed)) << failed;
}

// A registry whose audit log cannot be written (a full disk) refuses every call and marks it as
// done with nothing. whoami said the outcome was not known, record create printed the registry's
// bare words, and record import said its batch "got no answer, so whether it was entered is not
// known": the three say the same refusal, the import adding what became of its rows.
TEST(RegistryRefusalTest, WhoamiRecordCreateAndRecordImportSayTheRefusalInTheSameWords) {
  registry::testing::SwitchableFault fault;
  registry::testing::TestServerOptions options;
  options.fault_injector = &fault;
  std::unique_ptr<TestServer> server = TestServer::Start(std::move(options));
  const std::string refusal =
      absl::StrCat("the registry at ", server->address(),
                   " refused the call: nothing was done; try again later (the registry cannot "
                   "record this call; try again later)");
  const std::vector<std::vector<std::string>> commands = {
      {"whoami"},
      {"record", "create", "--file", REGISTRY_SOURCE_DIR "/deploy/examples/record.json"},
      {"record", "import", REGISTRY_SOURCE_DIR "/deploy/examples/import.csv"}};
  fault.set_failing(true);
  for (const std::vector<std::string>& command : commands) {
    SCOPED_TRACE(absl::StrJoin(command, " "));
    const registry::testing::CliRun run = registry::testing::RunCliCaptured(
        registry::testing::CliArgsAs(server->address(), "clerk", command));
    EXPECT_EQ(run.code, 1) << run.err;
    // The import's lines are laid out as the client's own problems are (at 80 columns).
    EXPECT_THAT(Flowed(run.err), StartsWith(absl::StrCat("error: UNAVAILABLE: ", refusal, " ")));
    EXPECT_THAT(run.err, Not(HasSubstr("not known")));
    const registry::testing::CliRun json = registry::testing::RunCliCaptured(
        registry::testing::CliArgsAs(server->address(), "clerk", command, /*json=*/true));
    EXPECT_EQ(json.code, 1) << json.err;
    EXPECT_THAT(json.err,
                StartsWith(absl::StrCat(R"({"error":{"code":"UNAVAILABLE","message":")", refusal)));
    if (command.front() == "whoami" || command[1] == "create") {
      EXPECT_EQ(run.err, absl::StrCat("error: UNAVAILABLE: ", refusal, "\n"));
    } else {
      // The import's rows: the batch was refused, and nothing of it entered.
      EXPECT_THAT(Flowed(run.err),
                  HasSubstr("the batch of lines 2..6 was refused, so nothing of it was entered; "
                            "no row was sent before it; no row was left to send after it: run "
                            "the same import again"));
    }
  }
  fault.set_failing(false);
  // Nothing was: the record is entered now, not found to be there already.
  const registry::testing::CliRun created = registry::testing::RunCliCaptured(
      registry::testing::CliArgsAs(server->address(), "clerk", commands[1]));
  EXPECT_EQ(created.code, 0) << created.err;
}

// Only the registry's mark, exactly: "1" once. gRPC's own UNAVAILABLE carries none, and a call
// cut after it reached the server keeps "not known".
class MarkingAdmin final : public v1::AdminService::Service {
 public:
  std::vector<std::string> marks;
  grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
  grpc::Status RotateKeys(grpc::ServerContext* context, const v1::RotateKeysRequest*,
                          v1::RotateKeysResponse*) override {
    for (const std::string& mark : marks) context->AddTrailingMetadata(kNotDoneMetadataKey, mark);
    return grpc::Status(code, "the registry cannot record this call; try again later");
  }
};

TEST(RegistryRefusalTest, OnlyTheRegistrysExactMarkOnAnUnavailableSaysNothingWasDone) {
  MarkingAdmin admin;
  int port = 0;
  std::unique_ptr<grpc::Server> server = registry::testing::StartFakeRegistry({&admin}, &port);
  ASSERT_NE(server, nullptr);
  const ConnectionSettings settings = ClerkAt(absl::StrCat("127.0.0.1:", port));
  auto stub = v1::AdminService::NewStub(*CreateChannel(settings));
  const auto rotate = [&] {
    return CallAsTheClient(settings, [&](grpc::ClientContext* context) {
      v1::RotateKeysResponse response;
      return stub->RotateKeys(context, v1::RotateKeysRequest(), &response);
    });
  };
  admin.marks = {"1"};
  EXPECT_TRUE(RefusedWithNothingDone(rotate()));
  for (const std::vector<std::string>& marks :
       std::vector<std::vector<std::string>>{{}, {"0"}, {"yes"}, {"1", "1"}}) {
    admin.marks = marks;
    const absl::Status status = rotate();
    EXPECT_FALSE(RefusedWithNothingDone(status)) << marks.size();
    EXPECT_THAT(std::string(ExplainUnavailable(settings, status).message()),
                HasSubstr("whether it was carried out is not known"));
  }
  // A mark on another code is no refusal of this kind.
  admin.marks = {"1"};
  admin.code = grpc::StatusCode::INTERNAL;
  EXPECT_FALSE(RefusedWithNothingDone(rotate()));
  server->Shutdown();
}

// registry-cli with its standard output on /dev/full (a full disk), against `server`.
CliRun RunWithOutputOnAFullDisk(const TestServer& server, const std::vector<std::string>& args) {
  const int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << "no /dev/full";
  std::ostringstream err;
  std::vector<std::string> full = {"--server", server.address(), "--identity",
                                   TestPki::Get().IdentityDir("clerk")};
  full.insert(full.end(), args.begin(), args.end());
  int code = -1;
  {
    FdOutputBuffer buffer(fd, /*unbuffered=*/false);
    std::ostream out(&buffer);
    code = RunCli(
        full, [](absl::string_view) -> std::optional<std::string> { return std::nullopt; }, out,
        err, false);
  }
  close(fd);
  return {code, err.str()};
}

// `record create ... > /dev/full` said only "cannot write the output" and exited 1, though the
// record had been created, its id nowhere: a script took it for not done and entered it again.
TEST(OutputLostTest, ARecordCreatedWhoseOutputCannotBeWrittenIsNamedAndExitsThree) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string file = REGISTRY_SOURCE_DIR "/deploy/examples/record.json";
  const CliRun created = RunWithOutputOnAFullDisk(*server, {"record", "create", "--file", file});
  EXPECT_EQ(created.code, kExitOutputLost) << created.err;
  const std::string start =
      "error: FAILED_PRECONDITION: the change was made (record create printed: ";
  ASSERT_THAT(created.err, StartsWith(start));
  const std::string id = created.err.substr(start.size(), 32);
  EXPECT_TRUE(std::all_of(id.begin(), id.end(), [](char c) { return absl::ascii_isxdigit(c); }))
      << created.err;
  EXPECT_EQ(created.err.substr(start.size() + 32),
            "), but the output could not be written: No space left on device; only the output was "
            "lost: do not run the command again\n");

  // With --json, the response as it would have been printed: the id and the version.
  const CliRun amended = RunWithOutputOnAFullDisk(
      *server, {"--json", "record", "amend", id, "--set", "case-number=P 99/2025", "--reason",
                "correction"});
  EXPECT_EQ(amended.code, kExitOutputLost) << amended.err;
  EXPECT_THAT(amended.err, StartsWith("{\"error\":{\"code\":\"FAILED_PRECONDITION\",\"message\":"
                                      "\"the change was made (record amend printed: "));
  EXPECT_THAT(amended.err, HasSubstr(absl::StrCat("\\\"record_id\\\":\\\"", id)));
  EXPECT_THAT(amended.err, HasSubstr("\\\"version\\\":2"));

  // A read changes nothing: its lost output is the error it was.
  const CliRun read = RunWithOutputOnAFullDisk(*server, {"whoami"});
  EXPECT_EQ(read.code, kExitError) << read.err;
  EXPECT_EQ(read.err,
            "error: FAILED_PRECONDITION: cannot write the output: No space left on device; what "
            "was written of it is incomplete\n");
}

// `registry-cli ARGS` with COLUMNS as given (none when empty), stderr not a terminal.
CliRun RunWithColumns(const std::vector<std::string>& args, const std::string& columns) {
  std::ostringstream out, err;
  const int code = RunCli(
      args,
      [&](absl::string_view name) -> std::optional<std::string> {
        if (name == "COLUMNS" && !columns.empty()) return columns;
        return std::nullopt;
      },
      out, err, false);
  return {code, err.str()};
}

// The error of `err`: what comes before the usage a mistake on the command line adds.
std::string ErrorPart(const std::string& err) {
  return std::string(absl::StripSuffix(err.substr(0, err.find("\nusage: ")), "\n"));
}

// Whether `text` is laid out as one wrap at `width` leaves it: no line wider, and none the next
// line's first word would still have fitted on (a line wrapped twice breaks early).
bool WrappedOnceAt(const std::string& text, size_t width) {
  const std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].size() > width) return false;
    if (i + 1 == lines.size()) break;
    const absl::string_view next = absl::StripLeadingAsciiWhitespace(lines[i + 1]);
    const size_t word = std::min(next.find(' '), next.size());
    if (lines[i].size() + 1 + word <= width) return false;
  }
  return true;
}

// An identity problem was wrapped twice: at 80 columns without the "error: INVALID_ARGUMENT: "
// before it, then again as printed, leaving a short line ("...: encrypted") on a terminal; and in
// a pipe its first line was 101 columns, the rest on another. It is wrapped once, as printed, to
// the terminal (or COLUMNS), and whole on its line in a pipe.
TEST(ErrorLayoutTest, AnIdentityProblemIsWrappedOnceOnATerminalAndWholeInAPipe) {
  const std::string dir = ::registry::testing::MakeTempDir("tls-probe-test");
  const TestPki& pki = TestPki::Get();
  std::ofstream(dir + "/ca.pem") << pki.ReadFile("clerk/ca.pem");
  std::ofstream(dir + "/cert.pem") << pki.ReadFile("clerk/cert.pem");
  std::ofstream(dir + "/key.pem") << EncryptedKeyPem(pki.ReadFile("clerk/key.pem"));
  const std::vector<std::string> args = {"--server", "127.0.0.1:7443", "--identity", dir,
                                         "health"};
  const CliRun piped = RunWithColumns(args, "");
  const CliRun at80 = RunWithColumns(args, "80");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(piped.code, kExitUsage) << piped.err;
  EXPECT_EQ(ErrorPart(piped.err),
            absl::StrCat("error: INVALID_ARGUMENT: --identity ", dir,
                         "/key.pem: encrypted with a passphrase; registry-cli needs an "
                         "unencrypted key (mode 0600)"));
  EXPECT_THAT(ErrorPart(at80.err), HasSubstr("\n    ")) << at80.err;
  EXPECT_TRUE(WrappedOnceAt(ErrorPart(at80.err), 80)) << at80.err;
  EXPECT_EQ(Flowed(ErrorPart(at80.err)), ErrorPart(piped.err));
}

// `record import` with registryd down put its note ("the batch of lines ... was not sent") on
// lines of 78 columns in a file, and the error before it stayed whole: a single call's error
// is one line there. Each is whole on its line in a file or a pipe, and wrapped on a terminal.
TEST(ErrorLayoutTest, AnImportsErrorAndWhatBecameOfItsRowsAreALineEachInAFile) {
  int port = 0;
  close(ListenOnLoopback(1, &port));
  const std::vector<std::string> args = {
      "--server", absl::StrCat("127.0.0.1:", port), "--identity",
      TestPki::Get().IdentityDir("clerk"), "record", "import",
      REGISTRY_SOURCE_DIR "/deploy/examples/import.csv"};
  const CliRun file = RunWithColumns(args, "");
  EXPECT_EQ(file.code, kExitError) << file.err;
  const std::vector<std::string> lines = absl::StrSplit(absl::StripSuffix(file.err, "\n"), '\n');
  ASSERT_EQ(lines.size(), 2u) << file.err;
  EXPECT_THAT(lines[0], StartsWith(absl::StrCat("error: UNAVAILABLE: nothing answers at 127.0.0.1:",
                                                port, " (")));
  EXPECT_THAT(lines[0], ::testing::EndsWith("(--server, $REGISTRY_SERVER)"));
  EXPECT_THAT(lines[1], StartsWith("the batch of lines "));
  EXPECT_THAT(lines[1], ::testing::EndsWith("never entered twice"));

  const CliRun terminal = RunWithColumns(args, "80");
  EXPECT_GT(std::count(terminal.err.begin(), terminal.err.end(), '\n'), 2) << terminal.err;
  for (absl::string_view line : absl::StrSplit(terminal.err, '\n')) {
    EXPECT_LE(line.size(), 80u) << terminal.err;
  }
  EXPECT_EQ(Flowed(terminal.err), Flowed(file.err));
}

}  // namespace
}  // namespace registry::client
