"""Lab 03 checks: serving a scikit-learn model.

The app is graded with the grader's own model (``grader_model``: trained by
``autograder/iris.py``, version ``grader-1.0``), never with the student's, so a prediction can
be compared with what that model really says. ``MODEL_PATH`` points to it before the app
starts; the working directory (in secure mode the sandbox's copy of the submission, where
the app runs) also holds a copy in ``models/`` so that only the check about ``MODEL_PATH``
fails when the variable is ignored. Outside secure mode that working directory is a copy of
the submission too, and ``main.py`` is imported there again, so what it reads when imported
(a model at the default path...) is the same in both modes.

Checks that start the app again (with MODEL_PATH set after main.py is imported, in a folder
without a model, with a model the grader holds in the middle of a prediction) have it served
by a process of its own (``support.served_apart``: a sandbox in secure mode) and decide on its
HTTP answers. The checks of ``train.py`` run train() in a probe (``sandbox.call``) that
answers only what train returned, and examine the files it wrote in another probe that never
imports the student's code (see MODEL_MODULES). What a probe answers about the student's own
objects proves nothing: the student's code runs in the probe's process and can write the
reply itself.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import pickle
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePath
from types import ModuleType

# Imported here, when the suite is collected, so the warm grader has these loaded before it
# forks a child per submission (model_selection and datasets are what a train.py uses).
import joblib
import numpy
import pytest
import sklearn.base
import sklearn.model_selection  # noqa: F401
from fastapi.testclient import TestClient
from sklearn.datasets import load_iris
from sklearn.pipeline import Pipeline

from autograder import check, iris, isolation, sandbox, submission
from autograder.held_model import HeldPipeline
from autograder.iris import FEATURES, GRADER_VERSION
from autograder.submission import describe_import_error, error_text
from autograder.suites import support
from autograder.suites.support import SETOSA, VERSICOLOR, VIRGINICA, flower

SPECIES = ["setosa", "versicolor", "virginica"]
# Flowers the model finds hard (two species close in probability): a wrong column order or a
# different model shows here first.
HARD = [flower(5.9, 3.2, 4.8, 1.8), flower(6.0, 2.7, 5.1, 1.6), flower(6.3, 2.8, 5.1, 1.5)]
SAMPLES = [SETOSA, VERSICOLOR, VIRGINICA, flower(5.0, 2.0, 3.5, 1.0), *HARD]
# A flower for which the grader's model gives no species a probability above 0.5 (about
# 0.13 / 0.45 / 0.42): the most probable species is not one that passes a fixed threshold.
AMBIGUOUS = flower(5.8, 3.8, 4.4, 2.0)
# A flower measured to the tenth of a millimetre: the model gets the measurements sent, as
# they are (not rounded to one decimal like the flowers of the data set).
PRECISE = flower(6.04, 2.76, 5.08, 1.63)


# ---------------------------------------------------------------- helpers


class Problem(Exception):
    """What went wrong in a probe, in one line for the student (the probe answers it)."""


@contextmanager
def fresh_module(folder: Path, name: str, when: str) -> Iterator[ModuleType]:
    """Import the submission's ``name`` module (and its own modules) again, as new modules;
    put back the modules that were there before on the way out. (Used in probes.)"""
    with ExitStack() as stack:
        try:
            module = stack.enter_context(submission.imported_afresh(folder, name))
        except BaseException as error:  # a submission may raise anything while imported
            raise Problem(
                f"importing {name}.py {when} failed: {describe_import_error(error, folder)}"
            ) from None
        yield module


@contextmanager
def environment(workdir: Path, model_path: str | None = None) -> Iterator[None]:
    """Work in ``workdir`` with MODEL_PATH set to ``model_path`` (unset when None); put back
    the working directory and MODEL_PATH on the way out. (Used in probes.)"""
    saved_dir, saved_path = os.getcwd(), os.environ.get("MODEL_PATH")
    os.chdir(workdir)
    set_model_path(model_path)
    try:
        yield
    finally:
        os.chdir(saved_dir)
        set_model_path(saved_path)


def set_model_path(value: str | None) -> None:
    if value is None:
        os.environ.pop("MODEL_PATH", None)
    else:
        os.environ["MODEL_PATH"] = value


def described(error: BaseException, what: str, folder: Path) -> str:
    """``<what> raised TypeError: ... (raised at main.py, line 3, in lifespan)``."""
    return f"{what} raised {support.crash_text(error, folder)}"


def answered(outcome: dict) -> dict:
    """A probe's answer, or the check fails with the problem the probe met."""
    if "problem" in outcome:
        pytest.fail(outcome["problem"], pytrace=False)
    return outcome


def probe(function, *args):
    """Run a probe (``sandbox.call``); its failure fails the check with its message."""
    try:
        return sandbox.call(function, *args)
    except sandbox.SandboxError as error:
        pytest.fail(str(error), pytrace=False)


def rows(flowers: list[dict]) -> list[list[float]]:
    return [[item[name] for name in FEATURES] for item in flowers]


def fail_with(error: Exception, what: str, folder: Path) -> None:
    """Fail the check with one line naming the error and where the submission raised it.

    (A full traceback through the web framework helps no student and is slow to format.)
    """
    message = described(error, what, folder)
    if isinstance(error, AttributeError) and "'State' object has no attribute" in str(error):
        message += "; nothing was stored there when the app started (lifespan)"
    pytest.fail(message, pytrace=False)


class Api:
    """A started app: calls that raise in the app fail the check with a short message."""

    def __init__(self, client: TestClient, folder: Path) -> None:
        self.client = client
        self.folder = folder

    def call(self, method: str, path: str, body=None, what: str = ""):
        """Send a request; ``what`` describes it in the failure message."""
        try:
            return self.client.request(method, path, json=body)
        except Exception as error:  # the app raised instead of answering
            fail_with(error, what or f"{method} {path}", self.folder)

    def get(self, path: str, what: str = ""):
        return self.call("GET", path, what=what)

    def post(self, path: str, body, what: str = ""):
        return self.call("POST", path, body, what)

    def post_ok(self, path: str, body) -> dict:
        response = self.post(path, body)
        assert response.status_code == 200, (
            f"POST {path} with {json.dumps(body)[:200]} answered {response.status_code}; "
            f"expected 200 (body: {response.text[:200]})"
        )
        return support.json_or_fail(response, f"POST {path}", body_chars=0)

    def get_ok(self, path: str) -> dict:
        response = self.get(path)
        assert response.status_code == 200, (
            f"GET {path} answered {response.status_code}; expected 200 "
            f"(body: {response.text[:200]})"
        )
        return support.json_or_fail(response, f"GET {path}", body_chars=0)


