#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2016,SC2119 # variables read by the sourced libraries; $ meant for the container; start_berthd takes no args here
# e2e.berth_cli: the product's own CLI (berth) drives berthd on an isolated temp root
# (tests/e2e/lib/berthd.bash), through the same lifecycle as docker_cli.sh. Where berth
# must print what Docker's CLI prints, the real docker CLI 28 runs the same command
# against the same berthd and the outputs are compared byte for byte (`same`). Every
# run is `--pull never` on a local busybox image imported from
# tests/fixtures/make-rootfs.sh.
#
#   BERTHD=build/cmd/berthd/berthd BERTH=build/cmd/berth/berth bash tests/e2e/berth_cli.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/berthd.bash
source "$HERE/lib/berthd.bash"
E2E_LABEL="berth CLI e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-20}

# The berth CLI: $BERTH (CTest), else next to the berthd in use, else a build tree's.
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

need_cmd script stty
e2e_init berth_cli
find_berth_cli
echo "# berth CLI $BERTH_CLI"
export BERTH_HOST="unix://$SOCK"
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"

IMG=busybox:latest
RUN=(run --pull never)
NL=$'\n'
nolines() { printf '%s' "$1" | tr '\n' '|'; }
berth() { capture "$BERTH_CLI" "$@"; }

