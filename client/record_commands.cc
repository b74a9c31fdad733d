// record subcommands except import (import_command.cc).
#include <memory>

#include "absl/strings/str_cat.h"
#include "client/amend_patch.h"
#include "client/commands.h"
#include "client/files.h"
#include "client/json_io.h"
#include "client/record_format.h"
#include "client/terminal_text.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "registry/v1/records.grpc.pb.h"

namespace registry::client {
namespace {

absl::StatusOr<std::unique_ptr<v1::RecordService::Stub>> RecordStub(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  return v1::RecordService::NewStub(channel);
}

// Sets `purpose` from --case-ref/--purpose when either is given; the server decides whether the
// caller's role needs them.
void SetPurpose(const ParsedArgs& args, v1::Purpose* purpose) {
  if (auto reference = args.Get("case-ref")) purpose->set_case_reference(*reference);
  if (auto code = args.Get("purpose")) purpose->set_purpose_code(*code);
}

bool WantsPurpose(const ParsedArgs& args) { return args.Has("case-ref") || args.Has("purpose"); }

absl::Status PrintStatusChange(CommandContext& ctx, const v1::RecordStatusResponse& response) {
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << "record " << ForTerminal(response.record_id()) << " is now "
            << RecordStatusName(response.status()) << " (version " << response.version()
            << ")\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status RunRecordCreate(CommandContext& ctx) {
  const std::string path = ctx.args().Value("file");
  ASSIGN_OR_RETURN(const std::string json, ReadFileToString(path, "record file"));
  v1::CreateRecordRequest request;
  RETURN_IF_ERROR(ParseJson(json, path, &request));
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::CreateRecordResponse response,
                   CallUnary<v1::CreateRecordResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::CreateRecordResponse* r) {
                         return stub->CreateRecord(c, request, r);
                       }));
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << ForTerminal(response.record_id()) << "\n";
  return absl::OkStatus();
}

absl::Status RunRecordGet(CommandContext& ctx) {
  v1::GetRecordRequest request;
  request.set_record_id(ctx.args().positionals()[0]);
  if (WantsPurpose(ctx.args())) SetPurpose(ctx.args(), request.mutable_purpose());
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::GetRecordResponse response,
                   CallUnary<v1::GetRecordResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::GetRecordResponse* r) {
                         return stub->GetRecord(c, request, r);
                       }));
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << FormatRecord(response.record());
  return absl::OkStatus();
}

absl::Status RunRecordSearch(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  const bool by_number = args.Has("personal-number");
  const bool by_name =
      args.Has("surname") || args.Has("given-name") || args.Has("birth-date");
  if (by_number == by_name) {
    return UsageError(
        "give either --personal-number, or --surname, --given-name and --birth-date");
  }
  v1::SearchRecordsRequest request;
  if (by_number) {
    request.set_personal_number(args.Value("personal-number"));
  } else {
    if (!args.Has("surname") || !args.Has("given-name") || !args.Has("birth-date")) {
      return UsageError("a name search needs all of --surname, --given-name and --birth-date");
    }
    if (!ParseDate(args.Value("birth-date")).ok()) {
      return UsageError("--birth-date must be a date YYYY-MM-DD");
    }
    v1::NameQuery* name = request.mutable_name();
    name->set_surname(args.Value("surname"));
    name->set_given_name(args.Value("given-name"));
    name->set_birth_date(args.Value("birth-date"));
  }
  if (WantsPurpose(args)) SetPurpose(args, request.mutable_purpose());
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::SearchRecordsResponse response,
                   CallUnary<v1::SearchRecordsResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::SearchRecordsResponse* r) {
                         return stub->SearchRecords(c, request, r);
                       }));
  if (ctx.json()) return ctx.PrintJson(response);
  if (response.records().empty()) {
    ctx.out() << "no matching record\n";
    return absl::OkStatus();
  }
  ctx.out() << response.records_size()
            << (response.records_size() == 1 ? " matching record\n" : " matching records\n");
  for (const v1::Record& record : response.records()) {
    ctx.out() << "\n" << FormatRecord(record);
  }
  return absl::OkStatus();
}