@contextmanager
def started(app, folder: Path, what: str) -> Iterator[Api]:
    """Start ``app`` (its lifespan runs) and stop it at the end of the block."""
    client = TestClient(app)
    try:
        client.__enter__()
    except Exception as error:
        fail_with(error, f"starting the app {what}", folder)
    try:
        yield Api(client, folder)
    finally:
        try:
            client.__exit__(None, None, None)
        except Exception as error:
            fail_with(error, f"stopping the app {what}", folder)


def expected_for(pipeline, flowers: list[dict]) -> list[tuple[str, dict[str, float]]]:
    """What the grader's model says: (species, probability of every species) per flower."""
    classes = [str(name) for name in pipeline.classes_]
    answers = []
    for row in pipeline.predict_proba(rows(flowers)):
        probabilities = {name: float(value) for name, value in zip(classes, row, strict=True)}
        answers.append((max(probabilities, key=probabilities.__getitem__), probabilities))
    return answers


def assert_agrees(prediction, expected: tuple[str, dict[str, float]], sent: dict, where: str):
    """The species and every probability given match the grader's model."""
    species, probabilities = expected
    assert isinstance(prediction, dict), f"{where}: expected a JSON object, got {prediction!r}"
    assert prediction.get("species") == species, (
        f"{where} for {sent} answered species {prediction.get('species')!r}; "
        f"the model says {species!r}"
    )
    given = prediction.get("probabilities")
    assert isinstance(given, dict), (
        f"{where}: probabilities must be an object {{species: probability}}, got {given!r}"
    )
    for name, value in given.items():
        assert name in probabilities, f"{where}: {name!r} is not one of the model's classes"
        assert isinstance(value, (int, float)) and value == pytest.approx(
            probabilities[name], abs=1e-6
        ), (
            f"{where} for {sent} gave probability {value!r} for {name}; "
            f"the model says {probabilities[name]:.6f}" + _why_different(value, probabilities, name)
        )


def assert_not_redirected(api: Api, path: str, body, method: str = "POST") -> None:
    """``method path`` answers itself: a redirect (to ``path`` with a / at the end, say) is
    no answer for a client that does not follow it."""
    try:
        response = api.client.request(method, path, json=body, follow_redirects=False)
    except Exception as error:  # the app raised instead of answering
        fail_with(error, f"{method} {path}", api.folder)
    if response.is_redirect:
        pytest.fail(
            f"{method} {path} answered {response.status_code}, a redirect to "
            f"{response.headers.get('location')!r}; expected 200 from {method} {path} itself: "
            f'declare the route as "{path}", with no / at the end',
            pytrace=False,
        )


def _why_different(value, probabilities: dict[str, float], name: str) -> str:
    """The likely cause of a probability that is not the model's, when one shows."""
    if not isinstance(value, (int, float)):
        return ""
    for digits in range(1, 6):
        if round(probabilities[name], digits) == value:
            return f" (rounded to {digits} decimals: send predict_proba's values as they are)"
    for other, probability in probabilities.items():
        if other != name and probability == pytest.approx(value, abs=1e-6):
            return (
                f" (that is the model's probability for {other}: pair each column of "
                "predict_proba with the class at the same place in classes_)"
            )
    return ""


# ---------------------------------------------------------------- fixtures


# The grader's model (autograder/iris.py), trained once when the suite is collected: the warm
# grader does it before it forks, so a re-grade only writes it to disk.
GRADER_PIPELINE, GRADER_METADATA = iris.train()
# Another model, for models/ when MODEL_PATH names a model elsewhere: the grader's pipeline
# fitted on every other flower only, so its probabilities differ from the grader's model's and
# an app that predicts with the wrong file shows it.
_IRIS = load_iris()
OTHER_PIPELINE = sklearn.base.clone(GRADER_PIPELINE).fit(
    _IRIS.data[::2], _IRIS.target_names[_IRIS.target][::2]
)
CHANGED_VERSION = "changed-after-start-up"  # model.json's version once the app has started
# The grader's model.json gives its accuracy on the data it was fitted on, with all its
# decimals: GET /model must answer it as it is (the cross-validated 0.96 survives a rounding).
GRADER_METADATA["metrics"]["accuracy"] = iris.training_accuracy(GRADER_PIPELINE)


@pytest.fixture(scope="session")
def grader_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The grader's model saved in the lab's format: model.joblib, and model.json beside it.

    (The same as the plugin's fixture of that name, without training again on every run.)
    """
    model_path = tmp_path_factory.mktemp("model") / "model.joblib"
    joblib.dump(GRADER_PIPELINE, model_path)
    model_path.with_suffix(".json").write_text(json.dumps(GRADER_METADATA, indent=2))
    return model_path


@pytest.fixture(scope="session")
def grader_pipeline():
    """The grader's model, to know the right answers."""
    return GRADER_PIPELINE


@contextmanager
def imported_here(app, folder: Path) -> Iterator:
    """The app to start: main.py imported in the working directory, as the sandbox does in
    secure mode (where ``app`` forwards to it), so what main.py does when it is imported sees
    the same files in both modes (not a models/ folder of the submission's own)."""
    with isolation.current().fresh_app(app, lambda: main_imported_here(folder)) as fresh:
        yield fresh


@contextmanager
def main_imported_here(folder: Path) -> Iterator:
    """main.py of ``folder`` imported afresh in the working directory; yields its app."""
    with ExitStack() as stack:
        try:
            main = stack.enter_context(fresh_module(folder, "main", "to start it"))
        except Problem as problem:
            pytest.fail(str(problem), pytrace=False)
        yield main.app


@pytest.fixture(scope="module")
def api(app, submission_dir: Path, grader_model: Path, tmp_path_factory) -> Iterator[Api]:
    """The app started with MODEL_PATH set to the grader's model."""
    workdir = tmp_path_factory.mktemp("workdir")
    # The app runs in a copy of the submission (the sandbox's own in secure mode), models too.
    isolation.current().mirror_submission(submission_dir, workdir, {"models": grader_model.parent})
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        with imported_here(app, submission_dir) as served:
            patch.setenv("MODEL_PATH", str(grader_model))
            with started(served, submission_dir, "with MODEL_PATH set") as api:
                yield api


# ---------------------------------------------------------------- /predict


@check(
    points=10,
    hint="Your answer must be what the loaded model says: the columns in the order it was "
    "trained on, and each probability exactly as predict_proba gives it, paired with its "
    'class. Handout: "Probabilities, not just a label".',
    more="Build one row per flower with the columns in the order sepal_length, sepal_width, "
    "petal_length, petal_width, call predict_proba, and pair each column with classes_.",
)
def test_predict_agrees_with_the_grader_model(api, grader_pipeline):
    """POST /predict answers the species and probabilities the loaded model gives, even for
    a flower for which no species reaches a probability of 0.5, and for measurements with
    two decimals. POST /predict answers itself, not a redirect to /predict/."""
    assert_not_redirected(api, "/predict", SETOSA)
    flowers = [*SAMPLES, AMBIGUOUS, PRECISE]
    for sent, expected in zip(flowers, expected_for(grader_pipeline, flowers), strict=True):
        answer = api.post_ok("/predict", sent)
        assert_agrees(answer, expected, sent, "POST /predict")


@check(
    points=10,
    hint="probabilities names every species of the model, each with the probability "
    'predict_proba gives it. Handout: "Probabilities, not just a label" and the contract,'
    ' "The answers".',
    more="probabilities is an object with one entry per species (all three, from classes_), "
    "straight from predict_proba; species is the most probable one.",
)
def test_probabilities_cover_every_species_and_sum_to_one(api):
    """The probabilities of /predict name all three species, sum to 1, and the predicted
    species is the most probable one."""
    for sent in SAMPLES:
        answer = api.post_ok("/predict", sent)
        probabilities = answer.get("probabilities")
        assert isinstance(probabilities, dict), (
            f"POST /predict for {sent} gave probabilities {probabilities!r}; "
            "expected an object {species: probability}"
        )
        assert sorted(probabilities) == SPECIES, (
            f"POST /predict for {sent} gave probabilities for {sorted(probabilities)}; "
            f"expected one for each of {SPECIES}"
        )
        values = list(probabilities.values())
        assert all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in values), (
            f"POST /predict for {sent}: every probability must be a number from 0 to 1, "
            f"got {probabilities}"
        )
        assert math.fsum(values) == pytest.approx(1, abs=1e-6), (
            f"POST /predict for {sent}: the probabilities sum to {math.fsum(values):.6f}, not 1"
        )
        best = max(probabilities, key=probabilities.__getitem__)
        assert answer.get("species") == best, (
            f"POST /predict for {sent} answered species {answer.get('species')!r}, "
            f"but the most probable one is {best!r} ({probabilities})"
        )


