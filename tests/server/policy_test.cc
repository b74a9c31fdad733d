// The access policy: Policy::Compile refuses every invalid file with InvalidArgument naming the
// bad entry, and LoadPolicyFile a file that gives a key twice; a running server picks up a new
// policy on ReloadPolicy (SIGHUP) and when the file changes, keeps the old policy when the new
// one is invalid (a principal whose identity names another role or trust domain included),
// audits every reload and, at the next start, a policy file changed while it was stopped, and
// refuses certificates on the deny list whatever the principals say.
#include "server/policy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "registry/v1/common.pb.h"
#include "registry/v1/policy.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "storage/policy_fingerprint.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using server::Policy;

constexpr char kFingerprint[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// A small valid policy; each test below breaks exactly one thing.
v1::AccessPolicy ValidPolicy() {
  v1::AccessPolicy p;
  v1::Organisation* registry = p.add_organisations();
  registry->set_id("kjc-registry");
  v1::Organisation* school = p.add_organisations();
  school->set_id("school-7");
  school->add_position_categories("teacher");
  school->mutable_rate_limit()->set_per_minute(60);
  v1::Principal* clerk = p.add_principals();
  clerk->set_id("spiffe://registry.kjc/clerk/c1");
  clerk->set_role(v1::ROLE_CLERK);
  clerk->set_organisation("kjc-registry");
  v1::Principal* vetting = p.add_principals();
  vetting->set_id("spiffe://registry.kjc/vetting/school-7");
  vetting->set_role(v1::ROLE_VETTING);
  vetting->set_organisation("school-7");
  p.add_purpose_codes("criminal_proceedings");
  p.add_denied_certificate_sha256(kFingerprint);
  return p;
}

// Expects InvalidArgument whose message contains every one of `words`.
void ExpectRefused(const v1::AccessPolicy& policy, const std::vector<std::string>& words) {
  auto compiled = Policy::Compile(policy);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument) << compiled.status();
  for (const std::string& w : words) {
    EXPECT_TRUE(absl::StrContains(compiled.status().message(), w))
        << "\"" << compiled.status().message() << "\" does not name " << w;
  }
}

TEST(PolicyCompileTest, ValidPolicyCompiles) {
  auto compiled = Policy::Compile(ValidPolicy());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  const Policy& p = **compiled;
  const v1::Principal* clerk = p.FindPrincipal("spiffe://registry.kjc/clerk/c1");
  ASSERT_NE(clerk, nullptr);
  EXPECT_EQ(clerk->role(), v1::ROLE_CLERK);
  EXPECT_EQ(clerk->organisation(), "kjc-registry");
  EXPECT_EQ(p.FindPrincipal("spiffe://registry.kjc/clerk/c2"), nullptr);
  EXPECT_TRUE(p.PurposeAllowed("criminal_proceedings"));
  EXPECT_FALSE(p.PurposeAllowed("curiosity"));
  EXPECT_TRUE(p.PositionAllowed("school-7", "teacher"));
  EXPECT_FALSE(p.PositionAllowed("school-7", "care_worker"));
  EXPECT_FALSE(p.PositionAllowed("kjc-registry", "teacher"));
  EXPECT_TRUE(p.CertificateDenied(kFingerprint));
}

TEST(PolicyCompileTest, DevPolicyCompiles) {
  auto compiled = Policy::Compile(testing::DevPolicy());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  const v1::Principal* clerk = (*compiled)->FindPrincipal(kClerkId);
  ASSERT_NE(clerk, nullptr);
  EXPECT_EQ(clerk->role(), v1::ROLE_CLERK);
}

// Identities are certificate URI SANs only: a principal that is not a URI (a subject CN, say)
// could never match, and is refused at load so the operator learns of it.
TEST(PolicyCompileTest, PrincipalThatIsNotAUriIsRefused) {
  for (const std::string& bad :
       {std::string("dev-cn-only"), std::string("KJC Registry Clerk"), std::string(":x"),
        std::string("spiffe:"), std::string("1spiffe://x"), std::string("spiffe://a b"),
        std::string("spiffe://x/\x01"), "spiffe://x/" + std::string(250, 'a')}) {
    v1::AccessPolicy p = ValidPolicy();
    p.mutable_principals(0)->set_id(bad);
    SCOPED_TRACE(bad);
    ExpectRefused(p, {"principals", "not a URI"});
  }
}

