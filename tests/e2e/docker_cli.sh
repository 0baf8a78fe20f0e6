#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries or in eval strings
# e2e.docker_cli: the real Docker CLI 28 drives berthd (Engine API 1.41) on an isolated
# temp root (tests/e2e/lib/berthd.bash). Every run is `--pull never` on a local busybox
# image `docker import`ed from tests/fixtures/make-rootfs.sh.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/docker_cli.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="docker CLI e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-20}
need_cmd script stty
e2e_init docker_cli
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"

IMG=busybox:latest
RUN=(run --pull never)
NL=$'\n'
nolines() { printf '%s' "$1" | tr '\n' '|'; }

docker version -f '{{.Server.APIVersion}}'
expect_eq "version: server API version" 1.41 "$OUT"

# --- foreground runs ------------------------------------------------------------------------
docker "${RUN[@]}" --rm "$IMG" sh -c 'echo to-stdout; echo to-stderr >&2'
expect_eq "run: stdout" to-stdout "$OUT"
expect_eq "run: stderr" to-stderr "$ERR"
expect_eq "run: exit status 0" 0 "$RC"
docker "${RUN[@]}" --rm "$IMG" sh -c 'exit 3'
expect_eq "run: exit status of sh -c 'exit 3' propagated" 3 "$RC"
docker "${RUN[@]}" --name e2e-nope "$IMG" nope-cmd
expect_eq "run nope-cmd: exit status 127" 127 "$RC"
expect_match "run nope-cmd: error text" 'exec: "nope-cmd": executable file not found in \$PATH' "$ERR"
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' e2e-nope
expect_eq "run nope-cmd: the container is created, exit code 127" "created 127" "$OUT"
# With --rm the CLI waits (condition=removed) for the daemon to remove the container
# whose start failed, as dockerd does.
CMD_TIMEOUT=8 docker "${RUN[@]}" --rm --name e2e-nope-rm "$IMG" nope-cmd
expect_eq "run --rm nope-cmd: exit status 127 (the failed container is auto-removed)" 127 "$RC"
docker inspect e2e-nope-rm
check "run --rm nope-cmd: the container is gone" "$(why)" [ "$RC" -ne 0 ]
docker rm -f e2e-nope-rm e2e-nope >/dev/null
docker "${RUN[@]}" --rm --name e2e-rm "$IMG" true
docker inspect e2e-rm
check "run --rm: the container is gone after the run" "inspect still answers: $(why)" [ "$RC" -ne 0 ]
docker "${RUN[@]}" --rm -u 1000 "$IMG" id -u
expect_eq "run -u 1000" 1000 "$OUT"
docker "${RUN[@]}" --rm -i "$IMG" cat <<<"stdin-line"
expect_eq "run -i passes stdin" stdin-line "$OUT"
# Binary input with the default detach keys (^P^Q) in it: without a tty they are data, as in Docker.
python3 -c 'import os, sys; sys.stdout.buffer.write(os.urandom(1 << 19) + b"\x10\x11" + os.urandom(1 << 19))' >"$T/binary.in"
BIN_SUM=$(sha256sum <"$T/binary.in" | cut -d' ' -f1)
capture bash -c "'$DOCKER_CLI' run --pull never --rm -i --network none '$IMG' cat <'$T/binary.in' | sha256sum"
expect_eq "run -i: 1 MiB of binary stdin holding ^P^Q comes back whole" "$BIN_SUM  -" "$OUT"

docker "${RUN[@]}" --rm --add-host h.example:10.1.2.3 "$IMG" grep h.example /etc/hosts
expect_eq "run --add-host: the line in /etc/hosts" $'10.1.2.3\th.example' "$OUT"
docker network inspect -f '{{(index .IPAM.Config 0).Gateway}}' bridge
GW=$OUT
docker "${RUN[@]}" --rm --add-host host.docker.internal:host-gateway "$IMG" grep host.docker.internal /etc/hosts
expect_eq "run --add-host NAME:host-gateway: the default bridge's gateway ($GW)" "$GW"$'\thost.docker.internal' "$OUT"
docker "${RUN[@]}" --rm --add-host h.example:not-an-ip "$IMG" true
expect_match "run --add-host with a bad address: refused at create" "invalid IP address in add-host: \"not-an-ip\"" "$RC $ERR"

