"""Secrets stay secret in every encoding: escaped, folded, cut, echoed, redirected or sent in clear.

The redactor masks a secret however an encoder wrote it (the leak scan of ``test_secrets_never_shown``
decides, with the encoders themselves and the parsers of JSON, YAML and XML), leaves ordinary output as
it was, and leaves no start of a secret at a cut. Everything that cuts a message scrubs it first: the
hub's server messages and excerpts, the smoke reasons, JUnit XML. Generated secrets with quotes,
backslashes, newlines, ``&<>`` and non-ASCII, at lengths near every truncation limit, go through each
output path against a sandbox that echoes what it receives, in every output mode and in the HF_DEBUG
log. A redirect from the API to another origin is not followed; the token goes to a deployed URL only
over https or to loopback.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import logging
import pathlib
import shlex
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest
import yaml
from clirunner import Cli, Run
from conftest import PHASES
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from test_cli_apply import manifest, write
from test_secrets_never_shown import ENCODERS, IMAGE, MODES, USER, assert_clean, with_image

from endpointctl.core.errors import ApiError
from endpointctl.core.outcomes import SmokeOutcome, SmokeResult
from endpointctl.core.redact import MASK, MIN_SECRET_LENGTH, Redactor
from endpointctl.core.smoke_spec import JsonAssertion
from endpointctl.core.spec import Security
from endpointctl.dataplane import junit
from endpointctl.dataplane.checks import SmokeCase, SmokeRequest, case_for, judge
from endpointctl.dataplane.client import DataPlaneError, DeployedClient
from endpointctl.hub.process import TimeoutClientFactory
from endpointctl.hub.wording import BODY_EXCERPT, SERVER_TEXT, excerpt, server_message
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox, SandboxConfig
from endpointctl.sandbox.transport import Handler

# Every length at which something is cut: the shortest secret, a shown JSON value, an excerpt, a smoke
# snippet, a server's text, huggingface_hub's debug-log body.
LIMITS = (MIN_SECRET_LENGTH, 80, BODY_EXCERPT, 200, SERVER_TEXT, 1000)
HOSTILE = "\"'\\\n\r\t&<>%+;=# .…é€😀\x01\x1b\x7f\x85\xa0\u2028$"
CHARACTERS = st.one_of(
    st.sampled_from(HOSTILE),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(codec="utf-8"),
)
# What a header carries: printable ASCII, no space (the sandbox takes any "hf_" token).
TOKEN_CHARACTERS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
NAME = "gpt2-demo"


def _folded(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _text(characters: st.SearchStrategy[str], size: int) -> st.SearchStrategy[str]:
    """Texts of exactly ``size`` characters, one strategy per size: a new one for every draw was built
    and validated again each time, a large part of what the redactor's tests cost."""
    return st.text(characters, min_size=size, max_size=size)


@functools.cache
def _near(limit: int) -> st.SearchStrategy[int]:
    return st.integers(max(limit - 2, MIN_SECRET_LENGTH), limit + 2)


def values(start: str, characters: st.SearchStrategy[str] = CHARACTERS) -> st.SearchStrategy[str]:
    """Values of a length near a cut, starting with ``start`` (which no ordinary output holds)."""
    lengths = st.sampled_from(LIMITS).flatmap(_near)
    return (
        lengths.flatmap(lambda n: _text(characters, n - len(start)))
        .map(lambda rest: start + rest)
        .filter(lambda value: len(_folded(value)) >= MIN_SECRET_LENGTH)
    )


SECRETS = values("Zq")
PASSWORDS = values("Zp")
TOKENS = values("hf_Zt", TOKEN_CHARACTERS)

# -- the redactor ----------------------------------------------------------------------------------------


def _wrapped(text: str, width: int, newline: str) -> str:
    return newline.join(text[at : at + width] for at in range(0, len(text), width))


# The secret as each output path may write it: every encoder alone, and one inside another.
WRITERS: dict[str, Callable[[str], str]] = {
    **{name: (lambda encode: lambda v: f"error: {encode(v)} (attempt 2)")(e) for name, e in ENCODERS.items()},
    "yaml": lambda v: yaml.safe_dump({"error": "x " * 30 + v, "status": 400}),
    "yaml-unicode": lambda v: yaml.safe_dump({"error": "x " * 30 + v}, allow_unicode=True),
    "yaml-of-json": lambda v: yaml.safe_dump(
        {"error": "body " + json.dumps({"API_KEY": v}, ensure_ascii=False)}, allow_unicode=True
    ),
    "json-of-json": lambda v: json.dumps({"error": json.dumps({"API_KEY": v}, ensure_ascii=False)}, indent=2),
    "xml-of-json": lambda v: ET.tostring(
        ET.Element("failure", {"message": json.dumps(v)}), encoding="unicode"
    ),
    "curl": lambda v: (
        "curl -X POST -d "
        + shlex.quote(json.dumps({"secrets": {"API_KEY": v}}, ensure_ascii=False, separators=(",", ":")))
    ),
    "repr-of-json": lambda v: repr(json.dumps({"API_KEY": v})),
    "url-of-json": lambda v: "?q=" + quote(json.dumps({"API_KEY": v}, ensure_ascii=False)),
    "base64-of-json": lambda v: base64.b64encode(
        b"x" + json.dumps({"API_KEY": v}, ensure_ascii=False, separators=(",", ":")).encode()
    ).decode(),
    # Wrapped as MIME and base64(1) do (76 a line), and as PEM (64, CRLF) inside a JSON error: the
    # secret across a line break, raw or escaped.
    "base64-mime": lambda v: (
        "rejected: " + base64.encodebytes(b"x" * 40 + json.dumps({"API_KEY": v}).encode()).decode()
    ),
    "base64-pem-in-json": lambda v: json.dumps(
        {"error": _wrapped(base64.b64encode(b"xy" * 17 + v.encode()).decode(), 64, "\r\n")}
    ),
}


