#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.registry: the real Docker CLI 28 and the berth CLI pull and push through berthd
# with Debian's docker-registry on 127.0.0.1 (tests/fixtures/registry.sh; images pushed
# by tests/fixtures/registry-images.sh with skopeo). Nothing leaves loopback.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/registry.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="registry e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
FIXTURES=$(cd "$HERE/../fixtures" && pwd)
need_cmd skopeo jq
e2e_init registry
stop_registry_then_clean() {
  local rc=$?
  set +e  # a failing stop must not skip e2e_cleanup (nor must `(exit $rc)` below)
  for d in registry registry-auth registry-tls; do
    [[ -d $T/$d ]] && "$FIXTURES/registry.sh" stop --dir "$T/$d" >/dev/null 2>&1
  done
  (exit "$rc")
  e2e_cleanup
}
trap stop_registry_then_clean EXIT
start_berthd

eval "$("$FIXTURES/registry.sh" start --dir "$T/registry" --port 0 | grep '^REGISTRY=')"
[[ -n ${REGISTRY:-} ]] || die "the registry did not start"
PUSHED=$("$FIXTURES/registry-images.sh" --registry "$REGISTRY" --work "$T/images") || die "pushing the test images failed"
digest_of() { awk -v r="$1" '$1 == "PUSHED" && $2 == r {print $3}' <<<"$PUSHED"; }
config_of() { skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/$1" | jq -r .config.digest; }
ok "registry $REGISTRY is up with the test images"

IMG=$REGISTRY/test/busybox:v2s2
DIGEST=$(digest_of test/busybox:v2s2)

# --- docker pull -----------------------------------------------------------------------------
docker pull "$IMG"
expect_eq "docker pull: exit 0" 0 "$RC"
expect_match "docker pull: the layer's lines" "[0-9a-f]{12}: Pull complete" "$OUT"
expect_match "docker pull: the digest" "Digest: $DIGEST" "$OUT"
expect_match "docker pull: the status line" "Status: Downloaded newer image for $IMG" "$OUT"
expect_eq "docker pull: the reference last" "$IMG" "$(tail -n 1 <<<"$OUT")"
docker image inspect -f '{{.Id}} {{index .RepoDigests 0}} {{index .RepoTags 0}}' "$IMG"
expect_eq "docker image inspect: the registry's config digest, the repo digest, the tag" \
  "$(config_of test/busybox:v2s2) $REGISTRY/test/busybox@$DIGEST $IMG" "$OUT"
docker run --rm --pull never "$IMG" echo pulled-and-ran
expect_eq "docker run of the pulled image" pulled-and-ran "$OUT"
docker pull "$IMG"
expect_match "docker pull again: up to date" "Status: Image is up to date for $IMG" "$OUT"

docker rmi "$IMG"
expect_eq "docker rmi" 0 "$RC"
docker pull "$REGISTRY/test/busybox@$DIGEST"
expect_eq "docker pull by digest: exit 0" 0 "$RC"
docker image inspect -f '{{.Id}}' "$REGISTRY/test/busybox@$DIGEST"
expect_eq "docker pull by digest: the same image ID" "$(config_of test/busybox:v2s2)" "$OUT"

docker pull "$REGISTRY/test/busybox:nope"
expect_eq "docker pull of an unknown tag: exit 1" 1 "$RC"
expect_match "docker pull of an unknown tag: Docker's message" \
  "manifest for $REGISTRY/test/busybox:nope not found: manifest unknown" "$ERR"

docker pull --platform linux/arm64 "$REGISTRY/test/index:latest"
expect_eq "docker pull --platform linux/arm64 of an index: exit 0" 0 "$RC"
docker image inspect -f '{{.Architecture}} {{index .RepoDigests 0}}' "$REGISTRY/test/index:latest"
expect_eq "the arm64 image, recorded under the index's digest" \
  "arm64 $REGISTRY/test/index@$(digest_of test/index:latest)" "$OUT"

# --- run of a missing image pulls it (progress on stderr, as docker) ---------------------------
docker run --rm "$REGISTRY/test/multi:latest" sh -c 'ls /data | wc -l'
expect_eq "docker run of a missing 5-layer image: exit 0" 0 "$RC"
expect_eq "docker run of a missing image: it ran" 4 "$(tr -d ' ' <<<"$OUT")"
expect_match "docker run of a missing image: Unable to find image" "Unable to find image '$REGISTRY/test/multi:latest' locally" "$ERR"
docker run --rm --pull never "$REGISTRY/test/busybox:oci" true
expect_eq "docker run --pull never of a missing image: refused" 125 "$RC"

# --- berth pull --------------------------------------------------------------------------------
find_berth_cli() {
  for c in "$(dirname "$BERTHD")/../berth/berth"; do [[ -x "$c" ]] && { echo "$c"; return 0; }; done
  return 1
}
BERTH_CLI=$(find_berth_cli) || die "no berth CLI next to $BERTHD"
# Every image so far has the busybox config: remove them so this pull has a layer to fetch.
docker images -q
# shellcheck disable=SC2086 # a list of IDs
[[ -z $OUT ]] || docker rmi -f $OUT
capture "$BERTH_CLI" -H "unix://$SOCK" pull "$REGISTRY/test/busybox:oci"
expect_eq "berth pull: exit 0" 0 "$RC"
expect_match "berth pull: plain lines off a terminal" "[0-9a-f]{12}: Download complete" "$OUT"
expect_eq "berth pull: the reference last" "$REGISTRY/test/busybox:oci" "$(tail -n 1 <<<"$OUT")"
capture "$BERTH_CLI" -H "unix://$SOCK" pull -q "$REGISTRY/test/zstd:latest"
expect_eq "berth pull -q: only the reference" "$REGISTRY/test/zstd:latest" "$OUT"
capture "$BERTH_CLI" -H "unix://$SOCK" pull "$REGISTRY/test/busybox:nope"
expect_eq "berth pull of an unknown tag: exit 1" 1 "$RC"
expect_match "berth pull of an unknown tag: the message" "manifest for $REGISTRY/test/busybox:nope not found" "$ERR"

# --- docker push: an imported image up, removed, pulled back -----------------------------------
import_busybox local/busybox:1
LOCAL_ID=$(docker image inspect -f '{{.Id}}' local/busybox:1 >/dev/null; echo "$OUT")
PUSHED_REF=$REGISTRY/e2e/app:1
docker tag local/busybox:1 "$PUSHED_REF"
docker push "$PUSHED_REF"
expect_eq "docker push: exit 0" 0 "$RC"
expect_match "docker push: the repository line" "The push refers to repository \\[$REGISTRY/e2e/app\\]" "$OUT"
expect_match "docker push: the layer went up" "[0-9a-f]{12}: Pushed" "$OUT"
expect_match "docker push: the digest line" "1: digest: sha256:[0-9a-f]{64} size: [0-9]+" "$OUT"
PUSH_DIGEST=$(grep -oE 'digest: sha256:[0-9a-f]{64}' <<<"$OUT" | cut -d' ' -f2)
skopeo inspect --tls-verify=false --raw "docker://$PUSHED_REF" >"$T/pushed.json" 2>/dev/null
expect_eq "skopeo reads the pushed manifest (its digest is the one docker printed)" "$PUSH_DIGEST" \
  "sha256:$(sha256sum <"$T/pushed.json" | cut -d' ' -f1)"
expect_eq "the pushed layer is gzip" "application/vnd.oci.image.layer.v1.tar+gzip" "$(jq -r '.layers[0].mediaType' "$T/pushed.json")"
docker push "$PUSHED_REF"
expect_match "docker push again: the layer is there" "[0-9a-f]{12}: Layer already exists" "$OUT"
expect_match "docker push again: the same digest" "1: digest: $PUSH_DIGEST " "$OUT"
docker tag local/busybox:1 "$REGISTRY/e2e/copy:1"
docker push "$REGISTRY/e2e/copy:1"
expect_match "docker push to a second repository: mounted" "[0-9a-f]{12}: Mounted from e2e/app" "$OUT"
skopeo copy -q --src-tls-verify=false "docker://$PUSHED_REF" "oci:$T/oci-copy:app" >/dev/null 2>&1
check "skopeo copies what berth pushed into an OCI layout" "skopeo copy failed" [ -f "$T/oci-copy/index.json" ]
( cd "$T" && umoci unpack --image oci-copy:app "$T/unpacked" >/dev/null 2>&1 )
check "umoci unpacks it" "no busybox in $T/unpacked/rootfs" [ -e "$T/unpacked/rootfs/bin/busybox" ]
docker rmi "$PUSHED_REF" "$REGISTRY/e2e/copy:1" local/busybox:1
docker pull "$PUSHED_REF"
expect_eq "docker pull of what was pushed: exit 0" 0 "$RC"
docker image inspect -f '{{.Id}}' "$PUSHED_REF"
expect_eq "the image pulled back has the ID it was pushed with" "$LOCAL_ID" "$OUT"
capture "$BERTH_CLI" -H "unix://$SOCK" push "$PUSHED_REF"
expect_eq "berth push: exit 0" 0 "$RC"
expect_match "berth push: the digest line" "1: digest: $PUSH_DIGEST " "$OUT"
docker push "$REGISTRY/e2e/nothing:1"
expect_eq "docker push of an image that is not there: exit 1" 1 "$RC"
expect_match "docker push of an image that is not there: the message" "An image does not exist locally with the tag: $REGISTRY/e2e/nothing" "$ERR"

# --- login, and a registry that wants it ------------------------------------------------------
eval "$("$FIXTURES/registry.sh" start --dir "$T/registry-auth" --port 0 --mode auth --user e2e --password 'pass word' |
  sed -n 's/^REGISTRY=/AUTH_REGISTRY=/p')"
