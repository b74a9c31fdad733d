#include "client/record_import.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "client/csv_reader.h"
#include "client/option_parser.h"
#include "client/record_fields.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

std::string Header() { return absl::StrJoin(ImportCsvColumns(), ",") + "\n"; }

// deploy/examples/README.md said one column may be added to the header, suspension_end_date,
// while the import took aliases too (as `record import --help` says): it names each column a
// header may add, in its sentence and its table.
// Two rows of one file for one conviction in different batches: the registry answers the second
// alone, naming the record the first created (a duplicate of it, or a conflict with it). It is
// refused as the registry refuses such a row within one request, naming the first's line; rows
// naming other records, or none, are left as they are.
TEST(SameConvictionRowsTest, ALaterRowNamingARecordAnEarlierRowNamedIsRefusedAsTheSameConviction) {
  SameConvictionRows same;
  v1::ImportRowResult created;
  created.set_line(4);
  created.set_outcome(v1::ImportRowResult::OUTCOME_CREATED);
  created.set_record_id("a1");
  EXPECT_FALSE(same.Check(&created));
  v1::ImportRowResult other;
  other.set_line(2);
  other.set_outcome(v1::ImportRowResult::OUTCOME_DUPLICATE);
  other.set_record_id("b2");
  EXPECT_FALSE(same.Check(&other));
  EXPECT_EQ(other.outcome(), v1::ImportRowResult::OUTCOME_DUPLICATE);
  v1::ImportRowResult invalid;
  invalid.set_line(3);
  invalid.set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  invalid.set_error("conviction.final_date: must be on or after the judgment date");
  EXPECT_FALSE(same.Check(&invalid));
  for (const v1::ImportRowResult::Outcome outcome :
       {v1::ImportRowResult::OUTCOME_DUPLICATE, v1::ImportRowResult::OUTCOME_INVALID}) {
    v1::ImportRowResult again;
    again.set_line(outcome == v1::ImportRowResult::OUTCOME_DUPLICATE ? 7 : 9);
    again.set_outcome(outcome);
    again.set_record_id("a1");
    EXPECT_TRUE(same.Check(&again));
    EXPECT_EQ(again.outcome(), v1::ImportRowResult::OUTCOME_INVALID);
    EXPECT_EQ(again.error(),
              "conviction: the same conviction (court, case number, personal number) as another "
              "row of this import (line 4); one row per conviction");
    EXPECT_EQ(again.record_id(), "");
  }
}

