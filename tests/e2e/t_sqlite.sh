# SPDX-License-Identifier: MIT
# The sqlite store (gmig's embedded graph store): every value type through it
# byte-identical, re-runs are no-ops, plain .db paths are probed, other SQLite
# files are refused naming their tables, and a failed run leaves no new file.
. "$(dirname "$0")/lib.sh"
: "${GMIG_SRC:?}"
have_sqlite3=0
command -v sqlite3 >/dev/null 2>&1 && have_sqlite3=1
q() { sqlite3 "$1" "$2"; }

# the graph: the generator's types case when it is there, else the fixture
if ! "$GMIG" migrate --from 'generate:?case=types' --to a.jsonl >/dev/null 2>&1; then
	rm -f a.jsonl
	expect 0 "fixture normalised to gmig JSONL" migrate \
		--from "$GMIG_SRC/tests/data/sqlite/types.jsonl" --to a.jsonl
fi

expect 0 "jsonl -> sqlite:x.db" migrate --from a.jsonl --to sqlite:x.db
absent x.db-wal "no -wal file after the run"
absent x.db-shm "no -shm file after the run"
expect 0 "plain x.db is probed as a gmig store" migrate --from x.db --to b.jsonl
contains out.txt "(sqlite -> jsonl)" "the probe chose the sqlite backend"
check "every value type round trips byte-identical" cmp -s a.jsonl b.jsonl
absent x.db-wal "reading leaves no -wal file"
absent x.db-shm "reading leaves no -shm file"

nodes=$(grep -c '"type":"node"' a.jsonl)
rels=$(grep -c '"type":"relationship"' a.jsonl)
if [ $have_sqlite3 = 1 ]; then
	check "node count in the store" test "$(q x.db 'SELECT count(*) FROM gmig_nodes')" = "$nodes"
	check "relationship count in the store" \
		test "$(q x.db 'SELECT count(*) FROM gmig_relationships')" = "$rels"
	check "store format and version" \
		test "$(q x.db "SELECT value FROM gmig_meta WHERE key IN ('format','version') ORDER BY key")" = "gmig-graph
1"
fi

# a re-run upserts: nothing changes, nothing is duplicated
expect 0 "re-run into the same store" migrate --from a.jsonl --to sqlite:x.db
if [ $have_sqlite3 = 1 ]; then
	check "re-run: node count unchanged" test "$(q x.db 'SELECT count(*) FROM gmig_nodes')" = "$nodes"
	check "re-run: relationship count unchanged" \
		test "$(q x.db 'SELECT count(*) FROM gmig_relationships')" = "$rels"
	check "two committed runs recorded" \
		test "$(q x.db "SELECT count(*) FROM gmig_runs WHERE status='committed'")" = 2
	check "the no-op run changed no row" \
		test "$(q x.db 'SELECT (SELECT count(*) FROM gmig_nodes WHERE run=2) + (SELECT count(*) FROM gmig_relationships WHERE run=2)')" = 0
fi
rm -f b.jsonl
expect 0 "read back after the re-run" migrate --from sqlite:x.db --to b.jsonl
check "still byte-identical after the re-run" cmp -s a.jsonl b.jsonl

# the .gmig.db ending selects the store for writing
expect 0 "a .gmig.db target" migrate --from a.jsonl --to y.gmig.db
rm -f c.jsonl
expect 0 "read y.gmig.db" migrate --from y.gmig.db --to c.jsonl
check "y.gmig.db round trips" cmp -s a.jsonl c.jsonl

# a failed run into a new store leaves no file
cat >bad.jsonl <<'J'
{"gmig":1}
{"type":"node","id":"a"}
{"type":"node","id":"b","properties":{"x":
{"gmig":"end","nodes":2,"relationships":0}
J
expect 2 "a bad record stops the run" migrate --from bad.jsonl --to sqlite:new.db
absent new.db "the store the run created is removed"
absent new.db-wal "no -wal left"
absent new.db-shm "no -shm left"
absent new.db-journal "no -journal left"

# two nodes with one key: refused, never merged silently
cat >dup.jsonl <<'J'
{"gmig":1}
{"type":"node","id":"a","properties":{"v":1}}
{"type":"node","id":"a","properties":{"v":2}}
{"gmig":"end","nodes":2,"relationships":0}
J
expect 2 "a duplicate key is refused" migrate --from dup.jsonl --to sqlite:dup.db
contains err.txt "cannot store two nodes with one key" "the duplicate key is explained"
absent dup.db "the refused run leaves no store"
expect 0 "with --on-error=skip the first node is kept" migrate --from dup.jsonl \
	--to sqlite:dup.db --on-error=skip --json
contains out.txt '"rejected":1' "one record rejected"
if [ $have_sqlite3 = 1 ]; then
	check "the first node's value is stored" \
		test "$(q dup.db "SELECT properties FROM gmig_nodes WHERE key='a'")" = '{"v":1}'
fi

# other SQLite files: refused, naming what was found
if [ $have_sqlite3 = 1 ]; then
	q other.db 'CREATE TABLE users(id INTEGER); CREATE TABLE orders(id INTEGER);'
	expect 2 "a plain SQLite path that is no gmig store" migrate --from other.db --to o.jsonl
	contains err.txt "'other.db' is a SQLite database but not a gmig store or a MemoryGraph database (tables: orders, users)" \
		"the registry names the tables"
	expect 2 "writing into another schema is refused" migrate --from a.jsonl --to sqlite:other.db
	contains err.txt "not a gmig store (tables: orders, users)" "the write refusal names the tables"
	check "the other database is untouched" \
		test "$(q other.db 'SELECT count(*) FROM sqlite_master')" = 2
fi
echo "not sqlite" >text.db
expect 2 "a non-SQLite file is not written over" migrate --from a.jsonl --to sqlite:text.db
check "the file is untouched" test "$(cat text.db)" = "not sqlite"
done_testing
