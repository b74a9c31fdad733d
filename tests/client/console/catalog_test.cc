// The console's message catalogs: every language has every message, legal terms are marked alike
// in all of them, and every key the code uses exists.
#include "client/console/catalog.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/audit_events.h"
#include "client/console/console_server.h"
#include "client/console/record_form.h"
#include "client/record_fields.h"
#include "common/reference_text.h"
#include "gtest/gtest.h"

namespace registry::console {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const Catalog& English() { return *Catalogs::Embedded().Find("en"); }

TEST(CatalogTest, EveryLanguageHasEveryMessageAndMarksTheSameLegalTerms) {
  for (const Language& language : Languages()) {
    const Catalog* catalog = Catalogs::Embedded().Find(language.code);
    ASSERT_NE(catalog, nullptr) << language.code;
    for (const auto& [key, text] : English().messages) {
      EXPECT_TRUE(catalog->messages.count(key)) << language.code << " lacks " << key;
    }
    for (const auto& [key, text] : catalog->messages) {
      EXPECT_TRUE(English().messages.count(key)) << language.code << " has an unknown " << key;
      EXPECT_FALSE(text.empty()) << language.code << ": " << key << " is empty";
    }
    EXPECT_EQ(catalog->legal, English().legal) << language.code;
  }
  EXPECT_GE(English().legal.size(), 30u) << "the legal terms are marked";
}

TEST(CatalogTest, PlaceholdersAreTheSameInEveryLanguage) {
  const std::regex placeholder("\\{[a-z]+\\}");
  const auto names = [&](const std::string& text) {
    std::set<std::string> found;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), placeholder);
         it != std::sregex_iterator(); ++it) {
      found.insert(it->str());
    }
    return found;
  };
  for (const Language& language : Languages()) {
    const Catalog& catalog = *Catalogs::Embedded().Find(language.code);
    for (const auto& [key, text] : English().messages) {
      auto it = catalog.messages.find(key);
      if (it == catalog.messages.end()) continue;
      EXPECT_EQ(names(it->second), names(text)) << language.code << ": " << key;
    }
  }
}

// Every message key written in the console's code ("record.view.title", ...) is in the catalogs:
// any string literal that starts with a catalog's top-level prefix and is not a prefix itself.
TEST(CatalogTest, EveryKeyTheCodeNamesExists) {
  std::set<std::string> prefixes;
  for (const auto& [key, text] : English().messages) prefixes.insert(key.substr(0, key.find('.')));
  const std::regex literal("\"([a-z_]+)\\.([a-z0-9_.-]*[a-z0-9_-])\"");
  int found = 0;
  for (const auto& entry : fs::directory_iterator(REGISTRY_SOURCE_DIR "/client/console")) {
    if (entry.path().extension() != ".cc") continue;
    const std::string source = ReadFile(entry.path());
    for (auto it = std::sregex_iterator(source.begin(), source.end(), literal);
         it != std::sregex_iterator(); ++it) {
      if (!prefixes.count((*it)[1].str())) continue;
      const std::string key = absl::StrCat((*it)[1].str(), ".", (*it)[2].str());
      ++found;
      EXPECT_TRUE(English().messages.count(key))
          << entry.path().filename() << " names the missing key " << key;
    }
  }
  EXPECT_GE(found, 250) << "the scan found the keys at all";
}

