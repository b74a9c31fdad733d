#include "server/config.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json_keys.h"
#include "common/paths.h"
#include "common/json_fields.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "registry/v1/policy.pb.h"

namespace registry::server {
namespace {

std::string Resolve(absl::string_view base, const std::string& path) {
  if (path.empty() || path[0] == '/' || base.empty()) return path;
  return absl::StrCat(base, "/", path);
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// A file kept with the key file to check the data directory against: `path`, or `fallback`
// when empty; InvalidArgument naming `field` and `why` when it is inside `data_dir`. A fallback
// is named with what it was derived from (`beside`: "key_file", "erasure_ledger_file"), for the
// operator never wrote that field: "erasure_ledger_file (not set: beside key_file, P)".
absl::StatusOr<std::string> BesideTheKeys(absl::string_view field, std::string path,
                                          std::string fallback, absl::string_view beside,
                                          const std::string& data_dir, absl::string_view why) {
  std::string named(field);
  if (path.empty()) {
    path = std::move(fallback);
    named = absl::StrCat(field, " (not set: beside ", beside, ", ", path, ")");
  }
  if (PathWithin(path, data_dir)) {
    return absl::InvalidArgumentError(absl::StrCat(named, " must be outside data_dir: ", why));
  }
  return path;
}

absl::Status CheckAddress(absl::string_view field, const std::string& address) {
  // host:port or [v6]:port, port 0..65535.
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": expected host:port"));
  }
  int port = -1;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": port must be 0..65535"));
  }
  return absl::OkStatus();
}

// Whether two listen addresses ("host:port") take the same port of one address: the same port,
// not 0 (any free port), on the same host, or either on every address of the machine
// (0.0.0.0, [::], no host). The second to bind fails at start-up.
bool SharePort(const std::string& a, const std::string& b) {
  const auto split = [](const std::string& address) {
    const size_t colon = address.rfind(':');
    std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (host == "localhost") host = "127.0.0.1";
    return std::make_pair(host, colon == std::string::npos ? "" : address.substr(colon + 1));
  };
  const auto [host_a, port_a] = split(a);
  const auto [host_b, port_b] = split(b);
  const auto every = [](const std::string& host) {
    return host.empty() || host == "0.0.0.0" || host == "::" || host == "*";
  };
  return !port_a.empty() && port_a == port_b && port_a != "0" &&
         (host_a == host_b || every(host_a) || every(host_b));
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path, FileLimit limit) {
  // Not blocking on open: a FIFO put in a file's place would hang the reload that opens it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == EACCES) {
      // Said as such, with the account: "cannot read" alone reads like a missing or damaged file.
      const passwd* account = ::getpwuid(::geteuid());
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot read ", path, ": permission denied: the account registryd runs as (",
          account != nullptr ? account->pw_name : std::to_string(::geteuid()),
          ") may not read it, or a folder above it; give that account read access"));
    }
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": it is a folder, not a file"));
  }
  const auto too_large = [&](const std::string& size) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", path, ": it ", size,
                                                      " more than the ", limit.max_bytes >> 20,
                                                      " MiB ", limit.kind, " may be"));
  };
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limit.max_bytes) {
    return too_large(absl::StrCat("is ", st.st_size, " bytes,"));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  // At most one byte over the limit is read: a file that grew since fstat, or one that is no
  // regular file, is refused as soon as it passes the limit.
  std::string out;
  if (S_ISREG(st.st_mode)) out.reserve(static_cast<size_t>(st.st_size));
  char buffer[65536];
  while (out.size() <= limit.max_bytes) {
    const size_t want = std::min(sizeof(buffer), limit.max_bytes + 1 - out.size());
    const ssize_t n = ::read(fd, buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
  return too_large("holds");
}

std::string OpenToOthers(const std::string& given) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path path = fs::absolute(given, ec);
  if (ec) path = given;
  path = path.lexically_normal();
  if (!path.has_filename() && path.has_parent_path()) path = path.parent_path();  // "dir/"
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0) {
    return absl::StrFormat("%s is writable by every local account (mode %04o): run chmod o-w %s",
                           path.string(), st.st_mode & 07777, path.string());
  }
  // The folders above it as named and, through any symbolic link, as they are.
  std::vector<fs::path> folders;
  for (const fs::path& start : {path, fs::weakly_canonical(path, ec)}) {
    if (start.empty()) continue;
    for (fs::path up = start.parent_path(); !up.empty(); up = up.parent_path()) {
      if (std::find(folders.begin(), folders.end(), up) == folders.end()) folders.push_back(up);
      if (up == up.root_path()) break;
    }
  }
  for (const fs::path& folder : folders) {
    if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;  // not there yet
    if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
      return absl::StrFormat(
          "%s, a folder above %s, is writable by every local account without the sticky bit "
          "(mode %04o): any of them may rename what it holds and put their own in its place; "
          "run chmod o-w %s",
          folder.string(), path.string(), st.st_mode & 07777, folder.string());
    }
  }
  return "";
}

