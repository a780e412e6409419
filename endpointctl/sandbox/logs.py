"""The logs and replica routes: ``GET /v2/endpoint/{namespace}/{name}/logs``, ``/logs/sse``, ``/replica``.

``/logs`` answers plain text, one line per line the containers printed (``container_log``), each
``<RFC 3339 time> <replica id or -> <text>``: the last ``tail`` (default: all, at most 10 000), of one
``replica`` if asked, each cut at ``line_max_length`` characters; with ``follow=true`` it goes on as
lines come. ``/logs/sse`` is the same as server-sent events (``id: <seq>``, ``data: <line>``), always
following, with a ``: keepalive`` comment when nothing was sent for a while. A stream ends when the
endpoint is deleted or the sandbox stops.

A following stream looks for new lines every ``FOLLOW_POLL_SECONDS`` of real time, never sleeping on the
sandbox's clock: a ManualClock moves only when a test moves it, and the lines dated up to it then show.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from . import container_log
from .auth import require_caller, require_namespace
from .context import Context
from .store import LogRow, Record
from .transport import ErrorAnswer, Request, Response, Route, json_response
from .views import rfc3339

MAX_TAIL = 10_000
FOLLOW_POLL_SECONDS = 0.05
TEXT = "text/plain; charset=utf-8"
NO_CURSOR = (float("-inf"), 0)

Frame = Callable[[LogRow], bytes]


def _record(ctx: Context, req: Request) -> Record:
    caller = require_caller(req.headers, ctx.config.user, ctx.config.orgs)
    require_namespace(caller, req.params["namespace"])
    return ctx.require(req.params["namespace"], req.params["name"])


def _int(req: Request, key: str, default: int | None, least: int, most: int | None = None) -> int | None:
    raw = req.query.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ErrorAnswer(400, f"Invalid {key} {raw!r}: expected an integer") from exc
    if value < least or (most is not None and value > most):
        raise ErrorAnswer(400, f"{key} must be between {least} and {most if most is not None else 'any'}")
    return value


def _rows(
    ctx: Context,
    record: Record,
    *,
    after: tuple[float, int] = NO_CURSOR,
    replica: str | None = None,
    last: int | None = None,
) -> list[LogRow]:
    """The lines dated up to now (after ``after``), oldest first, the ones no action wrote yet included."""
    if last == 0:
        return []
    now = ctx.now()
    stored = ctx.store.logs(record.namespace, record.name, until=now, after=after, replica=replica, last=last)
    ahead: list[LogRow] = [
        (0, at, who, text)
        for at, who, text in container_log.shown_ahead(ctx, record, ctx.observe(record))
        if at <= now and (at, 0) > after and (replica is None or who == replica)
    ]
    rows = sorted(stored + ahead, key=lambda row: (row[1], row[0]))
    return rows if last is None else rows[-last:]


def _line(row: LogRow, width: int | None) -> str:
    _seq, at, replica, text = row
    line = f"{rfc3339(at)} {replica or '-'} {text}"
    return line if width is None else line[:width]


def _follow(
    ctx: Context,
    record: Record,
    first: list[LogRow],
    replica: str | None,
    frame: Frame,
    keepalive: bytes | None,
) -> Iterator[bytes]:
    """The lines ``first``, then each new one as it is dated, until the endpoint is gone or the sandbox
    stops; a keep-alive now and then (a departed client is noticed when it cannot be written to)."""
    for row in first:
        yield frame(row)
    after = (first[-1][1], first[-1][0]) if first else (ctx.now(), 0)
    quiet_polls = max(1, round(ctx.config.keepalive_seconds / FOLLOW_POLL_SECONDS))
    idle = 0
    while not ctx.released.is_set():
        try:
            current = ctx.store.get(record.namespace, record.name)
            rows = [] if current is None else _rows(ctx, current, after=after, replica=replica)
        except sqlite3.Error:  # the sandbox closed its store
            return
        if current is None:
            return  # deleted: the stream ends
        for row in rows:
            yield frame(row)
            after = (row[1], row[0])
        idle = 0 if rows else idle + 1
        if keepalive is not None and idle >= quiet_polls:
            yield keepalive
            idle = 0
        ctx.released.wait(FOLLOW_POLL_SECONDS)


def _query(req: Request) -> tuple[int | None, str | None, int | None]:
    tail = _int(req, "tail", None, 0, MAX_TAIL)
    width = _int(req, "line_max_length", None, 1)
    return tail, req.query.get("replica") or None, width


def logs(ctx: Context, req: Request) -> Response:
    record = _record(ctx, req)
    tail, replica, width = _query(req)
    rows = _rows(ctx, record, replica=replica, last=MAX_TAIL if tail is None else tail)
    if req.query.get("follow", "").lower() not in ("true", "1"):
        body = "".join(_line(row, width) + "\n" for row in rows)
        return Response(status=200, body=body.encode(), content_type=TEXT)

    def frame(row: LogRow) -> bytes:
        return "".join(part + "\n" for part in _line(row, width).split("\n")).encode()

    return Response(status=200, content_type=TEXT, stream=_follow(ctx, record, rows, replica, frame, None))


def logs_sse(ctx: Context, req: Request) -> Response:
    record = _record(ctx, req)
    tail, replica, width = _query(req)
    rows = _rows(ctx, record, replica=replica, last=MAX_TAIL if tail is None else tail)

    def frame(row: LogRow) -> bytes:
        data = "".join(f"data: {part}\n" for part in _line(row, width).split("\n"))
        return f"id: {row[0]}\n{data}\n".encode()

    stream = _follow(ctx, record, rows, replica, frame, b": keepalive\n\n")
    return Response(
        status=200,
        content_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
        stream=stream,
    )


def replicas(ctx: Context, req: Request) -> Response:
    record = _record(ctx, req)
    items: list[dict[str, Any]] = container_log.replica_docs(ctx, record, ctx.observe(record))
    return json_response({"items": items})


def routes(ctx: Context) -> list[Route]:
    def bind(fn: Callable[[Context, Request], Response]) -> Callable[[Request], Response]:
        return lambda req: fn(ctx, req)

    ep = "/v2/endpoint/{namespace}/{name}"
    return [
        Route("GET", f"{ep}/logs", bind(logs)),
        Route("GET", f"{ep}/logs/sse", bind(logs_sse)),
        Route("GET", f"{ep}/replica", bind(replicas)),
    ]
