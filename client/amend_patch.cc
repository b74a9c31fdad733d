#include "client/amend_patch.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/json_io.h"
#include "client/option_parser.h"
#include "client/record_fields.h"
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

// The fields records.proto documents as output only (a court's name, an offence's title): the
// registry sets them on reads from its tables, and takes them from no request.
bool OutputOnly(const FieldDescriptor& field) {
  return &field == v1::Conviction::descriptor()->FindFieldByName("court_name") ||
         &field == v1::Offence::descriptor()->FindFieldByName("title");
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
  // The fields a patch may give: not those the registry sets.
  std::vector<std::string> names;
  for (int i = 0; i < message.field_count(); ++i) {
    if (!OutputOnly(*message.field(i))) names.push_back(message.field(i)->name());
  }
  bool any = false;
  for (const auto& [key, value] : object.fields()) {
    if (FindField(message, key) != nullptr) continue;
    any = true;
    // A field of a part given at the top ({"last_known_address": ...}): the key is our name (or
    // a typo of one), and belongs under the part that has it.
    if (prefix.empty()) {
      std::optional<std::string> under;
      for (int i = 0; i < message.field_count() && !under.has_value(); ++i) {
        const Descriptor* part = message.field(i)->message_type();
        if (part == nullptr) continue;
        std::vector<std::string> part_names;
        for (int j = 0; j < part->field_count(); ++j) {
          if (!OutputOnly(*part->field(j))) part_names.push_back(part->field(j)->name());
        }
        const FieldDescriptor* exact = FindField(*part, key);
        if (exact != nullptr && !OutputOnly(*exact)) {
          under = absl::StrCat(message.field(i)->name(), ".", exact->name());
        } else if (std::optional<std::string> near = NearMissOfOurName(key, part_names)) {
          under = absl::StrCat(message.field(i)->name(), ".", *near);
        }
      }
      if (under.has_value()) {
        unknown->push_back(absl::StrCat(key, " (did you mean ", *under, "?)"));
        continue;
      }
    }
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
  std::vector<std::string> set_by_the_registry;
  for (int i = 0; i < request.field_count(); ++i) {
    const FieldDescriptor& part = *request.field(i);
    const google::protobuf::Value* value = ValueFor(root, part);
    if (value == nullptr) continue;
    const Descriptor& message = *part.message_type();
    for (int j = 0; j < message.field_count(); ++j) {
      const FieldDescriptor& field = *message.field(j);
      if (!HasKeyFor(value->struct_value(), field)) continue;
      const std::string path = absl::StrCat(part.name(), ".", field.name());
      if (OutputOnly(field)) {
        set_by_the_registry.push_back(path);
      } else {
        mask.add_paths(path);
      }
    }
  }
  // Sent, the registry refused it in the words of its API ("update_mask.paths[0]: ... is output
  // only"): said in the patch's, with the field that sets it.
  if (!set_by_the_registry.empty()) {
    // Of a person and a conviction, only the court's name is such a field.
    return UsageError(InFile(
        file, absl::StrCat(absl::StrJoin(set_by_the_registry, ", "),
                           " is set by the registry (the court's name, from its court table): a "
                           "patch does not give it; to change the court, give court_id")));
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
    // A field no record is without, cleared (null, "" or []): the registry refused it by the
    // rule of a value ("does not match the personal number format"), and a surname cleared was
    // asked about as a name removed, before it was refused.
    std::vector<std::string> cleared;
    for (const RecordField& field : RecordFields()) {
      if (!field.required || !IsRecordFieldEmpty(field, values) ||
          std::find(mask.paths().begin(), mask.paths().end(), field.mask_path) ==
              mask.paths().end() ||
          std::find(cleared.begin(), cleared.end(), field.mask_path) != cleared.end()) {
        continue;
      }
      cleared.push_back(field.mask_path);
      problems.push_back(absl::StrCat(field.mask_path,
                                      " is required: a record is never without it, and null "
                                      "or an empty value would clear it"));
    }
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
