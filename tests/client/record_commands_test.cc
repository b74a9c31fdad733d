// registry-cli as clerks, courts and employers use it, against a real registryd: records entered
// from options, questions or a template, every problem named at once by the option to fix;
// corrections with --set, refused when they change nothing; histories that show what changed;
// an expunge that shows whose record it is and asks; refusals that list the values that would
// be taken (purpose codes, position categories); help that lists them too; and a REFER that says
// whom to contact.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/cli.h"
#include "client/files.h"
#include "client/record_fields.h"
#include "client/terminal_text.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "server/record_validation.h"
#include "tests/client/record_cli_fixture.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/clients.h"
#include "tests/testing/principals.h"
#include "tests/testing/terminal_run.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::client {
namespace {

using ::registry::testing::CliArgsAs;
using ::registry::testing::CliInput;
using ::registry::testing::CliRun;
using ::registry::testing::Flowed;
using ::registry::testing::kClerkId;
using ::registry::testing::kVettingId;
using ::registry::testing::RunCliCaptured;
using ::registry::testing::TerminalRun;
using ::testing::Contains;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Options that make a whole, valid record of a fictional person.
std::vector<std::string> RecordOptions() {
  return {"--surname",
          "Krasniqi",
          "--given-name",
          "Driton",
          "--sex",
          "male",
          "--birth-date",
          "1975-02-03",
          "--personal-number",
          "1000000123",
          "--court",
          "basic-prizren",
          "--case-number",
          "P 88/2025",
          "--judgment-date",
          "2025-03-03",
          "--final-date",
          "2025-06-01",
          "--offence",
          "06/L-074:229:0",
          "--offence",
          "06/L-074:230:1",
          "--sentence",
          "imprisonment",
          "--months",
          "18",
          "--ban",
          "work_with_children:none",
          "--ban",
          "contact_with_victim:2030-01-01",
          "--citizenship",
          "xk",
          "--address",
          "Rr. Remzi Ademaj 3, Prizren"};
}

// Reads the lines of deploy/examples/import.csv in order into those given: its header, its first
// row (Berisha's conviction), its second (Gashi's); false when the file is short.
bool ReadExampleImport(std::string* header, std::string* berisha = nullptr,
                       std::string* gashi = nullptr) {
  std::ifstream example(REGISTRY_SOURCE_DIR "/deploy/examples/import.csv");
  for (std::string* line : {header, berisha, gashi}) {
    if (line == nullptr) break;
    if (!std::getline(example, *line)) return false;
  }
  return true;
}

// The `vet check` of Arben Kërqeli (1234567890, born 1980-04-12) for `position`, with the
// consent CONSENT-1, then the options `more`.
std::vector<std::string> CheckOfArben(const std::string& position,
                                      const std::vector<std::string>& more = {}) {
  std::vector<std::string> command = {"vet", "check", "--personal-number", "1234567890",
                                      "--surname", "Kërqeli", "--given-name", "Arben",
                                      "--birth-date", "1980-04-12", "--position", position,
                                      "--consent-ref", "CONSENT-1"};
  command.insert(command.end(), more.begin(), more.end());
  return command;
}

// Expects `run` (a vet check) refused for its --position, which names no category of the
// organisation, without `typed` (what was given for it: it may be a person's name) in the error.
void ExpectRefusedAsNoPositionCategory(const CliRun& run, const std::string& typed) {
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.err, StartsWith("error: FAILED_PRECONDITION: --position: not one of the "
                                  "position categories of your organisation\n"));
  EXPECT_THAT(run.err, Not(HasSubstr(typed)));
}

// Expects both `first` and `second` in `text`, `first` before `second`.
void ExpectInThisOrder(const std::string& text, const std::string& first,
                       const std::string& second) {
  const size_t at_first = text.find(first);
  const size_t at_second = text.find(second);
  ASSERT_NE(at_first, std::string::npos) << text;
  ASSERT_NE(at_second, std::string::npos) << text;
  EXPECT_LT(at_first, at_second) << text;
}

// The audit actions of a record create refused before sending: the questions for the caller
// and the tables, and the registry's dry-run check of the record (an import that stores
// nothing), never CreateRecord.
::testing::Matcher<std::vector<std::string>> OnlyReadsAndACheck() {
  return ::testing::AllOf(
      Contains("ImportRecords"),
      ::testing::Each(::testing::AnyOf("WhoAmI", "GetReferenceData", "ImportRecords")));
}

// The answers to the conviction's questions of `record create --interactive`, in the order
// asked: court 2 (basic-prizren), case `case_number`, judged and final on the dates given,
// offence 3 and no other, 18 months' imprisonment, barred from work with children, and Enter at
// the questions after it.
std::string ConvictionAnswers(absl::string_view case_number,
                              absl::string_view judgment_date = "2025-03-03",
                              absl::string_view final_date = "2025-06-01") {
  return absl::StrCat("2\n", case_number, "\n", judgment_date, "\n", final_date,
                      "\n3\n\nimprisonment\n18\nwork_with_children:none\n\n\n\n");
}

// The answers to the person's questions of `record create --interactive` for Driton Krasniqi,
// male, born `birth_date`, personal number `personal_number`, and Enter at the others.
std::string PersonAnswers(absl::string_view birth_date,
                          absl::string_view personal_number = "1000000123") {
  return absl::StrCat("Krasniqi\nDriton\n\n\nmale\n", birth_date, "\n\n\n", personal_number,
                      "\n\n");
}

// The dates of a person and a conviction that answers try against the registry's rules.
struct Dates {
  absl::string_view birth;
  absl::string_view judgment;
  absl::string_view final_date;
};

// The answers to the questions of `record create --interactive` for Driton Krasniqi, born
// `dates.birth`, personal number `personal_number`, convicted in case `case_number` on
// `dates.judgment`, final on `dates.final_date` (PersonAnswers, ConvictionAnswers), then `then`:
// the answers to what is asked after the last of those questions.
std::string DatedAnswers(const Dates& dates, absl::string_view personal_number,
                         absl::string_view case_number, absl::string_view then) {
  return absl::StrCat(PersonAnswers(dates.birth, personal_number),
                      ConvictionAnswers(case_number, dates.judgment, dates.final_date), then);
}

// The answers of a record entered whole with `record create --interactive`: `person_answers`
// (to the person's questions), ConvictionAnswers(case_number), and yes at the end.
std::string RecordAnswers(absl::string_view person_answers, absl::string_view case_number) {
  return absl::StrCat(person_answers, ConvictionAnswers(case_number), "yes\n");
}

class RecordCommandsTest : public testing::RecordCliTest {
 protected:
  RecordCommandsTest() : RecordCliTest("record-commands-test") {}

  // `record create --interactive` as the clerk, on a terminal, answering `answers`.
  CliRun CreateInteractively(const std::string& answers) {
    return As("clerk", {"record", "create", "--interactive"}, answers);
  }

  // CreateInteractively in dir_, where a record not entered keeps its answers (in the current
  // folder), not in the folder the tests run in.
  CliRun CreateInteractivelyInDir(const std::string& answers) {
    const std::filesystem::path before = std::filesystem::current_path();
    std::filesystem::current_path(dir_);
    CliRun run = CreateInteractively(answers);
    std::filesystem::current_path(before);
    return run;
  }

  // `command` as the vetting officer, with --out naming `path`, which holds `earlier`: refused
  // for the file that exists, before any call (nothing in the audit log), the file as it was.
  void ExpectRefusedForTheFileAtOut(const std::vector<std::string>& command,
                                    const std::string& path, const std::string& earlier) {
    const uint64_t before = LogSize();
    const CliRun refused = As("vetting", command);
    EXPECT_EQ(refused.code, kExitUsage);
    EXPECT_THAT(refused.err, StartsWith("error: INVALID_ARGUMENT: --out " + path +
                                        ": the file exists; choose another name or remove it "
                                        "(--overwrite replaces it)\n"));
    EXPECT_EQ(refused.out, "");
    EXPECT_EQ(testing::ReadFileOrDie(path), earlier);
    EXPECT_EQ(ActionsSince(before), std::vector<std::string>{});
  }

  grpc::StatusCode GetCode(const std::string& id) {
    return testing::GetRecordAs(*server_, "clerk", id, nullptr).error_code();
  }

  std::string CreateExample() {
    const CliRun run = As("clerk", {"record", "create", "--file",
                                    REGISTRY_SOURCE_DIR "/deploy/examples/record.json"});
    EXPECT_EQ(run.code, 0) << run.err;
    return std::string(absl::StripAsciiWhitespace(run.out));
  }
};

TEST_F(RecordCommandsTest, CreateFromOptionsMakesTheRecord) {
  const CliRun run = As("clerk", [] {
    std::vector<std::string> command = {"record", "create"};
    for (const std::string& o : RecordOptions()) command.push_back(o);
    return command;
  }());
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string id(absl::StripAsciiWhitespace(run.out));
  ASSERT_EQ(id.size(), 32u) << run.out;
  const v1::Record record = Get(id);
  EXPECT_EQ(record.person().surname(), "Krasniqi");
  EXPECT_EQ(record.person().sex(), v1::SEX_MALE);
  EXPECT_EQ(record.person().citizenships(0), "XK");
  EXPECT_EQ(record.person().last_known_address(), "Rr. Remzi Ademaj 3, Prizren");
  EXPECT_EQ(record.conviction().court_id(), "basic-prizren");
  ASSERT_EQ(record.conviction().offences_size(), 2);
  EXPECT_EQ(record.conviction().offences(1).article(), 230u);
  EXPECT_EQ(record.conviction().offences(1).paragraph(), 1u);
  EXPECT_EQ(record.conviction().sentence().type(), v1::SENTENCE_TYPE_IMPRISONMENT);
  EXPECT_EQ(record.conviction().sentence().months(), 18u);
  ASSERT_EQ(record.conviction().bans_size(), 2);
  EXPECT_EQ(record.conviction().bans(0).end_date(), "");
  EXPECT_EQ(record.conviction().bans(1).type(), v1::BAN_TYPE_CONTACT_WITH_VICTIM);
  EXPECT_EQ(record.conviction().bans(1).end_date(), "2030-01-01");
}

// A suspended sentence's verification period is entered as an option, shown, and amended.
TEST_F(RecordCommandsTest, TheEndOfASuspendedSentencesVerificationPeriodIsAnOption) {
  std::vector<std::string> command = {"record", "create"};
  for (const std::string& o : RecordOptions()) command.push_back(o);
  for (size_t i = 0; i + 1 < command.size(); ++i) {
    if (command[i] == "--sentence") command[i + 1] = "suspended";
  }
  const auto release = std::find(command.begin(), command.end(), "--release-date");
  if (release != command.end()) command.erase(release, release + 2);
  command.push_back("--suspension-end-date");
  command.push_back("2027-06-30");
  const CliRun run = As("clerk", command);
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string id(absl::StripAsciiWhitespace(run.out));
  EXPECT_EQ(Get(id).conviction().suspension_end_date(), "2027-06-30");
  const CliRun shown = As("clerk", {"record", "get", id});
  EXPECT_THAT(shown.out, HasSubstr("Verification ends:           2027-06-30\n"));

  const CliRun amended = As("clerk", {"record", "amend", id, "--set",
                                      "suspension-end-date=2028-01-31", "--reason", "appeal"});
  ASSERT_EQ(amended.code, 0) << amended.err;
  EXPECT_EQ(Get(id).conviction().suspension_end_date(), "2028-01-31");
}

TEST_F(RecordCommandsTest, EveryMissingOrBadFieldIsNamedAtOnceByItsOptionBeforeAnythingIsStored) {
  const uint64_t before = LogSize();
  const CliRun run = As("clerk", {"record", "create", "--surname", "Krasniqi", "--birth-date",
                                  "1975-02-30", "--court", "basic-nowhere", "--offence",
                                  "06/L-074:999:0", "--sentence", "prison", "--ban", "driving"});
  EXPECT_EQ(run.code, 2);
  for (const char* problem :
       {"--birth-date: not a real date",
        "--sentence: not imprisonment, life_imprisonment, suspended, fine, juvenile_measure or "
        "other",
        "--ban: not work_with_children, contact_with_victim or profession",
        "--given-name is required", "--sex is required", "--personal-number is required",
        "--case-number is required", "--judgment-date is required", "--final-date is required",
        "--court: not a court of the registry; choose one of: basic-prishtine,",
        "--offence: not in the offence table; choose one of: "}) {
    EXPECT_THAT(Flowed(run.err), HasSubstr(problem)) << run.err;
  }
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: 11 problems:\n  "));
  EXPECT_THAT(run.err, Not(HasSubstr("person.")));
  // Each problem whole on its line in a file (wrapped only on a terminal, or with COLUMNS).
  EXPECT_THAT(run.err, HasSubstr("\n  --court: not a court of the registry; choose one of: "
                                 "basic-prishtine, basic-prizren"));
  // Nothing was sent but the questions for the caller's role and the tables and the registry's
  // check of the record, which stores nothing (OnlyReadsAndACheck).
  EXPECT_THAT(ActionsSince(before), OnlyReadsAndACheck());
}

TEST_F(RecordCommandsTest, EveryFieldTheServerRefusesIsNamedByItsOptionAtOnce) {
  std::vector<std::string> command = {"record", "create"};
  for (const std::string& o : RecordOptions()) command.push_back(o);
  // A judgment before the 14th birthday and a surname with a digit: rules the server checks.
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i] == "--judgment-date") command[i + 1] = "1985-03-03";
    if (command[i] == "--surname") command[i + 1] = "Krasn1qi";
  }
  const CliRun run = As("clerk", command);
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_EQ(run.err,
            "error: INVALID_ARGUMENT: 3 problems:\n"
            "  --surname: 1..100 letters, spaces, hyphens or apostrophes\n"
            "  --birth-date: makes the person under 14 on the judgment date (no one is convicted "
            "under 14): check the date of birth\n"
            "  --judgment-date: must be on or after the person's 14th birthday and not in the "
            "future\n");
  // And a candidate's (a surname with a Cyrillic e: one registry-cli cannot judge; one it can is
  // named before the call, AVettingChecksBadNamesAndBirthDateAreNamedTogetherBeforeAnyCall).
  const CliRun check = As("vetting", {"vet", "check", "--personal-number", "12345", "--surname",
                                      "K\xd0\xb5rqeli", "--given-name", "Arben", "--birth-date",
                                      "1980-04-12", "--position", "teacher", "--consent-ref",
                                      "CONSENT-1"});
  EXPECT_EQ(check.code, kExitUsage);
  EXPECT_EQ(check.err,
            "error: INVALID_ARGUMENT: 2 problems:\n"
            "  --personal-number: does not match the personal number format (10 digits)\n"
            "  --surname: each word in one alphabet: Latin or Cyrillic letters, not both\n");
}

