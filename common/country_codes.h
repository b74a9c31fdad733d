// The country codes a record takes, and what is said of a code that is none: one list for
// registryd's check (server/record_validation.cc) and registry-cli's (client/record_fields.cc),
// so that a code typed at `record create --interactive`'s question is refused there, in the
// registry's words, and not only after the whole record.
#ifndef REGISTRY_COMMON_COUNTRY_CODES_H_
#define REGISTRY_COMMON_COUNTRY_CODES_H_

#include <cstddef>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace registry {

// ISO 3166-1 alpha-2 as ICU lists it (uloc_getISOCountries, with the codes ISO reserves
// exceptionally: DG, EA, IC), and XK for Kosovo: the codes registryd took before the list was
// shared. Sorted, separated by single spaces (a test compares it with ICU's).
inline constexpr absl::string_view kCountryCodes =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE "
    "BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD "
    "CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DG DJ DK "
    "DM DO DZ EA EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD "
    "GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR "
    "HT HU IC ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH "
    "KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA "
    "MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX "
    "MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH "
    "PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE "
    "SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG "
    "TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC "
    "VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

// Whether `code` is two capital letters (A-Z), the form of every code.
inline bool IsCountryCodeShaped(absl::string_view code) {
  return code.size() == 2 && absl::ascii_isupper(static_cast<unsigned char>(code[0])) &&
         absl::ascii_isupper(static_cast<unsigned char>(code[1]));
}

// The codes of kCountryCodes that are no one's citizenship and no court's country: territories
// without a people of their own (AQ Antarctica, BV Bouvet Island, HM Heard Island and McDonald
// Islands) and the codes ISO 3166-1 reserves exceptionally (DG Diego Garcia, EA Ceuta and
// Melilla, IC the Canary Islands), each with what is said of it: the place, and the code meant.
struct TerritoryCode {
  absl::string_view code;
  absl::string_view hint;
};
inline constexpr TerritoryCode kTerritoryCodes[] = {
    {"AQ", "Antarctica's code: no one is its citizen and no court sits there"},
    {"BV", "Bouvet Island's code, a territory without people: for Norway, NO"},
    {"HM", "the code of Heard Island and McDonald Islands, a territory without people: for "
           "Australia, AU"},
    {"DG", "reserved for Diego Garcia, no country: for the United Kingdom, GB"},
    {"EA", "reserved for Ceuta and Melilla, no country: for Spain, ES"},
    {"IC", "reserved for the Canary Islands, no country: for Spain, ES"},
};

// Whether `code` names a country a person is a citizen of and a court may sit in: two capital
// letters in kCountryCodes, not one of kTerritoryCodes.
inline bool IsCountryCode(absl::string_view code) {
  if (!IsCountryCodeShaped(code)) return false;
  for (const TerritoryCode& territory : kTerritoryCodes) {
    if (territory.code == code) return false;
  }
  for (size_t i = 0; i + 2 <= kCountryCodes.size(); i += 3) {
    if (kCountryCodes.substr(i, 2) == code) return true;
  }
  return false;
}

// What is said of two capital letters that name no country: "not a country code in ISO 3166-1",
// and for a code written before or beside ISO 3166-1 (UK, EL, YU, CS, EU...) the code meant,
// "(for the United Kingdom, GB)". Typed in upper case, such a code was refused as a country's
// code "upper case", which sent the clerk to look at the case. A code of kTerritoryCodes is
// "no country's code (Antarctica's code: ...)". The code itself is not repeated.
inline std::string UnknownCountryCodeRule(absl::string_view code) {
  for (const TerritoryCode& territory : kTerritoryCodes) {
    if (territory.code == code) return absl::StrCat("no country's code (", territory.hint, ")");
  }
  constexpr absl::string_view kRule = "not a country code in ISO 3166-1";
  struct Hint {
    absl::string_view code;
    absl::string_view hint;
  };
  static constexpr Hint kHints[] = {
      {"UK", "for the United Kingdom, GB"},
      {"EL", "for Greece, GR"},
      {"KS", "for Kosovo, XK"},
      {"KV", "for Kosovo, XK"},
      {"YU", "Yugoslavia's former code: the country today, such as RS, ME or XK"},
      {"CS", "Serbia and Montenegro's former code: the country today, RS, ME or XK"},
      {"SU", "the Soviet Union's former code: the country today, such as RU or UA"},
      {"DD", "East Germany's former code: the country today, DE"},
      {"ZR", "Zaire's former code: the country today, CD"},
      {"TP", "East Timor's former code: the country today, TL"},
      {"AN", "the Netherlands Antilles' former code: the country today, CW, SX or BQ"},
      {"EU", "the European Union is no country: the member state's code, such as DE"},
  };
  for (const Hint& hint : kHints) {
    if (hint.code == code) return absl::StrCat(kRule, " (", hint.hint, ")");
  }
  return std::string(kRule);
}

// The same for the country of a court abroad, which is never XK (Kosovo's courts are the
// registry's own): a hint that names XK is said without it, so that none suggests a code the
// field refuses ("such as RS, ME or XK" for YU, then XK refused).
inline std::string UnknownForeignCountryCodeRule(absl::string_view code) {
  constexpr absl::string_view kKosovo =
      "Kosovo's code is XK, and a court of Kosovo is one of the registry's courts, not foreign";
  static constexpr std::pair<absl::string_view, absl::string_view> kHintsAbroad[] = {
      {"YU", "Yugoslavia's former code: the country today, such as RS or ME"},
      {"CS", "Serbia and Montenegro's former code: the country today, RS or ME"},
      {"KS", kKosovo},
      {"KV", kKosovo},
  };
  for (const auto& [former, hint] : kHintsAbroad) {
    if (code == former) return absl::StrCat("not a country code in ISO 3166-1 (", hint, ")");
  }
  return UnknownCountryCodeRule(code);
}

}  // namespace registry

#endif  // REGISTRY_COMMON_COUNTRY_CODES_H_
