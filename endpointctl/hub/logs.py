"""An endpoint's logs and replica list: routes huggingface_hub 2.4 does not wrap, called through its session.

Each request goes through huggingface_hub's shared client (``get_session``: the timeouts, the deadline
transport and the redirect guard ``process`` installs), its headers (``build_hf_headers``) and its error
reading (``hf_raise_for_status``), under the same retries and error wording as every other call.

The logs are read as they arrive, never whole: lines are cut at a length, and a line or a body past its
limit ends the call with an error saying so (``core.bounded_lines``), so a server sending without end
cannot fill memory or hold the command. Every line is scrubbed before it leaves this module.

- ``logs``: ``GET .../logs`` (``tail``, ``replica``, ``line_max_length``), plain text, within the request
  deadline and 16 MiB; the last ``tail`` lines are kept.
- ``follow_logs``: ``GET .../logs/sse``, server-sent events, for as long as the server sends: connecting is
  retried and bounded like any call; the stream then has no deadline (a quiet endpoint writes nothing).
- ``replicas``: ``GET .../replica``, read leniently (its schema is not documented), within the request
  deadline and 16 MiB; JSON nested too deeply to read is an error, never a crash.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx2
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import get_session, hf_raise_for_status

from endpointctl.core.bounded_lines import Limits, TooMuch, head, read_within, split
from endpointctl.core.errors import ApiError, StreamBroke
from endpointctl.core.log_resume import Entry
from endpointctl.core.logs import LINE_MAX_LENGTH, Replica, cut, lines_of, mask_tokens, sse_data
from endpointctl.hub.calls import GATEWAY_HINT, ApiCalls, endpoint_path
from endpointctl.hub.deadline import BOUNDED, OPEN, STREAMED
from endpointctl.hub.error_bodies import readable_error_body

ERROR_BODY_BYTES = 64 * 1024  # of an error answer, read to word the error
# Lines of one event held before it is passed on, cut: an event without end cannot fill memory (a
# traceback is rarely longer; a longer one is passed on in pieces, each counted as an entry).
MAX_ENTRY_LINES = 200
_OTHER_WIDTH = 200  # characters of a replica's other fields shown
# Where a JSON answer may carry its lines or its list, and the keys a line or a replica may use.
_LIST_KEYS = ("items", "logs", "lines", "replicas", "data")
_MESSAGE_KEYS = ("message", "log", "line", "text", "msg")
_TIME_KEYS = ("timestamp", "time", "ts", "date")
_ID_KEYS = ("id", "name", "replicaId", "replica", "podName")
_STATUS_KEYS = ("status", "state", "phase")
_CREATED_KEYS = ("createdAt", "startedAt", "startTime", "created", "creationTimestamp")
_REASON_KEYS = ("message", "reason", "statusMessage")


class LogCalls(ApiCalls):
    def logs(
        self,
        namespace: str,
        name: str,
        *,
        tail: int,
        replica: str | None = None,
        line_max_length: int = LINE_MAX_LENGTH,
        deadline: float | None = None,
        limits: Limits | None = None,
    ) -> list[str]:
        """The endpoint's last ``tail`` log lines (of ``replica``), oldest first, scrubbed."""
        doing = f"reading the logs of endpoint '{namespace}/{name}'"
        bounds = limits or Limits()

        def fetch() -> list[str]:
            response = self._open(
                f"/endpoint/{endpoint_path(namespace, name)}/logs",
                _params(tail, replica, line_max_length),
                accept="text/plain, application/json;q=0.5",
                streamed=BOUNDED,
            )
            try:
                if _is_json(response):
                    texts = lines_of(self._json_lines(_read(response, bounds), doing))
                else:
                    texts = split(response.iter_bytes(), bounds)
                kept: deque[str] = deque(texts, maxlen=tail)  # only these are worth scrubbing
                return [self._clean(text, line_max_length) for text in kept]
            except TooMuch as error:
                raise ApiError(
                    f"{doing}: the API sent {error}",
                    hint="ask for fewer lines with --tail; a proxy or gateway may be answering instead",
                ) from None
            except httpx2.TimeoutException:
                raise ApiError(
                    f"{doing}: the API did not finish sending the logs within {self._timeout:g} s",
                    hint="ask for fewer lines with --tail, or allow more with ENDPOINTCTL_REQUEST_TIMEOUT",
                ) from None
            finally:
                response.close()

        # Its retries, and each request, end by ``deadline`` when one is given (a failed wait's budget).
        return self._run(self._retry.start(doing, not_after=deadline), fetch)

    @contextmanager
    def follow_logs(
        self,
        namespace: str,
        name: str,
        *,
        tail: int,
        replica: str | None = None,
        line_max_length: int = LINE_MAX_LENGTH,
    ) -> Iterator[Iterator[Entry]]:
        """The endpoint's log entries as the server sends them (its last ``tail`` first), until it ends the
        stream; closed when the block is left (Ctrl-C included). Connecting is retried like any call."""
        doing = f"following the logs of endpoint '{namespace}/{name}'"

        def connect() -> httpx2.Response:
            return self._open(
                f"/endpoint/{endpoint_path(namespace, name)}/logs/sse",
                _params(tail, replica, line_max_length),
                accept="text/event-stream",
                streamed=OPEN,
            )

        response = self._call(doing, connect)
        try:
            yield self._events(response, doing, line_max_length)
        finally:
            response.close()

    def replicas(self, namespace: str, name: str, *, deadline: float | None = None) -> list[Replica]:
        doing = f"listing the replicas of endpoint '{namespace}/{name}'"

        def fetch() -> Any:
            # Read as it arrives, within 16 MiB (decoded): a list without end, or a small compressed body
            # that inflates to gigabytes, is an error rather than a full memory.
            response = self._open(
                f"/endpoint/{endpoint_path(namespace, name)}/replica",
                {},
                accept="application/json",
                streamed=BOUNDED,
            )
            try:
                return _loads(_read(response, Limits()), doing)
            except TooMuch as error:
                raise ApiError(f"{doing}: the API sent {error}", hint=GATEWAY_HINT) from None
            finally:
                response.close()

        return to_replicas(self._run(self._retry.start(doing, not_after=deadline), fetch), doing)

    # -- reading ------------------------------------------------------------------------------------

    def _open(
        self, path: str, params: Mapping[str, str | int], *, accept: str, streamed: str
    ) -> httpx2.Response:
        """The response to a GET whose body is read by the caller, as it arrives; an error answer raised
        as huggingface_hub raises it, from at most ``ERROR_BODY_BYTES`` of its body."""
        session = get_session()
        headers = {**build_hf_headers(token=self._token.value), "Accept": accept}
        timeout = (
            httpx2.Timeout(self._timeout, read=None) if streamed == OPEN else httpx2.Timeout(self._timeout)
        )
        request = session.build_request(
            "GET",
            f"{self._base}{path}",
            params=dict(params),
            headers=headers,
            timeout=timeout,
            extensions={STREAMED: streamed},
        )
        response = session.send(request, stream=True)
        if response.status_code < 400:
            return response
        try:
            body = head(response.iter_bytes(), ERROR_BODY_BYTES)
        finally:
            response.close()
        kept = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-encoding", "content-length")
        }
        readable = readable_error_body(response.status_code, body)
        content = body if readable is None else readable
        hf_raise_for_status(
            httpx2.Response(response.status_code, headers=kept, content=content, request=request)
        )
        raise AssertionError("unreachable: an error status was not raised")  # pragma: no cover

    def _events(self, response: httpx2.Response, doing: str, width: int) -> Iterator[Entry]:
        # Each event whole, all of its lines (a traceback's): what the server counts in ``tail``; an empty
        # one for a comment (a keep-alive). A server that answers the stream as plain text is read as
        # plain text: every line an entry of its own.
        events = "text/event-stream" in response.headers.get("content-type", "")
        entry: list[str] = []
        try:
            for line in split(response.iter_bytes(), Limits(total_bytes=None)):
                data = sse_data(line) if events else line
                if data is not None:
                    entry.extend(self._clean(text, width) for text in lines_of([_message(data)]))
                if entry and (not events or line == "" or len(entry) >= MAX_ENTRY_LINES):
                    yield tuple(entry)  # an event ends at a blank line; one without end is cut
                    entry = []
                elif events and not entry and line.startswith(":"):
                    yield ()  # a comment between events (a keep-alive): the server is idle
            # An event the stream ended in the middle of is dropped, as the SSE standard says: a follow
            # asks for it again on reconnecting.
        except TooMuch as error:
            raise ApiError(f"{doing}: the API sent {error}", hint=GATEWAY_HINT) from None
        except httpx2.TransportError as error:
            why = f"{type(error).__name__}: {error}"
            raise StreamBroke(
                f"{doing}: the log stream broke off ({why})",
                why=why,
                hint="run the same command again to follow on",
            ) from None

    def _clean(self, text: str, width: int) -> str:
        """A line as it may be shown: secrets masked (the redactor's, each line of one that has several, and
        anything shaped like a token), then cut to ``width`` characters if the server sent it longer."""
        # Every line may have been cut by the server (line_max_length): a secret's start at its end is masked.
        scrubbed = mask_tokens(self._redactor.line_by_line().scrub(text, truncated=True))
        return cut(scrubbed, width)

    def _json_lines(self, body: bytes, doing: str) -> list[str]:
        try:
            doc = json.loads(body)
        except ValueError:
            raise ApiError(f"{doing}: the API answered JSON that cannot be read", hint=GATEWAY_HINT) from None
        except RecursionError:
            raise ApiError(f"{doing}: the API answered {_TOO_DEEP}", hint=GATEWAY_HINT) from None
        items = _list_in(doc)
        if items is None:
            raise ApiError(f"{doing}: the API answered JSON without a list of lines", hint=GATEWAY_HINT)
        return [_message(item) if isinstance(item, str) else _from_object(item) for item in items]


