#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.berth_compose: `berth compose` drives a two-service project on berthd (isolated temp
# root, tests/e2e/lib/berthd.bash): a busybox httpd web service with a healthcheck and a
# named volume, and a client that depends on it. up -d (twice: same IDs; a changed env
# recreates only web; client waits for web's healthcheck), name resolution, exec (exit status), port + an HTTP fetch from the
# host, logs, ps, run --rm, --scale 3 then 1, stop/start/restart, down -v leaving nothing.
#
#   BERTHD=build/cmd/berthd/berthd BERTH=build/cmd/berth/berth bash tests/e2e/berth_compose.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/berthd.bash
source "$HERE/lib/berthd.bash"
E2E_LABEL="berth compose e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-30}

BERTH_CLI=${BERTH:-}
find_berth_cli() {
  local root c
  if [[ -n "$BERTH_CLI" ]]; then [[ -x "$BERTH_CLI" ]] || die "BERTH=$BERTH_CLI is not an executable"; return 0; fi
  root=$(cd "$HERE/../.." && pwd)
  for c in "$(dirname "$BERTHD")/../berth/berth" "$root"/build-lead/cmd/berth/berth "$root"/build/cmd/berth/berth; do
    [[ -x "$c" ]] && { BERTH_CLI=$c; return 0; }
  done
  die "prerequisite missing: the berth CLI (set BERTH=/path/to/berth or build the berth target)"
}

need_cmd curl docker-compose
e2e_init berth_compose
find_berth_cli
export BERTH_HOST="unix://$SOCK"
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"

P="$T/proj"
mkdir -p "$P"
cat >"$P/compose.yaml" <<'YAML'
services:
  web:
    image: busybox:latest
    command: httpd -f -p 80 -h /www
    init: true
    environment:
      GREETING: ${GREETING:-hello}
    volumes:
      - site:/www
    ports:
      - "127.0.0.1::80"
    healthcheck:
      test: ["CMD-SHELL", "netstat -ltn | grep -q :80"]
      interval: 1s
      timeout: 2s
      retries: 20
  client:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "echo client-ready; exec sleep 3600"]
    depends_on:
      web:
        condition: service_healthy
volumes:
  site: {}
YAML

bc() { capture "$BERTH_CLI" compose -f "$P/compose.yaml" -p e2ecompose "$@"; }
berth() { capture "$BERTH_CLI" "$@"; }
ids() { bc ps -aq; printf '%s' "$OUT" | sort | tr '\n' ' '; }
id_of() { berth inspect -f '{{.Id}}' "$1"; printf '%s' "$OUT"; }

# --- up -d -----------------------------------------------------------------------------------
bc up -d --wait
expect_eq "up -d --wait: exit status" 0 "$RC"
expect_match "up: the network is created" 'Network e2ecompose_default  Created' "$ERR"
expect_match "up: the volume is created" 'Volume e2ecompose_site  Created' "$ERR"
expect_match "up: web started" 'Container e2ecompose-web-1  Started' "$ERR"
expect_match "up: client started" 'Container e2ecompose-client-1  Started' "$ERR"
order=$(grep -nE 'e2ecompose-web-1  Healthy|e2ecompose-client-1  Creating' <<<"$ERR" | head -2 | cut -d: -f2- | tr '\n' '|')
expect_eq "up: service_healthy: client is created once web is healthy" " Container e2ecompose-web-1  Healthy| Container e2ecompose-client-1  Creating|" "$order"
berth inspect -f '{{.State.Health.Status}}' e2ecompose-web-1
expect_eq "up --wait: web is healthy" healthy "$OUT"
berth inspect -f '{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{index .Config.Labels "com.docker.compose.container-number"}} {{index .Config.Labels "com.docker.compose.oneoff"}}' e2ecompose-web-1
expect_eq "up: Compose v2's labels" "e2ecompose web 1 False" "$OUT"
web_id=$(id_of e2ecompose-web-1) client_id=$(id_of e2ecompose-client-1)

