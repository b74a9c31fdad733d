#include "client/console/catalog.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/console/embedded.h"
#include "client/console/html.h"
#include "unicode/fmtable.h"
#include "unicode/locid.h"
#include "unicode/messagepattern.h"
#include "unicode/msgfmt.h"
#include "unicode/parseerr.h"
#include "unicode/plurrule.h"
#include "unicode/strenum.h"
#include "unicode/stringpiece.h"
#include "unicode/unistr.h"
#include "unicode/utypes.h"

namespace registry::console {

const std::vector<Language>& Languages() {
  static const auto* const kLanguages = new std::vector<Language>{
      {"sq", "sq", "Shqip"},
      {"sr", "sr-Latn", "Srpski"},
      {"en", "en", "English"},
  };
  return *kLanguages;
}

const Language& LanguageOrDefault(absl::string_view code) {
  for (const Language& language : Languages()) {
    if (language.code == code) return language;
  }
  return Languages().front();
}

namespace {

using Values = std::vector<std::pair<std::string, std::string>>;

icu::UnicodeString Utf16(absl::string_view text) {
  return icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
}

std::string Utf8(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

// The ICU locale of a catalog's language: its BCP 47 tag ("sr-Latn"), or `language` as it is.
icu::Locale CatalogLocale(absl::string_view language) {
  std::string tag(language);
  for (const Language& known : Languages()) {
    if (known.code == language) tag = known.html_lang;
  }
  UErrorCode status = U_ZERO_ERROR;
  icu::Locale locale = icu::Locale::forLanguageTag(tag, status);
  return U_SUCCESS(status) ? locale : icu::Locale::getRoot();
}

// Whether `message` holds a choice: "{", a name and "," (a placeholder is "{name}"). Only such a
// message is ICU's to read, so that the others keep their apostrophes and braces as written.
bool HasChoice(absl::string_view message) {
  for (size_t at = message.find('{'); at != absl::string_view::npos;
       at = message.find('{', at + 1)) {
    size_t end = at + 1;
    const auto skip_spaces = [&] {
      while (end < message.size() && message[end] == ' ') ++end;
    };
    skip_spaces();
    const size_t name = end;
    while (end < message.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(message[end])) || message[end] == '_')) {
      ++end;
    }
    if (end == name) continue;
    skip_spaces();
    if (end < message.size() && message[end] == ',') return true;
  }
  return false;
}

// "12", "-3", "0": a whole number as absl::StrCat writes one (no sign, space or leading zero that
// a number would lose).
bool IsWholeNumber(absl::string_view value) {
  absl::ConsumePrefix(&value, "-");
  return !value.empty() && (value == "0" || value[0] != '0') &&
         std::all_of(value.begin(), value.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

// A value for ICU: a whole number as a number (int64, or ICU's decimal beyond it), else text.
icu::Formattable IcuArgument(const std::string& value) {
  if (IsWholeNumber(value)) {
    int64_t n = 0;
    if (absl::SimpleAtoi(value, &n)) return icu::Formattable(n);
    UErrorCode status = U_ZERO_ERROR;
    icu::Formattable decimal(icu::StringPiece(value), status);
    if (U_SUCCESS(status)) return decimal;
  }
  return icu::Formattable(Utf16(value));
}

// That ICU reads the message with a choice `message`, that each choice is a plural with an
// "other" form and no form twice, and, when `language` is given, with exactly its categories.
absl::Status CheckChoices(absl::string_view message, absl::string_view language) {
  const icu::UnicodeString pattern = Utf16(message);
  UParseError where{};
  UErrorCode status = U_ZERO_ERROR;
  // The whole format, as Format builds it: a type ICU does not know fails here.
  const icu::MessageFormat format(pattern, CatalogLocale(language.empty() ? "en" : language),
                                  where, status);
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(absl::StrCat("not a message ICU reads (", u_errorName(status),
                                                   " at character ", where.offset, ")"));
  }
  const icu::MessagePattern parts(pattern, &where, status);
  if (U_FAILURE(status)) {
    return absl::InvalidArgumentError(absl::StrCat("not a message ICU reads (", u_errorName(status),
                                                   " at character ", where.offset, ")"));
  }
  std::vector<std::string> wanted;
  if (!language.empty()) {
    wanted = PluralCategories(language);
    std::sort(wanted.begin(), wanted.end());
  }
  for (int32_t i = 0; i < parts.countParts(); ++i) {
    const icu::MessagePattern::Part& part = parts.getPart(i);
    if (part.getType() != UMSGPAT_PART_TYPE_ARG_START ||
        part.getArgType() == UMSGPAT_ARG_TYPE_NONE) {
      continue;
    }
    const std::string name = Utf8(parts.getSubstring(parts.getPart(i + 1)));
    if (part.getArgType() != UMSGPAT_ARG_TYPE_PLURAL) {
      return absl::InvalidArgumentError(absl::StrCat("{", name, ", ...}: not \"plural\""));
    }
    // Its selectors: each is followed by its form, a message skipped whole (a form's own
    // choices are met by the outer loop).
    std::vector<std::string> given;
    const int32_t limit = parts.getLimitPartIndex(i);
    for (int32_t j = i + 2; j < limit; ++j) {
      const icu::MessagePattern::Part& selector = parts.getPart(j);
      if (selector.getType() == UMSGPAT_PART_TYPE_MSG_START) {
        j = parts.getLimitPartIndex(j);
      } else if (selector.getType() == UMSGPAT_PART_TYPE_ARG_SELECTOR) {
        const std::string category = Utf8(parts.getSubstring(selector));
        if (category[0] == '=') continue;  // an explicit value ("=0"), not a category
        if (std::find(given.begin(), given.end(), category) != given.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat("{", name, ", plural, ...}: \"", category, "\" twice"));
        }
        given.push_back(category);
      }
    }
    std::sort(given.begin(), given.end());
    if (!language.empty() && given != wanted) {
      return absl::InvalidArgumentError(
          absl::StrCat("{", name, ", plural, ...}: ", language, " has the forms ",
                       absl::StrJoin(PluralCategories(language), ", ")));
    }
  }
  return absl::OkStatus();
}

// `message` formatted by ICU in `language`; nullopt when ICU cannot (a choice by a value that is
// not a number).
std::optional<std::string> FormatChoices(absl::string_view language, absl::string_view message,
                                         const Values& values) {
  UParseError where{};
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString pattern = Utf16(message);
  const icu::MessageFormat format(pattern, CatalogLocale(language), where, status);
  // Only a value a choice is made by goes in as a number (written as the language writes a
  // count: "12.345" in sr); any other, such as an event's index or a key's version, is an
  // identifier an official compares with registry-cli's output, and goes in as written.
  std::vector<std::string> counts;
  const icu::MessagePattern parts(pattern, &where, status);
  for (int32_t i = 0; U_SUCCESS(status) && i + 1 < parts.countParts(); ++i) {
    const icu::MessagePattern::Part& part = parts.getPart(i);
    if (part.getType() == UMSGPAT_PART_TYPE_ARG_START &&
        part.getArgType() == UMSGPAT_ARG_TYPE_PLURAL) {
      counts.push_back(Utf8(parts.getSubstring(parts.getPart(i + 1))));
    }
  }
  std::vector<icu::UnicodeString> names;
  std::vector<icu::Formattable> arguments;
  for (const auto& [name, value] : values) {
    names.push_back(Utf16(name));
    arguments.push_back(std::find(counts.begin(), counts.end(), name) != counts.end()
                            ? IcuArgument(value)
                            : icu::Formattable(Utf16(value)));
  }
  icu::UnicodeString formatted;
  format.format(names.data(), arguments.data(), static_cast<int32_t>(names.size()), formatted,
                status);
  if (U_FAILURE(status)) return std::nullopt;
  return Utf8(formatted);
}

}  // namespace

