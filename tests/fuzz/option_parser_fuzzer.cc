// Fuzzes registry-cli's option parser (client/option_parser.h) with the option tables of every
// subcommand and of the global options (client/command_table.h, client/connection.h): the input
// picks a table and is split at NUL bytes into the arguments. Must never crash, and what it
// accepts must be what was typed: every value it returns stands in the arguments (as
// "--name VALUE" or "--name=VALUE"), every positional is an argument, their number is within the
// command's bounds, and a required option is present.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/command_table.h"
#include "client/connection.h"
#include "client/option_parser.h"

namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "option_parser_fuzzer: %s\n", what.c_str());
  std::abort();
}

bool Typed(const std::vector<std::string>& args, const std::string& name,
           const std::string& value) {
  // As the parser takes a value: without the spaces and tabs around it.
  const auto taken = [](absl::string_view typed) {
    const size_t first = typed.find_first_not_of(" \t");
    if (first == absl::string_view::npos) return std::string();
    return std::string(typed.substr(first, typed.find_last_not_of(" \t") - first + 1));
  };
  const std::string inline_prefix = absl::StrCat("--", name, "=");
  for (size_t i = 0; i < args.size(); ++i) {
    if (absl::StartsWith(args[i], inline_prefix) &&
        taken(absl::string_view(args[i]).substr(inline_prefix.size())) == value) {
      return true;
    }
    if (args[i] == "--" + name && i + 1 < args.size() && taken(args[i + 1]) == value) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& commands = registry::client::Commands();
  const size_t pick = data[0] % (commands.size() + 1);
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 1; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (size > 1) args.push_back(current);

  const bool global = pick == commands.size();
  const std::vector<registry::client::OptionSpec>& specs =
      global ? registry::client::GlobalOptionSpecs() : commands[pick].options;
  const size_t min = global ? 0 : commands[pick].min_positionals;
  const size_t max = global ? SIZE_MAX : commands[pick].max_positionals;
  auto parsed = registry::client::ParseOptions(specs, args, min, max, /*stop_at_positional=*/global);
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument ||
        !registry::client::IsUsageError(parsed.status())) {
      Fail("a refusal that is not a usage error");
    }
    return 0;
  }
  if (parsed->help()) return 0;
  for (const auto& spec : specs) {
    if (spec.value_name.empty()) {
      if (parsed->Flag(spec.name) && !Typed(args, spec.name, "") &&
          std::find(args.begin(), args.end(), "--" + spec.name) == args.end()) {
        Fail(absl::StrCat("flag --", spec.name, " set without being typed"));
      }
      continue;
    }
    if (spec.required && !parsed->Has(spec.name)) Fail("a required option is missing");
    for (const std::string& value : parsed->GetAll(spec.name)) {
      if (!Typed(args, spec.name, value)) {
        Fail(absl::StrCat("--", spec.name, " has a value that was not typed"));
      }
    }
  }
  const auto& positionals = parsed->positionals();
  if (!global && (positionals.size() < min || positionals.size() > max)) {
    Fail("positionals out of bounds");
  }
  for (const std::string& p : positionals) {
    if (std::find(args.begin(), args.end(), p) == args.end()) Fail("a positional not typed");
  }
  return 0;
}
