#include "client/console/catalog.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/console/embedded.h"

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

// One plural choice of a message: "{n, plural, one {{n} record} other {{n} records}}".
struct PluralChoice {
  size_t begin = 0;  // the choice's "{"
  size_t end = 0;    // just after its closing "}"
  size_t language_at = 0;  // just after "plural": where ":sr" is or goes
  std::string name;
  std::string language;  // "" unless marked
  std::vector<std::pair<std::string, std::string>> forms;  // category, text
};

bool IsLowerWord(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The choice that starts at message[begin] ("{" and a lower-case name, then ","), read to its
// end. Its forms hold placeholders ("{n}"), not choices of their own.
absl::StatusOr<PluralChoice> ReadChoice(absl::string_view message, size_t begin) {
  PluralChoice choice;
  choice.begin = begin;
  const size_t comma = message.find(',', begin);
  choice.name = std::string(message.substr(begin + 1, comma - begin - 1));
  size_t at = comma + 1;
  const auto skip_spaces = [&] {
    while (at < message.size() && message[at] == ' ') ++at;
  };
  skip_spaces();
  if (!absl::StartsWith(message.substr(at), "plural")) {
    return absl::InvalidArgumentError(absl::StrCat("{", choice.name, ", ...}: not \"plural\""));
  }
  at += 6;
  choice.language_at = at;
  if (at < message.size() && message[at] == ':') {
    const size_t language_end = message.find(',', at);
    if (language_end == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("{", choice.name, ", plural: unended"));
    }
    choice.language = std::string(message.substr(at + 1, language_end - at - 1));
    at = language_end;
  }
  if (at >= message.size() || message[at] != ',') {
    return absl::InvalidArgumentError(absl::StrCat("{", choice.name, ", plural ...: no \",\""));
  }
  ++at;
  while (true) {
    skip_spaces();
    if (at >= message.size()) {
      return absl::InvalidArgumentError(absl::StrCat("{", choice.name, ", plural, ...: unended"));
    }
    if (message[at] == '}') {
      choice.end = at + 1;
      break;
    }
    const size_t open = message.find('{', at);
    if (open == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("{", choice.name, ", plural, ...: unended"));
    }
    const std::string category(absl::StripAsciiWhitespace(message.substr(at, open - at)));
    if (!IsLowerWord(category)) {
      return absl::InvalidArgumentError(
          absl::StrCat("{", choice.name, ", plural, ...}: \"", category, "\" is not a category"));
    }
    int depth = 0;
    size_t close = open;
    for (; close < message.size(); ++close) {
      if (message[close] == '{') ++depth;
      if (message[close] == '}' && --depth == 0) break;
    }
    if (close >= message.size()) {
      return absl::InvalidArgumentError(absl::StrCat("{", choice.name, ", plural, ...: unended"));
    }
    for (const auto& [seen, text] : choice.forms) {
      if (seen == category) {
        return absl::InvalidArgumentError(
            absl::StrCat("{", choice.name, ", plural, ...}: \"", category, "\" twice"));
      }
    }
    choice.forms.emplace_back(category, std::string(message.substr(open + 1, close - open - 1)));
    at = close + 1;
  }
  if (std::none_of(choice.forms.begin(), choice.forms.end(),
                   [](const auto& form) { return form.first == "other"; })) {
    return absl::InvalidArgumentError(absl::StrCat("{", choice.name, ", plural, ...}: no other"));
  }
  return choice;
}

// The plural choices of `message`, in order: every "{" followed by a lower-case name and ","
// starts one (a placeholder is "{name}").
absl::StatusOr<std::vector<PluralChoice>> PluralChoices(absl::string_view message) {
  std::vector<PluralChoice> choices;
  size_t at = 0;
  while ((at = message.find('{', at)) != absl::string_view::npos) {
    const size_t comma = message.find(',', at);
    const size_t close = message.find('}', at);
    if (comma == absl::string_view::npos || (close != absl::string_view::npos && close < comma) ||
        !IsLowerWord(message.substr(at + 1, comma - at - 1))) {
      ++at;
      continue;
    }
    absl::StatusOr<PluralChoice> choice = ReadChoice(message, at);
    if (!choice.ok()) return choice.status();
    at = choice->end;
    choices.push_back(*std::move(choice));
  }
  return choices;
}

