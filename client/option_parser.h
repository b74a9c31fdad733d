// The command-line option parser of registry-cli: "--name VALUE", "--name=VALUE", boolean
// "--flag", "-h"/"--help", "--" to end options, and positional arguments, checked against a
// declared list of options.
//
//   const std::vector<OptionSpec> specs = {{"case-ref", "REF", "case reference"},
//                                          {"dry-run", "", "validate only"}};
//   absl::StatusOr<ParsedArgs> args = ParseOptions(specs, {"ID1", "--case-ref=P 1/24"}, 1, 1);
//   args->Value("case-ref");  // "P 1/24"
//
// Errors are "usage errors" (see UsageError): the tool prints them with the command's synopsis and
// exits 2, unlike errors from the server, which exit 1.
#ifndef REGISTRY_CLIENT_OPTION_PARSER_H_
#define REGISTRY_CLIENT_OPTION_PARSER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace registry::client {

// What the parser checks in an option's value, so that every bad value is named at once with the
// missing options, before anything is sent.
enum class ValueCheck {
  kNone,
  // What the audit log records of a call: 1..64 ASCII letters, digits, spaces and "/-.:_".
  kReference,
  // An expunction's legal basis: a reference that also takes the Latin and Cyrillic letters of
  // Albanian and Serbian (LegalBasisShaped, common/reference_text.h).
  kLegalBasis,
  // A real calendar date YYYY-MM-DD.
  kDate,
  // A file the command writes (through AtomicFileWriter): a name, and nothing there yet or a
  // regular file (OutputPathProblem). Checked before any call is made: found when the file is
  // written, it would come after the work the file was for (a vetting check, counted against
  // the day's limit).
  kOutputPath,
  // kOutputPath in a folder that must be there already (OutputFileProblem): --out, whose
  // writer makes no folder (--state's makes its own).
  kOutputFile,
  // A personal number, as far as registry-cli can tell: no space, control or non-ASCII character
  // (which no personal number has). Its format is the registry's setting (personal_number_pattern)
  // and is checked there.
  kPersonalNumber,
  // A person's name, as far as registry-cli can tell: no invisible character (a zero-width
  // space, a soft hyphen; InvisibleCharacterProblem), which makes it look like another name. Its
  // other rules are the registry's. Checked before a vetting check is made: a refused one counts
  // against the day's.
  kName,
  // A file the command reads: a name ("--file=" names none; read, it would be "cannot read ...
  // : No such file", a server-side kind of error for a slip on the command line).
  kInputPath,
};

// One option a command accepts.
struct OptionSpec {
  // The long name without dashes, e.g. "case-ref".
  std::string name;
  // The placeholder of its value in help, e.g. "REF". Empty: a boolean flag that takes no value.
  std::string value_name;
  // One line of help.
  std::string help;
  // When true the parser refuses a command line without this option.
  bool required = false;
  // When true the option may be given more than once (e.g. one --offence per offence); every
  // value is kept, in order (ParsedArgs::GetAll).
  bool repeatable = false;
  ValueCheck check = ValueCheck::kNone;
  // Options (names without dashes) this one goes with: given without any of them, the missing
  // ones are named among the command line's other problems, not after those are mended.
  std::vector<std::string> with = {};
  // Options this one may not be given with (the other way of asking the same thing).
  std::vector<std::string> without = {};
  // What is wrong with the option's values taken together (all given, in order), as whole lines
  // of the command line's problems ("--set birth-date: not a real date"), or none: a check the
  // command knows (a --set FIELD=VALUE), named with a required option that is missing rather
  // than after it is given.
  std::vector<std::string> (*check_values)(const std::vector<std::string>& values) = nullptr;
};

