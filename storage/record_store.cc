#include "storage/record_store.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <set>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_cat.h"
#include "common/deterministic_bytes.h"
#include "common/json_log.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/hmac.h"
#include "crypto/record_cipher.h"
#include "google/protobuf/io/coded_stream.h"
#include "storage/ids.h"

namespace registry::storage {
namespace {

using registry::v1::Record;
using registry::v1::RecordStatus;

constexpr char kPersonalNumber = 'p';
constexpr char kName = 'n';
constexpr char kDedup = 'd';
constexpr char kLoose = 'l';
// Each alias of the person in the surname's place (Person.aliases), exact and loose: searched
// after 'n' and 'l', by the court's name search only.
constexpr char kAlias = 'a';
constexpr char kAliasLoose = 'b';
// Each word of a given name of more than one word in the given name's place, exact (the name
// index's token, as 'n'): read by vetting only, so that a candidate named by one of the given
// names is referred. The loose tokens of the words go under 'l' and 'b'.
constexpr char kGivenWord = 'w';
// The other ways the person's name is written (StoredHead.name_variant_tokens), exact: read by
// vetting only, so that a candidate who gives the name's words in the other field, a field's
// words joined, one of two surnames, or any two of the name's words, is referred.
constexpr char kNameVariant = 'v';
// The same ways of being written in the loose form (StoredHead.loose_variant_tokens, the loose
// index's tokens): read by the court's name search only, never by vetting, so that another
// spelling of one of two surnames, of the fields swapped or of any two words is a possible match.
constexpr char kLooseVariant = 'u';
// The label of a name's words in any order (NameVariantTokens): a hyphen, which no canonical
// name holds (NameNormalizer turns hyphens into spaces), so the token is no name's NameToken.
constexpr char kAnyOrderLabel[] = "any-order|";
// The label of two distinct words of a name, sorted (NameWordPairTokens): a hyphen too, and
// another label than kAnyOrderLabel's, so the token is neither a name's NameToken nor the token
// of a name's words in any order.
constexpr char kWordPairLabel[] = "word-pair|";
// No alias rows to search (a personal number).
constexpr char kNoAliases = 0;
// An expunged record's uniqueness token (court, case number, personal number), kept after the
// record is gone so that the same conviction cannot be entered again: an expunged record never
// comes back, by a clerk's create, an import re-run or an amendment. The row holds a MAC only.
constexpr char kErased = 'x';
constexpr size_t kRecordIdSize = kIdSize;  // hex characters
constexpr char kFieldSet[] = "person,conviction,reason,dates,author";
constexpr char kKeyCheckKey[] = "keys/check";
constexpr char kSchemaKey[] = "schema/version";
constexpr const char* kSchemaVersion = kCurrentStorageSchema;
// The earlier schemas upgraded in place: schema 6 kept each vetting check under a key with its
// time (storage/check_store.h RekeyLegacyRows moves them), schemas 6 and 7 filed no aliases,
// schemas 6 to 8 filed loose name tokens of a loose form that did not fold th and dh, and schemas
// 6 to 9 filed every conviction abroad under one court, "foreign" (ReindexNames files them all
// anew), and schemas 6 to 10 filed loose tokens of a loose form that kept the spaces between a
// name's words, read Macedonian ѓ and ќ as g and k, kept Serbian lj and nj, and filed no word of a
// given name of several words alone, and schemas 6 to 11 filed none of a name's other ways of
// being written (rows 'v': ReindexNames files them anew), and schemas 6 to 12 filed no pair of a
// name's words (rows 'v' too, NameWordPairTokens), and schemas 6 to 13 none of those ways in
// the loose form (rows 'u', LooseVariantTokens) nor any of them with a name's apostrophes read
// as spaces (ApartForms); StageCurrentSchema then marks the database 14.
constexpr int kOldestUpgradableSchema = 6;
bool UpgradableSchema(absl::string_view schema) {
  int n = 0;
  int current = 0;
  return absl::SimpleAtoi(schema, &n) && absl::SimpleAtoi(kSchemaVersion, &current) &&
         n >= kOldestUpgradableSchema && n < current;
}
// Each KEK version's check value: its key under this prefix, the value a wrapped key (crypto/
// keyring.h) under that KEK, sealed to kKekCheckLabel in the place of a record id (record ids are
// hex, so no record's wrapped key is one). Only the right KEK unwraps it.
constexpr char kKekCheckKeyPrefix[] = "keys/kek-check/";
constexpr char kKekCheckLabel[] = "kjc-registry/kek-check/v1";
constexpr char kDatesRulesKey[] = "dates/rules";
// The time erasures last trusted the clock (ErasureClockMark): RFC 3339, a space, and the hex
// HMAC of kErasureClockLabel || the time under the head MAC key.
constexpr char kErasureClockKey[] = "erasure/clock";
constexpr char kErasureClockLabel[] = "kjc-registry/erasure-clock/v1|";
// One row per committed erasure whose bytes may still be in older files, under a random name:
// written with the erasure, deleted by the compaction that removes them (CompactAfterErasure).
constexpr char kCompactionDuePrefix[] = "erasure/compaction-due/";
// "Number" in a case number, as CanonicalCaseNumber spells it after folding: Albanian "nr" and
// "numër" (or "numer", typed without the diaeresis), Serbian "br" and "broj" in Latin and "бр" and
// "број" in Cyrillic (б kept, р, о and ј mapped to their Latin look-alikes), English "no" and
// "number"; since kBeforeFoldedRegisterLetters also Serbian Cyrillic "ном" and "номер" (as
// folded: "hom", "homep"), Albanian "numri" and "num", "nro" and "numero"; since
// kBeforeCyrillicBySound also "nummer"; since kCurrent also "nom" and "nomer" (Cyrillic "ном" and
// "номер" read by sound, as Latin writes them). The first kNumberAbbreviations of them are the
// words the forms before
// kBeforeNumberWordsAnywhere dropped, and only before the first number; the first
// kEarlierNumberWords the words kBeforeMoreNumberWords dropped, the first kMoreNumberWords those
// kBeforeFoldedRegisterLetters dropped, the first kBeforeSoundNumberWords those
// kBeforeCyrillicBySound dropped. Those from kLatinNumberWordsFrom on are written in Latin
// letters only.
constexpr absl::string_view kNumberWords[] = {
    "nr",   "br",    "\xd0\xb1p", "no",  "num\xc3\xabr", "numer", "broj", "\xd0\xb1poj",
    "number", "hom", "homep",      "numri", "num",         "nro",   "numero", "nummer",
    "nom",  "nomer",
};
// The number words kCurrent reads written onto the register's capitals (step 5), as typed in
// lower case: kNumberWords in their own letters (Cyrillic ones in Cyrillic).
constexpr absl::string_view kGluedNumberWords[] = {
    "nr",     "br",     "\xd0\xb1\xd1\x80",  // бр
    "no",     "num\xc3\xabr", "numer", "broj", "\xd0\xb1\xd1\x80\xd0\xbe\xd1\x98",  // број
    "number", "\xd0\xbd\xd0\xbe\xd0\xbc",  // ном
    "\xd0\xbd\xd0\xbe\xd0\xbc\xd0\xb5\xd1\x80",  // номер
    "numri",  "num",    "nro",   "numero", "nummer", "nom", "nomer",
};
constexpr size_t kNumberAbbreviations = 4;
constexpr size_t kEarlierNumberWords = 9;
constexpr size_t kMoreNumberWords = 15;
constexpr size_t kBeforeSoundNumberWords = 16;
constexpr size_t kLatinNumberWordsFrom = 11;
// "Year" written after the year of a case number ("P 5/2020 g.", "P 5/2020 godine", "П 5/2020
// г.", "P 5/2020 viti"), as CanonicalCaseNumber spells it after folding (Cyrillic о, н, е and а
// mapped to their Latin look-alikes). The first kEarlierYearWords of them are those
// kBeforeFoldedRegisterLetters dropped, the rest kCurrent's own. A single letter may be the
// register's written last ("5/2020 G"), and is a year word only after a register.
constexpr absl::string_view kYearWords[] = {
    "g",      "\xd0\xb3",                        // г
    "god",    "\xd0\xb3o\xd0\xb4",               // год
    "godine", "\xd0\xb3o\xd0\xb4\xd0\xb8he",       // године
    "godina", "\xd0\xb3o\xd0\xb4\xd0\xb8ha",       // година
    "viti",   "vitit",
    "v",      "vit",    "vjet", "godini", "gd", "gdn", "yr", "year", "anno",
};
constexpr size_t kEarlierYearWords = 10;
// The year words the uniqueness check adds after the year of a spelling, for a record stored
// or a conviction erased in a form that kept them ("P 5/2020 g." was "p5/2020g" before
// kBeforeFoldedRegisterLetters, "P 5/2020 v." "p5/2020v" before kCurrent): the ones courts
// write.
constexpr absl::string_view kUsualYearWords[] = {
    "g",    "\xd0\xb3",                   // г
    "god",  "\xd0\xb3o\xd0\xb4",          // год
    "godine", "\xd0\xb3o\xd0\xb4\xd0\xb8he",  // године
    "viti", "v",
};
constexpr char kHeadMacLabel[] = "kjc-registry/head/v1";
constexpr char kIndexMacLabel[] = "kjc-registry/index-row/v1|";
constexpr char kDatesLabel[] = "kjc-registry/record-dates/v1|";

// The AEAD "field set" of a version: the sealed fields, plus the version's plaintext status, so
// that editing it makes the version fail authentication.
std::string VersionFieldSet(const StoredVersion& v) {
  return absl::StrCat(kFieldSet, "|status=", static_cast<int>(v.status()));
}

std::string IndexKey(char kind, absl::string_view token, absl::string_view record_id) {
  return absl::StrCat(absl::string_view(&kind, 1), token, record_id);
}

// The words of a canonical given name, each once, when it has more than one word; none when it
// has one.
std::vector<std::string> WordsOf(absl::string_view canonical) {
  std::vector<std::string> words = absl::StrSplit(canonical, ' ', absl::SkipEmpty());
  if (words.size() < 2) return {};
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

// `utf8` with each apostrophe a name may hold (those NameNormalizer drops, less the primes that
// stand for Cyrillic soft and hard signs) a space: ' ` ´ ‘ ’ ʼ. A UTF-8 sequence never starts
// inside another, so replacing the sequences replaces the characters.
std::string ApostrophesAsSpaces(absl::string_view utf8) {
  return absl::StrReplaceAll(utf8, {{"'", " "},
                                    {"`", " "},
                                    {"\xC2\xB4", " "},
                                    {"\xE2\x80\x98", " "},
                                    {"\xE2\x80\x99", " "},
                                    {"\xCA\xBC", " "}});
}

// `value` normalised (for its loose form when `loose`), an InvalidArgument naming its field
// ("<prefix>surname: ...") when it cannot be: as each of a name's tokens refuses it.
absl::StatusOr<std::string> NormalizedField(const NameNormalizer& normalizer,
                                            absl::string_view field_prefix,
                                            absl::string_view field, absl::string_view value,
                                            bool loose = false) {
  absl::StatusOr<std::string> c =
      loose ? normalizer.NormalizeForLooseForm(value) : normalizer.Normalize(value);
  if (absl::IsInvalidArgument(c.status())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field_prefix, field, ": ", c.status().message()));
  }
  return c;
}

// The tokens a head files under 'l': its loose token and its given-name words', and under 'b':
// its aliases', with the given name and with each word, each once.
std::set<std::string> LooseRowsOf(const StoredHead& h) {
  std::set<std::string> rows(h.loose_word_tokens().begin(), h.loose_word_tokens().end());
  if (!h.loose_name_token().empty()) rows.insert(h.loose_name_token());
  return rows;
}
std::set<std::string> AliasLooseRowsOf(const StoredHead& h) {
  std::set<std::string> rows(h.alias_loose_tokens().begin(), h.alias_loose_tokens().end());
  rows.insert(h.alias_loose_word_tokens().begin(), h.alias_loose_word_tokens().end());
  return rows;
}

// The index rows a head files, each its kind and token (the loose name's even when empty): those
// an erasure deletes and a check reads.
struct HeadRow {
  char kind;
  const std::string& token;
};
std::vector<HeadRow> HeadRowsOf(const StoredHead& h) {
  std::vector<HeadRow> rows = {{kPersonalNumber, h.personal_number_token()},
                               {kName, h.name_token()},
                               {kLoose, h.loose_name_token()},
                               {kDedup, h.dedup_token()}};
  const auto add = [&](char kind, const auto& tokens) {
    for (const std::string& token : tokens) rows.push_back({kind, token});
  };
  add(kAlias, h.alias_tokens());
  add(kAliasLoose, h.alias_loose_tokens());
  add(kLoose, h.loose_word_tokens());
  add(kAliasLoose, h.alias_loose_word_tokens());
  add(kGivenWord, h.given_word_tokens());
  add(kNameVariant, h.name_variant_tokens());
  add(kLooseVariant, h.loose_variant_tokens());
  return rows;
}

std::string DatesAad(absl::string_view record_id, uint32_t version) {
  return absl::StrCat(kDatesLabel, record_id, "|", version);
}

std::string VersionKey(absl::string_view record_id, uint32_t version) {
  return absl::StrCat(record_id, EncodeU32(version));
}

size_t Stripe(absl::string_view key) { return absl::Hash<absl::string_view>()(key); }

// Sealed versions are this many bytes or a multiple of it: a stolen data folder or backup does not
// show how long a person's names or address, or a conviction's texts, are.
constexpr size_t kVersionPaddedTo = 512;

// `payload` serialized with its padding field filled so that the whole is a multiple of
// kVersionPaddedTo. The field costs a tag byte and its length as a varint besides its bytes.
std::string PaddedPayload(VersionPayload payload) {
  payload.clear_padding();
  const size_t bare = payload.ByteSizeLong();
  const size_t least = bare + 2;  // a tag byte and a length byte, with no padding bytes
  for (size_t whole = (least + kVersionPaddedTo - 1) / kVersionPaddedTo * kVersionPaddedTo;;
       whole += kVersionPaddedTo) {
    for (size_t length_bytes = 1; length_bytes <= 3; ++length_bytes) {
      if (whole < bare + 1 + length_bytes) continue;
      const size_t n = whole - bare - 1 - length_bytes;
      if (google::protobuf::io::CodedOutputStream::VarintSize64(n) != length_bytes) continue;
      payload.set_padding(std::string(n, '\0'));
      return payload.SerializeAsString();
    }
  }
}

// A letter (as case folding leaves it) that looks like a decimal digit: that digit; otherwise -1.
int DigitLookAlike(UChar32 c) {
  switch (c) {
    case 'o':     // Latin o
    case 0x043E:  // Cyrillic о
    case 0x03BF:  // Greek ο
      return 0;
    case 'l':     // Latin l
    case 'i':     // Latin I, folded
    case 0x0456:  // Cyrillic і
    case 0x03B9:  // Greek ι
      return 1;
    case 0x0437:  // Cyrillic з
      return 3;
    default:
      return -1;
  }
}

// A Latin letter (as case folding leaves it) typed for a digit it looks like, read so in kCurrent
// only where it stands inside the numbers (CanonicalCaseNumber, step 6): s for 5, z for 2;
// otherwise -1. Not b for 8 (a case split in two is "5a" and "5b"), nor g for 6 ("2020g." is the
// year, godine), which would make another real case number of one.
int LetterTypedForDigit(UChar32 c) {
  switch (c) {
    case 's':
      return 5;
    case 'z':
      return 2;
    default:
      return -1;
  }
}

bool IsCaseNumberSeparator(UChar32 c) {
  return (U_GET_GC_MASK(c) &
          (U_GC_Z_MASK | U_GC_P_MASK | U_GC_S_MASK | U_GC_CC_MASK | U_GC_CF_MASK)) != 0;
}

// Where the word starting at `start` of `folded` ends when it is a number typed in letters that
// look like digits (DigitLookAlike or LetterTypedForDigit) and a slash parts it from the number
// after it, as the serial from the year: "S" in "P S/2020". Otherwise -1.
int32_t SlashedLookAlikeWordEnd(const icu::UnicodeString& folded, int32_t start) {
  int32_t end = start;
  while (end < folded.length() && !IsCaseNumberSeparator(folded.char32At(end))) {
    const UChar32 c = folded.char32At(end);
    if ((U_GET_GC_MASK(c) & U_GC_L_MASK) == 0 ||
        (DigitLookAlike(c) < 0 && LetterTypedForDigit(c) < 0)) {
      return -1;
    }
    end += U16_LENGTH(c);
  }
  bool slash = false;
  for (int32_t next = end; next < folded.length();) {
    const UChar32 c = folded.char32At(next);
    if (!IsCaseNumberSeparator(c)) {
      return slash && (U_GET_GC_MASK(c) & U_GC_ND_MASK) != 0 ? end : -1;
    }
    slash = slash || c == '/' || c == '\\' || c == 0x2044 || c == 0x2215;
    next += U16_LENGTH(c);
  }
  return -1;
}

// Whether a decimal digit stands at or after `from` in `folded`.
bool DigitFrom(const icu::UnicodeString& folded, int32_t from) {
  for (int32_t i = from; i < folded.length();) {
    const UChar32 c = folded.char32At(i);
    if ((U_GET_GC_MASK(c) & U_GC_ND_MASK) != 0) return true;
    i += U16_LENGTH(c);
  }
  return false;
}

// Where the word starting at `start` of `folded` (a letter that looks like a digit, after a
// separator) ends, when it is read as a number: every letter of it looks like a digit, it ends
// at a separator or the end, and a number stands across a separator before it (`after_number`)
// or after it. Otherwise -1.
int32_t StandAloneLookAlikeWordEnd(const icu::UnicodeString& folded, int32_t start,
                                   bool after_number) {
  const auto is_separator = [](UChar32 c) {
    return (U_GET_GC_MASK(c) &
            (U_GC_Z_MASK | U_GC_P_MASK | U_GC_S_MASK | U_GC_CC_MASK | U_GC_CF_MASK)) != 0;
  };
  int32_t end = start;
  while (end < folded.length()) {
    const UChar32 c = folded.char32At(end);
    if (is_separator(c)) break;
    if ((U_GET_GC_MASK(c) & U_GC_L_MASK) == 0 || DigitLookAlike(c) < 0) return -1;
    end += U16_LENGTH(c);
  }
  if (after_number) return end;
  for (int32_t next = end; next < folded.length();) {
    const UChar32 c = folded.char32At(next);
    if (!is_separator(c)) return (U_GET_GC_MASK(c) & U_GC_ND_MASK) != 0 ? end : -1;
    next += U16_LENGTH(c);
  }
  return -1;
}

// Whether the Latin l at `at` of `folded` is a letter written after the year with a full stop
// (kCurrent, CanonicalCaseNumber step 9: "P 15/2022 l."), not the digit 1 step 7 would read: a
// full stop right after it and nothing but separators to the end; only separators, none a slash,
// between it and the number before it (`digits`, read so far), which is a year of two digits or
// four after another number (`out`: the case number read so far, with the register's letters
// first). "P 15/2022/l." and "P 15/2022 l" stay another number, "p15/2022/1", as does "P 2022
// l." ("p2022/1"), and an I, which may be a Roman numeral.
bool IsDottedLAfterYear(const icu::UnicodeString& folded, int32_t at, absl::string_view out,
                        absl::string_view digits) {
  if (folded.char32At(at) != 'l' || at + 1 >= folded.length() || folded.charAt(at + 1) != '.') {
    return false;
  }
  for (int32_t k = at + 2; k < folded.length();) {
    const UChar32 c = folded.char32At(k);
    if (!IsCaseNumberSeparator(c)) return false;
    k += U16_LENGTH(c);
  }
  for (int32_t k = at - 1; k >= 0 && !u_isdigit(folded.char32At(k)); --k) {
    const UChar c = folded.charAt(k);
    if (c == '/' || c == '\\' || c == 0x2044 || c == 0x2215) return false;
  }
  const size_t first = digits.find_first_not_of('0');
  const size_t year = first == absl::string_view::npos ? 1 : digits.size() - first;
  return (year == 2 || year == 4) && !out.empty() &&
         !absl::ascii_isdigit(static_cast<unsigned char>(out[0])) &&
         out.find('/') != absl::string_view::npos;
}

// A Cyrillic or Greek letter (as case folding leaves it) that looks like a Latin letter: that
// letter; otherwise 0. A case number typed on a Cyrillic or Greek keyboard layout ("Р 5/2020"
// with U+0420) is the Latin one it looks like.
UChar32 LatinLookAlike(UChar32 c) {
  switch (c) {
    // Cyrillic а в е к м н о р с т у х, and і ј ѕ ү һ ԁ ԛ ԝ.
    case 0x0430: return 'a';
    case 0x0432: return 'b';
    case 0x0435: return 'e';
    case 0x043A: return 'k';
    case 0x043C: return 'm';
    case 0x043D: return 'h';
    case 0x043E: return 'o';
    case 0x0440: return 'p';
    case 0x0441: return 'c';
    case 0x0442: return 't';
    case 0x0443: return 'y';
    case 0x0445: return 'x';
    case 0x0455: return 's';
    case 0x0456: return 'i';
    case 0x0458: return 'j';
    case 0x04AF: return 'y';
    case 0x04BB: return 'h';
    case 0x0501: return 'd';
    case 0x051B: return 'q';
    case 0x051D: return 'w';
    // Greek α β ε ζ η ι κ μ ν ο ρ τ υ χ.
    case 0x03B1: return 'a';
    case 0x03B2: return 'b';
    case 0x03B5: return 'e';
    case 0x03B6: return 'z';
    case 0x03B7: return 'h';
    case 0x03B9: return 'i';
    case 0x03BA: return 'k';
    case 0x03BC: return 'm';
    case 0x03BD: return 'n';
    case 0x03BF: return 'o';
    case 0x03C1: return 'p';
    case 0x03C4: return 't';
    case 0x03C5: return 'y';
    case 0x03C7: return 'x';
    default: return 0;
  }
}

std::string KekCheckKey(uint32_t version) { return absl::StrCat(kKekCheckKeyPrefix, version); }

// Whether `stored`, the check value of KEK `version`, opens under `ring`'s KEK of that version:
// FailedPrecondition naming the version when it does not.
absl::Status CompareKekCheck(const crypto::Keyring& ring, uint32_t version,
                             const std::string& stored) {
  // The version inside the stored value must be this one: a check value copied from another
  // version's slot would otherwise be opened with that version's KEK.
  absl::StatusOr<uint32_t> sealed_under = crypto::Keyring::WrappedVersion(stored);
  absl::Status opened = absl::DataLossError("sealed under another version");
  if (sealed_under.ok() && *sealed_under == version) {
    opened = ring.UnwrapDek(stored, kKekCheckLabel).status();
  }
  if (absl::IsDataLoss(opened)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the key file's key-encryption key version ", version,
        " is not the one this database was written with (its check value differs)"));
  }
  return opened;
}

// How many data keys (record heads) are under each KEK version: one scan of the heads.
using DataKeysOfKek = std::map<uint32_t, uint64_t>;
absl::StatusOr<DataKeysOfKek> DataKeysPerKek(const Database& db) {
  DataKeysOfKek under;
  std::unique_ptr<Iterator> it = db.NewIterator(Cf::kRecords, BlockCache::kBypass);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    StoredHead head;
    if (!head.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) continue;
    absl::StatusOr<uint32_t> version = crypto::Keyring::WrappedVersion(head.wrapped_dek());
    if (version.ok()) ++under[*version];
  }
  RETURN_IF_ERROR(it->status());
  return under;
}

// The refusal of a database that holds `count` data keys under KEK `version` but no check value
// for it.
absl::Status UncheckedKekError(uint32_t version, uint64_t count) {
  return absl::DataLossError(absl::StrCat(
      "the database holds ", count, " data keys under key-encryption key version ", version,
      " but no check value for that version (it was deleted from the data folder), so a KEK ",
      version, " whose bytes changed would not be refused: restore the data folder from a "
      "backup"));
}

// Compares every KEK of `ring` that has a check value in `db` with it: FailedPrecondition naming
// the first version whose check value its KEK does not open (the key file's bytes for that
// version are not the ones this database was written with). Returns the check value to record
// for the current version when it has none yet (a KEK seen for the first time), else nullopt.
// A version without a check value was never current while this database was written (its
// check value goes in the write that puts the first data key under it), so no data key is under
// that KEK: there is nothing to compare. One that has data keys under it had its check value
// deleted, and recording one now would hold the database to whatever KEK the key file now holds:
// DataLoss naming the version, unless `refuse_unchecked` is false (a read-only look, whose data
// check names it: CheckAll). Finding that reads every head, only when a version of `ring` has
// no check value.
absl::StatusOr<std::optional<std::string>> CheckKeks(const Database& db,
                                                     const crypto::Keyring& ring,
                                                     bool refuse_unchecked = true) {
  std::vector<uint32_t> unchecked;
  for (const uint32_t version : ring.versions()) {
    ASSIGN_OR_RETURN(std::optional<std::string> stored, db.Get(Cf::kMeta, KekCheckKey(version)));
    if (!stored.has_value()) {
      unchecked.push_back(version);
      continue;
    }
    RETURN_IF_ERROR(CompareKekCheck(ring, version, *stored));
  }
  bool current_unchecked = false;
  if (!unchecked.empty() && refuse_unchecked) {
    ASSIGN_OR_RETURN(const DataKeysOfKek under, DataKeysPerKek(db));
    for (const uint32_t version : unchecked) {
      const auto found = under.find(version);
      if (found == under.end()) {
        current_unchecked |= version == ring.current_version();
        continue;
      }
      // A write that put the first data key under it since the look above (a rotation's, while
      // registryd runs) brought its check value in the same batch.
      ASSIGN_OR_RETURN(std::optional<std::string> stored,
                       db.Get(Cf::kMeta, KekCheckKey(version)));
      if (!stored.has_value()) return UncheckedKekError(version, found->second);
      RETURN_IF_ERROR(CompareKekCheck(ring, version, *stored));
    }
  } else {
    current_unchecked = std::find(unchecked.begin(), unchecked.end(), ring.current_version()) !=
                        unchecked.end();
  }
  if (!current_unchecked) return std::optional<std::string>();
  ASSIGN_OR_RETURN(crypto::SecretBytes filler, crypto::Keyring::NewDek());
  ASSIGN_OR_RETURN(std::string sealed, ring.WrapDek(filler, kKekCheckLabel));
  return std::optional<std::string>(std::move(sealed));
}

// A KEK this database has a check value of but the key file does not hold (an older key file
// put back from custody, one edited by hand): data keys under it cannot be opened, and the
// registry served DATA_LOSS on every read of those records. Refused when any data key is under
// it; a KEK retired once no data key used it is fine.
absl::Status RefuseKeksMissingFromTheKeyFile(const Database& db, const crypto::Keyring& ring) {
  const std::vector<uint32_t> held = ring.versions();
  std::set<uint32_t> missing;
  {
    std::unique_ptr<Iterator> it = db.NewIterator(Cf::kMeta);
    for (it->Seek(kKekCheckKeyPrefix);
         it->Valid() && absl::StartsWith(it->key(), kKekCheckKeyPrefix); it->Next()) {
      uint32_t version = 0;
      if (!absl::SimpleAtoi(it->key().substr(sizeof(kKekCheckKeyPrefix) - 1), &version)) continue;
      if (std::find(held.begin(), held.end(), version) == held.end()) missing.insert(version);
    }
    RETURN_IF_ERROR(it->status());
  }
  if (missing.empty()) return absl::OkStatus();
  std::map<uint32_t, uint64_t> under;
  std::unique_ptr<Iterator> it = db.NewIterator(Cf::kRecords, BlockCache::kBypass);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    StoredHead head;
    if (!head.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) continue;
    absl::StatusOr<uint32_t> version = crypto::Keyring::WrappedVersion(head.wrapped_dek());
    if (version.ok() && missing.count(*version) > 0) ++under[*version];
  }
  RETURN_IF_ERROR(it->status());
  if (!under.empty()) {
    const auto& [version, count] = *under.begin();
    // Either side may be the older one: a key file put back from before a rotation, or data (a
    // backup being restored or verified) from before a rotation whose old KEK was retired since.
    // Each has its own remedy, and the one for the other case would not help.
    return absl::FailedPreconditionError(absl::StrCat(
        count, " data keys are under key-encryption key version ", version,
        ", which the key file does not hold. Either the key file is older than the data (a copy "
        "from before a rotation): put back the current key file from custody; or the data is "
        "older than the key file (a backup made before a rotation, whose KEK version ", version,
        " was retired since): bring KEK version ", version,
        " back from the key custody copies (a copy of the key file from before it was retired), "
        "restore with it, then run admin rotate-keys before retiring version ", version,
        " again"));
  }
  return absl::OkStatus();
}

// The head's metadata, with its sealed authorship; the dates come from the version (or the write)
// that goes with it.
void FillMetadata(const StoredHead& h, const RecordDates& sealed, absl::string_view visible_until,
                  absl::string_view delete_after, registry::v1::RecordMetadata* m) {
  m->set_record_id(h.record_id());
  m->set_version(h.version());
  m->set_status(h.status());
  m->set_created_by(sealed.created_by());
  m->set_created_at(sealed.created_at());
  m->set_updated_by(sealed.updated_by());
  m->set_updated_at(sealed.updated_at());
  m->set_employer_visible_until(std::string(visible_until));
  m->set_delete_after(std::string(delete_after));
}

}  // namespace

