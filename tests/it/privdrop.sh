#!/bin/sh
# slaclockd started as root binds its port, then runs as [daemon] user for
# good: the process's uids, the store's owner and a secret owned by that
# user all say so. Skips (77) unless run as root (CI runs as root).
[ -z "${SLACLOCK_SKIP_IT:-}" ] || { echo "SKIP: SLACLOCK_SKIP_IT is set (integration tests off)"; exit 77; }
set -eu
[ "$(id -u)" = 0 ] || { echo "privdrop.sh: SKIP: needs root"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "privdrop.sh: SKIP: no user nobody"; exit 77; }
SLACLOCKD=${SLACLOCKD:-${top_builddir:-.}/slaclockd}
SLACLOCK=${SLACLOCK:-${top_builddir:-.}/slaclock}
T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-priv.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null; [ -n "$PID" ] && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT INT TERM
fail() { echo "privdrop.sh: FAIL: $*" >&2; cat "$T/d.log" >&2 2>/dev/null || :; exit 1; }
ok() { echo "ok - $*"; }

chmod 755 "$T"
mkdir "$T/state"
chown nobody "$T/state"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
umask 077
printf 'k3y' >"$T/hmac"
chown nobody "$T/hmac"
cat >"$T/slaclock.conf" <<EOC
[store]
path = $T/state/slaclock.db
[team a]
agents = a@x.example
[helpdesk rt]
type = rt
webhook_secret_file = $T/hmac
[webhook]
listen = 127.0.0.1:$PORT
[daemon]
user = nobody
EOC
chmod 644 "$T/slaclock.conf"
"$SLACLOCK" check -c "$T/slaclock.conf" >"$T/check.out" 2>&1 || { cat "$T/check.out"; fail "slaclock check as root refused the user's secret"; }
ok "slaclock check, as root, accepts a secret owned by [daemon] user"

"$SLACLOCKD" -d -c "$T/slaclock.conf" >"$T/d.log" 2>&1 &
PID=$!
i=0; until curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
    i=$((i+1)); [ $i -lt 100 ] || fail "slaclockd did not answer"; sleep 0.1; done
ok "listening on its port"
uid=$(id -u nobody)
awk '/^Uid:/{print $2, $3, $4, $5}' "/proc/$PID/status" >"$T/uids"
[ "$(cat "$T/uids")" = "$uid $uid $uid $uid" ] || fail "uids are $(cat "$T/uids"), want all $uid"
ok "real, effective, saved and filesystem uid are all nobody's"
[ "$(stat -c %u "$T/state/slaclock.db")" = "$uid" ] || fail "the store is owned by $(stat -c %U "$T/state/slaclock.db")"
ok "the store was created by nobody"
grep -q 'running as nobody' "$T/d.log" || fail "no log line about the user"
ok "logged the change of user"
kill -TERM "$PID"; wait "$PID" || fail "exit status $? on SIGTERM"; PID=
ok "SIGTERM: exit 0"
echo "privdrop.sh: PASS"