TEST(ImportDocsTest, TheExamplesReadmeNamesEveryColumnAHeaderMayAdd) {
  std::ifstream in(std::string(REGISTRY_SOURCE_DIR) + "/deploy/examples/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = absl::StrReplaceAll(text.str(), {{"\n", " "}});
  ASSERT_THAT(readme, HasSubstr("## CSV import format"));
  const std::vector<std::string>& optional = ImportCsvOptionalColumns();
  std::vector<std::string> named;
  for (const std::string& column : optional) named.push_back(absl::StrCat("`", column, "`"));
  EXPECT_THAT(readme, HasSubstr(absl::StrCat(
                          optional.size() == 2 ? "two more columns may be added (" : "(",
                          absl::StrJoin(named, " and "), ", below)")));
  for (const std::string& column : optional) {
    EXPECT_THAT(readme, HasSubstr(absl::StrCat("| `", column, "` (optional column) |")))
        << column;
  }
}

// A valid row in the documented column order.
constexpr char kValidRow[] =
    "Kërqeli,Arben,Besim,male,1980-04-12,Prishtinë,XK;AL,1234567890,\"Rr. A, 14\","
    "basic-prishtine,P 123/2024,2024-03-01,2024-05-15,06/L-074:230:1;04/L-082:235:0,"
    "imprisonment,36,work_with_children:2034-05-15;profession:none,2027-03-01,false,,\n";

// The lines the rows were read from, in their order.
std::vector<uint64_t> LinesOf(const std::vector<v1::ImportRow>& rows) {
  std::vector<uint64_t> lines;
  for (const v1::ImportRow& row : rows) lines.push_back(row.line());
  return lines;
}

// `text` read as a JSON-lines import file, which as a whole must be readable (lines of it may
// still be refused, each in `errors`); nothing is read when it is not.
ParsedImport ReadableJsonLines(const std::string& text) {
  auto parsed = ParseImportJsonLines(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : ParsedImport();
}

std::string ReadExample(const std::string& name) {
  std::ifstream in(std::string(REGISTRY_SOURCE_DIR) + "/deploy/examples/" + name,
                   std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ParseImportCsvTest, ConvertsEveryColumn) {
  auto parsed = ParseImportCsv(Header() + kValidRow);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->errors, SizeIs(0));
  ASSERT_THAT(parsed->rows, SizeIs(1));
  const v1::ImportRow& row = parsed->rows[0];
  EXPECT_EQ(row.line(), 2u);
  const v1::Person& person = row.record().person();
  EXPECT_EQ(person.surname(), "Kërqeli");
  EXPECT_EQ(person.given_name(), "Arben");
  EXPECT_EQ(person.father_name(), "Besim");
  EXPECT_EQ(person.sex(), v1::SEX_MALE);
  EXPECT_EQ(person.birth_date(), "1980-04-12");
  EXPECT_EQ(person.birth_place(), "Prishtinë");
  ASSERT_EQ(person.citizenships_size(), 2);
  EXPECT_EQ(person.citizenships(1), "AL");
  EXPECT_EQ(person.personal_number(), "1234567890");
  EXPECT_EQ(person.last_known_address(), "Rr. A, 14");
  const v1::Conviction& conviction = row.record().conviction();
  EXPECT_EQ(conviction.court_id(), "basic-prishtine");
  EXPECT_EQ(conviction.case_number(), "P 123/2024");
  EXPECT_EQ(conviction.judgment_date(), "2024-03-01");
  EXPECT_EQ(conviction.final_date(), "2024-05-15");
  ASSERT_EQ(conviction.offences_size(), 2);
  EXPECT_EQ(conviction.offences(0).law(), "06/L-074");
  EXPECT_EQ(conviction.offences(0).article(), 230u);
  EXPECT_EQ(conviction.offences(0).paragraph(), 1u);
  EXPECT_EQ(conviction.offences(1).law(), "04/L-082");
  EXPECT_EQ(conviction.offences(1).paragraph(), 0u);
  EXPECT_EQ(conviction.sentence().type(), v1::SENTENCE_TYPE_IMPRISONMENT);
  EXPECT_EQ(conviction.sentence().months(), 36u);
  ASSERT_EQ(conviction.bans_size(), 2);
  EXPECT_EQ(conviction.bans(0).type(), v1::BAN_TYPE_WORK_WITH_CHILDREN);
  EXPECT_EQ(conviction.bans(0).end_date(), "2034-05-15");
  EXPECT_EQ(conviction.bans(1).type(), v1::BAN_TYPE_PROFESSION);
  EXPECT_EQ(conviction.bans(1).end_date(), "");  // for life
  EXPECT_EQ(conviction.release_date(), "2027-03-01");
  EXPECT_FALSE(conviction.juvenile());
}

// One row saved in another encoding, or one far larger than any record, made the console's whole
// check fail (registry-cli listed them): the check both share lists them by line, by column for
// CSV, and keeps the other rows to send. A row with several fields not in UTF-8 named only the
// first: each is named, and the rest of the row is kept for the registry's check.
TEST(SetAsideUnsendableRowsTest, ARowNotInUtf8OrTooLargeIsListedByLineAndTheOthersStay) {
  const std::string huge = absl::StrReplaceAll(
      kValidRow, {{"\"Rr. A, 14\"", std::string(kMaxImportRowBytes + 10, 'a')}});
  for (const ImportFormat format : {ImportFormat::kCsv, ImportFormat::kJsonLines}) {
    absl::StatusOr<ParsedImport> parsed =
        ParseImportCsv(absl::StrCat(Header(), kValidRow, kValidRow, huge, kValidRow));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_THAT(parsed->rows, SizeIs(4));
    // "Arbër" and "Pejë" as Windows-1250 writes them: ë is one byte, 0xEB.
    v1::Person& person = *parsed->rows[1].mutable_record()->mutable_person();
    person.set_birth_place("Pej\xeb");
    person.set_given_name("Arb\xebr");
    SetAsideUnsendableRows(format, &*parsed);
    ASSERT_THAT(parsed->rows, SizeIs(2));
    EXPECT_EQ(parsed->rows[0].line(), 2u);
    EXPECT_EQ(parsed->rows[1].line(), 5u);
    ASSERT_THAT(parsed->errors, SizeIs(2));
    EXPECT_EQ(parsed->errors[0].line, 3u);
    EXPECT_EQ(parsed->errors[0].message,
              format == ImportFormat::kCsv
                  ? "given_name: not valid UTF-8 (save the file as UTF-8); "
                    "birth_place: not valid UTF-8 (save the file as UTF-8)"
                  : "person.given_name: not valid UTF-8 (save the file as UTF-8); "
                    "person.birth_place: not valid UTF-8 (save the file as UTF-8)");
    ASSERT_TRUE(parsed->errors[0].record.has_value());
    EXPECT_EQ(parsed->errors[0].record->person().given_name(), "");
    EXPECT_EQ(parsed->errors[0].record->person().birth_place(), "");
    EXPECT_EQ(parsed->errors[0].record->person().surname(), "Kërqeli");
    EXPECT_EQ(parsed->errors[1].line, 4u);
    EXPECT_THAT(parsed->errors[1].message, StartsWith("row of "));
    EXPECT_THAT(parsed->errors[1].message, HasSubstr("more than any valid record (256 KiB)"));
    EXPECT_FALSE(parsed->errors[1].record.has_value());
  }
}

// A CSV file saved as Windows-1250 named only "surname: not valid UTF-8", and a row's other bad
// cells were not named with it: each cell not in UTF-8 is named, with the row's other problems,
// in the record's order, and what of the row could be read is kept for the registry's check.
TEST(ParseImportCsvTest, ARowNamesEveryCellNotInUtf8WithItsOtherProblemsAtOnce) {
  const std::string row = absl::StrReplaceAll(
      kValidRow, {{"Kërqeli", "K\xebrqeli"}, {"Arben", "Arb\xebr"}, {"Prishtinë", "Prishtin\xeb"},
                  {",male,", ",x,"}, {"1980-04-12", "1981-02-30"}});
  auto parsed = ParseImportCsv(Header() + row);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->rows, SizeIs(0));
  ASSERT_THAT(parsed->errors, SizeIs(1));
  EXPECT_EQ(parsed->errors[0].message,
            "surname: not valid UTF-8 (save the file as UTF-8); "
            "given_name: not valid UTF-8 (save the file as UTF-8); "
            "sex: not female or male; birth_date: not a real date; "
            "birth_place: not valid UTF-8 (save the file as UTF-8)");
  ASSERT_TRUE(parsed->errors[0].record.has_value());
  const v1::CreateRecordRequest& rest = *parsed->errors[0].record;
  EXPECT_EQ(rest.person().surname(), "");
  EXPECT_EQ(rest.person().birth_date(), "");
  EXPECT_EQ(rest.person().personal_number(), "1234567890");
  EXPECT_EQ(rest.conviction().court_id(), "basic-prishtine");
  EXPECT_EQ(rest.conviction().offences_size(), 2);
}

// The import refused a row with sex "f" or "F" ("not female or male") and a court id in capitals
// ("not in the court table"), which `record create --sex F --court BASIC-GJILAN` takes, although
// its help says words and codes are taken in any case. Each cell is read as record create reads
// the option of its field: a row and the same values typed as options make the same record.
TEST(ParseImportCsvTest, EachCellIsTakenAsRecordCreateTakesItsOption) {
  const std::vector<std::pair<std::string, std::string>> spellings[] = {
      {{",male,", ",F,"}, {"basic-prishtine", "Basic-Gjilan"}},
      {{",male,", ",f,"}, {"basic-prishtine", "BASIC-GJILAN"}, {"imprisonment,36", "FINE,"}},
      {{",male,", ",M,"}, {"06/L-074:230:1", "06/l-074:230"}, {",XK;AL,", ",xk;Al,"},
       {"work_with_children:2034-05-15;profession:none", "Profession:NONE"}, {",false,", ",Yes,"}},
  };
  for (const auto& edits : spellings) {
    const std::string row = absl::StrReplaceAll(kValidRow, edits);
    auto parsed = ParseImportCsv(Header() + row);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_THAT(parsed->errors, SizeIs(0)) << parsed->errors[0].message;
    ASSERT_THAT(parsed->rows, SizeIs(1));
    // The same values typed as the options of record create.
    const std::vector<std::string> cells = ReadCsv(row).front().fields;
    v1::CreateRecordRequest typed;
    std::vector<FieldProblem> problems;
    for (const RecordField& field : RecordFields()) {
      const auto at =
          std::find(ImportCsvColumns().begin(), ImportCsvColumns().end(), ImportColumnName(field));
      if (at == ImportCsvColumns().end()) continue;
      const std::string& cell = cells[static_cast<size_t>(at - ImportCsvColumns().begin())];
      std::vector<std::string> values;
      if (field.repeatable) {
        values = absl::StrSplit(cell, ';', absl::SkipEmpty());
      } else if (!cell.empty()) {
        values.push_back(cell);
      }
      if (!values.empty()) ApplyField(field, values, &typed, &problems);
    }
    ASSERT_THAT(problems, SizeIs(0)) << DescribeProblem(problems[0], false);
    EXPECT_EQ(parsed->rows[0].record().DebugString(), typed.DebugString());
  }
  // What the edits above make, spelt out.
  auto parsed = ParseImportCsv(Header() + absl::StrReplaceAll(kValidRow, spellings[2]));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->rows, SizeIs(1));
  const v1::CreateRecordRequest& record = parsed->rows[0].record();
  EXPECT_EQ(record.person().sex(), v1::SEX_MALE);
  EXPECT_EQ(record.conviction().offences(0).law(), "06/L-074");
  EXPECT_EQ(record.conviction().offences(0).paragraph(), 0u);
  EXPECT_THAT(record.person().citizenships(), ElementsAre("XK", "AL"));
  ASSERT_EQ(record.conviction().bans_size(), 1);
  EXPECT_EQ(record.conviction().bans(0).end_date(), "");
  EXPECT_TRUE(record.conviction().juvenile());
  auto capitals = ParseImportCsv(Header() + absl::StrReplaceAll(kValidRow, spellings[1]));
  ASSERT_TRUE(capitals.ok()) << capitals.status();
  ASSERT_THAT(capitals->rows, SizeIs(1));
  EXPECT_EQ(capitals->rows[0].record().person().sex(), v1::SEX_FEMALE);
  EXPECT_EQ(capitals->rows[0].record().conviction().court_id(), "basic-gjilan");
  EXPECT_EQ(capitals->rows[0].record().conviction().sentence().type(), v1::SENTENCE_TYPE_FINE);
}

