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
// A count takes the form its language gives the number, as a plural choice in the syntax of ICU's
// MessageFormat (CLDR's categories), which formats it:
//   search.exact = {n, plural, one {{n} odgovarajući upis} few {{n} odgovarajuća upisa}
//                  other {{n} odgovarajućih upisa}}
// (on one line). Each catalog gives exactly the categories its language has (PluralCategories).
// In a message with a choice ICU's quoting applies: an apostrophe before { } # | or another
// apostrophe quotes it ("t'i" is text, "'{'" is a brace), and "#" in a form is the number.
//
//   const Catalogs& catalogs = Catalogs::Embedded();
//   std::string title = catalogs.Text("sr", "record.title");
#ifndef REGISTRY_CLIENT_CONSOLE_CATALOG_H_
#define REGISTRY_CLIENT_CONSOLE_CATALOG_H_

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
// "key = text", a key given twice, a key that is not [A-Za-z0-9_.-], or a message with a choice
// ("{" and a name, then ",") that ICU's MessageFormat does not read, whose choice is not a plural,
// or whose plural has no "other" form or a form twice.
absl::StatusOr<Catalog> ParseCatalog(absl::string_view text);
// The same for the catalog of `language` ("sr"): each plural choice must also give exactly the
// categories of PluralCategories(language).
absl::StatusOr<Catalog> ParseCatalog(absl::string_view text, absl::string_view language);

// The CLDR plural categories `language` distinguishes, as ICU's plural rules give them, in CLDR's
// order ("other" last): {"one", "few", "other"} for Serbian, {"one", "other"} for Albanian.
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
// building HTML escape them first (or use FormatEscaped). A message with a plural choice
// "{name, plural, ...}" is formatted by ICU's MessageFormat in `language` (a catalog's code, "sr"):
// a value that is a whole number is passed as a number, so that the choice takes its language's
// form and the number is written as the language writes it, any other value as text (a choice by
// a value that is not a number is left unformatted). A message without a choice only has its
// placeholders replaced: ICU's quoting does not apply to it.
std::string Format(absl::string_view language, absl::string_view message,
                   const std::vector<std::pair<std::string, std::string>>& values);
// The same for a page: the message escaped for HTML (html.h Escape), the values put in as they
// are (escaped already). A message with a choice is formatted from its own text and escaped
// after: escaped first, an apostrophe ("&#39;") would put a "#" into a form, which ICU reads as
// the number.
std::string FormatEscaped(absl::string_view language, absl::string_view message,
                          const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_CATALOG_H_
