// registryd's transport: mTLS only. A trusted client identity reaches the service; no client
// certificate, a certificate from an untrusted CA, an expired or revoked certificate, or a
// plaintext connection never reach a handler (the audit log does not grow).
#include <cstdlib>

#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::TestPki;
using testing::TestServer;

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

TEST_F(ServerTlsTest, RefusesUntrustedExpiredAndRevokedCertificates) {
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  for (const char* identity : {"untrusted", "expired", "revoked"}) {
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

}  // namespace
}  // namespace registry