// Keys the code builds from data: one for each role, status code, field, rule, result...
TEST(CatalogTest, EveryKeyBuiltFromDataExists) {
  std::vector<std::string> keys;
  for (int role = 0; role <= 5; ++role) {
    keys.push_back(absl::StrCat("role.", RoleKey(static_cast<v1::Role>(role))));
  }
  for (int code = 0; code <= client::kMaxStatusCode; ++code) {
    keys.push_back(absl::StrCat("status.", absl::StatusCodeToString(static_cast<absl::StatusCode>(code))));
  }
  for (const client::RecordField& field : client::RecordFields()) {
    keys.push_back(absl::StrCat("field.", field.flag));
  }
  keys.push_back("field.suspension-end-date");
  for (const std::string& rule : KnownRules()) keys.push_back(RuleKey(rule).first);
  // The rules known by a pattern.
  keys.push_back("rule.text");
  keys.push_back("rule.personal_number");
  keys.push_back("rule.personal_number_record");
  for (const char* key :
       {"rule.conviction_exists", "rule.conviction_expunged", "rule.retention_ended",
        "rule.retention_ended_change", "rule.conviction_clash", "rule.conviction_conflict",
        "rule.same_conviction_row", "rule.same_conviction_rows"}) {
    keys.push_back(key);
  }
  for (const char* key : {"field.ban-life", "form.ban_end_or_life", "form.ban_end_and_life",
                          "form.ban_life_unticked"}) {
    keys.push_back(key);
  }
  for (const std::string& word : SentenceWords()) keys.push_back("sentence." + word);
  for (const std::string& word : BanWords()) keys.push_back("ban." + word);
  for (const char* status : {"active", "disputed", "expunged", "unspecified"}) {
    keys.push_back(absl::StrCat("status_name.", status));
  }
  for (const char* result : {"clear", "not_clear", "refer", "unspecified"}) {
    keys.push_back(absl::StrCat("result.", result));
    keys.push_back(absl::StrCat("result.", result, ".todo"));
  }
  for (const char* refusal : {"role", "no_session", "csrf", "host", "cross_site", "method",
                              "secret", "registry", "not_found", "internal"}) {
    keys.push_back(absl::StrCat("refused.", refusal));
    keys.push_back(absl::StrCat("refused.", refusal, ".help"));
  }
  for (const char* done : {"created", "amended", "disputed", "resolved"}) {
    keys.push_back(absl::StrCat("record.done.", done));
  }
  for (const char* action : {"dispute", "resolve"}) {
    for (const char* part : {"title", "help", "button"}) {
      keys.push_back(absl::StrCat("record.", action, ".", part));
    }
  }
  for (const char* name : {"from", "to", "actor", "action", "outcome", "record_id", "check_id"}) {
    keys.push_back(absl::StrCat("audit.filter.", name));
  }
  for (const std::string& key : keys) {
    EXPECT_TRUE(English().messages.count(key)) << "missing " << key;
  }
}

// The rules the console translates are the ones registryd states; when the server's wording
// changes, the console would quietly fall back to English.
TEST(CatalogTest, EveryTranslatedRuleIsStillStatedByTheServer) {
  // Adjacent string literals joined, as the compiler joins them.
  // Where the server states them: the record's rules, a reference's (the gate's), a country
  // code's (shared with registry-cli), and the conviction's as a whole (a duplicate, an expunged
  // or spent conviction: the record service's and the store's).
  const std::string validation = std::regex_replace(
      absl::StrCat(ReadFile(REGISTRY_SOURCE_DIR "/server/record_validation.cc"),
                   ReadFile(REGISTRY_SOURCE_DIR "/server/record_service.cc"),
                   ReadFile(REGISTRY_SOURCE_DIR "/storage/record_store.cc"),
                   ReadFile(REGISTRY_SOURCE_DIR "/server/call_gate.cc"),
                   ReadFile(REGISTRY_SOURCE_DIR "/common/reference_text.h"),
                   ReadFile(REGISTRY_SOURCE_DIR "/common/country_codes.h")),
      std::regex("\"\\s*\n\\s*\""), "");
  ASSERT_FALSE(validation.empty());
  // Each rule is a whole string literal there: the console finds a rule by the whole text
  // (a rule the server had lengthened, ", within 100 years of it", still passed as a prefix and
  // was shown untranslated).
  for (const std::string& rule : KnownRules()) {
    if (rule == "required") continue;
    EXPECT_TRUE(absl::StrContains(validation, absl::StrCat("\"", rule, "\"")))
        << "the server no longer says, as a whole: " << rule;
  }
  for (const std::string& part : KnownRuleParts()) {
    EXPECT_TRUE(absl::StrContains(validation, part)) << "the server no longer says: " << part;
  }
}

