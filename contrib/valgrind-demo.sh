#!/bin/sh
# valgrind-demo.sh - the end-to-end demo under valgrind memcheck.
#
#   sh contrib/valgrind-demo.sh [BUILD-DIR]     (default build/default)
#
# Runs `slaclock demo` (ingest of examples/maildir, recompute, report) and
# then, on the demo's database, report in every format, a quarter, explain,
# parse, check and ingest again (nothing new), each under memcheck. Fails
# on any memcheck error (invalid read/write, uninitialised use, bad free)
# and on any definitely lost block; "still reachable" (libxml2's and
# iconv's caches) is not a leak. Builds BUILD-DIR first when it has no
# slaclock (plain configure, -O2 as shipped).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build/default}
command -v valgrind >/dev/null 2>&1 ||
	{ echo "valgrind-demo.sh: valgrind not installed (apt-get install valgrind)" >&2; exit 1; }
if [ ! -x "$build/slaclock" ]; then
	mkdir -p "$build"
	(cd "$build" && { [ -f Makefile ] || "$top/configure" -q; } && make -s -j"$(nproc)" slaclock) >/dev/null ||
		{ echo "valgrind-demo.sh: cannot build slaclock in $build" >&2; exit 1; }
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-vg.XXXXXX")
trap '[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT INT TERM

runs=0 failed=0
# vg NAME ARGS...: one slaclock command under memcheck
vg() {
	name=$1; shift
	runs=$((runs + 1))
	rc=0
	valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
		--errors-for-leak-kinds=definite --track-origins=yes --num-callers=30 \
		--log-file="$T/vg-$name.log" "$build/slaclock" "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	if [ "$rc" -eq 99 ] || [ -s "$T/vg-$name.log" ]; then
		failed=$((failed + 1))
		echo "not ok - $name: memcheck found errors or definite leaks:" >&2
		cat "$T/vg-$name.log" >&2
	elif [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		echo "not ok - $name: exit $rc" >&2
		cat "$T/$name.err" >&2
	else
		echo "ok - $name: 0 errors, 0 definite leaks"
	fi
}

conf=$T/demo/slaclock.conf
vg demo demo --dir "$T/demo" --examples "$top/examples" --quiet
vg report-csv report -c "$conf" --month 2026-11 --format csv
vg report-json report -c "$conf" --month 2026-11 --format json
vg report-quarter report -c "$conf" --quarter 2026-Q4
vg recompute recompute -c "$conf"
vg check check -c "$conf"
vg ingest-again ingest -c "$conf" --maildir "$top/examples/maildir"
ticket=$(sed -n 's/.*late [0-9hms]*  *\([^ ]*\) .*/\1/p' "$T/demo.out" | head -1)
[ -n "$ticket" ] && vg explain explain -c "$conf" "$ticket"
set -- "$top"/examples/maildir/cur/*
vg parse parse -c "$conf" "$1" "$2" "$3"
echo "valgrind-demo.sh: $runs runs, $failed failed"
[ "$failed" -eq 0 ]
