// The security officer's pages: the registry's backups (list, make one now), the whole-data check
// and the rotation of the key-encryption key. None of them shows or touches record contents: the
// registry answers with counts, ids, dates and the ids of what is inconsistent.
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/console/html.h"
#include "client/console/pages.h"
#include "httplib.h"

namespace registry::console {
namespace {

// What the officer types to rotate the key: the same word in every language, so that a switch of
// language between the form and the button does not change what counts.
constexpr char kRotateWord[] = "ROTATE";

std::string Notice(const std::string& text) {
  return absl::StrCat("<div class=\"notice\" role=\"status\" id=\"admin-done\"><p>", text,
                      "</p></div>");
}

void Overview(PageContext& ctx) {
  std::string body;
  // A backup this session made, as its redirect names it (numbers only: nothing typed comes back
  // here). Only at the address the backup was answered with: one typed or made up elsewhere
  // ("/admin?backup=999") names a backup never made.
  const bool made_here = ctx.AnswersChangeOfThisSession();
  const std::string backup = ctx.Param("backup");
  if (made_here && !backup.empty() && backup.size() <= 10 &&
      backup.find_first_not_of("0123456789") == std::string::npos) {
    absl::StrAppend(&body, Notice(ctx.Tf("admin.backup.made", {{"id", backup}})));
  }
  const std::string pruned = ctx.Param("pruned");
  if (made_here && !pruned.empty() && pruned.size() <= 200 &&
      pruned.find_first_not_of("0123456789,") == std::string::npos) {
    absl::StrAppend(&body, "<p>", ctx.Tf("admin.backup.pruned", {{"ids", Escape(pruned)}}),
                    "</p>");
  }
  absl::StrAppend(&body, "<h2 id=\"backups-title\">", ctx.T("admin.backups"), "</h2>");
  absl::StatusOr<v1::ListBackupsResponse> backups = ctx.registry().ListBackups();
  // The rest of the page is forms; a registry that cannot be reached makes it 503 all the same.
  int status = 200;
  if (!backups.ok()) {
    status = FailedCallStatus(backups.status(), 200);
    absl::StrAppend(&body, ctx.ErrorBox(backups.status()));
  } else if (backups->backups().empty()) {
    absl::StrAppend(&body, "<p id=\"backups\">", ctx.T("admin.backups.none"), "</p>");
  } else {
    std::string rows;
    for (const v1::BackupInfo& info : backups->backups()) {
      // A damaged backup's row says so, with why, where its date would be. Each backup is
      // verified by its own button (a restore into a scratch folder: docs/operations.md).
      absl::StrAppend(&rows, "<tr><td class=\"nowrap\">", info.backup_id(), "</td><td>",
                      info.damaged().empty() ? Text(info.created_at())
                                             : Text(absl::StrCat("DAMAGED: ", info.damaged())),
                      "</td><td>", info.damaged().empty() ? absl::StrCat(info.size_bytes()) : "",
                      "</td><td><form method=\"post\" action=\"/admin/backups/",
                      info.backup_id(), "/verify\">", ctx.CsrfInput(),
                      "<button id=\"verify-backup-", info.backup_id(), "\">",
                      ctx.T("admin.backup_check.button"), "</button></form></td></tr>");
    }
    absl::StrAppend(&body, "<div class=\"table-scroll\">"
                           "<table class=\"results\" id=\"backups\"><caption>",
                    ctx.T("admin.backups.caption"), "</caption><thead><tr><th scope=\"col\">",
                    ctx.T("admin.backups.id"), "</th><th scope=\"col\">",
                    ctx.T("admin.backups.created"), "</th><th scope=\"col\">",
                    ctx.T("admin.backups.bytes"), "</th><th scope=\"col\">",
                    ctx.T("admin.backup_check.column"), "</th></tr></thead><tbody>", rows,
                    "</tbody></table></div>");
  }
  absl::StrAppend(&body, "<form method=\"post\" action=\"/admin/backup\">", ctx.CsrfInput(), "<p>",
                  ctx.T("admin.backup.help"), "</p><button class=\"primary\" id=\"backup-button\">",
                  ctx.T("admin.backup.button"), "</button></form>");
  absl::StrAppend(&body, "<h2>", ctx.T("admin.check"), "</h2><form method=\"post\" "
                  "action=\"/admin/verify-data\">", ctx.CsrfInput(), "<p>",
                  ctx.T("admin.check.help"), "</p><button id=\"check-button\">",
                  ctx.T("admin.check.button"), "</button></form>");
  absl::StrAppend(&body, "<h2>", ctx.T("admin.rotate"), "</h2><p>", ctx.T("admin.rotate.help"),
                  "</p><p><a href=\"/admin/rotate-keys\">", ctx.T("admin.rotate.open"),
                  "</a></p>");
  ctx.SendPage(ctx.T("admin.title"), body, status);
}

// A backup or a data check the registry refused (`form`: the POST's address) is answered by a
// redirect to a page that says it (KeepFormAnswer), as a refused rotation is: a page answering
// the POST was sent again by back and reload, one more audited backup or whole-data check in the
// officer's name each time. A registry that was not reached refused nothing: its page is the
// POST's answer, as before (the officer sends it again from the overview).
void KeepRefusal(PageContext& ctx, const std::string& form, const absl::Status& refused) {
  FormAnswer answer;
  answer.form = form;
  answer.refused = refused;
  answer.http_status = HttpStatusOf(refused);
  KeepFormAnswer(ctx, std::move(answer), "/refused/");
}

// A refused backup or data check, said from the session with its button again; nothing is sent.
void SendRefusedAction(PageContext& ctx, const std::string& form, const std::string& title_key,
                       const std::string& help_key, const std::string& button_key,
                       const std::string& button_id) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, form);
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  ctx.SendPage(ctx.T(title_key),
               absl::StrCat(ctx.ErrorBox(answer->refused), "<form method=\"post\" action=\"",
                            form, "\">", ctx.CsrfInput(), "<p>", ctx.T(help_key),
                            "</p><div class=\"actions\"><button id=\"", button_id, "\">",
                            ctx.T(button_key), "</button> <a href=\"/admin\">",
                            ctx.T("admin.back"), "</a></div></form>"),
               answer->http_status);
}

