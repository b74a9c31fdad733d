// A gRPC call written byte by byte at the HTTP/2 level, for requests gRPC's own client cannot
// make: a length-prefixed message whose flag byte is neither 0 nor 1, a header gRPC sets itself
// (grpc-timeout). One TLS connection (ALPN h2, the identity's client certificate from the test
// PKI), the client preface, an empty SETTINGS frame, one HEADERS frame (HPACK literal fields
// without indexing, literal names, no Huffman) and one DATA frame with END_STREAM; then it reads
// frames until the server ends the stream. The server's answer is HPACK-encoded and not read:
// tests check what the server did (its audit log, its data).
//
//   const absl::Status ended = testing::SendRawGrpcCall(
//       server->address(), "admin", "/registry.v1.AdminService/CreateBackup",
//       testing::GrpcMessage(2, ""));
//
// Link OpenSSL::SSL.
#ifndef REGISTRY_TESTS_TESTING_RAW_GRPC_CALL_H_
#define REGISTRY_TESTS_TESTING_RAW_GRPC_CALL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {

// One gRPC length-prefixed message: the flag byte (0 plain, 1 compressed; anything else is not
// gRPC), the payload's length as 4 bytes big-endian, the payload.
inline std::string GrpcMessage(uint8_t flag, absl::string_view payload) {
  const auto size = static_cast<uint32_t>(payload.size());
  std::string out{static_cast<char>(flag),       static_cast<char>(size >> 24),
                  static_cast<char>(size >> 16), static_cast<char>(size >> 8),
                  static_cast<char>(size)};
  out.append(payload.data(), payload.size());
  return out;
}

namespace raw_grpc_internal {

// An HPACK integer with an N-bit prefix (RFC 7541 5.1), the prefix's other bits zero.
inline void AppendHpackInteger(std::string* out, size_t value, int prefix_bits) {
  const size_t max = (size_t{1} << prefix_bits) - 1;
  if (value < max) {
    out->push_back(static_cast<char>(value));
    return;
  }
  out->push_back(static_cast<char>(max));
  value -= max;
  while (value >= 128) {
    out->push_back(static_cast<char>((value % 128) | 128));
    value /= 128;
  }
  out->push_back(static_cast<char>(value));
}

// "Literal Header Field without Indexing -- New Name" (RFC 7541 6.2.2), neither string Huffman.
inline void AppendLiteralHeader(std::string* out, absl::string_view name, absl::string_view value) {
  out->push_back('\0');
  AppendHpackInteger(out, name.size(), 7);
  out->append(name.data(), name.size());
  AppendHpackInteger(out, value.size(), 7);
  out->append(value.data(), value.size());
}

inline std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, absl::string_view payload) {
  const auto size = static_cast<uint32_t>(payload.size());
  std::string out{static_cast<char>(size >> 16),   static_cast<char>(size >> 8),
                  static_cast<char>(size),         static_cast<char>(type),
                  static_cast<char>(flags),        static_cast<char>((stream >> 24) & 0x7f),
                  static_cast<char>(stream >> 16), static_cast<char>(stream >> 8),
                  static_cast<char>(stream)};
  out.append(payload.data(), payload.size());
  return out;
}

inline std::string OpenSslError(absl::string_view what) {
  const unsigned long code = ERR_get_error();
  char text[256] = {};
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  return absl::StrCat(what, ": ", text);
}

struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

inline std::unique_ptr<BIO, BioFree> PemBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Closes the socket when the call is done.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace raw_grpc_internal

