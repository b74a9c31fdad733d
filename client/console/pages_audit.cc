// The auditor's pages: the events of the access log with filters and paging, one event whole,
// the full verification of the log (client/audit_verifier, run here in the console's process
// against the auditor's pinned state), and an export for a named recipient.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "client/audit_events.h"
#include "client/audit_verifier.h"
#include "client/console/html.h"
#include "client/console/pages.h"
#include "client/json_io.h"
#include "common/time_format.h"
#include "httplib.h"

namespace registry::console {
namespace {

using Values = std::vector<std::pair<std::string, std::string>>;

constexpr uint32_t kPageSize = 50;

// One verification at a time writes the state file.
absl::Mutex verify_mu;

// "2026-11-28" as the start of that day; an RFC 3339 instant as it is; nullopt otherwise.
std::optional<std::string> Instant(absl::string_view text) {
  if (text.empty()) return std::string();
  if (ParseDate(text).ok()) return absl::StrCat(text, "T00:00:00Z");
  if (ParseInstant(text).ok()) return std::string(text);
  return std::nullopt;
}

// The events page's filter fields. The page's address (the answer to its form, the link to the
// next page) holds only those the console has validated and that cannot name anyone: dates or
// instants, an action from the API's list, a status code, a record id, a vetting check's id. The
// actor, an official's certificate identity typed as free text, travels in a form's body only: a
// page filtered by it is kept in the session, at an address of a random id (KeptEvents), and
// pages on by posting it again.
constexpr const char* kAddressFilters[] = {"from", "to", "action", "outcome", "record_id",
                                           "check_id"};
constexpr const char* kFilters[] = {"from",    "to",        "actor",   "action",
                                    "outcome", "record_id", "check_id"};

// The request's value of filter field `name`, trimmed; the actor only from a form's body. A check
// id lowercased, as the registry writes its ids (one copied from a certificate may not be).
std::string FilterParam(const PageContext& ctx, absl::string_view name) {
  if (name == "actor" && !ctx.fields_in_body()) return "";
  std::string value(absl::StripAsciiWhitespace(ctx.Param(name)));
  if (name == "check_id") absl::AsciiStrToLower(&value);
  return value;
}

// The filter the form's fields give, and the problems of the fields that could not be read.
v1::AuditFilter FilterOf(const PageContext& ctx, Values* problems) {
  v1::AuditFilter filter;
  const auto param = [&](const char* name) { return FilterParam(ctx, name); };
  for (const char* name : {"from", "to"}) {
    std::optional<std::string> instant = Instant(param(name));
    if (!instant.has_value()) {
      problems->emplace_back(name, ctx.T("audit.bad_time"));
    } else if (std::string(name) == "from") {
      filter.set_from_time(*instant);
    } else {
      filter.set_to_time(*instant);
    }
  }
  filter.set_actor(param("actor"));
  if (const std::string action = param("action"); !action.empty()) {
    // A method of the API (the list offers their names), by its name or its full name: any other
    // text must not go on into the page's address.
    std::optional<std::string> full = client::FullMethodName(action);
    const std::vector<std::string> methods = client::ApiMethodNames();
    const std::string name = full.has_value() ? client::ShortMethod(*full) : "";
    if (full.has_value() && std::find(methods.begin(), methods.end(), name) != methods.end() &&
        client::FullMethodName(name) == full) {
      filter.set_action(*full);
    } else {
      problems->emplace_back("action", ctx.T("form.choose"));
    }
  }
  // Checked here, so that only a record id can go on into the page's address.
  if (const std::string id = param("record_id"); !id.empty() && !IsRecordId(id)) {
    problems->emplace_back("record_id", ctx.T("record.open.bad_id"));
  } else {
    filter.set_record_id(id);
  }
  // The id an employer quotes from a vetting certificate (after a REFER), of a record id's shape:
  // checked here like the record id, so that only such an id goes on into the page's address.
  if (const std::string id = param("check_id"); !id.empty() && !IsRecordId(id)) {
    problems->emplace_back("check_id", ctx.T("audit.bad_check_id"));
  } else {
    filter.set_check_id(id);
  }
  if (const std::string outcome = param("outcome"); !outcome.empty()) {
    int code = -1;
    if (absl::SimpleAtoi(outcome, &code) && code >= 0 && code <= client::kMaxStatusCode) {
      filter.set_outcome_plus_one(code + 1);
    } else {
      problems->emplace_back("outcome", ctx.T("form.choose"));
    }
  }
  return filter;
}

// The registry's problems with the filter (a time range the wrong way round, an actor too long),
// by the form's input each names, to stand beside it (ServerErrorFor); none when it names no
// field of the filter.
Values FilterErrors(const PageContext& ctx, const absl::Status& refused) {
  static constexpr std::pair<const char*, const char*> kFields[] = {
      {"from", "from_time"},        {"to", "to_time"},           {"actor", "actor"},
      {"action", "action"},         {"outcome", "outcome_plus_one"},
      {"record_id", "record_id"},   {"check_id", "check_id"}};
  Values errors;
  for (const auto& [input, field] : kFields) {
    std::string error = ServerErrorFor(ctx, refused, absl::StrCat("filter.", field));
    if (!error.empty()) errors.emplace_back(input, std::move(error));
  }
  return errors;
}

std::string FilterInputs(const PageContext& ctx, const Values& problems) {
  const auto error_of = [&](const std::string& name) {
    for (const auto& [input, text] : problems) {
      if (input == name) return text;
    }
    return std::string();
  };
  const auto text = [&](const std::string& name, const std::string& hint_key,
                        const std::string& size) {
    Input input = ParamInput(ctx, name, absl::StrCat("audit.filter.", name), hint_key);
    input.value = FilterParam(ctx, name);
    input.error = error_of(name);
    input.size_class = size;
    return RenderInput(ctx, input);
  };
  Input action = ParamSelect(ctx, "action", "audit.filter.action", "audit.any");
  action.error = error_of("action");
  for (const std::string& name : client::ApiMethodNames()) action.options.emplace_back(name, Escape(name));
  Input outcome = ParamSelect(ctx, "outcome", "audit.filter.outcome", "audit.any");
  outcome.error = error_of("outcome");
  for (int code = 0; code <= client::kMaxStatusCode; ++code) {
    const std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
    outcome.options.emplace_back(absl::StrCat(code), Escape(name));
  }
  return absl::StrCat("<fieldset class=\"filters\"><legend>", ctx.T("audit.filters"), "</legend>",
                      text("from", "audit.time_hint", "medium"), text("to", "audit.time_hint", "medium"),
                      text("actor", "", "long"), RenderInput(ctx, action), RenderInput(ctx, outcome),
                      text("record_id", "", "long"),
                      text("check_id", "audit.filter.check_id.hint", "long"), "</fieldset>");
}

// The filter fields an address may hold (kAddressFilters), validated by FilterOf, as a query
// string whose parts are joined by `separator` ("&amp;" in a page, "&" in a Location header).
std::string FilterQuery(const PageContext& ctx, absl::string_view separator) {
  std::vector<std::string> parts;
  for (const char* name : kAddressFilters) {
    const std::string value = FilterParam(ctx, name);
    if (!value.empty()) parts.push_back(absl::StrCat(name, "=", UrlEncode(value)));
  }
  return absl::StrJoin(parts, separator);
}

// The events page's address for the validated filter and the page token `token` (maybe "").
std::string EventsAddress(const PageContext& ctx, const std::string& token) {
  std::string query = FilterQuery(ctx, "&");
  if (!token.empty()) absl::StrAppend(&query, query.empty() ? "" : "&", "page=", UrlEncode(token));
  return query.empty() ? "/audit" : absl::StrCat("/audit?", query);
}

// A button that posts the filter again (all its fields, the actor among them) with the page token
// `token` ("" for the first page): how a page filtered by what an address may not hold pages on.
std::string PageButton(const PageContext& ctx, const std::string& token, const char* key) {
  std::string hidden;
  for (const char* name : kFilters) {
    const std::string value = FilterParam(ctx, name);
    if (!value.empty()) {
      absl::StrAppend(&hidden, "<input type=\"hidden\" name=\"", name, "\" value=\"",
                      Escape(value), "\">");
    }
  }
  if (!token.empty()) {
    absl::StrAppend(&hidden, "<input type=\"hidden\" name=\"page\" value=\"", Escape(token),
                    "\">");
  }
  return absl::StrCat("<form method=\"post\" action=\"/audit\" class=\"open\">",
                      ctx.CsrfInput(), hidden, "<button class=\"link\">", ctx.T(key),
                      "</button></form>");
}

// The role an event names, in the page's language as the header names the official's own
// ("role.<key>"), with its code beside it as the log and registry-cli write it.
std::string RoleName(const PageContext& ctx, v1::Role role) {
  const std::string code = RoleKey(role);
  const std::string key = absl::StrCat("role.", code);
  if (ctx.Raw(key) == absl::StrCat("[", key, "]")) return Text(code);
  return absl::StrCat(ctx.T(key), " (<code>", Text(code), "</code>)");
}

std::string OutcomeName(int32_t outcome) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(outcome));
}

