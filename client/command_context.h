// What a subcommand handler of registry-cli works with: its parsed arguments, the output streams,
// the global --json switch and, created on first use, the mTLS channel to registryd. Offline
// commands never touch the channel, so they run without an identity.
//
//   absl::Status RunHealth(CommandContext& ctx) {
//     ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
//     ...
//     ctx.out() << "SERVING\n";
//   }
#ifndef REGISTRY_CLIENT_COMMAND_CONTEXT_H_
#define REGISTRY_CLIENT_COMMAND_CONTEXT_H_

#include <memory>
#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/connection.h"
#include "client/option_parser.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"

namespace registry::client {

class CommandContext {
 public:
  CommandContext(const ParsedArgs& args, const ConnectionSettings& settings, bool json,
                 const EnvLookup& env, std::ostream& out, std::ostream& err,
                 bool err_is_terminal)
      : args_(args),
        settings_(settings),
        json_(json),
        env_(env),
        out_(out),
        err_(err),
        err_is_terminal_(err_is_terminal) {}

  CommandContext(const CommandContext&) = delete;
  CommandContext& operator=(const CommandContext&) = delete;

  // The subcommand's own options and positionals.
  const ParsedArgs& args() const { return args_; }
  const ConnectionSettings& settings() const { return settings_; }
  const EnvLookup& env() const { return env_; }
  // True with --json: print protobuf JSON, one object per line, instead of text for people.
  bool json() const { return json_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  // True when stderr is a terminal (progress bars go there only then).
  bool err_is_terminal() const { return err_is_terminal_; }

  // The channel to the server, created on the first call (see CreateChannel for the errors).
  absl::StatusOr<std::shared_ptr<grpc::Channel>> Channel();

  // Prints `message` as one JSON line on out().
  absl::Status PrintJson(const google::protobuf::Message& message);

  // The process exit code when the handler returns OK: 0 unless the handler reports a negative
  // answer (not serving, an invalid certificate, invalid import rows) with 1.
  int exit_code() const { return exit_code_; }
  void set_exit_code(int code) { exit_code_ = code; }

 private:
  const ParsedArgs& args_;
  const ConnectionSettings& settings_;
  const bool json_;
  const EnvLookup& env_;
  std::ostream& out_;
  std::ostream& err_;
  const bool err_is_terminal_;
  std::shared_ptr<grpc::Channel> channel_;
  int exit_code_ = 0;
};

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_COMMAND_CONTEXT_H_
