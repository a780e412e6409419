"""The leak scan: token, secret values and the registry password appear nowhere, in any encoding.

A leak is a value in any form an encoder writes it (raw, JSON escaped once or twice, repr, URL, XML,
HTML, shell quotes, base64, control characters as ``\\xNN``; compared with whitespace runs read as one
space, since YAML and excerpts fold lines), inside any string of a JSON, YAML or XML document the output
is, or the start of one long enough to matter (``MIN_SECRET_LENGTH``) in any of those forms.

Every command runs in every output mode, on success and on error — an API that answers 400 echoing the
request (body, base64 of the body and of each secret, the Authorization header) and one that answers 500
to everything the same way — and again as a real process with HF_DEBUG=1, whose curl-style log prints
request bodies. Everything the process writes is scanned: stdout, stderr, and every file under its state
directory, read while it runs (the apply lock's holder record exists only then). The secret value has
quotes, a backslash, a newline, ``&<>`` and non-ASCII in it; ``test_secrets_in_every_encoding`` pushes
generated ones through every output path.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import html
import json
import os
import pathlib
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import click
import httpx2 as httpx
import pytest
import yaml
from clirunner import Cli, Run, assert_replan_empty
from conftest import PHASES
from test_cli_apply import manifest, write

from endpointctl.cli.group import cli as cli_group
from endpointctl.core.redact import MIN_SECRET_LENGTH, Redactor
from endpointctl.sandbox import ManualClock, Request, Response, Sandbox, SandboxConfig
from endpointctl.sandbox.transport import Handler

# Every character an encoder escapes: quotes, a backslash, a newline, &<>, non-ASCII.
SECRET = "sk-live-7f3a\"9c\\1e5b\n<2d>&4f'60-é"
TOKEN = "hf_sandbox_test_token_123"
REGISTRY_PASSWORD = "hunter2-registry-pw"
VALUES = (SECRET, TOKEN, REGISTRY_PASSWORD)
MODES = ("table", "json", "yaml")
USER = "sandbox-user"
PROCESS_TIMEOUT = 60.0


# -- what counts as a leak -------------------------------------------------------------------------------


def _xml_attribute(value: str, encoding: str) -> str:
    """``value`` as xml.etree writes it in an attribute (numeric references for non-ASCII in us-ascii)."""
    written = ET.tostring(ET.Element("x", {"a": value}), encoding=encoding)
    text = written if isinstance(written, str) else written.decode(encoding)
    return text[text.index(' a="') + 4 : text.rindex('"')]


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

# Each writes a value character by character, so what it writes of a value's start starts what it writes
# of the whole value.
ENCODERS: dict[str, Callable[[str], str]] = {
    "raw": lambda v: v,
    "json": lambda v: json.dumps(v)[1:-1],
    "json-unicode": lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    "json-twice": lambda v: json.dumps(json.dumps(v, ensure_ascii=False), ensure_ascii=False)[3:-3],
    "repr": lambda v: repr(v + "'\"")[1:-4],  # with both quotes inside, it escapes every '
    "url": lambda v: quote(v, safe=""),
    "url-path": quote,
    "url-form": quote_plus,
    "xml": lambda v: _xml_attribute(v, "unicode"),
    "xml-ascii": lambda v: _xml_attribute(v, "us-ascii"),
    "html": html.escape,
    "shell": lambda v: v.replace("'", "'\"'\"'"),
    "printable": lambda v: _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", v),
    "manifest": lambda v: v.replace("$", "$$"),  # a manifest's own escape, as export writes a value
}
_SPACES = re.compile(r"\s+")


def _folded(text: str) -> str:
    return _SPACES.sub(" ", text)


# Cached: the scan asks for the same few values' forms for every text it reads.
@functools.lru_cache(maxsize=4096)
def forms(value: str) -> tuple[str, ...]:
    raw = value.encode()
    written = {_folded(encode(value)).strip() for encode in ENCODERS.values()}
    return (
        *written,
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    )


def shortest_start(value: str) -> str | None:
    """The shortest start of ``value`` that must not survive a cut: MIN_SECRET_LENGTH characters once
    whitespace is folded (the redactor's rule), or None when only the whole value is that long."""
    for end in range(MIN_SECRET_LENGTH, len(value)):
        if len(_folded(value[:end]).strip()) >= MIN_SECRET_LENGTH:
            return value[:end]
    return None


@functools.lru_cache(maxsize=4096)
def start_forms(value: str) -> tuple[str, ...]:
    start = shortest_start(value)
    return () if start is None else tuple(_folded(encode(start)).strip() for encode in ENCODERS.values())


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}")


# A line break base64 may be wrapped at (MIME, PEM, base64(1)), as it is or escaped in JSON.
_WRAP = re.compile(r"[ \t]*(?:\r?\n|\\r\\n|\\n)[ \t]*")


