#include "client/cli.h"

#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>
#include <ostream>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/audit_events.h"
#include "client/choices.h"
#include "client/cli_output.pb.h"
#include "client/command_context.h"
#include "client/command_table.h"
#include "client/commands.h"
#include "client/files.h"
#include "client/json_io.h"
#include "client/option_parser.h"
#include "client/record_import.h"
#include "client/output_buffer.h"
#include "common/suggest.h"
#include "client/terminal_text.h"
#include "client/tls_probe.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/channel.h"
#include "registry/v1/access.pb.h"

namespace registry::client {
namespace {

// Whether this run's errors are wrapped to the terminal's width (RunCli decides it once).
thread_local bool wrap_errors = false;

// True when the command line asks for --json among the global options, before the command: read
// without the parser, so that an error of the global options themselves is printed as asked.
bool JsonRequested(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--json") return true;
    if (arg == "--" || !absl::StartsWith(arg, "-")) return false;
    // The value of an option that takes one is the next word, unless glued with "=".
    for (const OptionSpec& spec : GlobalOptionSpecs()) {
      if (arg == absl::StrCat("--", spec.name) && !spec.value_name.empty()) ++i;
    }
  }
  return false;
}

// An error as printed on stderr, with its newline: "error: <CODE>: <message>", or with --json
// one line of JSON (ErrorOutput in cli_output.proto), which holds `usage` (the lines the text
// prints after a mistake on the command line) when there is one.
std::string ErrorLine(const absl::Status& status, bool json, absl::string_view usage = "") {
  if (json) {
    ErrorOutput output;
    output.mutable_error()->set_code(absl::StatusCodeToString(status.code()));
    if (!usage.empty()) {
      // Its lines as the text prints them in a file, never wrapped.
      output.mutable_error()->set_usage(std::string(absl::StripSuffix(usage, "\n")));
    }
    // The JSON writer escapes what could act on a terminal (control characters), as in every
    // other --json output; bytes that are not UTF-8 cannot be JSON text at all, and are shown
    // as the text shows them. Never wrapped (FormatError alone wraps): a JSON reader has its
    // own width.
    const std::string message = UnwrappedMessage(status);
    output.mutable_error()->set_message(IsWellFormedUtf8(message) ? message
                                                                  : ForTerminal(message));
    absl::StatusOr<std::string> line = ToJsonLine(output);
    if (line.ok()) return absl::StrCat(*line, "\n");
  }
  return absl::StrCat(FormatError(status, wrap_errors), "\n");
}

// A mistake on the command line: the error, then (for people, not with --json) how to find the
// right usage. The usage's lines are wrapped as the error is: to a terminal, or to the width
// COLUMNS gives, each line's further lines indented 4; in a file or a pipe each is whole.
int UsageFailure(const absl::Status& status, absl::string_view usage, bool json,
                 std::ostream& err) {
  err << ErrorLine(status, json, usage);
  if (!json) err << ErrorStreamLines(usage, 4);
  return kExitUsage;
}

// A line that says where to read the right usage, with its newline (UsageFailure wraps it).
std::string Hint(absl::string_view text) { return absl::StrCat(text, "\n"); }

// The first argument that names a global option, e.g. "--json" given after the command.
std::optional<std::string> MisplacedGlobalOption(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--") break;
    for (const OptionSpec& spec : GlobalOptionSpecs()) {
      const std::string name = absl::StrCat("--", spec.name);
      if (arg == name || absl::StartsWith(arg, name + "=")) return name;
    }
  }
  return std::nullopt;
}

// Whether `typed` is written as our command words are: small letters and "-". A personal number
// or a date of birth never is, and a name is written with a capital.
bool WrittenLikeACommand(absl::string_view typed) {
  return !typed.empty() && std::all_of(typed.begin(), typed.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) || c == '-';
  });
}

