// The shape of a reference a caller states: a court's case reference, an employer's consent
// reference, a clerk's legal basis, an export's recipient and reference, a data-subject request.
// The audit log holds a reference as written, so it may hold nothing else: 1..kMaxReference
// ASCII letters, digits, spaces or /-.:_, with at least one letter or digit (" " or "." refers to
// nothing). The server's gate checks it (server/call_gate.cc), and the clients before they send
// (client/option_parser.cc, the console's forms).
#ifndef REGISTRY_COMMON_REFERENCE_TEXT_H_
#define REGISTRY_COMMON_REFERENCE_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace registry {

inline constexpr size_t kMaxReference = 64;
// How the rule is said in every message that refuses a reference.
inline constexpr char kReferenceRule[] =
    "1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit";

inline bool ReferenceShaped(absl::string_view text, size_t max = kMaxReference) {
  if (text.empty() || text.size() > max) return false;
  bool letter_or_digit = false;
  for (const char c : text) {
    const bool alnum = absl::ascii_isalnum(static_cast<unsigned char>(c));
    if (!alnum && c != ' ' && c != '/' && c != '-' && c != '.' && c != ':' && c != '_') {
      return false;
    }
    letter_or_digit = letter_or_digit || alnum;
  }
  return letter_or_digit;
}

// A character that looks like one of the separators a case number or a reference takes (a space,
// a hyphen, a slash, a colon, a dot) and is another: a no-break space, an en dash, a division
// slash, as text pasted from a word processor or a PDF brings. Such a value looks like one the
// rule takes, so the rule alone ("letters, digits, spaces or /-.:") would not say what to change:
// the look-alike is named by its code point and its Unicode name, never the value, with the plain
// character to type. The messages stay ASCII (an audit event keeps a refusal's first 200 bytes).
struct SeparatorLookAlike {
  uint32_t code;
  const char* name;   // its Unicode name, with its article
  const char* plain;  // what it looks like
  const char* typed;  // how the plain one is said: "a plain hyphen (-)"
};

// The look-alike `c` is, or nullptr. The soft hyphen (U+00AD) is no look-alike but an invisible
// character, said as such. The modifier letters that look like a colon (U+02D0, U+A789) are
// letters to Unicode, which a case number takes.
inline const SeparatorLookAlike* FindSeparatorLookAlike(uint32_t c) {
  static constexpr char kSpace[] = "a plain space";
  static constexpr char kHyphen[] = "a plain hyphen (-)";
  static constexpr char kSlash[] = "a plain slash (/)";
  static constexpr char kColon[] = "a plain colon (:)";
  static constexpr char kDot[] = "a plain dot (.)";
  static constexpr SeparatorLookAlike kLookAlikes[] = {
      {0x00A0, "a no-break space", "space", kSpace},
      {0x1680, "an ogham space mark", "space", kSpace},
      {0x2000, "an en quad", "space", kSpace},
      {0x2001, "an em quad", "space", kSpace},
      {0x2002, "an en space", "space", kSpace},
      {0x2003, "an em space", "space", kSpace},
      {0x2004, "a three-per-em space", "space", kSpace},
      {0x2005, "a four-per-em space", "space", kSpace},
      {0x2006, "a six-per-em space", "space", kSpace},
      {0x2007, "a figure space", "space", kSpace},
      {0x2008, "a punctuation space", "space", kSpace},
      {0x2009, "a thin space", "space", kSpace},
      {0x200A, "a hair space", "space", kSpace},
      {0x202F, "a narrow no-break space", "space", kSpace},
      {0x205F, "a medium mathematical space", "space", kSpace},
      {0x3000, "an ideographic space", "space", kSpace},
      {0x058A, "an Armenian hyphen", "hyphen", kHyphen},
      {0x05BE, "a Hebrew maqaf", "hyphen", kHyphen},
      {0x2010, "a Unicode hyphen", "hyphen", kHyphen},
      {0x2011, "a non-breaking hyphen", "hyphen", kHyphen},
      {0x2012, "a figure dash", "hyphen", kHyphen},
      {0x2013, "an en dash", "hyphen", kHyphen},
      {0x2014, "an em dash", "hyphen", kHyphen},
      {0x2015, "a horizontal bar", "hyphen", kHyphen},
      {0x2212, "a minus sign", "hyphen", kHyphen},
      {0x2E3A, "a two-em dash", "hyphen", kHyphen},
      {0x2E3B, "a three-em dash", "hyphen", kHyphen},
      {0xFE58, "a small em dash", "hyphen", kHyphen},
      {0xFE63, "a small hyphen-minus", "hyphen", kHyphen},
      {0xFF0D, "a fullwidth hyphen-minus", "hyphen", kHyphen},
      {0x2044, "a fraction slash", "slash", kSlash},
      {0x2215, "a division slash", "slash", kSlash},
      {0x2571, "a box-drawing diagonal", "slash", kSlash},
      {0x27CB, "a mathematical rising diagonal", "slash", kSlash},
      {0x29F8, "a big solidus", "slash", kSlash},
      {0xFF0F, "a fullwidth solidus", "slash", kSlash},
      {0x2236, "a ratio sign", "colon", kColon},
      {0xFE55, "a small colon", "colon", kColon},
      {0xFF1A, "a fullwidth colon", "colon", kColon},
      {0x2024, "a one dot leader", "dot", kDot},
      {0xFE52, "a small full stop", "dot", kDot},
      {0xFF0E, "a fullwidth full stop", "dot", kDot},
  };
  for (const SeparatorLookAlike& look_alike : kLookAlikes) {
    if (look_alike.code == c) return &look_alike;
  }
  return nullptr;
}