absl::Status ParseJson(absl::string_view json, google::protobuf::Message* message) {
  // A key given twice first: protobuf's parser merges a list given twice and keeps the last of
  // any other value, so a policy could hold a principal that a reviewer reading the file (or jq,
  // or Python) never sees. The problem names the key's path, never a value.
  if (std::string repeated = RepeatedKeyProblem(json, *message->GetDescriptor());
      !repeated.empty()) {
    message->Clear();
    return absl::InvalidArgumentError(repeated);
  }
  // protobuf's parser says "Unexpected end of string. Expected a value. ^" of an empty file.
  if (absl::StripAsciiWhitespace(json).empty()) {
    message->Clear();
    return absl::InvalidArgumentError("the file is empty: it must hold one JSON object");
  }
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message);
  if (!status.ok()) {
    // A syntax error: protobuf's first sentence, where the text stops being JSON ("line 3,
    // column 24") in place of its copy of the text around it and a caret, which, said on one
    // line, points at nothing.
    const std::string said(status.message());
    if (const std::optional<size_t> at = JsonStopsAt(json)) {
      // Text that ends inside its JSON ("Closing quote expected in string." at the last line)
      // is most often a file cut short: a copy or an edit not finished, a full disk.
      if (*at >= absl::StripTrailingAsciiWhitespace(json).size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            JsonLocation(json, *at),
            ": the file ends inside its JSON (a text, { or [ not closed): it was cut short, or "
            "a quote or bracket is missing before this point"));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          JsonLocation(json, *at), ": ",
          absl::StripAsciiWhitespace(absl::string_view(said).substr(0, said.find('\n')))));
    }
    // protobuf's message may run over several lines; a problem is said on one.
    std::string one_line = said;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    return absl::InvalidArgumentError(absl::StripAsciiWhitespace(one_line));
  }
  return absl::OkStatus();
}

namespace {

// The top-level keys of `json` that name fields of `type`; -1 when `json` is no JSON object.
int KeysNamingFieldsOf(absl::string_view json, const google::protobuf::Descriptor& type) {
  google::protobuf::Struct object;
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(json.data(), json.size()), &object)
           .ok()) {
    return -1;
  }
  int named = 0;
  for (const auto& entry : object.fields()) {
    if (FieldOfJsonKey(type, entry.first) != nullptr) ++named;
  }
  return named;
}

// "" unless `json`, read as `type`, is the other of registryd's two JSON files: more of its keys
// name fields of that one than of `type`. Then what it is, and which file belongs there.
std::string AnotherRegistryFile(absl::string_view json, const google::protobuf::Descriptor& type) {
  const google::protobuf::Descriptor& config = *registry::v1::ServerConfig::descriptor();
  const google::protobuf::Descriptor& policy = *registry::v1::AccessPolicy::descriptor();
  const bool reading_config = &type == &config;
  if (!reading_config && &type != &policy) return "";
  const int own = KeysNamingFieldsOf(json, type);
  const int other = KeysNamingFieldsOf(json, reading_config ? policy : config);
  if (own < 0 || other <= own) return "";
  return reading_config
             ? "this is an access policy (its keys are principals, organisations, ...), not "
               "registryd's config: --config names the config (registryd.json), whose "
               "policy_file names the policy"
             : "this is registryd's config (its keys are listen_address, data_dir, ...), not an "
               "access policy: policy_file must name the policy file (principals, "
               "organisations, purpose_codes; deploy/dev/policy.json is one)";
}

}  // namespace

