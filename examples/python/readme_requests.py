"""Runs the README's raw NATS requests (the `nats req` lines between its `raw-requests` markers)
through nats-py, since the `nats` command-line tool is not packaged everywhere, and prints each
answer as one JSON line: `{"subject", "headers", "payload"}` (the payload parsed as JSON).

    python examples/python/readme_requests.py --url nats://127.0.0.1:4222

Only what the README uses of `nats req` is understood: a subject, a payload (a literal, or
`$(cat <file>)` with a path relative to the repository) and `-H "Name:value"` headers.
"""

import argparse
import asyncio
import json
import pathlib
import re
import shlex
import sys

import nats

REPO = pathlib.Path(__file__).resolve().parents[2]


def requests(readme):
    """The README's raw requests: (subject, payload bytes, headers) in order."""
    text = readme.read_text()
    block = text.split("<!-- raw-requests -->", 1)[1].split("<!-- /raw-requests -->", 1)[0]
    for line in block.splitlines():
        if not line.startswith("nats req "):
            continue
        words = shlex.split(line)[2:]
        headers = {}
        rest = []
        i = 0
        while i < len(words):
            if words[i] == "-H":
                name, value = words[i + 1].split(":", 1)
                headers[name] = value
                i += 2
            else:
                rest.append(words[i])
                i += 1
        subject, payload = rest
        cat = re.fullmatch(r"\$\(cat (.+)\)", payload)
        data = (REPO / cat.group(1)).read_bytes() if cat else payload.encode()
        yield subject, data, headers


async def run(url):
    nc = await nats.connect(url)
    try:
        for subject, data, headers in requests(REPO / "README.md"):
            reply = await nc.request(subject, data, timeout=10, headers=headers or None)
            print(json.dumps({
                "subject": subject,
                "headers": dict(reply.headers or {}),
                "payload": json.loads(reply.data),
            }), flush=True)
    finally:
        await nc.drain()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="nats://127.0.0.1:4222", help="NATS server URL")
    args = parser.parse_args()
    asyncio.run(run(args.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
