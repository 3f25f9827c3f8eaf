# SPDX-License-Identifier: MIT
# The command line: help, version, usage errors (exit 129), formats.
. "$(dirname "$0")/lib.sh"

expect 0 "--version" --version
contains out.txt "gmig 0." "--version prints the version"
expect 0 "--help" --help
cp out.txt help.txt
for c in export import migrate validate generate formats; do
	contains help.txt "  $c " "--help lists $c"
	expect 0 "$c --help" "$c" --help
	contains out.txt "usage: gmig $c" "$c --help shows its usage"
done
expect 129 "no command" 
expect 129 "unknown command" frobnicate
contains err.txt "'frobnicate' is not a gmig command" "unknown command is named"
expect 129 "unknown option" export --from a.jsonl --to b.jsonl --bogus
contains err.txt "unknown option '--bogus'" "unknown option is named"
expect 129 "missing --to" export --from a.jsonl
contains err.txt "--to is required" "missing option is named"
expect 129 "bad number" export --from a --to b --batch-size ten
contains err.txt "--batch-size wants a whole number, not 'ten'" "bad number is named"
expect 129 "bad choice" migrate --from a --to b --on-error=maybe
contains err.txt "--on-error wants one of stop, skip" "choices are listed"
expect 129 "reject file without skip" migrate --from a --to b --reject-file r.jsonl
expect 0 "formats" formats
for f in jsonl apoc csv graphml cypher generate; do
	contains out.txt "$f " "formats lists $f"
done
expect 0 "formats --json" formats --json
contains out.txt '"name":"jsonl","read":true,"write":true' "formats --json describes jsonl"
expect 2 "missing input file" migrate --from nosuch.jsonl --to out.jsonl
contains err.txt "nosuch.jsonl" "the missing file is named"
absent out.jsonl "no output for a missing input"
expect 2 "unknown scheme" migrate --from bogus:x --to out.jsonl
contains err.txt "unknown scheme 'bogus'" "the unknown scheme is named"
done_testing