bc up -d
expect_eq "second up -d: exit status" 0 "$RC"
expect_match "second up -d: containers are running, not recreated" 'Container e2ecompose-web-1  Running' "$ERR"
expect_eq "second up -d: web keeps its ID" "$web_id" "$(id_of e2ecompose-web-1)"
expect_eq "second up -d: client keeps its ID" "$client_id" "$(id_of e2ecompose-client-1)"

GREETING=bye bc up -d
expect_eq "up -d with a changed env: exit status" 0 "$RC"
expect_match "changed env: web is recreated" 'Container e2ecompose-web-1  Recreated' "$ERR"
new_web=$(id_of e2ecompose-web-1)
check "changed env: web has a new ID" "still $web_id" test "$new_web" != "$web_id"
expect_eq "changed env: client keeps its ID" "$client_id" "$(id_of e2ecompose-client-1)"
berth exec e2ecompose-web-1 sh -c 'echo $GREETING'
expect_eq "changed env: the new web sees it" bye "$OUT"
GREETING=bye bc up -d
expect_eq "same env again: web keeps the recreated ID" "$new_web" "$(id_of e2ecompose-web-1)"
export GREETING=bye

# --- exec, names, ports ----------------------------------------------------------------------
bc exec -T web sh -c 'echo compose-page >/www/index.html'
expect_eq "exec: writes into the named volume" 0 "$RC"
bc exec -T web sh -c 'exit 3'
expect_eq "exec: the command's exit status is passed through" 3 "$RC"
bc exec -T client wget -q -O - http://web/index.html
expect_eq "client resolves web by its service name" compose-page "$OUT"
bc port web 80
expect_match "port web 80: 127.0.0.1:PORT" '^127\.0\.0\.1:[0-9]+$' "$OUT"
hostport=$OUT
OUT=$(curl -s --max-time 10 "http://$hostport/index.html" || true)
expect_eq "HTTP from the host through the published port" compose-page "$OUT"

# --- logs, ps --------------------------------------------------------------------------------
bc logs client
expect_match "logs: prefixed with the container's short name" '^client-1 +\| client-ready' "$OUT"
bc logs --no-log-prefix client
expect_eq "logs --no-log-prefix" client-ready "$OUT"
bc ps
expect_match "ps: header" '^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS' "$OUT"
expect_match "ps: web row with its port" 'e2ecompose-web-1 +busybox:latest .* web .*127\.0\.0\.1:[0-9]+->80/tcp' "$OUT"
bc ps --services
expect_eq "ps --services" "client${NL:=$'\n'}web" "$OUT"
bc ps --format json
expect_match "ps --format json: one object per line with Service" '"Service":"web"' "$OUT"
expect_eq "ps -q: two containers" 2 "$(bc ps -q; printf '%s\n' "$OUT" | grep -c .)"

# --- run --rm --------------------------------------------------------------------------------
bc run --rm -T client echo one-off
expect_eq "run --rm: output" one-off "$OUT"
expect_eq "run --rm: exit status" 0 "$RC"
bc run --rm -T --no-deps client sh -c 'exit 4'
expect_eq "run --rm: the command's exit status" 4 "$RC"
berth ps -a --filter label=com.docker.compose.oneoff=True -q
expect_eq "run --rm: no one-off container is left" "" "$OUT"

# --- scale -----------------------------------------------------------------------------------
bc up -d --scale web=3
expect_eq "up --scale web=3: exit status" 0 "$RC"
bc ps -q web
expect_eq "scale 3: three web containers" 3 "$(printf '%s\n' "$OUT" | grep -c .)"
check "scale 3: numbered 2 and 3" "$(why)" berth inspect e2ecompose-web-2 e2ecompose-web-3
expect_eq "scale 3: web-1 kept" "$new_web" "$(id_of e2ecompose-web-1)"
bc up -d --scale web=1
bc ps -aq web
expect_eq "scale 1: one web container" 1 "$(printf '%s\n' "$OUT" | grep -c .)"
expect_eq "scale 1: web-1 is the one kept" "$new_web" "$(id_of e2ecompose-web-1)"
bc scale web=2
expect_eq "scale web=2: exit status" 0 "$RC"
bc ps -q web
expect_eq "scale web=2: two web containers running" 2 "$(printf '%s\n' "$OUT" | grep -c .)"
expect_eq "scale web=2: web-1 kept" "$new_web" "$(id_of e2ecompose-web-1)"
bc scale web=1
bc ps -aq web
expect_eq "scale web=1: one web container" 1 "$(printf '%s\n' "$OUT" | grep -c .)"
bc scale web
expect_eq "scale without =N: refused" 1 "$RC"
expect_match "scale without =N: the argument is named" 'invalid scale specifier "web": expected SERVICE=NUM' "$ERR"