// An identity names its holder's role (spiffe://<trust domain>/<role>/<name>, as the registry's
// CA issues it): a policy that gave a clerk's certificate the administrator's role, a vetting
// client's a court's, or any role to a URI of another shape or another trust domain, made an
// administrator or a court of whoever held it. Such a principal is refused, naming its place in
// the list and what to list instead; the matching roles compile.
TEST(PolicyCompileTest, APrincipalWhoseIdentityDoesNotNameItsRoleIsRefused) {
  const struct {
    std::string id;
    v1::Role role;
    std::vector<std::string> words;
  } cases[] = {
      {"spiffe://registry.kjc/clerk/unlisted", v1::ROLE_ADMIN,
       {"principals[0].id: ", "spiffe://registry.kjc/clerk/unlisted", "role clerk",
        "ROLE_ADMIN", "give it ROLE_CLERK", "spiffe://registry.kjc/admin/unlisted",
        "registry-pki.sh client PKI admin NAME"}},
      {"spiffe://registry.kjc/vetting/x", v1::ROLE_COURT,
       {"principals[0].id: ", "role vetting", "give it ROLE_VETTING"}},
      {"spiffe://registry.kjc/admins/x", v1::ROLE_ADMIN,
       {"principals[0].id: ", "names no role", "\"admins\""}},
      {"urn:kjc:registry:clerk-1", v1::ROLE_CLERK,
       {"principals[0].id: ", "spiffe://<trust domain>/<role>/<name>"}},
      {"https://registry.kjc/clerk/c1", v1::ROLE_CLERK, {"principals[0].id: ", "<role>"}},
      {"spiffe://registry.kjc/clerk", v1::ROLE_CLERK, {"principals[0].id: ", "<name>"}},
      {"spiffe://registry.kjc/clerk/c1/more", v1::ROLE_CLERK, {"principals[0].id: "}},
      {"spiffe://registry.kjc/clerk/", v1::ROLE_CLERK, {"principals[0].id: "}},
      {"spiffe:///clerk/c1", v1::ROLE_CLERK, {"principals[0].id: "}},
      {"spiffe://Registry.KJC/clerk/c1", v1::ROLE_CLERK, {"principals[0].id: "}},
      {"spiffe://registry.kjc/clerk/..", v1::ROLE_CLERK, {"principals[0].id: "}},
      {"spiffe://registry.kjc/clerk/c1?role=admin", v1::ROLE_CLERK, {"principals[0].id: "}},
      {"spiffe://registry.kjc/Clerk/c1", v1::ROLE_CLERK, {"principals[0].id: ", "names no role"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.id);
    v1::AccessPolicy p = ValidPolicy();
    p.mutable_principals(0)->set_id(c.id);
    p.mutable_principals(0)->set_role(c.role);
    ExpectRefused(p, c.words);
  }
  // The index is the principal's place in the list.
  v1::AccessPolicy p = ValidPolicy();
  p.mutable_principals(1)->set_role(v1::ROLE_CLERK);
  ExpectRefused(p, {"principals[1].id: ", "role vetting", "ROLE_CLERK"});
  // Every role with its own segment, and a name in capitals, dots and underscores.
  p = ValidPolicy();
  for (const auto& [segment, role] :
       std::vector<std::pair<std::string, v1::Role>>{{"court", v1::ROLE_COURT},
                                                     {"auditor", v1::ROLE_AUDITOR},
                                                     {"admin", v1::ROLE_ADMIN}}) {
    v1::Principal* added = p.add_principals();
    added->set_id(absl::StrCat("spiffe://registry.kjc/", segment, "/Dev_", segment, ".1"));
    added->set_role(role);
    added->set_organisation("kjc-registry");
  }
  EXPECT_TRUE(Policy::Compile(p).ok()) << Policy::Compile(p).status();
}

// The registry's config names no trust domain, nor does its CA: every principal is held to the
// first one's, so that a certificate of another domain (another CA's, trusted beside the
// registry's) is given no role.
TEST(PolicyCompileTest, APrincipalOfAnotherTrustDomainIsRefused) {
  v1::AccessPolicy p = ValidPolicy();
  v1::Principal* other = p.add_principals();
  other->set_id("spiffe://other.example/clerk/x");
  other->set_role(v1::ROLE_CLERK);
  other->set_organisation("kjc-registry");
  ExpectRefused(p, {"principals[2].id: ", "spiffe://other.example/clerk/x",
                    "trust domain \"other.example\"", "principals[0] is in \"registry.kjc\""});
  other->set_role(v1::ROLE_ADMIN);
  other->set_id("spiffe://other.example/admin/x");
  ExpectRefused(p, {"principals[2].id: ", "trust domain \"other.example\""});
  // A policy wholly in another domain is one domain.
  for (v1::Principal& pr : *p.mutable_principals()) {
    pr.set_id(absl::StrReplaceAll(pr.id(), {{"registry.kjc/", "other.example/"}}));
  }
  EXPECT_TRUE(Policy::Compile(p).ok()) << Policy::Compile(p).status();
}

TEST(PolicyCompileTest, ReferContactsComeFromTheOrganisationsRegion) {
  auto compiled = Policy::Compile(testing::DevPolicy());
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ((*compiled)->ReferContact("dev-school"),
            "KJC registry office Prishtinë (development), referrals-prishtine@registry.kjc.dev");
  EXPECT_EQ((*compiled)->ReferContact("dev-care-home"),
            "KJC registry office Prizren (development), referrals-prizren@registry.kjc.dev");
  EXPECT_EQ((*compiled)->ReferContact("kjc-registry"), "") << "no region: no contact";
  EXPECT_EQ((*compiled)->ReferContact("no-such-org"), "");
}

TEST(PolicyCompileTest, AnUnknownRegionOrARegionWithoutAContactIsRefused) {
  v1::AccessPolicy p = testing::DevPolicy();
  p.mutable_organisations(4)->set_region("atlantis");
  ExpectRefused(p, {"organisations", "unknown region", "atlantis"});
  p = testing::DevPolicy();
  p.mutable_regions(0)->set_refer_contact("");
  ExpectRefused(p, {"regions", "prishtine", "refer_contact"});
  p = testing::DevPolicy();
  p.mutable_regions(0)->set_refer_contact("call us\x1b[2J");
  ExpectRefused(p, {"regions", "prishtine", "refer_contact"});
  p = testing::DevPolicy();
  *p.add_regions() = p.regions(0);
  ExpectRefused(p, {"regions: duplicate id prishtine"});
}

TEST(PolicyCompileTest, UnknownOrganisationIsRefused) {
  v1::AccessPolicy p = ValidPolicy();
  p.mutable_principals(0)->set_organisation("no-such-office");
  ExpectRefused(p, {"spiffe://registry.kjc/clerk/c1", "unknown organisation", "no-such-office"});
}

TEST(PolicyCompileTest, DuplicatePrincipalIsRefused) {
  v1::AccessPolicy p = ValidPolicy();
  v1::Principal* again = p.add_principals();
  again->set_id("spiffe://registry.kjc/clerk/c1");
  again->set_role(v1::ROLE_CLERK);
  again->set_organisation("kjc-registry");
  ExpectRefused(p, {"duplicate", "spiffe://registry.kjc/clerk/c1"});
}

TEST(PolicyCompileTest, PrincipalWithoutRoleOrIdIsRefused) {
  v1::AccessPolicy p = ValidPolicy();
  p.mutable_principals(0)->set_role(v1::ROLE_UNSPECIFIED);
  ExpectRefused(p, {"spiffe://registry.kjc/clerk/c1", "role"});
  p = ValidPolicy();
  p.mutable_principals(0)->clear_id();
  ExpectRefused(p, {"principals", "empty id"});
}

TEST(PolicyCompileTest, VettingOrganisationWithoutRateLimitIsRefused) {
  v1::AccessPolicy p = ValidPolicy();
  p.mutable_organisations(1)->clear_rate_limit();
  ExpectRefused(p, {"school-7", "rate_limit"});
  p = ValidPolicy();
  p.mutable_organisations(1)->mutable_rate_limit()->set_per_minute(100001);
  ExpectRefused(p, {"school-7", "rate_limit"});
}

// Each per-organisation daily count is refused above 100000 and taken at it.
TEST(PolicyCompileTest, DailyCountsAreBounded) {
  using Setter = void (v1::RateLimit::*)(uint32_t);
  const std::pair<Setter, std::string> counts[] = {
      {&v1::RateLimit::set_checks_per_person_per_day, "checks_per_person_per_day"},
      {&v1::RateLimit::set_refers_per_day_alert, "refers_per_day_alert"},
      {&v1::RateLimit::set_checks_per_name_per_day, "checks_per_name_per_day"},
  };
  for (const auto& [set, field] : counts) {
    SCOPED_TRACE(field);
    v1::AccessPolicy p = ValidPolicy();
    (p.mutable_organisations(1)->mutable_rate_limit()->*set)(100001);
    ExpectRefused(p, {"school-7", field});
    (p.mutable_organisations(1)->mutable_rate_limit()->*set)(100000);
    EXPECT_TRUE(Policy::Compile(p).ok());
  }
}

TEST(PolicyCompileTest, VettingOrganisationWithoutCategoriesIsRefused) {
  v1::AccessPolicy p = ValidPolicy();
  p.mutable_organisations(1)->clear_position_categories();
  ExpectRefused(p, {"school-7", "position_categories"});
}

// A category in capitals or with a space around it could never be checked for: registry-cli
// sends what is typed lower-cased and without the spaces around it, and the registry refuses a
// category with a space around it. It is refused as a purpose code of that shape is.
TEST(PolicyCompileTest, APositionCategoryNotShapedAsACodeIsRefused) {
  for (const std::string& bad : {std::string("Teacher"), std::string("teacher "), std::string(""),
                                 std::string("care worker"), std::string(65, 'a')}) {
    v1::AccessPolicy p = ValidPolicy();
    p.mutable_organisations(1)->add_position_categories(bad);
    SCOPED_TRACE(bad);
    ExpectRefused(p, {"school-7", "position_categories", "is not [a-z0-9_]{1,64}"});
  }
}

TEST(PolicyCompileTest, BadOrganisationIdIsRefused) {
  v1::AccessPolicy p = ValidPolicy();
  p.mutable_organisations(0)->set_id("KJC Registry");
  ExpectRefused(p, {"organisations", "KJC Registry"});
  p = ValidPolicy();
  *p.add_organisations() = p.organisations(0);
  ExpectRefused(p, {"organisations", "duplicate", "kjc-registry"});
}

TEST(PolicyCompileTest, BadFingerprintIsRefused) {
  for (const std::string& bad :
       {std::string("abc"), std::string(63, 'a'), std::string(65, 'a'),
        std::string(63, 'a') + "g", std::string(64, ' ')}) {
    v1::AccessPolicy p = ValidPolicy();
    p.add_denied_certificate_sha256(bad);
    SCOPED_TRACE(bad);
    ExpectRefused(p, {"denied_certificate_sha256"});
  }
}

TEST(PolicyCompileTest, FingerprintIsNormalised) {
  // Upper case with colons, as `openssl x509 -fingerprint -sha256` prints it.
  std::vector<std::string> pairs;
  const std::string upper = absl::AsciiStrToUpper(kFingerprint);
  for (size_t i = 0; i < upper.size(); i += 2) pairs.push_back(upper.substr(i, 2));
  v1::AccessPolicy p = ValidPolicy();
  p.clear_denied_certificate_sha256();
  p.add_denied_certificate_sha256(absl::StrJoin(pairs, ":"));
  auto compiled = Policy::Compile(p);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_TRUE((*compiled)->CertificateDenied(kFingerprint));
  EXPECT_FALSE((*compiled)->CertificateDenied(std::string(64, '0')));
}

TEST(PolicyCompileTest, BadPurposeCodeIsRefused) {
  for (const std::string& bad : {std::string("Criminal-Proceedings"), std::string(""),
                                 std::string("criminal proceedings"), std::string(65, 'a')}) {
    v1::AccessPolicy p = ValidPolicy();
    p.add_purpose_codes(bad);
    SCOPED_TRACE(bad);
    ExpectRefused(p, {"purpose_codes"});
  }
}

TEST(PolicyFileTest, LoadRefusesUnknownJsonFields) {
  const std::string dir = testing::MakeTempDir("policy-test");
  const std::string path = dir + "/policy.json";
  {
    std::ofstream out(path);
    out << R"({"principals": [], "organisations": [], "admins": ["me"]})";
  }
  ::chmod(path.c_str(), 0644);  // whatever the umask: not a file any local account may write
  auto loaded = server::LoadPolicyFile(path);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << loaded.status();
  std::remove(path.c_str());
  std::remove(dir.c_str());
}

// A small valid policy file, as written by hand; the tests below give one of its keys twice.
constexpr char kPolicyText[] = R"({
  "organisations": [{"id": "kjc-registry"}],
  "principals": [
    {"id": "spiffe://registry.kjc/clerk/c1", "role": "ROLE_CLERK", "organisation": "kjc-registry"},
    {"id": "spiffe://registry.kjc/auditor/a1", "role": "ROLE_AUDITOR",
     "organisation": "kjc-registry"}
  ],
  "denied_certificate_sha256": [
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
  ]
})";

