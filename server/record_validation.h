// RecordValidator: the field limits of a record (docs/domain.md "The record", records.proto comments)
// and of a vetting candidate, checked before anything is stored, indexed or looked up.
//
// Every error is InvalidArgument "<field path>: <rule>", e.g.
//   "person.surname: 1..100 letters, spaces, hyphens or apostrophes"
//   "conviction.offences[1]: not in the offence table"
// The message never contains the field's value: values are personal data, and the message goes
// to the client, to logs and to import reports. ValidateRecord and ValidateCandidate report every
// failing field, in field order, joined by "; ", so that one answer names all there is to
// correct. A rule that compares a field with another that is itself wrong or missing holds it to
// what is known of the other (a ban's end to the judgment date when the final date is wrong; the
// months to what some sentence type allows when the type is missing): a field no right value of
// the other could make valid is named in the same answer, one that some could is not:
//   "person.sex: required: female or male; conviction.final_date: must be on or after ..."
//
//   ASSIGN_OR_RETURN(std::unique_ptr<RecordValidator> validator,
//                    RecordValidator::Create(reference.get(), ValidationOptions(), &clock));
//   RETURN_IF_ERROR(validator->ValidateRecord(request.person(), request.conviction()));
//
// Rules that are choices rather than quotations of the law:
//  - Names are letters of the Latin and Cyrillic scripts, in which a judgment of a court of
//    Kosovo writes them (with combining marks, at most two on a letter), spaces, hyphens (- ‐)
//    and apostrophes (' ‘ ’ ʼ), 1..100 letters, with at least one letter; a hyphen or an
//    apostrophe never at the start or the end of the name ("-Berisha", "O'") and, inside it, only
//    between letters ("Hoxha-Berisha", not "Hoxha - Berisha", "Hoxha--Berisha" or "O''Brien").
//    The dashes that look like a hyphen (en and em dash, the non-breaking hyphen U+2011, the
//    minus sign) are refused, not folded: the search keys would read them as the hyphen, while
//    the name printed would not be the one the clerk typed. A letter of another script (Greek
//    capitals that look Latin, Georgian, Arabic) is refused naming the script and the letter by
//    its code point; a superscript or modifier letter (ª ʰ) and a fullwidth or
//    mathematical one (Ｂ 𝐁) with the plain letter to type. An alias that is the surname again,
//    or another alias again, as the registry compares names (storage::NameNormalizer), is refused
//    as a repeated citizenship is. The names of a record, aliases with them, file at most
//    storage::RecordStore::kMaxNameTokensOfARecord name tokens for the vetting check to compare
//    (1,024: ten aliases of one word, seven of two or six of three), so that every record's
//    head costs a check the comparisons none does and reads well inside the fixed span; more is
//    refused naming person.aliases. Records stored before
//    that rule with more are kept, and amended as before while the amendment leaves their names
//    as they were. An invisible character (zero-width, soft hyphen, byte order
//    mark, bidi control: any default-ignorable code point) is refused naming its code point
//    ("holds an invisible character (U+200B), ..."). A look-alike of a space, hyphen or
//    apostrophe (a no-break space, an en dash, ` ´ ′), the Icelandic eth and the African D (Ð ð
//    Ɖ, look-alikes of the Serbian Đ đ), a stroke typed over a letter (a combining overlay mark)
//    and the letters of phonetic and historic hands (small capitals such as ᴆ, ᵭ, insular
//    letters) are refused with what to type instead.
//  - Juvenile: a person under 18 on judgment_date must be marked juvenile (the birth date and
//    the judgment date are named before the flag, either being possibly mistyped); a person
//    marked juvenile may be an adult on judgment_date, because juvenile status follows the age
//    at the offence (Kosovo's Juvenile Justice Code: 14..18 at the time of the act), and trials
//    end after the 18th birthday. Nobody is convicted under 14 (no criminal responsibility), so
//    judgment_date must be on or after the 14th birthday.
//  - Free text rejects control, format (e.g. bidirectional overrides), private-use and unassigned
//    code points, and line/paragraph separators. An invisible character (as in a name: any
//    default-ignorable code point or bidi control) is said by its code point ("holds an
//    invisible character (U+202E), ...: type the text again without it"), in free text and in a
//    case number alike.
//  - "today" is the day in Kosovo at clock->Now() (KosovoDay, common/time_format.h).
//
// Thread-safe: const after Create.
#ifndef REGISTRY_SERVER_RECORD_VALIDATION_H_
#define REGISTRY_SERVER_RECORD_VALIDATION_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "registry/v1/records.pb.h"
#include "server/reference_data.h"

namespace registry::storage {
class NameNormalizer;
}  // namespace registry::storage