[[ -n ${AUTH_REGISTRY:-} ]] || die "the auth registry did not start"
docker pull "$AUTH_REGISTRY/test/busybox:v2s2"
expect_eq "docker pull without credentials: exit 1" 1 "$RC"
expect_match "docker pull without credentials: the message" "no basic auth credentials" "$ERR"
docker login -u e2e --password-stdin "$AUTH_REGISTRY" <<<"wrong"
expect_eq "docker login with a wrong password: exit 1" 1 "$RC"
expect_match "docker login with a wrong password: 401 Unauthorized" "401 Unauthorized" "$ERR"
docker login -u e2e --password-stdin "$AUTH_REGISTRY" <<<"pass word"
expect_eq "docker login: exit 0" 0 "$RC"
expect_match "docker login: Login Succeeded" "Login Succeeded" "$OUT"
docker tag "$PUSHED_REF" "$AUTH_REGISTRY/e2e/app:1"
docker push "$AUTH_REGISTRY/e2e/app:1"
expect_eq "docker push with the stored credentials: exit 0" 0 "$RC"
docker rmi "$AUTH_REGISTRY/e2e/app:1"
docker pull "$AUTH_REGISTRY/e2e/app:1"
expect_eq "docker pull with the stored credentials: exit 0" 0 "$RC"
capture "$BERTH_CLI" -H "unix://$SOCK" pull "$AUTH_REGISTRY/e2e/app:1"
expect_match "berth pull with the docker CLI's stored credentials" "Image is up to date" "$OUT"
docker logout "$AUTH_REGISTRY"
expect_match "docker logout" "Removing login credentials for $AUTH_REGISTRY" "$OUT"
capture "$BERTH_CLI" -H "unix://$SOCK" login -u e2e --password-stdin "$AUTH_REGISTRY" <<<"pass word"
expect_eq "berth login: exit 0" 0 "$RC"
expect_match "berth login: Login Succeeded" "Login Succeeded" "$OUT"
docker pull "$AUTH_REGISTRY/e2e/app:1"
expect_eq "docker pull with what berth login stored: exit 0" 0 "$RC"

