// Spellings a clerk may type for one case number, shared by the tests of the store's uniqueness
// check and of the service's, so that both hold the same list.
#ifndef REGISTRY_TESTS_TESTING_CASE_NUMBER_SPELLINGS_H_
#define REGISTRY_TESTS_TESTING_CASE_NUMBER_SPELLINGS_H_

namespace registry::testing {

// "P 15/2025" with "number" as "numri", "nro." or "ном.", "year" after the year ("g.",
// "godine", "г.", "viti"), or S typed for 5: each is that case number.
inline constexpr const char* kMoreSpellingsOfP15Of2025[] = {
    "P numri 15/2025",
    "P nro. 15/2025",
    "P \xd0\xbd\xd0\xbe\xd0\xbc. 15/2025",  // ном.
    "P 15/2025 g.",
    "P 15/2025god.",
    "P 15/2025 godine",
    "P 15/2025 \xd0\xb3.",  // г.
    "P 15/2025 viti",
    "P 1S/2025",
    "P 15/202S",
    "P 15/25 g."};

// A court register whose Cyrillic letters look like other Latin ones: the register in Cyrillic,
// its Latin spelling, and the Latin register its letters look like (another register).
struct LookalikeRegister {
  const char* cyrillic;
  const char* latin;
  const char* look;
};

inline constexpr LookalikeRegister kLookalikeRegisters[] = {
    {"\xd0\x9a\xd0\xa0", "KR", "KP"},                    // КР
    {"\xd0\xa0", "R", "P"},                                // Р
    {"\xd0\x9a\xd1\x80", "Kr", "Kp"},                    // Кр
    {"\xd0\x9a\xd0\xb2", "Kv", "KB"},                    // Кв
    {"\xd0\xa1", "S", "C"},                                // С
    {"\xd0\x9d", "N", "H"},                                // Н
    {"\xd0\x9a\xd0\x9d", "KN", "KH"},                    // КН
    {"\xd0\x9a\xd0\xa0\xd0\x96", "KR\xc5\xbd", "KPZ"},  // КРЖ, KRŽ
    {"\xd0\xa0-", "R-", "P-"},                             // Р-
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_CASE_NUMBER_SPELLINGS_H_