std::vector<std::string> JsonFileProblems(absl::string_view json,
                                          const google::protobuf::Descriptor& type,
                                          const absl::Status& refused) {
  if (std::string other = AnotherRegistryFile(json, type); !other.empty()) return {other};
  // A key given twice is said as ParseJson says it: read as a list of fields, one of the two
  // values would be taken.
  if (!RepeatedKeyProblem(json, type).empty()) return {std::string(refused.message())};
  JsonFieldReading fields = ReadJsonFields(json, type);
  if (fields.problems.empty()) return {std::string(refused.message())};
  return std::move(fields.problems);
}

absl::Duration VettingLookupFloor(const registry::v1::ServerConfig& config) {
  const uint32_t micros = config.vetting().lookup_floor_micros();
  return absl::Microseconds(micros == 0 ? kDefaultLookupFloorMicros : micros);
}

absl::Duration VettingLookupPerRead(const registry::v1::ServerConfig& config) {
  const uint32_t micros = config.vetting().lookup_micros_per_read();
  return absl::Microseconds(micros == 0 ? kDefaultLookupMicrosPerRead : micros);
}

namespace {

// The message of a number field with a range of its own (config.proto), for a value outside it
// and for a value the JSON reading refuses (negative, fractional, text): "must be a whole number
// from 0 to 4294967295", the type's range, sent an operator who wrote -5 to a value that 1000
// would still not fit. nullopt for a field without one.
std::optional<std::string> OwnRangeProblem(absl::string_view field) {
  if (field == "backup.keep_count") return "backup.keep_count must be 1..1000";
  if (field == "backup.keep_days") {
    return absl::StrCat("backup.keep_days must be 1..", kMaxBackupKeepDays,
                        ": older backups would outlive the erasure promise (docs/security.md)");
  }
  if (field == "backup.interval_hours") {
    return absl::StrCat("backup.interval_hours must be 1..", kMaxBackupIntervalHours);
  }
  if (field == "audit.retention_days") {
    return absl::StrCat("audit.retention_days must be 0 (keep every event) or ",
                        kMinAuditRetentionDays, "..", kMaxAuditRetentionDays);
  }
  if (field == "unknown_callers.audited_per_minute") {
    return "unknown_callers.audited_per_minute must be 1..10000";
  }
  if (field == "unknown_callers.audited_burst") {
    return "unknown_callers.audited_burst must be 1..100000";
  }
  if (field == "threads") {
    return absl::StrCat("threads must be 0 (gRPC chooses) or ", kMinThreads, "..", kMaxThreads,
                        ": gRPC refuses a call beyond them (\"Server Threadpool Exhausted\") "
                        "before registryd sees it, so it is neither audited nor counted");
  }
  if (field == "vetting.certificate_validity_days") {
    return "vetting.certificate_validity_days must be 1..3650";
  }
  if (field == "data_check_interval_hours") {
    return absl::StrCat("data_check_interval_hours must be 1..", kMaxDataCheckIntervalHours);
  }
  if (field == "vetting.lookup_floor_micros") {
    return absl::StrCat("vetting.lookup_floor_micros must be ", kMinLookupFloorMicros, "..",
                        kMaxLookupFloorMicros);
  }
  if (field == "vetting.lookup_micros_per_read") {
    return absl::StrCat("vetting.lookup_micros_per_read must be 1..", kMaxLookupMicrosPerRead);
  }
  return std::nullopt;
}

// The JSON reading's problems, with the type's range of a field that has its own replaced by
// that range ("threads: must be a whole number from 0 to 4294967295").
std::vector<std::string> WithOwnRanges(std::vector<std::string> problems) {
  for (std::string& p : problems) {
    const size_t colon = p.find(": must be a whole number");
    if (colon == std::string::npos) continue;
    if (std::optional<std::string> own = OwnRangeProblem(absl::string_view(p).substr(0, colon))) {
      p = *std::move(own);
    }
  }
  return problems;
}

// FinishConfig's work: every problem is added to `problems`, and the checks go on, so that
// --check_config lists them all at once.
registry::v1::ServerConfig CompleteConfig(registry::v1::ServerConfig c, absl::string_view base,
                                          std::vector<std::string>* problems) {
  const auto problem = [problems](std::string text) { problems->push_back(std::move(text)); };
  if (c.listen_address().empty()) {
    problem("listen_address is required");
  } else if (absl::Status address = CheckAddress("listen_address", c.listen_address());
             !address.ok()) {
    problem(std::string(address.message()));
  }
  if (c.data_dir().empty()) problem("data_dir is required");
  if (c.key_file().empty()) problem("key_file is required");
  if (c.policy_file().empty()) problem("policy_file is required");
  if (c.tls().client_ca_file().empty()) problem("tls.client_ca_file is required");
  if (c.reference_dir().empty()) problem("reference_dir is required");
  if (c.tls().cert_file().empty()) problem("tls.cert_file is required");
  if (c.tls().key_file().empty()) problem("tls.key_file is required");
  // Without these, the paths below would be taken from the config's folder itself.
  if (c.data_dir().empty() || c.key_file().empty()) return c;

  c.set_data_dir(Resolve(base, c.data_dir()));
  c.set_key_file(Resolve(base, c.key_file()));
  c.set_policy_file(Resolve(base, c.policy_file()));
  c.set_reference_dir(Resolve(base, c.reference_dir()));
  c.set_backup_dir(Resolve(base, c.backup_dir()));
  if (c.backup_dir().empty()) c.set_backup_dir(c.data_dir() + "/../backups");
  // Backups inside the data directory would be copied into each other, moved aside with it by a
  // restore, and put back with an earlier copy of it.
  if (PathWithin(c.backup_dir(), c.data_dir()) || PathWithin(c.data_dir(), c.backup_dir())) {
    problem(
        "backup_dir must be outside data_dir, and data_dir outside backup_dir: a restore moves "
        "the data directory aside, and an earlier copy of it must not bring back backups");
  }
  // The key file itself: a restore moves the data folder aside (and a key file in it with it,
  // leaving registryd nothing to start with), and a backup would carry the key that opens it.
  if (PathWithin(c.key_file(), c.data_dir())) {
    problem(absl::StrCat(
        "key_file must be outside data_dir: a restore moves the data folder aside, and ",
        c.key_file(), " would go with it, leaving registryd unable to start; move the key file "
        "to a folder of its own outside data_dir (the packaged layout: "
        "/var/lib/registryd/keys/keys.json, mode 0600) and set key_file there"));
  } else if (PathWithin(c.key_file(), c.backup_dir())) {
    problem(absl::StrCat(
        "key_file must be outside backup_dir: a backup must not carry the key that opens it, "
        "and ", c.key_file(), " is in ", c.backup_dir(), "; move the key file to a folder of "
        "its own outside data_dir and backup_dir (the packaged layout: "
        "/var/lib/registryd/keys/keys.json, mode 0600) and set key_file there"));
  }
  const bool ledger_set = !c.erasure_ledger_file().empty();
  if (absl::StatusOr<std::string> path =
          BesideTheKeys("erasure_ledger_file", Resolve(base, c.erasure_ledger_file()),
                        DirName(c.key_file()) + "/erasures.ledger", "key_file", c.data_dir(),
                        "a restored data directory must not bring back an older ledger");
      path.ok()) {
    *c.mutable_erasure_ledger_file() = *std::move(path);
  } else {
    problem(std::string(path.status().message()));
    // The files below default to its folder: they are named beside it, as written or derived.
    *c.mutable_erasure_ledger_file() = ledger_set ? Resolve(base, c.erasure_ledger_file())
                                                  : DirName(c.key_file()) + "/erasures.ledger";
  }
  // The watermark and the CRL numbers default to the ledger's folder, itself the key file's
  // when unset.
  const char* const beside_ledger = ledger_set ? "erasure_ledger_file" : "key_file";
  if (absl::StatusOr<std::string> path =
          BesideTheKeys("audit_watermark_file", Resolve(base, c.audit_watermark_file()),
                        DirName(c.erasure_ledger_file()) + "/audit.watermark", beside_ledger,
                        c.data_dir(),
                        "a data directory put back from an earlier copy must not bring back an "
                        "earlier watermark");
      path.ok()) {
    *c.mutable_audit_watermark_file() = *std::move(path);
  } else {
    problem(std::string(path.status().message()));
  }
  if (absl::StatusOr<std::string> path =
          BesideTheKeys("crl_number_file", Resolve(base, c.crl_number_file()),
                        DirName(c.erasure_ledger_file()) + "/crl.numbers", beside_ledger,
                        c.data_dir(),
                        "a data directory put back from an earlier copy must not bring back "
                        "earlier CRL numbers");
      path.ok()) {
    *c.mutable_crl_number_file() = *std::move(path);
  } else {
    problem(std::string(path.status().message()));
  }
  if (c.backup().keep_count() == 0) c.mutable_backup()->set_keep_count(14);
  if (c.backup().keep_days() == 0) c.mutable_backup()->set_keep_days(35);
  if (c.backup().interval_hours() == 0) c.mutable_backup()->set_interval_hours(24);
  if (c.backup().keep_count() > 1000) {
    problem(*OwnRangeProblem("backup.keep_count"));
  }
  if (c.backup().keep_days() > kMaxBackupKeepDays) {
    problem(*OwnRangeProblem("backup.keep_days"));
  }
  if (c.backup().interval_hours() > kMaxBackupIntervalHours) {
    problem(*OwnRangeProblem("backup.interval_hours"));
  }
  if (c.backup().keep_days() * 24 + c.backup().interval_hours() > kMaxBackupErasureHours) {
    problem(absl::StrCat(
        "backup.keep_days * 24 + backup.interval_hours must be at most ", kMaxBackupErasureHours,
        ": a backup holding an erased record must be gone within 36 days of the erasure"));
  }
  if (!c.metrics().listen_address().empty()) {
    if (absl::Status address = CheckAddress("metrics.listen_address", c.metrics().listen_address());
        !address.ok()) {
      problem(std::string(address.message()));
    }
    if (SharePort(c.metrics().listen_address(), c.listen_address())) {
      problem(absl::StrCat("metrics.listen_address: ", c.metrics().listen_address(),
                           " is on the port of listen_address (", c.listen_address(),
                           "): the two cannot both listen there; choose another port"));
    }
  }
  auto* tls = c.mutable_tls();
  tls->set_client_ca_file(Resolve(base, tls->client_ca_file()));
  tls->set_cert_file(Resolve(base, tls->cert_file()));
  tls->set_key_file(Resolve(base, tls->key_file()));
  tls->set_crl_directory(Resolve(base, tls->crl_directory()));
  if (c.vetting().certificate_validity_days() == 0) {
    c.mutable_vetting()->set_certificate_validity_days(90);
  }
  // Retention deletes audit events for good: a value too small to be meant (a slip of the
  // finger, days taken for months) is refused rather than acted on within the hour.
  if (c.audit().retention_days() != 0 &&
      (c.audit().retention_days() < kMinAuditRetentionDays ||
       c.audit().retention_days() > kMaxAuditRetentionDays)) {
    problem(*OwnRangeProblem("audit.retention_days"));
  }
  auto* unknown = c.mutable_unknown_callers();
  if (unknown->audited_per_minute() == 0) unknown->set_audited_per_minute(10);
  if (unknown->audited_burst() == 0) unknown->set_audited_burst(20);
  if (unknown->audited_per_minute() > 10000) {
    problem(*OwnRangeProblem("unknown_callers.audited_per_minute"));
  }
  if (unknown->audited_burst() > 100000) {
    problem(*OwnRangeProblem("unknown_callers.audited_burst"));
  }
  if (c.threads() != 0 && (c.threads() < kMinThreads || c.threads() > kMaxThreads)) {
    problem(*OwnRangeProblem("threads"));
  }
  if (c.personal_number_pattern().empty()) c.set_personal_number_pattern("[0-9]{10}");
  if (c.retention_interval_seconds() == 0) c.set_retention_interval_seconds(3600);
  if (c.vetting().certificate_validity_days() > 3650) {
    problem(*OwnRangeProblem("vetting.certificate_validity_days"));
  }
  // A floor too short to cover a lookup would hold nothing; one of seconds is a slip.
  if (c.data_check_interval_hours() == 0) {
    c.set_data_check_interval_hours(kDefaultDataCheckIntervalHours);
  }
  if (c.data_check_interval_hours() > kMaxDataCheckIntervalHours) {
    problem(*OwnRangeProblem("data_check_interval_hours"));
  }
  if (c.vetting().lookup_floor_micros() == 0) {
    c.mutable_vetting()->set_lookup_floor_micros(kDefaultLookupFloorMicros);
  }
  if (c.vetting().lookup_floor_micros() < kMinLookupFloorMicros ||
      c.vetting().lookup_floor_micros() > kMaxLookupFloorMicros) {
    problem(*OwnRangeProblem("vetting.lookup_floor_micros"));
  }
  if (c.vetting().lookup_micros_per_read() == 0) {
    c.mutable_vetting()->set_lookup_micros_per_read(kDefaultLookupMicrosPerRead);
  }
  if (c.vetting().lookup_micros_per_read() > kMaxLookupMicrosPerRead) {
    problem(*OwnRangeProblem("vetting.lookup_micros_per_read"));
  }
  return c;
}

}  // namespace