std::string Warnings(const std::vector<std::string>& warnings) {
  std::string out;
  for (const std::string& warning : warnings) {
    absl::StrAppend(&out, "<p class=\"field-error\" lang=\"en\">", Text(warning), "</p>");
  }
  return out;
}

// Whether `token` is no page token of the registry's (a number, the next event's index):
// anything else would go on into the next pages' addresses.
bool BadPageToken(const std::string& token) {
  return !token.empty() &&
         (token.size() > 20 || !std::all_of(token.begin(), token.end(), [](char c) {
            return absl::ascii_isdigit(static_cast<unsigned char>(c));
          }));
}

// The filter form, each of `problems` beside its input.
std::string FilterForm(const PageContext& ctx, const Values& problems) {
  return absl::StrCat("<form method=\"post\" action=\"/audit\">", ctx.CsrfInput(),
                      FilterInputs(ctx, problems),
                      "<div class=\"actions\"><button class=\"primary\">", ctx.T("audit.apply"),
                      "</button> <a href=\"/audit\">", ctx.T("audit.clear"), "</a></div></form>");
}

// The filter form with what the console found wrong with it, nothing read: each field's problem
// beside it and listed above the form; a page token that is none said of the address, above
// the form, whose button shows the first page (no field of the form chooses a page; the value
// is not shown).
// `page_key` says why the page does not exist: its number is no number, or (audit.page_past_end)
// the log has no such page.
void SendFilterProblems(PageContext& ctx, const Values& problems, bool bad_page, int status,
                        absl::string_view page_key = "audit.bad_page") {
  const std::string page_box =
      bad_page ? absl::StrCat("<div class=\"error-box\" role=\"alert\" tabindex=\"-1\" "
                              "autofocus id=\"bad-page\"><p>",
                              ctx.T(page_key), "</p></div>")
               : "";
  ctx.SendPage(ctx.T("audit.title"),
               absl::StrCat(page_box, ErrorSummary(ctx, problems, "form.fix"),
                            FilterForm(ctx, problems)),
               status);
}

