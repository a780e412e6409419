"""One exception tree; each error carries its exit code and a hint for what to do next.

The CLI turns an error into the process's exit code in exactly one place (``cli.main``), outcomes in
``cli.exits``; library code raises, it never calls ``sys.exit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # operational: API error, endpoint failed
    USAGE = 2  # invalid usage or manifest
    CHANGES = 3  # plan --detailed-exitcode found changes
    TIMEOUT = 4  # timed out waiting
    INTERRUPTED = 130  # SIGINT / SIGTERM


class EndpointctlError(Exception):
    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(EndpointctlError):
    exit_code = ExitCode.USAGE


class OutputLost(EndpointctlError):
    """Standard output could not be written (a full disk, a closed descriptor, a reader that left): not a
    bug of endpointctl, and what the command did before stays done. ``reader_left``: a pipe's reader
    closed it (`| head`), which is said by no message."""

    def __init__(self, message: str, *, hint: str | None = None, reader_left: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.reader_left = reader_left


@dataclass(frozen=True)
class ManifestIssue:
    """One problem found in a manifest, located precisely enough to fix without searching."""

    file: str
    line: int | None
    path: str  # key path, e.g. "spec.compute.instanceSize" or "metadata.labels.team"
    message: str  # what was found and what is allowed, with a "did you mean" when one fits

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path or '(document)'}: {self.message}"


class ManifestError(UsageError):
    """Every problem in the manifests at once, so one run shows everything to fix."""

    def __init__(
        self, issues: list[ManifestIssue], *, hint: str | None = None, sensitive: tuple[str, ...] = ()
    ) -> None:
        count = len(issues)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the manifests:\n"
            + "\n".join(f"  {issue}" for issue in issues),
            # A check that needs the API (the hardware preflight) found these after reading it: it says so.
            hint=hint or "fix the manifests and run `endpointctl validate` again; no API call was made",
        )
        self.issues = issues
        # The manifests' secret values, read even where validation failed: no output may show them, and
        # a message about another key can quote one (``minReplica: ${API_KEY}``).
        self.sensitive = sensitive


class ConfirmationRequired(UsageError):
    """A destructive action without a terminal to confirm on and without --yes."""


class ApiError(EndpointctlError):
    """The Endpoints API answered with an error, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class NotFound(ApiError):
    pass


class StreamBroke(ApiError):
    """A stream that had opened broke off (a transport error mid-body): following may connect again."""

    def __init__(self, message: str, *, why: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.why = why  # the transport's words: "RemoteProtocolError: ..."


class AuthError(ApiError):
    pass


class Conflict(ApiError):
    pass


class QuotaExceeded(ApiError):
    pass


class OutcomeUnknown(ApiError):
    """A change was sent, and its answer (too large, not JSON, not an endpoint, a 5xx after the last try,
    a success with an error beside it) leaves unknown whether it took effect: neither done nor not done."""


class PartialAnswer(ApiError):
    """A success answer carrying an ``error`` beside what was asked: not whole, so never used."""


class NothingMatched(EndpointctlError):
    """A name or selector matched no endpoint; a scheduled job with a typo must not pass silently."""


class EndpointFailed(EndpointctlError):
    pass


class WaitTimeout(EndpointctlError):
    exit_code = ExitCode.TIMEOUT


class Interrupted(EndpointctlError):
    exit_code = ExitCode.INTERRUPTED

    def __init__(self, message: str, *, hint: str | None = None, outcome_unknown: bool = False) -> None:
        super().__init__(message, hint=hint)
        # Stopped after a change was sent and answered in a way that leaves unknown whether it took
        # effect (as OutcomeUnknown), rather than before it was sent.
        self.outcome_unknown = outcome_unknown