// The outcome of parsing one command line.
class ParsedArgs {
 public:
  // True when -h or --help was given; nothing else is checked then.
  bool help() const { return help_; }
  // True when the boolean flag `name` was given.
  bool Flag(absl::string_view name) const;
  // True when the valued option `name` was given.
  bool Has(absl::string_view name) const;
  // The value of option `name`, or nullopt when it was not given.
  std::optional<std::string> Get(absl::string_view name) const;
  // The value of option `name`, or `fallback`.
  std::string Value(absl::string_view name, absl::string_view fallback = "") const;
  // Every value of a repeatable option, in the order given (one for other options; none when
  // absent).
  std::vector<std::string> GetAll(absl::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // Everything after the first positional argument, when ParseOptions was told to stop there.
  const std::vector<std::string>& rest() const { return rest_; }

 private:
  friend absl::StatusOr<ParsedArgs> ParseOptions(absl::Span<const OptionSpec>,
                                                 absl::Span<const std::string>, size_t, size_t,
                                                 bool, absl::Span<const std::string>);
  bool help_ = false;
  std::set<std::string, std::less<>> flags_;
  std::map<std::string, std::string, std::less<>> values_;
  // The values of repeatable options after the first (the first is in values_).
  std::map<std::string, std::vector<std::string>, std::less<>> more_values_;
  std::vector<std::string> positionals_;
  std::vector<std::string> rest_;
};

// Parses `args` against `specs`. Positional arguments may be mixed with options; between
// `min_positionals` and `max_positionals` of them are accepted. When `stop_at_positional` is
// true, parsing stops at the first positional argument, which with everything after it goes to
// rest() (used for the global options before a subcommand).
//
// Returns a usage error (InvalidArgument, IsUsageError) for an unknown option, a missing value
// (none left, or a word starting with "--" where it should be: --NAME=VALUE takes such a value),
// an unexpected value, an option given twice (unless repeatable), missing required options and
// values that fail their ValueCheck, positionals or option values that are not valid UTF-8 (all
// named in one error, see UsageProblems; a positional by its word in `positional_names`, "ID: not
// valid UTF-8 ...", else by its place, "argument 2: ...") or a wrong number
// of positionals. `positional_names` name the positionals in order, as the usage line does
// ("ID (the record's id)"): missing ones are then named among those problems ("missing
// argument: ID (the record's id)"); without a name for each of the `min_positionals`, the error
// is "missing argument". When -h/--help is present (with `stop_at_positional`, before the first
// positional; an option's value, as in "--identity DIR --help", is not one), returns
// help() == true and checks nothing else.
absl::StatusOr<ParsedArgs> ParseOptions(absl::Span<const OptionSpec> specs,
                                        absl::Span<const std::string> args,
                                        size_t min_positionals, size_t max_positionals,
                                        bool stop_at_positional = false,
                                        absl::Span<const std::string> positional_names = {});

// An InvalidArgument status marked as a mistake on the command line (exit code 2).
absl::Status UsageError(absl::string_view message);
// True for statuses made by UsageError or UsageProblems.
bool IsUsageError(const absl::Status& status);

// Every problem of a command line in one usage error, so that one run names them all:
//   one:   "--case-ref is required"
//   more:  "3 problems:\n  --surname is required\n  --birth-date: ..."
// Each problem is whole on its line. The lines are the client's own: they are marked
// (HasOwnLines) so that FormatError keeps them as lines, escaping what each holds, and wraps
// them, where it wraps at all (a terminal, or COLUMNS), with their further lines indented.
absl::Status UsageProblems(const std::vector<std::string>& problems);
// The same text, with another code, for problems found after the command line was read (a server
// that refused a value), and a last line `note` when not empty (the values it would take).
absl::Status ProblemsError(absl::StatusCode code, const std::vector<std::string>& problems,
                           absl::string_view note = "");
// `status` with a last line `note` (whole: FormatError wraps it as it wraps the rest), marked as
// the client's own lines like ProblemsError. A message that was not the client's own keeps no
// line break of its own (it is often the server's), so it cannot make a line that looks like one
// of the client's.
absl::Status WithNote(const absl::Status& status, absl::string_view note);
// True when the status's message is made of the client's own lines.
bool HasOwnLines(const absl::Status& status);
// The status's message as --json prints it, where a reader's own width, not the terminal's,
// decides: each problem and the note whole on its own line, as UsageProblems, ProblemsError and
// WithNote make them (only FormatError wraps).
std::string UnwrappedMessage(const absl::Status& status);

// A real date earlier than any the registry holds (server/record_validation.cc).
inline constexpr absl::string_view kBefore1900 =
    "a date before 1900-01-01, the earliest the registry takes";

// "" when `text` is a real date YYYY-MM-DD; else what is wrong with it, without the text itself:
// "not a date YYYY-MM-DD", "not a real date", kBefore1900.
std::string DateProblem(absl::string_view text);
// "" unless `text` holds a character no personal number has (ValueCheck::kPersonalNumber); then
// what is wrong, without the text.
std::string PersonalNumberProblem(absl::string_view text);
// "" when `text` has the shape of a reference (see ValueCheck::kReference), else the rule.
std::string ReferenceProblem(absl::string_view text);
// "" when `text` has the shape of a legal basis (see ValueCheck::kLegalBasis), else the rule.
std::string LegalBasisProblem(absl::string_view text);

// A person's answer to a yes/no question on the terminal: true for "y" or "yes", false for "n" or
// "no", in any case and without the spaces around it; nullopt for anything else (to be asked
// again). The client's yes/no questions ("Enter this record?", juvenile) read their answers with
// this; one that guards what cannot be undone ("Type yes to expunge it") takes "yes" typed whole.
std::optional<bool> YesNoAnswer(absl::string_view answer);

// Parses a decimal unsigned integer option value in [min, max]; a usage error naming `option`
// otherwise.
absl::StatusOr<uint64_t> ParseUintOption(absl::string_view option, absl::string_view value,
                                          uint64_t min, uint64_t max);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_OPTION_PARSER_H_
