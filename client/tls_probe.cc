#include "client/tls_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/files.h"
#include "client/option_parser.h"
#include "client/server_revocation.h"
#include "common/sigpipe.h"
#include "common/time_format.h"
#include "openssl/asn1.h"
#include "openssl/err.h"
#include "openssl/pem.h"
#include "openssl/ssl.h"
#include "openssl/x509.h"
#include "openssl/x509v3.h"

namespace registry::client {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

// The passphrase callback of every key registry-cli loads: OpenSSL's default asks on the
// terminal ("Enter PEM pass phrase:"), in the middle of a command that may run in a script.
// Refusing makes an encrypted key fail to load; `asked` (when not null) records that it was one.
int RefusePassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* asked) {
  if (asked != nullptr) *static_cast<bool*>(asked) = true;
  return -1;
}

std::unique_ptr<BIO, BioFree> MemoryBio(absl::string_view pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// An ASN.1 time as an absl::Time; nullopt when it cannot be read.
std::optional<absl::Time> ToTime(const ASN1_TIME* time) {
  struct tm parts {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return std::nullopt;
  return absl::FromUnixSeconds(timegm(&parts));
}

// "127.0.0.1:7443" -> {"127.0.0.1", "7443"}; "[::1]:7443" -> {"::1", "7443"}.
bool SplitHostPort(absl::string_view address, std::string* host, std::string* port) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon + 1 == address.size()) return false;
  absl::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  *host = std::string(h);
  *port = std::string(address.substr(colon + 1));
  return !host->empty();
}

// A connected TCP socket (blocking, with send and receive timeouts), or -1 with *error set.
int Connect(const std::string& host, const std::string& port, absl::Duration timeout,
            std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error = gai_strerror(rc);
    return -1;
  }
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, timeout_ms);
      int so_error = 0;
      socklen_t length = sizeof(so_error);
      if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) == 0 &&
          so_error == 0) {
        rc = 0;
      } else {
        errno = rc == 0 ? ETIMEDOUT : so_error;
        rc = -1;
      }
    }
    if (rc != 0) {
      *error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return -1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(absl::ToInt64Seconds(timeout));
  tv.tv_usec = static_cast<suseconds_t>(absl::ToInt64Microseconds(timeout) % 1000000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

// What the server said during the probe, kept by the info and message callbacks.
struct ServerWords {
  // The last fatal alert the server sent (its description number), or -1.
  int alert = -1;
  std::string alert_text;
  // Whether the server asked for the client certificate (a CertificateRequest).
  bool asked_for_certificate = false;
};

int WordsIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void RecordAlert(const SSL* ssl, int where, int value) {
  // SSL_CB_READ_ALERT and SSL_CB_WRITE_ALERT share the alert bit: only what the server sent.
  if ((where & SSL_CB_ALERT) == 0 || (where & SSL_CB_READ) == 0) return;
  auto* words = static_cast<ServerWords*>(SSL_get_ex_data(ssl, WordsIndex()));
  // A close_notify is the peer hanging up politely, not a refusal.
  if (words != nullptr && SSL_alert_type_string(value)[0] == 'F') {
    words->alert = value & 0xff;
    words->alert_text = SSL_alert_desc_string_long(value);
  }
}

void RecordMessage(int write_p, int /*version*/, int content_type, const void* buffer,
                   size_t length, SSL* /*ssl*/, void* arg) {
  if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE && length > 0 &&
      static_cast<const unsigned char*>(buffer)[0] == SSL3_MT_CERTIFICATE_REQUEST) {
    static_cast<ServerWords*>(arg)->asked_for_certificate = true;
  }
}

// The alerts by which a TLS server refuses the client's certificate. Any other (a protocol
// version or cipher it does not share, an internal error) says nothing against the certificate,
// and re-issuing or revoking it would not help.
bool NamesTheCertificate(int alert) {
  switch (alert) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
    case SSL_AD_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

std::string LastSslError() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "";
  const char* reason = ERR_reason_error_string(code);
  return reason == nullptr ? "" : reason;
}

// Whether the certificate PEM in file `path` names the uses it is made for (extendedKeyUsage)
// and client authentication is not among them: a server's certificate, which a registry refuses
// from a client however valid it is.
bool NotMadeForClientAuthentication(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileToString(path, "client certificate");
  if (!pem.ok()) return false;
  std::unique_ptr<BIO, BioFree> bio = MemoryBio(*pem);
  std::unique_ptr<X509, X509Free> cert(
      bio == nullptr ? nullptr
                     : PEM_read_bio_X509(bio.get(), nullptr, &RefusePassphrase, nullptr));
  ERR_clear_error();
  if (cert == nullptr) return false;
  // UINT32_MAX: the certificate has no extendedKeyUsage, and may be used for anything.
  const uint32_t uses = X509_get_extended_key_usage(cert.get());
  return uses != UINT32_MAX && (uses & (XKU_SSL_CLIENT | XKU_ANYEKU)) == 0;
}

}  // namespace

