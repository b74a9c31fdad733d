// Bulk import for the clerk: a file is checked first (a dry run that writes nothing but its audit
// event, listing every bad line), then its valid rows are imported in batches while a progress
// bar follows them. Also the job pages that follow long tasks (imports, verifications).
#include <algorithm>
#include <set>
#include <tuple>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/choices.h"
#include "client/console/html.h"
#include "client/console/pages.h"
#include "client/console/record_form.h"
#include "client/option_parser.h"
#include "client/record_fields.h"
#include "client/record_import.h"
#include "common/record_limits.h"
#include "httplib.h"

namespace registry::console {
namespace {

// Rows per ImportRecords call: each is one audited call, committed whole; small enough that the
// progress bar moves, large enough that a backlog of thousands takes few calls.
constexpr size_t kImportBatch = 100;
// A batch also ends early when its rows reach this many bytes: with the rows a dry run carries
// (below), a request stays well below the 8 MiB limit on a message of the channel, as
// registry-cli's do. 100 rows of up to 256 KiB each (kMaxImportRowBytes) would not: the whole
// check failed, RESOURCE_EXHAUSTED.
constexpr size_t kMaxBatchBytes = 4 << 20;
// What a dry run's request may hold with the rows it carries (DryRunCarry): the registry's limit
// on rows, and well below its 8 MiB limit on a message.
constexpr size_t kMaxImportRows = 1000;
constexpr size_t kMaxCarriedBytes = 3 << 20;

// A bad line as the page lists it: a problem the console found in it (worded in English, as
// registry-cli words it), or the registry's.
struct BadLine {
  uint64_t line = 0;
  std::string message;
  bool from_registry = false;
};

std::vector<BadLine> ConsoleFound(const std::vector<client::ImportLineError>& errors) {
  std::vector<BadLine> lines;
  for (const client::ImportLineError& error : errors) {
    lines.push_back({error.line, error.message, false});
  }
  return lines;
}

// A word as the file must hold it: lower-case ASCII letters and underscores ("profession").
bool IsPlainWord(absl::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) || c == '_';
  });
}

// What the import says of `value` in the cell of the record field at `path` (ApplyField, as
// client/record_import.cc reads a cell), "" when it takes it: the words of a rule, found from
// the code that says them.
std::string CellProblem(absl::string_view path, const std::string& value) {
  const client::RecordField* field = client::FindRecordField(path);
  if (field == nullptr) return "";
  v1::CreateRecordRequest request;
  std::vector<client::FieldProblem> problems;
  client::ApplyField(*field, {value}, &request, &problems);
  return problems.empty() ? "" : problems.front().what;
}

// The registry's words of a rule a row the console found bad was told in the file's words
// (AddRegistryProblems, RuleAsTyped): a ban's end, said with TYPE:none for a ban for life, is
// the registry's "empty (for life) or ..." again. Other rules come back as they are.
std::string RegistryRuleOf(absl::string_view column, absl::string_view rule) {
  for (const client::RecordField& field : client::RecordFields()) {
    if (client::ImportColumnName(field) != column) continue;
    for (const std::string& known : KnownRules()) {
      if (client::RuleAsTyped(field, known) == rule) return known;
    }
  }
  return std::string(rule);
}

// "item 2: " taken off the start of `rule`, as the page's language says it (with a space after
// it) in `*item`; `rule` untouched and `*item` empty without one.
void TakeItem(const PageContext& ctx, absl::string_view* rule, std::string* item) {
  absl::string_view rest = *rule;
  uint32_t n = 0;
  if (!absl::ConsumePrefix(&rest, "item ")) return;
  const size_t colon = rest.find(": ");
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, colon), &n)) return;
  *item = absl::StrCat(ctx.Tf("import.item", {{"n", absl::StrCat(n)}}), " ");
  *rule = rest.substr(colon + 2);
}