// The notes an amendment's refusal puts after a rule (server/record_service.cc) are translated by
// their words: reworded there, the console would show them in English again.
TEST(CatalogTest, EveryAmendmentNoteTheConsoleTranslatesIsStillSaidByTheServer) {
  const std::string service =
      std::regex_replace(ReadFile(REGISTRY_SOURCE_DIR "/server/record_service.cc"),
                         std::regex("\"\\s*\n\\s*\""), "");
  ASSERT_FALSE(service.empty());
  for (const std::string& words : AmendmentNoteWords()) {
    EXPECT_TRUE(absl::StrContains(service, words)) << "the server no longer says: " << words;
  }
  for (const char* key :
       {"amend.note.reference_gone", "amend.note.stored_before", "amend.note.not_changed"}) {
    for (const char* language : {"en", "sq", "sr"}) {
      EXPECT_NE(Catalogs::Embedded().Text(language, key), absl::StrCat("[", key, "]"))
          << language << " " << key;
    }
  }
}

// The rule of each `Invalid(field, "rule")` of the validator's source: the last string literal
// among the call's top-level arguments, its adjacent literals already joined.
std::vector<std::string> LiteralRulesOfInvalid(const std::string& source) {
  std::vector<std::string> rules;
  for (size_t at = source.find("Invalid("); at != std::string::npos;
       at = source.find("Invalid(", at + 1)) {
    int depth = 0;
    std::string last;
    bool after_comma = false;
    for (size_t i = at + std::string("Invalid").size(); i < source.size(); ++i) {
      const char c = source[i];
      if (c == '"') {
        std::string literal;
        for (++i; i < source.size() && source[i] != '"'; ++i) {
          if (source[i] == '\\') ++i;
          literal.push_back(source[i]);
        }
        if (depth == 1 && after_comma) last = literal;
        continue;
      }
      if (c == '(') ++depth;
      if (c == ')' && --depth == 0) break;
      if (c == ',' && depth == 1) {
        after_comma = true;
        last.clear();
      }
    }
    if (!last.empty()) rules.push_back(last);
  }
  return rules;
}

// The converse of the test above: a rule the validator states that the console does not know is
// shown to officials in English whatever their language, and a reworded rule left the catalog
// behind. Each rule written out in a call to Invalid has its catalog key.
TEST(CatalogTest, EveryRuleTheValidatorStatesIsTranslated) {
  const std::string validation =
      std::regex_replace(ReadFile(REGISTRY_SOURCE_DIR "/server/record_validation.cc"),
                         std::regex("\"\\s*\n\\s*\""), "");
  const std::vector<std::string> rules = LiteralRulesOfInvalid(validation);
  EXPECT_GT(rules.size(), 20u);
  for (const std::string& rule : rules) {
    const std::string key = RuleKey(rule).first;
    EXPECT_FALSE(key.empty()) << "the console does not know the rule: " << rule;
    for (const char* language : {"en", "sq", "sr"}) {
      EXPECT_NE(Catalogs::Embedded().Text(language, key), absl::StrCat("[", key, "]"))
          << language << " " << key;
    }
  }
}

// A reference field's hint gives an example; the registry must take it, in every language
// (an Albanian recipient with ë and a Serbian legal basis with č were refused as the hint's own
// example).
TEST(CatalogTest, EveryReferenceHintsExampleIsAReferenceTheRegistryTakes) {
  for (const char* language : {"en", "sq", "sr"}) {
    for (const char* key : {"export.recipient.hint", "export.reference.hint",
                            "record.expunge.legal_basis.hint", "purpose.case_ref.hint",
                            "subject.request_ref.hint", "vetting.consent_ref.hint"}) {
      SCOPED_TRACE(absl::StrCat(language, " ", key));
      const std::string hint = Catalogs::Embedded().Text(language, key);
      size_t at = std::string::npos;
      for (const char* lead : {"e.g. ", "p.sh. ", "npr. "}) {
        if (const size_t found = hint.find(lead); found != std::string::npos) {
          at = found + std::string(lead).size();
        }
      }
      ASSERT_NE(at, std::string::npos) << hint;
      std::string example = hint.substr(at);
      example = example.substr(0, example.find(" ("));
      // A legal basis takes Albanian and Serbian letters ("član"), a reference does not.
      EXPECT_TRUE(std::string(key) == "record.expunge.legal_basis.hint"
                      ? LegalBasisShaped(example)
                      : ReferenceShaped(example))
          << example;
    }
  }
}

