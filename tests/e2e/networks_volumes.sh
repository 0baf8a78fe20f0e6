#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2016 # variables read by the sourced libraries; single-quoted eval strings
# e2e.networks_volumes: the real Docker CLI 28 drives berthd's networks and volumes on an
# isolated temp root (tests/e2e/lib/berthd.bash: its own default bridge bte<pid> and
# nftables table berth_e2e_<pid>). User networks live in 10.210.0.0/16, published host
# ports in 28000-28999; all traffic stays on loopback and the containers' own addresses
# (busybox httpd in one container, wget from another, curl from the host on 127.0.0.1).
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/networks_volumes.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="networks/volumes e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-15}
need_cmd curl ip nft python3
e2e_init networks_volumes
start_berthd
import_busybox busybox:latest
ok "berthd is up and busybox:latest is imported"

IMG=busybox:latest
RUN=(run --pull never)
NL=$'\n'
nolines() { printf '%s' "$1" | tr '\n' '|'; }
# has_lines TEXT LINE...: every LINE is a whole line of TEXT.
has_lines() { local l; for l in "${@:2}"; do grep -qxF -- "$l" <<<"$1" || return 1; done; }
LONGCMD=(sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done')
# web NAME TEXT [run flags...]: a detached busybox httpd on port 80 serving TEXT at /.
web() {
  local name=$1 text=$2
  shift 2
  docker "${RUN[@]}" -d --name "$name" "$@" "$IMG" \
    sh -c "mkdir -p /www && echo $text >/www/index.html && exec httpd -f -p 80 -h /www"
  [[ $RC -eq 0 ]] || not_ok "run httpd container $name: $(why)"
}
# in_net CIDR IP: IP lies inside CIDR.
in_net() { python3 -c 'import ipaddress,sys; sys.exit(0 if ipaddress.ip_address(sys.argv[2]) in ipaddress.ip_network(sys.argv[1]) else 1)' "$1" "$2" 2>/dev/null; }
ipof() { docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; printf '%s' "$OUT"; }
# fetch_from NET URL: wget in a throwaway container on NET, OUT/RC of it. Busybox 1.35's
# wget segfaults with -T (rc 139, on the host too), so busybox timeout bounds it instead;
# --init because timeout execs wget in its own place and PID 1 ignores SIGTERM.
WGET=(timeout 3 wget -qO-)
fetch_from() { docker "${RUN[@]}" --rm --init --network "$1" "$IMG" "${WGET[@]}" "$2"; }
# unreachable NAME: the last fetch failed the way a blocked connection does: no output,
# exit 1 (wget: connection refused / unreachable) or 143 (timeout's TERM), not a crash.
unreachable() { check "$1" "$(why)" eval '[[ -z $OUT && ( $RC -eq 1 || $RC -eq 143 ) ]]'; }
# until_ok CMD...: retry CMD (a capture) up to ~3 s until RC=0 (httpd start-up).
until_ok() { for _ in $(seq 15); do "$@"; [[ $RC -eq 0 ]] && return 0; sleep 0.2; done; return 0; }
curl_local() { capture curl -s --max-time 2 "http://127.0.0.1:$1/"; }

# --- the default bridge network ------------------------------------------------------------
docker network inspect -f '{{.Name}} {{.Driver}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}' bridge
read -r bname bdriver BSUBNET BGW <<<"$OUT"
expect_eq "network inspect bridge: name and driver" "bridge bridge" "$bname $bdriver"
check "the default network has a subnet and a gateway inside it" "$(why)" in_net "$BSUBNET" "$BGW"
capture ip -4 -o addr show dev "$BRIDGE"
expect_match "the default network's bridge $BRIDGE carries the gateway address" "inet $BGW/${BSUBNET#*/} " "$OUT"
docker "${RUN[@]}" -d --name def1 --hostname defhost "$IMG" "${LONGCMD[@]}"
[[ $RC -eq 0 ]] || die "run on the default network failed: $(why)"
docker inspect -f '{{.NetworkSettings.IPAddress}}' def1
DEF_IP=$OUT
check "inspect: .NetworkSettings.IPAddress ($DEF_IP) is inside the bridge subnet $BSUBNET" "$(why)" in_net "$BSUBNET" "$DEF_IP"
docker inspect -f '{{.NetworkSettings.Gateway}} {{(index .NetworkSettings.Networks "bridge").IPAddress}}' def1
expect_eq "inspect: Gateway and Networks.bridge.IPAddress" "$BGW $DEF_IP" "$OUT"
docker exec def1 ip -4 -o addr show dev eth0
expect_match "ip addr in the container: eth0 has $DEF_IP" "eth0 +inet $DEF_IP/${BSUBNET#*/} " "$OUT"
docker exec def1 ip route
expect_match "ip route in the container: default via the gateway on eth0" "(^|$NL)default via $BGW dev eth0" "$OUT"
docker exec def1 cat /etc/hosts
expect_match "/etc/hosts has the address and the hostname" "(^|$NL)${DEF_IP}[[:space:]]+defhost([[:space:]]|$NL|\$)" "$OUT"
expect_match "/etc/hosts has localhost" "(^|$NL)127\\.0\\.0\\.1[[:space:]]+localhost" "$OUT"
docker exec def1 hostname
expect_eq "hostname in the container" defhost "$OUT"
docker "${RUN[@]}" --rm --network none "$IMG" ls /sys/class/net
expect_eq "--network none: only lo" lo "$OUT"
docker "${RUN[@]}" --rm --network none "$IMG" ip -o link
expect_match "--network none: ip link lists only lo" '^1: lo: [^'"$NL"']*$' "$OUT"
docker "${RUN[@]}" --rm --network host "$IMG" ls /sys/class/net
# Not compared with the host's whole list: other daemons' veths may come and go meanwhile.
check "--network host: the host's interfaces (eth0, lo, this daemon's $BRIDGE)" "$(nolines "$OUT")" \
  has_lines "$OUT" eth0 lo "$BRIDGE"
docker "${RUN[@]}" --rm --network host "$IMG" ip -4 -o addr show dev "$BRIDGE"
expect_match "--network host: the daemon's bridge with its gateway address" "inet $BGW/" "$OUT"

# --- user networks: create, ls, inspect, errors -------------------------------------------
docker network create --subnet 10.210.1.0/24 --gateway 10.210.1.1 --ip-range 10.210.1.128/25 --label a=b net1
NET1=$OUT
expect_match "network create net1 prints the 64-hex ID" '^[0-9a-f]{64}$' "$NET1"
docker network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'
for want in "bridge bridge local" "host host local" "none null local" "net1 bridge local"; do
  expect_match "network ls: '$want'" "(^|$NL)$want($NL|\$)" "$OUT"
done
docker network ls -q --filter name=net1
expect_eq "network ls -q --filter name=net1: its short ID" "${NET1:0:12}" "$OUT"
docker network inspect -f '{{.Id}}|{{.Name}}|{{.Driver}}|{{.Scope}}|{{.Internal}}|{{.Attachable}}|{{.IPAM.Driver}}|{{(index .IPAM.Config 0).Subnet}}|{{(index .IPAM.Config 0).Gateway}}|{{(index .IPAM.Config 0).IPRange}}|{{json .Labels}}' net1
expect_eq "network inspect net1: fields" \
  "$NET1|net1|bridge|local|false|false|default|10.210.1.0/24|10.210.1.1|10.210.1.128/25|{\"a\":\"b\"}" "$OUT"
docker network inspect -f '{{.Name}}' "${NET1:0:12}"
expect_eq "network inspect by short ID" net1 "$OUT"
docker network create net1
check "network create with a taken name fails" "$(why)" [ "$RC" -ne 0 ]
expect_eq "duplicate name: error text" "Error response from daemon: network with name net1 already exists" "$ERR"
docker network create --subnet 10.210.1.0/24 net1-overlap
check "network create with an overlapping subnet fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "overlapping subnet: error text names the pool overlap" "[Pp]ool overlaps with other one on this address space" "$ERR"
docker network inspect nonet-e2e
check "network inspect of a missing network fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "missing network: error text" "(No such network|network nonet-e2e not found)" "$ERR"
docker network create --subnet 10.210.2.0/24 net2
[[ $RC -eq 0 ]] || not_ok "network create net2: $(why)"
docker network create --internal --subnet 10.210.3.0/24 netint
docker network inspect -f '{{.Internal}}' netint
expect_eq "network create --internal: .Internal" true "$OUT"

# --- reaching each other by name, alias; isolation ------------------------------------------
web web1 hello-web1 --network net1 --network-alias webalias
web web2 hello-web2 --network net2
WEB1_IP=$(ipof web1 net1)
WEB2_IP=$(ipof web2 net2)
check "web1's address ($WEB1_IP) comes from net1's --ip-range 10.210.1.128/25" "$(why)" in_net 10.210.1.128/25 "$WEB1_IP"
check "web2's address ($WEB2_IP) is in net2" "$(why)" in_net 10.210.2.0/24 "$WEB2_IP"
docker inspect -f '{{.NetworkSettings.IPAddress}}|{{json .NetworkSettings.Networks.net1.Aliases}}' web1
expect_match "inspect web1: no default-bridge address, alias webalias on net1" '^\|.*"webalias".*$' "$OUT"
until_ok fetch_from net1 http://web1/
expect_eq "net1: wget http://web1/ by container name" hello-web1 "$OUT"
fetch_from net1 http://webalias/
expect_eq "net1: wget http://webalias/ by --network-alias" hello-web1 "$OUT"
fetch_from net1 "http://$WEB1_IP/"
expect_eq "net1: wget by IP" hello-web1 "$OUT"
until_ok fetch_from net2 http://web2/
expect_eq "net2: wget http://web2/ by container name" hello-web2 "$OUT"
docker "${RUN[@]}" --rm --network net1 "$IMG" cat /etc/resolv.conf
expect_match "user network: /etc/resolv.conf says nameserver 127.0.0.11" "(^|$NL)nameserver 127\\.0\\.0\\.11($NL|\$)" "$OUT"
check "user network: 127.0.0.11 is the only nameserver" "$(nolines "$OUT")" \
  [ "$(grep -c '^nameserver' <<<"$OUT")" -eq 1 ]
docker "${RUN[@]}" --rm --network net1 "$IMG" nslookup web1 127.0.0.11
expect_match "nslookup web1 at 127.0.0.11 answers web1's address" "Address:? +$WEB1_IP" "$OUT"
t0=$SECONDS
fetch_from net1 "http://$WEB2_IP/"
unreachable "net1 -> net2 by IP ($WEB2_IP) fails (isolation)"
check "net1 -> net2 fails within a few seconds" "took $((SECONDS - t0)) s" [ $((SECONDS - t0)) -le 8 ]
fetch_from bridge "http://$WEB1_IP/"
unreachable "default bridge -> net1 by IP fails (isolation)"
web webint hello-int --network netint
until_ok fetch_from netint http://webint/
expect_eq "--internal network: containers on it reach each other by name" hello-int "$OUT"
docker "${RUN[@]}" --rm --network netint "$IMG" ip route
check "--internal network: no default route in the container" "$(nolines "$OUT")" eval '[[ $RC -eq 0 && $OUT != *default* && $OUT == *10.210.3.0/24* ]]'

# --- --ip, IP allocation ---------------------------------------------------------------------
docker "${RUN[@]}" -d --name ipfix --network net1 --ip 10.210.1.50 "$IMG" "${LONGCMD[@]}"
docker inspect -f '{{.NetworkSettings.Networks.net1.IPAddress}} {{.NetworkSettings.Networks.net1.IPAMConfig.IPv4Address}}' ipfix
expect_eq "--ip 10.210.1.50 honoured (IPAddress and IPAMConfig)" "10.210.1.50 10.210.1.50" "$OUT"
docker exec ipfix ip -4 -o addr show dev eth0
expect_match "--ip: eth0 has 10.210.1.50/24" "inet 10\\.210\\.1\\.50/24 " "$OUT"
docker "${RUN[@]}" -d --name ipdup --network net1 --ip 10.210.1.50 "$IMG" "${LONGCMD[@]}"
check "the same --ip twice fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "the same --ip twice: error text" "[Aa]ddress already in use" "$ERR"
docker inspect -f '{{.State.Running}}' ipdup
check "the container with the taken --ip is not running" "$(why)" eval '[[ $OUT != true ]]'
docker rm -f ipdup >/dev/null
docker "${RUN[@]}" --rm --ip 10.210.1.60 "$IMG" true
check "--ip on the default bridge network is refused" "$(why)" [ "$RC" -ne 0 ]
expect_match "--ip on the default network: error text" "user specified IP address is supported on user defined networks only" "$ERR"

# --- MAC addresses -----------------------------------------------------------------------------
# Clients of API 1.41 (berthd's, as dockerd 20.10's: docker-compose 1.29, SDKs) send the
# container-wide Config.MacAddress; newer ones and berth's CLI the endpoint's. (The docker CLI 28
# sends --mac-address per endpoint, so it refuses the flag itself below API 1.44.)
api_create() {  # NAME JSON: POST /containers/create as such a client
  capture curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' -d "$2" \
    "http://d/v1.41/containers/create?name=$1"
}
api_create macdef '{"Image":"busybox:latest","Cmd":["sleep","600"],"MacAddress":"92:D0:C6:0A:29:33"}'
docker start macdef >/dev/null
docker exec macdef cat /sys/class/net/eth0/address
expect_eq "Config.MacAddress on the default bridge: eth0 has it" 92:d0:c6:0a:29:33 "$OUT"
docker rm -f macdef >/dev/null
api_create macnet '{"Image":"busybox:latest","Cmd":["sleep","600"],"HostConfig":{"NetworkMode":"net1"},
  "NetworkingConfig":{"EndpointsConfig":{"net1":{"MacAddress":"02:42:0a:d2:01:99"}}}}'