absl::StatusOr<registry::v1::ServerConfig> FinishConfig(registry::v1::ServerConfig c,
                                                        absl::string_view base) {
  std::vector<std::string> problems;
  registry::v1::ServerConfig done = CompleteConfig(std::move(c), base, &problems);
  if (!problems.empty()) return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
  return done;
}

std::vector<std::string> ConfigProblems(const std::string& path) {
  absl::StatusOr<std::string> json = ReadFile(path);
  if (!json.ok()) return {std::string(json.status().message())};
  registry::v1::ServerConfig config;
  std::vector<std::string> problems;
  if (absl::Status parsed = ParseJson(*json, &config); !parsed.ok()) {
    // Every key that names no field and every value of the wrong type, at once; the rest is
    // read without them and checked too. A file that is no JSON object, or a key given twice,
    // is said as the parse says it, and hides the rest.
    JsonFieldReading fields = ReadJsonFields(*json, *config.GetDescriptor());
    config.Clear();
    const std::string other = AnotherRegistryFile(*json, *config.GetDescriptor());
    if (!other.empty() || fields.problems.empty() ||
        !ParseJson(fields.usable_json, &config).ok()) {
      return {absl::StrCat(path, ": ",
                           absl::StrJoin(JsonFileProblems(*json, *config.GetDescriptor(), parsed),
                                         "; "))};
    }
    problems = WithOwnRanges(std::move(fields.problems));
  }
  const size_t refused_fields = problems.size();
  CompleteConfig(std::move(config), DirName(path), &problems);
  // A required field refused for its type is not "required" too.
  problems.erase(std::remove_if(problems.begin() + refused_fields, problems.end(),
                                [&problems, refused_fields](const std::string& p) {
                                  if (!absl::EndsWith(p, " is required")) return false;
                                  const std::string field =
                                      p.substr(0, p.size() - strlen(" is required"));
                                  return std::any_of(
                                      problems.begin(), problems.begin() + refused_fields,
                                      [&field](const std::string& refused) {
                                        return absl::StartsWith(refused, field + ": ");
                                      });
                                }),
                 problems.end());
  for (std::string& p : problems) p = absl::StrCat(path, ": ", p);
  return problems;
}

