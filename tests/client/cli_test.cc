#include "client/cli.h"
#include "client/record_import.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/cli_output.pb.h"
#include "client/command_table.h"
#include "client/files.h"
#include "client/json_io.h"
#include "client/option_parser.h"
#include "client/output_buffer.h"
#include "client/terminal_text.h"
#include "crypto/ed25519.h"
#include "crypto/secret_bytes.h"
#include "crypto/vetting_certificate.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_run.h"

namespace registry::client {
namespace {

using ::registry::testing::CliRun;
using ::registry::testing::Flowed;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

CliRun RunWith(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return ::registry::testing::RunCliCaptured(args, env);
}

class TempDir {
 public:
  TempDir() {
    char dir_template[] = "/tmp/cli_test.XXXXXX";
    path_ = mkdtemp(dir_template);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string Write(const std::string& name, const std::string& contents) const {
    const std::string path = path_ + "/" + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// An output every write to fails, as a full disk's does.
class FailingBuffer : public std::streambuf {
 protected:
  int_type overflow(int_type) override { return traits_type::eof(); }
  std::streamsize xsputn(const char*, std::streamsize) override { return 0; }
};

TEST(CliTest, ToolHelpListsEveryCommandAndExitsZero) {
  for (const char* help : {"--help", "-h"}) {
    const CliRun run = RunWith({help});
    EXPECT_EQ(run.code, 0);
    EXPECT_THAT(run.out, StartsWith("usage: registry-cli [global options] COMMAND"));
    for (const CommandSpec& command : Commands()) {
      EXPECT_THAT(run.out, HasSubstr("  " + command.name + " ")) << command.name;
    }
    EXPECT_THAT(run.out, HasSubstr("--identity DIR"));
    EXPECT_THAT(run.err, IsEmpty());
  }
}

TEST(CliTest, EveryCommandHasHelpThatExitsZero) {
  for (const CommandSpec& command : Commands()) {
    std::vector<std::string> args = absl::StrSplit(command.name, ' ');
    for (const char* help : {"--help", "-h"}) {
      std::vector<std::string> with_help = args;
      with_help.push_back(help);
      const CliRun run = RunWith(with_help);
      EXPECT_EQ(run.code, 0) << command.name;
      EXPECT_THAT(run.out, StartsWith(CommandUsageLine(command) + "\n")) << command.name;
      for (const OptionSpec& option : command.options) {
        EXPECT_THAT(run.out, HasSubstr("--" + option.name)) << command.name;
      }
    }
  }
}

TEST(CliTest, HelpNeverCutsADescriptionAndFitsATerminal) {
  const std::string tool = RunWith({"--help"}).out;
  for (const CommandSpec& command : Commands()) {
    const std::string brief = Brief(command);
    // A whole sentence: it ends one, and the summary goes on (if at all) after it.
    EXPECT_TRUE(absl::EndsWith(brief, ".")) << command.name << ": " << brief;
    ASSERT_TRUE(absl::StartsWith(command.summary, brief)) << command.name;
    const std::string after = command.summary.substr(brief.size());
    EXPECT_TRUE(after.empty() || after[0] == ' ' || after[0] == '\n') << command.name;
    // Shown whole, however it is wrapped, in the tool's and the group's help.
    EXPECT_THAT(Flowed(tool), HasSubstr(absl::StrCat(command.name, " ", brief))) << command.name;
    // The command's own help has the whole summary.
    const std::vector<std::string> words = absl::StrSplit(command.name, ' ');
    std::vector<std::string> args(words.begin(), words.end());
    args.push_back("--help");
    EXPECT_THAT(Flowed(RunWith(args).out), HasSubstr(Flowed(command.summary))) << command.name;
  }
  std::vector<std::string> helps = {tool, RunWith({"record", "--help"}).out};
  for (const CommandSpec& command : Commands()) {
    std::vector<std::string> args = absl::StrSplit(command.name, ' ');
    args.push_back("--help");
    helps.push_back(RunWith(args).out);
  }
  for (const std::string& help : helps) {
    for (absl::string_view line : absl::StrSplit(help, '\n')) {
      size_t columns = 0;
      for (char c : line) columns += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
      EXPECT_LE(columns, kHelpWidth) << line;
    }
  }
}

// Help is reachable after any global options: the value of "--identity DIR" or "--server X"
// does not end the search for it.
TEST(CliTest, HelpIsReachableAfterGlobalOptions) {
  for (const char* help : {"--help", "-h"}) {
    for (const std::vector<std::string>& before :
         {std::vector<std::string>{"--identity", "var/dev/pki/clerk"},
          std::vector<std::string>{"--server", "127.0.0.1:7443"},
          std::vector<std::string>{"--json", "--timeout", "3", "--server=h:1", "--ca", "ca.pem"}}) {
      std::vector<std::string> args = before;
      args.push_back(help);
      const CliRun tool = RunWith(args);
      EXPECT_EQ(tool.code, 0) << before[0] << " " << help << ": " << tool.err;
      EXPECT_THAT(tool.out, StartsWith("usage: registry-cli [global options] COMMAND"));
      EXPECT_THAT(tool.err, IsEmpty());

      args = before;
      for (const char* word : {"record", help}) args.push_back(word);
      const CliRun group = RunWith(args);
      EXPECT_EQ(group.code, 0) << before[0] << " " << help << ": " << group.err;
      EXPECT_THAT(group.out, StartsWith("usage: registry-cli [global options] record COMMAND"));
    }
  }
}

TEST(CliTest, GroupHelpListsItsCommands) {
  const CliRun run = RunWith({"audit", "--help"});
  EXPECT_EQ(run.code, 0);
  EXPECT_THAT(run.out, HasSubstr("audit list"));
  EXPECT_THAT(run.out, HasSubstr("audit verify"));
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("record get")));
  const CliRun bare = RunWith({"record"});
  EXPECT_EQ(bare.code, 2);
  EXPECT_THAT(bare.err, HasSubstr("record amend"));
}

TEST(CliTest, NoCommandIsAUsageError) {
  const CliRun run = RunWith({});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, StartsWith("usage: registry-cli"));
}

TEST(CliTest, UnknownCommandsAndOptionsExitTwo) {
  CliRun run = RunWith({"frobnicate"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown command (a word of 10 "
                                  "characters, not repeated)\n"));
  run = RunWith({"record", "frob"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown subcommand of \"record\" (a "
                                  "word of 4 characters, not repeated)\n"));
  run = RunWith({"--colour", "health"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown option --colour"));
  run = RunWith({"record", "get", "ID", "--nope"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown option --nope\n"
                                  "usage: registry-cli [global options] record get ID"));
}

// "registry-cli help" was an unknown command; it is the tool's help, and "help X" is X's.
TEST(CliTest, HelpAsACommandGivesTheHelpOfWhatFollows) {
  CliRun run = RunWith({"help"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.out, RunWith({"--help"}).out);
  run = RunWith({"help", "record", "get"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.out, RunWith({"record", "get", "--help"}).out);
  run = RunWith({"help", "record"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_EQ(run.out, RunWith({"record", "--help"}).out);
  EXPECT_EQ(RunWith({"help", "recrod"}).code, kExitUsage);
}

TEST(CliTest, AMistypedCommandOrOptionIsAnsweredWithTheClosestName) {
  CliRun run = RunWith({"recrod", "get", "ID"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown command \"recrod\" (did you "
                                  "mean \"record\"?)\n"));
  run = RunWith({"record", "gte", "ID"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown command \"record gte\" (did "
                                  "you mean \"record get\"?)\n"));
  run = RunWith({"record", "get", "ID", "--case-reff", "X"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown option --case-reff (did you "
                                  "mean --case-ref?)\n"));
  // A name cut short is taken for the name it begins.
  run = RunWith({"record", "get", "ID", "--purp", "X"});
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown option --purp (did you mean "
                                  "--purpose?)\n"));
  run = RunWith({"--iddentity", "var/dev/clerk", "health"});
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown option --iddentity (did you "
                                  "mean --identity?)\n"));
  // Nothing close: nothing suggested, and the word is not repeated.
  run = RunWith({"frobnicate"});
  EXPECT_EQ(run.err, "error: INVALID_ARGUMENT: unknown command (a word of 10 characters, not "
                     "repeated)\n"
                     "run 'registry-cli --help' for the commands\n");
}

// The error a --json run printed on stderr: its one line parsed, with the keys it has.
struct JsonError {
  bool parsed = false;
  std::string code;
  std::string message;
  std::string usage;
  std::vector<std::string> keys;
};

JsonError ParseJsonError(const std::string& err) {
  JsonError error;
  google::protobuf::Struct object;
  if (err.empty() || err.back() != '\n' || err.find('\n') != err.size() - 1) return error;
  if (!google::protobuf::util::JsonStringToMessage(err, &object).ok()) return error;
  const auto outer = object.fields().find("error");
  if (object.fields().size() != 1 || outer == object.fields().end() ||
      !outer->second.has_struct_value()) {
    return error;
  }
  for (const auto& [key, value] : outer->second.struct_value().fields()) {
    error.keys.push_back(key);
    if (key == "code") error.code = value.string_value();
    if (key == "message") error.message = value.string_value();
    if (key == "usage") error.usage = value.string_value();
  }
  std::sort(error.keys.begin(), error.keys.end());
  error.parsed = true;
  return error;
}

// With --json, errors were still "error: NOT_FOUND: ..." lines a script had to scrape. They are
// one JSON object on stderr, {"error":{"code":"NOT_FOUND","message":"..."}}, with the exit codes
// of the text; a usage error adds the usage lines the text prints after it. Text the user typed
// is escaped by the JSON writer.
TEST(CliTest, WithJsonAnErrorIsOneJsonObjectOnStderrWithTheSameExitCode) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string status;
    std::string message_start;
    std::string usage_start = "";
  };
  const std::vector<Case> cases = {
      {{"--json", "record", "get"},
       kExitUsage,
       "INVALID_ARGUMENT",
       "missing argument: ID (the record's id, 32 characters 0-9 and a-f)",
       "usage: registry-cli [global options] record get ID [--case-ref REF --purpose CODE]\n"
       "run 'registry-cli record get --help' for its options"},
      {{"--json", "frobnicate"},
       kExitUsage,
       "INVALID_ARGUMENT",
       "unknown command (a word of 10 characters, not repeated)",
       "run 'registry-cli --help' for the commands"},
      {{"--json", "--colour", "health"},
       kExitUsage,
       "INVALID_ARGUMENT",
       "unknown option --colour",
       "run 'registry-cli --help' for the commands"},
      {{"--json", "--server", "127.0.0.1", "--identity", "/nonexistent/clerk", "health"},
       kExitUsage,
       "INVALID_ARGUMENT",
       "--server \"127.0.0.1\" is not HOST:PORT",
       "usage: registry-cli [global options] health"},
      {{"--json", "record", "create", "--file", "/nonexistent/rec.json"}, kExitUsage, "NOT_FOUND",
       "cannot read record file /nonexistent/rec.json"},
      {{"--json", "health"}, kExitUsage, "INVALID_ARGUMENT", "no client identity",
       "usage: registry-cli [global options] health"},
      {{"--json"}, kExitUsage, "INVALID_ARGUMENT", "no command"},
      {{"--json", "audit"}, kExitUsage, "INVALID_ARGUMENT", "no command"},
  };
  for (const Case& c : cases) {
    const CliRun run = RunWith(c.args);
    const std::string name = absl::StrJoin(c.args, " ");
    EXPECT_EQ(run.code, c.code) << name << ": " << run.err;
    EXPECT_EQ(run.out, "") << name;
    const JsonError error = ParseJsonError(run.err);
    ASSERT_TRUE(error.parsed) << name << ": " << run.err;
    const std::vector<std::string> keys =
        c.usage_start.empty() ? std::vector<std::string>{"code", "message"}
                              : std::vector<std::string>{"code", "message", "usage"};
    EXPECT_EQ(error.keys, keys) << name;
    EXPECT_EQ(error.code, c.status) << name;
    EXPECT_THAT(error.message, StartsWith(c.message_start)) << name;
    EXPECT_THAT(error.usage, StartsWith(c.usage_start)) << name;
    // Without --json, the same error as text.
    std::vector<std::string> text(c.args.begin() + 1, c.args.end());
    EXPECT_THAT(RunWith(text).err, StartsWith(c.args.size() == 1 || c.args[1] == "audit"
                                                  ? "usage: registry-cli"
                                                  : "error: " + c.status + ": "))
        << name;
  }
  // The problems of a command line, one a line in text, are the message's lines.
  CliRun run = RunWith({"--json", "record", "create", "--surname", "K", "--birth-date",
                        "1975-02-30"});
  EXPECT_EQ(run.code, kExitUsage);
  JsonError error = ParseJsonError(run.err);
  ASSERT_TRUE(error.parsed) << run.err;
  EXPECT_THAT(error.message, HasSubstr("problems:\n  --birth-date: not a real date\n"));
  // A control character typed on the command line is escaped as JSON escapes it, once.
  run = RunWith({"--json", "record", "create", "--file", "/nonexistent/rec\x1b[2Jord.json"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("rec\\u001b[2Jord"));
  EXPECT_THAT(run.err, Not(HasSubstr("\x1b")));
  error = ParseJsonError(run.err);
  ASSERT_TRUE(error.parsed) << run.err;
  EXPECT_THAT(error.message,
              StartsWith("cannot read record file /nonexistent/rec\x1b[2Jord.json"));
  // An output that cannot be written is said the same way.
  FailingBuffer failing;
  std::ostream out(&failing);
  std::ostringstream err;
  EXPECT_EQ(RunCli({"--json", "--help"}, ProcessEnv(), out, err, /*err_is_terminal=*/false),
            kExitError);
  error = ParseJsonError(err.str());
  ASSERT_TRUE(error.parsed) << err.str();
  EXPECT_EQ(error.code, "FAILED_PRECONDITION");
  EXPECT_THAT(error.message, StartsWith("cannot write the output"));
}

// A name or personal number typed where the command belongs ("record 1234567890", an identity
// folder's value lost so that it is read as the command) was repeated in the error, which
// README.md says never happens. The word is repeated only as a near miss of a command, written
// as commands are (small letters); otherwise it is said by its length, in text and with --json.
TEST(CliTest, AnUnknownCommandIsRepeatedOnlyAsANearMissOfACommand) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--identity", "X", "record", "1234567890"},
       "unknown subcommand of \"record\" (a word of 10 characters, not repeated)"},
      {{"X", "1234567890"}, "unknown command (a word of 1 character, not repeated)"},
      {{"1234567890"}, "unknown command (a word of 10 characters, not repeated)"},
      {{"audit", "Arben Kërqeli"},
       "unknown subcommand of \"audit\" (a word of 13 characters, not repeated)"},
      {{"Arben Kërqeli", "record"}, "unknown command (a word of 13 characters, not repeated)"},
      // Written as a command is, but a few edits from none.
      {{"krasniqi"}, "unknown command (a word of 8 characters, not repeated)"},
      {{"1975-02-03"}, "unknown command (a word of 10 characters, not repeated)"},
      // A capital: a name, even a letter from a command.
      {{"Heath"}, "unknown command (a word of 5 characters, not repeated)"},
      {{"record", "Gte"},
       "unknown subcommand of \"record\" (a word of 3 characters, not repeated)"},
      // A near miss is repeated, with the command meant.
      {{"recrod"}, "unknown command \"recrod\" (did you mean \"record\"?)"},
      {{"record", "gte"}, "unknown command \"record gte\" (did you mean \"record get\"?)"},
  };
  for (const Case& c : cases) {
    const std::string name = absl::StrJoin(c.args, " ");
    const CliRun text = RunWith(c.args);
    EXPECT_EQ(text.code, kExitUsage) << name;
    EXPECT_THAT(text.err, StartsWith(absl::StrCat("error: INVALID_ARGUMENT: ", c.message, "\n")))
        << name;
    std::vector<std::string> with_json = {"--json"};
    with_json.insert(with_json.end(), c.args.begin(), c.args.end());
    const CliRun json = RunWith(with_json);
    EXPECT_EQ(json.code, kExitUsage) << name;
    const JsonError error = ParseJsonError(json.err);
    ASSERT_TRUE(error.parsed) << name << ": " << json.err;
    EXPECT_EQ(error.message, c.message) << name;
    for (const std::string& err : {text.err, json.err}) {
      for (const char* typed : {"1234567890", "Arben", "Kërqeli", "krasniqi", "1975", "Heath",
                                "Gte", "\"X\""}) {
        EXPECT_THAT(err, Not(HasSubstr(typed))) << name;
      }
    }
  }
}

// "get record ID", "import file.csv", "list": a command typed without its group got "unknown
// command (a word of 3 characters...)" or a wrong near miss ("get" for "vet"). Our own command
// words are said with their group, or each group that has them.
TEST(CliTest, ACommandTypedWithoutItsGroupIsAnsweredWithTheWholeCommand) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"get", "record", "0123456789abcdef0123456789abcdef"},
       "unknown command \"get\" (did you mean \"record get\"?)"},
      {{"import", "file.csv"}, "unknown command \"import\" (did you mean \"record import\"?)"},
      {{"search"}, "unknown command \"search\" (did you mean \"record search\"?)"},
      {{"expunge"}, "unknown command \"expunge\" (did you mean \"record expunge\"?)"},
      {{"check"}, "unknown command \"check\" (did you mean \"vet check\"?)"},
      {{"export"}, "unknown command \"export\" (did you mean \"audit export\"?)"},
      {{"list"}, "unknown command \"list\" (did you mean \"audit list\"?)"},
      {{"backup"}, "unknown command \"backup\" (did you mean \"admin backup\"?)"},
      {{"rotate-keys"}, "unknown command \"rotate-keys\" (did you mean \"admin rotate-keys\"?)"},
      {{"history"},
       "unknown command \"history\" (did you mean \"record history\" or \"vet history\"?)"},
      {{"verify"},
       "unknown command \"verify\" (did you mean \"certificate verify\" or \"audit "
       "verify\"?)"},
  };
  for (const Case& c : cases) {
    const CliRun run = RunWith(c.args);
    EXPECT_EQ(run.code, kExitUsage) << c.message;
    EXPECT_THAT(run.err, StartsWith(absl::StrCat("error: INVALID_ARGUMENT: ", c.message, "\n")));
    EXPECT_THAT(run.err, Not(HasSubstr("file.csv")));
  }
  // "create" is a command of one group: said with it. Anything else typed is not repeated.
  EXPECT_THAT(RunWith({"create"}).err, HasSubstr("(did you mean \"record create\"?)"));
  EXPECT_EQ(RunWith({"Get"}).err,
            "error: INVALID_ARGUMENT: unknown command (a word of 3 characters, not repeated)\n"
            "run 'registry-cli --help' for the commands\n");
}

