#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2016,SC2119 # variables read by the sourced libraries; $ meant for the container; start_berthd takes no args here
# e2e.berth_build: `berth build` (berth's native mode) against an isolated berthd: the
# basics (-t, --iidfile, -f -, -q, a failed RUN's exit code, plain output off a terminal),
# RUN --network, RUN --mount (cache: kept across builds and a restart, never in the image;
# bind: the context and a stage, read-only unless rw, rw writes discarded, keyed on what it
# shows; secret: readable in the RUN, and found nowhere after it: not in the layers, the
# history, the output, the daemon's log or its data root; tmpfs), the mount points the
# runtime made never in a layer, the legacy builder's refusal of --mount, stages built at
# the same time (their RUNs meet on a FIFO), --output.
#
#   BERTHD=build/cmd/berthd/berthd BERTH=build/cmd/berth/berth bash tests/e2e/berth_build.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/berthd.bash
source "$HERE/lib/berthd.bash"
E2E_LABEL="berth build e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
BUDGET=${E2E_BUDGET:-400}

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

need_cmd python3 md5sum grep tar
e2e_init berth_build
find_berth_cli
echo "# berth CLI $BERTH_CLI"
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"
NL=$'\n'
berth() { capture "$BERTH_CLI" -H "unix://$SOCK" "$@"; }
ran() { grep -c -- '---> Running in' <<<"$OUT" || true; }

# layer_entries IMAGE: every path in the image's layers but the first (busybox's), one per
# line, read from `berth save` (what a registry or `docker load` would get).
layer_entries() {
  rm -rf "$T/save" && mkdir -p "$T/save"
  berth save -o "$T/save.tar" "$1"
  [[ $RC -eq 0 ]] || { echo "save failed: $(why)"; return 0; }
  tar -xf "$T/save.tar" -C "$T/save"
  python3 - "$T/save" <<'PY'
import json, os, sys, tarfile
root = sys.argv[1]
layers = json.load(open(os.path.join(root, "manifest.json")))[0]["Layers"]
for layer in layers[1:]:
    with tarfile.open(os.path.join(root, layer)) as t:
        for name in t.getnames():
            print(name[2:] if name.startswith("./") else name)
PY
}

# --- basics --------------------------------------------------------------------------------
P=$T/basic && mkdir -p "$P"
printf 'FROM busybox:latest\nRUN echo built > /b.txt\nCMD ["cat", "/b.txt"]\n' >"$P/Dockerfile"
berth build -t e2e/basic --iidfile "$T/iid" "$P"
[[ $RC -eq 0 ]] || die "berth build -t failed: $(why)"
expect_match "build: the legacy builder's plain log off a terminal" \
  "^Sending build context to berthd .*${NL}Step 1/3 : FROM busybox:latest${NL} ---> [0-9a-f]{12}${NL}Step 2/3 : RUN echo built > /b.txt${NL} ---> Running in [0-9a-f]{12}${NL}" "$OUT"
expect_match "build: Successfully built and tagged" "Successfully built [0-9a-f]{12}${NL}Successfully tagged e2e/basic:latest$" "$OUT"
check "build: no terminal escapes off a terminal" "$(why)" bash -c '! grep -q $'"'"'\x1b'"'"' <<<"$1"' _ "$OUT"
berth image inspect -f '{{.Id}}' e2e/basic
expect_eq "--iidfile: the image's ID" "$OUT" "$(cat "$T/iid" 2>/dev/null)"
berth run --rm --pull never e2e/basic
expect_eq "build: the image runs" built "$OUT"
berth build -q "$P"
expect_match "-q: only the image ID" "^sha256:[0-9a-f]{64}$" "$OUT"
capture "$BERTH_CLI" -H "unix://$SOCK" build -t e2e/stdin -f - "$P" <<<$'FROM busybox:latest\nRUN echo from-stdin > /s.txt'
expect_eq "-f -: exit 0" 0 "$RC"
berth run --rm --pull never e2e/stdin cat /s.txt
expect_eq "-f -: the Dockerfile from stdin" from-stdin "$OUT"
F=$T/fail && mkdir -p "$F"
printf 'FROM busybox:latest\nRUN echo before\nRUN exit 7\n' >"$F/Dockerfile"
berth build -t e2e/fail "$F"
expect_eq "a failed RUN: berth exits with its code" 7 "$RC"
expect_match "a failed RUN: the message" "The command '/bin/sh -c exit 7' returned a non-zero code: 7" "$ERR"
berth image inspect e2e/fail
check "a failed RUN: no tag" "$(why)" [ "$RC" -ne 0 ]

