"""Issue 11: under GitHub Actions, every manifest problem is an ``::error`` annotation on its file and line,
escaped so that nothing a manifest says can act as another workflow command, and scrubbed of secrets.

The runner's side is modelled here from its source (``ActionCommand.TryParseV2`` and ``UnescapeValue``
in actions/runner): a line that starts with ``::`` is a command, its properties run to the next ``::``,
split on ``,`` and then on the first ``=``; values are unescaped ``%0D``, ``%0A``, ``%3A``, ``%2C`` and
``%25`` last; ``::stop-commands::TOKEN`` ignores every command until the line ``::TOKEN::``. Lines end at
CR, LF or CRLF.
"""

from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass, field

import pytest
import yaml
from clirunner import Cli, Run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_manifest_errors_as_json import LEAKY  # one hostile manifest serves both files

from endpointctl.core.errors import ManifestIssue
from endpointctl.core.redact import Redactor
from endpointctl.sandbox import ManualClock
from endpointctl.ui import annotations
from endpointctl.ui.escapes import printable

# -- the runner, as far as annotations go --------------------------------------------------------------


@dataclass
class Command:
    name: str
    properties: dict[str, str]
    data: str


@dataclass
class Runner:
    """What GitHub's runner makes of a step's output: the commands it carries out, in order."""

    commands: list[Command] = field(default_factory=list)
    stopped_until: str | None = None

    def feed(self, output: str) -> Runner:
        for line in re.split(r"\r\n|\r|\n", output):
            command = parse(line)
            if self.stopped_until is not None:
                # Stopped, the runner knows one command only: the token, which resumes (case aside).
                if command is not None and command.name.lower() == self.stopped_until.lower():
                    self.stopped_until = None
                continue
            if command is None:
                continue
            if command.name == "stop-commands":
                self.stopped_until = command.data
            self.commands.append(command)
        return self


def unescape(value: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, raw)
    return value


def parse(line: str) -> Command | None:
    line = line.lstrip()
    if not line.startswith("::"):
        return None
    end = line.find("::", 2)
    if end < 0:
        return None
    info, data = line[2:end], line[end + 2 :]
    name, _, rest = info.partition(" ")
    properties: dict[str, str] = {}
    for pair in rest.strip().split(","):
        key, _, value = pair.partition("=")
        if key and value:
            properties[key] = unescape(value)
    return Command(name, properties, unescape(data))


def issue(
    file: str = "m.yaml", line: int | None = 3, path: str = "spec.x", message: str = "bad"
) -> ManifestIssue:
    return ManifestIssue(file=file, line=line, path=path, message=message)


def keep(text: str) -> str:
    return text


# -- the escaping, pure -------------------------------------------------------------------------------


def test_data_escapes_percent_first_then_line_breaks() -> None:
    assert annotations.escape_data("50% a\r\nb") == "50%25 a%0D%0Ab"
    # A literal escape in the text stays literal: it is not read back as a line break.
    assert annotations.escape_data("%0A") == "%250A"
    assert unescape(annotations.escape_data("%0A")) == "%0A"
    assert annotations.escape_data("a: b, c") == "a: b, c"  # a message may hold ':' and ','


def test_properties_also_escape_colon_and_comma() -> None:
    assert annotations.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_one_problem_is_one_error_line() -> None:
    line = annotations.error_command(issue(), keep, workspace=None, cwd="/w")
    assert line == "::error file=m.yaml,line=3,title=endpointctl::spec.x: bad"


def test_a_problem_of_the_whole_file_has_no_line_and_names_the_document() -> None:
    line = annotations.error_command(issue(line=None, path=""), keep, workspace=None, cwd="/w")
    assert line == "::error file=m.yaml,title=endpointctl::(document): bad"


def test_a_hostile_file_name_cannot_add_properties_or_end_them() -> None:
    hostile = issue(file="x.yaml,line=99,title=owned::add-mask::y")
    (command,) = Runner().feed(annotations.error_command(hostile, keep, workspace=None, cwd="/")).commands
    assert command.name == "error"
    assert command.properties == {"file": hostile.file, "line": "3", "title": "endpointctl"}
    assert command.data == "spec.x: bad"


@pytest.mark.parametrize(
    "injected",
    [
        "\n::add-mask::hf",
        "\r::stop-commands::abc",
        "\r\n::warning::x",
        "%0A::add-mask::hf",
        "\n  ::set-output",
    ],
)
def test_a_hostile_message_stays_one_error(injected: str) -> None:
    hostile = issue(path=f"spec{injected}", message=f"bad{injected}")
    text = annotations.error_commands([hostile], keep, workspace=None, cwd="/")
    assert "\n" not in text.removesuffix("\n") and "\r" not in text
    (command,) = Runner().feed(text).commands
    assert command.name == "error"
    assert command.data == f"{hostile.path}: {hostile.message}"


