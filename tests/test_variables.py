"""ENDPOINTCTL_VARIABLES: the manifests' ${VAR} values as one text, read for expansion alone.

The GitHub workflows give endpointctl their ENDPOINT_SECRETS this way instead of exporting a variable a
line (tests/test_workflows.py): so what is tested here is all that stands between a line of it and the
manifests — which values it gives, what it refuses, and that no message shows a value.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest
from clirunner import Cli
from hypothesis import given, settings
from hypothesis import strategies as st

from endpointctl.core.variables import (
    VARIABLES,
    VariablesError,
    interpolation_environment,
    parse,
    sensitive,
)
from endpointctl.sandbox import Sandbox

NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)
# Anything a line can hold: no "\n" (it ends the line); a "\r" anywhere but at the end is kept.
VALUES = st.text(st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]), max_size=40).filter(
    lambda v: not v.endswith("\r")
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(NAMES, VALUES, max_size=8), st.booleans(), st.booleans())
def test_every_name_and_value_comes_back_as_written(values: dict[str, str], crlf: bool, noise: bool) -> None:
    end = "\r\n" if crlf else "\n"
    lines = [f"{name}={value}" for name, value in values.items()]
    if noise:  # blank lines, comments and a missing last newline change nothing
        lines = ["", "# a comment = not a value", *lines, "   "]
    assert parse(end.join(lines)) == values


def test_a_value_is_everything_after_the_first_equals_sign() -> None:
    assert parse("A= spaced = out \nB=\nC==x") == {"A": " spaced = out ", "B": "", "C": "=x"}
    # Only "\n" ends a line: a form feed or a U+2028 inside a value stays in it (str.splitlines would cut).
    assert parse("A=x\x0cy\u2028z\x1cw") == {"A": "x\x0cy\u2028z\x1cw"}


SECRET = "hunter2-s3cr3t-VALUE"


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        (SECRET, [1]),  # a value pasted alone
        (f"A=ok\n{SECRET}\nB=ok", [2]),
        (f"1A={SECRET}", [1]),  # a name cannot start with a digit
        (f"MY KEY={SECRET}", [1]),
        (f"export A={SECRET}", [1]),
        (f"={SECRET}", [1]),
        (f" A={SECRET}", [1]),
        (f"A-B={SECRET}\nC={SECRET}\nC={SECRET}x", [1, 3]),
    ],
)
def test_every_bad_line_is_named_by_its_number_and_no_value_is_shown(text: str, lines: list[int]) -> None:
    with pytest.raises(VariablesError) as raised:
        parse(text)
    message = str(raised.value)
    assert message.startswith(f"{VARIABLES}: ")
    assert [int(n) for n in re.findall(r"line (\d+) (?:is|repeats)", message)] == lines
    for cut in range(4, len(SECRET) + 1):  # no start of the secret either
        assert SECRET[:cut] not in message


# Everything a message may say: fixed words and line numbers, nothing taken from the text.
NOT_A_LINE = r"is not NAME=value \(a letter or _, then letters, digits or _\)"
PROBLEM = rf"line \d+ (?:{NOT_A_LINE}|repeats the name of line \d+)"
MESSAGE = re.compile(rf"{VARIABLES}: {PROBLEM}(?:; {PROBLEM})*")


@settings(max_examples=150, deadline=None)
@given(st.lists(VALUES.filter(lambda v: v.strip() and not v.startswith("#")), min_size=1))
def test_no_line_of_the_text_reaches_the_message(lines: list[str]) -> None:
    try:
        parse("\n".join(lines))
    except VariablesError as error:
        assert MESSAGE.fullmatch(str(error)), str(error)


def test_the_values_win_over_the_environment_and_the_text_itself_is_not_a_variable() -> None:
    environ = {"REGION": "from-env", "KEEP": "kept", VARIABLES: "REGION=from-variables"}
    assert interpolation_environment(environ) == {"REGION": "from-variables", "KEEP": "kept"}
    plain = {"REGION": "from-env"}
    assert interpolation_environment(plain) is plain  # nothing to merge: the environment as it is


MANIFEST = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata: {name: with-variables}
spec:
  model:
    repository: openai-community/gpt2
    task: text-generation
    secrets: {API_KEY: "${API_KEY}"}
    env: {REGION_NOTE: "${NOTE}"}
  provider: {vendor: aws, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
"""


