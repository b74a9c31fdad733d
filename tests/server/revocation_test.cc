// Revocation fails closed and follows changes (server/revocation.h): a certificate is refused
// when its issuer has no current CRL (missing, unparsable, forged, expired) or the CRL lists it;
// a CRL or client CA bundle that changes on disk takes effect within seconds (watcher) or at once
// (ReloadRevocation, SIGHUP), on connections that were already open too.
#include "server/revocation.h"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/identity.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using server::ClientCertificate;
using server::ClientCertificates;
using server::Revocation;
using ::testing::HasSubstr;

constexpr char kRegistryCa[] = "KJC Registry Development CA";

// The file name of the registry CA's CRL in every CRL folder of the dev PKI (<hash>.r0).
std::string CrlName() {
  for (const auto& entry : std::filesystem::directory_iterator(TestPki::Get().CrlDir())) {
    return entry.path().filename().string();
  }
  ADD_FAILURE() << "no CRL in " << TestPki::Get().CrlDir();
  return "";
}

std::string CrlOf(absl::string_view folder) {
  return TestPki::Get().ReadFile(absl::StrCat(folder, "/", CrlName()));
}

// The dev CRL with the last byte of its DER (inside the signature) changed: it parses, but its
// signature does not verify.
std::string ForgedCrl() {
  const std::string pem = CrlOf("crl");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), pem.size()),
                                                 &BIO_free);
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(
      PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr), &X509_CRL_free);
  EXPECT_NE(crl, nullptr);
  if (crl == nullptr) return "";
  unsigned char* der = nullptr;
  const int n = i2d_X509_CRL(crl.get(), &der);
  std::string bytes(reinterpret_cast<char*>(der), n);
  OPENSSL_free(der);
  bytes.back() ^= 0x01;
  std::string base64 = absl::Base64Escape(bytes);
  std::string out = "-----BEGIN X509 CRL-----\n";
  for (size_t i = 0; i < base64.size(); i += 64) absl::StrAppend(&out, base64.substr(i, 64), "\n");
  return out + "-----END X509 CRL-----\n";
}

std::shared_ptr<const ClientCertificate> Cert(absl::string_view identity) {
  static ClientCertificates* cache = new ClientCertificates();
  auto cert = cache->FromPem(TestPki::Get().LoadIdentity(identity).cert_pem);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() ? *cert : nullptr;
}

// A CRL folder of its own, with `files` (name -> content).
std::string CrlFolder(const std::vector<std::pair<std::string, std::string>>& files) {
  const std::string dir = testing::MakeTempDir("revocation-test-crl");
  for (const auto& [name, content] : files) testing::WriteFileAtomically(dir + "/" + name, content);
  return dir;
}

std::unique_ptr<Revocation> LoadOrDie(const std::string& crl_dir,
                                      const std::string& ca_file = TestPki::Get().dir() +
                                                                   "/ca/ca.pem") {
  auto loaded = Revocation::Load(ca_file, crl_dir);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? *std::move(loaded) : nullptr;
}

// A CRL folder with the registry CA's CRL of `generation` ("crl", "crl-next"), the dev CA bundle
// and the path of a CRL numbers file of its own, not made yet: what Revocation::Load takes.
struct NumberedCrls {
  std::string dir;
  std::string ca_file;
  std::string numbers;
};
NumberedCrls NumberedCrlFolder(absl::string_view generation) {
  return {CrlFolder({{CrlName(), CrlOf(generation)}}), TestPki::Get().dir() + "/ca/ca.pem",
          testing::MakeTempDir("crl-numbers") + "/crl.numbers"};
}

// Expects the CRL of crl-next in force in `r`: "revoked-later" revoked, "clerk" good.
void ExpectTheNextCrlInForce(const Revocation& r) {
  EXPECT_EQ(r.Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kRevoked);
  EXPECT_EQ(r.Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
}

// Expects no CRL of the registry CA in force in `r`: "revoked-later" and "clerk" both refused.
void ExpectNoCrlInForce(const Revocation& r) {
  EXPECT_EQ(r.Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kNoCurrentCrl);
  EXPECT_EQ(r.Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kNoCurrentCrl);
}

// ---- Revocation, the class ----

// A server whose revocation watcher polls the CA bundle and the CRL folder every 100 ms.
std::unique_ptr<TestServer> StartWatchingRevocation(TestServerOptions options = {}) {
  options.revocation_poll = absl::Milliseconds(100);
  return TestServer::Start(std::move(options));
}

TEST(RevocationListTest, CurrentCrlRevokesExactlyWhatItLists) {
  auto r = LoadOrDie(CrlFolder({{CrlName(), CrlOf("crl")}}));
  ASSERT_NE(r, nullptr);
  const absl::Time now = absl::Now();
  for (const char* good : {"clerk", "court", "vetting", "auditor", "admin", "revoked-later"}) {
    EXPECT_EQ(r->Check(*Cert(good), now), Revocation::Verdict::kGood) << good;
  }
  EXPECT_EQ(r->Check(*Cert("revoked"), now), Revocation::Verdict::kRevoked);
  EXPECT_THAT(r->Problems(now), ::testing::IsEmpty());
  EXPECT_THAT(r->CasWithoutCurrentCrl(now), ::testing::IsEmpty());
}

TEST(RevocationListTest, NextGenerationAlsoRevokesRevokedLater) {
  auto r = LoadOrDie(CrlFolder({{CrlName(), CrlOf("crl-next")}}));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kRevoked);
  EXPECT_EQ(r->Check(*Cert("revoked"), absl::Now()), Revocation::Verdict::kRevoked);
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
}

TEST(RevocationListTest, MissingCrlRefusesAndNamesTheCa) {
  auto r = LoadOrDie(CrlFolder({}));
  ASSERT_NE(r, nullptr);
  const absl::Time now = absl::Now();
  EXPECT_EQ(r->Check(*Cert("clerk"), now), Revocation::Verdict::kNoCurrentCrl);
  const std::vector<std::string> missing = r->CasWithoutCurrentCrl(now);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_THAT(missing[0], HasSubstr(kRegistryCa));
  const std::string problems = absl::StrJoin(r->Problems(now), "\n");
  EXPECT_THAT(problems, HasSubstr(kRegistryCa));
  EXPECT_THAT(problems, HasSubstr("none in the folder"));
}

// A folder that cannot be read is one problem, saying what it means, not that problem and
// another per CA that "none in the folder" is current.
TEST(RevocationListTest, AMissingFolderRefusesAndIsSaidOnce) {
  auto r = LoadOrDie("/nonexistent/registry-crls");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kNoCurrentCrl);
  const std::vector<std::string> problems = r->Problems(absl::Now());
  ASSERT_EQ(problems.size(), 1u) << absl::StrJoin(problems, "\n");
  EXPECT_THAT(problems[0], HasSubstr("cannot read the CRL folder"));
  EXPECT_THAT(problems[0], HasSubstr("every client certificate is refused"));
}