# same NAME ARGS...: `berth ARGS` and `docker ARGS` against the same berthd print the same
# stdout, the same stderr (docker's "docker" words read "berth") and exit alike. Lists
# show relative times ("2 seconds ago"): the clock can pass a second between the two
# commands (on a busy machine it always does), so when the bytes differ, the outputs are
# compared once more with every relative time's number made N and runs of spaces made one
# (a table's column widths follow the longest time): only a real difference persists.
relative_times() { sed -E 's/[0-9]+ (second|minute|hour|day)s?/N \1s/g; s/ {2,}/ /g' <<<"$1"; }
same() {
  local name=$1 try bo be br
  shift
  for try in 1 2; do
    docker "$@"; local dout=$OUT derr=$ERR drc=$RC
    berth "$@"; bo=$OUT be=$ERR br=$RC
    derr=${derr//docker:/berth:}; derr=${derr//"Run 'docker "/"Run 'berth "}
    [[ "$bo" == "$dout" && "$be" == "$derr" && "$br" == "$drc" ]] && { ok "$name"; return 0; }
  done
  if [[ "$(relative_times "$bo")" == "$(relative_times "$dout")" && "$be" == "$derr" && "$br" == "$drc" ]]; then
    ok "$name (but for the clock in relative times)"
    return 0
  fi
  not_ok "$name: berth (rc=$br) printed '$(nolines "$bo")' / stderr '$(nolines "$be")';" \
    "docker (rc=$drc) printed '$(nolines "$dout")' / stderr '$(nolines "$derr")'"
}

# --- no daemon, help, unknown command ---------------------------------------------------------
berth -H unix:///nonexistent.sock ps
expect_eq "no daemon: exit status 1" 1 "$RC"
expect_eq "no daemon: the message names the address" \
  "Cannot connect to the berth daemon at unix:///nonexistent.sock. Is the daemon running?" "$ERR"
BERTH_HOST=unix:///nonexistent.sock berth ps
expect_match "no daemon via \$BERTH_HOST: rc 1 and the address" "^1 .*unix:///nonexistent\\.sock" "$RC $ERR"
berth --help
expect_eq "berth --help: exit status 0" 0 "$RC"
for want in "Usage:  berth [OPTIONS] COMMAND" "-H, --host string" "-v, --version" "  run         Create and run a new container"; do
  check "berth --help mentions '$want'" "$(nolines "$OUT")" grep -qF -- "$want" <<<"$OUT"
done
berth run --help
expect_eq "berth run --help: exit status 0" 0 "$RC"
for want in "Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]" "-d, --detach" "--rm " "--name string" "--pull string" \
  "-i, --interactive" "-t, --tty" "--detach-keys string"; do
  check "berth run --help mentions '$want'" "$(nolines "$OUT")" grep -qF -- "$want" <<<"$OUT"
done
berth nosuchcmd
expect_match "berth nosuchcmd: the message names the command" 'unknown command.*nosuchcmd' "$ERR"
check "berth nosuchcmd: fails" "$(why)" [ "$RC" -ne 0 ]
B_RC=$RC
docker nosuchcmd
expect_eq "berth nosuchcmd: exit status as docker's" "$RC" "$B_RC"

# Not in this version yet, yet real commands: docker's flags parse (and show in --help),
# and the message names the command and says so (exit 1), not "unknown command".
for cmd in "search redis"; do
  # shellcheck disable=SC2086 # the words are the command line
  berth $cmd
  expect_match "berth $cmd: exit 1, says it is not available yet" \
    "^1 berth ${cmd%% *}( [a-z]+)?: .* is not available in this version of berth yet \\(" "$RC $ERR"
done
# pull talks to registries (tests/e2e/registry.sh); here only one on loopback that is not there.
berth pull 127.0.0.1:1/e2e/nosuch:1
expect_eq "berth pull from no registry: exit 1" 1 "$RC"
expect_eq "berth pull from no registry: the message" \
  'Error response from daemon: Get "https://127.0.0.1:1/v2/e2e/nosuch/manifests/1": dial tcp 127.0.0.1:1: connect: connection refused' "$ERR"
berth pull --help
expect_match "berth pull --help: docker's usage and flags" "^0 .*Usage:  berth pull \\[OPTIONS\\] NAME.*-a, --all-tags.*--platform string" "$RC $(nolines "$OUT")"
berth build --help
expect_match "berth build --help: docker's flags" "-f, --file string.*-t, --tag list" "$(nolines "$OUT")"

# Start-up: only cp loads libarchive (dlopen); ps and run start without it and its libraries.
check "berth is not linked with libarchive" "$(ldd "$BERTH_CLI" | tr '\n' ' ')" \
  bash -c "! ldd $(printf '%q' "$BERTH_CLI") | grep -q libarchive"
capture env LD_DEBUG=libs "$BERTH_CLI" -H unix:///nonexistent.sock ps
check "berth ps loads no libarchive (LD_DEBUG=libs)" "$(grep -c 'calling init' <<<"$ERR") libraries initialised" \
  bash -c '! grep -q "libarchive" <<<"$1"' _ "$ERR"

# --- version, info ---------------------------------------------------------------------------
berth version
expect_eq "version: exit status 0" 0 "$RC"
B_SERVER=${OUT#*$'\n\n'}
docker version
expect_eq "version: the Server section as docker prints it" "${OUT#*$'\n\n'}" "$B_SERVER"
berth version -f '{{.Server.APIVersion}} {{.Server.Version}}'
expect_eq "version -f '{{.Server.APIVersion}} {{.Server.Version}}' (docker's field names)" "1.41 0.1.0" "$OUT"
berth info
expect_eq "info: exit status 0" 0 "$RC"
expect_match "info: server section" "${NL}Server:${NL} Containers: 0${NL}" "$OUT"
same "info -f (daemon fields as docker)" info -f '{{.ServerVersion}} {{.Containers}} {{.Images}} {{.Driver}} {{.CgroupDriver}} {{.OSType}} {{.NCPU}} {{.MemTotal}}'

# --- empty lists -----------------------------------------------------------------------------
berth ps -a
expect_eq "ps -a with no containers: docker's header" \
  "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES" "$OUT"
same "ps -a (empty) as docker" ps -a
same "images as docker" images

# --- foreground runs ------------------------------------------------------------------------
berth "${RUN[@]}" --rm "$IMG" sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
expect_eq "run: stdout" to-stdout "$OUT"
expect_eq "run: stderr" to-stderr "$ERR"
expect_eq "run: exit status 3 propagated" 3 "$RC"
berth "${RUN[@]}" --rm --name e2e-nope-rm "$IMG" nope-cmd
expect_eq "run --rm nope-cmd: exit status 127" 127 "$RC"
B_ERR=$(sed -E 's/container [0-9a-f]{12}:/container ID:/' <<<"$ERR")
expect_eq "run --rm nope-cmd: error text" \
  "berth: Error response from daemon: failed to create task for container ID: exec: \"nope-cmd\": executable file not found in \$PATH: No such file or directory${NL}${NL}Run 'berth run --help' for more information" \
  "$B_ERR"
docker "${RUN[@]}" --rm "$IMG" nope-cmd
D_ERR=$(sed -E 's/container [0-9a-f]{12}:/container ID:/; s/^docker:/berth:/; s/Run .docker /Run '"'"'berth /' <<<"$ERR")
expect_eq "run --rm nope-cmd: the same text as docker's" "$D_ERR" "$B_ERR"
berth inspect e2e-nope-rm
expect_eq "run --rm nope-cmd: the container is removed" "1 Error: No such object: e2e-nope-rm" "$RC $ERR"
# A refused start: the status is what berthd recorded (State.ExitCode, or the StatusCode of
# the removal wait for --rm), never read from the message; the message is docker's.
berth "${RUN[@]}" --name e2e-nope-kept "$IMG" nope-cmd
expect_eq "run nope-cmd (kept): exit status 127" 127 "$RC"
berth inspect -f '{{.State.ExitCode}}' e2e-nope-kept
expect_eq "run nope-cmd (kept): berthd recorded State.ExitCode 127" 127 "$OUT"
berth rm e2e-nope-kept
berth "${RUN[@]}" -d --rm "$IMG" nope-cmd
expect_match "run -d --rm nope-cmd: exit status 127, the ID (as docker) and the message" \
  "^127 [0-9a-f]{64} berth: Error response from daemon: .*executable file not found" "$RC $OUT $ERR"
berth "${RUN[@]}" --rm "$IMG" /etc
B_RC=$RC
expect_eq "run --rm /etc (a directory): exit status 126" 126 "$B_RC"
docker "${RUN[@]}" --rm "$IMG" /etc
expect_eq "run --rm /etc: the same status as docker's" "$RC" "$B_RC"
berth "${RUN[@]}" --rm -i "$IMG" cat <<<"stdin-line"
expect_eq "run -i passes stdin" stdin-line "$OUT"

berth "${RUN[@]}" e2e/nosuch:1 true
expect_eq "run --pull never of a missing image: exit status 125" 125 "$RC"
expect_eq "run --pull never of a missing image: error text" \
  "berth: Error response from daemon: No such image: e2e/nosuch:1${NL}${NL}Run 'berth run --help' for more information" "$ERR"
berth run 127.0.0.1:1/e2e/nosuch true
expect_eq "run (default pull) of a missing image: exit status 125" 125 "$RC"
expect_eq "run (default pull) of a missing image: error text" \
  "Unable to find image '127.0.0.1:1/e2e/nosuch:latest' locally${NL}berth: Error response from daemon: Get \"https://127.0.0.1:1/v2/e2e/nosuch/manifests/latest\": dial tcp 127.0.0.1:1: connect: connection refused${NL}${NL}Run 'berth run --help' for more information" "$ERR"

# -it under a pty (util-linux script): stty there sets the size berth forwards; ctrl-p
# ctrl-q, fed after the container is up, detaches and leaves it running.
berth_q=$(printf '%q' "$BERTH_CLI")
printf 'stty rows 31 cols 97\n%s run -it --pull never --name e2e-it %s sh -c %q\necho cli-rc=$?\n: >%q\n' \
  "$berth_q" "$IMG" 'stty size; tty; exec sleep 1000' "$T/it-detached" >"$T/it.sh"
# The keys go once the container printed its tty (so the CLI is attached, its terminal
# raw), not before; script's stdin stays open until the CLI has exited (it-detached).
capture bash -c "{ for _ in \$(seq 300); do $berth_q logs e2e-it 2>/dev/null | grep -q /dev/pts && break; sleep 0.1; done
  printf '\\x10\\x11'; for _ in \$(seq 300); do [ -e $T/it-detached ] && break; sleep 0.1; done; } |
  script -qec 'bash $T/it.sh' /dev/null"
OUT=$(printf '%s' "$OUT" | tr -d '\r' | sed 's/\^[@D]//g')
expect_match "run -it: the container sees the terminal size 31x97" "(^|$NL)31 97$NL" "$OUT"
expect_match "run -it: stdin is a pty" "${NL}/dev/pts/[0-9]+$NL" "$OUT"
expect_match "run -it: ctrl-p ctrl-q detaches, the CLI exits 0" "${NL}cli-rc=0(\$|$NL)" "$OUT"
berth inspect -f '{{.State.Status}}' e2e-it
expect_eq "run -it: the container still runs after the detach" running "$OUT"
capture script -qec "$berth_q run -it --rm --pull never $IMG sh -c 'exit 3'; echo cli-rc=\$?" /dev/null </dev/null
# As above: `script` may echo a control character (^@/^D) for its own stdin's EOF.
expect_match "run -it: exit status 3 propagated" "(^|$NL)cli-rc=3" "$(printf '%s' "$OUT" | tr -d '\r\000' | sed 's/\^[@D]//g')"
berth rm -f e2e-it

# --- run -d, ps ------------------------------------------------------------------------------
# Its process tree stays the same between two `top` calls (one sleep, waited for: a
# trapped TERM interrupts `wait`, so stop still ends it with status 0).
berth "${RUN[@]}" -d --name e2e-long "$IMG" sh -c 'trap "exit 0" TERM; echo started; sleep 100000 & wait $!'
LONG=$OUT
[[ $RC -eq 0 && $LONG =~ ^[0-9a-f]{64}$ ]] || die "run -d failed: $(why)"
ok "run -d prints the 64-hex container ID"
berth "${RUN[@]}" -d --name e2e-exited "$IMG" sh -c 'exit 4'
EXITED=$OUT
berth wait e2e-exited
expect_eq "wait prints the exit status" 4 "$OUT"
berth "${RUN[@]}" -d --name e2e-long "$IMG" true
expect_eq "name conflict: exit status 125" 125 "$RC"
expect_eq "name conflict: docker's text" \
  "berth: Error response from daemon: Conflict. The container name \"/e2e-long\" is already in use by container \"$LONG\". You have to remove (or rename) that container to be able to reuse that name.${NL}${NL}Run 'berth run --help' for more information" "$ERR"

berth ps
expect_match "ps: table header" '^CONTAINER ID   IMAGE            COMMAND +CREATED +STATUS +PORTS     NAMES'"$NL" "$OUT"
# Arguments with spaces are quoted as Docker quotes them (sh -c 'trap ...').
ROW_RE='"sh -c '\''trap \\"exit 0…" +[0-9A-Za-z ]+ ago +Up [0-9A-Za-z ]+ +e2e-long'
expect_match "ps: the running container's row" "(^|$NL)${LONG:0:12}   busybox:latest   $ROW_RE(\$|$NL)" "$OUT"
same "ps as docker" ps
same "ps -a as docker" ps -a
same "ps -a --no-trunc as docker" ps -a --no-trunc
berth ps -q
expect_eq "ps -q: the short ID of the running container" "${LONG:0:12}" "$OUT"
berth ps -a --format '{{.Names}} {{.Status}}'
expect_match "ps -a --format '{{.Names}} {{.Status}}'" "^e2e-exited Exited \\(4\\) [0-9A-Za-z ]+ ago${NL}e2e-long Up [0-9A-Za-z ]+\$" "$OUT"
same "ps -a --format '{{.Names}} {{.Status}}' as docker" ps -a --format '{{.Names}} {{.Status}}'
berth ps -aq --filter status=exited
expect_eq "ps -aq --filter status=exited" "${EXITED:0:12}" "$OUT"
berth ps -a --filter name=e2e-long --format '{{.ID}}'
expect_eq "ps --filter name=" "${LONG:0:12}" "$OUT"
same "ps -a --filter status=running --format table as docker" ps -a --filter status=running --format 'table {{.Names}}\t{{.Image}}\t{{.Command}}'

# --- images, inspect -------------------------------------------------------------------------
same "images as docker" images
same "images -q as docker" images -q
same "images --no-trunc as docker" images --no-trunc
berth inspect -f '{{.State.Status}} {{.State.Running}} {{.Name}}' "$LONG"
expect_eq "inspect -f state of the running container" "running true /e2e-long" "$OUT"
berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$EXITED"
expect_eq "inspect -f state of the exited container" "exited 4" "$OUT"
same "inspect (JSON) as docker" inspect e2e-long
same "inspect of an image as docker" inspect busybox:latest
berth inspect nope
expect_eq "inspect nope: rc 1, 'Error: No such object: nope'" "1 Error: No such object: nope" "$RC $ERR"

# --- logs ------------------------------------------------------------------------------------
berth "${RUN[@]}" -d --name e2e-logs "$IMG" sh -c 'for i in 1 2 3; do echo line$i; sleep 0.3; done; echo err-line >&2'
berth logs -f e2e-logs
expect_eq "logs -f ends when the container exits (status)" 0 "$RC"
expect_eq "logs -f: stdout lines" $'line1\nline2\nline3' "$OUT"
expect_eq "logs -f: stderr line on stderr" err-line "$ERR"
berth logs --tail 2 e2e-logs
expect_eq "logs --tail 2 (stdout part)" line3 "$OUT"
expect_eq "logs --tail 2 (stderr part)" err-line "$ERR"
berth logs -t e2e-logs
expect_match "logs -t: RFC 3339 timestamps" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z line1'$'\n''[0-9T:.Z-]+ line2'$'\n''[0-9T:.Z-]+ line3$' "$OUT"
same "logs -t as docker" logs -t e2e-logs
berth logs nope
expect_eq "logs nope: rc 1, 'No such container: nope'" "1 Error response from daemon: No such container: nope" "$RC $ERR"

# --- exec ------------------------------------------------------------------------------------
berth exec e2e-long sh -c 'echo exec-$((6 * 7))'
expect_eq "exec: output" exec-42 "$OUT"
berth exec e2e-long sh -c 'exit 5'
expect_eq "exec: exit status 5" 5 "$RC"
berth exec -e E2E_X=hello -w /tmp -u 1000 e2e-long sh -c 'echo "$E2E_X $PWD $(id -u)"'
expect_eq "exec -e -w -u" "hello /tmp 1000" "$OUT"
berth exec e2e-exited true
expect_eq "exec in an exited container: rc 1 and the text" \
  "1 Error response from daemon: Container $EXITED is not running" "$RC $ERR"
berth exec e2e-long nope-cmd
expect_eq "exec nope-cmd: exit status 127" 127 "$RC"
expect_match "exec nope-cmd: the error is shown" 'OCI runtime exec failed: .*executable file not found in \$PATH' "$OUT$ERR"
docker exec e2e-long nope-cmd
expect_match "exec nope-cmd with the docker CLI: rc 127 and the error (the stream is well framed)" \
  '^127 .*OCI runtime exec failed: .*executable file not found in \$PATH' "$RC $OUT$ERR"

# --- --link, --mac-address on a user-defined network (10.218.5.0/24) -------------------------
berth network create --subnet 10.218.5.0/24 e2e-links >/dev/null
berth "${RUN[@]}" -d --name e2e-linked --network e2e-links "$IMG" sleep 600
berth "${RUN[@]}" --rm --network e2e-links --link e2e-linked:dbalias --mac-address 02:42:0a:da:05:63 "$IMG" \
  sh -c 'nslookup dbalias 127.0.0.11 | grep -c "^Address.*10\.218\.5\." ; cat /sys/class/net/eth0/address'
expect_eq "run --link NAME:ALIAS --mac-address: the alias resolves and eth0 has the MAC" $'1\n02:42:0a:da:05:63' "$OUT"
berth "${RUN[@]}" --rm --link e2e-linked:dbalias "$IMG" true
expect_match "run --link on the default bridge: refused with the reason" 'legacy links outside a user-defined network' "$ERR"
berth rm -f e2e-linked >/dev/null
berth network rm e2e-links >/dev/null
expect_eq "the link test's network is removed" 0 "$RC"

# --- top, stats, rename ---------------------------------------------------------------------
berth top e2e-long
expect_match "top: header" '^UID +PID +PPID +C +STIME +TTY +TIME +CMD' "$OUT"
expect_match "top: the container's command" "sh -c trap \"exit 0\" TERM" "$OUT"
same "top as docker" top e2e-long
berth stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' e2e-long
expect_match "stats --no-stream: name, memory usage / limit, pids" '^e2e-long [0-9.]+[kKMG]?i?B / [0-9.]+[kKMGT]i?B [0-9]+$' "$OUT"
berth stats --no-stream e2e-long
expect_match "stats --no-stream: docker's table" '^CONTAINER ID   NAME       CPU %     MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS'"$NL${LONG:0:12}"'   e2e-long   [0-9.]+%' "$OUT"
same "stats --no-stream --format '{{.ID}} {{.Name}} {{.NetIO}} {{.BlockIO}}' as docker" stats --no-stream --format '{{.ID}} {{.Name}} {{.NetIO}} {{.BlockIO}}' e2e-long
berth rename e2e-long e2e-renamed
expect_eq "rename: silent, exit status 0" "0 " "$RC $OUT$ERR"
berth inspect -f '{{.Name}}' "$LONG"
expect_eq "rename: inspect shows the new name" /e2e-renamed "$OUT"
berth inspect e2e-long
expect_eq "rename: the old name is free" 1 "$RC"

# --- pause / unpause -------------------------------------------------------------------------
berth pause e2e-renamed
expect_eq "pause: prints the name" "0 e2e-renamed" "$RC $OUT"
berth ps --filter name=e2e-renamed --format '{{.Status}}'
expect_match "pause: ps shows (Paused)" '^Up .*\(Paused\)$' "$OUT"
berth inspect -f '{{.State.Status}} {{.State.Paused}}' e2e-renamed
expect_eq "pause: inspect" "paused true" "$OUT"
expect_eq "pause: host freezer.state" FROZEN "$(cat "$(host_cgroup freezer "$LONG")/freezer.state" 2>&1)"
berth unpause e2e-renamed
expect_eq "unpause: prints the name" "0 e2e-renamed" "$RC $OUT"
berth inspect -f '{{.State.Status}} {{.State.Paused}}' e2e-renamed
expect_eq "unpause: inspect" "running false" "$OUT"

# --- rm --------------------------------------------------------------------------------------
berth rm e2e-renamed
expect_eq "rm of a running container: rc 1 and docker's text" \
  "1 Error response from daemon: You cannot remove a running container $LONG. Stop the container before attempting removal or force remove" "$RC $ERR"
same "rm of a running container as docker" rm e2e-renamed
berth rm nope
expect_eq "rm nope: rc 1, 'No such container: nope'" "1 Error response from daemon: No such container: nope" "$RC $ERR"
berth rm nope e2e-exited
expect_eq "rm nope e2e-exited: goes on after the failure, rc 1" "1 e2e-exited" "$RC $OUT"
berth inspect "$EXITED"
check "rm: the exited container is gone" "$(why)" [ "$RC" -eq 1 ]

# --- stop, kill, wait ------------------------------------------------------------------------
berth stop e2e-renamed
expect_eq "stop (trap TERM): prints the name" "0 e2e-renamed" "$RC $OUT"
berth inspect -f '{{.State.Status}} {{.State.ExitCode}}' e2e-renamed
expect_eq "stop: a trap TERM container exits 0" "exited 0" "$OUT"
berth "${RUN[@]}" -d --name e2e-deaf "$IMG" sh -c 'while :; do sleep 0.1; done'
start=$SECONDS
berth stop -t 1 e2e-deaf
berth wait e2e-deaf
expect_eq "stop -t 1: a SIGTERM-ignoring PID 1 is killed, wait prints 137" "0 137" "$RC $OUT"
check "stop -t 1 took less than 8 s" "took $((SECONDS - start)) s" [ $((SECONDS - start)) -lt 8 ]
# PID 1 ignores a signal it has no handler for: USR1 goes once the trap is set.
berth "${RUN[@]}" -d --name e2e-kill "$IMG" sh -c 'trap "exit 10" USR1; echo trapped; while :; do sleep 0.1; done'
wait_for_log e2e-kill trapped || not_ok "e2e-kill never said 'trapped': $(why)"
berth kill -s USR1 e2e-kill
expect_eq "kill -s USR1: prints the name" "0 e2e-kill" "$RC $OUT"
berth wait e2e-kill
expect_eq "kill -s USR1: the trap's exit status 10" 10 "$OUT"
berth "${RUN[@]}" -d --name e2e-kill9 "$IMG" sleep 1000
KILL9=$OUT
berth kill e2e-kill9
berth wait e2e-kill9
expect_eq "kill: SIGKILL, wait prints 137" 137 "$OUT"
berth kill e2e-kill9
expect_eq "kill of a stopped container: rc 1 and the text" \
  "1 Error response from daemon: Container $KILL9 is not running" "$RC $ERR"
berth wait nope
expect_eq "wait nope: rc 1 and the text" "1 Error response from daemon: No such container: nope" "$RC $ERR"

# --- rm -f of a running container -----------------------------------------------------------
berth "${RUN[@]}" -d --name e2e-rmf "$IMG" sleep 1000
RMF=$OUT
berth rm -f e2e-rmf e2e-deaf e2e-kill e2e-kill9
expect_eq "rm -f prints each name" $'e2e-rmf\ne2e-deaf\ne2e-kill\ne2e-kill9' "$OUT"
berth inspect "$RMF"
check "rm -f: the running container is gone" "$(why)" [ "$RC" -eq 1 ]

# --- cp, diff, commit, export ---------------------------------------------------------------
berth "${RUN[@]}" -d --name e2e-files "$IMG" sh -c 'mkdir -p /data/sub; echo deep >/data/sub/f; echo added >/added; echo motd2 >>/etc/motd; touch /ready; sleep 1000'
for _ in $(seq 50); do berth exec e2e-files test -e /ready; [[ $RC -eq 0 ]] && break; sleep 0.1; done
mkdir -p "$T/cp/in/dir" "$T/cp/out"
echo host-file >"$T/cp/in/file.txt"
echo in-dir >"$T/cp/in/dir/inner.txt"
berth cp "$T/cp/in/file.txt" e2e-files:/tmp/
expect_eq "cp host file -> container: silent, rc 0" "0 " "$RC $OUT$ERR"
berth exec e2e-files cat /tmp/file.txt
expect_eq "cp host file -> container" host-file "$OUT"
berth cp "$T/cp/in/dir" e2e-files:/tmp/
berth exec e2e-files cat /tmp/dir/inner.txt
expect_eq "cp host dir -> container" in-dir "$OUT"
berth cp e2e-files:/added "$T/cp/out/added"
expect_eq "cp container file -> host" added "$(cat "$T/cp/out/added" 2>&1)"
berth cp e2e-files:/data "$T/cp/out/"
expect_eq "cp container dir -> host" deep "$(cat "$T/cp/out/data/sub/f" 2>&1)"
berth cp e2e-files:/nope "$T/cp/out/"
expect_eq "cp of a missing path: rc 1 and the text" \
  "1 Error response from daemon: Could not find the file /nope in container e2e-files" "$RC $ERR"

berth diff e2e-files
for line in "A /added" "C /etc/motd" "A /data/sub/f" "A /tmp/file.txt" "A /tmp/dir/inner.txt"; do
  check "diff lists '$line'" "$(nolines "$OUT")" grep -qxF "$line" <<<"$OUT"
done
same "diff as docker" diff e2e-files

berth commit e2e-files e2e/committed:v1
expect_match "commit prints the new image ID" '^sha256:[0-9a-f]{64}$' "$OUT"
berth "${RUN[@]}" --rm e2e/committed:v1 cat /added /data/sub/f
expect_eq "run the committed image: its files are there" $'added\ndeep' "$OUT"

capture bash -c "$berth_q export e2e-files | tar -t"
B_LIST=$OUT
for f in bin/busybox added data/sub/f tmp/dir/inner.txt; do
  check "export | tar -t lists $f" "$(nolines "$B_LIST" | cut -c1-300)" grep -qE "^(\\./)?$f\$" <<<"$B_LIST"
done
berth export -o "$T/exported.tar" e2e-files
expect_eq "export -o: rc 0" 0 "$RC"
capture bash -c "$(printf '%q' "$DOCKER_CLI") export e2e-files | tar -t"
expect_eq "export: the same entries as docker export" "$OUT" "$B_LIST"
expect_eq "export -o: the same entries" "$B_LIST" "$(tar -tf "$T/exported.tar" 2>&1)"
berth rm -f e2e-files

# --- import --change, save / rmi / load ------------------------------------------------------
berth import --change 'CMD ["echo","x"]' "$T/busybox.tar" e2e/imported:1
IMPID=$OUT
expect_match "import --change prints the image ID" '^sha256:[0-9a-f]{64}$' "$IMPID"
berth inspect -f '{{json .Config.Cmd}}' e2e/imported:1
expect_eq "import --change: Config.Cmd" '["echo","x"]' "$OUT"
berth "${RUN[@]}" --rm e2e/imported:1
expect_eq "run the imported image: its CMD echoes x" x "$OUT"
same "images as docker (three images)" images
berth save -o "$T/saved.tar" e2e/imported:1
expect_eq "save -o: silent, rc 0" "0 " "$RC $OUT$ERR"
check "save: the archive has manifest.json" "$(tar -tf "$T/saved.tar" 2>&1 | tr '\n' ' ')" \
  eval 'tar -tf "$T/saved.tar" | grep -x manifest.json >/dev/null'
docker save -o "$T/saved-docker.tar" e2e/imported:1
check "save: the same archive as docker save" "differ" cmp -s "$T/saved.tar" "$T/saved-docker.tar"
berth rmi e2e/imported:1
expect_eq "rmi: Untagged and Deleted" "Untagged: e2e/imported:1${NL}Deleted: $IMPID" "$OUT"
berth image inspect e2e/imported:1
expect_eq "rmi: the image is gone" "1 Error response from daemon: No such image: e2e/imported:1" "$RC $ERR"
same "image inspect of the removed image as docker" image inspect e2e/imported:1
berth load -i "$T/saved.tar"
expect_eq "load -i: rc 0" 0 "$RC"
expect_eq "load -i: prints the loaded tag (as docker, stdout not a terminal)" "Loaded image: e2e/imported:1" "$OUT"
berth image inspect -f '{{.Id}}' e2e/imported:1
expect_eq "save/rmi/load round trip keeps the image ID" "$IMPID" "$OUT"
berth "${RUN[@]}" --rm e2e/imported:1
expect_eq "run the loaded image" x "$OUT"

# --- events ---------------------------------------------------------------------------------
since=$(date +%s)
berth "${RUN[@]}" -d --name e2e-events "$IMG" sh -c 'exit 2'
EV=$OUT
berth wait e2e-events
until=$(($(date +%s) + 2))
berth events --since "$since" --until "$until" --filter "container=$EV" --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
expect_eq "events --since/--until (until ahead): create, start, die" \
  $'container create e2e-events\ncontainer start e2e-events\ncontainer die e2e-events' "$OUT"
expect_eq "events --since/--until: ends at --until with rc 0" 0 "$RC"
berth events --since "$since" --until "$until" --filter "container=$EV" --filter event=die --format '{{.Actor.Attributes.exitCode}}'
expect_eq "events --filter event=die: die carries exitCode (window in the past)" 2 "$OUT"
same "events (default format) as docker" events --since "$since" --until "$until" --filter "container=$EV"
berth events --since "$((since - 3600))" --until "$((since - 1))" --filter "container=$EV"
expect_eq "events: a window before the container has nothing" "0 " "$RC $OUT"

echo "# took $SECONDS s"
