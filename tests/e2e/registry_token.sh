#!/usr/bin/env bash
# shellcheck disable=SC2034 # variables read by the sourced libraries
# e2e.registry_token: the real Docker CLI 28 through berthd against Debian's docker-registry
# with `auth: token`, trusting tests/fixtures/token_server.py (registry.sh --mode token):
# docker login with a wrong then the right password (the CLI stores the identity token
# berthd answers), push, a mount, rmi and pull with that token alone; berth login stores
# the same. Nothing leaves loopback.
#
#   BERTHD=build/cmd/berthd/berthd bash tests/e2e/registry_token.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/berthd.bash"
E2E_LABEL="registry token e2e"
CMD_TIMEOUT=${E2E_CMD_TIMEOUT:-60}
FIXTURES=$(cd "$HERE/../fixtures" && pwd)
need_cmd jq
e2e_init registry_token
stop_registry_then_clean() {
  local rc=$?
  set +e  # a failing stop must not skip e2e_cleanup (nor must `(exit $rc)` below)
  [[ -d $T/registry ]] && "$FIXTURES/registry.sh" stop --dir "$T/registry" >/dev/null 2>&1
  (exit "$rc")
  e2e_cleanup
}
trap stop_registry_then_clean EXIT
start_berthd

PASSWORD='pass word'
eval "$("$FIXTURES/registry.sh" start --dir "$T/registry" --port 0 --mode token --user e2e --password "$PASSWORD" |
  grep -E '^REGISTRY(_TOKEN_LOG)?=')"
[[ -n ${REGISTRY:-} && -n ${REGISTRY_TOKEN_LOG:-} ]] || die "the token-auth registry did not start"
ok "registry $REGISTRY is up, its tokens from token_server.py"
# token_requests FILTER: the token server's log lines (JSON) that jq FILTER selects.
token_requests() { jq -c "select($1)" "$REGISTRY_TOKEN_LOG"; }
BERTH_CLI=$(dirname "$BERTHD")/../berth/berth
[[ -x $BERTH_CLI ]] || die "no berth CLI next to $BERTHD"
REF=$REGISTRY/e2e/app:1

# --- without credentials, then a wrong password ----------------------------------------------
docker pull "$REF"
expect_eq "docker pull without credentials: exit 1" 1 "$RC"
expect_match "docker pull without credentials: Docker's words" \
  "pull access denied for $REGISTRY/e2e/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied" "$ERR"
docker login -u e2e --password-stdin "$REGISTRY" <<<"wrong"
expect_eq "docker login with a wrong password: exit 1" 1 "$RC"
expect_match "docker login with a wrong password: Docker's words" \
  "Get \"http://$REGISTRY/v2/\": unauthorized: incorrect username or password" "$ERR"
check "docker login with a wrong password: nothing stored" "config.json has $REGISTRY" \
  test -z "$(jq -r --arg r "$REGISTRY" '.auths[$r] // empty' "$T/cli/config.json" 2>/dev/null)"

# --- docker login: the identity token is what the CLI keeps ----------------------------------
docker login -u e2e --password-stdin "$REGISTRY" <<<"$PASSWORD"
expect_eq "docker login: exit 0" 0 "$RC"
expect_match "docker login: Login Succeeded" "Login Succeeded" "$OUT"
expect_eq "docker login asked the token service for a refresh token (GET, offline_token, client_id docker)" 1 \
  "$(token_requests '.method == "GET" and .offline_token and .client_id == "docker" and .refresh_token_issued' | wc -l)"
expect_eq "config.json keeps the user and the identity token, not the password" \
  "auth,identitytoken $(printf 'e2e:' | base64)" \
  "$(jq -r --arg r "$REGISTRY" '.auths[$r] | "\(keys | join(",")) \(.auth)"' "$T/cli/config.json")"
IDENTITY=$(jq -r --arg r "$REGISTRY" '.auths[$r].identitytoken' "$T/cli/config.json")
check "the identity token is not empty" "it is '$IDENTITY'" test -n "$IDENTITY" -a "$IDENTITY" != null

