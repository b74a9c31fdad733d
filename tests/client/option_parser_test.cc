#include "client/option_parser.h"

#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/repeats.h"

namespace registry::client {
namespace {

using ::registry::testing::ExpectRepeatsNone;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::vector<OptionSpec>& Specs() {
  static const auto* const kSpecs = new std::vector<OptionSpec>{
      {"case-ref", "REF", "case"},
      {"purpose", "CODE", "purpose"},
      {"dry-run", "", "flag"},
  };
  return *kSpecs;
}

absl::StatusOr<ParsedArgs> Parse(std::vector<std::string> args, size_t min = 0, size_t max = 5) {
  return ParseOptions(Specs(), args, min, max);
}

void ExpectUsageError(const absl::StatusOr<ParsedArgs>& parsed, const std::string& text) {
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(text));
}

TEST(ParseOptionsTest, TakesValueFromNextArgumentOrAfterEquals) {
  auto parsed = Parse({"--case-ref", "PKR 1/26", "--purpose=criminal_proceedings"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("case-ref"), "PKR 1/26");
  EXPECT_EQ(parsed->Get("purpose"), "criminal_proceedings");
  EXPECT_FALSE(parsed->help());
}

TEST(ParseOptionsTest, EqualsFormKeepsFurtherEqualsAndEmptyValues) {
  auto parsed = Parse({"--case-ref=a=b", "--purpose="});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("case-ref"), "a=b");
  EXPECT_TRUE(parsed->Has("purpose"));
  EXPECT_EQ(parsed->Value("purpose", "fallback"), "");
}

TEST(ParseOptionsTest, ValueMayStartWithDashWhenSeparate) {
  auto parsed = Parse({"--case-ref", "-5"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("case-ref"), "-5");
}

TEST(ParseOptionsTest, MixesPositionalsAndFlags) {
  auto parsed = Parse({"ID1", "--dry-run", "ID2"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positionals(), ElementsAre("ID1", "ID2"));
  EXPECT_TRUE(parsed->Flag("dry-run"));
  EXPECT_FALSE(parsed->Flag("purpose"));
  EXPECT_FALSE(parsed->Has("case-ref"));
  EXPECT_EQ(parsed->Get("case-ref"), std::nullopt);
}

TEST(ParseOptionsTest, DoubleDashEndsOptions) {
  auto parsed = Parse({"--", "--dry-run", "-x"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positionals(), ElementsAre("--dry-run", "-x"));
  EXPECT_FALSE(parsed->Flag("dry-run"));
}

TEST(ParseOptionsTest, RefusesUnknownOptions) {
  ExpectUsageError(Parse({"--nope"}), "unknown option --nope");
  ExpectUsageError(Parse({"--nope=1"}), "unknown option --nope");
  ExpectUsageError(Parse({"-x"}), "unknown option -x");
}

// An unknown option is repeated by its name only: a value glued to it may be a personal number.
TEST(ParseOptionsTest, AnUnknownOptionIsRepeatedWithoutWhatIsGluedToIt) {
  ExpectUsageError(Parse({"--case-ref1234567890"}),
                   "unknown option --case-ref… (--case-ref's value goes after a space or =)");
  ExpectUsageError(Parse({"--case-rf1234567890"}), "unknown option --case-rf… (did you mean --case-ref?)");
  ExpectUsageError(Parse({"--nope 1980-04-12"}), "unknown option --nope…");
  // A name typed as the file's field is spelt is shown whole, with the option it stands for.
  ExpectUsageError(Parse({"--case_ref"}), "unknown option --case_ref (did you mean --case-ref?)");
  ExpectUsageError(Parse({"--case_ref1234567890"}),
                   "unknown option --case_ref… (did you mean --case-ref?)");
  ExpectUsageError(Parse({"-1234567890"}), "unknown option -1…");
  for (const char* arg : {"--case-ref1234567890", "--x1234567890", "-1234567890", "--a=1234567890"}) {
    SCOPED_TRACE(arg);
    ExpectRepeatsNone(Parse({arg}).status().message(), {"1234567890"});
  }
}

TEST(ParseOptionsTest, RefusesMissingValue) {
  ExpectUsageError(Parse({"--case-ref"}), "option --case-ref needs a value REF");
}

// "--case-ref --purpose x" forgot the case reference: "--purpose" is not taken for it (leaving x
// a stray argument, or "--legal-basis --yes" a legal basis that skips the question). A value
// starting with "--" is still given after "=", and checked as any value; one starting with a
// single "-" may be given after a space.
TEST(ParseOptionsTest, AnOptionThatNeedsAValueDoesNotTakeTheNextOption) {
  ExpectUsageError(Parse({"--case-ref", "--purpose", "x"}),
                   "option --case-ref needs a value REF (got the option --purpose; a value that "
                   "starts with -- is written --case-ref=REF)");
  ExpectUsageError(Parse({"--case-ref", "--dry-run"}), "(got the option --dry-run;");
  ExpectUsageError(Parse({"--case-ref", "--nope"}), "(got the option --nope;");
  ExpectUsageError(Parse({"--case-ref", "--"}), "(got --, the end of the options;");
  // Only the option's name is repeated: what follows it may be a personal number.
  const absl::StatusOr<ParsedArgs> glued = Parse({"--case-ref", "--purpose=1234567890"});
  ExpectUsageError(glued, "(got the option --purpose…;");
  ExpectRepeatsNone(glued.status().message(), {"1234567890"});

  auto parsed = Parse({"--case-ref=--x", "--purpose", "-"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("case-ref"), "--x");
  EXPECT_EQ(parsed->Value("purpose"), "-");
  const std::vector<OptionSpec> checked = {
      {"case-ref", "REF", "case", false, false, ValueCheck::kReference}};
  ExpectUsageError(ParseOptions(checked, std::vector<std::string>{"--case-ref=--#1"}, 0, 0),
                   "--case-ref: 1..64 ASCII letters");
  // Help is still found after such a mistake.
  parsed = ParseOptions(Specs(), std::vector<std::string>{"--case-ref", "--dry-run", "--help"}, 0,
                        0, /*stop_at_positional=*/true);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->help());
}

TEST(ParseOptionsTest, RefusesValueForFlag) {
  ExpectUsageError(Parse({"--dry-run=yes"}), "option --dry-run takes no value");
}

TEST(ParseOptionsTest, RefusesOptionGivenTwice) {
  ExpectUsageError(Parse({"--purpose", "a", "--purpose=b"}), "option --purpose given twice");
  ExpectUsageError(Parse({"--dry-run", "--dry-run"}), "option --dry-run given twice");
}

TEST(ParseOptionsTest, ChecksPositionalCount) {
  ExpectUsageError(Parse({}, 1, 1), "missing argument");
  ExpectUsageError(Parse({"a", "b"}, 1, 1),
                   "unexpected argument: at most 1 argument expected, got 2");
  ExpectUsageError(Parse({"a"}, 0, 0), "unexpected argument: no arguments expected, got 1");
  ExpectUsageError(Parse({"a"}, 2, 2), "expected 2 arguments, got 1");
  EXPECT_TRUE(Parse({"a"}, 1, 1).ok());
}

// "missing argument" left the reader to find which word after the command was meant: with the
// positionals' names (from the usage line), a missing one is named, among the other problems.
TEST(ParseOptionsTest, AMissingArgumentIsNamedWhenThePositionalsAre) {
  const std::vector<std::string> names = {"ID (the record's id)", "FILE"};
  auto parsed = ParseOptions(Specs(), {}, 1, 1, false, names);
  ExpectUsageError(parsed, "missing argument: ID (the record's id)");
  EXPECT_EQ(parsed.status().message(), "missing argument: ID (the record's id)");
  ExpectUsageError(ParseOptions(Specs(), {}, 2, 2, false, names),
                   "missing arguments: ID (the record's id), FILE");
  ExpectUsageError(ParseOptions(Specs(), {"x"}, 2, 2, false, names), "missing argument: FILE");
  // Named with the required options that are missing too, in one error.
  const std::vector<OptionSpec> required = {{"reason", "TEXT", "why", true}};
  parsed = ParseOptions(required, {}, 1, 1, false, names);
  ExpectUsageError(parsed, "2 problems:\n  missing argument: ID (the record's id)\n  --reason is "
                           "required");
  EXPECT_TRUE(ParseOptions(Specs(), {"x"}, 1, 1, false, names).ok());
}

TEST(ParseOptionsTest, RefusesMissingRequiredOptions) {
  const std::vector<OptionSpec> specs = {{"file", "F", "file", true},
                                         {"reason", "R", "reason", true},
                                         {"batch", "N", "batch"}};
  auto parsed = ParseOptions(specs, std::vector<std::string>{"--batch", "3"}, 0, 0);
  ExpectUsageError(parsed, "--file, --reason are required");
  parsed = ParseOptions(specs, std::vector<std::string>{"--file=x"}, 0, 0);
  ExpectUsageError(parsed, "--reason is required");
  parsed = ParseOptions(specs, std::vector<std::string>{"--file=x", "--reason", "r"}, 0, 0);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
}

TEST(ParseOptionsTest, HelpWinsOverEveryOtherMistake) {
  for (const char* help : {"-h", "--help"}) {
    auto parsed = Parse({"--nope", "a", "b", "c", help}, 0, 0);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(parsed->help());
  }
  // After "--" it is a positional.
  auto parsed = Parse({"--", "--help"}, 1, 1);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->help());
  EXPECT_THAT(parsed->positionals(), ElementsAre("--help"));
}

// An extra word is often the rest of a value typed without quotes (--surname Van Dyke): it is
// counted, never repeated.
TEST(ParseOptionsTest, AnUnexpectedArgumentIsCountedNotRepeated) {
  auto parsed = Parse({"--case-ref", "PKR 1/26", "Krasniqi", "1000000123"}, 0, 1);
  ExpectUsageError(parsed, "at most 1 argument expected, got 2");
  ExpectRepeatsNone(parsed.status().message(), {"1000000123", "Krasniqi"});
}

// Help after the global options: their values ("--identity DIR") are not the first positional.
TEST(ParseOptionsTest, HelpIsFoundAfterTheValuesOfOptionsBeforeTheFirstPositional) {
  for (const char* help : {"-h", "--help"}) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--case-ref", "PKR 1/26", help},
          std::vector<std::string>{"--dry-run", "--purpose", "p", "--case-ref", "c", help},
          std::vector<std::string>{"--purpose=p", "--case-ref", "c", help, "record"},
          // A value that is itself the request for help is taken as one.
          std::vector<std::string>{"--case-ref", help}}) {
      auto parsed = ParseOptions(Specs(), args, 0, 0, /*stop_at_positional=*/true);
      ASSERT_TRUE(parsed.ok()) << parsed.status() << " " << args.size();
      EXPECT_TRUE(parsed->help()) << args.size();
    }
  }
  // After the first positional it is the subcommand's, and left in rest().
  auto parsed = ParseOptions(Specs(), std::vector<std::string>{"--case-ref", "c", "record", "-h"},
                             0, 0, /*stop_at_positional=*/true);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->help());
  EXPECT_THAT(parsed->rest(), ElementsAre("record", "-h"));
}