void Backup(PageContext& ctx) {
  absl::StatusOr<v1::BackupInfo> made = ctx.registry().CreateBackup();
  if (!made.ok() && !RegistryUnreachable(made.status())) {
    return KeepRefusal(ctx, "/admin/backup", made.status());
  }
  if (!made.ok()) return ctx.SendError(made.status());
  ctx.Redirect(absl::StrCat("/admin?backup=", made->backup_id(),
                            made->pruned_backup_ids().empty()
                                ? ""
                                : absl::StrCat("&pruned=",
                                               absl::StrJoin(made->pruned_backup_ids(), ","))));
}

// A check's answer (a data check's, a backup's verification), `checked`, from the POST at
// `form`: a refusal is kept and redirected to (KeepRefusal); a registry not reached is said on
// this POST's page. An answer is not this POST's page but one the browser is sent to
// (POST-redirect-GET), as after a key rotation: reloading it, or going back to it, does not run
// the long check again. Its address, `shown_at` and an id of the console's only, names the
// answer, which waits in the session's `kept` until that page has shown it.
template <typename Answer>
void KeepForOneShowing(PageContext& ctx, const std::string& form, absl::StatusOr<Answer> checked,
                       Kept<Answer> Session::*kept, const std::string& shown_at) {
  if (!checked.ok() && !RegistryUnreachable(checked.status())) {
    return KeepRefusal(ctx, form, checked.status());
  }
  if (!checked.ok()) return ctx.SendError(checked.status());
  const std::string id = RandomHex(16);
  {
    absl::MutexLock lock(&ctx.session().mu);
    (ctx.session().*kept).Add(id, *std::move(checked), ctx.console().Now());
  }
  ctx.Redirect(absl::StrCat(shown_at, id));
}

// The answer kept in the session's `kept` under the id the page's address names, if it is there:
// the session forgets it as it is shown.
template <typename Answer>
std::optional<Answer> TakeKept(PageContext& ctx, Kept<Answer> Session::*kept) {
  absl::MutexLock lock(&ctx.session().mu);
  return (ctx.session().*kept).Take(std::string(ctx.request().matches[1]), ctx.console().Now());
}

