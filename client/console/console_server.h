// registry-console's HTTP side: one cpp-httplib server (no HTTP parsing of our own) on a loopback
// address, whose every request passes one gate before any page runs:
//
//   Host header is the console's own address (a page from another site that rebinds its name to
//   127.0.0.1 is refused) -> Sec-Fetch-Site and Origin, when the browser sends them, are this
//   origin -> the session cookie names a live session (else 401; /start, /signed-out and /assets
//   excepted) -> a POST carries the session's CSRF token (else 403) -> the page's roles include
//   the role the registry assigned this identity (else 403, and nothing is asked of the registry).
//
// Every page has a Sign out button (POST /signout, with the token): it ends the session at once,
// expires its cookie and leads to /signed-out, a page that needs no session.
//
// Every response, refusals and errors included, carries the same security headers: a strict
// Content-Security-Policy (this origin's script and style only, no inline code, no framing, forms
// to this origin only), nosniff, no referrer, no caching. No CORS header is ever sent.
//
//   Console console(options, NewGrpcRegistry(channel, settings));
//   RETURN_IF_ERROR(console.Start());
//   std::cout << console.StartUrl() << "\n";  // and each new one, options.start_url_changed
//   console.Wait();
#ifndef REGISTRY_CLIENT_CONSOLE_CONSOLE_SERVER_H_
#define REGISTRY_CLIENT_CONSOLE_CONSOLE_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/console/catalog.h"
#include "client/console/registry_api.h"
#include "client/console/sessions.h"
#include "registry/v1/common.pb.h"
#include "registry/v1/info.pb.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace registry::console {

inline constexpr char kDefaultListen[] = "127.0.0.1:8080";
// The session cookie is named after the console's port: browsers keep cookies by host, not by
// port, so two consoles on one computer (a clerk's and an auditor's) must not overwrite each
// other's session.
inline constexpr char kSessionCookiePrefix[] = "registry_console_";

// The largest form (application/x-www-form-urlencoded body) the console reads; a larger one is
// refused 413 as a form, not as an import file. cpp-httplib's own limit, 8 KiB, is passed by
// forms the console sends: a record form's text fields alone hold up to 1,800 code points (three
// names of 100, ten aliases of 100, a birth place of 100, an address and a foreign court of 200),
// up to 12 bytes each once percent-encoded (a 4-byte letter; 6 for Cyrillic), 21,600 bytes, with
// an empty paragraph input for every whole article of the offence table beside them. A form is
// never more than a few tens of KiB; this leaves room and still bounds what one request holds.
inline constexpr size_t kMaxFormBytes = 256 << 10;
// The largest body the console reads: an import file (multipart), 1000 rows a batch, many
// batches. Counted as it is read, whether the body says its length or comes in chunks.
inline constexpr size_t kMaxUploadBytes = 64 << 20;

// The security headers of every response.
inline constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// How long a connection may hold one of the console's workers while the console waits for its
// client. A browser sends a request's headers in one packet and a form in a few, so these are
// generous for it; what they bound is a client that trickles its bytes in. cpp-httplib's own read
// timeout starts again with every byte, and its pool had 8 workers on two cores: eight
// connections each sending a byte every few seconds, a form's body or headers that never end,
// held every worker and the console answered no one. Past a deadline the console stops reading,
// answers 408 when it can, and closes the connection.
struct ConnectionLimits {
  // From a worker taking the connection up (its TLS handshake included), or from the end of the
  // previous answer on it, to the end of a request's headers. Of that, the wait for the next
  // request on a kept-alive connection to begin is at most keep_alive.
  absl::Duration request_head = absl::Seconds(10);
  absl::Duration keep_alive = absl::Seconds(5);
  // From the end of the headers to the end of a form's body (any body but an import file's): a
  // form is at most kMaxFormBytes.
  absl::Duration form_body = absl::Seconds(10);
  // An import file (a multipart body) from the end of the headers, and an answer from its first
  // byte, may take transfer_grace and must then have come at min_rate bytes a second on average
  // (0: no rate). A clerk on a court's poor line sends a file of a few MB at 30 to 50 KB/s with
  // pauses: at 64 KiB/s after 10 s no such import could ever arrive. 16 KiB/s after 30 s lets it
  // (a file of 2.6 MB within about 3 minutes, of 64 MiB within about 68). The rate is there so
  // that a connection cannot hold a worker while sending almost nothing: to hold all 16 workers
  // past the grace, a client must keep sending 16 x 16 KiB/s, bandwidth it has to spend, and
  // what it sends counts against the import file's own limit.
  absl::Duration transfer_grace = absl::Seconds(30);
  size_t min_rate = 16 << 10;
  // Connections served at once, and connections accepted and waiting for a worker, at most; one
  // more is closed at once, unserved. With the deadlines above, K connections that trickle delay
  // the next one by at most about ceil(K / workers) * request_head (or form_body); 16 workers are
  // more than a browser's six connections to a host, twice over, and a thread each costs little.
  // The waiting are bounded since each holds an open file, which the gRPC channel to the
  // registry needs too; the queue of cpp-httplib's own pool had no bound.
  int workers = 16;
  int max_waiting = 128;
};

