// audit subcommands: list, export and verify.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/audit_events.h"
#include "client/audit_verifier.h"
#include "client/certificate_check.h"
#include "client/cli_output.pb.h"
#include "client/commands.h"
#include "client/files.h"
#include "client/grpc_audit_log_source.h"
#include "client/json_io.h"
#include "common/suggest.h"
#include "client/terminal_text.h"
#include "common/audit_filter.h"
#include "common/identity_text.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/info.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {
namespace {

absl::StatusOr<std::unique_ptr<v1::AuditService::Stub>> AuditStub(CommandContext& ctx) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  return v1::AuditService::NewStub(channel);
}

// Whether `actor` can be an event's actor: an identity, which is a certificate's one URI SAN
// (server/identity.h), "scheme:rest" of 1..256 printable ASCII characters without spaces, or the
// registry's own "system:<job>", of the same shape. The server compares the whole text, so a
// role ("clerk"), a certificate's common name or a URI without its scheme matches no event. A URI
// whose authority is empty ("spiffe://") names no caller either.
bool CanBeActor(absl::string_view actor) {
  if (!IdentityUriShaped(actor)) return false;
  absl::string_view rest = actor.substr(actor.find(':') + 1);
  if (absl::ConsumePrefix(&rest, "//")) return !rest.empty() && rest.front() != '/';
  return true;
}

// The registry's own actors ("system:<job>", server/call_gate.h CommitSystemEvent and the jobs
// that write their own events).
constexpr absl::string_view kSystemActors[] = {
    "system:audit-retention", "system:backup",          "system:clock",
    "system:data-check",      "system:erasure-ledger",  "system:gate",
    "system:key-file",        "system:key-rotation",    "system:policy",
    "system:restore",         "system:retention",       "system:retention-rules",
    "system:storage",         "system:storage-schema",  "system:vetting-limits",
    "system:watermark"};

// Whether `actor` (one CanBeActor takes) reads as a whole identity: one of the registry's own
// actors, or a URI whose path names a role and a caller (spiffe://registry.kjc.dev/court/pk-1) as
// the registry's certificates do. An --actor that matches no event gets a note only otherwise:
// a URI cut short ("spiffe://registry.kjc.dev/court") or a job misspelt ("system:gates") may be
// why, while a whole identity that did nothing is an answer, and the note would put it in doubt.
bool LooksLikeAWholeIdentity(absl::string_view actor) {
  if (std::find(std::begin(kSystemActors), std::end(kSystemActors), actor) !=
      std::end(kSystemActors)) {
    return true;
  }
  absl::string_view rest = actor.substr(actor.find(':') + 1);
  if (!absl::ConsumePrefix(&rest, "//")) return false;
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return false;
  const absl::string_view path = rest.substr(slash + 1);
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  return parts.size() >= 2 && std::none_of(parts.begin(), parts.end(),
                                           [](absl::string_view part) { return part.empty(); });
}

// The id of --record-id or --check-id, lowercased (the registry writes its ids in lowercase, one
// spelling each; an id copied in capitals is the same id), or nullopt when it cannot be one: 32
// hexadecimal digits (storage/ids.h). A personal number or a case number there matches nothing.
std::optional<std::string> RegistryIdOf(absl::string_view text) {
  if (text.size() != 32 ||
      !std::all_of(text.begin(), text.end(),
                   [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); })) {
    return std::nullopt;
  }
  return absl::AsciiStrToLower(text);
}