namespace registry::server {

struct ValidationOptions {
  // ECMAScript regular expression (std::regex) a personal number must fully match. Default
  // "[0-9]{10}": Kosovo's personal number is 10 digits; configurable because the check digit
  // algorithm is not public. Whatever the pattern, a personal number is first limited to 1..32
  // printable ASCII characters without spaces, so the regex never sees long or odd input.
  std::string personal_number_pattern = "[0-9]{10}";
};

// Every problem of a request, in field order: one INVALID_ARGUMENT naming them all, joined by
// "; ", so that one answer names everything there is to correct (records, candidates, and the
// record service's other requests alike).
// The rule a personal number that does not match `pattern` breaks, saying the format so that a
// clerk or an employer can put it right: "does not match the personal number format (10
// digits)" for the shipped pattern and any other of N digits ("[0-9]{N}", "\\d{N}", anchored or
// not), else the configured pattern itself ("... (the pattern [A-Z][0-9]{9})").
std::string PersonalNumberRule(absl::string_view pattern);

class ProblemList {
 public:
  void Add(const absl::Status& status) {
    if (!status.ok()) messages_.emplace_back(status.message());
  }
  absl::Status Result() const;

 private:
  std::vector<std::string> messages_;
};

class RecordValidator {
 public:
  // Returns a validator, or InvalidArgument when the pattern is empty or does not compile, or
  // when reference or clock is null. reference and clock are not owned and must outlive it.
  static absl::StatusOr<std::unique_ptr<RecordValidator>> Create(const ReferenceData* reference,
                                                                 ValidationOptions options,
                                                                 const Clock* clock);
  ~RecordValidator();

  // Returns OK when every field of the record is within its limits, else InvalidArgument
  // "<field path>: <rule>" for each field that is not, joined by "; ". The rules:
  //   person.surname, given_name        required names (ValidateName)
  //   person.father_name                optional name
  //   person.aliases                    at most 10, each a required name ("person.aliases[i]"),
  //                                     none the same as another or as the surname, names
  //                                     compared as storage::NameNormalizer::Normalize does;
  //                                     with the surname and given name, filing at most
  //                                     RecordStore::kMaxNameTokensOfARecord name tokens
  //                                     (VettingNameTokenCount): "too many name words across
  //                                     the aliases" (not checked for an amendment that leaves
  //                                     the surname, given name and aliases as they were)
  //   person.sex                        female or male
  //   person.birth_date                 required date, before today
  //   person.birth_place                0..100 code points of text
  //   person.citizenships               at most 5, distinct, each two upper-case letters
  //   person.personal_number            matches the pattern (ValidatePersonalNumber)
  //   person.last_known_address         0..200 code points of text
  //   conviction.court_id               in the court table; for a court of Kosovo, one that
  //                                     judged on judgment_date (its valid_from, valid_to)
  //   conviction.foreign_court/_country for the foreign court: 1..200 code points of text and two
  //                                     upper-case letters other than "XK"; otherwise both empty
  //   conviction.case_number            1..64 letters, digits, spaces or "/-.:", not only
  //                                     separators
  //   conviction.judgment_date          required, on or after the 14th birthday, not after today
  //   conviction.final_date             required, judgment_date <= final_date <= today
  //   conviction.offences               1..20, each in the offence table with article 1..999 and
  //                                     paragraph 0..99, no repeats ("conviction.offences[i]"),
  //                                     no article both whole and by a paragraph; an article the
  //                                     table lists by its paragraphs alone is told with them:
  //                                     "06/L-074 article 234 is recorded by its paragraph: give
  //                                     one of 06/L-074:234:1, ..."
  //   conviction.sentence.type          set to a known type
  //   conviction.sentence.months        1..600 for imprisonment and suspended sentences, else 0
  //   conviction.bans                   at most 10; each type set, end_date empty (for life) or
  //                                     a date on or after final_date
  //   conviction.release_date           empty, or with imprisonment a date >= judgment_date
  //   conviction.suspension_end_date    empty, or with a suspended sentence a date one to five
  //                                     years (inclusive) after final_date
  //   conviction.juvenile               true when the person was under 18 on judgment_date
  //   conviction.sentence.type          not life imprisonment for a juvenile, nor for a person
  //                                     under 21 on judgment_date (so under 21 at the offence)
  // A rule that compares two fields names both, either of which may be the wrong one: a judgment
  // before the 14th birthday or, unmarked juvenile, before the 18th (the birth date and the
  // judgment date, then the juvenile flag), a final date before the judgment date, an offence of
  // a code not yet in force on the judgment date (the judgment date and the offence). A birth
  // date in the future is named as that, and the judgment date, before it, as before the 14th
  // birthday; a final date before the judgment date is named whatever the birth date.
  // `amended`: an amendment's update-mask paths ("person.birth_date", or "person" whole), empty
  // for a new record. A judgment before the 14th or the 18th birthday is then said of the birth
  // date when the amendment moved the birth date and left the judgment date: "person.birth_date:
  // makes the person under 14 on the judgment date ...", and of the juvenile flag alone when the
  // amendment moved it and neither date.
  absl::Status ValidateRecord(const registry::v1::Person& person,
                              const registry::v1::Conviction& conviction,
                              const std::vector<std::string>& amended = {}) const;

