// What registry-cli prints on standard output for people, on a terminal narrower or wider: a
// record (record get, record search) and the audit list are laid out for its width, so that the
// terminal breaks no id, identity or column mid-word; in a file, a pipe or with --json the
// output is what it was, whatever the width.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/record_cli_fixture.h"
#include "tests/testing/cli_run.h"

namespace registry::client {
namespace {

using ::registry::testing::CliArgsAs;
using ::registry::testing::CliRun;
using ::registry::testing::RunCliOnTerminal;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The words of `text`, in order: what a layout may not change, break or lose.
std::vector<std::string> Words(const std::string& text) {
  return absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty());
}

// Each line of `text` that is wider than `width` columns (code points) and holds more than one
// word: a line the terminal would break though it need not.
std::vector<std::string> TooWide(const std::string& text, size_t width) {
  std::vector<std::string> wide;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    size_t columns = 0;
    for (char c : line) columns += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
    if (columns > width && Words(std::string(line)).size() > 1) wide.emplace_back(line);
  }
  return wide;
}

class NarrowTerminalTest : public testing::RecordCliTest {
 protected:
  NarrowTerminalTest() : RecordCliTest("narrow-terminal-test") {}

  std::string CreateExample() {
    const CliRun run = As("clerk", {"record", "create", "--file",
                                    REGISTRY_SOURCE_DIR "/deploy/examples/record.json"});
    EXPECT_EQ(run.code, 0) << run.err;
    return std::string(absl::StripAsciiWhitespace(run.out));
  }

  CliRun OnTerminal(const std::string& identity, const std::vector<std::string>& command,
                    size_t columns, bool json = false) {
    return RunCliOnTerminal(CliArgsAs(server_->address(), identity, command, json), columns);
  }
};

// The record's values wrap at the terminal's width, after their labels at 40 columns and under
// the column of values at 80; its id and the clerk's identity stand whole on a line. Nothing is
// lost or changed: the same words in the same order as in a file.
TEST_F(NarrowTerminalTest, ARecordIsLaidOutForTheTerminalWithoutBreakingAWord) {
  const std::string id = CreateExample();
  const std::string number = Get(id).person().personal_number();
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"record", "get", id},
        std::vector<std::string>{"record", "search", "--personal-number", number}}) {
    SCOPED_TRACE(command[1]);
    const CliRun piped = As("clerk", command);
    ASSERT_EQ(piped.code, 0) << piped.err;
    ASSERT_THAT(piped.out, HasSubstr(absl::StrCat("Record:                      ", id, "\n")));
    for (size_t columns : {40, 80}) {
      SCOPED_TRACE(columns);
      const CliRun shown = OnTerminal("clerk", command, columns);
      ASSERT_EQ(shown.code, 0) << shown.err;
      EXPECT_THAT(TooWide(shown.out, columns), ::testing::IsEmpty()) << shown.out;
      EXPECT_EQ(Words(shown.out), Words(piped.out)) << shown.out;
      EXPECT_THAT(shown.out, HasSubstr(columns == 40
                                           ? absl::StrCat("Record: ", id, "\n")
                                           : absl::StrCat("Record:                      ", id,
                                                          "\n")));
      // --json is for scripts, whatever runs them.
      const CliRun json = OnTerminal("clerk", command, columns, /*json=*/true);
      EXPECT_EQ(json.out, As("clerk", command, std::nullopt, true, /*json=*/true).out);
    }
    // The identity that made the record, on a line of its own at 40 columns.
    const CliRun narrow = OnTerminal("clerk", command, 40);
    const std::string created = piped.out.substr(piped.out.find("Created:"));
    const std::string who = Words(created.substr(0, created.find('\n'))).back();
    ASSERT_THAT(who, StartsWith("spiffe://"));
    EXPECT_THAT(narrow.out, HasSubstr(absl::StrCat(" by\n", who, "\n"))) << narrow.out;
  }
}

// The audit table is 80 columns wide: on a narrower terminal each event is a block of
// "Label: value" lines, its identities and ids whole; at 80 columns it is the table, as in a
// file. With --json, the same lines as in a file.
TEST_F(NarrowTerminalTest, TheAuditListIsOneBlockPerEventWhereTheTableDoesNotFit) {
  CreateExample();
  const std::vector<std::string> list = {"audit", "list", "--all"};
  const CliRun piped = As("auditor", list);
  const CliRun piped_json = As("auditor", list, std::nullopt, true, /*json=*/true);
  ASSERT_EQ(piped.code, 0) << piped.err;
  ASSERT_THAT(piped.out, StartsWith("SEQ   TIME"));

  const CliRun narrow = OnTerminal("auditor", list, 40);
  ASSERT_EQ(narrow.code, 0) << narrow.err;
  EXPECT_THAT(narrow.out, StartsWith("Event:     0\nTime:      "));
  EXPECT_THAT(narrow.out, Not(HasSubstr("SEQ")));
  EXPECT_THAT(TooWide(narrow.out, 40), ::testing::IsEmpty()) << narrow.out;
  EXPECT_THAT(narrow.out, HasSubstr("\n\nEvent:     1\n"));
  EXPECT_THAT(narrow.out, HasSubstr("\nMethod:    CreateRecord\nOutcome:   OK\nBy:\n"));
  // Every word of the table's details (identities, record ids, references) is in the blocks.
  const std::vector<std::string> blocks = Words(narrow.out);
  for (const std::string& word : Words(piped.out)) {
    if (absl::StartsWith(word, "spiffe://") || word.size() == 32) {
      EXPECT_THAT(blocks, ::testing::Contains(word));
    }
  }

  // At 80 columns the table, as in a file: the events listed then, and the later lists' own.
  const CliRun wide = OnTerminal("auditor", list, 80);
  ASSERT_EQ(wide.code, 0) << wide.err;
  EXPECT_THAT(wide.out, StartsWith(piped.out));
  EXPECT_THAT(OnTerminal("auditor", list, 40, /*json=*/true).out, StartsWith(piped_json.out));
}

}  // namespace
}  // namespace registry::client
