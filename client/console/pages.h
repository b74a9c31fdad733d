// Parts the console's pages share: form inputs with their labels, hints and errors, a record's
// fields for people, status and result names in the user's language.
#ifndef REGISTRY_CLIENT_CONSOLE_PAGES_H_
#define REGISTRY_CLIENT_CONSOLE_PAGES_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "client/console/console_server.h"
#include "client/console/record_form.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::console {

// One input of a form, labelled, with its hint and error tied to it (aria-describedby), so that
// a screen reader reads them with the input and the error stands beside it.
struct Input {
  enum class Kind { kText, kSelect, kTextarea, kCheckbox };
  std::string name;   // the input's name and id
  std::string label;  // escaped
  std::string hint;   // escaped, may be empty
  std::string error;  // escaped, may be empty
  std::string value;  // raw; escaped when rendered
  Kind kind = Kind::kText;
  // Select: value (raw) and label (escaped); a first empty option when `placeholder` is set.
  std::vector<std::pair<std::string, std::string>> options;
  std::string placeholder;  // escaped
  // Select: the values whose label is in English whatever the page's language (the registry's
  // reference data, a court's name), so marked for screen readers and translators.
  std::set<std::string> in_english;
  // Select: the group of each value that has one, by its label (escaped): the options of a group
  // are shown together in an <optgroup> where the first of them stands in `options`, the others
  // in place (the courts of a period: "Courts until 2012-12-31").
  std::map<std::string, std::string> option_groups;
  bool required = false;
  bool checked = false;  // a checkbox
  std::string autocomplete = "off";
  std::string inputmode;    // "numeric"
  std::string size_class;   // "short", "date"
};
std::string RenderInput(const PageContext& ctx, const Input& input);

// The input for the request parameter `name`, labelled with the catalog's `label_key` and
// showing the value the user sent; with `hint_key`'s words below the label when not empty.
Input ParamInput(const PageContext& ctx, const std::string& name, const std::string& label_key,
                 const std::string& hint_key = "");
// The same for what identifies a person (a personal number, a name, a birth date): the value
// comes back only from a form's body (a POST, or a form the language switch shows again), never
// from an address, so that a link carrying it neither fills the form nor has the console repeat
// it in the addresses it sends the browser to.
Input PersonalInput(const PageContext& ctx, const std::string& name, const std::string& label_key,
                    const std::string& hint_key = "");
// The same as a drop-down list whose first, empty option shows `placeholder_key`'s words; the
// caller adds the options.
Input ParamSelect(const PageContext& ctx, const std::string& name, const std::string& label_key,
                  const std::string& placeholder_key);

// A list of the form's errors above it, each linking to its input, under the heading
// `heading_key` (a record form's "was not saved"; a form that saves nothing, a filter or a
// record id to open, says only what to correct).
std::string ErrorSummary(const PageContext& ctx,
                         const std::vector<std::pair<std::string, std::string>>& errors,
                         const std::string& heading_key = "form.problems");

// An error of the form in the user's language (escaped): the catalog's words for a rule the
// server stated, else the server's own words marked as English.
std::string ErrorText(const PageContext& ctx, const FieldError& error);

// What the registry's refusal `status` says about the request field `field` ("legal_basis"), in
// the user's language when the catalogs know the rule (escaped), for the form to show beside the
// input that fills it; "" when the refusal is not INVALID_ARGUMENT (or FAILED_PRECONDITION saying
// only "<field> is required") or does not name the field.
std::string ServerErrorFor(const PageContext& ctx, const absl::Status& status,
                           absl::string_view field);

// What the console finds wrong itself with a value a form names a person or states a reference
// with, before it asks the registry: the registry's gate refuses a misshapen reference before it
// looks at anything else, so a form with one learned of its other problems only from a second
// refused, audited call. `value` is trimmed. Each rule is the registry's (a reference's shape,
// common/reference_text.h; a date's; a personal number's characters, client/option_parser.h), and
// each problem is said in its words (RuleKey); nullopt when the console finds none (the registry
// checks the rest: a personal number's format, a name's letters).
// kLegalBasis: an expunction's legal basis, which takes Albanian and Serbian letters too.
enum class LocalRule { kRequired, kReference, kLegalBasis, kPersonalNumber, kBirthDate };
std::optional<FieldError> LocalProblem(PageContext& ctx, LocalRule rule,
                                       const std::string& input, absl::string_view value);
