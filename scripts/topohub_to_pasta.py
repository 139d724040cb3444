#!/usr/bin/env python3
"""Converts real backbone topologies from the PyPI package `topohub` into pasta request bodies.

Run once, by hand; the outputs are kept in bench-data/ and read by `benches/engine.rs`:

    pip install topohub==1.5.1     # this script installs nothing itself; only the stdlib otherwise
    python3 scripts/topohub_to_pasta.py                     # the default keys below
    python3 scripts/topohub_to_pasta.py sndlib/polska --out-dir /tmp

Each KEY is a topohub repository key (`sndlib/<name>`, `topozoo/<Name>`, see `topohub.get`); the
body is written to `<out-dir>/<name lowercased>.json`. The defaults are SNDlib's germany50 (50
nodes, 88 links: a German national backbone) and Topology Zoo's TataNld (143 nodes, 181 links:
Tata Communications' Indian network).

The conversion (topohub gives node names, (longitude, latitude) positions, link lengths `dist` in
km and ECMP link utilisations in percent under uniform demand; it has no capacities):

- Nodes in topohub order: `id` = the name with every character outside [A-Za-z0-9_] turned into
  `_` (`_<topohub id>` appended if two names collide), `sid` 16000 + i, `ip` 10.x.y.z from i + 1.
- Each topohub edge e gives two directed links, source → target then target → source, with ids
  `<lo>-<re>`, adjacency `sid` 24000 + j and `ip` 100.64.0.0 + j (j = 2e or 2e + 1), and alike in
  both directions: `igp` = ceil(dist / 50 km) clamped to 1..10 (coarse, so equal costs occur),
  `te` = round(dist km) (at least 1), `delay` = dist × 0.005 ms/km (propagation in fibre, three
  decimals, at least 0.001), `bd` = 100000 (fixed: no capacities in topohub), `affi` = 0x1 on
  every eighth edge (e % 8 == 7) | 0x2 on edges longer than 200 km.
- Per direction, class `Gold`: `bandwidth_reserve` = bd / 2, `bandwidth_available` = reserve ×
  (1 - utilisation / 100) rounded, with topohub's uniform-demand ECMP utilisation of that
  direction (`ecmp_fwd.uni` or `ecmp_bwd.uni`).
- One policy `P1` between the two nodes farthest apart (great circle; ties: lower indices), metric
  igp, class Gold, and `global.algorithm` `[{"algo": 0}, {"algo": 1, "top": 10}]`, so that
  `pasta compute nonbod_pasta bench-data/<name>.json` (or `bod_pasta`) runs as is.
- A `meta` object records the source (pasta ignores unknown fields).

The output is deterministic (no randomness, topohub order, Python's shortest float repr) and
written one node or link per line.
"""

import argparse
import json
import math
import re
import sys

DEFAULT_KEYS = ["sndlib/germany50", "topozoo/TataNld"]
BANDWIDTH = 100000


def ipv4(x):
    """Dotted quad of a 32-bit integer."""
    return ".".join(str((x >> s) & 255) for s in (24, 16, 8, 0))


