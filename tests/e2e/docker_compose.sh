#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2016 # variables read by the sourced libraries; single-quoted eval strings
# e2e.docker_compose: Debian's docker-compose 1.29 (/usr/bin/docker-compose, a Python client of
# the Engine API) runs a realistic project against a private berthd, unchanged; the results
# are checked through the API with the real docker CLI 28. Nothing is pulled: busybox:latest
# is imported, the project's images are built (legacy builder) before `up`.
#
# The project (written below into $T/proj): `web` built from a Dockerfile (busybox httpd),
# a named volume filled from the image, a port published on 127.0.0.1, a network with an
# alias, env_file and .env interpolation, restart: unless-stopped, a healthcheck; `client`
# (built too) depending on web, fetching http://web/ and http://www/; `once`, a job, and
# `after`, which depends on it with condition: service_completed_successfully.
#
# docker-compose runs `exec` and `run` through the `docker` binary in PATH by default (the
# CLI 28 here, put first in PATH) and through its own API client (dockerpty: attach, exec
# start on a hijacked socket) with COMPOSE_INTERACTIVE_NO_CLI=1: both are checked.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/docker_compose.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="docker-compose e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
# About 65 s on a quiet machine, 95-120 s while a build loads it (docker-compose is a Python
# program started some 30 times): the budget leaves room for that.
BUDGET=${E2E_BUDGET:-300}

# ---- THE HEALTH GATE -------------------------------------------------------------------------
# on: the engine runs healthchecks (branch wip/health merged into main). `client` then
# depends on web with condition: service_healthy, and the health checks at the end run.
# off: client depends on web with service_started, and the test FAILS if the engine reports a
# health status anyway (so the gate cannot stay off silently once health has landed).
HEALTH=on
# ----------------------------------------------------------------------------------------------

COMPOSE=${E2E_DOCKER_COMPOSE:-/usr/bin/docker-compose}
need_cmd "$COMPOSE" python3 curl
e2e_init docker_compose
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"

P=e2edc                     # the project name: containers are e2edc_<service>_<n>
NL=$'\n'
PROJ="$T/proj"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$PROJ/web" "$PROJ/client" "$T/bin"
# compose's `exec` and `run` call `docker` from PATH: the CLI 28, not Debian's 20.10.
ln -s "$DOCKER_CLI" "$T/bin/docker"
export PATH="$T/bin:$PATH" COMPOSE_PROJECT_NAME=$P DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
unset COMPOSE_FILE COMPOSE_INTERACTIVE_NO_CLI COMPOSE_API_VERSION

echo "<h1>hello from berth web</h1>" >"$PROJ/web/index.html"
cat >"$PROJ/web/Dockerfile" <<'EOF'
FROM busybox:latest
COPY index.html /www/index.html
CMD ["sh", "-c", "echo \"web says $GREETING in $WEB_MODE mode\"; exec httpd -f -p 80 -h /www"]
EOF
# The client waits for web's server the way a client does: a bounded retry of the fetch.
cat >"$PROJ/client/fetch.sh" <<'EOF'
for i in $(seq 100); do
  if wget -qO /tmp/a http://web/ 2>/dev/null && wget -qO /tmp/b http://www/ 2>/dev/null; then break; fi
  sleep 0.2
done
echo "client via web: $(cat /tmp/a 2>/dev/null)"
echo "client via www: $(cat /tmp/b 2>/dev/null)"
trap 'exit 0' TERM
sleep 3600 & wait
EOF
printf 'FROM busybox:latest\nCOPY fetch.sh /fetch.sh\nCMD ["sh", "/fetch.sh"]\n' >"$PROJ/client/Dockerfile"
printf 'WEB_MODE=production\n' >"$PROJ/web.env"
printf 'GREETING=hello-1\nWEB_PORT=%s\n' "$PORT" >"$PROJ/.env"
if [[ $HEALTH == on ]]; then CONDITION=service_healthy; else CONDITION=service_started; fi
cat >"$PROJ/docker-compose.yml" <<EOF
version: "3.9"
services:
  web:
    build: ./web
    image: e2edc/web:1
    init: true
    restart: unless-stopped
    env_file: web.env
    environment:
      GREETING: "\${GREETING}"
    ports:
      - "127.0.0.1:\${WEB_PORT}:80"
    volumes:
      - webdata:/www
    networks:
      appnet:
        aliases: [www]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
      interval: 1s
      timeout: 3s
      retries: 20
  client:
    build: ./client
    image: e2edc/client:1
    depends_on:
      web:
        condition: $CONDITION
    networks: [appnet]
  once:
    image: busybox:latest
    command: ["echo", "once ran"]
    networks: [appnet]
  after:
    image: busybox:latest
    command: ["echo", "after once"]
    depends_on:
      once:
        condition: service_completed_successfully
    networks: [appnet]