absl::StatusOr<std::string> RecordStore::HeadMac(const StoredHead& head) const {
  StoredHead unsigned_head = head;
  unsigned_head.clear_mac();
  std::string bytes = kHeadMacLabel;
  AppendDeterministicBytes(unsigned_head, &bytes);
  return head_mac_key_->Mac(bytes);
}

absl::StatusOr<std::string> RecordStore::EncodeHead(StoredHead head) const {
  ASSIGN_OR_RETURN(std::string mac, HeadMac(head));
  head.set_mac(std::move(mac));
  return head.SerializeAsString();
}

absl::StatusOr<std::string> RecordStore::KeyCheckValue(const crypto::SecretBytes& derivation_root) {
  ASSIGN_OR_RETURN(crypto::SecretBytes check_key,
                   crypto::DeriveKey(derivation_root, "mac/key-check/v1"));
  return crypto::HmacSha256(check_key, "kjc-registry key check");
}

namespace {

// Whether any family but the meta family holds a row (records, versions, index, dates, checks,
// audit events, tree nodes). A new database holds none: only its audit log's name, in meta.
absl::StatusOr<bool> HoldsRegistryData(const Database& db) {
  for (Cf cf : {Cf::kRecords, Cf::kVersions, Cf::kIndex, Cf::kExpiry, Cf::kChecks, Cf::kAudit,
                Cf::kMerkle}) {
    std::unique_ptr<Iterator> it = db.NewIterator(cf, BlockCache::kBypass);
    it->SeekToFirst();
    if (it->Valid()) return true;
    RETURN_IF_ERROR(it->status());
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecordStore>> RecordStore::Create(
    Database* db, const KeyringHolder* keys, const crypto::SecretBytes& derivation_root,
    const NameNormalizer* normalizer, bool read_only) {
  ASSIGN_OR_RETURN(auto pn, crypto::BlindIndexer::Create(derivation_root, "personal-number"));
  ASSIGN_OR_RETURN(auto name, crypto::BlindIndexer::Create(derivation_root, "name-birth-date"));
  ASSIGN_OR_RETURN(auto dedup, crypto::BlindIndexer::Create(derivation_root, "court-case-person"));
  ASSIGN_OR_RETURN(auto loose,
                   crypto::BlindIndexer::Create(derivation_root, "loose-name-birth-date"));
  ASSIGN_OR_RETURN(crypto::SecretBytes head_mac_secret,
                   crypto::DeriveKey(derivation_root, "mac/record-head/v1"));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> head_mac_key,
                   crypto::HmacSha256Key::Create(head_mac_secret));
  ASSIGN_OR_RETURN(crypto::SecretBytes index_mac_secret,
                   crypto::DeriveKey(derivation_root, "mac/index-row/v1"));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::HmacSha256Key> index_mac_key,
                   crypto::HmacSha256Key::Create(index_mac_secret));
  ASSIGN_OR_RETURN(crypto::SecretBytes dates_key,
                   crypto::DeriveKey(derivation_root, "encryption/record-dates/aes-256-gcm/v1"));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcm> dates_aead, crypto::AesGcm::Create(dates_key));

  // The key file must be the one this database was written with: its derivation root (the key
  // check value) and each of its KEKs (their own check values, CheckKeks).
  ASSIGN_OR_RETURN(std::string check, KeyCheckValue(derivation_root));
  ASSIGN_OR_RETURN(std::optional<std::string> stored, db->Get(Cf::kMeta, kKeyCheckKey));
  ASSIGN_OR_RETURN(std::optional<std::string> schema, db->Get(Cf::kMeta, kSchemaKey));
  const std::shared_ptr<const crypto::Keyring> keyring = keys->Get();
  if (!stored.has_value()) {
    // A new database: it is written in this schema from the first record on. One that holds a
    // schema, records or events had its check value deleted: taking it for new would skip the
    // checks of the key file and of the schema.
    ASSIGN_OR_RETURN(const bool holds_data, HoldsRegistryData(*db));
    if (schema.has_value() || holds_data) {
      return absl::DataLossError(
          "the database holds registry data but no key check value (it was deleted from the "
          "data folder): restore the data folder from a backup");
    }
    ASSIGN_OR_RETURN(std::optional<std::string> kek_check, CheckKeks(*db, *keyring));
    Batch batch;
    batch.Put(Cf::kMeta, kKeyCheckKey, check);
    batch.Put(Cf::kMeta, kSchemaKey, kSchemaVersion);
    if (kek_check.has_value()) {
      batch.Put(Cf::kMeta, KekCheckKey(keyring->current_version()), *kek_check);
    }
    RETURN_IF_ERROR(db->Write(batch));
  } else if (!crypto::ConstantTimeEquals(*stored, check)) {
    // The next step, in the words of docs/operations.md (the key ceremony and key custody).
    return absl::FailedPreconditionError(
        "the key file does not belong to this database (key check value differs): put back this "
        "installation's key file from the key custody copies; `registryd --key_file_record FILE` "
        "prints a copy's key check value, which must be the one on the key ceremony's paper "
        "record");
  } else if (schema.value_or("1") != kSchemaVersion && !UpgradableSchema(schema.value_or("1"))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database is in storage schema ", schema.value_or("1"), "; this registryd reads schema ",
        kSchemaVersion, " (and upgrades ", kOldestUpgradableSchema, " and later in place) only "
        "(schema 1 kept registry dates in plaintext, schema 2 had no loose name index, schema 3 "
        "no authenticated audit state nor erased-conviction rows, schema 4 kept audit events and "
        "record authors in plaintext, schema 5 keyed case numbers loosely, checked no "
        "key-encryption key and kept the audit log id unauthenticated): export and re-import"));
  } else {
    // A KEK whose bytes changed is refused here, before a record is written under it that the
    // right key file could then not open. A current version seen for the first time (made
    // current in the key file while registryd was stopped: no data key is under it) gets its
    // check value now; one whose data keys are there without it is refused, but for a read-only
    // look, whose data check names it.
    ASSIGN_OR_RETURN(std::optional<std::string> kek_check,
                     CheckKeks(*db, *keyring, /*refuse_unchecked=*/!read_only));
    RETURN_IF_ERROR(RefuseKeksMissingFromTheKeyFile(*db, *keyring));
    // A read-only look writes nothing into the data folder (a copy kept for an investigation).
    if (kek_check.has_value() && !read_only) {
      Batch batch;
      batch.Put(Cf::kMeta, KekCheckKey(keyring->current_version()), *kek_check);
      RETURN_IF_ERROR(db->Write(batch));
    }
  }
  std::unique_ptr<RecordStore> store(new RecordStore(
      db, keys, normalizer, std::move(pn), std::move(name), std::move(dedup), std::move(loose),
      std::move(head_mac_key), std::move(index_mac_key), std::move(dates_aead)));
  // The stand-in a vetting check without a record opens, so that it costs what one with a record
  // does (FactsForVetting).
  RecordDates stand_in;
  stand_in.set_employer_visible_until("0000-00-00");
  stand_in.set_delete_after("0000-00-00");
  ASSIGN_OR_RETURN(store->stand_in_dates_,
                   store->dates_aead_->Encrypt(stand_in.SerializeAsString(),
                                               DatesAad(std::string(kRecordIdSize, '0'), 1)));
  {
    absl::MutexLock lock(&store->kek_mu_);
    store->checked_keyring_ = keyring;
  }
  return store;
}

namespace {

// Serbian Cyrillic and Latin, letter for letter by sound (the two scripts courts write in).
struct SerbianLetter {
  const char* cyrillic;  // lower case, UTF-8
  const char* latin;
};
constexpr SerbianLetter kSerbianLetters[] = {
    {"\xd1\x99", "lj"}, {"\xd1\x9a", "nj"}, {"\xd1\x9f", "d\xc5\xbe"},  // љ њ џ first
    {"\xd0\xb0", "a"},  {"\xd0\xb1", "b"},  {"\xd0\xb2", "v"},  {"\xd0\xb3", "g"},
    {"\xd0\xb4", "d"},  {"\xd1\x92", "\xc4\x91"}, {"\xd0\xb5", "e"},  {"\xd0\xb6", "\xc5\xbe"},
    {"\xd0\xb7", "z"},  {"\xd0\xb8", "i"},  {"\xd1\x98", "j"},  {"\xd0\xba", "k"},
    {"\xd0\xbb", "l"},  {"\xd0\xbc", "m"},  {"\xd0\xbd", "n"},  {"\xd0\xbe", "o"},
    {"\xd0\xbf", "p"},  {"\xd1\x80", "r"},  {"\xd1\x81", "s"},  {"\xd1\x82", "t"},
    {"\xd1\x9b", "\xc4\x87"}, {"\xd1\x83", "u"},  {"\xd1\x84", "f"},  {"\xd1\x85", "h"},
    {"\xd1\x86", "c"},  {"\xd1\x87", "\xc4\x8d"}, {"\xd1\x88", "\xc5\xa1"},
};

// `text` lower-cased (ICU's full case folding) with each Serbian letter of one script written in
// the other: ПКР 5/2020 is pkr 5/2020 (to_latin), PKR 5/2020 is пкр 5/2020. A z or з touching a
// digit stays: it is a digit there (CanonicalCaseNumber, step 6), 2 or 3. With `latin_left`, set
// to whether a Latin letter was left as it was (one with no Serbian Cyrillic letter, q w x y, or
// such a z): the text is no Serbian Cyrillic spelling then.
std::string SerbianTransliteration(absl::string_view text, bool to_latin,
                                   bool* latin_left = nullptr) {
  std::string folded;
  icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())))
      .foldCase()
      .toUTF8String(folded);
  const auto digit_at = [&](size_t at) {
    return at < folded.size() && absl::ascii_isdigit(static_cast<unsigned char>(folded[at]));
  };
  if (latin_left != nullptr) *latin_left = false;
  std::string out;
  for (size_t i = 0; i < folded.size();) {
    bool replaced = false;
    for (const SerbianLetter& letter : kSerbianLetters) {
      const absl::string_view from = to_latin ? letter.cyrillic : letter.latin;
      if (absl::string_view(folded).substr(i, from.size()) == from) {
        if ((from == "z" || from == "\xd0\xb7") &&
            ((i > 0 && digit_at(i - 1)) || digit_at(i + from.size()))) {
          break;
        }
        out += to_latin ? letter.latin : letter.cyrillic;
        i += from.size();
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    if (latin_left != nullptr && absl::ascii_isalpha(static_cast<unsigned char>(folded[i]))) {
      *latin_left = true;
    }
    out.push_back(folded[i++]);
  }
  return out;
}

// Whether `canonical` holds a Cyrillic letter (U+0400..U+052F; one with no Latin look-alike, as
// a canonical form keeps only those).
bool HasCyrillic(absl::string_view canonical) {
  return std::any_of(canonical.begin(), canonical.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u >= 0xD0 && u <= 0xD4;
  });
}

// A canonical case number with its year written the other way, when its last number (after a
// slash) can be a year: two digits (21) as 1921 and 2021, and 1900..2099 as two digits. Courts
// write both; the serial and the year are the same case. `canonical` itself comes first.
std::vector<std::string> YearSpellings(const std::string& canonical) {
  std::vector<std::string> out = {canonical};
  const size_t slash = canonical.rfind('/');
  if (slash == std::string::npos || slash + 1 >= canonical.size()) return out;
  const absl::string_view year = absl::string_view(canonical).substr(slash + 1);
  int value = 0;
  if (year.size() > 4 || !absl::SimpleAtoi(year, &value)) return out;
  const std::string head = canonical.substr(0, slash + 1);
  if (value < 100) {
    out.push_back(absl::StrCat(head, 1900 + value));
    out.push_back(absl::StrCat(head, 2000 + value));
  } else if (value >= 1900 && value <= 2099) {
    out.push_back(absl::StrCat(head, value % 100));
  }
  return out;
}

// Whether `case_number` (well-formed UTF-8, as typed) has a lower-case "n" standing alone before
// its first digit, with a space before it, a full stop after it (or, with `dot_optional`, none),
// and a letter before the space: "P n. 5/2020" (and "P n 5/2020"), where the n abbreviates
// "number". With `after_stop` (kCurrent) the n may stand after the register's full stop too,
// with or without a space: "P.n. 5/2020", "P.n.5/2020", "P. n. 5/2020". A capital N, or an n
// first, may be a letter of the register ("N 5/2020", "P.N. 5/2020", "P N 5/2020"), and is kept;
// so is an n with no full stop in the forms before kBeforeCitationTail, and an n after a full
// stop in the forms before kCurrent.
bool HasNumberAbbreviatedN(absl::string_view case_number, bool dot_optional, bool after_stop) {
  const icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(case_number.data(), static_cast<int32_t>(case_number.size())));
  int32_t i = 0;  // where the first digit is
  while (i < s.length() && u_charType(s.char32At(i)) != U_DECIMAL_DIGIT_NUMBER) {
    i += U16_LENGTH(s.char32At(i));
  }
  if (i >= s.length()) return false;
  while (i > 0 && s.charAt(i - 1) == ' ') --i;
  if (i > 0 && s.charAt(i - 1) == '.') {
    --i;
  } else if (!dot_optional) {
    return false;
  }
  if (i < 2 || s.charAt(i - 1) != 'n') return false;
  if (s.charAt(i - 2) != ' ' && !(after_stop && s.charAt(i - 2) == '.')) return false;
  --i;
  while (i > 0 && (s.charAt(i - 1) == ' ' || (after_stop && s.charAt(i - 1) == '.'))) --i;
  return i > 0 && u_isalpha(s.char32At(i - 1));
}

// `case_number` with a space before "nr" or "br" written onto the end of the register's letters,
// right before the first number: "Pnr. 5/2020" is "P nr. 5/2020", "KŽbr. 5/2020" "KŽ br. 5/2020"
// (step 5). Only with a lower-case r, a full stop after it (the abbreviation's) and a letter
// before the word; with `unmarked` (kCurrent) also with no full stop when "nr" or "br" is in
// lower case and the register's letters before it in capitals ("Pnr15/2020", "KŽbr 5/2020"):
// "PNR 5/2020" and "pnr 5/2020", which case cannot tell apart, keep their letters, as "Pnr
// 5/2020" did before kCurrent. Otherwise as it is.
std::string WithGluedNumberWordApart(absl::string_view case_number, bool unmarked) {
  const size_t digit = case_number.find_first_of("0123456789");
  if (digit == absl::string_view::npos) return std::string(case_number);
  // The run of letters (ASCII, or any character beyond it) last before the first digit.
  const auto in_word = [&](size_t at) {
    const auto u = static_cast<unsigned char>(case_number[at]);
    return u >= 0x80 || absl::ascii_isalpha(u);
  };
  size_t end = digit;
  while (end > 0 && !in_word(end - 1)) --end;
  size_t begin = end;
  while (begin > 0 && in_word(begin - 1)) --begin;
  if (unmarked) {
    // Any number word (as typed, kGluedNumberWords) in lower case or with a capital initial only,
    // after register letters in capitals: "Pbroj 15/2021", "Pnumër 15/2021", "PNo. 15/2021",
    // "PNr 15/2021". The longest such word first ("Pnomer" is "P nomer").
    const absl::string_view run = case_number.substr(begin, end - begin);
    const icu::UnicodeString s = icu::UnicodeString::fromUTF8(
        icu::StringPiece(run.data(), static_cast<int32_t>(run.size())));
    size_t best = 0;
    for (const absl::string_view word : kGluedNumberWords) {
      if (word.size() >= run.size() || word.size() <= best) continue;
      const absl::string_view tail = run.substr(run.size() - word.size());
      const icu::UnicodeString t = icu::UnicodeString::fromUTF8(
          icu::StringPiece(tail.data(), static_cast<int32_t>(tail.size())));
      icu::UnicodeString lower = t;
      lower.foldCase();
      std::string spelled;
      lower.toUTF8String(spelled);
      if (spelled != word) continue;
      // Lower case after the first letter, and register letters in capitals before the word.
      if (icu::UnicodeString(t, t.moveIndex32(0, 1)) !=
          icu::UnicodeString(lower, lower.moveIndex32(0, 1))) {
        continue;
      }
      const int32_t word_at = s.length() - t.length();
      bool capitals = word_at > 0;
      for (int32_t i = 0; capitals && i < word_at; i += U16_LENGTH(s.char32At(i))) {
        capitals = u_isUUppercase(s.char32At(i));
      }
      // Case cannot tell "PNO" from "P" and "NO": all capitals stay the register's letters.
      if (capitals && !(t.length() > 1 && u_isUUppercase(t.char32At(t.moveIndex32(0, 1))))) {
        best = word.size();
      }
    }
    if (best > 0) {
      return absl::StrCat(case_number.substr(0, end - best), " ", case_number.substr(end - best));
    }
  }
  if (end - begin < 3 || case_number[end - 1] != 'r') return std::string(case_number);
  if (case_number[end] != '.') {
    // Unmarked: "nr" or "br" in lower case after capitals only.
    if (!unmarked || (case_number[end - 2] != 'n' && case_number[end - 2] != 'b')) {
      return std::string(case_number);
    }
    const absl::string_view letters = case_number.substr(begin, end - 2 - begin);
    const icu::UnicodeString s = icu::UnicodeString::fromUTF8(
        icu::StringPiece(letters.data(), static_cast<int32_t>(letters.size())));
    for (int32_t i = 0; i < s.length(); i += U16_LENGTH(s.char32At(i))) {
      if (!u_isUUppercase(s.char32At(i))) return std::string(case_number);
    }
  }
  const char n_or_b = absl::ascii_tolower(static_cast<unsigned char>(case_number[end - 2]));
  if (n_or_b != 'n' && n_or_b != 'b') return std::string(case_number);
  return absl::StrCat(case_number.substr(0, end - 2), " ", case_number.substr(end - 2));
}

// The plain letter or letters (lower case, UTF-8) kCurrent reads a letter with a diacritic as
// (step 10): a Latin letter whose canonical decomposition starts with an ASCII letter is that
// letter (ž z, š s, č and ć c, ç c, ë e), đ is d, and the Serbian Cyrillic letters Latin writes
// so are read as they are written in Latin, then folded alike (ж z, ш s, ч and ћ c, ђ d, џ dz).
// Empty for any other.
std::string PlainLetters(UChar32 c) {
  switch (c) {
    case 0x0111: return "d";   // đ
    case 0x0436: return "z";   // ж
    case 0x0448: return "s";   // ш
    case 0x0447: return "c";   // ч
    case 0x045B: return "c";   // ћ
    case 0x0452: return "d";   // ђ
    case 0x045F: return "dz";  // џ
    default: break;
  }
  if (c < 0x80 || u_getIntPropertyValue(c, UCHAR_SCRIPT) != USCRIPT_LATIN) return "";
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  icu::UnicodeString decomposition;
  if (U_FAILURE(status) || nfd == nullptr || !nfd->getDecomposition(c, decomposition) ||
      decomposition.isEmpty()) {
    return "";
  }
  const UChar32 base = decomposition.char32At(0);
  if (base >= 0x80 || !absl::ascii_isalpha(static_cast<unsigned char>(base))) return "";
  return std::string(1, absl::ascii_tolower(static_cast<unsigned char>(base)));
}

// The Latin letters (lower case, plain as step 10 reads them) kCurrent reads a Serbian Cyrillic
// letter as in a word of such letters only (CanonicalCaseNumber, step 2): as Serbian Latin writes
// it, р r, в v, н n, с s, у u, х h, љ lj, њ nj, and ж z, ш s, ч and ћ c, ђ d, џ dz. Empty for
// any other letter.
std::string SerbianLetterSound(UChar32 c) {
  std::string utf8;
  icu::UnicodeString(c).toUTF8String(utf8);
  for (const SerbianLetter& letter : kSerbianLetters) {
    if (utf8 != letter.cyrillic) continue;
    const icu::UnicodeString latin = icu::UnicodeString::fromUTF8(letter.latin);
    std::string out;
    for (int32_t i = 0; i < latin.length();) {
      const UChar32 l = latin.char32At(i);
      i += U16_LENGTH(l);
      const std::string plain = PlainLetters(l);
      if (plain.empty()) {
        icu::UnicodeString(l).toUTF8String(out);
      } else {
        out += plain;
      }
    }
    return out;
  }
  return "";
}

// Whether `c`, written right after the letter `before` inside a word, ends a digraph written for
// a letter with a diacritic: "zh" for ž, "sh" for š, "ch" for č, "dj" for đ (a Latin h or j
// only). Dropped, the first letter standing for the plain letter, in a case number (kCurrent,
// step 10) and in a court abroad's name (RecordStore::DedupCourt): the one fold of both.
bool EndsDigraph(char before, UChar32 c) {
  return (c == 'h' && (before == 'z' || before == 's' || before == 'c')) ||
         (c == 'j' && before == 'd');
}

// `word` (lower case, letters with diacritics already plain) with each digraph EndsDigraph
// names read as its plain letter: "vishi" is "visi", "djakovica" "dakovica".
std::string WithDigraphsFolded(absl::string_view word) {
  std::string out;
  for (const char ch : word) {
    if (!out.empty() && EndsDigraph(out.back(), static_cast<unsigned char>(ch))) continue;
    out.push_back(ch);
  }
  return out;
}

// Connecting words and prepositions that may stand after the year of a judgment's case number,
// before its date or the year again ("P 15/2021 e vitit", "P 15/2021 i datës 10.05.2021", "P
// 15/2021 od 10.05.2021", "P 15/2021 iz 2021"), or between its serial and its year ("P 15 od
// 2021"), as CitationPartsOf spells a word: Albanian, Serbian (in either script) and English.
constexpr absl::string_view kCitationWords[] = {
    "e",     "i",     "te",   "nga", "dt", "dat",  "date",  "dates", "datum",
    "datuma", "dana", "od",   "iz",  "of", "from", "dated", "on",
};
// "Year" (kYearWords) as CitationPartsOf spells it: a Cyrillic word by sound.
constexpr absl::string_view kCitationYearWords[] = {
    "g",    "god",  "godine", "godina", "godini", "gd", "gdn", "viti",
    "vitit", "v",   "vit",    "vjet",   "yr",     "year", "anno",
};
// The connecting words after the year that the form before kCurrent kept ("P 15/2021 e vitit"
// was "p15/2021e", "P 15/2021 od" "p15/2021od"): the uniqueness check looks them up after the
// year of a spelling with the register's letters first.
constexpr absl::string_view kEarlierCitationWords[] = {"e", "od", "iz", "of", "dt"};

// A word or a number of a folded case number, as WithoutCitationTail reads it.
struct CitationPart {
  bool number = false;
  int32_t begin = 0;  // in the folded case number
  int32_t end = 0;
  // A number's digits, without leading zeros; a word's letters, lower case, plain (step 10), a
  // Serbian Cyrillic letter by sound and any other Cyrillic or Greek one by look.
  std::string text;
  size_t letters = 0;  // a word's
  UChar32 first = 0;   // a word's first letter, as folded
  bool slash_before = false;  // a slash among the separators right before it
  bool dot_after = false;     // a full stop right after it
};

// The words and numbers of `folded` (a case number after step 1). A letter that looks like a
// digit, or is typed for one, between two digits is one ("2O21").
std::vector<CitationPart> CitationPartsOf(const icu::UnicodeString& folded) {
  std::vector<CitationPart> parts;
  bool slash = false;
  const auto digit_at = [&](int32_t at) {
    return at < folded.length() && (U_GET_GC_MASK(folded.char32At(at)) & U_GC_ND_MASK) != 0;
  };
  for (int32_t i = 0; i < folded.length();) {
    const UChar32 c = folded.char32At(i);
    const int32_t next = i + U16_LENGTH(c);
    const uint32_t category = U_GET_GC_MASK(c);
    const bool glued = !parts.empty() && parts.back().end == i;
    int digit = (category & U_GC_ND_MASK) != 0 ? u_charDigitValue(c) : -1;
    if (digit < 0 && (category & U_GC_L_MASK) != 0 && glued && parts.back().number &&
        digit_at(next)) {
      digit = DigitLookAlike(c) >= 0 ? DigitLookAlike(c) : LetterTypedForDigit(c);
    }
    if (digit >= 0 || (category & (U_GC_L_MASK | U_GC_M_MASK)) != 0) {
      const bool number = digit >= 0;
      if (!glued || parts.back().number != number) {
        CitationPart part;
        part.number = number;
        part.begin = i;
        part.slash_before = slash;
        part.first = c;
        parts.push_back(std::move(part));
        slash = false;
      }
      CitationPart& part = parts.back();
      part.end = next;
      if (number) {
        if (!part.text.empty() || digit != 0) part.text.push_back(static_cast<char>('0' + digit));
      } else if ((category & U_GC_L_MASK) != 0) {
        ++part.letters;
        std::string spelled = SerbianLetterSound(c);
        if (spelled.empty()) {
          const UChar32 latin = LatinLookAlike(c) != 0 ? LatinLookAlike(c) : c;
          spelled = PlainLetters(latin);
          if (spelled.empty()) icu::UnicodeString(latin).toUTF8String(spelled);
        }
        part.text += spelled;
      }
    } else {
      slash = slash || c == '/' || c == '\\' || c == 0x2044 || c == 0x2215;
      if (c == '.' && glued) parts.back().dot_after = true;
    }
    i = next;
  }
  return parts;
}

// Whether the numbers `a` and `b` (without leading zeros) are one year: equal, or one of two
// digits and the other 19.. or 20.. ending in them (YearSpellings).
bool SameYear(absl::string_view a, absl::string_view b) {
  if (a == b) return true;
  if (a.size() > b.size()) std::swap(a, b);
  if (a.size() > 2 || b.size() != 4 || (b.substr(0, 2) != "19" && b.substr(0, 2) != "20")) {
    return false;
  }
  int two = 0;
  int last_two = 0;
  return (a.empty() || absl::SimpleAtoi(a, &two)) && absl::SimpleAtoi(b.substr(2), &last_two) &&
         two == last_two;
}

// Whether the numbers from `parts[at]` on are a date: day, month and year (of two digits or
// four), or year (of four), month and day: "10.05.2021", "10/5/21", "2021-05-10".
bool DateAt(const std::vector<CitationPart>& parts, size_t at) {
  if (at + 2 >= parts.size()) return false;
  int v[3] = {0, 0, 0};
  for (size_t k = 0; k < 3; ++k) {
    if (!parts[at + k].number) return false;
    if (!parts[at + k].text.empty() && !absl::SimpleAtoi(parts[at + k].text, &v[k])) return false;
  }
  const auto year = [&](size_t k, bool four_only) {
    const size_t n = parts[at + k].text.size();
    return n == 4 || (!four_only && n <= 2);
  };
  const auto day_month = [](int day, int month) {
    return day >= 1 && day <= 31 && month >= 1 && month <= 12;
  };
  return (day_month(v[0], v[1]) && year(2, false)) || (year(0, true) && day_month(v[2], v[1]));
}

// `folded` (a case number after step 1) without what may follow the number of a judgment cited
// with the register's letters first (kCurrent): a number, then the year (two digits or four),
// then only, in any order, connecting words and prepositions (kCitationWords), year words
// (kCitationYearWords), a letter with a full stop after it (not one that reads as a digit, but
// an l: "P 15/2021 r.", "P 15/2021 l."), an l standing last ("P 15/2021 l"), and, after such a
// word, a date or the year again ("P 15/2021 od 10.05.2021", "P 15/2021 iz 2021", "PKR 15/2021
// viti 2021"), none of it after a slash. Connecting and year words between the number and the
// year go too, and the year is then the number's year: "P nr. 15 viti 2021", "P 15 od 2021" and
// "P nr. 15 i 2021" are "P nr. 15/2021". An i standing last is kept (a Roman numeral: "P
// 15/2021 I." is "p15/2021/1"), as is anything after another number after a slash ("P
// 15/2021/3"), a date with no word before it, and all of it when anything else follows (a
// letter with no full stop, "P 15/2021 K"; another number): otherwise `folded` as it is.
icu::UnicodeString WithoutCitationTail(const icu::UnicodeString& folded) {
  const std::vector<CitationPart> parts = CitationPartsOf(folded);
  const auto in = [](const auto& list, absl::string_view word) {
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
  };
  size_t first = 0;
  while (first < parts.size() && !parts[first].number) ++first;
  if (first >= parts.size()) return folded;
  // The register's letters first: a word before the number other than a number word.
  bool register_first = false;
  for (size_t k = 0; k < first; ++k) {
    register_first = register_first ||
                     (parts[k].text != "n" && !in(kNumberWords, parts[k].text) &&
                      !in(kCitationWords, parts[k].text));
  }
  if (!register_first) return folded;
  const auto joining = [&](const CitationPart& part) {
    return !part.number && (in(kCitationWords, part.text) || in(kCitationYearWords, part.text));
  };
  // Between the number and the year, only words standing apart: "P 5G/2020" keeps its G.
  size_t year = first + 1;
  while (year < parts.size() && joining(parts[year]) && parts[year].begin > parts[year - 1].end &&
         year + 1 < parts.size() && parts[year + 1].begin > parts[year].end) {
    ++year;
  }
  const bool words_between = year > first + 1;
  if (year >= parts.size() || !parts[year].number) return folded;
  const size_t digits = std::max<size_t>(parts[year].text.size(), 1);
  if (digits != 2 && digits != 4) return folded;
  bool worded = false;
  size_t k = year + 1;
  if (k < parts.size() && parts[k].slash_before) return folded;
  while (k < parts.size()) {
    const CitationPart& part = parts[k];
    const bool last = k + 1 == parts.size();
    if (!part.number) {
      const bool letter =
          part.letters == 1 && (DigitLookAlike(part.first) < 0 || part.first == 'l');
      if ((joining(part) && !(last && part.text == "i")) ||
          (letter && (part.dot_after || (last && part.first == 'l')))) {
        worded = true;
        ++k;
        continue;
      }
      return folded;
    }
    if (!worded) return folded;
    if (DateAt(parts, k)) {
      k += 3;
    } else if (SameYear(part.text, parts[year].text)) {
      ++k;
    } else {
      return folded;
    }
  }
  if (!words_between) return icu::UnicodeString(folded, 0, parts[year].end);
  icu::UnicodeString out(folded, 0, parts[first].end);
  out.append(UChar('/'));
  out.append(folded, parts[year].begin, parts[year].end - parts[year].begin);
  return out;
}

