# SPDX-License-Identifier: MIT
# A single 2 GB APOC JSON document is read in bounded memory (256 MB under the
# sanitizers, which are slow): peak RSS must stay far below the input size.
. "$(dirname "$0")/lib.sh"
: "${GMIG_SRC:?}"
MB=${GMIG_BIG_JSON_MB:-2048}
case "${GMIG_BUILD:-}" in *asan*) MB=256 ;; esac

python3 "$GMIG_SRC/tests/e2e/gen_apoc_json.py" "$MB" 2>counts.txt |
	/usr/bin/time -f "%M" -o rss.txt "$GMIG" migrate --from apoc:- --to jsonl:big.jsonl.zst \
		--json >out.txt 2>err.txt
st=$?
check "a ${MB} MB JSON document converts (exit $st)" test $st -eq 0
read -r nodes rels <counts.txt
contains out.txt "\"nodes_written\":$nodes" "all $nodes nodes written"
contains out.txt "\"relationships_written\":$rels" "all $rels relationships written"
rss=$(tail -1 rss.txt)
echo "# peak RSS ${rss} KiB for a ${MB} MB document"
limit=200000
case "${GMIG_BUILD:-}" in *asan*) limit=600000 ;; esac
check "peak RSS ${rss} KiB stays below ${limit} KiB" test "$rss" -lt "$limit"
done_testing