// The most a request's line and headers may take, read as they come: cpp-httplib reads header
// lines (each up to 8 KiB) without a limit on their number, until memory runs out. A browser's
// are a few KiB, a long cookie included.
inline constexpr size_t kMaxRequestHeadBytes = 64 << 10;

struct ConsoleOptions {
  // HOST:PORT to listen on; port 0 picks a free one.
  std::string listen = kDefaultListen;
  // A non-loopback listen address is refused unless this is set, and then needs TLS.
  bool allow_remote = false;
  // PEM files of the console's own HTTPS certificate and key; both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // The auditor's verification state (as registry-cli's audit verify --state) and the trusted
  // audit public key PEM (nullopt: pinned, else trusted on first use).
  std::string audit_state_path;
  std::optional<std::string> audit_public_key_pem;
  // registryd's address, recorded with a verified log's state.
  std::string server_address;
  // A session unused this long ends.
  absl::Duration session_idle = absl::Hours(8);
  // How long a connection may hold a worker (tests shorten them).
  ConnectionLimits connection_limits;
  // The time now, for sessions' idle limits and the life of kept answers (kKeptAnswerLife);
  // absl::Now when empty. Tests move it on rather than wait.
  std::function<absl::Time()> clock;
  // Told the start URL of the next session whenever the official needs a new one: after a start
  // URL was used (each is good once, see SessionStore), and after a session signed out. main()
  // prints it where it printed the first, and rewrites --url-file. Called on a worker thread.
  enum class StartUrlEvent { kUsed, kSignedOut };
  std::function<void(StartUrlEvent event, const std::string& url)> start_url_changed;
};

// Whether `host` (an address or name, no port) is a loopback address: 127.0.0.0/8, ::1 or
// "localhost".
bool IsLoopbackHost(absl::string_view host);
// Whether `host`, as the listener resolves it, is every address: 0.0.0.0 or :: in any spelling
// ("0", "0.0", "0x0", "::ffff:0.0.0.0"), which --allow-remote refuses.
bool NamesEveryAddress(const std::string& host);

// Whether a failed registry call's `status` says that the registry was not reached, rather than
// that it refused: UNAVAILABLE (nothing listens at its address, the connection broke, or it is
// not serving for now) or DEADLINE_EXCEEDED (no answer in time). What the official typed is not
// at fault then, and the same request may succeed once the registry answers again.
bool RegistryUnreachable(const absl::Status& status);

// The HTTP status of a page that shows the failed registry call `status`: 503 when the registry
// could not be reached, else `refused` (the page's own choice for a refusal, 400 for a form).
int FailedCallStatus(const absl::Status& status, int refused);
// The HTTP status of a page that is only the failed call's error: 503 as above, 403 for a refused
// identity or role, 404 for what does not exist, 400 for a request the registry refused as
// invalid, 502 for anything else the registry answered.
int HttpStatusOf(const absl::Status& status);

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). InvalidArgument when it is not that shape.
absl::StatusOr<std::pair<std::string, int>> SplitListenAddress(absl::string_view listen);