// The page of a kept answer that has been shown already (410): it says so, and asks the registry
// nothing.
void SendShownAlready(PageContext& ctx, const std::string& title_key,
                      const std::string& shown_key) {
  ctx.SendPage(ctx.T(title_key),
               absl::StrCat("<div class=\"notice\" role=\"status\" id=\"check-shown\"><p>",
                            ctx.T(shown_key), "</p></div><p><a href=\"/admin\">",
                            ctx.T("admin.back"), "</a></p>"),
               410);
}

// The list of a check's `problems`, under its heading.
std::string ProblemList(PageContext& ctx,
                        const google::protobuf::RepeatedPtrField<std::string>& problems) {
  std::string items;
  for (const std::string& problem : problems) {
    absl::StrAppend(&items, "<li><code>", Text(problem), "</code></li>");
  }
  return absl::StrCat("<h2>", ctx.T("admin.check.list"), "</h2><ul id=\"problems\">", items,
                      "</ul>");
}

// A problem a backup's verification found (server/backup_check.cc), in the page's language where
// its words are fixed, its counts and numbers as values; what follows a fixed lead-in ("restore
// failed: ...") is the registry's own finding, in English as it writes it.
std::string BackupProblemHtml(PageContext& ctx, absl::string_view problem) {
  const auto english = [](absl::string_view text) {
    return absl::StrCat("<code lang=\"en\">", Text(text), "</code>");
  };
  uint64_t n = 0, m = 0;
  absl::string_view rest = problem;
  if (absl::ConsumePrefix(&rest, "audit log: event ") && absl::ConsumeSuffix(&rest, " missing") &&
      absl::SimpleAtoi(rest, &n)) {
    return ctx.Tf("admin.backup_problem.missing", {{"n", absl::StrCat(n)}});
  }
  rest = problem;
  if (absl::ConsumePrefix(&rest, "audit log: events ") &&
      absl::ConsumeSuffix(&rest, " do not hash to the stored root")) {
    const std::vector<absl::string_view> range = absl::StrSplit(rest, "..");
    if (range.size() == 2 && absl::SimpleAtoi(range[0], &n) && absl::SimpleAtoi(range[1], &m)) {
      return ctx.Tf("admin.backup_problem.root",
                    {{"from", absl::StrCat(n)}, {"to", absl::StrCat(m)}});
    }
  }
  rest = problem;
  if (absl::ConsumePrefix(&rest, "audit log: the backup has ")) {
    const size_t more = rest.find(", more than the live log's ");
    absl::string_view count = rest.substr(0, rest.find(' '));
    if (more != absl::string_view::npos && absl::SimpleAtoi(count, &n) &&
        absl::SimpleAtoi(rest.substr(more + 27), &m)) {
      return ctx.Tf("admin.backup_problem.longer",
                    {{"n", absl::StrCat(n)}, {"live", absl::StrCat(m)}});
    }
  }
  rest = problem;
  if (absl::ConsumePrefix(&rest, "audit log: the backup's tree of ") &&
      absl::ConsumeSuffix(&rest, " differs from the live log's (a fork, not a prefix)") &&
      (absl::ConsumeSuffix(&rest, " events") || absl::ConsumeSuffix(&rest, " event")) &&
      absl::SimpleAtoi(rest, &n)) {
    return ctx.Tf("admin.backup_problem.fork", {{"n", absl::StrCat(n)}});
  }
  static constexpr std::pair<absl::string_view, absl::string_view> kLeads[] = {
      {"restore failed: ", "admin.backup_problem.restore"},
      {"the restored copy does not open: ", "admin.backup_problem.open"},
      {"a table file of the restored copy is damaged: ", "admin.backup_problem.table"},
      {"erasure ledger: ", "admin.backup_problem.ledger"},
      {"data check: ", "admin.backup_problem.data"}};
  for (const auto& [lead, key] : kLeads) {
    rest = problem;
    if (absl::ConsumePrefix(&rest, lead)) return absl::StrCat(ctx.T(key), " ", english(rest));
  }
  return english(problem);
}

void CheckData(PageContext& ctx) {
  KeepForOneShowing(ctx, "/admin/verify-data", ctx.registry().VerifyData(),
                    &Session::data_checks, "/admin/checks/");
}

