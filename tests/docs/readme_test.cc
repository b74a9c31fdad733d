// The README's walkthrough, run as written. Every ```sh block of README.md (but those marked
// "<!-- readme-test: skip ... -->", the one that starts the dev server) is taken from the README
// itself, so the two cannot drift apart, and run in order by one bash, as a new user would paste
// it into a terminal at the repository root: in a scratch folder laid out like a checkout after
// `deploy/run-dev.sh` (build/registry-cli, deploy/, var/dev/pki/<role>/, var/dev/*.pub.pem)
// against a dev-like registryd (the dev policy and reference data, the test PKI) on
// 127.0.0.1:<port>, the README's 127.0.0.1:7443 replaced by it.
//
// What the README documents is then checked for each command:
//   #> LINE             the command printed LINE (stdout and stderr, in order); runs of spaces
//                       count as one, and "…" stands for any text within a line
//   (exit status N)     it exited with N; otherwise with 1 or 2 when it shows an "error:" line,
//                       else 0
// and afterwards, that every file the walkthrough wrote lies where git ignores it.
//
// Standard input is a terminal (a pseudo-terminal) on which "yes" is typed when a question to
// confirm appears, as a user at a terminal types it after reading the question (registry-cli
// discards what was typed before it).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testing/terminal_run.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kReadmeAddress[] = "127.0.0.1:7443";
// The whole walkthrough runs in a few seconds; this only ends a run that hangs.
constexpr int kDeadlineSeconds = 120;

// One command of the walkthrough and what the README says it does.
struct Command {
  int line = 0;  // in README.md, of the command's first line
  std::string text;
  std::vector<std::string> expected;
  std::optional<int> exit_status;
};

// The commands of every ```sh block not marked to be skipped, in order.
std::vector<Command> WalkthroughCommands(const std::string& readme) {
  std::vector<Command> commands;
  bool in_block = false;
  bool skip_next = false;
  bool skipping = false;
  bool continued = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(readme, '\n')) {
    ++number;
    if (!in_block) {
      if (absl::StartsWith(line, "<!-- readme-test: skip")) skip_next = true;
      if (line == "```sh") {
        in_block = true;
        skipping = skip_next;
        skip_next = false;
      }
      continue;
    }
    if (line == "```") {
      in_block = false;
      continue;
    }
    if (skipping) continue;
    if (continued) {
      commands.back().text += absl::StrCat("\n", line);
      continued = absl::EndsWith(line, "\\");
      continue;
    }
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty()) continue;
    if (absl::StartsWith(trimmed, "#>")) {
      EXPECT_FALSE(commands.empty()) << "README.md:" << number << ": output before any command";
      if (commands.empty()) continue;
      const std::string shown(absl::StripPrefix(absl::StripPrefix(trimmed, "#>"), " "));
      int status = 0;
      if (absl::StartsWith(shown, "(exit status ") && absl::EndsWith(shown, ")") &&
          absl::SimpleAtoi(shown.substr(13, shown.size() - 14), &status)) {
        commands.back().exit_status = status;
      } else {
        commands.back().expected.push_back(shown);
      }
      continue;
    }
    if (absl::StartsWith(trimmed, "#")) continue;  // a comment for people
    Command command;
    command.line = number;
    command.text = std::string(line);
    commands.push_back(std::move(command));
    continued = absl::EndsWith(line, "\\");
  }
  return commands;
}

// A line as compared: runs of spaces as one, no spaces at either end.
std::string Squeezed(absl::string_view line) {
  std::string out;
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string SqueezedText(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) lines.push_back(Squeezed(line));
  return absl::StrJoin(lines, "\n");
}

std::string RegexEscaped(absl::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Finds `expected` (squeezed, "…" for any text within a line) in `output` at or after `*from`;
// moves *from past it.
bool FindShown(const std::string& output, const std::string& expected, size_t* from) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(Squeezed(expected), "…")) {
    parts.push_back(RegexEscaped(part));
  }
  const std::regex pattern(absl::StrJoin(parts, "[^\n]*?"));
  std::smatch match;
  const std::string rest = output.substr(*from);
  if (!std::regex_search(rest, match, pattern)) return false;
  *from += static_cast<size_t>(match.position(0) + match.length(0));
  return true;
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

// The questions the walkthrough answers "yes" to, as they end.
constexpr const char* kConfirmations[] = {"Type yes to expunge it: "};