TEST(RevocationListTest, ExpiredUnparsableOrForgedCrlRefuses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"expired", CrlOf("crl-expired")},
      {"unparsable", "-----BEGIN X509 CRL-----\nnot base64 at all\n-----END X509 CRL-----\n"},
      {"truncated", CrlOf("crl").substr(0, 200)},
      {"garbage", std::string(300, '\x5a')},
      {"forged", ForgedCrl()},
  };
  for (const auto& [what, content] : cases) {
    SCOPED_TRACE(what);
    auto r = LoadOrDie(CrlFolder({{CrlName(), content}}));
    ASSERT_NE(r, nullptr);
    const absl::Time now = absl::Now();
    for (const char* identity : {"clerk", "court", "revoked"}) {
      EXPECT_EQ(r->Check(*Cert(identity), now), Revocation::Verdict::kNoCurrentCrl) << identity;
    }
    EXPECT_THAT(absl::StrJoin(r->Problems(now), "\n"), HasSubstr(kRegistryCa));
  }
}

TEST(RevocationListTest, UnusableFileTaintsItsCaEvenBesideAGoodCrl) {
  // A forged or unreadable list next to a good one: something is wrong in the folder, and the
  // CA's certificates wait until it is fixed rather than trust the half that reads.
  for (const std::string& bad : {ForgedCrl(), std::string("garbage")}) {
    auto r = LoadOrDie(
        CrlFolder({{CrlName(), CrlOf("crl")}, {absl::StrReplaceAll(CrlName(), {{".r0", ".r1"}}),
                                               bad}}));
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kNoCurrentCrl);
  }
}

TEST(RevocationListTest, OlderExpiredCrlBesideTheCurrentOneIsHarmless) {
  auto r = LoadOrDie(CrlFolder({{"old.pem", CrlOf("crl-expired")}, {CrlName(), CrlOf("crl")}}));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
  EXPECT_EQ(r->Check(*Cert("revoked"), absl::Now()), Revocation::Verdict::kRevoked);
}

TEST(RevocationListTest, CrlStopsBeingCurrentAtItsNextUpdate) {
  auto r = LoadOrDie(CrlFolder({{CrlName(), CrlOf("crl")}}));
  ASSERT_NE(r, nullptr);
  // The dev CRL runs 3650 days.
  const absl::Time later = absl::Now() + absl::Hours(24 * 3651);
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
  EXPECT_EQ(r->Check(*Cert("clerk"), later), Revocation::Verdict::kNoCurrentCrl);
  EXPECT_THAT(absl::StrJoin(r->Problems(later), "\n"), HasSubstr("passed its nextUpdate"));
  // And before it started.
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now() - absl::Hours(24)),
            Revocation::Verdict::kNoCurrentCrl);
}

// Not "no current CRL": the operator would look in the CRL folder, while the cure is in the
// bundle (or the certificate).
TEST(RevocationListTest, CertificateOfACaOutsideTheBundleIsRefusedAsNotIssuedByAClientCa) {
  auto r = LoadOrDie(CrlFolder({{CrlName(), CrlOf("crl")}}));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Check(*Cert("untrusted"), absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
}

// A CRL folder holding the registry CA's first CRL, and a copy of the client CA bundle that a
// test may change or remove: (folder, bundle file).
std::pair<std::string, std::string> ACrlAndACopyOfTheBundle() {
  std::string ca = testing::MakeTempDir("revocation-test-ca") + "/ca.pem";
  testing::WriteFileAtomically(ca, TestPki::Get().CaPem());
  return {CrlFolder({{CrlName(), CrlOf("crl")}}), std::move(ca)};
}

TEST(RevocationListTest, ReloadFollowsTheFolderAndTheBundle) {
  const auto [dir, ca] = ACrlAndACopyOfTheBundle();
  auto r = LoadOrDie(dir, ca);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kGood);

  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl-next"));
  ASSERT_TRUE(r->Reload().ok());
  EXPECT_EQ(r->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kRevoked);

  // A bundle without the registry CA (it was withdrawn): its certificates have no client CA as
  // issuer, and are refused for that reason.
  testing::WriteFileAtomically(ca, TestPki::Get().ReadFile("untrusted-ca/ca.pem"));
  ASSERT_TRUE(r->Reload().ok());
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
  EXPECT_EQ(r->Check(*Cert("revoked"), absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
}

// While the bundle is missing or holds no certificate, the client CAs in force stay, and the CRL
// folder is still followed against them: a CRL written meanwhile revokes, and one removed,
// expired or forged meanwhile refuses that CA's certificates (fail closed). Each reload says
// the bundle is refused until it is back.
TEST(RevocationListTest, ARefusedBundleKeepsTheCasInForceAndTheCrlFolderIsStillFollowed) {
  const auto [dir, ca] = ACrlAndACopyOfTheBundle();
  auto r = LoadOrDie(dir, ca);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kGood);

  ASSERT_TRUE(std::filesystem::remove(ca));
  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl-next"));
  absl::Status reloaded = r->Reload();
  EXPECT_FALSE(reloaded.ok());
  EXPECT_THAT(std::string(reloaded.message()), HasSubstr("tls.client_ca_file"));
  ExpectTheNextCrlInForce(*r);
  EXPECT_THAT(r->Problems(absl::Now()), ::testing::IsEmpty());
  EXPECT_FALSE(r->Reload().ok()) << "still refused while the bundle is missing";

  std::filesystem::remove(dir + "/" + CrlName());
  EXPECT_FALSE(r->Reload().ok());
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kNoCurrentCrl);
  const std::string problems = absl::StrJoin(r->Problems(absl::Now()), "\n");
  EXPECT_THAT(problems, HasSubstr(kRegistryCa));
  EXPECT_THAT(problems, HasSubstr("none in the folder"));

  for (const auto& [what, content] : std::vector<std::pair<std::string, std::string>>{
           {"expired", CrlOf("crl-expired")}, {"forged", ForgedCrl()}}) {
    SCOPED_TRACE(what);
    testing::WriteFileAtomically(dir + "/" + CrlName(), content);
    EXPECT_FALSE(r->Reload().ok());
    EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kNoCurrentCrl);
    EXPECT_THAT(absl::StrJoin(r->Problems(absl::Now()), "\n"), HasSubstr(kRegistryCa));
  }

  // A bundle that reads but holds no certificate is refused alike.
  testing::WriteFileAtomically(ca, "not a certificate");
  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl-next"));
  reloaded = r->Reload();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
  EXPECT_EQ(r->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kRevoked);

  testing::WriteFileAtomically(ca, TestPki::Get().CaPem());
  EXPECT_TRUE(r->Reload().ok());
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
  EXPECT_EQ(r->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kRevoked);
}

