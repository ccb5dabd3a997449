"""The demo district of `python manage.py seed_demo`: a registry of seeding steps and the backbone's own.

This package holds the registry and what the steps share (scales, the district being built); the
backbone's steps are in `regions` (regions, OPD, lokus) and `users` (demo users and their logins).

Each app adds its demo data in `<app>/demo.py` with `@demo_step(order, name)` (and, when its rows must
go before the regions they point at, `@demo_cleanup(order, name)` for `--reset`); the command
autodiscovers those modules, so no app imports upwards. Steps run in `order` (the backbone uses 10-40;
later apps use 100 and above) inside one transaction. Each step draws from its own
`random.Random(f"{seed}:{name}")` (`step_rng`), so adding or changing a step never changes what the
others generate.

`province_seed` runs the steps once per kabupaten of a province (`seed_demo --kabupaten N`): every
kabupaten has the first one's shape, with its own codes (35.60, 35.61, ...), names and users.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.core.management.base import OutputWrapper
from django.utils.formats import number_format

from convergence.models import OPD, Posyandu, Puskesmas, Region, User

StepFunction = Callable[..., None]

PROVINSI_CODE = "35"
PROVINSI_NAME = "JAWA TIMUR"
# A fictional kabupaten: Jawa Timur's real kabupaten are numbered 01-29 and its kota 71-79, so 35.60
# collides with no official code and a real region list can be loaded beside the demo.
KABUPATEN_CODE = "35.60"
KABUPATEN_NAME = "SUKAMAJU"
# The capital kecamatan carries the kabupaten's name, as is usual.
CAPITAL_NAME = "SUKAMAJU"
# `--kabupaten N` seeds N fictional kabupaten of the province, 35.60 to 35.69 (still clear of the
# official codes); none of these names can be drawn as a kecamatan or desa name.
KABUPATEN_NAMES = (
    KABUPATEN_NAME,
    "MEKARSARI",
    "BINANGUN",
    "PAGERWANGI",
    "TIRTAMULYA",
    "SEKARWANGI",
    "CAHAYAMUKTI",
    "GIRIWANGI",
    "LAMBANGSARI",
    "MANGUNJAYA",
)
MAX_KABUPATEN = len(KABUPATEN_NAMES)


def kabupaten_code(number: int) -> str:
    """The code of the `number`-th demo kabupaten (1-based): 35.60, 35.61, ..."""
    return f"{PROVINSI_CODE}.{int(KABUPATEN_CODE[3:]) + number - 1:02d}"


def kabupaten_seed(seed: int, number: int) -> int:
    """The seed of the `number`-th kabupaten's names: the run's seed for the first, derived for the others."""
    if number == 1:
        return seed
    return random.Random(f"{seed}:kabupaten:{number}").getrandbits(48)


class DemoError(Exception):
    """The demo district cannot be seeded (the message says why, in Bahasa Indonesia)."""


@dataclass(frozen=True)
class DemoScale:
    """Orders of magnitude of the synthetic kabupaten (field studies: 10-20 kecamatan, 150-250 desa)."""

    name: str
    kecamatan_count: int
    desa_total: int  # desa and kelurahan together
    kelurahan_count: int  # all in the capital kecamatan
    posyandu_per_desa: tuple[int, int]  # inclusive range
    # Children 0-59 months: the sum of Posyandu.target_balita, and how many named children a later
    # step registers.
    children_total: int
    # Stunting prevalence (share of children measured) at the start and the end of the demo history.
    stunting_prevalence: tuple[float, float] = (0.27, 0.21)
    months_of_history: int = 24
    lokus_share: tuple[float, float] = (0.10, 0.15)  # share of desa chosen as lokus each year


SCALES: dict[str, DemoScale] = {
    "small": DemoScale(
        name="small",
        kecamatan_count=15,
        desa_total=200,
        kelurahan_count=5,
        posyandu_per_desa=(3, 6),
        children_total=10_000,
    ),
    "large": DemoScale(
        name="large",
        kecamatan_count=20,
        desa_total=250,
        kelurahan_count=7,
        posyandu_per_desa=(5, 9),
        children_total=120_000,
    ),
    # One kabupaten of `bench province`: about 500,000 measurements (18-19 a child over the 24 months),
    # so that four of them seed in minutes and still weigh like a real district.
    "province": DemoScale(
        name="province",
        kecamatan_count=18,
        desa_total=220,
        kelurahan_count=6,
        posyandu_per_desa=(3, 6),
        children_total=27_500,
    ),
    # A few kecamatan and desa: enough for every step (lokus, two-puskesmas kecamatan, PMT) to run, small
    # enough to seed a kabupaten in seconds (tests that seed in a separate process, a quick look).
    "tiny": DemoScale(
        name="tiny",
        kecamatan_count=4,
        desa_total=30,
        kelurahan_count=2,
        posyandu_per_desa=(3, 5),
        children_total=600,
        months_of_history=13,
    ),
}


@dataclass(frozen=True)
class DemoLogin:
    """One line of the logins table printed at the end."""

    username: str
    role: str
    unit: str
    password: str


@dataclass
class DemoDistrict:
    """What the steps have created so far, for the steps after them; filled in step order."""

    today: date
    number: int = 1  # 1-based position of this kabupaten in the province (`--kabupaten N`)
    # Seed of what tells this kabupaten apart (place names, passwords, API token): `kabupaten_seed`.
    name_seed: int = 0
    provinsi: Region = field(init=False)
    kabupaten: Region = field(init=False)
    kecamatan: list[Region] = field(default_factory=list)
    desa: list[Region] = field(default_factory=list)  # desa and kelurahan, by code
    puskesmas: list[Puskesmas] = field(default_factory=list)
    posyandu: list[Posyandu] = field(default_factory=list)  # by desa code, then code
    # Relative stunting burden of each desa (1.0 = the kabupaten's average), by desa code: lokus are
    # drawn from the high-burden desa, and later steps can shape their data by it.
    desa_burden: dict[str, float] = field(default_factory=dict)
    opd: dict[str, OPD] = field(default_factory=dict)  # by code
    lokus: dict[int, list[Region]] = field(default_factory=dict)  # by year
    users: dict[str, User] = field(default_factory=dict)  # by username
    logins: list[DemoLogin] = field(default_factory=list)
    api_token: str = ""
    summary: list[tuple[str, str]] = field(default_factory=list)
    # (step name, wall seconds, CPU seconds of this process) in the order the steps ran.
    timings: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def kabupaten_code(self) -> str:
        return kabupaten_code(self.number)

    @property
    def kabupaten_name(self) -> str:
        return KABUPATEN_NAMES[self.number - 1]

    @property
    def username_suffix(self) -> str:
        """Empty for the first kabupaten (the usual demo logins), `_2`, `_3`, ... for the others."""
        return "" if self.number == 1 else f"_{self.number}"

    def count(self, label: str, value: int) -> None:
        """Add a line `label: value` to the summary printed after seeding."""
        self.summary.append((label, number_format(value, force_grouping=True)))


@dataclass(frozen=True)
class _Registered:
    order: int
    name: str
    function: StepFunction


_STEPS: dict[str, _Registered] = {}
_CLEANUPS: dict[str, _Registered] = {}


def demo_step(order: int, name: str) -> Callable[[StepFunction], StepFunction]:
    """Register `step(*, rng_seed, scale, district, out) -> None` to run at `order` under `name`."""

    def decorate(function: StepFunction) -> StepFunction:
        _STEPS[name] = _Registered(order, name, function)
        return function

    return decorate


def demo_cleanup(order: int, name: str) -> Callable[[StepFunction], StepFunction]:
    """Register `cleanup(*, kabupaten, out) -> None` for `--reset`; cleanups run in descending order."""

    def decorate(function: StepFunction) -> StepFunction:
        _CLEANUPS[name] = _Registered(order, name, function)
        return function

    return decorate


def registered_steps() -> list[tuple[int, str]]:
    """(order, name) of the registered steps, in the order they run."""
    return [(step.order, step.name) for step in sorted(_STEPS.values(), key=lambda s: (s.order, s.name))]


def step_rng(rng_seed: int, name: str) -> random.Random:
    """The random generator of step `name`: independent of every other step's draws."""
    return random.Random(f"{rng_seed}:{name}")