volumes:
  webdata:
networks:
  appnet:
EOF
cd "$PROJ"

dc() { capture "$COMPOSE" --ansi never "$@"; }
nolines() { printf '%s' "$1" | tr '\n' '|'; }
# ids SERVICE: the IDs of the project's (non one-off) containers of SERVICE, sorted.
ids() {
  capture "$DOCKER_CLI" ps -aq --no-trunc --filter "label=com.docker.compose.project=$P" \
    --filter "label=com.docker.compose.service=$1" --filter "label=com.docker.compose.oneoff=False"
  printf '%s' "$OUT" | sort
}
count() { local s; s=$(ids "$1"); [[ -z $s ]] && echo 0 || wc -l <<<"$s"; }
# fetch: GET http://127.0.0.1:$PORT/ from the host, retried for 20 s at most while the
# server starts (what a client does); OUT is the page.
fetch() {
  local deadline=$((SECONDS + 20))
  while :; do
    capture curl -sf --max-time 2 "http://127.0.0.1:$PORT/"
    [[ $RC -eq 0 ]] && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
# logs_have CONTAINER LINE: its log has LINE within 20 s (`docker logs`: the Go CLI starts
# faster than compose; `docker-compose logs` is checked once everything is there).
logs_have() {
  local deadline=$((SECONDS + 20))
  while :; do
    docker logs "$1"
    grep -qxF -- "$2" <<<"$OUT" && return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
WEB=${P}_web_1

# ---- build and up ------------------------------------------------------------------------------
dc build
check "docker-compose build" "$(why)" test "$RC" -eq 0
check "build: web was built with the legacy builder's log" "$(why)" grep -q "Successfully tagged e2edc/web:1" <<<"$OUT$ERR"
docker image inspect -f '{{.Id}}' e2edc/web:1 e2edc/client:1
check "both images exist locally" "$(why)" test "$RC" -eq 0

dc up -d
check "docker-compose up -d" "$(why)" test "$RC" -eq 0
docker ps -a --filter "label=com.docker.compose.project=$P" --format '{{.Names}}'
expect_eq "up -d: one container per service" "${P}_after_1 ${P}_client_1 ${P}_once_1 ${P}_web_1" \
  "$(sort <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{index .Config.Labels "com.docker.compose.container-number"}} {{index .Config.Labels "com.docker.compose.oneoff"}} {{index .Config.Labels "com.docker.compose.version"}}' "$WEB"
expect_eq "web's Compose v1 labels: project, service, number, oneoff, version" "$P web 1 False 1.29.2" "$OUT"
docker inspect -f '{{index .Config.Labels "com.docker.compose.config-hash"}}' "$WEB"
expect_match "web's config-hash label" '^[0-9a-f]{64}$' "$OUT"
docker inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.Init}}' "$WEB"
expect_eq "web: restart unless-stopped, init" "unless-stopped true" "$OUT"
if [[ $HEALTH == on ]]; then   # (the HEALTH gate) compose started client only once web was healthy
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$WEB"
  expect_eq "up -d returned with web healthy (client waited for service_healthy)" healthy "$OUT"
  docker inspect -f '{{json .Config.Healthcheck.Test}}' "$WEB"
  expect_eq "web's healthcheck from the compose file" '["CMD","wget","-q","-O","/dev/null","http://127.0.0.1/"]' "$OUT"
