from __future__ import annotations

from collections import Counter

import pytest

# Requests made by tests/api/test_scope_probe.py, per channel, and the leaks they found.
PROBES: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not PROBES:
        return
    channels = ("api", "pages", "exports", "admin")
    total = sum(PROBES[channel] for channel in channels)
    terminalreporter.write_line(
        f"scope probe: {total} requests ({PROBES['api']} API, {PROBES['pages']} pages, "
        f"{PROBES['exports']} exports, {PROBES['admin']} admin), {PROBES['leaks']} leaks"
    )
