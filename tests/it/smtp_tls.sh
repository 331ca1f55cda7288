#!/bin/sh
# Integration test of the mailer's TLS against a real server (aiosmtpd,
# tests/it/smtp/tls_server.py) on free loopback ports, with a throwaway CA:
# STARTTLS and SMTPS delivered when the CA is given; an untrusted or
# misnamed certificate refused with a log line naming the host and the
# certificate, the mail kept and delivered once the config is fixed; a
# pinned public key; AUTH over TLS with the password from a 0600 file,
# never sent to a server whose certificate was refused; plain text to a
# server that wants STARTTLS retried, not dropped.
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
command -v openssl >/dev/null || { echo "openssl is not installed: skipped"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-smtptls.XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A CA, a certificate for 127.0.0.1/localhost and one for another name,
# both signed by it; and a second CA that signed nothing here.
pki=$work/pki
mkdir "$pki"
ossl() { openssl "$@" 2>>"$pki/openssl.log" || { cat "$pki/openssl.log"; exit 1; }; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$pki/ca.key" -out "$pki/ca.pem" -subj "/CN=slaclock test CA"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$pki/other-ca.key" -out "$pki/other-ca.pem" -subj "/CN=another CA"
leaf() {	# leaf NAME SAN
	ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "/CN=$1"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$2" >"$pki/$1.ext"
	ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem"
}
leaf server "DNS:localhost,IP:127.0.0.1"
leaf wrongname "DNS:mail.example.com"
fingerprint=$(openssl x509 -in "$pki/server.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
pin=sha256//$(openssl x509 -in "$pki/server.pem" -noout -pubkey |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | openssl base64 -A)

free_port() {
	$PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
# serve NAME MODE CERT [USER PASSWORD_FILE]: start a server, set $port.
serve() {
	name=$1; shift
	port=$(free_port)
	mkdir -p "$work/$name"
	PYTHONPATH=$top_srcdir/tests/it/smtp $PYTHON "$top_srcdir/tests/it/smtp/tls_server.py" \
		"$1" "$port" "$pki/$2.pem" "$pki/$2.key" "$work/$name" ${3:+"$3"} ${4:+"$4"} \
		>"$work/$name.log" 2>&1 &
	pids="$pids $!"
	i=0
	until grep -q listening "$work/$name.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then echo "$name did not start"; cat "$work/$name.log"; exit 1; fi
		sleep 0.1
	done
}

fail=0
expect() {	# expect WHAT GOT WANT
	if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2', want '$3'"; fail=1; fi
}
count() { ls "$work/$1/new" 2>/dev/null | wc -l | tr -d ' '; }
logged() {	# logged WHAT PATTERN FILE
	if grep -q -- "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1: no '$2' in:"; cat "$3"; fail=1; fi
}
now=1795000000
ca="-o ca_file=$pki/ca.pem"

serve starttls starttls server
starttls_port=$port
serve smtps smtps server
smtps_port=$port
serve wrongname smtps wrongname
wrongname_port=$port
printf 'S3cret pass\n' >"$work/password"
chmod 600 "$work/password"
serve auth starttls server slaclock "$work/password"
auth_port=$port

# 1. STARTTLS and SMTPS with the CA: delivered, once.
db=$work/1.db
out=$($DRIVER -o starttls=yes $ca "$db" "smtp://127.0.0.1:$starttls_port" $now send a:1 lead@example.com 2>/dev/null)
expect "STARTTLS with ca_file" "$out" "put=1 sent=1 tempfail=0 permfail=0 depth=0"
expect "STARTTLS: arrived" "$(count starttls)" 1
out=$($DRIVER $ca "$db" "smtps://localhost:$smtps_port" $now send a:2 lead@example.com 2>/dev/null)
expect "SMTPS with ca_file (by name)" "$out" "put=1 sent=1 tempfail=0 permfail=0 depth=0"
expect "SMTPS: arrived" "$(count smtps)" 1
parsed=$($DRIVER parse "$work/smtps/new/$(ls "$work/smtps/new" | head -1)")
expect "SMTPS: read back" "$(echo "$parsed" | sed -n 2p)" "a:2"

# 2. Untrusted (the system's CAs, or another CA): refused, named, kept;
#    delivered once the right CA is configured.
db=$work/2.db
out=$($DRIVER "$db" "smtps://127.0.0.1:$smtps_port" $now send b:1 lead@example.com 2>"$work/err")
expect "untrusted: temporary failure, kept" "$out" "put=1 sent=0 tempfail=1 permfail=0 depth=1"
logged "untrusted: the log names the host" "TLS certificate of 127.0.0.1 refused" "$work/err"
logged "untrusted: the log gives the fingerprint" "SHA-256 $fingerprint" "$work/err"
logged "untrusted: the log gives the key pin" "public key $pin" "$work/err"
out=$($DRIVER -o ca_file="$pki/other-ca.pem" "$db" "smtps://127.0.0.1:$smtps_port" $((now + 61)) run 2>"$work/err")
expect "another CA: refused, kept" "$out" "put=0 sent=0 tempfail=1 permfail=0 depth=1"
expect "untrusted: nothing arrived" "$(count smtps)" 1
out=$($DRIVER $ca "$db" "smtps://127.0.0.1:$smtps_port" $((now + 200)) run 2>/dev/null)
expect "config fixed: delivered" "$out" "put=0 sent=1 tempfail=0 permfail=0 depth=0"
expect "config fixed: arrived once" "$(count smtps)" 2
out=$($DRIVER $ca "$db" "smtps://127.0.0.1:$smtps_port" $((now + 9999)) run 2>/dev/null)
expect "config fixed: not again" "$out" "put=0 sent=0 tempfail=0 permfail=0 depth=0"

# 3. A certificate of the right CA for another name: refused.
out=$($DRIVER $ca "$work/3.db" "smtps://127.0.0.1:$wrongname_port" $now send c:1 lead@example.com 2>"$work/err")
expect "wrong name: refused, kept" "$out" "put=1 sent=0 tempfail=1 permfail=0 depth=1"
logged "wrong name: logged" "TLS certificate of 127.0.0.1 refused" "$work/err"
expect "wrong name: nothing arrived" "$(count wrongname)" 0
# tls_verify = no is the administrator's explicit choice.
out=$($DRIVER -o tls_verify=no "$work/3.db" "smtps://127.0.0.1:$wrongname_port" $((now + 61)) run 2>/dev/null)
expect "wrong name, tls_verify = no: delivered" "$out" "put=0 sent=1 tempfail=0 permfail=0 depth=0"

# 4. A pinned public key replaces the CA: the right pin is delivered
#    without ca_file, a wrong one is refused even with it.
out=$($DRIVER -o pinned_pubkey="$pin" "$work/4.db" "smtps://127.0.0.1:$smtps_port" $now send d:1 lead@example.com 2>/dev/null)
expect "pinned key, no CA: delivered" "$out" "put=1 sent=1 tempfail=0 permfail=0 depth=0"
wrong_pin=sha256//$(printf x | openssl dgst -sha256 -binary | openssl base64 -A)
out=$($DRIVER -o pinned_pubkey="$wrong_pin" $ca -o starttls=yes "$work/4.db" "smtp://127.0.0.1:$starttls_port" $now send d:2 lead@example.com 2>"$work/err")
expect "wrong pin: refused, kept" "$out" "put=1 sent=0 tempfail=1 permfail=0 depth=1"
logged "wrong pin: logged with the right one" "public key does not match pinned public key.*$pin" "$work/err"

# 5. AUTH over STARTTLS, the password from a 0600 file.
db=$work/5.db
auth="-o starttls=yes -o username=slaclock -o password_file=$work/password"
out=$($DRIVER $auth "$db" "smtp://127.0.0.1:$auth_port" $now send e:1 lead@example.com 2>"$work/err")
expect "untrusted before AUTH: refused, kept" "$out" "put=1 sent=0 tempfail=1 permfail=0 depth=1"
expect "no password sent to an untrusted server" "$(cat "$work/auth/auth" 2>/dev/null)" ""
out=$($DRIVER $auth $ca "$db" "smtp://127.0.0.1:$auth_port" $((now + 61)) run 2>/dev/null)
expect "AUTH over TLS: delivered" "$out" "put=0 sent=1 tempfail=0 permfail=0 depth=0"
expect "AUTH: the server saw our login" "$(cut -d' ' -f2- "$work/auth/auth")" "slaclock ok"
expect "AUTH: arrived" "$(count auth)" 1
printf 'wrong\n' >"$work/badpassword"
chmod 600 "$work/badpassword"
out=$($DRIVER -o starttls=yes -o username=slaclock -o password_file="$work/badpassword" $ca \
	"$db" "smtp://127.0.0.1:$auth_port" $((now + 100)) send e:2 lead@example.com 2>"$work/err")
expect "wrong password: retried, kept (535)" "$out" "put=1 sent=0 tempfail=1 permfail=0 depth=1"
out=$($DRIVER -o starttls=yes $ca "$db" "smtp://127.0.0.1:$auth_port" $((now + 200)) run 2>"$work/err")
expect "no AUTH where required: retried, kept (530)" "$out" "put=0 sent=0 tempfail=1 permfail=0 depth=1"
out=$($DRIVER $auth $ca "$db" "smtp://127.0.0.1:$auth_port" $((now + 400)) run 2>/dev/null)
expect "password fixed: delivered" "$out" "put=0 sent=1 tempfail=0 permfail=0 depth=0"
chmod 644 "$work/password"
if $DRIVER $auth $ca "$db" "smtp://127.0.0.1:$auth_port" $((now + 500)) run >/dev/null 2>"$work/err"; then
	echo "FAIL a password file others may read was used"; fail=1
else
	echo "ok   a password file others may read is refused: $(head -1 "$work/err")"
fi

# 6. starttls = no against a server that wants STARTTLS: 530, kept.
out=$($DRIVER -o starttls=no "$work/6.db" "smtp://127.0.0.1:$starttls_port" $now send f:1 lead@example.com 2>"$work/err")
expect "plain to a STARTTLS server: retried, kept" "$out" "put=1 sent=0 tempfail=1 permfail=0 depth=1"
out=$($DRIVER -o starttls=yes $ca "$work/6.db" "smtp://127.0.0.1:$starttls_port" $((now + 61)) run 2>/dev/null)
expect "then with STARTTLS: delivered" "$out" "put=0 sent=1 tempfail=0 permfail=0 depth=0"
expect "STARTTLS server: two mails in all" "$(count starttls)" 2

exit $fail
