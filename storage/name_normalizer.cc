#include "storage/name_normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>
#include <unicode/utypes.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace registry::storage {
namespace internal {

// Clones of one prototype transliterator, handed out one caller at a time. The pool grows to the
// number of concurrent callers and keeps at most kMaxIdle clones.
class TransliteratorPool {
 public:
  explicit TransliteratorPool(std::unique_ptr<icu::Transliterator> prototype)
      : prototype_(std::move(prototype)) {}

  // A clone for the caller's exclusive use until it is handed back with Return. Null only if ICU
  // runs out of memory.
  std::unique_ptr<icu::Transliterator> Borrow() {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<icu::Transliterator> t = std::move(idle_.back());
      idle_.pop_back();
      return t;
    }
    // Cloned under the lock: the prototype is never used concurrently, not even by clone().
    return std::unique_ptr<icu::Transliterator>(prototype_->clone());
  }

  void Return(std::unique_ptr<icu::Transliterator> t) {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(t));
  }

 private:
  static constexpr size_t kMaxIdle = 64;

  absl::Mutex mu_;
  const std::unique_ptr<icu::Transliterator> prototype_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<icu::Transliterator>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace internal

bool IsWellFormedUtf8(absl::string_view s) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t length = static_cast<int32_t>(s.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    // Negative for truncated or overlong sequences, surrogates and values above U+10FFFF.
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

namespace {

// The transliteration steps documented in the header, as ICU transform rules. Written with \u
// escapes so that the source stays ASCII and every code point is unambiguous.
constexpr char kRules[] =
    // 1. Invisible characters and apostrophes (' ` acute-accent left/right-quote
    //    modifier-apostrophe, modifier primes) go before NFKC, which would split U+00B4 into a
    //    space and a combining accent.
    "[:Default_Ignorable_Code_Point:] > ;"
    "[\\u0027\\u0060\\u00B4\\u2018\\u2019\\u02BC\\u02B9\\u02BA] > ;"
    // 2.
    "::NFKC;"
    // 3. Serbian first so its letters follow the Serbian Latin alphabet; Any-Latin for the rest.
    "::Serbian-Latin/BGN;"
    "::Any-Latin;"
    // Any-Latin writes the Cyrillic soft and hard signs as primes.
    "[\\u02B9\\u02BA] > ;"
    // 4.
    "::Lower;"
    // 5. d with stroke.
    "\\u0111 > dj;"
    // Latin letters of African and Caucasian alphabets that Latin-ASCII leaves as they are
    // (schwa, open e, open o, eng-like and others): the base letter each is written for.
    "\\u0259 > e; \\u025B > e; \\u0254 > o; \\u0272 > n; \\u0292 > z; \\u0283 > s;"
    "\\u0263 > g; \\u0256 > d; \\u0257 > d; \\u0253 > b; \\u0199 > k; \\u028B > v;"
    "\\u028A > u; \\u026A > i; \\u0268 > i; \\u0289 > u;"
    // 6.
    "::Latin-ASCII;"
    "::NFD;"
    "[:Nonspacing_Mark:] > ;";

bool IsAscii(absl::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Splits ASCII `text` into words of lowercase letters: whitespace and '-' separate words,
// apostrophes are dropped, and any other character is refused.
absl::StatusOr<std::string> JoinAsciiWords(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (const char c : text) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (c == '-' || absl::ascii_isspace(static_cast<unsigned char>(c))) {
      pending_space = true;
    } else if (c == '\'' || c == '`') {
      // Dropped: O'Brien = OBrien.
    } else {
      return absl::InvalidArgumentError(
          "name may contain only letters, spaces, hyphens and apostrophes");
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("name has no letters");
  return out;
}

// The Latin letter that a Cyrillic or Greek letter without its marks is taken for when read by
// eye (NormalizeAsSeen; the canonical form is lower case, so a capital may map to its small
// letter); 0 when it looks like none. And the plain Latin letter that one of the few Latin
// letters which look like another than the one the canonical form folds them to is taken for:
// gamma (folded to g) looks like y, v with hook (folded to v) like u, the long s (folded to s)
// like f. CyrillicLookAlike is the other way round.
UChar32 LatinLookAlike(UChar32 c) {
  static constexpr struct {
    UChar32 from;
    char to;
  } kLookAlikes[] = {
      // Cyrillic capitals: A B E K M H O P C T Y X, S I J (Macedonian, Serbian), Y H I Q W.
      {0x0410, 'a'}, {0x0412, 'b'}, {0x0415, 'e'}, {0x041A, 'k'}, {0x041C, 'm'}, {0x041D, 'h'},
      {0x041E, 'o'}, {0x0420, 'p'}, {0x0421, 'c'}, {0x0422, 't'}, {0x0423, 'y'}, {0x0425, 'x'},
      {0x0405, 's'}, {0x0406, 'i'}, {0x0408, 'j'}, {0x04AE, 'y'}, {0x04BA, 'h'}, {0x04C0, 'i'},
      {0x051A, 'q'}, {0x051C, 'w'},
      // Cyrillic small letters: a, small-capital B K M H T, e o p c y x s i j y h l q w d, ghe r.
      {0x0430, 'a'}, {0x0432, 'b'}, {0x043A, 'k'}, {0x043C, 'm'}, {0x043D, 'h'}, {0x0442, 't'},
      {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0443, 'y'}, {0x0445, 'x'},
      {0x0455, 's'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x04AF, 'y'}, {0x04BB, 'h'}, {0x04CF, 'l'},
      {0x051B, 'q'}, {0x051D, 'w'}, {0x0501, 'd'}, {0x0433, 'r'},
      // The soft sign, capital and small, looks like b (the canonical form drops it).
      {0x042C, 'b'}, {0x044C, 'b'},
      // Greek capitals: A B E Z H I K M N O P T Y X, lunate sigma C, yot J.
      {0x0391, 'a'}, {0x0392, 'b'}, {0x0395, 'e'}, {0x0396, 'z'}, {0x0397, 'h'}, {0x0399, 'i'},
      {0x039A, 'k'}, {0x039C, 'm'}, {0x039D, 'n'}, {0x039F, 'o'}, {0x03A1, 'p'}, {0x03A4, 't'},
      {0x03A5, 'y'}, {0x03A7, 'x'}, {0x03F9, 'c'}, {0x037F, 'j'},
      // Greek small letters: alpha a, gamma y, epsilon e, eta n, iota i, kappa k, nu v,
      // omicron o, rho p, tau t (as Cyrillic small te), upsilon u, chi x, omega w, lunate sigma
      // c, yot j. Epsilon was missing, so "Ρερα" read by sound where "ΡΕΡΑ" read "pepa".
      {0x03B1, 'a'}, {0x03B3, 'y'}, {0x03B5, 'e'}, {0x03B7, 'n'}, {0x03B9, 'i'}, {0x03BA, 'k'},
      {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'},
      {0x03C9, 'w'}, {0x03F2, 'c'}, {0x03F3, 'j'},
      // Latin small gamma as y, small v with hook as u, long s as f. Their capitals look like
      // no other letter; every other Latin letter the canonical form folds looks like the letter
      // it is folded to, or the canonical form refuses it.
      {0x0263, 'y'}, {0x028B, 'u'}, {0x017F, 'f'},
  };
  for (const auto& l : kLookAlikes) {
    if (l.from == c) return l.to;
  }
  return 0;
}

// The Serbian Cyrillic letter that a Latin letter without its marks is taken for when read by
// eye (NormalizeAsSeenInCyrillic): the other way round from LatinLookAlike, for the letters of
// the Serbian Cyrillic alphabet, in which the registry's Cyrillic names are written; 0 when it
// looks like none (capital R, small d f g i l n q s u v w z, ...). A capital reads as the capital,
// a small letter as the small letter it looks like: "Mapko" reads as "Марко".
UChar32 CyrillicLookAlike(UChar32 c) {
  static constexpr struct {
    UChar32 from;
    UChar32 to;
  } kLookAlikes[] = {
      // Capitals: A B E H J K M O P C T X Y as А В Е Н Ј К М О Р С Т Х У.
      {'A', 0x0410}, {'B', 0x0412}, {'E', 0x0415}, {'H', 0x041D}, {'J', 0x0408}, {'K', 0x041A},
      {'M', 0x041C}, {'O', 0x041E}, {'P', 0x0420}, {'C', 0x0421}, {'T', 0x0422}, {'X', 0x0425},
      {'Y', 0x0423},
      // Small letters: a c e j o p x y as а с е ј о р х у; k, and b h m t, as к and the small
      // capitals в н м т that Cyrillic small letters are; r as ghe г.
      {'a', 0x0430}, {'c', 0x0441}, {'e', 0x0435}, {'j', 0x0458}, {'o', 0x043E}, {'p', 0x0440},
      {'x', 0x0445}, {'y', 0x0443}, {'k', 0x043A}, {'b', 0x0432}, {'h', 0x043D}, {'m', 0x043C},
      {'t', 0x0442}, {'r', 0x0433},
      // Letters of other Latin alphabets: h with stroke as tshe ћ (the canonical form folds it
      // to h, and ћ to c), small gamma as у.
      {0x0127, 0x045B}, {0x0263, 0x0443},
  };
  for (const auto& l : kLookAlikes) {
    if (l.from == c) return l.to;
  }
  return 0;
}

bool IsScriptLetter(UChar32 c, UScriptCode a, UScriptCode b) {
  if (!u_isalpha(c)) return false;
  UErrorCode error = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(c, &error);
  return U_SUCCESS(error) && (script == a || script == b);
}

bool IsCyrillicOrGreekLetter(UChar32 c) {
  return IsScriptLetter(c, USCRIPT_CYRILLIC, USCRIPT_GREEK);
}

bool IsLatinLetter(UChar32 c) { return IsScriptLetter(c, USCRIPT_LATIN, USCRIPT_LATIN); }

// The letters read when a word is read as Latin: Cyrillic and Greek ones, and the Latin ones that
// look like another Latin letter (LatinLookAlike).
bool IsReadAsLatin(UChar32 c) {
  return IsCyrillicOrGreekLetter(c) || (IsLatinLetter(c) && LatinLookAlike(c) != 0);
}

// One direction of reading by eye: the letters of the scripts a word is read from, and the letter
// of the other script each looks like (0 for none).
struct LookAlikes {
  bool (*read_from)(UChar32);
  UChar32 (*looks_like)(UChar32);
};
constexpr LookAlikes kAsLatin = {IsReadAsLatin, LatinLookAlike};
constexpr LookAlikes kAsCyrillic = {IsLatinLetter, CyrillicLookAlike};

// Where words end, as the canonical form splits them: whitespace and dashes.
bool EndsWord(UChar32 c) { return u_isUWhiteSpace(c) || u_charType(c) == U_DASH_PUNCTUATION; }

// `word` as it reads by eye in the direction `as`, or `word` itself when it holds a letter of the
// scripts read from that looks like no letter of the other.
icu::UnicodeString WordAsSeen(const icu::UnicodeString& word, const LookAlikes& as) {
  const icu::Normalizer2* nfd = nullptr;
  icu::UnicodeString seen;
  for (int32_t i = 0; i < word.length();) {
    const UChar32 c = word.char32At(i);
    i += U16_LENGTH(c);
    // A letter with marks (Ё, ά, é, the long s with a dot) reads as its base letter with them.
    icu::UnicodeString parts(c);
    UErrorCode error = U_ZERO_ERROR;
    if (nfd == nullptr) nfd = icu::Normalizer2::getNFDInstance(error);
    icu::UnicodeString decomposed;
    if (U_SUCCESS(error) && nfd != nullptr && nfd->getDecomposition(c, decomposed)) {
      parts = decomposed;
    }
    const UChar32 base = parts.char32At(0);
    if (!as.read_from(base)) {
      seen.append(c);
      continue;
    }
    const UChar32 other = as.looks_like(base);
    if (other == 0) return word;
    seen.append(other);
    seen.append(parts, U16_LENGTH(base), parts.length() - U16_LENGTH(base));
  }
  return seen;
}

// Each word of `text` as it reads by eye in the direction `as` (WordAsSeen), the characters
// between words kept.
icu::UnicodeString TextAsSeen(const icu::UnicodeString& text, const LookAlikes& as) {
  icu::UnicodeString seen;
  int32_t word_start = 0;
  for (int32_t i = 0; i <= text.length();) {
    const bool at_end = i == text.length();
    const UChar32 c = at_end ? 0 : text.char32At(i);
    if (at_end || EndsWord(c)) {
      seen.append(WordAsSeen(text.tempSubString(word_start, i - word_start), as));
      if (at_end) break;
      seen.append(c);
      i += U16_LENGTH(c);
      word_start = i;
    } else {
      i += U16_LENGTH(c);
    }
  }
  return seen;
}

// The canonical form of non-ASCII `text`, whose UTF-8 has been checked, by the transliteration
// steps and JoinAsciiWords.
absl::StatusOr<std::string> Transliterated(internal::TransliteratorPool& pool,
                                           icu::UnicodeString text) {
  std::unique_ptr<icu::Transliterator> transliterator = pool.Borrow();
  if (transliterator == nullptr) {
    return absl::ResourceExhaustedError("cannot clone the ICU name transliterator");
  }
  transliterator->transliterate(text);
  pool.Return(std::move(transliterator));

  std::string ascii;
  text.toUTF8String(ascii);
  if (!IsAscii(ascii)) {
    // Letters (the first check let them through) that have no Latin spelling to compare by.
    return absl::InvalidArgumentError(
        "name has a letter the registry cannot compare across scripts: write the name as the "
        "Kosovo civil registry spells it, in Latin or Cyrillic letters");
  }
  return JoinAsciiWords(ascii);
}

}  // namespace

absl::StatusOr<std::unique_ptr<NameNormalizer>> NameNormalizer::Create() {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  std::unique_ptr<icu::Transliterator> prototype(icu::Transliterator::createFromRules(
      "registry-name-normalizer", icu::UnicodeString::fromUTF8(kRules), UTRANS_FORWARD, parse_error,
      status));
  if (U_FAILURE(status) || prototype == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot build the ICU name transliterator: ", u_errorName(status),
                     " at rule line ", parse_error.line, " offset ", parse_error.offset));
  }
  return std::unique_ptr<NameNormalizer>(
      new NameNormalizer(std::make_unique<internal::TransliteratorPool>(std::move(prototype))));
}

NameNormalizer::NameNormalizer(std::unique_ptr<internal::TransliteratorPool> pool)
    : pool_(std::move(pool)) {}

NameNormalizer::~NameNormalizer() = default;

absl::StatusOr<std::string> NameNormalizer::Normalize(absl::string_view utf8) const {
  if (utf8.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError(kTooLongRule);
  }
  // Every transliteration step maps ASCII to itself except lower-casing, which JoinAsciiWords
  // does, so ASCII input needs no ICU.
  if (IsAscii(utf8)) return JoinAsciiWords(utf8);
  if (!IsWellFormedUtf8(utf8)) return absl::InvalidArgumentError("name is not valid UTF-8");

  return Transliterated(*pool_, icu::UnicodeString::fromUTF8(icu::StringPiece(
                                    utf8.data(), static_cast<int32_t>(utf8.size()))));
}

absl::StatusOr<std::string> NameNormalizer::NormalizeAsSeen(absl::string_view utf8) const {
  // The checks of Normalize, on the input as typed: a form that reads as Latin can be a few bytes
  // longer than it (a mark split off its letter), never longer than that.
  if (utf8.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError(kTooLongRule);
  }
  if (IsAscii(utf8)) return JoinAsciiWords(utf8);
  if (!IsWellFormedUtf8(utf8)) return absl::InvalidArgumentError("name is not valid UTF-8");

  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  return Transliterated(*pool_, TextAsSeen(text, kAsLatin));
}

absl::StatusOr<std::string> NameNormalizer::NormalizeAsSeenInCyrillic(
    absl::string_view utf8) const {
  // The checks of Normalize, on the input as typed (as in NormalizeAsSeen).
  if (utf8.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError(kTooLongRule);
  }
  if (!IsWellFormedUtf8(utf8)) return absl::InvalidArgumentError("name is not valid UTF-8");

  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString seen = TextAsSeen(text, kAsCyrillic);
  // No word reads otherwise (most Latin names: "Berisha" has i and s): as Normalize, without ICU
  // for ASCII input.
  if (seen == text) return Normalize(utf8);
  return Transliterated(*pool_, std::move(seen));
}

absl::StatusOr<std::string> NameNormalizer::NormalizeForLooseForm(absl::string_view utf8) const {
  // The checks of Normalize, on the input as typed (every replacement below is no longer than
  // what it replaces).
  if (utf8.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError(kTooLongRule);
  }
  if (IsAscii(utf8)) return JoinAsciiWords(utf8);
  if (!IsWellFormedUtf8(utf8)) return absl::InvalidArgumentError("name is not valid UTF-8");
  // Macedonian gje and kje, precomposed or as ghe and ka with a combining acute (U+0301), in
  // UTF-8.
  static constexpr struct {
    absl::string_view from;
    absl::string_view to;
  } kMacedonian[] = {
      {"\xd0\x83", "Gj"}, {"\xd1\x93", "gj"}, {"\xd0\x8c", "Kj"}, {"\xd1\x9c", "kj"},
      {"\xd0\x93\xcc\x81", "Gj"}, {"\xd0\xb3\xcc\x81", "gj"}, {"\xd0\x9a\xcc\x81", "Kj"},
      {"\xd0\xba\xcc\x81", "kj"},
  };
  std::string read;
  read.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    bool replaced = false;
    for (const auto& m : kMacedonian) {
      if (utf8.substr(i, m.from.size()) == m.from) {
        read.append(m.to.data(), m.to.size());
        i += m.from.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) read.push_back(utf8[i++]);
  }
  return Normalize(read);
}

std::string NameNormalizer::LooseForm(absl::string_view canonical) {
  // The words joined, then digraphs, longest match at each position, then single letters; a
  // letter repeated after folding is kept once (so "gjj" and "ll" fold too).
  static constexpr struct {
    absl::string_view from;
    char to;
  } kDigraphs[] = {{"xh", 'z'}, {"dz", 'z'}, {"zh", 'z'}, {"sh", 's'}, {"gj", 'd'},
                   {"dj", 'd'}, {"kj", 'c'}, {"lj", 'l'}, {"nj", 'n'}, {"th", 't'},
                   {"dh", 'd'}};
  std::string joined;
  joined.reserve(canonical.size());
  for (const char c : canonical) {
    if (c != ' ') joined.push_back(c);
  }
  const absl::string_view name = joined;
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    char c = name[i];
    size_t used = 1;
    for (const auto& d : kDigraphs) {
      if (name.substr(i, 2) == d.from) {
        c = d.to;
        used = 2;
        break;
      }
    }
    if (used == 1) {
      if (c == 'q') c = 'c';
      if (c == 'y') c = 'i';
    }
    if (out.empty() || out.back() != c) out.push_back(c);
    i += used;
  }
  return out;
}

}  // namespace registry::storage