docker inspect -f '{{.NetworkSettings.Networks.net1.MacAddress}}' macnet
expect_eq "EndpointsConfig.net1.MacAddress: inspect shows it before the start" 02:42:0a:d2:01:99 "$OUT"
docker start macnet >/dev/null
docker restart -t 1 macnet >/dev/null
docker exec macnet cat /sys/class/net/eth0/address
expect_eq "EndpointsConfig.net1.MacAddress: eth0 keeps it across a restart" 02:42:0a:d2:01:99 "$OUT"
docker rm -f macnet >/dev/null
api_create machost '{"Image":"busybox:latest","MacAddress":"02:00:00:00:00:01","HostConfig":{"NetworkMode":"host"}}'
expect_match "a MAC with --network host is refused" "conflicting options: mac-address and the network mode" "$OUT"
api_create macmc '{"Image":"busybox:latest","MacAddress":"01:00:5e:00:00:01"}'
expect_match "a multicast MAC is refused" "MacAddress: invalid MAC address 01:00:5e:00:00:01: it is a multicast address" "$OUT"
docker inspect machost macmc
check "no container is left by the refused MACs" "$(why)" [ "$RC" -ne 0 ]

docker "${RUN[@]}" -d --name rr1 --network net2 "$IMG" "${LONGCMD[@]}"
RR1=$(ipof rr1 net2)
docker rm -f rr1 >/dev/null
docker "${RUN[@]}" -d --name rr2 --network net2 "$IMG" "${LONGCMD[@]}"
RR2=$(ipof rr2 net2)
check "a released address is not handed out again at once ($RR1 then $RR2)" "same address" \
  eval '[[ -n $RR2 && $RR1 != "$RR2" ]] && in_net 10.210.2.0/24 "$RR2"'