// The characters of `text`, counted as a person sees them (a UTF-8 sequence is one).
size_t CharacterCount(absl::string_view text) {
  return std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

// A word that names no command: `typed`, after `group` ("" at the top). The word may be a
// person's data (a name or personal number typed where the command belongs, "record
// 1234567890"), which an error never repeats (README.md). So it is repeated only as a near miss
// of a command, written as our commands are:
//   unknown command "recrod" (did you mean "record"?)
//   unknown command "record gte" (did you mean "record get"?)
//   unknown command "get" (did you mean "record get"?)  (a command without its group)
// and otherwise said by its length:
//   unknown command (a word of 10 characters, not repeated)
//   unknown subcommand of "record" (a word of 10 characters, not repeated)
absl::Status UnknownCommand(absl::string_view group, absl::string_view typed) {
  std::vector<std::string> words;
  for (const CommandSpec& command : Commands()) {
    std::vector<std::string> parts = absl::StrSplit(command.name, ' ');
    if (group.empty()) {
      words.push_back(parts[0]);
    } else if (parts.size() == 2 && parts[0] == group) {
      words.push_back(parts[1]);
    }
  }
  // A command typed without its group ("get" for "record get", "list" for "audit list"): our
  // own word, said with the group, or groups, it belongs to. Checked before the near misses,
  // which took "get" for "vet".
  if (group.empty() && WrittenLikeACommand(typed)) {
    std::vector<std::string> full;
    for (const CommandSpec& command : Commands()) {
      std::vector<std::string> parts = absl::StrSplit(command.name, ' ');
      if (parts.size() == 2 && parts[1] == typed) {
        full.push_back(absl::StrCat("\"", command.name, "\""));
      }
    }
    if (!full.empty()) {
      std::string choices = full.back();
      if (full.size() > 1) {
        full.pop_back();
        choices = absl::StrCat(absl::StrJoin(full, ", "), " or ", choices);
      }
      return UsageError(absl::StrCat("unknown command \"", typed, "\" (did you mean ", choices,
                                     "?)"));
    }
  }
  const std::optional<std::string> near =
      WrittenLikeACommand(typed) ? Closest(typed, words) : std::nullopt;
  const std::string prefix = group.empty() ? "" : absl::StrCat(group, " ");
  if (near.has_value()) {
    return UsageError(absl::StrCat("unknown command \"", prefix, typed, "\" (did you mean \"",
                                   prefix, *near, "\"?)"));
  }
  const size_t length = CharacterCount(typed);
  return UsageError(absl::StrCat(
      group.empty() ? std::string("unknown command")
                    : absl::StrCat("unknown subcommand of \"", group, "\""),
      " (a word of ", length, length == 1 ? " character" : " characters", ", not repeated)"));
}

// The command's positional arguments as a missing one is named: the words of its synopsis
// before the first option, optional part or choice ("ID" of "ID [--case-ref REF ...]",
// "CERT.json" of "CERT.json --public-key FILE"), each with what it stands for where the word
// alone may not say it.
std::vector<std::string> PositionalNames(const CommandSpec& command) {
  static const auto* const kMeanings = new std::map<std::string, std::string, std::less<>>{
      {"ID", "the record's id, 32 characters 0-9 and a-f"},
      {"CERT.json", "the certificate file vet check --out wrote"},
  };
  std::vector<std::string> names;
  for (absl::string_view word : absl::StrSplit(command.synopsis, ' ', absl::SkipEmpty())) {
    if (absl::StartsWith(word, "-") || absl::StartsWith(word, "[") ||
        absl::StartsWith(word, "(")) {
      break;
    }
    const auto meaning = kMeanings->find(word);
    names.push_back(meaning == kMeanings->end()
                        ? std::string(word)
                        : absl::StrCat(word, " (", meaning->second, ")"));
  }
  return names;
}

// Protobuf logs on stderr itself what it refuses (a string field that is not UTF-8, a message it
// cannot parse): a line of its own in the middle of the tool's output, which breaks --json's
// one-object-a-line stderr and may name the field of a personal value. The same failure reaches
// the user in the call's or the parse's status; a fatal one, which ends the process, is said
// without protobuf's text.
void DropProtobufLog(google::protobuf::LogLevel level, const char* /*filename*/, int /*line*/,
                     const std::string& /*message*/) {
  if (level == google::protobuf::LOGLEVEL_FATAL) {
    static constexpr char kFatal[] = "error: INTERNAL: the protobuf library stopped registry-cli\n";
    // Straight to the file: the process ends next, and stderr's stream may be mid-line.
    const ssize_t ignored = write(STDERR_FILENO, kFatal, sizeof(kFatal) - 1);
    static_cast<void>(ignored);
  }
}

}  // namespace