# Every hostile character at once, each escaped its own way by every writer: what a writer does to any of
# them (an escape, a fold, an entity) is met every run, where 150 drawn examples left some writers to a
# few short secrets that may hold none of what they escape.
EVERY_ESCAPE = f"Zq-{HOSTILE}-end"


def every_writer(test: Callable[[str, str], None]) -> Callable[[str, str], None]:
    for writer in sorted(WRITERS, reverse=True):
        test = example(secret=EVERY_ESCAPE, writer=writer)(test)
    return test


# The writers always, with EVERY_ESCAPE; 60 generated secrets, of every length near a cut and of any
# character, each through a writer drawn at random, look for the rest.
@settings(max_examples=60, deadline=None)
@given(secret=SECRETS, writer=st.sampled_from(sorted(WRITERS)))
@every_writer
def test_every_form_of_a_secret_is_masked(secret: str, writer: str) -> None:
    text = WRITERS[writer](secret)
    clean = Redactor([secret]).scrub(text)
    assert MASK in clean
    assert_clean(clean, writer, [secret])


# Text an encoder might have written, with no secret in it: escapes, quotes, marks, folds.
ESCAPE_LIKE = [
    "&amp;",
    "&#10;",
    "\\u00e9",
    "\\n",
    "%41",
    "''",
    "'\"'\"'",
    "...",
    " ... [truncated]",
    "\\\n  ",
]
ORDINARY = st.lists(
    st.sampled_from([*"\\\"'&;#%+ \n\t<>.…éabcxu0123456789", *ESCAPE_LIKE, "sk-live", "hf_"]), max_size=80
).map("".join)


@settings(max_examples=150, deadline=None)
@given(text=ORDINARY, secret=SECRETS)
def test_ordinary_output_is_left_as_it_is(text: str, secret: str) -> None:
    redactor = Redactor([secret])
    assert redactor.scrub(text) == text
    assert redactor.scrub(text, truncated=True) == text


def test_a_value_too_short_once_folded_is_masked_only_as_it_is() -> None:
    redactor = Redactor(["a b c d e"])  # nine characters, seven once folded: as common as a word
    assert redactor.scrub("a b c d e and a  b c d") == f"{MASK} and a  b c d"


def every_encoder(test: Callable[..., None]) -> Callable[..., None]:
    for encoder in sorted(ENCODERS, reverse=True):
        test = example(secret=EVERY_ESCAPE, encoder=encoder, data=None)(test)
    return test


def _cuts_in_the_last_escape(encoder: str) -> range:
    """Every cut of EVERY_ESCAPE's text from just before the encoder's form of its last hostile character
    (each escape before it whole) to just after it: inside that escape (a "\\u202", a "%E2%80%A", a
    "&#823") and on either side of it. An encoder writes a value character by character (ENCODERS)."""
    encode, last = ENCODERS[encoder], EVERY_ESCAPE.rindex(HOSTILE[-1])
    return range(
        len(f"error: {encode(EVERY_ESCAPE[:last])}"), len(f"error: {encode(EVERY_ESCAPE[: last + 1])}") + 1
    )


# Every encoder always, with EVERY_ESCAPE cut in and around its last escape; 75 generated secrets, each cut
# once at random, look for the rest. 150 drawn examples met an encoder's escapes only when its few
# secrets held what it escapes and the cut fell past them (dropping the decoder of \xNN, for one, failed
# this test in a third of runs; with these cuts, in every run).
@settings(max_examples=75, deadline=None)
@given(secret=SECRETS, encoder=st.sampled_from(sorted(ENCODERS)), data=st.data())
@every_encoder
def test_no_start_of_a_secret_survives_a_cut(secret: str, encoder: str, data: st.DataObject | None) -> None:
    """Cut by us (``shorten``: scrub, cut, scrub the cut) or by someone else, even inside an escape."""
    redactor = Redactor([secret])
    text = f"error: {ENCODERS[encoder](secret)} (attempt 2)"
    if data is None:
        cuts: Iterable[int] = _cuts_in_the_last_escape(encoder)
    else:
        cuts = [data.draw(st.integers(0, len(text)), label="cut")]
    for at in cuts:
        assert_clean(redactor.shorten(text, at), f"shortened at {at}", [secret])
        assert_clean(redactor.shorten(text, at, mark="...", fold=True), f"excerpt at {at}", [secret])
        for mark in ("…", "...", " ... [truncated]"):
            assert_clean(redactor.scrub(text[:at] + mark), f"cut at {at} with {mark!r}", [secret])
        assert_clean(redactor.scrub(text[:at], truncated=True), f"cut at {at}", [secret])