// How many confirmation questions the commands' outputs (the files in `outputs`) show.
size_t QuestionsAsked(const std::string& outputs) {
  size_t count = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(outputs, error)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)),
                           std::istreambuf_iterator<char>());
    for (const char* question : kConfirmations) {
      for (size_t at = text.find(question); at != std::string::npos;
           at = text.find(question, at + 1)) {
        ++count;
      }
    }
  }
  return count;
}

// Runs `script` with bash in `dir`, standard input a pseudo-terminal on which "yes\n" is typed
// after each question to confirm appears in a file of `outputs`, within the deadline. Returns
// bash's exit status, or -1.
int RunBash(const std::string& script, const std::string& dir, const std::string& home,
            const std::string& log, const std::string& outputs) {
  auto run = TerminalRun::Open();
  if (!run.ok()) return -1;
  TerminalRun& terminal = **run;
  const std::string script_path = dir + "/../walkthrough.sh";
  WriteFile(script_path, script);
  if (!terminal
           .Start({"/bin/bash", script_path},
                  {"HOME=" + home, "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                   "LC_ALL=C.UTF-8", "TERM=dumb"},
                  log, dir)
           .ok()) {
    return -1;
  }
  // Wait for bash to end, or for the deadline, answering each question to confirm once it is
  // shown: a moment after, as a person reads it, for registry-cli discards what the terminal
  // holds right after asking.
  const absl::Time deadline = absl::Now() + absl::Seconds(kDeadlineSeconds);
  bool ended = false;
  size_t answered = 0;
  while (!ended && absl::Now() < deadline) {
    ended = terminal.EndsWithin(absl::Milliseconds(50));
    for (const size_t asked = QuestionsAsked(outputs); !ended && answered < asked; ++answered) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (!terminal.Type("yes\n")) break;
    }
  }
  if (!ended) {
    terminal.Kill();
    ADD_FAILURE() << "the walkthrough did not finish within " << kDeadlineSeconds << " s";
    return -1;
  }
  return *terminal.ExitCode();
}

// Every regular file below `root`, relative to it, not following the links the test made.
std::vector<std::string> FilesBelow(const fs::path& root) {
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_symlink()) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.push_back(fs::relative(it->path(), root).string());
  }
  return files;
}

class ReadmeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = MakeTempDir("readme-test");
    root_ = scratch_ + "/checkout";
    home_ = scratch_ + "/home";
    out_ = scratch_ + "/out";
    for (const std::string& dir : {root_, home_, out_, root_ + "/build", root_ + "/var/dev"}) {
      fs::create_directories(dir);
    }
    // A checkout after deploy/run-dev.sh: the binary in build/, the sources' deploy/, the dev
    // PKI and the exported public keys in var/dev/.
    fs::create_symlink(REGISTRY_BINARY_DIR "/registry-cli", root_ + "/build/registry-cli");
    fs::create_symlink(REGISTRY_SOURCE_DIR "/deploy", root_ + "/deploy");
    fs::create_symlink(TestPki::Get().dir(), root_ + "/var/dev/pki");
    server_ = TestServer::Start();
    WriteFile(root_ + "/var/dev/vetting.pub.pem",
              server_->server()->vetting_signer().PublicKeyPem());
    WriteFile(root_ + "/var/dev/audit.pub.pem", server_->server()->audit_signer().PublicKeyPem());
    premade_ = FilesBelow(root_);
  }

  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    fs::remove_all(scratch_, ignored);
  }

  std::string scratch_, root_, home_, out_;
  std::unique_ptr<TestServer> server_;
  std::vector<std::string> premade_;
};

