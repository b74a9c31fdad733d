#include "server/revocation.h"

#include <dirent.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/durable_file.h"
#include "common/status_macros.h"
#include "crypto/hash.h"
#include "crypto/x509_text.h"
#include "server/config.h"

namespace registry::server {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using CrlPtr = std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>;

BioPtr MemBio(const std::string& bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), &BIO_free);
}

// The 8 hex digits of OpenSSL's subject hash, as hash-directory file names use them.
std::string SubjectHash(X509* cert) {
  char hash[16];
  std::snprintf(hash, sizeof(hash), "%08lx", X509_subject_name_hash(cert));
  return hash;
}

// "<8 hex>.r<digits>": a file name that says which CA the CRL in it belongs to.
std::string HashOfHashName(absl::string_view name) {
  const size_t dot = name.find('.');
  if (dot != 8 || name.size() < 11 || name.substr(8, 2) != ".r") return "";
  for (char c : name.substr(0, 8)) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return "";
  }
  for (char c : name.substr(10)) {
    if (!absl::ascii_isdigit(c)) return "";
  }
  return std::string(name.substr(0, 8));
}

bool ToTime(const ASN1_TIME* t, absl::Time* out) {
  struct tm tm;
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return false;
  *out = absl::FromTimeT(timegm(&tm));
  return true;
}

// Every CRL in `bytes` (PEM with one or more CRLs, or one DER CRL). Empty when any part of the
// file is not a CRL: a file that is half readable is not trusted for the half that is.
std::vector<CrlPtr> ParseCrls(const std::string& bytes) {
  std::vector<CrlPtr> out;
  static constexpr char kBegin[] = "-----BEGIN X509 CRL-----";
  size_t blocks = 0;
  for (size_t at = bytes.find(kBegin); at != std::string::npos; at = bytes.find(kBegin, at + 1)) {
    ++blocks;
  }
  if (blocks > 0) {
    BioPtr bio = MemBio(bytes);
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
      out.emplace_back(crl, &X509_CRL_free);
    }
    ERR_clear_error();
    if (out.size() != blocks) out.clear();
    return out;
  }
  const unsigned char* p = reinterpret_cast<const unsigned char*>(bytes.data());
  X509_CRL* crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size()));
  ERR_clear_error();
  if (crl == nullptr) return out;
  out.emplace_back(crl, &X509_CRL_free);
  if (p != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) out.clear();
  return out;
}

// Why `crl` cannot be applied by a check that knows only full, direct CRLs; "" when it can.
std::string Unsupported(const X509_CRL* crl) {
  if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) return "a delta CRL";
  if (X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1) >= 0) {
    return "an indirect or partitioned CRL (issuingDistributionPoint)";
  }
  for (int i = 0; i < X509_CRL_get_ext_count(crl); ++i) {
    X509_EXTENSION* ext = X509_CRL_get_ext(crl, i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (X509_EXTENSION_get_critical(ext) && nid != NID_authority_key_identifier &&
        nid != NID_crl_number) {
      return "a CRL with an unknown critical extension";
    }
  }
  const STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(const_cast<X509_CRL*>(crl));
  for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
    const STACK_OF(X509_EXTENSION)* exts = X509_REVOKED_get0_extensions(entry);
    for (int j = 0; j < sk_X509_EXTENSION_num(exts); ++j) {
      X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts, j);
      const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
      if (nid == NID_certificate_issuer) return "an indirect CRL (certificateIssuer entries)";
      if (X509_EXTENSION_get_critical(ext) && nid != NID_crl_reason &&
          nid != NID_invalidity_date) {
        return "a CRL with an unknown critical entry extension";
      }
    }
  }
  return "";
}

bool MaySignCrls(X509* ca) { return (X509_get_key_usage(ca) & KU_CRL_SIGN) != 0; }

// The names of the regular files in `dir` that do not start with '.', sorted; false when the
// folder cannot be read.
bool ListFiles(const std::string& dir, std::vector<std::string>* names) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    struct stat st;
    const std::string path = absl::StrCat(dir, "/", e->d_name);
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    names->emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(names->begin(), names->end());
  return true;
}