absl::Status CheckOwnCertificate(absl::string_view cert_pem, absl::string_view path,
                                 absl::Time now) {
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  std::unique_ptr<X509, X509Free> cert(
      bio == nullptr ? nullptr : PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("client certificate ", path, " is not a PEM certificate"));
  }
  const std::optional<absl::Time> not_before = ToTime(X509_get0_notBefore(cert.get()));
  const std::optional<absl::Time> not_after = ToTime(X509_get0_notAfter(cert.get()));
  if (not_after.has_value() && now > *not_after) {
    return absl::UnauthenticatedError(
        absl::StrCat("your certificate (", path, ") expired on ", FormatInstant(*not_after),
                     ": the registry refuses it; ask the registry office for a new certificate"));
  }
  if (not_before.has_value() && now < *not_before) {
    return absl::UnauthenticatedError(absl::StrCat(
        "your certificate (", path, ") is not valid before ", FormatInstant(*not_before),
        ": check this computer's clock, or use it from that date"));
  }
  return absl::OkStatus();
}

absl::Status CheckIdentityFiles(absl::string_view ca_pem, absl::string_view cert_pem,
                                absl::string_view key_pem, const IdentityFileNames& names) {
  std::vector<std::string> problems;
  {
    std::unique_ptr<BIO, BioFree> bio = MemoryBio(ca_pem);
    std::unique_ptr<X509, X509Free> first(
        bio == nullptr ? nullptr : PEM_read_bio_X509(bio.get(), nullptr, &RefusePassphrase,
                                                     nullptr));
    if (first == nullptr) problems.push_back(absl::StrCat(names.ca, ": holds no certificate"));
  }
  std::unique_ptr<BIO, BioFree> cert_bio = MemoryBio(cert_pem);
  std::unique_ptr<X509, X509Free> cert(
      cert_bio == nullptr
          ? nullptr
          : PEM_read_bio_X509(cert_bio.get(), nullptr, &RefusePassphrase, nullptr));
  if (cert == nullptr) problems.push_back(absl::StrCat(names.cert, ": holds no certificate"));
  bool encrypted = false;
  std::unique_ptr<BIO, BioFree> key_bio = MemoryBio(key_pem);
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> key(
      key_bio == nullptr
          ? nullptr
          : PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &RefusePassphrase, &encrypted));
  // Both spellings of an encrypted PEM key, in case OpenSSL gives up before asking.
  encrypted = encrypted || absl::StrContains(key_pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
              absl::StrContains(key_pem, "Proc-Type: 4,ENCRYPTED");
  if (key == nullptr) {
    std::string what = "not a PEM private key";
    if (encrypted) {
      what = "encrypted with a passphrase; registry-cli needs an unencrypted key (mode 0600)";
    } else if (absl::StrContains(key_pem, "-----BEGIN CERTIFICATE-----")) {
      what = "holds a certificate, not the private key";
    } else if (absl::StrContains(key_pem, "PUBLIC KEY-----")) {
      what = "holds a public key, not the private key";
    }
    problems.push_back(absl::StrCat(names.key, ": ", what));
  } else if (cert != nullptr && X509_check_private_key(cert.get(), key.get()) != 1) {
    problems.push_back(absl::StrCat(names.key, ": not the private key of ", names.cert));
  }
  ERR_clear_error();
  if (problems.empty()) return absl::OkStatus();
  return UsageProblems(problems);
}