// A row refused for some of its cells was not sent, so the registry's problems of its other
// cells (a court or an offence not in its tables, a final date after today) were named only
// after the clerk had mended the first ones. The rows the registry can check are sent as dry
// runs, and its problems of the fields not named already join the row's own, in the record's
// order, named by column; problems of no field, and of a field named already, are left out.
TEST(AddRegistryProblemsTest, TheRegistrysProblemsOfTheOtherCellsJoinTheRowsOwn) {
  const std::string bad = absl::StrReplaceAll(
      kValidRow,
      {{",male,", ",x,"}, {"1980-04-12", "1981-02-30"}, {"imprisonment,36", "fine,700"}});
  auto parsed = ParseImportCsv(Header() + kValidRow + bad + "Kërqeli,Arben\n" + bad);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->errors, SizeIs(3));
  const std::vector<v1::ImportRecordsRequest> checks =
      ImportCheckRequests(parsed->errors, /*max_rows=*/1, /*max_bytes=*/1 << 20);
  ASSERT_THAT(checks, SizeIs(2)) << "the short row on line 4 is no record to check";
  for (const v1::ImportRecordsRequest& check : checks) {
    EXPECT_TRUE(check.dry_run());
    ASSERT_EQ(check.rows_size(), 1);
    EXPECT_EQ(check.rows(0).record().person().sex(), v1::SEX_UNSPECIFIED);
    EXPECT_EQ(check.rows(0).record().conviction().court_id(), "basic-prishtine");
  }
  EXPECT_EQ(checks[0].rows(0).line(), 3u);
  EXPECT_EQ(checks[1].rows(0).line(), 5u);
  EXPECT_THAT(ImportCheckRequests(parsed->errors, 1000, 1 << 20), SizeIs(1));

  v1::ImportRecordsResponse checked;
  v1::ImportRowResult* result = checked.add_results();
  result->set_line(3);
  result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  result->set_error(
      "person.sex is required; person.birth_date is required; conviction.final_date: must be "
      "before today; conviction.court_id: not in the court table; conviction.offences[1]: not in "
      "the offence table; conviction: the same conviction (court, case number, personal number) "
      "as another row of this import (line 5); one row per conviction");
  AddRegistryProblems(ImportFormat::kCsv, checked, &parsed->errors);
  EXPECT_EQ(parsed->errors[0].message,
            "sex: not female or male; birth_date: not a real date; court_id: not in the court "
            "table; final_date: must be before today; offences: item 2: not in the offence "
            "table; sentence_months: not a whole number 0..600");
  EXPECT_EQ(parsed->errors[2].message,
            "sex: not female or male; birth_date: not a real date; sentence_months: not a whole "
            "number 0..600")
      << "line 5 was not in the answer";
}

TEST(ParseImportCsvTest, ColumnsMayComeInAnyOrder) {
  std::vector<std::string> columns = ImportCsvColumns();
  std::swap(columns[0], columns[1]);  // given_name,surname,...
  const std::string row = absl::StrReplaceAll(kValidRow, {{"Kërqeli,Arben,", "Arben,Kërqeli,"}});
  auto parsed = ParseImportCsv(absl::StrJoin(columns, ",") + "\n" + row);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->rows, SizeIs(1));
  EXPECT_EQ(parsed->rows[0].record().person().surname(), "Kërqeli");
  EXPECT_EQ(parsed->rows[0].record().person().given_name(), "Arben");
}

// A suspended sentence's verification period ends on its own date, which the retention rules count
// from: an optional column carries it, and a file without the column reads it as empty.
TEST(ParseImportCsvTest, TheOptionalSuspensionEndDateColumnIsRead) {
  const std::string suspended = absl::StrReplaceAll(
      kValidRow, {{",imprisonment,36,", ",suspended,6,"}, {",2027-03-01,false,,", ",,false,,"}});
  auto parsed = ParseImportCsv(absl::StrCat(absl::StrJoin(ImportCsvColumns(), ","),
                                            ",suspension_end_date\n",
                                            absl::StripSuffix(suspended, "\n"), ",2026-05-15\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->errors, SizeIs(0));
  ASSERT_THAT(parsed->rows, SizeIs(1));
  EXPECT_EQ(parsed->rows[0].record().conviction().suspension_end_date(), "2026-05-15");

  auto without = ParseImportCsv(Header() + suspended);
  ASSERT_TRUE(without.ok()) << without.status();
  ASSERT_THAT(without->rows, SizeIs(1));
  EXPECT_EQ(without->rows[0].record().conviction().suspension_end_date(), "");

  auto bad = ParseImportCsv(absl::StrCat(absl::StrJoin(ImportCsvColumns(), ","),
                                         ",suspension_end_date\n",
                                         absl::StripSuffix(suspended, "\n"), ",2026-02-30\n"));
  ASSERT_TRUE(bad.ok()) << bad.status();
  ASSERT_THAT(bad->errors, SizeIs(1));
  EXPECT_THAT(bad->errors[0].message, HasSubstr("suspension_end_date"));
}

// A maiden or earlier married surname is what the court's search and the same-person rule of
// retention go by; the CSV header refused an aliases column ("unknown column 22") that a
// JSON-lines file carries. It is optional, its surnames separated by ";".
TEST(ParseImportCsvTest, TheOptionalAliasesColumnCarriesOtherSurnames) {
  const std::string header = absl::StrCat(absl::StrJoin(ImportCsvColumns(), ","), ",aliases\n");
  auto parsed = ParseImportCsv(
      absl::StrCat(header, absl::StripSuffix(kValidRow, "\n"), ",Krasniqi; Gashi\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->errors, SizeIs(0));
  ASSERT_THAT(parsed->rows, SizeIs(1));
  EXPECT_THAT(parsed->rows[0].record().person().aliases(), ElementsAre("Krasniqi", "Gashi"));
  // Left out, or empty, it is no alias.
  auto without = ParseImportCsv(Header() + kValidRow);
  ASSERT_TRUE(without.ok()) << without.status();
  ASSERT_THAT(without->rows, SizeIs(1));
  EXPECT_THAT(without->rows[0].record().person().aliases(), ElementsAre());
}

TEST(ParseImportCsvTest, RefusesBadHeaderNamingTheColumns) {
  std::vector<std::string> columns = ImportCsvColumns();
  columns[3] = "gender";
  columns.push_back("surname");
  auto parsed = ParseImportCsv(absl::StrJoin(columns, ",") + "\n" + kValidRow);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(parsed.status().message());
  EXPECT_THAT(message, HasSubstr("line 1: bad CSV header"));
  EXPECT_THAT(message, HasSubstr("unknown column 4 \"gender\" (did you mean \"sex\"?)"));
  EXPECT_THAT(message, HasSubstr("column \"surname\" twice"));
  EXPECT_THAT(message, HasSubstr("missing column \"sex\""));
}

// A file without its header starts with a row: its names and numbers are not repeated as
// columns. A misspelt column is; a cell that cannot be a column's name is counted.
TEST(ParseImportCsvTest, AFileWithoutItsHeaderIsNotQuotedAsUnknownColumns) {
  auto parsed = ParseImportCsv(kValidRow);
  ASSERT_FALSE(parsed.ok());
  const std::string message(parsed.status().message());
  EXPECT_THAT(message, HasSubstr("line 1: no CSV header: the first line names none of the "
                                 "columns (surname,given_name,"));
  for (const char* value : {"Kërqeli", "Arben", "1234567890", "Rr. A"}) {
    EXPECT_THAT(message, Not(HasSubstr(value))) << value;
  }
  std::vector<std::string> columns = ImportCsvColumns();
  columns[7] = "1234567890";
  parsed = ParseImportCsv(absl::StrJoin(columns, ",") + "\n" + kValidRow);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("unknown column 8, "));
  EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr("1234567890")));
}

// A header cell that is no column was repeated whenever it was written in small letters and "_":
// so were a row's cells where the row shared the header's line (a file saved with CR line ends, a
// lost line break), lowercased: `unknown column "dritan", unknown column "fatmir"`. A cell is
// now named by its place, and by its text only where it cannot be a person's: a near miss of a
// column's name, or a common other name of one, each with the column meant.
TEST(ParseImportCsvTest, AnUnknownHeaderCellIsRepeatedOnlyWhenItCannotBeAPersonsData) {
  std::vector<std::string> columns = ImportCsvColumns();
  columns[0] = "surnme";      // a near miss
  columns[1] = "dritan";      // a given name, written in small letters
  columns[2] = "Hans";        // a name a letter from "bans"
  columns[3] = "bana";        // a surname a letter from "bans", in small letters
  columns[4] = "bains";       // five letters, a letter from "bans"
  columns[5] = "prizren";     // a place
  columns[6] = "banks";
  columns[7] = "1000000011";  // a personal number
  columns[9] = "gender";      // another name of a column
  columns[16] = "sentence_month";
  auto parsed = ParseImportCsv(absl::StrJoin(columns, ",") + "\n" + kValidRow);
  ASSERT_FALSE(parsed.ok());
  const std::string message(parsed.status().message());
  EXPECT_THAT(message, HasSubstr("unknown column 1 \"surnme\" (did you mean \"surname\"?)"));
  EXPECT_THAT(message, HasSubstr("unknown column 2, unknown column 3, unknown column 4, "
                                 "unknown column 5, unknown column 6, unknown column 7, "
                                 "unknown column 8, "));
  EXPECT_THAT(message, HasSubstr("unknown column 10 \"gender\" (did you mean \"sex\"?)"));
  EXPECT_THAT(message, HasSubstr("unknown column 17 \"sentence_month\" (did you mean "
                                 "\"sentence_months\"?)"));
  for (const char* value :
       {"dritan", "hans", "Hans", "bana", "bains", "banks", "prizren", "1000000011"}) {
    EXPECT_THAT(message, Not(HasSubstr(value))) << value;
  }
}

// A file of a header, then a row, with CR line ends only (Excel for Mac's "CSV
// (Macintosh)"). Read as one line, the header took in the row and listed its names as unknown
// columns. A lone CR ends a line as LF and CRLF do, so the file imports; the rows keep their
// lines.
TEST(ParseImportCsvTest, AFileWithCrLineEndsIsReadAsLines) {
  const std::string row = absl::StrReplaceAll(kValidRow, {{"\n", "\r"}});
  auto parsed = ParseImportCsv(absl::StrCat(absl::StrJoin(ImportCsvColumns(), ","), "\r", row,
                                            row));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->errors, SizeIs(0));
  ASSERT_THAT(parsed->rows, SizeIs(2));
  EXPECT_EQ(parsed->rows[0].line(), 2u);
  EXPECT_EQ(parsed->rows[1].line(), 3u);
  EXPECT_EQ(parsed->rows[1].record().person().surname(), "Kërqeli");
  EXPECT_EQ(parsed->rows[1].record().conviction().foreign_country(), "");
}

