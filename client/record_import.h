// Bulk import files for `registry-cli record import`: historical judgments entered in batches.
//
// Two formats, chosen by the file name's extension:
//
// JSON lines (.jsonl, .ndjson): one CreateRecordRequest in protobuf JSON per line, e.g.
//   {"person": {"surname": "Kërqeli", ...}, "conviction": {"court_id": "basic-prishtine", ...}}
// Blank lines are skipped.
//
// CSV (.csv), RFC 4180 (quotes around fields holding commas, quotes or line breaks; a quote inside
// a quoted field is doubled), UTF-8, with this header line (columns may come in any order, all
// must be present):
//
//   surname,given_name,father_name,sex,birth_date,birth_place,citizenships,personal_number,
//   last_known_address,court_id,case_number,judgment_date,final_date,offences,sentence_type,
//   sentence_months,bans,release_date,juvenile,foreign_court,foreign_country
//
//   column              value
//   surname, given_name, father_name, birth_place, personal_number, last_known_address,
//   case_number, foreign_court
//                       text as in the API (leading/trailing spaces are dropped)
//   court_id            a court's id, in any case (sent in small letters, as --court sends it)
//   sex                 female | male (f | m), in any case, required
//   birth_date, judgment_date, final_date
//                       YYYY-MM-DD, required
//   release_date        YYYY-MM-DD or empty
//   citizenships        ISO 3166-1 alpha-2 codes separated by ";", e.g. XK;AL, in any case
//                       (sent in capitals, as --citizenship sends them; so is foreign_country)
//   offences            LAW:ARTICLE:PARAGRAPH separated by ";", at least one, e.g.
//                       06/L-074:230:1;04/L-082:235:0 (paragraph 0, or none: the whole
//                       article; the law in any case, sent in capitals)
//   sentence_type       imprisonment | life_imprisonment | suspended | fine | juvenile_measure |
//                       other
//   sentence_months     whole number 0..600; empty means 0
//   bans                TYPE:END_DATE separated by ";", TYPE one of work_with_children,
//                       contact_with_victim, profession; END_DATE YYYY-MM-DD, or none for life
//                       (e.g. work_with_children:2034-05-15;profession:none); an END_DATE left
//                       out is refused, not taken for life
//   juvenile            true | false (yes | no); empty means false
//
// Every cell is read as `record create` reads its option (ApplyField, record_fields.h: the same
// words, codes and numbers, in the same cases), and every row is checked here for its shape
// (field count, text that is not UTF-8) and for the cells a record cannot be without (surname,
// given_name, sex, birth_date, personal_number, court_id, case_number, judgment_date,
// final_date, offences, sentence_type: an empty one is "<column>: required"); the server checks
// the rest. Rows keep the line on which they start so both kinds of error name it. A row with
// problems of its cells keeps what of it could be read, so that the registry can name the
// problems of its other cells in the same report (ImportCheckRequests, AddRegistryProblems).
#ifndef REGISTRY_CLIENT_RECORD_IMPORT_H_
#define REGISTRY_CLIENT_RECORD_IMPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/record_fields.h"
#include "registry/v1/records.pb.h"

namespace registry::client {

// What a CSV row's offences cell of separators alone (";") is told: it holds no offence.
inline constexpr absl::string_view kNoOffenceRule = "at least one LAW:ARTICLE:PARAGRAPH";

// The CSV header, in the documented order: every column is required.
const std::vector<std::string>& ImportCsvColumns();
// Columns a header may add after them, in any place (suspension_end_date: the end of a suspended
// sentence's verification period); left out, they are empty in every row.
const std::vector<std::string>& ImportCsvOptionalColumns();

// The file formats `record import --help` shows after its options: the CSV header and what each
// column takes, and the JSON lines. The help is what an installed registry-cli has to read (the
// source's deploy/examples/README.md is not installed), and the import's errors point to it.
std::string ImportFormatHelp();

enum class ImportFormat { kCsv, kJsonLines };

struct ImportLineError {
  ImportLineError() = default;
  ImportLineError(uint64_t line, std::string message) : line(line), message(std::move(message)) {}
  ImportLineError(uint64_t line, std::string message, std::vector<FieldProblem> problems,
                  std::optional<v1::CreateRecordRequest> record)
      : line(line),
        message(std::move(message)),
        problems(std::move(problems)),
        record(std::move(record)) {}