TEST(CatalogTest, ParseRefusesMalformedLinesAndRepeatedKeys) {
  EXPECT_TRUE(ParseCatalog("# c\n\na.b = x\n!c.d = y\n").ok());
  EXPECT_EQ(ParseCatalog("!c.d = y\n")->legal.count("c.d"), 1u);
  EXPECT_FALSE(ParseCatalog("no equals sign\n").ok());
  EXPECT_FALSE(ParseCatalog("a = 1\na = 2\n").ok());
  EXPECT_FALSE(ParseCatalog("a b = a space\n").ok());
}

TEST(CatalogTest, AlbanianIsTheDefaultAndAMissingKeyIsVisible) {
  EXPECT_EQ(LanguageOrDefault("xx").code, "sq");
  EXPECT_EQ(Languages().front().code, "sq");
  EXPECT_EQ(Catalogs::Embedded().Text("sq", "no.such.key"), "[no.such.key]");
  EXPECT_NE(Catalogs::Embedded().Text("sq", "nav.home"), Catalogs::Embedded().Text("en", "nav.home"));
  EXPECT_EQ(Format("en", "{a} and {b}", {{"a", "{b}"}, {"b", "2"}}), "{b} and 2");
}

// ---- counts, positions, a court abroad, the paragraph's range ----

// The categories and the rule that picks one are ICU's (CLDR's): Serbian one/few/other by the
// last digits, Albanian and English one for 1 alone.
TEST(CatalogTest, APluralChoiceFollowsCldrForSerbianAlbanianAndEnglish) {
  EXPECT_EQ(PluralCategories("sr"), (std::vector<std::string>{"one", "few", "other"}));
  EXPECT_EQ(PluralCategories("sq"), (std::vector<std::string>{"one", "other"}));
  EXPECT_EQ(PluralCategories("en"), (std::vector<std::string>{"one", "other"}));
  const std::string serbian = "{n, plural, one {one} few {few} other {other}}";
  for (const auto& [n, category] : std::vector<std::pair<uint64_t, std::string>>{
           {0, "other"}, {1, "one"}, {2, "few"}, {3, "few"}, {4, "few"}, {5, "other"},
           {11, "other"}, {12, "other"}, {14, "other"}, {21, "one"}, {22, "few"}, {25, "other"},
           {101, "one"}, {111, "other"}, {112, "other"}, {1004, "few"}}) {
    EXPECT_EQ(Format("sr", serbian, {{"n", absl::StrCat(n)}}), category) << n;
  }
  for (const char* language : {"sq", "en"}) {
    const std::string choice = "{n, plural, one {one} other {other}}";
    EXPECT_EQ(Format(language, choice, {{"n", "1"}}), "one") << language;
    for (uint64_t n : {0, 2, 3, 5, 11, 12, 21, 101}) {
      EXPECT_EQ(Format(language, choice, {{"n", absl::StrCat(n)}}), "other")
          << language << " " << n;
    }
  }
}