// Whether `target` ("/audit?action=VettingCheck&page=50") is an address of this console the
// browser may be sent back to: one path from the root (not "//host", not "/\\host"), an optional
// query, only the characters of a URL that need no escaping in a Location header or an attribute
// (no spaces, controls, quotes or bytes outside ASCII), at most 2000 of them.
bool IsConsoleAddress(absl::string_view target);

class Console;

// Everything a page handler works with for one request.
class PageContext {
 public:
  // `restored`: the page is re-shown by the language switch, its request's fields being those
  // its form had sent (see Console::ShowPage).
  PageContext(Console& console, const httplib::Request& request, httplib::Response& response,
              std::shared_ptr<Session> session, bool restored = false);

  Console& console() const { return console_; }
  Registry& registry();
  const httplib::Request& request() const { return request_; }
  httplib::Response& response() { return response_; }
  Session& session() { return *session_; }
  const std::shared_ptr<Session>& session_ptr() { return session_; }
  const Language& language() const { return language_; }
  const v1::WhoAmIResponse& who() const { return who_; }

  // The catalog message `key`, escaped for HTML.
  std::string T(absl::string_view key) const;
  // The same with placeholders filled by values already escaped (use Text() on server strings).
  std::string Tf(absl::string_view key,
                 const std::vector<std::pair<std::string, std::string>>& values) const;
  // The message unescaped (for a download's file name, a JSON answer).
  std::string Raw(absl::string_view key) const;

  // A form field or query parameter ("" when absent); every value of a repeated one.
  std::string Param(absl::string_view name) const;
  std::vector<std::string> Params(absl::string_view name) const;
  // Whether this GET page is re-shown by the language switch with the fields its form had sent
  // (in the switch's POST body, never in an address): a form page fills itself from them.
  bool restored() const { return restored_; }
  // Whether the request's fields came in a form's body (a POST, or a restored page), so that they
  // may hold what an official typed; an address's query holds only what the console validated.
  bool fields_in_body() const;
  // Where the language switch on this page leads, instead of the default (see SendPage): for a
  // page a POST made that is better re-read at an address of its own (a vetting certificate), or
  // whose form page no longer applies (a record just expunged). An address the console built.
  void set_language_back(std::string target) { language_back_ = std::move(target); }

  // Whether this request's address (its path and query) is one a change of this session was
  // answered with (Session::changes_answered): a page shows a notice of what was done ("Backup 7
  // was made", "marked as disputed") only then, never from what the address alone says.
  bool AnswersChangeOfThisSession() const;

  // The hidden CSRF input every POST form carries.
  std::string CsrfInput() const;

  // Sends a whole page: the layout (language switcher, sign-out, navigation for the role, skip
  // link) around `body`, under the heading `title` (escaped text). The language switch keeps the
  // official where they are: on a GET page it leads back to the same address, query included (the
  // console puts only validated, impersonal values there); on a page a POST made it leads to the
  // nearest page at or above the POST's path (the form the POST came from) and carries the fields
  // the POST sent, in its own POST body, so that the form is shown again filled in
  // (Console::ShowPage).
  void SendPage(const std::string& title, const std::string& body, int status = 200);
  // Sends a page saying what went wrong with a registry call: the status code's name, its meaning
  // in the user's language and the server's message (escaped). A registry that could not be
  // reached (RegistryUnreachable) is said to be so, under a heading of its own, with 503 whatever
  // `http_status` asks: it did not refuse anything.
  void SendError(const absl::Status& status, int http_status = 0);
  // The same box, for a page that shows it above a form (the form keeps what was typed; the
  // page's status is FailedCallStatus's).
  // The box takes the focus as the page loads (tabindex="-1" autofocus), as a form's list of
  // problems does; a duplicate's message links the record it names (ALREADY_EXISTS ending in a
  // record id, for a clerk or a court).
  std::string ErrorBox(const absl::Status& status) const;
  // A page, and a box, saying what the console itself found wrong (an id that is not one, a job
  // or upload it no longer holds): catalog text `key` in the page's language, not credited to
  // the registry: titled "Not found" for a 404 (a task, upload, certificate or event this console
  // does not hold), "Not possible" otherwise, never "The registry refused".
  void SendLocalError(absl::string_view key, int http_status);
  std::string LocalErrorBox(absl::string_view key, int http_status = 400) const;
  void Redirect(const std::string& path);

