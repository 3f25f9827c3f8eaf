# SPDX-License-Identifier: MIT
# The memorygraph and mgjson backends without Python: a generated MemoryGraph
# store survives store -> gmig JSONL -> store byte for byte, re-runs change
# nothing, a failed run leaves the target as it was, and the v2.0 JSON reads back.
. "$(dirname "$0")/lib.sh"
DATA="$GMIG_SRC/tests/data/memorygraph"
rows() {
	sqlite3 "$1" "SELECT quote(id), quote(label), quote(properties), quote(created_at),
		quote(updated_at) FROM nodes ORDER BY id; SELECT quote(id), quote(from_id),
		quote(to_id), quote(rel_type), quote(properties), quote(created_at),
		quote(valid_from), quote(valid_until), quote(recorded_at), quote(invalidated_by)
		FROM relationships ORDER BY id"
}

expect 0 "generate a MemoryGraph store" generate --profile memorygraph --nodes 200 --edges 500 --to memorygraph:a.db
check "200 memories" test "$(sqlite3 a.db 'SELECT count(*) FROM nodes')" = 200
check "FTS5 table as MemoryGraph makes it" test "$(sqlite3 a.db "SELECT count(*) FROM sqlite_master WHERE name = 'nodes_fts'")" = 1
expect 0 "dump it" export --from memorygraph:a.db --to a.jsonl
contains a.jsonl '"_mg_json_nulls":["valid_until","invalidated_by"]' "invalidated relationships carry their JSON nulls"
expect 0 "a plain path to a MemoryGraph store is recognised" export --from a.db --to p.jsonl
contains out.txt "(memorygraph -> jsonl)" "... as memorygraph"
check "... the same dump" cmp a.jsonl p.jsonl
expect 0 "write the dump into a new store" import --from a.jsonl --to memorygraph:b.db
rows a.db >r1.txt
rows b.db >r2.txt
check "every row byte for byte" cmp r1.txt r2.txt
sqlite3 b.db .dump >d1.txt
expect 0 "re-run" import --from a.jsonl --to memorygraph:b.db
sqlite3 b.db .dump >d2.txt
check "a re-run changes nothing" cmp d1.txt d2.txt
awk '/"type":"relationship"/ && !done { print "{\"type\":\"node\",\"id\":\"zz\",\"labels\":[\"Memory\"],\"properties\":{\"type\":\"nope\",\"title\":\"t\",\"content\":\"c\"}}"; done = 1 }
	/"gmig":"end"/ { sub(/"nodes":200/, "\"nodes\":201") } { print }' a.jsonl >bad.jsonl
expect 2 "a bad memory fails the run" import --batch-size 7 --from bad.jsonl --to memorygraph:b.db
contains err.txt 'memory type' "the reason is given"
sqlite3 b.db .dump >d3.txt
check "the target is as it was" cmp d1.txt d3.txt
expect 2 "a failed run into a new store" import --batch-size 7 --from bad.jsonl --to memorygraph:c.db
absent c.db "leaves no file"
absent c.db-journal "leaves no journal"
expect 2 "mgjson refuses invalidated relationships (its format has no place for them)" \
	export --from memorygraph:a.db --to a.mg.json
contains err.txt "is invalidated (valid_until is set)" "... and says why"
absent a.mg.json "... leaving no file"
expect 0 "mgjson writes MemoryGraph's export with --lossy=drop" export --from memorygraph:a.db \
	--to a.mg.json --lossy=drop --json
invalid=$(sqlite3 a.db 'SELECT count(*) FROM relationships WHERE valid_until IS NOT NULL')
check "some relationships are invalidated ($invalid)" test "$invalid" -gt 0
contains out.txt "\"dropped\":$invalid," "... and the summary counts the ones left out"
check "no trailing newline" sh -c 'test "$(tail -c 1 a.mg.json | od -An -c | tr -d " ")" = "}"'
contains a.mg.json '  "memory_count": 200,' "the counts come first"
expect 0 "mgjson reads it back (found by content)" export --from a.mg.json --to back.jsonl
contains back.jsonl '"gmig":"end","nodes":200,' "all memories read back"
expect 0 "a v1.0 file reads" export --from "$DATA/v1.json" --to v1.jsonl
contains v1.jsonl '"context_files_involved":"[]"' "empty context lists become MemoryGraph's \"[]\""
expect 2 "a file that is not SQLite is refused" export --from memorygraph:d1.txt --to x.jsonl
no_temps "no temporary files left"
done_testing