TEST(CatalogTest, ACountTakesTheFormOfItsNumberInEveryLanguage) {
  const Catalogs& catalogs = Catalogs::Embedded();
  const auto count = [&](const char* language, const char* key, const char* n) {
    return Format(language, catalogs.Text(language, key), {{"n", n}});
  };
  EXPECT_EQ(count("en", "search.exact", "1"), "1 matching record");
  EXPECT_EQ(count("en", "search.exact", "2"), "2 matching records");
  EXPECT_EQ(count("sq", "search.exact", "1"), "1 regjistrim që përputhet");
  EXPECT_EQ(count("sq", "search.exact", "5"), "5 regjistrime që përputhen");
  EXPECT_EQ(count("sr", "search.exact", "1"), "1 odgovarajući upis");
  EXPECT_EQ(count("sr", "search.exact", "3"), "3 odgovarajuća upisa");
  EXPECT_EQ(count("sr", "search.exact", "5"), "5 odgovarajućih upisa");
  EXPECT_EQ(count("sr", "search.exact", "12"), "12 odgovarajućih upisa");
  EXPECT_EQ(count("sr", "search.exact", "21"), "21 odgovarajući upis");
  EXPECT_EQ(count("sr", "search.exact", "2"), "2 odgovarajuća upisa");
  EXPECT_EQ(count("sq", "search.exact", "2"), "2 regjistrime që përputhen");
  EXPECT_EQ(count("sq", "search.exact", "21"), "21 regjistrime që përputhen");
  EXPECT_EQ(count("en", "search.exact", "21"), "21 matching records");
  EXPECT_EQ(count("en", "sentence.months", "1"), "1 month");
  EXPECT_EQ(count("sr", "sentence.months", "24"), "24 meseca");
  EXPECT_EQ(Format("en", catalogs.Text("en", "rule.personal_number"), {{"digits", "10"}}),
            "This is not a personal number (10 digits).");
  EXPECT_EQ(Format("en", catalogs.Text("en", "import.summary"),
                   {{"created", "1"}, {"duplicates", "0"}, {"invalid", "2"}}),
            "1 record created, 0 already registered, 2 invalid.");
  // Only the count a choice is made by is written as the language writes a number; an event's
  // index or a key's version stays as registry-cli prints it.
  EXPECT_EQ(Format("sr", "{first} {n, plural, one {{n} x} few {{n} y} other {{n} z}}",
                   {{"first", "123456"}, {"n", "12345"}}),
            "123456 12.345 z");
  // A number beyond 64 bits still chooses.
  EXPECT_TRUE(absl::EndsWith(count("en", "search.exact", "123456789012345678901"), " records"));
  // The text around a choice keeps its apostrophe: it quotes nothing.
  EXPECT_EQ(count("sq", "search.more", "1"),
            "Përputhen më shumë regjistrime se 1 që shfaqet. Ngushtoni kërkimin për t'i parë të "
            "tjerat.");
}

// ICU reads an apostrophe before a brace (or before "#" in a form) as quoting it, and "#" in a
// form as the number: in a message with a choice, each apostrophe is text and a "#" is none.
TEST(CatalogTest, NoMessageWithAChoiceHoldsWhatIcuReadsAsQuotingOrTheNumber) {
  const std::regex choice("\\{ *[a-z_]+ *,");
  for (const Language& language : Languages()) {
    for (const auto& [key, text] : Catalogs::Embedded().Find(language.code)->messages) {
      if (!std::regex_search(text, choice)) continue;
      EXPECT_FALSE(std::regex_search(text, std::regex("'[{}#|']"))) << language.code << " " << key;
      EXPECT_FALSE(absl::StrContains(text, "#")) << language.code << " " << key;
    }
  }
}

// A page's text is escaped after ICU formats it: the values go in as they were given (escaped
// already), the catalog's own apostrophes and markup characters come out escaped once.
TEST(CatalogTest, AChoiceForAPageIsEscapedOnceAndItsValuesNotAgain) {
  EXPECT_EQ(FormatEscaped("en", "{n, plural, one {{n} <b>'s</b>} other {{n} it's {x}}}",
                          {{"n", "2"}, {"x", "&lt;i&gt;"}}),
            "2 it&#39;s &lt;i&gt;");
  EXPECT_EQ(FormatEscaped("sq", "t'i {n, plural, one {{n} 'x' y} other {{n} x}}", {{"n", "1"}}),
            "t&#39;i 1 &#39;x&#39; y");
  // Without a choice, as before: the message escaped, the values put in.
  EXPECT_EQ(FormatEscaped("en", "it's {a}", {{"a", "<b>"}}), "it&#39;s <b>");
  EXPECT_EQ(FormatEscaped("sr", Catalogs::Embedded().Text("sr", "search.exact"), {{"n", "3"}}),
            "3 odgovarajuća upisa");
}