absl::Status RunRecordHistory(CommandContext& ctx) {
  v1::GetRecordHistoryRequest request;
  request.set_record_id(ctx.args().positionals()[0]);
  if (WantsPurpose(ctx.args())) SetPurpose(ctx.args(), request.mutable_purpose());
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(
      const v1::GetRecordHistoryResponse response,
      CallUnary<v1::GetRecordHistoryResponse>(
          ctx.settings(), [&](grpc::ClientContext* c, v1::GetRecordHistoryResponse* r) {
            return stub->GetRecordHistory(c, request, r);
          }));
  if (ctx.json()) return ctx.PrintJson(response);
  bool first = true;
  for (const v1::RecordVersion& version : response.versions()) {
    if (!first) ctx.out() << "\n";
    first = false;
    ctx.out() << "== version " << version.record().metadata().version() << ": "
              << ForTerminal(version.reason()) << "\n"
              << FormatRecord(version.record());
  }
  return absl::OkStatus();
}

absl::Status RunRecordAmend(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  v1::AmendRecordRequest request;
  request.set_record_id(args.positionals()[0]);
  request.set_reason(args.Value("reason"));
  if (auto expected = args.Get("expected-version")) {
    ASSIGN_OR_RETURN(const uint64_t version,
                     ParseUintOption("expected-version", *expected, 1, UINT32_MAX));
    request.set_expected_version(static_cast<uint32_t>(version));
  }
  const std::string path = args.Value("file");
  ASSIGN_OR_RETURN(const std::string json, ReadFileToString(path, "patch file"));
  RETURN_IF_ERROR(FillAmendRequestFromPatch(json, &request));
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::AmendRecordResponse response,
                   CallUnary<v1::AmendRecordResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::AmendRecordResponse* r) {
                         return stub->AmendRecord(c, request, r);
                       }));
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << "record " << ForTerminal(response.record_id()) << " amended: now version "
            << response.version() << " (changed " << request.update_mask().paths_size()
            << (request.update_mask().paths_size() == 1 ? " field)\n" : " fields)\n");
  return absl::OkStatus();
}

absl::Status RunRecordDispute(CommandContext& ctx) {
  v1::DisputeRecordRequest request;
  request.set_record_id(ctx.args().positionals()[0]);
  request.set_reason(ctx.args().Value("reason"));
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::RecordStatusResponse response,
                   CallUnary<v1::RecordStatusResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::RecordStatusResponse* r) {
                         return stub->DisputeRecord(c, request, r);
                       }));
  return PrintStatusChange(ctx, response);
}

absl::Status RunRecordUndispute(CommandContext& ctx) {
  v1::ResolveDisputeRequest request;
  request.set_record_id(ctx.args().positionals()[0]);
  request.set_reason(ctx.args().Value("reason"));
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::RecordStatusResponse response,
                   CallUnary<v1::RecordStatusResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::RecordStatusResponse* r) {
                         return stub->ResolveDispute(c, request, r);
                       }));
  return PrintStatusChange(ctx, response);
}

absl::Status RunRecordExpunge(CommandContext& ctx) {
  v1::ExpungeRecordRequest request;
  request.set_record_id(ctx.args().positionals()[0]);
  request.set_legal_basis(ctx.args().Value("legal-basis"));
  ASSIGN_OR_RETURN(auto stub, RecordStub(ctx));
  ASSIGN_OR_RETURN(const v1::ExpungeRecordResponse response,
                   CallUnary<v1::ExpungeRecordResponse>(
                       ctx.settings(), [&](grpc::ClientContext* c, v1::ExpungeRecordResponse* r) {
                         return stub->ExpungeRecord(c, request, r);
                       }));
  if (ctx.json()) return ctx.PrintJson(response);
  ctx.out() << "record " << ForTerminal(response.record_id()) << " expunged\n";
  return absl::OkStatus();
}

}  // namespace registry::client
