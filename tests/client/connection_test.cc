#include "client/connection.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::client {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

EnvLookup FakeEnv(std::map<std::string, std::string> values) {
  return [values = std::move(values)](absl::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

ParsedArgs Global(std::vector<std::string> args) {
  absl::StatusOr<ParsedArgs> parsed = ParseOptions(GlobalOptionSpecs(), args, 0, 0);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return *parsed;
}

TEST(ResolveConnectionSettingsTest, DefaultsWithoutFlagsOrEnvironment) {
  auto settings = ResolveConnectionSettings(Global({}), FakeEnv({}));
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->server, "127.0.0.1:7443");
  EXPECT_EQ(settings->ca_file, "");
  EXPECT_EQ(settings->timeout, absl::Seconds(30));
  EXPECT_THAT(settings->request_id, MatchesRegex("[a-z]{26}"));
}

TEST(ResolveConnectionSettingsTest, IdentityFolderGivesTheThreeFiles) {
  auto settings = ResolveConnectionSettings(Global({"--identity", "/ids/clerk"}), FakeEnv({}));
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->ca_file, "/ids/clerk/ca.pem");
  EXPECT_EQ(settings->cert_file, "/ids/clerk/cert.pem");
  EXPECT_EQ(settings->key_file, "/ids/clerk/key.pem");
}

// A file option overrides the identity folder it is given with; a variable left in the
// environment does not override a folder typed on the command line (a court's $REGISTRY_CERT
// must not turn `--identity clerk` into the court's call), only one from the environment.
TEST(ResolveConnectionSettingsTest, ExplicitFilesOverrideTheIdentityAndTheCommandLineTheEnvironment) {
  const EnvLookup env = FakeEnv({{"REGISTRY_CERT", "/court/cert.pem"},
                                 {"REGISTRY_KEY", "/court/key.pem"}});
  auto settings = ResolveConnectionSettings(
      Global({"--identity", "/ids/clerk", "--cert", "/other/cert.pem"}), env);
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->ca_file, "/ids/clerk/ca.pem");
  EXPECT_EQ(settings->cert_file, "/other/cert.pem");
  EXPECT_EQ(settings->key_file, "/ids/clerk/key.pem");
  EXPECT_EQ(settings->key_from, "--identity");

  auto typed_identity = ResolveConnectionSettings(Global({"--identity", "/ids/clerk"}), env);
  ASSERT_TRUE(typed_identity.ok()) << typed_identity.status();
  EXPECT_EQ(typed_identity->cert_file, "/ids/clerk/cert.pem");
  EXPECT_EQ(typed_identity->key_file, "/ids/clerk/key.pem");

  auto exported_identity = ResolveConnectionSettings(
      Global({}), FakeEnv({{"REGISTRY_IDENTITY", "/ids/clerk"}, {"REGISTRY_KEY", "/env/key.pem"}}));
  ASSERT_TRUE(exported_identity.ok()) << exported_identity.status();
  EXPECT_EQ(exported_identity->cert_file, "/ids/clerk/cert.pem");
  EXPECT_EQ(exported_identity->key_file, "/env/key.pem");
  EXPECT_EQ(exported_identity->key_from, "$REGISTRY_KEY");
}

TEST(ResolveConnectionSettingsTest, FlagsBeatEnvironmentWhichBeatsDefaults) {
  const EnvLookup env = FakeEnv({{"REGISTRY_SERVER", "env-host:1"},
                                 {"REGISTRY_IDENTITY", "/env/id"},
                                 {"REGISTRY_CA", "/env/ca.pem"}});
  auto from_env = ResolveConnectionSettings(Global({}), env);
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->server, "env-host:1");
  EXPECT_EQ(from_env->ca_file, "/env/ca.pem");
  EXPECT_EQ(from_env->cert_file, "/env/id/cert.pem");

  auto from_flags = ResolveConnectionSettings(
      Global({"--server", "flag-host:2", "--identity=/flag/id", "--ca", "/flag/ca.pem"}), env);
  ASSERT_TRUE(from_flags.ok()) << from_flags.status();
  EXPECT_EQ(from_flags->server, "flag-host:2");
  EXPECT_EQ(from_flags->ca_file, "/flag/ca.pem");
  EXPECT_EQ(from_flags->key_file, "/flag/id/key.pem");
}

