# SPDX-License-Identifier: MIT
# Rollback and the key policies of gmig migrate: a store with data from before,
# a run that fails mid-way (fault hook) -> the store equals its pre-run dump,
# automatically and with gmig rollback; --fail-on-existing, --skip-duplicates,
# --rate; memorygraph: and files leave nothing after a failed run.
. "$(dirname "$0")/lib.sh"
have_sqlite3=0
command -v sqlite3 >/dev/null 2>&1 && have_sqlite3=1
dump() { "$GMIG" export --from "$1" --to - 2>/dev/null; }
runid() { sed -n 's/.*"run":\([0-9]*\).*/\1/p' "$1"; }

# src overlaps pre: keys n0..n299 and r0..r599 are in both, with other content
expect 0 "a source graph" generate --nodes 1000 --edges 4000 --to src.jsonl
expect 0 "a store with data from before" generate --nodes 300 --edges 600 --seed 7 --to sqlite:pre.db
dump sqlite:pre.db >pre.jsonl
cp pre.db before.db

for k in 1 3 10; do
	GMIG_FAULT=fail_after_batches:$k "$GMIG" migrate --from src.jsonl --to sqlite:pre.db \
		--batch-size 500 >out.txt 2>err.txt
	check "a run failing at batch $k exits 2" test $? = 2
	contains err.txt "was rolled back" "... and says it rolled back"
	dump sqlite:pre.db >now.jsonl
	check "... the store equals its pre-run dump" cmp now.jsonl pre.jsonl
	expect 0 "... gmig verify: equal to a copy taken before" verify --from sqlite:before.db --to sqlite:pre.db
	absent pre.db.gmig-checkpoint "... no checkpoint left"
done
if [ $have_sqlite3 = 1 ]; then
	check "rolled-back runs are marked" \
		test "$(sqlite3 pre.db "SELECT count(*) FROM gmig_runs WHERE status = 'rolled back'")" = 3
	check "their undo rows are gone" test "$(sqlite3 pre.db 'SELECT count(*) FROM gmig_undo')" = 0
fi

# --no-rollback keeps the batches; gmig rollback removes them
GMIG_FAULT=fail_after_batches:4 "$GMIG" migrate --from src.jsonl --to sqlite:pre.db \
	--batch-size 500 --no-rollback --json >out.txt 2>err.txt
check "--no-rollback: the run fails" test $? = 2
contains out.txt '"rolled_back":false' "... and is not rolled back"
run=$(runid out.txt)
dump sqlite:pre.db >now.jsonl
check "... its batches are in the store" sh -c '! cmp -s now.jsonl pre.jsonl'
expect 0 "gmig rollback --run $run" rollback --run "$run" --to sqlite:pre.db
contains out.txt "run $run rolled back" "... reports it"
dump sqlite:pre.db >now.jsonl
check "... the store equals its pre-run dump" cmp now.jsonl pre.jsonl
expect 2 "rolling back twice is refused" rollback --run "$run" --to sqlite:pre.db
contains err.txt "already rolled back" "... saying so"
expect 2 "an unknown run" rollback --run 999 --to sqlite:pre.db
contains err.txt "has no run 999" "... is named"

# a committed run, rolled back later: created rows go, changed rows come back
expect 0 "a successful run" migrate --from src.jsonl --to sqlite:pre.db --json
run=$(runid out.txt)
expect 0 "gmig rollback of a committed run" rollback --run "$run" --to sqlite:pre.db --json
contains out.txt '"nodes":1000' "... 1000 nodes removed or restored"
dump sqlite:pre.db >now.jsonl
check "... the store equals its pre-run dump" cmp now.jsonl pre.jsonl

# two runs over the same rows: the later one first
expect 0 "run A" migrate --from src.jsonl --to sqlite:pre.db --json
a=$(runid out.txt)
expect 0 "another source over the same keys" generate --nodes 500 --edges 100 --seed 3 --to src3.jsonl
expect 0 "run B changes rows of run A" migrate --from src3.jsonl --to sqlite:pre.db --json
b=$(runid out.txt)
expect 2 "rolling back A before B is refused" rollback --run "$a" --to sqlite:pre.db
contains err.txt "roll back run $b first" "... naming the run to roll back first"
expect 0 "roll back B" rollback --run "$b" --to sqlite:pre.db
expect 0 "then A" rollback --run "$a" --to sqlite:pre.db
dump sqlite:pre.db >now.jsonl
check "... the store equals its pre-run dump" cmp now.jsonl pre.jsonl
expect 0 "... gmig verify: equal to a copy taken before" verify --from sqlite:before.db --to sqlite:pre.db