# --- stop / start / restart ------------------------------------------------------------------
bc stop
expect_eq "stop: exit status" 0 "$RC"
bc ps -q
expect_eq "stop: nothing running" "" "$OUT"
bc ps -a --format json
expect_match "stop: containers exited" '"State":"exited"' "$OUT"
bc start
expect_eq "start: exit status" 0 "$RC"
bc ps -q
expect_eq "start: both running again" 2 "$(printf '%s\n' "$OUT" | grep -c .)"
bc restart -t 2
expect_eq "restart: exit status" 0 "$RC"
expect_eq "restart: same container" "$new_web" "$(id_of e2ecompose-web-1)"
berth inspect -f '{{.State.Running}}' e2ecompose-client-1
expect_eq "restart: client running" true "$OUT"

# --- pause / unpause, ls, version ------------------------------------------------------------
bc pause web
expect_eq "pause web: exit status" 0 "$RC"
expect_match "pause: Compose v2's progress line" 'Container e2ecompose-web-1  Paused' "$ERR"
berth inspect -f '{{.State.Status}}' e2ecompose-web-1
expect_eq "pause: web is paused" paused "$OUT"
capture "$BERTH_CLI" compose ls
expect_match "ls: the project with its states and file" "^NAME +STATUS +CONFIG FILES${NL}e2ecompose +paused\\(1\\), running\\(1\\) +$P/compose.yaml\$" "$OUT"
bc unpause
expect_match "unpause: Compose v2's progress line" 'Container e2ecompose-web-1  Unpaused' "$ERR"
berth inspect -f '{{.State.Status}}' e2ecompose-web-1
expect_eq "unpause: web runs again" running "$OUT"
capture "$BERTH_CLI" compose ls --format json --filter name=^e2ecomp
expect_eq "ls --format json --filter name=" "[{\"Name\":\"e2ecompose\",\"Status\":\"running(2)\",\"ConfigFiles\":\"$P/compose.yaml\"}]" "$OUT"
capture "$BERTH_CLI" compose ls -q --filter name=nosuch
expect_eq "ls -q with a filter nothing matches" "" "$OUT"
echo compose-cp >"$T/cp-in.txt"
bc cp "$T/cp-in.txt" web:/tmp/cp-in.txt
expect_match "cp to a service: each of its containers" 'Container e2ecompose-web-1  Copied' "$ERR"
berth exec e2ecompose-web-1 cat /tmp/cp-in.txt
expect_eq "cp to a service: the file is in the container" compose-cp "$OUT"
bc cp --index 1 web:/tmp/cp-in.txt "$T/cp-out.txt"
expect_eq "cp from a service: exit status" 0 "$RC"
expect_eq "cp from a service: the file is copied back" compose-cp "$(cat "$T/cp-out.txt" 2>&1)"
bc cp "$T/cp-in.txt" nope:/tmp/
expect_match "cp to an unknown service: named" 'no such service: nope' "$ERR"
# attach: the client's output reaches the attached CLI, whose exit status is the container's.
since=$(date +%s)
coproc ATTACHED { exec "$BERTH_CLI" events --since "$since" --filter container=e2ecompose-client-1 --filter event=attach --format '{{.Action}}'; }
"$BERTH_CLI" compose -f "$P/compose.yaml" -p e2ecompose attach --no-stdin client >"$T/attach.out" 2>&1 &
attach_pid=$!
line=''
read -r -t 20 line <&"${ATTACHED[0]}" || true
kill "$ATTACHED_PID" 2>/dev/null || true
expect_eq "attach: the daemon says the client is attached (an attach event)" attach "$line"
berth exec e2ecompose-client-1 sh -c 'echo via-attach >/proc/1/fd/1'
berth kill e2ecompose-client-1
attach_rc=0
wait "$attach_pid" || attach_rc=$?
expect_eq "attach: its exit status is the container's" 137 "$attach_rc"
expect_match "attach: the container's output reached it" via-attach "$(cat "$T/attach.out")"
bc start client
# wait: the first container to stop gives its exit status (before or after wait looks: the same).
"$BERTH_CLI" compose -f "$P/compose.yaml" -p e2ecompose wait client web >/dev/null 2>&1 &
wait_pid=$!
berth kill e2ecompose-client-1
wait_rc=0
wait "$wait_pid" || wait_rc=$?
expect_eq "wait: the exit status of the first container to stop" 137 "$wait_rc"
bc start client
bc attach --index 7 client
expect_match "attach --index with no such container: named" 'service "client" has no container with index 7' "$ERR"
capture "$BERTH_CLI" compose version --short
expect_match "version --short: Compose v2's release berth implements" '^2\.[0-9]+\.[0-9]+$' "$OUT"

