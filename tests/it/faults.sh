#!/bin/sh
# Faults injected into a running slaclockd, each checked for a clear log
# line, a retry with backoff, nothing lost and the daemon alive:
#
#   1. SQLite locked: another process holds the write lock past the
#      store's busy timeout while mail arrives (real Dovecot).
#   2. SQLITE_FULL: the store's file system fills up (a small tmpfs; the
#      rest of it filled with a file) while mail arrives, then frees.
#   3. IMAP server killed (SIGKILL, master and imap processes) in the
#      middle of fetching 10000 messages, started again.
#   4. RT answering 500 (a pass-through proxy in front of a real RT 5 that
#      answers 500 while told to) and RT hanging (the real RT stopped with
#      SIGSTOP past the helpdesk timeout, then continued).
#   5. SMTP 451 (then accepting) and 550 (refused for good: logged and kept
#      in the outbox with its error, not retried).
#
# Parts skip with a message when Dovecot, RT or aiosmtpd are missing, or
# when a tmpfs cannot be mounted (not root); the script exits 77 only when
# every part skipped.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
. "$srcdir/tests/it/lib-dovecot.sh"
. "$srcdir/tests/it/lib-rt.sh"
need_slaclockd

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-flt.XXXXXX")
PROXY_PID= HOLD_PID= MOUNTED=
SKIPPED=0 PARTS=0
cleanup() {
	stop_pids TERM $HOLD_PID $D_PID $PROXY_PID $SMTP_PID
	rt_server_stop
	dovecot_cleanup
	[ -n "$MOUNTED" ] && umount "$T/fs" 2>/dev/null || :
	rm_tmp
}
trap cleanup EXIT INT TERM
skip() { SKIPPED=$((SKIPPED + 1)); echo "# SKIP part: $*"; }

# ==== part 1-3: Dovecot ======================================================
dovecot_part() {
	PARTS=$((PARTS + 1))
	dovecot_installed || { skip "store and IMAP faults: dovecot-imapd not installed"; return 0; }
	USER=support@test.example
	dovecot_setup "$USER"

	# The store on a small file system of its own, so that it can fill.
	mkdir -p "$T/fs"
	if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=16m,mode=0755 tmpfs "$T/fs" 2>/dev/null; then
		MOUNTED=yes
	else
		echo "# cannot mount a tmpfs (not root?): SQLITE_FULL is not tried"
	fi
	DB=$T/fs/slaclock.db
	LOG=$T/d1.log
	printf 'secret\n' >"$T/pw"; chmod 600 "$T/pw"
	{
		cat <<EOF
[store]
path = $DB

[team support]
agents = agent@test.example
EOF
		imap_section main none "$IMAP_PORT" "$T/pw" INBOX
	} >"$T/d1.conf"
	events() { sql "$DB" "SELECT count(*) FROM events WHERE kind = 'customer_message'"; }
	events_are() { [ "$(events)" = "$1" ]; }
	dovecot_start
	save INBOX 1 10
	daemon_start "$T/d1.conf"
	wait_for 20 events_are 10 || fail "initial sync: 10 events (got $(events))"
	ok "initial sync: 10 events"

	# 1. locked: a writer holds the lock 8 s, past the 5 s busy timeout
	python3 - "$DB" "$T/held" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(8)
c.execute("ROLLBACK")
EOF
	HOLD_PID=$!
	wait_for 10 test -f "$T/held" || fail "lock holder did not start"
	save INBOX 11 15
	check "locked store: clear log line (database is locked, retrying with backoff)" \
		wait_for 15 grep -q 'store:.*locked.*retrying with backoff' "$LOG"
	wait "$HOLD_PID" || :; HOLD_PID=
	check "locked store: all 15 events once the lock is gone" wait_for 30 events_are 15
	check "locked store: daemon alive" daemon_alive

	# 2. full: fill the tmpfs, deliver mail, free it again
	if [ -n "$MOUNTED" ]; then
		dd if=/dev/zero of="$T/fs/filler" bs=64k 2>/dev/null || :
		save INBOX 16 20
		check "disk full: clear log line (database or disk is full, retrying with backoff)" \
			wait_for 20 grep -q 'store:.*full.*retrying with backoff' "$LOG"
		check "disk full: nothing stored while full ($(events) events)" events_are 15
		rm -f "$T/fs/filler"
		check "disk full: all 20 events once space is back" wait_for 60 events_are 20
		check "disk full: daemon alive" daemon_alive
	else
		save INBOX 16 20
		wait_for 30 events_are 20 || :
		skip "SQLITE_FULL (no tmpfs)"
	fi
	n=$(events)

	# 3. the IMAP server killed with SIGKILL in the middle of a 10000-message fetch
	maildir_bulk 100001 110000
	want=$((n + 10000))
	# poll in one process: the fetch is fast
	python3 - "$DB" $((n + 100)) <<'PY' || :
import sqlite3, sys, time
end = time.time() + 60
while time.time() < end:
    try:
        c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
        if c.execute("SELECT count(*) FROM events").fetchone()[0] > int(sys.argv[2]):
            break
        c.close()
    except sqlite3.Error:
        pass
    time.sleep(0.01)
PY
	mid=$(events)
	dovecot_stop KILL   # the master and every process it started
	echo "# killed Dovecot at $mid of $want events"
	[ "$mid" -lt "$want" ] ||
		echo "# (the fetch was done before the kill: this run shows the reconnect, not the resumed fetch; ASan builds are slow enough)"
	check "IMAP killed mid-fetch: clear log line (retrying with backoff)" \
		wait_for 20 grep -q 'imap main/INBOX: .*retrying with backoff' "$LOG"
	sleep 2
	dovecot_start
	check "IMAP killed mid-fetch at $mid: exactly $want events after the restart" wait_for 120 events_are "$want"
	ids=$(sql "$DB" "SELECT count(DISTINCT external_id) FROM events WHERE kind = 'customer_message'")
	check "IMAP killed mid-fetch: no duplicates ($ids distinct of $(events))" [ "$ids" = "$(events)" ]
	# how close the 16 MB file system came to full (a WAL past the default
	# 1000 pages in the daemon fills it: see store_bulk())
	if [ -n "$MOUNTED" ]; then echo "# store file system: $(du -sk "$T/fs" | cut -f1) KiB used of 16384 ($(ls -s "$T/fs" | tr "\n" " "))"; fi
	check "store and IMAP faults: daemon alive" daemon_alive
	check "SIGTERM after the store and IMAP faults: exit 0" daemon_stop
	grep -E 'store:|retrying' "$LOG" | sort | uniq -c | sort -rn | head -5 | sed 's/^/# /'
	dovecot_stop || :
}

