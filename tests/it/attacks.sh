#!/bin/sh
# Attacks on slaclockd's webhook server (the daemon itself, on a loopback
# port): a missing or bad HMAC is 401, a 100 MB body is 413 and is not read
# whole (declared with Content-Length or streamed chunked), deep JSON
# nesting and invalid UTF-8 are 400 even when signed, a replayed good
# request adds no second event; nothing a rejected request carried is in
# the store, and the daemon serves on. RT's webhook signs the body only (no
# timestamp), so a replay is stopped by the events' unique external ids.
# Needs python3 and curl; no helpdesk is contacted.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
need_slaclockd
need curl command -v curl

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-atk.XXXXXX")
LOG=$T/d.log LOG_TAIL=5 WAIT_STEP=0.1
cleanup() {
	stop_pids TERM $D_PID
	rm_tmp
}
trap cleanup EXIT INT TERM

umask 077
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/hmac"
printf 'not-used' >"$T/token"
PORT=$(free_port)
URL=http://127.0.0.1:$PORT/webhook/rt
cat >"$T/slaclock.conf" <<EOC
[store]
path = $T/slaclock.db

[team support]
agents = li.na@test.example

[helpdesk rt]
type = rt
url = http://127.0.0.1:9
token_file = $T/token
webhook_secret_file = $T/hmac
own_user = slaclock

[webhook]
listen = 127.0.0.1:$PORT
EOC
daemon_start
wait_for 10 healthz "$PORT" || fail "slaclockd did not start"

