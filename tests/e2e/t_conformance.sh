# SPDX-License-Identifier: MIT
# The conformance matrix (tests/conformance.tsv): every graph case through every
# format and back to gmig JSONL, byte-identical, or refused as the table says.
. "$(dirname "$0")/lib.sh"
: "${GMIG_SRC:?}"

ext_of() { # column name -> file name for the format
	case $1 in
	jsonl) echo x.jsonl ;;
	jsonl.gz) echo x.jsonl.gz ;;
	jsonl.zst) echo x.jsonl.zst ;;
	apoc) echo apoc:x.json ;;
	csv) echo csv:xdir ;;
	graphml) echo x.graphml ;;
	cypher) echo x.cypher ;;
	sqlite) echo sqlite:x.db ;;
	esac
}
path_of() { echo "${1#*:}"; }

header=$(grep '^# case' "$GMIG_SRC/tests/conformance.tsv" | sed 's/^# //')
set -- $header
shift
formats="$*"
grep -v '^#' "$GMIG_SRC/tests/conformance.tsv" | while read -r case cells; do
	[ -n "$case" ] || continue
	rm -rf -- a.jsonl b.jsonl x.* xdir
	"$GMIG" generate --case "$case" --to a.jsonl >/dev/null 2>err.txt ||
		{ echo "not ok - generate --case $case: $(head -c 300 err.txt)"; echo FAIL >>failures; continue; }
	set -- $cells
	for f in $formats; do
		want=$1
		shift
		uri=$(ext_of "$f")
		[ -n "$uri" ] || continue # a server's column (falkordb: t_falkordb.sh)
		path=$(path_of "$uri")
		rm -rf -- b.jsonl "$path"
		"$GMIG" migrate --from a.jsonl --to "$uri" >/dev/null 2>err.txt
		st=$?
		case $want in
		same)
			if [ $st -ne 0 ]; then
				echo "not ok - $case -> $f: exit $st: $(head -c 300 err.txt)"; echo FAIL >>failures
			elif ! "$GMIG" migrate --from "$uri" --to b.jsonl >/dev/null 2>err.txt; then
				echo "not ok - $f -> jsonl for $case: $(head -c 300 err.txt)"; echo FAIL >>failures
			elif ! cmp -s a.jsonl b.jsonl; then
				echo "not ok - $case via $f is not byte-identical:"
				diff a.jsonl b.jsonl | head -6 | sed 's/^/#   /'
				echo FAIL >>failures
			else
				echo "ok - $case via $f: byte-identical"
			fi ;;
		refuse)
			if [ $st -eq 2 ] && grep -q "cannot store" err.txt && [ ! -e "$path" ]; then
				echo "ok - $case -> $f refused: $(grep -o 'has a [A-Za-z]* value' err.txt | head -1)"
			else
				echo "not ok - $case -> $f: wanted a refusal, got exit $st: $(head -c 300 err.txt)"
				echo FAIL >>failures
			fi ;;
		write)
			if [ $st -eq 0 ] && [ -s "$path" ]; then echo "ok - $case -> $f written"
			else echo "not ok - $case -> $f: exit $st: $(head -c 300 err.txt)"; echo FAIL >>failures; fi ;;
		esac
	done
done
if [ -e failures ]; then
	echo "# $(wc -l <failures) cells failed"
	exit 1
fi
echo "# all cells pass"