# --- push, a mount, rmi, pull: all with the identity token ------------------------------------
import_busybox local/busybox:1
docker image inspect -f '{{.Id}}' local/busybox:1
LOCAL_ID=$OUT
docker tag local/busybox:1 "$REF"
docker push "$REF"
expect_eq "docker push: exit 0" 0 "$RC"
expect_match "docker push: the layer went up" "[0-9a-f]{12}: Pushed" "$OUT"
expect_match "docker push: the digest line" "1: digest: sha256:[0-9a-f]{64} size: [0-9]+" "$OUT"
check "berthd got its tokens with the identity token (OAuth2 POST, refresh_token grant)" \
  "no such request in $REGISTRY_TOKEN_LOG" \
  test -n "$(token_requests '.method == "POST" and .grant == "refresh_token" and .client_id == "docker" and .status == 200 and .user == "e2e"')"
docker tag local/busybox:1 "$REGISTRY/e2e/copy:1"
docker push "$REGISTRY/e2e/copy:1"
expect_match "docker push to a second repository: mounted (the token has pull on the first)" \
  "[0-9a-f]{12}: Mounted from e2e/app" "$OUT"
docker rmi "$REF" "$REGISTRY/e2e/copy:1" local/busybox:1
expect_eq "docker rmi: exit 0" 0 "$RC"
docker pull "$REF"
expect_eq "docker pull with the identity token: exit 0" 0 "$RC"
expect_match "docker pull: the status line" "Status: Downloaded newer image for $REF" "$OUT"
docker image inspect -f '{{.Id}}' "$REF"
expect_eq "the image pulled back has the ID it was pushed with" "$LOCAL_ID" "$OUT"

# --- berth login stores what docker login stores ----------------------------------------------
docker logout "$REGISTRY"
expect_match "docker logout" "Removing login credentials for $REGISTRY" "$OUT"
capture "$BERTH_CLI" -H "unix://$SOCK" login -u e2e --password-stdin "$REGISTRY" <<<"$PASSWORD"
expect_eq "berth login: exit 0" 0 "$RC"
expect_match "berth login: Login Succeeded" "Login Succeeded" "$OUT"
expect_eq "berth login: config.json as docker writes it" "auth,identitytoken $(printf 'e2e:' | base64)" \
  "$(jq -r --arg r "$REGISTRY" '.auths[$r] | "\(keys | join(",")) \(.auth)"' "$T/cli/config.json")"
docker rmi "$REF"
docker pull "$REF"
expect_eq "docker pull with what berth login stored: exit 0" 0 "$RC"
capture "$BERTH_CLI" -H "unix://$SOCK" pull "$REGISTRY/e2e/copy:1"
expect_eq "berth pull with it: exit 0" 0 "$RC"

# --- secrets stay out of the logs -------------------------------------------------------------
IDENTITY=$(jq -r --arg r "$REGISTRY" '.auths[$r].identitytoken' "$T/cli/config.json")
# shellcheck disable=SC2016 # the inner script's $1.. are its arguments
check "berthd's debug log has neither the password nor an identity token" "found in $T/berthd.log" \
  bash -c '! grep -qF -e "$1" -e "$2" "$3"' _ "$PASSWORD" "$IDENTITY" "$T/berthd.log"

# --- the fixture stops its token server with the registry --------------------------------------
TOKEN_PID=$(<"$T/registry/token/server.pid")
capture "$FIXTURES/registry.sh" stop --dir "$T/registry"
expect_eq "registry.sh stop: exit 0" 0 "$RC"
# shellcheck disable=SC2016 # the inner script's $1 is its argument
check "registry.sh stop: the token server (pid $TOKEN_PID) is gone" "it is still running" \
  bash -c '! [[ -s /proc/$1/cmdline ]]' _ "$TOKEN_PID"

echo "# took $SECONDS s"
