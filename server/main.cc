// registryd: the registry service.
//
//   registryd --config /etc/registry/registryd.json          run the service
//   registryd --generate_key_file /etc/registry/keys.json    make a new key file (mode 0600)
//   registryd --key_file_record /etc/registry/keys.json      what identifies it, for a paper record
//   registryd --config C --export_public_keys DIR             write audit.pub.pem, vetting.pub.pem
//   registryd --config C --retire_kek N                       remove an unused KEK from the key file
//   registryd --check_config C                               check what start-up reads, one line
//                                                             per problem (exit 0: none, 2: some)
//   registryd --config C --verify_data                        check the stored data whole (offline)
//   registryd --config C --restore_backup ID                  restore a backup into data_dir (0: latest),
//                                                             then re-apply every later erasure
//   registryd --config C --confirm_clock                      the clock was checked: erasures trust it
//                                                             again (server/clock_guard.h)
//   registryd --config C --adopt_watermark                    a lost watermark: take the data as
//                                                             it is (audited)
//   registryd --config C --reseal_index                       seal the index anew once the data
//                                                             check finds nothing else (audited)
//
// Exit codes: 0 clean shutdown, 2 configuration error, 1 any other failure.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/core_dumps.h"
#include "common/json_log.h"
#include "common/suggest.h"
#include "common/time_format.h"
#include "server/check_config.h"
#include "server/config.h"
#include "server/grpc_core_log.h"
#include "server/key_file.h"
#include "server/listener_probe.h"
#include "server/metrics_endpoint.h"
#include "server/registry_server.h"
#include "storage/backups.h"
#include "storage/database.h"
#include "storage/key_rotation_state.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"
#include "storage/table_probe.h"

ABSL_FLAG(std::string, config, "", "Path of the JSON config file (registry.v1.ServerConfig).");
ABSL_FLAG(std::string, check_config, "",
          "Check this config file and everything start-up reads with it (policy, reference "
          "data, key file, TLS files, CRLs, folders, and the stored data against the key file, "
          "the erasure ledger and the audit watermark), writing nothing; print one line per "
          "problem, and exit: 0 when there is none, 2 otherwise.");
ABSL_FLAG(std::string, generate_key_file, "", "Write a new key file at this path and exit.");
ABSL_FLAG(std::string, key_file_record, "",
          "Print what identifies this key file without revealing it (key check value, KEK "
          "versions, signing key ids), for a key ceremony's paper record, and exit.");
ABSL_FLAG(std::string, export_public_keys, "",
          "Write the audit and vetting public keys (PEM) into this folder and exit.");
ABSL_FLAG(int, retire_kek, 0, "Remove this KEK version from the key file, if unused, and exit.");
ABSL_FLAG(int, restore_backup, -1, "Restore this backup id (0: latest) into data_dir and exit.");
ABSL_FLAG(bool, check_lock_order, false,
          "Keep abseil's Mutex deadlock detector on (it records every lock order in a graph and "
          "aborts on a cycle): a diagnostic that costs CPU on every lock. The tests run with it.");
ABSL_FLAG(bool, confirm_clock, false,
          "The clock was checked and is right: the retention run, held because the clock read "
          "far ahead of the time erasures last trusted, trusts it from now on. Writes an audit "
          "event and exits.");
ABSL_FLAG(bool, adopt_watermark, false,
          "The audit watermark is lost (or behind nothing that can be restored) and the data "
          "directory as it is becomes the registry's: its audit log's head becomes the mark. "
          "Writes an audit event and exits.");
ABSL_FLAG(bool, reseal_index, false,
          "After a broken index seal was investigated and the data is to be kept as it is: run "
          "the whole data check and, when it finds nothing but the seal, seal the index rows "
          "there are anew. Writes an audit event and exits.");
ABSL_FLAG(bool, verify_data, false,
          "Cross-check every record against its index rows, versions, the audit log and the "
          "erasure ledger, and every vetting history entry against its audit event; print what "
          "is wrong, and exit (1 when anything is).");