// `folded` (a case number after step 1) cut after its year (kCutAtYear), when the register's
// letters stand first: what comes before the number and the number, a slash, and the year, with
// whatever follows the year and whatever stands between the number and the year (words, a date)
// left out: "P 15/2021 of 10 May 2021", "P 15 od 10.05.2021" and "P 15/2021/3" are all "P
// 15/2021". The year is the first number after the serial of four digits, 19.. or 20.., or
// failing one the first of two digits. False (and `folded` as it is) when the register's letters
// do not stand first or no number after the serial can be a year.
bool CutAfterYear(icu::UnicodeString* folded) {
  const std::vector<CitationPart> parts = CitationPartsOf(*folded);
  const auto in = [](const auto& list, absl::string_view word) {
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
  };
  size_t first = 0;
  while (first < parts.size() && !parts[first].number) ++first;
  if (first >= parts.size()) return false;
  bool register_first = false;
  for (size_t k = 0; k < first; ++k) {
    register_first = register_first ||
                     (parts[k].text != "n" && !in(kNumberWords, parts[k].text) &&
                      !in(kCitationWords, parts[k].text));
  }
  if (!register_first) return false;
  size_t year = parts.size();
  for (size_t k = first + 1; k < parts.size() && year == parts.size(); ++k) {
    const std::string& t = parts[k].text;
    if (parts[k].number && t.size() == 4 && (t[0] == '1' ? t[1] == '9' : t.substr(0, 2) == "20")) {
      year = k;
    }
  }
  for (size_t k = first + 1; k < parts.size() && year == parts.size(); ++k) {
    if (parts[k].number && parts[k].end - parts[k].begin == 2) year = k;
  }
  if (year == parts.size()) return false;
  if (year == first + 1) {
    *folded = icu::UnicodeString(*folded, 0, parts[year].end);
    return true;
  }
  icu::UnicodeString out(*folded, 0, parts[first].end);
  out.append(UChar('/'));
  out.append(*folded, parts[year].begin, parts[year].end - parts[year].begin);
  *folded = std::move(out);
  return true;
}

}  // namespace

absl::StatusOr<std::string> CanonicalCaseNumber(absl::string_view typed, CaseNumberForm form) {
  // Validation refuses such input before it gets here; should any reach the store, its bytes
  // stay distinct (no canonical form starts with 0xFF, which UTF-8 never holds) rather than
  // collapsing into U+FFFD.
  const bool cut = form == CaseNumberForm::kCutAtYear;
  if (!IsWellFormedUtf8(typed)) return cut ? std::string() : absl::StrCat("\xff", typed);
  // kCutAtYear is kCurrent but for step 9, which cuts the case number after its year instead.
  // kBeforeCitationTail is kCurrent but for what may follow a judgment's year (step 9), an n
  // after the register's full stop and number words written onto capitals (step 5);
  // kBeforeCyrillicBySound is kBeforeCitationTail but for Serbian Cyrillic words read by sound
  // (step 2), kBeforeDottedL that form but for an l with a full stop after the year (step 9).
  const bool citation = form == CaseNumberForm::kCurrent || cut;
  const bool by_sound = citation || form == CaseNumberForm::kBeforeCitationTail;
  const bool dotted_l = by_sound || form == CaseNumberForm::kBeforeCyrillicBySound;
  const bool current = dotted_l || form == CaseNumberForm::kBeforeDottedL;
  // "Pnr. 5/2020" is "P nr. 5/2020" (step 5); in kCurrent "Pnr 5/2020" too.
  const std::string apart =
      current ? WithGluedNumberWordApart(typed, /*unmarked=*/citation) : std::string(typed);
  const absl::string_view case_number = apart;
  UErrorCode status = U_ZERO_ERROR;
  // NFKC, case folding and removal of default-ignorable code points (zero-width characters) in
  // one step: full-width "Ｐ５" is "p5", and upper and lower case agree.
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status) || nfkc_cf == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot load ICU's NFKC_Casefold data: ", u_errorName(status)));
  }
  icu::UnicodeString folded = nfkc_cf->normalize(
      icu::UnicodeString::fromUTF8(
          icu::StringPiece(case_number.data(), static_cast<int32_t>(case_number.size()))),
      status);
  if (U_FAILURE(status)) {
    return absl::InternalError(
        absl::StrCat("cannot normalise a case number: ", u_errorName(status)));
  }
  // Step 9 (kCurrent): what may follow a judgment's number and year is not part of it.
  if (cut) {
    if (!CutAfterYear(&folded)) return std::string();
  } else if (citation) {
    folded = WithoutCitationTail(folded);
  }

  // Step 2 (kCurrent): the letters of a word of Serbian Cyrillic letters only, read by sound.
  std::vector<bool> read_by_sound(static_cast<size_t>(folded.length()), false);
  for (int32_t i = 0; by_sound && i < folded.length();) {
    int32_t end = i;
    bool serbian = true;
    while (end < folded.length() && (U_GET_GC_MASK(folded.char32At(end)) & U_GC_L_MASK) != 0) {
      serbian = serbian && !SerbianLetterSound(folded.char32At(end)).empty();
      end += U16_LENGTH(folded.char32At(end));
    }
    if (end == i) {
      i += U16_LENGTH(folded.char32At(i));
      continue;
    }
    if (serbian) std::fill(read_by_sound.begin() + i, read_by_sound.begin() + end, true);
    i = end;
  }

  std::string out;
  std::string digits;  // the digit run being read
  bool in_digits = false;
  bool separated = false;  // a separator since the last letter or digit
  bool after_letter = false;  // the character before was a letter
  bool written = false;  // a letter or a digit was read: the first word is behind
  // The last run of letters: where it starts in `out`, and whether it stands alone (at the start,
  // or after a separator). Reset by a number.
  size_t word_at = std::string::npos;
  bool word_alone = false;
  bool seen_number = false;
  // A number word dropped right after a number: the next number is another one, so "P 5 nr 6/2020"
  // is "p5/6/2020", not "p56/2020".
  bool split_next_number = false;
  const auto end_digits = [&] {
    if (!in_digits) return;
    const size_t first = digits.find_first_not_of('0');
    out += first == std::string::npos ? "0" : digits.substr(first);
    digits.clear();
    in_digits = false;
  };
  // Step 5: kCurrent, kBeforeFoldedRegisterLetters and kBeforeMoreNumberWords drop every number
  // word standing alone (the latter two the first kMoreNumberWords and kEarlierNumberWords of
  // them), and a lower-case "n." (in kCurrent "n" too) before the first number
  // (HasNumberAbbreviatedN); the forms before them only "nr", "br", "бр" and "no" before the
  // first number. `since_s_z`: the forms that read S and Z as digits and drop year words.
  const bool since_s_z = current || form == CaseNumberForm::kBeforeFoldedRegisterLetters;
  const bool words_anywhere = since_s_z || form == CaseNumberForm::kBeforeMoreNumberWords;
  const bool abbreviated_n =
      words_anywhere &&
      HasNumberAbbreviatedN(case_number, /*dot_optional=*/current, /*after_stop=*/citation);
  const absl::string_view* const words_end =
      by_sound         ? std::end(kNumberWords)
      : current        ? std::begin(kNumberWords) + kBeforeSoundNumberWords
      : since_s_z      ? std::begin(kNumberWords) + kMoreNumberWords
      : words_anywhere ? std::begin(kNumberWords) + kEarlierNumberWords
                       : std::begin(kNumberWords) + kNumberAbbreviations;
  // The words after the last number (kCurrent): where each starts in `out`, and whether a full
  // stop follows it (step 9).
  std::vector<std::pair<size_t, bool>> tail_words;
  // Drops the last run of letters when it is a number word standing alone (or, with `n_too`,
  // the n of "P n. 5/2020").
  const auto drop_number_word = [&](bool n_too) {
    if (word_at == std::string::npos || !word_alone) return;
    const absl::string_view word = absl::string_view(out).substr(word_at);
    if (std::find(std::begin(kNumberWords), words_end, word) == words_end &&
        !(n_too && word == "n")) {
      return;
    }
    out.resize(word_at);
    word_at = std::string::npos;
    if (!out.empty() && absl::ascii_isdigit(static_cast<unsigned char>(out.back()))) {
      split_next_number = true;
    }
  };
  const bool look_alikes_touching = words_anywhere ||
                                    form == CaseNumberForm::kBeforeNumberWordsAnywhere ||
                                    form == CaseNumberForm::kBeforeStandAloneLookAlikes;
  int32_t read_as_digits_until = -1;  // the end of a word of look-alikes read as a number
  for (int32_t i = 0; i < folded.length();) {
    const int32_t at = i;
    const UChar32 c = folded.char32At(i);
    i += U16_LENGTH(c);
    const uint32_t category = U_GET_GC_MASK(c);
    // "P nr. i 5/2020": an i standing alone after a number word, before the first number, goes
    // with it (kCurrent, step 5).
    if (current && c == 'i' && !seen_number && separated && word_at != std::string::npos &&
        word_alone && i < folded.length() && IsCaseNumberSeparator(folded.char32At(i)) &&
        DigitFrom(folded, i) &&
        std::find(std::begin(kNumberWords), words_end,
                  absl::string_view(out).substr(word_at)) != words_end) {
      continue;
    }
    // A letter that looks like a digit, touching a number, is that digit (step 6).
    int digit = (category & U_GC_ND_MASK) ? u_charDigitValue(c) : -1;
    if (digit < 0 && look_alikes_touching && (category & U_GC_L_MASK)) {
      const int look_alike = DigitLookAlike(c);
      const int typed_for = since_s_z ? LetterTypedForDigit(c) : -1;
      const bool after_digit = in_digits && !separated;
      const bool before_digit =
          i < folded.length() && (U_GET_GC_MASK(folded.char32At(i)) & U_GC_ND_MASK) != 0;
      // "P 15/2022 l.": an l with a full stop after the year is a letter, a year word (step 9).
      const bool year_letter =
          dotted_l && in_digits && IsDottedLAfterYear(folded, at, out, digits);
      if (look_alike >= 0 && !year_letter &&
          (words_anywhere || form == CaseNumberForm::kBeforeNumberWordsAnywhere) &&
          !after_letter && separated && written) {
        // A word standing alone (step 7): read as a number when it is look-alikes only and a
        // separator parts it from a number.
        read_as_digits_until = StandAloneLookAlikeWordEnd(folded, at, in_digits);
      }
      if ((look_alike >= 0 || typed_for >= 0) && since_s_z && !after_letter && separated &&
          written) {
        // So is such a word with s or z, when a slash parts it from the number after it: "P
        // S/2020" (step 7).
        read_as_digits_until =
            std::max(read_as_digits_until, SlashedLookAlikeWordEnd(folded, at));
      }
      if (look_alike >= 0 &&
          (after_digit || (before_digit && !after_letter) || at < read_as_digits_until)) {
        digit = look_alike;
      }
      // An s or z right after a digit is one inside the numbers: before another number, or
      // after the register's letters ("P 1S/2020", "P 5/202Z"); after the last number of a case
      // number with no letters before it, it is the register's written last (step 8). Before a
      // digit only when a number is before it too ("P 5/Z020"): the register's letters touch
      // the number ("PS5/2020").
      if (typed_for >= 0 &&
          ((after_digit &&
            (DigitFrom(folded, i) || (!out.empty() && !absl::ascii_isdigit(
                                                         static_cast<unsigned char>(out[0]))))) ||
           (before_digit && !after_letter && in_digits) || at < read_as_digits_until)) {
        digit = typed_for;
      }
    }
    if (digit >= 0) {
      after_letter = false;
      written = true;
      // "nr." / "br." (numër, broj: "number") standing alone is no part of the number:
      // "P.nr. 5/2020" is "P 5/2020".
      if (form != CaseNumberForm::kWithNumberWords && (words_anywhere || !seen_number)) {
        drop_number_word(abbreviated_n && !seen_number);
      }
      word_at = std::string::npos;
      seen_number = true;
      // Two numbers stay two however they are separated: "5/2020" is not "52/020".
      if ((in_digits && separated) || split_next_number) {
        end_digits();
        out.push_back('/');
      }
      split_next_number = false;
      in_digits = true;
      separated = false;
      digits.push_back(static_cast<char>('0' + digit));
      tail_words.clear();
    } else if (category & (U_GC_Z_MASK | U_GC_P_MASK | U_GC_S_MASK | U_GC_CC_MASK | U_GC_CF_MASK)) {
      // Spaces, punctuation and symbols (a fraction or division slash looks like "/") all
      // separate alike, and only between two numbers.
      // A full stop right after a word after the numbers marks it an abbreviation (step 9).
      if (c == '.' && after_letter && !tail_words.empty() && tail_words.back().first == word_at) {
        tail_words.back().second = true;
      }
      separated = true;
      after_letter = false;
    } else {
      const bool in_word = after_letter && !out.empty();
      after_letter = true;
      end_digits();
      if (word_at == std::string::npos || separated) {
        // The word before ends here: a number word goes ("No. P 5/2020", "P nr.nr. 5/2020").
        if (words_anywhere) drop_number_word(false);
        word_alone = !written || separated;
        word_at = out.size();
        while (!tail_words.empty() && tail_words.back().first >= out.size()) {
          tail_words.pop_back();
        }
        tail_words.emplace_back(word_at, false);
      }
      written = true;
      split_next_number = false;
      separated = false;
      const std::string sound = read_by_sound[at] ? SerbianLetterSound(c) : std::string();
      const UChar32 latin = LatinLookAlike(c);
      const UChar32 letter = latin != 0 ? latin : c;
      const std::string plain = current ? PlainLetters(letter) : std::string();
      if (!sound.empty()) {
        // A Serbian Cyrillic word, read by sound (step 2): "кр" is "kr", "ж" "z".
        out += sound;
      } else if (current && in_word && EndsDigraph(out.back(), c)) {
        // A digraph written for a letter with a diacritic is its plain letter too (step 10):
        // "zh" is z, as "ž" is, "sh" s, "ch" c, "dj" d.
      } else if (!plain.empty()) {
        out += plain;
      } else {
        icu::UnicodeString(letter).toUTF8String(out);
      }
      // "N°" is "No" (step 5), as NFKC makes "№" and "Nº".
      if (since_s_z && c == 'n' && i < folded.length() && folded.char32At(i) == 0x00B0) {
        out.push_back('o');
      }
    }
  }
  end_digits();
  if (words_anywhere) {
    // A number word after the numbers ("P 5/2020 nr") goes too; a case number of no number
    // keeps its words.
    if (seen_number) drop_number_word(false);
    while (!tail_words.empty() && tail_words.back().first >= out.size()) tail_words.pop_back();
    // A year word after the last number, a year of two digits or four ("P 5/2020 g.",
    // "P 5/20god."), goes (step 9); a single letter only after the register's letters, else it
    // is the register's (step 8). kBeforeFoldedRegisterLetters: the last word only, if it is
    // one of the first kEarlierYearWords; kCurrent: each such word from the last, and a single
    // letter with a full stop after it ("P 5/2020 r.").
    const bool register_first =
        !out.empty() && !absl::ascii_isdigit(static_cast<unsigned char>(out[0]));
    const auto is_year_word = [&](absl::string_view word, size_t words, bool dotted) {
      const bool single = icu::UnicodeString::fromUTF8(
                              icu::StringPiece(word.data(), static_cast<int32_t>(word.size())))
                              .countChar32() == 1;
      if (single && !register_first) return false;
      return (single && dotted && current) ||
             std::find(std::begin(kYearWords), std::begin(kYearWords) + words, word) !=
                 std::begin(kYearWords) + words;
    };
    const size_t first_at = current ? (tail_words.empty() ? std::string::npos
                                                          : tail_words.front().first)
                                    : word_at;
    const size_t year_at =
        first_at == std::string::npos || first_at == 0
            ? 0
            : out.find_last_not_of("0123456789", first_at - 1) + 1;
    if (since_s_z && first_at != std::string::npos && first_at > 0 &&
        (first_at - year_at == 2 || first_at - year_at == 4)) {
      if (current) {
        while (!tail_words.empty() &&
               is_year_word(absl::string_view(out).substr(tail_words.back().first),
                            std::size(kYearWords), tail_words.back().second)) {
          out.resize(tail_words.back().first);
          tail_words.pop_back();
        }
      } else if (is_year_word(absl::string_view(out).substr(word_at), kEarlierYearWords,
                              false)) {
        out.resize(word_at);
      }
    }
    // The register's letters written after the numbers, with none before them, are the same
    // register (step 8): "5/2020 P" and "nr. 5/2020 P" are "p5/2020".
    const size_t last_digit = out.find_last_of("0123456789");
    if (last_digit != std::string::npos && last_digit + 1 < out.size() &&
        out.find_first_not_of("0123456789/") > last_digit) {
      out = absl::StrCat(absl::string_view(out).substr(last_digit + 1),
                         absl::string_view(out).substr(0, last_digit + 1));
    }
  }
  return out;
}

void SetOwnDates(const OwnDates& own, RecordDates* dates) {
  dates->set_own_employer_visible_until(own.employer_visible_until);
  dates->set_own_delete_after(own.delete_after);
  dates->set_final_date(own.final_date);
  dates->set_rules(own.rules);
}

PersonConviction ConvictionOf(const StoredHead& head, const RecordDates& dates) {
  // The person as vetting compares names (exact: Petrović = Петровић), and across the two
  // languages' spellings (loose: Petroviq = Petrović), which judgments may use for one person.
  // And by the other names it gives them (aliases), which the court's search takes as the same
  // person's too, and the personal number, which links the person's records for deletion.
  return {dates.final_date(),
          dates.own_employer_visible_until(),
          dates.own_delete_after(),
          head.name_token(),
          head.status() == registry::v1::RECORD_STATUS_ACTIVE,
          head.loose_name_token(),
          {head.alias_tokens().begin(), head.alias_tokens().end()},
          {head.alias_loose_tokens().begin(), head.alias_loose_tokens().end()},
          head.personal_number_token()};
}

std::string DayAfter(const std::string& day) {
  absl::StatusOr<absl::CivilDay> parsed = ParseDate(day);
  // Stored dates are always YYYY-MM-DD; anything else is left as it is, to be compared as text.
  return parsed.ok() ? FormatDate(*parsed + 1) : day;
}

namespace {

// The groups of `convictions` that share a key (`keys` of each), directly or through others:
// group[i] is a representative of conviction i's group. Linear in the keys, as a person may have
// many records.
std::vector<size_t> LinkedGroups(
    const std::vector<PersonConviction>& convictions,
    const std::function<std::vector<std::string>(const PersonConviction&)>& keys) {
  std::vector<size_t> group(convictions.size());
  for (size_t i = 0; i < group.size(); ++i) group[i] = i;
  const auto root = [&](size_t i) {
    while (group[i] != i) i = group[i] = group[group[i]];
    return i;
  };
  std::map<std::string, size_t> first_with;
  for (size_t i = 0; i < convictions.size(); ++i) {
    for (std::string& key : keys(convictions[i])) {
      const auto [at, added] = first_with.emplace(std::move(key), i);
      if (added) continue;
      const size_t a = root(at->second);
      const size_t b = root(i);
      group[std::max(a, b)] = std::min(a, b);
    }
  }
  for (size_t i = 0; i < group.size(); ++i) group[i] = root(i);
  return group;
}

// The names a record gives the person, as keys: its own (`own`, even empty, as a head from before
// the tokens compares) and each alias, under `kind`.
void AddNames(char kind, const std::string& own, const std::vector<std::string>& aliases,
              bool own_even_empty, std::vector<std::string>* keys) {
  if (own_even_empty || !own.empty()) keys->push_back(absl::StrCat(std::string(1, kind), own));
  for (const std::string& alias : aliases) {
    if (!alias.empty()) keys->push_back(absl::StrCat(std::string(1, kind), alias));
  }
}

// Extends `c`'s dates by the later convictions that `counts` and that became final within its
// period (its own last day for vetting, lengthened by each such conviction to that one's own):
// the latest own visibility end into `visible`, the latest own deletion date into `deleted`
// (either may be null).
void Extend(const std::vector<PersonConviction>& convictions, const PersonConviction& c,
            const std::function<bool(size_t)>& counts, std::string* visible,
            std::string* deleted) {
  std::string period = c.own_employer_visible_until;
  for (bool lengthened = true; lengthened;) {
    lengthened = false;
    for (size_t j = 0; j < convictions.size(); ++j) {
      const PersonConviction& later = convictions[j];
      if (later.final_date < c.final_date) continue;
      // Final after the period: this one's rehabilitation had come (art. 103 lapses on a new
      // offence within the period, not after it), and nothing revives it.
      if (!period.empty() && later.final_date > period) continue;
      if (!counts(j)) continue;
      if (later.own_employer_visible_until > period) {
        period = later.own_employer_visible_until;
        lengthened = true;
      }
      if (visible != nullptr) *visible = std::max(*visible, later.own_employer_visible_until);
      if (deleted != nullptr) *deleted = std::max(*deleted, later.own_delete_after);
    }
  }
}

}  // namespace

std::vector<EffectiveRecordDates> EffectiveDates(
    const std::vector<PersonConviction>& convictions) {
  // The same person as the court's search takes it (exact names and aliases), linked through one
  // another: Berisha, then Hoxha-Berisha with the alias Berisha, then Hoxha-Berisha.
  const std::vector<size_t> person =
      LinkedGroups(convictions, [](const PersonConviction& c) {
        std::vector<std::string> keys;
        AddNames('n', c.person, c.alias_persons, /*own_even_empty=*/true, &keys);
        return keys;
      });
  // Records that keep one another from deletion: the same person, the same personal number, or
  // the same loose person (another spelling).
  const std::vector<size_t> kept =
      LinkedGroups(convictions, [](const PersonConviction& c) {
        std::vector<std::string> keys;
        AddNames('n', c.person, c.alias_persons, /*own_even_empty=*/true, &keys);
        AddNames('l', c.loose_person, c.alias_loose_persons, /*own_even_empty=*/false, &keys);
        if (!c.number.empty()) keys.push_back(absl::StrCat("p", c.number));
        return keys;
      });
  std::vector<EffectiveRecordDates> out;
  out.reserve(convictions.size());
  for (size_t i = 0; i < convictions.size(); ++i) {
    const PersonConviction& c = convictions[i];
    EffectiveRecordDates e{c.own_employer_visible_until, c.own_delete_after};
    // The last day of the period a later conviction must become final in to keep this one: its
    // own, lengthened by each later conviction within it (whichever extends what), so that one
    // that kept it brings a still later one within its own period too. Two periods: visibility
    // counts only the same person's active records, so a record of another person under the
    // number, one in another spelling or a disputed one cannot lengthen the period that the
    // person's own later record then falls within (and make a spent record NOT_CLEAR again);
    // deletion counts the wider group, which only keeps records from erasure.
    const auto same_and_active = [&](size_t j) {
      return person[j] == person[i] && convictions[j].active;
    };
    const auto kept_together = [&](size_t j) { return kept[j] == kept[i]; };
    Extend(convictions, c, same_and_active, &e.employer_visible_until, nullptr);
    Extend(convictions, c, kept_together, nullptr, &e.delete_after);
    // Erased after the last day it counts for vetting, never on it (reference_data.h).
    e.delete_after = std::max(e.delete_after, DayAfter(e.employer_visible_until));
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status ErasedConvictionError() {
  return absl::FailedPreconditionError(
      "conviction: a record of this court, case number and personal number was expunged, and an "
      "expunged conviction is not entered again");
}

absl::Status ErasedCutConvictionError() {
  return absl::FailedPreconditionError(
      "conviction: a record of this court, case number and personal number was expunged, and an "
      "expunged conviction is not entered again: the case number up to its year is that of an "
      "expunged conviction");
}

absl::Mutex* RecordStore::PersonLock(absl::string_view token) const {
  return &person_locks_[Stripe(token) % kStripes];
}

void RecordStore::LockPersons(const std::vector<std::string>& tokens, PendingWrite* w) const {
  std::vector<size_t> stripes;
  for (const std::string& t : tokens) stripes.push_back(Stripe(t) % kStripes);
  std::sort(stripes.begin(), stripes.end());
  for (size_t stripe : stripes) Lock(&person_locks_[stripe], w);
}

bool RecordStore::Holds(const PendingWrite& w, absl::string_view token) const {
  return std::find(w.locks_.begin(), w.locks_.end(), PersonLock(token)) != w.locks_.end();
}

absl::Status RecordStore::StageHead(StoredHead* head, const RecordDates& dates,
                                    PendingWrite* w) const {
  ASSIGN_OR_RETURN(std::string sealed,
                   dates_aead_->Encrypt(dates.SerializeAsString(),
                                        DatesAad(head->record_id(), head->version())));
  head->set_sealed_dates(std::move(sealed));
  ASSIGN_OR_RETURN(std::string encoded, EncodeHead(*head));
  w->batch()->Put(Cf::kRecords, head->record_id(), encoded);
  auto staged = w->staged_heads_.find(head->record_id());
  if (staged != w->staged_heads_.end()) {
    w->staged_by_person_[staged->second.personal_number_token()].erase(head->record_id());
  }
  w->staged_by_person_[head->personal_number_token()].insert(head->record_id());
  w->staged_heads_[head->record_id()] = *head;
  return absl::OkStatus();
}

absl::StatusOr<EffectiveRecordDates> RecordStore::DatesInForce(const StoredHead& head) const {
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   IdsWithToken(kPersonalNumber, head.personal_number_token(),
                                kMaxRecordsOfAPerson));
  std::vector<PersonConviction> convictions;
  size_t own = ids.size();
  for (const std::string& id : ids) {
    absl::StatusOr<StoredHead> other = id == head.record_id() ? head : ReadHead(id);
    if (absl::IsNotFound(other.status())) continue;
    if (!other.ok()) return other.status();
    ASSIGN_OR_RETURN(RecordDates d, OpenDates(*other));
    if (id == head.record_id()) own = convictions.size();
    ASSIGN_OR_RETURN(PersonConviction c, OwnConviction(*other, d));
    convictions.push_back(std::move(c));
  }
  if (own >= convictions.size()) {
    return absl::DataLossError(absl::StrCat("record ", head.record_id(), ": index row missing"));
  }
  return EffectiveDates(convictions)[own];
}

absl::StatusOr<std::map<std::string, StoredHead>> RecordStore::HeadsAsStaged(
    absl::string_view token, const PendingWrite& w) const {
  std::map<std::string, StoredHead> heads;
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   IdsWithToken(kPersonalNumber, token, kMaxRecordsOfAPerson));
  for (const std::string& id : ids) {
    if (w.removed_.count(id) > 0 || w.staged_heads_.count(id) > 0) continue;
    absl::StatusOr<StoredHead> head = ReadHead(id);
    if (absl::IsNotFound(head.status())) continue;
    if (!head.ok()) return head.status();
    heads[id] = *std::move(head);
  }
  auto staged = w.staged_by_person_.find(std::string(token));
  if (staged != w.staged_by_person_.end()) {
    for (const std::string& id : staged->second) {
      if (w.removed_.count(id) == 0) heads[id] = w.staged_heads_.at(id);
    }
  }
  return heads;
}