SPICY = st.sampled_from(
    ["\n", "\r", "\r\n", "::", ":", ",", "%", "%0A", "%25", "=", " ", "add-mask", "a", "é"]
)
TEXT = st.one_of(st.text(), st.lists(SPICY, max_size=12).map("".join))


@settings(max_examples=300)
@given(
    file=TEXT.filter(bool),
    line=st.none() | st.integers(min_value=1, max_value=10**6),
    path=TEXT,
    message=TEXT,
)
def test_any_problem_reaches_the_runner_as_exactly_its_own_error(
    file: str, line: int | None, path: str, message: str
) -> None:
    text = annotations.error_commands([issue(file, line, path, message)], keep, workspace=None, cwd="/")
    assert text.startswith("::error ") and text.endswith("\n")
    body = text.removesuffix("\n")
    assert "\n" not in body and "\r" not in body  # one line: nothing can start a command of its own
    properties = body[len("::error ") : body.index("::", 2)]
    assert properties.count(",") == (2 if line is not None else 1)  # only ours
    (command,) = Runner().feed(text).commands
    expected = {"file": file, "title": "endpointctl"} | ({"line": str(line)} if line is not None else {})
    assert (command.name, command.properties) == ("error", expected)
    assert command.data == f"{path or '(document)'}: {message}"


def test_values_are_scrubbed_before_they_are_escaped() -> None:
    # Escaped first, the secret's ',' and ':' would become %2C and %3A and a plain search would miss it.
    secret = "pa,ss:word%0A-1234"
    redactor = Redactor([secret])
    hostile = issue(
        file=f"dir-{secret}/m.yaml", path="spec.scaling.minReplica", message=f"'{secret}' is no integer"
    )
    text = annotations.error_commands([hostile], redactor.scrub, workspace=None, cwd="/")
    for form in (secret, annotations.escape_data(secret), annotations.escape_property(secret)):
        assert form not in text
    (command,) = Runner().feed(text).commands
    assert command.properties["file"] == "dir-***/m.yaml"
    assert command.data == "spec.scaling.minReplica: '***' is no integer"


@pytest.mark.parametrize(
    ("file", "workspace", "cwd", "shown"),
    [
        ("m/a.yaml", "/ws", "/ws", "m/a.yaml"),
        ("m/a.yaml", "/ws", "/ws/team", "team/m/a.yaml"),  # a working directory inside the checkout
        ("/ws/team/./m/../a.yaml", "/ws/", "/elsewhere", "team/a.yaml"),
        ("../other/a.yaml", "/ws", "/ws", "../other/a.yaml"),  # outside: as given
        ("/wsx/a.yaml", "/ws", "/", "/wsx/a.yaml"),  # a sibling that only starts like it
        ("m/a.yaml", None, "/ws", "m/a.yaml"),
        ("m/a.yaml", "", "/ws", "m/a.yaml"),
    ],
)
def test_the_file_is_named_from_the_checkout(file: str, workspace: str | None, cwd: str, shown: str) -> None:
    assert annotations.workflow_file(file, workspace=workspace, cwd=cwd) == shown


def test_only_github_actions_gets_annotations() -> None:
    problems = [issue()]
    assert annotations.manifest_annotations(problems, keep, environ={}, cwd="/") == ""
    assert (
        annotations.manifest_annotations(problems, keep, environ={"GITHUB_ACTIONS": "false"}, cwd="/") == ""
    )
    on = annotations.manifest_annotations(problems, keep, environ={"GITHUB_ACTIONS": "true"}, cwd="/")
    assert on == "::error file=m.yaml,line=3,title=endpointctl::spec.x: bad\n"


def test_commands_are_stopped_around_untrusted_text_only_under_github_actions() -> None:
    written: list[str] = []
    with annotations.commands_stopped(written.append, {"GITHUB_ACTIONS": "true"}, token=lambda: "t0k3n"):
        written.append("::add-mask::hf")
    assert written == ["::stop-commands::t0k3n", "::add-mask::hf", "::t0k3n::"]
    written.clear()
    with annotations.commands_stopped(written.append, {}):
        written.append("text")
    assert written == ["text"]


def test_the_stop_token_is_fresh_each_time() -> None:
    tokens: list[str] = []
    for _ in range(2):
        with annotations.commands_stopped(tokens.append, {"GITHUB_ACTIONS": "true"}):
            pass
    assert tokens[0] != tokens[2] and len(tokens[0].removeprefix("::stop-commands::")) >= 32


# -- through the CLI ------------------------------------------------------------------------------------

BAD = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata:
  name: bad
  labels: {"team\\n::add-mask::hf": "a"}