namespace {

using registry::server::RegistryServer;

// A fatal error: one JSON log line like every other line registryd writes, so that the journal
// reads with jq alone (docs/operations.md, "Watch it"): level "error", "stage" (what failed:
// "start-up", "configuration", "restore", ...) and "exit_code". Its "msg" is the sentence itself,
// "registryd: STAGE: why", as the runbook quotes them, so that a search for one finds it.
int Fail(int code, absl::string_view what, const absl::Status& status) {
  registry::LogLine("error", absl::StrCat("registryd: ", what, ": ", status.message()))
      .Str("stage", what)
      .Int("exit_code", code)
      .Write();
  return code;
}

// The numbers a mode flag takes. Its default (0, -1) means "not asked for", so a value below the
// least is refused rather than read as no such mode.
struct NumberRange {
  const char* flag;
  int least;
  const char* what;  // as in "--retire_kek takes <what>"
};
constexpr NumberRange kNumberRanges[] = {
    {"retire_kek", 1, "a key-encryption key version: 1 or more"},
    {"restore_backup", 0, "a backup id: 0 (the newest) or more"},
};

constexpr char kUsage[] =
    "The registry of persons convicted of criminal offences against sexual integrity.\n"
    "\n"
    "Usage:\n"
    "  registryd --config FILE                           serve\n"
    "  registryd --check_config FILE                     check what start-up checks\n"
    "  registryd --generate_key_file FILE                write a new key file\n"
    "  registryd --key_file_record FILE                  what identifies a key file\n"
    "  registryd --config FILE --export_public_keys DIR  write the public keys (PEM)\n"
    "  registryd --config FILE --verify_data             check the stored data whole\n"
    "  registryd --config FILE --restore_backup ID       restore a backup (0: newest)\n"
    "  registryd --config FILE --retire_kek VERSION      retire an unused KEK\n"
    "  registryd --config FILE --confirm_clock           erasures trust the clock\n"
    "  registryd --config FILE --adopt_watermark         take the data as it is\n"
    "  registryd --config FILE --reseal_index            seal the index anew\n"
    "\n"
    "Exit codes: 0 done (or a clean shutdown), 2 a usage or configuration error,\n"
    "1 any other failure.";

// Whether the command line asks for help: --help, --helpshort, --helpfull or --helppackage, with
// one dash or two. abseil's own answer exits 1 (a script reads that as a failure), names the
// file the flags were compiled from (a build machine's path) and, for --helpfull, lists its own
// flags, which registryd does not take. (--help=WORD, --helpon and --helpmatch stay abseil's.)
bool AsksForHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--")) absl::ConsumePrefix(&arg, "-");
    if (arg == "help" || arg == "helpshort" || arg == "helpfull" || arg == "helppackage") {
      return true;
    }
  }
  return false;
}

// The usage, then every flag of registryd's (those defined in this file) with its help, wrapped
// for a terminal.
void PrintHelp() {
  absl::PrintF("%s\n\nFlags:\n", kUsage);
  std::vector<const absl::CommandLineFlag*> own;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), "server/main.cc")) own.push_back(flag);
  }
  std::sort(own.begin(), own.end(), [](const absl::CommandLineFlag* a,
                                       const absl::CommandLineFlag* b) {
    return a->Name() < b->Name();
  });
  for (const absl::CommandLineFlag* flag : own) {
    absl::PrintF("  --%s\n", flag->Name());
    std::string line = "     ";
    for (absl::string_view word : absl::StrSplit(flag->Help(), ' ', absl::SkipEmpty())) {
      if (line.size() + 1 + word.size() > 80 && line.size() > 5) {
        absl::PrintF("%s\n", line);
        line = "     ";
      }
      absl::StrAppend(&line, " ", word);
    }
    absl::PrintF("%s\n", line);
  }
}

// The flag of registryd's own that `typed` (a flag's name, without "--") was meant as: the same
// name with hyphens for underscores (--check-config), or a near miss (--verify_dta); nullopt
// when none is close.
std::optional<std::string> FlagMeant(absl::string_view typed) {
  std::vector<std::string> names;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (absl::EndsWith(flag->Filename(), "server/main.cc") && !flag->IsRetired()) {
      names.push_back(std::string(name));
    }
  }
  std::sort(names.begin(), names.end());
  const std::string underscored = absl::StrReplaceAll(typed, {{"-", "_"}});
  if (std::find(names.begin(), names.end(), underscored) != names.end()) return underscored;
  return registry::Closest(underscored, names);
}

