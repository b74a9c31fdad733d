// registryd's transport: mTLS only. A trusted client identity reaches the service; no client
// certificate, a certificate from an untrusted CA, an expired certificate, or a plaintext
// connection never reach a handler (the audit log does not grow). (Revoked certificates are
// refused by the call gate: revocation_test.cc.) A server certificate replaced on disk reaches
// new connections within seconds, without a restart, when it passes start-up's checks; one that
// does not (a CA's, a key not its own or one every local account may read, another host's) is
// refused and the previous one served, and a client CA bundle of certificates that are no CA's is
// refused on reload. registryd's copies of the pair in force are removed at a clean stop.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/grpc_security_constants.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/check_config.h"
#include "server/identity.h"
#include "server/tls_identity.h"
#include "tests/testing/clients.h"
#include "tests/testing/data_files.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         HealthCheckResponse* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return Health::NewStub(channel)->Check(&ctx, HealthCheckRequest(), resp);
}

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start(); }
  std::unique_ptr<TestServer> server_;
};

TEST_F(ServerTlsTest, HealthServingWithTrustedIdentity) {
  HealthCheckResponse resp;
  grpc::Status s = CheckHealth(server_->Channel("clerk"), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.status(), HealthCheckResponse::SERVING);
}

TEST_F(ServerTlsTest, RefusesClientWithoutCertificate) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = TestPki::Get().CaPem();
  auto channel = grpc::CreateChannel(server_->address(), grpc::SslCredentials(ssl));
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  HealthCheckResponse resp;
  EXPECT_EQ(CheckHealth(channel, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A registry RPC never reaches the gate either.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  registry::v1::PublicKey key;
  EXPECT_FALSE(registry::v1::VettingService::NewStub(channel)
                   ->GetVettingPublicKey(&ctx, {}, &key)
                   .ok());
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before);
}

TEST_F(ServerTlsTest, RefusesUntrustedAndExpiredCertificates) {
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  for (const char* identity : {"untrusted", "expired"}) {
    HealthCheckResponse resp;
    EXPECT_EQ(CheckHealth(server_->Channel(identity), &resp).error_code(),
              grpc::StatusCode::UNAVAILABLE)
        << identity;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    registry::v1::PublicKey key;
    EXPECT_EQ(registry::v1::VettingService::NewStub(server_->Channel(identity))
                  ->GetVettingPublicKey(&ctx, {}, &key)
                  .error_code(),
              grpc::StatusCode::UNAVAILABLE)
        << identity;
  }
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before);
}

TEST_F(ServerTlsTest, RefusesPlaintext) {
  auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  HealthCheckResponse resp;
  EXPECT_EQ(CheckHealth(channel, &resp).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServerTlsTest, RegistryCallFromTrustedIdentityIsAudited) {
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  grpc::ClientContext ctx;
  registry::v1::PublicKey key;
  grpc::Status s = registry::v1::VettingService::NewStub(server_->Channel("court"))
                       ->GetVettingPublicKey(&ctx, {}, &key);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(key.ed25519().size(), 32u);
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before + 1);
}

TEST_F(ServerTlsTest, ReplacedServerCertificateReachesNewConnections) {
  const TestPki& pki = TestPki::Get();
  const std::string first = pki.LoadIdentity("server").fingerprint;
  const std::string second = pki.LoadIdentity("server2").fingerprint;
  ASSERT_NE(first, second);
  ASSERT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")), first);

  // As an operator would: the new key and certificate, each written whole.
  testing::WriteFileAtomically(server_->tls_dir() + "/key.pem", pki.ReadFile("server2/key.pem"));
  testing::WriteFileAtomically(server_->tls_dir() + "/cert.pem",
                               pki.ReadFile("server2/cert.pem"));

  // Each attempt is a new channel, hence a new connection and handshake.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string seen = ServerCertificateSeenBy(server_->Channel("clerk"));
  while (seen != second && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    seen = ServerCertificateSeenBy(server_->Channel("clerk"));
  }
  EXPECT_EQ(seen, second) << "the replaced server certificate was not served within 20 s";
}

