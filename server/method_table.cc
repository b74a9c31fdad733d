#include "server/method_table.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::server {
namespace {

namespace pb = google::protobuf;
namespace v1 = registry::v1;

// Whether a field marked `kind` has the type the gate reads it as.
bool TypeFits(const pb::FieldDescriptor* f, v1::AuditField kind) {
  if (f->is_repeated()) return false;
  switch (kind) {
    case v1::AUDIT_FIELD_PURPOSE:
      return f->message_type() != nullptr &&
             f->message_type()->full_name() == v1::Purpose::descriptor()->full_name();
    case v1::AUDIT_FIELD_DRY_RUN:
      return f->type() == pb::FieldDescriptor::TYPE_BOOL;
    default:
      return f->type() == pb::FieldDescriptor::TYPE_STRING;
  }
}

// As gRPC names a method on the wire: "/registry.v1.RecordService/GetRecord".
std::string FullName(const pb::MethodDescriptor* method) {
  return absl::StrCat("/", method->service()->full_name(), "/", method->name());
}

struct Tables {
  std::vector<MethodRule> rules;
  std::map<std::string, const MethodRule*, std::less<>> by_name;
  std::map<const pb::Descriptor*, const MethodRule*> by_request;
};

const Tables& Get() {
  static const Tables* tables = [] {
    auto* t = new Tables;
    for (const pb::ServiceDescriptor* service : ApiServices()) {
      for (int i = 0; i < service->method_count(); ++i) {
        MethodRule rule;
        // A method whose options do not make a rule has none: denied to everyone.
        if (RuleFromOptions(service->method(i), &rule).ok()) t->rules.push_back(std::move(rule));
      }
    }
    std::map<const pb::Descriptor*, int> uses;
    for (const MethodRule& r : t->rules) ++uses[r.descriptor->input_type()];
    for (const MethodRule& r : t->rules) {
      t->by_name.emplace(r.method, &r);
      if (uses[r.descriptor->input_type()] == 1) t->by_request.emplace(r.descriptor->input_type(), &r);
    }
    return t;
  }();
  return *tables;
}

}  // namespace

const pb::FieldDescriptor* MethodRule::FieldOf(v1::AuditField kind) const {
  for (const Field& f : fields) {
    if (f.kind == kind) return f.field;
  }
  return nullptr;
}

std::vector<const pb::ServiceDescriptor*> ApiServices() {
  const google::protobuf::FileDescriptor* files[] = {
      v1::GetRecordRequest::descriptor()->file(), v1::VettingCheckRequest::descriptor()->file(),
      v1::ListAuditEventsRequest::descriptor()->file(), v1::RotateKeysRequest::descriptor()->file(),
      v1::WhoAmIRequest::descriptor()->file()};
  std::vector<const pb::ServiceDescriptor*> out;
  for (const auto* file : files) {
    for (int i = 0; i < file->service_count(); ++i) out.push_back(file->service(i));
  }
  return out;
}

absl::Status RuleFromOptions(const pb::MethodDescriptor* method, MethodRule* rule) {
  *rule = MethodRule();
  rule->method = FullName(method);
  rule->descriptor = method;
  const auto fail = [&](absl::string_view why) {
    return absl::FailedPreconditionError(absl::StrCat(rule->method, ": ", why));
  };
  if (!method->options().HasExtension(v1::access)) return fail("no (registry.v1.access) option");
  const v1::AccessRule& access = method->options().GetExtension(v1::access);
  for (int role : access.roles()) {
    if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) return fail("unknown role");
    rule->roles.insert(static_cast<v1::Role>(role));
  }
  if (rule->roles.empty()) return fail("no role may call it");
  rule->court_needs_purpose = access.court_states_purpose();
  rule->needs_consent = access.needs_consent();
  rule->discloses = access.discloses();
  rule->names_subject = access.names_subject();

  const pb::Descriptor* request = method->input_type();
  for (int i = 0; i < request->field_count(); ++i) {
    const pb::FieldDescriptor* f = request->field(i);
    const v1::AuditField kind = f->options().GetExtension(v1::audit);
    if (kind == v1::AUDIT_FIELD_UNSPECIFIED) continue;
    if (!TypeFits(f, kind)) {
      return fail(absl::StrCat(f->name(), " is marked ", v1::AuditField_Name(kind),
                               " but has another type"));
    }
    rule->fields.push_back({f, kind});
  }
  std::stable_sort(rule->fields.begin(), rule->fields.end(),
                   [](const MethodRule::Field& a, const MethodRule::Field& b) {
                     return a.kind < b.kind;
                   });
  const auto need = [&](bool demanded, v1::AuditField kind) -> absl::Status {
    const bool marked = rule->FieldOf(kind) != nullptr;
    if (demanded && !marked) {
      return fail(absl::StrCat("the rule needs a field marked ", v1::AuditField_Name(kind)));
    }
    return absl::OkStatus();
  };
  if (absl::Status s = need(rule->court_needs_purpose, v1::AUDIT_FIELD_PURPOSE); !s.ok()) return s;
  if (absl::Status s = need(rule->needs_consent, v1::AUDIT_FIELD_CONSENT_REFERENCE); !s.ok()) {
    return s;
  }
  if (absl::Status s = need(rule->needs_consent, v1::AUDIT_FIELD_POSITION); !s.ok()) return s;
  if (absl::Status s = need(rule->names_subject, v1::AUDIT_FIELD_SUBJECT); !s.ok()) return s;
  if (!rule->names_subject && rule->FieldOf(v1::AUDIT_FIELD_SUBJECT) != nullptr) {
    return fail("a field is marked AUDIT_FIELD_SUBJECT but the rule names no subject");
  }
  if (!rule->names_subject && (rule->FieldOf(v1::AUDIT_FIELD_SUBJECT_SURNAME) != nullptr ||
                               rule->FieldOf(v1::AUDIT_FIELD_SUBJECT_GIVEN_NAME) != nullptr ||
                               rule->FieldOf(v1::AUDIT_FIELD_SUBJECT_BIRTH_DATE) != nullptr)) {
    return fail("a field is marked as the subject's name but the rule names no subject");
  }
  return absl::OkStatus();
}

const std::string& ActionOf(const pb::Descriptor* request) {
  static const auto* actions = [] {
    auto* m = new std::map<const pb::Descriptor*, std::string>;
    for (const pb::ServiceDescriptor* service : ApiServices()) {
      for (int i = 0; i < service->method_count(); ++i) {
        const pb::MethodDescriptor* method = service->method(i);
        (*m)[method->input_type()] = FullName(method);
      }
    }
    return m;
  }();
  static const std::string* const kNone = new std::string;
  auto it = actions->find(request);
  return it == actions->end() ? *kNone : it->second;
}

const std::vector<MethodRule>& AllMethodRules() { return Get().rules; }

const MethodRule* FindMethodRule(absl::string_view method) {
  const auto& by_name = Get().by_name;
  auto it = by_name.find(method);
  return it == by_name.end() ? nullptr : it->second;
}

const MethodRule* FindMethodRuleByRequest(const pb::Descriptor* request) {
  const auto& by_request = Get().by_request;
  auto it = by_request.find(request);
  return it == by_request.end() ? nullptr : it->second;
}

}  // namespace registry::server
