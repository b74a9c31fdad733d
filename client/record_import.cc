#include "client/record_import.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/choices.h"
#include "client/csv_reader.h"
#include "client/json_io.h"
#include "client/option_parser.h"
#include "client/record_fields.h"
#include "common/suggest.h"
#include "client/terminal_text.h"
#include "common/json_keys.h"
#include "common/record_limits.h"
#include "common/time_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"

namespace registry::client {
namespace {

// Appends to `paths` each string field of `m` (at any depth) that is not well-formed UTF-8, as a
// path ("person.surname", "conviction.offences.law"), each once.
void FieldsNotUtf8(const google::protobuf::Message& m, const std::string& prefix,
                   std::vector<std::string>* paths) {
  const google::protobuf::Reflection* reflection = m.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);
  const auto add = [&](const std::string& path) {
    if (std::find(paths->begin(), paths->end(), path) == paths->end()) paths->push_back(path);
  };
  for (const google::protobuf::FieldDescriptor* f : fields) {
    const std::string name = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (f->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(m, f); ++i) {
          if (!IsWellFormedUtf8(reflection->GetRepeatedString(m, f, i))) add(name);
        }
      } else if (!IsWellFormedUtf8(reflection->GetString(m, f))) {
        add(name);
      }
    } else if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(m, f); ++i) {
          FieldsNotUtf8(reflection->GetRepeatedMessage(m, f, i), name, paths);
        }
      } else {
        FieldsNotUtf8(reflection->GetMessage(m, f), name, paths);
      }
    }
  }
}

constexpr char kNotUtf8[] = "not valid UTF-8 (save the file as UTF-8)";

// A problem of a row's field as the import names it: a CSV row's by its column ("offences: item
// 2: ...", "surname: required"), a JSON line's by its path in the record.
std::string ImportFieldProblemText(ImportFormat format, const FieldProblem& problem) {
  if (format == ImportFormat::kJsonLines) return DescribeProblem(problem, /*by_path=*/true);
  return absl::StrCat(ImportColumnName(*problem.field),
                      problem.item >= 0 ? absl::StrCat(": item ", problem.item + 1) : "", ": ",
                      RuleAsTyped(*problem.field, problem.what));
}

std::string ImportProblemsText(ImportFormat format, const std::vector<FieldProblem>& problems) {
  std::vector<std::string> texts;
  texts.reserve(problems.size());
  for (const FieldProblem& p : problems) texts.push_back(ImportFieldProblemText(format, p));
  return absl::StrJoin(texts, "; ");
}

// The place of `field` in the record's order (RecordFields).
size_t FieldOrder(const RecordField* field) {
  return static_cast<size_t>(field - RecordFields().data());
}

