#!/usr/bin/env bash
# interop.registry_fixture: the local-registry fixtures the registry-client tests stand
# on work, checked with clients nobody here wrote (skopeo, curl). For each mode (plain,
# auth, tls, auth-tls) tests/fixtures/registry.sh starts Debian's docker-registry
# (Distribution 2.8) on 127.0.0.1 and an ephemeral port, tests/fixtures/registry-images.sh
# pushes the test images, and skopeo/curl check what the registry serves:
#   test/busybox:v2s2  Docker schema 2 manifest      test/busybox:oci  OCI manifest
#   test/multi:latest  5 layers                       test/index:latest OCI index amd64+arm64
#   test/zstd:latest   zstd layer (when pushed)       manifest digests = the PUSHED lines
# auth modes: no or wrong credentials get 401, the right ones work; TLS modes: the CA
# verifies the certificate (for 127.0.0.1 and localhost), no CA fails. Everything it starts
# is stopped, and its temp dir removed, on every exit path. Loopback only; no sleeps.
#
#   bash tests/interop/registry_fixture.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.bash
source "$HERE/lib/common.bash"
FIXTURES=$(cd "$HERE/../fixtures" && pwd)
REGISTRY_SH=$FIXTURES/registry.sh
IMAGES_SH=$FIXTURES/registry-images.sh

need_cmd docker-registry skopeo umoci jq curl openssl htpasswd flock sha256sum timeout \
  "$MAKE_ROOTFS" "$REGISTRY_SH" "$IMAGES_SH"