# --- errors name the service -----------------------------------------------------------------
bc logs nope
expect_match "unknown service: Compose v2's words" 'no such service: nope' "$ERR"

# --- attached up: logs until the containers exit; Ctrl-C stops them -------------------------
A="$T/attached"
mkdir -p "$A"
cat >"$A/compose.yaml" <<'YAML'
services:
  once:
    image: busybox:latest
    command: ["echo", "hello from once"]
YAML
capture "$BERTH_CLI" compose -f "$A/compose.yaml" -p e2eattached up
expect_eq "attached up: returns when the containers exit" 0 "$RC"
expect_match "attached up: Attaching to" 'Attaching to once-1' "$OUT"
expect_match "attached up: the log line, prefixed" 'once-1 +\| hello from once' "$OUT"
expect_match "attached up: the exit is announced" 'once-1 exited with code 0' "$OUT"
cat >"$A/compose.yaml" <<'YAML'
services:
  loop:
    image: busybox:latest
    init: true
    command: ["sh", "-c", "echo looping; exec sleep 3600"]
YAML
"$BERTH_CLI" compose -f "$A/compose.yaml" -p e2eattached up >"$A/up.out" 2>"$A/up.err" &
up_pid=$!
for _ in $(seq 300); do grep -q looping "$A/up.out" 2>/dev/null && break; kill -0 "$up_pid" 2>/dev/null || break; sleep 0.1; done
check "attached up: the service's log line arrives" "$(cat "$A/up.out" "$A/up.err" | tr '\n' '|')" grep -q looping "$A/up.out"
kill -INT "$up_pid" 2>/dev/null || true
up_rc=0
wait "$up_pid" || up_rc=$?
expect_eq "attached up: Ctrl-C stops the project, exit status 130" 130 "$up_rc"
expect_match "attached up: Gracefully stopping" 'Gracefully stopping' "$(cat "$A/up.err")"
berth inspect -f '{{.State.Status}}' e2eattached-loop-1
expect_eq "attached up: the container is stopped" exited "$OUT"
capture "$BERTH_CLI" compose -f "$A/compose.yaml" -p e2eattached down --remove-orphans
expect_eq "attached project: down" 0 "$RC"

# --- depends_on: service_completed_successfully waits for the exit (events, not polling) -----
cat >"$A/deps.yaml" <<'YAML'
services:
  init:
    image: busybox:latest
    command: ["sh", "-c", "sleep 1; echo init-done; exit ${INIT_STATUS:-0}"]
  app:
    image: busybox:latest
    command: ["echo", "app-ran"]
    depends_on:
      init: {condition: service_completed_successfully}
YAML
capture "$BERTH_CLI" compose -f "$A/deps.yaml" -p e2edeps up -d
expect_eq "completed_successfully: up -d" 0 "$RC"
order=$(grep -nE 'e2edeps-init-1  Exited|e2edeps-app-1  Creating' <<<"$ERR" | cut -d: -f2- | tr '\n' '|')
expect_eq "completed_successfully: app is created after init exited" " Container e2edeps-init-1  Exited| Container e2edeps-app-1  Creating|" "$order"
INIT_STATUS=3 capture "$BERTH_CLI" compose -f "$A/deps.yaml" -p e2edeps up -d --force-recreate
expect_eq "completed_successfully: a failed dependency fails up" 1 "$RC"
expect_match "completed_successfully: Compose v2's words" 'service "init" didn.t complete successfully: exit 3' "$ERR"
capture "$BERTH_CLI" compose -f "$A/deps.yaml" -p e2edeps down
expect_eq "deps project: down" 0 "$RC"

