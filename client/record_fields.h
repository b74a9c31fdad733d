// The fields of a record as a clerk types them, one table for every way a record is entered or
// corrected from the command line: `record create`'s flags (--surname Kërqeli), `record amend
// --set surname=Kërqeli`, the questions of `record create --interactive`, the skeleton `record
// template` prints, and the error messages that name a field by the flag a clerk types rather
// than by its place in the API (person.surname).
//
//   for (const RecordField& field : RecordFields()) {
//     const std::vector<std::string> values = args.GetAll(field.flag);
//     if (!values.empty()) ApplyField(field, values, &request, &problems);
//   }
//   AppendRecordProblems(request, &choices, &problems);   // every missing or bad field at once
//
// Values are written as in the CSV import (deploy/examples/README.md): dates YYYY-MM-DD, sex
// female|male, an offence LAW:ARTICLE:PARAGRAPH, a ban TYPE or TYPE:END_DATE, a sentence
// imprisonment|suspended|fine|juvenile_measure|other.
#ifndef REGISTRY_CLIENT_RECORD_FIELDS_H_
#define REGISTRY_CLIENT_RECORD_FIELDS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/records.pb.h"

namespace registry::client {

enum class FieldKind {
  kText,          // any text (the server checks its characters and length)
  kPersonalNumber,  // text without a space, control or non-ASCII character (the format is the
                    // registry's setting, checked there)
  kDate,          // YYYY-MM-DD, a real calendar date
  kSex,           // female | male (f | m), in any case
  kCountry,       // ISO 3166-1 alpha-2, e.g. XK (repeatable: citizenships)
  kCourt,         // a court id of the reference data
  kOffence,       // LAW:ARTICLE:PARAGRAPH of the reference data (repeatable)
  kSentenceType,  // imprisonment | suspended | fine | juvenile_measure | other
  kMonths,        // 1..600 (a term of imprisonment, suspended or not)
  kBan,           // TYPE or TYPE:END_DATE (repeatable)
  kBool,          // juvenile: a flag on create, true | false with --set
};

struct RecordField {
  // The flag without dashes, also the key of --set: "surname", "birth-date", "offence".
  std::string flag;
  // The field's path below the record, as the API names it: "person.surname",
  // "conviction.sentence.months".
  std::string path;
  // The update-mask path an amendment of this field sends: the field itself, or the message it
  // belongs to when that is replaced whole (sentence type and months: "conviction.sentence").
  std::string mask_path;
  // Placeholder and one line of help.
  std::string value_name;
  std::string help;
  // The question `record create --interactive` asks, e.g. "Date of birth (YYYY-MM-DD)".
  std::string question;
  FieldKind kind = FieldKind::kText;
  bool required = false;
  // Given once per item (an offence, a ban, an alias, a citizenship).
  bool repeatable = false;
};

// Every field, in the order of the record (person, then conviction).
const std::vector<RecordField>& RecordFields();

// The field whose flag, or whose API path (with or without an index: "conviction.offences[1]"),
// is `name`; nullptr when none is.
const RecordField* FindRecordField(absl::string_view name);

// Whether `request` holds no value for `field` (an empty text or list, the enum's unset value,
// 0, false): what a required field may not be.
bool IsRecordFieldEmpty(const RecordField& field, const registry::v1::CreateRecordRequest& request);

// The reference data a clerk chooses from (InfoService.GetReferenceData).
struct RecordChoices {
  std::vector<registry::v1::OffenceEntry> offences;
  std::vector<registry::v1::CourtEntry> courts;
};

// One problem of an entered record. It names the field, and the item of a list, never the value:
// a record is a person's, and an error message is shown, pasted and logged where the record is
// not.
struct FieldProblem {
  const RecordField* field = nullptr;
  // What is wrong, e.g. "required", "not a real date".
  std::string what;
  // Which item of a repeatable field, from 0 (the second --offence typed, conviction.offences[1]);
  // -1 for the field as a whole.
  int item = -1;
};

// "--birth-date: not a real date", "--offence #2: not in the offence table; ...", or with by_path
// "person.birth_date: ...", "conviction.offences[1]: ..." (a record read from a file names the
// file's fields). "is required" reads "--surname is required".
// Without by_path, the rule is said as typed (RuleAsTyped).
std::string DescribeProblem(const FieldProblem& problem, bool by_path);

// Sets `field` in `request` from what was typed: the values of a repeatable field make its list
// (replacing what the request held; empty values add nothing, so "" alone clears it), else the
// one value replaces the field; an empty value clears it. Values that cannot be read, and more
// than one value of a field that is not repeatable, are appended to `problems`, and leave the
// field as it was.
void ApplyField(const RecordField& field, const std::vector<std::string>& values,
                registry::v1::CreateRecordRequest* request, std::vector<FieldProblem>* problems);

// Writes the codes and ids of a record read from a file (`record create --file`, a JSON-lines
// import row) in the case the registry writes them, as ApplyField takes them typed in any case:
// country codes and laws in capitals, a court's id in small letters. The CSV import and the
// options go through ApplyField, which does the same: a file is taken as they are.
void NormaliseRecordCase(registry::v1::CreateRecordRequest* request);

// Every problem the client can see in a whole record: required fields missing, values that
// cannot be right whatever the registry holds (as ApplyField refuses them when typed: a date
// that is not one, a country code, a personal number's characters, a sentence's months, an
// offence's article and paragraph, a ban's end date; a record read from a file holds them
// unchecked), each item of a list by its place, and (when `choices` is not null) a court or an
// offence that is not in the reference data, or a foreign court's name and country missing. The
// server checks the rest (limits, characters, the order of the dates); together they report as
// much as can be known before anything is stored.
void AppendRecordProblems(const registry::v1::CreateRecordRequest& request,
                          const RecordChoices* choices, std::vector<FieldProblem>* problems);

// The reference-data part of AppendRecordProblems alone: a court `request` names that is not in
// `choices`, and each offence in no entry, with the values to choose from, as `record create`
// names them. For `record amend`, whose request holds only the fields it changes: a field it
// leaves is not missing, and the rules that join fields are the registry's to check against
// the record it holds.
void AppendTableProblems(const registry::v1::CreateRecordRequest& request,
                         const RecordChoices& choices, std::vector<FieldProblem>* problems);

// Why the rest of `request` makes `field` required although field.required is false, in the
// registry's terms, as AppendRecordProblems names it: "required for imprisonment or a suspended
// sentence" (months), "required for a court abroad" (the foreign court's name and country: the
// court that `choices` marks foreign, or without them the court "foreign"), "required when the
// person was under 18 on the judgment date" (juvenile, which must then be true). "" when the
// field is not required so, or holds a value: what `record create --interactive` asks without
// offering Enter, and asks again until answered.
std::string RequiredBecause(const RecordField& field,
                            const registry::v1::CreateRecordRequest& request,
                            const RecordChoices* choices);

// One problem of a registry's refusal ("conviction.final_date: must be on or after ...",
// "person.surname is required", "conviction.offences[1]: not in the offence table") as the
// problem of the record field it names; nullopt for a message that names no record field.
std::optional<FieldProblem> ProblemOfRegistryMessage(absl::string_view message);

// Adds to `problems` (the client's, of a record) the registry's problems of the same record
// (`registry`, from ProblemOfRegistryMessage, in the registry's order): each of a field the
// client named no problem of; and of a field whose every problem the client named is one the
// registry states too (its words begin with the registry's: an offence not in the table, an
// article recorded by its paragraphs), the registry's other problems of the same item (a code
// not yet in force on the judgment date), before the client's problem of it, as the registry
// orders them. A field the client found a value of unreadable is not checked as typed by the
// registry: its problems of that field are left out.
void MergeRegistryProblems(const std::vector<FieldProblem>& registry,
                           std::vector<FieldProblem>* problems);

// Every record field a registry message names, in the order named, each once: the field its
// problem is of, and any other whose API path it names, as a rule that compares fields names
// them all ("person.birth_date, conviction.judgment_date and conviction.juvenile: ...", or a
// path in the rule's words). What `record create --interactive` asks again, whatever the rule.
std::vector<const RecordField*> RecordFieldsNamedIn(absl::string_view message);

// "LAW:ARTICLE:PARAGRAPH" of an offence, "06/L-074:230:1".
std::string OffenceCode(const registry::v1::Offence& offence);
std::string OffenceCode(const registry::v1::OffenceEntry& offence);

// The sentence types by the word typed for them (options, questions, import files).
const std::map<std::string, registry::v1::SentenceType, std::less<>>& SentenceTypes();
// The ban types likewise.
const std::map<std::string, registry::v1::BanType, std::less<>>& BanTypes();

// The words of the enums as typed: "imprisonment", "work_with_children", "male".
std::string SentenceTypeWord(registry::v1::SentenceType type);
std::string BanTypeWord(registry::v1::BanType type);

// The registry's rule `what` of `field` in the words of a value typed (an option, an answer, a
// cell of a CSV import), where a ban for life is written TYPE:none: the registry's "empty (for
// life) or a date YYYY-MM-DD ..." of a ban's end, said of a request whose end date is empty for
// life, becomes "a date YYYY-MM-DD ...; or none for a ban for life (TYPE:none, e.g.
// profession:none)". Other rules come back as they are. A record file's fields (paths) keep the
// registry's words: there a ban for life is an empty end_date.
std::string RuleAsTyped(const RecordField& field, absl::string_view what);

// A server message with the API path it starts with replaced by the field's flag:
// "person.birth_date: must be before today" -> "--birth-date: must be before today". Messages
// that name no record field come back as they are.
std::string RecordMessageWithFlags(absl::string_view message);

// The CSV import's column of `field` (record_import.h): its path below the person or the
// conviction, dots as underscores: "personal_number", "sentence_type", "offences".
std::string ImportColumnName(const RecordField& field);

// RecordMessageWithFlags for a CSV import, each problem of a "; "-joined message renamed to its
// column, as the import's own messages name it: "person.personal_number: ..." ->
// "personal_number: ...", "conviction.sentence.months: ..." -> "sentence_months: ...",
// "conviction.offences[1]: ..." -> "offences: item 2: ...".
std::string RecordMessageWithColumns(absl::string_view message);

// What the registry would refuse in a person's name (surname, given name, father's name, an
// alias) that the client can see alone, in the server's words: bytes that are not UTF-8, a
// look-alike of a space, hyphen or apostrophe (a no-break space, an en dash, a prime), the
// Icelandic eth for the Serbian D with stroke, an ASCII character that is no letter, space,
// hyphen or apostrophe, more than 100 characters. "" when none; the rest (scripts, marks) is
// the server's to judge. Never repeats the name.
std::string NameProblem(absl::string_view name);
// What is said of a value that is not UTF-8.
inline constexpr absl::string_view kValueNotUtf8 =
    "not valid UTF-8 (is the terminal set to another encoding?)";

// InvisibleCharacterProblem for a text that is not a name (a place, an address, a foreign court,
// a case number): "" unless `text` holds an invisible character; then the first by its code
// point, in the registry's words, never the text: "holds an invisible character (U+200B), as
// text copied from a web page or a document may: type the text again without it". The registry
// said "no control characters" of such a text, which shows none.
std::string TextInvisibleCharacterProblem(absl::string_view text);

// Whether `field` is one of a person's names, which NameProblem checks.
bool IsNameField(const RecordField& field);

// A field named by the question `record create --interactive` asked for it, and its path in a
// record file: "Date it became final (conviction.final_date)", "Offence #2
// (conviction.offences[1])" (item: which item of a list, from 0, or -1 for the field).
std::string QuestionName(const RecordField& field, int item);

// RecordMessageWithFlags for a record entered by answering questions: "conviction.final_date:
// must be ..." -> "Date it became final (conviction.final_date): must be ...".
std::string RecordMessageWithQuestions(absl::string_view message);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_RECORD_FIELDS_H_
