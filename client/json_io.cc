#include "client/json_io.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/option_parser.h"
#include "client/record_fields.h"
#include "common/suggest.h"
#include "client/terminal_text.h"
#include "common/json_fields.h"
#include "common/json_keys.h"
#include "common/record_limits.h"
#include "common/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "registry/v1/records.pb.h"

namespace registry::client {
namespace {

namespace v1 = registry::v1;
using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;

// Protobuf's own phrases ("Unable to parse number.", "Cannot find field.") are sentences without
// quotes or digits; a phrase with either may hold a piece of the input, and is not repeated.
bool IsFixedPhrase(absl::string_view text) {
  return text.size() > 1 && text.size() <= 80 && absl::EndsWith(text, ".") &&
         std::all_of(text.begin(), text.end(), [](char c) {
           const auto u = static_cast<unsigned char>(c);
           return u >= 0x20 && u < 0x80 && c != '"' && c != '\'' && !absl::ascii_isdigit(u);
         });
}

// Protobuf's report of a syntax error ends in a line holding only a caret under the place.
bool EndsInCaretLine(absl::string_view error) {
  const size_t last_break = error.rfind('\n');
  if (last_break == absl::string_view::npos) return false;
  const absl::string_view caret_line = error.substr(last_break + 1);
  return absl::EndsWith(caret_line, "^") &&
         caret_line.find_first_not_of(' ') == caret_line.size() - 1;
}

// "Unable to parse number." -> "unable to parse number", to follow a colon.
std::string Phrase(absl::string_view fixed) {
  std::string text(absl::StripSuffix(fixed, "."));
  if (!text.empty()) text[0] = absl::ascii_tolower(static_cast<unsigned char>(text[0]));
  return text;
}

std::string Named(absl::string_view where, absl::string_view what) {
  return where.empty() ? std::string(what) : absl::StrCat(where, ": ", what);
}

std::string Joined(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// The message type at a path protobuf names ("conviction.offences[0]"), or nullptr.
const Descriptor* MessageAt(const Descriptor& type, absl::string_view path) {
  const Descriptor* current = &type;
  if (path.empty()) return current;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    part = part.substr(0, part.find('['));
    const google::protobuf::FieldDescriptor* field = current->FindFieldByName(std::string(part));
    if (field == nullptr || field->message_type() == nullptr) return nullptr;
    current = field->message_type();
  }
  return current;
}

// The values an enum is written as: each but the zero one, which stands for "not given"
// (SEX_UNSPECIFIED) and is never a choice.
std::vector<const EnumValueDescriptor*> Choices(const EnumDescriptor& type) {
  std::vector<const EnumValueDescriptor*> values;
  for (int i = 0; i < type.value_count(); ++i) {
    if (type.value(i)->number() != 0) values.push_back(type.value(i));
  }
  return values;
}

// What a value that does not fit a field of `type_name` should have been.
std::string NotOfType(absl::string_view type_name) {
  if (type_name == "TYPE_STRING") return "not a string (text goes in double quotes)";
  if (type_name == "TYPE_BOOL") return "not true or false";
  if (type_name == "TYPE_DOUBLE" || type_name == "TYPE_FLOAT") return "not a number";
  // A signature or a key: base64 text, as the registry wrote it.
  if (type_name == "TYPE_BYTES") {
    return "not base64 (the bytes as the registry wrote them, in double quotes)";
  }
  const std::vector<absl::string_view> whole = {"TYPE_INT32",   "TYPE_INT64",   "TYPE_UINT32",
                                                "TYPE_UINT64",  "TYPE_SINT32",  "TYPE_SINT64",
                                                "TYPE_FIXED32", "TYPE_FIXED64", "TYPE_SFIXED32",
                                                "TYPE_SFIXED64"};
  if (std::find(whole.begin(), whole.end(), type_name) != whole.end()) {
    return "not a whole number in the field's range";
  }
  if (absl::StartsWith(type_name, "TYPE_")) return "not a value of the field's kind";
  if (absl::ConsumePrefix(&type_name, "type.googleapis.com/")) {
    const DescriptorPool& pool = *DescriptorPool::generated_pool();
    if (const EnumDescriptor* e = pool.FindEnumTypeByName(std::string(type_name))) {
      std::vector<std::string> names;
      for (const EnumValueDescriptor* value : Choices(*e)) names.push_back(value->name());
      return absl::StrCat("not one of ", absl::StrJoin(names, ", "));
    }
    if (pool.FindMessageTypeByName(std::string(type_name)) != nullptr) return "not an object";
  }
  return "not a valid value";
}

// "line 3, column 24" (or "column 24" when `json` is one line) of the place protobuf's excerpt
// `excerpt` with its caret at `caret` marks; "" when the excerpt is not found in `json` exactly
// once. The column counts characters, as an editor does, from 1.
std::string SyntaxLocation(absl::string_view json, absl::string_view excerpt, size_t caret) {
  if (excerpt.empty()) return "";
  const size_t first = json.find(excerpt);
  if (first == absl::string_view::npos ||
      json.find(excerpt, first + 1) != absl::string_view::npos) {
    return "";
  }
  const size_t offset = first + caret;
  if (offset > json.size()) return "";
  return JsonLocation(json, offset);
}

// What is wrong with text that does not begin as JSON does (a PEM key or certificate, a
// spreadsheet, notes) given where a JSON file belongs: protobuf's report of it ("unable to parse
// number" at the "-----" of a PEM file) tells the person who gave the wrong file nothing.
// nullopt for text that begins as JSON may (protobuf's report says what is wrong with it).
std::optional<std::string> NotJson(absl::string_view json) {
  std::string hint;
  if (absl::StartsWith(json, "\xff\xfe") || absl::StartsWith(json, "\xfe\xff")) {
    hint = " (UTF-16 text? save it as UTF-8)";
  }
  size_t start = absl::StartsWith(json, "\xEF\xBB\xBF") ? 3 : 0;
  while (start < json.size() && absl::ascii_isspace(static_cast<unsigned char>(json[start]))) {
    ++start;
  }
  if (start == json.size()) return std::nullopt;
  const absl::string_view rest = json.substr(start);
  const auto first = static_cast<unsigned char>(rest[0]);
  if (absl::StartsWith(rest, "-----BEGIN")) {
    hint = " (is this a PEM file?)";
  } else if (absl::StartsWith(rest, "PK\x03\x04")) {
    hint = " (a zip file, as a spreadsheet's own format is?)";
  } else if (hint.empty() &&
             (first == '{' || first == '[' || first == '"' || first == '\'' || first == '-' ||
              absl::ascii_isdigit(first) || absl::StartsWith(rest, "true") ||
              absl::StartsWith(rest, "false") || absl::StartsWith(rest, "null"))) {
    return std::nullopt;
  }
  const size_t line =
      1 + static_cast<size_t>(std::count(json.begin(), json.begin() + start, '\n'));
  return absl::StrCat("line ", line, ": not JSON", hint);
}

// What a file read as `type` should be, in the words of the command that writes one (the type's
// name means nothing to the person who gave the file).
std::string WhatItShouldBe(const Descriptor& type) {
  const std::string& name = type.full_name();
  if (name == "registry.v1.CreateRecordRequest") {
    return "is not a record file (JSON as `registry-cli record template` prints it)";
  }
  if (name == "registry.v1.SignedVettingCertificate") {
    return "is not a signed certificate (the JSON file `registry-cli vet check --out` writes)";
  }
  if (name == "registry.client.AuditState") {
    return "is not an audit state file (the JSON file `registry-cli audit verify` keeps in "
           "--state)";
  }
  return "is not the JSON file expected";
}

// The path ("person.surname", "conviction.offences[1].law") of the first string field of
// `message` that is not UTF-8, "" when there is none.
std::string FirstStringNotUtf8(const google::protobuf::Message& message) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    const int count = field->is_repeated() ? reflection.FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const std::string place =
          field->is_repeated() ? absl::StrCat(field->name(), "[", i, "]") : field->name();
      if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& text =
            field->is_repeated()
                ? reflection.GetRepeatedStringReference(message, field, i, &scratch)
                : reflection.GetStringReference(message, field, &scratch);
        if (!IsWellFormedUtf8(text)) return place;
      } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        const google::protobuf::Message& inner =
            field->is_repeated() ? reflection.GetRepeatedMessage(message, field, i)
                                 : reflection.GetMessage(message, field);
        const std::string below = FirstStringNotUtf8(inner);
        if (!below.empty()) return absl::StrCat(place, ".", below);
      }
    }
  }
  return "";
}

