// The record form of the clerk's pages: every field of a record as an HTML input, read back into
// a CreateRecordRequest, and the server's verdict on it put beside the field it names.
//
// The server's validation is authoritative: the form only turns what was typed into the request
// (a value that has no place in it, like "twelve" months, is the one thing refused here; what the
// form could read is then checked by the registry as a dry-run import row, so that its problems
// show in the same pass) and sends it; the server checks everything and names every bad field
// at once
// ("person.birth_date: must be a real date ...; conviction.offences: 1..20 offences"), and each
// problem is shown beside its input, its rule in the user's language when the catalogs know it.
//
// Inputs are named after registry-cli's options (client/record_fields.h: "surname",
// "birth-date", "court", "offence"), plus "suspension-end-date", per ban type a checkbox
// "ban-<type>" with its end date "ban-<type>-end", and beside each offence checkbox whose table
// entry is a whole article (paragraph 0) an optional paragraph input (ParagraphInputName): the
// table lists whole articles, the registry takes a paragraph of one ("06/L-074:230:1" falls back
// to the entry "06/L-074:230:0"), and a judgment names the paragraph, or several for concurrent
// counts under one article ("1, 4").
#ifndef REGISTRY_CLIENT_CONSOLE_RECORD_FORM_H_
#define REGISTRY_CLIENT_CONSOLE_RECORD_FORM_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/reference.pb.h"

namespace registry::console {

// Typed values by input name; a list for the repeatable ones (offence).
using FormValues = std::map<std::string, std::vector<std::string>, std::less<>>;

// A field an amendment's note names: the catalog key of its label ("field.judgment-date"), or,
// for a field the console has no label of, the registry's words for it.
struct NoteField {
  std::string label_key;
  std::string words;
};

// One problem of the form: the input it belongs to ("" when it names no input), and what is
// wrong: a catalog key with its values, or the server's own words when no key says it.
struct FieldError {
  // Every member may be left out from the end ({input, key, values, server_text}).
  FieldError(std::string input = "", std::string key = "",
             std::vector<std::pair<std::string, std::string>> values = {},
             std::string server_text = "", std::string note_key = "",
             std::vector<NoteField> note_fields = {})
      : input(std::move(input)),
        key(std::move(key)),
        values(std::move(values)),
        server_text(std::move(server_text)),
        note_key(std::move(note_key)),
        note_fields(std::move(note_fields)) {}

