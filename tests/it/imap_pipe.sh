#!/bin/sh
# Integration test of the bulk-sync pipeline (a fetch thread fetches, a
# parse thread parses the next batch while the loop thread stores one)
# against a real Dovecot. Each batch is stored in one transaction with
# the folder's last UID, in UID order; so at any stop the store holds
# exactly the messages with UIDs up to the last UID stored. A batch
# dropped or stored out of order breaks that (more or fewer messages
# than UIDs up to the last UID).
#   1. SIGTERM in the middle of the pipeline: exit 0, store consistent.
#   2. restart resumes after the last UID; kill -9 in the middle of that
#      pipeline: consistent.
#   3. restart: every message exactly once, \Seen untouched.
#   4. new mail after the bulk sync (the session is back with the loop);
#      a SIGTERM right after it (often while IDLE starts) logs no error.
# Skips (77) only when Dovecot is not installed.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
. "$srcdir/tests/it/lib-dovecot.sh"
need dovecot-imapd dovecot_installed
need_slaclockd

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-pipe.XXXXXX")
USER=support@test.example
LOG=$T/d.log LOG_TAIL=20 WAIT_STEP=0.1
cleanup() {
	stop_pids KILL $D_PID
	dovecot_cleanup
	rm_tmp
}
trap cleanup EXIT INT TERM

dovecot_setup "$USER"

DB=$T/slaclock.db
count_events() { sql "$DB" "SELECT count(*) FROM events WHERE kind = 'customer_message'"; }
count_ids() { sql "$DB" "SELECT count(DISTINCT external_id) FROM events WHERE kind = 'customer_message'"; }
events_are() { [ "$(count_events)" -eq "$1" ]; }
events_at_least() { [ "$(count_events)" -ge "$1" ]; }
last_uid() { sql "$DB" "SELECT last_uid FROM sync_state WHERE source = 'imap:main/INBOX'"; }
# how many messages of the folder have UIDs 1..$1
uids_upto() {
	if [ "$1" -le 0 ]; then echo 0; return; fi
	dove search -u "$USER" mailbox INBOX uid "1:$1" | wc -l
}
# the store holds exactly the messages up to the last UID stored
consistent() {
	_lu=$(last_uid) _n=$(count_events)
	_u=$(uids_upto "$_lu")
	echo "# last UID $_lu, $_n events, $_u messages up to it"
	[ "$_lu" -gt 0 ] && [ "$_n" -eq "$_u" ]
}

printf 'secret\n' >"$T/pw"
chmod 600 "$T/pw"
{
	cat <<EOF
[store]
backend = sqlite
path = $DB

[policy]
first_response = 30m

[team support]
agents = agent@test.example
EOF
	imap_section main none "$IMAP_PORT" "$T/pw" INBOX
} >"$T/slaclock.conf"

BULK=${IT_PIPE_BULK:-50000}
maildir_bulk 1 "$BULK"
dovecot_start
# Dovecot indexes the new Maildir once; not the daemon's to pay.
dove index -u "$USER" INBOX

# 1. SIGTERM after the first batch (IMAP_BATCH_MESSAGES = 500), while
#    the pipeline runs
daemon_start
wait_for 60 events_at_least 501 || :
check "SIGTERM mid-pipeline: exit 0" daemon_stop
MID=$(count_events)
[ "$MID" -lt "$BULK" ] || echo "# note: the sync had finished before SIGTERM ($MID events)"
check "SIGTERM mid-pipeline: the store holds exactly the UIDs up to its last UID" consistent
check "SIGTERM mid-pipeline: no duplicates" [ "$(count_ids)" -eq "$(count_events)" ]

# 2. restart: resumes after the last UID; kill -9 in that pipeline
L=$(wc -l <"$LOG")
daemon_start
wait_for 60 events_at_least $((MID + 501)) || :
daemon_kill
MID2=$(count_events)
[ "$MID2" -lt "$BULK" ] || echo "# note: the sync had finished before kill -9 ($MID2 events)"
check "kill -9 in a resumed pipeline: the store is consistent" consistent
N=$(tail -n +"$((L + 1))" "$LOG" | sed -n 's/.*INBOX: \([0-9]*\) messages to fetch.*/\1/p' | head -n 1)
check "restart fetches only what is not stored (${N:-none} of $BULK)" [ "${N:-0}" -eq $((BULK - MID)) ]

# 3. restart after kill -9: completes, every message exactly once
L3=$(wc -l <"$LOG")
daemon_start
if wait_for 120 events_are "$BULK"; then ok "restart after kill -9: exactly $BULK"; else not_ok "restart after kill -9: $BULK events (got $(count_events))"; fi
check "synced line logged" wait_for 20 grep -q "INBOX: synced" "$LOG"
check "last UID is the folder's highest" [ "$(last_uid)" -eq "$(dove search -u "$USER" mailbox INBOX all | tail -n 1 | awk '{print $2}')" ]
check "no duplicate Message-IDs" [ "$(count_ids)" -eq "$(count_events)" ]
if dove fetch -u "$USER" flags mailbox INBOX | grep -q Seen; then not_ok "\\Seen flags untouched"; else ok "\\Seen flags untouched"; fi

# 4. new mail after the bulk sync: the loop has the session back (IDLE)
save INBOX $((BULK + 1)) $((BULK + 1))
if wait_for 30 events_are $((BULK + 1)); then ok "new mail after the bulk sync"; else not_ok "new mail after the bulk sync (got $(count_events))"; fi
check "SIGTERM: exit 0" daemon_stop
# A signal that cuts a libetpan read short is not the server's fault.
errors=$(tail -n +"$((L3 + 1))" "$LOG" | grep -c "error:" || :)
check "no error logged from the restart to the stop ($errors)" [ "$errors" -eq 0 ]
grep "synced\|error\|warning" "$LOG" | tail -n 5 | sed 's/^/# /'

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
