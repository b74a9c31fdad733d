#include "client/amend_patch.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/json_io.h"
#include "client/option_parser.h"
#include "common/suggest.h"
#include "common/json_keys.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace registry::client {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

bool KeyNamesField(const std::string& key, const FieldDescriptor& field) {
  return key == field.name() || key == field.json_name();
}

const FieldDescriptor* FindField(const Descriptor& message, const std::string& key) {
  for (int i = 0; i < message.field_count(); ++i) {
    if (KeyNamesField(key, *message.field(i))) return message.field(i);
  }
  return nullptr;
}

// Keys of `object` that name no field of `message`, as "prefix.key".
void CollectUnknownKeys(const google::protobuf::Struct& object, const Descriptor& message,
                        absl::string_view prefix, std::vector<std::string>* unknown) {
  std::vector<std::string> names;
  for (int i = 0; i < message.field_count(); ++i) names.push_back(message.field(i)->name());
  for (const auto& [key, value] : object.fields()) {
    if (FindField(message, key) != nullptr) continue;
    // Repeated only as a typo of a field's name (NearMissOfOurName): a surname or a value
    // written where a key belongs is not.
    const std::optional<std::string> near = NearMissOfOurName(key, names);
    unknown->push_back(near.has_value()
                           ? absl::StrCat(prefix, key, " (did you mean \"", *near, "\"?)")
                           : absl::StrCat(prefix, "(a key that names no field)"));
  }
}

bool HasKeyFor(const google::protobuf::Struct& object, const FieldDescriptor& field) {
  for (const auto& [key, value] : object.fields()) {
    if (KeyNamesField(key, field)) return true;
  }
  return false;
}

const google::protobuf::Value* ValueFor(const google::protobuf::Struct& object,
                                        const FieldDescriptor& field) {
  for (const auto& [key, value] : object.fields()) {
    if (KeyNamesField(key, field)) return &value;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<google::protobuf::FieldMask> UpdateMaskFromPatch(absl::string_view json) {
  // Protobuf keeps the last of a key given twice in a record: the record would be amended with a
  // value the person reading the patch may not see as the one it holds. Looked for before the
  // patch is read as a Struct, whose report of a repeated key ("fields[0]: not valid") says
  // nothing of it.
  if (const std::string repeated =
          RepeatedKeyProblem(json, *v1::CreateRecordRequest::descriptor());
      !repeated.empty()) {
    return UsageError(absl::StrCat("the patch gives a field twice: ", repeated));
  }
  google::protobuf::Struct root;
  if (const auto parsed = google::protobuf::util::JsonStringToMessage(std::string(json), &root);
      !parsed.ok()) {
    return UsageError(
        absl::StrCat("the patch is not a JSON object: ",
                     JsonProblem(json, std::string(parsed.message()), *root.GetDescriptor())));
  }
  const Descriptor& request = *v1::CreateRecordRequest::descriptor();
  std::vector<std::string> unknown;
  CollectUnknownKeys(root, request, "", &unknown);
  for (int i = 0; i < request.field_count(); ++i) {
    const FieldDescriptor& part = *request.field(i);
    const google::protobuf::Value* value = ValueFor(root, part);
    if (value == nullptr) continue;
    if (value->kind_case() != google::protobuf::Value::kStructValue) {
      return UsageError(absl::StrCat("\"", part.name(), "\" in the patch must be an object"));
    }
    CollectUnknownKeys(value->struct_value(), *part.message_type(), absl::StrCat(part.name(), "."),
                       &unknown);
  }
  if (!unknown.empty()) {
    return UsageError(absl::StrCat("unknown field", unknown.size() > 1 ? "s" : "",
                                   " in the patch: ", absl::StrJoin(unknown, ", ")));
  }

  google::protobuf::FieldMask mask;
  for (int i = 0; i < request.field_count(); ++i) {
    const FieldDescriptor& part = *request.field(i);
    const google::protobuf::Value* value = ValueFor(root, part);
    if (value == nullptr) continue;
    const Descriptor& message = *part.message_type();
    for (int j = 0; j < message.field_count(); ++j) {
      const FieldDescriptor& field = *message.field(j);
      if (HasKeyFor(value->struct_value(), field)) {
        mask.add_paths(absl::StrCat(part.name(), ".", field.name()));
      }
    }
  }
  if (mask.paths_size() == 0) return UsageError("the patch changes nothing");
  return mask;
}

absl::Status FillAmendRequestFromPatch(absl::string_view json, v1::AmendRecordRequest* request) {
  ASSIGN_OR_RETURN(google::protobuf::FieldMask mask, UpdateMaskFromPatch(json));
  v1::CreateRecordRequest values;
  // Enums as a record file and the options take them ("female", "imprisonment").
  std::vector<EnumProblem> refused;
  const std::string text = WithEnumNames(json, *values.GetDescriptor(), &refused);
  const auto parsed = google::protobuf::util::JsonStringToMessage(text, &values);
  std::vector<std::string> problems = EnumProblemLines(refused);
  if (!parsed.ok()) {
    // Named by field, never by the value protobuf's report quotes.
    problems.push_back(JsonProblem(text, std::string(parsed.message()), *values.GetDescriptor()));
  }
  if (!problems.empty()) {
    for (std::string& problem : problems) {
      problem = absl::StrCat("the patch does not fit the record: ", problem);
    }
    return problems.size() == 1 ? UsageError(problems[0]) : UsageProblems(problems);
  }
  *request->mutable_person() = values.person();
  *request->mutable_conviction() = values.conviction();
  *request->mutable_update_mask() = std::move(mask);
  return absl::OkStatus();
}

}  // namespace registry::client
