"""How fast does the reference solution serve? One run, on this machine, on loopback:

* hello: a bare FastAPI app with one ``def`` route, served by the same Uvicorn command
  (one worker, no access log) as the solution: the ceiling for this machine and server;
* health: the solution's ``GET /health``, which does nothing but pass through the
  service's middleware (request id, timing, JSON log, metrics, body limit, hosts, CORS,
  GZip): what every route of the service pays before its own work;
* predict: the solution's single prediction (``POST /v2/predict`` in lab 12), one flower,
  each request one of 64 in turn, with the grader's model and an API key (after the first
  64 the prediction cache answers: this measures the service around the model, its
  validation, authentication, rate limit, database write and logs);
* batch: its batch prediction (``POST /v1/predict/batch``) with 100 flowers a request.

It prints requests per second, p50/p95/p99 latencies and the server's CPU time per request
for each, then the two ratios the course aims for: predict at least 50% of hello's
throughput, and batch at least 20 times the rows per second of single predictions. The same
ratios by CPU time follow: on 2 cores the load generator takes its share of the machine, so
throughput moves from run to run more than the server's own cost does. The figures are
what this run measured, goals met or not. Run with ``uv run just bench-serve``
(``--seconds``, ``--connections``, ``--lab``; a route an earlier lab does not have, such as
lab 03's /health, is named and left out).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import find_lab  # noqa: E402
from autograder.iris import save_model  # noqa: E402
from autograder.live import free_port  # noqa: E402
from bench.load import Result, measure, request_bytes  # noqa: E402

API_KEY = "bench-" + "k" * 32
HELLO_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
def hello() -> dict:
    return {"message": "hello"}
"""


def flowers(count: int, seed: int = 12) -> list[dict]:
    """``count`` different flowers of the iris data set (real, so each one is valid)."""
    from sklearn.datasets import load_iris

    from autograder.iris import FEATURES

    rows = load_iris().data.tolist()
    random.Random(seed).shuffle(rows)
    return [dict(zip(FEATURES, row, strict=True)) for row in rows[:count]]


def settings(data: Path) -> dict[str, str]:
    """The solution's environment: the grader's model, a key, a database of this run."""
    model = save_model(data / "model")
    values = {
        "MODEL_PATH": str(model),
        "API_KEYS": json.dumps({"bench": API_KEY}),
        "JWT_SECRET": "s" * 40,
        "DATABASE_URL": f"sqlite:///{data / 'bench.db'}",
        "RATE_LIMIT_CAPACITY": "1000000",
        "RATE_LIMIT_REFILL_PER_SECOND": "1000000",
    }
    # The same settings under the prefix lab 11 gives them (earlier labs read them bare).
    return {**values, **{f"IRIS_{name}": value for name, value in values.items()}}


