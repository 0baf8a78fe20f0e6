# Debian's dockerd 20.10 + containerd 1.6, started isolated under $T by the
# docker interop tests: own root, state, sockets, pidfile and cgroup parent,
# no bridge, no iptables, nothing pulled. Callers set T, CG_NAME, CTD_SOCK,
# DOCKER_CLI and CTD_PID='' DOCKERD_PID='' before sourcing.

created_ids() {
  timeout 10 "$DOCKER_CLI" events --since 0 --until "$(date +%s.%N)" \
    --filter type=container --filter event=create --format '{{.Actor.ID}}' 2>/dev/null | sort -u
}

# stop_pid PID NAME: TERM, wait up to 20 s, then KILL.
stop_pid() {
  local pid=$1 name=$2
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "cleanup: $name ($pid) ignored SIGTERM, killing it" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
}

# docker_cleanup RC LABEL: what every docker interop test does on exit.
docker_cleanup() {
  local rc=$1 label=$2
  set +e
  trap - EXIT INT TERM
  if ((rc != 0 || FAILS > 0)) && [[ -f "$T/dockerd.log" ]]; then
    echo "# last dockerd log lines:"; grep -v 'module=grpc' "$T/dockerd.log" | tail -n 15 | sed 's/^/#   /'
  fi
  local ids=()
  if [[ -n "$DOCKERD_PID" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    mapfile -t ids < <(created_ids)
    local all=()
    mapfile -t all < <(timeout 10 "$DOCKER_CLI" ps -aq 2>/dev/null)
    ((${#all[@]})) && timeout 20 "$DOCKER_CLI" rm -f "${all[@]}" >/dev/null 2>&1
  fi
  stop_pid "$DOCKERD_PID" dockerd
  stop_pid "$CTD_PID" containerd
  kill_procs_under "$T"              # shims (their command line names our containerd socket)
  remove_cgroups "$CG_NAME"
  local id
  for id in "${ids[@]}"; do          # shim sockets: /run/containerd/s/sha256(address/ns/id)
    rm -f "/run/containerd/s/$(printf '%s' "$CTD_SOCK/moby/$id" | sha256sum | cut -d' ' -f1)"
  done
  finish_cleanup "$rc" "$label"
}

# start_docker_daemons [extra dockerd flags...]: containerd, then dockerd on it.
start_docker_daemons() {
  mkdir -p "$T"/{containerd/root,containerd/state,tmp,data,exec,cli}
  cat >"$T/containerd/config.toml" <<EOF
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
# No CRI (no CNI, no networking), no /opt/containerd, no snapshotters we do not use.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CTD_SOCK"
[ttrpc]
  address = "$CTD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
  # The shims inherit TMPDIR: their exec process files and console sockets land in $T/tmp.
  TMPDIR="$T/tmp" containerd --config "$T/containerd/config.toml" >"$T/containerd.log" 2>&1 &
  CTD_PID=$!
  for _ in $(seq 100); do [[ -S "$CTD_SOCK" ]] && break; kill -0 "$CTD_PID" 2>/dev/null || break; sleep 0.1; done
  [[ -S "$CTD_SOCK" ]] || die "containerd did not start: $(tail -n 5 "$T/containerd.log")"

  # daemon.json: only what has no flag (the trust key would go to /etc/docker/key.json).
  cat >"$T/daemon.json" <<EOF
{ "deprecated-key-path": "$T/key.json" }
EOF
  export DOCKER_HOST="unix://$T/docker.sock" DOCKER_CONFIG="$T/cli"
  unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH DOCKER_API_VERSION
  TMPDIR="$T/tmp" dockerd --config-file "$T/daemon.json" --data-root "$T/data" --exec-root "$T/exec" \
    --pidfile "$T/dockerd.pid" -H "$DOCKER_HOST" --containerd "$CTD_SOCK" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false \
    --storage-driver overlay2 --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$CG_NAME" \
    "$@" >"$T/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 150); do
    "$DOCKER_CLI" version >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.2
  done
  "$DOCKER_CLI" version >/dev/null 2>&1 \
    || die "dockerd did not start: $(grep -v module=grpc "$T/dockerd.log" | tail -n 5)"
  echo "# dockerd $(dockerd --version | awk '{print $3}' | tr -d ,), containerd $(containerd --version | awk '{print $3}')," \
       "CLI $("$DOCKER_CLI" version -f '{{.Client.Version}}'), temp root $T"
}
