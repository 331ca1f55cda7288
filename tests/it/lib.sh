# lib.sh - what the integration tests share: the tally of checks, polling,
# free loopback ports, a value from a store, slaclockd and an SMTP sink
# started and stopped by PID, the temporary directory. Sourced first, after
# `set -eu` and srcdir; POSIX sh (dash). Sourcing it exits 77 when
# SLACLOCK_SKIP_IT is set. The test sets T (its temporary directory) before
# using anything here but ok/not_ok/fail, and LOG to the daemon's log, whose
# end not_ok (LOG_TAIL lines, 15 unless set) and fail show.

[ -z "${SLACLOCK_SKIP_IT:-}" ] || { echo "SKIP: SLACLOCK_SKIP_IT is set (integration tests off)"; exit 77; }

IT_NAME=${0##*/}
SLACLOCKD=${SLACLOCKD:-${top_builddir:-.}/slaclockd}
SMTP_DRIVER=${SMTP_DRIVER:-${top_builddir:-.}/tests/it/smtp_driver}
PASS=0 FAIL=0 D_PID= SMTP_PID= LOG=/dev/null

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() {
	FAIL=$((FAIL + 1)); echo "not ok - $*"
	if [ -f "$LOG" ]; then tail -n "${LOG_TAIL:-15}" "$LOG" | sed 's/^/#   /'; fi
}
# check WHAT COMMAND...: ok or not_ok, as COMMAND succeeds
check() { _check_what=$1; shift; if "$@"; then ok "$_check_what"; else not_ok "$_check_what"; fi; }
# expect WHAT GOT WANT: ok when GOT is WANT; else not_ok with both
expect() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi; }
# fail WHAT: the test cannot go on
fail() {
	echo "$IT_NAME: FAIL: $*" >&2
	if [ -f "$LOG" ]; then tail -n 30 "$LOG" >&2; fi
	exit 1
}
# need PACKAGE COMMAND...: exit 77 (skipped) unless COMMAND succeeds
need() {
	_need_pkg=$1; shift
	"$@" >/dev/null 2>&1 || { echo "$IT_NAME: SKIP: $_need_pkg not installed"; exit 77; }
}
need_slaclockd() { [ -x "$SLACLOCKD" ] || { echo "$IT_NAME: no slaclockd at $SLACLOCKD" >&2; exit 1; }; }
aiosmtpd_installed() { /usr/bin/python3 -c 'import aiosmtpd'; }

# wait_for SECONDS COMMAND...: poll COMMAND every WAIT_STEP seconds (0.2
# unless set) until it succeeds; 1, and a note of what, after SECONDS.
wait_for() {
	_wait_end=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_wait_end" ]; then echo "# timed out waiting for: $*"; return 1; fi
		sleep "${WAIT_STEP:-0.2}"
	done
}

# free_port: a loopback port free now and not handed out before in this
# test (two calls in a row may otherwise get the same one); those are
# kept in $T/ports.
free_port() {
	python3 - "$T/ports" <<'EOF'
import socket, sys
try:
    taken = set(open(sys.argv[1]).read().split())
except OSError:
    taken = set()
held = []
while True:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)  # held open, so that the next bind gets another one
    p = str(s.getsockname()[1])
    if p not in taken:
        break
with open(sys.argv[1], "a") as f:
    f.write(p + "\n")
print(p)
EOF
}
port_open() { python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1"; }
healthz() { curl -fs -o /dev/null "http://127.0.0.1:$1/healthz"; }

# sql DB QUERY: the first value of QUERY, read-only; -1 when unreadable
sql() {
	python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
try:
    c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=20)
    print(c.execute(sys.argv[2]).fetchone()[0])
except Exception:
    print(-1)
EOF
}

# daemon_start [CONF]: slaclockd -d on CONF ($T/slaclock.conf), output to
# $LOG; its PID in D_PID. daemon_stop: SIGTERM, its exit status.
# daemon_kill: SIGKILL. daemon_alive: whether it runs.
daemon_start() {
	"$SLACLOCKD" -d -c "${1:-$T/slaclock.conf}" >>"$LOG" 2>&1 &
	D_PID=$!
}
daemon_stop() { kill -TERM "$D_PID"; _daemon_rc=0; wait "$D_PID" || _daemon_rc=$?; D_PID=; return $_daemon_rc; }
daemon_alive() { [ -n "$D_PID" ] && kill -0 "$D_PID" 2>/dev/null; }
daemon_kill() { kill -9 "$D_PID" 2>/dev/null || :; wait "$D_PID" 2>/dev/null || :; D_PID=; }

# smtp_sink_start BOX [DIR CLASS]: aiosmtpd on SMTP_PORT (PID SMTP_PID)
# with handler CLASS from DIR, by default tests/it/smtp's
# slaclock_sink.Sink (each message a file in BOX/new); listening when
# this returns.
smtp_sink_start() {
	SMTP_PORT=$(free_port)
	PYTHONPATH=${2:-$srcdir/tests/it/smtp} /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
		-c "${3:-slaclock_sink.Sink}" "$1" >>"$T/aiosmtpd.log" 2>&1 &
	SMTP_PID=$!
	wait_for 10 port_open "$SMTP_PORT" || { cat "$T/aiosmtpd.log"; fail "SMTP sink did not start"; }
}

# smtp_drive WHAT WANT ARG...: $SMTP_DRIVER ARG... prints WANT (expect).
# Its log goes to $T/err, for the checks after it and, with LOG=$T/err,
# for not_ok to show; a driver that exits non-zero ends the test, as an
# assignment from it would under set -e.
smtp_drive() {
	_drive_what=$1 _drive_want=$2; shift 2
	_drive_out=$("$SMTP_DRIVER" "$@" 2>"$T/err") ||
		fail "smtp_driver $*: exit status $?"
	expect "$_drive_what" "$_drive_out" "$_drive_want"
}

# killpg SIG PGID: signal a process group (dash's kill takes "-PGID" but
# not "-- -PGID")
killpg() { kill -"$1" "-$2" 2>/dev/null || :; }
# stop_pids SIG PID...: signal each PID, then wait for each
stop_pids() {
	_stop_sig=$1; shift
	for _stop_pid; do kill -"$_stop_sig" "$_stop_pid" 2>/dev/null || :; done
	for _stop_pid; do wait "$_stop_pid" 2>/dev/null || :; done
}
# rm_tmp: for the exit trap, last: T removed, or kept when KEEP is set
rm_tmp() { if [ -n "${KEEP:-}${KEEP_IT:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi; }
