#include "engine/ps_table.h"

#include <algorithm>
#include <regex>

#include "base/strings.h"

namespace berth::engine {
namespace {

// Fields split on ASCII whitespace only (ps pads with spaces; a CMD may hold others).
std::vector<std::string> fields_ascii(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  auto space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f'; };
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !space(line[i])) ++i;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

void add_row(model::ProcessTable& table, std::vector<std::string> fields) {
  // Overhanging fields join the last column.
  size_t n = table.titles.size();
  if (fields.size() > n) {
    std::vector<std::string> rest(fields.begin() + static_cast<long>(n) - 1, fields.end());
    fields.resize(n - 1);
    fields.push_back(join(rest, " "));
  }
  table.processes.push_back(std::move(fields));
}

}  // namespace

Result<std::vector<std::string>> ps_arguments(const std::string& ps_args) {
  std::string args = ps_args.empty() ? "-ef" : ps_args;
  static const std::regex renamed(R"(\s+([^\s]*)=\s*(PID[^\s]*))");
  for (std::sregex_iterator it(args.begin(), args.end(), renamed), end; it != end; ++it)
    if ((*it)[1] != "pid")
      return fail(Errc::InvalidArgument, "specifying \"" + (*it)[1].str() + "=" + (*it)[2].str() + "\" is not allowed");
  return split(args, ' ', true);
}

Result<model::ProcessTable> parse_ps_output(std::string_view output, const std::vector<pid_t>& pids) {
  model::ProcessTable table;
  auto lines = split(output, '\n');
  if (lines.empty()) return fail(Errc::Internal, "ps printed nothing");
  table.titles = fields_ascii(lines[0]);
  auto pid_col = std::find(table.titles.begin(), table.titles.end(), "PID");
  if (pid_col == table.titles.end()) return fail(Errc::InvalidArgument, "Couldn't find PID field in ps output");
  size_t pid_index = static_cast<size_t>(pid_col - table.titles.begin());
  bool in_container = false;  // the last process line was one of the container's
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto fields = fields_ascii(lines[i]);
    if (fields.size() <= pid_index) continue;
    if (fields[pid_index] == "-") {  // a thread line (ps m) of the process above
      if (in_container) add_row(table, std::move(fields));
      continue;
    }
    auto pid = parse_int(fields[pid_index]);
    if (!pid) return fail(Errc::Internal, "Unexpected pid '" + fields[pid_index] + "' in ps output");
    in_container = std::find(pids.begin(), pids.end(), static_cast<pid_t>(*pid)) != pids.end();
    if (in_container) add_row(table, std::move(fields));
  }
  return table;
}

}  // namespace berth::engine
