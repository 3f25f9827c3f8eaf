# SPDX-License-Identifier: MIT
# Shared helpers for the end-to-end tests: each t_*.sh runs the built gmig in a
# temporary directory and prints TAP-like lines; any failed check fails the test.
set -u
: "${GMIG:?GMIG must point to the gmig binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/gmig-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
# gmig's defaults under ~ (~/.gmig/checkpoints, ~/.memorygraph) stay in the test's directory;
# the pip cache a server script may use stays where it was
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pip}"
HOME=$T/home
mkdir -p "$HOME"
export HOME
n=0
nfail=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
check() { # description command...: passes when the command succeeds
	d=$1; shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}
# expect STATUS DESCRIPTION gmig-args...: runs gmig, compares the exit status;
# stdout in out.txt, stderr in err.txt
expect() {
	want=$1; d=$2; shift 2
	"$GMIG" "$@" >out.txt 2>err.txt </dev/null
	got=$?
	if [ "$got" = "$want" ]; then ok "$d (exit $got)"; else
		fail "$d: exit $got, wanted $want"; sed 's/^/# err: /' err.txt | head -5; fi
}
contains() { # file text description
	if grep -qF -- "$2" "$1"; then ok "$3"; else fail "$3: '$2' not in $1"; sed 's/^/# /' "$1" | head -5; fi
}
absent() { # path description: the path must not exist
	if [ -e "$1" ]; then fail "$2: '$1' exists"; else ok "$2"; fi
}
no_temps() { # description: no *.tmp left in the test directory
	left=$(find . -name '*.tmp' | head -3)
	if [ -n "$left" ]; then fail "$1: temporary files left: $left"; else ok "$1"; fi
}
done_testing() {
	echo "1..$n"
	[ "$nfail" = 0 ] || { echo "# $nfail of $n checks failed"; exit 1; }
	exit 0
}

# falkordb_up: starts a real FalkorDB server for this test (tests/servers/falkordb.sh,
# stopped at exit) and sets SRV, addr (HOST:PORT), PY (its Python, with the falkordb and
# redis clients) and U (falkordb://HOST:PORT); fails the test when it cannot start.
falkordb_up() {
	: "${GMIG_SRC:?}" "${GMIG_BUILD:?}"
	SRV="$GMIG_SRC/tests/servers/falkordb.sh"
	trap 'sh "$SRV" stop "$T/srv"; rm -rf "$T"' EXIT
	addr=$(sh "$SRV" start "$T/srv" </dev/null) ||
		{ echo "not ok 1 - cannot start FalkorDB"; exit 1; }
	PY=$(sh "$SRV" python)
	U="falkordb://$addr"
}

# rows_skipped FILE: the sum of the per-label "skipped" of a --json summary in FILE
rows_skipped() {
	python3 -c 'import json,sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
print(sum(r["skipped"] for r in d["rows"]))' "$1"
}