// What is wrong with the command line before abseil reads it, or "" when nothing is: a flag
// registryd does not know, or a word that is no flag. abseil would print such a mistake as a
// plain text line the journal's JSON reader cannot take, and ignores arguments that are no
// flag (`registryd registryd.json` ran with no config and said only that --config is missing).
// A flag's name is repeated only when it looks like one (letters, digits, _ and -, at most 40):
// whatever else was typed is not echoed into the journal.
std::string CommandLineProblem(int argc, char** argv) {
  auto named = [](absl::string_view name) -> std::string {
    const bool plain = !name.empty() && name.size() <= 40 &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                         return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                c == '-';
                       });
    return plain ? absl::StrCat("--", name) : std::string("a flag");
  };
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      if (i + 1 < argc) return "registryd takes no arguments after --";
      break;
    }
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      return "registryd takes flags only, such as --config FILE; a word that is no flag was "
             "given (see registryd --help)";
    }
    absl::string_view name = arg.substr(0, arg.find('='));
    // abseil's help flags are read by ParseCommandLine itself and are not in the registry that
    // FindCommandLineFlag searches.
    // (--helpon=X and --helpmatch=X take their value after '=' only.)
    if (name == "help" || name == "helpfull" || name == "helpshort" || name == "helppackage" ||
        name == "version" || name == "only_check_args" || name == "helpon" ||
        name == "helpmatch") {
      continue;
    }
    // abseil's flags that read other files or the environment: a --flagfile naming the key file
    // printed every line of it on a parse error. registryd takes its settings from --config.
    if (name == "flagfile" || name == "fromenv" || name == "tryfromenv" || name == "undefok") {
      return absl::StrCat("--", name, " is not taken by registryd: give --config FILE");
    }
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    bool negated = false;
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      // --noverify_data is abseil's way of setting a boolean flag false.
      flag = absl::FindCommandLineFlag(name.substr(2));
      if (flag != nullptr && !flag->IsOfType<bool>()) flag = nullptr;
      negated = flag != nullptr;
    }
    if (flag == nullptr || flag->IsRetired()) {
      const std::optional<std::string> meant = FlagMeant(name);
      return absl::StrCat(named(name), " is not a flag of registryd",
                          meant.has_value() && named(name) != "a flag"
                              ? absl::StrCat(": did you mean --", *meant, "?")
                              : std::string(),
                          " (see registryd --help)");
    }
    // The value, checked here so that abseil's plain-text complaint, which repeats it, is never
    // reached: a flag that takes one and has none after '=' takes the next argument.
    const size_t equals = arg.find('=');
    const std::string flag_name = absl::StrCat("--", flag->Name());
    if (flag->IsOfType<bool>()) {
      if (equals == absl::string_view::npos) continue;
      const std::string value = absl::AsciiStrToLower(arg.substr(equals + 1));
      const bool known = value == "true" || value == "false" || value == "1" || value == "0" ||
                         value == "yes" || value == "no" || value == "t" || value == "f" ||
                         value == "y" || value == "n";
      if (negated || !known) return absl::StrCat(flag_name, " takes no value, or =true or =false");
      continue;
    }
    absl::string_view value;
    if (equals != absl::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::StrCat(flag_name, " needs a value (see registryd --help)");
    }
    if (flag->IsOfType<int>()) {
      int number = 0;
      if (!absl::SimpleAtoi(value, &number)) {
        return absl::StrCat(flag_name, " takes a whole number");
      }
      // A number outside a mode's range was taken for the mode not asked for: `--retire_kek -1`
      // started the server.
      for (const NumberRange& range : kNumberRanges) {
        if (flag->Name() == range.flag && number < range.least) {
          return absl::StrCat(flag_name, " takes ", range.what);
        }
      }
    } else if (value.empty()) {
      return absl::StrCat(flag_name, " needs a value (see registryd --help)");
    }
  }
  return "";
}

int WritePublicKeys(const registry::v1::ServerConfig& config, const std::string& dir) {
  auto keys = registry::server::LoadKeyFile(config.key_file());
  if (!keys.ok()) return Fail(2, "key file", keys.status());
  auto signing = registry::server::DeriveSigningKeys(keys->derivation_root);
  if (!signing.ok()) return Fail(1, "signing keys", signing.status());
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(2, "export", absl::NotFoundError(absl::StrCat(
                                 dir, " is not a folder: create it first (mkdir -p ", dir, ")")));
  }
  for (const auto& [name, signer] :
       {std::make_pair("audit.pub.pem", signing->audit.get()),
        std::make_pair("vetting.pub.pem", signing->vetting.get())}) {
    // Meant to be published, so readable by all (0644): the umask of 0077 set above made them
    // 0600, which the web server or the auditor's copy then could not read. Not through a link
    // planted at the name: it would have this user's files written over.
    const std::string path = absl::StrCat(dir, "/", name);
    const std::string pem = signer->PublicKeyPem();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                          0644);
    bool written = fd >= 0 && ::fchmod(fd, 0644) == 0;
    for (size_t done = 0; written && done < pem.size();) {
      const ssize_t n = ::write(fd, pem.data() + done, pem.size() - done);
      if (n < 0 && errno == EINTR) continue;
      written = n > 0;
      if (written) done += static_cast<size_t>(n);
    }
    const int error = errno;
    if (fd >= 0 && ::close(fd) != 0) written = false;
    if (!written) {
      return Fail(1, "export", absl::UnavailableError(absl::StrCat("cannot write ", path, ": ",
                                                                   std::strerror(error))));
    }
  }
  absl::PrintF("wrote %s/audit.pub.pem and %s/vetting.pub.pem\n", dir, dir);
  return 0;
}