// `text` with `added` written right after its opening brace.
std::string WithFirst(const std::string& text, const std::string& added) {
  std::string out = text;
  out.insert(out.find('{') + 1, added);
  return out;
}

// LoadPolicyFile's status for `text` written as a policy file; the file's path in *path.
absl::Status LoadPolicyText(const std::string& text, std::string* path) {
  const std::string dir = testing::MakeTempDir("policy-text");
  *path = dir + "/policy.json";
  std::ofstream(*path) << text;
  ::chmod(path->c_str(), 0644);  // whatever the umask: not a file any local account may write
  const absl::Status status = server::LoadPolicyFile(*path).status();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return status;
}

// The policy file's parse problems were said in protobuf's words, without a fix ("bogus: Cannot
// find field.", "invalid value \"ROLE_KING\" for type type.googleapis.com/registry.v1.Role",
// "Closing quote expected in string.", registryd.json given as the policy: "metrics: Cannot find
// field."), where the config's own get the registry's. They are said as the config's are, by
// the same function (JsonFileProblems): every field at once, the roles there are, a near key.
TEST(PolicyFileTest, AParseProblemIsSaidInTheWordsOfTheConfigsWithTheFix) {
  std::string path;
  const struct {
    std::string text;
    std::vector<std::string> said;
  } cases[] = {
      {WithFirst(kPolicyText, R"("bogus": 1, )"), {": bogus: not a field"}},
      {absl::StrReplaceAll(kPolicyText, {{R"("role": "ROLE_CLERK")", R"("role": "ROLE_KING")"}}),
       {": principals[0].role: must be one of ROLE_CLERK, ROLE_COURT, ROLE_VETTING, "
        "ROLE_AUDITOR, ROLE_ADMIN"}},
      {absl::StrReplaceAll(kPolicyText, {{R"("role": "ROLE_CLERK")", R"("rolle": "ROLE_CLERK")"}}),
       {": principals[0].rolle: not a field; did you mean principals[0].role?"}},
      // Two at once.
      {WithFirst(absl::StrReplaceAll(kPolicyText, {{R"("role": "ROLE_AUDITOR")",
                                                    R"("role": "ROLE_KING")"}}),
                 R"("purpose_code": ["x"], )"),
       {"principals[1].role: must be one of ROLE_CLERK",
        "purpose_code: not a field; did you mean purpose_codes?"}},
      {std::string(kPolicyText).substr(0, std::string(kPolicyText).find("c1") + 1),
       {": line 4, column ", "the file ends inside its JSON", "cut short"}},
      {R"({"listen_address": "127.0.0.1:0", "data_dir": "data", "policy_file": "policy.json",)"
       R"( "metrics": {"listen_address": "127.0.0.1:0"}})",
       {"this is registryd's config", "not an access policy", "policy_file must name"}},
  };
  for (const auto& c : cases) {
    const absl::Status loaded = LoadPolicyText(c.text, &path);
    EXPECT_EQ(loaded.code(), absl::StatusCode::kInvalidArgument) << loaded;
    const std::string message(loaded.message());
    EXPECT_TRUE(absl::StartsWith(message, path + ": ")) << message;
    for (const std::string& said : c.said) {
      EXPECT_THAT(message, ::testing::HasSubstr(said)) << c.text;
    }
    for (const char* protobufs : {"Cannot find field", "invalid value", "type.googleapis.com",
                                  "Closing quote", "ROLE_UNSPECIFIED"}) {
      EXPECT_THAT(message, ::testing::Not(::testing::HasSubstr(protobufs))) << message;
    }
  }
}

