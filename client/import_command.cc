// record import: parse the whole file, then send its valid rows in batches.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/commands.h"
#include "client/files.h"
#include "client/record_import.h"
#include "client/terminal_text.h"
#include "common/status_macros.h"
#include "registry/v1/records.grpc.pb.h"

namespace registry::client {
namespace {

constexpr uint64_t kDefaultBatch = 500;
constexpr uint64_t kMaxBatch = 1000;

// "\r[#########           ] 500/1200 rows" on a terminal's stderr.
void DrawProgress(std::ostream& err, size_t done, size_t total) {
  constexpr size_t kWidth = 30;
  const size_t filled = total == 0 ? kWidth : done * kWidth / total;
  err << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] " << done
      << "/" << total << " rows" << std::flush;
}

}  // namespace

absl::Status RunRecordImport(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  const std::string path = args.positionals()[0];
  uint64_t batch_size = kDefaultBatch;
  if (auto batch = args.Get("batch")) {
    ASSIGN_OR_RETURN(batch_size, ParseUintOption("batch", *batch, 1, kMaxBatch));
  }
  const bool dry_run = args.Flag("dry-run");
  ASSIGN_OR_RETURN(const ImportFormat format, ImportFormatFromPath(path));
  ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path, "import file"));
  // Parse everything first: a file whose structure is broken sends nothing.
  ASSIGN_OR_RETURN(const ParsedImport parsed, ParseImport(format, text));

  // Errors found here and by the server, by line.
  std::vector<ImportLineError> invalid = parsed.errors;
  std::vector<v1::ImportRowResult> results;
  if (!parsed.rows.empty()) {
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
    auto stub = v1::RecordService::NewStub(channel);
    const size_t total = parsed.rows.size();
    for (size_t start = 0; start < total; start += batch_size) {
      if (ctx.err_is_terminal()) DrawProgress(ctx.err(), start, total);
      v1::ImportRecordsRequest request;
      request.set_dry_run(dry_run);
      const size_t end = std::min<size_t>(total, start + batch_size);
      for (size_t i = start; i < end; ++i) *request.add_rows() = parsed.rows[i];
      absl::StatusOr<v1::ImportRecordsResponse> response =
          CallUnary<v1::ImportRecordsResponse>(
              ctx.settings(), [&](grpc::ClientContext* c, v1::ImportRecordsResponse* r) {
                return stub->ImportRecords(c, request, r);
              });
      if (!response.ok()) {
        if (ctx.err_is_terminal()) ctx.err() << "\n";
        const absl::Status& failed = response.status();
        return absl::Status(
            failed.code(),
            absl::StrCat(failed.message(), " (batch of lines ", parsed.rows[start].line(), "..",
                         parsed.rows[end - 1].line(), "; ", start,
                         " rows before it were sent and their results are final)"));
      }
      for (const v1::ImportRowResult& result : response->results()) {
        results.push_back(result);
        if (result.outcome() == v1::ImportRowResult::OUTCOME_INVALID) {
          invalid.push_back({result.line(), result.error()});
        }
      }
    }
    if (ctx.err_is_terminal()) {
      DrawProgress(ctx.err(), total, total);
      ctx.err() << "\n";
    }
  }

  std::sort(invalid.begin(), invalid.end(),
            [](const ImportLineError& a, const ImportLineError& b) { return a.line < b.line; });
  size_t created = 0, duplicates = 0, valid = 0;
  for (const v1::ImportRowResult& result : results) {
    switch (result.outcome()) {
      case v1::ImportRowResult::OUTCOME_CREATED:
        ++created;
        break;
      case v1::ImportRowResult::OUTCOME_DUPLICATE:
        ++duplicates;
        break;
      case v1::ImportRowResult::OUTCOME_VALID:
        ++valid;
        break;
      default:
        break;
    }
  }

  if (ctx.json()) {
    // Server results as they came, then the rows that never left the client, as results too.
    for (const v1::ImportRowResult& result : results) RETURN_IF_ERROR(ctx.PrintJson(result));
    for (const ImportLineError& error : parsed.errors) {
      v1::ImportRowResult result;
      result.set_line(error.line);
      result.set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
      result.set_error(error.message);
      RETURN_IF_ERROR(ctx.PrintJson(result));
    }
  } else {
    // The server's reasons, and the client's, which may quote the file.
    for (const ImportLineError& error : invalid) {
      ctx.out() << "line " << error.line << ": " << ForTerminal(error.message) << "\n";
    }
    if (dry_run) {
      ctx.out() << absl::StrFormat("dry run: %d valid, %d duplicates, %d invalid\n", valid,
                                   duplicates, invalid.size());
    } else {
      ctx.out() << absl::StrFormat("%d created, %d duplicates, %d invalid\n", created, duplicates,
                                   invalid.size());
    }
  }
  if (!invalid.empty()) ctx.set_exit_code(1);
  return absl::OkStatus();
}

}  // namespace registry::client
