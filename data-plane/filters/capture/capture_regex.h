// SPDX-License-Identifier: Apache-2.0
// Capture's regex engine (RE2 in Latin-1 mode over packet bytes), shared by the native filter and
// the js backend's binding (capture_binding.cc), so both find exactly the same matches.
#pragma once

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace qk::filters {

// The translated pattern (engine-regex.ts) compiled, cached process-wide; null and `error` set when
// RE2 refuses it.
std::shared_ptr<const RE2> capture__regex(const std::string& pattern, std::string* error);

// Calls `found(start, end)` for every non-overlapping match, left to right; an empty match right
// where the previous one ended is skipped, as Rust's find_iter does. Stops early when `found`
// returns false. Linear in the input: RE2 never backtracks.
template <class Found>
void capture__for_each_match(const RE2& re, const uint8_t* data, size_t len, Found&& found) {
  const char* text = reinterpret_cast<const char*>(data);
  re2::StringPiece input(text, len), m;
  size_t pos = 0, last_end = SIZE_MAX;
  while (pos <= len && re.Match(input, pos, len, RE2::UNANCHORED, &m, 1)) {
    size_t start = static_cast<size_t>(m.data() - text), end = start + m.size();
    if (m.empty() && end == last_end) {
      pos = start + 1;
      continue;
    }
    if (!found(start, end)) return;
    last_end = end;
    pos = m.empty() ? end + 1 : end;
  }
}

}  // namespace qk::filters
