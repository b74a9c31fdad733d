#include "server/record_validation.h"

#include <algorithm>
#include <cstddef>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/country_codes.h"
#include "common/record_limits.h"
#include "common/reference_text.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "storage/ids.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"
#include "unicode/uchar.h"
#include "unicode/uscript.h"
#include "unicode/utf8.h"

namespace registry::server {
namespace {

// The text limits (names, birth place, address, foreign court, case number, personal number,
// law) and the ages are common/record_limits.h's, which registry-cli checks too: one copy, so
// that the two cannot drift. The limits of the lists are the validator's alone.
constexpr int kMaxAliases = 10;
constexpr int kMaxCitizenships = 5;
constexpr int kMaxOffences = 20;
constexpr int kMaxBans = 10;
// The longest term of imprisonment a sentence may suspend (Criminal Codes 04/L-082 and 06/L-074:
// up to two years, with a verification period of one to five years; deploy/reference/README.md).
constexpr uint32_t kMaxSuspendedMonths = 24;
// What follows "<law> article <N>" when the table lists that article by its paragraphs alone and
// the offence names none of them, before the codes to choose from: "06/L-074 article 234 is
// recorded by its paragraph: give one of 06/L-074:234:1, 06/L-074:234:2, ...". The console
// knows the rule by this part (client/console/record_form.cc).
constexpr absl::string_view kRecordedByParagraph = " is recorded by its paragraph: give one of ";
// The age under which, at the time of the offence, life-long imprisonment is not imposed
// (Criminal Codes 04/L-082 and 06/L-074; docs/domain.md).
constexpr int kMinAgeForLifeImprisonment = 21;

constexpr UChar32 kHyphen = 0x2010;
constexpr UChar32 kLeftSingleQuote = 0x2018;
constexpr UChar32 kRightSingleQuote = 0x2019;
constexpr UChar32 kModifierApostrophe = 0x02BC;

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", rule));
}

// Decodes `value` into code points; false for ill-formed UTF-8 (overlongs, surrogates, truncated
// sequences) or more than `max` code points. Never reads more than 4 * max bytes.
bool DecodeUtf8(absl::string_view value, size_t max, std::u32string* out) {
  out->clear();
  if (value.size() > 4 * max) return false;
  const auto* bytes = reinterpret_cast<const uint8_t*>(value.data());
  const int32_t length = static_cast<int32_t>(value.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;
    out->push_back(c);
  }
  return out->size() <= max;
}

bool IsCombiningMark(UChar32 c) { return (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0; }

// A character that shows nothing, or only moves the text around it: the default-ignorable code
// points (zero-width space, non-joiner and joiner U+200B..U+200D, word joiner U+2060, soft
// hyphen U+00AD, byte order mark U+FEFF, the grapheme joiner and variation selectors, the Hangul
// fillers) and the bidirectional controls (U+200E, U+202A..U+202E, U+2066..U+2069, U+061C). Text
// pasted from a web page or a word processor brings them; a name holding one looks like the name
// without it on every screen, while vetting and search compare it otherwise.
bool IsInvisible(UChar32 c) {
  return u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
         u_hasBinaryProperty(c, UCHAR_BIDI_CONTROL);
}

// What a clerk is told to type again after an invisible character: the name, or the text of any
// other field (an address, a reason, a case number).
constexpr absl::string_view kRetypeName = "name";
constexpr absl::string_view kRetypeText = "text";

// The rule an invisible character breaks, naming it by its code point, since the value shows
// nothing to find, and never the value itself. Worded as registry-cli words it before sending
// (client/terminal_text.cc, client/record_fields.cc), so that a clerk reads one message
// whichever side finds it; the console translates it by its start (rule.invisible).
std::string InvisibleRule(UChar32 c, absl::string_view retype) {
  return absl::StrFormat(
      "holds an invisible character (U+%04X), as text copied from a web page or a document "
      "may: type the %s again without it",
      static_cast<uint32_t>(c), retype);
}

constexpr absl::string_view kNameScriptRule =
    "each word in one alphabet: Latin or Cyrillic letters, not both";

// A space or a dash other than the plain ones a name may hold (a no-break space, an en dash, as
// text pasted from a word processor or a PDF brings): said as such, since the name then looks
// like one made of letters, spaces and hyphens only.
constexpr absl::string_view kNameLookAlikeRule =
    "holds a look-alike of a space or hyphen (a no-break space, an en dash): type a plain space "
    "or hyphen";

bool IsSeparatorLookAlike(UChar32 c) {
  const int type = u_charType(c);
  return type == U_SPACE_SEPARATOR || type == U_DASH_PUNCTUATION || c == 0x2212;  // minus
}

// An accent or a prime typed for an apostrophe (O`Brien, D´Amato): the name then prints unlike
// the one on the person's papers, and a spacing accent may as well be one lost from its letter
// (Jos´e for José), so the clerk is told what is in it and decides which was meant. The messages
// stay ASCII: the audit event keeps the first 200 bytes of a refusal, and a cut through a
// multi-byte character is no longer UTF-8.
constexpr absl::string_view kNameApostropheLookAlikeRule =
    "holds a look-alike of an apostrophe (a grave or acute accent, a prime): type a plain "
    "apostrophe (')";

bool IsApostropheLookAlike(UChar32 c) {
  return c == 0x0060 ||  // grave accent
         c == 0x00B4 ||  // acute accent
         c == 0x2032 ||  // prime
         c == 0x201B ||  // single high-reversed-9 quotation mark
         c == 0xFF07;    // fullwidth apostrophe
}

// The Icelandic eth, and the African D (Ewe, Fon), look like the Serbian D with stroke; the eth
// is also what a name written in Windows-1250 becomes when read as Windows-1252. The search keys
// fold both to "d", while D with stroke folds to "dj" (as Dj and Cyrillic Ђ do): a person entered
// with either would never be found under the name as the court writes it.
constexpr absl::string_view kNameEthRule =
    "holds a look-alike of the Serbian D with stroke (the Icelandic eth, the African D): type D "
    "with stroke or Dj, or a plain D where the person's papers have one";

bool IsDWithStrokeLookAlike(UChar32 c) {
  return c == 0x00D0 || c == 0x00F0 ||  // Icelandic eth
         c == 0x0189;                   // African D (its small letter, d with tail, looks unlike)
}

// A stroke or slash typed over a letter as a combining mark (D and U+0335 looks like D with
// stroke, O and U+0338 like O with stroke). No alphabet writes a name so, and the search keys drop
// the mark, so D with an overlaid stroke would fold to "d" where D with stroke folds to "dj".
constexpr absl::string_view kNameOverlayRule =
    "holds a stroke or slash typed over a letter (a combining overlay mark): type the letter that "
    "has it, such as D with stroke, or the plain letter";

// Canonical combining class 1: the overlay marks (U+0334..U+0338, U+20D2.., U+1CD4..).
bool IsOverlayMark(UChar32 c) { return u_getCombiningClass(c) == 1; }

// Letters of the phonetic alphabets and of historic hands (the Phonetic Extensions and their
// Supplement, Latin Extended-D and -E, the long s): small capitals, letters with a middle tilde,
// insular and superscript letters. No civil registry writes a name in them, and they look like
// letters of the alphabets a name is written in while the search keys fold them otherwise: the
// small capital eth (U+1D06) and d with middle tilde (U+1D6D) look like the Serbian D with stroke
// and fold to "d", not "dj"; the long s looks like f and folds to "s". The African letters of
// Latin Extended-B and the IPA Extensions that alphabets in use write names with (open e, hooked
// d and b, eng-like n) are letters like any other.
constexpr absl::string_view kNamePhoneticRule =
    "holds a phonetic or historic letter (a small capital, a letter with a middle tilde, an "
    "insular letter): type the letter as the person's papers write it";

// A small Latin letter with no capital is a phonetic or historic one (the small capitals ʙ ʜ ɴ ʀ
// of the IPA, the kra ĸ): no alphabet a person's papers are written in has a letter without its
// capital, and such a letter reads as another (ʙ as Cyrillic в, ĸ as к) that the search keys do
// not take it for. The sharp s is the one letter of a living alphabet whose capital is two.
constexpr UChar32 kSharpS = 0x00DF;

// The long s of historic hands, plain and with a dot above (its capital is S): it looks like f,
// and the search keys fold it to s: "ſetahu" reads as Fetahu and is compared as Setahu.
constexpr UChar32 kLongS = 0x017F;
constexpr UChar32 kLongSWithDot = 0x1E9B;

bool IsPhoneticLetter(UChar32 c) {
  if (c == kLongS || c == kLongSWithDot) return true;
  const UBlockCode block = ublock_getCode(c);
  if (block == UBLOCK_PHONETIC_EXTENSIONS || block == UBLOCK_PHONETIC_EXTENSIONS_SUPPLEMENT ||
      block == UBLOCK_LATIN_EXTENDED_D || block == UBLOCK_LATIN_EXTENDED_E) {
    return true;
  }
  if (u_charType(c) != U_LOWERCASE_LETTER || u_toupper(c) != c || c == kSharpS) return false;
  UErrorCode error = U_ZERO_ERROR;
  return uscript_getScript(c, &error) == USCRIPT_LATIN && U_SUCCESS(error);
}

// A superscript, subscript or modifier letter (Berishaª, Berʰsha): it reads as the plain letter
// raised or lowered, and the search keys fold it to that letter, so the name prints unlike the
// person's papers while it matches them. The modifier letter apostrophe is an apostrophe.
constexpr absl::string_view kNameModifierRule =
    "holds a superscript or modifier letter (a raised or lowered letter): type the plain letter";

bool IsModifierLetter(UChar32 c) {
  if (c == kModifierApostrophe || !u_isalpha(c)) return false;
  const int decomposition = u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE);
  return u_charType(c) == U_MODIFIER_LETTER || decomposition == U_DT_SUPER ||
         decomposition == U_DT_SUB;
}

// A letter of another width or typeface (fullwidth Ｂ of an East Asian keyboard, mathematical
// bold 𝐁, a circled or squared letter): it looks like the plain letter and is another character.
constexpr absl::string_view kNameStyledRule =
    "holds a fullwidth or mathematical letter (a letter of another width or typeface): type the "
    "plain letter";

bool IsStyledLetter(UChar32 c) {
  if (!u_isalpha(c)) return false;
  switch (u_getIntPropertyValue(c, UCHAR_DECOMPOSITION_TYPE)) {
    case U_DT_WIDE:
    case U_DT_NARROW:
    case U_DT_FONT:
    case U_DT_CIRCLE:
    case U_DT_SQUARE:
    case U_DT_SMALL:
      return true;
    default:
      return false;
  }
}

// A hyphen or an apostrophe at the start or the end of a name ("-Berisha", "Hoxha-", "'Ali",
// "O'") joins nothing: a name cut short or pasted with its punctuation. It prints unlike the
// person's papers while the search keys drop it, so the clerk is told to type it only between
// letters. Spaces around the name are not counted as its ends (" -Berisha" is refused too).
constexpr absl::string_view kNameEdgeRule =
    "begins or ends with a hyphen or an apostrophe: type one only between two letters, as in "
    "Hoxha-Berisha or O'Brien";

// A hyphen or an apostrophe inside a name with a space or another hyphen or apostrophe beside it
// ("Hoxha - Berisha", "Hoxha -Berisha", "Hoxha--Berisha", "O''Brien", "Hoxha-'Berisha") joins no
// two letters: a double surname or a name typed with its punctuation misplaced. It prints unlike
// the person's papers while the search keys drop the apostrophe and read a hyphen as a space, so
// the clerk is told how such a name is written.
constexpr absl::string_view kNameJoinerRule =
    "holds a hyphen or an apostrophe with a space or another hyphen or apostrophe beside it: "
    "write a double surname as Hoxha-Berisha and a name with an apostrophe as O'Brien, with a "
    "letter on each side and no space";

// A letter is written in the name at most with two marks (ệ: e, circumflex, dot below): more are
// marks piled on a letter, which no alphabet of the person's papers writes.
constexpr int kMaxMarksOnALetter = 2;
constexpr absl::string_view kNameMarksRule =
    "holds more than two accents on one letter: type the letter with the accents the person's "
    "papers show";

// The letters of the alphabets a judgment of a court of Kosovo writes a name in: Latin and
// Cyrillic. A letter of another script (Greek capitals that look Latin, ΗΟΧΗΑ for HOXHA;
// Georgian, Armenian, Arabic) makes a name no court search and no vetting under another number
// finds as the judgment writes it.
bool IsOfAnotherScript(UChar32 c) {
  UErrorCode error = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(c, &error);
  return U_SUCCESS(error) && script != USCRIPT_COMMON && script != USCRIPT_INHERITED &&
         script != USCRIPT_LATIN && script != USCRIPT_CYRILLIC;
}

// The Latin letter a Greek letter is taken for ('\0' for none): said with it, since the clerk
// sees a Latin letter there.
char LatinLookAlikeOfGreek(UChar32 c) {
  static constexpr struct {
    UChar32 greek;
    char latin;
  } kLookAlikes[] = {{0x0391, 'A'}, {0x0392, 'B'}, {0x0395, 'E'}, {0x0396, 'Z'}, {0x0397, 'H'},
                     {0x0399, 'I'}, {0x039A, 'K'}, {0x039C, 'M'}, {0x039D, 'N'}, {0x039F, 'O'},
                     {0x03A1, 'P'}, {0x03A4, 'T'}, {0x03A5, 'Y'}, {0x03A7, 'X'}, {0x03BF, 'o'},
                     {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03C1, 'p'}, {0x03C5, 'u'},
                     {0x03C7, 'x'}, {0x03B1, 'a'}};
  for (const auto& look_alike : kLookAlikes) {
    if (look_alike.greek == c) return look_alike.latin;
  }
  return '\0';
}

// The rule a letter of another script breaks, naming the script and the letter by its code
// point and Unicode name (ASCII, as every message: the audit event keeps the first 200 bytes of a
// refusal), and for a Greek look-alike the Latin letter it passes for; never the name.
std::string OtherScriptRule(UChar32 c) {
  UErrorCode error = U_ZERO_ERROR;
  const char* script = uscript_getName(uscript_getScript(c, &error));
  char name[128] = {};
  error = U_ZERO_ERROR;
  u_charName(c, U_UNICODE_CHAR_NAME, name, sizeof(name), &error);
  std::string letter = absl::AsciiStrToLower(U_SUCCESS(error) ? name : "");
  if (const char latin = LatinLookAlikeOfGreek(c); latin != '\0') {
    absl::StrAppend(&letter, ", which looks like Latin ", std::string(1, latin));
  }
  return absl::StrFormat(
      "holds a letter of another script than Latin or Cyrillic (%s, U+%04X%s%s): write the name "
      "in Latin or Cyrillic letters, as the judgment writes it",
      script == nullptr ? "" : script, static_cast<uint32_t>(c), letter.empty() ? "" : " ",
      letter);
}

// A left single quote is accepted as the right one is: word processors type it for an apostrophe
// at the start of a word, and the search keys drop both (storage/name_normalizer.h).
bool IsNameSeparator(UChar32 c) {
  return c == ' ' || c == '-' || c == kHyphen || c == '\'' || c == kLeftSingleQuote ||
         c == kRightSingleQuote || c == kModifierApostrophe;
}

// A hyphen or an apostrophe (kNameEdgeRule): the separators that join the letters around them.
bool IsNameJoiner(UChar32 c) { return c != ' ' && IsNameSeparator(c); }

// Control, format (bidi overrides, zero-width characters), private-use, unassigned and
// surrogate code points, and line/paragraph separators: invisible or layout-changing.
bool IsForbiddenInText(UChar32 c) {
  switch (u_charType(c)) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_SURROGATE:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
      return true;
    default:
      return false;
  }
}

