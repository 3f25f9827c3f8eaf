# SPDX-License-Identifier: MIT
"""Streams one APOC JSON document ({"nodes":[...],"rels":[...]}) of about MB megabytes to
stdout, without holding it: the input for the bounded-memory test of the JSON reader."""
import sys

mb = int(sys.argv[1])
out = sys.stdout
target = mb * 1000 * 1000
pad = "x" * 200
written = 0
n = 0
out.write('{"nodes":[')
while written < target * 0.6:
    chunk = []
    for _ in range(1000):
        chunk.append('%s{"type":"node","id":"%d","labels":["User"],"properties":{"name":"user %d %s","age":%d,"score":%d.5}}'
                     % ("," if n else "", n, n, pad, n % 97, n))
        n += 1
    s = "\n".join(chunk)
    out.write(s)
    written += len(s)
out.write('],\n"rels":[')
r = 0
while written < target:
    chunk = []
    for _ in range(1000):
        chunk.append('%s{"id":"%d","type":"relationship","label":"KNOWS","properties":{"since":%d,"note":"%s"},"start":{"id":"%d","labels":["User"]},"end":{"id":"%d","labels":["User"]}}'
                     % ("," if r else "", r, 1990 + r % 30, pad, r % n, (r * 7) % n))
        r += 1
    s = "\n".join(chunk)
    out.write(s)
    written += len(s)
out.write("]}\n")
sys.stderr.write("%d %d\n" % (n, r))
