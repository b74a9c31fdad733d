#include "client/console/console_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <climits>
#include <cstring>
#include <regex>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/audit_events.h"
#include "client/console/embedded.h"
#include "client/console/html.h"
#include "client/console/pages.h"
#include "client/tls_probe.h"
#include "common/connection_serving.h"
#include "common/daily_limit_text.h"
#include "common/status_macros.h"
#include "httplib.h"

namespace registry::console {
namespace {

// A page of registry data is read by one official: it is not kept by the browser or anything
// between, is not framed or sniffed, and its address is not sent to other sites.
httplib::Headers SecurityHeaders() {
  return {
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      // Not "no-referrer": with it, browsers send "Origin: null" on the console's own form posts,
      // which the origin check would have to accept.
      {"Referrer-Policy", "same-origin"},
      {"X-Frame-Options", "DENY"},
      {"Cache-Control", "no-store"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
  };
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string CookieValue(absl::string_view header, absl::string_view name) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) {
      return std::string(part);
    }
  }
  return "";
}

// A bare page for refusals made before any page could be shown (no navigation): short, and the
// same whoever asks. `language`: the language of the request's session, "" when it has none;
// the page is in it, with English beneath unless it is English. Without a session it is in the
// default language with English beneath, since nothing says which the official reads. `back`:
// the page to go back to ("" for none, where no page would open without a session).
void SendRefusal(httplib::Response& response, int status, absl::string_view key,
                 absl::string_view language_code = "", absl::string_view back = "/") {
  const Catalogs& catalogs = Catalogs::Embedded();
  const Language& language =
      language_code.empty() ? Languages().front() : LanguageOrDefault(language_code);
  const std::string& code = language.code;
  const auto t = [&](absl::string_view lang, absl::string_view k) {
    return Escape(catalogs.Text(lang, k));
  };
  const std::string back_key = back == "/import" ? "refused.back_import" : "refused.back_home";
  const auto link = [&](absl::string_view lang) {
    if (back.empty()) return std::string();
    return absl::StrCat("<p><a href=\"", Escape(back), "\">", t(lang, back_key), "</a></p>");
  };
  std::string english;
  if (code != "en") {
    english = absl::StrCat("<div lang=\"en\"><p>", t("en", key), ": ",
                           t("en", absl::StrCat(key, ".help")), "</p>", link("en"), "</div>");
  }
  response.status = status;
  response.set_header("Content-Language", language.html_lang);
  response.set_content(
      absl::StrCat("<!doctype html><html lang=\"", language.html_lang,
                   "\"><head><meta charset=\"utf-8\"><title>", t(code, key),
                   "</title><link rel=\"stylesheet\" href=\"/assets/console.css\"></head><body>"
                   "<main id=\"main\"><h1>",
                   t(code, key), "</h1><p>", t(code, absl::StrCat(key, ".help")), "</p>",
                   link(code), english, "</main></body></html>"),
      "text/html; charset=utf-8");
}

// The page a sign-out leads to. No session is left to hold a language, so the sign-out's address
// names it (?lang=, else the default), and links lead to the same page in the others. It says
// how to work again, and that stopping registry-console leaves its start address unusable too.
void SendSignedOut(const httplib::Request& request, httplib::Response& response) {
  const Catalogs& catalogs = Catalogs::Embedded();
  const Language& language = LanguageOrDefault(request.get_param_value("lang"));
  const auto t = [&](absl::string_view key) { return Escape(catalogs.Text(language.code, key)); };
  std::string others;
  for (const Language& other : Languages()) {
    if (other.code == language.code) continue;
    absl::StrAppend(&others, "<li><a href=\"/signed-out?lang=", other.code, "\" lang=\"",
                    other.html_lang, "\" hreflang=\"", other.html_lang, "\">",
                    Escape(other.name), "</a></li>");
  }
  response.status = 200;
  response.set_header("Content-Language", language.html_lang);
  response.set_content(
      absl::StrCat("<!doctype html>\n<html lang=\"", language.html_lang,
                   "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                   "content=\"width=device-width, initial-scale=1\"><title>",
                   t("signout.title"), " — ", t("app.name"),
                   "</title><link rel=\"stylesheet\" href=\"/assets/console.css\"></head><body>"
                   "<header class=\"top\"><div class=\"brand\"><p class=\"app\">",
                   t("app.name"), "</p></div><nav aria-label=\"", t("lang.label"), "\"><ul>",
                   others, "</ul></nav></header><main id=\"main\"><h1>", t("signout.title"),
                   "</h1><div class=\"notice\" role=\"status\" id=\"signed-out\"><p>",
                   t("signout.text"), "</p></div><p>", t("signout.again"), "</p><p>",
                   t("signout.stop"), "</p></main><footer><p>", t("app.footer"),
                   "</p></footer></body></html>\n"),
      "text/html; charset=utf-8");
}

// Where /start sends a browser it started no session for: why, with no secret in its address.
void SendNotStarted(const httplib::Request& request, httplib::Response& response) {
  if (request.get_param_value("why") == "registry") {
    SendRefusal(response, 503, "refused.registry", "", "");
  } else {
    SendRefusal(response, 403, "refused.secret", "", "");
  }
}

// ---- Connections ----
//
// cpp-httplib 0.11 serves a connection in Server::process_and_close_socket (virtual) on a worker
// of its task queue, reading through its own stream, whose read timeout starts again with every
// byte. ConsoleHttp serves each connection through a ConsoleStream instead, whose every wait ends
// at the deadline of what it waits for (ConnectionLimits), and whose waits for the client end at
// once when the console stops.

using ConsoleClock = serving::SteadyClock;
using serving::DeadlineAfter;
using serving::SocketWait;
using serving::WaitForSocket;

// One connection, plain or TLS (the socket is non-blocking), as cpp-httplib reads requests from
// it and writes answers. Reads wait at most until the deadline of the request's part being read:
// its head (request line and headers, at most kMaxRequestHeadBytes), then its body (BeginBody).
// Writes wait at most until the answer's deadline, counted from its first byte.
class ConsoleStream final : public serving::SocketStream<httplib::Stream> {
 public:
  ConsoleStream(int sock, SSL* ssl, const ConnectionLimits& limits, int stop_fd)
      : SocketStream(sock), ssl_(ssl), limits_(limits), stop_fd_(stop_fd) {}

  // A request's head is awaited from now on: the next request of the connection, or its first.
  void BeginHead() {
    phase_ = Phase::kHead;
    head_deadline_ = DeadlineAfter(ConsoleClock::now(), limits_.request_head);
    head_bytes_ = 0;
    line_bytes_ = 0;
    line_ended_ = false;
    timed_out_ = false;
    head_too_long_ = false;
    answer_started_ = false;
  }
  // The request's headers are in; its body (an import file's when `upload`) is read from now on.
  void BeginBody(bool upload) {
    phase_ = upload ? Phase::kUpload : Phase::kForm;
    body_start_ = ConsoleClock::now();
    body_bytes_ = 0;
    answer_started_ = false;
  }
  // Whether a read ended at its deadline (the request came too slowly).
  bool timed_out() const { return timed_out_; }
  // Whether the request is left partly unread: it came too slowly, or its head was too long.
  // Nothing after it on the connection is a request.
  bool cut_short() const { return timed_out_ || head_too_long_; }

  // The TLS handshake, within the first request's head deadline.
  bool Handshake() {
    for (;;) {
      ERR_clear_error();
      const int done = SSL_accept(ssl_);
      if (done == 1) return true;
      const short want = Want(SSL_get_error(ssl_, done));
      ERR_clear_error();
      if (want == 0) return false;
      const SocketWait waited = WaitForSocket(sock_, want, stop_fd_, head_deadline_);
      if (waited != SocketWait::kReady) {
        timed_out_ = waited == SocketWait::kDeadline;
        return false;
      }
    }
  }

