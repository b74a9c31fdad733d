// What a subcommand handler of registry-cli works with: its parsed arguments, the input and
// output streams, the global --json switch and, created on first use, the mTLS channel to
// registryd and what the registry says about the caller (WhoAmI) and its tables. Offline
// commands never touch the channel, so they run without an identity.
//
//   absl::Status RunHealth(CommandContext& ctx) {
//     ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
//     ...
//     ctx.out() << "SERVING\n";
//   }
#ifndef REGISTRY_CLIENT_COMMAND_CONTEXT_H_
#define REGISTRY_CLIENT_COMMAND_CONTEXT_H_

#include <istream>
#include <memory>
#include <optional>
#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/connection.h"
#include "client/option_parser.h"
#include "client/record_fields.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "registry/v1/info.pb.h"

namespace registry::client {

struct CommandSpec;

// The process's standard streams as RunCli sees them.
struct CliStreams {
  std::istream* in = nullptr;  // may be null: no input
  bool in_is_terminal = false;
  std::ostream* out = nullptr;
  // True when standard output is a terminal: what people read there (a record, the audit list)
  // is laid out for its width (TextColumns).
  bool out_is_terminal = false;
  std::ostream* err = nullptr;
  bool err_is_terminal = false;
};

class CommandContext {
 public:
  CommandContext(const CommandSpec& command, const ParsedArgs& args,
                 const ConnectionSettings& settings, bool json, const EnvLookup& env,
                 const CliStreams& streams)
      : command_(command),
        args_(args),
        settings_(settings),
        json_(json),
        env_(env),
        streams_(streams) {}

  CommandContext(const CommandContext&) = delete;
  CommandContext& operator=(const CommandContext&) = delete;

  const CommandSpec& command() const { return command_; }
  // The subcommand's own options and positionals.
  const ParsedArgs& args() const { return args_; }
  const ConnectionSettings& settings() const { return settings_; }
  const EnvLookup& env() const { return env_; }
  // True with --json: print protobuf JSON, one object per line, instead of text for people.
  bool json() const { return json_; }
  std::ostream& out() { return *streams_.out; }
  std::ostream& err() { return *streams_.err; }
  // The user's input (stdin), for questions; nullptr when there is none.
  std::istream* in() { return streams_.in; }
  // True when the input is a terminal: a person can answer questions.
  bool in_is_terminal() const { return streams_.in != nullptr && streams_.in_is_terminal; }
  // True when stderr is a terminal (progress bars go there only then).
  bool err_is_terminal() const { return streams_.err_is_terminal; }
  // The width text for people is laid out for on standard output: TextColumns() on a terminal
  // without --json; 0 otherwise (a file, a pipe, a script), for output that does not change
  // with the width of whatever terminal ran it.
  size_t out_columns() const;

  // The channel to the server, created on the first call (see CreateChannel for the errors);
  // then, when the private key may be read by other accounts, a warning (Warn, KeyFileWarning).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Channel();
  // True once Channel() made one: the command talked to (or tried to reach) the server.
  bool has_channel() const { return channel_ != nullptr; }

  // The caller as the registry sees it (InfoService.WhoAmI), asked once per run.
  absl::StatusOr<registry::v1::WhoAmIResponse> WhoAmI();
  // The courts and offences a record may name (InfoService.GetReferenceData), asked once, and
  // only of a role that may read them (asked with WhoAmI first): PermissionDenied, without a
  // call, for another. A refused call is an audited refusal, and a judge who reads `record create
  // --help` or runs `record template` has tried nothing.
  absl::StatusOr<RecordChoices> RecordTables();

  // Prints `message` as one JSON line on out().
  absl::Status PrintJson(const google::protobuf::Message& message);

  // What a command says on err() beside its answer: a note (more events follow, the first
  // verification with a state file) or a warning (a person should look: a server's copy that
  // differs, a private key others may read; the command decides whether it makes the exit code
  // 1). For people, a line "note: TEXT" or "WARNING: TEXT", escaped for the terminal. With
  // --json, one JSON object a line, {"note":"TEXT"} or {"warning":"TEXT"}, as an error is
  // {"error":{...}}: a script reading stderr then reads JSON lines only. Every note and warning
  // goes through these, so that no command prints plain text there under --json.
  void Note(absl::string_view text);
  void Warn(absl::string_view text);

  // The process exit code when the handler returns OK: 0 unless the handler reports a negative
  // answer (not serving, an invalid certificate, invalid import rows) with 1.
  int exit_code() const { return exit_code_; }
  void set_exit_code(int code) { exit_code_ = code; }
  // The process exit code when the handler returns an error, when the handler sets one (files
  // certificate verify cannot read exit 2, as its help says, whatever the error's code); else
  // RunCli's rule (2 for INVALID_ARGUMENT, 1 otherwise).
  std::optional<int> error_exit_code() const { return error_exit_code_; }
  void set_error_exit_code(int code) { error_exit_code_ = code; }

 private:
  // A Note or Warn of `kind` ("note", "warning").
  void Remark(absl::string_view kind, absl::string_view text);

  const CommandSpec& command_;
  const ParsedArgs& args_;
  const ConnectionSettings& settings_;
  const bool json_;
  const EnvLookup& env_;
  const CliStreams streams_;
  std::shared_ptr<grpc::Channel> channel_;
  std::optional<registry::v1::WhoAmIResponse> who_;
  std::optional<RecordChoices> tables_;
  int exit_code_ = 0;
  std::optional<int> error_exit_code_;
};

// Whether `role` may call `method` ("registry.v1.InfoService.GetReferenceData"), by the rule
// the API declares on it (registry/v1/access.proto) and the server enforces; true for a method
// that declares none (the server decides).
bool RoleMayCall(registry::v1::Role role, absl::string_view method);

// InfoService.GetReferenceData, which RecordTables and help ask only of a role RoleMayCall.
inline constexpr absl::string_view kReferenceDataMethod =
    "registry.v1.InfoService.GetReferenceData";
// RecordService.CreateRecord: help lists the tables only for a role that may enter records.
inline constexpr absl::string_view kCreateRecordMethod =
    "registry.v1.RecordService.CreateRecord";

// The refusal RecordTables answers, without a call, for a role that may not read the tables.
absl::Status TablesNotForRole(registry::v1::Role role);

// InfoService calls with the settings' deadline and request id.
absl::StatusOr<registry::v1::WhoAmIResponse> CallWhoAmI(
    const std::shared_ptr<grpc::Channel>& channel, const ConnectionSettings& settings);
absl::StatusOr<RecordChoices> CallReferenceData(const std::shared_ptr<grpc::Channel>& channel,
                                                const ConnectionSettings& settings);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_COMMAND_CONTEXT_H_