// `--server "127.0.0.1:4740 "` worked, as every option's value is taken without the spaces
// around it, but the same $REGISTRY_SERVER was refused as not HOST:PORT: the environment's
// values are taken alike.
TEST(ResolveConnectionSettingsTest, AnEnvironmentValueIsTakenWithoutTheSpacesAroundItAsAFlags) {
  auto settings = ResolveConnectionSettings(
      Global({}), FakeEnv({{"REGISTRY_SERVER", "127.0.0.1:4740 "},
                           {"REGISTRY_IDENTITY", "\t/ids/clerk "},
                           {"REGISTRY_CA", " /env/ca.pem\n"},
                           {"REGISTRY_SERVER_NAME", "  "}}));
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->server, "127.0.0.1:4740");
  EXPECT_TRUE(CheckServerAddress(*settings).ok());
  EXPECT_EQ(settings->cert_file, "/ids/clerk/cert.pem");
  EXPECT_EQ(settings->ca_file, "/env/ca.pem");
  // Spaces alone are no value, as an empty variable is none.
  EXPECT_EQ(settings->server_name, "");
}

// An error names a setting as the user gave it: the option, the environment variable, or the
// identity folder a file was found in.
TEST(ResolveConnectionSettingsTest, RemembersWhereEachSettingCameFrom) {
  auto settings = ResolveConnectionSettings(
      Global({"--cert", "/other/cert.pem"}),
      FakeEnv({{"REGISTRY_IDENTITY", "/ids/clerk"}, {"REGISTRY_KEY", "/env/key.pem"},
               {"REGISTRY_SERVER", "h:1"}}));
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->server_from, "$REGISTRY_SERVER");
  EXPECT_EQ(settings->ca_from, "$REGISTRY_IDENTITY");
  EXPECT_EQ(settings->cert_from, "--cert");
  EXPECT_EQ(settings->key_from, "$REGISTRY_KEY");
  const IdentityFileNames names = NamesOfIdentityFiles(*settings);
  EXPECT_EQ(names.ca, "$REGISTRY_IDENTITY /ids/clerk/ca.pem");
  EXPECT_EQ(names.cert, "--cert /other/cert.pem");
  EXPECT_EQ(names.key, "$REGISTRY_KEY /env/key.pem");
}

// gRPC takes an empty address, a missing port or a port past 65535 as a server that does not
// answer; they are mistakes in the setting, named with the form it takes.
TEST(CheckServerAddressTest, RefusesWhatIsNotHostAndPortNamingWhereItCameFrom) {
  ConnectionSettings settings;
  for (const char* good : {"127.0.0.1:7443", "[::1]:7443", "registry.kjc.dev:1", "h:65535"}) {
    settings.server = good;
    EXPECT_TRUE(CheckServerAddress(settings).ok()) << good;
  }
  settings.server_from = "--server";
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:0",
                          ":7443", "::1:7443", "[]:7443", "127.0.0.1:74x3", "127.0.0.1:+7443"}) {
    settings.server = bad;
    const absl::Status status = CheckServerAddress(settings);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_TRUE(IsUsageError(status)) << bad;
    EXPECT_EQ(status.message(), absl::StrCat("--server \"", bad,
                                             "\" is not HOST:PORT with PORT 1..65535, e.g. "
                                             "127.0.0.1:7443"));
  }
  settings.server_from = "$REGISTRY_SERVER";
  settings.server = "127.0.0.1";
  EXPECT_THAT(std::string(CheckServerAddress(settings).message()),
              HasSubstr("$REGISTRY_SERVER \"127.0.0.1\" is not HOST:PORT"));
}

TEST(CreateChannelTest, ABadServerAddressIsAUsageErrorBeforeAnyFileIsRead) {
  ConnectionSettings settings;
  settings.server = "";
  settings.server_from = "--server";
  settings.ca_file = "/nonexistent/ca.pem";
  settings.cert_file = "/nonexistent/cert.pem";
  settings.key_file = "/nonexistent/key.pem";
  auto channel = CreateChannel(settings);
  ASSERT_FALSE(channel.ok());
  EXPECT_TRUE(IsUsageError(channel.status()));
  EXPECT_THAT(std::string(channel.status().message()), HasSubstr("--server \"\" is not HOST:PORT"));
}