TEST(ParseOptionsTest, StopAtPositionalLeavesTheRestUntouched) {
  auto parsed = ParseOptions(Specs(),
                             std::vector<std::string>{"--purpose", "p", "record", "get",
                                                      "--nope", "-h"},
                             0, 0, /*stop_at_positional=*/true);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->help());
  EXPECT_EQ(parsed->Value("purpose"), "p");
  EXPECT_THAT(parsed->positionals(), IsEmpty());
  EXPECT_THAT(parsed->rest(), ElementsAre("record", "get", "--nope", "-h"));
}

TEST(UsageErrorTest, OnlyMarkedStatusesAreUsageErrors) {
  EXPECT_TRUE(IsUsageError(UsageError("x")));
  EXPECT_EQ(UsageError("x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("from the server")));
  EXPECT_FALSE(IsUsageError(absl::OkStatus()));
}

TEST(ParseUintOptionTest, AcceptsRangeAndRefusesTheRest) {
  auto value = ParseUintOption("batch", "1000", 1, 1000);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 1000u);
  for (const char* bad : {"0", "1001", "", "-1", "+5", "1e3", "12x", "99999999999999999999999"}) {
    auto parsed = ParseUintOption("batch", bad, 1, 1000);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(IsUsageError(parsed.status())) << bad;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("--batch")) << bad;
  }
  // What was typed in its place may be a personal number: not repeated.
  EXPECT_EQ(ParseUintOption("batch", "1234567890", 1, 1000).status().message(),
            "--batch must be a whole number from 1 to 1000");
}