constexpr char kCaServerExtensions[] =
    "basicConstraints = critical, CA:TRUE\n"
    "keyUsage = critical, digitalSignature, keyCertSign, cRLSign\n"
    "extendedKeyUsage = serverAuth\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always\n"
    "subjectAltName = DNS:localhost, IP:127.0.0.1";

// Start-up refuses a CA's certificate as the server's; gRPC, reading tls.cert_file on its own,
// served one swapped in at run time. Now gRPC reads registryd's copy of the pair in force, which
// a reload (SIGHUP's, or the watcher's every tls_refresh) rewrites only with a pair that passes
// start-up's checks: the CA's pair is refused in start-up's words, the previous certificate is
// still served, and a good pair put in place afterwards is served.
TEST_F(ServerTlsTest, ACaCertificateSwappedInAsTheServersIsRefusedAndThePreviousOneServed) {
  const TestPki& pki = TestPki::Get();
  const std::string first = pki.LoadIdentity("server").fingerprint;
  ASSERT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")), first);
  const TestPki::Identity ca_server = pki.IssueClient("localhost", kCaServerExtensions);
  const std::string cert_file = server_->tls_dir() + "/cert.pem";
  testing::WriteFileAtomically(server_->tls_dir() + "/key.pem", ca_server.key_pem);
  testing::WriteFileAtomically(cert_file, ca_server.cert_pem);

  const absl::Status reloaded = server_->server()->ReloadServerCertificate();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
  EXPECT_EQ(reloaded, server::ServerCertificateServes(cert_file, absl::Now()))
      << "not in start-up's words";
  EXPECT_THAT(std::string(reloaded.message()),
              ::testing::HasSubstr(" is a CA's certificate (basicConstraints CA:TRUE), not a "
                                   "server's"));
  // gRPC reads a new pair every tls_refresh (1 s here): for three of its reads, every new
  // connection still meets the previous certificate.
  const absl::Time until = absl::Now() + 3 * absl::Seconds(1);
  while (absl::Now() < until) {
    const std::string seen = ServerCertificateSeenBy(server_->Channel("clerk"));
    ASSERT_NE(seen, ca_server.fingerprint) << "the CA's certificate was served";
    EXPECT_EQ(seen, first);
    absl::SleepFor(absl::Milliseconds(200));
  }

  // A good pair is served again, as soon as a new connection is made after the reload.
  const std::string second = pki.LoadIdentity("server2").fingerprint;
  testing::WriteFileAtomically(server_->tls_dir() + "/key.pem", pki.ReadFile("server2/key.pem"));
  testing::WriteFileAtomically(cert_file, pki.ReadFile("server2/cert.pem"));
  ASSERT_TRUE(server_->server()->ReloadServerCertificate().ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string seen = ServerCertificateSeenBy(server_->Channel("clerk"));
  while (seen != second && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    seen = ServerCertificateSeenBy(server_->Channel("clerk"));
  }
  EXPECT_EQ(seen, second) << "the good certificate was not served within 20 s";
}

// A key that is not the certificate's is refused on reload as --check_config refuses it; the
// pair in force is still served.
TEST_F(ServerTlsTest, AKeyThatIsNotTheServerCertificatesIsRefusedOnReload) {
  const TestPki& pki = TestPki::Get();
  testing::WriteFileAtomically(server_->tls_dir() + "/key.pem", pki.ReadFile("server2/key.pem"));
  const absl::Status reloaded = server_->server()->ReloadServerCertificate();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
  EXPECT_EQ(reloaded.message(),
            "tls.key_file: the key does not belong to the certificate in tls.cert_file");
  EXPECT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")),
            pki.LoadIdentity("server").fingerprint);
}