  // Waits for the next request to begin: at most keep_alive, and within its head deadline.
  bool WaitForRequest() {
    if (off_ < size_ || (ssl_ != nullptr && SSL_has_pending(ssl_) == 1)) return true;
    const auto deadline =
        std::min(head_deadline_, DeadlineAfter(ConsoleClock::now(), limits_.keep_alive));
    return WaitForSocket(sock_, POLLIN, stop_fd_, deadline) == SocketWait::kReady;
  }

  bool is_readable() const override {
    return off_ < size_ || (ssl_ != nullptr && SSL_has_pending(ssl_) == 1) ||
           WaitForSocket(sock_, POLLIN, stop_fd_, ReadDeadline()) == SocketWait::kReady;
  }
  bool is_writable() const override {
    return WaitForSocket(sock_, POLLOUT, -1, WriteDeadline()) == SocketWait::kReady;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (off_ < size_) return TakeBuffered(ptr, size);
    // Small reads (cpp-httplib reads a request's head a byte at a time) are served from a buffer.
    const bool direct = size >= sizeof(buf_);
    char* into = direct ? ptr : buf_;
    size_t room = direct ? size : sizeof(buf_);
    if (phase_ == Phase::kHead) {
      // A request line over the library's limit is answered 414 whatever its headers say, so
      // they are not awaited: the library reads them before it answers, and a client that never
      // ended them (curl sends a long address with a cookie jar so) was answered 408 at the
      // head's deadline, 10 s on.
      if (head_bytes_ >= kMaxRequestHeadBytes ||
          (line_ended_ && line_bytes_ > CPPHTTPLIB_REQUEST_URI_MAX_LENGTH)) {
        head_too_long_ = true;
        return -1;
      }
      room = std::min(room, kMaxRequestHeadBytes - head_bytes_);
    }
    for (;;) {
      // Checked before every read, not only when the client is silent: a client that sends a
      // byte at a time is never silent for long.
      const auto deadline = ReadDeadline();
      if (ConsoleClock::now() >= deadline) {
        timed_out_ = true;
        return -1;
      }
      short want = 0;
      const ssize_t n = ReceiveOnce(into, room, &want);
      if (n > 0) {
        (phase_ == Phase::kHead ? head_bytes_ : body_bytes_) += static_cast<size_t>(n);
        if (direct) {
          CountRequestLine(ptr, static_cast<size_t>(n));
          return n;
        }
        off_ = 0;
        size_ = static_cast<size_t>(n);
        return TakeBuffered(ptr, size);
      }
      if (n == 0 || want == 0) return n == 0 ? 0 : -1;
      const SocketWait waited = WaitForSocket(sock_, want, stop_fd_, deadline);
      if (waited == SocketWait::kDeadline) continue;  // said above, on the next turn
      if (waited != SocketWait::kReady) return -1;
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!answer_started_) {
      answer_started_ = true;
      answer_start_ = ConsoleClock::now();
      answer_bytes_ = 0;
    }
    for (;;) {
      short want = 0;
      const ssize_t n = SendOnce(ptr, size, &want);
      if (n > 0) {
        answer_bytes_ += static_cast<size_t>(n);
        return n;
      }
      if (want == 0) return -1;
      // Not cut short by a stop: a page being answered is sent whole if the client reads it.
      if (WaitForSocket(sock_, want, -1, WriteDeadline()) != SocketWait::kReady) return -1;
    }
  }

 private:
  enum class Phase { kHead, kForm, kUpload };

  static short Want(int ssl_error) {
    if (ssl_error == SSL_ERROR_WANT_READ) return POLLIN;
    if (ssl_error == SSL_ERROR_WANT_WRITE) return POLLOUT;
    return 0;
  }

  // Allowed for `bytes` of a transfer begun at `start`: the grace, then min_rate on average.
  ConsoleClock::time_point TransferDeadline(ConsoleClock::time_point start, size_t bytes) const {
    absl::Duration allowed = limits_.transfer_grace;
    if (limits_.min_rate == 0) {
      allowed = absl::InfiniteDuration();
    } else {
      allowed += absl::Seconds(static_cast<double>(bytes) / static_cast<double>(limits_.min_rate));
    }
    return DeadlineAfter(start, allowed);
  }

  ConsoleClock::time_point ReadDeadline() const {
    switch (phase_) {
      case Phase::kHead:
        return head_deadline_;
      case Phase::kForm:
        return DeadlineAfter(body_start_, limits_.form_body);
      case Phase::kUpload:
        return TransferDeadline(body_start_, body_bytes_);
    }
    return head_deadline_;
  }
  ConsoleClock::time_point WriteDeadline() const {
    return TransferDeadline(answer_started_ ? answer_start_ : ConsoleClock::now(), answer_bytes_);
  }

  ssize_t TakeBuffered(char* ptr, size_t size) {
    const size_t n = std::min(size, size_ - off_);
    std::memcpy(ptr, buf_ + off_, n);
    off_ += n;
    CountRequestLine(ptr, n);
    return static_cast<ssize_t>(n);
  }

  // Counts the request line's bytes (its CRLF included, as the library counts them) as the
  // library takes them: it reads a head a byte at a time, so nothing past the line is taken.
  void CountRequestLine(const char* taken, size_t n) {
    if (phase_ != Phase::kHead || line_ended_) return;
    const void* end = std::memchr(taken, '\n', n);
    const size_t upto = end == nullptr ? n : static_cast<const char*>(end) - taken + 1;
    line_bytes_ += upto;
    line_ended_ = end != nullptr;
  }

  // One read or write without waiting: > 0 bytes, 0 at the end of the stream, < 0 otherwise,
  // with `want` the readiness to wait for before trying again (0: it failed for good).
  ssize_t ReceiveOnce(char* into, size_t room, short* want) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, into, static_cast<int>(std::min<size_t>(room, INT_MAX)));
      if (n > 0) return n;
      const int error = SSL_get_error(ssl_, n);
      ERR_clear_error();
      if (error == SSL_ERROR_ZERO_RETURN) return 0;
      *want = Want(error);
      return -1;
    }
    return serving::ReceiveNow(sock_, into, room, want);
  }
  ssize_t SendOnce(const char* ptr, size_t size, short* want) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<size_t>(size, INT_MAX)));
      if (n > 0) return n;
      *want = Want(SSL_get_error(ssl_, n));
      ERR_clear_error();
      return -1;
    }
    return serving::SendNow(sock_, ptr, size, want);
  }

  SSL* const ssl_;
  const ConnectionLimits limits_;
  const int stop_fd_;
  Phase phase_ = Phase::kHead;
  ConsoleClock::time_point head_deadline_{};
  ConsoleClock::time_point body_start_{};
  size_t head_bytes_ = 0;
  size_t body_bytes_ = 0;
  // The request line's bytes taken so far, and whether its end was among them.
  size_t line_bytes_ = 0;
  bool line_ended_ = false;
  bool timed_out_ = false;
  bool head_too_long_ = false;
  bool answer_started_ = false;
  ConsoleClock::time_point answer_start_{};
  size_t answer_bytes_ = 0;
  char buf_[4096];
  size_t off_ = 0;
  size_t size_ = 0;
};

// The stream of the connection this worker serves (the handlers run on the worker's thread).
thread_local ConsoleStream* t_console_stream = nullptr;

// Whether the request being served came too slowly: a read of it ended at its deadline.
bool RequestTimedOut() { return t_console_stream != nullptr && t_console_stream->timed_out(); }
// Whether the request being served is left partly unread (ConsoleStream::cut_short).
bool RequestCutShort() { return t_console_stream != nullptr && t_console_stream->cut_short(); }

