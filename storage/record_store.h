// RecordStore: conviction records in RocksDB, encrypted, versioned and searchable by blind index.
//
// Layout (see database.h for the families):
//   records  key = record id                          -> StoredHead (stored.proto)
//   versions key = record id || u32be version          -> StoredVersion; `sealed` holds the person,
//                                                         conviction and reason under the
//                                                         record's data key (crypto/record_cipher.h)
//   index    key = kind || token[32] || record id     -> HMAC-SHA256(index-row key,
//                                                         "kjc-registry/index-row/v1|" || key):
//                                                         kind 'p' personal number, 'n' name +
//                                                         birth date, 'l' loose name form +
//                                                         birth date (court search only), 'd'
//                                                         court + case number + personal number
//                                                         (uniqueness), 'a' and 'b' each alias
//                                                         in the surname's place, exact and
//                                                         loose (court search only); 'l' and
//                                                         'b' also each word of a given name
//                                                         of several words in its place, and
//                                                         'w' each such word exact (vetting
//                                                         only); 'v' the name's other ways
//                                                         of being written, exact (vetting
//                                                         only: the words in any order, the
//                                                         fields without their spaces, each
//                                                         word of a surname of several);
//                                                         'u' the same ways and each two
//                                                         words in the loose form (court
//                                                         search only)
//   meta     "schema/version" = the storage schema (kSchemaVersion in record_store.cc);
//            "keys/check" = key check value (of the derivation root);
//            "keys/kek-check/<version>" = a KEK version's check value: a wrapped key under that
//            KEK, sealed to a fixed label (RecordStore::Create)
// The registry's dates (employer_visible_until, delete_after) are conviction-derived: they live
// only sealed, in the head (StoredHead.sealed_dates, a registry-wide key, for vetting and the
// retention scheduler) and in each version's payload. The expiry family of schema 1 is unused.
// Tokens are HMAC-SHA256 under keys derived per index from the key file's derivation root
// (crypto/blind_index.h) over normalised values (name_normalizer.h), so equality search never
// decrypts and the files hold no searchable plaintext.
//
// Writes are prepared, not committed: Prepare* returns a PendingWrite holding the batch and the
// locks that keep its checks (uniqueness, expected version) true; the caller commits it with the
// call's audit event through AuditLog::Append, then drops it.
//
//   ASSIGN_OR_RETURN(auto pending, store->PrepareCreate(person, conviction, meta));
//   ASSIGN_OR_RETURN(uint64_t seq, audit_log->Append(event, &pending));
#ifndef REGISTRY_STORAGE_RECORD_STORE_H_
#define REGISTRY_STORAGE_RECORD_STORE_H_

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crypto/aes_gcm.h"
#include "crypto/blind_index.h"
#include "crypto/hmac.h"
#include "crypto/keyring.h"
#include "crypto/secret_bytes.h"
#include "registry/v1/records.pb.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/own_dates.h"
#include "storage/pending_write.h"
#include "storage/stored.pb.h"

