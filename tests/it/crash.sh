#!/bin/sh
# Crash safety: slaclockd killed with SIGKILL at CRASH_TRIALS random
# moments (default 20; the figure in doc/RELIABILITY.md is 100) while
#   - mail keeps arriving in a real Dovecot (ingest over IMAP),
#   - signed RT-shaped webhooks keep coming for real RT 5 tickets (each
#     sent again until answered 200, as a helpdesk retries),
#   - reminder and breach notes are being posted into those RT tickets and
#     breach alert mails sent to the lead (aiosmtpd sink),
# restarted after each kill. At the end, with the truth each feeder wrote
# down: 0 events lost, 0 duplicated; every note in its RT ticket exactly
# once; every alert the outbox holds received, none as two different
# mails (a resend of the same bytes after a kill inside the SMTP
# transaction is counted and shown: SMTP cannot be asked); outbox empty.
#   CRASH_TRIALS=100 sh tests/it/crash.sh     (about 5 minutes)
# Skips (77) when Dovecot, RT or aiosmtpd is not installed.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
. "$srcdir/tests/it/lib-dovecot.sh"
. "$srcdir/tests/it/lib-rt.sh"
TRIALS=${CRASH_TRIALS:-20}
need_slaclockd
need dovecot-imapd dovecot_installed
need request-tracker5 rt_installed
need python3-aiosmtpd aiosmtpd_installed

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-crash.XXXXXX")
LOG=$T/d.log WAIT_STEP=0.5
MAIL_PID= HOOK_PID=
cleanup() {
	touch "$T/stop"
	stop_pids KILL $D_PID $MAIL_PID $HOOK_PID $SMTP_PID
	rt_server_stop
	dovecot_cleanup
	rm_tmp
}
trap cleanup EXIT INT TERM
q() { sql "$T/slaclock.db" "$1"; } # q QUERY: one value from the store (-1 when unreadable)

# ---- Dovecot, RT, the SMTP sink ---------------------------------------------
USER=support@test.example
dovecot_setup "$USER"
dovecot_start

umask 077
rt_start_hooked
smtp_sink_start "$T/box"
printf 'secret\n' >"$T/pw"

# RT tickets for the webhooks to be about; their own creation webhooks
# find no daemon yet (RT does not retry), so only the feeder's count.
TICKETS=$((TRIALS / 5 + 2))
: >"$T/tickets"
i=0; while [ $i -lt $TICKETS ]; do rt_new_ticket "崩溃测试 $i" >>"$T/tickets"; i=$((i + 1)); done

{
	rt_smtp_conf "$T/slaclock.db" li.na@test.example "http://127.0.0.1:$RT_PORT" "timeout = 5s"
	imap_section main none "$IMAP_PORT" "$T/pw" INBOX
} >"$T/slaclock.conf"
"$SLACLOCKD" -n -c "$T/slaclock.conf" >/dev/null || fail "slaclockd -n"

# ---- the feeders: each writes down what it delivered -------------------------
# mail: 10 messages every second into the Maildir, until $T/stop
python3 - "$MAILDIR" "$USER" "$T/stop" "$T/mail.count" <<'EOF' &
import os, sys, time
md, user, stop, count = sys.argv[1:5]
n = 0
while not os.path.exists(stop):
    for _ in range(10):
        n += 1
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        tmp = os.path.join(md, "tmp", "%d.M%dP1.crash" % (time.time(), n))
        with open(tmp, "w") as f:
            f.write("From: Customer %d <cust%d@client.example>\r\nTo: %s\r\nSubject: crash %d\r\n"
                    "Message-ID: <crash-%d@client.example>\r\nDate: %s\r\n\r\nCase %d.\r\n"
                    % (n, n, user, n, n, date, n))
        os.chown(tmp, 65534, 65534)
        os.rename(tmp, os.path.join(md, "new", os.path.basename(tmp)))
    with open(count + ".tmp", "w") as f:
        f.write("%d\n" % n)
    os.rename(count + ".tmp", count)
    time.sleep(1)
EOF
MAIL_PID=$!
# webhooks: each ticket's Create spread over the run, a customer's
# Correspond every 0.3 s; every request sent until answered 200
python3 - "$HOOK_PORT" "$T/hmac" "$T/tickets" "$T/stop" "$T/hooks.truth" "$T/hooks.busy" \
	"$((TRIALS * 16 / 10))" <<'EOF' &