// registry-cli's check of a name before sending let a hyphen or an apostrophe beside a space or
// another through ("Hoxha - Berisha", "Hoxha--Berisha", "D''Amico"), which the registry then
// refused: of what it checks, it says what the registry's validator says, word for word.
TEST(CommandLineNameCheckTest, SaysWhatTheRegistrysValidatorSays) {
  for (const char* name :
       {"Hoxha - Berisha", "Hoxha--Berisha", "D''Amico", "Hoxha -Berisha", "Hoxha- Berisha",
        "Hoxha-'Berisha", "O'\xe2\x80\x99" "Brien", "-Berisha", "Hoxha-", "'Ali", " O' ", "-",
        "' '", "Hoxha-Berisha", "D'Amico", "O\xe2\x80\x99" "Brien", "Hoxha Berisha", " Gashi ",
        "Krasniqi2", "Krasniqi\xc2\xa0" "Berisha", "\xc3\x90or\xc4\x91" "e"}) {
    const absl::Status registry =
        server::RecordValidator::ValidateName("person.surname", name, /*required=*/true);
    const std::string said(absl::StripPrefix(registry.message(), "person.surname: "));
    EXPECT_EQ(NameProblem(name), said) << name;
  }
}

// Article 234 of 06/L-074 given whole in a 2013 judgment: the command line's check said the
// paragraph was missing and the record was not sent, while the registry says that and the code
// not yet in force together. The registry's other problems of the offence the command line named
// in the registry's words are said with it, in the registry's order: the code first.
TEST_F(RecordCommandsTest, AnArticleOfACodeNotYetInForceIsToldTheCodeWithItsParagraphs) {
  std::vector<std::string> command = {"record", "create"};
  bool offence_given = false;
  const std::vector<std::string> options = RecordOptions();
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i] == "--offence") {
      if (!offence_given) command.insert(command.end(), {"--offence", "06/L-074:234"});
      offence_given = true;
      ++i;
      continue;
    }
    command.push_back(options[i]);
    if (options[i] == "--judgment-date" || options[i] == "--final-date") {
      command.push_back(options[i] == "--judgment-date" ? "2013-03-01" : "2013-05-01");
      ++i;
    }
  }
  const CliRun run = As("clerk", command);
  EXPECT_EQ(run.code, kExitUsage) << run.err;
  const std::string err = Flowed(run.err);
  const size_t code = err.find("--offence: code 06/L-074 took effect on 2019-04-14, after the "
                               "judgment date: check the judgment date, or record the article "
                               "of the code the court applied");
  const size_t paragraphs = err.find("--offence: 06/L-074 article 234 is recorded by its "
                                     "paragraph: give one of 06/L-074:234:1,");
  ASSERT_NE(code, std::string::npos) << run.err;
  ASSERT_NE(paragraphs, std::string::npos) << run.err;
  EXPECT_LT(code, paragraphs) << run.err;
  EXPECT_THAT(err, HasSubstr("--judgment-date: is before 2019-04-14, the day code 06/L-074"));
}

// A problem the command line found itself (a sex it cannot read) stopped it before sending, so
// the registry's own rules (a birth date in the future, a final date before the judgment's, the
// personal number's format, which is the registry's setting) were named only on the next try.
// The registry checks the same record without storing it, and every problem is named at once:
// the judgment before the birth date in the future too, not left for after its correction.
TEST_F(RecordCommandsTest, TheRegistrysProblemsAreNamedWithTheCommandLinesOwnAtOnce) {
  std::vector<std::string> command = {"record", "create"};
  for (const std::string& o : RecordOptions()) command.push_back(o);
  for (size_t i = 0; i + 1 < command.size(); ++i) {
    if (command[i] == "--sex") command[i + 1] = "x";
    if (command[i] == "--birth-date") command[i + 1] = "2099-01-01";
    if (command[i] == "--final-date") command[i + 1] = "2025-01-01";
    if (command[i] == "--personal-number") command[i + 1] = "12345";
  }
  const uint64_t before = LogSize();
  const CliRun run = As("clerk", command);
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: 5 problems:\n"));
  for (const char* problem :
       {"--sex: ", "--birth-date: must be before today",
        "--personal-number: does not match the personal number format (10 digits)",
        "--judgment-date: must be on or after the person's 14th birthday and not in the future",
        "--final-date: must be on or after "}) {
    EXPECT_THAT(Flowed(run.err), HasSubstr(problem)) << run.err;
  }
  EXPECT_THAT(run.err, Not(HasSubstr("2099"))) << "no value typed is repeated";
  EXPECT_THAT(run.err, Not(HasSubstr("12345")));
  // Checked, not stored.
  EXPECT_THAT(ActionsSince(before), OnlyReadsAndACheck());
  const CliRun search = As("clerk", {"record", "search", "--personal-number", "1000000123"});
  EXPECT_EQ(search.out, "no matching record\n");
}

// A record file missing a field was refused for that alone: its bad dates were named only on the
// next try, by the registry. Every missing or bad field of a file is named at once, by its path,
// before anything is stored, as the help promises; the values are not repeated.
TEST_F(RecordCommandsTest, ARecordFilesBadDatesAreNamedWithItsMissingFieldsBeforeAnythingIsStored) {
  std::ifstream example(REGISTRY_SOURCE_DIR "/deploy/examples/record.json", std::ios::binary);
  std::string json((std::istreambuf_iterator<char>(example)), std::istreambuf_iterator<char>());
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"birth_date\": \"1980-04-12\"", "\"birth_date\": \"31.12.1990\""},
           {"\"final_date\": \"2024-05-15\"", "\"final_date\": \"2024-02-30\""},
           {"\"given_name\": \"Arben\"", "\"given_name\": \"\""},
           {"\"end_date\": \"2034-05-15\"", "\"end_date\": \"2034-13-15\""}}) {
    const size_t at = json.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    json.replace(at, from.size(), to);
  }
  const std::string path = dir_ + "/record.json";
  ASSERT_TRUE(WriteFileAtomically(path, json, 0600).ok());
  const uint64_t before = LogSize();
  const CliRun run = As("clerk", {"record", "create", "--file", path});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_EQ(run.err,
            "error: INVALID_ARGUMENT: 4 problems:\n"
            "  person.given_name is required\n"
            "  person.birth_date: not a date YYYY-MM-DD\n"
            "  conviction.final_date: not a real date\n"
            "  conviction.bans[0]: end date: not a real date\n");
  EXPECT_THAT(ActionsSince(before), OnlyReadsAndACheck());
}

// `record get` refused a record id in capitals ("ID: 32 lowercase hex characters") that `audit
// list --record-id` took: an id copied in capitals is the same id, wherever one is typed.
TEST_F(RecordCommandsTest, ARecordIdInCapitalsIsTheSameIdWhereverOneIsTyped) {
  const std::string id = CreateExample();
  std::string upper = id;
  for (char& c : upper) c = absl::ascii_toupper(static_cast<unsigned char>(c));
  ASSERT_NE(upper, id);
  const CliRun get = As("clerk", {"record", "get", upper});
  EXPECT_EQ(get.code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr(id));
  EXPECT_EQ(As("clerk", {"record", "history", upper}).code, 0);
  const CliRun amended =
      As("clerk", {"record", "amend", upper, "--set", "birth-place=Deçan", "--reason", "typo"});
  EXPECT_EQ(amended.code, 0) << amended.err;
  EXPECT_EQ(Get(id).person().birth_place(), "Deçan");
  const CliRun disputed = As("clerk", {"record", "dispute", upper, "--reason", "contested"});
  EXPECT_EQ(disputed.code, 0) << disputed.err;
  EXPECT_EQ(disputed.out, absl::StrCat("record ", id, " is now disputed (version 3)\n"));
  EXPECT_EQ(As("clerk", {"record", "undispute", upper, "--reason", "confirmed"}).code, 0);
  const CliRun expunged = As("clerk", {"record", "expunge", upper, "--legal-basis",
                                       "CC 04/L-082 art. 103"},
                             "yes\n");
  EXPECT_EQ(expunged.code, 0) << expunged.err;
  EXPECT_EQ(GetCode(id), grpc::StatusCode::NOT_FOUND);
}

// "--purpose Criminal_Proceedings" and "--position Teacher" were refused, while the words of a
// CSV column and of the record's options are taken in any case.
TEST_F(RecordCommandsTest, APurposeCodeOrAPositionCategoryIsTakenInAnyCase) {
  const std::string id = CreateExample();
  const CliRun read = As("court", {"record", "get", id, "--case-ref", "PKR 1/2026", "--purpose",
                                   "Criminal_Proceedings"});
  EXPECT_EQ(read.code, 0) << read.err;
  const CliRun check =
      As("vetting", {"vet", "check", "--personal-number", "1000000999", "--surname", "Hoxha",
                     "--given-name", "Ilir", "--birth-date", "1990-01-01", "--position", "Teacher",
                     "--consent-ref", "CONSENT-2"});
  EXPECT_EQ(check.code, 0) << check.err;
  // A word that is no category in any case is still refused, and not repeated.
  const CliRun wrong =
      As("vetting", {"vet", "check", "--personal-number", "1000000999", "--surname", "Hoxha",
                     "--given-name", "Ilir", "--birth-date", "1990-01-01", "--position",
                     "Janitor", "--consent-ref", "CONSENT-3"});
  ExpectRefusedAsNoPositionCategory(wrong, "Janitor");
}

TEST_F(RecordCommandsTest, ASecondRecordOfTheSameJudgmentNamesTheFirst) {
  const std::string id = CreateExample();
  const CliRun again = As(
      "clerk", {"record", "create", "--file", REGISTRY_SOURCE_DIR "/deploy/examples/record.json"});
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.err, StartsWith(absl::StrCat(
                             "error: ALREADY_EXISTS: a record with this court, case number and "
                             "personal number exists: ",
                             id)));
}

TEST_F(RecordCommandsTest, InteractiveCreateAsksEachFieldOffersTheChoicesAndConfirms) {
  // Answers in the order asked: a wrong date is asked again, the court and the offence are
  // chosen by number, optional fields are skipped with Enter, sex is answered with its letter.
  const std::string answers = RecordAnswers(
      "Krasniqi\nDriton\n\n\nm\n1975-02-30\n1975-02-03\n\n\n1000000123\n\n", "P 88/2025");
  const CliRun run = CreateInteractively(answers);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("Courts:\n   1  basic-prishtine"));
  EXPECT_THAT(run.err, HasSubstr("   2  basic-prizren"));
  EXPECT_THAT(run.err, HasSubstr("Sex (female/male, or f/m): "));
  EXPECT_THAT(run.err, HasSubstr("Date of birth (YYYY-MM-DD): "));
  EXPECT_THAT(run.err, HasSubstr("Father's name [Enter: none]: "));
  EXPECT_THAT(run.err, HasSubstr("Offence #1 (number or code): "));
  EXPECT_THAT(run.err, HasSubstr("Offence #2 (number or code) [Enter: no more]: "));
  EXPECT_THAT(run.err, HasSubstr("Date of birth (YYYY-MM-DD):   not a real date\n"));
  EXPECT_THAT(run.err, Not(HasSubstr("1975-02-30")));
  EXPECT_THAT(run.err, HasSubstr("Enter this record? (yes/no): "));
  const v1::Record record = Get(std::string(absl::StripAsciiWhitespace(run.out)));
  EXPECT_EQ(record.person().sex(), v1::SEX_MALE);
  EXPECT_EQ(record.person().birth_date(), "1975-02-03");
  EXPECT_EQ(record.conviction().court_id(), "basic-prizren");
  ASSERT_EQ(record.conviction().offences_size(), 1);
  EXPECT_EQ(record.conviction().offences(0).article(), 229u);
  EXPECT_EQ(record.conviction().bans_size(), 1);

  // No at the end sends nothing (InteractiveCreateTakesYOrNoAtTheEndAndKeepsTheAnswersOfANo);
  // and without a terminal there is nobody to ask.
  const uint64_t before = LogSize();
  const CliRun piped = As("clerk", {"record", "create", "--interactive"}, answers, false);
  EXPECT_EQ(piped.code, 2);
  EXPECT_THAT(piped.err, HasSubstr("--interactive asks on a terminal"));
  for (const std::string& action : ActionsSince(before)) EXPECT_NE(action, "CreateRecord");

  // With --json, stderr holds one JSON object a line: questions for a person do not go there.
  const CliRun json = RunCliCaptured(
      CliArgsAs(server_->address(), "clerk", {"record", "create", "--interactive"}, true), {},
      CliInput{answers, true});
  EXPECT_EQ(json.code, 2);
  EXPECT_THAT(json.err, StartsWith("{\"error\":"));
  EXPECT_THAT(json.err, HasSubstr("--interactive asks a person, and --json is for scripts"));
  EXPECT_THAT(json.err, Not(HasSubstr("Surname")));
  for (const std::string& action : ActionsSince(before)) EXPECT_NE(action, "CreateRecord");
}

// An answer that is not UTF-8 (a Latin-1 terminal's "K\xebrqeli") was taken at its question,
// shown garbled in the summary, refused by the server after the last question, and kept in the
// answers' file as "Kqeli". It is asked again at its question, in the command line's words and
// without its bytes; so is a name the registry refuses for a no-break space. Sex, court and
// offence are taken in any case, sex by its first letter too.
TEST_F(RecordCommandsTest, InteractiveCreateAsksAgainForAnAnswerThatIsNotUtf8OrANameRefused) {
  const std::string answers =
      "K\xebrqeli\nKrasniqi\xc2\xa0" "Berisha\nKrasniqi\nDriton\xc3\nDriton\n\n\nM\n"
      "1975-02-03\n\n\n"
      "1000000123\n\nBasic-Prizren\nP 88/2025\n2025-03-03\n2025-06-01\n06/l-074:229:0\n\n"
      "imprisonment\n18\nwork_with_children:none\n\n\n\nyes\n";
  const CliRun run = CreateInteractively(answers);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("Surname:   not valid UTF-8 (is the terminal set to another "
                                 "encoding?)\nSurname:   holds a look-alike of a space or hyphen "
                                 "(a no-break space, an en dash): type a\n  plain space or "
                                 "hyphen\nSurname: Given name:   not valid UTF-8"));
  for (const char* typed : {"\xeb", "\\xeb", "qeli", "Berisha", "\xc3\n", "\\xc3"}) {
    EXPECT_THAT(run.err, Not(HasSubstr(typed))) << typed;
  }
  const v1::Record record = Get(std::string(absl::StripAsciiWhitespace(run.out)));
  EXPECT_EQ(record.person().surname(), "Krasniqi");
  EXPECT_EQ(record.person().given_name(), "Driton");
  EXPECT_EQ(record.person().sex(), v1::SEX_MALE);
  EXPECT_EQ(record.conviction().court_id(), "basic-prizren");
  ASSERT_EQ(record.conviction().offences_size(), 1);
  EXPECT_EQ(record.conviction().offences(0).law(), "06/L-074");
  EXPECT_EQ(record.conviction().offences(0).article(), 229u);
}

// An employer's earlier certificate at --out was replaced without a word. It is refused before
// the check is made (a check counts against the day's), unless --overwrite says to replace it.
TEST_F(RecordCommandsTest, AVettingCheckRefusesAnExistingCertificateFileUnlessToldToOverwrite) {
  const std::string path = dir_ + "/cert.json";
  std::ofstream(path) << "earlier certificate\n";
  const std::vector<std::string> check = CheckOfArben("teacher", {"--out", path});
  ExpectRefusedForTheFileAtOut(check, path, "earlier certificate\n");

  std::vector<std::string> overwrite = check;
  overwrite.push_back("--overwrite");
  const CliRun replaced = As("vetting", overwrite);
  EXPECT_EQ(replaced.code, 0) << replaced.err;
  EXPECT_THAT(testing::ReadFileOrDie(path), HasSubstr("signature"));
}

