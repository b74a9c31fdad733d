#include "client/amend_patch.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
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

// The names in `object` that are no field of `message`, each as "prefix.name" when it is a typo
// of a field's name (NearMissOfOurName), else by its place alone ("person: a name that is no
// field", with the field it is closest to when one is: our name, not the one written, which may
// be a person's data). When there is one, the fields `message` has (`known`), as record create
// --file lists them: a name that is no field is mended by seeing which ones are.
void CollectUnknownKeys(const google::protobuf::Struct& object, const Descriptor& message,
                        absl::string_view prefix, std::vector<std::string>* unknown,
                        std::vector<std::string>* known) {
  std::vector<std::string> names;
  for (int i = 0; i < message.field_count(); ++i) names.push_back(message.field(i)->name());
  bool any = false;
  for (const auto& [key, value] : object.fields()) {
    if (FindField(message, key) != nullptr) continue;
    any = true;
    const std::optional<std::string> near = NearMissOfOurName(key, names);
    if (near.has_value()) {
      unknown->push_back(absl::StrCat(prefix, key, " (did you mean \"", *near, "\"?)"));
      continue;
    }
    const std::optional<std::string> closest = Closest(key, names);
    const absl::string_view place = absl::StripSuffix(prefix, ".");
    unknown->push_back(absl::StrCat(
        place.empty() ? "" : absl::StrCat(place, ": "), "a name that is no field",
        closest.has_value() ? absl::StrCat(" (did you mean \"", *closest, "\"?)") : ""));
  }
  if (!any) return;
  const absl::string_view place = absl::StripSuffix(prefix, ".");
  known->push_back(absl::StrCat("known fields", place.empty() ? "" : absl::StrCat(" of ", place),
                                ": ", absl::StrJoin(names, ", ")));
}

// `problem` of the patch, said with the file it is in when that is known.
std::string InFile(absl::string_view file, absl::string_view problem) {
  return file.empty() ? std::string(problem) : absl::StrCat(file, ": ", problem);
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

absl::StatusOr<google::protobuf::FieldMask> UpdateMaskFromPatch(absl::string_view json,
                                                                absl::string_view file) {
  // Protobuf keeps the last of a key given twice in a record: the record would be amended with a
  // value the person reading the patch may not see as the one it holds. Looked for before the
  // patch is read as a Struct, whose report of a repeated key ("fields[0]: not valid") says
  // nothing of it.
  if (const std::string repeated =
          RepeatedKeyProblem(json, *v1::CreateRecordRequest::descriptor());
      !repeated.empty()) {
    return UsageError(InFile(file, absl::StrCat("the patch gives a field twice: ", repeated)));
  }
  google::protobuf::Struct root;
  if (const auto parsed = google::protobuf::util::JsonStringToMessage(std::string(json), &root);
      !parsed.ok()) {
    // Where, as the record file's error says it (line and column), not in the parser's words
    // for a Struct, and in the file named.
    return UsageError(InFile(
        file, absl::StrCat("the patch is not a JSON object: ",
                           JsonProblem(json, std::string(parsed.message()),
                                       *root.GetDescriptor()))));
  }
  const Descriptor& request = *v1::CreateRecordRequest::descriptor();
  std::vector<std::string> unknown;
  std::vector<std::string> known;
  CollectUnknownKeys(root, request, "", &unknown, &known);
  for (int i = 0; i < request.field_count(); ++i) {
    const FieldDescriptor& part = *request.field(i);
    const google::protobuf::Value* value = ValueFor(root, part);
    if (value == nullptr) continue;
    if (value->kind_case() != google::protobuf::Value::kStructValue) {
      return UsageError(
          InFile(file, absl::StrCat("\"", part.name(), "\" in the patch must be an object")));
    }
    CollectUnknownKeys(value->struct_value(), *part.message_type(), absl::StrCat(part.name(), "."),
                       &unknown, &known);
  }
  if (!unknown.empty()) {
    return UsageError(InFile(
        file, absl::StrCat("unknown field", unknown.size() > 1 ? "s" : "", " in the patch: ",
                           absl::StrJoin(unknown, ", "), "; ", absl::StrJoin(known, "; "))));
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
  if (mask.paths_size() == 0) return UsageError(InFile(file, "the patch changes nothing"));
  return mask;
}

absl::Status FillAmendRequestFromPatch(absl::string_view json, v1::AmendRecordRequest* request,
                                       absl::string_view file) {
  ASSIGN_OR_RETURN(google::protobuf::FieldMask mask, UpdateMaskFromPatch(json, file));
  v1::CreateRecordRequest values;
  // Enums as a record file and the options take them ("female", "imprisonment").
  std::vector<EnumProblem> refused;
  const std::string text = WithEnumNames(json, *values.GetDescriptor(), &refused);
  const auto parsed = google::protobuf::util::JsonStringToMessage(text, &values);
  std::vector<std::string> problems = EnumProblemLines(refused);
  if (!parsed.ok()) {
    // Named by field, never by the value protobuf's report quotes.
    problems.push_back(JsonProblem(text, std::string(parsed.message()), *values.GetDescriptor()));
  } else {
    // A text longer than the registry takes, said here rather than refused by gRPC when over
    // 8 MiB ("Received message larger than max").
    for (std::string& line : OverlongTextProblems(values)) problems.push_back(std::move(line));
  }
  if (!problems.empty()) {
    for (std::string& problem : problems) {
      problem = InFile(file, absl::StrCat("the patch does not fit the record: ", problem));
    }
    return problems.size() == 1 ? UsageError(problems[0]) : UsageProblems(problems);
  }
  *request->mutable_person() = values.person();
  *request->mutable_conviction() = values.conviction();
  *request->mutable_update_mask() = std::move(mask);
  return absl::OkStatus();
}

}  // namespace registry::client
