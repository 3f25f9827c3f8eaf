# SPDX-License-Identifier: MIT
# Keys from before the run on a real FalkorDB server (tests/servers/falkordb.sh):
# a graph with data from before and a source overlapping it (its last 300
# nodes and 600 relationships, the relationships mostly of other types);
# --fail-on-existing exits 2 naming the key and the run is rolled back (the
# graph equals its pre-run dump), also when a resumed run writes its last
# batch again; --skip-duplicates keeps the stored records and counts them;
# into a new graph both pass; the default (upsert) replaces labels too (and a
# rollback restores them); an upsert re-run is a no-op.
. "$(dirname "$0")/lib.sh"
falkordb_up
redis() { # redis COMMAND ARGS...: prints the reply
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
v = r.execute_command(*sys.argv[2:]); print(v.decode() if isinstance(v, bytes) else v)" "${addr#*:}" "$@"
}
dump() { "$GMIG" export --from "$1" --to - 2>/dev/null </dev/null; }
equal() { # description from-uri to-uri: gmig verify finds them equal
	if "$GMIG" verify --from "$2" --to "$3" >verify.txt 2>&1 </dev/null; then ok "$1"; else
		fail "$1"; grep -v '^ ' verify.txt | head -5 | sed 's/^/# /'; fi
}
same_dump() { # description uri file: the graph's dump is the file
	dump "$2" >now.jsonl
	if cmp -s now.jsonl "$3"; then ok "$1"; else fail "$1: the dump differs from $3"; fi
}

expect 0 "a source graph" generate --profile plain --nodes 1000 --edges 4000 --to src.jsonl
expect 0 "another graph" generate --profile plain --nodes 300 --edges 600 --seed 7 --to pre0.jsonl
# its keys moved to the source's last ones: n700..n999, r3400..r3999
"$PY" - pre0.jsonl pre.jsonl <<'EOF'
import json, sys
out = open(sys.argv[2], "w", encoding="utf-8")
sh = lambda k, o: k[0] + str(int(k[1:]) + o)
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r.get("type") == "node":
        r["id"] = sh(r["id"], 700)
    elif r.get("type") == "relationship":
        r["id"] = sh(r["id"], 3400)
        r["start"], r["end"] = sh(r["start"], 700), sh(r["end"], 700)
    out.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
EOF
check "... with the source's last keys" grep -q '"id":"r3999","label"' pre.jsonl
expect 0 "the graph from before" migrate --from pre.jsonl --to "$U/g"
dump "$U/g" >before.jsonl
check "... its dump has its 900 records" test "$(grep -c '"type":' before.jsonl)" = 900

# --fail-on-existing: batches 1 and 2 are new, batch 3 holds n700
expect 2 "--fail-on-existing over keys from before" migrate --from src.jsonl --to "$U/g" \
	--fail-on-existing --batch-size 250 --json
contains err.txt "invalid node 'n700' (line 702) for falkordb $addr/g: its key is already in the graph (--fail-on-existing)" "... names the first such key"
contains err.txt "was rolled back" "... and rolls the run back"
contains out.txt '"nodes_written":500,' "... after two batches were written"
same_dump "... the graph equals its pre-run dump" "$U/g" before.jsonl
equal "... gmig verify: equal to the data from before" pre.jsonl "$U/g"
check "... the run is marked rolled back" test "$(redis HGET gmig:runs:g 2 | cut -d' ' -f1)" = rolled-back
cat >rel.jsonl <<'EOF'
{"gmig":1}
{"type":"node","id":"x1","labels":["X"],"properties":{}}
{"type":"node","id":"x2","labels":["X"],"properties":{}}
{"type":"relationship","id":"r3400","label":"NEW_TYPE","start":"x1","end":"x2","properties":{}}
{"gmig":"end","nodes":2,"relationships":1}
EOF
expect 2 "--fail-on-existing: a relationship key from before, of another type, between new nodes" \
	migrate --from rel.jsonl --to "$U/g" --fail-on-existing
contains err.txt "invalid relationship 'r3400' (line 4) for falkordb $addr/g: its key is already in the graph" "... names it"
same_dump "... the graph equals its pre-run dump" "$U/g" before.jsonl
expect 0 "... --skip-duplicates" migrate --from rel.jsonl --to "$U/g" --skip-duplicates --json
contains out.txt '"skipped":1,' "... skips it"
expect 0 "... rolled back" rollback --run "$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' out.txt)" --to "$U/g"
same_dump "... the graph equals its pre-run dump" "$U/g" before.jsonl

# a resumed run writes the batch after its checkpoint again: those keys are its own
GMIG_FAULT=crash_after_batches:1 "$GMIG" migrate --from src.jsonl --to "$U/g" --fail-on-existing \
	--batch-size 250 --checkpoint ck >/dev/null 2>&1 </dev/null
check "a --fail-on-existing run crashes after batch 1" test $? = 137
cp ck ck1
GMIG_FAULT=crash_after_batches:1 "$GMIG" migrate --resume --to "$U/g" --checkpoint ck \
	>/dev/null 2>&1 </dev/null
check "... resumed, it crashes after batch 2" test $? = 137
cp ck1 ck
expect 2 "... resumed from the checkpoint of batch 1, it writes batch 2 again" migrate --resume \
	--to "$U/g" --checkpoint ck
contains err.txt "invalid node 'n700' (line 702)" "... and fails at n700 (not at its own n250)"
contains err.txt "was rolled back" "... rolled back"
same_dump "... the graph equals its pre-run dump" "$U/g" before.jsonl

# into a new graph there is nothing from before
expect 0 "--fail-on-existing into a new graph (GRAPH.BULK)" migrate --from src.jsonl --to "$U/new1" --fail-on-existing
expect 0 "--fail-on-existing into a new graph (write=unwind)" migrate --from src.jsonl --to "$U/new2?write=unwind" --fail-on-existing --batch-size 700
expect 0 "--skip-duplicates into a new graph (write=unwind)" migrate --from src.jsonl --to "$U/new3?write=unwind" --skip-duplicates --json
contains out.txt '"skipped":0,' "... skips nothing"

# --skip-duplicates keeps what is there and counts it
expect 0 "--skip-duplicates over keys from before" migrate --from src.jsonl --to "$U/g" \
	--skip-duplicates --batch-size 250 --json
contains out.txt '"skipped":900,' "... 300 nodes and 600 relationships skipped"
check "... and per label and type" test "$(rows_skipped out.txt)" = 900
contains out.txt '"nodes_written":1000,' "... counted as written: the nodes"
contains out.txt '"relationships_written":4000,' "... and the relationships"
contains out.txt '"verified":true' "... verified"
dump "$U/g" >skip.jsonl
check "... 1000 nodes" test "$(grep -c '"type":"node"' skip.jsonl)" = 1000
check "... 4000 relationships: none twice" test "$(grep -c '"type":"relationship"' skip.jsonl)" = 4000
for k in '"id":"n700",' '"id":"n999",' '"id":"r3400",' '"id":"r3999",'; do
	grep -F "$k" before.jsonl >a.txt
	grep -F "$k" skip.jsonl >b.txt
	check "... $k keeps its content from before" cmp -s a.txt b.txt
done
grep -F '"id":"n10",' src.jsonl >a.txt
grep -F '"id":"n10",' skip.jsonl >b.txt
check "... a new node has the source's content" cmp -s a.txt b.txt
expect 0 "--skip-duplicates again" migrate --from src.jsonl --to "$U/g" --skip-duplicates --json
contains out.txt '"skipped":5000,' "... skips all 5000 records"
same_dump "... and changes nothing" "$U/g" skip.jsonl
expect 0 "... rolled back" rollback --run "$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' out.txt)" --to "$U/g"
same_dump "... which changes nothing either" "$U/g" skip.jsonl

# --skip-duplicates, crash, --resume: the same as in one go
expect 0 "another graph from before" migrate --from pre.jsonl --to "$U/h"
GMIG_FAULT=crash_after_batches:3 "$GMIG" migrate --from src.jsonl --to "$U/h" --skip-duplicates \
	--batch-size 250 --checkpoint ckh >/dev/null 2>&1 </dev/null
check "--skip-duplicates crashes after batch 3 (n700..n749 skipped)" test $? = 137
expect 0 "... --resume" migrate --resume --to "$U/h" --checkpoint ckh --json
contains out.txt '"skipped":900,' "... 900 skipped in all"
same_dump "... the graph is the one written in one go" "$U/h" skip.jsonl

# the default, upsert, over keys from before: properties and labels replaced; rolled back,
# the labels from before come back
expect 0 "upsert over keys from before" migrate --from src.jsonl --to "$U/h" --json
run=$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' out.txt)
grep '"type":"node"' src.jsonl | sort >a.txt
dump "$U/h" | grep '"type":"node"' | sort >b.txt
check "... every node is the source's, labels too" cmp -s a.txt b.txt
expect 0 "... rolled back" rollback --run "$run" --to "$U/h"
same_dump "... the graph is as before, labels too" "$U/h" skip.jsonl

# the default, upsert: a re-run changes nothing (into a graph it wrote, and into one
# with data from before, from a source equal to it)
for g in new2 g; do
	[ $g = g ] && src=skip.jsonl || src=src.jsonl
	dump "$U/$g" >up.jsonl
	expect 0 "upsert into $g, from a source it equals" migrate --from $src --to "$U/$g" --json
	run=$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' out.txt)
	contains out.txt '"skipped":0,' "... skips nothing"
	check "... has nothing to undo (changed nothing)" test "$(redis EXISTS "gmig:undo:$g:$run")" = 0
	same_dump "... the graph's dump is the same" "$U/$g" up.jsonl
done
done_testing
