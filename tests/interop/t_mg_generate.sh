# SPDX-License-Identifier: MIT
# `gmig generate --profile memorygraph` writes a store MemoryGraph reads whole:
# every memory parses (get_memory), invalidated relationships are there, and
# `memorygraph export` of it succeeds; the store round-trips byte for byte.
. "$(dirname "$0")/lib.sh"

check "gmig generates a MemoryGraph store" gm generate --profile memorygraph --nodes 300 --edges 600 --seed 7 --to memorygraph:g.db
check "... 300 memories, 600 relationships" test "$(sqlite3 g.db 'SELECT count(*) FROM nodes'),$(sqlite3 g.db 'SELECT count(*) FROM relationships')" = "300,600"
check "... 60 of them invalidated" test "$(sqlite3 g.db 'SELECT count(*) FROM relationships WHERE valid_until IS NOT NULL')" = 60
check "... whose JSON still says null, as MemoryGraph leaves it" test "$(sqlite3 g.db "SELECT count(*) FROM relationships WHERE json_extract(properties, '\$.valid_until') IS NULL")" = 600
mg expect g.db exp.json >exp.txt 2>&1
check "MemoryGraph returns all 300 memories and 600 relationships" grep -q '^300 memories, 600 relationships' exp.txt
check "memorygraph export of it succeeds" env MEMORY_SQLITE_PATH="$T/g.db" "$MG" export --format json --output g.json
check "... with all 300 memories" grep -q '"memory_count": 300' g.json
check "gmig dumps the store" gm export --from memorygraph:g.db --to g.jsonl
check "... and every field matches MemoryGraph" mg check-jsonl exp.json g.jsonl
check "the same seed gives the same graph" gm generate --profile memorygraph --nodes 300 --edges 600 --seed 7 --to g1.jsonl
check "... twice" gm generate --profile memorygraph --nodes 300 --edges 600 --seed 7 --to g2.jsonl
check "... byte for byte" cmp g1.jsonl g2.jsonl
check "gmig writes the dump into a new store" gm import --from g.jsonl --to memorygraph:g3.db
check "... byte for byte" same_rows g.db g3.db
done_testing
