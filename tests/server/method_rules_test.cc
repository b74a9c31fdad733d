// The method rules come from the proto: every RPC of every service under proto/registry/v1
// declares its access option, the rule the gate uses is the one the option says, and a method
// whose option is missing or incomplete gets no rule at all (so the gate denies it).
//
// The services are found by listing the .proto files of the source tree
// (tests/testing/api_protos.h), independently of the list server/method_table.cc keeps, so a new
// file or RPC cannot be missed.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "registry/v1/access.pb.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"
#include "server/method_table.h"
#include "tests/testing/api_protos.h"

namespace registry {
namespace {

namespace pb = google::protobuf;

namespace v1 = registry::v1;

std::vector<const pb::FileDescriptor*> ApiFiles() {
  const testing::ApiProtos api = testing::ListApiProtos();
  for (const std::string& problem : api.missing) ADD_FAILURE() << problem;
  return api.files;
}

std::vector<const pb::MethodDescriptor*> ApiMethods() { return testing::ListApiProtos().Methods(); }

TEST(MethodRulesTest, EveryRpcDeclaresItsAccess) {
  const std::vector<const pb::MethodDescriptor*> methods = ApiMethods();
  ASSERT_GE(methods.size(), 26u);
  for (const pb::MethodDescriptor* m : methods) {
    EXPECT_TRUE(m->options().HasExtension(v1::access))
        << m->full_name() << " has no (registry.v1.access) option (proto/registry/v1/access.proto)";
    server::MethodRule rule;
    EXPECT_TRUE(server::RuleFromOptions(m, &rule).ok())
        << server::RuleFromOptions(m, &rule).message();
    const server::MethodRule* table = server::FindMethodRule(rule.method);
    ASSERT_NE(table, nullptr) << rule.method << " has no rule";
    EXPECT_EQ(table->descriptor, m);
    EXPECT_EQ(server::FindMethodRuleByRequest(m->input_type()), table) << rule.method;
    EXPECT_EQ(server::ActionOf(m->input_type()), rule.method);
  }
}

TEST(MethodRulesTest, ServerKnowsEveryApiService) {
  std::set<std::string> walked;
  for (const pb::FileDescriptor* file : ApiFiles()) {
    for (int s = 0; s < file->service_count(); ++s) walked.insert(file->service(s)->full_name());
  }
  std::set<std::string> known;
  for (const pb::ServiceDescriptor* s : server::ApiServices()) known.insert(s->full_name());
  EXPECT_EQ(known, walked);
}

// The gate finds a call's rule by its request type, so no two RPCs may share one.
TEST(MethodRulesTest, EveryRpcHasARequestTypeOfItsOwn) {
  std::map<const pb::Descriptor*, std::string> owner;
  for (const pb::MethodDescriptor* m : ApiMethods()) {
    auto [it, fresh] = owner.emplace(m->input_type(), m->full_name());
    EXPECT_TRUE(fresh) << m->full_name() << " and " << it->second << " both take "
                       << m->input_type()->full_name();
  }
}

// A mark on a field the gate never reads (not a top-level field of some RPC's request) would
// look like an audit rule and be none.
TEST(MethodRulesTest, OnlyRequestFieldsAreMarked) {
  std::set<const pb::Descriptor*> requests;
  for (const pb::MethodDescriptor* m : ApiMethods()) requests.insert(m->input_type());
  std::vector<const pb::Descriptor*> pending;
  for (const pb::FileDescriptor* file : ApiFiles()) {
    for (int i = 0; i < file->message_type_count(); ++i) pending.push_back(file->message_type(i));
  }
  int marked = 0;
  while (!pending.empty()) {
    const pb::Descriptor* d = pending.back();
    pending.pop_back();
    for (int i = 0; i < d->nested_type_count(); ++i) pending.push_back(d->nested_type(i));
    for (int i = 0; i < d->field_count(); ++i) {
      if (d->field(i)->options().GetExtension(v1::audit) == v1::AUDIT_FIELD_UNSPECIFIED) continue;
      ++marked;
      EXPECT_TRUE(requests.count(d)) << d->field(i)->full_name()
                                     << " is marked but is not a field of an RPC's request";
    }
  }
  EXPECT_GE(marked, 17);
}

// The fields whose names say they are references are marked, so that a new request with one
// does not silently leave it out of its audit event.
TEST(MethodRulesTest, ReferenceFieldsOfRequestsAreMarked) {
  const std::map<std::string, v1::AuditField> expected = {
      {"record_id", v1::AUDIT_FIELD_RECORD_ID},
      {"purpose", v1::AUDIT_FIELD_PURPOSE},
      {"consent_reference", v1::AUDIT_FIELD_CONSENT_REFERENCE},
      {"request_reference", v1::AUDIT_FIELD_REFERENCE},
      {"reference", v1::AUDIT_FIELD_REFERENCE},
      {"legal_basis", v1::AUDIT_FIELD_REFERENCE},
      {"recipient", v1::AUDIT_FIELD_RECIPIENT},
      {"dry_run", v1::AUDIT_FIELD_DRY_RUN},
  };
  for (const pb::MethodDescriptor* m : ApiMethods()) {
    const pb::Descriptor* request = m->input_type();
    for (int i = 0; i < request->field_count(); ++i) {
      const pb::FieldDescriptor* f = request->field(i);
      auto it = expected.find(f->name());
      if (it == expected.end()) continue;
      EXPECT_EQ(f->options().GetExtension(v1::audit), it->second) << f->full_name();
    }
  }
}

TEST(MethodRulesTest, VettingCheckRuleReadsTheMarkedFields) {
  const server::MethodRule* rule =
      server::FindMethodRuleByRequest(v1::VettingCheckRequest::descriptor());
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->method, "/registry.v1.VettingService/VettingCheck");
  EXPECT_TRUE(rule->needs_consent);
  EXPECT_TRUE(rule->names_subject);
  EXPECT_EQ(rule->roles, std::set<v1::Role>{v1::ROLE_VETTING});
  ASSERT_NE(rule->FieldOf(v1::AUDIT_FIELD_SUBJECT), nullptr);
  EXPECT_EQ(rule->FieldOf(v1::AUDIT_FIELD_SUBJECT)->name(), "personal_number");
  ASSERT_NE(rule->FieldOf(v1::AUDIT_FIELD_POSITION), nullptr);
  EXPECT_EQ(rule->FieldOf(v1::AUDIT_FIELD_POSITION)->name(), "position_category");
  ASSERT_NE(rule->FieldOf(v1::AUDIT_FIELD_CONSENT_REFERENCE), nullptr);
  EXPECT_EQ(rule->FieldOf(v1::AUDIT_FIELD_CONSENT_REFERENCE)->name(), "consent_reference");
  // The clerk's look-up of a person's checks names no subject: the person asked.
  const server::MethodRule* history =
      server::FindMethodRuleByRequest(v1::ListChecksAboutPersonRequest::descriptor());
  ASSERT_NE(history, nullptr);
  EXPECT_FALSE(history->names_subject);
  EXPECT_EQ(history->FieldOf(v1::AUDIT_FIELD_SUBJECT), nullptr);
}

TEST(MethodRulesTest, UnknownMethodOrRequestHasNoRule) {
  EXPECT_EQ(server::FindMethodRule("/registry.v1.RecordService/DeleteEverything"), nullptr);
  EXPECT_EQ(server::FindMethodRule("registry.v1.RecordService/GetRecord"), nullptr);
  EXPECT_EQ(server::FindMethodRule(""), nullptr);
  // A message no RPC takes.
  EXPECT_EQ(server::FindMethodRuleByRequest(v1::AuditEvent::descriptor()), nullptr);
  EXPECT_EQ(server::ActionOf(v1::AuditEvent::descriptor()), "");
}

// ---- Rules from options that are missing or incomplete: no rule ----

class RuleFromOptionsTest : public ::testing::Test {
 protected:
  // A file with one service, "test.p<N>.Probe", whose method "Call" takes `input` and has `rule` as
  // its access option (none when null), built on top of the generated descriptors.
  const pb::MethodDescriptor* Method(const std::string& input, const v1::AccessRule* rule) {
    google::protobuf::FileDescriptorProto file;
    file.set_name("probe_" + std::to_string(++counter_) + ".proto");
    file.set_package("test.p" + std::to_string(counter_));
    file.set_syntax("proto3");
    file.add_dependency(v1::VettingCheckRequest::descriptor()->file()->name());
    file.add_dependency(v1::WhoAmIRequest::descriptor()->file()->name());
    file.add_dependency(v1::GetRecordRequest::descriptor()->file()->name());
    auto* service = file.add_service();
    service->set_name("Probe");
    auto* method = service->add_method();
    method->set_name("Call");
    method->set_input_type("." + input);
    method->set_output_type(".registry.v1.WhoAmIResponse");
    if (rule != nullptr) *method->mutable_options()->MutableExtension(v1::access) = *rule;
    for (int i = 0; i < file.dependency_size(); ++i) {
      Copy(pb::DescriptorPool::generated_pool()->FindFileByName(file.dependency(i)));
    }
    const pb::FileDescriptor* built = pool_.BuildFile(file);
    if (built == nullptr) {
      ADD_FAILURE() << "cannot build " << file.name();
      return nullptr;
    }
    return built->service(0)->method(0);
  }