namespace registry::storage {

// The storage schema this registryd writes and reads; an earlier one (RecordStore::EarlierSchema)
// is upgraded at the first start, and its audit event and log line name this one.
inline constexpr char kCurrentStorageSchema[] = "14";
// The first storage schema whose folders are always index-sealed (index_seal.h), when made or
// upgraded: a folder of it or a later one without its seal had it deleted.
inline constexpr int kFirstSealedStorageSchema = 13;

// Registry metadata the server decides for a new version.
struct VersionMeta {
  std::string actor;  // certificate identity
  std::string now;    // RFC 3339
  std::string today;  // YYYY-MM-DD: the day in Kosovo at `now` (KosovoDay)
  OwnDates own;
};

// One conviction of a personal number's, for EffectiveDates. Dates are YYYY-MM-DD.
struct PersonConviction {
  std::string final_date;
  std::string own_employer_visible_until;
  std::string own_delete_after;
  // Who the record names, as vetting compares names: its exact name token (the normalised
  // names, Serbian Latin = Cyrillic, and the birth date). Records under one personal number that
  // name someone else are another person's.
  std::string person;
  // Active, not disputed: only such a record keeps another visible to employers.
  bool active = true;
  // Who the record names across Albanian and Serbian spellings (Petroviq = Petrović): its loose
  // name token; empty for a head from before it. Such a record keeps another from deletion, not
  // visible to employers.
  std::string loose_person;
  // The other names the record gives the person (a maiden or married surname: each alias in the
  // surname's place, as the court's name search files it), exact and loose tokens: a record
  // that names the person by one of them is the same person's, as `person` and `loose_person`.
  std::vector<std::string> alias_persons;
  std::vector<std::string> alias_loose_persons;
  // The record's personal-number token; empty in a pure computation that leaves it out. Records
  // under one number keep each other from deletion whatever they name (the number is the
  // registry's strongest identity), never visible to employers on its own.
  std::string number;
};
struct EffectiveRecordDates {
  std::string employer_visible_until;
  std::string delete_after;
};

// A repeat offender's earlier convictions stay as long as the later ones: each conviction's
// dates in force are the latest own dates among the same person's convictions that became final
// on or after it (itself included) and no later than the last day of its period (its own last
// day for vetting, lengthened by each conviction within it to that one's own: so one that keeps
// it brings the next within its period). The period for visibility is lengthened only by the
// records that extend visibility (below), the one for deletion by those that extend deletion:
// another person's record under the number, one in another spelling or a disputed one cannot
// bring the person's own later record within the earlier one's period for vetting. Deletion
// comes after visibility ends (the day after at the earliest, never on the last day a record
// counts). So a later conviction within an earlier one's period keeps it visible at least as
// long as itself, and its rehabilitation (deletion) lapses until the later one's (the 2012 Code
// art. 103 rehabilitates those who commit no new offence within the period); one final after
// the earlier had stopped counting revives nothing. (The offence's own date is not recorded:
// its judgment's final date stands for it.) Erasing, amending, disputing or resolving the later
// one recomputes the earlier ones.
// Only the same person's records extend visibility: the same person by the name forms a court's
// search takes as an exact match (the exact name token, which vetting compares, or an alias's
// exact token in the surname's place: a later record under a married surname that gives the
// earlier surname as an alias, and so each record linked to those), and active. A record
// naming someone else under the number, one that names the person only in another spelling (the
// loose token alone), or a disputed one, must not turn a spent record into a NOT_CLEAR answer:
// each refers on its own, and vetting never answers from a loose match. Those under the same
// personal number (`number`: whatever name they give), of the same loose person, and disputed
// ones, still extend deletion, so that a judgment under another surname without the alias, or
// spelling the name in the other language, or a dispute resolved in the record's favour, finds
// the earlier ones kept.
// Pure; the result is in the order of `convictions`.
std::vector<EffectiveRecordDates> EffectiveDates(const std::vector<PersonConviction>& convictions);
// One record's entry for EffectiveDates, from its head and its opened dates.
PersonConviction ConvictionOf(const StoredHead& head, const RecordDates& dates);
// Sets dates' own dates, final date and rules fingerprint from `own`.
void SetOwnDates(const OwnDates& own, RecordDates* dates);

// The refusal of a conviction (court, case number, personal number) whose record was expunged:
// FAILED_PRECONDITION. Creating it again, importing it again, or amending another record into
// it would bring an erased record back.
absl::Status ErasedConvictionError();
// The same refusal of a conviction whose case number up to its year (CaseNumberForm::
// kCutAtYear) is that of an expunged conviction of the same court and personal number, whatever
// follows the year in either ("P 15/2021 of 10 May 2021" after "P 15/2021" was expunged; on the
// safe side "P 15/2021/3" too).
absl::Status ErasedCutConvictionError();

// The canonical form of a case number, which the uniqueness token (court, case number, personal
// number) and so the refusal of an expunged conviction are keyed on: the spellings one clerk or
// another gives one case number agree, so that neither a second record of a live conviction nor
// the return of an expunged one gets in under another spelling. Made, in this order, by
//   1. NFKC and Unicode case folding, default-ignorable code points removed (ICU NFKC_Casefold):
//      full-width and compatibility forms become plain letters and digits, "p" is "P";
//   2. (kCurrent) a word (a run of letters) of Serbian Cyrillic letters only is read as Serbian
//      Latin writes it, letter for letter (Р R, В V, Н N, С S, У U, Х H, Ж Ž, Љ LJ ...; step 10
//      then folds Ž to Z ...): "КР 16/2021" is "KR 16/2021", "ПКР 7/2020" is "PKR 7/2020", and
//      "KP 16/2021" is another register. In any other word, and in every earlier form, Cyrillic
//      and Greek letters that look like Latin ones become those (А В Е К М Н О Р С Т У Х, Α Β Ε
//      Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ and their lower-case forms, and a few more): "Р 5/2020" typed with
//      a Cyrillic Р among Latin letters ("РK 5/2020") reads by look, "pk5/2020";
//   3. every decimal digit becomes its ASCII digit, and each number (a run of digits) loses its
//      leading zeros: "05" is "5", "50" is not;
//   4. whitespace, punctuation and symbols are removed, except that two numbers they separate
//      stay two (written with one "/" between them), so "P5/2020", "P-5/2020", "P 5 / 2020",
//      "P.5/2020", "P 5/2020." and "P 5 2020" are "p5/2020", while "P 52/020" is "p52/20";
//   5. (all forms but kWithNumberWords) "number" standing alone as a word is dropped: in kCurrent
//      every such word wherever it stands, repeated or not, in any case and script, "nr",
//      "numër" or "numer", "numri" or "num" (Albanian), "br" or "broj" ("бр", "број" in
//      Cyrillic), "ном" or "номер" (Cyrillic), "no", "nro", "numero" or "number", "N°" (and "№"
//      and "Nº", which NFKC makes "No"), and a lower-case "n." after the register's letters and
//      before the first number, with a space before it ("P n. 5/2020"; a capital N, or one
//      first or after a full stop, may be a register's letter, "P.N. 5/2020", and is kept), so
//      "P.nr. 5/2020", "No. P 5/2020", "P nr.nr. 5/2020", "P broj 5/2020", "P ном. 5/2020",
//      "P N° 5/2020", "P # 5/2020" and "P 5/2020 nr" are "p5/2020", and a word dropped between
//      two numbers leaves them two ("P 5 nr 6/2020" is "p5/6/2020"). In kCurrent also
//      "nummer"; the lower-case n with no full stop ("P n 5/2020"; "Pn 5/2020" and "P N 5/2020"
//      are the register PN's), and (not in kBeforeCitationTail) after the register's full stop
//      ("P.n. 5/2020", "P.n.5/2020", "P. n. 5/2020"; "P.N. 5/2020" is PN's); "nr." or "br."
//      written onto the register's letters, with a lower-case r and its full stop ("Pnr. 5/2020"
//      is "P nr. 5/2020"), and (not in kBeforeCitationTail) "nr" or "br" in lower case with no
//      full stop written onto capitals ("Pnr5/2020", "KŽbr 5/2020": courts write the register
//      in capitals, and the safe side of a doubt is one conviction); "PNR 5/2020" and "pnr
//      5/2020", whose case cannot tell a register from a number word, keep their letters; and
//      an i standing alone after a number word, before the first number ("P nr. i 5/2020"). kBeforeFoldedRegisterLetters dropped the same but
//      those; kBeforeMoreNumberWords also not "numri", "num", "nro", "numero", "ном", "номер"
//      and "N°"; the forms before it (kBeforeNumberWordsAnywhere and earlier) only "nr", "br",
//      "бр" or "no" standing alone right before the first number;
//   6. (kCurrent, kBeforeFoldedRegisterLetters, kBeforeMoreNumberWords, kBeforeNumberWordsAnywhere,
//      kBeforeStandAloneLookAlikes) a letter that looks like a digit (o in Latin, Cyrillic or Greek
//      for 0; Cyrillic з for 3; l, I, Cyrillic і and Greek ι for 1) is that digit where it touches
//      a number: right after a digit, or right before one and not after a letter. "P 9173/2O21" and
//      "P 917З/2021" are "p9173/2021"; "PO 5/2020" keeps its letters. In kCurrent and
//      kBeforeFoldedRegisterLetters so is a Latin S for 5 and Z for 2, only inside the numbers:
//      right after a digit with another digit after it or the register's letters before the numbers
//      ("P 1S/2020" is "p15/2020", "P 5/202Z" "p5/2022"), or right before a digit with a number
//      before it ("P 5/Z020"); never right before the first number ("PS5/2020" and "P S5/2020" are
//      the register PS's), nor after the numbers of a case number with no letters before them
//      ("5/2020S" is step 8's). Not B for 8 (a case split in two is "5a" and "5b"; Cyrillic В,
//      which is V, reads as B), nor G for 6 ("2020g." is the year, step 9);
//   7. (kCurrent, kBeforeFoldedRegisterLetters, kBeforeMoreNumberWords and
//      kBeforeNumberWordsAnywhere) so is a word of such letters only, standing alone between
//      separators, that a separator parts from a number before or after it, unless it is the first
//      word (where the register's letters stand): "P l/2020" and "P lO/2020" are "p1/2020" and
//      "p10/2020"; "I 5/2020" keeps its letter. In kCurrent and kBeforeFoldedRegisterLetters so is
//      such a word with S or Z in it when a slash parts it from the number after it, as the serial
//      from the year: "P S/2020" is "p5/2020", while "P S 5/2020" and "P.S. 5/2020" keep the
//      register PS's letters;
//   8. (kCurrent, kBeforeFoldedRegisterLetters and kBeforeMoreNumberWords) letters after the
//      numbers, with none before them, are the register's letters written last and go first:
//      "5/2020 P" and "nr. 5/2020 P" are "p5/2020";
//   9. (kCurrent and kBeforeFoldedRegisterLetters) "year" written after the last number, a year
//      of two digits or four, is dropped, touching it or not: "g", "god", "godine", "godina"
//      (Serbian Latin), "г", "год", "године", "година" (Cyrillic), "viti", "vitit" (Albanian),
//      so "P 5/2020 г.", "P 5/2020g." and "P 5/2020 godine" are "p5/2020"; a lone g or г only
//      after the register's letters (in "5/2020 g." it is the register's, step 8). In kCurrent
//      also "v", "vit", "vjet", "godini", "gd", "gdn", "yr", "year" and "anno", several in a row
//      ("P 5/2020 г.г."), and a single letter with a full stop after it when the register's
//      letters stand before the numbers ("P 5/2020 r.", "P 5/2020 e.": it cannot be the
//      register's written last there), an l too ("P 5/2020 l." is "p5/2020"; not in
//      kBeforeDottedL) when it is the last thing written, no slash stands between it and the
//      year and a number stands before the year; a letter with no full stop stays ("P 5/2020
//      K"), and an l with none, or after a slash, is 1 by step 7 ("P 5/2020 l" and "P
//      5/2020/l." are "p5/2020/1", as "P 5/2020/1" is), as is an I (a Roman numeral).
//      In kCurrent (not kBeforeCitationTail), when the register's letters stand first, a case
//      number is read as a judgment is cited: a number, the year (two digits or four), then
//      optionally its date; what may follow is dropped when it is nothing but, in any order,
//      connecting words and prepositions ("e", "i", "te", "nga", "dt", "dat", "date", "datë",
//      "datës", "datum", "datuma", "dana", "od", "iz", "of", "from", "dated", "on"; Serbian in
//      either script), year words, a letter with a full stop, an l standing last ("P 5/2020 l"),
//      and, after such a word, a date (day, month, year; or year, month, day) or the year again
//      in either spelling: "P.nr.15/2021 dt.10.05.2021", "P nr. 15/2021 i datës 10.05.2021", "P
//      15/2021 e vitit", "P 15/2021 od", "P 15/2021 iz 2021", "PKR 15/2021 viti 2021" are
//      "P 15/2021"'s. Such words standing apart between the number and the year go too, the
//      year then being the number's ("P nr. 15 viti 2021", "P 15 od 2021", "P nr. 15 i 2021"
//      are "p15/2021"; "P 5G/2020" keeps its G). Kept: anything after a slash after the year
//      ("P 15/2021/3"), a date with no word before it, another year ("P 15/2021 iz 2022"), an i
//      standing last (a Roman numeral: "P 15/2021 I." is "p15/2021/1"), and the whole tail
//      when anything else is in it ("P 15/2021 K", "P 15/2021 od K"). "P 15/2021 v." is
//      "p15/2021", "PV 15/2021" another register;
//  10. (kCurrent only) a letter with a diacritic is its plain letter: a Latin letter whose
//      canonical decomposition starts with an ASCII letter is that letter (ž z, š s, č ć ç c,
//      ë e), đ is d, and Serbian Cyrillic ж, ш, ч, ћ, ђ, џ are z, s, c, c, d, dz, as their Latin
//      letters are; and so is a digraph written for one, inside a word: "zh" is z, "sh" s, "ch"
//      c, "dj" d (a Latin h or j only). "Kž 77/2021", "Kz 77/2021", "Kzh 77/2021", "КЖ 77/2021"
//      are "kz77/2021", while "K 77/2021" keeps its one letter. Two registers of one court that
//      differ only so would be one; none is known, and a conviction refused as already there is
//      seen and asked about, while one entered twice, or an expunged one back, is not.
// A Serbian Cyrillic word is read by sound in kCurrent (step 2): a Cyrillic Р is R; a letter that
// only looks Latin inside a Latin word is read by its look (a Cyrillic Р among Latin letters is
// P); the number words "ном" and "номер" so read "nom" and "nomer", and are dropped in Latin too.
// Not folded: digits grouped by a space ("1 234/2020" is "1/234/2020": a space parts the serial
// from the year, "P 5 2020"); Roman numerals (a division's, part of the register: "K-II"); the
// year in two digits or four ("5/20", "5/2020"), which the uniqueness check looks up both ways.
// Pure. Internal only when ICU's normalisation data cannot be loaded. The case number as entered is
// what the record stores and shows; this form only enters the token. A record stored, or a
// conviction erased, before step 5 has its token in the earliest form (kWithNumberWords), before
// step 6 in kBeforeDigitLookAlikes, before step 7 in kBeforeStandAloneLookAlikes, before step 5
// dropped number words anywhere and step 8 in kBeforeNumberWordsAnywhere, before step 5's further
// number words, S and Z as digits and step 9 in kBeforeMoreNumberWords, and before step 10 and
// kCurrent's further number and year words in kBeforeFoldedRegisterLetters, and before step 9's
// l with a full stop in kBeforeDottedL (which is kCurrent in every other step), and before
// step 2 read Serbian Cyrillic words by sound in kBeforeCyrillicBySound (which read every
// Cyrillic letter by its look, "КР 16/2021" as "kp16/2021", and is kBeforeCitationTail in every
// other step), and before step 9 dropped what may follow a judgment's year, step 5 the n after
// the register's full stop and "nr" written onto capitals with no full stop, in
// kBeforeCitationTail ("P 15/2021 e vitit" was "p15/2021e", "P 15/2021 l" "p15/2021/1", "Pnr
// 15/2021" "pnr15/2021", "P.n. 15/2021" "pn15/2021"; kCurrent in every other step); the
// uniqueness check also looks all of them up (none needs a schema change), and after the year
// of a spelling with the register's letters first "e", "od", "iz", "of" and "dt" as
// kBeforeCitationTail kept them ("p15/2021e"), so that one erased as "P 15/2021 e vitit" refuses
// "P 15/2021"; a record filed with a date after its year is found under that date only. Any other
// change of the rules changes every uniqueness token and needs a schema change (kSchemaVersion).
//
// kCutAtYear is no earlier form but the CUT form of a case number whose register's letters stand
// first: kCurrent's form of what comes before the number, the number and the year (the first
// number after it of four digits 19.. or 20.., or failing one of two), whatever follows the year
// and whatever stands between the number and the year left out ("P 15/2021 of 10 May 2021", "P
// 15 od 10.05.2021", "P 15/2021/3" and "P 15/2021 K" are "p15/2021"); empty when the register's
// letters do not stand first or no year follows the number. An erasure files it beside the
// uniqueness tokens (RecordStore::CutDedupTokens), so that an expunged conviction is refused
// whatever is written after its year.
enum class CaseNumberForm {
  kCurrent,
  kCutAtYear,
  kBeforeCitationTail,
  kBeforeCyrillicBySound,
  kBeforeDottedL,
  kBeforeFoldedRegisterLetters,
  kBeforeMoreNumberWords,
  kBeforeNumberWordsAnywhere,
  kBeforeStandAloneLookAlikes,
  kBeforeDigitLookAlikes,
  kWithNumberWords
};
absl::StatusOr<std::string> CanonicalCaseNumber(absl::string_view case_number,
                                                CaseNumberForm form = CaseNumberForm::kCurrent);
// Whether `other`, a case number stored, is `case_number` in another spelling: its canonical
// form (kCurrent) is this one's, or one of the earlier forms the uniqueness check looks up for
// this one other than those only a Cyrillic spelling read by look gives ("КР 16/2021" is a
// spelling of "KR 16/2021"; "KP 16/2021", whose form "kp16/2021" the Cyrillic "кр 16/2021"
// had before kCurrent, is not).
absl::StatusOr<bool> IsSpellingOfCaseNumber(absl::string_view case_number,
                                            absl::string_view other);

// A vetting candidate's blind-index tokens (32 raw bytes each), made from the whole request before
// anything is looked up.
struct CandidateTokens {
  std::string personal_number;
  std::string name;  // normalised surname | given name | birth date
  // The name tokens of the forms the name reads as by eye, when it has Cyrillic or Greek words
  // that look Latin (NameNormalizer::NormalizeAsSeen) or Latin words that look Cyrillic
  // (NormalizeAsSeenInCyrillic): the surname, the given name or both so read, each distinct from
  // `name` and from each other (RecordStore::OtherNameForms: at most eight; none for a name
  // without such a word), and the name token of the name with its apostrophes read as spaces
  // when it holds one (RecordStore::ApartForms: "O'Krasniqi, Arben" as "Krasniqi, Arben"). A
  // record under another number so named takes part as one naming the candidate (row 100).
  std::vector<std::string> names_as_seen;
  // For a given name of more than one word, the name tokens of each word in the given name's
  // place (RecordStore::GivenWordTokens, exact), in the name as typed and in each form of
  // names_as_seen, each once (RecordStore::GivenWordTokensOfForms); none for one word.
  std::vector<std::string> given_name_words;
  // The name's words in any order across the two fields (surname "Arben", given name
  // "Krasniqi" as "Krasniqi Arben"; "Krasniqi, Ali Arben" as "Krasniqi Ali, Arben"), one token
  // for the name as typed and one for each form of names_as_seen, each once
  // (RecordStore::NameVariantTokens): looked up among the records' own such tokens (rows 'v').
  std::vector<std::string> names_any_order;
  // The name with the spaces and hyphens inside each field removed, when a field has several
  // words ("AliArben" for "Ali Arben", "HoxhaBerisha" for "Hoxha-Berisha"), and each word of a
  // surname of several words with the whole given name ("Berisha Arben" for "Hoxha Berisha
  // Arben"), in the name as typed and in each form of names_as_seen, each once: looked up
  // among the records' names, given-name words and other ways of being written (rows 'n', 'w'
  // and 'v'), as the records file theirs (StoredHead.name_variant_tokens).
  std::vector<std::string> name_parts;
  // Each two distinct words of the name, from either field, in the name as typed and in each
  // form of names_as_seen (RecordStore::NameWordPairTokens), each once: looked up among the
  // records' own such tokens (rows 'v'), so a record that shares any two of the candidate's
  // words and the birth date names them ("Hoti, Arben" for "Hoti Morina, Ali Arben").
  std::vector<std::string> name_word_pairs;
  // How many index reads the vetting lookup of these tokens makes (FactsForVetting: the
  // number's, the exact name's and one for each other token and row kind it reads), counted
  // from the tokens alone before the lookup starts: the vetting service holds the lookup to a
  // time that grows with it (server/vetting_service.h), never with what is found.
  size_t planned_reads = 0;
};

// What vetting learns about one record filed under the candidate's personal number, or naming
// the candidate exactly under another one, without decrypting it.
struct VettingFacts {
  std::string record_id;
  // The candidate's name and birth date are the record's (compared in constant time). For a
  // record under another number: that it names the candidate, exactly, as the name reads by eye,
  // or by one of the given names when the candidate's or the record's given name has several
  // words ("Arben" for "Ali Arben"), or by the same words in other fields, with the spaces in a
  // field removed, or by one of two surnames (CandidateTokens::names_any_order, name_parts);
  // such a record refers, never decides.
  bool identity_matches = false;
  // Found by the candidate's exact name and birth date, filed under another personal number: it
  // may be the candidate's under a mistyped or false number, so it can refer, never decide
  // NOT_CLEAR (server/vetting_decision.h).
  bool under_other_number = false;
  // For a record under another number: its person's personal-number token (from its head), so
  // that a check it takes part in is entered in that person's history too.
  std::string person_token;
  registry::v1::RecordStatus status = registry::v1::RECORD_STATUS_UNSPECIFIED;
  std::string employer_visible_until;  // YYYY-MM-DD
};

// What a full check of the stored records found (RecordStore::CheckAll). Problems name record
// ids, index kinds and version numbers only, never a value.
struct DataCheckReport {
  uint64_t records = 0;
  uint64_t versions = 0;
  uint64_t index_rows = 0;
  uint64_t audit_events = 0;
  uint64_t vetting_checks = 0;
  uint64_t problem_count = 0;
  // The first kMaxListed problems, e.g. "record 0f..: index row 'p' missing".
  std::vector<std::string> problems;
  static constexpr size_t kMaxListed = 1000;
  void Add(std::string problem) {
    ++problem_count;
    if (problems.size() < kMaxListed) problems.push_back(std::move(problem));
  }
};

// Thread-safe.
class RecordStore {
 public:
  // db, keys and normalizer are not owned and must outlive the store. The first start stores a
  // key check value (an HMAC under a key derived from derivation_root) in the meta family; a
  // later start with another key file fails with FailedPrecondition instead of mixing keys.
  // Each KEK version gets a check value of its own when it is first seen as the current one (at
  // a start, or by the first write after a rotation swapped it in): a wrapped key under that KEK
  // sealed to a fixed label. A start whose key file holds a KEK that does not open its version's
  // check value fails with FailedPrecondition, before any record is written under it that the
  // right key file could then not read; a write with a swapped-in keyring whose KEKs do not
  // match fails the same way.
  // The key check value of a key file's derivation root (32 bytes): what the database stores to
  // recognise its key file, and what a key ceremony writes down. Reveals nothing of the keys.
  static absl::StatusOr<std::string> KeyCheckValue(const crypto::SecretBytes& derivation_root);

