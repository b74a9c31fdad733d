// What a caller may type, as the registry says: in a command's --help (the purpose codes a court
// may state, the position categories of an employer's organisation, the courts and offences a
// clerk enters), and in the error when the server refuses a value, which then names the option
// the user typed (not the request field the server checked) and the values it would take.
//
//   out << CommandHelp(command) << ChoicesHelp(command, settings);
//   status = ExplainError(context, status);
//     "purpose.case_reference is required"
//     -> "2 problems:\n  --case-ref is required ...\n  --purpose is required ...\n  ..."
#ifndef REGISTRY_CLIENT_CHOICES_H_
#define REGISTRY_CLIENT_CHOICES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/command_context.h"
#include "client/command_table.h"
#include "client/connection.h"

namespace registry::client {

// Lines to append to `command`'s help (starting with an empty line), or "" when the command has
// no choices. With an identity configured, asks the server (InfoService) with a short deadline;
// when that is impossible, says why by the kind of failure (the identity is not there or cannot
// be used, the registry refused it, the registry cannot be reached), naming the identity only as
// the user gave it (its folder); without one, says what the help would list with an identity.
// Server strings are escaped (ForTerminal).
std::string ChoicesHelp(const CommandSpec& command, const ConnectionSettings& settings);

// The server's refusal `status` of the command run in `context`, reworded for the user: the
// request field it names becomes the option (the command's field_flags), and a purpose code or
// position category the caller may not state comes with where the ones it may are listed (the
// command's help): no other call is made, so a refused call costs one audited call, not two.
// Statuses that name no field of the command come back as they are.
absl::Status ExplainError(CommandContext& context, const absl::Status& status);

// A certificate the registry no longer accepts, expired (CheckOwnCertificate, before connecting)
// or revoked (the registry's answer), said alike: what to do, and where the new one goes (the
// identity folder of `settings`, else in place of its --cert). Any other status comes back as
// it is. ExplainError does it for registry-cli; registry-console's start says it the same way.
absl::Status ExplainRefusedCertificate(const ConnectionSettings& settings,
                                       const absl::Status& status);

// The purpose code typed (--purpose), as the registry writes purpose codes: in lowercase (the
// policy's codes are [a-z0-9_]). A code is a word to choose, taken in any case as registry-cli's
// other words are ("Criminal_Proceedings").
std::string PurposeCodeOf(absl::string_view typed);

// The position category typed (--position), as the policies write position categories: in
// lowercase ("Teacher" for teacher), like a purpose code. Asking the registry for the list
// instead would be a second call, counted against the employer's rate limit, for each check.
std::string PositionCategoryOf(absl::string_view typed);

// The request field a server message starts with: "purpose.case_reference" for
// "purpose.case_reference is required" or "purpose.case_reference: 1..64 ...", "" when none.
std::string FieldOfMessage(absl::string_view message);

// The problems of a server message that names several fields ("person.sex: required; ..."),
// one per field, in order; a message of one problem, or none, comes back whole.
std::vector<std::string> SplitServerProblems(absl::string_view message);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_CHOICES_H_
