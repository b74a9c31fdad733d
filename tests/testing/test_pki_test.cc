#include "tests/testing/test_pki.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::testing {
namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct StoreDeleter {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

const std::vector<std::string>& Roles() {
  static const auto* roles =
      new std::vector<std::string>{"clerk", "court", "vetting", "auditor", "admin"};
  return *roles;
}

const std::vector<std::string>& AllIdentities() {
  static const auto* all = new std::vector<std::string>{
      "server",   "server2",  "clerk",    "court",     "vetting", "auditor",
      "admin",    "unlisted", "nouri",    "cn-uri",    "two-uris", "vetting2",
      "untrusted", "expired", "revoked", "revoked-later"};
  return *all;
}

X509Ptr ParseCert(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), pem.size()), &BIO_free);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// The URI SANs of `cert`.
std::vector<std::string> UriSans(X509* cert) {
  std::vector<std::string> uris;
  std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return uris;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      ASN1_STRING_length(uri));
  }
  return uris;
}

std::string CommonName(X509* cert) {
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
  return cn;
}

// Verifies identity `name` against the registry CA with OpenSSL: the hash directory lookup of
// the CRL folder `crl_folder` of the PKI when `check_crl`, and the TLS purpose. Returns the
// X509_V_* result.
int Verify(const std::string& name, int purpose, bool check_crl,
           const std::string& crl_folder = "crl") {
  const TestPki& pki = TestPki::Get();
  X509Ptr ca = ParseCert(pki.CaPem());
  X509Ptr leaf = ParseCert(pki.LoadIdentity(name).cert_pem);
  if (ca == nullptr || leaf == nullptr) return -1;
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  if (X509_STORE_add_cert(store.get(), ca.get()) != 1) return -1;
  if (check_crl) {
    const std::string dir = crl_folder == "crl" ? pki.CrlDir() : pki.dir() + "/" + crl_folder;
    if (X509_STORE_load_path(store.get(), dir.c_str()) != 1) return -1;
    X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK);
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) return -1;
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  X509_verify_cert(ctx.get());
  return X509_STORE_CTX_get_error(ctx.get());
}

TEST(TestPkiTest, GetReturnsOneInstanceInAPrivateDirectory) {
  const TestPki& pki = TestPki::Get();
  EXPECT_EQ(&pki, &TestPki::Get());
  EXPECT_EQ(ModeOf(pki.dir()), 0700u);
}

TEST(TestPkiTest, IdentityFoldersArePrivateAndKeysAre0600) {
  const TestPki& pki = TestPki::Get();
  for (const std::string& name : AllIdentities()) {
    SCOPED_TRACE(name);
    const std::string dir = pki.IdentityDir(name);
    EXPECT_EQ(dir, absl::StrCat(pki.dir(), "/", name));
    EXPECT_EQ(ModeOf(dir), 0700u);
    EXPECT_EQ(ModeOf(dir + "/key.pem"), 0600u);
    const TestPki::Identity id = pki.LoadIdentity(name);
    EXPECT_TRUE(absl::StartsWith(id.cert_pem, "-----BEGIN CERTIFICATE-----\n"));
    EXPECT_TRUE(absl::StartsWith(id.key_pem, "-----BEGIN PRIVATE KEY-----\n"));
  }
  EXPECT_EQ(ModeOf(pki.dir() + "/ca/ca.key"), 0600u);
  EXPECT_EQ(ModeOf(pki.dir() + "/untrusted-ca/ca.key"), 0600u);
}

TEST(TestPkiTest, EveryIdentityCarriesTheRegistryCa) {
  const TestPki& pki = TestPki::Get();
  const std::string ca = pki.CaPem();
  EXPECT_TRUE(absl::StartsWith(ca, "-----BEGIN CERTIFICATE-----\n"));
  for (const std::string& name : AllIdentities()) {
    EXPECT_EQ(pki.LoadIdentity(name).ca_pem, ca) << name;
  }
  EXPECT_NE(pki.ReadFile("untrusted-ca/ca.pem"), ca);
}

