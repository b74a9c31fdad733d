// record import: parse the whole file, then send its valid rows in batches.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli.h"
#include "client/cli_output.pb.h"
#include "client/commands.h"
#include "client/files.h"
#include "client/record_fields.h"
#include "client/record_import.h"
#include "client/signals.h"
#include "client/terminal_text.h"
#include "client/tls_probe.h"
#include "common/status_macros.h"
#include "registry/v1/records.grpc.pb.h"

namespace registry::client {
namespace {

constexpr uint64_t kDefaultBatch = 500;
constexpr uint64_t kMaxBatch = 1000;
// A request stays well below the server's 8 MiB limit on a message: a batch ends early when its
// rows reach this many bytes.
constexpr size_t kMaxBatchBytes = 4 << 20;
// The rows of earlier batches a dry run's batch carries again (RunRecordImport) take at most
// this many bytes more, which keeps the request below that limit still.
constexpr size_t kMaxContextBytes = 3 << 20;
// Set by the first SIGINT or SIGTERM while an import runs (InterruptGuard).
volatile sig_atomic_t g_interrupted = 0;
// Whether stderr takes JSON lines only (--json): set before the handler is installed.
volatile sig_atomic_t g_json_stderr = 0;

void OnInterrupt(int) {
  g_interrupted = 1;
  // Written from the handler (nothing else is safe there): the note as CommandContext::Note
  // would write it.
  static const char kNote[] =
      "\nstopping after the batch in flight (interrupt again to quit at once)\n";
  static const char kJsonNote[] =
      "{\"note\":\"stopping after the batch in flight (interrupt again to quit at once)\"}\n";
  // Nothing to do if stderr is gone; the import stops all the same.
  [[maybe_unused]] const ssize_t written =
      g_json_stderr != 0 ? write(STDERR_FILENO, kJsonNote, sizeof(kJsonNote) - 1)
                         : write(STDERR_FILENO, kNote, sizeof(kNote) - 1);
}

// While it lives, the first interrupt (Ctrl-C) or SIGTERM lets the batch in flight finish, so
// that its rows' results are known and reported, and the import stops before the next batch.
// The handler goes back to the default at once (SA_RESETHAND): a second interrupt ends the
// program as usual. Signals whose handling was not the default (a program that runs the CLI
// as a library, a shell that ignores them) are left alone.
class InterruptGuard {
 public:
  explicit InterruptGuard(bool json_stderr) {
    g_interrupted = 0;
    g_json_stderr = json_stderr ? 1 : 0;
    for (int i = 0; i < 2; ++i) {
      installed_[i] =
          InstallIfDefault(kSignals[i], &OnInterrupt, SA_RESETHAND | SA_RESTART, &previous_[i]);
    }
  }
  ~InterruptGuard() {
    for (int i = 0; i < 2; ++i) {
      if (installed_[i]) sigaction(kSignals[i], &previous_[i], nullptr);
    }
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  bool interrupted() const { return g_interrupted != 0; }

 private:
  static constexpr int kSignals[2] = {SIGINT, SIGTERM};
  bool installed_[2] = {false, false};
  struct sigaction previous_[2] = {};
};

// What to do about the rows that were not sent: the same import again is safe.
constexpr char kResumeHint[] =
    "run the same import again to send them: rows already created come back as duplicates, "
    "never entered twice";

// The most runs of lines a report names (DescribeImportLines); the rest are counted.
constexpr size_t kMaxRunsSaid = 10;

// The lines of rows[from, to), ascending.
std::vector<uint64_t> LinesOf(const std::vector<v1::ImportRow>& rows, size_t from, size_t to) {
  std::vector<uint64_t> lines;
  lines.reserve(to - from);
  for (size_t i = from; i < to; ++i) lines.push_back(rows[i].line());
  std::sort(lines.begin(), lines.end());
  return lines;
}

// Whether every row of rows[0, n) is on an earlier line than every row after them: whether the
// rows sent first are the file's first rows, so that where the import stands is one line.
bool SentBeforeInFile(const std::vector<v1::ImportRow>& rows, size_t n) {
  if (n == 0 || n >= rows.size()) return true;
  uint64_t last_sent = 0;
  for (size_t i = 0; i < n; ++i) last_sent = std::max<uint64_t>(last_sent, rows[i].line());
  for (size_t i = n; i < rows.size(); ++i) {
    if (rows[i].line() < last_sent) return false;
  }
  return true;
}

// Whether `lines` (ascending, not empty) are rows that follow one another in `file_lines`.
bool IsOneRun(const std::vector<uint64_t>& file_lines, const std::vector<uint64_t>& lines) {
  const auto first = std::lower_bound(file_lines.begin(), file_lines.end(), lines.front());
  const auto last = std::lower_bound(file_lines.begin(), file_lines.end(), lines.back());
  return static_cast<size_t>(last - first) + 1 == lines.size();
}

// The width the progress is drawn for: that of the terminal standard error is, read at each
// draw (a window made narrower during a long import), and as it is (the client's text is laid out
// for no fewer than kMinColumns); else the width the client's text is laid out for.
size_t ProgressColumns(CommandContext& ctx) {
  winsize size{};
  if (&ctx.err() == &std::cerr && ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 &&
      size.ws_col > 0) {
    return size.ws_col;
  }
  return TextColumns();
}

// "\r[#########           ] 500/1200 rows" on a terminal's stderr, fitted to its width
// (ImportProgressLine).
void DrawProgress(CommandContext& ctx, size_t done, size_t total) {
  ctx.err() << "\r" << ImportProgressLine(done, total, ProgressColumns(ctx)) << std::flush;
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
  // A dry run's request holds the rows it carries besides its own (DryRunCarry): its batches
  // leave room for as many. What a batch checks does not depend on its size, only what it carries.
  if (dry_run) batch_size = std::min<uint64_t>(batch_size, kMaxBatch / 2);
  // A file that is not there, or a folder, is said as such, not as a name without .csv.
  RETURN_IF_ERROR(CheckInputFile(path, "import file"));
  ASSIGN_OR_RETURN(const ImportFormat format, ImportFormatFromPath(path));
  ASSIGN_OR_RETURN(const std::string text, ReadFileToString(path, "import file", kMaxImportFileBytes));
  // Parse everything first: a file whose structure is broken sends nothing.
  ASSIGN_OR_RETURN(ParsedImport parsed, ParseImport(format, text));
  // Rows that cannot be sent are named by their line, like any other broken row, and the others
  // still go.
  SetAsideUnsendableRows(format, &parsed);
  std::vector<v1::ImportRow> rows = std::move(parsed.rows);

  // The lines of the rows to send, ascending: what the reports below name them by.
  std::vector<uint64_t> file_lines;
  file_lines.reserve(rows.size());
  for (const v1::ImportRow& row : rows) file_lines.push_back(row.line());
  std::sort(file_lines.begin(), file_lines.end());
  // Sent latest final date first, whatever the batches (OrderForImport); reported by line.
  OrderForImport(&rows);

  // Errors found by the server, by line; those found here join them below, with the registry's
  // problems of their other fields.
  std::vector<ImportLineError> invalid;
  std::vector<v1::ImportRowResult> results;
  // A batch the server did not answer stops the import; what came before is still reported.
  absl::Status stopped;
  // An interrupt stops it too, after the batch in flight: the first row not sent.
  std::optional<size_t> interrupted_at;
  // Rows a dry run's batch should have carried but could not fit (DryRunCarry).
  size_t not_carried = 0;
  if (!rows.empty()) {
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
    auto stub = v1::RecordService::NewStub(channel);
    const InterruptGuard interrupt(ctx.json());
    // A progress bar is for a person's terminal, never in JSON output.
    const bool progress = ctx.err_is_terminal() && !ctx.json();
    const size_t total = rows.size();
    // A dry run's batches carry a person's earlier valid rows, as the import would have
    // entered them (DryRunCarry); within the request's limits.
    DryRunCarry carry(kMaxBatch, kMaxContextBytes);
    SameConvictionRows same_conviction;
    size_t end = 0;
    for (size_t start = 0; start < total; start = end) {
      if (interrupt.interrupted()) {
        interrupted_at = start;
        break;
      }
      if (progress) DrawProgress(ctx, start, total);
      size_t bytes = 0;
      for (end = start; end < total && end - start < batch_size; ++end) {
        const size_t row_bytes = rows[end].ByteSizeLong();
        if (end > start && bytes + row_bytes > kMaxBatchBytes) break;
        bytes += row_bytes;
      }
      v1::ImportRecordsRequest request;
      request.set_dry_run(dry_run);
      const std::set<uint64_t> context_lines =
          dry_run ? carry.Add(rows, start, end, &request, &not_carried) : std::set<uint64_t>();
      for (size_t i = start; i < end; ++i) *request.add_rows() = rows[i];
      absl::StatusOr<v1::ImportRecordsResponse> response =
          CallUnary<v1::ImportRecordsResponse>(
              ctx.settings(), [&](grpc::ClientContext* c, v1::ImportRecordsResponse* r) {
                return stub->ImportRecords(c, request, r);
              });
      if (!response.ok()) {
        // Why, said here (a server that stopped answering is explained as such), and what
        // became of the rows, which the explanation must not replace.
        absl::Status failed = response.status();
        if (start == 0 &&
            (absl::IsPermissionDenied(failed) || absl::IsUnauthenticated(failed))) {
          // The registry refuses this caller (a court, an employer, a certificate it does not
          // take): no row was looked at. The refusal alone is the answer; the file's own bad
          // lines and a summary of counts would read as if its rows had been checked.
          if (progress) ctx.err() << "\n";
          // A role that may not import is told so as every command tells it (which roles may,
          // and that nothing was read or changed), not in the API's words with a note after
          // them, which RunCli would no longer recognise as the role's refusal.
          const absl::Status role_refused = RoleRefusalOfCommand("record import", failed);
          if (role_refused.message() != failed.message()) return role_refused;
          return WithNote(failed, dry_run
                                      ? "the dry run was refused: no row of the file was checked"
                                      : "the import was refused: no row of the file was entered");
        }
        // UNAVAILABLE before the request went out (a connection refused, a registry stopped
        // between two batches): the batch never reached it, so nothing of it was entered.
        const bool never_sent = absl::IsUnavailable(failed) && !SentBeforeFailure(failed);
        // The registry's refusal of a call it could not record (its audit log cannot be
        // written): it answered, and nothing of the batch was entered.
        const bool refused_nothing_done = RefusedWithNothingDone(failed);
        // A server that went away mid-call cancels it: explained like one that does not answer.
        const bool unanswered = !never_sent && !refused_nothing_done &&
                                (absl::IsUnavailable(failed) || absl::IsCancelled(failed) ||
                                 absl::IsDeadlineExceeded(failed) || absl::IsUnknown(failed) ||
                                 absl::IsInternal(failed) || absl::IsAborted(failed));
        if (unanswered && (SentBeforeFailure(failed) || CancelledByTheServer(failed))) {
          // The cause alone: the advice a single call gets ("check before trying again") would
          // stand beside the import's own, which holds for every row (kResumeHint).
          failed = absl::Status(failed.code(), HowTheCallEnded(ctx.settings(), failed));
        } else if (absl::IsUnavailable(failed) || absl::IsCancelled(failed)) {
          failed = ExplainUnavailable(ctx.settings(), failed);
        }
        // As a single call's: which server, how long, what to try (gRPC says only "Deadline
        // Exceeded").
        if (absl::IsDeadlineExceeded(failed)) failed = ExplainDeadlineExceeded(ctx.settings());
        // Rows sent in the file's order (all of one final date, or a file latest first) are
        // said as "before" and "after" a line; others by the lines themselves.
        const bool in_file_order = SentBeforeInFile(rows, start) && SentBeforeInFile(rows, end);
        const std::string before =
            start == 0 ? std::string("no row was sent before it")
            : in_file_order
                ? (start == 1
                       ? std::string("the row before it was sent and its result, above, is final")
                       : absl::StrCat("the ", start, " rows before it were sent and their "
                                      "results, above, are final"))
                : absl::StrCat(start, start == 1 ? " row was" : " rows were",
                               " sent before it (rows go latest final date first) and ",
                               start == 1 ? "its result, above, is" : "their results, above, are",
                               " final");
        const std::vector<uint64_t> batch_lines = LinesOf(rows, start, end);
        const std::string batch =
            batch_lines.size() == 1
                ? absl::StrCat("the batch of line ", batch_lines.front())
                : absl::StrCat("the batch of lines ",
                               IsOneRun(file_lines, batch_lines)
                                   ? absl::StrCat(batch_lines.front(), "..", batch_lines.back())
                                   : DescribeImportLines(file_lines, batch_lines, kMaxRunsSaid));
        // A refusal enters nothing; a call that got no answer may have been entered or not. The
        // same import again helps only where the next try can go otherwise: not for a caller the
        // registry refuses, and a dry run enters nothing anyway.
        const bool again_helps = !dry_run && !absl::IsPermissionDenied(failed) &&
                                 !absl::IsUnauthenticated(failed);
        const std::string rest =
            again_helps ? absl::StrCat(": ", kResumeHint) : std::string(dry_run ? " (a dry run)" : "");
        // Only rows there are: the file's refused lines were never to be sent.
        const std::string after =
            end == total    ? std::string("no row was left to send after it")
            : in_file_order ? std::string("the lines after it were not sent")
                : absl::StrCat("lines ",
                               DescribeImportLines(file_lines, LinesOf(rows, end, total),
                                                   kMaxRunsSaid),
                               " were not sent");
        const std::vector<uint64_t> not_sent = LinesOf(rows, start, total);
        const std::string not_done =
            SentBeforeInFile(rows, start)
                ? absl::StrCat("lines from ", not_sent.front(), " on")
                : absl::StrCat("lines ", DescribeImportLines(file_lines, not_sent,
                                                             kMaxRunsSaid));
        const std::string what_became =
            never_sent ? absl::StrCat(batch, " was not sent, so nothing of it was ",
                                      dry_run ? "checked" : "entered", "; ", before, "; ", after,
                                      rest)
            : refused_nothing_done
                ? absl::StrCat(batch, " was refused, so nothing of it was ",
                               dry_run ? "checked" : "entered", "; ", before, "; ", after, rest)
            : unanswered
                ? absl::StrCat(batch, " got no answer, so whether it was entered is not known; ",
                               before, "; ", after, rest)
                : absl::StrCat(batch, " was refused; ", before, "; ", not_done, " were not ",
                               dry_run ? "checked" : "entered", rest);
        // One problem and its note, each wrapped as the client's own lines are (the cause was
        // the server's one long line).
        stopped = HasOwnLines(failed)
                      ? WithNote(failed, what_became)
                      : ProblemsError(failed.code(), {std::string(failed.message())}, what_became);
        break;
      }
      if (dry_run) carry.Note(rows, start, end, *response);
      for (v1::ImportRowResult result : response->results()) {
        // A row carried again for a dry run was counted with its own batch.
        if (context_lines.count(result.line()) > 0) continue;
        // A row of an earlier batch for the same conviction: refused as in one batch.
        same_conviction.Check(&result);
        results.push_back(result);
        if (result.outcome() == v1::ImportRowResult::OUTCOME_INVALID) {
          // A CSV row's problems name its columns, as the problems found here do; a row that
          // conflicts with a record the registry holds names it, for the amendment.
          std::string message = ImportProblemMessage(format, result.error());
          if (!result.record_id().empty()) {
            absl::StrAppend(&message, " (record ", result.record_id(), ")");
          }
          invalid.push_back({result.line(), std::move(message)});
        }
      }
    }
    if (progress) {
      if (stopped.ok() && !interrupted_at.has_value()) DrawProgress(ctx, total, total);
      ctx.err() << "\n";
    }
  }
  // A row refused here for some of its cells is not imported, but the registry checks the rest
  // of it (a dry run, which stores nothing): its report names every problem of the row at once,
  // the court or offence the tables lack and the registry's rules among them, so that a clerk
  // mends a large file in one round. After the import, so that it is checked as the corrected
  // row will be, with the rows entered before it. Not when the import stopped: the registry
  // refused the caller or did not answer, and the bad lines are said as found here.
  if (stopped.ok() && !interrupted_at.has_value()) {
    const std::vector<v1::ImportRecordsRequest> checks =
        ImportCheckRequests(parsed.errors, kMaxBatch, kMaxBatchBytes);
    std::unique_ptr<v1::RecordService::Stub> stub;
    if (!checks.empty()) {
      if (absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ctx.Channel(); channel.ok()) {
        stub = v1::RecordService::NewStub(*channel);
      }
    }
    for (const v1::ImportRecordsRequest& check : checks) {
      if (stub == nullptr) break;
      const absl::StatusOr<v1::ImportRecordsResponse> checked =
          CallUnary<v1::ImportRecordsResponse>(
              ctx.settings(), [&](grpc::ClientContext* c, v1::ImportRecordsResponse* r) {
                return stub->ImportRecords(c, check, r);
              });
      // Without an answer the rows are said with the problems found here alone.
      if (!checked.ok()) break;
      AddRegistryProblems(format, *checked, &parsed.errors);
    }
  }
  invalid.insert(invalid.begin(), parsed.errors.begin(), parsed.errors.end());

  // Reported by line, as the file reads, not in the order the rows were sent.
  std::sort(invalid.begin(), invalid.end(),
            [](const ImportLineError& a, const ImportLineError& b) { return a.line < b.line; });
  std::stable_sort(results.begin(), results.end(),
                   [](const v1::ImportRowResult& a, const v1::ImportRowResult& b) {
                     return a.line() < b.line();
                   });
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
    // Every row's result by line: the server's, and the rows that never left the client, as
    // results too.
    std::vector<v1::ImportRowResult> all = results;
    for (const ImportLineError& error : parsed.errors) {
      v1::ImportRowResult& result = all.emplace_back();
      result.set_line(error.line);
      result.set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
      result.set_error(error.message);
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const v1::ImportRowResult& a, const v1::ImportRowResult& b) {
                       return a.line() < b.line();
                     });
    for (const v1::ImportRowResult& result : all) RETURN_IF_ERROR(ctx.PrintJson(result));
    // The counts, and that nothing was entered by a dry run: a script reading the lines alone
    // could not tell "valid" from entered.
    ImportSummary summary;
    summary.set_dry_run(dry_run);
    summary.set_created(created);
    summary.set_valid(valid);
    summary.set_duplicates(duplicates);
    summary.set_invalid(invalid.size());
    RETURN_IF_ERROR(ctx.PrintJson(summary));
  } else {
    // The server's reasons and the client's, which may quote the file, and which lines the
    // registry already holds, as they are, and as which record (a row that differs from its
    // record is refused, naming the fields: a corrected file imported again changes nothing, and
    // a record is corrected with record amend): one report, by line, as the file reads.
    std::vector<std::pair<uint64_t, std::string>> report;
    report.reserve(invalid.size() + duplicates);
    for (const ImportLineError& error : invalid) {
      report.emplace_back(error.line, ForTerminal(error.message));
    }
    for (const v1::ImportRowResult& result : results) {
      if (result.outcome() != v1::ImportRowResult::OUTCOME_DUPLICATE) continue;
      report.emplace_back(
          result.line(),
          absl::StrCat("already in the registry",
                       result.record_id().empty()
                           ? std::string()
                           : absl::StrCat(" as record ", ForTerminal(result.record_id())),
                       "; not changed (record amend corrects it)"));
    }
    std::stable_sort(report.begin(), report.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [line, text] : report) ctx.out() << "line " << line << ": " << text << "\n";
    const char* const duplicate_word = duplicates == 1 ? "duplicate" : "duplicates";
    if (dry_run) {
      ctx.out() << absl::StrFormat("dry run: %d valid, %d %s, %d invalid\n", valid, duplicates,
                                   duplicate_word, invalid.size());
    } else {
      ctx.out() << absl::StrFormat("%d created, %d %s, %d invalid\n", created, duplicates,
                                   duplicate_word, invalid.size());
    }
  }
  if (!invalid.empty()) ctx.set_exit_code(1);
  if (not_carried > 0) {
    const std::string what = absl::StrCat(
        "the dry run could not carry ", not_carried,
        not_carried == 1 ? " row" : " rows",
        " of earlier batches with the rows of the same people (a request's limit): a person's "
        "earlier conviction may be shown as refused that the import itself enters; a smaller "
        "--batch carries more");
    ctx.Note(what);
  }
  if (interrupted_at.has_value() && stopped.ok()) {
    const size_t sent = *interrupted_at;
    const std::vector<uint64_t> not_sent = LinesOf(rows, sent, rows.size());
    // Rows sent in the file's order stopped at a line; others, at a final date, which is not
    // said (it is a person's): the lines not sent are.
    const std::string what =
        SentBeforeInFile(rows, sent)
            ? absl::StrCat("interrupted: the rows before line ", not_sent.front(),
                           " were sent and their results, above, are final; lines from ",
                           not_sent.front(), " on were not sent: ", kResumeHint)
            : absl::StrCat("interrupted: ", sent, sent == 1 ? " row was" : " rows were",
                           " sent (rows go latest final date first) and ",
                           sent == 1 ? "its result, above, is" : "their results, above, are",
                           " final; lines ",
                           DescribeImportLines(file_lines, not_sent, kMaxRunsSaid),
                           " were not sent: ", kResumeHint);
    if (ctx.json()) {
      ctx.Note(what);
    } else {
      // Wrapped as an error is: whole on its line in a file or a pipe.
      ctx.err() << ErrorStreamLines(what, 0) << "\n";
    }
    ctx.set_exit_code(kExitInterrupted);
  }
  return stopped;
}

}  // namespace registry::client