T=$(mktemp -d /tmp/berth-interop-registry.XXXXXX)
REG_DIRS=()   # every registry dir handed to registry.sh start
cleanup() {
  local rc=$? d
  trap - EXIT INT TERM
  for d in "${REG_DIRS[@]}"; do
    timeout 30 bash "$REGISTRY_SH" stop --dir "$d" >/dev/null 2>&1 || echo "cleanup: stopping the registry in $d failed" >&2
  done
  kill_procs_under "$T"   # anything left that names the temp dir (a registry, skopeo)
  finish_cleanup "$rc" "registry fixture"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

USER_NAME=tester PASSWORD='s3cret pass'   # a space: the scripts must quote it
DOCKER_V2S2=application/vnd.docker.distribution.manifest.v2+json
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_INDEX=application/vnd.oci.image.index.v1+json
declare -A DIGEST   # repo:tag -> digest, from registry-images.sh's PUSHED lines (last mode)

# pid_gone PID: no such process, or only a zombie (empty cmdline) left for init to reap.
pid_gone() {
  local c
  c=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 0
  [[ -z $c ]]
}

# check_mode MODE
check_mode() {
  local mode=$1
  local d=$T/$mode tls=0 auth=0 scheme pid
  [[ $mode == *tls* ]] && tls=1
  [[ $mode == auth* ]] && auth=1
  local start_args=(start --dir "$d" --mode "$mode")
  [[ $auth == 0 ]] || start_args+=(--user "$USER_NAME" --password "$PASSWORD")
  REG_DIRS+=("$d")
  capture bash "$REGISTRY_SH" "${start_args[@]}"
  if [[ $RC != 0 ]]; then not_ok "$mode: registry.sh start: $(why)"; return; fi
  # shellcheck disable=SC2034 # registry.env sets REGISTRY_USER/PASSWORD too: keep them local
  local REGISTRY='' REGISTRY_SCHEME='' REGISTRY_CA='' REGISTRY_USER='' REGISTRY_PASSWORD=''
  # shellcheck source=/dev/null
  source "$d/registry.env"
  expect_match "$mode: registry.sh start prints REGISTRY=127.0.0.1:PORT" '(^|'$'\n'')REGISTRY=127\.0\.0\.1:[0-9]+'$'\n' "$OUT"
  scheme=http; [[ $tls == 0 ]] || scheme=https
  expect_eq "$mode: REGISTRY_SCHEME" "$scheme" "$REGISTRY_SCHEME"
  pid=$(<"$d/registry.pid")
  expect_match "$mode: registry.pid is docker-registry serving $d" "registry serve $d/config.yml" \
    "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
  if [[ $tls == 1 ]]; then
    expect_eq "$mode: REGISTRY_CA" "$d/ca.crt" "$REGISTRY_CA"
  else
    expect_eq "$mode: no REGISTRY_CA" "" "$REGISTRY_CA"
  fi
  local base=$scheme://$REGISTRY

  # Client options: curl, skopeo inspect, registry-images.sh.
  local CURL=(curl -sS --max-time 20 -o /dev/null -w '%{http_code}') SK=(--tls-verify=false) IMG=()
  if [[ $tls == 1 ]]; then
    mkdir -p "$d.certs" && cp "$REGISTRY_CA" "$d.certs/ca.crt"
    CURL+=(--cacert "$REGISTRY_CA")
    SK=(--cert-dir "$d.certs")
    IMG=(--ca "$REGISTRY_CA")
  fi
  local CREDS_CURL=() CREDS_SK=()
  if [[ $auth == 1 ]]; then
    CREDS_CURL=(-u "$USER_NAME:$PASSWORD")
    CREDS_SK=(--creds "$USER_NAME:$PASSWORD")
    IMG+=(--user "$USER_NAME" --password "$PASSWORD")
  fi

  capture "${CURL[@]}" "${CREDS_CURL[@]}" "$base/v2/"
  expect_eq "$mode: GET /v2/ with the right client settings" 200 "$OUT"

  if [[ $auth == 1 ]]; then
    capture "${CURL[@]}" "$base/v2/"
    expect_eq "$mode: GET /v2/ without credentials is refused" 401 "$OUT"
    capture "${CURL[@]}" -u "$USER_NAME:wrong" "$base/v2/"
    expect_eq "$mode: GET /v2/ with a wrong password is refused" 401 "$OUT"
  fi
  if [[ $tls == 1 ]]; then
    capture curl -sS --max-time 20 -o /dev/null "${CREDS_CURL[@]}" "$base/v2/"
    check "$mode: curl without the CA fails verification" "$(why)" test "$RC" = 60
    local port=${REGISTRY##*:}
    capture "${CURL[@]}" "${CREDS_CURL[@]}" --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/v2/"
    expect_eq "$mode: the certificate is valid for localhost too" 200 "$OUT"
  fi

  # Push the images (the OCI layout is built once, in $T/images, for all modes).
  capture bash "$IMAGES_SH" --registry "$REGISTRY" --scheme "$scheme" "${IMG[@]}" --work "$T/images"
  if [[ $RC != 0 ]]; then not_ok "$mode: registry-images.sh: $(why)"; return; fi
  ok "$mode: registry-images.sh pushed the images"
  DIGEST=()
  local kw ref dg
  while read -r kw ref dg; do
    [[ $kw == PUSHED ]] && DIGEST[$ref]=$dg
  done <<<"$OUT"
  local want
  for want in test/busybox:v2s2 test/busybox:oci test/multi:latest test/index:latest; do
    expect_match "$mode: PUSHED $want with a digest" '^sha256:[0-9a-f]{64}$' "${DIGEST[$want]:-}"
  done
  if [[ $mode == plain ]]; then   # idempotent: a second run pushes the same digests
    local first=$OUT
    capture bash "$IMAGES_SH" --registry "$REGISTRY" --scheme "$scheme" "${IMG[@]}" --work "$T/images"
    expect_eq "$mode: registry-images.sh again: same PUSHED lines" "$first" "$OUT"
  fi

  # What the registry serves, read by skopeo.
  # inspect_raw REPO:TAG: raw = the manifest, rawsha = sha256 of its exact bytes (a
  # trailing newline counts: $(...) would drop it, so it goes through a file).
  local raw rawsha
  inspect_raw() {
    rm -f "$T/raw.json"
    # shellcheck disable=SC2016 # expanded by the inner bash
    capture bash -c 'out=$1; shift; "$@" >"$out"' - "$T/raw.json" \
      skopeo inspect --retry-times 0 --raw "${SK[@]}" "${CREDS_SK[@]}" "docker://$REGISTRY/$1"
    raw=$(cat "$T/raw.json" 2>/dev/null || true)
    rawsha=sha256:$(sha256sum <"$T/raw.json" 2>/dev/null | cut -d' ' -f1)
  }

  inspect_raw test/busybox:v2s2
  expect_eq "$mode: test/busybox:v2s2 mediaType" "$DOCKER_V2S2" "$(jq -r '.mediaType // empty' <<<"$raw" 2>/dev/null)"
  expect_eq "$mode: test/busybox:v2s2 has 1 layer, gzip" "1 application/vnd.docker.image.rootfs.diff.tar.gzip" \
    "$(jq -r '"\(.layers | length) \(.layers[0].mediaType)"' <<<"$raw" 2>/dev/null)"
  expect_eq "$mode: test/busybox:v2s2 digest = PUSHED" "${DIGEST[test/busybox:v2s2]:-}" "$rawsha"

  inspect_raw test/busybox:oci
  expect_eq "$mode: test/busybox:oci is OCI (config and layer media types)" \
    "application/vnd.oci.image.config.v1+json application/vnd.oci.image.layer.v1.tar+gzip" \
    "$(jq -r '"\(.config.mediaType) \(.layers[0].mediaType)"' <<<"$raw" 2>/dev/null)"
  expect_eq "$mode: test/busybox:oci digest = PUSHED" "${DIGEST[test/busybox:oci]:-}" "$rawsha"
  capture "${CURL[@]}" "${CREDS_CURL[@]}" -w '%{content_type}' -H "Accept: $OCI_MANIFEST" \
    "$base/v2/test/busybox/manifests/oci"
  expect_eq "$mode: registry serves test/busybox:oci as $OCI_MANIFEST" "$OCI_MANIFEST" "$OUT"

  inspect_raw test/multi:latest
  expect_eq "$mode: test/multi has 5 layers (raw manifest)" 5 "$(jq -r '.layers | length' <<<"$raw" 2>/dev/null)"
  expect_eq "$mode: test/multi:latest digest = PUSHED" "${DIGEST[test/multi:latest]:-}" "$rawsha"
  capture skopeo inspect --retry-times 0 "${SK[@]}" "${CREDS_SK[@]}" "docker://$REGISTRY/test/multi:latest"
  expect_eq "$mode: skopeo inspect test/multi: 5 layers" 5 "$(jq -r '.Layers | length' <<<"$OUT" 2>/dev/null)"

  inspect_raw test/index:latest
  expect_eq "$mode: test/index is an OCI index" "$OCI_INDEX" "$(jq -r '.mediaType // empty' <<<"$raw" 2>/dev/null)"
  expect_eq "$mode: test/index platforms" "linux/amd64 linux/arm64" \
    "$(jq -r '[.manifests[].platform | "\(.os)/\(.architecture)"] | sort | join(" ")' <<<"$raw" 2>/dev/null)"
  expect_eq "$mode: test/index:latest digest = PUSHED" "${DIGEST[test/index:latest]:-}" "$rawsha"
  expect_eq "$mode: the index's amd64 entry is test/busybox:oci" "${DIGEST[test/busybox:oci]:-}" \
    "$(jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest' <<<"$raw" 2>/dev/null)"
  local arch
  for arch in amd64 arm64; do
    capture skopeo inspect --retry-times 0 --override-os linux --override-arch "$arch" "${SK[@]}" "${CREDS_SK[@]}" \
      "docker://$REGISTRY/test/index:latest"
    expect_eq "$mode: test/index selects linux/$arch" "linux/$arch 1" \
      "$(jq -r '"\(.Os)/\(.Architecture) \(.Layers | length)"' <<<"$OUT" 2>/dev/null)"
  done

  if [[ -n ${DIGEST[test/zstd:latest]:-} ]]; then
    inspect_raw test/zstd:latest
    expect_eq "$mode: test/zstd has a zstd layer" application/vnd.oci.image.layer.v1.tar+zstd \
      "$(jq -r '.layers[0].mediaType' <<<"$raw" 2>/dev/null)"
    expect_eq "$mode: test/zstd:latest digest = PUSHED" "${DIGEST[test/zstd:latest]}" "$rawsha"
  else
    echo "# $mode: test/zstd:latest was not pushed (skopeo could not make zstd layers)"
  fi

  if [[ $auth == 1 ]]; then
    capture skopeo inspect --retry-times 0 --raw "${SK[@]}" --creds "$USER_NAME:wrong" "docker://$REGISTRY/test/busybox:v2s2"
    check "$mode: skopeo with a wrong password is refused" "$(why)" \
      test "$RC" != 0 -a -z "$OUT"
    expect_match "$mode: ... with an authentication error" 'unauthorized|authentication required|401' "$ERR"
  fi
  if [[ $tls == 1 ]]; then
    capture skopeo inspect --retry-times 0 --raw --tls-verify=true --cert-dir "$T/empty-certs" "${CREDS_SK[@]}" \
      "docker://$REGISTRY/test/busybox:v2s2"
    check "$mode: skopeo without the CA fails verification" "$(why)" test "$RC" != 0 -a -z "$OUT"
    expect_match "$mode: ... with a certificate error" 'x509|certificate' "$ERR"
  fi

  # Stop: the pid is gone when stop returns; the dir stays (no --clean).
  capture bash "$REGISTRY_SH" stop --dir "$d"
  expect_eq "$mode: registry.sh stop" 0 "$RC"
  check "$mode: docker-registry pid $pid has exited when stop returns" "still running" pid_gone "$pid"
  check "$mode: stop without --clean keeps $d" "it is gone" test -f "$d/config.yml"
  capture curl -sS --max-time 5 -o /dev/null "$base/v2/"
  check "$mode: nothing listens on $REGISTRY any more" "$(why)" test "$RC" = 7
}

mkdir -p "$T/empty-certs"
for mode in plain auth tls auth-tls; do
  check_mode "$mode"
done

# stop --clean removes the dir; stop of a stopped registry is fine.
capture bash "$REGISTRY_SH" stop --dir "$T/plain" --clean
expect_eq "registry.sh stop --clean" 0 "$RC"
check "stop --clean removed the registry dir" "$T/plain is still there" test ! -e "$T/plain"