// The filter from --from, --to, --actor, --action, --record-id, --check-id and --outcome. The
// server applies each as an exact comparison and answers a value that can never match with an
// empty list (or, for a check id, with a refusal that names only the field), so such a value is
// refused here, saying what the option takes. Values typed are not repeated where they may be a
// person's (an actor, a record id or a check id typed by mistake).
absl::StatusOr<v1::AuditFilter> FilterFromArgs(const ParsedArgs& args) {
  v1::AuditFilter filter;
  std::optional<absl::Time> from, to;
  for (const char* option : {"from", "to"}) {
    if (auto instant = args.Get(option)) {
      const bool is_from = absl::string_view(option) == "from";
      absl::StatusOr<absl::Time> parsed = ParseInstant(*instant);
      // A date alone ("--from 2026-12-06") is a whole day, in UTC as the log's times are: --from
      // from its start, --to to its end (the start of the next day, which --to leaves out).
      if (!parsed.ok() && DateProblem(*instant).empty()) {
        if (absl::StatusOr<absl::CivilDay> day = ParseDate(*instant); day.ok()) {
          parsed = absl::FromCivil(is_from ? *day : *day + 1, absl::UTCTimeZone());
        }
      }
      if (!parsed.ok()) {
        return UsageError(absl::StrCat("--", option, " must be an RFC 3339 instant, e.g. "
                                       "2026-11-28T14:30:00Z, or a date (YYYY-MM-DD, a day in "
                                       "UTC)"));
      }
      const std::string sent = ParseInstant(*instant).ok()
                                   ? *instant
                                   : absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *parsed,
                                                      absl::UTCTimeZone());
      if (is_from) {
        from = *parsed;
        filter.set_from_time(sent);
      } else {
        to = *parsed;
        filter.set_to_time(sent);
      }
    }
  }
  if (from.has_value() && to.has_value() && *from >= *to) {
    return UsageError(
        "--from must be before --to: the events listed are those at or after --from and "
        "before --to");
  }
  if (auto actor = args.Get("actor")) {
    if (!CanBeActor(*actor)) {
      return UsageError(
          "--actor must be a caller's whole identity URI, as `registry-cli whoami` prints it "
          "after \"identity:\" and `audit list` after \"by\" (e.g. "
          "spiffe://registry.kjc.dev/court/dev-court), or one of the registry's own, such as "
          "system:gate; a role, a certificate's common name or a part of the URI matches no "
          "event");
    }
    filter.set_actor(*actor);
  }
  if (auto action = args.Get("action")) {
    std::optional<std::string> full = FullMethodName(*action);
    // A full name is taken as it is (gRPC's own services are audited too), but one of this API
    // must name one of its methods.
    if (full.has_value() && absl::StartsWith(*full, "/registry.") &&
        FullMethodName(ShortMethod(*full)) != full) {
      full.reset();
    }
    if (!full.has_value()) {
      // The typed value is repeated only when it is spelled as a full method name
      // ("/package.Service/Method", which no name or number is): a plain word may be a person's
      // name.
      const bool method_shaped =
          absl::StartsWith(*action, "/") && std::count(action->begin(), action->end(), '/') == 2 &&
          absl::StrContains(*action, ".") &&
          std::all_of(action->begin(), action->end(), [](char c) {
            return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/' ||
                   c == '_';
          });
      // A method name in other capitals ("getrecord") is one of ours typed loosely: the method
      // is suggested (our word, not the typed one).
      std::string suggestion = "e.g. GetRecord";
      bool same_letters = false;
      for (const std::string& name : ApiMethodNames()) {
        if (absl::EqualsIgnoreCase(name, *action)) {
          suggestion = absl::StrCat("did you mean ", name, "?");
          same_letters = true;
        }
      }
      // A near miss ("GetRecrod", "SearchRecord"): the method is suggested, our word only. Names
      // compared in small letters, so that "getrecrod" is one too.
      if (!same_letters) {
        const std::vector<std::string> names = ApiMethodNames();
        std::vector<std::string> lowered;
        for (const std::string& name : names) {
          lowered.push_back(absl::AsciiStrToLower(name));
        }
        const std::string typed = absl::AsciiStrToLower(ShortMethod(*action));
        if (typed.size() >= 5) {
          if (std::optional<std::string> near = Closest(typed, lowered)) {
            const auto at = std::find(lowered.begin(), lowered.end(), *near);
            suggestion =
                absl::StrCat("did you mean ", names[at - lowered.begin()], "?");
          }
        }
      }
      return UsageError(absl::StrCat(
          "--action: ", method_shaped ? absl::StrCat("\"", *action, "\" is ") : "",
          "not a method of the API (", suggestion, ")"));
    }
    filter.set_action(*full);
  }
  if (auto record_id = args.Get("record-id")) {
    std::optional<std::string> id = RegistryIdOf(*record_id);
    if (!id.has_value()) {
      return UsageError(
          "--record-id must be a record id: 32 characters 0-9 and a-f, as `record create` "
          "printed it and `audit list` shows it after \"records\"");
    }
    filter.set_record_id(*id);
  }
  // The id an employer quotes after a REFER: its vetting certificate's id, which is the check's.
  if (auto check_id = args.Get("check-id")) {
    std::optional<std::string> id = RegistryIdOf(*check_id);
    if (!id.has_value()) {
      return UsageError(
          "--check-id must be a check id: 32 characters 0-9 and a-f, as `vet check` printed it "
          "after \"check id:\", the certificate gives it and `audit list` shows it after "
          "\"check\"");
    }
    filter.set_check_id(*id);
  }
  if (auto outcome = args.Get("outcome")) {
    const std::string wanted = absl::AsciiStrToUpper(*outcome);
    bool found = false;
    for (int code = 0; code <= kMaxStatusCode; ++code) {
      if (absl::StatusCodeToString(static_cast<absl::StatusCode>(code)) == wanted) {
        filter.set_outcome_plus_one(code + 1);
        found = true;
      }
    }
    if (!found) {
      // The names it takes, not what was typed: a filter may hold anything, a personal number
      // or a name typed in the wrong option included.
      std::vector<std::string> names;
      for (int code = 0; code <= kMaxStatusCode; ++code) {
        names.push_back(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
      }
      return UsageError(absl::StrCat("--outcome must be a status code name (any case): ",
                                     absl::StrJoin(names, ", ")));
    }
  }
  return filter;
}

// The width audit list keeps to: an event is a line of columns and indented lines of details,
// none wider than this, whatever the event holds (an import's event names a record per row).
constexpr size_t kListWidth = 80;
constexpr size_t kDetailIndent = 6;
// Where the values of an event's block start: after its longest label ("Recipient:").
constexpr size_t kBlockLabelWidth = 10;
// Of a list (record ids, tokens) longer than this, only the first is shown and a count of the
// others; --json shows them all, and --record-id finds an event by any of its records.
constexpr int kListedItems = 2;

// "2026-11-28T14:30:01Z" for the event's time: RFC 3339 to the second, as --from and --to take
// it, so a time read off the list can be given back to them (--json keeps the fraction).
std::string ShortTime(absl::string_view time) {
  absl::StatusOr<absl::Time> parsed = ParseInstant(time);
  if (!parsed.ok()) return ForTerminal(time);
  return FormatInstant(*parsed, /*micros=*/false);
}

