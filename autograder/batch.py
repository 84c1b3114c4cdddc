"""Batch grading lives in :mod:`autograder.instructor.batch`; these names stay importable."""

from autograder.instructor.batch import ClassRun, grade_class
from autograder.instructor.finder import find_lab_folder

__all__ = ["ClassRun", "find_lab_folder", "grade_class"]