absl::Status RecordStore::AddDueRecords(absl::string_view token, const PendingWrite& w,
                                        absl::string_view today,
                                        std::set<std::string>* due) const {
  if (today.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const auto heads, HeadsAsStaged(token, w));
  for (const auto& [id, head] : heads) {
    ASSIGN_OR_RETURN(RecordDates d, OpenDates(head));
    // Due when its deletion day is today or before (RegistryServer::RunRetentionOnce).
    if (!d.delete_after().empty() && d.delete_after() <= today) due->insert(id);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> RecordStore::DueRecordsOf(
    absl::string_view token, absl::string_view today) const {
  return DueRecordsOf(token, today, PendingWrite());
}

absl::StatusOr<std::vector<std::string>> RecordStore::DueRecordsOf(
    absl::string_view token, absl::string_view today, const PendingWrite& w) const {
  std::set<std::string> due;
  RETURN_IF_ERROR(AddDueRecords(token, w, today, &due));
  return std::vector<std::string>(due.begin(), due.end());
}

absl::Status RecordStore::RefuseIfDueAlready(const registry::v1::Person& person,
                                             const VersionMeta& meta,
                                             const PendingWrite& w) const {
  if (meta.today.empty() || meta.own.delete_after.empty()) return absl::OkStatus();
  const std::string& today = meta.today;
  // Due when its deletion day is today or before (RegistryServer::RunRetentionOnce).
  if (meta.own.delete_after > today) return absl::OkStatus();
  ASSIGN_OR_RETURN(const std::string token, PersonalNumberToken(person.personal_number()));
  ASSIGN_OR_RETURN(const std::string exact,
                   NameToken(person.surname(), person.given_name(), person.birth_date(),
                             "person."));
  ASSIGN_OR_RETURN(const std::string loose,
                   LooseNameToken(person.surname(), person.given_name(), person.birth_date(),
                                  "person."));
  ASSIGN_OR_RETURN(const auto heads, HeadsAsStaged(token, w));
  std::vector<PersonConviction> convictions;
  for (const auto& [id, head] : heads) {
    ASSIGN_OR_RETURN(RecordDates d, OpenDates(head));
    ASSIGN_OR_RETURN(PersonConviction c, OwnConviction(head, d));
    convictions.push_back(std::move(c));
  }
  // Its aliases and number link it to the person's records as the stored record's would.
  StoredHead named;
  RETURN_IF_ERROR(SetAliasTokens(person, &named));
  named.set_name_token(exact);
  named.set_loose_name_token(loose);
  named.set_personal_number_token(token);
  named.set_status(registry::v1::RECORD_STATUS_ACTIVE);
  RecordDates own;
  SetOwnDates(meta.own, &own);
  convictions.push_back(ConvictionOf(named, own));
  const EffectiveRecordDates in_force = EffectiveDates(convictions).back();
  if (in_force.delete_after > today) return absl::OkStatus();
  // The hint says what would have kept it, as the dates count it: "a later conviction, entered
  // first, keeps it" told a clerk who had entered one (final after the period ended) to do what
  // they had done, and "final before <deletion day>" named a later one that had not kept it. A
  // later conviction keeps it only if final on or before the last day of its period for vetting
  // (Extend), as lengthened by those that did. The days are the registry's reckoning, no value
  // the clerk typed.
  return absl::FailedPreconditionError(absl::StrCat(
      "conviction: its retention period has ended (it was due for deletion on ",
      in_force.delete_after,
      "), so it is not entered: only a later conviction of the person that became final by ",
      in_force.employer_visible_until, " would have kept it"));
}

absl::Status RecordStore::RestageDates(absl::string_view token, PendingWrite* w) const {
  // The person's records as this batch leaves them: stored ones, overridden by staged heads,
  // without the erased, plus records staged under this token.
  ASSIGN_OR_RETURN(auto heads, HeadsAsStaged(token, *w));
  std::vector<PersonConviction> convictions;
  std::vector<RecordDates> dates;
  for (const auto& [id, head] : heads) {
    ASSIGN_OR_RETURN(RecordDates d, OpenDates(head));
    ASSIGN_OR_RETURN(PersonConviction c, OwnConviction(head, d));
    convictions.push_back(std::move(c));
    dates.push_back(std::move(d));
  }
  const std::vector<EffectiveRecordDates> effective = EffectiveDates(convictions);
  size_t i = 0;
  for (auto& [id, head] : heads) {
    RecordDates& d = dates[i];
    const EffectiveRecordDates& e = effective[i++];
    if (d.employer_visible_until() == e.employer_visible_until &&
        d.delete_after() == e.delete_after) {
      continue;
    }
    d.set_employer_visible_until(e.employer_visible_until);
    d.set_delete_after(e.delete_after);
    RETURN_IF_ERROR(StageHead(&head, d, w));
  }
  return absl::OkStatus();
}

void RecordStore::Lock(absl::Mutex* mu, PendingWrite* w) const {
  if (std::find(w->locks_.begin(), w->locks_.end(), mu) != w->locks_.end()) return;
  mu->Lock();
  w->locks_.push_back(mu);
}

absl::StatusOr<std::string> RecordStore::PersonalNumberToken(absl::string_view pn) const {
  absl::StatusOr<std::string> token = pn_index_->Token(pn);
  return token;
}

absl::StatusOr<std::vector<std::string>> RecordStore::NameLimitTokens(
    absl::string_view surname, absl::string_view given_name) const {
  std::vector<std::string> tokens;
  ASSIGN_OR_RETURN(std::string token, NameToken(surname, given_name, "", ""));
  tokens.push_back(std::move(token));
  // Every other form the vetting lookup reads the name under (FactsForVetting): a surname typed
  // in Cyrillic letters that look Latin ("Рера") is looked up as the Latin it looks like too, and
  // one typed in Latin letters that look Cyrillic ("Pepa") as that Cyrillic, so it takes from
  // those names' buckets as well, and buys no second day's guesses at a birth date.
  ASSIGN_OR_RETURN(const NameForms forms, OtherNameForms(surname, given_name));
  for (const auto& form : forms) {
    ASSIGN_OR_RETURN(std::string other,
                     name_index_->Token(absl::StrCat(form.first, "|", form.second, "|")));
    tokens.push_back(std::move(other));
  }
  // A given name of several words is looked up by each word alone too, in each of those forms
  // (FactsForVetting): so "Ali Arben Mehmeti" takes from the bucket of "Arben Mehmeti" as well,
  // and "Arben Ali Рера" from that of "Arben Pepa".
  ASSIGN_OR_RETURN(std::vector<std::string> words,
                   GivenWordTokensOfForms(surname, given_name, forms, ""));
  for (std::string& word : words) tokens.push_back(std::move(word));
  // And its other ways of being written, in each of those forms (FactsForVetting): "Arben
  // Krasniqi" takes from the bucket of "Krasniqi Arben", "Ali Arben" from that of "AliArben", and
  // "Hoxha Berisha" from those of "Hoxha" and "Berisha". Each bucket once.
  ASSIGN_OR_RETURN(NameVariants variants,
                   NameVariantTokens(surname, given_name, forms, "", ""));
  // And each two distinct words of each of those forms (FactsForVetting): "Hoti Morina, Ali
  // Arben" takes from the buckets of "Hoti, Arben", "Arben, Hoti", "Morina X, Ali" and every
  // other name that shares two of its words, so that a third word made up for each try buys no
  // more guesses at the birth date of a record that bears the two. Not each word alone, which
  // vetting reads too: its bucket would count together every check of one common surname.
  ASSIGN_OR_RETURN(std::vector<std::string> pairs,
                   NameWordPairTokens(surname, given_name, forms, "", "", nullptr,
                                      /*words_alone=*/false));
  std::set<std::string> taken(tokens.begin(), tokens.end());
  for (std::vector<std::string>* more : {&variants.any_order, &variants.parts, &pairs}) {
    for (std::string& token : *more) {
      if (taken.insert(token).second) tokens.push_back(std::move(token));
    }
  }
  return tokens;
}

absl::StatusOr<RecordStore::NameForms> RecordStore::OtherNameForms(
    absl::string_view surname, absl::string_view given_name) const {
  ASSIGN_OR_RETURN(const std::string s, normalizer_->Normalize(surname));
  ASSIGN_OR_RETURN(const std::string g, normalizer_->Normalize(given_name));
  // Each field as typed, as its Cyrillic and Greek look-alike words read in Latin ("Рера" is
  // "pepa"), and as its Latin look-alike words read in Cyrillic ("Mapko" is "marko"), each form
  // once: a word is of one alphabet, so a field of one word has at most two, and the name at most
  // eight other forms (three when each field is in one alphabet).
  ASSIGN_OR_RETURN(std::string s_seen, normalizer_->NormalizeAsSeen(surname));
  ASSIGN_OR_RETURN(std::string g_seen, normalizer_->NormalizeAsSeen(given_name));
  ASSIGN_OR_RETURN(std::string s_cyrillic, normalizer_->NormalizeAsSeenInCyrillic(surname));
  ASSIGN_OR_RETURN(std::string g_cyrillic, normalizer_->NormalizeAsSeenInCyrillic(given_name));
  const std::set<std::string> surnames = {s, std::move(s_seen), std::move(s_cyrillic)};
  const std::set<std::string> given_names = {g, std::move(g_seen), std::move(g_cyrillic)};
  NameForms forms;
  for (const std::string& surname_form : surnames) {
    for (const std::string& given_form : given_names) forms.emplace(surname_form, given_form);
  }
  // And the name with its apostrophes read as spaces (ApartForms), which is none of those: its
  // words are others.
  ASSIGN_OR_RETURN(const NameForms apart, ApartForms(surname, given_name));
  forms.insert(apart.begin(), apart.end());
  forms.erase({s, g});
  return forms;
}

absl::StatusOr<RecordStore::NameForms> RecordStore::ApartForms(absl::string_view surname,
                                                               absl::string_view given_name,
                                                               bool loose) const {
  const auto normalize = [&](absl::string_view field) {
    return loose ? normalizer_->NormalizeForLooseForm(field) : normalizer_->Normalize(field);
  };
  // The field with its apostrophes read as spaces, less a part of one letter that one of them
  // cut off (a word of one letter the field holds anyway stays).
  const auto apart = [&](absl::string_view field) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(std::string canonical, normalize(field));
    const std::string spaced = ApostrophesAsSpaces(field);
    if (spaced == field) return canonical;
    ASSIGN_OR_RETURN(const std::string split, normalize(spaced));
    const std::set<std::string> own = absl::StrSplit(canonical, ' ', absl::SkipEmpty());
    std::vector<std::string> kept;
    std::vector<std::string> words = absl::StrSplit(split, ' ', absl::SkipEmpty());
    for (std::string& word : words) {
      if (word.size() > 1 || own.count(word) > 0) kept.push_back(std::move(word));
    }
    if (kept.empty()) return canonical;
    return absl::StrJoin(kept, " ");
  };
  ASSIGN_OR_RETURN(const std::string s, normalize(surname));
  ASSIGN_OR_RETURN(const std::string g, normalize(given_name));
  ASSIGN_OR_RETURN(std::string s_apart, apart(surname));
  ASSIGN_OR_RETURN(std::string g_apart, apart(given_name));
  NameForms forms;
  if (s_apart != s || g_apart != g) forms.emplace(std::move(s_apart), std::move(g_apart));
  return forms;
}

absl::StatusOr<std::string> RecordStore::NameToken(absl::string_view surname,
                                                   absl::string_view given_name,
                                                   absl::string_view birth_date,
                                                   absl::string_view field_prefix) const {
  ASSIGN_OR_RETURN(std::string s,
                   NormalizedField(*normalizer_, field_prefix, "surname", surname));
  ASSIGN_OR_RETURN(std::string g,
                   NormalizedField(*normalizer_, field_prefix, "given_name", given_name));
  absl::StatusOr<std::string> token = name_index_->Token(absl::StrCat(s, "|", g, "|", birth_date));
  return token;
}

absl::StatusOr<std::string> RecordStore::LooseNameToken(absl::string_view surname,
                                                        absl::string_view given_name,
                                                        absl::string_view birth_date,
                                                        absl::string_view field_prefix) const {
  ASSIGN_OR_RETURN(const std::string s, NormalizedField(*normalizer_, field_prefix, "surname",
                                                       surname, /*loose=*/true));
  ASSIGN_OR_RETURN(const std::string g, NormalizedField(*normalizer_, field_prefix, "given_name",
                                                       given_name, /*loose=*/true));
  return loose_index_->Token(absl::StrCat(NameNormalizer::LooseForm(s), "|",
                                          NameNormalizer::LooseForm(g), "|", birth_date));
}

absl::StatusOr<std::vector<std::string>> RecordStore::GivenWordTokens(
    absl::string_view surname, absl::string_view given_name, absl::string_view birth_date,
    absl::string_view field_prefix, bool loose) const {
  ASSIGN_OR_RETURN(std::string s,
                   NormalizedField(*normalizer_, field_prefix, "surname", surname, loose));
  ASSIGN_OR_RETURN(const std::string g,
                   NormalizedField(*normalizer_, field_prefix, "given_name", given_name, loose));
  if (loose) s = NameNormalizer::LooseForm(s);
  std::set<std::string> tokens;
  const crypto::BlindIndexer& index = loose ? *loose_index_ : *name_index_;
  for (const std::string& word : WordsOf(g)) {
    const std::string form = loose ? NameNormalizer::LooseForm(word) : word;
    ASSIGN_OR_RETURN(std::string token,
                     index.Token(absl::StrCat(s, "|", form, "|", birth_date)));
    tokens.insert(std::move(token));
  }
  return std::vector<std::string>(tokens.begin(), tokens.end());
}

absl::StatusOr<std::vector<std::string>> RecordStore::GivenWordTokensOfForms(
    absl::string_view surname, absl::string_view given_name, const NameForms& forms,
    absl::string_view birth_date) const {
  ASSIGN_OR_RETURN(const std::vector<std::string> typed,
                   GivenWordTokens(surname, given_name, birth_date, "", /*loose=*/false));
  std::set<std::string> tokens(typed.begin(), typed.end());
  for (const auto& [surname_form, given_form] : forms) {
    for (const std::string& word : WordsOf(given_form)) {
      ASSIGN_OR_RETURN(std::string token, name_index_->Token(absl::StrCat(
                                              surname_form, "|", word, "|", birth_date)));
      tokens.insert(std::move(token));
    }
  }
  return std::vector<std::string>(tokens.begin(), tokens.end());
}

absl::StatusOr<RecordStore::NameVariants> RecordStore::NameVariantTokens(
    absl::string_view surname, absl::string_view given_name, const NameForms& forms,
    absl::string_view birth_date, absl::string_view field_prefix) const {
  ASSIGN_OR_RETURN(const std::string s,
                   NormalizedField(*normalizer_, field_prefix, "surname", surname));
  ASSIGN_OR_RETURN(const std::string g,
                   NormalizedField(*normalizer_, field_prefix, "given_name", given_name));
  std::set<std::string> any_order;
  std::set<std::string> parts;
  const auto add = [&](const std::string& surname_form,
                       const std::string& given_form) -> absl::Status {
    // The words of both fields, sorted (a word twice stays twice): "Arben, Krasniqi" is
    // "Krasniqi, Arben", and "Krasniqi, Ali Arben" is "Krasniqi Ali, Arben".
    std::vector<std::string> words =
        absl::StrSplit(absl::StrCat(surname_form, " ", given_form), ' ', absl::SkipEmpty());
    std::sort(words.begin(), words.end());
    ASSIGN_OR_RETURN(std::string sorted,
                     name_index_->Token(absl::StrCat(kAnyOrderLabel, absl::StrJoin(words, " "),
                                                     "|", birth_date)));
    any_order.insert(std::move(sorted));
    // Each field's words joined: "Ali Arben" is "AliArben", "Hoxha-Berisha" "HoxhaBerisha".
    const std::string joined_surname = absl::StrReplaceAll(surname_form, {{" ", ""}});
    const std::string joined_given = absl::StrReplaceAll(given_form, {{" ", ""}});
    if (joined_surname != surname_form || joined_given != given_form) {
      ASSIGN_OR_RETURN(std::string joined,
                       name_index_->Token(absl::StrCat(joined_surname, "|", joined_given, "|",
                                                       birth_date)));
      parts.insert(std::move(joined));
    }
    // Each of two (or more) surnames alone, with the whole given name.
    for (const std::string& word : WordsOf(surname_form)) {
      ASSIGN_OR_RETURN(std::string one, name_index_->Token(absl::StrCat(word, "|", given_form,
                                                                        "|", birth_date)));
      parts.insert(std::move(one));
    }
    return absl::OkStatus();
  };
  // D with stroke (Đ, Ђ) folds to "dj" ("Đurić" is "djuric"), and a plain D is how it is most
  // often typed without the letter on the keyboard ("Duric"), which no other form meets: each
  // form with a "dj" is also filed and read with every "dj" a "d", so that Duric, Djuric and
  // Đurić, and Đorde for Đorđe, meet in these rows (the exact name still tells them apart, so
  // such a record refers, never decides).
  const auto add_with_plain_d = [&](const std::string& surname_form,
                                    const std::string& given_form) -> absl::Status {
    RETURN_IF_ERROR(add(surname_form, given_form));
    if (!absl::StrContains(surname_form, "dj") && !absl::StrContains(given_form, "dj")) {
      return absl::OkStatus();
    }
    return add(absl::StrReplaceAll(surname_form, {{"dj", "d"}}),
               absl::StrReplaceAll(given_form, {{"dj", "d"}}));
  };
  RETURN_IF_ERROR(add_with_plain_d(s, g));
  for (const auto& [surname_form, given_form] : forms) {
    RETURN_IF_ERROR(add_with_plain_d(surname_form, given_form));
  }
  NameVariants variants;
  variants.any_order.assign(any_order.begin(), any_order.end());
  variants.parts.assign(parts.begin(), parts.end());
  return variants;
}

absl::StatusOr<std::vector<std::string>> RecordStore::NameWordPairTokens(
    absl::string_view surname, absl::string_view given_name, const NameForms& forms,
    absl::string_view birth_date, absl::string_view field_prefix,
    const google::protobuf::RepeatedPtrField<std::string>* aliases, bool words_alone,
    bool loose) const {
  const auto words_of = [](absl::string_view field) -> std::vector<std::string> {
    return absl::StrSplit(field, ' ', absl::SkipEmpty());
  };
  ASSIGN_OR_RETURN(const std::string s,
                   NormalizedField(*normalizer_, field_prefix, "surname", surname, loose));
  ASSIGN_OR_RETURN(const std::string g,
                   NormalizedField(*normalizer_, field_prefix, "given_name", given_name, loose));
  // A name asked about (a vetting candidate's, a court's query, the name limit's) pairs all its
  // words: one of more than kMaxPairedWordsPerField words in a field is refused, whatever the
  // registry holds, so that no word is dropped and the reads stay bounded. The words counted
  // are those of each of its forms too: a word glued on with an apostrophe ("Xhafa'Krasniqi",
  // ApartForms) is one.
  if (aliases == nullptr) {
    std::vector<std::pair<absl::string_view, const std::string*>> fields = {
        {"surname", &s}, {"given_name", &g}};
    for (const auto& form : forms) {
      fields.push_back({"surname", &form.first});
      fields.push_back({"given_name", &form.second});
    }
    for (const auto& [field, value] : fields) {
      if (words_of(*value).size() > kMaxPairedWordsPerField) {
        return absl::InvalidArgumentError(absl::StrCat(
            field_prefix, field, ": at most ", kMaxPairedWordsPerField, " words"));
      }
    }
  }
  // A record's aliases, each in the surname's place: all the surnames the person bore. One that
  // cannot be normalised is left out here (SetAliasTokens refuses it, or counts it skipped).
  std::vector<std::string> other_surnames;
  if (aliases != nullptr) {
    for (const std::string& alias : *aliases) {
      absl::StatusOr<std::string> a =
          loose ? normalizer_->NormalizeForLooseForm(alias) : normalizer_->Normalize(alias);
      if (absl::IsInvalidArgument(a.status())) continue;
      if (!a.ok()) return a.status();
      other_surnames.push_back(*std::move(a));
    }
  }
  std::set<std::string> tokens;
  // A pair's two words (`second` empty: a word alone). In the loose form each is folded by
  // LooseForm (the words, fields joined and names joined alike) and the two sorted after, under
  // the loose index: "Petroviq" and "Petrović" are one word there.
  const auto token_of = [&](std::string first, std::string second) -> absl::Status {
    if (loose) {
      first = NameNormalizer::LooseForm(first);
      second = NameNormalizer::LooseForm(second);
      if (!second.empty() && second < first) std::swap(first, second);
    }
    const std::string words = second.empty() ? first : absl::StrCat(first, " ", second);
    const crypto::BlindIndexer& index = loose ? *loose_index_ : *name_index_;
    ASSIGN_OR_RETURN(std::string token,
                     index.Token(absl::StrCat(kWordPairLabel, words, "|", birth_date)));
    tokens.insert(std::move(token));
    return absl::OkStatus();
  };
  // D with stroke typed as a plain D (the rule of NameVariantTokens): a word with a "dj" also
  // with every "dj" a "d".
  const auto plain_d = [](const std::string& word) {
    return absl::StrReplaceAll(word, {{"dj", "d"}});
  };
  const auto add = [&](const std::vector<std::string>& surnames,
                       const std::string& given_form) -> absl::Status {
    // Each word with the places of the name it stands for, one place per distinct word kept:
    // two words pair only when they stand for different places, so a field joined does not pair
    // with its own words, nor a word with its plain-D form, nor the whole name joined with
    // itself the other way.
    std::map<std::string, std::set<size_t>> words;
    size_t next_place = 0;
    std::map<std::string, size_t> place_of;
    // Each field's words joined, standing alone for two words or more (below).
    std::set<std::string> joined;
    std::vector<const std::string*> fields;
    for (const std::string& one : surnames) fields.push_back(&one);
    fields.push_back(&given_form);
    for (const std::string* field : fields) {
      const std::vector<std::string> field_words = words_of(*field);
      std::set<size_t> field_places;
      size_t kept = 0;
      for (const std::string& word : field_words) {
        auto known = place_of.find(word);
        if (known == place_of.end()) {
          // A record's first kMaxPairedWordsPerField distinct words of each field, as written:
          // no name asked about has more.
          if (kept == kMaxPairedWordsPerField) continue;
          ++kept;
          known = place_of.emplace(word, next_place++).first;
        }
        words[word].insert(known->second);
        field_places.insert(known->second);
      }
      // The field's words joined ("hotimorina", "aliarben"), standing for all of them in the
      // pairs; and as written and in the reverse order ("morinahoti", "arbenali") alone, below:
      // a name that gives them as one word gives them all.
      if (field_words.size() > 1) {
        words[absl::StrJoin(field_words, "")].insert(field_places.begin(), field_places.end());
        joined.insert(absl::StrJoin(field_words, ""));
        joined.insert(absl::StrJoin(field_words.rbegin(), field_words.rend(), ""));
      }
    }
    // The surname and each alias joined, each way ("kelmendigashi", "gashikelmendi"): the
    // person's two surnames written as one.
    for (size_t i = 1; i < surnames.size(); ++i) {
      const std::string first = absl::StrReplaceAll(surnames[0], {{" ", ""}});
      const std::string other = absl::StrReplaceAll(surnames[i], {{" ", ""}});
      if (first.empty() || other.empty() || first == other) continue;
      joined.insert(first + other);
      joined.insert(other + first);
    }
    // The whole name joined across the fields, each way and with each surname
    // ("krasniqiarben", "arbenkrasniqi"), standing for the name as a whole: it pairs with each
    // word and field joined, its own too, so "KrasniqiArben, Arben" meets "Krasniqi, Arben"
    // (both hold the pair "arben" and "krasniqiarben"); the joins, and their plain-D forms, pair
    // with none of each other.
    const size_t whole_name = next_place++;
    const std::string joined_given = absl::StrReplaceAll(given_form, {{" ", ""}});
    for (const std::string& one : surnames) {
      const std::string joined_surname = absl::StrReplaceAll(one, {{" ", ""}});
      if (joined_surname.empty() || joined_given.empty()) continue;
      words[joined_surname + joined_given].insert(whole_name);
      words[joined_given + joined_surname].insert(whole_name);
    }
    std::map<std::string, std::set<size_t>> plain;
    for (const auto& [word, places] : words) {
      if (absl::StrContains(word, "dj")) plain[plain_d(word)].insert(places.begin(), places.end());
    }
    for (const auto& [word, places] : plain) words[word].insert(places.begin(), places.end());
    for (auto a = words.begin(); a != words.end(); ++a) {
      for (auto b = std::next(a); b != words.end(); ++b) {
        const bool shared = std::any_of(a->second.begin(), a->second.end(),
                                        [&](size_t p) { return b->second.count(p) > 0; });
        if (shared) continue;
        RETURN_IF_ERROR(token_of(a->first, b->first));
      }
    }
    // One word alone, under the same label without a second word: a record files each of its
    // fields joined (above), which counts as two of its words, and a name asked about looks up
    // each of its words and each of its fields joined as written, so "Hotimorina, Besnik" and
    // "Arbenali, Xhafa" meet "Hoti Morina, Ali Arben". A word alone of a record is always two
    // words or more joined, so one shared word still finds nothing.
    if (aliases == nullptr) {
      joined.clear();
      for (const std::string* field : fields) {
        for (std::string& word : words_of(*field)) joined.insert(std::move(word));
        joined.insert(absl::StrReplaceAll(*field, {{" ", ""}}));
      }
    }
    std::set<std::string> alone;
    if (!words_alone) joined.clear();
    for (const std::string& word : joined) {
      if (word.empty()) continue;
      alone.insert(word);
      if (absl::StrContains(word, "dj")) alone.insert(plain_d(word));
    }
    for (const std::string& word : alone) RETURN_IF_ERROR(token_of(word, ""));
    return absl::OkStatus();
  };
  std::vector<std::string> surnames = {s};
  surnames.insert(surnames.end(), other_surnames.begin(), other_surnames.end());
  RETURN_IF_ERROR(add(surnames, g));
  for (const auto& [surname_form, given_form] : forms) {
    RETURN_IF_ERROR(add({surname_form}, given_form));
  }
  return std::vector<std::string>(tokens.begin(), tokens.end());
}

absl::StatusOr<RecordStore::LooseVariants> RecordStore::LooseVariantTokens(
    absl::string_view surname, absl::string_view given_name, absl::string_view birth_date,
    absl::string_view field_prefix,
    const google::protobuf::RepeatedPtrField<std::string>* aliases) const {
  ASSIGN_OR_RETURN(const std::string s, NormalizedField(*normalizer_, field_prefix, "surname",
                                                       surname, /*loose=*/true));
  ASSIGN_OR_RETURN(const std::string g, NormalizedField(*normalizer_, field_prefix, "given_name",
                                                       given_name, /*loose=*/true));
  const auto loose_words = [](absl::string_view field) {
    std::vector<std::string> words = absl::StrSplit(field, ' ', absl::SkipEmpty());
    for (std::string& word : words) word = NameNormalizer::LooseForm(word);
    return words;
  };
  // The name as typed and with its apostrophes read as spaces (ApartForms): "D'Amato" is
  // "Amato" as well here, its words in any order and alone.
  ASSIGN_OR_RETURN(const NameForms apart, ApartForms(surname, given_name, /*loose=*/true));
  NameForms forms = apart;
  forms.emplace(s, g);
  std::set<std::string> any_order;
  std::set<std::string> parts;
  for (const auto& [surname_form, given_form] : forms) {
    // The words of both fields, each folded alone, sorted (a word twice stays twice): "Arber,
    // Krasnici" is "Krasniqi, Arbër". The fields' words joined are the loose name itself (the
    // loose form drops the spaces), so no token of them here.
    std::vector<std::string> words = loose_words(surname_form);
    const std::vector<std::string> given_words = loose_words(given_form);
    words.insert(words.end(), given_words.begin(), given_words.end());
    std::sort(words.begin(), words.end());
    ASSIGN_OR_RETURN(std::string sorted,
                     loose_index_->Token(absl::StrCat(kAnyOrderLabel, absl::StrJoin(words, " "),
                                                      "|", birth_date)));
    any_order.insert(std::move(sorted));
    // Each of two (or more) surnames alone, with the whole given name, as LooseNameToken makes
    // a name's: "Petroviq, Gjorgje" is "Petrović" of "Jovanović-Petrović, Đorđe".
    const std::string loose_given = NameNormalizer::LooseForm(given_form);
    for (const std::string& word : WordsOf(surname_form)) {
      ASSIGN_OR_RETURN(std::string one,
                       loose_index_->Token(absl::StrCat(NameNormalizer::LooseForm(word), "|",
                                                        loose_given, "|", birth_date)));
      parts.insert(std::move(one));
    }
  }
  LooseVariants variants;
  variants.any_order.assign(any_order.begin(), any_order.end());
  variants.parts.assign(parts.begin(), parts.end());
  ASSIGN_OR_RETURN(variants.pairs,
                   NameWordPairTokens(surname, given_name, apart, birth_date, field_prefix,
                                      aliases, /*words_alone=*/true, /*loose=*/true));
  return variants;
}

static_assert(RecordStore::kMaxNameTokensOfARecord <= RecordStore::kVettingNameComparisons,
              "the comparison level covers every record entered");

absl::StatusOr<size_t> RecordStore::VettingNameTokenCount(const NameNormalizer& normalizer,
                                                          const registry::v1::Person& person) {
  // A store that only makes tokens, under a key of its own: nothing else of it is used.
  ASSIGN_OR_RETURN(const crypto::SecretBytes root, crypto::SecretBytes::Random(32));
  ASSIGN_OR_RETURN(auto name, crypto::BlindIndexer::Create(root, "name-birth-date"));
  const RecordStore counting(nullptr, nullptr, &normalizer, nullptr, std::move(name), nullptr,
                             nullptr, nullptr, nullptr, nullptr);
  ASSIGN_OR_RETURN(const ComparedNameTokens compared, counting.ComparedNameTokensOf(person));
  // The name token, and each of the others (FactsForVetting's names_candidate).
  return 1 + compared.given_words.size() + compared.variants.size();
}

absl::StatusOr<RecordStore::ComparedNameTokens> RecordStore::ComparedNameTokensOf(
    const registry::v1::Person& person) const {
  ComparedNameTokens compared;
  ASSIGN_OR_RETURN(compared.given_words,
                   GivenWordTokens(person.surname(), person.given_name(), person.birth_date(),
                                   "person.", /*loose=*/false));
  // The name's other ways of being written, as stored (no form by eye: the candidate's side
  // reads those).
  // The name as stored, and with its apostrophes read as spaces (ApartForms, since schema 14):
  // "D'Amato, Marco" has the ways and pairs of "Amato, Marco" too.
  ASSIGN_OR_RETURN(const NameForms apart, ApartForms(person.surname(), person.given_name()));
  ASSIGN_OR_RETURN(const NameVariants variants,
                   NameVariantTokens(person.surname(), person.given_name(), apart,
                                     person.birth_date(), "person."));
  std::set<std::string> variant_tokens(variants.any_order.begin(), variants.any_order.end());
  variant_tokens.insert(variants.parts.begin(), variants.parts.end());
  // And each two distinct words of it (since schema 13): a candidate who shares any two of the
  // name's words with the record, however the rest is written, is referred. The words are those
  // of every name the person bore, the aliases with the surname: a record of "Kelmendi" alias
  // "Gashi", "Drita" holds the pairs of "Gashi" and "Drita", and of "Gashi" and "Kelmendi", and
  // "KelmendiGashi" alone.
  ASSIGN_OR_RETURN(const std::vector<std::string> pairs,
                   NameWordPairTokens(person.surname(), person.given_name(), apart,
                                      person.birth_date(), "person.", &person.aliases()));
  variant_tokens.insert(pairs.begin(), pairs.end());
  compared.variants = std::move(variant_tokens);
  return compared;
}

absl::Status RecordStore::SetWordTokens(const registry::v1::Person& person,
                                        StoredHead* head) const {
  ASSIGN_OR_RETURN(const std::vector<std::string> loose,
                   GivenWordTokens(person.surname(), person.given_name(), person.birth_date(),
                                   "person.", /*loose=*/true));
  ASSIGN_OR_RETURN(const ComparedNameTokens compared, ComparedNameTokensOf(person));
  head->clear_loose_word_tokens();
  head->clear_given_word_tokens();
  // A word whose loose form is the whole given name's ("A A") is filed once, as the name.
  for (const std::string& t : loose) {
    if (t != head->loose_name_token()) head->add_loose_word_tokens(t);
  }
  for (const std::string& t : compared.given_words) head->add_given_word_tokens(t);
  head->clear_name_variant_tokens();
  for (const std::string& t : compared.variants) head->add_name_variant_tokens(t);
  // And the same ways in the loose form (since schema 14), for the court's search alone: another
  // spelling of one of two surnames, of the fields swapped or of any two words is a possible
  // match. A token equal to the loose name's is filed once, as that.
  ASSIGN_OR_RETURN(const LooseVariants loose_variants,
                   LooseVariantTokens(person.surname(), person.given_name(), person.birth_date(),
                                      "person.", &person.aliases()));
  std::set<std::string> loose_tokens(loose_variants.any_order.begin(),
                                     loose_variants.any_order.end());
  loose_tokens.insert(loose_variants.parts.begin(), loose_variants.parts.end());
  loose_tokens.insert(loose_variants.pairs.begin(), loose_variants.pairs.end());
  loose_tokens.erase(head->loose_name_token());
  head->clear_loose_variant_tokens();
  for (const std::string& t : loose_tokens) head->add_loose_variant_tokens(t);
  return absl::OkStatus();
}

absl::Status RecordStore::SetAliasTokens(const registry::v1::Person& person, StoredHead* head,
                                         size_t* skipped) const {
  std::set<std::string> exact;
  std::set<std::string> loose;
  std::set<std::string> loose_words;
  for (int i = 0; i < person.aliases_size(); ++i) {
    if (skipped != nullptr) {
      StoredHead one;
      registry::v1::Person alone = person;
      alone.clear_aliases();
      alone.add_aliases(person.aliases(i));
      const absl::Status indexed = SetAliasTokens(alone, &one);
      if (absl::IsInvalidArgument(indexed)) {
        ++*skipped;
        continue;
      }
      RETURN_IF_ERROR(indexed);
    }
    // Each alias is another surname (records.proto): the tokens of the person's names with the
    // alias in the surname's place.
    const std::string field = absl::StrCat("person.aliases[", i, "]");
    const auto named = [&](absl::Status status) {
      return absl::IsInvalidArgument(status)
                 ? absl::InvalidArgumentError(absl::StrCat(field, ": ", status.message()))
                 : status;
    };
    absl::StatusOr<std::string> canonical = normalizer_->Normalize(person.aliases(i));
    if (!canonical.ok()) return named(canonical.status());
    absl::StatusOr<std::string> token =
        NameToken(person.aliases(i), person.given_name(), person.birth_date(), "person.");
    if (!token.ok()) return named(token.status());
    exact.insert(*std::move(token));
    absl::StatusOr<std::string> loose_token =
        LooseNameToken(person.aliases(i), person.given_name(), person.birth_date(), "person.");
    if (!loose_token.ok()) return named(loose_token.status());
    loose.insert(*std::move(loose_token));
    absl::StatusOr<std::vector<std::string>> word_tokens = GivenWordTokens(
        person.aliases(i), person.given_name(), person.birth_date(), "person.", /*loose=*/true);
    if (!word_tokens.ok()) return named(word_tokens.status());
    loose_words.insert(word_tokens->begin(), word_tokens->end());
  }
  head->clear_alias_tokens();
  head->clear_alias_loose_tokens();
  head->clear_alias_loose_word_tokens();
  for (const std::string& t : exact) head->add_alias_tokens(t);
  for (const std::string& t : loose) head->add_alias_loose_tokens(t);
  // Each row once: a word token equal to an alias's whole token is filed as that.
  for (const std::string& t : loose_words) {
    if (loose.count(t) == 0) head->add_alias_loose_word_tokens(t);
  }
  return absl::OkStatus();
}

absl::Status RecordStore::StageNameRows(const StoredHead& old_head, const StoredHead& head,
                                        PendingWrite* w) const {
  const std::string& id = head.record_id();
  const auto restage = [&](char kind, const auto& before, const auto& after) -> absl::Status {
    for (const std::string& token : before) {
      if (std::find(after.begin(), after.end(), token) == after.end()) {
        w->batch()->Delete(Cf::kIndex, IndexKey(kind, token, id));
      }
    }
    for (const std::string& token : after) {
      if (std::find(before.begin(), before.end(), token) == before.end()) {
        RETURN_IF_ERROR(PutIndexRow(kind, token, id, w));
      }
    }
    return absl::OkStatus();
  };
  // The loose rows as sets: a token that moves between the name and a word (the given name
  // "Ali Arben" amended to "Arben") keeps its row.
  RETURN_IF_ERROR(restage(kLoose, LooseRowsOf(old_head), LooseRowsOf(head)));
  RETURN_IF_ERROR(restage(kAlias, old_head.alias_tokens(), head.alias_tokens()));
  RETURN_IF_ERROR(restage(kAliasLoose, AliasLooseRowsOf(old_head), AliasLooseRowsOf(head)));
  RETURN_IF_ERROR(restage(kGivenWord, old_head.given_word_tokens(), head.given_word_tokens()));
  RETURN_IF_ERROR(
      restage(kNameVariant, old_head.name_variant_tokens(), head.name_variant_tokens()));
  return restage(kLooseVariant, old_head.loose_variant_tokens(), head.loose_variant_tokens());
}

bool RecordStore::IsAbroad(const registry::v1::Conviction& c) {
  // Validation requires both exactly when the court is foreign; either is enough here.
  return !c.foreign_court().empty() || !c.foreign_country().empty();
}

namespace {

// Folds the words of a court abroad's name (as DedupCourt compares them) that one court is
// commonly written in either way: in a country whose courts are named in German (Germany,
// Austria, Switzerland, Liechtenstein, Luxembourg), "ue", "oe" and "ae" written for ü, ö and ä
// (which the name rules read as u, o and a: "fuer" is "für", "fur"; ß and "ss" agree already);
// and, in any country, a Roman numeral I to XX as the last word of several for its number
// ("Landgericht München I" is "Landgericht München 1"). Abbreviations ("LG" for Landesgericht,
// "f." for "für") are not expanded.
void FoldCourtNameVariants(absl::string_view country, std::vector<std::string>* words) {
  if (country == "DE" || country == "AT" || country == "CH" || country == "LI" ||
      country == "LU") {
    for (std::string& word : *words) {
      std::string folded;
      for (size_t i = 0; i < word.size(); ++i) {
        folded.push_back(word[i]);
        const char v = word[i];
        if ((v == 'u' || v == 'o' || v == 'a') && i + 1 < word.size() && word[i + 1] == 'e') {
          ++i;
        }
      }
      word = std::move(folded);
    }
  }
  static constexpr absl::string_view kRoman[] = {
      "i",  "ii",  "iii",  "iv",  "v",  "vi",  "vii",  "viii",  "ix",  "x",
      "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx"};
  if (words->size() < 2) return;
  for (size_t n = 0; n < std::size(kRoman); ++n) {
    if (words->back() == kRoman[n]) {
      words->back() = absl::StrCat(n + 1);
      return;
    }
  }
}

}  // namespace

std::string RecordStore::DedupCourt(const registry::v1::Conviction& c, CourtNameForm form) const {
  if (!IsAbroad(c)) return c.court_id();
  // kCurrent and kBeforeWordsJoined: an apostrophe parts words ("d'arrondissement" is "d
  // arrondissement").
  const bool current =
      form == CourtNameForm::kCurrent || form == CourtNameForm::kBeforeWordsJoined;
  const std::string name =
      current ? ApostrophesAsSpaces(c.foreign_court()) : std::string(c.foreign_court());
  // Words as names are compared (NameNormalizer: case, accents, script, apostrophes), parted by
  // ASCII spaces, hyphens and other punctuation; a run of digits is a word of its own. A word
  // the name rules refuse (a symbol in it) is compared by the case-number rules (case folded,
  // punctuation dropped; of the form that keeps a number word such as "No", as the court tokens
  // stored were made), else as typed: each step is deterministic.
  std::vector<std::string> words;
  std::string run;
  const auto flush = [&](bool digits) {
    if (run.empty()) return;
    std::string word = run;
    if (digits) {
      const size_t first = word.find_first_not_of('0');
      word = first == std::string::npos ? "0" : word.substr(first);
    } else if (absl::StatusOr<std::string> named = normalizer_->Normalize(run); named.ok()) {
      // kCurrent: "sh" is "š" (read "s"), as in a case number (step 10).
      word = current ? WithDigraphsFolded(*named) : *std::move(named);
    } else if (absl::StatusOr<std::string> folded =
                   CanonicalCaseNumber(run, CaseNumberForm::kBeforeNumberWordsAnywhere);
               folded.ok()) {
      word = *std::move(folded);
    }
    if (!word.empty()) words.push_back(std::move(word));
    run.clear();
  };
  bool in_digits = false;
  for (const char ch : name) {
    const auto u = static_cast<unsigned char>(ch);
    const bool digit = absl::ascii_isdigit(u);
    const bool separator = u < 0x80 && !digit && !absl::ascii_isalpha(u) && ch != '\'';
    if (separator || digit != in_digits) flush(in_digits);
    in_digits = digit;
    if (!separator) run.push_back(ch);
  }
  flush(in_digits);
  const std::string country = absl::AsciiStrToUpper(c.foreign_country());
  if (form != CourtNameForm::kAsTyped) FoldCourtNameVariants(country, &words);
  if (form == CourtNameForm::kCurrent) {
    // The words written together, and digraphs folded across where they met: where a space, a
    // hyphen or an apostrophe stood, or none, is no part of the name ("Tribunal
    // d'arrondissement" = "Tribunal darrondissement" = "Tribunal d arrondissement").
    return absl::StrCat(c.court_id(), "|", country, "|",
                        WithDigraphsFolded(absl::StrJoin(words, "")));
  }
  return absl::StrCat(c.court_id(), "|", country, "|", absl::StrJoin(words, " "));
}

absl::StatusOr<std::string> RecordStore::DedupToken(const registry::v1::Conviction& c,
                                                    absl::string_view pn) const {
  ASSIGN_OR_RETURN(const std::string case_number, CanonicalCaseNumber(c.case_number()));
  return DedupTokenOf(DedupCourt(c), case_number, pn);
}

absl::StatusOr<std::string> RecordStore::DedupTokenOf(absl::string_view court,
                                                      absl::string_view canonical_case_number,
                                                      absl::string_view pn) const {
  return dedup_index_->Token(absl::StrCat(court, "|", canonical_case_number, "|", pn));
}

absl::StatusOr<std::vector<std::string>> RecordStore::CutDedupTokens(
    const registry::v1::Conviction& c, absl::string_view pn) const {
  ASSIGN_OR_RETURN(const std::string cut,
                   CanonicalCaseNumber(c.case_number(), CaseNumberForm::kCutAtYear));
  std::vector<std::string> tokens;
  if (cut.empty()) return tokens;
  const std::string court = DedupCourt(c);
  for (const std::string& spelling : YearSpellings(cut)) {
    // 0xFE, which UTF-8 never holds, starts no canonical form (0xFF starts a malformed one).
    ASSIGN_OR_RETURN(std::string token, DedupTokenOf(court, absl::StrCat("\xfe", spelling), pn));
    tokens.push_back(std::move(token));
  }
  return tokens;
}

namespace {

// The letters and digraphs kCurrent reads as a plain letter (CanonicalCaseNumber, step 10), as
// the forms before it kept them: courts write these.
struct PlainLetterSpellings {
  char plain;
  std::vector<const char*> spellings;  // lower case, UTF-8
};
const std::vector<PlainLetterSpellings>& PlainLetterSpellingsTable() {
  static const auto* const table = new std::vector<PlainLetterSpellings>{
      {'z', {"\xc5\xbe", "zh"}},                                 // ž
      {'s', {"\xc5\xa1", "sh"}},                                 // š
      {'c', {"\xc4\x8d", "\xc4\x87", "\xc3\xa7", "ch"}},         // č ć ç
      {'d', {"\xc4\x91", "dj"}},                                 // đ
      {'e', {"\xc3\xab"}},                                       // ë
  };
  return *table;
}

// The most spellings of a case number's letters with a diacritic or a digraph
// (EarlierLetterSpellings) that the uniqueness check looks up, each in every earlier form.
constexpr size_t kMaxEarlierLetterSpellings = 4;

// `canonical` (kCurrent) with its plain letters written as the forms before kCurrent kept them
// ("kz77/2021" as "kž77/2021" and "kzh77/2021"): every way when there are at most
// kMaxEarlierLetterSpellings, else one letter at a time, the first kMaxEarlierLetterSpellings.
// Without `canonical` itself.
std::vector<std::string> EarlierLetterSpellings(const std::string& canonical) {
  // Per plain letter: where it stands and how else it was written.
  std::vector<std::pair<size_t, const std::vector<const char*>*>> letters;
  size_t every_way = 1;
  for (size_t at = 0; at < canonical.size(); ++at) {
    for (const PlainLetterSpellings& p : PlainLetterSpellingsTable()) {
      if (canonical[at] != p.plain) continue;
      letters.emplace_back(at, &p.spellings);
      every_way = std::min<size_t>(every_way * (p.spellings.size() + 1), 1000);
    }
  }
  std::vector<std::string> out;
  if (every_way - 1 <= kMaxEarlierLetterSpellings) {
    // Every combination, the plain letter included, from the end so that positions hold.
    std::vector<std::string> all = {canonical};
    for (auto it = letters.rbegin(); it != letters.rend(); ++it) {
      const size_t n = all.size();
      for (size_t k = 0; k < n; ++k) {
        for (const char* spelling : *it->second) {
          std::string other = all[k];
          other.replace(it->first, 1, spelling);
          all.push_back(std::move(other));
        }
      }
    }
    out.assign(all.begin() + 1, all.end());
    return out;
  }
  for (const auto& [at, spellings] : letters) {
    for (const char* spelling : *spellings) {
      if (out.size() >= kMaxEarlierLetterSpellings) return out;
      std::string other = canonical;
      other.replace(at, 1, spelling);
      out.push_back(std::move(other));
    }
  }
  return out;
}

// `case_number` as typed and in the other script, of a case number whose canonical form is
// `current`; with `canonical`, `case_number` is an earlier form's already (EarlierLetterSpellings)
// and only it is written in Cyrillic.
// The spelling as typed, and in the other script: ПКР 5/2020 and PKR 5/2020 are one case.
// (From the canonical form of a Latin spelling too, whose number words are already dropped:
// "P.nr. 5/20" is "п 5/20" in Cyrillic, not "п.нр. 5/20"; not of one with Cyrillic or Greek
// letters, whose canonical form reads them by look: "ПКР" is "пkp", not "pkr" in Latin, nor
// "пkп" in Cyrillic.) A Latin spelling is written in Cyrillic when every letter has a Serbian
// Cyrillic one and the Cyrillic spelling reads as the Latin one (kCurrent reads a Serbian
// Cyrillic word by sound, step 2: "R 17/2021" is "р 17/2021", read "r17/2021"), so that a record
// stored, or a conviction erased, in Cyrillic before kCurrent (which read "р" by its look, as
// "p17/2021") is found; EarlierCaseNumberForms tells those forms apart (`by_look`).
absl::StatusOr<std::set<std::string>> ScriptSpellings(absl::string_view case_number,
                                                      const std::string& current,
                                                      bool canonical) {
  std::set<std::string> spellings = {std::string(case_number)};
  if (IsWellFormedUtf8(case_number)) {
    // Greek and Cyrillic letters are two bytes in UTF-8, led by 0xCE..0xD4.
    const bool latin = std::none_of(case_number.begin(), case_number.end(), [](char ch) {
      return static_cast<unsigned char>(ch) >= 0xCE && static_cast<unsigned char>(ch) <= 0xD4;
    });
    if (!latin) spellings.insert(SerbianTransliteration(case_number, /*to_latin=*/true));
    // In Cyrillic: a Latin spelling's canonical form, and the spelling as typed when it reads
    // the same (a Latin number word is no Cyrillic one: "P.nr." is "п.нр.", read "пhp").
    std::vector<std::string> froms = {std::string(case_number)};
    if (latin && !canonical) froms = {current, std::string(case_number)};
    std::string first_read;
    for (size_t i = 0; i < froms.size(); ++i) {
      bool latin_left = false;
      std::string cyrillic = SerbianTransliteration(froms[i], /*to_latin=*/false, &latin_left);
      if (latin_left) continue;
      ASSIGN_OR_RETURN(const std::string read, CanonicalCaseNumber(cyrillic));
      if (i == 0) first_read = read;
      if (!HasCyrillic(read) && read != current) continue;
      if (latin && i > 0 && read != first_read) continue;
      spellings.insert(std::move(cyrillic));
    }
  }
  return spellings;
}

// The canonical forms, other than the current one, that a record stored or a conviction erased
// under another spelling of `case_number` may be filed under (RecordStore::EarlierDedupTokens),
// each once. With `by_look`, set to those of them only a Cyrillic spelling gives (typed, or the
// Latin one written in Cyrillic), none of the Latin ones: the forms before kCurrent read its
// Cyrillic letters by their look, so such a form may be another register's in Latin too
// ("кр 16/2021" was "kp16/2021", which "KP 16/2021" is).
absl::StatusOr<std::set<std::string>> EarlierCaseNumberForms(
    absl::string_view case_number, std::set<std::string>* by_look = nullptr) {
  ASSIGN_OR_RETURN(const std::string current, CanonicalCaseNumber(case_number));
  // Its letters as the forms before kCurrent kept them, each looked up as a spelling of its
  // own ("Kz 77/2021" as "kž77/2021", in Cyrillic "кж77/2021", with number words ...).
  std::vector<std::string> typed = {std::string(case_number)};
  if (IsWellFormedUtf8(case_number) && current[0] != '\xff') {
    for (std::string& other : EarlierLetterSpellings(current)) typed.push_back(std::move(other));
  }
  std::set<std::string> spellings;
  for (size_t i = 0; i < typed.size(); ++i) {
    ASSIGN_OR_RETURN(std::set<std::string> some,
                     ScriptSpellings(typed[i], current, /*canonical=*/i > 0));
    spellings.insert(some.begin(), some.end());
  }
  std::set<std::string> latin_forms;
  std::set<std::string> cyrillic_forms;
  for (const std::string& spelling : spellings) {
    // Cyrillic letters are two bytes in UTF-8, led by 0xD0..0xD4.
    std::set<std::string>& forms =
        std::any_of(spelling.begin(), spelling.end(),
                    [](char ch) {
                      const auto u = static_cast<unsigned char>(ch);
                      return u >= 0xD0 && u <= 0xD4;
                    })
            ? cyrillic_forms
            : latin_forms;
    ASSIGN_OR_RETURN(const std::string spelled, CanonicalCaseNumber(spelling));
    // This spelling's earlier forms: before letters with a diacritic were plain ones, more
    // year words and number words ("Kž 5/2020" was "kž5/2020", "P nummer 5/2020"
    // "pnummer5/2020", "P 5/2020 v." "p5/2020v"); before more number words, year words and s
    // and z as digits ("P numri 5/2020" was "pnumri5/2020", "P 5/2020 g." "p5/2020g", "P
    // 1S/2020" "p1s2020"); before number words were dropped wherever they stand ("No. P 5/2020"
    // was "nop5/2020", "P numër 5/2020" "pnumër5/2020", "5/2020 P" "5/2020p"); before a word of
    // letters that look like digits was read as a number ("P l/2020" was "pl2020"); before
    // such letters touching a number were ("P 2O21" was "p2o21"); and before any number word
    // was dropped ("P.nr. 5/2020" was "pnr5/2020"); before an l with a full stop after the year
    // was a year letter ("P 5/2020 l." was "p5/2020/1"); and, last in `bases`, before what may
    // follow a judgment's year was dropped ("P 5/2020 e vitit" was "p5/2020e", "P 5/2020 l"
    // "p5/2020/1", "Pnr 5/2020" "pnr5/2020", "P.n. 5/2020" "pn5/2020").
    std::vector<std::string> bases = {spelled};
    for (const CaseNumberForm form :
         {CaseNumberForm::kBeforeCyrillicBySound, CaseNumberForm::kBeforeFoldedRegisterLetters,
          CaseNumberForm::kBeforeMoreNumberWords,
          CaseNumberForm::kBeforeNumberWordsAnywhere, CaseNumberForm::kBeforeStandAloneLookAlikes,
          CaseNumberForm::kBeforeDigitLookAlikes, CaseNumberForm::kWithNumberWords,
          CaseNumberForm::kBeforeDottedL, CaseNumberForm::kBeforeCitationTail}) {
      ASSIGN_OR_RETURN(std::string earlier, CanonicalCaseNumber(spelling, form));
      bases.push_back(std::move(earlier));
    }
    // The other spellings below are made of the current form and, when they differ, of the form
    // before kCurrent, which read Cyrillic letters by their look ("Кр nr. 5/2020" was
    // "kpnr5/2020"), and of the form before it, whose letters every earlier form kept ("Kž nr.
    // 5/2020" was "kžnr5/2020").
    std::vector<std::string> shapes = {spelled};
    for (size_t b = 1; b <= 2; ++b) {
      if (std::find(shapes.begin(), shapes.end(), bases[b]) == shapes.end()) {
        shapes.push_back(bases[b]);
      }
    }
    for (const std::string& shape : shapes) {
      const size_t number = shape.find_first_of("0123456789");
      const bool cyrillic = HasCyrillic(shape);
      std::vector<std::string> year_words;
      if (number != std::string::npos && shape[0] != '\xff') {
        // Other spellings in those forms: a number word right before the number, which the
        // forms before kBeforeMoreNumberWords kept unless it was an abbreviation ("P numër
        // 5/2020" was "pnumër5/2020", and "P.nr. 5/2020" once "pnr5/2020"); an abbreviation
        // before the register's letters ("Nr. P 5/2020" was "nrp5/2020"); and the register's
        // letters after the numbers ("5/2020 P" was "5/2020p"). Never a lone "n" ("pn5/2020"
        // is the register PN's). The words only Latin spellings have, added since
        // kBeforeMoreNumberWords, not in a Cyrillic one.
        for (size_t i = 0; i < std::size(kNumberWords); ++i) {
          if (cyrillic && i >= kLatinNumberWordsFrom) continue;
          const absl::string_view word = kNumberWords[i];
          bases.push_back(absl::StrCat(shape.substr(0, number), word, shape.substr(number)));
        }
        for (size_t i = 0; i < kNumberAbbreviations; ++i) {
          bases.push_back(absl::StrCat(kNumberWords[i], shape));
        }
        if (number > 0 && absl::ascii_isdigit(static_cast<unsigned char>(shape.back()))) {
          bases.push_back(absl::StrCat(shape.substr(number), shape.substr(0, number)));
          // A year word after the year, which earlier forms kept ("P 5/2020 g." was
          // "p5/2020g"), in the spelling's script.
          for (const absl::string_view word : kUsualYearWords) {
            if (HasCyrillic(word) == cyrillic) year_words.emplace_back(word);
          }
          // A connecting word after the year, which the form before kCurrent kept ("P 5/2020 e
          // vitit" was "p5/2020e"), after the current form's year.
          if (shape == spelled && !cyrillic) {
            for (const absl::string_view word : kEarlierCitationWords) {
              year_words.emplace_back(word);
            }
          }
        }
      }
      for (const std::string& year : YearSpellings(shape)) {
        for (const std::string& word : year_words) forms.insert(absl::StrCat(year, word));
      }
    }
    // And each with its year in two digits or four; the spelling with a year word so too.
    for (const std::string& base : bases) {
      for (std::string& form : YearSpellings(base)) forms.insert(std::move(form));
    }
  }
  latin_forms.erase(current);
  cyrillic_forms.erase(current);
  if (by_look != nullptr) {
    by_look->clear();
    std::set_difference(cyrillic_forms.begin(), cyrillic_forms.end(), latin_forms.begin(),
                        latin_forms.end(), std::inserter(*by_look, by_look->end()));
  }
  latin_forms.insert(cyrillic_forms.begin(), cyrillic_forms.end());
  return latin_forms;
}

}  // namespace

absl::StatusOr<bool> IsSpellingOfCaseNumber(absl::string_view case_number,
                                            absl::string_view other) {
  ASSIGN_OR_RETURN(const std::string current, CanonicalCaseNumber(case_number));
  ASSIGN_OR_RETURN(const std::string theirs, CanonicalCaseNumber(other));
  if (theirs == current) return true;
  std::set<std::string> by_look;
  ASSIGN_OR_RETURN(const std::set<std::string> forms,
                   EarlierCaseNumberForms(case_number, &by_look));
  return forms.count(theirs) > 0 && by_look.count(theirs) == 0;
}

absl::StatusOr<std::vector<std::string>> RecordStore::EarlierDedupTokens(
    const registry::v1::Conviction& c, absl::string_view pn,
    std::set<std::string>* by_look_tokens) const {
  ASSIGN_OR_RETURN(const std::string current, CanonicalCaseNumber(c.case_number()));
  std::set<std::string> by_look;
  ASSIGN_OR_RETURN(std::set<std::string> forms, EarlierCaseNumberForms(c.case_number(), &by_look));
  std::vector<std::string> tokens;
  const std::string court = DedupCourt(c);
  for (const std::string& form : forms) {
    ASSIGN_OR_RETURN(std::string token, DedupTokenOf(court, form, pn));
    if (by_look_tokens != nullptr && by_look.count(form) > 0) by_look_tokens->insert(token);
    tokens.push_back(std::move(token));
  }
  // A court abroad whose name reads otherwise in an earlier form: a record stored, or a
  // conviction erased, before an apostrophe parted words and digraphs folded, or before the
  // name's variants folded (FoldCourtNameVariants), is under that form, in each spelling.
  std::set<std::string> earlier_courts;
  for (const CourtNameForm court_form :
       {CourtNameForm::kBeforeWordsJoined, CourtNameForm::kBeforeApostrophesApart,
        CourtNameForm::kAsTyped}) {
    std::string earlier = DedupCourt(c, court_form);
    if (earlier != court) earlier_courts.insert(std::move(earlier));
  }
  for (const std::string& earlier_court : earlier_courts) {
    std::set<std::string> all = forms;
    all.insert(current);
    for (const std::string& form : all) {
      ASSIGN_OR_RETURN(std::string token, DedupTokenOf(earlier_court, form, pn));
      if (by_look_tokens != nullptr && by_look.count(form) > 0) by_look_tokens->insert(token);
      tokens.push_back(std::move(token));
    }
  }
  if (court != c.court_id()) {
    // Before storage schema 10 every court abroad was the one court "foreign": a conviction
    // abroad erased then is under a token naming no court abroad, and its court cannot be told
    // any more. Each spelling's token of that form is looked up too, so that conviction is never
    // entered again (nor, under the same case number and personal number, one of another court
    // abroad: what the erased one was cannot be known). Live records were filed anew at the
    // upgrade (ReindexNames), so none is under such a token.
    forms.insert(current);
    for (const std::string& form : forms) {
      ASSIGN_OR_RETURN(std::string token, DedupTokenOf(c.court_id(), form, pn));
      tokens.push_back(std::move(token));
    }
  }
  return tokens;
}

absl::StatusOr<std::vector<std::string>> RecordStore::IdsWithToken(char kind,
                                                                   absl::string_view token,
                                                                   size_t limit,
                                                                   absl::string_view after) const {
  const std::string prefix = absl::StrCat(absl::string_view(&kind, 1), token);
  std::vector<std::string> ids;
  auto it = db_->NewIterator(Cf::kIndex);
  for (it->Seek(absl::StrCat(prefix, after)); it->Valid() && ids.size() < limit; it->Next()) {
    absl::string_view key = it->key();
    if (!absl::StartsWith(key, prefix)) break;
    if (!after.empty() && key.substr(prefix.size()) == after) continue;
    // A row moved under another token or id, or forged without the key, fails here.
    ASSIGN_OR_RETURN(std::string mac, IndexRowMac(key));
    if (!crypto::ConstantTimeEquals(mac, it->value())) {
      return absl::DataLossError("index row failed authentication");
    }
    ids.emplace_back(key.substr(prefix.size()));
  }
  RETURN_IF_ERROR(it->status());
  return ids;
}

absl::StatusOr<bool> RecordStore::IsFiledUnder(char kind, absl::string_view token,
                                               absl::string_view record_id) const {
  const std::string key = IndexKey(kind, token, record_id);
  ASSIGN_OR_RETURN(std::optional<std::string> row, db_->Get(Cf::kIndex, key));
  if (!row.has_value()) return false;
  ASSIGN_OR_RETURN(std::string mac, IndexRowMac(key));
  if (!crypto::ConstantTimeEquals(mac, *row)) {
    return absl::DataLossError("index row failed authentication");
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> RecordStore::FirstIdWithEachToken(
    char kind, const std::vector<std::string>& tokens) const {
  std::vector<std::string> ids(tokens.size());
  if (tokens.empty()) return ids;
  auto it = db_->NewIterator(Cf::kIndex);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string prefix = absl::StrCat(absl::string_view(&kind, 1), tokens[i]);
    it->Seek(prefix);
    if (!it->Valid() || !absl::StartsWith(it->key(), prefix)) continue;
    // A row moved under another token or id, or forged without the key, fails here.
    ASSIGN_OR_RETURN(std::string mac, IndexRowMac(it->key()));
    if (!crypto::ConstantTimeEquals(mac, it->value())) {
      return absl::DataLossError("index row failed authentication");
    }
    ids[i] = std::string(it->key().substr(prefix.size()));
  }
  RETURN_IF_ERROR(it->status());
  return ids;
}

absl::StatusOr<std::string> RecordStore::IndexRowMac(absl::string_view key) const {
  return index_mac_key_->Mac(absl::StrCat(kIndexMacLabel, key));
}

absl::Status RecordStore::PutIndexRow(char kind, absl::string_view token,
                                      absl::string_view record_id, PendingWrite* w) const {
  const std::string key = IndexKey(kind, token, record_id);
  ASSIGN_OR_RETURN(std::string mac, IndexRowMac(key));
  w->batch()->Put(Cf::kIndex, key, mac);
  return absl::OkStatus();
}

absl::StatusOr<RecordDates> RecordStore::OpenDates(const StoredHead& head) const {
  ASSIGN_OR_RETURN(std::string plain, dates_aead_->Decrypt(head.sealed_dates(),
                                                           DatesAad(head.record_id(),
                                                                    head.version())));
  RecordDates dates;
  if (!dates.ParseFromString(plain)) return absl::DataLossError("record dates are damaged");
  return dates;
}

absl::StatusOr<StoredHead> RecordStore::ReadHead(absl::string_view record_id,
                                                 bool verify) const {
  if (!IsRegistryId(record_id)) return absl::NotFoundError("no such record");
  ASSIGN_OR_RETURN(std::optional<std::string> raw, db_->Get(Cf::kRecords, record_id));
  if (!raw.has_value()) return absl::NotFoundError("no such record");
  StoredHead head;
  if (!head.ParseFromString(*raw) || head.record_id() != record_id) {
    return absl::DataLossError("record head is damaged");
  }
  if (verify) {
    ASSIGN_OR_RETURN(std::string mac, HeadMac(head));
    if (!crypto::ConstantTimeEquals(mac, head.mac())) {
      return absl::DataLossError("authentication failed");
    }
  }
  if (head.status() == registry::v1::RECORD_STATUS_EXPUNGED) {
    return absl::NotFoundError("no such record");
  }
  return head;
}

absl::StatusOr<crypto::SecretBytes> RecordStore::Dek(const StoredHead& head) const {
  return keys_->Get()->UnwrapDek(head.wrapped_dek(), head.record_id());
}

absl::StatusOr<VersionPayload> RecordStore::OpenVersion(const StoredHead& head,
                                                        const crypto::SecretBytes& dek,
                                                        const StoredVersion& v) const {
  crypto::RecordAad aad{head.record_id(), v.version(), VersionFieldSet(v)};
  ASSIGN_OR_RETURN(std::string plain, crypto::OpenRecordFields(dek, aad, v.sealed()));
  VersionPayload payload;
  if (!payload.ParseFromString(plain)) return absl::DataLossError("record payload is damaged");
  return payload;
}

absl::StatusOr<VersionPayload> RecordStore::CurrentPayload(const StoredHead& head) const {
  ASSIGN_OR_RETURN(std::optional<std::string> raw,
                   db_->Get(Cf::kVersions, VersionKey(head.record_id(), head.version())));
  StoredVersion v;
  if (!raw.has_value() || !v.ParseFromString(*raw) || v.version() != head.version()) {
    return absl::DataLossError("record version is missing or damaged");
  }
  ASSIGN_OR_RETURN(crypto::SecretBytes dek, Dek(head));
  return OpenVersion(head, dek, v);
}

absl::StatusOr<PersonConviction> RecordStore::OwnConviction(const StoredHead& head,
                                                            const RecordDates& dates) const {
  PersonConviction c = ConvictionOf(head, dates);
  if (!SealedUnderOtherRules(dates)) return c;
  // Sealed under other rules: its own dates (which the head authenticates, at its version) may be
  // those of rules no longer in force. They are what the rules in force give its conviction.
  ASSIGN_OR_RETURN(VersionPayload payload, CurrentPayload(head));
  ASSIGN_OR_RETURN(OwnDates own, rules_.own_dates(payload.conviction()));
  c.final_date = std::move(own.final_date);
  c.own_employer_visible_until = std::move(own.employer_visible_until);
  c.own_delete_after = std::move(own.delete_after);
  return c;
}

template <class T>
absl::StatusOr<T> RecordStore::ReadAgainIfChanged(
    absl::string_view record_id,
    const std::function<absl::StatusOr<T>(const StoredHead&)>& read) const {
  ASSIGN_OR_RETURN(StoredHead head, ReadHead(record_id));
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<T> result = read(head);
    if (result.ok() || result.status().code() != absl::StatusCode::kDataLoss) return result;
    absl::StatusOr<StoredHead> now = ReadHead(record_id);
    if (absl::IsNotFound(now.status())) return now.status();
    if (!now.ok() || now->version() == head.version() || attempt == 3) return result;
    head = *std::move(now);
  }
}

absl::StatusOr<Record> RecordStore::Get(absl::string_view record_id) const {
  return ReadAgainIfChanged<Record>(record_id,
                                    [this](const StoredHead& head) { return GetAt(head); });
}

absl::StatusOr<std::vector<registry::v1::RecordVersion>> RecordStore::History(
    absl::string_view record_id) const {
  return ReadAgainIfChanged<std::vector<registry::v1::RecordVersion>>(
      record_id, [this](const StoredHead& head) { return HistoryAt(head); });
}

absl::StatusOr<Record> RecordStore::GetAt(const StoredHead& head) const {
  ASSIGN_OR_RETURN(VersionPayload payload, CurrentPayload(head));
  ASSIGN_OR_RETURN(RecordDates dates, OpenDates(head));
  Record record;
  FillMetadata(head, dates, dates.employer_visible_until(), dates.delete_after(),
               record.mutable_metadata());
  *record.mutable_person() = std::move(*payload.mutable_person());
  *record.mutable_conviction() = std::move(*payload.mutable_conviction());
  return record;
}

absl::StatusOr<std::vector<registry::v1::RecordVersion>> RecordStore::HistoryAt(
    const StoredHead& head) const {
  ASSIGN_OR_RETURN(crypto::SecretBytes dek, Dek(head));
  ASSIGN_OR_RETURN(RecordDates dates, OpenDates(head));
  std::vector<registry::v1::RecordVersion> out;
  auto it = db_->NewIterator(Cf::kVersions);
  const std::string prefix(head.record_id());
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    absl::string_view key = it->key();
    if (!absl::StartsWith(key, prefix)) break;
    StoredVersion v;
    if (!v.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) ||
        key.size() != prefix.size() + 4 || DecodeU32(key.substr(prefix.size())) != v.version()) {
      return absl::DataLossError("record version is damaged");
    }
    // Versions are never deleted but with the record: 1, 2, ... up to the head's, each once.
    if (v.version() != out.size() + 1) return absl::DataLossError("record history is incomplete");
    ASSIGN_OR_RETURN(VersionPayload payload, OpenVersion(head, dek, v));
    registry::v1::RecordVersion rv;
    auto* m = rv.mutable_record()->mutable_metadata();
    m->set_record_id(head.record_id());
    m->set_version(v.version());
    m->set_status(v.status());
    m->set_created_by(dates.created_by());
    m->set_created_at(dates.created_at());
    m->set_updated_by(payload.changed_by());
    m->set_updated_at(payload.changed_at());
    m->set_employer_visible_until(payload.employer_visible_until());
    m->set_delete_after(payload.delete_after());
    *rv.mutable_record()->mutable_person() = std::move(*payload.mutable_person());
    *rv.mutable_record()->mutable_conviction() = std::move(*payload.mutable_conviction());
    rv.set_reason(payload.reason());
    out.push_back(std::move(rv));
  }
  RETURN_IF_ERROR(it->status());
  if (out.empty() || out.back().record().metadata().version() != head.version()) {
    return absl::DataLossError("record history is incomplete");
  }
  // Each version keeps the dates it was written with, the newest too: the history is who changed
  // what and why, and a past version reads the same every time. The dates in force (a later
  // conviction of the person may have extended them) are a read's (Get), never a version's.
  return out;
}