// The message as protobuf JSON with proto field names and every field; on one line unless
// `whitespace`.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message, bool whitespace) {
  // Protobuf's printer drops the bytes of a string that are not UTF-8 and prints the rest: a
  // different text ("Kqeli" for the Latin-1 "K\xebrqeli"), which a file of kept answers would
  // then pass off as what was typed. Refused instead, naming the field, never its value.
  if (const std::string bad = FirstStringNotUtf8(message); !bad.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        bad, " is not valid UTF-8 and cannot be written as JSON without changing it"));
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = whitespace;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print ", message.GetTypeName(), " as JSON: ",
                     std::string(status.message())));
  }
  return json;
}

// "SentenceType" -> "SENTENCE_TYPE_": the prefix protobuf's style puts before an enum's values.
std::string EnumPrefix(const EnumDescriptor& type) {
  std::string prefix;
  for (const char c : type.name()) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c)) && !prefix.empty()) prefix += '_';
    prefix += absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  return prefix + "_";
}

// The word a value is typed as on the command line and in a CSV import: its name without the
// enum's prefix, in small letters ("female", "juvenile_measure", "work_with_children").
std::string EnumWord(const EnumValueDescriptor& value) {
  return absl::AsciiStrToLower(absl::StripPrefix(value.name(), EnumPrefix(*value.type())));
}

