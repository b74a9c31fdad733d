// Minimal disclosure, by schema: the messages a vetting caller receives (and the data-subject
// listing) have no field that could carry an offence, a court, a sentence or a conviction date,
// and no field typed by a message or enum of records.proto. The descriptors are walked
// recursively, so a field added to any nested message is caught too.
//
// The checker itself is tested against mutants of vetting.proto built at run time (a forbidden
// field name, a field typed registry.v1.Conviction, a forbidden name two levels down), so the
// schema tests cannot pass merely because the checker finds nothing.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::server {
namespace {

namespace pb = google::protobuf;

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Words that name record contents; no vetting field or message may contain one.
constexpr const char* kForbiddenWords[] = {"offence", "offense",    "court",    "sentence",
                                           "conviction", "judgment", "judgement", "final",
                                           "article", "law",        "ban",      "release"};

// The forbidden word contained in `name` (case-insensitive), or "".
std::string ForbiddenWordIn(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const char* word : kForbiddenWords) {
    if (absl::StrContains(lower, word)) return word;
  }
  return "";
}

// Every violation reachable from `root`: forbidden words in message, field, oneof and enum value
// names, and fields whose message or enum type is declared in records.proto (or anywhere but
// the vetting file itself).
class SchemaChecker {
 public:
  explicit SchemaChecker(const pb::FileDescriptor* vetting_file) : vetting_file_(vetting_file) {}

  std::vector<std::string> Check(const pb::Descriptor* root) {
    Walk(root);
    return violations_;
  }

 private:
  void Walk(const pb::Descriptor* message) {
    if (!visited_.insert(message->full_name()).second) return;
    CheckName(message->full_name(), message->name());
    for (int i = 0; i < message->oneof_decl_count(); ++i) {
      CheckName(message->oneof_decl(i)->full_name(), message->oneof_decl(i)->name());
    }
    for (int i = 0; i < message->field_count(); ++i) {
      const pb::FieldDescriptor* field = message->field(i);
      CheckName(field->full_name(), field->name());
      CheckName(field->full_name() + " (json)", field->json_name());
      if (const pb::Descriptor* type = field->message_type()) {
        CheckFile(field, type->file());
        Walk(type);
      }
      if (const pb::EnumDescriptor* type = field->enum_type()) {
        CheckFile(field, type->file());
        for (int v = 0; v < type->value_count(); ++v) {
          CheckName(type->value(v)->full_name(), type->value(v)->name());
        }
      }
    }
    // Nested declarations travel with the message even when no field uses them yet.
    for (int i = 0; i < message->nested_type_count(); ++i) Walk(message->nested_type(i));
  }

  void CheckName(const std::string& where, const std::string& name) {
    const std::string word = ForbiddenWordIn(name);
    if (!word.empty()) violations_.push_back(absl::StrCat(where, ": name contains \"", word, "\""));
  }

  void CheckFile(const pb::FieldDescriptor* field, const pb::FileDescriptor* file) {
    if (file->name() == registry::v1::Record::descriptor()->file()->name()) {
      violations_.push_back(absl::StrCat(field->full_name(), ": type from records.proto"));
    } else if (file != vetting_file_) {
      violations_.push_back(absl::StrCat(field->full_name(), ": type from ", file->name(),
                                         ", not from the vetting schema"));
    }
  }

  const pb::FileDescriptor* vetting_file_;
  std::set<std::string> visited_;
  std::vector<std::string> violations_;
};

// The messages a vetting client or a data subject receives.
const char* const kDisclosedMessages[] = {
    "registry.v1.VettingCheckResponse", "registry.v1.SignedVettingCertificate",
    "registry.v1.VettingCertificate", "registry.v1.CheckSummary",
    "registry.v1.ListChecksAboutPersonResponse"};

std::vector<std::string> ViolationsIn(const pb::DescriptorPool& pool, const std::string& file,
                                      const std::string& package) {
  const pb::FileDescriptor* vetting_file = pool.FindFileByName(file);
  std::vector<std::string> all;
  if (vetting_file == nullptr) return {"vetting file not found"};
  for (const char* full_name : kDisclosedMessages) {
    const std::string name =
        absl::StrCat(package, std::string(full_name).substr(std::string("registry.v1").size()));
    const pb::Descriptor* d = pool.FindMessageTypeByName(name);
    if (d == nullptr) {
      all.push_back(absl::StrCat(name, ": not found"));
      continue;
    }
    for (std::string& v : SchemaChecker(vetting_file).Check(d)) all.push_back(std::move(v));
  }
  return all;
}

TEST(VettingSchemaTest, DisclosedMessagesHaveNoRecordContentFields) {
  const pb::FileDescriptor* file = registry::v1::VettingCheckResponse::descriptor()->file();
  EXPECT_THAT(ViolationsIn(*pb::DescriptorPool::generated_pool(), file->name(), "registry.v1"),
              IsEmpty());
}

TEST(VettingSchemaTest, WalkReachesEveryNestedMessage) {
  // The response reaches the certificate through SignedVettingCertificate: a checker that did not
  // recurse would never look at the candidate fields.
  const pb::Descriptor* response = registry::v1::VettingCheckResponse::descriptor();
  std::set<std::string> reached;
  std::vector<const pb::Descriptor*> todo = {response};
  while (!todo.empty()) {
    const pb::Descriptor* d = todo.back();
    todo.pop_back();
    if (!reached.insert(d->full_name()).second) continue;
    for (int i = 0; i < d->field_count(); ++i) {
      if (d->field(i)->message_type() != nullptr) todo.push_back(d->field(i)->message_type());
    }
  }
  EXPECT_THAT(reached, Contains("registry.v1.VettingCertificate"));
  EXPECT_THAT(reached, Contains("registry.v1.SignedVettingCertificate"));
}

