"""The service pasta replaces, reduced to its bus: a Celery app on Redis (broker and result
backend) whose `nonbod_pasta` task answers the seed example's expected result.

It computes nothing: the task loads the body (as the original's task did) and returns the
document stored beside the request. What is measured is Celery + Redis's own cost per job, a floor
the original service could not go below; pasta is compared with that floor, which favours Celery.
"""

import json
import os
import pathlib

from celery import Celery

HERE = pathlib.Path(__file__).resolve().parent
SEED = HERE.parent.parent / "tests" / "fixtures" / "seed-example"
EXPECTED = json.loads((SEED / "expected.json").read_text())

URL = os.environ.get("CELERY_BASELINE_REDIS", "redis://127.0.0.1:6379/0")

app = Celery("cxpasta", broker=URL, backend=URL)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=86400,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="nonbod_pasta")
def nonbod_pasta(body):
    """The original's task signature: the request body in, the result document out."""
    if not isinstance(body, dict) or "nodes" not in body:
        raise ValueError("not a request body")
    return EXPECTED