// "0123456789abcdef0123456789abcdef +498 more" (after "records"): a short list whole, of a longer
// one the first item and how many follow. With `cut`, items of a list of more than one are shown
// by their first `cut` characters (a 64-character token and a count do not fit a line).
std::string ListItem(const google::protobuf::RepeatedPtrField<std::string>& items,
                     size_t cut = 0) {
  const int shown = items.size() <= kListedItems ? items.size() : 1;
  std::vector<std::string> parts;
  for (int i = 0; i < shown; ++i) {
    const bool shorten = cut > 0 && items.size() > 1 && items[i].size() > cut;
    parts.push_back(shorten ? absl::StrCat(ForTerminal(items[i].substr(0, cut)), "…")
                            : ForTerminal(items[i]));
  }
  std::string text = absl::StrJoin(parts, " ");
  if (items.size() > shown) absl::StrAppend(&text, " +", items.size() - shown, " more");
  return text;
}

// Items packed onto indented lines of at most kListWidth columns; an item too long for a line is
// wrapped at its spaces.
std::string DetailLines(const std::vector<std::string>& items) {
  const std::string indent(kDetailIndent, ' ');
  const size_t width = kListWidth - kDetailIndent;
  std::string out;
  std::string line;
  const auto flush = [&]() {
    if (!line.empty()) absl::StrAppend(&out, indent, line, "\n");
    line.clear();
  };
  for (const std::string& item : items) {
    if (item.size() > width) {
      flush();
      absl::StrAppend(&out, indent, Wrap(item, width - 2, kDetailIndent + 2), "\n");
      continue;
    }
    if (!line.empty() && line.size() + 2 + item.size() > width) flush();
    absl::StrAppend(&line, line.empty() ? "" : "  ", item);
  }
  flush();
  return out;
}

std::string ListHeader() {
  return absl::StrFormat("%-5s %-20s  %-8s %-22s %s\n", "SEQ", "TIME", "ROLE", "METHOD",
                         "OUTCOME");
}

// Whether audit list shows events as blocks of "Label: value" lines rather than as the table:
// on a terminal (`width`, CommandContext::out_columns) narrower than the table.
bool AsBlocks(size_t width) { return width != 0 && width < kListWidth; }

// An event for people: a line of columns, then indented details; as AsBlocks says, a block of
// "Label: value" lines laid out for `width` columns (LabelledLines) instead, after a blank line
// unless `first`. Every value is the server's (hashed, but written by whoever made the call: a
// case reference, an organisation), so each goes through ForTerminal.
std::string FormatEvent(uint64_t index, const v1::AuditEvent& e, size_t width = 0,
                        bool first = true) {
  // The registry's own events (retention, key rotation) and refused strangers have no role: "-"
  // keeps the columns in line.
  const std::string role = e.role() == v1::ROLE_UNSPECIFIED ? "-" : RoleName(e.role());
  const std::string outcome = absl::StatusCodeToString(static_cast<absl::StatusCode>(e.outcome()));
  // Each detail by its name, which starts it in the table ("records ...", "detail: ...") and is
  // its label in a block.
  std::vector<LabelledValue> items;
  const auto item = [&items](absl::string_view name, std::string value) {
    items.push_back({std::string(name), std::move(value)});
  };
  std::string by = e.actor().empty() ? "-" : ForTerminal(e.actor());
  if (!e.organisation().empty()) absl::StrAppend(&by, " (", ForTerminal(e.organisation()), ")");
  item("by", std::move(by));
  if (e.dry_run()) item("dry run:", "nothing written");
  if (!e.record_ids().empty()) item("records", ListItem(e.record_ids()));
  // The version a write made, and a vetting check's id: the one an employer quotes to ask about
  // a REFER, which the auditor looks for.
  if (e.record_version() != 0) item("version", absl::StrCat(e.record_version()));
  if (!e.check_id().empty()) item("check", ForTerminal(e.check_id()));
  if (!e.tokens().empty()) item("tokens", ListItem(e.tokens(), 16));
  if (!e.purpose_code().empty()) item("purpose", ForTerminal(e.purpose_code()));
  if (!e.case_reference().empty()) {
    item("case", absl::StrCat("\"", ForTerminal(e.case_reference()), "\""));
  }
  if (!e.consent_reference().empty()) {
    item("consent", absl::StrCat("\"", ForTerminal(e.consent_reference()), "\""));
  }
  if (!e.recipient().empty()) {
    item("recipient", absl::StrCat("\"", ForTerminal(e.recipient()), "\""));
  }
  if (!e.reference().empty()) item("ref", absl::StrCat("\"", ForTerminal(e.reference()), "\""));
  if (!e.withheld().empty()) item("withheld", ListItem(e.withheld()));
  if (!e.detail().empty()) item("detail:", ForTerminal(e.detail()));
  if (!e.request_id().empty()) item("request", ForTerminal(e.request_id()));
  if (e.has_pruning()) {
    const v1::AuditPruning& p = e.pruning();
    item("pruned", absl::StrCat("[", p.from_index(), ",", p.to_index(), ") up to ",
                                ForTerminal(p.newest_pruned_time()), ", retention ",
                                p.retention_days(), " days"));
  }
  if (AsBlocks(width)) {
    std::vector<LabelledValue> fields = {{"Event:", absl::StrCat(index)},
                                         {"Time:", ShortTime(e.time())},
                                         {"Role:", role},
                                         {"Method:", ForTerminal(ShortMethod(e.action()))},
                                         {"Outcome:", outcome}};
    for (LabelledValue& detail : items) {
      std::string label = std::string(absl::StripSuffix(detail.label, ":"));
      label[0] = absl::ascii_toupper(static_cast<unsigned char>(label[0]));
      fields.push_back({absl::StrCat(label, ":"), std::move(detail.value)});
    }
    return absl::StrCat(first ? "" : "\n", LabelledLines(fields, kBlockLabelWidth, width));
  }
  std::string text = absl::StrFormat("%-5d %-20s  %-8s %-22s %s\n", index, ShortTime(e.time()),
                                     role, ForTerminal(ShortMethod(e.action())), outcome);
  std::vector<std::string> details;
  for (const LabelledValue& detail : items) {
    details.push_back(absl::StrCat(detail.label, " ", detail.value));
  }
  return absl::StrCat(text, DetailLines(details));
}

