#!/usr/bin/env bash
# run-rootless-bench.sh: rootless berthd against rootless Podman 4.3, side by side in one run,
# both as the same unprivileged user. A benchmark, not a test (not in CTest). Prints markdown
# tables of medians; writes nothing into the repository.
#
#   bench/run-rootless-bench.sh                   (as root; a few minutes)
#   N=5 ROUNDS=1 SIZE_MB=128 bench/run-rootless-bench.sh   (a quick try)
#
# As root it makes a user h14rb<pid> (subordinate ids 1540000-1605535), a home and an
# XDG_RUNTIME_DIR under /tmp/h14r-bench.*, and removes them at the end. Podman gets its own
# storage in that home (overlay, cgroupfs, file events: no systemd here; runc, as crun refuses
# this host's hybrid cgroups); both engines get the
# same busybox image, imported locally (no registry). The docker CLI and podman both run as the
# user (setpriv), so each row is what that user waits for.
#
# Rows:
#   run --rm          `run --rm busybox /bin/true`, N interleaved runs, wall ms (median, p90).
#                     berth: default bridge network (a veth on the daemon's bridge); podman:
#                     its default (a slirp4netns process per container) and --network none.
#   published         host 127.0.0.1:PORT -> container: curl downloads SIZE_MB from busybox
#                     httpd in the container. berth: its builtin port driver; podman: rootlessport.
#   outbound          container -> the host's loopback: busybox wget of SIZE_MB from busybox httpd
#                     on the host's 127.0.0.1, through the gateway address each stack maps to the
#                     host's loopback (pasta: the host's gateway address; slirp4netns: 10.0.2.2).
#                     Timed around `exec`, minus the same exec fetching a 0-byte file.
#   berth runs with pasta and then slirp4netns; podman with its default (slirp4netns).
# Traffic only goes over the host's loopback and inside the namespaces made here.
set -uo pipefail
N=${N:-20}
ROUNDS=${ROUNDS:-3}
SIZE_MB=${SIZE_MB:-512}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BERTHD=${BERTHD:-$BUILD/cmd/berthd/berthd}
DOCKER_CLI=${DOCKER_CLI:-/usr/local/bin/docker}
BERTH_CLI=${BERTH_CLI:-$BUILD/cmd/berth/berth}
MAKE_ROOTFS=$ROOT/tests/fixtures/make-rootfs.sh
SUB_START=1540000 SUB_COUNT=65536
U="h14rb$$" UID_=''; T=''; OUTER=''; HOSTSRV=''
P_BERTH=18250 P_PODMAN=18251 P_HOST=18252

die() { echo "error: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (it creates the bench user)"
for c in "$BERTHD" "$DOCKER_CLI" podman setpriv curl busybox nsenter python3; do
  command -v "$c" >/dev/null || [[ -x "$c" ]] || die "missing $c"
done

cleanup() {
  set +e
  [[ -n "$HOSTSRV" ]] && kill "$HOSTSRV" 2>/dev/null && wait "$HOSTSRV" 2>/dev/null
  stop_berth
  [[ -n "$UID_" ]] && as_user podman rm -af -t 0 >/dev/null 2>&1
  if [[ -n "$UID_" ]]; then
    for sig in TERM KILL; do
      for p in /proc/[0-9]*; do [[ $(stat -c %u "$p" 2>/dev/null) == "$UID_" ]] && kill -$sig "${p#/proc/}" 2>/dev/null; done
      sleep 0.5
    done
    usermod --del-subuids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" --del-subgids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" "$U"
    userdel "$U"
  fi
  if [[ -n "$T" ]]; then
    # podman's overlay mounts live in the user's namespace; any left on the host are under $T.
    grep -o " $T[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$T"
  fi
}
trap cleanup EXIT

AS_USER=()  # a command prefix, not a function: `$!` of a background job must be berthd's pid
as_user() { "${AS_USER[@]}" "$@"; }
d() { as_user "$DOCKER_CLI" "$@"; }
b() { as_user "$BERTH_CLI" "$@"; }  # berth's own CLI: `berth run` against `podman run`, CLI and engine both
pm() { as_user podman "$@"; }

start_berth() {
  local line=''
  rm -f "$T/notify"; mkfifo "$T/notify"
  "${AS_USER[@]}" "$BERTHD" --rootless-allow-host-loopback=true "$@" 3>"$T/notify" --notify-fd 3 >>"$T/berthd.log" 2>&1 &
  OUTER=$!
  read -r -t 60 line <"$T/notify" || true
  [[ $line == READY ]] || die "berthd did not start: $(tail -5 "$T/berthd.log")"
  INNER=$(cat "$T/run/berth/berthd.pid")
}
stop_berth() {
  [[ -n "$OUTER" ]] || return 0
  d rm -f $(d ps -aq) >/dev/null 2>&1
  kill -TERM "$OUTER"; wait "$OUTER" 2>/dev/null; OUTER=''
}

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f\n", m}'; }
p90() { sort -n | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} i=int(NR*0.9+0.5); if(i<1)i=1; printf "%.1f\n", a[i]}'; }