_TOO_DEEP = "JSON nested too deeply to read"


def _loads(body: bytes, doing: str) -> Any:
    """A JSON answer; not JSON raises ``json.JSONDecodeError`` (worded by the hub, as for any call), and
    nesting deeper than Python's parser can follow is an error saying so, not a crash."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ApiError(f"{doing}: the API answered {_TOO_DEEP}", hint=GATEWAY_HINT) from None


def _params(tail: int, replica: str | None, line_max_length: int) -> dict[str, str | int]:
    params: dict[str, str | int] = {"tail": tail, "line_max_length": line_max_length}
    if replica:
        params["replica"] = replica
    return params


def _is_json(response: httpx2.Response) -> bool:
    return "json" in response.headers.get("content-type", "")


def _read(response: httpx2.Response, limits: Limits) -> bytes:
    if limits.total_bytes is None:
        raise TooMuch("a body without end")  # pragma: no cover - only bounded bodies are read whole
    return read_within(response.iter_bytes(), limits.total_bytes)


def _list_in(doc: Any) -> list[Any] | None:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in _LIST_KEYS:
            if isinstance(doc.get(key), list):
                return list(doc[key])
    return None


def _first(item: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return _pick(item, keys)[1]


def _from_object(item: Any) -> str:
    """A log line a JSON object carries (its time, replica and message, as far as it has them)."""
    if not isinstance(item, dict):
        return _dumped(item)
    message = _first(item, _MESSAGE_KEYS)
    if not isinstance(message, str):
        return _dumped(item)
    parts = [value for value in (_first(item, _TIME_KEYS), _first(item, ("replica", "replicaId"))) if value]
    return " ".join([*(str(part) for part in parts), message])


def _dumped(value: Any, *, sort_keys: bool = False) -> str:
    """A JSON value as text; one nested too deeply for the encoder says so instead of crashing."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, default=str)
    except RecursionError:
        return f"({_TOO_DEEP})"