# --- published ports ---------------------------------------------------------------------------
web pub1 hello-pub1 -p 28080:80
until_ok curl_local 28080
expect_eq "-p 28080:80: curl http://127.0.0.1:28080/ from the host" hello-pub1 "$OUT"
docker port pub1
expect_eq "docker port pub1" "80/tcp -> 0.0.0.0:28080" "$(head -n1 <<<"$OUT")"
docker inspect -f '{{json .HostConfig.PortBindings}}' pub1
expect_eq "inspect: HostConfig.PortBindings" '{"80/tcp":[{"HostIp":"","HostPort":"28080"}]}' "$OUT"
docker ps --filter name=pub1 --format '{{.Ports}}'
expect_match "ps: the Ports column" '0\.0\.0\.0:28080->80/tcp' "$OUT"
web pub2 hello-pub2 -p 80
docker port pub2 80/tcp
RANDPORT=$(sed -n '1s/^0\.0\.0\.0:\([0-9][0-9]*\)$/\1/p' <<<"$OUT")
check "-p 80: docker port shows a random host port" "$(why)" eval '[[ $RANDPORT =~ ^[0-9]+$ ]] && ((RANDPORT > 0))'
until_ok curl_local "${RANDPORT:-1}"
expect_eq "-p 80: curl on the random port $RANDPORT" hello-pub2 "$OUT"
web pub3 hello-pub3 -P --expose 80
docker port pub3 80
PPORT=$(sed -n '1s/^0\.0\.0\.0:\([0-9][0-9]*\)$/\1/p' <<<"$OUT")
check "-P --expose 80: docker port shows a host port" "$(why)" eval '[[ $PPORT =~ ^[0-9]+$ ]]'
until_ok curl_local "${PPORT:-1}"
expect_eq "-P --expose 80: curl on port $PPORT" hello-pub3 "$OUT"
docker "${RUN[@]}" -d --name pubdup -p 28080:80 "$IMG" "${LONGCMD[@]}"
check "-p on a host port already taken fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "taken host port: the error names it" "28080.*(already allocated|address already in use)|(already allocated|address already in use).*28080" "$ERR"
docker inspect -f '{{.State.Running}}' pubdup
expect_eq "taken host port: the container is not left running" false "$OUT"
curl_local 28080
expect_eq "taken host port: the first container still answers" hello-pub1 "$OUT"
docker rm -f pubdup >/dev/null
docker stop -t 1 pub1 >/dev/null
curl_local 28080
check "after docker stop, 127.0.0.1:28080 no longer answers" "$(why)" [ "$RC" -ne 0 ]
docker start pub1 >/dev/null
until_ok curl_local 28080
expect_eq "after docker start, 127.0.0.1:28080 answers again" hello-pub1 "$OUT"
web pubnet hello-pubnet --network net2 -p 28081:80
until_ok curl_local 28081
expect_eq "-p 28081:80 on a user network" hello-pubnet "$OUT"

