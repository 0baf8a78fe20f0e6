# shellcheck shell=bash disable=SC2034 # globals set here are read by the scripts sourcing this file
# Shared helpers for tests/e2e/*.sh (sourced, not run: CTest only registers
# tests/e2e/*.sh and *.py, so this file under lib/ is not a test of its own).
#
# An isolated berthd: its own data-root, exec-root, socket, pidfile and cgroup
# parent, all under T=/tmp/berth-e2e-<name>.XXXXXX; nothing under /var/lib/berth,
# /run/berth or the default socket is touched. The caller sources this file
# (which sources tests/interop/lib/common.bash for ok/not_ok/capture/...), then:
#
#   e2e_init NAME              make T, set CG_NAME, SOCK, DOCKER_HOST, the EXIT trap
#   start_berthd [flags...]    start berthd, wait for READY on --notify-fd (fails the
#                              script with berthd's ERROR line or log tail otherwise)
#   stop_berthd                SIGTERM, wait (KILL after 20 s); BERTHD_PID=''
#   kill9_berthd               SIGKILL berthd (live-restore tests)
#   import_busybox [NAME]      make-rootfs.sh + docker import (default busybox:latest)
#   docker ARGS...             the real docker CLI under capture (OUT, ERR, RC)
#   wait_for_log NAME LINE     waits (30 s at most) until `docker logs NAME` has LINE: a
#                              container says it is ready (e.g. its trap is set) this way
#
# The EXIT trap (e2e_cleanup) removes every container through berthd (docker rm -f),
# stops berthd, kills the shims left (their command lines name $T), kills and removes
# the cgroups under $CG_NAME, unmounts everything under $T and deletes it.
E2E_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../interop/lib/common.bash
source "$E2E_LIB/../../interop/lib/common.bash"

DOCKER_CLI=${E2E_DOCKER_CLI:-/usr/local/bin/docker}   # the real CLI 28, not Debian's 20.10
BERTHD=${BERTHD:-}
BERTHD_PID='' BERTHD_RC='' T='' CG_NAME='' SOCK=''
BUDGET=${E2E_BUDGET:-170}

# find_berthd: $BERTHD, else the lead's or any build tree's berthd under the checkout.
find_berthd() {
  local root c
  [[ -n "$BERTHD" ]] && { [[ -x "$BERTHD" ]] || die "BERTHD=$BERTHD is not an executable"; return 0; }
  root=$(cd "$E2E_LIB/../../.." && pwd)
  for c in "$root"/build-lead/cmd/berthd/berthd "$root"/build/cmd/berthd/berthd "$root"/build-e2e/cmd/berthd/berthd; do
    [[ -x "$c" ]] && { BERTHD=$c; return 0; }
  done
  die "prerequisite missing: berthd (set BERTHD=/path/to/berthd or build the berthd target)"
}

e2e_init() {
  local name=$1
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  find_berthd
  need_cmd "$DOCKER_CLI" timeout tar mkfifo "$MAKE_ROOTFS"
  T=$(mktemp -d "/tmp/berth-e2e-$name.XXXXXX")
  CG_NAME="berth-e2e-$$"
  # Each test daemon has its own default bridge and nftables table, so
  # several daemons (and a system one) never share them.
  BRIDGE="bte$$"
  NFT_TABLE="berth_e2e_$$"
  SOCK="$T/berthd.sock"
  mkdir -p "$T/data" "$T/exec" "$T/cli"
  echo "{}" >"$T/daemon.json"   # never /etc/berth/daemon.json
  export DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$T/cli"
  unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
  echo "# berthd $BERTHD, temp root $T, cgroup parent $CG_NAME"
}

docker() { capture "$DOCKER_CLI" "$@"; }

