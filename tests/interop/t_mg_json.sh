# SPDX-License-Identifier: MIT
# (c) MemoryGraph's JSON: `memorygraph import` accepts gmig's v2.0 file, gmig
# reads `memorygraph export` output, and the two exports of one store have the
# same bytes apart from export_date and the order of memories and relationships.
. "$(dirname "$0")/lib.sh"
DATA="$GMIG_SRC/tests/data/memorygraph"

check "MemoryGraph's API creates a store" mg create a.db
gm export --from memorygraph:a.db --to g.mg.json >out.txt 2>err.txt
check "the invalidated relationship is refused, not silently dropped (exit 2)" test $? -eq 2
check "... the refusal names the reason" grep -q "is invalidated (valid_until is set)" err.txt
check "... and no file is left" test ! -e g.mg.json
check "gmig writes MemoryGraph JSON with --lossy=drop" gm export --from memorygraph:a.db --to g.mg.json --lossy=drop --json
gm export --from memorygraph:a.db --to g2.mg.json --lossy=drop --json >out.txt 2>&1
check "... and counts what it left out" grep -q '"dropped":[1-9]' out.txt
check "memorygraph export writes its JSON" env MEMORY_SQLITE_PATH="$T/a.db" "$MG" export --format json --output m.json
cat >same.py <<'PY'
import json, sys
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
ja, jb = (json.loads(x) for x in (a, b))
for j in (ja, jb):
    j.pop("export_date")
    j["memories"].sort(key=lambda m: m["id"])
    j["relationships"].sort(key=lambda r: (r["from_memory_id"], r["to_memory_id"], r["type"]))
# same keys in the same order everywhere, same values, and the same total size
assert json.dumps(ja) == json.dumps(jb), "content or key order differs"
assert len(a) == len(b), f"{len(a)} bytes vs {len(b)}"
assert not a.endswith(b"\n") and not b.endswith(b"\n")
PY
check "gmig's file = memorygraph export's, byte for byte but for date and order" "$PY" same.py g.mg.json m.json
check "memorygraph import accepts gmig's file" env MEMORY_SQLITE_PATH="$T/imp.db" "$MG" import --format json --input g.mg.json
check "... and stores every memory" test "$(sqlite3 imp.db 'SELECT count(*) FROM nodes')" = 5
check "... and every current relationship" test "$(sqlite3 imp.db 'SELECT count(*) FROM relationships')" = 4
check "gmig reads memorygraph export's file (found by its content)" gm export --from m.json --to m.jsonl
check "... 5 memories" grep -q '"gmig":"end","nodes":5,"relationships":4' m.jsonl
check "... the context flattened as MemoryGraph stores it" grep -q '"context_files_involved":\["a.py","b/c.py"\]' m.jsonl
check "... empty lists as the string \"[]\"" grep -q '"context_frameworks":"\[\]"' m.jsonl
check "gmig loads memorygraph export's file into a store" gm import --from m.json --to memorygraph:m.db
check "MemoryGraph reads that store" mg check-db m.db m.jsonl
check "gmig reads a v1.0 file (ids, Z timestamps)" gm export --from "$DATA/v1.json" --to v1.jsonl
check "... with its relationship ids" grep -q '"id":"rel-1"' v1.jsonl
check "gmig reads its own v2.0 file back" gm export --from g.mg.json --to g.jsonl
check "... 5 memories, 4 relationships" grep -q '"gmig":"end","nodes":5,"relationships":4' g.jsonl
done_testing