def district_kabupaten() -> Region | None:
    """The (first) demo kabupaten if it has been seeded."""
    return Region.objects.filter(code=KABUPATEN_CODE).first()


def district_kabupaten_all() -> list[Region]:
    """Every seeded demo kabupaten of the province, by code."""
    codes = [kabupaten_code(number) for number in range(1, MAX_KABUPATEN + 1)]
    return list(Region.objects.filter(code__in=codes).order_by("code"))


def district_seed(
    *, seed: int, scale: DemoScale, today: date, out: OutputWrapper, number: int = 1
) -> DemoDistrict:
    """Run every registered step in order for the `number`-th kabupaten; the caller holds the transaction.

    Every kabupaten has the same shape (the steps draw from `seed`: same desa and posyandu counts,
    children and measurements, so that a province of N kabupaten is N times the work of one); its codes,
    usernames and the names drawn from `district.name_seed` tell it apart. The first kabupaten is
    exactly the one-kabupaten demo.
    """
    if not 1 <= number <= MAX_KABUPATEN:
        raise ValueError(f"kabupaten number {number} outside 1..{MAX_KABUPATEN}")
    district = DemoDistrict(today=today, number=number, name_seed=kabupaten_seed(seed, number))
    for step in sorted(_STEPS.values(), key=lambda s: (s.order, s.name)):
        started, started_cpu = time.monotonic(), time.process_time()
        step.function(rng_seed=seed, scale=scale, district=district, out=out)
        district.timings.append((step.name, time.monotonic() - started, time.process_time() - started_cpu))
    return district


def province_seed(
    *, seed: int, scale: DemoScale, today: date, out: OutputWrapper, kabupaten_count: int = 1
) -> list[DemoDistrict]:
    """Seed `kabupaten_count` demo kabupaten of the province, each a full demo district; the caller
    holds the transaction."""
    return [
        district_seed(seed=seed, scale=scale, today=today, out=out, number=number)
        for number in range(1, kabupaten_count + 1)
    ]


def district_delete(*, kabupaten: Region, out: OutputWrapper) -> None:
    """Delete the demo kabupaten's data, the latest steps' rows first; the caller holds the transaction."""
    for cleanup in sorted(_CLEANUPS.values(), key=lambda s: (s.order, s.name), reverse=True):
        cleanup.function(kabupaten=kabupaten, out=out)


# The backbone's steps and those of the eight actions, TPPS and meetings register themselves with the
# functions above when imported (so these imports come last); the names other modules use are re-exported.
from convergence import demo_actions  # noqa: E402, F401
from convergence.demo import regions  # noqa: E402, F401
from convergence.demo.users import (  # noqa: E402, F401
    API_USERNAME,
    DEMO_USERNAMES,
    PROVINCE_USERNAMES,
    DemoLogins,
    demo_password,
    demo_token,
    logins_refresh,
)