// httplib::Server or httplib::SSLServer, serving each connection through a ConsoleStream, its
// requests one after another (keep-alive, up to the library's count) until one fails, comes too
// slowly, or the client closes or stays silent. The library's set_read_timeout and
// set_write_timeout apply to its own stream only, and so no longer to the console; its
// keep-alive timeout is only what the answers' Keep-Alive header says. Its task queue is bounded
// (serving::BoundedWorkers): a connection past ConnectionLimits::max_waiting is closed unserved.
template <class Base>
class ConsoleHttp final : public Base {
 public:
  template <class... Args>
  explicit ConsoleHttp(const ConnectionLimits& limits, Args&&... args)
      : Base(std::forward<Args>(args)...), limits_(limits) {
    this->new_task_queue =
        serving::BoundedWorkers<httplib::TaskQueue, httplib::ThreadPool>::Factory(
            limits.workers, limits.max_waiting);
    this->set_keep_alive_timeout(std::max<time_t>(1, absl::ToInt64Seconds(limits.keep_alive)));
  }

  // Every wait for a client ends now; connections still waiting for a worker are closed unserved.
  void Interrupt() { stop_.Raise(); }

 private:
  bool process_and_close_socket(socket_t sock) override {
    return serving::ServeAndClose(sock, stop_, [&] { return Serve(sock); });
  }

  // The connection's requests, one after another; whether the last was served.
  bool Serve(socket_t sock) {
    bool served = false;
    SSL* ssl = nullptr;
    const int flags = ::fcntl(sock, F_GETFL);
    bool usable = flags >= 0 && ::fcntl(sock, F_SETFL, flags | O_NONBLOCK) == 0;
    if constexpr (std::is_same_v<Base, httplib::SSLServer>) {
      ssl = usable ? SSL_new(this->ssl_context()) : nullptr;
      usable = ssl != nullptr && SSL_set_fd(ssl, sock) == 1;
      // SSL_write returns after each record, so that an answer's progress is counted.
      if (usable) SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
    }
    ConsoleStream stream(sock, ssl, limits_, stop_.fd());
    stream.BeginHead();
    t_console_stream = &stream;
    if (usable && (ssl == nullptr || stream.Handshake())) {
      for (size_t count = this->keep_alive_max_count_; count > 0; --count) {
        if (stop_.raised() || this->svr_sock_ == INVALID_SOCKET || !stream.WaitForRequest()) {
          break;
        }
        bool closed = false;
        served = this->process_request(stream, /*close_connection=*/count == 1, closed, nullptr);
        // A request that came too slowly, or whose head was too long, is left partly unread:
        // nothing after it on this connection is a request.
        if (!served || closed || stream.cut_short()) break;
        stream.BeginHead();
      }
    }
    t_console_stream = nullptr;
    if (ssl != nullptr) {
      if (served) SSL_shutdown(ssl);
      SSL_free(ssl);
      ERR_clear_error();
    }
    return served;
  }

  const ConnectionLimits limits_;
  serving::StopSignal stop_;
};

// Whether `request`'s body is a form's fields (a media type is named in any case).
bool IsFormBody(const httplib::Request& request) {
  return absl::StartsWithIgnoreCase(request.get_header_value("Content-Type"),
                                    "application/x-www-form-urlencoded");
}

// Reads a POST's body into `request` as cpp-httplib itself would (a form's fields into params, a
// multipart body's parts into files), with kMaxFormBytes as the limit of a form. The library's
// limit (CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH, 8 KiB) is compiled into Debian's
// libcpp-httplib: defining the macro here would change nothing but this file's idea of it, and
// forms the console sends pass 8 KiB. False when the request is refused: the response's status
// says why (413 too large, 408 too slow: past its ConnectionLimits, 400 unreadable), and the
// error handler writes the page.
bool ReadBody(const httplib::Request& request_in, httplib::Response& response,
              const httplib::ContentReader& content) {
  // The server's own object, which the library fills in the same way when it reads a body.
  httplib::Request& request = const_cast<httplib::Request&>(request_in);
  bool read = false;
  // Every byte is counted here: cpp-httplib's own limit (set_payload_max_length) is not applied
  // to a body sent in chunks.
  size_t bytes = 0;
  bool too_large = false;
  if (request.is_multipart_form_data()) {
    httplib::MultipartFormDataMap::iterator part;
    size_t parts = 0;
    read = content(
        [&](const httplib::MultipartFormData& header) {
          if (parts++ == CPPHTTPLIB_MULTIPART_FORM_DATA_FILE_MAX_COUNT) return false;
          part = request.files.emplace(header.name, header);
          return true;
        },
        [&](const char* data, size_t size) {
          bytes += size;
          if (bytes > kMaxUploadBytes) {
            // Stopped, not read to its end: the connection is closed after the answer.
            too_large = true;
            return false;
          }
          part->second.content.append(data, size);
          return true;
        });
  } else {
    // Any other body is a form's, whatever it says it is, and held to a form's limit; only a
    // form's fields are read from it.
    read = content([&](const char* data, size_t size) {
      bytes += size;
      if (bytes > kMaxUploadBytes) return false;
      // A form over the limit is read to its end (up to kMaxUploadBytes) but not kept: the
      // connection stays in step for the browser's next request, and the page says what was
      // wrong instead of a reset.
      if (too_large) return true;
      if (request.body.size() + size > kMaxFormBytes) {
        too_large = true;
        request.body.clear();
        return true;
      }
      request.body.append(data, size);
      return true;
    });
    if (!read && bytes > kMaxUploadBytes) too_large = true;
    if (read && !too_large && IsFormBody(request)) {
      httplib::detail::parse_query_text(request.body, request.params);
    }
  }
  if (too_large) {
    request.body.clear();
    request.files.clear();
    if (!read) response.set_header("Connection", "close");
    response.status = 413;
    return false;
  }
  if (!read) {
    response.set_header("Connection", "close");
    if (RequestTimedOut()) {
      response.status = 408;
    } else if (response.status < 400) {
      response.status = 400;
    }
  }
  return read;
}

}  // namespace

bool NamesEveryAddress(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  bool every = false;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      every = every || reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr.s_addr ==
                           htonl(INADDR_ANY);
    } else if (a->ai_family == AF_INET6) {
      const in6_addr& six = reinterpret_cast<const sockaddr_in6*>(a->ai_addr)->sin6_addr;
      // :: and ::ffff:0.0.0.0, the unspecified address mapped.
      static const unsigned char kMappedAny[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                   0, 0, 0xff, 0xff, 0, 0, 0, 0};
      every = every || IN6_IS_ADDR_UNSPECIFIED(&six) ||
              std::memcmp(six.s6_addr, kMappedAny, sizeof(kMappedAny)) == 0;
    }
  }
  freeaddrinfo(found);
  return every;
}

bool IsLoopbackHost(absl::string_view host) {
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  in_addr v4{};
  const std::string text(host);
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

absl::StatusOr<std::pair<std::string, int>> SplitListenAddress(absl::string_view listen) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be HOST:PORT, e.g. 127.0.0.1:8080, not \"", listen, "\""));
  }
  absl::string_view host = listen.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) {
    if (!absl::ConsumeSuffix(&host, "]")) {
      return absl::InvalidArgumentError("--listen: an IPv6 address goes in brackets, [::1]:8080");
    }
  }
  if (host.empty()) {
    return absl::InvalidArgumentError("--listen needs a host, e.g. 127.0.0.1:8080");
  }
  return std::make_pair(std::string(host), port);
}

bool IsConsoleAddress(absl::string_view target) {
  if (target.empty() || target.size() > 2000 || target[0] != '/') return false;
  // "//host/..." and "/\\host/..." are other sites to a browser.
  if (target.size() > 1 && (target[1] == '/' || target[1] == '\\')) return false;
  bool query = false;
  for (char c : target) {
    if (c == '?') {
      if (query) return false;
      query = true;
      continue;
    }
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) continue;
    if (std::strchr("/-_.~", c) != nullptr) continue;
    if (query && std::strchr("%&=+,:;@!*", c) != nullptr) continue;
    return false;
  }
  return true;
}

std::string RoleKey(v1::Role role) { return client::RoleName(role); }

bool RegistryUnreachable(const absl::Status& status) {
  // CANCELLED: the console cancels no call whose status it shows, so the registry ended the call
  // (it was stopping); as with a deadline, whether a change was made is not known.
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded ||
         status.code() == absl::StatusCode::kCancelled;
}