// --- The checker against mutants of vetting.proto -------------------------------------------

// vetting.proto copied into package `mutant.v1` (file "mutant/vetting.proto") in a pool that sees
// the real generated files underneath, so a mutant field may use registry.v1.Conviction.
class MutantSchema {
 public:
  MutantSchema() : pool_(pb::DescriptorPool::generated_pool()) {
    registry::v1::VettingCheckResponse::descriptor()->file()->CopyTo(&proto_);
    proto_.set_name("mutant/vetting.proto");
    proto_.set_package("mutant.v1");
    proto_.clear_service();  // only the messages matter here
    // Type references in the copy are fully qualified: point those to vetting.proto's own types
    // at the mutant package (references to other files stay as they are).
    const pb::FileDescriptor* vetting = registry::v1::VettingCheckResponse::descriptor()->file();
    for (auto& message : *proto_.mutable_message_type()) {
      for (auto& field : *message.mutable_field()) {
        if (!absl::StartsWith(field.type_name(), ".registry.v1.")) continue;
        const std::string name = field.type_name().substr(1);
        const google::protobuf::Descriptor* m = vetting->pool()->FindMessageTypeByName(name);
        const pb::EnumDescriptor* e = vetting->pool()->FindEnumTypeByName(name);
        if ((m != nullptr && m->file() == vetting) || (e != nullptr && e->file() == vetting)) {
          field.set_type_name(absl::StrCat(".mutant.v1.", name.substr(sizeof("registry.v1.") - 1)));
        }
      }
    }
  }

  google::protobuf::DescriptorProto* Message(const std::string& name) {
    for (auto& message : *proto_.mutable_message_type()) {
      if (message.name() == name) return &message;
    }
    ADD_FAILURE() << "no message " << name;
    return nullptr;
  }

  pb::FieldDescriptorProto* AddField(const std::string& message, const std::string& name,
                                 pb::FieldDescriptorProto::Type type) {
    google::protobuf::DescriptorProto* m = Message(message);
    pb::FieldDescriptorProto* f = m->add_field();
    f->set_name(name);
    f->set_number(900 + m->field_size());
    f->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
    f->set_type(type);
    return f;
  }

  void AddDependency(const std::string& file) { proto_.add_dependency(file); }

  std::vector<std::string> Violations() {
    if (pool_.BuildFile(proto_) == nullptr) return {"mutant failed to build"};
    return ViolationsIn(pool_, "mutant/vetting.proto", "mutant.v1");
  }

 private:
  pb::FileDescriptorProto proto_;
  pb::DescriptorPool pool_;
};

TEST(VettingSchemaTest, UnchangedCopyPassesTheChecker) {
  MutantSchema copy;
  EXPECT_THAT(copy.Violations(), IsEmpty());
}

TEST(VettingSchemaTest, CheckerCatchesAForbiddenFieldNameInTheCertificate) {
  for (const char* name : {"offence_code", "court_id", "sentence_months", "conviction_date",
                           "judgment_date", "final_date", "article", "law_number", "ban_end",
                           "release_date", "OffenseText"}) {
    SCOPED_TRACE(name);
    MutantSchema mutant;
    mutant.AddField("VettingCertificate", name, pb::FieldDescriptorProto::TYPE_STRING);
    EXPECT_THAT(mutant.Violations(),
                Contains(HasSubstr(absl::StrCat("mutant.v1.VettingCertificate.", name, ":"))));
  }
}

TEST(VettingSchemaTest, CheckerCatchesAFieldTypedFromRecordsProto) {
  MutantSchema mutant;
  mutant.AddDependency(registry::v1::Record::descriptor()->file()->name());
  mutant.AddField("CheckSummary", "details", pb::FieldDescriptorProto::TYPE_MESSAGE)
      ->set_type_name(".registry.v1.Person");
  const std::vector<std::string> violations = mutant.Violations();
  EXPECT_THAT(violations, Contains(HasSubstr("mutant.v1.CheckSummary.details: type from "
                                             "records.proto")));
}

TEST(VettingSchemaTest, CheckerCatchesAnEnumTypedFromRecordsProto) {
  MutantSchema mutant;
  mutant.AddDependency(registry::v1::Record::descriptor()->file()->name());
  mutant.AddField("VettingCheckResponse", "status", pb::FieldDescriptorProto::TYPE_ENUM)
      ->set_type_name(".registry.v1.RecordStatus");
  EXPECT_THAT(mutant.Violations(),
              Contains(HasSubstr("mutant.v1.VettingCheckResponse.status: type from "
                                 "records.proto")));
}

TEST(VettingSchemaTest, CheckerCatchesAForbiddenNameInANestedMessage) {
  MutantSchema mutant;
  google::protobuf::DescriptorProto* summary = mutant.Message("CheckSummary");
  google::protobuf::DescriptorProto* nested = summary->add_nested_type();
  nested->set_name("Extra");
  pb::FieldDescriptorProto* inner = nested->add_field();
  inner->set_name("court");
  inner->set_number(1);
  inner->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
  inner->set_type(pb::FieldDescriptorProto::TYPE_STRING);
  mutant.AddField("CheckSummary", "extra", pb::FieldDescriptorProto::TYPE_MESSAGE)
      ->set_type_name(".mutant.v1.CheckSummary.Extra");
  EXPECT_THAT(mutant.Violations(), Contains(HasSubstr("mutant.v1.CheckSummary.Extra.court")));
}

}  // namespace
}  // namespace registry::server
