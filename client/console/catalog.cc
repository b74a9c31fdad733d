#include "client/console/catalog.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
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

absl::StatusOr<Catalog> ParseCatalog(absl::string_view text) {
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
    const std::string message(absl::StripAsciiWhitespace(line.substr(equals + 1)));
    if (key.empty()) return absl::InvalidArgumentError(absl::StrCat("line ", number, ": no key"));
    for (char c : key) {
      if (!absl::ascii_isalpha(c) && !absl::ascii_isdigit(c) && c != '_' && c != '.' && c != '-') {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", number, ": key \"", key, "\" is not [A-Za-z0-9_.-]"));
      }
    }
    if (!catalog.messages.emplace(key, message).second) {
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
          text.has_value() ? ParseCatalog(*text) : absl::NotFoundError("not embedded");
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
  std::vector<std::pair<std::string, std::string>> replacements;
  for (const auto& [name, value] : values) replacements.emplace_back("{" + name + "}", value);
  return absl::StrReplaceAll(message, replacements);
}

}  // namespace registry::console
