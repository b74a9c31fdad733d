// A certificate is taken only under a client CA registryd accepted, and only when that CA's key
// verifies its signature (server/revocation.h): a CA that copies the registry CA's name and key
// identifier under a key of its own (its twin) vouches for nobody, with or without a CRL folder.
// A CA written into a bundle other local accounts may write reaches neither the gate nor the TLS
// layer, which reads registryd's copy of the CAs the gate took; and were the TLS layer to trust
// it, the gate would still refuse its certificates.
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"
#include "gtest/gtest.h"
#include "registry/v1/info.grpc.pb.h"
#include "server/identity.h"
#include "server/revocation.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using server::ClientCertificate;
using server::ClientCertificates;
using server::Revocation;
using ::testing::HasSubstr;

constexpr char kNotAClientCa[] =
    "the certificate's issuer is not a client CA of the registry (unknown or withdrawn)";

// A client certificate for `uri` issued by `ca`, naming its issuer by key identifier as the
// registry CA's own certificates do.
TestPki::Identity ClientOf(const TestPki::Ca& ca, absl::string_view uri) {
  return TestPki::Get().IssueClientBy(
      ca, "forged",
      absl::StrCat(kClientLeafExtensions,
                   "\nauthorityKeyIdentifier = keyid:always\nsubjectAltName = URI:", uri));
}

std::shared_ptr<const ClientCertificate> Parsed(const std::string& pem) {
  static ClientCertificates* cache = new ClientCertificates();
  auto cert = cache->FromPem(pem);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() ? *cert : nullptr;
}

// A copy of the registry CA bundle that a test may change: its path.
std::string CopyOfTheBundle() {
  const std::string ca = MakeTempDir("client-ca-signature-test") + "/ca.pem";
  WriteFileAtomically(ca, TestPki::Get().CaPem());
  return ca;
}

// Writes `content` to the bundle `path`, left writable by every local account.
void WriteOpenToEveryone(const std::string& path, const std::string& content) {
  WriteFileAtomically(path, content);
  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
}

std::unique_ptr<Revocation> LoadOrDie(const std::string& ca_file, const std::string& crl_dir) {
  auto loaded = Revocation::Load(ca_file, crl_dir);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? *std::move(loaded) : nullptr;
}

grpc::Status WhoAmIOn(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::WhoAmIResponse who;
  return v1::InfoService::NewStub(channel)->WhoAmI(&ctx, {}, &who);
}

grpc::Status HealthOn(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse resp;
  return grpc::health::v1::Health::NewStub(channel)->Check(&ctx, {}, &resp);
}

// Calls WhoAmI as `identity`, on a new connection each time, until the TLS handshake passes (the
// call is answered) or 15 s have passed: gRPC re-reads the client CAs it trusts on its own
// cycle (TestServerOptions::tls_refresh). Returns the last status.
grpc::Status FirstAnsweredCall(const TestServer& server, const TestPki::Identity& identity) {
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  grpc::Status s = WhoAmIOn(MakeChannel(server.address(), identity));
  while (s.error_code() == grpc::StatusCode::UNAVAILABLE && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    s = WhoAmIOn(MakeChannel(server.address(), identity));
  }
  return s;
}

