#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2016 # variables read by the sourced library; single-quoted eval strings
# e2e.daemons_one_host: many berthds on one host and one bridge.
#
# The defect: a berthd started on a fresh data root while its bridge already existed
# added the next free /16 of the default pools to that bridge (and never removed it), so
# after ~30 such starts no pool was left and berthd refused to start; two live daemons
# also shared a bridge and an nftables table without noticing.
#
#  1. 40 berthds in a row (E2E_DAEMON_RUNS), each on a FRESH data root with the same bridge
#     (bte<pid>) and table: each starts, its `bridge` network takes the subnet the bridge
#     already has, a container on it gets an address there and reaches the gateway, and the
#     bridge carries exactly one IPv4 address after every start, run and stop (half the
#     daemons stop with SIGTERM, half are killed with SIGKILL).
#  2. Side by side: while one holds the bridge and the table, a second daemon given the same
#     bridge, or the same table, refuses to start and names the holder (pid, data root), and
#     touches nothing; a daemon with its own bridge and table runs alongside, but may not make
#     a network on a bridge the other holds. Once the holder is killed (-9), the next daemon
#     gets both.
#
# No sleeps: berthd says READY (or ERROR ...) on --notify-fd, and stops are waited for.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/daemons_one_host.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="daemons on one host e2e"
RUNS=${E2E_DAEMON_RUNS:-40}
CLAIMS=/run/berth-locks   # net::kClaimDir
need_cmd ip nft
e2e_init daemons_one_host
BUDGET=${E2E_BUDGET:-600}   # the lib's 170 s is for one daemon; this runs 40 (capture stops past it)
# The berth CLI in the loop: the docker CLI's start-up would be most of an iteration.
BERTH=${BERTH:-$(dirname "$BERTHD")/../berth/berth}
[[ -x $BERTH ]] || die "prerequisite missing: berth (set BERTH=/path/to/berth or build the berth target)"
berth() { capture "$BERTH" "$@"; }