@pytest.fixture
def manifest(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST)
    return path


def test_plan_reads_the_values_and_shows_none_of_them(cli: Cli, manifest: pathlib.Path) -> None:
    # Every value of it is a secret, used as one or not: NOTE's reaches the plan masked. (Values shorter
    # than the redactor's minimum cannot be hidden and are refused as secrets; one shows which value won.)
    env = {VARIABLES: f"API_KEY={SECRET}\nNOTE=long-note-from-variables", "NOTE": "from-the-environment"}
    for output in ("json", "table", "markdown"):
        run = cli("plan", str(manifest), "-o", output, env=env)
        assert run.code == 0, run.all
        assert SECRET[:8] not in run.all and "long-note" not in run.all
        assert "from-the-environment" not in run.all  # the environment's value lost to the text's
    short = cli(
        "plan", str(manifest), "-o", "json", env={**env, VARIABLES: f"API_KEY={SECRET}\nNOTE=fromvar"}
    )
    (change,) = json.loads(short.stdout)
    assert change["action"] == "create" and "fromvar" in short.stdout


def test_every_value_is_masked_from_the_start_even_in_a_text_that_is_refused(
    cli: Cli, manifest: pathlib.Path
) -> None:
    padded = "MFRGGZDFMZTWQ2LKNNWG23TP=="  # base32: reads as a NAME and its padding
    cases = (
        (f"API_KEY={SECRET}", SECRET),
        (SECRET, SECRET),
        (f"bad name={SECRET}", SECRET),
        (padded, padded),
    )
    for text, secret in cases:  # a line, a value pasted alone
        # status reads no manifest: only the start of the run knows these values, and the flag's error
        # quotes it.
        run = cli("status", "--namespace", f"{secret}/x", env={VARIABLES: text})
        assert run.code == 2 and "namespace" in run.stderr
        assert secret[:8] not in run.all


def test_sensitive_gives_each_value_and_each_bad_line_whole() -> None:
    text = "A=value-one\r\n\nbad line here\n# comment\nB=\n=x\nbad name=v2\nMFRGGZDFMZTWQ2LK==\nC=="
    assert sensitive(text) == [
        "value-one",
        "bad line here",
        "# comment",
        "B=",  # no value: it may be a secret pasted whole, as the two below
        "x",
        "=x",
        "v2",
        "bad name=v2",
        "MFRGGZDFMZTWQ2LK==",  # base32 read as NAME=(padding)
        "C==",
    ]


def test_the_text_itself_cannot_be_expanded_into_a_manifest(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(MANIFEST.replace("${NOTE}", "${ENDPOINTCTL_VARIABLES}"))
    run = cli("validate", str(path), env={VARIABLES: f"API_KEY={SECRET}\nNOTE=x"})
    assert run.code == 2
    assert "ENDPOINTCTL_VARIABLES" in run.stderr and "not set" in run.stderr
    assert SECRET[:8] not in run.all


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_a_bad_line_is_a_usage_error_before_any_api_call(
    cli: Cli, sandbox: Sandbox, manifest: pathlib.Path, command: str
) -> None:
    sandbox.reset_counts()
    flag = "--yes" if command == "apply" else "--output=table"
    run = cli(command, str(manifest), flag, env={VARIABLES: SECRET})
    assert run.code == 2, run.all
    assert f"{VARIABLES}: line 1 is not NAME=value" in run.stderr
    assert SECRET[:4] not in run.all
    assert sum(sandbox.counts().values()) == 0
