"""A pasta client for controllers, in Python with nats-py: submit a job, wait for its completion
event, read its status document.

This is the README's client example. It needs only nats-py:

    pip install nats-py==2.16.0
    python examples/python/client.py --url nats://127.0.0.1:4222 --prefix pasta

It shows the whole exchange of contract §4-§5, in the order a controller should follow:

1. subscribe to the completion events of the job type *before* submitting, so the event of a fast
   job cannot slip past (a controller that was down catches up from the PASTA_EVENTS stream
   instead);
2. submit with a client-chosen task id (header ``Pasta-Task-Id``, a UUID), which makes a retried
   submission idempotent: the same id with the same body answers the same task;
3. wait for this task's ``success`` or ``failure`` event;
4. ask ``<prefix>.job.check_status`` for the status document, which holds the result.

Every message fits in one NATS message (the server's ``max_payload``, 8 MB with pasta's
nats.conf): a body too large for one is uploaded to the object store ``<prefix>_blobs`` as
``body/<uuid>`` and submitted as ``{"$ref": "body/<uuid>"}``; a status whose result is too large
for one names it instead, ``{"$ref": "result/<task_id>", "size": ..., "sha256": ...}``, and the
result is read from the object store and checked against its size and SHA-256.

The status document is printed on standard output (progress goes to standard error). The exit
status is 0 when the task ended SUCCESS, 1 otherwise.
"""

import argparse
import asyncio
import hashlib
import json
import os
import pathlib
import sys
import uuid

import nats
from nats.errors import TimeoutError as NatsTimeoutError

JOB_TYPE = "nonbod_pasta"

# The seed example is one of the repository's test fixtures.
REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_BODY = REPO / "tests" / "fixtures" / "seed-example" / "request.json"


# Room left in a message for its subject and headers.
MESSAGE_ROOM = 64 * 1024


async def body_or_reference(nc, prefix, body):
    """The body itself, or a reference to it uploaded when it is too large for one message."""
    if len(body) + MESSAGE_ROOM <= nc.max_payload:
        return body
    name = f"body/{uuid.uuid4()}"
    store = await nc.jetstream().object_store(f"{prefix}_blobs")
    await store.put(name, body)
    log(f"body of {len(body)} bytes uploaded as {name}")
    return json.dumps({"$ref": name}).encode()


async def with_result(nc, prefix, document):
    """The status document, with a result named by reference read from the object store."""
    named = document.get("data", {}).get("data")
    if not isinstance(named, dict) or "$ref" not in named:
        return document
    store = await nc.jetstream().object_store(f"{prefix}_blobs")
    data = (await store.get(named["$ref"])).data
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != named["size"] or (named.get("sha256") and digest != named["sha256"]):
        raise RuntimeError(f"the result {named['$ref']} is not the one computed")
    log(f"result of {len(data)} bytes read from {named['$ref']}")
    document["data"]["data"] = json.loads(data)
    return document


def log(text):
    """Progress for people, on standard error (standard output holds only the document)."""
    print(text, file=sys.stderr, flush=True)


async def run(url, prefix, body_path, timeout):
    """Submits the body as a nonbod_pasta job and returns its final status document."""
    body = pathlib.Path(body_path).read_bytes()
    # Credentials and the per-user inbox prefix as the pasta command reads them (deploy/auth:
    # PASTA_NATS_USER=pasta_client, PASTA_NATS_INBOX_PREFIX=_INBOX_pasta_client).
    options = {"name": "pasta-python-example"}
    if os.environ.get("PASTA_NATS_USER"):
        options["user"] = os.environ["PASTA_NATS_USER"]
        options["password"] = os.environ.get("PASTA_NATS_PASSWORD", "")
    if os.environ.get("PASTA_NATS_INBOX_PREFIX"):
        options["inbox_prefix"] = os.environ["PASTA_NATS_INBOX_PREFIX"]
    nc = await nats.connect(url, **options)
    try:
        # 1. Completion events of this job type: <prefix>.events.<type>.<started|success|failure>.
        events = await nc.subscribe(f"{prefix}.events.{JOB_TYPE}.*")

        # 2. Submission: request-reply on <prefix>.submit.<type>. The answer is
        #    {"status": true, "info": [], "data": {"task_id": ...}} or an error document
        #    {"status": false, "info": {"code", "message", "problems"?}, "data": {}}.
        task_id = str(uuid.uuid4())
        reply = await nc.request(
            f"{prefix}.submit.{JOB_TYPE}",
            await body_or_reference(nc, prefix, body),
            timeout=30,
            headers={"Pasta-Task-Id": task_id},
        )
        answer = json.loads(reply.data)
        if answer.get("status") is not True:
            log(f"submission refused: {json.dumps(answer['info'])}")
            return answer
        assert answer["data"]["task_id"] == task_id
        log(f"submitted {JOB_TYPE} task {task_id}")

        # 3. Wait for this task's final event. Events of other tasks (other controllers) are
        #    skipped; `started` events only report progress.
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log(f"no final event within {timeout} s; asking the status anyway")
                break
            try:
                msg = await events.next_msg(timeout=left)
            except NatsTimeoutError:
                continue
            event = json.loads(msg.data)
            if event.get("task_id") != task_id:
                continue
            log(f"event {msg.subject}: {event['task_state']} (attempt {event['attempt']})")
            if event["task_state"] in ("SUCCESS", "FAILURE"):
                break
        await events.unsubscribe()

        # 4. The status document: request-reply on <prefix>.job.check_status with the task id
        #    and its type (HTTP: GET /api/job/check_status?task_id=...&type=...).
        query = json.dumps({"task_id": task_id, "type": JOB_TYPE}).encode()
        reply = await nc.request(f"{prefix}.job.check_status", query, timeout=10)
        return await with_result(nc, prefix, json.loads(reply.data))
    finally:
        await nc.drain()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="nats://127.0.0.1:4222", help="NATS server URL")
    parser.add_argument("--prefix", default="pasta", help="pasta's subject prefix")
    parser.add_argument("--body", default=str(DEFAULT_BODY), help="request body (JSON file)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the job")
    args = parser.parse_args()
    document = asyncio.run(run(args.url, args.prefix, args.body, args.timeout))
    print(json.dumps(document, indent=2))
    # SUCCESS means the job ran; each algorithm item's own `status` says whether a path was found.
    state = document.get("data", {}).get("task_state") if document.get("status") else None
    log(f"task state: {state}")
    return 0 if state == "SUCCESS" else 1


if __name__ == "__main__":
    sys.exit(main())