@check(
    points=4,
    hint="The version belongs to the model (its metadata file), not to the API. Handout: the "
    'contract, "The answers".',
    more='Add "model_version" to the response: the version from the model\'s metadata '
    "(model.json), not the app's own version.",
)
def test_predict_reports_the_model_version(api):
    """POST /predict says which model answered: model_version is the version in model.json."""
    answer = api.post_ok("/predict", SETOSA)
    assert answer.get("model_version") == GRADER_VERSION, (
        f"POST /predict answered model_version {answer.get('model_version')!r}; the loaded "
        f"model's model.json says {GRADER_VERSION!r}"
    )


# A flower whose sepal length, sepal width and petal width are all 10 cm, the largest allowed
# (its petal length must stay below its sepal length).
AT_THE_BOUNDS = {
    "sepal_length": 10.0,
    "sepal_width": 10.0,
    "petal_length": 9.5,
    "petal_width": 10.0,
}


@check(
    points=8,
    hint="Reuse lab 02's measurement model for the body and for each batch item: validation "
    'happens before your code runs. Handout: the contract, "The measurement".',
    more="Use the Measurement model from lab 02 as the body of /predict and as the type of "
    "the batch items: FastAPI then answers 422 before your code runs.",
)
def test_impossible_measurements_are_rejected_with_422(api):
    """A valid flower gets 200, and so does one at the upper bounds (10 cm); a flower outside
    the physical ranges (each measurement 0, or above 10; a petal as long as its sepal or
    longer), a missing field or a batch item that breaks one of these rules (a length below 0
    or above 10, a petal as long as its sepal, a missing field) gets 422."""
    api.post_ok("/predict", SETOSA)
    api.post_ok("/predict", AT_THE_BOUNDS)
    bad = {
        **{f"{name} = 0": {**SETOSA, name: 0} for name in SETOSA},
        **{f"{name} = 10.5": {**AT_THE_BOUNDS, name: 10.5} for name in SETOSA},
        "a negative length": {**SETOSA, "sepal_width": -1.0},
        "a zero width": {**SETOSA, "petal_width": 0},
        "a 25 cm sepal": {**SETOSA, "sepal_length": 25.0},
        "a petal longer than the sepal": {**SETOSA, "petal_length": 6.0},
        "a petal as long as the sepal": {**SETOSA, "petal_length": SETOSA["sepal_length"]},
        "a missing field": {k: v for k, v in SETOSA.items() if k != "petal_width"},
        "a word instead of a number": {**SETOSA, "sepal_length": "long"},
    }
    for what, body in bad.items():
        response = api.post("/predict", body)
        assert response.status_code == 422, (
            f"POST /predict with {what} ({body}) answered {response.status_code}; expected 422"
        )
    bad_items = {
        "a negative length": {**SETOSA, "sepal_length": -5.0},
        "a sepal width of 10.5": {**SETOSA, "sepal_width": 10.5},
        "a petal as long as the sepal": {**SETOSA, "petal_length": SETOSA["sepal_length"]},
        "a missing field": {k: v for k, v in SETOSA.items() if k != "petal_width"},
    }
    for what, item in bad_items.items():
        response = api.post("/predict/batch", {"items": [SETOSA, item]})
        assert response.status_code == 422, (
            f"POST /predict/batch with {what} in its second item ({item}) answered "
            f"{response.status_code}; expected 422: every item follows the rules of "
            "a measurement"
        )


# ---------------------------------------------------------------- /predict/batch


@check(
    points=10,
    hint="One call of the model for the whole batch gives one row per item, in the order sent;"
    ' each becomes a prediction, as for /predict. Handout: "Batches, with a limit".',
    more="Call the model once with every item and return one prediction per item, in the "
    'order of "items", plus the model_version.',
)
def test_batch_predictions_agree_with_the_model_in_request_order(api, grader_pipeline):
    """POST /predict/batch answers one prediction per item, in the order sent, each agreeing
    with the model (a flower for which no species reaches 0.5 included) and giving the
    probability of every species, and the model_version. POST /predict/batch answers itself,
    not a redirect to /predict/batch/."""
    items = [VIRGINICA, SETOSA, *HARD, AMBIGUOUS, VERSICOLOR, SETOSA]
    assert_not_redirected(api, "/predict/batch", {"items": items})
    answer = api.post_ok("/predict/batch", {"items": items})
    predictions = answer.get("predictions")
    assert isinstance(predictions, list) and len(predictions) == len(items), (
        f"POST /predict/batch with {len(items)} items answered predictions={predictions!r}; "
        f"expected a list of {len(items)}"
    )
    expected = expected_for(grader_pipeline, items)
    for index, (prediction, sent, wanted) in enumerate(
        zip(predictions, items, expected, strict=True)
    ):
        assert_agrees(prediction, wanted, sent, f"POST /predict/batch, item {index}")
        given = sorted(prediction["probabilities"])
        assert given == SPECIES, (
            f"POST /predict/batch, item {index} for {sent} gave probabilities for {given}; "
            f"expected one for each of {SPECIES}, as in a prediction of POST /predict"
        )
    assert answer.get("model_version") == GRADER_VERSION, (
        f"POST /predict/batch answered model_version {answer.get('model_version')!r}; "
        f"expected {GRADER_VERSION!r}"
    )


