// The caller's identity is the client certificate's one URI SAN and nothing else: no URI SAN
// (whatever the subject CN says) or several URI SANs name no identity.
#include "server/identity.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace registry::server {
namespace {

using ::testing::HasSubstr;
using testing::TestPki;

std::shared_ptr<const ClientCertificate> Parse(ClientCertificates& cache, const char* identity) {
  auto cert = cache.FromPem(TestPki::Get().LoadIdentity(identity).cert_pem);
  EXPECT_TRUE(cert.ok()) << identity << ": " << cert.status();
  return cert.ok() ? *cert : nullptr;
}

TEST(IdentityTest, TheIdentityIsTheOneUriSan) {
  ClientCertificates cache;
  auto clerk = Parse(cache, "clerk");
  ASSERT_NE(clerk, nullptr);
  EXPECT_EQ(IdentityOf(*clerk).value_or(""), "spiffe://registry.kjc.dev/clerk/dev-clerk");
  EXPECT_EQ(clerk->fingerprint, TestPki::Get().LoadIdentity("clerk").fingerprint);
}

TEST(IdentityTest, SubjectCnIsNeverAnIdentity) {
  ClientCertificates cache;
  for (const char* name : {"nouri", "cn-uri"}) {
    auto cert = Parse(cache, name);
    ASSERT_NE(cert, nullptr);
    EXPECT_THAT(cert->uri_sans, ::testing::IsEmpty()) << name;
    absl::StatusOr<std::string> id = IdentityOf(*cert);
    EXPECT_EQ(id.status().code(), absl::StatusCode::kUnauthenticated) << name;
    EXPECT_THAT(std::string(id.status().message()), HasSubstr("no URI SAN")) << name;
  }
}

TEST(IdentityTest, SeveralUriSansAreRefused) {
  ClientCertificates cache;
  auto cert = Parse(cache, "two-uris");
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(cert->uri_sans.size(), 2u);
  absl::StatusOr<std::string> id = IdentityOf(*cert);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("more than one"));
}

TEST(IdentityTest, IdentityIsPrintableAsciiOfAtMost256Bytes) {
  ClientCertificate cert;
  for (const std::string& bad : {std::string(""), std::string("spiffe://x/a b"),
                                 std::string("spiffe://x/a\nlevel=info msg=forged"),
                                 std::string("spiffe://x/\xc3\xa9"),
                                 "spiffe://x/" + std::string(246, 'a')}) {
    cert.uri_sans = {bad};
    EXPECT_EQ(IdentityOf(cert).status().code(), absl::StatusCode::kUnauthenticated) << bad;
  }
  cert.uri_sans = {"spiffe://x/" + std::string(245, 'a')};
  EXPECT_TRUE(IdentityOf(cert).ok());
}

TEST(ClientCertificatesTest, ParsesOnceAndForgetsTheOldestPastCapacity) {
  ClientCertificates cache(2);
  auto first = Parse(cache, "clerk");
  EXPECT_EQ(Parse(cache, "clerk"), first) << "the second call is served from the cache";
  Parse(cache, "court");
  Parse(cache, "vetting");
  EXPECT_EQ(cache.size(), 2u);
  auto again = Parse(cache, "clerk");
  ASSERT_NE(again, nullptr);
  EXPECT_NE(again, first) << "the oldest entry was forgotten and parsed anew";
  EXPECT_EQ(again->fingerprint, first->fingerprint);
}

// The cache is keyed by the PEM text: the same certificate written with other line breaks is
// another entry, parsed from its own bytes, and the same certificate.
TEST(ClientCertificatesTest, TheSameCertificateInOtherPemTextIsParsedFromItsOwnBytes) {
  ClientCertificates cache;
  const std::string pem = TestPki::Get().LoadIdentity("clerk").cert_pem;
  std::string rewrapped = pem;
  const size_t newline = rewrapped.find('\n', rewrapped.find("-----BEGIN"));
  ASSERT_NE(newline, std::string::npos);
  rewrapped.insert(newline + 20, "\n");
  auto first = cache.FromPem(pem);
  auto second = cache.FromPem(rewrapped);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_EQ((*first)->fingerprint, (*second)->fingerprint);
  EXPECT_EQ((*first)->serial_hex, (*second)->serial_hex);
  EXPECT_EQ(cache.size(), 2u);
  // Another certificate's text is never served from an entry of this one.
  auto court = cache.FromPem(TestPki::Get().LoadIdentity("court").cert_pem);
  ASSERT_TRUE(court.ok());
  EXPECT_NE((*court)->fingerprint, (*first)->fingerprint);
}

TEST(ClientCertificatesTest, UnreadableCertificateIsUnauthenticated) {
  ClientCertificates cache;
  for (const std::string& pem :
       {std::string("no pem"), std::string("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                            "-----END CERTIFICATE-----\n")}) {
    EXPECT_EQ(cache.FromPem(pem).status().code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace registry::server