// Whoever may write the policy decides who reads the records: a file every local account may
// write, or one in a folder they may write without the sticky bit (where they may rename it away
// and put their own in its place), is refused naming what to run. The group may write it.
TEST(PolicyFileTest, APolicyThatEveryLocalAccountMayChangeIsRefusedNamingTheChmodThatMendsIt) {
  const std::string dir = testing::MakeTempDir("policy-mode");
  const std::string path = dir + "/policy.json";
  std::ofstream(path) << kPolicyText;
  ASSERT_EQ(::chmod(path.c_str(), 0660), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0770), 0);
  EXPECT_TRUE(server::LoadPolicyFile(path).ok()) << server::LoadPolicyFile(path).status();

  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  absl::Status loaded = server::LoadPolicyFile(path).status();
  EXPECT_EQ(loaded.code(), absl::StatusCode::kFailedPrecondition) << loaded;
  EXPECT_EQ(loaded.message(), absl::StrCat(path, " is writable by every local account (mode "
                                           "0666): run chmod o-w ", path));
  const server::PolicyReading reading = server::ReadPolicyFile(path);
  EXPECT_EQ(reading.sha256, "") << "refused for its mode, the file is not read";
  EXPECT_EQ(reading.refused_because, "the file is writable by every local account");

  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  loaded = server::LoadPolicyFile(path).status();
  EXPECT_EQ(loaded.code(), absl::StatusCode::kFailedPrecondition) << loaded;
  EXPECT_THAT(std::string(loaded.message()),
              ::testing::AllOf(::testing::StartsWith(absl::StrCat(dir, ", a folder above ", path,
                                                                  ", is writable by every local "
                                                                  "account without the sticky "
                                                                  "bit (mode 0777)")),
                               ::testing::EndsWith(absl::StrCat("run chmod o-w ", dir))));
  // With the sticky bit (as /tmp), only the file's owner may rename or remove it.
  ASSERT_EQ(::chmod(dir.c_str(), 01777), 0);
  EXPECT_TRUE(server::LoadPolicyFile(path).ok()) << server::LoadPolicyFile(path).status();
  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
}

// Protobuf's parser adds a second "principals" list to the first: a reviewer who reads the
// file, or lists it with jq or Python (which take the last list), never sees the clerk it adds.
TEST(PolicyFileTest, APrincipalsListGivenTwiceIsRefusedNamingTheFileAndTheKey) {
  std::string path;
  ASSERT_TRUE(LoadPolicyText(kPolicyText, &path).ok());
  const absl::Status twice = LoadPolicyText(
      WithFirst(kPolicyText, R"("principals": [{"id": "spiffe://registry.kjc/clerk/c2",
          "role": "ROLE_CLERK", "organisation": "kjc-registry"}],)"),
      &path);
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument) << twice;
  EXPECT_EQ(twice.message(), path + ": principals: given twice");
}

// Protobuf's parser takes the last of two values: the file would read as a clerk to one reader
// and an administrator to another.
TEST(PolicyFileTest, APrincipalsRoleGivenTwiceIsRefusedNamingItsPlaceInTheList) {
  std::string text = kPolicyText;
  const std::string role = R"("role": "ROLE_AUDITOR")";
  text.replace(text.find(role), role.size(), R"("role": "ROLE_AUDITOR", "role": "ROLE_ADMIN")");
  std::string path;
  const absl::Status twice = LoadPolicyText(text, &path);
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument) << twice;
  EXPECT_EQ(twice.message(), path + ": principals[1].role: given twice");
}

TEST(PolicyFileTest, ADenyListGivenTwiceIsRefusedNotMerged) {
  std::string path;
  const absl::Status twice = LoadPolicyText(
      WithFirst(kPolicyText, absl::StrCat(R"("denied_certificate_sha256": [")",
                                          std::string(64, 'f'), R"("],)")),
      &path);
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument) << twice;
  EXPECT_EQ(twice.message(), path + ": denied_certificate_sha256: given twice");
}

// ---- Through a running server ----

std::string Sha256Hex(const std::string& bytes) {
  return absl::BytesToHexString(crypto::Sha256(bytes));
}

grpc::StatusCode PublicKeyAs(const std::shared_ptr<grpc::Channel>& channel) {
  return testing::GetVettingPublicKeyOn(channel).error_code();
}

v1::AccessPolicy DevPolicyWithout(absl::string_view principal) {
  const v1::AccessPolicy dev = testing::DevPolicy();
  v1::AccessPolicy p = dev;
  p.clear_principals();
  for (const v1::Principal& pr : dev.principals()) {
    if (pr.id() != principal) *p.add_principals() = pr;
  }
  EXPECT_EQ(p.principals_size() + 1, dev.principals_size());
  return p;
}

// A server whose watcher looks at the policy file every 100 ms.
std::unique_ptr<TestServer> StartedWithTheWatcher() {
  TestServerOptions options;
  options.policy_poll = absl::Milliseconds(100);
  return TestServer::Start(std::move(options));
}

// What `channel` is answered once a policy refusing it is in force, or when 10 s have passed.
grpc::StatusCode PublicKeyOnceRefused(const std::shared_ptr<grpc::Channel>& channel) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  grpc::StatusCode code = PublicKeyAs(channel);
  while (code == grpc::StatusCode::OK && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    code = PublicKeyAs(channel);
  }
  return code;
}

// Whether the audit log holds `size` events within 10 s.
bool AuditLogReaches(TestServer& server, uint64_t size) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (AuditLogSize(server) < size && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  return AuditLogSize(server) >= size;
}

TEST(PolicyReloadTest, RemovedPrincipalLosesAccessAfterReload) {
  auto server = TestServer::Start();
  auto clerk = server->Channel("clerk");
  auto court = server->Channel("court");
  ASSERT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  server->WritePolicy(DevPolicyWithout(kClerkId));
  // Without the watcher nothing changes until the reload.
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  ASSERT_TRUE(server->server()->ReloadPolicy().ok());
  const uint64_t before = server->server()->audit_log()->CurrentHead().size;
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server->server()->audit_log()->CurrentHead().size, before + 1);
  const v1::AuditEvent event = LastStoredEvent(*server);
  EXPECT_EQ(testing::OutcomeName(event), "PERMISSION_DENIED");
  // No longer listed, the identity is recorded as any unlisted one; the detail names the
  // certificate.
  EXPECT_EQ(event.actor(), "unlisted certificate");
  EXPECT_EQ(event.detail(), absl::StrCat("certificate refused: not_in_policy; sha256 ",
                                         TestPki::Get().LoadIdentity("clerk").fingerprint));
  EXPECT_EQ(PublicKeyAs(court), grpc::StatusCode::OK);
}

TEST(PolicyReloadTest, ChangedFileIsPickedUpByTheWatcher) {
  auto server = StartedWithTheWatcher();
  auto clerk = server->Channel("clerk");
  ASSERT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  server->WritePolicy(DevPolicyWithout(kClerkId));
  EXPECT_EQ(PublicKeyOnceRefused(clerk), grpc::StatusCode::PERMISSION_DENIED)
      << "the watcher did not apply the changed policy within 10 s";
  EXPECT_EQ(PublicKeyAs(server->Channel("court")), grpc::StatusCode::OK);
}