# -it under a pty (util-linux script); stty in that pty sets the size docker forwards.
docker_q=$(printf '%q' "$DOCKER_CLI")
capture script -qec "stty rows 31 cols 97; $docker_q run -it --rm --pull never $IMG sh -c 'stty size; tty'" /dev/null </dev/null
# script turns EOF on its stdin into a control character the pty echoes (^@ or ^D), anywhere.
OUT=$(printf '%s' "$OUT" | tr -d '\r' | sed 's/\^[@D]//g')
expect_match "run -it: the container sees the terminal size 31x97" "(^|$NL)31 97$NL" "$OUT"
expect_match "run -it: stdin is a pty" $'\n''/dev/pts/[0-9]+' "$OUT"

# --- run -d, ps ------------------------------------------------------------------------------
docker "${RUN[@]}" -d --name e2e-long "$IMG" sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done'
LONG=$OUT
[[ $RC -eq 0 && $LONG =~ ^[0-9a-f]{64}$ ]] || die "run -d failed: $(why)"
ok "run -d prints the 64-hex container ID"
docker "${RUN[@]}" -d --name e2e-exited "$IMG" sh -c 'exit 4'
EXITED=$OUT
docker wait e2e-exited
expect_eq "wait prints the exit status" 4 "$OUT"

docker ps
expect_match "ps: table header" '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES' "$OUT"
expect_match "ps: the running container's row" "(^|$NL)${LONG:0:12} +busybox:latest +\"sh -c 'trap .*\" +[0-9A-Za-z ]+ ago +Up [0-9A-Za-z ]+ +e2e-long($NL|\$)" "$OUT"
check "ps: no exited container without -a" "$(nolines "$OUT")" eval '[[ $OUT != *e2e-exited* ]]'
docker ps --format '{{.Names}}|{{.Image}}|{{.Status}}'
expect_match "ps --format" '^e2e-long\|busybox:latest\|Up [^|]+$' "$OUT"
docker ps -a --format '{{.Names}} {{.Status}}'
expect_match "ps -a shows the exited container" "(^|$NL)e2e-exited Exited \\(4\\) .* ago($NL|\$)" "$OUT"
docker ps -q
expect_eq "ps -q: the short ID of the running container" "${LONG:0:12}" "$OUT"
docker ps -aq --filter status=exited
expect_eq "ps -aq --filter status=exited" "${EXITED:0:12}" "$OUT"
docker ps -a --filter name=e2e-long --format '{{.ID}}'
expect_eq "ps --filter name=" "${LONG:0:12}" "$OUT"
docker inspect -f '{{.State.Status}} {{.State.Running}} {{.Name}}' "$LONG"
expect_eq "inspect -f state of the running container" "running true /e2e-long" "$OUT"
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$EXITED"
expect_eq "inspect -f state of the exited container" "exited 4" "$OUT"

# --- logs ------------------------------------------------------------------------------------
docker "${RUN[@]}" -d --name e2e-logs "$IMG" sh -c 'for i in 1 2 3; do echo line$i; sleep 0.3; done; echo err-line >&2'
docker logs -f e2e-logs
expect_eq "logs -f ends when the container exits (status)" 0 "$RC"
expect_eq "logs -f: stdout lines" $'line1\nline2\nline3' "$OUT"
expect_eq "logs -f: stderr line on stderr" err-line "$ERR"
docker logs --tail 2 e2e-logs
expect_eq "logs --tail 2 (stdout part)" line3 "$OUT"
expect_eq "logs --tail 2 (stderr part)" err-line "$ERR"
docker logs -t e2e-logs
expect_match "logs -t: RFC 3339 timestamps" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+Z line1'$'\n''[0-9T:.Z-]+ line2'$'\n''[0-9T:.Z-]+ line3$' "$OUT"
docker logs nope
expect_match "logs nope: 'No such container: nope'" 'No such container: nope' "$ERR"
check "logs nope: exit status 1" "$(why)" [ "$RC" -eq 1 ]

