#include "server/tls_identity.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/durable_file.h"
#include "common/status_macros.h"
#include "server/check_config.h"
#include "server/config.h"

namespace registry::server {
namespace {

// OpenSSL's passphrase callback: never a passphrase (without one, OpenSSL asks on the terminal
// and holds the thread until someone types), only a note that one was asked for.
int RefusePassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* asked) {
  if (asked != nullptr) *static_cast<bool*>(asked) = true;
  return -1;
}

// "" when the first certificate of `cert_pem` and the private key `key_pem` are a pair; else
// the problem, as --check_config says it.
std::string KeyProblem(const std::string& key_file, const std::string& cert_pem,
                       const std::string& key_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      cert_bio == nullptr ? nullptr
                          : PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr),
      &X509_free);
  ERR_clear_error();
  return ServerKeyPemProblem(key_file, key_pem, cert.get());
}

}  // namespace

std::string ServerKeyPemProblem(const std::string& key_file, const std::string& key_pem,
                                const X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  bool encrypted = false;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      key_bio == nullptr
          ? nullptr
          : PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &RefusePassphrase, &encrypted),
      &EVP_PKEY_free);
  std::string problem;
  if (key == nullptr && encrypted) {
    problem = absl::StrCat("tls.key_file: ", key_file,
                           " is encrypted with a passphrase, which registryd never asks for: "
                           "give it the key without one (openssl pkey -in ENCRYPTED -out KEY), "
                           "readable by registryd only");
  } else if (key == nullptr) {
    problem = absl::StrCat("tls.key_file: ", key_file, " holds no readable PEM private key");
  } else if (cert != nullptr && X509_check_private_key(cert, key.get()) != 1) {
    problem = "tls.key_file: the key does not belong to the certificate in tls.cert_file";
  }
  ERR_clear_error();
  return problem;
}

absl::StatusOr<std::unique_ptr<TlsIdentity>> TlsIdentity::Load(std::string cert_file,
                                                               std::string key_file,
                                                               std::string cert_copy,
                                                               std::string key_copy,
                                                               const Clock* clock) {
  std::unique_ptr<TlsIdentity> identity(new TlsIdentity(
      std::move(cert_file), std::move(key_file), std::move(cert_copy), std::move(key_copy),
      clock));
  RETURN_IF_ERROR(identity->Reload());
  return identity;
}

TlsIdentity::~TlsIdentity() { StopWatching(); }

absl::Status TlsIdentity::Reload() { return pair_.Reload(); }

absl::StatusOr<std::shared_ptr<const TlsIdentity::Pair>> TlsIdentity::Read() {
  std::vector<std::string> problems;
  // As start-up holds them (TrustOpenToOthers): whoever else may write either file could serve
  // as the registry.
  for (const auto& [field, path] : {std::pair<const char*, const std::string&>{"tls.cert_file",
                                                                               cert_file_},
                                    {"tls.key_file", key_file_}}) {
    if (std::string open = OpenToOthers(path); !open.empty()) {
      problems.push_back(absl::StrCat(field, ": ", open));
    }
  }
  if (!problems.empty()) return absl::FailedPreconditionError(absl::StrJoin(problems, "; "));
  auto pair = std::make_shared<Pair>();
  // The bytes checked are the bytes copied: a file replaced meanwhile is read at the next poll.
  absl::StatusOr<std::string> cert = ReadFile(cert_file_);
  if (!cert.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("tls.cert_file: ", cert.status().message()));
  }
  absl::StatusOr<std::string> key = ReadFile(key_file_);
  if (!key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("tls.key_file: ", key.status().message()));
  }
  problems = ServerCertificatePemProblems(cert_file_, *cert, clock_->Now());
  if (std::string wrong = KeyProblem(key_file_, *cert, *key); !wrong.empty()) {
    problems.push_back(std::move(wrong));
  }
  if (!problems.empty()) return absl::FailedPreconditionError(absl::StrJoin(problems, "; "));
  pair->cert = *std::move(cert);
  pair->key = *std::move(key);
  const std::shared_ptr<const Pair> previous = pair_.Current();
  if (previous != nullptr && previous->cert == pair->cert && previous->key == pair->key) {
    return std::shared_ptr<const Pair>(std::move(pair));
  }
  // The key, then the certificate, each whole: a read of gRPC's that falls between the two
  // renames finds the new key with the previous certificate, which fails new handshakes until
  // its next read (tls_refresh), as a pair replaced by hand does.
  for (const auto& [field, path, bytes] :
       {std::tuple<const char*, const std::string&, const std::string&>{"tls.key_file", key_copy_,
                                                                        pair->key},
        {"tls.cert_file", cert_copy_, pair->cert}}) {
    if (absl::Status written = ReplaceFileDurably(path, bytes); !written.ok()) {
      return absl::Status(written.code(),
                          absl::StrCat(field, ": cannot write the copy that the TLS layer reads: ",
                                       written.message()));
    }
  }
  return std::shared_ptr<const Pair>(std::move(pair));
}

void TlsIdentity::StartWatching(absl::Duration interval,
                                std::function<void(const absl::Status&)> report) {
  watcher_.Start(interval, [this, report = std::move(report)] {
    if (!pair_.Changed()) return;
    const absl::Status reloaded = Reload();
    if (report) report(reloaded);
  });
}

void TlsIdentity::StopWatching() { watcher_.Stop(); }

}  // namespace registry::server
