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
#include "client/terminal_text.h"

namespace registry::client {

using CommandHandler = absl::Status (*)(CommandContext& context);

// Which request field an option fills, so that an error the server words in the API's terms
// ("purpose.case_reference is required") names what the user types ("--case-ref is required").
struct FieldFlag {
  // The field's path in the request, e.g. "purpose.case_reference".
  std::string path;
  // The option without dashes, e.g. "case-ref".
  std::string flag;
};

// The lists a caller chooses a command's values from, shown in its --help when an identity is
// configured (InfoService) and named when the server refuses a value.
enum class HelpChoices {
  kNone,
  // The purpose codes a court may state (--purpose).
  kPurposes,
  // The position categories of the caller's organisation (--position).
  kPositions,
  // The courts and offences a record may name.
  kRecordTables,
};

struct CommandSpec {
  // One or two words, e.g. "health", "record get".
  std::string name;
  // Arguments and options as shown after the name in usage lines.
  std::string synopsis;
  // What the command does. Its first sentence, which must end the first line, is the command's
  // line in the tool's and its group's help; the whole text is in its own help.
  std::string summary;
  size_t min_positionals = 0;
  size_t max_positionals = 0;
  std::vector<OptionSpec> options;
  CommandHandler handler = nullptr;
  std::vector<FieldFlag> field_flags = {};
  HelpChoices choices = HelpChoices::kNone;
};

// Every subcommand, in the order of the tool's help.
const std::vector<CommandSpec>& Commands();

// The command named `name` (words separated by one space), or nullptr.
const CommandSpec* FindCommand(absl::string_view name);

// True when some command's name starts with the word `group` followed by a space ("record").
bool IsCommandGroup(absl::string_view group);

// Help texts, ending with a newline. No line is wider than kHelpWidth columns: descriptions are
// wrapped at word boundaries, never cut.
inline constexpr size_t kHelpWidth = 80;
std::string ToolHelp();
std::string GroupHelp(absl::string_view group);
std::string CommandHelp(const CommandSpec& command);

// The first sentence of a command's summary, on one line: its entry in command lists.
std::string Brief(const CommandSpec& command);

// "usage: registry-cli [global options] <name> <synopsis>", wrapped like the rest of help.
std::string CommandUsageLine(const CommandSpec& command);
// The same on one line, unwrapped: the usage printed after an error, which is wrapped as the
// error is (only for a terminal or COLUMNS), so that a script reading stderr gets it whole.
std::string CommandUsageText(const CommandSpec& command);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_COMMAND_TABLE_H_