TEST(ResolveConnectionSettingsTest, TimeoutAndRequestIdAreChecked) {
  auto settings = ResolveConnectionSettings(
      Global({"--timeout", "5", "--request-id", "audit-2026_01"}), FakeEnv({}));
  ASSERT_TRUE(settings.ok()) << settings.status();
  EXPECT_EQ(settings->timeout, absl::Seconds(5));
  EXPECT_EQ(settings->request_id, "audit-2026_01");

  for (std::vector<std::string> bad :
       {std::vector<std::string>{"--timeout", "0"}, {"--timeout", "abc"},
        {"--request-id", "has space"}, {"--request-id", std::string(65, 'a')}}) {
    auto refused = ResolveConnectionSettings(Global(bad), FakeEnv({}));
    ASSERT_FALSE(refused.ok()) << bad[1];
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(IsUsageError(refused.status()));
  }
}

// registryd replaces a request id with ten digits in a row (it could be a personal number), so
// a generated id holds no digit at all: a hex id did one time in twelve.
TEST(GenerateRequestIdTest, IsRandomAndHoldsNoDigit) {
  const std::string a = GenerateRequestId();
  EXPECT_THAT(a, MatchesRegex("[a-z]{26}"));
  EXPECT_NE(a, GenerateRequestId());
  for (int i = 0; i < 2000; ++i) {
    const std::string id = GenerateRequestId();
    ASSERT_EQ(id.find_first_of("0123456789"), std::string::npos) << id;
  }
}

TEST(CreateChannelTest, NeedsAnIdentity) {
  ConnectionSettings settings;
  auto channel = CreateChannel(settings);
  ASSERT_FALSE(channel.ok());
  EXPECT_TRUE(IsUsageError(channel.status()));
  EXPECT_THAT(std::string(channel.status().message()), HasSubstr("no client identity"));
}

// A file of the identity that cannot be read is a usage error (exit code 2) naming the option or
// variable it came from, never a status the server could have sent (NOT_FOUND, PERMISSION_DENIED).
TEST(CreateChannelTest, NamesTheMissingFileAndWhereItCameFrom) {
  ConnectionSettings settings;
  settings.ca_file = "/nonexistent/ca.pem";
  settings.cert_file = "/nonexistent/cert.pem";
  settings.key_file = "/nonexistent/key.pem";
  auto channel = CreateChannel(settings);
  ASSERT_FALSE(channel.ok());
  EXPECT_TRUE(IsUsageError(channel.status())) << channel.status();
  EXPECT_THAT(std::string(channel.status().message()),
              ::testing::StartsWith("--ca: cannot read CA certificate /nonexistent/ca.pem"));

  // A key that is there but cannot be read (here a folder in its place, as a mode others may not
  // read is, for a user other than root), named by the variable that gave it.
  // The files are read before they are parsed: any text does for the other two.
  std::string dir = (std::filesystem::temp_directory_path() / "connection-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  std::ofstream(dir + "/ca.pem") << "x";
  std::ofstream(dir + "/cert.pem") << "x";
  ASSERT_TRUE(std::filesystem::create_directory(dir + "/key.pem"));
  settings.ca_file = dir + "/ca.pem";
  settings.cert_file = dir + "/cert.pem";
  settings.key_file = dir + "/key.pem";
  settings.key_from = "$REGISTRY_KEY";
  channel = CreateChannel(settings);
  ASSERT_FALSE(channel.ok());
  EXPECT_TRUE(IsUsageError(channel.status())) << channel.status();
  EXPECT_EQ(channel.status().message(),
            absl::StrCat("$REGISTRY_KEY: cannot read client key ", dir, "/key.pem: is a folder"));
  std::filesystem::remove_all(dir);
}

TEST(ToAbslStatusTest, KeepsCodeAndMessage) {
  const absl::Status status =
      ToAbslStatus(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "role clerk may not"));
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "role clerk may not");
  EXPECT_TRUE(ToAbslStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace registry::client