  std::string input;
  std::string key;  // "rule.real_date"; empty: use server_text
  std::vector<std::pair<std::string, std::string>> values;
  std::string server_text;
  // The note an amendment's refusal puts after the rule of a field it left as it was ("(left as
  // it was: ...)", TakeAmendmentNote): its catalog key, empty for none, and the fields it names.
  std::string note_key;
  std::vector<NoteField> note_fields;
  // The record a refusal of the conviction as a whole names (a duplicate's, a clash's): its id,
  // of a record id's shape, for the page to link beside the input.
  std::string record_id;
};

// The ban types a record may carry, as the form names them: "work_with_children", ...
const std::vector<std::string>& BanWords();
// The sentence types: "imprisonment", ...
const std::vector<std::string>& SentenceWords();

// The offence table the form offers, as GetReferenceData lists it.
using OffenceTable = google::protobuf::RepeatedPtrField<registry::v1::OffenceEntry>;

// The name of the paragraph input beside the offence checkbox valued `code` (a whole article,
// "06/L-074:230:0"): "offence-paragraph:06/L-074:230:0". A byte other than a letter, a digit or
// one of "/.:_-" is written %XX, so that a name made of what the registry sent holds no markup
// and no control character.
std::string ParagraphInputName(absl::string_view code);

// The paragraphs typed beside a whole article, each an offence of its own: empty (the whole
// article, {0}), or whole numbers 0..99 separated by commas or spaces ("1, 4": two counts under
// paragraphs 1 and 4), in the order typed. False, and none, for anything else.
bool ParseParagraphs(absl::string_view typed, std::vector<uint32_t>* paragraphs);

// The values a form shows for a record (to amend it, or to show it again after an error), each
// offence as its code ("06/L-074:230:1"), which the form shows as a checkbox of its own.
FormValues FormFromRecord(const registry::v1::CreateRecordRequest& record);
// The same for the form that offers `offences`: an offence that is a paragraph of an article the
// table lists whole (06/L-074:230:1, the table having 06/L-074:230:0 and not the paragraph)
// checks the article's box and fills the paragraph input beside it; several paragraphs of one
// article go there together, as they are typed ("1, 4"), 0 among them for the article named whole
// as well. An offence the table does not cover at all keeps its code, as above.
FormValues FormFromRecord(const registry::v1::CreateRecordRequest& record,
                          const OffenceTable& offences);

// The request the typed values make. Values that cannot be put into a request at all (months that
// are not a number, a sex, sentence or offence that is none of the choices, a paragraph that is
// not a whole number 0..99) are left out and reported in `errors`; the server judges the rest. A
// checked offence that is a whole article takes the paragraphs typed beside it (ParseParagraphs),
// one offence each, when some are. What
// is typed beside a box left unticked (a ban's end date, an offence's paragraph) is reported too,
// never dropped: the clerk ticks the box or clears the field.
registry::v1::CreateRecordRequest RecordFromForm(const FormValues& values,
                                                 std::vector<FieldError>* errors);

// The server's message about a record (its problems, as SplitServerProblems separates them) as
// errors beside the inputs; `request` tells which ban an index names.
std::vector<FieldError> ErrorsFromServer(absl::string_view message,
                                         const registry::v1::CreateRecordRequest& request);

// Whether the catalog key `key` is of a refusal of the conviction as a whole (its court, case
// number and personal number: a duplicate, an expunged or spent conviction, another record's or
// another import row's), which ErrorsFromServer puts beside the case number.
bool IsConvictionRule(absl::string_view key);
// The catalog key of the label of a field the registry names in plain words ("place of birth":
// "field.birth-place"); "" for words it does not know.
std::string FieldLabelKey(absl::string_view words);

// The catalog key of a validation rule the server states, with its values; {"", {}} when
// the catalogs do not know the rule.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> RuleKey(
    absl::string_view rule);
// The note the registry puts after the rule of a field an amendment left as it was
// (server/record_service.cc AsAmendmentProblems), taken off the end of `rule`: "(left as it was:
// the reference tables no longer list ...)", "(left as it was: the record was entered before the
// registry checked this; ...)" and "(left as it was: this amendment did not change it, and it no
// longer fits the amended judgment date, court. Amend it too)", with the fields it names. Its
// catalog key (amend.note.*) and fields; {"", {}} and `rule` untouched for a rule without one.
std::pair<std::string, std::vector<NoteField>> TakeAmendmentNote(absl::string_view* rule);
// The registry's words of each note, around the fields the last one names.
std::vector<std::string> AmendmentNoteWords();

// Every rule text RuleKey knows whole (a test checks that the server still says each of them,
// as a whole), and the parts of the rules it knows by a pattern, with numbers around them.
std::vector<std::string> KnownRules();
std::vector<std::string> KnownRuleParts();

// The update mask of an amendment: each field whose value in `changed` differs from what the
// form offering `offences` showed for `current` (RecordFromForm of FormFromRecord), output-only
// fields aside, as the mask path registry-cli's --set sends for it. A field the official did not
// touch is not sent, so what the form cannot show as stored (text with spaces around it, bans or
// offences in another order, two bans of one kind) stays as it is. The offences are compared as
// a set: the form sends its ticked boxes in the page's order, whatever the record's.
google::protobuf::FieldMask ChangedFields(const registry::v1::CreateRecordRequest& current,
                                          const registry::v1::CreateRecordRequest& changed,
                                          const OffenceTable& offences);
// The same for a form that offers no offence table.
google::protobuf::FieldMask ChangedFields(const registry::v1::CreateRecordRequest& current,
                                          const registry::v1::CreateRecordRequest& changed);

// The kinds of ban (BanWords' words) the record holds more than one of. The form shows one ban
// of each kind, so such a record's bans are not changed through it.
std::vector<std::string> RepeatedBanKinds(const registry::v1::CreateRecordRequest& record);

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_RECORD_FORM_H_
