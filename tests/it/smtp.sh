#!/bin/sh
# Integration test of the mailer against a real SMTP server (aiosmtpd) on a
# free loopback port: what arrives, byte-wise; once only; 4xx retried with
# backoff, 5xx given up, a server that is down retried without loss.
[ -z "${SLACLOCK_SKIP_IT:-}" ] || { echo "SKIP: SLACLOCK_SKIP_IT is set (integration tests off)"; exit 77; }
set -eu

PYTHON=/usr/bin/python3
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
DRIVER=$top_builddir/tests/it/smtp_driver

if ! $PYTHON -c 'import aiosmtpd' 2>/dev/null; then
	echo "python3-aiosmtpd is not installed: skipped"
	exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-smtp.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
	$PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
port=$(free_port)
down_port=$(free_port)
box=$work/box
PYTHONPATH=$top_srcdir/tests/it/smtp $PYTHON -m aiosmtpd -n -l 127.0.0.1:$port \
	-c slaclock_sink.Sink "$box" >"$work/aiosmtpd.log" 2>&1 &
pid=$!
# Wait for the port to answer, without sleeping longer than needed.
i=0
until $PYTHON -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then echo "aiosmtpd did not start"; cat "$work/aiosmtpd.log"; exit 1; fi
	kill -0 "$pid" 2>/dev/null || { echo "aiosmtpd died"; cat "$work/aiosmtpd.log"; exit 1; }
	sleep 0.1
done

url=smtp://127.0.0.1:$port
db=$work/outbox.db
now=1795000000
fail=0
expect() {	# expect WHAT GOT WANT
	if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fail=1; fi
}
count() { ls "$box/new" | wc -l | tr -d ' '; }

# 1. One message; what arrives is our message, byte for byte a valid one.
out=$($DRIVER "$db" "$url" $now send alert:lead@example.com:1 lead@example.com)
expect "send" "$out" "put=1 sent=1 tempfail=0 permfail=0 depth=0"
expect "one message arrived" "$(count)" 1
msg=$box/new/$(ls "$box/new" | head -1)
$PYTHON - "$msg" <<'PY' || fail=1
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
for line in bad: print('FAIL python: ' + line)
if not bad: print('ok   python reads headers, subject and MIME structure back')
sys.exit(1 if bad else 0)
PY
parsed=$($DRIVER parse "$msg")
expect "mail_parse: X-Slaclock-Id" "$(echo "$parsed" | sed -n 2p)" "alert:lead@example.com:1"
expect "mail_parse: subject" "$(echo "$parsed" | sed -n 3p)" \
	"【slaclock 测试】售后一组 SLA 违约提醒：首次响应超时 — 请尽快处理"
case $(echo "$parsed" | sed -n 1p) in
slaclock.*@example.com) echo "ok   mail_parse: Message-ID";;
*) echo "FAIL mail_parse: Message-ID $(echo "$parsed" | sed -n 1p)"; fail=1;;
esac
expect "envelope" "$(cat "$box/envelopes")" "slaclock@example.com lead@example.com"

# 2. The same key again: nothing new is put or sent.
out=$($DRIVER "$db" "$url" $now send alert:lead@example.com:1 lead@example.com)
expect "same key again" "$out" "put=0 sent=0 tempfail=0 permfail=0 depth=0"
expect "still one message" "$(count)" 1

# 3. 4xx: kept and retried after the backoff, then sent once.
out=$($DRIVER "$db" "$url" $now send digest:2026-11:team:x flaky@example.com)
expect "451 is a temporary failure" "$out" "put=1 sent=0 tempfail=1 permfail=0 depth=1"
out=$($DRIVER "$db" "$url" $((now + 30)) run)
expect "not due before the backoff" "$out" "put=0 sent=0 tempfail=0 permfail=0 depth=1"
out=$($DRIVER "$db" "$url" $((now + 61)) run)
expect "retried after the backoff" "$out" "put=0 sent=1 tempfail=0 permfail=0 depth=0"
expect "two messages" "$(count)" 2

# 4. 5xx: logged and given up, not retried for ever.
out=$($DRIVER "$db" "$url" $((now + 100)) send alert:reject@example.com:1 reject@example.com 2>"$work/err")
expect "550 is final" "$out" "put=1 sent=0 tempfail=0 permfail=1 depth=0"
grep -q "refused, not retried" "$work/err" && echo "ok   5xx logged" || { echo "FAIL 5xx not logged"; fail=1; }
out=$($DRIVER "$db" "$url" $((now + 100000)) run)
expect "5xx not retried" "$out" "put=0 sent=0 tempfail=0 permfail=0 depth=0"

# 5. Server down: kept; delivered once when it is back.
out=$($DRIVER "$db" "smtp://127.0.0.1:$down_port" $((now + 200)) send alert:lead@example.com:2 lead@example.com 2>/dev/null)
expect "server down is temporary" "$out" "put=1 sent=0 tempfail=1 permfail=0 depth=1"
out=$($DRIVER "$db" "smtp://127.0.0.1:$down_port" $((now + 261)) run 2>/dev/null)
expect "still down: retried, kept" "$out" "put=0 sent=0 tempfail=1 permfail=0 depth=1"
out=$($DRIVER "$db" "$url" $((now + 300)) run)
expect "backoff doubled (120s)" "$out" "put=0 sent=0 tempfail=0 permfail=0 depth=1"
out=$($DRIVER "$db" "$url" $((now + 400)) run)
expect "server back: sent" "$out" "put=0 sent=1 tempfail=0 permfail=0 depth=0"
expect "three messages, none twice" "$(count)" 3
ids=$(cat "$box"/new/* | tr -d '\r' | grep '^X-Slaclock-Id:' | sort | uniq -d)
expect "no X-Slaclock-Id twice" "$ids" ""

exit $fail