int FailedCallStatus(const absl::Status& status, int refused) {
  return RegistryUnreachable(status) ? 503 : refused;
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
      return 503;
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
      return 400;
    default:
      return 502;
  }
}

namespace {

// Whether every parameter of a GET request's query is one the console itself puts into the
// addresses it builds (the audit filter's checked values and page token, the notice of a change
// done and the id its names removed are kept under, a backup's number, a key rotation's numbers),
// none of which names a person. A query made elsewhere (a link with a personal number in it) is
// not sent back to the browser by the language switch.
bool QueryIsTheConsoles(const httplib::Request& request) {
  static constexpr absl::string_view kNames[] = {
      "from", "to", "action", "outcome", "record_id", "check_id", "page", "done", "removed",
      "backup", "kek_version", "rewrapped"};
  for (const auto& [name, value] : request.params) {
    if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) return false;
  }
  return true;
}

}  // namespace

// ---- PageContext ----

PageContext::PageContext(Console& console, const httplib::Request& request,
                         httplib::Response& response, std::shared_ptr<Session> session,
                         bool restored)
    : console_(console),
      request_(request),
      response_(response),
      session_(std::move(session)),
      language_(LanguageOrDefault(session_->Language())),
      who_(console.who()),
      restored_(restored) {}

bool PageContext::fields_in_body() const { return request_.method == "POST" || restored_; }

Registry& PageContext::registry() { return console_.registry(); }

std::string PageContext::T(absl::string_view key) const { return Escape(Raw(key)); }

std::string PageContext::Tf(absl::string_view key,
                            const std::vector<std::pair<std::string, std::string>>& values) const {
  return FormatEscaped(language_.code, Raw(key), values);
}

std::string PageContext::Raw(absl::string_view key) const {
  return console_.catalogs().Text(language_.code, key);
}

std::string PageContext::Param(absl::string_view name) const {
  return request_.get_param_value(std::string(name));
}

std::vector<std::string> PageContext::Params(absl::string_view name) const {
  std::vector<std::string> values;
  auto range = request_.params.equal_range(std::string(name));
  for (auto it = range.first; it != range.second; ++it) values.push_back(it->second);
  return values;
}

std::string PageContext::CsrfInput() const {
  return absl::StrCat("<input type=\"hidden\" name=\"csrf\" value=\"", Escape(session_->csrf),
                      "\">");
}

void PageContext::SendPage(const std::string& title, const std::string& body, int status) {
  struct NavItem {
    const char* path;
    const char* key;
    std::vector<v1::Role> roles;
  };
  const std::vector<NavItem> nav = {
      {"/", "nav.home", {}},
      {"/records/new", "nav.new_record", {v1::ROLE_CLERK}},
      {"/search", "nav.search", {v1::ROLE_CLERK, v1::ROLE_COURT}},
      {"/import", "nav.import", {v1::ROLE_CLERK}},
      {"/subject", "nav.subject", {v1::ROLE_CLERK}},
      {"/vetting", "nav.vetting", {v1::ROLE_VETTING}},
      {"/audit", "nav.audit", {v1::ROLE_AUDITOR}},
      {"/audit/verify", "nav.verify", {v1::ROLE_AUDITOR}},
      {"/audit/export", "nav.export", {v1::ROLE_AUDITOR}},
      {"/admin", "nav.admin", {v1::ROLE_ADMIN}},
  };
  std::string links;
  for (const NavItem& item : nav) {
    if (!item.roles.empty() &&
        std::find(item.roles.begin(), item.roles.end(), who_.role()) == item.roles.end()) {
      continue;
    }
    const bool current = request_.path == item.path;
    absl::StrAppend(&links, "<li><a href=\"", item.path, "\"",
                    current ? " aria-current=\"page\"" : "", ">", T(item.key), "</a></li>");
  }
  std::string languages;
  for (const Language& language : Languages()) {
    absl::StrAppend(&languages, "<option value=\"", language.code, "\"",
                    language.code == language_.code ? " selected" : "", " lang=\"",
                    language.html_lang, "\">", Escape(language.name), "</option>");
  }
  // Where the language switch leads (see the header). A GET page's address is kept whole: the
  // console builds only addresses of validated, impersonal values (record ids, dates, codes, the
  // registry's page tokens), and one typed elsewhere is no more exposed by being reloaded. A page
  // a POST made has no address of its own; what made it stays out of every address and out of the
  // session: its fields go back in the switch's own POST body, for the form's GET page to be shown
  // again filled in. That page asks the registry only what it asks when opened: a search, a
  // vetting check or a court's read is the official's act, repeated only by their pressing the
  // button.
  // What was typed in a form of any page and not yet sent goes the same way, by the page's
  // script (console.js): the form's fields in the switch's body, and its action as `back`.
  // Where it cannot (a file chosen, two forms typed in, a body over data-max-bytes) the script
  // asks first, in the words of data-unsent.
  std::string back = language_back_;
  std::string kept;
  if (back.empty()) {
    if (!fields_in_body()) {
      back = IsConsoleAddress(request_.target) && status < 400 && QueryIsTheConsoles(request_)
                 ? request_.target
                 : request_.path;
    } else {
      back = console_.NearestPage(request_.path);
      // The switch's body must stay within what the console accepts of a form (kMaxFormBytes):
      // empty fields are left out, and fields that would not fit with the switch's own
      // (its token, `back`, the language) are not kept at all: the form then comes back empty
      // in the new language, rather than the switch being refused as too large.
      size_t size = UrlEncode(back).size() + 128;
      for (const auto& [name, value] : request_.params) {
        if (name == "csrf" || value.empty()) continue;
        size += UrlEncode(name).size() + UrlEncode(value).size() + 7;  // "keep." "=" "&"
        absl::StrAppend(&kept, "<input type=\"hidden\" name=\"keep.", Escape(name),
                        "\" value=\"", Escape(value), "\">");
      }
      if (size > kMaxFormBytes) kept.clear();
    }
  }
  if (!IsConsoleAddress(back)) back = "/";
  std::string organisation = who_.organisation_name().empty() ? who_.organisation()
                                                               : who_.organisation_name();
  const std::string html = absl::StrCat(
      "<!doctype html>\n<html lang=\"", language_.html_lang,
      "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\"><title>",
      title, " — ", T("app.name"),
      "</title><link rel=\"stylesheet\" href=\"/assets/console.css\">"
      "<script src=\"/assets/console.js\" defer></script></head><body>"
      "<a class=\"skip\" href=\"#main\">",
      T("nav.skip"),
      "</a><header class=\"top\"><div class=\"brand\"><p class=\"app\">", T("app.name"),
      "</p><p class=\"who\"><span class=\"role\">", T(absl::StrCat("role.", RoleKey(who_.role()))),
      "</span> · <span>", Text(organisation), "</span> · <code>", Text(who_.identity()),
      "</code></p></div><form class=\"lang\" method=\"post\" action=\"/language\" "
      "data-unsent=\"", T("lang.unsent"), "\" data-max-bytes=\"", kMaxFormBytes, "\">", CsrfInput(),
      "<input type=\"hidden\" name=\"back\" value=\"", Escape(back), "\">", kept,
      "<label for=\"language\">", T("lang.label"),
      "</label> <select id=\"language\" name=\"lang\">", languages, "</select> <button>",
      T("lang.change"), "</button></form><form class=\"signout\" method=\"post\" "
      "action=\"/signout\">", CsrfInput(), "<button id=\"signout-button\">", T("nav.signout"),
      "</button></form><nav aria-label=\"", T("nav.label"), "\"><ul>", links,
      "</ul></nav></header><main id=\"main\" tabindex=\"-1\"><h1>", title, "</h1>", body,
      "</main><footer><p>", T("app.footer"), "</p></footer></body></html>\n");
  response_.status = status;
  response_.set_header("Content-Language", language_.html_lang);
  // Every form of every page, the header's among them, neither autofills nor is restored by Back.
  response_.set_content(WithoutAutofill(html), "text/html; charset=utf-8");
}

