# shellcheck shell=bash
# A berthd for a bench that compares it with dockerd in one run (sourced after
# tests/interop/lib/common.bash, which has stop_pid and remove_cgroups). Needs
# T, BERTH_SOCK and BERTH_BUILD; everything it makes is named after NAME:
# data under $T/berth, cgroup parent berth-NAME-berth-<pid>, its own bridge
# and nftables table, so it never meets the host's or another bench's.
#
#   start_bench_berthd NAME BRIDGE TABLE [berthd flags...]   sets BERTHD_PID; waits for READY
#   stop_bench_berthd NAME BRIDGE TABLE                       for the EXIT trap

start_bench_berthd() {
  local name=$1 bridge=$2 table=$3 ready=''
  shift 3
  echo '{}' >"$T/berthd.json"
  mkfifo "$T/berthd.notify"
  "$BERTH_BUILD/cmd/berthd/berthd" --data-root "$T/berth" --exec-root "$T/berth.exec" -H "unix://$BERTH_SOCK" \
    --pidfile "$T/berthd.pid" --config-file "$T/berthd.json" --cgroup-parent "berth-$name-berth-$$" \
    --bridge "$bridge" --firewall-table "$table" --cri=false --notify-fd 3 "$@" 3>"$T/berthd.notify" \
    >"$T/berthd.log" 2>&1 &
  BERTHD_PID=$!
  read -r ready <"$T/berthd.notify" || true
  [[ $ready == READY ]] || { echo "berthd did not start: $ready (log: $T/berthd.log)" >&2; exit 1; }
}

stop_bench_berthd() {
  local name=$1 bridge=$2 table=$3
  stop_pid "$BERTHD_PID" berthd
  ip link del "$bridge" 2>/dev/null
  nft delete table ip "$table" 2>/dev/null
  remove_cgroups "berth-$name-berth-$$"
}