def test_the_shortest_start_masked_at_a_cut_is_min_secret_length() -> None:
    secret = "Zq-abcdefghijklmnop"
    redactor = Redactor([secret])
    assert redactor.scrub(f"was {secret[:MIN_SECRET_LENGTH]}…") == f"was {MASK}…"
    assert redactor.scrub(f"was {secret[: MIN_SECRET_LENGTH - 1]}…") == f"was {secret[:7]}…"
    assert redactor.scrub(f"ends {secret[:12]}", truncated=True) == f"ends {MASK}"
    assert redactor.scrub(f"ends {secret[:12]}") == f"ends {secret[:12]}"  # not a cut: left alone
    assert redactor.shorten(f"key={secret} and more", 20) == f"key={MASK} and more"
    assert redactor.shorten(f"key={secret}{secret}", 20) == f"key={MASK}{MASK}"


@pytest.mark.parametrize(
    ("secrets", "text", "truncated"),
    [
        # JSON-escaped twice, URL-encoded, cut inside "%5C%" (what is left of "\\" of "\\\"").
        (["JO'Y:\"C#KA", "OIV>;:JO'Y:\"C#KAS;RLI+VVG"], "rjOIV%3E%3B%3AJO%27Y%3A%5C% [truncated]more", False),
        # A shell's quote HTML-escaped, cut inside "&#x27;" after '"'" of it.
        (["DPDDU/'TIX", "W>RDPDDU/'TIXQH:"], "xtjW&gt;RDPDDU/&#x27;&quot;&#x27;&quo", True),
        (["U%OZHA@O%'CXZ$/\\>JA;S"], "dujrmU%OZHA@O%&#x27;&quot;&#x27;&quot;&#x2", True),
    ],
)
def test_a_start_cut_inside_an_escape_inside_another_is_masked(
    secrets: list[str], text: str, truncated: bool
) -> None:
    """Cut in two escapes at once, what is left of both stands between the start and the cut (the
    review's fuzzer found these: the start, 11 characters and more, was shown)."""
    assert_clean(Redactor(secrets).scrub(text, truncated=truncated), text, secrets)


# -- a secret holding another -----------------------------------------------------------------------------

# A DATABASE_URL built from DB_PASSWORD: both are secrets of one manifest. Masking the inner one first
# broke the outer one, so its JSON-escaped, URL-encoded or cut form showed everything but the password.
DB_PASSWORD = "S3cretPassw0rd-42"
DATABASE_URL = f'postgresql://app:{DB_PASSWORD}@db.internal:5432/prod?application_name="api"'
AROUND = st.text(CHARACTERS, max_size=40)


def every_nesting(test: Callable[..., None]) -> Callable[..., None]:
    before, after = DATABASE_URL.split(DB_PASSWORD)
    for writer in sorted(WRITERS, reverse=True):
        test = example(inner=DB_PASSWORD, before=before, after=after, writer=writer)(test)
        test = example(inner=EVERY_ESCAPE, before="Zq-url:", after=before, writer=writer)(test)
    return test


@settings(max_examples=60, deadline=None)
@given(inner=SECRETS, before=AROUND, after=AROUND, writer=st.sampled_from(sorted(WRITERS)))
@every_nesting
def test_a_secret_holding_another_is_masked_whole_in_every_form(
    inner: str, before: str, after: str, writer: str
) -> None:
    outer = before + inner + after
    clean = Redactor([inner, outer]).scrub(WRITERS[writer](outer))
    assert_clean(clean, writer, [inner, outer])
    assert clean == Redactor([outer, inner]).scrub(WRITERS[writer](outer))  # in either order


def test_the_inner_secret_of_a_database_url_leaves_no_part_of_it_in_a_debug_log() -> None:
    """What HF_DEBUG's curl line showed: the URL JSON-escaped in a request body, every part of it but the
    password in clear."""
    redactor = Redactor([DB_PASSWORD, DATABASE_URL])
    body = json.dumps({"model": {"secrets": {"DATABASE_URL": DATABASE_URL, "DB_PASSWORD": DB_PASSWORD}}})
    clean = redactor.scrub(f"curl -X PUT -d '{body}'")
    assert clean == (
        f"curl -X PUT -d '{json.dumps({'model': {'secrets': {'DATABASE_URL': MASK, 'DB_PASSWORD': MASK}}})}'"
    )
    assert redactor.scrub(quote(DATABASE_URL, safe="")) == MASK
    assert redactor.scrub(f"url={DATABASE_URL[:30]}…") == f"url={MASK}…"
    assert redactor.shorten(f"url={DATABASE_URL} failed", 40) == f"url={MASK} failed"


@settings(max_examples=40, deadline=None)
@given(
    inner=SECRETS,
    before=AROUND,
    after=AROUND,
    encoder=st.sampled_from(sorted(ENCODERS)),
    data=st.data(),
)
def test_no_start_of_a_secret_holding_another_survives_a_cut(
    inner: str, before: str, after: str, encoder: str, data: st.DataObject
) -> None:
    outer = before + inner + after
    redactor = Redactor([inner, outer])
    text = f"error: {ENCODERS[encoder](outer)} (attempt 2)"
    at = data.draw(st.integers(0, len(text)), label="cut")
    assert_clean(redactor.shorten(text, at), f"shortened at {at}", [inner, outer])
    assert_clean(redactor.scrub(text[:at] + "…"), f"cut at {at}", [inner, outer])
    assert_clean(redactor.scrub(text[:at], truncated=True), f"cut at {at}", [inner, outer])


