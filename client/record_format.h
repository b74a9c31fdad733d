// Human-readable text of API messages for people at a terminal: labelled fields and plain words
// instead of raw protos and enum names. Machine output goes through json_io.h instead.
//
// Every string in these messages is the server's (or, for a record, whoever entered it), so each
// function passes every string field through ForTerminal (terminal_text.h) exactly once: what
// they return is safe to print as it is, and must not be escaped again.
//
//   Surname:           Kërqeli
//   Given name:        Arben
//   ...
//   Offences:          06/L-074 art. 230 §1
//   Sentence:          imprisonment, 36 months
#ifndef REGISTRY_CLIENT_RECORD_FORMAT_H_
#define REGISTRY_CLIENT_RECORD_FORMAT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"

namespace registry::client {

// "06/L-074 art. 230 §1"; paragraph 0 (the whole article) is left out: "06/L-074 art. 230".
std::string FormatOffence(const v1::Offence& offence);

// "imprisonment, 36 months", "fine".
std::string FormatSentence(const v1::Sentence& sentence);

// "work with children until 2034-05-15", "profession for life".
std::string FormatBan(const v1::AccessoryBan& ban);

// "active", "disputed", "expunged", "unspecified".
std::string RecordStatusName(v1::RecordStatus status);

// "CLEAR", "NOT CLEAR", "REFER", "UNSPECIFIED".
std::string VettingResultName(v1::VettingResult result);

// What became of one check about a person, for the data subject: "NOT CLEAR", "CLEAR", "REFER",
// "result withheld (record erased)", or "refused: RESOURCE_EXHAUSTED" for a call that got no answer.
std::string CheckOutcomeText(const v1::CheckSummary& check);

// The whole record, one labelled field per line, ending with a newline. With `width` (a
// terminal's columns, CommandContext::out_columns), each value is wrapped to it and never broken
// inside an id or a URI, and on a narrow one starts after its label (LabelledLines); with 0 each
// field is one line, whatever its length.
std::string FormatRecord(const v1::Record& record, size_t width = 0);

// The record's fields as FormatRecord shows them: label and value (already escaped), in order.
struct RecordLine {
  std::string label;
  std::string value;
  // Registry bookkeeping (id, version, who and when) rather than the conviction's content.
  bool bookkeeping = false;
};
std::vector<RecordLine> RecordLines(const v1::Record& record);

// What a version changed from the one before it, one line per field whose shown value differs:
// "Last known address:          Rr. Agim Ramadani 14 → Rr. Fehmi Agani 7"; bookkeeping fields
// are left out. "" when nothing shown differs.
std::string FormatChanges(const v1::Record& before, const v1::Record& after);

// A record's history as `registry-cli record history` prints it: each version's heading
// ("== version 2, WHEN, by WHO: REASON"), the first version whole, after it what each version
// changed (FormatChanges between the dates each was written with, so a change of the dates made by
// another record is never shown under a version's author), then FormatDatesInForce.
std::string FormatHistory(const v1::GetRecordHistoryResponse& history);

// The dates in force when the history says they are not the newest version's, after a blank
// line: "Dates now in force: visible to employers until 2051-12-07, delete after 2061-12-07
// (extended by another conviction of the same person)". "" when the reply has none.
std::string FormatDatesInForce(const v1::GetRecordHistoryResponse& history);

// "Basic Court of Prishtinë/Priština (basic-prishtine)", "foreign: Amtsgericht München (DE)",
// or the id alone when the server sent no name.
std::string FormatCourt(const v1::Conviction& conviction);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_RECORD_FORMAT_H_