  uint64_t line = 0;
  std::string message;
  // Of a row whose problems are of its fields, each named (in the record's order): `message` is
  // them joined with "; ". Empty for a row that could not be read as a record (a broken line).
  std::vector<FieldProblem> problems;
  // Of such a row, what of it could be read, the fields named left out: what the registry checks
  // to name the problems of its other fields (ImportCheckRequests). Unset when it cannot be sent.
  std::optional<v1::CreateRecordRequest> record;
};

// A whole file, parsed: the rows to send (with their lines) and the rows that could not be read.
struct ParsedImport {
  std::vector<v1::ImportRow> rows;
  std::vector<ImportLineError> errors;
};

// kCsv for ".csv", kJsonLines for ".jsonl" and ".ndjson" (any case); a usage error otherwise.
absl::StatusOr<ImportFormat> ImportFormatFromPath(absl::string_view path);

// Parses a CSV import file. InvalidArgument when the header is missing or wrong (duplicate or
// missing columns, named; unknown ones by their place, and by their text only where it cannot be
// a person's data: a near miss of a column or a common other name of one, with the column meant;
// a first row run into the header line, or a file separated by semicolons, said to be one) — the
// file is not read further then; otherwise every bad row is listed in `errors` with its line.
absl::StatusOr<ParsedImport> ParseImportCsv(absl::string_view text);

// Parses a JSON-lines import file; every line that is not a CreateRecordRequest is listed in
// `errors`. InvalidArgument only for a file with no rows and no errors (empty).
absl::StatusOr<ParsedImport> ParseImportJsonLines(absl::string_view text);

// Dispatches on `format`.
absl::StatusOr<ParsedImport> ParseImport(ImportFormat format, absl::string_view text);

// No valid record comes near this many bytes (every field has a limit of at most a few thousand
// characters); a larger row is a broken file, named by its line, and never sent.
inline constexpr size_t kMaxImportRowBytes = 256 << 10;

// Takes out of `parsed->rows` each row that cannot be sent, and lists it in `parsed->errors` by
// its line: a row with text that is not well-formed UTF-8 (a file saved in another encoding:
// protobuf refuses to serialize it, and the whole batch would fail with it; every such field
// is named, and the rest of the row kept for the registry's check) and a row over
// kMaxImportRowBytes (which could push its batch past the channel's limit on a message). The
// other rows still go. registry-cli and registry-console check a file alike with it.
//   "line 3: given_name: not valid UTF-8 (save the file as UTF-8)"  (CSV: the column's name)
//   "line 2: row of 3000147 bytes: more than any valid record (256 KiB)"
void SetAsideUnsendableRows(ImportFormat format, ParsedImport* parsed);

// The requests, each a dry run of at most `max_rows` rows and about `max_bytes`, that have the
// registry check the rows of `errors` that hold a record: rows with problems of their own fields
// are not imported, but the registry's problems of their other fields (a court or an offence
// not in its tables, a date after today, a personal number of the wrong format) are named with
// them, so that a clerk mends a row in one round. A dry run stores nothing.
std::vector<v1::ImportRecordsRequest> ImportCheckRequests(
    const std::vector<ImportLineError>& errors, size_t max_rows, size_t max_bytes);

// Adds to each of `errors` that the registry found invalid in `checked` (by line) its problems
// of the fields the error does not name already, in the record's order, and words its message
// again as the import names problems (a CSV row's by column). Problems that name no field (a
// row repeating another, a retention period) are left out: they are of the row as it will be.
void AddRegistryProblems(ImportFormat format, const v1::ImportRecordsResponse& checked,
                         std::vector<ImportLineError>* errors);

// A problem the registry found in a row, as the import reports it: a CSV row's problems name its
// columns ("person.personal_number: ..." -> "personal_number: ...", RecordMessageWithColumns);
// a JSON-lines row's keep the record's paths, which its file uses.
std::string ImportProblemMessage(ImportFormat format, absl::string_view message);

// Puts `rows` in the order they are sent: latest final date first, in the file's order among
// equal dates, and the rows whose final date is not a date (which the registry refuses) last, in
// the file's order. The registry orders the rows of one request the same way, so that a person's
// later conviction, which keeps the earlier ones from deletion, is entered before them; an
// earlier conviction whose own retention has ended is refused unless a later one is already in.
// Ordering the whole file, not each batch, makes what is entered the same however the file is
// cut into batches: a backlog file in date order sent as it stands lost such convictions
// whenever the later one fell into a later batch.
void OrderForImport(std::vector<v1::ImportRow>* rows);

// The person a row is filed under, as far as the client can tell: the personal number's letters
// and digits, upper case ("" without one). Rows the registry files under one person have one key;
// rows of two people may share one only where a personal number is mistyped.
std::string ImportPersonKey(const v1::ImportRow& row);

// What a dry run cut into batches carries from batch to batch, so that its verdicts are the
// import's. A dry run enters nothing: when a person's later conviction was checked in an earlier
// batch, it is not in the registry when an earlier one of the person is checked, as it is in the
// import itself, and the earlier one was refused as spent. So each batch carries again the rows
// of earlier batches that came back valid, of the people it holds rows of: the registry checks
// them first (in OrderForImport's order their final dates are no earlier), as if the earlier
// batches had been entered; their results were counted with their own batch.
//
//   DryRunCarry carry(1000, 3 << 20);
//   const std::set<uint64_t> carried = carry.Add(rows, start, end, &request);  // before the rows
//   ... add rows[start, end), send, skip the results of `carried` lines ...
//   carry.Note(rows, start, end, response);
class DryRunCarry {
 public:
  // A request holds at most `max_rows` rows, and the rows carried at most `max_bytes`.
  DryRunCarry(size_t max_rows, size_t max_bytes) : max_rows_(max_rows), max_bytes_(max_bytes) {}