TEST(PolicyReloadTest, InvalidPolicyLeavesTheOldOneInForce) {
  auto server = TestServer::Start();
  auto clerk = server->Channel("clerk");
  ASSERT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  // Would lock the clerk out if it were applied, but names an unknown organisation.
  v1::AccessPolicy bad = DevPolicyWithout(kClerkId);
  v1::Principal* stray = bad.add_principals();
  stray->set_id("spiffe://registry.kjc.dev/court/stray");
  stray->set_role(v1::ROLE_COURT);
  stray->set_organisation("no-such-court");
  server->WritePolicy(bad);
  absl::Status reloaded = server->server()->ReloadPolicy();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument) << reloaded;
  EXPECT_TRUE(absl::StrContains(reloaded.message(), "no-such-court")) << reloaded;
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  // Not JSON at all.
  {
    std::ofstream out(server->dir() + "/policy.json", std::ios::trunc);
    out << "{\"principals\": [";
  }
  reloaded = server->server()->ReloadPolicy();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument) << reloaded;
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  // A valid file is taken again afterwards.
  server->WritePolicy(DevPolicyWithout(kClerkId));
  ASSERT_TRUE(server->server()->ReloadPolicy().ok());
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::PERMISSION_DENIED);
}

// A policy that makes a clerk's certificate an administrator (the dev PKI's unlisted clerk, whose
// URI the CA issued as a clerk's) is refused on reload as any bad file is: the policy in force
// stays, the unlisted clerk is still refused, and the refusal is audited naming the principal's
// place in the list, never its identity.
TEST(PolicyReloadTest, APolicyGivingAClerksIdentityTheAdminRoleIsRefusedOnReloadAndAudited) {
  auto server = TestServer::Start();
  auto unlisted = server->Channel("unlisted");
  ASSERT_EQ(PublicKeyAs(unlisted), grpc::StatusCode::PERMISSION_DENIED);

  v1::AccessPolicy bad = testing::DevPolicy();
  v1::Principal* admin = bad.add_principals();
  admin->set_id(kUnlistedClerkId);
  admin->set_role(v1::ROLE_ADMIN);
  admin->set_organisation("kjc-security");
  server->WritePolicy(bad);
  const uint64_t before = AuditLogSize(*server);
  const absl::Status reloaded = server->server()->ReloadPolicy();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument) << reloaded;
  const std::string field = absl::StrCat("principals[", bad.principals_size() - 1, "].id");
  EXPECT_THAT(std::string(reloaded.message()),
              ::testing::AllOf(::testing::HasSubstr(field + ": "),
                               ::testing::HasSubstr("give it ROLE_CLERK")));

  ASSERT_EQ(AuditLogSize(*server), before + 1);
  const v1::AuditEvent event = StoredEvent(*server, before);
  EXPECT_EQ(event.actor(), "system:policy");
  EXPECT_EQ(event.action(), "reload-policy");
  EXPECT_EQ(testing::OutcomeName(event), "INVALID_ARGUMENT");
  EXPECT_EQ(event.detail(), field);
  EXPECT_THAT(event.reference(),
              ::testing::EndsWith("refused; the previous policy stays in force"));
  EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), kUnlistedClerkId));

  // Not an administrator: the admin's own calls are refused to it as to any unlisted caller.
  EXPECT_EQ(PublicKeyAs(unlisted), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(PublicKeyAs(server->Channel("admin")), grpc::StatusCode::OK);
}

// A reload of a file that gives "principals" twice, the first list adding a clerk the policy
// does not list, is refused: the policy in force stays, so the clerk is still refused, and the
// refusal is in the audit log with the refused file's fingerprint and the key it names.
TEST(PolicyReloadTest, APolicyGivingItsPrincipalsTwiceIsRefusedOnReloadAndTheRefusalAudited) {
  auto server = TestServer::Start();
  auto unlisted = server->Channel("unlisted");
  ASSERT_EQ(PublicKeyAs(unlisted), grpc::StatusCode::PERMISSION_DENIED);

  const std::string path = server->dir() + "/policy.json";
  const std::string text = WithFirst(
      testing::ReadFileOrDie(path),
      absl::StrCat(R"("principals": [{"id": ")", kUnlistedClerkId,
                   R"(", "role": "ROLE_CLERK", "organisation": "kjc-registry"}], )"));
  testing::WriteFileAtomically(path, text);
  const uint64_t before = AuditLogSize(*server);
  const absl::Status reloaded = server->server()->ReloadPolicy();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument) << reloaded;
  EXPECT_EQ(reloaded.message(), path + ": principals: given twice");

  ASSERT_EQ(AuditLogSize(*server), before + 1);
  const v1::AuditEvent event = StoredEvent(*server, before);
  EXPECT_EQ(event.actor(), "system:policy");
  EXPECT_EQ(event.action(), "reload-policy");
  EXPECT_EQ(testing::OutcomeName(event), "INVALID_ARGUMENT");
  EXPECT_EQ(event.detail(), "principals");
  EXPECT_EQ(event.reference(), absl::StrCat("policy sha256 ", Sha256Hex(text),
                                            " refused; the previous policy stays in force"));
  EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), kUnlistedClerkId));

  EXPECT_EQ(PublicKeyAs(unlisted), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(PublicKeyAs(server->Channel("clerk")), grpc::StatusCode::OK);
}

// A reload refused by the JSON parse itself (a key that names no field, a role that does not
// exist) was audited without the field refused, unlike the checks' refusals: the event names
// the field's path, and never the value; a key that is no typo of a field there (a name, say,
// whatever its capitals) is not repeated either.
TEST(PolicyReloadTest, APolicyRefusedByTheParseIsAuditedWithThePathOfTheFieldRefused) {
  auto server = TestServer::Start();
  const std::string path = server->dir() + "/policy.json";
  const std::string good = testing::ReadFileOrDie(path);
  // As WritePolicyFile writes it: compact, with the proto's field names.
  const std::string first_principal = R"("principals":[{)";
  ASSERT_TRUE(absl::StrContains(good, first_principal));
  v1::AccessPolicy policy;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(good, &policy).ok());
  int first_clerk = 0;
  while (policy.principals(first_clerk).role() != v1::ROLE_CLERK) ++first_clerk;
  std::string misspelt_role = good;
  misspelt_role.replace(misspelt_role.find(R"("ROLE_CLERK")"), 12, R"("ROLE_CLERKK")");
  const struct {
    std::string text;
    std::string detail;
  } cases[] = {
      {WithFirst(good, R"("purpose_code": 1, )"), "purpose_code"},
      {WithFirst(good, R"("x": 1, )"), "(unknown key)"},
      {absl::StrReplaceAll(good, {{first_principal, first_principal + R"("organisaton": 1, )"}}),
       "principals[0].organisaton"},
      {absl::StrReplaceAll(good, {{first_principal, first_principal + R"("Krasniqi Arben": 1, )"}}),
       "principals[0].(unknown key)"},
      // Spelled as a field name is, and a typo of none: a surname typed as a key.
      {absl::StrReplaceAll(good, {{first_principal, first_principal + R"("krasniqi": 1, )"}}),
       "principals[0].(unknown key)"},
      {misspelt_role, absl::StrCat("principals[", first_clerk, "].role")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.detail);
    testing::WriteFileAtomically(path, c.text);
    const uint64_t before = AuditLogSize(*server);
    const absl::Status reloaded = server->server()->ReloadPolicy();
    EXPECT_EQ(reloaded.code(), absl::StatusCode::kInvalidArgument) << reloaded;
    ASSERT_EQ(AuditLogSize(*server), before + 1);
    const v1::AuditEvent event = StoredEvent(*server, before);
    EXPECT_EQ(event.action(), "reload-policy");
    EXPECT_EQ(testing::OutcomeName(event), "INVALID_ARGUMENT");
    EXPECT_EQ(event.detail(), c.detail);
    EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), "Krasniqi"));
    EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), "krasniqi"));
    EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), "ROLE_CLERKK"));
  }
  EXPECT_EQ(PublicKeyAs(server->Channel("clerk")), grpc::StatusCode::OK);
}

