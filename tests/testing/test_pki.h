// A development PKI for tests: deploy/pki/dev-pki.sh run once per test process into a fresh
// temporary directory, so every test sees real certificates and keys (the registry CA, the server,
// a second server certificate, one client per role and the test identities: unlisted, nouri,
// cn-uri, two-uris, vetting2, untrusted, expired, revoked, revoked-later; the CRL folders crl,
// crl-next and crl-expired; see deploy/pki/README.md) without sharing files with other processes.
//
//   const registry::testing::TestPki& pki = registry::testing::TestPki::Get();
//   TestPki::Identity clerk = pki.LoadIdentity("clerk");
//   grpc::experimental::IdentityKeyCertPair pair{clerk.key_pem, clerk.cert_pem};
//   std::string crls = pki.CrlDir();  // a tls.crl_directory
//
// Failures here are failures of the test environment, not of the code under test, so every
// function aborts the process with a message rather than returning a status.
#ifndef REGISTRY_TESTS_TESTING_TEST_PKI_H_
#define REGISTRY_TESTS_TESTING_TEST_PKI_H_

#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace registry::testing {

// Creates a new empty directory (mode 0700) named `<prefix>XXXXXX` under $TMPDIR, or /tmp when
// TMPDIR is unset or empty, and returns its path. Aborts on failure. The directory and what is in
// it are removed when the process that made it exits normally, unless REGISTRY_KEEP_TEST_DIRS is
// set (to look at what a test left); a caller may remove it earlier.
std::string MakeTempDir(absl::string_view prefix);

// Returns the whole content of the file at `path`. Aborts if it cannot be read.
std::string ReadFileOrDie(absl::string_view path);

// The extensions of a client certificate as dev-pki.sh writes them (client_ext), without the key
// identifiers and the subjectAltName, which a test adds as it needs: for TestPki::IssueClient.
inline constexpr char kClientLeafExtensions[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = clientAuth";

// The extensions of the server's certificate as dev-pki.sh writes them (SERVER_EXT).
inline constexpr char kServerLeafExtensions[] =
    "basicConstraints = critical, CA:FALSE\n"
    "keyUsage = critical, digitalSignature\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always\n"
    "subjectAltName = DNS:localhost, IP:127.0.0.1";

class TestPki {
 public:
  // The PEM files and deny-list fingerprint of one identity folder.
  struct Identity {
    std::string ca_pem;       // The registry CA, to verify the peer.
    std::string cert_pem;     // The identity's certificate.
    std::string key_pem;      // Its private key (PKCS#8 PEM).
    std::string fingerprint;  // Lowercase hex SHA-256 of the certificate's DER, no newline.
  };

  // Returns the process-wide PKI, generating it on first use (thread-safe). Aborts with the
  // script's output if deploy/pki/dev-pki.sh fails. The directory is removed when the process exits
  // normally, unless the environment variable REGISTRY_KEEP_TEST_PKI is set (to inspect it).
  static const TestPki& Get();

  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // The PKI's root directory (the script's OUTDIR).
  std::string dir() const { return dir_; }

  // dir()/<name>, e.g. IdentityDir("clerk"), IdentityDir("server"), IdentityDir("expired").
  // Aborts if no such folder exists.
  std::string IdentityDir(absl::string_view name) const;

  // The content of `path`: relative paths are taken from dir() ("clerk/cert.pem"), absolute paths
  // are read as they are. Aborts if it cannot be read.
  std::string ReadFile(absl::string_view path) const;

  // The registry CA certificate (ca/ca.pem), PEM.
  std::string CaPem() const;

  // The directory holding the registry CA's current CRL as <issuer-hash>.r0 (a
  // tls.crl_directory); its siblings crl-next/ and crl-expired/ hold the same file name.
  std::string CrlDir() const;

  // Loads the files of identity folder `name` ("clerk", "server", "untrusted", ...). Aborts if any
  // is missing.
  Identity LoadIdentity(absl::string_view name) const;

  // A certificate the registry CA (ca/ca.key) issues now, valid for a day, for a new ECDSA P-256
  // key, with subject CN `common_name` and `extensions`, the body of an OpenSSL extension section
  // as dev-pki.sh writes its own ("basicConstraints = critical, CA:TRUE\nkeyUsage = ..."): for a
  // test that needs a certificate the script does not make. Its files are written to a new
  // temporary folder. Aborts on failure.
  Identity IssueClient(absl::string_view common_name, absl::string_view extensions) const;

  // A CA that is not the registry CA's: its certificate (PEM) and the files of it and its key.
  struct Ca {
    std::string cert_pem;
    std::string cert_file;
    std::string key_file;
  };

  // A CA that copies the registry CA's subject name and Subject Key Identifier under a new ECDSA
  // P-256 key of its own, self-signed, valid for a day: what anyone who reads ca/ca.pem can
  // make. A certificate it issues names the registry CA as its issuer, by name and by key
  // identifier, with a signature that the registry CA's key does not verify. Aborts on failure.
  Ca TwinOfTheRegistryCa() const;

  // As IssueClient, issued by `ca` (ca_pem is still the registry CA, to verify the server).
  Identity IssueClientBy(const Ca& ca, absl::string_view common_name,
                         absl::string_view extensions) const;

  // As IssueClient, for a new RSA 2048 key: what a key's type decides (a keyUsage an RSA key may
  // have and an ECDSA key may not).
  Identity IssueForRsaKey(absl::string_view common_name, absl::string_view extensions) const;

 private:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {}

  Identity Issue(const Ca& ca, absl::string_view common_name, absl::string_view extensions,
                 bool rsa) const;

  std::string dir_;
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_TEST_PKI_H_