# --- exec ------------------------------------------------------------------------------------
docker exec e2e-long sh -c 'echo exec-$((6 * 7))'
expect_eq "exec: output" exec-42 "$OUT"
docker exec e2e-long sh -c 'exit 5'
expect_eq "exec: exit status 5" 5 "$RC"
docker exec -e E2E_X=hello -w /tmp -u 1000 e2e-long sh -c 'echo "$E2E_X $PWD $(id -u)"'
expect_eq "exec -e -w -u" "hello /tmp 1000" "$OUT"
capture bash -c "'$DOCKER_CLI' exec -i e2e-long sha256sum <'$T/binary.in'"
expect_eq "exec -i: binary stdin holding ^P^Q reaches the process whole" "$BIN_SUM  -" "$OUT"
# 20 MB in and out at once: the client reads while it writes, slower than cat
# runs, so the output waits for it (the shim used to drop the connection once
# 1 MiB behind, and about 4 MB went missing).
head -c $((20 << 20)) /dev/urandom >"$T/big.in"
BIG_SUM=$(sha256sum <"$T/big.in" | cut -d' ' -f1)
capture bash -c "'$DOCKER_CLI' exec -i e2e-long cat <'$T/big.in' | sha256sum"
expect_eq "exec -i cat: 20 MB through stdin and stdout come back whole" "$BIG_SUM  -" "$OUT"
capture bash -c "'$DOCKER_CLI' run --pull never --rm -i --network none '$IMG' cat <'$T/big.in' | sha256sum"
expect_eq "run -i cat: 20 MB through stdin and stdout come back whole" "$BIG_SUM  -" "$OUT"
rm -f "$T/big.in"
docker exec e2e-exited true
check "exec in an exited container fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "exec in an exited container: error text" 'is not running' "$ERR"

# --- top, stats, rename ---------------------------------------------------------------------
docker top e2e-long
expect_match "top: header" '^UID +PID +PPID +C +STIME +TTY +TIME +CMD' "$OUT"
expect_match "top: the container's command" "sh -c trap \"exit 0\" TERM" "$OUT"
docker stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' e2e-long
expect_match "stats --no-stream: name, memory usage / limit, pids" '^e2e-long [0-9.]+[kKMG]?i?B / [0-9.]+[kKMGT]i?B [0-9]+$' "$OUT"
docker rename e2e-long e2e-renamed
docker inspect -f '{{.Name}}' "$LONG"
expect_eq "rename: inspect shows the new name" /e2e-renamed "$OUT"
docker inspect e2e-long
check "rename: the old name is free" "$(why)" [ "$RC" -ne 0 ]

# --- name conflict, no such container, rm ---------------------------------------------------
docker "${RUN[@]}" -d --name e2e-renamed "$IMG" true
expect_match "name conflict: error text" "The container name \"/e2e-renamed\" is already in use by container \"$LONG\"" "$ERR"
check "name conflict: exit status 125" "$(why)" [ "$RC" -eq 125 ]
docker rm nope
expect_eq "rm nope: 'No such container: nope'" "Error response from daemon: No such container: nope" "$ERR"
expect_eq "rm nope: exit status 1" 1 "$RC"
docker rm e2e-renamed
expect_match "rm of a running container: error text" 'You cannot remove a running container' "$ERR"
expect_eq "rm of a running container: exit status 1" 1 "$RC"
docker rm e2e-exited
expect_eq "rm of an exited container prints its name" e2e-exited "$OUT"
docker inspect "$EXITED"
check "rm: the container is gone" "$(why)" [ "$RC" -ne 0 ]

# --- pause / unpause -------------------------------------------------------------------------
docker pause e2e-renamed
expect_eq "pause: exit status" 0 "$RC"
docker ps --filter name=e2e-renamed --format '{{.Status}}'
expect_match "pause: ps shows (Paused)" '^Up .*\(Paused\)$' "$OUT"
docker inspect -f '{{.State.Status}} {{.State.Paused}}' e2e-renamed
expect_eq "pause: inspect" "paused true" "$OUT"
expect_eq "pause: host freezer.state" FROZEN "$(cat "$(host_cgroup freezer "$LONG")/freezer.state" 2>&1)"
docker unpause e2e-renamed
docker inspect -f '{{.State.Status}} {{.State.Paused}}' e2e-renamed
expect_eq "unpause: inspect" "running false" "$OUT"

