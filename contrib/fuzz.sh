#!/bin/sh
# fuzz.sh - run every libFuzzer target for SECONDS each, one after another.
#
#   sh contrib/fuzz.sh [SECONDS] [TARGET...]     (default 60 s, all targets)
#
# Builds the targets in $FUZZ_BUILD (default build/fuzz: configure
# --enable-fuzzing CC=clang), seeds each from the shared corpora
# ($SLACLOCK_CORPORA, default ../shared/corpora), the repository's fixtures
# and its kept crashers (tests/fuzz/regress/TARGET), and keeps what a run
# learns in $FUZZ_WORK/corpus/TARGET (default build/fuzz-work) for the
# next. Exits non-zero when any target crashed, leaked, hung or tripped a
# sanitizer; the input that did it is in $FUZZ_WORK/artifacts/TARGET/, to
# be fixed and then kept under tests/fuzz/regress/TARGET/. Prints one line
# per target: executions, seconds, coverage (edges), features, corpus.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD:-$top/build/fuzz}
work=${FUZZ_WORK:-$top/build/fuzz-work}
corpora=${SLACLOCK_CORPORA:-$top/../shared/corpora}
jobs=$(nproc 2>/dev/null || echo 2)
all="mail mime charset html reply webhook_rt webhook_zammad webhook_zendesk
 webhook_freshdesk conf"
targets=${*:-$all}

case $secs in
''|*[!0-9]*) echo "usage: sh contrib/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 64 ;;
esac

mkdir -p "$build" "$work"
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && "$top/configure" -q --enable-fuzzing CC=clang) ||
		{ echo "fuzz.sh: configure --enable-fuzzing CC=clang failed" >&2; exit 1; }
fi
(cd "$build" && make -s -j"$jobs" fuzz-targets >/dev/null) ||
	{ echo "fuzz.sh: building the fuzz targets failed" >&2; exit 1; }

[ -d "$corpora" ] || echo "fuzz.sh: no corpora at $corpora; seeding from the repository only" >&2

# seed_dirs TARGET: the read-only directories to seed TARGET from
seed_dirs() {
	s="$top/tests/fuzz/regress/$1"
	case $1 in
	mail|mime)
		s="$s $top/examples/maildir/cur $top/examples/maildir/new"
		[ -d "$corpora" ] && s="$s $corpora" ;;
	reply)
		[ -d "$corpora" ] && for d in "$corpora"/reply-*; do s="$s $d"; done ;;
	html)
		[ -d "$corpora" ] && s="$s $work/seeds/html" ;;
	charset)
		s="$s $work/seeds/charset" ;;
	webhook_*)
		s="$s $top/tests/fixtures/webhook/${1#webhook_}" ;;
	conf)
		s="$s $top/tests/conf $top/examples" ;;
	esac
	echo "$s"
}

# Seeds made from others: HTML parts as they come in the corpora, and
# charset inputs ("LABEL\n" + text) from the Chinese and Japanese mail.
mkdir -p "$work/seeds/html" "$work/seeds/charset"
if [ -d "$corpora" ]; then
	find "$corpora" -type f \( -name '*.html' -o -name '*.htm' \) -exec cp {} "$work/seeds/html/" \; 2>/dev/null || :
	grep -rlis '<html' "$corpora" 2>/dev/null | head -200 | while read -r f; do
		cp "$f" "$work/seeds/html/$(echo "$f" | cksum | cut -d' ' -f1).eml"; done
fi
n=0
for label in gb18030 gbk gb2312 big5 utf-8 utf-7 iso-2022-jp hz-gb-2312 iso-8859-1 ''; do
	for f in "$top"/examples/maildir/cur/* ${corpora:+$(find "$corpora" -type f -size -32k \
	    \( -iname '*gb*' -o -iname '*big5*' -o -iname '*charset*' -o -iname '*zh*' \) 2>/dev/null | head -20)}; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		{ printf '%s\n' "$label"; cat "$f"; } >"$work/seeds/charset/$n"
	done
done

dict_of() {
	case $1 in
	mail|mime|reply) echo mail ;;
	webhook_*) echo json ;;
	*) echo "$1" ;;
	esac
}

failed=""
results=$work/results.txt
: >"$results"
printf '%-18s %12s %6s %7s %8s %7s %s\n' target execs secs cov features corpus result | tee -a "$results"
for t in $targets; do
	bin=$build/tests/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz.sh: no target $t" >&2; failed="$failed $t"; continue; }
	mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
	log=$work/$t.log
	max_len=65536
	[ "$t" = conf ] && max_len=16384
	rc=0
	t0=$(date +%s)
	# shellcheck disable=SC2046
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	nice -n "${FUZZ_NICE:-10}" "$bin" -max_total_time="$secs" -timeout=25 \
		-max_len=$max_len -dict="$top/tests/fuzz/$(dict_of "$t").dict" \
		-artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 \
		"$work/corpus/$t" $(seed_dirs "$t") >"$log" 2>&1 || rc=$?
	took=$(( $(date +%s) - t0 ))
	# the status lines only: a crash report may quote the input
	last=$(grep -aE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|DONE|INITED|RELOAD)[[:space:]]' "$log" | tail -1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	[ -n "$execs" ] || execs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	result=ok
	if [ "$rc" -ne 0 ]; then
		result="FAILED (exit $rc): $(grep -m1 -E 'ERROR|SUMMARY|broken promise' "$log" || echo see "$log")"
		failed="$failed $t"
	fi
	printf '%-18s %12s %6s %7s %8s %7s %s\n' "$t" "${execs:-?}" "${took:-?}" "${cov:-?}" \
		"${ft:-?}" "${corp:-?}" "$result" | tee -a "$results"
done
if [ -n "$failed" ]; then
	echo "fuzz.sh: FAILED:$failed (logs and inputs under $work)" >&2
	for t in $failed; do
		ls "$work/artifacts/$t/" 2>/dev/null | sed "s|^|  $work/artifacts/$t/|" >&2 || :
	done
	exit 1
fi
echo "fuzz.sh: all targets ran ${secs} s each without a finding" >&2
