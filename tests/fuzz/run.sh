#!/usr/bin/env bash
# Runs one fuzz target for a bounded time from its committed seeds:
#   tests/fuzz/run.sh BINARY SECONDS WORK_DIR [libFuzzer flags...]
# BINARY is build-fuzz/tests/fuzz/fuzz_NAME. New inputs go to WORK_DIR/corpus/NAME
# (the seeds in tests/fuzz/corpus/NAME are only read), crashes to
# WORK_DIR/artifacts/NAME-*. CTest runs it for a few seconds; a longer run is
# the same command with more time, a persistent WORK_DIR and e.g. -fork=2
# (docs/testing.md, "Fuzzing"). Exits non-zero on any finding.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 BINARY SECONDS WORK_DIR [libFuzzer flags...]" >&2; exit 2; }
bin=$1 seconds=$2 work=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$bin")
name=${name#fuzz_}
mkdir -p "$work/corpus/$name" "$work/artifacts"
flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
       -artifact_prefix="$work/artifacts/$name-")
[[ -f $here/dict/$name.dict ]] && flags+=(-dict="$here/dict/$name.dict")
# Any UB report is fatal already (compiled with -fno-sanitize-recover); leaks are checked at exit of each input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
for s in /usr/lib/llvm-19/bin/llvm-symbolizer "$(command -v llvm-symbolizer || true)"; do
  [[ -x $s ]] && { export ASAN_SYMBOLIZER_PATH=$s; break; }
done
echo "fuzz: $name for ${seconds}s, corpus $work/corpus/$name + seeds $here/corpus/$name"
exec "$bin" "${flags[@]}" "$@" "$work/corpus/$name" "$here/corpus/$name"
