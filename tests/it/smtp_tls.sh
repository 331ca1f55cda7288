#!/bin/sh
# Integration test of the mailer's TLS against a real server (aiosmtpd,
# tests/it/smtp/tls_server.py) on free loopback ports, with a throwaway CA:
# STARTTLS and SMTPS delivered when the CA is given; an untrusted or
# misnamed certificate refused with a log line naming the host and the
# certificate, the mail kept and delivered once the config is fixed; a
# pinned public key; AUTH over TLS with the password from a 0600 file,
# never sent to a server whose certificate was refused; plain text to a
# server that wants STARTTLS retried, not dropped.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/it/lib.sh"
need python3-aiosmtpd aiosmtpd_installed
need openssl command -v openssl

T=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-smtptls.XXXXXX")
LOG=$T/err
pids=
cleanup() {
	stop_pids TERM $pids
	rm_tmp
}
trap cleanup EXIT INT TERM

# A CA, a certificate for 127.0.0.1/localhost and one for another name,
# both signed by it; and a second CA that signed nothing here.
pki=$T/pki
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

# serve NAME MODE CERT [USER PASSWORD_FILE]: start a server, set $port.
serve() {
	name=$1; shift
	port=$(free_port)
	mkdir -p "$T/$name"
	PYTHONPATH=$srcdir/tests/it/smtp /usr/bin/python3 "$srcdir/tests/it/smtp/tls_server.py" \
		"$1" "$port" "$pki/$2.pem" "$pki/$2.key" "$T/$name" ${3:+"$3"} ${4:+"$4"} \
		>"$T/$name.log" 2>&1 &
	pids="$pids $!"
	wait_for 10 grep -q listening "$T/$name.log" || { cat "$T/$name.log"; fail "$name did not start"; }
}

count() { ls "$T/$1/new" 2>/dev/null | wc -l | tr -d ' '; }
now=1795000000
ca="-o ca_file=$pki/ca.pem"

serve starttls starttls server
starttls_port=$port
serve smtps smtps server
smtps_port=$port
serve wrongname smtps wrongname
wrongname_port=$port
printf 'S3cret pass\n' >"$T/password"
chmod 600 "$T/password"
serve auth starttls server slaclock "$T/password"
auth_port=$port

# 1. STARTTLS and SMTPS with the CA: delivered, once.
db=$T/1.db
smtp_drive "STARTTLS with ca_file" "put=1 sent=1 tempfail=0 permfail=0 depth=0" \
	-o starttls=yes $ca "$db" "smtp://127.0.0.1:$starttls_port" $now send a:1 lead@example.com
expect "STARTTLS: arrived" "$(count starttls)" 1
smtp_drive "SMTPS with ca_file (by name)" "put=1 sent=1 tempfail=0 permfail=0 depth=0" \
	$ca "$db" "smtps://localhost:$smtps_port" $now send a:2 lead@example.com
expect "SMTPS: arrived" "$(count smtps)" 1
parsed=$("$SMTP_DRIVER" parse "$T/smtps/new/$(ls "$T/smtps/new" | head -1)")
expect "SMTPS: read back" "$(echo "$parsed" | sed -n 2p)" "a:2"

# 2. Untrusted (the system's CAs, or another CA): refused, named, kept;
#    delivered once the right CA is configured.
db=$T/2.db
smtp_drive "untrusted: temporary failure, kept" "put=1 sent=0 tempfail=1 permfail=0 depth=1" \
	"$db" "smtps://127.0.0.1:$smtps_port" $now send b:1 lead@example.com
check "untrusted: the log names the host" grep -q -- "TLS certificate of 127.0.0.1 refused" "$T/err"
check "untrusted: the log gives the fingerprint" grep -q -- "SHA-256 $fingerprint" "$T/err"
check "untrusted: the log gives the key pin" grep -q -- "public key $pin" "$T/err"
smtp_drive "another CA: refused, kept" "put=0 sent=0 tempfail=1 permfail=0 depth=1" \
	-o ca_file="$pki/other-ca.pem" "$db" "smtps://127.0.0.1:$smtps_port" $((now + 61)) run
expect "untrusted: nothing arrived" "$(count smtps)" 1
smtp_drive "config fixed: delivered" "put=0 sent=1 tempfail=0 permfail=0 depth=0" \
	$ca "$db" "smtps://127.0.0.1:$smtps_port" $((now + 200)) run
expect "config fixed: arrived once" "$(count smtps)" 2
smtp_drive "config fixed: not again" "put=0 sent=0 tempfail=0 permfail=0 depth=0" \
	$ca "$db" "smtps://127.0.0.1:$smtps_port" $((now + 9999)) run