// For a restore of a backup id that names none (`refused` NotFound): the backups there are, by
// id and date, to choose from ("; the backups in DIR are 1 (DATE), 2 (DATE) ..."). Read only
// from a folder the backup engine has made already (its meta folder), which it leaves as it is.
std::string BackupsThere(const registry::v1::ServerConfig& config, const absl::Status& refused) {
  if (!absl::IsNotFound(refused)) return "";
  std::vector<std::string> there;
  if (std::error_code ec; std::filesystem::is_directory(config.backup_dir() + "/meta", ec)) {
    if (absl::StatusOr<std::unique_ptr<registry::storage::Backups>> backups =
            registry::storage::Backups::Open(config.backup_dir());
        backups.ok()) {
      for (const registry::storage::Backups::Info& info : (*backups)->List()) {
        there.push_back(
            absl::StrCat(info.id, " (", registry::FormatInstant(info.created_at), ")"));
      }
    }
  }
  if (there.empty()) return "";
  return absl::StrCat("; the backups in ", config.backup_dir(), " are ",
                      absl::StrJoin(there, ", "), " (--restore_backup 0 restores the newest)");
}

int PrintKeyFileRecord(const std::string& path) {
  auto file = registry::server::ReadKeyFile(path);
  if (absl::IsNotFound(file.status())) {
    // The advice a start without its key file gets is to run this very command on a custody
    // copy: here the path typed names no file at all.
    struct stat st {};
    const int error = ::stat(path.c_str(), &st) == 0 ? 0 : errno;
    return Fail(2, "key file",
                absl::NotFoundError(absl::StrCat(
                    "there is no file at ", path, error == 0 ? "" : " (",
                    error == 0 ? "" : std::strerror(error), error == 0 ? "" : ")",
                    ": check the path typed, and that the medium holding the key file's copy "
                    "is mounted; nothing was read")));
  }
  if (!file.ok()) return Fail(2, "key file", file.status());
  auto material = registry::server::KeyMaterialFrom(*file);
  if (!material.ok()) return Fail(2, "key file", material.status());
  auto check = registry::storage::RecordStore::KeyCheckValue(material->derivation_root);
  if (!check.ok()) return Fail(1, "key check value", check.status());
  auto signing = registry::server::DeriveSigningKeys(material->derivation_root);
  if (!signing.ok()) return Fail(1, "signing keys", signing.status());
  std::vector<std::string> versions;
  for (const auto& k : file->keks()) versions.push_back(absl::StrCat(k.version()));
  absl::PrintF("Key check value:   %s\n", absl::BytesToHexString(*check));
  absl::PrintF("KEK versions:      %s (current %d)\n", absl::StrJoin(versions, ", "),
               file->current_kek_version());
  absl::PrintF("Audit key id:      %s\n", signing->audit->key_id());
  absl::PrintF("Vetting key id:    %s\n", signing->vetting->key_id());
  return 0;
}

