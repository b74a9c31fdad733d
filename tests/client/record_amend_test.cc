// registry-cli record amend against a real registryd: a list given with --set is the whole list,
// so an amendment that takes a name off the record (an alias left out, a surname replaced, not
// one respelt as the registry compares names) names it and what removes it and asks before it
// is sent, and says after which went, in the text and with --json; a court or an offence
// outside the tables is refused before anything is sent, with the values to choose from, as
// `record create` refuses it.
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli.h"
#include "client/cli_output.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
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
using ::testing::StartsWith;

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

  // A patch file for --file holding `json`; its path.
  std::string Patch(const std::string& name, const std::string& json) {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << json;
    return path;
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

// A surname replaced, or a patch file's aliases, were refused with "a list given with --set
// alias is the whole list": advice about an option the clerk had not typed.
TEST_F(RecordAmendTest, ARefusalSaysWhatTheClerkTypedThatRemovesTheNamesAndHowToGoOn) {
  const std::string id = CreateWithAlias();

  const CliRun surname =
      Clerk({"record", "amend", id, "--set", "surname=Gashi", "--reason", "married"},
            std::nullopt, /*terminal=*/false);
  EXPECT_EQ(surname.code, kExitUsage);
  EXPECT_THAT(Flowed(surname.err),
              HasSubstr("removes the surname (not kept as an alias) of the record (registry-cli "
                        "record get ID shows the record): --set surname replaces the surname (to "
                        "keep the former one as an alias, add --set alias=NAME for it and for "
                        "each alias to keep)."));
  EXPECT_THAT(Flowed(surname.err), Not(HasSubstr("--set alias is the whole list")));
  EXPECT_THAT(Flowed(surname.err), HasSubstr("add --yes"));

  const std::string aliases = Patch("aliases.json", R"({"person": {"aliases": ["Hoxha"]}})");
  const std::vector<std::string> from_file = {"record", "amend", id, "--file", aliases,
                                              "--reason", "second married name added"};
  const CliRun file = Clerk(from_file, std::nullopt, /*terminal=*/false);
  EXPECT_EQ(file.code, kExitUsage);
  EXPECT_THAT(Flowed(file.err),
              HasSubstr(absl::StrCat("removes alias #1 of the record (registry-cli record get "
                                     "ID shows the record): the aliases of ",
                                     aliases,
                                     " (person.aliases) are the whole list (list each alias "
                                     "to keep).")));
  EXPECT_THAT(file.err, Not(HasSubstr("--set alias")));
  EXPECT_THAT(file.err, Not(HasSubstr("--set surname")));
  EXPECT_THAT(Flowed(file.err), HasSubstr("add --yes"));
  // The question on a terminal names the file too.
  const CliRun asked = Clerk(from_file, "no\n");
  EXPECT_EQ(asked.code, 1);
  EXPECT_THAT(Flowed(asked.err),
              HasSubstr(absl::StrCat("It removes the alias Berisha: the aliases of ", aliases,
                                     " (person.aliases) are the whole list")));
  EXPECT_THAT(asked.err, Not(HasSubstr("--set alias")));
  EXPECT_THAT(asked.err, Not(HasSubstr("--set surname")));

  const std::string renamed = Patch("surname.json", R"({"person": {"surname": "Gashi"}})");
  const CliRun file_surname =
      Clerk({"record", "amend", id, "--file", renamed, "--reason", "married"}, std::nullopt,
            /*terminal=*/false);
  EXPECT_EQ(file_surname.code, kExitUsage);
  EXPECT_THAT(Flowed(file_surname.err),
              HasSubstr(absl::StrCat("the surname of ", renamed,
                                     " (person.surname) replaces the record's (to keep the "
                                     "former one, list it in person.aliases with each alias "
                                     "to keep).")));
  EXPECT_THAT(file_surname.err, Not(HasSubstr("--set alias")));
  EXPECT_THAT(file_surname.err, Not(HasSubstr("--set surname")));
  EXPECT_THAT(Flowed(file_surname.err), HasSubstr("add --yes"));

  // Both by --set: each named by its option.
  const CliRun both = Clerk({"record", "amend", id, "--set", "surname=Gashi", "--set",
                             "alias=Hoxha", "--reason", "married"},
                            std::nullopt, /*terminal=*/false, /*json=*/true);
  EXPECT_EQ(both.code, kExitUsage);
  EXPECT_THAT(Flowed(both.err), HasSubstr("removes alias #1 and the surname (not kept as an "
                                          "alias)"));
  EXPECT_THAT(Flowed(both.err), HasSubstr("a list given with --set alias is the whole list"));
  EXPECT_THAT(Flowed(both.err), HasSubstr("--set surname replaces the surname"));
  EXPECT_THAT(Flowed(both.err), HasSubstr("add --yes"));
  EXPECT_EQ(Get(id).metadata().version(), 1u);
}

// Berisha given again as BERISHA was asked about, and refused in a script, as a removal: the
// registry finds the record under either spelling (storage/name_normalizer.h).
TEST_F(RecordAmendTest, ANameRespeltInAnotherCaseOrWithoutItsAccentsIsNotAskedAboutAsARemoval) {
  const std::string id = CreateWithAlias();
  const CliRun upper = Clerk({"record", "amend", id, "--set", "alias=BERISHA", "--reason",
                              "alias as on the passport"},
                             std::nullopt, /*terminal=*/false);
  ASSERT_EQ(upper.code, 0) << upper.err;
  EXPECT_EQ(upper.err, "");
  EXPECT_EQ(upper.out,
            absl::StrCat("record ", id, " amended: now version 2 (changed 1 field: alias)\n"));
  EXPECT_THAT(Aliases(id), ElementsAre("BERISHA"));

  // The accents too, and the surname: the registry compares Bërisha as Berisha.
  const CliRun accents = Clerk({"record", "amend", id, "--set", "alias=Bërisha", "--set",
                                "surname=KRASNIQI", "--reason", "names as on the passport"},
                               std::nullopt, /*terminal=*/false);
  ASSERT_EQ(accents.code, 0) << accents.err;
  EXPECT_EQ(accents.err, "");
  EXPECT_THAT(accents.out, Not(HasSubstr("removed")));
  EXPECT_THAT(accents.out, Not(HasSubstr("replaced")));
  EXPECT_THAT(Aliases(id), ElementsAre("Bërisha"));
  EXPECT_EQ(Get(id).person().surname(), "KRASNIQI");

  // Another name still is a removal.
  const CliRun other = Clerk({"record", "amend", id, "--set", "alias=Berishaj", "--reason",
                              "alias as on the passport"},
                             std::nullopt, /*terminal=*/false);
  EXPECT_EQ(other.code, kExitUsage);
  EXPECT_THAT(Flowed(other.err), HasSubstr("this amendment removes alias #1 of the record"));
}

// The text said "alias removed: Berisha"; --json said nothing of it.
TEST_F(RecordAmendTest, TheJsonAnswerListsTheNamesRemovedAsTheTextDoes) {
  const std::string id = CreateWithAlias();
  const CliRun run = Clerk({"record", "amend", id, "--set", "surname=Gashi", "--set",
                            "alias=Hoxha", "--reason", "married", "--yes"},
                           std::nullopt, /*terminal=*/false, /*json=*/true);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  RecordAmended amended;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, &amended).ok()) << run.out;
  EXPECT_EQ(amended.record_id(), id);
  EXPECT_EQ(amended.version(), 2u);
  EXPECT_THAT(amended.changed_paths(),
              ::testing::UnorderedElementsAre("person.surname", "person.aliases"));
  EXPECT_THAT(amended.removed_aliases(), ElementsAre("Berisha"));
  ASSERT_TRUE(amended.has_replaced_surname());
  EXPECT_EQ(amended.replaced_surname(), "Krasniqi");
  // Under the proto's names, as every --json answer.
  EXPECT_THAT(run.out, HasSubstr("\"removed_aliases\":[\"Berisha\"]"));
  EXPECT_THAT(run.out, HasSubstr("\"replaced_surname\":\"Krasniqi\""));

  // Nothing removed: an empty list, and no surname.
  const CliRun kept = Clerk({"record", "amend", id, "--set", "alias=Hoxha", "--set",
                             "alias=Krasniqi", "--reason", "former surname kept"},
                            std::nullopt, /*terminal=*/false, /*json=*/true);
  ASSERT_EQ(kept.code, 0) << kept.err;
  EXPECT_THAT(kept.out, HasSubstr("\"removed_aliases\":[]"));
  EXPECT_THAT(kept.out, Not(HasSubstr("replaced_surname")));
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
              HasSubstr("--set court: not a court of the registry (did you mean "
                        "\"basic-prishtine\"?); choose one of: "));
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
                                            "conviction.court_id: not a court of the registry "
                                            "(did you mean \"basic-prishtine\"?); "
                                            "choose one of: ")));
  for (const std::string& action : ActionsSince(before)) EXPECT_NE(action, "AmendRecord");
  EXPECT_EQ(Get(id).metadata().version(), 1u);

  // A court of the tables goes through.
  const CliRun good =
      Clerk({"record", "amend", id, "--set", "court=basic-prishtine", "--reason", "typo"});
  EXPECT_EQ(good.code, 0) << good.err;
}

