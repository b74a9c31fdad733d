// registryd's transport: mTLS only. A trusted client identity reaches the service; no client
// certificate, a certificate from an untrusted CA, an expired certificate, or a plaintext
// connection never reach a handler (the audit log does not grow). (Revoked certificates are
// refused by the call gate: revocation_test.cc.) A server certificate replaced on disk reaches
// new connections within seconds, without a restart.
#include <cstdlib>

#include "absl/time/clock.h"
#include "grpc/grpc_security_constants.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/identity.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         HealthCheckResponse* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return Health::NewStub(channel)->Check(&ctx, HealthCheckRequest(), resp);
}

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start(); }
  std::unique_ptr<TestServer> server_;
};

TEST_F(ServerTlsTest, HealthServingWithTrustedIdentity) {
  HealthCheckResponse resp;
  grpc::Status s = CheckHealth(server_->Channel("clerk"), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
}

TEST_F(ServerTlsTest, RefusesClientWithoutCertificate) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = TestPki::Get().CaPem();
  auto channel = grpc::CreateChannel(server_->address(), grpc::SslCredentials(ssl));
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  HealthCheckResponse resp;
  EXPECT_EQ(CheckHealth(channel, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A registry RPC never reaches the gate either.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  registry::v1::PublicKey key;
  EXPECT_FALSE(registry::v1::VettingService::NewStub(channel)
                   ->GetVettingPublicKey(&ctx, {}, &key)
                   .ok());
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before);
}

TEST_F(ServerTlsTest, RefusesUntrustedAndExpiredCertificates) {
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  for (const char* identity : {"untrusted", "expired"}) {
    HealthCheckResponse resp;
    EXPECT_EQ(CheckHealth(server_->Channel(identity), &resp).error_code(),
              grpc::StatusCode::UNAVAILABLE)
        << identity;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    registry::v1::PublicKey key;
    EXPECT_EQ(registry::v1::VettingService::NewStub(server_->Channel(identity))
                  ->GetVettingPublicKey(&ctx, {}, &key)
                  .error_code(),
              grpc::StatusCode::UNAVAILABLE)
        << identity;
  }
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before);
}

TEST_F(ServerTlsTest, RefusesPlaintext) {
  auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  HealthCheckResponse resp;
  EXPECT_EQ(CheckHealth(channel, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServerTlsTest, RegistryCallFromTrustedIdentityIsAudited) {
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  grpc::ClientContext ctx;
  registry::v1::PublicKey key;
  grpc::Status s = registry::v1::VettingService::NewStub(server_->Channel("court"))
                       ->GetVettingPublicKey(&ctx, {}, &key);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(key.ed25519().size(), 32u);
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before + 1);
}

TEST_F(ServerTlsTest, ReplacedServerCertificateReachesNewConnections) {
  const TestPki& pki = TestPki::Get();
  const std::string first = pki.LoadIdentity("server").fingerprint;
  const std::string second = pki.LoadIdentity("server2").fingerprint;
  ASSERT_NE(first, second);
  ASSERT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")), first);

  // As an operator would: the new key and certificate, each written whole.
  testing::WriteFileAtomically(server_->tls_dir() + "/key.pem", pki.ReadFile("server2/key.pem"));
  testing::WriteFileAtomically(server_->tls_dir() + "/cert.pem",
                               pki.ReadFile("server2/cert.pem"));

  // Each attempt is a new channel, hence a new connection and handshake.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string seen = ServerCertificateSeenBy(server_->Channel("clerk"));
  while (seen != second && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    seen = ServerCertificateSeenBy(server_->Channel("clerk"));
  }
  EXPECT_EQ(seen, second) << "the replaced server certificate was not served within 20 s";
}

}  // namespace
}  // namespace registry::testing
