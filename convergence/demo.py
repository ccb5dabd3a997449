"""The demo district of `python manage.py seed_demo`: a registry of seeding steps and the backbone's own.

Each app adds its demo data in `<app>/demo.py` with `@demo_step(order, name)` (and, when its rows must
go before the regions they point at, `@demo_cleanup(order, name)` for `--reset`); the command
autodiscovers those modules, so no app imports upwards. Steps run in `order` (the backbone uses 10-40;
later apps use 100 and above) inside one transaction. Each step draws from its own
`random.Random(f"{seed}:{name}")` (`step_rng`), so adding or changing a step never changes what the
others generate.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from axes.models import AccessAttempt
from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import OutputWrapper
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from convergence.codes import Level
from convergence.models import OPD, DesaLokus, Posyandu, Puskesmas, Region, Role, User

StepFunction = Callable[..., None]

PROVINSI_CODE = "35"
PROVINSI_NAME = "JAWA TIMUR"
# A fictional kabupaten: Jawa Timur's real kabupaten are numbered 01-29 and its kota 71-79, so 35.60
# collides with no official code and a real region list can be loaded beside the demo.
KABUPATEN_CODE = "35.60"
KABUPATEN_NAME = "SUKAMAJU"
# The capital kecamatan carries the kabupaten's name, as is usual.
CAPITAL_NAME = "SUKAMAJU"


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
    """The demo kabupaten if it has been seeded."""
    return Region.objects.filter(code=KABUPATEN_CODE).first()


def district_seed(*, seed: int, scale: DemoScale, today: date, out: OutputWrapper) -> DemoDistrict:
    """Run every registered step in order; the caller holds the transaction."""
    district = DemoDistrict(today=today)
    for step in sorted(_STEPS.values(), key=lambda s: (s.order, s.name)):
        step.function(rng_seed=seed, scale=scale, district=district, out=out)
    return district


def district_delete(*, kabupaten: Region, out: OutputWrapper) -> None:
    """Delete the demo kabupaten's data, the latest steps' rows first; the caller holds the transaction."""
    for cleanup in sorted(_CLEANUPS.values(), key=lambda s: (s.order, s.name), reverse=True):
        cleanup.function(kabupaten=kabupaten, out=out)


# --- Names -------------------------------------------------------------------------------------------

_PREFIXES = (
    "SUKA",
    "KARANG",
    "SUMBER",
    "TEGAL",
    "WONO",
    "SIDO",
    "REJO",
    "MOJO",
    "JATI",
    "KEDUNG",
    "NGADI",
    "PURWO",
    "GUNUNG",
    "TANJUNG",
    "KALI",
    "BANYU",
    "SRI",
    "TAMAN",
)
_SUFFIXES = (
    "MAKMUR",
    "REJO",
    "SARI",
    "JAYA",
    "MULYO",
    "AGUNG",
    "HARJO",
    "ASRI",
    "WANGI",
    "URIP",
    "KERTO",
    "DADI",
    "LUHUR",
    "ARUM",
    "KARYA",
    "LESTARI",
    "MUKTI",
    "ANOM",
)
_FLOWERS = (
    "Mawar",
    "Melati",
    "Anggrek",
    "Kenanga",
    "Dahlia",
    "Flamboyan",
    "Cempaka",
    "Teratai",
    "Seruni",
    "Bougenville",
    "Kamboja",
    "Asoka",
    "Nusa Indah",
    "Kemuning",
    "Sedap Malam",
)


def _place_names(rng: random.Random) -> Iterator[str]:
    """Unique place names such as SUKAMAKMUR, KARANGREJO, SUMBERSARI (324 combinations)."""
    names = [
        prefix + suffix
        for prefix in _PREFIXES
        for suffix in _SUFFIXES
        if prefix != suffix and prefix + suffix != CAPITAL_NAME
    ]
    rng.shuffle(names)
    return iter(names)


def _allocate(total: int, weights: Sequence[float], minimums: Sequence[int]) -> list[int]:
    """Split `total` into integers proportional to `weights`, each at least its minimum (largest remainder)."""
    rest = total - sum(minimums)
    if rest < 0:
        raise ValueError("total too small for the minimums")
    weight_sum = sum(weights)
    quotas = [rest * weight / weight_sum for weight in weights]
    shares = [int(quota) for quota in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_remainder[: rest - sum(shares)]:
        shares[i] += 1
    return [minimum + share for minimum, share in zip(minimums, shares, strict=True)]


# --- Regions, puskesmas, posyandu ----------------------------------------------------------------------


@demo_step(10, "wilayah")
def seed_regions(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Kabupaten, kecamatan, desa/kelurahan, puskesmas (with their desa) and posyandu with sasaran balita."""
    rng = step_rng(rng_seed, "wilayah")
    names = _place_names(rng)
    provinsi, _created = Region.objects.get_or_create(
        code=PROVINSI_CODE, defaults={"name": PROVINSI_NAME, "level": Level.PROVINSI.value}
    )
    kabupaten = Region.objects.create(
        code=KABUPATEN_CODE, name=KABUPATEN_NAME, level=Level.KABUPATEN.value, parent=provinsi
    )
    kecamatan = Region.objects.bulk_create(
        Region(
            code=f"{KABUPATEN_CODE}.{number:02d}",
            name=CAPITAL_NAME if number == 1 else next(names),
            level=Level.KECAMATAN.value,
            parent=kabupaten,
        )
        for number in range(1, scale.kecamatan_count + 1)
    )
    # Kecamatan hold 5 to about 25 desa; the capital also holds every kelurahan.
    desa_counts = _allocate(
        scale.desa_total,
        [rng.lognormvariate(0.0, 0.45) for _ in kecamatan],
        [scale.kelurahan_count + 3, *[5] * (len(kecamatan) - 1)],
    )
    desa_by_kecamatan: list[list[Region]] = []
    size: dict[str, float] = {}
    for position, (kec, count) in enumerate(zip(kecamatan, desa_counts, strict=True)):
        kelurahan = scale.kelurahan_count if position == 0 else 0
        rows = []
        for index in range(count):
            is_kelurahan = index < kelurahan
            number = 1001 + index if is_kelurahan else 2001 + index - kelurahan
            region = Region(
                code=f"{kec.code}.{number}",
                name=next(names),
                level=(Level.KELURAHAN if is_kelurahan else Level.DESA).value,
                parent=kec,
            )
            # Kelurahan are the dense town centre: more children, a little less stunting.
            size[region.code] = rng.lognormvariate(0.0, 0.4) * (1.8 if is_kelurahan else 1.0)
            district.desa_burden[region.code] = round(
                rng.lognormvariate(0.0, 0.3) * (0.8 if is_kelurahan else 1.0), 3
            )
            rows.append(region)
        desa_by_kecamatan.append(rows)

    # One puskesmas per kecamatan, two in the three with most desa (each covers half of them).
    largest = sorted(range(len(kecamatan)), key=lambda i: (-desa_counts[i], i))[:3]
    puskesmas: list[Puskesmas] = []
    coverage: list[tuple[Puskesmas, list[Region]]] = []
    for position, (kec, rows) in enumerate(zip(kecamatan, desa_by_kecamatan, strict=True)):
        halves = [rows[: len(rows) // 2], rows[len(rows) // 2 :]] if position in largest else [rows]
        for serial, covered in enumerate(halves, start=1):
            name = kec.name if serial == 1 else covered[0].name
            unit = Puskesmas(
                kecamatan=kec, code=f"P{kec.code.replace('.', '')}{serial:02d}", name=name.title()
            )
            puskesmas.append(unit)
            coverage.append((unit, covered))
    Puskesmas.objects.bulk_create(puskesmas)
    for unit, covered in coverage:
        for region in covered:
            region.puskesmas = unit
    desa = Region.objects.bulk_create(region for rows in desa_by_kecamatan for region in rows)

    # Bigger desa run more posyandu; each posyandu's sasaran balita follows the desa's size.
    low, high = scale.posyandu_per_desa
    rank = {code: i for i, code in enumerate(sorted(size, key=lambda code: (size[code], code)))}
    posyandu: list[Posyandu] = []
    weights: list[float] = []
    for region in desa:
        share = rank[region.code] / max(len(desa) - 1, 1)
        count = min(high, max(low, low + round(share * (high - low)) + rng.choice((-1, 0, 0, 1))))
        flowers = rng.sample(_FLOWERS, count)
        rw = sorted(rng.sample(range(1, max(count + 3, 8) + 1), count))
        for index in range(count):
            posyandu.append(
                Posyandu(desa=region, code=f"P{index + 1:02d}", name=flowers[index], rw=f"{rw[index]:02d}")
            )
            weights.append(size[region.code] / count * rng.uniform(0.7, 1.3))
    for post, target in zip(
        posyandu, _allocate(scale.children_total, weights, [1] * len(weights)), strict=True
    ):
        post.target_balita = target
    Posyandu.objects.bulk_create(posyandu, batch_size=1000)

    district.provinsi, district.kabupaten = provinsi, kabupaten
    district.kecamatan, district.desa = kecamatan, desa
    district.puskesmas, district.posyandu = puskesmas, posyandu
    district.count(_("Kecamatan"), len(kecamatan))
    district.count(_("Desa"), sum(1 for region in desa if region.level == Level.DESA))
    district.count(_("Kelurahan"), sum(1 for region in desa if region.level == Level.KELURAHAN))
    district.count(_("Puskesmas"), len(puskesmas))
    district.count(_("Posyandu"), len(posyandu))
    district.count(_("Sasaran balita (0-59 bulan)"), sum(unit.target_balita for unit in posyandu))


# --- OPD ---------------------------------------------------------------------------------------------

# (code, name, short name, tupoksi in the convergence); the usual kabupaten mapping of responsibilities.
_OPD_CATALOGUE = (
    (
        "BAPPEDA",
        "Badan Perencanaan Pembangunan Daerah",
        "Bappeda",
        "Koordinator dan sekretariat konvergensi: perencanaan, penganggaran, dan pengelolaan data stunting.",
    ),
    (
        "DINKES",
        "Dinas Kesehatan",
        "Dinkes",
        "Intervensi spesifik: e-PPGBM, PMT, tablet tambah darah, imunisasi, STBM.",
    ),
    ("DINSOS", "Dinas Sosial", "Dinsos", "Perlindungan sosial: PKH, BPNT, PBI JKN."),
    ("DISDIK", "Dinas Pendidikan", "Disdik", "Layanan PAUD dan kelas pengasuhan."),
    (
        "DP3AP2KB",
        "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana",
        "DP3AP2KB",
        "KB, Tim Pendamping Keluarga, pendampingan keluarga berisiko stunting, perlindungan perempuan dan anak.",
    ),
    (
        "PERTANIAN",
        "Dinas Pertanian",
        "Pertanian",
        "Akses pangan dan pemanfaatan pekarangan (KRPL) keluarga berisiko stunting.",
    ),
    ("DLH", "Dinas Lingkungan Hidup", "DLH", "Sanitasi lingkungan dan pengelolaan sampah rumah tangga."),
    (
        "PUPR",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "PUPR",
        "Air minum layak dan sanitasi layak (jamban, SPAL).",
    ),
    (
        "DPMD",
        "Dinas Pemberdayaan Masyarakat dan Desa",
        "PMD",
        "Pemerintahan desa, pembinaan KPM, penggunaan Dana Desa untuk konvergensi.",
    ),
    (
        "DISDUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil",
        "Disdukcapil",
        "NIK dan akta kelahiran anak.",
    ),
    (
        "PERIKANAN",
        "Dinas Perikanan",
        "Perikanan",
        "Promosi gemar makan ikan bagi keluarga berisiko stunting.",
    ),
    (
        "DKP",
        "Dinas Ketahanan Pangan",
        "Ketahanan Pangan",
        "Ketersediaan, akses, dan keanekaragaman pangan keluarga.",
    ),
    (
        "DISKOMINFO",
        "Dinas Komunikasi dan Informatika",
        "Diskominfo",
        "Publikasi dan kampanye perubahan perilaku tentang stunting.",
    ),
    # A vertical office of the ministry, not an OPD, yet a member of every TPPS through its KUA.
    (
        "KEMENAG",
        "Kantor Kementerian Agama",
        "Kemenag",
        "Bimbingan perkawinan dan pendampingan calon pengantin melalui KUA.",
    ),
)


@demo_step(20, "opd")
def seed_opd(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """The kabupaten's OPD catalogue, Bappeda as the leading sector."""
    rows = OPD.objects.bulk_create(
        OPD(
            kabupaten=district.kabupaten,
            code=code,
            name=name,
            short_name=short_name,
            is_leading_sector=code == "BAPPEDA",
            tupoksi=tupoksi,
        )
        for code, name, short_name, tupoksi in _OPD_CATALOGUE
    )
    district.opd = {row.code: row for row in rows}
    district.count(_("OPD"), len(rows))


# --- Desa lokus --------------------------------------------------------------------------------------


@demo_step(30, "lokus")
def seed_lokus(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """Desa lokus of this year and the previous one, drawn from the high-burden desa, one decree a year."""
    rng = step_rng(rng_seed, "lokus")
    by_burden = sorted(district.desa, key=lambda region: (-district.desa_burden[region.code], region.code))
    rows: list[DesaLokus] = []
    for year in (district.today.year - 1, district.today.year):
        count = round(len(by_burden) * rng.uniform(*scale.lokus_share))
        # The situation analysis ranks desa by burden, but the decree also weighs other criteria.
        chosen = sorted(rng.sample(by_burden[: 2 * count], count), key=lambda region: region.code)
        decree = f"188/{rng.randint(100, 499)}/KEP/429.011/{year}"
        rows.extend(DesaLokus(desa=region, year=year, decree_number=decree) for region in chosen)
        district.lokus[year] = chosen
        district.count(_("Desa lokus %(year)d") % {"year": year}, count)
    DesaLokus.objects.bulk_create(rows)


# --- Users -------------------------------------------------------------------------------------------

# (username, role, first name, last name); the unit each is bound to is chosen in `seed_users`.
_PERSONAS = (
    ("bappeda", Role.BAPPEDA_ADMIN, "Rina", "Kusumawati"),
    ("bupati", Role.PIMPINAN, "Bambang", "Suryadi"),
    ("dinkes", Role.OPD_OFFICER, "Siti", "Aminah"),
    ("pupr", Role.OPD_OFFICER, "Agus", "Setiawan"),
    ("puskesmas", Role.PUSKESMAS_OFFICER, "Dwi", "Handayani"),
    ("kader", Role.KADER, "Sri", "Wahyuni"),
    ("kpm", Role.KPM, "Eko", "Prasetyo"),
    ("api_dinkes", Role.OPD_OFFICER, "Integrasi", "Dinkes"),
)
DEMO_USERNAMES = tuple(persona[0] for persona in _PERSONAS)
API_USERNAME = "api_dinkes"


def demo_password(*, seed: int, username: str) -> str:
    """The demo password of `username` for `seed`: `<username>-<10 hex digits>`, always the same."""
    return f"{username}-{random.Random(f'{seed}:password:{username}').getrandbits(40):010x}"


def demo_token(*, seed: int) -> str:
    """The API token key (40 hex digits) of the API-client user for `seed`."""
    return f"{random.Random(f'{seed}:token:{API_USERNAME}').getrandbits(160):040x}"


def _hash_all(passwords: Sequence[str]) -> list[str]:
    # PBKDF2 at full strength takes ~0.2 s a password and hashlib releases the GIL while hashing, so
    # threads keep re-runs of `make demo` quick.
    with ThreadPoolExecutor(max_workers=len(passwords) or 1) as pool:
        return list(pool.map(make_password, passwords))


def _unit_label(user: User) -> str:
    if user.role in (Role.BAPPEDA_ADMIN, Role.PIMPINAN) and user.kabupaten is not None:
        return user.kabupaten.name
    if user.role == Role.OPD_OFFICER and user.opd is not None:
        return user.opd.short_name
    if user.role == Role.PUSKESMAS_OFFICER and user.puskesmas is not None:
        return str(user.puskesmas)
    if user.role == Role.KADER and user.posyandu is not None:
        return f"{user.posyandu}, {user.posyandu.desa.name}"
    if user.role == Role.KPM and user.desa is not None:
        return str(user.desa)
    return "-"


def _login(user: User, password: str) -> DemoLogin:
    return DemoLogin(user.username, str(Role(user.role).label), _unit_label(user), password)


@demo_step(40, "pengguna")
def seed_users(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """One user per role (two OPD officers and an API client), passwords derived from the seed."""
    taken = sorted(User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True))
    if taken:
        raise DemoError(
            _("Nama pengguna demo sudah dipakai di luar kabupaten demo: %(names)s.")
            % {"names": ", ".join(taken)}
        )
    puskesmas = district.puskesmas[0]
    area = [
        region for region in district.desa if region.puskesmas is puskesmas and region.level == Level.DESA
    ]
    lokus = {region.code for region in district.lokus.get(district.today.year, [])}
    # The kader and the KPM work in the same desa (a lokus when there is one), inside the puskesmas'
    # area, so the personas see each other's data.
    desa = next((region for region in area if region.code in lokus), area[0])
    posyandu = next(unit for unit in district.posyandu if unit.desa is desa)
    units: dict[str, dict[str, Any]] = {
        "bappeda": {"kabupaten": district.kabupaten, "is_staff": True},
        "bupati": {"kabupaten": district.kabupaten},
        "dinkes": {"opd": district.opd["DINKES"]},
        "pupr": {"opd": district.opd["PUPR"]},
        "puskesmas": {"puskesmas": puskesmas},
        "kader": {"posyandu": posyandu},
        "kpm": {"desa": desa},
        "api_dinkes": {"opd": district.opd["DINKES"]},
    }
    passwords = [demo_password(seed=rng_seed, username=username) for username in DEMO_USERNAMES]
    users = []
    for (username, role, first_name, last_name), encoded in zip(_PERSONAS, _hash_all(passwords), strict=True):
        user = User(
            username=username, role=role, first_name=first_name, last_name=last_name, **units[username]
        )
        user.password = encoded
        users.append(user)
    User.objects.bulk_create(users)
    token = Token.objects.create(
        user=users[DEMO_USERNAMES.index(API_USERNAME)], key=demo_token(seed=rng_seed)
    )
    AccessAttempt.objects.filter(username__in=DEMO_USERNAMES).delete()
    district.users = {user.username: user for user in users}
    district.logins = [_login(user, password) for user, password in zip(users, passwords, strict=True)]
    district.api_token = token.key
    district.count(_("Pengguna demo"), len(users))


@dataclass(frozen=True)
class DemoLogins:
    """The logins of an already seeded district, after `logins_refresh`."""

    logins: list[DemoLogin]
    api_token: str | None
    missing: list[str]


def logins_refresh(*, seed: int) -> DemoLogins:
    """Make the demo users' passwords and token those of `seed` again, writing only what differs.

    Checks run in threads like the hashing; a user deleted since seeding is reported as missing.
    """
    users = {
        user.username: user
        for user in User.objects.filter(username__in=DEMO_USERNAMES).select_related(
            "kabupaten", "opd", "puskesmas", "desa", "posyandu__desa"
        )
    }
    present = [username for username in DEMO_USERNAMES if username in users]
    passwords = {username: demo_password(seed=seed, username=username) for username in present}
    with ThreadPoolExecutor(max_workers=len(present) or 1) as pool:
        valid = list(
            pool.map(lambda username: check_password(passwords[username], users[username].password), present)
        )
    stale = [username for username, ok in zip(present, valid, strict=True) if not ok]
    for username, encoded in zip(stale, _hash_all([passwords[username] for username in stale]), strict=True):
        users[username].password = encoded
    inactive = [username for username in present if not users[username].is_active]
    for username in inactive:
        users[username].is_active = True
    if changed := sorted(set(stale) | set(inactive)):
        User.objects.bulk_update([users[username] for username in changed], ["password", "is_active"])
    AccessAttempt.objects.filter(username__in=present).delete()
    api_token = None
    if API_USERNAME in users:
        key = demo_token(seed=seed)
        Token.objects.filter(user=users[API_USERNAME]).exclude(key=key).delete()
        api_token = Token.objects.get_or_create(user=users[API_USERNAME], defaults={"key": key})[0].key
    return DemoLogins(
        logins=[_login(users[username], passwords[username]) for username in present],
        api_token=api_token,
        missing=[username for username in DEMO_USERNAMES if username not in users],
    )


@demo_cleanup(10, "wilayah")
def delete_convergence(*, kabupaten: Region, out: OutputWrapper) -> None:
    """Delete the kabupaten's users, lokus, posyandu, OPD, desa, puskesmas, kecamatan and itself."""
    inside = f"{kabupaten.code}."
    User.objects.filter(
        Q(kabupaten=kabupaten)
        | Q(opd__kabupaten=kabupaten)
        | Q(puskesmas__kecamatan__parent=kabupaten)
        | Q(desa__code__startswith=inside)
        | Q(posyandu__desa__code__startswith=inside)
    ).delete()
    DesaLokus.objects.filter(desa__code__startswith=inside).delete()
    Posyandu.objects.filter(desa__code__startswith=inside).delete()
    OPD.objects.filter(kabupaten=kabupaten).delete()
    Region.objects.filter(code__startswith=inside, level__in=[Level.DESA, Level.KELURAHAN]).delete()
    Puskesmas.objects.filter(kecamatan__parent=kabupaten).delete()
    Region.objects.filter(parent=kabupaten).delete()
    kabupaten.delete()


# The steps of the eight actions, TPPS and meetings live in their own module (imported last: it registers
# its steps with the functions above).
from convergence import demo_actions  # noqa: E402, F401
