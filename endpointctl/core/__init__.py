"""PURE: errors, settings, typed models (desired and observed), diff, plan, readiness, redaction.

Nothing here touches the network, the clock, threads, click, huggingface_hub or ``os.environ``.
"""
