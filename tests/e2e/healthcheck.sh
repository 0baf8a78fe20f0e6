#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.healthcheck: Docker's healthchecks through the real docker CLI 28 against
# a test berthd: an image's HEALTHCHECK (built by the legacy builder), the
# --health-* flags, healthy -> unhealthy when the file a probe checks goes,
# the start period, a probe over its timeout, --no-healthcheck, `docker ps`'s
# status text and its health filter, the health_status and exec_* events,
# pause, a berthd restart that keeps probing, and berth's on-unhealthy restart
# (policy and label).
#
# Probes run every 100-200 ms. Nothing is ordered by sleeping: each step waits
# (bounded) for the state it needs in inspect or the events log; the one sleep
# is the window in which a paused container must not be probed.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/healthcheck.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="healthcheck e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-20}
BUDGET=${E2E_BUDGET:-240}  # about 45 s on a quiet machine; more under a parallel build
BERTH=${BERTH:-}
[[ -x "$BERTH" ]] || { echo "not ok - prerequisite missing: BERTH (the berth CLI)"; exit 1; }
e2e_init healthcheck
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"
RUN=(run --pull never -d)
# A container that keeps running and stops at once on SIGTERM.
IDLE=(sh -c 'trap "exit 0" TERM; sleep 1000 & wait')
EVENTS_PID=''

# wait_for SECONDS CMD...: CMD every 0.05 s until it succeeds (0) or SECONDS pass (1).
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.05; done
}
health_is() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1"; [[ $OUT == "$2" ]]; }
# wait_health NAME STATUS: within 20 s, else a failed check with what inspect says.
wait_health() {
  if wait_for 20 health_is "$1" "$2"; then ok "$1 turns $2"; return 0; fi
  docker inspect -f '{{json .State.Health}}' "$1"
  not_ok "$1 turns $2: State.Health is $OUT"
  return 1
}
event_seen() { grep -qxF -- "$1" "$T/events.log"; }
wait_event() {
  if wait_for 20 event_seen "$1"; then ok "event: $1"; else not_ok "event '$1' not seen: $(tail -n 5 "$T/events.log" | tr '\n' '|')"; fi
}
stop_events() {
  if [[ -n "$EVENTS_PID" ]]; then
    kill "$EVENTS_PID" 2>/dev/null || true
    wait "$EVENTS_PID" 2>/dev/null || true
  fi
  EVENTS_PID=''
}
follow_events() {
  "$DOCKER_CLI" events --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}}' >>"$T/events.log" 2>&1 &
  EVENTS_PID=$!
  # The follower is listening once a probe event of a container created now reaches it.
  wait_for 10 test -e "$T/events.log" || true
}
keep_rc() { return "$1"; }
trap 'rc_=$?; stop_events; keep_rc "$rc_"; e2e_cleanup' EXIT
touch "$T/events.log"
follow_events

# --- an image's HEALTHCHECK, built by the legacy builder
mkdir -p "$T/ctx"
cat >"$T/ctx/Dockerfile" <<'DOCKERFILE'
FROM busybox:latest
HEALTHCHECK --interval=150ms --timeout=5s --retries=2 CMD test -f /tmp/healthy || exit 1
CMD ["sh", "-c", "touch /tmp/healthy; trap 'exit 0' TERM; sleep 1000 & wait"]
DOCKERFILE
DOCKER_BUILDKIT=0 capture "$DOCKER_CLI" build -q -t hc-image:latest "$T/ctx"
[[ $RC -eq 0 ]] || die "docker build of the HEALTHCHECK image failed: $(why)"
docker "${RUN[@]}" --name img-hc hc-image:latest
[[ $RC -eq 0 ]] || die "run of the HEALTHCHECK image failed: $(why)"
docker inspect -f '{{json .Config.Healthcheck}}' img-hc
expect_eq "the image's HEALTHCHECK is the container's" \
  '{"Test":["CMD-SHELL","test -f /tmp/healthy || exit 1"],"Interval":150000000,"Timeout":5000000000,"Retries":2}' "$OUT"