std::vector<std::string> PluralCategories(absl::string_view language) {
  UErrorCode status = U_ZERO_ERROR;
  const std::unique_ptr<icu::PluralRules> rules(
      icu::PluralRules::forLocale(CatalogLocale(language), status));
  std::unique_ptr<icu::StringEnumeration> keywords(
      U_SUCCESS(status) ? rules->getKeywords(status) : nullptr);
  std::vector<std::string> categories;
  while (keywords != nullptr && U_SUCCESS(status)) {
    const icu::UnicodeString* keyword = keywords->snext(status);
    if (keyword == nullptr) break;
    categories.push_back(Utf8(*keyword));
  }
  // CLDR's order, which ICU's enumeration need not keep.
  static constexpr absl::string_view kOrder[] = {"zero", "one", "two", "few", "many", "other"};
  const auto rank = [](const std::string& category) {
    return std::find(std::begin(kOrder), std::end(kOrder), category) - std::begin(kOrder);
  };
  std::sort(categories.begin(), categories.end(),
            [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  return categories.empty() ? std::vector<std::string>{"other"} : categories;
}

absl::StatusOr<Catalog> ParseCatalog(absl::string_view text) { return ParseCatalog(text, ""); }

absl::StatusOr<Catalog> ParseCatalog(absl::string_view text, absl::string_view language) {
  Catalog catalog;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const bool legal = absl::ConsumePrefix(&line, "!");
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("line ", number, ": not \"key = text\""));
    }
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, equals)));
    std::string message(absl::StripAsciiWhitespace(line.substr(equals + 1)));
    if (HasChoice(message)) {
      if (const absl::Status checked = CheckChoices(message, language); !checked.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("line ", number, ": ", checked.message()));
      }
    }
    if (key.empty()) return absl::InvalidArgumentError(absl::StrCat("line ", number, ": no key"));
    for (char c : key) {
      if (!absl::ascii_isalpha(c) && !absl::ascii_isdigit(c) && c != '_' && c != '.' && c != '-') {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", number, ": key \"", key, "\" is not [A-Za-z0-9_.-]"));
      }
    }
    if (!catalog.messages.emplace(key, std::move(message)).second) {
      return absl::InvalidArgumentError(absl::StrCat("line ", number, ": \"", key, "\" again"));
    }
    if (legal) catalog.legal.insert(key);
  }
  return catalog;
}

