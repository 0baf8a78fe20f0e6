// `berth compose ls` and `version`: what needs no compose file. The projects
// are found by their containers' labels, as Compose v2 finds them.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli {

struct ComposeStack {
  std::string name;
  std::string status;        // Compose v2's "exited(1), running(2)": each state's count, states sorted
  std::string config_files;  // the containers' com.docker.compose.project.config_files, distinct, ","-joined
};

// The projects in a GET /containers/json answer, sorted by name; containers
// without the project label are skipped. `name_filters` (--filter name=RE):
// a project is kept when its name equals one or one (a regular expression)
// matches part of it; none keeps all.
std::vector<ComposeStack> compose_stacks(const Json& containers, const std::vector<std::string>& name_filters);

// `ls` output: "table" (Compose v2's columns), "json" (one line) or -q (names).
Result<std::string> render_compose_stacks(const std::vector<ComposeStack>& stacks, const std::string& format, bool quiet);

}  // namespace berth::cli
