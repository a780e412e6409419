"""PURE: scrub secret values from any text before it leaves the process.

Every stream endpointctl writes (stdout, stderr, huggingface_hub's debug log) passes through one
``Redactor``. It knows the token and every sensitive value of the loaded manifests (secret values and
registry passwords: ``Desired.sensitive_values``), and also hides their base64 forms, since an API
error may echo a request body in either shape.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

MASK = "***"
# The shortest value a manifest may hold as a secret (a ``spec.model.secrets`` value or an image's registry
# password): ``manifest.load`` refuses shorter ones, and the redactor ignores shorter values and base64
# fragments. The two must agree. Masking every occurrence of a short string would garble ordinary output
# ("main", "x2", a port) and so reveal the value anyway, by where the masks fall; refusing it up front is
# the only honest answer. Hugging Face tokens are far longer (hf_ plus 34 characters).
MIN_SECRET_LENGTH = 8


def _masked_forms(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {secret}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(raw).decode()
        forms.add(encoded)
        forms.add(encoded.rstrip("="))
        # Inside a longer base64 text (an API echoing a whole request body encoded) the secret starts at
        # one of three byte offsets; at each, only the characters that encode its bytes alone are fixed.
        for shift in range(3):
            shifted = encode(b"\0" * shift + raw).decode()
            first = -(-8 * shift // 6)  # the first character without bits of the bytes before
            last = 8 * (shift + len(raw)) // 6  # the first character with bits of the bytes after
            forms.add(shifted[first:last])
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Shared by every writer of one process (the output sink, the hub's debug log, progress displays).

    Secrets are added from any thread while others scrub. Without a lock (this layer has no threads):
    ``list.append`` is atomic, and ``scrub`` rebuilds the masked forms whenever the number of secrets it
    last built them from has changed, from a copy of the list. A form built from an older copy is
    replaced at the next call, so no secret is ever dropped.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._built: tuple[int, tuple[str, ...]] = (0, ())
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            # Once is enough (the token is added by more than one owner); a rare duplicate from a race
            # costs only a rebuild.
            if secret and len(secret) >= MIN_SECRET_LENGTH and secret not in self._secrets:
                self._secrets.append(secret)

    def _current(self) -> tuple[str, ...]:
        count, forms = self._built
        if count != len(self._secrets):
            secrets = list(self._secrets)
            found: set[str] = set()
            for secret in secrets:
                found |= _masked_forms(secret)
            # Longest first, so a secret that contains another is masked whole.
            forms = tuple(sorted(found, key=len, reverse=True))
            self._built = (len(secrets), forms)
        return forms

    def scrub(self, text: str) -> str:
        for form in self._current():
            if form in text:
                text = text.replace(form, MASK)
        return text
