#!/bin/sh
# SPDX-License-Identifier: MIT
# MemoryGraph: gmig against MemoryGraph's own tools (PyPI memorygraphMCP 0.12.4, installed
# into a virtualenv by tests/interop/lib.sh, as the interop tests do), on the same machine, in
# the same run, on the same database made by `gmig generate --profile memorygraph`:
#   1 000 memories / 2 000 relationships:
#     export   `memorygraph export --format json`  vs  `gmig export --lossy=drop` to the same
#              v2.0 JSON (which, as MemoryGraph's, leaves invalidated relationships out), and
#              gmig to its lossless JSONL
#     migrate  `memorygraph migrate --from sqlite --to sqlite`  vs  `gmig migrate` between
#              two memorygraph: stores
#   prints both times and the ratio (target: export >= 1000x);
# then gmig alone at 1 M memories / 2 M relationships: export to gmig JSONL, time and peak
# RSS (target: < 10 s).
# Times are wall-clock seconds of one run for MemoryGraph (minutes at 1 000 memories), best
# of 3 for gmig; --no-sync leaves the fsync of the output out (it measures the disk).
# Usage: bench/memorygraph.sh [build-dir]   (build with CMAKE_BUILD_TYPE=Release or
# RelWithDebInfo). PEER_N=100 for a quicker peer run (PEER_N=0: none), SCALE=0.1 for 100 k / 200 k,
# BENCH_DIR to keep the (large) generated store between runs.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
SRC=$(pwd)
case "$B" in /*) ;; *) B=$SRC/$B ;; esac
G=$B/gmig
PEER_N=${PEER_N:-1000}
PEER_E=$((PEER_N * 2))
SCALE=${SCALE:-1}
N=$(awk "BEGIN{printf \"%d\", 1000000*$SCALE}")
E=$((N * 2))
W=${BENCH_DIR:-$SRC/bench/out}
mkdir -p "$W"
W=$(cd "$W" && pwd)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time is needed (apt-get install time)"; exit 2; }
[ -x "$G" ] || { echo "bench: no $G (build first)"; exit 2; }

# the virtualenv with MemoryGraph (lib.sh makes it once, then works in a temporary directory)
GMIG=$G GMIG_SRC=$SRC GMIG_BUILD=$B
export GMIG GMIG_SRC GMIG_BUILD
. "$SRC/tests/interop/lib.sh" >/dev/null

wall() { # command... -> seconds of one run (fails when the command fails)
	s=$(date +%s.%N)
	"$@" >"$T/out.txt" 2>&1 </dev/null ||
		{ echo "bench: failed: $*" >&2; tail -5 "$T/out.txt" >&2; return 1; }
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN{printf "%.4f\n", e - s}'
}
best3() { # command... -> best of 3 runs
	b=
	for i in 1 2 3; do
		t=$(wall "$@")
		b=$(awk -v b="$b" -v t="$t" 'BEGIN{print (b == "" || t < b) ? t : b}')
	done
	echo "$b"
}
row() { # what peer-seconds gmig-seconds
	awk -v w="$1" -v p="$2" -v g="$3" 'BEGIN{
		printf "%-32s memorygraph %8.2f s   gmig %7.3f s   ratio %7.0fx\n", w, p, g, p / g }'
}

if [ "$PEER_N" -gt 0 ]; then
echo "MemoryGraph $MG_VERSION vs gmig, $PEER_N memories / $PEER_E relationships (same database)"
"$G" generate --profile memorygraph --nodes "$PEER_N" --edges "$PEER_E" --seed 42 \
	--to "memorygraph:$T/mem.db" >/dev/null
pe=$(wall env MEMORY_SQLITE_PATH="$T/mem.db" "$MG" export --format json --output "$T/peer.json")
ge=$(best3 sh -c "rm -f '$T/g.mg.json'; exec '$G' export --no-sync --lossy=drop --from memorygraph:'$T/mem.db' --to '$T/g.mg.json'")
gj=$(best3 sh -c "rm -f '$T/g.jsonl'; exec '$G' export --no-sync --from memorygraph:'$T/mem.db' --to '$T/g.jsonl'")
row "export (MemoryGraph JSON v2.0)" "$pe" "$ge"
row "export (gmig: lossless JSONL)" "$pe" "$gj"
rm -f "$T/peer.db"
pm=$(wall "$MG" migrate --from sqlite --from-path "$T/mem.db" --to sqlite --to-path "$T/peer.db")
gm_=$(best3 sh -c "rm -f '$T/g.db'; exec '$G' migrate --no-sync --from memorygraph:'$T/mem.db' --to memorygraph:'$T/g.db'")
row "migrate SQLite -> SQLite" "$pm" "$gm_"
echo "(memorygraph's export keeps current relationships only and at most 20 per memory;"
echo " gmig's JSONL keeps every row and field: $(wc -l <"$T/g.jsonl") lines)"
fi

echo "gmig alone, $N memories / $E relationships"
DB=$W/mg-$N.db
if [ ! -s "$DB" ] || [ "$(sqlite3 "$DB" 'SELECT count(*) FROM relationships' 2>/dev/null)" != "$E" ]; then
	rm -f "$DB"
	echo "generating $DB (once; kept for later runs)"
	"$G" generate --profile memorygraph --nodes "$N" --edges "$E" --seed 1 \
		--to "memorygraph:$DB" >/dev/null
fi
best=
rss=
for i in 1 2 3; do
	rm -f "$W/mg.jsonl"
	$TIME -f "%e %M" -o "$T/time.txt" "$G" export --no-sync --from "memorygraph:$DB" \
		--to "$W/mg.jsonl" >/dev/null 2>&1
	read -r t m <"$T/time.txt"
	if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN{exit !(t < b)}'; then best=$t; fi
	rss=$m
done
mb=$(du -sbL "$W/mg.jsonl" | awk '{printf "%.0f", $1/1e6}')
db=$(du -sbL "$DB" | awk '{printf "%.0f", $1/1e6}')
rm -f "$W/mg.jsonl"
awk -v t="$best" -v r="$rss" -v mb="$mb" -v db="$db" 'BEGIN{
	printf "export memorygraph (%d MB) -> gmig JSONL (%d MB): %.2f s, peak RSS %d KiB (target < 10 s)\n",
		db, mb, t, r }'