// The letters `record create --sex` and its question take too (record_fields.cc).
const EnumValueDescriptor* EnumAlias(const EnumDescriptor& type, absl::string_view word) {
  if (type.full_name() != "registry.v1.Sex") return nullptr;
  if (word == "f") return type.FindValueByName("SEX_FEMALE");
  if (word == "m") return type.FindValueByName("SEX_MALE");
  return nullptr;
}

// The value of `type` that `typed` names: a word, an alias or a proto name, in any case; the zero
// value for "" or its own proto name ("SEX_UNSPECIFIED", which older templates hold: not given).
// nullptr when it names none.
const EnumValueDescriptor* EnumValueOf(const EnumDescriptor& type, absl::string_view typed) {
  const std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(typed));
  if (word.empty()) return type.FindValueByNumber(0);
  for (int i = 0; i < type.value_count(); ++i) {
    const EnumValueDescriptor* value = type.value(i);
    if (absl::EqualsIgnoreCase(value->name(), word)) return value;
    if (value->number() != 0 && EnumWord(*value) == word) return value;
  }
  return EnumAlias(type, word);
}

// A scan of JSON text read as a message type that finds the values of its enum fields, with the
// text that replaces each (the value's proto name, or the zero value's for one that names none,
// which is a problem). It only reads: text that is not JSON stops it, and the parser says why.
class EnumScan {
 public:
  struct Replacement {
    size_t start;
    size_t size;
    std::string text;
  };

  explicit EnumScan(absl::string_view json) : json_(json) {}
  // Instead of the enums: the int32 fields at `code_paths` (without list indexes) that hold a
  // gRPC status code, whose numbers are replaced by the code's name.
  EnumScan(absl::string_view json, std::vector<std::string> code_paths)
      : json_(json), code_paths_(std::move(code_paths)), read_enums_(false) {}

  // Scans the whole text as `type`; false when it does not read as JSON.
  bool Run(const Descriptor& type) {
    if (!Value(&type, nullptr, "")) return false;
    SkipSpace();
    return pos_ == json_.size();
  }

  const std::vector<Replacement>& replacements() const { return replacements_; }
  const std::vector<EnumProblem>& problems() const { return problems_; }

 private:
  void SkipSpace() {
    while (pos_ < json_.size() && absl::ascii_isspace(static_cast<unsigned char>(json_[pos_]))) {
      ++pos_;
    }
  }