// The filter fields as sent (each trimmed, as FilterParam reads them), for a page that shows
// the form again from the session.
Values FilterFields(const PageContext& ctx) {
  Values fields;
  for (const char* name : kFilters) {
    if (std::string value = FilterParam(ctx, name); !value.empty()) {
      fields.emplace_back(name, std::move(value));
    }
  }
  return fields;
}

void Events(PageContext& ctx) {
  Values problems;
  v1::ListAuditEventsRequest request;
  *request.mutable_filter() = FilterOf(ctx, &problems);
  request.set_page_size(kPageSize);
  // Only an address made elsewhere (or cut short), or a form posted from one, holds a page token
  // that is none (BadPageToken).
  const std::string token = ctx.Param("page");
  const bool bad_page = BadPageToken(token);
  request.set_page_token(token);
  request.set_bytes_only(true);  // Shown as decoded from the hashed bytes (DecodeHashedEvent).
  const std::string form = FilterForm(ctx, problems);
  if (bad_page || !problems.empty()) {
    // A posted filter refused here is answered by a redirect to a page of the session's that
    // shows it (FilterRefused), as an export refused is: a page answering the POST was sent
    // again by a reload or the back button, and it holds what was typed (an actor) that no
    // address may hold.
    if (ctx.request().method == "POST") {
      FormAnswer answer;
      answer.form = "/audit";
      answer.fields = FilterFields(ctx);
      if (!token.empty()) answer.fields.emplace_back("page", token);
      answer.http_status = 400;
      return KeepFormAnswer(ctx, std::move(answer), "/refused/");
    }
    return SendFilterProblems(ctx, problems, bad_page, 400);
  }
  // The form posted a filter an address may hold whole: the answer is that address, which can be
  // reloaded, kept and shown in another language like any page.
  if (ctx.request().method == "POST" && request.filter().actor().empty()) {
    return ctx.Redirect(EventsAddress(ctx, request.page_token()));
  }
  // One with an actor, which no address may hold, is answered by a redirect too (POST-redirect-
  // GET), to a page whose address is a random id of the session's, where the filter waits: going
  // back to it from an event does not ask the browser to send the form again.
  if (ctx.request().method == "POST") {
    Values fields = FilterFields(ctx);
    if (!token.empty()) fields.emplace_back("page", token);
    const std::string id = RandomHex(16);
    {
      absl::MutexLock lock(&ctx.session().mu);
      ctx.session().audit_filters.Add(id, std::move(fields), ctx.console().Now());
    }
    return ctx.Redirect(absl::StrCat("/audit/results/", id));
  }
  absl::StatusOr<v1::ListAuditEventsResponse> page = ctx.registry().ListAuditEvents(request);
  // A page number the log does not have (past its end, as after a restore shortened it), which
  // the registry refuses as no token of its own: a page that does not exist, said as one whose
  // number is no number is, not in the registry's words.
  if (!page.ok() && !token.empty() && absl::IsInvalidArgument(page.status()) &&
      absl::StartsWith(page.status().message(), "page_token:")) {
    return SendFilterProblems(ctx, problems, /*bad_page=*/true, 400, "audit.page_past_end");
  }
  if (!page.ok()) {
    // The refusal above the form, and each filter field it names beside its input.
    return ctx.SendPage(ctx.T("audit.title"),
                        absl::StrCat(ctx.ErrorBox(page.status()),
                                     FilterForm(ctx, FilterErrors(ctx, page.status()))),
                        FailedCallStatus(page.status(), 400));
  }
  std::string rows;
  for (const v1::AuditEntry& entry : page->entries()) {
    const client::HashedEvent hashed = client::DecodeHashedEvent(entry);
    const std::string link = absl::StrCat("<a href=\"/audit/events/", entry.index(), "\">",
                                          entry.index(), "</a>");
    if (!hashed.event.has_value()) {
      absl::StrAppend(&rows, "<tr class=\"bad\"><td class=\"nowrap\">", link,
                      "</td><td colspan=\"6\">", Warnings(hashed.warnings), "</td></tr>");
      continue;
    }
    const v1::AuditEvent& e = *hashed.event;
    std::vector<std::string> details;
    if (!e.record_ids().empty()) {
      details.push_back(ctx.Tf("audit.records", {{"n", absl::StrCat(e.record_ids_size())}}));
    }
    if (!e.purpose_code().empty()) details.push_back(absl::StrCat(ctx.T("audit.purpose"), " ", Text(e.purpose_code())));
    if (!e.case_reference().empty()) details.push_back(absl::StrCat(ctx.T("audit.case"), " “", Text(e.case_reference()), "”"));
    if (!e.consent_reference().empty()) details.push_back(absl::StrCat(ctx.T("audit.consent"), " “", Text(e.consent_reference()), "”"));
    if (!e.reference().empty()) details.push_back(absl::StrCat(ctx.T("audit.reference"), " “", Text(e.reference()), "”"));
    if (e.dry_run()) details.push_back(ctx.T("audit.dry_run"));
    absl::StrAppend(&rows, "<tr", hashed.warnings.empty() ? "" : " class=\"bad\"",
                    "><td class=\"nowrap\">", link, "</td><td class=\"nowrap\">", Text(e.time()),
                    "</td><td>", RoleName(ctx, e.role()), "</td><td class=\"nowrap\">",
                    Text(client::ShortMethod(e.action())), "</td><td>",
                    Escape(OutcomeName(e.outcome())), "</td><td>", Text(e.actor()), "</td><td>",
                    absl::StrJoin(details, "; "), Warnings(hashed.warnings), "</td></tr>");
  }
  std::string table =
      page->entries().empty()
          ? absl::StrCat("<p class=\"none\">", ctx.T("audit.none"), "</p>")
          : absl::StrCat("<div class=\"table-scroll\">"
                         "<table class=\"results events\" id=\"events\"><caption>",
                         ctx.T("audit.caption"),
                         "</caption><thead><tr><th scope=\"col\">#</th><th scope=\"col\">",
                         ctx.T("audit.col.time"), "</th><th scope=\"col\">", ctx.T("audit.col.role"),
                         "</th><th scope=\"col\">", ctx.T("audit.col.action"), "</th><th scope=\"col\">",
                         ctx.T("audit.col.outcome"), "</th><th scope=\"col\">", ctx.T("audit.col.actor"),
                         "</th><th scope=\"col\">", ctx.T("audit.col.details"),
                         "</th></tr></thead><tbody>", rows, "</tbody></table></div>");
  const std::string query = FilterQuery(ctx, "&amp;");
  // Links when the filter is in the address; else buttons that post it again.
  const bool posted = ctx.fields_in_body();
  if (!posted) {
    // The language switch leads to this page's address as the console would write it: what an
    // address made elsewhere holds besides (an actor) is dropped, as it was not used.
    ctx.set_language_back(EventsAddress(ctx, request.page_token()));
  }
  std::string paging = "<nav class=\"paging\" aria-label=\"" + ctx.T("audit.paging") + "\"><ul>";
  if (!request.page_token().empty()) {
    absl::StrAppend(&paging, "<li>",
                    posted ? PageButton(ctx, "", "audit.first")
                           : absl::StrCat("<a href=\"/audit", query.empty() ? "" : "?", query,
                                          "\">", ctx.T("audit.first"), "</a>"),
                    "</li>");
  }
  if (!page->next_page_token().empty() && page->next_page_token() != request.page_token()) {
    absl::StrAppend(&paging, "<li>",
                    posted ? PageButton(ctx, page->next_page_token(), "audit.next")
                           : absl::StrCat("<a rel=\"next\" href=\"/audit?", query,
                                          query.empty() ? "" : "&amp;", "page=",
                                          UrlEncode(page->next_page_token()), "\">",
                                          ctx.T("audit.next"), "</a>"),
                    "</li>");
  }
  absl::StrAppend(&paging, "</ul></nav>");
  ctx.SendPage(ctx.T("audit.title"), absl::StrCat(form, table, paging));
}