// The CRL's crlNumber (RFC 5280 5.2.3) in upper-case hex without leading zeros; "" without one.
std::string CrlNumber(X509_CRL* crl) {
  std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)> number(
      static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)),
      &ASN1_INTEGER_free);
  ERR_clear_error();
  if (number == nullptr) return "";
  std::string hex = crypto::SerialHex(number.get());
  const size_t first = hex.find_first_not_of('0');
  return first == std::string::npos ? "0" : hex.substr(first);
}

// CRL number `hex` (as CrlNumber gives it) as `openssl crl -text` shows it, for an operator to
// compare: decimal below 128 bits, else "0x" and hex. "1000 is older than 1001" was hex unsaid,
// where openssl shows 4096 and 4097.
std::string ShownNumber(const std::string& hex) {
  if (hex.empty()) return "none";
  BIGNUM* bn = nullptr;
  if (BN_hex2bn(&bn, hex.c_str()) == 0) return absl::StrCat("0x", hex);
  std::string shown = absl::StrCat("0x", hex);
  if (BN_num_bits(bn) < 128) {
    if (char* dec = BN_bn2dec(bn); dec != nullptr) {
      shown = dec;
      OPENSSL_free(dec);
    }
  }
  BN_free(bn);
  return shown;
}

// The SHA-256 of the CRL's DER, in lower-case hex; "" when it cannot be encoded.
std::string CrlDigest(X509_CRL* crl) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_CRL(crl, &der);
  if (len <= 0) {
    ERR_clear_error();
    return "";
  }
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return absl::BytesToHexString(crypto::Sha256(bytes));
}

// Whether CRL number `a` is below `b` ("" is below every number).
bool NumberBelow(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

// A CA's key in the remembered numbers: the SHA-256, in hex, of its subject and public key.
std::string CaKey(X509* ca) {
  std::string key = crypto::DistinguishedName(X509_get_subject_name(ca));
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(X509_get0_pubkey(ca), &der);
  if (len > 0) {
    key.append("|");
    key.append(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
  }
  return absl::BytesToHexString(crypto::Sha256(key));
}

bool IsHex(absl::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isxdigit(c); });
}

// CaKey -> the highest CRL number seen, and the digest of the CRL in force at it.
using CrlNumbers = std::map<std::string, CrlNumberMark>;

bool IsLowerHex(absl::string_view s) {
  return IsHex(s) &&
         std::none_of(s.begin(), s.end(), [](char c) { return absl::ascii_isupper(c); });
}

// The numbers file: one line "<CaKey> <number> <sha256>" for each CA, sorted (a std::map's
// order). A line "<CaKey> <number>" (the form before the digest) is read as a number whose CRL
// is not known yet.
absl::StatusOr<CrlNumbers> ReadNumbers(const std::string& path) {
  CrlNumbers numbers;
  if (path.empty()) return numbers;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return numbers;  // first start
  absl::StatusOr<std::string> read = ReadFile(path, kCrlNumbersLimit);
  // Named by its field, as a damaged one is: the error is not the CRLs'.
  if (!read.ok()) {
    return absl::Status(read.status().code(),
                        absl::StrCat("crl_number_file: ", read.status().message()));
  }
  const std::string& text = *read;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++line_number;
    const std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    // Put back, never removed: without it an older CRL put back would be taken (operations.md).
    constexpr absl::string_view kMend =
        "; put back the file from its last good copy (never remove it: an older CRL put back "
        "would then be taken)";
    if ((f.size() != 2 && f.size() != 3) || f[0].size() != 64 || !IsHex(f[0]) ||
        !IsHex(f[1]) || f[1].size() > 40 || f[1] != absl::AsciiStrToUpper(f[1]) ||
        (f[1][0] == '0' && f[1].size() > 1) ||
        (f.size() == 3 && (f[2].size() != 64 || !IsLowerHex(f[2])))) {
      return absl::DataLossError(absl::StrCat(
          "crl_number_file ", path, ": line ", line_number,
          " is not \"<64 hex digits> <CRL number in upper-case hex> <SHA-256 of the CRL in "
          "lower-case hex>\"", kMend));
    }
    CrlNumberMark mark{std::string(f[1]), f.size() == 3 ? std::string(f[2]) : ""};
    // A second line for a CA overrode the first, so a lower one after it lost the higher mark
    // and an older CRL was taken: the file is written with one line a CA, so it is damaged.
    if (!numbers.emplace(std::string(f[0]), std::move(mark)).second) {
      return absl::DataLossError(absl::StrCat("crl_number_file ", path, ": line ", line_number,
                                              " names a CA that an earlier line names", kMend));
    }
  }
  return numbers;
}