// What is said of a value holding `look_alike`: "holds a look-alike of a hyphen (U+2013, an en
// dash): type a plain hyphen (-)".
inline std::string SeparatorLookAlikeRule(const SeparatorLookAlike& look_alike) {
  return absl::StrFormat("holds a look-alike of a %s (U+%04X, %s): type %s", look_alike.plain,
                         look_alike.code, look_alike.name, look_alike.typed);
}

// The rule said of the first look-alike in `text` (UTF-8), or "" when it holds none (or is not
// UTF-8, which the callers' own rules refuse).
inline std::string SeparatorLookAlikeRuleOf(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char lead = byte(0);
    const size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (lead >= 0x80 && (lead < 0xC2 || lead > 0xF4 || i + length > text.size())) return "";
    uint32_t c = length == 1 ? lead : lead & (0x3F >> (length - 1));
    for (size_t k = 1; k < length; ++k) {
      if ((byte(k) & 0xC0) != 0x80) return "";
      c = (c << 6) | (byte(k) & 0x3F);
    }
    if (const SeparatorLookAlike* look_alike = FindSeparatorLookAlike(c)) {
      return SeparatorLookAlikeRule(*look_alike);
    }
    i += length;
  }
  return "";
}

// The rule a reference that is not ReferenceShaped breaks: a look-alike of a separator it takes
// named as such (a no-break space in "PKR 77/2026" reads as the rule met), else kReferenceRule.
inline std::string ReferenceRuleFor(absl::string_view text) {
  std::string look_alike = SeparatorLookAlikeRuleOf(text);
  return look_alike.empty() ? std::string(kReferenceRule) : look_alike;
}


// A legal basis (an expunction's): a reference in the words a clerk cites the law in, which are
// Albanian or Serbian ("neni 103 i Kodit Penal", "član 103 Krivičnog zakonika"): the reference's
// alphabet (ASCII letters, digits, spaces and /-.:_) with the letters of the Latin and Cyrillic
// alphabets besides (ë ç č ć š ž đ, Latin-1 and Latin Extended-A letters, the Serbian Latin
// digraphs dž lj nj as one letter, Cyrillic U+0400..U+045F), 1..kMaxReference of them (code
// points, not bytes), with at least one letter or digit. Nothing else a reference refuses is
// taken: control and invisible characters, look-alikes of the separators, the section sign, any
// other punctuation. The audit log holds it as written, as it holds any reference, so a personal
// number in it is refused all the same (docs/security.md row 40).
inline constexpr char kLegalBasisRule[] =
    "1..64 letters (Latin or Cyrillic), digits, spaces or /-.:_, with a letter or digit";

// Whether `c` is a letter a legal basis takes: an ASCII one, or one of the Latin and Cyrillic
// alphabets Albanian and Serbian write (none of the look-alikes of a separator is one).
inline bool IsLegalBasisLetter(uint32_t c) {
  if (c < 0x80) return absl::ascii_isalpha(static_cast<unsigned char>(c));
  return (c >= 0x00C0 && c <= 0x017F && c != 0x00D7 && c != 0x00F7) ||  // Latin-1, Extended-A
         (c >= 0x01C4 && c <= 0x01CC) ||                                  // DŽ Dž dž LJ ... nj
         (c >= 0x0400 && c <= 0x045F);                                    // Cyrillic
}

inline bool LegalBasisShaped(absl::string_view text) {
  if (text.empty() || text.size() > 4 * kMaxReference) return false;
  size_t count = 0;
  bool letter_or_digit = false;
  for (size_t i = 0; i < text.size();) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned char lead = byte(0);
    // Every character a legal basis takes is one or two bytes of UTF-8 (lead bytes C2..DF, so
    // never an overlong form): a longer sequence is refused whatever it encodes.
    const size_t length = lead < 0x80 ? 1 : 2;
    if (lead >= 0x80 && (lead < 0xC2 || lead > 0xDF || i + 2 > text.size() ||
                         (byte(1) & 0xC0) != 0x80)) {
      return false;
    }
    const uint32_t c = length == 1 ? lead : ((lead & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
    i += length;
    if (++count > kMaxReference) return false;
    const bool alnum = IsLegalBasisLetter(c) || (c >= '0' && c <= '9');
    if (!alnum && c != ' ' && c != '/' && c != '-' && c != '.' && c != ':' && c != '_') {
      return false;
    }
    letter_or_digit = letter_or_digit || alnum;
  }
  return letter_or_digit;
}

// The rule a legal basis that is not LegalBasisShaped breaks: a look-alike of a separator named
// as such, as for any reference, else kLegalBasisRule.
inline std::string LegalBasisRuleFor(absl::string_view text) {
  std::string look_alike = SeparatorLookAlikeRuleOf(text);
  return look_alike.empty() ? std::string(kLegalBasisRule) : look_alike;
}

}  // namespace registry

#endif  // REGISTRY_COMMON_REFERENCE_TEXT_H_