# -- everything that cuts scrubs first -------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(secret=SECRETS, pad=st.integers(0, SERVER_TEXT + 20), cut=st.integers(0, 400))
def test_the_hub_scrubs_what_the_server_said_before_cutting_it(secret: str, pad: int, cut: int) -> None:
    redactor = Redactor([secret])
    body = "x" * pad + secret + " and more"
    request = httpx.Request("POST", "https://api.test/v2/endpoint/acme")
    said = [
        server_message(httpx.Response(500, text=body, request=request), redactor),
        server_message(httpx.Response(500, json=[body], request=request), redactor),  # JSON, no "error"
        server_message(httpx.Response(400, json={"error": body[:cut]}, request=request), redactor),
        server_message(
            httpx.Response(500, headers={"X-Error-Message": quote(body)[:cut]}, request=request), redactor
        ),
        excerpt(body, redactor),
    ]
    for text in said:
        assert_clean(text, "server message", [secret])
    assert len(said[0]) <= SERVER_TEXT


def test_an_excerpt_is_one_line_cut_and_quoted() -> None:
    redactor = Redactor(["Zq-abcdefghijklmnop"])
    assert excerpt("a\n  b " * 100, redactor) == repr(("a b " * 30)[: BODY_EXCERPT - 3] + "...")
    assert excerpt("<html>Zq-abcdefghijklmnop</html>", redactor) == repr(f"<html>{MASK}</html>")
    assert excerpt("", redactor) == "nothing (an empty body)"


@settings(max_examples=60, deadline=None)
@given(secret=SECRETS, pad=st.integers(0, 220))
def test_smoke_reasons_scrub_what_they_quote_before_cutting_it(secret: str, pad: int) -> None:
    redactor = Redactor([secret])
    echo = "x" * pad + secret + " more"
    shaped = case_for("text-classification", None)
    equals = JsonAssertion.model_validate({"path": "a", "equals": 1})
    asserted = SmokeCase(SmokeRequest(body={}), assertions=(equals,))
    reasons = [
        judge(shaped, 500, echo.encode(), 1.0, redactor)[1],  # the body's start
        judge(shaped, 200, echo.encode(), 1.0, redactor)[1],  # not JSON
        judge(shaped, 200, json.dumps(echo).encode(), 1.0, redactor)[1],  # the shape's found value
        judge(asserted, 200, json.dumps({"a": echo}).encode(), 1.0, redactor)[1],  # an assertion's
    ]
    for reason in reasons:
        assert_clean(reason, "reason", [secret])
        assert secret[:2] not in reason or MASK in reason


def test_junit_scrubs_a_reason_before_replacing_what_xml_cannot_carry(tmp_path: pathlib.Path) -> None:
    secret = "Zq\x01cdefgh\x1b<&>\"'é"
    result = SmokeResult(NAME, USER, SmokeOutcome.FAIL, f"got {secret} back", url="https://x.test")
    path = tmp_path / "smoke.xml"
    junit.write(str(path), [result], Redactor([secret]).scrub)
    text = path.read_text()
    assert "Zq?cdefgh" not in text  # what the replacement would have left of it
    assert f"got {MASK} back" in text
    assert_clean(text, "junit", [secret])


# -- where the token may go ------------------------------------------------------------------------------


@dataclass
class Recorder:
    """A deployed URL that records what it was sent."""

    seen: list[httpx.Request]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(200, json=[{"label": "POSITIVE", "score": 1.0}])


def _deployed(token: str = "hf_Zt_token_abcdefgh") -> tuple[DeployedClient, Recorder]:
    recorder = Recorder([])
    return DeployedClient(token, ManualClock(), transport=httpx.MockTransport(recorder)), recorder


@pytest.mark.parametrize(
    "url",
    [
        "https://x.endpoints.huggingface.cloud/",
        "https://10.0.0.8/v1",
        "http://127.0.0.1:8080/endpoints/a/b",
        "http://127.45.6.7/x",
        "http://[::1]:9000/x",
        "http://localhost:9000/x",
        "http://LOCALHOST/x",
    ],
)
def test_the_token_goes_over_https_or_to_loopback(url: str) -> None:
    client, recorder = _deployed()
    assert client.request("POST", url, security=Security.PROTECTED, body={}).status == 200
    assert recorder.seen[0].headers["authorization"] == "Bearer hf_Zt_token_abcdefgh"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://x.endpoints.huggingface.cloud/", "http://x.endpoints.huggingface.cloud"),
        ("http://10.0.0.8:8080/v1", "http://10.0.0.8"),
        ("http://localhost.evil.test/", "http://localhost.evil.test"),
        ("http://127.0.0.1.nip.io/", "http://127.0.0.1.nip.io"),
        ("http://[::2]/", "http://::2"),
        ("ftp://files.test/x", "ftp://files.test"),
    ],
)
def test_the_token_is_never_sent_in_clear_off_the_machine(url: str, shown: str) -> None:
    client, recorder = _deployed()
    with pytest.raises(DataPlaneError) as refused:
        client.request("POST", url, security=Security.PROTECTED, body={})
    assert f"refusing to send the token to {shown}" in refused.value.message
    assert "use the endpoint's https URL" in refused.value.message
    assert recorder.seen == []