absl::StatusOr<registry::v1::ServerConfig> LoadConfigLeavingOutRefusedFields(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::string json, ReadFile(path));
  registry::v1::ServerConfig config;
  if (absl::Status parsed = ParseJson(json, &config); !parsed.ok()) {
    const JsonFieldReading fields = ReadJsonFields(json, *config.GetDescriptor());
    config.Clear();
    if (fields.problems.empty() || !ParseJson(fields.usable_json, &config).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", parsed.message()));
    }
  }
  auto done = FinishConfig(std::move(config), DirName(path));
  if (!done.ok()) {
    return absl::Status(done.status().code(), absl::StrCat(path, ": ", done.status().message()));
  }
  return done;
}

absl::StatusOr<registry::v1::ServerConfig> LoadConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string json, ReadFile(path));
  // It names every other file: an account that may change it could name a policy of its own.
  if (std::string open = OpenToOthers(path); !open.empty()) {
    return absl::FailedPreconditionError(open);
  }
  registry::v1::ServerConfig config;
  absl::Status parsed = ParseJson(json, &config);
  if (!parsed.ok()) {
    // Said as --check_config says it: every field at once, in words.
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ",
        absl::StrJoin(WithOwnRanges(JsonFileProblems(json, *config.GetDescriptor(), parsed)),
                      "; ")));
  }
  auto done = FinishConfig(std::move(config), DirName(path));
  if (!done.ok()) {
    return absl::Status(done.status().code(), absl::StrCat(path, ": ", done.status().message()));
  }
  return done;
}

}  // namespace registry::server
