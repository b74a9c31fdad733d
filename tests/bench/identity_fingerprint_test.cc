// CertificateFingerprint, which the call gate runs on every call for the certificate deny list.
// registry-bench's profile showed the former X.509 re-parse as most of a vetting check's server
// CPU; the PEM body is now decoded directly. These tests pin the result to what OpenSSL's
// command line prints for the dev PKI (fingerprint.sha256, written by deploy/pki/dev-pki.sh).
#include <string>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "server/identity.h"
#include "tests/testing/test_pki.h"

namespace registry::server {
namespace {

using registry::testing::TestPki;

TEST(CertificateFingerprintTest, MatchesOpensslForEveryDevIdentity) {
  for (const char* name : {"clerk", "court", "vetting", "vetting2", "auditor", "admin", "nouri",
                           "cn-uri", "two-uris", "unlisted", "expired", "revoked",
                           "revoked-later", "untrusted"}) {
    const TestPki::Identity id = TestPki::Get().LoadIdentity(name);
    absl::StatusOr<std::string> fp = CertificateFingerprint(id.cert_pem);
    ASSERT_TRUE(fp.ok()) << name << ": " << fp.status();
    EXPECT_EQ(*fp, id.fingerprint) << name;
  }
}

TEST(CertificateFingerprintTest, IgnoresLineEndingsAndTakesTheFirstCertificate) {
  const TestPki::Identity clerk = TestPki::Get().LoadIdentity("clerk");
  const TestPki::Identity court = TestPki::Get().LoadIdentity("court");
  const std::string crlf = absl::StrReplaceAll(clerk.cert_pem, {{"\n", "\r\n"}});
  EXPECT_EQ(CertificateFingerprint(crlf).value_or(""), clerk.fingerprint);
  EXPECT_EQ(CertificateFingerprint(clerk.cert_pem + court.cert_pem).value_or(""),
            clerk.fingerprint);
  EXPECT_EQ(CertificateFingerprint("junk before\n" + court.cert_pem).value_or(""),
            court.fingerprint);
}

TEST(CertificateFingerprintTest, UnreadableCertificateIsUnauthenticated) {
  const std::string pem = TestPki::Get().LoadIdentity("clerk").cert_pem;
  const std::string no_end = pem.substr(0, pem.find("-----END"));
  std::string bad_base64 = pem;
  bad_base64[pem.find('\n') + 5] = '*';
  for (const std::string& input :
       {std::string(), std::string("not a certificate"), no_end, bad_base64,
        std::string("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")}) {
    EXPECT_EQ(CertificateFingerprint(input).status().code(), absl::StatusCode::kUnauthenticated)
        << input;
  }
}

}  // namespace
}  // namespace registry::server