# --- network connect / disconnect ------------------------------------------------------------
docker "${RUN[@]}" -d --name mover --network net2 "$IMG" "${LONGCMD[@]}"
docker exec mover "${WGET[@]}" "http://$WEB1_IP/"
unreachable "before connect: mover (net2) cannot reach web1 by IP"
docker network connect --alias moveralias net1 mover
expect_eq "network connect net1 mover" "0" "$RC"
docker exec mover ls /sys/class/net
expect_eq "after connect: eth0, eth1 and lo" "eth0|eth1|lo" "$(nolines "$OUT")"
MOVER1=$(ipof mover net1)
docker exec mover ip -4 -o addr show dev eth1
expect_match "after connect: eth1 has mover's net1 address ($MOVER1)" "inet $MOVER1/24 " "$OUT"
until_ok docker exec mover "${WGET[@]}" http://web1/
expect_eq "after connect: mover reaches web1 by name" hello-web1 "$OUT"
docker exec web1 nslookup moveralias 127.0.0.11
expect_match "after connect: mover's --alias resolves to its net1 address" "Address:? +$MOVER1" "$OUT"
docker network connect net1 mover
check "connect twice fails" "$(why)" [ "$RC" -ne 0 ]
docker network disconnect net1 mover
expect_eq "network disconnect net1 mover" 0 "$RC"
docker exec mover ls /sys/class/net
expect_eq "after disconnect: eth0 and lo" "eth0|lo" "$(nolines "$OUT")"
docker exec mover "${WGET[@]}" "http://$WEB1_IP/"
unreachable "after disconnect: mover no longer reaches web1 by IP"
docker inspect -f '{{len .NetworkSettings.Networks}}' mover
expect_eq "after disconnect: one network in inspect" 1 "$OUT"