// A country's ISO 3166-1 alpha-2 code, as ICU's region data lists them (with XK, Kosovo's
// user-assigned code, which CLDR and the EU use): "QQ" or "ZZ" has the shape and is no country.
// A country code's problem ("" for none): the upper-case rule for what is not two capital
// letters, else, for two that name no country, that (UnknownCountryCodeRule).
std::string CountryCodeProblem(absl::string_view code) {
  if (!IsCountryCodeShaped(code)) return "a country's ISO 3166-1 alpha-2 code, upper case";
  return IsCountryCode(code) ? "" : UnknownCountryCodeRule(code);
}

// A foreign court's country: required, a country's code, not Kosovo's. Two capital letters that
// name no country ("ZZ") are said to be that: "required for a foreign court" told of a code
// typed read as if none had been.
// A code that is not two capital letters is told the form of one; Kosovo's own, XK, that a court
// abroad is named with its own country's: told "required", a clerk who had typed xk read the rule
// as if nothing had been typed, and its "upper case" as a hint at the case.
absl::Status ForeignCountryProblem(absl::string_view code) {
  if (code.empty()) {
    // Worded as for a foreign court, which alone has a country (a rule the console knows).
    return Invalid("conviction.foreign_country",
                   "required for a foreign court: a country's ISO 3166-1 alpha-2 code, upper "
                   "case, not XK");
  }
  if (!IsCountryCodeShaped(code)) {
    return Invalid("conviction.foreign_country", "a country's ISO 3166-1 alpha-2 code, upper case");
  }
  if (!IsCountryCode(code)) {
    return Invalid("conviction.foreign_country", UnknownForeignCountryCodeRule(code));
  }
  if (code == "XK") {
    return Invalid("conviction.foreign_country",
                   "XK is Kosovo: a court abroad is given its own country's code (a court of "
                   "Kosovo is one of the registry's courts, not foreign)");
  }
  return absl::OkStatus();
}