// "record help" was "unknown subcommand of "record" (a word of 4 characters...)": help is the
// tool's own word after a group too, as "registry-cli help" takes it.
TEST(CliTest, HelpAfterAGroupIsItsHelpNotAnUnknownSubcommand) {
  const CliRun group = RunWith({"record", "help"});
  EXPECT_EQ(group.code, 0) << group.err;
  EXPECT_EQ(group.out, RunWith({"record", "--help"}).out);
  EXPECT_THAT(group.out, HasSubstr("record get"));
  const CliRun command = RunWith({"record", "help", "get"});
  EXPECT_EQ(command.code, 0) << command.err;
  EXPECT_EQ(command.out, RunWith({"record", "get", "--help"}).out);
}

// `record history 123` was sent and answered "ID: 32 lowercase hex characters", without the usage
// line, though an id in capitals is taken: the reads and the dispute say it as `record get` does,
// before anything is sent, with the usage line, the id typed not repeated.
TEST(CliTest, ARecordIdOfTheWrongShapeIsAUsageErrorWithTheUsageLineForEveryCommand) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"record", "get", "1234567890"},
        std::vector<std::string>{"record", "history", "1234567890"},
        std::vector<std::string>{"record", "dispute", "1234567890", "--reason", "contested"},
        std::vector<std::string>{"record", "undispute", "1234567890", "--reason", "settled"}}) {
    const std::string name = absl::StrCat(args[0], " ", args[1]);
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << name;
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: ID must be a record id: 32 hex "
                                    "characters (0-9 and a-f, in either case)"))
        << name;
    EXPECT_THAT(run.err, HasSubstr(absl::StrCat("\nusage: registry-cli [global options] ", name,
                                                " ID")))
        << name;
    EXPECT_THAT(run.err, Not(HasSubstr("1234567890"))) << name;
    EXPECT_THAT(run.err, Not(HasSubstr("lowercase"))) << name;
  }
}