# --- network rm / prune --------------------------------------------------------------------
docker network rm net2
check "network rm of a network with containers fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "network rm in use: error text" "has active endpoints" "$ERR"
docker network create --subnet 10.210.9.0/24 netgone
NETGONE=$OUT
BR_GONE=br-${NETGONE:0:12}
capture ip link show "$BR_GONE"
check "a user network's bridge $BR_GONE exists" "$(why)" [ "$RC" -eq 0 ]
docker network rm netgone
expect_eq "network rm prints the name" netgone "$OUT"
capture ip link show "$BR_GONE"
check "network rm removes the bridge $BR_GONE" "$(why)" [ "$RC" -ne 0 ]
docker network create --subnet 10.210.10.0/24 netprune
docker network prune -f
expect_eq "network prune removes only unused user networks" "Deleted Networks:${NL}netprune" "$OUT"
docker network ls --format '{{.Name}}'
expect_eq "network ls after prune" "bridge|host|net1|net2|netint|none" "$(nolines "$(sort <<<"$OUT")")"
docker network rm bridge
check "network rm bridge is refused" "$(why)" [ "$RC" -ne 0 ]

# --- volumes -----------------------------------------------------------------------------------
docker volume create v1
expect_eq "volume create v1 prints the name" v1 "$OUT"
docker "${RUN[@]}" --rm -v v1:/data "$IMG" sh -c 'echo from-first >/data/f'
docker "${RUN[@]}" --name vreader -v v1:/data "$IMG" cat /data/f
expect_eq "a second container sees the file on v1" from-first "$OUT"
docker rm vreader >/dev/null
docker volume inspect -f '{{.Name}}|{{.Driver}}|{{.Scope}}|{{.Mountpoint}}' v1
IFS='|' read -r vname vdrv vscope VMP <<<"$OUT"
expect_eq "volume inspect v1: name, driver, scope" "v1|local|local" "$vname|$vdrv|$vscope"
check "volume inspect v1: the mountpoint is under the data-root and holds the file" "$VMP" \
  eval '[[ $VMP == "$T/data/"* && $(cat "$VMP/f" 2>/dev/null) == from-first ]]'