// A key that is not the certificate's was refused at start only once the data folder had been
// opened and recovered; now it is refused before anything is opened, in the reload's words.
TEST_F(ServerTlsTest, AKeyThatIsNotTheServerCertificatesIsRefusedAtStartBeforeTheDataIsOpened) {
  const TestPki& pki = TestPki::Get();
  const std::string data_dir = server_->config().data_dir();
  server_->Stop();
  const std::vector<std::string> files = FilesUnder(data_dir);
  WriteFileAtomically(server_->tls_dir() + "/key.pem", pki.ReadFile("server2/key.pem"));
  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_EQ(started.message(),
            "tls.key_file: the key does not belong to the certificate in tls.cert_file");
  EXPECT_EQ(FilesUnder(data_dir), files) << "the data folder was opened";
  // With its own key back, it starts.
  WriteFileAtomically(server_->tls_dir() + "/key.pem", pki.ReadFile("server/key.pem"));
  const absl::Status again = server_->Restart();
  ASSERT_TRUE(again.ok()) << again;
}

// The words every check of the server's key uses for one that every local account may open.
std::string KeyOpenToEveryone(const std::string& key_file, const char* mode) {
  return absl::StrCat("tls.key_file: ", key_file, " is open to every local account (mode ", mode,
                      "): whoever reads it can pose as the registry to every official; run chmod "
                      "600 ",
                      key_file, " (or 0640, owner root, group registryd)");
}

// A server key that every local account may read was a problem to --check_config only: the start
// took it. It is refused at start, before the data folder is opened, in --check_config's words,
// naming the chmod that mends it; a key its group may read (root, group registryd, 0640) starts.
// The mode bits are judged, so the test holds when run as root, who may read any file.
TEST_F(ServerTlsTest, AServerKeyEveryLocalAccountMayReadIsRefusedAtStartBeforeTheDataIsOpened) {
  const std::string data_dir = server_->config().data_dir();
  const std::string key_file = server_->tls_dir() + "/key.pem";
  server_->Stop();
  const std::vector<std::string> files = FilesUnder(data_dir);
  for (const char* mode : {"0644", "0604", "0666"}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(::chmod(key_file.c_str(), static_cast<mode_t>(std::stoi(mode, nullptr, 8))), 0);
    const absl::Status started = server_->Restart();
    EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
    EXPECT_THAT(std::string(started.message()),
                ::testing::HasSubstr(KeyOpenToEveryone(key_file, mode)));
    EXPECT_EQ(server::ServerKeyModeProblem(key_file), KeyOpenToEveryone(key_file, mode))
        << "not in --check_config's words";
    EXPECT_EQ(FilesUnder(data_dir), files) << "the data folder was opened";
  }
  ASSERT_EQ(::chmod(key_file.c_str(), 0640), 0);
  EXPECT_EQ(server::ServerKeyModeProblem(key_file), "");
  const absl::Status again = server_->Restart();
  ASSERT_TRUE(again.ok()) << again;
}

// A pair whose key every local account may read was taken on reload (SIGHUP's or the watcher's),
// though the same loader refused one they may write. It is refused as the start refuses it, in
// the same words, once (a key others may also write is said by the same chmod 600), and the
// certificate in force is still served; made the owner's only, it is taken.
TEST_F(ServerTlsTest, AServerKeyEveryLocalAccountMayReadIsRefusedOnReloadAndThePreviousServed) {
  const TestPki& pki = TestPki::Get();
  const std::string first = pki.LoadIdentity("server").fingerprint;
  const std::string second = pki.LoadIdentity("server2").fingerprint;
  const std::string key_file = server_->tls_dir() + "/key.pem";
  ASSERT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")), first);
  // The key is put in place with its mode: the watcher, polling on its own, never meets the new
  // pair with a key of the owner's only.
  testing::WriteFileAtomically(key_file + ".new", pki.ReadFile("server2/key.pem"));
  ASSERT_EQ(::chmod((key_file + ".new").c_str(), 0644), 0);
  ASSERT_EQ(std::rename((key_file + ".new").c_str(), key_file.c_str()), 0);
  testing::WriteFileAtomically(server_->tls_dir() + "/cert.pem",
                               pki.ReadFile("server2/cert.pem"));
  for (const char* mode : {"0644", "0666"}) {
    SCOPED_TRACE(mode);
    ASSERT_EQ(::chmod(key_file.c_str(), static_cast<mode_t>(std::stoi(mode, nullptr, 8))), 0);
    const absl::Status reloaded = server_->server()->ReloadServerCertificate();
    EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
    EXPECT_EQ(reloaded.message(), KeyOpenToEveryone(key_file, mode));
    EXPECT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")), first)
        << "the pair others may read was served";
  }
  ASSERT_EQ(::chmod(key_file.c_str(), 0600), 0);
  const absl::Status reloaded = server_->server()->ReloadServerCertificate();
  ASSERT_TRUE(reloaded.ok()) << reloaded;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string seen = ServerCertificateSeenBy(server_->Channel("clerk"));
  while (seen != second && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(200));
    seen = ServerCertificateSeenBy(server_->Channel("clerk"));
  }
  EXPECT_EQ(seen, second) << "the pair made the owner's only was not served within 20 s";
}