std::vector<absl::string_view> SplitList(absl::string_view text) {
  std::vector<absl::string_view> items;
  for (absl::string_view item : absl::StrSplit(text, ';')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// Builds the request of one CSV row; `column` maps a column name to its cell ("" for a column
// the file does not have). Each cell is read as `record create` reads the option of its field
// (ApplyField): the same words, codes and numbers, in any case where the option takes any, so
// that a row and the command line of the same record are taken or refused alike. A cell that
// cannot be read is named in `problems` (in the record's order) and left out of the request.
template <typename ColumnFn>
v1::CreateRecordRequest RowToRequest(ColumnFn column, std::vector<FieldProblem>* problems) {
  v1::CreateRecordRequest request;
  for (const RecordField& field : RecordFields()) {
    const std::string cell = column(ImportColumnName(field));
    // An empty cell of a column the record cannot be without is said to be "required", as the
    // registry says of a missing field, and its column's rule is not applied to it: an empty
    // personal_number was refused by the server as not matching the personal number's format,
    // which sent the clerk looking for a typing slip in a cell left blank.
    if (cell.empty()) {
      if (field.required) problems->push_back({&field, "required"});
      continue;
    }
    // A file saved in another encoding: named, never sent (protobuf refuses such a field).
    if (!IsWellFormedUtf8(cell)) {
      problems->push_back({&field, kNotUtf8});
      continue;
    }
    std::vector<std::string> values;
    if (field.repeatable) {
      for (absl::string_view item : SplitList(cell)) values.emplace_back(item);
      if (values.empty()) {
        // A cell of separators alone: not empty, so not said to be required, but no item.
        if (field.required) problems->push_back({&field, std::string(kNoOffenceRule)});
        continue;
      }
    } else {
      values.push_back(cell);
    }
    // The file's 0 months is no length, as an empty cell (the option takes 1..600 or nothing).
    if (field.kind == FieldKind::kMonths &&
        std::all_of(cell.begin(), cell.end(), [](char c) { return c == '0'; })) {
      continue;
    }
    const size_t first_new = problems->size();
    ApplyField(field, values, &request, problems);
    // In the file's words where they differ from the option's: juvenile is a flag on the
    // command line but a cell of true or false, and sentence_months takes 0 as well.
    for (size_t i = first_new; i < problems->size(); ++i) {
      if (field.kind == FieldKind::kBool) (*problems)[i].what = "not true or false";
      if (field.kind == FieldKind::kMonths) {
        (*problems)[i].what = absl::StrCat("not a whole number 0..", kMaxSentenceMonths);
      }
    }
  }
  return request;
}

// Names spreadsheets and other systems give some columns, each with the column it means. They
// are this file's own words: repeating one cannot repeat a person's data.
const std::map<std::string, std::string, std::less<>>& HeaderAliases() {
  static const auto* const kAliases = new std::map<std::string, std::string, std::less<>>{
      {"gender", "sex"},
      {"first_name", "given_name"},
      {"last_name", "surname"},
      {"family_name", "surname"},
      {"date_of_birth", "birth_date"},
      {"dob", "birth_date"},
      {"place_of_birth", "birth_place"},
      {"nationality", "citizenships"},
  };
  return *kAliases;
}

// How the header error names the cell at `position` (0-based) that is no column. A header line
// may be a row, or hold one (a file without its header; a header whose line break was lost),
// and a row's cells are a person's names, places and numbers, which an error never repeats
// (README.md). So the cell is named by its place, "unknown column 4", and its text is added only
// where it cannot be a person's:
//   - one of HeaderAliases, whose words are this file's own:
//       unknown column 4 "gender" (did you mean "sex"?)
//   - a near miss of a column (NearMissOfOurName, suggest.h: never of a short one such as
//     "bans", which "banks" or "Hans" are a letter from):
//       unknown column 1 "surnme" (did you mean "surname"?)
std::string UnknownHeaderCell(size_t position, absl::string_view cell,
                              const std::vector<std::string>& known) {
  const std::string place = absl::StrCat("unknown column ", position + 1);
  const absl::string_view written = absl::StripAsciiWhitespace(cell);
  const std::string lower = absl::AsciiStrToLower(written);
  if (const auto alias = HeaderAliases().find(lower); alias != HeaderAliases().end()) {
    return absl::StrCat(place, " \"", alias->first, "\" (did you mean \"", alias->second, "\"?)");
  }
  const std::optional<std::string> nearest = NearMissOfOurName(written, known);
  if (!nearest.has_value()) return place;
  return absl::StrCat(place, " \"", written, "\" (did you mean \"", *nearest, "\"?)");
}

// Whether `text` is UTF-16: its byte order mark, or a first line with a NUL in every other byte
// and in no byte between (UTF-16 without the mark: a header's characters are each a byte and a
// NUL). Other files hold NUL bytes too (a zip archive, an image): they are not UTF-16.
bool IsUtf16(absl::string_view text) {
  if (absl::StartsWith(text, "\xff\xfe") || absl::StartsWith(text, "\xfe\xff")) return true;
  absl::string_view line = text.substr(0, std::min<size_t>(text.find('\n'), 4096));
  // A line of UTF-16 little-endian ends in the NUL of its last character before the newline's
  // own byte; big-endian, in the NUL that begins the newline: either way, NUL or not, every
  // other byte is known from its place.
  if (line.size() < 4) return false;
  bool nul_at_odd = true;
  bool nul_at_even = true;
  for (size_t i = 0; i < line.size(); ++i) {
    const bool nul = line[i] == '\0';
    if ((i % 2 == 1) != nul) nul_at_odd = false;
    if ((i % 2 == 0) != nul) nul_at_even = false;
  }
  return nul_at_odd || nul_at_even;
}

}  // namespace

const std::vector<std::string>& ImportCsvColumns() {
  static const auto* const kColumns = new std::vector<std::string>{
      "surname",       "given_name",     "father_name",    "sex",
      "birth_date",    "birth_place",    "citizenships",   "personal_number",
      "last_known_address", "court_id",  "case_number",    "judgment_date",
      "final_date",    "offences",       "sentence_type",  "sentence_months",
      "bans",          "release_date",   "juvenile",       "foreign_court",
      "foreign_country"};
  return *kColumns;
}

const std::vector<std::string>& ImportCsvOptionalColumns() {
  // aliases: the maiden and earlier married surnames that the court's search and the
  // same-person rule of retention go by; a file of historical judgments must be able to carry
  // them, as a JSON-lines file does.
  static const auto* const kColumns =
      new std::vector<std::string>{"suspension_end_date", "aliases"};
  return *kColumns;
}

std::string ImportFormatHelp() {
  std::string header;
  std::string line = "  ";
  const std::vector<std::string>& columns = ImportCsvColumns();
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string cell = absl::StrCat(columns[i], i + 1 < columns.size() ? "," : "");
    if (line.size() + cell.size() > 78) {
      absl::StrAppend(&header, line, "\n");
      line = "  ";
    }
    absl::StrAppend(&line, cell);
  }
  absl::StrAppend(&header, line, "\n");
  return absl::StrCat(
      "\nCSV files (.csv): UTF-8, comma-separated, one row a line (a spreadsheet saves\n"
      "them as \"CSV UTF-8 (comma delimited)\"); a field holding a comma or a quote is\n"
      "put in double quotes, and a quote inside it doubled. The first line is the\n"
      "header: these columns, in any order, all of them (suspension_end_date and\n"
      "aliases may be added):\n",
      header,
      "columns:\n"
      "  sex               female or male (f or m)\n"
      "  birth_date, judgment_date, final_date, release_date, suspension_end_date:\n"
      "                    YYYY-MM-DD (release_date, suspension_end_date may be empty)\n"
      "  citizenships      ISO 3166-1 alpha-2 codes separated by \";\", e.g. XK;AL\n"
      "  aliases           other surnames used (maiden, earlier married) separated by\n"
      "                    \";\", e.g. Krasniqi;Gashi\n"
      "  personal_number   text: keep its leading zeros\n"
      "  court_id          a court's id (`record create --help` lists them), or foreign\n"
      "  offences          LAW:ARTICLE:PARAGRAPH separated by \";\", e.g. 06/L-074:230:1\n"
      "                    (paragraph 0, or none: the whole article)\n"
      "  sentence_type     imprisonment, life_imprisonment, suspended, fine,\n"
      "                    juvenile_measure or other\n"
      "  sentence_months   1..600 for imprisonment, 1..24 suspended, else 0 or empty\n"
      "  bans              TYPE:END_DATE separated by \";\"; TYPE work_with_children,\n"
      "                    contact_with_victim or profession; END_DATE none: for life\n"
      "  juvenile          true or false (empty: false)\n"
      "  foreign_court, foreign_country: with court_id foreign, the court's name and\n"
      "                    its country's code; else empty\n"
      "  surname, given_name, father_name, birth_place, last_known_address,\n"
      "  case_number       text (father_name, birth_place, last_known_address may be\n"
      "                    empty)\n"
      "Words, court ids, laws and country codes are taken in any case, as `record\n"
      "create` takes them; spaces around fields are dropped.\n"
      "\nJSON-lines files (.jsonl, .ndjson): one record a line, as `registry-cli --json\n"
      "record template` prints it.\n");
}