// The events of a filter with an actor, kept in the session by the filter's POST (see Events):
// the page as the form had asked for it, the registry asked as any events page asks it. An id
// this session does not hold (another session's, one forgotten) is not found.
void KeptEvents(PageContext& ctx) {
  const std::string id = ctx.request().matches[1];
  std::optional<std::vector<std::pair<std::string, std::string>>> fields;
  {
    absl::MutexLock lock(&ctx.session().mu);
    if (const auto* kept = ctx.session().audit_filters.Find(id, ctx.console().Now())) {
      fields = *kept;
    }
  }
  if (!fields.has_value()) return ctx.SendLocalError("audit.filter_gone", 404);
  // The filter goes into the page's own request as a form's body would (never into an address),
  // as the language switch re-shows a form (Console::ShowPage).
  httplib::Request shown = ctx.request();
  shown.params.clear();
  for (const auto& [name, value] : *fields) shown.params.emplace(name, value);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(absl::StrCat("/audit/results/", id));
  Events(page);
}

// A filter the console refused (Events), shown again from the session: the form as it was sent,
// each problem beside its field. The registry is not asked.
void FilterRefused(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/audit");
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  Values problems;
  FilterOf(page, &problems);
  SendFilterProblems(page, problems, BadPageToken(page.Param("page")), answer->http_status);
}