# --- stop, kill ------------------------------------------------------------------------------
docker stop e2e-renamed
expect_eq "stop (trap TERM): prints the name" e2e-renamed "$OUT"
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' e2e-renamed
expect_eq "stop: a trap TERM container exits 0" "exited 0" "$OUT"
start_deaf=$(date +%s)
docker "${RUN[@]}" -d --name e2e-deaf "$IMG" sh -c 'while :; do sleep 0.1; done'
start=$SECONDS
docker stop -t 1 e2e-deaf
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' e2e-deaf
expect_eq "stop -t 1: a SIGTERM-ignoring PID 1 is killed (137)" "exited 137" "$OUT"
check "stop -t 1 took less than 8 s" "took $((SECONDS - start)) s" [ $((SECONDS - start)) -lt 8 ]
docker "${RUN[@]}" -d --init --name e2e-init "$IMG" sleep 1000
docker stop -t 10 e2e-init
docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' e2e-init
expect_eq "stop --init container: sleep dies of SIGTERM (143)" "exited 143" "$OUT"
# PID 1 ignores a signal it has no handler for: USR1 goes once the trap is set.
docker "${RUN[@]}" -d --name e2e-kill "$IMG" sh -c 'trap "exit 10" USR1; echo trapped; while :; do sleep 0.1; done'
wait_for_log e2e-kill trapped || not_ok "e2e-kill never said 'trapped': $(why)"
docker kill -s USR1 e2e-kill
expect_eq "kill -s USR1: prints the name" e2e-kill "$OUT"
docker wait e2e-kill
expect_eq "kill -s USR1: the trap's exit status 10" 10 "$OUT"
docker "${RUN[@]}" -d --name e2e-kill9 "$IMG" sleep 1000
docker kill e2e-kill9
docker wait e2e-kill9
expect_eq "kill: SIGKILL, wait prints 137" 137 "$OUT"
docker events --since "$start_deaf" --until "$(($(date +%s) + 1))" --filter container=e2e-deaf --format '{{.Action}}{{with .Actor.Attributes.signal}} {{.}}{{end}}'
expect_eq "stop -t 1 events, as dockerd: kill 15, kill 9, die, stop" $'kill 15\nkill 9\ndie\nstop' \
  "$(grep -vxE 'create|start' <<<"$OUT")"
docker rm -f e2e-deaf e2e-init e2e-kill e2e-kill9 >/dev/null

# --- rm -f of a running container -----------------------------------------------------------
docker "${RUN[@]}" -d --name e2e-rmf "$IMG" sleep 1000
RMF=$OUT
docker rm -f e2e-rmf
expect_eq "rm -f of a running container prints its name" e2e-rmf "$OUT"
docker inspect "$RMF"
check "rm -f: the container is gone" "$(why)" [ "$RC" -ne 0 ]
check "rm -f: its memory cgroup is removed" "$(host_cgroup memory "$RMF") exists" [ ! -d "$(host_cgroup memory "$RMF")" ]

