// An amendment patch: a JSON file in the shape of CreateRecordRequest
// ({"person": {...}, "conviction": {...}}) holding only the fields to change. The update mask of
// AmendRecordRequest is the set of fields present in the file:
//
//   {"person": {"last_known_address": "Rr. Nëna Terezë 5"},
//    "conviction": {"sentence": {"type": "SENTENCE_TYPE_SUSPENDED", "months": 12}}}
//   -> update_mask "person.last_known_address", "conviction.sentence"
//
// A scalar or list field gives its own path ("person.surname", "conviction.offences"); a message
// field gives its path as a whole ("conviction.sentence": both its fields are replaced). Keys may
// be proto names (last_known_address) or JSON names (lastKnownAddress). A key set to null is
// present: the field is cleared.
#ifndef REGISTRY_CLIENT_AMEND_PATCH_H_
#define REGISTRY_CLIENT_AMEND_PATCH_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "registry/v1/records.pb.h"

namespace registry::client {

// Returns the update mask for a patch, paths in field-number order. A usage error when the text
// is not a JSON object (saying where: "line 3, column 5: ..."), when a name is not a field (the
// message names every one, a typo by its name, "person.surnme (did you mean "surname"?)", any
// other by its place, "person: a name that is no field", and lists the fields of each place
// that has one), when "person" or "conviction" is not an object, or when nothing is present.
// Each error starts with `file` ("patch.json: ...") when it is not empty.
absl::StatusOr<google::protobuf::FieldMask> UpdateMaskFromPatch(absl::string_view json,
                                                                absl::string_view file = "");

// Fills record values and update_mask of `request` from a patch. Errors as UpdateMaskFromPatch,
// plus a usage error when a value has the wrong type or format for its field.
absl::Status FillAmendRequestFromPatch(absl::string_view json, v1::AmendRecordRequest* request,
                                       absl::string_view file = "");

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_AMEND_PATCH_H_