// A bundle that another local account may change (chmod 666) is refused as a bundle without a
// certificate is: that account could have added a CA of its own, whose certificates would then
// pass as a court's. The CAs in force stay; a load refuses it outright; the watcher notices a
// chmod alone, without an edit; mended, the bundle is taken.
TEST(RevocationListTest, ABundleEveryLocalAccountMayChangeIsRefusedAndTheCasInForceStay) {
  const auto [dir, ca] = ACrlAndACopyOfTheBundle();
  auto r = LoadOrDie(dir, ca);
  ASSERT_NE(r, nullptr);
  absl::Mutex mu;
  std::vector<absl::Status> reports;
  r->StartWatching(absl::Milliseconds(20), SystemClock::Get(),
                   [&](const absl::Status& s, const std::vector<std::string>&) {
                     absl::MutexLock lock(&mu);
                     reports.push_back(s);
                   });
  ASSERT_EQ(::chmod(ca.c_str(), 0666), 0);
  {
    absl::MutexLock lock(&mu);
    const auto refused = [&] { return !reports.empty() && !reports.back().ok(); };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&refused), absl::Seconds(10)))
        << "the watcher did not notice the chmod within 10 s";
  }
  r->StopWatching();
  const std::string open = absl::StrCat("tls.client_ca_file: ", ca,
                                        " is writable by every local account (mode 0666): "
                                        "run chmod o-w ", ca);
  testing::WriteFileAtomically(ca, TestPki::Get().CaPem() +
                                       TestPki::Get().ReadFile("untrusted-ca/ca.pem"));
  ASSERT_EQ(::chmod(ca.c_str(), 0666), 0);
  absl::Status reloaded = r->Reload();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
  EXPECT_EQ(reloaded.message(), open);
  EXPECT_EQ(r->Check(*Cert("untrusted"), absl::Now()), Revocation::Verdict::kIssuerNotClientCa);
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
  absl::StatusOr<std::unique_ptr<Revocation>> loaded = Revocation::Load(ca, dir);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition) << loaded.status();
  EXPECT_EQ(loaded.status().message(), open);

  // Mended, the bundle is read: the added CA is a client CA now (without a CRL, refused so).
  ASSERT_EQ(::chmod(ca.c_str(), 0644), 0);
  EXPECT_TRUE(r->Reload().ok());
  EXPECT_EQ(r->Check(*Cert("untrusted"), absl::Now()), Revocation::Verdict::kNoCurrentCrl);
}

// A CRL file made writable by every local account was taken on reload without a word ("every
// client CA has a current CRL") while start-up and --check_config refuse it. The reload reports
// it now, and the watcher notices the chmod alone. Its CRLs stay in use: each must carry its
// CA's signature and none goes back to a lower number, so what another account can do to the
// file (delete or spoil it) fails the CA closed anyway (server/revocation.cc, Read).
TEST(RevocationListTest, ACrlFileEveryLocalAccountMayChangeIsReportedOnReload) {
  const std::string dir = CrlFolder({{CrlName(), CrlOf("crl")}});
  auto r = LoadOrDie(dir);
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(r->Problems(absl::Now()), ::testing::IsEmpty());
  absl::Mutex mu;
  std::vector<std::vector<std::string>> reports;
  r->StartWatching(absl::Milliseconds(20), SystemClock::Get(),
                   [&](const absl::Status&, const std::vector<std::string>& problems) {
                     absl::MutexLock lock(&mu);
                     reports.push_back(problems);
                   });
  const std::string file = dir + "/" + CrlName();
  ASSERT_EQ(::chmod(file.c_str(), 0666), 0);
  const std::string open = absl::StrCat(file, " is writable by every local account (mode 0666): "
                                        "run chmod o-w ", file);
  {
    absl::MutexLock lock(&mu);
    const auto reported = [&] { return !reports.empty() && !reports.back().empty(); };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&reported), absl::Seconds(10)))
        << "the watcher did not notice the chmod within 10 s";
    if (!reports.empty()) {
      EXPECT_THAT(reports.back(), ::testing::ElementsAre(open));
    }
  }
  r->StopWatching();
  ASSERT_TRUE(r->Reload().ok());
  EXPECT_THAT(r->Problems(absl::Now()), ::testing::ElementsAre(open));
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
  EXPECT_EQ(r->Check(*Cert("revoked"), absl::Now()), Revocation::Verdict::kRevoked);

  // Mended: nothing to report.
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  ASSERT_TRUE(r->Reload().ok());
  EXPECT_THAT(r->Problems(absl::Now()), ::testing::IsEmpty());
}

// An older CRL put back over the current one would un-revoke what the newer one lists. The CRL in
// force never goes back to a lower CRL number: the CA has none in force until one at least as new
// is back.
TEST(RevocationListTest, AnOlderCrlPutBackOverTheCurrentOneIsRefused) {
  const std::string dir = CrlFolder({{CrlName(), CrlOf("crl-next")}});
  auto r = LoadOrDie(dir);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kRevoked);

  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl"));
  ASSERT_TRUE(r->Reload().ok());
  ExpectNoCrlInForce(*r);
  EXPECT_THAT(absl::StrJoin(r->Problems(absl::Now()), "\n"), HasSubstr("an earlier copy put back?"));

  // Both side by side: the newer applies, whatever the file names.
  testing::WriteFileAtomically(dir + "/00-previous.crl", CrlOf("crl"));
  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl-next"));
  ASSERT_TRUE(r->Reload().ok());
  ExpectTheNextCrlInForce(*r);
}

// The highest number outlives the process: an older CRL put back while registryd is stopped
// is refused at the next start.
TEST(RevocationListTest, AnOlderCrlPutBackWhileStoppedIsRefusedAtTheNextStart) {
  const auto [dir, ca_file, numbers] = NumberedCrlFolder("crl-next");
  {
    auto first = Revocation::Load(ca_file, dir, numbers);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ((*first)->Check(*Cert("revoked-later"), absl::Now()),
              Revocation::Verdict::kRevoked);
  }
  ASSERT_TRUE(std::filesystem::exists(numbers));
  EXPECT_EQ(std::filesystem::status(numbers).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl"));
  auto restarted = Revocation::Load(ca_file, dir, numbers);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ExpectNoCrlInForce(**restarted);
  EXPECT_THAT(absl::StrJoin((*restarted)->Problems(absl::Now()), "\n"),
              HasSubstr("an earlier copy put back?"));

  // Without the numbers file (the behaviour before it), the older copy would be taken.
  auto forgetful = Revocation::Load(ca_file, dir);
  ASSERT_TRUE(forgetful.ok());
  EXPECT_EQ((*forgetful)->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kGood);

  // The newer CRL back: served again, and the file still holds its number.
  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl-next"));
  ASSERT_TRUE((*restarted)->Reload().ok());
  ExpectTheNextCrlInForce(**restarted);
}

TEST(RevocationListTest, ADamagedNumbersFileStopsTheLoadNamingIt) {
  const std::string dir = CrlFolder({{CrlName(), CrlOf("crl")}});
  const std::string numbers = testing::MakeTempDir("crl-numbers") + "/crl.numbers";
  testing::WriteFileAtomically(numbers, "not a number line\n");
  auto r = Revocation::Load(TestPki::Get().dir() + "/ca/ca.pem", dir, numbers);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(numbers));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("line 1"));
}

