#!/bin/sh
# Privacy at its default (privacy_show_customers = no): the whole scenario
# (the examples' customer mail ingested from a real Dovecot, real RT 5
# tickets with a customer's address, phone and text, reminder and breach
# notes posted into them, breach alerts and the monthly digest mailed to
# an aiosmtpd sink) and then no customer e-mail address, phone number or
# line of message text from those fixtures may be in the daemon's log,
# the alert mails, the digest mails or slaclock's RT notes.
#
# The examples are from November 2026; their dates are moved to last
# month so that the digest, which is of the month before, is about them.
# Skips (77) when Dovecot, RT or aiosmtpd is not installed.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
. "$srcdir/tests/it/lib-dovecot.sh"
. "$srcdir/tests/it/lib-rt.sh"
need_slaclockd
need dovecot-imapd dovecot_installed
need request-tracker5 rt_installed
need python3-aiosmtpd aiosmtpd_installed

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-priv.XXXXXX")
LOG=$T/d.log WAIT_STEP=0.5
cleanup() {
	stop_pids TERM $D_PID $SMTP_PID
	rt_server_stop
	dovecot_cleanup
	rm_tmp
}
trap cleanup EXIT INT TERM

# ---- the fixtures, moved to last month, in a Dovecot Maildir ----------------
MBOX_USER=service@hdjs.example.cn
dovecot_setup "$MBOX_USER"
python3 - "$srcdir/examples/maildir" "$MAILDIR" <<'EOF'
import calendar, email.utils, os, re, sys, time
src, dst = sys.argv[1:3]
# 2026-11-01 00:00 Asia/Shanghai to the 1st of last month, same wall time
now = time.gmtime(time.time() + 8 * 3600)
y, m = (now.tm_year, now.tm_mon - 1) if now.tm_mon > 1 else (now.tm_year - 1, 12)
delta = calendar.timegm((y, m, 1, 0, 0, 0)) - calendar.timegm((2026, 11, 1, 0, 0, 0))
for sub in ("cur", "new", ".Sent/cur", ".Sent/new"):
    if not os.path.isdir(os.path.join(src, sub)):
        continue
    os.makedirs(os.path.join(dst, sub), exist_ok=True)
    os.makedirs(os.path.join(dst, os.path.dirname(sub), "tmp"), exist_ok=True)
    for name in os.listdir(os.path.join(src, sub)):
        raw = open(os.path.join(src, sub, name), "rb").read()
        def shift(mo):
            t = email.utils.parsedate_to_datetime(mo.group(2).decode()).timestamp() + delta
            return mo.group(1) + email.utils.formatdate(t, localtime=False).encode()
        raw = re.sub(rb"(?mi)^(Date:[ \t]*)(.+?)(?=\r?$)", shift, raw, count=1)
        with open(os.path.join(dst, sub, name), "wb") as f:
            f.write(raw)
        # Dovecot's INTERNALDATE of a Maildir message is its file's mtime;
        # the examples' delivery time is in their names
        head = name.split(".")[0]
        t = (int(head) if head.isdigit() else int(time.time())) + delta
        os.utime(os.path.join(dst, sub, name), (t, t))
EOF
chown -R nobody:nogroup "$D/mail"
dovecot_start

# What must not come out: every customer's address, every phone number and
# every line of text (8 characters or more) of the customers' mail, and
# the RT tickets' customer, phone and text below.
RT_CUSTOMER=liu.yang.private@customer.example
RT_PHONE=13912345678
RT_TEXT="我家的净水器在厨房漏水，地址是幸福路88号"
python3 - "$srcdir/examples/maildir" "$srcdir/examples/slaclock.conf" "$T/secrets" \
	"$RT_CUSTOMER" "$RT_PHONE" "$RT_TEXT" <<'EOF'
import email, email.policy, os, re, sys
src, conf, out = sys.argv[1:4]
staff = set(a.strip().lower() for l in open(conf, encoding="utf-8")
            if re.match(r"\s*(agents|lead|default_agent)\s*=", l)
            for a in l.split("=", 1)[1].split(","))
secrets = set(sys.argv[4:7])
phone = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|400-?\d{3}-?\d{4})(?!\d)")
for sub in ("cur", "new"):
    for name in os.listdir(os.path.join(src, sub)):
        m = email.message_from_binary_file(open(os.path.join(src, sub, name), "rb"),
                                           policy=email.policy.default)
        addr = email.utils.parseaddr(str(m["From"]))[1].lower()
        if addr in staff or addr.endswith("@hdjs.example.cn"):
            continue
        secrets.add(addr)
        part = m.get_body(("plain", "html"))
        text = part.get_content() if part is not None else ""
        secrets.update(phone.findall(text))
        for line in text.splitlines():
            line = re.sub(r"<[^>]*>", "", line).strip()
            if line.startswith(">") or len(line) < 8:
                continue
            secrets.add(line)
with open(out, "w", encoding="utf-8") as f:
    for s in sorted(secrets):
        f.write(s + "\n")
EOF
echo "# $(wc -l <"$T/secrets") customer addresses, phone numbers and text lines to look for"

# ---- RT, the SMTP sink, slaclockd --------------------------------------------
umask 077
rt_start_hooked
smtp_sink_start "$T/box"
printf 'secret\n' >"$T/pw"
# the examples' teams and policy, with a first response of 8 s so that the
# RT tickets get their notes while the test runs; privacy left at default
sed -n '/^\[team /,$p' "$srcdir/examples/slaclock.conf" >"$T/teams.conf"
cat >"$T/slaclock.conf" <<EOC
[store]
path = $T/slaclock.db

