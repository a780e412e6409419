"""Which files a manifest path names, found completely or not at all.

Every ``*.yaml``/``*.yml`` below a directory (hidden entries skipped: pointing at a repository root must
not pick up .github workflows), followed through symlinked directories. Nothing is skipped silently: an
entry that cannot be listed or opened, a dangling symlink and a symlink loop are each an issue naming
the path, because a manifest that is not read looks like an endpoint nobody wants — and ``--prune``
deletes those.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from endpointctl.core.errors import ManifestIssue

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ManifestFile:
    label: str  # how messages name it: as given, or its path below the directory given
    path: Path


class UnreadableFile(Exception):
    """Why a file given to read cannot be: its words, ready for a message after its path."""


def read_capped(path: str | Path, limit: int) -> bytes:
    """A regular file's bytes, at most ``limit`` of them, or ``UnreadableFile``. Opened without blocking and
    then checked: a FIFO, a device (/dev/zero) or a file swapped for one since it was named must neither
    hang the read nor fill the memory."""
    try:
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise UnreadableFile("cannot read: not a regular file")
            raw = handle.read(limit + 1)
    except OSError as error:
        raise UnreadableFile(f"cannot read: {error.strerror or error}") from None
    if len(raw) > limit:
        raise UnreadableFile(f"too large: at most {limit // 1024} KiB")
    return raw


def _why(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "a symlink loop"
    if error.errno == errno.ENOENT:
        return "no such file or directory"
    return error.strerror or str(error)


def _dangling(path: Path) -> str | None:
    """Why a symlink leads nowhere, or None when it leads to something."""
    try:
        path.stat()
    except OSError as error:
        if error.errno == errno.ENOENT:
            return f"a dangling symlink (to {os.readlink(path)}, which does not exist)"
        return _why(error)
    return None


def find(paths: Sequence[str | Path]) -> list[ManifestFile | ManifestIssue]:
    """Every file to read, each once, and every issue, in the order given (sorted within a directory)."""
    found: list[ManifestFile | ManifestIssue] = []
    seen: set[Path] = set()

    def add(file: ManifestFile, real: Path | None = None) -> None:
        real = file.path.resolve() if real is None else real
        if real not in seen:
            seen.add(real)
            found.append(file)

    for given in paths:
        path = Path(given)
        if path.is_symlink() and (why := _dangling(path)) is not None:
            found.append(ManifestIssue(str(given), None, "", why))
            continue
        try:
            mode = path.stat().st_mode
        except OSError as error:
            found.append(ManifestIssue(str(given), None, "", _why(error)))
            continue
        if stat.S_ISDIR(mode):
            issues: list[ManifestIssue] = []
            for entry, real in _walk(path, issues):
                add(ManifestFile(str(entry), entry), real)
            found.extend(issues)
        elif stat.S_ISREG(mode):
            add(ManifestFile(str(given), path))
        else:
            found.append(ManifestIssue(str(given), None, "", "not a regular file or directory"))
    return found


def _walk(root: Path, issues: list[ManifestIssue]) -> Iterator[tuple[Path, Path]]:
    """The manifest files below ``root``, each with its real path, sorted by their path below it;
    problems go to ``issues``.

    A file that is not a symlink has the real path of its directory and its own name, known without a
    system call per path component (``resolve``, which a thousand files would pay a thousand times)."""
    files: list[tuple[tuple[str, ...], Path, Path]] = []
    # Each directory with the real paths of the directories above it: a link back to one is a loop; a
    # second way to a directory already read is not (its files are read once, by their real path).
    root_real = root.resolve()
    pending: list[tuple[Path, Path, tuple[str, ...], frozenset[Path]]] = [
        (root, root_real, (), frozenset({root_real}))
    ]
    visited = {root_real}
    while pending:
        directory, directory_real, below, above = pending.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            issues.append(
                ManifestIssue(str(directory), None, "", f"cannot list this directory: {_why(error)}")
            )
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            linked = entry.is_symlink()
            if linked and (why := _dangling(path)) is not None:
                issues.append(ManifestIssue(str(path), None, "", why))
                continue
            try:
                is_dir = entry.is_dir()  # through a symlink: a linked directory is read too
            except OSError as error:
                issues.append(ManifestIssue(str(path), None, "", _why(error)))
                continue
            real = path.resolve() if linked else directory_real / entry.name
            if is_dir:
                if real in above:
                    issues.append(
                        ManifestIssue(str(path), None, "", "a symlink loop (a link to a directory above it)")
                    )
                elif real not in visited:
                    visited.add(real)
                    pending.append((path, real, (*below, entry.name), above | {real}))
            elif path.suffix.lower() in SUFFIXES:
                try:
                    regular = entry.is_file()
                except OSError as error:
                    issues.append(ManifestIssue(str(path), None, "", _why(error)))
                    continue
                if regular:
                    files.append(((*below, entry.name), path, real))
                else:  # a FIFO would wait for a writer forever; a device is not a manifest
                    issues.append(ManifestIssue(str(path), None, "", "not a regular file"))
    for _, path, real in sorted(files, key=lambda file: file[0]):
        yield path, real
