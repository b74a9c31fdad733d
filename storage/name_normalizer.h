// NameNormalizer turns a person's name into the canonical form that the name blind index hashes,
// so that a search matches however the name was typed: upper or lower case, with or without
// diacritics, in Serbian Cyrillic or Latin script, with hyphens or apostrophes.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<NameNormalizer> normalizer, NameNormalizer::Create());
//   normalizer->Normalize("KËRQELI")           // "kerqeli", as are "Kërqeli" and "Kerqeli"
//   normalizer->Normalize("Петровић")          // "petrovic", as is "Petrović"
//   normalizer->Normalize("Ђорђевић-O’Brien")  // "djordjevic obrien"
//
// The canonical form is lowercase ASCII letters in words joined by single spaces. It is made by an
// ICU transliterator (ICU 72), in this order:
//   1. default-ignorable code points (soft hyphen, zero-width joiners, ...) and apostrophes
//      (' ` ´ ‘ ’ ʼ and the transliteration primes ʹ ʺ) are removed: O’Brien = OBrien;
//   2. NFKC (full-width and ligature forms such as ǅ become plain letters);
//   3. Serbian-Latin/BGN, then Any-Latin for every other script: Петровић → Petrović,
//      Џ → Dž, Љ → Lj, Њ → Nj, Ћ → Ć, Ж → Ž, Ш → Š, Ч → Č;
//   4. lower case;
//   5. đ → "dj" (so Ђ, Đ and the ASCII spelling Dj agree: Đorđević = Djordjevic, as in Serbian
//      passports' machine-readable zone; the consequence is that "Dordevic" does NOT match);
//   6. Latin-ASCII and removal of any remaining combining mark: ë ç š ž č ć → e c s z c c,
//      dž → dz, ß → ss.
// Then whitespace and hyphens (any dash that Latin-ASCII turns into '-') separate words. Anything
// else left over (digits, other punctuation, symbols, control characters) makes the name invalid,
// so distinct garbage never collapses into one index entry.
//
// Changing any of these rules changes every blind index value: it needs a re-index of stored
// records.
//
// Thread-safe: ICU transliterators are not safe for concurrent use, so each call borrows its own
// clone from a small pool owned by the normalizer (our lock covers only taking and returning a
// clone, never the transliteration). Pure-ASCII input skips ICU entirely (~10 ns). Non-ASCII input
// costs about 3-9 us, and note that ICU itself runs every rule-based transliteration step under
// one process-wide mutex (RuleBasedTransliterator::handleTransliterate in ICU's rbt.cpp), so
// those steps never run in parallel whatever we do; at a few microseconds a name that is far
// below the cost of the synced write each request makes.
#ifndef REGISTRY_STORAGE_NAME_NORMALIZER_H_
#define REGISTRY_STORAGE_NAME_NORMALIZER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace registry::storage {

// Whether `s` is well-formed UTF-8 throughout: no truncated or overlong sequence, surrogate or
// value above U+10FFFF.
bool IsWellFormedUtf8(absl::string_view s);

namespace internal {
class TransliteratorPool;
}  // namespace internal

class NameNormalizer {
 public:
  // Longest accepted input, in UTF-8 bytes: what bounds the work. Every name the record rules
  // accept fits (records.proto, server/record_validation.cc: 100 letters, spaces, hyphens or
  // apostrophes, each letter with its marks at most four code points, of at most four bytes), so
  // that a name typed decomposed, with marks on every letter, is never refused here alone.
  static constexpr size_t kMaxInputBytes = 100 * 4 * 4;
  // The refusal of a longer input: the rule of the name fields, as the validator words it.
  static constexpr char kTooLongRule[] = "1..100 letters, spaces, hyphens or apostrophes";

  // Builds the transliterator. Fails with kInternal if ICU cannot build it (missing ICU data).
  static absl::StatusOr<std::unique_ptr<NameNormalizer>> Create();

  NameNormalizer(const NameNormalizer&) = delete;
  NameNormalizer& operator=(const NameNormalizer&) = delete;
  ~NameNormalizer();

  // Returns the canonical form of `utf8` described above. Fails with kInvalidArgument if `utf8` is
  // not well-formed UTF-8, is longer than kMaxInputBytes (saying kTooLongRule), contains a
  // character that is not a letter, space, hyphen or apostrophe, or has no letter at all. Error
  // messages never repeat the input (it is personal data).
  absl::StatusOr<std::string> Normalize(absl::string_view utf8) const;