docker volume ls --format '{{.Driver}} {{.Name}}'
expect_match "volume ls lists v1" "(^|$NL)local v1($NL|\$)" "$OUT"
docker "${RUN[@]}" -d --name vuser -v v1:/data "$IMG" "${LONGCMD[@]}"
docker volume rm v1
check "volume rm of a volume in use fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "volume rm in use: 409 text" "^Error response from daemon: remove v1: volume is in use - \\[[0-9a-f]{64}\\]$" "$ERR"
docker rm -f vuser >/dev/null

# Restart berthd: volume data and IP allocations of running containers survive.
stop_berthd
start_berthd
ok "berthd restarted on the same roots"
docker "${RUN[@]}" --rm -v v1:/data "$IMG" cat /data/f
expect_eq "v1's data survives docker rm and a daemon restart" from-first "$OUT"
# web1 (net1, from the --ip-range) and ipfix (--ip) still run; rr2 holds a net2 address.
docker "${RUN[@]}" -d --name after1 --network net1 "$IMG" "${LONGCMD[@]}"
AFTER1=$(ipof after1 net1)
docker "${RUN[@]}" -d --name after2 --network net2 "$IMG" "${LONGCMD[@]}"
AFTER2=$(ipof after2 net2)
docker "${RUN[@]}" -d --name after3 "$IMG" "${LONGCMD[@]}"
AFTER3=$(ipof after3 bridge)
HELD="$WEB1_IP 10.210.1.50 $WEB2_IP $RR2 $MOVER1 $DEF_IP"
for a in "$AFTER1" "$AFTER2" "$AFTER3"; do
  check "after the restart a new container gets a free address ($a, held: $HELD)" "reused" \
    eval '[[ -n "$a" && " $HELD " != *" $a "* ]]'
done
docker exec after1 "${WGET[@]}" http://web1/
expect_eq "after the restart: a new container reaches web1 by name" hello-web1 "$OUT"
curl_local 28080
expect_eq "after the restart: 127.0.0.1:28080 still answers" hello-pub1 "$OUT"

