#include "client/option_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "client/files.h"
#include "common/suggest.h"
#include "client/terminal_text.h"
#include "common/reference_text.h"
#include "common/time_format.h"

namespace registry::client {
namespace {

constexpr char kUsagePayloadUrl[] = "type.registry.kjc/registry.client.UsageError";
constexpr char kLinesPayloadUrl[] = "type.registry.kjc/registry.client.OwnLines";

// How much of `body` (an option without its dashes) can be an option's name: letters, hyphens,
// and underscores (no option has one, but the file fields do: "--personal_number" is a name
// typed the JSON way, shown whole, not cut at the underscore as if a value followed).
size_t NameLength(absl::string_view body) {
  size_t n = 0;
  while (n < body.size() && (absl::ascii_isalpha(static_cast<unsigned char>(body[n])) ||
                             body[n] == '-' || body[n] == '_')) {
    ++n;
  }
  return n;
}

// An unknown option as an error may repeat it: its dashes and name, and "…" for what followed,
// which is not repeated ("--personal-number1234567890" is "--personal-number…").
std::string ShownOptionName(absl::string_view arg) {
  const size_t dashes = absl::StartsWith(arg, "--") ? 2 : 1;
  const absl::string_view body = arg.substr(dashes);
  size_t n = NameLength(body);
  // A short option is one character: "-1" is shown as "-1", as "-x" is, not as "-…". A digit
  // alone tells nothing of a person.
  if (dashes == 1 && n == 0 && !body.empty() &&
      absl::ascii_isdigit(static_cast<unsigned char>(body[0]))) {
    n = 1;
  }
  return absl::StrCat(arg.substr(0, dashes), body.substr(0, n), n < body.size() ? "…" : "");
}

// One problem per line, each whole: FormatError wraps them to the terminal, where it wraps at
// all, with the "error: CODE: " before the first counted.
std::string ProblemText(const std::vector<std::string>& problems) {
  if (problems.size() == 1) return problems[0];
  std::vector<std::string> lines;
  for (const std::string& problem : problems) lines.push_back(absl::StrCat("  ", problem));
  return absl::StrCat(problems.size(), " problems:\n", absl::StrJoin(lines, "\n"));
}

// How a positional argument is named in a problem: the word of the usage line ("ID" of "ID (the
// record's id, ...)"), else its place ("argument 2").
std::string PositionalName(absl::Span<const std::string> names, size_t index) {
  if (index >= names.size()) return absl::StrCat("argument ", index + 1);
  const absl::string_view name = names[index];
  return std::string(name.substr(0, name.find(" (")));
}

// A value without the spaces and tabs around it: a value pasted from a document or a
// spreadsheet often brings one along, and no id, code, date, number, reference, name or file
// name means one there. Taken off here, where every option value passes, so that every option
// is read alike (an id, a --case-ref and a --position once each read it its own way, and a
// position with a space sent a check the registry refused, counted against the day's).
std::string WithoutSpacesAround(absl::string_view value) {
  const size_t first = value.find_first_not_of(" \t");
  if (first == absl::string_view::npos) return "";
  const size_t last = value.find_last_not_of(" \t");
  return std::string(value.substr(first, last - first + 1));
}

const OptionSpec* FindSpec(absl::Span<const OptionSpec> specs, absl::string_view name) {
  for (const OptionSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

bool ParsedArgs::Flag(absl::string_view name) const { return flags_.count(name) > 0; }

bool ParsedArgs::Has(absl::string_view name) const { return values_.count(name) > 0; }

std::optional<std::string> ParsedArgs::Get(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string ParsedArgs::Value(absl::string_view name, absl::string_view fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string(fallback) : it->second;
}

std::vector<std::string> ParsedArgs::GetAll(absl::string_view name) const {
  std::vector<std::string> all;
  auto first = values_.find(name);
  if (first == values_.end()) return all;
  all.push_back(first->second);
  if (auto more = more_values_.find(name); more != more_values_.end()) {
    all.insert(all.end(), more->second.begin(), more->second.end());
  }
  return all;
}

absl::StatusOr<ParsedArgs> ParseOptions(absl::Span<const OptionSpec> specs,
                                        absl::Span<const std::string> args,
                                        size_t min_positionals, size_t max_positionals,
                                        bool stop_at_positional,
                                        absl::Span<const std::string> positional_names) {
  ParsedArgs parsed;
  // -h/--help wins over every other mistake on the line, so that help is always reachable.
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (arg == "-h" || arg == "--help") {
      parsed.help_ = true;
      return parsed;
    }
    if (stop_at_positional && !absl::StartsWith(arg, "-")) break;
    // The value of "--identity DIR" is not the first positional: without stepping over it, help
    // after any global option that takes a value would go unseen. A value that is itself -h or
    // --help is taken as the request for help it most likely is; one that starts with "--" is
    // not taken as a value at all (below).
    if (absl::StartsWith(arg, "--") && arg.find('=') == std::string::npos &&
        i + 1 < args.size() && args[i + 1] != "-h" && !absl::StartsWith(args[i + 1], "--")) {
      const OptionSpec* spec = FindSpec(specs, absl::string_view(arg).substr(2));
      if (spec != nullptr && !spec->value_name.empty()) ++i;
    }
  }

  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool is_option = !options_ended && absl::StartsWith(arg, "-") && arg != "-";
    if (!is_option) {
      if (stop_at_positional) {
        parsed.rest_.assign(args.begin() + i, args.end());
        break;
      }
      parsed.positionals_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return UsageError(absl::StrCat("unknown option ", ShownOptionName(arg)));
    }
    absl::string_view body = absl::string_view(arg).substr(2);
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const OptionSpec* spec = FindSpec(specs, body);
    if (spec == nullptr) {
      // Only the name is repeated: what is glued to it may be a value, and a value may be a
      // personal number or a date of birth.
      const std::string shown = ShownOptionName(absl::StrCat("--", body));
      const absl::string_view name = absl::string_view(shown).substr(2, NameLength(body));
      if (const OptionSpec* glued = FindSpec(specs, name);
          glued != nullptr && name.size() < body.size() && !glued->value_name.empty()) {
        return UsageError(absl::StrCat("unknown option ", shown, " (--", glued->name,
                                       "'s value goes after a space or =)"));
      }
      std::vector<std::string> names;
      for (const OptionSpec& known : specs) names.push_back(known.name);
      // --help is every command's own, though in no table: "--hepl" is a near miss of it too.
      names.push_back("help");
      const std::optional<std::string> near = Closest(name, names);
      return UsageError(absl::StrCat("unknown option ", shown,
                                     near.has_value() ? absl::StrCat(" (did you mean --", *near, "?)")
                                                      : ""));
    }
    const bool again = parsed.flags_.count(spec->name) > 0 || parsed.values_.count(spec->name) > 0;
    if (again && !(spec->repeatable && !spec->value_name.empty())) {
      return UsageError(absl::StrCat("option --", spec->name, " given twice"));
    }
    if (spec->value_name.empty()) {
      if (inline_value.has_value()) {
        return UsageError(absl::StrCat("option --", spec->name, " takes no value"));
      }
      parsed.flags_.insert(spec->name);
      continue;
    }
    if (!inline_value.has_value()) {
      if (i + 1 >= args.size()) {
        return UsageError(absl::StrCat("option --", spec->name, " needs a value ",
                                       spec->value_name));
      }
      // "--case-ref --purpose x" is a case reference forgotten, not a case named "--purpose"
      // (which then leaves x a stray argument, or worse, as in "--legal-basis --yes"). No value
      // any option takes starts with "--": such a word is always an option. One that starts with
      // a single "-" may be a value. A value that does start with "--" can still be given after
      // "=", and is checked as any other.
      const std::string& next = args[i + 1];
      if (absl::StartsWith(next, "--")) {
        return UsageError(absl::StrCat(
            "option --", spec->name, " needs a value ", spec->value_name, " (got ",
            next == "--" ? std::string("--, the end of the options")
                         : absl::StrCat("the option ", ShownOptionName(next)),
            "; a value that starts with -- is written --", spec->name, "=", spec->value_name,
            ")"));
      }
      inline_value = args[++i];
    }
    if (again) {
      parsed.more_values_[spec->name].push_back(WithoutSpacesAround(*inline_value));
    } else {
      parsed.values_.emplace(spec->name, WithoutSpacesAround(*inline_value));
    }
  }

  // Everything missing or malformed, in one error.
  std::vector<std::string> problems;
  const size_t count = parsed.positionals_.size();
  if (count < min_positionals && positional_names.size() >= min_positionals) {
    // Named as the usage line names them: "missing argument" alone left the reader to find out
    // which of the words after the command was meant.
    const std::vector<std::string> absent(positional_names.begin() + count,
                                          positional_names.begin() + min_positionals);
    problems.push_back(
        absl::StrCat(absent.size() == 1 ? "missing argument: " : "missing arguments: ",
                     absl::StrJoin(absent, ", ")));
  }
  // As option values below: protobuf would log the bytes' field on stderr and send them all the
  // same (the server then refuses them, after the call was made and audited).
  for (size_t i = 0; i < count; ++i) {
    if (!IsWellFormedUtf8(parsed.positionals_[i])) {
      problems.push_back(absl::StrCat(PositionalName(positional_names, i),
                                      ": not valid UTF-8 (is the terminal set to another "
                                      "encoding?)"));
    }
  }
  std::vector<std::string> missing;
  for (const OptionSpec& spec : specs) {
    if (spec.required && parsed.values_.count(spec.name) == 0 &&
        parsed.flags_.count(spec.name) == 0) {
      missing.push_back(absl::StrCat("--", spec.name));
    }
  }
  if (!missing.empty()) {
    problems.push_back(absl::StrCat(absl::StrJoin(missing, ", "),
                                    missing.size() > 1 ? " are required" : " is required"));
  }
  const auto given = [&](absl::string_view name) {
    return parsed.values_.count(name) > 0 || parsed.flags_.count(name) > 0;
  };
  // Two ways of asking given at once: named, and the options that go with either are then not
  // asked for (the user meant one way, and which one is theirs to say).
  bool mixed = false;
  for (const OptionSpec& spec : specs) {
    if (!given(spec.name)) continue;
    for (const std::string& other : spec.without) {
      if (!given(other)) continue;
      problems.push_back(absl::StrCat("--", spec.name, " and --", other,
                                      " are two ways of asking: give one of them"));
      mixed = true;
    }
  }
  std::set<std::vector<std::string>> groups;
  for (const OptionSpec& spec : specs) {
    if (mixed || spec.with.empty() || !given(spec.name)) continue;
    std::vector<std::string> group = spec.with;
    group.push_back(spec.name);
    std::sort(group.begin(), group.end());
    if (!groups.insert(group).second) continue;
    // In the order the command declares them, as its usage line shows them.
    std::vector<std::string> all, absent;
    for (const OptionSpec& member : specs) {
      if (!std::binary_search(group.begin(), group.end(), member.name)) continue;
      all.push_back(absl::StrCat("--", member.name));
      if (!given(member.name)) absent.push_back(absl::StrCat("--", member.name));
    }
    if (absent.empty()) continue;
    const std::string last = all.back();
    all.pop_back();
    problems.push_back(absl::StrCat(absl::StrJoin(all, ", "), " and ", last, " go together: ",
                                    absl::StrJoin(absent, ", "),
                                    absent.size() > 1 ? " are missing" : " is missing"));
  }
  for (const OptionSpec& spec : specs) {
    // An option with a check of its own (a --set FIELD=VALUE) has its values judged there, UTF-8
    // included: it names the field ("--set address: not valid UTF-8"), which "--set:" did not,
    // and a value said wrong by both was named twice.
    if (spec.check_values != nullptr && parsed.values_.count(spec.name) > 0) {
      for (std::string& line : spec.check_values(parsed.GetAll(spec.name))) {
        problems.push_back(std::move(line));
      }
      continue;
    }
    for (const std::string& value : parsed.GetAll(spec.name)) {
      std::string problem;
      // Protobuf would log the bytes' field and send them all the same (a vetting check made
      // with a name the server then refuses still counts against the day's checks): refused here.
      if (!IsWellFormedUtf8(value)) {
        problems.push_back(absl::StrCat(
            "--", spec.name, ": not valid UTF-8 (is the terminal set to another encoding?)"));
        continue;
      }
      // A required text given as spaces only is none ("--reason ' '"): said so, rather than
      // sent for the registry to answer with a rule the spaces seem to meet.
      if (spec.required && (spec.check == ValueCheck::kNone || spec.check == ValueCheck::kName) &&
          value.empty()) {
        problems.push_back(absl::StrCat("--", spec.name,
                                        ": empty (spaces alone are no value): give ",
                                        spec.value_name));
        continue;
      }
      if (spec.check == ValueCheck::kDate) problem = DateProblem(value);
      if (spec.check == ValueCheck::kReference) problem = ReferenceProblem(value);
      if (spec.check == ValueCheck::kLegalBasis) problem = LegalBasisProblem(value);
      if (spec.check == ValueCheck::kPersonalNumber) problem = PersonalNumberProblem(value);
      if (spec.check == ValueCheck::kName) problem = InvisibleCharacterProblem(value);
      if (spec.check == ValueCheck::kInputPath && value.empty()) {
        problem = "the file name is empty";
      }
      if (spec.check == ValueCheck::kOutputPath || spec.check == ValueCheck::kOutputFile) {
        // Named with the path, as a file is everywhere else: "--out /dev/full: it is a device".
        problem = spec.check == ValueCheck::kOutputFile ? OutputFileProblem(value)
                                                        : OutputPathProblem(value);
        if (!problem.empty() && !value.empty()) {
          problems.push_back(absl::StrCat("--", spec.name, " ", value, ": ", problem));
          continue;
        }
      }
      if (!problem.empty()) problems.push_back(absl::StrCat("--", spec.name, ": ", problem));
    }
  }
  if (!problems.empty()) return UsageProblems(problems);
  if (count < min_positionals) {
    return UsageError(min_positionals == 1
                          ? std::string("missing argument")
                          : absl::StrCat("expected ", min_positionals, " arguments, got ", count));
  }
  if (count > max_positionals) {
    // Counted, not quoted: the extra word is often half of a value typed without its quotes
    // (--surname Van Dyke), a person's name or number.
    return UsageError(absl::StrCat(
        "unexpected argument: ",
        max_positionals == 0 ? std::string("no arguments")
                             : absl::StrCat("at most ", max_positionals,
                                            max_positionals == 1 ? " argument" : " arguments"),
        " expected, got ", count, " (a value with spaces needs quotes)"));
  }
  return parsed;
}

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayloadUrl, absl::Cord("usage"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayloadUrl).has_value();
}

absl::Status UsageProblems(const std::vector<std::string>& problems) {
  absl::Status status = UsageError(ProblemText(problems));
  status.SetPayload(kLinesPayloadUrl, absl::Cord("lines"));
  return status;
}

absl::Status ProblemsError(absl::StatusCode code, const std::vector<std::string>& problems,
                           absl::string_view note) {
  absl::Status status(code, note.empty() ? ProblemText(problems)
                                         : absl::StrCat(ProblemText(problems), "\n", note));
  status.SetPayload(kLinesPayloadUrl, absl::Cord("lines"));
  return status;
}

absl::Status WithNote(const absl::Status& status, absl::string_view note) {
  // A message that is not the client's own keeps no line break of its own.
  const std::string message =
      HasOwnLines(status) ? std::string(status.message())
                          : absl::StrReplaceAll(status.message(), {{"\n", " "}, {"\r", " "}});
  absl::Status noted(status.code(), absl::StrCat(message, "\n", note));
  noted.SetPayload(kLinesPayloadUrl, absl::Cord("lines"));
  if (IsUsageError(status)) noted.SetPayload(kUsagePayloadUrl, absl::Cord("usage"));
  return noted;
}

std::string UnwrappedMessage(const absl::Status& status) { return std::string(status.message()); }

bool HasOwnLines(const absl::Status& status) {
  return status.GetPayload(kLinesPayloadUrl).has_value();
}

std::string DateProblem(absl::string_view text) {
  const absl::StatusOr<absl::CivilDay> day = ParseDate(text);
  if (day.ok()) return "";
  // ParseDate tells a wrong shape from a day the calendar does not have. The text is not
  // repeated: a date of birth is personal data, and the message may travel further (a pasted
  // terminal, a log of a script) than what was typed.
  if (absl::StrContains(day.status().message(), "calendar")) return "not a real date";
  // A real date, but earlier than any the registry holds: said as that, not as "not real".
  if (absl::StrContains(day.status().message(), "1900")) return std::string(kBefore1900);
  return "not a date YYYY-MM-DD";
}

std::string PersonalNumberProblem(absl::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == ' ') return "holds a space: a personal number is written without spaces";
    if (byte < 0x20 || byte >= 0x7f) {
      return "holds a character no personal number has (only ASCII letters, digits and "
             "punctuation)";
    }
  }
  return "";
}

std::string ReferenceProblem(absl::string_view text) {
  return ReferenceShaped(text) ? "" : ReferenceRuleFor(text);
}

std::string LegalBasisProblem(absl::string_view text) {
  return LegalBasisShaped(text) ? "" : LegalBasisRuleFor(text);
}

std::optional<bool> YesNoAnswer(absl::string_view answer) {
  const std::string word = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  if (word == "y" || word == "yes") return true;
  if (word == "n" || word == "no") return false;
  return std::nullopt;
}

absl::StatusOr<uint64_t> ParseUintOption(absl::string_view option, absl::string_view value,
                                          uint64_t min, uint64_t max) {
  uint64_t number = 0;
  const bool digits_only =
      !value.empty() && std::all_of(value.begin(), value.end(),
                                    [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only || !absl::SimpleAtoi(value, &number) || number < min || number > max) {
    // What was typed is not repeated: in the wrong place, it may be a personal number.
    return UsageError(absl::StrCat("--", option, " must be a whole number from ", min, " to ",
                                   max));
  }
  return number;
}

}  // namespace registry::client
