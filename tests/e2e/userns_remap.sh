#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.userns_remap: berthd --userns-remap=USER:GROUP with the real docker CLI.
# A test-only user (berthremap-test-PID) gets a free 65536-id range in
# /etc/subuid and /etc/subgid for the run; both lines and the user are removed
# again, whatever happens (nobody else's lines are touched). Checked:
#   - docker info lists name=userns; the daemon refuses a user without ranges
#   - run/exec: root inside, the range's first id (B) outside; image files root's inside
#   - a named volume and a bind mount: what the container's root writes is B's on
#     the host, its uid 1000 is B+1000
#   - docker cp in and out, commit and export: the container's ids, never B+N
#   - build: RUN steps run remapped, their files keep the container's ids in the image
#   - --userns=host opts out; --privileged (and --network host) refused without it
#   - escapes: a root-owned host file bound in cannot be written; modules cannot be
#     loaded even with CAP_SYS_MODULE; other containers' processes are not visible
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/userns_remap.sh
# E2E_BRIDGE, E2E_NFT_TABLE, E2E_CGROUP_PARENT override the harness's names.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="userns-remap e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-30}
need_cmd useradd userdel python3
e2e_init userns_remap
BRIDGE=${E2E_BRIDGE:-$BRIDGE}
NFT_TABLE=${E2E_NFT_TABLE:-$NFT_TABLE}
CG_NAME=${E2E_CGROUP_PARENT:-$CG_NAME}
export DOCKER_BUILDKIT=0

TUSER="berthremap-test-$$"
remove_test_user() {
  local f
  for f in /etc/subuid /etc/subgid; do
    [[ -f $f ]] && grep -q "^$TUSER:" "$f" && sed -i "/^$TUSER:/d" "$f"
  done
  id "$TUSER" >/dev/null 2>&1 && userdel "$TUSER" >/dev/null 2>&1
  return 0
}
# The user goes first, then the harness's cleanup (which exits with the status).
trap 'rc=$?; set +e; remove_test_user; (exit $rc); e2e_cleanup' EXIT

useradd --system --user-group --no-create-home --shell /bin/false "$TUSER" || die "useradd $TUSER failed"
# The first 65536 ids free in both files, above everyone's ranges.
B=$(python3 - <<'PY'
import os
end = 100000
for f in ("/etc/subuid", "/etc/subgid"):
    if not os.path.exists(f):
        continue
    for line in open(f):
        p = line.strip().split(":")
        if len(p) == 3 and p[1].isdigit() and p[2].isdigit():
            end = max(end, int(p[1]) + int(p[2]))
print(end)
PY
)
[[ $B =~ ^[0-9]+$ ]] || die "no free id range found"

# Without ranges the daemon refuses to start, naming the file.
rm -f "$T/notify"; mkfifo "$T/notify"
"$BERTHD" --data-root "$T/data" --exec-root "$T/exec" -H "unix://$SOCK" --pidfile "$T/berthd.pid" \
  --config-file "$T/daemon.json" --cgroup-parent "$CG_NAME" --bridge "$BRIDGE" --firewall-table "$NFT_TABLE" \
  --userns-remap "$TUSER" --notify-fd 3 3>"$T/notify" >>"$T/refused.log" 2>&1 &
refused_pid=$!
read -r -t 30 line <"$T/notify" || true
wait "$refused_pid" || true
expect_match "a user without subordinate ids is refused at start" \
  "no subordinate uid ranges found for user $TUSER in /etc/subuid" "${line:-}"

echo "$TUSER:$B:65536" >>/etc/subuid
echo "$TUSER:$B:65536" >>/etc/subgid
# The remapped root must reach the bind sources under the data-root (dockerd
# makes its root 0711 for the same reason); mktemp made T 0700.
chmod 0711 "$T"
echo "{\"userns-remap\": \"$TUSER:$TUSER\"}" >"$T/daemon.json"
start_berthd
ok "berthd is up with userns-remap $TUSER ($B, 65536 ids)"
import_busybox busybox:latest
RUN=(run --pull never)

