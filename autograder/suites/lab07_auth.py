"""Lab 07 checks: API keys, password logins, JWT access tokens and roles.

The grader runs the app with its own settings, put in the environment once for the whole
grading, before the app is imported (normal mode imports main.py again after that; secure
mode imports it in each sandbox), so an app reads them the same way whether it reads its
settings at import or in lifespan:

* ``JWT_SECRET``: a random 64-character key; ``ACCESS_TOKEN_MINUTES``: 7;
* ``API_KEYS``: two clients with random keys; ``USERS``: an admin and a user, with Argon2
  hashes the grader made with pwdlib at a tiny cost; ``ARGON2_TIME_COST=1`` and
  ``ARGON2_MEMORY_COST=64`` (KiB) give the app a tiny cost too, so grading stays fast;
* ``MODEL_PATH``: the grader's model, copied into a folder of this grading (the reload
  checks change its metadata, or move the file aside for one request, and put it back).

Each check starts the app afresh (its lifespan runs). Bad tokens are forged here with PyJWT
(expired, ``alg: none``, another key, a changed payload, a missing ``exp`` or ``sub``), and
each "is 401" check first sees a valid token accepted on the same route, so an app without
the route scores nothing. Nothing here depends on wording, timing or the hashing cost.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from autograder import check, isolation
from autograder import submission as submission_loader
from autograder.iris import GRADER_VERSION
from autograder.suites import support
from autograder.suites.support import SETOSA

ADMIN, ADMIN_PASSWORD = "ada", "ada-reloads-models-9"
USER, USER_PASSWORD = "bea", "bea-predicts-flowers-4"
ROLES = {ADMIN: "admin", USER: "user"}
PASSWORDS = {ADMIN: ADMIN_PASSWORD, USER: USER_PASSWORD}
TOKEN_MINUTES = 7
CLOCK_SLACK = 90  # seconds of tolerance on a token's expiry
JUST_EXPIRED = 1  # seconds since a token's exp: refused all the same (no leeway)
EXPIRES_SOON = 3  # seconds a token has left when the expiry check first shows it
LIFETIME_SLACK = 2  # seconds between exp - iat and ACCESS_TOKEN_MINUTES (two clock readings)
NEXT_SECOND = 1.05  # seconds between two logins: their tokens' iat (whole seconds) differ
SECRET = secrets.token_hex(32)
API_KEYS = {"grader-robot": secrets.token_urlsafe(24), "grader-lab": secrets.token_urlsafe(24)}
RELOADED_VERSION = "grader-2.0"
PASSWORD_HASH_MARK = "$argon2"  # how every hash of USERS begins


# ---------------------------------------------------------------- the grader's settings


def grader_environment(model_path: Path) -> dict[str, str]:
    """The environment variables of the handout's contract, with the grader's values."""
    hashes = support.password_hashes(PASSWORDS)
    users = {name: {"password_hash": hashes[name], "role": ROLES[name]} for name in (ADMIN, USER)}
    return {
        "MODEL_PATH": str(model_path),
        "JWT_SECRET": SECRET,
        "ACCESS_TOKEN_MINUTES": str(TOKEN_MINUTES),
        "API_KEYS": json.dumps(API_KEYS),
        "USERS": json.dumps(users),
        **support.FAST_ARGON2,
    }


@pytest.fixture(scope="session")
def model_file(iris_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the grader's model that the reload check may change (and puts back)."""
    return support.copy_model(iris_model, tmp_path_factory.mktemp("served-model"))


@pytest.fixture(scope="session", autouse=True)
def grader_settings(model_file: Path) -> Iterator[dict[str, str]]:
    """The grader's settings, in the environment for the whole grading."""
    environment = grader_environment(model_file)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        yield environment


@pytest.fixture(scope="session")
def configured_app(grader_settings: dict[str, str], submission_dir: Path):
    """The student's app, imported once the grader's settings are in the environment."""
    try:
        return isolation.current().app(submission_dir, reload=True)
    except submission_loader.SubmissionError as error:
        pytest.fail(f"the submission did not import: {error}", pytrace=False)


@contextmanager
def started(app) -> Iterator:
    """A TestClient for ``app``, its lifespan run with the grader's settings."""
    with support.started(
        app, failure="the grader's settings", raise_server_exceptions=False
    ) as test_client:
        yield test_client


@pytest.fixture
def fresh_client(configured_app) -> Iterator:
    """The app, started afresh for this check."""
    with started(configured_app) as test_client:
        yield test_client


# ---------------------------------------------------------------- tokens


def claims_for(username: str, **changes) -> dict:
    """The claims of a valid token for ``username``; ``changes`` replace or (None) drop some."""
    now = int(time.time())
    claims = {"sub": username, "role": ROLES[username], "iat": now, "exp": now + 300}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def forged(claims: dict, key: str = SECRET, algorithm: str = "HS256") -> str:
    """A token the grader signs itself (with the app's secret unless told otherwise)."""
    import jwt

    return jwt.encode(claims, key, algorithm=algorithm)


def with_payload(token: str, **changes) -> str:
    """``token`` with claims changed in its payload but its signature kept: a forgery."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def expired_tokens() -> list[tuple[str, str]]:
    """Tokens of the user, signed with the app's secret, whose exp has passed: two minutes
    ago, and only JUST_EXPIRED seconds ago (the grader and the app read the same clock).
    Each lived ACCESS_TOKEN_MINUTES, as the app's own tokens do."""
    now = int(time.time())
    return [
        (
            f"a token that expired {ago} s ago",
            forged(claims_for(USER, iat=now - ago - TOKEN_MINUTES * 60, exp=now - ago)),
        )
        for ago in (120, JUST_EXPIRED)
    ]


def token_expiring_soon() -> tuple[str, int]:
    """A token of the user, like one the app issued ACCESS_TOKEN_MINUTES ago, that is valid
    for EXPIRES_SOON more seconds; and its exp."""
    exp = int(time.time()) + EXPIRES_SOON
    return forged(claims_for(USER, iat=exp - TOKEN_MINUTES * 60, exp=exp)), exp


