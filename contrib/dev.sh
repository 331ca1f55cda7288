#!/bin/sh
# dev.sh - the README's two commands for a fresh Debian 12 machine.
#
#   sh contrib/dev.sh demo   install what is missing, build, run the demo
#   sh contrib/dev.sh test   install what is missing, run the whole suite:
#                            gcc -Werror build + make check, bench/run
#                            --quick, clang ASan+UBSan build + make check,
#                            the demo under valgrind, every fuzz target for
#                            60 s, make distcheck
#
# Builds happen out of tree under build/ so the source stays clean.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

build_pkgs="autoconf automake libtool pkg-config make gcc gettext autopoint
 libetpan-dev libcurl4-gnutls-dev libxml2-dev libsqlite3-dev libjansson-dev
 libmicrohttpd-dev libgnutls28-dev check"
test_pkgs="clang libclang-rt-14-dev openssl gnutls-bin sqlite3 curl valgrind procps
 dovecot-core dovecot-imapd python3-aiosmtpd
 request-tracker5 rt5-db-sqlite rt5-standalone"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else echo "dev.sh: need root to install packages: $*" >&2; exit 1
	fi
}

# Install only what dpkg does not already have, so a second run is quick.
install_missing() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "dev.sh: installing:$missing" >&2
	as_root apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing >/dev/null
}

bootstrap() {
	[ -x configure ] && [ configure -nt configure.ac ] || ./autogen.sh >/dev/null 2>&1 ||
		{ ./autogen.sh; exit 1; }
}

# build DIR CONFIGURE-ARGS...: configure (once) and make in DIR.
build() {
	dir=$1; shift
	mkdir -p "$dir"
	(cd "$dir" && { [ -f Makefile ] || "$top/configure" -q "$@"; } &&
		make -s -j"$jobs" >/dev/null)
}

case "${1:-}" in
demo)
	install_missing $build_pkgs
	bootstrap
	build build/default
	exec build/default/slaclock demo --quiet
	;;
test)
	install_missing $build_pkgs $test_pkgs
	bootstrap
	start=$(date +%s)
	echo "== gcc, -Werror: make check" >&2
	build build/werror --enable-werror CC=gcc
	(cd build/werror && make -j"$jobs" check) || { cat build/werror/test-suite.log; exit 1; }
	echo "== bench/run --quick (proves the benchmarks run; no timing is asserted)" >&2
	(cd build/werror && make -s bench >/dev/null &&
		"$top/bench/run" --quick --builddir . --json bench-quick.json) || exit 1
	echo "== clang, ASan+UBSan, -Werror: make check" >&2
	build build/sanitizers --enable-werror --enable-sanitizers CC=clang
	(cd build/sanitizers &&
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		make -j"$jobs" check) || { cat build/sanitizers/test-suite.log; exit 1; }
	echo "== valgrind memcheck: the end-to-end demo" >&2
	sh contrib/valgrind-demo.sh "$top/build/werror" || exit 1
	echo "== libFuzzer: every target for 60 s, two at a time" >&2
	FUZZ_WORK="$top/build/fuzz-work-a" sh contrib/fuzz.sh 1 conf >/dev/null || exit 1
	FUZZ_WORK="$top/build/fuzz-work-a" sh contrib/fuzz.sh 60 mail charset html reply conf &
	fa=$!
	FUZZ_WORK="$top/build/fuzz-work-b" sh contrib/fuzz.sh 60 webhook_rt webhook_zammad \
		webhook_zendesk webhook_freshdesk &
	fb=$!
	frc=0
	wait "$fa" || frc=1
	wait "$fb" || frc=1
	[ "$frc" -eq 0 ] || { echo "dev.sh: a fuzz target failed (see build/fuzz-work-*/artifacts)" >&2; exit 1; }
	echo "== make distcheck" >&2
	# distcheck proves the tarball builds and its unit tests pass; the
	# integration tests already ran twice above against real servers.
	if ! (cd build/werror && SLACLOCK_SKIP_IT=1 make -s distcheck >distcheck.log 2>&1); then
		grep -E '^(FAIL|ERROR)' build/werror/distcheck.log >&2 || tail -40 build/werror/distcheck.log >&2
		for log in build/werror/slaclock-*/_build/sub/tests/*.log \
			   build/werror/slaclock-*/_build/sub/tests/it/*.log; do
			[ -f "$log" ] && grep -qE '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null &&
				{ echo "--- $log" >&2; tail -40 "$log" >&2; }
		done
		exit 1
	fi
	echo "dev.sh: all tests passed in $(( $(date +%s) - start )) s" >&2
	;;
*)
	echo "usage: sh contrib/dev.sh demo | test" >&2
	exit 64
	;;
esac