int RetireKek(const registry::v1::ServerConfig& config, uint32_t version) {
  auto file = registry::server::ReadKeyFile(config.key_file());
  if (!file.ok()) return Fail(2, "key file", file.status());
  auto material = registry::server::KeyMaterialFrom(*file);
  if (!material.ok()) return Fail(2, "key file", material.status());
  absl::Status retired =
      registry::server::RetireKek(config, version, registry::SystemClock::Get());
  if (!retired.ok()) return Fail(1, "retire", retired);
  absl::PrintF("KEK version %d removed from %s\n", version, config.key_file());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  // abseil's help flags that registryd leaves to it (--helpon, --helpmatch) list registryd's own
  // flags (those defined in this file); abseil's default looks for a file named after the
  // program, which there is not, and listed none. A file is named from its source folder on,
  // never by where it was built.
  absl::FlagsUsageConfig usage;
  usage.normalize_filename = [](absl::string_view file) {
    for (const absl::string_view root : {"server/", "absl/"}) {
      if (const size_t at = file.rfind(root); at != absl::string_view::npos) {
        return std::string(file.substr(at));
      }
    }
    return std::string(file.substr(file.rfind('/') + 1));
  };
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  if (const std::string problem = CommandLineProblem(argc, argv); !problem.empty()) {
    return Fail(2, "usage", absl::InvalidArgumentError(problem));
  }
  if (AsksForHelp(argc, argv)) {
    PrintHelp();
    return 0;
  }
  absl::ParseCommandLine(argc, argv);
  // Every file and folder registryd makes (the database, backups, the erasure ledger, the
  // watermark, key files, exported keys) is its own user's only, whatever umask it inherited: a
  // shell's usual 022 would leave the database's files readable by every local account.
  ::umask(0077);
  // No core dump of a process that holds the key file's keys and the records it served.
  if (const absl::Status kept = registry::KeepOutOfCoreDumps(); !kept.ok()) {
    return Fail(1, "core dumps", kept);
  }
  // A write to a socket its peer closed is an error to handle where it happens, never the end of
  // the process (SIGPIPE's default action): gRPC and the metrics listener send with
  // MSG_NOSIGNAL, but not everything registryd links does.
  ::signal(SIGPIPE, SIG_IGN);
  // gRPC's own log lines as JSON, without their text (it can hold what a caller sent).
  registry::server::RouteGrpcCoreLog();
  // Debian's abseil is built with the deadlock detector on, which adds a lock-order graph update
  // to Mutex operations. The tests keep it (they run the server in their own processes); a
  // production registryd does not pay for it unless asked.
  if (!absl::GetFlag(FLAGS_check_lock_order)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }

  if (const std::string path = absl::GetFlag(FLAGS_generate_key_file); !path.empty()) {
    auto file = registry::server::GenerateKeyFile(absl::Now());
    if (!file.ok()) return Fail(1, "generate key file", file.status());
    absl::Status written = registry::server::WriteKeyFile(path, *file, /*overwrite=*/false);
    if (!written.ok()) return Fail(2, "generate key file", written);
    absl::PrintF("wrote a new key file %s (mode 0600)\n", path);
    return 0;
  }

  if (const std::string path = absl::GetFlag(FLAGS_key_file_record); !path.empty()) {
    return PrintKeyFileRecord(path);
  }

  if (const std::string path = absl::GetFlag(FLAGS_check_config); !path.empty()) {
    // Lines for a person at a terminal (and the journal, as the unit's ExecStartPre): text,
    // "problem: ..." each, not JSON.
    // A part it could not check (the database while registryd runs on it) is said to be so: the
    // check then does not claim that there is no problem.
    std::vector<std::string> not_checked;
    std::vector<std::string> warnings;
    const std::vector<std::string> problems =
        registry::server::CheckConfig(path, absl::Now(), ::geteuid(), &not_checked, &warnings);
    for (const std::string& p : problems) absl::PrintF("problem: %s\n", p);
    for (const std::string& n : not_checked) absl::PrintF("not checked: %s\n", n);
    // What start-up warns of and serves beside (a damaged backup): said, not counted.
    for (const std::string& w : warnings) absl::PrintF("warning: %s\n", w);
    const std::string unchecked =
        absl::StrCat(not_checked.empty()
                         ? std::string()
                         : absl::StrCat("; ", not_checked.size(), " part",
                                        not_checked.size() == 1 ? " was" : "s were",
                                        " not checked (above)"),
                     warnings.empty() ? std::string()
                                      : absl::StrCat("; ", warnings.size(), " warning",
                                                     warnings.size() == 1 ? "" : "s",
                                                     " (above)"));
    if (problems.empty()) {
      absl::PrintF("%s: %s\n", path,
                   not_checked.empty() ? absl::StrCat("no problem found", unchecked)
                                       : absl::StrCat("nothing wrong in what was checked",
                                                      unchecked));
      return 0;
    }
    absl::PrintF("%s: %d problem%s%s\n", path, problems.size(), problems.size() == 1 ? "" : "s",
                 unchecked);
    return 2;
  }

  const std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty()) {
    return Fail(2, "configuration", absl::InvalidArgumentError("--config FILE is required"));
  }
  auto config = registry::server::LoadConfig(config_path);
  if (!config.ok()) return Fail(2, "configuration", config.status());

  if (const std::string dir = absl::GetFlag(FLAGS_export_public_keys); !dir.empty()) {
    return WritePublicKeys(*config, dir);
  }
  // Before anything opens the data directory, and while no other thread runs (it forks): a
  // damaged table file that would abort RocksDB is named and refused instead
  // (storage/table_probe.h). A restore probes the directory it restored.
  // Every mode below writes into the data directory or beside the key file: only as their owner.
  if (absl::Status owner = registry::server::CheckRunsAsOwner(*config, ::geteuid()); !owner.ok()) {
    return Fail(2, "user", owner);
  }
  // Before anything opens the data directory: a restore that a crash or a kill stopped while it
  // swapped folders may have left data_dir absent, its old folder beside it, and a record of
  // both. Opening data_dir then would make a new, empty database there; the old folder is put
  // back instead, as it was (storage/backups.h).
  if (auto recovered = registry::storage::Backups::RecoverInterruptedRestore(config->data_dir());
      !recovered.ok()) {
    return Fail(1, "interrupted restore", recovered.status());
  } else if (!recovered->empty()) {
    registry::LogLine("warning", "an interrupted restore was undone; run it again if it is still "
                                 "wanted")
        .Str("detail", *recovered)
        .Write();
  }
  // What earlier restores moved aside still holds every record as it was then, records erased
  // since included (the erasure ledger is not applied to it): said at every start until deleted.
  for (const std::string& kept :
       registry::storage::Backups::KeptBeforeRestore(config->data_dir())) {
    registry::LogLine("warning",
                      "a data folder an earlier restore moved aside is kept: it still holds the "
                      "records erased since that restore, readable with the key file; delete it "
                      "once the incident is closed (docs/operations.md, \"Back up, verify and "
                      "restore\")")
        .Str("folder", kept)
        .Write();
  }
  // A restore killed after it put its copy in place: only that restore run again opens the
  // copy. Any other mode would serve it or write into it as if it were the registry's data
  // (its erasures unapplied), and the message says how to finish the restore or give up on it.
  const std::optional<registry::storage::Backups::UnfinishedRestore> unfinished =
      registry::storage::Backups::UnfinishedRestoreIn(config->data_dir());
  if (absl::GetFlag(FLAGS_restore_backup) < 0) {
    if (absl::Status refused =
            registry::storage::Backups::RefuseUnfinishedRestore(config->data_dir());
        !refused.ok()) {
      return Fail(1, "unfinished restore", refused);
    }
  }
  const auto probe_tables = [&config] {
    return registry::storage::ProbeTableFiles(config->data_dir());
  };
  if (const int v = absl::GetFlag(FLAGS_retire_kek); v > 0) {
    if (absl::Status probed = probe_tables(); !probed.ok()) return Fail(1, "database", probed);
    return RetireKek(*config, v);
  }
  if (absl::GetFlag(FLAGS_verify_data)) {
    if (absl::Status probed = probe_tables(); !probed.ok()) return Fail(1, "verify", probed);
    auto report = registry::server::VerifyDataOffline(*config);
    if (!report.ok()) return Fail(1, "verify", report.status());
    for (const std::string& p : report->problems) absl::PrintF("problem: %s\n", p);
    if (report->problem_count > report->problems.size()) {
      absl::PrintF("... and %d more problems\n", report->problem_count - report->problems.size());
    }
    absl::PrintF("%d records, %d versions, %d index rows, %d vetting checks, %d audit events: %s\n",
                 report->records, report->versions, report->index_rows, report->vetting_checks,
                 report->audit_events,
                 report->problem_count == 0 ? "consistent"
                                            : absl::StrCat(report->problem_count, " problems"));
    return report->problem_count == 0 ? 0 : 1;
  }
  if (absl::GetFlag(FLAGS_confirm_clock)) {
    if (absl::Status probed = probe_tables(); !probed.ok()) return Fail(1, "confirm clock", probed);
    absl::Time before;
    if (absl::Status s = registry::server::ConfirmClock(*config, registry::SystemClock::Get(), &before); !s.ok()) {
      return Fail(1, "confirm clock", s);
    }
    absl::PrintF("erasures trust the clock from %s (before: %s)\n",
                 registry::FormatInstant(absl::Now()),
                 before == absl::InfinitePast() ? std::string("none")
                                                : registry::FormatInstant(before));
    return 0;
  }
  if (absl::GetFlag(FLAGS_reseal_index)) {
    if (absl::Status probed = probe_tables(); !probed.ok()) return Fail(1, "reseal", probed);
    absl::StatusOr<uint64_t> rows =
        registry::server::ResealIndex(*config, registry::SystemClock::Get());
    if (!rows.ok()) return Fail(1, "reseal index", rows.status());
    absl::PrintF("the index is sealed anew: %d rows\n", *rows);
    return 0;
  }
  if (absl::GetFlag(FLAGS_adopt_watermark)) {
    if (absl::Status probed = probe_tables(); !probed.ok()) return Fail(1, "adopt", probed);
    bool adopted = false;
    uint64_t size = 0;
    if (absl::Status s = registry::server::AdoptWatermark(*config, &adopted, &size); !s.ok()) {
      return Fail(1, "adopt watermark", s);
    }
    if (adopted) {
      absl::PrintF("the audit watermark now holds the log's %d events\n", size);
    } else {
      absl::PrintF("the audit watermark already holds for the log's %d events: nothing was "
                   "written\n", size);
    }
    return 0;
  }
  if (const int asked = absl::GetFlag(FLAGS_restore_backup); asked >= 0) {
    // The backup is named before anything is done, so that the restore, its audit event and
    // what is printed all say which one: 0 is the newest backup, and never an older one in place
    // of a damaged newest one (storage/backups.h ChooseForRestore).
    // A backup folder that is not there is most often a config that names another one: said as
    // such, with the setting to look at, not as a folder that holds no backup.
    if (std::error_code ec; !std::filesystem::exists(config->backup_dir(), ec)) {
      return Fail(1, "restore",
                  absl::NotFoundError(absl::StrCat(
                      "there is no backup to restore: the backup folder ", config->backup_dir(),
                      " (backup_dir in the config) does not exist; check backup_dir; the data "
                      "folder ", config->data_dir(), " was not changed")));
    }
    absl::StatusOr<uint32_t> id = registry::storage::Backups::ChooseForRestore(
        config->backup_dir(), static_cast<uint32_t>(asked));
    if (!id.ok()) {
      return Fail(1, "restore",
                  absl::Status(id.status().code(),
                               absl::StrCat(id.status().message(),
                                            BackupsThere(*config, id.status()),
                                            "; the data folder ", config->data_dir(),
                                            " was not changed")));
    }
    int applied = 0;
    uint64_t lost = 0;
    std::string moved_aside;
    registry::server::RestoreLoss given_up;
    absl::Status s = registry::server::RestoreBackup(*config, *id, &applied, &lost,
                                                     &moved_aside, &given_up);
    if (!s.ok()) {
      Fail(1, "restore", s);
      if (!moved_aside.empty()) {
        // The backup replaced the folder but a later step failed: the old folder is the only
        // copy of what was written after the backup.
        registry::LogLine("error",
                          absl::StrFormat("registryd: the backup was put in %s, but the restore "
                                          "did not finish: run it again. What %s held before is "
                                          "kept, unchanged, in %s: it is the only copy of "
                                          "everything written after the backup",
                                          config->data_dir(), config->data_dir(), moved_aside))
            .Str("stage", "restore")
            .Str("moved_aside", moved_aside)
            .Write();
      }
      return 1;
    }
    if (!moved_aside.empty() && unfinished.has_value()) {
      // Kept too: nothing proves that nothing wrote into it since that restore stopped.
      absl::PrintF("what %s held before, the copy an unfinished restore had put there, is kept, "
                   "unchanged, in %s: the registry does not use it%s\n",
                   config->data_dir(), moved_aside,
                   unfinished->before.empty()
                       ? std::string()
                       : absl::StrCat("; what the registry held before that restore is in ",
                                      unfinished->before));
    } else if (!moved_aside.empty()) {
      // Never an invitation to delete it: it holds every change made after the backup, and the
      // damage the restore followed, which an investigation may need.
      absl::PrintF("what %s held before is kept, unchanged, in %s: the registry does not use it, "
                   "and it is the only copy of what was written after the backup\n",
                   config->data_dir(), moved_aside);
    }
    absl::PrintF("restored backup %d into %s; re-applied %d later %s from %s\n", *id,
                 config->data_dir(), applied, applied == 1 ? "erasure" : "erasures",
                 config->erasure_ledger_file());
    if (given_up.other_branch) {
      // Sizes alone said nothing was lost here, while the events of the log since the two
      // parted were given up: said as plainly as a going back is.
      absl::PrintF("%s, gone from this registry (the audit watermark %s now starts at the "
                   "backup's head)\n",
                   given_up.said, config->audit_watermark_file());
    } else if (lost > 0) {
      absl::PrintF("the audit log is back at the backup's head: the %d %s written after it "
                   "%s gone from this registry (the audit watermark %s now starts here)\n",
                   lost, lost == 1 ? "event" : "events", lost == 1 ? "is" : "are",
                   config->audit_watermark_file());
    }
    return 0;
  }

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (absl::Status probed = probe_tables(); !probed.ok()) return Fail(1, "start-up", probed);
  registry::server::RegistryServerOptions options;
  options.config = *config;
  auto server = RegistryServer::Start(std::move(options));
  if (!server.ok()) {
    const auto code = server.status().code();
    const bool config_error = code == absl::StatusCode::kInvalidArgument ||
                              code == absl::StatusCode::kFailedPrecondition ||
                              code == absl::StatusCode::kNotFound ||
                              code == absl::StatusCode::kPermissionDenied;
    return Fail(config_error ? 2 : 1, "start-up", server.status());
  }
  registry::ServingLine(config->listen_address(), (*server)->port()).Write();

  // The gRPC listener probed every 30 s (server/listener_probe.h): one that took no connection
  // three times running (gRPC 1.51 stops accepting for good after running out of files) stops
  // registryd, cleanly and with exit status 1, so that the service manager starts it again
  // (Restart=on-failure), rather than leave a process that answers nobody.
  std::atomic<bool> listener_dead{false};
  absl::Notification stopping;
  std::thread listener_watch([&] {
    std::string host;
    int unused_port = 0;
    if (!registry::server::SplitHostPort("listen_address", config->listen_address(), &host,
                                         &unused_port)
             .ok()) {
      return;
    }
    const std::string probe_host = registry::server::ProbeHostFor(host);
    int silent = 0;
    while (!stopping.WaitForNotificationWithTimeout(absl::Seconds(30))) {
      const registry::server::ListenerProbe probe =
          registry::server::ProbeListener(probe_host, (*server)->port(), absl::Seconds(5));
      if (probe == registry::server::ListenerProbe::kServerHello) {
        silent = 0;
        continue;
      }
      if (probe == registry::server::ListenerProbe::kNoHandshake) {
        // The listener works; a restart would not mend the files, and connections made before
        // the change go on being served.
        silent = 0;
        registry::LogLine("error",
                          "the gRPC listener takes connections but completes no TLS handshake: "
                          "the server certificate or its key (tls.cert_file, tls.key_file) is "
                          "damaged or they do not match; new connections fail until both are "
                          "put right (gRPC re-reads them every few seconds)")
            .Write();
        continue;
      }
      registry::LogLine("warning", "the gRPC listener took no connection within 5 s")
          .Int("times", ++silent)
          .Write();
      if (silent < 3) continue;
      registry::LogLine("error",
                        "the gRPC listener takes no connection (gRPC stops accepting after "
                        "running out of open files); stopping so that the service manager starts "
                        "registryd again")
          .Write();
      listener_dead = true;
      ::kill(::getpid(), SIGTERM);
      return;
    }
  });

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      // The policy, the server's certificate and key (a watcher looks at them every few seconds
      // too), and the client CA bundle with the revocation lists.
      registry::server::LogServerCertificate((*server)->ReloadServerCertificate());
      absl::Status s = (*server)->ReloadPolicy();
      if (s.ok()) {
        registry::LogLine("info", "access policy reloaded").Write();
      } else {
        registry::LogLine("error", "new access policy refused; the previous one stays in force")
            .Str("detail", s.message())
            .Write();
      }
      // The client CA bundle is read again with or without CRLs (the gate checks every
      // certificate against the CAs it accepted); a refused bundle leaves the previous client CAs
      // in force.
      absl::Status r = (*server)->ReloadRevocation();
      if (config->tls().crl_directory().empty()) {
        if (r.ok()) {
          registry::LogLine("info", "client CA bundle reloaded").Write();
        } else {
          registry::LogLine("error",
                            "client CA bundle refused; the previous client CAs stay in force")
              .Str("detail", r.message())
              .Write();
        }
      } else {
        // The CRLs were read again against the CAs in force all the same, and the lines below
        // say what they are now.
        if (!r.ok()) {
          registry::LogLine("error",
                            "client CA bundle refused; the previous client CAs stay in force, "
                            "checked against the CRL folder as it is now")
              .Str("detail", r.message())
              .Write();
        }
        const std::vector<std::string> problems = (*server)->RevocationProblems();
        if (problems.empty()) {
          registry::LogLine("info",
                            r.ok() ? "revocation lists reloaded; every client CA has a current CRL"
                                   : "revocation lists reloaded; every previous client CA has a "
                                     "current CRL")
              .Write();
        }
        for (const std::string& p : problems) {
          registry::LogLine("error", "revocation lists").Str("detail", p).Write();
        }
      }
      continue;
    }
    registry::LogLine("info", "shutting down").Int("signal", sig).Write();
    break;
  }
  stopping.Notify();
  listener_watch.join();
  (*server)->Shutdown(absl::Seconds(10));
  server->reset();  // closes RocksDB cleanly
  registry::LogLine("info", "stopped").Write();
  return listener_dead ? 1 : 0;
}
