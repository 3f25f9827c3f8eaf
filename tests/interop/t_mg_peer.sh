# SPDX-License-Identifier: MIT
# (d) What MemoryGraph's own migrate gets wrong, gmig gets right:
# re-runs change nothing; a non-empty target keeps its data and a failed run
# removes only its own writes; every field survives SQLite -> gmig JSONL ->
# SQLite byte for byte; unicode, a 1 MB content, 10 000 relationships on one
# memory and cycles are kept.
. "$(dirname "$0")/lib.sh"
DATA="$GMIG_SRC/tests/data/memorygraph"

check "MemoryGraph's API creates a store" mg create a.db
check "gmig dumps it to gmig JSONL" gm export --from memorygraph:a.db --to a.jsonl
check "gmig writes the dump into a new store" gm import --from a.jsonl --to memorygraph:b.db
check "every row is byte for byte the same" same_rows a.db b.db
schema a.db >s1.txt
schema b.db >s2.txt
check "the schema is the same" cmp s1.txt s2.txt
check "store -> store directly, the same rows" gm migrate --from memorygraph:a.db --to memorygraph:c.db
check "... byte for byte" same_rows a.db c.db

# re-running changes nothing (MemoryGraph's import duplicates relationships)
sqlite3 b.db .dump >d1.txt
check "re-running the migration succeeds" gm import --from a.jsonl --to memorygraph:b.db
sqlite3 b.db .dump >d2.txt
check "... and changes nothing" cmp d1.txt d2.txt
check "a graph without ids or timestamps goes in" gm import --from "$DATA/foreign.jsonl" --to memorygraph:f.db
sqlite3 f.db .dump >f1.txt
sleep 1
check "... and again" gm import --from "$DATA/foreign.jsonl" --to memorygraph:f.db
sqlite3 f.db .dump >f2.txt
check "... without a new relationship or timestamp" cmp f1.txt f2.txt

# a non-empty target keeps what it had (MemoryGraph's rollback deletes everything)
check "MemoryGraph makes another store" mg create other.db
sqlite3 other.db "UPDATE nodes SET id = 'pre-' || id, properties = replace(properties, '\"id\": \"', '\"id\": \"pre-');
	UPDATE relationships SET id = 'pre-' || id, from_id = 'pre-' || from_id, to_id = 'pre-' || to_id"
rows other.db >before.txt
check "gmig migrates into the non-empty store" gm import --from a.jsonl --to memorygraph:other.db
rows other.db >after.txt
check "... every row that was there is still there, unchanged" sh -c 'grep -vxFf after.txt before.txt | (! grep -q .)'
check "... and the new ones are added" test "$(sqlite3 other.db 'SELECT count(*) FROM nodes')" = 10

# a failed run removes only what it wrote
# the bad memory comes after 5 good ones; with 2 records per batch some were written
awk '/"type":"relationship"/ && !done { print "{\"type\":\"node\",\"id\":\"zz\",\"labels\":[\"Memory\"],\"properties\":{\"type\":\"bogus\",\"title\":\"t\",\"content\":\"c\"}}"; done = 1 }
	/"gmig":"end"/ { sub(/"nodes":5/, "\"nodes\":6") } { print }' a.jsonl >bad.jsonl
sqlite3 other.db .dump >o1.txt
if "$GMIG" import --batch-size 2 --from bad.jsonl --to memorygraph:other.db >out.txt 2>err.txt; then
	fail "a bad record fails the run"
else
	ok "a bad record fails the run"
fi
check "... with a reason" grep -q 'memory type' err.txt
sqlite3 other.db .dump >o2.txt
check "... and the target is as it was" cmp o1.txt o2.txt
"$GMIG" import --batch-size 2 --from bad.jsonl --to memorygraph:new.db >/dev/null 2>&1
check "... a store the failed run created is removed" test ! -e new.db -a ! -e new.db-journal

# big: 1 MB content, 10 000 relationships on one memory, cycles, unicode
check "a big graph" mg big big.jsonl
check "gmig writes it" gm import --from big.jsonl --to memorygraph:big.db
check "... all 10 004 relationships" test "$(sqlite3 big.db 'SELECT count(*) FROM relationships')" = 10004
check "MemoryGraph returns the 1 MB memory, the 10 000 relationships and the cycles" mg big-check big.db
check "gmig dumps it" gm export --from memorygraph:big.db --to big2.jsonl
check "... and writes it again" gm import --from big2.jsonl --to memorygraph:big2.db
check "... byte for byte" same_rows big.db big2.db
done_testing
