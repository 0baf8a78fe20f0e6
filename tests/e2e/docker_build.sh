#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.docker_build: the real Docker CLI (28, and Debian's 20.10) builds with
# the legacy builder (DOCKER_BUILDKIT=0, POST /build) against an isolated
# berthd: every Dockerfile instruction, the image's config and files, the
# content-keyed cache step by step, errors, .dockerignore, multi-stage,
# a Dockerfile on stdin, ADD of archives and of a URL on 127.0.0.1.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/docker_build.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="docker build e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
BUDGET=${E2E_BUDGET:-400}
need_cmd python3 gzip bzip2 xz mkfifo
e2e_init docker_build
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"
export DOCKER_BUILDKIT=0
NL=$'\n'
build() { docker build "$@"; }
steps_cached() { grep -c -- '---> Using cache' <<<"$OUT" || true; }
containers_run() { grep -c -- '---> Running in' <<<"$OUT" || true; }

# --- a project with every instruction ------------------------------------------------------
P=$T/project
mkdir -p "$P/src/sub" "$P/ignored"
echo "hello from a file" >"$P/src/hello.txt"
echo "nested" >"$P/src/sub/n.txt"
echo "secret" >"$P/ignored/secret.txt"
echo "not shipped" >"$P/notes.md"
printf 'ignored\n*.md\n' >"$P/.dockerignore"
mkdir -p "$T/arch/d" && echo "from a tarball" >"$T/arch/d/inside.txt"
tar -C "$T/arch" -czf "$P/bundle.tar.gz" d
tar -C "$T/arch" -cjf "$P/bundle.tar.bz2" d
tar -C "$T/arch" -cJf "$P/bundle.tar.xz" d
cat >"$P/Dockerfile" <<'DF'
# escape=\
ARG BASE=busybox:latest
FROM ${BASE} AS base
LABEL org.example.stage="base"
ARG GREETING=hi
ENV APP_HOME=/app \
    MODE="two words"
WORKDIR $APP_HOME
COPY src/ ./src/
COPY --chown=app:app src/hello.txt owned.txt
COPY --chmod=0600 src/hello.txt private.txt
ADD bundle.tar.gz /x/gz/
ADD bundle.tar.bz2 /x/bz2/
ADD bundle.tar.xz /x/xz/
RUN echo "$GREETING $MODE" > greeting.txt && echo built-line
RUN ["sh", "-c", "echo exec-form > exec.txt"]
SHELL ["/bin/sh", "-c"]
EXPOSE 8080 9090/udp
VOLUME /data
USER app
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --retries=2 CMD ["true"]
ONBUILD RUN echo triggered > /tmp/onbuild.txt
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/greeting.txt"]
DF
STEPS=$(grep -cvE '^(#|$| )' "$P/Dockerfile")
build -t e2e/all:1 --build-arg GREETING=hello "$P"
[[ $RC -eq 0 ]] || die "build of the full project failed: $(why)"
expect_match "build: Step 1/$STEPS is the ARG before FROM" "(^|$NL)Step 1/$STEPS : ARG BASE=busybox:latest$NL" "$OUT"
expect_match "build: a RUN's output is in the log" "(^|$NL)built-line$NL" "$OUT"
expect_match "build: RUN steps show their container and remove it" "---> Running in [0-9a-f]{12}${NL}built-line${NL}Removing intermediate container [0-9a-f]{12}$NL ---> [0-9a-f]{12}" "$OUT"
expect_match "build: Successfully built and tagged" "Successfully built [0-9a-f]{12}${NL}Successfully tagged e2e/all:1" "$OUT"
FIRST_LOG=$OUT

docker inspect -f '{{json .Config.Env}}|{{json .Config.Cmd}}|{{json .Config.Entrypoint}}|{{.Config.WorkingDir}}|{{.Config.User}}|{{.Config.StopSignal}}' e2e/all:1
expect_eq "config: env, cmd, entrypoint, workdir, user, stopsignal" \
  '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP_HOME=/app","MODE=two words"]|["cat /app/greeting.txt"]|["/bin/sh","-c"]|/app|app|SIGINT' "$OUT"
docker inspect -f '{{json .Config.ExposedPorts}}|{{json .Config.Volumes}}|{{json .Config.Labels}}|{{json .Config.OnBuild}}' e2e/all:1
expect_eq "config: ports, volumes, labels, onbuild" \
  '{"8080/tcp":{},"9090/udp":{}}|{"/data":{}}|{"org.example.stage":"base"}|["RUN echo triggered > /tmp/onbuild.txt"]' "$OUT"
docker inspect -f '{{json .Config.Healthcheck}}' e2e/all:1
expect_eq "config: healthcheck" '{"Test":["CMD","true"],"Interval":30000000000,"Timeout":5000000000,"Retries":2}' "$OUT"