# ==== part 4-5: RT and SMTP ====================================================
rt_part() {
	PARTS=$((PARTS + 1))
	rt_installed || { skip "RT and SMTP faults: request-tracker5 not installed"; return 0; }
	aiosmtpd_installed 2>/dev/null ||
		{ skip "RT and SMTP faults: python3-aiosmtpd not installed"; return 0; }
	LOG=$T/d2.log
	umask 077   # the secret files
	rt_start_hooked

	# RT behind a proxy that answers 500 while $T/proxy.mode says so
	PROXY_PORT=$(free_port)
	echo pass >"$T/proxy.mode"
	# (a client that timed out leaves a broken pipe behind: not ours to show)
	python3 - "$PROXY_PORT" "$RT_PORT" "$T/proxy.mode" "$T/proxy.log" 2>"$T/proxy.err" <<'EOF' &
import http.client, http.server, sys
port, rt_port, mode_file, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
class H(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        mode = open(mode_file).read().strip()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(log, "a") as f:
            f.write("%s %s %s\n" % (mode, self.command, self.path))
        if mode == "500":
            msg = b'{"message":"injected failure"}'
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        c = http.client.HTTPConnection("127.0.0.1", rt_port, timeout=600)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "host")}
        c.request(self.command, self.path, body or None, hdrs)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_DELETE = handle_one
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
	PROXY_PID=$!

	# an SMTP sink that answers RCPT with what $T/smtp.mode says
	cat >"$T/faultsink.py" <<'EOF'
import os, time
class Sink:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(os.path.join(directory, "new"), exist_ok=True)
    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0])
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        mode = open(os.path.join(self.dir, "..", "smtp.mode")).read().strip()
        with open(os.path.join(self.dir, "..", "smtp.log"), "a") as f:
            f.write("%s %s\n" % (mode, address))
        if mode == "451":
            return "451 4.3.0 Injected: try again later"
        if mode == "550":
            return "550 5.7.1 Injected: refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        name = "%d.eml" % time.time_ns()
        with open(os.path.join(self.dir, "new", name), "wb") as f:
            f.write(envelope.original_content)
        return "250 Message accepted"
