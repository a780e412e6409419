"""The only package that imports huggingface_hub; raw API dicts stop here.

- ``client``: ``Hub``, the endpoint operations (list, get, create, update, pause, resume, delete, ...)
- ``process``: huggingface_hub's process-wide state (HTTP client, debug-log scrubbing, base URL), set once
- ``retry``: per-operation retries; ``failures``: what a failed call means; ``wording``: what it says
- ``whoami``: the token's owner, asked once; ``token``: reading the stored login
- ``revisions``: a branch or tag of a model repository on the Hub, looked up as the commit it names
- ``models``: a model's task and size on the Hub; ``catalog``: the Inference Catalog and its recipes
- ``requests`` / ``responses``: desired specs to call arguments, raw answers to typed endpoints
- ``logs``: an endpoint's logs (read as they arrive, bounded) and replicas: routes huggingface_hub lacks
"""

from endpointctl.hub.client import Created, Hub
from endpointctl.hub.token import read_token

__all__ = ["Created", "Hub", "read_token"]