  bool Take(char c) {
    SkipSpace();
    if (pos_ >= json_.size() || json_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // A string at pos_, its text decoded as far as an enum's words need (ASCII escapes; any other
  // \u escape stands as a character no word holds).
  bool String(std::string* text) {
    SkipSpace();
    if (pos_ >= json_.size() || json_[pos_] != '"') return false;
    ++pos_;
    text->clear();
    while (pos_ < json_.size()) {
      const char c = json_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        text->push_back(c);
        continue;
      }
      if (pos_ >= json_.size()) return false;
      const char escaped = json_[pos_++];
      if (escaped == 'u') {
        if (pos_ + 4 > json_.size()) return false;
        unsigned int code = 0;
        for (int i = 0; i < 4; ++i) {
          const auto digit = static_cast<unsigned char>(json_[pos_++]);
          if (!absl::ascii_isxdigit(digit)) return false;
          code = code * 16 + (absl::ascii_isdigit(digit) ? digit - '0'
                                                         : absl::ascii_tolower(digit) - 'a' + 10);
        }
        text->push_back(code < 0x80 ? static_cast<char>(code) : '\x01');
      } else {
        text->push_back(escaped);
      }
    }
    return false;
  }

  // Whether the comma just taken stands before `close`, which JSON does not allow but protobuf's
  // parser takes: a problem, said where it is, and the scan goes on, so that the enum values of
  // the text are still read as a person writes them (else "female" beside the comma was refused
  // in proto names). Records, patches and JSON-lines rows all refuse it so.
  bool TrailingComma(char close) {
    const size_t comma = pos_ - 1;
    SkipSpace();
    if (pos_ >= json_.size() || json_[pos_] != close) return false;
    problems_.push_back({"", absl::StrCat("a comma before ", std::string(1, close), " at ",
                                          JsonLocation(json_, comma), ": remove it")});
    return true;
  }

  // The field of `type` a key names (its proto name or its JSON name), or nullptr.
  static const FieldDescriptor* FieldOf(const Descriptor* type, absl::string_view key) {
    if (type == nullptr) return nullptr;
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* field = type->field(i);
      if (field->name() == key || field->json_name() == key) return field;
    }
    return nullptr;
  }

  // One value, of `field` of the message being read (nullptr: the message `type` itself, or a
  // place that holds no field of the API, whose enums are not looked for). `path` names it.
  bool Value(const Descriptor* type, const FieldDescriptor* field, const std::string& path) {
    SkipSpace();
    if (pos_ >= json_.size()) return false;
    const char c = json_[pos_];
    if (c == '{') {
      ++pos_;
      const Descriptor* inner = field == nullptr ? type : field->message_type();
      // A map or a well-known type (Struct, Timestamp) holds no field of the API.
      if (field != nullptr && (field->is_map() || inner == nullptr ||
                               absl::StartsWith(inner->full_name(), "google.protobuf."))) {
        inner = nullptr;
      }
      if (Take('}')) return true;
      do {
        std::string key;
        if (!String(&key) || !Take(':')) return false;
        const FieldDescriptor* child = FieldOf(inner, key);
        const std::string below =
            child == nullptr ? path : path.empty() ? child->name()
                                                   : absl::StrCat(path, ".", child->name());
        if (!Value(nullptr, child, below)) return false;
      } while (Take(',') && !TrailingComma('}'));
      return Take('}');
    }
    if (c == '[') {
      ++pos_;
      if (Take(']')) return true;
      int index = 0;
      do {
        const std::string item = field != nullptr && field->is_repeated()
                                     ? absl::StrCat(path, "[", index++, "]")
                                     : path;
        if (!Value(type, field, item)) return false;
      } while (Take(',') && !TrailingComma(']'));
      return Take(']');
    }
    const size_t start = pos_;
    const EnumDescriptor* type_of_enum =
        field != nullptr && read_enums_ ? field->enum_type() : nullptr;
    if (c == '"') {
      std::string text;
      if (!String(&text)) return false;
      if (type_of_enum != nullptr) Check(*type_of_enum, start, path, EnumValueOf(*type_of_enum,
                                                                                 text));
      return true;
    }
    while (pos_ < json_.size() && !absl::ascii_isspace(static_cast<unsigned char>(json_[pos_])) &&
           json_[pos_] != ',' && json_[pos_] != '}' && json_[pos_] != ']') {
      ++pos_;
    }
    if (pos_ == start) return false;
    const absl::string_view scalar = json_.substr(start, pos_ - start);
    int code = 0;
    if (field != nullptr && absl::SimpleAtoi(scalar, &code) &&
        std::find(code_paths_.begin(), code_paths_.end(), WithoutIndexes(path)) !=
            code_paths_.end()) {
      const std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
      if (!name.empty() && absl::ascii_isupper(static_cast<unsigned char>(name[0]))) {
        replacements_.push_back({start, pos_ - start, absl::StrCat("\"", name, "\"")});
      }
    }
    if (type_of_enum != nullptr && scalar != "null") {
      // A value's number is the API's own spelling of it, and stays; another is no value.
      int number = 0;
      const EnumValueDescriptor* value =
          absl::SimpleAtoi(scalar, &number) ? type_of_enum->FindValueByNumber(number) : nullptr;
      if (value == nullptr) Check(*type_of_enum, start, path, nullptr);
    }
    return true;
  }