EOF
	echo 451 >"$T/smtp.mode"
	smtp_sink_start "$T/box" "$T" faultsink.Sink
	wait_for 10 port_open "$PROXY_PORT" || fail "proxy did not start"

	rt_smtp_conf "$T/d2.db" li.na@test.example "http://127.0.0.1:$PROXY_PORT" "timeout = 2s" >"$T/d2.conf"
	daemon_start "$T/d2.conf"
	wait_for 10 healthz "$HOOK_PORT" || fail "slaclockd did not start"
	echo 500 >"$T/proxy.mode"
	marker() { [ "$(rt_count_marker "$1" "$2")" = "$3" ]; }
	mails() { ls "$T/box/new" 2>/dev/null | wc -l; }
	mailed() { [ "$(mails)" -ge 1 ]; }
	stored_ticket() { [ "$(sql "$T/d2.db" "SELECT count(*) FROM events WHERE ticket = 'rt:$1'")" -ge 1 ]; }

	# 4a + 5a. RT answers 500 and SMTP 451: both logged, retried, delivered once
	T1=$(rt_new_ticket "故障注入 500")
	check "RT 500: clear log line (outbox note ... retrying later)" \
		wait_for 30 grep -q "outbox note:rt:$T1:S14.1:.*retrying later.*500" "$LOG"
	check "SMTP 451: clear log line (attempt 1 failed, retrying)" \
		wait_for 30 grep -q 'outbox alert:.*attempt 1 failed, retrying.*451' "$LOG"
	echo pass >"$T/proxy.mode"
	echo ok >"$T/smtp.mode"
	check "RT 500, then well again: reminder note posted after the backoff" \
		wait_for 90 marker "$T1" "note:rt:$T1:S14.1:reminder" 1
	check "RT 500, then well again: breach note posted after the backoff" \
		wait_for 60 marker "$T1" "note:rt:$T1:S14.1:breach" 1
	check "SMTP 451, then accepting: the alert sent after the backoff" wait_for 90 mailed
	check "daemon alive after RT 500 and SMTP 451" daemon_alive

	# 4b + 5b. RT hangs (SIGSTOP) past the 2 s timeout; SMTP refuses with 550
	echo 550 >"$T/smtp.mode"
	T2=$(rt_new_ticket "故障注入 hang")
	wait_for 20 stored_ticket "$T2" ||
		not_ok "ticket $T2's webhook stored"
	killpg STOP "$RT_PID"
	check "RT hanging: clear log line (timeout, retrying later)" \
		wait_for 30 grep -q "outbox note:rt:$T2:S14.1:.*retrying later.*[Tt]ime" "$LOG"
	check "SMTP 550: clear log line (refused, not retried)" \
		wait_for 40 grep -q 'outbox alert:.*refused, not retried.*550' "$LOG"
	check "daemon alive while RT hangs" daemon_alive
	check "webhook server answers while RT hangs" curl -fs -m 5 -o /dev/null "http://127.0.0.1:$HOOK_PORT/healthz"
	killpg CONT "$RT_PID"
	check "RT hung, then continued: reminder note there exactly once" \
		wait_for 120 marker "$T2" "note:rt:$T2:S14.1:reminder" 1
	check "RT hung, then continued: breach note there exactly once" \
		wait_for 60 marker "$T2" "note:rt:$T2:S14.1:breach" 1
	refused=$(sql "$T/d2.db" "SELECT count(*) FROM outbox WHERE key LIKE 'alert:%' AND last_error LIKE '%550%' AND done_at IS NOT NULL")
	check "SMTP 550: the refused alert kept in the outbox with its error ($refused row(s))" [ "$refused" -ge 1 ]
	sleep 5
	for k in reminder breach; do
		check "ticket $T1: $k note still exactly once" marker "$T1" "note:rt:$T1:S14.1:$k" 1
	done
	dup=$(grep -h '^X-Slaclock-Id:' "$T/box/new/"* 2>/dev/null | sort | uniq -d | wc -l)
	check "no alert mail sent twice ($(mails) mail(s))" [ "$dup" = 0 ]
	check "outbox drained" wait_for 30 sh -c "curl -fsS http://127.0.0.1:$HOOK_PORT/metrics | grep -q '^slaclock_outbox_depth 0'"
	check "RT and SMTP faults: daemon alive" daemon_alive
	check "SIGTERM after the RT and SMTP faults: exit 0" daemon_stop
	sed 's/^/# proxy: /' "$T/proxy.log" | sort | uniq -c | sort -rn | head -5
}

dovecot_part
rt_part
echo "faults.sh: $PASS passed, $FAIL failed, $SKIPPED part(s) skipped"
[ "$FAIL" -eq 0 ] || exit 1
[ "$SKIPPED" -lt "$PARTS" ] || exit 77