  // A KEK version with data keys under it but no check value (deleted from the data folder) is
  // DataLoss naming the version: no check value is recorded for it from the key file's KEK.
  // `read_only` (a database opened read only, as `registryd --verify_data` opens it): the key
  // file is checked as always, but a current KEK without a check value gets none (nothing is
  // written; the next start records it), and one missing under data keys is left for the data
  // check to name (CheckAll).
  static absl::StatusOr<std::unique_ptr<RecordStore>> Create(
      Database* db, const KeyringHolder* keys, const crypto::SecretBytes& derivation_root,
      const NameNormalizer* normalizer, bool read_only = false);

  // A new record (version 1, active). AlreadyExists when a record with the same court, case
  // number and personal number exists (*existing_id, when not null, receives its id);
  // InvalidArgument when a name cannot be normalised.
  absl::StatusOr<PendingWrite> PrepareCreate(const registry::v1::Person& person,
                                             const registry::v1::Conviction& conviction,
                                             const VersionMeta& meta,
                                             std::string* existing_id = nullptr);
  // The same, staged into an existing PendingWrite so that several records commit atomically
  // (bulk import); a duplicate within the same batch is also AlreadyExists. On AlreadyExists,
  // *existing_id (may be null) receives the id of the record it duplicates ("" if staged in w).
  // The first call takes every uniqueness stripe (in index order) into w, so other creates and
  // changes of uniqueness wait until the batch is committed or dropped.
  // The dates in force of the record's person are left to StageDates, which must follow the last
  // StageCreate of the batch: re-dating a person once per row would read, re-seal and re-stage
  // every record of a person with many rows once per row (quadratic in the rows), while holding
  // every stripe. Until then w.dates_pending() is true and AuditLog::Append refuses w.
  absl::Status StageCreate(const registry::v1::Person& person,
                           const registry::v1::Conviction& conviction, const VersionMeta& meta,
                           PendingWrite* w, std::string* existing_id);
  // Stages the dates in force of every person StageCreate staged records of since the last call,
  // each person once, and clears w.dates_pending().
  absl::Status StageDates(PendingWrite* w) const;