// The file at --out may be the key certificates are trusted by: it was replaced unasked.
TEST_F(RecordCommandsTest, AVettingKeyFetchRefusesAnExistingFileUnlessToldToOverwrite) {
  const std::string path = dir_ + "/vetting.pub.pem";
  std::ofstream(path) << "trusted key\n";
  ExpectRefusedForTheFileAtOut({"vet", "public-key", "--out", path}, path, "trusted key\n");

  const CliRun replaced = As("vetting", {"vet", "public-key", "--out", path, "--overwrite"});
  EXPECT_EQ(replaced.code, 0) << replaced.err;
  EXPECT_THAT(testing::ReadFileOrDie(path), HasSubstr("BEGIN PUBLIC KEY"));
}

// Ctrl-D at a question printed the error on the question's line ("... [Enter: none]: error:
// ..."), and a person's own no or Ctrl-D was "error: CANCELLED: ...", as if something had failed.
TEST_F(RecordCommandsTest, ACtrlDAtAQuestionIsSaidOnALineOfItsOwnAndNotAsAnError) {
  const CliRun ended = CreateInteractivelyInDir("Krasniqi\n");
  EXPECT_EQ(ended.code, 1);
  EXPECT_THAT(ended.err, HasSubstr("Given name: \nthe input ended before the record was complete; "
                                   "nothing was sent\n"));
  EXPECT_THAT(ended.err, Not(HasSubstr("error:")));
  EXPECT_THAT(ended.err, Not(HasSubstr("CANCELLED")));
}

// Ctrl-D after part of an answer takes that part, and the next question was printed on the
// same line ("Given name: Father's name [Enter: none]: ").
TEST_F(RecordCommandsTest, ACtrlDAfterPartOfAnAnswerEndsItsLineBeforeTheNextQuestion) {
  const CliRun ended = CreateInteractivelyInDir("Krasniqi\nDrit");
  EXPECT_EQ(ended.code, 1);
  EXPECT_THAT(ended.err, HasSubstr("Given name: \nFather's name [Enter: none]: \n"));
}

// The arrow keys give escape sequences on a line read as the terminal sends it: "Gashi^[[D^[[DZ"
// was refused as "1..100 letters, ...", which said nothing of why. Said so, and asked again.
// What is said under a question ran past the terminal's edge, where the questions and the rest
// are wrapped to its width: it is wrapped as they are, its further lines indented as it is.
TEST_F(RecordCommandsTest, AnAnswerHoldingAnArrowKeySaysTheCursorDoesNotMoveAndAsksAgain) {
  const std::string answers = RecordAnswers(
      "Gashi\x1b[D\x1b[DZ\nKrasniqi\nDriton\n\n\nm\n1975-02-03\n\n\n1000000127\n\n", "P 92/2025");
  const CliRun run = CreateInteractively(answers);
  SetTextColumns(40);
  const CliRun narrow = CreateInteractively(absl::StrReplaceAll(answers, {{"P 92", "P 95"}}));
  SetTextColumns(kStandardColumns);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("Surname:   the arrow keys do not move the cursor here: type the "
                                 "answer again (Backspace\n  corrects it)\nSurname: "));
  ASSERT_EQ(narrow.code, 0) << narrow.err;
  EXPECT_THAT(narrow.err, HasSubstr("Surname:   the arrow keys do not move the cursor\n  here: "
                                    "type the answer again (Backspace\n  corrects it)\n"));
  EXPECT_THAT(run.err, Not(HasSubstr("1..100 letters")));
  EXPECT_THAT(run.err, Not(HasSubstr("Gashi")));
  EXPECT_THAT(run.err, Not(HasSubstr("\x1b")));
  EXPECT_EQ(Get(std::string(absl::StripAsciiWhitespace(run.out))).person().surname(), "Krasniqi");
}

// A number out of the list was answered as a code ("11": "not a court of the registry"; "99":
// "not LAW:ARTICLE:PARAGRAPH"), and 0 months as "0..600" where the help says 1..600.
TEST_F(RecordCommandsTest, InteractiveCreateSaysWhichNumbersAListHasAndWhatLengthItTakes) {
  // 99 for the court and the offence, then 2 and 3; 0 months, then 18.
  const CliRun run = CreateInteractively(absl::StrCat(
      PersonAnswers("1975-02-03"), "99\n2\nP 88/2025\n2025-03-03\n2025-06-01\n99\n3\n\n",
      "imprisonment\n0\n18\nwork_with_children:none\n\n\n\nyes\n"));
  ASSERT_EQ(run.code, 0) << run.err;
  const CliRun tables = As("clerk", {"record", "template"});
  size_t courts = 0, offences = 0;
  for (absl::string_view line : absl::StrSplit(tables.out, '\n')) {
    // An offence's code is LAW:ARTICLE:PARAGRAPH (06/L-074:227:0, UNMIK/2003/25:193:0), a
    // court's id has no colon.
    if (absl::ConsumePrefix(&line, "    //   ")) {
      ++(absl::StrContains(line.substr(0, line.find(' ')), ":") ? offences : courts);
    }
  }
  ASSERT_GT(courts, 2u);
  ASSERT_GT(offences, 3u);
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat("Court (number or code):   not a number of the "
                                              "list: the numbers run 1..",
                                              courts, "; or type the code\n")));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat("Offence #1 (number or code):   not a number of the "
                                              "list: the numbers run 1..",
                                              offences, "; or type the code\n")));
  // Wrapped at the terminal's width.
  EXPECT_THAT(run.err, HasSubstr("Length in months:   0 is no length: 1..600 months for "
                                 "imprisonment or a suspended sentence; leave\n  the months "
                                 "empty for life imprisonment and the other sentences\n"));
  EXPECT_THAT(run.err, Not(HasSubstr("not a court of the registry")));
  EXPECT_THAT(run.err, Not(HasSubstr("not LAW:ARTICLE:PARAGRAPH")));
}

// With imprisonment, "Length in months [Enter: none]:" took Enter, and with a court abroad so did
// its name and country: the registry then refused them as required after the last question. A
// field the answers so far make required (juvenile too, for a person under 18 on the judgment
// day) is asked without Enter, and again until answered.
TEST_F(RecordCommandsTest, InteractiveCreateAsksAgainForAFieldTheAnswersSoFarMakeRequired) {
  // Enter first at the court abroad's name and country, the length and juvenile (a no there
  // asks the dates again: InteractiveCreateAsksTheDatesAgainWhenANoToJuvenileDeniesThem).
  const std::string conviction =
      "foreign\n\nLandgericht Berlin\n\nDE\nP 88/2025\n2025-03-03\n2025-06-01\n3\n\n"
      "imprisonment\n\n18\nwork_with_children:none\n\n\n\nyes\nyes\n";
  const CliRun run = CreateInteractively(PersonAnswers("2008-01-01") + conviction);
  ASSERT_EQ(run.code, 0) << run.err;
  for (const char* asked :
       {"Name of the court abroad:   required for a court abroad\n",
        "Its country (e.g. DE):   required for a court abroad\n",
        "Length in months:   required for imprisonment or a suspended sentence\n",
        "Convicted as a juvenile (yes/no):   required when the person was under 18 on the "
        "judgment date: answer yes, or no\n  to type the date of birth and the judgment date "
        "again\nConvicted as a juvenile (yes/no): \n"}) {
    EXPECT_THAT(run.err, HasSubstr(asked)) << run.err;
  }
  for (const char* offered : {"Name of the court abroad [Enter", "Its country (e.g. DE) [Enter",
                              "Length in months [Enter", "Convicted as a juvenile (yes/no) ["}) {
    EXPECT_THAT(run.err, Not(HasSubstr(offered)));
  }
  // Optional fields still take Enter.
  EXPECT_THAT(run.err, HasSubstr("Date of release (YYYY-MM-DD) [Enter: none]: "));
  const v1::Record record = Get(std::string(absl::StripAsciiWhitespace(run.out)));
  EXPECT_EQ(record.conviction().foreign_court(), "Landgericht Berlin");
  EXPECT_EQ(record.conviction().foreign_country(), "DE");
  EXPECT_EQ(record.conviction().sentence().months(), 18u);
  EXPECT_TRUE(record.conviction().juvenile());
}

// Born 2005-02-03 (a typo for 1985), judged 2020-03-03: under 18 on the judgment date by the
// dates typed, and "Convicted as a juvenile (yes/no):" refused a no for ever ("answer yes"),
// never asking the dates again: the clerk answered yes, and an adult's record was entered as a
// juvenile's, shown to employers for a fraction of the time. A no says the dates make the person
// under 18 and asks both again, either being the wrong one, then juvenile as they make it; a no
// with the same dates asks them again, not the same question.
TEST_F(RecordCommandsTest, InteractiveCreateAsksTheDatesAgainWhenANoToJuvenileDeniesThem) {
  // Juvenile: Enter (required), no; the same dates again, no; the birth date corrected, no.
  const CliRun run = CreateInteractively(
      DatedAnswers({"2005-02-03", "2020-03-03", "2020-06-01"}, "1000000127", "P 93/2025",
                   "no\n2005-02-03\n2020-03-03\nno\n1985-02-03\n2020-03-03\nno\nyes\n"));
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string err = Flowed(run.err);
  const std::string denied =
      "Convicted as a juvenile (yes/no): by the dates typed (born 2005-02-03, judged 2020-03-03) "
      "the person was under 18 on the judgment date: type the date of birth and the judgment "
      "date again, as either may be the wrong one Date of birth (YYYY-MM-DD): Date of the "
      "judgment (YYYY-MM-DD): Convicted as a juvenile (yes/no)";
  // Twice: after the first no, and after the no to the same dates.
  const size_t first = err.find(denied);
  ASSERT_NE(first, std::string::npos) << run.err;
  EXPECT_NE(err.find(denied, first + 1), std::string::npos) << run.err;
  EXPECT_THAT(run.err, Not(HasSubstr("judgment date: answer yes\n")));
  // Corrected, the person was an adult: juvenile takes Enter, and the no.
  EXPECT_THAT(err, HasSubstr("Date of the judgment (YYYY-MM-DD): Convicted as a juvenile "
                             "(yes/no) [Enter: none]: "));
  const v1::Record record = Get(std::string(absl::StripAsciiWhitespace(run.out)));
  EXPECT_EQ(record.person().birth_date(), "1985-02-03");
  EXPECT_EQ(record.conviction().judgment_date(), "2020-03-03");
  EXPECT_FALSE(record.conviction().juvenile());
}

// "Convicted as a juvenile (yes/no):" refused "n" and "y" ("not yes or no"), which "Enter this
// record?" takes. It reads its answer as that question does: y, yes, n or no, in any case.
TEST_F(RecordCommandsTest, InteractiveCreateTakesYOrNForJuvenileAsTheOtherQuestionsDo) {
  // Under 18 when judged: Enter is refused, "n" asks the dates again (typed the same), "Y" is
  // taken; "y" enters the record.
  const CliRun run = CreateInteractively(
      DatedAnswers({"2008-01-01", "2025-03-03", "2025-06-01"}, "1000000128", "P 94/2025",
                   "n\n2008-01-01\n2025-03-03\nY\ny\n"));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(Flowed(run.err), HasSubstr("Convicted as a juvenile (yes/no): by the dates typed "
                                         "(born 2008-01-01, judged 2025-03-03)"));
  EXPECT_THAT(run.err, Not(HasSubstr("not yes or no")));
  EXPECT_TRUE(Get(std::string(absl::StripAsciiWhitespace(run.out))).conviction().juvenile());
}

// "y" at "Enter this record?" was taken for no: the record was not entered and its twenty
// answers were lost, as they were after a no or Ctrl-D there (which said "the input ended before
// the record was complete"). y and yes (any case) enter it, n and no do not, anything else is
// asked again; a no or Ctrl-D keeps the answers in a file, as a refused record does.
TEST_F(RecordCommandsTest, InteractiveCreateTakesYOrNoAtTheEndAndKeepsTheAnswersOfANo) {
  const std::string questions = PersonAnswers("1975-02-03") + ConvictionAnswers("P 88/2025");
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  const auto kept_files = [&] {
    std::vector<std::filesystem::path> kept;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      kept.push_back(entry.path());
    }
    return kept;
  };
  const uint64_t log_before = LogSize();

  const CliRun no = CreateInteractively(questions + "n\n");
  const std::vector<std::filesystem::path> after_no = kept_files();
  const CliRun ended = CreateInteractively(questions);
  const std::vector<std::filesystem::path> after_end = kept_files();
  const std::vector<std::string> actions = ActionsSince(log_before);
  // A typo is asked again; then Y is yes.
  const CliRun yes = CreateInteractively(questions + "yep\nY\n");
  std::filesystem::current_path(before);

  EXPECT_EQ(no.code, 1);
  EXPECT_THAT(no.err,
              HasSubstr("(yes/no): not entered: you answered no; nothing was sent\n"));
  EXPECT_THAT(no.err, Not(HasSubstr("CANCELLED")));
  ASSERT_EQ(after_no.size(), 1u) << no.err;
  const std::string name = after_no[0].filename().string();
  EXPECT_THAT(name, StartsWith("record-"));
  EXPECT_THAT(Flowed(no.err), HasSubstr(absl::StrCat("your answers are kept in ", name,
                                                     " (readable by you only)")));
  EXPECT_THAT(testing::ReadFileOrDie(after_no[0].string()), HasSubstr("Krasniqi"));

  EXPECT_EQ(ended.code, 1);
  EXPECT_THAT(ended.err, HasSubstr("Enter this record? (yes/no): \nnot entered: the input ended "
                                   "at \"Enter this record?\"; nothing was sent"));
  EXPECT_THAT(ended.err, Not(HasSubstr("before the record was complete")));
  EXPECT_EQ(after_end.size(), 2u) << ended.err;
  EXPECT_THAT(Flowed(ended.err), HasSubstr("your answers are kept in record-"));
  for (const std::string& action : actions) EXPECT_NE(action, "CreateRecord");

  ASSERT_EQ(yes.code, 0) << yes.err;
  EXPECT_THAT(yes.err, HasSubstr("Enter this record? (yes/no):   answer yes or no\n"));
  EXPECT_EQ(Get(std::string(absl::StripAsciiWhitespace(yes.out))).person().surname(), "Krasniqi");
  EXPECT_EQ(kept_files().size(), 2u);
}