namespace {
// gRPC's RESOURCE_EXHAUSTED for a message over the channel's limit ("Received message larger
// than max", "Sent message larger than max"): a request too large, not "too many requests",
// which trying again later would not help.
bool TooLargeForChannel(const absl::Status& status) {
  return absl::IsResourceExhausted(status) &&
         absl::StrContains(status.message(), "message larger than max");
}

// The catalog key of what `status` says in the console's words: a daily limit on checks of one
// person (common/daily_limit_text.h) says which, as a request too large for the channel does;
// anything else is said by its code.
std::string StatusKey(const absl::Status& status) {
  if (absl::IsResourceExhausted(status)) {
    if (TooLargeForChannel(status)) return "status.too_large";
    if (absl::StartsWith(status.message(), kNameLimitReached)) return "status.name_limit";
    if (absl::StartsWith(status.message(), kNumberLimitReached)) return "status.number_limit";
  }
  return absl::StrCat("status.", absl::StatusCodeToString(status.code()));
}
}  // namespace

namespace {
// The opening of a box that says why a whole form was refused. It takes the focus when the page
// loads (autofocus on an element that tabindex makes focusable), as the list of a form's
// problems does, so that the keyboard and a screen reader start at what went wrong.
constexpr absl::string_view kErrorBoxOpen =
    "<div class=\"error-box\" role=\"alert\" tabindex=\"-1\" autofocus>";
}  // namespace

std::string PageContext::ServerMessageHtml(const absl::Status& status) const {
  const std::string message(status.message());
  // A duplicate names the record that already holds the conviction, by its id, last: the
  // official's next step is that record, so the id links to it, for a role that opens records
  // and only when it is a record id (it goes into an address).
  const size_t colon = message.rfind(": ");
  const bool opens_records = who_.role() == v1::ROLE_CLERK || who_.role() == v1::ROLE_COURT;
  if (absl::IsAlreadyExists(status) && opens_records && colon != std::string::npos) {
    const std::string id = message.substr(colon + 2);
    if (IsRecordId(id)) {
      return absl::StrCat("<q lang=\"en\">", Text(message.substr(0, colon)),
                          ": <a id=\"existing-record\" href=\"/records/", id, "\">", id,
                          "</a></q>");
    }
  }
  return absl::StrCat("<q lang=\"en\">", Text(message), "</q>");
}

std::string PageContext::UnreachableAfter() const {
  // A page that only reads (the backups' list, a verification's progress, a record) sent nothing
  // that may have been done: it is only to be opened again.
  if (request_.method != "POST" || restored_) return "";
  // A record's form (new, correction, dispute, expunging): the record shows whether it was made.
  if (absl::StartsWith(request_.path, "/records")) {
    return absl::StrCat(" ", T("error.unreachable_record"));
  }
  return absl::StrCat(" ", T("error.unreachable_sent"));
}

namespace {
// The heading of the registry's answer `status`: a registry not reached refused nothing, nor did
// one that answered that what was asked for is not there (a record expunged since its page was
// read, an id typed that no record has).
const char* ErrorTitleKey(const absl::Status& status) {
  if (RegistryUnreachable(status)) return "error.unreachable_title";
  if (absl::IsNotFound(status)) return "error.not_found_title";
  return "error.title";
}
}  // namespace

namespace {
// The catalog key of why the registry was not reached, as registry-cli reads it too (the probe
// of client::ExplainUnavailable, client::ProbedOutcome); "" when the call was not probed.
const char* UnreachableReasonKey(const absl::Status& status) {
  const std::optional<client::TlsProbe::Outcome> outcome = client::ProbedOutcome(status);
  if (!outcome.has_value()) return "";
  using Outcome = client::TlsProbe::Outcome;
  switch (*outcome) {
    case Outcome::kNoAnswer:
      return "error.unreachable_no_answer";
    case Outcome::kNotTls:
    case Outcome::kNoTlsAnswer:
    case Outcome::kUnknown:
      return "error.unreachable_not_registry";
    case Outcome::kServerNotTrusted:
    case Outcome::kServerRevoked:
    case Outcome::kServerCertificateIsACa:
      return "error.unreachable_not_trusted";
    case Outcome::kCertificateRefused:
    case Outcome::kIdentityUnusable:
      return "error.unreachable_identity";
    case Outcome::kClosed:
      return "error.unreachable_closed";
    case Outcome::kAccepted:
      return "";
  }
  return "";
}
}  // namespace

std::string PageContext::ErrorBox(const absl::Status& status) const {
  const std::string code = absl::StatusCodeToString(status.code());
  // A registry that was not reached refused nothing: its heading says so, and why it was not
  // reached is said in the console's words. gRPC's own text ("failed to connect to all
  // addresses; last error: ...") is not repeated; a message in the registry's words is.
  const bool unreachable = RegistryUnreachable(status);
  const absl::string_view reason = unreachable ? UnreachableReasonKey(status) : "";
  const bool said = !status.message().empty() &&
                    !(unreachable && client::IsTransportText(status.message()));
  return absl::StrCat(
      kErrorBoxOpen, "<h2>", T(ErrorTitleKey(status)), "</h2><p>",
      T(StatusKey(status)),
      " <code>", Escape(code), "</code></p>",
      reason.empty() ? "" : absl::StrCat("<p id=\"unreachable-why\">", T(reason), "</p>"),
      unreachable ? absl::StrCat("<p>", T("error.unreachable_help"), UnreachableAfter(), "</p>")
                  : "",
      said ? absl::StrCat("<p>", T(unreachable ? "error.details" : "error.server_said"), " ",
                          ServerMessageHtml(status), "</p>")
           : "",
      "</div>");
}

namespace {
// The heading of what the console itself found wrong: the registry refused nothing.
const char* LocalErrorTitleKey(int http_status) {
  return http_status == 404 ? "error.local_not_found" : "error.local_not_possible";
}
}  // namespace

std::string PageContext::LocalErrorBox(absl::string_view key, int http_status) const {
  return absl::StrCat(kErrorBoxOpen, "<h2>", T(LocalErrorTitleKey(http_status)), "</h2><p>",
                      T(key), "</p></div>");
}

void PageContext::SendLocalError(absl::string_view key, int http_status) {
  SendPage(T(LocalErrorTitleKey(http_status)), LocalErrorBox(key, http_status), http_status);
}

void PageContext::SendError(const absl::Status& status, int http_status) {
  if (RegistryUnreachable(status)) {
    SendPage(T("error.unreachable_title"), ErrorBox(status), 503);
    return;
  }
  SendPage(T(ErrorTitleKey(status)), ErrorBox(status),
           http_status == 0 ? HttpStatusOf(status) : http_status);
}

bool PageContext::AnswersChangeOfThisSession() const {
  std::vector<std::pair<std::string, std::string>> params(request_.params.begin(),
                                                          request_.params.end());
  const std::string key = ChangeAddressKey(request_.path, std::move(params));
  absl::MutexLock lock(&session_->mu);
  return session_->changes_answered.Find(key, console_.Now()) != nullptr;
}

void PageContext::Redirect(const std::string& path) {
  response_.status = 303;
  response_.set_header("Location", path);
}

// ---- Console ----

Console::Console(ConsoleOptions options, std::shared_ptr<Registry> registry)
    : options_(std::move(options)),
      registry_(std::move(registry)),
      sessions_(RandomHex(32), options_.session_idle) {}

Console::~Console() { Stop(); }

v1::WhoAmIResponse Console::who() {
  absl::MutexLock lock(&mu_);
  return who_;
}

v1::GetReferenceDataResponse Console::reference() {
  absl::MutexLock lock(&mu_);
  return reference_;
}

absl::Status Console::Refresh() {
  ASSIGN_OR_RETURN(v1::WhoAmIResponse who, registry_->WhoAmI());
  v1::GetReferenceDataResponse reference;
  // The courts and offences a clerk chooses from, and a court's official reads named in the
  // page's language; other roles may not ask (and need not).
  if (who.role() == v1::ROLE_CLERK || who.role() == v1::ROLE_COURT) {
    ASSIGN_OR_RETURN(reference, registry_->GetReferenceData());
  }
  absl::MutexLock lock(&mu_);
  who_ = std::move(who);
  reference_ = std::move(reference);
  return absl::OkStatus();
}