# --- RUN --network -------------------------------------------------------------------------
N=$T/net && mkdir -p "$N"
printf 'FROM busybox:latest\nRUN --network=none grep -c : /proc/net/dev > /none.txt\nRUN grep -c : /proc/net/dev > /default.txt\n' >"$N/Dockerfile"
berth build -t e2e/net "$N"
[[ $RC -eq 0 ]] || not_ok "RUN --network build: $(why)"
berth run --rm --pull never e2e/net cat /none.txt /default.txt
expect_eq "RUN --network=none: only lo; the default: lo and eth0" "1${NL}2" "$OUT"

# --- RUN --mount=type=cache ----------------------------------------------------------------
C=$T/cache && mkdir -p "$C"
cat >"$C/Dockerfile" <<'DF'
FROM busybox:latest
ARG N
RUN --mount=type=cache,target=/var/cache/e2e,id=e2e-cache ls /var/cache/e2e > /seen.txt; echo "$N" > /var/cache/e2e/build-$N
DF
berth build -t e2e/cache:1 --build-arg N=1 "$C"
[[ $RC -eq 0 ]] || die "cache mount build 1: $(why)"
berth build -t e2e/cache:2 --build-arg N=2 "$C"
berth run --rm --pull never e2e/cache:2 cat /seen.txt
expect_eq "cache mount: the second build sees the first's file" "build-1" "$OUT"
berth run --rm --pull never e2e/cache:2 ls -A /var
expect_eq "cache mount: nothing of it in the image (not even its mount point)" "tmp" "$OUT"
ENTRIES=$(layer_entries e2e/cache:2)
check "cache mount: the layers hold /seen.txt and no var/ entry" "$(tr '\n' ' ' <<<"$ENTRIES")" \
  bash -c 'grep -qx seen.txt <<<"$1" && ! grep -q "^var" <<<"$1"' _ "$ENTRIES"
stop_berthd
start_berthd
berth build -t e2e/cache:3 --build-arg N=3 "$C"
berth run --rm --pull never e2e/cache:3 cat /seen.txt
expect_eq "cache mount: kept across a daemon restart" "build-1${NL}build-2" "$OUT"
berth build -t e2e/cache:3b --build-arg N=3 "$C"
expect_eq "cache mount: the RUN is cached on its spec, not the cache's content" 0 "$(ran)"

# --- RUN --mount=type=bind -----------------------------------------------------------------
B=$T/bind && mkdir -p "$B/src"
echo "hello from the context" >"$B/src/hello.txt"
cat >"$B/Dockerfile" <<'DF'
FROM busybox:latest AS tool
RUN mkdir -p /out && echo "from the tool stage" > /out/tool.txt
FROM busybox:latest
RUN --mount=type=bind,source=src,target=/mnt/src --mount=type=bind,from=tool,source=/out,target=/mnt/tool cat /mnt/src/hello.txt /mnt/tool/tool.txt > /got.txt; touch /mnt/src/new 2>/dev/null && echo ro=no || echo ro=yes
RUN --mount=type=bind,source=src,target=/mnt/src,rw echo scribbled > /mnt/src/hello.txt && cat /mnt/src/hello.txt > /rw.txt
RUN --mount=type=bind,source=src,target=/mnt/src cat /mnt/src/hello.txt > /after.txt
DF
berth build -t e2e/bind "$B"
[[ $RC -eq 0 ]] || die "bind mount build: $(why)"
expect_match "bind mount: read-only unless rw" "(^|$NL)(\\[stage-1\\] )?ro=yes$NL" "$OUT"
berth run --rm --pull never e2e/bind cat /got.txt /rw.txt /after.txt
expect_eq "bind mount: from the context and from a stage; rw writes seen, then discarded" \
  "hello from the context${NL}from the tool stage${NL}scribbled${NL}hello from the context" "$OUT"
berth run --rm --pull never e2e/bind ls -d /mnt
expect_eq "bind mount: no mount point left in the image" 1 "$RC"
check "bind mount: the context directory is untouched" "$(cat "$B/src/hello.txt")" \
  [ "$(cat "$B/src/hello.txt")" = "hello from the context" ]
berth build -t e2e/bind "$B"
expect_eq "bind mount: an unchanged context keeps the cache" 0 "$(ran)"
echo "changed" >"$B/src/hello.txt"
berth build -t e2e/bind "$B"
expect_eq "bind mount: a changed file runs its RUNs again" 3 "$(ran)"