namespace {

// The server's certificate chain on `ssl`, PEM, its own certificate first; "" when it cannot be
// had.
std::string PresentedChain(SSL* ssl) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(SSL_get1_peer_certificate(ssl), &X509_free);
  if (cert == nullptr) return "";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return "";
  // The rest of what the server sent (on a client, the chain starts with the server's own).
  const STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl);
  for (int i = 0; sent != nullptr && i < sk_X509_num(sent); ++i) {
    X509* other = sk_X509_value(sent, i);
    if (X509_cmp(other, cert.get()) != 0 && PEM_write_bio_X509(bio.get(), other) != 1) return "";
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

// Why the server's certificate chain `chain` is refused by the revocation list beside the CA
// file (ServerCrls::RevokedBecause): its own certificate or a CA certificate of its chain is
// listed. "" when none is, or there is no usable list (CreateChannel said why it is unusable
// before any call).
std::string ServerRevokedBecause(const ConnectionSettings& settings, const std::string& chain) {
  if (chain.empty()) return "";
  absl::StatusOr<std::string> ca = ReadFileToString(settings.ca_file, "CA certificate");
  if (!ca.ok()) return "";
  absl::StatusOr<std::optional<ServerCrls>> crls = ReadServerCrls(settings, *ca);
  if (!crls.ok() || !crls->has_value()) return "";
  return (*crls)->RevokedBecause(chain);
}

}  // namespace

