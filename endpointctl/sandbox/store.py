"""SQLite persistence of endpoint records.

What is stored is the configuration and the timestamps the lifecycle is computed from; derived
values (current state, URL, replica counts) are never stored, so a restarted sandbox on another
port reports URLs for its new address and states as of its clock.
"""

from __future__ import annotations

import json
import os
import pathlib
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoints (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    phase TEXT NOT NULL,
    phase_at REAL NOT NULL,
    last_used_at REAL,
    UNIQUE (namespace, name)
)
"""

# Where each model repository's branches and tags point, once moved from their defaults (see revisions.py).
_REFS_SCHEMA = """
CREATE TABLE IF NOT EXISTS refs (
    repository TEXT NOT NULL,
    ref TEXT NOT NULL,
    sha TEXT NOT NULL,
    moved_at REAL NOT NULL,
    PRIMARY KEY (repository, ref)
)
"""

# What the endpoints' containers printed (see logs.py): lines written when they happen, and lines a
# deployment in progress will print, dated ahead (an action that changes its course removes those).
_LOGS_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    at REAL NOT NULL,
    replica TEXT,
    text TEXT NOT NULL
)
"""
_LOGS_INDEX = "CREATE INDEX IF NOT EXISTS logs_by_endpoint ON logs (namespace, name, at, seq)"

# One stored log line: (seq, at, replica, text). (Named here: inside Store, ``list`` is its method.)
LogRow = tuple[int, float, str | None, str]
LogRows = list[LogRow]
Records = list["Record"]
_Params = list[object]
NewLines = list[tuple[float, str | None, str]]

# A page of one namespace's listing, in seq order, is read from here without touching the others.
_ENDPOINTS_INDEX = "CREATE INDEX IF NOT EXISTS endpoints_by_namespace ON endpoints (namespace, seq)"

_COLUMNS = (
    "seq, namespace, name, spec, created_at, updated_at, created_by, updated_by,"
    " phase, phase_at, last_used_at"
)


@dataclass
class Record:
    """One endpoint as stored.

    ``spec`` is the configuration in wire shape (secrets in clear); ``phase``/``phase_at`` name the
    last lifecycle action and when it happened (see ``lifecycle``).
    """

    namespace: str
    name: str
    spec: dict[str, Any]
    created_at: float
    updated_at: float
    created_by: str
    updated_by: str
    phase: str
    phase_at: float
    last_used_at: float | None = None
    seq: int = 0


class NameTaken(Exception):
    pass


