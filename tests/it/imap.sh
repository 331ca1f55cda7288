#!/bin/sh
# Integration test: slaclockd against a real Dovecot on free loopback ports
# under a temporary directory. Skips (77) only when Dovecot is not installed.
# Needs: dovecot-imapd (dovecot, doveadm), openssl, python3.
[ -z "${SLACLOCK_SKIP_IT:-}" ] || { echo "SKIP: SLACLOCK_SKIP_IT is set (integration tests off)"; exit 77; }
set -eu

[ -x /usr/sbin/dovecot ] || { echo "SKIP: /usr/sbin/dovecot not installed (dovecot-imapd)"; exit 77; }

top_builddir=${top_builddir:-$(pwd)}
SLACLOCKD=${SLACLOCKD:-$top_builddir/slaclockd}
[ -x "$SLACLOCKD" ] || { echo "FAIL: $SLACLOCKD not built"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-it.XXXXXX")
chmod 755 "$T"
D=$T/dovecot
USER=support@test.example
PASS=0 FAIL=0
DPID= SPID=

cleanup() {
	[ -n "$SPID" ] && kill -9 "$SPID" 2>/dev/null || :
	if [ -s "$D/run/master.pid" ]; then
		kill "$(cat "$D/run/master.pid")" 2>/dev/null || :
	fi
	if [ "${KEEP_IT:-}" = "" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT INT TERM

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; [ -f "$T/d.log" ] && tail -n 20 "$T/d.log" | sed 's/^/#   /'; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
IMAP_PORT=$(free_port)
IMAPS_PORT=$(free_port)
while [ "$IMAPS_PORT" = "$IMAP_PORT" ]; do IMAPS_PORT=$(free_port); done

# ---- Dovecot --------------------------------------------------------------
mkdir -p "$D/run" "$D/state" "$D/mail"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null
FP=$(openssl x509 -in "$D/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
echo "$USER:{PLAIN}secret::::::" >"$D/passwd"
cat >"$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$D/cert.pem
ssl_key = <$D/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
mail_max_userip_connections = 50
# a mailbox deleted under an IDLE session loses its inotify watch; Dovecot
# then re-checks only every mailbox_idle_check_interval (30 s by default)
mailbox_idle_check_interval = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $D/passwd
}
userdb {
  driver = static
  args = home=$D/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
  }
}
EOF
chown nobody:nogroup "$D/mail"

dovecot_start() {
	/usr/sbin/dovecot -c "$D/dovecot.conf" >"$D/start.log" 2>&1 || { cat "$D/start.log"; exit 1; }
	wait_for "dovecot listens" 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $IMAP_PORT), 1)"
}
dovecot_stop() { # the master and, by PID, the imap processes it started
	pid=$(cat "$D/run/master.pid")
	kids=$(ps -o pid= --ppid "$pid" || :)
	kill "$pid"
	i=0; while kill -0 "$pid" 2>/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1; done
	# a stopped master leaves logged-in imap processes serving on
	for k in $kids; do kill "$k" 2>/dev/null || :; done
}
dove() { doveadm -c "$D/dovecot.conf" "$@"; }