// Ctrl-D before the last question keeps what was answered so far, as a no at the end does (it
// threw every answer away); with nothing answered, nothing is kept.
TEST_F(RecordCommandsTest, InteractiveCreateStoppedPartWayKeepsTheAnswersGiven) {
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  const CliRun nothing = CreateInteractively("");
  const size_t after_nothing = std::distance(std::filesystem::directory_iterator(dir_),
                                             std::filesystem::directory_iterator());
  const CliRun part = As("clerk", {"record", "create", "--interactive"},
                         "Krasniqi\nDriton\n\n\nmale\n1975-02-03\n");
  std::vector<std::filesystem::path> kept;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) kept.push_back(entry.path());
  std::filesystem::current_path(before);

  EXPECT_EQ(nothing.code, 1);
  EXPECT_THAT(nothing.err, HasSubstr("the input ended before the record was complete"));
  EXPECT_EQ(after_nothing, 0u) << nothing.err;

  EXPECT_EQ(part.code, 1);
  EXPECT_THAT(part.err, HasSubstr("the input ended before the record was complete"));
  ASSERT_EQ(kept.size(), 1u) << part.err;
  EXPECT_THAT(Flowed(part.err), HasSubstr(absl::StrCat("your answers are kept in ",
                                                       kept[0].filename().string())));
  const std::string file = testing::ReadFileOrDie(kept[0].string());
  EXPECT_THAT(file, HasSubstr("Krasniqi"));
  EXPECT_THAT(file, HasSubstr("1975-02-03"));
  EXPECT_EQ(std::filesystem::status(kept[0]).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// A record file, a patch and a certificate saved by a Windows editor start with a UTF-8 byte
// order mark, which the JSON parser took for a value: "line 1, column 1: expected a value".
TEST_F(RecordCommandsTest, JsonFilesWithAByteOrderMarkAreRead) {
  const std::string bom = "\xEF\xBB\xBF";
  const std::string record = dir_ + "/record.json";
  ASSERT_TRUE(WriteFileAtomically(
                  record,
                  bom + testing::ReadFileOrDie(REGISTRY_SOURCE_DIR "/deploy/examples/record.json"),
                  0600)
                  .ok());
  const CliRun created = As("clerk", {"record", "create", "--file", record});
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string id(absl::StripAsciiWhitespace(created.out));

  const std::string patch = dir_ + "/amend.json";
  ASSERT_TRUE(WriteFileAtomically(
                  patch,
                  bom + testing::ReadFileOrDie(REGISTRY_SOURCE_DIR "/deploy/examples/amend.json"),
                  0600)
                  .ok());
  const CliRun amended =
      As("clerk", {"record", "amend", id, "--file", patch, "--reason", "address confirmed"});
  ASSERT_EQ(amended.code, 0) << amended.err;
  EXPECT_EQ(Get(id).metadata().version(), 2u);
}

// A record the registry refuses after the clerk answered every question: its problem is said
// and the field asked again; the input ending there (Ctrl-D) keeps the answers in a new file of
// the current folder, only the clerk's to read, that `record create --file` sends once
// corrected; the refused field is named by its question and its place in that file.
TEST_F(RecordCommandsTest, ARefusedInteractiveRecordKeepsTheAnswersInAFileCreateSends) {
  // The ban ends (2025-05-01) before the day the judgment became final (2025-06-01): a rule the
  // registry checks after the last question (the dates are checked at their own).
  const std::string answers = absl::StrCat(
      PersonAnswers("1975-02-03"),
      "2\nP 88/2025\n2025-03-03\n2025-06-01\n3\n\nimprisonment\n18\nwork_with_children:2025-05-01\n"
      "\n\n\n");
  const CliRun run = CreateInteractivelyInDir(answers);
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("Answer it again (Ctrl-D keeps your answers in a file):\n"
                                 "Ban (work_with_children"));
  EXPECT_THAT(Flowed(run.err), HasSubstr("error: INVALID_ARGUMENT: Ban #1 (conviction.bans[0]): "
                                         "a date YYYY-MM-DD on or after the date the judgment "
                                         "became final"));
  EXPECT_THAT(run.err, Not(HasSubstr("--ban")));
  std::vector<std::filesystem::path> kept;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) kept.push_back(entry.path());
  ASSERT_EQ(kept.size(), 1u) << run.err;
  const std::string name = kept[0].filename().string();
  EXPECT_THAT(name, StartsWith("record-"));
  EXPECT_THAT(Flowed(run.err),
              HasSubstr(absl::StrCat("your answers are kept in ", name,
                                     " (readable by you only): correct it there and enter it with "
                                     "registry-cli record create --file ",
                                     name, ", then delete the file")));
  EXPECT_EQ(std::filesystem::status(kept[0]).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // Corrected, the file is a record create reads as it is.
  std::string json = testing::ReadFileOrDie(kept[0].string());
  const size_t at = json.find("2025-05-01");
  ASSERT_NE(at, std::string::npos) << json;
  json.replace(at, 10, "2025-07-01");
  std::ofstream(kept[0]) << json;
  const CliRun sent = As("clerk", {"record", "create", "--file", kept[0].string()});
  ASSERT_EQ(sent.code, 0) << sent.err;
  const v1::Record record = Get(std::string(absl::StripAsciiWhitespace(sent.out)));
  EXPECT_EQ(record.person().surname(), "Krasniqi");
  EXPECT_EQ(record.conviction().final_date(), "2025-06-01");
  ASSERT_EQ(record.conviction().bans_size(), 1);
  EXPECT_EQ(record.conviction().bans(0).end_date(), "2025-07-01");
  EXPECT_EQ(record.conviction().sentence().months(), 18u);
}

// A judgment dated before the person's 14th birthday (or a final date before the judgment, a
// personal number of another format, a ban ending before the final date: rules only the
// registry applies) was refused only after the clerk had confirmed "Enter this record?", and the
// answers went to a file. The registry checks the answers first, without storing them: the
// personal number and the dates at their questions
// (InteractiveCreateChecksThePersonalNumberAndJudgmentDateAsTyped,
// InteractiveCreateChecksTheBirthDateAndTheFinalDateAsTyped), the rest after the last question,
// where each field it names is asked again, its problem said, and the corrected record is
// entered at the first "yes".
TEST_F(RecordCommandsTest, InteractiveCreateAsksAgainWhatTheRegistryWouldRefuseBeforeConfirming) {
  // Born 2000-05-10: a judgment of 2010-03-03 is before the 14th birthday, the final date
  // (2010-04-01) is before the corrected judgment (2025-03-03) in turn, and the ban ends
  // (2025-05-01) before the final date (2025-06-01).
  const uint64_t before = LogSize();
  const CliRun run = CreateInteractively(absl::StrCat(
      PersonAnswers("2000-05-10", "1000000125"),
      "2\nP 90/2025\n2010-03-03\n2000-05-10\n2025-03-03\n2010-04-01\n2025-03-03\n2025-06-01\n"
      "3\n\nimprisonment\n18\nwork_with_children:2025-05-01\n\n\n\n",
      "work_with_children:none\n\nyes\n"));
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string err = Flowed(run.err);
  // The judgment is asked again at its question with the birth date its rule compares it with,
  // both named (InteractiveCreateOffersTheBirthDateAgainWhenARuleComparesWithIt); the final
  // date, before the corrected judgment, at its question with the judgment date, either being
  // possibly the wrong one.
  EXPECT_THAT(err, HasSubstr("Date of birth (person.birth_date): makes the person under 14 on "
                             "the judgment date (no one is convicted under 14): check the date "
                             "of birth Date of the judgment (conviction.judgment_date): must be "
                             "on or after the person's 14th birthday and not in the future type "
                             "the date of birth and the judgment date again, as either may be "
                             "the wrong one Date of birth (YYYY-MM-DD): Date of the judgment "
                             "(YYYY-MM-DD): Date it became final"));
  EXPECT_THAT(err, HasSubstr("(conviction.judgment_date): is after the date the judgment became "
                             "final: check both dates, either may be the wrong one Date it became "
                             "final (conviction.final_date): must be on or after the judgment "
                             "date and not in the future type the judgment date and the date it "
                             "became final again, as either may be the wrong one Date of the "
                             "judgment (YYYY-MM-DD): Date it became final (YYYY-MM-DD):"));
  // The ban, after the last question, on lines of its own, wrapped as the questions are.
  EXPECT_THAT(run.err, HasSubstr("The registry would refuse these answers:\n  Ban #1 "
                                 "(conviction.bans[0]): a date YYYY-MM-DD on or after the date "
                                 "the\n    judgment became final"));
  EXPECT_THAT(err, HasSubstr("Answer it again (Ctrl-D keeps your answers in a file): Ban"));
  // Asked once, after the corrections.
  const std::vector<absl::string_view> parts = absl::StrSplit(err, "Enter this record?");
  EXPECT_EQ(parts.size(), 2u) << err;
  const v1::Record record = Get(std::string(absl::StripAsciiWhitespace(run.out)));
  EXPECT_EQ(record.person().birth_date(), "2000-05-10");
  EXPECT_EQ(record.conviction().judgment_date(), "2025-03-03");
  EXPECT_EQ(record.conviction().final_date(), "2025-06-01");
  ASSERT_EQ(record.conviction().bans_size(), 1);
  EXPECT_EQ(record.conviction().bans(0).end_date(), "");
  // The checks were dry runs; one record was created.
  int creates = 0;
  for (const std::string& action : ActionsSince(before)) creates += action == "CreateRecord";
  EXPECT_EQ(creates, 1);
}

// Born 2015-01-05 (a typo for 1975), judged 2025-01-10: the registry names the judgment date,
// which is before the 14th birthday, and only the dates it named were asked again. The birth
// date, the wrong one, could never be corrected, and the questions never ended. A rule that
// compares with the birth date offers it again too, and the judgment date with it, at the
// judgment date's question.
TEST_F(RecordCommandsTest, InteractiveCreateOffersTheBirthDateAgainWhenARuleComparesWithIt) {
  // The corrected birth date and the judgment date, the rest, then Ctrl-D at "Enter this
  // record?": the answers are kept.
  const CliRun run = CreateInteractivelyInDir(
      absl::StrCat(PersonAnswers("2015-01-05", "1000000126"),
                   ConvictionAnswers("P 91/2025", "2025-01-10\n1975-01-05\n2025-01-10",
                                     "2025-02-03")));
  EXPECT_NE(run.code, 0) << run.err;
  EXPECT_THAT(Flowed(run.err),
              HasSubstr("type the date of birth and the judgment date again, as either may be "
                        "the wrong one Date of birth (YYYY-MM-DD): Date of the judgment "
                        "(YYYY-MM-DD): Date it became final"));
  EXPECT_THAT(run.err, Not(HasSubstr("The registry would refuse these answers")));
  std::string kept;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    std::ifstream in(entry.path());
    kept.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  EXPECT_THAT(kept, HasSubstr("1975-01-05"));
  EXPECT_THAT(kept, Not(HasSubstr("2015-01-05")));
}

// A personal number of another format than the registry's, and a judgment date in the future,
// were taken at their questions and refused only after the last one: the other fields' answers
// are checked as typed. The registry checks these two as typed too (a dry run of the answers so
// far), and each is asked again at once, its rule said in the registry's words.
TEST_F(RecordCommandsTest, InteractiveCreateChecksThePersonalNumberAndJudgmentDateAsTyped) {
  const uint64_t before = LogSize();
  const CliRun run = CreateInteractively(absl::StrCat(
      PersonAnswers("1975-02-03", "12345\n1000000127"),
      ConvictionAnswers("P 92/2025", "2099-01-01\n2025-03-03"), "yes\n"));
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string err = Flowed(run.err);
  EXPECT_THAT(err, HasSubstr("Personal number: does not match the personal number format (10 "
                             "digits)"));
  const size_t number_refused = err.find("does not match the personal number format");
  ASSERT_NE(number_refused, std::string::npos) << err;
  EXPECT_LT(number_refused, err.find("Last known address")) << "said at its question";
  EXPECT_THAT(err.substr(number_refused), HasSubstr("Personal number:"))
      << "asked again at once";
  EXPECT_THAT(err, HasSubstr("Date of the judgment (YYYY-MM-DD): must be on or after the "
                             "person's 14th birthday and not in the future Date of the judgment "
                             "(YYYY-MM-DD): Date it became final"));
  EXPECT_THAT(err, Not(HasSubstr("The registry would refuse these answers")));
  const std::vector<absl::string_view> parts = absl::StrSplit(err, "Enter this record?");
  EXPECT_EQ(parts.size(), 2u) << err;
  const v1::Record record = Get(std::string(absl::StripAsciiWhitespace(run.out)));
  EXPECT_EQ(record.person().personal_number(), "1000000127");
  EXPECT_EQ(record.conviction().judgment_date(), "2025-03-03");
  int creates = 0;
  for (const std::string& action : ActionsSince(before)) creates += action == "CreateRecord";
  EXPECT_EQ(creates, 1);
}

// A conviction the registry holds, or one it expunged, is refused: its answers are not kept (a
// file would only keep a person's record, an erased one at that, on the clerk's computer, and
// invite entering it again).
TEST_F(RecordCommandsTest, ARefusedRepeatOrExpungedConvictionKeepsNoAnswers) {
  const std::string answers = RecordAnswers(PersonAnswers("1975-02-03", "1000000124"), "P 89/2025");
  const std::filesystem::path before = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  const CliRun first = CreateInteractively(answers);
  ASSERT_EQ(first.code, 0) << first.err;
  const std::string id(absl::StripAsciiWhitespace(first.out));
  const CliRun again = CreateInteractively(answers);
  const CliRun expunged = As("clerk", {"record", "expunge", id, "--legal-basis",
                                       "CC 04/L-082 art. 103", "--yes"});
  const CliRun after = CreateInteractively(answers);
  std::filesystem::current_path(before);
  EXPECT_NE(again.code, 0);
  EXPECT_THAT(again.err, HasSubstr("ALREADY_EXISTS"));
  ASSERT_EQ(expunged.code, 0) << expunged.err;
  EXPECT_NE(after.code, 0);
  EXPECT_THAT(after.err, HasSubstr("was expunged"));
  for (const CliRun* run : {&again, &after}) {
    EXPECT_THAT(Flowed(run->err),
                HasSubstr("your answers were not kept: this conviction is not to be entered "
                          "again"));
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    ADD_FAILURE() << "kept: " << entry.path();
  }
}

// The names of every field in a JSON object, nested ones as "a.b", in no particular order.
void FieldNames(const google::protobuf::Struct& object, const std::string& prefix,
                std::vector<std::string>* names) {
  for (const auto& [name, value] : object.fields()) {
    names->push_back(prefix + name);
    if (value.has_struct_value()) FieldNames(value.struct_value(), prefix + name + ".", names);
  }
}

TEST_F(RecordCommandsTest, TheJsonTemplateIsTheSameSkeletonWithoutComments) {
  const CliRun commented = As("clerk", {"record", "template"});
  ASSERT_EQ(commented.code, 0) << commented.err;
  const CliRun json = As("clerk", {"--json", "record", "template"});
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(std::count(json.out.begin(), json.out.end(), '\n'), 1) << "one object, one line";
  EXPECT_THAT(json.out, Not(HasSubstr("//")));
  // Strict JSON, with the same fields as the commented template.
  google::protobuf::Struct strict;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &strict).ok()) << json.out;
  std::string uncommented;
  for (absl::string_view line : absl::StrSplit(commented.out, '\n')) {
    if (!absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "//")) {
      absl::StrAppend(&uncommented, line, "\n");
    }
  }
  google::protobuf::Struct from_text;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(uncommented, &from_text).ok());
  std::vector<std::string> json_names, text_names;
  FieldNames(strict, "", &json_names);
  FieldNames(from_text, "", &text_names);
  std::sort(json_names.begin(), json_names.end());
  std::sort(text_names.begin(), text_names.end());
  EXPECT_EQ(json_names, text_names);
  EXPECT_THAT(json_names, Contains("conviction.suspension_end_date"));
  // And it is a record file: create reads it and names what is missing, nothing unknown.
  const std::string path = dir_ + "/record.json";
  ASSERT_TRUE(WriteFileAtomically(path, json.out, 0600).ok());
  const CliRun unfilled = As("clerk", {"record", "create", "--file", path});
  EXPECT_EQ(unfilled.code, kExitUsage);
  EXPECT_THAT(unfilled.err, HasSubstr("person.surname is required"));
}

