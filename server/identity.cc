#include "server/identity.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "crypto/hash.h"

namespace registry::server {
namespace {

std::string First(const grpc::AuthContext& auth, const char* property) {
  for (const grpc::string_ref& v : auth.FindPropertyValues(property)) {
    if (v.size() > 0) return std::string(v.data(), v.size());
  }
  return "";
}

}  // namespace

absl::StatusOr<std::string> CertificateFingerprint(absl::string_view pem) {
  // The DER bytes are the base64 body of the first PEM block: decode it and hash it, without an
  // X.509 parse. The TLS handshake has already parsed and verified this certificate; parsing it
  // again on every call (OpenSSL 3 runs its key decoders for the public key) was about two thirds
  // of the server's instructions per vetting check (docs/performance.md).
  constexpr absl::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr absl::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = pem.find(kBegin);
  const size_t end = begin == pem.npos ? pem.npos : pem.find(kEnd, begin + kBegin.size());
  if (end == pem.npos) return absl::UnauthenticatedError("client certificate unreadable");
  std::string base64;
  base64.reserve(end - begin);
  for (char c : pem.substr(begin + kBegin.size(), end - begin - kBegin.size())) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) base64.push_back(c);
  }
  std::string der;
  if (!absl::Base64Unescape(base64, &der) || der.empty()) {
    return absl::UnauthenticatedError("client certificate unreadable");
  }
  return absl::BytesToHexString(crypto::Sha256(der));
}

absl::StatusOr<PeerIdentity> IdentityFromAuthContext(const grpc::AuthContext& auth) {
  if (!auth.IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("no verified client certificate");
  }
  PeerIdentity id;
  id.id = First(auth, "peer_uri");
  if (id.id.empty()) id.id = First(auth, "x509_common_name");
  if (id.id.empty() || id.id.size() > 256) {
    return absl::UnauthenticatedError("client certificate names no identity");
  }
  const std::string pem = First(auth, "x509_pem_cert");
  if (pem.empty()) return absl::UnauthenticatedError("no client certificate");
  auto fp = CertificateFingerprint(pem);
  if (!fp.ok()) return fp.status();
  id.fingerprint = *std::move(fp);
  return id;
}

}  // namespace registry::server
