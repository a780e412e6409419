"""Calling deployed URLs: the client, smoke checks (pure), the smoke runner, JUnit."""