TEST_F(ReadmeTest, WalkthroughGivesWhatTheReadmeShows) {
  const std::vector<Command> commands =
      WalkthroughCommands(ReadFileOrDie(REGISTRY_SOURCE_DIR "/README.md"));
  // Parsing found the walkthrough at all (a format change must not make this test vacuous).
  ASSERT_GE(commands.size(), 40u);
  size_t shown = 0;
  for (const Command& command : commands) shown += command.expected.size();
  ASSERT_GE(shown, 50u);

  std::string script = "set -u\n";
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string text =
        absl::StrReplaceAll(commands[i].text, {{kReadmeAddress, server_->address()}});
    // A group, not a subshell: the walkthrough's variables (C=..., ID=$(...)) carry on.
    absl::StrAppend(&script, "{ ", text, "\n} >\"", out_, "/", i, ".out\" 2>&1\necho $? >\"", out_,
                    "/", i, ".status\"\n");
  }
  const int bash = RunBash(script, root_, home_, scratch_ + "/bash.log", out_);
  ASSERT_EQ(bash, 0) << ReadFileOrDie(scratch_ + "/bash.log");

  for (size_t i = 0; i < commands.size(); ++i) {
    const Command& command = commands[i];
    const std::string output = ReadFileOrDie(absl::StrCat(out_, "/", i, ".out"));
    int status = -1;
    ASSERT_TRUE(absl::SimpleAtoi(
        absl::StripAsciiWhitespace(ReadFileOrDie(absl::StrCat(out_, "/", i, ".status"))), &status));
    SCOPED_TRACE(
        absl::StrCat("README.md:", command.line, ": ", command.text, "\nprinted:\n", output));
    const bool shows_error =
        std::any_of(command.expected.begin(), command.expected.end(),
                    [](const std::string& e) { return absl::StartsWith(e, "error: "); });
    if (command.exit_status.has_value()) {
      EXPECT_EQ(status, *command.exit_status);
    } else if (shows_error) {
      EXPECT_TRUE(status == 1 || status == 2) << "exit status " << status;
    } else {
      EXPECT_EQ(status, 0);
    }
    const std::string squeezed = SqueezedText(output);
    size_t from = 0;
    for (const std::string& expected : command.expected) {
      EXPECT_TRUE(FindShown(squeezed, expected, &from))
          << "not printed (in this order): " << expected;
    }
  }

  // Everything the walkthrough wrote is where git ignores it: the repository's own rules,
  // asked of git when the sources are a git checkout, else read from .gitignore.
  std::vector<std::string> written;
  for (const std::string& file : FilesBelow(root_)) {
    if (std::find(premade_.begin(), premade_.end(), file) == premade_.end()) {
      written.push_back(file);
    }
  }
  EXPECT_FALSE(written.empty()) << "the walkthrough writes var/cert.json and more";
  const bool git =
      std::system("git -C " REGISTRY_SOURCE_DIR " rev-parse --git-dir >/dev/null 2>&1") == 0;
  const std::string ignore_rules = ReadFileOrDie(REGISTRY_SOURCE_DIR "/.gitignore");
  for (const std::string& file : written) {
    EXPECT_TRUE(absl::StartsWith(file, "var/")) << file << " is written outside var/";
    if (git) {
      const std::string check =
          absl::StrCat("git -C " REGISTRY_SOURCE_DIR " check-ignore --no-index -q '", file, "'");
      EXPECT_EQ(std::system(check.c_str()), 0) << file << " is not ignored by .gitignore";
    } else {
      EXPECT_TRUE(absl::StrContains(ignore_rules, "/var/")) << file;
    }
  }
}

// The parser itself, on a README of a few lines: blocks, skips, continuations, expectations.
TEST(WalkthroughCommandsTest, ReadsCommandsAndWhatTheyShow) {
  const std::string readme =
      "text\n"
      "<!-- readme-test: skip (starts a server) -->\n"
      "```sh\n"
      "deploy/run-dev.sh\n"
      "```\n"
      "```console\n"
      "not a command\n"
      "```\n"
      "```sh\n"
      "# a comment\n"
      "C=\"build/registry-cli\"   # trailing words\n"
      "$C one --a \\\n"
      "   --b\n"
      "#> first line\n"
      "#>   indented …\n"
      "#> (exit status 3)\n"
      "\n"
      "$C two\n"
      "```\n";
  const std::vector<Command> commands = WalkthroughCommands(readme);
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(commands[0].text, "C=\"build/registry-cli\"   # trailing words");
  EXPECT_TRUE(commands[0].expected.empty());
  EXPECT_EQ(commands[1].text, "$C one --a \\\n   --b");
  EXPECT_EQ(commands[1].line, 12);
  EXPECT_EQ(commands[1].expected, (std::vector<std::string>{"first line", "  indented …"}));
  EXPECT_EQ(commands[1].exit_status, 3);
  EXPECT_EQ(commands[2].text, "$C two");
  EXPECT_FALSE(commands[2].exit_status.has_value());
}

TEST(FindShownTest, SpacesSqueezeAndTheEllipsisStaysWithinALine) {
  const std::string output = SqueezedText("Surname:      Kërqeli\nrecord 0a1b amended\nend");
  size_t from = 0;
  EXPECT_TRUE(FindShown(output, "Surname: Kërqeli", &from));
  EXPECT_TRUE(FindShown(output, "record … amended", &from));
  EXPECT_FALSE(FindShown(output, "Surname: Kërqeli", &from)) << "in order only";
  from = 0;
  EXPECT_FALSE(FindShown(output, "Kërqeli … amended", &from)) << "… does not cross lines";
  from = 0;
  EXPECT_FALSE(FindShown(output, "Surname: Kerqeli", &from));
}

}  // namespace
}  // namespace registry::testing