wait_for_log() {
  local deadline=$((SECONDS + 30))
  while :; do
    docker logs "$1"
    grep -qxF -- "$2" <<<"$OUT" && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# start_berthd [extra flags]: returns once berthd wrote READY on the notify fd.
start_berthd() {
  local line=''
  rm -f "$T/notify"; mkfifo "$T/notify"
  "$BERTHD" --data-root "$T/data" --exec-root "$T/exec" -H "unix://$SOCK" \
    --pidfile "$T/berthd.pid" --config-file "$T/daemon.json" --cgroup-parent "$CG_NAME" \
    --bridge "$BRIDGE" --firewall-table "$NFT_TABLE" \
    ${BERTH_SHIM:+--shim-path "$BERTH_SHIM"} -D --notify-fd 3 "$@" 3>"$T/notify" >>"$T/berthd.log" 2>&1 &
  BERTHD_PID=$!
  # The writer end closes when berthd exits without a word: read then sees EOF.
  read -r -t 30 line <"$T/notify" || true
  rm -f "$T/notify"
  [[ "$line" == READY ]] || die "berthd did not start (notify: '${line:-nothing}'): $(tail -n 5 "$T/berthd.log" | tr '\n' '|')"
}

stop_berthd() {
  local pid=$BERTHD_PID
  BERTHD_PID=''
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "# berthd ($pid) ignored SIGTERM for 20 s, killing it" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  BERTHD_RC=0
  wait "$pid" 2>/dev/null || BERTHD_RC=$?
  return 0
}

kill9_berthd() {
  local pid=$BERTHD_PID
  BERTHD_PID=''
  [[ -n "$pid" ]] || return 0
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
  return 0
}

import_busybox() {
  local name=${1:-busybox:latest}
  if [[ ! -f "$T/busybox.tar" ]]; then
    "$MAKE_ROOTFS" "$T/rootfs" >/dev/null || die "make-rootfs.sh failed"
    tar -C "$T/rootfs" -cf "$T/busybox.tar" . || die "tar of the rootfs failed"
  fi
  docker import "$T/busybox.tar" "$name"
  [[ $RC -eq 0 && $OUT == sha256:* ]] || die "docker import failed: $(why)"
}

# host_cgroup CONTROLLER ID: the container's cgroup dir on this (v1) host.
host_cgroup() { printf '%s/%s/%s\n' "$(cgroup_mounts "$1")" "$CG_NAME" "$2"; }

# The daemon's bridges (default and user networks: br-<12 hex> made by this
# daemon are found through its network records) and its nftables table.
remove_e2e_networks() {
  local b
  for b in "$BRIDGE" $(sqlite3_bridges); do
    [[ -n "$b" ]] && ip link show "$b" >/dev/null 2>&1 && ip link del "$b" 2>/dev/null
  done
  nft list table ip "$NFT_TABLE" >/dev/null 2>&1 && nft delete table ip "$NFT_TABLE"
  return 0
}

sqlite3_bridges() {
  [[ -f "$T/data/metadata.db" ]] || return 0
  python3 - "$T/data/metadata.db" <<'PY' 2>/dev/null
import json, sqlite3, sys
for (doc,) in sqlite3.connect(sys.argv[1]).execute("SELECT doc FROM networks"):
    b = json.loads(doc).get("Berth", {}).get("Bridge", "")
    if b: print(b)
PY
}

e2e_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if ((rc != 0 || FAILS > 0)) && [[ -f "$T/berthd.log" ]]; then
    echo "# last berthd log lines:"; tail -n 20 "$T/berthd.log" | sed 's/^/#   /'
  fi
  if [[ -n "$BERTHD_PID" ]] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    local all=()
    mapfile -t all < <(timeout 10 "$DOCKER_CLI" ps -aq 2>/dev/null)
    ((${#all[@]})) && timeout 30 "$DOCKER_CLI" rm -f "${all[@]}" >/dev/null 2>&1
  fi
  stop_berthd
  [[ -n "$T" ]] && kill_procs_under "$T"    # shims: their --state-dir is under $T/exec
  remove_cgroups "$CG_NAME"                 # container processes left, then the cgroups
  remove_e2e_networks
  [[ -n "$T" ]] && finish_cleanup "$rc" "${E2E_LABEL:-e2e}"
  exit "$rc"
}