  // Replaces the value at [start, pos_) by `value`'s proto name, or by the zero value's with a
  // problem when `value` is nullptr.
  void Check(const EnumDescriptor& type, size_t start, const std::string& path,
             const EnumValueDescriptor* value) {
    if (value == nullptr) {
      problems_.push_back({path, absl::StrCat("not ", EnumWords(type))});
      value = type.FindValueByNumber(0);
      if (value == nullptr) return;
    }
    replacements_.push_back({start, pos_ - start, absl::StrCat("\"", value->name(), "\"")});
  }

  static std::string WithoutIndexes(absl::string_view path) {
    std::string out;
    bool in_index = false;
    for (const char c : path) {
      if (c == '[') in_index = true;
      if (!in_index) out.push_back(c);
      if (c == ']') in_index = false;
    }
    return out;
  }

  absl::string_view json_;
  std::vector<std::string> code_paths_;
  bool read_enums_ = true;
  size_t pos_ = 0;
  std::vector<Replacement> replacements_;
  std::vector<EnumProblem> problems_;
};

// The problems of a record file the client sees once its enum values were read (a date that is
// not one, a required field missing), by path, as `record create` names them: a file with a
// word it does not take has its other mistakes said in the same run. Those of the fields whose
// value was refused (`refused`) are said already.
std::vector<std::string> OtherRecordProblems(const google::protobuf::Message& message,
                                             const std::vector<EnumProblem>& refused) {
  const auto* request = dynamic_cast<const v1::CreateRecordRequest*>(&message);
  if (request == nullptr) return {};
  std::vector<FieldProblem> problems;
  AppendRecordProblems(*request, /*choices=*/nullptr, &problems);
  std::vector<std::string> lines;
  for (const FieldProblem& problem : problems) {
    std::string where = problem.field->path;
    if (problem.item >= 0) absl::StrAppend(&where, "[", problem.item, "]");
    const bool said = std::any_of(refused.begin(), refused.end(), [&](const EnumProblem& p) {
      return p.path == where || absl::StartsWith(p.path, where + ".") ||
             absl::StartsWith(where, absl::StrCat(p.path, "."));
    });
    if (!said) lines.push_back(DescribeProblem(problem, /*by_path=*/true));
  }
  return lines;
}

// A text longer than this is no text of a record whatever its field (the longest the registry
// takes is kMaxAddressCharacters).
constexpr size_t kMaxAnyRecordText = 1000;