  // The current version. NotFound for unknown or expunged ids; DataLoss when its ciphertext or
  // wrapped key fails authentication. A read racing an amendment or an erasure answers as before
  // or after it (NotFound), never DataLoss (ReadAgainIfChanged).
  absl::StatusOr<registry::v1::Record> Get(absl::string_view record_id) const;

  // Every version, oldest first; as Get, NotFound for an erased record, before or after a change
  // committed meanwhile.
  absl::StatusOr<std::vector<registry::v1::RecordVersion>> History(
      absl::string_view record_id) const;

  // Exact-match searches through the blind indexes; `token_hex` receives the token looked up,
  // for the audit event. At most `limit` records. A name search also finds the records that list
  // the query's surname among the person's aliases (with the same given name and birth date),
  // after those registered under it.
  absl::StatusOr<std::vector<registry::v1::Record>> SearchByPersonalNumber(
      absl::string_view personal_number, size_t limit, std::string* token_hex) const;
  absl::StatusOr<std::vector<registry::v1::Record>> SearchByName(
      absl::string_view surname, absl::string_view given_name, absl::string_view birth_date,
      size_t limit, std::string* token_hex) const;
  // The loose search (court only, never vetting): records whose names, or an alias in the
  // surname's place, agree with the query's in their loose forms (NameNormalizer::LooseForm) with
  // the same birth date, without the exact matches (every record SearchByName would find, also
  // those beyond its limit: they are no other spelling). A given name of several words, the
  // query's or the record's, also agrees by each of its words alone ("Arben" and "Arben Ali" find
  // "Ali Arben"). And every record vetting finds the name in (FactsForVetting), by the tokens
  // TokensForCandidate makes of it (its forms by eye, given-name words, other ways of being
  // written and each two of its words), each distinct token once per row kind: "Markovic,
  // Jelena" finds "Djukic-Markovic, Jelena", "Kelmendi-Gashi, Drita" finds "Kelmendi" alias
  // "Gashi". `word_tokens_hex` (when given) receives the tokens looked up besides `token_hex`'s
  // and the exact name's, for the audit event.
  absl::StatusOr<std::vector<registry::v1::Record>> SearchByLooseName(
      absl::string_view surname, absl::string_view given_name, absl::string_view birth_date,
      size_t limit, std::string* token_hex,
      std::vector<std::string>* word_tokens_hex = nullptr) const;

  // Makes a new version from the current one. `change` edits the record in place (person,
  // conviction, status) and sets the reason and VersionMeta; it runs under the record's lock.
  // ABORTED when expected_version != 0 and differs from the current version; NotFound for
  // unknown ids; AlreadyExists when the change collides with another record's court + case
  // number + personal number.
  using ChangeFn = std::function<absl::Status(registry::v1::Record* record, std::string* reason,
                                              VersionMeta* meta)>;
  // On AlreadyExists, *existing_id (when given) is the other record's id; on the
  // FailedPrecondition of a change that would leave another of the person's records due for
  // deletion (one this record kept), that record's id.
  absl::StatusOr<PendingWrite> PrepareChange(absl::string_view record_id,
                                             uint32_t expected_version, const ChangeFn& change,
                                             std::string* existing_id = nullptr);

  // Re-dates records without new versions, when the rules their own dates come from changed:
  // each record's own dates become its VersionMeta's, and the dates in force of the persons'
  // records are recomputed. Holds every person stripe, like an import. The caller commits it
  // with a system event. Records erased meanwhile are skipped.
  absl::StatusOr<PendingWrite> PrepareRedate(
      const std::vector<std::pair<std::string, VersionMeta>>& own);

  // The rules the heads are read under (see DatesRules); set before anything is served.
  void UseDatesRules(DatesRules rules) { rules_ = std::move(rules); }

  // The fingerprint of the retention rules the stored dates were computed with ("" before the
  // first), and staging a new one.
  absl::StatusOr<std::string> DatesRulesFingerprint() const;
  void StageDatesRulesFingerprint(absl::string_view fingerprint, PendingWrite* w) const;

  // The earlier schema the database is in, 6 to 10, the ones Create opens, or 0 when it is in
  // the current one. Schema 6 kept each vetting check under a key with its time (the caller
  // moves them, CheckStore::RekeyLegacyRows); schemas 6 and 7 had no alias rows, schemas 6 to 8
  // loose tokens of an earlier loose form, schemas 6 to 9 every conviction abroad under one
  // court's uniqueness token, and schemas 6 to 10 loose tokens of a loose form that kept the
  // spaces in a name, read Macedonian ѓ and ќ as g and k and kept lj and nj, and no rows of the
  // words of a given name of several words, and schemas 6 to 11 no rows of a name's other ways
  // of being written (rows 'v'; the caller files them anew, ReindexNames), and schemas 6 to 13
  // none of those ways in the loose form (rows 'u'). Then it
  // commits StageCurrentSchema in an audited batch.
  absl::StatusOr<int> EarlierSchema() const;
  void StageCurrentSchema(PendingWrite* w) const;
  // Files every record's names anew in the loose index (rows 'l' and the head's loose tokens,
  // under NameNormalizer::LooseForm as it is now, with each word of a given name of several
  // words since schema 11, and those words' exact rows 'w'), the name's other ways of being
  // written (rows 'v', since schema 12; and in the loose form, rows 'u', since schema 14) and
  // its aliases in the name indexes (rows 'a' and 'b',
  // and the head's alias tokens), and a conviction abroad's uniqueness token (row 'd' and the
  // head's, naming its court since schema 10), for records stored before schema 14, in
  // writes of at most `batch_rows` records each handed to `commit` (audited by the caller).
  // Reads every record's current version; every record is rewritten. Heads that fail to open
  // are left as they are (the data check names them). An alias that cannot be normalised
  // (stored before aliases were checked so) is left out of the index and counted in *skipped
  // (when given).
  // Returns how many records were filed; *aliased (when given) counts those with aliases.
  absl::StatusOr<size_t> ReindexNames(size_t batch_rows, const BatchCommitFn& commit,
                                      size_t* aliased = nullptr, size_t* skipped = nullptr);
  // Records the fingerprint for a database that holds no record yet, as part of creating it
  // (like the key check value and the schema version). FailedPrecondition once records exist.
  absl::Status InitDatesRulesFingerprint(absl::string_view fingerprint);

  // The time erasures last trusted the clock (server/clock_guard.h); nullopt before the first.
  // Not secret, but authenticated under the key file: a time planted in the data folder (one far
  // ahead, which would let a later jump of the clock erase) is DataLoss, and the caller trusts
  // the newest audit event's time instead, as before the first mark. Deleting the row does the
  // same.
  absl::StatusOr<std::optional<absl::Time>> ErasureClockMark() const;
  absl::Status SetErasureClockMark(absl::Time trusted);

  // The own dates and final date a record's head holds (for the rules recompute).
  absl::StatusOr<RecordDates> DatesOf(absl::string_view record_id) const;

  // Whether the record is stored (not erased): its head reads and authenticates. DataLoss for a
  // head that fails authentication.
  absl::StatusOr<bool> IsStored(absl::string_view record_id) const;

  // A lookup that meets an index row of a record without a head answers DataLoss (the head was
  // deleted from the data folder), unless `erased(record_id)` holds (ErasureLedger::Erased: the
  // row is a leftover of an erased record, put back from a backup made before the erasure),
  // which it passes over as it passes over a row an erasure took meanwhile. Set once, before
  // any lookup (OpenStorage).
  void SkipLeftoversOfErased(std::function<bool(absl::string_view record_id)> erased) {
    erased_ = std::move(erased);
  }
  // When the personal-number index row of `record_id` under `token` (an erasure ledger entry's)
  // is there and the record has no head, stages the row's deletion into `w` and returns true: a
  // leftover put back from before the erasure. One point read of the row; false without it.
  absl::StatusOr<bool> StageLeftoverNumberRow(absl::string_view token,
                                              absl::string_view record_id,
                                              PendingWrite* w) const;