// "record get --hepl" got no near miss: --help is in no command's table of options.
TEST(CliTest, AMisspeltHelpOptionIsAnsweredWithHelp) {
  const CliRun run = RunWith({"record", "get", "--hepl"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown option --hepl (did you mean "
                                  "--help?)"));
}

// "audit list --outcome 'Krasniqi Arben 1234567890'" repeated the value in its error. The names
// the option takes are listed instead.
TEST(CliTest, AnOutcomeThatIsNoStatusCodeIsNotRepeatedAndTheNamesItTakesAreListed) {
  for (const bool json : {false, true}) {
    std::vector<std::string> args = {"audit", "list", "--outcome", "Krasniqi Arben 1234567890"};
    if (json) args.insert(args.begin(), "--json");
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << run.err;
    EXPECT_THAT(run.err, HasSubstr("--outcome must be a status code name (any case): OK, "
                                   "CANCELLED, UNKNOWN, INVALID_ARGUMENT, "));
    EXPECT_THAT(run.err, HasSubstr("PERMISSION_DENIED, "));
    EXPECT_THAT(run.err, HasSubstr(", UNAUTHENTICATED"));
    EXPECT_THAT(run.err, Not(HasSubstr("Krasniqi")));
    EXPECT_THAT(run.err, Not(HasSubstr("1234567890")));
  }
}

// A record id typed in another encoding is refused before anything is sent, as an option's
// value is: protobuf logged the field on stderr (breaking --json's one object) and the server
// refused it after the call was made.
TEST(CliTest, AnArgumentThatIsNotUtf8IsAUsageErrorNamingItBeforeAnythingIsSent) {
  const std::string bytes = "\xff\xfe";
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"record", "get", bytes},
           {"record", "history", bytes},
           {"record", "dispute", bytes, "--reason", "appeal"},
           {"record", "undispute", bytes, "--reason", "appeal"},
           {"record", "expunge", bytes, "--legal-basis", "CC 04/L-082 art. 103", "--yes"},
           {"record", "amend", bytes, "--set", "surname=Krasniqi", "--reason", "typo"}}) {
    std::vector<std::string> args = {"--identity", "/nonexistent/clerk"};
    args.insert(args.end(), command.begin(), command.end());
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << command[1];
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: ID: not valid UTF-8 (is the "
                                    "terminal set to another encoding?)\n"))
        << command[1];
    args.insert(args.begin(), "--json");
    const CliRun json = RunWith(args);
    EXPECT_EQ(json.code, kExitUsage) << command[1];
    ErrorOutput error;
    ASSERT_EQ(std::count(json.err.begin(), json.err.end(), '\n'), 1) << json.err;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.err, &error).ok()) << json.err;
    EXPECT_THAT(error.error().message(), StartsWith("ID: not valid UTF-8")) << command[1];
  }
}

// What protobuf logs (a string field that is not UTF-8, here) never reaches stderr, where the
// tool's errors and --json's JSON lines are the whole of what a reader finds.
TEST(CliTest, ProtobufLogsNothingOnStderr) {
  KeepLibraryLogsOffStderr();
  ErrorOutput output;
  output.mutable_error()->set_message("\xff\xfe");
  ::testing::internal::CaptureStderr();
  std::string bytes;
  static_cast<void>(output.SerializeToString(&bytes));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

// Wrapping is for the terminal: with --json the message is whole, each problem on its line.
TEST(CliTest, WithJsonAnErrorMessageIsNotWrappedToATerminal) {
  const CliRun text = RunWith({"vet", "check"}, {{"COLUMNS", "80"}});
  ASSERT_EQ(text.code, kExitUsage);
  const std::string line = text.err.substr(0, text.err.find("\nusage:"));
  ASSERT_THAT(line, HasSubstr("\n    ")) << "the text is wrapped";
  const CliRun json = RunWith({"--json", "vet", "check"});
  ASSERT_EQ(json.code, kExitUsage);
  ErrorOutput error;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.err, &error).ok()) << json.err;
  EXPECT_THAT(error.error().message(), StartsWith("--personal-number, --surname"));
  EXPECT_THAT(error.error().message(), Not(HasSubstr("\n")));
  EXPECT_EQ(error.error().message(), Flowed(absl::StripPrefix(line, "error: INVALID_ARGUMENT: ")));
}

// The widest line of `text`, in characters.
size_t WidestLine(absl::string_view text) {
  size_t most = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    most = std::max<size_t>(most, std::count_if(line.begin(), line.end(), [](char c) {
                              return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
                            }));
  }
  return most;
}

// A certificate that is not there, in a folder whose name has spaces: an error of one line,
// longer than any terminal's, that can be broken.
const std::vector<std::string>& VerifyAMissingCertificate() {
  static const auto* const kArgs = new std::vector<std::string>{
      "certificate", "verify",
      "/nonexistent/the certificates vet check wrote for the candidates of the kindergarten/c.json",
      "--public-key", "/nonexistent/vetting.pub.pem"};
  return *kArgs;
}

// `COLUMNS=60 registry-cli ...` printed the error on one line of 177 characters, though help
// and questions are wrapped to the terminal: errors are too, further lines indented by 4.
TEST(CliTest, AnErrorIsWrappedToTheWidthColumnsGivesWithItsFurtherLinesIndented) {
  SetTextColumns(60);
  const CliRun run = RunWith(VerifyAMissingCertificate(), {{"COLUMNS", "60"}});
  SetTextColumns(kStandardColumns);
  ASSERT_EQ(run.code, kExitUsage) << run.err;
  EXPECT_LE(WidestLine(run.err), 60u) << run.err;
  const std::vector<std::string> lines = absl::StrSplit(absl::StripSuffix(run.err, "\n"), '\n');
  ASSERT_GE(lines.size(), 2u) << run.err;
  EXPECT_THAT(lines[0], StartsWith("error: NOT_FOUND: cannot read certificate"));
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_THAT(lines[i], StartsWith("    ")) << run.err;
  EXPECT_EQ(Flowed(run.err), Flowed(RunWith(VerifyAMissingCertificate()).err));
}

// A person at a terminal reads errors wrapped to it; a script reading stderr from a file or a
// pipe (no COLUMNS) gets each error whole on its line, as before.
TEST(CliTest, AnErrorIsWrappedOnATerminalAndWholeInAFile) {
  const CliRun file = RunWith(VerifyAMissingCertificate());
  EXPECT_EQ(std::count(file.err.begin(), file.err.end(), '\n'), 1) << file.err;
  EXPECT_GT(WidestLine(file.err), 80u) << file.err;

  std::ostringstream out, err;
  const int code = RunCli(
      VerifyAMissingCertificate(),
      [](absl::string_view) -> std::optional<std::string> { return std::nullopt; }, out, err,
      /*err_is_terminal=*/true);
  EXPECT_EQ(code, kExitUsage) << err.str();
  EXPECT_LE(WidestLine(err.str()), 80u) << err.str();
  EXPECT_EQ(Flowed(err.str()), Flowed(file.err));
}

// A message of the client's own lines (a note after the server's words) had its first line
// unwrapped: 131 characters at 120 columns. Each line too wide is wrapped, under itself.
TEST(CliTest, EachLineOfAnErrorOfTheClientsOwnLinesIsWrapped) {
  const absl::Status status = WithNote(
      absl::UnavailableError(
          "the call to registry.kjc.example:7443 ended after it had reached the server (Socket "
          "closed): the connection broke, or the registry could not finish it"),
      "check before trying again, with a read or `audit list` as an auditor, then try again");
  SetTextColumns(60);
  const std::string wrapped = FormatError(status, /*wrap=*/true);
  SetTextColumns(kStandardColumns);
  EXPECT_LE(WidestLine(wrapped), 60u) << wrapped;
  EXPECT_EQ(Flowed(wrapped), Flowed(FormatError(status)));
  // Unwrapped as before unless asked.
  EXPECT_GT(WidestLine(FormatError(status)), 120u);
}

// `audit verify --clock-skew abc` printed its usage's third line, "[--accept-new-log LOG_ID]",
// at column 0: a line break of the command table's own. Every command's usage has its lines
// after the first indented, as Wrap lays them out.
TEST(CliTest, EveryCommandsUsageHasItsFurtherLinesIndented) {
  for (const CommandSpec& command : Commands()) {
    const std::vector<std::string> lines = absl::StrSplit(CommandUsageLine(command), '\n');
    for (size_t i = 1; i < lines.size(); ++i) {
      EXPECT_THAT(lines[i], StartsWith("    ")) << command.name;
    }
  }
  // After an error the usage is wrapped on a terminal (COLUMNS set) as the error is.
  const CliRun run = RunWith({"audit", "verify", "--clock-skew", "abc"}, {{"COLUMNS", "80"}});
  ASSERT_EQ(run.code, kExitUsage) << run.err;
  const size_t usage = run.err.find("usage: ");
  ASSERT_NE(usage, std::string::npos) << run.err;
  const std::vector<std::string> lines =
      absl::StrSplit(run.err.substr(usage, run.err.find("\nrun '") - usage), '\n');
  ASSERT_GE(lines.size(), 2u) << run.err;
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_THAT(lines[i], StartsWith("    ")) << run.err;
}

