"""What an instructor runs: the student release, batch grading, Gradescope and Classroom.

Each module has one job; the command line (``autograder/cli.py``) calls them.
"""
