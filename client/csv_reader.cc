#include "client/csv_reader.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace registry::client {
namespace {

// A cursor over the text that counts lines.
class Cursor {
 public:
  explicit Cursor(absl::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  uint64_t line() const { return line_; }
  // True when a line break (LF, CRLF or a lone CR) starts here. A lone CR ends lines in files
  // saved as "CSV (Macintosh)" by Excel for Mac and by other old Mac software: read as one long
  // line, such a file's header would take in every row, names and all.
  bool AtLineBreak() const { return !done() && (peek() == '\n' || peek() == '\r'); }
  // Consumes one character; a line break (LF, CRLF or CR) counts as one and advances the line.
  std::string TakeBreakOrChar() {
    if (AtLineBreak()) {
      const size_t width =
          peek() == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n' ? 2 : 1;
      std::string taken(text_.substr(pos_, width));
      pos_ += width;
      ++line_;
      return taken;
    }
    return std::string(1, text_[pos_++]);
  }
  void SkipToNextLine() {
    while (!done() && !AtLineBreak()) ++pos_;
    if (!done()) TakeBreakOrChar();
  }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
};

// Reads one record starting at the cursor, which stands at the start of a non-blank line.
CsvRecord ReadRecord(Cursor& in) {
  CsvRecord record;
  record.line = in.line();
  std::string field;
  while (true) {
    if (!in.done() && in.peek() == '"') {
      const uint64_t quote_line = in.line();
      in.TakeBreakOrChar();
      bool closed = false;
      // A quoted value ends on its own line: no value of a record may hold a line break (the
      // registry refuses control characters), so a quote that reaches the line's end is one
      // whose partner is missing. Read on, it took the next row into this one, and that row was
      // neither imported nor counted.
      while (!in.done() && !in.AtLineBreak()) {
        if (in.peek() == '"') {
          in.TakeBreakOrChar();
          if (!in.done() && in.peek() == '"') {
            in.TakeBreakOrChar();
            field.push_back('"');
            continue;
          }
          closed = true;
          break;
        }
        field += in.TakeBreakOrChar();
      }
      if (!closed) {
        record.error = "the quote opened on line " + std::to_string(quote_line) +
                       " is not closed on that line (a value cannot span lines: is its closing "
                       "quote missing?)";
        if (!in.done()) in.TakeBreakOrChar();
        return record;
      }
      if (!in.done() && in.peek() != ',' && !in.AtLineBreak()) {
        record.error = "unexpected text after a closing quote";
        in.SkipToNextLine();
        return record;
      }
    } else {
      while (!in.done() && in.peek() != ',' && !in.AtLineBreak()) {
        if (in.peek() == '"') {
          record.error = "a quote inside an unquoted field (quote the whole field and double it)";
          in.SkipToNextLine();
          return record;
        }
        field += in.TakeBreakOrChar();
      }
    }
    record.fields.push_back(std::move(field));
    field.clear();
    if (in.done()) return record;
    if (in.AtLineBreak()) {
      in.TakeBreakOrChar();
      return record;
    }
    in.TakeBreakOrChar();  // the comma
  }
}

}  // namespace

std::vector<CsvRecord> ReadCsv(absl::string_view text) {
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
  std::vector<CsvRecord> records;
  Cursor in(text);
  while (!in.done()) {
    if (in.AtLineBreak()) {
      in.TakeBreakOrChar();
      continue;
    }
    records.push_back(ReadRecord(in));
  }
  return records;
}

}  // namespace registry::client
