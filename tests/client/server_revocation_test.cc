// registry-cli refuses a registry whose certificate the registry CA has revoked, when the
// identity folder holds the CA's revocation list (client/server_revocation.h): whoever holds a
// leaked server key could otherwise stand in for the registry and receive the personal numbers
// of the searches sent to it. It refuses a registry whose own certificate is a CA's too, with or
// without that list. A fake registry over real mutual TLS counts what reaches it.
#include "client/server_revocation.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/server_credentials.h"
#include "gtest/gtest.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/test_pki.h"

namespace registry::client {
namespace {

using testing::CliRun;
using testing::kServerLeafExtensions;
using testing::RunCliCaptured;
using testing::TestPki;
using ::testing::HasSubstr;


template <typename T, void (*Free)(T*)>
struct Freed {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Freed<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Freed<X509, X509_free>>;

X509Ptr ParseCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

constexpr char kIntermediateExtensions[] =
    "basicConstraints = critical, CA:TRUE, pathlen:0\n"
    "keyUsage = critical, keyCertSign, cRLSign\n"
    "subjectKeyIdentifier = hash\n"
    "authorityKeyIdentifier = keyid:always";

// An intermediate CA the registry CA issues, with its files in a folder of its own.
TestPki::Ca IntermediateCa() {
  const TestPki::Identity issued =
      TestPki::Get().IssueClient("Registry Intermediate CA", kIntermediateExtensions);
  const std::string dir = testing::MakeTempDir("revoked-server-intermediate");
  TestPki::Ca ca;
  ca.cert_pem = issued.cert_pem;
  ca.cert_file = dir + "/ca.pem";
  ca.key_file = dir + "/ca.key";
  std::ofstream(ca.cert_file) << issued.cert_pem;
  std::ofstream(ca.key_file) << issued.key_pem;
  return ca;
}

// A CRL of the registry CA, valid from now for a day, that lists the certificates `cert_pems`;
// or of the CA whose certificate and key are `ca_pem` and `ca_key_pem`.
std::string CrlListing(const std::vector<std::string>& cert_pems,
                       const std::string& ca_pem = TestPki::Get().CaPem(),
                       const std::string& ca_key_pem = TestPki::Get().ReadFile("ca/ca.key")) {
  X509Ptr ca = ParseCert(ca_pem);
  const std::string& key_pem = ca_key_pem;
  BioPtr key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  std::unique_ptr<EVP_PKEY, Freed<EVP_PKEY, EVP_PKEY_free>> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  std::unique_ptr<X509_CRL, Freed<X509_CRL, X509_CRL_free>> crl(X509_CRL_new());
  EXPECT_TRUE(ca != nullptr && key != nullptr && crl != nullptr);
  if (ca == nullptr || key == nullptr || crl == nullptr) return "";
  const time_t now = time(nullptr);
  std::unique_ptr<ASN1_TIME, Freed<ASN1_TIME, ASN1_TIME_free>> this_update(
      ASN1_TIME_set(nullptr, now - 60));
  std::unique_ptr<ASN1_TIME, Freed<ASN1_TIME, ASN1_TIME_free>> next_update(
      ASN1_TIME_adj(nullptr, now, 1, 0));
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get()));
  X509_CRL_set1_lastUpdate(crl.get(), this_update.get());
  X509_CRL_set1_nextUpdate(crl.get(), next_update.get());
  for (const std::string& pem : cert_pems) {
    X509Ptr cert = ParseCert(pem);
    EXPECT_NE(cert, nullptr);
    if (cert == nullptr) continue;
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert.get()));
    X509_REVOKED_set_revocationDate(entry, this_update.get());
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  X509_CRL_sort(crl.get());
  EXPECT_GT(X509_CRL_sign(crl.get(), key.get(), EVP_sha256()), 0);
  BioPtr out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(out.get(), crl.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// Counts the searches that reach it, and keeps the personal number of the last.
class CountingVetting final : public v1::VettingService::Service {
 public:
  std::atomic<int> searches{0};

  grpc::Status ListChecksAboutPerson(grpc::ServerContext*,
                                     const v1::ListChecksAboutPersonRequest*,
                                     v1::ListChecksAboutPersonResponse*) override {
    ++searches;
    return grpc::Status::OK;
  }
};

class RevokedServerTest : public ::testing::Test {
 protected:
  // A fake registry over mutual TLS with `server`'s certificate, and an identity folder of the
  // auditor's files.
  // `chain_after` is what the server sends after its own certificate (an intermediate CA), and
  // `ca_after` what the identity's ca.pem holds after the registry CA.
  void Start(const TestPki::Identity& server, const std::string& chain_after = "",
             const std::string& ca_after = "") {
    grpc::SslServerCredentialsOptions tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = TestPki::Get().CaPem();
    tls.pem_key_cert_pairs.push_back({server.key_pem, server.cert_pem + chain_after});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
    builder.RegisterService(&vetting_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
    identity_ = testing::MakeTempDir("revoked-server-identity");
    for (const char* name : {"ca.pem", "cert.pem", "key.pem"}) {
      std::ofstream(identity_ + "/" + name)
          << TestPki::Get().ReadFile(absl::StrCat("auditor/", name));
    }
    std::ofstream(identity_ + "/ca.pem", std::ios::app) << ca_after;
    std::filesystem::permissions(identity_ + "/key.pem", std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  void PutCrl(const std::string& pem) { std::ofstream(identity_ + "/crl.pem") << pem; }

  CliRun Search() {
    return RunCliCaptured({"--server", address_, "--identity", identity_, "--timeout", "5", "vet",
                           "history", "--personal-number", "1234567890", "--request-ref",
                           "DSR-1"});
  }

  // While the registry CA's CRL lists nothing, a search reaches the server (the test's PKI is
  // sound); once it lists `intermediate`, the next search does not, and the user is told which
  // certificate is revoked and that nothing was sent.
  void ExpectTheIntermediatesRevocationStopsTheSearch(const TestPki::Ca& intermediate) {
    PutCrl(CrlListing({}));
    CliRun run = Search();
    ASSERT_EQ(run.code, 0) << run.err;
    ASSERT_EQ(vetting_.searches.load(), 1);

    PutCrl(CrlListing({intermediate.cert_pem}));
    run = Search();
    EXPECT_NE(run.code, 0);
    EXPECT_EQ(vetting_.searches.load(), 1) << "the search reached a server of a revoked CA";
    EXPECT_THAT(run.err, HasSubstr("the registry's certificate is revoked"));
    EXPECT_THAT(run.err, HasSubstr("issued under CA certificate"));
    EXPECT_THAT(run.err, HasSubstr("(CN=Registry Intermediate CA), which"));
    EXPECT_THAT(run.err, HasSubstr(identity_ + "/crl.pem"));
    EXPECT_THAT(run.err, HasSubstr("nothing was sent"));
  }

  CountingVetting vetting_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::string identity_;
};

// The case: a server with a revoked certificate (and its key) received a search with its
// personal number. With the CA's CRL in the identity folder, it receives nothing, and the user is
// told that the registry's certificate is revoked.
TEST_F(RevokedServerTest, AServerWhoseCertificateIsRevokedReceivesNothing) {
  const TestPki::Identity server = TestPki::Get().IssueClient("localhost", kServerLeafExtensions);
  Start(server);
  PutCrl(CrlListing({server.cert_pem}));
  const CliRun run = Search();
  EXPECT_NE(run.code, 0);
  EXPECT_EQ(vetting_.searches.load(), 0) << "the search reached a revoked server";
  EXPECT_THAT(run.err, HasSubstr("the registry's certificate is revoked"));
  EXPECT_THAT(run.err, HasSubstr(identity_ + "/crl.pem"));
  EXPECT_THAT(run.err, HasSubstr("nothing was sent"));
}

// A server certificate issued by an intermediate CA that the registry CA has revoked: the
// server presents its certificate and the intermediate's, and the CA's CRL lists the
// intermediate. It receives nothing, and the user is told which certificate is revoked.
TEST_F(RevokedServerTest, AServerWhoseChainHasARevokedIntermediateReceivesNothing) {
  const TestPki::Ca intermediate = IntermediateCa();
  const TestPki::Identity server =
      TestPki::Get().IssueClientBy(intermediate, "localhost", kServerLeafExtensions);
  Start(server, intermediate.cert_pem);
  ExpectTheIntermediatesRevocationStopsTheSearch(intermediate);
}

// The same intermediate held in the identity's ca.pem rather than sent by the server: the chain
// the handshake builds goes through it, and it is checked too.
TEST_F(RevokedServerTest, ARevokedIntermediateOfTheCaFileIsCheckedToo) {
  const TestPki::Ca intermediate = IntermediateCa();
  const TestPki::Identity server =
      TestPki::Get().IssueClientBy(intermediate, "localhost", kServerLeafExtensions);
  Start(server, "", intermediate.cert_pem);
  ExpectTheIntermediatesRevocationStopsTheSearch(intermediate);
}

// The intermediate's own CRL is not taken from the chain the server presents: crl.pem is
// checked against ca.pem alone, and the registry CA's CRL is the one to put there.
TEST_F(RevokedServerTest, AnIntermediatesOwnCrlIsAUsageErrorWhenCaPemLacksIt) {
  const TestPki::Ca intermediate = IntermediateCa();
  const TestPki::Identity server =
      TestPki::Get().IssueClientBy(intermediate, "localhost", kServerLeafExtensions);
  Start(server, intermediate.cert_pem);
  PutCrl(CrlListing({server.cert_pem}, intermediate.cert_pem,
                    TestPki::Get().ReadFile(intermediate.key_file)));
  const CliRun run = Search();
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr("the CRL of CN=Registry Intermediate CA is not signed by a CA"));
  EXPECT_EQ(vetting_.searches.load(), 0);
}

// A CRL that does not list the server's certificate lets the search through; and with no CRL in
// the folder nothing is checked nor said, as before.
TEST_F(RevokedServerTest, AServerTheCrlDoesNotListOrAFolderWithoutACrlIsReachedAsBefore) {
  const TestPki::Identity server = TestPki::Get().IssueClient("localhost", kServerLeafExtensions);
  Start(server);
  PutCrl(CrlListing({TestPki::Get().LoadIdentity("revoked").cert_pem}));
  CliRun run = Search();
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(vetting_.searches.load(), 1);

  std::filesystem::remove(identity_ + "/crl.pem");
  run = Search();
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(vetting_.searches.load(), 2);
}

// The channel is built on gRPC's TLS credentials rather than its SSL credentials, with a CRL
// or without: the server's name is still checked, and a certificate of the registry CA for
// another name refused.
TEST_F(RevokedServerTest, WithACrlTheServersNameIsStillChecked) {
  const TestPki::Identity elsewhere = TestPki::Get().IssueClient(
      "elsewhere", absl::StrCat("basicConstraints = critical, CA:FALSE\n"
                                "keyUsage = critical, digitalSignature\n"
                                "extendedKeyUsage = serverAuth\n"
                                "subjectAltName = DNS:elsewhere.example"));
  Start(elsewhere);
  PutCrl(CrlListing({}));
  CliRun run = Search();
  EXPECT_NE(run.code, 0);
  EXPECT_EQ(vetting_.searches.load(), 0) << "a server of another name was taken";

  std::filesystem::remove(identity_ + "/crl.pem");
  run = Search();
  EXPECT_NE(run.code, 0);
  EXPECT_EQ(vetting_.searches.load(), 0) << "a server of another name was taken without a CRL";
}

// A CA's certificate (CA:TRUE) that the registry CA signed for the server's name and for
// serverAuth was taken as the registry's: its key could sign certificates of its own, and
// registryd refuses to serve with one. The clients refuse it as a revoked one is refused, before
// anything is sent, with or without a CRL beside the CA file, and say why.
TEST_F(RevokedServerTest, AServerPresentingACaCertificateReceivesNothing) {
  const TestPki::Identity server = TestPki::Get().IssueClient(
      "localhost", "basicConstraints = critical, CA:TRUE\n"
                   "keyUsage = critical, digitalSignature, keyCertSign, cRLSign\n"
                   "extendedKeyUsage = serverAuth\n"
                   "subjectKeyIdentifier = hash\n"
                   "authorityKeyIdentifier = keyid:always\n"
                   "subjectAltName = DNS:localhost, IP:127.0.0.1");
  Start(server);
  for (const bool with_crl : {false, true}) {
    SCOPED_TRACE(with_crl ? "with a CRL" : "without a CRL");
    if (with_crl) PutCrl(CrlListing({}));
    const CliRun run = Search();
    EXPECT_NE(run.code, 0);
    EXPECT_EQ(vetting_.searches.load(), 0) << "the search reached a server with a CA's certificate";
    EXPECT_THAT(run.err, HasSubstr("the registry's certificate is a CA's certificate "
                                   "(basicConstraints CA:TRUE), not a server's"));
    EXPECT_THAT(run.err, HasSubstr("(CN=localhost)"));
    EXPECT_THAT(run.err, HasSubstr("nothing was sent"));
  }
}

// The check itself: the server's own certificate decides, not a CA certificate after it.
TEST(ServerCertificateTest, OnlyAServersOwnCertificateThatIsACasIsRefused) {
  const TestPki& pki = TestPki::Get();
  EXPECT_EQ(ServerCertificateRefusedBecause(pki.ReadFile("server/cert.pem")), "");
  EXPECT_EQ(ServerCertificateRefusedBecause(pki.ReadFile("server/cert.pem") + pki.CaPem()), "");
  EXPECT_THAT(ServerCertificateRefusedBecause(pki.CaPem()),
              HasSubstr("is a CA's certificate (basicConstraints CA:TRUE), not a server's"));
  EXPECT_THAT(ServerCertificateRefusedBecause(""), HasSubstr("cannot be read"));
}

// A crl.pem that is not a CRL, or a CRL no CA of ca.pem signed, is refused naming the file:
// the server it should refuse cannot be told apart.
TEST_F(RevokedServerTest, AnUnusableCrlFileIsAUsageErrorNamingIt) {
  const TestPki::Identity server = TestPki::Get().IssueClient("localhost", kServerLeafExtensions);
  Start(server);
  PutCrl("not a list\n");
  CliRun run = Search();
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_THAT(run.err, HasSubstr(identity_ + "/crl.pem: not a revocation list in PEM"));
  EXPECT_EQ(vetting_.searches.load(), 0);
}

}  // namespace
}  // namespace registry::client
