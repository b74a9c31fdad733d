// health and admin subcommands.
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "client/commands.h"
#include "client/health_check.h"
#include "client/terminal_text.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "registry/v1/admin.grpc.pb.h"

namespace registry::client {

absl::Status RunHealth(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  ASSIGN_OR_RETURN(const ServingStatus status, CheckHealth(channel, ctx.settings()));
  if (ctx.json()) {
    google::protobuf::Struct answer;
    (*answer.mutable_fields())["status"].set_string_value(ServingStatusName(status));
    RETURN_IF_ERROR(ctx.PrintJson(answer));
  } else {
    ctx.out() << ServingStatusName(status) << "\n";
  }
  if (status != ServingStatus::kServing) ctx.set_exit_code(1);
  return absl::OkStatus();
}

absl::Status RunWhoAmI(CommandContext& ctx) {
  ASSIGN_OR_RETURN(const v1::WhoAmIResponse who, ctx.WhoAmI());
  if (ctx.json()) return ctx.PrintJson(who);
  const std::string role =
      absl::AsciiStrToLower(absl::StripPrefix(v1::Role_Name(who.role()), "ROLE_"));
  ctx.out() << absl::StrFormat("%-22s %s\n", "identity:", ForTerminal(who.identity()))
            << absl::StrFormat("%-22s %s\n", "role:", role)
            << absl::StrFormat("%-22s %s%s\n", "organisation:", ForTerminal(who.organisation()),
                               who.organisation_name().empty()
                                   ? ""
                                   : absl::StrCat(" (", ForTerminal(who.organisation_name()), ")"));
  const auto list = [&](absl::string_view label,
                        const google::protobuf::RepeatedPtrField<std::string>& items) {
    if (items.empty()) return;
    std::vector<std::string> escaped;
    for (const std::string& item : items) escaped.push_back(ForTerminal(item));
    ctx.out() << absl::StrFormat("%-22s %s\n", label, absl::StrJoin(escaped, ", "));
  };
  list("purpose codes:", who.purpose_codes());
  list("position categories:", who.position_categories());
  return absl::OkStatus();
}

absl::Status RunAdminRotateKeys(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  auto stub = v1::AdminService::NewStub(channel);
  ASSIGN_OR_RETURN(const v1::RotateKeysResponse response,
                   CallUnary<v1::RotateKeysResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::RotateKeysResponse* r) {
                         return stub->RotateKeys(c, v1::RotateKeysRequest(), r);
                       }));
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << "key-encryption key now version " << response.current_kek_version() << "; "
            << response.rewrapped() << " data keys re-wrapped\n";
  return absl::OkStatus();
}

absl::Status RunAdminBackup(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  auto stub = v1::AdminService::NewStub(channel);
  ASSIGN_OR_RETURN(const v1::BackupInfo backup,
                   CallUnary<v1::BackupInfo>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::BackupInfo* r) {
                         return stub->CreateBackup(c, v1::CreateBackupRequest(), r);
                       }));
  if (ctx.json()) return ctx.PrintJson(backup);
  ctx.out() << absl::StrFormat("backup %d created at %s (%d bytes)\n", backup.backup_id(),
                               ForTerminal(backup.created_at()), backup.size_bytes());
  if (!backup.pruned_backup_ids().empty()) {
    ctx.out() << "older backups deleted by the retention setting: "
              << absl::StrJoin(backup.pruned_backup_ids(), ", ") << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunAdminBackups(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  auto stub = v1::AdminService::NewStub(channel);
  ASSIGN_OR_RETURN(const v1::ListBackupsResponse response,
                   CallUnary<v1::ListBackupsResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::ListBackupsResponse* r) {
                         return stub->ListBackups(c, v1::ListBackupsRequest(), r);
                       }));
  // One object, as every command prints its answer: {"backups":[]} when there are none.
  if (ctx.json()) return ctx.PrintJson(response);
  if (response.backups().empty()) {
    ctx.out() << "no backups\n";
    return absl::OkStatus();
  }
  ctx.out() << absl::StrFormat("%-6s %-22s %s\n", "ID", "CREATED", "BYTES");
  for (const v1::BackupInfo& backup : response.backups()) {
    if (!backup.damaged().empty()) {
      // It can be neither verified nor restored: said in the row, with why.
      ctx.out() << absl::StrFormat("%-6d DAMAGED, cannot be verified or restored: %s\n",
                                   backup.backup_id(), ForTerminal(backup.damaged()));
      continue;
    }
    ctx.out() << absl::StrFormat("%-6d %-22s %d\n", backup.backup_id(),
                                 ForTerminal(backup.created_at()), backup.size_bytes());
  }
  return absl::OkStatus();
}