// An entry whose bytes do not decode as an event, as FormatEvent would lay out an event.
std::string NotAnEvent(uint64_t index, size_t bytes, size_t width, bool first) {
  if (!AsBlocks(width)) {
    return absl::StrFormat("%-5d (%d bytes that are not an audit event)\n", index, bytes);
  }
  return absl::StrCat(first ? "" : "\n",
                      LabelledLines({{"Event:", absl::StrCat(index)},
                                     {"Content:", absl::StrCat(bytes, " bytes that are not an "
                                                                      "audit event")}},
                                    kBlockLabelWidth, width));
}

// 1234567 -> "1,234,567": counts of events are read by people.
std::string WithThousands(uint64_t n) {
  std::string digits = absl::StrCat(n);
  for (size_t i = digits.size(); i > 3; i -= 3) digits.insert(i - 3, ",");
  return digits;
}

// What audit verify and audit list --verified take alike: the trusted key (--public-key), the
// state file (--state) and the allowed clock skew (--clock-skew).
struct VerifyRun {
  AuditVerifyOptions options;
  std::string state_path;
  // --public-key as typed, to name it.
  std::string key_path;
};

absl::StatusOr<VerifyRun> VerifyRunFromArgs(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  VerifyRun run;
  if (auto key_path = args.Get("public-key")) {
    ASSIGN_OR_RETURN(run.options.public_key_pem, ReadFileToString(*key_path, "audit public key"));
    run.key_path = *key_path;
    // Checked here, as certificate verify checks its key: the verifier's own words ("Ed25519 PEM
    // must be 1..4096 bytes") name neither the option nor the file, nor what to give.
    RETURN_IF_ERROR(PublicKeyOfOption(*run.options.public_key_pem,
                                      absl::StrCat("--public-key ", *key_path),
                                      "give the registry's audit public key (audit.pub.pem, as "
                                      "the KJC publishes it; not vetting.pub.pem)")
                        .status());
  }
  if (auto path = args.Get("state")) {
    run.state_path = *path;
    run.options.state_path_given = *path;
  } else {
    ASSIGN_OR_RETURN(run.state_path, DefaultAuditStatePath());
  }
  if (auto skew = args.Get("clock-skew")) {
    // At least a second: `now` is read before the head is fetched, so even a server on this
    // machine dates its head a round trip later.
    ASSIGN_OR_RETURN(const uint64_t seconds, ParseUintOption("clock-skew", *skew, 1, 86400));
    run.options.max_clock_skew = absl::Seconds(static_cast<int64_t>(seconds));
  }
  run.options.server = ctx.settings().server;
  return run;
}

// `failure` of a verification with --public-key (the file `key_path`), said as a key that is
// not the registry's audit key when the head was refused for being signed by another key than
// the one given and the registry names that other key as its audit key: the likelier mistake is
// the file (the vetting key, say, given for the audit key). Like certificate verify's "another
// key", that is no verdict (INVALID_ARGUMENT, exit 2): the log was checked against no key the
// user trusts, so it was not found bad either. The server's word decides only which way it is
// said: a server that forges its log under a key of its own would answer with that key, so the
// message names no key to trust instead, asks the user to compare the file with the audit key
// the KJC publishes, and says that a forged log would match the registry's answer too.
absl::Status WrongKeyOrFailure(AuditLogSource& source, const AuditVerifyOptions& options,
                               absl::string_view key_path, const absl::Status& failure) {
  if (!options.public_key_pem.has_value() || !absl::IsFailedPrecondition(failure)) return failure;
  const absl::StatusOr<std::string> given =
      crypto::Ed25519PublicKeyFromPem(*options.public_key_pem);
  if (!given.ok()) return failure;
  const std::string given_id = crypto::Ed25519KeyId(*given);
  // Only the refusal of the head's key names the key given.
  if (!absl::StrContains(failure.message(),
                         absl::StrCat("not by the key given with --public-key (", given_id))) {
    return failure;
  }
  const absl::StatusOr<v1::PublicKey> served = source.GetAuditPublicKey();
  if (!served.ok()) return failure;
  std::string served_id = served->key_id();
  if (served_id.empty()) {
    const absl::StatusOr<std::string> raw = crypto::Ed25519PublicKeyFromPem(served->pem());
    if (!raw.ok()) return failure;
    served_id = crypto::Ed25519KeyId(*raw);
  }
  if (served_id == given_id) return failure;
  return absl::InvalidArgumentError(absl::StrCat(
      "--public-key ", key_path, " holds key ", given_id,
      ", which is not the registry's audit key: the log's tree head is signed by key ",
      ForTerminal(served_id),
      ", which the registry names as its audit key. Nothing was verified; give the audit key "
      "the KJC publishes (audit.pub.pem; the vetting key, vetting.pub.pem, is another). If "
      "--public-key is that key, the log is not signed with it: compare the file with the "
      "published key, not with the registry's answer, which a forged log would also match"));
}