# 3. A certificate of the right CA for another name: refused.
smtp_drive "wrong name: refused, kept" "put=1 sent=0 tempfail=1 permfail=0 depth=1" \
	$ca "$T/3.db" "smtps://127.0.0.1:$wrongname_port" $now send c:1 lead@example.com
check "wrong name: logged" grep -q -- "TLS certificate of 127.0.0.1 refused" "$T/err"
expect "wrong name: nothing arrived" "$(count wrongname)" 0
# tls_verify = no is the administrator's explicit choice.
smtp_drive "wrong name, tls_verify = no: delivered" "put=0 sent=1 tempfail=0 permfail=0 depth=0" \
	-o tls_verify=no "$T/3.db" "smtps://127.0.0.1:$wrongname_port" $((now + 61)) run

# 4. A pinned public key replaces the CA: the right pin is delivered
#    without ca_file, a wrong one is refused even with it.
smtp_drive "pinned key, no CA: delivered" "put=1 sent=1 tempfail=0 permfail=0 depth=0" \
	-o pinned_pubkey="$pin" "$T/4.db" "smtps://127.0.0.1:$smtps_port" $now send d:1 lead@example.com
wrong_pin=sha256//$(printf x | openssl dgst -sha256 -binary | openssl base64 -A)
smtp_drive "wrong pin: refused, kept" "put=1 sent=0 tempfail=1 permfail=0 depth=1" \
	-o pinned_pubkey="$wrong_pin" $ca -o starttls=yes "$T/4.db" "smtp://127.0.0.1:$starttls_port" $now send d:2 lead@example.com
check "wrong pin: logged with the right one" grep -q -- "public key does not match pinned public key.*$pin" "$T/err"

# 5. AUTH over STARTTLS, the password from a 0600 file.
db=$T/5.db
auth="-o starttls=yes -o username=slaclock -o password_file=$T/password"
smtp_drive "untrusted before AUTH: refused, kept" "put=1 sent=0 tempfail=1 permfail=0 depth=1" \
	$auth "$db" "smtp://127.0.0.1:$auth_port" $now send e:1 lead@example.com
expect "no password sent to an untrusted server" "$(cat "$T/auth/auth" 2>/dev/null)" ""
smtp_drive "AUTH over TLS: delivered" "put=0 sent=1 tempfail=0 permfail=0 depth=0" \
	$auth $ca "$db" "smtp://127.0.0.1:$auth_port" $((now + 61)) run
expect "AUTH: the server saw our login" "$(cut -d' ' -f2- "$T/auth/auth")" "slaclock ok"
expect "AUTH: arrived" "$(count auth)" 1
printf 'wrong\n' >"$T/badpassword"
chmod 600 "$T/badpassword"
smtp_drive "wrong password: retried, kept (535)" "put=1 sent=0 tempfail=1 permfail=0 depth=1" \
	-o starttls=yes -o username=slaclock -o password_file="$T/badpassword" $ca \
	"$db" "smtp://127.0.0.1:$auth_port" $((now + 100)) send e:2 lead@example.com
smtp_drive "no AUTH where required: retried, kept (530)" "put=0 sent=0 tempfail=1 permfail=0 depth=1" \
	-o starttls=yes $ca "$db" "smtp://127.0.0.1:$auth_port" $((now + 200)) run
smtp_drive "password fixed: delivered" "put=0 sent=1 tempfail=0 permfail=0 depth=0" \
	$auth $ca "$db" "smtp://127.0.0.1:$auth_port" $((now + 400)) run
chmod 644 "$T/password"
if "$SMTP_DRIVER" $auth $ca "$db" "smtp://127.0.0.1:$auth_port" $((now + 500)) run >/dev/null 2>"$T/err"; then
	not_ok "a password file others may read was used"
else
	ok "a password file others may read is refused: $(head -1 "$T/err")"
fi

# 6. starttls = no against a server that wants STARTTLS: 530, kept.
smtp_drive "plain to a STARTTLS server: retried, kept" "put=1 sent=0 tempfail=1 permfail=0 depth=1" \
	-o starttls=no "$T/6.db" "smtp://127.0.0.1:$starttls_port" $now send f:1 lead@example.com
smtp_drive "then with STARTTLS: delivered" "put=0 sent=1 tempfail=0 permfail=0 depth=0" \
	-o starttls=yes $ca "$T/6.db" "smtp://127.0.0.1:$starttls_port" $((now + 61)) run
expect "STARTTLS server: two mails in all" "$(count starttls)" 2

echo "smtp_tls.sh: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