// A policy file larger than any policy (a sparse one costs nothing to make, at gigabytes) is
// refused by its size on the open file, unread, naming the file and the limit.
TEST(PolicyFileTest, APolicyFileLargerThanAnyPolicyIsRefusedUnreadNamingTheLimit) {
  const std::string dir = testing::MakeTempDir("policy-size");
  const std::string path = dir + "/policy.json";
  std::ofstream(path) << kPolicyText;
  ASSERT_EQ(::truncate(path.c_str(), (1 << 20) + 1), 0);
  const absl::Status loaded = server::LoadPolicyFile(path).status();
  EXPECT_EQ(loaded.code(), absl::StatusCode::kFailedPrecondition) << loaded;
  EXPECT_EQ(loaded.message(), absl::StrCat("cannot read ", path, ": it is 1048577 bytes, more "
                                           "than the 1 MiB the policy file may be"));
}

// A policy file made writable by every local account (chmod 666) is refused on reload like any
// bad file, whatever it holds: the policy in force stays, and the refusal is audited with why.
// It is judged by its mode before it is read, so the event names no fingerprint.
TEST(PolicyReloadTest, APolicyMadeWritableByEveryLocalAccountIsRefusedOnReloadAndAudited) {
  auto server = TestServer::Start();
  auto clerk = server->Channel("clerk");
  ASSERT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  const std::string path = server->dir() + "/policy.json";
  server->WritePolicy(DevPolicyWithout(kClerkId));
  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  const uint64_t before = AuditLogSize(*server);
  const absl::Status reloaded = server->server()->ReloadPolicy();
  EXPECT_EQ(reloaded.code(), absl::StatusCode::kFailedPrecondition) << reloaded;
  EXPECT_THAT(std::string(reloaded.message()), ::testing::HasSubstr("chmod o-w " + path));

  ASSERT_EQ(AuditLogSize(*server), before + 1);
  const v1::AuditEvent event = StoredEvent(*server, before);
  EXPECT_EQ(event.actor(), "system:policy");
  EXPECT_EQ(event.action(), "reload-policy");
  EXPECT_EQ(testing::OutcomeName(event), "FAILED_PRECONDITION");
  EXPECT_EQ(event.detail(), "the file is writable by every local account");
  EXPECT_EQ(event.reference(), "policy file refused unread; the previous policy stays in force");
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK) << "the refused policy was applied";

  // Mended, the same file is taken.
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  ASSERT_TRUE(server->server()->ReloadPolicy().ok());
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::PERMISSION_DENIED);
}

// The watcher holds the file's mode too: a policy made writable by every local account is refused
// (and audited) without waiting for an edit, and the same file is applied once mended, without
// an edit or a SIGHUP.
TEST(PolicyReloadTest, TheWatcherRefusesAPolicyEveryLocalAccountMayWriteAndTakesItOnceMended) {
  auto server = StartedWithTheWatcher();
  auto clerk = server->Channel("clerk");
  ASSERT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  const std::string path = server->dir() + "/policy.json";
  const uint64_t before = AuditLogSize(*server);
  ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
  ASSERT_TRUE(AuditLogReaches(*server, before + 1)) << "the watcher did not see the mode in 10 s";
  const v1::AuditEvent event = StoredEvent(*server, before);
  EXPECT_EQ(event.action(), "reload-policy");
  EXPECT_EQ(testing::OutcomeName(event), "FAILED_PRECONDITION");
  EXPECT_EQ(event.detail(), "the file is writable by every local account");

  // An edit while it stays so is refused too (and audited); mended, the edited file is taken.
  const std::string edited = path + ".edited";
  testing::WritePolicyFile(edited, DevPolicyWithout(kClerkId));
  ASSERT_EQ(::chmod(edited.c_str(), 0666), 0);
  ASSERT_EQ(std::rename(edited.c_str(), path.c_str()), 0);
  ASSERT_TRUE(AuditLogReaches(*server, before + 2)) << "the watcher did not see the edit in 10 s";
  EXPECT_EQ(testing::OutcomeName(StoredEvent(*server, before + 1)), "FAILED_PRECONDITION");
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK) << "the refused policy was applied";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(PublicKeyOnceRefused(clerk), grpc::StatusCode::PERMISSION_DENIED)
      << "the watcher did not take the mended file within 10 s";
}

// An applied reload is audited before the new policy is in force, with the new file's
// fingerprint (as sha256sum prints it) and what it holds counted.
TEST(PolicyReloadTest, AnAppliedReloadIsAuditedWithTheNewFilesFingerprintAndCounts) {
  auto server = TestServer::Start();
  auto clerk = server->Channel("clerk");
  ASSERT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);

  v1::AccessPolicy policy = DevPolicyWithout(kClerkId);
  policy.add_denied_certificate_sha256(kFingerprint);
  server->WritePolicy(policy);
  const std::string text = testing::ReadFileOrDie(server->dir() + "/policy.json");
  const uint64_t before = AuditLogSize(*server);
  const absl::Status reloaded = server->server()->ReloadPolicy();
  ASSERT_TRUE(reloaded.ok()) << reloaded;

  ASSERT_EQ(AuditLogSize(*server), before + 1);
  const v1::AuditEvent event = StoredEvent(*server, before);
  EXPECT_EQ(event.actor(), "system:policy");
  EXPECT_EQ(event.action(), "reload-policy");
  EXPECT_EQ(testing::OutcomeName(event), "OK");
  EXPECT_EQ(event.detail(), "");
  EXPECT_EQ(event.reference(),
            absl::StrCat("policy sha256 ", Sha256Hex(text), ": ", policy.principals_size(),
                         " principals, ", policy.organisations_size(), " organisations, 1 denied "
                         "certificates"));
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::PERMISSION_DENIED);
}

// ---- The policy read at start ----

// The file's SHA-256 as sha256sum prints it.
std::string PolicyFileSha256(const TestServer& server) {
  return Sha256Hex(testing::ReadFileOrDie(server.dir() + "/policy.json"));
}

std::string ReferenceOf(const std::string& sha256, const v1::AccessPolicy& policy) {
  return absl::StrCat("policy sha256 ", sha256, ": ", policy.principals_size(), " principals, ",
                      policy.organisations_size(), " organisations, ",
                      policy.denied_certificate_sha256_size(), " denied certificates");
}

