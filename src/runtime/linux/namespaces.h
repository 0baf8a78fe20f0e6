// Namespace kinds of the OCI spec and their clone flags.
#pragma once

#include <string>

namespace berth::runtime {

// "network" -> CLONE_NEWNET, ...; 0 for an unknown type.
int namespace_clone_flag(const std::string& type);
// Name of the namespace file under /proc/PID/ns ("network" -> "net").
const char* namespace_proc_name(const std::string& type);
// Order in which existing namespaces are joined: user first (it grants the
// capabilities needed for the rest), mount last but one, pid never by setns
// of the process itself (it only applies to children).
extern const char* const kJoinOrder[];
extern const int kJoinOrderSize;

}  // namespace berth::runtime