// Every message that shows a count chooses its form by the number in English, and in every
// language formatting leaves no choice behind.
TEST(CatalogTest, EveryCountIsAPluralChoice) {
  const std::map<std::string, std::vector<std::string>> counts = {
      {"sentence.months", {"n"}},       {"record.history.count", {"n"}},
      {"search.exact", {"n"}},          {"search.possible", {"n"}},
      {"subject.count", {"n"}},         {"import.dry_summary", {"valid"}},
      {"import.bad_lines", {"n"}},      {"import.run", {"n"}},
      {"import.summary", {"created"}},  {"import.stopped", {"n"}},
      {"audit.records", {"n"}},         {"audit.pruning.text", {"days"}},
      {"verify.ok.text", {"n"}},        {"verify.pruned.text", {"n", "days"}},
      {"admin.check.problems", {"n"}},  {"admin.rotated.text", {"n"}},
      {"rule.personal_number", {"digits"}}, {"rule.text", {"max"}}};
  for (const auto& [key, names] : counts) {
    for (const std::string& name : names) {
      EXPECT_TRUE(absl::StrContains(English().messages.at(key), absl::StrCat("{", name, ", plural")))
          << key << " " << name;
    }
    for (const Language& language : Languages()) {
      for (const char* n : {"1", "2", "5"}) {
        std::vector<std::pair<std::string, std::string>> values;
        for (const char* name : {"n", "valid", "duplicates", "invalid", "created", "days",
                                 "digits", "min", "max", "file", "from", "to", "newest",
                                 "until", "version"}) {
          values.emplace_back(name, n);
        }
        const std::string text =
            Format(language.code, Catalogs::Embedded().Text(language.code, key), values);
        EXPECT_FALSE(absl::StrContains(text, "plural")) << language.code << " " << key;
        EXPECT_FALSE(absl::StrContains(text, "{")) << language.code << " " << key << ": " << text;
      }
    }
  }
}

TEST(CatalogTest, ParseRefusesAPluralChoiceWithoutItsLanguagesForms) {
  EXPECT_TRUE(ParseCatalog("a = {n, plural, one {{n} x} other {{n} xs}}\n", "en").ok());
  EXPECT_TRUE(ParseCatalog("a = {n, plural, one {x} few {y} other {z}}\n", "sr").ok());
  EXPECT_FALSE(ParseCatalog("a = {n, plural, one {x} other {z}}\n", "sr").ok()) << "no few";
  EXPECT_FALSE(ParseCatalog("a = {n, plural, one {x} few {y} other {z}}\n", "sq").ok());
  EXPECT_FALSE(ParseCatalog("a = {n, plural, one {x}}\n").ok()) << "no other";
  EXPECT_FALSE(ParseCatalog("a = {n, plural, one {x} other {y\n").ok()) << "unended";
  EXPECT_FALSE(ParseCatalog("a = {n, plurals, one {x} other {y}}\n").ok());
  EXPECT_FALSE(ParseCatalog("a = {n, plural, one {x} one {y} other {z}}\n").ok());
  EXPECT_FALSE(ParseCatalog("a = {n, number} x\n").ok()) << "a choice is a plural";
  EXPECT_FALSE(ParseCatalog("a = {n, plural, one {x} other {y} {z}}\n", "en").ok());
  EXPECT_TRUE(ParseCatalog("a = it's {n, plural, one {x} other {y}}\n", "en").ok());
  // A message without a choice is not ICU's: its braces and apostrophes are its own.
  EXPECT_TRUE(ParseCatalog("a = '{' {n} }\n", "en").ok());
  // The message is kept as written: the language it is formatted in is the catalog's.
  const absl::StatusOr<Catalog> serbian =
      ParseCatalog("a = {n, plural, one {{n} upis} few {{n} upisa} other {{n} upisa}}\n", "sr");
  ASSERT_TRUE(serbian.ok());
  EXPECT_EQ(serbian->messages.at("a"),
            "{n, plural, one {{n} upis} few {{n} upisa} other {{n} upisa}}");
  EXPECT_EQ(Format("sr", serbian->messages.at("a"), {{"n", "22"}}), "22 upisa");
  EXPECT_EQ(Format("sr", serbian->messages.at("a"), {{"n", "21"}}), "21 upis");
  EXPECT_EQ(Format("en", serbian->messages.at("a"), {{"n", "21"}}), "21 upisa");
}

