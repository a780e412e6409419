"""PURE: what a message suggests: the "did you mean" of an unknown word (a key, a region, a holiday code),
and the endpointctl command a hint gives to run next on one endpoint."""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Sequence
from typing import Any

from endpointctl.core.targets import namespace_key


def did_you_mean(word: Any, choices: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for the closest of ``choices``, or "" when none is close or it is ``word``.

    Case-insensitive, so `InstanceType`, `GPU` or `Intel-SPR` still find their match.
    """
    if not isinstance(word, str):
        return ""
    lowered = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1)
    return f" (did you mean '{lowered[close[0]]}'?)" if close and lowered[close[0]] != word else ""


def command_for(verb: str, namespace: str, *args: str, implied: str | None = None) -> str:
    """``endpointctl VERB ARGS... --namespace NAMESPACE``, quoted for a shell: a command a hint suggests
    for an endpoint of ``namespace`` (or for the namespace itself, with no ARGS).

    Every such suggestion is built here. Pasted, one without the namespace acts where a command given none
    lands: `endpointctl resume b1` for acme/b1 failed there, or resumed another b1, which then billed. So
    the namespace is left out only when it is ``implied``: where that command lands without --namespace
    (the token's own namespace, when the command that suggests it was given none either; None when that
    is not known, and the namespace is always named).
    """
    words = ["endpointctl", verb, *args]
    if implied is None or namespace_key(implied) != namespace_key(namespace):
        words += ["--namespace", namespace]
    return shlex.join(words)


def manifest_command(
    verb: str, manifest: str, namespace: str | None, *flags: str, implied: str | None = None
) -> str:
    """``endpointctl VERB FILE FLAGS...`` for the endpoint a manifest file names, to run as pasted.

    ``namespace``: the run's own --namespace / ENDPOINTCTL_NAMESPACE (None: it had none, the token's user).
    Given again, the file's documents naming no namespace land where they did; the endpoint's own
    namespace instead would move them there (creating them: a second, billed endpoint), and leaving a
    given one out would move them to the token's user. A document naming its own is not moved by it. A
    file whose name starts with "-" is given as ``./-x.yaml``, or it
    would read as an option.
    """
    path = f"./{manifest}" if manifest.startswith("-") else manifest
    if namespace is None:
        return shlex.join(["endpointctl", verb, path, *flags])
    return command_for(verb, namespace, path, *flags, implied=implied)
