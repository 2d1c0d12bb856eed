#!/bin/sh
# Fuzz the core with libFuzzer.  Each target in t/fuzz is built with clang
# (-fsanitize=fuzzer,address,undefined) against the core's own sources,
# compiled with clang too, and run for a set time, starting from its corpus
# in t/fuzz/corpus/<target>/.  What it learns goes to bench/fuzz-build/
# (not to the tree); an input that crashes goes to t/fuzz/crashes/.
#
#   bench/fuzz.sh                        # every target, 60 s each
#   FUZZ_SECONDS=300 bench/fuzz.sh beat sig
#   bench/fuzz.sh --build                # only build
#   bench/fuzz.sh --snapshot-seeds       # rewrite the layout-bound snapshot
#                                        # seeds (after a ph_device_t change)
#
# Environment: FUZZ_SECONDS (60), FUZZ_CC (clang), FUZZ_BUILD
# (bench/fuzz-build), FUZZ_FLAGS (more libFuzzer options, e.g.
# "-use_value_profile=1").  Needs clang and libFuzzer's runtime, from
# Debian: apt-get install clang libclang-rt-14-dev
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
out=${FUZZ_BUILD:-$top/bench/fuzz-build}
all="beat sig snapshot outbox event conf downtime"
mode=run

case "${1:-}" in
--build) mode=build; shift ;;
--snapshot-seeds) mode=seeds; shift ;;
-h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
targets=${*:-$all}
for t in $targets; do
    case " $all " in
    *" $t "*) ;;
    *) echo "fuzz.sh: no target '$t' (targets: $all)" >&2; exit 2 ;;
    esac
done

need() {
    echo "fuzz.sh: $1" >&2
    echo "fuzz.sh: install with: apt-get install clang libclang-rt-14-dev" \
         "libapr1-dev libaprutil1-dev libssl-dev pkg-config" >&2
    exit 1
}
command -v "$cc" >/dev/null 2>&1 || need "$cc not found"
command -v pkg-config >/dev/null 2>&1 || need "pkg-config not found"
deps_cflags=$(pkg-config --cflags apr-1 apr-util-1 libcrypto) \
    || need "APR, APR-util or libcrypto headers not found"
deps_libs=$(pkg-config --libs apr-1 apr-util-1 libcrypto)

mkdir -p "$out/obj" "$out/corpus"
probe="$out/probe.c"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)
{ (void)d; (void)n; return 0; }' > "$probe"
"$cc" -fsanitize=fuzzer,address,undefined -o "$out/probe" "$probe" \
    >"$out/probe.log" 2>&1 \
    || need "$cc cannot link with -fsanitize=fuzzer (libFuzzer's runtime, libclang_rt.fuzzer, is missing; see $out/probe.log)"

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer $san -Wall -Wextra -Werror
    -D_GNU_SOURCE -I$top/mod_phonehome -include $top/t/fuzz/fuzz_alloc.h
    $deps_cflags"

if [ "$mode" = seeds ]; then
    "$cc" -g -O1 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$top/mod_phonehome" \
        $deps_cflags -o "$out/snapshot_seeds" t/fuzz/snapshot_seeds.c \
        mod_phonehome/ph_*.c $deps_libs
    "$out/snapshot_seeds" t/fuzz/corpus/snapshot
    echo "fuzz.sh: snapshot seeds written to t/fuzz/corpus/snapshot/"
    exit 0
fi

# The core and the shared helpers, once; then each target.
objs=
for src in mod_phonehome/ph_*.c t/fuzz/fuzz_util.c; do
    obj="$out/obj/$(basename "$src" .c).o"
    "$cc" $cflags -fsanitize=fuzzer-no-link -c -o "$obj" "$src"
    objs="$objs $obj"
done
for t in $targets; do
    "$cc" $cflags -fsanitize=fuzzer -o "$out/fuzz_$t" t/fuzz/fuzz_$t.c \
        $objs $deps_libs
done
echo "fuzz.sh: built $(echo $targets | wc -w) target(s) in $out"
[ "$mode" = build ] && exit 0

crashes="$top/t/fuzz/crashes"
mkdir -p "$crashes"
failed=0
for t in $targets; do
    mkdir -p "$out/corpus/$t"
    dict=
    [ -f "t/fuzz/$t.dict" ] && dict="-dict=t/fuzz/$t.dict"
    log="$out/$t.log"
    before=$(ls "$crashes" | grep -c "^$t-" || true)
    # The first directory is where libFuzzer writes what it finds; the
    # corpus in the tree is only read.
    if "$out/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
           -rss_limit_mb=2048 -print_final_stats=1 \
           -artifact_prefix="$crashes/$t-" $dict ${FUZZ_FLAGS:-} \
           "$out/corpus/$t" "t/fuzz/corpus/$t" >"$log" 2>&1; then
        rc=0
    else
        rc=$?
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | sed 's/cov: //')
    corp=$(ls "$out/corpus/$t" | wc -l)
    after=$(ls "$crashes" | grep -c "^$t-" || true)
    line="fuzz $t: ${seconds} s, ${runs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}, corpus $corp"
    if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]; then
        echo "$line: ok"
    else
        failed=1
        echo "$line: CRASH (exit $rc), see $log"
        ls -t "$crashes" | grep "^$t-" | head -n $((after - before > 0 ? after - before : 1)) \
            | sed "s|^|    t/fuzz/crashes/|"
        grep -m1 -E 'ERROR: |runtime error|invariant broken' "$log" \
            | sed 's/^/    /' || true
        echo "    Reproduce: $out/fuzz_$t t/fuzz/crashes/<file>;" \
             "fix the core, then move the file to t/fuzz/corpus/$t/" \
             "(with a name that says what it is) so make check replays it."
    fi
done
exit $failed