TEST_F(RecordCommandsTest, TheTemplateIsAFileCreateReadsAndNamesEveryFieldToFillIn) {
  const CliRun tmpl = As("clerk", {"record", "template"});
  ASSERT_EQ(tmpl.code, 0) << tmpl.err;
  EXPECT_THAT(tmpl.out, HasSubstr("//   basic-prizren        Basic Court of Prizren"));
  EXPECT_THAT(tmpl.out, HasSubstr("//   06/L-074:229:0   Degradation of sexual integrity"));
  const std::string path = dir_ + "/record.json";
  ASSERT_TRUE(WriteFileAtomically(path, tmpl.out, 0600).ok());
  const CliRun unfilled = As("clerk", {"record", "create", "--file", path});
  EXPECT_EQ(unfilled.code, kExitUsage);
  for (const char* missing :
       {"person.surname is required", "person.sex is required", "conviction.offences is required",
        "conviction.sentence.type is required"}) {
    EXPECT_THAT(unfilled.err, HasSubstr(missing));
  }
  // Filled in, the same file (comments and all) makes a record.
  std::string filled = tmpl.out;
  const auto fill = [&](const std::string& from, const std::string& to) {
    const size_t at = filled.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    filled.replace(at, from.size(), to);
  };
  fill("\"surname\": \"\"", "\"surname\": \"Gashi\"");
  fill("\"given_name\": \"\"", "\"given_name\": \"Luan\"");
  fill("\"sex\": \"\"", "\"sex\": \"male\"");
  fill("\"birth_date\": \"\"", "\"birth_date\": \"1970-01-01\"");
  fill("\"personal_number\": \"\"", "\"personal_number\": \"1000000555\"");
  fill("\"court_id\": \"\"", "\"court_id\": \"basic-gjilan\"");
  fill("\"case_number\": \"\"", "\"case_number\": \"P 5/2020\"");
  fill("\"judgment_date\": \"\"", "\"judgment_date\": \"2020-01-10\"");
  fill("\"final_date\": \"\"", "\"final_date\": \"2020-03-10\"");
  fill("\"offences\": []", "\"offences\": [{\"law\": \"06/L-074\", \"article\": 228}]");
  fill("\"type\": \"\", \"months\": 0", "\"type\": \"fine\", \"months\": 0");
  // The template offers the words the options take, never a value that names nothing.
  EXPECT_THAT(tmpl.out, Not(HasSubstr("UNSPECIFIED")));
  EXPECT_THAT(tmpl.out, HasSubstr("// required: female or male"));
  ASSERT_TRUE(WriteFileAtomically(path, filled, 0600).ok());
  const CliRun created = As("clerk", {"record", "create", "--file", path});
  EXPECT_EQ(created.code, 0) << created.err;
}

TEST_F(RecordCommandsTest, AmendWithSetChangesTheFieldAndAnAmendmentThatChangesNothingIsRefused) {
  const std::string id = CreateExample();
  const CliRun amended = As("clerk", {"record", "amend", id, "--set",
                                      "address=Rr. Fehmi Agani 7, Pejë", "--reason", "moved"});
  ASSERT_EQ(amended.code, 0) << amended.err;
  EXPECT_THAT(amended.out, HasSubstr("now version 2 (changed 1 field: address)"));
  EXPECT_EQ(Get(id).person().last_known_address(), "Rr. Fehmi Agani 7, Pejë");

  const CliRun same = As("clerk", {"record", "amend", id, "--set",
                                   "address=Rr. Fehmi Agani 7, Pejë", "--reason", "moved again"});
  EXPECT_EQ(same.code, 1);
  EXPECT_EQ(same.err,
            "error: FAILED_PRECONDITION: the record already holds these values: the "
            "amendment changes nothing, and no version was made\n");
  EXPECT_EQ(Get(id).metadata().version(), 2u);

  // Lists by repeating the field; the sentence goes whole.
  const CliRun offences =
      As("clerk", {"record", "amend", id, "--set", "offence=06/L-074:229:0", "--set",
                   "offence=06/L-074:230:1", "--set", "sentence=imprisonment", "--set", "months=40",
                   "--reason", "judgment corrected on appeal"});
  ASSERT_EQ(offences.code, 0) << offences.err;
  EXPECT_THAT(offences.out, HasSubstr("(changed 2 fields: offence, sentence)"));
  EXPECT_EQ(Get(id).conviction().offences_size(), 2);
  EXPECT_EQ(Get(id).conviction().sentence().months(), 40u);
  // A field sent with the value it holds is not counted as changed.
  const CliRun one_of_two =
      As("clerk", {"record", "amend", id, "--set", "address=Rr. Fehmi Agani 7, Pejë", "--set",
                   "birth-place=Deçan", "--reason", "place of birth corrected"});
  ASSERT_EQ(one_of_two.code, 0) << one_of_two.err;
  EXPECT_THAT(one_of_two.out, HasSubstr("now version 4 (changed 1 field: birth-place)"));

  const CliRun wrong = As("clerk", {"record", "amend", id, "--set", "months=12", "--set",
                                    "adress=x", "--set", "birth-date=1980-02-30", "--reason", "r"});
  EXPECT_EQ(wrong.code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("3 problems:"));
  EXPECT_THAT(Flowed(wrong.err),
              HasSubstr("--set adress: not FIELD=VALUE with a record field (did you mean "
                        "\"address\"?); the fields: surname, given-name,"));
  // What is no near miss of a field may be a person's, and is named by its place.
  const CliRun name_as_field = As("clerk", {"record", "amend", id, "--set", "krasniqi=Arben",
                                            "--reason", "r"});
  EXPECT_EQ(name_as_field.code, 2);
  EXPECT_THAT(name_as_field.err, HasSubstr("--set #1: not FIELD=VALUE with a record field"));
  EXPECT_THAT(name_as_field.err, Not(HasSubstr("krasniqi")));
  EXPECT_THAT(name_as_field.err, Not(HasSubstr("Arben")));
  EXPECT_THAT(Flowed(wrong.err), HasSubstr("--set birth-date: not a real date"));
  EXPECT_THAT(Flowed(wrong.err), HasSubstr("--set months needs --set sentence=TYPE too"));
  // The other way round: the type of a term alone was sent with 0 months and refused as a
  // "--set months" never typed.
  for (const char* type : {"imprisonment", "suspended"}) {
    const CliRun alone = As("clerk", {"record", "amend", id, "--set",
                                      absl::StrCat("sentence=", type), "--reason", "r"});
    EXPECT_EQ(alone.code, kExitUsage) << type;
    EXPECT_THAT(Flowed(alone.err), HasSubstr(absl::StrCat("--set sentence=", type,
                                                          " needs --set months=N too")))
        << alone.err;
  }

  const CliRun refused =
      As("clerk", {"record", "amend", id, "--set", "birth-date=2090-01-01", "--reason", "typo"});
  EXPECT_EQ(refused.code, kExitUsage);
  EXPECT_THAT(Flowed(refused.err),
              HasSubstr("error: INVALID_ARGUMENT: --set birth-date: must be before "
                        "today"));
}

TEST_F(RecordCommandsTest, HistoryShowsTheFirstVersionAndThenWhatEachVersionChanged) {
  const std::string id = CreateExample();
  ASSERT_EQ(As("clerk", {"record", "amend", id, "--set", "address=Rr. Fehmi Agani 7, Pejë",
                         "--reason", "address corrected"})
                .code,
            0);
  ASSERT_EQ(As("clerk", {"record", "dispute", id, "--reason", "identity contested"}).code, 0);
  const CliRun run = As("clerk", {"record", "history", id});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("== version 1, "));
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat(", by ", kClerkId, ": created\n")));
  EXPECT_THAT(run.out, HasSubstr(": address corrected\nLast known address:          "
                                 "Rr. Agim Ramadani 14, Prishtinë → Rr. Fehmi Agani 7, Pejë\n"));
  EXPECT_THAT(run.out, HasSubstr(": identity contested\nStatus:                      "
                                 "active → disputed\n"));
  // The whole record once, not once per version.
  size_t surnames = 0;
  for (size_t at = run.out.find("Surname:"); at != std::string::npos;
       at = run.out.find("Surname:", at + 1)) {
    ++surnames;
  }
  EXPECT_EQ(surnames, 1u);
}

TEST_F(RecordCommandsTest, ReadsShowTheCourtByName) {
  const std::string id = CreateExample();
  const CliRun run = As("clerk", {"record", "get", id});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("Court:                       Basic Court of Prishtinë/Priština "
                                 "(basic-prishtine)\n"));
}

TEST_F(RecordCommandsTest, ExpungeShowsWhoseRecordItIsAndAsksOnATerminal) {
  std::vector<std::string> command = {"record", "create"};
  for (const std::string& o : RecordOptions()) command.push_back(o);
  const CliRun created = As("clerk", command);
  ASSERT_EQ(created.code, 0) << created.err;
  const std::string id(absl::StripAsciiWhitespace(created.out));
  const std::vector<std::string> expunge = {"record", "expunge", id, "--legal-basis",
                                            "CC 04/L-082 art. 103"};

  const CliRun declined = As("clerk", expunge, "no\n");
  EXPECT_EQ(declined.code, 1);
  EXPECT_EQ(declined.err,
            "Expunge the record of Driton Krasniqi, born 1975, case P 88/2025 (Basic Court of\n"
            "Prizren)?\nThis cannot be undone. Type yes to expunge it: not expunged: the answer "
            "was not yes\n");
  EXPECT_EQ(GetCode(id), grpc::StatusCode::OK);

  // No terminal, no --yes: nobody can be asked, so nothing happens.
  const CliRun piped = As("clerk", expunge, "yes\n", /*input_is_terminal=*/false);
  EXPECT_EQ(piped.code, 2);
  EXPECT_THAT(Flowed(piped.err), HasSubstr("add --yes"));
  EXPECT_EQ(GetCode(id), grpc::StatusCode::OK);

  const CliRun confirmed = As("clerk", expunge, "yes\n");
  EXPECT_EQ(confirmed.code, 0) << confirmed.err;
  EXPECT_EQ(confirmed.out, absl::StrCat("record ", id, " expunged\n"));
  EXPECT_EQ(GetCode(id), grpc::StatusCode::NOT_FOUND);

  // --yes, for scripts: no question, and no read of the record to show it.
  const std::string other = CreateExample();
  const uint64_t before = LogSize();
  const CliRun scripted =
      As("clerk", {"record", "expunge", other, "--legal-basis", "CC 04/L-082 art. 103", "--yes"});
  EXPECT_EQ(scripted.code, 0) << scripted.err;
  EXPECT_EQ(scripted.err, "");
  EXPECT_EQ(ActionsSince(before), std::vector<std::string>{"ExpungeRecord"});
}

// A KJC clerk expunged a later conviction B, entered before the person's earlier A (whose own
// retention had ended, so only B kept it): A went for good and only B was named. The question
// names A beforehand (from a dry run), and the answer, text or --json, names A after.
TEST_F(RecordCommandsTest, ExpungeNamesTheEarlierConvictionItErasesBeforeAndAfter) {
  // B (final 2020), then A (final 2010), of one person; another pair for --json.
  const auto pair = [&](const std::string& personal_number, std::string* later,
                        std::string* earlier) {
    v1::CreateRecordRequest b = testing::ExampleRecord();
    b.mutable_person()->set_personal_number(personal_number);
    testing::MakeFine(b.mutable_conviction(), "2020-01-10", "2020-01-31");
    *later = testing::CreatedRecordId(*server_, "clerk", b);
    v1::CreateRecordRequest a = b;
    a.mutable_conviction()->set_case_number("P 3/2010");
    testing::MakeFine(a.mutable_conviction(), "2010-01-10", "2010-01-31");
    *earlier = testing::CreatedRecordId(*server_, "clerk", a);
  };
  std::string later, earlier;
  pair("4000000003", &later, &earlier);
  const std::vector<std::string> expunge = {"record", "expunge", later, "--legal-basis",
                                            "CC 04/L-082 art. 103"};

  const CliRun declined = As("clerk", expunge, "no\n");
  EXPECT_EQ(declined.code, 1);
  EXPECT_THAT(declined.err,
              HasSubstr(absl::StrCat("?\nRecord ", earlier,
                                     " is erased with it: its retention period\nhas ended and "
                                     "only this record keeps it.\nThis cannot be undone.")));
  EXPECT_EQ(GetCode(earlier), grpc::StatusCode::OK);

  // The role's check, the read shown, the dry run, the expunge and A's erasure (its own event).
  const uint64_t before = LogSize();
  const CliRun confirmed = As("clerk", expunge, "yes\n");
  EXPECT_EQ(confirmed.code, 0) << confirmed.err;
  EXPECT_EQ(confirmed.out,
            absl::StrCat("record ", later, " expunged\nrecord ", earlier,
                         " erased with it: its retention period had ended and only record ",
                         later, " kept it\n"));
  EXPECT_EQ(ActionsSince(before), (std::vector<std::string>{"WhoAmI", "GetRecord", "ExpungeRecord",
                                                             "ExpungeRecord", "ExpungeRecord"}));
  EXPECT_EQ(GetCode(earlier), grpc::StatusCode::NOT_FOUND);

  std::string later2, earlier2;
  pair("4000000004", &later2, &earlier2);
  const CliRun json = As("clerk", {"--json", "record", "expunge", later2, "--legal-basis",
                                   "CC 04/L-082 art. 103", "--yes"});
  ASSERT_EQ(json.code, 0) << json.err;
  v1::ExpungeRecordResponse answer;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.out, &answer).ok()) << json.out;
  EXPECT_EQ(answer.record_id(), later2);
  ASSERT_EQ(answer.records_erased_with_it_size(), 1) << json.out;
  EXPECT_EQ(answer.records_erased_with_it(0).record_id(), earlier2);
  EXPECT_EQ(answer.records_erased_with_it(0).reason(),
            v1::ErasedWithRecord::REASON_RETENTION_ENDED_KEPT_ONLY_BY_EXPUNGED);
}

// Input that runs `before_answer` when the command first reads it: what happens while the
// clerk at the terminal reads the question, before typing the answer.
class AnswerAfter : public std::streambuf {
 public:
  AnswerAfter(std::string answer, std::function<void()> before_answer)
      : answer_(std::move(answer)), before_answer_(std::move(before_answer)) {}

 protected:
  int_type underflow() override {
    if (before_answer_) {
      std::function<void()> run = std::move(before_answer_);
      before_answer_ = nullptr;
      run();
      setg(answer_.data(), answer_.data(), answer_.data() + answer_.size());
    }
    return gptr() < egptr() ? traits_type::to_int_type(*gptr()) : traits_type::eof();
  }

