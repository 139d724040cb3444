"""Measures Celery + Redis as pasta's load generator measures pasta (`--mode all`):

- throughput: JOBS jobs submitted from one client, end to end (first submission to last result);
- latency: SAMPLES jobs one at a time, submit -> SUCCESS (the result backend's notification);
- status: QUERIES reads of one finished task's state and result, as the original's
  check_status did (`AsyncResult(id).state`, then `.info`).

Prints one line per figure, in the load generator's table form.
"""

import argparse
import json
import time

from celery.result import AsyncResult, ResultSet

import tasks


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds):
    return f"{seconds * 1000:.3f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--queries", type=int, default=5000)
    args = parser.parse_args()
    body = json.loads((tasks.SEED / "request.json").read_text())

    # Warm: connections, the worker's pool.
    for _ in range(20):
        tasks.nonbod_pasta.delay(body).get(timeout=30)

    t0 = time.perf_counter()
    submitted = [tasks.nonbod_pasta.delay(body) for _ in range(args.jobs)]
    submitting = time.perf_counter() - t0
    results = ResultSet(submitted).join_native(timeout=600)
    took = time.perf_counter() - t0
    assert len(results) == args.jobs and all(r == tasks.EXPECTED for r in results)
    print(f"throughput  submission rate              {args.jobs / submitting:.0f} jobs/s")
    print(f"throughput  end to end (submit -> SUCCESS) {args.jobs / took:.0f} jobs/s over {took:.2f} s")

    ends = []
    for i in range(args.samples + 20):
        t = time.perf_counter()
        result = tasks.nonbod_pasta.delay(body).get(timeout=30)
        if i >= 20:
            ends.append(time.perf_counter() - t)
        assert result == tasks.EXPECTED
    print(
        f"latency     submit -> SUCCESS p50/p90/p99  "
        f"{ms(pct(ends, 0.5))} / {ms(pct(ends, 0.9))} / {ms(pct(ends, 0.99))} ms"
    )

    done = tasks.nonbod_pasta.delay(body)
    done.get(timeout=30)
    took = []
    for i in range(args.queries + 100):
        t = time.perf_counter()
        asked = AsyncResult(done.id, app=tasks.app)
        state, info = asked.state, asked.info
        if i >= 100:
            took.append(time.perf_counter() - t)
        assert state == "SUCCESS" and info == tasks.EXPECTED
    print(f"status      Redis GET p50/p99              {ms(pct(took, 0.5))} / {ms(pct(took, 0.99))} ms")


if __name__ == "__main__":
    main()
