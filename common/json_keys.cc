#include "common/json_keys.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace registry {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

std::string Joined(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// A message whose JSON is its own (google.protobuf.Struct, Value, Any, Timestamp, ...): its keys,
// if it has any, are not its fields, and are scanned as data.
bool HasOwnJson(const Descriptor& type) {
  return absl::StartsWith(type.file()->name(), "google/protobuf/");
}

// A scan of JSON text for a key given twice in one object (RepeatedKeyProblem). It reads what
// protobuf's parser reads (keys in double or single quotes or bare, escapes, trailing commas)
// and stops, reporting nothing more, at the first thing it cannot read. Every step moves on in
// the text or stops, and nesting is bounded, so that no text makes it loop or overflow its stack.
class RepeatScan {
 public:
  explicit RepeatScan(absl::string_view json) : json_(json) {}

  std::string Run(const Descriptor& type) {
    Place root;
    root.message = HasOwnJson(type) ? nullptr : &type;
    Value(root, 0);
    return problem_;
  }

  // Where the scan stopped short of the text's end, read as data: nullopt when it read it all.
  std::optional<size_t> StopsAt() {
    const bool read = Value(Place{}, 0);
    SkipSpace();
    if (read && AtEnd()) return std::nullopt;
    return std::min(at_, json_.size());
  }

 private:
  // Deeper than protobuf's parser reads (100 objects).
  static constexpr int kMaxDepth = 200;

  // What a value is to the type: an object of a message's fields, an object of a map's keys, an
  // array of a repeated message field's elements, or data (none of these).
  struct Place {
    const Descriptor* message = nullptr;
    const FieldDescriptor* map = nullptr;
    const FieldDescriptor* list = nullptr;
    // The fields' path to it ("conviction.offences[1]"), while every step is a field: a map's
    // key is data, and nothing under it is named by a path.
    std::string path;
    bool has_path = true;
  };

  bool AtEnd() const { return at_ >= json_.size(); }
  char Peek() const { return json_[at_]; }

  void SkipSpace() {
    while (!AtEnd() && absl::ascii_isspace(static_cast<unsigned char>(Peek()))) ++at_;
  }

  static bool IsBareKeyStart(char c) {
    return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  }
  static bool IsBareKeyChar(char c) {
    return IsBareKeyStart(c) || absl::ascii_isdigit(static_cast<unsigned char>(c));
  }

  static void AppendUtf8(uint32_t code, std::string* out) {
    if (code < 0x80) {
      out->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (code >> 6)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (code >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (code >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
  }

  // The four hex digits at `at` as a number; false when they are not.
  bool Hex4(size_t at, uint32_t* code) const {
    if (at + 4 > json_.size()) return false;
    *code = 0;
    for (size_t i = at; i < at + 4; ++i) {
      const auto c = static_cast<unsigned char>(json_[i]);
      if (!absl::ascii_isxdigit(c)) return false;
      const int digit = absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
      *code = (*code << 4) | static_cast<uint32_t>(digit);
    }
    return true;
  }

  // A string in double or single quotes, decoded as protobuf's parser decodes it.
  bool String(std::string* out) {
    const char quote = Peek();
    ++at_;
    while (!AtEnd()) {
      const char c = Peek();
      if (c == quote) {
        ++at_;
        return true;
      }
      if (c != '\\') {
        out->push_back(c);
        ++at_;
        continue;
      }
      if (at_ + 1 >= json_.size()) return false;
      const char escaped = json_[at_ + 1];
      if (escaped == 'u') {
        uint32_t code = 0;
        if (!Hex4(at_ + 2, &code)) return false;
        at_ += 6;
        uint32_t low = 0;
        if (code >= 0xd800 && code <= 0xdbff && at_ + 1 < json_.size() && Peek() == '\\' &&
            json_[at_ + 1] == 'u' && Hex4(at_ + 2, &low) && low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          at_ += 6;
        }
        AppendUtf8(code, out);
        continue;
      }
      // Any other escaped character stands for itself, as protobuf's parser reads it.
      static constexpr absl::string_view kLetters = "bfnrtv";
      static constexpr absl::string_view kMeanings = "\b\f\n\r\t\v";
      const size_t letter = kLetters.find(escaped);
      out->push_back(letter == absl::string_view::npos ? escaped : kMeanings[letter]);
      at_ += 2;
    }
    return false;
  }

  // Reads a value at `place`; false to stop (a repeat found, or text it cannot read).
  bool Value(const Place& place, int depth) {
    if (depth > kMaxDepth) return false;
    SkipSpace();
    if (AtEnd()) return false;
    const char c = Peek();
    if (c == '{') return Object(place, depth + 1);
    if (c == '[') return Array(place, depth + 1);
    if (c == '"' || c == '\'') {
      std::string ignored;
      return String(&ignored);
    }
    // A number, true, false or null.
    const size_t start = at_;
    while (!AtEnd() && (IsBareKeyChar(Peek()) || Peek() == '+' || Peek() == '-' || Peek() == '.')) {
      ++at_;
    }
    return at_ > start;
  }

  // Where the value of `field` of the message at `parent` is.
  static Place FieldPlace(const Place& parent, const FieldDescriptor& field) {
    Place child;
    child.has_path = parent.has_path;
    if (child.has_path) child.path = Joined(parent.path, field.name());
    if (field.is_map()) {
      child.map = &field;
    } else if (field.message_type() != nullptr && !HasOwnJson(*field.message_type())) {
      if (field.is_repeated()) {
        child.list = &field;
      } else {
        child.message = field.message_type();
      }
    }
    return child;
  }

  std::string Repeat(const Place& place, const FieldDescriptor* field, const std::string& first,
                     const std::string& again, size_t again_at) const {
    if (place.message != nullptr && place.has_path && field != nullptr && IsKeyName(first) &&
        IsKeyName(again)) {
      std::string text = absl::StrCat(Joined(place.path, field->name()), ": given twice");
      if (first != again) absl::StrAppend(&text, " (as ", first, " and ", again, ")");
      return text;
    }
    return absl::StrCat(JsonLocation(json_, again_at), ": a key given twice");
  }

  bool Object(const Place& place, int depth) {
    ++at_;  // '{'
    // Each key's field (or, for a key that names none and a map's key, the key itself), with
    // the spelling it was first given in.
    std::map<std::string, std::string> seen;
    for (;;) {
      SkipSpace();
      if (AtEnd()) return false;
      if (Peek() == '}') {
        ++at_;
        return true;
      }
      const size_t key_at = at_;
      std::string key;
      if (Peek() == '"' || Peek() == '\'') {
        if (!String(&key)) return false;
      } else if (IsBareKeyStart(Peek())) {
        while (!AtEnd() && IsBareKeyChar(Peek())) key.push_back(json_[at_++]);
      } else {
        return false;
      }
      SkipSpace();
      if (AtEnd() || Peek() != ':') return false;
      ++at_;
      const FieldDescriptor* field = nullptr;
      Place child;
      child.has_path = false;
      std::string identity = absl::StrCat("\"", key);
      if (place.message != nullptr) {
        field = FieldOfJsonKey(*place.message, key);
        if (field != nullptr) {
          identity = absl::StrCat("#", field->number());
          child = FieldPlace(place, *field);
        }
      } else if (place.map != nullptr) {
        const FieldDescriptor* value = place.map->message_type()->map_value();
        if (value != nullptr && value->message_type() != nullptr &&
            !HasOwnJson(*value->message_type())) {
          child.message = value->message_type();
        }
      }
      const auto [it, added] = seen.emplace(identity, key);
      if (!added) {
        problem_ = Repeat(place, field, it->second, key, key_at);
        return false;
      }
      if (!Value(child, depth)) return false;
      SkipSpace();
      if (AtEnd()) return false;
      if (Peek() == ',') {
        ++at_;
        continue;
      }
      if (Peek() == '}') {
        ++at_;
        return true;
      }
      return false;
    }
  }

  bool Array(const Place& place, int depth) {
    ++at_;  // '['
    for (size_t index = 0;; ++index) {
      SkipSpace();
      if (AtEnd()) return false;
      if (Peek() == ']') {
        ++at_;
        return true;
      }
      Place element;
      element.has_path = false;
      if (place.list != nullptr) {
        element.message = place.list->message_type();
        element.has_path = place.has_path;
        if (element.has_path) element.path = absl::StrCat(place.path, "[", index, "]");
      }
      if (!Value(element, depth)) return false;
      SkipSpace();
      if (AtEnd()) return false;
      if (Peek() == ',') {
        ++at_;
        continue;
      }
      if (Peek() == ']') {
        ++at_;
        return true;
      }
      return false;
    }
  }

  absl::string_view json_;
  size_t at_ = 0;
  std::string problem_;
};

}  // namespace

const FieldDescriptor* FieldOfJsonKey(const Descriptor& type, const std::string& key) {
  if (const FieldDescriptor* field = type.FindFieldByName(key)) return field;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

// A key spelled as the API's field names are (a small letter, then letters, digits and "_"), so
// that repeating it cannot repeat a value written where a key belongs (a name starts with a
// capital letter, a number with a digit).
bool IsKeyName(absl::string_view key) {
  return !key.empty() && key.size() <= 40 &&
         absl::ascii_islower(static_cast<unsigned char>(key[0])) &&
         std::all_of(key.begin(), key.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
         });
}

std::string JsonLocation(absl::string_view json, size_t offset) {
  const absl::string_view before = json.substr(0, offset);
  const size_t line_start =
      before.rfind('\n') == absl::string_view::npos ? 0 : before.rfind('\n') + 1;
  const absl::string_view on_line = before.substr(line_start);
  const size_t column =
      1 + static_cast<size_t>(std::count_if(on_line.begin(), on_line.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
      }));
  if (!absl::StrContains(absl::StripTrailingAsciiWhitespace(json), '\n')) {
    return absl::StrCat("column ", column);
  }
  const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  return absl::StrCat("line ", line, ", column ", column);
}


std::string RepeatedKeyProblem(absl::string_view json, const Descriptor& type) {
  return RepeatScan(json).Run(type);
}

std::optional<size_t> JsonStopsAt(absl::string_view json) { return RepeatScan(json).StopsAt(); }

}  // namespace registry
