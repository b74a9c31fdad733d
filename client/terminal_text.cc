#include "client/terminal_text.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace registry::client {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xc0) == 0x80; }

// Decodes the well-formed UTF-8 sequence at the start of `text` (Unicode 15, table 3-7): returns
// its length and sets *code_point, or returns 0 when the first byte does not start one. The
// second byte's range depends on the first, which is what rules out overlong forms (C0, C1,
// E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF).
size_t DecodeUtf8(absl::string_view text, uint32_t* code_point) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  }
  size_t length;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 == 0xe0) second_min = 0xa0;
    if (b0 == 0xed) second_max = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 == 0xf0) second_min = 0x90;
    if (b0 == 0xf4) second_max = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < second_min || byte(1) > second_max) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (!IsContinuation(byte(i))) return 0;
  }
  uint32_t value = b0 & (0xff >> (length + 1));
  for (size_t i = 1; i < length; ++i) value = (value << 6) | (byte(i) & 0x3f);
  *code_point = value;
  return length;
}

// The code points above U+007F that are shown as \uNNNN: they move text around, change how it
// reads, or break a line, or are not seen at all ("Arben" and "Arben" + U+200B look the same,
// and are two names to the registry), without being visible themselves.
bool IsHiddenFormatting(uint32_t c) {
  return (c >= 0x80 && c <= 0x9f) ||       // C1 controls (CSI is U+009B)
         c == 0x00ad ||                    // SOFT HYPHEN
         c == 0x061c ||                    // ARABIC LETTER MARK
         (c >= 0x200b && c <= 0x200d) ||   // ZERO WIDTH SPACE, NON-JOINER, JOINER
         c == 0x2060 ||                    // WORD JOINER
         c == 0xfeff ||                    // ZERO WIDTH NO-BREAK SPACE (byte order mark)
         c == 0x200e || c == 0x200f ||     // LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
         c == 0x2028 || c == 0x2029 ||     // LINE SEPARATOR, PARAGRAPH SEPARATOR
         (c >= 0x202a && c <= 0x202e) ||   // embeddings, overrides, POP DIRECTIONAL FORMATTING
         (c >= 0x2066 && c <= 0x2069);     // isolates, POP DIRECTIONAL ISOLATE
}

}  // namespace

bool IsInvisibleCharacter(uint32_t c) {
  return c == 0x00ad || c == 0x061c || (c >= 0x200b && c <= 0x200f) || c == 0x2060 ||
         c == 0xfeff || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

std::string InvisibleCharacterProblem(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    uint32_t c = 0;
    const size_t length = DecodeUtf8(text.substr(i), &c);
    if (length == 0) return "";
    i += length;
    if (!IsInvisibleCharacter(c)) continue;
    // Named by its code point, never by the text around it (a name): the one to delete.
    return absl::StrFormat(
        "holds an invisible character (U+%04X), as text copied from a web page or a document "
        "may: type the name again without it",
        c);
  }
  return "";
}

bool IsWellFormedUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    uint32_t c = 0;
    const size_t length = DecodeUtf8(text.substr(i), &c);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string ForTerminal(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    uint32_t c = 0;
    const size_t length = DecodeUtf8(text.substr(i), &c);
    if (length == 0) {
      // Not the start of well-formed UTF-8: show this one byte and look again at the next, which
      // may start a good sequence (a truncated sequence followed by ASCII loses no ASCII).
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(text[i]));
      i += 1;
      continue;
    }
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else if (IsHiddenFormatting(c)) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.append(text.data() + i, length);
    }
    i += length;
  }
  return out;
}