# --- set-up ---------------------------------------------------------------------
T=$(mktemp -d /tmp/h14r-bench.XXXXXX); chmod 755 "$T"
useradd -M -d "$T/home" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$U" || die useradd
UID_=$(id -u "$U"); GID_=$(id -g "$U")
AS_USER=(setpriv --reuid="$UID_" --regid="$GID_" --init-groups
  env -i HOME="$T/home" USER="$U" XDG_RUNTIME_DIR="$T/run" PATH=/usr/local/bin:/usr/bin:/bin
  DOCKER_HOST="unix://$T/run/berth.sock" DOCKER_CONFIG="$T/home/.docker")
usermod --add-subuids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" --add-subgids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" "$U"
install -d -o "$UID_" -g "$GID_" -m 700 "$T/home" "$T/run"
install -d -o "$UID_" -g "$GID_" "$T/home/.config" "$T/home/.config/containers" "$T/home/.docker"
cat >"$T/home/.config/containers/storage.conf" <<EOF
[storage]
driver = "overlay"
EOF
cat >"$T/home/.config/containers/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
# crun 1.x refuses this hybrid cgroup layout ("cgroups in hybrid mode not supported").
runtime = "runc"
EOF
echo "{}" >"$T/home/.docker/config.json"  # podman reads DOCKER_CONFIG too
chown -R "$UID_:$GID_" "$T/home"
"$MAKE_ROOTFS" "$T/rootfs" >/dev/null || die make-rootfs
tar -C "$T/rootfs" -cf "$T/busybox.tar" . && chmod 644 "$T/busybox.tar"
mkdir -p "$T/www" && head -c $((SIZE_MB << 20)) /dev/zero >"$T/www/big" && : >"$T/www/empty"
busybox httpd -f -p "127.0.0.1:$P_HOST" -h "$T/www" & HOSTSRV=$!

start_berth
d import "$T/busybox.tar" busybox >/dev/null || die "docker import"
pm import "$T/busybox.tar" localhost/busybox >/dev/null 2>&1 || die "podman import"
echo "# berthd $BERTHD (commit $(git -C "$ROOT" rev-parse --short HEAD)), podman $(podman --version | awk '{print $3}'), user $U"
echo "# kernel $(uname -r), $(nproc) cores, SIZE_MB=$SIZE_MB N=$N ROUNDS=$ROUNDS"

# --- run --rm -------------------------------------------------------------------
for _ in 1 2 3; do d run --rm busybox /bin/true; pm run --rm localhost/busybox /bin/true; pm run --rm --network none localhost/busybox /bin/true; done >/dev/null 2>&1
: >"$T/t.berth"; : >"$T/t.berth-none"; : >"$T/t.berthcli"; : >"$T/t.berthcli-none"; : >"$T/t.podman"; : >"$T/t.podman-none"
for i in $(seq "$N"); do
  s=$(now_ns); d run --rm busybox /bin/true || die "berth run"; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t.berth"
  s=$(now_ns); pm run --rm localhost/busybox /bin/true || die "podman run"; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t.podman"
  s=$(now_ns); d run --rm --network none busybox /bin/true || die "berth run --network none"; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t.berth-none"
  s=$(now_ns); pm run --rm --network none localhost/busybox /bin/true || die "podman run --network none"; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t.podman-none"
  s=$(now_ns); b run --rm busybox /bin/true || die "berth CLI run"; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t.berthcli"
  s=$(now_ns); b run --rm --network none busybox /bin/true || die "berth CLI run --network none"; e=$(now_ns); echo $(((e - s) / 1000)) >>"$T/t.berthcli-none"