 private:
  std::string answer_;
  std::function<void()> before_answer_;
};

// A clerk was asked to expunge B, with nothing named to go with it; while they read the question,
// another clerk entered the person's earlier A, which only B keeps. The yes confirmed "nothing
// else", so the registry refuses and erases neither B nor A: the clerk is to be asked again.
TEST_F(RecordCommandsTest, AnExpungeConfirmedOnATerminalErasesNothingUnshownEnteredMeanwhile) {
  v1::CreateRecordRequest b = testing::ExampleRecord();
  b.mutable_person()->set_personal_number("4000000005");
  testing::MakeFine(b.mutable_conviction(), "2020-01-10", "2020-01-31");
  const std::string later = testing::CreatedRecordId(*server_, "clerk", b);
  std::string earlier;
  AnswerAfter typed("yes\n", [&] {
    v1::CreateRecordRequest a = b;
    a.mutable_conviction()->set_case_number("P 5/2010");
    testing::MakeFine(a.mutable_conviction(), "2010-01-10", "2010-01-31");
    earlier = testing::CreatedRecordId(*server_, "clerk", a);
  });
  std::istream in(&typed);
  std::ostringstream out, err;
  client::CliStreams streams;
  streams.in = &in;
  streams.in_is_terminal = true;
  streams.out = &out;
  streams.err = &err;
  const int code = client::RunCli(
      testing::CliArgsAs(server_->address(), "clerk",
                         {"record", "expunge", later, "--legal-basis", "CC 04/L-082 art. 103"}),
      [](absl::string_view) -> std::optional<std::string> { return std::nullopt; }, streams);
  ASSERT_FALSE(earlier.empty());
  EXPECT_NE(code, 0) << out.str();
  EXPECT_THAT(Flowed(err.str()), HasSubstr("the records erased with it have changed since the "
                                           "question: ask again"));
  EXPECT_EQ(GetCode(later), grpc::StatusCode::OK);
  EXPECT_EQ(GetCode(earlier), grpc::StatusCode::OK);
}

// A court asked to expunge was told "purpose.case_reference is required", by the read of the
// record the question shows (a refused read logged for an expunge it may not make), where the
// other roles were refused the method. Every role but the clerk's is told it may not expunge,
// before anything is read.
TEST_F(RecordCommandsTest, ARoleThatMayNotExpungeIsToldSoBeforeTheRecordIsRead) {
  const std::string id = CreateExample();
  for (const char* role : {"court", "vetting", "auditor"}) {
    const uint64_t before = LogSize();
    const CliRun run = As(role, {"record", "expunge", id, "--legal-basis", "x 1"}, "yes\n");
    EXPECT_EQ(run.code, 1) << role;
    EXPECT_EQ(run.err, absl::StrCat("error: PERMISSION_DENIED: role ", role,
                                    " may not expunge records: that is for role clerk; nothing "
                                    "was read or changed\n"));
    EXPECT_THAT(run.err, Not(HasSubstr("case_reference")));
    for (const std::string& action : ActionsSince(before)) {
      EXPECT_NE(action, "GetRecord") << role;
      EXPECT_NE(action, "ExpungeRecord") << role;
    }
  }
  EXPECT_EQ(GetCode(id), grpc::StatusCode::OK);
}

// With --yes a court was told "role court may not call this method" (the API's words), and
// without a terminal to add --yes, though it would only be refused again: every way in is
// refused alike, naming the role that may expunge.
TEST_F(RecordCommandsTest, ARoleThatMayNotExpungeIsRefusedAlikeWithYesOrWithoutATerminal) {
  const std::string id = CreateExample();
  const std::string refusal =
      "error: PERMISSION_DENIED: role court may not expunge records: that is for role clerk; "
      "nothing was read or changed\n";
  const std::vector<std::string> expunge = {"record", "expunge", id, "--legal-basis", "x 1"};
  std::vector<std::string> with_yes = expunge;
  with_yes.push_back("--yes");
  const CliRun yes = As("court", with_yes);
  EXPECT_EQ(yes.code, 1);
  EXPECT_EQ(yes.err, refusal);
  const CliRun piped = As("court", expunge, "yes\n", /*input_is_terminal=*/false);
  EXPECT_EQ(piped.code, 1);
  EXPECT_EQ(piped.err, refusal);
  EXPECT_EQ(GetCode(id), grpc::StatusCode::OK);
}

// A court entering a record was told "role court may not call this method": gRPC's words,
// naming neither the command nor the role that may run it. Every command's refusal says what
// the command does and the roles the API gives its method.
TEST_F(RecordCommandsTest, ARoleRefusedACommandIsToldWhatItMayNotDoAndWhichRolesMay) {
  const std::string id = CreateExample();
  const CliRun create = As("court", {"record", "create", "--file",
                                     REGISTRY_SOURCE_DIR "/deploy/examples/record.json"});
  EXPECT_EQ(create.code, 1);
  EXPECT_EQ(create.err, "error: PERMISSION_DENIED: role court may not enter records: that is for "
                        "role clerk; nothing was read or changed\n");
  const CliRun get = As("vetting", {"record", "get", id});
  EXPECT_EQ(get.code, 1);
  EXPECT_EQ(get.err, "error: PERMISSION_DENIED: role vetting may not read records: that is for "
                     "roles clerk or court; nothing was read or changed\n");
  const CliRun audit = As("clerk", {"audit", "list"});
  EXPECT_EQ(audit.code, 1);
  EXPECT_EQ(audit.err, "error: PERMISSION_DENIED: role clerk may not list the audit log: that is "
                       "for role auditor; nothing was read or changed\n");
  const CliRun dispute = As("auditor", {"record", "dispute", id, "--reason", "contested"});
  EXPECT_EQ(dispute.code, 1);
  EXPECT_THAT(dispute.err, HasSubstr("role auditor may not mark records disputed: that is for "
                                     "role clerk; nothing was read or changed"));
  const CliRun amend =
      As("court", {"record", "amend", id, "--set", "address=Rr. 1", "--reason", "moved"});
  EXPECT_EQ(amend.code, 1);
  EXPECT_EQ(amend.err, "error: PERMISSION_DENIED: role court may not amend records: that is for "
                       "role clerk; nothing was read or changed\n");
  EXPECT_THAT(create.err + get.err + audit.err + dispute.err,
              Not(HasSubstr("may not call this method")));
}

// A court sending a record with bad fields (a file, or options) was told the fields' problems,
// found before sending, and only after mending them that it may not enter records at all. The
// role's refusal comes first, in the words of a record sent whole; nothing is sent.
TEST_F(RecordCommandsTest, ARoleThatMayNotEnterRecordsIsToldSoBeforeTheRecordsProblems) {
  std::string json = testing::ReadFileOrDie(REGISTRY_SOURCE_DIR "/deploy/examples/record.json");
  const size_t at = json.find("1980-04-12");
  ASSERT_NE(at, std::string::npos);
  json.replace(at, 10, "1980-02-30");
  const std::string file = dir_ + "/record.json";
  std::ofstream(file) << json;
  const std::string refusal =
      "error: PERMISSION_DENIED: role court may not enter records: that is for role clerk; "
      "nothing was read or changed\n";
  const uint64_t before = LogSize();
  const CliRun from_file = As("court", {"record", "create", "--file", file});
  EXPECT_EQ(from_file.code, kExitError) << from_file.err;
  EXPECT_EQ(from_file.err, refusal);
  const CliRun options = As("court", {"record", "create", "--surname", "Krasniqi",
                                      "--birth-date", "1980-02-30", "--sex", "x"});
  EXPECT_EQ(options.code, kExitError) << options.err;
  EXPECT_EQ(options.err, refusal);
  for (const std::string& action : ActionsSince(before)) EXPECT_EQ(action, "WhoAmI");
  // A clerk is told the problems.
  const CliRun clerk = As("clerk", {"record", "create", "--file", file});
  EXPECT_EQ(clerk.code, kExitUsage) << clerk.err;
  EXPECT_THAT(clerk.err, HasSubstr("person.birth_date: not a real date"));
}

