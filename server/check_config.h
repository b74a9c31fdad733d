// CheckConfig: `registryd --check_config FILE`. Everything start-up reads, checked without
// starting: the config itself, the access policy, the reference data and the personal-number
// pattern, the key file (and its mode), the TLS files (the server certificate's dates, its key
// matching it, the client CA bundle), the CRLs (each client CA needs a current one), the folders
// registryd writes (data, backups, the erasure ledger's, the audit watermark's, the CRL
// numbers'), that no other local account than the owner and group may change the config, the
// policy, what registryd trusts or the state (OpenToOthers), that the data folder and the key file
// belong to the user it runs as, and the stored data as start-up holds it before it serves: its
// table files, the key file against the database (the key check value, each KEK's), the audit
// log's id and state, the erasure ledger against the database's marker (a ledger missing,
// truncated or of another installation) and the audit log against the audit watermark (a data
// folder put back from an earlier copy). It listens on no port and writes nothing: it creates no
// database, no erasure ledger and no watermark, and opens the database read-only, so that no
// file of the data folder is written, made, renamed or deleted (after a crash the write-ahead
// log is replayed in memory, not into table files); the writes the storage classes would make
// on an open are refused and said to be not checked. It also names every damaged backup in the
// backup folder (storage::Backups::Damaged, read without writing there) as a warning: start-up
// warns of it too, and serves.
//
// The database is opened only when no process has it open: beside a running registryd (e.g. on
// a new config before a restart) the stored data is not checked, and said to be not checked,
// as it is when start-up would first write to the database or undo an interrupted restore.
// A CRL older than one registryd read before (the numbers in crl_number_file) is a problem, as
// at start-up: the numbers are read through a private copy under $TMPDIR, removed at once, for
// reading them is how the CRL check would otherwise write them back.
//
// The listen addresses (the API's and the metrics') are bound and closed at once, as start-up
// binds them before anything else: an address that is not this machine's, or a host that does
// not resolve, is a problem; a port in use is a warning, for the check may run beside the
// registryd that listens there.
#ifndef REGISTRY_SERVER_CHECK_CONFIG_H_
#define REGISTRY_SERVER_CHECK_CONFIG_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/secret_bytes.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/config.pb.h"
#include "storage/backups.h"

namespace registry::storage {
class AuditLog;
}  // namespace registry::storage