void Console::RunInBackground(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  if (stopped_) return;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->finished->load()) {
      it->thread.join();  // at most the few instructions after its work
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  auto finished = std::make_shared<std::atomic<bool>>(false);
  std::thread thread([work = std::move(work), finished] {
    work();
    finished->store(true);
  });
  workers_.push_back(Worker{std::move(thread), std::move(finished)});
}

size_t Console::background_threads() {
  absl::MutexLock lock(&mu_);
  return workers_.size();
}

bool Console::AllowedHost(absl::string_view host) const {
  const std::string port = absl::StrCat(port_);
  if (host == absl::StrCat(host_, ":", port) || host == absl::StrCat("[", host_, "]:", port)) {
    return true;
  }
  // The same loopback listener reached by its other name.
  if (IsLoopbackHost(host_) &&
      (host == absl::StrCat("localhost:", port) || host == absl::StrCat("127.0.0.1:", port))) {
    return true;
  }
  return false;
}

std::string Console::cookie_name() const { return absl::StrCat(kSessionCookiePrefix, port_); }

std::string Console::StartUrl() {
  const std::string host = absl::StrContains(host_, ':') ? absl::StrCat("[", host_, "]") : host_;
  return absl::StrCat(tls_ ? "https" : "http", "://", host, ":", port_,
                      "/start?s=", sessions_.start_secret());
}

absl::Status Console::Start() {
  ASSIGN_OR_RETURN(auto address, SplitListenAddress(options_.listen));
  host_ = address.first;
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  tls_ = !options_.tls_cert_file.empty();
  if (!IsLoopbackHost(host_)) {
    // Anything but loopback is reachable by other computers: their users would reach the
    // official's identity through it, and the session cookie would cross the network in clear.
    if (!options_.allow_remote) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen ", options_.listen,
          " is not a loopback address: the console acts with your identity, so it listens on "
          "127.0.0.1 unless --allow-remote says otherwise (and then needs --tls-cert and "
          "--tls-key)"));
    }
    if (!tls_) {
      return absl::InvalidArgumentError(
          "--allow-remote needs --tls-cert and --tls-key: the session must not cross the network "
          "in clear");
    }
    // Every address at once has no one name for the browser to use, the certificate to name and
    // the Host check to hold requests to.
    if (NamesEveryAddress(host_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--listen ", options_.listen,
          " listens on every address: name the one address or host name the console is reached "
          "at (the one its TLS certificate names)"));
    }
  }
  RETURN_IF_ERROR(Refresh());

  // Every connection is served under options_.connection_limits (ConsoleHttp), in either.
  if (tls_) {
    auto server = std::make_unique<ConsoleHttp<httplib::SSLServer>>(
        options_.connection_limits, options_.tls_cert_file.c_str(), options_.tls_key_file.c_str());
    if (!server->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot use the TLS certificate ",
                                                     options_.tls_cert_file, " and key ",
                                                     options_.tls_key_file));
    }
    interrupt_http_ = [raw = server.get()] { raw->Interrupt(); };
    http_ = std::move(server);
  } else {
    auto server = std::make_unique<ConsoleHttp<httplib::Server>>(options_.connection_limits);
    interrupt_http_ = [raw = server.get()] { raw->Interrupt(); };
    http_ = std::move(server);
  }
  // The library's default options add SO_REUSEPORT, with which a second console bound the port
  // of a running one and the two split the browser's requests (sessions lost, forms refused).
  // SO_REUSEADDR alone lets a restart take its port back at once, and a port in use be refused.
  http_->set_socket_options([](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  httplib::Headers headers = SecurityHeaders();
  if (tls_) headers.emplace("Strict-Transport-Security", "max-age=31536000");
  http_->set_default_headers(headers);
  // An import file is the largest thing a page sends: 1000 rows a batch, many batches.
  http_->set_payload_max_length(kMaxUploadBytes);
  http_->set_pre_routing_handler([this](const httplib::Request& request,
                                        httplib::Response& response) {
    // The headers are in: what the connection waits for now is the body, under its own deadline
    // (an import file's, or a form's for any other).
    if (t_console_stream != nullptr && request.method == "POST") {
      t_console_stream->BeginBody(request.is_multipart_form_data());
    }
    return Admit(request, response) ? httplib::Server::HandlerResponse::Unhandled
                                    : httplib::Server::HandlerResponse::Handled;
  });
  http_->set_error_handler([this](const httplib::Request& request, httplib::Response& response) {
    // Headers that came too slowly are refused as such, not as unreadable. The connection of a
    // request left partly unread (too slow, or a head too long) ends after the answer
    // (ConsoleHttp).
    if (RequestTimedOut()) response.status = 408;
    if (RequestCutShort()) response.set_header("Connection", "close");
    if (!response.body.empty()) return;
    const std::string language = RefusalLanguage(request);
    // An import file refused for its size or its pace leads back to the import page, where it
    // can be sent again in parts.
    const bool upload = request.is_multipart_form_data();
    const absl::string_view back = upload ? "/import" : "/";
    // What the HTTP library itself refused: a file over the limit is not a page that is missing.
    switch (response.status) {
      case 404:
        SendRefusal(response, 404, "refused.not_found", language);
        break;
      case 413:
        // A form over kMaxFormBytes (ReadBody) is no import file: telling the official to split
        // a file, of a search or a record form, left them nowhere.
        SendRefusal(response, 413,
                    IsFormBody(request) ? "refused.form_too_large" : "refused.too_large", language,
                    back);
        break;
      case 408:
        // Only an import file is told to be split: a page's head or a form, refused for its
        // pace, had been told to split "the file" on a page with none.
        SendRefusal(response, 408, upload ? "refused.too_slow" : "refused.page_too_slow",
                    language, back);
        break;
      case 414:
        SendRefusal(response, 414, "refused.uri_too_long", language);
        break;
      default:
        SendRefusal(response, response.status, "refused.bad_request", language);
        break;
    }
  });
  http_->set_exception_handler(
      [this](const httplib::Request& request, httplib::Response& response, std::exception_ptr) {
        SendRefusal(response, 500, "refused.internal", RefusalLanguage(request));
      });
  AddRoutes();

  if (address.second == 0) {
    port_ = http_->bind_to_any_port(host_);
  } else {
    port_ = http_->bind_to_port(host_, address.second) ? address.second : -1;
  }
  if (port_ <= 0) {
    // Why, which httplib does not say: the same bind, tried once more to read its errno (a port
    // in use, an address not of this computer).
    std::string why;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(address.second);
    if (getaddrinfo(host_.c_str(), port.c_str(), &hints, &found) == 0 && found != nullptr) {
      const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
      if (fd >= 0) {
        const int yes = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) why = std::strerror(errno);
        close(fd);
      }
      freeaddrinfo(found);
    }
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options_.listen, why.empty() ? "" : absl::StrCat(": ", why),
        " (another program, or another registry-console, may use the port: give another "
        "--listen, or --listen 127.0.0.1:0 for any free port)"));
  }
  listener_ = std::thread([this] {
    http_->listen_after_bind();
    listener_done_.Notify();
  });
  return absl::OkStatus();
}

void Console::Stop() {
  std::vector<Worker> workers;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    workers.swap(workers_);
  }
  // The HTTP library's stop() does nothing until its listener has started running, and the
  // listener then waits in accept() for good: a Stop() right after Start() hung (1 run of the
  // console's tests in 5 on a loaded machine). It is asked again until the listener has returned.
  if (listener_.joinable()) {
    // First the waits for clients, so that the workers the listener joins once it stops are free
    // within moments, whatever their clients send (or do not).
    interrupt_http_();
    do {
      http_->stop();
    } while (!listener_done_.WaitForNotificationWithTimeout(absl::Milliseconds(10)));
    listener_.join();
  }
  for (Worker& worker : workers) worker.thread.join();
  done_.Notify();
}

