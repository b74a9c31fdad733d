// HTML for the console's pages, built on the server from escaped parts. Every string that did not
// come from the console's own code or catalogs (record fields, names, reasons, audit actors,
// organisations, error messages: whatever the registry sends, or a user typed) passes through
// Text() exactly once before it is put into a page.
//
//   absl::StrAppend(&html, "<td>", Text(person.surname()), "</td>");
#ifndef REGISTRY_CLIENT_CONSOLE_HTML_H_
#define REGISTRY_CLIENT_CONSOLE_HTML_H_

#include <string>

#include "absl/strings/string_view.h"

namespace registry::console {

// `text` safe to put in HTML text or in a quoted attribute value: & < > " ' as character
// references, and each invalid UTF-8 sequence as U+FFFD (the page is UTF-8: a form's value typed
// back into its input, as it was received, is shown so and sent again valid). Trusted text only
// (the catalogs, the console's own words, a value echoed into the input it came from): it does
// nothing else.
std::string Escape(absl::string_view text);

// Text from the registry or a user, for a page: what registry-cli prints for a terminal
// (client/terminal_text.h ForTerminal: control characters, bidirectional formatting characters,
// line separators and invalid UTF-8 as visible escapes, so that no value can reorder what is
// read around it) and then Escape, so that no value can be markup either.
std::string Text(absl::string_view text);

// `page` (the console's own markup, in which whatever was not the console's is escaped) with
// autocomplete="off" on each <form> and on each <input> (but a hidden one, where the HTML
// standard forbids it), <select> and <textarea> that does not say otherwise: a browser then
// neither offers what was typed into another form nor, when Back shows a form again, restores
// into it what the previous person's form held (their sex, court, offences, bans, a reason).
std::string WithoutAutofill(absl::string_view page);

// `text` percent-encoded for a URL query value or path segment (unreserved characters kept).
std::string UrlEncode(absl::string_view text);

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_HTML_H_
