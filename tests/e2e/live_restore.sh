#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries or in eval strings
# e2e.live_restore: containers outlive berthd. Each container runs under its own
# berth-shim (own session), so `kill -9` of berthd leaves it running; a restarted
# berthd (same data-root/exec-root) finds it again, with the logs written meanwhile
# and the exit status of a container that ended while berthd was down. A SIGTERM
# is a clean shutdown (pidfile and socket removed) that also leaves containers up.
#
# Nothing here is ordered by sleeping: the short container blocks on a fifo
# bind-mounted from the host, which the test opens only once berthd is dead, and
# every "meanwhile" is a bounded wait for what it needs (log lines on disk).
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/live_restore.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="live-restore e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-20}
e2e_init live_restore
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"
RUN=(run --pull never)

alive() { kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
# line_numbers: the N of every "line N" in OUT, one per line.
line_numbers() { printf '%s\n' "$OUT" | sed -n 's/^line \([0-9][0-9]*\)$/\1/p'; }
# contiguous: the numbers are exactly 1..count (nothing lost, nothing doubled).
contiguous() { [[ "$(line_numbers)" == "$(seq 1 "$(line_numbers | wc -l)")" ]]; }
# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds (0) or SECONDS pass (1).
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.1; done
}
# log_lines_at_least N: the long container's json-file log (written by its shim,
# whether berthd runs or not) holds at least N lines.
log_lines_at_least() { (($(wc -l <"$LONG_LOG" 2>/dev/null || echo 0) >= $1)); }
logs_have_at_least() { docker logs e2e-long; (($(line_numbers | wc -l) >= $1)); }

docker "${RUN[@]}" -d --name e2e-long busybox:latest \
  sh -c 'trap "exit 0" TERM; i=0; while :; do i=$((i + 1)); echo "line $i"; sleep 0.2; done'
LONG=$OUT
[[ $RC -eq 0 && $LONG =~ ^[0-9a-f]{64}$ ]] || die "run -d of the long container failed: $(why)"
# The short container exits 7 once something is written to the fifo: the test
# writes it only after berthd is dead, so the exit happens while berthd is down.
mkdir -p "$T/gate"
mkfifo "$T/gate/release"
docker "${RUN[@]}" -d --name e2e-short -v "$T/gate:/gate" busybox:latest sh -c 'read -r _ </gate/release; exit 7'
SHORT=$OUT
[[ $RC -eq 0 ]] || die "run -d of the short container failed: $(why)"
docker inspect -f '{{.State.Pid}}' e2e-long
LPID=$OUT
docker inspect -f '{{.State.Pid}}' e2e-short
SPID=$OUT
[[ $LPID =~ ^[1-9][0-9]*$ && $SPID =~ ^[1-9][0-9]*$ ]] || die "inspect gave no pids: long '$LPID', short '$SPID'"
SHIMS=$(pids_under "$T/exec/" | sort -n | tr '\n' ' ')
check "one berth-shim per container, named by its state dir under the exec-root" "shims: '$SHIMS'" \
  [ "$(wc -w <<<"$SHIMS")" -eq 2 ]
docker inspect -f '{{.LogPath}}' e2e-long
LONG_LOG=$OUT
[[ -f "$LONG_LOG" ]] || die "inspect gave no json-file log path for the long container: '$LONG_LOG'"
wait_for 30 logs_have_at_least 2 || true
BEFORE=$(line_numbers | wc -l)
check "logs before the kill: a few contiguous lines" "$(why)" eval '((BEFORE >= 2)) && contiguous'

# --- kill -9 berthd ----------------------------------------------------------------------------
KPID=$BERTHD_PID
kill9_berthd
t_kill=$(date +%s%N)
check "berthd ($KPID) is gone after kill -9" "still alive" eval '! alive "$KPID"'
check "the long container's process ($LPID) survives kill -9 of berthd" "it is gone" alive "$LPID"
for p in $SHIMS; do check "shim $p survives kill -9 of berthd" "it is gone" alive "$p"; done
check "the short container ($SPID) still waits on its fifo" "it is gone" alive "$SPID"
# While berthd is down: release the short container (it exits 7), and let the
# long one write 8 more lines to its log.
timeout 20 sh -c 'echo go >"$1"' _ "$T/gate/release" || not_ok "the short container never opened its fifo"
wait_for 20 eval '! alive "$SPID"' || true
check "the short container exited while berthd was down" "pid $SPID still alive" eval '! alive "$SPID"'
DOWN_LINES=$(wc -l <"$LONG_LOG")
wait_for 30 log_lines_at_least $((DOWN_LINES + 8)) || true
check "the long container's shim logged 8 lines while berthd was down" \
  "$DOWN_LINES lines at the kill, $(wc -l <"$LONG_LOG") now" log_lines_at_least $((DOWN_LINES + 8))
t_restart=$(date +%s%N)