// An option naming a file the command writes is checked before anything is sent: a name, and
// nothing there yet or a regular file, never a FIFO, a link or a device the rename would replace.
TEST(ParseOptionsTest, AnOutputPathIsANameOfANewOrRegularFile) {
  const std::vector<OptionSpec> specs = {
      {"out", "FILE", "where", false, false, ValueCheck::kOutputPath}};
  ExpectUsageError(ParseOptions(specs, std::vector<std::string>{"--out="}, 0, 0),
                   "--out: the file name is empty");
  struct stat device;
  if (stat("/dev/zero", &device) == 0 && S_ISCHR(device.st_mode)) {
    ExpectUsageError(ParseOptions(specs, std::vector<std::string>{"--out", "/dev/zero"}, 0, 0),
                     "--out /dev/zero: it is a device, not a regular file: give a new file "
                     "name, or a regular file to replace");
  }
  ExpectUsageError(ParseOptions(specs, std::vector<std::string>{"--out", "/"}, 0, 0),
                   "--out /: it is a folder");
  EXPECT_TRUE(ParseOptions(specs, std::vector<std::string>{"--out", "/nonexistent/new.json"}, 0, 0)
                  .ok());
}

TEST(ParseOptionsTest, RepeatableOptionsKeepEveryValueInOrder) {
  const std::vector<OptionSpec> specs = {{"offence", "X", "an offence", false, true},
                                         {"court", "C", "court"}};
  auto parsed = ParseOptions(
      specs, std::vector<std::string>{"--offence", "a", "--court", "c", "--offence=b"}, 0, 0);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->GetAll("offence"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parsed->Value("offence"), "a");
  EXPECT_EQ(parsed->GetAll("court"), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(parsed->GetAll("nothing").empty());
  ExpectUsageError(
      ParseOptions(specs, std::vector<std::string>{"--court", "c", "--court", "d"}, 0, 0),
      "option --court given twice");
}

TEST(ParseOptionsTest, EveryMissingOrMalformedValueIsNamedInOneError) {
  const std::vector<OptionSpec> specs = {
      {"birth-date", "D", "date", true, false, ValueCheck::kDate},
      {"consent-ref", "R", "reference", true, false, ValueCheck::kReference},
      {"position", "P", "position", true},
      {"surname", "S", "surname", true}};
  auto parsed = ParseOptions(
      specs, std::vector<std::string>{"--birth-date", "1980-02-30", "--consent-ref", "consent #7"},
      0, 0);
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(IsUsageError(parsed.status()));
  EXPECT_TRUE(HasOwnLines(parsed.status()));
  EXPECT_EQ(std::string(parsed.status().message()),
            "3 problems:\n"
            "  --position, --surname are required\n"
            "  --birth-date: not a real date\n"
            "  --consent-ref: 1..64 ASCII letters, digits, spaces or /-.:_, with a letter or "
            "digit");
}

// A value that is not UTF-8 (a terminal in another encoding) is refused before anything is
// sent, naming the option and never the bytes: sent, protobuf would log the field and the server
// refuse it, and a vetting check refused so still counts against the day's checks.
TEST(ParseOptionsTest, AValueThatIsNotUtf8IsAUsageErrorNamingTheOption) {
  const std::string latin1 = "Kr\xebsniqi";  // "Krësniqi" in ISO 8859-1
  auto parsed = Parse({"--case-ref", latin1, "--purpose", "criminal_proceedings"});
  ExpectUsageError(parsed, "--case-ref: not valid UTF-8");
  ExpectRepeatsNone(parsed.status().message(), {"Kr"});
  EXPECT_TRUE(Parse({"--case-ref", "Kr\xc3\xabsniqi"}).ok());
}

// Positional arguments likewise: a record id typed in another encoding went to the server, and
// protobuf logged its field on stderr before the server refused it.
TEST(ParseOptionsTest, APositionalThatIsNotUtf8IsAUsageErrorNamingTheArgument) {
  const std::vector<std::string> names = {"ID (the record's id, 32 characters 0-9 and a-f)"};
  auto named = ParseOptions(Specs(), {"\xff\xfe"}, 1, 1, false, names);
  ExpectUsageError(named, "ID: not valid UTF-8 (is the terminal set to another encoding?)");
  EXPECT_THAT(std::string(named.status().message()), Not(HasSubstr("the record's id")));
  ExpectUsageError(ParseOptions(Specs(), {"a", "b\xe9"}, 0, 2), "argument 2: not valid UTF-8");
  EXPECT_TRUE(ParseOptions(Specs(), {"Kr\xc3\xabsniqi"}, 1, 1, false, names).ok());
}

TEST(DateProblemTest, TellsAWrongShapeFromADayTheCalendarDoesNotHave) {
  // Real days, a leap day among them.
  for (const char* date : {"1980-04-12", "1980-02-29"}) {
    EXPECT_EQ(DateProblem(date), "") << date;
  }
  // The right shape, but a day the calendar does not have. The date is not repeated: it is
  // often a date of birth.
  for (const char* date : {"1980-02-30", "1981-02-29"}) {
    EXPECT_EQ(DateProblem(date), "not a real date") << date;
  }
  // Not the shape YYYY-MM-DD.
  for (const char* date : {"12.04.1980", "1980-4-12"}) {
    EXPECT_EQ(DateProblem(date), "not a date YYYY-MM-DD") << date;
  }
  // A real day before the registry's earliest is said as that: it was called "not a real date".
  for (const char* date : {"1899-12-31", "1800-01-01"}) {
    EXPECT_EQ(DateProblem(date), "a date before 1900-01-01, the earliest the registry takes")
        << date;
  }
  EXPECT_EQ(DateProblem("1899-02-29"), "not a real date");
}

TEST(ReferenceProblemTest, OnlyWhatTheAuditLogHolds) {
  for (const char* reference : {"PKR 77/2026", "CC 04/L-082 art. 103"}) {
    EXPECT_EQ(ReferenceProblem(reference), "") << reference;
  }
  // Empty, too long, a letter beyond ASCII, a line break.
  for (const std::string& reference :
       {std::string(""), std::string(65, 'a'), std::string("Kërqeli"), std::string("a\nb")}) {
    EXPECT_NE(ReferenceProblem(reference), "") << reference;
  }
  // A look-alike of a space pasted from a word processor is named, with what to type: the rule
  // alone ("letters, digits, spaces ...") seemed to allow it.
  EXPECT_THAT(ReferenceProblem("PKR\u00a077/2026"), ::testing::HasSubstr("U+00A0"));
  EXPECT_THAT(ReferenceProblem("PKR 77\u20132026"), ::testing::HasSubstr("U+2013"));
}

// A legal basis is cited in Albanian or Serbian ("neni 103 i Kodit Penal të Kosovës", "član
// 103"): registry-cli refused it before sending, as any reference beyond ASCII. It takes the
// letters of both languages, Latin and Cyrillic, and nothing else a reference refuses.
TEST(ReferenceProblemTest, ALegalBasisTakesAlbanianAndSerbianLetters) {
  for (const char* basis : {"CC 04/L-082 art. 103", "neni 103 i Kodit Penal t\u00eb Kosov\u00ebs",
                            "\u010dlan 103 Krivi\u010dnog zakonika \u0107\u0161\u017e\u0111",
                            "\u0447\u043b\u0430\u043d 103 \u041a\u0417"}) {
    EXPECT_EQ(LegalBasisProblem(basis), "") << basis;
  }
  for (const std::string& basis :
       {std::string(""), std::string(65, 'a'), std::string("neni 103 \u00a72"),
        std::string("a\nb"), std::string("\u0391\u0392"), std::string("-.-")}) {
    EXPECT_EQ(LegalBasisProblem(basis),
              "1..64 letters (Latin or Cyrillic), digits, spaces or /-.:_, with a letter or digit")
        << basis;
  }
  EXPECT_THAT(LegalBasisProblem("neni\u00a0103"), ::testing::HasSubstr("U+00A0"));
  // Every other reference stays ASCII.
  EXPECT_NE(ReferenceProblem("neni 103 i Kodit Penal t\u00eb Kosov\u00ebs"), "");
}

// A problem and its note are whole on their lines: FormatError alone wraps, where it wraps at
// all, with the "error: CODE: " before the first line counted (wrapped here too, a problem was
// wrapped twice on a terminal and left a line of 101 columns in a pipe).
TEST(ProblemsErrorTest, OneProblemIsALineAndALongOneIsWholeUntilPrinted) {
  EXPECT_EQ(UsageProblems({"--surname is required"}).message(), "--surname is required");
  const absl::Status long_one =
      ProblemsError(absl::StatusCode::kFailedPrecondition,
                    {"--purpose: not one of the purpose codes you may state"},
                    "purpose codes you may state: criminal_proceedings, sentencing, appeal_review, "
                    "enforcement_of_sentence");
  EXPECT_FALSE(IsUsageError(long_one));
  EXPECT_TRUE(HasOwnLines(long_one));
  EXPECT_EQ(long_one.message(),
            "--purpose: not one of the purpose codes you may state\n"
            "purpose codes you may state: criminal_proceedings, sentencing, appeal_review, "
            "enforcement_of_sentence");
  const std::string long_problem =
      "--identity /home/clerk/registry/identities/clerk/key.pem: encrypted with a passphrase; "
      "registry-cli needs an unencrypted key (mode 0600)";
  EXPECT_EQ(UsageProblems({long_problem}).message(), long_problem);
  EXPECT_EQ(UsageProblems({"--surname is required", long_problem}).message(),
            absl::StrCat("2 problems:\n  --surname is required\n  ", long_problem));
  EXPECT_EQ(WithNote(absl::UnavailableError("nothing answers"), long_problem).message(),
            absl::StrCat("nothing answers\n", long_problem));
}

// A personal number typed with a space is named with the other problems of the same command
// line, not only after they were mended; its digits are not repeated.
TEST(ParseOptionsTest, APersonalNumberWithASpaceIsNamedWithTheOtherProblems) {
  const std::vector<OptionSpec> specs = {
      {"personal-number", "N", "number", true, false, ValueCheck::kPersonalNumber},
      {"birth-date", "YYYY-MM-DD", "date", true, false, ValueCheck::kDate},
      {"surname", "S", "surname", true}};
  const absl::StatusOr<ParsedArgs> parsed = ParseOptions(
      specs, {"--personal-number", "1234 567890", "--birth-date", "12.04.1980"}, 0, 0);
  ASSERT_FALSE(parsed.ok());
  const std::string message = UnwrappedMessage(parsed.status());
  EXPECT_THAT(message, ::testing::HasSubstr("3 problems:"));
  EXPECT_THAT(message, ::testing::HasSubstr("--surname is required"));
  EXPECT_THAT(message, ::testing::HasSubstr(
                           "--personal-number: holds a space: a personal number is written "
                           "without spaces"));
  EXPECT_THAT(message, ::testing::HasSubstr("--birth-date: not a date YYYY-MM-DD"));
  EXPECT_EQ(message.find("567890"), std::string::npos);
  EXPECT_THAT(PersonalNumberProblem("1234\t567890"), ::testing::HasSubstr("no personal number has"));
  EXPECT_THAT(PersonalNumberProblem("12345678\xc3\xab" "0"),
              ::testing::HasSubstr("no personal number has"));
  EXPECT_EQ(PersonalNumberProblem("1234567890"), "");
  EXPECT_EQ(PersonalNumberProblem("AB-123/45"), "") << "the format itself is the registry's";
}

TEST(ParseOptionsTest, OptionsThatGoTogetherAreNamedMissingWithTheOtherProblems) {
  // record search's two ways of asking: a personal number, or surname, given name and birth date.
  const std::vector<OptionSpec> specs = {
      {"personal-number", "N", "number", false, false, ValueCheck::kPersonalNumber, {},
       {"surname", "given-name", "birth-date"}},
      {"surname", "S", "surname", false, false, ValueCheck::kNone, {"given-name", "birth-date"}},
      {"given-name", "G", "given", false, false, ValueCheck::kNone, {"surname", "birth-date"}},
      {"birth-date", "D", "date", false, false, ValueCheck::kDate, {"surname", "given-name"}}};
  // A bad date and a missing given name: both in one answer, the group named once.
  absl::StatusOr<ParsedArgs> parsed =
      ParseOptions(specs, {"--surname", "Gashi", "--birth-date", "1980-02-30"}, 0, 0);
  ASSERT_FALSE(parsed.ok());
  std::string message = UnwrappedMessage(parsed.status());
  EXPECT_EQ(message,
            "2 problems:\n"
            "  --surname, --given-name and --birth-date go together: --given-name is missing\n"
            "  --birth-date: not a real date");
  EXPECT_EQ(message.find("Gashi"), std::string::npos);
  parsed = ParseOptions(specs, {"--given-name", "Arta"}, 0, 0);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(UnwrappedMessage(parsed.status()),
            "--surname, --given-name and --birth-date go together: --surname, --birth-date are "
            "missing");
  // Both ways at once: that is the problem named, not the name options the number lacks.
  parsed = ParseOptions(specs, {"--personal-number", "1234567890", "--surname", "Gashi"}, 0, 0);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(UnwrappedMessage(parsed.status()),
            "--personal-number and --surname are two ways of asking: give one of them");
  // Whole groups, and either way alone, parse.
  EXPECT_TRUE(ParseOptions(specs,
                           {"--surname", "Gashi", "--given-name", "Arta", "--birth-date",
                            "1980-02-28"},
                           0, 0)
                  .ok());
  EXPECT_TRUE(ParseOptions(specs, {"--personal-number", "1234567890"}, 0, 0).ok());
  EXPECT_TRUE(ParseOptions(specs, {}, 0, 0).ok()) << "none at all is the command's to refuse";
}

std::vector<std::string> EveryValueAfterTheFirst(const std::vector<std::string>& values) {
  std::vector<std::string> lines;
  for (size_t i = 1; i < values.size(); ++i) lines.push_back(absl::StrCat("--set #", i + 1, ": x"));
  return lines;
}

// A check of an option's values that the command knows (record amend's --set) was made after a
// required option was given: the problems of the values are named with the missing option.
TEST(ParseOptionsTest, ACheckOfAnOptionsValuesIsNamedWithTheMissingOptions) {
  const std::vector<OptionSpec> specs = {
      {"set", "F=V", "set", false, true, ValueCheck::kNone, {}, {}, &EveryValueAfterTheFirst},
      {"file", "FILE", "file", false, false, ValueCheck::kInputPath},
      {"reason", "TEXT", "reason", true}};
  absl::StatusOr<ParsedArgs> parsed =
      ParseOptions(specs, {"--set", "a=1", "--set", "b=2", "--file="}, 0, 0);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(UnwrappedMessage(parsed.status()),
            "3 problems:\n"
            "  --reason is required\n"
            "  --set #2: x\n"
            "  --file: the file name is empty");
  EXPECT_TRUE(ParseOptions(specs, {"--set", "a=1", "--reason", "r", "--file", "f"}, 0, 0).ok());
}

// --json prints UnwrappedMessage, each problem and the note whole on its line.
TEST(ProblemsErrorTest, TheUnwrappedMessageKeepsEachProblemAndTheNoteOnOneLine) {
  const std::string note =
      "purpose codes you may state: criminal_proceedings, sentencing, appeal_review, "
      "enforcement_of_sentence";
  const std::string long_problem =
      "--consent-ref: 1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit";
  EXPECT_EQ(UnwrappedMessage(ProblemsError(absl::StatusCode::kFailedPrecondition,
                                           {"--purpose: not one of the purpose codes"}, note)),
            absl::StrCat("--purpose: not one of the purpose codes\n", note));
  EXPECT_EQ(UnwrappedMessage(UsageProblems({"--surname is required", long_problem})),
            absl::StrCat("2 problems:\n  --surname is required\n  ", long_problem));
  EXPECT_EQ(UnwrappedMessage(WithNote(absl::NotFoundError("no such record"), note)),
            absl::StrCat("no such record\n", note));
  EXPECT_EQ(UnwrappedMessage(absl::NotFoundError("no such record")), "no such record");
}

// A value pasted with a space or tab around it is read as the value: every option alike, as
// ids and the interactive answers were ("teacher " sent a check the registry refused, counted
// against the employer's limit; "PKR 77/2026 " was audited with its space; " 1980-04-12" was
// "not a date").
TEST(ParseOptionsTest, SpacesAndTabsAroundAnOptionValueAreTakenOffBeforeItIsChecked) {
  const std::vector<OptionSpec> specs = {{"case-ref", "REF", "case", false, false,
                                          ValueCheck::kReference},
                                         {"birth-date", "YYYY-MM-DD", "date", false, false,
                                          ValueCheck::kDate},
                                         {"personal-number", "N", "number", false, false,
                                          ValueCheck::kPersonalNumber},
                                         {"position", "CATEGORY", "position"},
                                         {"set", "FIELD=VALUE", "change", false, true}};
  auto parsed = ParseOptions(specs,
                             {"--case-ref", "PKR 77/2026 ", "--birth-date= 1980-04-12",
                              "--personal-number", "1234567890\t", "--position", "\tteacher  ",
                              "--set", " alias=Beni ", "--set=address=Rr. 1\t"},
                             0, 0);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("case-ref"), "PKR 77/2026");
  EXPECT_EQ(parsed->Value("birth-date"), "1980-04-12");
  EXPECT_EQ(parsed->Value("personal-number"), "1234567890");
  EXPECT_EQ(parsed->Value("position"), "teacher");
  EXPECT_THAT(parsed->GetAll("set"), ElementsAre("alias=Beni", "address=Rr. 1"));
  // Only around the value: a space inside it stays, and is judged as before.
  ExpectUsageError(ParseOptions(specs, {"--personal-number", " 12345 67890 "}, 0, 0),
                   "--personal-number: holds a space");
}

