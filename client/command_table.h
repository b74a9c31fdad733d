// The declarative table of registry-cli's subcommands: name, synopsis, one-line summary, the
// options each accepts (with help) and its handler. Parsing, help and dispatch (cli.h) are driven
// by this table only, so a command's help cannot drift from what it accepts.
//
//   {"record get", "ID [--case-ref REF --purpose CODE]", "Show a record.", 1, 1,
//    {{"case-ref", "REF", "case the read serves"}, {"purpose", "CODE", "purpose code"}},
//    &RunRecordGet}
#ifndef REGISTRY_CLIENT_COMMAND_TABLE_H_
#define REGISTRY_CLIENT_COMMAND_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "client/command_context.h"
#include "client/option_parser.h"

namespace registry::client {

using CommandHandler = absl::Status (*)(CommandContext& context);

struct CommandSpec {
  // One or two words, e.g. "health", "record get".
  std::string name;
  // Arguments and options as shown after the name in usage lines.
  std::string synopsis;
  // One line for the command list; more lines may follow for the command's own help.
  std::string summary;
  size_t min_positionals = 0;
  size_t max_positionals = 0;
  std::vector<OptionSpec> options;
  CommandHandler handler = nullptr;
};

// Every subcommand, in the order of the tool's help.
const std::vector<CommandSpec>& Commands();

// The command named `name` (words separated by one space), or nullptr.
const CommandSpec* FindCommand(absl::string_view name);

// True when some command's name starts with the word `group` followed by a space ("record").
bool IsCommandGroup(absl::string_view group);

// Help texts, ending with a newline.
std::string ToolHelp();
std::string GroupHelp(absl::string_view group);
std::string CommandHelp(const CommandSpec& command);
// "usage: registry-cli [global options] <name> <synopsis>"
std::string CommandUsageLine(const CommandSpec& command);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_COMMAND_TABLE_H_