# --- cp, diff, commit, export ---------------------------------------------------------------
mkdir -p "$T/vol"; echo on-the-volume >"$T/vol/from-host"
docker "${RUN[@]}" -d --name e2e-files -v "$T/vol:/vol" "$IMG" sh -c 'mkdir -p /data/sub; echo deep >/data/sub/f; echo added >/added; echo motd2 >>/etc/motd; ln -s /etc/hostname /hn-link; ln -s /etc /etc-link; touch /ready; sleep 1000'
for _ in $(seq 50); do docker exec e2e-files test -e /ready; [[ $RC -eq 0 ]] && break; sleep 0.1; done
mkdir -p "$T/cp/in/dir" "$T/cp/out"
echo host-file >"$T/cp/in/file.txt"
echo in-dir >"$T/cp/in/dir/inner.txt"
docker cp "$T/cp/in/file.txt" e2e-files:/tmp/
docker exec e2e-files cat /tmp/file.txt
expect_eq "cp host file -> container" host-file "$OUT"
docker cp "$T/cp/in/dir" e2e-files:/tmp/
docker exec e2e-files cat /tmp/dir/inner.txt
expect_eq "cp host dir -> container" in-dir "$OUT"
docker cp e2e-files:/added "$T/cp/out/added"
expect_eq "cp container file -> host" added "$(cat "$T/cp/out/added" 2>&1)"
docker cp e2e-files:/data "$T/cp/out/"
expect_eq "cp container dir -> host" deep "$(cat "$T/cp/out/data/sub/f" 2>&1)"
docker exec e2e-files cat /etc/hostname
CHOST=$OUT
check "the container has its own /etc/hostname" "container: '$CHOST', host: '$(cat /etc/hostname)'" [ -n "$CHOST" -a "$CHOST" != "$(cat /etc/hostname 2>/dev/null)" ]
docker cp e2e-files:/etc/hostname "$T/cp/out/hostname"
expect_eq "cp of /etc/hostname (a bind mount) gives the container's hostname" "$CHOST" "$(cat "$T/cp/out/hostname" 2>&1)"
docker cp -L e2e-files:/hn-link "$T/cp/out/hn"
expect_eq "cp -L out of a symlink to /etc/hostname gives the container's file" "$CHOST" "$(cat "$T/cp/out/hn" 2>&1)"
docker cp e2e-files:/etc-link/passwd "$T/cp/out/passwd"
check "cp through a symlinked dir (/etc-link -> /etc) gives the container's /etc/passwd" \
  "got: $(head -c 300 "$T/cp/out/passwd" 2>&1 | tr '\n' '|') ($(why))" cmp -s "$T/cp/out/passwd" "$T/rootfs/etc/passwd"
docker cp e2e-files:/hn-link "$T/cp/out/link-itself"
expect_eq "cp without -L copies the symlink itself" /etc/hostname "$(readlink "$T/cp/out/link-itself" 2>&1)"
docker cp e2e-files:/vol/from-host "$T/cp/out/from-vol"
expect_eq "cp out of a bind-mounted volume (-v) gives the volume's file" on-the-volume "$(cat "$T/cp/out/from-vol" 2>&1)"
docker cp "$T/cp/in/file.txt" e2e-files:/vol/
expect_eq "cp into a bind-mounted volume writes to the host dir" host-file "$(cat "$T/vol/file.txt" 2>&1)"
docker cp e2e-files:/nope "$T/cp/out/"
check "cp of a missing path fails" "$(why)" [ "$RC" -ne 0 ]

docker diff e2e-files
for line in "A /added" "C /etc" "C /etc/motd" "A /data" "A /data/sub/f" "A /hn-link" "A /tmp/file.txt"; do
  check "diff lists '$line'" "$(nolines "$OUT")" grep -qxF "$line" <<<"$OUT"
done
check "diff does not list unchanged /bin/busybox" "$(nolines "$OUT")" eval '! grep -q busybox <<<"$OUT"'

docker commit e2e-files e2e/committed:v1
expect_match "commit prints the new image ID" '^sha256:[0-9a-f]{64}$' "$OUT"
docker "${RUN[@]}" --rm e2e/committed:v1 cat /added /data/sub/f
expect_eq "run the committed image: its files are there" $'added\ndeep' "$OUT"

capture bash -c "$docker_q export e2e-files | tar -t"
check "export | tar -t lists bin/busybox" "$(why)" grep -qE '^(\./)?bin/busybox$' <<<"$OUT"
check "export | tar -t lists added" "$(why)" grep -qE '^(\./)?added$' <<<"$OUT"
check "export | tar -t lists data/sub/f" "$(why)" grep -qE '^(\./)?data/sub/f$' <<<"$OUT"
docker rm -f e2e-files >/dev/null