// The one new event of the refused call, checked: UNAUTHENTICATED, no role, the claimed identity
// as actor and the certificate's fingerprint in the detail.
void ExpectRefusedAsNotIssuedByAClientCa(TestServer& server, const TestPki::Identity& identity,
                                         absl::string_view claimed, uint64_t events_before) {
  ASSERT_EQ(AuditLogSize(server), events_before + 1);
  const v1::AuditEvent event = LastStoredEvent(server);
  EXPECT_EQ(OutcomeName(event), "UNAUTHENTICATED");
  EXPECT_EQ(event.actor(), claimed);
  EXPECT_EQ(event.role(), v1::ROLE_UNSPECIFIED);
  EXPECT_EQ(event.detail(), absl::StrCat("certificate refused: issuer_not_client_ca; sha256 ",
                                         identity.fingerprint));
  const uint64_t events = AuditLogSize(server);
  EXPECT_EQ(HealthOn(MakeChannel(server.address(), identity)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AuditLogSize(server), events) << "a health check is not audited";
}

TEST(ClientCaSignatureTest, ACertificateOfATwinOfTheRegistryCaIsNotTakenForTheRegistryCas) {
  const TestPki::Ca twin = TestPki::Get().TwinOfTheRegistryCa();
  const std::shared_ptr<const ClientCertificate> forged =
      Parsed(ClientOf(twin, kAdminId).cert_pem);
  const std::shared_ptr<const ClientCertificate> clerk =
      Parsed(TestPki::Get().LoadIdentity("clerk").cert_pem);
  const std::shared_ptr<const ClientCertificate> untrusted =
      Parsed(TestPki::Get().LoadIdentity("untrusted").cert_pem);
  ASSERT_NE(forged, nullptr);
  ASSERT_NE(clerk, nullptr);
  ASSERT_NE(untrusted, nullptr);

  // With the registry CA's current CRL, which does not list the forged certificate's serial, and
  // with no CRL folder at all.
  for (const std::string& crl_dir : {TestPki::Get().CrlDir(), std::string()}) {
    SCOPED_TRACE(crl_dir.empty() ? "without a CRL folder" : "with a CRL folder");
    const std::string ca = CopyOfTheBundle();
    auto r = LoadOrDie(ca, crl_dir);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->Check(*forged, absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
    EXPECT_EQ(r->Check(*untrusted, absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
    EXPECT_EQ(r->Check(*clerk, absl::Now()), Revocation::Verdict::kGood);
    // Asked again, from the verification kept for these CAs.
    EXPECT_EQ(r->Check(*forged, absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
    EXPECT_EQ(r->Check(*clerk, absl::Now()), Revocation::Verdict::kGood);

    // Written into the bundle while others may write it: refused, the registry CA alone stays.
    WriteOpenToEveryone(ca, twin.cert_pem + TestPki::Get().CaPem());
    EXPECT_EQ(r->Reload().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(r->Check(*forged, absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
    EXPECT_EQ(r->Check(*clerk, absl::Now()), Revocation::Verdict::kGood);

    // A bundle the operator wrote with the twin in it is taken, and so is the twin's certificate
    // (refused without a CRL of the twin's, when CRLs are followed): what was verified for the
    // earlier CAs is not what holds for these.
    ASSERT_EQ(::chmod(ca.c_str(), 0644), 0);
    EXPECT_TRUE(r->Reload().ok());
    EXPECT_EQ(r->Check(*forged, absl::Now()), crl_dir.empty()
                                                  ? Revocation::Verdict::kGood
                                                  : Revocation::Verdict::kNoCurrentCrl);
    EXPECT_EQ(r->Check(*untrusted, absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
  }
}

// The TLS layer's copy of the client CAs the gate took (server/revocation.h, KeepTlsCopy):
// beside the erasure ledger, which a test server keeps in its root.
std::string TlsCopyOf(const TestServer& server) {
  return server.dir() + "/client-ca.in-force.pem";
}

// The content of `path`, "" when it cannot be read.
std::string ContentOf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Returns once gRPC has read its TLS files, the client CAs among them, wholly after this call
// began: the server certificate is replaced by the second one and then put back, each seen on a
// new connection (gRPC reads the client CAs first, then the server's key and certificate, in
// each of its reads).
void AwaitTlsFilesRead(const TestServer& server) {
  const TestPki& pki = TestPki::Get();
  for (const char* identity : {"server2", "server"}) {
    WriteFileAtomically(server.tls_dir() + "/key.pem",
                        pki.ReadFile(absl::StrCat(identity, "/key.pem")));
    WriteFileAtomically(server.tls_dir() + "/cert.pem",
                        pki.ReadFile(absl::StrCat(identity, "/cert.pem")));
    const std::string want = pki.LoadIdentity(identity).fingerprint;
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    std::string seen = ServerCertificateSeenBy(server.Channel("clerk"));
    while (seen != want && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
      seen = ServerCertificateSeenBy(server.Channel("clerk"));
    }
    ASSERT_EQ(seen, want) << "gRPC did not read the TLS files within 20 s";
  }
}

// The case: the client CA file is made writable by every local account while registryd runs,
// and a CA with the registry CA's name and key identifier is written first into it. The gate
// refused the bundle, but gRPC read it and completed the handshake of a certificate that CA
// issued with the admin's URI SAN; the gate matched it to the registry CA by name and key
// identifier, whose CRL does not list it, and let it in as the admin. Now the TLS layer reads
// the CAs the gate took, and the gate refuses the certificate even where the TLS layer takes it.
TEST(ClientCaSignatureTest, ATwinOfTheRegistryCaInABundleOthersMayWriteLetsNoAdminIn) {
  auto server = TestServer::Start();
  const TestPki::Ca twin = TestPki::Get().TwinOfTheRegistryCa();
  const TestPki::Identity forged = ClientOf(twin, kAdminId);
  ASSERT_TRUE(WhoAmIOn(server->Channel("admin")).ok());

  const std::string ca = server->tls_dir() + "/ca.pem";
  WriteOpenToEveryone(ca, twin.cert_pem + TestPki::Get().CaPem());
  const absl::Status reloaded = server->server()->ReloadRevocation();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
  EXPECT_THAT(std::string(reloaded.message()), HasSubstr("writable by every local account"));
  EXPECT_EQ(ContentOf(TlsCopyOf(*server)), TestPki::Get().CaPem());
  AwaitTlsFilesRead(*server);
  EXPECT_EQ(WhoAmIOn(MakeChannel(server->address(), forged)).error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "the TLS handshake took a certificate of a CA the gate refused";
  EXPECT_TRUE(WhoAmIOn(server->Channel("admin")).ok());

  // The TLS layer made to trust the twin (as only registryd's own account could): the gate
  // still refuses its certificate, and audits the refusal.
  WriteFileAtomically(TlsCopyOf(*server), twin.cert_pem + TestPki::Get().CaPem());
  const uint64_t before = AuditLogSize(*server);
  const grpc::Status s = FirstAnsweredCall(*server, forged);
  ASSERT_NE(s.error_code(), grpc::StatusCode::UNAVAILABLE)
      << "the TLS layer never took the twin's certificate: " << s.error_message();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(s.error_message(), kNotAClientCa);
  ExpectRefusedAsNotIssuedByAClientCa(*server, forged, kAdminId, before);
}

// Without tls.crl_directory the gate matched no issuer at all: any CA appended to a bundle that
// every local account may write made its certificates a clerk's once gRPC had read the file.
TEST(ClientCaSignatureTest, WithoutACrlFolderACaAppendedToABundleOthersMayWriteLetsNoClerkIn) {
  TestServerOptions options;
  options.crl = false;
  auto server = TestServer::Start(std::move(options));
  // Issued by the untrusted development CA, with the clerk's URI SAN.
  const TestPki::Identity untrusted = TestPki::Get().LoadIdentity("untrusted");
  const std::string appended =
      TestPki::Get().CaPem() + TestPki::Get().ReadFile("untrusted-ca/ca.pem");
  ASSERT_EQ(WhoAmIOn(server->Channel("untrusted")).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  WriteOpenToEveryone(server->tls_dir() + "/ca.pem", appended);
  EXPECT_EQ(server->server()->ReloadRevocation().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ContentOf(TlsCopyOf(*server)), TestPki::Get().CaPem());
  AwaitTlsFilesRead(*server);
  EXPECT_EQ(WhoAmIOn(server->Channel("untrusted")).error_code(), grpc::StatusCode::UNAVAILABLE)
      << "the TLS handshake took a certificate of a CA the gate refused";

  WriteFileAtomically(TlsCopyOf(*server), appended);
  const uint64_t before = AuditLogSize(*server);
  const grpc::Status s = FirstAnsweredCall(*server, untrusted);
  ASSERT_NE(s.error_code(), grpc::StatusCode::UNAVAILABLE)
      << "the TLS layer never took the appended CA's certificate: " << s.error_message();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(s.error_message(), kNotAClientCa);
  ExpectRefusedAsNotIssuedByAClientCa(*server, untrusted, kClerkId, before);
  EXPECT_TRUE(WhoAmIOn(server->Channel("clerk")).ok());
}

}  // namespace
}  // namespace registry::testing