// A rule the console's own reading of the file states (client/record_import.cc: "not a real
// date", "not female or male", "item 2: not ..."), in the page's language: the record form's
// words for a date and a required field, the words a column takes, a number's range. "" when
// the catalogs do not have it, for the caller to show it as English.
std::string LocalRuleHtml(const PageContext& ctx, absl::string_view rule) {
  std::string item;
  if (absl::ConsumePrefix(&rule, "item ")) {
    const size_t colon = rule.find(": ");
    uint32_t n = 0;
    if (colon == absl::string_view::npos || !absl::SimpleAtoi(rule.substr(0, colon), &n)) {
      return "";
    }
    item = absl::StrCat(ctx.Tf("import.item", {{"n", absl::StrCat(n)}}), " ");
    rule.remove_prefix(colon + 2);
  }
  if (rule == "required") return absl::StrCat(item, ctx.T("rule.required"));
  if (rule == "not a real date" || rule == "not a date YYYY-MM-DD" || rule == client::kBefore1900) {
    return absl::StrCat(item, ctx.T("rule.real_date"));
  }
  // A ban's cell (client/record_fields.cc): "no end date: write TYPE:YYYY-MM-DD, or TYPE:none
  // for a ban for life", the ban's type in it as the file must write it; "end date: PROBLEM, or
  // none for life", PROBLEM a date's (DateProblem).
  if (absl::string_view type = rule; absl::ConsumePrefix(&type, "no end date: write ")) {
    type = type.substr(0, type.find(':'));
    if (!IsPlainWord(type) ||
        rule != absl::StrCat("no end date: write ", type, ":YYYY-MM-DD, or ", type,
                             ":none for a ban for life")) {
      return "";
    }
    return absl::StrCat(item, ctx.Tf("import.rule.ban_no_end",
                                     {{"end", absl::StrCat("<code>", type, ":YYYY-MM-DD</code>")},
                                      {"life", absl::StrCat("<code>", type, ":none</code>")}}));
  }
  if (absl::string_view date = rule; absl::ConsumePrefix(&date, "end date: ") &&
                                     absl::ConsumeSuffix(&date, ", or none for life")) {
    if (date != "not a real date" && date != "not a date YYYY-MM-DD" &&
        date != client::kBefore1900) {
      return "";
    }
    return absl::StrCat(item,
                        ctx.Tf("import.rule.ban_end_date", {{"none", "<code>none</code>"}}));
  }
  // An offence's cell that is no code, or holds none; a country's that is no code; a personal
  // number's characters (client/record_fields.cc, said as ApplyField says them).
  if (rule == CellProblem("conviction.offences", "x")) {
    return absl::StrCat(
        item, ctx.Tf("import.rule.offence_code",
                     {{"form", "<code>LAW:ARTICLE:PARAGRAPH</code>"},
                      {"example", "<code>06/L-074:230:1</code>"},
                      {"articles", absl::StrCat(kMaxArticle)},
                      {"paragraphs", absl::StrCat(kMaxParagraph)}}));
  }
  if (rule == client::kNoOffenceRule) {
    return absl::StrCat(item, ctx.Tf("import.rule.offence_none",
                                     {{"form", "<code>LAW:ARTICLE:PARAGRAPH</code>"}}));
  }
  for (const char* path : {"person.citizenships", "conviction.foreign_country"}) {
    const std::string said = CellProblem(path, "x");
    const size_t code = said.rfind(' ');
    if (rule == said && code != std::string::npos && said.size() == code + 3) {
      return absl::StrCat(item, ctx.Tf("import.rule.country_code",
                                       {{"code", absl::StrCat("<code>", said.substr(code + 1),
                                                              "</code>")}}));
    }
  }
  if (rule == CellProblem("person.personal_number", "1 2") ||
      rule == CellProblem("person.personal_number", "1\xc3\xab")) {
    return absl::StrCat(item, ctx.T("rule.personal_number_chars"));
  }
  uint32_t max = 0;
  if (absl::string_view range = rule; absl::ConsumePrefix(&range, "not a whole number 0..") &&
                                      absl::SimpleAtoi(range, &max)) {
    return absl::StrCat(item, ctx.Tf("import.rule.whole_number", {{"max", absl::StrCat(max)}}));
  }
  // "not imprisonment, suspended, fine, juvenile_measure or other": the words, which the file
  // must hold as they are, in any language.
  absl::string_view words = rule;
  if (!absl::ConsumePrefix(&words, "not ")) return "";
  const size_t last = words.rfind(" or ");
  if (last == absl::string_view::npos) return "";
  std::vector<absl::string_view> listed = absl::StrSplit(words.substr(0, last), ", ");
  listed.push_back(words.substr(last + 4));
  std::vector<std::string> shown;
  for (absl::string_view word : listed) {
    if (!IsPlainWord(word)) return "";
    shown.push_back(absl::StrCat("<code>", word, "</code>"));
  }
  return absl::StrCat(item,
                      ctx.Tf("import.rule.one_of", {{"words", absl::StrJoin(shown, ", ")}}));
}

