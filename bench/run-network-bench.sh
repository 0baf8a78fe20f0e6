#!/usr/bin/env bash
# run-network-bench.sh: berth's bridge networking against Docker 20.10's, side by side in one
# run. A benchmark, not a test (not in CTest). Prints a markdown table of medians; writes nothing
# into the repository.
#
#   bench/run-network-bench.sh                         (as root; a few minutes)
#   N=5 ROUNDS=1 SIZE_MB=256 bench/run-network-bench.sh   (a quick try)
#
# Both engines run isolated under a temp root, each with a bridge of its own: berthd with
# --bridge btbberth0 (--bip 10.214.1.1/24) and its own nftables table; dockerd (containerd, runc;
# tests/interop/lib/docker.bash) with --bridge btbdock0 (created here, 10.214.0.1/24)
# --iptables=false, so Docker publishes ports with its userland proxy (docker-proxy), the
# comparison the issue asks for. User networks: berth 10.215.1.0/24 (bridge btbberth1), docker
# 10.215.0.0/24 (bridge btbdock1). Traffic stays on loopback and on the two engines' bridges.
#
# Measures:
#   run-none / run-bridge / run-user   `run --rm busybox /bin/true` with --network none, the
#       default bridge, the user network; interleaved (bench/lib/engine_timer.py seq), wall ms.
#   Throughput (MB/s = MiB/s), SIZE_MB per transfer. The receivers are containers running
#   `nc -l -p 80 -e dd of=/dev/null bs=65536 count=SIZE iflag=count_bytes,fullblock`: dd reads
#   exactly SIZE bytes and exits, closing the connection. The senders run
#   `nc ADDR PORT -e sh -c 'dd if=/dev/zero bs=65536 count=N && cat'`: 64 KiB writes, then cat
#   waits for the receiver's close, so a timing (date +%s%N around the sender) ends once the
#   receiver has read everything. All busybox (the host's busybox is the image's binary).
#   tput-published  host -> 127.0.0.1:PORT published by the container. berth: nftables DNAT;
#       docker: docker-proxy. proxy-cpu: docker-proxy's user+system CPU time per GiB.
#   tput-published-nc  the issue's command, `head -c | busybox nc 127.0.0.1 PORT` into
#       `nc -l -p 80 >/dev/null` (NC_MB per transfer). Busybox nc copies in 8 KiB chunks through
#       select; over a veth (here ~60-80 MB/s) it is the bottleneck, and docker-proxy, which
#       re-sends in 32 KiB writes, is then much faster than a direct path: this row measures the
#       sending tool more than the engine, the 64 KiB row above is the engine comparison.
#   tput-direct     host -> the container's address on the default bridge (reference: bridge +
#       veth, no port mapping).
#   tput-c2c        container -> container on the user network, by name (the engine's DNS).
#       The sender runs in the sender container's network and mount namespaces through nsenter
#       (its own nc, dd, resolv.conf), timed from the host: busybox date has no %N and `exec`
#       would add each engine's exec latency to the timing.
#   Every transfer is checked against the receiver's eth0 rx_bytes (/proc/PID/net/dev): one that
#   did not deliver its bytes is reported as failed, not timed. ROUNDS rounds, the engines
#   alternating which goes first; one untimed warm-up round.
# Environment:
#   BERTH_BUILD   build dir with cmd/{berthd,berth,berth-shim,berth-init} (default <repo>/build)
#   N             runs per case for the run --rm measures (default 30), WARMUP (default 3)
#   ROUNDS        transfers per path and engine (default 3); SIZE_MB (default 1024, MB = 2^20 B);
#                 NC_MB for the `head -c | nc` transfers (default 256)
#   DOCKER_CLI    default /usr/local/bin/docker
#   HIDE_UNIFIED  1/0 (default 1 on a hybrid cgroup host): as bench/run-engine-bench.sh, run in a
#                 private mount namespace with /sys/fs/cgroup/unified lazily unmounted, so the
#                 numbers compare with that bench's.
#   WAIT_LOAD     e.g. 1.5: first wait (up to WAIT_LOAD_MAX s, default 480) for the 1-min load
#                 average to drop below it
#   KEEP_RESULTS  a file to copy the raw results (MEASURE/ENGINE<TAB>value lines) to
#   KEEP_LOGS     a directory to copy berthd.log, dockerd.log, containerd.log to at exit
# Needs root, dockerd/containerd/runc/docker-proxy, busybox, nsenter, nft, ip, python3.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "run-network-bench.sh: must run as root" >&2; exit 1; }