fi
docker network ls --filter "label=com.docker.compose.project=$P" --format '{{.Name}}'
expect_eq "the project's network" "${P}_appnet" "$OUT"
docker volume ls --filter "label=com.docker.compose.project=$P" --format '{{.Name}}'
expect_eq "the project's named volume" "${P}_webdata" "$OUT"
docker inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}' "$WEB"
expect_eq "web mounts the named volume at /www" "volume ${P}_webdata /www" "$OUT"
docker inspect -f '{{json (index .NetworkSettings.Networks "'"${P}_appnet"'").Aliases}}' "$WEB"
check "web's aliases on appnet: web, www, its short id" "$OUT" \
  eval '[[ $OUT == *\"web\"* && $OUT == *\"www\"* && $OUT =~ \"[0-9a-f]{12}\" ]]'

# ---- the services work -------------------------------------------------------------------------
fetch
expect_eq "the host fetches the page on 127.0.0.1:$PORT (published port, volume filled from the image)" \
  "<h1>hello from berth web</h1>" "$OUT"
check "client fetched http://web/ (name)" "$(why)" logs_have "${P}_client_1" "client via web: <h1>hello from berth web</h1>"
check "client fetched http://www/ (alias)" "$(why)" logs_have "${P}_client_1" "client via www: <h1>hello from berth web</h1>"
check "web's log shows env_file and .env interpolation" "$(why)" logs_have "$WEB" "web says hello-1 in production mode"
dc logs --no-color
for l in "web says hello-1" "client via www:" "once ran" "after once"; do
  check "docker-compose logs has '$l'" "$(nolines "$OUT")" grep -qF -- "$l" <<<"$OUT"
done
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "${P}_once_1" "${P}_after_1"
expect_eq "once and after ran and exited 0 (service_completed_successfully)" "exited 0${NL}exited 0" "$OUT"
docker inspect -f '{{.State.FinishedAt}}' "${P}_once_1"; ONCE_END=$OUT
docker inspect -f '{{.State.StartedAt}}' "${P}_after_1"; AFTER_START=$OUT
check "after started only once 'once' had finished" "$ONCE_END vs $AFTER_START" eval '[[ "$AFTER_START" > "$ONCE_END" ]]'

dc ps
check "docker-compose ps" "$(why)" test "$RC" -eq 0
check "ps: web is Up with its port" "$(nolines "$OUT")" grep -qE "^${WEB} .* Up .*127\.0\.0\.1:${PORT}->80/tcp" <<<"$OUT"
check "ps: client is Up" "$(nolines "$OUT")" grep -qE "^${P}_client_1 .* Up" <<<"$OUT"
check "ps: once is Exit 0" "$(nolines "$OUT")" grep -qE "^${P}_once_1 .* Exit 0" <<<"$OUT"

dc port web 80
expect_eq "docker-compose port web 80" "127.0.0.1:$PORT" "$OUT"

# `up` in the foreground attaches (attach with logs, then start) and returns once they exit.
dc up --no-color once after
check "up once after (attached): exit 0" "$(why)" test "$RC" -eq 0
check "up once after (attached): their output, in order" "$(nolines "$OUT")" \
  eval 'grep -qE "^once_1 +\| once ran$" <<<"$OUT" && grep -qE "^after_1 +\| after once$" <<<"$OUT"'
# logs -f of a stopped container ends with the log (GET /containers/{id}/logs?follow=1).
dc logs -f --no-color once
check "logs -f once: the log of a stopped container, then the end" "$(why)" \
  eval '[[ $RC -eq 0 ]] && grep -qE "^once_1 +\| once ran$" <<<"$OUT"'

