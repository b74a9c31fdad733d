#include "common/json_fields.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "registry/v1/config.pb.h"
#include "registry/v1/policy.pb.h"

namespace registry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ReadJsonFieldsTest, AGoodObjectHasNoProblemAndIsUsableAsItIs) {
  const JsonFieldReading r = ReadJsonFields(
      R"({"data_dir": "d", "threads": 4, "tls": {"cert_file": "c"}, "metrics": null})",
      *v1::ServerConfig::descriptor());
  EXPECT_THAT(r.problems, IsEmpty());
  v1::ServerConfig config;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.usable_json, &config).ok());
  EXPECT_EQ(config.data_dir(), "d");
  EXPECT_EQ(config.threads(), 4u);
  EXPECT_EQ(config.tls().cert_file(), "c");
}

// protobuf's parser takes a whole number written as text ("4") for a number field; so does the
// reading, and a number out of the field's range or with a fraction is refused.
TEST(ReadJsonFieldsTest, NumbersAreTakenAsProtobufTakesThemAndTheRestNamed) {
  const JsonFieldReading r = ReadJsonFields(
      R"({"threads": "4", "retention_interval_seconds": 4294967296,)"
      R"( "data_check_interval_hours": 1.5, "vetting": {"lookup_floor_micros": -1}})",
      *v1::ServerConfig::descriptor());
  EXPECT_THAT(r.problems,
              ElementsAre("data_check_interval_hours: must be a whole number from 0 to 4294967295",
                          "retention_interval_seconds: must be a whole number from 0 to 4294967295",
                          "vetting.lookup_floor_micros: must be a whole number from 0 to "
                          "4294967295"));
  v1::ServerConfig config;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.usable_json, &config).ok())
      << r.usable_json;
  EXPECT_EQ(config.threads(), 4u);
  EXPECT_EQ(config.retention_interval_seconds(), 0u) << "left out";
}

// A key that names no field is repeated only when it is spelled as our keys are; a name typed
// as a key is not. Either is left out of what is usable, with the rest.
TEST(ReadJsonFieldsTest, AnUnknownKeyIsRepeatedOnlyWhenSpelledAsOursAre) {
  const JsonFieldReading r = ReadJsonFields(
      R"({"polcy_file": "p", "tls": {"Arben Krasniqi": 1, "cert_file": 5}, "data_dir": "d"})",
      *v1::ServerConfig::descriptor());
  EXPECT_THAT(r.problems, ElementsAre("polcy_file: not a field; did you mean policy_file?",
                                      "tls: holds a key that names no field",
                                      "tls.cert_file: must be text, in double quotes"));
  EXPECT_EQ(r.usable_json.find("Arben"), std::string::npos);
  EXPECT_EQ(r.usable_json.find("polcy"), std::string::npos);
  v1::ServerConfig config;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.usable_json, &config).ok());
  EXPECT_EQ(config.data_dir(), "d");
}

TEST(ReadJsonFieldsTest, TextThatIsNoJsonObjectIsLeftToTheParser) {
  for (const char* text : {"", "{", "[1, 2]", "\"x\""}) {
    const JsonFieldReading r = ReadJsonFields(text, *v1::ServerConfig::descriptor());
    EXPECT_THAT(r.problems, IsEmpty()) << text;
    EXPECT_EQ(r.usable_json, "") << text;
  }
}

// The client's JSON reports and the server's policy reports repeat a path only when it names
// fields all the way: one test of the one function both use.
TEST(NamesFieldsTest, APathNamesFieldsAllTheWayWithAWholeIndexWhereAFieldRepeats) {
  const google::protobuf::Descriptor& policy = *v1::AccessPolicy::descriptor();
  const google::protobuf::Descriptor* end = &policy;
  EXPECT_TRUE(NamesFields(policy, "principals[1]", &end));
  EXPECT_EQ(end, v1::Principal::descriptor());
  EXPECT_TRUE(NamesFields(policy, "principals[12].role", &end));
  EXPECT_EQ(end, nullptr) << "a scalar ends the path";
  EXPECT_TRUE(NamesFields(*v1::ServerConfig::descriptor(), "tls.cert_file"));
  for (const char* path : {"principalz", "principals[].role", "principals[x]", "principals[1",
                           "principals.role.id", "principals[1].role.x", "(Krasniqi Arben) x",
                           ""}) {
    EXPECT_FALSE(NamesFields(policy, path)) << path;
  }
}

}  // namespace
}  // namespace registry