// Verifies the log, says on stderr what the verification noted and warned of (a warning makes
// the exit code 1), and saves the state once everything verified (not a new log awaiting
// acceptance: AuditVerification::awaiting_acceptance). A state that cannot be saved (a full
// disk) fails the whole, unless `unsaved` is given: then the verification is returned, and why
// its state was not saved is put there, for the caller to say after the verdict.
absl::StatusOr<AuditVerification> VerifyAndSave(CommandContext& ctx, const VerifyRun& run,
                                                absl::Status* unsaved = nullptr) {
  ASSIGN_OR_RETURN(const std::optional<AuditState> previous, LoadAuditState(run.state_path));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, ctx.Channel());
  GrpcAuditLogSource source(channel, ctx.settings());
  absl::StatusOr<AuditVerification> verified =
      VerifyAuditLog(source, previous, run.options, absl::Now());
  if (!verified.ok()) {
    return WrongKeyOrFailure(source, run.options, run.key_path, verified.status());
  }
  AuditVerification& result = *verified;
  // Saved before anything is said: another verification with the same file (a --full one runs
  // long, the console's runs in the background) may have saved this log meanwhile, and the save
  // checks this head against that one and may add a note.
  absl::Status saved = SaveVerifiedState(run.state_path, result, source);
  if (!saved.ok()) {
    // DATA_LOSS is a verdict: this head and one another run saved meanwhile are not one log.
    // Any other failure is the state file's (its lock, a full disk, a folder not writable).
    if (unsaved == nullptr || absl::IsDataLoss(saved)) return saved;
    // What to do follows from why: room only for a full disk or quota; otherwise the reason
    // (a folder or file that may not be written, a folder in the way) is the user's to mend.
    *unsaved = absl::Status(
        saved.code(),
        absl::StrCat("the audit log verified (as printed), but its state could not be saved: ",
                     saved.message(),
                     "; the next verification cannot be compared with this head: ",
                     IsOutOfSpace(saved) ? "make room" : "correct what stopped the write",
                     " (or give another --state) and run audit verify again"));
  }
  // Through Note and Warn, which escape them for the terminal or write them as JSON (--json).
  for (const AuditNote& note : result.notes) ctx.Note(note.text);
  // A log awaiting acceptance was not saved: its warning says so, and no later run compares.
  if (result.first_of_log && !result.awaiting_acceptance && saved.ok()) {
    // Rollback detection rests on the state: a mistyped --state path must not pass unnoticed.
    ctx.Note(absl::StrCat(
        "the first verification of this log with the state file ", run.state_path,
        ": there was no earlier head to compare with, so a log cut or rewritten before now "
        "cannot be seen; later runs with this file are compared with this one"));
  }
  for (const std::string& warning : result.warnings) ctx.Warn(warning);
  // The log verified, so its state is kept; a warning still asks for a person's look.
  if (!result.warnings.empty()) ctx.set_exit_code(1);
  return result;
}

// --public-key, --state and --clock-skew belong to the verification: alone they would be
// ignored, and a person would believe the listing or export checked.
absl::Status VerifiedOptionsNeedVerified(const ParsedArgs& args) {
  if (args.Flag("verified")) return absl::OkStatus();
  for (const char* option : {"public-key", "state", "clock-skew"}) {
    if (args.Has(option)) return UsageError(absl::StrCat("--", option, " goes with --verified"));
  }
  return absl::OkStatus();
}