# Links on the project's network (what compose sends for a service's `links:`): `docker run
# --link` puts them in EndpointSettings.Links at create, `network connect --link` at connect;
# the alias resolves for the linking container.
docker run --rm --pull never --network "${P}_appnet" --link "$WEB:legacyweb" busybox:latest wget -qO- http://legacyweb/
expect_eq "run --network ${P}_appnet --link $WEB:legacyweb: the link's alias resolves" "<h1>hello from berth web</h1>" "$OUT"
docker create --pull never --name linker busybox:latest wget -qO- http://dbweb/
docker network connect --link "$WEB:dbweb" "${P}_appnet" linker
check "network connect --link" "$(why)" test "$RC" -eq 0
docker inspect -f '{{json (index .NetworkSettings.Networks "'"${P}_appnet"'").Links}}' linker
expect_eq "inspect shows the endpoint's links" "[\"$WEB:dbweb\"]" "$OUT"
docker start -a linker
expect_eq "network connect --link $WEB:dbweb: the alias resolves" "<h1>hello from berth web</h1>" "$OUT"
docker rm linker >/dev/null

# ---- exec and run, through the docker CLI and through compose's own client ---------------------
for mode in cli api; do
  if [[ $mode == api ]]; then export COMPOSE_INTERACTIVE_NO_CLI=1; else unset COMPOSE_INTERACTIVE_NO_CLI; fi
  dc exec -T web cat /www/index.html
  expect_eq "exec -T web cat /www/index.html ($mode)" "<h1>hello from berth web</h1>" "$OUT"
  dc exec -T web sh -c 'exit 3'
  expect_eq "exec -T web sh -c 'exit 3': the status passes through ($mode)" 3 "$RC"
  if [[ $mode == cli ]]; then
    dc exec -T web sh -c 'echo "$GREETING"'
    expect_eq "exec -T web sees the service's environment ($mode)" hello-1 "$OUT"
    dc run --rm -T client echo hi
    expect_eq "run --rm -T client echo hi ($mode)" "hi" "$OUT"
    dc run --rm client sh -c 'echo via-run; exit 4'
    expect_eq "run --rm client: output and exit status 4 ($mode)" "via-run rc=4" "$OUT rc=$RC"
  else
    # dockerpty (Python 3) attaches only after it started the container (its sockets()
    # is a lazy map), so a command that prints at once loses its output with dockerd
    # too; one that reads stdin first is deterministic: its attach precedes the input.
    dc run --rm client sh -c 'read x; echo "got $x"; exit 4' <<<"hi"
    expect_eq "run --rm client: stdin, output and exit status 4 ($mode)" "got hi rc=4" "$OUT rc=$RC"
  fi
  docker ps -aq --filter "label=com.docker.compose.project=$P" --filter "label=com.docker.compose.oneoff=True"
  expect_eq "run --rm leaves no one-off container ($mode)" "" "$OUT"
done
unset COMPOSE_INTERACTIVE_NO_CLI

# ---- scale, restart, stop/start ----------------------------------------------------------------
dc up -d --scale client=3
check "up -d --scale client=3" "$(why)" test "$RC" -eq 0
expect_eq "three client containers" 3 "$(count client)"
dc up -d --scale client=1
check "up -d --scale client=1" "$(why)" test "$RC" -eq 0
expect_eq "one client container" 1 "$(count client)"

docker inspect -f '{{.Id}} {{.State.StartedAt}}' "$WEB"; read -r WEB_ID STARTED <<<"$OUT"
dc restart
check "docker-compose restart" "$(why)" test "$RC" -eq 0
docker inspect -f '{{.Id}} {{.State.Running}} {{.State.StartedAt}}' "$WEB"; read -r id2 running started2 <<<"$OUT"
check "restart: web is the same container, running, started again" "$OUT (was $STARTED)" \
  eval '[[ $id2 == "$WEB_ID" && $running == true && $started2 != "$STARTED" ]]'
fetch
expect_eq "the page after restart" "<h1>hello from berth web</h1>" "$OUT"

dc stop
check "docker-compose stop" "$(why)" test "$RC" -eq 0
docker ps -q --filter "label=com.docker.compose.project=$P"
expect_eq "stop: nothing of the project runs (unless-stopped does not restart it)" "" "$OUT"
dc start
check "docker-compose start" "$(why)" test "$RC" -eq 0
docker inspect -f '{{.State.Running}}' "$WEB" "${P}_client_1"
expect_eq "start: web and client run again" "true${NL}true" "$OUT"
fetch
expect_eq "the page after stop/start" "<h1>hello from berth web</h1>" "$OUT"