  // Every record id, in key order, from after `after` ("" for the start), at most `limit`.
  absl::StatusOr<std::vector<std::string>> RecordIds(absl::string_view after, size_t limit) const;

  // Erases a record: its data key (crypto-shredding), every version, index and expiry entry.
  // An erased-conviction row bars the conviction from being entered again under every
  // uniqueness token it had in any version: an amendment of the court, case number or personal
  // number does not leave the earlier one free once the record is erased. `personal_number_token`
  // and `dedup_tokens` (either may be null) receive the person's token and those uniqueness
  // tokens (32 raw bytes each; the current version's first, none for a record that has none),
  // for the erasure ledger; the write's tokens() stay empty, so the erasure event names the
  // record only. After committing, call CompactAfterErasure so the bytes also leave older files.
  absl::StatusOr<PendingWrite> PrepareExpunge(absl::string_view record_id,
                                              std::string* personal_number_token = nullptr,
                                              std::vector<std::string>* dedup_tokens = nullptr);

  // The erased-conviction row of `record_id`, whose conviction's uniqueness token is
  // `dedup_token` (from the erasure ledger): whether it is there and authentic. Without it the
  // conviction could be entered again.
  absl::StatusOr<bool> HasErasedRow(absl::string_view dedup_token,
                                    absl::string_view record_id) const;
  // Stages that row into `w` (for a row found missing: the ledger puts it back).
  absl::Status StageErasedRow(absl::string_view dedup_token, absl::string_view record_id,
                              PendingWrite* w) const;
  // Flushes every family (so the WAL holding overwritten values is retired) and compacts the
  // record and checks families whole, so that no older file keeps a value since overwritten or
  // deleted: after an erasure, its record; after a key rotation, each data key wrapped under the
  // old KEK (KeyRotator, before the rotation is finished; `registryd --retire_kek`).
  absl::Status RemoveOverwrittenBytes() const;
  // RemoveOverwrittenBytes for the erasures committed: erased keys are spread by id, token and
  // date, and rewritten checks leave their old values behind. Once per erasure run. Each erasure
  // commits a marker that this deletes once done, for the erasures committed before it started.
  absl::Status CompactAfterErasure() const;
  // CompactAfterErasure when a committed erasure's marker is left (its compaction failed, or the
  // process stopped before it ran): at start-up, before a backup and in the retention run, so
  // that neither the files nor a backup keep an erased record's bytes. Whether it compacted.
  absl::StatusOr<bool> CompactIfErasuresDue() const;

  // Ids of records whose delete_after is before `day` (YYYY-MM-DD), at most `limit`. Reads every
  // head (the dates are sealed; there is no index by date).
  absl::StatusOr<std::vector<std::string>> DueForDeletion(absl::string_view day,
                                                          size_t limit) const;

  // Ids of the records of one person (`token`: the personal number's token, as Eraser::Erase
  // gives it) whose delete_after in force is `today` (YYYY-MM-DD) or before: due for erasure.
  // An expunge re-dates the person's other records, and one that the erased conviction kept is
  // then due.
  absl::StatusOr<std::vector<std::string>> DueRecordsOf(absl::string_view token,
                                                        absl::string_view today) const;
  // As above, with the person's records as the uncommitted write `w` leaves them (an expunge's
  // PrepareExpunge: which records that expunge would leave due, for its dry run).
  absl::StatusOr<std::vector<std::string>> DueRecordsOf(absl::string_view token,
                                                        absl::string_view today,
                                                        const PendingWrite& w) const;

  // Vetting, step 1: the candidate's tokens. InvalidArgument "surname: ..." or "given_name: ..."
  // when a name cannot be normalised. Looks nothing up.
  absl::StatusOr<CandidateTokens> TokensForCandidate(absl::string_view personal_number,
                                                     absl::string_view surname,
                                                     absl::string_view given_name,
                                                     absl::string_view birth_date) const;
  // Vetting, step 2: the facts of every record filed under the candidate's personal number (all
  // of them, as the dates in force count them: up to kMaxRecordsOfAPerson), then of every record
  // filed under the candidate's exact name token, or one of its names_as_seen,
  // given_name_words, names_any_order, name_parts or name_word_pairs, as its name, one of its
  // given-name words or one of its other ways of being written (rows 'n', 'w', 'v'; the pairs
  // among rows 'v' only), under another number (up to
  // kMaxRecordsOfAPerson each, marked under_other_number; the name index is read on every
  // check, once more for each such token and row kind, whatever it finds; such
  // a record's dates in force are computed from all its number's records, which are read and
  // counted as records too, since one naming the person by an alias extends it), by token only,
  // never decrypting a record. A record the name index finds whose head is under the
  // candidate's number is one of the number's, though the number index did not return it (filed
  // meanwhile, or its row deleted from the data folder: an error line names the record id).
  // DataLoss when a head fails
  // authentication: edited registry metadata never turns into a different answer. A check does
  // the work of at least kVettingWorkFloor records (those found by number and by name, each
  // once): for each one below that, the same reads, MAC comparisons and opening of sealed dates
  // are made on a stand-in, so that the work does not tell "no record" from one or a few (spent)
  // records, under the number or another.
  static constexpr size_t kVettingWorkFloor = 4;
  // A check makes at least kVettingWorkFloor times this many lookups of a token among the
  // candidate's name forms, each a fixed number of steps (a few nanoseconds): a record found by
  // name has each of its name tokens looked up once, the rest are made in stand-in tokens, so
  // that the comparison work is the same for none and for any record of up to this many name
  // tokens (a name of several words with a few aliases of several words files a few hundred).
  // Every record created, amended in its names or imported files at most
  // kMaxNameTokensOfARecord, below it, so the level covers each exactly. A record stored before
  // that rule may file more (at most 21,136 pairs and words, with ten aliases of six words, each
  // with a "dj": kMaxPairedWordsPerField) and is kept: it costs its own count, as its larger
  // head costs more to read, the documented limit of the fixed span (docs/security.md, "Work
  // per vetting check").
  static constexpr size_t kVettingNameComparisons = 2048;
  // The most name tokens (VettingNameTokenCount) a record created, amended in its names or
  // imported files: RecordValidator refuses more, naming person.aliases. Reading and
  // authenticating a head costs about half a microsecond per name token it files (its exact and
  // loose tokens), so a head at this bound reads in about half a millisecond, well inside the
  // fixed span's 1 ms floor, where one at kVettingNameComparisons took over a millisecond: ten
  // aliases of one word, seven of two or six of three; fewer when the words have a "dj" (each is
  // filed with a plain "d" too). A surname and a given name alone file fewer than a thousand.
  static constexpr size_t kMaxNameTokensOfARecord = 1024;
  // How many name tokens a record of `person` files that a vetting check compares: its name
  // token, its given-name word tokens and its name variant tokens, as SetWordTokens files them
  // (the same functions, under a key of the call's own: distinct words give distinct tokens
  // under any key, so the count is the stored record's). InvalidArgument as SetWordTokens when
  // a name cannot be normalised. About a microsecond per token; reads and writes nothing.
  static absl::StatusOr<size_t> VettingNameTokenCount(const NameNormalizer& normalizer,
                                                      const registry::v1::Person& person);
  // The most records of one person that a vetting check, the dates in force and their re-dating
  // read. Far above any real person's; a check reads them all, whatever their order.
  static constexpr size_t kMaxRecordsOfAPerson = 100000;
  // The most words of one field of a name asked about (a vetting candidate's, a court's name
  // search, the name limit's): one with more is refused, InvalidArgument naming the field, so
  // that every word pairs (NameWordPairTokens). Per form of a candidate's name at most 121 pair
  // and word reads (107 pairs of twelve words, two fields joined and two whole-name joins; 14
  // words alone), and 456 when every word has a "dj"; at most ten forms (the words counted are
  // those of each form: a word glued on with an apostrophe is one, ApartForms). A record pairs the
  // first so many distinct words of each of its fields, as written: one with more words in a
  // field is still found by its exact name and its given-name words, not by two words past the
  // sixth (no real name has so many). A record files at most 111 pair and word rows for its
  // surname and given name (436 when every word has a "dj"), and with ten aliases of six words
  // each at most 5,306 (21,136); a name holding an apostrophe at most 111 (436) more, of its
  // form with the apostrophes read as spaces (ApartForms).
  static constexpr size_t kMaxPairedWordsPerField = 6;
  // Before anything is looked up, the check waits for the index seal's comparison after a start
  // (index_seal.h), until `seal_deadline` or kIndexSealWait from now, whichever comes first:
  // Unavailable while it runs, DataLoss once it found the index rows are not those sealed, the
  // same words for every candidate.
  static constexpr absl::Duration kIndexSealWait = absl::Seconds(10);
  absl::StatusOr<std::vector<VettingFacts>> FactsForVetting(
      const CandidateTokens& candidate, absl::Time seal_deadline = absl::InfiniteFuture()) const;
  // How many heads (records and stand-ins) FactsForVetting has read since the store was created.
  uint64_t VettingHeadsRead() const { return vetting_heads_read_.load(); }
  // How many lookups among a candidate's name forms FactsForVetting has made since the store was
  // created (kVettingWorkFloor x kVettingNameComparisons a check, unless its records had more
  // name tokens).
  uint64_t VettingNameComparisons() const { return vetting_name_comparisons_.load(); }

