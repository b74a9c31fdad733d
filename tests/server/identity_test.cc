// The caller's identity is the client certificate's one URI SAN and nothing else: no URI SAN
// (whatever the subject CN says) or several URI SANs name no identity.
#include "server/identity.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"

namespace registry::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
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

TEST(IdentityTest, AnIdentityLongerThan256BytesIsSaidToBeTooLong) {
  ClientCertificate cert;
  cert.uri_sans = {"spiffe://x/" + std::string(246, 'a')};
  const absl::Status refused = IdentityOf(cert).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(refused.message(),
            "client certificate identity is longer than 256 bytes: ask the registry office for a "
            "certificate with a shorter one (URI SAN over 256 bytes)");
}

// A certificate that names no one identity tells its holder what to ask for, the precise reason
// (for whoever issues the new one) in a parenthesis, and repeats nothing the certificate holds:
// a CA has written a name and a birth date into a URI SAN (docs/security.md, row 97).
TEST(IdentityTest, ACertificateNamingNoOneIdentityIsToldWhatToAskTheRegistryOfficeFor) {
  ClientCertificates cache;
  auto none = Parse(cache, "nouri");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(IdentityOf(*none).status().message(),
            "client certificate names no identity: ask the registry office for a certificate "
            "issued for one person or client (no URI SAN)");
  auto two = Parse(cache, "two-uris");
  ASSERT_NE(two, nullptr);
  const std::string several(IdentityOf(*two).status().message());
  EXPECT_EQ(several,
            "client certificate names more than one identity: ask the registry office for a "
            "certificate issued for one person or client (several URI SANs)");
  for (const std::string& uri : two->uri_sans) EXPECT_THAT(several, Not(HasSubstr(uri)));
  ClientCertificate named;
  named.uri_sans = {"urn:Krasniqi Arben 1980-05-05"};
  const std::string unprintable(IdentityOf(named).status().message());
  EXPECT_THAT(unprintable, HasSubstr(": ask the registry office for a certificate"));
  EXPECT_THAT(unprintable, Not(HasSubstr("Krasniqi")));
}

// A certificate the registry CA issues now with dev-clerk's URI SAN and `extensions` besides.
std::shared_ptr<const ClientCertificate> IssuedAsClerk(ClientCertificates& cache,
                                                       const std::string& extensions) {
  const TestPki::Identity issued = TestPki::Get().IssueClient(
      "test-leaf",
      extensions + "\nsubjectAltName = URI:spiffe://registry.kjc.dev/clerk/dev-clerk");
  auto cert = cache.FromPem(issued.cert_pem);
  EXPECT_TRUE(cert.ok()) << extensions << ": " << cert.status();
  return cert.ok() ? *cert : nullptr;
}

constexpr char kClientLeaf[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = clientAuth";

TEST(IdentityTest, TheClientCertificatesOfTheRegistryCaAreForClientsAndNoCas) {
  ClientCertificates cache;
  for (const char* name : {"clerk", "court", "vetting", "auditor", "admin", "unlisted"}) {
    auto cert = Parse(cache, name);
    ASSERT_NE(cert, nullptr);
    EXPECT_TRUE(NotACaCertificate(*cert).ok()) << name;
    EXPECT_TRUE(ForClientAuth(*cert).ok()) << name;
  }
  auto leaf = IssuedAsClerk(cache, kClientLeaf);
  ASSERT_NE(leaf, nullptr);
  EXPECT_TRUE(NotACaCertificate(*leaf).ok());
  EXPECT_TRUE(ForClientAuth(*leaf).ok());
}

// A CA's certificate that the client CA signed, carrying a clerk's URI SAN, passes the handshake:
// it names no caller, whatever its keyUsage says.
TEST(IdentityTest, ACaCertificateNamesNoCaller) {
  ClientCertificates cache;
  for (const std::string& extensions :
       {std::string("basicConstraints = critical, CA:TRUE\n"
                    "keyUsage = critical, digitalSignature, keyCertSign, cRLSign\n"
                    "extendedKeyUsage = clientAuth"),
        std::string("basicConstraints = critical, CA:TRUE, pathlen:0\n"
                    "keyUsage = critical, digitalSignature\n"
                    "extendedKeyUsage = clientAuth"),
        std::string("basicConstraints = critical, CA:TRUE\n"
                    "extendedKeyUsage = clientAuth")}) {
    SCOPED_TRACE(extensions);
    auto cert = IssuedAsClerk(cache, extensions);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(IdentityOf(*cert).value_or(""), "spiffe://registry.kjc.dev/clerk/dev-clerk");
    const absl::Status refused = NotACaCertificate(*cert);
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(refused.message()), HasSubstr("CA certificate"));
  }
  // The registry CA's own certificate too.
  auto ca = cache.FromPem(TestPki::Get().CaPem());
  ASSERT_TRUE(ca.ok()) << ca.status();
  EXPECT_EQ(NotACaCertificate(**ca).code(), absl::StatusCode::kUnauthenticated);
}