// The characters (code points) of UTF-8 text, as the registry counts a text's length.
size_t CodePoints(absl::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The most characters the registry takes in the text field at `path` (list indexes left out),
// and the length past which a text is surely more (a name's letters may each be several code
// points); 0 as the first for a field without a limit of its own.
std::pair<size_t, size_t> TextLimitOf(absl::string_view path) {
  if (path == "person.surname" || path == "person.given_name" || path == "person.father_name" ||
      path == "person.aliases") {
    return {kMaxNameLetters, kMaxNameLetters * kCodePointsPerNameLetter};
  }
  if (path == "person.birth_place") return {kMaxBirthPlaceCharacters, kMaxBirthPlaceCharacters};
  if (path == "person.last_known_address") return {kMaxAddressCharacters, kMaxAddressCharacters};
  if (path == "person.personal_number") {
    return {kMaxPersonalNumberCharacters, kMaxPersonalNumberCharacters};
  }
  if (path == "conviction.case_number") {
    return {kMaxCaseNumberCharacters, kMaxCaseNumberCharacters};
  }
  if (path == "conviction.foreign_court") {
    return {kMaxForeignCourtCharacters, kMaxForeignCourtCharacters};
  }
  if (path == "conviction.offences.law") return {kMaxLawCharacters, kMaxLawCharacters};
  return {0, kMaxAnyRecordText};
}

// OverlongTextProblems of `message`, the part of the record at `path` (`bare`: without indexes).
void AppendOverlongTexts(const google::protobuf::Message& message, const std::string& path,
                         const std::string& bare, std::vector<std::string>* lines) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string field_bare = bare.empty() ? field->name() : absl::StrCat(bare, ".",
                                                                               field->name());
    const int count = field->is_repeated() ? reflection.FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      std::string place = path.empty() ? field->name() : absl::StrCat(path, ".", field->name());
      if (field->is_repeated()) absl::StrAppend(&place, "[", i, "]");
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& text =
            field->is_repeated() ? reflection.GetRepeatedStringReference(message, field, i,
                                                                         &scratch)
                                 : reflection.GetStringReference(message, field, &scratch);
        const auto [limit, surely_over] = TextLimitOf(field_bare);
        // A text holds no more characters than bytes: most are passed without counting.
        if (text.size() <= surely_over) continue;
        const size_t characters = CodePoints(text);
        if (characters <= surely_over) continue;
        lines->push_back(
            limit > 0 ? absl::StrCat(place, ": ", characters, " characters, at most ", limit)
                      : absl::StrCat(place, ": ", characters, " characters, more than any text "
                                     "of a record (at most ", kMaxAddressCharacters, ")"));
      } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        AppendOverlongTexts(field->is_repeated() ? reflection.GetRepeatedMessage(message, field, i)
                                                 : reflection.GetMessage(message, field),
                            place, field_bare, lines);
      }
    }
  }
}

}  // namespace

absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& message) {
  return ToJson(message, /*whitespace=*/false);
}

absl::StatusOr<std::string> ToJsonLineWithCodeNames(const google::protobuf::Message& message,
                                                    std::vector<std::string> code_paths) {
  ASSIGN_OR_RETURN(const std::string json, ToJson(message, /*whitespace=*/false));
  EnumScan scan(json, std::move(code_paths));
  if (!scan.Run(*message.GetDescriptor())) return json;
  std::string out;
  size_t done = 0;
  for (const EnumScan::Replacement& replacement : scan.replacements()) {
    absl::StrAppend(&out, absl::string_view(json).substr(done, replacement.start - done),
                    replacement.text);
    done = replacement.start + replacement.size;
  }
  absl::StrAppend(&out, absl::string_view(json).substr(done));
  return out;
}

absl::StatusOr<std::string> ToJsonText(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = ToJson(message, /*whitespace=*/true);
  if (json.ok() && !absl::EndsWith(*json, "\n")) json->push_back('\n');
  return json;
}

std::string EnumWords(const EnumDescriptor& type) {
  std::vector<std::string> words;
  for (const EnumValueDescriptor* value : Choices(type)) words.push_back(EnumWord(*value));
  if (words.size() < 2) return absl::StrJoin(words, "");
  const std::string last = words.back();
  words.pop_back();
  return absl::StrCat(absl::StrJoin(words, ", "), " or ", last);
}

std::string WithEnumNames(absl::string_view json, const Descriptor& type,
                          std::vector<EnumProblem>* problems) {
  EnumScan scan(json);
  if (!scan.Run(type)) return std::string(json);
  std::string out;
  size_t done = 0;
  for (const EnumScan::Replacement& replacement : scan.replacements()) {
    absl::StrAppend(&out, json.substr(done, replacement.start - done), replacement.text);
    done = replacement.start + replacement.size;
  }
  absl::StrAppend(&out, json.substr(done));
  problems->insert(problems->end(), scan.problems().begin(), scan.problems().end());
  return out;
}

