# SPDX-License-Identifier: MIT
# gmig verify across backends (jsonl, sqlite:, graphml, memorygraph:): equal copies exit 0,
# a changed copy exits 1 naming the record and property, errors exit 2; --json and --sample.
. "$(dirname "$0")/lib.sh"

"$GMIG" generate --nodes 200 --edges 800 --seed 11 --to a.jsonl >/dev/null 2>&1 ||
	fail "generate"
"$GMIG" migrate --from a.jsonl --to sqlite:a.db >/dev/null 2>&1 || fail "to sqlite"
"$GMIG" migrate --from a.jsonl --to a.graphml >/dev/null 2>&1 || fail "to graphml"
expect 0 "jsonl = sqlite" verify --from a.jsonl --to sqlite:a.db
contains out.txt "equal: 200 nodes, 800 relationships" "equal copies reported equal"
expect 0 "sqlite = graphml" verify --from sqlite:a.db --to a.graphml
expect 0 "graphml = jsonl, sampled" verify --from a.graphml --to a.jsonl --sample 50
contains out.txt "sample: 50 records of from, 50 of to compared" "sample size reported"

# memorygraph: its own graph, through every other backend
"$GMIG" generate --profile memorygraph --nodes 40 --edges 90 --seed 3 --to mg.jsonl >/dev/null 2>&1
"$GMIG" migrate --from mg.jsonl --to memorygraph:mg.db >/dev/null 2>&1 || fail "to memorygraph"
"$GMIG" export --from memorygraph:mg.db --to mgout.jsonl >/dev/null 2>&1 || fail "export mg"
"$GMIG" migrate --from memorygraph:mg.db --to sqlite:mg.sq >/dev/null 2>&1 || fail "mg to sqlite"
"$GMIG" migrate --from mgout.jsonl --to mgout.graphml >/dev/null 2>&1 || fail "mg to graphml"
expect 0 "memorygraph = its export" verify --from memorygraph:mg.db --to mgout.jsonl
expect 0 "memorygraph = sqlite copy" verify --from memorygraph:mg.db --to sqlite:mg.sq
expect 0 "memorygraph = graphml copy" verify --from mgout.graphml --to memorygraph:mg.db
# the store adds its row timestamps: verify names them
expect 1 "memorygraph adds _mg_ timestamps" verify --from mg.jsonl --to memorygraph:mg.db --max-diffs 1
contains out.txt "property '_mg_created_at': (absent) ->" "the added property is named"

# one changed value, one missing node, one extra relationship
sed -e 's/"id":"n7",\("labels":[^}]*"properties":{\)/"id":"n7",\1"added":1,/' \
	-e '/"id":"n9",/d' -e '/{"gmig":"end"/d' a.jsonl >b.jsonl
grep -q '"added":1' b.jsonl || fail "fixture: property not added"
printf '%s\n' '{"type":"relationship","id":"rx","label":"NEW","start":"n1","end":"n2"}' \
	'{"gmig":"end","nodes":199,"relationships":801}' >>b.jsonl
expect 1 "differences found" verify --from sqlite:a.db --to b.jsonl
contains out.txt "changed node 'n7'" "changed node named"
contains out.txt "property 'added': (absent) -> 1" "changed property and values named"
contains out.txt "missing node 'n9'" "missing node named"
contains out.txt "extra relationship 'rx'" "extra relationship named"
contains out.txt "[:NEW]" "count per type shown"
expect 1 "differences as JSON" verify --from a.jsonl --to b.jsonl --json
contains out.txt '"equal":false' "json: not equal"
contains out.txt '"missing":{"nodes":1,"relationships":0}' "json: missing counted"
contains out.txt '"extra":{"nodes":0,"relationships":1}' "json: extra counted"
contains out.txt '{"kind":"changed","entity":"node","key":"n7","fields":[{"property":"added","to":1}]}' "json: change detail"
if command -v python3 >/dev/null; then
	check "json parses" python3 -c 'import json,sys; json.load(open("out.txt"))'
fi
expect 0 "equal as JSON" verify --from a.jsonl --to sqlite:a.db --json
contains out.txt '"equal":true' "json: equal"
contains out.txt '"digests":{"from":"streamed","to":"backend"}' "json: sqlite: digests computed in SQLite"

# the sqlite: digest slot against streaming: same digests (no differing bucket), same findings
"$GMIG" migrate --from b.jsonl --to sqlite:b.db >/dev/null 2>&1 || fail "b to sqlite"
for nd in "" --no-digest; do
	expect 0 "sqlite = sqlite $nd" verify --from sqlite:a.db --to sqlite:a.db --json $nd
	contains out.txt '"differing_buckets":0' "no differing bucket $nd"
	expect 1 "sqlite != sqlite $nd" verify --from sqlite:a.db --to sqlite:b.db --json $nd
	contains out.txt '"missing":{"nodes":1,"relationships":0}' "missing counted $nd"
	contains out.txt '"extra":{"nodes":0,"relationships":1}' "extra counted $nd"
	contains out.txt '{"kind":"changed","entity":"node","key":"n7","fields":[{"property":"added","to":1}]}' \
		"change detail $nd"
done
contains out.txt '"digests":{"from":"streamed","to":"streamed"}' "--no-digest streams"
expect 1 "sqlite != sqlite, digests" verify --from sqlite:a.db --to sqlite:b.db --json
contains out.txt '"digests":{"from":"backend","to":"backend"}' "both sides digested in SQLite"
# every conformance case: the store's digests equal the streamed ones of its JSONL copy
for c in $(grep -v '^#' "${GMIG_SRC:?}/tests/conformance.tsv" | cut -f1 -d' '); do
	"$GMIG" generate --case "$c" --on-error skip --to "sqlite:c_$c.db" >/dev/null 2>&1 ||
		fail "case $c to sqlite"
	"$GMIG" export --from "sqlite:c_$c.db" --to "c_$c.jsonl" >/dev/null 2>&1 ||
		fail "case $c to jsonl"
	expect 0 "case $c: slot = streamed" verify --from "sqlite:c_$c.db" --to "c_$c.jsonl" --json
	contains out.txt '"differing_buckets":0,' "case $c: no differing bucket"
	contains out.txt '"digests":{"from":"backend","to":"streamed"}' "case $c: slot used"
done

# exact value rules: NaN = NaN, -0.0 != 0.0, zone != offset
printf '%s\n' '{"gmig":1}' '{"type":"node","id":"a","properties":{"f":{"$type":"Float","_value":"NaN"},"z":0.0,"t":{"$type":"ZonedDateTime","_value":"2020-06-01T12:00:00+02:00[Europe/Berlin]"}}}' \
	'{"gmig":"end","nodes":1,"relationships":0}' >v1.jsonl
printf '%s\n' '{"gmig":1}' '{"type":"node","id":"a","properties":{"f":{"$type":"Float","_value":"NaN"},"z":{"$type":"Float","_value":"-0.0"},"t":{"$type":"OffsetDateTime","_value":"2020-06-01T12:00:00+02:00"}}}' \
	'{"gmig":"end","nodes":1,"relationships":0}' >v2.jsonl
expect 1 "exact values" verify --from v1.jsonl --to v2.jsonl
contains out.txt "property 'z'" "-0.0 differs from 0.0"
contains out.txt "property 't'" "a zone differs from an offset"
if grep -q "property 'f'" out.txt; then fail "NaN equals NaN"; else ok "NaN equals NaN"; fi

expect 2 "missing file" verify --from a.jsonl --to nosuch.jsonl
expect 2 "stdin refused" verify --from - --to a.jsonl
expect 129 "--to required" verify --from a.jsonl
done_testing