  // A vetting candidate as VettingCheckRequest names it: personal number, surname and given name
  // (required), birth date (required, before today). Returns OK or InvalidArgument naming each of
  // "personal_number", "surname", "given_name" and "birth_date" that is wrong, joined by "; ".
  absl::Status ValidateCandidate(absl::string_view personal_number, absl::string_view surname,
                                 absl::string_view given_name,
                                 absl::string_view birth_date) const;

  // Returns OK when `value` fully matches the personal number pattern, else InvalidArgument
  // "<field>: ..." (an empty value is invalid).
  // InvalidArgument "<field>: does not match the personal number format (10 digits)", the
  // format said as PersonalNumberRule says it.
  absl::Status ValidatePersonalNumber(absl::string_view field, absl::string_view value) const;

  // Whether some non-empty part of `text` matches the personal number pattern (with the default
  // pattern: ten digits in a row), , or some run of digit groups
  // joined by single spaces, hyphens or dots spells one as a whole ("111 111 1111",
  // "111-111.1111"; not "2026-12-02-0001"). Caller text the audit log records as sent (references,
  // request ids) must not carry a personal number into it.
  bool HoldsPersonalNumber(absl::string_view text) const;

  // Names: valid UTF-8, 1..100 letters, Latin or Cyrillic letters with at most two combining
  // marks each, spaces, hyphens, apostrophes (' ‘ ’ ʼ), at least one letter, no hyphen or
  // apostrophe at the start or the end (spaces around the name aside) nor beside a space or
  // another hyphen or apostrophe; not the eth Ð ð, no superscript, modifier, fullwidth or
  // mathematical letter, no invisible character, no letter of another script (said by its code
  // point, never the name). Returns OK also for an empty value when !required; else
  // InvalidArgument "<field>: ...".
  static absl::Status ValidateName(absl::string_view field, absl::string_view value,
                                   bool required);

  // A real calendar date "YYYY-MM-DD" from 1900-01-01 on. Returns OK also for an empty value
  // when !required; else InvalidArgument "<field>: ...".
  static absl::Status ValidateDate(absl::string_view field, absl::string_view value,
                                   bool required);

  // A birth date: a date as ValidateDate (required) and before today (the validator's clock).
  // Returns OK or InvalidArgument "<field>: ...".
  absl::Status ValidateBirthDate(absl::string_view field, absl::string_view value) const;

  // Free text (reasons, legal basis, places, addresses): valid UTF-8 of min..max code points
  // without control or invisible characters. Returns OK or InvalidArgument "<field>: ...", an
  // invisible character named by its code point as ValidateName names it, never the text.
  static absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t min,
                                   size_t max);

  // A record id: exactly 32 lowercase hex characters. Returns OK or InvalidArgument
  // "<field>: ...".
  static absl::Status ValidateRecordId(absl::string_view field, absl::string_view value);

 private:
  RecordValidator(const ReferenceData* reference, std::regex personal_number,
                  std::string personal_number_rule, const Clock* clock,
                  std::unique_ptr<storage::NameNormalizer> names);

  // Every problem found, in order; InvalidArgument of them all joined by "; ", or OK.

  absl::CivilDay Today() const;
  static absl::Status BirthDateBefore(absl::string_view field, absl::string_view value,
                                      absl::CivilDay today);
  // `count_names`: whether the names are held to the count of name tokens (not for an
  // amendment that leaves them as they were). An error other than InvalidArgument only when
  // counting them fails.
  absl::Status ValidatePerson(const registry::v1::Person& person, absl::CivilDay today,
                              bool count_names, ProblemList* problems) const;
  // Which dates a judgment before the 14th birthday, or one before the 18th not marked juvenile,
  // is said of: both in a new record; the one an amendment moved when it moved only one.
  // `juvenile_alone`: the amendment moved the juvenile flag and neither date, so a flag unset for
  // a person under 18 is said of the flag alone.
  struct UnderAgeBlame {
    bool birth_date;
    bool judgment_date;
    bool juvenile_alone = false;
  };
  // `birth_date` is nullopt when the person's is missing, not a date or not before today.
  // `birth_not_past`: it is a real day, today or later (named by ValidatePerson), which every
  // judgment up to today is before: the judgment date is named too.
  void ValidateConviction(const registry::v1::Conviction& conviction,
                          std::optional<absl::CivilDay> birth_date, bool birth_not_past,
                          absl::CivilDay today, UnderAgeBlame under_age,
                          ProblemList* problems) const;

  const ReferenceData* reference_;
  std::regex personal_number_;
  // What a personal number that does not match is told (PersonalNumberRule).
  std::string personal_number_rule_;
  const Clock* clock_;
  // Compares a person's names as the registry compares them (an alias that repeats another, or
  // the surname).
  std::unique_ptr<storage::NameNormalizer> names_;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_RECORD_VALIDATION_H_
