// The caller's identity, from the client certificate that the TLS handshake verified.
//
// The identity is the certificate's first URI SAN (e.g. spiffe://registry.kjc/clerk/c1), else its
// subject CN. The fingerprint (lowercase hex SHA-256 of the certificate's DER) is checked against
// the policy's deny list.
#ifndef REGISTRY_SERVER_IDENTITY_H_
#define REGISTRY_SERVER_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/auth_context.h"

namespace registry::server {

struct PeerIdentity {
  std::string id;
  std::string fingerprint;  // 64 lowercase hex characters
};

// Unauthenticated when the connection carries no verified client certificate or the certificate
// names no identity.
absl::StatusOr<PeerIdentity> IdentityFromAuthContext(const grpc::AuthContext& auth);

// Lowercase hex SHA-256 of the DER form of the first certificate in `pem`.
absl::StatusOr<std::string> CertificateFingerprint(absl::string_view pem);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_IDENTITY_H_
