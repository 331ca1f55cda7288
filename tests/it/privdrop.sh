#!/bin/sh
# slaclockd started as root binds its port, then runs as [daemon] user for
# good: the process's uids, the store's owner and a secret owned by that
# user all say so. Skips (77) unless run as root (CI runs as root).
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
[ "$(id -u)" = 0 ] || { echo "privdrop.sh: SKIP: needs root"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "privdrop.sh: SKIP: no user nobody"; exit 77; }
SLACLOCK=${SLACLOCK:-${top_builddir:-.}/slaclock}
T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-priv.XXXXXX")
LOG=$T/d.log WAIT_STEP=0.1
cleanup() { stop_pids TERM $D_PID; rm_tmp; }
trap cleanup EXIT INT TERM
fail() { echo "privdrop.sh: FAIL: $*" >&2; cat "$LOG" >&2 2>/dev/null || :; exit 1; }

chmod 755 "$T"
mkdir "$T/state"
chown nobody "$T/state"
PORT=$(free_port)
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

daemon_start
wait_for 10 healthz "$PORT" || fail "slaclockd did not answer"
ok "listening on its port"
uid=$(id -u nobody)
awk '/^Uid:/{print $2, $3, $4, $5}' "/proc/$D_PID/status" >"$T/uids"
[ "$(cat "$T/uids")" = "$uid $uid $uid $uid" ] || fail "uids are $(cat "$T/uids"), want all $uid"
ok "real, effective, saved and filesystem uid are all nobody's"
[ "$(stat -c %u "$T/state/slaclock.db")" = "$uid" ] || fail "the store is owned by $(stat -c %U "$T/state/slaclock.db")"
ok "the store was created by nobody"
grep -q 'running as nobody' "$LOG" || fail "no log line about the user"
ok "logged the change of user"
daemon_stop || fail "exit status $? on SIGTERM"
ok "SIGTERM: exit 0"
echo "privdrop.sh: PASS"