// The system:policy events of the log from `from` on.
std::vector<v1::AuditEvent> PolicyEventsFrom(TestServer& server, uint64_t from) {
  std::vector<v1::AuditEvent> events;
  for (uint64_t i = from; i < AuditLogSize(server); ++i) {
    v1::AuditEvent event = StoredEvent(server, i);
    if (event.actor() == "system:policy") events.push_back(std::move(event));
  }
  return events;
}

// Starts a server and has it write an event of a call, so that its log is not a new one.
std::unique_ptr<TestServer> StartedWithACall() {
  auto server = TestServer::Start();
  EXPECT_EQ(PublicKeyAs(server->Channel("clerk")), grpc::StatusCode::OK);
  EXPECT_GT(AuditLogSize(*server), 0u);
  return server;
}

// A restart on the file last in force writes nothing, whether that file was read at the first
// start or put in force by a reload since: the reload's write recorded its fingerprint, which
// the next change is then compared with.
TEST(PolicyAtStartTest, ARestartWithThePolicyLastInForceWritesNoPolicyEvent) {
  auto server = StartedWithACall();
  uint64_t before = AuditLogSize(*server);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(AuditLogSize(*server), before);

  server->WritePolicy(DevPolicyWithout(kClerkId));
  const std::string reloaded = PolicyFileSha256(*server);
  ASSERT_TRUE(server->server()->ReloadPolicy().ok());
  before = AuditLogSize(*server);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(AuditLogSize(*server), before);
  EXPECT_EQ(PublicKeyAs(server->Channel("clerk")), grpc::StatusCode::PERMISSION_DENIED);

  before = AuditLogSize(*server);
  server->Stop();
  server->WritePolicy(testing::DevPolicy());
  ASSERT_TRUE(server->Restart().ok());
  const std::vector<v1::AuditEvent> events = PolicyEventsFrom(*server, before);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].detail(),
            absl::StrCat("changed while registryd was stopped: the last policy in force was "
                         "sha256 ",
                         reloaded));
}

// A principal removed and a certificate denied while registryd was stopped: the next start
// writes one event, before it serves, with the new file's fingerprint and counts and the
// fingerprint of the policy that was in force before; a further restart writes none.
TEST(PolicyAtStartTest, APolicyChangedWhileStoppedIsAuditedOnceWithTheNewAndTheOldFingerprint) {
  auto server = StartedWithACall();
  const std::string old_sha256 = PolicyFileSha256(*server);
  const uint64_t before = AuditLogSize(*server);
  server->Stop();
  v1::AccessPolicy changed = DevPolicyWithout(kClerkId);
  changed.add_denied_certificate_sha256(kFingerprint);
  server->WritePolicy(changed);
  const std::string new_sha256 = PolicyFileSha256(*server);
  ASSERT_NE(new_sha256, old_sha256);

  ASSERT_TRUE(server->Restart().ok());
  ASSERT_EQ(AuditLogSize(*server), before + 1);
  const v1::AuditEvent event = StoredEvent(*server, before);
  EXPECT_EQ(event.actor(), "system:policy");
  EXPECT_EQ(event.action(), "load-policy");
  EXPECT_EQ(testing::OutcomeName(event), "OK");
  EXPECT_EQ(event.reference(), ReferenceOf(new_sha256, changed));
  EXPECT_EQ(event.detail(), absl::StrCat("changed while registryd was stopped: the last policy "
                                         "in force was sha256 ",
                                         old_sha256));
  EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), kClerkId));
  EXPECT_EQ(PublicKeyAs(server->Channel("clerk")), grpc::StatusCode::PERMISSION_DENIED);

  const uint64_t after = AuditLogSize(*server);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(AuditLogSize(*server), after);
}

// A new registry's log does not start with its policy, yet the policy is recorded: a change
// made before the second start is found and names it.
TEST(PolicyAtStartTest, AFirstStartWritesNoPolicyEventYetRecordsThePolicyItStartedWith) {
  auto server = TestServer::Start();
  EXPECT_EQ(AuditLogSize(*server), 0u);
  const std::string first = PolicyFileSha256(*server);

  server->Stop();
  server->WritePolicy(DevPolicyWithout(kClerkId));
  ASSERT_TRUE(server->Restart().ok());
  ASSERT_EQ(AuditLogSize(*server), 1u);
  const v1::AuditEvent event = StoredEvent(*server, 0);
  EXPECT_EQ(event.action(), "load-policy");
  EXPECT_EQ(event.detail(), absl::StrCat("changed while registryd was stopped: the last policy "
                                         "in force was sha256 ",
                                         first));
}

// Whoever deletes the recorded fingerprint gains one event naming no earlier policy, and a
// fingerprint planted without the key file (that of the file they edited) hides no change.
TEST(PolicyAtStartTest, AFingerprintDeletedOrPlantedWithoutTheKeyFileHidesNoChange) {
  auto server = StartedWithACall();
  uint64_t before = AuditLogSize(*server);
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server, [](storage::Database* db) {
    DeleteStored(db, storage::Cf::kMeta, storage::kPolicyFingerprintKey);
  }));
  ASSERT_TRUE(server->Restart().ok());
  ASSERT_EQ(AuditLogSize(*server), before + 1);
  v1::AuditEvent event = StoredEvent(*server, before);
  EXPECT_EQ(event.action(), "load-policy");
  EXPECT_EQ(event.reference(), ReferenceOf(PolicyFileSha256(*server), testing::DevPolicy()));
  EXPECT_EQ(event.detail(), "no earlier policy recorded");
  before = AuditLogSize(*server);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(AuditLogSize(*server), before);

  before = AuditLogSize(*server);
  server->Stop();
  server->WritePolicy(DevPolicyWithout(kClerkId));
  const std::string edited = PolicyFileSha256(*server);
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server, [&](storage::Database* db) {
    PutRows(db, {{storage::Cf::kMeta,
                  {storage::kPolicyFingerprintKey, absl::StrCat(edited, " ", Sha256Hex(edited))}}});
  }));
  ASSERT_TRUE(server->Restart().ok());
  ASSERT_EQ(AuditLogSize(*server), before + 1);
  event = StoredEvent(*server, before);
  EXPECT_EQ(event.action(), "load-policy");
  EXPECT_EQ(event.reference(), ReferenceOf(edited, DevPolicyWithout(kClerkId)));
  EXPECT_EQ(event.detail(), "no earlier policy recorded: the stored fingerprint fails "
                            "authentication");
}

// A policy file of its own for a PolicyStore's watcher, in a new directory (removed with it, so
// that each test leaves nothing behind), first holding the dev policy.
class PolicyFileOfItsOwn {
 public:
  explicit PolicyFileOfItsOwn(absl::string_view prefix)
      : dir_(testing::MakeTempDir(prefix)), path_(dir_ + "/policy.json") {
    Write(testing::DevPolicy());
  }
  ~PolicyFileOfItsOwn() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PolicyFileOfItsOwn(const PolicyFileOfItsOwn&) = delete;
  PolicyFileOfItsOwn& operator=(const PolicyFileOfItsOwn&) = delete;

