# SPDX-License-Identifier: MIT
# Step 5 of gmig migrate: the committed target is compared with the source.
# A writer that silently loses a record (GMIG_FAULT=lose_in_batch:K) fails the
# run with exit 2, names the record, and leaves no wrong target: a file or a new
# store is removed, a store with data from before is rolled back to it.
# Clean runs say "verified"; --no-verify, stdin and --lossy say why not.
. "$(dirname "$0")/lib.sh"
dump() { "$GMIG" export --from "$1" --to - 2>/dev/null; }

expect 0 "a source graph" generate --nodes 300 --edges 900 --seed 5 --to src.jsonl
expect 0 "a MemoryGraph-shaped source" generate --profile memorygraph --nodes 60 --edges 150 \
	--seed 9 --to mg.jsonl

# clean runs are verified, for every kind of target
for t in out.jsonl out.graphml sqlite:out.db memorygraph:mg.db; do
	src=src.jsonl
	case $t in memorygraph:*) src=mg.jsonl ;; esac
	expect 0 "migrate $src -> $t" migrate --from $src --to $t --json
	contains out.txt '"verified":true' "... verified"
done
# the MemoryGraph store fills in its own row timestamps: accepted, and counted
expect 0 "into a new MemoryGraph store, in text" migrate --from mg.jsonl --to memorygraph:mg2.db
contains out.txt "verified: the target holds every record of the source exactly, 210 of them" \
	"... the records the store completed are counted"
expect 1 "... gmig verify itself stays exact" verify --from mg.jsonl --to memorygraph:mg2.db

# a lost record: every target kind
for t in lost.jsonl lost.jsonl.zst sqlite:lost.db memorygraph:lost.mg; do
	src=src.jsonl
	case $t in memorygraph:*) src=mg.jsonl ;; esac
	GMIG_FAULT=lose_in_batch:2 "$GMIG" migrate --from $src --to $t --batch-size 50 \
		>out.txt 2>err.txt
	check "a lost record in $t: exit 2" test $? = 2
	contains err.txt "the target differs from the source" "... said"
	check "... one record missing, named" grep -Eq "^missing (node|relationship) '" err.txt
	f=${t#*:}
	case $t in
	sqlite:*) check "... the new store holds nothing" test "$(dump $t | wc -l)" = 2 ;;
	*) absent "$f" "... $f is removed" ;;
	esac
	absent "$f.gmig-checkpoint" "... no checkpoint left"
done

# a store with data from before: rolled back to exactly that
expect 0 "a store with data from before" generate --nodes 100 --edges 200 --seed 7 \
	--to sqlite:pre.db
dump sqlite:pre.db >pre.jsonl
GMIG_FAULT=lose_in_batch:3 "$GMIG" migrate --from src.jsonl --to sqlite:pre.db --batch-size 100 \
	>out.txt 2>err.txt
check "into a store with data: exit 2" test $? = 2
contains err.txt "was rolled back" "... rolled back"
dump sqlite:pre.db >now.jsonl
check "... the store equals its pre-run dump" cmp now.jsonl pre.jsonl

# --no-rollback keeps the wrong file and says so
GMIG_FAULT=lose_in_batch:1 "$GMIG" migrate --from src.jsonl --to kept.jsonl --no-rollback \
	>out.txt 2>err.txt
check "--no-rollback: exit 2" test $? = 2
check "... the file stays" test -f kept.jsonl
contains err.txt "keeps what the run wrote" "... and the message says so"

# --no-verify: the loss goes unseen (which is why verifying is the default)
GMIG_FAULT=lose_in_batch:1 "$GMIG" migrate --from src.jsonl --to unseen.jsonl --no-verify \
	--json >out.txt 2>err.txt
check "--no-verify: exit 0" test $? = 0
contains out.txt '"verified":false' "... not verified"
expect 1 "... gmig verify finds the loss" verify --from src.jsonl --to unseen.jsonl

# not compared, and saying why
"$GMIG" export --from src.jsonl --to - 2>/dev/null |
	"$GMIG" migrate --from jsonl:- --to piped.jsonl >out.txt 2>err.txt
check "from stdin: exit 0" test $? = 0
contains out.txt "not verified: stdin and stdout cannot be read again" "... and why not"
expect 0 "to a write-only format" migrate --from mg.jsonl --to out.cypher
contains out.txt "not verified: the target's format cannot be read back" "... and why not"
# kill -9 between the committed copy and its verification: --resume only verifies
for t in cv.jsonl sqlite:cv.db memorygraph:cv.mg; do
	src=src.jsonl
	case $t in memorygraph:*) src=mg.jsonl ;; esac
	GMIG_FAULT=crash_before_verify "$GMIG" migrate --from $src --to $t --batch-size 100 \
		>/dev/null 2>&1
	check "killed before verifying $t" test $? = 137
	f=${t#*:}
	check "... the checkpoint says committed" grep -q '"committed":1' "$f.gmig-checkpoint"
	expect 0 "... --resume" migrate --resume --to $t
	contains out.txt "verified: the target holds every record of the source exactly" \
		"... verifies the copy"
	absent "$f.gmig-checkpoint" "... and removes the checkpoint"
done
# ... and a copy changed in between is found and removed
GMIG_FAULT=crash_before_verify "$GMIG" migrate --from src.jsonl --to cw.jsonl >/dev/null 2>&1
check "killed before verifying cw.jsonl" test $? = 137
sed -i '5d' cw.jsonl
expect 2 "... --resume after the file lost a line" migrate --resume --to cw.jsonl
contains err.txt "the copy could not be verified: 'cw.jsonl' (line 1201): the end line counts" \
	"... finds it, naming the file and line"
absent cw.jsonl "... and removes the file"
GMIG_FAULT=crash_before_verify "$GMIG" migrate --from src.jsonl --to cx.jsonl >/dev/null 2>&1
sed -i '5s/"id":"n3"/"id":"n3x"/' cx.jsonl
expect 2 "... --resume after a key changed" migrate --resume --to cx.jsonl
contains err.txt "the target differs from the source: nodes 1 missing, 0 changed, 1 extra" \
	"... finds the difference"
absent cx.jsonl "... and removes the file"
done_testing
