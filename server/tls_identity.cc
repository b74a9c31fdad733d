#include "server/tls_identity.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// The first certificate of `pem`, or null.
std::unique_ptr<X509, decltype(&X509_free)> FirstCertificate(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      bio == nullptr ? nullptr : PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
      &X509_free);
  ERR_clear_error();
  return cert;
}

// The host names and addresses of `cert`'s subjectAltName ("registry.kjc.example", "10.0.0.1")
// that `other`'s does not name: a DNS name its names do not match (its wildcards included), an
// address it does not hold. A wildcard name of `cert` ("*.kjc.example") is named by the same
// wildcard only.
std::vector<std::string> NamesNotCovered(const X509* cert, X509* other) {
  std::vector<std::string> missing;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return missing;
  constexpr unsigned int kSanOnly = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      const std::string host(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                             static_cast<size_t>(ASN1_STRING_length(dns)));
      if (X509_check_host(other, host.data(), host.size(), kSanOnly, nullptr) != 1 &&
          X509_check_host(other, host.data(), host.size(),
                          kSanOnly | X509_CHECK_FLAG_NO_WILDCARDS, nullptr) != 1) {
        missing.push_back(host);
      }
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      const unsigned char* bytes = ASN1_STRING_get0_data(ip);
      const int length = ASN1_STRING_length(ip);
      if ((length == 4 || length == 16) &&
          X509_check_ip(other, bytes, static_cast<size_t>(length), 0) != 1) {
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(length == 4 ? AF_INET : AF_INET6, bytes, text, sizeof(text));
        missing.push_back(text);
      }
    }
  }
  GENERAL_NAMES_free(names);
  ERR_clear_error();
  return missing;
}

}  // namespace

std::string HostNamesDroppedProblem(const std::string& in_force_pem, const std::string& new_pem) {
  const auto in_force = FirstCertificate(in_force_pem);
  const auto replacement = FirstCertificate(new_pem);
  if (in_force == nullptr || replacement == nullptr) return "";
  std::vector<std::string> missing = NamesNotCovered(in_force.get(), replacement.get());
  if (missing.empty()) return "";
  // The names as the certificate writes them, each byte outside printable ASCII as '?': they go
  // to the log and the audit log.
  for (std::string& host : missing) {
    for (char& c : host) {
      if (c < 0x20 || c > 0x7e) c = '?';
    }
  }
  return absl::StrCat(
      "tls.cert_file: does not name every host the certificate in force names (not ",
      absl::StrJoin(missing, ", "),
      "): clients that reach the registry by such a name would fail their handshake. A "
      "certificate for other host names is taken at a restart, not on reload");
}

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

std::string ServerKeyModeProblem(const std::string& key_file) {
  struct stat st {};
  if (::stat(key_file.c_str(), &st) != 0 || (st.st_mode & S_IRWXO) == 0) return "";
  return absl::StrFormat(
      "tls.key_file: %s is open to every local account (mode %04o): whoever reads it can pose as "
      "the registry to every official; run chmod 600 %s (or 0640, owner root, group registryd)",
      key_file, st.st_mode & 07777, key_file);
}

absl::Status CheckServerKeyFile(const std::string& cert_file, const std::string& key_file) {
  if (std::string open = ServerKeyModeProblem(key_file); !open.empty()) {
    return absl::FailedPreconditionError(open);
  }
  absl::StatusOr<std::string> cert = ReadFile(cert_file);
  if (!cert.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("tls.cert_file: ", cert.status().message()));
  }
  absl::StatusOr<std::string> key = ReadFile(key_file);
  if (!key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("tls.key_file: ", key.status().message()));
  }
  if (std::string wrong = KeyProblem(key_file, *cert, *key); !wrong.empty()) {
    return absl::FailedPreconditionError(wrong);
  }
  return absl::OkStatus();
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

TlsIdentity::~TlsIdentity() {
  StopWatching();
  // The copies hold the server's private key: they are removed when registryd stops cleanly
  // (its gRPC server, which reads them, is gone by then). After a crash they stay, mode 0600 in
  // a folder held to registryd's owner, and the next start writes them anew before serving.
  if (wrote_copies_) {
    for (const std::string* path : {&key_copy_, &cert_copy_}) unlink(path->c_str());
  }
}

absl::Status TlsIdentity::Reload() { return pair_.Reload(); }

absl::StatusOr<std::shared_ptr<const TlsIdentity::Pair>> TlsIdentity::Read() {
  std::vector<std::string> problems;
  // As start-up holds them (TrustOpenToOthers): whoever else may write either file could serve
  // as the registry. And the key as start-up and --check_config hold it (ServerKeyModeProblem):
  // whoever else may read it could pose as the registry; its chmod 600 mends a key others may
  // write too, so that is said once.
  const std::string key_open = ServerKeyModeProblem(key_file_);
  if (!key_open.empty()) problems.push_back(key_open);
  struct stat key_stat {};
  const bool key_writable_by_others =
      ::stat(key_file_.c_str(), &key_stat) == 0 && (key_stat.st_mode & S_IWOTH) != 0;
  for (const auto& [field, path] : {std::pair<const char*, const std::string&>{"tls.cert_file",
                                                                               cert_file_},
                                    {"tls.key_file", key_file_}}) {
    if (&path == &key_file_ && !key_open.empty() && key_writable_by_others) continue;
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
  const std::shared_ptr<const Pair> previous = pair_.Current();
  // On reload, a certificate that no longer names a host the one in force names (another host's,
  // copied to the wrong server, or one whose names were mistyped): every client that reaches the
  // registry by that name would fail its handshake from the next connection on.
  if (previous != nullptr && problems.empty()) {
    if (std::string dropped = HostNamesDroppedProblem(previous->cert, *cert); !dropped.empty()) {
      problems.push_back(std::move(dropped));
    }
  }
  if (!problems.empty()) return absl::FailedPreconditionError(absl::StrJoin(problems, "; "));
  pair->cert = *std::move(cert);
  pair->key = *std::move(key);
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
    wrote_copies_ = true;  // a write that fails may leave a file too
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
