// Text that came from the server (or from a file someone else made, like a vetting certificate)
// made safe to print on a terminal. A value such as a surname, a reason or an audit actor is
// chosen by whoever wrote it into the registry; printed as it is, it could carry terminal escape
// sequences (move the cursor, rewrite earlier lines, set the window title, on some terminals
// write files or run commands), a newline that forges a line of output, or bidirectional
// formatting characters that make text read differently from what it is ("Trojan Source").
//
//   ctx.out() << "Surname: " << ForTerminal(person.surname()) << "\n";
//
// ForTerminal keeps every other character as it is (so Albanian, Serbian Cyrillic and any other
// script print normally) and shows the dangerous ones as visible escapes:
//
//   \\            a backslash itself, so that every escape below is unambiguous
//   \n \r \t      line feed, carriage return, tab
//   \xNN          any other C0 control (U+0000..U+001F), DEL (U+007F), and each byte that is not
//                 part of well-formed UTF-8 (a stray continuation byte, an overlong form, a
//                 surrogate, a code point above U+10FFFF, a truncated sequence)
//   \uNNNN        C1 controls (U+0080..U+009F), the bidirectional formatting characters (U+061C,
//                 U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), the line and paragraph
//                 separators U+2028, U+2029 (a line break inside a value, like \n), and the
//                 invisible characters U+00AD (soft hyphen), U+200B..U+200D (zero-width space,
//                 non-joiner, joiner), U+2060 (word joiner) and U+FEFF (byte order mark), which
//                 make two different names look the same
//
// Hex digits are lowercase. The mapping is one-to-one: the original bytes can be recovered from
// the output, so nothing a server sends can pass for something else. The output is well-formed
// UTF-8 and holds none of the characters above.
//
// Apply it to each value from the server, not to whole lines the client builds: the client's own
// newlines separate lines; a newline inside a value is the server's and is escaped.
#ifndef REGISTRY_CLIENT_TERMINAL_TEXT_H_
#define REGISTRY_CLIENT_TERMINAL_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace registry::client {

// `text` with the characters listed above escaped. Cannot fail.
std::string ForTerminal(absl::string_view text);

// Whether `text` is well-formed UTF-8 throughout (the rules above: no overlong form, surrogate,
// code point above U+10FFFF or truncated sequence). Protobuf's string fields must be.
bool IsWellFormedUtf8(absl::string_view text);

// Whether code point `c` is not seen on a screen, or only by its effect on the text around it:
// U+00AD, U+061C, U+200B..U+200F, U+2060, U+FEFF and the bidirectional controls U+202A..U+202E,
// U+2066..U+2069. A name holding one looks like the name without it, and is another name to the
// registry (a search, a duplicate check or a vetting check would miss the person). Text copied
// from web pages and documents brings them along.
bool IsInvisibleCharacter(uint32_t c);

// "" unless `text` holds an invisible character (IsInvisibleCharacter); then what is wrong,
// naming the first by its code point, never the text: "holds an invisible character (U+200B),
// ...". Text that is not UTF-8 is left to IsWellFormedUtf8.
std::string InvisibleCharacterProblem(absl::string_view text);

// `text` wrapped at spaces into lines of at most `width` columns of text (counted in code
// points), every line after the first indented by `indent` spaces (not counted in `width`); a
// word longer than a line stands alone. For the client's own text (help, problems); it does not
// escape. `width` is that of an 80-column screen: with TextColumns() other than 80, the lines
// are as much narrower or wider (never under kMinWrapWidth), so that a 60-column terminal does
// not break each line twice.
std::string Wrap(absl::string_view text, size_t width, size_t indent);
// The same, with a first line of at most `first_width` columns (also for an 80-column screen):
// text after something already on its line (an error's "error: CODE: ") takes the line's whole
// width, and the lines after it `width` after their indent.
std::string WrapAfter(absl::string_view text, size_t first_width, size_t width, size_t indent);

// Fields as "Label: value" lines for a terminal `width` columns wide, each ending with a
// newline. The values start in one column, after the labels padded to `label_width` and a space,
// when that leaves them at least kMinWrapWidth columns; otherwise each starts after its label.
// A value too long for its line is wrapped at its spaces, its further lines indented to where
// the values start (2 when each starts after its label), and never inside a word: an id or a URI
// that does not fit after the indent starts a line of its own at column 0, and one wider than
// the terminal stands alone on its line. An empty value shows as "-". Labels and values are
// printed as they are (escape the server's text first, ForTerminal).
struct LabelledValue {
  std::string label;  // "Surname:"
  std::string value;
};
std::string LabelledLines(const std::vector<LabelledValue>& fields, size_t label_width,
                          size_t width);

// The screen the client's text is laid out for, and the range a terminal's width is held to: a
// narrower one leaves a few words a line, a wider one lines too long to read.
inline constexpr size_t kStandardColumns = 80;
inline constexpr size_t kMinColumns = 40;
inline constexpr size_t kMaxColumns = 120;
inline constexpr size_t kMinWrapWidth = 20;

// The width of the terminal at `fd` (TIOCGWINSZ) when it is one and knows its size, else
// `columns` (the COLUMNS variable) when it is a number above 0, else 80; held to
// kMinColumns..kMaxColumns.
size_t TerminalColumns(int fd, absl::string_view columns);

// The width Wrap lays text out for (TerminalColumns of the output, set by main before anything
// is printed); 80 unless set, as in tests and the console. Held to kMinColumns..kMaxColumns.
void SetTextColumns(size_t columns);
size_t TextColumns();

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_TERMINAL_TEXT_H_
