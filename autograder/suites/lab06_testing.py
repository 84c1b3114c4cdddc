"""Lab 06 · Testing the service: the checks.

In this lab the student writes the tests, in ``tests/`` of the lab folder. The checks run
those tests against services built from the reference service the student received:

* correct services that differ only in what the contract leaves open (field order, message
  wording, internal structure, request id format): the tests must pass on every one of them;
* buggy services with one realistic bug each: each one the tests fail on is a bug caught. A
  check may group two buggy services of one theme (the edges of a rule, start-up without a
  model): it passes when the tests catch both.

A bug caught only counts when the tests pass on every correct service: a suite that fails
everywhere "catches" every bug and proves nothing. The services are defined as edits of the
reference in ``autograder/lab06/implementations.toml``; no buggy code ships with the lab.
Each run happens in a process of its own with a time limit (``autograder/student_tests.py``),
with ``MODEL_PATH`` pointing at a model the grader trained and no ``models/`` folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from autograder import check, implementations
from autograder.course import lab_for_suite
from autograder.implementations import Bench, load_implementations, load_symptoms, opaque_folder
from autograder.student_test_results import TESTS_FOLDER

LAB = lab_for_suite(__file__)
IMPLEMENTATIONS = LAB.data_dir / "implementations.toml"
RUN_TIMEOUT = 20.0  # seconds the student's whole test run may take on one service
SEARCH_BUDGET = 40.0  # seconds a check may spend looking for one bug the tests catch
JOBS = 2  # test runs at the same time


def reference_folder() -> Path:
    """The service the student received: the reference solution's, or the starter's."""
    for folder in (LAB.solution_dir, LAB.starter_dir):
        if (folder / "main.py").is_file():
            return folder
    raise FileNotFoundError(f"neither {LAB.solution_dir} nor {LAB.starter_dir} has a main.py")


@pytest.fixture(scope="session")
def bench(
    submission_dir: Path,
    iris_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
):
    """The student's tests, ready to run against every service (each run once, on demand).

    A grading of some checks only runs the services those checks ask for (see Bench)."""
    checks_here = [name for name in globals() if name.startswith("test_")]
    bench = Bench(
        reference_folder(),
        load_implementations(IMPLEMENTATIONS),
        submission_dir / TESTS_FOLDER,
        opaque_folder(tmp_path_factory.getbasetemp()),  # a name that says nothing
        timeout=RUN_TIMEOUT,
        env={"MODEL_PATH": str(iris_model)},
        forget=[submission_dir],
        jobs=JOBS,
        every_run=len(request.session.items) >= len(checks_here),
    )
    yield bench
    bench.close()


# ---------------------------------------------------------------- how a check decides


def failure_on_correct(bench: Bench, name: str) -> str:
    """Why the run on a correct service does not pass, for the student."""
    run = bench.run(name)
    fails_on_reference = not bench.run(implementations.REFERENCE).passed
    return implementations.explain_failure_on_correct(
        bench.implementations[name].description,
        run,
        fails_on_reference=fails_on_reference,
        symptoms=load_symptoms(IMPLEMENTATIONS),
        in_reverse=bench.implementations[name].tests_in_reverse,
    )


def passes_on_correct_service(bench: Bench, name: str) -> None:
    """The tests pass on this correct service, and they catch at least one bug."""
    item = bench.implementations[name]
    run = bench.run(name)
    assert run.passed, failure_on_correct(bench, name)
    caught = next(bench.caught(budget=SEARCH_BUDGET), None)
    assert caught is not None, (
        f"Your tests pass on {item.description} ({run.summary()}), but they pass on every "
        "buggy service too: they do not catch any bug yet."
    )


def catches(bench: Bench, *names: str, add: Mapping[str, str] | None = None) -> None:
    """The tests pass on every correct service and fail on each of these buggy ones.

    ``add``: for a buggy service, the test that would catch it, in a sentence (shown when
    the tests pass on it; by default, "Add a test that fails on it.").
    """
    wrong = bench.first_failing_correct()
    if wrong is not None:
        correct, run = wrong
        first = run.message.splitlines()[0] if run.message else run.status
        if len(first) > 120:
            first = first[:120] + "..."
        pytest.fail(
            "Not counted: a bug caught only counts when your tests pass on every correct "
            f"service, and on {correct.description}: {first} (see the check about that "
            "service).",
            pytrace=False,
        )
    advice = add or {}
    missed, caught = [], []
    for name in names:
        item, run = bench.implementations[name], bench.run(name)
        if run.passed:
            test = advice.get(name, "Add a test that fails on it.")
            missed.append(
                f"Your tests pass ({run.summary()}) on a service that {item.description}. {test}"
            )
        else:
            caught.append(item.description)
    if not missed:
        return
    # The bug to catch comes first: a short report shows only the first lines.
    lines = missed
    every = "both" if len(names) == 2 else f"all {len(names)}"
    if caught:
        lines.append(
            f"This check needs {every} of its bugs caught; your tests already fail on the "
            f"service that {'; and on the one that '.join(caught)}."
        )
    elif len(missed) > 1:
        lines.append(f"This check needs {every} of its bugs caught.")
    pytest.fail("\n".join(lines), pytrace=False)


# ---------------------------------------------------------------- correct services

WHEAT_HINT = (
    "First make your tests pass with `uv run pytest` in your lab folder. Then check only what "
    "the contract in README.md fixes: status codes, error codes, field names and values. Do "
    "not compare error messages (nor the welcome message) or look for words in them, nor "
    "field order, the real model's probabilities (nor how sure it is), its metrics (their "
    "values or names) or species, the order of the classes or of the features, how "
    "observation ids follow each other, the format of request ids, the Retry-After of a 503, "
    "the version in /health, the case of a stored species or the service's internal names "
    "(main.app.version is one); do not send numbers as strings; and do not count on a model "
    "another test's `with` block left behind."
)


REFERENCE_HINT = (
    "Run `uv run pytest` in your lab folder: every test must pass on the service you were "
    "given. Start the app with `with TestClient(main.app)` after pointing MODEL_PATH at the "
    "`model_path` fixture, and check only what the contract in README.md states."
)


@check(
    points=4,
    hint="Your tests must pass on the service you were given, in any order, before any bug "
    'counts. Run them with `uv run pytest` in your lab folder. Handout: the contract, "Grading".',
    more=REFERENCE_HINT,
    name="correct service: the reference, as given",
)
def test_your_tests_pass_on_the_reference_service(bench):
    """Your tests run and pass on the service you were given, in their own order and in
    reverse order (each test stands alone), and at least one of them fails on some buggy
    service (a test suite that catches nothing tests nothing)."""
    passes_on_correct_service(bench, "reference")
    run = bench.run("reference-in-reverse")
    assert run.passed, failure_on_correct(bench, "reference-in-reverse")


@check(
    points=4,
    hint="A correct service may order its fields differently: test what the contract fixes, "
    'not how the reference happens to write it. Handout: "What makes a good test".',
    more=WHEAT_HINT,
    name="correct service: fields in another order",
)
def test_your_tests_accept_fields_in_another_order(bench):
    """Your tests must pass on a correct service that writes its JSON fields (and the
    probabilities, the error envelope, the health answers, the classes and the features of
    GET /model) in another order and rounds probabilities to 8 decimals."""
    passes_on_correct_service(bench, "reordered")


@check(
    points=4,
    hint="Error messages are for people and may be worded differently: test codes and "
    'statuses. Handout: "What makes a good test".',
    more=WHEAT_HINT,
    name="correct service: other error messages",
)
def test_your_tests_accept_other_error_messages(bench):
    """Your tests must pass on a correct service whose error messages (`error.message` of every
    error, and the problems listed in a 422) and welcome message (`GET /`) are worded
    differently: a 404's message does not repeat the id, a 500's does not say "request id",
    and the welcome message says neither "Welcome" nor "Iris"."""
    passes_on_correct_service(bench, "reworded")


@check(
    points=4,
    hint="A correct service may be built differently inside (names, ids, where the model "
    'lives, how train.train fits it): test the contract, from outside. Handout: "What makes '
    'a good test", and "The contract".',
    more=WHEAT_HINT,
    name="correct service: other internals",
)
def test_your_tests_accept_other_internals(bench):
    """Your tests must pass on a correct service organised differently inside: other variable
    names, the model kept elsewhere and released when the app shuts down, observation ids
    that neither start at 1 nor follow each other, request ids in another format, one more
    key in its error objects (the contract allows it), another error code for a /ready that
    fails its smoke prediction, another Retry-After in its 503s, another version in /health
    (not main.app.version), and a train.train with other settings (other probabilities, a
    most probable species under 0.5 for a versicolor, another species for a borderline
    flower, and its accuracy under the name test_accuracy); it also reads a measurement only
    from a JSON number (a string such as "5.1", or true, is a 422: the contract leaves those
    open) and returns an observation's species as it was sent ("Setosa" stays "Setosa": the
    contract does not fix its case)."""
    passes_on_correct_service(bench, "restructured")


# ---------------------------------------------------------------- buggy services


@check(
    points=4,
    hint="Send the edge itself, the first value a rule refuses: a petal width of 0, a petal "
    'exactly as long as its sepal. Handout: the contract, "The measurement".',
    more="Parametrize the out-of-range test over all four measurements and over a negative "
    "value, 0 itself and 10.5; and check that a petal exactly as long as its sepal answers "
    "422.",
    name="buggy service: a petal width of 0 or a petal as long as its sepal accepted",
)
def test_catches_a_value_on_an_excluded_edge_accepted(bench):
    """Your tests must fail on two services, each accepting a flower the contract refuses at
    the very edge of a rule (it should answer 422): one accepts a petal width of exactly 0
    (a negative width is still refused), the other a petal exactly as long as its sepal (a
    longer petal is still refused). A value beyond the edge catches neither: send the edge
    itself."""
    catches(
        bench,
        "zero-petal-width",
        "petal-as-long-as-sepal-accepted",
        add={
            "zero-petal-width": "Send 0 itself in the out-of-range test (parametrize the "
            "value over a negative number, 0 and 10.5, for every measurement).",
            "petal-as-long-as-sepal-accepted": "Add a test that sends a petal_length equal "
            "to the sepal_length and expects 422.",
        },
    )


@check(
    points=4,
    hint='"A success" is not the contract: which status does creating an observation answer? '
    'Handout: the contract, "Observations".',
    more="Check the status code of POST /observations: 201, not just 'a success'.",
    name="buggy service: an observation created with 200",
)
def test_catches_an_observation_created_with_200(bench):
    """Your tests must fail on a service that answers 200 instead of 201 Created when it records
    an observation."""
    catches(bench, "observation-created-200")


@check(
    points=4,
    hint="The largest value a rule allows must be accepted: a batch of exactly 100, a "
    'measurement of exactly 10 cm. Handout: "Testing what goes wrong".',
    more="Test both sides of every limit: a batch of 100 is accepted (and 101 is not), and a "
    "flower measuring 10 cm is accepted (and 10.5 is not).",
    name="buggy service: a batch of 100 or a 10 cm measurement refused",
)
def test_catches_the_largest_allowed_values_refused(bench):
    """Your tests must fail on two services, each refusing with 422 the largest value the
    contract allows: one refuses a batch of exactly 100 flowers, the other a measurement of
    exactly 10 cm (in every field)."""
    catches(
        bench,
        "batch-limit-off-by-one",
        "ten-centimetres-refused",
        add={
            "batch-limit-off-by-one": "Add a test that sends a batch of exactly 100 "
            "flowers and expects 200 with 100 predictions.",
            "ten-centimetres-refused": "Add a test that sends a flower with a measurement "
            "of exactly 10 (say a sepal_length of 10) and expects 200.",
        },
    )


@check(
    points=4,
    hint="A fake model never runs the code that turns scores into probabilities: only a test "
    'with the real model sees it. Handout: the contract, "Predictions".',
    more="With the real model (the `client` fixture), check each probability is between 0 "
    "and 1 and that they sum to 1 (pytest.approx).",
    name="buggy service: probabilities that do not sum to 1",
)
def test_catches_probabilities_that_do_not_sum_to_1(bench):
    """Your tests must fail on a service that returns the real model's raw scores as
    probabilities: they are not between 0 and 1 and do not sum to 1. A fake model never runs
    this code: only a test with the real model sees it."""
    catches(bench, "scores-not-probabilities")


@check(
    points=4,
    hint="The fake model replaces the one loaded at start-up: does a prediction really come "
    'from it? Handout: "A fake model through dependency_overrides".',
    more="With the fake model, check POST /predict answers exactly what the fake predicts; "
    "or delete the model file after start-up and check predictions still work.",
    name="buggy service: the model loaded on every request",
)
def test_catches_the_model_loaded_on_every_request(bench):
    """Your tests must fail on a service that loads the model file again for every POST /predict
    (ignoring get_model) instead of using the model loaded at start-up."""
    catches(bench, "model-loaded-per-request")


@check(
    points=4,
    hint="Use a version no real model has, and check it comes back, from POST /predict, "
    'POST /predict/batch, GET /model and GET /ready. Handout: "A fake model through '
    'dependency_overrides".',
    more="Use a model whose version no real model has (the fake's), and check model_version "
    "in the answers of POST /predict, POST /predict/batch and GET /ready, and version in the "
    "answer of GET /model.",
    name="buggy service: a fixed model version",
)
def test_catches_a_fixed_model_version(bench):
    """Your tests must fail on four services that report a fixed version whatever model is
    loaded: one always answers model_version 1.0.0 from POST /predict, one the same from
    POST /predict/batch, one the service's own version (0.5.0) as the version of GET /model,
    and one that same version as the model_version of GET /ready."""
    catches(
        bench,
        "fixed-model-version",
        "batch-fixed-version",
        "model-route-fixed-version",
        "ready-reports-the-service-version",
        add={
            "fixed-model-version": "Check model_version in the answer of POST /predict with "
            "the fake model: it is the fake's version.",
            "batch-fixed-version": "Check model_version in the answer of POST /predict/batch "
            "with the fake model: it is the fake's version.",
            "model-route-fixed-version": "Check version in the answer of GET /model with the "
            "fake model: it is the fake's version.",
            "ready-reports-the-service-version": "Check model_version in the answer of GET "
            "/ready: it is the version of the model loaded (the fake's, or the trained one's).",
        },
    )


@check(
    points=4,
    hint="A batch whose answers are already sorted cannot tell order from sorting. Handout: "
    'the contract, "Predictions".',
    more="Send a batch whose answers are not already in alphabetical order (virginica before "
    "setosa) and check the order of the predictions.",
    name="buggy service: batch predictions out of order",
)
def test_catches_batch_predictions_out_of_order(bench):
    """Your tests must fail on a service that returns the predictions of POST /predict/batch
    sorted by species instead of in the order of the items."""
    catches(bench, "batch-sorted")


@check(
    points=4,
    hint="Look for the address in everything that comes back. Handout: the contract, "
    '"Observations".',
    more="Check the e-mail address sent appears in neither the POST nor the GET answer.",
    name="buggy service: a leaked observer email",
)
def test_catches_a_leaked_observer_email(bench):
    """Your tests must fail on a service that keeps the observer's e-mail address and returns it
    from GET /observations/{id} (its POST answer is right)."""
    catches(bench, "email-leaked")


@check(
    points=4,
    hint="Start the app on a model of your own (MODEL_PATH), and once on none: what must "
    'each route answer then? Handout: the contract, "Start-up".',
    more="Start the app with `with TestClient(main.app)` after pointing MODEL_PATH at a model "
    "in a temporary folder (never rely on a models/ folder in the lab); and, in another test, "
    "point MODEL_PATH at a file that does not exist, start the app, and check that /health "
    "answers 200 and POST /predict and GET /model answer 503 with code model_unavailable.",
    name="buggy service: model path ignored, or a wrong answer without a model",
)
def test_catches_a_wrong_start_up_without_the_model(bench):
    """Your tests must fail on four services that get the start-up without a model wrong:
    one ignores MODEL_PATH and always loads models/model.joblib (the grader's copy of the lab
    has no models/ folder, so it starts without a model); one, started without a model,
    answers POST /predict with a 500 instead of a 503 model_unavailable (its /health and
    /ready answer as they should); one, started without a model, serves a stand-in that
    GET /model describes with a 200 (its predictions answer 503 as they should); one,
    started without a model, answers /health with a 503 (liveness must not need the model)."""
    catches(
        bench,
        "model-path-ignored",
        "no-model-is-a-500",
        "stand-in-model-described",
        "health-needs-the-model",
        add={
            "health-needs-the-model": "Start the app with MODEL_PATH naming a file that does "
            "not exist and check GET /health still answers 200.",
            "stand-in-model-described": "Start the app with MODEL_PATH naming a file that "
            "does not exist and check GET /model answers 503 with code model_unavailable.",
            "model-path-ignored": "Point MODEL_PATH at the model_path fixture before "
            "`with TestClient(main.app)` and check predictions with the real model work.",
            "no-model-is-a-500": "Start the app with MODEL_PATH naming a file that does not "
            "exist and check POST /predict answers 503 with code model_unavailable.",
        },
    )


@check(
    points=4,
    hint="Readiness must fail when the model cannot predict: make your fake model fail. And "
    'read the status in the answers of /health and /ready. Handout: "Testing what goes '
    'wrong", and the contract, "Routes".',
    more='Make the fake model crash (monkeypatch.setattr(fake_model, "predict", crash)) and '
    "check GET /ready answers 503; with a working model, check /health answers 200 with "
    'status "ok" and /ready 200 with status "ready".',
    name="buggy service: ready without a smoke prediction, or a wrong status word",
)
def test_catches_ready_without_a_smoke_prediction(bench):
    """Your tests must fail on three services: one whose /ready answers 200 as soon as a model
    is loaded, without trying a prediction (a model that cannot predict is reported ready),
    one whose /ready answers status "ok" instead of "ready", and one whose /health answers
    status "healthy" instead of "ok"."""
    catches(
        bench,
        "ready-without-smoke-prediction",
        "ready-says-ok",
        "health-says-healthy",
        add={
            "ready-without-smoke-prediction": "Make the fake model crash and check GET /ready "
            "answers 503.",
            "ready-says-ok": 'Check the status in the answer of GET /ready: it is "ready".',
            "health-says-healthy": 'Check the status in the answer of GET /health: it is "ok".',
        },
    )


@check(
    points=4,
    hint="Make the model fail with a message of your own and look for it in the 500. Handout: "
    '"Testing what goes wrong".',
    more="Make the fake model crash with a secret message, POST /predict, and check the whole "
    "answer of the 500 (response.text, not only error.message) contains neither the message "
    "nor the exception's class name.",
    name="buggy service: an internal error that leaks details",
)
def test_catches_an_internal_error_that_leaks_details(bench):
    """Your tests must fail on a service whose 500 names the exception's class, in a key of
    its own in the error object, instead of revealing nothing (the handout: the answer
    contains neither the exception's message nor its class name, anywhere)."""
    catches(bench, "internal-error-leaked")


@check(
    points=4,
    hint="Loaded once, at start-up: prove it by taking the file away after start-up. "
    'Handout: the contract, "Start-up", and "Tasks", 7.',
    more="Copy the model files to a temporary folder, point MODEL_PATH there, start the app "
    "(`with TestClient(main.app)`), delete the copies, and check POST /predict still "
    "answers 200.",
    name="buggy service: the model file read after start up",
)
def test_catches_the_model_file_read_after_start_up(bench):
    """Your tests must fail on a service that reads the model file again each time a route
    asks for the model (in get_model): a fake model through dependency_overrides never sees
    it, only a prediction after the file is gone does."""
    catches(bench, "model-file-read-after-start-up")


@check(
    points=4,
    hint="Between 0 and 1 is half of the rule: the probabilities also sum to 1. Handout: the "
    'contract, "Predictions".',
    more="With the real model, check sum(probabilities.values()) == pytest.approx(1) as well "
    "as each value being between 0 and 1.",
    name="buggy service: probabilities rounded down",
)
def test_catches_probabilities_rounded_down(bench):
    """Your tests must fail on a service that rounds the real model's probabilities down to
    one decimal: each stays between 0 and 1, but they no longer sum to 1."""
    catches(bench, "probabilities-rounded-down")


@check(
    points=4,
    hint="The 500 must hide the exception's message as well as its class name. Handout: "
    '"Testing what goes wrong".',
    more="Make the fake model crash with a secret message of your own, POST /predict, and "
    "check that message is nowhere in the 500's answer.",
    name="buggy service: an internal error that leaks its message",
)
def test_catches_an_internal_error_that_leaks_its_message(bench):
    """Your tests must fail on a service whose 500 repeats the exception's message (the
    handout: neither the exception's message nor its class name)."""
    catches(bench, "internal-error-message-leaked")


@check(
    points=4,
    hint="The address must be in no answer: the one that creates the observation too. "
    'Handout: the contract, "Observations".',
    more="Check the e-mail address sent appears in neither the POST answer nor the GET "
    "answer of the same observation.",
    name="buggy service: an observer email in the post answer",
)
def test_catches_an_observer_email_in_the_post_answer(bench):
    """Your tests must fail on a service that returns the observer's e-mail address in the
    answer of POST /observations (its GET answer is right)."""
    catches(bench, "email-in-the-post-answer")


@check(
    points=4,
    hint="Test both sides of every limit: an empty batch and one more than the largest are "
    'refused. Handout: the contract, "Routes", and "Testing what goes wrong".',
    more="Check a batch of 0 flowers and a batch of 101 flowers both answer 422, as well as "
    "batches of 1 and 100 answering 200.",
    name="buggy service: a batch of 0 or 101 accepted",
)
def test_catches_a_batch_of_0_or_101_accepted(bench):
    """Your tests must fail on two services, each accepting a batch size the contract refuses
    (it should answer 422): one accepts a batch of 101 flowers, one more than the largest
    allowed, the other an empty batch (0 flowers)."""
    catches(
        bench,
        "batch-of-101-accepted",
        "empty-batch-accepted",
        add={
            "batch-of-101-accepted": "Add a test that sends a batch of 101 flowers and "
            "expects 422.",
            "empty-batch-accepted": 'Add a test that sends {"items": []} and expects 422.',
        },
    )


@check(
    points=4,
    hint="Read a known flower and check it is that one (its id), and read an unknown one. "
    'Handout: the contract, "Routes".',
    more="Check GET /flowers/1 answers 200 with id 1 and species setosa, and GET /flowers/999 "
    "answers 404 with code not_found.",
    name="buggy service: the wrong flower for an id",
)
def test_catches_the_wrong_flower_for_an_id(bench):
    """Your tests must fail on a service that answers GET /flowers/{id} with the next flower
    (flower 2, also a setosa, for id 1) and an unknown id with a 500 instead of a 404: a test
    that reads the id of a known flower sees it, and so does one of an unknown id."""
    catches(bench, "flower-off-by-one")


@check(
    points=4,
    hint="All four measurements are required: leave each one out in turn. Handout: the "
    'contract, "The measurement".',
    more="Parametrize a test over the four measurement names: POST /predict with that one "
    "left out answers 422.",
    name="buggy service: a flower without its petal width accepted",
)
def test_catches_a_flower_without_its_petal_width_accepted(bench):
    """Your tests must fail on a service that accepts a flower without its petal_width (it
    assumes a value) instead of answering 422; the three other measurements are required as
    they should be, so only a test that leaves out petal_width itself catches it."""
    catches(bench, "missing-petal-width-accepted")


@check(
    points=4,
    hint="An observation that does not exist is a 404, not an error of the server. Handout: "
    'the contract, "Routes" and "Errors".',
    more="Check GET /observations/999999 answers 404 with code not_found (the given assert_error).",
    name="buggy service: an unknown observation not answered with 404",
)
def test_catches_an_unknown_observation_not_answered_with_404(bench):
    """Your tests must fail on a service that answers GET /observations/{id} for an unknown id
    with a 500 instead of a 404 not_found."""
    catches(bench, "unknown-observation-500")


@check(
    points=4,
    hint="The species is the one with the highest probability: with the real model, check "
    'it against the probabilities. Handout: the contract, "Predictions".',
    more="With the real model (the `client` fixture), check body['species'] == "
    "max(probabilities, key=probabilities.get), for a setosa and a versicolor at least.",
    name="buggy service: a species that is not the most probable",
)
def test_catches_a_species_that_is_not_the_most_probable(bench):
    """Your tests must fail on a service that answers virginica for every flower the real
    model predicts, whatever its probabilities say. A fake model never runs this code: only
    a test with the real model that compares the species with the probabilities sees it."""
    catches(bench, "species-not-the-most-probable")


@check(
    points=4,
    hint="An observation whose body breaks a rule is a 422: send an e-mail address without "
    '@. Handout: the contract, "Observations".',
    more="POST /observations with an observer e-mail such as ada.example.org and check it "
    "answers 422 (code validation_error).",
    name="buggy service: an observer email without @ accepted",
)
def test_catches_an_observer_email_without_at_accepted(bench):
    """Your tests must fail on a service that records an observation whose observer e-mail
    has no @ (such as ada.example.org) instead of answering 422."""
    catches(bench, "bad-email-accepted")
