"""The tools the grading platforms install, pinned in one place.

``UV_VERSION`` is the uv that Gradescope's image and the Classroom workflow install: a
version known to read this course's ``uv.lock``. Raise it deliberately, after trying it.
"""

UV_VERSION = "0.13.9"
# The dependency group that holds what grading needs besides the labs' own dependencies
# (pyproject.toml): the platforms install the project with it and without the dev tools.
GRADER_GROUP = "grader"
SYNC_FOR_GRADING = f"uv sync --locked --no-dev --group {GRADER_GROUP}"
# What `release` gives out unless told otherwise: lab 1 alone, since each starter contains
# the finished labs before it.
DEFAULT_RELEASE_LABS = "1"