// A second line for the same CA overrode the first: with the lower number last, the older CRL
// put back was taken and the higher mark lost. The file has one line a CA, so it is damaged; and
// the way out is its last good copy, never removing it (which trusts any CRL put back).
TEST(RevocationListTest, ANumbersFileThatNamesACaTwiceIsRefusedAsDamagedAndSaysPutItBack) {
  const auto [dir, ca_file, numbers] = NumberedCrlFolder("crl-next");
  ASSERT_TRUE(Revocation::Load(ca_file, dir, numbers).ok());
  const std::string line = testing::ReadFileOrDie(numbers);
  ASSERT_EQ(line.size(), 64 + std::string(" 1001 ").size() + 64 + 1) << line;
  testing::WriteFileAtomically(numbers, absl::StrCat(line, line.substr(0, 64), " 1000\n"));
  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl"));
  auto r = Revocation::Load(ca_file, dir, numbers);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss)
      << (r.ok() ? "the older CRL was taken" : r.status().ToString());
  const std::string message(r.status().message());
  EXPECT_THAT(message, HasSubstr(absl::StrCat("crl_number_file ", numbers, ": line 2 ")));
  EXPECT_THAT(message, HasSubstr("put back the file from its last good copy"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("or remove it")));

  testing::WriteFileAtomically(numbers, "not a number line\n");
  r = Revocation::Load(ca_file, dir, numbers);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()), ::testing::Not(HasSubstr("or remove it")));
}

// "numbered 1000 is older than number 1001" was hex unsaid, where `openssl crl -text` shows the
// CRL number in decimal (4096): said as openssl shows it.
TEST(RevocationListTest, AnOlderCrlIsRefusedNamingTheNumbersAsOpensslShowsThem) {
  const auto [dir, ca_file, numbers] = NumberedCrlFolder("crl-next");
  ASSERT_TRUE(Revocation::Load(ca_file, dir, numbers).ok());
  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl"));
  auto r = Revocation::Load(ca_file, dir, numbers);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(absl::StrJoin((*r)->Problems(absl::Now()), "\n"),
              HasSubstr("numbered 4096 is older than number 4097 read before"));
}

// registryd --check_config holds the CRLs to the numbers start-up would read, and writes nothing
// of registryd's (it made a private copy of the file for Load to write to). The read-only load
// refuses an older CRL as Load does, naming the real file, and leaves the file byte for byte as
// it was, also when the CRL in force is newer than its mark, and on a reload; a missing file is
// not created.
TEST(RevocationListTest, AReadOnlyLoadHoldsTheCrlsToTheNumbersButNeverWritesThem) {
  const auto [dir, ca_file, numbers] = NumberedCrlFolder("crl");

  auto first = Revocation::LoadReadOnly(ca_file, dir, numbers);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE((*first)->Problems(absl::Now()).empty());
  ASSERT_TRUE((*first)->Reload().ok());
  EXPECT_FALSE(std::filesystem::exists(numbers)) << "the read-only load created the numbers";

  // A newer CRL than the mark: Load would raise it in the file.
  ASSERT_TRUE(Revocation::Load(ca_file, dir, numbers).ok());
  const std::string older_mark = testing::ReadFileOrDie(numbers);
  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl-next"));
  auto newer = Revocation::LoadReadOnly(ca_file, dir, numbers);
  ASSERT_TRUE(newer.ok()) << newer.status();
  EXPECT_EQ((*newer)->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kRevoked);
  ASSERT_TRUE((*newer)->Reload().ok());
  EXPECT_EQ(testing::ReadFileOrDie(numbers), older_mark) << "the read-only load wrote the numbers";

  // An older CRL than the mark: refused as Load refuses it, the file unchanged.
  ASSERT_TRUE(Revocation::Load(ca_file, dir, numbers).ok());
  const std::string newer_mark = testing::ReadFileOrDie(numbers);
  ASSERT_NE(newer_mark, older_mark);
  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl"));
  auto older = Revocation::LoadReadOnly(ca_file, dir, numbers);
  ASSERT_TRUE(older.ok()) << older.status();
  EXPECT_EQ((*older)->Check(*Cert("revoked-later"), absl::Now()),
            Revocation::Verdict::kNoCurrentCrl);
  auto loaded = Revocation::Load(ca_file, dir, numbers);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*older)->Problems(absl::Now()), (*loaded)->Problems(absl::Now()));
  EXPECT_THAT(absl::StrJoin((*older)->Problems(absl::Now()), "\n"),
              HasSubstr("numbered 4096 is older than number 4097 read before"));
  EXPECT_EQ(testing::ReadFileOrDie(numbers), newer_mark);

  // A damaged file is named as Load names it, and left as it is.
  testing::WriteFileAtomically(numbers, "not a number line\n");
  auto damaged = Revocation::LoadReadOnly(ca_file, dir, numbers);
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(damaged.status(), Revocation::Load(ca_file, dir, numbers).status());
  EXPECT_THAT(std::string(damaged.status().message()),
              HasSubstr(absl::StrCat("crl_number_file ", numbers, ": line 1 ")));
  EXPECT_EQ(testing::ReadFileOrDie(numbers), "not a number line\n");
}

// A file of the CRL folder larger than any CRL (here a sparse one, which costs nothing to make
// at gigabytes: 3 GB took registryd to 5.8 GB) is refused by its size on the open file, unread,
// naming the file and the limit; the CA's own CRL still applies.
TEST(RevocationListTest, AFileTooLargeForACrlIsRefusedUnreadNamingItAndTheLimit) {
  const std::string dir = CrlFolder({{CrlName(), CrlOf("crl")}});
  const std::string huge = dir + "/huge.crl";
  const int fd = ::open(huge.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, (16 << 20) + 1), 0);
  ::close(fd);
  auto r = LoadOrDie(dir);
  ASSERT_NE(r, nullptr);
  EXPECT_THAT(absl::StrJoin(r->Problems(absl::Now()), "\n"),
              HasSubstr(absl::StrCat("huge.crl: cannot read ", huge,
                                     ": it is 16777217 bytes, more than the 16 MiB a CRL file "
                                     "may be")));
  EXPECT_EQ(r->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
  EXPECT_EQ(r->Check(*Cert("revoked"), absl::Now()), Revocation::Verdict::kRevoked);
}

