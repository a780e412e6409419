"""Pydantic plugins never see a manifest: the endpointctl process turns them all off.

A pydantic plugin is any installed package with a ``pydantic`` entry point (observability packages ship
one); pydantic hands it every input a model validates, so it would see secret values and registry
passwords. ``endpointctl.__main__`` sets ``PYDANTIC_DISABLE_PLUGINS`` for its own process before any
model is built, and the commands (and the programs ``endpointctl run`` starts) still see the
environment as the user set it.

The spy below is a real plugin found the way pydantic finds any: an entry point in a distribution's
metadata on ``sys.path``. The control runs the same command without the process entry point, so the
spy is known to work where it reports nothing.
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import pytest
from test_cli_apply import manifest

import endpointctl.__main__ as entry
import endpointctl.cli
from endpointctl.cli import CommandEnv

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = "plugin-must-not-see-7Qx2"

_SPY = """
import os


class _Handler:
    def on_enter(self, input, **kwargs):
        with open(os.environ["SPY_FILE"], "a", encoding="utf-8") as seen:
            seen.write(repr(input) + "\\n")


class _Plugin:
    def new_schema_validator(self, schema, schema_type, path, kind, config, settings):
        return _Handler(), _Handler(), _Handler()


plugin = _Plugin()
"""


def _site(tmp_path: pathlib.Path) -> pathlib.Path:
    """A directory holding the spy plugin and the metadata that registers it, as pip would install it."""
    site = tmp_path / "site"
    info = site / "spy_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "spy_plugin.py").write_text(textwrap.dedent(_SPY))
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: spy-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nspy = spy_plugin:plugin\n")
    return site


def _validate(
    tmp_path: pathlib.Path, code: str, **extra: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    path = tmp_path / "m.yaml"
    path.write_text(manifest("spied", secrets={"API_KEY": "${MY_SECRET}"}))
    spy = tmp_path / "seen.txt"
    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(_site(tmp_path)), os.environ.get("PYTHONPATH", "")]),
        "SPY_FILE": str(spy),
        "MY_SECRET": SECRET,
        **extra,
    }
    environ.pop(entry.PYDANTIC_PLUGINS, None)
    process = subprocess.run(
        [sys.executable, "-c", code, "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=environ,
    )
    return process, spy.read_text() if spy.exists() else ""


def test_the_spy_plugin_sees_a_manifests_secret_where_plugins_are_on(tmp_path: pathlib.Path) -> None:
    # The same command through ``main`` alone: nothing turns the plugins off, so the spy must see it.
    code = "import sys; from endpointctl.cli import main; sys.exit(main(sys.argv[1:]))"
    process, seen = _validate(tmp_path, code)
    assert process.returncode == 0, process.stderr
    assert SECRET in seen


@pytest.mark.parametrize("user_value", [None, "some-other-plugin"])
def test_the_endpointctl_process_hands_no_plugin_anything(
    tmp_path: pathlib.Path, user_value: str | None
) -> None:
    # A user's own value (turning off one plugin by name) does not turn ours back on.
    extra = {} if user_value is None else {entry.PYDANTIC_PLUGINS: user_value}
    process, seen = _validate(
        tmp_path,
        "import sys; sys.argv[0] = 'endpointctl'; from endpointctl.__main__ import run; run()",
        **extra,
    )
    assert process.returncode == 0, process.stderr
    assert seen == ""  # not a single input: the spy was never attached to a validator


@pytest.mark.parametrize("user_value", [None, "some-other-plugin"])
def test_commands_see_the_environment_as_the_user_set_it(
    monkeypatch: pytest.MonkeyPatch, user_value: str | None
) -> None:
    if user_value is None:
        monkeypatch.delenv(entry.PYDANTIC_PLUGINS, raising=False)
    else:
        monkeypatch.setenv(entry.PYDANTIC_PLUGINS, user_value)
    monkeypatch.setenv("SOMETHING_OF_THE_USERS", "kept")
    monkeypatch.setattr(sys, "argv", ["endpointctl", "--version"])
    seen: list[tuple[CommandEnv | None, str | None]] = []

    def main(argv: list[str], env: CommandEnv | None = None) -> int:
        seen.append((env, os.environ.get(entry.PYDANTIC_PLUGINS)))
        return 7

    ended: list[int] = []
    monkeypatch.setattr(endpointctl.cli, "main", main)
    monkeypatch.setattr(entry, "exit_now", ended.append)
    handler = signal.getsignal(signal.SIGTERM)
    try:
        entry.run()
    finally:
        signal.signal(signal.SIGTERM, handler)  # run() makes SIGTERM an interrupt: not this test process's
    ((env, during),) = seen
    assert ended == [7]
    assert during == "__all__"  # the process's own: what pydantic reads while the command runs
    assert env is not None and env.is_own  # huggingface_hub's own lookups may still be used
    # What a command passes on (to `endpointctl run`'s program, say) is the user's environment.
    assert env.environ.get(entry.PYDANTIC_PLUGINS) == user_value
    assert env.environ["SOMETHING_OF_THE_USERS"] == "kept"
    assert {**env.environ, entry.PYDANTIC_PLUGINS: "__all__"} == dict(os.environ)


_ONE_WAY = {
    # pydantic's own variable, set as the entry point sets it, and nothing else.
    "variable": "import os; os.environ['PYDANTIC_DISABLE_PLUGINS'] = '__all__'",
    # The loader that finds none, with the variable taken away again.
    "loader": "import os, endpointctl.__main__ as e\n"
    "e.turn_off_pydantic_plugins(); del os.environ[e.PYDANTIC_PLUGINS]",
}


@pytest.mark.parametrize("way", sorted(_ONE_WAY))
def test_either_way_alone_hands_no_plugin_anything(tmp_path: pathlib.Path, way: str) -> None:
    """Each of the two is enough: a pydantic release that moves its loader leaves the variable, and one
    that stopped reading the variable would meet the loader."""
    code = f"{_ONE_WAY[way]}\nimport sys; from endpointctl.cli import main; sys.exit(main(sys.argv[1:]))"
    process, seen = _validate(tmp_path, code)
    assert process.returncode == 0, process.stderr
    assert seen == ""


def test_validate_reads_no_installed_distributions_metadata(tmp_path: pathlib.Path) -> None:
    """importlib.metadata (~10 ms of imports) is loaded by pydantic only to look for plugins; if this
    fails, pydantic moved its loader (PYDANTIC_PLUGIN_LOADER) and validate got that much slower."""
    code = (
        "import atexit, sys; sys.argv[0] = 'endpointctl'\n"
        "atexit.register(lambda: print('metadata loaded:', 'importlib.metadata' in sys.modules))\n"
        "from endpointctl.__main__ import run; run()"
    )
    process, seen = _validate(tmp_path, code)
    assert process.returncode == 0, process.stderr
    assert process.stdout.splitlines()[-1] == "metadata loaded: False"
    assert seen == ""


_NEWER_PYDANTIC = """
import os, sys
import endpointctl.__main__ as e
e.turn_off_pydantic_plugins()
from pydantic.plugin._loader import get_plugins
print("stand-in:", get_plugins(), "importlib.metadata" in sys.modules)
# A release that imports another name from its loader gets the real module, plugins still off.
from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP, get_plugins as real
now = sys.modules["pydantic.plugin._loader"]
print("real:", PYDANTIC_ENTRY_POINT_GROUP, real(), hasattr(now, "__file__"))
try:
    from pydantic.plugin._loader import no_such_name
except ImportError:
    print("unknown names: ImportError")
from pydantic import BaseModel
class Model(BaseModel):
    value: str
Model(value=os.environ["MY_SECRET"])  # the spy plugin, installed, would see it
"""


def test_a_pydantic_that_asks_its_loader_for_more_gets_the_real_one_with_plugins_off(
    tmp_path: pathlib.Path,
) -> None:
    process, seen = _validate(tmp_path, _NEWER_PYDANTIC)
    assert process.returncode == 0, process.stderr
    assert seen == ""
    assert process.stdout.splitlines() == [
        "stand-in: () False",
        "real: pydantic () True",
        "unknown names: ImportError",
    ]
