// The serving line: what registryd writes once it accepts calls, and what the processes that
// start it (registry-bench, the reliability and process tests) read the bound port from.
#include "common/json_log.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace registry {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

TEST(ServingLineTest, ThePortIsReadBackFromALogThatHoldsOtherLines) {
  const std::string log =
      absl::StrCat(LogLine("info", "revocation lists loaded").Int("port", 1).Text(kNow),
                   ServingLine("127.0.0.1:0", 44749).Text(kNow),
                   LogLine("info", "call").Int("port", 2).Text(kNow));
  EXPECT_EQ(ServingPortFromLog(log), 44749);
}

TEST(ServingLineTest, NoPortBeforeTheLineIsWhole) {
  EXPECT_EQ(ServingPortFromLog(""), 0);
  const std::string line = ServingLine("127.0.0.1:0", 7443).Text(kNow);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(ServingPortFromLog(line.substr(0, line.size() - 1)), 0);
  // Cut inside the number: "74" must not be taken for the port.
  EXPECT_EQ(ServingPortFromLog(line.substr(0, line.find("7443") + 2)), 0);
  EXPECT_EQ(ServingPortFromLog(line), 7443);
}

TEST(ServingLineTest, AValueCannotForgeTheLine) {
  // A field's value is escaped, so text a caller controls cannot pose as the serving line.
  const std::string log =
      LogLine("warning", "refused")
          .Str("detail", "\"msg\":\"registryd serving\",\"port\":1234")
          .Text(kNow);
  EXPECT_EQ(ServingPortFromLog(log), 0);
}

TEST(FindLogLineTest, MatchesTheWholeMessageOnly) {
  const std::string log = absl::StrCat(LogLine("info", "retention run finished later").Text(kNow),
                                       LogLine("info", "retention run").Text(kNow),
                                       LogLine("info", "retention run finished").Int("expunged", 3)
                                           .Text(kNow));
  const absl::string_view line = FindLogLine(log, "retention run finished");
  EXPECT_NE(line.find("\"expunged\":3"), absl::string_view::npos) << line;
  EXPECT_EQ(FindLogLine(log, "retention"), "");
  // A message with no fields after it is found as well.
  EXPECT_NE(FindLogLine(log, "retention run"), "");
}

}  // namespace
}  // namespace registry