docker run --rm --pull never --entrypoint sh e2e/all:1 -c 'cat greeting.txt exec.txt src/hello.txt src/sub/n.txt /x/gz/d/inside.txt /x/bz2/d/inside.txt /x/xz/d/inside.txt; stat -c "%n %a %u:%g" owned.txt private.txt; ls /app/ignored /app/notes.md 2>&1 | wc -l; ls src'
expect_eq "files: RUN outputs, COPY of a dir, ADD of gz/bz2/xz archives, --chown, --chmod, .dockerignore" \
  "hello two words${NL}exec-form${NL}hello from a file${NL}nested${NL}from a tarball${NL}from a tarball${NL}from a tarball${NL}owned.txt 644 1000:1000${NL}private.txt 600 0:0${NL}2${NL}hello.txt${NL}sub" "$OUT"
docker run --rm --pull never e2e/all:1
expect_eq "run: ENTRYPOINT + CMD of the built image" "hello two words" "$OUT"

docker history --no-trunc --format '{{.CreatedBy}}' e2e/all:1
expect_match "history: RUN with the build args in scope" "(^|$NL)\\|1 GREETING=hello /bin/sh -c echo \"\\\$GREETING \\\$MODE\" > greeting.txt && echo built-line($NL|\$)" "$OUT"
expect_match "history: metadata steps as the legacy builder writes them" "(^|$NL)/bin/sh -c #\\(nop\\)  CMD \\[\"cat /app/greeting.txt\"\\]($NL|\$)" "$OUT"
expect_match "history: COPY with the sources' digest" "(^|$NL)/bin/sh -c #\\(nop\\) COPY dir:[0-9a-f]{64} in ./src/ ($NL|\$)" "$OUT"

docker history --no-trunc --format '{{.CreatedBy}}|{{.Size}}' e2e/all:1
expect_match "history: a config step is 0B" "(^|$NL)/bin/sh -c #\\(nop\\)  USER app\\|0B($NL|\$)" "$OUT"
expect_match "history: a COPY step has its layer's size" "(^|$NL)/bin/sh -c #\\(nop\\) COPY file:[0-9a-f]{64} in owned.txt \\|18B($NL|\$)" "$OUT"

# --- the cache -----------------------------------------------------------------------------
build -t e2e/all:2 --build-arg GREETING=hello "$P"
expect_eq "rebuild: every step but FROM and the ARGs before it comes from the cache" "$((STEPS - 2))" "$(steps_cached)"
expect_eq "rebuild: no container is started" 0 "$(containers_run)"
docker inspect -f '{{.Id}}' e2e/all:1; A=$OUT
docker inspect -f '{{.Id}}' e2e/all:2
expect_eq "rebuild: the same image" "$A" "$OUT"
touch -d '2001-01-01' "$P/src/hello.txt"
build -t e2e/all:3 --build-arg GREETING=hello "$P"
expect_eq "after touch: the cache holds (times are not content)" 0 "$(containers_run)"
echo "changed" >"$P/src/sub/n.txt"
build -t e2e/all:4 --build-arg GREETING=hello "$P"
expect_match "after a content change: the steps before the COPY are cached" "Step 6/$STEPS : WORKDIR \\\$APP_HOME$NL ---> Using cache" "$OUT"
expect_match "after a content change: the COPY runs again" "Step 7/$STEPS : COPY src/ ./src/$NL ---> [0-9a-f]{12}$NL" "$OUT"
expect_eq "after a content change: both RUNs run again" 2 "$(containers_run)"
build -t e2e/all:5 --build-arg GREETING=bonjour "$P"
expect_match "a changed --build-arg: the first RUN after its ARG runs again" "greeting.txt && echo built-line$NL ---> Running in" "$OUT"
build -t e2e/all:6 --no-cache --build-arg GREETING=bonjour "$P"
expect_eq "--no-cache: nothing from the cache" 0 "$(steps_cached)"
build -q --build-arg GREETING=bonjour "$P"
expect_match "-q: only the image ID" "^sha256:[0-9a-f]{64}$" "$OUT"

# --- ONBUILD in a child image ---------------------------------------------------------------
C=$T/child && mkdir -p "$C"
printf 'FROM e2e/all:1\nUSER root\nRUN cat /tmp/onbuild.txt\n' >"$C/Dockerfile"
build -t e2e/child "$C"
expect_match "ONBUILD: the trigger runs in the child's FROM step" "# Executing 1 build trigger$NL" "$OUT"
docker run --rm --pull never --entrypoint cat e2e/child /tmp/onbuild.txt
expect_eq "ONBUILD: the trigger's file is in the child" triggered "$OUT"
docker inspect -f '{{json .Config.OnBuild}}' e2e/child
expect_eq "ONBUILD: triggers are not inherited further" "null" "$OUT"

