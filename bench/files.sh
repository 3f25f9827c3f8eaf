#!/bin/sh
# SPDX-License-Identifier: MIT
# File throughput and memory. Generates N nodes + 5N relationships (N = 1 000 000 by
# default; SCALE=0.1 for a quick run), then times, on one core:
#   JSONL -> JSONL, CSV -> JSONL, APOC JSON Lines -> gmig JSONL (profile "plain", which
#   every format stores) and JSONL -> JSONL with every value type,
# with --no-sync (an fsync of the output measures the disk, not gmig), and prints MB/s of input and the ratio to `cat` of the same bytes (the limit), and
# peak RSS of JSONL -> JSONL at 1 M and at 4 M records (must not grow: ratio <= 1.2).
# Target: >= 150 MB/s JSONL -> JSONL on one core.
# Usage: bench/files.sh [build-dir]   (build with CMAKE_BUILD_TYPE=Release or RelWithDebInfo)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
G=$(pwd)/$B/gmig
SCALE=${SCALE:-1}
N=$(awk "BEGIN{printf \"%d\", 1000000*$SCALE}")
E=$((N * 5))
W=${BENCH_DIR:-bench/out}
mkdir -p "$W"
cd "$W"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time is needed (apt-get install time)"; exit 2; }

secs() { # command... -> prints elapsed seconds (best of 3) on one core
	best=
	for i in 1 2 3; do
		s=$(date +%s.%N)
		taskset -c 0 "$@" >/dev/null 2>&1
		e=$(date +%s.%N)
		t=$(awk "BEGIN{print $e-$s}")
		best=$(awk "BEGIN{b=\"$best\"; print (b==\"\" || $t<b) ? $t : b}")
	done
	echo "$best"
}
rss() { # command... -> peak RSS in KiB
	$TIME -f %M "$@" 2>&1 >/dev/null | tail -1
}
size_mb() { du -sbL "$1" | awk '{printf "%.1f", $1/1e6}'; }

echo "generating $N nodes and $E relationships (profile plain: what every format stores)"
rm -rf g.jsonl g.csv g.apoc.json ga.jsonl
"$G" generate --nodes "$N" --edges "$E" --seed 42 --profile plain --to g.jsonl >/dev/null
"$G" migrate --from g.jsonl --to csv:g.csv >/dev/null
"$G" migrate --from g.jsonl --to apoc:g.apoc.json >/dev/null
echo "generating the same graph with every value type (typed JSON)"
"$G" generate --nodes "$N" --edges "$E" --seed 42 --to ga.jsonl >/dev/null

report() { # name input-path seconds
	mb=$(size_mb "$2")
	c=$(secs sh -c "cat $2/* 2>/dev/null >/dev/null || cat $2 >/dev/null")
	awk -v n="$1" -v mb="$mb" -v t="$3" -v c="$c" 'BEGIN{
		printf "%-24s %8.1f MB %7.2f s %8.1f MB/s   cat: %6.0f MB/s   ratio to cat: %.3f\n",
			n, mb, t, mb/t, mb/c, c/t }'
}

rm -f o.jsonl
t=$(secs sh -c "rm -f o.jsonl; '$G' migrate --no-sync --from g.jsonl --to o.jsonl")
report "jsonl -> jsonl" g.jsonl "$t"
t=$(secs sh -c "rm -f o.jsonl; '$G' migrate --no-sync --from ga.jsonl --to o.jsonl")
report "jsonl -> jsonl (all types)" ga.jsonl "$t"
t=$(secs sh -c "rm -f o.jsonl; '$G' migrate --no-sync --from csv:g.csv --to o.jsonl")
report "csv -> jsonl" g.csv "$t"
t=$(secs sh -c "rm -f o.jsonl; '$G' migrate --no-sync --from apoc:g.apoc.json --to o.jsonl")
report "apoc -> jsonl" g.apoc.json "$t"

# memory at 1 M and 4 M records: must not grow with the input
"$G" generate --nodes 200000 --edges 800000 --seed 1 --to m1.jsonl >/dev/null 2>&1 || true
"$G" generate --nodes 800000 --edges 3200000 --seed 1 --to m4.jsonl >/dev/null 2>&1 || true
r1=$(rss sh -c "rm -f o.jsonl; exec '$G' migrate --from m1.jsonl --to o.jsonl")
r4=$(rss sh -c "rm -f o.jsonl; exec '$G' migrate --from m4.jsonl --to o.jsonl")
awk -v a="$r1" -v b="$r4" 'BEGIN{printf "peak RSS jsonl -> jsonl: 1M records %d KiB, 4M records %d KiB, ratio %.2f (limit 1.2)\n", a, b, b/a}'
rm -f o.jsonl