// The problems with a row: the console's (named by the file's columns, as registry-cli words
// them) or the registry's, each named as registry-cli's import names it (a CSV row's by their
// columns, ImportProblemMessage); its rule in the page's language where the record form has it
// translated (or, of the console's, LocalRuleHtml does); what is not translated is marked as
// English, and only that. Two problems or more are a list, one to a line: joined into one line
// with "; ", a translated rule's full stop ran into the next ("….; last_known_address: …").
std::string ProblemHtml(const PageContext& ctx, client::ImportFormat format,
                        const BadLine& bad) {
  const auto english = [](absl::string_view text) {
    return absl::StrCat("<span lang=\"en\">", Text(text), "</span>");
  };
  std::vector<std::string> parts;
  for (const std::string& part : client::SplitServerProblems(bad.message)) {
    const std::string named =
        bad.from_registry ? client::ImportProblemMessage(format, part) : part;
    const std::string path = client::FieldOfMessage(part);
    const absl::string_view rest = absl::string_view(part).substr(path.size());
    absl::string_view rule = rest;
    if (absl::StartsWith(rule, " is required")) {
      rule = "required";
    } else if (!absl::ConsumePrefix(&rule, ": ")) {
      rule = "";
    }
    std::string translated;
    if (!path.empty() && !rule.empty()) {
      // A row the console found bad holds the registry's problems of its other cells too
      // (AddRegistryProblems), in the registry's words: those are translated as the registry's.
      if (!bad.from_registry) translated = LocalRuleHtml(ctx, rule);
      if (translated.empty()) {
        // The registry's problems of a row the console found bad are in the file's words
        // (AddRegistryProblems): "item 2: " before a rule of one item of a list, and a ban's end
        // said as typed. Each is translated as the registry's rule it is.
        std::string item;
        absl::string_view said = rule;
        if (!bad.from_registry) TakeItem(ctx, &said, &item);
        FieldError error;
        std::tie(error.key, error.values) =
            RuleKey(bad.from_registry ? std::string(said) : RegistryRuleOf(path, said));
        if (!error.key.empty()) translated = absl::StrCat(item, ErrorText(ctx, error));
        // The registry names the conviction as a whole ("conviction: its retention period has
        // ended ..."), which no column of the file is: named by its case number's, as the clerk
        // corrects it there (docs/console.md).
        if (path == "conviction" && IsConvictionRule(error.key)) {
          const std::string column =
              format == client::ImportFormat::kCsv ? "case_number" : "conviction.case_number";
          parts.push_back(absl::StrCat(Text(column), ": ", translated));
          continue;
        }
        // A ban's end the registry refuses: a CSV file has no "for life" box to tick, but an end
        // date or `none` after the ban's type (client/record_import.cc), as registry-cli says it.
        if (error.key == "rule.ban_end" && format == client::ImportFormat::kCsv) {
          const std::string named_x =
              client::ImportProblemMessage(format, absl::StrCat(path, ": x"));
          parts.push_back(absl::StrCat(
              Text(named_x.substr(0, named_x.size() - 1)), item,
              ctx.Tf("import.rule.ban_end", {{"none", "<code>none</code>"}})));
          continue;
        }
      }
    }
    if (translated.empty() || !absl::EndsWith(named, rest)) {
      parts.push_back(english(named));
      continue;
    }
    // The column (or path) as the file names it, then the rule as the record form says it.
    parts.push_back(absl::StrCat(Text(named.substr(0, named.size() - rest.size())), ": ",
                                 translated));
  }
  if (parts.size() == 1) return parts.front();
  std::string items;
  for (const std::string& part : parts) absl::StrAppend(&items, "<li>", part, "</li>");
  return absl::StrCat("<ul class=\"problems\">", items, "</ul>");
}