@check(
    points=8,
    hint="A list field can have a smallest and a largest length; 100 itself is allowed, and "
    'every item sent gets its own prediction. Handout: "Batches, with a limit".',
    more="Give items Field(min_length=1, max_length=100): 100 items is allowed, 101 is not, "
    "and an empty list is refused.",
)
def test_batch_accepts_1_to_100_items(api):
    """POST /predict/batch answers 200 for 1 and for 100 items, and 422 for 0 or 101."""
    for size in (1, 100):
        what = f"POST /predict/batch with {size} items"
        response = api.post("/predict/batch", {"items": [SETOSA] * size}, what)
        assert response.status_code == 200, f"{what} answered {response.status_code}; expected 200"
        answer = support.json_or_fail(response, what, body_chars=0)
        predictions = answer.get("predictions")
        assert isinstance(predictions, list) and len(predictions) == size, (
            f"POST /predict/batch with {size} items answered {len(predictions or [])} "
            "predictions; expected one per flower sent, repeated flowers included"
        )
    for size in (0, 101):
        what = f"POST /predict/batch with {size} items"
        response = api.post("/predict/batch", {"items": [SETOSA] * size}, what)
        assert response.status_code == 422, (
            f"POST /predict/batch with {size} items answered {response.status_code}; expected 422"
        )


# ---------------------------------------------------------------- /model


@check(
    points=8,
    hint="GET /model answers the metadata loaded with the model at start-up. Handout: the "
    'contract, "Routes" and "The answers".',
    more="GET /model returns the metadata loaded from model.json at start-up: version, "
    "classes, features and metrics.",
)
def test_model_route_returns_the_metadata(api, grader_model: Path):
    """GET /model answers the version, classes, features and metrics of the loaded model,
    each as model.json gives it (its accuracy has many decimals: it is not rounded). GET
    /model answers itself, not a redirect to /model/."""
    assert_not_redirected(api, "/model", None, method="GET")
    answer = api.get_ok("/model")
    metadata = json.loads(grader_model.with_suffix(".json").read_text())
    for field in ("version", "classes", "features"):
        assert answer.get(field) == metadata[field], (
            f"GET /model answered {field}={answer.get(field)!r}; model.json says "
            f"{metadata[field]!r}"
        )
    metrics = answer.get("metrics")
    assert isinstance(metrics, dict), f"GET /model answered metrics={metrics!r}; expected {{}}"
    assert metrics == pytest.approx(metadata["metrics"], rel=1e-9), (
        f"GET /model answered metrics={metrics!r}; model.json says {metadata['metrics']} "
        "(every metric, as it is)"
    )


# ---------------------------------------------------------------- loading the model


# The checks of how the app loads its model decide on what the app answers over HTTP, never on
# a probe's reply: a probe runs in the process that imports the student's code, which can
# write the reply itself. Each start is served by a process of its own
# (support.served_apart), where main.py is imported in the folder the check chose with
# MODEL_PATH unset, and MODEL_PATH is set after the import, as tests do: the app must read it
# when it starts. (The model files are copied after the import by that process, where the
# check needs a folder that holds no model while main.py is imported.)


def answer_of(served: support.ServedApart, method: str, path: str, what: str, body=None):
    """The JSON object the app answered with 200 (the check fails otherwise)."""
    response = served.request(method, path, what=what, json=body)
    assert response.status_code == 200, (
        f"{what} answered {response.status_code}; expected 200 (body: {response.text[:200]})"
    )
    answer = support.json_or_fail(response, what)
    assert isinstance(answer, dict), f"{what} answered {response.text[:200]!r}"
    return answer


@check(
    points=10,
    hint="Both files of the model, the .joblib and the .json of the same name beside it, come "
    'from the path MODEL_PATH names, read when the app starts. Handout: "Where the model is: '
    'an environment variable".',
    more='In lifespan, read os.environ.get("MODEL_PATH", "models/model.joblib") when the '
    "app starts (not at import time, not a fixed path).",
)
def test_model_path_comes_from_the_environment(
    submission_dir: Path, grader_model: Path, tmp_path: Path
):
    """The app loads the model named by MODEL_PATH when it starts, and models/model.joblib
    (in the folder it is started from) when MODEL_PATH is not set. MODEL_PATH is set after
    main.py is imported, as tests do, so it must be read at start-up. One model file is
    second-1.1/iris-second-1.1.pkl: its metadata is second-1.1/iris-second-1.1.json, whatever
    the suffix, and only the part after the last dot of the file's name is replaced. POST
    /predict answers with the pipeline of that same file (models/model.joblib holds another
    model). The first app is then stopped and started again with MODEL_PATH naming another
    model (the same imported main.py, as a test suite starts it twice): it serves that one."""
    workdir = tmp_path / "workdir"
    default = support.copy_model(grader_model, workdir / "models", version="default-path")
    joblib.dump(OTHER_PIPELINE, default)
    cases = [
        (renamed_model(grader_model, tmp_path / "first", "first-from-env"), "first-from-env"),
        (
            renamed_model(grader_model, tmp_path / "second-1.1", "second-from-env", ".pkl"),
            "second-from-env",
        ),
        (None, "default-path"),
    ]
    # The first app is then stopped and started again, with MODEL_PATH naming another model:
    # the same imported main.py, as a test suite that enters `with TestClient(app)` twice.
    restarted = renamed_model(grader_model, tmp_path / "restarted", "restarted-from-env")
    again = None
    for path, version in cases:
        what = (
            "with MODEL_PATH not set (models/model.joblib holds version 'default-path')"
            if path is None
            else f"with MODEL_PATH={path.parent.name}/{path.name} (version {version!r})"
        )
        model_path = None if path is None else str(path)
        try:
            with support.served_apart(
                submission_dir,
                what=f"starting the app {what}",
                importing="to start it again",
                workdir=workdir,
                before_import={"MODEL_PATH": None},
                after_import={"MODEL_PATH": model_path},
                restartable=path is cases[0][0],
            ) as served:
                given = answer_of(served, "GET", "/model", f"GET /model {what}").get("version")
                given_probabilities = None if path is None else probabilities_of(served)
                if path is cases[0][0] and given == version:
                    served.restart(
                        {"MODEL_PATH": str(restarted)}, what=f"starting the app {RESTARTED}"
                    )
                    again = answer_of(served, "GET", "/model", f"GET /model {RESTARTED}")
                    again = again.get("version")
        except pytest.fail.Exception as failure:
            if path is None or path.suffix != ".pkl":
                raise
            named = f"{path.parent.name}/{path.name}"
            beside = f"{path.parent.name}/{path.with_suffix('.json').name}"
            pytest.fail(
                f"{failure}; the metadata is the model's path with its suffix replaced by "
                f".json, whatever the suffix, and only the part after the last dot of the "
                f"file's name is replaced: that of {named} is {beside}",
                pytrace=False,
            )
        why = ""
        if path is not None and given == "default-path":
            why = (
                ": the version in models/model.json, not in the metadata beside the model "
                "MODEL_PATH names (MODEL_PATH not read when the app starts, or the metadata "
                "read from a fixed path)"
            )
        elif path is not None and given == DECOY_VERSION:
            folder = path.parent.name
            why = (
                f": that of {folder}/model.json, not of {folder}/{path.with_suffix('.json').name}"
                "; the metadata is the same path with the suffix .json, whatever the name"
            )
        assert given == version, f"GET /model {what} answered version {given!r}{why}"
        if path is cases[0][0]:
            assert again == "restarted-from-env", (
                f"GET /model {RESTARTED} answered version {again!r}, that of the first start: "
                "each start loads the model MODEL_PATH names then (a model kept from an "
                "earlier start, in a module-level variable or in app.state, and loaded only "
                "when none is there yet, is loaded once per process, not once per start)"
            )
        # Only which model answered is decided here (the checks of /predict decide whether
        # the answers are right): with MODEL_PATH set, not the one in models/.
        (default_answer,) = expected_for(OTHER_PIPELINE, [PATH_FLOWER])
        assert not (
            path is not None
            and given_probabilities is not None
            and given_probabilities == pytest.approx(default_answer[1], abs=1e-6)
        ), (
            f"POST /predict {what} answered with the model in models/model.joblib, not with "
            "the one MODEL_PATH names: the pipeline comes from the path MODEL_PATH names, as "
            "its metadata does"
        )