// The day a person born on `birth` turns `years` old. Born on 29 February: 1 March in a common
// year (the year of age is complete only when 28 February has ended). Only ages are counted so;
// periods of years end as the codes count them (YearsAfter).
absl::CivilDay Birthday(absl::CivilDay birth, int years) {
  return absl::CivilDay(birth.year() + years, birth.month(), birth.day());
}

// A release or a ban ends on or after `from` (the judgment, or the day it became final) and
// within a century of it (a suspension's end has narrower bounds of its own). Without the upper
// bound a year like 9995 passes and the retention rules, adding decades, write a five-digit year
// that sorts before today and does not parse: the record would be erased by the next retention
// run.
inline constexpr int kMaxSentenceSpanYears = 100;

// What is known of a date other dates are counted from (the judgment, the day it became final):
// the day itself when it passed its own rules, else the days a right one could be, from
// `earliest` (nullopt: nothing known bounds it) to `latest` (today, or the day itself).
struct KnownDay {
  std::optional<absl::CivilDay> earliest;
  absl::CivilDay latest;

  // Whether `day` is on or after some day this date could be.
  bool MayBeOnOrBefore(absl::CivilDay day) const {
    return !earliest.has_value() || *earliest <= day;
  }
  // Whether `day` could lie from `min_years` to `max_years` (both inclusive, counted as the
  // codes count a period: YearsAfter) after this date: only a day outside that for every day
  // the date could be is refused.
  bool MayBeWithin(absl::CivilDay day, int min_years, int max_years) const {
    return (!earliest.has_value() || day >= YearsAfter(*earliest, min_years)) &&
           day <= YearsAfter(latest, max_years);
  }
};

// What an offence of a code not yet in force on the judgment date is told: the day it took
// effect, never the judgment date itself. The console knows it by its end (record_form.cc).
std::string CodeNotYetInForceRule(absl::string_view law, absl::CivilDay in_force) {
  return absl::StrCat("code ", law, " took effect on ", FormatDate(in_force),
                      ", after the judgment date: check the judgment date, or record the "
                      "article of the code the court applied");
}