// "--set address X" (the "=" forgotten) was "not FIELD=VALUE with a record field", listing the
// fields with address among them; and a court a letter short of one was refused with the whole
// list and no "did you mean".
TEST_F(RecordAmendTest, AFieldWithoutItsValueSaysTheValueIsMissingAndACourtNearOneIsNamed) {
  const std::string id = CreateWithAlias();
  const uint64_t before = LogSize();
  const CliRun no_value =
      Clerk({"record", "amend", id, "--set", "address", "Rr. 1", "--reason", "moved"});
  EXPECT_EQ(no_value.code, kExitUsage);
  EXPECT_THAT(no_value.err, StartsWith("error: INVALID_ARGUMENT: --set address: no value: write "
                                       "--set address=VALUE\n"));
  EXPECT_THAT(no_value.err, Not(HasSubstr("not FIELD=VALUE")));

  const CliRun court =
      Clerk({"record", "amend", id, "--set", "court=basic-prizen", "--reason", "typo"});
  EXPECT_EQ(court.code, kExitUsage);
  EXPECT_THAT(Flowed(court.err), HasSubstr("--set court: not a court of the registry (did you "
                                           "mean \"basic-prizren\"?); choose one of: "));

  const CliRun patch = Clerk({"record", "amend", id, "--file",
                              Patch("p.json", R"({"last_known_address": "Rr. 1"})"), "--reason",
                              "moved"});
  EXPECT_EQ(patch.code, kExitUsage);
  EXPECT_THAT(Flowed(patch.err), HasSubstr("unknown field in the patch: last_known_address (did "
                                           "you mean person.last_known_address?)"));
  for (const std::string& action : ActionsSince(before)) EXPECT_NE(action, "AmendRecord");
  EXPECT_EQ(Get(id).metadata().version(), 1u);
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

// An amendment that moved a record onto another's court and personal number was refused naming
// the API's paths ("conviction.court_id, person.personal_number: another record ..."), where a
// clash of one field names the option: both are named by their options.
TEST_F(RecordAmendTest, AClashOfTwoFieldsNamesBothByTheirOptions) {
  CreateWithAlias();
  const CliRun other = Clerk(
      {"record", "create", "--surname", "Gashi", "--given-name", "Arben", "--sex", "male",
       "--birth-date", "1980-04-05", "--personal-number", "1000000124", "--court",
       "basic-prishtine", "--case-number", "P 88/2025", "--judgment-date", "2025-03-03",
       "--final-date", "2025-06-01", "--offence", "06/L-074:230:1", "--sentence",
       "imprisonment", "--months", "18"});
  ASSERT_EQ(other.code, 0) << other.err;
  const std::string id(absl::StripAsciiWhitespace(other.out));
  const CliRun clash =
      Clerk({"record", "amend", id, "--set", "court=basic-prizren", "--set",
             "personal-number=1000000123", "--reason", "court and number typed wrong"});
  EXPECT_NE(clash.code, 0);
  EXPECT_THAT(clash.err, HasSubstr("--set court, --set personal-number: another record has this "
                                   "court, case number and personal number"));
  EXPECT_THAT(clash.err, Not(HasSubstr("conviction.court_id")));
}

}  // namespace
}  // namespace registry::client
