// What a message must not repeat: a value a person typed may be a name or a personal number, and
// errors name the field or the option, never the value.
//
//   testing::ExpectRepeatsNone(status.message(), {"1000000123", "Krasniqi"});
#ifndef REGISTRY_TESTS_TESTING_REPEATS_H_
#define REGISTRY_TESTS_TESTING_REPEATS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::testing {

// Expects `text` to hold none of `values`; a failure shows `text` and names the value.
inline void ExpectRepeatsNone(absl::string_view text, const std::vector<std::string>& values) {
  for (const std::string& value : values) {
    EXPECT_THAT(std::string(text), ::testing::Not(::testing::HasSubstr(value)))
        << "repeats the value typed: " << value;
  }
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_REPEATS_H_
