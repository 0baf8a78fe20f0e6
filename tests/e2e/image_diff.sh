#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2119 # variables read by the sourced libraries; start_berthd takes no args here
# e2e.image_diff: `berth image diff` against a real berthd (tests/e2e/lib/berthd.bash): two
# images made here (busybox imported from tests/fixtures/make-rootfs.sh, and a container's
# changes to it committed on top), compared as local images, as `berth save` archives (plain
# and gzip), as skopeo's OCI archive (gzip layers) and as a registry image
# (tests/fixtures/registry.sh on 127.0.0.1, pushed with `berth push`). Every way of naming the
# second image gives the same answer, and none of them stores or unpacks anything in berthd's
# data root.
#
#   BERTHD=build/cmd/berthd/berthd BERTH=build/cmd/berth/berth bash tests/e2e/image_diff.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/berthd.bash
source "$HERE/lib/berthd.bash"
E2E_LABEL="image diff e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
FIXTURES=$(cd "$HERE/../fixtures" && pwd)

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

need_cmd jq gzip skopeo
e2e_init image_diff
find_berth_cli
stop_registry_then_clean() {
  local rc=$?
  set +e
  [[ -d $T/registry ]] && "$FIXTURES/registry.sh" stop --dir "$T/registry" >/dev/null 2>&1
  (exit "$rc")
  e2e_cleanup
}
trap stop_registry_then_clean EXIT
berth() { capture "$BERTH_CLI" -H "unix://$SOCK" "$@"; }
start_berthd

# --- two images: busybox, and a container's changes to it committed on top ------------------
import_busybox base:1
berth run --pull never --name changer base:1 sh -c '
  echo "changed motd" >/etc/motd
  chmod 600 /etc/passwd
  rm -r /home/app
  mkdir -p /new /var/lib/dpkg
  echo hello >/new/file
  ln -s file /new/link
  printf "Package: hello\nStatus: install ok installed\nVersion: 2.10-3\nArchitecture: amd64\nInstalled-Size: 100\n" >/var/lib/dpkg/status'
expect_eq "the changing container ran" 0 "$RC"
berth commit -c 'ENV VERSION=2' -c 'LABEL stage=derived' changer derived:1
expect_match "commit of the changes" '^sha256:[0-9a-f]{64}$' "$OUT"
berth rm changer

snapshots() { find "$T/data" -mindepth 1 | sort | grep -v -e '/ingest/' -e 'metadata.db' | md5sum; }
BEFORE=$(snapshots)

# --- local images ----------------------------------------------------------------------------
berth image diff base:1 derived:1
expect_eq "default (size): exit 0" 0 "$RC"
expect_match "default (size): container-diff's heading" '^-----Size-----' "$OUT"
expect_match "default (size): the shared base layer is marked" $'\n1 +[0-9a-f]{12} +[^ ]+ +[0-9a-f]{12} +[^ ]+ +shared' "$OUT"

berth image diff --type=file --json base:1 derived:1
expect_eq "--type=file --json: exit 0" 0 "$RC"
LOCAL=$OUT
files() { jq -c '[.file.added[].path, "|", .file.removed[].path, "|", (.file.changed[] | .path + ":" + (.what | join(",")))]' <<<"$1"; }
EXPECTED='["/new","/new/file","/new/link","/var/lib","/var/lib/dpkg","/var/lib/dpkg/status","|","/home/app","|","/etc/motd:size","/etc/passwd:mode"]'
expect_eq "--type=file: added, removed and changed paths with what changed" "$EXPECTED" "$(files "$LOCAL")"
expect_eq "--type=file: a mode-only change keeps its size" "420 384" \
  "$(jq -r '.file.changed[] | select(.path == "/etc/passwd") | "\(.a.mode) \(.b.mode)"' <<<"$LOCAL")"
expect_eq "--type=file: the symlink's target" "symlink file" \
  "$(jq -r '.file.added[] | select(.path == "/new/link") | "\(.type) \(.link)"' <<<"$LOCAL")"
expect_eq "--type=file: content digests" "sha256:$(printf 'hello\n' | sha256sum | cut -c1-64)" \
  "$(jq -r '.file.added[] | select(.path == "/new/file") | .digest' <<<"$LOCAL")"
expect_eq "--json: the inputs as given, their kind" "base:1 daemon derived:1 daemon" \
  "$(jq -r '"\(.a.input) \(.a.kind) \(.b.input) \(.b.kind)"' <<<"$LOCAL")"

berth image diff --type=file base:1 derived:1
expect_match "--type=file: the added table" $'These entries have been added to derived:1:\nFILE +SIZE +MODE\n/new +- +drwxr-xr-x' "$OUT"
expect_match "--type=file: the changed table" $'/etc/passwd +[0-9]+B +[0-9]+B +-rw-r--r-- +-rw------- +mode' "$OUT"

