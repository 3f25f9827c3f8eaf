# SPDX-License-Identifier: MIT
# (b) gmig writes, MemoryGraph reads: a MemoryGraph store written by gmig from a
# gmig JSONL file returns the same memories and relationships through
# MemoryGraph's get_memory, search_memories, get_related_memories and
# get_relationship_history, and `memorygraph export` of it succeeds.
. "$(dirname "$0")/lib.sh"
DATA="$GMIG_SRC/tests/data/memorygraph"

check "gmig writes a store from a graph of its own" gm import --from "$DATA/foreign.jsonl" --to memorygraph:f.db
check "MemoryGraph returns its memories and relationships" mg check-db f.db "$DATA/foreign.jsonl"
check "MemoryGraph makes a reference store" mg create ref.db
schema ref.db >s1.txt
schema f.db >s2.txt
check "gmig's schema is MemoryGraph's, statement for statement" cmp s1.txt s2.txt
check "memorygraph export of gmig's store succeeds" env MEMORY_SQLITE_PATH="$T/f.db" "$MG" export --format json --output fm.json
check "... with all 3 memories" grep -q '"memory_count": 3' fm.json

check "gmig dumps MemoryGraph's store" gm export --from memorygraph:ref.db --to ref.jsonl
check "gmig writes it into a new store" gm import --from ref.jsonl --to memorygraph:ref2.db
check "MemoryGraph returns the same memories and relationships" mg check-db ref2.db ref.jsonl
check "memorygraph export of it succeeds" env MEMORY_SQLITE_PATH="$T/ref2.db" "$MG" export --format json --output r2.json
check "... with all 5 memories" grep -q '"memory_count": 5' r2.json
done_testing
