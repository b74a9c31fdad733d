// registryd's log as tests read it: one JSON object a line (common/json_log.h).
#ifndef REGISTRY_TESTS_TESTING_LOG_LINES_H_
#define REGISTRY_TESTS_TESTING_LOG_LINES_H_

#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace registry::testing {

// The one line at level "error" in `log`, every line of which must be a JSON object (a failure
// is added for each that is not, and unless exactly one is at level "error").
inline google::protobuf::Struct OneErrorLogLine(const std::string& log) {
  google::protobuf::Struct found;
  int errors = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    google::protobuf::Struct object;
    if (!google::protobuf::util::JsonStringToMessage(std::string(line), &object).ok()) {
      ADD_FAILURE() << "not a JSON line: " << line;
      continue;
    }
    const auto level = object.fields().find("level");
    if (level == object.fields().end() || level->second.string_value() != "error") continue;
    found = object;
    ++errors;
  }
  EXPECT_EQ(errors, 1) << log;
  return found;
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_LOG_LINES_H_