berth image diff -t apt -t history,metadata base:1 derived:1
expect_eq "several types: exit 0" 0 "$RC"
expect_match "apt: the package only the derived image has" $'Packages found only in derived:1:\nNAME +VERSION +SIZE\n-hello +2.10-3 +102kB' "$OUT"
expect_match "apt: base has no database" 'base:1 has no package database' "$OUT"
expect_match "metadata: the new variable and label" $'Env +VERSION +<none> +2\nLabels +stage +<none> +derived' "$OUT"
expect_match "history: the commit's line is the derived image's own" 'Docker history lines found only in derived:1:' "$OUT"

berth image diff --type=file --json derived:1 daemon://derived:1
expect_eq "an image against itself (daemon:// prefix): no difference" '[]|[]|[]' \
  "$(jq -r '[.file.added, .file.removed, .file.changed] | map(tojson) | join("|")' <<<"$OUT")"
berth image diff --type=file "$(jq -r .b.id <<<"$LOCAL")" base:1
expect_eq "by image ID: exit 0" 0 "$RC"

# --- archives: berth save, plain and gzip; a relative path -----------------------------------
berth save -o "$T/derived.tar" derived:1
expect_eq "berth save" 0 "$RC"
gzip -c "$T/derived.tar" >"$T/derived.tar.gz"
for archive in "$T/derived.tar" "$T/derived.tar.gz"; do
  berth image diff --type=file --json base:1 "$archive"
  expect_eq "archive $(basename "$archive"): the same file diff as the stored image" "$(files "$LOCAL")" "$(files "$OUT")"
  expect_eq "archive $(basename "$archive"): kind and name" "archive $archive" "$(jq -r '"\(.b.kind) \(.b.name)"' <<<"$OUT")"
done
# An OCI layout archive as another tool writes it (gzip layers, index.json, no manifest.json).
skopeo copy -q "docker-archive:$T/derived.tar" "oci-archive:$T/derived-oci.tar:derived" >/dev/null 2>&1 ||
  die "skopeo could not make an OCI archive"
berth image diff --type=file --json base:1 "$T/derived-oci.tar"
expect_eq "skopeo's oci-archive: the same file diff as the stored image" "$(files "$LOCAL")" "$(files "$OUT")"
OUT=$(cd "$T" && "$BERTH_CLI" -H "unix://$SOCK" image diff --json ./derived.tar derived:1 2>&1) && RC=0 || RC=$?
expect_eq "a relative archive path is made absolute for the daemon" "0 $T/derived.tar" "$RC $(jq -r .a.name <<<"$OUT" 2>&1)"

# --- a registry image -----------------------------------------------------------------------
eval "$("$FIXTURES/registry.sh" start --dir "$T/registry" --port 0 | grep '^REGISTRY=')"
[[ -n ${REGISTRY:-} ]] || die "the registry did not start"
berth tag derived:1 "$REGISTRY/test/derived:1"
berth push "$REGISTRY/test/derived:1"
expect_eq "berth push to the test registry" 0 "$RC"
berth rmi "$REGISTRY/test/derived:1"
BEFORE=$(snapshots)
berth image diff --type=file --json base:1 "remote://$REGISTRY/test/derived:1"
expect_eq "remote://: the same file diff as the stored image" "$(files "$LOCAL")" "$(files "$OUT")"
expect_eq "remote://: the registry's image" "remote $REGISTRY/test/derived:1 $(jq -r .b.id <<<"$LOCAL")" \
  "$(jq -r '"\(.b.kind) \(.b.name) \(.b.id)"' <<<"$OUT")"
berth image diff --type=file --json "remote://$REGISTRY/test/derived:1" "$T/derived.tar.gz"
expect_eq "remote:// against its own archive: no difference" '[]|[]|[]' \
  "$(jq -r '[.file.added, .file.removed, .file.changed] | map(tojson) | join("|")' <<<"$OUT")"
expect_eq "nothing was stored or unpacked in the data root" "$BEFORE" "$(snapshots)"
berth images -q "$REGISTRY/test/derived"
expect_eq "the registry image was not pulled" "" "$OUT"

# --- errors ----------------------------------------------------------------------------------
berth image diff nope:1 base:1
expect_eq "an unknown image: rc 1 and Docker's words" "1 Error response from daemon: No such image: nope:1" "$RC $ERR"
berth image diff --type=pip base:1 derived:1
expect_match "an unknown type: named, with the types there are" 'unknown diff type "pip": the types are size, history, metadata, file, apt and apk' "$ERR"
head -c 5000 /dev/urandom >"$T/garbage.tar"
berth image diff base:1 "$T/garbage.tar"
expect_match "a corrupt archive: the file is named" "1 Error response from daemon: $T/garbage.tar: not a readable image archive" "$RC $ERR"
berth image diff base:1 "$T/missing.tar"
expect_eq "a missing archive: the file is named" "1 open $T/missing.tar: No such file or directory" "$RC $ERR"
berth image diff base:1 "remote://$REGISTRY/test/nope:1"
expect_match "an unknown registry image" "1 Error response from daemon: .*not found" "$RC $ERR"
