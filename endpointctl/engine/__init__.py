"""Effects on an injected hub and clock: the executor, the waiter, the one polling loop, locks."""
