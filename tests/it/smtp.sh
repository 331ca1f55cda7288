#!/bin/sh
# Integration test of the mailer against a real SMTP server (aiosmtpd) on a
# free loopback port: what arrives, byte-wise; once only; 4xx retried with
# backoff, 5xx given up, a server that is down retried without loss.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
need python3-aiosmtpd aiosmtpd_installed

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-smtp.XXXXXX")
LOG=$T/err
cleanup() {
	stop_pids TERM $SMTP_PID
	rm_tmp
}
trap cleanup EXIT INT TERM

box=$T/box
smtp_sink_start "$box"
down_port=$(free_port)
url=smtp://127.0.0.1:$SMTP_PORT
db=$T/outbox.db
now=1795000000
count() { ls "$box/new" | wc -l | tr -d ' '; }

# 1. One message; what arrives is our message, byte for byte a valid one.
smtp_drive "send" "put=1 sent=1 tempfail=0 permfail=0 depth=0" \
	"$db" "$url" $now send alert:lead@example.com:1 lead@example.com
expect "one message arrived" "$(count)" 1
msg=$box/new/$(ls "$box/new" | head -1)
check "python reads headers, subject and MIME structure back" /usr/bin/python3 - "$msg" <<'PY'
import sys, email, email.policy
raw = open(sys.argv[1], 'rb').read()
bad = []
for n, line in enumerate(raw.split(b'\r\n')[:-1]):
    if b'\n' in line or b'\r' in line: bad.append('bare CR/LF on line %d' % n)
    if len(line) > 998: bad.append('line %d over 998' % n)
head = raw.split(b'\r\n\r\n', 1)[0]
for line in head.split(b'\r\n'):
    if len(line) > 78: bad.append('header line over 78: %r' % line)
for h in (b'Auto-Submitted: auto-generated', b'Precedence: bulk', b'X-Slaclock-Id: alert:lead@example.com:1',
          b'MIME-Version: 1.0', b'Message-ID: <slaclock.'):
    if h not in head: bad.append('missing %r' % h)
m = email.message_from_bytes(raw, policy=email.policy.default)
want = '【slaclock 测试】售后一组 SLA 违约提醒：首次响应超时 — 请尽快处理'
if str(m['subject']) != want: bad.append('subject %r' % str(m['subject']))
if [p.get_content_type() for p in m.walk()] != ['multipart/alternative', 'text/plain', 'text/html']:
    bad.append('structure %r' % [p.get_content_type() for p in m.walk()])
if '首次响应超时 12 分钟' not in m.get_body(('plain',)).get_content(): bad.append('text body')
for line in bad: print('# python: ' + line)
sys.exit(1 if bad else 0)
PY
parsed=$("$SMTP_DRIVER" parse "$msg")
expect "mail_parse: X-Slaclock-Id" "$(echo "$parsed" | sed -n 2p)" "alert:lead@example.com:1"
expect "mail_parse: subject" "$(echo "$parsed" | sed -n 3p)" \
	"【slaclock 测试】售后一组 SLA 违约提醒：首次响应超时 — 请尽快处理"
case $(echo "$parsed" | sed -n 1p) in
slaclock.*@example.com) ok "mail_parse: Message-ID";;
*) not_ok "mail_parse: Message-ID $(echo "$parsed" | sed -n 1p)";;
esac
expect "envelope" "$(cat "$box/envelopes")" "slaclock@example.com lead@example.com"

# 2. The same key again: nothing new is put or sent.
smtp_drive "same key again" "put=0 sent=0 tempfail=0 permfail=0 depth=0" \
	"$db" "$url" $now send alert:lead@example.com:1 lead@example.com
expect "still one message" "$(count)" 1

# 3. 4xx: kept and retried after the backoff, then sent once.
smtp_drive "451 is a temporary failure" "put=1 sent=0 tempfail=1 permfail=0 depth=1" \
	"$db" "$url" $now send digest:2026-11:team:x flaky@example.com
smtp_drive "not due before the backoff" "put=0 sent=0 tempfail=0 permfail=0 depth=1" \
	"$db" "$url" $((now + 30)) run
smtp_drive "retried after the backoff" "put=0 sent=1 tempfail=0 permfail=0 depth=0" \
	"$db" "$url" $((now + 61)) run
expect "two messages" "$(count)" 2

# 4. 5xx: logged and given up, not retried for ever.
smtp_drive "550 is final" "put=1 sent=0 tempfail=0 permfail=1 depth=0" \
	"$db" "$url" $((now + 100)) send alert:reject@example.com:1 reject@example.com
check "5xx logged" grep -q "refused, not retried" "$T/err"
smtp_drive "5xx not retried" "put=0 sent=0 tempfail=0 permfail=0 depth=0" \
	"$db" "$url" $((now + 100000)) run

# 5. Server down: kept; delivered once when it is back.
smtp_drive "server down is temporary" "put=1 sent=0 tempfail=1 permfail=0 depth=1" \
	"$db" "smtp://127.0.0.1:$down_port" $((now + 200)) send alert:lead@example.com:2 lead@example.com
smtp_drive "still down: retried, kept" "put=0 sent=0 tempfail=1 permfail=0 depth=1" \
	"$db" "smtp://127.0.0.1:$down_port" $((now + 261)) run
smtp_drive "backoff doubled (120s)" "put=0 sent=0 tempfail=0 permfail=0 depth=1" \
	"$db" "$url" $((now + 300)) run
smtp_drive "server back: sent" "put=0 sent=1 tempfail=0 permfail=0 depth=0" \
	"$db" "$url" $((now + 400)) run
expect "three messages, none twice" "$(count)" 3
ids=$(cat "$box"/new/* | tr -d '\r' | grep '^X-Slaclock-Id:' | sort | uniq -d)
expect "no X-Slaclock-Id twice" "$ids" ""

echo "smtp.sh: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
