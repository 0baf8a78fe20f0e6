#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.registry_resume: a pull killed mid-layer continues where it stopped. The real
# Docker CLI 28 pulls through berthd from Debian's docker-registry on 127.0.0.1, with a
# relay (lib/gated_relay.py) in front that holds the layer's bytes a third of the way in
# and says so through a FIFO: then berthd is killed with SIGKILL. The partial layer stays
# in the content store's ingest; a restarted berthd's pull asks the registry for the rest
# only (a ranged GET: 206 in the registry's log) and the image is whole and runs. Then a
# client killed mid-layer: berthd finishes that download, and the client's next pull gets
# the image without the layer being fetched a second time.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/registry_resume.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="registry resume e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
FIXTURES=$(cd "$HERE/../fixtures" && pwd)
need_cmd skopeo jq python3
e2e_init registry-resume
RELAY_PIDS=() PULL_PID=''
stop_all_then_clean() {
  local rc=$? p
  set +e  # a failing stop must not skip e2e_cleanup (nor must `(exit $rc)` below)
  for p in $PULL_PID "${RELAY_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [[ -d $T/registry ]]; then "$FIXTURES/registry.sh" stop --dir "$T/registry" >/dev/null 2>&1 || true; fi
  (exit "$rc")
  e2e_cleanup
}
trap stop_all_then_clean EXIT
start_berthd

eval "$("$FIXTURES/registry.sh" start --dir "$T/registry" --port 0 | grep '^REGISTRY=')"
[[ -n ${REGISTRY:-} ]] || die "the registry did not start"
"$FIXTURES/registry-images.sh" --registry "$REGISTRY" --work "$T/images" >/dev/null || die "pushing the test images failed"
LAYER=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/test/busybox:v2s2" | jq -r '.layers[0].digest')
SIZE=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/test/busybox:v2s2" | jq -r '.layers[0].size')
ok "registry $REGISTRY is up; the layer is $LAYER, $SIZE bytes"

mkfifo "$T/held"
exec 7<>"$T/held"  # read-write: opening does not wait for the relay
# start_relay VAR: a relay holding a third of the way into a layer of SIZE bytes; its
# address in VAR, its pid in VAR_PID.
start_relay() {
  local port
  mkfifo "$T/$1.port"
  exec 8<>"$T/$1.port"  # the relay prints its port once it listens: wait for that line
  python3 "$HERE/lib/gated_relay.py" --upstream "$REGISTRY" --hold-after $((SIZE / 3)) --held "$T/held" \
    >"$T/$1.port" 2>>"$T/relay.log" &
  RELAY_PIDS+=("$!")
  printf -v "$1_PID" %s "$!"
  read -r -t 20 -u 8 port || die "the relay did not start: $(cat "$T/relay.log")"
  exec 8<&-
  printf -v "$1" %s "127.0.0.1:$port"
}
start_relay RELAYED

# --- a pull through the relay, held a third of the way into the layer, then kill -9 ---------
"$DOCKER_CLI" pull "$RELAYED/test/busybox:v2s2" >"$T/pull1.out" 2>&1 &
PULL_PID=$!
read -r -t 60 -u 7 _ || die "the relay never held the layer (pull output: $(cat "$T/pull1.out"))"
ok "the relay holds the layer a third of the way in"
INGEST=$T/data/content/ingest/ref-sha256-${LAYER#sha256:}
# berthd writes what the relay let through (a third of the blob, less the few KiB of the
# manifest and config that went first on the same connection) as it reads it: wait for it.
ingest_has_the_third() { [[ -f $INGEST ]] && (($(stat -c %s "$INGEST") >= SIZE / 3 - 16384)); }
deadline=$((SECONDS + 30))
until ingest_has_the_third || ((SECONDS > deadline)); do sleep 0.05; done
check "the partial layer is in the content store's ingest" "$(stat -c %s "$INGEST" 2>&1)" ingest_has_the_third
KPID=$BERTHD_PID
kill9_berthd
check "berthd ($KPID) is gone after kill -9" "still alive" eval '! kill -0 "$KPID" 2>/dev/null'
rc=0
wait "$PULL_PID" || rc=$?
PULL_PID=''
check "the interrupted docker pull fails" "exit $rc: $(cat "$T/pull1.out")" [ "$rc" -ne 0 ]
PARTIAL=$(stat -c %s "$INGEST")
check "the ingest keeps what arrived (a part, not all)" "$PARTIAL of $SIZE bytes" \
  [ "$PARTIAL" -gt 0 -a "$PARTIAL" -lt "$SIZE" ]
check "no image was recorded" "it was" eval '! "$DOCKER_CLI" image inspect "$RELAYED/test/busybox:v2s2" >/dev/null 2>&1'

# --- a new berthd pulls the same layer: only the rest is fetched --------------------------------
start_berthd
ok "berthd restarts on the same data-root"
docker pull "$REGISTRY/test/busybox:v2s2"
expect_eq "docker pull after the restart: exit 0" 0 "$RC"
expect_match "docker pull after the restart: the layer is complete" "[0-9a-f]{12}: Pull complete" "$OUT"
check "the registry served the rest of the layer (a ranged GET answered 206)" \
  "$(grep -c "blobs/$LAYER" "$T/registry/registry.log") GETs of the layer, none 206" \
  grep -qE "GET /v2/test/busybox/blobs/$LAYER HTTP/1.1\" 206" "$T/registry/registry.log"
check "the ingest is gone once the blob is stored" "$INGEST is still there" [ ! -e "$INGEST" ]
docker run --rm --pull never "$REGISTRY/test/busybox:v2s2" echo resumed-and-ran
expect_eq "the resumed image runs" resumed-and-ran "$OUT"

# --- the client killed mid-layer: berthd finishes, nothing is fetched twice --------------------
ZSTD_LAYER=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/test/zstd:latest" | jq -r '.layers[0].digest')
start_relay RELAY2
"$DOCKER_CLI" pull "$RELAY2/test/zstd:latest" >"$T/pull2.out" 2>&1 &
PULL_PID=$!
read -r -t 60 -u 7 _ || die "the second relay never held the layer (pull output: $(cat "$T/pull2.out"))"
kill -9 "$PULL_PID"
wait "$PULL_PID" 2>/dev/null || true
PULL_PID=''
ok "the docker CLI was killed while the layer was held"
kill -USR1 "$RELAY2_PID"  # let the rest of the layer through
docker pull "$RELAY2/test/zstd:latest"
expect_eq "docker pull again after the killed client: exit 0" 0 "$RC"
check "berthd survived its client's kill" "it is gone" kill -0 "$BERTHD_PID"
FULL_GETS=$(grep -cE "GET /v2/test/zstd/blobs/$ZSTD_LAYER HTTP/1.1\" 200" "$T/registry/registry.log" || true)
expect_eq "the layer was fetched from the registry once" 1 "$FULL_GETS"
docker run --rm --pull never "$RELAY2/test/zstd:latest" echo pulled-after-client-kill
expect_eq "the image runs" pulled-after-client-kill "$OUT"

echo "# took $SECONDS s"