std::string NumbersText(const CrlNumbers& numbers) {
  std::string text;
  for (const auto& [ca, mark] : numbers) {
    if (mark.number.empty()) continue;
    absl::StrAppend(&text, ca, " ", mark.number);
    if (!mark.sha256.empty()) absl::StrAppend(&text, " ", mark.sha256);
    absl::StrAppend(&text, "\n");
  }
  return text;
}

}  // namespace

const Revocation::Crl* Revocation::Ca::Current(absl::Time now) const {
  if (!taints.empty()) return nullptr;
  // The newest CRL that has started: a CRL dated ahead of this machine's clock waits its turn
  // while the one before it still applies.
  for (const Crl& crl : crls) {
    if (crl.this_update <= now) return now < crl.next_update ? &crl : nullptr;
  }
  return nullptr;
}

absl::StatusOr<std::unique_ptr<Revocation>> Revocation::Load(std::string client_ca_file,
                                                             std::string crl_directory,
                                                             std::string numbers_file) {
  return LoadNumbers(std::move(client_ca_file), std::move(crl_directory),
                     std::move(numbers_file), /*write_numbers=*/true);
}

absl::StatusOr<std::unique_ptr<Revocation>> Revocation::LoadReadOnly(std::string client_ca_file,
                                                                     std::string crl_directory,
                                                                     std::string numbers_file) {
  return LoadNumbers(std::move(client_ca_file), std::move(crl_directory),
                     std::move(numbers_file), /*write_numbers=*/false);
}

absl::StatusOr<std::unique_ptr<Revocation>> Revocation::LoadNumbers(std::string client_ca_file,
                                                                    std::string crl_directory,
                                                                    std::string numbers_file,
                                                                    bool write_numbers) {
  ASSIGN_OR_RETURN(CrlNumbers numbers, ReadNumbers(numbers_file));
  std::unique_ptr<Revocation> r(new Revocation(std::move(client_ca_file),
                                               std::move(crl_directory), std::move(numbers_file),
                                               write_numbers));
  {
    absl::MutexLock lock(&r->numbers_mu_);
    r->highest_number_ = std::move(numbers);
  }
  absl::Status loaded = r->Reload();
  if (!loaded.ok()) return loaded;
  return r;
}

Revocation::~Revocation() { StopWatching(); }

