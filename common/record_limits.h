// Limits of a record's conviction that more than one component checks (records.proto states
// them): the server's record validation and its offence and retention tables
// (server/record_validation.cc, server/reference_data.cc), and the client's record options and
// import of rows (client/record_fields.cc, client/record_import.cc). The validation's own
// messages spell the numbers out: they are keys of the console's catalog
// (client/console/record_form.cc), which a test compares with that source text.
#ifndef REGISTRY_COMMON_RECORD_LIMITS_H_
#define REGISTRY_COMMON_RECORD_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace registry {

// An offence's article of the law: 1..kMaxArticle.
inline constexpr uint32_t kMaxArticle = 999;
// An offence's paragraph of the article: 0..kMaxParagraph (0: the article as a whole).
inline constexpr uint32_t kMaxParagraph = 99;
// A suspended sentence's verification period, in whole years from the day the judgment became
// final: kMinVerificationYears..kMaxVerificationYears (Criminal Codes 04/L-082 and 06/L-074).
inline constexpr int kMinVerificationYears = 1;
inline constexpr int kMaxVerificationYears = 5;
// A sentence's length in months (imprisonment or suspended): 1..kMaxSentenceMonths.
inline constexpr uint32_t kMaxSentenceMonths = 600;
// The ages the registry compares a judgment's date with (server/record_validation.cc): no
// criminal responsibility under kMinAgeOfResponsibility, and a person under kAdultAge on the
// judgment day was convicted as a juvenile (conviction.juvenile must then be true).
inline constexpr int kMinAgeOfResponsibility = 14;
inline constexpr int kAdultAge = 18;
// The longest texts of a record (records.proto), in characters (code points): the registry's
// validation refuses longer (server/record_validation.cc) and registry-cli checks them too, from
// this one copy so that the two cannot drift. A name (surname, given name, father's name, each
// alias) is counted in letters, a letter with its combining marks being one, of which the
// registry decodes at most kCodePointsPerNameLetter a letter. A personal number and a law are
// ASCII, so their limits count bytes as well.
inline constexpr size_t kMaxNameLetters = 100;
inline constexpr size_t kCodePointsPerNameLetter = 4;
inline constexpr size_t kMaxBirthPlaceCharacters = 100;
inline constexpr size_t kMaxAddressCharacters = 200;
inline constexpr size_t kMaxForeignCourtCharacters = 200;
inline constexpr size_t kMaxCaseNumberCharacters = 64;
inline constexpr size_t kMaxPersonalNumberCharacters = 32;
inline constexpr size_t kMaxLawCharacters = 16;

}  // namespace registry

#endif  // REGISTRY_COMMON_RECORD_LIMITS_H_