// `problems` beside their inputs (input name to its escaped words) and, in `summary`, each linked
// to its input after the label `label_keys` gives it ("field.surname").
void PlaceProblems(const PageContext& ctx, const std::vector<FieldError>& problems,
                   const std::map<std::string, std::string>& label_keys,
                   std::map<std::string, std::string>* beside,
                   std::vector<std::pair<std::string, std::string>>* summary);

// The record's fields as a clerk or court reads them: label and value, escaped.
struct RecordRow {
  std::string label;
  std::string value;
  bool bookkeeping = false;
  // The dates the version was written with (counts for vetting until, deleted on): bookkeeping
  // on a record's page, compared like content in its history, where each version keeps its own.
  bool dates = false;
};
std::vector<RecordRow> RecordRows(const PageContext& ctx, const registry::v1::Record& record);

// The convicting court (escaped): a court of the table by its name and id, as registry-cli
// shows it; a court abroad by its name and country, said to be abroad in the user's language.
// The name is the page's language's where the reference data the console holds (a clerk's)
// has it (CourtTitle), else the record's English, marked lang="en".
std::string CourtName(const PageContext& ctx, const registry::v1::Conviction& conviction);

// An offence's title or a court's name from the registry's reference data, raw (not escaped):
// in Albanian or Serbian on a page in that language when the entry has it (title_sq, name_sr),
// else in English, which `in_english` says, for the page to mark it lang="en".
struct ReferenceName {
  std::string text;
  bool in_english = true;
};
ReferenceName OffenceTitle(const PageContext& ctx, const registry::v1::OffenceEntry& entry);
ReferenceName CourtTitle(const PageContext& ctx, const registry::v1::CourtEntry& court);
// A record's offence for people, escaped: "06/L-074 art. 230 §1 (Përdhunimi)", its title in the
// page's language from `offences` (the article's entry when the paragraph has none), else the
// record's English title, the whole marked lang="en".
std::string OffenceText(const PageContext& ctx, const OffenceTable& offences,
                        const registry::v1::Offence& offence);
// A position an employer checks for, as the policy codes it ("teacher"), in the user's language
// with the code beside it (escaped) when the catalogs name it ("position.teacher") otherwise
// than the code itself; else the code alone, as the registry sent it.
std::string PositionName(const PageContext& ctx, const std::string& code);

std::string StatusName(const PageContext& ctx, registry::v1::RecordStatus status);
std::string ResultName(const PageContext& ctx, registry::v1::VettingResult result);
// "NOT_CLEAR": the coded result as the API names it.
std::string ResultCode(registry::v1::VettingResult result);

// Whether `id` has the shape of a record id (32 lowercase hex), so it may go into a URL.
bool IsRecordId(absl::string_view id);

// The clerk's "open a record by its id" form (on the home page), with `error` (escaped) beside
// the input. It is posted, never sent as a GET: a personal number or a name typed into it by
// mistake would otherwise land in the address, the browser's history and any log of addresses.
std::string OpenRecordForm(const PageContext& ctx, const std::string& error);

// "<table>" of rows, with a caption.
std::string RecordTable(const PageContext& ctx, const registry::v1::Record& record,
                        const std::string& caption);

// A POST whose answer is a page made after a registry call (a data subject's request, a refused
// form), or a form the console refused itself (an id that is none, a filter with a date that is
// none, a file it cannot read), is answered by a redirect to that page, kept in the session, so
// that a reload or the back button shows it again and sends nothing: KeepFormAnswer keeps
// `answer` under a new id and redirects to `answer.form` + `infix` + the id; FindFormAnswer finds
// it again by the id in the address (the route's last group), only for the form `form`;
// ShownRequest is the request of a page that shows the form again, the answer's fields in it as a
// form's body would hold them.
void KeepFormAnswer(PageContext& ctx, FormAnswer answer, absl::string_view infix);
std::optional<FormAnswer> FindFormAnswer(PageContext& ctx, const std::string& form);
httplib::Request ShownRequest(const PageContext& ctx, const FormAnswer& answer);

// A kept page's time as it says it: "14:05:09" (UTC, which the words say). A kept page is at
// most kKeptAnswerLife old, so the day goes without saying.
std::string ReadTime(absl::Time read_at);

// A job's page once it has finished: the import's report, the verification's result.
std::string ImportJobResult(const PageContext& ctx, Job& job);
std::string VerifyJobResult(const PageContext& ctx, Job& job);
// Starts `job` in the session (forgetting its oldest when it holds kMaxKept) and sends the
// browser to its page; `work` runs on a background thread.
void StartJob(PageContext& ctx, std::shared_ptr<Job> job, std::function<void()> work);

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_PAGES_H_