// Calls `path` ("/registry.v1.RecordService/GetRecord") on `address` ("127.0.0.1:<port>") as
// the test PKI's `identity`, sending `body` (GrpcMessage) as the request's one DATA frame, with
// the headers a gRPC client sends and `extra_headers` (lowercase names) after them. OK once the
// server has ended the stream (HEADERS or DATA with END_STREAM, RST_STREAM, GOAWAY); an error
// when the connection could not be made or the server did not answer within 30 seconds.
inline absl::Status SendRawGrpcCall(
    absl::string_view address, absl::string_view identity, absl::string_view path,
    absl::string_view body,
    const std::vector<std::pair<std::string, std::string>>& extra_headers = {}) {
  using namespace raw_grpc_internal;  // NOLINT(build/namespaces)
  const TestPki::Identity id = TestPki::Get().LoadIdentity(identity);

  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return absl::InternalError(OpenSslError("SSL_CTX_new"));
  {
    auto ca_bio = PemBio(id.ca_pem);
    X509* ca = nullptr;
    while ((ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr)) != nullptr) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca);
      X509_free(ca);
    }
    ERR_clear_error();  // the end of the bundle reads as an error
    auto cert_bio = PemBio(id.cert_pem);
    std::unique_ptr<X509, X509Free> cert(
        PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    auto key_bio = PemBio(id.key_pem);
    std::unique_ptr<EVP_PKEY, KeyFree> key(
        PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr || key == nullptr ||
        SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
      return absl::InternalError(OpenSslError(absl::StrCat("identity ", identity)));
    }
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  static constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpnH2, sizeof(kAlpnH2));

  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("address ", address));
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, std::string(address.substr(0, colon)).c_str(), &to.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("address ", address));
  }
  Fd fd(socket(AF_INET, SOCK_STREAM, 0));
  if (fd.get() < 0 || connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect ", address));
  }
  timeval wait{30, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));

  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd.get());
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  if (SSL_connect(ssl.get()) != 1) return absl::UnavailableError(OpenSslError("SSL_connect"));
  const unsigned char* alpn = nullptr;
  unsigned int alpn_size = 0;
  SSL_get0_alpn_selected(ssl.get(), &alpn, &alpn_size);
  if (absl::string_view(reinterpret_cast<const char*>(alpn), alpn_size) != "h2") {
    return absl::UnavailableError("the server did not select h2");
  }

  constexpr uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kGoaway = 7;
  constexpr uint8_t kEndStream = 1, kEndHeaders = 4, kAck = 1;
  std::string block;
  AppendLiteralHeader(&block, ":method", "POST");
  AppendLiteralHeader(&block, ":scheme", "https");
  AppendLiteralHeader(&block, ":path", path);
  AppendLiteralHeader(&block, ":authority", "localhost");
  AppendLiteralHeader(&block, "content-type", "application/grpc");
  AppendLiteralHeader(&block, "te", "trailers");
  for (const auto& [name, value] : extra_headers) AppendLiteralHeader(&block, name, value);
  const std::string out = absl::StrCat("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                                       Frame(kSettings, 0, 0, ""),
                                       Frame(kHeaders, kEndHeaders, 1, block),
                                       Frame(kData, kEndStream, 1, body));
  if (SSL_write(ssl.get(), out.data(), static_cast<int>(out.size())) !=
      static_cast<int>(out.size())) {
    return absl::UnavailableError(OpenSslError("SSL_write"));
  }

  std::string in;
  char chunk[16384];
  while (true) {
    // Every whole frame read so far.
    while (in.size() >= 9) {
      const size_t size = (static_cast<size_t>(static_cast<uint8_t>(in[0])) << 16) |
                          (static_cast<size_t>(static_cast<uint8_t>(in[1])) << 8) |
                          static_cast<uint8_t>(in[2]);
      if (in.size() < 9 + size) break;
      const auto type = static_cast<uint8_t>(in[3]);
      const auto flags = static_cast<uint8_t>(in[4]);
      const uint32_t stream = (static_cast<uint32_t>(static_cast<uint8_t>(in[5]) & 0x7f) << 24) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(in[6])) << 16) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(in[7])) << 8) |
                              static_cast<uint8_t>(in[8]);
      in.erase(0, 9 + size);
      if (type == kGoaway) return absl::OkStatus();
      if (stream == 1 && (type == kRstStream ||
                          ((type == kHeaders || type == kData) && (flags & kEndStream) != 0))) {
        return absl::OkStatus();
      }
      if (type == kSettings && (flags & kAck) == 0) {
        const std::string ack = Frame(kSettings, kAck, 0, "");
        SSL_write(ssl.get(), ack.data(), static_cast<int>(ack.size()));
      }
    }
    const int got = SSL_read(ssl.get(), chunk, sizeof(chunk));
    if (got <= 0) return absl::UnavailableError("the connection ended before the stream did");
    in.append(chunk, static_cast<size_t>(got));
  }
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_RAW_GRPC_CALL_H_
