#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.registry_mirrors: the real Docker CLI pulls upstream-named images through
# mirrors on Debian's docker-registry at 127.0.0.1 (tests/fixtures/registry.sh):
# berthd --registry-config-dir with a hosts.toml (containerd's layout) that maps
# registry.k8s.io to the loopback registry, and --registry-mirror for Docker Hub
# names. Nothing leaves loopback: every `server` here is a name under .invalid,
# which never resolves, so a pull can only succeed through the mirror, and the
# registry's access log shows what it served (with containerd's ?ns=<upstream>).
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/registry_mirrors.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="registry mirrors e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
FIXTURES=$(cd "$HERE/../fixtures" && pwd)
need_cmd skopeo jq
e2e_init registry_mirrors
stop_registry_then_clean() {
  local rc=$?
  [[ -d $T/registry ]] && "$FIXTURES/registry.sh" stop --dir "$T/registry" >/dev/null 2>&1
  (exit "$rc")
  e2e_cleanup
}
trap stop_registry_then_clean EXIT

eval "$("$FIXTURES/registry.sh" start --dir "$T/registry" --port 0 | grep '^REGISTRY=')"
[[ -n ${REGISTRY:-} ]] || die "the registry did not start"
PUSHED=$("$FIXTURES/registry-images.sh" --registry "$REGISTRY" --work "$T/images") || die "pushing the test images failed"
DIGEST=$(awk '$1 == "PUSHED" && $2 == "test/busybox:v2s2" {print $3}' <<<"$PUSHED")
ok "registry $REGISTRY is up with the test images"

# registry_logged TEXT: the registry's access log has a line with TEXT. It is written after
# the answer and reaches the file through a pipe: followed (tail -F) until TEXT shows, 20 s at most.
registry_logged() {
  local fd pid found=1
  exec {fd}< <(exec timeout 20 tail -n +1 -F "$T/registry/registry.log" 2>/dev/null)
  pid=$!
  grep -m1 -qF -- "$1" <&"$fd" && found=0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  exec {fd}<&-
  return $found
}

HOSTS=$T/hosts.d
mkdir -p "$HOSTS/registry.k8s.io" "$HOSTS/docker.io" "$HOSTS/quay.io"
cat >"$HOSTS/registry.k8s.io/hosts.toml" <<EOF
server = "https://registry.k8s.io.invalid"   # a real site leaves this out; here it proves the mirror served

[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
cat >"$HOSTS/docker.io/hosts.toml" <<EOF
server = "https://registry-1.docker.invalid"
EOF
printf '[host."https://m.example"]\ncapabilities = ["pull", "fly"]\n' >"$HOSTS/quay.io/hosts.toml"

# --- berthd refuses a mirror dockerd would refuse (before it touches anything) ------------------
capture "$BERTHD" --config-file "$T/daemon.json" --data-root "$T/data" --exec-root "$T/exec" \
  --pidfile "$T/refused.pid" -H "unix://$T/refused.sock" --registry-mirror ftp://m.example
expect_eq "berthd --registry-mirror ftp://...: exit 1" 1 "$RC"
expect_match "berthd --registry-mirror ftp://...: dockerd's words" 'invalid mirror: unsupported scheme "ftp" in "ftp://m.example"' "$ERR"

start_berthd --registry-config-dir "$HOSTS" --registry-mirror "http://$REGISTRY"

# --- docker info ----------------------------------------------------------------------------
docker info -f '{{json .RegistryConfig.Mirrors}}'
expect_eq "docker info: RegistryConfig.Mirrors" "[\"http://$REGISTRY/\"]" "$OUT"
docker info
expect_match "docker info: Registry Mirrors" "Registry Mirrors:"$'\n'" +http://$REGISTRY/" "$OUT"

BERTH_CLI=${BERTH:-$(dirname "$BERTHD")/../berth/berth}
capture "$BERTH_CLI" -H "unix://$SOCK" info
expect_match "berth info: Registry Mirrors, as docker info" "Registry Mirrors:"$'\n'"  http://$REGISTRY/" "$OUT"

# --- an upstream name through hosts.toml -------------------------------------------------------
K8S=registry.k8s.io/test/busybox:v2s2
docker pull "$K8S"
expect_eq "docker pull $K8S through the mirror: exit 0" 0 "$RC"
expect_match "docker pull: the digest the loopback registry has" "Digest: $DIGEST" "$OUT"
expect_match "docker pull: the status line names the upstream" "Status: Downloaded newer image for $K8S" "$OUT"
docker image inspect -f '{{index .RepoTags 0}} {{index .RepoDigests 0}}' "$K8S"
expect_eq "docker image inspect: recorded under its upstream name" "$K8S registry.k8s.io/test/busybox@$DIGEST" "$OUT"
check "the registry served it, asked for registry.k8s.io (?ns=)" "no such line in $T/registry/registry.log" \
  registry_logged "\"GET /v2/test/busybox/manifests/v2s2?ns=registry.k8s.io HTTP/1.1\" 200"
docker run --rm --pull never "$K8S" echo via-the-mirror
expect_eq "docker run of the image pulled through the mirror" via-the-mirror "$OUT"
docker push "$K8S"
expect_eq "docker push never goes to a pull/resolve mirror: exit 1" 1 "$RC"
expect_match "docker push went to the server (unresolvable here)" "registry.k8s.io.invalid" "$ERR"

docker pull quay.io/x/y:1
expect_eq "docker pull with a hosts.toml berth cannot use: exit 1" 1 "$RC"
expect_match "docker pull: the file, the line and what is wrong" \
  "$HOSTS/quay.io/hosts.toml line 2: unknown capability \"fly\"" "$ERR"

# --- a Docker Hub name through registry-mirrors -------------------------------------------------
docker tag "$K8S" "$REGISTRY/library/berth-mirror-e2e:1"
docker push "$REGISTRY/library/berth-mirror-e2e:1"
expect_eq "docker push of library/berth-mirror-e2e:1 to the loopback registry: exit 0" 0 "$RC"
docker rmi "$REGISTRY/library/berth-mirror-e2e:1" "$K8S"
expect_eq "docker rmi" 0 "$RC"
docker pull berth-mirror-e2e:1
expect_eq "docker pull berth-mirror-e2e:1 through the Hub mirror: exit 0" 0 "$RC"
expect_match "docker pull: Docker Hub's familiar name" "Status: Downloaded newer image for berth-mirror-e2e:1" "$OUT"
docker image inspect -f '{{index .RepoTags 0}} {{index .RepoDigests 0}}' berth-mirror-e2e:1
expect_match "docker image inspect: a Docker Hub name" "^berth-mirror-e2e:1 berth-mirror-e2e@sha256:[0-9a-f]{64}$" "$OUT"
check "the loopback registry served it as Docker Hub's library/berth-mirror-e2e" "no such line in $T/registry/registry.log" \
  registry_logged "\"GET /v2/library/berth-mirror-e2e/manifests/1?ns=docker.io HTTP/1.1\" 200"
docker run --rm --pull never berth-mirror-e2e:1 echo hub-via-mirror
expect_eq "docker run of the Hub image pulled through the mirror" hub-via-mirror "$OUT"

echo "# took $SECONDS s"