TlsProbe ProbeTls(const ConnectionSettings& settings, absl::Duration timeout) {
  // A server that refused the certificate has closed the connection: writing to it must not end
  // registry-cli before it can say why.
  const SigpipeHeld no_sigpipe;
  TlsProbe probe;
  std::string host, port;
  if (!SplitHostPort(settings.server, &host, &port)) {
    probe.outcome = TlsProbe::Outcome::kNoAnswer;
    probe.detail = "not an address HOST:PORT";
    return probe;
  }
  const int fd = Connect(host, port, timeout, &probe.detail);
  if (fd < 0) {
    probe.outcome = TlsProbe::Outcome::kNoAnswer;
    return probe;
  }
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx != nullptr) SSL_CTX_set_default_passwd_cb(ctx.get(), &RefusePassphrase);
  std::unique_ptr<SSL, SslFree> ssl;
  ServerWords words;
  const std::string name = settings.server_name.empty() ? host : settings.server_name;
  static const unsigned char kAlpn[] = {2, 'h', '2'};
  bool ready =
      ctx != nullptr && SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) == 1 &&
      SSL_CTX_load_verify_locations(ctx.get(), settings.ca_file.c_str(), nullptr) == 1 &&
      SSL_CTX_use_certificate_chain_file(ctx.get(), settings.cert_file.c_str()) == 1 &&
      SSL_CTX_use_PrivateKey_file(ctx.get(), settings.key_file.c_str(), SSL_FILETYPE_PEM) == 1 &&
      SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof(kAlpn)) == 0;
  if (ready) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    ssl.reset(SSL_new(ctx.get()));
    ready = ssl != nullptr && SSL_set_fd(ssl.get(), fd) == 1;
  }
  if (ready) {
    SSL_set_ex_data(ssl.get(), WordsIndex(), &words);
    SSL_set_info_callback(ssl.get(), &RecordAlert);
    SSL_set_msg_callback(ssl.get(), &RecordMessage);
    SSL_set_msg_callback_arg(ssl.get(), &words);
    // The name the server's certificate must carry, as gRPC checks it: an IP address or a
    // host name.
    in6_addr ip6;
    in_addr ip4;
    if (inet_pton(AF_INET, name.c_str(), &ip4) == 1 ||
        inet_pton(AF_INET6, name.c_str(), &ip6) == 1) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl.get(), name.c_str());
      SSL_set1_host(ssl.get(), name.c_str());
    }
  }
  if (!ready) {
    probe.outcome = TlsProbe::Outcome::kIdentityUnusable;
    probe.detail = LastSslError();
    close(fd);
    return probe;
  }
  // What ended the connection: the server's alert; a server certificate this side refused; the
  // server hanging up, or no answer before the timeout; or something else.
  const auto ended = [&](int rc, bool handshake_done) {
    const int error = SSL_get_error(ssl.get(), rc);
    const int saved_errno = errno;
    const unsigned long reason = ERR_GET_REASON(ERR_peek_last_error());
    const absl::string_view when =
        handshake_done ? "right after the TLS handshake" : "during the TLS handshake";
    if (words.alert >= 0) {
      probe.outcome = NamesTheCertificate(words.alert) ? TlsProbe::Outcome::kCertificateRefused
                                                       : TlsProbe::Outcome::kUnknown;
      probe.detail = absl::StrCat("TLS alert: ", words.alert_text);
    } else if (SSL_get_verify_result(ssl.get()) != X509_V_OK) {
      probe.outcome = TlsProbe::Outcome::kServerNotTrusted;
      probe.detail = X509_verify_cert_error_string(SSL_get_verify_result(ssl.get()));
    } else if (error == SSL_ERROR_SSL &&
               (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG)) {
      // The first bytes back do not start a TLS record: "HTTP/1.1 400 ..." from a plain HTTP
      // server reads as a record of protocol version 0x5454.
      probe.outcome = TlsProbe::Outcome::kNotTls;
      probe.detail = LastSslError();
    } else if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE ||
               (error == SSL_ERROR_SYSCALL &&
                (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))) {
      // The socket's timeout ran out with nothing to read.
      probe.outcome = handshake_done ? TlsProbe::Outcome::kUnknown
                                     : TlsProbe::Outcome::kNoTlsAnswer;
      probe.detail = absl::StrCat("no answer ", when, " within ", absl::FormatDuration(timeout));
    } else if (error == SSL_ERROR_ZERO_RETURN ||
               (error == SSL_ERROR_SSL && reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) ||
               (error == SSL_ERROR_SYSCALL &&
                (saved_errno == 0 || saved_errno == ECONNRESET || saved_errno == EPIPE))) {
      // A connection that ends without an alert about the certificate is no refusal of it: a
      // server that was stopped, or aborted, mid-handshake ends it the same way, and so does a
      // firewall. The exception is gRPC's own refusal: it checks a TLS 1.3 client's certificate
      // after the client's side of the handshake is done and hangs up without an alert. A server
      // that asked for the certificate, closed right after, and still takes connections is
      // taken to have refused it; one that no longer takes any has stopped.
      std::string ignored;
      const int again = Connect(host, port, timeout, &ignored);
      probe.still_answers = again >= 0;
      if (again >= 0) close(again);
      const bool refused = handshake_done && words.asked_for_certificate &&
                           SSL_version(ssl.get()) == TLS1_3_VERSION && probe.still_answers;
      probe.outcome =
          refused ? TlsProbe::Outcome::kCertificateRefused : TlsProbe::Outcome::kClosed;
      probe.detail = refused ? absl::StrCat("the server closed the connection ", when)
                             : absl::StrCat("the connection was ",
                                            saved_errno == ECONNRESET ? "reset " : "closed ",
                                            when);
    } else {
      probe.detail = LastSslError();
    }
  };
  errno = 0;
  if (const int connected = SSL_connect(ssl.get()); connected != 1) {
    ended(connected, /*handshake_done=*/false);
  } else if (const std::string chain = PresentedChain(ssl.get());
             !chain.empty() && !ServerCertificateRefusedBecause(chain).empty()) {
    // Said before a byte is written, as a revoked one is: this server is not the registry.
    probe.outcome = TlsProbe::Outcome::kServerCertificateIsACa;
    probe.detail = ServerCertificateRefusedBecause(chain);
  } else if (std::string revoked = ServerRevokedBecause(settings, chain); !revoked.empty()) {
    // Said before a byte is written: the preface is nothing, but this server is not the registry.
    probe.outcome = TlsProbe::Outcome::kServerRevoked;
    probe.detail = std::move(revoked);
  } else {
    // With TLS 1.3 the server checks the client certificate after the client's handshake is
    // done: its verdict is the next thing it sends, an alert or its HTTP/2 settings.
    static const char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
    char byte;
    errno = 0;
    int rc = SSL_write(ssl.get(), kPreface, sizeof(kPreface) - 1);
    if (rc > 0) {
      errno = 0;
      rc = SSL_read(ssl.get(), &byte, 1);
    }
    if (rc == 1) {
      probe.outcome = TlsProbe::Outcome::kAccepted;
    } else {
      ended(rc, /*handshake_done=*/true);
    }
  }
  ERR_clear_error();
  ssl.reset();
  close(fd);
  return probe;
}

