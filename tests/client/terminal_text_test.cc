#include "client/terminal_text.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::client {
namespace {

// The test's own UTF-8, written from the definition rather than from the byte-range table the
// code uses: a sequence is well formed when its bit pattern decodes to a code point that needs
// exactly that many bytes, is not a surrogate and is at most U+10FFFF.
std::string Encode(uint32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
  return out;
}

// Splits well-formed UTF-8 into code points; nullopt when `text` is not well formed.
std::optional<std::vector<uint32_t>> Decode(const std::string& text) {
  std::vector<uint32_t> code_points;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char b0 = static_cast<unsigned char>(text[i]);
    size_t length = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xe ? 3
                                    : (b0 >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return std::nullopt;
    uint32_t c = length == 1 ? b0 : b0 & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      const unsigned char b = static_cast<unsigned char>(text[i + k]);
      if ((b >> 6) != 0x2) return std::nullopt;
      c = (c << 6) | (b & 0x3f);
    }
    if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || Encode(c).size() != length) {
      return std::nullopt;
    }
    code_points.push_back(c);
    i += length;
  }
  return code_points;
}

bool MustBeEscaped(uint32_t c) {
  return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x00ad || c == 0x061c ||
         (c >= 0x200b && c <= 0x200f) || c == 0x2028 || c == 0x2029 ||
         (c >= 0x202a && c <= 0x202e) || c == 0x2060 || (c >= 0x2066 && c <= 0x2069) ||
         c == 0xfeff;
}