def great_circle_km(p, q):
    """Haversine distance between two (longitude, latitude) points, in km."""
    lon1, lat1, lon2, lat2 = map(math.radians, (p[0], p[1], q[0], q[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def node_ids(nodes):
    """Pasta node ids from topohub names, made safe and unique."""
    names = [re.sub(r"[^A-Za-z0-9_]", "_", str(n.get("name") or f"n{n['id']}")) for n in nodes]
    ids = []
    for n, name in zip(nodes, names):
        ids.append(name if names.count(name) == 1 else f"{name}_{n['id']}")
    assert len(set(ids)) == len(ids), "node ids must be unique"
    return ids


def convert(key, topo, version):
    """The pasta request body of one topohub topology."""
    nodes = topo["nodes"]
    ids = node_ids(nodes)
    index = {n["id"]: i for i, n in enumerate(nodes)}
    body_nodes = [{"id": ids[i], "ip": ipv4((10 << 24) + i + 1), "sid": 16000 + i} for i in range(len(nodes))]
    links = []
    seen = set()
    for e, edge in enumerate(topo["edges"]):
        a, b = index[edge["source"]], index[edge["target"]]
        dist = float(edge["dist"])
        igp = min(10, max(1, math.ceil(dist / 50)))
        te = max(1, round(dist))
        delay = max(0.001, round(dist * 0.005, 3))
        affi = (0x1 if e % 8 == 7 else 0) | (0x2 if dist > 200 else 0)
        for side, (lo, re_, util) in enumerate(
            [(a, b, edge["ecmp_fwd"]["uni"]), (b, a, edge["ecmp_bwd"]["uni"])]
        ):
            j = 2 * e + side
            link_id = f"{ids[lo]}-{ids[re_]}"
            if link_id in seen:
                link_id = f"{link_id}#{j}"
            seen.add(link_id)
            reserve = BANDWIDTH // 2
            available = round(reserve * (1 - min(100.0, float(util)) / 100))
            links.append(
                {
                    "id": link_id,
                    "lo": ids[lo],
                    "re": ids[re_],
                    "ip": ipv4((100 << 24) + (64 << 16) + j),
                    "sid": 24000 + j,
                    "igp": igp,
                    "te": te,
                    "delay": delay,
                    "bd": BANDWIDTH,
                    "affi": affi,
                    "qos_class": [
                        {"class": "Gold", "bandwidth_reserve": reserve, "bandwidth_available": available}
                    ],
                }
            )
    far = None
    for i in range(len(nodes)):
        for k in range(i + 1, len(nodes)):
            d = great_circle_km(nodes[i]["pos"], nodes[k]["pos"]) if "pos" in nodes[i] and "pos" in nodes[k] else 0.0
            if far is None or d > far[0]:
                far = (d, i, k)
    _, he, te = far
    return {
        "meta": {
            "source": f"topohub {version} {key}",
            "name": topo["graph"].get("name", key),
            "converted_by": "scripts/topohub_to_pasta.py",
        },
        "nodes": body_nodes,
        "links": links,
        "sr_policy": {"id": "P1", "he": ids[he], "te": ids[te], "metric": "igp", "class": "Gold"},
        "global": {"algorithm": [{"algo": 0}, {"algo": 1, "top": 10}]},
    }


def dump(body):
    """JSON text with one node or link per line."""
    out = ["{"]
    keys = list(body)
    for n, k in enumerate(keys):
        comma = "," if n + 1 < len(keys) else ""
        v = body[k]
        if isinstance(v, list):
            out.append(f"{json.dumps(k)}: [")
            out.extend(json.dumps(x) + ("," if i + 1 < len(v) else "") for i, x in enumerate(v))
            out.append("]" + comma)
        else:
            out.append(f"{json.dumps(k)}: {json.dumps(v)}{comma}")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    """Command line: convert each key, write the bodies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keys", nargs="*", default=DEFAULT_KEYS, help="topohub keys (default: %(default)s)")
    parser.add_argument("--out-dir", default="bench-data", help="where to write <name>.json")
    args = parser.parse_args()
    try:
        import topohub
    except ImportError:
        sys.exit("topohub is not installed: pip install topohub==1.5.1")
    for key in args.keys:
        topo = topohub.get(key)
        body = convert(key, topo, topohub.__version__)
        name = key.rsplit("/", 1)[-1].lower()
        path = f"{args.out_dir}/{name}.json"
        with open(path, "w", encoding="utf-8") as f:
            f.write(dump(body))
        print(f"{path}: {len(body['nodes'])} nodes, {len(body['links'])} links, "
              f"policy {body['sr_policy']['he']} -> {body['sr_policy']['te']}")


if __name__ == "__main__":
    main()
