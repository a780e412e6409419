"""The console script and ``python -m endpointctl``: SIGTERM is Ctrl-C from the very first instant, and
the process ends as soon as the command has.

Importing the CLI (click, pydantic, YAML, huggingface_hub's pieces) takes a noticeable moment, and a CI
runner's SIGTERM in that moment would otherwise kill the process with no line and exit 143. So the
handler goes in before any import, and an interrupt during them ends the run as ``main`` ends an
interrupted one: exit 130 (``ExitCode.INTERRUPTED``, not importable before the CLI is) with a line.

When the command is done, its output is flushed and the exit functions run (logging's, huggingface_hub's
session close), then the process exits without tearing the interpreter down: unloading the thousand
modules a command loads, one by one, took ~0.1-0.15 s of every command's wall time and does nothing
the operating system does not do at exit. Every file and lock is closed by the command itself, and a
thread still stuck in a call (a hung server, after a timeout) cannot hold the exit either.

The cyclic garbage collector starts with a first threshold of 100,000 allocations instead of 700: a
command allocates hundreds of thousands of objects while it imports click, pydantic and huggingface_hub
and builds their classes, almost none of them garbage, and the collector's passes over them cost 10-45
ms of each command's start-up (``bench/``). It stays on, so the loops of long-running commands (``wait``,
``schedule``, ``sandbox serve``) keep their memory bounded.

Pydantic plugins are off in this process: an installed one (an observability package's, say) would be
handed every manifest validated, secret values included. The commands, and the programs ``endpointctl
run`` starts, see the environment as the user set it. Turned off twice: by pydantic's own variable, and
by answering the module pydantic looks plugins up with (``pydantic.plugin._loader``) with one that finds
none. That module imports ``importlib.metadata`` (email, zipfile, csv: ~10 ms, a tenth of ``validate``)
only to search every installed distribution for plugins that would be turned off anyway. It is private
to pydantic: if a release moves it, pydantic imports its own, and if one asks it for more than
``get_plugins``, the real one takes its place; either way the variable still turns every plugin off (a
test says when the ~10 ms come back).
"""

import atexit
import contextlib
import gc
import os
import signal
import sys
import types

# The collector's thresholds here: (young generation, middle, old); CPython's default is (700, 10, 10).
GC_THRESHOLDS = (100_000, 20, 10)

# Read by pydantic each time it builds a model's validator; "__all__" turns off every plugin.
PYDANTIC_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"
# Where pydantic (2.x) imports get_plugins() from when it builds a model's first validator.
PYDANTIC_PLUGIN_LOADER = "pydantic.plugin._loader"


def _no_plugins() -> tuple[()]:
    return ()


def _from_the_real_loader(name: str) -> object:
    """Any other name asked of the stand-in (a pydantic release that imports more from its loader): the
    real loader takes its place from then on, and answers. Its plugins stay off by the variable."""
    if name.startswith("__"):  # the import system's own questions (is it a package?) are not names
        raise AttributeError(name)
    import importlib

    stand_in = sys.modules.get(PYDANTIC_PLUGIN_LOADER)
    if getattr(stand_in, "__getattr__", None) is _from_the_real_loader:
        sys.modules.pop(PYDANTIC_PLUGIN_LOADER, None)  # pop: another thread may have taken it out first
    try:
        real = importlib.import_module(PYDANTIC_PLUGIN_LOADER)
    except ImportError:
        if stand_in is not None:
            sys.modules.setdefault(PYDANTIC_PLUGIN_LOADER, stand_in)  # no real one: the stand-in stays
        raise AttributeError(name) from None
    return getattr(real, name)


def turn_off_pydantic_plugins() -> None:
    """Before any model is built: plugins off by pydantic's variable, and its loader answered by one
    that finds none without reading every installed distribution's metadata."""
    os.environ[PYDANTIC_PLUGINS] = "__all__"
    loader = types.ModuleType(PYDANTIC_PLUGIN_LOADER, "endpointctl: no pydantic plugins in this process")
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]
    loader.__getattr__ = _from_the_real_loader  # type: ignore[method-assign]
    sys.modules.setdefault(PYDANTIC_PLUGIN_LOADER, loader)


def run() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    environ = dict(os.environ)  # the user's, before ours
    turn_off_pydantic_plugins()  # before any model is built: models are built when imported
    try:
        from endpointctl.cli import CommandEnv, main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    code = main(sys.argv[1:], CommandEnv(environ=environ, own=True))
    exit_now(code)


def exit_now(code: int) -> None:
    """Run the exit functions, flush what they and the command wrote, and end the process with ``code``."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # A reader gone (`| head`), a stream already closed, or none (started with it closed): what was
        # written is all there is.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
