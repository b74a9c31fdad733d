#include "server/identity.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/time/civil_time.h"
#include "crypto/hash.h"
#include "crypto/x509_text.h"

namespace registry::server {
namespace {

std::string First(const grpc::AuthContext& auth, const char* property) {
  for (const grpc::string_ref& v : auth.FindPropertyValues(property)) {
    if (v.size() > 0) return std::string(v.data(), v.size());
  }
  return "";
}

absl::Status Unreadable() { return absl::UnauthenticatedError("client certificate unreadable"); }

bool ToTime(const ASN1_TIME* asn1, absl::Time* out) {
  struct tm tm = {};
  if (asn1 == nullptr || ASN1_TIME_to_tm(asn1, &tm) != 1) return false;
  *out = absl::FromCivil(absl::CivilSecond(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                           tm.tm_hour, tm.tm_min, tm.tm_sec),
                         absl::UTCTimeZone());
  return true;
}

}  // namespace

std::vector<std::string> EcdsaTwins(const X509* x509) {
  std::vector<std::string> twins;
  int key_nid = NID_undef;
  if (OBJ_find_sigid_algs(X509_get_signature_nid(x509), nullptr, &key_nid) != 1 ||
      key_nid != NID_X9_62_id_ecPublicKey) {
    return twins;
  }
  const ASN1_BIT_STRING* signature = nullptr;
  X509_get0_signature(&signature, nullptr, x509);
  if (signature == nullptr) return twins;
  const unsigned char* p = ASN1_STRING_get0_data(signature);
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, ASN1_STRING_length(signature)), &ECDSA_SIG_free);
  if (sig == nullptr) return twins;
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  for (const int curve : {NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1}) {
    std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(EC_GROUP_new_by_curve_name(curve),
                                                              &EC_GROUP_free);
    if (group == nullptr) continue;
    const BIGNUM* n = EC_GROUP_get0_order(group.get());
    if (n == nullptr || BN_cmp(s, n) >= 0) continue;
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> twin(ECDSA_SIG_new(), &ECDSA_SIG_free);
    BIGNUM* twin_r = BN_dup(r);
    BIGNUM* twin_s = BN_new();
    if (twin == nullptr || twin_r == nullptr || twin_s == nullptr || BN_sub(twin_s, n, s) != 1 ||
        ECDSA_SIG_set0(twin.get(), twin_r, twin_s) != 1) {
      BN_free(twin_r);
      BN_free(twin_s);
      continue;
    }
    unsigned char* sig_der = nullptr;
    const int sig_len = i2d_ECDSA_SIG(twin.get(), &sig_der);
    if (sig_len <= 0) continue;
    std::unique_ptr<unsigned char, void (*)(unsigned char*)> sig_owner(
        sig_der, [](unsigned char* d) { OPENSSL_free(d); });
    std::unique_ptr<X509, decltype(&X509_free)> copy(X509_dup(x509), &X509_free);
    if (copy == nullptr) continue;
    const ASN1_BIT_STRING* copy_signature = nullptr;
    X509_get0_signature(&copy_signature, nullptr, copy.get());
    // The copy's own signature field: OpenSSL offers it read-only, and re-encodes the
    // certificate from its fields (the signed part from its original bytes).
    ASN1_BIT_STRING* writable = const_cast<ASN1_BIT_STRING*>(copy_signature);
    if (writable == nullptr || ASN1_BIT_STRING_set(writable, sig_der, sig_len) != 1) continue;
    writable->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    writable->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    unsigned char* der = nullptr;
    const int len = i2d_X509(copy.get(), &der);
    if (len <= 0) continue;
    twins.emplace_back(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
  }
  return twins;
}

namespace {

std::vector<std::string> TwinFingerprints(const X509* x509) {
  std::vector<std::string> fingerprints;
  for (const std::string& der : EcdsaTwins(x509)) {
    fingerprints.push_back(absl::BytesToHexString(crypto::Sha256(der)));
  }
  return fingerprints;
}

}  // namespace

absl::StatusOr<std::string> CertificateDer(absl::string_view pem) {
  // The DER bytes are the base64 body of the first PEM block: decode it without an X.509 parse.
  constexpr absl::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr absl::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = pem.find(kBegin);
  const size_t end = begin == pem.npos ? pem.npos : pem.find(kEnd, begin + kBegin.size());
  if (end == pem.npos) return Unreadable();
  std::string base64;
  base64.reserve(end - begin);
  for (char c : pem.substr(begin + kBegin.size(), end - begin - kBegin.size())) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) base64.push_back(c);
  }
  std::string der;
  if (!absl::Base64Unescape(base64, &der) || der.empty()) return Unreadable();
  return der;
}

absl::StatusOr<std::string> CertificateFingerprint(absl::string_view pem) {
  absl::StatusOr<std::string> der = CertificateDer(pem);
  if (!der.ok()) return der.status();
  return absl::BytesToHexString(crypto::Sha256(*der));
}