def expired_accepted(request: str, what: str, response) -> str:
    """Why an expired token's answer is wrong: what was sent, what came back, the contract."""
    return (
        f"{request} with {what} answered {response.status_code}; expected 401: a token is "
        "refused as soon as its exp has passed"
        + (f" (body: {response.text[:200]})" if response.status_code >= 400 else "")
    )


def is_number(value) -> bool:
    """A JSON number (an int or a float), not a boolean."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- requests


def log_in(test_client, username: str, password: str):
    """POST /token with the OAuth2 password form."""
    return test_client.post("/token", data={"username": username, "password": password})


def token_from_login(test_client, username: str) -> str:
    """An access token from POST /token, or a failed check that says why there is none."""
    response = log_in(test_client, username, PASSWORDS[username])
    support.expect_status(response, 200, f"POST /token for {username!r} with the right password")
    body = support.json_or_fail(response, "POST /token")
    token = body.get("access_token") if isinstance(body, dict) else None
    assert isinstance(token, str) and token, (
        f'POST /token answered {json.dumps(body)[:200]}; expected {{"access_token": "...", '
        '"token_type": "bearer"}'
    )
    return token


def refusal(response) -> str:
    """What a refused login says: the envelope's message (or the whole body when it has
    none), without the request id, which differs from one answer to the next."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and "message" in error:
        return str(error["message"])
    return response.text


def me_accepts(test_client, token: str, what: str) -> dict:
    """GET /users/me accepts ``token``: the positive case a rejection is compared with."""
    response = test_client.get("/users/me", headers=bearer(token))
    support.expect_status(response, 200, f"GET /users/me with {what}")
    return support.json_or_fail(response, "GET /users/me")


def me_rejects(test_client, token: str, what: str) -> None:
    response = test_client.get("/users/me", headers=bearer(token))
    support.expect_status(response, 401, f"GET /users/me with {what}")


def predict(test_client, headers: dict | None = None):
    return test_client.post("/predict", json=SETOSA, headers=headers or {})


def key_headers(client_name: str = "grader-robot") -> dict[str, str]:
    return {"X-API-Key": API_KEYS[client_name]}


def admin_reload(test_client) -> dict:
    """POST /model/reload as the admin (a token from /token): must answer 200."""
    token = token_from_login(test_client, ADMIN)
    response = test_client.post("/model/reload", headers=bearer(token))
    support.expect_status(response, 200, "POST /model/reload with the admin's token")
    return support.json_or_fail(response, "POST /model/reload")


# ---------------------------------------------------------------- logging in


@check(
    points=5,
    hint="Logging in is OAuth2's password flow: a form, not JSON, answered with a bearer "
    'token. Handout: "Passwords: never stored, only hashed, slowly" and the contract, '
    '"Routes".',
    more="POST /token takes form: Annotated[OAuth2PasswordRequestForm, Depends()], checks "
    "form.password against the user's hash in USERS with pwdlib, and returns "
    '{"access_token": <the JWT>, "token_type": "bearer"}.',
)
def test_login_issues_a_bearer_token(fresh_client):
    """POST /token with a user name and the right password (an HTML form, as OAuth2's
    password flow sends it) answers 200 with an access_token and token_type "bearer", for
    the admin and for the user the grader put in USERS."""
    for username in (ADMIN, USER):
        response = log_in(fresh_client, username, PASSWORDS[username])
        support.expect_status(
            response, 200, f"POST /token for {username!r} with the right password"
        )
        body = support.json_or_fail(response, "POST /token")
        assert isinstance(body, dict) and isinstance(body.get("access_token"), str), (
            f"POST /token answered {json.dumps(body)[:200]}; expected an access_token string"
        )
        assert str(body.get("token_type", "")).lower() == "bearer", (
            f'POST /token answered token_type {body.get("token_type")!r}; expected "bearer"'
        )


@check(
    points=5,
    hint="A token carries who the user is, their role, when it was issued and when it expires,"
    ' signed with the service\'s secret. Handout: "JWT access tokens" and the contract, '
    '"Tokens".',
    more="Sign {'sub': username, 'role': role, 'iat': now, 'exp': now + "
    "timedelta(minutes=settings.access_token_minutes)} with jwt.encode(claims, "
    "settings.jwt_secret, algorithm='HS256'); take now from datetime.now(UTC).",
)
def test_token_is_hs256_with_sub_role_iat_and_exp(fresh_client):
    """The access token is a JWT signed with HS256 and JWT_SECRET, whose claims say who
    (sub, the user name), which role, when it was issued (iat: now, in seconds since the
    epoch) and when it expires (exp: ACCESS_TOKEN_MINUTES from now, and ACCESS_TOKEN_MINUTES
    after iat, to the second); a token issued a second later has a later iat and exp."""
    import jwt

    for username in (ADMIN, USER):
        asked_at = time.time()
        token = token_from_login(fresh_client, username)
        answered_at = time.time()
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        except jwt.PyJWTError as error:
            pytest.fail(
                f"the token of {username!r} is not an HS256 JWT signed with JWT_SECRET, "
                f"unexpired: {type(error).__name__}: {error}",
                pytrace=False,
            )
        assert header.get("alg") == "HS256", f"the token's alg is {header.get('alg')!r}"
        assert claims.get("sub") == username, (
            f"the token of {username!r} has sub {claims.get('sub')!r}; expected the user name"
        )
        assert claims.get("role") == ROLES[username], (
            f"the token of {username!r} has role {claims.get('role')!r}; expected "
            f"{ROLES[username]!r} (the role in USERS)"
        )
        iat = claims.get("iat")
        assert is_number(iat) and asked_at - CLOCK_SLACK <= iat <= answered_at + CLOCK_SLACK, (
            f"the token of {username!r} has "
            f"{'no iat claim' if iat is None else f'iat {iat!r}'}; expected an iat saying when it "
            f"was issued: the time of the login ({int(answered_at)}), in seconds since the epoch"
        )
        expected = time.time() + TOKEN_MINUTES * 60
        exp = claims.get("exp")
        assert isinstance(exp, (int, float)) and abs(exp - expected) <= CLOCK_SLACK, (
            f"the token expires {'never' if exp is None else f'at {exp}'}; with "
            f"ACCESS_TOKEN_MINUTES={TOKEN_MINUTES} it must expire {TOKEN_MINUTES} minutes after "
            "it was issued"
        )
        lifetime = exp - iat
        assert abs(lifetime - TOKEN_MINUTES * 60) <= LIFETIME_SLACK, (
            f"the token of {username!r} lives {lifetime:g} s (exp - iat); with "
            f"ACCESS_TOKEN_MINUTES={TOKEN_MINUTES} it must live {TOKEN_MINUTES * 60} s"
        )
    # The clock is read at each login: a token issued a second later says so.
    first = jwt.decode(token_from_login(fresh_client, USER), SECRET, algorithms=["HS256"])
    time.sleep(NEXT_SECOND)
    later = jwt.decode(token_from_login(fresh_client, USER), SECRET, algorithms=["HS256"])
    for claim in ("iat", "exp"):
        assert later.get(claim) > first.get(claim), (
            f"two logins of {USER!r} {NEXT_SECOND} s apart gave tokens with the same {claim} "
            f"({first.get(claim)!r}, then {later.get(claim)!r}); iat and exp come from the "
            "time of each login: read the clock inside create_access_token, not once (at "
            "import, or in a default argument)"
        )