std::vector<std::string> OverlongTextProblems(const google::protobuf::Message& record) {
  std::vector<std::string> lines;
  if (record.GetDescriptor() != v1::CreateRecordRequest::descriptor()) return lines;
  AppendOverlongTexts(record, "", "", &lines);
  return lines;
}

std::vector<std::string> EnumProblemLines(const std::vector<EnumProblem>& problems) {
  std::vector<std::string> lines;
  for (const EnumProblem& problem : problems) {
    lines.push_back(problem.path.empty() ? problem.what
                                         : absl::StrCat(problem.path, ": ", problem.what));
  }
  return lines;
}

absl::Status ParseJson(absl::string_view json, absl::string_view what,
                       google::protobuf::Message* message) {
  const Descriptor& type = *message->GetDescriptor();
  // A key given twice first: protobuf keeps the last value of one (or, in a map, reports it in
  // words of its own).
  std::string problem = RepeatedKeyProblem(json, type);
  // The enums as a person writes them (as the options and the CSV import take them). A signed
  // certificate is no file a person writes: it is read as protobuf reads it, as its check reads
  // it (client/certificate_check.cc), so that the two never disagree on what it holds.
  std::vector<EnumProblem> refused;
  const std::string text = type.full_name() == "registry.v1.SignedVettingCertificate"
                               ? std::string(json)
                               : WithEnumNames(json, type, &refused);
  const auto status = google::protobuf::util::JsonStringToMessage(text, message);
  // A record file's codes and court id are taken in any case, as `record create`'s options and
  // the CSV import take them ("xk", "BASIC-GJAKOVE"): refused here, they were not there.
  if (status.ok()) {
    if (auto* request = dynamic_cast<v1::CreateRecordRequest*>(message); request != nullptr) {
      NormaliseRecordCase(request);
    }
  }
  if (problem.empty() && !status.ok()) {
    problem = JsonProblem(text, std::string(status.message()), type);
  }
  // A text longer than the registry takes any, said with the file's other problems before any
  // call (else a field over 8 MiB was refused by gRPC, "Received message larger than max").
  const std::vector<std::string> overlong =
      status.ok() ? OverlongTextProblems(*message) : std::vector<std::string>();
  if (!problem.empty()) {
    // Nothing of a file refused is left to be used by mistake.
    message->Clear();
    const std::string first = absl::StrCat(what, " ", WhatItShouldBe(type), ": ", problem);
    if (refused.empty()) return absl::InvalidArgumentError(first);
    std::vector<std::string> lines = {first};
    for (std::string& line : EnumProblemLines(refused)) lines.push_back(std::move(line));
    return ProblemsError(absl::StatusCode::kInvalidArgument, lines);
  }
  if (!refused.empty() || !overlong.empty()) {
    // The file is of the right kind, with values it does not take: every one of them at once,
    // and what else the client sees wrong in it.
    std::vector<std::string> lines = EnumProblemLines(refused);
    lines.insert(lines.end(), overlong.begin(), overlong.end());
    for (std::string& line : OtherRecordProblems(*message, refused)) {
      lines.push_back(std::move(line));
    }
    message->Clear();
    return ProblemsError(absl::StatusCode::kInvalidArgument, lines);
  }
  return absl::OkStatus();
}

