// Why registry-cli cannot talk to registryd, in words a user can act on. gRPC reports every failed
// connection as "UNAVAILABLE: failed to connect to all addresses", whether nothing listens there,
// the server refused the user's certificate (revoked, issued by another CA) or the user's
// certificate has simply expired; the first reads as "the server is down", the others are not.
//
// Before connecting, CreateChannel checks the client certificate's own validity dates
// (CheckOwnCertificate). After a call fails with UNAVAILABLE, ExplainUnavailable connects once
// more with OpenSSL, the same identity and a short deadline, and looks at what happened: no
// answer, a server certificate that does not verify, or a handshake the server ended with an
// alert (it refused the client certificate), a connection closed without one, or no answer at
// all. Nothing is sent but a TLS handshake and the HTTP/2 preface, so the probe is no call and
// leaves no audit event.
#ifndef REGISTRY_CLIENT_TLS_PROBE_H_
#define REGISTRY_CLIENT_TLS_PROBE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/connection.h"
#include "grpcpp/client_context.h"

namespace registry::client {

// OK when the certificate PEM at `path` is valid at `now`; else Unauthenticated "your
// certificate (PATH) expired on 2020-01-02T00:00:00Z: ..." or "... is not valid before ...";
// InvalidArgument when it is not a PEM certificate.
absl::Status CheckOwnCertificate(absl::string_view cert_pem, absl::string_view path,
                                 absl::Time now);

// OK when the identity can be used: `ca_pem` holds at least one PEM certificate, `cert_pem` a
// PEM certificate and `key_pem` an unencrypted PEM private key that belongs to that certificate.
// Otherwise a usage error naming each file that cannot be used, as `names` gives them, and what
// is wrong with it:
//   "--key var/x/key.pem: not the private key of --cert var/x/cert.pem"
//   "--key var/x/key.pem: encrypted with a passphrase; registry-cli needs an unencrypted key
//    (mode 0600)"
//   "--ca var/x/ca.pem: holds no certificate"
// OpenSSL is never let to ask for a passphrase on the terminal.
absl::Status CheckIdentityFiles(absl::string_view ca_pem, absl::string_view cert_pem,
                                absl::string_view key_pem, const IdentityFileNames& names);

// What a TLS connection to the server with the settings' identity ran into.
struct TlsProbe {
  enum class Outcome {
    // No TCP connection: nothing listens there, or it is unreachable.
    kNoAnswer,
    // The server's certificate does not verify against the CA file for the server's name.
    kServerNotTrusted,
    // The server's certificate verifies, but the revocation list beside the CA file lists it
    // (server_revocation.h): its key may be in other hands. Nothing is sent to it.
    kServerRevoked,
    // The server's certificate verifies, but it is a CA's (basicConstraints CA:TRUE), not a
    // server's (ServerCertificateRefusedBecause): its key could sign certificates of its own.
    // Nothing is sent to it.
    kServerCertificateIsACa,
    // The server refused this client certificate: it sent an alert that names the certificate
    // (bad_certificate, certificate_revoked, unknown_ca, access_denied, ...), or, as a gRPC
    // server does, it closed a TLS 1.3 connection right after a handshake in which it asked for
    // the certificate, and still accepts connections.
    kCertificateRefused,
    // The handshake completed and the server spoke HTTP/2: the identity is accepted.
    kAccepted,
    // Something answered with bytes that are no TLS (a plain HTTP server, such as the metrics
    // port).
    kNotTls,
    // The identity files could not be loaded, so there was no handshake to try.
    kIdentityUnusable,
    // The connection was closed or reset during the handshake without an alert about the
    // certificate (or after a handshake that had already accepted it): the server stopped or
    // aborted, or something on the way (a firewall, a proxy) cut the connection. Not a refusal.
    kClosed,
    // The TCP connection was accepted, but no TLS answer came within the timeout: another
    // service that waits for its client to speak first, or a server that hangs.
    kNoTlsAnswer,
    // Anything else (an alert that is not about the certificate, a TLS error).
    kUnknown,
  };
  Outcome outcome = Outcome::kUnknown;
  // What happened, in the system's or TLS library's words: "Connection refused", "TLS alert:
  // certificate revoked", "the server closed the connection right after the TLS handshake",
  // "the connection was reset during the TLS handshake".
  std::string detail;
  // kClosed: whether the address still accepted a TCP connection after the close. When it does
  // not, the server itself stopped.
  bool still_answers = true;
};

// Connects to settings.server once (at most `timeout` for each step) and reports what happened.
TlsProbe ProbeTls(const ConnectionSettings& settings, absl::Duration timeout = absl::Seconds(3));

// The trailing metadata key registryd sets, to "1", on an UNAVAILABLE that guarantees nothing
// was done: the call's audit event could not be written, and the change with it (or the call was
// refused before it was served), server/call_gate.cc. It comes from the registry over the
// mutually authenticated channel, from the server settings.ca vouches for; gRPC never sets it,
// and a connection that broke brings no trailing metadata at all.
inline constexpr char kNotDoneMetadataKey[] = "registry-not-done";

// `status`, the failed status of the call made with `context`, marked as refused with nothing
// done (RefusedWithNothingDone) when it is UNAVAILABLE and the server's trailing metadata holds
// kNotDoneMetadataKey "1"; else `status` as it is. Applied where a call's status is made
// (FailedCallStatus), before ExplainUnavailable reads it.
absl::Status WithRegistryVerdict(const grpc::ClientContext& context, absl::Status status);
bool RefusedWithNothingDone(const absl::Status& status);

// `status` (an UNAVAILABLE call) explained by a probe (of at most settings.timeout, and 3 s, a
// step): a usage error when the address is not HOST:PORT (CheckServerAddress) or the identity
// files cannot be used (CheckIdentity); UNAVAILABLE "nothing answers at ADDR ..." for no answer,
// "something answers at ADDR but does not speak TLS ..." for a server of another protocol, "no
// TLS answer from ADDR ...: either registryd is there but stuck ..., or the port is another
// service's ..." for one that stays silent, "the connection to ADDR was
// closed during the TLS handshake ..." for one that hung up without a word about the
// certificate, "the TLS handshake with ADDR failed (...)" for any other failure, UNAVAILABLE
// naming the CA file when the server is not trusted, UNAVAILABLE "the registry's certificate is
// revoked: ..." when the revocation list beside the CA file lists it, UNAUTHENTICATED "the server refused this
// certificate (revoked, unknown CA or not yet valid)" when it refused the certificate; `status`
// itself when the probe found nothing wrong. A `status` marked by MarkSentBeforeFailure (the
// request had reached the server) is not probed: UNAVAILABLE HowTheCallEnded, then "; whether it
// was carried out is not known, so check before trying again ...". One marked by
// WithRegistryVerdict is the registry's refusal, not probed either: UNAVAILABLE "the registry
// at ADDR refused the call: nothing was done; try again later (ITS WORDS)".
absl::Status ExplainUnavailable(const ConnectionSettings& settings, const absl::Status& status);

// What the probe of ExplainUnavailable found, carried by the status it returns: the one reading
// of why the registry was not reached, for a client that says it in words of its own (the
// console, in its languages). nullopt for a status that was not probed (not UNAVAILABLE, sent
// before the connection broke, the registry's own refusal).
std::optional<TlsProbe::Outcome> ProbedOutcome(const absl::Status& status);
// `status` (a failed call's) with that reading attached when it is UNAVAILABLE (ExplainUnavailable
// probes), its code and message as they are.
absl::Status WithProbedOutcome(const ConnectionSettings& settings, absl::Status status);

// Whether `message`, a failed call's, is gRPC's own account of a connection that broke or of a
// call it ended ("recvmsg:Connection reset by peer", "Socket closed", "CANCELLED"): the names of
// system calls and protocol states, no words of the registry's, and not repeated to the user.
bool IsTransportText(absl::string_view message);

// How a call that had reached the registry at settings.server ended without an answer, in the
// user's terms (no advice; gRPC's own words left out, IsTransportText):
//   "the connection to the registry at ADDR broke after the call had reached it"
//   "the registry at ADDR stopped the call before answering it (registryd was stopping, or could
//    not finish it)"  (a CANCELLED, CancelledByTheServer)
// A message that is the registry's own words is kept: "the call to ADDR ended after it had
// reached the server (ITS WORDS): the connection broke, or the registry could not finish it".
std::string HowTheCallEnded(const ConnectionSettings& settings, const absl::Status& status);

// gRPC's bare "Deadline Exceeded" of a call to settings.server said with the server, the time
// waited and what to try: "no answer from HOST:PORT within 30s (--timeout): ...". The same for a
// single call and for an import's batch.
absl::Status ExplainDeadlineExceeded(const ConnectionSettings& settings);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_TLS_PROBE_H_