  // Key rotation, one batch: stages into *w the re-wrap of up to `max` data keys not yet under
  // the current KEK, starting after record id `after` ("" for the start), and holds those
  // records' locks in *w until it is committed or dropped. Returns the last id visited ("" when
  // done) and adds the number re-wrapped to *rewrapped. Never decrypts a record.
  absl::StatusOr<std::string> StageRewrapBatch(absl::string_view after, size_t max,
                                               uint64_t* rewrapped, PendingWrite* w);
  // Checks every stored record whole, without returning any of it: each head's MAC and sealed
  // dates; its data key unwraps and every version 1..current exists and opens; its three index
  // rows exist and authenticate; every KEK version that data keys are under has its check
  // value. Then every index row and version row must belong to a head (orphans and rows under
  // another token are reported). `on_record` is called with each head's
  // id and version (0 when the head does not authenticate). Problems go into *report; the status
  // is an error only when the scan itself fails.
  absl::Status CheckAll(
      const std::function<void(absl::string_view record_id, uint32_t version)>& on_record,
      DataCheckReport* report) const;
  // One record checked as CheckAll checks each head (its MAC and sealed dates, its index rows,
  // its data key and versions), the problems into *report in CheckAll's words ("record ID:
  // ..."); the dates in force are compared only once the stored dates follow the rules in force
  // (a start checks before it re-dates). The head's version (0 when it does not authenticate),
  // or none when no head is stored under `record_id`. An error only when a read fails.
  absl::StatusOr<std::optional<uint32_t>> CheckRecord(absl::string_view record_id,
                                                      DataCheckReport* report) const;

  // How many records have a data key under a KEK other than `version`.
  absl::StatusOr<uint64_t> CountNotUnder(uint32_t version) const;

  // Token of a personal number (32 raw bytes), for callers that key other data by person.
  absl::StatusOr<std::string> PersonalNumberToken(absl::string_view personal_number) const;
  // Token of a name without a birth date (32 raw bytes): the name index's keyed token over the
  // normalised "surname|given name|", as the exact name index folds names (Latin = Cyrillic), for
  // the gate's daily limit on checks of one name (server/call_gate.cc); followed by the token of
  // every other form the vetting lookup reads the name under (OtherNameForms: each field, and
  // both, as it reads by eye; for a given name of several words, each word of each form:
  // GivenWordTokensOfForms; and each form's words in any order, its fields without their spaces
  // and each word of a surname of several: NameVariantTokens; and each two of its words:
  // NameWordPairTokens), each once, so a name typed in lookalike letters, with its words moved
  // or joined, with one of two surnames, or with a word made up beside two of a record's, takes
  // from the bucket of every name it is looked up as. No record is indexed under them
  // (every record has a birth date). InvalidArgument "surname: ..." or "given_name: ..." when a
  // name cannot be normalised. Looks nothing up.
  absl::StatusOr<std::vector<std::string>> NameLimitTokens(absl::string_view surname,
                                                           absl::string_view given_name) const;

 private:
  RecordStore(Database* db, const KeyringHolder* keys, const NameNormalizer* normalizer,
              std::unique_ptr<crypto::BlindIndexer> pn, std::unique_ptr<crypto::BlindIndexer> name,
              std::unique_ptr<crypto::BlindIndexer> dedup,
              std::unique_ptr<crypto::BlindIndexer> loose,
              std::unique_ptr<crypto::HmacSha256Key> head_mac_key,
              std::unique_ptr<crypto::HmacSha256Key> index_mac_key,
              std::unique_ptr<crypto::AesGcm> dates_aead)
      : db_(db),
        keys_(keys),
        normalizer_(normalizer),
        pn_index_(std::move(pn)),
        name_index_(std::move(name)),
        dedup_index_(std::move(dedup)),
        loose_index_(std::move(loose)),
        head_mac_key_(std::move(head_mac_key)),
        index_mac_key_(std::move(index_mac_key)),
        dates_aead_(std::move(dates_aead)) {}

  // An index row's value: its MAC, binding the token to the record id.
  absl::StatusOr<std::string> IndexRowMac(absl::string_view key) const;
  // CheckAll's check of the head stored under `key` (CheckRecord's too): *version is its version
  // (0 when it does not authenticate). `rules_settled`: the stored dates follow the rules in
  // force; `dates_in_force`: the dates in force are compared with what the person's records give.
  absl::Status CheckHead(const std::string& key, bool rules_settled, bool dates_in_force,
                         uint32_t* version, DataCheckReport* report) const;
  absl::Status PutIndexRow(char kind, absl::string_view token, absl::string_view record_id,
                           PendingWrite* w) const;
  // The head's sealed dates. DataLoss when they fail authentication.
  absl::StatusOr<RecordDates> OpenDates(const StoredHead& head) const;
  // The record's entry for EffectiveDates: ConvictionOf, with the own dates computed from the
  // current version's conviction when the head sealed them under other rules than rules_'s.
  absl::StatusOr<PersonConviction> OwnConviction(const StoredHead& head,
                                                 const RecordDates& dates) const;
  // Whether the head's own dates were sealed under other rules than those in force.
  bool SealedUnderOtherRules(const RecordDates& dates) const {
    return rules_.own_dates != nullptr && dates.rules() != rules_.fingerprint;
  }
  // The keys of the erasures' markers (see CompactAfterErasure).
  absl::StatusOr<std::vector<std::string>> CompactionsDue() const;
  // The current version, opened. DataLoss when it is missing or fails authentication.
  absl::StatusOr<VersionPayload> CurrentPayload(const StoredHead& head) const;

  // The head's MAC (see stored.proto), and the head serialized with it.
  absl::StatusOr<std::string> HeadMac(const StoredHead& head) const;
  absl::StatusOr<std::string> EncodeHead(StoredHead head) const;

  // Adds to `due` the person's records, as `w` leaves them, whose deletion day in force is
  // `today` or before. Nothing when `today` is empty.
  absl::Status AddDueRecords(absl::string_view token, const PendingWrite& w,
                             absl::string_view today, std::set<std::string>* due) const;

  // The forms of a name other than as it sounds (NameNormalizer::Normalize) that the vetting
  // lookup reads it under: each field as typed, as it reads in Latin (NormalizeAsSeen) and as it
  // reads in Cyrillic (NormalizeAsSeenInCyrillic), each distinct form once, combined, less the
  // name as typed: at most eight, at most three when each field is in one alphabet. The same for
  // TokensForCandidate and NameLimitTokens, so that no form is looked up without taking from its
  // daily bucket. Depends on the input only.
  // And, when a field holds an apostrophe, the name with each apostrophe read as a space as well
  // (ApartForms): at most nine.
  using NameForms = std::set<std::pair<std::string, std::string>>;
  absl::StatusOr<NameForms> OtherNameForms(absl::string_view surname,
                                           absl::string_view given_name) const;
  // The name with each apostrophe inside a word (' ` ´ ‘ ’ ʼ, which Normalize drops: O'Brien is
  // "obrien") read as a space, as a hyphen is: "Xhafa'Krasniqi" as "xhafa krasniqi", "Ali'Arben"
  // as "ali arben", so that its pairs and its words alone are those of "Xhafa-Krasniqi" and
  // "Ali-Arben" (the name as typed keeps the joined word: O'Brien still meets OBrien). A part of
  // one letter that an apostrophe cut off (the "o" of O'Brien, the "d" of D'Amato) is left out,
  // as a lone letter would pair with every word: "D'Amato" reads "amato". Normalised for the
  // loose form when `loose` (NormalizeForLooseForm). One form, or none when neither field holds
  // an apostrophe (or the form is the name's own). Depends on the input only.
  absl::StatusOr<NameForms> ApartForms(absl::string_view surname, absl::string_view given_name,
                                       bool loose = false) const;