@check(
    points=4,
    hint="A password is checked against the stored hash, never compared as text; a wrong one "
    'means the caller is not known. Handout: "Passwords: never stored, only hashed, '
    'slowly".',
    more="pwdlib's verify(password, hash) is False for a wrong password: answer 401 then "
    '(HTTPException(401, ..., headers={"WWW-Authenticate": "Bearer"})).',
)
def test_wrong_password_is_401(fresh_client):
    """POST /token with the right password works, and with a wrong one answers 401: also the
    right password with a space after it, or in capitals (a password is checked as written)."""
    token_from_login(fresh_client, USER)
    support.expect_status(
        log_in(fresh_client, USER, USER_PASSWORD + "x"),
        401,
        f"POST /token for {USER!r}, wrong password",
    )
    for what, wrong in (
        ("with a space after it", USER_PASSWORD + " "),
        ("in capitals", USER_PASSWORD.upper()),
    ):
        support.expect_status(
            log_in(fresh_client, USER, wrong),
            401,
            f"POST /token for {USER!r} with the right password {what} ({wrong!r}; a password is "
            "checked as written, nothing stripped or folded)",
        )
    support.expect_status(
        log_in(fresh_client, USER, ADMIN_PASSWORD),
        401,
        f"POST /token for {USER!r}, another's password",
    )


@check(
    points=4,
    hint="A name that is not among the users is as wrong as a wrong password, and should not "
    'look or cost any different. Handout: "Passwords: never stored, only hashed, slowly".',
    more="Look the user up with settings.users.get(name): a name that is not there must give "
    "401 like a wrong password (and cost the same: verify against a dummy hash), not a "
    "KeyError and a 500.",
)
def test_unknown_user_is_401(fresh_client):
    """POST /token works for a known user, and answers 401 for a name that is not in USERS:
    "nobody", a user's name in capitals, and a user's name with a space before or after it
    (names are looked up as they are); each of these 401s says the same as the 401 of a wrong
    password (the same message), so the answer does not tell which names exist."""
    token_from_login(fresh_client, USER)
    wrong_password = log_in(fresh_client, USER, USER_PASSWORD + "x")
    support.expect_status(wrong_password, 401, f"POST /token for {USER!r}, wrong password")
    for name in ("nobody", USER.upper(), f" {USER}", f"{USER} "):
        response = log_in(fresh_client, name, USER_PASSWORD)
        support.expect_status(
            response,
            401,
            f"POST /token for {name!r} (with {USER!r}'s password; names are looked up as "
            "written, nothing stripped or folded)",
        )
        said, expected = refusal(response), refusal(wrong_password)
        assert said == expected, (
            f"POST /token for the unknown name {name!r} answered 401 with {said!r}, and for "
            f"{USER!r} with a wrong password {expected!r}: the two refusals must say the same, "
            "or the answer tells which names exist"
        )


@check(
    points=5,
    hint="The user comes from the token, and only once the token has been decoded and "
    'verified. Handout: "JWT access tokens" and the contract, "Routes".',
    more="GET /users/me takes user: CurrentUser and returns it; get_current_user decodes the "
    "bearer token with jwt.decode(token, settings.jwt_secret, algorithms=['HS256'], ...).",
)
def test_users_me_returns_the_token_owner(fresh_client):
    """GET /users/me with a bearer token answers 200 with {"username", "role"} of the user the
    token was issued to: for a token from POST /token, and for a valid token the grader signed
    itself with JWT_SECRET; never with the user's password hash."""
    body = me_accepts(fresh_client, token_from_login(fresh_client, USER), f"the token of {USER!r}")
    assert body.get("username") == USER and body.get("role") == "user", (
        f'GET /users/me answered {json.dumps(body)[:200]}; expected username {USER!r}, role "user"'
    )
    body = me_accepts(fresh_client, forged(claims_for(ADMIN)), "a valid token the grader signed")
    assert body.get("username") == ADMIN and body.get("role") == "admin", (
        f'GET /users/me answered {json.dumps(body)[:200]} for a token of {ADMIN!r} (role "admin")'
    )
    assert PASSWORD_HASH_MARK not in json.dumps(body), (
        f"GET /users/me answered {json.dumps(body)[:200]}: it shows the user's password hash; "
        'the answer is {"username", "role"}'
    )


# ---------------------------------------------------------------- tokens that must fail