done
ms() { awk '{print $1/1000}' "$1" | "$2"; }
echo
echo "| run --rm busybox /bin/true (ms) | berth rootless (docker CLI unless named) | podman rootless | podman / berth |"
echo "| --- | --- | --- | --- |"
bm=$(ms "$T/t.berth" median) pmm=$(ms "$T/t.podman" median)
echo "| default network, median | $bm | $pmm | $(awk -v a="$pmm" -v b="$bm" 'BEGIN{printf "%.1fx", a/b}') |"
echo "| default network, p90 | $(ms "$T/t.berth" p90) | $(ms "$T/t.podman" p90) | |"
bn=$(ms "$T/t.berth-none" median) pn=$(ms "$T/t.podman-none" median)
echo "| --network none, median | $bn | $pn | $(awk -v a="$pn" -v b="$bn" 'BEGIN{printf "%.1fx", a/b}') |"
bc=$(ms "$T/t.berthcli" median) bcn=$(ms "$T/t.berthcli-none" median)
echo "| \`berth run\` (berth's CLI), default network, median | $bc | $pmm | $(awk -v a="$pmm" -v b="$bc" 'BEGIN{printf "%.1fx", a/b}') |"
echo "| \`berth run\` (berth's CLI), --network none, median | $bcn | $pn | $(awk -v a="$pn" -v b="$bcn" 'BEGIN{printf "%.1fx", a/b}') |"

# --- throughput -------------------------------------------------------------------
# published PORT: curl from the host; MB/s of one download.
published() {
  curl -s -o /dev/null -w '%{size_download} %{time_total}\n' "http://127.0.0.1:$1/big" |
    awk -v want=$((SIZE_MB << 20)) '$1 == want {printf "%.0f\n", $1 / 1048576 / $2}'
}
# outbound EXEC-PREFIX... : wget inside, timed around exec, minus an empty fetch.
outbound() {
  local s e s0 e0 url=$1; shift
  s0=$(now_ns); "$@" wget -q -O /dev/null "$url/empty" || return; e0=$(now_ns)
  s=$(now_ns); "$@" wget -q -O /dev/null "$url/big" || return; e=$(now_ns)
  awk -v ns=$(((e - s) - (e0 - s0))) -v mb="$SIZE_MB" 'BEGIN {printf "%.0f\n", mb / (ns / 1e9)}'
}
mk_server() {  # the container: busybox httpd serving SIZE_MB from /www/big
  "$@" sh -c "mkdir -p /www && head -c $((SIZE_MB << 20)) /dev/zero >/www/big && exec httpd -f -p 80 -h /www"
}

declare -A PUB OUT
bench_berth() {  # LABEL GATEWAY
  d rm -f bsrv bcli >/dev/null 2>&1
  mk_server d run -d --name bsrv -p "127.0.0.1:$P_BERTH:80" busybox >/dev/null || die "berth server"
  d run -d --name bcli busybox sleep 3600 >/dev/null
  for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$P_BERTH/big" -r 0-0 && break; sleep 0.1; done
  for r in $(seq "$ROUNDS"); do
    PUB[$1]+="$(published $P_BERTH) "
    OUT[$1]+="$(outbound "http://$2:$P_HOST" d exec bcli) "
  done
  d rm -f bsrv bcli >/dev/null 2>&1
}
gw=$(nsenter -t "$INNER" -n ip -4 route show default | awk '{print $3; exit}')
bench_berth "berth + pasta" "$gw"
stop_berth
start_berth --rootless-network slirp4netns
bench_berth "berth + slirp4netns" 10.0.2.2
stop_berth

pm rm -f psrv pcli >/dev/null 2>&1
mk_server pm run -d --name psrv -p "127.0.0.1:$P_PODMAN:80" localhost/busybox >/dev/null 2>&1 || die "podman server"
pm run -d --name pcli --network slirp4netns:allow_host_loopback=true localhost/busybox sleep 3600 >/dev/null 2>&1
for _ in $(seq 100); do curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$P_PODMAN/big" -r 0-0 && break; sleep 0.1; done
for r in $(seq "$ROUNDS"); do
  PUB["podman (slirp4netns, rootlessport)"]+="$(published $P_PODMAN) "
  OUT["podman (slirp4netns, rootlessport)"]+="$(outbound "http://10.0.2.2:$P_HOST" pm exec pcli) "
done
pm rm -f -t 0 psrv pcli >/dev/null 2>&1

echo
echo "| throughput, MB/s (median of $ROUNDS, $SIZE_MB MB each) | published port (host 127.0.0.1 -> container) | outbound (container -> host loopback) |"
echo "| --- | --- | --- |"
for k in "berth + pasta" "berth + slirp4netns" "podman (slirp4netns, rootlessport)"; do
  echo "| $k | $(tr ' ' '\n' <<<"${PUB[$k]}" | grep . | median) | $(tr ' ' '\n' <<<"${OUT[$k]}" | grep . | median) |"
done