// `message` with its plural choices checked and, when `language` is given, marked with it; each
// must give exactly the language's categories.
absl::StatusOr<std::string> MarkPluralChoices(absl::string_view message,
                                              absl::string_view language) {
  absl::StatusOr<std::vector<PluralChoice>> choices = PluralChoices(message);
  if (!choices.ok()) return choices.status();
  if (language.empty()) return std::string(message);
  std::string marked;
  size_t copied = 0;
  for (const PluralChoice& choice : *choices) {
    std::vector<std::string> given;
    for (const auto& [category, text] : choice.forms) given.push_back(category);
    std::vector<std::string> wanted = PluralCategories(language);
    std::sort(given.begin(), given.end());
    std::sort(wanted.begin(), wanted.end());
    if (given != wanted) {
      return absl::InvalidArgumentError(
          absl::StrCat("{", choice.name, ", plural, ...}: ", language, " has the forms ",
                       absl::StrJoin(PluralCategories(language), ", ")));
    }
    if (!choice.language.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("{", choice.name, ", plural:...}: marked"));
    }
    absl::StrAppend(&marked, message.substr(copied, choice.language_at - copied), ":", language);
    copied = choice.language_at;
  }
  absl::StrAppend(&marked, message.substr(copied));
  return marked;
}

}  // namespace

std::string PluralCategory(absl::string_view language, uint64_t n) {
  if (language == "sr") {
    const uint64_t units = n % 10;
    const uint64_t tens = n % 100;
    if (units == 1 && tens != 11) return "one";
    if (units >= 2 && units <= 4 && (tens < 12 || tens > 14)) return "few";
    return "other";
  }
  return n == 1 ? "one" : "other";
}

std::vector<std::string> PluralCategories(absl::string_view language) {
  if (language == "sr") return {"one", "few", "other"};
  return {"one", "other"};
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
    absl::StatusOr<std::string> message =
        MarkPluralChoices(absl::StripAsciiWhitespace(line.substr(equals + 1)), language);
    if (!message.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", number, ": ", message.status().message()));
    }
    if (key.empty()) return absl::InvalidArgumentError(absl::StrCat("line ", number, ": no key"));
    for (char c : key) {
      if (!absl::ascii_isalpha(c) && !absl::ascii_isdigit(c) && c != '_' && c != '.' && c != '-') {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", number, ": key \"", key, "\" is not [A-Za-z0-9_.-]"));
      }
    }
    if (!catalog.messages.emplace(key, *std::move(message)).second) {
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

std::string Format(absl::string_view message,
                   const std::vector<std::pair<std::string, std::string>>& values) {
  // The plural choices first, by the raw message: a value is never read as one.
  std::string chosen;
  absl::StatusOr<std::vector<PluralChoice>> choices = PluralChoices(message);
  if (choices.ok() && !choices->empty()) {
    size_t copied = 0;
    for (const PluralChoice& choice : *choices) {
      std::string category = "other";
      for (const auto& [name, value] : values) {
        uint64_t n = 0;
        if (name == choice.name && absl::SimpleAtoi(value, &n)) {
          category = PluralCategory(choice.language.empty() ? "en" : choice.language, n);
        }
      }
      // The language's form for the number; "other" when the message lacks it (one parsed
      // without its language need not give every category).
      std::string form;
      bool exact = false;
      for (const auto& [name, text] : choice.forms) {
        if (name == category) {
          form = text;
          exact = true;
        } else if (name == "other" && !exact) {
          form = text;
        }
      }
      absl::StrAppend(&chosen, message.substr(copied, choice.begin - copied), form);
      copied = choice.end;
    }
    absl::StrAppend(&chosen, message.substr(copied));
    message = chosen;
  }
  std::vector<std::pair<std::string, std::string>> replacements;
  for (const auto& [name, value] : values) replacements.emplace_back("{" + name + "}", value);
  return absl::StrReplaceAll(message, replacements);
}

}  // namespace registry::console
