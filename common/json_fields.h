// Every field problem of a JSON object read as a protobuf message, at once. protobuf's parser
// stops at the first key that names no field or value of the wrong type, and says it in its
// own words ("(threads): invalid value \"two\" for type TYPE_UINT32"); an operator fixing a
// config by the check's report would meet the next one only on the next run.
//
//   JsonFieldReading r = ReadJsonFields(json, *ServerConfig::descriptor());
//   // r.problems: {"dat_dir: not a field; did you mean data_dir?",
//   //              "threads: must be a whole number from 0 to 4294967295"}
//   // r.usable_json: the object without those keys, for the checks of the rest.
#ifndef REGISTRY_COMMON_JSON_FIELDS_H_
#define REGISTRY_COMMON_JSON_FIELDS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace registry {

struct JsonFieldReading {
  // By the field's path ("tls.cert_file"), each object's keys in byte order; never a
  // value. A key that
  // names no field is repeated only when it is spelled as our keys are (IsKeyName); another is
  // said as "a key that names no field" of the object it is in.
  std::vector<std::string> problems;
  // The object with every key named in `problems` left out, as JSON; "" when `json` is no JSON
  // object at all (protobuf's parser then says what is wrong with it).
  std::string usable_json;
};

// Reads `json` as `type`: keys that name no field (by name or JSON name), and values of a type
// protobuf's parser would refuse for the field (text for a number, a number out of range, a
// list for a single value, a name that is none of an enum's). Maps and protobuf's own types
// (google.protobuf.*) are taken as they are.
JsonFieldReading ReadJsonFields(absl::string_view json, const google::protobuf::Descriptor& type);

// Whether `path` ("person.surname", "principals[1].role": a field's name, with an index in
// brackets where the field repeats) names fields of `type` all the way; if so, and `end` is
// given, it is set to the message type the path ends at (nullptr for a scalar). The client's
// JSON reports and the server's policy reports repeat a path only when it does, since any other
// may be a person's data typed as a key.
bool NamesFields(const google::protobuf::Descriptor& type, absl::string_view path,
                 const google::protobuf::Descriptor** end = nullptr);

}  // namespace registry

#endif  // REGISTRY_COMMON_JSON_FIELDS_H_