void KeepLibraryLogsOffStderr() { google::protobuf::SetLogHandler(&DropProtobufLog); }

std::string FormatError(const absl::Status& status, bool wrap) {
  // The message is often the server's own (a gRPC status), or quotes what it sent; escaped, it
  // cannot rewrite the terminal or forge the lines after it. Only a message the client composed
  // of its own lines (a list of problems) keeps its line breaks, each line escaped.
  std::string message;
  if (HasOwnLines(status)) {
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
      lines.push_back(ForTerminal(line));
    }
    message = absl::StrJoin(lines, "\n");
  } else {
    message = ForTerminal(status.message());
  }
  const std::string text =
      absl::StrCat("error: ", absl::StatusCodeToString(status.code()), ": ", message);
  if (!wrap) return text;
  // The error's first line with its continuation indented 4 (as a problem's is), a line of the
  // client's own (already indented) 2 deeper than itself. Nothing before wraps a message: this
  // is the one place, so that the "error: CODE: " before its first line is counted.
  return WrapLongLines(text, 4, 2);
}

std::string WrapLongLines(absl::string_view text, size_t first_indent, size_t indent) {
  // Each line wider than the terminal is wrapped at spaces; a line that fits stays as it is.
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (CharacterCount(line) <= TextColumns()) {
      lines.emplace_back(line);
      continue;
    }
    const size_t lead = std::min(line.find_first_not_of(' '), line.size());
    const size_t further = lines.empty() ? first_indent : lead + indent;
    lines.push_back(absl::StrCat(
        std::string(lead, ' '), WrapAfter(line.substr(lead), kStandardColumns - lead,
                                          kStandardColumns - further, further)));
  }
  return absl::StrJoin(lines, "\n");
}

std::string ErrorStreamLines(absl::string_view text, size_t indent) {
  return wrap_errors ? WrapLongLines(text, indent, indent) : std::string(text);
}

int RunCli(const std::vector<std::string>& args, const EnvLookup& env, std::ostream& out,
           std::ostream& err, bool err_is_terminal) {
  CliStreams streams;
  streams.out = &out;
  streams.err = &err;
  streams.err_is_terminal = err_is_terminal;
  return RunCli(args, env, streams);
}

namespace {

// The RPC a command is for, and what it does in the words of a refusal ("role court may not
// <what>"): the roles that may run the command are those the API declares on that RPC.
struct CommandMethod {
  absl::string_view command;
  absl::string_view method;
  absl::string_view what;
};

const CommandMethod* MethodOfCommand(absl::string_view command) {
  static constexpr CommandMethod kMethods[] = {
      {"record create", "registry.v1.RecordService.CreateRecord", "enter records"},
      {"record get", "registry.v1.RecordService.GetRecord", "read records"},
      {"record search", "registry.v1.RecordService.SearchRecords", "search records"},
      {"record history", "registry.v1.RecordService.GetRecordHistory",
       "read the history of records"},
      {"record amend", "registry.v1.RecordService.AmendRecord", "amend records"},
      {"record dispute", "registry.v1.RecordService.DisputeRecord", "mark records disputed"},
      {"record undispute", "registry.v1.RecordService.ResolveDispute", "resolve disputes"},
      {"record expunge", "registry.v1.RecordService.ExpungeRecord", "expunge records"},
      {"record import", "registry.v1.RecordService.ImportRecords", "import records"},
      {"vet check", "registry.v1.VettingService.VettingCheck", "check candidates"},
      {"vet history", "registry.v1.VettingService.ListChecksAboutPerson",
       "list the checks about a person"},
      {"vet public-key", "registry.v1.VettingService.GetVettingPublicKey",
       "fetch the vetting public key"},
      {"audit list", "registry.v1.AuditService.ListAuditEvents", "list the audit log"},
      {"audit export", "registry.v1.AuditService.ExportAuditEvents", "export the audit log"},
      {"audit verify", "registry.v1.AuditService.GetSignedTreeHead", "verify the audit log"},
      {"admin rotate-keys", "registry.v1.AdminService.RotateKeys", "rotate the keys"},
      {"admin backup", "registry.v1.AdminService.CreateBackup", "make backups"},
      {"admin backups", "registry.v1.AdminService.ListBackups", "list the backups"},
      {"admin verify-data", "registry.v1.AdminService.VerifyData", "check the data"},
      {"admin verify-backup", "registry.v1.AdminService.VerifyBackup", "verify backups"},
  };
  for (const CommandMethod& entry : kMethods) {
    if (entry.command == command) return &entry;
  }
  return nullptr;
}

}  // namespace

