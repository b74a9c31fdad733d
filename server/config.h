// registryd's configuration: a registry.v1.ServerConfig (proto/registry/v1/config.proto) read
// from JSON with protobuf's own parser. Relative paths are resolved against the file's folder.
//
//   ASSIGN_OR_RETURN(registry::v1::ServerConfig config, LoadConfig("/etc/registry/registryd.json"));
#ifndef REGISTRY_SERVER_CONFIG_H_
#define REGISTRY_SERVER_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/strings/string_view.h"
#include "registry/v1/config.pb.h"

namespace registry::server {

// audit.retention_days, when not 0 (keep every event): at least a year, so that a yearly audit
// always finds the whole year it looks at; at most a century.
inline constexpr uint32_t kMinAuditRetentionDays = 365;
inline constexpr uint32_t kMaxAuditRetentionDays = 36500;

// vetting.lookup_floor_micros (server/fixed_span.h): the default, and the range a config may set.
inline constexpr uint32_t kDefaultLookupFloorMicros = 1000;
inline constexpr uint32_t kMinLookupFloorMicros = 200;
inline constexpr uint32_t kMaxLookupFloorMicros = 100000;

// The vetting lookup's floor as a duration. A config that did not pass FinishConfig (0, unset)
// gets the default rather than no floor at all.
absl::Duration VettingLookupFloor(const registry::v1::ServerConfig& config);
// vetting.lookup_micros_per_read: the default, the most a config may set, and as a duration
// (the default for a config that did not pass FinishConfig).
inline constexpr uint32_t kDefaultLookupMicrosPerRead = 10;
inline constexpr uint32_t kMaxLookupMicrosPerRead = 1000;
absl::Duration VettingLookupPerRead(const registry::v1::ServerConfig& config);

// data_check_interval_hours: the default, and the most a config may set (a month).
inline constexpr uint32_t kDefaultDataCheckIntervalHours = 24;
inline constexpr uint32_t kMaxDataCheckIntervalHours = 720;
// `threads`, when set: gRPC refuses the calls beyond them unaudited (config.proto).
inline constexpr uint32_t kMinThreads = 64;
inline constexpr uint32_t kMaxThreads = 10000;

// The erasure promise for backups (config.proto BackupConfig): a record erased now is in no
// backup after keep_days * 24 + interval_hours hours, and that may not exceed 36 days.
inline constexpr uint32_t kMaxBackupKeepDays = 35;
inline constexpr uint32_t kMaxBackupIntervalHours = 168;
inline constexpr uint32_t kMaxBackupErasureHours = 36 * 24;

// Reads, parses and validates the config file. NotFound when the file cannot be read;
// InvalidArgument (naming the file and the field) for a parse error, an unknown field, a key
// given twice, a missing required field or a malformed listen address. Defaults are filled in.
absl::StatusOr<registry::v1::ServerConfig> LoadConfig(const std::string& path);

// Validates and completes a config whose paths are already absolute or relative to `base_dir`.
// InvalidArgument with every problem found, joined by "; ".
absl::StatusOr<registry::v1::ServerConfig> FinishConfig(registry::v1::ServerConfig config,
                                                        absl::string_view base_dir);

// What LoadConfig refuses the file at `path` for, every problem, each "PATH: problem" on its
// own (a file that cannot be read or parsed has one); empty when it loads.
std::vector<std::string> ConfigProblems(const std::string& path);

// LoadConfig's reading with the keys that name no field and the values of the wrong type left
// out (ReadJsonFields): --check_config goes on checking what the rest of a refused config names.
// Fails as LoadConfig does for every other problem.
absl::StatusOr<registry::v1::ServerConfig> LoadConfigLeavingOutRefusedFields(
    const std::string& path);

// What ReadFile reads at most of one kind of file, and how a refusal names that kind.
struct FileLimit {
  const char* kind;  // "a CRL file", "the policy file"
  size_t max_bytes;
};
// Far above what each holds (a CRL of a hundred thousand serials is about 4 MiB; a policy of a
// thousand principals, a bundle of a hundred CAs, some 200 KiB), and far below what would
// strain registryd's memory if someone put a huge file in its place.
inline constexpr FileLimit kCrlFileLimit{"a CRL file", 16u << 20};
inline constexpr FileLimit kPolicyFileLimit{"the policy file", 1u << 20};
inline constexpr FileLimit kCaBundleLimit{"the client CA bundle", 1u << 20};
inline constexpr FileLimit kCrlNumbersLimit{"the CRL numbers file", 1u << 20};
// Every other file registryd reads whole (its config, key file, reference tables, certificates).
inline constexpr FileLimit kAnyFileLimit{"a file registryd reads", 64u << 20};

// Reads a whole file through one descriptor: the size is judged on the open file (fstat), so a
// file larger than `limit` is never loaded, however it got there (a sparse file of gigabytes
// costs nothing to make). NotFound / PermissionDenied with the path named; FailedPrecondition
// for a folder ("PATH is a folder, not a file": a stream reads nothing from it, and the JSON
// parser then said only "Unexpected end of string") and for a file over the limit ("cannot read
// PATH: it is N bytes, more than the 16 MiB a CRL file may be").
absl::StatusOr<std::string> ReadFile(const std::string& path, FileLimit limit = kAnyFileLimit);

// What lets a local account other than the owner and the group change `path` (a file or a
// folder; one not there yet is held to the folders that would hold it): it is writable by
// others, or a folder above it is writable by others without the sticky bit, so that any
// account may rename it away and put its own in its place. "" when nothing does; otherwise one
// sentence naming the path, its mode and the chmod that mends it. The group may write: the
// packaged layout gives registryd's files to root or registryd and the group registryd, whose
// only member is the service (docs/operations.md).
std::string OpenToOthers(const std::string& path);

// Parses protobuf JSON into `message`, refusing unknown fields and any key given twice in one
// object, at any depth (RepeatedKeyProblem: "principals: given twice", "tls.key_file: given
// twice"). InvalidArgument with the parser's message (which names the field) on failure.
absl::Status ParseJson(absl::string_view json, google::protobuf::Message* message);

// What is wrong with `json`, which ParseJson refused (`refused`) as `type`, in the registry's
// words: every key that names no field ("bogus: not a field", "rolle: not a field; did you mean
// role?") and every value of the wrong type ("principals[0].role: must be one of ROLE_CLERK,
// ...") at once (ReadJsonFields), else the parse's own message. A file that is another of
// registryd's files (its config where the access policy belongs, or the other way round) is said
// to be that, in place of its keys. How the config and the access policy are both reported.
std::vector<std::string> JsonFileProblems(absl::string_view json,
                                          const google::protobuf::Descriptor& type,
                                          const absl::Status& refused);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_CONFIG_H_