absl::Status Revocation::ReadBundle(std::vector<Ca>* cas) const {
  // Another local account that may change the bundle could add a CA of its own, and make its
  // certificates a court's: refused like a bundle without a certificate (the CAs in force stay).
  if (std::string open = OpenToOthers(ca_file_); !open.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("tls.client_ca_file: ", open));
  }
  absl::StatusOr<std::string> bundle = ReadFile(ca_file_, kCaBundleLimit);
  if (!bundle.ok()) {
    return absl::Status(bundle.status().code(),
                        absl::StrCat("tls.client_ca_file: ", bundle.status().message()));
  }
  BioPtr bio = MemBio(*bundle);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    Ca ca;
    ca.cert.reset(cert, &X509_free);
    X509_get_extension_flags(cert);  // cache the extensions before other threads read them
    ca.subject = crypto::DistinguishedName(X509_get_subject_name(cert));
    cas->push_back(std::move(ca));
  }
  ERR_clear_error();
  if (cas->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("tls.client_ca_file: no certificate in ", ca_file_));
  }
  // A certificate that is no CA's (an official's or the server's, put in place of the bundle)
  // signs no client certificate: taken, it refused every official. Refused as a whole, at start
  // as on reload, so the CAs in force stay.
  for (size_t i = 0; i < cas->size(); ++i) {
    if ((X509_get_extension_flags((*cas)[i].cert.get()) & EXFLAG_CA) != 0) continue;
    return absl::FailedPreconditionError(absl::StrCat(
        "tls.client_ca_file: certificate ", i + 1, " of ", ca_file_, " (", (*cas)[i].subject,
        ") is not a CA's certificate (no basicConstraints CA:TRUE), so it signs no client "
        "certificate: the bundle holds the CA certificates that issue the officials' "
        "certificates (registry-pki.sh's client-ca.pem)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Revocation::State>> Revocation::Read() const {
  auto state = std::make_shared<State>();
  absl::Status bundle = ReadBundle(&state->cas);
  // The TLS layer trusts the CAs the gate takes, and no others (KeepTlsCopy).
  if (bundle.ok()) {
    bundle = CopyForTls(state->cas);
    state->copy_failed = !bundle.ok();
  }
  if (!bundle.ok()) {
    const std::shared_ptr<const State> previous = state_.Current();
    if (previous == nullptr) return bundle;  // the first read: no CAs to keep
    // The CAs in force stay, but not their CRLs: revocation must go on following the folder
    // while someone fixes the bundle. Keeping the CRLs too would let a certificate revoked
    // meanwhile in, and a CRL deleted, expired or forged meanwhile go unnoticed.
    state->cas.clear();
    for (const Ca& kept : previous->cas) {
      Ca ca;
      ca.cert = kept.cert;
      ca.subject = kept.subject;
      state->cas.push_back(std::move(ca));
    }
    state->bundle_refused = std::move(bundle);
  }
  if (crl_dir_.empty()) return std::shared_ptr<const State>(std::move(state));

  std::vector<std::string> names;
  if (!ListFiles(crl_dir_, &names)) {
    state->folder_unread = true;
    state->file_problems.push_back(
        absl::StrCat("cannot read the CRL folder ", crl_dir_, ": ", std::strerror(errno),
                     ": no client CA has a current revocation list, so every client "
                     "certificate is refused"));
  }
  // A CRL folder or file another local account may change (start-up and --check_config refuse
  // it: TrustOpenToOthers, whose words these are, so that the check says it once) is a problem
  // the reload reports, as they would. Its CRLs are still used: each is taken only with its
  // CA's signature, and the CRL in force never goes back to a lower number (below), so such an
  // account can only delete or spoil a file, which fails that CA closed anyway. Refusing them
  // now would shut out every court of the CA over a mode, with nothing gained.
  const std::string open_folder = OpenToOthers(crl_dir_);
  if (!open_folder.empty()) state->file_problems.push_back(open_folder);
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(crl_dir_, "/", name);
    if (std::string open = open_folder.empty() ? OpenToOthers(path) : ""; !open.empty()) {
      state->file_problems.push_back(std::move(open));
    }
    // Bounded (kCrlFileLimit): a huge file in the folder is refused unread, never loaded.
    absl::StatusOr<std::string> bytes = ReadFile(path, kCrlFileLimit);
    std::vector<CrlPtr> crls;
    if (bytes.ok()) crls = ParseCrls(*bytes);
    if (crls.empty()) {
      // A file it may not read is said as such, not as a damaged CRL.
      const std::string problem =
          bytes.ok() ? absl::StrCat(name, ": not a readable CRL")
                     : absl::StrCat(name, ": ", bytes.status().message());
      state->file_problems.push_back(problem);
      // Named after a client CA: that CA's revocations cannot be known, so it fails closed.
      const std::string hash = HashOfHashName(name);
      for (Ca& ca : state->cas) {
        if (!hash.empty() && SubjectHash(ca.cert.get()) == hash) ca.taints.push_back(problem);
      }
      continue;
    }
    for (const CrlPtr& crl : crls) {
      const X509_NAME* issuer = X509_CRL_get_issuer(crl.get());
      std::vector<Ca*> named;
      std::vector<Ca*> signers;
      for (Ca& ca : state->cas) {
        if (X509_NAME_cmp(issuer, X509_get_subject_name(ca.cert.get())) != 0) continue;
        named.push_back(&ca);
        EVP_PKEY* key = X509_get0_pubkey(ca.cert.get());
        if (key != nullptr && MaySignCrls(ca.cert.get()) && X509_CRL_verify(crl.get(), key) == 1) {
          signers.push_back(&ca);
        }
      }
      ERR_clear_error();
      if (named.empty()) {
        state->file_problems.push_back(absl::StrCat(name, ": a CRL of ",
                                                    crypto::DistinguishedName(issuer),
                                                    ", which is not a client CA (ignored)"));
        continue;
      }
      if (signers.empty()) {
        // Someone wrote a list in this CA's name that it did not sign.
        const std::string problem =
            absl::StrCat(name, ": CRL signature does not verify against the client CA ",
                         crypto::DistinguishedName(issuer));
        state->file_problems.push_back(problem);
        for (Ca* ca : named) ca->taints.push_back(problem);
        continue;
      }
      if (const std::string why = Unsupported(crl.get()); !why.empty()) {
        const std::string problem = absl::StrCat(name, ": ", why, " is not supported");
        state->file_problems.push_back(problem);
        for (Ca* ca : signers) ca->taints.push_back(problem);
        continue;
      }
      Crl entry;
      entry.file = name;
      if (!ToTime(X509_CRL_get0_lastUpdate(crl.get()), &entry.this_update) ||
          !ToTime(X509_CRL_get0_nextUpdate(crl.get()), &entry.next_update)) {
        state->file_problems.push_back(
            absl::StrCat(name, ": CRL without a readable thisUpdate and nextUpdate (ignored)"));
        continue;
      }
      entry.number = CrlNumber(crl.get());
      entry.sha256 = CrlDigest(crl.get());
      const STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
      for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
        entry.revoked.insert(
            crypto::SerialHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
      }
      for (Ca* ca : signers) ca->crls.push_back(entry);
    }
  }
  absl::MutexLock lock(&numbers_mu_);
  bool numbers_changed = unsaved_numbers_;
  for (Ca& ca : state->cas) {
    std::stable_sort(ca.crls.begin(), ca.crls.end(), [](const Crl& a, const Crl& b) {
      if (a.this_update != b.this_update) return a.this_update > b.this_update;
      return NumberBelow(b.number, a.number);
    });
    // The CRL in force now (real time, as the handshake's) never goes back to a lower number.
    const Crl* in_force = ca.Current(absl::Now());
    if (in_force == nullptr) continue;
    CrlNumberMark& seen = highest_number_[CaKey(ca.cert.get())];
    if (NumberBelow(in_force->number, seen.number)) {
      const std::string problem = absl::StrCat(
          in_force->file, ": the CRL of ", ca.subject, " numbered ",
          ShownNumber(in_force->number), " is older than number ", ShownNumber(seen.number),
          " read before (an earlier copy put back?); refused until one at least as new is back");
      state->file_problems.push_back(problem);
      ca.taints.push_back(problem);
    } else if (seen.number != in_force->number) {
      seen = CrlNumberMark{in_force->number, in_force->sha256};
      numbers_changed = true;
    } else if (!in_force->number.empty() && seen.sha256.empty()) {
      // A mark of the earlier form: the CRL in force at its number is the one kept from now on.
      seen.sha256 = in_force->sha256;
      numbers_changed = true;
    } else if (!in_force->number.empty() && seen.sha256 != in_force->sha256) {
      // Two lists under one number: a CA issues one list per number, so the later one is no
      // regular reissue (it may leave out a serial the first listed). Failed closed, as a lower
      // number is, rather than letting the later thisUpdate decide.
      const std::string problem = absl::StrCat(
          in_force->file, ": the CRL of ", ca.subject, " numbered ",
          ShownNumber(in_force->number),
          " differs from the CRL of that number read before (a CA issues one list per "
          "number); refused until that CRL, or a newer one, is back");
      state->file_problems.push_back(problem);
      ca.taints.push_back(problem);
    }
  }
  // A read-only load still raises its marks in memory: a reload of it refuses what a start would.
  if (numbers_changed && !numbers_file_.empty() && write_numbers_) {
    // Kept across restarts: an older CRL put back while registryd is stopped is refused too.
    // Not written: this reload's CRLs still apply (a new revocation must not wait on the
    // file), the next reload tries again, and the log says why.
    if (absl::Status kept = ReplaceFileDurably(numbers_file_, NumbersText(highest_number_));
        !kept.ok()) {
      state->file_problems.push_back(
          absl::StrCat("crl_number_file: ", kept.message(),
                       " (the newest CRL numbers are remembered only until registryd stops)"));
      unsaved_numbers_ = true;
    } else {
      unsaved_numbers_ = false;
    }
  }
  return std::shared_ptr<const State>(std::move(state));
}

absl::Status Revocation::CopyForTls(const std::vector<Ca>& cas) const {
  absl::MutexLock lock(&copy_mu_);
  if (copy_path_.empty()) return absl::OkStatus();
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  for (const Ca& ca : cas) {
    if (bio == nullptr || PEM_write_bio_X509(bio.get(), ca.cert.get()) != 1) {
      ERR_clear_error();
      return absl::InternalError("tls.client_ca_file: cannot encode a client CA in PEM");
    }
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, n > 0 ? static_cast<size_t>(n) : 0);
  if (pem == copied_) return absl::OkStatus();
  if (absl::Status written = ReplaceFileDurably(copy_path_, pem); !written.ok()) {
    return absl::Status(written.code(),
                        absl::StrCat("tls.client_ca_file: cannot write the copy of the client CAs "
                                     "that the TLS layer reads: ",
                                     written.message()));
  }
  copied_ = std::move(pem);
  return absl::OkStatus();
}

absl::Status Revocation::KeepTlsCopy(std::string path) {
  {
    absl::MutexLock lock(&copy_mu_);
    copy_path_ = std::move(path);
    copied_.clear();
  }
  return CopyForTls(state_.Current()->cas);
}

std::string Revocation::Stamp() const {
  // The bundle's mode too: a chmod that opens it to others, or mends it, is a change to act on.
  struct stat st {};
  const int mode = ::stat(ca_file_.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
  std::string stamp = absl::StrCat(FileStamp(ca_file_), "/", mode);
  if (crl_dir_.empty()) return stamp;
  std::vector<std::string> names;
  if (!ListFiles(crl_dir_, &names)) return stamp + "|no folder";
  // The modes of the folder and of each CRL file as well: a chmod that opens one to others is
  // a problem to report (Read).
  const auto mode_of = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
  };
  absl::StrAppend(&stamp, "|", mode_of(crl_dir_));
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(crl_dir_, "/", name);
    absl::StrAppend(&stamp, "|", name, "=", FileStamp(path), "/", mode_of(path));
  }
  return stamp;
}

