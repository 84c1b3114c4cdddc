"""Kept so that ``from autograder.release import hidden_checks_in`` still works.

The hidden-check helpers live in :mod:`autograder.hidden_checks`; the student release is
built by :mod:`autograder.instructor.release`.
"""

from autograder.hidden_checks import hidden_checks_in, without_hidden_checks

__all__ = ["hidden_checks_in", "without_hidden_checks"]