@check(
    points=4,
    hint="No token, or something that is not a JWT, means nobody is logged in: who answers the"
    ' 401 when the scheme does not? Handout: "JWT access tokens" and "401 or 403?".',
    more="OAuth2PasswordBearer(tokenUrl='token', auto_error=False) gives None without an "
    "Authorization header: raise the 401 yourself then. A token that does not decode is a "
    "401 too (catch jwt.InvalidTokenError).",
)
def test_missing_or_garbled_token_is_401(fresh_client):
    """GET /users/me accepts a valid token, and answers 401 with no Authorization header,
    with a bearer value that is not a JWT, and with another scheme (Basic)."""
    me_accepts(fresh_client, forged(claims_for(USER)), "a valid token")
    support.expect_status(fresh_client.get("/users/me"), 401, "GET /users/me without a token")
    me_rejects(fresh_client, "not-a-token", "the bearer value 'not-a-token'")
    response = fresh_client.get("/users/me", headers={"Authorization": "Basic YmVhOmJlYQ=="})
    support.expect_status(response, 401, "GET /users/me with Basic credentials")


@check(
    points=4,
    hint="A token stops working the moment it expires, not a little later, and the library "
    'checks that for you unless you stop it. Handout: the contract, "Tokens".',
    more="jwt.decode checks exp itself and raises ExpiredSignatureError (an InvalidTokenError) "
    "for an expired token: never turn that off (options={'verify_exp': False}) or add leeway, "
    "and decode the token at every request (never keep the tokens already verified).",
)
def test_expired_token_is_401(fresh_client):
    """A valid token is accepted, and the same token expired two minutes ago, or only
    1 second ago, is 401; a token accepted a few seconds before it expires is 401 when it
    comes again once it has expired (the expiry is checked at every request, never
    remembered from an earlier one)."""
    soon, exp = token_expiring_soon()
    me_accepts(fresh_client, soon, f"a valid token (it expires in {EXPIRES_SOON} s)")
    for what, token in expired_tokens():
        response = fresh_client.get("/users/me", headers=bearer(token))
        assert response.status_code == 401, expired_accepted("GET /users/me", what, response)
    time.sleep(max(exp + JUST_EXPIRED - time.time(), 0) + 0.05)
    response = fresh_client.get("/users/me", headers=bearer(soon))
    assert response.status_code == 401, expired_accepted(
        "GET /users/me",
        f"a token it accepted shortly before, now expired {JUST_EXPIRED} s ago (decode the "
        "token at every request: a token checked once and remembered as valid, in a cache "
        "or with lru_cache, stays valid after its exp)",
        response,
    )


@check(
    points=4,
    hint="A token must not choose how it is checked: the service decides which algorithm it "
    'accepts. Handout: "JWT access tokens" and the contract, "Tokens".',
    more="Always pass algorithms=['HS256'] to jwt.decode: the token's own header must never "
    "choose how it is checked, and an unsigned token (alg none) is nobody's.",
)
def test_unsigned_token_is_401(fresh_client):
    """A valid token is accepted, and an unsigned one (alg "none") with the same claims is
    401; so are tokens signed with JWT_SECRET by another algorithm (HS384, HS512): the
    service accepts HS256 alone."""
    me_accepts(fresh_client, forged(claims_for(USER)), "a valid token")
    me_rejects(
        fresh_client, forged(claims_for(USER), key=None, algorithm="none"), "an alg-none token"
    )
    for algorithm in ("HS384", "HS512"):
        me_rejects(
            fresh_client,
            forged(claims_for(USER), algorithm=algorithm),
            f"a token signed with JWT_SECRET by {algorithm} (the service accepts HS256 alone: "
            "algorithms=['HS256'])",
        )


@check(
    points=4,
    hint='Only the service\'s own secret makes a signature valid. Handout: "JWT access tokens" '
    'and the contract, "Tokens".',
    more="Verify the signature with settings.jwt_secret (never options={'verify_signature': "
    "False}, never jwt.get_unverified_header's claims).",
)
def test_token_signed_with_another_key_is_401(fresh_client):
    """A valid token is accepted, and one with the same claims signed with another key is
    401."""
    me_accepts(fresh_client, forged(claims_for(USER)), "a valid token")
    other_key = secrets.token_hex(32)
    me_rejects(
        fresh_client, forged(claims_for(USER), key=other_key), "a token signed with another key"
    )


@check(
    points=4,
    hint="The claims mean something only once the signature over them is verified. Handout: "
    '"JWT access tokens" and the contract, "Tokens".',
    more="Only a verified signature makes the claims true: decode with the secret and "
    "algorithms=['HS256'], and read sub and role from what jwt.decode returns.",
)
def test_tampered_token_is_401(fresh_client):
    """The user's token from POST /token is accepted, and the same token with its payload
    changed to role "admin" (its signature kept) is 401."""
    token = token_from_login(fresh_client, USER)
    me_accepts(fresh_client, token, f"the token of {USER!r}")
    me_rejects(fresh_client, with_payload(token, role="admin"), "a token whose payload was changed")


@check(
    points=3,
    hint="Some claims are not optional: a token that never expires is never safe. Handout: the"
    ' contract, "Tokens".',
    more="jwt.decode accepts a token without exp unless you require it: "
    "options={'require': ['exp', 'sub']}. A token without exp would work forever.",
)
def test_token_without_exp_is_401(fresh_client):
    """A valid token is accepted, and a correctly signed token without exp is 401."""
    me_accepts(fresh_client, forged(claims_for(USER)), "a valid token")
    me_rejects(fresh_client, forged(claims_for(USER, exp=None)), "a signed token without exp")


@check(
    points=3,
    hint='A token must name a user, and that user must exist. Handout: the contract, "Tokens".',
    more="Require sub too (options={'require': ['exp', 'sub']}), and answer 401 when it is "
    "missing or names no user in USERS.",
)
def test_token_without_sub_is_401(fresh_client):
    """A valid token is accepted, and a correctly signed token without sub, or whose sub
    names no user (also a user's name in capitals: names are looked up as written), is 401."""
    me_accepts(fresh_client, forged(claims_for(USER)), "a valid token")
    me_rejects(fresh_client, forged(claims_for(USER, sub=None)), "a signed token without sub")
    stranger = {**claims_for(USER), "sub": "nobody"}
    me_rejects(fresh_client, forged(stranger), "a signed token for a user not in USERS")
    capitals = {**claims_for(USER), "sub": USER.upper()}
    me_rejects(
        fresh_client,
        forged(capitals),
        f"a signed token whose sub is {USER.upper()!r} (the user is {USER!r}; a sub is looked "
        "up as written)",
    )


