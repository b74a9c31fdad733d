// The opening words of registryd's refusals of a vetting check for a daily limit on one person
// (server/call_gate.cc, rule 6), which clients say in their own words and languages
// (client/console/console_server.cc). Both sides build on these, so that a reworded refusal
// cannot leave a client showing the wrong one.
#ifndef REGISTRY_COMMON_DAILY_LIMIT_TEXT_H_
#define REGISTRY_COMMON_DAILY_LIMIT_TEXT_H_

namespace registry {

// The organisation's checks of one personal number have reached their daily limit.
inline constexpr char kNumberLimitReached[] =
    "checks of this personal number by the organisation: the daily limit";
// The organisation's checks of one surname and given name, whoever the candidates are, have
// reached their daily limit.
inline constexpr char kNameLimitReached[] =
    "checks of this name by the organisation: the daily limit";

}  // namespace registry

#endif  // REGISTRY_COMMON_DAILY_LIMIT_TEXT_H_