void Console::Wait() { done_.WaitForNotification(); }

const Console::Route* Console::PageAt(const std::string& path) const {
  for (const auto& [route, pattern] : pages_) {
    if (std::regex_match(path, pattern)) return route;
  }
  return nullptr;
}

std::string Console::NearestPage(absl::string_view path) const {
  std::string at(path);
  while (!at.empty() && at[0] == '/') {
    if (PageAt(at) != nullptr) return at;
    const size_t slash = at.rfind('/');
    if (slash == 0) break;
    at.resize(slash);
  }
  return "/";
}

std::string Console::PageOfForm(const std::string& path) const {
  if (PageAt(path) != nullptr) return path;
  for (const Route& route : routes_) {
    if (route.method == "POST" && std::regex_match(path, std::regex(route.pattern))) {
      return NearestPage(path);
    }
  }
  return path;
}

bool Console::ShowPage(PageContext& ctx, const std::string& path,
                       std::vector<std::pair<std::string, std::string>> fields) {
  const Route* route = PageAt(path);
  if (route == nullptr) return false;
  // The page's own request, as a GET of `path` whose fields are the form's: nothing of the
  // switch's POST (its body, its token) reaches the page.
  httplib::Request shown = ctx.request();
  shown.method = "GET";
  shown.path = path;
  shown.target = path;
  shown.body.clear();
  shown.files.clear();
  shown.params.clear();
  for (auto& [name, value] : fields) shown.params.emplace(std::move(name), std::move(value));
  std::regex_match(shown.path, shown.matches, std::regex(route->pattern));
  PageContext page(*this, shown, ctx.response(), ctx.session_ptr(), /*restored=*/true);
  if (RefuseRole(*route, page)) return true;
  route->handler(page);
  return true;
}

void Console::Add(std::string method, std::string pattern, Roles roles, PageHandler handler) {
  routes_.push_back({std::move(method), std::move(pattern), std::move(roles), std::move(handler)});
}

void Console::AddRoutes() {
  const auto add = [this](std::string method, std::string pattern, Roles roles,
                          PageHandler handler) {
    Add(std::move(method), std::move(pattern), std::move(roles), std::move(handler));
  };
  AddCommonPages(*this, add);
  // For every role: the console's own, since it ends what the console holds, not the registry's.
  Add("POST", "/signout", {}, [this](PageContext& ctx) { SignOut(ctx); });
  AddRecordPages(*this, add);
  AddImportPages(*this, add);
  AddVettingPages(*this, add);
  AddAuditPages(*this, add);
  AddAdminPages(*this, add);
  for (const Route& route : routes_) {
    const Route* r = &route;
    if (route.method == "GET") pages_.emplace_back(r, std::regex(route.pattern));
    if (route.method == "GET") {
      http_->Get(route.pattern,
                 [this, r](const httplib::Request& request, httplib::Response& response) {
                   Serve(*r, request, response);
                 });
    } else {
      // With a content reader, so that the console reads the body (ReadBody) under its own
      // limit on a form rather than the library's.
      http_->Post(route.pattern,
                  [this, r](const httplib::Request& request, httplib::Response& response,
                            const httplib::ContentReader& content) {
                    if (ReadBody(request, response, content)) Serve(*r, request, response);
                  });
    }
  }
  // A POST to no page of the console: its body is read the same way, so that it is told there is
  // no such page whatever the size of its form (up to kMaxFormBytes), not that the form is too
  // large for the library.
  http_->Post(".*", [](const httplib::Request& request, httplib::Response& response,
                       const httplib::ContentReader& content) {
    if (ReadBody(request, response, content)) response.status = 404;
  });
  http_->Get("/start", [this](const httplib::Request& request, httplib::Response& response) {
    StartSession(request, response);
  });
  http_->Get("/signed-out", SendSignedOut);
  http_->Get("/not-started", SendNotStarted);
  for (const char* asset : {"console.css", "console.js"}) {
    const std::string name = absl::StrCat("assets/", asset);
    const std::string type = absl::EndsWith(name, ".css") ? "text/css; charset=utf-8"
                                                          : "text/javascript; charset=utf-8";
    http_->Get(absl::StrCat("/", name),
               [name, type](const httplib::Request&, httplib::Response& response) {
                 std::optional<absl::string_view> data = EmbeddedFileContents(name);
                 response.set_content(std::string(data.value_or("")), type.c_str());
               });
  }
}

bool Console::Admit(const httplib::Request& request, httplib::Response& response) {
  // A refusal here comes before a body is read: the connection is closed after it, since the
  // unread body would otherwise be taken for the next request on it.
  const auto refuse = [&](int status, absl::string_view key) {
    // No session is asked for a refusal without one, and none is at all for another host: its
    // page says where to start, not where to go back to.
    if (key == "refused.no_session" || key == "refused.session_ended" || key == "refused.host") {
      SendRefusal(response, status, key, "", "");
    } else {
      SendRefusal(response, status, key, RefusalLanguage(request));
    }
    response.set_header("Connection", "close");
    return false;
  };
  // No page is sent in parts: a Range header is ignored (as HTTP allows), since cpp-httplib
  // answers any number of ranges of one file, thousands of copies of the stylesheet to a caller
  // without a session. It applies the ranges it parsed to every response, a refusal's too, so
  // they are dropped here, before any: the request is the server's own object, passed const.
  const_cast<httplib::Request&>(request).ranges.clear();
  // DNS rebinding: a hostile site's name pointed at 127.0.0.1 reaches this port from the
  // official's own browser; it still says its own name in Host.
  if (!AllowedHost(request.get_header_value("Host"))) {
    return refuse(421, "refused.host");
  }
  // Browsers say where a request comes from. Only this origin, or the official typing the
  // address (none), may reach a page; another site's page never may.
  const std::string site = request.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return refuse(403, "refused.cross_site");
  }
  const std::string origin = request.get_header_value("Origin");
  if (!origin.empty()) {
    const std::string scheme = tls_ ? "https://" : "http://";
    if (!absl::StartsWith(origin, scheme) ||
        !AllowedHost(absl::string_view(origin).substr(scheme.size()))) {
      return refuse(403, "refused.cross_site");
    }
  }
  if (request.method != "GET" && request.method != "POST") {
    return refuse(405, "refused.method");
  }
  // A form posts its fields in the body, never in the address: cpp-httplib merges the query's
  // parameters with the body's, so a court's read posted to "/records/ID?case_ref=...&purpose=..."
  // took its purpose from a link, and a personal number in the address goes into logs and
  // history. No form of the console posts to an address with a query.
  if (request.method == "POST" && request.target.find('?') != std::string::npos) {
    return refuse(400, "refused.bad_request");
  }
  // The start page, where it sends a browser it started no session for, the page a sign-out
  // leads to, and the stylesheet and script (nothing in them
  // is secret) need no session.
  if (request.path == "/start" || request.path == "/not-started" ||
      request.path == "/signed-out" ||
      request.path == "/assets/console.css" || request.path == "/assets/console.js") {
    return true;
  }
  const std::string session_id = CookieValue(request.get_header_value("Cookie"), cookie_name());
  std::shared_ptr<Session> session = sessions_.Find(session_id, Now());
  if (session == nullptr) {
    // A cookie of a session that ended (signed out, idle too long) is told so, and that a form
    // it sent was not sent on; any other, that there is no session.
    return refuse(401, sessions_.Ended(session_id) ? "refused.session_ended"
                                                   : "refused.no_session");
  }
  return true;
}

std::string Console::RefusalLanguage(const httplib::Request& request) {
  return sessions_.LanguageOf(CookieValue(request.get_header_value("Cookie"), cookie_name()),
                              Now());
}

