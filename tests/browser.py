"""A headless Chromium driven over the DevTools protocol, for the course's browser tests.

Only the Python standard library and ``websockets`` (already installed with FastAPI's
standard extras) are used: no tool that downloads a browser of its own. The browser is
Debian's ``chromium``; every name other than ``localhost`` and ``127.0.0.1`` resolves to
nothing, so a page that needs the internet shows it, and every request the page made is
recorded for the test to inspect.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--remote-debugging-port=0",
)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "http://127.0.0.1", "http://localhost")


def find_chromium() -> str | None:
    """The path of a Chromium executable, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    """Chromium could not be started or answered with an error."""


class Chromium:
    """One headless Chromium with one page, used as a context manager."""

    def __init__(self, width: int = 1280, height: int = 720, timeout: float = 30.0):
        self.width, self.height, self.timeout = width, height, timeout
        self.requests: list[str] = []
        self.blocked: set[str] = set()  # refused by the browser itself (a page's policy)
        self._urls: dict[str, str] = {}
        self._next_id = 0

    def __enter__(self) -> Chromium:
        executable = find_chromium()
        if executable is None:
            raise BrowserError("no Chromium found: install Debian's `chromium` package")
        self._profile = tempfile.TemporaryDirectory(
            prefix="chromium-profile-", ignore_cleanup_errors=True
        )
        self._process = subprocess.Popen(
            [
                executable,
                *FLAGS,
                f"--user-data-dir={self._profile.name}",
                f"--window-size={self.width},{self.height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopping it stops its helpers
        )
        try:
            self._exits = contextlib.ExitStack()
            self._socket = self._exits.enter_context(
                connect(self._page_socket_url(), max_size=None, open_timeout=10)
            )
            self.call("Page.enable")
            self.call("Network.enable")
            self.call("Runtime.enable")
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=self.width,
                height=self.height,
                deviceScaleFactor=1,
                mobile=False,
            )
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop()

    def _stop(self) -> None:
        exits = getattr(self, "_exits", None)
        if exits is not None:
            exits.close()
        self._signal_group(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self._process.wait()
        time.sleep(0.2)  # helpers of the browser may still be writing into the profile
        self._profile.cleanup()

    def _signal_group(self, signal_number: int) -> None:
        """Signal the browser's own process group (the browser and its helpers, nothing else)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal_number)

    def _page_socket_url(self) -> str:
        """Wait for the DevTools port, then return the WebSocket URL of the first page."""
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BrowserError(f"Chromium exited with status {self._process.returncode}")
            if port_file.is_file() and port_file.read_text().strip():
                port = port_file.read_text().split()[0]
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
                    pages = [t for t in json.load(answer) if t["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.05)
        raise BrowserError(f"Chromium opened no DevTools port in {self.timeout} s")

    # ------------------------------------------------------------ protocol

    def _receive(self, deadline: float) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError("Chromium did not answer in time")
        message = json.loads(self._socket.recv(timeout=remaining))
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
            self._urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed" and params.get("blockedReason"):
            self.blocked.add(self._urls.get(params["requestId"], ""))
        return message

    def call(self, method: str, **params) -> dict:
        """Send one DevTools command and return its result."""
        self._next_id += 1
        ident = self._next_id
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})

    def goto(self, url: str) -> None:
        """Open ``url`` and wait for its load event."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + self.timeout
        while self._receive(deadline).get("method") != "Page.loadEventFired":
            pass

    def evaluate(self, expression: str):
        """The value of a JavaScript expression (awaited if it is a promise)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15.0):
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise BrowserError(f"still false after {timeout} s: {expression}")

    def screenshot(self, path: Path, clip: dict | None = None) -> Path:
        """Save a PNG of the viewport (or of ``clip``: x, y, width, height) to ``path``."""
        params = {"format": "png"}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def settle(self, seconds: float = 0.5) -> None:
        """Keep reading the browser's events for a while: late requests get recorded."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.evaluate("0")
            time.sleep(0.05)

    def requests_leaving_the_machine(self) -> list[str]:
        """Every URL requested so far that is neither a local file nor a loopback server,
        leaving out those the browser refused to send (a Content-Security-Policy, say)."""
        return [
            url
            for url in self.requests
            if not url.startswith(LOCAL_SCHEMES) and url not in self.blocked
        ]


def screenshots_dir() -> Path:
    """Where browser tests keep their screenshots: build/screenshots (or $SCREENSHOTS_DIR)."""
    root = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("SCREENSHOTS_DIR", root / "build" / "screenshots"))
