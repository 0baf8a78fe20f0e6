#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2016,SC2119 # variables read by the sourced libraries; a literal $PATH; start_berthd takes no args here
# e2e.credential_helpers: config.json names a docker credential helper (credsStore), a
# file-backed test helper on PATH. `berth login` stores through it (config.json keeps an
# empty "auths" entry, no password), berth push/pull and the real docker CLI 28 (which
# runs the helper itself) reach an auth-mode registry with what it keeps, `berth logout`
# erases it. Debian's docker-registry on 127.0.0.1 (tests/fixtures/registry.sh).
#
#   BERTHD=build/cmd/berthd/berthd BERTH=build/cmd/berth/berth bash tests/e2e/credential_helpers.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/berthd.bash
source "$HERE/lib/berthd.bash"
E2E_LABEL="credential helpers e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
FIXTURES=$(cd "$HERE/../fixtures" && pwd)
need_cmd jq base64
e2e_init credential-helpers
BERTH_CLI=${BERTH:-$(dirname "$BERTHD")/../berth/berth}
[[ -x $BERTH_CLI ]] || die "prerequisite missing: the berth CLI (set BERTH=/path/to/berth)"
berth() { capture "$BERTH_CLI" -H "unix://$SOCK" "$@"; }
stop_registry_then_clean() {
  local rc=$?
  [[ -d $T/registry ]] && "$FIXTURES/registry.sh" stop --dir "$T/registry" >/dev/null 2>&1
  (exit "$rc")
  e2e_cleanup
}
trap stop_registry_then_clean EXIT
start_berthd

eval "$("$FIXTURES/registry.sh" start --dir "$T/registry" --port 0 --mode auth --user e2e --password 'pass word' |
  grep '^REGISTRY=')"
[[ -n ${REGISTRY:-} ]] || die "the auth registry did not start"
IMG=$REGISTRY/e2e/app:1

# docker-credential-e2e: what `store` got, one file per server URL (named by its base64).
mkdir -p "$T/bin"
cat >"$T/bin/docker-credential-e2e" <<'EOF'
#!/bin/sh
store="$0.store"; mkdir -p "$store"
input=$(cat)
file() { printf '%s/%s' "$store" "$(printf %s "$1" | base64 -w0 | tr '/+=' '_.-')"; }
case $1 in
  get) cat "$(file "$input")" 2>/dev/null || { echo "credentials not found in native keychain"; exit 1; } ;;
  store) printf %s "$input" >"$(file "$(printf %s "$input" | jq -r .ServerURL)")" ;;
  erase) rm "$(file "$input")" 2>/dev/null || { echo "credentials not found in native keychain"; exit 1; } ;;
  *) echo "unsupported: $1"; exit 1 ;;
esac
EOF
chmod 755 "$T/bin/docker-credential-e2e"
export PATH="$T/bin:$PATH"
KEPT=$T/bin/docker-credential-e2e.store/$(printf %s "$REGISTRY" | base64 -w0 | tr '/+=' '_.-')
CONFIG=$DOCKER_CONFIG/config.json
echo '{"credsStore": "e2e"}' >"$CONFIG"
ok "registry $REGISTRY (auth) is up, docker-credential-e2e is the credsStore"

berth login -u e2e --password-stdin "$REGISTRY" <<<"pass word"
expect_eq "berth login: exit 0" 0 "$RC"
expect_eq "berth login: Login Succeeded and no warning about an unencrypted password" "Login Succeeded|" "$OUT|$ERR"
expect_eq "config.json: the helper, and an empty entry for the registry" "e2e {\"$REGISTRY\":{}}" \
  "$(jq -c -r '.credsStore + " " + (.auths | tostring)' "$CONFIG")"
expect_eq "the helper keeps the credentials" "$REGISTRY e2e pass word" \
  "$(jq -r '.ServerURL + " " + .Username + " " + .Secret' "$KEPT" 2>/dev/null)"

import_busybox local/busybox:1
docker tag local/busybox:1 "$IMG"
berth push "$IMG"
expect_eq "berth push with the helper's credentials: exit 0" 0 "$RC"
docker rmi "$IMG" local/busybox:1
berth pull "$IMG"
expect_eq "berth pull with the helper's credentials: exit 0" 0 "$RC"
expect_eq "berth pull: the reference last" "$IMG" "$(tail -n 1 <<<"$OUT")"
docker rmi "$IMG"
docker pull "$IMG"
expect_eq "docker pull through berthd, the docker CLI running the helper: exit 0" 0 "$RC"
expect_match "docker pull: downloaded" "Status: Downloaded newer image for $IMG" "$OUT"

berth logout "$REGISTRY"
expect_eq "berth logout" "Removing login credentials for $REGISTRY|" "$OUT|$ERR"
check "berth logout: the helper keeps nothing" "$KEPT is still there" [ ! -e "$KEPT" ]
expect_eq "berth logout: config.json has no entry" "{}" "$(jq -c .auths "$CONFIG")"
berth pull "$IMG"
expect_eq "berth pull after logout: exit 1" 1 "$RC"
expect_match "berth pull after logout: the registry wants credentials" "no basic auth credentials" "$ERR"

echo "{\"credsStore\": \"e2e\", \"credHelpers\": {\"$REGISTRY\": \"gone\"}}" >"$CONFIG"
berth pull "$IMG"
expect_eq "berth pull with a credHelpers helper not on PATH: exit 1" 1 "$RC"
expect_eq "berth pull with a helper not on PATH: docker's words, naming it" \
  'error getting credentials - err: exec: "docker-credential-gone": executable file not found in $PATH, out: ``' "$ERR"

not_in() { ! grep -qF -- "$1" "${@:2}"; }
check "the password is in neither berthd's log nor config.json" "it is" not_in "pass word" "$T/berthd.log" "$CONFIG"
echo "# took $SECONDS s"
