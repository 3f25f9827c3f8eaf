# SPDX-License-Identifier: MIT
# The migration manager on a real FalkorDB server (tests/servers/falkordb.sh):
# crash after each batch K + --resume ends equal to the source (gmig verify);
# a graph with data from before + a run failing mid-way equals its pre-run
# copy after the automatic rollback and after gmig rollback; rollback order
# between runs; a re-run is a no-op; --lossy=stringify|drop with the types case.
. "$(dirname "$0")/lib.sh"
falkordb_up
B=250 # 1000 nodes + 4000 relationships = 20 batches
N=20
runid() { sed -n 's/.*"run":\([0-9]*\).*/\1/p' "$1"; }
redis() { # redis COMMAND ARGS...: prints the reply
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
v = r.execute_command(*sys.argv[2:]); print(v.decode() if isinstance(v, bytes) else v)" "${addr#*:}" "$@"
}
equal() { # description from-uri to-uri: gmig verify finds them equal
	if "$GMIG" verify --from "$2" --to "$3" >verify.txt 2>&1 </dev/null; then ok "$1"; else
		fail "$1"; grep -v '^ ' verify.txt | head -5 | sed 's/^/# /'; fi
}

expect 0 "a source graph" generate --profile plain --nodes 1000 --edges 4000 --to src.jsonl
expect 0 "a graph from before, overlapping the source's keys" generate --profile plain --nodes 300 --edges 600 --seed 7 --to pre.jsonl

# crash after batch K, then --resume: the same graph as the source, no duplicates
bad=0
k=1
while [ $k -le $N ]; do
	GMIG_FAULT=crash_after_batches:$k "$GMIG" migrate --from src.jsonl --to "$U/res$k" \
		--batch-size $B --checkpoint ck$k >/dev/null 2>err.txt </dev/null
	st=$?
	if [ $st != 137 ]; then
		fail "crash after batch $k: exit $st, wanted 137"; bad=1
	elif ! "$GMIG" migrate --resume --to "$U/res$k" --checkpoint ck$k --json >resume.txt 2>err.txt </dev/null; then
		fail "resume after batch $k failed: $(head -c 300 err.txt)"; bad=1
	elif ! grep -q '"records_written":5000' resume.txt; then
		fail "the resumed run after batch $k does not count 5000 records: $(head -c 300 resume.txt)"; bad=1
	elif ! "$GMIG" verify --from src.jsonl --to "$U/res$k" >verify.txt 2>&1 </dev/null; then
		fail "gmig verify finds differences after a crash at batch $k: $(grep -v '^ ' verify.txt | head -3)"; bad=1
	elif [ -e ck$k ]; then
		fail "the checkpoint is left after batch $k"; bad=1
	elif [ "$(redis HGET "gmig:runs:res$k" 1 | cut -d' ' -f1,5,6)" != "committed 1000 4000" ]; then
		fail "run 1 of res$k is not committed with 1000 + 4000 records: $(redis HGET "gmig:runs:res$k" 1)"; bad=1
	fi
	redis GRAPH.DELETE "res$k" >/dev/null
	k=$((k + 1))
done
[ $bad = 0 ] && ok "crash after each of $N batches, --resume: gmig verify equal, no duplicates, one committed run"
expect 2 "--resume without a checkpoint is refused" migrate --resume --to "$U/nock"
contains err.txt "/.gmig/checkpoints/" "... naming the default one it looked for"
contains err.txt "nothing to resume" "... and saying so"

# a graph with data from before; a copy of it to compare with
expect 0 "the graph from before" migrate --from pre.jsonl --to "$U/pre"
expect 0 "a copy of it taken before" migrate --from "$U/pre" --to "$U/before"
equal "the copy equals it" "$U/before" "$U/pre"
for k in 1 3 10; do
	GMIG_FAULT=fail_after_batches:$k "$GMIG" migrate --from src.jsonl --to "$U/pre" \
		--batch-size 500 >out.txt 2>err.txt </dev/null
	check "a run failing at batch $k exits 2" test $? = 2
	contains err.txt "was rolled back" "... and says it rolled back"
	equal "... the graph equals the copy taken before" "$U/before" "$U/pre"
done
check "rolled-back runs are marked" test "$(redis HGET gmig:runs:pre 2 | cut -d' ' -f1)" = rolled-back
check "... and their undo logs are gone" test "$(redis EXISTS gmig:undo:pre:2)" = 0

# --no-rollback keeps the batches; gmig rollback removes them
GMIG_FAULT=fail_after_batches:6 "$GMIG" migrate --from src.jsonl --to "$U/pre" --batch-size 500 \
	--no-rollback --json >out.txt 2>err.txt </dev/null
check "--no-rollback: the run fails" test $? = 2
contains out.txt '"rolled_back":false' "... and is not rolled back"
run=$(runid out.txt)
check "... its batches are in the graph" sh -c "! '$GMIG' verify --from '$U/before' --to '$U/pre' >/dev/null 2>&1"
check "... its run is marked failed" test "$(redis HGET gmig:runs:pre "$run" | cut -d' ' -f1)" = failed
expect 0 "gmig rollback --run $run --store" rollback --run "$run" --store "$U/pre"
contains out.txt "run $run rolled back" "... reports it"
equal "... the graph equals the copy taken before" "$U/before" "$U/pre"
expect 2 "rolling back twice is refused" rollback --run "$run" --to "$U/pre"
contains err.txt "already rolled back" "... saying so"
expect 2 "an unknown run" rollback --run 999 --to "$U/pre"
contains err.txt "has no run 999" "... is named"

# a committed run, rolled back later: created records go, changed ones come back
expect 0 "a successful run over the graph from before" migrate --from src.jsonl --to "$U/pre" --json
run=$(runid out.txt)
expect 0 "gmig rollback of the committed run" rollback --run "$run" --to "$U/pre" --json
equal "... the graph equals the copy taken before" "$U/before" "$U/pre"

# a crash and --resume over data from before, then rollback: the undo log survives the crash
GMIG_FAULT=crash_after_batches:7 "$GMIG" migrate --from src.jsonl --to "$U/pre" --batch-size $B \
	--checkpoint ckpre >/dev/null 2>&1 </dev/null
check "a run over the graph from before crashes after batch 7" test $? = 137
expect 0 "... --resume" migrate --resume --to "$U/pre" --checkpoint ckpre --json
run=$(runid out.txt)
expect 0 "... gmig rollback of the resumed run" rollback --run "$run" --to "$U/pre"
equal "... the graph equals the copy taken before" "$U/before" "$U/pre"

# two runs over the same records: the later one first
expect 0 "run A" migrate --from src.jsonl --to "$U/pre" --json
a=$(runid out.txt)
expect 0 "another source over the same keys" generate --profile plain --nodes 500 --edges 100 --seed 3 --to src3.jsonl
expect 0 "run B changes records of run A" migrate --from src3.jsonl --to "$U/pre" --json
b=$(runid out.txt)
expect 2 "rolling back A before B is refused" rollback --run "$a" --to "$U/pre"
contains err.txt "roll back run $b first" "... naming the run to roll back first"
expect 0 "roll back B" rollback --run "$b" --to "$U/pre"
expect 0 "then A" rollback --run "$a" --to "$U/pre"
equal "... the graph equals the copy taken before" "$U/before" "$U/pre"

# --on-error=skip: a batch refused for a missing endpoint is written again record by record
"$GMIG" generate --case dangling --to dangling.jsonl >/dev/null 2>&1 </dev/null
expect 0 "--on-error=skip with relationships at missing nodes" migrate --from dangling.jsonl --to "$U/pre" --on-error=skip --json
contains out.txt '"nodes_written":2,' "... its 2 nodes are written"
contains out.txt '"relationships_written":1,' "... and the 1 good relationship"
contains out.txt '"rejected":2,' "... 2 relationships rejected"
run=$(runid out.txt)
expect 0 "... rolled back" rollback --run "$run" --to "$U/pre"
equal "... the graph equals the copy taken before" "$U/before" "$U/pre"

# a re-run is a no-op: nothing to undo, and rolling it back changes nothing
expect 0 "a copy into a new graph" migrate --from src.jsonl --to "$U/again" --json
expect 0 "the same copy again" migrate --from src.jsonl --to "$U/again" --json
run=$(runid out.txt)
check "... its undo log is empty (nothing changed)" test "$(redis EXISTS "gmig:undo:again:$run")" = 0
equal "... the graph equals the source" src.jsonl "$U/again"
expect 0 "... rolling back the re-run" rollback --run "$run" --to "$U/again"
equal "... changes nothing" src.jsonl "$U/again"
expect 0 "rolling back the first run (it created the graph)" rollback --run 1 --to "$U/again"
check "... deletes the graph" test "$(redis EXISTS again)" = 0

# --lossy: what FalkorDB cannot store (maps, nulls in lists, zoned datetimes, ...)
"$GMIG" generate --case types --to types.jsonl >/dev/null 2>&1 </dev/null
expect 2 "the types case without --lossy is refused" migrate --from types.jsonl --to "$U/lossy0"
contains err.txt "node 't0' (line 2) has a Null value" "... naming the record and the type"
contains err.txt "--lossy=stringify or drop" "... and the way out"
check "... and leaves no graph" test "$(redis EXISTS lossy0)" = 0
expect 0 "--dry-run --lossy=stringify passes" migrate --dry-run --from types.jsonl --to "$U/lossy1" --lossy=stringify
expect 0 "--dry-run --lossy=drop passes" migrate --dry-run --from types.jsonl --to "$U/lossy1" --lossy=drop
expect 0 "--lossy=stringify writes it" migrate --from types.jsonl --to "$U/lossy1" --lossy=stringify --json
contains out.txt '"dropped":2' "... leaving out the 2 null properties"
"$GMIG" export --from "$U/lossy1" --to lossy1.jsonl >/dev/null 2>&1 </dev/null
contains lossy1.jsonl '"datetime_offset":"2015-06-24T12:50:35.556+01:00"' "... a DateTime as its text"
contains lossy1.jsonl '"list_mixed":"[1,\"one\",1.0,null,true]"' "... a list with a null as JSON text"
contains lossy1.jsonl '"list_string":["","a","' "... what FalkorDB stores as it is"
check "... every record is there" test "$(grep -c '"type":' lossy1.jsonl)" = "$(grep -c '"type":' types.jsonl)"
expect 0 "lossy=drop as a URI parameter leaves them out" migrate --from types.jsonl --to "$U/lossy2?lossy=drop" --json
contains out.txt '"dropped":47' "... 47 properties left out"
"$GMIG" export --from "$U/lossy2" --to lossy2.jsonl >/dev/null 2>&1 </dev/null
check "... no DateTime property is left" sh -c "! grep -q datetime_offset lossy2.jsonl"
contains lossy2.jsonl '"list_string":["","a","' "... what FalkorDB stores stays"
expect 0 "--lossy=drop summary" migrate --from types.jsonl --to "$U/lossy3" --lossy=drop
contains out.txt "47 of them left out by --lossy=drop" "... says how many were left out"

# credentials never appear in messages
"$GMIG" rollback --run 1 --to "falkordb://u:pw-in-uri@$addr/pre" >out.txt 2>err.txt </dev/null
if grep -q "pw-in-uri" out.txt err.txt; then fail "credentials in rollback messages"; else ok "no credentials in rollback messages"; fi
# without --checkpoint: the default one for a server's graph is in ~/.gmig/checkpoints/
GMIG_FAULT=crash_after_batches:3 "$GMIG" migrate --from src.jsonl \
	--to "$U/dflt?write=unwind" --batch-size $B >/dev/null 2>&1 </dev/null
check "a run without --checkpoint crashes after batch 3" test $? = 137
check "... its checkpoint is in ~/.gmig/checkpoints" \
	sh -c "ls $HOME/.gmig/checkpoints/*dflt_write_unwind.gmig-checkpoint >/dev/null"
expect 0 "... --resume finds it" migrate --resume --to "$U/dflt?write=unwind"
contains out.txt "verified: the target holds every record of the source exactly" "... and ends verified"
check "... and removes it" sh -c "! ls $HOME/.gmig/checkpoints/*.gmig-checkpoint 2>/dev/null"
done_testing