RESTARTED = (
    "again, the same app stopped and started a second time with MODEL_PATH=restarted/"
    "iris-restarted.joblib (version 'restarted-from-env')"
)


# The flower POST /predict is asked about there: the two models give it clearly different
# probabilities.
PATH_FLOWER = HARD[0]


def field_of(response, key: str):
    """``key`` of the JSON object an answer holds; None when it holds no JSON object."""
    try:
        return response.json().get(key)
    except (ValueError, AttributeError):
        return None


def probabilities_of(served: support.ServedApart) -> dict | None:
    """The probabilities POST /predict answers for PATH_FLOWER, or None when it answers none
    (the checks of /predict report that: here only which model answered matters)."""
    try:
        response = served.client.post("/predict", json=PATH_FLOWER)
        given = response.json().get("probabilities") if response.status_code == 200 else None
    except Exception:  # noqa: BLE001 - no answer, or not JSON: nothing to compare
        return None
    return given if isinstance(given, dict) else None


# The version of a model.json beside a model that is not named model.joblib: an app that reads
# the metadata from the fixed name model.json (not the model's path with the suffix .json)
# answers it.
DECOY_VERSION = "decoy-model-json"


def renamed_model(grader_model: Path, folder: Path, version: str, suffix: str = ".joblib") -> Path:
    """A copy of the grader's model named iris-<folder><suffix>, with iris-<folder>.json
    (``version``) beside it, and a model.json of another version in the same folder; return
    the model's path."""
    copied = support.copy_model(grader_model, folder, DECOY_VERSION)
    target = folder / f"iris-{folder.name}{suffix}"
    shutil.copyfile(copied, target)
    copied.unlink()
    changed = {**json.loads(grader_model.with_suffix(".json").read_text()), "version": version}
    target.with_suffix(".json").write_text(json.dumps(changed))
    return target


@check(
    points=10,
    hint="Loading belongs to the app's start-up, once; a request only uses what was loaded. "
    'Handout: "Load once, at start-up: lifespan".',
    more="Load the model in lifespan (before the yield) and keep it in app.state; the routes "
    "read it from there and never call joblib.load or read model.json themselves.",
)
def test_model_is_loaded_once_at_start_up(submission_dir: Path, grader_model: Path, tmp_path: Path):
    """The model and its metadata are loaded when the app starts: once it has started, GET
    /model keeps the start-up version when model.json changes, and the app keeps answering
    /predict, /predict/batch and /model even if the model files are deleted."""
    workdir = tmp_path / "workdir"  # models/ there: MODEL_PATH names the default path too
    model_path = support.copy_model(grader_model, workdir / "models")
    deleted = "the model files were deleted after start-up, before any request; "
    with support.served_apart(
        submission_dir,
        what="starting the app with MODEL_PATH set",
        importing="to start it again",
        workdir=workdir,
        before_import={"MODEL_PATH": None},
        after_import={"MODEL_PATH": str(model_path)},
    ) as served:
        metadata_path = model_path.with_suffix(".json")
        metadata = json.loads(metadata_path.read_text())
        metadata_path.write_text(json.dumps({**metadata, "version": CHANGED_VERSION}))
        what = "model.json was changed after start-up; then GET /model"
        response = served.get("/model", what=what)
        changed = field_of(response, "version")
        assert changed == GRADER_VERSION, (
            f"model.json was given the version {CHANGED_VERSION!r} after start-up; then GET "
            f"/model answered {response.status_code} with version {changed!r}, not the "
            f"start-up version {GRADER_VERSION!r}: the model and its metadata are read once, "
            "when the app starts"
        )
        shutil.rmtree(model_path.parent)
        for attempt in ("a first", "a second"):
            what = f"{deleted}then {attempt} POST /predict"
            response = served.post("/predict", SETOSA, what=what)
            assert response.status_code == 200, (
                f"{what} answered {response.status_code}; expected 200 from the model loaded "
                "at start-up"
            )
        what = f"{deleted}then POST /predict/batch"
        response = served.post("/predict/batch", {"items": [SETOSA, VIRGINICA]}, what=what)
        assert response.status_code == 200, (
            f"{what} answered {response.status_code}; expected 200 from the model loaded at "
            "start-up"
        )
        batch_version = field_of(response, "model_version")
        assert batch_version == GRADER_VERSION, (
            f"{what} answered model_version {batch_version!r} instead of the start-up version "
            f"{GRADER_VERSION!r}"
        )
        response = served.get("/model", what=f"{deleted}then GET /model")
        assert response.status_code == 200, (
            f"{deleted}then GET /model answered {response.status_code}; expected 200"
        )
        version = field_of(response, "version")
        assert version == GRADER_VERSION, (
            f"{deleted}then GET /model answered version {version!r} instead of the start-up "
            f"version {GRADER_VERSION!r}"
        )