void Event(PageContext& ctx) {
  uint64_t index = 0;
  // A number past any index the log can hold: no event has it, and the registry is not asked.
  // Said as the console's own finding (it had read "the registry said: event index").
  if (!absl::SimpleAtoi(ctx.request().matches[1].str(), &index) || index == UINT64_MAX) {
    return ctx.SendLocalError("audit.no_event", 404);
  }
  v1::StreamAuditEventsRequest request;
  request.set_start_index(index);
  request.set_end_index(index + 1);
  request.set_bytes_only(true);
  std::optional<v1::AuditEntry> found;
  absl::Status streamed = ctx.registry().StreamAuditEvents(request, [&](const v1::AuditEntry& entry) {
    if (entry.index() == index && !found.has_value()) found = entry;
    return absl::OkStatus();
  });
  // An index past the log's end is refused by the registry as a range "outside the log" (the
  // range asked for is this one event's): the event is not found, which is no refusal.
  if (streamed.code() == absl::StatusCode::kInvalidArgument &&
      absl::StartsWith(streamed.message(), "start_index/end_index:")) {
    return ctx.SendLocalError("audit.no_event", 404);
  }
  if (!streamed.ok()) return ctx.SendError(streamed);
  if (!found.has_value()) return ctx.SendLocalError("audit.no_event", 404);
  const client::HashedEvent hashed = client::DecodeHashedEvent(*found);
  std::string body = Warnings(hashed.warnings);
  if (hashed.event.has_value()) {
    const v1::AuditEvent& e = *hashed.event;
    std::string rows;
    const auto row = [&](const char* key, const std::string& value) {
      if (!value.empty()) absl::StrAppend(&rows, "<tr><th scope=\"row\">", ctx.T(key), "</th><td>", value, "</td></tr>");
    };
    const auto list = [](const google::protobuf::RepeatedPtrField<std::string>& items) {
      std::vector<std::string> escaped;
      for (const std::string& item : items) escaped.push_back(absl::StrCat("<code>", Text(item), "</code>"));
      return absl::StrJoin(escaped, "<br>");
    };
    row("audit.col.time", Text(e.time()));
    row("audit.col.actor", Text(e.actor()));
    row("audit.col.role", RoleName(ctx, e.role()));
    row("audit.organisation", Text(e.organisation()));
    row("audit.col.action", Text(e.action()));
    row("audit.col.outcome", Escape(OutcomeName(e.outcome())));
    row("audit.detail", Text(e.detail()));
    row("audit.record_ids", list(e.record_ids()));
    row("audit.tokens", list(e.tokens()));
    row("audit.purpose", Text(e.purpose_code()));
    row("audit.case", Text(e.case_reference()));
    row("audit.consent", Text(e.consent_reference()));
    row("audit.recipient", Text(e.recipient()));
    row("audit.reference", Text(e.reference()));
    row("audit.withheld", list(e.withheld()));
    row("audit.request_id", Text(e.request_id()));
    row("audit.check_id", Text(e.check_id()));
    if (e.dry_run()) row("audit.dry_run", ctx.T("form.yes"));
    if (e.has_pruning()) {
      row("audit.pruning", ctx.Tf("audit.pruning.text",
                                  {{"from", absl::StrCat(e.pruning().from_index())},
                                   {"to", absl::StrCat(e.pruning().to_index())},
                                   {"newest", Text(e.pruning().newest_pruned_time())},
                                   {"days", absl::StrCat(e.pruning().retention_days())}}));
    }
    absl::StrAppend(&body, "<div class=\"table-scroll\"><table class=\"record\"><caption>",
                    ctx.T("audit.event.caption"), "</caption>", rows, "</table></div>");
  }
  absl::StrAppend(&body, "<p><a href=\"/audit\">", ctx.T("audit.back"), "</a></p>");
  ctx.SendPage(ctx.Tf("audit.event.title", {{"n", absl::StrCat(index)}}), body);
}

void VerifyPage(PageContext& ctx) {
  ctx.SendPage(ctx.T("verify.title"),
               absl::StrCat("<p>", ctx.T("verify.intro"), "</p><form method=\"post\" action=\"/audit/verify\">",
                            ctx.CsrfInput(), "<button class=\"primary\" id=\"verify-button\">",
                            ctx.T("verify.button"), "</button></form>"));
}