 private:
  // What ErrorBox adds after "the registry did not answer" for this page ("" for a read): what
  // to check of a change the page sent.
  std::string UnreachableAfter() const;
  // The registry's message in `status` (escaped, marked as English), for ErrorBox.
  std::string ServerMessageHtml(const absl::Status& status) const;

  Console& console_;
  const httplib::Request& request_;
  httplib::Response& response_;
  std::shared_ptr<Session> session_;
  const Language& language_;
  v1::WhoAmIResponse who_;
  const bool restored_;
  std::string language_back_;
};

using PageHandler = std::function<void(PageContext&)>;

// Who may open a page: a set of roles.
using Roles = std::vector<v1::Role>;

class Console {
 public:
  Console(ConsoleOptions options, std::shared_ptr<Registry> registry);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Asks the registry who this identity is (WhoAmI; for a clerk also the reference data), checks
  // the listen address, binds it and starts serving on a thread of its own. Errors: the
  // registry's (the identity is refused, the server is down), InvalidArgument for a non-loopback
  // address without allow_remote or without TLS, Unavailable when the address cannot be bound.
  absl::Status Start();
  // Stops serving and waits for running jobs to end. Idempotent.
  void Stop();
  // Blocks until Stop() is called (from a signal handler's thread, or a test).
  void Wait();

  int port() const { return port_; }
  // "http://127.0.0.1:8080/start?s=<secret>": what the official opens to start the next session.
  // Each is good once: a session started with it gets a new one (options.start_url_changed).
  std::string StartUrl();
  std::string start_secret() { return sessions_.start_secret(); }
  std::string cookie_name() const;