spec:
  model: {repository: openai-community/gpt2, task: text-generation}
  provider: {vendor: awz, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
  "foo\\n::stop-commands::abc": 1
  "bar\\r\\n::warning file=x.yaml::forged": 1
"""


def offline(tmp_path: pathlib.Path, **environ: str) -> Cli:
    return Cli(
        environ={"ENDPOINTCTL_STATE_DIR": str(tmp_path / "state"), **environ}, clock=ManualClock(start=0.0)
    )


def in_actions(tmp_path: pathlib.Path, workspace: pathlib.Path) -> Cli:
    return offline(tmp_path, GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(workspace))


def errors_of(run: Run) -> list[Command]:
    commands = Runner().feed(run.stderr).commands
    # Only our own pause around the human text, and errors: nothing the manifest wrote.
    assert {c.name for c in commands} <= {"stop-commands", "error"}, commands
    assert [c.name for c in commands].count("stop-commands") == 1
    return [c for c in commands if c.name == "error"]


@pytest.mark.parametrize("mode", ["table", "json", "markdown"])
def test_each_problem_is_annotated_on_its_file_and_line(tmp_path: pathlib.Path, mode: str) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "bad.yaml").write_text(BAD)
    run = in_actions(tmp_path, tmp_path)("validate", str(manifests), "-o", mode)
    assert run.code == 2, run.all
    records = json.loads(offline(tmp_path)("validate", str(manifests), "-o", "json").stdout)
    assert len(records) == 4
    errors = errors_of(run)
    assert [(e.properties, e.data) for e in errors] == [
        (
            {"file": "manifests/bad.yaml", "line": str(r["line"]), "title": "endpointctl"},
            f"{r['path']}: {r['message']}",
        )
        for r in records
    ]
    assert any("did you mean 'aws'?" in e.data for e in errors)
    assert "error: 4 problems in the manifests" in run.stderr  # people still read the text
    if mode == "json":
        assert json.loads(run.stdout) == records  # stdout stays the records alone


def test_a_relative_path_from_a_working_directory_is_named_from_the_checkout(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = tmp_path / "team"
    (team / "m").mkdir(parents=True)
    (team / "m" / "bad.yaml").write_text(BAD)
    monkeypatch.chdir(team)
    errors = errors_of(in_actions(tmp_path, tmp_path)("validate", "m/bad.yaml"))
    assert {e.properties["file"] for e in errors} == {"team/m/bad.yaml"}


PLAIN = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata: {name: plain}
spec:
  model: {repository: openai-community/gpt2, task: text-generation}
  provider: {vendor: awz, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
"""


def test_outside_github_actions_nothing_is_a_workflow_command(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.yaml").write_text(PLAIN)
    for environ in ({}, {"GITHUB_ACTIONS": "false"}):
        run = offline(tmp_path, **environ)("validate", str(tmp_path / "bad.yaml"))
        assert run.code == 2
        assert "spec.provider.vendor" in run.stderr
        assert "::" not in run.stderr


@pytest.mark.parametrize("secret", ["topsecretVALUE123", "top,secret:VALUE%0A12"])
def test_an_annotation_never_shows_a_secret(tmp_path: pathlib.Path, secret: str) -> None:
    (tmp_path / "leaky.yaml").write_text(LEAKY)
    run = in_actions(tmp_path, tmp_path)("validate", str(tmp_path), env={"MY_SECRET": secret})
    assert run.code == 2, run.all
    (error,) = errors_of(run)
    assert error.properties["line"] == "12" and error.data.startswith("spec.scaling.minReplica: ")
    for form in (secret, annotations.escape_data(secret), annotations.escape_property(secret)):
        assert form not in run.all


KEY_PARTS = st.sampled_from(
    ["\n", "\r", "::", ":", ",", "%", "%0A", "=", " ", "add-mask", "a", "é", "\x1b", "\u2028"]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.lists(KEY_PARTS, min_size=1, max_size=10).map("".join))
def test_any_key_a_manifest_holds_reaches_the_runner_as_errors_only(tmp_path: pathlib.Path, key: str) -> None:
    document = yaml.safe_load(PLAIN)
    document["spec"][key] = 1
    file = tmp_path / "hostile.yaml"
    file.write_text(yaml.safe_dump(document, allow_unicode=True))
    run = in_actions(tmp_path, tmp_path)("validate", str(file))
    assert run.code == 2, run.all
    records = json.loads(offline(tmp_path)("validate", str(file), "-o", "json").stdout)
    errors = errors_of(run)
    # The sink writes control characters as \\xNN, after escaping: compare both sides written that way.
    assert [printable(e.data) for e in errors] == [printable(f"{r['path']}: {r['message']}") for r in records]
    assert all(e.properties["file"] == "hostile.yaml" for e in errors)