// The payload that marks a failed verification's status as the registry's answer (an error a
// call to it returned), not the verifier's own finding: only that is shown as the registry's.
constexpr char kRegistryAnswer[] = "type.kjc-registry/console.registry-answer";

// `status` marked as the registry's answer (kRegistryAnswer).
absl::Status FromRegistry(absl::Status status) {
  if (!status.ok()) status.SetPayload(kRegistryAnswer, absl::Cord("1"));
  return status;
}
template <typename T>
absl::StatusOr<T> FromRegistry(absl::StatusOr<T> answer) {
  if (answer.ok()) return answer;
  return FromRegistry(answer.status());
}

// The log as the verifier reads it, counting the events it streams for the progress bar. Every
// error the registry answers is marked (FromRegistry): the verifier passes such errors through
// unchanged, so a failure without the mark is the verifier's own (or this computer's).
class CountingSource final : public client::AuditLogSource {
 public:
  CountingSource(std::unique_ptr<client::AuditLogSource> inner, Job* job)
      : inner_(std::move(inner)), job_(job) {}
  absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override {
    absl::StatusOr<v1::SignedTreeHead> head = inner_->GetSignedTreeHead();
    if (head.ok()) job_->total = head->tree_size();
    return FromRegistry(std::move(head));
  }
  absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t a, uint64_t b) override {
    return FromRegistry(inner_->GetConsistencyProof(a, b));
  }
  absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t i, uint64_t n) override {
    return FromRegistry(inner_->GetInclusionProof(i, n));
  }
  absl::Status StreamEvents(uint64_t start, uint64_t end,
                            const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    // The stream returns on_entry's error as it is: that one is the verifier's.
    bool verifier_stopped = false;
    absl::Status streamed = inner_->StreamEvents(start, end, [&](const v1::AuditEntry& entry) {
      job_->done = std::min<uint64_t>(entry.index() + 1, job_->total);
      absl::Status taken = on_entry(entry);
      verifier_stopped = !taken.ok();
      return taken;
    });
    return verifier_stopped ? streamed : FromRegistry(std::move(streamed));
  }
  absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override {
    return FromRegistry(inner_->GetAuditPublicKey());
  }
  absl::StatusOr<v1::PrunedPrefix> GetPrunedPrefix() override {
    return FromRegistry(inner_->GetPrunedPrefix());
  }

 private:
  std::unique_ptr<client::AuditLogSource> inner_;
  Job* job_;
};

absl::StatusOr<client::AuditVerification> Verify(Registry& registry, const ConsoleOptions& options,
                                                 Job* job) {
  absl::MutexLock lock(&verify_mu);
  std::string state_path = options.audit_state_path;
  if (state_path.empty()) {
    absl::StatusOr<std::string> path = client::DefaultAuditStatePath();
    if (!path.ok()) return path.status();
    state_path = *path;
  }
  absl::StatusOr<std::optional<client::AuditState>> previous = client::LoadAuditState(state_path);
  if (!previous.ok()) return previous.status();
  client::AuditVerifyOptions verify;
  verify.full = true;
  verify.public_key_pem = options.audit_public_key_pem;
  verify.server = options.server_address;
  CountingSource source(registry.AuditLog(), job);
  absl::StatusOr<client::AuditVerification> result =
      client::VerifyAuditLog(source, *previous, verify, absl::Now());
  if (!result.ok()) return result.status();
  // Locked and merged with the file as it is now: registry-cli audit verify may have saved this
  // log with the same file while this verification ran, and a saved head never moves back.
  absl::Status saved = client::SaveVerifiedState(state_path, *result, source);
  if (!saved.ok()) return saved;
  return result;
}

void StartVerify(PageContext& ctx) {
  auto job = std::make_shared<Job>(Job::Kind::kVerify);
  Registry* registry = &ctx.registry();
  const ConsoleOptions* options = &ctx.console().options();
  StartJob(ctx, job, [registry, options, job] {
    absl::StatusOr<client::AuditVerification> result = Verify(*registry, *options, job.get());
    absl::MutexLock lock(&job->mu);
    if (result.ok()) {
      job->verification = *std::move(result);
      job->done = job->total.load();
    } else {
      job->status = result.status();
    }
    job->finished = true;
  });
}

void ExportPage(PageContext& ctx, const std::string& box, const Values& problems, int status,
                const absl::Status& refused = absl::OkStatus()) {
  const auto text = [&](const std::string& name, const std::string& hint_key) {
    Input input;
    input.name = name;
    input.label = ctx.T(absl::StrCat("export.", name));
    input.hint = ctx.T(hint_key);
    input.error = ServerErrorFor(ctx, refused, name);
    for (const auto& [problem_input, problem] : problems) {
      if (problem_input == name) input.error = problem;
    }
    input.value = ctx.Param(name);
    input.required = true;
    input.size_class = "long";
    return RenderInput(ctx, input);
  };
  ctx.SendPage(ctx.T("export.title"),
               absl::StrCat(box, ErrorSummary(ctx, problems, "form.fix"), "<p>", ctx.T("export.intro"),
                            "</p><form method=\"post\" action=\"/audit/export\">", ctx.CsrfInput(),
                            text("recipient", "export.recipient.hint"),
                            text("reference", "export.reference.hint"), FilterInputs(ctx, problems),
                            "<div class=\"actions\"><button class=\"primary\">", ctx.T("export.button"),
                            "</button></div></form>"),
               status);
}