absl::StatusOr<ImportFormat> ImportFormatFromPath(absl::string_view path) {
  const std::string lower = absl::AsciiStrToLower(path);
  if (absl::EndsWith(lower, ".csv")) return ImportFormat::kCsv;
  if (absl::EndsWith(lower, ".jsonl") || absl::EndsWith(lower, ".ndjson")) {
    return ImportFormat::kJsonLines;
  }
  return UsageError(absl::StrCat("cannot tell the format of ", path,
                                 ": name it .csv, .jsonl or .ndjson"));
}

absl::StatusOr<ParsedImport> ParseImportCsv(absl::string_view text) {
  // A spreadsheet's "Unicode Text" is UTF-16 (with its byte order mark, a NUL byte in every ASCII
  // character) and separated by tabs: read as UTF-8 it has no header, which would say nothing of
  // why. Said as what it is, before anything of it is read.
  if (IsUtf16(text)) {
    return absl::InvalidArgumentError(
        "line 1: the file is UTF-16 (as a spreadsheet's \"Unicode Text\" is saved), not UTF-8 "
        "CSV: save it again as \"CSV UTF-8 (comma delimited)\" (`registry-cli record import "
        "--help` shows the format)");
  }
  // Any other file with a NUL byte is no text at all: a spreadsheet's own file (.xlsx and .ods
  // are zip archives, .xls a compound file) named .csv, or anything else; calling it UTF-16
  // sent the clerk to an encoding setting that was not the matter.
  if (text.substr(0, 4096).find('\0') != absl::string_view::npos ||
      absl::StartsWith(text, "PK\x03\x04") || absl::StartsWith(text, "\xd0\xcf\x11\xe0")) {
    return absl::InvalidArgumentError(
        "not a CSV text file (a spreadsheet's own format, such as .xlsx? save it as "
        "\"CSV UTF-8 (comma delimited)\"; `registry-cli record import --help` shows the format)");
  }
  std::vector<CsvRecord> records = ReadCsv(text);
  if (records.empty()) return absl::InvalidArgumentError("empty CSV file: no header line");
  CsvRecord& header = records.front();
  if (!header.error.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", header.line, ": header: ", header.error));
  }
  // Spreadsheets often save empty cells after the last column, in the header and in every row
  // (a sheet once wider, a column cleared): they are no columns, and a row's empty cells after
  // the header's last are not cells of the record.
  const auto drop_empty_tail = [](std::vector<std::string>* fields, size_t keep) {
    while (fields->size() > keep && absl::StripAsciiWhitespace(fields->back()).empty()) {
      fields->pop_back();
    }
  };
  const size_t header_cells = header.fields.size();
  drop_empty_tail(&header.fields, 1);
  for (size_t r = 1; r < records.size(); ++r) {
    drop_empty_tail(&records[r].fields, header.fields.size());
  }
  // Spreadsheets save "CSV" with semicolons where the comma is the decimal separator (Excel
  // takes the list separator of the regional settings, Albanian and Serbian ones among them):
  // the header then reads as one column, or a few where a cell holds a comma. More semicolons in
  // it than commas between its columns say so. Such a file is refused with what it is, not read with
  // semicolons: the list columns (citizenships, offences, bans) separate their items with ";",
  // so in such a file a list is one cell only where it is quoted, and one edited by hand
  // without the quotes would shift every column after it; one format, the documented one
  // (`record import --help`), is what the clerk, the console and a re-run all read alike.
  size_t semicolons = 0;
  for (const std::string& field : header.fields) {
    semicolons += static_cast<size_t>(std::count(field.begin(), field.end(), ';'));
  }
  if (semicolons >= header.fields.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", header.line,
        ": the file seems to be separated by semicolons (;), as spreadsheets save CSV where the "
        "decimal separator is a comma; the registry reads comma-separated files "
        "(`registry-cli record import --help` shows the format): save it again with commas "
        "between the columns "
        "(LibreOffice Calc asks for the field delimiter; Excel uses the list separator of the "
        "computer's regional settings)"));
  }
  // Tab-separated ("Text (Tab delimited)"): the header reads as one cell holding tabs.
  size_t tabs = 0;
  for (const std::string& field : header.fields) {
    tabs += static_cast<size_t>(std::count(field.begin(), field.end(), '\t'));
  }
  if (tabs >= header.fields.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", header.line,
        ": the file seems to be separated by tabs, as a spreadsheet's \"Text (Tab delimited)\" "
        "is saved; the registry reads comma-separated files (`registry-cli record import "
        "--help` shows the format): save it again as \"CSV UTF-8 (comma delimited)\""));
  }
  std::map<std::string, size_t, std::less<>> index;
  std::vector<std::string> problems;
  std::vector<std::string> known = ImportCsvColumns();
  for (const std::string& name : ImportCsvOptionalColumns()) known.push_back(name);
  std::vector<std::string> names;
  for (const std::string& field : header.fields) {
    names.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(field)));
  }
  // A file without its header starts with a row: a person's names and numbers, which are not
  // repeated as unknown columns.
  if (std::none_of(names.begin(), names.end(), [&](const std::string& name) {
        return std::find(known.begin(), known.end(), name) != known.end();
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", header.line, ": no CSV header: the first line names none of the "
                     "columns (", absl::StrJoin(known, ","), ")"));
  }
  // A header line that holds about two lines' worth of cells is the header with the first row
  // run into it (a line break lost after the header): its cells are a person's record and are
  // not gone through one by one.
  // (Counted with its empty cells at the end, which a row run into it may end with; but a
  // header that holds no more than the columns before them is a header.)
  if (header_cells >= 2 * ImportCsvColumns().size() - 1 &&
      header.fields.size() > ImportCsvColumns().size() + ImportCsvOptionalColumns().size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", header.line, ": the header line holds ", header_cells,
        " cells, about two lines' worth: the first row seems to have run into it (a line break "
        "lost after the header); put the header on a line of its own (",
        absl::StrJoin(ImportCsvColumns(), ","), ")"));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      problems.push_back(UnknownHeaderCell(i, header.fields[i], known));
    } else if (!index.emplace(name, i).second) {
      problems.push_back(absl::StrCat("column \"", name, "\" twice"));
    }
  }
  for (const std::string& name : ImportCsvColumns()) {
    if (index.count(name) == 0) problems.push_back(absl::StrCat("missing column \"", name, "\""));
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("line ", header.line, ": bad CSV header: ",
                                                   absl::StrJoin(problems, ", ")));
  }

  ParsedImport parsed;
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    if (!record.error.empty()) {
      parsed.errors.push_back({record.line, record.error});
      continue;
    }
    if (record.fields.size() != header.fields.size()) {
      parsed.errors.push_back({record.line, absl::StrCat("expected ", header.fields.size(),
                                                         " fields, found ",
                                                         record.fields.size())});
      continue;
    }
    std::vector<FieldProblem> problems;
    // An optional column the header leaves out reads as empty.
    auto column = [&](absl::string_view name) {
      const auto it = index.find(name);
      if (it == index.end()) return std::string();
      return std::string(absl::StripAsciiWhitespace(record.fields[it->second]));
    };
    v1::CreateRecordRequest request = RowToRequest(column, &problems);
    if (!problems.empty()) {
      parsed.errors.push_back({record.line, ImportProblemsText(ImportFormat::kCsv, problems),
                               problems, std::move(request)});
      continue;
    }
    v1::ImportRow& row = parsed.rows.emplace_back();
    row.set_line(record.line);
    *row.mutable_record() = std::move(request);
  }
  if (parsed.rows.empty() && parsed.errors.empty()) {
    return absl::InvalidArgumentError("the CSV file has a header but no rows");
  }
  return parsed;
}