hybrid=0
if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == tmpfs &&
      $(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]]; then
  hybrid=1
fi
HIDE_UNIFIED=${HIDE_UNIFIED:-$hybrid}
if [[ $HIDE_UNIFIED == 1 && -z ${NET_BENCH_IN_NS:-} ]]; then
  NET_BENCH_IN_NS=1 exec unshare --mount --propagation slave -- "$0" "$@"
fi
if [[ $HIDE_UNIFIED == 1 ]] && mountpoint -q /sys/fs/cgroup/unified; then
  umount -l /sys/fs/cgroup/unified
fi

BERTH_BUILD=${BERTH_BUILD:-$repo/build}
N=${N:-30}
WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-3}
SIZE_MB=${SIZE_MB:-1024}
NC_MB=${NC_MB:-256}
BYTES=$((SIZE_MB * 1048576))
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
TIMER=(python3 "$here/lib/engine_timer.py")
BUSYBOX=$(command -v busybox)

if [[ -n ${WAIT_LOAD:-} ]]; then
  for _ in $(seq $((${WAIT_LOAD_MAX:-480} / 10))); do
    awk -v max="$WAIT_LOAD" '{ exit !($1 < max) }' /proc/loadavg && break
    echo "# load average $(cut -d' ' -f1-3 /proc/loadavg), waiting for < $WAIT_LOAD" >&2
    sleep 10
  done
fi

source "$repo/tests/interop/lib/common.bash"
source "$repo/tests/interop/lib/docker.bash"
for c in dockerd containerd docker-proxy runc nsenter nft ip ss "$BUSYBOX" "$DOCKER_CLI" \
         "$MAKE_ROOTFS" "$BERTH_BUILD/cmd/berthd/berthd" "$BERTH_BUILD/cmd/berth/berth" \
         "$BERTH_BUILD/cmd/berth-shim/berth-shim"; do
  command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] || { echo "run-network-bench.sh: missing $c" >&2; exit 1; }
done

# Names and addresses of our own (none may exist yet: another bench may be running).
BR_BERTH=btbberth0 BR_BERTH_USER=btbberth1 BR_DOCK=btbdock0 BR_DOCK_USER=btbdock1
BIP_BERTH=10.214.1.1/24 BIP_DOCK=10.214.0.1/24
SUBNET_BERTH=10.215.1.0/24 SUBNET_DOCK=10.215.0.0/24
FW_TABLE="berth_bench_$$"
for l in $BR_BERTH $BR_BERTH_USER $BR_DOCK $BR_DOCK_USER; do
  if ip link show "$l" >/dev/null 2>&1; then echo "run-network-bench.sh: link $l exists (another run?)" >&2; exit 1; fi
done
if ip route | grep -qE '^10\.21[45]\.'; then
  echo "run-network-bench.sh: 10.214/10.215 routes exist already: $(ip route | grep -E '^10\.21[45]\.' | tr '\n' ';')" >&2
  exit 1
fi