absl::Status RunAdminVerifyData(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  auto stub = v1::AdminService::NewStub(channel);
  ASSIGN_OR_RETURN(const v1::VerifyDataResponse response,
                   CallUnary<v1::VerifyDataResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::VerifyDataResponse* r) {
                         return stub->VerifyData(c, v1::VerifyDataRequest(), r);
                       }));
  if (response.problem_count() > 0) ctx.set_exit_code(1);
  if (ctx.json()) return ctx.PrintJson(response);
  for (const std::string& problem : response.problems()) {
    ctx.out() << "problem: " << problem << "\n";
  }
  if (response.problem_count() > static_cast<uint64_t>(response.problems_size())) {
    ctx.out() << "... and " << response.problem_count() - response.problems_size()
              << " more problems\n";
  }
  ctx.out() << absl::StrFormat(
      "%d records, %d versions, %d index rows, %d vetting checks, %d audit events: %s\n",
      response.records(), response.versions(), response.index_rows(), response.vetting_checks(),
      response.audit_events(),
      response.problem_count() == 0 ? std::string("consistent")
                                    : absl::StrCat(response.problem_count(), " problems"));
  return absl::OkStatus();
}

absl::Status RunAdminVerifyBackup(CommandContext& ctx) {
  v1::VerifyBackupRequest request;
  if (!ctx.args().positionals().empty()) {
    uint32_t id = 0;
    if (!absl::SimpleAtoi(ctx.args().positionals()[0], &id) || id == 0) {
      return absl::InvalidArgumentError("ID: a backup id (a positive number, see 'admin backups')");
    }
    request.set_backup_id(id);
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  auto stub = v1::AdminService::NewStub(channel);
  absl::StatusOr<v1::VerifyBackupResponse> answer = CallUnary<v1::VerifyBackupResponse>(
      ctx.settings(), [&](grpc::ClientContext* c, v1::VerifyBackupResponse* out) {
        return stub->VerifyBackup(c, request, out);
      });
  // No such backup ("there is no backup", "no backup 99"): said with what to do next.
  if (absl::IsNotFound(answer.status())) {
    return absl::NotFoundError(absl::StrCat(
        answer.status().message(),
        request.backup_id() == 0 ? "; 'admin backup' makes one"
                                 : "; 'admin backups' lists the backups there are"));
  }
  ASSIGN_OR_RETURN(const v1::VerifyBackupResponse r, std::move(answer));
  if (!r.ok()) ctx.set_exit_code(1);
  if (ctx.json()) return ctx.PrintJson(r);
  for (const std::string& problem : r.problems()) {
    ctx.out() << "problem: " << ForTerminal(problem) << "\n";
  }
  if (r.problem_count() > static_cast<uint64_t>(r.problems_size())) {
    const uint64_t more = r.problem_count() - r.problems_size();
    ctx.out() << "... and " << more << (more == 1 ? " more problem\n" : " more problems\n");
  }
  const auto yes = [](bool b) { return b ? "yes" : "NO"; };
  ctx.out() << absl::StrFormat("backup %d\n", r.backup_id());
  ctx.out() << absl::StrFormat("  files intact:              %s\n", yes(r.files_intact()));
  if (r.files_intact()) {
    const auto noun = [](uint64_t n, const char* one, const char* many) {
      return n == 1 ? one : many;
    };
    ctx.out() << absl::StrFormat("  audit log verifies:        %s (%d %s)\n",
                                 yes(r.audit_log_verified()), r.audit_events(),
                                 noun(r.audit_events(), "event", "events"));
    ctx.out() << absl::StrFormat("  consistent with live log:  %s (live: %d %s)\n",
                                 yes(r.consistent_with_live_log()), r.live_audit_events(),
                                 noun(r.live_audit_events(), "event", "events"));
    ctx.out() << absl::StrFormat(
        "  restored:                  %d %s, %d %s, %d index %s; %d later %s re-applied\n",
        r.records(), noun(r.records(), "record", "records"), r.versions(),
        noun(r.versions(), "version", "versions"), r.index_rows(),
        noun(r.index_rows(), "row", "rows"), r.erasures_reapplied(),
        noun(r.erasures_reapplied(), "erasure", "erasures"));
  }
  ctx.out() << (r.ok() ? "backup is sound\n"
                       : absl::StrCat("backup FAILED verification: ", r.problem_count(),
                                      r.problem_count() == 1 ? " problem\n" : " problems\n"));
  return absl::OkStatus();
}

}  // namespace registry::client