absl::Status RoleRefusalOfCommand(absl::string_view command, const absl::Status& status) {
  absl::string_view role = status.message();
  if (!absl::IsPermissionDenied(status) || !absl::ConsumePrefix(&role, "role ") ||
      !absl::ConsumeSuffix(&role, " may not call this method")) {
    return status;
  }
  const CommandMethod* entry = MethodOfCommand(command);
  if (entry == nullptr) return status;
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          std::string(entry->method));
  if (method == nullptr || !method->options().HasExtension(v1::access)) return status;
  std::vector<std::string> allowed;
  for (const int allowed_role : method->options().GetExtension(v1::access).roles()) {
    const std::string name = RoleName(static_cast<v1::Role>(allowed_role));
    // The role may run the command: what refused it was another call, said as it is.
    if (name == role) return status;
    allowed.push_back(name);
  }
  if (allowed.empty()) return status;
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", role, " may not ", entry->what, ": that is for role",
      allowed.size() == 1 ? " " : "s ", absl::StrJoin(allowed, " or "),
      "; nothing was read or changed"));
}

namespace {

// The commands whose success changes the registry: when their output is lost, the change
// still stands and must not be made again. Their output names the change with ids, versions and
// counts only (never a personal value), which is why it may be repeated in an error.
bool ChangesTheRegistry(const CommandSpec& command, const ParsedArgs& args) {
  static const auto* const kChanging = new std::vector<std::string>{
      "record create",   "record amend",  "record dispute",    "record undispute",
      "record expunge",  "record import", "admin rotate-keys", "admin backup"};
  if (!absl::c_linear_search(*kChanging, command.name)) return false;
  return !args.Flag("dry-run");
}

// The command a run carried out with a change, when it did (RunCommandLine tells RunCli).
struct ChangeMade {
  const CommandSpec* command = nullptr;
};

// RunCli up to the command's own exit code: the output it printed is checked after it.
int RunCommandLine(const std::vector<std::string>& args, const EnvLookup& env,
                   const CliStreams& streams, ChangeMade* change = nullptr) {
  std::ostream& out = *streams.out;
  std::ostream& err = *streams.err;
  const bool json = JsonRequested(args);
  const std::string tool_hint = Hint("run 'registry-cli --help' for the commands");
  absl::StatusOr<ParsedArgs> global =
      ParseOptions(GlobalOptionSpecs(), args, 0, 0, /*stop_at_positional=*/true);
  if (!global.ok()) return UsageFailure(global.status(), tool_hint, json, err);
  if (global->help()) {
    out << ToolHelp();
    return kExitOk;
  }
  const std::vector<std::string>& rest = global->rest();
  if (rest.empty()) {
    if (json) {
      return UsageFailure(UsageError("no command given: run 'registry-cli --help' for the "
                                     "commands"),
                          "", json, err);
    }
    err << ToolHelp();
    return kExitUsage;
  }

  // "registry-cli help [COMMAND...]", as many tools take it: the help of the tool, or of what
  // follows (the global options typed before it are kept).
  if (rest[0] == "help") {
    if (rest.size() == 1) {
      out << ToolHelp();
      return kExitOk;
    }
    std::vector<std::string> asked(args.begin(), args.end() - rest.size());
    asked.insert(asked.end(), rest.begin() + 1, rest.end());
    asked.push_back("--help");
    return RunCommandLine(asked, env, streams, change);
  }

  const CommandSpec* command = FindCommand(rest[0]);
  size_t consumed = 1;
  if (command == nullptr && IsCommandGroup(rest[0])) {
    if (rest.size() < 2) {
      if (json) {
        return UsageFailure(
            UsageError(absl::StrCat("no command given after \"", rest[0], "\": run 'registry-cli ",
                                    rest[0], " --help' for its commands")),
            "", json, err);
      }
      err << GroupHelp(rest[0]);
      return kExitUsage;
    }
    // "record help" is the tool's own word, as "registry-cli help" is, not a subcommand typed
    // wrong: the group's help.
    if (rest[1] == "-h" || rest[1] == "--help" || (rest[1] == "help" && rest.size() == 2)) {
      out << GroupHelp(rest[0]);
      return kExitOk;
    }
    // "record help get": the help of "record get", as "registry-cli help record get" gives it.
    if (rest[1] == "help") {
      std::vector<std::string> asked(args.begin(), args.end() - rest.size());
      asked.push_back(rest[0]);
      asked.insert(asked.end(), rest.begin() + 2, rest.end());
      asked.push_back("--help");
      return RunCommandLine(asked, env, streams, change);
    }
    command = FindCommand(absl::StrCat(rest[0], " ", rest[1]));
    consumed = 2;
    if (command == nullptr) {
      return UsageFailure(
          UnknownCommand(rest[0], rest[1]),
          Hint(absl::StrCat("run 'registry-cli ", rest[0], " --help' for its commands")), json,
          err);
    }
  }
  if (command == nullptr) {
    return UsageFailure(UnknownCommand("", rest[0]), tool_hint, json, err);
  }

  const std::string command_hint =
      absl::StrCat(CommandUsageText(*command), "\n",
                   Hint(absl::StrCat("run 'registry-cli ", command->name,
                                     " --help' for its options")));
  const std::vector<std::string> command_args(rest.begin() + consumed, rest.end());
  absl::StatusOr<ParsedArgs> parsed =
      ParseOptions(command->options, command_args, command->min_positionals,
                   command->max_positionals, /*stop_at_positional=*/false,
                   PositionalNames(*command));
  if (!parsed.ok()) {
    if (std::optional<std::string> global_option = MisplacedGlobalOption(command_args)) {
      return UsageFailure(
          UsageError(absl::StrCat(parsed.status().message(), " (", *global_option,
                                  " is a global option: put it before \"", command->name,
                                  "\")")),
          command_hint, json, err);
    }
    return UsageFailure(parsed.status(), command_hint, json, err);
  }
  absl::StatusOr<ConnectionSettings> settings = ResolveConnectionSettings(*global, env);
  if (parsed->help()) {
    out << CommandHelp(*command);
    // The import's file format, which its errors point to.
    if (command->name == "record import") out << ImportFormatHelp();
    // With an identity, the values this caller may choose from, as the registry says.
    if (settings.ok()) out << ChoicesHelp(*command, *settings);
    return kExitOk;
  }
  if (!settings.ok()) return UsageFailure(settings.status(), tool_hint, json, err);

  CommandContext context(*command, *parsed, *settings, global->Flag("json"), env, streams);
  absl::Status status = command->handler(context);
  if (status.ok()) {
    if (change != nullptr && ChangesTheRegistry(*command, *parsed)) change->command = command;
    return context.exit_code();
  }
  if (IsUsageError(status)) return UsageFailure(status, command_hint, json, err);
  // A role refused the call is told, in the command's words, which roles may run it.
  status = RoleRefusalOfCommand(command->name, status);
  // A refusal names what to type instead; a server that cannot be reached says why.
  status = ExplainError(context, status);
  // A message of the client's own lines has been explained already (record create
  // --interactive says where it kept the answers).
  if (context.has_channel() && absl::IsUnavailable(status) && !HasOwnLines(status)) {
    status = ExplainUnavailable(*settings, status);
    // An address or identity file that cannot be used is the user's to fix, as on the command
    // line.
    if (IsUsageError(status)) return UsageFailure(status, command_hint, json, err);
  }
  if (context.has_channel() && absl::IsResourceExhausted(status) && !HasOwnLines(status) &&
      absl::StrContains(status.message(), "message larger than max")) {
    // gRPC's "Received message larger than max (9000206 vs. 8388608)" names neither the call
    // nor what made it so large. Its two numbers are sizes, never the input's text.
    std::string sizes;
    const absl::string_view message = status.message();
    const size_t open = message.rfind('(');
    const size_t close = message.rfind(')');
    if (open != absl::string_view::npos && close != absl::string_view::npos && open < close) {
      std::vector<std::string> parts =
          absl::StrSplit(message.substr(open + 1, close - open - 1), " vs. ");
      if (parts.size() == 2 && absl::c_all_of(parts, [](const std::string& part) {
            return !part.empty() && absl::c_all_of(part, [](char c) {
              return absl::ascii_isdigit(static_cast<unsigned char>(c));
            });
          })) {
        sizes = absl::StrCat(" (", parts[0], " bytes, at most ", parts[1], ")");
      }
    }
    status = absl::ResourceExhaustedError(absl::StrCat(
        "a message of the call to ", settings->server, " was larger than gRPC takes", sizes,
        ": no valid record or answer is near that size; look in what was given for a text far "
        "longer than it should be"));
  }
  if (context.has_channel() && CancelledByTheServer(status) && !HasOwnLines(status)) {
    // gRPC cancels the calls it had received but not handed on when registryd stops. Its bare
    // "CANCELLED" said nothing of whether the change was made, and is not repeated after the
    // code.
    status = absl::CancelledError(absl::StrCat(
        HowTheCallEnded(*settings, status),
        "; whether it was carried out is not known, so check before trying again (with a read, "
        "or `audit list` as an auditor)"));
  }
  if (context.has_channel() && absl::IsDeadlineExceeded(status) && !HasOwnLines(status) &&
      (*context.Channel())->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
    // The channel never connected, so the call was never sent: what stood in the way (a port
    // that accepts but never answers TLS, an address that drops packets) is said as for
    // UNAVAILABLE, which gRPC reports instead once its own connection attempt gives up (~20 s).
    status = ExplainUnavailable(*settings, status);
    if (IsUsageError(status)) return UsageFailure(status, command_hint, json, err);
  }
  if (context.has_channel() && absl::IsDeadlineExceeded(status) && !HasOwnLines(status)) {
    // gRPC says only "Deadline Exceeded": which server, how long, and what to try.
    status = ExplainDeadlineExceeded(*settings);
  }
  // A no said at a question is the person's answer, not an error (JSON keeps its one shape).
  if (IsDeclined(status) && !json) {
    // The client's own lines (the note says where the answers were kept), wrapped as an error.
    err << ErrorStreamLines(status.message(), 2) << "\n";
    return kExitError;
  }
  err << ErrorLine(status, json);
  // A command that tells its failures apart by exit code (certificate verify: files that cannot
  // be read are no verdict) has said which this one is.
  if (context.error_exit_code().has_value()) return *context.error_exit_code();
  // The input was refused for its own content, here or by the server: the same mistake exits
  // the same way whoever caught it. So is a file named that is not there, or is a folder: a
  // mistake in the command line (the tool's help says exit 2), not the registry's answer.
  return absl::IsInvalidArgument(status) || IsMissingInputFile(status) ? kExitUsage : kExitError;
}

}  // namespace