std::string JobPage(const PageContext& ctx, const std::string& id, Job& job) {
  return absl::StrCat(
      "<div class=\"job\" data-job=\"", Escape(id), "\"><label for=\"job-progress\">",
      ctx.T(job.kind == Job::Kind::kImport ? "job.import" : "job.verify"),
      "</label> <progress id=\"job-progress\" max=\"", std::max<uint64_t>(job.total, 1),
      "\" value=\"", job.done.load(), "\"></progress> <span id=\"job-count\" aria-live=\"polite\">",
      ctx.Tf("job.count", {{"done", absl::StrCat(job.done.load())},
                           {"total", absl::StrCat(job.total.load())}}),
      "</span><p><a href=\"/jobs/", Escape(id), "\">", ctx.T("job.refresh"), "</a></p></div>");
}

std::shared_ptr<Job> FindJob(PageContext& ctx, const std::string& id) {
  absl::MutexLock lock(&ctx.session().mu);
  const std::shared_ptr<Job>* job = ctx.session().jobs.Find(id, ctx.console().Now());
  return job == nullptr ? nullptr : *job;
}

void ShowJob(PageContext& ctx) {
  const std::string id = ctx.request().matches[1];
  std::shared_ptr<Job> job = FindJob(ctx, id);
  if (job == nullptr) return ctx.SendLocalError("job.unknown", 404);
  const std::string title = ctx.T(job->kind == Job::Kind::kImport ? "import.title" : "verify.title");
  if (!job->finished) return ctx.SendPage(title, JobPage(ctx, id, *job));
  ctx.SendPage(title, job->kind == Job::Kind::kImport ? ImportJobResult(ctx, *job)
                                                      : VerifyJobResult(ctx, *job));
}

// What the page's script polls: numbers only.
void JobState(PageContext& ctx) {
  std::shared_ptr<Job> job = FindJob(ctx, ctx.request().matches[1]);
  if (job == nullptr) {
    ctx.response().status = 404;
    ctx.response().set_content("{}", "application/json");
    return;
  }
  ctx.response().set_content(absl::StrFormat("{\"done\":%d,\"total\":%d,\"finished\":%s}",
                                             job->done.load(), job->total.load(),
                                             job->finished ? "true" : "false"),
                             "application/json");
}

std::string ImportForm(const PageContext& ctx) {
  return absl::StrCat(
      "<p>", ctx.T("import.intro"), "</p><form method=\"post\" action=\"/import\" "
      "enctype=\"multipart/form-data\">", ctx.CsrfInput(),
      "<div class=\"field\"><label for=\"file\">", ctx.T("import.file"),
      "</label><p class=\"hint\" id=\"file-hint\">", ctx.T("import.file.hint"),
      "</p><input type=\"file\" id=\"file\" name=\"file\" accept=\".csv,.jsonl,.ndjson\" "
      "aria-describedby=\"file-hint\" required></div><div class=\"actions\"><button "
      "class=\"primary\">", ctx.T("import.check"), "</button></div></form>");
}

void ImportPage(PageContext& ctx) { ctx.SendPage(ctx.T("import.title"), ImportForm(ctx)); }

std::string LineErrors(const PageContext& ctx, client::ImportFormat format,
                       std::vector<BadLine> invalid) {
  std::stable_sort(invalid.begin(), invalid.end(),
                   [](const auto& a, const auto& b) { return a.line < b.line; });
  std::string rows;
  for (const BadLine& error : invalid) {
    absl::StrAppend(&rows, "<tr><td class=\"nowrap\">", error.line, "</td><td>",
                    ProblemHtml(ctx, format, error), "</td></tr>");
  }
  if (rows.empty()) return "";
  return absl::StrCat("<div class=\"table-scroll\">",
                      "<table class=\"results\" id=\"bad-lines\"><caption>",
                      ctx.Tf("import.bad_lines", {{"n", absl::StrCat(invalid.size())}}),
                      "</caption><thead><tr><th scope=\"col\">", ctx.T("import.line"),
                      "</th><th scope=\"col\">", ctx.T("import.problem"),
                      "</th></tr></thead><tbody>", rows, "</tbody></table></div>");
}