@check(
    points=4,
    hint="Code at module level runs on import, before any model exists: loading belongs to "
    'start-up. Handout: "Load once, at start-up: lifespan".',
    more="Do not load the model at module level (import time): tools and tests import main.py "
    "before any model exists. Load it in lifespan.",
)
def test_importing_main_needs_no_model_file(
    submission_dir: Path, grader_model: Path, tmp_path: Path
):
    """main.py imports in a folder with no model file at all, and the app then serves the
    model that is there when it starts."""
    workdir = tmp_path / "empty"
    workdir.mkdir()
    isolation.current().writable_by_app(workdir)  # the model is copied there after the import
    models = workdir / "models"
    with support.served_apart(
        submission_dir,
        what="starting the app once the model file exists",
        importing="in a folder without models/model.joblib",
        workdir=workdir,
        before_import={"MODEL_PATH": None},
        after_import={"MODEL_PATH": str(models / "model.joblib")},
        copies={
            str(models / "model.joblib"): str(grader_model),
            str(models / "model.json"): str(grader_model.with_suffix(".json")),
        },
    ) as served:
        what = "GET /model once the model file exists"
        version = answer_of(served, "GET", "/model", what).get("version")
    assert version == GRADER_VERSION, (
        f"GET /model answered version {version!r}; expected {GRADER_VERSION!r}"
    )


# While the grader holds a prediction in the middle of the model's work (HeldPipeline: a file
# says when the model is at work, another when it may go on, no timing), it asks GET /model:
# a plain def route computes in a worker thread and the app answers at once; an async def
# route computes on the event loop, which answers nothing until the prediction ends, as the
# handout shows with /slow/async and /ping. The answer is the app's own, over HTTP.
LOOP_SECONDS = 2.0  # how long GET /model may take while a prediction is held


def held_model(grader_model: Path, folder: Path) -> Path:
    """The grader's model (model.joblib and model.json) as a HeldPipeline whose files
    ``hold`` and ``working`` are in ``folder``, which the app may write in."""
    folder.mkdir(parents=True, exist_ok=True)
    model_path = support.copy_model(grader_model, folder)
    joblib.dump(HeldPipeline(GRADER_PIPELINE, str(folder)), model_path)
    isolation.current().writable_by_app(folder)
    return model_path


def loop_answers_while_held(served: support.ServedApart, path: str, body, folder: Path) -> bool:
    """POST ``body`` to ``path`` and hold its prediction in the model; meanwhile, does GET
    /model answer (within LOOP_SECONDS)? The held POST must then answer 200. (The model's
    files are in ``folder``, the app's models/ folder.)"""
    import httpx

    hold, working = folder / "hold", folder / "working"
    working.unlink(missing_ok=True)
    hold.touch()
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pending = pool.submit(served.client.post, path, json=body)
            deadline = time.monotonic() + 10
            while not (working.exists() or pending.done()) and time.monotonic() < deadline:
                time.sleep(0.005)
            # A route that never calls predict_proba or predict is never held: nothing to
            # see then (its answers are the other checks' business).
            answered = True
            if working.exists():
                try:
                    served.client.get("/model", timeout=LOOP_SECONDS)
                except httpx.TimeoutException:
                    answered = False
        finally:
            hold.unlink(missing_ok=True)
        try:
            response = pending.result(timeout=30)
        except Exception as error:  # noqa: BLE001 - the app's process ended, say
            pytest.fail(f"POST {path} did not answer: {error_text(error)}", pytrace=False)
    assert response.status_code == 200, (
        f"POST {path} with {json.dumps(body)} answered {response.status_code}; expected 200 "
        f"(body: {response.text[:200]})"
    )
    return answered


@check(
    points=4,
    hint="CPU-bound work in an async def route blocks the event loop; FastAPI runs plain def "
    'routes in a thread pool. Handout: "def or async def?".',
    more="Write `def predict(...)`, not `async def`: scikit-learn is CPU-bound, and FastAPI runs "
    "plain def routes in a worker thread so the event loop stays free.",
)
def test_inference_routes_are_plain_def(
    api, submission_dir: Path, grader_model: Path, tmp_path: Path
):
    """POST /predict and POST /predict/batch work, and are plain `def` functions, not `async
    def` (declared on the app or on an APIRouter it includes): while either is computing a
    prediction, the app still answers GET /model at once."""
    requests = [["/predict", SETOSA], ["/predict/batch", {"items": [SETOSA]}]]
    for path, body in requests:
        api.post_ok(path, body)
    # The held model is in models/ where the app starts, the default path too: only the
    # check of MODEL_PATH fails when the variable is ignored.
    workdir = tmp_path / "workdir"
    folder = workdir / "models"
    model_path = held_model(grader_model, folder)
    with support.served_apart(
        submission_dir,
        what="starting the app with MODEL_PATH set",
        importing="to start it again",
        workdir=workdir,
        before_import={"MODEL_PATH": None},
        after_import={"MODEL_PATH": str(model_path)},
    ) as served:
        for path, body in requests:
            assert loop_answers_while_held(served, path, body, folder), (
                f"while POST {path} was computing its prediction, GET /model did not answer "
                f"within {LOOP_SECONDS:g} s: the event loop was blocked, so POST {path} is "
                "handled by an `async def` function; inference is CPU-bound, so it must be a "
                "plain `def` (FastAPI runs it in a worker thread)"
            )


# ---------------------------------------------------------------- train.py


def _train(
    module: ModuleType, folder: Path, version: str | None, work: Path, by_position: bool = False
):
    """Call the submission's train(folder, version=...) in a probe, or train(folder, version)
    ``by_position`` (as the given main() calls it); with no version, call train() with no
    arguments (``folder`` is then models/ in the working directory)."""
    existed = (folder / "model.joblib").exists()
    try:
        if version is None:
            return module.train()
        if by_position:
            return module.train(folder, version)
        return module.train(folder, version=version)
    except Exception as error:
        where = folder.relative_to(work)
        if version is None:
            call = "train() with no arguments"
        elif by_position:
            call = f"train({where!s}, {version!r}) (both by position, as the given main() does)"
        else:
            call = f"train({where!s}, version={version!r})"
        source = Path(getattr(module, "__file__", None) or work).resolve().parent
        why = described(error, call, source)
        if existed:
            # Said as one message (not as a crash the report shortens): the cause is the
            # folder that already held a model, which the error alone does not show.
            why = (
                "expected train to write over the model.joblib and model.json already in its "
                f"folder, as a second `just train 3` does; called again, {call} raised "
                f"{support.crash_text(error, source).replace('(raised at ', '(at ')}"
            )
        raise Problem(why) from None


