"""The redactor and manifest validation agree on the shortest secret there can be."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.errors import ManifestError
from endpointctl.core.redact import MASK, MIN_SECRET_LENGTH, TOKEN_PREFIXES, TOKEN_START_RANDOM, Redactor
from endpointctl.manifest import load

MANIFEST = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata: {name: demo}
spec:
  model:
    repository: openai-community/gpt2
    secrets: {API_KEY: "${KEY}"}
  provider: {vendor: aws, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
"""


def test_the_shortest_secret_a_manifest_accepts_is_the_shortest_the_redactor_hides(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    shortest = "k" * MIN_SECRET_LENGTH
    (desired,) = load([path], environ={"KEY": shortest})
    assert Redactor(desired.sensitive_values()).scrub(f"key={shortest}") == f"key={MASK}"
    with pytest.raises(ManifestError, match="too short to be a secret"):
        load([path], environ={"KEY": shortest[1:]})


def test_shorter_values_are_left_alone_rather_than_masking_ordinary_words() -> None:
    redactor = Redactor(["main", "x2"])
    assert redactor.scrub("revision main on x2") == "revision main on x2"


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy"])
def test_a_secret_of_the_minimum_length_is_hidden_inside_base64_at_every_offset(prefix: bytes) -> None:
    secret = "Zq7#kP2!"
    assert len(secret) == MIN_SECRET_LENGTH
    body = prefix + json.dumps({"model": {"secrets": {"API_KEY": secret}}}).encode()
    encoded = base64.b64encode(body).decode()
    scrubbed = Redactor([secret]).scrub(encoded)
    assert scrubbed != encoded
    # No unmasked stretch, decoded from any alignment, still holds the secret.
    for piece in scrubbed.split(MASK):
        for start in range(4):
            chunk = piece[start:]
            decoded = base64.b64decode(chunk[: len(chunk) - len(chunk) % 4])
            assert secret.encode() not in decoded


def test_secrets_added_from_many_threads_while_others_scrub_are_all_masked() -> None:
    """The redactor has no lock: appends are atomic and a stale rebuild is redone, so none is lost.

    A secret is lost only when a rebuild that missed it is the last one, so the race is run in many short
    rounds, each ending in it, rather than one long one (400 secrets in one round rebuilt 400 times over
    and lost a secret to a stale count in one run out of six or more). The interpreter switches threads
    every microsecond instead of every five milliseconds, so that another thread adds in the middle of a
    rebuild: with a stale count kept, 16 secrets lose one in about two rounds out of five, so 30 rounds
    all pass by chance about once in ten million runs."""
    import sys
    import threading

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for round_ in range(30):
            redactor = Redactor()
            secrets = [f"hf_thread_secret_{round_:02d}_{i:02d}_abcdefgh" for i in range(16)]
            start = threading.Barrier(8)

            def add(
                chunk: list[str], redactor: Redactor = redactor, start: threading.Barrier = start
            ) -> None:
                start.wait()
                for secret in chunk:
                    redactor.add(secret)
                    redactor.scrub(secret)  # rebuilds race with the other threads' adds

            threads = [threading.Thread(target=add, args=(secrets[i::8],)) for i in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            text = " ".join(secrets)
            assert redactor.scrub(text) == " ".join([MASK] * len(secrets)), f"round {round_}"
    finally:
        sys.setswitchinterval(interval)


def test_a_secret_added_while_the_forms_are_rebuilt_is_masked_next_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rebuild is from a copy; what was added meanwhile is not in it, and the next scrub rebuilds."""
    from endpointctl.core import redact

    redactor = Redactor(["hf_first_secret_value"])
    late = "hf_added_during_a_rebuild"
    real = redact._masked_forms
    added: list[str] = []

    def forms_while_another_thread_adds(secret: str) -> set[str]:
        if not added:
            added.append(late)
            redactor.add(late)  # another thread, between the copy and the end of the rebuild
        return real(secret)

    monkeypatch.setattr(redact, "_masked_forms", forms_while_another_thread_adds)
    assert redactor.scrub("x") == "x"  # the rebuild during which the late secret arrived
    assert redactor.scrub(f"token {late}") == f"token {MASK}"


def test_joined_redactors_mask_a_secret_that_starts_with_anothers() -> None:
    """The debug-log filter serves every live hub: one after another, the shorter secret would mask the
    start of the longer one and leave the rest of it to be read."""
    short, long = Redactor(["hf_shared_start"]), Redactor(["hf_shared_start_and_more_of_it"])
    text = "token hf_shared_start_and_more_of_it"
    assert long.scrub(short.scrub(text)) == f"token {MASK}_and_more_of_it"  # the trap
    assert Redactor.joined([short, long]).scrub(text) == f"token {MASK}"


TOKENS = st.builds(
    "{}{}".format,
    st.sampled_from(["hf_", "api_org_"]),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=20, max_size=37),
)
AROUND = st.text(st.sampled_from(list("ab :,.\"'()[]{}\n")), max_size=12)


@given(token=TOKENS, data=st.data(), before=AROUND, after=AROUND)
def test_no_start_of_a_token_shows_even_where_no_cut_ends_it(
    token: str, data: st.DataObject, before: str, after: str
) -> None:
    """An API that quotes the first characters of the token it was sent, then goes on ("invalid token
    hf_AbCdEfGh was refused"): every start holding the prefix and TOKEN_START_RANDOM more characters is
    masked, as is, in JSON and URL-encoded."""
    shortest = _token_start(token)
    length = data.draw(st.integers(shortest, len(token) - 1))
    start = token[:length]
    redactor = Redactor([token])
    for text in (start, json.dumps({"error": start}), quote(start, safe="")):
        shown = redactor.scrub(f"{before}{text}{after}")
        assert start[len(_prefix(token)) :][:TOKEN_START_RANDOM] not in shown, shown
        assert MASK in shown


def _prefix(token: str) -> str:
    return next(prefix for prefix in TOKEN_PREFIXES if token.startswith(prefix))


def _token_start(token: str) -> int:
    return max(MIN_SECRET_LENGTH, len(_prefix(token)) + TOKEN_START_RANDOM)


@given(token=TOKENS, data=st.data(), before=AROUND, after=AROUND)
def test_a_start_of_a_token_too_short_to_be_its_own_stays_readable_where_no_cut_ends_it(
    token: str, data: st.DataObject, before: str, after: str
) -> None:
    """The prefix alone ("api_org_", words about tokens) and fewer than TOKEN_START_RANDOM characters after
    it are in other texts too: masking them would garble help and errors. A cut still ends a secret's
    start (the ``…`` after it)."""
    length = data.draw(st.integers(1, _token_start(token) - 1))
    start = token[:length]
    redactor = Redactor([token])
    # A letter after the start: the text is not cut there, and goes on.
    text = f"{before}{start} then more words{after}"
    assert redactor.scrub(text) == text
    # At a cut, a start is masked from MIN_SECRET_LENGTH on once it holds any of the token's own characters.
    cut = f"{before}{start}…"
    masked = length >= MIN_SECRET_LENGTH and length > len(_prefix(token))
    assert (redactor.scrub(cut) == f"{before}{MASK}…") is masked
    assert (redactor.scrub(cut) == cut) is not masked


def test_an_organization_token_leaves_its_bare_prefix_readable() -> None:
    token = "api_org_" + "Q7zK2mWp9xLr4TnB8vYc3HdJ6fGs1Ae"
    redactor = Redactor([token])
    prose = "organization tokens start with api_org_, user tokens with hf_"
    assert redactor.scrub(prose) == prose
    # Written as token formats are, with a cut mark: the prefix is no start of this token.
    assert redactor.scrub("expected hf_… or api_org_… here") == "expected hf_… or api_org_… here"
    assert redactor.scrub("sent api_org_Q…") == f"sent {MASK}…"
    assert redactor.scrub("api_org_Q7zK is short") == "api_org_Q7zK is short"
    assert redactor.scrub("refused api_org_Q7zK2 here") == f"refused {MASK} here"
    assert redactor.scrub(f"echo {base64.b64encode(token.encode()).decode()}") == f"echo {MASK}"


def test_a_secret_that_is_no_token_is_masked_at_its_start_only_where_a_cut_ends_it() -> None:
    # "postgres://..." may begin with a word the text uses too: that word stays readable.
    secret = "postgres://app:s3cr3t-pw@db.internal/app"
    redactor = Redactor([secret])
    assert redactor.scrub("postgres://app is down") == "postgres://app is down"
    assert MASK in redactor.scrub("url: postgres://app:s3cr…")