def serve(folder: Path, target: str, port: int, environment: dict[str, str]):
    """Start ``uvicorn target`` in ``folder``, one worker, no access log; wait for it."""
    import os
    import subprocess

    prestart = folder / "app" / "prestart.py"
    env = {**os.environ, **environment}
    if prestart.exists():
        subprocess.run(
            [sys.executable, "-m", "app.prestart"],
            cwd=folder,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    command = [sys.executable, "-m", "uvicorn", target, "--port", str(port)]
    command += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit(f"{target} did not start: exit {process.returncode}") from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{target} did not answer within 60 s")


def routes(folder: Path) -> tuple[str, str]:
    """The single and batch prediction paths: /v2/predict and /v1/predict/batch from lab
    11 on (versioned), /predict and /predict/batch before."""
    if (folder / "app" / "api" / "routes" / "predict_v2.py").exists():
        return "/v2/predict", "/v1/predict/batch"
    return "/predict", "/predict/batch"


def load(name: str, server, requests: list[bytes], connections: int, seconds: float):
    """Measure each of ``requests`` in turn for an equal share of ``seconds``; merged.
    ``server`` is ``(port, pid)``: the pid's CPU time is counted too."""
    port, pid = server
    share = seconds / len(requests)
    parts = [
        measure(name, port, one, connections=connections, seconds=share, server_pid=pid)
        for one in requests
    ]
    merged = Result(name, sum(part.seconds for part in parts))
    for part in parts:
        merged.latencies += part.latencies
    cpu = [part.server_cpu for part in parts]
    merged.server_cpu = None if None in cpu else sum(cpu)
    return merged


def answers(port: int, request: bytes) -> bool:
    """Whether the served app answers ``request`` with 200 (an earlier lab may not have the
    route: lab 03 has no /health and no API key)."""
    return measure("probe", port, request, connections=1, seconds=0, once=True).requests == 1


def show(result: Result, rows: int = 1) -> None:
    cpu = result.cpu_per_request
    print(
        f"{result.name:<8} {result.requests:>7} requests {result.per_second:>8.1f} req/s "
        f"{result.per_second * rows:>9.1f} rows/s   p50 {result.percentile(0.50):6.1f} ms "
        f"p95 {result.percentile(0.95):6.1f} ms  p99 {result.percentile(0.99):6.1f} ms"
        + ("" if cpu is None else f"  server CPU {cpu:6.2f} ms/request")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="12", help="the lab whose solution is measured")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--connections", type=int, default=8)
    options = parser.parse_args()
    seconds = options.seconds
    solution = find_lab(options.lab).solution_dir
    target = "app.main:app" if (solution / "app" / "main.py").exists() else "main:app"
    headers = {"X-API-Key": API_KEY}
    batch = flowers(100, seed=99)
    with tempfile.TemporaryDirectory() as temporary:
        data = Path(temporary)
        (data / "hello.py").write_text(HELLO_APP)
        environment = settings(data)
        results = {}
        for name, folder, app in (("hello", data, "hello:app"), ("service", solution, target)):
            port = free_port()
            process = serve(folder, app, port, environment)
            try:
                if name == "hello":
                    requests = [request_bytes("GET", "/hello")]
                    results["hello"] = load(
                        "hello", (port, process.pid), requests, options.connections, seconds
                    )
                    continue
                # The service's own middleware around a route that does nothing else.
                health = [request_bytes("GET", "/health")]
                single, many_path = routes(folder)
                singles = [request_bytes("POST", single, one, headers) for one in flowers(64)]
                many = [request_bytes("POST", many_path, {"items": batch}, headers)]
                for name, requests in (("health", health), ("predict", singles), ("batch", many)):
                    if answers(port, requests[0]):
                        results[name] = load(
                            name, (port, process.pid), requests, options.connections, seconds
                        )
                    else:
                        print(f"lab {options.lab}: {name} does not answer 200 here, not measured")
            finally:
                process.terminate()
                process.wait(timeout=30)
    print(f"lab {options.lab} solution, uvicorn with 1 worker, {options.connections} connections")
    for name, result in results.items():
        show(result, rows=len(batch) if name == "batch" else 1)
    hello = results["hello"].per_second
    if "predict" in results:
        share = results["predict"].per_second / hello
        print(f"predict / hello throughput: {share:.0%} (goal: at least 50%)")
    if "health" in results:
        floor = results["health"].per_second / hello
        print(f"health / hello throughput: {floor:.0%} (the service's middleware alone)")
    if "predict" in results and "batch" in results:
        rows = results["batch"].per_second * len(batch) / results["predict"].per_second
        print(f"batch rows/s / single rows/s: {rows:.1f}x (goal: at least 20x)")
    costs = {name: result.cpu_per_request for name, result in results.items()}
    if None not in costs.values() and {"hello", "predict", "batch"} <= costs.keys():
        share = costs["hello"] / costs["predict"]
        rows = costs["predict"] * len(batch) / costs["batch"]
        print(f"by the server's CPU per request: predict / hello {share:.0%}, batch {rows:.1f}x")


if __name__ == "__main__":
    main()