// A header whose line break was lost runs into the first row: about two lines' worth of cells,
// said to be that, without one of the row's cells.
TEST(ParseImportCsvTest, AFirstRowRunIntoTheHeaderIsSaidToBeOneWithoutItsCells) {
  const std::string row =
      "Berisha,Dritan,Fatmir,male,1975-09-30,Prizren,XK,1000000011,Rr. Adem Jashari 5,"
      "basic-prizren,P 12/2020,2020-01-10,2020-03-01,06/L-074:230:1,imprisonment,24,,,false,,\n";
  for (const std::string& joint : {std::string(" "), std::string("")}) {
    auto parsed = ParseImportCsv(absl::StrCat(absl::StrJoin(ImportCsvColumns(), ","), joint, row));
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(parsed.status().message());
    EXPECT_THAT(message, HasSubstr("line 1: the header line holds 41 cells, about two lines' "
                                   "worth: the first row seems to have run into it"));
    for (const char* value : {"Berisha", "berisha", "Dritan", "dritan", "Fatmir", "fatmir",
                              "Prizren", "prizren", "1000000011", "Adem", "adem"}) {
      EXPECT_THAT(message, Not(HasSubstr(value))) << value;
    }
  }
}

// Excel saves "CSV" with semicolons where a comma is the decimal separator (as in Kosovo's
// locales). Such a file was "no CSV header: the first line names none of the columns", which
// sent the clerk looking at the column names. The error says what the file is and what to do;
// it still quotes none of the file.
// A spreadsheet's "Unicode Text" (UTF-16, tabs) and "Text (Tab delimited)" were "no CSV header:
// the first line names none of the columns". Each is said as what it is, quoting none of it.
// A spreadsheet's empty cells after the last column, in the header and the rows, are no
// columns: 20 of them made the header "about two lines' worth", 3 of them "unknown column 22".
TEST(ParseImportCsvTest, EmptyCellsAfterTheLastColumnAreNoColumns) {
  for (const int extra : {3, 20}) {
    const std::string tail(static_cast<size_t>(extra), ',');
    std::string row = kValidRow;
    row.insert(row.size() - 1, tail);  // before its newline
    auto parsed = ParseImportCsv(Header().substr(0, Header().size() - 1) + tail + "\n" + row);
    ASSERT_TRUE(parsed.ok()) << extra << ": " << parsed.status();
    EXPECT_THAT(parsed->errors, SizeIs(0)) << extra;
    EXPECT_THAT(parsed->rows, SizeIs(1)) << extra;
  }
}