def _message(data: str) -> str:
    """An event's data: the text itself, or the line a JSON object in it carries."""
    if not data.startswith("{"):
        return data
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read: shown as it came
        return data
    return _from_object(doc) if isinstance(doc, dict) else data


# -- replicas ---------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _shown(value: Any) -> str:
    text = _text(value)
    if text is None:
        text = _dumped(value, sort_keys=True)
    return cut(text, _OTHER_WIDTH)


def _pick(item: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    """The first of ``keys`` the entry gives a value, and that value; (None, None) when none."""
    key = next((key for key in keys if item.get(key) not in (None, "")), None)
    return key, None if key is None else item[key]


def to_replica(item: Any) -> Replica:
    """One entry of the list, whatever its shape: what it does not say is unknown (None)."""
    if not isinstance(item, dict):
        return Replica(id=_text(item), status=None)
    id_key, replica_id = _pick(item, _ID_KEYS)
    status_key, status_value = _pick(item, _STATUS_KEYS)
    created_key, created = _pick(item, _CREATED_KEYS)
    reason_key, reason = _pick(item, _REASON_KEYS)
    status = _text(status_value)
    if isinstance(status_value, dict):  # {"state": "running", "message": "..."}
        status = _text(_pick(status_value, _STATUS_KEYS)[1])
        reason = reason if reason is not None else _pick(status_value, _REASON_KEYS)[1]
    used = {id_key, status_key, created_key, reason_key}
    return Replica(
        id=_text(replica_id),
        status=status,
        created_at=_text(created),
        message=_text(reason),
        other={
            str(key): _shown(value) for key, value in item.items() if key not in used and value is not None
        },
    )


def to_replicas(doc: Any, doing: str) -> list[Replica]:
    items = _list_in(doc)
    if items is None:
        raise ApiError(
            f"{doing}: the API answered something endpointctl cannot read as a list of replicas "
            f"({type(doc).__name__})",
            hint=GATEWAY_HINT,
        )
    return [to_replica(item) for item in items]