# Anonymous volumes: -v /data and an image's VOLUME, removed with rm -v.
docker "${RUN[@]}" --name anon1 -v /data "$IMG" sh -c 'echo anon >/data/a'
docker inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}' anon1
read -r atype ANON1 adest <<<"$OUT"
expect_eq "-v /data: an anonymous volume mount" "volume /data" "$atype $adest"
expect_match "-v /data: the anonymous volume has a 64-hex name" '^[0-9a-f]{64}$' "$ANON1"
docker volume inspect -f '{{.Name}}' "$ANON1"
expect_eq "the anonymous volume exists" "$ANON1" "$OUT"
docker rm -v anon1
docker volume inspect "$ANON1"
check "rm -v removes the anonymous volume" "$(why)" [ "$RC" -ne 0 ]
docker "${RUN[@]}" --name anon2 -v /data "$IMG" true
docker inspect -f '{{range .Mounts}}{{.Name}}{{end}}' anon2
ANON2=$OUT
docker rm anon2 >/dev/null
docker volume inspect -f '{{.Name}}' "$ANON2"
expect_eq "rm without -v keeps the anonymous volume" "$ANON2" "$OUT"
docker "${RUN[@]}" --name mkimg "$IMG" sh -c 'mkdir -p /imgvol && echo baked >/imgvol/baked'
docker commit --change 'VOLUME /imgvol' mkimg e2e/withvol:1 >/dev/null
docker image inspect -f '{{json .Config.Volumes}}' e2e/withvol:1
expect_eq "commit --change 'VOLUME /imgvol': the image's Config.Volumes" '{"/imgvol":{}}' "$OUT"
docker rm mkimg >/dev/null
docker "${RUN[@]}" --name anon3 e2e/withvol:1 sh -c 'cat /imgvol/baked; grep -c " /imgvol " /proc/mounts'
expect_eq "image VOLUME: /imgvol is a mount, filled from the image" "baked${NL}1" "$OUT"
docker inspect -f '{{range .Mounts}}{{.Type}} {{.Name}} {{.Destination}}{{end}}' anon3
read -r atype ANON3 adest <<<"$OUT"
expect_eq "image VOLUME /imgvol: an anonymous volume mount" "volume /imgvol" "$atype $adest"
docker rm -v anon3 >/dev/null
docker volume inspect "${ANON3:-no-anon3-volume}"
check "rm -v removes the image VOLUME's anonymous volume" "name '$ANON3', $(why)" eval '[[ -n $ANON3 && $RC -ne 0 ]]'

# Copy-up: an empty named volume is filled from the image on first use.
docker "${RUN[@]}" --rm -v v2:/etc "$IMG" sh -c 'grep ^app: /etc/passwd'
expect_eq "-v v2:/etc (new named volume) sees busybox's /etc/passwd" "app:x:1000:1000:app:/home/app:/bin/sh" "$OUT"
docker volume inspect -f '{{.Mountpoint}}' v2
check "v2 now holds passwd on the host" "$(why)" test -f "$OUT/passwd"

# Binds and tmpfs.
mkdir -p "$T/ro"; echo ro-file >"$T/ro/f"
docker "${RUN[@]}" --rm -v "$T/ro:/x:ro" "$IMG" sh -c 'cat /x/f; touch /x/new'
check "-v host:/x:ro: touch fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "-v host:/x:ro: Read-only file system" "Read-only file system" "$ERR"
expect_eq "-v host:/x:ro: the file is readable" ro-file "$OUT"
check "-v host:/x:ro: nothing written on the host" "$(nolines "$(ls "$T/ro")")" test ! -e "$T/ro/new"
docker "${RUN[@]}" --rm -v "$T/created/sub:/x" "$IMG" sh -c 'echo w >/x/w'
check "-v with a missing host dir creates it" "$(why)" test -f "$T/created/sub/w"
docker "${RUN[@]}" --rm --mount "type=bind,src=$T/missing,dst=/x" "$IMG" true
check "--mount type=bind with a missing source fails" "$(why)" [ "$RC" -ne 0 ]
expect_match "--mount bind missing source: error text" "bind source path does not exist: $T/missing" "$ERR"
check "--mount type=bind did not create the source" "exists" test ! -e "$T/missing"
docker "${RUN[@]}" --rm --mount type=tmpfs,dst=/t,tmpfs-size=1m "$IMG" sh -c 'df -k /t | tail -n1; grep " /t " /proc/mounts'
expect_match "--mount type=tmpfs,tmpfs-size=1m: df shows a tmpfs of 1024 KiB" "^tmpfs +1024 +[0-9]+ +[0-9]+ +[0-9]+% +/t$NL" "$OUT"
expect_match "--mount tmpfs in /proc/mounts with size=1024k" "tmpfs /t tmpfs [^ ]*size=1024k" "$OUT"