TEST(TestPkiTest, FingerprintIsSha256OfTheCertificateDer) {
  const TestPki& pki = TestPki::Get();
  for (const std::string& name : AllIdentities()) {
    SCOPED_TRACE(name);
    const TestPki::Identity id = pki.LoadIdentity(name);
    X509Ptr cert = ParseCert(id.cert_pem);
    ASSERT_NE(cert, nullptr);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    ASSERT_EQ(X509_digest(cert.get(), EVP_sha256(), digest, &digest_len), 1);
    EXPECT_EQ(id.fingerprint, absl::BytesToHexString(
                                  absl::string_view(reinterpret_cast<char*>(digest), digest_len)));
  }
}

TEST(TestPkiTest, KeysMatchTheirCertificates) {
  const TestPki& pki = TestPki::Get();
  for (const std::string& name : AllIdentities()) {
    SCOPED_TRACE(name);
    const TestPki::Identity id = pki.LoadIdentity(name);
    X509Ptr cert = ParseCert(id.cert_pem);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(id.key_pem.data(), id.key_pem.size()), &BIO_free);
    std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    ASSERT_NE(cert, nullptr);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  }
}

TEST(TestPkiTest, RoleCertificatesNameTheirRoleInTheUriSan) {
  const TestPki& pki = TestPki::Get();
  for (const std::string& role : Roles()) {
    X509Ptr cert = ParseCert(pki.LoadIdentity(role).cert_pem);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(CommonName(cert.get()), "dev-" + role);
    EXPECT_THAT(UriSans(cert.get()), ::testing::ElementsAre(absl::StrCat(
                                         "spiffe://registry.kjc.dev/", role, "/dev-", role)));
  }
}

TEST(TestPkiTest, TestIdentitiesHaveTheirDocumentedNames) {
  const TestPki& pki = TestPki::Get();
  X509Ptr nouri = ParseCert(pki.LoadIdentity("nouri").cert_pem);
  X509Ptr unlisted = ParseCert(pki.LoadIdentity("unlisted").cert_pem);
  X509Ptr vetting2 = ParseCert(pki.LoadIdentity("vetting2").cert_pem);
  ASSERT_NE(nouri, nullptr);
  ASSERT_NE(unlisted, nullptr);
  ASSERT_NE(vetting2, nullptr);
  EXPECT_EQ(CommonName(nouri.get()), "dev-cn-only");
  EXPECT_EQ(X509_get_ext_by_NID(nouri.get(), NID_subject_alt_name, -1), -1);
  EXPECT_THAT(UriSans(unlisted.get()),
              ::testing::ElementsAre("spiffe://registry.kjc.dev/clerk/unlisted"));
  EXPECT_THAT(UriSans(vetting2.get()),
              ::testing::ElementsAre("spiffe://registry.kjc.dev/vetting/dev-vetting2"));
  // A subject CN that spells dev-clerk's identity, and no subjectAltName at all.
  X509Ptr cn_uri = ParseCert(pki.LoadIdentity("cn-uri").cert_pem);
  ASSERT_NE(cn_uri, nullptr);
  EXPECT_EQ(CommonName(cn_uri.get()), "spiffe://registry.kjc.dev/clerk/dev-clerk");
  EXPECT_EQ(X509_get_ext_by_NID(cn_uri.get(), NID_subject_alt_name, -1), -1);
  // Two URI SANs, both principals of the dev policy.
  X509Ptr two = ParseCert(pki.LoadIdentity("two-uris").cert_pem);
  ASSERT_NE(two, nullptr);
  EXPECT_THAT(UriSans(two.get()),
              ::testing::ElementsAre("spiffe://registry.kjc.dev/clerk/dev-clerk",
                                     "spiffe://registry.kjc.dev/court/dev-court"));
  X509Ptr later = ParseCert(pki.LoadIdentity("revoked-later").cert_pem);
  ASSERT_NE(later, nullptr);
  EXPECT_THAT(UriSans(later.get()),
              ::testing::ElementsAre("spiffe://registry.kjc.dev/court/dev-court"));
  // The refused identities claim an identity the policy admits, so only TLS can refuse them.
  for (const char* name : {"expired", "revoked", "untrusted"}) {
    X509Ptr cert = ParseCert(pki.LoadIdentity(name).cert_pem);
    ASSERT_NE(cert, nullptr);
    EXPECT_THAT(UriSans(cert.get()),
                ::testing::ElementsAre("spiffe://registry.kjc.dev/clerk/dev-clerk"))
        << name;
  }
}

