#!/bin/sh
# e2e_demo - the demo mailbox through the real binary, against the tally
# worked out by hand in examples/README.md.
#
# 1. `slaclock demo` on a fresh directory prints the 2026-11 tally as CSV;
# 2. `slaclock report` on the database it left says the same;
# 3. ingesting the same Maildir again adds nothing, so the report is still
#    the same (the ingest is idempotent by Message-ID).
#
# Run by `make check` with top_srcdir and top_builddir set; by hand:
#   top_srcdir=/path/to/src top_builddir=/path/to/build sh tests/e2e_demo.sh

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
slaclock=$top_builddir/slaclock
expected=$top_srcdir/tests/expected/demo-2026-11.csv

if [ ! -x "$slaclock" ]; then
	echo "e2e_demo: $slaclock not built" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/slaclock-e2e.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

failed=0

# The CSV contract is the columns and rows; the line ending is not part of it.
check() {
	label=$1
	file=$2
	tr -d '\r' <"$file" >"$file.lf"
	if cmp -s "$expected" "$file.lf"; then
		echo "ok: $label"
	else
		echo "FAIL: $label differs from tests/expected/demo-2026-11.csv:"
		diff -u "$expected" "$file.lf"
		failed=1
	fi
}

run() {
	label=$1
	shift
	if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
		echo "FAIL: $label exited non-zero:"
		cat "$tmp/err"
		exit 1
	fi
}

run "slaclock demo" "$slaclock" demo --dir "$tmp" \
	--examples "$top_srcdir/examples" --format csv
check "slaclock demo --format csv" "$tmp/out"

for f in slaclock.conf slaclock.db; do
	if [ ! -f "$tmp/$f" ]; then
		echo "FAIL: slaclock demo left no $f in --dir"
		exit 1
	fi
done

run "slaclock report" "$slaclock" report -c "$tmp/slaclock.conf" \
	--month 2026-11 --format csv
check "slaclock report after the demo" "$tmp/out"

run "slaclock ingest (again)" "$slaclock" ingest -c "$tmp/slaclock.conf" \
	--maildir "$top_srcdir/examples/maildir"
run "slaclock report" "$slaclock" report -c "$tmp/slaclock.conf" \
	--month 2026-11 --format csv
check "slaclock report after ingesting the demo mailbox twice" "$tmp/out"

# The same mailbox as one mbox file, written newest first and with
# mboxrd quoting: the times on the "From " lines order it, and the tally
# is the same.
mkdir "$tmp/mbox"
sed "s|^path = .*|path = $tmp/mbox/slaclock.db|" "$tmp/slaclock.conf" >"$tmp/mbox/slaclock.conf"
/usr/bin/python3 - "$top_srcdir/examples/maildir" "$tmp/mbox/demo.mbox" <<'PY'
import glob, os, sys, time
files = []
for sub in ("cur", "new", ".Sent/cur", ".Sent/new"):
    for f in glob.glob(os.path.join(sys.argv[1], sub, "*")):
        if not os.path.basename(f).startswith("."):
            files.append((int(os.path.basename(f).split(".")[0]), f))
with open(sys.argv[2], "wb") as out:
    for t, f in sorted(files, reverse=True):
        out.write(b"From MAILER-DAEMON " + time.strftime("%a %b %e %H:%M:%S %Y",
                  time.gmtime(t)).encode() + b"\n")
        for line in open(f, "rb").read().split(b"\n"):
            out.write((b">" if line.lstrip(b">").startswith(b"From ") else b"") + line + b"\n")
        out.write(b"\n")
PY
run "slaclock ingest --mbox" "$slaclock" ingest -c "$tmp/mbox/slaclock.conf" \
	--mbox "$tmp/mbox/demo.mbox"
run "slaclock report" "$slaclock" report -c "$tmp/mbox/slaclock.conf" \
	--month 2026-11 --format csv
check "slaclock report after ingesting the demo as an mbox" "$tmp/out"

# Every demo clock is decided (all deadlines fall in November): nothing
# open, 117 events (70 messages and their markers, assignments and
# priorities), the second ingest having added none.
run "slaclock status" "$slaclock" status -c "$tmp/slaclock.conf"
if ! grep -q '^117 events, 17 tickets, 0 open clocks, 0 outbox rows waiting$' "$tmp/out"; then
	echo "FAIL: slaclock status:"
	cat "$tmp/out"
	failed=1
else
	echo "ok: slaclock status"
fi

exit $failed