// Usage errors of commands whose usage is longer than 80 columns.
const std::vector<std::vector<std::string>>& LongUsageMistakes() {
  static const auto* const kMistakes = new std::vector<std::vector<std::string>>{
      {"record", "get", "123"},
      {"record", "create", "--surname", "K1"},
      {"record", "amend", "0123456789abcdef0123456789abcdef", "--set", "alias="},
      {"vet", "check", "--out", "-"},
      {"audit", "export", "--out", "/nonexistent/events"},
      {"audit", "verify", "--clock-skew", "abc"},
  };
  return *kMistakes;
}

// With stderr in a file (COLUMNS unset) the error was one line, but the usage after it was
// wrapped at 80 columns: "record get ID [--case-ref REF --purpose" / "    CODE]". Every line
// after the error is whole, as the error is: the usage is the command's one line.
TEST(CliTest, InAFileTheUsageAfterAnErrorIsWholeAsTheErrorIs) {
  for (const std::vector<std::string>& args : LongUsageMistakes()) {
    const std::string name = absl::StrJoin(args, " ");
    const CliRun run = RunWith(args);
    ASSERT_EQ(run.code, kExitUsage) << name << ": " << run.err;
    const CommandSpec* command = FindCommand(absl::StrCat(args[0], " ", args[1]));
    ASSERT_NE(command, nullptr) << name;
    ASSERT_GT(CommandUsageText(*command).size(), 80u) << name;
    EXPECT_THAT(run.err, HasSubstr(absl::StrCat("\n", CommandUsageText(*command),
                                                "\nrun 'registry-cli ", command->name,
                                                " --help' for its options\n")))
        << name << ": " << run.err;
    const std::vector<std::string> lines = absl::StrSplit(run.err, '\n');
    for (const std::string& line : lines) {
      EXPECT_THAT(line, Not(StartsWith("    "))) << name << ": " << run.err;
    }
  }
}

// On a terminal 60 columns wide the usage and the hint after the error are wrapped to it, their
// further lines indented 4, the same words as in a file.
TEST(CliTest, OnATerminalTheUsageAfterAnErrorIsWrappedToItsWidth) {
  for (const std::vector<std::string>& args : LongUsageMistakes()) {
    const std::string name = absl::StrJoin(args, " ");
    SetTextColumns(60);
    const CliRun run = RunWith(args, {{"COLUMNS", "60"}});
    SetTextColumns(kStandardColumns);
    ASSERT_EQ(run.code, kExitUsage) << name << ": " << run.err;
    const size_t usage = run.err.find("\nusage: ");
    ASSERT_NE(usage, std::string::npos) << name << ": " << run.err;
    const std::string after = run.err.substr(usage + 1);
    const std::vector<std::string> lines = absl::StrSplit(absl::StripSuffix(after, "\n"), '\n');
    for (const std::string& line : lines) {
      EXPECT_LE(WidestLine(line), 60u) << name << ": " << run.err;
      if (!absl::StartsWith(line, "usage: ") && !absl::StartsWith(line, "run '")) {
        EXPECT_THAT(line, StartsWith("    ")) << name << ": " << run.err;
      }
    }
    EXPECT_EQ(Flowed(run.err), Flowed(RunWith(args).err)) << name;
  }
}

// The tool's help had its introduction and exit codes broken by hand at 80 columns: lines of 79
// characters in a 60-column terminal. They are wrapped as they are printed.
TEST(CliTest, TheToolsHelpFitsANarrowTerminal) {
  SetTextColumns(60);
  const CliRun run = RunWith({"--help"});
  SetTextColumns(kStandardColumns);
  ASSERT_EQ(run.code, kExitOk);
  for (absl::string_view line : absl::StrSplit(run.out, '\n')) {
    // A word longer than a line stands alone.
    if (!absl::StrContains(absl::StripAsciiWhitespace(line), ' ')) continue;
    EXPECT_LE(WidestLine(line), 60u) << line;
  }
  EXPECT_THAT(Flowed(run.out), HasSubstr("3 a change made (a record created or amended, an "
                                         "import, a backup) whose output could not be written"));
}

// An identity folder that is not there is no server that cannot be reached.
TEST(CliTest, HelpSaysWhyTheChoicesAreNotListedWhenTheIdentityIsNotThere) {
  const CliRun run = RunWith({"--identity", "/nonexistent/court", "record", "get", "--help"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_THAT(Flowed(run.out),
              HasSubstr("(the purpose codes you may state are not listed: --identity "
                        "/nonexistent/court is not an identity that can be used here"));
  EXPECT_THAT(run.out, Not(HasSubstr("can be reached")));
}

TEST(CliTest, GlobalOptionAfterTheCommandGetsAHint) {
  const CliRun run = RunWith({"record", "get", "ID", "--json"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: unknown option --json (--json is a "
                                  "global option: put it before \"record get\")"));
}

// Every command that takes an argument said only "missing argument" without it: it is named as
// the usage line names it, a usage error (exit code 2).
TEST(CliTest, AMissingArgumentIsNamedAsTheUsageLineNamesIt) {
  const std::string id = "missing argument: ID (the record's id, 32 characters 0-9 and a-f)";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"record", "get"}, id},
      {{"record", "history"}, id},
      {{"record", "amend", "--reason", "r", "--set", "address=x"}, id},
      {{"record", "expunge", "--legal-basis", "CC 1"}, id},
      {{"record", "dispute", "--reason", "r"}, id},
      {{"record", "import"}, "missing argument: FILE"},
      {{"certificate", "verify", "--public-key", "x"},
       "missing argument: CERT.json (the certificate file vet check --out wrote)"},
  };
  for (const auto& [args, message] : cases) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << args[1];
    EXPECT_THAT(run.err,
                StartsWith(absl::StrCat("error: INVALID_ARGUMENT: ", message, "\nusage: ")))
        << args[1];
  }
  // With the required options that are missing, in one error.
  const CliRun amend = RunWith({"record", "amend"});
  EXPECT_EQ(amend.code, kExitUsage);
  EXPECT_THAT(amend.err, StartsWith(absl::StrCat("error: INVALID_ARGUMENT: 2 problems:\n  ", id,
                                                 "\n  --reason is required\n")));
}

