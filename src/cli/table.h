// Output of lists the way docker-cli prints them: Go's text/tabwriter
// (minwidth 10, padding 3, spaces) under a header made from the same template,
// and Go's json.Indent for `inspect`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

// Go's tabwriter.NewWriter(out, minwidth, tabwidth=1, padding, ' ', 0):
// '\t' ends a cell; cells of a column, in consecutive lines that have it,
// are padded to the widest + padding (at least minwidth). The text after
// the last tab of a line is not aligned.
std::string tabwrite(std::string_view text, size_t minwidth = 10, size_t padding = 3);

// --format for a list: "" or "table" -> default_table; "json" -> {{json .}};
// "table TEMPLATE" -> a header (the template run on `header` with docker's
// header functions) and aligned rows; anything else: one line per row.
// "\t" and "\n" written literally in the flag mean tab and newline.
Result<std::string> render_list(std::string_view format, std::string_view default_table, const Json& header,
                                const std::vector<Json>& rows);

// Go's json.Indent(dst, src, "", "    "): re-indents JSON text without
// re-encoding it (the daemon's escapes and number forms are kept).
std::string indent_json(std::string_view raw);

}  // namespace berth::cli
