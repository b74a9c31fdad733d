#include "common/json_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "common/json_keys.h"
#include "common/suggest.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace registry {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Value;

// "tls.cert_file": `key` of the object at `path`.
std::string PathOf(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// Whether `number` (a JSON number, or text protobuf reads as one) is a whole number within
// [low, high].
bool WholeWithin(const Value& value, double low, double high) {
  double number = 0;
  if (value.kind_case() == Value::kNumberValue) {
    number = value.number_value();
  } else if (value.kind_case() != Value::kStringValue ||
             !absl::SimpleAtod(value.string_value(), &number)) {
    return false;
  }
  return std::isfinite(number) && std::floor(number) == number && number >= low &&
         number <= high;
}

// What a single value of `field` must be, when `value` is not that; "" when it is.
std::string SingleValueProblem(const FieldDescriptor& field, const Value& value) {
  if (value.kind_case() == Value::kNullValue) return "";  // protobuf takes null as unset
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return value.kind_case() == Value::kStringValue ? "" : "must be text, in double quotes";
    case FieldDescriptor::CPPTYPE_BOOL:
      return value.kind_case() == Value::kBoolValue ? "" : "must be true or false";
    case FieldDescriptor::CPPTYPE_UINT32:
      return WholeWithin(value, 0, std::numeric_limits<uint32_t>::max())
                 ? ""
                 : "must be a whole number from 0 to 4294967295";
    case FieldDescriptor::CPPTYPE_INT32:
      return WholeWithin(value, std::numeric_limits<int32_t>::min(),
                         std::numeric_limits<int32_t>::max())
                 ? ""
                 : "must be a whole number from -2147483648 to 2147483647";
    case FieldDescriptor::CPPTYPE_UINT64:
    case FieldDescriptor::CPPTYPE_INT64:
      return WholeWithin(value, field.cpp_type() == FieldDescriptor::CPPTYPE_UINT64 ? 0 : -9e18,
                         1.8e19)
                 ? ""
                 : "must be a whole number";
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double number = 0;
      return value.kind_case() == Value::kNumberValue ||
                     (value.kind_case() == Value::kStringValue &&
                      absl::SimpleAtod(value.string_value(), &number))
                 ? ""
                 : "must be a number";
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumDescriptor& type = *field.enum_type();
      if (value.kind_case() == Value::kStringValue &&
          type.FindValueByName(value.string_value()) != nullptr) {
        return "";
      }
      if (value.kind_case() == Value::kNumberValue && WholeWithin(value, -2147483648.0, 2147483647.0) &&
          type.FindValueByNumber(static_cast<int>(value.number_value())) != nullptr) {
        return "";
      }
      // An enum's "not set" value (ROLE_UNSPECIFIED, number 0) is no choice to offer.
      std::vector<std::string> names;
      for (int i = 0; i < type.value_count(); ++i) {
        const google::protobuf::EnumValueDescriptor& v = *type.value(i);
        if (v.number() == 0 && absl::EndsWith(v.name(), "_UNSPECIFIED")) continue;
        names.push_back(v.name());
      }
      return absl::StrCat("must be one of ", absl::StrJoin(names, ", "));
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return "";  // checked by the caller
  }
  return "";
}

class Reader {
 public:
  explicit Reader(std::vector<std::string>* problems) : problems_(problems) {}

  // Checks `object` as `type`, leaving out every key it names a problem of.
  void Object(const Descriptor& type, const std::string& path,
              google::protobuf::Struct* object) {
    std::vector<std::string> names;
    for (int i = 0; i < type.field_count(); ++i) names.push_back(type.field(i)->name());
    std::vector<std::string> refused;
    // A Struct's fields are a hash map: read in the keys' byte order, a stable order to report
    // in.
    std::vector<std::string> keys;
    for (const auto& entry : object->fields()) keys.push_back(entry.first);
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) {
      Value& value = (*object->mutable_fields())[key];
      const FieldDescriptor* field = FieldOfJsonKey(type, key);
      if (field == nullptr) {
        if (IsKeyName(key)) {
          std::string problem = absl::StrCat(PathOf(path, key), ": not a field");
          if (std::optional<std::string> close = Closest(key, names)) {
            absl::StrAppend(&problem, "; did you mean ", PathOf(path, *close), "?");
          }
          problems_->push_back(std::move(problem));
        } else {
          problems_->push_back(absl::StrCat(path.empty() ? "the file" : path,
                                            ": holds a key that names no field"));
        }
        refused.push_back(key);
        continue;
      }
      if (!Field(*field, PathOf(path, field->name()), &value)) refused.push_back(key);
    }
    for (const std::string& key : refused) object->mutable_fields()->erase(key);
  }

 private:
  // Whether `value` may stay (problems inside it are left out of it).
  bool Field(const FieldDescriptor& field, const std::string& path, Value* value) {
    if (value->kind_case() == Value::kNullValue) return true;
    if (field.is_map() || (field.message_type() != nullptr &&
                           absl::StartsWith(field.message_type()->file()->name(),
                                            "google/protobuf/"))) {
      return true;  // protobuf's parser says what it makes of these
    }
    if (field.is_repeated()) {
      if (value->kind_case() != Value::kListValue) {
        problems_->push_back(absl::StrCat(path, ": must be a list, in [ ]"));
        return false;
      }
      bool keep = true;
      auto* items = value->mutable_list_value()->mutable_values();
      for (int i = 0; i < items->size(); ++i) {
        keep &= One(field, absl::StrCat(path, "[", i, "]"), items->Mutable(i));
      }
      return keep;
    }
    return One(field, path, value);
  }

  bool One(const FieldDescriptor& field, const std::string& path, Value* value) {
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (value->kind_case() != Value::kStructValue) {
        problems_->push_back(absl::StrCat(path, ": must be an object, in { }"));
        return false;
      }
      Object(*field.message_type(), path, value->mutable_struct_value());
      return true;
    }
    if (std::string problem = SingleValueProblem(field, *value); !problem.empty()) {
      problems_->push_back(absl::StrCat(path, ": ", problem));
      return false;
    }
    return true;
  }

  std::vector<std::string>* problems_;
};

}  // namespace

bool NamesFields(const Descriptor& type, absl::string_view path, const Descriptor** end) {
  const Descriptor* current = &type;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (current == nullptr) return false;
    if (const size_t bracket = part.find('['); bracket != absl::string_view::npos) {
      const absl::string_view index = part.substr(bracket);
      if (index.size() < 3 || index.back() != ']' ||
          !std::all_of(index.begin() + 1, index.end() - 1,
                       [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
        return false;
      }
      part = part.substr(0, bracket);
    }
    const FieldDescriptor* field = current->FindFieldByName(std::string(part));
    if (field == nullptr) return false;
    current = field->message_type();
  }
  if (end != nullptr) *end = current;
  return true;
}

JsonFieldReading ReadJsonFields(absl::string_view json, const Descriptor& type) {
  JsonFieldReading reading;
  google::protobuf::Struct object;
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(json.data(), json.size()), &object)
           .ok()) {
    return reading;
  }
  Reader(&reading.problems).Object(type, "", &object);
  if (!google::protobuf::util::MessageToJsonString(object, &reading.usable_json).ok()) {
    reading.usable_json.clear();
  }
  return reading;
}

}  // namespace registry