docker info -f '{{json .SecurityOptions}}'
expect_match "docker info lists name=userns" '"name=userns"' "$OUT"

# --- run, exec ---
docker "${RUN[@]}" --rm busybox:latest sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map'
expect_eq "run: root inside, mapped to the range" "$(printf '0\n         0 %10d      65536\n         0 %10d      65536' "$B" "$B")" "$OUT"
docker "${RUN[@]}" -d --name e2e-sleeper busybox:latest sleep 31415
[[ $RC -eq 0 ]] || die "run -d failed: $(why)"
docker inspect -f '{{.State.Pid}}' e2e-sleeper
SPID=$OUT
expect_eq "the container's root is uid B on the host" "$B $B" "$(stat -c '%u %g' "/proc/$SPID")"
docker exec e2e-sleeper id
expect_match "exec: root inside" '^uid=0\(root\) gid=0\(root\)' "$OUT"
docker exec e2e-sleeper ls -ln /bin/busybox
expect_match "exec: the image's files are root's inside" '^-[rwxs-]{9} +1 +0 +0 ' "$OUT"
docker exec e2e-sleeper sh -c 'touch /made-by-exec && chown 1000:1000 /made-by-exec && ls -ln /made-by-exec'
expect_match "exec: chown to 1000 inside" ' 1000 +1000 ' "$OUT"
expect_eq "the host sees B+1000 through the container's root" "$((B + 1000)) $((B + 1000))" \
  "$(stat -c '%u %g' "/proc/$SPID/root/made-by-exec")"

SLEEPER_HOSTNAME=$(cat "/proc/$SPID/root/etc/hostname")
docker "${RUN[@]}" --rm --network container:e2e-sleeper busybox:latest sh -c 'id -u; hostname'
expect_eq "--network container:NAME: remapped, with the other container's network and name" \
  "$(printf '0\n%s' "$SLEEPER_HOSTNAME")" "$OUT"

# --- escapes ---
check "the sleeper runs on the host" "no 'sleep 31415' process" bash -c "pgrep -f '^sleep 31415$' >/dev/null"
docker "${RUN[@]}" --rm busybox:latest sh -c 'ps -o args | grep -c "sleep 3141[5]"; ls /proc/'"$SPID"' 2>&1 | head -1'
expect_match "another container's processes are not visible (ps, /proc/PID)" '^0
(ls: )?/proc/[0-9]+: No such file or directory$' "$OUT"
echo "host secret" >"$T/root-file"
chmod 0644 "$T/root-file"
docker "${RUN[@]}" --rm -v "$T/root-file:/f" busybox:latest sh -c 'echo pwned >>/f; echo rc=$?; rm -f /f 2>&1; echo x > /f2; echo ok'
expect_match "the container's root cannot write a root-owned host file bound in" 'rc=1' "$OUT"
expect_eq "the host file is unchanged" "host secret" "$(cat "$T/root-file")"
# Loading a module takes CAP_SYS_MODULE in the host's user namespace, which
# the remapped root never has, whatever it is granted in its own. Without
# seccomp, so that the refusal is the kernel's capability check.
UNCONFINED=(--security-opt seccomp=unconfined)
if [[ -e /proc/modules ]]; then
  docker "${RUN[@]}" --rm --cap-add SYS_MODULE "${UNCONFINED[@]}" busybox:latest insmod /bin/busybox
  expect_match "modules cannot be loaded even with CAP_SYS_MODULE" 'Operation not permitted' "$ERR$OUT"
  docker "${RUN[@]}" --rm --userns=host --cap-add SYS_MODULE "${UNCONFINED[@]}" busybox:latest insmod /bin/busybox
  check "with --userns=host the same insmod gets past the permission check" "$(why)" \
    bash -c '[[ $RC -ne 0 && "$1" != *"Operation not permitted"* ]]' _ "$ERR$OUT"
