#include "server/policy.h"

#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/identity_text.h"
#include "common/json_fields.h"
#include "common/status_macros.h"
#include "common/suggest.h"
#include "crypto/hash.h"
#include "google/protobuf/descriptor.h"
#include "server/config.h"
#include "server/record_validation.h"

namespace registry::server {
namespace {

// A purpose code or a position category: [a-z0-9_]{1,64}.
bool CodeShaped(absl::string_view code) {
  return !code.empty() && code.size() <= 64 &&
         std::all_of(code.begin(), code.end(), [](char c) {
           return absl::ascii_islower(static_cast<unsigned char>(c)) ||
                  absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_';
         });
}

bool ValidOrgId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) return false;
  }
  return true;
}

// Whether `path` ("principals[1].role") names fields of the policy all the way; if so, and
// `message` is given, it is set to the message type the path ends at (nullptr for a scalar).
bool NamesPolicyFields(absl::string_view path,
                       const google::protobuf::Descriptor** message = nullptr) {
  return NamesFields(*registry::v1::AccessPolicy::descriptor(), path, message);
}

// What a key that names no field of `message` is repeated as: the key itself only when it is a
// typo of one of the message's fields (NearMissOfOurName: "principalz", "purpose_code"); any
// other key may be a person's data typed as a key (a surname, "krasniqi"), and is
// "(unknown key)".
std::string UnknownKeyAsSaid(absl::string_view key, const google::protobuf::Descriptor& message) {
  std::vector<std::string> fields;
  for (int i = 0; i < message.field_count(); ++i) fields.push_back(message.field(i)->name());
  return NearMissOfOurName(key, fields).has_value() ? std::string(key) : "(unknown key)";
}

// The field a refusal's message names, when it names fields of the policy all the way; "" when
// it names none. The rest of a message may hold a principal's id or a value, never taken.
//   "principals: ...", "principals[1].role: given twice"      (the checks' and the parse's own)
//   "(principals[0].role): invalid value ..."                 (protobuf: a value of the wrong
//                                                               type, an unknown enum name)
//   "x: Cannot find field.", "(principals[1]) x: Cannot ..."  (protobuf: a key that is no field;
//                                                               its path, the key only when
//                                                               a typo of a field there
//                                                               (UnknownKeyAsSaid))
//   "x: not a field", "principals[1].x: not a field; did you mean ..."  (JsonFileProblems: a key
//                                                               that is no field, said as above)
//   "principals[1]: holds a key that names no field"           (JsonFileProblems: a key not
//                                                               spelled as a field's is)
std::string FieldNamedBy(absl::string_view message) {
  // The first problem's path, and what is said of it.
  const size_t said_at = message.find(": ");
  const absl::string_view first_path =
      said_at == absl::string_view::npos ? "" : message.substr(0, said_at);
  const absl::string_view first_said =
      said_at == absl::string_view::npos ? "" : message.substr(said_at + 2);
  if (absl::StartsWith(first_said, "holds a key that names no field")) {
    if (first_path == "the file") return "(unknown key)";
    return NamesPolicyFields(first_path) ? absl::StrCat(first_path, ".(unknown key)") : "";
  }
  if (absl::StartsWith(first_said, "not a field")) {
    const absl::string_view path = first_path;
    const size_t dot = path.rfind('.');
    const absl::string_view parent = dot == absl::string_view::npos ? "" : path.substr(0, dot);
    const absl::string_view key = dot == absl::string_view::npos ? path : path.substr(dot + 1);
    const google::protobuf::Descriptor* type = registry::v1::AccessPolicy::descriptor();
    if (!parent.empty() && (!NamesPolicyFields(parent, &type) || type == nullptr)) return "";
    const std::string said = UnknownKeyAsSaid(key, *type);
    return parent.empty() ? said : absl::StrCat(parent, ".", said);
  }
  constexpr absl::string_view kUnknownKey = ": Cannot find field.";
  if (absl::EndsWith(message, kUnknownKey)) {
    absl::string_view rest = message.substr(0, message.size() - kUnknownKey.size());
    std::string parent;
    const google::protobuf::Descriptor* message = registry::v1::AccessPolicy::descriptor();
    if (absl::ConsumePrefix(&rest, "(")) {
      const size_t close = rest.find(") ");
      if (close == absl::string_view::npos) return "";
      parent = std::string(rest.substr(0, close));
      if (!NamesPolicyFields(parent, &message) || message == nullptr) return "";
      rest.remove_prefix(close + 2);
    }
    const std::string key = UnknownKeyAsSaid(rest, *message);
    return parent.empty() ? key : absl::StrCat(parent, ".", key);
  }
  if (absl::StartsWith(message, "(")) {
    const size_t close = message.find("): ");
    if (close == absl::string_view::npos) return "";
    const absl::string_view path = message.substr(1, close - 1);
    return NamesPolicyFields(path) ? std::string(path) : "";
  }
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos) return "";
  const absl::string_view path = message.substr(0, colon);
  return NamesPolicyFields(path) ? std::string(path) : "";
}

