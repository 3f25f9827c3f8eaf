# SPDX-License-Identifier: MIT
# Cross-check with the official Python client (PyPI falkordb): every node and
# relationship of a gmig JSONL file (plain JSON values only) is in the graph
# as gmig wrote it, read through the client: labels (plus the marker _gmig),
# properties (plus the key _key), types and endpoints; and nothing else is.
# usage: falkordb_check.py HOST:PORT GRAPH FILE.jsonl
import json
import sys

from falkordb import FalkorDB

host, port = sys.argv[1].rsplit(":", 1)
g = FalkorDB(host=host, port=int(port)).select_graph(sys.argv[2])
want_nodes, want_rels = {}, {}
for line in open(sys.argv[3], encoding="utf-8"):
    r = json.loads(line)
    if r.get("type") == "node":
        want_nodes[r["id"]] = (sorted(r.get("labels", [])), r.get("properties", {}))
    elif r.get("type") == "relationship":
        want_rels[r["id"]] = (r["label"], r["start"], r["end"], r.get("properties", {}))

bad = 0
got_nodes = {}
for (n,) in g.ro_query("MATCH (n) RETURN n").result_set:
    props = dict(n.properties)
    key = props.pop("_key")
    got_nodes[key] = (sorted(l for l in n.labels if l != "_gmig"), props)
got_rels = {}
for r, a, b in g.ro_query("MATCH (a)-[r]->(b) RETURN r, a._key, b._key").result_set:
    props = dict(r.properties)
    got_rels[props.pop("_key")] = (r.relation, a, b, props)
for name, want, got in (("node", want_nodes, got_nodes), ("relationship", want_rels, got_rels)):
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            bad += 1
            print(f"{name} {k!r}: gmig file {want.get(k)!r}, client {got.get(k)!r}")
print(f"{len(got_nodes)} nodes, {len(got_rels)} relationships read by the client; {bad} differ")
sys.exit(1 if bad else 0)