# A probe runs in the same process as the student's code it imports, so that code can answer
# for it (write the probe's reply itself, or patch what the probe calls): what such a probe
# says about the student's objects proves nothing. The checks of train.py therefore run
# train() in one probe, which answers only what train returned, and examine the files it wrote
# in another (probe_describe_models), which never imports the student's code and loads
# model.joblib with an unpickler that rebuilds only objects of scikit-learn, NumPy, SciPy and
# joblib: a pickle naming anything else (a module of the submission, os.system...) could run
# the student's code there too.
MODEL_MODULES = ("sklearn", "numpy", "scipy", "joblib")
# The functions (not classes) of those modules that rebuild pickled arrays, random states and
# compiled scikit-learn objects.
REBUILDERS = {
    "_reconstruct",
    "scalar",
    "_frombuffer",
    "__bit_generator_ctor",
    "__randomstate_ctor",
    "__generator_ctor",
    "newObj",
}


def _load(model_file: Path):
    """joblib.load a model the submission wrote, rebuilding only objects of MODEL_MODULES
    (only ever in a probe that never imported the student's code)."""
    from joblib import numpy_pickle

    class ModelsOnly(numpy_pickle.NumpyUnpickler):
        def find_class(self, module: str, name: str):
            # The module is checked before it is imported: importing is running it.
            if module.split(".")[0] in MODEL_MODULES:
                found = super().find_class(module, name)
                if (
                    isinstance(found, (type, numpy.ufunc))  # a class, or np.log and the like
                    or name in REBUILDERS
                    or name.startswith("__pyx_")
                ):
                    return found
            raise pickle.UnpicklingError(
                f"it names {module}.{name}; a model holds objects of scikit-learn, NumPy and "
                "SciPy only"
            )

    plain, numpy_pickle.NumpyUnpickler = numpy_pickle.NumpyUnpickler, ModelsOnly
    try:
        return joblib.load(model_file)
    except Exception as error:
        raise Problem(
            f"joblib.load of the model.joblib train wrote raised {error_text(error)}"
        ) from None
    finally:
        numpy_pickle.NumpyUnpickler = plain


def _metadata(metadata_file: Path):
    try:
        return json.loads(metadata_file.read_text())
    except (OSError, ValueError) as error:
        raise Problem(f"model.json is not a JSON file: {error_text(error)}") from None


def probe_run_train(folder: str, work: str, runs: list[list[str]]) -> dict:
    """Probe: import train.py afresh with ``work`` (empty) as the working directory and, for
    each [name, version], call train(work/name, version=version) (train(work/name, version)
    for [name, version, "by position"]); answer what the first call returned and whether
    that is the path of the model it wrote. What train wrote is examined by
    probe_describe_models (see MODEL_MODULES). A version None calls train() with no
    arguments."""
    folder_path, work_path = Path(folder), Path(work)
    answer: dict = {}
    try:
        with (
            environment(work_path),
            fresh_module(folder_path, "train", "from an empty folder") as module,
        ):
            for name, version, *how in runs:
                target = work_path / name
                returned = _train(module, target, version, work_path, how == ["by position"])
                if "returned" not in answer:
                    answer["returned"] = None if returned is None else repr(returned)[:200]
                    answer["returned_is_model"] = (
                        isinstance(returned, (str, os.PathLike))
                        and Path(returned).resolve() == (target / "model.joblib").resolve()
                    )
                    answer["returned_is_path"] = isinstance(returned, PurePath)
    except Problem as problem:
        return {"problem": str(problem)}
    return answer


def train_in_probes(submission_dir: Path, work: Path, runs: list[list[str]]) -> tuple[dict, dict]:
    """Run train for ``runs`` in a probe, in ``work`` (a new folder), then describe the
    models it wrote in another probe: (what train returned, the description by name)."""
    work.mkdir()
    isolation.current().writable_by_app(work)
    ran = answered(probe(probe_run_train, str(submission_dir), str(work), runs))
    names = list(dict.fromkeys(name for name, *_ in runs))
    return ran, answered(probe(probe_describe_models, str(work), names, str(submission_dir)))


def probe_describe_models(work: str, names: list[str], folder: str) -> dict:
    """Probe (the student's code is never imported here): describe the model train wrote in
    each folder ``work``/name: its files, the pipeline (type, classes, the shape of
    predict_proba on one flower and its probabilities for the samples, its accuracy on iris)
    and model.json. The submission's ``folder`` is taken off the import path meanwhile."""
    with off_the_import_path(Path(folder)):
        return described_models(Path(work), names)


def described_models(work: Path, names: list[str]) -> dict:
    """What probe_describe_models answers (in that probe only)."""
    described = {}
    try:
        for name in names:
            model_file = work / name / "model.joblib"
            metadata_file = model_file.with_suffix(".json")
            facts = {"model_file": model_file.is_file(), "metadata_file": metadata_file.is_file()}
            if facts["model_file"]:
                pipeline = _load(model_file)
                facts["type"] = type(pipeline).__name__
                facts["is_pipeline"] = isinstance(pipeline, Pipeline)
                if facts["is_pipeline"]:
                    facts["classes"] = [str(name) for name in pipeline.classes_]
                    facts["shape"] = list(pipeline.predict_proba(rows([SETOSA])).shape)
                    facts["probabilities"] = pipeline.predict_proba(rows(SAMPLES)).tolist()
                    data = load_iris()
                    predicted = pipeline.predict(data.data)
                    facts["real"] = float((predicted == data.target_names[data.target]).mean())
            if facts["metadata_file"]:
                facts["metadata"] = _metadata(metadata_file)
            described[name] = facts
    except Problem as problem:
        return {"problem": str(problem)}
    except Exception as error:  # the pipeline itself failed (classes_, predict_proba)
        return {"problem": f"using the pipeline train wrote raised {error_text(error)}"}
    return described


@contextmanager
def off_the_import_path(folder: Path) -> Iterator[None]:
    """Take ``folder`` (the submission), and the working directory, off ``sys.path`` while
    the block runs. A sandbox puts the submission's folder first on the path, so a module
    that a library imports only when first needed (``torch``, which a module of
    scikit-learn tries, say: a model may name any module) would be the student's file of
    that name."""
    saved, inside = list(sys.path), folder.resolve()
    sys.path[:] = [
        entry for entry in saved if entry and not Path(entry).resolve().is_relative_to(inside)
    ]
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path[:] = saved