// A key encrypted with a passphrase: OpenSSL asked for the passphrase on registryd's terminal,
// holding the thread that waits for signals (SIGTERM then went unanswered). It is refused on
// reload, saying so, and the pair in force is still served.
TEST_F(ServerTlsTest, AnEncryptedKeyIsRefusedOnReloadWithoutAskingForAPassphrase) {
  const TestPki& pki = TestPki::Get();
  const std::string plain = pki.ReadFile("server/key.pem");
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(plain.data(), static_cast<int>(plain.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  ASSERT_NE(key, nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  char passphrase[] = "a passphrase";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), passphrase,
                                          static_cast<int>(sizeof(passphrase) - 1), nullptr,
                                          nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  testing::WriteFileAtomically(server_->tls_dir() + "/key.pem", std::string(data, size));
  const absl::Status reloaded = server_->server()->ReloadServerCertificate();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
  EXPECT_THAT(std::string(reloaded.message()),
              ::testing::HasSubstr(" is encrypted with a passphrase, which registryd never asks "
                                   "for"));
  EXPECT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")),
            pki.LoadIdentity("server").fingerprint);
}

// A server certificate as the dev PKI issues one, for the names `san`.
std::string ServerExtensions(absl::string_view san) {
  return absl::StrCat(
      "basicConstraints = critical, CA:FALSE\n"
      "keyUsage = critical, digitalSignature\n"
      "extendedKeyUsage = serverAuth\n"
      "subjectKeyIdentifier = hash\n"
      "authorityKeyIdentifier = keyid:always\n"
      "subjectAltName = ",
      san);
}

// A good certificate for another host (the registry's test server answers as localhost and
// 127.0.0.1), copied to this one by mistake, was taken on reload: every client that reaches the
// registry by its name then failed the handshake. It is refused on reload, naming the names it
// drops, and the certificate in force is still served; one that names them all and more is
// taken. (Start-up takes any good certificate: a move to other names is a restart.)
TEST_F(ServerTlsTest, AServerCertificateForAnotherHostIsRefusedOnReload) {
  const TestPki& pki = TestPki::Get();
  const std::string first = pki.LoadIdentity("server").fingerprint;
  const std::string cert_file = server_->tls_dir() + "/cert.pem";
  const std::string key_file = server_->tls_dir() + "/key.pem";
  for (const auto& [san, dropped] : std::vector<std::pair<std::string, std::string>>{
           {"DNS:registry.other.example, IP:10.9.8.7", "localhost, 127.0.0.1"},
           {"DNS:localhost", "127.0.0.1"},
           {"IP:127.0.0.1, DNS:*.localdomain", "localhost"}}) {
    SCOPED_TRACE(san);
    const TestPki::Identity other = pki.IssueClient("registry", ServerExtensions(san));
    testing::WriteFileAtomically(key_file, other.key_pem);
    testing::WriteFileAtomically(cert_file, other.cert_pem);
    EXPECT_TRUE(server::ServerCertificateServes(cert_file, absl::Now()).ok())
        << "start-up would take it";
    const absl::Status reloaded = server_->server()->ReloadServerCertificate();
    EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
    EXPECT_EQ(reloaded.message(),
              absl::StrCat("tls.cert_file: does not name every host the certificate in force "
                           "names (not ",
                           dropped,
                           "): clients that reach the registry by such a name would fail their "
                           "handshake. A certificate for other host names is taken at a "
                           "restart, not on reload"));
    EXPECT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")), first);
  }
  // The same names and one more: taken.
  const TestPki::Identity more = pki.IssueClient(
      "registry", ServerExtensions("DNS:localhost, IP:127.0.0.1, DNS:registry.kjc.example"));
  testing::WriteFileAtomically(key_file, more.key_pem);
  testing::WriteFileAtomically(cert_file, more.cert_pem);
  EXPECT_TRUE(server_->server()->ReloadServerCertificate().ok());
  EXPECT_EQ(server::HostNamesDroppedProblem(more.cert_pem, pki.ReadFile("server/cert.pem")),
            "tls.cert_file: does not name every host the certificate in force names (not "
            "registry.kjc.example): clients that reach the registry by such a name would fail "
            "their handshake. A certificate for other host names is taken at a restart, not on "
            "reload");
  EXPECT_EQ(server::HostNamesDroppedProblem(pki.ReadFile("server/cert.pem"),
                                            pki.ReadFile("server2/cert.pem")),
            "");
}

// registryd's copies of the server's certificate and key (the key is a secret) were left in its
// folder after it stopped. A clean stop removes them; the next start writes them again.
TEST_F(ServerTlsTest, TheCopiesOfTheServersPairInForceAreRemovedAtACleanStop) {
  const std::string& ledger = server_->config().erasure_ledger_file();
  const std::string folder = ledger.substr(0, ledger.rfind('/'));
  const std::string cert_copy = folder + "/server-cert.in-force.pem";
  const std::string key_copy = folder + "/server-key.in-force.pem";
  const auto exists = [](const std::string& path) { return access(path.c_str(), F_OK) == 0; };
  ASSERT_TRUE(exists(cert_copy));
  ASSERT_TRUE(exists(key_copy));
  server_->Stop();
  EXPECT_FALSE(exists(cert_copy));
  EXPECT_FALSE(exists(key_copy));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_TRUE(exists(cert_copy));
  EXPECT_TRUE(exists(key_copy));
  EXPECT_EQ(ServerCertificateSeenBy(server_->Channel("clerk")),
            TestPki::Get().LoadIdentity("server").fingerprint);
}

// A client CA bundle of certificates that are no CA's (an official's certificate put in its
// place) was taken on reload, and every official was refused. It is refused as at start: the
// client CAs in force stay, and the officials are still served.
TEST_F(ServerTlsTest, AClientCaBundleOfCertificatesThatAreNoCasIsRefusedOnReload) {
  const TestPki& pki = TestPki::Get();
  ASSERT_EQ(GetVettingPublicKeyOn(server_->Channel("court")).error_code(), grpc::StatusCode::OK);
  const std::string bundle = server_->tls_dir() + "/ca.pem";
  testing::WriteFileAtomically(bundle, pki.ReadFile("clerk/cert.pem"));
  const absl::Status reloaded = server_->server()->ReloadRevocation();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
  EXPECT_THAT(std::string(reloaded.message()),
              ::testing::AllOf(::testing::StartsWith(absl::StrCat(
                                   "tls.client_ca_file: certificate 1 of ", bundle, " (")),
                               ::testing::HasSubstr("dev-clerk) is not a CA's certificate")));
  EXPECT_EQ(GetVettingPublicKeyOn(server_->Channel("court")).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(GetVettingPublicKeyOn(server_->Channel("clerk")).error_code(), grpc::StatusCode::OK);

  // The registry CA with a leaf after it is refused whole.
  testing::WriteFileAtomically(bundle, pki.CaPem() + pki.ReadFile("clerk/cert.pem"));
  EXPECT_THAT(std::string(server_->server()->ReloadRevocation().message()),
              ::testing::HasSubstr("certificate 2 of "));
  // Given back, the bundle is taken.
  testing::WriteFileAtomically(bundle, pki.CaPem());
  EXPECT_TRUE(server_->server()->ReloadRevocation().ok());
  EXPECT_EQ(GetVettingPublicKeyOn(server_->Channel("court")).error_code(), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace registry::testing