// A data check's result, shown once: the session forgets it as it is shown. Opened again (a
// reload, the back button), the page says so and asks the registry nothing; the check is run
// again only from the overview's button.
void CheckResult(PageContext& ctx) {
  const std::optional<v1::VerifyDataResponse> checked = TakeKept(ctx, &Session::data_checks);
  // Said to have been shown only when this session's check was answered with this address: any
  // other id names no check at all.
  if (!checked.has_value() && !ctx.AnswersChangeOfThisSession()) {
    return ctx.SendLocalError("admin.check.unknown", 404);
  }
  if (!checked.has_value()) return SendShownAlready(ctx, "admin.check.title", "admin.check.shown");
  const bool consistent = checked->problem_count() == 0;
  std::string body = absl::StrCat(
      "<div class=\"result ", consistent ? "result-clear" : "result-not_clear",
      "\" role=\"status\" id=\"check-result\"><p class=\"code\">",
      consistent ? ctx.T("admin.check.consistent")
                 : ctx.Tf("admin.check.problems", {{"n", absl::StrCat(checked->problem_count())}}),
      "</p></div><div class=\"table-scroll\"><table class=\"record\"><caption>",
      ctx.T("admin.check.caption"), "</caption>",
      "<tr><th scope=\"row\">", ctx.T("admin.check.records"), "</th><td>", checked->records(),
      "</td></tr><tr><th scope=\"row\">", ctx.T("admin.check.versions"), "</th><td>",
      checked->versions(), "</td></tr><tr><th scope=\"row\">", ctx.T("admin.check.index_rows"),
      "</th><td>", checked->index_rows(), "</td></tr><tr><th scope=\"row\">",
      ctx.T("admin.check.vetting_checks"), "</th><td>", checked->vetting_checks(),
      "</td></tr><tr><th scope=\"row\">", ctx.T("admin.check.audit_events"), "</th><td>",
      checked->audit_events(), "</td></tr></table></div>");
  if (!consistent) absl::StrAppend(&body, ProblemList(ctx, checked->problems()));
  absl::StrAppend(&body, "<p><a href=\"/admin\">", ctx.T("admin.back"), "</a></p>");
  // This page is shown once, so the language switch does not lead back to it: to the overview.
  ctx.set_language_back("/admin");
  ctx.SendPage(ctx.T("admin.check.title"), body);
}

// The backup a verification's address names ("/admin/backups/7/verify": 7); 0 for none.
uint32_t BackupIdOf(const PageContext& ctx) {
  uint32_t id = 0;
  if (!absl::SimpleAtoi(std::string(ctx.request().matches[1]), &id)) return 0;
  return id;
}

// A backup verified (VerifyBackup: restored into a scratch folder of the registry's and checked,
// audited by the registry) is answered as a data check is: by a redirect to a page of the
// session's that shows the result once, so that a reload restores nothing again; a refusal by a
// redirect to a page that says it (KeepRefusal).
void VerifyOneBackup(PageContext& ctx) {
  const uint32_t id = BackupIdOf(ctx);
  if (id == 0) return ctx.SendLocalError("admin.backup_check.unknown", 404);
  KeepForOneShowing(ctx, absl::StrCat("/admin/backups/", id, "/verify"),
                    ctx.registry().VerifyBackup(id), &Session::backup_checks,
                    "/admin/backup-checks/");
}

