# SPDX-License-Identifier: MIT
# gmig validate: each kind of finding, exit 1 when found, 0 when clean, 2 when unreadable.
. "$(dirname "$0")/lib.sh"

cat >clean.jsonl <<'J'
{"gmig":1}
{"type":"node","id":"a","labels":["P"],"properties":{"x":1}}
{"type":"node","id":"b","labels":["P"],"properties":{"x":2}}
{"type":"relationship","id":"r1","label":"K","start":"a","end":"b"}
{"gmig":"end","nodes":2,"relationships":1}
J
expect 0 "clean graph" validate --store clean.jsonl
contains out.txt "no problems found" "clean graph reported clean"
contains out.txt ":P" "counts by label"
contains out.txt "[:K]" "counts by type"

cat >problems.jsonl <<'J'
{"gmig":1}
{"type":"node","id":"a","labels":["P"],"properties":{"x":1}}
{"type":"node","id":"a","labels":["P"],"properties":{"x":"one"}}
{"type":"node","id":"b","labels":["P"],"properties":{"x":2.5}}
{"type":"relationship","id":"r1","label":"K","start":"a","end":"zz"}
{"gmig":"end","nodes":3,"relationships":1}
J
expect 1 "problems found" validate --store problems.jsonl --json
contains out.txt '"duplicate_keys":1' "duplicate key counted"
contains out.txt '"dangling":1' "dangling endpoint counted"
contains out.txt '"mixed_types":1' "mixed types counted"
contains out.txt "'zz' is not a node" "the dangling endpoint is named"
contains out.txt "Integer, Float, String" "the mixed types are listed"

cat >broken.jsonl <<'J'
{"gmig":1}
{"type":"node","id":"a" "labels":["P"]}
{"gmig":"end","nodes":1,"relationships":0}
J
expect 1 "unreadable record is a finding" validate --store broken.jsonl
contains out.txt "line 2" "the unreadable record's line is named"
expect 2 "missing store" validate --store nosuch.jsonl

# --require and --unique (repeatable), on a file and on stores
cat >rules.jsonl <<'J'
{"gmig":1}
{"type":"node","id":"a","labels":["P"],"properties":{"email":"x@y","name":"A"}}
{"type":"node","id":"b","labels":["P"],"properties":{"email":"x@y"}}
{"type":"node","id":"c","labels":["P","Q"],"properties":{"email":"z@y","name":null}}
{"type":"node","id":"d","labels":["Q"],"properties":{"email":"x@y"}}
{"gmig":"end","nodes":4,"relationships":0}
J
expect 0 "no rules: clean" validate --store rules.jsonl
expect 1 "rules broken" validate --store rules.jsonl --require P.name --unique P.email --unique Q.email
contains out.txt "missing_required: node 'b' (line 3): :P without 'name'" "missing property named"
contains out.txt "missing_required: node 'c' (line 4): :P without 'name'" "null counts as missing"
contains out.txt "not_unique: node 'b' (line 3): :P 'email' = \"x@y\" is not unique" "repeated value named"
contains out.txt "2 missing required properties, 1 values not unique" "counted (Q.email is unique)"
"$GMIG" migrate --from rules.jsonl --to sqlite:rules.db >/dev/null 2>&1
expect 1 "rules on a sqlite store" validate --store sqlite:rules.db --unique P.email --json
contains out.txt '"not_unique":1' "json: not_unique"
expect 0 "rules that hold" validate --store sqlite:rules.db --require P.email --unique Q.email
expect 129 "bad rule" validate --store rules.jsonl --require nodot
# the indexes and constraints of stores with a schema (the DDL the backends create)
"$GMIG" migrate --from clean.jsonl --to sqlite:clean.db >/dev/null 2>&1 || fail "to sqlite"
expect 0 "sqlite: store" validate --store sqlite:clean.db
contains out.txt "indexes and constraints" "schema listed"
contains out.txt "schema: index 'gmig_nodes_run' on gmig_nodes(run)" "index named with its columns"
contains out.txt "schema: index 'gmig_relationships_start' on gmig_relationships(start_key)" \
	"relationship index"
contains out.txt "schema: unique constraint 'sqlite_autoindex_gmig_nodes_1' on gmig_nodes(key)" \
	"UNIQUE on the node key"
expect 0 "sqlite: store as JSON" validate --store sqlite:clean.db --json
for i in gmig_node_labels_label gmig_nodes_run gmig_relationships_start gmig_relationships_end \
	gmig_relationships_type gmig_relationships_run gmig_undo_prev; do
	contains out.txt "\"name\":\"$i\"" "json: index $i"
done
contains out.txt '"definition":"CREATE INDEX gmig_relationships_type ON gmig_relationships(type)"' \
	"json: the index's SQL"
"$GMIG" generate --profile memorygraph --nodes 20 --edges 30 --to memorygraph:mg.db >/dev/null 2>&1 ||
	fail "memorygraph store"
expect 1 "memorygraph: store as JSON" validate --store memorygraph:mg.db --json
for i in idx_nodes_label idx_nodes_created idx_rel_from idx_rel_to idx_rel_type \
	idx_relationships_temporal idx_relationships_current idx_relationships_recorded \
	idx_nodes_memory; do
	contains out.txt "\"name\":\"$i\"" "json: memorygraph index $i"
done
contains out.txt '{"kind":"fulltext index","name":"nodes_fts","on":"nodes","columns":"id,title,content,summary"' \
	"json: MemoryGraph's FTS5 table"
contains out.txt '{"kind":"partial index","name":"idx_nodes_memory","on":"nodes","columns":"label"' \
	"json: a partial index"
expect 0 "a file has no schema" validate --store clean.jsonl --json
contains out.txt '"schema":null' "json: schema null for a file"
done_testing