import hashlib, hmac, json, os, sys, time, urllib.request, urllib.error
port, keyf, ticketsf, stop, truth, busy, span = sys.argv[1:8]
key = open(keyf, "rb").read()
tickets = [int(x) for x in open(ticketsf).read().split()]
gap = float(span) / max(1, len(tickets))
def send(body):
    raw = json.dumps(body).encode()
    sig = hmac.new(key, raw, hashlib.sha256).hexdigest()
    open(busy, "w").close()
    while True:
        req = urllib.request.Request("http://127.0.0.1:%s/webhook/rt" % port, data=raw,
            headers={"Content-Type": "application/json", "X-Slaclock-Signature": "sha256=" + sig})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                if r.status == 200:
                    break
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    os.unlink(busy)
def txn(tid, txn_id, kind, status):
    return {"event": "transaction", "ticket_id": tid, "txn_id": txn_id, "txn_type": kind,
            "queue": "General", "subject": "crash", "field": None, "old_value": None,
            "new_value": None, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "creator": "zhang.wei@customer.example", "creator_email": "zhang.wei@customer.example",
            "creator_privileged": 0, "status": status}
creates = corrs = 0
next_create = time.time()
t_id = 500000
while creates < len(tickets) or not os.path.exists(stop):
    if creates < len(tickets) and (time.time() >= next_create or os.path.exists(stop)):
        t_id += 1
        send(txn(tickets[creates], t_id, "Create", "new"))
        creates += 1
        next_create = time.time() + gap
    elif creates > 0 and not os.path.exists(stop):
        t_id += 1
        send(txn(tickets[corrs % creates], t_id, "Correspond", "open"))
        corrs += 1
    with open(truth, "w") as f:
        f.write("%d %d\n" % (creates, corrs))
    time.sleep(0.3)
EOF
HOOK_PID=$!

# ---- the kills ---------------------------------------------------------------
: >"$T/kills"
trial=0
while [ $trial -lt "$TRIALS" ]; do
	trial=$((trial + 1))
	daemon_start
	# 0.1 to 2.5 s: some kills land while starting, most in the middle
	sleep "$(python3 -c 'import random; print("%.2f" % random.uniform(0.1, 2.5))')"
	# what this life of the daemon did: stored mail or webhooks, delivered
	# or had deliveries due when it was killed
	state=$(python3 - "$T/slaclock.db" "$T/mail.count" "$T/life" <<'EOF'
import os, sqlite3, sys
db, mails, life = sys.argv[1:4]
try:
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
    now = [c.execute(q).fetchone()[0] for q in (
        "SELECT count(*) FROM events WHERE source NOT LIKE 'webhook:%'",
        "SELECT count(*) FROM events WHERE source LIKE 'webhook:%'",
        "SELECT count(*) FROM outbox WHERE done_at IS NOT NULL",
        "SELECT count(*) FROM outbox WHERE done_at IS NULL AND not_before <= strftime('%s','now')")]
except Exception:
    now = None
try:
    before = [int(x) for x in open(life).read().split()]
except Exception:
    before = [0, 0, 0, 0]
try:
    sent = int(open(mails).read())
except Exception:
    sent = 0
if now is None:
    print("- - -")
else:
    print("ingest" if now[0] > before[0] or now[0] < sent else "-",
          "webhook" if now[1] > before[1] else "-",
          "delivery" if now[2] > before[2] or now[3] > 0 else "-")
    open(life, "w").write(" ".join(map(str, now)))
EOF
)
	daemon_kill
	echo "$trial $state" >>"$T/kills"
done
touch "$T/stop"
echo "# $TRIALS kills; lives of the daemon that were at work on:" \
	"ingest $(grep -c ' ingest ' "$T/kills" || :)," \
	"webhook $(grep -c ' webhook ' "$T/kills" || :)," \
	"delivery $(grep -c ' delivery$' "$T/kills" || :)"

# ---- the truth ---------------------------------------------------------------
daemon_start
wait "$MAIL_PID" || :; MAIL_PID=
wait "$HOOK_PID" || fail "webhook feeder"; HOOK_PID=
MAILS=$(cat "$T/mail.count")
read -r CREATES CORRS <"$T/hooks.truth"
HOOK_EVENTS=$((CREATES * 2 + CORRS))
imap_events() { q "SELECT count(*) FROM events WHERE source NOT LIKE 'webhook:%'"; }
imap_done() { [ "$(imap_events)" -ge "$MAILS" ]; }
wait_for 120 imap_done || :
n=$(imap_events)
ids=$(q "SELECT count(DISTINCT external_id) FROM events WHERE source NOT LIKE 'webhook:%'")
[ "$n" = "$MAILS" ] && ok "ingest: $MAILS mails, $n events: 0 lost, 0 duplicated" ||
	not_ok "ingest: $MAILS mails, $n events"
