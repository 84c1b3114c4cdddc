"""TestClient with bounded start-up, requests and shutdown, for the checks of a grading.

A student's lifespan or route may hang. Starlette's TestClient would then wait for ever, on
the check's clock. Here:

* each request gets a time limit; a route that does not answer in time fails the check
  that called it, with that reason, and the app keeps serving the next checks (once a
  request has hung, the next ones get less time: see :mod:`autograder.stages`);

* a start-up that does not finish fails the check with that reason, and every later start
  in the grading fails at once with the same reason (:mod:`autograder.stages`);
* a shutdown that does not finish is abandoned with a note: the check's verdict is already
  known, and no points depend on how the app stops.

The hung thread is left behind; the grading process is discarded when the grading ends.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from autograder import stages

_BOUNDED = "_autograder_bounded"


class _Outcome:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value = None
        self.error: BaseException | None = None


def _in_thread(function, *args) -> _Outcome:
    outcome = _Outcome()

    def run() -> None:
        try:
            outcome.value = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the waiting check
            outcome.error = error
        finally:
            outcome.done.set()

    threading.Thread(target=run, name="app-lifespan", daemon=True).start()
    return outcome


class RequestHung(pytest.fail.Exception):
    """A route did not answer within its time limit: the check fails with that reason (it is
    pytest's own failure, so no check's ``except Exception`` mistakes it for an app crash)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


class WrappedApp:
    """An ASGI app standing in front of another; every attribute is the wrapped app's own
    (``client.app.state``, ``.dependency_overrides``)."""

    def __init__(self, app) -> None:
        object.__setattr__(self, "_app", app)

    def __getattr__(self, name: str):
        return getattr(self._app, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._app, name, value)

    async def __call__(self, scope, receive, send) -> None:
        await self._app(scope, receive, send)


class TimedApp(WrappedApp):
    """The app as a TestClient sees it: every HTTP request has a time limit."""

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") != "http":
            await self._app(scope, receive, send)
            return
        limit = stages.time_for_a_request()
        started = time.monotonic()
        task = asyncio.ensure_future(self._app(scope, receive, send))
        try:
            await asyncio.wait_for(asyncio.shield(task), limit)
        except TimeoutError:
            stages.request_hung()
            what = f"{scope.get('method', '')} {scope.get('path', '')}"
            where = where_the_app_is()
            still = f" (still running {where})" if where else ""
            raise RequestHung(f"{what} did not answer within {limit:g} s{still}") from None
        stages.request_answered(time.monotonic() - started)


def where_the_app_is() -> str | None:
    """``main.py, line 12, in predict``: where a thread of this process runs the
    submission's code (a hung route), or None (in secure mode the app runs elsewhere)."""
    import sys

    from autograder import submission
    from autograder.submission import _inside

    if submission.entry_module() is None:
        return None
    try:
        folder = submission.entry_folder()
    except Exception:  # noqa: BLE001 - no importable entry module: no place to show
        return None
    for frame in sys._current_frames().values():
        while frame is not None:
            relative = _inside(frame.f_code.co_filename, folder)
            if relative is not None:
                return f"{relative}, line {frame.f_lineno}, in {frame.f_code.co_name}"
            frame = frame.f_back
    return None


def bound_test_clients() -> None:
    """Wrap ``TestClient.__init__``, ``__enter__`` and ``__exit__`` (once per process)."""
    from starlette.testclient import TestClient

    if getattr(TestClient, _BOUNDED, False):
        return
    create, enter, leave = TestClient.__init__, TestClient.__enter__, TestClient.__exit__

    def timed_init(self, app, *args, **kwargs):
        create(self, app if isinstance(app, TimedApp) else TimedApp(app), *args, **kwargs)

    def bounded_enter(self):
        stages.refuse_if_start_up_failed()
        stages.enter("start-up")
        outcome = _in_thread(enter, self)
        if not outcome.done.wait(stages.start_timeout):
            reason = (
                f"the app's start-up (its lifespan) did not finish within "
                f"{stages.start_timeout:g} s"
            )
            stages.start_up_failed(reason)
            stages.left_behind()
            raise stages.StartUpFailed(reason)
        stages.enter("checks")
        if outcome.error is not None:
            raise outcome.error
        return outcome.value

    def bounded_exit(self, *exc_info):
        stages.enter("shutdown")
        outcome = _in_thread(leave, self, *exc_info)
        if not outcome.done.wait(stages.shutdown_timeout):
            stages.note(
                f"the app's shutdown (its lifespan after `yield`) did not finish within "
                f"{stages.shutdown_timeout:g} s; it was abandoned (no points depend on it)"
            )
            stages.left_behind()
            stages.enter("checks")
            return False
        stages.enter("checks")
        if outcome.error is not None:
            raise outcome.error
        return outcome.value

    TestClient.__init__ = timed_init
    TestClient.__enter__ = bounded_enter
    TestClient.__exit__ = bounded_exit
    setattr(TestClient, _BOUNDED, True)
