# SPDX-License-Identifier: MIT
# Shared helpers for the interop tests against the real MemoryGraph package
# (PyPI memorygraphMCP 0.12.4). Each t_*.sh sources this file: it makes (once,
# under a lock) a Python virtualenv in $GMIG_BUILD/interop-venv with the package
# installed, then runs in a temporary directory and prints TAP-like lines.
# Works unattended (CI=true, no stdin); needs python3 with venv and PyPI.
set -u
: "${GMIG:?GMIG must point to the gmig binary}"
: "${GMIG_SRC:?GMIG_SRC must point to the source tree}"
: "${GMIG_BUILD:?GMIG_BUILD must point to the build tree}"
MG_VERSION=0.12.4
VENV="$GMIG_BUILD/interop-venv"
HERE="$GMIG_SRC/tests/interop"

make_venv() {
	[ -f "$VENV/.ok-$MG_VERSION" ] && return 0
	rm -rf "$VENV"
	python3 -m venv "$VENV" || return 1
	# httpx is a dependency 0.12.4 forgets to declare
	PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q --no-input \
		"memorygraphMCP==$MG_VERSION" httpx </dev/null || return 1
	touch "$VENV/.ok-$MG_VERSION"
}
mkdir -p "$GMIG_BUILD"
(
	flock 9
	make_venv
) 9>"$GMIG_BUILD/interop-venv.lock" || { echo "# cannot install memorygraphMCP $MG_VERSION"; echo "1..0"; exit 1; }
PY="$VENV/bin/python"
MG="$VENV/bin/memorygraph"
export MEMORY_LOG_LEVEL=ERROR PYTHONDONTWRITEBYTECODE=1

T=$(mktemp -d "${TMPDIR:-/tmp}/gmig-interop.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
n=0
nfail=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
check() { # description command...: passes when the command succeeds (output in check.txt)
	d=$1; shift
	if "$@" >check.txt 2>&1 </dev/null; then ok "$d"; else
		fail "$d"; sed 's/^/# /' check.txt | tail -15; fi
}
mg() { "$PY" "$HERE/mg.py" "$@"; } # our driver of MemoryGraph's own API
gm() { "$GMIG" "$@"; }
# rows DB: every column of every row of MemoryGraph's tables, quoted, in id order
rows() {
	sqlite3 "$1" "SELECT quote(id), quote(label), quote(properties), quote(created_at),
		quote(updated_at) FROM nodes ORDER BY id;
		SELECT quote(id), quote(from_id), quote(to_id), quote(rel_type), quote(properties),
		quote(created_at), quote(valid_from), quote(valid_until), quote(recorded_at),
		quote(invalidated_by) FROM relationships ORDER BY id;"
}
schema() { sqlite3 "$1" "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"; }
same_rows() { # a.db b.db
	rows "$1" >rows1.txt && rows "$2" >rows2.txt && cmp -s rows1.txt rows2.txt ||
		{ diff rows1.txt rows2.txt | head -5 | cut -c1-300; return 1; }
}
done_testing() {
	echo "1..$n"
	[ "$nfail" = 0 ] || { echo "# $nfail of $n checks failed"; exit 1; }
	exit 0
}
