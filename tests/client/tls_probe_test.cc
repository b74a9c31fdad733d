// A certificate the server refuses is said to be refused, and why, not reported as a server that
// is down: an expired or not yet valid certificate before connecting, a revoked one or one of
// another CA from the handshake; and a server that is down is said to be down.
#include "client/tls_probe.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::client {
namespace {

using ::registry::testing::TestPki;
using ::registry::testing::TestServer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct CliRun {
  int code;
  std::string err;
};

CliRun Health(const std::string& server, const std::string& identity) {
  std::ostringstream out, err;
  const int code = RunCli(
      {"--server", server, "--identity", TestPki::Get().IdentityDir(identity), "health"},
      [](absl::string_view) -> std::optional<std::string> { return std::nullopt; }, out, err,
      false);
  return {code, err.str()};
}

TEST(CheckOwnCertificateTest, ExpiredAndNotYetValidCertificatesAreNamedWithTheirDates) {
  const std::string expired = TestPki::Get().ReadFile("expired/cert.pem");
  const absl::Status status = CheckOwnCertificate(expired, "id/cert.pem", absl::Now());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(status.message(),
            "your certificate (id/cert.pem) expired on 2020-01-02T00:00:00Z: "
            "the server refuses it; ask for a new certificate");
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
  EXPECT_EQ(revoked.err, "error: UNAUTHENTICATED: client certificate is revoked\n");
  // The probe finds nothing wrong with an accepted identity.
  ConnectionSettings settings;
  settings.server = server_->address();
  settings.ca_file = TestPki::Get().dir() + "/clerk/ca.pem";
  settings.cert_file = TestPki::Get().dir() + "/clerk/cert.pem";
  settings.key_file = TestPki::Get().dir() + "/clerk/key.pem";
  EXPECT_EQ(ProbeTls(settings).outcome, TlsProbe::Outcome::kAccepted);
  // A server certificate of another name than the address is the server's problem, said so.
  settings.server_name = "registry.example";
  EXPECT_EQ(ProbeTls(settings).outcome, TlsProbe::Outcome::kServerNotTrusted);
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

}  // namespace
}  // namespace registry::client