// A "yes" typed (or pasted) right after `record expunge`, before its question appeared, expunged
// the record without anyone reading whose it was. What was typed before the question is
// discarded: registry-cli itself runs with its input a pseudo-terminal holding "yes" typed
// ahead, and waits for an answer typed after the question.
TEST_F(RecordCommandsTest, AYesTypedBeforeTheExpungeQuestionDoesNotAnswerIt) {
  const std::string id = CreateExample();
  auto run = TerminalRun::Open();
  ASSERT_TRUE(run.ok()) << run.status();
  TerminalRun& terminal = **run;
  // Typed ahead: the terminal keeps it until the program reads it, or discards it.
  ASSERT_TRUE(terminal.Type("yes\n"));

  std::vector<std::string> args = CliArgsAs(
      server_->address(), "clerk",
      {"record", "expunge", id, "--legal-basis", "CC 04/L-082 art. 103"});
  args.insert(args.begin(), REGISTRY_BINARY_DIR "/registry-cli");
  const absl::Status started = terminal.Start(
      args, {"HOME=" + dir_, "LANG=C.UTF-8", "TERM=dumb"}, dir_ + "/expunge.log");
  ASSERT_TRUE(started.ok()) << started;

  // The question is shown (the record read first), then the program waits.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  bool asked = false;
  while (!asked && absl::Now() < deadline) {
    asked = absl::StrContains(terminal.Output(), "Type yes to expunge it: ");
    if (!asked && terminal.EndsWithin(absl::Milliseconds(20))) break;
  }
  EXPECT_TRUE(asked) << terminal.Output();
  const bool ended_early = terminal.EndsWithin(absl::Seconds(1));
  EXPECT_FALSE(ended_early) << "answered by the yes typed before the question: "
                            << terminal.Output();
  EXPECT_EQ(GetCode(id), grpc::StatusCode::OK);

  // Typed after the question, yes expunges.
  if (!ended_early) {
    ASSERT_TRUE(terminal.Type("yes\n"));
    if (!terminal.EndsWithin(absl::Seconds(30))) {
      terminal.Kill();
      ADD_FAILURE() << "registry-cli did not end: " << terminal.Output();
    }
    EXPECT_EQ(terminal.ExitCode(), 0) << terminal.Output();
    EXPECT_EQ(GetCode(id), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(RecordCommandsTest, ACourtReadWithoutAPurposeNamesTheOptionsAndTheCodesItMayState) {
  const std::string id = CreateExample();
  const CliRun none = As("court", {"record", "get", id});
  EXPECT_EQ(none.code, 1);
  EXPECT_EQ(none.err,
            "error: FAILED_PRECONDITION: 2 problems:\n"
            "  --case-ref is required: the case the read serves, e.g. \"PKR 77/2026\"\n"
            "  --purpose is required: why you read it, a purpose code\n"
            "'registry-cli record get --help' lists the purpose codes you may state\n");
  const CliRun wrong =
      As("court", {"record", "get", id, "--case-ref", "PKR 1/2026", "--purpose", "curiosity"});
  EXPECT_EQ(wrong.code, kExitUsage);
  EXPECT_THAT(wrong.err, StartsWith("error: INVALID_ARGUMENT: --purpose: not one of the purpose "
                                    "codes you may state\n'registry-cli record get --help' lists "
                                    "the purpose codes you may state\n"));
  EXPECT_THAT(wrong.err, Not(HasSubstr("purpose.")));
  // What was typed is not repeated: in the wrong option, it may be a name and a birth date.
  const CliRun misplaced = As("court", {"record", "get", id, "--case-ref", "PKR 1/2026",
                                        "--purpose", "Kerqeli Arben 1980-04-12"});
  EXPECT_EQ(misplaced.code, kExitUsage);
  EXPECT_THAT(misplaced.err, StartsWith("error: INVALID_ARGUMENT: --purpose: not one of the "
                                        "purpose codes you may state\n"));
  for (const char* typed : {"Kerqeli", "Arben", "1980-04-12"}) {
    EXPECT_THAT(misplaced.err, Not(HasSubstr(typed)));
  }
  const CliRun shape =
      As("court", {"record", "get", id, "--case-ref", "PKR #1", "--purpose", "sentencing"});
  EXPECT_EQ(shape.code, 2);
  EXPECT_THAT(shape.err, HasSubstr("--case-ref: 1..64 ASCII letters, digits, spaces or /-.:_, "
                                   "with a letter or digit"));
}

// A court that stated a good purpose code and left out only --case-ref was still sent to the help
// for "the purpose codes you may state", as if its code were the problem.
TEST_F(RecordCommandsTest, ACourtReadMissingOnlyItsCaseRefIsNotSentToLookForAPurposeCode) {
  const std::string id = CreateExample();
  const CliRun run = As("court", {"record", "get", id, "--purpose", "sentencing"});
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_THAT(run.err, HasSubstr("--case-ref is required"));
  EXPECT_THAT(run.err, Not(HasSubstr("purpose code")));
}

TEST_F(RecordCommandsTest, AVettingCheckNamesBadOptionsAtOnceAndThePositionsItMayUse) {
  const CliRun bad = As("vetting", {"vet", "check", "--personal-number", "1234567890", "--surname",
                                    "Kërqeli", "--birth-date", "1980-02-30", "--position",
                                    "teacher", "--consent-ref", "consent #1"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("3 problems:\n  --given-name is required\n"
                                 "  --birth-date: not a real date\n"
                                 "  --consent-ref: 1..64 ASCII letters"));
  const CliRun position = As("vetting", CheckOfArben("janitor"));
  EXPECT_EQ(position.code, 1);
  EXPECT_EQ(position.err,
            "error: FAILED_PRECONDITION: --position: not one of the position categories of your "
            "organisation\n'registry-cli vet check --help' lists the position categories your "
            "organisation may check for\n");
  // Not repeated, as a name typed in its place would be.
  const CliRun misplaced = As("vetting", CheckOfArben("Krasniqi Driton"));
  ExpectRefusedAsNoPositionCategory(misplaced, "Krasniqi");
}

// `vet check --surname K1 --position janitor` was refused for the position alone, the names only
// by the next call: every call counts against the organisation's daily limit. What registry-cli
// can tell is wrong is named at once, before any call.
TEST_F(RecordCommandsTest, AVettingChecksBadNamesAndBirthDateAreNamedTogetherBeforeAnyCall) {
  const uint64_t before = LogSize();
  const CliRun run =
      As("vetting", {"vet", "check", "--personal-number", "1234567890", "--surname", "K1",
                     "--given-name", "Arben.", "--birth-date", "2999-01-01", "--position",
                     "janitor", "--consent-ref", "CONSENT-1"});
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_THAT(run.err,
              HasSubstr("3 problems:\n  --surname: 1..100 letters, spaces, hyphens or apostrophes\n"
                        "  --given-name: 1..100 letters, spaces, hyphens or apostrophes\n"
                        "  --birth-date: not in the past\n"));
  for (const char* typed : {"K1", "Arben.", "2999"}) {
    EXPECT_THAT(run.err, Not(HasSubstr(typed))) << typed;
  }
  EXPECT_EQ(ActionsSince(before), std::vector<std::string>{});
}

// With --json on a terminal, an expunge asked its question in plain text on stderr and answered
// a no as a JSON CANCELLED. As record create --interactive, --json needs --yes: nothing is read.
TEST_F(RecordCommandsTest, AnExpungeWithJsonButWithoutYesIsAUsageErrorBeforeAnyCall) {
  const std::string id = CreateExample();
  const uint64_t before = LogSize();
  const CliRun run = RunCliCaptured(
      CliArgsAs(server_->address(), "clerk",
                {"record", "expunge", id, "--legal-basis", "CC 04/L-082 art. 103"}, true),
      {}, CliInput{"yes\n", true});
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_THAT(run.err, StartsWith("{\"error\":"));
  EXPECT_THAT(run.err, HasSubstr("--json needs --yes"));
  EXPECT_THAT(run.err, Not(HasSubstr("Expunge the record")));
  EXPECT_EQ(ActionsSince(before), std::vector<std::string>{});
  EXPECT_EQ(GetCode(id), grpc::StatusCode::OK);
}

// Every call of an employer counts against its rate limit: the refusal's hint was built with a
// WhoAmI call, so a refused check cost two calls (and a capitalised position one more).
TEST_F(RecordCommandsTest, ARefusedVettingCheckIsOneAuditedCallWithItsHint) {
  for (const char* position : {"janitor", "Janitor"}) {
    const uint64_t before = LogSize();
    const CliRun refused = As("vetting", CheckOfArben(position));
    EXPECT_EQ(refused.code, 1);
    EXPECT_THAT(refused.err, HasSubstr("'registry-cli vet check --help' lists the position"));
    EXPECT_EQ(ActionsSince(before), std::vector<std::string>{"VettingCheck"}) << position;
  }
  // A category typed in capitals is the policy's lowercase one, found without asking for it.
  const uint64_t before = LogSize();
  const CliRun capitals = As("vetting", CheckOfArben("Teacher"));
  EXPECT_EQ(capitals.code, 0) << capitals.err;
  EXPECT_EQ(ActionsSince(before), std::vector<std::string>{"VettingCheck"});
  // A court's refused read likewise: one event.
  const std::string id = CreateExample();
  const uint64_t court_before = LogSize();
  const CliRun court = As("court", {"record", "get", id});
  EXPECT_EQ(court.code, 1);
  EXPECT_EQ(ActionsSince(court_before), std::vector<std::string>{"GetRecord"});
}

// A check is audited and counts against the organisation's daily limit: a certificate file that
// cannot be written stops it before it is asked.
TEST_F(RecordCommandsTest, AVettingCheckWhoseCertificateCannotBeWrittenIsNotMade) {
  const uint64_t before = LogSize();
  const CliRun run =
      As("vetting", CheckOfArben("teacher", {"--out", dir_ + "/no-such-folder/c.json"}));
  // A folder that is not there is a mistake on the command line, named as given and found
  // before the check.
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --out " + dir_ +
                                  "/no-such-folder/c.json: no folder"));
  EXPECT_THAT(run.err, HasSubstr("/no-such-folder to write it in"));
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(ActionsSince(before), std::vector<std::string>{});

  // A folder where the file would go is found before the check too, not at the rename after it:
  // a mistake on the command line, as an empty name or a FIFO is.
  const CliRun folder = As("vetting", CheckOfArben("teacher", {"--out", dir_}));
  EXPECT_EQ(folder.code, kExitUsage);
  EXPECT_THAT(folder.err,
              StartsWith("error: INVALID_ARGUMENT: --out " + dir_ + ": it is a folder\n"));
  EXPECT_EQ(folder.out, "");
  const CliRun empty = As("vetting", CheckOfArben("teacher", {"--out", ""}));
  EXPECT_EQ(empty.code, kExitUsage);
  EXPECT_THAT(empty.err, StartsWith("error: INVALID_ARGUMENT: --out: the file name is empty\n"));
  EXPECT_EQ(ActionsSince(before), std::vector<std::string>{});
}

TEST_F(RecordCommandsTest, AReferSaysWhomToContactWithTheCheckId) {
  CreateExample();
  const CliRun refer =
      As("vetting", {"vet", "check", "--personal-number", "1234567890", "--surname", "Kërqeli",
                     "--given-name", "Artan", "--birth-date", "1980-04-12", "--position", "teacher",
                     "--consent-ref", "CONSENT-1"});
  ASSERT_EQ(refer.code, 0) << refer.err;
  const std::vector<std::string> lines = absl::StrSplit(refer.out, '\n');
  ASSERT_GE(lines.size(), 4u) << refer.out;
  EXPECT_EQ(lines[0], "REFER: the registry will verify by hand");
  const std::string check_id(absl::StripPrefix(lines[1], "check id: "));
  ASSERT_EQ(check_id.size(), 32u) << refer.out;
  EXPECT_THAT(refer.out, HasSubstr(absl::StrCat(
                             "next step: contact KJC registry office Prishtinë (development),\n"
                             "  referrals-prishtine@registry.kjc.dev,\n  quoting check id ",
                             check_id,
                             ".\n  Do not decide on the candidate before the registry "
                             "answers.\n")));
  for (const std::string& line : lines) EXPECT_LE(line.size(), 80u) << line;

  const CliRun clear =
      As("vetting", {"vet", "check", "--personal-number", "1000000999", "--surname", "Hoxha",
                     "--given-name", "Ilir", "--birth-date", "1990-01-01", "--position", "teacher",
                     "--consent-ref", "CONSENT-2"});
  ASSERT_EQ(clear.code, 0) << clear.err;
  EXPECT_THAT(clear.out, Not(HasSubstr("next step")));
  // A certificate was signed and not kept: getting it later takes another check.
  EXPECT_THAT(clear.out, HasSubstr("certificate not saved: --out FILE keeps it (--json prints it)\n"));
}

// A court's `record import --dry-run` printed "dry run: 0 valid, 0 duplicates, 1 invalid" and the
// file's bad lines before the refusal, as if its rows had been checked. A caller the registry
// refuses gets the refusal only: nothing on stdout, the error on stderr, exit 1. A role that may
// not import was then told "role court may not call this method" (the API's words, with a note
// after them) where every other command names what the role may not do and which role may: the
// import's refusal is said as theirs is.
TEST_F(RecordCommandsTest, ARefusedImportPrintsOnlyTheRefusal) {
  const std::string file = REGISTRY_SOURCE_DIR "/deploy/examples/import.csv";
  for (const std::string identity : {"court", "vetting", "auditor"}) {
    for (const bool dry_run : {true, false}) {
      std::vector<std::string> command = {"record", "import", file};
      if (dry_run) command.push_back("--dry-run");
      const CliRun run = As(identity, command);
      const std::string name = identity + (dry_run ? " --dry-run" : "");
      EXPECT_EQ(run.code, kExitError) << name << ": " << run.err;
      EXPECT_EQ(run.out, "") << name;
      EXPECT_EQ(run.err, absl::StrCat("error: PERMISSION_DENIED: role ", identity,
                                      " may not import records: that is for role clerk; nothing "
                                      "was read or changed\n"))
          << name;
      for (const char* word : {"valid", "created", "line ", "duplicates", "batch"}) {
        EXPECT_THAT(run.err, Not(HasSubstr(word))) << name;
      }
      const CliRun json = RunCliCaptured(CliArgsAs(server_->address(), identity, command, true));
      EXPECT_EQ(json.code, kExitError) << name;
      EXPECT_EQ(json.out, "") << name;
    }
  }
  // A clerk's import of the same file still reports every line.
  const CliRun clerk = As("clerk", {"record", "import", file, "--dry-run"});
  EXPECT_EQ(clerk.code, kExitError) << clerk.err;
  EXPECT_THAT(clerk.out, HasSubstr("dry run: 5 valid, 0 duplicates, 1 invalid\n"));
}

// On a terminal 40 columns wide the import's progress ("[", 30 marks, "] 5/5 rows") was wider
// than the terminal, which wrapped it at each redraw. Each redraw fits the width, short of its
// last column (ImportProgressLineTest.FitsATerminalOfAnyWidthFromTwentyOn).
TEST_F(RecordCommandsTest, TheImportsProgressFitsANarrowTerminal) {
  std::ostringstream out, err;
  SetTextColumns(40);
  const int code = RunCli(
      CliArgsAs(server_->address(), "clerk",
                {"record", "import", REGISTRY_SOURCE_DIR "/deploy/examples/import.csv",
                 "--dry-run"}),
      [](absl::string_view) { return std::optional<std::string>(); }, out, err,
      /*err_is_terminal=*/true);
  SetTextColumns(kStandardColumns);
  EXPECT_EQ(code, kExitError) << err.str();
  EXPECT_THAT(out.str(), HasSubstr("dry run: 5 valid, 0 duplicates, 1 invalid\n"));
  EXPECT_THAT(err.str(), HasSubstr("] 5/5 rows\n"));
  for (absl::string_view drawn : absl::StrSplit(err.str(), absl::ByAnyChar("\r\n"))) {
    EXPECT_LT(drawn.size(), 40u) << drawn;
  }
}

// An import's report named a row that repeats another row of the file by its own line only, and
// an empty required cell by its column's format; it names the line repeated, and says the cell
// is required, neither with a value of the file.
TEST_F(RecordCommandsTest, AnImportReportNamesTheLineARowRepeatsAndAnEmptyRequiredCell) {
  std::string header, berisha, gashi;
  ASSERT_TRUE(ReadExampleImport(&header, &berisha, &gashi));
  const std::string no_number = absl::StrReplaceAll(gashi, {{",1000000022,", ",,"}});
  const std::string file = dir_ + "/repeated.csv";
  std::ofstream(file) << header << "\n" << berisha << "\n" << gashi << "\n" << berisha << "\n"
                      << no_number << "\n";
  const CliRun run = As("clerk", {"record", "import", file, "--dry-run"});
  EXPECT_EQ(run.code, kExitError) << run.err;
  EXPECT_EQ(run.out,
            "line 4: conviction: the same conviction (court, case number, personal number) as "
            "another row of this import (line 2); one row per conviction\n"
            "line 5: personal_number: required\n"
            "dry run: 2 valid, 0 duplicates, 2 invalid\n");
  // With --json every line's result comes by line, the rows refused here among the registry's.
  const std::string first_bad = dir_ + "/first-bad.csv";
  std::ofstream(first_bad) << header << "\n" << no_number << "\n" << berisha << "\n";
  const CliRun json = RunCliCaptured(CliArgsAs(
      server_->address(), "clerk", {"record", "import", first_bad, "--dry-run"}, true));
  EXPECT_EQ(json.code, kExitError) << json.err;
  ExpectInThisOrder(json.out, "\"line\":\"2\"", "\"line\":\"3\"");
}

// A row refused for a cell of its own (a sex it cannot read, a date that is none) was not sent,
// so its court and offence missing from the tables, and the registry's rules of its other cells,
// were named only after the clerk had mended it: a round of a large file each. The registry
// checks the rest of the row (a dry run, which stores nothing), and every problem of a row is
// named at once, by column, never its values; the words and court ids `record create` takes are
// taken in any case.
TEST_F(RecordCommandsTest, AnImportRowsReportNamesEveryProblemOfTheRowAtOnce) {
  std::string header, berisha, gashi;
  ASSERT_TRUE(ReadExampleImport(&header, &berisha, &gashi));
  const std::string many = absl::StrReplaceAll(
      berisha, {{",male,", ",x,"}, {"1975-09-30", "1981-02-30"}, {"basic-prizren", "nowhere"},
                {"04/L-082:235:1", "06/L-074:999:0"}});
  const std::string months =
      absl::StrReplaceAll(berisha, {{",48,", ",700,"}, {"2019-10-02", "2032-10-02"}});
  const std::string capitals =
      absl::StrReplaceAll(gashi, {{",male,", ",M,"}, {"basic-gjilan", "BASIC-GJILAN"}});
  const std::string file = dir_ + "/many.csv";
  std::ofstream(file) << header << "\n" << many << "\n" << months << "\n" << capitals << "\n";
  for (const bool dry_run : {true, false}) {
    std::vector<std::string> command = {"record", "import", file};
    if (dry_run) command.push_back("--dry-run");
    const CliRun run = As("clerk", command);
    EXPECT_EQ(run.code, kExitError) << run.err;
    const std::vector<std::string> lines = absl::StrSplit(run.out, '\n');
    ASSERT_GE(lines.size(), 3u) << run.out;
    EXPECT_THAT(lines[0], StartsWith("line 2: sex: not female or male; birth_date: not a real "
                                     "date; court_id: not in the court table"));
    EXPECT_THAT(lines[0], HasSubstr("; offences: not in the offence table")) << run.out;
    EXPECT_THAT(lines[1], StartsWith("line 3: final_date: ")) << run.out;
    EXPECT_THAT(lines[1], EndsWith("; sentence_months: not a whole number 0..600")) << run.out;
    EXPECT_EQ(lines[2], dry_run ? "dry run: 1 valid, 0 duplicates, 2 invalid"
                                : "1 created, 0 duplicates, 2 invalid")
        << run.out;
    for (const char* value : {"nowhere", "999", "1981", "2032", "700"}) {
      EXPECT_THAT(run.out, Not(HasSubstr(value))) << "no value of the file is repeated";
    }
  }
}

// A backlog file lists a person's convictions in date order. Sent in batches in that order, an
// earlier conviction whose retention had ended on its own reached the registry before the later
// conviction that keeps it, and was refused as spent ("1 invalid" with --batch 1, or once a file
// was longer than a batch); a dry run said the same. The rows go latest final date first, so
// however the file is cut into batches, the same rows are entered, and a dry run says so; the
// report still goes by line.
TEST_F(RecordCommandsTest, AnImportEntersAnEarlierConvictionKeptByALaterOneInAnyBatches) {
  std::string header;
  ASSERT_TRUE(ReadExampleImport(&header));
  // A fine counts 10 years and is deleted 15 years after its final date: the first one's time
  // ended in 2025 on its own; the second, final within its period (before 2020-01-10), keeps it
  // until 2034.
  // Each by a court and under a code of its time: a District Court and the Provisional Criminal
  // Code in 2009, a Basic Court and the 2019 Code's equivalent after.
  const auto fine = [](const std::string& court, const std::string& case_number,
                       const std::string& judgment_date, const std::string& final_date,
                       const std::string& offence) {
    return absl::StrCat("Krasniqi,Besnik,Ilir,male,1980-04-12,Prishtinë,XK,1000000088,"
                        "\"Rr. Agim Ramadani 5, Prishtinë\",",
                        court, ",", case_number, ",", judgment_date, ",", final_date, ",",
                        offence, ",fine,0,,,false,,\n");
  };
  const std::string file = dir_ + "/backlog.csv";
  std::ofstream(file) << header << "\n"
                      << fine("district-prishtine", "P 3/2009", "2009-11-20", "2010-01-10",
                              "UNMIK/2003/25:196:0")
                      << fine("basic-prishtine", "P 14/2019", "2019-11-20", "2019-12-10",
                              "06/L-074:230:1");

  for (const std::string batch : {"1", "500"}) {
    const CliRun dry_run =
        As("clerk", {"record", "import", file, "--batch", batch, "--dry-run"});
    EXPECT_EQ(dry_run.code, 0) << "--batch " << batch << ": " << dry_run.err;
    EXPECT_EQ(dry_run.out, "dry run: 2 valid, 0 duplicates, 0 invalid\n") << "--batch " << batch;
  }
  const CliRun run = As("clerk", {"record", "import", file, "--batch", "1"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out, "2 created, 0 duplicates, 0 invalid\n");

  // Both are in: the same file again finds each, named in the order of its lines.
  const CliRun again = As("clerk", {"record", "import", file, "--batch", "1"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, EndsWith("0 created, 2 duplicates, 0 invalid\n"));
  ExpectInThisOrder(again.out, "line 2: already in the registry as record ",
                    "line 3: already in the registry as record ");
}

// The import report printed the refused rows first and the rows already in the registry after
// them, each group by line: a clerk reading it beside the file went back and forth. One report
// by line, as the file reads, whatever each line's result. The rows give their country codes in
// small letters ("xk"), which a CSV import takes as --citizenship does (the registry refused
// them as not upper case).
TEST_F(RecordCommandsTest, AnImportReportsRefusedAndDuplicateRowsTogetherInTheFilesOrder) {
  std::string header;
  ASSERT_TRUE(ReadExampleImport(&header));
  const auto row = [](int n, const std::string& personal_number, const std::string& court) {
    return absl::StrCat("Gashi,Luan,Besim,male,1980-04-12,Prishtinë,xk;al,", personal_number,
                        ",\"Rr. Agim Ramadani 5, Prishtinë\",", court, ",P ", n,
                        "/2024,2024-01-04,2024-02-01,06/L-074:230:1,fine,0,,,false,,\n");
  };
  const std::string first = dir_ + "/first.csv";
  std::ofstream(first) << header << "\n"
                       << row(1, "1000000101", "basic-prishtine")
                       << row(2, "1000000102", "basic-prishtine");
  const CliRun created = As("clerk", {"record", "import", first});
  EXPECT_EQ(created.code, 0) << created.err;
  EXPECT_EQ(created.out, "2 created, 0 duplicates, 0 invalid\n");

  const std::string second = dir_ + "/second.csv";
  std::ofstream(second) << header << "\n"
                        << row(1, "1000000101", "basic-prishtine")   // line 2: in the registry
                        << row(3, "", "basic-prishtine")             // line 3: refused here
                        << row(2, "1000000102", "basic-prishtine")   // line 4: in the registry
                        << row(4, "1000000104", "basic-nowhere");    // line 5: refused there
  for (const bool dry_run : {false, true}) {
    std::vector<std::string> command = {"record", "import", second};
    if (dry_run) command.push_back("--dry-run");
    const CliRun run = As("clerk", command);
    EXPECT_EQ(run.code, kExitError) << run.err;
    std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
    ASSERT_EQ(lines.size(), 5u) << run.out;
    EXPECT_THAT(lines[0], StartsWith("line 2: already in the registry as record ")) << run.out;
    EXPECT_EQ(lines[1], "line 3: personal_number: required") << run.out;
    EXPECT_THAT(lines[2], StartsWith("line 4: already in the registry as record ")) << run.out;
    EXPECT_THAT(lines[3], StartsWith("line 5: court_id")) << run.out;
    EXPECT_EQ(lines[4], dry_run ? "dry run: 0 valid, 2 duplicates, 2 invalid"
                                : "0 created, 2 duplicates, 2 invalid")
        << run.out;
  }
}

// Rows sent latest final date first are not the file's lines in a row: a batch that got no
// answer, and the rows not sent, are named by their lines, never as "lines 3..5" of a batch
// that held lines 3 and 5 only, nor as "the lines after it".
TEST_F(RecordCommandsTest, AnImportThatStopsNamesTheLinesOfRowsSentOutOfTheFilesOrder) {
  std::string header;
  ASSERT_TRUE(ReadExampleImport(&header));
  const auto row = [](int n, const std::string& final_date) {
    return absl::StrCat("Gashi,Luan,Besim,male,1980-04-12,Prishtinë,XK,10000001", n,
                        ",\"Rr. Agim Ramadani 5, Prishtinë\",basic-prishtine,P ", n,
                        "/2024,2010-01-04,", final_date, ",06/L-074:230:1,fine,0,,,false,,\n");
  };
  const std::string file = dir_ + "/mixed.csv";
  std::ofstream(file) << header << "\n"
                      << row(10, "2010-02-01") << row(11, "2025-02-01") << row(12, "2015-02-01")
                      << row(13, "2020-02-01");
  const std::string address = server_->address();
  server_->Stop();
  const CliRun run = RunCliCaptured(
      CliArgsAs(address, "clerk", {"record", "import", file, "--batch", "2"}));
  EXPECT_EQ(run.code, kExitError) << run.err;
  EXPECT_THAT(Flowed(run.err),
              HasSubstr("the batch of lines 3, 5 was not sent, so nothing of it was entered; no "
                        "row was sent before it; lines 2, 4 were not sent: run the same import "
                        "again"));
}

// With the registry stopped (connection refused), an import said "the batch of lines 2..6 got no
// answer, so whether it was entered is not known; ... the lines after it were not sent": nothing
// had reached the registry, and the only line after it had been refused here.
TEST_F(RecordCommandsTest, AnImportThatCouldNotConnectSaysNothingWasEnteredAndNoLinesAfterIt) {
  std::string header;
  ASSERT_TRUE(ReadExampleImport(&header));
  const std::string file = dir_ + "/refused-last.csv";
  std::ofstream(file) << header << "\n"
                      << "Gashi,Luan,Besim,male,1980-04-12,Prishtinë,XK,1000000110,\"Rr. Agim "
                         "Ramadani 5, Prishtinë\",basic-prishtine,P 10/2024,2010-01-04,"
                         "2010-02-01,06/L-074:230:1,fine,0,,,false,,\n"
                      << "Gashi,Luan,Besim,male,1980-02-30,Prishtinë,XK,1000000111,\"Rr. Agim "
                         "Ramadani 5, Prishtinë\",basic-prishtine,P 11/2024,2010-01-04,"
                         "2010-02-01,06/L-074:230:1,fine,0,,,false,,\n";
  const std::string address = server_->address();
  server_->Stop();
  const CliRun run = RunCliCaptured(CliArgsAs(address, "clerk", {"record", "import", file}));
  EXPECT_EQ(run.code, kExitError) << run.err;
  const std::string err = Flowed(run.err);
  EXPECT_THAT(err, HasSubstr("the batch of line 2 was not sent, so nothing of it was entered; no "
                             "row was sent before it; no row was left to send after it: run the "
                             "same import again"));
  EXPECT_THAT(err, Not(HasSubstr("not known")));
  EXPECT_THAT(err, Not(HasSubstr("lines after it")));
  EXPECT_THAT(err, Not(HasSubstr("check before trying again")));
}

// `record create --interactive` with the registry stopped asked every question, then failed. The
// connection, and whether the caller may enter records at all, are checked before the first
// question, and the run stops with the usual error.
TEST_F(RecordCommandsTest, InteractiveCreateChecksTheServerAndTheRoleBeforeTheFirstQuestion) {
  const std::string answers = "Krasniqi\nDriton\n\n\nmale\n1975-02-03\n";
  const CliRun court = As("court", {"record", "create", "--interactive"}, answers);
  EXPECT_EQ(court.code, kExitError) << court.err;
  EXPECT_THAT(court.err, StartsWith("error: PERMISSION_DENIED: role court may not enter records"));
  EXPECT_THAT(court.err, Not(HasSubstr("Enter the record")));
  EXPECT_THAT(court.err, Not(HasSubstr("Surname")));

  const std::filesystem::path before = std::filesystem::current_path();
  const std::string address = server_->address();
  server_->Stop();
  std::filesystem::current_path(dir_);
  const CliRun run = RunCliCaptured(CliArgsAs(address, "clerk", {"record", "create",
                                                                 "--interactive"}),
                                    {}, CliInput{answers, true});
  std::filesystem::current_path(before);
  EXPECT_EQ(run.code, kExitError) << run.err;
  EXPECT_THAT(run.err, StartsWith("error: UNAVAILABLE: nothing answers at " + address));
  EXPECT_THAT(run.err, Not(HasSubstr("Enter the record")));
  EXPECT_THAT(run.err, Not(HasSubstr("answers are kept")));
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(std::filesystem::is_empty(dir_)) << "no answers were given, none are kept";
}

// A private key that other accounts may read was used without a word. Like ssh, the CLI warns
// (one line, naming the file and the chmod that fixes it) and goes on; the CA and the certificate
// are public and are not named.
TEST_F(RecordCommandsTest, AKeyOthersMayReadIsWarnedAboutOnceAndStillUsed) {
  const std::string identity = dir_ + "/clerk";
  std::filesystem::create_directory(identity);
  for (const char* name : {"ca.pem", "cert.pem", "key.pem"}) {
    const std::string path = identity + "/" + name;
    std::ofstream(path) << testing::TestPki::Get().ReadFile(absl::StrCat("clerk/", name));
    std::filesystem::permissions(path, std::filesystem::perms(0644));
  }
  const std::string key = identity + "/key.pem";
  const auto whoami = [&](const std::vector<std::string>& files) {
    std::vector<std::string> args = {"--server", server_->address()};
    args.insert(args.end(), files.begin(), files.end());
    args.push_back("whoami");
    return RunCliCaptured(args);
  };
  CliRun run = whoami({"--identity", identity});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(kClerkId));
  EXPECT_EQ(run.err, absl::StrCat("WARNING: the private key --identity ", key,
                                  " may be read by other accounts on this computer (mode 0644); "
                                  "make it yours only: chmod 600 ", key, "\n"));
  // Named as given, from --key; a key readable by its group only is warned about too.
  std::filesystem::permissions(key, std::filesystem::perms(0640));
  run = whoami({"--ca", identity + "/ca.pem", "--cert", identity + "/cert.pem", "--key", key});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.err, StartsWith(absl::StrCat("WARNING: the private key --key ", key, " may be "
                                               "read by other accounts on this computer (mode "
                                               "0640)")));
  // The owner's only: nothing to say, though the CA and the certificate stay readable by all.
  std::filesystem::permissions(key, std::filesystem::perms(0600));
  run = whoami({"--identity", identity});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
}

// Why the choices are not listed, by what failed: "when the server can be reached" of a
// certificate the registry refuses sent the reader after a server that was up.
TEST_F(RecordCommandsTest, HelpSaysWhyTheChoicesAreNotListedByTheKindOfFailure) {
  const std::string heading = "(the purpose codes you may state are not listed: ";
  const std::string untrusted = testing::TestPki::Get().IdentityDir("untrusted");
  EXPECT_THAT(Flowed(As("untrusted", {"record", "get", "--help"}).out),
              HasSubstr(absl::StrCat(heading, "the registry refuses --identity ", untrusted,
                                     " (expired, revoked or not issued by its CA).)")));
  const std::string expired = testing::TestPki::Get().IdentityDir("expired");
  EXPECT_THAT(Flowed(As("expired", {"record", "get", "--help"}).out),
              HasSubstr(absl::StrCat(heading, "the certificate of --identity ", expired,
                                     " is expired or not yet valid")));
  const std::string court = testing::TestPki::Get().IdentityDir("court");
  const CliRun nowhere = RunCliCaptured(
      {"--server", "127.0.0.1:1", "--identity", court, "record", "get", "--help"});
  EXPECT_EQ(nowhere.code, 0);
  EXPECT_THAT(Flowed(nowhere.out),
              HasSubstr(absl::StrCat(heading, "the registry cannot be reached.)")));
}

TEST_F(RecordCommandsTest, HelpListsWhatThisCallerMayChoose) {
  const CliRun court = As("court", {"record", "get", "--help"});
  EXPECT_EQ(court.code, 0);
  EXPECT_THAT(court.out, HasSubstr("purpose codes you may state (--purpose):\n"
                                   "  criminal_proceedings\n  sentencing\n"));
  const CliRun vetting = As("vetting", {"vet", "check", "--help"});
  EXPECT_THAT(vetting.out, HasSubstr("position categories Development primary school may check "
                                     "for (--position):\n  teacher\n"));
  const CliRun clerk = As("clerk", {"record", "create", "--help"});
  EXPECT_THAT(clerk.out, HasSubstr("courts (--court):\n  basic-prishtine      Basic Court of "
                                   "Prishtinë/Priština\n"));
  EXPECT_THAT(clerk.out, HasSubstr("  06/L-074:232:0       Abuse of children in pornography\n"));
  // A clerk states no purpose: nothing to list.
  EXPECT_THAT(As("clerk", {"record", "get", "--help"}).out, Not(HasSubstr("purpose codes")));
  const CliRun whoami = As("vetting", {"whoami"});
  EXPECT_EQ(whoami.code, 0);
  EXPECT_THAT(whoami.out, HasSubstr(absl::StrCat("identity:              ", kVettingId, "\n"
                                                 "role:                  vetting\n"
                                                 "organisation:          dev-school (Development "
                                                 "primary school)\n")));
  EXPECT_THAT(whoami.out, HasSubstr("position categories:   teacher, teaching_assistant, "
                                    "school_staff\n"));
}

// A birth date in the future (2030 typed for 1975) was taken at its question, and the judgment
// after it too; a final date before the judgment as well: the clerk heard of them only after the
// last question, and the corrected birth date was refused again for the judgment before it. The
// registry checks the birth date and the final date as typed too: the birth date is asked again
// at once; the final date with the judgment date, either being possibly the wrong one.
TEST_F(RecordCommandsTest, InteractiveCreateChecksTheBirthDateAndTheFinalDateAsTyped) {
  const CliRun run = CreateInteractively(absl::StrCat(
      PersonAnswers("2030-01-01\n1975-02-03", "1000000128"),
      ConvictionAnswers("P 93/2025", "2025-03-03", "2025-02-01\n2025-03-03\n2025-06-01"),
      "yes\n"));
  ASSERT_EQ(run.code, 0) << run.err;
  const std::string err = Flowed(run.err);
  EXPECT_THAT(err, HasSubstr("Date of birth (YYYY-MM-DD): must be before today Date of birth "
                             "(YYYY-MM-DD): Place of birth"));
  EXPECT_THAT(err, HasSubstr("Date it became final (YYYY-MM-DD): Date of the judgment "
                             "(conviction.judgment_date): is after the date the judgment became "
                             "final: check both dates, either may be the wrong one Date it became "
                             "final (conviction.final_date): must be on or after the judgment date "
                             "and not in the future type the judgment date and the date it became "
                             "final again, as either may be the wrong one Date of the judgment "
                             "(YYYY-MM-DD): Date it became final (YYYY-MM-DD):"));
  EXPECT_THAT(err, Not(HasSubstr("The registry would refuse these answers")));
  const std::vector<absl::string_view> parts = absl::StrSplit(err, "Enter this record?");
  EXPECT_EQ(parts.size(), 2u) << err;
  const v1::Record record = Get(std::string(absl::StripAsciiWhitespace(run.out)));
  EXPECT_EQ(record.person().birth_date(), "1975-02-03");
  EXPECT_EQ(record.conviction().judgment_date(), "2025-03-03");
  EXPECT_EQ(record.conviction().final_date(), "2025-06-01");
}

}  // namespace
}  // namespace registry::client
