#include "client/server_revocation.h"

#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/files.h"
#include "client/option_parser.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "openssl/bio.h"
#include "openssl/bn.h"
#include "openssl/err.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "openssl/x509v3.h"

namespace registry::client {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using CrlPtr = std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>;

BioPtr MemBio(absl::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), &BIO_free);
}

std::string NameDer(const X509_NAME* name) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_NAME(name, &der);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string SerialHex(const ASN1_INTEGER* serial) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(serial, nullptr), &BN_free);
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return "";
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

std::string Subject(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio == nullptr || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : "(empty subject)";
}

// How an error names the CRL file: as the CA file is named ("--identity DIR/crl.pem").
std::string NamedFile(const ConnectionSettings& settings, const std::string& path) {
  if (settings.ca_from.empty()) return absl::StrCat("--ca's ", path);
  return absl::StrCat(settings.ca_from, " ", path);
}

}  // namespace

std::string ServerCrlFile(const ConnectionSettings& settings) {
  const size_t slash = settings.ca_file.rfind('/');
  if (slash == std::string::npos) return kServerCrlFileName;
  return absl::StrCat(settings.ca_file.substr(0, slash), "/", kServerCrlFileName);
}

absl::StatusOr<std::optional<ServerCrls>> ReadServerCrls(const ConnectionSettings& settings,
                                                         absl::string_view ca_pem) {
  if (settings.ca_file.empty()) return std::nullopt;
  const std::string path = ServerCrlFile(settings);
  struct stat info;
  if (::stat(path.c_str(), &info) != 0 && errno == ENOENT) return std::nullopt;
  ServerCrls crls;
  crls.file_ = NamedFile(settings, path);
  // A list the operator put there and that cannot be used fails closed: the server it would
  // refuse cannot be told from one it would take.
  absl::StatusOr<std::string> pem = ReadFileToString(path, "revocation list");
  if (!pem.ok()) return UsageError(absl::StrCat(crls.file_, ": ", pem.status().message()));

  std::vector<X509Ptr> cas;
  BioPtr ca_bio = MemBio(ca_pem);
  while (X509* ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr)) {
    cas.emplace_back(ca, &X509_free);
  }
  ERR_clear_error();

  static constexpr char kBegin[] = "-----BEGIN X509 CRL-----";
  size_t blocks = 0;
  for (size_t at = pem->find(kBegin); at != std::string::npos; at = pem->find(kBegin, at + 1)) {
    ++blocks;
  }
  std::vector<CrlPtr> parsed;
  BioPtr bio = MemBio(*pem);
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    parsed.emplace_back(crl, &X509_CRL_free);
  }
  ERR_clear_error();
  if (blocks == 0 || parsed.size() != blocks) {
    return UsageError(absl::StrCat(
        crls.file_, ": not a revocation list in PEM (\"", kBegin,
        "\"); put there the registry CA's current CRL, or remove the file"));
  }
  for (const CrlPtr& crl : parsed) {
    const X509_NAME* issuer = X509_CRL_get_issuer(crl.get());
    bool verified = false;
    for (const X509Ptr& ca : cas) {
      if (X509_NAME_cmp(issuer, X509_get_subject_name(ca.get())) != 0) continue;
      EVP_PKEY* key = X509_get0_pubkey(ca.get());
      if (key != nullptr && X509_CRL_verify(crl.get(), key) == 1) verified = true;
    }
    ERR_clear_error();
    if (!verified) {
      return UsageError(absl::StrCat(crls.file_, ": the CRL of ", Subject(issuer),
                                     " is not signed by a CA of ", settings.ca_file,
                                     "; put there the registry CA's current CRL"));
    }
    const std::string issuer_der = NameDer(issuer);
    const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
      crls.revoked_.emplace(
          issuer_der,
          SerialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
    }
  }
  return std::optional<ServerCrls>(std::move(crls));
}

namespace {

// Runs after the handshake verified the server's certificate against the CA, before the
// connection is handed to gRPC's transport: nothing of a call has been sent yet.
class RevocationVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit RevocationVerifier(ServerCrls crls) : crls_(std::move(crls)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)> /*callback*/,
              grpc::Status* sync_status) override {
    // gRPC's check of the server's name, run here first as well: a verifier of one's own may
    // take the place of the one that makes it.
    grpc::Status name = grpc::Status::OK;
    if (!host_names_.Verify(request, [](grpc::Status) {}, &name)) {
      *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                  "the server's name could not be checked");
      return true;
    }
    if (!name.ok()) {
      *sync_status = name;
      return true;
    }
    const grpc::string_ref pem = request->peer_cert();
    const std::string why = crls_.RevokedBecause(absl::string_view(pem.data(), pem.size()));
    *sync_status = why.empty() ? grpc::Status::OK
                               : grpc::Status(grpc::StatusCode::UNAUTHENTICATED, why);
    return true;
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  const ServerCrls crls_;
  grpc::experimental::HostNameCertificateVerifier host_names_;
};

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> CredentialsRefusingRevokedServers(
    const std::string& ca_pem, const std::string& cert_pem, const std::string& key_pem,
    ServerCrls crls) {
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
          ca_pem, std::vector<grpc::experimental::IdentityKeyCertPair>{{key_pem, cert_pem}}));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<RevocationVerifier>(
          std::move(crls)));
  return grpc::experimental::TlsCredentials(options);
}

std::string ServerCrls::RevokedBecause(absl::string_view cert_pem) const {
  BioPtr bio = MemBio(cert_pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  ERR_clear_error();
  if (cert == nullptr) return "the registry's certificate cannot be read, so it cannot be checked";
  const std::string serial = SerialHex(X509_get0_serialNumber(cert.get()));
  if (revoked_.count({NameDer(X509_get_issuer_name(cert.get())), serial}) == 0) return "";
  return absl::StrCat("the registry's certificate is revoked: the server presented certificate ",
                      serial, " (", Subject(X509_get_subject_name(cert.get())), "), which ",
                      file_, " lists as revoked");
}

}  // namespace registry::client