# --volumes-from.
docker "${RUN[@]}" --name vsrc -v v3:/shared -v "$T/ro:/hostro:ro" "$IMG" sh -c 'echo src >/shared/s'
docker "${RUN[@]}" --rm --volumes-from vsrc "$IMG" sh -c 'cat /shared/s /hostro/f; touch /hostro/z'
expect_eq "--volumes-from: the named volume and the bind" "src${NL}ro-file" "$OUT"
expect_match "--volumes-from keeps the bind read-only" "Read-only file system" "$ERR"
docker "${RUN[@]}" --rm --volumes-from vsrc:ro "$IMG" touch /shared/t
expect_match "--volumes-from vsrc:ro: the volume is read-only" "Read-only file system" "$ERR"

# volume ls, prune.
docker volume create --label keep=1 vkeep >/dev/null
docker volume ls -q --filter label=keep=1
expect_eq "volume ls --filter label=keep=1" vkeep "$OUT"
docker volume ls -q --filter dangling=true
check "volume ls --filter dangling=true: v1 is dangling, v3 (used by vsrc) is not" "$(nolines "$OUT")" \
  eval 'grep -qx v1 <<<"$OUT" && ! grep -qx v3 <<<"$OUT"'
docker volume prune -f
PRUNED=$OUT
expect_match "volume prune: Total reclaimed space" "(^|$NL)Total reclaimed space: " "$PRUNED"
# API 1.41: prune removes every unused local volume (named ones too), never one a container uses.
for v in v1 v2 vkeep "$ANON2"; do
  check "volume prune lists and removes unused ${v:0:12}" "$(nolines "$PRUNED")" grep -qx "$v" <<<"$PRUNED"
done
docker volume ls -q
expect_eq "volume ls -q after prune: only v3 (used by the stopped vsrc)" v3 "$OUT"
docker volume rm v3
expect_match "volume rm v3 while a stopped container uses it: 409" "volume is in use" "$ERR"
docker rm vsrc >/dev/null
docker volume rm v3
expect_eq "volume rm v3 once unused" v3 "$OUT"
docker volume inspect v3
expect_match "volume inspect of a removed volume: No such volume" "[Nn]o such volume" "$ERR"

# --network container:NAME: the other container's namespace, hostname and address.
docker run -d --name nsowner --pull never "$IMG" sh -c 'echo shared-ns > /tmp/index.html; httpd -f -p 8080 -h /tmp'
OWNER_IP=$("$DOCKER_CLI" inspect -f '{{.NetworkSettings.IPAddress}}' nsowner)
docker run --rm --network container:nsowner --pull never "$IMG" sh -c \
  'wget -qO- http://127.0.0.1:8080/index.html; ip -4 addr show eth0 | sed -n "s/.*inet \([0-9.]*\).*/\1/p"'
expect_eq "--network container:NAME reaches the owner's localhost and has its address" "shared-ns $OWNER_IP" "$(echo $OUT)"
docker run --rm --network container:nosuch --pull never "$IMG" true
expect_match "--network container:nosuch: No such container" "No such container: nosuch" "$ERR"
docker stop -t 0 nsowner >/dev/null
docker run --rm --network container:nsowner --pull never "$IMG" true
expect_match "--network container:STOPPED refuses" "cannot join network of a non running container" "$ERR"
docker rm -f nsowner >/dev/null

((FAILS == 0)) || { echo "# $FAILS check(s) failed"; exit 1; }
echo "# all checks passed in ${SECONDS}s"