// The recipient and the reference as the console finds them itself (LocalProblem): the registry's
// gate refuses a misshapen reference before it looks at anything else, so an export with a
// problem in the filter as well learned of it only from a second refused, audited call.
void ExportProblems(PageContext& ctx, Values* problems) {
  for (const char* name : {"recipient", "reference"}) {
    const std::optional<FieldError> problem = LocalProblem(
        ctx, LocalRule::kReference, name, absl::StripAsciiWhitespace(ctx.Param(name)));
    if (problem.has_value()) problems->emplace_back(name, ErrorText(ctx, *problem));
  }
}

void Export(PageContext& ctx) {
  Values problems;
  ExportProblems(ctx, &problems);
  v1::ExportAuditEventsRequest request;
  *request.mutable_filter() = FilterOf(ctx, &problems);
  request.set_recipient(std::string(absl::StripAsciiWhitespace(ctx.Param("recipient"))));
  request.set_reference(std::string(absl::StripAsciiWhitespace(ctx.Param("reference"))));
  // Refused, here or by the registry: answered by a redirect to a page of the session's
  // (ExportRefused), as a refused search is, for a page answering the POST was sent again by a
  // reload or the back button, one more audited export in the auditor's name each time (when the
  // registry was asked). The form waits there as typed.
  FormAnswer answer;
  answer.form = "/audit/export";
  for (const char* name : {"recipient", "reference"}) {
    if (std::string value = ctx.Param(name); !value.empty()) {
      answer.fields.emplace_back(name, std::move(value));
    }
  }
  for (auto& field : FilterFields(ctx)) answer.fields.push_back(std::move(field));
  answer.http_status = 400;
  if (!problems.empty()) return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  std::string lines;
  absl::Status exported = ctx.registry().ExportAuditEvents(request, [&](const v1::AuditEntry& entry) {
    absl::StatusOr<std::string> line = client::ToJsonLine(entry);
    if (!line.ok()) return line.status();
    absl::StrAppend(&lines, *line, "\n");
    return absl::OkStatus();
  });
  if (!exported.ok() && RegistryUnreachable(exported)) {
    // Not reached, nothing was refused: the form comes back as typed, to be sent again.
    return ExportPage(ctx, ctx.ErrorBox(exported), {}, FailedCallStatus(exported, 400), exported);
  }
  if (!exported.ok()) {
    answer.refused = exported;
    answer.http_status = FailedCallStatus(exported, 400);
    return KeepFormAnswer(ctx, std::move(answer), "/refused/");
  }
  ctx.response().set_header("Content-Disposition", "attachment; filename=\"audit-export.jsonl\"");
  ctx.response().set_content(lines, "application/x-ndjson");
}

// An export refused, shown again from the session (Export): the refusal above the form, each
// field it names beside that field's input; or the problems the console found itself, found
// again from the form. The registry is not asked again.
void ExportRefused(PageContext& ctx) {
  std::optional<FormAnswer> answer = FindFormAnswer(ctx, "/audit/export");
  if (!answer.has_value()) return ctx.SendLocalError("form.refused_gone", 404);
  const httplib::Request shown = ShownRequest(ctx, *answer);
  PageContext page(ctx.console(), shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  page.set_language_back(ctx.request().path);
  if (answer->refused.ok()) {
    Values problems;
    ExportProblems(page, &problems);
    FilterOf(page, &problems);
    return ExportPage(page, "", problems, answer->http_status);
  }
  ExportPage(page, page.ErrorBox(answer->refused), {}, answer->http_status, answer->refused);
}

}  // namespace

namespace {

// Why a verification failed, when the registry did not say so: the verifier's own finding (a
// truncated or forked log, a bad signature, an event that fails its hash: DATA_LOSS; a head
// under another key than the trusted one, or dated ahead of this computer's clock) or a problem
// of this computer (the state file). Titled as the console's, never "The registry refused", with
// what to do; the verifier's words follow, in English as it writes them.
std::string VerificationFinding(const PageContext& ctx, const absl::Status& status) {
  const bool tampered = status.code() == absl::StatusCode::kDataLoss;
  return absl::StrCat(
      "<div class=\"error-box\" role=\"alert\" tabindex=\"-1\" autofocus id=\"verify-finding\"",
      " data-finding=\"", tampered ? "tampered" : "stopped", "\"><h2>",
      ctx.T(tampered ? "verify.tampered.title" : "verify.stopped.title"), "</h2><p>",
      ctx.T(tampered ? "verify.tampered.text" : "verify.stopped.text"),
      "</p><p>", ctx.T("verify.found"), " <q lang=\"en\">", Text(status.message()),
      "</q> <code>", Escape(absl::StatusCodeToString(status.code())), "</code></p></div>");
}

}  // namespace