absl::StatusOr<ParsedImport> ParseImportJsonLines(absl::string_view text) {
  ParsedImport parsed;
  uint64_t line_number = 0;
  // A line ends with LF, CRLF or a lone CR (as the CSV reader takes them): JSON holds no raw CR
  // inside a value, so a CR is always the end of a line.
  const std::string lines =
      absl::StrReplaceAll(absl::StrReplaceAll(text, {{"\r\n", "\n"}}), {{"\r", "\n"}});
  for (absl::string_view line : absl::StrSplit(lines, '\n')) {
    ++line_number;
    // Leading spaces stay, so that a column protobuf's report points to is the line's own.
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line_number == 1) absl::ConsumePrefix(&line, "\xEF\xBB\xBF");
    if (absl::StripLeadingAsciiWhitespace(line).empty()) continue;
    v1::CreateRecordRequest request;
    // Enums as a record file, the options and the CSV columns take them ("female").
    std::vector<EnumProblem> refused;
    const std::string text =
        WithEnumNames(line, *v1::CreateRecordRequest::descriptor(), &refused);
    const auto status = google::protobuf::util::JsonStringToMessage(text, &request);
    // Protobuf keeps the last of a key given twice; the line says two things of the record, and
    // which one is meant is not for the import to guess.
    if (const std::string repeated =
            RepeatedKeyProblem(line, *v1::CreateRecordRequest::descriptor());
        !repeated.empty()) {
      parsed.errors.push_back({line_number, absl::StrCat("not a record in JSON: ", repeated)});
      continue;
    }
    if (!status.ok()) {
      // Protobuf's report quotes the line (names, personal numbers): only where, and what.
      parsed.errors.push_back(
          {line_number,
           absl::StrCat("not a record in JSON: ",
                        JsonLineProblem(text, std::string(status.message()),
                                        *v1::CreateRecordRequest::descriptor()))});
      continue;
    }
    if (!refused.empty()) {
      parsed.errors.push_back(
          {line_number, absl::StrJoin(EnumProblemLines(refused), "; ")});
      continue;
    }
    // Codes and court ids in any case, as the CSV columns and `record create` take them.
    NormaliseRecordCase(&request);
    v1::ImportRow& row = parsed.rows.emplace_back();
    row.set_line(line_number);
    *row.mutable_record() = std::move(request);
  }
  if (parsed.rows.empty() && parsed.errors.empty()) {
    return absl::InvalidArgumentError("the file holds no rows");
  }
  return parsed;
}

