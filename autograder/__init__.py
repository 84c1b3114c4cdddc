"""The course's grading engine.

Suites in ``autograder/suites/`` are plain pytest files. Each test is a *check*: it
declares its points and a hint with :func:`check`, its name and docstring are what the
student reads. ``python -m autograder grade <lab>`` runs a suite against a submission in a
watched child process and prints (or writes as JSON) the score.

``check`` is imported on first use: the small commands (``labs``, ``hint``, ``progress``)
import this package too, and must not pay for pytest.
"""

__all__ = ["check"]


def __getattr__(name: str):
    if name == "check":
        from autograder.checks import check

        return check
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