// The escape the header documents for a code point that must be escaped.
std::string DocumentedEscape(uint32_t c) {
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if (c == '\t') return "\\t";
  if (c < 0x80) return absl::StrFormat("\\x%02x", c);
  return absl::StrFormat("\\u%04x", c);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Undoes ForTerminal; nullopt for a backslash that starts no documented escape.
std::optional<std::string> Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 >= text.size()) return std::nullopt;
    const char kind = text[++i];
    if (kind == '\\') {
      out += '\\';
    } else if (kind == 'n') {
      out += '\n';
    } else if (kind == 'r') {
      out += '\r';
    } else if (kind == 't') {
      out += '\t';
    } else if (kind == 'x' || kind == 'u') {
      const size_t digits = kind == 'x' ? 2 : 4;
      if (i + digits >= text.size()) return std::nullopt;
      uint32_t value = 0;
      for (size_t k = 1; k <= digits; ++k) {
        const int h = HexValue(text[i + k]);
        if (h < 0) return std::nullopt;
        value = value * 16 + static_cast<uint32_t>(h);
      }
      i += digits;
      out += kind == 'x' ? std::string(1, static_cast<char>(value)) : Encode(value);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// What every output must be: well-formed UTF-8 without a character that must be escaped, from
// which the input comes back.
void ExpectSafeAndReversible(const std::string& input, int* failures) {
  const std::string output = ForTerminal(input);
  const std::optional<std::vector<uint32_t>> code_points = Decode(output);
  bool safe = code_points.has_value();
  if (safe) {
    for (uint32_t c : *code_points) safe = safe && !MustBeEscaped(c);
  }
  const std::optional<std::string> back = Unescape(output);
  if (!safe || back != input) {
    if (++*failures <= 10) {
      ADD_FAILURE() << "input " << absl::CHexEscape(input) << " gave " << absl::CHexEscape(output)
                    << (safe ? "" : " (not safe)") << (back == input ? "" : " (not reversible)");
    }
  }
}

TEST(ForTerminalTest, EscapesTheDangerousExamples) {
  EXPECT_EQ(ForTerminal("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(ForTerminal("\x1b]0;owned\x07"), "\\x1b]0;owned\\x07");
  EXPECT_EQ(ForTerminal("abc\xe2\x80\xae" "cba"), "abc\\u202ecba");      // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(ForTerminal("\xc2\x9b" "2J"), "\\u009b2J");                  // C1 CSI
  EXPECT_EQ(ForTerminal("line\nWARNING: forged"), "line\\nWARNING: forged");
  EXPECT_EQ(ForTerminal("a\r\tb\x7f"), "a\\r\\tb\\x7f");
  EXPECT_EQ(ForTerminal(std::string("nul\0here", 8)), "nul\\x00here");
  EXPECT_EQ(ForTerminal("C:\\x1b"), "C:\\\\x1b");  // a literal backslash cannot pass for an escape
  EXPECT_EQ(ForTerminal("\xff\xfe"), "\\xff\\xfe");
}

// "Arben" with a zero-width space looked exactly like "Arben" in a summary and a record, and
// is another name to the registry.
TEST(ForTerminalTest, InvisibleCharactersThatMakeTwoNamesLookAlikeAreShownEscaped) {
  EXPECT_EQ(ForTerminal("Arben\xe2\x80\x8b"), "Arben\\u200b");       // ZERO WIDTH SPACE
  EXPECT_EQ(ForTerminal("Ar\xc2\xad" "ben"), "Ar\\u00adben");          // SOFT HYPHEN
  EXPECT_EQ(ForTerminal("\xef\xbb\xbf" "Arben"), "\\ufeffArben");      // BYTE ORDER MARK
  EXPECT_EQ(ForTerminal("A\xe2\x81\xa0" "B"), "A\\u2060B");            // WORD JOINER
  EXPECT_EQ(ForTerminal("A\xe2\x80\x8c\xe2\x80\x8d" "B"), "A\\u200c\\u200dB");
}

TEST(ForTerminalTest, KeepsOrdinaryTextOfEveryScript) {
  for (const std::string text :
       {"", "Kërqeli", "Arben Çeliku", "Ђорђевић Љиљана", "Škoda žaluzije", "PKR 77/2026",
        "عربي", "עברית", "日本語", "😀", "spiffe://registry.kjc.dev/court/dev-court"}) {
    EXPECT_EQ(ForTerminal(text), text);
  }
}

TEST(ForTerminalTest, EveryCodePointIsKeptOrEscapedAsDocumented) {
  int failures = 0;
  for (uint32_t c = 0; c <= 0x10ffff; ++c) {
    if (c >= 0xd800 && c <= 0xdfff) continue;  // surrogates have no UTF-8 form; see below
    const std::string input = Encode(c);
    std::string expected = MustBeEscaped(c) ? DocumentedEscape(c) : input;
    if (c == '\\') expected = "\\\\";
    const std::string output = ForTerminal(input);
    if (output != expected && ++failures <= 10) {
      ADD_FAILURE() << absl::StrFormat("U+%04X gave %s, expected %s", c,
                                       absl::CHexEscape(output), absl::CHexEscape(expected));
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(ForTerminalTest, EveryByteThatIsNotWellFormedUtf8IsShownAsItsValue) {
  // Alone, every byte from 0x80 up is a stray continuation, a lead byte without its
  // continuation, or a byte that never occurs in UTF-8.
  for (int b = 0x80; b <= 0xff; ++b) {
    EXPECT_EQ(ForTerminal(std::string(1, static_cast<char>(b))), absl::StrFormat("\\x%02x", b));
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xc0\x80", "\\xc0\\x80"},                  // overlong NUL
      {"\xc1\xbf", "\\xc1\\xbf"},                  // overlong U+007F
      {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},          // overlong '/'
      {"\xe0\x9f\xbf", "\\xe0\\x9f\\xbf"},          // overlong U+07FF
      {"\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf"}, // overlong U+FFFF
      {"\xed\xa0\x80", "\\xed\\xa0\\x80"},          // surrogate U+D800
      {"\xed\xbf\xbf", "\\xed\\xbf\\xbf"},          // surrogate U+DFFF
      {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"}, // U+110000
      {"\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80"},
      {"\xe2\x80", "\\xe2\\x80"},                  // U+202E cut short...
      {"\xe2\x80" "A", "\\xe2\\x80A"},             // ...loses nothing after it
      {"\xe2\x80\xe2\x80\xae", "\\xe2\\x80\\u202e"},
      {"\x80\xc3\xab", "\\x80\xc3\xab"},           // the 'ë' after a stray byte survives
  };
  for (const auto& [input, expected] : cases) {
    EXPECT_EQ(ForTerminal(input), expected) << absl::CHexEscape(input);
  }
}

TEST(ForTerminalTest, EveryShortByteStringComesOutSafeAndReversible) {
  int failures = 0;
  ExpectSafeAndReversible("", &failures);
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    ExpectSafeAndReversible(one, &failures);
    for (int b = 0; b < 256; ++b) ExpectSafeAndReversible(one + static_cast<char>(b), &failures);
  }
  // Every three-byte string that starts with a three-byte lead.
  for (int a = 0xe0; a <= 0xef; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        const char bytes[] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
        ExpectSafeAndReversible(std::string(bytes, 3), &failures);
      }
    }
  }
  // Four-byte leads with every second byte, and the boundary values in the last two.
  const int edges[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
  for (int a = 0xf0; a <= 0xf7; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : edges) {
        for (int d : edges) {
          const char bytes[] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                                static_cast<char>(d)};
          ExpectSafeAndReversible(std::string(bytes, 4), &failures);
        }
      }
    }
  }
  EXPECT_EQ(failures, 0);
}

