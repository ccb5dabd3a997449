"""`seed_demo --kabupaten N`: N demo kabupaten of one province, each a full copy of the demo's shape."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from rest_framework.authtoken.models import Token

from children.models import Child, Measurement, Person
from convergence import demo
from convergence.models import OPD, Posyandu, Puskesmas, Region, User
from convergence.scoping import restrict

pytestmark = pytest.mark.django_db

FIRST, SECOND = "35.60", "35.61"
DEMO_KADER = demo.DEMO_USERNAMES.index("kader")


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts(code: str) -> dict[str, int]:
    inside = f"{code}."
    return {
        "kecamatan": Region.objects.filter(parent__code=code).count(),
        "desa": Region.objects.filter(code__startswith=inside, level__in=["desa", "kelurahan"]).count(),
        "puskesmas": Puskesmas.objects.filter(kecamatan__parent__code=code).count(),
        "posyandu": Posyandu.objects.filter(desa__code__startswith=inside).count(),
        "opd": OPD.objects.filter(kabupaten__code=code).count(),
        "children": Child.objects.filter(desa__code__startswith=inside).count(),
        "measurements": Measurement.objects.filter(posyandu__desa__code__startswith=inside).count(),
    }


def fingerprint(code: str) -> dict[str, Any]:
    """Counts and a checksum of the names, codes and org units of one kabupaten (no database ids)."""
    inside = f"{code}."
    rows: list[Any] = [
        *Region.objects.filter(code__startswith=code)
        .order_by("code")
        .values_list("code", "name", "level", "parent__code", "puskesmas__code"),
        *Puskesmas.objects.filter(kecamatan__parent__code=code)
        .order_by("code")
        .values_list("kecamatan__code", "code", "name"),
        *Posyandu.objects.filter(desa__code__startswith=inside)
        .order_by("desa__code", "code")
        .values_list("desa__code", "code", "name", "rw", "target_balita"),
        *User.objects.filter(username__in=users_of(code))
        .order_by("username")
        .values_list(
            "username",
            "role",
            "kabupaten__code",
            "opd__code",
            "puskesmas__code",
            "desa__code",
            "posyandu__code",
        ),
        *Child.objects.filter(desa__code__startswith=inside)
        .order_by("desa__code", "name", "birth_date", "nik_hash")
        .values_list("desa__code", "posyandu__code", "name", "sex", "birth_date", "nik_hash"),
        *Measurement.objects.filter(posyandu__desa__code__startswith=inside)
        .order_by("child__nik_hash", "child__name", "child__birth_date", "measured_on", "height_cm")
        .values_list("posyandu__desa__code", "posyandu__code", "measured_on", "weight_kg", "height_cm"),
    ]
    return {**counts(code), "checksum": hashlib.sha256(repr(rows).encode()).hexdigest()}


def users_of(code: str) -> list[str]:
    suffix = "" if code == FIRST else f"_{int(code[3:]) - 59}"
    return [username + suffix for username in demo.DEMO_USERNAMES]


def test_it_seeds_two_kabupaten_of_the_same_shape_with_their_own_codes_names_and_users() -> None:
    output = seed("--scale", "tiny", "--kabupaten", "2")
    kabupaten = list(
        Region.objects.filter(level="kabupaten").order_by("code").values_list("code", "name", "parent__code")
    )
    assert kabupaten == [(FIRST, "SUKAMAJU", "35"), (SECOND, "MEKARSARI", "35")]
    first, second = counts(FIRST), counts(SECOND)
    assert first["kecamatan"] == second["kecamatan"] == 4
    assert first["desa"] == second["desa"] == 30
    assert first["puskesmas"] == second["puskesmas"] == 7
    assert first["opd"] == second["opd"] == 14
    assert first["posyandu"] == second["posyandu"]
    assert first["children"] == second["children"]
    assert first["measurements"] == second["measurements"]
    assert Child.objects.count() == first["children"] * 2
    # Same shape, not the same data: the second kabupaten draws its own names and figures.
    assert fingerprint(FIRST)["checksum"] != fingerprint(SECOND)["checksum"]
    second_names = set(Region.objects.filter(code__startswith=f"{SECOND}.").values_list("name", flat=True))
    first_names = set(Region.objects.filter(code__startswith=f"{FIRST}.").values_list("name", flat=True))
    assert second_names != first_names
    # The province's users (Bappeda provinsi, national) are seeded once, with the first kabupaten.
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(
        users_of(FIRST) + users_of(SECOND) + list(demo.PROVINCE_USERNAMES)
    )
    assert "bappeda_2" in output
    assert demo.district_kabupaten() == Region.objects.get(code=FIRST)


def test_it_never_points_a_record_of_one_kabupaten_at_a_place_of_the_other() -> None:
    seed("--scale", "tiny", "--kabupaten", "2")
    for code in (FIRST, SECOND):
        inside = f"{code}."
        children = Child.objects.filter(desa__code__startswith=inside)
        assert children.exclude(posyandu__desa__code__startswith=inside).count() == 0
        assert children.exclude(posyandu__isnull=True).count() == children.count()
        assert children.exclude(posyandu__desa=F("desa")).count() == 0
        measured = Measurement.objects.filter(child__desa__code__startswith=inside)
        assert measured.count() > 0
        assert measured.exclude(posyandu__desa__code__startswith=inside).count() == 0
        mothers = Person.objects.filter(children__desa__code__startswith=inside).distinct()
        assert mothers.exclude(desa__code__startswith=inside).count() == 0
        users = User.objects.filter(username__in=users_of(code)).select_related(
            "kabupaten", "opd__kabupaten", "puskesmas__kecamatan", "desa", "posyandu__desa"
        )
        assert len(users) == len(demo.DEMO_USERNAMES)
        for user in users:
            places = [
                user.kabupaten.code if user.kabupaten else None,
                user.opd.kabupaten.code if user.opd else None,
                user.puskesmas.kecamatan.code[:5] if user.puskesmas else None,
                user.desa.code[:5] if user.desa else None,
                user.posyandu.desa.code[:5] if user.posyandu else None,
            ]
            assert [place for place in places if place is not None] == [code], user.username
    # The NIK embeds the kecamatan code, so no two kabupaten share one (the unique hash holds).
    hashes = list(Child.objects.exclude(nik_hash="").values_list("nik_hash", flat=True))
    assert len(hashes) == len(set(hashes)) > 0


def test_it_seeds_the_first_kabupaten_exactly_as_a_one_kabupaten_run() -> None:
    seed("--scale", "tiny")
    alone = fingerprint(FIRST)
    assert Region.objects.filter(code=SECOND).exists() is False
    seed("--scale", "tiny", "--kabupaten", "2", "--reset")
    assert fingerprint(FIRST) == alone
    # --reset deletes every demo kabupaten, not only the first.
    seed("--scale", "tiny", "--reset")
    assert fingerprint(FIRST) == alone
    assert list(Region.objects.filter(level="kabupaten").values_list("code", flat=True)) == [FIRST]
    assert User.objects.filter(username__endswith="_2").count() == 0


def test_it_seeds_the_same_province_for_the_same_seed() -> None:
    seed("--scale", "tiny", "--kabupaten", "2")
    first = (fingerprint(FIRST), fingerprint(SECOND))
    seed("--scale", "tiny", "--kabupaten", "2", "--reset")
    assert (fingerprint(FIRST), fingerprint(SECOND)) == first
    seed("--scale", "tiny", "--kabupaten", "2", "--reset", "--seed", "7")
    assert fingerprint(SECOND)["checksum"] != first[1]["checksum"]


def test_it_refuses_more_kabupaten_than_the_province_has_demo_codes_for() -> None:
    with pytest.raises(CommandError):
        call_command(
            "seed_demo",
            "--kabupaten",
            str(demo.MAX_KABUPATEN + 1),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert Region.objects.filter(level="kabupaten").count() == 0


def printed_passwords(output: str) -> dict[str, str]:
    """Username -> password from the logins table (the password is the last column)."""
    known = set(users_of(FIRST) + users_of(SECOND))
    return {
        line.split()[0]: line.split()[-1]
        for line in output.splitlines()
        if line.split()[:1] and line.split()[0] in known
    }


def test_it_prints_and_repairs_the_logins_of_every_kabupaten_when_the_province_exists() -> None:
    seeded = printed_passwords(seed("--scale", "tiny", "--kabupaten", "2"))
    assert sorted(seeded) == sorted(users_of(FIRST) + users_of(SECOND))
    User.objects.filter(username="bappeda_2").update(is_active=False, password="!")
    regions_before = Region.objects.count()
    again = printed_passwords(seed("--scale", "tiny"))
    assert again == seeded
    bappeda_2 = User.objects.get(username="bappeda_2")
    assert bappeda_2.is_active is True
    assert bappeda_2.check_password(seeded["bappeda_2"]) is True
    assert Region.objects.count() == regions_before
    tokens = dict(Token.objects.values_list("user__username", "key"))
    assert sorted(tokens) == ["api_dinkes", "api_dinkes_2"]
    assert tokens["api_dinkes"] != tokens["api_dinkes_2"]


def test_it_lets_each_kabupaten_s_users_read_only_their_own_kabupaten_s_registry() -> None:
    seed("--scale", "tiny", "--kabupaten", "2")
    for own, other in ((FIRST, SECOND), (SECOND, FIRST)):
        for user in User.objects.filter(username__in=users_of(own)):
            children = restrict(Child.objects.all(), user)
            assert children.filter(desa__code__startswith=f"{other}.").count() == 0, user.username
            measured = restrict(Measurement.objects.all(), user)
            assert measured.filter(posyandu__desa__code__startswith=f"{other}.").count() == 0, user.username
        bappeda = User.objects.get(username=users_of(own)[0])
        assert restrict(Child.objects.all(), bappeda).count() == counts(own)["children"]
        kader = User.objects.get(username=users_of(own)[DEMO_KADER])
        assert restrict(Child.objects.all(), kader).count() > 0