std::string JsonProblem(absl::string_view json, absl::string_view error, const Descriptor& type) {
  if (std::optional<std::string> not_json = NotJson(json)) return *std::move(not_json);
  // Text that stops inside an object (a file cut short, a } left out): protobuf says "unexpected
  // end of string. Expected , or } after key:value pair", in its own terms and nowhere. Said
  // plainly, at the place just after the last character (where what is missing goes).
  if (absl::StartsWithIgnoreCase(error, "Unexpected end of string")) {
    const size_t end = absl::StripTrailingAsciiWhitespace(json).size();
    return Named(JsonLocation(json, end),
                 "the text ends before the record is closed (a } or a , is missing)");
  }
  // A syntax error: protobuf's phrase, then lines of the text around the place and a caret under
  // it. Only the phrase is kept, and the place is given as a line and column.
  if (EndsInCaretLine(error)) {
    const size_t first_break = error.find('\n');
    const absl::string_view phrase = error.substr(0, first_break);
    const size_t last_break = error.rfind('\n');
    const absl::string_view excerpt =
        last_break > first_break ? error.substr(first_break + 1, last_break - first_break - 1)
                                 : absl::string_view();
    const size_t caret = error.size() - last_break - 2;
    return Named(SyntaxLocation(json, excerpt, caret),
                 IsFixedPhrase(phrase) ? Phrase(phrase) : "not valid JSON");
  }

  // The rest name the field: "(path): detail" for a value, "(path) key: detail" for a key,
  // without the parenthesis at the top level.
  absl::string_view rest = error;
  std::string path;
  if (absl::ConsumePrefix(&rest, "(")) {
    const size_t close = rest.find(')');
    if (close == absl::string_view::npos) return "not valid JSON";
    path = std::string(rest.substr(0, close));
    rest.remove_prefix(close + 1);
    // Only a path that names fields of `type` all the way may be repeated. A top-level key is
    // reported without parentheses, so a key that itself begins "(" ("(Krasniqi Arben) x")
    // reads like a path; it names no field, and is not repeated.
    if (!NamesFields(type, path)) return "holds a name that is no field";
  }
  if (absl::ConsumePrefix(&rest, ": ")) {
    if (absl::ConsumePrefix(&rest, "invalid value ")) {
      // "invalid value <the value> for type <type>": the value is dropped.
      const size_t for_type = rest.rfind(" for type ");
      if (for_type == absl::string_view::npos) return Named(path, "not a valid value");
      const absl::string_view type_name = rest.substr(for_type + 10);
      // An object where a field takes a value: protobuf gives the field's name as the "type".
      if (absl::StartsWith(rest, "Starting an object on a scalar field")) {
        return Named(IsKeyName(type_name) ? Joined(path, type_name) : path, "takes no object");
      }
      return Named(path, NotOfType(type_name));
    }
    if (path.empty() && rest == "Root element must be a message.") return "not a JSON object";
    return Named(path, IsFixedPhrase(rest) ? Phrase(rest) : "not a valid value");
  }
  absl::ConsumePrefix(&rest, " ");
  const size_t colon = rest.rfind(": ");
  if (colon == absl::string_view::npos) return Named(path, "not valid JSON");
  const absl::string_view key = rest.substr(0, colon);
  const absl::string_view detail = rest.substr(colon + 2);
  const std::string field = IsKeyName(key) ? Joined(path, key) : path;
  if (detail == "Cannot find field.") {
    // A key that names no field may be anything a file holds (a surname written as a key): it
    // is repeated only as a near miss of a field's name, else named by where it is.
    std::vector<std::string> names;
    const Descriptor* holder = MessageAt(type, path);
    if (holder != nullptr) {
      for (int i = 0; i < holder->field_count(); ++i) names.push_back(holder->field(i)->name());
    }
    const std::optional<std::string> near = NearMissOfOurName(key, names);
    // Else the field it is closest to, if one is: our name is said, never the one written.
    const std::optional<std::string> closest =
        near.has_value() ? std::nullopt : Closest(key, names);
    std::string what =
        near.has_value()
            ? absl::StrCat("no such field (did you mean \"", *near, "\"?)")
            : absl::StrCat("holds a name that is no field",
                           closest.has_value() ? absl::StrCat(" (did you mean \"", *closest,
                                                              "\"?)")
                                               : "");
    // The fields by their names, not by the message type's (an internal name).
    if (holder != nullptr) absl::StrAppend(&what, "; known fields: ", absl::StrJoin(names, ", "));
    return Named(near.has_value() ? Joined(path, key) : path, what);
  }
  if (detail == "Proto field is not repeating, cannot start list.") {
    return Named(field, "takes no list");
  }
  return Named(field, IsFixedPhrase(detail) ? Phrase(detail) : "not valid");
}

std::string JsonLineProblem(absl::string_view line, absl::string_view error,
                            const Descriptor& type) {
  std::string problem = JsonProblem(line, error, type);
  // Of one line, NotJson says "line 1": the caller names the line by its number in the file.
  if (line.find('\n') == absl::string_view::npos && absl::StartsWith(problem, "line 1: ")) {
    problem.erase(0, 8);
  }
  return problem;
}

}  // namespace registry::client