absl::Status RecordStore::ConfirmErasedMeanwhile(char kind, absl::string_view token,
                                                 absl::string_view record_id) const {
  // An erasure deletes the head and every index row in one write, and a read after another sees
  // at least as much: a row still there after its head was found missing was not left by an
  // erasure, so the head was deleted by someone writing the data folder. Answering as if the
  // record did not exist would clear its person.
  ASSIGN_OR_RETURN(std::optional<std::string> row,
                   db_->Get(Cf::kIndex, IndexKey(kind, token, record_id)));
  // Unless the erasure ledger erased the record: the row is a leftover put back with data from
  // before the erasure, which finds no record, as the erasure meant.
  if (row.has_value() && !(erased_ && erased_(record_id))) {
    return absl::DataLossError(
        absl::StrCat("record ", record_id, ": an index row names it, but its head is missing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> RecordStore::StageLeftoverNumberRow(absl::string_view token,
                                                         absl::string_view record_id,
                                                         PendingWrite* w) const {
  if (token.size() != crypto::kBlindIndexTokenSize || !IsRegistryId(record_id)) return false;
  const std::string key = IndexKey(kPersonalNumber, token, record_id);
  ASSIGN_OR_RETURN(std::optional<std::string> row, db_->Get(Cf::kIndex, key));
  if (!row.has_value()) return false;
  ASSIGN_OR_RETURN(const bool stored, IsStored(record_id));
  if (stored) return false;
  w->batch()->Delete(Cf::kIndex, key);
  return true;
}

absl::StatusOr<std::vector<Record>> RecordStore::RecordsWithToken(
    char kind, char alias_kind, absl::string_view token, size_t limit,
    const std::function<absl::StatusOr<bool>(const std::string&)>& skip) const {
  std::vector<Record> out;
  std::set<std::string> seen;
  for (const char k : {kind, alias_kind}) {
    if (k == kNoAliases) continue;
    // Ids a page at a time: those already found or skipped take no place in the answer.
    const size_t page = limit + 1;
    std::string after;
    while (out.size() < limit) {
      ASSIGN_OR_RETURN(std::vector<std::string> ids, IdsWithToken(k, token, page, after));
      for (const std::string& id : ids) {
        if (out.size() == limit) return out;
        after = id;
        if (!seen.insert(id).second) continue;
        if (skip) {
          ASSIGN_OR_RETURN(const bool skipped, skip(id));
          if (skipped) continue;
        }
        absl::StatusOr<Record> r = Get(id);
        if (absl::IsNotFound(r.status())) {
          RETURN_IF_ERROR(ConfirmErasedMeanwhile(k, token, id));
          continue;
        }
        if (!r.ok()) return r.status();
        out.push_back(*std::move(r));
      }
      if (ids.size() < page) break;
    }
  }
  return out;
}

absl::StatusOr<std::vector<Record>> RecordStore::SearchByPersonalNumber(
    absl::string_view personal_number, size_t limit, std::string* token_hex) const {
  ASSIGN_OR_RETURN(std::string token, PersonalNumberToken(personal_number));
  if (token_hex != nullptr) *token_hex = absl::BytesToHexString(token);
  return RecordsWithToken(kPersonalNumber, kNoAliases, token, limit);
}

absl::StatusOr<std::vector<Record>> RecordStore::SearchByName(absl::string_view surname,
                                                              absl::string_view given_name,
                                                              absl::string_view birth_date,
                                                              size_t limit,
                                                              std::string* token_hex) const {
  ASSIGN_OR_RETURN(std::string token, NameToken(surname, given_name, birth_date, "name."));
  if (token_hex != nullptr) *token_hex = absl::BytesToHexString(token);
  return RecordsWithToken(kName, kAlias, token, limit);
}

absl::StatusOr<std::vector<Record>> RecordStore::SearchByLooseName(
    absl::string_view surname, absl::string_view given_name, absl::string_view birth_date,
    size_t limit, std::string* token_hex, std::vector<std::string>* word_tokens_hex) const {
  ASSIGN_OR_RETURN(std::string token, LooseNameToken(surname, given_name, birth_date, "name."));
  if (token_hex != nullptr) *token_hex = absl::BytesToHexString(token);
  // A given name of several words is also looked up by each word alone, which finds a record
  // filed under that word (one of its own given names) or under that word as its whole given
  // name: "Arben", "Ali" and "Arben Ali" find "Ali Arben", and "Ali Arben" finds "Arben".
  ASSIGN_OR_RETURN(std::vector<std::string> words,
                   GivenWordTokens(surname, given_name, birth_date, "name.", /*loose=*/true));
  words.erase(std::remove(words.begin(), words.end(), token), words.end());
  if (word_tokens_hex != nullptr) {
    word_tokens_hex->clear();
    for (const std::string& w : words) word_tokens_hex->push_back(absl::BytesToHexString(w));
  }
  // An exact match is filed under the exact token too (its name, or an alias in the surname's
  // place): asked of each, so that none is a "possible match" however many exact ones there are.
  ASSIGN_OR_RETURN(const std::string exact, NameToken(surname, given_name, birth_date, "name."));
  std::set<std::string> found;
  const auto skip = [&](const std::string& id) -> absl::StatusOr<bool> {
    if (found.count(id) > 0) return true;
    ASSIGN_OR_RETURN(const bool named, IsFiledUnder(kName, exact, id));
    if (named) return true;
    return IsFiledUnder(kAlias, exact, id);
  };
  ASSIGN_OR_RETURN(std::vector<Record> out,
                   RecordsWithToken(kLoose, kAliasLoose, token, limit, skip));
  const auto look_up = [&](char kind, char alias_kind, const std::string& t) -> absl::Status {
    if (out.size() >= limit) return absl::OkStatus();
    for (const Record& r : out) found.insert(r.metadata().record_id());
    ASSIGN_OR_RETURN(std::vector<Record> more,
                     RecordsWithToken(kind, alias_kind, t, limit - out.size(), skip));
    for (Record& r : more) out.push_back(std::move(r));
    return absl::OkStatus();
  };
  for (const std::string& word : words) RETURN_IF_ERROR(look_up(kLoose, kAliasLoose, word));
  // And every record vetting finds the name in (FactsForVetting), with the tokens vetting makes
  // of it (TokensForCandidate): the name as it reads by eye, each given-name word, the fields
  // joined and each surname alone, among the records' names and aliases, given-name words and
  // other ways of being written (rows 'n' and 'a', 'w', 'v'); the name itself among the last
  // two; the words in any order and each two of the words among rows 'v'. "Markovic, Jelena"
  // finds "Djukic-Markovic, Jelena", "Kelmendi-Gashi, Drita" finds "Kelmendi" alias "Gashi",
  // "Arber, Krasniqi" finds "Krasniqi, Arber". Each distinct token once per row kind, so the
  // index reads are those of a vetting check's name lookup at most, and no more records than
  // `limit` in all.
  ASSIGN_OR_RETURN(const NameForms forms, OtherNameForms(surname, given_name));
  std::vector<std::string> exact_forms;
  for (const auto& [surname_form, given_form] : forms) {
    ASSIGN_OR_RETURN(std::string t, name_index_->Token(absl::StrCat(surname_form, "|", given_form,
                                                                    "|", birth_date)));
    exact_forms.push_back(std::move(t));
  }
  ASSIGN_OR_RETURN(const std::vector<std::string> given_words,
                   GivenWordTokensOfForms(surname, given_name, forms, birth_date));
  ASSIGN_OR_RETURN(const NameVariants variants,
                   NameVariantTokens(surname, given_name, forms, birth_date, "name."));
  ASSIGN_OR_RETURN(const std::vector<std::string> pairs,
                   NameWordPairTokens(surname, given_name, forms, birth_date, "name."));
  std::set<std::string> reported = {token};
  const auto report = [&](const std::string& t) {
    // Only those looked up: none once the answer is full.
    if (word_tokens_hex != nullptr && out.size() < limit && t != exact &&
        reported.insert(t).second) {
      word_tokens_hex->push_back(absl::BytesToHexString(t));
    }
  };
  for (const std::string& w : words) reported.insert(w);
  RETURN_IF_ERROR(look_up(kGivenWord, kNoAliases, exact));
  RETURN_IF_ERROR(look_up(kNameVariant, kNoAliases, exact));
  std::set<std::string> looked_up = {exact};
  const std::vector<std::string>* const named_tokens[] = {&exact_forms, &given_words,
                                                          &variants.parts};
  for (const std::vector<std::string>* tokens : named_tokens) {
    for (const std::string& t : *tokens) {
      if (!looked_up.insert(t).second) continue;
      report(t);
      RETURN_IF_ERROR(look_up(kName, kAlias, t));
      RETURN_IF_ERROR(look_up(kGivenWord, kNoAliases, t));
      RETURN_IF_ERROR(look_up(kNameVariant, kNoAliases, t));
    }
  }
  for (const std::vector<std::string>* tokens : {&variants.any_order, &pairs}) {
    for (const std::string& t : *tokens) {
      report(t);
      RETURN_IF_ERROR(look_up(kNameVariant, kNoAliases, t));
    }
  }
  // And the same ways in the loose form (LooseVariantTokens, rows 'u' since schema 14), so that
  // the spellings combine with them: the loose name and its given-name words among the records'
  // loose ways; each surname alone among the records' loose names and aliases (rows 'l', 'b')
  // and loose ways; the words in any order and each two words among the loose ways. "Petroviq,
  // Gjorgje" finds "Jovanović-Petrović, Đorđe", "Arber, Krasnici" finds "Krasniqi, Arbër". Each
  // distinct token once per row kind: the reads depend on the input only.
  ASSIGN_OR_RETURN(const LooseVariants loose_variants,
                   LooseVariantTokens(surname, given_name, birth_date, "name.", nullptr));
  std::set<std::string> loose_named = {token};
  loose_named.insert(words.begin(), words.end());
  for (const std::string& t : loose_named) {
    RETURN_IF_ERROR(look_up(kLooseVariant, kNoAliases, t));
  }
  for (const std::string& t : loose_variants.parts) {
    if (!loose_named.insert(t).second) continue;
    report(t);
    RETURN_IF_ERROR(look_up(kLoose, kAliasLoose, t));
    RETURN_IF_ERROR(look_up(kLooseVariant, kNoAliases, t));
  }
  for (const std::vector<std::string>* tokens : {&loose_variants.any_order,
                                                 &loose_variants.pairs}) {
    for (const std::string& t : *tokens) {
      if (!loose_named.insert(t).second) continue;
      report(t);
      RETURN_IF_ERROR(look_up(kLooseVariant, kNoAliases, t));
    }
  }
  return out;
}

absl::Status RecordStore::StageVersion(const StoredHead& old_head, StoredHead* head,
                                       const crypto::SecretBytes& dek,
                                       const VersionPayload& payload, const VersionMeta& meta,
                                       PendingWrite* w, std::string* existing_id) {
  const auto& person = payload.person();
  ASSIGN_OR_RETURN(std::string pn_token, PersonalNumberToken(person.personal_number()));
  ASSIGN_OR_RETURN(std::string name_token,
                   NameToken(person.surname(), person.given_name(), person.birth_date(),
                             "person."));
  ASSIGN_OR_RETURN(std::string dedup_token,
                   DedupToken(payload.conviction(), person.personal_number()));
  ASSIGN_OR_RETURN(std::string loose_token, LooseNameToken(person.surname(), person.given_name(),
                                                          person.birth_date(), "person."));
  // Every token, the aliases' too, before anything is staged: an import stages many rows into
  // one write, and a row refused after some of its index rows were put would leave them behind
  // in the rows it commits (rows naming no record, which turn the person's reads into DataLoss).
  RETURN_IF_ERROR(SetAliasTokens(person, head));
  head->set_loose_name_token(loose_token);
  RETURN_IF_ERROR(SetWordTokens(person, head));
  const std::string& id = head->record_id();

  if (dedup_token != old_head.dedup_token()) {
    Lock(&unique_locks_[Stripe(dedup_token) % kStripes], w);
    ASSIGN_OR_RETURN(std::vector<std::string> clash, IdsWithToken(kDedup, dedup_token, 1));
    const bool staged = std::find(w->staged_unique_.begin(), w->staged_unique_.end(),
                                  dedup_token) != w->staged_unique_.end();
    if (staged || (!clash.empty() && clash[0] != id)) {
      if (existing_id != nullptr) *existing_id = staged ? "" : clash[0];
      return absl::AlreadyExistsError(
          "a record with this court, case number and personal number exists");
    }
    ASSIGN_OR_RETURN(std::vector<std::string> erased, IdsWithToken(kErased, dedup_token, 1));
    if (!erased.empty()) return ErasedConvictionError();
    // A record stored, or a conviction erased, under another spelling of its case number (the
    // other script, the year in two digits or four, a number word, or an earlier canonical form
    // that kept the word) must not get in beside it either.
    std::set<std::string> by_look;
    ASSIGN_OR_RETURN(std::vector<std::string> earlier,
                     EarlierDedupTokens(payload.conviction(), person.personal_number(), &by_look));
    earlier.erase(std::remove_if(earlier.begin(), earlier.end(),
                                 [&](const std::string& token) {
                                   return token == dedup_token || token == old_head.dedup_token();
                                 }),
                  earlier.end());
    for (const std::string& token : earlier) {
      // Another row of the same batch (an import) under another spelling.
      if (std::find(w->staged_unique_.begin(), w->staged_unique_.end(), token) !=
          w->staged_unique_.end()) {
        if (existing_id != nullptr) *existing_id = "";
        return absl::AlreadyExistsError(
            "a record with this court, case number and personal number exists");
      }
    }
    // One iterator for all the spellings' rows (there are a few dozen).
    ASSIGN_OR_RETURN(const std::vector<std::string> live, FirstIdWithEachToken(kDedup, earlier));
    for (size_t i = 0; i < live.size(); ++i) {
      const std::string& other = live[i];
      if (!other.empty() && other != id) {
        if (by_look.count(earlier[i]) > 0) {
          // A form that read Cyrillic letters by their look ("кр 16/2021" as "kp16/2021"): the
          // record under it is this conviction when its own case number, read now, is one of
          // this one's spellings ("КР 16/2021" stored then), and another register when not ("KP
          // 16/2021"). One that cannot be read is taken for this conviction.
          absl::StatusOr<StoredHead> other_head = ReadHead(other);
          absl::StatusOr<VersionPayload> other_payload =
              other_head.ok() ? CurrentPayload(*other_head)
                              : absl::StatusOr<VersionPayload>(other_head.status());
          if (other_payload.ok()) {
            ASSIGN_OR_RETURN(const bool same,
                             IsSpellingOfCaseNumber(payload.conviction().case_number(),
                                                    other_payload->conviction().case_number()));
            if (!same) continue;
          }
        }
        if (existing_id != nullptr) *existing_id = other;
        return absl::AlreadyExistsError(
            "a record with this court, case number and personal number exists");
      }
    }
    ASSIGN_OR_RETURN(const std::vector<std::string> gone, FirstIdWithEachToken(kErased, earlier));
    for (const std::string& erased_id : gone) {
      if (!erased_id.empty()) return ErasedConvictionError();
    }
    // A conviction erased under this case number up to its year, whatever followed the year in
    // either (a date, a word, another number): one more row looked up.
    ASSIGN_OR_RETURN(const std::vector<std::string> cut,
                     CutDedupTokens(payload.conviction(), person.personal_number()));
    if (!cut.empty()) {
      // Another row of the same batch (an import) that is this case number up to its year: told
      // as a duplicate row of the file.
      if (std::find(w->staged_unique_.begin(), w->staged_unique_.end(), cut[0]) !=
          w->staged_unique_.end()) {
        if (existing_id != nullptr) *existing_id = "";
        return absl::AlreadyExistsError(
            "a record with this court, case number and personal number exists");
      }
      ASSIGN_OR_RETURN(std::vector<std::string> cut_erased, IdsWithToken(kErased, cut[0], 1));
      if (!cut_erased.empty()) return ErasedCutConvictionError();
    }
    w->staged_unique_.push_back(dedup_token);
    if (!cut.empty()) w->staged_unique_.push_back(cut[0]);
  }

  StoredVersion v;
  v.set_version(head->version());
  v.set_status(head->status());
  VersionPayload sealed_payload = payload;
  sealed_payload.set_employer_visible_until(meta.own.employer_visible_until);
  sealed_payload.set_delete_after(meta.own.delete_after);
  sealed_payload.set_changed_by(meta.actor);
  sealed_payload.set_changed_at(meta.now);
  crypto::RecordAad aad{id, head->version(), VersionFieldSet(v)};
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::SealRecordFields(dek, aad, PaddedPayload(sealed_payload)));
  v.set_sealed(std::move(sealed));

  // In force for now: the own dates; RestageDates extends them by the person's other records.
  RecordDates dates;
  if (old_head.record_id().empty()) {
    dates.set_created_by(meta.actor);
    dates.set_created_at(meta.now);
  } else {
    ASSIGN_OR_RETURN(RecordDates old_dates, OpenDates(old_head));
    dates.set_created_by(old_dates.created_by());
    dates.set_created_at(old_dates.created_at());
  }
  dates.set_updated_by(meta.actor);
  dates.set_updated_at(meta.now);
  dates.set_employer_visible_until(meta.own.employer_visible_until);
  dates.set_delete_after(meta.own.delete_after);
  SetOwnDates(meta.own, &dates);

  Batch* b = w->batch();
  // Replace index entries that changed.
  struct Entry {
    char kind;
    const std::string* old_token;
    std::string new_token;
  } entries[] = {{kPersonalNumber, &old_head.personal_number_token(), pn_token},
                 {kName, &old_head.name_token(), name_token},
                 {kDedup, &old_head.dedup_token(), dedup_token}};
  for (const Entry& e : entries) {
    if (*e.old_token == e.new_token) continue;
    if (!e.old_token->empty()) b->Delete(Cf::kIndex, IndexKey(e.kind, *e.old_token, id));
    RETURN_IF_ERROR(PutIndexRow(e.kind, e.new_token, id, w));
  }
  // The loose rows ('l': the name's and its words'), the aliases' and the words' for vetting.
  RETURN_IF_ERROR(StageNameRows(old_head, *head, w));
  head->set_personal_number_token(pn_token);
  head->set_name_token(name_token);
  head->set_dedup_token(dedup_token);
  b->Put(Cf::kVersions, VersionKey(id, head->version()), v.SerializeAsString());
  RETURN_IF_ERROR(StageHead(head, dates, w));

  w->record_ids_.push_back(id);
  w->tokens_.push_back(absl::BytesToHexString(pn_token));
  FillMetadata(*head, dates, meta.own.employer_visible_until, meta.own.delete_after,
               &w->metadata_);
  return absl::OkStatus();
}

absl::StatusOr<PendingWrite> RecordStore::PrepareCreate(const registry::v1::Person& person,
                                                        const registry::v1::Conviction& conviction,
                                                        const VersionMeta& meta,
                                                        std::string* existing_id) {
  PendingWrite w;
  ASSIGN_OR_RETURN(std::string token, PersonalNumberToken(person.personal_number()));
  Lock(PersonLock(token), &w);
  RETURN_IF_ERROR(StageNewRecord(person, conviction, meta, &w, existing_id));
  RETURN_IF_ERROR(RestageDates(token, &w));
  return w;
}

absl::Status RecordStore::StageCreate(const registry::v1::Person& person,
                                      const registry::v1::Conviction& conviction,
                                      const VersionMeta& meta, PendingWrite* w,
                                      std::string* existing_id) {
  // A batch needs person and uniqueness stripes in whatever order its rows hash to. Taken one by
  // one, two batches could deadlock each other, and abseil's lock-order checker aborts the
  // process at the second batch that takes two stripes in the opposite order. So a batch takes
  // every person stripe, then every uniqueness stripe, up front, in index order (Lock skips
  // those it already holds).
  for (absl::Mutex& mu : person_locks_) Lock(&mu, w);
  for (absl::Mutex& mu : unique_locks_) Lock(&mu, w);
  ASSIGN_OR_RETURN(std::string token, PersonalNumberToken(person.personal_number()));
  RETURN_IF_ERROR(StageNewRecord(person, conviction, meta, w, existing_id));
  w->undated_persons_.insert(std::move(token));
  return absl::OkStatus();
}

absl::Status RecordStore::StageDates(PendingWrite* w) const {
  for (const std::string& token : w->undated_persons_) RETURN_IF_ERROR(RestageDates(token, w));
  w->undated_persons_.clear();
  return absl::OkStatus();
}

absl::Status RecordStore::StageKekCheck(const std::shared_ptr<const crypto::Keyring>& keyring,
                                        PendingWrite* w) const {
  {
    absl::MutexLock lock(&kek_mu_);
    if (checked_keyring_ == keyring) return absl::OkStatus();
  }
  // A keyring not seen before: a rotation swapped it in, with a new current KEK and the others
  // read again from the key file. A version with data keys under it but no check value (deleted
  // while registryd runs) is refused, as at a start, not given one.
  ASSIGN_OR_RETURN(std::optional<std::string> kek_check, CheckKeks(*db_, *keyring));
  if (kek_check.has_value()) {
    // Recorded with the write that first puts a data key under this KEK. Until that commits,
    // later writes look again (one of them may have been dropped).
    w->batch()->Put(Cf::kMeta, KekCheckKey(keyring->current_version()), *kek_check);
    return absl::OkStatus();
  }
  absl::MutexLock lock(&kek_mu_);
  checked_keyring_ = keyring;
  return absl::OkStatus();
}

absl::Status RecordStore::StageNewRecord(const registry::v1::Person& person,
                                         const registry::v1::Conviction& conviction,
                                         const VersionMeta& meta, PendingWrite* w,
                                         std::string* existing_id) {
  ASSIGN_OR_RETURN(const std::string id, NewRegistryId());
  ASSIGN_OR_RETURN(crypto::SecretBytes dek, crypto::Keyring::NewDek());
  const std::shared_ptr<const crypto::Keyring> keyring = keys_->Get();
  RETURN_IF_ERROR(StageKekCheck(keyring, w));
  ASSIGN_OR_RETURN(std::string wrapped, keyring->WrapDek(dek, id));

  StoredHead empty;
  StoredHead head;
  head.set_record_id(id);
  head.set_version(1);
  head.set_status(registry::v1::RECORD_STATUS_ACTIVE);
  head.set_wrapped_dek(std::move(wrapped));
  VersionPayload payload;
  *payload.mutable_person() = person;
  *payload.mutable_conviction() = conviction;
  payload.set_reason("created");
  RETURN_IF_ERROR(RefuseIfDueAlready(person, meta, *w));
  return StageVersion(empty, &head, dek, payload, meta, w, existing_id);
}

absl::StatusOr<PendingWrite> RecordStore::PrepareChange(absl::string_view record_id,
                                                        uint32_t expected_version,
                                                        const ChangeFn& change,
                                                        std::string* existing_id) {
  // The person's stripe (and, when the change moves the record to another personal number, the
  // new person's too) must be held, in index order, before the head is read for the change. The
  // new number is known only after the change: when its stripe is not held, start over holding
  // both. `change` is pure, so running it again is harmless.
  ASSIGN_OR_RETURN(StoredHead peek, ReadHead(record_id));
  std::vector<std::string> tokens = {peek.personal_number_token()};
  for (int attempt = 0; attempt < 4; ++attempt) {
    PendingWrite w;
    LockPersons(tokens, &w);
    ASSIGN_OR_RETURN(StoredHead old_head, ReadHead(record_id));
    if (!Holds(w, old_head.personal_number_token())) {
      tokens.push_back(old_head.personal_number_token());
      continue;
    }
    if (expected_version != 0 && expected_version != old_head.version()) {
      return absl::AbortedError("the record changed since it was read (expected_version)");
    }
    ASSIGN_OR_RETURN(Record record, Get(record_id));
    std::string reason;
    VersionMeta meta;
    RETURN_IF_ERROR(change(&record, &reason, &meta));
    ASSIGN_OR_RETURN(std::string new_token,
                     PersonalNumberToken(record.person().personal_number()));
    if (!Holds(w, new_token)) {
      tokens.push_back(new_token);
      continue;
    }
    std::set<std::string> persons = {old_head.personal_number_token(), new_token};
    std::set<std::string> due_before;
    for (const std::string& person : persons) {
      RETURN_IF_ERROR(AddDueRecords(person, w, meta.today, &due_before));
    }
    ASSIGN_OR_RETURN(crypto::SecretBytes dek, Dek(old_head));
    StoredHead head = old_head;
    head.set_version(old_head.version() + 1);
    head.set_status(record.metadata().status());
    VersionPayload payload;
    *payload.mutable_person() = record.person();
    *payload.mutable_conviction() = record.conviction();
    payload.set_reason(reason);
    RETURN_IF_ERROR(StageVersion(old_head, &head, dek, payload, meta, &w, existing_id));
    RETURN_IF_ERROR(RestageDates(old_head.personal_number_token(), &w));
    if (new_token != old_head.personal_number_token()) RETURN_IF_ERROR(RestageDates(new_token, &w));
    // A change may not make a conviction due for deletion: the retention run would erase it
    // for good, and its conviction could not be entered again (as a create, RefuseIfDueAlready).
    std::set<std::string> due_after;
    for (const std::string& person : persons) {
      RETURN_IF_ERROR(AddDueRecords(person, w, meta.today, &due_after));
    }
    for (const std::string& id : due_after) {
      if (due_before.count(id) > 0) continue;
      if (id == record_id && new_token != old_head.personal_number_token()) {
        // Moved to another personal number, a conviction whose own period has ended leaves the
        // later convictions that kept it under the old one: "with these dates" sent the clerk to
        // dates that had not changed. Correcting a later one first is refused too while it keeps
        // this one (below), so correcting both is no way out; an expunge is a legal act, not a
        // way to mend a number (docs/domain.md, open questions).
        return absl::FailedPreconditionError(
            "conviction: its own retention period has ended, and such a conviction stays in the "
            "registry only while a later conviction under its personal number keeps it: under "
            "the new personal number none does, so the correction is not made (the retention "
            "run would erase it for good). A later conviction under the old number cannot be "
            "corrected first either, while it keeps this one: the registry cannot yet move a "
            "person's convictions to another number together, so leave the numbers as they are "
            "and report the mistake to the registry's administrators (docs/domain.md)");
      }
      if (id == record_id) {
        return absl::FailedPreconditionError(
            "conviction: with these dates its retention period has ended, so the change is not "
            "made (a conviction leaves the registry only by an expunge)");
      }
      // Whatever field changed (a later conviction moved to its real owner, a date corrected):
      // the clerk is told which record would go and how a record leaves the registry.
      if (existing_id != nullptr) *existing_id = id;
      return absl::FailedPreconditionError(absl::StrCat(
          "conviction: this change would leave record ", id,
          ", an earlier conviction of the person that this one kept, past its retention period, "
          "so it is not made: a conviction leaves the registry only by an expunge. If that "
          "record's retention has ended, expunge it first, then make this change"));
    }
    return w;
  }
  return absl::AbortedError("the record kept changing while it was being changed; try again");
}

absl::StatusOr<PendingWrite> RecordStore::PrepareRedate(
    const std::vector<std::pair<std::string, VersionMeta>>& own) {
  PendingWrite w;
  for (absl::Mutex& mu : person_locks_) Lock(&mu, &w);
  std::set<std::string> persons;
  for (const auto& [id, meta] : own) {
    absl::StatusOr<StoredHead> head = ReadHead(id);
    if (absl::IsNotFound(head.status())) continue;
    if (!head.ok()) return head.status();
    auto staged = w.staged_heads_.find(id);
    if (staged != w.staged_heads_.end()) *head = staged->second;
    ASSIGN_OR_RETURN(RecordDates dates, OpenDates(*head));
    SetOwnDates(meta.own, &dates);
    RETURN_IF_ERROR(StageHead(&*head, dates, &w));
    persons.insert(head->personal_number_token());
    w.record_ids_.push_back(id);
  }
  for (const std::string& token : persons) RETURN_IF_ERROR(RestageDates(token, &w));
  return w;
}

absl::StatusOr<std::string> RecordStore::DatesRulesFingerprint() const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, db_->Get(Cf::kMeta, kDatesRulesKey));
  return stored.value_or("");
}