else
  # This kernel has no module support (no /proc/modules): init_module is ENOSYS
  # for everyone. The capability rule itself is shown with swapoff, which the
  # kernel gates the same way (capable() in the host's user namespace, here
  # CAP_SYS_ADMIN): refused to the remapped root, reached by the host's.
  docker "${RUN[@]}" --rm --cap-add SYS_MODULE "${UNCONFINED[@]}" busybox:latest insmod /bin/busybox
  expect_match "modules cannot be loaded (this kernel has no module support)" 'kernel does not support requested operation' "$ERR$OUT"
  docker "${RUN[@]}" --rm --cap-add SYS_ADMIN "${UNCONFINED[@]}" busybox:latest swapoff /nonexistent
  expect_match "a host-namespace capability check refuses the remapped root even with the capability" \
    'Operation not permitted' "$ERR$OUT"
  docker "${RUN[@]}" --rm --userns=host --cap-add SYS_ADMIN "${UNCONFINED[@]}" busybox:latest swapoff /nonexistent
  expect_match "with --userns=host the same call gets past the capability check" 'No such file or directory' "$ERR$OUT"
fi

# The idmapped view of the image store shows it as the range's: only the
# host's root may reach it, so an escaped container root (uid B) cannot.
expect_eq "the store's idmapped view sits in a directory of the host root alone" "700 0" \
  "$(stat -c '%a %u' "$T/exec/userns-remap")"
capture setpriv --reuid="$B" --regid="$B" --clear-groups ls "$T/exec/userns-remap/snapshots"
expect_match "uid B cannot reach the store's idmapped view" 'Permission denied' "$ERR"

# --- volumes and binds ---
docker "${RUN[@]}" --rm -v e2e-vol:/data busybox:latest sh -c 'touch /data/by-root; touch /data/by-1000; chown 1000:1000 /data/by-1000; ls -lnd /data'
expect_match "a new named volume is the container root's inside" '^d[rwx-]{9} +[0-9]+ +0 +0 ' "$OUT"
docker volume inspect -f '{{.Mountpoint}}' e2e-vol
VOL=$OUT
expect_eq "named volume on the host: the directory is B's" "$B $B" "$(stat -c '%u %g' "$VOL")"
expect_eq "named volume on the host: root's file is B's" "$B $B" "$(stat -c '%u %g' "$VOL/by-root")"
expect_eq "named volume on the host: uid 1000's file is B+1000's" "$((B + 1000)) $((B + 1000))" \
  "$(stat -c '%u %g' "$VOL/by-1000")"
mkdir "$T/bind"
chown "$B:$B" "$T/bind"
docker "${RUN[@]}" --rm -v "$T/bind:/b" busybox:latest sh -c 'echo hi >/b/f && ls -ln /b/f'
expect_match "bind mount: the file is root's inside" ' 0 +0 ' "$OUT"
expect_eq "bind mount: the host sees uid B" "$B $B" "$(stat -c '%u %g' "$T/bind/f")"

# --- docker cp in and out ---
printf 'from the host\n' >"$T/cp-in"
chown 0:0 "$T/cp-in"
docker cp "$T/cp-in" e2e-sleeper:/tmp/cp-in
[[ $RC -eq 0 ]] || not_ok "docker cp in failed: $(why)"
docker exec e2e-sleeper ls -ln /tmp/cp-in
expect_match "cp in: root's inside" ' 0 +0 ' "$OUT"
expect_eq "cp in: B's on the host" "$B $B" "$(stat -c '%u %g' "/proc/$SPID/root/tmp/cp-in")"
docker cp e2e-sleeper:/made-by-exec "$T/cp-out.tar" 2>/dev/null || true
capture bash -c "'$DOCKER_CLI' cp e2e-sleeper:/made-by-exec - | tar -tvnf -"
expect_match "cp out: the tar has the container's ids (1000), not B+1000" '^-[rwx-]{9} 1000/1000 ' "$OUT"
docker stop -t 1 e2e-sleeper
docker cp e2e-sleeper:/tmp/cp-in "$T/cp-back"
expect_eq "cp out of a stopped container works" "from the host" "$(cat "$T/cp-back" 2>/dev/null)"