namespace {

size_t Columns(absl::string_view text) {
  // Code points: every continuation byte of UTF-8 belongs to the character before it.
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

}  // namespace

namespace {
// Set once by main before anything is printed; 80 otherwise (tests, the console).
std::atomic<size_t> text_columns{kStandardColumns};
}  // namespace

size_t TerminalColumns(int fd, absl::string_view columns) {
  size_t found = 0;
  winsize size{};
  // A terminal whose size is not known (a pty nobody sized) reports 0 columns.
  if (fd >= 0 && isatty(fd) == 1 && ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    found = size.ws_col;
  } else if (!absl::SimpleAtoi(columns, &found) || found == 0) {
    found = kStandardColumns;
  }
  return std::clamp(found, kMinColumns, kMaxColumns);
}

void SetTextColumns(size_t columns) {
  text_columns.store(std::clamp(columns, kMinColumns, kMaxColumns));
}

size_t TextColumns() { return text_columns.load(); }

namespace {

// `width`, given for an 80-column screen, for the screen TextColumns() gives: another one moves
// the right margin by as much, leaving at least a few words a line.
size_t ForTheScreen(size_t width) {
  const size_t columns = TextColumns();
  if (columns > kStandardColumns) return width + columns - kStandardColumns;
  const size_t narrower = kStandardColumns - columns;
  return width > narrower + kMinWrapWidth ? width - narrower : std::min(width, kMinWrapWidth);
}

}  // namespace

std::string Wrap(absl::string_view text, size_t width, size_t indent) {
  return WrapAfter(text, width, width, indent);
}

std::string WrapAfter(absl::string_view text, size_t first_width, size_t width, size_t indent) {
  first_width = ForTheScreen(first_width);
  width = ForTheScreen(width);
  std::string out;
  size_t column = 0;
  bool first = true;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    const size_t length = Columns(word);
    if (column > 0 && column + 1 + length > (first ? first_width : width)) {
      absl::StrAppend(&out, "\n", std::string(indent, ' '));
      column = 0;
      first = false;
    } else if (column > 0) {
      out.push_back(' ');
      ++column;
    }
    out.append(word.data(), word.size());
    column += length;
  }
  return out;
}

namespace {

// `value` after `lead` (a label and the space after it, or nothing), wrapped for `width`
// columns as LabelledLines says; ends with a newline.
std::string WrapValue(absl::string_view lead, absl::string_view value, size_t indent,
                      size_t width) {
  std::string out(lead);
  size_t column = Columns(lead);
  // Where the text of the line being written starts: a line that holds only its indent takes
  // its first word whatever its length. The label's line holds the label.
  size_t line_start = 0;
  size_t at = 0;
  while (at < value.size()) {
    const size_t word_at = value.find_first_not_of(' ', at);
    if (word_at == absl::string_view::npos) {
      // Spaces at the end of the value are the value's.
      out.append(value.data() + at, value.size() - at);
      break;
    }
    const size_t spaces = word_at - at;
    const size_t word_end = std::min(value.find(' ', word_at), value.size());
    const absl::string_view word = value.substr(word_at, word_end - word_at);
    const size_t length = Columns(word);
    // On a new line it would start at the indent, or at column 0 when it fits only there.
    const size_t new_line_at = indent + length <= width ? indent : 0;
    if (column > line_start && column + spaces + length > width &&
        new_line_at < column + spaces) {
      // The space after a label that its value left.
      while (!out.empty() && out.back() == ' ') out.pop_back();
      absl::StrAppend(&out, "\n", std::string(new_line_at, ' '));
      column = line_start = new_line_at;
    } else {
      out.append(spaces, ' ');
      column += spaces;
    }
    out.append(word.data(), word.size());
    column += length;
    at = word_end;
  }
  out.push_back('\n');
  return out;
}

}  // namespace

std::string LabelledLines(const std::vector<LabelledValue>& fields, size_t label_width,
                          size_t width) {
  const bool in_a_column = width >= label_width + 1 + kMinWrapWidth;
  std::string out;
  for (const LabelledValue& field : fields) {
    const absl::string_view value =
        field.value.empty() ? absl::string_view("-") : absl::string_view(field.value);
    std::string lead = field.label;
    if (in_a_column && Columns(lead) < label_width) lead.append(label_width - Columns(lead), ' ');
    lead.push_back(' ');
    out += WrapValue(lead, value, in_a_column ? label_width + 1 : 2, width);
  }
  return out;
}

}  // namespace registry::client