TEST(TestPkiTest, GoodIdentitiesVerifyWithRevocationChecking) {
  for (const char* name : {"clerk", "court", "vetting", "auditor", "admin", "unlisted", "nouri",
                           "cn-uri", "two-uris", "vetting2", "revoked-later"}) {
    EXPECT_EQ(Verify(name, X509_PURPOSE_SSL_CLIENT, /*check_crl=*/true), X509_V_OK) << name;
  }
  EXPECT_EQ(Verify("server", X509_PURPOSE_SSL_SERVER, /*check_crl=*/true), X509_V_OK);
  EXPECT_EQ(Verify("server2", X509_PURPOSE_SSL_SERVER, /*check_crl=*/true), X509_V_OK);
}

TEST(TestPkiTest, ClientAndServerCertificatesAreNotInterchangeable) {
  EXPECT_EQ(Verify("clerk", X509_PURPOSE_SSL_SERVER, /*check_crl=*/false),
            X509_V_ERR_INVALID_PURPOSE);
  EXPECT_EQ(Verify("server", X509_PURPOSE_SSL_CLIENT, /*check_crl=*/false),
            X509_V_ERR_INVALID_PURPOSE);
}

TEST(TestPkiTest, ExpiredIdentityFailsVerification) {
  EXPECT_EQ(Verify("expired", X509_PURPOSE_SSL_CLIENT, /*check_crl=*/false),
            X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(TestPkiTest, RevokedIdentityFailsOnlyWithTheCrl) {
  EXPECT_EQ(Verify("revoked", X509_PURPOSE_SSL_CLIENT, /*check_crl=*/false), X509_V_OK);
  EXPECT_EQ(Verify("revoked", X509_PURPOSE_SSL_CLIENT, /*check_crl=*/true),
            X509_V_ERR_CERT_REVOKED);
}

TEST(TestPkiTest, NextCrlGenerationAlsoRevokesRevokedLater) {
  EXPECT_EQ(Verify("revoked-later", X509_PURPOSE_SSL_CLIENT, true, "crl-next"),
            X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(Verify("revoked", X509_PURPOSE_SSL_CLIENT, true, "crl-next"), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(Verify("clerk", X509_PURPOSE_SSL_CLIENT, true, "crl-next"), X509_V_OK);
}

TEST(TestPkiTest, ExpiredCrlHasPassedItsNextUpdate) {
  EXPECT_EQ(Verify("clerk", X509_PURPOSE_SSL_CLIENT, true, "crl-expired"),
            X509_V_ERR_CRL_HAS_EXPIRED);
}

TEST(TestPkiTest, ServerCertificatesShareTheirNamesButNotTheirKeys) {
  const TestPki& pki = TestPki::Get();
  const TestPki::Identity one = pki.LoadIdentity("server");
  const TestPki::Identity two = pki.LoadIdentity("server2");
  EXPECT_NE(one.cert_pem, two.cert_pem);
  EXPECT_NE(one.key_pem, two.key_pem);
  X509Ptr a = ParseCert(one.cert_pem);
  X509Ptr b = ParseCert(two.cert_pem);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(a.get()), X509_get_subject_name(b.get())), 0);
  EXPECT_EQ(X509_check_host(b.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(b.get(), "127.0.0.1", 0), 1);
}

TEST(TestPkiTest, UntrustedIdentityFailsVerification) {
  EXPECT_EQ(Verify("untrusted", X509_PURPOSE_SSL_CLIENT, /*check_crl=*/false),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(TestPkiTest, CrlIsNamedByTheIssuerSubjectHash) {
  const TestPki& pki = TestPki::Get();
  X509Ptr ca = ParseCert(pki.CaPem());
  ASSERT_NE(ca, nullptr);
  char name[32];
  std::snprintf(name, sizeof(name), "%08lx.r0", X509_subject_name_hash(ca.get()));
  EXPECT_TRUE(absl::StartsWith(pki.ReadFile(absl::StrCat(pki.CrlDir(), "/", name)),
                               "-----BEGIN X509 CRL-----\n"));
  for (const char* folder : {"crl-next", "crl-expired"}) {
    EXPECT_TRUE(absl::StartsWith(pki.ReadFile(absl::StrCat(folder, "/", name)),
                                 "-----BEGIN X509 CRL-----\n"))
        << folder;
  }
}

TEST(TestPkiTest, ReadFileTakesRelativeAndAbsolutePaths) {
  const TestPki& pki = TestPki::Get();
  const std::string relative = pki.ReadFile("clerk/cert.pem");
  EXPECT_EQ(relative, pki.ReadFile(pki.dir() + "/clerk/cert.pem"));
  EXPECT_EQ(relative, ReadFileOrDie(pki.dir() + "/clerk/cert.pem"));
  EXPECT_EQ(relative, pki.LoadIdentity("clerk").cert_pem);
}

TEST(TestPkiTest, MakeTempDirCreatesDistinctEmptyPrivateDirectories) {
  const std::string a = MakeTempDir("test-pki-test-");
  const std::string b = MakeTempDir("test-pki-test-");
  EXPECT_NE(a, b);
  for (const std::string& dir : {a, b}) {
    EXPECT_EQ(ModeOf(dir), 0700u);
    EXPECT_TRUE(std::filesystem::is_empty(dir));
    EXPECT_TRUE(absl::StartsWith(std::filesystem::path(dir).filename().string(), "test-pki-test-"));
    std::filesystem::remove_all(dir);
  }
}

TEST(TestPkiTest, MakeTempDirRemovesWhatItMadeWhenItsProcessExits) {
  // Made here, before the fork: the child's exit must leave it alone.
  const std::string parents = MakeTempDir("test-pki-test-");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    const std::string made = MakeTempDir("test-pki-test-");
    std::ofstream(made + "/file") << "left by a test";
    const bool written = write(fds[1], made.data(), made.size()) == static_cast<ssize_t>(made.size());
    close(fds[1]);
    std::exit(written ? 0 : 1);  // exit, not _exit: the removal runs at a normal exit.
  }
  close(fds[1]);
  std::string childs;
  char buffer[512];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof(buffer))) > 0;) childs.append(buffer, n);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(absl::StartsWith(std::filesystem::path(childs).filename().string(), "test-pki-test-"))
      << childs;
  EXPECT_FALSE(std::filesystem::exists(childs)) << "the child's directory outlived it: " << childs;
  EXPECT_TRUE(std::filesystem::is_directory(parents)) << "the child removed its parent's directory";
}

TEST(TestPkiDeathTest, MissingFilesAbortWithTheirName) {
  const TestPki& pki = TestPki::Get();  // Generated here, not in the dying child.
  EXPECT_DEATH(ReadFileOrDie("/nonexistent/registry/file"),
               "cannot open /nonexistent/registry/file");
  EXPECT_DEATH(pki.IdentityDir("no-such-role"), "no identity folder .*no-such-role");
}

}  // namespace
}  // namespace registry::testing