T=$(mktemp -d /tmp/berth-net-bench.XXXXXX)
CG_NAME="berth-netbench-docker-$$"  # dockerd --cgroup-parent (docker.bash's name for it)
CG_BERTH="berth-netbench-$$"
CTD_SOCK="$T/containerd/containerd.sock"
CTD_PID='' DOCKERD_PID='' BERTHD_PID='' OWN_DOCK_BRIDGE=''
RES=$T/results.tsv
: >"$RES"

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  local ids l
  if [[ -n $BERTHD_PID ]] && kill -0 "$BERTHD_PID" 2>/dev/null; then
    ids=$(timeout 20 "${BERTH[@]}" ps -aq 2>/dev/null)
    # shellcheck disable=SC2086 # a list of IDs
    [[ -n $ids ]] && timeout 60 "${BERTH[@]}" rm -f $ids >/dev/null 2>&1
    timeout 20 "${BERTH[@]}" network rm btbnet >/dev/null 2>&1
  fi
  stop_pid "$BERTHD_PID" berthd
  remove_cgroups "$CG_BERTH"         # kills container processes left in these cgroups
  if [[ -n $DOCKERD_PID ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    timeout 20 "$DOCKER_CLI" network rm btbnet >/dev/null 2>&1
  fi
  [[ -n ${KEEP_RESULTS:-} && -f $RES ]] && cp "$RES" "$KEEP_RESULTS"
  if [[ -n ${KEEP_LOGS:-} ]]; then
    mkdir -p "$KEEP_LOGS" && cp "$T"/{berthd,dockerd,containerd}.log "$T"/*.stderr "$KEEP_LOGS/" 2>/dev/null
  fi
  # docker.bash: docker rm -f, dockerd and containerd stopped, processes naming $T killed, their
  # cgroups; everything under $T unmounted and removed. It exits: run it in a subshell.
  (docker_cleanup "$rc" "network bench")
  # The bridges (berthd and docker leave theirs behind) and berthd's nftables table.
  for l in $BR_BERTH $BR_BERTH_USER $BR_DOCK_USER; do
    ip link show "$l" >/dev/null 2>&1 && ip link del "$l"
  done
  [[ -n $OWN_DOCK_BRIDGE ]] && ip link del "$BR_DOCK" 2>/dev/null
  nft list table ip "$FW_TABLE" >/dev/null 2>&1 && nft delete table ip "$FW_TABLE"
  for l in $BR_BERTH $BR_BERTH_USER $BR_DOCK $BR_DOCK_USER; do
    ip link show "$l" >/dev/null 2>&1 && echo "cleanup: link $l left behind" >&2
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { printf '%s\t%s\n' "$1" "$2" >>"$RES"; }
now_ns() { date +%s%N; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# load average at start: $load_start; temp root $T; hide cgroup2 unified: $HIDE_UNIFIED"

# --- the image: one busybox rootfs for both -----------------------------------------------------
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null
tar -C "$T/rootfs" -c . >"$T/rootfs.tar"

# --- berthd --------------------------------------------------------------------------------------
echo '{}' >"$T/berthd.json"
mkfifo "$T/berthd.notify"
"$BERTH_BUILD/cmd/berthd/berthd" --data-root "$T/berth/data" --exec-root "$T/berth/exec" \
  -H "unix://$T/berth.sock" --pidfile "$T/berth/berthd.pid" --cgroup-parent "$CG_BERTH" \
  --config-file "$T/berthd.json" --shim-path "$BERTH_BUILD/cmd/berth-shim/berth-shim" \
  --init-path "$BERTH_BUILD/cmd/berth-init/berth-init" \
  --bridge "$BR_BERTH" --bip "$BIP_BERTH" --firewall-table "$FW_TABLE" --notify-fd 3 \
  3>"$T/berthd.notify" >"$T/berthd.log" 2>&1 &
BERTHD_PID=$!
read -r ready <"$T/berthd.notify" || true
[[ $ready == READY ]] || { echo "berthd did not start: $ready $(tail -n 5 "$T/berthd.log")" >&2; exit 1; }
BERTH=("$BERTH_BUILD/cmd/berth/berth" -H "unix://$T/berth.sock")
"${BERTH[@]}" import - busybox:latest <"$T/rootfs.tar" >/dev/null
"${BERTH[@]}" network create --subnet "$SUBNET_BERTH" -o "com.docker.network.bridge.name=$BR_BERTH_USER" btbnet >/dev/null

# --- dockerd + containerd, on a bridge of their own -----------------------------------------------
ip link add "$BR_DOCK" type bridge
OWN_DOCK_BRIDGE=1
ip addr add "$BIP_DOCK" dev "$BR_DOCK"
ip link set "$BR_DOCK" up
# docker.bash passes --bridge=none; the later flag wins.
start_docker_daemons --bridge "$BR_DOCK" >/dev/null
"$DOCKER_CLI" import - busybox:latest <"$T/rootfs.tar" >/dev/null
"$DOCKER_CLI" network create --subnet "$SUBNET_DOCK" -o "com.docker.network.bridge.name=$BR_DOCK_USER" btbnet >/dev/null

D="$DOCKER_CLI"
B="${BERTH[*]}"
# --- 1. run --rm /bin/true on each network ---------------------------------------------------------
cat >"$T/run.spec" <<EOF
case run-none/berth
step $B run --rm --network none --pull never busybox /bin/true
case run-none/docker
step $D run --rm --network none --pull never busybox /bin/true
case run-bridge/berth
step $B run --rm --pull never busybox /bin/true
case run-bridge/docker
step $D run --rm --pull never busybox /bin/true
case run-user/berth
step $B run --rm --network btbnet --pull never busybox /bin/true
case run-user/docker
step $D run --rm --network btbnet --pull never busybox /bin/true
EOF
# What each run's network is (interfaces and addresses in its netns).
# shellcheck disable=SC2016 # expanded in the container
netcheck='ip -o -4 addr | awk "{print \$2, \$4}" | tr "\n" " "; echo; cat /etc/resolv.conf | grep nameserver'
for net in none default btbnet; do
  flag=(--network "$net"); [[ $net == default ]] && flag=()
  echo "# berth  --network $net: $($B run --rm "${flag[@]}" busybox sh -c "$netcheck" 2>&1 | tr '\n' ' ')"
  echo "# docker --network $net: $($D run --rm "${flag[@]}" --pull never busybox sh -c "$netcheck" 2>&1 | tr '\n' ' ')"
done
echo "## run --rm /bin/true (n=$N each, interleaved)"
"${TIMER[@]}" seq "$T/run.spec" "$N" "$WARMUP" "$RES"

# --- 2, 3. throughput ------------------------------------------------------------------------------
free_port() {
  local p
  for p in $(shuf -i 30000-39999 -n 50); do
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  return 1
}
declare -A PORT
for e in berth docker; do
  for c in srv srvnc; do
    p=$(free_port)
    while [[ " ${PORT[*]} " == *" $p "* ]]; do p=$(free_port); done
    PORT[$e/$c]=$p
  done
done
# Sized receivers (srv, rcv): nc hands the connection to dd (64 KiB reads), which reads exactly
# BYTES and exits, closing the connection. The senders write with dd (64 KiB writes), then wait
# in cat for that close: a timing ends once the receiver has everything.
SERVER="while :; do nc -l -p 80 -e dd of=/dev/null bs=65536 count=$BYTES iflag=count_bytes,fullblock 2>/dev/null; done"
# shellcheck disable=SC2016 # expanded by the sending sh
SEND='dd if=/dev/zero bs=65536 count=$0 2>/dev/null && cat'
# The issue's plain `nc -l -p 80 >/dev/null` (srvnc). Its stdin must never reach EOF: busybox nc
# half-closes the connection when its stdin ends and the sending nc would stop at once; a FIFO
# opened read-write never ends.
SERVER_NC='mkfifo /tmp/in && exec 0<>/tmp/in && while :; do nc -l -p 80 >/dev/null; done'

# start_containers ENGINE CLI...: srv and srvnc on the default bridge, published on 127.0.0.1;
# rcv (receiver) and snd (sender, idle: the transfers run in its namespaces) on the user network.
start_containers() {
  local e=$1; shift
  "$@" run -d --name srv --pull never -p "127.0.0.1:${PORT[$e/srv]}:80" busybox sh -c "$SERVER" >/dev/null
  "$@" run -d --name srvnc --pull never -p "127.0.0.1:${PORT[$e/srvnc]}:80" busybox sh -c "$SERVER_NC" >/dev/null
  "$@" run -d --name rcv --network btbnet --pull never busybox sh -c "$SERVER" >/dev/null
  "$@" run -d --name snd --network btbnet --pull never busybox sleep 3600 >/dev/null
}
start_containers berth "${BERTH[@]}"
start_containers docker "$D"
declare -A PID IP
for e in berth docker; do
  if [[ $e == berth ]]; then cli=("${BERTH[@]}"); else cli=("$D"); fi
  for c in srv srvnc rcv snd; do
    PID[$e/$c]=$("${cli[@]}" inspect -f '{{.State.Pid}}' "$c")
  done
  IP[$e/srv]=$("${cli[@]}" inspect -f '{{.NetworkSettings.IPAddress}}' srv)
  IP[$e/rcv]=$("${cli[@]}" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' rcv)
  echo "# $e: srv ${IP[$e/srv]} (127.0.0.1:${PORT[$e/srv]}), srvnc (127.0.0.1:${PORT[$e/srvnc]}), rcv ${IP[$e/rcv]};" \
       "snd resolves rcv as: $(nsenter -t "${PID[$e/snd]}" -n -m -- /bin/nslookup rcv 2>&1 | awk '/^Address/ && !/#53|127.0.0.11/ {print $NF}' | tr '\n' ' ')"
done
echo "# docker-proxy processes on this machine: $(pgrep -c -x docker-proxy || true); berth's DNAT:" \
     "$(nft list chain ip "$FW_TABLE" ports 2>/dev/null | grep -c dnat || true) rule(s) in table $FW_TABLE"

# cpu_ticks PID: user + system CPU time of PID, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
# The docker-proxy serving srv's port.
PROXY_PID=$(pgrep -f -x ".*docker-proxy .*-host-port ${PORT[docker/srv]} .*" | head -n1)
[[ -n $PROXY_PID ]] || { echo "run-network-bench.sh: no docker-proxy for port ${PORT[docker/srv]}" >&2; exit 1; }
echo "# docker-proxy for 127.0.0.1:${PORT[docker/srv]}: $(tr '\0' ' ' <"/proc/$PROXY_PID/cmdline")"
rx_bytes() { awk '{ sub(/^ +/, ""); split($0, a, ":"); if (a[1] == "eth0") { split(a[2], f, " "); print f[1] } }' "/proc/$1/net/dev"; }
# wait_listen PID: until port 80 listens in PID's netns (the server loops restart nc).
wait_listen() {
  local i
  for i in $(seq 100); do
    nsenter -t "$1" -n -- ss -Hltn 'sport = :80' | grep -q . && return 0
    sleep 0.05
  done
  echo "# nothing listens on :80 in netns of $1" >&2
  return 1
}
# transfer LABEL ENGINE RECEIVER-PID BYTES CMD...: one timed transfer; records MB/s (MiB/s) unless
# CMD failed or the receiver's eth0 got fewer than BYTES bytes.
transfer() {
  local label=$1 e=$2 rpid=$3 bytes=$4 rx0 rx1 t0 t1 rc=0 mbs; shift 4
  LAST_OK=0
  wait_listen "$rpid" || return 0
  sleep 0.2
  rx0=$(rx_bytes "$rpid")
  t0=$(now_ns)
  timeout 300 "$@" </dev/null || rc=$?
  t1=$(now_ns)
  rx1=$(rx_bytes "$rpid")
  mbs=$(awk -v b="$bytes" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }')
  if ((rc != 0 || rx1 - rx0 < bytes)); then
    echo "# $label/$e: FAILED (rc $rc, receiver got $((rx1 - rx0)) of $bytes bytes)"
    return 0
  fi
  [[ $label == warmup* ]] && return 0
  LAST_OK=1
  record "$label/$e" "$mbs"
  printf '%-28s %8.1f MB/s  (%.3f s, receiver eth0 +%d bytes)\n' "$label/$e" "$mbs" \
    "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')" $((rx1 - rx0))
}
# "${host_send[@]}" ADDR PORT: from the host, with the host's busybox (the image's is the same
# binary): nc ADDR PORT -e sh -c SEND COUNT.
host_send() {
  printf '%s\0' "$BUSYBOX" nc "$1" "$2" -e "$BUSYBOX" sh -c "PATH=$T/bb; $SEND" $((BYTES / 65536))
}
mkdir -p "$T/bb" && ln -s "$BUSYBOX" "$T/bb/dd" && ln -s "$BUSYBOX" "$T/bb/cat"
# shellcheck disable=SC2016 # expanded by sh -c
host_send_nc='head -c "$0" /dev/zero | "$1" nc "$2" "$3"'
NC_BYTES=$((NC_MB * 1048576))
# one_round LABEL-PREFIX ENGINE
one_round() {
  local p=$1 e=$2 ncb=$NC_BYTES
  [[ $p == warmup* ]] && ncb=$((16 * 1048576))
  local send_pub send_direct
  mapfile -d '' -t send_pub < <(host_send 127.0.0.1 "${PORT[$e/srv]}")
  mapfile -d '' -t send_direct < <(host_send "${IP[$e/srv]}" 80)
  local c0=0 c1
  [[ $e == docker ]] && c0=$(cpu_ticks "$PROXY_PID")
  transfer "${p}published" "$e" "${PID[$e/srv]}" "$BYTES" "${send_pub[@]}"
  if [[ $e == docker && $LAST_OK == 1 ]]; then
    c1=$(cpu_ticks "$PROXY_PID")
    record "proxy-cpu/docker" "$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v b="$BYTES" \
      'BEGIN { printf "%.0f", t * 1000 / hz / (b / 1073741824) }')"
  fi
  transfer "${p}published-nc" "$e" "${PID[$e/srvnc]}" "$ncb" \
    sh -c "$host_send_nc" "$ncb" "$BUSYBOX" 127.0.0.1 "${PORT[$e/srvnc]}"
  transfer "${p}direct" "$e" "${PID[$e/srv]}" "$BYTES" "${send_direct[@]}"
  # In the sender container's network and mount namespaces: its nc, dd, cat, resolv.conf.
  transfer "${p}c2c" "$e" "${PID[$e/rcv]}" "$BYTES" \
    nsenter -t "${PID[$e/snd]}" -n -m -- /bin/nc rcv 80 -e /bin/sh -c "$SEND" $((BYTES / 65536))
}
echo "## throughput, $SIZE_MB MiB per transfer ($NC_MB MiB for published-nc), $ROUNDS rounds + 1 warm-up (MB/s = MiB/s)"
for e in berth docker; do one_round warmup- "$e"; done
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2 == 0)); then order=(berth docker); else order=(docker berth); fi
  for e in "${order[@]}"; do one_round tput- "$e"; done
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "Load average $load_start at start, $load_end at end ($(nproc) cores)."
echo "Engines: berth $BERTH_BUILD (berthd --bridge $BR_BERTH, nftables table $FW_TABLE);" \
     "dockerd $(dockerd --version | awk '{print $3}' | tr -d ,) + containerd $(containerd --version | awk '{print $3}')" \
     "+ $(runc --version | head -n1), Docker CLI $("$DOCKER_CLI" version -f '{{.Client.Version}}')," \
     "--bridge $BR_DOCK --iptables=false (docker-proxy). Ratios berth/docker: for ms lower is better" \
     "for berth, for MB/s higher is."
echo
python3 "$here/lib/net_table.py" "$RES"