EXTRA_PIDS=()
OTHER_BRIDGES=("${BRIDGE}b" "${BRIDGE}d" "${BRIDGE}n")
OTHER_TABLES=("${NFT_TABLE}_b" "${NFT_TABLE}_d")
extra_cleanup() {
  local p b t
  stop_berthd
  for p in "${EXTRA_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  for b in "${OTHER_BRIDGES[@]}"; do ip link del "$b" 2>/dev/null; done
  for t in "${OTHER_TABLES[@]}"; do nft delete table ip "$t" 2>/dev/null; done
  # What killed daemons left (a clean exit removes its own claim files).
  rm -f "$CLAIMS"/*-bridge-"$BRIDGE"*.lock "$CLAIMS"/*-nftables-ip-"$NFT_TABLE"*.lock
  return 0
}
on_exit() {
  local rc=$?
  set +e
  extra_cleanup
  (exit "$rc")
  e2e_cleanup   # reads $? and exits with it
}
trap on_exit EXIT

# launch DIR [flags...]: a berthd with its own data root DIR/data, exec root DIR/exec and
# socket DIR/sock. Returns once it said READY or ERROR (NOTIFY) or exited without a word;
# LPID is its pid, START_MS how long that took.
launch() {
  local dir=$1 t0
  shift
  mkdir -p "$dir"
  rm -f "$T/notify"
  mkfifo "$T/notify"
  t0=$(date +%s%N)
  "$BERTHD" --data-root "$dir/data" --exec-root "$dir/exec" -H "unix://$dir/sock" \
    --pidfile "$dir/berthd.pid" --config-file "$T/daemon.json" --cgroup-parent "$CG_NAME" \
    ${BERTH_SHIM:+--shim-path "$BERTH_SHIM"} --notify-fd 3 "$@" 3>"$T/notify" >>"$dir/berthd.log" 2>&1 &
  LPID=$!
  NOTIFY=''
  read -r -t 30 NOTIFY <"$T/notify" || true
  START_MS=$((($(date +%s%N) - t0) / 1000000))
  rm -f "$T/notify"
}
# finish PID: the daemon has exited (it was refused) or is made to; its exit status in FRC.
finish() {
  FRC=0
  kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null || FRC=$?
}
stop_term() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; }
stop_kill() { kill -KILL "$1"; wait "$1" 2>/dev/null || true; }
# bridge_addrs NAME: its IPv4 addresses (CIDR), one per line.
bridge_addrs() { ip -4 -o addr show dev "$1" 2>/dev/null | awk '{print $4}'; }
# in_subnet ADDR/PREFIX NET/PREFIX: the interface address lies in that subnet (with its prefix).
ip4() { local IFS=. a b c d; read -r a b c d <<<"$1"; echo $(((a << 24) | (b << 16) | (c << 8) | d)); }
in_subnet() {
  local p=${2#*/} mask a n
  [[ ${1#*/} == "$p" ]] || return 1
  mask=$(((0xffffffff << (32 - p)) & 0xffffffff))
  a=$(ip4 "${1%/*}") n=$(ip4 "${2%/*}")
  (((a & mask) == n))
}
link_absent() { ! ip link show "$1" >/dev/null 2>&1; }
table_absent() { ! nft list table ip "$1" >/dev/null 2>&1; }

# --- 1. 40 daemons in a row, fresh data roots, one bridge --------------------------------
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null || die "make-rootfs.sh failed"
tar -C "$T/rootfs" -cf "$T/busybox.tar" . || die "tar of the rootfs failed"
link_absent "$BRIDGE" || die "bridge $BRIDGE exists before the test"

SUBNET='' GW='' bad_addrs=0 bad_subnet=0 bad_run=0 starts=()
t_all=$(date +%s%N)
for i in $(seq 1 "$RUNS"); do
  launch "$T/r$i" --bridge "$BRIDGE" --firewall-table "$NFT_TABLE"
  [[ $NOTIFY == READY ]] ||
    die "berthd #$i (fresh data root, bridge $BRIDGE there: $(bridge_addrs "$BRIDGE" | tr '\n' ' ')) did not start: '${NOTIFY:-nothing}'"
  BERTHD_PID=$LPID
  starts+=("$START_MS")
  export DOCKER_HOST="unix://$T/r$i/sock"
  berth network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' bridge
  read -r subnet gw <<<"$OUT"
  [[ -n $gw ]] || die "#$i: network inspect bridge: $(why)"
  if [[ -z $SUBNET ]]; then
    SUBNET=$subnet GW=$gw
    echo "# the first daemon made $BRIDGE with $GW in $SUBNET"
  elif [[ "$subnet $gw" != "$SUBNET $GW" ]]; then
    not_ok "#$i: the bridge network is $subnet (gateway $gw), not the bridge's $SUBNET ($GW)"
    bad_subnet=$((bad_subnet + 1))
  fi
  want="$GW/${SUBNET#*/}"
  [[ "$(bridge_addrs "$BRIDGE")" == "$want" ]] || {
    bad_addrs=$((bad_addrs + 1))
    not_ok "#$i started: $BRIDGE carries '$(bridge_addrs "$BRIDGE" | tr '\n' ' ')', not $want alone"
  }
  berth import "$T/busybox.tar" busybox:latest
  [[ $RC -eq 0 ]] || die "#$i: berth import failed: $(why)"
  berth run --rm busybox:latest sh -c \
    "ip -4 -o addr show dev eth0 | awk '{print \$4}'; ping -c 1 -W 2 $GW >/dev/null && echo gateway-ok"
  addr=${OUT%%$'\n'*}
  if [[ $RC -ne 0 || $OUT != *gateway-ok ]] || ! in_subnet "$addr" "$SUBNET"; then
    bad_run=$((bad_run + 1))
    not_ok "#$i: a container on the default bridge: $(why)"
  fi
  [[ "$(bridge_addrs "$BRIDGE")" == "$want" ]] || {
    bad_addrs=$((bad_addrs + 1))
    not_ok "#$i after a container: $BRIDGE carries '$(bridge_addrs "$BRIDGE" | tr '\n' ' ')'"
  }
  BERTHD_PID=''
  if ((i % 2)); then stop_term "$LPID"; else stop_kill "$LPID"; fi
  [[ "$(bridge_addrs "$BRIDGE")" == "$want" ]] || {
    bad_addrs=$((bad_addrs + 1))
    not_ok "#$i stopped: $BRIDGE carries '$(bridge_addrs "$BRIDGE" | tr '\n' ' ')'"
  }
done
ms_all=$((($(date +%s%N) - t_all) / 1000000))
read -r s_min s_avg s_max < <(printf '%s\n' "${starts[@]}" | sort -n |
  awk '{a[NR]=$1; s+=$1} END {printf "%d %d %d\n", a[1], s/NR, a[NR]}')
((bad_subnet == 0)) && ok "$RUNS daemons on fresh data roots: each took the bridge's $SUBNET (gateway $GW)"
((bad_addrs == 0)) && ok "$BRIDGE carried exactly one IPv4 address ($GW/${SUBNET#*/}) after every start, run and stop"
((bad_run == 0)) && ok "each ran a container on the default bridge, addressed in $SUBNET, reaching $GW"
echo "# $RUNS daemons (start, import, run, stop): ${ms_all} ms; start to READY: min ${s_min} avg ${s_avg} max ${s_max} ms"

# --- 2. two daemons at once -------------------------------------------------------------
launch "$T/a" --bridge "$BRIDGE" --firewall-table "$NFT_TABLE"
[[ $NOTIFY == READY ]] || die "daemon A did not start: '${NOTIFY:-nothing}'"
BERTHD_PID=$LPID A=$LPID
export DOCKER_HOST="unix://$T/a/sock"

launch "$T/b" --bridge "$BRIDGE" --firewall-table "${NFT_TABLE}_b"
EXTRA_PIDS+=("$LPID")
finish "$LPID"
expect_match "same bridge: the second daemon is refused, naming the bridge and the holder" \
  "^ERROR .*bridge $BRIDGE is in use by another berthd \\(pid $A, data root $T/a/data\\)" "$NOTIFY"
check "same bridge: the refused daemon exits non-zero" "exit status $FRC" [ "$FRC" -ne 0 ]
check "same bridge: the refused daemon made no table" "${NFT_TABLE}_b exists" table_absent "${NFT_TABLE}_b"
expect_eq "same bridge: $BRIDGE still carries A's address alone" "$GW/${SUBNET#*/}" "$(bridge_addrs "$BRIDGE")"

launch "$T/c" --bridge "${BRIDGE}b" --firewall-table "$NFT_TABLE"
EXTRA_PIDS+=("$LPID")
finish "$LPID"
expect_match "same table: the second daemon is refused, naming the table and the holder" \
  "^ERROR .*nftables table ip $NFT_TABLE is in use by another berthd \\(pid $A, data root $T/a/data\\)" "$NOTIFY"
check "same table: the refused daemon made no bridge" "${BRIDGE}b exists" link_absent "${BRIDGE}b"

launch "$T/d" --bridge "${BRIDGE}d" --firewall-table "${NFT_TABLE}_d"
EXTRA_PIDS+=("$LPID")
D=$LPID
expect_eq "a daemon with its own bridge and table runs alongside" READY "$NOTIFY"
docker network create -o "com.docker.network.bridge.name=${BRIDGE}n" --subnet 10.211.0.0/24 netA
expect_eq "A makes a network on bridge ${BRIDGE}n" 0 "$RC"
DOCKER_HOST="unix://$T/d/sock" docker network create -o "com.docker.network.bridge.name=${BRIDGE}n" netD
check "D may not make a network on A's bridge ${BRIDGE}n" "$(why)" \
  eval '[[ $RC -ne 0 && $ERR == *"bridge ${BRIDGE}n is in use by another berthd (pid $A, data root $T/a/data)"* ]]'
DOCKER_HOST="unix://$T/d/sock" docker network create -o "com.docker.network.bridge.name=$BRIDGE" netD
check "D may not make a network on A's default bridge $BRIDGE" "$(why)" \
  eval '[[ $RC -ne 0 && $ERR == *"bridge $BRIDGE is in use by another berthd (pid $A"* ]]'
expect_eq "A's bridges keep their addresses alone" "$GW/${SUBNET#*/} 10.211.0.1/24" \
  "$(bridge_addrs "$BRIDGE") $(bridge_addrs "${BRIDGE}n")"
stop_term "$D"

# A dies without cleaning up: its claims go with it.
BERTHD_PID=''
stop_kill "$A"
launch "$T/b" --bridge "$BRIDGE" --firewall-table "$NFT_TABLE"
EXTRA_PIDS+=("$LPID")
expect_eq "after A is killed (-9), a daemon with its bridge and table starts" READY "$NOTIFY"
expect_eq "... and the bridge still carries one address" "$GW/${SUBNET#*/}" "$(bridge_addrs "$BRIDGE")"
stop_term "$LPID"
# A's data root still has netA on bridge ${BRIDGE}n: remove what it made.
ip link del "${BRIDGE}n" 2>/dev/null || true
echo "# took $SECONDS s"