absl::Status Revocation::Reload() {
  RETURN_IF_ERROR(state_.Reload());
  const std::shared_ptr<const State> st = state_.Current();
  if (st->copy_failed) state_.ReadAgain();
  return st->bundle_refused;
}

std::vector<size_t> Revocation::State::SignersOf(const ClientCertificate& cert) const {
  {
    absl::MutexLock lock(&signers_mu);
    if (auto it = signers.find(cert.fingerprint); it != signers.end()) return it->second;
  }
  // Verified outside the lock (an ECDSA verification costs about 0.1 ms); two threads that miss
  // together both verify, and the second insert is a no-op.
  std::vector<size_t> found;
  for (size_t i = 0; i < cas.size(); ++i) {
    X509* ca = cas[i].cert.get();
    // The name and key identifier say which CA the certificate claims; only the signature says
    // that CA issued it. The TLS handshake's verification is not relied upon (revocation.h).
    if (X509_check_issued(ca, cert.x509.get()) != X509_V_OK) continue;
    EVP_PKEY* key = X509_get0_pubkey(ca);
    if (key != nullptr && X509_verify(cert.x509.get(), key) == 1) found.push_back(i);
  }
  ERR_clear_error();
  // Bounded as the parsed certificates are (ClientCertificates): forgotten all at once when
  // full, each then verified again on its next call.
  constexpr size_t kMaxCached = 4096;
  absl::MutexLock lock(&signers_mu);
  if (signers.size() >= kMaxCached) signers.clear();
  signers.emplace(cert.fingerprint, found);
  return found;
}