// The paragraph hint states the range the registry takes (common/record_limits.h, checked in
// server/record_validation.cc): 0 to 99, where 0 is the whole article.
TEST(CatalogTest, TheParagraphHintStatesTheRangeTheRegistryTakes) {
  const std::string validation = ReadFile(REGISTRY_SOURCE_DIR "/server/record_validation.cc");
  ASSERT_TRUE(absl::StrContains(validation, "paragraph 0..99"));
  const std::regex zero("(^|[^0-9])0([^0-9]|$)");
  for (const Language& language : Languages()) {
    const std::string hint = Catalogs::Embedded().Text(language.code, "field.offence-paragraph.hint");
    EXPECT_TRUE(std::regex_search(hint, zero)) << language.code << ": " << hint;
    EXPECT_TRUE(absl::StrContains(hint, "99")) << language.code << ": " << hint;
    EXPECT_FALSE(std::regex_search(hint, std::regex("(^|[^0-9])1 (to|deri|do)")))
        << language.code << ": " << hint;
  }
}

// Every position the policies the project ships name has a name in the catalogs.
TEST(CatalogTest, EveryShippedPositionHasAName) {
  const std::string policy = ReadFile(REGISTRY_SOURCE_DIR "/deploy/dev/policy.json");
  const std::regex list("\"position_categories\":\\s*\\[([^\\]]*)\\]");
  const std::regex code("\"([^\"]+)\"");
  int found = 0;
  for (auto it = std::sregex_iterator(policy.begin(), policy.end(), list);
       it != std::sregex_iterator(); ++it) {
    const std::string codes = (*it)[1].str();
    for (auto c = std::sregex_iterator(codes.begin(), codes.end(), code);
         c != std::sregex_iterator(); ++c) {
      ++found;
      EXPECT_TRUE(English().messages.count(absl::StrCat("position.", (*c)[1].str())))
          << (*c)[1].str();
    }
  }
  EXPECT_GE(found, 4);
}

// A ban's end refused was told "Empty (for life) or a date ...", the registry's words for a
// request, where a ban for life has no end date: in the form, a ban for life is its "for life"
// box, and an end left empty is refused (form.ban_end_or_life). Each language names the box by
// its label, and no longer tells the official to leave the date empty alone.
TEST(CatalogTest, TheRuleOfABansEndNamesTheForLifeBox) {
  const Catalogs& catalogs = Catalogs::Embedded();
  for (const Language& language : Languages()) {
    const std::string rule = catalogs.Text(language.code, "rule.ban_end");
    const std::string box = catalogs.Text(language.code, "ban.for_life");
    EXPECT_TRUE(absl::StrContains(rule, absl::StrCat("\"", box, "\"")))
        << language.code << ": " << rule;
    EXPECT_FALSE(absl::StrContains(rule, absl::StrCat("(", box, ")")))
        << language.code << ": " << rule;
  }
}

// The rule of a sentence's months said 1 to 600 of a suspended sentence too, which the registry
// takes for 1..24 months alone (server/record_validation.cc): each language states both limits.
TEST(CatalogTest, TheRuleOfTheMonthsStatesTheLimitOfASuspendedSentence) {
  const std::string validation = ReadFile(REGISTRY_SOURCE_DIR "/server/record_validation.cc");
  ASSERT_TRUE(absl::StrContains(validation, "1..24 for a suspended sentence"));
  ASSERT_TRUE(absl::StrContains(validation, "1..600 for imprisonment or a suspended sentence"));
  for (const Language& language : Languages()) {
    const std::string rule = Catalogs::Embedded().Text(language.code, "rule.months");
    EXPECT_TRUE(absl::StrContains(rule, "600")) << language.code << ": " << rule;
    EXPECT_TRUE(absl::StrContains(rule, "24")) << language.code << ": " << rule;
  }
}

}  // namespace
}  // namespace registry::console
