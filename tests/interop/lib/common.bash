# Shared helpers for tests/interop/*.sh (sourced, not run: CTest only registers
# tests/interop/*.sh, so this file under lib/ is not a test of its own).
#
# A script sets T (its private temp root, from mktemp) first, then uses:
#   ok / not_ok / check / expect_eq / expect_match   TAP-like lines, failures counted in FAILS
#   capture CMD...                           runs CMD under a timeout, sets OUT, ERR, RC
#   need_cmd NAME...                         fails the script when a prerequisite is missing
#   trace_runtime REAL                       prints the path to use as the runtime (a logging
#                                            wrapper when INTEROP_TRACE=1, else REAL)
#   kill_procs_under DIR                     kills processes whose command line names DIR
#   unmount_under DIR                        lazily unmounts everything at or below DIR
#   remove_cgroups NAME                      kills what is left in /NAME in every hierarchy
#                                            and removes those cgroups
#   remember_absent DIR... / remove_created_dirs   global dirs a peer creates on its own

# The project's busybox rootfs fixture: make-rootfs.sh DIR.
MAKE_ROOTFS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../fixtures" && pwd)/make-rootfs.sh

FAILS=0
CMD_TIMEOUT=${INTEROP_CMD_TIMEOUT:-30}   # per peer command
BUDGET=${INTEROP_BUDGET:-240}            # whole script: past it, remaining commands are not run

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
die()    { echo "not ok - $*"; exit 1; }       # a failure the remaining checks cannot survive

# capture CMD... : OUT=stdout, ERR=stderr, RC=exit status; never trips `set -e`.
capture() {
  local errf="$T/.capture-err" start=$SECONDS
  OUT='' ERR='' RC=0
  if ((SECONDS > BUDGET)); then
    RC=124 ERR="not run: the script's time budget (${BUDGET}s) is spent"
    return 0
  fi
  OUT=$(timeout --kill-after=5 "$CMD_TIMEOUT" "$@" 2>"$errf" | tr -d '\0') || RC=$?
  ERR=$(tr -d '\0' <"$errf" 2>/dev/null || true)
  if ((SECONDS - start >= CMD_TIMEOUT && (RC == 124 || RC == 137))); then
    ERR="timed out after ${CMD_TIMEOUT}s: $*${ERR:+; stderr: $ERR}"
  fi
  return 0
}

# why: a one-line description of the last capture, for "not ok" lines.
why() {
  local s="rc=$RC"
  [[ -n "$OUT" ]] && s+="; stdout: $(printf '%s' "$OUT" | tr '\n' '|' | cut -c1-400)"
  [[ -n "$ERR" ]] && s+="; stderr: $(printf '%s' "$ERR" | tr '\n' '|' | cut -c1-600)"
  printf '%s' "$s"
}

# check NAME REASON CMD...: ok when CMD succeeds, else "not ok - NAME: REASON".
check() {
  local name=$1 reason=$2
  shift 2
  if "$@"; then ok "$name"; else not_ok "$name: $reason"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
  if [[ "$3" == "$2" ]]; then ok "$1"; else not_ok "$1: expected '$2', got '$3' ($(why))"; fi
}

# expect_match NAME REGEX ACTUAL
expect_match() {
  if [[ "$3" =~ $2 ]]; then ok "$1"; else not_ok "$1: expected /$2/, got '$3' ($(why))"; fi
}

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || die "prerequisite missing: $c (install it with scripts/setup.sh)"
  done
}

# trace_runtime REAL: with INTEROP_TRACE=1, write $T/trace/<basename REAL>, a wrapper that
# appends "caller: argv" to $T/runtime-calls.log and execs REAL. It keeps REAL's basename
# because the peers decide some flags from the runtime's name (podman: --log-format=json).
trace_runtime() {
  local real=$1
  if [[ "${INTEROP_TRACE:-0}" != 1 ]]; then printf '%s\n' "$real"; return; fi
  mkdir -p "$T/trace"
  local w
  w="$T/trace/$(basename "$real")"
  cat >"$w" <<EOF
#!/bin/sh
printf '%s: %s\n' "\$(cat /proc/\$PPID/comm 2>/dev/null)" "\$*" >>"$T/runtime-calls.log"
exec "$real" "\$@"
EOF
  chmod 755 "$w"
  printf '%s\n' "$w"
}

print_trace() {
  [[ "${INTEROP_TRACE:-0}" == 1 && -f "$T/runtime-calls.log" ]] || return 0
  echo "# runtime calls (caller: argv):"
  sed 's/^/#   /' "$T/runtime-calls.log"
  if [[ -n "${INTEROP_TRACE_OUT:-}" ]]; then cp "$T/runtime-calls.log" "$INTEROP_TRACE_OUT"; fi
}

