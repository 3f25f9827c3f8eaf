# SPDX-License-Identifier: MIT
# Progress and the summary: --progress on a non-terminal, --json events, per-label rows.
. "$(dirname "$0")/lib.sh"

"$GMIG" generate --nodes 20000 --edges 100000 --seed 3 --to g.jsonl >/dev/null 2>&1
expect 0 "--progress on a pipe" migrate --from g.jsonl --to o.jsonl --progress --batch-size 1000
contains err.txt "records/s" "progress shows records/s"
contains err.txt "%, ETA" "progress shows a percentage and an ETA for a file source"
contains err.txt "120000 records" "the final progress line counts every record"
contains out.txt "label / type" "summary header"
contains out.txt "total                                  120000       120000            0" "summary total row"
contains out.txt "20000 nodes and 100000 relationships written" "summary counts"
rm -f o.jsonl
expect 0 "--json" migrate --from g.jsonl --to o.jsonl --json --progress
contains err.txt '"event":"progress"' "progress events are JSON"
contains out.txt '"ok":true' "JSON summary"
contains out.txt '"nodes_written":20000' "JSON summary counts nodes"
contains out.txt '"relationships_written":100000' "JSON summary counts relationships"
rm -f o.jsonl
expect 0 "no progress when stderr is not a terminal" migrate --from g.jsonl --to o.jsonl
check "stderr is empty without --progress" test ! -s err.txt
expect 0 "dry run" migrate --from g.jsonl --to d.jsonl --dry-run
absent d.jsonl "dry run writes nothing"
contains out.txt "checked" "dry run says checked"
expect 0 "export to stdout" export --from g.jsonl --to -
check "stdout is the graph" cmp -s out.txt g.jsonl
contains err.txt "written" "summary goes to stderr when the data goes to stdout"
done_testing