  const std::string& path() const { return path_; }
  void Write(const v1::AccessPolicy& policy) const { testing::WritePolicyFile(path_, policy); }

 private:
  const std::string dir_;
  const std::string path_;
};

// The watcher's own reports are what the test waits for: the refusal of the bad file, then the
// taking of the good one, each within a deadline. (Waiting a fixed time and then finding the old
// policy in force would also pass when the watcher had not looked at the file yet.)
TEST(PolicyReloadTest, InvalidFileOnDiskIsIgnoredByTheWatcher) {
  const PolicyFileOfItsOwn file("policy-watch");
  auto store = server::PolicyStore::Load(file.path());
  ASSERT_TRUE(store.ok()) << store.status();

  absl::Mutex mu;
  std::vector<absl::Status> reports;
  (*store)->StartWatching(absl::Milliseconds(20), [&](const absl::Status& s) {
    absl::MutexLock lock(&mu);
    reports.push_back(s);
  });
  // How many reports there were before a write; a report that comes between the write and the
  // wait is then not missed.
  const auto reports_so_far = [&] {
    absl::MutexLock lock(&mu);
    return reports.size();
  };
  const auto wait_for = [&](size_t seen, bool ok) {
    absl::MutexLock lock(&mu);
    const auto reported = [&] {
      for (size_t i = seen; i < reports.size(); ++i) {
        if (reports[i].ok() == ok) return true;
      }
      return false;
    };
    return mu.AwaitWithTimeout(absl::Condition(&reported), absl::Seconds(10));
  };

  v1::AccessPolicy bad = DevPolicyWithout(kClerkId);
  bad.add_purpose_codes("Not A Code");
  size_t seen = reports_so_far();
  file.Write(bad);
  ASSERT_TRUE(wait_for(seen, false)) << "the watcher did not report the invalid file within 10 s";
  EXPECT_NE((*store)->Current()->FindPrincipal(kClerkId), nullptr);

  // The watcher is still alive and takes the next valid file.
  seen = reports_so_far();
  file.Write(DevPolicyWithout(kClerkId));
  ASSERT_TRUE(wait_for(seen, true)) << "the watcher did not take the valid file within 10 s";
  EXPECT_EQ((*store)->Current()->FindPrincipal(kClerkId), nullptr);
  (*store)->StopWatching();
}

// A good file whose reload could not be recorded (its audit event not written: a full disk for a
// moment) is not put in force; the watcher tried it again only when the file changed again, so a
// deny-list entry added while the write failed never took effect. It is read again at the next
// poll, and put in force once recorded.
TEST(PolicyReloadTest, AGoodFileWhoseReloadCouldNotBeRecordedIsTriedAgainByTheWatcher) {
  const PolicyFileOfItsOwn file("policy-retry");
  auto store = server::PolicyStore::Load(file.path());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Mutex mu;
  int failures_left = 2;
  int recorded = 0;
  (*store)->SetRecorder([&](const server::PolicyReading&) {
    absl::MutexLock lock(&mu);
    if (failures_left > 0) {
      --failures_left;
      return absl::UnavailableError("the audit log cannot be written");
    }
    ++recorded;
    return absl::OkStatus();
  });
  (*store)->StartWatching(absl::Milliseconds(20), nullptr);

  file.Write(DevPolicyWithout(kClerkId));
  {
    absl::MutexLock lock(&mu);
    const auto taken = [&] { return recorded > 0; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&taken), absl::Seconds(10)))
        << "the watcher did not try the file again after its reload could not be recorded";
    EXPECT_EQ(failures_left, 0);
  }
  (*store)->StopWatching();
  EXPECT_EQ((*store)->Current()->FindPrincipal(kClerkId), nullptr);
}

// ---- Certificate deny list ----

std::string UpperWithColons(const std::string& hex) {
  std::vector<std::string> pairs;
  for (size_t i = 0; i < hex.size(); i += 2) pairs.push_back(hex.substr(i, 2));
  return absl::AsciiStrToUpper(absl::StrJoin(pairs, ":"));
}

class DenyListTest : public ::testing::TestWithParam<bool> {
 protected:
  // The clerk's fingerprint as the policy states it: lowercase hex, or upper case with colons.
  std::string ClerkFingerprint() const {
    const std::string fp = TestPki::Get().LoadIdentity("clerk").fingerprint;
    EXPECT_EQ(fp.size(), 64u);
    return GetParam() ? UpperWithColons(fp) : fp;
  }
};

TEST_P(DenyListTest, DeniedCertificateIsUnauthenticated) {
  TestServerOptions options;
  options.policy = std::make_unique<v1::AccessPolicy>(testing::DevPolicy());
  options.policy->add_denied_certificate_sha256(ClerkFingerprint());
  auto server = TestServer::Start(std::move(options));
  storage::AuditLog* log = server->server()->audit_log();

  // The principal still names the clerk, but the deny list wins.
  uint64_t before = log->CurrentHead().size;
  EXPECT_EQ(PublicKeyAs(server->Channel("clerk")), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  v1::AuditEvent event = LastStoredEvent(*server);
  EXPECT_EQ(testing::OutcomeName(event), "UNAUTHENTICATED");
  EXPECT_EQ(event.actor(), kClerkId);
  EXPECT_EQ(event.action(), "/registry.v1.VettingService/GetVettingPublicKey");
  // The claimed actor is marked as refused, with the certificate that claimed it.
  EXPECT_EQ(event.detail(), absl::StrCat("certificate refused: deny_listed; sha256 ",
                                         TestPki::Get().LoadIdentity("clerk").fingerprint));

  before = log->CurrentHead().size;
  grpc::ClientContext ctx;
  v1::CreateRecordResponse created;
  grpc::Status s = v1::RecordService::NewStub(server->Channel("clerk"))
                       ->CreateRecord(&ctx, testing::ExampleRecord(), &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(created.record_id().empty());
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  event = LastStoredEvent(*server);
  EXPECT_EQ(testing::OutcomeName(event), "UNAUTHENTICATED");
  EXPECT_TRUE(event.record_ids().empty());

  for (const char* other : {"court", "vetting", "auditor", "admin"}) {
    EXPECT_EQ(PublicKeyAs(server->Channel(other)), grpc::StatusCode::OK) << other;
  }
}

TEST_P(DenyListTest, DenyListTakesEffectOnReload) {
  auto server = TestServer::Start();
  auto clerk = server->Channel("clerk");
  ASSERT_EQ(PublicKeyAs(clerk), grpc::StatusCode::OK);
  v1::AccessPolicy p = testing::DevPolicy();
  p.add_denied_certificate_sha256(ClerkFingerprint());
  server->WritePolicy(p);
  ASSERT_TRUE(server->server()->ReloadPolicy().ok());
  EXPECT_EQ(PublicKeyAs(clerk), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(PublicKeyAs(server->Channel("court")), grpc::StatusCode::OK);
}

INSTANTIATE_TEST_SUITE_P(FingerprintForms, DenyListTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "UpperCaseWithColons" : "LowerHex");
                         });

}  // namespace
}  // namespace registry::testing
