// registry-cli run in-process (client::RunCli) with its output captured, for the tests of the
// command line. Link registry::client and registry::testing.
//
//   CliRun run = RunCliCaptured(CliArgsAs(server->address(), "auditor", {"audit", "list"}));
//   EXPECT_EQ(run.code, 0) << run.err;
#ifndef REGISTRY_TESTS_TESTING_CLI_RUN_H_
#define REGISTRY_TESTS_TESTING_CLI_RUN_H_

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/cli.h"
#include "client/terminal_text.h"
#include "tests/testing/test_pki.h"

namespace registry::testing {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// What the command reads on its standard input, and whether that is a terminal (questions are
// asked only on one).
struct CliInput {
  std::string text;
  bool is_terminal = false;
};

// Runs one command line (`args` without the program name) with only `env` in its environment;
// without `input` there is nothing to read. Standard error is not a terminal.
inline CliRun RunCliCaptured(const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env = {},
                             const std::optional<CliInput>& input = std::nullopt) {
  const client::EnvLookup lookup = [env](absl::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  std::istringstream in(input.has_value() ? input->text : "");
  std::ostringstream out, err;
  client::CliStreams streams;
  streams.in = input.has_value() ? &in : nullptr;
  streams.in_is_terminal = input.has_value() && input->is_terminal;
  streams.out = &out;
  streams.err = &err;
  streams.err_is_terminal = false;
  const int code = client::RunCli(args, lookup, streams);
  return {code, out.str(), err.str()};
}

// As RunCliCaptured, with standard output a terminal `columns` wide (client::SetTextColumns,
// set back to 80 after the run): what a person reads on such a terminal.
inline CliRun RunCliOnTerminal(const std::vector<std::string>& args, size_t columns,
                               const std::map<std::string, std::string>& env = {}) {
  const client::EnvLookup lookup = [env](absl::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  std::ostringstream out, err;
  client::CliStreams streams;
  streams.out = &out;
  streams.out_is_terminal = true;
  streams.err = &err;
  client::SetTextColumns(columns);
  const int code = client::RunCli(args, lookup, streams);
  client::SetTextColumns(client::kStandardColumns);
  return {code, out.str(), err.str()};
}

// The command line of `command` against the server at `address` as `identity` of the dev PKI,
// with --json when `json`.
inline std::vector<std::string> CliArgsAs(const std::string& address, absl::string_view identity,
                                          const std::vector<std::string>& command,
                                          bool json = false) {
  std::vector<std::string> args = {"--server", address, "--identity",
                                   TestPki::Get().IdentityDir(identity)};
  if (json) args.push_back("--json");
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

// Runs of spaces and line breaks as one space: how a text the command wrapped reads.
inline std::string Flowed(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  return out;
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_CLI_RUN_H_
