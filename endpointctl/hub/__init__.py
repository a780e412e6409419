"""The only package that imports huggingface_hub; raw API dicts stop here."""

from endpointctl.hub.client import Hub
from endpointctl.hub.session import TokenInfo, resolve_token

__all__ = ["Hub", "TokenInfo", "resolve_token"]
