#!/bin/sh
# Round trip against a real Request Tracker 5 (SQLite, REST 2.0) on free
# loopback ports: ticket created over REST -> our scrip's signed webhook ->
# events in our store; a breach note posted exactly once, also when the
# deliverer "dies" between posting and outbox_done; our own note's webhook
# ignored. Skips (77) only when RT is not installed.
#   usage: rt.sh [path/to/rt_driver]   (default: $top_builddir/tests/it/rt_driver)
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
. "$srcdir/tests/it/lib-rt.sh"
rt_installed || {
    echo "rt.sh: SKIP: request-tracker5 not installed (apt-get install request-tracker5 rt5-db-sqlite rt5-standalone)"; exit 77; }
DRIVER=${1:-${top_builddir:-.}/tests/it/rt_driver}
[ -x "$DRIVER" ] || { echo "rt.sh: no driver at $DRIVER" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-rt.XXXXXX")
R=$T/rt DRV_PID=
cleanup() {
    stop_pids TERM $DRV_PID
    rt_server_stop
    rm_tmp
}
trap cleanup EXIT INT TERM
fail() { echo "rt.sh: FAIL: $*" >&2; echo "--- driver log"; cat "$T/driver.log" >&2 || :;
         echo "--- RT log"; tail -20 "$R/server.log" >&2 || :; exit 1; }

# our webhook server first: RT's config needs its port
umask 077
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/hmac"
"$DRIVER" serve "$T/slaclock.db" "$T/port" "$T/hmac" slaclock >"$T/driver.log" 2>&1 &
DRV_PID=$!
i=0; until [ -s "$T/port" ]; do i=$((i+1)); [ $i -lt 100 ] || fail "driver did not start"; sleep 0.1; done
HOOK_PORT=$(cat "$T/port")

rt_start "http://127.0.0.1:$HOOK_PORT/webhook/rt" "$T/hmac"

events() { "$DRIVER" events "$T/slaclock.db"; }
wait_events() {  # N: until the store holds at least N events
    i=0; until [ "$(events | wc -l)" -ge "$1" ]; do
        i=$((i+1)); [ $i -lt 100 ] || fail "expected $1 events, have: $(events)"; sleep 0.1; done; }

echo "1. ticket created by REST -> signed webhook -> events"
T1=$(rt_new_ticket "打印机无法连接")
wait_events 2
events | grep -q "^customer_message rt:$T1 customer$" || fail "no customer_message for rt:$T1: $(events)"
events | grep -q "^status rt:$T1 " || fail "no status event"

echo "2. an agent's reply in RT -> agent_reply"
rt -X POST "$API/ticket/$T1/correspond" -d '{"Content":"we are on it","ContentType":"text/plain"}' >/dev/null
wait_events 3
events | grep -q "^agent_reply rt:$T1 root" || fail "no agent_reply: $(events)"
N_BEFORE=$(events | wc -l)

echo "3. breach note posted once; its own webhook ignored"
"$DRIVER" note "$T/slaclock.db" "http://127.0.0.1:$RT_PORT" "$R/slaclock.token" "$T1" \
    "note:rt:$T1:S14.1:breach" "SLA breach S14.1: first response overdue, charged to li.na" >"$T/note1.log" 2>&1 \
    || { cat "$T/note1.log"; fail "note delivery"; }
grep -q "outbox depth 0" "$T/note1.log" || { cat "$T/note1.log"; fail "outbox not empty after delivery"; }

echo "4. crash between posting and outbox_done, then re-run: still one note"
"$DRIVER" crash "$T/slaclock.db" "http://127.0.0.1:$RT_PORT" "$R/slaclock.token" "$T1" \
    "note:rt:$T1:S14.1:reminder" "SLA reminder S14.1: 80% of the first-response target used" >"$T/crash.log" 2>&1 \
    || { cat "$T/crash.log"; fail "crash run"; }
"$DRIVER" deliver "$T/slaclock.db" "http://127.0.0.1:$RT_PORT" "$R/slaclock.token" >"$T/redeliver.log" 2>&1 \
    || { cat "$T/redeliver.log"; fail "re-delivery"; }
grep -q "already has note note:rt:$T1:S14.1:reminder" "$T/redeliver.log" || { cat "$T/redeliver.log"; fail "re-delivery did not find the marker"; }
grep -q "outbox depth 0" "$T/redeliver.log" || { cat "$T/redeliver.log"; fail "outbox not empty after re-delivery"; }
"$DRIVER" deliver "$T/slaclock.db" "http://127.0.0.1:$RT_PORT" "$R/slaclock.token" >/dev/null 2>&1

[ "$(rt_count_marker "$T1" "note:rt:$T1:S14.1:breach")" = 1 ] || fail "breach note not exactly once"
[ "$(rt_count_marker "$T1" "note:rt:$T1:S14.1:reminder")" = 1 ] || fail "reminder note not exactly once after the crash"

# the scrip posted our two comments back: both ignored (own_user)
sleep 0.5
[ "$(events | wc -l)" = "$N_BEFORE" ] || fail "our own notes were stored as events: $(events)"
# ... and they did arrive: counted as ignored by the server
IGN=$(curl -fsS "http://127.0.0.1:$HOOK_PORT/metrics" | awk '/^slaclock_webhook_ignored_total\{source="webhook:rt"\}/{print $2}')
[ "${IGN:-0}" -ge 2 ] || fail "own notes' webhooks not seen (ignored=${IGN:-none})"

echo "5. a note for a ticket RT does not have: RT answers 400, not delivered"
"$DRIVER" note "$T/slaclock.db" "http://127.0.0.1:$RT_PORT" "$R/slaclock.token" 99999 \
    "note:rt:99999:S14.1:breach" "nobody reads this" >"$T/missing.log" 2>&1 || :
grep -q "HTTP 400" "$T/missing.log" || { cat "$T/missing.log"; fail "missing ticket not reported as RT's 400"; }
grep -q "outbox depth 1" "$T/missing.log" || { cat "$T/missing.log"; fail "missing-ticket note should stay queued"; }

echo "rt.sh: PASS (RT $(rt "$API/rt" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["Version"])'))"