absl::StatusOr<ParsedImport> ParseImport(ImportFormat format, absl::string_view text) {
  switch (format) {
    case ImportFormat::kCsv:
      return ParseImportCsv(text);
    case ImportFormat::kJsonLines:
      return ParseImportJsonLines(text);
  }
  return absl::InvalidArgumentError("unknown import format");
}

void OrderForImport(std::vector<v1::ImportRow>* rows) {
  // A date YYYY-MM-DD sorts as its text; a row without one goes after every row with one.
  const auto dated = [](const v1::ImportRow& row) {
    return DateProblem(row.record().conviction().final_date()).empty();
  };
  std::stable_sort(rows->begin(), rows->end(),
                   [&](const v1::ImportRow& a, const v1::ImportRow& b) {
                     const bool a_dated = dated(a);
                     const bool b_dated = dated(b);
                     if (a_dated != b_dated) return a_dated;
                     return a_dated && a.record().conviction().final_date() >
                                           b.record().conviction().final_date();
                   });
}

std::string ImportPersonKey(const v1::ImportRow& row) {
  std::string key;
  for (const char c : row.record().person().personal_number()) {
    if (absl::ascii_isalnum(c)) key.push_back(absl::ascii_toupper(c));
  }
  return key;
}

std::set<uint64_t> DryRunCarry::Add(const std::vector<v1::ImportRow>& rows, size_t start,
                                    size_t end, v1::ImportRecordsRequest* request,
                                    size_t* left_out) const {
  std::set<size_t> carry;
  for (size_t i = start; i < end; ++i) {
    const std::string key = ImportPersonKey(rows[i]);
    if (key.empty()) continue;
    if (const auto it = valid_by_person_.find(key); it != valid_by_person_.end()) {
      carry.insert(it->second.begin(), it->second.end());
    }
  }
  std::set<uint64_t> lines;
  size_t bytes = 0;
  for (const size_t i : carry) {
    const size_t row_bytes = rows[i].ByteSizeLong();
    if (end - start + lines.size() >= max_rows_ || bytes + row_bytes > max_bytes_) break;
    bytes += row_bytes;
    lines.insert(rows[i].line());
    *request->add_rows() = rows[i];
  }
  if (left_out != nullptr) *left_out += carry.size() - lines.size();
  return lines;
}