  Registry& registry() { return *registry_; }
  const ConsoleOptions& options() const { return options_; }
  // options.clock's time, else absl::Now().
  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }
  // The record `record_id` was expunged (`expunged`), or corrected, disputed or resolved, through
  // this console: every session's kept pages that show it are forgotten at once
  // (SessionStore::ForgetRecord; with a refused form of its pages too when it was expunged), so
  // that Back, Reload or another official's open tab shows no record that is gone or has
  // changed, and the next view is a fresh read.
  void ForgetRecord(const std::string& record_id, bool expunged) {
    sessions_.ForgetRecord(record_id, expunged);
  }
  const Catalogs& catalogs() const { return Catalogs::Embedded(); }
  // What the registry said at start-up (refreshed when a session starts).
  v1::WhoAmIResponse who();
  v1::GetReferenceDataResponse reference();
  // Runs `work` on a thread that Stop() waits for. Threads whose work has finished are joined
  // at the next call, so a long-running console holds only those still working.
  void RunInBackground(std::function<void()> work);
  // Threads started by RunInBackground and not joined yet.
  size_t background_threads();

  struct Route {
    std::string method;
    std::string pattern;  // a regular expression (cpp-httplib's routes)
    Roles roles;          // empty: every role
    PageHandler handler;
  };
  // Every page the console serves (after Start), for the tests that go through all of them.
  const std::vector<Route>& routes() const { return routes_; }

  // The nearest address at or above `path` that a GET page answers ("/records/ID/dispute" ->
  // "/records/ID", "/admin/verify-data" -> "/admin"); "/" at worst.
  std::string NearestPage(absl::string_view path) const;
  // The page a form posted to `path` (its action) is on, for the language switch: `path` when a
  // GET page answers it, else NearestPage(path) when a form is posted to it ("/records/ID/dispute"
  // -> "/records/ID"), else `path` itself.
  std::string PageOfForm(const std::string& path) const;
  // For the language switch: shows, in `ctx`'s response, the GET page at `path` (a path, no query)
  // as if its request's fields were `fields` (what the page's form had posted), with the roles
  // check of every page; the page is marked restored(). A GET page changes nothing and, for a
  // court, reads nothing (it asks for the purpose again). False when no GET page is at `path`.
  bool ShowPage(PageContext& ctx, const std::string& path,
                std::vector<std::pair<std::string, std::string>> fields);

 private:
  void AddRoutes();
  void Add(std::string method, std::string pattern, Roles roles, PageHandler handler);
  // The gate above, for one request: true when it may go on to its page.
  bool Admit(const httplib::Request& request, httplib::Response& response);
  void Serve(const Route& route, const httplib::Request& request, httplib::Response& response);
  // The language of the session `request`'s cookie names, "" without one: read only, for the
  // page of a refusal (no session is marked used, ended, or made, and no token checked).
  std::string RefusalLanguage(const httplib::Request& request);
  // Answers 403 when `ctx`'s role may not open `route`; true when it did.
  bool RefuseRole(const Route& route, PageContext& ctx);
  // The GET route whose pattern `path` matches, or nullptr.
  const Route* PageAt(const std::string& path) const;
  // GET /start?s=SECRET: spends the secret and starts a session. Every answer is a redirect away
  // from the address that holds the secret (home, or /not-started saying why not), so that the
  // secret stays in the address bar of no page.
  void StartSession(const httplib::Request& request, httplib::Response& response);
  // POST /signout: ends the session of `ctx`, expires its cookie, and sends the browser to the
  // signed-out page (in the session's language, which the address names: no session is left).
  void SignOut(PageContext& ctx);
  // The Set-Cookie value of the session cookie holding `id`; `expired`: one that makes the
  // browser drop it (the same name, path and flags, Max-Age=0).
  std::string SessionCookie(absl::string_view id, bool expired) const;
  // The name of the cookie that changes with every change the console answers (MarkChange).
  std::string ChangeCookieName() const;
  // Sets that cookie to a new random value in `response` (`expired`: drops it, at sign-out).
  // Chrome keeps even "Cache-Control: no-store" pages in its back/forward cache, and restores
  // them unless an HttpOnly cookie of the site has changed since: a page shown before a change
  // (a record since expunged, a dispute form since sent) is then fetched again, not restored.
  void MarkChange(httplib::Response& response, bool expired = false) const;
  // A form posted with the CSRF token of an earlier session of this browser (the start address
  // opened again, or the session ended and another started): refused, saying so, with what the
  // form held kept in a form of the current session that shows it again (through the language
  // switch's way of re-showing a form), nothing sent to the registry.
  void RefuseEarlierSession(PageContext& ctx);
  absl::Status Refresh();
  bool AllowedHost(absl::string_view host) const;

  const ConsoleOptions options_;
  const std::shared_ptr<Registry> registry_;
  SessionStore sessions_;
  std::unique_ptr<httplib::Server> http_;
  // Ends every connection's wait for its client at once (Stop).
  std::function<void()> interrupt_http_;
  std::string host_;
  int port_ = 0;
  bool tls_ = false;
  std::thread listener_;
  // Notified when the listener thread's listen_after_bind has returned.
  absl::Notification listener_done_;
  std::vector<Route> routes_;
  // The GET routes, each with its pattern compiled (for PageAt).
  std::vector<std::pair<const Route*, std::regex>> pages_;

  absl::Mutex mu_;
  v1::WhoAmIResponse who_ ABSL_GUARDED_BY(mu_);
  v1::GetReferenceDataResponse reference_ ABSL_GUARDED_BY(mu_);
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::vector<Worker> workers_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification done_;
};

// The pages, by file; each adds its routes.
void AddCommonPages(Console& console,
                    const std::function<void(std::string, std::string, Roles, PageHandler)>& add);
void AddRecordPages(Console& console,
                    const std::function<void(std::string, std::string, Roles, PageHandler)>& add);
void AddImportPages(Console& console,
                    const std::function<void(std::string, std::string, Roles, PageHandler)>& add);
void AddVettingPages(Console& console,
                     const std::function<void(std::string, std::string, Roles, PageHandler)>& add);
void AddAuditPages(Console& console,
                   const std::function<void(std::string, std::string, Roles, PageHandler)>& add);
void AddAdminPages(Console& console,
                   const std::function<void(std::string, std::string, Roles, PageHandler)>& add);

// Role names as the catalogs key them: "clerk".
std::string RoleKey(v1::Role role);

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_CONSOLE_SERVER_H_
