#!/usr/bin/env bash
# integration.vm_agent_on_host: berth-vm-agent's request handling without a
# VM: vm-agent-driver starts the agent on a socketpair on this host and runs
# the same busybox containers as tests/vm/vm-agent.sh (stdio, stdin, terminal
# and resize, exec, stats, pause/resume, signals, errors, shutdown), with
# this host's kernel and cgroups. Fast feedback; the VM test is the proof.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
AGENT=${BERTH_VM_AGENT:?BERTH_VM_AGENT: the berth-vm-agent binary}
DRIVER=${BERTH_VM_DRIVER:?BERTH_VM_DRIVER: the vm-agent-driver binary}
[[ $(id -u) -eq 0 ]] || { echo "vm_agent_on_host: FAIL: must run as root" >&2; exit 1; }
T=$(mktemp -d /tmp/berth-vm-agent-host.XXXXXX)
trap 'rm -rf "$T"' EXIT
sh "$REPO/tests/fixtures/make-rootfs.sh" "$T/rootfs" >/dev/null
"$DRIVER" --spawn-agent "$AGENT" --rootfs "$T/rootfs" --timeout 30  # not exec: the trap cleans up
