// Namespace kinds of the OCI spec, their clone flags and /proc/PID/ns names.
#pragma once

#include <cstddef>
#include <string>

namespace berth::runtime {

// "network" -> CLONE_NEWNET, ...; 0 for an unknown type.
int namespace_clone_flag(const std::string& type);

struct NamespaceKind {
  const char* proc_name;  // file under /proc/PID/ns
  int clone_flag;
};
// The order in which a process joins another's namespaces: user first (it
// grants the capabilities the others need), mount last (it changes the root).
// pid and time only apply to the joiner's children.
extern const NamespaceKind kJoinOrder[];
extern const size_t kJoinOrderSize;

}  // namespace berth::runtime