# --- multi-stage, --target -----------------------------------------------------------------
M=$T/multi && mkdir -p "$M"
cat >"$M/Dockerfile" <<'DF'
FROM busybox:latest AS builder
RUN echo artifact > /artifact.txt
FROM busybox:latest AS unused
RUN echo should-not-matter > /u.txt
FROM scratch
COPY --from=builder /artifact.txt /artifact.txt
COPY --from=0 /bin/busybox /bin/sh
RUN ["/bin/sh", "-c", ": > /made"]
CMD ["/bin/sh"]
DF
build -t e2e/multi "$M"
[[ $RC -eq 0 ]] || not_ok "multi-stage build: $(why)"
docker create --name e2e-multi e2e/multi
docker cp e2e-multi:/artifact.txt "$T/artifact.txt"
expect_eq "multi-stage: COPY --from=stage into scratch" artifact "$(cat "$T/artifact.txt" 2>/dev/null)"
docker rm e2e-multi >/dev/null
docker save -o "$T/multi.tar" e2e/multi
mkdir -p "$T/multi-save" && tar -C "$T/multi-save" -xf "$T/multi.tar"
LAST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Layers"][-1])' "$T/multi-save/manifest.json")
expect_eq "a RUN in an image without /etc, /proc, /dev: the layer holds its file, not the runtime's mount points" \
  "made" "$(tar -tf "$T/multi-save/$LAST" | tr '\n' ' ' | sed 's/ $//')"
build -t e2e/multi-builder --target builder "$M"
expect_match "--target: the build stops after the named stage" "Step 2/2 : RUN echo artifact" "$OUT"

# --- a Dockerfile on stdin -------------------------------------------------------------------
capture "$DOCKER_CLI" build -t e2e/stdin - <<<$'FROM busybox:latest\nRUN echo from-stdin > /s.txt'
expect_eq "build - < Dockerfile: exit 0" 0 "$RC"
docker run --rm --pull never e2e/stdin cat /s.txt
expect_eq "build - < Dockerfile: the image" from-stdin "$OUT"

# --- -f naming a Dockerfile outside the context ---------------------------------------------------
# The CLI appends it to the context's tar (and to .dockerignore) and ends the body right after its data.
O=$T/outside && mkdir -p "$O/ctx" "$O/df" && echo from-ctx >"$O/ctx/c.txt"
printf 'FROM busybox:latest\nCOPY . /ctx/\nRUN ls -a /ctx > /ls.txt\n' >"$O/df/Dockerfile"
for ignore in none kept; do
  [[ $ignore == kept ]] && echo nothing-matches >"$O/ctx/.dockerignore"
  capture "$DOCKER_CLI" build -t e2e/outside-$ignore -f "$O/df/Dockerfile" "$O/ctx"
  expect_eq "build -f outside the context (.dockerignore: $ignore): exit 0" 0 "$RC"
  docker run --rm --pull never e2e/outside-$ignore cat /ctx/c.txt
  expect_eq "build -f outside the context (.dockerignore: $ignore): the context's file" from-ctx "$OUT"
  docker run --rm --pull never e2e/outside-$ignore cat /ls.txt
  check "build -f outside the context (.dockerignore: $ignore): COPY . leaves out the appended Dockerfile" \
    "got '$OUT'" test "${OUT/.dockerfile./}" == "$OUT"
done

# --- ADD of a URL on 127.0.0.1 -----------------------------------------------------------------
W=$T/www && mkdir -p "$W" && echo "served over http" >"$W/page.txt"
mkfifo "$T/port.fifo"
python3 - "$W" >"$T/port.fifo" 2>"$T/http.log" <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
HTTP_PID=$!
read -r PORT <"$T/port.fifo"
U=$T/url && mkdir -p "$U"
printf 'FROM busybox:latest\nADD http://127.0.0.1:%s/page.txt /web/\n' "$PORT" >"$U/Dockerfile"
build -t e2e/url "$U"
docker run --rm --pull never e2e/url sh -c 'cat /web/page.txt; stat -c %a /web/page.txt'
expect_eq "ADD URL: the file, mode 600" "served over http${NL}600" "$OUT"
kill "$HTTP_PID" 2>/dev/null || true
wait "$HTTP_PID" 2>/dev/null || true