// A backup's verification, shown once, as a data check's result is (CheckResult).
void BackupCheckResult(PageContext& ctx) {
  const std::optional<v1::VerifyBackupResponse> checked = TakeKept(ctx, &Session::backup_checks);
  if (!checked.has_value() && !ctx.AnswersChangeOfThisSession()) {
    return ctx.SendLocalError("admin.backup_check.unknown", 404);
  }
  ctx.set_language_back("/admin");
  if (!checked.has_value()) {
    return SendShownAlready(ctx, "admin.backup_check.title", "admin.backup_check.shown");
  }
  const auto row = [&](const char* key, const std::string& value) {
    return absl::StrCat("<tr><th scope=\"row\">", ctx.T(key), "</th><td>", value, "</td></tr>");
  };
  const auto yes = [&](bool passed) { return ctx.T(passed ? "admin.yes" : "admin.no"); };
  std::string rows = row("admin.backup_check.files", yes(checked->files_intact()));
  if (checked->files_intact()) {
    absl::StrAppend(
        &rows,
        row("admin.backup_check.audit_log",
            absl::StrCat(yes(checked->audit_log_verified()), " (",
                         ctx.Tf("admin.backup_check.events",
                                {{"n", absl::StrCat(checked->audit_events())}}),
                         ")")),
        row("admin.backup_check.live_log",
            absl::StrCat(yes(checked->consistent_with_live_log()), " (",
                         ctx.Tf("admin.backup_check.events",
                                {{"n", absl::StrCat(checked->live_audit_events())}}),
                         ")")),
        row("admin.check.records", absl::StrCat(checked->records())),
        row("admin.check.versions", absl::StrCat(checked->versions())),
        row("admin.check.index_rows", absl::StrCat(checked->index_rows())),
        row("admin.backup_check.erasures", absl::StrCat(checked->erasures_reapplied())));
  }
  const std::string id = absl::StrCat(checked->backup_id());
  std::string body = absl::StrCat(
      "<div class=\"result ", checked->ok() ? "result-clear" : "result-not_clear",
      "\" role=\"status\" id=\"backup-check-result\"><p class=\"code\">",
      checked->ok() ? ctx.Tf("admin.backup_check.sound", {{"id", id}})
                    : ctx.Tf("admin.backup_check.failed",
                             {{"id", id}, {"n", absl::StrCat(checked->problem_count())}}),
      "</p></div><div class=\"table-scroll\"><table class=\"record\"><caption>",
      ctx.T("admin.check.caption"), "</caption>", rows, "</table></div>");
  if (checked->problems_size() > 0) {
    std::string items;
    for (const std::string& problem : checked->problems()) {
      absl::StrAppend(&items, "<li>", BackupProblemHtml(ctx, problem), "</li>");
    }
    absl::StrAppend(&body, "<h2>", ctx.T("admin.check.list"), "</h2><ul id=\"problems\">",
                    items, "</ul>");
  }
  absl::StrAppend(&body, "<p><a href=\"/admin\">", ctx.T("admin.back"), "</a></p>");
  ctx.SendPage(ctx.T("admin.backup_check.title"), body);
}

void SendRotateForm(PageContext& ctx, const std::string& error, const std::string& box,
                    int status) {
  Input confirm;
  confirm.name = "confirm";
  confirm.label = ctx.Tf("admin.rotate.confirm", {{"word", kRotateWord}});
  confirm.error = error;
  confirm.required = true;
  confirm.size_class = "medium";
  ctx.SendPage(ctx.T("admin.rotate.title"),
               absl::StrCat(box, "<div class=\"warning\"><p>", ctx.T("admin.rotate.what"),
                            "</p></div><form method=\"post\" action=\"/admin/rotate-keys\">",
                            ctx.CsrfInput(), RenderInput(ctx, confirm),
                            "<div class=\"actions\"><button class=\"danger\">",
                            ctx.T("admin.rotate.button"), "</button> <a href=\"/admin\">",
                            ctx.T("form.cancel"), "</a></div></form>"),
               status);
}

void RotateForm(PageContext& ctx) { SendRotateForm(ctx, "", "", 200); }

// A rotation refused, said from the session: the registry's refusal above the form, or the
// word typed wrong beside its input (typed again, as at first); nothing is sent.
void RotateRefused(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/admin/rotate-keys");
  if (!answer.has_value()) return ctx.SendLocalError("admin.rotate.refused_gone", 404);
  if (answer->confirmation_wrong) {
    return SendRotateForm(ctx, ctx.Tf("admin.rotate.mismatch", {{"word", kRotateWord}}), "",
                          answer->http_status);
  }
  SendRotateForm(ctx, "", ctx.ErrorBox(answer->refused), answer->http_status);
}

