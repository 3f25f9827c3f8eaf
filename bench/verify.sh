#!/bin/sh
# SPDX-License-Identifier: MIT
# gmig verify throughput and memory. Writes two gmig JSONL graphs of N nodes and 5N
# relationships (N = 1 000 000 by default; profile "plain"), the second a copy with one
# label added to one node, and times `gmig verify` between them (the two
# sides are read by two threads), printing wall time, CPU time and peak RSS; then the
# same at N/4, to show that memory does not grow with the graph. Then both graphs are
# migrated into sqlite: stores and verified sqlite: -> sqlite: twice: with the digests
# computed inside SQLite (the backend's digest slot) and streamed (--no-digest).
# Target: < 10 s for 1 M nodes + 5 M relationships per side; RSS ratio (N vs N/4) <= 1.2.
# SQLITE=0 skips the sqlite: part (the stores take a while to write).
# Usage: bench/verify.sh [build-dir]   (build with CMAKE_BUILD_TYPE=Release or RelWithDebInfo)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
G=$(pwd)/$B/gmig
SCALE=${SCALE:-1}
N=$(awk "BEGIN{printf \"%d\", 1000000*$SCALE}")
W=${BENCH_DIR:-bench/out}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time is needed (apt-get install time)"; exit 2; }
mkdir -p "$W"
cd "$W"

make_pair() { # nodes -> v<nodes>a.jsonl, v<nodes>b.jsonl (node n7 gains a label in b)
	n=$1
	[ -s "v${n}a.jsonl" ] || "$G" generate --profile plain --nodes "$n" --edges $((n * 5)) \
		--seed 1 --no-sync --to "v${n}a.jsonl" >/dev/null
	[ -s "v${n}b.jsonl" ] || sed 's/^{"type":"node","id":"n7","labels":\[/&"Changed",/' \
		"v${n}a.jsonl" >"v${n}b.jsonl"
}
run() { # nodes [from to [label [options]]] -> prints one line of figures
	n=$1
	a=${2:-v${n}a.jsonl}
	b=${3:-v${n}b.jsonl}
	[ -z "${4:-}" ] || printf '%-22s ' "$4"
	"$TIME" -f "%e %U %S %M" -o time.txt "$G" verify --from "$a" --to "$b" ${5:-} \
		--json >verify.json || [ $? = 1 ]
	read -r wall user sys rss <<EOT
$(tail -1 time.txt)
EOT
	passes=$(sed 's/.*"passes":\([0-9]*\).*/\1/' verify.json)
	changed=$(sed 's/.*"changed":{"nodes":\([0-9]*\).*/\1/' verify.json)
	printf '%9d nodes %9d rels per side: %6.2f s wall, %6.2f s CPU, peak RSS %7d KiB, %s passes, %s changed node(s) found\n' \
		"$n" $((n * 5)) "$wall" "$(awk "BEGIN{print $user+$sys}")" "$rss" "$passes" "$changed"
	echo "$rss" >"rss.$n"
}

echo "generating graphs (profile plain) in $W"
Q=$((N / 4))
make_pair "$N"
make_pair "$Q"
ls -l "v${N}a.jsonl" | awk '{printf "input: %.0f MB per side\n", $5/1e6}'
run "$Q"
run "$N"
awk -v a="$(cat rss.$N)" -v b="$(cat rss.$Q)" 'BEGIN{printf "peak RSS ratio %d nodes / %d nodes: %.2f (memory independent of size: <= 1.2)\n", '"$N"', '"$Q"', a/b}'
if [ "${SQLITE:-1}" != 0 ]; then
	for s in a b; do
		[ -s "v${N}$s.gmig.db" ] || "$G" migrate --from "v${N}$s.jsonl" \
			--to "sqlite:v${N}$s.gmig.db" >/dev/null
	done
	echo "sqlite: -> sqlite: ($(ls -l "v${N}a.gmig.db" | awk '{printf "%.0f MB", $5/1e6}') per side)"
	run "$N" "sqlite:v${N}a.gmig.db" "sqlite:v${N}b.gmig.db" "digests in SQLite:"
	grep -q '"digests":{"from":"backend","to":"backend"}' verify.json ||
		echo "bench: the digest slot was not used"
	run "$N" "sqlite:v${N}a.gmig.db" "sqlite:v${N}b.gmig.db" "streamed (--no-digest):" \
		--no-digest
fi
echo "cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg)"
