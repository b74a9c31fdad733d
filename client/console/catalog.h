// The console's words, in Albanian (the default), Serbian and English: every string a page shows
// comes from a message catalog (messages/<code>.txt, built into the binary), never from the code.
//
// Catalog format, one message a line, UTF-8:
//   # a comment
//   record.title = Regjistrimi
//   !field.final-date = Data kur aktgjykimi u bë i formës së prerë
// A line starting with "!" is a legal term: its wording awaits review by the KJC legal office,
// and it is marked the same in every catalog. "{name}" in a message is a placeholder (Format).
//
// A count takes the form its language gives the number, as a plural choice (the syntax of ICU's
// MessageFormat, CLDR's categories):
//   search.exact = {n, plural, one {{n} odgovarajući upis} few {{n} odgovarajuća upisa}
//                  other {{n} odgovarajućih upisa}}
// (on one line). Each catalog gives exactly the categories its language has (PluralCategories).
//
//   const Catalogs& catalogs = Catalogs::Embedded();
//   std::string title = catalogs.Text("sr", "record.title");
#ifndef REGISTRY_CLIENT_CONSOLE_CATALOG_H_
#define REGISTRY_CLIENT_CONSOLE_CATALOG_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace registry::console {

struct Language {
  std::string code;       // "sq", catalog name and the ?lang= value
  std::string html_lang;  // BCP 47 for <html lang>: "sq", "sr-Latn", "en"
  std::string name;       // in the language itself: "Shqip"
};

// Albanian first: the default.
const std::vector<Language>& Languages();
// `code` when it is one of Languages(), else the default ("sq").
const Language& LanguageOrDefault(absl::string_view code);

struct Catalog {
  std::map<std::string, std::string, std::less<>> messages;
  // Keys marked "!" (legal terms).
  std::set<std::string, std::less<>> legal;
};

// Parses one catalog. InvalidArgument naming the line for a line that is not a comment, blank or
// "key = text", a key given twice, a key that is not [A-Za-z0-9_.-], or a plural choice that is
// malformed or has no "other" form.
absl::StatusOr<Catalog> ParseCatalog(absl::string_view text);
// The same for the catalog of `language` ("sr"): each plural choice must give exactly the
// categories of PluralCategories(language), and it is kept marked with the language
// ("{n, plural:sr, ...}"), so that Format, which is handed the message alone, chooses by the
// language's rule.
absl::StatusOr<Catalog> ParseCatalog(absl::string_view text, absl::string_view language);

// The CLDR plural category of the whole number `n` in `language`: "one", "few" or "other".
// Serbian: one when n % 10 == 1 and n % 100 != 11; few when n % 10 is 2..4 and n % 100 is not
// 12..14; other. Albanian and English (and any other code): one for 1, else other.
std::string PluralCategory(absl::string_view language, uint64_t n);
// The categories `language` distinguishes, "other" last: {"one", "few", "other"} for Serbian.
std::vector<std::string> PluralCategories(absl::string_view language);

class Catalogs {
 public:
  // The catalogs built into the binary, parsed once. A catalog that does not parse aborts at the
  // first use (the catalog test catches it before a build is shipped).
  static const Catalogs& Embedded();

  explicit Catalogs(std::map<std::string, Catalog, std::less<>> by_language)
      : by_language_(std::move(by_language)) {}

  // The message `key` in `language`; the English message when the language lacks it, and
  // "[key]" when English lacks it too (tests make sure neither happens).
  std::string Text(absl::string_view language, absl::string_view key) const;
  const Catalog* Find(absl::string_view language) const;

 private:
  std::map<std::string, Catalog, std::less<>> by_language_;
};

// `message` with each "{name}" replaced by its value. The values are inserted as they are: callers
// building HTML escape them first. A plural choice "{name, plural, ...}" is first replaced by its
// form for the value of `name` (a whole number; "other" for anything else), by the rule of the
// language the catalog marked it with (English when unmarked).
std::string Format(absl::string_view message,
                   const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_CATALOG_H_