namespace registry::server {

// One line per problem, each naming the field or file concerned; empty when start-up would find
// nothing wrong with what it reads. `now` decides certificate and CRL dates; `uid` is the user
// registryd would run as (CheckRunsAsOwner; registryd --check_config passes its effective uid).
// `not_checked` (may be null) receives one line for each part that could not be checked, and
// why; a check with such lines did not find that there is no problem. Probes the data folder's
// table files in a child process (storage/table_probe.h): call it before threads start.
// `warnings` (may be null) receives one line for each thing that start-up warns of but does not
// refuse (a damaged backup, which can be neither verified nor restored), and for a port in use.
std::vector<std::string> CheckConfig(const std::string& path, absl::Time now, uid_t uid,
                                     std::vector<std::string>* not_checked = nullptr,
                                     std::vector<std::string>* warnings = nullptr);

// Start-up's read-back of the audit events written since the last data check (all the retained
// ones when there was none), each authenticated, newest first: a missing event or one that fails
// authentication is DataLoss (storage::AuditDamagedAt), for the log was damaged or tampered with
// and a registry writing on would bury it under new events. Older events are the data check's
// and `audit verify --full`'s. Reads only: start-up (RegistryServer::CheckAuditSinceLastDataCheck)
// and --check_config run this one walk, so that the check passes no log the start refuses.
// `read` (may be null) is given every event the walk reads and decodes, chunk by chunk from the
// newest back (each chunk in index order); `*read_from` (may be null) is set to where the walk
// stopped: every retained event from there to the head it began at was read and authenticated.
// Start-up hands both to RecallLastChecks, which so does not read those events again.
absl::Status CheckAuditSinceLastDataCheck(
    const storage::AuditLog& audit,
    const std::function<void(uint64_t index, const registry::v1::AuditEvent& event)>& read =
        nullptr,
    uint64_t* read_from = nullptr);

// OK when `path` is a folder this process may write, or one it may create (it does not exist and
// its parent is writable); otherwise FailedPrecondition starting with `field`, naming the folder
// and the system's reason. The check and start-up both hold backup_dir to it.
absl::Status WritableFolder(absl::string_view field, const std::string& path);

// OK when the folder of `file` (a file registryd writes whole under a temporary name beside it:
// the erasure ledger, the audit watermark, the CRL numbers) is there and this process may write
// it, and `file` is not a folder; otherwise FailedPrecondition starting with `field`. Start-up
// makes none of these folders: it refused what the check had passed.
absl::Status WritableFileFolder(absl::string_view field, const std::string& file);

// One line for each reason the server's certificate (the first of `cert_file`, tls.cert_file)
// cannot serve TLS to the registry's clients at `now`, each starting "tls.cert_file: ", naming
// the file and what to use instead: a file that cannot be read or holds no PEM certificate; a
// certificate expired or not valid yet; a CA's certificate (CA:TRUE); one whose extendedKeyUsage
// leaves out serverAuth (a client's certificate: every client refused the server with
// "unsuitable certificate purpose"), or whose keyUsage leaves out digitalSignature (an RSA
// key's may give keyEncipherment instead); one that names no host (no DNS or IP
// subjectAltName) for a client to check. The check lists them and start-up refuses them
// (ServerCertificateServes), by real time, as the clients' handshakes judge the dates.
std::vector<std::string> ServerCertificateProblems(const std::string& cert_file, absl::Time now);

// ServerCertificateProblems of `pem`, the bytes read from `cert_file`: for a reload, which checks
// the very bytes it then serves (registryd's copy of the server's certificate, tls_identity.h).
std::vector<std::string> ServerCertificatePemProblems(const std::string& cert_file,
                                                      const std::string& pem, absl::Time now);

// Start-up's form of ServerCertificateProblems: FailedPrecondition with every line, joined by
// "; ", or OK when there is none.
absl::Status ServerCertificateServes(const std::string& cert_file, absl::Time now);

// One line for each part of the state registryd keeps that a local account other than its
// owner and group may change (OpenToOthers): data_dir, backup_dir, erasure_ledger_file,
// audit_watermark_file and, with tls.crl_directory, crl_number_file. Each starts with the field.
// The check lists them and start-up refuses them.
std::vector<std::string> StateOpenToOthers(const registry::v1::ServerConfig& config);

// Likewise for what registryd trusts rather than keeps: the key file, the client CA bundle, the
// server's certificate and key, and every file of reference_dir (the retention rules) and
// tls.crl_directory. Another local account that could change the bundle could add its own CA
// and make its certificates a court's; the retention rules, make records spent early. (The
// policy file is held to it where it is read: PolicyStore; the config file by LoadConfig.)
std::vector<std::string> TrustOpenToOthers(const registry::v1::ServerConfig& config);

// With tls.crl_directory unset: FailedPrecondition, starting with "tls.crl_directory: ", when
// crl_number_file holds CRL numbers (a non-empty file: revocation was in force for this
// installation, and without it a revoked certificate would be taken again), saying how to go on;
// OK otherwise (and when tls.crl_directory is set). The check lists it and start-up refuses it;
// with OK and no crl_directory, both warn kRevocationOff.
absl::Status RevocationWasInForce(const registry::v1::ServerConfig& config);
inline constexpr char kRevocationOff[] =
    "tls.crl_directory: not set: revocation checking is off, so a revoked client certificate is "
    "accepted until it expires unless the policy's deny list names it; set tls.crl_directory to "
    "the CRL folder to check revocation";

// What a data folder that holds no registry data holds, in the words of the refusals below.
inline constexpr char kHoldsNoDatabase[] = "holds no database";
inline constexpr char kHoldsOtherFamilies[] =
    "holds a database without this registry's column families (one another program made)";
inline constexpr char kHoldsNoRow[] = "holds a database with no row in it";
inline constexpr char kHoldsNoEvent[] = "holds a database whose audit log holds no event";

// A data folder that holds no registry data, as start-up finds it before it writes there: no
// database (a missing or empty folder), a database without this registry's column families,
// one with no row, or one whose audit log holds no event (`holds`: one of the kHolds* words).
// It is taken for a new installation only when nothing outside it says that the registry held
// data. FailedPrecondition, naming data_dir, what it holds, what proves there was data and what
// to do (correct data_dir, or put the folder back or restore a backup: docs/operations.md),
// when the audit watermark counts events, the erasure ledger holds authenticated entries, or
// the backup folder holds backups (damaged ones too); the watermark's or the ledger's own
// DataLoss or Unavailable when it cannot be read or fails authentication. Reads only: nothing
// is written or made, in the folder or beside it. Start-up, --check_config and every offline
// mode hold such a folder to it before anything is written there; it had been served as an
// empty registry that answers CLEAR for everyone, the ledger's erasures "applied" to nothing.
absl::Status RefuseAnEmptyFolderWithAPast(const registry::v1::ServerConfig& config,
                                          const crypto::SecretBytes& derivation_root,
                                          absl::string_view holds);

// The erasure ledger held to every backup in the backup folder: each recorded, when it was made,
// how many erasures its database had applied and the MAC of the last (storage/backups.h
// Info::erasures), and the ledger must hold them. A data folder put back from a copy made
// before an erasure, with the key folder's ledger and audit watermark from the same copy,
// agrees with both, and a start served the erased record again; a backup made since says the
// erasure was made. FailedPrecondition naming the backup, the ledger and what to do; the
// ledger's DataLoss or Unavailable when it cannot be read. Read from the backups' meta files
// only (no backup is opened, so it costs the same at every size). Backups made before they
// recorded it are not held here (their ids in `*unrecorded`, when given): a restore still
// holds the ledger to a newer one by opening it (LedgerHoldsTheErasuresOf). A backup folder
// that cannot be read is left to what reads it to say. Writes nothing.
// Only a backup this registry made binds the ledger: the meta file is not authenticated, and
// anyone who may write the backup folder can add a backup, or edit one's line, to claim
// erasures no ledger holds. So a backup whose count the ledger does not meet is refused only
// when its record of authentication fits it (Backups::CheckAuthentic, on this path alone: a
// start whose ledger holds every count hashes nothing). One whose record is missing or does not
// fit is not a reason to refuse: it is named (its id, and in its reason the folder, why and what
// to do) in `*not_made_here`, or, when that is null, in a warning in the log; the older backups
// are still held to the ledger.
absl::Status LedgerHoldsEveryBackup(const registry::v1::ServerConfig& config,
                                    const crypto::SecretBytes& derivation_root,
                                    std::vector<uint32_t>* unrecorded = nullptr,
                                    std::vector<storage::Backups::Damaged>* not_made_here =
                                        nullptr);

// FailedPrecondition when the data directory or the key file exists and belongs to another user
// than `uid`: registryd run so (as root, following a runbook, for a service that runs as its
// own user) would leave files owned by that other user, mode 0600, which the service then
// cannot read. The message names the owner to run as. Checked before every mode that writes
// there: serving, --verify_data, --restore_backup, --retire_kek.
absl::Status CheckRunsAsOwner(const registry::v1::ServerConfig& config, uid_t uid);

}  // namespace registry::server

#endif  // REGISTRY_SERVER_CHECK_CONFIG_H_
