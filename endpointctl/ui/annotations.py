"""Manifest problems as GitHub Actions annotations: one ``::error`` workflow command per problem.

Under GitHub Actions (``GITHUB_ACTIONS=true``) each manifest problem is also printed on stderr as
``::error file=F,line=L,title=endpointctl::path: message``, which the runner shows as an annotation on
that line of the file, in the job and in the pull request's diff.

A line of a step's output that starts with ``::`` is a command to the runner (``::add-mask::``,
``::stop-commands::``, ``::error``…), and what a problem says comes partly from the manifest — a key, a
value, the file's name — which whoever opened the pull request controls. So every value is escaped as the
runner's own toolkit does (``escapeData`` and ``escapeProperty`` of ``@actions/core``): in the message
``%``, CR and LF; in a property also ``:`` and ``,``. A value can then neither end the line (and start
a command of its own) nor end the properties early (and add one, or start the message). Values are
scrubbed before they are escaped: escaping first could split a secret's characters with ``%2C`` and so
hide it from a plain search.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from endpointctl.core.errors import ManifestIssue

TITLE = "endpointctl"


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """Whether this process runs as a step of GitHub Actions (the runner sets ``GITHUB_ACTIONS=true``)."""
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """``text`` as a workflow command's message: ``%``, CR and LF escaped (``%`` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """``text`` as a workflow command's property value: as a message, and ``:`` and ``,`` escaped too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_file(file: str, *, workspace: str | None, cwd: str) -> str:
    """``file`` as the runner places an annotation: relative to the workspace (the repository's checkout)
    when it lies inside it, with ``/`` separators; otherwise as it was given."""
    if not workspace:
        return file
    target = os.path.normpath(os.path.join(cwd, file))
    root = os.path.normpath(workspace)
    try:
        inside = os.path.commonpath([target, root]) == root
    except ValueError:  # another drive, or one path relative and the other absolute
        return file
    if not inside or target == root:
        return file
    return os.path.relpath(target, root).replace(os.sep, "/")


def error_command(
    issue: ManifestIssue, scrub: Callable[[str], str], *, workspace: str | None, cwd: str
) -> str:
    """One problem as one ``::error`` line (without its newline): every value scrubbed, then escaped."""
    properties = [f"file={escape_property(scrub(workflow_file(issue.file, workspace=workspace, cwd=cwd)))}"]
    if issue.line is not None:
        properties.append(f"line={int(issue.line)}")
    properties.append(f"title={escape_property(TITLE)}")
    message = f"{issue.path or '(document)'}: {issue.message}"
    return f"::error {','.join(properties)}::{escape_data(scrub(message))}"


def error_commands(
    issues: Iterable[ManifestIssue], scrub: Callable[[str], str], *, workspace: str | None, cwd: str
) -> str:
    """Every problem as an ``::error`` line, each ending in a newline; ``""`` for none."""
    return "".join(error_command(issue, scrub, workspace=workspace, cwd=cwd) + "\n" for issue in issues)


def manifest_annotations(
    issues: Iterable[ManifestIssue], scrub: Callable[[str], str], *, environ: Mapping[str, str], cwd: str
) -> str:
    """``error_commands`` for the problems when ``environ`` is a GitHub Actions step's, else ``""``."""
    if not in_github_actions(environ):
        return ""
    return error_commands(issues, scrub, workspace=environ.get("GITHUB_WORKSPACE"), cwd=cwd)


@contextmanager
def commands_stopped(
    write: Callable[[str], None], environ: Mapping[str, str], *, token: Callable[[], str] | None = None
) -> Iterator[None]:
    """Under GitHub Actions, the runner reads no workflow command from what is written inside: the human
    text of a problem quotes the manifest's keys and values as they are, newlines included, so a line of
    it could start with ``::``. ``::stop-commands::`` with a token nobody can guess, and the token to
    resume (GitHub's own way to print untrusted text); elsewhere, nothing."""
    if not in_github_actions(environ):
        yield
        return
    if token is None:
        import secrets  # ~5 ms (hashlib, random): only under GitHub Actions, only for a manifest's problems

        resume = secrets.token_hex(16)
    else:
        resume = token()
    write(f"::stop-commands::{resume}")
    try:
        yield
    finally:
        write(f"::{resume}::")