Revocation::Verdict Revocation::Check(const ClientCertificate& cert, absl::Time now) const {
  std::shared_ptr<const State> st = state_.Current();
  const std::vector<size_t> signers = st->SignersOf(cert);
  // Told apart from a missing CRL: the cure is in the bundle (or the certificate), not the folder.
  if (signers.empty()) return Verdict::kIssuerNotClientCa;
  if (crl_dir_.empty()) return Verdict::kGood;
  bool no_crl = false;
  for (const size_t i : signers) {
    const Crl* crl = st->cas[i].Current(now);
    if (crl == nullptr) {
      no_crl = true;
    } else if (crl->revoked.count(cert.serial_hex) > 0) {
      return Verdict::kRevoked;
    }
  }
  if (no_crl) return Verdict::kNoCurrentCrl;
  return Verdict::kGood;
}

std::vector<std::string> Revocation::CasWithoutCurrentCrl(absl::Time now) const {
  std::vector<std::string> out;
  if (crl_dir_.empty()) return out;  // no CRL is looked for
  std::shared_ptr<const State> st = state_.Current();
  for (const Ca& ca : st->cas) {
    if (ca.Current(now) == nullptr) out.push_back(ca.subject);
  }
  return out;
}

std::vector<std::string> Revocation::Problems(absl::Time now) const {
  if (crl_dir_.empty()) return {};  // no CRL is looked for
  std::shared_ptr<const State> st = state_.Current();
  std::vector<std::string> out = st->file_problems;
  for (const Ca& ca : st->cas) {
    if (ca.Current(now) != nullptr) continue;
    if (st->folder_unread && ca.crls.empty() && ca.taints.empty()) continue;  // said above
    std::string why;
    if (!ca.taints.empty()) {
      why = "a CRL file for it is unusable";
    } else if (ca.crls.empty()) {
      why = "none in the folder";
    } else if (ca.crls.back().this_update > now) {
      why = "its CRLs have not started yet";
    } else {
      why = "its newest CRL passed its nextUpdate";
    }
    out.push_back(absl::StrCat("no current revocation list for client CA ", ca.subject, " (",
                               why, "): its certificates are refused"));
  }
  return out;
}

void Revocation::StartWatching(
    absl::Duration interval, const Clock* clock,
    std::function<void(const absl::Status&, const std::vector<std::string>&)> report) {
  watcher_.Start(interval, [this, clock, report = std::move(report),
                            missing = CasWithoutCurrentCrl(clock->Now())]() mutable {
    const bool changed = state_.Changed();
    // A report for time alone still says the bundle is refused, if it is: the CAs are not the
    // bundle's.
    absl::Status status = changed ? Reload() : state_.Current()->bundle_refused;
    const absl::Time now = clock->Now();
    std::vector<std::string> missing_now = CasWithoutCurrentCrl(now);
    if (changed || missing_now != missing) {
      missing = std::move(missing_now);
      if (report) report(status, Problems(now));
    }
  });
}

void Revocation::StopWatching() { watcher_.Stop(); }

}  // namespace registry::server
