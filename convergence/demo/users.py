"""The backbone's demo users: one per role, passwords and the API token derived from the seed; and the
cleanup of the whole backbone for `--reset`."""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt
from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import OutputWrapper
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from convergence.codes import Level
from convergence.demo import (
    KABUPATEN_CODE,
    MAX_KABUPATEN,
    DemoDistrict,
    DemoError,
    DemoLogin,
    DemoScale,
    demo_cleanup,
    demo_step,
    kabupaten_code,
    kabupaten_seed,
)
from convergence.models import OPD, DesaLokus, Posyandu, Puskesmas, Region, Role, User

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
# Above the kabupaten, seeded once with the first kabupaten: the province's Bappeda (bound to the demo
# province) and the national read-only role (bound to nothing).
_PROVINCE_PERSONAS = (
    ("bappeda_provinsi", Role.BAPPEDA_PROVINSI, "Wahyu", "Hidayat"),
    ("nasional", Role.NASIONAL, "Dewi", "Lestari"),
)
PROVINCE_USERNAMES = tuple(persona[0] for persona in _PROVINCE_PERSONAS)


def demo_password(*, seed: int, username: str) -> str:
    """The demo password of `username` for `seed`: `<username>-<10 hex digits>`, always the same.

    A username of 16 characters or more (`bappeda_provinsi`) gets 16 digits: with 10, the password is
    too similar to the username for Django's UserAttributeSimilarityValidator.
    """
    digits = 16 if len(username) >= 16 else 10
    bits = random.Random(f"{seed}:password:{username}").getrandbits(4 * digits)
    return f"{username}-{bits:0{digits}x}"


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
    if user.role == Role.BAPPEDA_PROVINSI and user.provinsi is not None:
        return user.provinsi.name
    if user.role == Role.NASIONAL:
        return _("Semua provinsi")
    return "-"


def _login(user: User, password: str) -> DemoLogin:
    return DemoLogin(user.username, str(Role(user.role).label), _unit_label(user), password)


@demo_step(40, "pengguna")
def seed_users(*, rng_seed: int, scale: DemoScale, district: DemoDistrict, out: OutputWrapper) -> None:
    """One user per role (two OPD officers and an API client), passwords derived from the seed.

    The first kabupaten's users are named as in `DEMO_USERNAMES`; those of the others carry the
    kabupaten's suffix (`bappeda_2`); `district.users` is keyed by the unsuffixed name in both cases.
    The province's users (`PROVINCE_USERNAMES`) are made with the first kabupaten and found by the others.
    """
    first = district.number == 1
    personas = _PERSONAS + (_PROVINCE_PERSONAS if first else ())
    usernames = [username + district.username_suffix for username in DEMO_USERNAMES]
    usernames += list(PROVINCE_USERNAMES) if first else []
    taken = sorted(User.objects.filter(username__in=usernames).values_list("username", flat=True))
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
        "bappeda_provinsi": {"provinsi": district.provinsi},
        "nasional": {},
    }
    # The first kabupaten's logins are those of the one-kabupaten demo; `logins_refresh` derives the
    # same seeds.
    own_seed = rng_seed if district.number == 1 else district.name_seed
    passwords = [demo_password(seed=own_seed, username=username) for username in usernames]
    users = []
    for (persona, role, first_name, last_name), username, encoded in zip(
        personas, usernames, _hash_all(passwords), strict=True
    ):
        user = User(
            username=username, role=role, first_name=first_name, last_name=last_name, **units[persona]
        )
        user.password = encoded
        users.append(user)
    User.objects.bulk_create(users)
    token = Token.objects.create(
        user=users[DEMO_USERNAMES.index(API_USERNAME)], key=demo_token(seed=own_seed)
    )
    AccessAttempt.objects.filter(username__in=usernames).delete()
    district.users = dict(zip([persona[0] for persona in personas], users, strict=True))
    if not first:
        district.users |= {
            user.username: user for user in User.objects.filter(username__in=PROVINCE_USERNAMES)
        }
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
    """Make the demo users' passwords and tokens those of `seed` again, writing only what differs.

    Covers the users of every seeded demo kabupaten (`--kabupaten N`); the token returned is the first
    kabupaten's. Checks run in threads like the hashing; a user deleted since seeding is reported as missing.
    """
    numbers = [1] + [
        number
        for number in range(2, MAX_KABUPATEN + 1)
        if Region.objects.filter(code=kabupaten_code(number)).exists()
    ]
    refreshed = [_logins_refresh_one(seed=seed, number=number) for number in numbers]
    return DemoLogins(
        logins=[login for one in refreshed for login in one.logins],
        api_token=refreshed[0].api_token,
        missing=[username for one in refreshed for username in one.missing],
    )


def _logins_refresh_one(*, seed: int, number: int) -> DemoLogins:
    suffix = "" if number == 1 else f"_{number}"
    own_seed = kabupaten_seed(seed, number)
    usernames = [username + suffix for username in DEMO_USERNAMES]
    usernames += list(PROVINCE_USERNAMES) if number == 1 else []
    api_username = API_USERNAME + suffix
    users = {
        user.username: user
        for user in User.objects.filter(username__in=usernames).select_related(
            "provinsi", "kabupaten", "opd", "puskesmas", "desa", "posyandu__desa"
        )
    }
    present = [username for username in usernames if username in users]
    passwords = {username: demo_password(seed=own_seed, username=username) for username in present}
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
    if api_username in users:
        key = demo_token(seed=own_seed)
        Token.objects.filter(user=users[api_username]).exclude(key=key).delete()
        api_token = Token.objects.get_or_create(user=users[api_username], defaults={"key": key})[0].key
    return DemoLogins(
        logins=[_login(users[username], passwords[username]) for username in present],
        api_token=api_token,
        missing=[username for username in usernames if username not in users],
    )


@demo_cleanup(10, "wilayah")
def delete_convergence(*, kabupaten: Region, out: OutputWrapper) -> None:
    """Delete the kabupaten's users, lokus, posyandu, OPD, desa, puskesmas, kecamatan and itself; with
    the first kabupaten, the province's demo users too (they are seeded with it)."""
    inside = f"{kabupaten.code}."
    if kabupaten.code == KABUPATEN_CODE:
        User.objects.filter(
            Q(role=Role.BAPPEDA_PROVINSI, username=PROVINCE_USERNAMES[0])
            | Q(role=Role.NASIONAL, username=PROVINCE_USERNAMES[1])
        ).delete()
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
