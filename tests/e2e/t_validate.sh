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
done_testing
