#!/usr/bin/env bash
# build-phases.sh: where a running berthd spends a build's time, phase by phase, with no change
# to berthd: uprobes (entry and return) on the builder's functions, recorded in a private ftrace
# instance while a command runs. A measuring tool, not a test.
#
#   bench/build-phases.sh -p BERTHD_PID [-v MS] -- CMD...        (as root; tracefs needed)
#
# e.g. bench/build-phases.sh -p "$(pgrep -nx berthd)" -v 1 -- \
#        build/cmd/berth/berth -H unix:///run/berth-x.sock build --no-cache -t x .
#
# Prints the wall time of CMD, then (with -v MS) every probed call that took MS ms or more,
# nested by caller, then the total time per function. The binary must have symbols (the
# RelWithDebInfo build does). Functions that are inlined or renamed are reported as missing.
# The probes and the ftrace instance are removed on exit.
set -euo pipefail

pid='' verbose=''
while (($#)); do
  case $1 in
    -p) pid=$2; shift 2 ;;
    -v) verbose=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[[ -n $pid && $# -gt 0 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "build-phases.sh: must run as root" >&2; exit 1; }
TR=/sys/kernel/tracing
[[ -w $TR/uprobe_events ]] || { echo "build-phases.sh: $TR is not mounted (mount -t tracefs nodev $TR)" >&2; exit 1; }
bin=$(readlink -f "/proc/$pid/exe")
group="berthph$$"
inst="$TR/instances/$group"

# name:mangled-name-prefix. The phases of one POST /build, from the outside in.
probes=(
  build:_ZN5berth6engine12BuildService5buildE
  recvctx:_ZN5berth7buildfs15receive_contextE
  dispatch:_ZN5berth5build10Dispatcher3runB5cxx11Ev
  load:_ZN5berth6engine16EnginePrimitives4loadE
  cacheget:_ZN5berth6engine10BuildCache3getE
  cacheput:_ZN5berth6engine10BuildCache3putE
  digest:_ZN5berth6engine16EnginePrimitives14digest_sourcesE
  cfgcommit:_ZN5berth6engine16EnginePrimitives13commit_configB5cxx11E
  workdir:_ZN5berth6engine16EnginePrimitives12make_workdir
  copy:_ZN5berth6engine16EnginePrimitives4copyB5cxx11E
  copysrc:_ZN5berth7buildfs12copy_sourcesE
  run:_ZN5berth6engine16EnginePrimitives3runERKNS_5build7RunStepE
  ctrcreate:_ZN5berth6engine16ContainerService6createE
  ctrstart:_ZN5berth6engine16ContainerService5startE
  ctrwait:_ZN5berth6engine16ContainerService4waitE
  ctrremove:_ZN5berth6engine16ContainerService6removeE
  mountimg:_ZN5berth6engine16EnginePrimitives11mount_imageE
  mountall:_ZN5berth8snapshot9mount_allE
  umountall:_ZN5berth8snapshot11unmount_allE
  snapcreate:_ZN5berth8snapshot16LocalSnapshotter6createE
  snapremove:_ZN5berth8snapshot16LocalSnapshotter6removeE
  rmtree:_ZN5berth8snapshot11remove_treeE
  imgcommit:_ZN5berth5image12ImageService6commitE
  difftar:_ZN5berth5layer14write_diff_tarE
  storeblob:_ZN5berth7content5Store13write_from_fdE
  commitimg:_ZN5berth5image12ImageService12commit_imageE
  unpack:_ZN5berth5image12ImageService6unpackE
  addimage:_ZN5berth8metadata10ImageStore9add_imageE
  tag:_ZN5berth6engine12ImageBackend3tagE
)

cleanup() {
  set +e
  [[ -d $inst ]] && { echo 0 >"$inst/tracing_on"; echo 0 >"$inst/events/$group/enable" 2>/dev/null; rmdir "$inst"; }
  grep "^[pr]:$group/" "$TR/uprobe_events" 2>/dev/null | while read -r l; do
    n=${l%% *}
    echo "-:${n#*:}" >>"$TR/uprobe_events"
  done
}
trap cleanup EXIT

# A uprobe takes a file offset: a symbol's address less its segment's (vaddr - offset).
read -r seg_vaddr seg_off < <(readelf -lW "$bin" | awk '$1 == "LOAD" && / E / { print $3, $2; exit }')
syms=$(nm "$bin" | awk '$2 ~ /^[TtW]$/ && $3 !~ /\.cold$/ { print $1, $3 }')
missing=()
for p in "${probes[@]}"; do
  name=${p%%:*} prefix=${p#*:}
  addr=$(awk -v s="$prefix" 'index($2, s) == 1 { print $1; exit }' <<<"$syms")
  if [[ -z $addr ]]; then missing+=("$name"); continue; fi
  off=$(printf '0x%x' $((0x$addr - seg_vaddr + seg_off)))
  echo "p:$group/${name}_in $bin:$off" >>"$TR/uprobe_events"
  echo "r:$group/${name}_out $bin:$off" >>"$TR/uprobe_events"
done
((${#missing[@]} == 0)) || echo "# not probed (no such symbol in $bin): ${missing[*]}"

mkdir "$inst"
echo 65536 >"$inst/buffer_size_kb"
ls "/proc/$pid/task" >"$inst/set_event_pid"   # berthd's threads; new ones follow (event-fork)
echo 1 >"$inst/options/event-fork"
echo 1 >"$inst/events/$group/enable"
echo 1 >"$inst/tracing_on"
start=$(date +%s%N)
rc=0
"$@" >/dev/null 2>&1 || rc=$?
end=$(date +%s%N)
echo 0 >"$inst/tracing_on"
echo "# $* -> exit status $rc, wall $(((end - start) / 1000000)) ms"
python3 "$(dirname "${BASH_SOURCE[0]}")/lib/phase_timeline.py" "${verbose:-}" <"$inst/trace"
