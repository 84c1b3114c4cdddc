"""A student's server command (with its workers) graded on a real socket, in both modes.

A small suite starts the submission with Gunicorn and two Uvicorn workers through
``autograder.isolation.commands``, sees both workers answer (with the process ids the grader
finds for the server's processes, and the one of them that accepted a connection), sends
``SIGTERM`` while a slow request is in flight and sees it finish with 200, new connections
refused and the server gone. It must grade the same in-process and sandboxed (as the
sandbox user).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.runner import Grader, Limits
from tests.test_engine import SuiteLab

MAIN = """
import asyncio
import os

from fastapi import FastAPI

app = FastAPI()


@app.get("/pid")
def pid() -> dict:
    return {"pid": os.getpid()}


@app.get("/slow")
async def slow() -> dict:
    await asyncio.sleep(1.5)
    return {"slept": 1.5}
"""

GUNICORN_CONF = """
worker_class = "uvicorn_worker.UvicornWorker"
workers = 2
graceful_timeout = 10
"""

SUITE = """
import http.client
import json
import signal
import threading
import time

import httpx

from autograder import check
from autograder.isolation.commands import Command, python
from autograder.live import free_port
from autograder.suites import support


@check(points=1, hint="h")
def test_two_workers_and_a_graceful_stop():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = python("-m", "gunicorn", "-c", "gunicorn.conf.py", "-b", f"127.0.0.1:{port}", "main:app")
    with Command(argv) as server:
        pids, deadline = set(), time.monotonic() + 20
        while len(pids) < 2 and time.monotonic() < deadline and server.running():
            try:
                pids.add(support.loopback_get(f"{url}/pid", timeout=2).json()["pid"])
            except httpx.TransportError:
                time.sleep(0.1)
        assert len(pids) == 2, f"{pids}: {server.output()}"
        # the ids the workers answer are those the grader reads in /proc, in both modes
        own = server.process_ids()
        assert pids <= own and len(own) == 3, f"workers {pids}, the server's processes {own}"
        # the worker that accepted a connection is found in /proc before anything is sent
        for _ in range(4):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.connect()
            holder = server.connection_holder(connection.sock, seconds=5)
            connection.request("GET", "/pid")
            answered = json.loads(connection.getresponse().read())["pid"]
            connection.close()
            assert holder == answered, f"accepted by {holder}, answered by {answered}"
        answer = {}

        def slow():
            answer["status"] = support.loopback_get(f"{url}/slow", timeout=10).status_code

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.5)
        server.signal(signal.SIGTERM)
        time.sleep(0.3)
        try:
            support.loopback_get(f"{url}/pid", timeout=2)
            refused = False
        except httpx.ConnectError:
            refused = True
        thread.join()
        assert answer.get("status") == 200, answer
        assert refused
        assert server.wait(10), server.output()
"""


def submission(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "main.py").write_text(textwrap.dedent(MAIN))
    (folder / "gunicorn.conf.py").write_text(textwrap.dedent(GUNICORN_CONF))
    return folder


@pytest.mark.parametrize("mode", ["in-process", "sandboxed"])
def test_a_server_command_grades_alike_in_both_modes(mode, tmp_path):
    secure = mode == "sandboxed"
    if secure and sandbox.unavailable_reason():
        pytest.skip(sandbox.unavailable_reason())
    suite = tmp_path / f"lab95_server_command_{mode[:2]}.py"
    suite.write_text(textwrap.dedent(SUITE))
    lab = SuiteLab(number=95, slug="server-command", title="server", suite_file=str(suite))
    grader = Grader(lab, Limits(check_timeout=40, secure=secure))
    try:
        result = grader.grade(submission(tmp_path / "submission"))
    finally:
        grader.close()
    failed = {r.check.name: r.message for r in result.results if not r.passed}
    assert not result.problem and not failed, result.problem or failed
