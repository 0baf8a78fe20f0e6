#!/usr/bin/env bash
# busybox-image.sh [REF]: makes a local base image (default busybox:latest)
# from Debian's busybox-static, since nothing can be pulled here, and imports
# it with `berth import`. The tree is the tests' own fixture
# (tests/fixtures/make-rootfs.sh): users root, app (1000), nobody.
set -euo pipefail
ref=${1:-busybox:latest}
berth=${BERTH:-berth}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

tmp=$(mktemp -d /tmp/berth-busybox.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$repo/tests/fixtures/make-rootfs.sh" "$tmp/rootfs"
tar -C "$tmp/rootfs" --numeric-owner -c . | "$berth" import --change 'CMD ["sh"]' - "$ref"