// The role whose segment is `segment`; ROLE_UNSPECIFIED for none.
registry::v1::Role RoleOfSegment(absl::string_view segment) {
  for (const registry::v1::Role role :
       {registry::v1::ROLE_CLERK, registry::v1::ROLE_COURT, registry::v1::ROLE_VETTING,
        registry::v1::ROLE_AUDITOR, registry::v1::ROLE_ADMIN}) {
    if (RoleSegmentOf(role) == segment) return role;
  }
  return registry::v1::ROLE_UNSPECIFIED;
}

// Whether every character of `text` (not empty) is a letter, a digit or one of `others`.
bool MadeOf(absl::string_view text, absl::string_view others, bool upper) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return absl::ascii_islower(u) || absl::ascii_isdigit(u) ||
           (upper && absl::ascii_isupper(u)) || others.find(c) != absl::string_view::npos;
  });
}

// What is wrong with principal `index`'s id, as the check of the whole policy says it ("" for
// nothing): an identity names its holder's role, so a policy that gave a clerk's certificate
// (spiffe://<domain>/clerk/<name>) the administrator's role, or a certificate of another trust
// domain any role, would hand a role to whoever holds a certificate that never claimed it.
// `domain` is the trust domain of principals[0], set by it: the registry's config names none, nor
// does its CA, so all principals must share the first one's.
std::string IdentityProblem(int index, const registry::v1::Principal& pr, std::string* domain) {
  const std::string field = absl::StrCat("principals[", index, "].id: \"", pr.id(), "\" ");
  const absl::string_view role_name = registry::v1::Role_Name(pr.role());
  const absl::string_view segment_wanted = RoleSegmentOf(pr.role());
  absl::string_view rest = pr.id();
  std::vector<absl::string_view> parts;
  if (absl::ConsumePrefix(&rest, "spiffe://")) parts = absl::StrSplit(rest, '/');
  if (parts.size() != 3 || !MadeOf(parts[0], ".-_", false) || parts[2] == "." ||
      parts[2] == ".." || !MadeOf(parts[2], ".-_", true)) {
    return absl::StrCat(field, "is not an identity of the registry's form spiffe://<trust "
                        "domain>/<role>/<name>, <role> one of clerk, court, vetting, auditor, "
                        "admin: give the URI SAN of a certificate issued for this ", role_name,
                        " (registry-pki.sh client PKI ", segment_wanted, " NAME)");
  }
  const absl::string_view segment = parts[1];
  const registry::v1::Role named = RoleOfSegment(segment);
  if (named == registry::v1::ROLE_UNSPECIFIED) {
    return absl::StrCat(field, "names no role of the registry (\"", segment, "\" is not one of "
                        "clerk, court, vetting, auditor, admin): give the URI SAN of a "
                        "certificate issued for this ", role_name, " (registry-pki.sh client PKI ",
                        segment_wanted, " NAME)");
  }
  if (named != pr.role()) {
    return absl::StrCat(field, "is an identity of role ", segment, ", but the principal is given ",
                        role_name, ": an identity's role segment names its holder's role; give "
                        "it ", registry::v1::Role_Name(named), ", or list the URI SAN of a "
                        "certificate issued for role ", segment_wanted, " (spiffe://", parts[0],
                        "/", segment_wanted, "/", parts[2], ": registry-pki.sh client PKI ",
                        segment_wanted, " NAME)");
  }
  if (domain->empty()) {
    *domain = std::string(parts[0]);
  } else if (parts[0] != *domain) {
    return absl::StrCat(field, "is in trust domain \"", parts[0], "\", but principals[0] is "
                        "in \"", *domain, "\": every principal is an identity of the one "
                        "trust domain the registry's CA issues (REGISTRY_PKI_DOMAIN); list the "
                        "URI SAN of a certificate issued in \"", *domain, "\", or remove it");
  }
  return "";
}

}  // namespace

absl::string_view RoleSegmentOf(registry::v1::Role role) {
  switch (role) {
    case registry::v1::ROLE_CLERK: return "clerk";
    case registry::v1::ROLE_COURT: return "court";
    case registry::v1::ROLE_VETTING: return "vetting";
    case registry::v1::ROLE_AUDITOR: return "auditor";
    case registry::v1::ROLE_ADMIN: return "admin";
    default: return "";
  }
}