  // StageCreate without taking every stripe: the record's own uniqueness stripe only.
  absl::Status StageNewRecord(const registry::v1::Person& person,
                              const registry::v1::Conviction& conviction, const VersionMeta& meta,
                              PendingWrite* w, std::string* existing_id);
  // InvalidArgument "<prefix>surname: ..." / "<prefix>given_name: ..." when a name cannot be
  // normalised.
  absl::StatusOr<std::string> NameToken(absl::string_view surname, absl::string_view given_name,
                                        absl::string_view birth_date,
                                        absl::string_view field_prefix) const;
  absl::StatusOr<std::string> LooseNameToken(absl::string_view surname,
                                             absl::string_view given_name,
                                             absl::string_view birth_date,
                                             absl::string_view field_prefix) const;
  // The tokens of each word of a given name of more than one word in the given name's place,
  // sorted, without repeats: loose (NormalizeForLooseForm, LooseForm, the loose index) or exact
  // (Normalize, the name index); none for a given name of one word. InvalidArgument as
  // NameToken.
  absl::StatusOr<std::vector<std::string>> GivenWordTokens(absl::string_view surname,
                                                           absl::string_view given_name,
                                                           absl::string_view birth_date,
                                                           absl::string_view field_prefix,
                                                           bool loose) const;
  // The exact tokens of each word of a given name of more than one word in the given name's
  // place, in the name as typed (GivenWordTokens) and in each of its `forms` (OtherNameForms of
  // the same name), sorted, without repeats; none for a given name of one word. What the vetting
  // lookup reads a candidate's given names under, one by one. InvalidArgument as NameToken.
  absl::StatusOr<std::vector<std::string>> GivenWordTokensOfForms(
      absl::string_view surname, absl::string_view given_name, const NameForms& forms,
      absl::string_view birth_date) const;
  // The exact tokens (the name index's) of the other ways a name is written that vetting
  // compares, for the name as typed and for each of `forms` (OtherNameForms of the same name;
  // none for a record's): `any_order`, one token per form over its words sorted, both fields
  // together, under a label no canonical name has (a hyphen); `parts`, per form, the token of
  // the fields with their inner spaces removed when a field has several words, and the token of
  // each distinct word of a surname of several words with the whole given name, both as
  // NameToken's. Each sorted, without repeats. So per form at most one token in `any_order` and
  // 1 + (the surname's distinct words) in `parts`, and at most ten forms (a record's: the form
  // with its apostrophes read as spaces, ApartForms, at most). InvalidArgument as NameToken.
  struct NameVariants {
    std::vector<std::string> any_order;
    std::vector<std::string> parts;
  };
  absl::StatusOr<NameVariants> NameVariantTokens(absl::string_view surname,
                                                 absl::string_view given_name,
                                                 const NameForms& forms,
                                                 absl::string_view birth_date,
                                                 absl::string_view field_prefix) const;
  // The exact tokens (the name index's) of each two distinct words of a name, for the name as
  // typed and for each of `forms` (OtherNameForms of the same name; none for a record's): per
  // form, its words are those of every field (for a record, its `aliases` too, each a surname
  // the person bore; the first kMaxPairedWordsPerField distinct ones of each field), the whole
  // name joined across the fields each way (with each surname), and each such word with a "dj"
  // also with every "dj" a "d" (NameVariantTokens' rule); each two of them that stand for
  // different words of the name (not a word with its plain-D form, nor two whole-name joins)
  // give one token, over a label no name has, the two words sorted and the birth date. And one
  // token of a word alone under the same label: a record's each field joined as written and in
  // reverse word order when it has several words, and its surname and each alias joined each
  // way; a name asked about's each word and each field joined as written (with their plain-D
  // forms; without them when `words_alone` is false: the name limit's, since a bucket of one
  // word would count together every check of a common surname). `aliases` null: a name asked
  // about, refused (InvalidArgument "<prefix>surname: at most 6 words", or given_name) with
  // more than kMaxPairedWordsPerField words in a field. Sorted, without repeats.
  // InvalidArgument as NameToken; an alias that cannot be normalised is left out.
  absl::StatusOr<std::vector<std::string>> NameWordPairTokens(
      absl::string_view surname, absl::string_view given_name, const NameForms& forms,
      absl::string_view birth_date, absl::string_view field_prefix,
      const google::protobuf::RepeatedPtrField<std::string>* aliases = nullptr,
      bool words_alone = true, bool loose = false) const;
  // The loose tokens (the loose index's) of a name's other ways of being written, for the
  // court's name search: its words in any order (under NameVariantTokens' label, each word in
  // its loose form, sorted), each word of a surname of several with the whole given name (as
  // LooseNameToken's), and `pairs`, NameWordPairTokens in the loose form (`loose`: the fields
  // normalised for the loose form, each word, field joined and name joined folded by
  // NameNormalizer::LooseForm, a pair's two sorted after folding). A record's (`aliases` its
  // aliases) file under rows 'u'; a query's (`aliases` null) are looked up there, refused as
  // NameWordPairTokens refuses. Each sorted, without repeats; `any_order` and `parts` of the name
  // alone, as NameVariantTokens'. Depends on the input only.
  struct LooseVariants {
    std::vector<std::string> any_order;
    std::vector<std::string> parts;
    std::vector<std::string> pairs;
  };
  absl::StatusOr<LooseVariants> LooseVariantTokens(
      absl::string_view surname, absl::string_view given_name, absl::string_view birth_date,
      absl::string_view field_prefix,
      const google::protobuf::RepeatedPtrField<std::string>* aliases) const;
  // The exact tokens SetWordTokens files that a vetting check compares, besides the name token:
  // GivenWordTokens of the name, and NameVariantTokens and NameWordPairTokens of the name as
  // stored and of its ApartForms, each once. Uses normalizer_ and name_index_ alone.
  struct ComparedNameTokens {
    std::vector<std::string> given_words;
    std::set<std::string> variants;
  };
  absl::StatusOr<ComparedNameTokens> ComparedNameTokensOf(
      const registry::v1::Person& person) const;
  // Sets `head`'s given-name word tokens (loose_word_tokens without its loose_name_token, which
  // must be set, and given_word_tokens) and its name_variant_tokens (NameVariantTokens of the
  // name as stored, and since schema 13 its NameWordPairTokens) and, since schema 14, its
  // loose_variant_tokens (LooseVariantTokens, without loose_name_token) from the person's names.
  absl::Status SetWordTokens(const registry::v1::Person& person, StoredHead* head) const;
  // Sets `head`'s alias tokens, exact and loose (with the given name, and with each of its words
  // when it has several), from the person's aliases in the surname's place (sorted, without
  // repeats). InvalidArgument "person.aliases[i]: ..." when an alias
  // cannot be normalised; with `skipped`, such an alias is left out and counted instead.
  absl::Status SetAliasTokens(const registry::v1::Person& person, StoredHead* head,
                              size_t* skipped = nullptr) const;
  // Deletes `old_head`'s loose, alias, given-name word, name variant and loose variant rows
  // ('l', 'a', 'b', 'w', 'v', 'u') that `head`
  // no longer has and puts those it newly has.
  absl::Status StageNameRows(const StoredHead& old_head, const StoredHead& head,
                             PendingWrite* w) const;
  absl::StatusOr<std::string> DedupToken(const registry::v1::Conviction& c,
                                         absl::string_view personal_number) const;
  // Whether the conviction is of a court abroad (its foreign_court or foreign_country is set).
  static bool IsAbroad(const registry::v1::Conviction& c);
  // The court a uniqueness token names: a Kosovo court's id; for a court abroad, which all share
  // one id, the id with the foreign country and the foreign court's name folded as names are
  // compared ("Landesgericht Wien" = "LANDESGERICHT  WIEN"), so that two courts abroad are two
  // convictions under one case number (since storage schema 10). In kCurrent an apostrophe
  // parts words as a space or a hyphen does ("Tribunal d'arrondissement" = "Tribunal d
  // arrondissement" = "Tribunal d-arrondissement", "dell'Aquila" = "dell Aquila"; an elided
  // article is not written out: "de L'Aquila" is another name), and a digraph written for a
  // letter with a diacritic is that letter, as in a case number (CanonicalCaseNumber, step 10:
  // "Vishi" = "Viši"; "Visji" is another name); kBeforeApostrophesApart kept an apostrophe inside
  // its word and the digraphs. In kCurrent the words are then written together (digraphs folded
  // across where they met), so that where a space, a hyphen or an apostrophe stood is no part of
  // the name ("Tribunal darrondissement" = "Tribunal d'arrondissement"; two real courts differ in
  // more than that); kBeforeWordsJoined kept them apart. In all but kAsTyped the common variants
  // of a court's name fold (FoldCourtNameVariants: "fuer" is "für", a final "I" is "1"), which
  // kAsTyped, the tokens made before, did not. EarlierDedupTokens looks each up.
  enum class CourtNameForm { kCurrent, kBeforeWordsJoined, kBeforeApostrophesApart, kAsTyped };
  std::string DedupCourt(const registry::v1::Conviction& c,
                         CourtNameForm form = CourtNameForm::kCurrent) const;
  // The erased-conviction tokens of `c`'s case number cut after its year (CaseNumberForm::
  // kCutAtYear), of its court (DedupCourt) and person: its cut form as written first, then with
  // its year written the other way (two digits or four); none when it has no cut form. Kept apart
  // from the uniqueness tokens (DedupTokenOf) by a byte no canonical form starts with, so that a
  // cut form never meets a live record's token. An erasure files every one of them; a create, an
  // import row and an amendment onto a case number look up the first.
  absl::StatusOr<std::vector<std::string>> CutDedupTokens(const registry::v1::Conviction& c,
                                                          absl::string_view pn) const;
  // The token of a canonical case number (CanonicalCaseNumber) of a court (DedupCourt) and a
  // person.
  absl::StatusOr<std::string> DedupTokenOf(absl::string_view court,
                                           absl::string_view canonical_case_number,
                                           absl::string_view personal_number) const;
  // The uniqueness tokens, other than DedupToken's, that a record stored or a conviction erased
  // under another spelling of this case number may be under: the other script (Serbian Cyrillic and
  // Latin, letter for letter; a Latin spelling in Cyrillic when each letter has a Cyrillic one and
  // it reads as the Latin one, so that a Cyrillic record filed by its letters' look before
  // kCurrent, "р 5/2020" as "p5/2020", is found: `by_look_tokens` below), the year in two digits
  // or four (21, 1921, 2021), and each earlier
  // CaseNumberForm of the spelling and of its spellings with a number word ("nr.", "numër", "br.",
  // "broj", "бр.", "no.", "number", "numri", "ном." ...) before the number, with "nr.", "br.",
  // "бр." or "no." before the register's letters, with those letters after the numbers, and with a
  // year word ("g.", "god.", "godine", "г.", "год.", "године", "viti", "v.") after the year; and
  // each of those made of the spelling with its plain letters written with a diacritic or as a
  // digraph, as kCurrent reads them (step 10: "Kz" as "Kž" and "Kzh"; every combination when there
  // are at most 4, else one letter at a time, the first 4). Each once: 105 for "P 5/2020", 123
  // for "R 5/2020" or "КР 16/2021", 219 for "Kz 77/2021", 489 for "PČ 5/2020", about 600 for
  // three or more such letters ("RČŠ 5/2020": 621), and 957 for "ČŠŽĐ nr. 5/20" (a two-digit
  // year is looked up three ways; with a judgment's date or connecting words after the year, as
  // many or fewer: 921 for "ČŠŽĐ nr. 5/20 od 10.05.2021"); bounded, as each of the steps above is. For a court abroad whose name
  // reads otherwise in an earlier form (DedupCourt's CourtNameForm), each again under each such
  // form of its name (at most four courts). Looked up, never stored: a record
  // keeps the token of its own spelling. For a court abroad, also every spelling's token under
  // the one court "foreign" that schemas before 10 gave every court abroad (a conviction erased
  // then).
  // With `by_look_tokens`, adds to it those of the tokens only a Cyrillic spelling gives in a form
  // that read its Cyrillic letters by their look ("кр 16/2021" as "kp16/2021"), which may be
  // another register's in Latin ("KP 16/2021"): a live record under one is this conviction only
  // when its own case number is a spelling of this one (IsSpellingOfCaseNumber); an erased
  // conviction under one cannot be told, and is taken for this one.
  absl::StatusOr<std::vector<std::string>> EarlierDedupTokens(
      const registry::v1::Conviction& c, absl::string_view personal_number,
      std::set<std::string>* by_look_tokens = nullptr) const;
  // The record's head; NotFound for unknown or expunged ids. With `verify`, DataLoss when its MAC
  // fails; expunge reads without verifying so that a damaged record can still be erased.
  absl::StatusOr<StoredHead> ReadHead(absl::string_view record_id, bool verify = true) const;
  // `read` reads a record's head and then its other rows (two reads, no snapshot between them),
  // so an amendment or an erasure committed between the two makes them disagree. When `read`
  // fails DataLoss, the head is read again: gone (NotFound: erased meanwhile) is returned;
  // another version (amended meanwhile) runs `read` again, up to three times; the same version
  // means the rows are damaged, and the DataLoss stands.
  template <class T>
  absl::StatusOr<T> ReadAgainIfChanged(
      absl::string_view record_id,
      const std::function<absl::StatusOr<T>(const StoredHead&)>& read) const;
  absl::StatusOr<registry::v1::Record> GetAt(const StoredHead& head) const;
  absl::StatusOr<std::vector<registry::v1::RecordVersion>> HistoryAt(
      const StoredHead& head) const;
  absl::StatusOr<crypto::SecretBytes> Dek(const StoredHead& head) const;
  absl::StatusOr<VersionPayload> OpenVersion(const StoredHead& head, const crypto::SecretBytes& dek,
                                             const StoredVersion& v) const;
  // For a head found missing after an index row of `kind` and `token` named `record_id`: OK
  // when the row is gone too (an erasure committed meanwhile), DataLoss when it is still there
  // (the head was deleted from the data folder).
  absl::Status ConfirmErasedMeanwhile(char kind, absl::string_view token,
                                      absl::string_view record_id) const;
  // At most `limit` ids filed under `token` as `kind`, in order, from the first after `after`.
  absl::StatusOr<std::vector<std::string>> IdsWithToken(char kind, absl::string_view token,
                                                        size_t limit,
                                                        absl::string_view after = "") const;
  // Whether `record_id` is filed under `token` as `kind` (its row authenticated).
  absl::StatusOr<bool> IsFiledUnder(char kind, absl::string_view token,
                                    absl::string_view record_id) const;
  // For each of `tokens`, the first id filed under `kind` and it, or "" (one iterator for all).
  absl::StatusOr<std::vector<std::string>> FirstIdWithEachToken(
      char kind, const std::vector<std::string>& tokens) const;
  // The records filed under `token` as `kind`, then under it as `alias_kind` (those not already
  // found), at most `limit`, without those `skip` (when given) says to leave out.
  absl::StatusOr<std::vector<registry::v1::Record>> RecordsWithToken(
      char kind, char alias_kind, absl::string_view token, size_t limit,
      const std::function<absl::StatusOr<bool>(const std::string&)>& skip = nullptr) const;
  // Writes version `head.version` with `payload` and updates the head and indexes in `w`.
  absl::Status StageVersion(const StoredHead& old_head, StoredHead* head,
                            const crypto::SecretBytes& dek, const VersionPayload& payload,
                            const VersionMeta& meta, PendingWrite* w, std::string* existing_id);
  void Lock(absl::Mutex* mu, PendingWrite* w) const;
  absl::Mutex* PersonLock(absl::string_view token) const;
  // Locks the person stripes of `tokens` in index order into an empty `w`.
  void LockPersons(const std::vector<std::string>& tokens, PendingWrite* w) const;
  bool Holds(const PendingWrite& w, absl::string_view token) const;
  // Recomputes the dates in force of every record of the person with `token` (as staged in `w`)
  // and stages the heads that change. `w` must hold the person's stripe.
  absl::Status RestageDates(absl::string_view token, PendingWrite* w) const;
  // The heads of every record filed under personal number `token` as `w` leaves them: stored
  // ones, overridden by staged ones, without the erased, plus those staged under the token.
  absl::StatusOr<std::map<std::string, StoredHead>> HeadsAsStaged(absl::string_view token,
                                                                  const PendingWrite& w) const;
  // FailedPrecondition naming conviction when a new record of `person` with `meta`'s own dates
  // would be due for deletion on `meta.today`, the person's records stored and
  // staged in `w` counted: the retention run would erase it within the hour, after which it
  // could not be entered again, not even once a later conviction that keeps it is in.
  // The uniqueness tokens `head`'s conviction had in any of its versions, the current one first,
  // and those of its case number cut after its year (CutDedupTokens), each once: the rows an
  // erasure files. A version that does not open (a damaged record) gives none.
  absl::StatusOr<std::vector<std::string>> EveryDedupTokenOf(const StoredHead& head) const;
  absl::Status RefuseIfDueAlready(const registry::v1::Person& person, const VersionMeta& meta,
                                  const PendingWrite& w) const;
  // `head`'s dates in force, computed from the own dates of every record of its personal number
  // (EffectiveDates), as RestageDates would store them.
  absl::StatusOr<EffectiveRecordDates> DatesInForce(const StoredHead& head) const;
  // FactsForVetting's work on `count` stand-ins for `candidate`'s records: each one a real head
  // at a random place in the table (a constant one when none can be read), whose results are
  // thrown away.
  absl::Status ReadStandIns(const CandidateTokens& candidate, size_t count) const;

