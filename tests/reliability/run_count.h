// The count of a long reliability run (crash cycles, byte flips): the environment variable
// `env_name` sets it for a whole ctest run, and `--<flag> N` or `--<flag>=N` on the command line
// wins. deploy/sanitize.sh sets the variables to run fewer under ASan.
#ifndef REGISTRY_TESTS_RELIABILITY_RUN_COUNT_H_
#define REGISTRY_TESTS_RELIABILITY_RUN_COUNT_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace registry::testing {

// Reads the count into *count (left as it is when neither is given); false, after a line on
// stderr, when a value is not a positive number or an argument is unknown. Call after
// ::testing::InitGoogleTest has taken its own flags.
inline bool ReadRunCount(int argc, char** argv, const char* env_name, const std::string& flag,
                         int* count) {
  const auto take = [&](const std::string& value, const std::string& what) {
    if (absl::SimpleAtoi(value, count) && *count >= 1) return true;
    std::fprintf(stderr, "%s: a positive number\n", what.c_str());
    return false;
  };
  if (const char* env = std::getenv(env_name); env != nullptr && *env != '\0') {
    if (!take(env, env_name)) return false;
  }
  const std::string option = absl::StrCat("--", flag);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string value;
    if (arg == option && i + 1 < argc) {
      value = argv[++i];
    } else if (arg.rfind(option + "=", 0) == 0) {
      value = arg.substr(option.size() + 1);
    } else {
      std::fprintf(stderr, "unknown argument %s (%s N)\n", argv[i], option.c_str());
      return false;
    }
    if (!take(value, option + " N")) return false;
  }
  return true;
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_RELIABILITY_RUN_COUNT_H_