TEST(IdentityTest, AKeyThatMaySignCertificatesOrCrlsNamesNoCaller) {
  ClientCertificates cache;
  for (const char* usage : {"digitalSignature, keyCertSign", "digitalSignature, cRLSign"}) {
    SCOPED_TRACE(usage);
    auto cert = IssuedAsClerk(cache, absl::StrCat("basicConstraints = critical, CA:FALSE\n"
                                                  "keyUsage = critical, ",
                                                  usage, "\nextendedKeyUsage = clientAuth"));
    ASSERT_NE(cert, nullptr);
    const absl::Status refused = NotACaCertificate(*cert);
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(refused.message()), HasSubstr("keyCertSign or cRLSign"));
  }
}

// The handshake takes a certificate without extendedKeyUsage for any use; the registry takes
// only one issued for TLS clients.
TEST(IdentityTest, ACertificateNotIssuedForClientAuthNamesNoCaller) {
  ClientCertificates cache;
  for (const char* usage : {"", "\nextendedKeyUsage = serverAuth",
                            "\nextendedKeyUsage = anyExtendedKeyUsage",
                            "\nextendedKeyUsage = codeSigning, emailProtection"}) {
    SCOPED_TRACE(usage);
    auto cert = IssuedAsClerk(cache, absl::StrCat("basicConstraints = critical, CA:FALSE\n"
                                                  "keyUsage = critical, digitalSignature",
                                                  usage));
    ASSERT_NE(cert, nullptr);
    EXPECT_TRUE(NotACaCertificate(*cert).ok());
    const absl::Status refused = ForClientAuth(*cert);
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(refused.message()), HasSubstr("clientAuth"));
  }
  auto both = IssuedAsClerk(cache, "basicConstraints = critical, CA:FALSE\n"
                                   "keyUsage = critical, digitalSignature\n"
                                   "extendedKeyUsage = serverAuth, clientAuth");
  ASSERT_NE(both, nullptr);
  EXPECT_TRUE(ForClientAuth(*both).ok());
}

std::unique_ptr<X509, decltype(&X509_free)> X509FromPem(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), pem.size()),
                                                &BIO_free);
  return {PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free};
}

TEST(IdentityTest, TheValidityPeriodIsTheCertificates) {
  ClientCertificates cache;
  auto clerk = Parse(cache, "clerk");
  auto expired = Parse(cache, "expired");
  ASSERT_NE(clerk, nullptr);
  ASSERT_NE(expired, nullptr);
  EXPECT_LT(clerk->not_before, absl::Now());
  EXPECT_GT(clerk->not_after, absl::Now());
  EXPECT_LT(expired->not_before, expired->not_after);
  EXPECT_LT(expired->not_after, absl::Now());
}

// An ECDSA signature (r, s) is as valid as (r, n - s): anyone holding a certificate can re-encode
// it under another fingerprint. Exactly one twin (the issuer's curve) verifies under the CA; the
// parsed certificate names its fingerprint, so that the deny list catches it too.
TEST(IdentityTest, AnEcdsaSignedCertificatesTwinVerifiesAndIsNamed) {
  const TestPki::Identity court = TestPki::Get().LoadIdentity("court");
  auto x509 = X509FromPem(court.cert_pem);
  auto ca = X509FromPem(court.ca_pem);
  ASSERT_NE(x509, nullptr);
  ASSERT_NE(ca, nullptr);
  const std::vector<std::string> twins = EcdsaTwins(x509.get());
  ASSERT_FALSE(twins.empty());
  ClientCertificates cache;
  auto parsed = Parse(cache, "court");
  ASSERT_NE(parsed, nullptr);
  int verified = 0;
  for (const std::string& der : twins) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<X509, decltype(&X509_free)> twin(d2i_X509(nullptr, &p, der.size()),
                                                     &X509_free);
    ASSERT_NE(twin, nullptr);
    const std::string fingerprint = absl::BytesToHexString(crypto::Sha256(der));
    EXPECT_NE(fingerprint, court.fingerprint);
    EXPECT_THAT(parsed->twin_fingerprints, ::testing::Contains(fingerprint));
    EXPECT_EQ(ASN1_INTEGER_cmp(X509_get0_serialNumber(twin.get()),
                               X509_get0_serialNumber(x509.get())),
              0);
    if (X509_verify(twin.get(), X509_get0_pubkey(ca.get())) == 1) ++verified;
  }
  EXPECT_EQ(verified, 1);
  EXPECT_EQ(parsed->twin_fingerprints.size(), twins.size());
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
