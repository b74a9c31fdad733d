// Fuzzes what a clerk sends: CreateRecordRequest bytes → parse → validation → blind-index
// normalisation. Must never crash, and validation must never echo a value of the person.
//
// The echo oracle is exact. A message may depend on which rule each field breaks, never on the
// value itself. So every personal field (names, aliases, birth place, personal number, address)
// is replaced by a stand-in of the same class (the same verdict from the field's own rule:
// valid, or invalid with the same message), twice with two different sets of stand-ins, and the
// whole record's message must not change. Comparing with the value's text instead would fire on
// honest messages whenever a value happens to occur in the fixed rule text (a surname "rs, spac"
// is in "letters, spaces"), and would miss echoes of short values.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/record_limits.h"
#include "registry/v1/records.pb.h"
#include "server/record_validation.h"
#include "server/reference_data.h"
#include "storage/name_normalizer.h"

namespace {

using registry::server::RecordValidator;

struct Env {
  std::unique_ptr<registry::server::ReferenceData> reference;
  std::unique_ptr<RecordValidator> validator;
  std::unique_ptr<registry::storage::NameNormalizer> normalizer;
  registry::FakeClock clock{absl::FromCivil(absl::CivilDay(2026, 11, 28), absl::UTCTimeZone())};
};

Env* GetEnv() {
  static Env* env = [] {
    auto* e = new Env();
    auto ref = registry::server::ReferenceData::Load(REGISTRY_SOURCE_DIR "/deploy/reference");
    if (!ref.ok()) std::abort();
    e->reference = *std::move(ref);
    auto v = RecordValidator::Create(e->reference.get(), {}, &e->clock);
    if (!v.ok()) std::abort();
    e->validator = *std::move(v);
    auto n = registry::storage::NameNormalizer::Create();
    if (!n.ok()) std::abort();
    e->normalizer = *std::move(n);
    return e;
  }();
  return env;
}

// The limits of the free-text fields of a person, as the validator holds them to.
constexpr size_t kBirthPlaceMax = registry::kMaxBirthPlaceCharacters;
constexpr size_t kAddressMax = registry::kMaxAddressCharacters;

// Stand-ins: for each class, a value of that class, in two different spellings (set 0 and 1).
struct StandIns {
  const char* name_ok;
  const char* name_bad;
  const char* name_mixed;  // letters of two alphabets in one word
  const char* name_look_alike;  // a no-break space or a dash other than the hyphen
  const char* name_apostrophe_like;  // an accent or a prime where an apostrophe goes
  const char* name_eth;  // the Icelandic eth, a look-alike of the Serbian D with stroke
  const char* name_overlay;  // a combining stroke or slash over a letter
  const char* name_phonetic;  // a small capital or another letter of a phonetic alphabet
  const char* name_edge;  // a hyphen or an apostrophe at the start or the end
  const char* name_joiner;  // a hyphen or an apostrophe beside a space or another one
  const char* text_ok;
  const char* text_bad;
  const char* number_ok;
  const char* number_bad;
};
constexpr StandIns kStandIns[2] = {
    {"Berisha", "1", "\xd0\xa1" "eku", "Berisha\xc2\xa0" "Gashi", "D`Amato", "\xc3\x90" "uro",
     "D\xcc\xb5" "uro", "\xe1\xb4\x86" "uro", "-Berisha", "Hoxha - Berisha", "Prishtinë", "\x01",
     "1234567890", "x"},
    {"Gashi", "#", "Ra\xd0\xb0xhiu", "Ana\xe2\x80\x93" "Maria", "O\xc2\xb4" "Brien",
     "\xc3\xb0" "uro", "Bjo\xcc\xb8" "rn", "\xe1\xb5\xad" "uro", "O'", "O''Brien", "Pejë", "\x7f",
     "9876543210", "12"},
};

// The character a refusal "holds an invisible character (U+200B), ..." names, in UTF-8; "" when
// `message` names none.
std::string InvisibleNamed(absl::string_view message) {
  constexpr absl::string_view kRule = "holds an invisible character (U+";
  const size_t at = message.find(kRule);
  if (at == absl::string_view::npos) return "";
  const absl::string_view rest = message.substr(at + kRule.size());
  uint32_t code = 0;
  if (!absl::SimpleHexAtoi(rest.substr(0, rest.find(')')), &code)) return "";
  std::string out;
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
  return out;
}

// `value` replaced by the stand-in of its class. The class is what the field's own rule says,
// so two values of one class must give the whole record the same message.
std::string NameStandIn(absl::string_view field, const std::string& value, bool required,
                        const StandIns& s) {
  if (value.empty() && !required) return "";
  const absl::Status status = RecordValidator::ValidateName(field, value, required);
  if (status.ok()) return s.name_ok;
  if (absl::StrContains(status.message(), "one alphabet")) return s.name_mixed;
  if (absl::StrContains(status.message(), "look-alike of an apostrophe")) {
    return s.name_apostrophe_like;
  }
  if (absl::StrContains(status.message(), "Icelandic eth")) return s.name_eth;
  if (absl::StrContains(status.message(), "typed over a letter")) return s.name_overlay;
  if (absl::StrContains(status.message(), "phonetic or historic")) return s.name_phonetic;
  if (absl::StrContains(status.message(), "begins or ends with a hyphen")) return s.name_edge;
  if (absl::StrContains(status.message(), "with a space or another hyphen")) return s.name_joiner;
  // Named by its code point, which the class is: a stand-in name holding the same character.
  if (std::string invisible = InvisibleNamed(status.message()); !invisible.empty()) {
    return absl::StrCat(s.name_ok, invisible);
  }
  if (absl::StrContains(status.message(), "look-alike")) return s.name_look_alike;
  // A letter of another script (named by its script and code point), a raised or styled letter,
  // or a pile of accents: the letter is the class, so the value stands for itself.
  for (const char* rule : {"another script than Latin or Cyrillic", "superscript or modifier",
                           "fullwidth or mathematical", "more than two accents"}) {
    if (absl::StrContains(status.message(), rule)) return value;
  }
  return s.name_bad;
}

// The stand-ins of a person's valid surname and aliases keep which of them are the same name
// as the registry compares names (an alias repeating another, or the surname, is refused): the
// valid stand-in with a suffix of its own for each name the originals hold.
void KeepSameNames(const registry::v1::Person& p, const registry::storage::NameNormalizer& names,
                   const StandIns& s, registry::v1::Person* out) {
  static constexpr const char* kSuffixes[] = {"", "ku", "lo", "mi", "na", "po", "ru",
                                              "su", "tu", "vo", "zi", "bu"};
  std::vector<std::string> seen;
  const auto stand_in = [&](const std::string& original) -> std::string {
    absl::StatusOr<std::string> key = names.Normalize(original);
    if (!key.ok()) return original;  // skipped by the rule: the name stands for itself
    size_t at = std::find(seen.begin(), seen.end(), *key) - seen.begin();
    if (at == seen.size()) seen.push_back(*key);
    if (at >= std::size(kSuffixes)) return original;
    return absl::StrCat(s.name_ok, kSuffixes[at]);
  };
  if (out->surname() == s.name_ok) out->set_surname(stand_in(p.surname()));
  for (int i = 0; i < out->aliases_size(); ++i) {
    if (out->aliases(i) == s.name_ok) out->set_aliases(i, stand_in(p.aliases(i)));
  }
}
std::string TextStandIn(absl::string_view field, const std::string& value, size_t max,
                        const StandIns& s) {
  if (value.empty()) return "";
  const absl::Status status = RecordValidator::ValidateText(field, value, 0, max);
  if (status.ok()) return s.text_ok;
  // Named by its code point, as in a name: a stand-in text holding the same character.
  if (std::string invisible = InvisibleNamed(status.message()); !invisible.empty()) {
    return absl::StrCat(s.text_ok, invisible);
  }
  return s.text_bad;
}

registry::v1::Person WithStandIns(const registry::v1::Person& p, const RecordValidator& v,
                                  const registry::storage::NameNormalizer& names,
                                  const StandIns& s) {
  registry::v1::Person out = p;
  out.set_surname(NameStandIn("person.surname", p.surname(), true, s));
  out.set_given_name(NameStandIn("person.given_name", p.given_name(), true, s));
  out.set_father_name(NameStandIn("person.father_name", p.father_name(), false, s));
  for (int i = 0; i < out.aliases_size(); ++i) {
    out.set_aliases(i, NameStandIn("person.aliases[]", p.aliases(i), true, s));
  }
  KeepSameNames(p, names, s, &out);
  out.set_birth_place(TextStandIn("person.birth_place", p.birth_place(), kBirthPlaceMax, s));
  out.set_last_known_address(
      TextStandIn("person.last_known_address", p.last_known_address(), kAddressMax, s));
  out.set_personal_number(
      v.ValidatePersonalNumber("person.personal_number", p.personal_number()).ok()
          ? s.number_ok
          : s.number_bad);
  return out;
}

[[noreturn]] void Echoed(const std::string& message, const std::string& stand_in_message) {
  std::fprintf(stderr, "validation message depends on a value, not only on its class:\n  %s\n  %s\n",
               message.c_str(), stand_in_message.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Env* env = GetEnv();
  registry::v1::CreateRecordRequest req;
  if (!req.ParseFromArray(data, static_cast<int>(size))) return 0;
  const absl::Status s = env->validator->ValidateRecord(req.person(), req.conviction());
  for (const StandIns& stand_ins : kStandIns) {
    const absl::Status t = env->validator->ValidateRecord(
        WithStandIns(req.person(), *env->validator, *env->normalizer, stand_ins), req.conviction());
    if (s.ok() != t.ok() || s.message() != t.message()) {
      Echoed(std::string(s.message()), std::string(t.message()));
    }
  }
  (void)env->normalizer->Normalize(req.person().surname());
  const absl::Status c = env->validator->ValidateCandidate(
      req.person().personal_number(), req.person().surname(), req.person().given_name(),
      req.person().birth_date());
  const registry::v1::Person stand_in = WithStandIns(req.person(), *env->validator, *env->normalizer, kStandIns[1]);
  const absl::Status d = env->validator->ValidateCandidate(
      stand_in.personal_number(), stand_in.surname(), stand_in.given_name(),
      req.person().birth_date());
  if (c.ok() != d.ok() || c.message() != d.message()) {
    Echoed(std::string(c.message()), std::string(d.message()));
  }
  return 0;
}