# sign FILE: the hex HMAC-SHA256 of FILE under the configured key
sign() {
	python3 -c 'import hmac, hashlib, sys
print(hmac.new(open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' "$T/hmac" "$1"
}
# post FILE [SIGNATURE]: prints the HTTP status (000: no answer)
post() {
	curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		${2:+-H "X-Slaclock-Signature: sha256=$2"} --data-binary "@$1" "$URL" || :
}
events() { # no -1 for an unreadable store here: every count must be real
	python3 - "$T/slaclock.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
print(c.execute("SELECT count(*) FROM events").fetchone()[0])
EOF
}
# stored TEXT: rows of any table whose text holds TEXT
stored() {
	python3 - "$T/slaclock.db" "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
n = 0
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
    cols = [r[1] for r in c.execute("PRAGMA table_info(%s)" % t)]
    for col in cols:
        n += c.execute("SELECT count(*) FROM %s WHERE CAST(%s AS TEXT) LIKE ?" % (t, col),
                       ("%" + sys.argv[2] + "%",)).fetchone()[0]
print(n)
EOF
}

# A ticket created now (RT's own shape, tests/fixtures/webhook/rt), so no
# clock falls due while the test runs. Each rejected body carries a marker
# of its own to look for in the store afterwards.
payload() { # payload TXN SUBJECT
	python3 - "$1" "$2" <<'EOF'
import json, sys, time
print(json.dumps({"event": "transaction", "ticket_id": 7000 + int(sys.argv[1]), "queue": "General",
    "subject": sys.argv[2], "txn_id": int(sys.argv[1]), "txn_type": "Create", "field": None,
    "old_value": None, "new_value": None,
    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "creator": "zhang.wei@customer.example", "creator_email": "zhang.wei@customer.example",
    "creator_privileged": 0, "status": "new"}, ensure_ascii=False))
EOF
}

before=$(events)
# 1. no signature, a bad one, one for another body, one under another key
payload 1 ATTACK-NOSIG >"$T/nosig.json"
check "no signature: 401" [ "$(post "$T/nosig.json")" = 401 ]
payload 2 ATTACK-BADSIG >"$T/badsig.json"
check "bad HMAC: 401" [ "$(post "$T/badsig.json" 0000000000000000000000000000000000000000000000000000000000000000)" = 401 ]
payload 3 ATTACK-OTHERBODY >"$T/other.json"
check "signature of another body: 401" [ "$(post "$T/other.json" "$(sign "$T/nosig.json")")" = 401 ]
printf 'another key' >"$T/hmac2"
s2=$(python3 -c 'import hmac, hashlib, sys
print(hmac.new(b"another key", open(sys.argv[1], "rb").read(), hashlib.sha256).hexdigest())' "$T/other.json")
check "signature under another key: 401" [ "$(post "$T/other.json" "$s2")" = 401 ]
check "signature of garbage length: 401" [ "$(post "$T/other.json" "$(head -c 600 /dev/zero | tr '\0' a)")" = 401 ]

# 2. 100 MB declared with Content-Length: refused from the header, the body
# never read (curl tells how much of it it got to send)
head -c $((100 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/big.json"
r=$(curl -s -o /dev/null -w '%{http_code} %{size_upload}' -H 'Content-Type: application/json' \
	-H "X-Slaclock-Signature: sha256=$(sign "$T/big.json")" --data-binary "@$T/big.json" "$URL" || :)
code=${r% *} up=${r#* }
check "100 MB with Content-Length: 413 (got $code, $up bytes sent)" [ "$code" = 413 ]
check "100 MB with Content-Length: body not read whole ($up of 104857600 bytes sent)" \
	[ "${up%.*}" -lt $((100 * 1024 * 1024)) ]
# the same without Expect: 100-continue, so curl starts sending at once
r=$(curl -s -o /dev/null -w '%{http_code} %{size_upload}' -H 'Content-Type: application/json' \
	-H 'Expect:' --data-binary "@$T/big.json" "$URL" || :)
code=${r% *} up=${r#* }
check "100 MB sent at once: 413 or hung up (got $code, $up bytes sent)" [ "$code" = 413 -o "$code" = 000 ]
check "100 MB sent at once: not read whole ($up bytes)" [ "${up%.*}" -lt $((100 * 1024 * 1024)) ]

# 3. 100 MB streamed chunked from a pipe (no length known in advance): the
# server hangs up past WEBHOOK_BODY_MAX; count what it took
acc=$(python3 - "$PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.settimeout(10)
s.sendall(b"POST /webhook/rt HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n")
chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
sent = 0
try:
    while sent < 100 * 1024 * 1024:
        s.sendall(chunk)
        sent += 65536
except OSError:
    pass
print(sent)
EOF
)
check "100 MB chunked stream: hung up after $acc bytes (under 100 MB)" [ "$acc" -lt $((100 * 1024 * 1024)) ]

# 4. deep nesting and invalid UTF-8, correctly signed: 400
python3 -c 'import sys; sys.stdout.write("{\"ATTACK-DEEP\":" * 5000 + "1" + "}" * 5000)' >"$T/deep.json"
check "JSON nested 5000 deep, signed: 400" [ "$(post "$T/deep.json" "$(sign "$T/deep.json")")" = 400 ]
python3 -c 'import sys; sys.stdout.write("{\"a\":" * 33 + "1" + "}" * 33)' >"$T/deep33.json"
check "JSON nested 33 deep (WEBHOOK_DEPTH_MAX 32), signed: 400" [ "$(post "$T/deep33.json" "$(sign "$T/deep33.json")")" = 400 ]
payload 4 ATTACK-UTF8 | python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().replace(b"ATTACK-UTF8", b"ATTACK-UTF8\xc3\x28\xff"))' >"$T/utf8.json"
check "invalid UTF-8, signed: 400" [ "$(post "$T/utf8.json" "$(sign "$T/utf8.json")")" = 400 ]
payload 5 'ATTACK-NUL\u0000' | sed 's/\\\\u0000/\\u0000/' >"$T/nul.json"
check "\\u0000 in a string, signed: 400" [ "$(post "$T/nul.json" "$(sign "$T/nul.json")")" = 400 ]
printf '{"ticket_id": 1, "ticket_id": 2, "subject": "ATTACK-DUP"}' >"$T/dup.json"
check "duplicate keys, signed: 400" [ "$(post "$T/dup.json" "$(sign "$T/dup.json")")" = 400 ]

after=$(events)
check "nothing stored from the rejected requests ($before -> $after events)" [ "$after" = "$before" ]
n=$(stored ATTACK-)
check "no text of a rejected body anywhere in the store ($n rows)" [ "$n" = 0 ]

# 5. a good request, then the same bytes again (a replay)
payload 6 "净水器漏水" >"$T/good.json"
sig=$(sign "$T/good.json")
check "good signed request: 200" [ "$(post "$T/good.json" "$sig")" = 200 ]
first=$(events)
check "good request stored its events ($before -> $first)" [ "$first" -gt "$before" ]
check "replay: 200" [ "$(post "$T/good.json" "$sig")" = 200 ]
check "replay answered \"new\":0 ($(cat "$T/resp"))" grep -q '"new":0' "$T/resp"
for i in 1 2 3 4 5 6 7 8; do post "$T/good.json" "$sig" >/dev/null; done
check "replayed 9 times: no second event ($first events)" [ "$(events)" = "$first" ]

check "daemon alive after the attacks" daemon_alive
check "still serving: /healthz" curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"
m=$(curl -fsS "http://127.0.0.1:$PORT/metrics" || :)
echo "$m" | grep 'rejected' | sed 's/^/# /'
check "SIGTERM: exit 0" daemon_stop
echo "attacks.sh: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
