# SPDX-License-Identifier: MIT
# (a) MemoryGraph writes, gmig reads: memories and relationships made through
# MemoryGraph's own API (context fields, unicode, float quirks, invalidated
# relationships) come out of `gmig export --from memorygraph:DB` exactly as
# MemoryGraph returns them.
. "$(dirname "$0")/lib.sh"

check "MemoryGraph's API creates a store" mg create a.db
check "MemoryGraph returns every memory and relationship" mg expect a.db exp.json
check "gmig exports the store" gm export --from memorygraph:a.db --to a.jsonl
check "every memory and relationship field matches MemoryGraph" mg check-jsonl exp.json a.jsonl
check "the invalidated relationships are there" grep -q '"label":"BLOCKS"' a.jsonl
"$GMIG" validate --store memorygraph:a.db >v.txt 2>&1 </dev/null
check "gmig validate reads the whole store" grep -q "5 nodes, 6 relationships" v.txt
check "... no bad records, no dangling endpoints" grep -q "0 bad records, 0 duplicate keys, 0 dangling" v.txt
check "... and sees MemoryGraph's \"[]\" quirk as mixed types" grep -q "context_files_involved' has types String, List" v.txt

# MemoryGraph's location rule: $MEMORY_SQLITE_PATH, else ~/.memorygraph/memory.db
check "empty location = \$MEMORY_SQLITE_PATH" env MEMORY_SQLITE_PATH="$T/a.db" "$GMIG" export --from memorygraph: --to env.jsonl
check "... the same graph" cmp a.jsonl env.jsonl
mkdir -p home/.memorygraph && cp a.db home/.memorygraph/memory.db
check "empty location = ~/.memorygraph/memory.db" env -u MEMORY_SQLITE_PATH HOME="$T/home" "$GMIG" export --from memorygraph: --to home.jsonl
check "... the same graph" cmp a.jsonl home.jsonl

# other SQLite layouts are refused with a reason
sqlite3 ts.db "CREATE TABLE memories (id TEXT PRIMARY KEY, type TEXT)"
if "$GMIG" export --from memorygraph:ts.db --to ts.jsonl >out.txt 2>err.txt; then
	fail "the TypeScript port's layout is refused"
else
	grep -q "TypeScript" err.txt && ok "the TypeScript port's layout is refused with a reason" ||
		fail "no reason given: $(cat err.txt)"
fi
if "$GMIG" export --from memorygraph:missing.db --to m.jsonl >out.txt 2>err.txt; then
	fail "a missing store is an error"
else
	ok "a missing store is an error"
fi
[ ! -e missing.db ] && ok "reading does not create the file" || fail "reading created missing.db"
done_testing
