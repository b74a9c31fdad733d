// registry-cli record amend against a real registryd: a list given with --set is the whole list,
// so an amendment that takes a name off the record (an alias left out, a surname replaced) names
// it and asks before it is sent, and says after which went; a court or an offence outside the
// tables is refused before anything is sent, with the values to choose from, as `record create`
// refuses it.
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.pb.h"
#include "tests/client/record_cli_fixture.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::client {
namespace {

using ::registry::testing::CliRun;
using ::registry::testing::Flowed;
using ::registry::testing::RunCliCaptured;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class RecordAmendTest : public testing::RecordCliTest {
 protected:
  RecordAmendTest() : RecordCliTest("record-amend-test") {}

  // registry-cli as the clerk; `input` typed on a terminal when given, unless `terminal` is
  // false (piped, as a script runs it).
  CliRun Clerk(const std::vector<std::string>& command,
               std::optional<std::string> input = std::nullopt, bool terminal = true,
               bool json = false) {
    return As("clerk", command, std::move(input), terminal, json);
  }

  // A record of a fictional person, Driton Krasniqi, with the alias Berisha; its id.
  std::string CreateWithAlias() {
    const CliRun run = Clerk(
        {"record", "create", "--surname", "Krasniqi", "--given-name", "Driton", "--alias",
         "Berisha", "--sex", "male", "--birth-date", "1975-02-03", "--personal-number",
         "1000000123", "--court", "basic-prizren", "--case-number", "P 88/2025",
         "--judgment-date", "2025-03-03", "--final-date", "2025-06-01", "--offence",
         "06/L-074:230:1", "--sentence", "imprisonment", "--months", "18", "--citizenship",
         "xk", "--address", "Rr. Remzi Ademaj 3, Prizren"});
    EXPECT_EQ(run.code, 0) << run.err;
    return std::string(absl::StripAsciiWhitespace(run.out));
  }

  std::vector<std::string> Aliases(const std::string& id) {
    const v1::Record record = Get(id);
    return {record.person().aliases().begin(), record.person().aliases().end()};
  }
};

// A KJC clerk typed --set alias=Krasniqi to add a second married name: Berisha went silently,
// and with it the link to the person's conviction under Berisha.
TEST_F(RecordAmendTest, AnAliasLeftOutOfTheListIsNamedAndAskedAboutOnATerminal) {
  const std::string id = CreateWithAlias();
  const std::vector<std::string> amend = {"record", "amend", id, "--set", "alias=Hoxha",
                                          "--reason", "second married name added"};

  const CliRun declined = Clerk(amend, "no\n");
  EXPECT_EQ(declined.code, 1);
  EXPECT_THAT(declined.err, HasSubstr("Amend the record of Driton Krasniqi, born 1975, case "
                                      "P 88/2025 (Basic Court of\nPrizren)?\n"));
  EXPECT_THAT(Flowed(declined.err), HasSubstr("It removes the alias Berisha: a list given with "
                                              "--set alias is the whole list"));
  EXPECT_THAT(declined.err, HasSubstr("Type yes to amend it: not amended: the answer was not "
                                      "yes\n"));
  EXPECT_THAT(Aliases(id), ElementsAre("Berisha"));
  EXPECT_EQ(Get(id).metadata().version(), 1u);

  const CliRun confirmed = Clerk(amend, "yes\n");
  ASSERT_EQ(confirmed.code, 0) << confirmed.err;
  EXPECT_EQ(confirmed.out, absl::StrCat("record ", id,
                                        " amended: now version 2 (changed 1 field: alias)\n"
                                        "alias removed: Berisha\n"));
  EXPECT_THAT(Aliases(id), ElementsAre("Hoxha"));
}

TEST_F(RecordAmendTest, AnAmendmentThatRemovesANameIsRefusedWhenNobodyCanBeAskedUnlessYes) {
  const std::string id = CreateWithAlias();
  const std::vector<std::string> amend = {"record", "amend", id, "--set", "alias=Hoxha",
                                          "--reason", "second married name added"};

  // Piped, as a script runs it: nobody to ask, so nothing is changed.
  const uint64_t before = LogSize();
  const CliRun piped = Clerk(amend, "yes\n", /*terminal=*/false);
  EXPECT_EQ(piped.code, kExitUsage);
  EXPECT_THAT(Flowed(piped.err), HasSubstr("this amendment removes alias #1 of the record"));
  EXPECT_THAT(Flowed(piped.err), HasSubstr("add --yes"));
  // The names by their place only: an error is pasted and logged where the record is not.
  EXPECT_THAT(piped.err, Not(HasSubstr("Berisha")));
  EXPECT_THAT(piped.err, Not(HasSubstr("Hoxha")));
  EXPECT_EQ(ActionsSince(before), std::vector<std::string>{"GetRecord"});

  // --json is for scripts, and asks nobody either.
  const CliRun json = Clerk(amend, "yes\n", /*terminal=*/true, /*json=*/true);
  EXPECT_EQ(json.code, kExitUsage);
  EXPECT_THAT(Flowed(json.err), HasSubstr("--json asks no question"));
  EXPECT_THAT(json.err, Not(HasSubstr("Berisha")));
  EXPECT_THAT(Aliases(id), ElementsAre("Berisha"));

  std::vector<std::string> yes = amend;
  yes.push_back("--yes");
  const CliRun scripted = Clerk(yes, std::nullopt, /*terminal=*/false);
  ASSERT_EQ(scripted.code, 0) << scripted.err;
  EXPECT_THAT(scripted.out, HasSubstr("alias removed: Berisha\n"));
  EXPECT_THAT(Aliases(id), ElementsAre("Hoxha"));
}

TEST_F(RecordAmendTest, AListThatKeepsEveryNameIsSentWithoutAQuestion) {
  const std::string id = CreateWithAlias();
  const CliRun run = Clerk({"record", "amend", id, "--set", "alias=Berisha", "--set",
                            "alias=Hoxha", "--reason", "second married name added"},
                           std::nullopt, /*terminal=*/false);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_THAT(run.out, Not(HasSubstr("removed")));
  EXPECT_THAT(Aliases(id), ElementsAre("Berisha", "Hoxha"));
}

TEST_F(RecordAmendTest, ASurnameReplacedIsAskedAboutUnlessItIsKeptAsAnAlias) {
  const std::string id = CreateWithAlias();
  const CliRun replaced =
      Clerk({"record", "amend", id, "--set", "surname=Gashi", "--reason", "married"},
            std::nullopt, /*terminal=*/false);
  EXPECT_EQ(replaced.code, kExitUsage);
  EXPECT_THAT(Flowed(replaced.err), HasSubstr("removes the surname (not kept as an alias)"));
  EXPECT_THAT(replaced.err, Not(HasSubstr("Krasniqi")));
  EXPECT_EQ(Get(id).person().surname(), "Krasniqi");

  const CliRun confirmed =
      Clerk({"record", "amend", id, "--set", "surname=Gashi", "--reason", "married"}, "yes\n");
  ASSERT_EQ(confirmed.code, 0) << confirmed.err;
  EXPECT_THAT(Flowed(confirmed.err), HasSubstr("It removes the surname Krasniqi"));
  EXPECT_THAT(confirmed.out, HasSubstr("surname replaced: Krasniqi\n"));

  // The former surname kept as an alias: the record is still found under it.
  const CliRun kept = Clerk({"record", "amend", id, "--set", "surname=Hoxha", "--set",
                             "alias=Berisha", "--set", "alias=Gashi", "--reason", "married"},
                            std::nullopt, /*terminal=*/false);
  ASSERT_EQ(kept.code, 0) << kept.err;
  EXPECT_THAT(kept.out, Not(HasSubstr("replaced")));
  EXPECT_EQ(Get(id).person().surname(), "Hoxha");
}

// create listed the courts and offences for the same mistakes; amend said only "not in the court
// table".
TEST_F(RecordAmendTest, ACourtOrOffenceOutsideTheTablesIsRefusedWithTheChoicesBeforeSending) {
  const std::string id = CreateWithAlias();
  const uint64_t before = LogSize();
  const CliRun court =
      Clerk({"record", "amend", id, "--set", "court=basic-pristina", "--reason", "typo"});
  EXPECT_EQ(court.code, kExitUsage);
  EXPECT_THAT(Flowed(court.err),
              HasSubstr("--set court: not a court of the registry; choose one of: "));
  EXPECT_THAT(court.err, HasSubstr("basic-prishtine"));

  const CliRun offence =
      Clerk({"record", "amend", id, "--set", "offence=06/L-074:230:1", "--set",
             "offence=06/L-074:999:0", "--reason", "typo"});
  EXPECT_EQ(offence.code, kExitUsage);
  EXPECT_THAT(Flowed(offence.err),
              HasSubstr("--set offence #2: not in the offence table; choose one of: "));
  EXPECT_THAT(offence.err, HasSubstr("06/L-074:230:0"));
  EXPECT_THAT(Flowed(offence.err), Not(HasSubstr("--set offence #1")));

  const std::string patch = dir_ + "/fix.json";
  std::ofstream(patch) << R"({"conviction": {"court_id": "basic-pristina"}})";
  const CliRun file = Clerk({"record", "amend", id, "--file", patch, "--reason", "typo"});
  EXPECT_EQ(file.code, kExitUsage);
  EXPECT_THAT(Flowed(file.err),
              HasSubstr(absl::StrCat(patch, ": the patch does not fit the record: "
                                            "conviction.court_id: not a court of the registry; "
                                            "choose one of: ")));
  for (const std::string& action : ActionsSince(before)) EXPECT_NE(action, "AmendRecord");
  EXPECT_EQ(Get(id).metadata().version(), 1u);

  // A court of the tables goes through.
  const CliRun good =
      Clerk({"record", "amend", id, "--set", "court=basic-prishtine", "--reason", "typo"});
  EXPECT_EQ(good.code, 0) << good.err;
}

TEST_F(RecordAmendTest, TheHelpSaysAListIsGivenWholeAndHowToRemoveIt) {
  const CliRun help = RunCliCaptured({"record", "amend", "--help"});
  EXPECT_EQ(help.code, 0) << help.err;
  EXPECT_THAT(Flowed(help.out),
              HasSubstr("--set alias=X replaces every alias, so repeat it for each one to keep"));
  EXPECT_THAT(Flowed(help.out), HasSubstr("--set alias= removes them all"));
  EXPECT_THAT(Flowed(help.out), HasSubstr("--yes do not ask for confirmation when the "
                                          "amendment removes a name"));
}

}  // namespace
}  // namespace registry::client
