#!/usr/bin/env bash
# e2e.rootless: berthd run by an unprivileged user (issue 14, docs/rootless.md),
# driven by the real docker CLI through DOCKER_HOST=unix://$XDG_RUNTIME_DIR/berth.sock.
#
# As root (CI), the script makes a test user h14r<pid> with a subordinate id
# range of its own, an XDG_RUNTIME_DIR and a home under the temp root, and
# starts berthd as that user with setpriv. Checked: the daemon's user namespace
# (the user is root inside, the subordinate range follows), import, build,
# run, exec, top, push and pull (a registry on the host's loopback, reached
# through pasta's gateway address), a port published on the host's 127.0.0.1, a named volume, a user
# network with name resolution, bind-mount files owned by the user on the
# host, resource limits refused with the reason (cgroup v1 here), outbound
# connections to the host's loopback through pasta and then slirp4netns, and
# the berth CLI finding the rootless socket by itself, and the fuse-overlayfs
# fallback (forced: this kernel takes overlay in a user namespace).
#
# Everything the daemon makes (bridges, nftables, mounts) lives in its own
# namespaces and goes with its processes; the cleanup removes the containers,
# stops the daemon, kills whatever the test user still runs (by pid), and
# deletes the user, its subordinate ids and the temp root. Traffic only goes
# to the host's 127.0.0.1 and to addresses inside the daemon's namespaces.
set -uo pipefail
E2E_LABEL="rootless e2e"
source "$(dirname "$0")/lib/berthd.bash"

PORT_WEB=18210 PORT_HOSTSRV=18211 PORT_SLIRP=18212 PORT_REGISTRY=18213 PORT_KEEP=18214
REGISTRY_SH=$(cd "$(dirname "$0")/../fixtures" && pwd)/registry.sh
SUB_START=1470000 SUB_COUNT=65536
RL_USER="h14r$$" RL_UID='' RL_GID='' OUTER_PID='' HOSTSRV_PID='' USER_MADE=0

rl_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if ((rc != 0 || FAILS > 0)) && [[ -f "$T/berthd.log" ]]; then
    echo "# last berthd log lines:"; tail -n 30 "$T/berthd.log" | sed 's/^/#   /'
  fi
  [[ -n "$HOSTSRV_PID" ]] && kill "$HOSTSRV_PID" 2>/dev/null && wait "$HOSTSRV_PID" 2>/dev/null
  [[ -n "$T" && -f "$T/registry/registry.pid" ]] && "$REGISTRY_SH" stop --dir "$T/registry" >/dev/null 2>&1
  stop_rootless
  kill_user_procs
  if ((USER_MADE)); then
    usermod --del-subuids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" \
      --del-subgids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" "$RL_USER" 2>/dev/null
    userdel "$RL_USER" 2>/dev/null || echo "cleanup: could not delete user $RL_USER" >&2
  fi
  [[ -n "$T" ]] && finish_cleanup "$rc" "$E2E_LABEL"
  exit "$rc"
}

