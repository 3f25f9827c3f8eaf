# SPDX-License-Identifier: MIT
# gmig migrate --resume: for K = 1..N the run is killed (the fault hook's
# _exit(137), as kill -9) right after its K-th batch, resumed, and must end
# equal to a clean copy with no duplicate keys: for a gmig JSONL file target,
# a sqlite: store and a memorygraph: store. Then interruptions at a random
# point: SIGTERM (checkpoint and temporary kept) and kill -9 of a rate-limited run.
. "$(dirname "$0")/lib.sh"
have_sqlite3=0
command -v sqlite3 >/dev/null 2>&1 && have_sqlite3=1
B=250 # 1000 nodes + 4000 relationships = 20 batches
N=20

expect 0 "a source graph (every value type)" generate --nodes 1000 --edges 4000 --to src.jsonl
# a store as the source: its rows carry their timestamps (_mg_created_at ...), so copies are exact
expect 0 "a MemoryGraph store as a source" generate --profile memorygraph --nodes 1000 --edges 4000 --to memorygraph:src.mg
expect 0 "clean copy to a file" migrate --from src.jsonl --to clean.jsonl --batch-size $B
expect 0 "clean copy to sqlite:" migrate --from src.jsonl --to sqlite:clean.db --batch-size $B
"$GMIG" export --from sqlite:clean.db --to clean.db.jsonl >/dev/null 2>&1
expect 0 "clean copy to memorygraph:" migrate --from memorygraph:src.mg --to memorygraph:clean.mg --batch-size $B
"$GMIG" export --from memorygraph:clean.mg --to clean.mg.jsonl >/dev/null 2>&1
absent clean.jsonl.gmig-checkpoint "a finished run leaves no checkpoint"

# resume_loop NAME SOURCE TARGET-URI DUMP-COMMAND CLEAN-DUMP: compares the dump with
# the clean copy's (cmp) and the target with the source (gmig verify)
resume_loop() {
	name=$1 src=$2 uri=$3 dump=$4 want=$5
	bad=0
	k=1
	while [ $k -le $N ]; do
		rm -f out.* out.mg*
		GMIG_FAULT=crash_after_batches:$k "$GMIG" migrate --from "$src" --to "$uri" \
			--batch-size $B >/dev/null 2>err.txt </dev/null
		st=$?
		if [ $st != 137 ]; then
			fail "$name: crash after batch $k: exit $st, wanted 137"; bad=1
		elif ! "$GMIG" migrate --resume --to "$uri" >resume.txt 2>err.txt </dev/null; then
			fail "$name: resume after batch $k failed: $(head -c 300 err.txt)"; bad=1
		elif ! $dump >got.jsonl 2>err.txt || ! cmp -s got.jsonl "$want"; then
			fail "$name: after a crash at batch $k and --resume the copy differs"; bad=1
		elif ! "$GMIG" verify --from "$src" --to "$uri" >verify.txt 2>&1; then
			fail "$name: gmig verify finds differences after batch $k: $(head -c 300 verify.txt)"; bad=1
		elif ls out.*gmig-checkpoint out.*.tmp >/dev/null 2>&1; then
			fail "$name: checkpoint or temporary left after batch $k"; bad=1
		fi
		k=$((k + 1))
	done
	[ $bad = 0 ] && ok "$name: crash after each of $N batches, --resume, equal to a clean copy"
}

resume_loop "jsonl file" src.jsonl out.jsonl "cat out.jsonl" clean.jsonl
resume_loop "sqlite: store" src.jsonl sqlite:out.db \
	"$GMIG export --from sqlite:out.db --to -" clean.db.jsonl
resume_loop "memorygraph: store" memorygraph:src.mg memorygraph:out.mg \
	"$GMIG export --from memorygraph:out.mg --to -" clean.mg.jsonl