// `pem` (one CRL of the registry CA) re-issued now under the same CRL number, without the entry
// of identity `dropped`, signed with the registry CA's key: what only the CA's key can make.
std::string SameNumberWithout(const std::string& pem, absl::string_view dropped) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), pem.size()),
                                                 &BIO_free);
  std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(
      PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr), &X509_CRL_free);
  const std::string cert_pem = TestPki::Get().LoadIdentity(dropped).cert_pem;
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert_pem.data(), cert_pem.size()), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  const std::string key_pem = TestPki::Get().ReadFile("ca/ca.key");
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), key_pem.size()), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  EXPECT_TRUE(crl != nullptr && cert != nullptr && key != nullptr);
  if (crl == nullptr || cert == nullptr || key == nullptr) return "";
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = sk_X509_REVOKED_num(revoked) - 1; i >= 0; --i) {
    X509_REVOKED* entry = sk_X509_REVOKED_value(revoked, i);
    if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(entry),
                         X509_get0_serialNumber(cert.get())) == 0) {
      X509_REVOKED_free(sk_X509_REVOKED_delete(revoked, i));
    }
  }
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> now(ASN1_TIME_set(nullptr, time(nullptr)),
                                                            &ASN1_TIME_free);
  EXPECT_EQ(X509_CRL_set1_lastUpdate(crl.get(), now.get()), 1);
  EXPECT_GT(X509_CRL_sign(crl.get(), key.get(), EVP_sha256()), 0);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509_CRL(out.get(), crl.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// Two CRLs of one CA with one number: the later thisUpdate won, so a list that left out a serial
// put in place of the one that listed it, under the same number, admitted the revoked
// certificate. The CRL in force at the highest number is remembered by its digest: another list
// of that number is refused as one of a lower number is, naming the file, across a restart too,
// until the list read at that number (or a newer one) is back.
TEST(RevocationListTest, AnotherCrlUnderTheNumberInForceIsRefusedNamingTheFile) {
  const auto [dir, ca_file, numbers] = NumberedCrlFolder("crl-next");
  auto r = Revocation::Load(ca_file, dir, numbers);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->Check(*Cert("revoked-later"), absl::Now()), Revocation::Verdict::kRevoked);

  const std::string swapped = SameNumberWithout(CrlOf("crl-next"), "revoked-later");
  ASSERT_FALSE(swapped.empty());
  testing::WriteFileAtomically(dir + "/" + CrlName(), swapped);
  ASSERT_TRUE((*r)->Reload().ok());
  ExpectNoCrlInForce(**r);
  EXPECT_THAT(absl::StrJoin((*r)->Problems(absl::Now()), "\n"),
              HasSubstr(absl::StrCat(CrlName(), ": the CRL of ")));
  EXPECT_THAT(absl::StrJoin((*r)->Problems(absl::Now()), "\n"),
              HasSubstr("numbered 4097 differs from the CRL of that number read before"));

  auto restarted = Revocation::Load(ca_file, dir, numbers);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_EQ((*restarted)->Check(*Cert("revoked-later"), absl::Now()),
            Revocation::Verdict::kNoCurrentCrl);

  testing::WriteFileAtomically(dir + "/" + CrlName(), CrlOf("crl-next"));
  ASSERT_TRUE((*restarted)->Reload().ok());
  ExpectTheNextCrlInForce(**restarted);
}

// A numbers file written before the digests ("<CA> <number>") is read: the CRL in force at its
// number is then the one kept, and another under that number is refused from there on.
TEST(RevocationListTest, ANumbersFileOfTheEarlierFormIsReadAndKeepsTheCrlAtItsNumber) {
  const auto [dir, ca_file, numbers] = NumberedCrlFolder("crl-next");
  ASSERT_TRUE(Revocation::Load(ca_file, dir, numbers).ok());
  const std::string line = testing::ReadFileOrDie(numbers);
  ASSERT_EQ(line.size(), 64 + std::string(" 1001 ").size() + 64 + 1) << line;
  testing::WriteFileAtomically(numbers, line.substr(0, 64) + " 1001\n");

  auto r = Revocation::Load(ca_file, dir, numbers);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->Check(*Cert("clerk"), absl::Now()), Revocation::Verdict::kGood);
  EXPECT_EQ(testing::ReadFileOrDie(numbers), line);
  testing::WriteFileAtomically(dir + "/" + CrlName(),
                               SameNumberWithout(CrlOf("crl-next"), "revoked-later"));
  ASSERT_TRUE((*r)->Reload().ok());
  EXPECT_EQ((*r)->Check(*Cert("revoked-later"), absl::Now()),
            Revocation::Verdict::kNoCurrentCrl);
}

