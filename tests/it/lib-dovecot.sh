# lib-dovecot.sh - a throwaway Dovecot (IMAP, Maildir) on free loopback
# ports under $T/dovecot, for one user with the password "secret".
# Sourced after lib.sh; POSIX sh. Needs root (the mail is nobody's).
#   dovecot_setup USER [tls]   D, IMAP_PORT, MAILDIR (USER's, empty);
#                              with tls also IMAPS_PORT and a self-signed
#                              certificate $D/cert.pem for 127.0.0.1 whose
#                              SHA-256 fingerprint is FP
#   dovecot_start, dovecot_stop [KILL], dove ARGS (doveadm), save,
#   maildir_bulk, imap_section; dovecot_cleanup in the exit trap.

dovecot_installed() { [ -x /usr/sbin/dovecot ]; }

dovecot_setup() {
	DOVECOT_USER=$1 D=$T/dovecot
	MAILDIR=$D/mail/$1/Maildir
	IMAP_PORT=$(free_port)
	chmod 755 "$T"   # for nobody's imap processes
	mkdir -p "$D/run" "$D/state" "$MAILDIR/cur" "$MAILDIR/new" "$MAILDIR/tmp"
	echo "$1:{PLAIN}secret::::::" >"$D/passwd"
	if [ "${2:-}" = tls ]; then
		IMAPS_PORT=$(free_port)
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
			-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
			-keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null
		FP=$(openssl x509 -in "$D/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
		_dc_ssl="ssl = yes
ssl_cert = <$D/cert.pem
ssl_key = <$D/key.pem"
		_dc_imaps="address = 127.0.0.1
    port = $IMAPS_PORT"
	else
		_dc_ssl="ssl = no" _dc_imaps="port = 0"
	fi
	cat >"$D/dovecot.conf" <<EOF
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
protocols = imap
listen = 127.0.0.1
$_dc_ssl
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
    $_dc_imaps
  }
}
EOF
	chown -R nobody:nogroup "$D/mail"
}

dovecot_start() {
	/usr/sbin/dovecot -c "$D/dovecot.conf" >"$D/start.log" 2>&1 || { cat "$D/start.log"; fail "dovecot start"; }
	wait_for 10 port_open "$IMAP_PORT" || fail "dovecot listens"
}
# dovecot_stop [KILL]: the master and, by PID, the processes it started
# (only ours: other tests may run a Dovecot too), with SIGTERM, waiting up
# to 10 s for the master; with KILL all at once with SIGKILL.
dovecot_stop() {
	_dc_pid=$(cat "$D/run/master.pid")
	_dc_kids=$(ps -o pid= --ppid "$_dc_pid" || :)
	if [ "${1:-}" = KILL ]; then
		kill -9 "$_dc_pid" $_dc_kids 2>/dev/null || :
		rm -f "$D/run/master.pid"
		return 0
	fi
	kill "$_dc_pid"
	_dc_i=0
	while kill -0 "$_dc_pid" 2>/dev/null; do
		_dc_i=$((_dc_i + 1)); [ $_dc_i -lt 100 ] || break; sleep 0.1
	done
	# a stopped master leaves logged-in imap processes serving on
	for _dc_k in $_dc_kids; do kill "$_dc_k" 2>/dev/null || :; done
}
dovecot_cleanup() {
	if [ -n "${D:-}" ] && [ -s "$D/run/master.pid" ]; then kill "$(cat "$D/run/master.pid")" 2>/dev/null || :; fi
}
dove() { doveadm -c "$D/dovecot.conf" "$@"; }

# imap_section NAME TLS PORT PASSWORD_FILE FOLDERS [LINE...]: a slaclock.conf
# section [imap NAME] for DOVECOT_USER at 127.0.0.1:PORT, on stdout after
# an empty line; each LINE added to it
imap_section() {
	printf '\n[imap %s]\nhost = 127.0.0.1\nport = %s\ntls = %s\nusername = %s\npassword_file = %s\nfolders = %s\n' \
		"$1" "$3" "$2" "$DOVECOT_USER" "$4" "$5"
	shift 5
	for _dc_line; do echo "$_dc_line"; done
}

# mkmsg N: customer mail number N, Message-ID <it-N@client.example>
mkmsg() {
	printf 'From: Customer %s <cust%s@client.example>\r\nTo: %s\r\nSubject: =?UTF-8?B?5pWF6Zqc?= %s\r\nMessage-ID: <it-%s@client.example>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nPlease help, case %s.\r\n' \
		"$1" "$1" "$DOVECOT_USER" "$1" "$1" "$1"
}
# save FOLDER FROM TO: mails FROM to TO delivered into FOLDER by doveadm
# (which needs the running server's auth)
save() {
	_dc_n=$2
	while [ "$_dc_n" -le "$3" ]; do mkmsg "$_dc_n" | dove save -u "$DOVECOT_USER" -m "$1"; _dc_n=$((_dc_n + 1)); done
}
# maildir_bulk FROM TO: mails FROM to TO straight into the Maildir's new/
# (doveadm save per message is too slow for thousands)
maildir_bulk() {
	python3 - "$MAILDIR/new" "$1" "$2" "$DOVECOT_USER" <<'EOF'
import os, sys, time
d, a, b, user = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = int(time.time())
for i in range(a, b + 1):
    m = ("From: Customer %d <cust%d@client.example>\r\nTo: %s\r\nSubject: bulk %d\r\n"
         "Message-ID: <it-%d@client.example>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0800\r\n\r\n"
         "Bulk case %d.\r\n" % (i, i, user, i, i, i))
    # Written in tmp/ and renamed, as a delivery agent does: the daemon
    # syncs while this runs, and Dovecot would serve a half-written file.
    name = "%d.M%dP1.it" % (t, i)
    tmp = os.path.join(d, "..", "tmp", name)
    with open(tmp, "w") as f:
        f.write(m)
    os.rename(tmp, os.path.join(d, name))
EOF
	chown -R nobody:nogroup "$D/mail"
}