# --- TLS (127.0.0.0/8 is reached without verification, as Docker does) --------------------------
eval "$("$FIXTURES/registry.sh" start --dir "$T/registry-tls" --port 0 --mode tls | sed -n 's/^REGISTRY=/TLS_REGISTRY=/p')"
[[ -n ${TLS_REGISTRY:-} ]] || die "the TLS registry did not start"
docker tag "$PUSHED_REF" "$TLS_REGISTRY/e2e/app:1"
docker push "$TLS_REGISTRY/e2e/app:1"
expect_eq "docker push over TLS: exit 0" 0 "$RC"
docker rmi "$TLS_REGISTRY/e2e/app:1"
docker pull "$TLS_REGISTRY/e2e/app:1"
expect_eq "docker pull over TLS: exit 0" 0 "$RC"

# --- --all-tags: every tag of a repository, down and up ------------------------------------------
MT=$REGISTRY/test/multitag
docker pull -a "$MT"
expect_eq "docker pull -a: exit 0" 0 "$RC"
expect_match "docker pull -a: the first tag's line" "v1: Pulling from test/multitag" "$OUT"
expect_match "docker pull -a: the last tag's line" "v3: Pulling from test/multitag" "$OUT"
expect_match "docker pull -a: each tag's digest" "Digest: $(digest_of test/multitag:v2)" "$OUT"
expect_eq "docker pull -a: one status, for the repository" 1 "$(grep -cxF "Status: Downloaded newer image for $MT" <<<"$OUT")"
expect_eq "docker pull -a: the repository last" "$MT" "$(tail -n 1 <<<"$OUT")"
docker images --format '{{.Tag}}' "$MT"
expect_eq "docker images: every tag of the repository" "v1 v2 v3" "$(sort <<<"$OUT" | paste -sd' ')"
docker image inspect -f '{{.Id}}' "$MT:v2"
expect_eq "docker pull -a: v2 is the 5-layer image" "$(config_of test/multitag:v2)" "$OUT"
docker pull -a "$MT:v1"
expect_eq "docker pull -a NAME:TAG: refused" 1 "$RC"
capture "$BERTH_CLI" -H "unix://$SOCK" pull -a "$MT"
expect_eq "berth pull -a: exit 0" 0 "$RC"
expect_match "berth pull -a: nothing new" "Status: Image is up to date for $MT" "$OUT"
expect_eq "berth pull -a: the repository last" "$MT" "$(tail -n 1 <<<"$OUT")"