# --- errors --------------------------------------------------------------------------------
E=$T/errors && mkdir -p "$E"
docker tag busybox:latest e2e/keep:1
docker inspect -f '{{.Id}}' e2e/keep:1; KEEP=$OUT
printf 'FROM busybox:latest\nRUN echo before\nRUN exit 7\n' >"$E/Dockerfile"
build -t e2e/keep:1 "$E"
expect_eq "a failed RUN: the CLI exits with the RUN's code" 7 "$RC"
expect_match "a failed RUN: the message" "The command '/bin/sh -c exit 7' returned a non-zero code: 7" "$ERR"
docker inspect -f '{{.Id}}' e2e/keep:1
expect_eq "a failed RUN: the tag does not move" "$KEEP" "$OUT"
printf 'FROM busybox:latest\nRUNN echo x\n' >"$E/Dockerfile"
build "$E"
expect_match "an unknown instruction: the line and why" "line 2: unknown instruction: RUNN" "$ERR"
check "an unknown instruction: non-zero exit" "$(why)" [ "$RC" -ne 0 ]
printf 'FROM busybox:latest\nCOPY nope.txt /\n' >"$E/Dockerfile"
build "$E"
expect_match "a missing COPY source: the line and why" "line 2: COPY failed: .*nope.txt" "$ERR"
printf 'FROM busybox:latest\nCOPY Dockerfile Dockerfile /notadir\n' >"$E/Dockerfile"
build "$E"
expect_match "several sources to a non-directory" "the destination must be a directory and end with a /" "$ERR"
printf 'FROM nosuchstage-or-image-here\n' >"$E/Dockerfile"
build --pull=false "$E"
check "FROM an unknown image: non-zero exit" "$(why)" [ "$RC" -ne 0 ]

# --- Debian's docker 20.10 CLI ------------------------------------------------------------------
if [[ -x /usr/bin/docker ]]; then
  capture /usr/bin/docker build -t e2e/cli20 "$M"
  expect_eq "docker 20.10 CLI: the legacy build succeeds" 0 "$RC"
  expect_match "docker 20.10 CLI: it is served from the cache" "Using cache" "$OUT"
else
  not_ok "Debian's docker 20.10 CLI (/usr/bin/docker, package docker.io) is missing"
fi

# --- berthd killed in the middle of a build ------------------------------------------------------
K=$T/crash && mkdir -p "$K/tree" && echo "x" >"$K/tree/f.txt"
printf 'FROM busybox:latest\nCOPY tree /tree/\nRUN echo crash-marker; while :; do sleep 0.1; done\n' >"$K/Dockerfile"
mkfifo "$T/build.fifo"
"$DOCKER_CLI" build -t e2e/crash "$K" >"$T/build.fifo" 2>&1 &
BUILD_PID=$!
exec 7<"$T/build.fifo"
while IFS= read -r line <&7; do [[ $line == crash-marker ]] && break; done
kill9_berthd
exec 7<&-
wait "$BUILD_PID" 2>/dev/null || true
start_berthd
printf 'FROM busybox:latest\nCOPY tree /tree/\nRUN cat /tree/f.txt\n' >"$K/Dockerfile"
build -t e2e/crash "$K"
expect_eq "after kill -9 of berthd mid-build: the next build works" 0 "$RC"
check "after kill -9 of berthd mid-build: no build mount is left" "$(ls "$T/data/builder/mnt" 2>&1)" \
  bash -c '[[ -z $(ls -A "$1") ]] && ! grep -q "$1" /proc/self/mountinfo' _ "$T/data/builder/mnt"
check "after kill -9 of berthd mid-build: no context is left" "$(ls "$T/data/builder/tmp" 2>&1)" \
  bash -c '[[ -z $(ls -A "$1") ]]' _ "$T/data/builder/tmp"

build -t e2e/all:8 --build-arg GREETING=bonjour "$P"
expect_eq "after the restart: the cache is still there (every step but FROM and the first ARG)" "$((STEPS - 2))" "$(steps_cached)"

# --- the RUN containers' settings: --network, --add-host, --memory ----------------------------------
R=$T/runopts && mkdir -p "$R"
cat >"$R/Dockerfile" <<'DF'
FROM busybox:latest
RUN echo "nets: $(ls /sys/class/net)"; echo "hosts: $(grep 1.2.3.4 /etc/hosts | tr -s '\t' ' ')"; echo "limit: $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
DF
build --no-cache --network none --add-host a.example:1.2.3.4 --memory 64m "$R"
expect_match "build --network none: the RUN sees only lo" "(^|$NL)nets: lo$NL" "$OUT"
expect_match "build --add-host: the RUN's /etc/hosts has it" "(^|$NL)hosts: 1.2.3.4 a.example$NL" "$OUT"
expect_match "build --memory: the RUN's cgroup limit" "(^|$NL)limit: 67108864$NL" "$OUT"

# --- the build cache: df and prune ------------------------------------------------------------
docker system df
expect_match "system df: a Build Cache line" "(^|$NL)Build Cache +[0-9]+" "$OUT"
docker builder prune -af
expect_match "builder prune -a: reports what it reclaimed" "Total reclaimed space" "$OUT"
build -t e2e/all:7 --build-arg GREETING=hello "$P"
expect_eq "after builder prune -a: nothing is cached" 0 "$(steps_cached)"

echo "# took $SECONDS s"