absl::StatusOr<std::optional<absl::Time>> RecordStore::ErasureClockMark() const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, db_->Get(Cf::kMeta, kErasureClockKey));
  if (!stored.has_value()) return std::nullopt;
  const std::vector<absl::string_view> parts = absl::StrSplit(*stored, ' ');
  if (parts.size() != 2) {
    return absl::DataLossError("the time erasures last trusted fails authentication");
  }
  ASSIGN_OR_RETURN(const std::string mac, head_mac_key_->Mac(absl::StrCat(kErasureClockLabel,
                                                                          parts[0])));
  absl::StatusOr<absl::Time> t = ParseInstant(parts[0]);
  if (!crypto::ConstantTimeEquals(absl::BytesToHexString(mac), parts[1]) || !t.ok()) {
    return absl::DataLossError("the time erasures last trusted fails authentication");
  }
  return std::optional<absl::Time>(*t);
}

absl::Status RecordStore::SetErasureClockMark(absl::Time trusted) {
  const std::string instant = FormatInstant(trusted, /*micros=*/true);
  ASSIGN_OR_RETURN(const std::string mac,
                   head_mac_key_->Mac(absl::StrCat(kErasureClockLabel, instant)));
  Batch batch;
  batch.Put(Cf::kMeta, kErasureClockKey, absl::StrCat(instant, " ", absl::BytesToHexString(mac)));
  return db_->Write(batch);
}