# what a crash leaves, and what --resume reads
rm -f out.*
GMIG_FAULT=crash_after_batches:5 "$GMIG" migrate --from src.jsonl --to out.jsonl --batch-size $B >/dev/null 2>&1
check "a crashed file run leaves its temporary" test -s out.jsonl.tmp
absent out.jsonl "... and nothing under the final name"
contains out.jsonl.gmig-checkpoint '"position":1250' "the checkpoint holds the position after batch 5"
expect 2 "a new run refuses to start over an unfinished one" migrate --from src.jsonl --to out.jsonl
contains err.txt "continue it with --resume" "... and says how to continue"
expect 2 "--resume with another source is refused" migrate --resume --from memorygraph:src.mg --to out.jsonl
expect 0 "--resume with --from and --to given" migrate --resume --from src.jsonl --to out.jsonl
check "... equal to the clean copy" cmp out.jsonl clean.jsonl
expect 2 "--resume without a checkpoint" migrate --resume --to out2.jsonl
contains err.txt "nothing to resume" "... says so"

if [ $have_sqlite3 = 1 ]; then
	rm -f out.*
	GMIG_FAULT=crash_after_batches:12 "$GMIG" migrate --from src.jsonl --to sqlite:out.db --batch-size $B >/dev/null 2>&1
	"$GMIG" migrate --resume --to sqlite:out.db --json >out.txt 2>/dev/null
	contains out.txt '"records_read":5000' "the resumed run's summary counts the whole run"
	check "no duplicate node keys" test "$(sqlite3 out.db 'SELECT count(*) - count(DISTINCT key) FROM gmig_nodes')" = 0
	check "no duplicate relationships" test "$(sqlite3 out.db 'SELECT count(*) - count(DISTINCT key) FROM gmig_relationships')" = 0
	check "one run, committed" test "$(sqlite3 out.db "SELECT group_concat(status) FROM gmig_runs")" = committed
	check "the run counts all records" test "$(sqlite3 out.db "SELECT nodes + relationships FROM gmig_runs")" = 5000
	# the batch in flight was committed but the checkpoint is one batch behind
	rm -f out.*
	GMIG_FAULT=crash_after_batches:5 "$GMIG" migrate --from src.jsonl --to sqlite:out.db --batch-size $B >/dev/null 2>&1
	cp out.db.gmig-checkpoint ck5
	GMIG_FAULT=crash_after_batches:1 "$GMIG" migrate --resume --to sqlite:out.db >/dev/null 2>&1
	cp ck5 out.db.gmig-checkpoint
	expect 0 "resume from a checkpoint one batch behind the store" migrate --resume --to sqlite:out.db
	"$GMIG" export --from sqlite:out.db --to got.jsonl --force >/dev/null 2>&1
	check "... re-writes that batch harmlessly: equal" cmp got.jsonl clean.db.jsonl
fi

# an interruption at a random point: SIGTERM keeps the checkpoint and the temporary
rm -f out.*
"$GMIG" migrate --from src.jsonl --to out.jsonl --batch-size $B --rate 2500 >/dev/null 2>err.txt &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
check "SIGTERM stops the run (exit 2)" test $? = 2
contains err.txt "continue it with: gmig migrate --resume" "... and says how to resume"
check "... the temporary is kept" test -e out.jsonl.tmp
expect 0 "resume after SIGTERM" migrate --resume --to out.jsonl
check "... equal to the clean copy" cmp out.jsonl clean.jsonl

# kill -9 at a random point of a sqlite: run
rm -f out.*
"$GMIG" migrate --from src.jsonl --to sqlite:out.db --batch-size $B --rate 2500 >/dev/null 2>&1 &
pid=$!
sleep 1
kill -9 $pid
wait $pid 2>/dev/null
expect 0 "resume after kill -9" migrate --resume --to sqlite:out.db
"$GMIG" export --from sqlite:out.db --to got.jsonl --force >/dev/null 2>&1
check "... equal to the clean copy" cmp got.jsonl clean.db.jsonl
done_testing