absl::StatusOr<std::shared_ptr<const Policy>> Policy::Compile(registry::v1::AccessPolicy proto) {
  std::shared_ptr<Policy> p(new Policy());
  for (const auto& region : proto.regions()) {
    if (!ValidOrgId(region.id())) {
      return absl::InvalidArgumentError(
          absl::StrCat("regions: bad id \"", region.id(), "\" ([a-z0-9-]{1,64})"));
    }
    // Shown to employers as it is: a line of text, nothing a terminal would act on.
    if (!RecordValidator::ValidateText("refer_contact", region.refer_contact(), 1, 200).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "regions: ", region.id(), " needs a refer_contact of 1..200 characters of text"));
    }
    if (!p->regions_.emplace(region.id(), region).second) {
      return absl::InvalidArgumentError(absl::StrCat("regions: duplicate id ", region.id()));
    }
  }
  for (const auto& org : proto.organisations()) {
    if (!ValidOrgId(org.id())) {
      return absl::InvalidArgumentError(
          absl::StrCat("organisations: bad id \"", org.id(), "\" ([a-z0-9-]{1,64})"));
    }
    if (!org.region().empty() && p->regions_.count(org.region()) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "organisations: ", org.id(), " names unknown region \"", org.region(), "\""));
    }
    // As purpose codes are: an employer's client sends the category as typed, lower-cased and
    // without the spaces around it, so a category in capitals or with a space could never be
    // checked for.
    for (const std::string& category : org.position_categories()) {
      if (!CodeShaped(category)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "organisations: ", org.id(), " position_categories: \"",
            absl::CHexEscape(category.substr(0, 64)), "\" is not [a-z0-9_]{1,64}"));
      }
    }
    if (!p->organisations_.emplace(org.id(), org).second) {
      return absl::InvalidArgumentError(absl::StrCat("organisations: duplicate id ", org.id()));
    }
  }
  std::string trust_domain;
  for (int index = 0; index < proto.principals_size(); ++index) {
    const registry::v1::Principal& pr = proto.principals(index);
    if (pr.id().empty()) return absl::InvalidArgumentError("principals: empty id");
    if (!IdentityUriShaped(pr.id())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "principals: \"", absl::CHexEscape(pr.id().substr(0, 64)),
          "\" is not a URI: identities are certificate URI SANs (scheme:..., printable, 256 "
          "bytes at most)"));
    }
    if (pr.role() == registry::v1::ROLE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat("principals: ", pr.id(), " has no role"));
    }
    if (std::string wrong = IdentityProblem(index, pr, &trust_domain); !wrong.empty()) {
      return absl::InvalidArgumentError(wrong);
    }
    auto org = p->organisations_.find(pr.organisation());
    if (org == p->organisations_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("principals: ", pr.id(), " names unknown organisation \"",
                       pr.organisation(), "\""));
    }
    if (pr.role() == registry::v1::ROLE_VETTING) {
      const auto& rl = org->second.rate_limit();
      if (rl.per_minute() == 0 || rl.per_minute() > 100000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "organisations: ", org->first, " needs rate_limit.per_minute in 1..100000"));
      }
      if (rl.checks_per_person_per_day() > 100000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "organisations: ", org->first,
            " needs rate_limit.checks_per_person_per_day in 0..100000 (0: 5)"));
      }
      if (rl.checks_per_name_per_day() > 100000) {
        return absl::InvalidArgumentError(absl::StrCat(
            "organisations: ", org->first,
            " needs rate_limit.checks_per_name_per_day in 0..100000 (0: 20)"));
      }
      if (rl.refers_per_day_alert() > 100000) {
        return absl::InvalidArgumentError(
            absl::StrCat("organisations: ", org->first,
                         " needs rate_limit.refers_per_day_alert in 0..100000 (0: 20)"));
      }
      if (org->second.position_categories().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("organisations: ", org->first, " needs position_categories"));
      }
    }
    if (!p->principals_.emplace(pr.id(), pr).second) {
      return absl::InvalidArgumentError(absl::StrCat("principals: duplicate id ", pr.id()));
    }
  }
  for (const auto& code : proto.purpose_codes()) {
    if (code.empty() || code.size() > 64) {
      return absl::InvalidArgumentError("purpose_codes: codes are 1..64 bytes");
    }
    if (!CodeShaped(code)) {
      return absl::InvalidArgumentError(
          absl::StrCat("purpose_codes: \"", absl::CHexEscape(code), "\" is not [a-z0-9_]"));
    }
    p->purposes_.insert(code);
  }
  for (const auto& fp : proto.denied_certificate_sha256()) {
    std::string hex = absl::AsciiStrToLower(absl::StrReplaceAll(fp, {{":", ""}}));
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("denied_certificate_sha256: \"", fp, "\" is not a SHA-256 in hex"));
    }
    p->denied_.insert(std::move(hex));
  }
  p->proto_ = std::move(proto);
  return std::shared_ptr<const Policy>(std::move(p));
}