// The mark of Declined's statuses.
constexpr absl::string_view kDeclinedUrl = "registry-cli/declined";

absl::Status Declined(absl::string_view message) {
  return MarkDeclined(absl::CancelledError(message));
}

bool IsDeclined(const absl::Status& status) {
  return absl::IsCancelled(status) && status.GetPayload(kDeclinedUrl).has_value();
}

absl::Status MarkDeclined(absl::Status status) {
  status.SetPayload(kDeclinedUrl, absl::Cord("declined"));
  return status;
}

namespace {

// Passes what a command prints on to the real output, keeping a copy of its end: when the output
// cannot be written (a full disk), what it said of a change made (a record's id) is still known.
// It reports every write as done, as FdOutputBuffer's buffered writes are until they are flushed;
// whether the output got through is failed().
class KeepingBuffer : public std::streambuf {
 public:
  explicit KeepingBuffer(std::streambuf* sink) : sink_(sink) {}
  const std::string& kept() const { return kept_; }
  bool failed() const { return failed_; }

 protected:
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    return xsputn(&c, 1) == 1 ? ch : traits_type::eof();
  }
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    kept_.append(data, static_cast<size_t>(size));
    // A change's output is a few lines; the end of a long one (an import's counts) is kept.
    if (kept_.size() > 2 * kKept) kept_.erase(0, kept_.size() - kKept);
    if (!failed_ && sink_->sputn(data, size) != size) failed_ = true;
    return size;
  }
  int sync() override {
    if (sink_->pubsync() != 0) failed_ = true;
    return 0;
  }

 private:
  static constexpr size_t kKept = 16 * 1024;
  std::streambuf* const sink_;
  std::string kept_;
  bool failed_ = false;
};

