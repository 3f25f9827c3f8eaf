# SPDX-License-Identifier: MIT
# MemoryGraph on FalkorDB: memories and relationships made through MemoryGraph's
# own API in its SQLite store, `gmig migrate --from memorygraph:DB --to
# falkordb://HOST:PORT/memorygraph` (the graph MemoryGraph's FalkorDB backend
# uses), then the real MemoryGraph package with MEMORY_BACKEND=falkordb
# (FALKORDB_HOST/FALKORDB_PORT) returns every memory with the same fields (get,
# search) and every relationship (its id, endpoints, type and fields). Needs a
# FalkorDB server (tests/servers/falkordb.sh) and the falkordb Python client in
# the interop virtualenv (MemoryGraph's FalkorDB backend imports it).
. "$(dirname "$0")/lib.sh"
FALKORDB_PY_VERSION=1.8.1
SRV="$GMIG_SRC/tests/servers/falkordb.sh"
trap 'sh "$SRV" stop "$T/srv"; rm -rf "$T"' EXIT
(
	flock 9
	[ "$("$PY" -c 'import importlib.metadata as m; print(m.version("falkordb"))' 2>/dev/null)" = $FALKORDB_PY_VERSION ] ||
		PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q --no-input "falkordb==$FALKORDB_PY_VERSION" </dev/null
) 9>"$GMIG_BUILD/interop-venv.lock" || { echo "not ok 1 - cannot install the falkordb client"; exit 1; }
addr=$(GMIG_BUILD="$GMIG_BUILD" sh "$SRV" start "$T/srv" </dev/null) || { echo "not ok 1 - cannot start FalkorDB"; exit 1; }
export MEMORY_BACKEND=falkordb FALKORDB_HOST="${addr%:*}" FALKORDB_PORT="${addr#*:}"
U="falkordb://$addr/memorygraph"

check "MemoryGraph's API creates a SQLite store" env MEMORY_BACKEND=sqlite "$PY" "$HERE/mg.py" create a.db
check "MemoryGraph returns every memory and relationship" env MEMORY_BACKEND=sqlite "$PY" "$HERE/mg.py" expect a.db exp.json
check "gmig migrate memorygraph: -> falkordb" gm migrate --from memorygraph:a.db --to "$U"
check "MemoryGraph on FalkorDB returns the same memories and relationships" mg check-falkordb exp.json
grep '^#' check.txt
check "gmig verify: the store and the graph hold the same records" gm verify --from memorygraph:a.db --to "$U"
check "a re-run" gm migrate --from memorygraph:a.db --to "$U" --json
run=$(sed -n 's/.*"run":\([0-9]*\).*/\1/p' check.txt)
check "... changes nothing (run $run has no undo entries)" "$PY" -c "
import redis, sys; r = redis.Redis(host=sys.argv[1], port=int(sys.argv[2]))
sys.exit(r.exists('gmig:undo:memorygraph:' + sys.argv[3]))" "$FALKORDB_HOST" "$FALKORDB_PORT" "$run"
check "... gmig verify" gm verify --from memorygraph:a.db --to "$U"
check "... MemoryGraph still returns the same" mg check-falkordb exp.json
check "back from FalkorDB to a MemoryGraph store" gm migrate --from "$U" --to memorygraph:back.db
check "... the same rows byte for byte" same_rows a.db back.db
check "MemoryGraph's store_memory updates a migrated memory in place" mg falkordb-store mem-problem-1
done_testing
