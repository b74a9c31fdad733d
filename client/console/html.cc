#include "client/console/html.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "client/terminal_text.h"

namespace registry::console {

namespace {

// The length of the well-formed UTF-8 sequence at text[at] (1..4), or 0 when none starts there;
// `*bad` is then how many bytes a U+FFFD stands for: the maximal subpart of a sequence (a lead
// byte and the continuation bytes that fit it), at least one byte.
size_t Utf8Length(absl::string_view text, size_t at, size_t* bad) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  *bad = 1;
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range (Unicode table 3-7)
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong form
    if (lead == 0xED) high = 0x9F;  // no surrogate
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong form
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    if (at + i >= text.size()) return 0;
    const unsigned char c = byte(at + i);
    if (c < (i == 1 ? low : 0x80) || c > (i == 1 ? high : 0xBF)) return 0;
    *bad = i + 1;
  }
  return length;
}

}  // namespace

std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    size_t bad = 1;
    const size_t length = Utf8Length(text, at, &bad);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      at += bad;
      continue;
    }
    if (length > 1) {
      out.append(text.data() + at, length);
      at += length;
      continue;
    }
    const char c = text[at++];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Text(absl::string_view text) { return Escape(client::ForTerminal(text)); }

std::string WithoutAutofill(absl::string_view page) {
  std::string out;
  out.reserve(page.size() + 1024);
  size_t copied = 0;
  for (size_t at = page.find('<'); at != absl::string_view::npos; at = page.find('<', at + 1)) {
    size_t name_end = at + 1;
    while (name_end < page.size() && absl::ascii_isalpha(page[name_end])) ++name_end;
    const absl::string_view name = page.substr(at + 1, name_end - at - 1);
    if (name != "form" && name != "input" && name != "select" && name != "textarea") continue;
    if (name_end >= page.size() || (page[name_end] != ' ' && page[name_end] != '>')) continue;
    // The tag's end: its attribute values are escaped, so they hold no '>'.
    const size_t end = page.find('>', name_end);
    if (end == absl::string_view::npos) break;
    const absl::string_view tag = page.substr(at, end - at);
    if (absl::StrContains(tag, " autocomplete=") ||
        (name == "input" && absl::StrContains(tag, " type=\"hidden\""))) {
      continue;
    }
    out.append(page.data() + copied, end - copied);
    out += " autocomplete=\"off\"";
    copied = end;
  }
  out.append(page.data() + copied, page.size() - copied);
  return out;
}

std::string UrlEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  return out;
}

}  // namespace registry::console