# --- commit, export ---
docker commit e2e-sleeper e2e/committed
[[ $RC -eq 0 ]] || not_ok "commit failed: $(why)"
docker "${RUN[@]}" --rm --userns=host e2e/committed ls -ln /made-by-exec /tmp/cp-in
expect_match "commit: the layer holds the container's ids (seen without remap)" ' 1000 +1000 .*/made-by-exec' "$OUT"
capture bash -c "'$DOCKER_CLI' export e2e-sleeper | tar -tvnf - made-by-exec bin/busybox"
expect_match "export: the container's ids" '1000/1000 .*made-by-exec' "$OUT"
expect_match "export: the image's root files are 0/0" '0/0 .*bin/busybox' "$OUT"

# --- build ---
mkdir -p "$T/ctx"
printf 'FROM busybox:latest\nRUN cat /proc/self/uid_map > /uid_map && touch /built && chown 7:7 /built\n' >"$T/ctx/Dockerfile"
docker build -q -t e2e/built "$T/ctx"
[[ $RC -eq 0 ]] || not_ok "build failed: $(why)"
docker "${RUN[@]}" --rm --userns=host e2e/built sh -c 'cat /uid_map; ls -ln /built'
expect_match "build: RUN ran in the remapped user namespace" "^ +0 +$B +65536" "$OUT"
expect_match "build: its files keep the container's ids in the image" ' 7 +7 .*/built' "$OUT"
# RUN --mount: a cache, a writable context and a secret are the remapped root's (or the uid= asked).
mkdir -p "$T/ctx-mounts" && echo from-context >"$T/ctx-mounts/c.txt" && echo s3cret >"$T/build-secret"
printf '%s\n' 'FROM busybox:latest' \
  'RUN --mount=type=cache,target=/cache sh -c "echo cached > /cache/x && cp /cache/x /from-cache"' \
  'RUN --mount=type=cache,id=u1000,target=/c1000,uid=1000,gid=1000 stat -c "%u %g" /c1000 > /c1000-owner' \
  'RUN --mount=type=bind,target=/ctx,rw sh -c "echo changed >> /ctx/c.txt && cp /ctx/c.txt /from-bind"' \
  'RUN --mount=type=secret,id=s,uid=1000 stat -c "%u" /run/secrets/s > /secret-owner' >"$T/ctx-mounts/Dockerfile"
# berth's own CLI: the docker CLI's legacy builder has no --secret.
BERTH_CLI=${BERTH:-$(dirname "$BERTHD")/../berth/berth}
capture "$BERTH_CLI" -H "unix://$SOCK" build -q -t e2e/mounts --secret id=s,src="$T/build-secret" "$T/ctx-mounts"
[[ $RC -eq 0 ]] || not_ok "build with RUN --mount under remap failed: $(why)"
docker "${RUN[@]}" --rm e2e/mounts cat /from-cache /c1000-owner /from-bind /secret-owner
expect_eq "build: RUN --mount cache, uid=, a writable context and a secret under remap" \
  "$(printf 'cached\n1000 1000\nfrom-context\nchanged\n1000')" "$OUT"

# --- opting out, refusals ---
docker "${RUN[@]}" --rm --userns=host busybox:latest cat /proc/self/uid_map
expect_match "--userns=host: the host's ids" '^ +0 +0 +4294967295$' "$OUT"
docker "${RUN[@]}" --rm --privileged busybox:latest true
expect_match "--privileged is refused under userns-remap" \
  'privileged mode is incompatible with user namespaces\.  You must run the container in the host namespace when running privileged mode' "$ERR"
docker "${RUN[@]}" --rm --network host busybox:latest true
expect_match "--network host is refused under userns-remap" "cannot share the host's network namespace when user namespaces are enabled" "$ERR"
docker "${RUN[@]}" --rm --privileged --userns=host busybox:latest cat /proc/self/uid_map
expect_match "--privileged --userns=host runs" '^ +0 +0 +4294967295$' "$OUT"
docker inspect -f '{{.HostConfig.UsernsMode}}' e2e-sleeper
expect_eq "inspect: UsernsMode empty for a remapped container" "" "$OUT"