// What the output of `command` said of its change, on one line: its text's lines (an import's
// last, its counts; the lines before it may quote the file), or with --json its objects.
// Empty when it says that nothing changed (an import that created no record).
std::string WhatTheChangeSaid(const CommandSpec& command, absl::string_view output) {
  std::vector<std::string> lines =
      absl::StrSplit(output, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "";
  if (command.name == "record import") {
    const std::string& counts = lines.back();
    // Text "0 created, ..."; JSON leaves a count of 0 out.
    if (absl::StartsWith(counts, "0 created") ||
        (absl::StartsWith(counts, "{") && !absl::StrContains(counts, "\"created\""))) {
      return "";
    }
    return counts;
  }
  return absl::StrJoin(lines, "; ");
}

}  // namespace

int RunCli(const std::vector<std::string>& args, const EnvLookup& env, const CliStreams& streams) {
  // Errors are wrapped for a person at a terminal, or to the width COLUMNS asks for; a script
  // reading stderr from a file or a pipe gets each error whole on its line.
  const bool was_wrapping = wrap_errors;
  const std::optional<std::string> columns = env("COLUMNS");
  wrap_errors = streams.err_is_terminal || (columns.has_value() && !columns->empty());
  std::ostream& out = *streams.out;
  KeepingBuffer keeping(out.rdbuf());
  std::ostream kept_out(&keeping);
  kept_out.copyfmt(out);
  CliStreams kept_streams = streams;
  kept_streams.out = &kept_out;
  ChangeMade change;
  const int code = RunCommandLine(args, env, kept_streams, &change);
  const bool written = !kept_out.flush().bad() && !keeping.failed() && !out.flush().bad();
  const bool json = JsonRequested(args);
  if (written) {
    wrap_errors = was_wrapping;
    return code;
  }
  // The output was cut short (a full disk, /dev/full, a pipe closed while SIGPIPE is ignored):
  // exiting 0 would pass half of it off as the whole. FAILED_PRECONDITION, as for a certificate
  // that could not be saved: the state of this computer is the user's to fix, and an UNAVAILABLE
  // would read as a server that cannot be reached.
  const auto* fd_out = dynamic_cast<const FdOutputBuffer*>(out.rdbuf());
  const int error = fd_out != nullptr ? fd_out->error() : 0;
  const std::string why = error != 0 ? absl::StrCat(": ", strerror(error)) : "";
  const std::string said =
      change.command != nullptr ? WhatTheChangeSaid(*change.command, keeping.kept()) : "";
  if (!said.empty()) {
    // The change stands: "cannot write the output" alone read as "not done", and a script or a
    // clerk made it again. What names it (a record id, a version, counts) is said here instead.
    *streams.err << ErrorLine(
        absl::FailedPreconditionError(absl::StrCat(
            "the change was made (", change.command->name, " printed: ", said,
            "), but the output could not be written", why,
            "; only the output was lost: do not run the command again")),
        json);
    wrap_errors = was_wrapping;
    return code == kExitInterrupted ? code : kExitOutputLost;
  }
  *streams.err << ErrorLine(absl::FailedPreconditionError(
                                absl::StrCat("cannot write the output", why,
                                             "; what was written of it is incomplete")),
                            json);
  wrap_errors = was_wrapping;
  return code == kExitOk ? kExitError : code;
}

}  // namespace registry::client