[ "$ids" = "$n" ] && ok "ingest: no Message-ID stored twice" || not_ok "ingest: $ids distinct of $n"
h=$(q "SELECT count(*) FROM events WHERE source = 'webhook:rt'")
[ "$h" = "$HOOK_EVENTS" ] &&
	ok "webhooks: $CREATES creates + $CORRS replies answered 200, $h events: 0 lost, 0 duplicated" ||
	not_ok "webhooks: expected $HOOK_EVENTS events ($CREATES creates, $CORRS replies), stored $h"

# every ticket's reminder and breach are due 8 s after its create; then
# the outbox must drain (a kill mid-post leaves a retry after 30 s)
drained() { [ "$(q "SELECT count(*) FROM outbox WHERE done_at IS NULL")" = 0 ]; }
notes_queued() { [ "$(q "SELECT count(*) FROM outbox WHERE channel = 'helpdesk:rt'")" -ge $((TICKETS * 2)) ]; }
wait_for 60 notes_queued || :
wait_for 150 drained || not_ok "outbox not drained: $(q "SELECT count(*) FROM outbox WHERE done_at IS NULL") rows left"
: >"$T/notes.txt"
for tid in $(cat "$T/tickets"); do rt_comments "$tid" >>"$T/notes.txt" || fail "reading RT"; done
sed -n 's/^slaclock-id: \([^[:space:]]*\).*/\1/p' "$T/notes.txt" | sort | uniq -c |
	awk '{print $2, $1}' >"$T/notes.count"
missing=0 doubled=0
for tid in $(cat "$T/tickets"); do
	for k in reminder breach; do
		c=$(awk -v k="note:rt:$tid:S14.1:$k" '$1 == k {print $2}' "$T/notes.count")
		case ${c:-0} in
		1) ;;
		0) missing=$((missing + 1)); echo "# missing note:rt:$tid:S14.1:$k" ;;
		*) doubled=$((doubled + 1)); echo "# note:rt:$tid:S14.1:$k posted $c times" ;;
		esac
	done
done
notes=$(wc -l <"$T/notes.count")
[ "$missing" = 0 ] && [ "$doubled" = 0 ] &&
	ok "notes: $((TICKETS * 2)) expected, $notes in RT: 0 missing, 0 doubled" ||
	not_ok "notes: $missing missing, $doubled doubled"
extra=$(awk '$2 != 1' "$T/notes.count" | wc -l)
[ "$extra" = 0 ] && ok "every note key in RT exactly once" || not_ok "$extra note keys more than once in RT"

# Every alert row the outbox holds must have arrived. SMTP cannot be asked
# whether a message arrived: a kill between the server's final 250 and
# the outbox commit sends the row again, byte for byte (same Message-ID,
# which receivers can suppress). That is counted apart; two different
# messages for one alert would be a doubled alert.
python3 - "$T/slaclock.db" "$T/box/new" <<'EOF' >"$T/alerts.sum"
import email, os, sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=20)
want = set(k for (k,) in c.execute("SELECT key FROM outbox WHERE key LIKE 'alert:%'"))
got = {}
for name in os.listdir(sys.argv[2]):
    m = email.message_from_binary_file(open(os.path.join(sys.argv[2], name), "rb"))
    k = (m.get("X-Slaclock-Id") or "").strip()
    if k.startswith("alert:"):
        got.setdefault(k, []).append((m.get("Message-ID") or "").strip())
missing = len(want - set(got))
doubled = sum(1 for ids in got.values() if len(set(ids)) > 1)
resent = sum(len(ids) - 1 for ids in got.values() if len(set(ids)) == 1)
print(len(want), sum(len(v) for v in got.values()), missing, doubled, resent)
EOF
read -r want got amiss adup aresent <"$T/alerts.sum"
[ "$want" -gt 0 ] && [ "$amiss" = 0 ] && [ "$adup" = 0 ] &&
	ok "alerts: $want queued, $got received: 0 missing, 0 doubled ($aresent resent byte for byte after a kill)" ||
	not_ok "alerts: $want queued, $got received, $amiss missing, $adup doubled, $aresent resent"
daemon_alive && ok "daemon alive at the end" || not_ok "daemon died at the end"
echo "crash.sh: $TRIALS kills; $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