# --- top, images, kill, rm -------------------------------------------------------------------
bc top web
expect_match "top: web's processes" 'httpd' "$OUT"
bc images
expect_match "images: the image of each container" 'e2ecompose-web-1 +busybox +latest' "$OUT"
bc kill -s SIGKILL client
expect_eq "kill: exit status" 0 "$RC"
# kill returns once the signal is sent (as Docker's); the exit is recorded after it.
berth wait e2ecompose-client-1
expect_eq "kill -s SIGKILL: the client's exit status" 137 "$OUT"
berth inspect -f '{{.State.Status}}' e2ecompose-client-1
expect_eq "kill -s SIGKILL: client exited" exited "$OUT"
bc rm -f client
expect_eq "rm -f: exit status" 0 "$RC"
berth inspect e2ecompose-client-1
expect_eq "rm -f: the stopped client is gone" 1 "$RC"
bc up -d
berth inspect -f '{{.State.Running}}' e2ecompose-client-1
expect_eq "up -d after rm: client is back" true "$OUT"

# --- the same labels as docker-compose 1.29: each sees the other's project -------------------
D="$T/dc1"
mkdir -p "$D"
cat >"$D/docker-compose.yml" <<'YAML'
services:
  legacy:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
YAML
capture env DOCKER_HOST="unix://$SOCK" docker-compose -f "$D/docker-compose.yml" -p e2edc1 up -d
expect_eq "docker-compose 1.29 up -d on berthd" 0 "$RC"
capture "$BERTH_CLI" compose -f "$D/docker-compose.yml" -p e2edc1 ps --format json
expect_match "berth compose ps lists docker-compose 1.29's container" '"Name":"e2edc1_legacy_1".*"Service":"legacy"' "$OUT"
capture "$BERTH_CLI" compose -f "$D/docker-compose.yml" -p e2edc1 up -d
expect_match "berth compose up recreates it under Compose v2's name" 'Container e2edc1-legacy-1  Recreated' "$ERR"
capture env DOCKER_HOST="unix://$SOCK" docker-compose -f "$D/docker-compose.yml" -p e2edc1 ps -q
expect_eq "docker-compose 1.29 ps lists berth's container" "$(id_of e2edc1-legacy-1)" "$OUT"
capture "$BERTH_CLI" compose -f "$D/docker-compose.yml" -p e2edc1 down
expect_eq "berth compose down of the project" 0 "$RC"

# --- down -v ---------------------------------------------------------------------------------
bc down -v
expect_eq "down -v: exit status" 0 "$RC"
expect_match "down: network removed" 'Network e2ecompose_default  Removed' "$ERR"
expect_match "down: volume removed" 'Volume e2ecompose_site  Removed' "$ERR"
berth ps -aq
expect_eq "down: no container left" "" "$OUT"
berth network ls --format '{{.Name}}'
check "down: no project network left" "$OUT" test "$(grep -c e2ecompose <<<"$OUT" || true)" -eq 0
berth volume ls -q
expect_eq "down -v: no volume left" "" "$OUT"

# --- create: containers made, none started; ls -a shows the stopped project ------------------
bc create --no-build
expect_eq "create: exit status" 0 "$RC"
expect_match "create: web created" 'Container e2ecompose-web-1  Created' "$ERR"
berth inspect -f '{{.State.Status}}' e2ecompose-web-1 e2ecompose-client-1
expect_eq "create: both containers created, not started" "created${NL}created" "$OUT"
capture "$BERTH_CLI" compose ls -q
expect_eq "ls: a project without running containers is not listed" "" "$OUT"
capture "$BERTH_CLI" compose ls -a -q
expect_eq "ls -a: it is" e2ecompose "$OUT"
bc down -v
expect_eq "down -v after create" 0 "$RC"
