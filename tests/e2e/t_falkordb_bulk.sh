# SPDX-License-Identifier: MIT
# The falkordb backend's GRAPH.BULK write path (src/backends/falkordb_bulk.c)
# against a real FalkorDB server (tests/servers/falkordb.sh): a new graph
# loaded with ?write=bulk is the same graph as one written with ?write=unwind
# (gmig verify, and the read-back equal to the source as sets of lines), for
# the conformance cases, every storable type, values and names GRAPH.BULK
# cannot carry (sent afterwards with Cypher), several calls and a spilled key
# map; a re-run upserts; a failed run leaves no graph; bad records are named.
. "$(dirname "$0")/lib.sh"
falkordb_up

same_set() { # a b: the same lines in any order
	sort "$1" >s1.txt && sort "$2" >s2.txt && cmp -s s1.txt s2.txt ||
		{ diff s1.txt s2.txt | head -4 | cut -c1-300 | sed 's/^/# /'; return 1; }
}
redis() { # command args...: one Redis command, its reply printed
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
try: print(r.execute_command(*sys.argv[2:]))
except Exception as e: print('ERR', e)" "${addr#*:}" "$@"
}
counts() { # graph -> "nodes rels"
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
q = lambda s: r.execute_command('GRAPH.RO_QUERY', sys.argv[2], s)[1][0][0]
print(q('MATCH (n) RETURN count(n)'), q('MATCH ()-[r]->() RETURN count(r)'))" "${addr#*:}" "$1"
}
exists() { test "$(redis EXISTS "$1")" = 1; }
# both FILE NAME [bulk-params]: FILE into NAME_b (bulk) and NAME_u (unwind); verify clean,
# and NAME_b read back equal to FILE
both() {
	rm -f back.jsonl
	if "$GMIG" migrate --from "$1" --to "$U/${2}_b?write=bulk${3:-}" >out.txt 2>err.txt </dev/null &&
		"$GMIG" migrate --from "$1" --to "$U/${2}_u?write=unwind" >>out.txt 2>>err.txt </dev/null &&
		"$GMIG" verify --from "$U/${2}_b" --to "$U/${2}_u" >>out.txt 2>>err.txt </dev/null &&
		"$GMIG" migrate --from "$U/${2}_b" --to back.jsonl >>out.txt 2>>err.txt </dev/null &&
		same_set "$1" back.jsonl; then
		ok "$2: bulk and unwind give the same graph, and it reads back as the source"
	else
		fail "$2: bulk and unwind differ or the source does not read back"
		head -5 err.txt | cut -c1-300 | sed 's/^/# /'
	fi
}

# the conformance cases FalkorDB stores, through GRAPH.BULK
col=$(grep '^# case' "$GMIG_SRC/tests/conformance.tsv" | tr -s ' \t' '\n' | grep -n '^falkordb$' | cut -d: -f1)
col=$((col - 2))
grep -v '^#' "$GMIG_SRC/tests/conformance.tsv" | while read -r case cells; do
	[ -n "$case" ] || continue
	[ "$(echo "$cells" | tr -s ' \t' '\n' | sed -n "${col}p")" = same ] || continue
	"$GMIG" generate --case "$case" --to "c_$case.jsonl" >/dev/null 2>&1 </dev/null
	both "c_$case.jsonl" "c_$case" >case.txt
	cat case.txt
	grep -q '^not ok' case.txt && echo x >>case_failures
done
check "the conformance cases FalkorDB stores load the same through GRAPH.BULK" test ! -e case_failures

# every storable type, including the ones GRAPH.BULK cannot carry (dates, points, vectors)
both "$GMIG_SRC/tests/data/falkordb/types.jsonl" types

# many records over several GRAPH.BULK calls (bulk_size 64K), with values and names only
# Cypher carries: dates/local times on nodes, labels and types with ':', points on
# relationships, keyless relationships
awk -v N=3000 -v R=9000 'BEGIN {
	print "{\"gmig\":1}"
	for (i = 0; i < N; i++) {
		l = (i % 7 == 0) ? "[\"M\",\"odd:label\"]" : (i % 2 ? "[\"M\"]" : "[\"M\",\"N\"]")
		p = sprintf("\"d\":{\"$type\":\"Date\",\"_value\":\"2020-01-%02d\"},\"i\":%d", i % 28 + 1, i)
		if (i % 3 == 0) p = p sprintf(",\"lt\":{\"$type\":\"LocalTime\",\"_value\":\"12:00:%02d\"}", i % 60)
		if (i % 2) p = p sprintf(",\"s\":\"node %d\"", i)
		printf "{\"type\":\"node\",\"id\":\"m%d\",\"labels\":%s,\"properties\":{%s}}\n", i, l, p
	}
	for (i = 0; i < R; i++) {
		t = (i % 11 == 0) ? "odd:type" : "R"
		k = (i % 4 == 3) ? "" : sprintf("\"id\":\"e%d\",", i)
		p = (i % 5 == 0) ? sprintf("\"pt\":{\"$type\":\"Point\",\"_value\":\"SRID=4326;POINT (%d.5 %d.25)\"},", i % 90, i % 45) : ""
		p = p sprintf("\"w\":%d", i)
		printf "{\"type\":\"relationship\",%s\"label\":\"%s\",\"start\":\"m%d\",\"end\":\"m%d\",\"properties\":{%s}}\n", k, t, i % N, (i * 7 + 3) % N, p
	}
	printf "{\"gmig\":\"end\",\"nodes\":%d,\"relationships\":%d}\n", N, R
}' >mixed.jsonl
both mixed.jsonl mixed "&bulk_size=64K"

# a plain random graph, its key map spilled to disk (map_memory 24K: ~800 keys in memory)
"$GMIG" generate --nodes 4000 --edges 16000 --profile plain --to plain.jsonl >/dev/null 2>&1 </dev/null
both plain.jsonl plain "&bulk_size=256K"
rm -f back.jsonl
if "$GMIG" migrate --from plain.jsonl --to "$U/spill?write=bulk&map_memory=24K" >out.txt 2>err.txt </dev/null &&
	"$GMIG" verify --from "$U/spill" --to "$U/plain_b" >>out.txt 2>>err.txt </dev/null &&
	"$GMIG" migrate --from "$U/spill" --to back.jsonl >>out.txt 2>>err.txt </dev/null &&
	same_set plain.jsonl back.jsonl; then
	ok "a key map spilled to disk gives the same graph"
else
	fail "a key map spilled to disk gives another graph"; head -3 err.txt | sed 's/^/# /'
fi

# a re-run into the loaded graph upserts (UNWIND + MERGE, through the key indexes)
before=$(counts plain_b)
expect 0 "a re-run into a bulk-loaded graph" migrate --from plain.jsonl --to "$U/plain_b"
check "the re-run is a no-op (counts $before)" test "$(counts plain_b)" = "$before"
expect 0 "a re-run of the mixed graph" migrate --from mixed.jsonl --to "$U/mixed_b"
# relationships without a key are created again (as with UNWIND: nothing identifies them)
check "the mixed re-run adds only the 2250 keyless relationships ($(counts mixed_b))" \
	test "$(counts mixed_b)" = "3000 11250"
redis GRAPH.QUERY plain_b "CALL db.indexes() YIELD label, properties RETURN label, properties" >idx.txt
contains idx.txt "_gmig" "the bulk load made the node key index"
contains idx.txt "KNOWS" "and the relationship key indexes"

# a failure part-way leaves no graph: a batch fails after GRAPH.BULK calls were sent
GMIG_FAULT=fail_after_batches:3 "$GMIG" migrate --batch-size 2000 --from plain.jsonl \
	--to "$U/failed?write=bulk&bulk_size=1K" >out.txt 2>err.txt </dev/null
st=$?
check "a failing run exits 2 (got $st)" test $st = 2
check "and leaves no graph behind" test "$(redis EXISTS failed)" = 0
# a dangling relationship after many records: refused, named, nothing left
{ sed '$d' plain.jsonl
	echo '{"type":"relationship","id":"late","label":"R","start":"n1","end":"nowhere"}'
	echo '{"gmig":"end","nodes":4000,"relationships":16001}'; } >dangling.jsonl
expect 2 "a dangling relationship is refused" migrate --from dangling.jsonl --to "$U/dangling?write=bulk&bulk_size=1K"
contains err.txt "relationship 'late' (line 20002): its end node 'nowhere' is not in falkordb" \
	"the message names the relationship and the missing node"
check "the refused run leaves no graph behind" test "$(redis EXISTS dangling)" = 0
"$GMIG" generate --case dupkey --to dup.jsonl >/dev/null 2>&1 </dev/null
expect 2 "two nodes with one key are refused" migrate --from dup.jsonl --to "$U/dup?write=bulk"
contains err.txt "node 'n0' (line 3)" "the message names the second node"
check "the refused run leaves no graph behind" test "$(redis EXISTS dup)" = 0
# with --on-error skip the bad record goes to the reject log, the rest is loaded
expect 0 "--on-error skip loads the rest" migrate --on-error skip --from dangling.jsonl --to "$U/skipped"
check "all but the dangling relationship are there" test "$(counts skipped)" = "4000 16000"

# parameters
expect 2 "write=bulk into an existing graph is refused" migrate --from plain.jsonl --to "$U/plain_b?write=bulk"
contains err.txt "write=bulk needs a new graph" "the refusal says why"
expect 2 "an unknown write mode is refused" migrate --from plain.jsonl --to "$U/x?write=fast"
expect 2 "a bad map_memory is refused" migrate --from plain.jsonl --to "$U/x?map_memory=lots"
check "refused runs leave no graph" test "$(redis EXISTS x)" = 0
done_testing
