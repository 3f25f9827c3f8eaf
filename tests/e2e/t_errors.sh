# SPDX-License-Identifier: MIT
# Every error path a user can hit with files: bad records (stop / skip / reject
# file / max-errors), truncated input, an existing target, a full disk, an
# interrupted run, and allocation failures. None may leave a partial file.
. "$(dirname "$0")/lib.sh"

cat >bad.jsonl <<'J'
{"gmig":1}
{"type":"node","id":"a","labels":["P"],"properties":{"x":1}}
{"type":"node","id":"b","labels":["P"],"properties":{"x":2
{"type":"node","id":"c","labels":["P"]}
{"type":"node","labels":["Q"]}
{"type":"relationship","id":"r1","label":"K","start":"a","end":"c"}
{"type":"relationship","id":"r2","label":"K","start":"a"}
{"gmig":"end","nodes":4,"relationships":2}
J

# --on-error=stop (default): first bad record, its position, nothing written
expect 2 "bad record stops the run" migrate --from bad.jsonl --to out.jsonl
contains err.txt "line 3" "the bad record's line is named"
contains err.txt "bad.jsonl" "the bad input is named"
absent out.jsonl "stop leaves no output file"
no_temps "stop leaves no temporary file"

# --on-error=skip: rejects logged, read = written + rejected
expect 0 "skip bad records" migrate --from bad.jsonl --to out.jsonl --on-error=skip \
	--reject-file rej.jsonl --json
contains out.txt '"records_read":6,"records_written":3' "6 records read, 3 written"
contains out.txt '"nodes_written":2' "2 nodes written"
contains out.txt '"relationships_written":1' "1 relationship written"
contains out.txt '"rejected":3' "three records rejected: read = written + rejected"
check "reject file has one line per rejected record" test "$(wc -l <rej.jsonl)" -eq 3
contains rej.jsonl '"line":3' "reject file names line 3"
contains rej.jsonl '"line":5' "reject file names line 5"
contains rej.jsonl '"line":7' "reject file names line 7"
check "output has header, 2 nodes, 1 relationship, end line" test "$(wc -l <out.jsonl)" -eq 5
contains out.jsonl '{"gmig":"end","nodes":2,"relationships":1}' "end line counts what was written"

rm -f out.jsonl
expect 2 "--max-errors stops after too many rejects" migrate --from bad.jsonl --to out.jsonl \
	--on-error=skip --max-errors 1
contains err.txt "more than 1 bad records" "max-errors is explained"
absent out.jsonl "max-errors leaves no output file"

# truncated input: no end line
"$GMIG" generate --nodes 50 --edges 100 --to full.jsonl >/dev/null 2>&1
head -n 30 full.jsonl >trunc.jsonl
expect 2 "truncated input is an error" migrate --from trunc.jsonl --to out.jsonl
contains err.txt "truncated" "truncation is named"
absent out.jsonl "truncated input leaves no output"

# an existing target is not replaced without --force
echo keep >exists.jsonl
expect 2 "existing target refused" migrate --from full.jsonl --to exists.jsonl
contains err.txt "exists; use --force" "the user is told about --force"
check "existing target untouched" test "$(cat exists.jsonl)" = keep
expect 0 "--force replaces" migrate --from full.jsonl --to exists.jsonl --force
check "replaced target equals the source" cmp -s full.jsonl exists.jsonl

# a full disk
expect 2 "writing to /dev/full fails" migrate --from full.jsonl --to jsonl:/dev/full
contains err.txt "No space left on device" "the disk-full error is reported"
"$GMIG" export --from full.jsonl --to - >/dev/full 2>err.txt
check "stdout on a full disk exits 2" test $? -eq 2

# an interrupted run leaves neither the final file nor the temporary
"$GMIG" generate --nodes 300000 --edges 1500000 --to big.jsonl >/dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
st=$?
check "interrupted generate exits non-zero" test $st -ne 0
absent big.jsonl "interrupted run leaves no final file"
no_temps "interrupted run leaves no temporary file"

# allocation failures: every one reported as out of memory, exit 2, no crash
for k in 1 2 3 5 8 13 21 34 55 89 144 233; do
	GMIG_FAIL_ALLOC=$k "$GMIG" migrate --from full.jsonl --to "oom$k.jsonl" >/dev/null 2>err.txt
	st=$?
	if [ $st -eq 2 ] && grep -q "out of memory" err.txt && [ ! -e "oom$k.jsonl" ]; then
		ok "allocation $k fails cleanly"
	elif [ $st -eq 0 ] && cmp -s full.jsonl "oom$k.jsonl"; then
		ok "allocation $k is never reached (run succeeded, output exact)"
	elif [ $st -eq 2 ] && grep -q "out of memory" err.txt && grep -q "written in full" err.txt &&
		cmp -s full.jsonl "oom$k.jsonl"; then
		ok "allocation $k fails after the commit: said so, output exact"
	else
		fail "allocation $k: exit $st: $(head -c 200 err.txt)"
	fi
done
no_temps "allocation failures leave no temporary file"
# pre-flight: a dry run lists every value type the target cannot store, with how
# many records hold one and the first of them, and refuses until --lossy is chosen
"$GMIG" generate --nodes 100 --edges 100 --seed 4 --to types.jsonl >/dev/null 2>&1
expect 2 "dry run into a format that cannot store every type" \
	migrate --dry-run --from types.jsonl --to types.apoc.json
contains err.txt "records hold values the apoc format cannot store" "... says so"
for t in Null Base64 Map Date LocalTime Time LocalDateTime DateTime Duration Vector; do
	check "... lists $t with its count and first record" \
		grep -Eq "^  $t +[0-9]+ records?, the first: (node|relationship) '" err.txt
done
check "... and no type APOC stores" sh -c "! grep -Eq '^  (Boolean|Integer|Float|String|List|Point) ' err.txt"
absent types.apoc.json "... writes nothing"
expect 2 "... --json lists them too" migrate --dry-run --json --from types.jsonl --to types.apoc.json
contains out.txt '"unstorable":[{"type":"Null","records":' "... as unstorable"
expect 0 "--lossy=stringify accepts the loss" \
	migrate --dry-run --lossy=stringify --from types.jsonl --to types.apoc.json
done_testing
