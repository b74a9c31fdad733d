// What registry-cli prints on standard output for people, on a terminal narrower or wider: a
// record (record get, record search) and the audit list are laid out for its width, so that the
// terminal breaks no id, identity or column mid-word; in a file, a pipe or with --json the
// output is what it was, whatever the width.
#include <filesystem>
#include <sstream>
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
using ::registry::testing::Flowed;
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

  // `command` as `identity` read by a person: standard output and standard error on terminals
  // `columns` wide (COLUMNS too, as main sees it), `answers` typed on the terminal it reads.
  CliRun AtTerminal(const std::string& identity, const std::vector<std::string>& command,
                    size_t columns, const std::string& answers = "") {
    const std::string width = std::to_string(columns);
    const EnvLookup env = [width](absl::string_view name) -> std::optional<std::string> {
      if (name == "COLUMNS") return width;
      return std::nullopt;
    };
    std::istringstream in(answers);
    std::ostringstream out, err;
    CliStreams streams;
    streams.in = &in;
    streams.in_is_terminal = true;
    streams.out = &out;
    streams.out_is_terminal = true;
    streams.err = &err;
    streams.err_is_terminal = true;
    SetTextColumns(columns);
    const int code = RunCli(CliArgsAs(server_->address(), identity, command), env, streams);
    SetTextColumns(kStandardColumns);
    return {code, out.str(), err.str()};
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

// The line after a usage error that says where to read the options broke mid-word on a narrow
// terminal: it is wrapped as the usage line before it is.
TEST_F(NarrowTerminalTest, TheHintAfterAUsageErrorIsWrappedToTheTerminal) {
  const CliRun narrow = AtTerminal("clerk", {"record", "get", "--bogus"}, 40);
  EXPECT_EQ(narrow.code, kExitUsage);
  EXPECT_THAT(TooWide(narrow.err, 40), ::testing::IsEmpty()) << narrow.err;
  EXPECT_THAT(Flowed(narrow.err),
              HasSubstr("run 'registry-cli record get --help' for its options"));
  const CliRun group = AtTerminal("clerk", {"record", "gte"}, 40);
  EXPECT_EQ(group.code, kExitUsage);
  EXPECT_THAT(TooWide(group.err, 40), ::testing::IsEmpty()) << group.err;
  EXPECT_THAT(Flowed(group.err), HasSubstr("run 'registry-cli record --help' for its commands"));
  // On 80 columns, one line as before.
  const CliRun wide = AtTerminal("clerk", {"record", "get", "--bogus"}, 80);
  EXPECT_THAT(wide.err, HasSubstr("\nrun 'registry-cli record get --help' for its options\n"));
}

// A REFER's last lines (the check id to quote, and not to decide before the registry answers)
// were printed as they were written: a 40-column terminal broke them mid-word.
TEST_F(NarrowTerminalTest, AReferSaysWhatToDoWithinTheTerminal) {
  CreateExample();
  const std::vector<std::string> check = {
      "vet",          "check",      "--personal-number", "1234567890", "--surname", "Kërqeli",
      "--given-name", "Artan",      "--birth-date",      "1980-04-12", "--position", "teacher",
      "--consent-ref", "CONSENT-1"};
  const CliRun narrow = AtTerminal("vetting", check, 40);
  ASSERT_EQ(narrow.code, 0) << narrow.err;
  EXPECT_THAT(TooWide(narrow.out, 40), ::testing::IsEmpty()) << narrow.out;
  EXPECT_THAT(Flowed(narrow.out),
              HasSubstr("Do not decide on the candidate before the registry answers."));
  // The check id, and the other values, whole on a line of their own.
  const std::vector<std::string> lines = absl::StrSplit(narrow.out, '\n');
  ASSERT_GE(lines.size(), 3u) << narrow.out;
  EXPECT_EQ(lines[1], "check id:");
  const std::string id(absl::StripPrefix(lines[2], "  "));
  ASSERT_EQ(id.size(), 32u) << narrow.out;
  EXPECT_THAT(narrow.out, HasSubstr(absl::StrCat("  quoting check id\n  ", id, ".\n")));
  EXPECT_THAT(narrow.out, HasSubstr("certificate valid until:\n  "));
}

// A no at "Enter this record?" ends with where the answers were kept: a line of some 170
// columns, printed as it was made.
TEST_F(NarrowTerminalTest, AnInteractiveNoSaysWhereTheAnswersAreKeptWithinTheTerminal) {
  const std::string answers = absl::StrCat(
      "Krasniqi\nDriton\n\n\nmale\n1975-02-03\n\n\n1000000123\n\n",
      "2\nP 88/2025\n2025-03-03\n2025-06-01\n3\n\nimprisonment\n18\n",
      "work_with_children:none\n\n\n\n",
      "no\n");
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  const CliRun no = AtTerminal("clerk", {"record", "create", "--interactive"}, 40, answers);
  std::filesystem::current_path(before);
  EXPECT_EQ(no.code, kExitError) << no.err;
  const std::string closing = no.err.substr(no.err.rfind("not entered: you answered no"));
  EXPECT_THAT(TooWide(closing, 40), ::testing::IsEmpty()) << closing;
  EXPECT_THAT(Flowed(closing), HasSubstr("your answers are kept in record-"));
  EXPECT_THAT(Flowed(closing), HasSubstr("then delete the file"));
}

}  // namespace
}  // namespace registry::client
