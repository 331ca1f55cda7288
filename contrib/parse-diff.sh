#!/bin/sh
# parse-diff.sh - what two slaclock builds read out of the same mail.
#
#   sh contrib/parse-diff.sh OLD-SLACLOCK NEW-SLACLOCK [DIR...]
#
# Runs `slaclock parse` of both binaries over every *.eml under each DIR
# (default $SLACLOCK_CORPORA, else ../shared/corpora) and diffs the JSON,
# file by file. Exits 0 when the output is byte-identical, 1 with the
# differing files on stdout otherwise. For a parser change meant to move
# nothing (a faster MIME walk, a cache): build the commit before it in a
# second build directory and compare.
set -eu

[ $# -ge 2 ] || { echo "usage: sh contrib/parse-diff.sh OLD NEW [DIR...]" >&2; exit 64; }
old=$1
new=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "${SLACLOCK_CORPORA:-$top/../shared/corpora}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

find "$@" -type f -name '*.eml' | LC_ALL=C sort >"$tmp/list"
n=0
bad=0
while IFS= read -r f; do
	n=$((n + 1))
	"$old" parse "$f" >"$tmp/a" 2>&1 || :
	"$new" parse "$f" >"$tmp/b" 2>&1 || :
	if ! cmp -s "$tmp/a" "$tmp/b"; then
		bad=$((bad + 1))
		echo "differs: $f"
	fi
done <"$tmp/list"
echo "parse-diff: $n files, $bad differ"
[ "$bad" -eq 0 ]