def test_a_public_endpoint_over_http_is_called_without_the_token() -> None:
    client, recorder = _deployed()
    assert client.request("POST", "http://public.test/", security=Security.PUBLIC, body={}).status == 200
    assert "authorization" not in recorder.seen[0].headers


def test_the_deployed_client_knows_its_token_as_a_secret() -> None:
    client, _ = _deployed()
    assert client.redactor.scrub("Bearer hf_Zt_token_abcdefgh") == f"Bearer {MASK}"


@pytest.mark.parametrize(
    ("status", "location", "refused"),
    [
        (307, "https://elsewhere.test/v2/endpoint/acme", True),
        (308, "//elsewhere.test/v2/endpoint/acme", True),
        (302, "http://api.test/v2/endpoint/acme", True),  # https to http is another origin too
        (307, "https://api.test:8443/v2/endpoint/acme", True),
        (307, "/v2/endpoint/acme?moved=1", False),
        (301, "https://api.test/v2/endpoint/acme?moved=1", False),
    ],
)
def test_the_api_client_follows_a_redirect_only_within_its_origin(
    status: int, location: str, refused: bool
) -> None:
    seen: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("moved"):
            return httpx.Response(200, json={"items": []})
        return httpx.Response(status, headers={"Location": location})

    with TimeoutClientFactory(5.0, transport=httpx.MockTransport(api))() as client:
        url, body, auth = "https://api.test/v2/endpoint/acme", {"secrets": "Zq-abcdefgh"}, "Bearer t"
        if refused:
            with pytest.raises(ApiError, match="redirecting to another origin") as caught:
                client.post(url, json=body, headers={"Authorization": auth})
            assert "not followed" in caught.value.message
            assert [r.url.host for r in seen] == ["api.test"]
        else:
            assert client.post(url, json=body, headers={"Authorization": auth}).status_code == 200
            assert len(seen) == 2 and seen[1].url.host == "api.test"
            assert seen[1].headers["authorization"] == auth


# -- every output path, against a sandbox that echoes what it receives -----------------------------------


@dataclass(frozen=True)
class Echo:
    """What a careless server says back: the request (method, path, body, Authorization header), after
    ``pad`` characters, cut by the server itself at ``cut`` with ``mark``; an endpoint also says the
    values of its environment (``env``), secrets included."""

    pad: int
    cut: int | None
    mark: str
    header: str | None  # how X-Error-Message carries it too: "utf-8" bytes, "percent" or "json" escapes
    env: tuple[str, ...] = ()

    def message(self, request: Request) -> str:
        body = request.body.decode(errors="replace")
        text = (
            f"{'x' * self.pad}invalid request {request.method} {request.path}: body {body}; "
            f"authorization {request.header('authorization')}; environment {list(self.env)}"
        )
        return text if self.cut is None or self.cut >= len(text) else text[: self.cut] + self.mark

    def headers(self, message: str) -> dict[str, str]:
        one_line = message.replace("\r", " ").replace("\n", " ")
        written = {
            None: None,
            "utf-8": one_line.encode().decode("latin-1"),  # the sandbox writes headers as latin-1 bytes
            "percent": quote(message),
            "json": json.dumps(message)[1:-1],
        }[self.header]
        return {} if written is None else {"X-Error-Message": written}


def echoes(env: tuple[str, ...] = ()) -> st.SearchStrategy[Echo]:
    return st.builds(
        Echo,
        pad=st.integers(0, 320),
        cut=st.none() | st.integers(0, 1200),
        mark=st.sampled_from(["", "…", "...", " [truncated]"]),
        header=st.sampled_from([None, "utf-8", "percent", "json"]),
        env=st.just(env),
    )


