#!/usr/bin/env bash
# vm.guest-image-checks: scripts/vm-guest-image.sh with a kernel built by
# scripts/vm-kernel.sh (a `config` and a `release` beside it, everything built
# in). No kernel build and no VM: the kernel's config is the project's
# fragment (vm/guest-kernel.config), so this also checks that the fragment
# asks for everything the image script requires. Checked: that config is
# accepted and gives an initramfs with /init and no module to load; a config
# without a driver the agent needs, or with module support, or without a
# namespace the containers need, or without the balloon's free page reporting
# (docs/vm.md "Host memory per VM") or futexes (the fragment's EXPERT config
# keeps them only because it says so), is refused with the option's name and
# leaves no image behind. Needs cpio and a static berth-vm-agent.
#
#   BERTH_VM_AGENT=build/cmd/berth-vm-agent/berth-vm-agent bash tests/vm/guest-image-checks.sh
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
AGENT=${BERTH_VM_AGENT:-$REPO/build/cmd/berth-vm-agent/berth-vm-agent}
FRAGMENT=$REPO/vm/guest-kernel.config
die() { echo "vm.guest-image-checks: FAIL: $*" >&2; exit 1; }
[[ -x "$AGENT" ]] || die "BERTH_VM_AGENT=$AGENT is not an executable (ninja -C build berth-vm-agent)"
command -v cpio >/dev/null || die "cpio not found (scripts/setup.sh installs it)"

T=$(mktemp -d /tmp/berth-vm-image-checks.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1: $2"; failed=$((failed + 1)); }

# kernel_dir NAME [sed script]: a fake vm-kernel.sh output whose config is the fragment, edited.
kernel_dir() {
  local d=$T/$1
  mkdir -p "$d"
  sed -e "${2:-}" "$FRAGMENT" > "$d/config"
  echo "6.1.0-test" > "$d/release"
  printf '\177ELFnot-a-real-kernel' > "$d/vmlinux"
  echo "$d"
}

k=$(kernel_dir good)
if out=$(bash "$REPO/scripts/vm-guest-image.sh" "$T/img-good" "$AGENT" "$k/vmlinux" 2>&1); then
  ok "the project's fragment as the kernel config is accepted"
  list=$(cd "$T" && cpio -it --quiet < "$T/img-good/initramfs.cpio" 2>/dev/null)
  if grep -qxE '(\./)?init' <<<"$list" && ! grep -q '\.ko$' <<<"$list"; then
    ok "the initramfs has /init and no module"
  else not_ok "initramfs contents" "$list"; fi
  [[ $(cat "$T/img-good/release") == 6.1.0-test ]] && cmp -s "$k/vmlinux" "$T/img-good/kernel" &&
    ok "the image's kernel and release are the built kernel's" || not_ok "kernel and release" "$(ls -la "$T/img-good")"
  if ! grep -qxE '(\./)?etc/berth-vm/modules' <<<"$list"; then
    not_ok "the module list is there" "$list"
  elif (cd "$T" && cpio -i --quiet --to-stdout '*etc/berth-vm/modules' < "$T/img-good/initramfs.cpio") | grep -q .; then
    not_ok "the module list is empty" "it is not"
  else ok "the agent's module list is empty"; fi
else
  not_ok "the project's fragment as the kernel config is accepted" "$out"
fi

# refused NAME SED WANT: the image script fails naming WANT and writes no image.
refused() {
  local d out
  d=$(kernel_dir "$1" "$2")
  if out=$(bash "$REPO/scripts/vm-guest-image.sh" "$T/img-$1" "$AGENT" "$d/vmlinux" 2>&1); then
    not_ok "$1 is refused" "the script succeeded"
  elif [[ "$out" != *"$3"* ]]; then
    not_ok "$1 is refused naming $3" "$out"
  elif [[ -e "$T/img-$1/initramfs.cpio" ]]; then
    not_ok "$1 leaves no image" "$(ls "$T/img-$1")"
  else
    ok "$1 is refused: ${out#vm-guest-image: }"
  fi
}
refused no-virtiofs '/^CONFIG_VIRTIO_FS=/d' CONFIG_VIRTIO_FS
refused virtiofs-module 's/^CONFIG_VIRTIO_FS=y/CONFIG_VIRTIO_FS=m/' CONFIG_VIRTIO_FS
refused modules '$a CONFIG_MODULES=y' "module support"
refused no-userns '/^CONFIG_USER_NS=/d' CONFIG_USER_NS
refused no-seccomp-filter '/^CONFIG_SECCOMP_FILTER=/d' CONFIG_SECCOMP_FILTER
refused no-balloon '/^CONFIG_VIRTIO_BALLOON=/d' CONFIG_VIRTIO_BALLOON
refused no-page-reporting '/^CONFIG_PAGE_REPORTING=/d' CONFIG_PAGE_REPORTING
refused no-futex '/^CONFIG_FUTEX=/d' CONFIG_FUTEX

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