// Sends `rows` (in OrderForImport's order: a person's later conviction goes before the earlier
// ones it keeps, whatever batch each falls in) in batches; counts each row done as its batch
// returns. Stops at a failed call. The results are by line, as the file reads.
absl::Status SendRows(Registry& registry, const std::vector<v1::ImportRow>& rows, bool dry_run,
                      std::vector<v1::ImportRowResult>* results, std::atomic<uint64_t>* done) {
  const absl::Cleanup by_line = [results] {
    std::stable_sort(results->begin(), results->end(),
                     [](const v1::ImportRowResult& a, const v1::ImportRowResult& b) {
                       return a.line() < b.line();
                     });
  };
  // A dry run's batches carry a person's earlier valid rows, as the import would have entered
  // them, so that the dry run's verdicts are the import's.
  client::DryRunCarry carry(kMaxImportRows, kMaxCarriedBytes);
  size_t end = 0;
  for (size_t start = 0; start < rows.size(); start = end) {
    v1::ImportRecordsRequest request;
    request.set_dry_run(dry_run);
    size_t bytes = 0;
    for (end = start; end < rows.size() && end - start < kImportBatch; ++end) {
      const size_t row_bytes = rows[end].ByteSizeLong();
      if (end > start && bytes + row_bytes > kMaxBatchBytes) break;
      bytes += row_bytes;
    }
    const std::set<uint64_t> carried =
        dry_run ? carry.Add(rows, start, end, &request) : std::set<uint64_t>();
    for (size_t i = start; i < end; ++i) *request.add_rows() = rows[i];
    absl::StatusOr<v1::ImportRecordsResponse> response = registry.ImportRecords(request);
    if (!response.ok()) return response.status();
    if (dry_run) carry.Note(rows, start, end, *response);
    for (const v1::ImportRowResult& result : response->results()) {
      // A carried row's result was counted with its own batch.
      if (carried.count(result.line()) == 0) results->push_back(result);
    }
    if (done != nullptr) *done = end;
  }
  return absl::OkStatus();
}

void Count(const std::vector<v1::ImportRowResult>& results, size_t* valid, size_t* created,
           size_t* duplicates, std::vector<BadLine>* invalid) {
  for (const v1::ImportRowResult& result : results) {
    switch (result.outcome()) {
      case v1::ImportRowResult::OUTCOME_VALID:
        ++*valid;
        break;
      case v1::ImportRowResult::OUTCOME_CREATED:
        ++*created;
        break;
      case v1::ImportRowResult::OUTCOME_DUPLICATE:
        ++*duplicates;
        break;
      default:
        invalid->push_back({result.line(), result.error(), true});
    }
  }
}

// What the console found wrong itself with a file (`key`: a type it does not read, a file it
// could not read): "Not possible" in the page's language, the reader's words (`detail`, if any)
// beside it marked as English. They name no cell of a row.
std::string FileProblemBox(const PageContext& ctx, const std::string& key,
                           const std::string& detail) {
  std::string box = ctx.LocalErrorBox(key);
  if (detail.empty()) return box;
  box.resize(box.size() - std::string("</div>").size());
  absl::StrAppend(&box, "<p>", ctx.T("error.details"), " <q lang=\"en\" id=\"file-problem\">",
                  Text(detail), "</q></p></div>");
  return box;
}