// Output was wrapped at 80 columns whatever the terminal: in a 60-column one every line was
// broken twice. The width is the terminal's (TIOCGWINSZ), else COLUMNS, else 80, held to a range.
TEST(TerminalColumnsTest, AreTheTerminalsWidthElseColumnsElseEightyHeldToARange) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const int terminal = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(terminal, 0);
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 60;
  ASSERT_EQ(ioctl(terminal, TIOCSWINSZ, &size), 0);
  EXPECT_EQ(TerminalColumns(terminal, "100"), 60u);
  size.ws_col = 0;  // a terminal that does not know its size
  ASSERT_EQ(ioctl(terminal, TIOCSWINSZ, &size), 0);
  EXPECT_EQ(TerminalColumns(terminal, "72"), 72u);
  close(terminal);
  close(master);
  EXPECT_EQ(TerminalColumns(-1, "72"), 72u);
  EXPECT_EQ(TerminalColumns(-1, ""), 80u);
  EXPECT_EQ(TerminalColumns(-1, "wide"), 80u);
  EXPECT_EQ(TerminalColumns(-1, "0"), 80u);
  EXPECT_EQ(TerminalColumns(-1, "10"), kMinColumns);
  EXPECT_EQ(TerminalColumns(-1, "500"), kMaxColumns);
}

TEST(WrapTest, LaysOutTheLinesOfAnEightyColumnScreenForTheTerminalsWidth) {
  const std::string text =
      "the registry was sent the record, but no answer came within 2s (--timeout): whether it "
      "was entered is not known, so check before entering it again";
  const auto widest = [](const std::string& wrapped) {
    size_t most = 0;
    for (absl::string_view line : absl::StrSplit(wrapped, '\n')) most = std::max(most, line.size());
    return most;
  };
  // Laid out for 80 columns: "error: " and 73 columns of text, further lines indented by 4.
  EXPECT_GT(widest(absl::StrCat("error: ", Wrap(text, 73, 4))), 60u);
  SetTextColumns(60);
  const std::string narrow = absl::StrCat("error: ", Wrap(text, 73, 4));
  SetTextColumns(kStandardColumns);
  EXPECT_LE(widest(narrow), 60u) << narrow;
  EXPECT_GT(widest(narrow), 50u) << narrow;
  // The same words, only broken elsewhere.
  EXPECT_EQ(absl::StrJoin(absl::StrSplit(narrow, absl::ByAnyChar(" \n"), absl::SkipEmpty()), " "),
            absl::StrCat("error: ", text));
  EXPECT_EQ(TextColumns(), kStandardColumns);
}

constexpr char kUri[] = "spiffe://registry.kjc.dev/clerk/arben-k";  // 39 columns

std::vector<LabelledValue> SomeFields() {
  return {{"Record:", "0123456789abcdef0123456789abcdef"},
          {"Created:", absl::StrCat("2026-11-28T14:30:01Z by ", kUri)},
          {"Last known address:", "Rr. Agim Ramadani 14, hyrja 2, kati 3, banesa 7, Prishtinë"},
          {"Juvenile:", ""}};
}

// Where the values have room beside a column of labels, they start in it and their further
// lines go under it; an id or a URI is never broken.
TEST(LabelledLinesTest, ValuesWrapUnderTheirColumnWhereThereIsRoomForIt) {
  const std::string pad(29, ' ');
  EXPECT_EQ(LabelledLines(SomeFields(), 28, 80),
            absl::StrCat("Record:                      0123456789abcdef0123456789abcdef\n"
                         "Created:                     2026-11-28T14:30:01Z by\n",
                         pad, kUri, "\n",
                         "Last known address:          Rr. Agim Ramadani 14, hyrja 2, kati 3, "
                         "banesa 7,\n",
                         pad, "Prishtinë\n",
                         "Juvenile:                    -\n"));
  // A value that fits is the value as it is, its spaces kept.
  EXPECT_EQ(LabelledLines({{"Case:", "P  12/2026 "}}, 28, 80),
            "Case:                        P  12/2026 \n");
}

// On a terminal too narrow for the column, each value starts after its label and its further
// lines are indented 2; a word that fits only at column 0 starts there, and one wider than the
// terminal stands alone on its line.
TEST(LabelledLinesTest, OnANarrowTerminalValuesFollowTheirLabelsAndNoWordIsBroken) {
  EXPECT_EQ(LabelledLines(SomeFields(), 28, 40),
            absl::StrCat("Record: 0123456789abcdef0123456789abcdef\n"
                         "Created: 2026-11-28T14:30:01Z by\n",
                         kUri, "\n",
                         "Last known address: Rr. Agim Ramadani\n"
                         "  14, hyrja 2, kati 3, banesa 7,\n"
                         "  Prishtinë\n"
                         "Juvenile: -\n"));
  const std::string long_word(50, 'x');
  EXPECT_EQ(LabelledLines({{"Detail:", absl::StrCat("a ", long_word, " b")}}, 28, 40),
            absl::StrCat("Detail: a\n", long_word, "\n  b\n"));
  // Every line fits but those that hold one word wider than the terminal.
  for (size_t width : {40, 48, 49, 60, 80}) {
    for (absl::string_view line :
         absl::StrSplit(LabelledLines(SomeFields(), 28, width), '\n')) {
      EXPECT_LE(line.size() - (absl::StrContains(line, "ë") ? 1 : 0), width) << line;
    }
  }
}

}  // namespace
}  // namespace registry::client
