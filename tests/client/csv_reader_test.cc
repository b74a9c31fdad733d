#include "client/csv_reader.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

// Expects `record` to be a well-formed row read from line `line`, holding `fields`.
void ExpectRow(const CsvRecord& record, uint64_t line, const std::vector<std::string>& fields) {
  SCOPED_TRACE(absl::StrCat("the row expected on line ", line));
  EXPECT_EQ(record.line, line);
  EXPECT_EQ(record.error, "");
  EXPECT_EQ(record.fields, fields);
}

TEST(ReadCsvTest, SplitsPlainRecords) {
  auto records = ReadCsv("a,b,c\n1,,3\n");
  ASSERT_THAT(records, SizeIs(2));
  ExpectRow(records[0], 1, {"a", "b", "c"});
  ExpectRow(records[1], 2, {"1", "", "3"});
}

TEST(ReadCsvTest, LastRecordNeedsNoLineBreakAndTrailingCommaGivesEmptyField) {
  auto records = ReadCsv("a,b\nx,");
  ASSERT_THAT(records, SizeIs(2));
  EXPECT_THAT(records[1].fields, ElementsAre("x", ""));
}

TEST(ReadCsvTest, QuotedFieldsHoldCommasAndQuotes) {
  auto records = ReadCsv(
      "name,address\n"
      "\"Kërqeli, Arben\",\"Rr. \"\"Nëna Terezë\"\" 5, Prishtinë\"\n"
      "next,\"\"\n");
  ASSERT_THAT(records, SizeIs(3));
  ExpectRow(records[1], 2, {"Kërqeli, Arben", "Rr. \"Nëna Terezë\" 5, Prishtinë"});
  ExpectRow(records[2], 3, {"next", ""});
}

// A quote whose partner is missing (an address typed as "Rr. 28 Nëntori 19, Gjilan) took the
// next row into its value up to that row's first quote, and the row was neither imported nor
// counted. A record is one line: the quote is reported on its line, and every line after it is
// read as its own row, whatever ends lines in the file.
TEST(ReadCsvTest, AQuoteLeftOpenEndsWithItsLineAndTheNextRowIsReadOnItsOwn) {
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    SCOPED_TRACE(absl::CEscape(eol));
    auto records = ReadCsv("h,a\n1,\"Rr. 28 Nëntori 19, Gjilan" + eol + "2,\"Rr. Agim\"" + eol +
                           "3,x" + eol);
    ASSERT_THAT(records, SizeIs(4));
    EXPECT_EQ(records[1].line, 2u);
    EXPECT_EQ(records[1].error,
              "the quote opened on line 2 is not closed on that line (a value cannot span lines: "
              "is its closing quote missing?)");
    ExpectRow(records[2], 3, {"2", "Rr. Agim"});
    ExpectRow(records[3], 4, {"3", "x"});
  }
}

TEST(ReadCsvTest, AcceptsCrlf) {
  auto records = ReadCsv("a,b\r\n\"x\",z\r\nlast,1\r\n");
  ASSERT_THAT(records, SizeIs(3));
  EXPECT_THAT(records[1].fields, ElementsAre("x", "z"));
  ExpectRow(records[2], 3, {"last", "1"});
}

// Excel for Mac's "CSV (Macintosh)" ends lines with a lone CR. Not taken for a line end, the
// whole file was one record: the header with every row in it.
TEST(ReadCsvTest, ALoneCrEndsALine) {
  auto records = ReadCsv("a,b\r\"x\",z\r\rlast,1\rmixed\r\nend\n");
  ASSERT_THAT(records, SizeIs(5));
  EXPECT_THAT(records[0].fields, ElementsAre("a", "b"));
  ExpectRow(records[1], 2, {"x", "z"});
  // The blank line after the record is skipped.
  ExpectRow(records[2], 4, {"last", "1"});
  EXPECT_THAT(records[3].fields, ElementsAre("mixed"));
  ExpectRow(records[4], 6, {"end"});
}

TEST(ReadCsvTest, SkipsBlankLinesAndByteOrderMark) {
  auto records = ReadCsv("\xEF\xBB\xBF" "a\n\n\nb\n");
  ASSERT_THAT(records, SizeIs(2));
  EXPECT_THAT(records[0].fields, ElementsAre("a"));
  EXPECT_EQ(records[1].line, 4u);
}

TEST(ReadCsvTest, ReportsTextAfterClosingQuoteAndGoesOn) {
  auto records = ReadCsv("h\n\"ab\"c,d\nok,1\n");
  ASSERT_THAT(records, SizeIs(3));
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_THAT(records[1].error, HasSubstr("after a closing quote"));
  ExpectRow(records[2], 3, {"ok", "1"});
}

TEST(ReadCsvTest, ReportsQuoteInsideUnquotedFieldAndGoesOn) {
  auto records = ReadCsv("h\nab\"c,d\nok\n");
  ASSERT_THAT(records, SizeIs(3));
  EXPECT_THAT(records[1].error, HasSubstr("quote inside an unquoted field"));
  EXPECT_THAT(records[2].fields, ElementsAre("ok"));
}

TEST(ReadCsvTest, ReportsUnterminatedQuoteAtTheEndOfTheFile) {
  auto records = ReadCsv("h\nok\nx,\"never closed");
  ASSERT_THAT(records, SizeIs(3));
  EXPECT_EQ(records[2].line, 3u);
  EXPECT_THAT(records[2].error, HasSubstr("the quote opened on line 3 is not closed"));
}

TEST(ReadCsvTest, EmptyTextHasNoRecords) { EXPECT_THAT(ReadCsv(""), SizeIs(0)); }

}  // namespace
}  // namespace registry::client