std::string VerifyJobResult(const PageContext& ctx, Job& job) {
  absl::MutexLock lock(&job.mu);
  if (!job.verification.has_value()) {
    // Only an error a call to the registry returned is the registry's refusal.
    const bool registry_said = job.status.GetPayload(kRegistryAnswer).has_value();
    return absl::StrCat("<div class=\"result result-failed\" role=\"alert\" id=\"verify-result\"><p class=\"code\">",
                        ctx.T("verify.failed"), "</p></div>",
                        registry_said ? ctx.ErrorBox(job.status)
                                      : VerificationFinding(ctx, job.status));
  }
  const client::AuditVerification& v = *job.verification;
  const v1::SignedTreeHead& head = v.log.verified_head();
  const auto row = [&](const char* key, const std::string& value) {
    return absl::StrCat("<tr><th scope=\"row\">", ctx.T(key), "</th><td>", value, "</td></tr>");
  };
  std::string notes;
  for (const client::AuditNote& note : v.notes) {
    // The key trusted on first use is the note every first verification gives: said in the
    // page's language (it was the one English line on a page in Albanian or Serbian). Told by
    // its kind, not by its English words, which registry-cli prints and may reword.
    if (note.kind == client::AuditNote::Kind::kKeyTrustedOnFirstUse) {
      absl::StrAppend(&notes, "<li id=\"first-use-note\">",
                      ctx.Tf("verify.note.first_use",
                             {{"key", absl::StrCat("<code>", Text(note.key_id), "</code>")}}),
                      "</li>");
      continue;
    }
    absl::StrAppend(&notes, "<li lang=\"en\">", Text(note.text), "</li>");
  }
  std::string warnings;
  for (const std::string& warning : v.warnings) {
    absl::StrAppend(&warnings, "<li lang=\"en\">", Text(warning), "</li>");
  }
  std::string pruned;
  if (v.log.pruned_size() > 0) {
    pruned = row("verify.pruned", ctx.Tf("verify.pruned.text",
                                         {{"n", absl::StrCat(v.log.pruned_size())},
                                          {"until", Text(v.log.newest_pruned_time())},
                                          {"days", absl::StrCat(v.retention_days)}}));
  }
  return absl::StrCat(
      "<progress max=\"1\" value=\"1\" aria-label=\"", ctx.T("job.verify"), "\"></progress>",
      "<div class=\"result result-clear\" role=\"status\" id=\"verify-result\"><p class=\"code\">",
      ctx.T("verify.ok"), "</p><p>", ctx.Tf("verify.ok.text", {{"n", absl::StrCat(head.tree_size())}}),
      "</p></div>",
      warnings.empty() ? "" : absl::StrCat("<div class=\"warning\"><h2>", ctx.T("verify.warnings"), "</h2><ul>", warnings, "</ul></div>"),
      "<div class=\"table-scroll\">"
      "<table class=\"record\" id=\"pinned-head\"><caption>", ctx.T("verify.head"), "</caption>",
      row("verify.log_id", absl::StrCat("<code>", Text(head.log_id()), "</code>")),
      row("verify.tree_size", absl::StrCat("<span id=\"tree-size\">", head.tree_size(), "</span>")),
      row("verify.root", absl::StrCat("<code>", absl::BytesToHexString(head.root_hash()), "</code>")),
      row("verify.signed_at", Escape(FormatInstant(absl::FromUnixMicros(static_cast<int64_t>(
                                  std::min<uint64_t>(head.timestamp_micros(), INT64_MAX)))))),
      row("verify.key_id", absl::StrCat("<code>", Text(head.key_id()), "</code>")), pruned,
      row("verify.retained", absl::StrCat(v.retained_verified)), "</table></div>",
      notes.empty() ? "" : absl::StrCat("<h2>", ctx.T("verify.notes"), "</h2><ul>", notes, "</ul>"),
      "<p><a href=\"/audit/verify\">", ctx.T("verify.again"), "</a></p>");
}

void AddAuditPages(Console&,
                   const std::function<void(std::string, std::string, Roles, PageHandler)>& add) {
  const Roles auditor = {v1::ROLE_AUDITOR};
  add("GET", "/audit", auditor, Events);
  add("POST", "/audit", auditor, Events);
  add("GET", "/audit/results/([0-9a-f]{32})", auditor, KeptEvents);
  add("GET", "/audit/refused/([0-9a-f]{32})", auditor, FilterRefused);
  add("GET", "/audit/events/([0-9]{1,20})", auditor, Event);
  add("GET", "/audit/verify", auditor, VerifyPage);
  add("POST", "/audit/verify", auditor, StartVerify);
  add("GET", "/audit/export", auditor,
      [](PageContext& ctx) { ExportPage(ctx, "", {}, 200); });
  add("POST", "/audit/export", auditor, Export);
  add("GET", "/audit/export/refused/([0-9a-f]{32})", auditor, ExportRefused);
}

}  // namespace registry::console
