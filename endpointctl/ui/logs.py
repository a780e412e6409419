"""An endpoint's log lines and replicas, as text, JSON, YAML or markdown; and a failed wait's last lines.

Log lines are what a container printed, so they come from outside twice over: each is shown on one line
with its control characters escaped (``escapes.printable``: an ESC sequence in a log cannot drive the
reader's terminal), after the redactor has read it (the hub scrubbed it already; the sink does again);
the lines a failed wait shows on stderr also never read as a GitHub workflow command (``inert``).
JSON and YAML carry each line exactly, escaped in their own notation. Replica fields the API leaves out
are unknown, shown ``?`` (null in JSON), never a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from endpointctl.core.logs import LogTail, Replica, line_time
from endpointctl.core.outcomes import EndpointWait
from endpointctl.core.settings import OutputMode
from endpointctl.ui import markdown_escape as esc
from endpointctl.ui.escapes import inert, printable
from endpointctl.ui.fit import columns
from endpointctl.ui.render import dump

Scrub = Callable[[str], str]


def _iso(line: str) -> str | None:
    when = line_time(line)
    if when is None:
        return None
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def line_record(line: str, replica: str | None) -> dict[str, Any]:
    """``logs -o json``: one line, ``time`` the timestamp it starts with (null when none), ``replica``
    the one asked for with ``--replica`` (null: every replica's lines)."""
    return {"time": _iso(line), "replica": replica, "line": line}


def lines(items: Sequence[str], mode: OutputMode, replica: str | None, *, scrub: Scrub) -> str:
    """``logs``: the lines, one each; a list of records in JSON and YAML; a code block in markdown."""
    if mode.structured:
        return dump([line_record(line, replica) for line in items], mode)
    if mode.markdown:
        # As every markdown table: each line escaped, as inline code (nothing in it is markup or a mention).
        summary = f"**{len(items)} log line{'' if len(items) == 1 else 's'}**\n\n"
        return (
            summary + esc.table(["Line"], [[esc.code(scrub(line))] for line in items]) if items else summary
        )
    return "".join(printable(line) + "\n" for line in items)


def streamed(line: str, mode: OutputMode, replica: str | None) -> str:
    """``logs --follow``: one line as it comes; in JSON one record per line (JSON Lines), in YAML one
    document per line: a stream cannot be one list."""
    if mode is OutputMode.JSON:
        # One line: JSON escapes a newline inside a string, so the ones left are its own layout.
        return " ".join(part.strip() for part in dump(line_record(line, replica), mode).splitlines()) + "\n"
    if mode is OutputMode.YAML:
        return "---\n" + dump(line_record(line, replica), mode)
    return printable(line) + "\n"


# -- replicas ---------------------------------------------------------------------------------------


def replica_record(r: Replica) -> dict[str, Any]:
    """``replicas -o json``: null where the API said nothing; ``other``: whatever else it said."""
    return {"id": r.id, "status": r.status, "createdAt": r.created_at, "message": r.message, "other": r.other}


def _known(value: str | None) -> str:
    return "?" if value is None else value


def _other(r: Replica) -> str:
    return ", ".join(f"{key}={value}" for key, value in r.other.items()) or "-"


def replicas(items: Sequence[Replica], mode: OutputMode, *, scrub: Scrub) -> str:
    if mode.structured:
        return dump([replica_record(r) for r in items], mode)
    headers = ["ID", "STATUS", "CREATED", "MESSAGE"]
    if mode.markdown:
        rows = [
            [
                esc.code(scrub(_known(r.id))),
                esc.text(scrub(_known(r.status))),
                esc.text(scrub(_known(r.created_at))),
                esc.text(scrub(r.message or "")),
                esc.text(scrub(_other(r))),
            ]
            for r in items
        ]
        summary = f"**{len(items)} replica{'' if len(items) == 1 else 's'}**\n\n"
        return summary + esc.table([*headers, "OTHER"], rows) if items else summary
    if not items:
        return "No replicas (a paused or scaled-to-zero endpoint runs none).\n"
    wide = mode is OutputMode.WIDE
    table = [
        [
            *(printable(_known(value)) for value in (r.id, r.status, r.created_at)),
            printable(r.message or "-"),
            *([printable(_other(r))] if wide else []),
        ]
        for r in items
    ]
    return columns(table, [*headers, "OTHER"] if wide else headers)


# -- a failed wait's last lines ---------------------------------------------------------------------


def tail_lines(e: EndpointWait, scrub: Scrub) -> list[str]:
    """What a failed or timed-out wait adds after its error: the endpoint's last log lines, indented, or
    one line saying why they could not be read. Nothing when they were not asked for (--no-logs)."""
    tail: LogTail | None = e.logs
    if tail is None:
        return []
    key = printable(scrub(e.target.key))
    if tail.unavailable is not None:
        return [f"logs unavailable: {inert(printable(scrub(tail.unavailable)))}"]
    if not tail.lines:
        return [f"the logs of '{key}' are empty"]
    count = len(tail.lines)
    head = f"last {count} log line{'s' if count != 1 else ''} of '{key}':"
    return [head, *(f"  {inert(printable(scrub(line)))}" for line in tail.lines)]