@dataclass
class Stage:
    """One sandbox for every example (hypothesis runs many in one test), reset before each; or, for an
    example that needs the manifest's endpoint deployed, holding it as the last deploy left it.

    A deploy cost about as much as the command an example runs. Its output is not what is checked, and
    what it leaves is the same whatever an example's values: any ``hf_`` token is the one sandbox user,
    and the API answers secrets and the registry password masked. What an example's command sends (the
    update's secrets, the Authorization header) is built from the example's own values at run time, and
    that is what the misbehaving server says back. Nothing an example runs changes the endpoint (its
    middleware answers every call that could); should one, the listing differs from the one taken after
    the deploy, and the next example starts again from an empty sandbox and deploys with its own values."""

    sandbox: Sandbox
    clock: ManualClock
    api: httpx.Client
    deployed: Any = field(default=None)  # the listing just after the last deploy, while it stands

    def _listing(self) -> Any:
        answer = self.api.get(f"/v2/endpoint/{USER}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    @contextlib.contextmanager
    def world(self, token: str, secret: str, password: str, *, deployed: bool = False) -> Iterator[World]:
        self.sandbox.clear_middleware()
        kept = deployed and self.deployed is not None and self._listing() == self.deployed
        if not kept:
            self.sandbox.reset()
            self.deployed = None
        with tempfile.TemporaryDirectory() as directory:
            root = pathlib.Path(directory)
            environ = {
                "ENDPOINTCTL_API_URL": self.sandbox.url,
                "HF_TOKEN": token,
                "MY_SECRET": secret,
                "REG_PASSWORD": password,
                "ENDPOINTCTL_STATE_DIR": str(root / "state"),
            }
            world = World(self, Cli(environ=environ, clock=self.clock), root, (token, secret, password))
            if deployed and not kept:
                world.deploy()
                self.deployed = self._listing()
            try:
                yield world
            finally:
                self.sandbox.clear_middleware()


@functools.cache
def _manifest_text(secrets: tuple[tuple[str, str], ...]) -> str:
    """The manifest's text, built once per set of secrets (placeholders, not values: the same for every
    example), instead of dumping and reading YAML again for each one."""
    return with_image(manifest(NAME, secrets=dict(secrets)), IMAGE)


@dataclass
class World:
    stage: Stage
    cli: Cli
    root: pathlib.Path
    values: tuple[str, ...]

    def manifest(self, secrets: dict[str, str]) -> str:
        return write(self.root, f"m{len(secrets)}.yaml", _manifest_text(tuple(secrets.items())))

    @property
    def deployed(self) -> str:
        return self.manifest({"API_KEY": "${MY_SECRET}"})

    def deploy(self) -> None:
        applied = self.cli("apply", self.deployed, "--yes")
        assert applied.code == 0, applied.all
        self.stage.clock.advance(10)

    def changed(self) -> str:
        return self.manifest({"API_KEY": "${MY_SECRET}", "OTHER": "${MY_SECRET}"})

    def arm(self, middleware: Callable[[Request, Handler], Response]) -> None:
        self.stage.sandbox.add_middleware(middleware)

    def assert_clean(self, run: Run, *files: pathlib.Path) -> None:
        assert_clean(run.all, "output", self.values)
        for path in files:
            assert_clean(path.read_text(encoding="utf-8"), str(path.name), self.values)


@pytest.fixture(scope="module")
def stage() -> Iterator[Stage]:
    clock = ManualClock()
    with tempfile.TemporaryDirectory() as directory:
        sandbox = Sandbox(
            SandboxConfig(db_path=pathlib.Path(directory) / "s.sqlite", phases=dict(PHASES), clock=clock)
        )
        sandbox.start()
        auth = {"Authorization": "Bearer hf_Zt_stage_listing"}
        with sandbox, httpx.Client(base_url=sandbox.url, headers=auth, timeout=10) as api:
            yield Stage(sandbox, clock, api)


@contextlib.contextmanager
def hf_debug_log() -> Iterator[io.StringIO]:
    """huggingface_hub's HF_DEBUG curl log, in this process: what ``HF_DEBUG=1`` prints, captured."""
    from huggingface_hub import constants

    logger = logging.getLogger("huggingface_hub")
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)  # there before the hub installs its filter on every handler
    level, debug = logger.level, constants.HF_DEBUG
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    constants.HF_DEBUG = True
    try:
        yield captured
    finally:
        constants.HF_DEBUG = debug
        logger.setLevel(level)
        logger.removeHandler(handler)


def _is_api(request: Request) -> bool:
    return request.path.startswith(("/v2/", "/api/"))


ECHOES = echoes()

# Each example runs whole commands (~50 ms). Whether an output path scrubs what it writes does not hang
# on the values (any echo holds every secret: a path that does not scrub leaks in every example); what it
# does to them does, by the mode it writes in, how the server carried the echo (the header's encoding),
# where the echo was cut and with what mark, and the values' lengths against each cut. Explicit examples
# meet every mode, encoding and mark, an echo cut and whole, and values holding every hostile character
# at a length on either side of each cut but the shortest, every run, where 12 drawn examples met only
# some of them; four generated examples on top search the rest (the redactor's own tests above search
# the values at every length).
E2E = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKEN_HOSTILE = "\"'\\&<>%+;=#.~`!$(){}[]|^?*-"  # what a header carries of HOSTILE, and more