# --- stages that do not read each other build at once ---------------------------------------
# A FIFO in a shared cache mount: the writer's RUN ends only once the reader's has opened it
# (built one after the other, the writer would wait for ever: timeout fails it after 30 s).
R=$T/parallel && mkdir -p "$R"
cat >"$R/Dockerfile" <<'DF'
FROM busybox:latest AS writer
RUN --mount=type=cache,id=e2e-rendezvous,target=/rv (mkfifo /rv/p 2>/dev/null || true) && timeout 30 sh -c 'echo from-writer > /rv/p' && echo writer-done
FROM busybox:latest AS reader
RUN --mount=type=cache,id=e2e-rendezvous,target=/rv (mkfifo /rv/p 2>/dev/null || true) && timeout 30 sh -c 'read x < /rv/p && echo "reader got $x" > /got.txt' && echo reader-done
FROM busybox:latest
COPY --from=writer /etc/motd /motd
COPY --from=reader /got.txt /got.txt
DF
berth build -t e2e/parallel "$R"
expect_eq "parallel stages: the build succeeds" 0 "$RC"
expect_match "parallel stages: the writer's lines name it" "(^|$NL)\\[writer\\] writer-done$NL" "$OUT"
expect_match "parallel stages: the reader's lines name it" "(^|$NL)\\[reader\\] reader-done$NL" "$OUT"
berth run --rm --pull never e2e/parallel cat /got.txt
expect_eq "parallel stages: the two RUNs met (they ran at the same time)" "reader got from-writer" "$OUT"

# --- RUN --mount=type=secret -----------------------------------------------------------------
S=$T/secret && mkdir -p "$S"
SECRET="e2e-s3cr3t-$RANDOM$RANDOM-value"
ENV_SECRET="e2e-env-s3cr3t-$RANDOM$RANDOM"
printf '%s' "$SECRET" >"$T/token.txt"
cat >"$S/Dockerfile" <<'DF'
FROM busybox:latest
RUN --mount=type=secret,id=tok md5sum /run/secrets/tok | cut -d' ' -f1 > /tok.md5; stat -c '%a %u' /run/secrets/tok > /tok.stat; grep -c ' /run/secrets/tok ' /proc/mounts
RUN --mount=type=secret,id=envtok,target=/root/.token,mode=0440,uid=1000,required md5sum /root/.token | cut -d' ' -f1 > /env.md5; stat -c '%a %u' /root/.token >> /tok.stat
RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent && echo absent-is-absent
DF
capture env E2E_TOKEN="$ENV_SECRET" "$BERTH_CLI" -H "unix://$SOCK" build -t e2e/secret \
  --secret id=tok,src="$T/token.txt" --secret id=envtok,env=E2E_TOKEN "$S"
[[ $RC -eq 0 ]] || die "secret build: $(why)"
BUILD_OUT="$OUT$ERR"
expect_match "secret: an optional secret not given is not mounted" "(^|$NL)absent-is-absent$NL" "$OUT"
berth run --rm --pull never e2e/secret cat /tok.md5 /env.md5 /tok.stat
expect_eq "secret: the RUN read both secrets (src= and env=), with their modes and owners" \
  "$(printf '%s' "$SECRET" | md5sum | cut -d' ' -f1)${NL}$(printf '%s' "$ENV_SECRET" | md5sum | cut -d' ' -f1)${NL}400 0${NL}440 1000" "$OUT"
berth run --rm --pull never e2e/secret sh -c 'test ! -e /run && test ! -e /root/.token && echo none'
expect_eq "secret: no mount point left in the image" none "$OUT"
ENTRIES=$(layer_entries e2e/secret)
check "secret: the layers hold what the RUNs wrote and no run/ or .token entry" "$(tr '\n' ' ' <<<"$ENTRIES")" \
  bash -c 'grep -qx tok.md5 <<<"$1" && ! grep -qE "^run|\.token" <<<"$1"' _ "$ENTRIES"
for s in "$SECRET" "$ENV_SECRET"; do
  check "secret: not in the build output" "found" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$s" "$BUILD_OUT"
  check "secret: not in any layer (berth save, tar, grep -r)" "found" bash -c '! grep -rqaF -- "$1" "$2"' _ "$s" "$T/save"
  berth history --no-trunc e2e/secret
  check "secret: not in history --no-trunc" "found" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$s" "$OUT"
  berth image inspect e2e/secret
  check "secret: not in the image's config" "found" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$s" "$OUT"
  check "secret: not in the daemon's log (-D) nor anywhere in its data root" "found" \
    bash -c '! grep -rqaF -- "$1" "$2" "$3"' _ "$s" "$T/data" "$T/berthd.log"
done
printf 'FROM busybox:latest\nRUN --mount=type=secret,id=needed,required true\n' >"$S/Dockerfile"
berth build "$S"
expect_match "secret: a required secret not given fails the build, naming it" "secret needed not found" "$ERR"