@check(
    points=8,
    hint="train(output_dir, version) writes both files into a folder it creates (parents too) "
    'and returns the model\'s path. Handout: the contract, "train.py".',
    more="train(output_dir, version) creates output_dir and its parents "
    "(mkdir(parents=True, exist_ok=True)), writes output_dir/model.joblib (joblib.dump of the "
    "fitted pipeline) and output_dir/model.json, and returns the model.joblib path.",
)
def test_train_writes_a_loadable_model_and_its_metadata(submission_dir: Path, tmp_path: Path):
    """train(folder, version) (called by position, as the given main() does) creates folder
    and its parents, and writes model.joblib (a fitted scikit-learn Pipeline trained on
    species names) and model.json (version, classes, features, metrics.accuracy); called again
    on the same folder (version=... by keyword), it writes over them. train() with no
    arguments writes models/model.joblib (in the working directory) with version 1.0.0."""
    runs = [
        ["trained/v1", "check-7.1", "by position"],
        ["trained/v1", "check-7.1"],
        ["models", None],
    ]
    ran, models = train_in_probes(submission_dir, tmp_path / "work", runs)
    default = models["models"]
    assert default["model_file"] and default["metadata_file"], (
        "train() with no arguments did not write models/model.joblib and models/model.json in "
        'the working directory; expected the defaults output_dir=Path("models") and '
        'version="1.0.0"'
    )
    metadata = default["metadata"]
    default_version = metadata.get("version") if isinstance(metadata, dict) else None
    assert default_version == "1.0.0", (
        f"train() with no arguments wrote version {default_version!r}; expected the default "
        "version '1.0.0'"
    )
    facts = models["trained/v1"]
    assert facts["model_file"], "train(folder, version=...) did not write folder/model.joblib"
    assert ran["returned_is_model"], (
        f"train(folder, ...) returned {ran['returned']}; expected the path of folder/model.joblib"
    )
    assert ran["returned_is_path"], (
        f"train(folder, ...) returned {ran['returned']}: return a pathlib.Path, not a str (the "
        'given main() calls path.with_suffix(".json") on it)'
    )
    assert facts["is_pipeline"], (
        f"model.joblib holds a {facts['type']}; expected a scikit-learn Pipeline"
    )
    classes = facts["classes"]
    assert sorted(classes) == SPECIES, (
        f"the pipeline's classes_ are {classes}; fit it on the species names {SPECIES}"
    )
    assert facts["shape"] == [1, 3], (
        f"predict_proba on one row gave shape {tuple(facts['shape'])}; expected (1, 3)"
    )
    assert facts["metadata_file"], "train(folder, ...) did not write folder/model.json"
    metadata = facts["metadata"]
    assert isinstance(metadata, dict), f"model.json holds {str(metadata)[:100]}; expected {{}}"
    assert metadata.get("version") == "check-7.1", (
        f"train(folder, version='check-7.1') wrote version {metadata.get('version')!r}"
    )
    assert metadata.get("classes") == classes, (
        f"model.json says classes {metadata.get('classes')!r}; the pipeline's classes_ "
        f"(in order) are {classes}"
    )
    assert metadata.get("features") == FEATURES, (
        f"model.json says features {metadata.get('features')!r}; expected {FEATURES}"
    )
    metrics = metadata.get("metrics")
    accuracy = metrics.get("accuracy") if isinstance(metrics, dict) else None
    assert isinstance(accuracy, (int, float)) and not isinstance(accuracy, bool), (
        f'model.json says metrics {metadata.get("metrics")!r}; expected {{"accuracy": <a number>}}'
    )


def accuracy_in(metadata) -> object:
    """metrics.accuracy of a model.json's data, or None."""
    metrics = metadata.get("metrics") if isinstance(metadata, dict) else None
    return metrics.get("accuracy") if isinstance(metrics, dict) else None


@check(
    points=6,
    hint="Three things: every random step seeded, the pipeline fitted on species names, and "
    'the accuracy measured on the held-out test set. Handout: "Train once, serve many '
    'times" and the contract, "train.py".',
    more="Pass random_state=SEED to train_test_split (and to any model that uses randomness): "
    "the same call must give the same model.",
)
def test_train_is_seeded_and_accurate(submission_dir: Path, tmp_path: Path):
    """Two calls of train give the same predictions, the accuracy in model.json is a fraction
    from 0.9 to 1 (not a percentage), and the model really classifies iris that well."""
    _, models = train_in_probes(
        submission_dir, tmp_path / "work", [["one", "same"], ["two", "same"]]
    )
    for name in ("one", "two"):
        if not models[name]["model_file"]:
            pytest.fail(f"train({name}, ...) did not write {name}/model.joblib", pytrace=False)
        if not models[name].get("is_pipeline"):
            pytest.fail(
                f"{name}/model.joblib holds a {models[name]['type']}; expected a "
                "scikit-learn Pipeline",
                pytrace=False,
            )
    facts = {
        "probabilities": [models[name]["probabilities"] for name in ("one", "two")],
        "accuracies": [accuracy_in(models[name].get("metadata")) for name in ("one", "two")],
        "real": models["one"]["real"],
        "classes": models["one"]["classes"],
    }
    first, second = ([value for row in rows_ for value in row] for rows_ in facts["probabilities"])
    assert len(first) == len(second) and first == pytest.approx(second, abs=1e-9), (
        "two calls of train(...) gave models with different predictions: seed every random "
        "step (random_state=...)"
    )
    accuracies = facts["accuracies"]
    assert accuracies[0] == accuracies[1], (
        f"two calls of train(...) reported accuracies {accuracies}"
    )
    assert (
        isinstance(accuracies[0], (int, float))
        and not isinstance(accuracies[0], bool)
        and accuracies[0] >= 0.9
    ), f"model.json reports accuracy {accuracies[0]!r}; expected at least 0.9"
    assert accuracies[0] <= 1, (
        f"model.json reports accuracy {accuracies[0]!r}; an accuracy is a fraction from 0 to 1, "
        "as score() gives it (0.97 for 97 %), not a percentage"
    )
    species = ["setosa", "versicolor", "virginica"]
    assert facts["real"] >= 0.9 or facts["classes"] == species, (
        f"the trained model answers the classes {facts['classes']}, not species names, so none "
        "of its answers names the right species: fit it on the names "
        "(iris.target_names[iris.target]), not on the class numbers"
    )
    assert facts["real"] >= 0.9, (
        f"the trained model classifies only {facts['real']:.0%} of iris correctly"
    )