void Rotate(PageContext& ctx) {
  // Typed, not clicked: a new key version is for good. A word typed wrong is answered by a
  // redirect to the form that says so (RotateRefused), as the registry's refusal is: a page
  // answering the POST was sent again by a reload.
  if (absl::StripAsciiWhitespace(ctx.Param("confirm")) != kRotateWord) {
    FormAnswer wrong;
    wrong.form = "/admin/rotate-keys";
    wrong.confirmation_wrong = true;
    wrong.http_status = 400;
    return KeepFormAnswer(ctx, std::move(wrong), "/refused/");
  }
  absl::StatusOr<v1::RotateKeysResponse> rotated = ctx.registry().RotateKeys();
  // A refusal is answered by a redirect to a page that says it (KeepFormAnswer): a page
  // answering the POST was sent again by back and reload, a second audited rotation. Not a
  // registry that was not reached: the box says to check whether the rotation was made.
  if (!rotated.ok() && !RegistryUnreachable(rotated.status())) {
    FormAnswer refused;
    refused.form = "/admin/rotate-keys";
    refused.refused = rotated.status();
    refused.http_status = FailedCallStatus(rotated.status(), 400);
    return KeepFormAnswer(ctx, std::move(refused), "/refused/");
  }
  if (!rotated.ok()) {
    return SendRotateForm(ctx, "", ctx.ErrorBox(rotated.status()),
                          FailedCallStatus(rotated.status(), 400));
  }
  // Answered by a redirect to a page of its own (POST-redirect-GET): reloading what the browser
  // shows, or going back to it, does not rotate the key again. Its address holds the two numbers
  // it shows, nothing else.
  ctx.Redirect(absl::StrCat("/admin/rotated?kek_version=", rotated->current_kek_version(),
                            "&rewrapped=", rotated->rewrapped()));
}

// Whether `text` is a number as the redirects above write them: digits only, at most 20.
bool IsNumber(const std::string& text) {
  return !text.empty() && text.size() <= 20 &&
         text.find_first_not_of("0123456789") == std::string::npos;
}

// A rotation done, as its redirect names it. It asks the registry nothing, and leads on to the
// overview, not to the form again: the rotation is done for good.
void Rotated(PageContext& ctx) {
  const std::string version = ctx.Param("kek_version");
  const std::string rewrapped = ctx.Param("rewrapped");
  // Only the address this session's rotation was answered with: any other (numbers typed, or
  // anything but numbers) is no rotation of this console's.
  if (!IsNumber(version) || !IsNumber(rewrapped) || !ctx.AnswersChangeOfThisSession()) {
    return ctx.Redirect("/admin");
  }
  ctx.SendPage(ctx.T("admin.rotated.title"),
               absl::StrCat(Notice(ctx.Tf("admin.rotated.text",
                                          {{"version", version}, {"n", rewrapped}})),
                            "<p><a href=\"/admin\">", ctx.T("admin.back"), "</a></p>"));
}

}  // namespace

void AddAdminPages(Console&,
                   const std::function<void(std::string, std::string, Roles, PageHandler)>& add) {
  const Roles admin = {v1::ROLE_ADMIN};
  add("GET", "/admin", admin, Overview);
  add("POST", "/admin/backup", admin, Backup);
  add("POST", "/admin/verify-data", admin, CheckData);
  // The pages a refused backup or data check redirects to (KeepRefusal).
  add("GET", "/admin/backup/refused/([0-9a-f]{32})", admin, [](PageContext& ctx) {
    SendRefusedAction(ctx, "/admin/backup", "admin.backups", "admin.backup.help",
                      "admin.backup.button", "backup-button");
  });
  add("GET", "/admin/verify-data/refused/([0-9a-f]{32})", admin, [](PageContext& ctx) {
    SendRefusedAction(ctx, "/admin/verify-data", "admin.check", "admin.check.help",
                      "admin.check.button", "check-button");
  });
  add("GET", "/admin/checks/([0-9a-f]{32})", admin, CheckResult);
  add("POST", "/admin/backups/([0-9]{1,20})/verify", admin, VerifyOneBackup);
  add("GET", "/admin/backups/([0-9]{1,20})/verify/refused/([0-9a-f]{32})", admin,
      [](PageContext& ctx) {
        SendRefusedAction(ctx, absl::StrCat("/admin/backups/", BackupIdOf(ctx), "/verify"),
                          "admin.backup_check.title", "admin.backup_check.help",
                          "admin.backup_check.button", "verify-backup-button");
      });
  add("GET", "/admin/backup-checks/([0-9a-f]{32})", admin, BackupCheckResult);
  add("GET", "/admin/rotate-keys", admin, RotateForm);
  add("POST", "/admin/rotate-keys", admin, Rotate);
  add("GET", "/admin/rotate-keys/refused/([0-9a-f]{32})", admin, RotateRefused);
  add("GET", "/admin/rotated", admin, Rotated);
}

}  // namespace registry::console
