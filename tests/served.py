"""Serving a lab folder's app on loopback, the way `fastapi run` would, for the course's tests.

Each folder runs in a process of its own (the labs all have a `main.py` or an `app` package,
so two of them cannot share one interpreter), with MODEL_PATH (IRIS_MODEL_PATH for the labs
whose settings take a prefix) pointing at a model the course trained.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autograder.live import free_port
from autograder.submission import entrypoint

START_TIMEOUT = 30  # seconds: importing scikit-learn on a busy machine is slow


@contextmanager
def serve(folder: Path, model_path: Path | None) -> Iterator[str]:
    """Run the app of ``folder`` (`main:app`, or `app.main:app` for a lab laid out as a
    package) with uvicorn on 127.0.0.1; yield its base URL."""
    port = free_port()
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    # a lab that keeps a database writes it in a folder of its own, never beside the code
    database_folder = Path(tempfile.mkdtemp(prefix="served-database-"))
    for prefix in ("", "IRIS_"):
        if model_path is not None:
            environment[f"{prefix}MODEL_PATH"] = str(model_path)
        environment[f"{prefix}DATABASE_URL"] = f"sqlite:///{database_folder / 'predictions.db'}"
    _run_prestart(folder, environment)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", str(entrypoint(folder)), "--host", "127.0.0.1"]
        + ["--port", str(port), "--log-level", "critical"],
        cwd=folder,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base_url)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
        shutil.rmtree(database_folder, ignore_errors=True)


def _run_prestart(folder: Path, environment: dict[str, str]) -> None:
    """Run the lab's once-only start-up work (``python -m app.prestart``: migrations, a
    missing model) when the lab has one, as its handout does before the server starts."""
    if not (folder / "app" / "prestart.py").is_file():
        return
    result = subprocess.run(
        [sys.executable, "-m", "app.prestart"],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT * 2,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"python -m app.prestart failed:\n{result.stderr[-2000:]}")


def _wait_until_up(process: subprocess.Popen, base_url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited at start-up:\n{process.stderr.read()}")
        try:
            with urllib.request.urlopen(f"{base_url}/openapi.json", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT} s")