# Every process of the test user, by pid (the user exists only for this test).
kill_user_procs() {
  [[ -n "$RL_UID" ]] || return 0
  local sig p pids
  for sig in TERM KILL; do
    pids=()
    for p in /proc/[0-9]*; do
      [[ $(stat -c %u "$p" 2>/dev/null) == "$RL_UID" ]] && pids+=("${p#/proc/}")
    done
    ((${#pids[@]})) || return 0
    kill "-$sig" "${pids[@]}" 2>/dev/null
    for _ in $(seq 30); do
      local alive=0
      for p in "${pids[@]}"; do [[ -d /proc/$p ]] && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
  done
}

# The command prefix that runs a program as the test user (a command, not a
# function: `$!` of a background job must be berthd's own pid).
AS_USER=()
set_as_user() {
  AS_USER=(setpriv --reuid="$RL_UID" --regid="$RL_GID" --init-groups
    env -i HOME="$T/home" USER="$RL_USER" XDG_RUNTIME_DIR="$T/run" PATH="/usr/local/bin:/usr/bin:/bin")
}

# wait_http URL: the body once the URL answers (a published port is served as
# soon as its container runs; the bound is for a daemon that never serves it).
wait_http() {
  local body=''
  for _ in $(seq 50); do
    body=$(curl -s --max-time 2 "$1") && [[ -n "$body" ]] && break
    sleep 0.1
  done
  printf '%s' "$body"
}

# start_rootless [flags]: berthd as the test user; READY on the notify fd.
start_rootless() {
  local line=''
  rm -f "$T/notify"; mkfifo "$T/notify"; chmod 666 "$T/notify"
  "${AS_USER[@]}" "$BERTHD" -D --notify-fd 3 --rootless-allow-host-loopback=true "$@" \
    3>"$T/notify" >>"$T/berthd.log" 2>&1 &
  OUTER_PID=$!
  read -r -t 60 line <"$T/notify" || true
  rm -f "$T/notify"
  [[ "$line" == READY ]] || die "rootless berthd did not start (notify: '${line:-nothing}'): $(tail -n 8 "$T/berthd.log" | tr '\n' '|')"
  INNER_PID=$(cat "$T/run/berth/berthd.pid")
}

stop_rootless() {
  [[ -n "$OUTER_PID" ]] && kill -0 "$OUTER_PID" 2>/dev/null || { OUTER_PID=''; return 0; }
  local all=()
  mapfile -t all < <(timeout 10 "$DOCKER_CLI" ps -aq 2>/dev/null)
  ((${#all[@]})) && timeout 60 "$DOCKER_CLI" rm -f "${all[@]}" >/dev/null 2>&1
  kill -TERM "$OUTER_PID" 2>/dev/null
  for _ in $(seq 200); do kill -0 "$OUTER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$OUTER_PID" 2>/dev/null
  wait "$OUTER_PID" 2>/dev/null
  OUTER_PID=''
}

# --- set-up -------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "must run as root (it creates the test user)"
find_berthd
need_cmd "$DOCKER_CLI" setpriv useradd usermod userdel newuidmap newgidmap pasta slirp4netns fuse-overlayfs nsenter curl python3 \
  "$MAKE_ROOTFS"
T=$(mktemp -d /tmp/h14r-e2e.XXXXXX)
trap rl_cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$T"
# berthd and the programs it runs next to it, where the test user can reach
# them (the checkout may be in a directory only root may enter): hard links
# when /tmp is on the same filesystem, else copies.
BUILD_DIR=$(cd "$(dirname "$BERTHD")/../.." && pwd)
mkdir -p "$T/bin"
for b in berthd berth berth-shim berth-init berth-runtime; do
  src=$(dirname "$BERTHD")/$b
  [[ -x "$src" ]] || src=$BUILD_DIR/cmd/$b/$b
  [[ -x "$src" ]] || die "prerequisite missing: $b next to $BERTHD or in $BUILD_DIR/cmd/$b (build it)"
  ln "$src" "$T/bin/$b" 2>/dev/null || cp "$src" "$T/bin/$b" || die "copying $src"
done
chmod 755 "$T/bin"
BERTHD=$T/bin/berthd
useradd -M -d "$T/home" -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$RL_USER" || die "useradd $RL_USER failed"
USER_MADE=1
RL_UID=$(id -u "$RL_USER") RL_GID=$(id -g "$RL_USER")
set_as_user
usermod --add-subuids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" \
  --add-subgids "$SUB_START-$((SUB_START + SUB_COUNT - 1))" "$RL_USER" || die "usermod --add-subuids failed"
install -d -o "$RL_UID" -g "$RL_GID" -m 700 "$T/home" "$T/run"
install -d -o "$RL_UID" -g "$RL_GID" -m 755 "$T/bind"
mkdir -p "$T/cli"
export DOCKER_HOST="unix://$T/run/berth.sock" DOCKER_CONFIG="$T/cli"
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
echo "# berthd $BERTHD as $RL_USER ($RL_UID), temp root $T"

# --- the daemon ---------------------------------------------------------------
# pasta gives berthd's namespace the host's address and gateway; the gateway
# address leads to the host's loopback (a registry there is plain http).
gw=$(ip -4 route show default | awk '{print $3; exit}')
[[ -n "$gw" ]] || die "the host has no IPv4 default route: pasta copies it into berthd's namespace"
start_rootless --insecure-registry "$gw:$PORT_REGISTRY"
ok "rootless berthd started as $RL_USER"
map=$(tr -s ' ' <"/proc/$INNER_PID/uid_map" | sed 's/^ //' | tr '\n' '|')
expect_eq "daemon's user namespace: the user is root, the subordinate range follows" \
  "0 $RL_UID 1|1 $SUB_START $SUB_COUNT|" "$map"
expect_eq "daemon runs as the user on the host" "$RL_UID" "$(stat -c %u "/proc/$INNER_PID")"
check "socket at \$XDG_RUNTIME_DIR/berth.sock" "missing" test -S "$T/run/berth.sock"
check "state under ~/.local/share/berth" "missing" test -d "$T/home/.local/share/berth"
[[ $(readlink "/proc/$INNER_PID/ns/net") != $(readlink /proc/self/ns/net) ]] &&
  ok "daemon has a network namespace of its own" || not_ok "daemon shares the host's network namespace"
docker info --format '{{.SecurityOptions}}'
expect_match "docker info says rootless" "rootless" "$OUT"

# --- images -------------------------------------------------------------------
import_busybox
stray=$(find "$T/home/.local/share/berth" -xdev \( ! -uid "$RL_UID" -a \( -uid -$SUB_START -o -uid +$((SUB_START + SUB_COUNT - 1)) \) \) -print -quit 2>/dev/null)
expect_eq "image layers unpacked with the user's ids on the host" "" "$stray"
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN mkdir /www && echo built-rootless >/www/index.html && chown 1000:1000 /www/index.html\n' >"$T/ctx/Dockerfile"
DOCKER_BUILDKIT=0 capture "$DOCKER_CLI" build -q -t h14r/web "$T/ctx"
[[ $RC -eq 0 ]] && ok "docker build" || not_ok "docker build: $(why)"
docker run --rm h14r/web stat -c '%u:%g %n' /www/index.html
expect_eq "a build step's chown holds inside" "1000:1000 /www/index.html" "$OUT"

# --- run, exec, ports ---------------------------------------------------------
docker run --rm busybox id -u
expect_eq "run --rm: root inside" "0" "$OUT"
docker run -d --name web -p "127.0.0.1:$PORT_WEB:80" h14r/web httpd -f -p 80 -h /www
[[ $RC -eq 0 ]] || not_ok "run -d -p: $(why)"
docker exec web cat /www/index.html
expect_eq "exec" "built-rootless" "$OUT"
docker top web
[[ $RC -eq 0 && $OUT == *"httpd -f -p 80"* ]] && ok "top without cgroups (the container's pid namespace)" || not_ok "top: $(why)"
body=$(wait_http "http://127.0.0.1:$PORT_WEB/")
expect_eq "-p $PORT_WEB:80 answered on the host's 127.0.0.1" "built-rootless" "$body"
docker port web 80/tcp
expect_eq "docker port" "127.0.0.1:$PORT_WEB" "$OUT"
capture python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', $PORT_WEB))"
[[ $RC -ne 0 ]] && ok "the published port is held on the host" || not_ok "port $PORT_WEB is free on the host"
docker rm -f web
capture curl -s --max-time 2 "http://127.0.0.1:$PORT_WEB/"
[[ $RC -ne 0 ]] && ok "removing the container closes the host port" || not_ok "host port still answers: $(why)"

# --- volumes and bind mounts --------------------------------------------------
docker volume create h14rvol
docker run --rm -v h14rvol:/data busybox sh -c 'echo kept >/data/f && chown 33:33 /data/f'
docker run --rm -v h14rvol:/data busybox sh -c 'cat /data/f; stat -c %u /data/f'
expect_eq "named volume" "kept|33" "$(printf '%s' "$OUT" | tr '\n' '|')"
docker run --rm -v "$T/bind:/out" busybox sh -c 'echo from-container >/out/f'
expect_eq "bind mount: the file is the user's on the host" "$RL_UID:$RL_GID" "$(stat -c %u:%g "$T/bind/f" 2>/dev/null)"

# --- user network with DNS ----------------------------------------------------
docker network create --subnet 10.221.7.0/24 -o com.docker.network.bridge.name=b14rnet h14rnet
[[ $RC -eq 0 ]] || not_ok "network create: $(why)"
docker run -d --name srv --network h14rnet h14r/web httpd -f -p 80 -h /www
docker run --rm --network h14rnet busybox wget -qO- http://srv/
expect_eq "user network: a container reached by name" "built-rootless" "$OUT"
docker rm -f srv
docker network rm h14rnet

# --- limits -------------------------------------------------------------------
docker run --rm --memory 64m busybox true
if [[ $RC -ne 0 && $ERR == *"--memory cannot be applied"*"cgroup v1"* ]]; then ok "--memory refused with the reason"
else not_ok "--memory on cgroup v1: $(why)"; fi
docker run --rm --pids-limit 10 busybox true
[[ $RC -ne 0 && $ERR == *"--pids-limit cannot be applied"* ]] && ok "--pids-limit refused" || not_ok "--pids-limit: $(why)"

# --- outbound to the host's loopback ------------------------------------------
mkdir -p "$T/www" && echo host-loopback >"$T/www/hello"
python3 -m http.server "$PORT_HOSTSRV" --bind 127.0.0.1 --directory "$T/www" >/dev/null 2>&1 &
HOSTSRV_PID=$!
for _ in $(seq 50); do curl -s --max-time 1 "http://127.0.0.1:$PORT_HOSTSRV/hello" >/dev/null && break; sleep 0.1; done
# pasta maps its gateway address (the host's, copied) to the host's loopback.
expect_eq "pasta copied the host's gateway" "$gw" "$(nsenter -t "$INNER_PID" -n ip -4 route show default | awk '{print $3; exit}')"
docker run --rm busybox wget -qO- "http://$gw:$PORT_HOSTSRV/hello"
expect_eq "outbound through pasta to the host's 127.0.0.1 (gateway $gw)" "host-loopback" "$OUT"

# --- a berthd restart: running containers keep their network and ports -------
# The namespaces (and pasta) belong to a holder process that outlives berthd;
# the restarted daemon joins them and publishes the ports again.
docker run -d --name keep -p "$PORT_KEEP:80" h14r/web httpd -f -p 80 -h /www
docker inspect -f '{{.State.Pid}}' keep
KEEP_PID=$OUT
body=$(wait_http "http://127.0.0.1:$PORT_KEEP/")
expect_eq "restart: -p $PORT_KEEP:80 answers before" "built-rootless" "$body"
kill -TERM "$OUTER_PID"
wait "$OUTER_PID" 2>/dev/null
OUTER_PID=''
check "restart: the container runs on without berthd" "pid $KEEP_PID is gone" kill -0 "$KEEP_PID"
start_rootless --insecure-registry "$gw:$PORT_REGISTRY"
grep -q 'joining the namespaces of the berthd before' "$T/berthd.log" && ok "restart: berthd joined the namespaces it had" ||
  not_ok "restart: berthd did not join the holder's namespaces"
docker inspect -f '{{.State.Running}} {{.State.Pid}}' keep
expect_eq "restart: the container is restored, same process" "true $KEEP_PID" "$OUT"
body=$(wait_http "http://127.0.0.1:$PORT_KEEP/")
expect_eq "restart: -p $PORT_KEEP:80 answers again" "built-rootless" "$body"
docker exec keep wget -qO- "http://$gw:$PORT_HOSTSRV/hello"
expect_eq "restart: the container still reaches the host (its network was kept)" "host-loopback" "$OUT"
docker run --rm busybox wget -qO- "http://$gw:$PORT_HOSTSRV/hello"
expect_eq "restart: a new container reaches the host too" "host-loopback" "$OUT"
docker rm -f keep

# --- pull through the registry client ----------------------------------------
# A registry on the host's 127.0.0.1, reached from berthd's namespace through
# pasta's gateway address (mapped to the host's loopback): push, forget, pull.
REG=$T/registry
"$REGISTRY_SH" start --dir "$REG" --port "$PORT_REGISTRY" >/dev/null || die "registry.sh start failed"
docker tag h14r/web "$gw:$PORT_REGISTRY/h14r/web:1"
docker push -q "$gw:$PORT_REGISTRY/h14r/web:1"
[[ $RC -eq 0 ]] && ok "push to a registry on the host's loopback" || not_ok "push: $(why)"
docker rmi "$gw:$PORT_REGISTRY/h14r/web:1" h14r/web
docker pull -q "$gw:$PORT_REGISTRY/h14r/web:1"
[[ $RC -eq 0 ]] && ok "pull" || not_ok "pull: $(why)"
docker run --rm "$gw:$PORT_REGISTRY/h14r/web:1" stat -c '%u:%g %s' /www/index.html
expect_eq "a pulled image's layers unpacked with their ids" "1000:1000 15" "$OUT"
docker tag "$gw:$PORT_REGISTRY/h14r/web:1" h14r/web
"$REGISTRY_SH" stop --dir "$REG" --clean >/dev/null

# --- the berth CLI finds the rootless socket ----------------------------------
BERTH=$T/bin/berth
if [[ -x "$BERTH" ]]; then
  capture "${AS_USER[@]}" "$BERTH" images --format '{{.Repository}}'
  [[ $RC -eq 0 && $OUT == *busybox* ]] && ok "berth CLI as the user finds \$XDG_RUNTIME_DIR/berth.sock" ||
    not_ok "berth CLI as the user: $(why)"
else
  not_ok "berth CLI not found next to $BERTHD"
fi

# --- slirp4netns --------------------------------------------------------------
stop_rootless
# Nothing runs any more: the holder ends, its socket with it (a new one is made below).
for _ in $(seq 100); do [[ -e "$T/run/berth/ns.sock" ]] || break; sleep 0.1; done
[[ ! -e "$T/run/berth/ns.sock" ]] && ok "the namespace holder ends with the last daemon when no container runs" ||
  not_ok "the namespace holder is still there with nothing running"
start_rootless --rootless-network slirp4netns
[[ -n $(nsenter -t "$INNER_PID" -n ip -o link show tap0 2>/dev/null) ]] && ok "slirp4netns's tap0 in the daemon's namespace" ||
  not_ok "no tap0 with --rootless-network slirp4netns"
docker run --rm busybox wget -qO- "http://10.0.2.2:$PORT_HOSTSRV/hello"
expect_eq "outbound through slirp4netns to the host's 127.0.0.1" "host-loopback" "$OUT"
docker run -d --name web2 -p "$PORT_SLIRP:80" h14r/web httpd -f -p 80 -h /www
body=$(wait_http "http://127.0.0.1:$PORT_SLIRP/")
expect_eq "-p $PORT_SLIRP:80 with slirp4netns" "built-rootless" "$body"
docker rm -f web2
stop_rootless

# --- fuse-overlayfs -----------------------------------------------------------
# The kernel here takes overlay in a user namespace; BERTH_FUSE_OVERLAYFS=1 makes
# berthd use the fallback it picks where the kernel refuses, on the same layers.
AS_USER+=(BERTH_FUSE_OVERLAYFS=1)
start_rootless
docker run -d --name fused h14r/web sh -c 'echo written >/www/new && exec sleep 600'
[[ $RC -eq 0 ]] || not_ok "run with fuse-overlayfs: $(why)"
docker exec fused cat /www/index.html /www/new
expect_eq "fuse-overlayfs: lower layers and the upper dir" "built-rootless|written" "$(printf '%s' "$OUT" | tr '\n' '|')"
grep -q " fuse.fuse-overlayfs " "/proc/$INNER_PID/mountinfo" && ok "the container's root is a fuse-overlayfs mount" ||
  not_ok "no fuse-overlayfs mount in berthd's mount namespace"
docker rm -f fused
grep -q " fuse.fuse-overlayfs " "/proc/$INNER_PID/mountinfo" && not_ok "fuse-overlayfs mount left after rm" ||
  ok "rm unmounts fuse-overlayfs"
stop_rootless
exit 0