TEST(RevocationListTest, UnreadableBundleFailsTheLoad) {
  EXPECT_FALSE(Revocation::Load("/nonexistent/ca.pem", TestPki::Get().CrlDir()).ok());
  const std::string dir = CrlFolder({});
  testing::WriteFileAtomically(dir + "/ca.pem", "no certificate here");
  EXPECT_EQ(Revocation::Load(dir + "/ca.pem", TestPki::Get().CrlDir()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- Through a running server ----

grpc::Status PublicKeyAs(const std::shared_ptr<grpc::Channel>& channel) {
  return testing::GetVettingPublicKeyOn(channel);
}

grpc::Status HealthAs(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse resp;
  return grpc::health::v1::Health::NewStub(channel)->Check(&ctx, {}, &resp);
}

// Calls until the status code differs from `from` or 15 s have passed; returns the last status.
grpc::Status WaitWhile(grpc::StatusCode from, const std::shared_ptr<grpc::Channel>& channel) {
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  grpc::Status s = PublicKeyAs(channel);
  while (s.error_code() == from && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    s = PublicKeyAs(channel);
  }
  return s;
}

TEST(RevocationTest, RevokedCertificateIsRefusedByTheGateAndAudited) {
  auto server = TestServer::Start();
  storage::AuditLog* log = server->server()->audit_log();
  const uint64_t before = log->CurrentHead().size;
  const grpc::Status s = PublicKeyAs(server->Channel("revoked"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "client certificate is revoked");
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  const v1::AuditEvent event = LastStoredEvent(*server);
  EXPECT_EQ(testing::OutcomeName(event), "UNAUTHENTICATED");
  EXPECT_EQ(event.actor(), kClerkId);
  EXPECT_EQ(event.role(), v1::ROLE_UNSPECIFIED);
  // Not to be taken for the clerk's own refused call: why, and which certificate.
  EXPECT_EQ(event.detail(), absl::StrCat("certificate refused: revoked; sha256 ",
                                         TestPki::Get().LoadIdentity("revoked").fingerprint));
  EXPECT_EQ(HealthAs(server->Channel("revoked")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(PublicKeyAs(server->Channel("clerk")).ok());
}

TEST(RevocationTest, CertificateRevokedWhileServingIsRefusedWithinSeconds) {
  auto server = StartWatchingRevocation();
  // One connection, opened before the revocation and kept.
  auto later = server->Channel("revoked-later");
  ASSERT_TRUE(PublicKeyAs(later).ok());

  testing::WriteFileAtomically(server->crl_dir() + "/" + CrlName(), CrlOf("crl-next"));
  const grpc::Status s = WaitWhile(grpc::StatusCode::OK, later);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(s.error_message(), "client certificate is revoked");
  EXPECT_EQ(PublicKeyAs(server->Channel("revoked-later")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(PublicKeyAs(server->Channel("court")).ok());
}

TEST(RevocationTest, ReloadRevocationTakesANewCrlAtOnce) {
  auto server = TestServer::Start();  // no watcher: only the reload (SIGHUP) reads the folder
  auto later = server->Channel("revoked-later");
  ASSERT_TRUE(PublicKeyAs(later).ok());
  testing::WriteFileAtomically(server->crl_dir() + "/" + CrlName(), CrlOf("crl-next"));
  EXPECT_TRUE(PublicKeyAs(later).ok());
  ASSERT_TRUE(server->server()->ReloadRevocation().ok());
  EXPECT_EQ(PublicKeyAs(later).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// The runbook's "The service does not start": a client CA without a current CRL stops the start
// (as --check_config, the unit's ExecStartPre, reports it), naming the CA. It had started and
// refused every certificate.
TEST(RevocationTest, AStartWithoutACurrentCrlIsRefusedNamingTheCa) {
  auto server = TestServer::Start();
  server->Stop();
  std::filesystem::remove(server->crl_dir() + "/" + CrlName());
  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr(kRegistryCa));
  EXPECT_THAT(std::string(started.message()), HasSubstr("no current revocation list"));
  EXPECT_THAT(std::string(started.message()), HasSubstr(server->crl_dir()));
  testing::WriteFileAtomically(server->crl_dir() + "/" + CrlName(), CrlOf("crl"));
  EXPECT_TRUE(server->Restart().ok());
}

// tls.crl_directory dropped from the config turned revocation off without a word, and a revoked
// certificate was taken again. Where the CRL numbers file shows that revocation was in force,
// the start is refused (FailedPrecondition: registryd exits 2, a config problem) and says how to
// go on; with the file moved aside on purpose it starts, and its log says revocation is off.
TEST(RevocationTest, AStartWithoutTheCrlFolderWhereRevocationWasInForceIsRefused) {
  auto server = TestServer::Start();
  ASSERT_EQ(PublicKeyAs(server->Channel("revoked")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  server->Stop();
  const std::string numbers = server->config().crl_number_file();
  ASSERT_GT(std::filesystem::file_size(numbers), 0u) << "the CRL in force has no number";
  registry::v1::ServerConfig without = server->config();
  without.mutable_tls()->clear_crl_directory();
  const auto start = [&without] {
    server::RegistryServerOptions options;
    options.config = without;
    return server::RegistryServer::Start(std::move(options));
  };

  const auto refused = start();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr(absl::StrCat("tls.crl_directory: not set, but the CRL numbers file ",
                                     numbers)));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("Set tls.crl_directory back"));
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("To run without revocation on purpose, move " + numbers));

  // Moved aside on purpose: revocation is off, and the start's log says so.
  std::filesystem::rename(numbers, numbers + ".kept");
  ::testing::internal::CaptureStderr();
  auto started = start();
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_THAT(log, HasSubstr("\"level\":\"warning\""));
  EXPECT_THAT(log, HasSubstr("revocation checking is off"));
  (*started)->Shutdown(absl::Seconds(2));
}

// Once serving, a CRL folder emptied refuses every certificate (fail closed) until a CRL is
// back; registryd goes on running meanwhile.
TEST(RevocationTest, EmptiedCrlFolderRefusesEveryCertificateUntilACrlArrives) {
  auto server = StartWatchingRevocation();
  auto clerk = server->Channel("clerk");
  ASSERT_TRUE(PublicKeyAs(clerk).ok());
  std::filesystem::remove(server->crl_dir() + "/" + CrlName());
  const grpc::Status refused = WaitWhile(grpc::StatusCode::OK, clerk);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED) << refused.error_message();
  // The server says which CA has no current CRL.
  const std::string problems = absl::StrJoin(server->server()->RevocationProblems(), "\n");
  EXPECT_THAT(problems, HasSubstr(kRegistryCa));
  EXPECT_THAT(problems, HasSubstr("no current revocation list"));

  storage::AuditLog* log = server->server()->audit_log();
  for (const char* identity : {"clerk", "court", "vetting", "auditor", "admin"}) {
    const uint64_t before = log->CurrentHead().size;
    const grpc::Status s = PublicKeyAs(server->Channel(identity));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << identity;
    EXPECT_EQ(s.error_message(), "no current revocation list for the certificate's issuer");
    EXPECT_EQ(log->CurrentHead().size, before + 1) << "the refusal is audited";
    EXPECT_EQ(HealthAs(server->Channel(identity)).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }

  testing::WriteFileAtomically(server->crl_dir() + "/" + CrlName(), CrlOf("crl"));
  const grpc::Status s = WaitWhile(grpc::StatusCode::UNAUTHENTICATED, clerk);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(server->server()->RevocationProblems(), ::testing::IsEmpty());
}

TEST(RevocationTest, ExpiredUnparsableOrForgedCrlRefusesEveryCertificate) {
  for (const auto& [what, content] :
       std::vector<std::pair<std::string, std::string>>{{"expired", CrlOf("crl-expired")},
                                                        {"unparsable", "garbage"},
                                                        {"forged", ForgedCrl()}}) {
    SCOPED_TRACE(what);
    auto server = TestServer::Start();
    ASSERT_TRUE(PublicKeyAs(server->Channel("clerk")).ok());
    testing::WriteFileAtomically(server->crl_dir() + "/" + CrlName(), content);
    ASSERT_TRUE(server->server()->ReloadRevocation().ok());
    for (const char* identity : {"clerk", "court", "vetting", "auditor", "admin"}) {
      const grpc::Status s = PublicKeyAs(server->Channel(identity));
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << identity;
      EXPECT_EQ(s.error_message(), "no current revocation list for the certificate's issuer");
    }
    EXPECT_THAT(absl::StrJoin(server->server()->RevocationProblems(), "\n"),
                HasSubstr(kRegistryCa));
  }
}

TEST(RevocationTest, CrlThatExpiresWhileServingRefusesEveryCertificate) {
  FakeClock clock(absl::Now());
  TestServerOptions options;
  options.revocation_clock = &clock;
  auto server = TestServer::Start(std::move(options));
  auto clerk = server->Channel("clerk");
  ASSERT_TRUE(PublicKeyAs(clerk).ok());
  clock.Advance(absl::Hours(24 * 3651));  // past the dev CRL's nextUpdate
  const grpc::Status s = PublicKeyAs(clerk);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "no current revocation list for the certificate's issuer");
}

// The registry's own clock (retention, vetting validity) may be anywhere; CRLs are judged by
// real time.
TEST(RevocationTest, TheRegistrysClockDoesNotDecideCrlFreshness) {
  FakeClock clock(absl::Now() + absl::Hours(24 * 365 * 30));
  auto server = TestServer::Start(TestServerOptions::OnClock(&clock));
  EXPECT_TRUE(PublicKeyAs(server->Channel("clerk")).ok());
  EXPECT_EQ(PublicKeyAs(server->Channel("revoked")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// Refused, audited and counted as what it is, not as a CA without a current CRL.
TEST(RevocationTest, ClientCaRemovedFromTheBundleIsRefusedOnOpenConnections) {
  auto server = StartWatchingRevocation();
  auto clerk = server->Channel("clerk");
  ASSERT_TRUE(PublicKeyAs(clerk).ok());
  testing::WriteFileAtomically(server->tls_dir() + "/ca.pem",
                               TestPki::Get().ReadFile("untrusted-ca/ca.pem"));
  const grpc::Status s = WaitWhile(grpc::StatusCode::OK, clerk);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "the certificate's issuer is not a client CA of the registry (unknown or withdrawn)");
  EXPECT_EQ(LastStoredEvent(*server).detail(),
            absl::StrCat("certificate refused: issuer_not_client_ca; sha256 ",
                         TestPki::Get().LoadIdentity("clerk").fingerprint));
}

// The case: the client CA file moved away, a certificate revoked and the new CRL put
// in the folder. The CRL is taken on open connections, by the watcher and by the reload alike,
// while the bundle stays refused.
TEST(RevocationTest, ACrlWrittenWhileTheClientCaFileIsMissingStillRevokes) {
  auto server = StartWatchingRevocation();
  auto later = server->Channel("revoked-later");
  auto clerk = server->Channel("clerk");
  ASSERT_TRUE(PublicKeyAs(later).ok());
  ASSERT_TRUE(PublicKeyAs(clerk).ok());
  const std::string ca = server->tls_dir() + "/ca.pem";
  const std::string ca_pem = testing::ReadFileOrDie(ca);
  ASSERT_TRUE(std::filesystem::remove(ca));

  testing::WriteFileAtomically(server->crl_dir() + "/" + CrlName(), CrlOf("crl-next"));
  const grpc::Status s = WaitWhile(grpc::StatusCode::OK, later);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(s.error_message(), "client certificate is revoked");
  EXPECT_TRUE(PublicKeyAs(clerk).ok());
  EXPECT_FALSE(server->server()->ReloadRevocation().ok());

  // The CRL deleted in that state is noticed too.
  std::filesystem::remove(server->crl_dir() + "/" + CrlName());
  const grpc::Status refused = WaitWhile(grpc::StatusCode::OK, clerk);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED) << refused.error_message();
  EXPECT_EQ(refused.error_message(), "no current revocation list for the certificate's issuer");
  EXPECT_THAT(absl::StrJoin(server->server()->RevocationProblems(), "\n"),
              HasSubstr(kRegistryCa));

  testing::WriteFileAtomically(server->crl_dir() + "/" + CrlName(), CrlOf("crl-next"));
  testing::WriteFileAtomically(ca, ca_pem);
  EXPECT_TRUE(server->server()->ReloadRevocation().ok());
  EXPECT_TRUE(PublicKeyAs(clerk).ok());
  EXPECT_EQ(PublicKeyAs(later).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// The handshake checks a certificate's dates when a connection opens; the gate checks them on every
// call, as a connection (or a TLS session resumed without a full handshake) can outlive them.
TEST(RevocationTest, ACertificateOutOfDateAtTheCallIsRefusedOnAnOpenConnection) {
  FakeClock clock(absl::Now());
  TestServerOptions options;
  options.revocation_clock = &clock;
  auto server = TestServer::Start(std::move(options));
  storage::AuditLog* log = server->server()->audit_log();
  auto clerk = server->Channel("clerk");
  ASSERT_TRUE(PublicKeyAs(clerk).ok());
  ClientCertificates cache;
  auto cert = cache.FromPem(TestPki::Get().LoadIdentity("clerk").cert_pem);
  ASSERT_TRUE(cert.ok()) << cert.status();

  clock.Set((*cert)->not_after + absl::Seconds(1));
  grpc::Status s = PublicKeyAs(clerk);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message(), "client certificate has expired");
  EXPECT_EQ(LastStoredEvent(*server).detail(),
            absl::StrCat("certificate refused: out_of_date; sha256 ",
                         TestPki::Get().LoadIdentity("clerk").fingerprint));
  const uint64_t events = log->CurrentHead().size;
  EXPECT_EQ(HealthAs(clerk).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(log->CurrentHead().size, events) << "a health check is not audited";

  clock.Set((*cert)->not_after);  // its last second
  EXPECT_TRUE(PublicKeyAs(clerk).ok());
}

std::shared_ptr<grpc::Channel> ChannelWithCertificate(const TestServer& server,
                                                      absl::string_view identity,
                                                      const std::string& cert_pem) {
  TestPki::Identity id = TestPki::Get().LoadIdentity(identity);
  id.cert_pem = cert_pem;
  return MakeChannel(server.address(), id);
}

// The court's certificate re-encoded with its signature's other valid form (s -> n - s), which
// its holder can make without the CA: the TLS layer takes it, so the deny list must name it too.
TEST(RevocationTest, ACertificateReEncodedUnderAnotherFingerprintIsStillDenied) {
  const TestPki::Identity court = TestPki::Get().LoadIdentity("court");
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(court.cert_pem.data(), static_cast<int>(court.cert_pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(
      PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr), &X509_free);
  ASSERT_NE(x509, nullptr);
  std::vector<std::string> twin_pems;
  for (const std::string& der : server::EcdsaTwins(x509.get())) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<X509, decltype(&X509_free)> twin(
        d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
    ASSERT_NE(twin, nullptr);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
    ASSERT_EQ(PEM_write_bio_X509(out.get(), twin.get()), 1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(out.get(), &data);
    twin_pems.emplace_back(data, static_cast<size_t>(len));
  }
  ASSERT_FALSE(twin_pems.empty());

  // Without a deny list, one twin (the CA's curve) is taken as the court.
  auto open = TestServer::Start();
  std::vector<std::string> taken;
  for (const std::string& pem : twin_pems) {
    if (PublicKeyAs(ChannelWithCertificate(*open, "court", pem)).ok()) taken.push_back(pem);
  }
  ASSERT_EQ(taken.size(), 1u) << "no twin passes the handshake: nothing to deny";

  TestServerOptions options;
  options.policy = std::make_unique<v1::AccessPolicy>(testing::DevPolicy());
  options.policy->add_denied_certificate_sha256(court.fingerprint);
  auto server = TestServer::Start(std::move(options));
  EXPECT_EQ(PublicKeyAs(server->Channel("court")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  const grpc::Status s = PublicKeyAs(ChannelWithCertificate(*server, "court", taken[0]));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "client certificate is revoked: the access policy's deny list names it");
  EXPECT_TRUE(PublicKeyAs(server->Channel("clerk")).ok());
}

// ---- What the certificate is for ----

// A certificate of the registry CA with `extensions` and the URI SAN `uri`.
TestPki::Identity IssuedFor(absl::string_view uri, absl::string_view extensions) {
  return TestPki::Get().IssueClient("test-leaf",
                                    absl::StrCat(extensions, "\nsubjectAltName = URI:", uri));
}

// Calls as `identity`, which the gate must refuse UNAUTHENTICATED with `message`, and returns the
// call's event (after checking that it is the one new event, and that health refuses it too).
v1::AuditEvent RefusedAndAudited(TestServer& server, const TestPki::Identity& identity,
                                 absl::string_view message) {
  const uint64_t before = AuditLogSize(server);
  const grpc::Status s = PublicKeyAs(MakeChannel(server.address(), identity));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(s.error_message(), message);
  EXPECT_EQ(AuditLogSize(server), before + 1);
  const v1::AuditEvent event = LastStoredEvent(server);
  EXPECT_EQ(testing::OutcomeName(event), "UNAUTHENTICATED");
  EXPECT_EQ(event.role(), v1::ROLE_UNSPECIFIED);
  EXPECT_EQ(HealthAs(MakeChannel(server.address(), identity)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  return event;
}

// A CA's certificate (an intermediate's) that the client CA signed passes the handshake; with a
// clerk's URI SAN it was taken as the clerk.
TEST(ClientCertificateUseTest, ACaCertificateWithAClerksUriIsRefusedAndAuditedWithItsReason) {
  auto server = TestServer::Start();
  const TestPki::Identity ca = IssuedFor(
      kClerkId,
      "basicConstraints = critical, CA:TRUE\n"
      "keyUsage = critical, digitalSignature, keyCertSign, cRLSign\n"
      "extendedKeyUsage = clientAuth");
  const v1::AuditEvent event = RefusedAndAudited(
      *server, ca,
      "client certificate is a CA certificate, which names no caller: ask the registry office for "
      "a client certificate issued for one person or client (basicConstraints cA)");
  EXPECT_EQ(event.actor(), kClerkId) << "the event names whom the certificate claims to be";
  EXPECT_EQ(event.detail(),
            absl::StrCat("certificate refused: ca_certificate; sha256 ", ca.fingerprint));

  // A key that may sign certificates, in a certificate that does not say it is a CA's.
  const TestPki::Identity signer = IssuedFor(
      kClerkId,
      "basicConstraints = critical, CA:FALSE\n"
      "keyUsage = critical, digitalSignature, keyCertSign\n"
      "extendedKeyUsage = clientAuth");
  EXPECT_EQ(RefusedAndAudited(*server, signer,
                              "client certificate may sign certificates or revocation lists, so "
                              "it names no caller: ask the registry office for a client "
                              "certificate issued for one person or client (keyUsage "
                              "keyCertSign or cRLSign)")
                .detail(),
            absl::StrCat("certificate refused: ca_certificate; sha256 ", signer.fingerprint));

  // The same URI SAN in an end entity's certificate for TLS clients is the clerk.
  EXPECT_TRUE(
      PublicKeyAs(MakeChannel(server->address(), IssuedFor(kClerkId, kClientLeafExtensions)))
          .ok());
}

// The handshake takes a certificate without extendedKeyUsage for any use.
TEST(ClientCertificateUseTest, ACertificateWithoutClientAuthIsRefusedAndAuditedWithItsReason) {
  auto server = TestServer::Start();
  const TestPki::Identity no_eku = IssuedFor(
      kClerkId,
      "basicConstraints = critical, CA:FALSE\n"
      "keyUsage = critical, digitalSignature");
  const v1::AuditEvent event = RefusedAndAudited(
      *server, no_eku,
      "client certificate is not for client authentication: ask the registry office for a "
      "certificate issued for signing in as a client (no extendedKeyUsage clientAuth)");
  EXPECT_EQ(event.actor(), kClerkId);
  EXPECT_EQ(event.detail(),
            absl::StrCat("certificate refused: no_client_auth; sha256 ", no_eku.fingerprint));
}

TEST(ClientCertificateUseTest, AnIdentityLongerThan256BytesIsAuditedAsTooLong) {
  auto server = TestServer::Start();
  const TestPki::Identity long_uri =
      IssuedFor(absl::StrCat(kClerkId, "-", std::string(240, 'a')), kClientLeafExtensions);
  const v1::AuditEvent event = RefusedAndAudited(
      *server, long_uri,
      "client certificate identity is longer than 256 bytes: ask the registry office for a "
      "certificate with a shorter one (URI SAN over 256 bytes)");
  EXPECT_EQ(event.actor(), "");
  EXPECT_EQ(event.detail(),
            absl::StrCat("certificate refused: identity_too_long; sha256 ", long_uri.fingerprint));
}

// What an unlisted certificate's CA wrote in its URI SAN can be anything: a name, a birth date
// and a personal number, in any shape, the registry's own among them (a name spelled in words,
// 200 bytes of domain labels). The audit log (kept for years) and the server's log record an
// identity the policy does not list only as a fixed text, the event naming the certificate by
// its fingerprint and the URI by its length; a former official's URI too.
TEST(ClientCertificateUseTest, AnIdentityThePolicyDoesNotListIsRecordedAsAnUnlistedCertificate) {
  TestServerOptions options;
  options.log_calls = true;
  auto server = TestServer::Start(std::move(options));
  const std::vector<std::string> unlisted_uris = {
      "urn:Krasniqi-Arben-1980-05-05-pn-1234567890",
      "spiffe://registry.kjc.dev/clerk/pn-1234567890",
      "spiffe://registry.kjc.dev/clerk/krasniqi-1980-05-05",
      "spiffe://registry.kjc.dev/clerk/krasniqi-arben-born-1980-may-fifth",
      "spiffe://krasniqi.arben.born.nineteen-eighty-may-five.pn.one.two.three/clerk/x",
      "spiffe://registry.kjc.dev/clerk/former-clerk",
  };
  for (const std::string& uri : unlisted_uris) {
    SCOPED_TRACE(uri);
    const TestPki::Identity unlisted = IssuedFor(uri, kClientLeafExtensions);
    const uint64_t before = AuditLogSize(*server);
    ::testing::internal::CaptureStderr();
    const grpc::Status s = PublicKeyAs(MakeChannel(server->address(), unlisted));
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    // The holder is told what to do, and the identity is not repeated to them.
    EXPECT_EQ(s.error_message(),
              "your certificate's identity may not use the registry: ask the registry office to "
              "add it to the access policy (caller is not in the access policy)");
    ASSERT_EQ(AuditLogSize(*server), before + 1);
    const v1::AuditEvent event = LastStoredEvent(*server);
    EXPECT_EQ(event.actor(), "unlisted certificate");
    EXPECT_EQ(event.detail(),
              absl::StrCat("certificate refused: not_in_policy; sha256 ", unlisted.fingerprint));
    EXPECT_THAT(event.withheld(), ::testing::ElementsAre(absl::StrCat(
                                      "certificate identity (", uri.size(), " bytes)")));
    const std::string bytes = event.SerializeAsString();
    EXPECT_THAT(log, HasSubstr(R"("actor":"unlisted certificate")"));
    for (const char* secret : {"1234567890", "Krasniqi", "krasniqi", "arben", "1980-05-05",
                               "may-fifth", "nineteen", "former-clerk"}) {
      EXPECT_THAT(bytes, ::testing::Not(HasSubstr(secret))) << secret;
      EXPECT_THAT(log, ::testing::Not(HasSubstr(secret))) << secret;
      EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr(secret))) << secret;
    }
  }
}

}  // namespace
}  // namespace registry::testing
