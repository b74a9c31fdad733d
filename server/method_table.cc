#include "server/method_table.h"

namespace registry::server {
namespace {

using registry::v1::Role;
constexpr Role kClerk = registry::v1::ROLE_CLERK;
constexpr Role kCourt = registry::v1::ROLE_COURT;
constexpr Role kVetting = registry::v1::ROLE_VETTING;
constexpr Role kAuditor = registry::v1::ROLE_AUDITOR;
constexpr Role kAdmin = registry::v1::ROLE_ADMIN;

std::vector<MethodRule> Build() {
  const std::string rec = "/registry.v1.RecordService/";
  const std::string vet = "/registry.v1.VettingService/";
  const std::string aud = "/registry.v1.AuditService/";
  const std::string adm = "/registry.v1.AdminService/";
  const std::string info = "/registry.v1.InfoService/";
  return {
      {rec + "CreateRecord", {kClerk}},
      {rec + "GetRecord", {kClerk, kCourt}, /*court_needs_purpose=*/true, false, true},
      {rec + "SearchRecords", {kClerk, kCourt}, true, false, true},
      {rec + "AmendRecord", {kClerk}},
      {rec + "GetRecordHistory", {kClerk, kCourt}, true, false, true},
      {rec + "DisputeRecord", {kClerk}},
      {rec + "ResolveDispute", {kClerk}},
      {rec + "ExpungeRecord", {kClerk}},
      {rec + "ImportRecords", {kClerk}},
      {vet + "VettingCheck",
       {kVetting},
       false,
       /*needs_consent=*/true,
       true,
       /*names_subject=*/true},
      {vet + "GetVettingPublicKey", {kClerk, kCourt, kVetting, kAuditor, kAdmin}},
      {vet + "ListChecksAboutPerson", {kClerk}},
      {aud + "ListAuditEvents", {kAuditor}},
      {aud + "StreamAuditEvents", {kAuditor}},
      {aud + "ExportAuditEvents", {kAuditor}, false, false, true},
      {aud + "GetSignedTreeHead", {kAuditor}},
      {aud + "GetInclusionProof", {kAuditor}},
      {aud + "GetConsistencyProof", {kAuditor}},
      {aud + "GetAuditPublicKey", {kAuditor}},
      {aud + "GetPrunedPrefix", {kAuditor}},
      {adm + "RotateKeys", {kAdmin}},
      {adm + "CreateBackup", {kAdmin}},
      {adm + "ListBackups", {kAdmin}},
      {adm + "VerifyData", {kAdmin}},
      {adm + "VerifyBackup", {kAdmin}},
      // What the caller may state and choose from; nothing about a registered person.
      {info + "WhoAmI", {kClerk, kCourt, kVetting, kAuditor, kAdmin}},
      {info + "GetReferenceData", {kClerk}},
  };
}

}  // namespace

const std::vector<MethodRule>& AllMethodRules() {
  static const std::vector<MethodRule>* rules = new std::vector<MethodRule>(Build());
  return *rules;
}

const MethodRule* FindMethodRule(absl::string_view method) {
  for (const MethodRule& r : AllMethodRules()) {
    if (r.method == method) return &r;
  }
  return nullptr;
}

}  // namespace registry::server