void DryRunCarry::Note(const std::vector<v1::ImportRow>& rows, size_t start, size_t end,
                       const v1::ImportRecordsResponse& response) {
  // The batch's own rows, by line: a result of any other line is none of them.
  std::map<uint64_t, size_t> batch;
  for (size_t i = start; i < end; ++i) batch.emplace(rows[i].line(), i);
  for (const v1::ImportRowResult& result : response.results()) {
    if (result.outcome() != v1::ImportRowResult::OUTCOME_VALID) continue;
    const auto row = batch.find(result.line());
    if (row == batch.end()) continue;
    const std::string key = ImportPersonKey(rows[row->second]);
    if (!key.empty()) valid_by_person_[key].push_back(row->second);
  }
}

bool SameConvictionRows::Check(v1::ImportRowResult* result) {
  if (result->record_id().empty()) return false;
  const auto [at, first] = line_by_record_.emplace(result->record_id(), result->line());
  if (first || at->second == result->line()) return false;
  // In the registry's words for two rows of one request (record_service.cc).
  result->set_outcome(v1::ImportRowResult::OUTCOME_INVALID);
  result->set_error(absl::StrCat("conviction: the same conviction (court, case number, personal "
                                 "number) as another row of this import (line ",
                                 at->second, "); one row per conviction"));
  result->clear_record_id();
  return true;
}

