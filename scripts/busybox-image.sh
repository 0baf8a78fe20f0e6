#!/usr/bin/env bash
# busybox-image.sh [REF]: makes a local base image (default busybox:latest)
# from Debian's busybox-static, since nothing can be pulled here, and imports
# it with `berth import`. Users: root, app (1000), nobody.
set -euo pipefail
ref=${1:-busybox:latest}
berth=${BERTH:-berth}
bb=/bin/busybox
[[ -x $bb ]] || { echo "busybox-image: $bb is missing (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d /tmp/berth-busybox.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,root,home/app,proc,sys,dev,usr,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 700 "$root/root"
install -m 755 "$bb" "$root/bin/busybox"
for applet in $("$bb" --list); do
  [[ $applet == busybox || -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' > "$root/etc/group"
chown 1000:1000 "$root/home/app"
: > "$root/etc/hosts"; : > "$root/etc/hostname"; : > "$root/etc/resolv.conf"
tar -C "$root" --numeric-owner -c . | "$berth" import --change 'CMD ["sh"]' - "$ref"
