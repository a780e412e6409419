"""PURE: how a manifest's ``model.secrets`` compares with an endpoint's, by name (values are never read).

An answer may name the endpoint's secrets, leave them out (unknown), or answer ``{}``, which may be none
or names the API hides (unconfirmed). Where it is ``{}``, endpointctl's record of the names it last sent
(``endpointctl-secrets=<digest>``, core/tags.py) says which reading holds: the manifest's names recorded is
no change; other names, or none wanted where some were sent, is a change, sent once with a new record.
"""

from __future__ import annotations

from collections.abc import Mapping

from endpointctl.core.endpoint import Endpoint
from endpointctl.core.spec import EndpointSpec
from endpointctl.core.tags import sent_some_secrets, sent_these_secrets


def _secrets_recorded(live: Endpoint) -> bool:
    """Whether endpointctl's record (core/tags.py) says the last secrets it sent here were some. Read only
    on an endpoint we manage: on one being adopted a record under our key was not written by us."""
    return live.managed and sent_some_secrets(live.tags)


def wanted_secrets(spec: EndpointSpec, live: Endpoint) -> Mapping[str, str] | None:
    """The secrets the endpoint should have; None where they are not compared.

    The manifest's, when it sets them (``{}`` included). A manifest that leaves them out compares nothing,
    as with any field, except where endpointctl's record says it sent some: those it sent and the
    manifest dropped are removed (sent as ``{}``), as a dropped env variable is. Not where the answer
    names others than the record's: someone changed them since, and an update sends secrets whole, so
    removing ours would take theirs with them; the manifest, silent on secrets, leaves them be.
    """
    if spec.model.secrets is not None:
        return spec.model.secrets
    if not _secrets_recorded(live):
        return None
    names = live.secret_names
    return None if names and not sent_these_secrets(live.tags, names) else {}


def live_secret_names(live: Endpoint) -> frozenset[str] | None:
    """The names of the endpoint's secrets as far as the answer says; None when it does not.

    Absent is unknown, and so is an answer naming none (``{}``) where endpointctl's record says the last
    secrets it sent were some: whether the API hides secrets' names behind ``{}`` is not known, so they
    may be there or gone. Without such a record (never sent by endpointctl, an endpoint being adopted, the
    last change sent none) none is none.
    """
    names = live.secret_names
    return None if names is not None and not names and _secrets_recorded(live) else names


def secrets_differ(wanted: Mapping[str, str], live: Endpoint) -> bool:
    """Whether the endpoint's secrets are known not to be named as ``wanted``'s.

    Names the answer gives are compared. Where it hides them behind ``{}``, the record says what
    endpointctl last sent: the manifest's names is no change (read as "none", every run would send them
    again, a redeploy each time); other names, or none wanted, is a change (names added or dropped, every
    one removed), sent once, the record with it. Absent is never drift.
    """
    reported = live_secret_names(live)
    if reported is not None:
        return reported != frozenset(wanted)
    return live.secret_names is not None and not sent_these_secrets(live.tags, wanted)