void Console::Serve(const Route& route, const httplib::Request& request,
                    httplib::Response& response) {
  std::shared_ptr<Session> session = sessions_.Find(
      CookieValue(request.get_header_value("Cookie"), cookie_name()), Now());
  if (session == nullptr) {  // expired between the gate and here
    SendRefusal(response, 401, "refused.no_session", "", "");
    return;
  }
  // Whatever sessions keep past its life goes before any page looks for it, in every session:
  // what it holds of people is not kept in memory for as long as an idle session lasts.
  sessions_.ForgetExpired(Now());
  if (request.method == "POST") {
    // Checked here rather than in Admit: cpp-httplib reads a request's body only after its
    // pre-routing handler. The token counts in the form body only: a query string may be logged
    // or kept in the browser's history.
    std::string token;
    if (request.is_multipart_form_data()) {
      token = request.get_file_value("csrf").content;
    } else if (IsFormBody(request)) {
      // Only a form's fields: a body of another type that holds "csrf=..." is no form.
      httplib::Params body;
      httplib::detail::parse_query_text(request.body, body);
      auto it = body.find("csrf");
      if (it != body.end()) token = it->second;
    }
    if (!ConstantTimeEquals(token, session->csrf)) {
      // A token this console gave another session of this browser is no other site's form: the
      // page was shown to a session since replaced or ended. Still refused, but said so (not
      // "not sent from this console's page"), and what the form held is kept to be shown again.
      if (!sessions_.TokenOfAnotherSession(token, *session)) {
        SendRefusal(response, 403, "refused.csrf", session->Language());
        return;
      }
      PageContext context(*this, request, response, session);
      if (request.path == "/signout") {
        // Signing out from a page of the earlier session: the official means to leave, and
        // leaving is never harmful; refusing it left the current session open behind a refusal.
        SignOut(context);
        return;
      }
      RefuseEarlierSession(context);
      return;
    }
  }
  PageContext context(*this, request, response, session);
  if (RefuseRole(route, context)) return;
  route.handler(context);
  // A POST answered by a redirect is a change made (a record saved or expunged, a dispute, a
  // check, a language chosen): the pages shown before it are not to come back from the
  // back/forward cache (MarkChange). Signing out changes its cookies itself.
  if (request.method == "POST" && response.status >= 300 && response.status < 400 &&
      request.path != "/signout") {
    MarkChange(response);
    // The address the change was answered with, whose page may then say what was done. Not the
    // language switch's: it leads back to any address of the console, made up ones included,
    // and changes nothing.
    if (request.path != "/language") {
      const std::string location = response.get_header_value("Location");
      const size_t query = location.find('?');
      httplib::Params params;
      if (query != std::string::npos) {
        httplib::detail::parse_query_text(location.substr(query + 1), params);
      }
      const std::string key = ChangeAddressKey(
          location.substr(0, query),
          std::vector<std::pair<std::string, std::string>>(params.begin(), params.end()));
      absl::MutexLock lock(&session->mu);
      session->changes_answered.Add(key, true, Now());
    }
  }
}

void Console::RefuseEarlierSession(PageContext& ctx) {
  const httplib::Request& request = ctx.request();
  // The form's fields, as the language switch carries them ("keep." and the field's name), back
  // to the nearest page at or above the POST's path, which shows them again (ShowPage): nothing
  // is sent to the registry, and the official sends the form again with the button of its page.
  // Within what the console accepts of a form; a file being uploaded is not kept.
  const std::string back = NearestPage(request.path);
  std::string kept;
  size_t size = UrlEncode(back).size() + 200;
  for (const auto& [name, value] : request.params) {
    if (name == "csrf" || value.empty()) continue;
    size += UrlEncode(name).size() + UrlEncode(value).size() + 7;
    absl::StrAppend(&kept, "<input type=\"hidden\" name=\"keep.", Escape(name), "\" value=\"",
                    Escape(value), "\">");
  }
  if (size > kMaxFormBytes || request.is_multipart_form_data()) kept.clear();
  std::string body =
      absl::StrCat("<div class=\"warning\" role=\"alert\" id=\"earlier-session\"><p>",
                   ctx.T("refused.earlier_session.help"), "</p></div>");
  if (!kept.empty() && IsConsoleAddress(back)) {
    absl::StrAppend(&body, "<form method=\"post\" action=\"/language\" id=\"keep-form\">",
                    ctx.CsrfInput(), "<input type=\"hidden\" name=\"lang\" value=\"",
                    Escape(ctx.language().code), "\"><input type=\"hidden\" name=\"back\" value=\"",
                    Escape(back), "\">", kept, "<p>", ctx.T("refused.earlier_session.kept"),
                    "</p><div class=\"actions\"><button class=\"primary\">",
                    ctx.T("refused.earlier_session.show"), "</button></div></form>");
  } else {
    absl::StrAppend(&body, "<p><a href=\"/\">", ctx.T("refused.back_home"), "</a></p>");
  }
  ctx.SendPage(ctx.T("refused.earlier_session"), body, 403);
}

bool Console::RefuseRole(const Route& route, PageContext& ctx) {
  if (route.roles.empty() ||
      std::find(route.roles.begin(), route.roles.end(), ctx.who().role()) != route.roles.end()) {
    return false;
  }
  ctx.SendPage(ctx.T("refused.role"), absl::StrCat("<p>", ctx.T("refused.role.help"), "</p>"),
               403);
  return true;
}

void Console::StartSession(const httplib::Request& request, httplib::Response& response) {
  // Every answer sends the browser on at once, off the address that holds the secret: a page
  // shown there (a refusal, the registry down) kept it in the address bar.
  response.status = 303;
  // The secret is spent by the first request that offers it, whatever follows: the browser's
  // history keeps the address, and it is to open nothing once the official has used it (signed
  // in, or tried to while the registry was down, and walked away).
  if (!sessions_.SpendSecret(request.get_param_value("s"))) {
    response.set_header("Location", "/not-started?why=secret");
    return;
  }
  if (options_.start_url_changed) {
    options_.start_url_changed(ConsoleOptions::StartUrlEvent::kUsed, StartUrl());
  }
  // The registry may have changed this identity's role since start-up.
  if (absl::Status refreshed = Refresh(); !refreshed.ok()) {
    response.set_header("Location", "/not-started?why=registry");
    return;
  }
  std::shared_ptr<Session> session = sessions_.Create(Now());
  response.set_header("Set-Cookie", SessionCookie(session->id, /*expired=*/false));
  response.set_header("Location", "/");
}

std::string Console::ChangeCookieName() const { return absl::StrCat(cookie_name(), "-changed"); }

void Console::MarkChange(httplib::Response& response, bool expired) const {
  std::string cookie = absl::StrCat(ChangeCookieName(), "=", expired ? "" : RandomHex(16),
                                    "; Path=/; HttpOnly; SameSite=Strict");
  if (expired) absl::StrAppend(&cookie, "; Max-Age=0");
  if (tls_) absl::StrAppend(&cookie, "; Secure");
  response.set_header("Set-Cookie", cookie);
}

std::string Console::SessionCookie(absl::string_view id, bool expired) const {
  std::string cookie =
      absl::StrCat(cookie_name(), "=", id, "; Path=/; HttpOnly; SameSite=Strict");
  if (expired) absl::StrAppend(&cookie, "; Max-Age=0");
  if (tls_) absl::StrAppend(&cookie, "; Secure");
  return cookie;
}

void Console::SignOut(PageContext& ctx) {
  // On a computer others use after the official: the session is gone from the console at once,
  // so its cookie opens nothing even if the browser keeps it; the browser is told to drop it.
  const std::string language = ctx.language().code;
  sessions_.End(ctx.session().id);
  // The official, or the next user of the computer, needs a start address that works: the one
  // used for this session is spent.
  if (options_.start_url_changed) {
    options_.start_url_changed(ConsoleOptions::StartUrlEvent::kSignedOut, StartUrl());
  }
  ctx.response().set_header("Set-Cookie", SessionCookie("", /*expired=*/true));
  MarkChange(ctx.response(), /*expired=*/true);
  ctx.Redirect(absl::StrCat("/signed-out?lang=", language));
}

}  // namespace registry::console