// "--reason ' '" was sent, and refused by the registry with a rule a space seems to meet
// ("1..500 characters of valid UTF-8, no control characters").
TEST(ParseOptionsTest, ARequiredTextOfSpacesOnlyIsSaidToBeEmpty) {
  const std::vector<OptionSpec> specs = {{"reason", "TEXT", "why", true}};
  for (const char* blank : {" ", "\t ", ""}) {
    const auto parsed = ParseOptions(specs, {"--reason", blank}, 0, 0);
    ExpectUsageError(parsed, "--reason: empty (spaces alone are no value): give TEXT");
  }
  EXPECT_TRUE(ParseOptions(specs, {"--reason", " typo "}, 0, 0).ok());
}

// "-1" was shown as "-…" though "-x" is shown as "-x": one digit is nobody's data.
TEST(ParseOptionsTest, AShortOptionThatIsADigitIsShownAsTyped) {
  ExpectUsageError(Parse({"-1"}), "unknown option -1");
  EXPECT_THAT(std::string(Parse({"-1"}).status().message()), Not(HasSubstr("…")));
}

std::vector<std::string> SetLikeProblems(const std::vector<std::string>& values) {
  std::vector<std::string> problems;
  for (const std::string& value : values) {
    problems.push_back(absl::StrCat("--set ", value.substr(0, value.find('=')), ": its own check"));
  }
  return problems;
}

