// Unicode classes of non-ASCII runes as Go's unicode and strconv packages
// see them (generated tables: scripts/gen_unicode_tables.py).
#pragma once

namespace berth::build::gotext {

bool unicode_letter(char32_t r);     // category L
bool unicode_digit(char32_t r);      // category Nd
bool unicode_printable(char32_t r);  // L, M, N, P, S

}  // namespace berth::build::gotext