  // Puts a generated file (and what it imports) into pool_, once.
  void Copy(const pb::FileDescriptor* generated) {
    if (generated == nullptr || pool_.FindFileByName(generated->name()) != nullptr) return;
    for (int i = 0; i < generated->dependency_count(); ++i) Copy(generated->dependency(i));
    google::protobuf::FileDescriptorProto proto;
    generated->CopyTo(&proto);
    if (pool_.BuildFile(proto) == nullptr) ADD_FAILURE() << "cannot copy " << generated->name();
  }

  absl::Status RuleOf(const std::string& input, const v1::AccessRule* rule) {
    const pb::MethodDescriptor* m = Method(input, rule);
    if (m == nullptr) return absl::InternalError("no method");
    server::MethodRule out;
    return server::RuleFromOptions(m, &out);
  }

  pb::DescriptorPool pool_;
  int counter_ = 0;
};

TEST_F(RuleFromOptionsTest, CompleteOptionsMakeARule) {
  v1::AccessRule rule;
  rule.add_roles(v1::ROLE_CLERK);
  const pb::MethodDescriptor* m = Method("registry.v1.WhoAmIRequest", &rule);
  ASSERT_NE(m, nullptr);
  server::MethodRule out;
  ASSERT_TRUE(server::RuleFromOptions(m, &out).ok()) << server::RuleFromOptions(m, &out);
  EXPECT_EQ(out.method, "/test.p1.Probe/Call");
  EXPECT_EQ(out.roles, std::set<v1::Role>{v1::ROLE_CLERK});
}

TEST_F(RuleFromOptionsTest, MethodWithoutOptionsHasNoRule) {
  const absl::Status s = RuleOf("registry.v1.WhoAmIRequest", nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "no (registry.v1.access) option")) << s;
}