wait_health img-hc healthy
wait_event "health_status: healthy img-hc"
wait_event "exec_create: /bin/sh -c test -f /tmp/healthy || exit 1 img-hc"
wait_event "exec_start: /bin/sh -c test -f /tmp/healthy || exit 1 img-hc"
wait_event "exec_die img-hc"
docker ps --filter name=img-hc --format '{{.Status}}'
expect_match "docker ps shows (healthy)" '^Up .* \(healthy\)$' "$OUT"
docker ps --filter health=healthy --format '{{.Names}}'
expect_eq "--filter health=healthy lists it" "img-hc" "$OUT"
docker inspect -f '{{json (index .State.Health.Log 0)}}' img-hc
expect_match "the Health log has Docker's fields" \
  '^\{"Start":"[0-9]{4}-[0-9-]+T[0-9:.]+Z","End":"[0-9]{4}-[0-9-]+T[0-9:.]+Z","ExitCode":0,"Output":""\}$' "$OUT"

# --- healthy -> unhealthy: the file the probe checks goes
docker exec img-hc rm /tmp/healthy
[[ $RC -eq 0 ]] || not_ok "exec rm failed: $(why)"
wait_health img-hc unhealthy
wait_event "health_status: unhealthy img-hc"
docker inspect -f '{{.State.Health.FailingStreak}} {{len .State.Health.Log}}' img-hc
read -r streak loglen <<<"$OUT"
check "unhealthy after retries failures, at most 5 results kept" "streak '$streak', log '$loglen'" \
  test "${streak:-0}" -ge 2 -a "${loglen:-0}" -le 5 -a "${loglen:-0}" -ge 2
docker inspect -f '{{json .State.Health.Log}}' img-hc
expect_match "the failures' exit code is the probe's" '"ExitCode":1' "$OUT"
docker ps --filter name=img-hc --format '{{.Status}}'
expect_match "docker ps shows (unhealthy)" '^Up .* \(unhealthy\)$' "$OUT"
docker ps --filter health=unhealthy --format '{{.Names}}'
expect_eq "--filter health=unhealthy lists it" "img-hc" "$OUT"

# --- --health-* flags, the start period (failures do not count) and start interval
# (The docker CLI 28 sends --health-start-interval only to API 1.44 daemons; berthd is 1.41,
# so this container comes from berth's own CLI, which sends it.)
capture "$BERTH" run --pull never -d --name flags --health-cmd 'cat /tmp/ready' \
  --health-interval 150ms --health-retries 1 --health-start-period 60s --health-start-interval 100ms \
  busybox:latest "${IDLE[@]}"
[[ $RC -eq 0 ]] || die "berth run with --health-* flags failed: $(why)"
docker inspect -f '{{json .Config.Healthcheck}}' flags
expect_eq "the flags make Config.Healthcheck" \
  '{"Test":["CMD-SHELL","cat /tmp/ready"],"Interval":150000000,"StartPeriod":60000000000,"StartInterval":100000000,"Retries":1}' "$OUT"
log_at_least() { docker inspect -f '{{len .State.Health.Log}}' "$1"; [[ $OUT =~ ^[0-9]+$ ]] && ((OUT >= $2)); }
wait_for 20 log_at_least flags 3 || not_ok "flags: fewer than 3 probes in 20 s"
docker inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}}' flags
expect_eq "failures in the start period leave it starting, streak 0" "starting 0" "$OUT"
docker ps --filter name=flags --format '{{.Status}}'
expect_match "docker ps shows (health: starting)" '^Up .* \(health: starting\)$' "$OUT"
docker ps --filter health=starting --format '{{.Names}}'
expect_eq "--filter health=starting lists it" "flags" "$OUT"
docker exec flags sh -c 'echo ready >/tmp/ready'
wait_health flags healthy
docker inspect -f '{{json .State.Health.Log}}' flags
expect_match "the probe's output is kept" '"Output":"ready\\n"' "$OUT"

# --- a probe over its timeout
docker "${RUN[@]}" --name slow --health-cmd 'sleep 10' --health-timeout 300ms --health-interval 100ms \
  --health-retries 1 busybox:latest "${IDLE[@]}"
[[ $RC -eq 0 ]] || die "run of the slow probe failed: $(why)"
wait_health slow unhealthy
docker inspect -f '{{with index .State.Health.Log 0}}{{.ExitCode}}|{{.Output}}{{end}}' slow
expect_eq "a probe over its timeout: ExitCode -1 and Docker's text" "-1|Health check exceeded timeout (300ms)" "$OUT"
docker rm -f slow
[[ $RC -eq 0 ]] || not_ok "rm -f slow: $(why)"