def hostile(start: str, length: int, characters: str = HOSTILE) -> str:
    """``start``, then ``characters`` over and over, to ``length`` characters."""
    return (start + characters * (length // len(characters) + 1))[:length]


# Every mode, every way the header carries the echo, every mark, the echo cut inside the request's body
# (after a pad that pushes it past an excerpt's length too) and not cut at all.
SAID_BACK: list[dict[str, Any]] = [
    {
        "mode": "table",
        "echo": Echo(pad=0, cut=None, mark="", header="utf-8"),
        "token": hostile("hf_Zt", SERVER_TEXT - 1, TOKEN_HOSTILE),
        "secret": hostile("Zq", 79),
        "password": hostile("Zp", 1001),
    },
    {
        "mode": "json",
        "echo": Echo(pad=7, cut=150, mark="…", header="percent"),
        "token": hostile("hf_Zt", 999, TOKEN_HOSTILE),
        "secret": hostile("Zq", BODY_EXCERPT + 1),
        "password": hostile("Zp", 81),
    },
    {
        "mode": "yaml",
        "echo": Echo(pad=300, cut=420, mark="...", header="json"),
        "token": hostile("hf_Zt", 80, TOKEN_HOSTILE),
        "secret": hostile("Zq", 199),
        "password": hostile("Zp", BODY_EXCERPT - 1),
    },
    {
        "mode": "json",
        "echo": Echo(pad=60, cut=900, mark=" [truncated]", header=None),
        "token": hostile("hf_Zt", 200, TOKEN_HOSTILE),
        "secret": hostile("Zq", SERVER_TEXT + 1),
        "password": hostile("Zp", 201),
    },
]


def said_back(test: Callable[..., None]) -> Callable[..., None]:
    for case in reversed(SAID_BACK):
        test = example(**case)(test)
    return test


@E2E
@given(token=TOKENS, secret=SECRETS, password=PASSWORDS, echo=ECHOES, mode=st.sampled_from(MODES))
@said_back
def test_an_api_echoing_the_request_in_its_error_leaks_nothing(
    stage: Stage, token: str, secret: str, password: str, echo: Echo, mode: str
) -> None:
    """An update sends every secret; the API refuses it with a 400 that says the request back, in the
    JSON error and the X-Error-Message header, cut or not; the debug log prints the request too."""
    with stage.world(token, secret, password, deployed=True) as world:

        def refuse(request: Request, call_next: Handler) -> Response:
            if request.method == "GET" or not _is_api(request):
                return call_next(request)
            message = echo.message(request)
            body = json.dumps({"error": message}).encode()
            return Response(status=400, body=body, headers=echo.headers(message))

        world.arm(refuse)
        with hf_debug_log() as log:
            run = world.cli("apply", world.changed(), "--yes", "--rotate-secrets", "-o", mode)
        assert run.code == 1, run.all
        assert "the API answered 400" in run.stderr
        world.assert_clean(run)
        assert "curl" in log.getvalue()
        assert_clean(log.getvalue(), "HF_DEBUG log", world.values)


@E2E
@given(token=TOKENS, secret=SECRETS, password=PASSWORDS, echo=ECHOES, mode=st.sampled_from(MODES))
@said_back
def test_an_api_answering_text_instead_of_json_leaks_nothing(
    stage: Stage, token: str, secret: str, password: str, echo: Echo, mode: str
) -> None:
    """A 500 whose body is text (the server's words, cut at SERVER_TEXT) and a 200 that is not JSON
    (quoted in an excerpt of BODY_EXCERPT), both saying the request back."""
    with stage.world(token, secret, password, deployed=True) as world:

        def listing(request: Request, call_next: Handler) -> Response:
            if request.method != "GET" or not request.path.startswith("/v2/endpoint/"):
                return call_next(request)
            return Response(status=200, body=echo.message(request).encode(), content_type="text/plain")

        def failing(request: Request, call_next: Handler) -> Response:
            if request.method == "GET" or not _is_api(request):
                return call_next(request)
            return Response(status=500, body=echo.message(request).encode(), content_type="text/html")

        world.arm(listing)
        listed = world.cli("status", "-o", mode)
        assert listed.code == 1 and "not JSON" in listed.stderr, listed.all
        world.assert_clean(listed)
        stage.sandbox.clear_middleware()
        world.arm(failing)
        paused = world.cli("pause", NAME, "-o", mode)
        assert paused.code == 1 and "answered 500" in paused.stderr, paused.all
        world.assert_clean(paused)


def either_status(test: Callable[..., None]) -> Callable[..., None]:
    """SAID_BACK, the endpoint answering 200 and 500 in turn."""
    for case, status in reversed(list(zip(SAID_BACK, [200, 500, 200, 500], strict=True))):
        test = example(**case, status=status)(test)
    return test


@E2E
@given(
    token=TOKENS,
    secret=SECRETS,
    password=PASSWORDS,
    echo=ECHOES,
    status=st.sampled_from([200, 500]),
    mode=st.sampled_from(MODES),
)
@either_status
def test_an_endpoint_echoing_its_request_and_environment_leaks_nothing(
    stage: Stage, token: str, secret: str, password: str, echo: Echo, status: int, mode: str
) -> None:
    """The deployed URL says back the Authorization header and its environment (the secrets): smoke
    reasons quote it (a snippet, a shape's value), in every mode and in JUnit XML; invoke prints it.

    Invoke reads no manifest, so it knows the token but not the secrets: its endpoint says back only
    what it was sent. It prints the answer whole, so a cut in it shows only by its mark."""
    echo = replace(echo, env=(secret, password))
    with stage.world(token, secret, password, deployed=True) as world:
        saying = [echo]

        def endpoint(request: Request, call_next: Handler) -> Response:
            if _is_api(request) or request.method != "POST":
                return call_next(request)
            return Response(status=status, body=json.dumps(saying[0].message(request)).encode())

        world.arm(endpoint)
        report = world.root / "smoke.xml"
        smoked = world.cli("smoke", "-f", world.deployed, "-o", mode, "--junit-xml", str(report))
        assert smoked.code == 1, smoked.all
        world.assert_clean(smoked, report)
        assert "SmokeTestFailure" in report.read_text()
        saying[0] = replace(echo, env=(), mark=echo.mark or "…")
        invoked = world.cli("invoke", NAME, "--data", '{"inputs": "hello"}', "-o", mode)
        assert invoked.code == (0 if status == 200 else 1) and f"HTTP {status}" in invoked.stderr, invoked.all
        world.assert_clean(invoked)


def test_a_redirect_to_another_origin_takes_neither_token_nor_body(stage: Stage) -> None:
    """The API answers a create with a 307 to another origin (the same sandbox, by another name):
    nothing arrives there, and the error says why and what to do."""
    token, secret = "hf_Zt_redirected_token", "Zq-redirected-secret"
    with stage.world(token, secret, "Zp-redirected-password") as world:
        arrived: list[Request] = []

        def redirect(request: Request, call_next: Handler) -> Response:
            host = request.header("host") or ""
            if host.startswith("localhost"):
                arrived.append(request)
            elif request.method == "POST" and _is_api(request):
                elsewhere = stage.sandbox.url.replace("127.0.0.1", "localhost") + request.path
                return Response(status=307, headers={"Location": elsewhere})
            return call_next(request)

        world.arm(redirect)
        run = world.cli("apply", world.manifest({"API_KEY": "${MY_SECRET}"}), "--yes")
        assert run.code == 1, run.all
        origin = stage.sandbox.url.replace("127.0.0.1", "localhost")
        assert f"redirecting to another origin ({origin}); not followed" in run.stderr
        assert "ENDPOINTCTL_API_URL" in run.stderr
        assert arrived == []
        world.assert_clean(run)


def test_a_redirect_within_the_api_origin_is_followed(stage: Stage) -> None:
    with stage.world("hf_Zt_followed_token", "Zq-followed-secret", "Zp-followed-password") as world:

        def move(request: Request, call_next: Handler) -> Response:
            if (
                request.method == "GET"
                and request.path == f"/v2/endpoint/{USER}"
                and "moved" not in request.query
            ):
                return Response(status=307, headers={"Location": f"{request.path}?moved=1"})
            return call_next(request)

        world.arm(move)
        run = world.cli("status")
        assert run.code == 0, run.all


def test_a_smoke_test_refuses_to_send_the_token_in_clear(stage: Stage) -> None:
    with stage.world("hf_Zt_clear_token", "Zq-clear-secret", "Zp-clear-password", deployed=True) as world:
        run = world.cli("smoke", NAME, "--url", f"{NAME}=http://10.255.0.1/x", "-o", "json")
        assert run.code == 1, run.all
        (record,) = json.loads(run.stdout)
        # Refused before any connection: not "could not connect", not a timeout.
        assert "refusing to send the token to http://10.255.0.1" in record["reason"]
        world.assert_clean(run)


def test_values_are_generated_near_every_limit() -> None:
    """The strategies reach what they claim: lengths around each cut, hostile characters."""
    lengths: set[int] = set()

    # Six limits, each a sixth of the draws: in 40 runs of 200 every one was met within 42 draws, and
    # missing one in 100 uniform draws has a chance under 1e-7 (6 * (5/6) ** 100).
    @settings(max_examples=100, deadline=None)
    @given(value=SECRETS)
    def collect(value: str) -> None:
        assume(any(abs(len(value) - limit) <= 2 for limit in LIMITS))
        lengths.add(len(value))

    collect()
    assert {limit for limit in LIMITS if any(abs(n - limit) <= 2 for n in lengths)} == set(LIMITS)


# -- secrets that overlap themselves ---------------------------------------------------------------------


def test_a_run_of_a_repeated_secret_is_one_mask() -> None:
    """A secret of one repeated character occurs at every position of a run of it: the run is one mask,
    worked out a needle's length at a time (read position by position, a megabyte took seconds)."""
    assert Redactor(["=" * 8]).scrub("x" + "=" * 1000 + "y") == f"x{MASK}y"
    assert Redactor(["ab" * 5]).scrub("[" + "ab" * 20 + "a]") == f"[{MASK}a]"
    assert Redactor(["abcdefgh-1", "abcdefgh-12345"]).scrub("k=abcdefgh-12345;") == f"k={MASK};"


@settings(max_examples=80, deadline=None)
@given(
    unit=st.text(CHARACTERS, min_size=1, max_size=4),
    repeats=st.integers(1, 12),
    run=st.integers(0, 60),
    encoder=st.sampled_from(sorted(ENCODERS)),
    data=st.data(),
)
def test_a_secret_that_overlaps_itself_leaves_nothing_at_any_cut(
    unit: str, repeats: int, run: int, encoder: str, data: st.DataObject
) -> None:
    secret = "Zq" + unit * max(repeats, MIN_SECRET_LENGTH // len(unit) + 1)
    assume(len(_folded(secret)) >= MIN_SECRET_LENGTH)  # mostly blanks: found only as it is, by design
    text = f"error: {ENCODERS[encoder](unit * run + secret + unit * run)} (attempt 2)"
    redactor = Redactor([secret])
    assert_clean(redactor.scrub(text), encoder, [secret])
    at = data.draw(st.integers(0, len(text)), label="cut")
    assert_clean(redactor.shorten(text, at), f"shortened at {at}", [secret])
    assert_clean(redactor.scrub(text[:at] + "…"), f"cut at {at}", [secret])