// A --set FIELD=VALUE that was not UTF-8 was reported twice ("--set #1: not FIELD=VALUE ..." and
// "--set: not valid UTF-8"), and a value that was not named its field: the option's own check
// judges its values, UTF-8 included, and names the field.
TEST(ParseOptionsTest, AValueAnOptionChecksItselfIsJudgedOnceByThatCheck) {
  const std::vector<OptionSpec> specs = {
      {"set", "FIELD=VALUE", "change", false, true, ValueCheck::kNone, {}, {}, &SetLikeProblems}};
  const auto parsed = ParseOptions(specs, {"--set", "address=R\xffr"}, 0, 0);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(std::string(parsed.status().message()), "--set address: its own check");
}

// A vetting check with a zero-width space in the surname was sent, refused by the registry with
// its general rule for names, and counted against the employer's day: refused here, naming the
// character, never the name.
TEST(ParseOptionsTest, ANameHoldingAnInvisibleCharacterIsRefusedBeforeItIsSent) {
  const std::vector<OptionSpec> specs = {
      {"surname", "S", "surname", true, false, ValueCheck::kName},
      {"given-name", "G", "given name", true, false, ValueCheck::kName}};
  const auto parsed = ParseOptions(
      specs, {"--surname", "Kr\xc2\xad" "asniqi", "--given-name", "Arben\xe2\x80\x8b"}, 0, 0);
  ExpectUsageError(parsed, "--surname: holds an invisible character (U+00AD)");
  ExpectUsageError(parsed, "--given-name: holds an invisible character (U+200B)");
  EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr("Arben")));
  EXPECT_TRUE(ParseOptions(specs, {"--surname", "Kërqeli", "--given-name", "Arben"}, 0, 0).ok());
}

}  // namespace
}  // namespace registry::client