def _decoded_runs(text: str) -> Iterator[bytes]:
    """Every base64 run in ``text`` decoded, from each of the four alignments a cut run may have, and with
    the line breaks it may be wrapped at taken out."""
    unwrapped = _WRAP.sub("", text)
    for run in {*_BASE64_RUN.findall(text), *_BASE64_RUN.findall(unwrapped)}:
        for start in range(4):
            chunk = run[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            for altchars in (b"+/", b"-_"):
                try:
                    yield base64.b64decode(chunk, altchars=altchars)
                except (binascii.Error, ValueError):
                    continue


def _strings(doc: Any) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for key, item in doc.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(doc, list):
        for item in doc:
            yield from _strings(item)


def documents(text: str) -> Iterator[str]:
    """Every string inside ``text`` read as JSON, YAML or XML: what a folded or escaped value reads as."""
    for parse in (json.loads, yaml.safe_load):
        try:
            doc = parse(text)
        except (ValueError, yaml.YAMLError):
            continue
        if doc != text:
            yield from _strings(doc)
    try:
        root = ET.fromstring(text.removeprefix("<?xml version='1.0' encoding='UTF-8'?>").strip())
    except ET.ParseError:
        return
    for element in root.iter():
        yield from (element.text or "", element.tail or "", *element.attrib.values())


# Texts up to this long are scanned once per run: the same output comes back often (a file the watch
# read on every request, a GET-only command's answer in two scenarios, one markdown view equal to
# another), and the scan, a pure function of the text and the values, costs more than the command.
_CACHED_TEXT = 1 << 16


def leaks(text: str, values: Iterable[str] = VALUES) -> list[str]:
    wanted = tuple(values)
    if len(text) <= _CACHED_TEXT:
        return list(_cached_leaks(text, wanted))
    return _leaks(text, wanted)


@functools.lru_cache(maxsize=1024)
def _cached_leaks(text: str, values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_leaks(text, values))


def _leaks(text: str, values: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    folded_pieces = [_folded(piece) for piece in (text, *documents(text))]  # read once, for every value
    # Folded, no piece and no form holds a line break: joined by one, the pieces hold a form exactly when
    # one of them does. One look per form decides whether a value needs the look per form and piece
    # below (a document of a few thousand strings, such as hardware's, took a tenth of a second).
    joined = "\n".join(folded_pieces)
    for value in values:
        whole, start = forms(value), start_forms(value)
        if not any(form in joined for form in (*whole, *start)):
            continue
        for folded in folded_pieces:
            found += [f"{form!r} (of {value[:5]!r}…)" for form in whole if form in folded]
            found += [f"{form!r} (the start of {value[:5]!r}…)" for form in start if form in folded]
    carried = {value: {form.encode() for form in forms(value)} for value in values}
    for decoded in _decoded_runs(text):
        found += [
            f"{v[:5]!r}… inside base64"
            for v, encoded in carried.items()
            if any(e in decoded for e in encoded)
        ]
    return found


def assert_clean(text: str, what: str = "output", values: Iterable[str] = VALUES) -> None:
    assert not leaks(text, values), f"{what} leaks {leaks(text, values)}:\n{text}"


def test_the_scan_finds_every_form_it_claims_to() -> None:
    body = json.dumps({"model": {"secrets": {"API_KEY": SECRET}}}).encode()
    for prefix in (b"", b"x", b"xy"):  # the secret at each of the three offsets a base64 stream can hold it
        assert leaks(base64.b64encode(prefix + body).decode())
    assert leaks(base64.urlsafe_b64encode(TOKEN.encode()).decode())
    assert leaks(f"token={TOKEN}")
    masked = json.dumps({"model": {"secrets": {"API_KEY": "***"}}})
    assert not leaks(base64.b64encode(masked.encode()).decode())
    for name, encode in ENCODERS.items():
        assert leaks(f"error: {encode(SECRET)}!"), name
        assert leaks(f"error: {encode(SECRET[:-4])}…"), name  # a start, cut
    assert leaks(yaml.safe_dump({"error": "x " * 40 + SECRET}))  # quoted, escaped and folded
    assert leaks(json.dumps({"error": json.dumps({"API_KEY": SECRET})}))
    assert not leaks(f"error: {SECRET[: MIN_SECRET_LENGTH - 1]}…")  # too short a start to matter
    wrapped = base64.encodebytes(b"x" * 40 + body).decode()  # 76 a line: the secret across a break
    assert leaks(wrapped) and leaks(json.dumps({"error": wrapped})) and leaks(wrapped.replace("\n", "\r\n"))


# -- the API misbehaving ---------------------------------------------------------------------------------


def _echo(request: Request) -> str:
    """What a careless API or proxy might say back: the request, plain and in base64, and its token."""
    body = request.body.decode(errors="replace")
    try:
        model = json.loads(body).get("model", {}) if body else {}
        secrets = dict(model.get("secrets") or {})
        for variant, settings in (model.get("image") or {}).items():
            secrets[f"{variant} registry password"] = settings["credentials"]["password"]
    except (ValueError, AttributeError, KeyError, TypeError):
        secrets = {}
    encoded = {key: base64.b64encode(str(value).encode()).decode() for key, value in secrets.items()}
    return (
        f"invalid request {request.method} {request.path}: body {body} "
        f"(base64 {base64.b64encode(request.body).decode()}; secrets {encoded}); "
        f"authorization {request.header('authorization')}"
    )


def echo_400(request: Request, call_next: Handler) -> Response:
    """Every request that carries something (create, update, lifecycle, data-plane calls) is refused."""
    if request.method == "GET":
        return call_next(request)
    return Response(status=400, body=json.dumps({"error": _echo(request)}).encode())


def fail_500(request: Request, call_next: Handler) -> Response:
    """Everything fails, and says so in the header huggingface_hub prefers as well as in the body."""
    message = _echo(request)
    return Response(
        status=500,
        body=json.dumps({"error": message}).encode(),
        # As UTF-8 bytes, as a careless server writes it (the sandbox sends header text as latin-1).
        headers={"X-Error-Message": message.encode().decode("latin-1")},
    )


SCENARIOS = {"ok": None, "echo-400": echo_400, "fail-500": fail_500}


class FileWatch:
    """Reads every file under a directory on each request, so files that exist only mid-command count too."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.directory = directory
        self.seen: dict[str, str] = {}
        self._lock = threading.Lock()

    def snapshot(self) -> None:
        for path in self.directory.rglob("*"):
            if path.is_file():
                try:
                    text = path.read_bytes().decode(errors="replace")
                except OSError:  # removed between listing and reading
                    continue
                with self._lock:
                    self.seen[f"{path}#{len(self.seen)}"] = text

    def __call__(self, request: Request, call_next: Handler) -> Response:
        self.snapshot()
        return call_next(request)

    def saw(self, suffix: str) -> bool:
        return any(name.partition("#")[0].endswith(suffix) for name in self.seen)

    def assert_clean(self) -> None:
        self.snapshot()
        for name, text in self.seen.items():
            assert_clean(text, name)


# -- every command ---------------------------------------------------------------------------------------


# A private container image: its registry password is as secret as the secrets' values.
IMAGE: dict[str, Any] = {
    "custom": {
        "url": "ghcr.io/acme/private-server:1.2",
        "port": 8080,
        "credentials": {"username": "deploy-bot", "password": "${REG_PASSWORD}"},
    }
}
REIMAGED: dict[str, Any] = {"custom": {**IMAGE["custom"], "url": "ghcr.io/acme/private-server:1.3"}}


def with_image(text: str, image: dict[str, Any]) -> str:
    doc = yaml.safe_load(text)
    doc["spec"]["model"]["image"] = image
    return yaml.safe_dump(doc, sort_keys=False)


@dataclass(frozen=True)
class Case:
    id: str
    # "{name}": the endpoint; "{m}": its applied manifest; "{changed}": the same with one more secret;
    # "{reimaged}": the same with another image url; "{new}": a manifest not applied yet
    argv: tuple[str, ...]
    online: bool = True  # calls the API
    sends: bool = False  # sends a non-GET request, which echo-400 refuses
    modes: bool = True  # takes -o
    paused: bool = False  # the endpoint is paused first
    held: bool = False  # then held for two hours (`schedule hold`), so that a release has a hold to remove


CASES = [
    Case("validate", ("validate", "{m}"), online=False),
    Case("schema", ("schema",), online=False, modes=False),
    Case("completion", ("completion", "bash"), online=False, modes=False),
    Case("plan", ("plan", "{changed}")),
    Case("plan-image", ("plan", "{reimaged}")),  # the image, credentials and all, is in the plan
    Case("apply-create", ("apply", "{new}", "--yes"), sends=True),
    Case("apply-update", ("apply", "{changed}", "--yes", "--rotate-secrets"), sends=True),
    Case("apply-image", ("apply", "{reimaged}", "--yes"), sends=True),
    Case("apply-dry-run", ("apply", "{changed}", "--dry-run", "--rotate-secrets")),
    Case("status", ("status",)),
    Case("status-file", ("status", "-f", "{changed}")),
    Case("pause", ("pause", "{name}"), sends=True),
    Case("resume", ("resume", "{name}"), sends=True, paused=True),
    Case("scale-to-zero", ("scale-to-zero", "{name}"), sends=True),
    Case("delete", ("delete", "{name}", "--yes"), sends=True),
    Case("hardware", ("hardware",)),
    Case("export", ("export", "{name}")),  # the secrets as ${NAME} placeholders, never a value
    Case("init", ("init", "openai-community/gpt2")),
    Case("cost", ("cost", "{changed}")),
    Case("invoke", ("invoke", "{name}", "--data", '{"inputs": "hello"}'), sends=True),
    Case("smoke", ("smoke", "{name}"), sends=True),
    Case("wait", ("wait", "{name}", "--timeout", "30")),
    # The sandbox's container prints its environment, secrets included: the manifest's are masked.
    Case("logs", ("logs", "-f", "{m}")),
    Case("replicas", ("replicas", "-f", "{m}")),
    # Wakes the paused endpoint, smoke-tests it, runs a command and pauses it again; stdout is the command's.
    Case(
        "run",
        ("run", "{name}", "--smoke", "--", sys.executable, "-c", "pass"),
        sends=True,
        modes=False,
        paused=True,
    ),
    Case("schedule-run", ("schedule", "run", "{scheduled}"), sends=True),
    Case("schedule-show", ("schedule", "show", "{scheduled}"), online=False),
    # The hold tag is set on the endpoint (a tags-only update) and the answer checked; a release of it.
    Case("schedule-hold", ("schedule", "hold", "-f", "{scheduled}", "--for", "2h"), sends=True),
    Case("schedule-release", ("schedule", "release", "-f", "{scheduled}"), sends=True, held=True),
]
# Commands that never see a token or a secret.
NOT_SCANNED = {"sandbox"}


def _ids(case: Case) -> str:
    return case.id


def test_every_command_is_scanned() -> None:
    """A new command, or a new command of a group (`schedule hold`), joins the scan, or is listed above
    with a reason."""
    scanned = {case.argv[0] for case in CASES}
    context = click.Context(cli_group)
    listed = cli_group.list_commands(context)  # lazily loaded: not all in .commands
    assert set(listed) - NOT_SCANNED == scanned
    for name in sorted(scanned):
        group = cli_group.get_command(context, name)
        if isinstance(group, click.Group):
            inner = set(group.list_commands(click.Context(group, parent=context)))
            assert inner == {case.argv[1] for case in CASES if case.argv[0] == name}, name


def expected_code(case: Case, scenario: str) -> int:
    if scenario == "fail-500":
        return 1 if case.online else 0
    if scenario == "echo-400":
        return 1 if case.sends else 0
    return 0


class RestorableClock(ManualClock):
    """A ManualClock that a snapshot's restore can set back to the moment it was taken.

    The sandbox reads its endpoints' states from stored timestamps against this clock, so putting its
    records back is only half a restore: the time goes back too. Every call goes to a ManualClock of
    the moment, replaced whole by ``restart_at``.
    """

    def __init__(self, start: float = 1_760_000_000.0) -> None:
        super().__init__(start)
        self.current = ManualClock(start)

    def restart_at(self, moment: float) -> None:
        self.current = ManualClock(moment)

    def now(self) -> float:
        return self.current.now()

    def advance(self, seconds: float) -> float:
        return self.current.advance(seconds)

    def wall(self) -> float:
        return self.current.wall()

    def sleep(self, seconds: float, cancel: Any = None) -> bool:
        return self.current.sleep(seconds, cancel)


@dataclass(frozen=True)
class Snapshot:
    """What a deploy left: every row of the sandbox's database, the time, and the state directory's files.

    Restoring it gives a command the very state a deploy made moments before (records, container logs,
    clock, the apply lock's file), without running that deploy again for each of the matrix's cases.
    The rows are read and written through a connection of the test's own to the sandbox's database file
    (SQLite lets several share one file); the sandbox's own connection sees them on its next read.
    """

    db_path: pathlib.Path
    at: float
    rows: dict[str, list[tuple[Any, ...]]]
    state_dir: pathlib.Path

    @staticmethod
    def _tables(db: sqlite3.Connection) -> list[str]:
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        return [name for (name,) in db.execute(query)]

    @classmethod
    def take(cls, world: World, into: pathlib.Path) -> Snapshot:
        db_path = world.sandbox.config.db_path
        assert isinstance(db_path, pathlib.Path)
        with contextlib.closing(sqlite3.connect(db_path)) as db:
            rows = {table: db.execute(f"SELECT * FROM {table}").fetchall() for table in cls._tables(db)}
        assert rows.get("endpoints"), "nothing deployed to snapshot"
        shutil.copytree(world.state_dir, into)
        return cls(db_path, world.clock.now(), rows, into)

    def restore(self, world: World) -> None:
        assert world.sandbox.config.db_path == self.db_path
        world.sandbox.reset()  # the data-plane overrides, which live outside the database
        with contextlib.closing(sqlite3.connect(self.db_path, isolation_level=None)) as db:
            # This connection's commit only: the rows are the snapshot's copy and the file a test's, so
            # surviving a power cut is of no use, and the fsync cost more than the rest of the restore.
            db.execute("PRAGMA synchronous = OFF")
            db.execute("BEGIN IMMEDIATE")
            assert sorted(self._tables(db)) == sorted(self.rows)
            for table, rows in self.rows.items():
                db.execute(f"DELETE FROM {table}")
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            db.execute("COMMIT")
        assert isinstance(world.clock, RestorableClock)
        world.clock.restart_at(self.at)
        shutil.copytree(self.state_dir, world.state_dir, dirs_exist_ok=True)


@functools.cache
def manifest_texts(name: str) -> dict[str, str]:
    """The manifests of an endpoint ``name``, built once per name: every case writes the same texts, and
    building them (YAML dumped, read and dumped again) cost more than most commands under test."""
    one, two = {"API_KEY": "${MY_SECRET}"}, {"API_KEY": "${MY_SECRET}", "OTHER": "${MY_SECRET}"}
    applied = manifest(name, secrets=one, env={"LOG": "debug"})
    window = {"timezone": "UTC", "running": ["daily 00:00-00:01"], "except": ["2000-01-01..2099-12-31"]}
    scheduled_text = manifest(name, secrets=one, env={"LOG": "debug"}, schedule=window)
    return {
        "m": with_image(applied, IMAGE),
        "changed": with_image(manifest(name, secrets=two), IMAGE),
        "reimaged": with_image(applied, REIMAGED),
        "new": with_image(manifest(f"{name}-new", secrets=one), IMAGE),
        # Outside its one window whatever the clock says: schedule run pauses it.
        "scheduled": with_image(scheduled_text, IMAGE),
    }


@dataclass
class World:
    """One sandbox, its clock, a state directory under watch, and the manifests of any endpoint."""

    sandbox: Sandbox
    clock: ManualClock
    root: pathlib.Path
    state_dir: pathlib.Path
    watch: FileWatch
    written: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def environ(self) -> dict[str, str]:
        return {
            "ENDPOINTCTL_API_URL": self.sandbox.url,
            "HF_TOKEN": TOKEN,
            "MY_SECRET": SECRET,
            "REG_PASSWORD": REGISTRY_PASSWORD,
            "ENDPOINTCTL_STATE_DIR": str(self.state_dir),
        }

    def paths(self, name: str) -> dict[str, str]:
        """The manifests of ``name``, written in this world's directory the first time they are asked for."""
        if name not in self.written:
            directory = self.root / name
            directory.mkdir(exist_ok=True)
            paths = {key: write(directory, f"{key}.yaml", text) for key, text in manifest_texts(name).items()}
            self.written[name] = {"name": name, **paths}
        return self.written[name]

    def argv(self, case: Case, name: str, mode: str | None) -> list[str]:
        paths = self.paths(name)
        argv = [paths.get(arg.strip("{}"), arg) if arg.startswith("{") else arg for arg in case.argv]
        return argv + (["-o", mode] if case.modes and mode else [])

    def deploy(self, cli: Cli, case: Case, name: str) -> None:
        """The endpoint running with its secrets (paused, if the case needs it)."""
        applied = cli("apply", self.paths(name)["m"], "--yes")
        assert applied.code == 0, applied.all
        self.clock.advance(10)
        if case.paused:
            assert cli("pause", name).code == 0

    def restore(self, snapshot: Snapshot) -> None:
        """The sandbox, the time and the state directory exactly as a deploy left them (``deployed``)."""
        snapshot.restore(self)

    def set_up(self, cli: Cli, case: Case, deployed: dict[bool, Snapshot]) -> None:
        """As ``world.deploy(cli, case, NAME)`` leaves it (see ``deployed``), and held if the case says."""
        self.restore(deployed[case.paused])
        if case.held:
            held = cli("schedule", "hold", "-f", self.paths(NAME)["scheduled"], "--for", "2h")
            assert held.code == 0, held.all

    def arm(self, scenario: str) -> None:
        self.sandbox.add_middleware(self.watch)
        fault = SCENARIOS[scenario]
        if fault is not None:
            self.sandbox.add_middleware(fault)


NAME = "gpt2-demo"
# A directory of manifests written once, and which (``World.written``): shared by a module's tests.
Manifests = tuple[pathlib.Path, dict[str, dict[str, str]]]


@contextlib.contextmanager
def one_sandbox() -> Iterator[tuple[Sandbox, ManualClock]]:
    """A sandbox, serving, on a clock its snapshots can restore (``RestorableClock``)."""
    clock = RestorableClock()
    with tempfile.TemporaryDirectory() as directory:
        sandbox = Sandbox(
            SandboxConfig(db_path=pathlib.Path(directory) / "s.sqlite", phases=dict(PHASES), clock=clock)
        )
        sandbox.start()
        with sandbox:
            yield sandbox, clock


def deploy_once(sandbox: Sandbox, clock: ManualClock, root: pathlib.Path) -> dict[bool, Snapshot]:
    """The endpoint deployed once as each case finds it, running (False) and paused (True), by the very
    steps ``World.deploy`` takes; each case restores one and runs its command against that state."""
    state_dir = root / "state"
    state_dir.mkdir()
    world = World(sandbox, clock, root, state_dir, FileWatch(state_dir))
    cli = Cli(environ=world.environ, clock=clock)
    sandbox.reset()
    sandbox.clear_middleware()
    snapshots: dict[bool, Snapshot] = {}
    world.deploy(cli, CASES[0], NAME)
    snapshots[False] = Snapshot.take(world, root / "running")
    assert cli("pause", NAME).code == 0  # what deploy does next for a case that wants it paused
    snapshots[True] = Snapshot.take(world, root / "paused")
    sandbox.reset()
    return snapshots


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Sandbox, ManualClock]]:
    """One sandbox for the whole matrix: starting and stopping one per case would triple its runtime."""
    with one_sandbox() as pair:
        yield pair


@pytest.fixture
def clock(shared: tuple[Sandbox, ManualClock]) -> ManualClock:
    return shared[1]


@pytest.fixture
def sandbox(shared: tuple[Sandbox, ManualClock]) -> Iterator[Sandbox]:
    sandbox = shared[0]
    sandbox.reset()
    sandbox.reset_counts()
    try:
        yield sandbox
    finally:
        sandbox.clear_middleware()


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Manifests:
    """Where the tests' manifests are written, and which are: once per module, not once per case. The
    commands only read them (export and init print, they write no file), and writing the five files
    again for each of the matrix's cases cost as much as its restore."""
    return tmp_path_factory.mktemp("manifests"), {}


@pytest.fixture
def world(sandbox: Sandbox, clock: ManualClock, tmp_path: pathlib.Path, manifests: Manifests) -> World:
    # No raw HTTP client: each one loads the CA bundle (~40 ms), which adds up over the matrix.
    state_dir = tmp_path / "state"  # the test's own: the watch reads only what this test's command wrote
    state_dir.mkdir()
    root, written = manifests
    return World(sandbox, clock, root, state_dir, FileWatch(state_dir), written)


@pytest.fixture
def cli(world: World) -> Cli:
    return Cli(environ=world.environ, clock=world.clock)


@pytest.fixture(scope="module")
def deployed(
    shared: tuple[Sandbox, ManualClock], tmp_path_factory: pytest.TempPathFactory
) -> dict[bool, Snapshot]:
    return deploy_once(*shared, tmp_path_factory.mktemp("deployed"))


MATRIX = [
    pytest.param(case, mode, id=f"{case.id}-{mode}")
    for case in CASES
    for mode in (MODES if case.modes else ("table",))
]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize(("case", "mode"), MATRIX)
def test_no_command_leaks_in_any_mode_on_success_or_error(
    cli: Cli, world: World, deployed: dict[bool, Snapshot], case: Case, mode: str, scenario: str
) -> None:
    world.set_up(cli, case, deployed)
    world.arm(scenario)
    run = cli(*world.argv(case, NAME, mode))
    assert run.code == expected_code(case, scenario), run.all
    if scenario != "ok" and run.code:
        assert "invalid request" in run.all, run.all  # the echo reached the output, scrubbed
    assert_clean(run.all)
    world.watch.assert_clean()
    if case.id in ("apply-create", "apply-update") and scenario != "fail-500":
        assert world.watch.saw(".holder.json")  # the lock's record was there to be scanned


def test_secret_names_show_and_values_never(cli: Cli, world: World, deployed: dict[bool, Snapshot]) -> None:
    world.restore(deployed[False])  # as world.deploy(cli, CASES[0], NAME) leaves it, see `deployed`
    run = cli("plan", world.paths(NAME)["changed"])
    assert "API_KEY" in run.stdout and "OTHER" in run.stdout
    assert_clean(run.all)


def test_errors_do_not_echo_secrets(cli: Cli, tmp_path: pathlib.Path) -> None:
    bad = write(tmp_path, "bad.yaml", manifest(secrets={"API_KEY": SECRET}))
    run = cli("validate", bad)
    assert run.code == 2
    assert "spec.model.secrets.API_KEY" in run.stderr
    assert_clean(run.all)
    wrong_token = cli("plan", bad.replace("bad", "none"), env={"HF_TOKEN": "hf_x"})
    assert_clean(wrong_token.all)


def test_token_flag_warns_and_is_never_printed(cli: Cli, world: World) -> None:
    world.arm("ok")
    run: Run = cli("--token", TOKEN, "apply", world.paths(NAME)["m"], "--yes", env={"HF_TOKEN": ""})
    assert run.code == 0, run.all
    assert "prefer HF_TOKEN" in run.stderr
    assert_clean(run.all)
    assert world.watch.saw(".holder.json")
    world.watch.assert_clean()


@pytest.mark.parametrize("mode", MODES)
def test_a_registry_password_shows_only_as_sensitive(
    cli: Cli, world: World, deployed: dict[bool, Snapshot], mode: str
) -> None:
    world.restore(deployed[False])  # as world.deploy(cli, CASES[0], NAME) leaves it, see `deployed`
    run = cli("plan", world.paths(NAME)["reimaged"], "-o", mode)
    assert run.code == 0, run.all
    assert "private-server:1.3" in run.stdout and "deploy-bot" in run.stdout
    assert "(sensitive)" in run.stdout
    # The plan itself leaves the password out; the redactor is only the second line of defence.
    assert "***" not in run.stdout
    assert_clean(run.all)


def test_a_private_image_converges_and_the_api_never_echoes_its_password(
    cli: Cli, world: World, sandbox: Sandbox, client: httpx.Client, deployed: dict[bool, Snapshot]
) -> None:
    world.restore(deployed[False])  # as world.deploy(cli, CASES[0], NAME) leaves it, see `deployed`
    # Like the real API, the sandbox does not echo the password back.
    image = client.get(f"/v2/endpoint/{USER}/{NAME}").json()["model"]["image"]
    assert image["custom"]["credentials"] == {"username": "deploy-bot", "password": "********"}
    sandbox.reset_counts()
    assert_replan_empty(cli, sandbox, world.paths(NAME)["m"])
    applied = cli("apply", world.paths(NAME)["m"], "--yes")
    assert applied.code == 0, applied.all
    assert sandbox.mutating_count() == 0
    # A new password cannot be seen to differ: --rotate-secrets sends it, with the rest of the image.
    rotate = cli("plan", world.paths(NAME)["m"], "--rotate-secrets", "-o", "json")
    assert [f["path"] for f in json.loads(rotate.stdout)[0]["fields"]] == ["model.image", "model.secrets"]
    assert_clean(rotate.all)


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy", b"xyz"])
def test_a_secret_inside_a_base64_body_is_scrubbed_at_every_offset(prefix: bytes) -> None:
    body = prefix + json.dumps({"model": {"secrets": {"API_KEY": SECRET}}, "token": TOKEN}).encode()
    redactor = Redactor([SECRET, TOKEN])
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        assert_clean(redactor.scrub(f"error: {encode(body).decode()} was refused"))


# -- HF_DEBUG=1, as real processes -----------------------------------------------------------------------

# One command per kind of request the debug log prints — the listing, create, update with secrets,
# a lifecycle call, delete — and a data-plane call. Every command as a process would cost half a second
# each; the in-process matrix above covers every command's own output.
DEBUG_CASES = [
    case for case in CASES if case.id in {"apply-create", "apply-update", "pause", "delete", "invoke"}
]
DEBUG_NAMES = {case.id: f"debug-{index}" for index, case in enumerate(DEBUG_CASES)}


@pytest.fixture(scope="module")
def debug_deployed(
    shared: tuple[Sandbox, ManualClock],
    tmp_path_factory: pytest.TempPathFactory,
    manifests: Manifests,
) -> Snapshot:
    """Each debug case's endpoint deployed, one after the other by ``World.deploy`` as the test did
    itself before, once for both scenarios; each restores this (like the matrix's ``deployed``)."""
    sandbox, clock = shared
    root = tmp_path_factory.mktemp("debug-deployed")
    state_dir = root / "state"
    state_dir.mkdir()
    world = World(sandbox, clock, manifests[0], state_dir, FileWatch(state_dir), manifests[1])
    cli = Cli(environ=world.environ, clock=clock)
    sandbox.reset()
    sandbox.clear_middleware()
    for case in DEBUG_CASES:
        world.deploy(cli, case, DEBUG_NAMES[case.id])
    snapshot = Snapshot.take(world, root / "deployed")
    sandbox.reset()
    return snapshot


# The console script's processes, each forked from one interpreter that has imported endpointctl (every
# module, and huggingface_hub with them) with HF_DEBUG=1 in its environment: huggingface_hub reads it at
# import, as in a process started from scratch. For each batch of commands (a JSON line on stdin: the
# environment, then each command's name, argv and files for its stdout and stderr), a child per command,
# all at once: it takes the batch's environment as its own, enters through ``endpointctl.__main__.run``
# and ends the way that process does (``exit_now``). None sees another's state: each is a copy of the
# interpreter before any command ran. The exit codes come back as a JSON line on stdout. The imports,
# most of a command's cost (~0.6 s of CPU), are paid once for every command of the module.
LAUNCHER = """
import importlib, json, os, pkgutil, sys, threading, traceback

import endpointctl
from endpointctl import __main__ as entry

users = os.environ.get(entry.PYDANTIC_PLUGINS)
os.environ[entry.PYDANTIC_PLUGINS] = "__all__"  # as run() sets it before the commands import anything
for module in pkgutil.walk_packages(endpointctl.__path__, "endpointctl."):
    importlib.import_module(module.name)
if users is None:
    del os.environ[entry.PYDANTIC_PLUGINS]
else:
    os.environ[entry.PYDANTIC_PLUGINS] = users
assert threading.active_count() == 1, "a thread would not survive the fork"


def child(env, argv, out, err):
    code = 70
    try:
        os.environ.clear()
        os.environ.update(env)  # as the user set it, which run() copies for the command
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY), (2, err, os.O_WRONLY)):
            file = os.open(path, flags | (os.O_CREAT | os.O_TRUNC if fd else 0), 0o600)
            os.dup2(file, fd)
            os.close(file)
        sys.argv = ["endpointctl", *argv]
        entry.run()  # ends the process itself, with the command's exit code
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


for line in sys.stdin:
    batch = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    children = {}
    for name, argv, out, err in batch["jobs"]:
        pid = os.fork()
        if pid == 0:
            child(batch["env"], argv, out, err)
        children[pid] = name
    codes = {}
    while children:
        pid, status = os.wait()
        codes[children.pop(pid)] = os.waitstatus_to_exitcode(status)
    print(json.dumps(codes), flush=True)
os._exit(0)  # as the console script ends: unloading the modules one by one is of no use
"""


def same_but_per_test(env: dict[str, str]) -> dict[str, str]:
    """What the batches of this module's tests share: all but their state directory (which endpointctl
    reads per command) and pytest's name for the test."""
    return {k: v for k, v in env.items() if k not in ("ENDPOINTCTL_STATE_DIR", "PYTEST_CURRENT_TEST")}


class Launcher:
    """``LAUNCHER``, started on first use with the first batch's environment: what huggingface_hub reads
    at import comes from it, so every later batch's is the same but for ``same_but_per_test``."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen[str] | None = None
        self.env: dict[str, str] = {}
        self.log = directory / "launcher.err"  # its own stderr: the commands' go to their own files

    def run(self, commands: dict[str, list[str]], env: dict[str, str]) -> dict[str, tuple[int, str, str]]:
        """Each command in a process of its own, all at once: its exit code, stdout and stderr, by name."""
        if self.process is None:
            self.env = env
            with self.log.open("w") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-c", LAUNCHER],
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                )
        assert same_but_per_test(env) == same_but_per_test(self.env), "not the launcher's environment"
        batch = pathlib.Path(tempfile.mkdtemp(dir=self.directory))
        jobs = [
            (name, argv, str(batch / f"{name}.out"), str(batch / f"{name}.err"))
            for name, argv in commands.items()
        ]
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"env": env, "jobs": jobs}) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], PROCESS_TIMEOUT)
        answer = self.process.stdout.readline() if ready else ""
        assert answer, f"the launcher did not answer: {self.log.read_text()}"
        codes: dict[str, int] = json.loads(answer)
        assert set(codes) == set(commands)
        return {
            name: (
                codes[name],
                (batch / f"{name}.out").read_text(encoding="utf-8"),
                (batch / f"{name}.err").read_text(encoding="utf-8"),
            )
            for name in commands
        }

    def close(self) -> None:
        if self.process is None:
            return
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=PROCESS_TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
        assert self.process.returncode == 0, self.log.read_text()


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    started = Launcher(tmp_path_factory.mktemp("launcher"))
    try:
        yield started
    finally:
        started.close()


@pytest.mark.parametrize("scenario", ["ok", "echo-400"])
def test_hf_debug_log_is_scrubbed(
    world: World, debug_deployed: Snapshot, launcher: Launcher, scenario: str
) -> None:
    """huggingface_hub's HF_DEBUG curl log prints request bodies, secrets included.

    The processes run at once, each on its own endpoint, forked from one launcher (``LAUNCHER``) that
    imported endpointctl once for both scenarios.
    """
    cases = DEBUG_CASES
    names = DEBUG_NAMES
    world.restore(debug_deployed)  # as world.deploy(cli, case, names[case.id]) for each case leaves it
    world.arm(scenario)
    env = {**os.environ, **world.environ, "HF_DEBUG": "1"}
    outputs = launcher.run({case.id: world.argv(case, names[case.id], "json") for case in cases}, env)
    for case in cases:
        code, stdout, stderr = outputs[case.id]
        assert code == expected_code(case, scenario), (case.id, stdout + stderr)
        assert "curl" in stderr, case.id  # the debug log did run
        assert_clean(stdout + stderr, case.id)
    world.watch.assert_clean()
