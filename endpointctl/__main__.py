"""The console script and ``python -m endpointctl``: SIGTERM is Ctrl-C from the very first instant.

Importing the CLI (click, pydantic, YAML, huggingface_hub's pieces) takes a noticeable moment, and a CI
runner's SIGTERM in that moment would otherwise kill the process with no line and exit 143. So the
handler goes in before any import, and an interrupt during them ends the run as ``main`` ends an
interrupted one: exit 130 (``ExitCode.INTERRUPTED``, not importable before the CLI is) with a line.
"""

import signal
import sys


def run() -> None:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        from endpointctl.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
