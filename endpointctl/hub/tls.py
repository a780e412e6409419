"""The TLS contexts of the process's HTTP transports: built once, and only when a request needs one.

httpx builds a context, loading the whole CA bundle (~30 ms), for every transport it makes, whether or
not a request ever goes over https. A command makes two (the API's and the deployed URLs'), and a
command against the sandbox, on plain loopback http, needs none. So the verifying context is built on
the first https request and shared by every transport after it (an ``SSLContext`` is meant to be shared
across connections and threads); it is httpx's own default, so ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``
work as they do for huggingface_hub, and a change of either gets a context of its own.
"""

from __future__ import annotations

import os
import ssl
import threading

import httpcore2

_lock = threading.Lock()
_verifying: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def verifying() -> ssl.SSLContext:
    """httpx's default context for the CA settings in the environment now, built once per setting."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _lock:
        context = _verifying.get(key)
        if context is None:
            context = _verifying[key] = httpcore2.default_ssl_context()
        return context


def trusting_nothing() -> ssl.SSLContext:
    """For a transport that carries only plain http requests, so never does TLS: if it ever did, it
    would verify the peer against no trusted certificate at all and fail, never pass unverified."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname by default
    return context