  // Before a data key is put under `keyring`'s current KEK: compares the KEKs of a keyring not
  // seen before with their check values (FailedPrecondition when one differs) and stages the
  // current version's when it has none yet.
  absl::Status StageKekCheck(const std::shared_ptr<const crypto::Keyring>& keyring,
                             PendingWrite* w) const;

  // Seals `dates` into `head` and stages it (and remembers it in w's staged heads).
  absl::Status StageHead(StoredHead* head, const RecordDates& dates, PendingWrite* w) const;

  Database* const db_;
  const KeyringHolder* const keys_;
  const NameNormalizer* const normalizer_;
  const std::unique_ptr<crypto::BlindIndexer> pn_index_;
  const std::unique_ptr<crypto::BlindIndexer> name_index_;
  const std::unique_ptr<crypto::BlindIndexer> dedup_index_;
  const std::unique_ptr<crypto::BlindIndexer> loose_index_;
  const std::unique_ptr<crypto::HmacSha256Key> head_mac_key_;
  const std::unique_ptr<crypto::HmacSha256Key> index_mac_key_;
  const std::unique_ptr<crypto::AesGcm> dates_aead_;
  DatesRules rules_;
  std::string stand_in_dates_;  // set once by Create
  std::function<bool(absl::string_view)> erased_;  // SkipLeftoversOfErased
  mutable std::atomic<uint64_t> vetting_heads_read_{0};
  mutable std::atomic<uint64_t> vetting_name_comparisons_{0};
  // The last keyring whose KEKs all matched their check values, the current one's recorded.
  mutable absl::Mutex kek_mu_;
  mutable std::shared_ptr<const crypto::Keyring> checked_keyring_ ABSL_GUARDED_BY(kek_mu_);

  // Striped locks. Every head is written under the stripe of its person (personal-number token):
  // a change to one record can change the dates in force of the person's others. Person stripes
  // are taken before uniqueness stripes, never the reverse, and within a family in index order.
  static constexpr size_t kStripes = 64;
  mutable std::array<absl::Mutex, kStripes> person_locks_;
  mutable std::array<absl::Mutex, kStripes> unique_locks_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_RECORD_STORE_H_
