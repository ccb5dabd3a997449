"""Registry for `python manage.py bench <name>`.

Each app declares its benchmarks in `<app>/benchmarks.py` with `@benchmark("name")`; the `bench`
command autodiscovers them, so no app imports upwards. A benchmark measures the figure and its
baseline in the same run and returns a `BenchResult`; the command prints the closing line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

BenchFunction = Callable[..., "BenchResult"]

_REGISTRY: dict[str, tuple[BenchFunction, str]] = {}


@dataclass(frozen=True)
class BenchResult:
    """The headline figure of a benchmark, and what it is compared with."""

    figure: float
    unit: str
    ratio: float
    baseline: str
    details: list[str] = field(default_factory=list)

    def closing_line(self, name: str) -> str:
        return f"bench {name}: {self.figure:,.0f} {self.unit} ({self.ratio:.1f}x vs {self.baseline})"


def benchmark(name: str, *, help_text: str = "") -> Callable[[BenchFunction], BenchFunction]:
    """Register `function(out=..., **options) -> BenchResult` under `name`."""

    def decorate(function: BenchFunction) -> BenchFunction:
        _REGISTRY[name] = (function, help_text)
        return function

    return decorate


def registered() -> dict[str, tuple[BenchFunction, str]]:
    return dict(_REGISTRY)


def run(name: str, **options: Any) -> BenchResult:
    function, _ = _REGISTRY[name]
    return function(**options)


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction undone at the end: a benchmark leaves the database as it found it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