# --- RUN --mount=type=tmpfs ----------------------------------------------------------------
M=$T/tmpfs && mkdir -p "$M"
printf 'FROM busybox:latest\nRUN --mount=type=tmpfs,target=/scratch,size=1m echo x > /scratch/f && grep " /scratch " /proc/mounts | cut -d" " -f3 > /fs.txt\n' >"$M/Dockerfile"
berth build -t e2e/tmpfs "$M"
berth run --rm --pull never e2e/tmpfs sh -c 'cat /fs.txt; ls -d /scratch 2>/dev/null || echo gone'
expect_eq "tmpfs mount: a tmpfs, gone from the image" "tmpfs${NL}gone" "$OUT"

printf 'FROM busybox:latest\nRUN --mount=type=cache,id=e2e-dup,target=/a,sharing=locked --mount=type=cache,id=e2e-dup,target=/b,sharing=locked touch /a/x && test -e /b/x && echo one-cache\n' >"$M/Dockerfile"
berth build "$M"
expect_match "cache mount: one locked cache at two targets of a RUN is one directory (no self-deadlock)" \
  "^0 .*(^|$NL)one-cache$NL" "$RC $OUT"

printf 'FROM busybox:latest AS tool\nRUN mkdir /out && echo seeded > /out/s.txt\nFROM busybox:latest\nRUN --mount=type=cache,id=e2e-seeded,target=/seed,from=tool,source=/out,mode=0700 cat /seed/s.txt > /seeded.txt; stat -c %%a /seed >> /seeded.txt\n' >"$M/Dockerfile"
berth build -t e2e/seeded "$M"
berth run --rm --pull never e2e/seeded cat /seeded.txt
expect_eq "cache mount: a new cache filled from a stage (from=, source=), with its mode" "seeded${NL}700" "$OUT"

# --- the legacy builder refuses RUN --mount ---------------------------------------------------
printf 'FROM busybox:latest\nRUN --mount=type=cache,target=/c true\n' >"$M/Dockerfile"
capture env DOCKER_BUILDKIT=0 "$DOCKER_CLI" build "$M"
expect_match "docker build (legacy): RUN --mount refused, naming the flag" \
  "the --mount option requires BuildKit" "$OUT$ERR"
check "docker build (legacy): fails" "$(why)" [ "$RC" -ne 0 ]
berth build --legacy-stages "$M"
expect_match "berth build --legacy-stages: refused the same way" "the --mount option requires BuildKit" "$ERR"

# --- --output --------------------------------------------------------------------------------
berth build -q --output type=local,dest="$T/out-local" "$P"
expect_eq "--output type=local: exit 0" 0 "$RC"
check "--output type=local: the result's files in DIR" "$(find "$T/out-local" -maxdepth 1 2>&1 | tr '\n' ' ')" \
  bash -c '[[ $(cat "$1/b.txt") == built && -x "$1/bin/busybox" ]]' _ "$T/out-local"
berth build -q --output type=tar,dest="$T/out.tar" "$P"
expect_eq "--output type=tar,dest=FILE: exit 0" 0 "$RC"
check "--output type=tar,dest=FILE: a tar of the result" "$(tar -tf "$T/out.tar" 2>&1 | head -n 3 | tr '\n' ' ')" \
  bash -c 'tar -tf "$1" | grep -qx "b.txt"' _ "$T/out.tar"
"$BERTH_CLI" -H "unix://$SOCK" build -o - "$P" >"$T/stdout.tar" 2>"$T/stdout.err" || not_ok "-o -: rc $?"
check "--output - (tar on stdout): the tar, the log on stderr" "$(tail -n 2 "$T/stdout.err" | tr '\n' ' ')" \
  bash -c 'tar -tf "$1" | grep -qx "b.txt" && grep -q "Successfully built" "$2"' _ "$T/stdout.tar" "$T/stdout.err"
berth ps -a -q --filter label=org.berth.build.output
expect_eq "--output: no container left behind" "" "$OUT"
berth build --output type=registry "$P"
expect_match "--output type=registry: refused, naming what is exported" "berth exports type=local and type=tar" "$ERR"

# --- builder prune takes the cache mounts no RUN uses ------------------------------------------
berth builder prune -a --keep-storage 1g -f
expect_match "berth builder prune --keep-storage: refused, naming it" "keep-storage is not supported" "$ERR"
berth builder prune -af
expect_eq "berth builder prune: exit 0" 0 "$RC"
expect_match "berth builder prune: what it deleted and reclaimed, as docker's" \
  $'^Deleted build cache objects:\n[0-9a-f]{64}\n.*Total reclaimed space: ' "$OUT"
berth build -t e2e/cache:4 --build-arg N=4 "$C"
berth run --rm --pull never e2e/cache:4 cat /seen.txt
expect_eq "builder prune: the cache mount is gone (the next build sees an empty one)" "" "$OUT"

echo "# took $SECONDS s"