bool IsTransportText(absl::string_view message) {
  // gRPC's system call errors: "recvmsg:Connection reset by peer", "sendmsg:Broken pipe".
  static constexpr absl::string_view kSystemCalls[] = {
      "recvmsg:", "sendmsg:", "writev:", "readv:", "read:", "write:", "connect:", "getsockopt:",
      "setsockopt:", "shutdown:"};
  for (const absl::string_view call : kSystemCalls) {
    if (absl::StartsWith(message, call)) return true;
  }
  // Its HTTP/2 transport's and call's own (gRPC 1.51): "Socket closed", "GOAWAY received".
  static constexpr absl::string_view kPhrases[] = {
      "socket closed", "stream removed", "transport closed", "transport destroyed",
      "goaway received", "endpoint read failed", "keepalive watchdog timeout",
      "delayed close due to in-progress write", "connection reset by peer", "broken pipe",
      "server shutdown", "channel destroyed", "connection closed", "received rst_stream",
      "fd shutdown", "endpoint closing", "cancelled on the server side",
      // Its channel's, for a connection never made, and its deadline's bare words.
      "failed to connect to all addresses", "connections to all backends failing",
      "dns resolution failed", "deadline exceeded"};
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(message));
  if (lower.empty() || lower == "cancelled" || lower == "unavailable") return true;
  for (const absl::string_view phrase : kPhrases) {
    if (absl::StartsWith(lower, phrase)) return true;
  }
  return false;
}

std::string HowTheCallEnded(const ConnectionSettings& settings, const absl::Status& status) {
  const bool own_words = !IsTransportText(status.message());
  if (absl::IsCancelled(status)) {
    return absl::StrCat("the registry at ", settings.server,
                        " stopped the call before answering it (",
                        own_words ? absl::StrCat(status.message(), "; ") : std::string(),
                        "registryd was stopping, or could not finish it)");
  }
  if (own_words) {
    return absl::StrCat("the call to ", settings.server, " ended after it had reached the server (",
                        status.message(),
                        "): the connection broke, or the registry could not finish it");
  }
  return absl::StrCat("the connection to the registry at ", settings.server,
                      " broke after the call had reached it");
}

absl::Status ExplainDeadlineExceeded(const ConnectionSettings& settings) {
  return absl::DeadlineExceededError(absl::StrCat(
      "no answer from ", settings.server, " within ", absl::FormatDuration(settings.timeout),
      " (--timeout): the server may be overloaded, stopped or unreachable; try again, or give "
      "a longer --timeout"));
}