# key policies
expect 2 "--fail-on-existing into a store holding the keys" migrate --from src.jsonl --to sqlite:pre.db --fail-on-existing
contains err.txt "its key is already in the store (--fail-on-existing)" "... names the key"
dump sqlite:pre.db >now.jsonl
check "... the store is unchanged" cmp now.jsonl pre.jsonl
expect 0 "--fail-on-existing into a new store" migrate --from src.jsonl --to sqlite:new.db --fail-on-existing
expect 0 "--skip-duplicates keeps what is there" migrate --from src.jsonl --to sqlite:pre.db --skip-duplicates --json
contains out.txt '"skipped":900' "... 300 nodes and 600 relationships skipped"
check "... and per label and type" test "$(rows_skipped out.txt)" = 900
dump sqlite:pre.db | grep '"id":"n7",' >a.txt
grep '"id":"n7",' pre.jsonl >b.txt
check "... a node from before keeps its content" cmp a.txt b.txt
check "... the others are added" test "$(dump sqlite:pre.db | grep -c '"type":"node"')" = 1000
expect 2 "--skip-duplicates to a file is refused" migrate --from src.jsonl --to out.jsonl --skip-duplicates
contains err.txt "is written whole and has no keys" "... with the reason"
expect 129 "two policies at once" migrate --from src.jsonl --to sqlite:x.db --upsert --skip-duplicates

# memorygraph: one transaction, so a failed run leaves the store as it was
expect 0 "a MemoryGraph store" generate --profile memorygraph --nodes 200 --edges 400 --to memorygraph:mg.db
expect 0 "a source for it" generate --profile memorygraph --nodes 1000 --edges 3000 --seed 5 --to memorygraph:mgsrc.db
dump memorygraph:mg.db >mgpre.jsonl
GMIG_FAULT=fail_after_batches:3 "$GMIG" migrate --from memorygraph:mgsrc.db --to memorygraph:mg.db --batch-size 500 >/dev/null 2>err.txt
check "memorygraph: the run fails" test $? = 2
dump memorygraph:mg.db >now.jsonl
check "... the store equals its pre-run dump" cmp now.jsonl mgpre.jsonl
expect 2 "gmig rollback on memorygraph: explains" rollback --run 1 --to memorygraph:mg.db
contains err.txt "keeps no record of runs" "... that runs are transactions there"
expect 0 "memorygraph --skip-duplicates" migrate --from memorygraph:mg.db --to memorygraph:mg2.db
expect 0 "... a second run skips every key" migrate --from memorygraph:mg.db --to memorygraph:mg2.db --skip-duplicates --json
contains out.txt '"skipped":600' "... all 600 records skipped"
check "... and per label and type" test "$(rows_skipped out.txt)" = 600
expect 2 "memorygraph --fail-on-existing" migrate --from memorygraph:mg.db --to memorygraph:mg2.db --fail-on-existing
contains err.txt "already in the store (--fail-on-existing)" "... names the id"

# files: nothing under the final name, no temporary, no checkpoint
GMIG_FAULT=fail_after_batches:2 "$GMIG" migrate --from src.jsonl --to f.jsonl --batch-size 500 >/dev/null 2>&1
check "a failed file run exits 2" test $? = 2
absent f.jsonl "... no file"
absent f.jsonl.gmig-checkpoint "... no checkpoint"
no_temps "... no temporary"

# --rate: 2000 records at 1000/s take at least 1.5 s
expect 0 "a small graph" generate --nodes 500 --edges 1500 --to small.jsonl
start=$(date +%s%N)
expect 0 "--rate 1000" migrate --from small.jsonl --to rated.jsonl --rate 1000
ms=$((($(date +%s%N) - start) / 1000000))
check "--rate 1000 for 2000 records took ${ms} ms (>= 1500)" test $ms -ge 1500
expect 0 "--dry-run prints a plan" migrate --from small.jsonl --to sqlite:pre.db --dry-run
contains out.txt "plan: migrate" "... with a heading"
contains out.txt "not empty, 1000 nodes" "... the target's state"
contains out.txt "estimate" "... and an estimate"
done_testing