TEST_F(RuleFromOptionsTest, NoRoleIsNoRule) {
  v1::AccessRule rule;
  rule.set_discloses(true);
  EXPECT_EQ(RuleOf("registry.v1.WhoAmIRequest", &rule).code(),
            absl::StatusCode::kFailedPrecondition);
  rule.add_roles(v1::ROLE_UNSPECIFIED);
  EXPECT_EQ(RuleOf("registry.v1.WhoAmIRequest", &rule).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RuleFromOptionsTest, DemandsNeedMarkedFields) {
  v1::AccessRule consent;
  consent.add_roles(v1::ROLE_VETTING);
  consent.set_needs_consent(true);
  EXPECT_EQ(RuleOf("registry.v1.WhoAmIRequest", &consent).code(),
            absl::StatusCode::kFailedPrecondition);
  consent.set_names_subject(true);
  EXPECT_TRUE(RuleOf("registry.v1.VettingCheckRequest", &consent).ok())
      << RuleOf("registry.v1.VettingCheckRequest", &consent);

  v1::AccessRule purpose;
  purpose.add_roles(v1::ROLE_COURT);
  purpose.set_court_states_purpose(true);
  EXPECT_EQ(RuleOf("registry.v1.VettingCheckRequest", &purpose).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(RuleOf("registry.v1.GetRecordRequest", &purpose).ok())
      << RuleOf("registry.v1.GetRecordRequest", &purpose);

  v1::AccessRule subject;
  subject.add_roles(v1::ROLE_VETTING);
  subject.set_names_subject(true);
  EXPECT_EQ(RuleOf("registry.v1.WhoAmIRequest", &subject).code(),
            absl::StatusCode::kFailedPrecondition);
  // The request marks a subject, so a rule that names none is inconsistent too.
  v1::AccessRule unnamed;
  unnamed.add_roles(v1::ROLE_VETTING);
  EXPECT_EQ(RuleOf("registry.v1.VettingCheckRequest", &unnamed).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace registry