@check(
    points=2,
    hint="A signed claim still has to be a value the service knows. Handout: the contract, "
    '"Tokens" (and "Tasks", 3).',
    more='After decoding, check the role claim too: a role that is not "admin" or "user" '
    "is a 401 (raise it yourself; a pydantic model given that role would fail with a 500).",
)
def test_token_with_an_unknown_role_is_401(fresh_client):
    """A valid token is accepted, and a correctly signed token whose role is neither "admin"
    nor "user" ("root", or "ADMIN": roles are compared as written), or that has no role at
    all, is 401."""
    me_accepts(fresh_client, forged(claims_for(USER)), "a valid token")
    me_rejects(
        fresh_client, forged(claims_for(USER, role="root")), 'a signed token with role "root"'
    )
    me_rejects(
        fresh_client,
        forged(claims_for(ADMIN, role="ADMIN")),
        'a signed token with role "ADMIN" (the roles are "admin" and "user", compared as written)',
    )
    me_rejects(
        fresh_client,
        forged(claims_for(USER, role=None)),
        "a signed token without a role claim (no role is not a role: it gets no default)",
    )


# ---------------------------------------------------------------- API keys


@check(
    points=4,
    hint="Machines prove who they are with a key sent in a header, one of the configured keys."
    ' Handout: "API keys: for machines" and the contract, "Routes".',
    more="Predictions take caller: Caller; get_caller reads X-API-Key with "
    "APIKeyHeader(name='X-API-Key', auto_error=False) and accepts any key of API_KEYS.",
)
def test_api_key_allows_predictions(fresh_client):
    """POST /predict and POST /predict/batch answer 200 with the X-API-Key of each client in
    API_KEYS."""
    for name in API_KEYS:
        response = predict(fresh_client, key_headers(name))
        support.expect_status(response, 200, f"POST /predict with the key of {name!r}")
        assert support.json_or_fail(response, "POST /predict").get("species"), (
            "no species in the answer"
        )
    response = fresh_client.post("/predict/batch", json={"items": [SETOSA]}, headers=key_headers())
    support.expect_status(response, 200, "POST /predict/batch with an API key")


@check(
    points=5,
    hint="A key is right only when it equals a configured key as a whole, compared in a way "
    'that leaks nothing by its timing. Handout: "API keys: for machines".',
    more="Compare the key with each one of API_KEYS using secrets.compare_digest (whole "
    "keys, never a prefix or `in`), and answer 401 when there is no key or no key matches. "
    "Both prediction routes take caller: Caller.",
)
def test_missing_or_wrong_api_key_is_401(fresh_client):
    """POST /predict works with a valid key, and answers 401 with no credentials at all, with
    a wrong key, with a valid key cut short by one character or lengthened by one, with a
    valid key whose letters changed case, and with a client's name (a key of API_KEYS, not
    its value); POST /predict/batch works with a valid key, and answers 401 with no
    credentials."""
    support.expect_status(
        predict(fresh_client, key_headers()), 200, "POST /predict with a valid key"
    )
    support.expect_status(predict(fresh_client), 401, "POST /predict without credentials")
    response = fresh_client.post("/predict/batch", json={"items": [SETOSA]}, headers=key_headers())
    support.expect_status(response, 200, "POST /predict/batch with a valid key")
    response = fresh_client.post("/predict/batch", json={"items": [SETOSA]})
    support.expect_status(response, 401, "POST /predict/batch without credentials")
    key = API_KEYS["grader-robot"]
    for what, wrong in (
        ("a wrong key", secrets.token_urlsafe(24)),
        ("a valid key cut short", key[:-1]),
        ("a valid key with one more character", key + "x"),
        ("a valid key with its letters' case swapped", key.swapcase()),
        ("a client's name instead of its key", "grader-robot"),
    ):
        support.expect_status(
            predict(fresh_client, {"X-API-Key": wrong}), 401, f"POST /predict with {what}"
        )


@check(
    points=2,
    hint="Any header value at all must be simply a wrong key, never an error of the "
    'comparison. Handout: "API keys: for machines" and the "Hints" section.',
    more="secrets.compare_digest raises TypeError for a str that is not ASCII: compare bytes "
    "(key.encode()) so that any header value is simply a wrong key.",
)
def test_non_ascii_api_key_is_401(fresh_client):
    """POST /predict works with a valid key, and a key with a non-ASCII character ("clé") is
    a wrong key (401), not a crash (500)."""
    support.expect_status(
        predict(fresh_client, key_headers()), 200, "POST /predict with a valid key"
    )
    support.expect_status(
        predict(fresh_client, {"X-API-Key": b"cl\xe9"}), 401, "POST /predict with key 'clé'"
    )


@check(
    points=4,
    hint="Predictions accept either kind of caller: a machine with a key, or a logged-in user "
    'with a token. Handout: the contract, "Routes".',
    more="get_caller also accepts a bearer token (OAuth2PasswordBearer(tokenUrl='token', "
    "auto_error=False)) when there is no API key: any logged-in user may predict. Both "
    "POST /predict and POST /predict/batch take caller: Caller.",
)
def test_bearer_token_allows_predictions(fresh_client):
    """POST /predict and POST /predict/batch answer 200 for a user with a token from
    POST /token, and POST /predict for the admin with a token the grader signed."""
    user_token = token_from_login(fresh_client, USER)
    response = predict(fresh_client, bearer(user_token))
    support.expect_status(response, 200, f"POST /predict with the token of {USER!r}")
    response = fresh_client.post(
        "/predict/batch", json={"items": [SETOSA]}, headers=bearer(user_token)
    )
    support.expect_status(
        response,
        200,
        f"POST /predict/batch with the token of {USER!r} (both prediction routes take an API "
        "key or a bearer token)",
    )
    response = predict(fresh_client, bearer(forged(claims_for(ADMIN))))
    support.expect_status(response, 200, "POST /predict with a valid token the grader signed")


