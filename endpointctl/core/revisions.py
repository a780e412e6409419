"""PURE: what a manifest's ``model.revision`` names, what is sent for it, and when a live one matches.

A revision is a branch, a tag or a commit. The service answers every endpoint's ``model.revision`` as
the commit it resolved, even while pending, so a branch is compared by the commit it resolves to now
(looked up by the engine, once per run, and kept on ``Desired.revision_commit``): when the branch has
moved, the plan updates the endpoint to the new commit; when it has not, nothing changes.

Forty hex digits are a commit, in either case: it needs no lookup, is sent in lowercase (as the Hub
writes commits) and is compared without regard to case.
"""

from __future__ import annotations

import re

from endpointctl.core.spec import Desired

COMMIT_RE = re.compile(r"[0-9a-fA-F]{40}")


def is_commit(revision: str) -> bool:
    return COMMIT_RE.fullmatch(revision) is not None


def needs_lookup(revision: str | None) -> bool:
    """Whether a manifest's revision names a branch or tag, which only the Hub can turn into a commit."""
    return revision is not None and not is_commit(revision)


def same_revision(a: str, b: str) -> bool:
    # Commits compare without case; branch and tag names are case-sensitive, as in git.
    return a == b or (is_commit(a) and is_commit(b) and a.lower() == b.lower())


def sent_revision(desired: Desired) -> str | None:
    """What a create or an update sends: the commit a branch or tag resolved to, a commit as a commit.

    None (omitted) lets the service take its default, the latest main. A branch that was not looked up
    (only where nothing plans, such as a unit test) is sent as written.
    """
    literal = desired.spec.model.revision
    if literal is None:
        return None
    if desired.revision_commit is not None:
        return desired.revision_commit
    return literal.lower() if is_commit(literal) else literal


def shown_revision(desired: Desired) -> str | None:
    """The revision as a plan shows it: ``main@<commit>`` for a branch or tag, so both are visible."""
    literal = desired.spec.model.revision
    sent = sent_revision(desired)
    if literal is None or sent is None or desired.revision_commit is None or is_commit(literal):
        return sent
    return f"{literal}@{sent}"


SHORT_COMMIT_RE = re.compile(r"[0-9a-fA-F]{7,39}")
# A branch or tag name as people write them (git allows more; the Hub's are of this kind), within git's
# own rules (git check-ref-format): no part empty or starting with ".", none ending in ".lock", no
# ".." and no trailing "/" or ".".
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


def is_ref_name(text: str) -> bool:
    return (
        NAME_RE.fullmatch(text) is not None
        and ".." not in text
        and not text.endswith(".")
        and not any(part.endswith(".lock") for part in text.split("/"))
    )


def revision_unknown(desired: Desired, live: str) -> bool:
    """Whether the live revision is a form that cannot be compared with the manifest's: a short SHA, a
    full ref name (``refs/heads/main``), or text that is no branch or tag name (empty, spaces, control
    characters, ``..``). Which commit it names cannot be told here, and an update (a redeploy) over a
    spelling is never right: it is unknown, never drift."""
    literal = desired.spec.model.revision
    if literal is None or same_revision(live, literal) or is_commit(live):
        return False
    return SHORT_COMMIT_RE.fullmatch(live) is not None or live.startswith("refs/") or not is_ref_name(live)


def revision_matches(desired: Desired, live: str) -> bool:
    """Whether the live revision is what the manifest asks for, as far as it can be told.

    It is when the manifest sets none (never drift), when the live value is the manifest's own text (a
    server that does not resolve revisions), when it is the commit the branch or tag resolves to now, or
    when it is a form that cannot be compared (``revision_unknown``). A plain name that is not the
    manifest's (a server that keeps revisions as written, the manifest since moved to another branch or
    to a commit) is another revision.
    """
    literal = desired.spec.model.revision
    if literal is None or same_revision(live, literal) or revision_unknown(desired, live):
        return True
    if not is_commit(live):
        return False
    commit = desired.revision_commit
    return commit is not None and same_revision(live, commit)