  // The canonical form of `utf8` as it reads by eye rather than by sound, for vetting's look-up
  // of records that a name in Cyrillic or Greek letters would pass for on a certificate: in each
  // word whose Cyrillic and Greek letters all look like Latin ones (Cyrillic "Рера", which sounds
  // "Rera", looks "Pepa"), each such letter is taken for the Latin letter it looks like, keeping
  // its marks (А В Е К М Н О Р С Т У Х Ѕ І Ј Ү Һ Ӏ Ԛ Ԝ and their small letters, в н т read as
  // the small capitals they look like, the soft sign Ь ь as b; Greek Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ
  // Χ Ϲ Ϳ α γ ι κ ν ο ρ υ χ ϲ ϳ), and the result is normalised as by Normalize. A word with any
  // other Cyrillic or Greek letter does not read as Latin and is normalised by sound (the
  // "Арбен" of "Арбен Рера" stays "arben"). So are the Latin letters that look like another
  // Latin letter than the one Normalize folds them to: small gamma ɣ (Normalize: g) reads as y,
  // v with hook ʋ (v) as u, the long s ſ (s) as f: "Krɣeziu" reads "kryeziu". Equal to
  // Normalize(utf8) when no word changes; fails when Normalize does. The work depends on the
  // input only.
  absl::StatusOr<std::string> NormalizeAsSeen(absl::string_view utf8) const;

  // The canonical form of `utf8` as the Cyrillic it looks like, the other way round from
  // NormalizeAsSeen, for vetting's look-up of records stored in Serbian Cyrillic that a name typed
  // in Latin letters copies by eye: in each word whose Latin letters all look like Serbian
  // Cyrillic ones ("Mapko", copied from "Марко", which sounds "Marko"; "Pepa" from "Рера"), each
  // such letter is taken for the Cyrillic letter it looks like, keeping its marks (capitals
  // A B E H J K M O P C T X Y as А В Е Н Ј К М О Р С Т Х У; small a c e j o p x y as
  // а с е ј о р х у, k as к, b h m t as the small capitals в н м т, r as г; h with stroke ħ as
  // ћ, small gamma ɣ as у), and the result is normalised as by Normalize, which reads that
  // Cyrillic by sound ("Mapko" -> "marko", "Pepa" -> "rera", "MAPKO" -> "marko", "Peħa" ->
  // "reca" as "Рећа"). A word with any other Latin letter (capital R, small d f g i l n
  // q s u v w z, ...) is not such a copy and is normalised as typed ("Berisha" stays "berisha").
  // Equal to Normalize(utf8) when no word changes; fails when Normalize does. The work depends
  // on the input only.
  absl::StatusOr<std::string> NormalizeAsSeenInCyrillic(absl::string_view utf8) const;

  // The canonical form that the loose form is made from: as Normalize, except that Macedonian
  // Ѓ and Ќ (also typed as Г and К with a combining acute) are read as Gj and Kj, as the official
  // Macedonian Latin spelling writes them (Normalize, as ICU, reads them G and K): so the loose
  // form of "Ѓорѓиевски" is that of "Gjorgjievski". Fails when Normalize does.
  absl::StatusOr<std::string> NormalizeForLooseForm(absl::string_view utf8) const;

  // The loose form of a canonical name (what Normalize or NormalizeForLooseForm returns):
  // spellings of one name in Albanian, Serbian and Macedonian, and as typed on keyboards without
  // their letters, or with the name's parts joined or split otherwise, agree. For the court's
  // loose search only ("possible match"); vetting never uses it. The spaces between words (and
  // so the hyphens and apostrophes Normalize turned into them or dropped) are removed first:
  // "O Brien" = O'Brien, "DeLaCruz" = "De La Cruz", "HoxhaBerisha" = "Hoxha-Berisha". Then:
  //   xh, dz (Serbian dž), zh (ž)      -> z
  //   sh (š)                           -> s
  //   gj, dj (Serbian đ, Macedonian ѓ) -> d     so Gjorgje = Đorđe = Dorde = Ѓорѓе
  //   kj (Macedonian ќ)                -> c     as Albanian q and Serbian ć
  //   lj, nj (Serbian љ, њ)            -> l, n  so Lubisha = Ljubiša, Negosh = Njegoš
  //   th, dh (Serbian t, d)            -> t, d  so Thaçi = Тачи, Dhurata = Дурата
  //   q (Serbian ć)                    -> c     (ç, č and ć are c already)
  //   y                                -> i
  //   a letter doubled                 -> once  (ll, rr, ...)
  // ë, and the stripped forms ć/č -> c, ž -> z, š -> s, are folded by Normalize itself. So
  // Petroviq = Петровић, Krasniqi = Krasnići, Xhemajl = Džemajl, Hysen = Hisen.
  // Changing these rules changes every loose index value: it needs a re-index (a storage schema
  // change; RecordStore::ReindexNames).
  static std::string LooseForm(absl::string_view canonical);

 private:
  explicit NameNormalizer(std::unique_ptr<internal::TransliteratorPool> pool);

  const std::unique_ptr<internal::TransliteratorPool> pool_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_NAME_NORMALIZER_H_