absl::Status RecordStore::InitDatesRulesFingerprint(absl::string_view fingerprint) {
  ASSIGN_OR_RETURN(std::vector<std::string> any, RecordIds("", 1));
  if (!any.empty()) return absl::FailedPreconditionError("the database already holds records");
  Batch batch;
  batch.Put(Cf::kMeta, kDatesRulesKey, fingerprint);
  return db_->Write(batch);
}

absl::StatusOr<int> RecordStore::EarlierSchema() const {
  ASSIGN_OR_RETURN(std::optional<std::string> schema, db_->Get(Cf::kMeta, kSchemaKey));
  int n = 0;
  if (!schema.has_value() || *schema == kSchemaVersion || !UpgradableSchema(*schema) ||
      !absl::SimpleAtoi(*schema, &n)) {
    return 0;
  }
  return n;
}

absl::StatusOr<size_t> RecordStore::ReindexNames(size_t batch_rows, const BatchCommitFn& commit,
                                                 size_t* aliased, size_t* skipped) {
  BatchedCommit batches(batch_rows, commit);
  // Nothing else writes while the registry starts; the iterator reads the heads as they were.
  auto it = db_->NewIterator(Cf::kRecords, BlockCache::kBypass);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    absl::StatusOr<StoredHead> head = ReadHead(std::string(it->key()));
    if (!head.ok()) continue;
    absl::StatusOr<Record> record = GetAt(*head);
    if (!record.ok()) continue;
    const registry::v1::Person& person = record->person();
    StoredHead indexed = *head;
    // The names' loose token under the loose form of this schema. Names stored were checked as
    // they are now, so they normalise; one that does not keeps its token (the data check and
    // the next amendment see to it).
    absl::StatusOr<std::string> loose = LooseNameToken(person.surname(), person.given_name(),
                                                       person.birth_date(), "person.");
    if (loose.ok()) {
      indexed.set_loose_name_token(*loose);
      // And each word of a given name of several words (since schema 11), and the name's other
      // ways of being written (since schema 12) and each two of its words (since schema 13),
      // and the same in the loose form (since schema 14).
      const absl::Status words = SetWordTokens(person, &indexed);
      if (!words.ok() && !absl::IsInvalidArgument(words)) return words;
    }
    // An alias stored before aliases were indexed may hold a letter the registry cannot compare
    // (nothing refused it then): it is left out of the index, and the record still starts.
    size_t unindexable = 0;
    RETURN_IF_ERROR(SetAliasTokens(person, &indexed, &unindexable));
    if (skipped != nullptr) *skipped += unindexable;
    if (aliased != nullptr && !person.aliases().empty()) ++*aliased;
    // The rows the head named go, then every row of the new tokens is put (in this order in
    // one batch: a token that stays keeps its row), also rows lost before the upgrade.
    PendingWrite* w = batches.write();
    StoredHead unfiled = indexed;
    unfiled.clear_loose_name_token();
    unfiled.clear_loose_word_tokens();
    unfiled.clear_given_word_tokens();
    unfiled.clear_name_variant_tokens();
    unfiled.clear_loose_variant_tokens();
    unfiled.clear_alias_tokens();
    unfiled.clear_alias_loose_tokens();
    unfiled.clear_alias_loose_word_tokens();
    RETURN_IF_ERROR(StageNameRows(*head, unfiled, w));
    RETURN_IF_ERROR(StageNameRows(unfiled, indexed, w));
    // The uniqueness token of a conviction abroad names its court since schema 10 (DedupCourt);
    // the new token is finer than the one shared by every court abroad, so it clashes with none.
    absl::StatusOr<std::string> dedup =
        DedupToken(record->conviction(), person.personal_number());
    if (dedup.ok() && *dedup != head->dedup_token()) {
      w->batch()->Delete(Cf::kIndex, IndexKey(kDedup, head->dedup_token(), head->record_id()));
      RETURN_IF_ERROR(PutIndexRow(kDedup, *dedup, indexed.record_id(), w));
      indexed.set_dedup_token(*std::move(dedup));
    }
    ASSIGN_OR_RETURN(std::string encoded, EncodeHead(indexed));
    batches.write()->batch()->Put(Cf::kRecords, indexed.record_id(), encoded);
    batches.write()->record_ids_.push_back(indexed.record_id());
    RETURN_IF_ERROR(batches.RowStaged());
  }
  RETURN_IF_ERROR(it->status());
  return batches.Finish();
}

void RecordStore::StageCurrentSchema(PendingWrite* w) const {
  w->batch()->Put(Cf::kMeta, kSchemaKey, kSchemaVersion);
}

void RecordStore::StageDatesRulesFingerprint(absl::string_view fingerprint,
                                             PendingWrite* w) const {
  w->batch()->Put(Cf::kMeta, kDatesRulesKey, fingerprint);
}

absl::StatusOr<bool> RecordStore::IsStored(absl::string_view record_id) const {
  absl::StatusOr<StoredHead> head = ReadHead(record_id);
  if (absl::IsNotFound(head.status())) return false;
  RETURN_IF_ERROR(head.status());
  return true;
}

absl::StatusOr<RecordDates> RecordStore::DatesOf(absl::string_view record_id) const {
  ASSIGN_OR_RETURN(StoredHead head, ReadHead(record_id));
  return OpenDates(head);
}

absl::StatusOr<std::vector<std::string>> RecordStore::RecordIds(absl::string_view after,
                                                               size_t limit) const {
  std::vector<std::string> ids;
  auto it = db_->NewIterator(Cf::kRecords);
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(after);
    if (it->Valid() && it->key() == after) it->Next();
  }
  for (; it->Valid() && ids.size() < limit; it->Next()) ids.push_back(std::string(it->key()));
  RETURN_IF_ERROR(it->status());
  return ids;
}

absl::StatusOr<bool> RecordStore::HasErasedRow(absl::string_view dedup_token,
                                               absl::string_view record_id) const {
  if (dedup_token.size() != 32 || !IsRegistryId(record_id)) {
    return absl::InternalError("malformed erased-conviction row");
  }
  const std::string key = IndexKey(kErased, dedup_token, record_id);
  ASSIGN_OR_RETURN(std::optional<std::string> value, db_->Get(Cf::kIndex, key));
  if (!value.has_value()) return false;
  ASSIGN_OR_RETURN(std::string mac, IndexRowMac(key));
  return crypto::ConstantTimeEquals(mac, *value);
}

absl::Status RecordStore::StageErasedRow(absl::string_view dedup_token,
                                         absl::string_view record_id, PendingWrite* w) const {
  if (dedup_token.size() != 32 || !IsRegistryId(record_id)) {
    return absl::InternalError("malformed erased-conviction row");
  }
  return PutIndexRow(kErased, dedup_token, record_id, w);
}

absl::StatusOr<std::vector<std::string>> RecordStore::EveryDedupTokenOf(
    const StoredHead& head) const {
  std::vector<std::string> tokens;
  if (!head.dedup_token().empty()) tokens.push_back(head.dedup_token());
  absl::StatusOr<crypto::SecretBytes> dek = Dek(head);
  if (!dek.ok()) return tokens;
  const std::string& prefix = head.record_id();
  auto it = db_->NewIterator(Cf::kVersions);
  for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
    StoredVersion v;
    if (!v.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) continue;
    absl::StatusOr<VersionPayload> payload = OpenVersion(head, *dek, v);
    if (!payload.ok()) continue;
    absl::StatusOr<std::string> token =
        DedupToken(payload->conviction(), payload->person().personal_number());
    if (!token.ok()) continue;
    if (std::find(tokens.begin(), tokens.end(), *token) == tokens.end()) {
      tokens.push_back(*std::move(token));
    }
    absl::StatusOr<std::vector<std::string>> cut =
        CutDedupTokens(payload->conviction(), payload->person().personal_number());
    if (!cut.ok()) continue;
    for (std::string& t : *cut) {
      if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) {
        tokens.push_back(std::move(t));
      }
    }
  }
  RETURN_IF_ERROR(it->status());
  return tokens;
}

absl::StatusOr<PendingWrite> RecordStore::PrepareExpunge(absl::string_view record_id,
                                                         std::string* personal_number_token,
                                                         std::vector<std::string>* dedup_tokens) {
  // Read without verifying, so that a damaged record can still be erased.
  ASSIGN_OR_RETURN(StoredHead peek, ReadHead(record_id, /*verify=*/false));
  ASSIGN_OR_RETURN(const std::vector<std::string> tokens, EveryDedupTokenOf(peek));
  PendingWrite w;
  // Person, then the uniqueness stripes in index order, as a create (one stripe) and an import
  // (every stripe) take them: a create of any of the conviction's identities waits, and then
  // finds the erased row.
  Lock(PersonLock(peek.personal_number_token()), &w);
  std::vector<size_t> stripes;
  for (const std::string& token : tokens) stripes.push_back(Stripe(token) % kStripes);
  if (tokens.empty()) stripes.push_back(Stripe(peek.dedup_token()) % kStripes);
  std::sort(stripes.begin(), stripes.end());
  for (const size_t stripe : stripes) Lock(&unique_locks_[stripe], &w);
  ASSIGN_OR_RETURN(StoredHead head, ReadHead(record_id, /*verify=*/false));
  if (!Holds(w, head.personal_number_token()) || head.dedup_token() != peek.dedup_token() ||
      head.version() != peek.version()) {
    return absl::AbortedError("the record changed while it was being erased; try again");
  }
  const std::string id(record_id);
  Batch* b = w.batch();
  // The head holds the wrapped data key: deleting it shreds every version.
  b->Delete(Cf::kRecords, id);
  b->DeleteRange(Cf::kVersions, VersionKey(id, 0), VersionKey(id, UINT32_MAX));
  b->Delete(Cf::kVersions, VersionKey(id, UINT32_MAX));
  for (const HeadRow& r : HeadRowsOf(head)) b->Delete(Cf::kIndex, IndexKey(r.kind, r.token, id));
  for (const std::string& token : tokens) RETURN_IF_ERROR(PutIndexRow(kErased, token, id, &w));
  // Until a compaction has removed the record's bytes from older files, a marker says one is
  // due, committed with the erasure: a crash before the compaction leaves it for the next start,
  // backup or retention run (CompactIfErasuresDue).
  ASSIGN_OR_RETURN(const std::vector<std::string> marker, NewRegistryIds(1));
  b->Put(Cf::kMeta, absl::StrCat(kCompactionDuePrefix, marker[0]), "");
  w.record_ids_.push_back(id);
  w.removed_.insert(id);
  // The person's other records no longer take this one's dates (a damaged sibling is left as it
  // is: its reads report it).
  absl::Status redated = RestageDates(head.personal_number_token(), &w);
  if (!redated.ok() && !absl::IsDataLoss(redated)) return redated;
  if (personal_number_token != nullptr) *personal_number_token = head.personal_number_token();
  if (dedup_tokens != nullptr) *dedup_tokens = tokens;
  // A damaged head is expunged too; its reply then names no author.
  absl::StatusOr<RecordDates> sealed = OpenDates(head);
  FillMetadata(head, sealed.ok() ? *sealed : RecordDates(), "", "", &w.metadata_);
  w.metadata_.set_status(registry::v1::RECORD_STATUS_EXPUNGED);
  return w;
}

absl::StatusOr<std::vector<std::string>> RecordStore::CompactionsDue() const {
  std::vector<std::string> keys;
  auto it = db_->NewIterator(Cf::kMeta);
  for (it->Seek(kCompactionDuePrefix);
       it->Valid() && absl::StartsWith(it->key(), kCompactionDuePrefix); it->Next()) {
    keys.emplace_back(it->key());
  }
  RETURN_IF_ERROR(it->status());
  return keys;
}

absl::Status RecordStore::RemoveOverwrittenBytes() const {
  // Whole families: index and expiry keys of a record are spread by token and date, and a
  // compaction that rewrites every file is the one way to be sure the old bytes are gone.
  // First flush every family: a write-ahead log file is kept until all families' data in it is
  // flushed, and the one holding a record's creation also holds audit events, so without this
  // the wrapped data key and the sealed versions would stay readable in the log.
  RETURN_IF_ERROR(db_->Flush());
  for (Cf cf : {Cf::kRecords, Cf::kVersions, Cf::kIndex, Cf::kChecks}) {
    RETURN_IF_ERROR(db_->CompactRange(cf, "", ""));
  }
  return absl::OkStatus();
}

absl::Status RecordStore::CompactAfterErasure() const {
  // The erasures committed before this point are those whose bytes this compaction removes; one
  // committed meanwhile keeps its marker for the next.
  ASSIGN_OR_RETURN(const std::vector<std::string> due, CompactionsDue());
  RETURN_IF_ERROR(RemoveOverwrittenBytes());
  if (due.empty()) return absl::OkStatus();
  Batch done;
  for (const std::string& key : due) done.Delete(Cf::kMeta, key);
  return db_->Write(done);
}

absl::StatusOr<bool> RecordStore::CompactIfErasuresDue() const {
  ASSIGN_OR_RETURN(const std::vector<std::string> due, CompactionsDue());
  if (due.empty()) return false;
  RETURN_IF_ERROR(CompactAfterErasure());
  return true;
}

absl::StatusOr<std::vector<std::string>> RecordStore::DueForDeletion(absl::string_view day,
                                                                     size_t limit) const {
  // The dates are sealed, so there is no index by date: every head is read and its dates opened
  // (a few microseconds each; the scheduler runs hourly). A head that fails to open is left to
  // reads (DATA_LOSS) and to the data check; one damaged record must not stop every erasure.
  // Every head is read once: the blocks stay out of the cache the calls use.
  std::vector<std::string> ids;
  auto it = db_->NewIterator(Cf::kRecords, BlockCache::kBypass);
  for (it->SeekToFirst(); it->Valid() && ids.size() < limit; it->Next()) {
    StoredHead head;
    if (!head.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())) ||
        head.status() == registry::v1::RECORD_STATUS_EXPUNGED) {
      continue;
    }
    absl::StatusOr<RecordDates> dates = OpenDates(head);
    if (!dates.ok()) continue;
    if (dates->delete_after() >= day && !SealedUnderOtherRules(*dates)) continue;
    // Confirmed from the person's records' own dates before anything is erased: a head put back
    // from before a re-dating (it authenticates, at the same version) must not have a conviction
    // erased before its time. One that differs is left, for the data check to name. A head sealed
    // under other rules is confirmed whatever its stored date says: put back from before a change
    // of the rules, it must not keep a conviction past its time either.
    absl::StatusOr<EffectiveRecordDates> in_force = DatesInForce(head);
    if (in_force.ok() && in_force->delete_after < day) ids.push_back(head.record_id());
  }
  RETURN_IF_ERROR(it->status());
  return ids;
}

namespace {

// One index read of a vetting lookup after the number's and the exact name's: the row kind and
// the token read under it.
struct VettingLookup {
  char kind;
  const std::string* token;
};

// The index reads FactsForVetting makes after the number's and the exact name's, in order. Each
// distinct token is read once per row kind: which reads, and how many, depends on the candidate's
// tokens alone (TokensForCandidate counts them before the lookup starts).
std::vector<VettingLookup> VettingLookups(const CandidateTokens& candidate, char name_kind,
                                          char given_word_kind, char variant_kind) {
  std::vector<VettingLookup> lookups;
  std::set<std::string> looked_up = {candidate.name};
  lookups.push_back({given_word_kind, &candidate.name});
  lookups.push_back({variant_kind, &candidate.name});
  for (const std::vector<std::string>* tokens :
       {&candidate.names_as_seen, &candidate.given_name_words, &candidate.name_parts}) {
    for (const std::string& token : *tokens) {
      if (!looked_up.insert(token).second) continue;
      lookups.push_back({name_kind, &token});
      lookups.push_back({given_word_kind, &token});
      lookups.push_back({variant_kind, &token});
    }
  }
  for (const std::string& token : candidate.names_any_order) {
    lookups.push_back({variant_kind, &token});
  }
  // Each two distinct words of the name among the records' own pairs (rows 'v', schema 13):
  // one read per distinct pair token, however many forms gave it.
  for (const std::string& token : candidate.name_word_pairs) {
    lookups.push_back({variant_kind, &token});
  }
  return lookups;
}

// The candidate's name tokens (its name, forms by eye, given-name words, other ways of being
// written and word pairs), for telling whether a head names the candidate. Made from the
// candidate's tokens alone, before anything is read. Contains costs the same fixed number of
// steps for every token, a member or not: a head's tokens are each looked up once, so that a
// head costs what its own tokens do, not its tokens times the candidate's forms.
class NameFormSet {
 public:
  explicit NameFormSet(const CandidateTokens& candidate) {
    std::vector<const std::string*> forms = {&candidate.name};
    for (const std::vector<std::string>* tokens :
         {&candidate.names_as_seen, &candidate.given_name_words, &candidate.name_parts,
          &candidate.names_any_order, &candidate.name_word_pairs}) {
      for (const std::string& token : *tokens) forms.push_back(&token);
    }
    // Eight slots a form at least: few forms share a slot, and no probe runs long.
    size_t size = 16;
    while (size < 8 * forms.size()) size *= 2;
    mask_ = size - 1;
    slots_.assign(size, Slot{});
    for (const std::string* form : forms) {
      if (form->size() != kTokenSize) continue;  // no head token is of another size
      const Slot slot = SlotOf(*form);
      size_t at = slot.words[0] & mask_;
      size_t steps = 1;
      bool present = false;
      while (slots_[at].used != 0) {
        present |= slots_[at].words == slot.words;
        at = (at + 1) & mask_;
        ++steps;
      }
      if (present) continue;
      slots_[at] = slot;
      probes_ = std::max(probes_, steps);
    }
  }