@check(
    points=3,
    hint="A bearer token on a prediction route is checked exactly as strictly as on /users/me."
    ' Handout: "JWT access tokens" and "Tasks", 5.',
    more="get_caller must check a bearer token exactly as get_current_user does "
    "(user_from_token, with require=['exp', 'sub']): a token is accepted only once "
    "jwt.decode has verified it, on both prediction routes.",
)
def test_predictions_reject_a_bad_token(fresh_client):
    """POST /predict accepts a valid token, and answers 401 for a bearer value that is not a
    JWT (a client's API key sent as a bearer token too), for tokens that expired two minutes
    or only 1 second ago, and for correctly signed tokens without exp, whose sub names no user
    of USERS, or whose role is neither "admin" nor "user" (as /users/me does); POST
    /predict/batch answers 401 for a bearer value that is not a JWT."""
    support.expect_status(
        predict(fresh_client, bearer(forged(claims_for(USER)))), 200, "POST /predict, a valid token"
    )
    support.expect_status(
        predict(fresh_client, bearer("not-a-token")), 401, "POST /predict, token 'not-a-token'"
    )
    support.expect_status(
        predict(fresh_client, bearer(API_KEYS["grader-robot"])),
        401,
        "POST /predict with a client's API key as its bearer token (Authorization: Bearer "
        "<key>, no X-API-Key; an API key is read from X-API-Key only, and a bearer value that "
        "is not a JWT is refused)",
    )
    for what, token in expired_tokens():
        response = predict(fresh_client, bearer(token))
        assert response.status_code == 401, expired_accepted("POST /predict", what, response)
    for what, claims in (
        ("a signed token without exp", claims_for(USER, exp=None)),
        ("a signed token for a user not in USERS", {**claims_for(USER), "sub": "nobody"}),
        ('a signed token with role "root"', claims_for(USER, role="root")),
    ):
        support.expect_status(
            predict(fresh_client, bearer(forged(claims))), 401, f"POST /predict with {what}"
        )
    response = fresh_client.post(
        "/predict/batch", json={"items": [SETOSA]}, headers=bearer("not-a-token")
    )
    support.expect_status(
        response,
        401,
        "POST /predict/batch with the bearer value 'not-a-token' (a bearer token is checked on "
        "both prediction routes)",
    )


@check(
    points=3,
    hint="When a request carries both kinds of credentials, one of them decides, and the other "
    'is not looked at. Handout: the contract, "Routes".',
    more="When the X-API-Key header is there, the key decides: a key that matches no client "
    "is a 401 at once, even if the request also carries a valid bearer token, and a valid "
    "key is accepted without reading the bearer token at all.",
)
def test_the_api_key_decides_when_a_token_is_sent_too(fresh_client):
    """POST /predict accepts a valid token alone, and answers 401 when the same request also
    carries a wrong API key; it accepts a valid API key alone, and still answers 200 when the
    same request also carries a bad bearer token (one signed with another key)."""
    token = forged(claims_for(USER))
    support.expect_status(
        predict(fresh_client, bearer(token)), 200, "POST /predict with a valid token"
    )
    headers = {**bearer(token), "X-API-Key": secrets.token_urlsafe(24)}
    support.expect_status(
        predict(fresh_client, headers), 401, "POST /predict, a wrong key and a valid token"
    )
    support.expect_status(
        predict(fresh_client, key_headers()), 200, "POST /predict with a valid key"
    )
    bad_token = forged(claims_for(USER), key=secrets.token_hex(32))
    headers = {**bearer(bad_token), **key_headers()}
    support.expect_status(
        predict(fresh_client, headers),
        200,
        "POST /predict, a valid key and a bad token (the key decides)",
    )


# ---------------------------------------------------------------- roles


@contextmanager
def new_version_on_disk(model_file: Path) -> Iterator[None]:
    """The model file at MODEL_PATH says it is RELOADED_VERSION for a while (its metadata
    file rewritten, then put back): a reload in the meantime serves that version."""
    metadata_file = model_file.with_suffix(".json")
    original = metadata_file.read_text()
    metadata = json.loads(original)
    metadata["version"] = RELOADED_VERSION
    try:
        metadata_file.write_text(json.dumps(metadata))
        yield
    finally:
        metadata_file.write_text(original)


@check(
    points=5,
    hint="Reloading is an admin's job: load the model again from its path and serve it from "
    'then on. Handout: the contract, "Routes", and "Tasks", 7.',
    more="POST /model/reload takes admin: AdminUser, loads the model again from "
    "settings.model_path (load_model) and puts it in request.app.state.model, then returns "
    "its metadata.",
)
def test_admin_reloads_the_model(fresh_client, model_file: Path):
    """After the model file at MODEL_PATH changes, POST /model/reload with the admin's token
    answers 200 with the new model's metadata, and GET /model and POST /predict use the new
    model from then on, without a restart."""
    with new_version_on_disk(model_file):
        body = admin_reload(fresh_client)
        assert body.get("version") == RELOADED_VERSION, (
            f"POST /model/reload answered {json.dumps(body)[:200]}; expected the new model's "
            f"metadata (version {RELOADED_VERSION!r})"
        )
        response = fresh_client.get("/model")
        support.expect_status(response, 200, "GET /model after the reload")
        assert support.json_or_fail(response, "GET /model").get("version") == RELOADED_VERSION, (
            f"GET /model still serves version {response.json().get('version')!r} after the reload"
        )
        response = predict(fresh_client, key_headers())
        support.expect_status(response, 200, "POST /predict after the reload")
        served = support.json_or_fail(response, "POST /predict").get("model_version")
        assert served == RELOADED_VERSION, (
            f"POST /predict answered model_version {served!r} after the reload; expected "
            f"{RELOADED_VERSION!r}"
        )


