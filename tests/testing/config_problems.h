// The problems `registryd --check_config` reports for a server's configuration, as an operator
// would run it: the configuration written as JSON to a file of its own, checked now as this user.
#ifndef REGISTRY_TESTS_TESTING_CONFIG_PROBLEMS_H_
#define REGISTRY_TESTS_TESTING_CONFIG_PROBLEMS_H_

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "registry/v1/config.pb.h"
#include "server/check_config.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {

// The problems CheckConfig finds in `config`, written to registryd.json in a new temporary
// folder named after `prefix`. A configuration that cannot be written is a failure.
inline std::vector<std::string> ConfigProblems(const v1::ServerConfig& config,
                                               absl::string_view prefix) {
  const std::string config_file = MakeTempDir(prefix) + "/registryd.json";
  std::string json;
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  const bool printed =
      google::protobuf::util::MessageToJsonString(config, &json, json_options).ok();
  EXPECT_TRUE(printed) << "the configuration could not be written as JSON";
  if (!printed) return {};
  std::ofstream(config_file) << json;
  return server::CheckConfig(config_file, absl::Now(), ::geteuid());
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_CONFIG_PROBLEMS_H_