TEST(ParseImportCsvTest, ATabSeparatedOrUtf16FileIsSaidToBeOne) {
  const std::string row =
      "K\xc3\xabrqeli\tArben\tBesim\tmale\t1980-04-12\tPrishtin\xc3\xab\tXK\t1234567890\n";
  const std::string tabbed = absl::StrJoin(ImportCsvColumns(), "\t") + "\n" + row;
  std::string utf16 = "\xff\xfe";
  for (const char c : tabbed) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  const std::string no_mark = utf16.substr(2);
  for (const std::string* text :
       std::vector<const std::string*>{&tabbed, &row, &utf16, &no_mark}) {
    auto parsed = ParseImportCsv(*text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(parsed.status().message());
    EXPECT_THAT(message, HasSubstr(text == &tabbed || text == &row
                                       ? "line 1: the file seems to be separated by tabs"
                                       : "line 1: the file is UTF-16"));
    EXPECT_THAT(message, HasSubstr("CSV UTF-8 (comma delimited)"));
    for (const char* value : {"Arben", "1234567890", "Prishtin", "surname"}) {
      EXPECT_THAT(message, Not(HasSubstr(value))) << value;
    }
  }
}

// Any file with a NUL byte was said to be UTF-16: a spreadsheet's own file (.xlsx, a zip
// archive) named .csv sent the clerk looking for an encoding. It is said to be no text file;
// UTF-16 with or without its byte order mark, big- or little-endian, is still said to be UTF-16.
TEST(ParseImportCsvTest, AFileThatIsNoTextIsNotCalledUtf16) {
  // The sizes from the literals themselves: they hold NULs.
  constexpr char kZip[] = "PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml";
  constexpr char kPng[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00";
  const std::string zip(kZip, sizeof(kZip) - 1);
  const std::string binary(kPng, sizeof(kPng) - 1);
  const std::string nul_in_text = Header() + std::string("K\xc3\xabrqeli,\0,x\n", 13);
  for (const std::string* text : {&zip, &binary, &nul_in_text}) {
    auto parsed = ParseImportCsv(*text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(parsed.status().message());
    EXPECT_THAT(message, StartsWith("not a CSV text file (a spreadsheet's own format"));
    EXPECT_THAT(message, Not(HasSubstr("UTF-16")));
    EXPECT_THAT(message, Not(HasSubstr("Content_Types")));
  }
  const std::string header = "surname\tgiven_name\r\n";
  std::string little_endian;
  std::string big_endian;
  for (const char c : header) {
    little_endian += std::string({c, '\0'});
    big_endian += std::string({'\0', c});
  }
  for (const std::string& text : {little_endian, big_endian, "\xfe\xff" + big_endian}) {
    auto parsed = ParseImportCsv(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("line 1: the file is UTF-16"));
  }
}

TEST(ParseImportCsvTest, ASemicolonSeparatedFileIsSaidToBeOne) {
  // An address with a comma in it is not quoted where the separator is the semicolon.
  const std::string row =
      "Kërqeli;Arben;Besim;male;1980-04-12;Prishtinë;XK;1234567890;Rr. A, 14;"
      "basic-prishtine;P 123/2024;2024-03-01;2024-05-15;06/L-074:230:1;"
      "imprisonment;36;;2027-03-01;false;;\n";
  for (const std::string& text :
       {absl::StrJoin(ImportCsvColumns(), ";") + "\n" + row,
        absl::StrJoin(ImportCsvColumns(), ";") + "\r\n",
        // Without its header, the first row shows the same.
        row}) {
    auto parsed = ParseImportCsv(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(parsed.status().message());
    EXPECT_THAT(message, HasSubstr("line 1: the file seems to be separated by semicolons (;)"));
    EXPECT_THAT(message, HasSubstr("the registry reads comma-separated files"));
    // Pointed to what an installed registry-cli has: its own help, not a file of the source.
    EXPECT_THAT(message, HasSubstr("`registry-cli record import --help` shows the format"));
    EXPECT_THAT(message, Not(HasSubstr("deploy/examples")));
    for (const char* value : {"Kërqeli", "Arben", "1234567890", "Rr. A", "surname"}) {
      EXPECT_THAT(message, Not(HasSubstr(value))) << value;
    }
  }
  // A header with commas is read as one, whatever semicolons a cell holds.
  std::vector<std::string> columns = ImportCsvColumns();
  columns[0] = "surname;given_name";
  auto parsed = ParseImportCsv(absl::StrJoin(columns, ",") + "\n" + kValidRow);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("bad CSV header"));
}

TEST(ParseImportCsvTest, RefusesEmptyFileAndHeaderOnly) {
  EXPECT_EQ(ParseImportCsv("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseImportCsv(Header()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseImportCsvTest, ListsEveryBadRowWithItsLineAndKeepsTheGoodOnes) {
  const std::string bad_date =
      absl::StrReplaceAll(kValidRow, {{"2024-03-01,2024-05-15", "2023-02-30,2024-05-15"}});
  const std::string bad_many = absl::StrReplaceAll(
      kValidRow, {{",male,", ",x,"}, {"06/L-074:230:1", "06/L-074:two:1"},
                  {"imprisonment,36", "prison,36"}, {",false,", ",maybe,"}});
  const std::string short_row = "Kërqeli,Arben\n";
  // Line 3's address lost its closing quote, its line break is no part of a value: lines 3 and
  // 4 are each a row that is refused, and every row after them is read on its own line.
  const std::string two_line = absl::StrReplaceAll(kValidRow, {{"\"Rr. A, 14\"", "\"Rr. A\n14\""}});
  const std::string text =
      Header() + kValidRow + two_line + bad_date + short_row + bad_many + kValidRow;
  auto parsed = ParseImportCsv(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->rows, SizeIs(2));
  EXPECT_EQ(parsed->rows[0].line(), 2u);
  EXPECT_EQ(parsed->rows[1].line(), 8u);
  ASSERT_THAT(parsed->errors, SizeIs(5));
  EXPECT_EQ(parsed->errors[0].line, 3u);
  EXPECT_THAT(parsed->errors[0].message, HasSubstr("the quote opened on line 3 is not closed"));
  EXPECT_EQ(parsed->errors[1].line, 4u);
  EXPECT_THAT(parsed->errors[1].message, HasSubstr("a quote inside an unquoted field"));
  EXPECT_EQ(parsed->errors[2].line, 5u);
  EXPECT_EQ(parsed->errors[2].message, "judgment_date: not a real date");
  EXPECT_EQ(parsed->errors[3].line, 6u);
  EXPECT_EQ(parsed->errors[3].message, "expected 21 fields, found 2");
  EXPECT_EQ(parsed->errors[4].line, 7u);
  const std::string& many = parsed->errors[4].message;
  EXPECT_THAT(many, HasSubstr("sex: not female or male"));
  EXPECT_THAT(many, HasSubstr("offences: item 1: not LAW:ARTICLE:PARAGRAPH"));
  EXPECT_THAT(many, HasSubstr("sentence_type: not imprisonment"));
  EXPECT_THAT(many, HasSubstr("juvenile: not true or false"));
}

// A spreadsheet re-saves true and false as TRUE and FALSE, and people capitalise words: the
// words of sex, sentence type, ban type and juvenile are taken in any case, as registry-cli's
// options and questions take them (yes and no too). Every row was refused for it.
TEST(ParseImportCsvTest, TheWordsOfAColumnAreTakenInAnyCase) {
  const std::string row = absl::StrReplaceAll(
      kValidRow, {{",male,", ",Male,"}, {"imprisonment,36", "IMPRISONMENT,36"},
                  {"work_with_children:", "Work_With_Children:"}, {",false,", ",TRUE,"}});
  auto parsed = ParseImportCsv(Header() + row + absl::StrReplaceAll(kValidRow, {{",false,", ",No,"}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->errors, SizeIs(0)) << parsed->errors[0].message;
  ASSERT_THAT(parsed->rows, SizeIs(2));
  const v1::CreateRecordRequest& record = parsed->rows[0].record();
  EXPECT_EQ(record.person().sex(), v1::SEX_MALE);
  EXPECT_EQ(record.conviction().sentence().type(), v1::SENTENCE_TYPE_IMPRISONMENT);
  ASSERT_GE(record.conviction().bans_size(), 1);
  EXPECT_EQ(record.conviction().bans(0).type(), v1::BAN_TYPE_WORK_WITH_CHILDREN);
  EXPECT_TRUE(record.conviction().juvenile());
  EXPECT_FALSE(parsed->rows[1].record().conviction().juvenile());
}

// "rs;xk" in citizenships reached the registry as typed and was refused as not upper case,
// while --citizenship xk and an interactive answer are upper-cased: a country code is taken in
// any case, as the options take it, and stored as the registry keeps it.
TEST(ParseImportCsvTest, ACountryCodeIsTakenInAnyCaseAsTheOptionsTakeIt) {
  const std::string row = absl::StrReplaceAll(
      kValidRow, {{",XK;AL,", ",rs;xK,"}, {",false,,\n", ",false,Landgericht Berlin,de\n"}});
  auto parsed = ParseImportCsv(Header() + row);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->errors, SizeIs(0)) << parsed->errors[0].message;
  ASSERT_THAT(parsed->rows, SizeIs(1));
  const v1::CreateRecordRequest& record = parsed->rows[0].record();
  EXPECT_THAT(record.person().citizenships(), ElementsAre("RS", "XK"));
  EXPECT_EQ(record.conviction().foreign_country(), "DE");
  EXPECT_EQ(record.conviction().foreign_court(), "Landgericht Berlin");
}

TEST(ParseImportCsvTest, ChecksOffencesBansAndNumbers) {
  struct Case {
    std::pair<std::string, std::string> edit;
    std::string error;
  };
  const Case cases[] = {
      {{"06/L-074:230:1;04/L-082:235:0", ""}, "offences: required"},
      {{"06/L-074:230:1;04/L-082:235:0", ";"}, "offences: at least one LAW:ARTICLE:PARAGRAPH"},
      {{"06/L-074:230:1;", "06/L-074:1000:1;"}, "offences: item 1: not LAW:ARTICLE:PARAGRAPH"},
      {{"06/L-074:230:1;", ":230:1;"}, "offences: item 1: not LAW:ARTICLE:PARAGRAPH"},
      {{"06/L-074:230:1;04/L-082:235:0", "06/L-074:x"}, "offences: not LAW:ARTICLE:PARAGRAPH"},
      {{"imprisonment,36", "imprisonment,601"}, "sentence_months: not a whole number 0..600"},
      {{"work_with_children:2034-05-15", "work_with_children:2034-13-15"},
       "bans: item 1: end date: not a real date"},
      {{"work_with_children:2034-05-15", "driving:2030-01-01"},
       "bans: item 1: not work_with_children, contact_with_victim or profession"},
      {{"1980-04-12", ""}, "birth_date: required"},
      {{"2027-03-01", "03/01/2027"}, "release_date: not a date YYYY-MM-DD"},
  };
  for (const Case& c : cases) {
    const std::string row = absl::StrReplaceAll(kValidRow, {c.edit});
    auto parsed = ParseImportCsv(Header() + row);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    ASSERT_THAT(parsed->errors, SizeIs(1)) << c.error;
    EXPECT_EQ(parsed->errors[0].line, 2u);
    EXPECT_THAT(parsed->errors[0].message, HasSubstr(c.error));
    EXPECT_THAT(parsed->rows, SizeIs(0));
  }
}

// An empty cell of a column the record cannot be without was refused by that column's rule ("not
// imprisonment, suspended, ...", "at least one LAW:ARTICLE:PARAGRAPH"), or sent and refused by
// the registry's (an empty personal_number "does not match the personal number format"), as if
// a value had been mistyped. It is said to be required, as the registry says of a missing field.
TEST(ParseImportCsvTest, AnEmptyRequiredCellIsSaidToBeRequired) {
  const std::vector<std::string> cells = ReadCsv(kValidRow).front().fields;
  int required = 0;
  for (const RecordField& field : RecordFields()) {
    if (!field.required) continue;
    ++required;
    const std::string column = ImportColumnName(field);
    const auto at = std::find(ImportCsvColumns().begin(), ImportCsvColumns().end(), column);
    ASSERT_NE(at, ImportCsvColumns().end()) << column;
    std::vector<std::string> row = cells;
    row[static_cast<size_t>(at - ImportCsvColumns().begin())] = "  ";
    for (std::string& cell : row) {
      if (absl::StrContains(cell, ",")) cell = absl::StrCat("\"", cell, "\"");
    }
    auto parsed = ParseImportCsv(Header() + absl::StrJoin(row, ",") + "\n");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_THAT(parsed->rows, SizeIs(0)) << column;
    ASSERT_THAT(parsed->errors, SizeIs(1)) << column;
    EXPECT_EQ(parsed->errors[0].line, 2u);
    EXPECT_EQ(parsed->errors[0].message, absl::StrCat(column, ": required"));
  }
  EXPECT_EQ(required, 11) << "every required field is a column of the file";
}

TEST(ParseImportCsvTest, ReportsMalformedQuotingByLine) {
  const std::string text = Header() + kValidRow + "\"Kërqeli\"x,Arben\n" + kValidRow;
  auto parsed = ParseImportCsv(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_THAT(parsed->errors, SizeIs(1));
  EXPECT_EQ(parsed->errors[0].line, 3u);
  EXPECT_THAT(parsed->errors[0].message, HasSubstr("after a closing quote"));
  EXPECT_THAT(LinesOf(parsed->rows), ElementsAre(2u, 4u));
}

TEST(ParseImportJsonLinesTest, ReadsRowsAndListsBadLines) {
  const std::string text =
      "{\"person\":{\"surname\":\"Kërqeli\"},\"conviction\":{\"case_number\":\"P 1/24\"}}\n"
      "\n"
      "{\"person\":{\"surnam\":\"x\"}}\n"
      "not json\r\n"
      "  {\"conviction\":{\"sentence\":{\"months\":12}}}  \r\n";
  const ParsedImport parsed = ReadableJsonLines(text);
  ASSERT_THAT(LinesOf(parsed.rows), ElementsAre(1u, 5u));
  EXPECT_EQ(parsed.rows[0].record().person().surname(), "Kërqeli");
  EXPECT_EQ(parsed.rows[1].record().conviction().sentence().months(), 12u);
  ASSERT_THAT(parsed.errors, SizeIs(2));
  EXPECT_EQ(parsed.errors[0].line, 3u);
  EXPECT_THAT(parsed.errors[0].message, HasSubstr("not a record in JSON"));
  EXPECT_EQ(parsed.errors[1].line, 4u);
}

// A JSON-lines row's codes were sent as written ("xk", "BASIC-GJAKOVE") and refused by the
// registry, though the help promises codes and court ids "in any case, as record create takes
// them", and the CSV columns take them so.
TEST(ParseImportJsonLinesTest, CodesAndCourtIdsAreTakenInAnyCaseAsTheCsvTakesThem) {
  const ParsedImport parsed = ReadableJsonLines(
      "{\"person\":{\"citizenships\":[\"xk\",\"al\"]},\"conviction\":{\"court_id\":"
      "\"BASIC-GJAKOVE\",\"foreign_country\":\"de\",\"offences\":[{\"law\":\"06/l-074\","
      "\"article\":231}]}}\n");
  ASSERT_THAT(parsed.rows, SizeIs(1));
  const v1::CreateRecordRequest& record = parsed.rows[0].record();
  EXPECT_THAT(record.person().citizenships(), ElementsAre("XK", "AL"));
  EXPECT_EQ(record.conviction().court_id(), "basic-gjakove");
  EXPECT_EQ(record.conviction().foreign_country(), "DE");
  EXPECT_EQ(record.conviction().offences(0).law(), "06/L-074");
}

// Lines ended by a lone CR (as a Mac's "CSV (Macintosh)" and some editors save) are lines, as
// they are in a CSV file: two records were one bad line.
TEST(ParseImportJsonLinesTest, ALoneCrEndsALine) {
  const std::string one = "{\"person\":{\"surname\":\"K\xc3\xabrqeli\"}}";
  const std::string two = "{\"person\":{\"surname\":\"Berisha\"}}";
  const ParsedImport parsed = ReadableJsonLines(one + "\r" + two + "\r\n" + one + "\n");
  EXPECT_THAT(parsed.errors, SizeIs(0));
  ASSERT_THAT(LinesOf(parsed.rows), ElementsAre(1u, 2u, 3u));
  EXPECT_EQ(parsed.rows[1].record().person().surname(), "Berisha");
}

// Protobuf's own report quotes the value or the text around the mistake; a line is named by
// its number, its field's path and what is wrong, or the column of a syntax error.
TEST(ParseImportJsonLinesTest, BadLinesAreNamedByFieldOrColumnNeverByTheirText) {
  const std::string text =
      "{\"person\":{\"surname\":\"Kërqeli\",\"personal_number\":2468013579}}\n"
      "  {\"person\":{\"surname\":\"Gashi\"},\"personal_number\":1000000077x,\"sex\":1}\n"
      "{\"person\":{\"sex\":\"SEX_Krasniqi\"}}\n"
      "{\"person\":{\"surname\":\"Hoxha\" \"given_name\":\"Ilir\"}}\n"
      "{\"Berisha\":1}\n"
      "{\"conviction\":{\"offences\":[{\"article\":\"dyqind\"}]}}\n"
      "{\"person\":{\"surnam\":\"Morina\"}}\n";
  const ParsedImport parsed = ReadableJsonLines(text);
  std::vector<std::string> errors;
  for (const ImportLineError& error : parsed.errors) {
    errors.push_back(absl::StrCat("line ", error.line, ": ", error.message));
  }
  EXPECT_THAT(
      errors,
      ElementsAre(
          "line 1: not a record in JSON: person.personal_number: not a string (text goes in "
          "double quotes)",
          // The column of the number, counted from the line's first character.
          "line 2: not a record in JSON: column 51: unable to parse number",
          // The words the options and the CSV take, never the *_UNSPECIFIED placeholder.
          "line 3: person.sex: not female or male",
          "line 4: not a record in JSON: column 30: expected , or } after key:value pair",
          "line 5: not a record in JSON: holds a name that is no field; known fields: "
          "person, conviction",
          "line 6: not a record in JSON: conviction.offences[0].article: not a whole number in "
          "the field's range",
          "line 7: not a record in JSON: person.surnam: no such field (did you mean "
          "\"surname\"?); known fields: surname, "
          "given_name, father_name, aliases, sex, birth_date, birth_place, citizenships, "
          "personal_number, last_known_address"));
  for (const std::string& error : errors) {
    for (const char* value : {"Kërqeli", "2468013579", "Gashi", "1000000077", "Krasniqi", "Hoxha",
                              "Ilir", "Berisha", "dyqind", "Morina"}) {
      EXPECT_THAT(error, Not(HasSubstr(value))) << value;
    }
  }
}

// Protobuf keeps the last value of a key given twice: a line that gives a field twice says two
// things of the record, and is listed as a bad line naming the field, not imported with either.
// "line 3: not a record in JSON: line 1: not JSON" named two lines that disagreed, and a line
// cut short was "unexpected end of string. Expected , or } after key:value pair", nowhere.
TEST(ParseImportJsonLinesTest, ABrokenLineIsNamedByItsOwnNumberAlone) {
  const ParsedImport parsed = ReadableJsonLines(
      "{\"person\":{\"surname\":\"Hoxha\"}}\nKrasniqi Arben 1980-04-12\n"
      "{\"person\":{\"surname\":\"Gashi\"}\n");
  std::vector<std::string> errors;
  for (const ImportLineError& error : parsed.errors) {
    errors.push_back(absl::StrCat("line ", error.line, ": ", error.message));
  }
  EXPECT_THAT(errors,
              ElementsAre("line 2: not a record in JSON: not JSON",
                          "line 3: not a record in JSON: column 30: the text ends before the "
                          "record is closed (a } or a , is missing)"));
}

TEST(ParseImportJsonLinesTest, ALineThatGivesAFieldTwiceIsABadLine) {
  const std::string text =
      "{\"person\":{\"surname\":\"Krasniqi\",\"surname\":\"Hoxha\"}}\n"
      "{\"person\":{\"given_name\":\"Arben\",\"givenName\":\"Ilir\"}}\n"
      "{\"conviction\":{\"offences\":[{\"law\":\"06/L-074\"},"
      "{\"article\":230,\"article\":235}]}}\n";
  const ParsedImport parsed = ReadableJsonLines(text);
  EXPECT_THAT(parsed.rows, SizeIs(0));
  std::vector<std::string> errors;
  for (const ImportLineError& error : parsed.errors) {
    errors.push_back(absl::StrCat("line ", error.line, ": ", error.message));
  }
  EXPECT_THAT(errors,
              ElementsAre("line 1: not a record in JSON: person.surname: given twice",
                          "line 2: not a record in JSON: person.given_name: given twice (as "
                          "given_name and givenName)",
                          "line 3: not a record in JSON: conviction.offences[1].article: given "
                          "twice"));
  for (const std::string& error : errors) {
    for (const char* value : {"Krasniqi", "Hoxha", "Arben", "Ilir", "235"}) {
      EXPECT_THAT(error, Not(HasSubstr(value))) << value;
    }
  }
}

// A row with a comma before } had its "female" refused in proto names, the comma unsaid.
TEST(ParseImportJsonLinesTest, ARowWithATrailingCommaIsABadLineNamingTheComma) {
  const ParsedImport parsed =
      ReadableJsonLines("{\"person\":{\"surname\":\"Gashi\",\"sex\":\"female\",}}\n");
  EXPECT_THAT(parsed.rows, SizeIs(0));
  std::vector<std::string> errors;
  for (const ImportLineError& error : parsed.errors) {
    errors.push_back(absl::StrCat("line ", error.line, ": ", error.message));
  }
  EXPECT_THAT(errors, ElementsAre("line 1: a comma before } at column 44: remove it"));
}

TEST(ParseImportJsonLinesTest, RefusesAFileWithoutRows) {
  EXPECT_EQ(ParseImportJsonLines("\n\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ImportFormatFromPathTest, ChoosesByExtension) {
  EXPECT_EQ(*ImportFormatFromPath("/x/old.CSV"), ImportFormat::kCsv);
  EXPECT_EQ(*ImportFormatFromPath("a.jsonl"), ImportFormat::kJsonLines);
  EXPECT_EQ(*ImportFormatFromPath("a.ndjson"), ImportFormat::kJsonLines);
  auto unknown = ImportFormatFromPath("a.json");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(IsUsageError(unknown.status()));
}

TEST(ExampleFilesTest, ImportCsvHasFiveGoodRowsAndOneBadDate) {
  auto parsed = ParseImportCsv(ReadExample("import.csv"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->rows, SizeIs(5));
  ASSERT_THAT(parsed->errors, SizeIs(1));
  EXPECT_EQ(parsed->errors[0].line, 7u);
  EXPECT_EQ(parsed->errors[0].message, "judgment_date: not a real date");
}

TEST(ExampleFilesTest, ImportJsonLinesHasThreeRows) {
  const ParsedImport parsed = ReadableJsonLines(ReadExample("import.jsonl"));
  EXPECT_THAT(parsed.rows, SizeIs(3));
  EXPECT_THAT(parsed.errors, SizeIs(0));
}

// A row on `line` whose conviction became final on `final_date`.
v1::ImportRow RowWithFinalDate(uint64_t line, const std::string& final_date) {
  v1::ImportRow row;
  row.set_line(line);
  row.mutable_record()->mutable_conviction()->set_final_date(final_date);
  return row;
}

// The lines of rows given as (line, final date), in the order OrderForImport sends them.
std::vector<uint64_t> SentOrder(const std::vector<std::pair<uint64_t, std::string>>& dated) {
  std::vector<v1::ImportRow> rows;
  for (const auto& [line, final_date] : dated) rows.push_back(RowWithFinalDate(line, final_date));
  OrderForImport(&rows);
  return LinesOf(rows);
}

// A backlog file in date order went to the registry earliest first, batch after batch: a
// person's earlier conviction whose retention had ended on its own came before the later one
// that keeps it, and was refused. The whole file goes latest final date first.
TEST(OrderForImportTest, SendsTheLatestFinalDateFirstAndKeepsTheFileOrderAmongEqualDates) {
  EXPECT_THAT(SentOrder({{2, "2010-01-10"}, {3, "2025-01-10"}, {4, "2019-05-15"},
                         {6, "2025-01-10"}, {7, "2010-01-10"}}),
              ElementsAre(3, 6, 4, 2, 7));
}

// A row whose final date is none (the registry refuses it) has no place among the dates: it
// goes after them all, in the file's order, whatever its text would sort as.
TEST(OrderForImportTest, RowsWithoutAFinalDateGoLastInTheFileOrder) {
  EXPECT_THAT(SentOrder({{2, "9999-99-99"}, {3, "2012-03-04"}, {4, ""}, {5, "2024-1-5"},
                         {6, "2020-06-30"}}),
              ElementsAre(6, 3, 2, 4, 5));
}

TEST(DryRunCarryTest, CarriesAPersonsValidRowsOfEarlierBatchesWithinItsLimits) {
  // Rows in the order they are sent: person A's later conviction (line 3), B's (line 4), A's
  // earlier one (line 2), C's (line 5, a bad row).
  std::vector<v1::ImportRow> rows = {RowWithFinalDate(3, "2025-01-10"),
                                     RowWithFinalDate(4, "2020-01-10"),
                                     RowWithFinalDate(2, "2010-01-10"),
                                     RowWithFinalDate(5, "2009-01-10")};
  for (const auto& [i, number] : std::vector<std::pair<size_t, const char*>>{
           {0, "1800000005"}, {1, "1900000001"}, {2, "18000-00005"}, {3, "1700000007"}}) {
    rows[i].mutable_record()->mutable_person()->set_personal_number(number);
  }
  DryRunCarry carry(/*max_rows=*/1000, /*max_bytes=*/1 << 20);
  v1::ImportRecordsResponse first;
  for (const uint64_t line : {3, 4}) {
    v1::ImportRowResult* result = first.add_results();
    result->set_line(line);
    result->set_outcome(line == 3 ? v1::ImportRowResult::OUTCOME_VALID
                                  : v1::ImportRowResult::OUTCOME_INVALID);
  }
  v1::ImportRecordsRequest request;
  EXPECT_THAT(carry.Add(rows, 0, 2, &request), SizeIs(0)) << "nothing before the first batch";
  carry.Note(rows, 0, 2, first);
  // The second batch holds A's earlier row: A's valid later row goes with it; B's invalid one
  // and rows of other people do not.
  request.Clear();
  const std::set<uint64_t> carried = carry.Add(rows, 2, 4, &request);
  EXPECT_THAT(carried, ElementsAre(3));
  ASSERT_EQ(request.rows_size(), 1);
  EXPECT_EQ(request.rows(0).line(), 3u);
  // Nothing is carried past the request's limit on rows.
  DryRunCarry full(/*max_rows=*/2, /*max_bytes=*/1 << 20);
  full.Note(rows, 0, 2, first);
  request.Clear();
  EXPECT_THAT(full.Add(rows, 2, 4, &request), SizeIs(0));
  EXPECT_EQ(request.rows_size(), 0);
}

TEST(ImportPersonKeyTest, IsThePersonalNumbersLettersAndDigitsInUpperCase) {
  v1::ImportRow row;
  row.mutable_record()->mutable_person()->set_personal_number(" 12345-67890 ");
  EXPECT_EQ(ImportPersonKey(row), "1234567890");
  row.mutable_record()->mutable_person()->set_personal_number("ab 12");
  EXPECT_EQ(ImportPersonKey(row), "AB12");
  row.mutable_record()->mutable_person()->clear_personal_number();
  EXPECT_EQ(ImportPersonKey(row), "");
}

// Rows sent latest first are not the file's lines in a row: where an import stopped is said by
// the lines themselves, as runs of rows next to one another in the file (lines of other rows,
// such as bad ones, may lie between).
TEST(DescribeImportLinesTest, SaysRowsNextToOneAnotherInTheFileAsOneRun) {
  const std::vector<uint64_t> file = {2, 3, 5, 6, 7, 9, 12};
  EXPECT_EQ(DescribeImportLines(file, {7, 2, 3, 5}, 10), "2..5, 7");
  EXPECT_EQ(DescribeImportLines(file, {12, 9, 6}, 10), "6, 9..12");
  EXPECT_EQ(DescribeImportLines(file, {6}, 10), "6");
  EXPECT_EQ(DescribeImportLines(file, file, 10), "2..12");
}

TEST(DescribeImportLinesTest, CountsTheRowsOfRunsBeyondTheMostItNames) {
  const std::vector<uint64_t> file = {2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(DescribeImportLines(file, {2, 4, 6, 7, 9}, 2), "2, 4, and 3 more rows");
  EXPECT_EQ(DescribeImportLines(file, {2, 4, 6}, 2), "2, 4, and 1 more row");
}

// The progress bar was 30 marks and the counts whatever the terminal's width: on a terminal 40
// columns wide, "[...30...] 1200/1200 rows" took two lines, and each redraw wrapped again. It fits
// any width from 20 on, short of the last column: a shorter bar, then none, then fewer words.
TEST(ImportProgressLineTest, FitsATerminalOfAnyWidthFromTwentyOn) {
  EXPECT_EQ(ImportProgressLine(500, 1000, 80), absl::StrCat("[", std::string(15, '#'),
                                                            std::string(15, ' '),
                                                            "] 500/1000 rows"));
  EXPECT_EQ(ImportProgressLine(600, 1200, 40),
            absl::StrCat("[", std::string(11, '#'), std::string(12, ' '), "] 600/1200 rows"));
  EXPECT_EQ(ImportProgressLine(6, 6, 20), "[########] 6/6 rows");
  EXPECT_EQ(ImportProgressLine(500, 1200, 20), "500/1200 rows");
  EXPECT_EQ(ImportProgressLine(1234567, 12345678, 20), "1234567/12345678");
  EXPECT_EQ(ImportProgressLine(617283945, 1234567890, 20),
            absl::StrCat("[", std::string(6, '#'), std::string(7, ' '), "] 50%"));
  for (size_t columns = 20; columns <= 120; ++columns) {
    for (const auto& [done, total] : std::vector<std::pair<size_t, size_t>>{
             {0, 0}, {0, 1}, {1, 6}, {500, 1200}, {1200, 1200}, {99999, 100000},
             {1234567, 9876543}, {123456789, 1234567890}}) {
      const std::string line = ImportProgressLine(done, total, columns);
      EXPECT_LT(line.size(), columns) << done << "/" << total << " at " << columns;
      EXPECT_THAT(line, Not(HasSubstr("\n")));
      EXPECT_FALSE(line.empty()) << done << "/" << total << " at " << columns;
    }
  }
}

}  // namespace
}  // namespace registry::client
