"""PURE: whether a live container image reference is the manifest's, spelled another way.

A registry or a service may report an image in its canonical form: ``nginx:1.25`` as
``docker.io/library/nginx:1.25``, ``nginx`` as ``nginx:latest``, and a tag as the digest it resolved to
(``ghcr.io/o/tgi:3.0@sha256:…``), as the service reports a branch as its commit. Whether the Inference
Endpoints API does any of this is not known. An update over a spelling redeploys the endpoint for
nothing, and would do so on every run; so two spellings of one reference match, and a digest the
manifest did not ask for is unknown, never drift (shown without a tag, unless endpointctl's record of the
reference it last sent says the manifest has moved since: core/tags.py). A digest the manifest pins and
the live image lacks is a change (the service keeps what it was sent; the manifest moved to a pin), as
with revisions.

The rules are Docker's own (distribution's reference grammar): the first path part names a registry
only if it holds "." or ":", is "localhost" or has capitals; else the registry is Docker Hub, where a
one-part name lives under ``library/``; no tag and no digest means ``latest``; registry names are
case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
# Other names of Docker Hub that pull the same images.
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_DEFAULT_TAG = "latest"
# The parts of a reference, as Docker's grammar has them; anything else is compared as text.
_REGISTRY_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?")
_PATH_PART_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}")


@dataclass(frozen=True)
class ImageRef:
    registry: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def tag_or_default(self) -> str:
        return self.tag or _DEFAULT_TAG


def parse_image(text: str) -> ImageRef | None:
    """The reference's parts in canonical form, or None when it is not a reference Docker would read."""
    name, at, digest = text.partition("@")
    if at and not _DIGEST_RE.fullmatch(digest):
        return None
    colon = name.rfind(":")
    tag = None
    if colon > name.rfind("/"):
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG_RE.fullmatch(tag):
            return None
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not _REGISTRY_RE.fullmatch(first):
            return None
        registry, path = first.lower(), rest
    else:
        registry, path = DOCKER_HUB, name
    if not all(_PATH_PART_RE.fullmatch(part) for part in path.split("/")):
        return None
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
        path = path if "/" in path else f"library/{path}"
    return ImageRef(registry, path, tag, digest.lower() if at else None)


def canonical_image(text: str) -> str:
    """The reference as Docker reads it, one text for all its spellings (``tgi:3.0`` and
    ``docker.io/library/tgi:3.0``); text Docker would not read is itself."""
    text = text.strip()  # blanks are no part of a reference (``same_image``): no record of them either
    ref = parse_image(text)
    if ref is None:
        return text
    return f"{ref.registry}/{ref.path}" + (f"@{ref.digest}" if ref.digest else f":{ref.tag_or_default}")


def same_image(want: str, have: str, *, sent: bool | None = None) -> bool | None:
    """True when the live reference is the manifest's, False when it names another image, None when it
    cannot be told (the live one carries a digest the manifest's tag may have resolved to, or is blank).

    Blanks around a reference are no part of it (Docker reads none there): a trailing newline in an
    answer is the same image, and an empty one says nothing, never "another image" to redeploy.

    ``sent`` is what endpointctl's record says of the manifest's reference (core/tags.py): True, it is the
    last one sent; False, another one was, so the manifest has moved since; None, there is no record. It
    decides only a digest shown without a tag: the same repository at another tag is a change, at the
    manifest's own (or with no record) it is still unknown.
    """
    want, have = want.strip(), have.strip()
    if not have:
        return None
    if want == have:
        return True
    w, h = parse_image(want), parse_image(have)
    if w is None or h is None:
        return False
    if (w.registry, w.path) != (h.registry, h.path):
        return False
    if w.digest is not None:
        return w.digest == h.digest
    if h.digest is not None:
        # Which digest the manifest's tag resolves to is the registry's to say; a tag shown beside the
        # digest is still compared, and without one the record says whether the manifest moved since.
        if h.tag is None:
            return False if sent is False else None
        return None if h.tag == w.tag_or_default else False
    return w.tag_or_default == h.tag_or_default