  // Whether `token` is one of the candidate's: `probes_` slots compared whole, each without a
  // branch on what it holds, whatever `token` is.
  bool Contains(absl::string_view token) const {
    if (token.size() != kTokenSize) return false;
    const Slot wanted = SlotOf(token);
    uint64_t found = 0;
    for (size_t i = 0; i < probes_; ++i) {
      const Slot& slot = slots_[(wanted.words[0] + i) & mask_];
      const uint64_t differ = (slot.words[0] ^ wanted.words[0]) |
                              (slot.words[1] ^ wanted.words[1]) |
                              (slot.words[2] ^ wanted.words[2]) |
                              (slot.words[3] ^ wanted.words[3]);
      // 1 when the slot holds exactly `token`, 0 otherwise.
      found |= slot.used & static_cast<uint64_t>(1 ^ ((differ | (0 - differ)) >> 63));
    }
    return found != 0;
  }

 private:
  static constexpr size_t kTokenSize = 32;
  struct Slot {
    std::array<uint64_t, 4> words{};
    uint64_t used = 0;
  };
  static Slot SlotOf(absl::string_view token) {
    Slot slot;
    std::memcpy(slot.words.data(), token.data(), kTokenSize);
    slot.used = 1;
    return slot;
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t probes_ = 1;
};

}  // namespace

absl::StatusOr<CandidateTokens> RecordStore::TokensForCandidate(
    absl::string_view personal_number, absl::string_view surname, absl::string_view given_name,
    absl::string_view birth_date) const {
  CandidateTokens tokens;
  ASSIGN_OR_RETURN(tokens.personal_number, PersonalNumberToken(personal_number));
  ASSIGN_OR_RETURN(tokens.name, NameToken(surname, given_name, birth_date, ""));
  // A Cyrillic surname such as "Рера" sounds "rera" but reads "Pepa" on the certificate, and a
  // Latin "Pepa" copied from a Cyrillic "Рера" reads "Рера": the records that name the candidate
  // as the name reads are looked up too. Both fields normalised above, so these cannot fail on
  // the input; which forms there are depends on the input only.
  ASSIGN_OR_RETURN(const NameForms forms, OtherNameForms(surname, given_name));
  for (const auto& form : forms) {
    ASSIGN_OR_RETURN(std::string token,
                     name_index_->Token(absl::StrCat(form.first, "|", form.second, "|",
                                                     birth_date)));
    tokens.names_as_seen.push_back(std::move(token));
  }
  // A given name of several words: each word alone, which a record may give as its given name
  // or as one of its given names, in the name as typed and in each form it reads as by eye
  // ("Arben Ali Рера" as "Arben Pepa" too; "Mapko Јован Pepa" as "Марко Рера").
  ASSIGN_OR_RETURN(tokens.given_name_words,
                   GivenWordTokensOfForms(surname, given_name, forms, birth_date));
  // And the name's other ways of being written, in the name as typed and in each of those forms:
  // its words in any order across the fields ("Arben, Krasniqi" for "Krasniqi, Arben"), its
  // fields with their inner spaces removed ("AliArben" for "Ali Arben"), and each of two
  // surnames alone ("Berisha" for "Hoxha Berisha").
  ASSIGN_OR_RETURN(NameVariants variants,
                   NameVariantTokens(surname, given_name, forms, birth_date, ""));
  tokens.names_any_order = std::move(variants.any_order);
  tokens.name_parts = std::move(variants.parts);
  // And each two distinct words of the name, in the name as typed and in each of those forms,
  // each pair once: "Hoti, Arben" or "Arben, Hoti" for "Hoti Morina, Ali Arben".
  ASSIGN_OR_RETURN(tokens.name_word_pairs,
                   NameWordPairTokens(surname, given_name, forms, birth_date, ""));
  // The index reads the lookup will make, counted before it starts: the number's, the exact
  // name's and the others (FactsForVetting).
  tokens.planned_reads =
      2 + VettingLookups(tokens, kName, kGivenWord, kNameVariant).size();
  return tokens;
}

absl::StatusOr<std::vector<VettingFacts>> RecordStore::FactsForVetting(
    const CandidateTokens& candidate, absl::Time seal_deadline) const {
  // No answer from an index that lost, gained or swapped rows while registryd was stopped.
  if (const IndexSeal* seal = db_->index_seal(); seal != nullptr) {
    RETURN_IF_ERROR(seal->AwaitSound(std::min(seal_deadline, absl::Now() + kIndexSealWait)));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   IdsWithToken(kPersonalNumber, candidate.personal_number,
                                kMaxRecordsOfAPerson));
  // On every check, whatever the number found: the records that name the candidate exactly (the
  // index the court's name search reads, keyed on the head's name_token), under any number. A
  // number mistyped in a judgment or a record, or a false one from the candidate, must not hide a
  // record that names them.
  ASSIGN_OR_RETURN(std::vector<std::string> named,
                   IdsWithToken(kName, candidate.name, kMaxRecordsOfAPerson));
  // And those that name them as the name reads by eye (a Cyrillic "Рера" on the certificate
  // passes for "Pepa", a Latin "Pepa" for "Рера"), as the whole given name or as one of theirs
  // (and as one of their other ways of writing it, below): three index reads for each such form
  // the input has (at most eight), whatever they find.
  // And those that name them by one of their given names when either given name has several
  // words: records filed under the candidate's name as one of their given names (rows 'w'), and
  // under each of the candidate's given names alone, in the name as typed and in each form it
  // reads as by eye, as the whole given name or as one of theirs: one more index read, and three
  // for each such word, whatever they find. And those that name them by another way of writing
  // the name (rows 'v': the words in other fields, a field's words joined, one of two surnames):
  // each of the tokens above among the records' such rows, the candidate's words in any order
  // there too, and each of the candidate's fields joined and surnames alone among the records'
  // names, given-name words and such rows. Such a record refers, never decides (under the
  // candidate's number it does not match the candidate's exact name; under another it refers in
  // any case). Each distinct token is read once per row kind: how many reads depends on the
  // input only.
  // Each id is kept with the index row that found it, once.
  using FoundBy = VettingLookup;
  std::vector<FoundBy> found_by(named.size(), FoundBy{kName, &candidate.name});
  {
    std::set<std::string> seen_ids(named.begin(), named.end());
    const std::vector<FoundBy> lookups =
        VettingLookups(candidate, kName, kGivenWord, kNameVariant);
    for (const FoundBy& lookup : lookups) {
      ASSIGN_OR_RETURN(std::vector<std::string> more,
                       IdsWithToken(lookup.kind, *lookup.token, kMaxRecordsOfAPerson));
      for (std::string& id : more) {
        if (!seen_ids.insert(id).second) continue;
        named.push_back(std::move(id));
        found_by.push_back(lookup);
      }
    }
  }
  // Whether a head names the candidate by the name, as it reads, by one of the given names or
  // by another way of writing it: each of the head's name tokens (its name, given-name words
  // and other ways) looked up once among the candidate's (NameFormSet, a fixed number of steps
  // each), so that a head costs what its own tokens do, not its tokens times the candidate's
  // forms. A token of the words in any order is under a label no other token's input has, so
  // it equals only such a token.
  const NameFormSet candidate_forms(candidate);
  size_t comparisons = 0;
  const auto names_candidate = [&](const StoredHead& head) {
    bool names = false;
    const auto compare = [&](const std::string& own) {
      names |= candidate_forms.Contains(own);
      ++comparisons;
    };
    compare(head.name_token());
    for (const std::string& word : head.given_word_tokens()) compare(word);
    for (const std::string& variant : head.name_variant_tokens()) compare(variant);
    return names;
  };
  std::vector<VettingFacts> facts;
  std::vector<PersonConviction> convictions;
  for (const std::string& id : ids) {
    ++vetting_heads_read_;
    absl::StatusOr<StoredHead> head = ReadHead(id);
    if (absl::IsNotFound(head.status())) {
      RETURN_IF_ERROR(ConfirmErasedMeanwhile(kPersonalNumber, candidate.personal_number, id));
      continue;
    }
    if (!head.ok()) return head.status();
    ASSIGN_OR_RETURN(RecordDates dates, OpenDates(*head));
    VettingFacts f;
    f.record_id = id;
    f.identity_matches = crypto::ConstantTimeEquals(head->name_token(), candidate.name);
    f.status = head->status();
    facts.push_back(std::move(f));
    ASSIGN_OR_RETURN(PersonConviction c, OwnConviction(*head, dates));
    convictions.push_back(std::move(c));
  }

  // The records found by name alone, each read once (one found under the number too was read
  // above), grouped by their own number. A record's visibility end in force is extended only by
  // the active records of its number that name the same person (EffectiveDates: by the name or
  // an alias), and so computed from all its number's records, it is what RestageDates stores.
  const std::set<std::string> by_number(ids.begin(), ids.end());
  struct OtherNumber {
    std::vector<VettingFacts> facts;
    std::vector<PersonConviction> convictions;
  };
  std::map<std::string, OtherNumber> others;
  size_t read_by_name = 0;
  for (size_t n = 0; n < named.size(); ++n) {
    const std::string& id = named[n];
    if (by_number.count(id) > 0) continue;
    ++read_by_name;
    ++vetting_heads_read_;
    absl::StatusOr<StoredHead> head = ReadHead(id);
    if (absl::IsNotFound(head.status())) {
      RETURN_IF_ERROR(ConfirmErasedMeanwhile(found_by[n].kind, *found_by[n].token, id));
      continue;
    }
    if (!head.ok()) return head.status();
    ASSIGN_OR_RETURN(RecordDates dates, OpenDates(*head));
    const bool names = names_candidate(*head);
    const bool own_number =
        crypto::ConstantTimeEquals(head->personal_number_token(), candidate.personal_number);
    ASSIGN_OR_RETURN(PersonConviction c, OwnConviction(*head, dates));
    if (own_number) {
      // Its authenticated head files it under the candidate's number, which the number index did
      // not return: it is one of the number's records, and counts as one, what it says deciding
      // (NOT_CLEAR stays NOT_CLEAR). Either it was filed under the number after that lookup (a
      // new record, or one moved from another number: the answer is then as after that write,
      // whereas leaving it out answered CLEAR where neither before, REFER while it named the
      // candidate under another number, nor after, NOT_CLEAR, was CLEAR), or its
      // personal-number row was deleted from the data folder. DataLoss would be right for the
      // second, but only more reads could tell it from the first, and a write meanwhile can
      // change what they see; counting it is right for both, and the answer depends on the
      // record, not on the race. A row still missing now was deleted (unless a second write
      // moved the record away meanwhile): logged for the operator, with the record id only (the
      // data check names it too).
      ASSIGN_OR_RETURN(
          const std::optional<std::string> row,
          db_->Get(Cf::kIndex, IndexKey(kPersonalNumber, candidate.personal_number, id)));
      if (!row.has_value()) {
        LogLine("error",
                "vetting found a record under the candidate's personal number by name only: its "
                "personal-number index row is missing from the data folder; it was counted")
            .Str("record_id", id)
            .Write();
      }
      VettingFacts f;
      f.record_id = id;
      f.identity_matches = crypto::ConstantTimeEquals(head->name_token(), candidate.name);
      f.status = head->status();
      facts.push_back(std::move(f));
      convictions.push_back(std::move(c));
      continue;
    }
    // Renamed since the index was read: not a record that names the candidate.
    if (!names) continue;
    VettingFacts f;
    f.record_id = id;
    f.identity_matches = true;
    f.under_other_number = true;
    f.person_token = head->personal_number_token();
    f.status = head->status();
    OtherNumber& group = others[head->personal_number_token()];
    group.facts.push_back(std::move(f));
    group.convictions.push_back(std::move(c));
  }
  // The dates in force of the number's records are computed here from every record's own
  // dates, as RestageDates stores them, rather than read: a head put back from before its
  // person's records changed (it authenticates, at the same version) cannot bring back an
  // extension that a record since erased or amended gave it.
  const std::vector<EffectiveRecordDates> in_force = EffectiveDates(convictions);
  for (size_t i = 0; i < facts.size(); ++i) {
    facts[i].employer_visible_until = in_force[i].employer_visible_until;
  }
  for (auto& [token, group] : others) {
    // And the other records of its number, which may name the person by an alias, or in another
    // form, and so extend it as they do in RestageDates: read here, counted as records read.
    std::set<std::string> in_group;
    for (const VettingFacts& f : group.facts) in_group.insert(f.record_id);
    ASSIGN_OR_RETURN(std::vector<std::string> of_number,
                     IdsWithToken(kPersonalNumber, token, kMaxRecordsOfAPerson));
    for (const std::string& id : of_number) {
      if (in_group.count(id) > 0) continue;
      ++read_by_name;
      ++vetting_heads_read_;
      absl::StatusOr<StoredHead> head = ReadHead(id);
      if (absl::IsNotFound(head.status())) continue;  // erased meanwhile: extends nothing
      if (!head.ok()) return head.status();
      ASSIGN_OR_RETURN(RecordDates dates, OpenDates(*head));
      ASSIGN_OR_RETURN(PersonConviction c, OwnConviction(*head, dates));
      group.convictions.push_back(std::move(c));
    }
    const std::vector<EffectiveRecordDates> group_in_force = EffectiveDates(group.convictions);
    for (size_t i = 0; i < group.facts.size(); ++i) {
      group.facts[i].employer_visible_until = group_in_force[i].employer_visible_until;
      facts.push_back(std::move(group.facts[i]));
    }
  }
  // Below the floor, each missing record costs what a record does, on a stand-in. The records
  // found by name count as the number's do: the work tells neither "no record" from a spent
  // one, nor a record under the number from one under another.
  const size_t read = ids.size() + read_by_name;
  const size_t short_by = read < kVettingWorkFloor ? kVettingWorkFloor - read : 0;
  RETURN_IF_ERROR(ReadStandIns(candidate, short_by));
  // And the first kVettingWorkFloor records, found or stand-ins, cost kVettingNameComparisons
  // lookups among the candidate's forms each, whatever they were compared with: a record of two
  // aliases of six words costs what one of a single word does, and what none does (the rest in
  // tokens that no form has, spread over the set as a head's are). Beyond four records the
  // work grows with them, as the reads do (row 42).
  const size_t level = kVettingNameComparisons * kVettingWorkFloor;
  bool discarded = false;
  std::string stand_in(32, '\0');
  for (uint64_t i = comparisons; i < level; ++i) {
    const uint64_t spread = (i + 1) * 0x9E3779B97F4A7C15ull;
    std::memcpy(&stand_in[0], &spread, sizeof(spread));
    discarded |= candidate_forms.Contains(stand_in);
  }
  // Kept, so that the lookups are made.
  volatile bool kept = discarded;
  static_cast<void>(kept);
  vetting_name_comparisons_ += std::max<uint64_t>(comparisons, level);
  return facts;
}

absl::Status RecordStore::ReadStandIns(const CandidateTokens& candidate, size_t count) const {
  if (count == 0) return absl::OkStatus();
  // A stand-in costs what a record does: one index-row MAC, one head read, one head MAC, one
  // token comparison and one opening of sealed dates. It is a real head at a random place in the
  // table, so that its read costs what a record's does, a block read included when the table is
  // larger than the cache (a key that is not there is answered by the filter, without one).
  std::unique_ptr<Iterator> it = db_->NewIterator(Cf::kRecords);
  ASSIGN_OR_RETURN(const std::vector<std::string> places, NewRegistryIds(count));
  for (const std::string& place : places) {
    ++vetting_heads_read_;
    it->Seek(place);
    if (!it->Valid()) it->SeekToFirst();
    StoredHead other;
    if (it->Valid() && other.ParseFromArray(it->value().data(),
                                            static_cast<int>(it->value().size()))) {
      ASSIGN_OR_RETURN(std::string row_mac,
                       IndexRowMac(IndexKey(kPersonalNumber, candidate.personal_number,
                                            other.record_id())));
      ASSIGN_OR_RETURN(std::string mac, HeadMac(other));
      // Another person's record: whatever it holds (even damage) must not change the answer.
      const absl::StatusOr<RecordDates> dates = OpenDates(other);
      const int discarded = static_cast<int>(crypto::ConstantTimeEquals(mac, other.mac())) |
                            static_cast<int>(crypto::ConstantTimeEquals(row_mac, other.mac())) |
                            static_cast<int>(crypto::ConstantTimeEquals(other.name_token(),
                                                                        candidate.name)) |
                            static_cast<int>(dates.ok());
      static_cast<void>(discarded);
      continue;
    }
    // An empty registry, or a stand-in that could not be read (another record's damage is not
    // this person's answer; reads of that record and the data check report it): a constant
    // stand-in.
    StoredHead stand_in;
    stand_in.set_record_id(std::string(kRecordIdSize, '0'));
    stand_in.set_version(1);
    stand_in.set_status(registry::v1::RECORD_STATUS_ACTIVE);
    stand_in.set_wrapped_dek(std::string(65, '\0'));
    stand_in.set_personal_number_token(candidate.personal_number);
    stand_in.set_name_token(candidate.name);
    stand_in.set_dedup_token(candidate.name);
    stand_in.set_sealed_dates(stand_in_dates_);
    ASSIGN_OR_RETURN(std::string row_mac,
                     IndexRowMac(IndexKey(kPersonalNumber, candidate.personal_number,
                                          stand_in.record_id())));
    ASSIGN_OR_RETURN(std::optional<std::string> absent,
                     db_->Get(Cf::kRecords, stand_in.record_id()));
    ASSIGN_OR_RETURN(std::string mac, HeadMac(stand_in));
    ASSIGN_OR_RETURN(RecordDates dates, OpenDates(stand_in));
    // Bitwise on ints, not ||: every term must be evaluated, whatever the earlier ones gave.
    const int discarded = static_cast<int>(absent.has_value()) |
                          static_cast<int>(crypto::ConstantTimeEquals(mac, row_mac)) |
                          static_cast<int>(crypto::ConstantTimeEquals(stand_in.name_token(),
                                                                      candidate.name)) |
                          static_cast<int>(dates.employer_visible_until().empty());
    static_cast<void>(discarded);
  }
  // The iterator's own errors are another record's damage too: not this person's answer.
  return absl::OkStatus();
}

absl::StatusOr<std::string> RecordStore::StageRewrapBatch(absl::string_view after, size_t max,
                                                          uint64_t* rewrapped, PendingWrite* w) {
  const std::shared_ptr<const crypto::Keyring> keyring = keys_->Get();
  const uint32_t current = keyring->current_version();
  // Before the first batch moves a data key under the new KEK (or, with no record, in the batch
  // that ends the rotation), its check value is recorded.
  RETURN_IF_ERROR(StageKekCheck(keyring, w));
  ASSIGN_OR_RETURN(const std::vector<std::string> ids, RecordIds(after, max));
  if (ids.empty()) return std::string();
  // Heads are written under their person's stripe, and the batch's persons are only known from
  // the heads themselves: like an import, a batch holds every person stripe, in index order.
  for (absl::Mutex& mu : person_locks_) Lock(&mu, w);
  uint64_t count = 0;
  for (const std::string& id : ids) {
    absl::StatusOr<StoredHead> head = ReadHead(id);
    if (absl::IsNotFound(head.status())) continue;
    if (!head.ok()) return head.status();
    ASSIGN_OR_RETURN(uint32_t version, crypto::Keyring::WrappedVersion(head->wrapped_dek()));
    if (version == current) continue;
    ASSIGN_OR_RETURN(std::string rewrapped_dek, keyring->Rewrap(head->wrapped_dek(), id));
    head->set_wrapped_dek(std::move(rewrapped_dek));
    ASSIGN_OR_RETURN(std::string encoded_head, EncodeHead(*head));
    w->batch()->Put(Cf::kRecords, id, encoded_head);
    ++count;
  }
  *rewrapped += count;
  return ids.back();
}

absl::Status RecordStore::CheckHead(const std::string& key, bool rules_settled,
                                    bool dates_in_force, uint32_t* version,
                                    DataCheckReport* report) const {
  const auto problem = [&](absl::string_view id, absl::string_view what) {
    report->Add(absl::StrCat("record ", id, ": ", what));
  };
  const std::string id = IsRegistryId(key) ? key : absl::CEscape(key);
  absl::StatusOr<StoredHead> head = ReadHead(key);
  *version = head.ok() ? head->version() : 0;
  if (!head.ok()) {
    problem(id, absl::IsNotFound(head.status()) ? "head marks the record expunged"
                                                : "head fails authentication");
    return absl::OkStatus();
  }
  absl::StatusOr<RecordDates> dates = OpenDates(*head);
  if (!dates.ok()) {
    problem(id, "sealed dates fail authentication");
  } else {
    if (rules_settled && SealedUnderOtherRules(*dates)) {
      problem(id, "own dates sealed under other retention rules than those in force (a head "
                  "put back from before a change of the rules)");
    }
    // The dates in force are what the person's records' own dates give: a head put back from
    // before one of them changed authenticates, at the same version, and only this tells.
    absl::StatusOr<EffectiveRecordDates> in_force =
        dates_in_force ? DatesInForce(*head) : absl::StatusOr<EffectiveRecordDates>();
    if (dates_in_force && in_force.ok() &&
        (in_force->employer_visible_until != dates->employer_visible_until() ||
         in_force->delete_after != dates->delete_after())) {
      problem(id, "dates in force differ from what the person's records give (a head put back "
                  "from before a re-dating)");
    }
  }
  for (const HeadRow& r : HeadRowsOf(*head)) {
    const std::string row_key = IndexKey(r.kind, r.token, key);
    ASSIGN_OR_RETURN(std::optional<std::string> value, db_->Get(Cf::kIndex, row_key));
    ASSIGN_OR_RETURN(std::string mac, IndexRowMac(row_key));
    if (!value.has_value()) {
      problem(id, absl::StrCat("index row '", std::string(1, r.kind), "' missing"));
    } else if (!crypto::ConstantTimeEquals(*value, mac)) {
      problem(id, absl::StrCat("index row '", std::string(1, r.kind),
                               "' fails authentication"));
    }
  }
  absl::StatusOr<crypto::SecretBytes> dek = Dek(*head);
  if (!dek.ok()) {
    problem(id, "data key does not unwrap");
    return absl::OkStatus();
  }
  for (uint32_t n = 1; n <= head->version(); ++n) {
    ASSIGN_OR_RETURN(std::optional<std::string> raw, db_->Get(Cf::kVersions, VersionKey(key, n)));
    StoredVersion v;
    if (!raw.has_value()) {
      problem(id, absl::StrCat("version ", n, " missing"));
    } else if (!v.ParseFromString(*raw) || v.version() != n ||
               !OpenVersion(*head, *dek, v).ok()) {
      problem(id, absl::StrCat("version ", n, " fails authentication"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint32_t>> RecordStore::CheckRecord(absl::string_view record_id,
                                                                 DataCheckReport* report) const {
  ASSIGN_OR_RETURN(const std::optional<std::string> stored,
                   db_->Get(Cf::kRecords, std::string(record_id)));
  if (!stored.has_value()) return std::optional<uint32_t>();
  ASSIGN_OR_RETURN(const std::string stored_rules, DatesRulesFingerprint());
  const bool rules_settled = rules_.own_dates != nullptr && stored_rules == rules_.fingerprint;
  ++report->records;
  uint32_t version = 0;
  RETURN_IF_ERROR(CheckHead(std::string(record_id), rules_settled, rules_settled, &version,
                            report));
  return std::optional<uint32_t>(version);
}

absl::Status RecordStore::CheckAll(
    const std::function<void(absl::string_view record_id, uint32_t version)>& on_record,
    DataCheckReport* report) const {
  // Once the stored dates follow the rules in force (the re-dating after a change of them is
  // done), every head's own dates were sealed under them.
  ASSIGN_OR_RETURN(const std::string stored_rules, DatesRulesFingerprint());
  const bool rules_settled = rules_.own_dates != nullptr && stored_rules == rules_.fingerprint;
  // Heads: each one whole.
  auto heads = db_->NewIterator(Cf::kRecords);
  for (heads->SeekToFirst(); heads->Valid(); heads->Next()) {
    ++report->records;
    const std::string key = std::string(heads->key());
    uint32_t version = 0;
    RETURN_IF_ERROR(CheckHead(key, rules_settled, /*dates_in_force=*/true, &version, report));
    on_record(IsRegistryId(key) ? key : absl::CEscape(key), version);
  }
  RETURN_IF_ERROR(heads->status());

  // KEKs: each one data keys are under has its check value, recorded in the write that put the
  // first of them under it (CheckKeks). Without it, a start would take whatever KEK of that
  // version the key file then holds. Read after the heads: a write that put a data key under a
  // new KEK while the check ran brought its check value in the same batch.
  ASSIGN_OR_RETURN(const DataKeysOfKek under_kek, DataKeysPerKek(*db_));
  for (const auto& [version, count] : under_kek) {
    ASSIGN_OR_RETURN(std::optional<std::string> kek_check,
                     db_->Get(Cf::kMeta, KekCheckKey(version)));
    if (!kek_check.has_value()) {
      report->Add(absl::StrCat("key-encryption key version ", version, ": ", count,
                               " data keys are under it, but its check value is missing"));
    }
  }

  // Index rows: each must authenticate and point at a head that has it.
  auto index = db_->NewIterator(Cf::kIndex);
  for (index->SeekToFirst(); index->Valid(); index->Next()) {
    ++report->index_rows;
    absl::string_view key(index->key().data(), index->key().size());
    const size_t id_at = key.size() >= kRecordIdSize ? key.size() - kRecordIdSize : 0;
    const std::string id = IsRegistryId(key.substr(id_at)) ? std::string(key.substr(id_at))
                                                            : absl::CEscape(key);
    ASSIGN_OR_RETURN(std::string mac, IndexRowMac(key));
    if (key.size() != 1 + 32 + kRecordIdSize ||
        !crypto::ConstantTimeEquals(mac, absl::string_view(index->value().data(),
                                                          index->value().size()))) {
      report->Add(absl::StrCat("index row for ", id, ": fails authentication"));
      continue;
    }
    const char kind = key[0];
    absl::StatusOr<StoredHead> head = ReadHead(id);
    if (kind == kErased) {
      // An expunged conviction's row: its record must stay gone.
      if (!absl::IsNotFound(head.status())) {
        report->Add(absl::StrCat("erased-conviction row for ", id, ": the record is present"));
      }
      continue;
    }
    if (!head.ok()) {
      report->Add(absl::StrCat("index row '", std::string(1, kind), "' for ", id,
                               ": orphaned (no readable head)"));
      continue;
    }
    const absl::string_view token = key.substr(1, 32);
    const auto holds = [&](const auto& tokens) {
      return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
    };
    const bool current = kind == kPersonalNumber ? token == head->personal_number_token()
                         : kind == kName         ? token == head->name_token()
                         : kind == kLoose        ? token == head->loose_name_token() ||
                                                       holds(head->loose_word_tokens())
                         : kind == kAlias        ? holds(head->alias_tokens())
                         : kind == kAliasLoose   ? holds(head->alias_loose_tokens()) ||
                                                       holds(head->alias_loose_word_tokens())
                         : kind == kGivenWord    ? holds(head->given_word_tokens())
                         : kind == kNameVariant  ? holds(head->name_variant_tokens())
                         : kind == kLooseVariant ? holds(head->loose_variant_tokens())
                                                 : token == head->dedup_token();
    if (!current) {
      report->Add(absl::StrCat("index row '", std::string(1, kind), "' for ", id,
                               ": not the record's current token"));
    }
  }
  RETURN_IF_ERROR(index->status());

  // Version rows: each must belong to a head, within its versions.
  auto versions = db_->NewIterator(Cf::kVersions);
  std::string current_id;
  uint32_t current_version = 0;
  for (versions->SeekToFirst(); versions->Valid(); versions->Next()) {
    ++report->versions;
    absl::string_view key(versions->key().data(), versions->key().size());
    if (key.size() != kRecordIdSize + 4 || !IsRegistryId(key.substr(0, kRecordIdSize))) {
      report->Add(absl::StrCat("version row ", absl::CEscape(key), ": malformed key"));
      continue;
    }
    const std::string id(key.substr(0, kRecordIdSize));
    if (id != current_id) {
      current_id = id;
      absl::StatusOr<StoredHead> head = ReadHead(id);
      current_version = head.ok() ? head->version() : 0;
    }
    const uint32_t n = DecodeU32(key.substr(kRecordIdSize));
    if (current_version == 0) {
      report->Add(absl::StrCat("version ", n, " of ", id, ": orphaned (no readable head)"));
    } else if (n == 0 || n > current_version) {
      report->Add(absl::StrCat("version ", n, " of ", id, ": beyond the head's version"));
    }
  }
  RETURN_IF_ERROR(versions->status());
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> RecordStore::CountNotUnder(uint32_t version) const {
  uint64_t n = 0;
  auto it = db_->NewIterator(Cf::kRecords);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    StoredHead head;
    if (!head.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("record head is damaged");
    }
    ASSIGN_OR_RETURN(uint32_t v, crypto::Keyring::WrappedVersion(head.wrapped_dek()));
    if (v != version) ++n;
  }
  RETURN_IF_ERROR(it->status());
  return n;
}

}  // namespace registry::storage