# --- restart berthd on the same dirs ----------------------------------------------------------
start_berthd
ok "berthd restarts on the same data-root and exec-root (stale pidfile and socket)"
docker ps --format '{{.Names}} {{.Status}}'
expect_match "ps after restore: the long container is Up" '^e2e-long Up [^'$'\n'']+$' "$OUT"
docker ps -a --filter name=e2e-short --format '{{.Status}}'
expect_match "ps -a after restore: the short one is Exited (7)" '^Exited \(7\) ' "$OUT"
docker inspect -f '{{.State.Status}} {{.State.Pid}}' e2e-long
expect_eq "inspect after restore: running, same pid" "running $LPID" "$OUT"
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' e2e-short
expect_eq "inspect after restore: the short one exited 7" "exited 7" "$OUT"
docker inspect -f '{{.State.FinishedAt}}' e2e-short
fin=$(date -d "$OUT" +%s%N 2>/dev/null || echo 0)
check "the short one's FinishedAt ($OUT) lies while berthd was down" \
  "kill at $t_kill, restart at $t_restart (ns)" [ "$fin" -ge "$((t_kill - 1000000000))" -a "$fin" -le "$t_restart" ]
docker wait e2e-short
expect_eq "wait on the short one prints 7" 7 "$OUT"
docker logs e2e-long
AFTER=$(line_numbers | wc -l)
check "logs after restore: lines written while berthd was down (>= 8 more)" "before $BEFORE, after $AFTER" \
  [ "$AFTER" -ge $((BEFORE + 8)) ]
check "logs after restore: lines 1..$AFTER, none lost or doubled" "$(why)" contiguous
docker exec e2e-long sh -c 'echo exec-after-restore $$'
expect_match "exec works after restore" '^exec-after-restore [0-9]+$' "$OUT"
docker exec e2e-long sh -c 'exit 9'
expect_eq "exec after restore: exit status 9" 9 "$RC"
docker top e2e-long
expect_match "top after restore lists the container's shell" 'sh -c trap' "$OUT"

# --- SIGTERM: clean shutdown ------------------------------------------------------------------
TPID=$BERTHD_PID
stop_berthd
expect_eq "SIGTERM: berthd exits with status 0" 0 "${BERTHD_RC:-}"
check "SIGTERM: the pidfile is removed" "$T/berthd.pid still there" [ ! -e "$T/berthd.pid" ]
check "SIGTERM: the socket is removed" "$SOCK still there" [ ! -e "$SOCK" ]
check "SIGTERM: berthd ($TPID) is gone" "still alive" eval '! alive "$TPID"'
check "SIGTERM: the long container ($LPID) is still running" "it is gone" alive "$LPID"
start_berthd
ok "berthd starts again after a clean shutdown"
check "the new berthd wrote its pidfile" "pidfile: '$(cat "$T/berthd.pid" 2>&1)', pid $BERTHD_PID" \
  [ "$(cat "$T/berthd.pid" 2>/dev/null)" == "$BERTHD_PID" ]
docker inspect -f '{{.State.Status}} {{.State.Pid}}' e2e-long
expect_eq "after a clean restart: the long container is found, running, same pid" "running $LPID" "$OUT"
last_line_beyond() { docker logs --tail 1 e2e-long; last=$(line_numbers); ((${last:-0} > $1)); }
wait_for 30 last_line_beyond "$AFTER" || true
check "after a clean restart: logs go on" "last line number '$last', $AFTER before the SIGTERM" \
  [ "${last:-0}" -gt "$AFTER" ]

# --- stop after restore ----------------------------------------------------------------------
start=$SECONDS
docker stop e2e-long
expect_eq "stop after restore prints the name" e2e-long "$OUT"
check "stop after restore took less than 8 s" "took $((SECONDS - start)) s" [ $((SECONDS - start)) -lt 8 ]
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' e2e-long
expect_eq "stop after restore: the trap exits 0" "exited 0" "$OUT"
check "stop after restore: the container process is gone" "pid $LPID alive" eval '! alive "$LPID"'
wait_for 20 eval '[[ -z "$(pids_under "$T/exec/")" ]]' || true
check "the shims exited with their containers" "left: $(pids_under "$T/exec/" | tr '\n' ' ')" \
  [ -z "$(pids_under "$T/exec/")" ]
docker start e2e-long
docker inspect -f '{{.State.Status}}' e2e-long
expect_eq "a restored, stopped container starts again" running "$OUT"
docker rm -f e2e-long e2e-short
expect_eq "rm -f of the restored containers" $'e2e-long\ne2e-short' "$OUT"
check "rm -f: their memory cgroups are removed" "$(ls -d "$(host_cgroup memory "")"/* 2>/dev/null | tr '\n' ' ')" \
  eval '[ ! -d "$(host_cgroup memory "$LONG")" ] && [ ! -d "$(host_cgroup memory "$SHORT")" ]'

echo "# took $SECONDS s"