absl::Status ValidateCaseNumber(absl::string_view field, absl::string_view value) {
  constexpr absl::string_view kRule = "1..64 letters, digits, spaces or /-.:";
  std::u32string cps;
  if (value.empty() || !DecodeUtf8(value, kMaxCaseNumberCharacters, &cps)) {
    return Invalid(field, kRule);
  }
  bool has_alnum = false;
  for (UChar32 c : cps) {
    // Pasted with the number from a document: the rule, of characters the clerk sees, would not
    // say what to delete.
    if (IsInvisible(c)) return Invalid(field, InvisibleRule(c, kRetypeText));
    // A no-break space or an en dash reads as the rule met: it is named, with what to type.
    if (const SeparatorLookAlike* look_alike = FindSeparatorLookAlike(c)) {
      return Invalid(field, SeparatorLookAlikeRule(*look_alike));
    }
    const bool alnum = u_isalpha(c) || (c >= '0' && c <= '9');
    has_alnum |= alnum;
    if (!alnum && c != ' ' && c != '/' && c != '-' && c != '.' && c != ':') {
      return Invalid(field, kRule);
    }
  }
  return has_alnum ? absl::OkStatus() : Invalid(field, kRule);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordValidator>> RecordValidator::Create(
    const ReferenceData* reference, ValidationOptions options, const Clock* clock) {
  if (reference == nullptr) return absl::InvalidArgumentError("reference data is required");
  if (clock == nullptr) return absl::InvalidArgumentError("clock is required");
  if (options.personal_number_pattern.empty()) {
    return absl::InvalidArgumentError("personal_number_pattern: must not be empty");
  }
  std::regex pattern;
  try {
    pattern = std::regex(options.personal_number_pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    return absl::InvalidArgumentError(
        "personal_number_pattern: not a valid ECMAScript regular expression");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<storage::NameNormalizer> names,
                   storage::NameNormalizer::Create());
  return std::unique_ptr<RecordValidator>(
      new RecordValidator(reference, std::move(pattern),
                          PersonalNumberRule(options.personal_number_pattern), clock,
                          std::move(names)));
}

RecordValidator::RecordValidator(const ReferenceData* reference, std::regex personal_number,
                                 std::string personal_number_rule, const Clock* clock,
                                 std::unique_ptr<storage::NameNormalizer> names)
    : reference_(reference),
      personal_number_(std::move(personal_number)),
      personal_number_rule_(std::move(personal_number_rule)),
      clock_(clock),
      names_(std::move(names)) {}

RecordValidator::~RecordValidator() = default;

// What a record's personal number that does not match is told after PersonalNumberRule: that a
// person without one cannot be recorded yet (docs/domain.md, open legal questions). A key of the
// console's catalog (client/console/record_form.cc) with the rule before it.
constexpr absl::string_view kNoPersonalNumberClause =
    ", and a person without a Kosovo personal number cannot be recorded yet (docs/domain.md)";

std::string PersonalNumberRule(absl::string_view pattern) {
  constexpr absl::string_view kRule = "does not match the personal number format";
  absl::string_view digits = pattern;
  absl::ConsumePrefix(&digits, "^");
  absl::ConsumeSuffix(&digits, "$");
  int n = 0;
  if ((absl::ConsumePrefix(&digits, "[0-9]{") || absl::ConsumePrefix(&digits, "\\d{")) &&
      absl::ConsumeSuffix(&digits, "}") && absl::SimpleAtoi(digits, &n) && n > 0) {
    return absl::StrCat(kRule, " (", n, " digits)");
  }
  return absl::StrCat(kRule, " (the pattern ", pattern, ")");
}

absl::CivilDay RecordValidator::Today() const { return KosovoDay(clock_->Now()); }

absl::Status ProblemList::Result() const {
  if (messages_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(messages_, "; "));
}

absl::Status RecordValidator::ValidatePersonalNumber(absl::string_view field,
                                                     absl::string_view value) const {
  const std::string& kRule = personal_number_rule_;
  // Pre-checked to a few printable ASCII characters before the regex sees it: libstdc++'s
  // std::regex matcher recurses per character and would exhaust the stack on long input.
  if (value.empty() || value.size() > kMaxPersonalNumberCharacters) return Invalid(field, kRule);
  for (char c : value) {
    if (c <= 0x20 || c >= 0x7f) return Invalid(field, kRule);
  }
  bool matched = false;
  try {
    matched = std::regex_match(value.begin(), value.end(), personal_number_);
  } catch (const std::regex_error&) {
    matched = false;
  }
  return matched ? absl::OkStatus() : Invalid(field, kRule);
}

bool RecordValidator::HoldsPersonalNumber(absl::string_view text) const {
  try {
    using Matches = std::regex_iterator<absl::string_view::const_iterator>;
    for (Matches m(text.begin(), text.end(), personal_number_), end; m != end; ++m) {
      if (m->length() > 0) return true;
    }
    // A number is often written in groups ("111 111 1111", "111-111-1111", "111.111.1111"): a
    // run of digit groups joined by spaces, hyphens, dots, underscores or colons (every separator
    // of the reference alphabet but the slash, one or several: "111 - 111 - 1111") whose digits
    // together are a personal number holds one. The whole run must be one: a date or a dated serial
    // ("2026-12-02-0001") is not, and a slash divides a case number's serial from its year.
    std::string digits;
    bool grouped = false;
    const auto run_holds_one = [&] {
      return grouped && std::regex_match(digits.begin(), digits.end(), personal_number_);
    };
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (absl::ascii_isdigit(c)) {
        digits.push_back(c);
        continue;
      }
      const auto is_joiner = [](char s) {
        return s == ' ' || s == '-' || s == '.' || s == '_' || s == ':';
      };
      size_t next = i;
      while (next < text.size() && is_joiner(text[next])) ++next;
      if (next > i && !digits.empty() && next < text.size() && absl::ascii_isdigit(text[next])) {
        grouped = true;
        i = next - 1;
        continue;
      }
      if (run_holds_one()) return true;
      digits.clear();
      grouped = false;
    }
    return run_holds_one();
  } catch (const std::regex_error&) {
    return true;  // cannot tell: treated as holding one, so it is not recorded
  }
}

absl::Status RecordValidator::ValidateName(absl::string_view field, absl::string_view value,
                                           bool required) {
  constexpr absl::string_view kRule = "1..100 letters, spaces, hyphens or apostrophes";
  if (value.empty()) return required ? Invalid(field, kRule) : absl::OkStatus();
  std::u32string cps;
  // The limit counts letters as the person sees them: a letter typed decomposed (NFD: e + U+0308
  // for ë) is one, its marks none. The code points, and so the bytes, are bounded too, at a few
  // marks a letter.
  if (!DecodeUtf8(value, kCodePointsPerNameLetter * kMaxNameLetters, &cps)) {
    return Invalid(field, kRule);
  }
  if (std::count_if(cps.begin(), cps.end(), [](char32_t c) { return !IsCombiningMark(c); }) >
      static_cast<std::ptrdiff_t>(kMaxNameLetters)) {
    return Invalid(field, kRule);
  }
  bool has_letter = false;
  // Each word's letters of one script: a Cyrillic letter that looks Latin inside a Latin name
  // ("Сeku" with Cyrillic С) would make the person unfindable under the name as it reads.
  UScriptCode word_script = USCRIPT_COMMON;
  bool mixed = false;
  // Whether a letter came since the last separator: a mark must stand on one.
  bool on_letter = false;
  // The marks on the last letter.
  int marks = 0;
  for (UChar32 c : cps) {
    if (IsInvisible(c)) {
      return Invalid(field, InvisibleRule(c, kRetypeName));
    } else if (IsDWithStrokeLookAlike(c)) {
      return Invalid(field, kNameEthRule);
    } else if (IsOverlayMark(c)) {
      return Invalid(field, kNameOverlayRule);
    } else if (IsPhoneticLetter(c)) {
      return Invalid(field, kNamePhoneticRule);
    } else if (IsOfAnotherScript(c)) {
      return Invalid(field, OtherScriptRule(c));
    } else if (IsModifierLetter(c)) {
      return Invalid(field, kNameModifierRule);
    } else if (IsStyledLetter(c)) {
      return Invalid(field, kNameStyledRule);
    } else if (u_isalpha(c)) {
      has_letter = true;
      on_letter = true;
      marks = 0;
      UErrorCode error = U_ZERO_ERROR;
      const UScriptCode script = uscript_getScript(c, &error);
      if (U_SUCCESS(error) && script != USCRIPT_COMMON && script != USCRIPT_INHERITED) {
        if (word_script == USCRIPT_COMMON) {
          word_script = script;
        } else if (word_script != script) {
          mixed = true;
        }
      }
    } else if (IsNameSeparator(c)) {
      word_script = USCRIPT_COMMON;
      on_letter = false;
    } else if (IsSeparatorLookAlike(c)) {
      return Invalid(field, kNameLookAlikeRule);
    } else if (IsApostropheLookAlike(c)) {
      return Invalid(field, kNameApostropheLookAlikeRule);
    } else if (!IsCombiningMark(c) || !on_letter) {
      // Neither a letter nor a separator; or a mark with no letter under it (at the start of a
      // word): such a name looks like another and vetting compares it without them.
      return Invalid(field, kRule);
    } else if (++marks > kMaxMarksOnALetter) {
      return Invalid(field, kNameMarksRule);
    }
  }
  if (!has_letter) return Invalid(field, kRule);
  const auto first = std::find_if(cps.begin(), cps.end(), [](char32_t c) { return c != ' '; });
  const auto last = std::find_if(cps.rbegin(), cps.rend(), [](char32_t c) { return c != ' '; });
  if (IsNameJoiner(*first) || IsNameJoiner(*last)) return Invalid(field, kNameEdgeRule);
  // Inside the name (its ends checked above), each hyphen or apostrophe stands between a letter,
  // or a letter's mark, and a letter.
  for (size_t i = 1; i + 1 < cps.size(); ++i) {
    if (IsNameJoiner(cps[i]) && (IsNameSeparator(cps[i - 1]) || IsNameSeparator(cps[i + 1]))) {
      return Invalid(field, kNameJoinerRule);
    }
  }
  return mixed ? Invalid(field, kNameScriptRule) : absl::OkStatus();
}

absl::Status RecordValidator::ValidateDate(absl::string_view field, absl::string_view value,
                                           bool required) {
  if (value.empty()) {
    return required ? Invalid(field, "required, a date YYYY-MM-DD") : absl::OkStatus();
  }
  if (!ParseDate(value).ok()) {
    return Invalid(field, "must be a real date YYYY-MM-DD from 1900-01-01");
  }
  return absl::OkStatus();
}

absl::Status RecordValidator::ValidateText(absl::string_view field, absl::string_view value,
                                           size_t min, size_t max) {
  const std::string rule =
      absl::StrCat(min, "..", max, " characters of valid UTF-8, no control characters");
  std::u32string cps;
  if (!DecodeUtf8(value, max, &cps) || cps.size() < min) return Invalid(field, rule);
  bool visible = false;
  for (UChar32 c : cps) {
    // Said by its code point, as in a name: "no control characters" told of text holding none
    // the clerk can see (a zero-width space, a right-to-left override) sent them looking for one.
    if (IsInvisible(c)) return Invalid(field, InvisibleRule(c, kRetypeText));
    if (IsForbiddenInText(c)) return Invalid(field, rule);
    if (!u_isUWhiteSpace(c)) visible = true;
  }
  // A required text of spaces only (a foreign court named " ") is as good as empty.
  if (min > 0 && !visible) return Invalid(field, rule);
  return absl::OkStatus();
}

absl::Status RecordValidator::ValidateRecordId(absl::string_view field,
                                               absl::string_view value) {
  constexpr absl::string_view kRule = "32 lowercase hex characters";
  if (!storage::IsRegistryId(value)) return Invalid(field, kRule);
  return absl::OkStatus();
}

absl::Status RecordValidator::ValidateCandidate(absl::string_view personal_number,
                                                absl::string_view surname,
                                                absl::string_view given_name,
                                                absl::string_view birth_date) const {
  ProblemList problems;
  problems.Add(ValidatePersonalNumber("personal_number", personal_number));
  problems.Add(ValidateName("surname", surname, /*required=*/true));
  problems.Add(ValidateName("given_name", given_name, /*required=*/true));
  problems.Add(ValidateBirthDate("birth_date", birth_date));
  return problems.Result();
}

absl::Status RecordValidator::BirthDateBefore(absl::string_view field, absl::string_view value,
                                              absl::CivilDay today) {
  RETURN_IF_ERROR(ValidateDate(field, value, /*required=*/true));
  if (*ParseDate(value) >= today) return Invalid(field, "must be before today");
  return absl::OkStatus();
}

absl::Status RecordValidator::ValidateBirthDate(absl::string_view field,
                                                absl::string_view value) const {
  return BirthDateBefore(field, value, Today());
}

absl::Status RecordValidator::ValidateRecord(const v1::Person& person,
                                             const v1::Conviction& conviction,
                                             const std::vector<std::string>& amended) const {
  const absl::CivilDay today = Today();
  ProblemList problems;
  // An amendment that leaves the names as they were is not held to the count of name words: a
  // record stored before that rule is kept, and its other fields can still be corrected.
  const bool names_amended =
      amended.empty() ||
      std::any_of(amended.begin(), amended.end(), [](const std::string& path) {
        return path == "person" || path == "person.surname" || path == "person.given_name" ||
               path == "person.aliases";
      });
  RETURN_IF_ERROR(ValidatePerson(person, today, names_amended, &problems));
  // The rules that compare a conviction's dates with the person's age need a birth date that is
  // itself right; a wrong one is reported once, not again through every date compared with it.
  // One in the future (a real day) still has a judgment up to today before it (below).
  const absl::StatusOr<absl::CivilDay> birth = ParseDate(person.birth_date());
  const auto amends = [&](absl::string_view message, absl::string_view field) {
    return std::any_of(amended.begin(), amended.end(), [&](const std::string& path) {
      return path == message || path == absl::StrCat(message, ".", field);
    });
  };
  // A judgment before the 14th birthday is said of the date an amendment moved, when it moved
  // one and not the other: the one it left was right before. Else (a new record, or both moved)
  // either may be the wrong one, and both are named.
  const bool birth_moved = amends("person", "birth_date");
  const bool judgment_moved = amends("conviction", "judgment_date");
  const bool juvenile_moved = amends("conviction", "juvenile");
  ValidateConviction(conviction,
                     birth.ok() && *birth < today ? std::optional<absl::CivilDay>(*birth)
                                                  : std::nullopt,
                     /*birth_not_past=*/birth.ok() && *birth >= today, today,
                     UnderAgeBlame{!judgment_moved || birth_moved,
                                          !birth_moved || judgment_moved,
                                          juvenile_moved && !birth_moved && !judgment_moved},
                     &problems);
  return problems.Result();
}

absl::Status RecordValidator::ValidatePerson(const v1::Person& p, absl::CivilDay today,
                                             bool count_names, ProblemList* problems) const {
  const absl::Status surname_rule = ValidateName("person.surname", p.surname(), true);
  const absl::Status given_name_rule = ValidateName("person.given_name", p.given_name(), true);
  problems->Add(surname_rule);
  problems->Add(given_name_rule);
  bool names_valid = surname_rule.ok() && given_name_rule.ok();
  problems->Add(ValidateName("person.father_name", p.father_name(), /*required=*/false));
  // A list over its limit is said so, and its entries up to the limit are checked all the same,
  // so that one answer names what else there is to correct (and no more than the limit's worth).
  if (p.aliases_size() > kMaxAliases) {
    problems->Add(Invalid("person.aliases", "at most 10"));
    names_valid = false;
  }
  // An alias is another name the person used: one that is the surname again, or another alias
  // again, as the registry compares names (GASHI is Gashi, Петровић is Petrović), is refused as
  // a repeated citizenship is, naming the later entry.
  const auto normalized = [&](absl::string_view name) -> std::string {
    absl::StatusOr<std::string> canonical = names_->Normalize(name);
    return canonical.ok() ? *std::move(canonical) : "";
  };
  const std::string surname =
      p.aliases_size() > 0 && ValidateName("person.surname", p.surname(), true).ok()
          ? normalized(p.surname())
          : "";
  std::set<std::string> aliases;
  for (int i = 0; i < std::min(p.aliases_size(), kMaxAliases); ++i) {
    const std::string field = absl::StrCat("person.aliases[", i, "]");
    const absl::Status name = ValidateName(field, p.aliases(i), /*required=*/true);
    if (!name.ok()) {
      problems->Add(name);
      names_valid = false;
      continue;
    }
    const std::string alias = normalized(p.aliases(i));
    if (alias.empty()) continue;
    if (alias == surname) {
      problems->Add(Invalid(field,
                            "the surname again (names compare without case, accents or "
                            "alphabet): an alias is another name the person used"));
    } else if (!aliases.insert(alias).second) {
      problems->Add(Invalid(field,
                            "duplicate: another alias is the same name (names compare without "
                            "case, accents or alphabet)"));
    }
  }
  // The name tokens the record would file for the vetting check to compare, counted by the
  // store's own functions: at most kMaxNameTokensOfARecord, within the work every check is
  // levelled to, and a head read well inside the fixed span, so that no record's head tells
  // itself from none by the time its read takes (one of ten aliases of six words would file
  // twenty times as many). Aliases take a record past it: a surname and a given name alone file
  // fewer than a thousand. A name the store cannot normalise is refused when it is filed.
  if (count_names && names_valid && p.aliases_size() > 0) {
    const absl::StatusOr<size_t> filed =
        storage::RecordStore::VettingNameTokenCount(*names_, p);
    if (!filed.ok() && !absl::IsInvalidArgument(filed.status())) return filed.status();
    if (filed.ok() && *filed > storage::RecordStore::kMaxNameTokensOfARecord) {
      // How far over, in counts only: never a name.
      const auto grouped = [](size_t n) {
        std::string digits = absl::StrCat(n);
        for (size_t at = digits.size(); at > 3; at -= 3) digits.insert(at - 3, ",");
        return digits;
      };
      problems->Add(Invalid(
          "person.aliases",
          absl::StrCat("too many name words across the aliases: drop an alias, or words of the "
                       "aliases or of the name (these names file ",
                       grouped(*filed), " index entries; at most ",
                       grouped(storage::RecordStore::kMaxNameTokensOfARecord), ")")));
    }
  }
  if (p.sex() != registry::v1::SEX_FEMALE && p.sex() != registry::v1::SEX_MALE) {
    problems->Add(Invalid("person.sex", "required: female or male"));
  }
  problems->Add(BirthDateBefore("person.birth_date", p.birth_date(), today));
  problems->Add(
      ValidateText("person.birth_place", p.birth_place(), 0, kMaxBirthPlaceCharacters));
  if (p.citizenships_size() > kMaxCitizenships) {
    problems->Add(Invalid("person.citizenships", "at most 5"));
  }
  std::set<std::string> citizenships;
  for (int i = 0; i < std::min(p.citizenships_size(), kMaxCitizenships); ++i) {
    const std::string field = absl::StrCat("person.citizenships[", i, "]");
    if (const std::string problem = CountryCodeProblem(p.citizenships(i)); !problem.empty()) {
      problems->Add(Invalid(field, problem));
    } else if (!citizenships.insert(p.citizenships(i)).second) {
      problems->Add(Invalid(field, "duplicate"));
    }
  }
  // Records are grouped by the Kosovo personal number: a person without one (a foreign national
  // convicted in Kosovo) cannot be recorded yet, which a clerk missing it is told, as an open
  // question of docs/domain.md. A candidate's number is refused without it.
  if (!ValidatePersonalNumber("person.personal_number", p.personal_number()).ok()) {
    problems->Add(Invalid("person.personal_number",
                          absl::StrCat(personal_number_rule_, kNoPersonalNumberClause)));
  }
  problems->Add(ValidateText("person.last_known_address", p.last_known_address(), 0,
                             kMaxAddressCharacters));
  return absl::OkStatus();
}

void RecordValidator::ValidateConviction(const v1::Conviction& c,
                                         std::optional<absl::CivilDay> birth,
                                         bool birth_not_past, absl::CivilDay today,
                                         UnderAgeBlame under_age, ProblemList* problems) const {
  // Court, and the foreign court's name and country exactly when the court is foreign.
  const registry::v1::CourtEntry* court =
      c.court_id().size() <= ReferenceData::kMaxCourtIdBytes ? reference_->FindCourt(c.court_id())
                                                             : nullptr;
  if (court == nullptr) {
    problems->Add(Invalid("conviction.court_id", "not in the court table"));
    // Whether the foreign court's fields are required or must be empty is not known: what is
    // given is held to the rules it would meet for a foreign court.
    if (!c.foreign_court().empty()) {
      problems->Add(ValidateText("conviction.foreign_court", c.foreign_court(), 1,
                                 kMaxForeignCourtCharacters));
    }
    if (!c.foreign_country().empty()) problems->Add(ForeignCountryProblem(c.foreign_country()));
  } else if (court->foreign()) {
    // Empty, the court's name is missing, as registry-cli says before sending: "1..200
    // characters" read as a rule about a value the clerk had typed (an amendment that moved a
    // record abroad left the name it never had).
    problems->Add(
        c.foreign_court().empty()
            ? Invalid("conviction.foreign_court", "required for a foreign court: its name")
            : ValidateText("conviction.foreign_court", c.foreign_court(), 1,
                           kMaxForeignCourtCharacters));
    problems->Add(ForeignCountryProblem(c.foreign_country()));
  } else {
    if (!c.foreign_court().empty()) {
      problems->Add(
          Invalid("conviction.foreign_court", "must be empty unless the court is foreign"));
    }
    if (!c.foreign_country().empty()) {
      problems->Add(
          Invalid("conviction.foreign_country", "must be empty unless the court is foreign"));
    }
  }
  problems->Add(ValidateCaseNumber("conviction.case_number", c.case_number()));

  // Dates: 14th birthday <= judgment <= final <= today. A date that is wrong is reported once,
  // and the rules that compare another date with it use what is known of it instead: the days a
  // right one could be (not before the dates it follows, nor after today). So a date that no
  // right judgment or final date could make valid is named in the same answer (a ban ending
  // before the judgment, whatever the final date becomes), and one that some could is not.
  // `judgment` and `final_day` hold only dates that passed their own rules; the rules that need
  // the day itself (the juvenile flag, the law in force) are left out without it.
  const absl::Status judgment_status =
      ValidateDate("conviction.judgment_date", c.judgment_date(), /*required=*/true);
  problems->Add(judgment_status);
  std::optional<absl::CivilDay> judgment;
  // A judgment (not in the future) before the 14th birthday: the birth date or the judgment date
  // is wrong, and the dates that follow the judgment are held to it as typed, so that a final
  // date after it is not called one before it. (They were held to the 14th birthday, which a
  // birth date typed 2020 for 1980 put years after a right final date, and the final date was
  // named while the birth date was not.)
  std::optional<absl::CivilDay> judgment_under_age;
  // Whether the judgment date was named for a birth date in the future (below).
  bool judgment_before_birth = false;
  if (judgment_status.ok()) {
    const absl::CivilDay day = *ParseDate(c.judgment_date());
    if (day > today) {
      problems->Add(Invalid("conviction.judgment_date",
                            "must be on or after the person's 14th birthday and not in the "
                            "future"));
    } else if (birth.has_value() && day < Birthday(*birth, kMinAgeOfResponsibility)) {
      judgment_under_age = day;
      // Each date that may be the wrong one is named: told of the judgment alone, a clerk who
      // had mistyped the birth year looked for the mistake in a judgment date that was right.
      if (under_age.birth_date) {
        problems->Add(Invalid("person.birth_date",
                              "makes the person under 14 on the judgment date (no one is "
                              "convicted under 14): check the date of birth"));
      }
      if (under_age.judgment_date) {
        problems->Add(Invalid("conviction.judgment_date",
                              "must be on or after the person's 14th birthday and not in the "
                              "future"));
      }
    } else {
      // A birth date in the future, named as that: a judgment up to today is before the birth,
      // which no right pair of dates makes, so the judgment date is named too (either may be
      // the wrong one), as for a judgment before the 14th birthday. The birth date is named
      // once. Its day is still the judgment as typed for the rules that need it alone (the
      // court that judged then, the law in force, the dates that follow it); those that compare
      // it with the person's age are left out without a right birth date.
      if (birth_not_past && under_age.judgment_date) {
        problems->Add(Invalid("conviction.judgment_date",
                              "must be on or after the person's 14th birthday and not in the "
                              "future"));
        judgment_before_birth = true;
      }
      judgment = day;
    }
  }
  const KnownDay judgment_known =
      judgment.has_value()            ? KnownDay{judgment, *judgment}
      : judgment_under_age.has_value() ? KnownDay{judgment_under_age, *judgment_under_age}
                                       : KnownDay{birth.has_value()
                                                      ? std::optional<absl::CivilDay>(Birthday(
                                                            *birth, kMinAgeOfResponsibility))
                                                      : std::nullopt,
                                                  today};
  const absl::Status final_status =
      ValidateDate("conviction.final_date", c.final_date(), /*required=*/true);
  problems->Add(final_status);
  std::optional<absl::CivilDay> final_day;
  if (final_status.ok()) {
    const absl::CivilDay day = *ParseDate(c.final_date());
    if (!judgment_known.MayBeOnOrBefore(day) || day > today) {
      // A final date before a judgment date that is right itself: either may be the wrong one
      // (a judgment typed for its final date, a year slipped in either), so both are named.
      if (judgment.has_value() && day < *judgment && !judgment_before_birth) {
        problems->Add(Invalid("conviction.judgment_date",
                              "is after the date the judgment became final: check both dates, "
                              "either may be the wrong one"));
      }
      problems->Add(Invalid("conviction.final_date",
                            "must be on or after the judgment date and not in the future"));
    } else {
      final_day = day;
    }
  }
  const KnownDay final_known = final_day.has_value() ? KnownDay{final_day, *final_day}
                                                     : KnownDay{judgment_known.earliest, today};

  // A court of Kosovo that did not judge on the judgment date (courts.json valid_from, valid_to):
  // on 1 January 2013 the Basic Courts and the Court of Appeals took over from the District
  // Courts and the Municipal Courts (Law 03/L-199 on Courts). A Basic Court's judgment of 2012,
  // or a District Court's of 2014, is a court or a date chosen wrongly: the court is named, the
  // clerk told which courts judged then and to check both. The judgment date is left unnamed, as
  // either may be the wrong one and the court is the field a clerk picks from a list.
  if (judgment.has_value() && court != nullptr && !court->foreign()) {
    switch (ReferenceData::CourtJudgedOn(*court, *judgment)) {
      case ReferenceData::CourtDay::kNotYet:
        problems->Add(Invalid("conviction.court_id",
                              "did not judge yet on the judgment date (the Basic Courts and the "
                              "Court of Appeals judge from 1 January 2013, the District Courts "
                              "and the Municipal Courts before it): check the court and the "
                              "judgment date"));
        break;
      case ReferenceData::CourtDay::kNoLonger:
        problems->Add(Invalid("conviction.court_id",
                              "no longer judged on the judgment date (the District Courts and "
                              "the Municipal Courts judged until 31 December 2012, the Basic "
                              "Courts and the Court of Appeals since): check the court and the "
                              "judgment date"));
        break;
      case ReferenceData::CourtDay::kJudged:
        break;
    }
  }

  // An offence of a code not yet in force on the judgment date (below): a court of Kosovo cannot
  // have applied a code before it took effect, so the judgment date is named with the offence,
  // either being the wrong one (a judgment typed 2018 for 2019 steered the clerk to record
  // another code's article). Said once, of the first such offence, with the day its code took
  // effect; never the judgment date itself.
  // The codes of the paragraphs of `o`'s article the table lists, when it lists the article
  // by its paragraphs alone (06/L-074 art. 234, whose paragraphs 3 to 5 concern a child): in
  // the table's order, "06/L-074:234:1", ...; empty for an article the table does not hold at
  // all. Only the table's own codes are said, never what was typed.
  const auto paragraph_codes = [&](const registry::v1::Offence& o) {
    std::vector<std::string> codes;
    for (const registry::v1::OffenceEntry& e : reference_->RegistrableOffences()) {
      if (e.law() == o.law() && e.article() == o.article() && e.paragraph() != 0) {
        codes.push_back(absl::StrCat(e.law(), ":", e.article(), ":", e.paragraph()));
      }
    }
    return codes;
  };
  // An offence of the table, or an article the table lists by its paragraphs alone given whole
  // or by another paragraph: its code is known either way, and whether the code was in force is
  // said with the missing paragraph, not hidden behind it.
  const auto code_known = [&](const registry::v1::Offence& o) {
    if (o.law().size() > kMaxLawCharacters || o.article() < 1 || o.article() > kMaxArticle ||
        o.paragraph() > kMaxParagraph) {
      return false;
    }
    return reference_->FindOffence(o.law(), o.article(), o.paragraph()) != nullptr ||
           !paragraph_codes(o).empty();
  };
  const auto not_yet_in_force =
      [&](const registry::v1::Offence& o) -> std::optional<absl::CivilDay> {
    if (!judgment.has_value() || court == nullptr || court->foreign() || !code_known(o) ||
        !reference_->SomeLawInForceOn(*judgment)) {
      return std::nullopt;
    }
    const std::optional<absl::CivilDay> in_force = reference_->LawInForceFrom(o.law());
    if (!in_force.has_value() || *judgment >= *in_force) return std::nullopt;
    return in_force;
  };
  for (int i = 0; i < std::min(c.offences_size(), kMaxOffences); ++i) {
    const registry::v1::Offence& o = c.offences(i);
    if (const std::optional<absl::CivilDay> in_force = not_yet_in_force(o)) {
      problems->Add(Invalid("conviction.judgment_date",
                            absl::StrCat("is before ", FormatDate(*in_force), ", the day code ",
                                         o.law(), " of an offence took effect: check the "
                                         "judgment date, and the offence's code")));
      break;
    }
  }

  // Offences: 1..20, each in the table, no repeats (the first 20 of too many checked too).
  if (c.offences().empty() || c.offences_size() > kMaxOffences) {
    problems->Add(Invalid("conviction.offences", "1..20 offences"));
  }
  std::set<std::tuple<std::string, uint32_t, uint32_t>> offences;
  // The articles (law, article) the offences before the one checked name whole (paragraph 0),
  // and those they name by a paragraph.
  std::set<std::pair<std::string, uint32_t>> named_whole;
  std::set<std::pair<std::string, uint32_t>> named_by_paragraph;
  for (int i = 0; i < std::min(c.offences_size(), kMaxOffences); ++i) {
    const registry::v1::Offence& o = c.offences(i);
    const std::string field = absl::StrCat("conviction.offences[", i, "]");
    const bool in_range =
        o.article() >= 1 && o.article() <= kMaxArticle && o.paragraph() <= kMaxParagraph;
    const bool in_table =
        in_range &&
        o.law().size() <= kMaxLawCharacters &&  // "NN/L-NNN": longer is no law's number
        reference_->FindOffence(o.law(), o.article(), o.paragraph()) != nullptr;
    const std::pair<std::string, uint32_t> article(o.law(), o.article());
    if (!in_range) {
      // The text is a key of the console's catalog (client/console/catalog.cc): spelled out.
      problems->Add(Invalid(field, "article must be 1..999 and paragraph 0..99"));
    } else if (!in_table) {
      // An article the table lists by its paragraphs alone, given whole (the paragraph left out
      // or 0, which elsewhere means the whole article) or by a paragraph it does not list: the
      // clerk is told the paragraphs to choose from, not the whole table.
      // A code not yet in force on the judgment date is said first, as for an offence of the
      // table: the more fundamental of the two, since a paragraph of that code would be refused
      // as well.
      const std::vector<std::string> codes = paragraph_codes(o);
      if (codes.empty()) {
        problems->Add(Invalid(field, "not in the offence table"));
      } else {
        if (const std::optional<absl::CivilDay> in_force = not_yet_in_force(o)) {
          problems->Add(Invalid(field, CodeNotYetInForceRule(o.law(), *in_force)));
        }
        problems->Add(Invalid(field, absl::StrCat(o.law(), " article ", o.article(),
                                                  kRecordedByParagraph,
                                                  absl::StrJoin(codes, ", "))));
      }
    } else if (!offences.emplace(o.law(), o.article(), o.paragraph()).second) {
      problems->Add(Invalid(field, "duplicate offence"));
    } else if ((o.paragraph() == 0 ? named_by_paragraph : named_whole).count(article) > 0) {
      // An article named whole and by a paragraph of it: the whole article holds the paragraph,
      // so one of the two repeats the other (the article ticked, then its paragraph typed), and
      // a certificate would list the offence twice. Said of the later of the two. A key of the
      // console's catalog too.
      problems->Add(Invalid(field,
                            "is the same article as another offence, one whole (paragraph 0) and "
                            "one by its paragraph: give the paragraphs the judgment names, or the "
                            "whole article alone"));
    } else if (const std::optional<absl::CivilDay> in_force = not_yet_in_force(o)) {
      // A court of Kosovo cannot have applied a code before it took effect: the article
      // numbers differ between the codes, so the wrong code records another offence. Before
      // the earliest code of the table took effect, the table has no code of the time and the
      // conviction is recorded under its equivalent (deploy/reference/README.md). A foreign
      // conviction is recorded as its Kosovo equivalent, under any code.
      problems->Add(Invalid(field, CodeNotYetInForceRule(o.law(), *in_force)));
    }
    if (in_table) (o.paragraph() == 0 ? named_whole : named_by_paragraph).insert(article);
  }

  // Sentence.
  // Without a known type, the rules that depend on it (months, a release, a suspension's end) are
  // held to what some type allows: only what no type could make right is named with it, not
  // a length or a date the right type would take.
  const registry::v1::SentenceType type = c.sentence().type();
  const bool type_known = type != registry::v1::SENTENCE_TYPE_UNSPECIFIED &&
                          registry::v1::SentenceType_IsValid(type);
  if (!type_known) problems->Add(Invalid("conviction.sentence.type", "required"));
  const bool has_length = type == registry::v1::SENTENCE_TYPE_IMPRISONMENT ||
                          type == registry::v1::SENTENCE_TYPE_SUSPENDED;
  if (!type_known) {
    if (c.sentence().months() > kMaxSentenceMonths) {
      problems->Add(Invalid("conviction.sentence.months",
                            "1..600 for imprisonment or a suspended sentence"));
    }
  } else if (has_length) {
    if (c.sentence().months() < 1 || c.sentence().months() > kMaxSentenceMonths) {
      // A key of the console's catalog too.
      problems->Add(Invalid("conviction.sentence.months",
                            "1..600 for imprisonment or a suspended sentence"));
    } else if (type == registry::v1::SENTENCE_TYPE_SUSPENDED &&
               c.sentence().months() > kMaxSuspendedMonths) {
      // A suspended sentence is a term of imprisonment of up to two years, not served unless the
      // person reoffends within a verification period of one to five years: more months are the
      // verification period typed as the term, which dates the record from the wrong day.
      problems->Add(Invalid("conviction.sentence.months",
                            "1..24 for a suspended sentence (the term of imprisonment, at most "
                            "two years); the end of its verification period is a date of its "
                            "own"));
    }
  } else if (type == registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT &&
             c.sentence().months() != 0) {
    // Months typed with life imprisonment are a term of imprisonment chosen wrongly, or a slip:
    // said so, not "only imprisonment has a length", which life imprisonment is.
    // A key of the console's catalog too.
    problems->Add(Invalid("conviction.sentence.months",
                          "must be empty for life imprisonment: it has no length in months"));
  } else if (c.sentence().months() != 0) {
    // Said as what the clerk does: no client takes 0 months (registry-cli's --months is 1..600,
    // the console's field is left empty), so "must be 0" could not be acted on.
    problems->Add(Invalid("conviction.sentence.months",
                          "must be empty for this sentence: only imprisonment or a suspended "
                          "sentence has a length in months"));
  }

  // Bans: each typed, ending on or after final_date, or for life.
  if (c.bans_size() > kMaxBans) problems->Add(Invalid("conviction.bans", "at most 10"));
  for (int i = 0; i < std::min(c.bans_size(), kMaxBans); ++i) {
    const registry::v1::AccessoryBan& ban = c.bans(i);
    const std::string field = absl::StrCat("conviction.bans[", i, "]");
    if (ban.type() == registry::v1::BAN_TYPE_UNSPECIFIED ||
        !registry::v1::BanType_IsValid(ban.type())) {
      problems->Add(Invalid(absl::StrCat(field, ".type"), "required"));
    }
    if (ban.end_date().empty()) continue;
    const absl::StatusOr<absl::CivilDay> end = ParseDate(ban.end_date());
    if (!end.ok() || !final_known.MayBeWithin(*end, 0, kMaxSentenceSpanYears)) {
      problems->Add(Invalid(absl::StrCat(field, ".end_date"),
                            "empty (for life) or a date YYYY-MM-DD on or after the date the "
                            "judgment became final, within 100 years of it"));
    }
  }

  // Release: only from imprisonment, not before the judgment. Each rule is said on its own, the
  // one the record breaks: "only with imprisonment" told of an imprisonment's date out of range
  // sent the clerk to a sentence that was already right.
  if (!c.release_date().empty()) {
    const absl::StatusOr<absl::CivilDay> release = ParseDate(c.release_date());
    // Life imprisonment is imprisonment: a conditional release is recorded as for a term.
    if (type_known && type != registry::v1::SENTENCE_TYPE_IMPRISONMENT &&
        type != registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT) {
      problems->Add(Invalid("conviction.release_date",
                            "must be empty unless the sentence is imprisonment or life "
                            "imprisonment"));
    } else if (!release.ok() ||
               !judgment_known.MayBeWithin(*release, 0, kMaxSentenceSpanYears)) {
      problems->Add(Invalid("conviction.release_date",
                            "a date YYYY-MM-DD on or after the judgment date, within 100 years "
                            "of it"));
    } else if (*release > today) {
      // The day the person was released, if they were: one still to come is a planned date (or
      // a slip), and as the start of the retention periods it would keep the record for as
      // long again.
      problems->Add(Invalid("conviction.release_date",
                            "the day of release, if released: not in the future"));
    }
  }

  // The end of a suspended sentence's verification period: only for a suspended sentence, and
  // one to five years (both inclusive) after the day the judgment became final, from which the
  // Code counts the period. A date outside that is a typing slip (the judgment's date, the term's
  // end), and the retention rules would count their years from it. The years are counted as the
  // Code counts a period (YearsAfter): from 29 February, one year ends on 28 February.
  // As for the release, the rule the record breaks is the one said.
  if (!c.suspension_end_date().empty()) {
    const absl::StatusOr<absl::CivilDay> end = ParseDate(c.suspension_end_date());
    if (type_known && type != registry::v1::SENTENCE_TYPE_SUSPENDED) {
      problems->Add(Invalid("conviction.suspension_end_date",
                            "must be empty unless the sentence is suspended"));
    } else if (!end.ok() ||
               !final_known.MayBeWithin(*end, kMinVerificationYears, kMaxVerificationYears)) {
      problems->Add(Invalid("conviction.suspension_end_date",
                            "a date YYYY-MM-DD one to five years after the date the judgment "
                            "became final"));
    }
  }

  // Juvenile: anyone under 18 on the judgment day is a juvenile (the converse does not hold:
  // a juvenile offender may be tried after turning 18).
  // A person under 18 on the judgment date not marked juvenile: the birth date or the judgment
  // date may be the wrong one (a birth year typed 2005 for 1985), and marking the record
  // juvenile would then shorten its visibility to a juvenile's. Each date that may be wrong is
  // named before the flag, as for a judgment before the 14th birthday: told of the flag alone, a
  // clerk answered yes to it.
  if (!c.juvenile() && birth.has_value() && judgment.has_value() &&
      *judgment < Birthday(*birth, kAdultAge)) {
    if (under_age.birth_date && !under_age.juvenile_alone) {
      problems->Add(Invalid("person.birth_date",
                            "makes the person under 18 on the judgment date: check the date "
                            "of birth before marking the conviction juvenile"));
    }
    if (under_age.judgment_date && !under_age.juvenile_alone) {
      problems->Add(Invalid("conviction.judgment_date",
                            "is before the person's 18th birthday: check the judgment date "
                            "before marking the conviction juvenile"));
    }
    problems->Add(Invalid("conviction.juvenile",
                          "must be true when the person was under 18 on the judgment date, if "
                          "the date of birth and the judgment date are right"));
  }
  // Life imprisonment is not pronounced on a juvenile (juvenile courts impose juvenile measures
  // or juvenile imprisonment, a term): one of the two is a slip, and either way the record's
  // dates would be the other's. A key of the console's catalog too.
  if (c.juvenile() && type == registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT) {
    problems->Add(Invalid("conviction.sentence.type",
                          "life imprisonment is not a juvenile's sentence: check the sentence "
                          "and the juvenile flag"));
  } else if (type == registry::v1::SENTENCE_TYPE_LIFE_IMPRISONMENT && birth.has_value() &&
             judgment.has_value() && *judgment < Birthday(*birth, kMinAgeForLifeImprisonment)) {
    // Life-long imprisonment is not imposed on a person under 21 when the offence was committed
    // (the Criminal Codes 04/L-082 and 06/L-074, in their article on life-long imprisonment;
    // docs/domain.md). The record holds no date of the offence: the judgment date is the latest
    // it can be, so a person under 21 on the judgment date was under 21 at the offence. (One
    // over 21 on the judgment date may still have been under 21 at the offence: not refused.)
    // The sentence is named, with the two dates that decide the age, either being possibly the
    // wrong one.
    problems->Add(Invalid("conviction.sentence.type",
                          "life imprisonment is not imposed on a person under 21 at the time of "
                          "the offence, and the person was under 21 on the judgment date: check "
                          "the sentence, the date of birth and the judgment date"));
  }
}

}  // namespace registry::server