@check(
    points=5,
    hint="Not knowing who calls and knowing but refusing are two different answers. Handout: "
    '"401 or 403?".',
    more="require_admin takes user: CurrentUser and raises HTTPException(403) when "
    "user.role != 'admin'; the route takes admin: AdminUser, so a refused caller never "
    "reaches the reload. 403 means: we know who you are, and the answer is no; 401 is for "
    "when we do not know who you are.",
)
def test_reload_is_403_for_a_user_and_401_without_a_token(fresh_client, model_file: Path):
    """POST /model/reload answers 200 for the admin, 403 for a logged-in user who is not
    an admin, and 401 without a token and with an API key only (a key is not a user); a
    refused reload loads nothing: after the model file changed, GET /model still serves the
    model of before."""
    assert admin_reload(fresh_client).get("version") == GRADER_VERSION, (
        "the reload changed the model"
    )
    user_token = token_from_login(fresh_client, USER)
    with new_version_on_disk(model_file):
        response = fresh_client.post("/model/reload", headers=bearer(user_token))
        support.expect_status(response, 403, f"POST /model/reload with the token of {USER!r}")
        support.expect_status(
            fresh_client.post("/model/reload"), 401, "POST /model/reload without a token"
        )
        response = fresh_client.post("/model/reload", headers=key_headers())
        support.expect_status(response, 401, "POST /model/reload with an API key only")
        response = fresh_client.get("/model")
        support.expect_status(response, 200, "GET /model after the refused reloads")
        served = support.json_or_fail(response, "GET /model").get("version")
        assert served == GRADER_VERSION, (
            f"GET /model serves version {served!r} after reloads answered 403 and 401: a "
            f"refused reload must load nothing (expected {GRADER_VERSION!r})"
        )


@contextmanager
def model_file_missing(model_file: Path) -> Iterator[None]:
    """MODEL_PATH names no file for a while (moved aside, then put back)."""
    aside = model_file.with_name(model_file.name + ".aside")
    model_file.rename(aside)
    try:
        yield
    finally:
        aside.rename(model_file)


# What a damaged model file holds: bytes joblib cannot load (the first is no pickle opcode,
# so nothing in them is ever run).
DAMAGED_MODEL = b"\xa5 damaged by the grader \x00\xff" + bytes(range(256))


@contextmanager
def model_file_damaged(model_file: Path) -> Iterator[None]:
    """The file at MODEL_PATH holds no model for a while (its bytes replaced, then put back)."""
    original = model_file.read_bytes()
    try:
        model_file.write_bytes(DAMAGED_MODEL)
        yield
    finally:
        model_file.write_bytes(original)


def admin_reload_without_file(test_client, model_file: Path):
    """POST /model/reload as the admin while the file at MODEL_PATH is missing."""
    token = token_from_login(test_client, ADMIN)
    with model_file_missing(model_file):
        return test_client.post("/model/reload", headers=bearer(token))


@check(
    points=3,
    hint="A model file that cannot be loaded is the service's trouble, not a crash. Handout: "
    'the contract, "Routes" (POST /model/reload).',
    more="Load the new model inside try/except: when load_model raises (a missing or broken "
    "file), answer HTTPException(503) instead of letting the error become a 500.",
)
def test_failed_reload_is_503(fresh_client, model_file: Path):
    """POST /model/reload with the admin's token answers 200, and 503 when the file at
    MODEL_PATH cannot be loaded: when it is missing, and when it is damaged (bytes that are
    no model)."""
    admin_reload(fresh_client)
    response = admin_reload_without_file(fresh_client, model_file)
    support.expect_status(response, 503, "POST /model/reload while the model file is missing")
    token = token_from_login(fresh_client, ADMIN)
    with model_file_damaged(model_file):
        response = fresh_client.post("/model/reload", headers=bearer(token))
    support.expect_status(
        response,
        503,
        "POST /model/reload while the model file is damaged (bytes that are no model: a file "
        "that cannot be loaded, like a missing one)",
    )


@check(
    points=3,
    hint='A reload that fails must change nothing. Handout: the contract, "Routes" (POST '
    "/model/reload).",
    more="Put the new model in request.app.state.model only after it loaded: a failed "
    "reload must leave the model that was serving in place.",
)
def test_failed_reload_keeps_the_previous_model(fresh_client, model_file: Path):
    """POST /model/reload with the admin's token answers 200; after a reload that failed
    because the file at MODEL_PATH is missing, GET /model and POST /predict still answer
    200 with the model that was serving."""
    version = admin_reload(fresh_client).get("version")
    assert version == GRADER_VERSION, f"POST /model/reload answered version {version!r}"
    admin_reload_without_file(fresh_client, model_file)
    response = fresh_client.get("/model")
    support.expect_status(response, 200, "GET /model after a failed reload")
    served = support.json_or_fail(response, "GET /model").get("version")
    assert served == version, f"GET /model serves version {served!r}; expected {version!r}"
    response = predict(fresh_client, key_headers())
    support.expect_status(response, 200, "POST /predict after a failed reload")
    served = support.json_or_fail(response, "POST /predict").get("model_version")
    assert served == version, (
        f"POST /predict answered model_version {served!r} after a failed reload; expected "
        f"{version!r}"
    )


# ---------------------------------------------------------------- the contract around auth


# Lab 06's routes that need no credentials: (method, path, body, status without any).
PUBLIC_ROUTES = [
    ("GET", "/", None, 200),
    ("GET", "/flowers", None, 200),
    ("GET", "/flowers/1", None, 200),
    ("GET", "/model", None, 200),
    ("GET", f"/models/{GRADER_VERSION}", None, 200),
    (
        "POST",
        "/observations",
        {"measurement": SETOSA, "observer": {"name": "Ada", "email": "ada@example.org"}},
        201,
    ),
]


