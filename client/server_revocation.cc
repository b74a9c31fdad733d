#include "client/server_revocation.h"

#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/files.h"
#include "client/option_parser.h"
#include "crypto/x509_text.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "openssl/bio.h"
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

// Every certificate in `pem`, in order; those after one that cannot be read are left out.
std::vector<X509Ptr> ParseCertificates(absl::string_view pem) {
  std::vector<X509Ptr> certs;
  BioPtr bio = MemBio(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certs.emplace_back(cert, &X509_free);
  }
  ERR_clear_error();
  return certs;
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

  crls.ca_pem_ = std::string(ca_pem);
  const std::vector<X509Ptr> cas = ParseCertificates(ca_pem);

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
      return UsageError(absl::StrCat(crls.file_, ": the CRL of ",
                                     crypto::DistinguishedName(issuer),
                                     " is not signed by a CA of ", settings.ca_file,
                                     "; put there the registry CA's current CRL"));
    }
    const std::string issuer_der = NameDer(issuer);
    const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
      crls.revoked_.emplace(
          issuer_der,
          crypto::SerialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
    }
  }
  return std::optional<ServerCrls>(std::move(crls));
}

namespace {

// Runs after the handshake verified the server's certificate against the CA, before the
// connection is handed to gRPC's transport: nothing of a call has been sent yet.
class ServerVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit ServerVerifier(std::optional<ServerCrls> crls) : crls_(std::move(crls)) {}

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
    // The whole chain the server presented: a revoked intermediate CA withdraws the server's
    // certificate as surely as its own revocation does. The leaf alone when gRPC gives no chain.
    grpc::string_ref pem = request->peer_cert_full_chain();
    if (pem.empty()) pem = request->peer_cert();
    const absl::string_view chain(pem.data(), pem.size());
    std::string why = ServerCertificateRefusedBecause(chain);
    if (why.empty() && crls_.has_value()) why = crls_->RevokedBecause(chain);
    *sync_status = why.empty() ? grpc::Status::OK
                               : grpc::Status(grpc::StatusCode::UNAUTHENTICATED, why);
    return true;
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest* /*request*/) override {}

 private:
  const std::optional<ServerCrls> crls_;
  grpc::experimental::HostNameCertificateVerifier host_names_;
};

}  // namespace

std::string ServerCertificateRefusedBecause(absl::string_view chain_pem) {
  const std::vector<X509Ptr> presented = ParseCertificates(chain_pem);
  if (presented.empty()) {
    return "the registry's certificate cannot be read, so it cannot be checked";
  }
  X509* const leaf = presented.front().get();
  // Cached decoding of the extensions; one that does not decode reads as absent.
  if ((X509_get_extension_flags(leaf) & EXFLAG_CA) == 0) return "";
  return absl::StrCat("the registry's certificate is a CA's certificate (basicConstraints "
                      "CA:TRUE), not a server's: the server presented certificate ",
                      crypto::SerialHex(X509_get0_serialNumber(leaf)), " (",
                      crypto::DistinguishedName(X509_get_subject_name(leaf)),
                      "), whose key could sign certificates of its own");
}

std::shared_ptr<grpc::ChannelCredentials> CredentialsCheckingTheServer(
    const std::string& ca_pem, const std::string& cert_pem, const std::string& key_pem,
    std::optional<ServerCrls> crls) {
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(
      std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
          ca_pem, std::vector<grpc::experimental::IdentityKeyCertPair>{{key_pem, cert_pem}}));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      grpc::experimental::ExternalCertificateVerifier::Create<ServerVerifier>(std::move(crls)));
  return grpc::experimental::TlsCredentials(options);
}

std::string ServerCrls::RevokedBecause(absl::string_view chain_pem) const {
  const std::vector<X509Ptr> presented = ParseCertificates(chain_pem);
  if (presented.empty()) {
    return "the registry's certificate cannot be read, so it cannot be checked";
  }
  X509* const leaf = presented.front().get();
  // What the server presented, then the chain the handshake built from it and the CA file, as
  // gRPC builds it (a CA of the CA file first, a partial chain to one of them allowed): an
  // intermediate CA the server does not send but the CA file holds is checked too. The
  // handshake already decided trust; a chain that does not verify here is still checked as far
  // as it goes, and the time is not checked again.
  std::vector<X509*> chain;
  for (const X509Ptr& cert : presented) chain.push_back(cert.get());
  const std::vector<X509Ptr> cas = ParseCertificates(ca_pem_);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                 &X509_STORE_free);
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> untrusted(
      sk_X509_new_null(), [](STACK_OF(X509)* certs) { sk_X509_free(certs); });
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                       &X509_STORE_CTX_free);
  std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> built(
      nullptr, [](STACK_OF(X509)* certs) { sk_X509_pop_free(certs, X509_free); });
  if (store != nullptr && untrusted != nullptr && ctx != nullptr) {
    for (const X509Ptr& ca : cas) X509_STORE_add_cert(store.get(), ca.get());
    for (size_t i = 1; i < presented.size(); ++i) {
      sk_X509_push(untrusted.get(), presented[i].get());
    }
    X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST |
                                          X509_V_FLAG_NO_CHECK_TIME);
    if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) == 1) {
      static_cast<void>(X509_verify_cert(ctx.get()));
      built.reset(X509_STORE_CTX_get1_chain(ctx.get()));
    }
  }
  ERR_clear_error();
  for (int i = 0; built != nullptr && i < sk_X509_num(built.get()); ++i) {
    chain.push_back(sk_X509_value(built.get(), i));
  }

  const std::string leaf_serial = crypto::SerialHex(X509_get0_serialNumber(leaf));
  const std::string leaf_text = absl::StrCat(
      leaf_serial, " (", crypto::DistinguishedName(X509_get_subject_name(leaf)), ")");
  for (X509* cert : chain) {
    const std::string serial = crypto::SerialHex(X509_get0_serialNumber(cert));
    if (revoked_.count({NameDer(X509_get_issuer_name(cert)), serial}) == 0) continue;
    if (X509_cmp(cert, leaf) == 0) {
      return absl::StrCat("the registry's certificate is revoked: the server presented "
                          "certificate ", leaf_text, ", which ", file_, " lists as revoked");
    }
    return absl::StrCat("the registry's certificate is revoked: the server presented "
                        "certificate ", leaf_text, " issued under CA certificate ", serial, " (",
                        crypto::DistinguishedName(X509_get_subject_name(cert)), "), which ",
                        file_, " lists as revoked");
  }
  return "";
}

}  // namespace registry::client