# --- import --change, save / load ------------------------------------------------------------
docker import --change 'CMD ["echo","x"]' "$T/busybox.tar" e2e/imported:1
IMPID=$OUT
expect_match "import --change prints the image ID" '^sha256:[0-9a-f]{64}$' "$IMPID"
docker inspect -f '{{json .Config.Cmd}}' e2e/imported:1
expect_eq "import --change: Config.Cmd" '["echo","x"]' "$OUT"
docker "${RUN[@]}" --rm e2e/imported:1
expect_eq "run the imported image: its CMD echoes x" x "$OUT"
docker save -o "$T/saved.tar" e2e/imported:1
expect_eq "save -o: exit status" 0 "$RC"
check "save: the archive has manifest.json" "$(tar -tf "$T/saved.tar" 2>&1 | tr '\n' ' ')" \
  eval 'tar -tf "$T/saved.tar" | grep -x manifest.json >/dev/null'
docker rmi e2e/imported:1
expect_match "rmi: image deleted" "Deleted: $IMPID" "$OUT"
docker image inspect e2e/imported:1
check "rmi: the image is gone" "$(why)" [ "$RC" -ne 0 ]
docker load -i "$T/saved.tar"
expect_eq "load: prints the loaded tag" "Loaded image: e2e/imported:1" "$OUT"
docker image inspect -f '{{.Id}}' e2e/imported:1
expect_eq "save/load round trip keeps the image ID" "$IMPID" "$OUT"
docker "${RUN[@]}" --rm e2e/imported:1
expect_eq "run the loaded image" x "$OUT"

# --- events ---------------------------------------------------------------------------------
since=$(date +%s)
docker "${RUN[@]}" -d --name e2e-events "$IMG" sh -c 'exit 2'
EV=$OUT
docker wait e2e-events
until=$(($(date +%s) + 2))
# `until` in the future: the CLI gets the events so far, then the stream ends at `until`.
docker events --since "$since" --until "$until" --filter "container=$EV" --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
expect_eq "events --since/--until (until ahead): create, start, die" \
  $'container create e2e-events\ncontainer start e2e-events\ncontainer die e2e-events' "$OUT"
# The same window again, now wholly in the past: the same events, from the daemon's buffer.
docker events --since "$since" --until "$until" --filter "container=$EV" --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
expect_eq "events --since/--until (window in the past): create, start, die" \
  $'container create e2e-events\ncontainer start e2e-events\ncontainer die e2e-events' "$OUT"
docker events --since "$since" --until "$(($(date +%s) + 1))" --filter "container=$EV" --filter event=die --format '{{.Actor.Attributes.exitCode}}'
expect_eq "events --filter event=die: die carries exitCode" 2 "$OUT"
docker events --since "$((since - 3600))" --until "$((since - 1))" --filter "container=$EV"
expect_eq "events: a window before the container has nothing" "" "$OUT"

# --- security and resources ------------------------------------------------------------------
docker "${RUN[@]}" --rm --read-only --tmpfs /run "$IMG" sh -c 'touch /x 2>&1; echo "root rc=$?"; touch /run/x && echo "tmpfs ok"'
expect_match "--read-only: writing / fails" 'Read-only file system'$'\n''root rc=1'$'\n' "$OUT"
expect_match "--read-only --tmpfs /run: /run is writable" $'\n''tmpfs ok$' "$OUT"
docker "${RUN[@]}" --rm --cap-drop ALL "$IMG" grep CapEff /proc/self/status
expect_eq "--cap-drop ALL: CapEff 0" $'CapEff:\t0000000000000000' "$OUT"
docker "${RUN[@]}" --rm "$IMG" grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
expect_eq "default seccomp profile in filter mode" $'NoNewPrivs:\t0\nSeccomp:\t2' "$OUT"
docker "${RUN[@]}" --rm "$IMG" grep CapEff /proc/self/status
expect_eq "default capabilities (Docker's 14)" $'CapEff:\t00000000a80425fb' "$OUT"
host_bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
docker "${RUN[@]}" --rm --privileged "$IMG" grep -E '^(CapEff|Seccomp):' /proc/self/status
expect_eq "--privileged: all the host's capabilities, no seccomp" $'CapEff:\t'"$host_bnd"$'\nSeccomp:\t0' "$OUT"

