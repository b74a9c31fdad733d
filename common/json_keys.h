// Keys of JSON text read as a protobuf message: the one scan for a key given twice, shared by
// every JSON file registry-cli and registryd read (record files, certificates, amend patches,
// import lines; registryd's config and access policy).
//
//   if (std::string problem = RepeatedKeyProblem(json, *message.GetDescriptor());
//       !problem.empty()) { ... refuse the file, naming `problem` ... }
#ifndef REGISTRY_COMMON_JSON_KEYS_H_
#define REGISTRY_COMMON_JSON_KEYS_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace registry {

// The first key `json` gives twice in one object, read as `type`: protobuf's parser keeps the
// last value of a key given twice, and merges a repeated field given twice, where a person
// reading the file (or another parser: jq, Python) takes one of them, so a certificate could
// show "CLEAR" to the eye and verify as "NOT_CLEAR", and a policy could hold a principal that
// no reader of it sees. Two spellings of one field ("given_name", "givenName") and escaped
// spellings ("surn\u0061me") are the same key. Named by the field's path where the key is one
// of `type`'s fields, spelled as a field name (IsKeyName), and by line and column otherwise (a
// map's key, or a key that names no field, may be a person's data):
//   "certificate.result: given twice"
//   "person.given_name: given twice (as given_name and givenName)"
//   "principals[1].role: given twice"
//   "line 3, column 5: a key given twice"  ("column 5: ..." when `json` is one line)
// "" when no key is repeated. Text that is not JSON is scanned only as far as it reads as JSON
// (protobuf's parser says what is wrong with it); any text is scanned in time linear in its size.
std::string RepeatedKeyProblem(absl::string_view json, const google::protobuf::Descriptor& type);

// The field of `type` that protobuf's parser takes `key` for: its name or its JSON name; nullptr
// when it names none.
const google::protobuf::FieldDescriptor* FieldOfJsonKey(const google::protobuf::Descriptor& type,
                                                        const std::string& key);

// Whether a JSON key is spelled as the API's field names are (a small letter, then letters,
// digits and "_", at most 40): only such a key may be repeated in a message, as a value written
// where a key belongs (a name, a number) cannot be.
bool IsKeyName(absl::string_view key);

// The byte of `json` where it stops being JSON as protobuf's parser reads it (a missing comma or
// quote, a bracket not closed, text after the value): what a syntax error's "line 3, column 24"
// is said of. nullopt when it reads as JSON to its end (a bare word where a value belongs, such
// as `data` for `"data"`, is read as one: protobuf's parser names that itself).
std::optional<size_t> JsonStopsAt(absl::string_view json);

// "line 3, column 24" of byte `offset` of `json` ("column 24" when `json` is one line). The
// column counts characters, as an editor does, from 1.
std::string JsonLocation(absl::string_view json, size_t offset);

}  // namespace registry

#endif  // REGISTRY_COMMON_JSON_KEYS_H_