// Whether `bytes` at a verified place are what `filter` selects, read as the server reads it
// (common/audit_filter.h). Bytes that are not an event are selected whatever the filter: nothing
// rules them out. Only the event's own time can be malformed (the filter's were checked), and
// such an event is selected for the same reason.
bool VerifiedEventMatches(const v1::AuditFilter& filter, absl::string_view bytes,
                          v1::AuditEvent* event) {
  if (!event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return true;
  absl::StatusOr<bool> match = MatchesAuditFilter(filter, *event);
  return !match.ok() || *match;
}

// audit export --verified: the export must hold, below the verified head, exactly the verified
// events the filter selects, in order and byte for byte. Each is kept as its place and the
// SHA-256 of its bytes (40 bytes an event, not the event), so a long log fits in memory.
struct VerifiedExport {
  struct Expected {
    uint64_t index;
    std::string digest;
  };
  std::string log_id;
  uint64_t tree_size = 0;
  std::vector<Expected> expected;
  size_t next = 0;
  // Entries at or past tree_size: written after the verified head, so nothing to check them by.
  uint64_t newer = 0;

  // One exported entry, in the order the server sent them.
  absl::Status Take(uint64_t index, absl::string_view bytes) {
    if (index >= tree_size) {
      ++newer;
      return absl::OkStatus();
    }
    if (next < expected.size() && expected[next].index < index) return LeftOut();
    if (next >= expected.size() || expected[next].index != index) {
      return absl::DataLossError(absl::StrCat(
          "the export differs from the verified audit log: it holds entry ", index,
          ", which the verified log does not have there or the filter does not select; no "
          "file was written"));
    }
    if (crypto::Sha256(bytes) != expected[next].digest) {
      return absl::DataLossError(absl::StrCat(
          "the export differs from the verified audit log: entry ", index,
          " is not the verified event's bytes; no file was written"));
    }
    ++next;
    return absl::OkStatus();
  }

  // After the last entry: nothing the filter selects below the head may be missing.
  absl::Status Finish() const {
    return next < expected.size() ? LeftOut() : absl::OkStatus();
  }

  absl::Status LeftOut() const {
    return absl::DataLossError(absl::StrCat(
        "the export differs from the verified audit log: it leaves out entry ",
        expected[next].index,
        ", which the filter selects (if audit retention deleted it in the meantime, export "
        "again); no file was written"));
  }
};

absl::StatusOr<VerifiedExport> VerifyForExport(CommandContext& ctx,
                                               const v1::AuditFilter& filter) {
  ASSIGN_OR_RETURN(VerifyRun run, VerifyRunFromArgs(ctx));
  run.options.full = true;
  VerifiedExport out;
  run.options.on_event = [&](uint64_t index, absl::string_view bytes) {
    v1::AuditEvent event;
    if (VerifiedEventMatches(filter, bytes, &event)) {
      out.expected.push_back({index, crypto::Sha256(bytes)});
    }
  };
  ASSIGN_OR_RETURN(const AuditVerification result, VerifyAndSave(ctx, run));
  out.log_id = result.log.verified_head().log_id();
  out.tree_size = result.log.verified_head().tree_size();
  return out;
}

// audit list --verified: the whole retained log is downloaded and verified against a signed head
// (as audit verify --full does), and the filter is applied here, to the verified bytes. The
// server then can neither change an event that is listed nor leave out one that matches: it
// never learns the filter. The events that match are kept until the log verified (at most
// --page-size of them, or all with --all), and shown only then.
absl::Status RunVerifiedAuditList(CommandContext& ctx, const v1::AuditFilter& filter,
                                  uint64_t limit) {
  ASSIGN_OR_RETURN(VerifyRun run, VerifyRunFromArgs(ctx));
  run.options.full = true;
  std::vector<v1::AuditEntry> shown;
  uint64_t matched = 0;
  absl::Status unreadable_filter;
  run.options.on_event = [&](uint64_t index, absl::string_view bytes) {
    v1::AuditEvent event;
    if (!VerifiedEventMatches(filter, bytes, &event)) return;
    v1::AuditEntry entry;
    entry.set_index(index);
    entry.set_event_bytes(std::string(bytes));
    if (event.ParseFromString(entry.event_bytes())) *entry.mutable_event() = std::move(event);
    ++matched;
    if (shown.size() < limit) shown.push_back(std::move(entry));
  };
  ASSIGN_OR_RETURN(const AuditVerification result, VerifyAndSave(ctx, run));
  const v1::SignedTreeHead& head = result.log.verified_head();
  for (const v1::AuditEntry& entry : shown) {
    if (ctx.json()) {
      ASSIGN_OR_RETURN(const std::string line, ToJsonLineWithCodeNames(entry, {"event.outcome"}));
      ctx.out() << line << "\n";
      continue;
    }
    const bool first = &entry == &shown.front();
    if (first && !AsBlocks(ctx.out_columns())) ctx.out() << ListHeader();
    if (entry.has_event()) {
      ctx.out() << FormatEvent(entry.index(), entry.event(), ctx.out_columns(), first);
    } else {
      ctx.out() << NotAnEvent(entry.index(), entry.event_bytes().size(), ctx.out_columns(), first);
    }
  }
  if (matched > shown.size()) {
    const uint64_t more = matched - shown.size();
    ctx.Note(absl::StrCat(more, more == 1 ? " more event matches" : " more events match",
                          ": add --all to list them all"));
  }
  // None, with --json: the list, empty, as record search prints "records":[].
  if (ctx.json() && shown.empty()) ctx.out() << "{\"entries\":[]}\n";
  if (ctx.json()) return absl::OkStatus();
  if (shown.empty()) ctx.out() << "no events match\n";
  const uint64_t pruned = result.log.pruned_size();
  ctx.out() << "verified: " << (shown.empty() ? "searched " : "listed from ")
            << "audit log " << ForTerminal(head.log_id()) << ", " << head.tree_size()
            << (head.tree_size() == 1 ? " event" : " events")
            << ", every one checked against its signed root and filtered here";
  if (pruned > 0) {
    ctx.out() << " (the first " << WithThousands(pruned) << " deleted by audit retention, up to "
              << ForTerminal(result.log.newest_pruned_time()) << ")";
  }
  ctx.out() << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status RunAuditList(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  RETURN_IF_ERROR(VerifiedOptionsNeedVerified(args));
  if (args.Flag("verified")) {
    ASSIGN_OR_RETURN(const v1::AuditFilter filter, FilterFromArgs(args));
    uint64_t limit = 100;
    if (auto page_size = args.Get("page-size")) {
      ASSIGN_OR_RETURN(limit, ParseUintOption("page-size", *page_size, 1, 1000));
    }
    if (args.Flag("all")) limit = UINT64_MAX;
    return RunVerifiedAuditList(ctx, filter, limit);
  }
  v1::ListAuditEventsRequest request;
  ASSIGN_OR_RETURN(*request.mutable_filter(), FilterFromArgs(args));
  // What is shown is decoded here from the hashed bytes: the server's copy would only double
  // the reply.
  request.set_bytes_only(true);
  if (auto page_size = args.Get("page-size")) {
    ASSIGN_OR_RETURN(const uint64_t size, ParseUintOption("page-size", *page_size, 1, 1000));
    request.set_page_size(static_cast<uint32_t>(size));
  }
  ASSIGN_OR_RETURN(auto stub, AuditStub(ctx));
  bool differs = false;
  bool header_shown = false;
  while (true) {
    ASSIGN_OR_RETURN(
        const v1::ListAuditEventsResponse page,
        CallUnary<v1::ListAuditEventsResponse>(
            ctx.settings(), [&](grpc::ClientContext* c, v1::ListAuditEventsResponse* r) {
              return stub->ListAuditEvents(c, request, r);
            }));
    for (const v1::AuditEntry& entry : page.entries()) {
      HashedEvent hashed = DecodeHashedEvent(entry);
      differs = differs || !hashed.warnings.empty();
      if (ctx.json()) {
        // The same for scripts: `event` is what the hashed bytes say (absent when they say
        // nothing), and the warnings go to stderr so that stdout stays one object per line.
        v1::AuditEntry shown = entry;
        shown.clear_event();
        if (hashed.event.has_value()) *shown.mutable_event() = std::move(*hashed.event);
        // The outcome by its code's name, as the text and the JSON errors say it.
        ASSIGN_OR_RETURN(const std::string line,
                         ToJsonLineWithCodeNames(shown, {"event.outcome"}));
        ctx.out() << line << "\n";
        header_shown = true;
        for (const std::string& warning : hashed.warnings) {
          ctx.Warn(absl::StripPrefix(warning, "WARNING: "));
        }
      } else {
        const size_t width = ctx.out_columns();
        const bool first = !header_shown;
        if (first && !AsBlocks(width)) ctx.out() << ListHeader();
        header_shown = true;
        if (hashed.event.has_value()) {
          ctx.out() << FormatEvent(entry.index(), *hashed.event, width, first);
        } else {
          ctx.out() << NotAnEvent(entry.index(), entry.event_bytes().size(), width, first);
        }
        for (const std::string& warning : hashed.warnings) ctx.out() << warning << "\n";
      }
    }
    if (page.next_page_token().empty()) {
      // An empty answer says so, rather than print nothing at all; with --json as the list,
      // empty, as record search prints "records":[].
      if (ctx.json() && !header_shown) ctx.out() << "{\"entries\":[]}\n";
      if (!ctx.json() && !header_shown) {
        ctx.out() << "no events match\n";
        // A URI cut short ("spiffe://registry.kjc.dev/court") has the shape of a whole one.
        if (args.Has("actor") && !LooksLikeAWholeIdentity(args.Value("actor"))) {
          ctx.Note("--actor matches only a whole identity, as `registry-cli whoami` prints it");
        }
      }
      break;
    }
    if (!args.Flag("all")) {
      ctx.Note("more events follow: add --all to list them all");
      break;
    }
    // A server that hands back the token it was given would keep --all going for ever.
    if (page.next_page_token() == request.page_token()) {
      return absl::DataLossError("the server returned the same page token again");
    }
    request.set_page_token(page.next_page_token());
  }
  if (differs) ctx.set_exit_code(1);
  return absl::OkStatus();
}

absl::Status RunAuditExport(CommandContext& ctx) {
  const ParsedArgs& args = ctx.args();
  v1::ExportAuditEventsRequest request;
  ASSIGN_OR_RETURN(*request.mutable_filter(), FilterFromArgs(args));
  request.set_recipient(args.Value("recipient"));
  request.set_reference(args.Value("reference"));
  const std::string path = args.Value("out");
  // An earlier export (handed to a recipient, perhaps) is not replaced unless asked; said
  // before the server is called.
  if (!args.Flag("overwrite")) {
    if (std::string problem = ExistingOutputProblem("--out", path, "--overwrite");
        !problem.empty()) {
      return UsageError(problem);
    }
  }
  RETURN_IF_ERROR(VerifiedOptionsNeedVerified(args));
  // With --verified, the log is verified first, and what the export must hold below the verified
  // head is known before it arrives.
  std::optional<VerifiedExport> verified;
  if (args.Flag("verified")) {
    ASSIGN_OR_RETURN(verified, VerifyForExport(ctx, request.filter()));
  }
  ASSIGN_OR_RETURN(auto stub, AuditStub(ctx));
  // Entries go to a temporary file as they arrive (an export may be as long as the log, which
  // need not fit in memory); the file appears at `path` only once the whole stream arrived, so a
  // failed export leaves no partial file.
  ASSIGN_OR_RETURN(std::unique_ptr<AtomicFileWriter> file, AtomicFileWriter::Create(path, 0600));

  grpc::ClientContext context;
  PrepareContext(ctx.settings(), &context);
  std::unique_ptr<grpc::ClientReader<v1::AuditEntry>> reader =
      stub->ExportAuditEvents(&context, request);
  uint64_t count = 0;
  uint64_t differing = 0;
  v1::AuditEntry entry;
  absl::Status written;
  while (written.ok() && reader->Read(&entry)) {
    // Written as served, event_bytes and all, so the recipient can check the same; but the
    // person exporting learns here, not later, when the server's copies do not match.
    const HashedEvent hashed = DecodeHashedEvent(
        entry, "the file keeps the server's copy beside the hashed bytes, event_bytes");
    if (verified.has_value()) {
      written = verified->Take(entry.index(), entry.event_bytes());
      // The bytes are the log's; a decoded copy that says otherwise is the server's word, and a
      // verified export holds none.
      if (written.ok() && hashed.copy_differs) {
        written = absl::DataLossError(absl::StrCat(
            "the export differs from the verified audit log: entry ", entry.index(),
            "'s decoded copy is not what its verified bytes say; no file was written"));
      }
      if (!written.ok()) break;
    }
    for (const std::string& warning : hashed.warnings) {
      ctx.Warn(absl::StripPrefix(warning, "WARNING: "));
    }
    if (!hashed.warnings.empty()) ++differing;
    absl::StatusOr<std::string> line = ToJsonLine(entry);
    written = line.ok() ? file->Append(absl::StrCat(*line, "\n")) : line.status();
    ++count;
  }
  if (!written.ok()) {
    context.TryCancel();
    reader->Finish();  // the cancelled status says nothing new
    return written;
  }
  RETURN_IF_ERROR(ToAbslStatus(reader->Finish()));
  if (verified.has_value()) RETURN_IF_ERROR(verified->Finish());
  RETURN_IF_ERROR(file->Commit());
  if (differing > 0) ctx.set_exit_code(1);
  if (ctx.json()) {
    AuditExportSummary summary;
    summary.set_entries(count);
    summary.set_file(path);
    summary.set_differing_entries(differing);
    if (verified.has_value()) {
      summary.set_verified_tree_size(verified->tree_size);
      summary.set_unchecked_newer_entries(verified->newer);
    }
    return ctx.PrintJson(summary);
  }
  ctx.out() << "exported " << count << (count == 1 ? " entry" : " entries") << " to "
            << ForTerminal(path) << "\n";
  if (verified.has_value()) {
    ctx.out() << "verified: every entry of audit log " << ForTerminal(verified->log_id)
              << " up to its signed head of " << verified->tree_size
              << (verified->tree_size == 1 ? " event" : " events")
              << " that matches is in the export, byte for byte";
    if (verified->newer > 0) {
      ctx.out() << "; " << verified->newer << (verified->newer == 1 ? " entry" : " entries")
                << " written since that head could not be checked";
    }
    ctx.out() << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunAuditVerify(CommandContext& ctx) {
  ASSIGN_OR_RETURN(VerifyRun run, VerifyRunFromArgs(ctx));
  run.options.full = ctx.args().Flag("full");
  if (auto log_id = ctx.args().Get("accept-new-log")) {
    // Not repeated: what was typed stays out of messages.
    if (!LogIdShaped(*log_id)) {
      return UsageError(
          "--accept-new-log takes the log id the warning names (32 lowercase hex characters)");
    }
    run.options.accept_new_log = *log_id;
  }
  // The verdict is printed even when its state cannot be saved (a full disk): the auditor learns
  // whether the log verified, then why the run still failed.
  absl::Status unsaved;
  ASSIGN_OR_RETURN(const AuditVerification result, VerifyAndSave(ctx, run, &unsaved));
  const AuditVerifyOptions& options = run.options;
  const v1::SignedTreeHead& head = result.log.verified_head();
  if (ctx.json()) {
    RETURN_IF_ERROR(ctx.PrintJson(head));
    return unsaved;
  }
  const uint64_t pruned = result.log.pruned_size();
  ctx.out() << "verified: audit log " << ForTerminal(head.log_id()) << ", " << head.tree_size()
            << (head.tree_size() == 1 ? " event" : " events")
            << (options.full && pruned == 0 ? ", every one checked" : "") << "\n"
            << "root: " << absl::BytesToHexString(head.root_hash()) << "\n";
  if (pruned > 0) {
    // The date is what a person compares with the retention the law allows: the verifier
    // checked that the log recorded this pruning in its own signed tree, not that it was due.
    ctx.out() << "pruned: " << WithThousands(pruned) << (pruned == 1 ? " event" : " events")
              << ", up to " << ForTerminal(result.log.newest_pruned_time()) << " (retention "
              << result.retention_days << " days); ";
    if (options.full) {
      ctx.out() << "verified " << WithThousands(result.retained_verified) << " retained "
                << (result.retained_verified == 1 ? "event" : "events") << "\n";
    } else {
      ctx.out() << "retained events not downloaded (--full checks them)\n";
    }
  }
  return unsaved;
}

}  // namespace registry::client
