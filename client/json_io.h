// Protobuf JSON in and out, the only JSON registry-cli reads or writes.
//
// Output is one object per line with proto field names (snake_case, as in the API documents and
// the example files) and every field, even a default one, so scripts see stable keys; bytes are
// base64. Input accepts proto names and lowerCamelCase JSON names, and refuses unknown fields.
//
//   ASSIGN_OR_RETURN(std::string line, ToJsonLine(response));  // "{...}" without newline
//   RETURN_IF_ERROR(ParseJson(text, "certificate file", &signed_certificate));
#ifndef REGISTRY_CLIENT_JSON_IO_H_
#define REGISTRY_CLIENT_JSON_IO_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json_keys.h"
#include "google/protobuf/message.h"

namespace registry::client {

// The message as a single-line JSON object. InvalidArgument naming the field (never its value)
// when a string field is not UTF-8, which protobuf would print with bytes left out; Internal if
// protobuf cannot print it.
absl::StatusOr<std::string> ToJsonLine(const google::protobuf::Message& message);

// ToJsonLine with the int32 fields at `code_paths` that hold a gRPC status code
// ("status_code", "event.outcome"; a list's items by the list's path) written as the code's name
// ("PERMISSION_DENIED"), as the text output and the JSON errors name codes; a number that is no
// code stays a number.
absl::StatusOr<std::string> ToJsonLineWithCodeNames(const google::protobuf::Message& message,
                                                    std::vector<std::string> code_paths);

// The message as JSON for a person to read and edit: one field a line, indented, as ToJsonLine
// with every field shown, ending with a newline. ParseJson reads it back.
absl::StatusOr<std::string> ToJsonText(const google::protobuf::Message& message);

// Parses `json` into `message`, its enums as WithEnumNames takes them. InvalidArgument naming
// `what`, what the file should be (in the words of the command that writes one: "rec.json is not
// a record file (...)"), and the problem (JsonProblem, or RepeatedKeyProblem of
// common/json_keys.h), with every enum value it does not take; or, when the file reads but for
// such values, one problem a line (ProblemsError): each of those values, and for a record
// (CreateRecordRequest) what else AppendRecordProblems finds in it, so that one run names them
// all.
absl::Status ParseJson(absl::string_view json, absl::string_view what,
                       google::protobuf::Message* message);

// A value of an enum field a JSON text gives that names no value of it: where
// ("person.sex", "conviction.bans[1].type") and what it should be ("not female or male"), never
// the value.
struct EnumProblem {
  std::string path;
  std::string what;
};

// `json` read as `type`, with the value of each of its enum fields written as registry-cli's
// options and the CSV import take it (the value's name without the enum's prefix: "female",
// "imprisonment", "work_with_children"; f or m for a sex), or as its proto name ("SEX_FEMALE"),
// in any case, turned into the proto name protobuf's parser takes; "" and the zero value's own
// name (SEX_UNSPECIFIED, which older record templates hold) leave the field unset. Each value that
// is none of these is appended to `problems` and replaced by the zero value, so that the rest can
// be read and checked. So is a comma before a } or a ] ("a comma before } at line 3, column 40:
// remove it"), which protobuf's parser would take. Text that does not read as JSON comes back as
// it is: the parser says what is wrong with it. ParseJson reads every file so.
std::string WithEnumNames(absl::string_view json, const google::protobuf::Descriptor& type,
                          std::vector<EnumProblem>* problems);

// The texts of a record (a CreateRecordRequest; of another message, none) longer than the
// registry takes (common/record_limits.h), each by its path with its length and the limit, never
// its value: "person.surname: 9000000 characters, at most 100". Said before any call: a text
// over gRPC's 8 MiB was refused as "RESOURCE_EXHAUSTED: Received message larger than max", and
// the record's other problems went unnamed. A name is said only past what the registry decodes
// of one (kCodePointsPerNameLetter code points a letter), a field without a limit of its own
// past 1000 characters; a length nearer is the registry's to judge.
std::vector<std::string> OverlongTextProblems(const google::protobuf::Message& record);

// "person.sex: not female or male", a line each.
std::vector<std::string> EnumProblemLines(const std::vector<EnumProblem>& problems);

// The words an enum's values are written as, without its zero value (never a choice): "female
// or male", "work_with_children, contact_with_victim or profession".
std::string EnumWords(const google::protobuf::EnumDescriptor& type);

// What is wrong with `json`, from protobuf's report `error` of parsing it as `type`, without a
// word of the text: protobuf's report quotes a field's value ("invalid value 2468013579 for type
// TYPE_STRING") or the text around a syntax error, and the text is a record, a certificate, a
// person's data. The problem is named by where it is:
//   "person.personal_number: not a string (text goes in double quotes)"
//   "person.surnam: no such field (did you mean "surname"?); known fields: surname, ..."
//   "line 1: not JSON (is this a PEM file?)"
//   "line 3, column 24: unable to parse number"  ("column 24: ..." when `json` is one line)
// A key that names no field is repeated only when spelled as the API's field names are (a small
// letter, then letters, digits and "_"): a misspelt field, not a value written as a key.
std::string JsonProblem(absl::string_view json, absl::string_view error,
                        const google::protobuf::Descriptor& type);

// JsonProblem of one line of a JSON-lines file, which the caller names by its number in the
// file ("line 3: not a record in JSON: not JSON", not "...: line 1: not JSON"); a place in it is
// its column ("column 24: ...").
std::string JsonLineProblem(absl::string_view line, absl::string_view error,
                            const google::protobuf::Descriptor& type);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_JSON_IO_H_