docker "${RUN[@]}" -d --name e2e-res --memory 48m --pids-limit 23 "$IMG" sleep 1000
RES=$OUT
docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' e2e-res
expect_eq "inspect HostConfig.Memory and PidsLimit" "50331648 23" "$OUT"
expect_eq "--memory 48m: host memory.limit_in_bytes" 50331648 "$(cat "$(host_cgroup memory "$RES")/memory.limit_in_bytes" 2>&1)"
expect_eq "--pids-limit 23: host pids.max" 23 "$(cat "$(host_cgroup pids "$RES")/pids.max" 2>&1)"
docker exec e2e-res cat /sys/fs/cgroup/memory/memory.limit_in_bytes
expect_eq "--memory 48m: the limit seen inside the container" 50331648 "$OUT"
docker rm -f e2e-res >/dev/null

# --device and --device-cgroup-rule: the node (a directory gives every node under it) and the
# cgroup rule that allows it; a missing device is refused in dockerd's words.
docker "${RUN[@]}" --rm --device /dev/null:/dev/xnull:rw "$IMG" sh -c 'stat -c "%A %t %T" /dev/xnull; echo hi > /dev/xnull && echo written'
expect_eq "--device /dev/null:/dev/xnull:rw: the node, writable" $'crw-rw-rw- 1 3\nwritten' "$OUT"
mkdir -p "$T/devdir/sub" && mknod "$T/devdir/sub/n" c 1 3 && ln -s /dev/zero "$T/devdir/link"
docker "${RUN[@]}" --rm --device "$T/devdir:/dev/mine" "$IMG" find /dev/mine
expect_eq "--device DIR:/dev/mine: every node under it, symlinks not followed" $'/dev/mine\n/dev/mine/sub\n/dev/mine/sub/n' "$OUT"
# 10:229 (fuse) is not among the default rules: a node made inside opens only with a rule.
docker "${RUN[@]}" --rm "$IMG" sh -c 'mknod /dev/mine c 10 229 && (: </dev/mine); echo "rc=$?"'
expect_eq "no rule: a node made inside cannot be opened (status)" rc=1 "$OUT"
expect_match "no rule: a node made inside cannot be opened (message)" 'Operation not permitted' "$ERR"
docker "${RUN[@]}" --rm --device-cgroup-rule 'c 10:229 r' "$IMG" sh -c 'mknod /dev/mine c 10 229 && (: </dev/mine); echo "rc=$?"'
expect_eq "--device-cgroup-rule 'c 10:229 r': the node made inside opens" "rc=0" "$OUT"
docker "${RUN[@]}" -d --name e2e-dev --device /dev/null:/dev/xnull:rw --device-cgroup-rule 'c 1:5 r' "$IMG" sleep 1000
docker inspect -f '{{json .HostConfig.Devices}} {{json .HostConfig.DeviceCgroupRules}}' e2e-dev
expect_eq "inspect HostConfig.Devices and DeviceCgroupRules" \
  '[{"PathOnHost":"/dev/null","PathInContainer":"/dev/xnull","CgroupPermissions":"rw"}] ["c 1:5 r"]' "$OUT"
docker rm -f e2e-dev >/dev/null
docker "${RUN[@]}" --rm --device /dev/berth-e2e-nodev "$IMG" true
expect_match "--device of a missing node: dockerd's message" 'error gathering device information while adding custom device "/dev/berth-e2e-nodev": No such file or directory' "$ERR"
check "--device of a missing node: exit status 125" "$(why)" [ "$RC" -eq 125 ]

# --- restart policy --------------------------------------------------------------------------
docker "${RUN[@]}" -d --name e2e-restart --restart on-failure:2 "$IMG" sh -c 'echo run; exit 1'
for _ in $(seq 100); do
  docker inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' e2e-restart
  [[ $OUT == "exited 2 1" ]] && break
  sleep 0.1
done
expect_eq "--restart on-failure:2: restarted twice, then stays exited" "exited 2 1" "$OUT"
# A check that something does NOT happen needs a window: a third restart would come
# within the policy's back-off; a slow machine can only make this miss a bug, never fail.
sleep 1
docker inspect -f '{{.State.Status}} {{.RestartCount}}' e2e-restart
expect_eq "--restart on-failure:2: no third restart" "exited 2" "$OUT"
docker logs e2e-restart
expect_eq "--restart on-failure:2: three runs in the log" $'run\nrun\nrun' "$OUT"

echo "# took $SECONDS s"