# ---- convergence: config-hash ------------------------------------------------------------------
BEFORE="web:$(ids web) client:$(ids client) once:$(ids once) after:$(ids after)"
dc up -d
check "up -d again" "$(why)" test "$RC" -eq 0
AFTER="web:$(ids web) client:$(ids client) once:$(ids once) after:$(ids after)"
expect_eq "up -d with nothing changed keeps every container" "$BEFORE" "$AFTER"
printf 'GREETING=hello-2\nWEB_PORT=%s\n' "$PORT" >"$PROJ/.env"
dc up -d
check "up -d after .env changed" "$(why)" test "$RC" -eq 0
NEW_WEB=$(ids web)
check "web is recreated (new container, old one gone)" "$NEW_WEB vs $WEB_ID" \
  eval '[[ -n $NEW_WEB && $NEW_WEB != *$'"'\n'"'* && $NEW_WEB != "$WEB_ID" ]]'
AFTER2="client:$(ids client) once:$(ids once) after:$(ids after)"
expect_eq "the other services keep their containers" "${BEFORE#* }" "$AFTER2"
docker inspect -f '{{.Name}}' "$NEW_WEB"
expect_eq "the new web container has the service's name" "/$WEB" "$OUT"
dc exec -T web sh -c 'echo "$GREETING"'
expect_eq "the recreated web has the new environment" hello-2 "$OUT"
fetch
expect_eq "the page from the recreated web (same volume)" "<h1>hello from berth web</h1>" "$OUT"

# ---- health (gated, see HEALTH at the top) -----------------------------------------------------
docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$WEB"
if [[ $HEALTH == on ]]; then
  expect_match "the recreated web has a health status" '^(starting|healthy)$' "$OUT"
  # A client polls the status: the recreated web turns healthy within its retries.
  deadline=$((SECONDS + 25))
  until dc ps web; grep -qE "^${WEB} .* Up \(healthy\)" <<<"$OUT" || ((SECONDS > deadline)); do sleep 0.5; done
  check "ps: web is Up (healthy)" "$(nolines "$OUT")" grep -qE "^${WEB} .* Up \(healthy\)" <<<"$OUT"
  docker inspect -f '{{.State.Health.Status}} {{.State.Health.FailingStreak}} log:{{range .State.Health.Log}} {{.ExitCode}}{{end}}' "$WEB"
  expect_match "inspect: healthy, no failing streak, the last probe exited 0" '^healthy 0 log:( [0-9]+)* 0$' "$OUT"
else
  echo "# HEALTH=off: service_healthy and 'Up (healthy)' are not checked (turn HEALTH=on once the engine runs healthchecks)"
  expect_eq "the engine reports no health status (else set HEALTH=on in this test)" none "$OUT"
fi

# ---- down -v ----------------------------------------------------------------------------------
dc down -v
check "docker-compose down -v" "$(why)" test "$RC" -eq 0
docker ps -aq --filter "label=com.docker.compose.project=$P"
expect_eq "down: no container of the project is left" "" "$OUT"
docker ps -aq
expect_eq "down: docker ps -a is empty" "" "$OUT"
docker network ls --format '{{.Name}}'
check "down: the project's network is gone" "$(nolines "$OUT")" eval '! grep -q "^${P}_" <<<"$OUT"'
docker volume ls -q
expect_eq "down -v: the named volume is gone" "" "$OUT"
docker rmi e2edc/web:1 e2edc/client:1
check "the built images are removed" "$(why)" test "$RC" -eq 0

# What berthd refused (4xx/5xx), for the record: some are the clients' own probes
# (a volume or image looked up before it is made).
grep -E ' -> [45][0-9][0-9]' "$T/berthd.log" | sed 's/^[^ ]* /# berthd answered: /' | sort | uniq -c | sed 's/^ */# /' || true
((FAILS == 0)) || { echo "# $FAILS check(s) failed"; exit 1; }
echo "# all checks passed in ${SECONDS}s"