class Store:
    """A single connection guarded by a re-entrant lock.

    The handler threads of the HTTP server share it; ``transaction()`` makes a read-check-write
    sequence (e.g. quota check then insert) atomic with respect to other requests.
    """

    def __init__(self, path: str | pathlib.Path) -> None:
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            _make_private(pathlib.Path(path))
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._depth = 0
        with self._lock:
            if str(path) != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
                # Durable across a crash of the sandbox process, which is all an emulator needs.
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            self._conn.execute(_ENDPOINTS_INDEX)
            self._conn.execute(_REFS_SCHEMA)
            self._conn.execute(_LOGS_SCHEMA)
            self._conn.execute(_LOGS_INDEX)
            self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._conn.execute("COMMIT")

    def get(self, namespace: str, name: str) -> Record | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM endpoints WHERE namespace = ? AND name = ?", (namespace, name)
            ).fetchone()
        return None if row is None else _from_row(row)

    def list(self, namespace: str) -> list[Record]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM endpoints WHERE namespace = ? ORDER BY seq", (namespace,)
            ).fetchall()
        return [_from_row(r) for r in rows]

    def page(
        self, namespace: str, *, after: int, limit: int, search: str = "", tags: frozenset[str] = frozenset()
    ) -> tuple[Records, bool]:
        """Up to ``limit`` records of ``namespace`` with ``seq`` above ``after``, in ``seq`` order, whose
        name contains ``search`` and whose tags include all of ``tags``; and whether more follow.

        Only the page and one more row are read and decoded, unless ``tags`` filters: then rows are
        decoded one by one until the page and one more match.
        """
        where = "namespace = ? AND seq > ?"
        params: _Params = [namespace, after]
        if search:
            where += " AND instr(name, ?) > 0"  # a substring, case-sensitive, as Python's `in`
            params.append(search)
        query = f"SELECT {_COLUMNS} FROM endpoints WHERE {where} ORDER BY seq"
        if not tags:
            query += " LIMIT ?"
            params.append(limit + 1)
        found: Records = []
        with self._lock:
            for row in self._conn.execute(query, params):
                record = _from_row(row)
                if tags <= set(record.spec.get("tags") or []):
                    found.append(record)
                    if len(found) > limit:
                        break
        return found[:limit], len(found) > limit

    def insert(self, record: Record) -> Record:
        with self._lock:
            try:
                cur = self._conn.execute(
                    "INSERT INTO endpoints (namespace, name, spec, created_at, updated_at, created_by,"
                    " updated_by, phase, phase_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.namespace,
                        record.name,
                        json.dumps(record.spec),
                        record.created_at,
                        record.updated_at,
                        record.created_by,
                        record.updated_by,
                        record.phase,
                        record.phase_at,
                        record.last_used_at,
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise NameTaken(record.name) from exc
            record.seq = int(cur.lastrowid or 0)
        return record

    def save(self, record: Record) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE endpoints SET spec = ?, updated_at = ?, updated_by = ?, phase = ?, phase_at = ?,"
                " last_used_at = ? WHERE namespace = ? AND name = ?",
                (
                    json.dumps(record.spec),
                    record.updated_at,
                    record.updated_by,
                    record.phase,
                    record.phase_at,
                    record.last_used_at,
                    record.namespace,
                    record.name,
                ),
            )

    def delete(self, namespace: str, name: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM endpoints WHERE namespace = ? AND name = ?", (namespace, name)
            )
            self.drop_logs(namespace, name)  # an endpoint created again under the name starts afresh
        return cur.rowcount > 0

    def delete_all(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM endpoints")
            self._conn.execute("DELETE FROM logs")

    # -- log lines ------------------------------------------------------------------------------------

    def add_logs(self, namespace: str, name: str, lines: NewLines) -> None:
        """Lines (at, replica, text), in the order given; ``seq`` keeps that order among equal times."""
        with self._lock:
            self._conn.executemany(
                "INSERT INTO logs (namespace, name, at, replica, text) VALUES (?, ?, ?, ?, ?)",
                [(namespace, name, at, replica, text) for at, replica, text in lines],
            )

    def logs(
        self,
        namespace: str,
        name: str,
        *,
        until: float,
        after: tuple[float, int] = (float("-inf"), 0),
        replica: str | None = None,
        last: int | None = None,
    ) -> LogRows:
        """The lines dated up to ``until`` and after ``after`` (at, seq), oldest first; ``last``: only the
        last so many; ``replica``: only that replica's."""
        where = "namespace = ? AND name = ? AND at <= ? AND (at > ? OR (at = ? AND seq > ?))"
        params: _Params = [namespace, name, until, after[0], after[0], after[1]]
        if replica is not None:
            where += " AND replica = ?"
            params.append(replica)
        query = f"SELECT seq, at, replica, text FROM logs WHERE {where} ORDER BY at DESC, seq DESC"
        if last is not None:
            query += " LIMIT ?"
            params.append(last)
        with self._lock:
            rows = self._conn.execute(query, params).fetchall()
        return [(int(seq), float(at), replica, str(text)) for seq, at, replica, text in reversed(rows)]

    def drop_logs(self, namespace: str, name: str, after: float | None = None) -> None:
        """Every line of the endpoint, or (``after``) the lines dated later: a course that changed."""
        with self._lock:
            if after is None:
                self._conn.execute("DELETE FROM logs WHERE namespace = ? AND name = ?", (namespace, name))
            else:
                self._conn.execute(
                    "DELETE FROM logs WHERE namespace = ? AND name = ? AND at > ?", (namespace, name, after)
                )

    # -- model repositories' refs ---------------------------------------------------------------------

    def get_ref(self, repository: str, ref: str) -> tuple[str, float] | None:
        """The commit a moved branch or tag points at, and when it was moved; None: never moved."""
        with self._lock:
            row = self._conn.execute(
                "SELECT sha, moved_at FROM refs WHERE repository = ? AND ref = ?", (repository, ref)
            ).fetchone()
        return None if row is None else (str(row[0]), float(row[1]))

    def set_ref(self, repository: str, ref: str, sha: str, moved_at: float) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO refs (repository, ref, sha, moved_at) VALUES (?, ?, ?, ?) ON CONFLICT"
                " (repository, ref) DO UPDATE SET sha = excluded.sha, moved_at = excluded.moved_at",
                (repository, ref, sha, moved_at),
            )

    def delete_refs(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM refs")


# SQLite's journal files next to the database; it creates them with the database file's mode.
_COMPANIONS = ("-wal", "-shm", "-journal")


def _make_private(path: pathlib.Path) -> None:
    """Create the database file readable by its owner only, or tighten one an older sandbox left.

    It holds every endpoint's secrets in clear (``model.secrets``), so the umask's usual 0644 is
    not good enough. Creating it here, before SQLite does, means it is never readable by others.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for candidate in (path, *(path.with_name(path.name + suffix) for suffix in _COMPANIONS)):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & 0o077:
                candidate.chmod(mode & 0o700)
        except (FileNotFoundError, PermissionError):
            continue  # no such file, or not ours to change: SQLite will say if it cannot open it


def _from_row(row: tuple[Any, ...]) -> Record:
    seq, namespace, name, spec, created_at, updated_at, created_by, updated_by, phase, phase_at, last_used = (
        row
    )
    return Record(
        namespace=namespace,
        name=name,
        spec=json.loads(spec),
        created_at=created_at,
        updated_at=updated_at,
        created_by=created_by,
        updated_by=updated_by,
        phase=phase,
        phase_at=phase_at,
        last_used_at=last_used,
        seq=seq,
    )