TEST(CliTest, MissingRequiredOptionsAndArgumentsExitTwo) {
  CliRun run = RunWith({"record", "amend", "ID", "--file", "patch.json"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("--reason is required"));
  run = RunWith({"record", "amend", "ID", "--reason", "typo"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("give the changes one way: --set FIELD=VALUE"));
  run = RunWith({"record", "get"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("missing argument"));
  run = RunWith({"record", "search", "--personal-number", "1", "--surname", "K"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("--personal-number and --surname are two ways of asking"));
  run = RunWith({"record", "search"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("either --personal-number, or"));
  run = RunWith({"record", "import", REGISTRY_SOURCE_DIR "/README.md"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("name it .csv, .jsonl or .ndjson"));
  run = RunWith({"record", "import", "rows.csv", "--batch", "1001"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("--batch must be a whole number from 1 to 1000"));
  run = RunWith({"--timeout", "0", "health"});
  EXPECT_EQ(run.code, 2);
  run = RunWith({"audit", "list", "--outcome", "FINE"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("--outcome must be a status code name"));
  run = RunWith({"audit", "verify", "--state", "state.json", "--clock-skew", "86401"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("--clock-skew must be a whole number from 1 to 86400"));
}

// `record amend ID --set birth-date=31.12.1990` without --reason said only "--reason is
// required": the bad value was named after the reason was given. Both are named at once.
TEST(CliTest, ABadSetValueIsNamedWithAMissingReason) {
  const CliRun run = RunWith({"record", "amend", "ID", "--set", "birth-date=31.12.1990"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: 2 problems:\n"
                                  "  --reason is required\n"
                                  "  --set birth-date: not a date YYYY-MM-DD\n"));
  EXPECT_THAT(run.err, Not(HasSubstr("31.12.1990")));
  // And with a missing argument, and a field that is none.
  const CliRun more = RunWith({"record", "amend", "--set", "adress=x"});
  EXPECT_EQ(more.code, kExitUsage);
  EXPECT_THAT(more.err, StartsWith("error: INVALID_ARGUMENT: 3 problems:\n"));
  EXPECT_THAT(more.err, HasSubstr("--set adress: not FIELD=VALUE"));
}

// "--file=" was read as a file and answered "NOT_FOUND: cannot read record file : No such file
// or directory", exit 1: an empty name is a slip on the command line, named by its option as
// --out's and --state's are.
TEST(CliTest, AnEmptyFileToReadIsAUsageErrorNamingTheOption) {
  const std::vector<std::vector<std::string>> commands = {
      {"record", "create", "--file="}, {"record", "amend", "ID", "--file=", "--reason", "r"}};
  for (const std::vector<std::string>& args : commands) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << args[1];
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --file: the file name is empty\n"))
        << args[1];
  }
}

// `record import nonexist` and `record import var` were "cannot tell the format of ...: name it
// .csv, .jsonl or .ndjson"; a missing file exited 1 (NOT_FOUND) for record create, amend, import
// and audit verify --public-key, a folder 1 (FAILED_PRECONDITION), where the tool's help promises
// 2 for a mistake in a file a command names, and certificate verify gave 2.
TEST(CliTest, AFileThatIsNotThereOrIsAFolderIsSaidAsSuchAndExitsTwoForEveryCommand) {
  TempDir dir;
  const std::string missing = dir.path() + "/nonexist";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"record", "import", missing}, "error: NOT_FOUND: cannot read import file " + missing +
                                          ": No such file or directory\n"},
      {{"record", "import", dir.path()}, "error: FAILED_PRECONDITION: cannot read import file " +
                                             dir.path() + ": is a folder\n"},
      {{"record", "create", "--file", missing + ".json"},
       "error: NOT_FOUND: cannot read record file " + missing + ".json"},
      {{"record", "create", "--file", dir.path()},
       "error: FAILED_PRECONDITION: cannot read record file " + dir.path() + ": is a folder"},
      {{"record", "amend", "ID", "--file", missing, "--reason", "r"},
       "error: NOT_FOUND: cannot read patch file " + missing},
      {{"audit", "verify", "--public-key", missing},
       "error: NOT_FOUND: cannot read audit public key " + missing},
      {{"certificate", "verify", missing, "--public-key", missing},
       "error: NOT_FOUND: cannot read certificate " + missing}};
  for (const auto& [args, error] : cases) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << absl::StrJoin(args, " ") << "\n" << run.err;
    EXPECT_THAT(run.err, StartsWith(error)) << absl::StrJoin(args, " ");
    EXPECT_THAT(run.err, Not(HasSubstr("cannot tell the format")));
  }
}

// `audit verify --state typo-dir/sub/st.json` made the folders and started a new trust state
// (only a note said so), where --out refuses a folder that is not there.
TEST(CliTest, AStateFileInAFolderThatIsNotThereIsRefusedLikeAnOutFile) {
  TempDir dir;
  const std::string state = dir.path() + "/typo-dir/sub/st.json";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"audit", "verify", "--state", state},
        std::vector<std::string>{"audit", "list", "--verified", "--state", state}}) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << run.err;
    EXPECT_THAT(::registry::testing::Flowed(run.err),
                StartsWith("error: INVALID_ARGUMENT: --state " + state + ": no folder " +
                           dir.path() + "/typo-dir/sub to write it in"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/typo-dir"));
}

TEST(CliTest, PatchWithUnknownFieldsIsAUsageErrorBeforeConnecting) {
  TempDir dir;
  const std::string patch = dir.Write("patch.json", R"({"person": {"surnme": "x"}})");
  const CliRun run = RunWith({"record", "amend", "ID", "--file", patch, "--reason", "typo"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("unknown field in the patch: person.surnme (did you mean "
                                 "\"surname\"?)"));
}

// "--set surname=A --set surname=B" kept B, and said nothing of A. A field is named, never its
// values; a list field (offences) still takes one --set per item.
TEST(CliTest, AFieldSetTwiceIsAUsageErrorNamingTheFieldBeforeConnecting) {
  const CliRun run = RunWith({"record", "amend", "ID", "--set", "surname=Kërqeli", "--set",
                              "surname=Krasniqi", "--reason", "typo"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --set surname: given 2 times, but it "
                                  "takes one value\n"));
  EXPECT_THAT(run.err, Not(HasSubstr("Krasniqi")));
  EXPECT_THAT(run.err, Not(HasSubstr("Kërqeli")));

  // Two offences are a list of two: the command goes on, to the identity it lacks here.
  const CliRun list = RunWith({"record", "amend", "ID", "--set", "offence=06/L-074:230:1", "--set",
                               "offence=06/L-074:231:1", "--reason", "typo"});
  EXPECT_THAT(list.err, HasSubstr("no client identity"));
  EXPECT_THAT(list.err, Not(HasSubstr("given 2 times")));
}

// "--legal-basis --yes" took "--yes" for the legal basis and expunged without asking; "--case-ref
// --purpose --purpose X" read a case named "--purpose". A word starting with "--" is an option.
TEST(CliTest, AnOptionThatNeedsAValueDoesNotTakeTheNextOption) {
  CliRun run = RunWith({"record", "expunge", "ID", "--legal-basis", "--yes"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: option --legal-basis needs a value REF "
                                  "(got the option --yes; a value that starts with -- is written "
                                  "--legal-basis=REF)\n"));
  run = RunWith({"record", "search", "--personal-number", "1234567890", "--case-ref", "--purpose",
                 "--purpose", "criminal_proceedings"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: option --case-ref needs a value REF "
                                  "(got the option --purpose;"));
  // Glued to the option, the value goes to the reference check like any other (and is not
  // repeated there).
  run = RunWith({"record", "get", "ID", "--case-ref=--#1", "--purpose", "sentencing"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --case-ref: 1..64 ASCII letters"));
}

// --out wrote through a temporary file renamed over the path: a FIFO, a link or a device there
// (/dev/full, as root) was replaced by a regular file, and an empty name was found only after the
// vetting check had been made and counted. Each is a usage error before anything is sent.
TEST(CliTest, AnOutputPathThatIsEmptyOrNotARegularFileIsAUsageErrorBeforeAnyCall) {
  TempDir dir;
  const std::string fifo = dir.path() + "/pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string target = dir.Write("target.json", "kept\n");
  const std::string link = dir.path() + "/link.json";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  const std::vector<std::string> check = {
      "vet", "check", "--personal-number", "1234567890", "--surname", "Kërqeli", "--given-name",
      "Arben", "--birth-date", "1980-04-12", "--position", "teacher", "--consent-ref", "C-1"};
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--out", fifo},
       "--out " + fifo + ": it is a named pipe (FIFO), not a regular file: give a new file name, "
       "or a regular file to replace"},
      {{"--out", link},
       "--out " + link + ": it is a symbolic link, not a regular file: give a new file name, or "
       "a regular file to replace"},
      {{"--out", dir.path()}, "--out " + dir.path() + ": it is a folder"},
      {{"--out", ""}, "--out: the file name is empty"},
      {{"--out="}, "--out: the file name is empty"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = check;
    args.insert(args.end(), c.args.begin(), c.args.end());
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << c.expected;
    EXPECT_EQ(Flowed(run.err.substr(0, run.err.find("\nusage:"))),
              "error: INVALID_ARGUMENT: " + c.expected);
  }
  // The other files written whole: the vetting key, an audit export, the audit state.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"vet", "public-key", "--out", fifo},
        std::vector<std::string>{"audit", "export", "--out", link, "--recipient", "IPA",
                                 "--reference", "IPA-1"},
        std::vector<std::string>{"audit", "verify", "--state", fifo},
        std::vector<std::string>{"audit", "export", "--out", "", "--recipient", "IPA",
                                 "--reference", "IPA-1"}}) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << args[0] << " " << args[1];
    EXPECT_THAT(run.err, HasSubstr(args[2] == "--state" ? "--state " : "--out"));
    EXPECT_THAT(Flowed(run.err), HasSubstr(args[3].empty() ? "the file name is empty"
                                                           : ", not a regular file"));
  }
  struct stat info;
  ASSERT_EQ(lstat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
  ASSERT_EQ(lstat(link.c_str(), &info), 0);
  EXPECT_TRUE(S_ISLNK(info.st_mode));
}

// "--out -" made a file named "-" ("exported 2170 entries to -"). Every --out names a file, as
// the command prints its own result on standard output: "-" is refused before anything is sent,
// and "./-" is a file of that name.
TEST(CliTest, AnOutOfADashIsAUsageErrorSayingToNameAFile) {
  TempDir dir;
  const std::vector<std::vector<std::string>> commands = {
      {"vet", "check", "--personal-number", "1234567890", "--surname", "Kërqeli", "--given-name",
       "Arben", "--birth-date", "1980-04-12", "--position", "teacher", "--consent-ref", "C-1",
       "--out", "-"},
      {"vet", "public-key", "--out", "-"},
      {"audit", "export", "--out", "-", "--recipient", "IPA", "--reference", "IPA-1"}};
  for (const std::vector<std::string>& args : commands) {
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << args[1];
    EXPECT_THAT(Flowed(run.err), StartsWith("error: INVALID_ARGUMENT: --out -: a file is written "
                                            "here, not standard output"));
    EXPECT_THAT(Flowed(run.err), HasSubstr("name a file (./- for one named -)"));
    EXPECT_EQ(run.out, "");
  }
  struct stat info;
  EXPECT_NE(lstat("-", &info), 0);
  EXPECT_EQ(OutputPathProblem(dir.path() + "/-"), "");
}

// Every command that calls a method some roles may not is refused in its own words, the roles
// read from the API: a command left out, or a method misspelt, kept gRPC's "may not call this
// method".
TEST(CliTest, EveryCommandOfARoleSaysWhatItMayNotDoAndWhichRolesMay) {
  const absl::Status refused = absl::PermissionDeniedError("role nobody may not call this method");
  for (const CommandSpec& command : Commands()) {
    const absl::Status said = RoleRefusalOfCommand(command.name, refused);
    if (command.name == "health" || command.name == "whoami" ||
        command.name == "record template" || command.name == "certificate verify") {
      EXPECT_EQ(said, refused) << command.name;
      continue;
    }
    EXPECT_EQ(said.code(), absl::StatusCode::kPermissionDenied) << command.name;
    EXPECT_THAT(std::string(said.message()), StartsWith("role nobody may not ")) << command.name;
    EXPECT_THAT(std::string(said.message()), HasSubstr(": that is for role")) << command.name;
    EXPECT_THAT(std::string(said.message()), HasSubstr("; nothing was read or changed"))
        << command.name;
  }
  // A role the method allows was refused by another call of the command: said as it was.
  const absl::Status clerk = absl::PermissionDeniedError("role clerk may not call this method");
  EXPECT_EQ(RoleRefusalOfCommand("record get", clerk), clerk);
  EXPECT_EQ(RoleRefusalOfCommand("record get", absl::PermissionDeniedError("other")),
            absl::PermissionDeniedError("other"));
}

TEST(CliTest, CommandsThatNeedTheServerNeedAnIdentity) {
  const CliRun run = RunWith({"health"});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("no client identity"));
}

// gRPC takes these for a server that does not answer (exit 1); they are mistakes in the
// setting, named as the user gave it, with the form it takes.
TEST(CliTest, AServerAddressThatIsNotHostAndPortIsAUsageError) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:99999"}) {
    const CliRun run = RunWith({"--server", bad, "--identity", "/nonexistent/clerk", "health"});
    EXPECT_EQ(run.code, 2) << bad;
    EXPECT_THAT(run.err, StartsWith(absl::StrCat("error: INVALID_ARGUMENT: --server \"", bad,
                                                 "\" is not HOST:PORT with PORT 1..65535")));
  }
  const CliRun from_env = RunWith({"health"}, {{"REGISTRY_SERVER", "127.0.0.1"},
                                               {"REGISTRY_IDENTITY", "/nonexistent/clerk"}});
  EXPECT_EQ(from_env.code, 2);
  EXPECT_THAT(from_env.err, HasSubstr("$REGISTRY_SERVER \"127.0.0.1\" is not HOST:PORT"));
}