  // Adds to `request` the rows to carry into the batch rows[start, end) (of `rows`, in
  // OrderForImport's order), the latest first where not all fit; returns their lines, and adds
  // to `*left_out` (when given) how many did not fit.
  std::set<uint64_t> Add(const std::vector<v1::ImportRow>& rows, size_t start, size_t end,
                         v1::ImportRecordsRequest* request, size_t* left_out = nullptr) const;

  // Notes which rows of the batch rows[start, end) `response` found valid.
  void Note(const std::vector<v1::ImportRow>& rows, size_t start, size_t end,
            const v1::ImportRecordsResponse& response);

 private:
  size_t max_rows_;
  size_t max_bytes_;
  // The rows, by their place in `rows`, of earlier batches that came back valid, by person
  // (ImportPersonKey).
  std::map<std::string, std::vector<size_t>> valid_by_person_;
};

// Two rows of one import that the registry finds to be one conviction (the same court, case
// number and personal number, as it compares them) are refused, the later one naming the
// other's line, as the registry refuses them within one request: "conviction: the same
// conviction (court, case number, personal number) as another row of this import (line 2); one
// row per conviction". Rows in different batches it answers alone: the later one comes back
// naming the record the earlier one created (a duplicate of it, or a conflict with it). So the
// client, which cannot tell the same conviction itself (the registry compares case numbers in a
// canonical form of its own), finds them by that record: what the import reports is then the
// same however the file is cut into batches.
class SameConvictionRows {
 public:
  // Notes the record `result` names; when an earlier result of the import named it, makes
  // `result` the refusal above, naming the earlier row's line, and returns true.
  bool Check(v1::ImportRowResult* result);

 private:
  // The line of the first row whose result named each record.
  std::map<std::string, uint64_t> line_by_record_;
};

// The lines of the rows `chosen`, out of the rows to send, said as runs of rows that follow one
// another in the file: "2..40, 45, 60..70" (a run names its first and last rows' lines; lines
// between them that hold no row to send, such as bad rows, do not break it).
// `file_lines` are the lines of every row to send, ascending; `chosen` any of them, in any order.
// At most `max_runs` runs are named, then ", and N more rows". Rows sent latest final date first
// are seldom the file's lines in a row: where an import stopped is said by these runs.
std::string DescribeImportLines(const std::vector<uint64_t>& file_lines,
                                std::vector<uint64_t> chosen, size_t max_runs);

// The import's progress on a terminal `columns` wide, without the carriage return that draws it
// over the last one: "[#########           ] 500/1200 rows", the bar at most 30 marks. It never
// reaches the last column (a terminal that wraps there would start a new line at each draw): on
// a narrow terminal the bar is shorter, then left out ("500/1200 rows"), then the word "rows",
// then the counts give way to a percentage ("41%").
std::string ImportProgressLine(size_t done, size_t total, size_t columns);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_RECORD_IMPORT_H_
