#include "server/identity.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "crypto/hash.h"
#include "openssl/bio.h"
#include "openssl/err.h"
#include "openssl/pem.h"
#include "openssl/x509.h"

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
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return absl::InternalError("out of memory");
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) {
    ERR_clear_error();
    return absl::UnauthenticatedError("client certificate unreadable");
  }
  unsigned char* der = nullptr;
  const int len = i2d_X509(cert.get(), &der);
  if (len <= 0) {
    ERR_clear_error();
    return absl::UnauthenticatedError("client certificate unreadable");
  }
  std::string digest =
      crypto::Sha256(absl::string_view(reinterpret_cast<const char*>(der), len));
  OPENSSL_free(der);
  return absl::BytesToHexString(digest);
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