docker tag "$MT:v1" "$REGISTRY/e2e/all:one"
docker tag "$MT:v2" "$REGISTRY/e2e/all:two"
docker push -a "$REGISTRY/e2e/all"
expect_eq "docker push -a: exit 0" 0 "$RC"
expect_match "docker push -a: one repository line" "The push refers to repository \\[$REGISTRY/e2e/all\\]" "$OUT"
# v1 and v3 are one image (one config) with two manifests; berth keeps one manifest an image, so
# "one" goes up with whichever it kept. "two" (the multi image) has only the one it was pulled with.
expect_match "docker push -a: tag one" "one: digest: sha256:[0-9a-f]{64} size: [0-9]+" "$OUT"
expect_match "docker push -a: tag two, its manifest as pulled" "two: digest: $(digest_of test/multitag:v2) " "$OUT"
capture skopeo list-tags --tls-verify=false "docker://$REGISTRY/e2e/all"
expect_eq "the registry has both tags" "one two" "$(jq -r '.Tags | sort | join(" ")' <<<"$OUT")"
capture "$BERTH_CLI" -H "unix://$SOCK" push -a "$REGISTRY/e2e/all"
expect_eq "berth push -a: exit 0" 0 "$RC"
expect_match "berth push -a: the layers are there" "[0-9a-f]{12}: Layer already exists" "$OUT"
expect_match "berth push -a: both tags" "two: digest: $(digest_of test/multitag:v2) " "$OUT"
capture "$BERTH_CLI" -H "unix://$SOCK" push -a "$REGISTRY/e2e/all:one"
expect_match "berth push -a NAME:TAG: Docker's refusal" "tag can't be used with --all-tags/-a" "$ERR"

echo "# took $SECONDS s"
