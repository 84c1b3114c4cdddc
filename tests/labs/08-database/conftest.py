"""The alternatives' own tests (``alternative/tests/``, ``independent/tests/``) run inside a
copy of the lab, where they import its ``main``: they are graded there, never collected
here."""

collect_ignore = ["alternative", "independent"]