// "NOT_FOUND: cannot read CA certificate /nonexistent/clerk/ca.pem" (exit 1) read as a fault of
// the registry's files; the folder is the user's mistake, named as it was given (exit 2), with
// what it must be.
TEST(CliTest, AnIdentityFolderThatIsNotThereIsAUsageErrorNamingWhereItCameFrom) {
  TempDir dir;
  const std::string file = dir.Write("ca.pem", "");
  const std::string role_folder = "; give the folder of one role, holding its ca.pem, cert.pem "
                                  "and key.pem (e.g. var/dev/pki/clerk)";
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {{"--identity", "/nonexistent/clerk", "health"},
            {},
            "--identity /nonexistent/clerk: no such folder"},
           {{"health"},
            {{"REGISTRY_IDENTITY", "/nonexistent/clerk"}},
            "$REGISTRY_IDENTITY /nonexistent/clerk: no such folder"},
           {{"--identity", file, "health"},
            {},
            absl::StrCat("--identity ", file, ": not a folder")},
           {{"--identity", dir.path(), "health"},
            {},
            absl::StrCat("--identity ", dir.path(),
                         ": holds no cert.pem, key.pem, so it is not an identity folder")}}) {
    const CliRun run = RunWith(c.args, c.env);
    EXPECT_EQ(run.code, kExitUsage) << c.expected;
    EXPECT_EQ(Flowed(run.err.substr(0, run.err.find("\nusage:"))),
              absl::StrCat("error: INVALID_ARGUMENT: ", c.expected, role_folder));
  }
}

// "no client identity: give --identity DIR ..., or all of --ca, --cert and --key" told the user
// who gave two of them the rule, not which one was missing.
TEST(CliTest, AnIdentityGivenInPartNamesTheMissingOption) {
  CliRun run = RunWith({"--ca", "ca.pem", "--cert", "cert.pem", "health"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(Flowed(run.err),
              StartsWith("error: INVALID_ARGUMENT: --key is missing: --ca and --cert name only "
                         "part of a client identity; give --key too (or $REGISTRY_KEY), or "
                         "--identity DIR (or $REGISTRY_IDENTITY) instead usage: "));
  run = RunWith({"--cert", "cert.pem", "health"}, {{"REGISTRY_KEY", "key.pem"}});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(Flowed(run.err), StartsWith("error: INVALID_ARGUMENT: --ca is missing: --cert and "
                                          "$REGISTRY_KEY name only part of a client identity; "
                                          "give --ca too (or $REGISTRY_CA)"));
  run = RunWith({"--key", "key.pem", "health"});
  EXPECT_THAT(Flowed(run.err), StartsWith("error: INVALID_ARGUMENT: --ca and --cert are missing: "
                                          "--key names only part"));
}

TEST(CliTest, MissingRecordFileIsNotFound) {
  const CliRun run = RunWith({"record", "create", "--file", "/nonexistent/rec.json"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: NOT_FOUND: cannot read record file"));
}

TEST(CliTest, ImportOfAFileWithABadHeaderSendsNothing) {
  TempDir dir;
  const std::string file = dir.Write("rows.csv", "surname,given_name\nA,B\n");
  const CliRun run = RunWith({"record", "import", file});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: line 1: bad CSV header"));
}

TEST(CliTest, ImportOfOnlyInvalidRowsListsThemWithoutAServer) {
  TempDir dir;
  const std::string file = dir.Write("rows.jsonl", "{\"x\":1}\n\n[]\n");
  const CliRun run = RunWith({"record", "import", file, "--dry-run"});
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.out, HasSubstr("line 1: not a record in JSON"));
  EXPECT_THAT(run.out, HasSubstr("line 3: not a record in JSON"));
  EXPECT_THAT(run.out, HasSubstr("dry run: 0 valid, 0 duplicates, 2 invalid\n"));
}

// Rows that could never be sent (a legacy encoding that is not UTF-8, a field far beyond any
// limit) are named by their line like any broken row, and do not stop the others: before, one
// such row failed its whole batch and every row after it went unsent.
TEST(CliTest, ImportNamesRowsThatCannotBeSentByTheirLine) {
  TempDir dir;
  const std::string header =
      "surname,given_name,father_name,sex,birth_date,birth_place,citizenships,personal_number,"
      "last_known_address,court_id,case_number,judgment_date,final_date,offences,sentence_type,"
      "sentence_months,bans,release_date,juvenile,foreign_court,foreign_country\n";
  const std::string row_tail =
      ",Dritan,Fatmir,male,1975-09-30,Prizren,XK,1000000011,\"Rr. Remzi Ademaj 3, Prizren\","
      "basic-prizren,P 45/2019,2019-06-11,2019-10-02,04/L-082:235:1,imprisonment,48,,,false,,\n";
  const std::string file = dir.Write(
      "rows.csv", header + "K\xebrqeli" + row_tail + std::string(300 << 10, 'B') + row_tail);
  const CliRun run = RunWith({"record", "import", file, "--dry-run"});
  EXPECT_EQ(run.code, 1) << run.err;
  // A CSV row's problem names its column.
  EXPECT_THAT(run.out, HasSubstr("line 2: surname: not valid UTF-8"));
  EXPECT_THAT(run.out, HasSubstr("line 3: row of "));
  EXPECT_THAT(run.out, HasSubstr("dry run: 0 valid, 0 duplicates, 2 invalid\n"));
  EXPECT_EQ(run.err, "");
}

// Error messages name the option, the field, the column or the line, never the value typed:
// a name, a personal number, a date of birth or an address in an error is shown, pasted and
// logged where the record itself is not. Each of these fails before a server is needed.
TEST(CliTest, ErrorsNameTheOptionNeverTheValueTyped) {
  TempDir dir;
  const std::string record = dir.Write(
      "record.json",
      "{\n  \"person\": {\n    \"surname\": \"Krasniqi\",\n"
      "    \"personal_number\": 1000000077x\n  }\n}\n");
  const std::string typed_number =
      dir.Write("number.json",
                "{\"person\": {\"surname\": \"Krasniqi\", \"personal_number\": 2468013579}}");
  const std::string patch = dir.Write(
      "patch.json", "{\"person\": {\"birth_date\": 19870230, \"surname\": \"Hoxha\"}}");
  const std::vector<std::string> candidate = {"vet", "check", "--personal-number", "2468013579",
                                              "--surname", "Krasniqi", "--given-name", "Driton",
                                              "--position", "teacher", "--consent-ref", "C-1",
                                              "--birth-date", "1987-02-30"};
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {{"record", "amend", "ID", "--set", "personal_number=2468013579", "--set",
        "Rr. Fehmi Agani 7", "--set", "birth-date=1987-02-30", "--set", "sex=X-Krasniqi",
        "--reason", "x"},
       {"--set personal_number: not FIELD=VALUE with a record field",
        "--set #2: not FIELD=VALUE with a record field", "--set birth-date: not a real date",
        "--set sex: not female or male"}},
      {{"record", "create", "--surname", "Krasniqi", "--birth-date", "1987-02-30", "--sex",
        "Krasniqi", "--offence", "Krasniqi:x", "--ban", "Krasniqi", "--citizenship",
        "Krasniqi", "--months", "Krasniqi"},
       {"--birth-date: not a real date", "--sex: not female or male",
        "--offence: not LAW:ARTICLE:PARAGRAPH", "--ban: not work_with_children",
        "--citizenship: not a two-letter country code", "--months: not a whole number"}},
      {candidate, {"--birth-date: not a real date"}},
      {{"record", "search", "--surname", "Van", "Krasniqi", "--given-name", "Driton",
        "--birth-date", "1987-02-03"},
       {"unexpected argument: no arguments expected, got 1 (a value with spaces needs quotes)"}},
      {{"record", "search", "--surname", "Krasniqi", "--given-name", "Driton", "--birth-date",
        "03.02.1987"},
       {"--birth-date: not a date YYYY-MM-DD"}},
      {{"record", "create", "--file", record},
       {"is not a record file (JSON as `registry-cli record template` prints it): line 4, "
        "column 24: unable to parse number"}},
      {{"record", "create", "--file", typed_number},
       {"person.personal_number: not a string (text goes in double quotes)"}},
      {{"record", "amend", "ID", "--file", patch, "--reason", "x"},
       {"the patch does not fit the record: person.birth_date: not a string"}},
  };
  for (const Case& c : cases) {
    const CliRun run = RunWith(c.args);
    EXPECT_NE(run.code, 0) << c.args[1];
    for (const std::string& expected : c.expected) {
      EXPECT_THAT(Flowed(run.err), HasSubstr(expected)) << c.args[1];
    }
    for (const char* value : {"2468013579", "1000000077", "1987-02-30", "19870230", "Krasniqi",
                              "Agani", "Hoxha", "03.02.1987"}) {
      EXPECT_THAT(run.err, ::testing::Not(HasSubstr(value))) << c.args[1] << ": " << run.err;
    }
  }
}

// The import's errors point to its help, which shows the CSV header and what each column takes:
// an installed registry-cli has no deploy/examples/README.md to read (the package installs its
// docs, not the source's examples).
TEST(CliTest, ImportHelpShowsTheCsvHeaderAndEachColumnAndNamesNoSourceFile) {
  const CliRun help = RunWith({"record", "import", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const std::string& column : ImportCsvColumns()) EXPECT_THAT(help.out, HasSubstr(column));
  for (const char* column : {"  sex               female or male", "  sentence_type     ",
                             "  bans              TYPE:END_DATE", "suspension_end_date"}) {
    EXPECT_THAT(help.out, HasSubstr(column));
  }
  EXPECT_THAT(help.out, Not(HasSubstr("deploy/examples")));
  TempDir dir;
  const std::string semicolons =
      dir.Write("rows.csv", absl::StrJoin(ImportCsvColumns(), ";") + "\n");
  const CliRun refused = RunWith({"--server", "127.0.0.1:1", "record", "import", semicolons});
  EXPECT_THAT(Flowed(refused.err),
              HasSubstr("`registry-cli record import --help` shows the format"))
      << refused.err;
}

// An --out in a folder that is not there is a mistake in the option, said before anything is
// asked, naming --out, with the exit code of any other bad option: it was NOT_FOUND, exit 1, from
// the write at the end, which read as the registry's answer.
TEST(CliTest, AnOutputFileInAFolderThatIsNotThereIsABadOptionNamingOut) {
  TempDir dir;
  const std::string missing = dir.path() + "/nodir/c.json";
  const std::string plain = dir.Write("plain", "x");
  const std::vector<std::vector<std::string>> commands = {
      {"vet", "public-key", "--out", missing},
      {"audit", "export", "--out", missing, "--recipient", "IPA", "--reference", "IPA-1"},
      {"vet", "public-key", "--out", plain + "/c.json"},
  };
  for (const std::vector<std::string>& command : commands) {
    const CliRun run = RunWith(command);
    EXPECT_EQ(run.code, kExitUsage) << command[1] << ": " << run.err;
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --out ")) << run.err;
  }
  EXPECT_THAT(Flowed(RunWith(commands[0]).err),
              HasSubstr(absl::StrCat("--out ", missing, ": no folder ", dir.path(),
                                     "/nodir to write it in")));
  EXPECT_THAT(Flowed(RunWith(commands[2]).err),
              HasSubstr(absl::StrCat(plain, " is not a folder")));
}

// A failed write of the output (a full disk) is said, with why, and the run exits 1: a script
// that saves the output must not take half of it for the whole. /dev/full fails every write with
// ENOSPC, as a full disk does.
TEST(CliTest, AnOutputThatCannotBeWrittenIsAnErrorNotExitZero) {
  const int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << "no /dev/full";
  int code = 0;
  std::ostringstream err;
  {
    FdOutputBuffer buffer(fd, /*unbuffered=*/false);
    std::ostream out(&buffer);
    code = RunCli({"--help"}, ProcessEnv(), out, err, /*err_is_terminal=*/false);
  }
  close(fd);
  EXPECT_EQ(code, kExitError);
  EXPECT_EQ(err.str(),
            "error: FAILED_PRECONDITION: cannot write the output: No space left on device; what "
            "was written of it is incomplete\n");
}

// registry-cli itself, with its standard output written to `out_path` (an existing file or
// device) and its standard error kept.
struct ProcessRun {
  int code = -1;
  std::string err;
};

ProcessRun RunBinaryWithOutputTo(const std::vector<std::string>& args,
                                 const std::string& out_path,
                                 std::vector<std::string> env = {}) {
  static const std::string binary = REGISTRY_BINARY_DIR "/registry-cli";
  std::vector<std::string> words = {binary};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& variable : env) envp.push_back(variable.data());
  envp.push_back(nullptr);
  ProcessRun run;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    run.err = absl::StrCat("posix_spawn failed: ", strerror(spawned));
    return run;
  }
  char buffer[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0) {
    run.err.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) run.code = WEXITSTATUS(status);
  return run;
}

// As the shell runs it: `registry-cli --help > /dev/full` exited 0, saying nothing.
TEST(CliTest, TheToolExitsOneWhenItsStandardOutputCannotBeWritten) {
  struct stat info;
  ASSERT_EQ(stat("/dev/full", &info), 0) << "no /dev/full";
  const ProcessRun help = RunBinaryWithOutputTo({"--help"}, "/dev/full");
  EXPECT_EQ(help.code, kExitError) << help.err;
  EXPECT_EQ(help.err,
            "error: FAILED_PRECONDITION: cannot write the output: No space left on device; what "
            "was written of it is incomplete\n");

  // Written where it can be, the same output exits 0.
  TempDir dir;
  const std::string saved = dir.Write("help.txt", "");
  const ProcessRun written = RunBinaryWithOutputTo({"--help"}, saved);
  EXPECT_EQ(written.code, kExitOk) << written.err;
  EXPECT_EQ(written.err, "");
  std::ifstream in(saved);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, RunWith({"--help"}).out);
}