const Catalogs& Catalogs::Embedded() {
  static const Catalogs* const kCatalogs = [] {
    std::map<std::string, Catalog, std::less<>> parsed;
    for (const Language& language : Languages()) {
      const std::string name = absl::StrCat("messages/", language.code, ".txt");
      std::optional<absl::string_view> text = EmbeddedFileContents(name);
      absl::StatusOr<Catalog> catalog =
          text.has_value() ? ParseCatalog(*text, language.code)
                           : absl::NotFoundError("not embedded");
      if (!catalog.ok()) {
        std::cerr << "registry-console: " << name << ": " << catalog.status().message() << "\n";
        std::abort();
      }
      parsed.emplace(language.code, *std::move(catalog));
    }
    return new Catalogs(std::move(parsed));
  }();
  return *kCatalogs;
}

const Catalog* Catalogs::Find(absl::string_view language) const {
  auto it = by_language_.find(language);
  return it == by_language_.end() ? nullptr : &it->second;
}

std::string Catalogs::Text(absl::string_view language, absl::string_view key) const {
  for (absl::string_view code : {language, absl::string_view("en")}) {
    if (const Catalog* catalog = Find(code)) {
      auto it = catalog->messages.find(key);
      if (it != catalog->messages.end()) return it->second;
    }
  }
  return absl::StrCat("[", key, "]");
}

std::string Format(absl::string_view language, absl::string_view message,
                   const Values& values) {
  if (HasChoice(message)) {
    if (std::optional<std::string> formatted = FormatChoices(language, message, values)) {
      return *std::move(formatted);
    }
  }
  Values replacements;
  for (const auto& [name, value] : values) replacements.emplace_back("{" + name + "}", value);
  return absl::StrReplaceAll(message, replacements);
}

std::string FormatEscaped(absl::string_view language, absl::string_view message,
                          const Values& values) {
  if (!HasChoice(message)) return Format(language, Escape(message), values);
  // A value that is not a number stands in ICU's output as a marker (private-use characters,
  // which no catalog holds and Escape keeps), put back after the escaping; a number is ICU's.
  Values marked;
  Values markers;
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& [name, value] = values[i];
    if (IsWholeNumber(value)) {
      marked.emplace_back(name, value);
      continue;
    }
    std::string marker = absl::StrCat("\xEE\x80\x80", i, "\xEE\x80\x81");  // U+E000 i U+E001
    marked.emplace_back(name, marker);
    markers.emplace_back(std::move(marker), value);
  }
  return absl::StrReplaceAll(Escape(Format(language, message, marked)), markers);
}

}  // namespace registry::console