@check(
    points=3,
    hint='Only some routes need a caller; probes and metrics stay open. Handout: "What stays '
    'public".',
    more="Give only the routes that need a caller their dependency: never put it on the "
    "whole app (FastAPI(dependencies=...)) or on the health router.",
)
def test_health_ready_and_metrics_stay_public(fresh_client):
    """POST /predict without credentials is 401 (so the service does check callers), while
    /health, /ready and /metrics answer 200 without any: orchestrators and Prometheus hold
    no account; so do lab 06's other routes, which need no credentials either (GET /,
    GET /flowers, GET /flowers/1, GET /model, GET /models/grader-1.0 answer 200, and
    POST /observations 201)."""
    support.expect_status(predict(fresh_client), 401, "POST /predict without credentials")
    for path in ("/health", "/ready", "/metrics"):
        support.expect_status(fresh_client.get(path), 200, f"GET {path} without credentials")
    for method, path, body, status in PUBLIC_ROUTES:
        support.expect_status(
            fresh_client.request(method, path, json=body),
            status,
            f"{method} {path} without credentials (only the predictions, /users/me and "
            "/model/reload need them)",
        )


@check(
    points=3,
    hint="Security errors are errors like any other: they leave through lab 04's envelope. "
    'Handout: the contract, "Errors", and "Tasks".',
    more="Raise HTTPException(401, ...) and HTTPException(403, ...): lab 04's handler turns "
    "them into the envelope with code unauthorized or forbidden. Never return a JSONResponse "
    "of your own from a security dependency.",
)
def test_auth_errors_keep_the_envelope(fresh_client):
    """The 401 of POST /predict without credentials, of GET /users/me with a bad token, and
    the 403 of a user's POST /model/reload are in lab 04's envelope: code "unauthorized" (or
    "forbidden" for the 403), a message and the request id."""
    support.expect_status(
        predict(fresh_client, key_headers()), 200, "POST /predict with a valid key"
    )
    answers = [
        ("POST /predict without credentials", predict(fresh_client), "unauthorized"),
        (
            "GET /users/me with a bad token",
            fresh_client.get("/users/me", headers=bearer("not-a-token")),
            "unauthorized",
        ),
    ]
    user_token = token_from_login(fresh_client, USER)
    reload = fresh_client.post("/model/reload", headers=bearer(user_token))
    if reload.status_code == 403:
        answers.append(("a user's POST /model/reload", reload, "forbidden"))
    for what, response, code in answers:
        support.expect_status(response, 401 if code == "unauthorized" else 403, what)
        body = support.json_or_fail(response, what)
        error = body.get("error") if isinstance(body, dict) else None
        assert isinstance(error, dict), (
            f"{what} answered {json.dumps(body)[:200]}; expected lab 04's envelope "
            '{"error": {"code", "message", "request_id"}}'
        )
        assert error.get("code") == code, (
            f"{what} has code {error.get('code')!r}; expected {code!r}"
        )
        assert isinstance(error.get("message"), str) and error["message"], f"{what}: no message"
        assert error.get("request_id") == response.headers.get("X-Request-ID"), (
            f"{what}: error.request_id is not the X-Request-ID header"
        )


@check(
    points=3,
    hint='A 401 tells the client which kind of credentials to send, in a header. Handout: "401'
    ' or 403?" and the contract, "Errors".',
    more='Every 401 raised for a missing or bad token needs headers={"WWW-Authenticate": '
    '"Bearer"}: it tells the client which kind of credentials to send.',
)
def test_401_asks_for_a_bearer_token(fresh_client):
    """GET /users/me accepts a valid token, and its 401s (no token, a bad token), the 401 of
    POST /model/reload without a token, and the 401s of POST /token (a wrong password, and an
    unknown name) carry the header WWW-Authenticate: Bearer (the statuses of the reload and
    of the unknown name are graded by their own checks)."""
    me_accepts(fresh_client, forged(claims_for(USER)), "a valid token")
    for what, response in (
        ("GET /users/me without a token", fresh_client.get("/users/me")),
        ("GET /users/me with a bad token", fresh_client.get("/users/me", headers=bearer("x.y.z"))),
        ("POST /model/reload without a token", fresh_client.post("/model/reload")),
        ("POST /token with a wrong password", log_in(fresh_client, USER, "wrong")),
        ("POST /token with an unknown name", log_in(fresh_client, "nobody", USER_PASSWORD)),
    ):
        if what.startswith(("POST /token with an unknown", "POST /model")) and (
            response.status_code != 401
        ):
            continue  # other checks grade these statuses; this check grades the header
        support.expect_status(response, 401, what)
        challenge = response.headers.get("WWW-Authenticate", "")
        assert challenge.lower().startswith("bearer"), (
            f"{what} answered 401 with WWW-Authenticate {challenge or 'missing'}; expected Bearer"
        )


@check(
    points=3,
    hint="FastAPI documents the ways in when the dependencies use its security classes. "
    'Handout: the contract, "Routes" (about /openapi.json).',
    more="Use FastAPI's security classes in the dependencies: APIKeyHeader(name='X-API-Key') "
    "and OAuth2PasswordBearer(tokenUrl='token'). Then /docs shows an Authorize button.",
)
def test_docs_offer_the_api_key_and_the_login(fresh_client):
    """POST /predict without credentials is 401, and /openapi.json declares the two ways in:
    an API key in the X-API-Key header and OAuth2's password flow with its token URL at
    /token (so /docs can log in)."""
    support.expect_status(predict(fresh_client), 401, "POST /predict without credentials")
    response = fresh_client.get("/openapi.json")
    support.expect_status(response, 200, "GET /openapi.json")
    schemes = (support.json_or_fail(response, "GET /openapi.json").get("components") or {}).get(
        "securitySchemes"
    ) or {}
    kinds = [scheme for scheme in schemes.values() if isinstance(scheme, dict)]
    assert any(
        scheme.get("type") == "apiKey"
        and scheme.get("in") == "header"
        and str(scheme.get("name", "")).lower() == "x-api-key"
        for scheme in kinds
    ), f"/openapi.json declares no API key in the X-API-Key header: {json.dumps(schemes)[:300]}"
    token_urls = [
        ((scheme.get("flows") or {}).get("password") or {}).get("tokenUrl", "")
        for scheme in kinds
        if scheme.get("type") == "oauth2"
    ]
    assert any(url.rstrip("/").endswith("token") for url in token_urls), (
        f"/openapi.json declares no OAuth2 password flow with tokenUrl 'token': {token_urls}"
    )