# wait_for WHAT SECONDS COMMAND...: poll COMMAND until it succeeds.
wait_for() {
	what=$1 secs=$2; shift 2
	end=$(( $(date +%s) + secs ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || { echo "# timed out waiting for: $what"; return 1; }
		sleep 0.1
	done
}

# ---- mail -------------------------------------------------------------------
N_MSG=0
mkmsg() { # mkmsg ID: one customer mail with a unique Message-ID
	printf 'From: Customer %s <cust%s@client.example>\r\nTo: %s\r\nSubject: =?UTF-8?B?5pWF6Zqc?= %s\r\nMessage-ID: <it-%s@client.example>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nPlease help, case %s.\r\n' \
		"$1" "$1" "$USER" "$1" "$1" "$1"
}
save() { # save FOLDER FROM TO
	i=$2
	while [ "$i" -le "$3" ]; do mkmsg "$i" | dove save -u "$USER" -m "$1"; i=$((i + 1)); done
}
# Bulk delivery straight into the Maildir (doveadm save per message is too
# slow for thousands).
maildir_bulk() { # maildir_bulk FROM TO
	python3 - "$D/mail/$USER/Maildir/new" "$1" "$2" "$USER" <<'EOF'
import os, sys, time
d, a, b, user = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(d, exist_ok=True)
t = int(time.time())
for i in range(a, b + 1):
    m = ("From: Customer %d <cust%d@client.example>\r\nTo: %s\r\nSubject: bulk %d\r\n"
         "Message-ID: <it-%d@client.example>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0800\r\n\r\n"
         "Bulk case %d.\r\n" % (i, i, user, i, i, i))
    with open(os.path.join(d, "%d.M%dP1.it" % (t, i)), "w") as f:
        f.write(m)
EOF
	chown -R nobody:nogroup "$D/mail"
}

count_events() { # distinct customer messages stored
	python3 - "$T/slaclock.db" <<'EOF'
import sqlite3, sys
try:
    c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
    n = c.execute("SELECT count(*) FROM events WHERE kind = 'customer_message'").fetchone()[0]
    print(n)
except Exception:
    print(0)
EOF
}
count_ids() { # distinct external ids, to compare with the count of rows
	python3 - "$T/slaclock.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
print(c.execute("SELECT count(DISTINCT external_id) FROM events WHERE kind = 'customer_message'").fetchone()[0])
EOF
}
events_are() { [ "$(count_events)" -eq "$1" ]; }
events_at_least() { [ "$(count_events)" -ge "$1" ]; }
log_has() { grep -q -- "$1" "$T/d.log"; }
log_new() { # log_new SINCE PATTERN: PATTERN in the log after line SINCE
	tail -n +"$(($1 + 1))" "$T/d.log" | grep -q -- "$2"
}
log_lines() { wc -l <"$T/d.log"; }

# ---- slaclockd ----------------------------------------------------------------
printf 'secret\n' >"$T/pw"
printf 'wrong\n' >"$T/pw-bad"
chmod 600 "$T/pw" "$T/pw-bad"
cat >"$T/slaclock.conf" <<EOF
[store]
backend = sqlite
path = $T/slaclock.db

[policy]
first_response = 30m

[team support]
agents = agent@test.example

[imap main]
host = 127.0.0.1
port = $IMAP_PORT
tls = starttls
ca_file = $D/cert.pem
username = $USER
password_file = $T/pw
folders = INBOX, Sent

[imap badpass]
host = 127.0.0.1
port = $IMAP_PORT
tls = none
username = $USER
password_file = $T/pw-bad
folders = INBOX

[imap nopin]
host = 127.0.0.1
port = $IMAPS_PORT
tls = imaps
username = $USER
password_file = $T/pw
folders = INBOX

[imap pinned]
host = 127.0.0.1
port = $IMAPS_PORT
tls = imaps
fingerprint = $FP
username = $USER
password_file = $T/pw
folders = INBOX
EOF

daemon_start() {
	"$SLACLOCKD" -d -c "$T/slaclock.conf" >>"$T/d.log" 2>&1 &
	SPID=$!
}
daemon_stop() { # SIGTERM, expect exit 0
	kill -TERM "$SPID"
	rc=0; wait "$SPID" || rc=$?
	SPID=
	return $rc
}

dovecot_start
dove mailbox create -u "$USER" Sent
save INBOX 1 20
save Sent 21 25

# 0. -n checks the config; a group-readable password file is refused by name.
if "$SLACLOCKD" -n -c "$T/slaclock.conf" >/dev/null 2>&1; then ok "slaclockd -n accepts the config"; else not_ok "slaclockd -n accepts the config"; fi
chmod 640 "$T/pw"
if "$SLACLOCKD" -n -c "$T/slaclock.conf" 2>&1 | grep -q "$T/pw.*group or others"; then ok "group-readable password file refused with its path"; else not_ok "group-readable password file refused with its path"; fi
chmod 600 "$T/pw"

# 1. initial sync over STARTTLS (CA file), both folders
daemon_start
if wait_for "25 events" 20 events_are 25; then ok "initial sync: 25 messages from INBOX and Sent"; else not_ok "initial sync: 25 events (got $(count_events))"; fi
if dove fetch -u "$USER" flags mailbox INBOX | grep -q Seen; then not_ok "\\Seen flags untouched"; else ok "\\Seen flags untouched"; fi

# 2. wrong password: logged clearly, daemon alive, others ingest
if wait_for "login failure logged" 10 log_has "imap badpass/INBOX: login as $USER at 127.0.0.1 failed"; then ok "wrong password: clear log line"; else not_ok "wrong password: clear log line"; fi

# 3. self-signed certificate: refused unpinned (host + fingerprint), accepted pinned
if wait_for "refusal logged" 10 log_has "imap nopin/INBOX: 127.0.0.1: certificate refused.*$FP"; then ok "self-signed without pin refused, host and fingerprint logged"; else not_ok "self-signed without pin refused, host and fingerprint logged"; fi
if wait_for "pinned connects" 10 log_has "imap pinned/INBOX: connected"; then ok "self-signed with pin accepted (IMAPS)"; else not_ok "self-signed with pin accepted (IMAPS)"; fi

# 4. new mail during IDLE
if wait_for "IDLE" 10 log_has "imap main/INBOX: connected.*IDLE"; then :; fi
save INBOX 26 26
if wait_for "IDLE delivery" 3 events_are 26; then ok "new mail picked up via IDLE within 3 s"; else not_ok "new mail via IDLE (got $(count_events))"; fi
if kill -0 "$SPID" 2>/dev/null; then ok "daemon alive despite the failing sources"; else not_ok "daemon alive despite the failing sources"; fi

# 5. restart of slaclockd: no duplicates
if daemon_stop; then ok "SIGTERM: exit 0"; else not_ok "SIGTERM: exit 0"; fi
daemon_start
save INBOX 27 27
if wait_for "after restart" 10 events_are 27; then ok "restart: only the new message added"; else not_ok "restart: 27 events (got $(count_events))"; fi

# 6. Dovecot restart: reconnect with backoff, ingest what came meanwhile
dovecot_stop
maildir_bulk 28 29     # doveadm needs the running server's auth
sleep 1
dovecot_start
if wait_for "reconnect" 30 events_are 29; then ok "Dovecot restart: reconnected and ingested the mail of the gap"; else not_ok "Dovecot restart (got $(count_events))"; fi
if wait_for "loss logged" 10 log_has "imap main/INBOX: .*retrying with backoff"; then ok "connection loss logged"; else not_ok "connection loss logged"; fi

# 7. UIDVALIDITY change: recreate Sent with the same messages
dove mailbox delete -u "$USER" Sent
dove mailbox create -u "$USER" Sent
save Sent 21 25
save Sent 30 30
if wait_for "uidvalidity" 40 events_are 30; then ok "UIDVALIDITY change: resync adds only the new message"; else not_ok "UIDVALIDITY change (got $(count_events))"; fi
daemon_stop || :
sleep 0.2
if log_has "UIDVALIDITY changed"; then ok "UIDVALIDITY change logged"; else
	# the daemon may have been in IDLE on the old Sent and reconnected
	not_ok "UIDVALIDITY change logged"; fi

# 8. kill -9 in the middle of a bulk sync, then restart: exactly all
BULK=${IT_BULK:-5000}
maildir_bulk 1001 $((1000 + BULK))
EXPECT=$((30 + BULK))
daemon_start
wait_for "bulk sync started" 30 events_at_least 31 || :
kill -9 "$SPID"; wait "$SPID" 2>/dev/null || :; SPID=
MID=$(count_events)
[ "$MID" -lt "$EXPECT" ] || echo "# note: the sync had finished before kill -9 ($MID events)"
daemon_start
if wait_for "bulk complete" 60 events_are "$EXPECT"; then ok "kill -9 at $MID of $EXPECT events, restart: exactly $EXPECT"; else not_ok "kill -9 then restart: $EXPECT events (got $(count_events))"; fi
if [ "$(count_ids)" -eq "$(count_events)" ]; then ok "no duplicate Message-IDs"; else not_ok "no duplicate Message-IDs"; fi
grep "synced" "$T/d.log" | tail -n 2 | sed 's/^/# /'
daemon_stop || :

# 9. SIGHUP with a broken config keeps the old one
L=$(log_lines)
daemon_start
# a SIGHUP before the handler is installed would kill it
wait_for "started" 10 log_new "$L" "started with" || :
cp "$T/slaclock.conf" "$T/good.conf"
echo "[imap broken]" >>"$T/slaclock.conf"
kill -HUP "$SPID"
if wait_for "reload refused" 10 log_has "new configuration is invalid; keeping the old one"; then ok "SIGHUP with an invalid config keeps the old one"; else not_ok "SIGHUP with an invalid config keeps the old one"; fi
cp "$T/good.conf" "$T/slaclock.conf"
kill -HUP "$SPID"
if wait_for "reloaded" 10 log_has "configuration reloaded"; then ok "SIGHUP reloads a valid config"; else not_ok "SIGHUP reloads a valid config"; fi
save INBOX 9000001 9000001
if wait_for "after reload" 10 events_are $((EXPECT + 1)); then ok "ingesting after the reload"; else not_ok "ingesting after the reload (got $(count_events))"; fi
if daemon_stop; then ok "SIGTERM after reload: exit 0"; else not_ok "SIGTERM after reload: exit 0"; fi

# 10. A deadline with no new mail: first response in 3 s; the breach must
# be recorded by a timer, not by the next message, and within a second of
# the first missed second (the clock counts whole seconds: 30:00 meets,
# 30:01 misses). Allowed here: deadline + 2 s, for a loaded machine; the
# latency itself is measured in bench/ (deadline -> breach).
# A folder of its own, so the store holds just this ticket and the time
# measured is the timer's, not that of evaluating thousands of messages.
dove mailbox create -u "$USER" Deadline
cat >"$T/deadline.conf" <<EOF
[store]
path = $T/deadline.db
[policy]
first_response = 3s
[team support]
agents = agent@test.example
[imap main]
host = 127.0.0.1
port = $IMAP_PORT
tls = starttls
ca_file = $D/cert.pem
username = $USER
password_file = $T/pw
folders = Deadline
EOF
L=$(log_lines)
"$SLACLOCKD" -d -c "$T/deadline.conf" >>"$T/d.log" 2>&1 &
SPID=$!
wait_for "deadline daemon connected" 30 log_new "$L" "Deadline: connected" || :
save Deadline 9100001 9100001
dl_rc=0
python3 - "$T/deadline.db" "<it-9100001@client.example>" <<'PY' >"$T/deadline.out" 2>&1 || dl_rc=$?
import sqlite3, sys, time
db, mid = sys.argv[1], sys.argv[2].strip("<>")
end = time.time() + 30
ev = None
while time.time() < end and ev is None:
    try:
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
        ev = c.execute("SELECT ticket, time FROM events WHERE external_id = ? AND kind = 'customer_message'",
                       (mid,)).fetchone()
    except sqlite3.Error:
        pass
    time.sleep(0.02)
if ev is None:
    print("no event for", mid); sys.exit(1)
ticket, start = ev
deadline = start + 3
seen = None
while time.time() < deadline + 10 and seen is None:
    row = c.execute("SELECT count(*) FROM breaches WHERE ticket = ? AND rule = 'S14.1'", (ticket,)).fetchone()
    if row[0] > 0:
        seen = time.time()
    time.sleep(0.01)
if seen is None:
    print("no breach by deadline + 10 s"); sys.exit(1)
print("breach recorded %.3f s after the deadline" % (seen - deadline))
sys.exit(0 if seen <= deadline + 2 else 1)
PY
if [ "$dl_rc" -eq 0 ]; then ok "deadline with no new mail: $(cat "$T/deadline.out")"; else not_ok "deadline breach: $(cat "$T/deadline.out")"; fi
daemon_stop || :

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