std::string DescribeImportLines(const std::vector<uint64_t>& file_lines,
                                std::vector<uint64_t> chosen, size_t max_runs) {
  std::sort(chosen.begin(), chosen.end());
  std::vector<std::string> runs;
  size_t rows_left = 0;
  // Walks the rows in the file's order; a run goes on while each row is chosen.
  size_t next = 0;  // the first of `chosen` not yet placed in a run
  for (size_t i = 0; i < file_lines.size() && next < chosen.size();) {
    if (file_lines[i] != chosen[next]) {
      ++i;
      continue;
    }
    const uint64_t first = file_lines[i];
    uint64_t last = first;
    size_t count = 0;
    while (i < file_lines.size() && next < chosen.size() && file_lines[i] == chosen[next]) {
      last = file_lines[i];
      ++i;
      ++next;
      ++count;
    }
    if (runs.size() < max_runs) {
      runs.push_back(first == last ? absl::StrCat(first) : absl::StrCat(first, "..", last));
    } else {
      rows_left += count;
    }
  }
  std::string said = absl::StrJoin(runs, ", ");
  if (rows_left > 0) {
    absl::StrAppend(&said, ", and ", rows_left, rows_left == 1 ? " more row" : " more rows");
  }
  return said;
}

std::string ImportProblemMessage(ImportFormat format, absl::string_view message) {
  return format == ImportFormat::kCsv ? RecordMessageWithColumns(message) : std::string(message);
}

void SetAsideUnsendableRows(ImportFormat format, ParsedImport* parsed) {
  std::vector<v1::ImportRow> rows;
  rows.reserve(parsed->rows.size());
  for (v1::ImportRow& row : parsed->rows) {
    std::vector<std::string> not_utf8;
    FieldsNotUtf8(row.record(), "", &not_utf8);
    if (!not_utf8.empty()) {
      // Every such field is named at once (a file saved as Windows-1250 has many), and the
      // row without them is kept for the registry to check the rest.
      ImportLineError error(row.line(), "");
      std::vector<std::string> texts;
      v1::CreateRecordRequest rest = row.record();
      bool checkable = true;
      for (const std::string& path : not_utf8) {
        const RecordField* field = FindRecordField(path);
        if (field == nullptr) {
          checkable = false;
          texts.push_back(ImportProblemMessage(format, absl::StrCat(path, ": ", kNotUtf8)));
          continue;
        }
        if (std::none_of(error.problems.begin(), error.problems.end(),
                         [&](const FieldProblem& p) { return p.field == field; })) {
          error.problems.push_back({field, kNotUtf8});
          std::vector<FieldProblem> ignored;
          ApplyField(*field, {""}, &rest, &ignored);  // clears it
        }
      }
      std::stable_sort(error.problems.begin(), error.problems.end(),
                       [](const FieldProblem& a, const FieldProblem& b) {
                         return FieldOrder(a.field) < FieldOrder(b.field);
                       });
      if (checkable) {
        error.message = ImportProblemsText(format, error.problems);
        error.record = std::move(rest);
      } else {
        // A field of no record field's path: named by its path alone, and nothing is checked.
        for (const FieldProblem& p : error.problems) {
          texts.push_back(ImportFieldProblemText(format, p));
        }
        error.message = absl::StrJoin(texts, "; ");
        error.problems.clear();
      }
      parsed->errors.push_back(std::move(error));
    } else if (row.ByteSizeLong() > kMaxImportRowBytes) {
      parsed->errors.push_back(
          {row.line(), absl::StrCat("row of ", row.ByteSizeLong(), " bytes: more than any valid "
                                    "record (", kMaxImportRowBytes >> 10, " KiB)")});
    } else {
      rows.push_back(std::move(row));
    }
  }
  parsed->rows = std::move(rows);
}

