// The caller's identity, from the client certificate that the TLS handshake verified.
//
// The identity is the certificate's one URI SAN (e.g. spiffe://registry.kjc/clerk/c1), and
// nothing else: a certificate with no URI SAN, or with more than one, names no identity and is
// refused. The subject CN is never read: any holder of a certificate from the registry CA could
// otherwise claim an identity by spelling it in a field the CA does not vouch for as a name.
// Only a TLS client's certificate names a caller (NotACaCertificate, ForClientAuth): the
// handshake takes a CA's certificate as a client's, and one without extendedKeyUsage for any use.
// The fingerprint (lowercase hex SHA-256 of the certificate's DER) keys the policy's deny list
// and the limit on unaudited refusals. An ECDSA signature (r, s) is as valid as (r, n - s), so
// whoever holds a certificate can re-encode it under another fingerprint without the CA's key:
// the deny list is also matched against those twins' fingerprints (twin_fingerprints).
//
//   ClientCertificates cache;
//   ASSIGN_OR_RETURN(auto cert, PeerCertificate(*ctx->auth_context(), cache));
//   ASSIGN_OR_RETURN(std::string id, IdentityOf(*cert));
#ifndef REGISTRY_SERVER_IDENTITY_H_
#define REGISTRY_SERVER_IDENTITY_H_

#include <openssl/x509.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/security/auth_context.h"

namespace registry::server {

// What the server needs from one client certificate, parsed once.
struct ClientCertificate {
  std::string fingerprint;            // 64 lowercase hex characters
  std::vector<std::string> uri_sans;  // every URI SAN, in certificate order
  std::string serial_hex;             // upper-case hex, as CRLs and `openssl x509 -serial` show it
  std::shared_ptr<X509> x509;         // for matching the issuer (server/revocation.h)
  // The validity period. The TLS handshake checks it when a connection opens; the gate checks it
  // on every call, as a connection (or a resumed TLS session) may outlive it.
  absl::Time not_before;
  absl::Time not_after;
  // For an ECDSA-signed certificate, the fingerprints of the same certificate with its signature's
  // s replaced by n - s, for each curve of the NIST P-256, P-384 and P-521 orders above s (the
  // issuer's curve among them): equally valid encodings of the same certificate.
  std::vector<std::string> twin_fingerprints;
  // What the certificate is for. `ca`: basicConstraints cA (whatever its keyUsage), or what
  // OpenSSL takes for a CA without it (X509_check_ca: a v1 self-signed certificate, keyCertSign
  // without basicConstraints, a Netscape CA type). `signs`: its keyUsage names keyCertSign or
  // cRLSign. `client_auth`: it has an extendedKeyUsage, naming clientAuth.
  bool ca = false;
  bool signs = false;
  bool client_auth = false;
};

// The longest identity (URI SAN) a certificate may name, in bytes.
inline constexpr size_t kMaxIdentityBytes = 256;

// The DER of `x509` with its ECDSA signature's s replaced by n - s, for each NIST curve order n
// (P-256, P-384, P-521) above s: the one of the issuer's curve verifies as the original does.
// Empty for another signature algorithm, or a signature that does not parse.
std::vector<std::string> EcdsaTwins(const X509* x509);

// Parses `der` (one certificate). Unauthenticated when it is not a certificate.
absl::StatusOr<std::shared_ptr<const ClientCertificate>> ParseClientCertificate(
    const std::string& der, std::string fingerprint);

// Parsed client certificates by their PEM text as the TLS layer hands it over, so that a
// connection's certificate is decoded, hashed and parsed once and not on every call (an X.509
// parse with its public key decode cost about two thirds of a vetting check's server CPU; the
// base64 decoding and SHA-256 of the fingerprint, about 2% more: docs/performance.md). The same
// PEM text is the same bytes, hence the same certificate. Holds at most `capacity` certificates
// and forgets the oldest first. Thread-safe.
class ClientCertificates {
 public:
  explicit ClientCertificates(size_t capacity = 4096) : capacity_(capacity) {}

  // The certificate of the first PEM block of `pem`. Unauthenticated when unreadable.
  absl::StatusOr<std::shared_ptr<const ClientCertificate>> FromPem(absl::string_view pem);

  size_t size() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const ClientCertificate>> by_pem_
      ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
};

// The verified client certificate of the connection. Unauthenticated when the connection carries
// none.
absl::StatusOr<std::shared_ptr<const ClientCertificate>> PeerCertificate(
    const grpc::AuthContext& auth, ClientCertificates& cache);

// The identity `cert` names: its one URI SAN. Unauthenticated when it has none, more than one,
// or one that is longer than 256 bytes or not printable ASCII without spaces (an identity is
// written into audit events and log lines).
absl::StatusOr<std::string> IdentityOf(const ClientCertificate& cert);

// OK when `cert` is not a CA's: Unauthenticated when it is a CA certificate or its keyUsage lets
// its key sign certificates or CRLs. A CA's certificate that the client CA signed (an
// intermediate's), carrying an official's URI SAN, would otherwise be taken as that official, and
// its key can issue more.
absl::Status NotACaCertificate(const ClientCertificate& cert);

// OK when `cert` is for TLS clients: Unauthenticated unless it has an extendedKeyUsage naming
// clientAuth. The handshake takes a certificate without one for any use (a server's, a signing
// key's), which the client CA did not issue to an official.
absl::Status ForClientAuth(const ClientCertificate& cert);

// The DER bytes of the first certificate in `pem`. Unauthenticated when there is none.
absl::StatusOr<std::string> CertificateDer(absl::string_view pem);

// Lowercase hex SHA-256 of the DER form of the first certificate in `pem`.
absl::StatusOr<std::string> CertificateFingerprint(absl::string_view pem);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_IDENTITY_H_
