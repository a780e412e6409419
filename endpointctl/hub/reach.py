"""Whether the API has answered yet: an address nothing answers at fails fast, with where it came from.

The retry budget (ENDPOINTCTL_RETRY_SECONDS, five minutes by default) is for faults in the middle of a
run. Before the API has answered anything at all, a refused connection, a DNS failure or a timeout most
likely means a wrong address or no network: waiting five minutes to say so helps no one. Until the first
answer, an operation that gets none gives up after ``FIRST_CONTACT_SECONDS``, naming the host and the
setting it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from endpointctl.core.errors import ApiError, OutcomeUnknown
from endpointctl.hub.retry import Failure, Operation

FIRST_CONTACT_SECONDS = 20.0


@dataclass
class Reach:
    base: str  # the API's address
    source: str  # what set it, for the message: "ENDPOINTCTL_API_URL", "--sandbox", ...
    answered: bool = False

    def note(self, failure: Failure | None, op: Operation) -> None:
        """A failed attempt: any HTTP answer proves the address; none, before any, shortens the wait."""
        if failure is None:
            return
        if failure.status is not None:
            self.answered = True
        elif not self.answered:
            op.deadline = min(op.deadline, op.started + FIRST_CONTACT_SECONDS)

    def explain(self, error: ApiError) -> ApiError:
        """``error`` with where the address came from, when nothing has ever answered at it."""
        if self.answered or error.status is not None:
            return error
        host = urlsplit(self.base).netloc or self.base
        # A change whose outcome is unknown stays so: the executor tells it from a plain failure.
        kind = OutcomeUnknown if isinstance(error, OutcomeUnknown) else ApiError
        return kind(
            f"{error.message}; nothing has answered at {host} in this run "
            f"(the address comes from {self.source})",
            hint="; ".join(filter(None, [f"check {self.source}, the network and any proxy", error.hint])),
        )