std::vector<v1::ImportRecordsRequest> ImportCheckRequests(
    const std::vector<ImportLineError>& errors, size_t max_rows, size_t max_bytes) {
  std::vector<v1::ImportRecordsRequest> requests;
  size_t bytes = 0;
  for (const ImportLineError& error : errors) {
    // A row over the limit on a row's size is not sent for a check either.
    if (!error.record.has_value() || error.record->ByteSizeLong() > kMaxImportRowBytes) continue;
    const size_t row_bytes = error.record->ByteSizeLong();
    if (requests.empty() || static_cast<size_t>(requests.back().rows_size()) >= max_rows ||
        (requests.back().rows_size() > 0 && bytes + row_bytes > max_bytes)) {
      requests.emplace_back().set_dry_run(true);
      bytes = 0;
    }
    v1::ImportRow* row = requests.back().add_rows();
    row->set_line(error.line);
    *row->mutable_record() = *error.record;
    bytes += row_bytes;
  }
  return requests;
}

namespace {

// How many items the list of `field` holds in `record` (0 for a field that is no list).
int ItemCount(const RecordField& field, const v1::CreateRecordRequest& record) {
  if (field.flag == "offence") return record.conviction().offences_size();
  if (field.flag == "ban") return record.conviction().bans_size();
  if (field.flag == "citizenship") return record.person().citizenships_size();
  if (field.flag == "alias") return record.person().aliases_size();
  return 0;
}

}  // namespace

void AddRegistryProblems(ImportFormat format, const v1::ImportRecordsResponse& checked,
                         std::vector<ImportLineError>* errors) {
  std::map<uint64_t, ImportLineError*> by_line;
  for (ImportLineError& error : *errors) {
    if (error.record.has_value()) by_line.emplace(error.line, &error);
  }
  for (const v1::ImportRowResult& result : checked.results()) {
    if (result.outcome() != v1::ImportRowResult::OUTCOME_INVALID) continue;
    const auto it = by_line.find(result.line());
    if (it == by_line.end()) continue;
    ImportLineError& error = *it->second;
    std::vector<FieldProblem> added;
    for (const std::string& part : SplitServerProblems(result.error())) {
      std::optional<FieldProblem> problem = ProblemOfRegistryMessage(part);
      // A field named already: a value that could not be read is missing from what was checked.
      const auto named = [&](const FieldProblem& p) { return p.field == problem->field; };
      if (!problem.has_value() ||
          std::any_of(error.problems.begin(), error.problems.end(), named)) {
        continue;
      }
      // A list of one item is named as the cell, as this file's own problems name it.
      if (ItemCount(*problem->field, *error.record) <= 1) problem->item = -1;
      added.push_back(*std::move(problem));
    }
    if (added.empty()) continue;
    error.problems.insert(error.problems.end(), added.begin(), added.end());
    std::stable_sort(error.problems.begin(), error.problems.end(),
                     [](const FieldProblem& a, const FieldProblem& b) {
                       return FieldOrder(a.field) < FieldOrder(b.field);
                     });
    error.message = ImportProblemsText(format, error.problems);
  }
}

std::string ImportProgressLine(size_t done, size_t total, size_t columns) {
  constexpr size_t kMostMarks = 30;
  // Fewer marks than this say too little to be worth their room.
  constexpr size_t kFewestMarks = 5;
  const size_t room = columns > 0 ? columns - 1 : 0;
  done = std::min(done, total);
  const std::string counts = absl::StrCat(done, "/", total);
  std::string text = absl::StrCat(counts, " rows");
  if (text.size() > room) text = counts;
  if (text.size() > room) text = absl::StrCat(total == 0 ? 100 : done * 100 / total, "%");
  if (text.size() > room) return "";
  // "[", "] " around the marks.
  constexpr size_t kAround = 3;
  if (room < text.size() + kAround + kFewestMarks) return text;
  const size_t marks = std::min(kMostMarks, room - text.size() - kAround);
  const size_t filled = total == 0 ? marks : done * marks / total;
  return absl::StrCat("[", std::string(filled, '#'), std::string(marks - filled, ' '), "] ",
                      text);
}

}  // namespace registry::client
