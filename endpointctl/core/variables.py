"""PURE: ``ENDPOINTCTL_VARIABLES``, the manifests' ``${VAR}`` values given as one text instead of one
environment variable each: a ``NAME=value`` a line; blank lines and lines starting with ``#`` are skipped,
a line's trailing CR is dropped (a secret saved on Windows), and a value is everything after the first
``=``, spaces included.

Every value given here is treated as a secret, whatever the manifest does with it: masked in all output
from the start of the run (``sensitive``), as the GitHub workflows mask each one in the log — every value
the redactor masks at all (``MIN_SECRET_LENGTH`` characters or more: a shorter one would mask ordinary
words). Give values that are not secret through the environment.

Why it exists: a CI secret holding every value (the GitHub workflows' ``ENDPOINT_SECRETS``) once had to be
exported a variable a line, and a line named ``PATH``, ``LD_PRELOAD``, ``HTTPS_PROXY`` or one of the step's
own inputs changed what the step ran — no list of refused names is ever complete. Read here, a name reaches
nothing but the manifests' expansion. A value given here wins over an environment variable of that name.

No message here ever shows a value, or a line that is not ``NAME=value`` (it may be a pasted secret).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

VARIABLES = "ENDPOINTCTL_VARIABLES"
NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"  # a variable name, as ${NAME} and this text take it
_NAME = re.compile(NAME_PATTERN)

# The one definition of a variable the runner sets for itself: its own logins (a CI system's job token,
# a cloud's keys, the Hub token endpointctl runs with) and what every process already holds. Set on any
# runner, a ``${NAME}`` of such a name would never be unset, so nothing would stop a plan that sends it
# as a secret: it would send the runner's own credential. So ``export`` never writes a secret's
# placeholder under such a name (it prefixes it, ``SECRET_CI_JOB_TOKEN``), and a manifest's secret or
# registry password may not read one (manifest/interpolate.py).
_RUNNER_NAMES = frozenset(
    {
        *("PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "OLDPWD", "HOSTNAME", "TERM", "TZ", "MAIL"),
        *("LANG", "LANGUAGE", "TMPDIR", "TMP", "TEMP", "EDITOR", "VISUAL", "PAGER", "DISPLAY", "CI"),
        *("VIRTUAL_ENV", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "IFS", "PS1", "UID", "EUID"),
        *("NETRC", "KUBECONFIG", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "NPM_TOKEN", "PYPI_TOKEN"),
    }
)
_RUNNER_PREFIXES = (
    # The Hub and endpointctl itself.
    *("HF_", "HUGGING_FACE_", "HUGGINGFACE_", "ENDPOINTCTL_"),
    # CI systems: GitHub Actions, GitLab, and others' own job variables and tokens.
    *("GITHUB_", "ACTIONS_", "RUNNER_", "CI_", "GITLAB_", "BITBUCKET_", "CIRCLE_", "BUILDKITE_"),
    *("TRAVIS_", "JENKINS_", "DRONE_", "TF_BUILD", "SYSTEM_", "AGENT_", "BUILD_"),
    # Clouds' SDK logins.
    *("AWS_", "AZURE_", "ARM_", "GOOGLE_", "GCP_", "GCLOUD_", "CLOUDSDK_"),
    # The machine's own.
    *("LC_", "XDG_", "SSH_", "LD_", "DYLD_", "PYTHON", "KUBERNETES_", "DOCKER_"),
)


def runner_variable(name: str) -> bool:
    """Whether ``name`` is a variable a runner sets for itself (its login, its cloud's keys, ``PATH``), so
    never the source of a manifest's secret."""
    return name in _RUNNER_NAMES or name.startswith(_RUNNER_PREFIXES)


class VariablesError(ValueError):
    """Lines of ``ENDPOINTCTL_VARIABLES`` that are not ``NAME=value``, by line number."""


def parse(text: str) -> dict[str, str]:
    """The values ``text`` gives, by name; raises naming every bad line at once."""
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    problems: list[str] = []
    # "\n" only: str.splitlines would also cut a value at a form feed, a U+2028 or a "\x1c".
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r")
        if not line.strip() or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not _NAME.fullmatch(name):
            problems.append(f"line {number} is not NAME=value (a letter or _, then letters, digits or _)")
        elif name in values:  # the name unsaid: a secret pasted whole can read as a NAME=value line
            problems.append(f"line {number} repeats the name of line {lines[name]}")
        else:
            values[name], lines[name] = value, number
    if problems:
        raise VariablesError(f"{VARIABLES}: " + "; ".join(problems))
    return values


def sensitive(text: str) -> list[str]:
    """Every value ``text`` may hold, read leniently (before it is checked): what follows each line's first
    ``=``, and whole each line that is not ``NAME=value``, or whose value is no more than ``=`` (a
    base64 or base32 secret pasted whole reads as a NAME and its padding), so that even a malformed text
    shows none."""
    found: list[str] = []
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")
        name, equals, value = line.partition("=")
        if value.strip("="):
            found.append(value)
        if not equals or not _NAME.fullmatch(name) or not value.strip("="):
            found.append(line)
    return [value for value in found if value.strip()]


def interpolation_environment(environ: Mapping[str, str]) -> Mapping[str, str]:
    """What the manifests' ``${VAR}``s read: the environment, with ``ENDPOINTCTL_VARIABLES``'s values over
    it and the variable itself left out (no manifest needs every value at once)."""
    text = environ.get(VARIABLES)
    if text is None:
        return environ
    merged = {name: value for name, value in environ.items() if name != VARIABLES}
    merged.update(parse(text))
    return merged