# --- --no-healthcheck, the none filter, refused values
docker "${RUN[@]}" --name nohc --no-healthcheck hc-image:latest
[[ $RC -eq 0 ]] || die "run --no-healthcheck failed: $(why)"
docker inspect -f '{{json .State.Health}} {{json .Config.Healthcheck.Test}}' nohc
expect_eq "--no-healthcheck: no State.Health, Test NONE" 'null ["NONE"]' "$OUT"
docker ps --filter health=none --format '{{.Names}}'
expect_eq "--filter health=none lists only it" "nohc" "$OUT"
docker ps --filter health=bogus
check "a bad health filter is refused in Docker's words" "$(why)" \
  grep -q 'Unrecognised filter value for health: bogus' <<<"$ERR"
docker create --pull never --health-cmd true --health-interval 500us busybox:latest true
check "an interval under 1ms is refused in Docker's words" "$(why)" \
  grep -q 'Interval in Healthcheck cannot be less than 1ms' <<<"$ERR"
docker rm -f nohc >/dev/null

# --- pause: no probes while paused, probing again after unpause
docker pause flags
[[ $RC -eq 0 ]] || not_ok "pause: $(why)"
wait_event "pause flags"  # events come in order: every probe event before the pause is in the log
before=$(grep -c '^exec_create: .* flags$' "$T/events.log" || true)
sleep 0.6  # the window (4 start intervals) in which no probe may start
after=$(grep -c '^exec_create: .* flags$' "$T/events.log" || true)
expect_eq "a paused container is not probed" "$before" "$after"
docker unpause flags
more_probes() { (($(grep -c '^exec_create: .* flags$' "$T/events.log" || true) > after)); }
check "probes start again after unpause" "no exec_create after unpause" wait_for 20 more_probes

# --- berthd restarts: a running healthchecked container keeps being probed
stop_events
stop_berthd
start_berthd
follow_events
docker inspect -f '{{.State.Health.Status}}' flags
expect_eq "the health survives a berthd restart" "healthy" "$OUT"
docker exec flags rm /tmp/ready
wait_health flags unhealthy
docker rm -f flags >/dev/null

# --- berth's on-unhealthy restart: the policy through the docker CLI, and the label
docker "${RUN[@]}" --name heal --restart on-unhealthy:3 --health-cmd 'test -f /tmp/ok' --health-interval 100ms \
  --health-retries 1 busybox:latest sh -c 'touch /tmp/ok; trap "exit 0" TERM; sleep 1000 & wait'
if [[ $RC -ne 0 ]]; then
  not_ok "docker run --restart on-unhealthy:3: $(why)"
else
  docker inspect -f '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' heal
  expect_eq "the docker CLI passes on-unhealthy through" "on-unhealthy:3" "$OUT"
  wait_health heal healthy
  docker exec heal rm /tmp/ok
  wait_event "health_status: unhealthy heal"
  wait_event "restart heal"
  restarted() { docker inspect -f '{{.RestartCount}} {{.State.Running}}' heal; [[ $OUT == "1 true" ]]; }
  check "an unhealthy container is restarted (RestartCount 1, running)" "$(why)" wait_for 20 restarted
  wait_health heal healthy
  check "berthd logs the restart" "no restart line in its log" grep -q "is unhealthy: restarting it" "$T/berthd.log"
fi
docker "${RUN[@]}" --name heal-label --label org.berth.restart-on-unhealthy=true --health-cmd 'test -f /tmp/ok' \
  --health-interval 100ms --health-retries 1 busybox:latest sh -c 'touch /tmp/ok; trap "exit 0" TERM; sleep 1000 & wait'
[[ $RC -eq 0 ]] || die "run with the on-unhealthy label failed: $(why)"
wait_health heal-label healthy
docker exec heal-label rm /tmp/ok
wait_event "restart heal-label"
wait_health heal-label healthy
docker inspect -f '{{.RestartCount}}' heal-label
expect_eq "the label restarts it too" "1" "$OUT"

# --- removal leaves no probe behind
docker rm -f img-hc heal heal-label
[[ $RC -eq 0 ]] || not_ok "rm -f: $(why)"
no_shims() { [[ -z "$(pids_under "$T/exec/")" ]]; }
check "no shim (container or probe) is left after removal" "$(pids_under "$T/exec/" | tr '\n' ' ')" \
  wait_for 10 no_shims