const registry::v1::Principal* Policy::FindPrincipal(absl::string_view id) const {
  auto it = principals_.find(id);
  return it == principals_.end() ? nullptr : &it->second;
}

const registry::v1::Organisation* Policy::FindOrganisation(absl::string_view id) const {
  auto it = organisations_.find(id);
  return it == organisations_.end() ? nullptr : &it->second;
}

std::string Policy::ReferContact(absl::string_view organisation) const {
  const auto* org = FindOrganisation(organisation);
  if (org == nullptr || org->region().empty()) return "";
  auto region = regions_.find(org->region());
  return region == regions_.end() ? "" : region->second.refer_contact();
}

bool Policy::PositionAllowed(absl::string_view organisation, absl::string_view category) const {
  const auto* org = FindOrganisation(organisation);
  if (org == nullptr) return false;
  for (const auto& c : org->position_categories()) {
    if (c == category) return true;
  }
  return false;
}

PolicyReading ReadPolicyFile(const std::string& path) {
  PolicyReading reading;
  // Whoever may write the policy decides who reads the records: a file (or a folder above it)
  // that every local account may change is refused as a whole, whatever it holds, and so
  // before it is read (what such an account wrote there is not loaded, however large).
  if (std::string open = OpenToOthers(path); !open.empty()) {
    reading.refused_because = "the file is writable by every local account";
    reading.policy = absl::FailedPreconditionError(open);
    return reading;
  }
  absl::StatusOr<std::string> json = ReadFile(path, kPolicyFileLimit);
  if (!json.ok()) {
    reading.policy = json.status();
    return reading;
  }
  reading.sha256 = absl::BytesToHexString(crypto::Sha256(*json));
  registry::v1::AccessPolicy proto;
  absl::Status problem = ParseJson(*json, &proto);
  if (!problem.ok()) {
    // In the words the config's problems are said in, every field's at once.
    problem = absl::InvalidArgumentError(
        absl::StrJoin(JsonFileProblems(*json, *proto.GetDescriptor(), problem), "; "));
  }
  if (problem.ok()) {
    reading.policy = Policy::Compile(std::move(proto));
    if (reading.policy.ok()) return reading;
    problem = reading.policy.status();
  }
  reading.refused_field = FieldNamedBy(problem.message());
  reading.policy = absl::InvalidArgumentError(absl::StrCat(path, ": ", problem.message()));
  return reading;
}

absl::StatusOr<std::shared_ptr<const Policy>> LoadPolicyFile(const std::string& path) {
  return ReadPolicyFile(path).policy;
}

absl::StatusOr<std::unique_ptr<PolicyStore>> PolicyStore::Load(const std::string& path) {
  std::unique_ptr<PolicyStore> store(new PolicyStore(path));
  RETURN_IF_ERROR(store->Reload());
  return store;
}

PolicyStore::~PolicyStore() { StopWatching(); }

void PolicyStore::StopWatching() { watcher_.Stop(); }

std::shared_ptr<const Policy> PolicyStore::Current() const { return policy_.Current(); }

PolicyStore::InForce PolicyStore::CurrentWithFingerprint() const {
  absl::MutexLock lock(&reload_mu_);
  return InForce{policy_.Current(), sha256_in_force_};
}

absl::Status PolicyStore::Reload() {
  absl::MutexLock lock(&reload_mu_);
  unrecorded_ = false;
  absl::Status reloaded = policy_.Reload();
  // A good file whose reading could not be recorded is not in force: the watcher reads it again
  // at its next poll (and records it then), rather than leave the old policy in force until
  // someone edits the file again, the file saying what the registry does not do.
  if (unrecorded_) policy_.ReadAgain();
  return reloaded;
}

absl::StatusOr<std::shared_ptr<const Policy>> PolicyStore::ReadAndRecord() {
  PolicyReading reading = ReadPolicyFile(path_);
  if (recorder_) {
    absl::Status recorded = recorder_(reading);
    if (!recorded.ok() && reading.policy.ok()) {
      unrecorded_ = true;
      return recorded;
    }
  }
  // A policy read is put in force (Reloadable::Reload), within the same hold of reload_mu_.
  if (reading.policy.ok()) sha256_in_force_ = reading.sha256;
  return std::move(reading.policy);
}

std::string PolicyStore::Stamp(const std::string& path) {
  struct stat st {};
  const int mode = ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
  return absl::StrCat(FileStamp(path), "/", mode);
}

void PolicyStore::StartWatching(absl::Duration interval,
                                std::function<void(const absl::Status&)> on_result) {
  watcher_.Start(interval, [this, on_result = std::move(on_result)] {
    if (!policy_.Changed()) return;
    absl::Status s = Reload();
    if (on_result) on_result(s);
  });
}

}  // namespace registry::server