// Everything was wrapped at 80 columns: in a 60-column terminal each line broke twice. Neither
// output is a terminal here, so COLUMNS gives the width.
TEST(CliTest, TheToolWrapsItsTextToTheWidthColumnsGives) {
  TempDir dir;
  const auto widest = [&](std::vector<std::string> env) {
    const std::string saved = dir.Write("help.txt", "");
    const ProcessRun run = RunBinaryWithOutputTo({"record", "create", "--help"}, saved, env);
    EXPECT_EQ(run.code, kExitOk) << run.err;
    std::ifstream in(saved);
    size_t most = 0;
    // Of the lines that could be broken: a word longer than a line stands alone.
    for (std::string line; std::getline(in, line);) {
      if (absl::StrContains(absl::StripAsciiWhitespace(line), ' ')) {
        most = std::max(most, line.size());
      }
    }
    return most;
  };
  EXPECT_GT(widest({}), 60u);
  EXPECT_GT(widest({"COLUMNS=wide"}), 60u);
  EXPECT_LE(widest({"COLUMNS=60"}), 60u);
}

class CertificateVerifyCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto signer = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, 's')));
    ASSERT_TRUE(signer.ok()) << signer.status();
    signer_ = *std::move(signer);
    key_path_ = dir_.Write("vetting.pem", signer_->PublicKeyPem());
  }

  std::string WriteCertificate(const std::string& valid_until, bool tamper,
                               const std::string& organisation = "Kopshti Ylberi") {
    v1::VettingCertificate c;
    c.set_certificate_id("00112233445566778899aabbccddeeff");
    c.set_issued_at("2026-01-10T09:00:00Z");
    c.set_valid_until(valid_until);
    c.set_organisation(organisation);
    c.set_personal_number("1234567890");
    c.set_surname("Kërqeli");
    c.set_given_name("Arben");
    c.set_birth_date("1980-04-12");
    c.set_position_category("kindergarten_teacher");
    c.set_result(v1::VETTING_RESULT_CLEAR);
    auto signed_certificate = crypto::SignCertificate(*signer_, c);
    EXPECT_TRUE(signed_certificate.ok());
    if (tamper) signed_certificate->mutable_certificate()->set_organisation("Another school");
    return dir_.Write("cert.json", *ToJsonLine(*signed_certificate));
  }

  TempDir dir_;
  std::unique_ptr<crypto::Ed25519Signer> signer_;
  std::string key_path_;
};

TEST_F(CertificateVerifyCommandTest, ValidCertificateExitsZeroWithoutAServer) {
  const std::string cert = WriteCertificate("2999-01-01T00:00:00Z", false);
  const CliRun run = RunWith({"certificate", "verify", cert, "--public-key", key_path_});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out,
              StartsWith("valid: CLEAR for Kopshti Ylberi until 2999-01-01T00:00:00Z\n"));
}

// A certificate saved again by a Windows editor starts with a UTF-8 byte order mark: it was
// "not a vetting certificate file ... line 1, column 1: expected a value".
TEST_F(CertificateVerifyCommandTest, ACertificateWithAByteOrderMarkIsRead) {
  const std::string cert = WriteCertificate("2999-01-01T00:00:00Z", false);
  std::ifstream in(cert, std::ios::binary);
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string marked = dir_.Write("marked.json", "\xEF\xBB\xBF" + json);
  const CliRun run = RunWith({"certificate", "verify", marked, "--public-key", key_path_});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out,
              StartsWith("valid: CLEAR for Kopshti Ylberi until 2999-01-01T00:00:00Z\n"));
}

TEST_F(CertificateVerifyCommandTest, TamperedCertificateExitsOne) {
  const std::string cert = WriteCertificate("2999-01-01T00:00:00Z", true);
  const CliRun run = RunWith({"certificate", "verify", cert, "--public-key", key_path_});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out, "invalid: bad signature\n");
}