[policy]
first_response = 8s
warn_at = 50%
assignment_header = X-Assigned-To

[smtp]
url = smtp://127.0.0.1:$SMTP_PORT
from = slaclock@hdjs.example.cn
alert_interval = 2s
alert_max_age = 90d
hr = hr@hdjs.example.cn
digest_day = 1
digest_time = 00:00
starttls = no

[imap service]
host = 127.0.0.1
port = $IMAP_PORT
tls = none
username = $MBOX_USER
password_file = $T/pw
folders = INBOX, Sent

[helpdesk rt]
type = rt
url = http://127.0.0.1:$RT_PORT
token_file = $R/slaclock.token
webhook_secret_file = $T/hmac
own_user = slaclock

[webhook]
listen = 127.0.0.1:$HOOK_PORT

EOC
cat "$T/teams.conf" >>"$T/slaclock.conf"
"$SLACLOCKD" -n -c "$T/slaclock.conf" >/dev/null 2>"$T/n.log" || { cat "$T/n.log"; fail "slaclockd -n"; }
# First a run without [smtp] that only syncs the mailbox: the digest job
# looks at once when the daemon starts, and a digest sent before the sync
# would be of an empty month (see doc/RELIABILITY.md).
sed '/^\[smtp\]/,/^$/d' "$T/slaclock.conf" >"$T/sync.conf"
daemon_start "$T/sync.conf"
ingested() { [ "$(sql "$T/slaclock.db" "SELECT count(*) FROM events WHERE kind = 'agent_reply'")" -ge 30 ]; }
wait_for 30 ingested && ok "the examples' mail ingested over IMAP (INBOX and Sent)" || not_ok "the examples' mail ingested over IMAP"
sleep 2
daemon_stop || :
daemon_start
wait_for 20 healthz "$HOOK_PORT" || fail "slaclockd did not start"

# an RT ticket from a customer who gives a phone number
TID=$(rt -X POST "$API/ticket" -d "{\"Queue\":\"General\",\"Subject\":\"净水器漏水\",\"Requestor\":\"$RT_CUSTOMER\",\"Content\":\"$RT_TEXT, 电话 $RT_PHONE\",\"ContentType\":\"text/plain\"}" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "RT ticket"
note_in() { [ "$(rt_count_marker "$TID" "note:rt:$TID:S14.1:$1")" -ge 1 ]; }
wait_for 40 note_in breach && ok "breach note posted into RT ticket $TID" || not_ok "breach note posted"
digest_in() { grep -lq '^X-Slaclock-Id: digest:' "$T/box/new/"* 2>/dev/null; }
alert_in() { grep -lq '^X-Slaclock-Id: alert:' "$T/box/new/"* 2>/dev/null; }
wait_for 60 digest_in && ok "monthly digest mailed" || not_ok "monthly digest mailed"
wait_for 30 alert_in && ok "breach alerts mailed" || not_ok "breach alerts mailed"
sleep 3
daemon_stop || :
echo "# $(ls "$T/box/new" | wc -l) mails, $(grep -c . "$LOG") log lines"

# ---- look for the fixtures' customer data ------------------------------------
# the mails decoded (base64/QP, charsets), the RT notes' text, the log
mkdir -p "$T/out"
python3 - "$T/box/new" "$T/out" <<'EOF'
import email, email.policy, os, sys
src, out = sys.argv[1:3]
for kind in ("alert", "digest"):
    with open(os.path.join(out, kind + "s.txt"), "w", encoding="utf-8") as f:
        for name in sorted(os.listdir(src)):
            raw = open(os.path.join(src, name), "rb").read()
            m = email.message_from_bytes(raw, policy=email.policy.default)
            if not str(m.get("X-Slaclock-Id", "")).startswith(kind + ":"):
                continue
            f.write("".join("%s: %s\n" % (k, v) for k, v in m.items()))
            for part in m.walk():
                if part.get_content_maintype() == "multipart":
                    continue
                c = part.get_content()
                f.write(c if isinstance(c, str) else c.decode("utf-8", "replace"))
                f.write("\n")
EOF
rt_comments "$TID" >"$T/out/notes.txt"
cp "$LOG" "$T/out/log.txt"
for f in log alerts digests notes; do
	[ -s "$T/out/$f.txt" ] || { not_ok "$f: nothing to look at"; continue; }
	hits=$(grep -F -f "$T/secrets" "$T/out/$f.txt" || :)
	if [ -z "$hits" ]; then
		ok "$f ($(wc -c <"$T/out/$f.txt") bytes): no customer address, phone number or message text"
	else
		not_ok "$f: customer data found:"
		echo "$hits" | head -5 | sed 's/^/#   /'
	fi
done
# Message-IDs are ticket keys; at the default they lose their domain
dom=$(grep -c '@qq\.example\|@163\.example\|@126\.example\|@corp\.example' "$T/out/alerts.txt" "$T/out/digests.txt" | awk -F: '{s += $2} END {print s}')
[ "$dom" = 0 ] && ok "ticket ids shown without the customer's mail domain" ||
	not_ok "customer mail domains in $dom alert/digest lines"
echo "privacy.sh: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