absl::StatusOr<std::shared_ptr<const ClientCertificate>> ParseClientCertificate(
    const std::string& der, std::string fingerprint) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::shared_ptr<X509> x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  if (x509 == nullptr) return Unreadable();
  auto cert = std::make_shared<ClientCertificate>();
  cert->fingerprint = std::move(fingerprint);
  cert->serial_hex = crypto::SerialHex(X509_get0_serialNumber(x509.get()));
  if (cert->serial_hex.empty()) return Unreadable();
  if (!ToTime(X509_get0_notBefore(x509.get()), &cert->not_before) ||
      !ToTime(X509_get0_notAfter(x509.get()), &cert->not_after)) {
    return Unreadable();
  }
  cert->twin_fingerprints = TwinFingerprints(x509.get());
  int critical = 0;
  std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)> names(
      static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(x509.get(), NID_subject_alt_name, &critical, nullptr)),
      &GENERAL_NAMES_free);
  // -1: no subjectAltName; -2: more than one subjectAltName extension, which RFC 5280 forbids
  // and which would let two readers disagree on the names.
  if (names == nullptr && critical == -2) return Unreadable();
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      cert->uri_sans.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                                  static_cast<size_t>(ASN1_STRING_length(uri)));
    }
  }
  // Computes the cached extension data now, while this thread alone holds the certificate;
  // issuer matching reads it later from any thread. Extensions OpenSSL cannot decode (or that
  // appear twice) leave what the certificate is for unknown.
  const uint32_t flags = X509_get_extension_flags(x509.get());
  if ((flags & EXFLAG_INVALID) != 0) return Unreadable();
  // X509_check_ca alone says no for basicConstraints cA with a keyUsage without keyCertSign.
  cert->ca = (flags & EXFLAG_CA) != 0 || X509_check_ca(x509.get()) != 0;
  cert->signs = (flags & EXFLAG_KUSAGE) != 0 &&
                (X509_get_key_usage(x509.get()) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != 0;
  cert->client_auth = (flags & EXFLAG_XKUSAGE) != 0 &&
                      (X509_get_extended_key_usage(x509.get()) & XKU_SSL_CLIENT) != 0;
  cert->x509 = std::move(x509);
  return std::shared_ptr<const ClientCertificate>(std::move(cert));
}

absl::StatusOr<std::shared_ptr<const ClientCertificate>> ClientCertificates::FromPem(
    absl::string_view pem) {
  {
    absl::MutexLock lock(&mu_);
    auto it = by_pem_.find(pem);
    if (it != by_pem_.end()) return it->second;
  }
  // Decoded and parsed outside the lock; two threads that miss together both parse, and the
  // second insert is a no-op.
  absl::StatusOr<std::string> der = CertificateDer(pem);
  if (!der.ok()) return der.status();
  absl::StatusOr<std::shared_ptr<const ClientCertificate>> parsed =
      ParseClientCertificate(*der, absl::BytesToHexString(crypto::Sha256(*der)));
  if (!parsed.ok()) return parsed.status();
  absl::MutexLock lock(&mu_);
  if (by_pem_.emplace(std::string(pem), *parsed).second) {
    order_.emplace_back(pem);
    while (order_.size() > capacity_) {
      by_pem_.erase(order_.front());
      order_.pop_front();
    }
  }
  return parsed;
}

size_t ClientCertificates::size() const {
  absl::MutexLock lock(&mu_);
  return by_pem_.size();
}

absl::StatusOr<std::shared_ptr<const ClientCertificate>> PeerCertificate(
    const grpc::AuthContext& auth, ClientCertificates& cache) {
  if (!auth.IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("no verified client certificate");
  }
  const std::string pem = First(auth, GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty()) return absl::UnauthenticatedError("no client certificate");
  return cache.FromPem(pem);
}

// Each refusal of a certificate that cannot name a caller says what its holder does next (ask
// the registry office, which issues certificates, as registry-cli says of a revoked one), with
// the precise reason, for whoever issues the new one, in a parenthesis. None repeats the
// certificate's identity or any other content of it: a CA has written a name and a birth date
// into a URI SAN (docs/security.md, row 97), and the answer goes to whoever presents it.
constexpr absl::string_view kAskForOneIdentity =
    ": ask the registry office for a certificate issued for one person or client";

absl::StatusOr<std::string> IdentityOf(const ClientCertificate& cert) {
  if (cert.uri_sans.empty()) {
    return absl::UnauthenticatedError(absl::StrCat("client certificate names no identity",
                                                   kAskForOneIdentity, " (no URI SAN)"));
  }
  if (cert.uri_sans.size() > 1) {
    return absl::UnauthenticatedError(
        absl::StrCat("client certificate names more than one identity", kAskForOneIdentity,
                     " (several URI SANs)"));
  }
  const std::string& id = cert.uri_sans.front();
  if (id.size() > kMaxIdentityBytes) {
    return absl::UnauthenticatedError(
        "client certificate identity is longer than 256 bytes: ask the registry office for a "
        "certificate with a shorter one (URI SAN over 256 bytes)");
  }
  bool printable = !id.empty();
  for (char c : id) printable = printable && c > ' ' && c <= '~';
  if (!printable) {
    return absl::UnauthenticatedError(
        "client certificate identity is not plain text: ask the registry office for a "
        "certificate whose identity is 1..256 printable ASCII characters (URI SAN empty, or with "
        "a space, a control character or a non-ASCII byte)");
  }
  return id;
}

absl::Status NotACaCertificate(const ClientCertificate& cert) {
  constexpr absl::string_view kAsk =
      ": ask the registry office for a client certificate issued for one person or client";
  if (cert.ca) {
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate is a CA certificate, which names no caller", kAsk,
        " (basicConstraints cA)"));
  }
  if (cert.signs) {
    return absl::UnauthenticatedError(absl::StrCat(
        "client certificate may sign certificates or revocation lists, so it names no caller",
        kAsk, " (keyUsage keyCertSign or cRLSign)"));
  }
  return absl::OkStatus();
}

absl::Status ForClientAuth(const ClientCertificate& cert) {
  if (!cert.client_auth) {
    return absl::UnauthenticatedError(
        "client certificate is not for client authentication: ask the registry office for a "
        "certificate issued for signing in as a client (no extendedKeyUsage clientAuth)");
  }
  return absl::OkStatus();
}

}  // namespace registry::server