namespace {
constexpr char kNothingDoneUrl[] = "type.registry.kjc/registry.client.NothingDone";
}  // namespace

absl::Status WithRegistryVerdict(const grpc::ClientContext& context, absl::Status status) {
  if (!absl::IsUnavailable(status)) return status;
  const auto& trailing = context.GetServerTrailingMetadata();
  const auto [begin, end] = trailing.equal_range(kNotDoneMetadataKey);
  // One value, "1": anything else (a key sent twice, another value) is not the registry's mark.
  if (begin == end || std::next(begin) != end ||
      absl::string_view(begin->second.data(), begin->second.size()) != "1") {
    return status;
  }
  status.SetPayload(kNothingDoneUrl, absl::Cord("1"));
  return status;
}

bool RefusedWithNothingDone(const absl::Status& status) {
  return absl::IsUnavailable(status) && status.GetPayload(kNothingDoneUrl).has_value();
}

namespace {
// The mark of a status ExplainUnavailable probed: the probe's outcome, as its number.
constexpr char kProbedUrl[] = "type.registry.kjc/registry.client.ProbedOutcome";

// ExplainUnavailable's words for what `probe` found of the call that failed with `status`.
absl::Status ExplainProbe(const ConnectionSettings& settings, const absl::Status& status,
                          const TlsProbe& probe);
}  // namespace

absl::Status ExplainUnavailable(const ConnectionSettings& settings, const absl::Status& status) {
  // CreateChannel checked both before the call; checked again, a mistake in either is never
  // reported as a server that does not answer.
  if (absl::Status address = CheckServerAddress(settings); !address.ok()) return address;
  // The registry answered, and said that it did nothing (it could not record the call): unlike
  // a connection that broke, there is no outcome to check before trying again.
  if (RefusedWithNothingDone(status)) {
    return absl::UnavailableError(absl::StrCat("the registry at ", settings.server,
                                               " refused the call: nothing was done; try again "
                                               "later (",
                                               status.message(), ")"));
  }
  // The request had gone out on an established connection: the registry may have carried it out
  // (keys rotated, a record expunged) before the connection broke. A probe now finds a server
  // that was killed answering nothing, and "nothing answers" would read as "nothing happened".
  if (SentBeforeFailure(status)) {
    return absl::UnavailableError(absl::StrCat(
        HowTheCallEnded(settings, status),
        "; whether it was carried out is not known, so check before trying again (with a read, "
        "or `audit list` as an auditor)"));
  }
  // The call already waited (its --timeout, or gRPC's own handshake limit): the probe only tells
  // why, so it adds at most a second, and its message states no wait of its own.
  const absl::Duration timeout = std::min(settings.timeout, absl::Seconds(1));
  const TlsProbe probe = ProbeTls(settings, timeout);
  absl::Status explained = ExplainProbe(settings, status, probe);
  explained.SetPayload(kProbedUrl, absl::Cord(std::to_string(static_cast<int>(probe.outcome))));
  return explained;
}

std::optional<TlsProbe::Outcome> ProbedOutcome(const absl::Status& status) {
  const auto payload = status.GetPayload(kProbedUrl);
  int outcome = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &outcome) || outcome < 0 ||
      outcome > static_cast<int>(TlsProbe::Outcome::kUnknown)) {
    return std::nullopt;
  }
  return static_cast<TlsProbe::Outcome>(outcome);
}

absl::Status WithProbedOutcome(const ConnectionSettings& settings, absl::Status status) {
  if (!absl::IsUnavailable(status)) return status;
  if (const auto probed =
          ExplainUnavailable(settings, status).GetPayload(kProbedUrl)) {
    status.SetPayload(kProbedUrl, *probed);
  }
  return status;
}

