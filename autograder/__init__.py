"""The course's grading engine.

Suites in ``autograder/suites/`` are plain pytest files. Each test is a *check*: it
declares its points and a hint with :func:`check`, its name and docstring are what the
student reads. ``python -m autograder grade <lab>`` runs a suite against a submission in a
watched child process and prints (or writes as JSON) the score.
"""

from autograder.checks import check

__all__ = ["check"]