// "invalid: unknown key: d1cb478a19bffa01" (exit 1) was read by employers as a forged
// certificate when they had given the audit key, or another registry's. With a key other than
// the one that signed it nothing can be said of the certificate: an error naming both keys and
// files, exit code 2 as for a file that is no key, and no verdict even with --json.
TEST_F(CertificateVerifyCommandTest, AKeyOtherThanTheSigningOneIsNoVerdictButNamesBothKeys) {
  const std::string cert = WriteCertificate("2999-01-01T00:00:00Z", false);
  auto other = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, 'o')));
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string other_key = dir_.Write("audit.pub.pem", (*other)->PublicKeyPem());
  for (const bool json : {false, true}) {
    std::vector<std::string> args = {"certificate", "verify", cert, "--public-key", other_key};
    if (json) args.insert(args.begin(), "--json");
    const CliRun run = RunWith(args);
    EXPECT_EQ(run.code, kExitUsage) << json;
    EXPECT_EQ(run.out, "") << json;
    const std::string message = absl::StrCat(
        "the certificate ", cert, " names key ", signer_->key_id(), " as its signer, but --public-key ",
        other_key, " holds key ", (*other)->key_id(), ", so it cannot be checked with it: is ",
        other_key,
        " the registry's vetting public key (vetting.pub.pem, not audit.pub.pem)? If it is, the "
        "certificate is not valid under it: ask the registry whether key ", signer_->key_id(),
        " is one of its keys (anyone holding the file can write a key id there)");
    if (json) {
      // The same error, as JSON.
      const JsonError error = ParseJsonError(run.err);
      ASSERT_TRUE(error.parsed) << run.err;
      EXPECT_EQ(error.code, "INVALID_ARGUMENT");
      EXPECT_EQ(error.message, message);
    } else {
      EXPECT_EQ(run.err, absl::StrCat("error: INVALID_ARGUMENT: ", message, "\n"));
    }
    EXPECT_THAT(run.err, Not(HasSubstr("invalid")));
  }
  // A signature that does not verify under the right key is still the verdict "invalid".
  EXPECT_EQ(RunWith({"certificate", "verify", WriteCertificate("2999-01-01T00:00:00Z", true),
                     "--public-key", key_path_})
                .code,
            kExitError);
}

// "not a PEM public key (openssl: unsupported)" named neither the option nor the file, and a
// file that is no certificate was "not a valid registry.v1.SignedVettingCertificate in JSON".
TEST_F(CertificateVerifyCommandTest, FilesThatAreNotWhatTheyShouldBeAreNamedWithWhatIsExpected) {
  const std::string cert = WriteCertificate("2999-01-01T00:00:00Z", false);
  const std::string what_key = "; give the registry's vetting public key (vetting.pub.pem, as "
                               "`registry-cli vet public-key --out FILE` saves it; not "
                               "audit.pub.pem)\n";
  const std::string x509 = dir_.Write(
      "cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  CliRun run = RunWith({"certificate", "verify", cert, "--public-key", x509});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_EQ(run.err, absl::StrCat("error: INVALID_ARGUMENT: --public-key ", x509,
                                  ": holds a certificate, not a public key", what_key));
  const std::string text = dir_.Write("notes.txt", "hello\n");
  run = RunWith({"certificate", "verify", cert, "--public-key", text});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_EQ(run.err, absl::StrCat("error: INVALID_ARGUMENT: --public-key ", text,
                                  ": not a public key in PEM", what_key));

  for (const auto& [name, contents, where] :
       {std::tuple<const char*, const char*, const char*>{"notes.json", "hello", ": line 1: not JSON\n"},
        {"empty.json", "{}", ""}}) {
    const std::string file = dir_.Write(name, contents);
    run = RunWith({"certificate", "verify", file, "--public-key", key_path_});
    EXPECT_EQ(run.code, kExitUsage) << name;
    EXPECT_THAT(run.err, StartsWith(absl::StrCat(
                             "error: INVALID_ARGUMENT: ", file,
                             " is not a vetting certificate file (the JSON that `registry-cli vet "
                             "check --out` writes)",
                             where)))
        << name;
    EXPECT_THAT(run.err, Not(HasSubstr("SignedVettingCertificate"))) << name;
  }
}

// `audit verify --public-key` with an empty file said "Ed25519 PEM must be 1..4096 bytes", and
// with a certificate "not a PEM public key (openssl: unsupported)": neither the option, nor the
// file, nor what to give. Said as certificate verify says it, before any server is asked.
TEST(AuditPublicKeyTest, AFileThatIsNoAuditKeyIsNamedWithTheOptionAndWhatToGive) {
  TempDir dir;
  const std::string what_key = "; give the registry's audit public key (audit.pub.pem, as the "
                               "KJC publishes it; not vetting.pub.pem)\n";
  const std::string state = dir.path() + "/state.json";
  const struct {
    const char* name;
    std::string contents;
    const char* problem;
  } cases[] = {
      {"empty.pem", "", "is empty"},
      {"random.pem", std::string("\x01\x9c\xff\x00\x42", 5), "not a public key in PEM"},
      {"cert.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
       "holds a certificate, not a public key"},
      {"key.pem", "-----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----\n",
       "holds a private key, not a public key"},
  };
  for (const auto& c : cases) {
    const std::string key = dir.Write(c.name, c.contents);
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"audit", "verify", "--public-key", key, "--state", state},
          std::vector<std::string>{"audit", "list", "--verified", "--public-key", key, "--state",
                                   state}}) {
      std::vector<std::string> args = {"--server", "127.0.0.1:1"};
      args.insert(args.end(), command.begin(), command.end());
      const CliRun run = RunWith(args);
      EXPECT_EQ(run.code, kExitUsage) << c.name;
      EXPECT_EQ(run.err, absl::StrCat("error: INVALID_ARGUMENT: --public-key ", key, ": ",
                                      c.problem, what_key))
          << c.name;
    }
  }
}

TEST_F(CertificateVerifyCommandTest, ExpiredCertificateExitsOne) {
  const std::string cert = WriteCertificate("2020-01-01T00:00:00Z", false);
  const CliRun run = RunWith({"certificate", "verify", cert, "--public-key", key_path_});
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(run.out, StartsWith("invalid: expired at 2020-01-01T00:00:00Z"));
}

TEST_F(CertificateVerifyCommandTest, TextFromTheCertificateIsEscaped) {
  // Whoever shows a certificate chose its strings; a valid signature does not make them safe to
  // print.
  const std::string cert = WriteCertificate("2999-01-01T00:00:00Z", false,
                                            "Shkolla\x1b]0;owned\x07 \xe2\x80\xae" "ABC\nvalid: CLEAR");
  const CliRun run = RunWith({"certificate", "verify", cert, "--public-key", key_path_});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, StartsWith("valid: CLEAR for Shkolla\\x1b]0;owned\\x07 \\u202eABC\\nvalid: "
                                  "CLEAR until 2999-01-01T00:00:00Z\n"));
}

TEST_F(CertificateVerifyCommandTest, JsonSaysValidAndWhatTheCertificateSaysOrOnlyWhyNot) {
  const std::string good = WriteCertificate("2999-01-01T00:00:00Z", false);
  CliRun run = RunWith({"--json", "certificate", "verify", good, "--public-key", key_path_});
  EXPECT_EQ(run.code, 0) << run.err;
  CertificateVerification answer;
  ASSERT_TRUE(ParseJson(run.out, "output", &answer).ok()) << run.out;
  EXPECT_TRUE(answer.valid());
  EXPECT_EQ(answer.reason(), "");
  EXPECT_EQ(answer.certificate().organisation(), "Kopshti Ylberi");
  EXPECT_EQ(answer.certificate().valid_until(), "2999-01-01T00:00:00Z");
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << "one object, one line";

  // A tampered certificate's contents are not repeated: nothing vouches for them.
  const std::string tampered = WriteCertificate("2999-01-01T00:00:00Z", true);
  run = RunWith({"--json", "certificate", "verify", tampered, "--public-key", key_path_});
  EXPECT_EQ(run.code, 1);
  answer.Clear();
  ASSERT_TRUE(ParseJson(run.out, "output", &answer).ok()) << run.out;
  EXPECT_FALSE(answer.valid());
  EXPECT_EQ(answer.reason(), "bad signature");
  EXPECT_FALSE(answer.has_certificate());
  EXPECT_THAT(run.out, Not(HasSubstr("Another school")));
}

// A command's answer that cannot be written is an error too, whatever the answer.
TEST_F(CertificateVerifyCommandTest, AVerdictThatCannotBeWrittenExitsOne) {
  const std::string cert = WriteCertificate("2999-01-01T00:00:00Z", false);
  const ProcessRun run = RunBinaryWithOutputTo(
      {"certificate", "verify", cert, "--public-key", key_path_}, "/dev/full");
  EXPECT_EQ(run.code, kExitError) << run.err;
  EXPECT_THAT(run.err, StartsWith("error: FAILED_PRECONDITION: cannot write the output: No space "
                                  "left on device"));
}

// Files that cannot be read leave nothing to check: exit 2, as the help says, never the 1 of a
// certificate found invalid. The error keeps its own code, which says what to fix.
TEST_F(CertificateVerifyCommandTest, FilesThatCannotBeReadExitTwoNotAsAnInvalidCertificate) {
  const std::string cert = WriteCertificate("2999-01-01T00:00:00Z", false);
  struct Case {
    std::string certificate;
    std::string key;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {cert, "/nonexistent.pem", "error: NOT_FOUND: cannot read public key /nonexistent.pem"},
           {dir_.path() + "/nonexistent.json", key_path_,
            absl::StrCat("error: NOT_FOUND: cannot read certificate ", dir_.path(),
                         "/nonexistent.json")},
           {dir_.path(), key_path_,
            absl::StrCat("error: FAILED_PRECONDITION: cannot read certificate ", dir_.path(),
                         ": is a folder")},
           {cert, dir_.path(),
            absl::StrCat("error: FAILED_PRECONDITION: cannot read public key ", dir_.path(),
                         ": is a folder")}}) {
    const CliRun run = RunWith({"certificate", "verify", c.certificate, "--public-key", c.key});
    EXPECT_EQ(run.code, kExitUsage) << c.error;
    EXPECT_THAT(run.err, StartsWith(c.error));
    const CliRun json =
        RunWith({"--json", "certificate", "verify", c.certificate, "--public-key", c.key});
    EXPECT_EQ(json.code, kExitUsage) << c.error;
  }
  // The verdicts keep theirs: valid 0, invalid 1.
  EXPECT_EQ(RunWith({"certificate", "verify", cert, "--public-key", key_path_}).code, kExitOk);
  EXPECT_EQ(RunWith({"certificate", "verify", WriteCertificate("2999-01-01T00:00:00Z", true),
                     "--public-key", key_path_})
                .code,
            kExitError);
}

}  // namespace
}  // namespace registry::client