void DryRun(PageContext& ctx) {
  const httplib::MultipartFormData file = ctx.request().get_file_value("file");
  // A file the console refuses itself (the registry was not asked) is answered by a redirect to
  // a page that says so (CheckRefused), as the registry's refusal is: a page answering the POST
  // was sent again, file and all, by back and reload.
  FormAnswer answer;
  answer.form = "/import";
  answer.http_status = 400;
  absl::StatusOr<client::ImportFormat> format = client::ImportFormatFromPath(file.filename);
  if (!format.ok()) {
    answer.local_key = "import.bad_type";
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  absl::StatusOr<client::ParsedImport> parsed = client::ParseImport(*format, file.content);
  if (!parsed.ok()) {
    answer.local_key = "import.unreadable";
    answer.local_detail = std::string(parsed.status().message());
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  // Rows that cannot be sent (not UTF-8, too large) are listed by their line, as registry-cli
  // lists them, and the others are still checked: one such row failed the whole check.
  client::SetAsideUnsendableRows(*format, &*parsed);
  // The upload keeps this order for the import itself.
  client::OrderForImport(&parsed->rows);
  std::vector<v1::ImportRowResult> results;
  absl::Status sent = SendRows(ctx.registry(), parsed->rows, /*dry_run=*/true, &results, nullptr);
  // A refusal is answered by a redirect to a page that says it (KeepFormAnswer), as the check
  // is: a page answering the POST was sent again, file and all, by back and reload, and checked
  // again. Not a registry that was not reached: nothing was checked, and sending the form again
  // is what to do.
  if (!sent.ok() && !RegistryUnreachable(sent)) {
    answer.refused = sent;
    answer.http_status = FailedCallStatus(sent, 400);
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  if (!sent.ok()) {
    return ctx.SendPage(ctx.T("import.title"), absl::StrCat(ctx.ErrorBox(sent), ImportForm(ctx)),
                        FailedCallStatus(sent, 400));
  }
  // A row refused here for some of its cells is checked by the registry for the others (a dry
  // run, which stores nothing), as registry-cli's import checks it: every problem of the row is
  // named at once, so that the clerk mends it in one round. Without an answer the rows are said
  // with the problems found here alone.
  for (const v1::ImportRecordsRequest& check :
       client::ImportCheckRequests(parsed->errors, kImportBatch, kMaxBatchBytes)) {
    const absl::StatusOr<v1::ImportRecordsResponse> checked = ctx.registry().ImportRecords(check);
    if (!checked.ok()) break;
    client::AddRegistryProblems(*format, *checked, &parsed->errors);
  }
  auto upload = std::make_shared<Upload>();
  upload->file_name = file.filename;
  upload->format = *format;
  upload->parsed = *std::move(parsed);
  upload->checked = std::move(results);
  const std::string upload_id = RandomHex(16);
  {
    absl::MutexLock lock(&ctx.session().mu);
    ctx.session().uploads.Add(upload_id, upload, ctx.console().Now());
  }
  // Answered by a redirect to the check's page, which shows it from the session: a page
  // answering the POST was sent again, file and all, by a reload, and checked again.
  ctx.Redirect(absl::StrCat("/import/checks/", upload_id));
}

// A file's dry run, as its POST made it: what the registry said of its rows then (the page says
// when, never "now"), and the button that imports them. Shown from the session until the import
// starts or kKeptAnswerLife passes; the registry is not asked.
void CheckPage(PageContext& ctx) {
  const std::string upload_id = ctx.request().matches[1];
  std::shared_ptr<Upload> upload;
  absl::Time checked_at;
  {
    absl::MutexLock lock(&ctx.session().mu);
    if (const std::shared_ptr<Upload>* found =
            ctx.session().uploads.Find(upload_id, ctx.console().Now(), &checked_at)) {
      upload = *found;
    }
  }
  if (upload == nullptr) return ctx.SendLocalError("import.gone", 404);
  size_t valid = 0, created = 0, duplicates = 0;
  std::vector<BadLine> invalid = ConsoleFound(upload->parsed.errors);
  Count(upload->checked, &valid, &created, &duplicates, &invalid);
  std::string body = absl::StrCat(
      "<div class=\"notice\" role=\"status\" id=\"dry-run-summary\"><p>",
      ctx.Tf("import.dry_summary", {{"file", Text(upload->file_name)},
                                    {"valid", absl::StrCat(valid)},
                                    {"duplicates", absl::StrCat(duplicates)},
                                    {"invalid", absl::StrCat(invalid.size())}}),
      "</p><p id=\"read-at\">", ctx.Tf("import.checked_at", {{"time", ReadTime(checked_at)}}),
      "</p></div>", LineErrors(ctx, upload->format, invalid));
  if (valid > 0) {
    absl::StrAppend(&body, "<form method=\"post\" action=\"/import/run\">", ctx.CsrfInput(),
                    "<input type=\"hidden\" name=\"upload\" value=\"", upload_id, "\"><p>",
                    ctx.T("import.run.help"), "</p><button class=\"primary\">",
                    ctx.Tf("import.run", {{"n", absl::StrCat(valid)}}), "</button></form>");
  }
  absl::StrAppend(&body, "<h2>", ctx.T("import.another"), "</h2>", ImportForm(ctx));
  ctx.SendPage(ctx.T("import.dry_title"), body);
}

// A file refused, by the registry's dry run or by the console itself, said from the session
// above the import form; nothing is checked again.
void CheckRefused(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/import");
  if (!answer.has_value()) return ctx.SendLocalError("import.gone", 404);
  const std::string box = answer->local_key.empty()
                              ? ctx.ErrorBox(answer->refused)
                              : FileProblemBox(ctx, answer->local_key, answer->local_detail);
  ctx.SendPage(ctx.T("import.title"), absl::StrCat(box, ImportForm(ctx)), answer->http_status);
}

void RunImport(PageContext& ctx) {
  std::shared_ptr<Upload> upload;
  {
    absl::MutexLock lock(&ctx.session().mu);
    // One import per check.
    upload = ctx.session().uploads.Take(ctx.Param("upload"), ctx.console().Now()).value_or(nullptr);
  }
  if (upload == nullptr) return ctx.SendLocalError("import.gone", 404);
  auto job = std::make_shared<Job>(Job::Kind::kImport);
  job->total = upload->parsed.rows.size();
  job->format = upload->format;
  Registry* registry = &ctx.registry();
  StartJob(ctx, job, [registry, job, upload] {
    std::vector<v1::ImportRowResult> results;
    absl::Status status =
        SendRows(*registry, upload->parsed.rows, /*dry_run=*/false, &results, &job->done);
    absl::MutexLock lock(&job->mu);
    job->status = status;
    job->results = std::move(results);
    job->invalid = upload->parsed.errors;
    job->finished = true;
  });
}

}  // namespace

void StartJob(PageContext& ctx, std::shared_ptr<Job> job, std::function<void()> work) {
  const std::string id = RandomHex(16);
  {
    absl::MutexLock lock(&ctx.session().mu);
    ctx.session().jobs.Add(id, job, ctx.console().Now());
  }
  // Its outcome is kept kKeptAnswerLife from when it finished (KeptLifeStart).
  Console* console = &ctx.console();
  ctx.console().RunInBackground([console, job, work = std::move(work)] {
    work();
    absl::MutexLock lock(&job->mu);
    job->finished_at = console->Now();
  });
  ctx.Redirect(absl::StrCat("/jobs/", id));
}

std::string ImportJobResult(const PageContext& ctx, Job& job) {
  absl::MutexLock lock(&job.mu);
  size_t valid = 0, created = 0, duplicates = 0;
  std::vector<BadLine> invalid = ConsoleFound(job.invalid);
  Count(job.results, &valid, &created, &duplicates, &invalid);
  std::string body;
  if (!job.status.ok()) {
    absl::StrAppend(&body, ctx.ErrorBox(job.status), "<p>",
                    ctx.Tf("import.stopped", {{"n", absl::StrCat(job.results.size())}}), "</p>");
  }
  absl::StrAppend(&body, "<progress max=\"1\" value=\"1\" aria-label=\"", ctx.T("job.import"),
                  "\"></progress><div class=\"notice\" role=\"status\" id=\"import-summary\"><p>",
                  ctx.Tf("import.summary", {{"created", absl::StrCat(created)},
                                            {"duplicates", absl::StrCat(duplicates)},
                                            {"invalid", absl::StrCat(invalid.size())}}),
                  "</p></div>", LineErrors(ctx, job.format, invalid));
  return body;
}

void AddImportPages(Console&,
                    const std::function<void(std::string, std::string, Roles, PageHandler)>& add) {
  const Roles clerk = {v1::ROLE_CLERK};
  add("GET", "/import", clerk, ImportPage);
  add("POST", "/import", clerk, DryRun);
  add("POST", "/import/run", clerk, RunImport);
  // The pages a dry run redirects to.
  add("GET", "/import/checks/([0-9a-f]{32})", clerk, CheckPage);
  add("GET", "/import/refused/([0-9a-f]{32})", clerk, CheckRefused);
  // A job belongs to the session that started it; any role that can start one may follow it.
  add("GET", "/jobs/([0-9a-f]{32})", {}, ShowJob);
  add("GET", "/jobs/([0-9a-f]{32})\\.json", {}, JobState);
}

}  // namespace registry::console