# PIDs whose command line mentions DIR (daemons, shims, conmon, podman cleanup processes
# started for this test's temp root; nothing else can name it).
pids_under() {
  local dir=$1 p c
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $p == "$$" || $p == "$BASHPID" ]] && continue
    c=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) || continue
    [[ $c == *"$dir"* ]] && echo "$p"
  done
  return 0
}

# kill_procs_under DIR: TERM, a short grace period, then KILL, by PID.
kill_procs_under() {
  local dir=$1 pids i
  pids=$(pids_under "$dir")
  [[ -z "$pids" ]] && return 0
  # shellcheck disable=SC2086 # a list of PIDs
  kill -TERM $pids 2>/dev/null || true
  for i in $(seq 50); do
    pids=$(pids_under "$dir"); [[ -z "$pids" ]] && return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  for i in $(seq 50); do [[ -z "$(pids_under "$dir")" ]] && return 0; sleep 0.1; done
}

# unmount_under DIR: every mount at or below DIR, deepest/latest first, lazily.
unmount_under() {
  local dir=$1 m i
  for i in 1 2 3; do
    local mounts
    mounts=$(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | tac)
    [[ -z "$mounts" ]] && return 0
    while read -r m; do
      m=$(printf '%b' "${m//\\/\\0}")   # mountinfo escapes spaces etc. as \040
      umount -l "$m" 2>/dev/null || umount -f -l "$m" 2>/dev/null || true
    done <<<"$mounts"
  done
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print "  left mounted: " $5 }' /proc/self/mountinfo >&2
}

# cgroup_mounts [CONTROLLER]: cgroup mount points of this mount namespace (the v1
# hierarchies and the v2 one), or the v1 hierarchy holding CONTROLLER. mountinfo has a
# variable number of optional fields before " - FSTYPE SOURCE SUPEROPTS".
cgroup_mounts() {
  awk -v want="${1:-}" '{
    for (i = 7; i <= NF; i++) if ($i == "-") break
    fs = $(i + 1); opts = "," $(i + 3) ","
    if (want == "" && (fs == "cgroup" || fs == "cgroup2")) print $5
    else if (want != "" && fs == "cgroup" && index(opts, "," want ",")) { print $5; exit }
  }' /proc/self/mountinfo
}

# remove_cgroups NAME: the cgroup trees /NAME (created for this test's containers).
remove_cgroups() {
  local name=$1 mnt d f i left
  [[ -n "$name" ]] || return 0
  for mnt in $(cgroup_mounts ""); do
    d="$mnt/$name"
    [[ -d "$d" ]] || continue
    # Thaw anything a failed pause left frozen, then kill what is left (container processes).
    find "$d" -name freezer.state 2>/dev/null | while read -r f; do echo THAWED >"$f" 2>/dev/null || true; done
    [[ -f "$d/cgroup.freeze" ]] && find "$d" -name cgroup.freeze 2>/dev/null | while read -r f; do echo 0 >"$f" 2>/dev/null || true; done
    # shellcheck disable=SC2038 # xargs reads PIDs here, not file names
    find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  done
  for i in $(seq 30); do
    left=
    for mnt in $(cgroup_mounts ""); do
      d="$mnt/$name"
      [[ -d "$d" ]] || continue
      find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
      [[ -d "$d" ]] && left+=" $d"
    done
    [[ -z "$left" ]] && return 0
    sleep 0.1
  done
  echo "  cgroups left behind:$left" >&2
}

# Global directories a peer creates and cannot be told to put elsewhere (a runtime's
# default --root, containerd's shim socket dir, ...). remember_absent notes the ones that
# do not exist yet, parents first; remove_created_dirs removes them again, children
# first, and only when empty (rmdir), so nobody else's state is touched.
CREATED_DIRS=()
remember_absent() {
  local d
  for d in "$@"; do [[ -e "$d" ]] || CREATED_DIRS+=("$d"); done
}
remove_created_dirs() {
  local i
  for ((i = ${#CREATED_DIRS[@]} - 1; i >= 0; i--)); do rmdir "${CREATED_DIRS[i]}" 2>/dev/null || true; done
}

# finish_cleanup RC LABEL: the last steps of every interop test's EXIT trap —
# unmount and delete the temp root, remove machine-wide dirs the test created,
# print the summary and exit (non-zero when a check failed).
finish_cleanup() {
  local rc=$1 label=$2
  unmount_under "$T"
  rm -rf "$T" || echo "cleanup: could not remove $T" >&2
  remove_created_dirs
  if ((FAILS > 0)); then
    echo "# $FAILS check(s) failed"; rc=1
  elif ((rc != 0)); then
    echo "# aborted (exit status $rc)"
  else
    echo "# all $label checks passed"
  fi
  exit "$rc"
}