namespace {

absl::Status ExplainProbe(const ConnectionSettings& settings, const absl::Status& status,
                          const TlsProbe& probe) {
  const std::string& server = settings.server;
  switch (probe.outcome) {
    case TlsProbe::Outcome::kIdentityUnusable: {
      if (absl::Status identity = CheckIdentity(settings); !identity.ok()) return identity;
      const IdentityFileNames names = NamesOfIdentityFiles(settings);
      return UsageError(absl::StrCat("cannot use the identity ", names.ca, ", ", names.cert, ", ",
                                     names.key, ": ", probe.detail));
    }
    case TlsProbe::Outcome::kNotTls:
      return absl::UnavailableError(absl::StrCat(
          "something answers at ", settings.server,
          " but does not speak TLS: is this the registry's gRPC port (not its metrics port)? "
          "(--server, $REGISTRY_SERVER)"));
    case TlsProbe::Outcome::kNoAnswer:
      return absl::UnavailableError(absl::StrCat("nothing answers at ", settings.server, " (",
                                                 probe.detail,
                                                 "): is registryd running there? (--server, "
                                                 "$REGISTRY_SERVER)"));
    case TlsProbe::Outcome::kServerNotTrusted:
      return absl::UnavailableError(absl::StrCat(
          "the server at ", settings.server, " is not the registry your CA certificate (",
          settings.ca_file, ") vouches for: ", probe.detail));
    case TlsProbe::Outcome::kServerRevoked:
      return absl::UnavailableError(absl::StrCat(
          probe.detail, "; nothing was sent to the server at ", server,
          ": whoever holds that certificate's key could stand in for the registry, so tell the "
          "registry's operators, and ask them for the registry's current address and revocation "
          "list"));
    case TlsProbe::Outcome::kServerCertificateIsACa:
      return absl::UnavailableError(absl::StrCat(
          probe.detail, "; nothing was sent to the server at ", server,
          ": the registry serves with a server's certificate (CA:FALSE) and refuses to serve with "
          "a CA's, so this is not the registry as it should be; tell the registry's operators"));
    case TlsProbe::Outcome::kCertificateRefused:
      // Not revoked, nor of another CA: a certificate made for another use (a server's).
      if (NotMadeForClientAuthentication(settings.cert_file)) {
        return absl::UnauthenticatedError(absl::StrCat(
            "the server refused this certificate: ", settings.cert_file,
            " is not made for client authentication (its extended key usage leaves it out, as a "
            "server's certificate does); use your own identity, the folder the registry office "
            "gave you (--identity)"));
      }
      return absl::UnauthenticatedError(absl::StrCat(
          "the server refused this certificate (revoked, unknown CA or not yet valid): ",
          settings.cert_file, " (", probe.detail, ")"));
    case TlsProbe::Outcome::kClosed:
      // Not the certificate: revoking or re-issuing it would not help.
      if (!probe.still_answers) {
        return absl::UnavailableError(absl::StrCat(
            probe.detail, " with ", server,
            ", and nothing answers there now: registryd stopped; see its log for why, and start "
            "it again (--server, $REGISTRY_SERVER)"));
      }
      return absl::UnavailableError(absl::StrCat(
          probe.detail, " with ", server,
          ": the server stopped, or something between you and it closed the connection; check "
          "that registryd runs at ",
          server, " and try again (--server, $REGISTRY_SERVER)"));
    case TlsProbe::Outcome::kNoTlsAnswer:
      return absl::UnavailableError(absl::StrCat(
          "no TLS answer from ", server,
          " (it accepts the connection, then sends nothing): either registryd is there but "
          "stuck (stopped or overloaded: see its process and its log), or the port is another "
          "service's, such as registryd's metrics port (--server, $REGISTRY_SERVER)"));
    case TlsProbe::Outcome::kUnknown:
      return absl::UnavailableError(absl::StrCat(
          "the TLS connection to ", server, " failed",
          probe.detail.empty() ? "" : absl::StrCat(" (", probe.detail, ")"),
          ": is it registryd's gRPC port? (--server, $REGISTRY_SERVER)"));
    case TlsProbe::Outcome::kAccepted:
      break;
  }
  return status;
}

}  // namespace

}  // namespace registry::client
