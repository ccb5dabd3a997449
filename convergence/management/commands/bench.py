from __future__ import annotations

import inspect
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import autodiscover_modules

from convergence import benchmarking


class Command(BaseCommand):
    help = "Run a named benchmark; it ends with one line 'bench <name>: <figure> <unit> (<ratio>x vs <baseline>)'."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", nargs="?", help="benchmark name (omit to list them)")
        parser.add_argument("--rows", type=int, default=None, help="override the row count")
        parser.add_argument("--seed", type=int, default=20261123)
        parser.add_argument(
            "--million", action="store_true", help="also run the benchmark's million-row case (bench import)"
        )
        parser.add_argument(
            "--users", type=int, default=None, help="concurrent clients (bench api; default 50)"
        )
        parser.add_argument(
            "--seconds", type=int, default=None, help="load duration (bench api; default 120)"
        )
        parser.add_argument(
            "--history-years",
            type=int,
            default=None,
            help="spread the demo's measurements over this many years, rolled back (bench prevalence)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("benchmarks")
        available = benchmarking.registered()
        name = options["name"]
        if not name:
            for key, (_, help_text) in sorted(available.items()):
                self.stdout.write(f"{key}: {help_text}")
            return
        if name not in available:
            raise CommandError(f"unknown benchmark {name!r}; known: {', '.join(sorted(available))}")
        extra = {}
        if options["million"]:
            function, _help = available[name]
            if "million" not in inspect.signature(function).parameters:
                raise CommandError(f"benchmark {name!r} has no million-row case")
            extra["million"] = True
        for option in ("users", "seconds", "history_years"):
            if options[option] is not None:
                function, _help = available[name]
                if option not in inspect.signature(function).parameters:
                    raise CommandError(f"benchmark {name!r} takes no --{option.replace('_', '-')}")
                extra[option] = options[option]
        result = benchmarking.run(name, out=self.stdout, rows=options["rows"], seed=options["seed"], **extra)
        for line in result.details:
            self.stdout.write(line)
        self.stdout.write(result.closing_line(name))
