from __future__ import annotations

import io
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils.module_loading import autodiscover_modules
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from convergence import demo
from convergence.codes import Level, check_region_code
from convergence.models import OPD, DesaLokus, Posyandu, Puskesmas, Region, Role, User

pytestmark = pytest.mark.django_db

KABUPATEN = "35.60"


@pytest.fixture(autouse=True)
def backbone_steps_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run only this app's steps: other apps test their own, and the children step takes seconds."""
    autodiscover_modules("demo")
    for registry in ("_STEPS", "_CLEANUPS"):
        steps = getattr(demo, registry)
        # The backbone's steps live in the modules of the convergence.demo package.
        own = {
            name: step
            for name, step in steps.items()
            if step.function.__module__.startswith(f"{demo.__name__}.")
        }
        monkeypatch.setattr(demo, registry, own)


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def dump() -> list[tuple[Any, ...]]:
    """Everything the demo backbone generates, without database ids or password salts."""
    inside = f"{KABUPATEN}."
    return [
        *Region.objects.filter(code__startswith=KABUPATEN)
        .order_by("code")
        .values_list("code", "name", "level", "parent__code", "puskesmas__code"),
        *Puskesmas.objects.order_by("kecamatan__code", "code").values_list("kecamatan__code", "code", "name"),
        *Posyandu.objects.filter(desa__code__startswith=inside)
        .order_by("desa__code", "code")
        .values_list("desa__code", "code", "name", "rw", "target_balita", "is_active"),
        *OPD.objects.order_by("code").values_list(
            "code", "name", "short_name", "is_leading_sector", "tupoksi"
        ),
        *DesaLokus.objects.order_by("year", "desa__code").values_list("year", "desa__code", "decree_number"),
        *User.objects.order_by("username").values_list(
            "username",
            "role",
            "first_name",
            "last_name",
            "is_staff",
            "is_superuser",
            "is_active",
            "kabupaten__code",
            "opd__code",
            "puskesmas__code",
            "desa__code",
            "posyandu__desa__code",
            "posyandu__code",
        ),
        *Token.objects.order_by("key").values_list("user__username", "key"),
    ]


def printed_passwords(output: str) -> dict[str, str]:
    """Username -> password from the logins table (the password is the last column)."""
    passwords = {}
    for line in output.splitlines():
        words = line.split()
        if words and words[0] in (*demo.DEMO_USERNAMES, *demo.PROVINCE_USERNAMES):
            passwords[words[0]] = words[-1]
    return passwords


def test_it_seeds_exactly_the_same_district_for_the_same_seed() -> None:
    seed()
    first = dump()
    seed("--reset")
    assert dump() == first
    seed("--reset", "--seed", "7")
    assert dump() != first


def test_it_seeds_a_small_district_in_the_orders_of_magnitude_of_the_field_studies() -> None:
    seed("--scale", "small")
    levels = Counter(Region.objects.filter(code__startswith=KABUPATEN).values_list("level", flat=True))
    assert levels == {"kabupaten": 1, "kecamatan": 15, "desa": 195, "kelurahan": 5}
    assert 3 * 200 <= Posyandu.objects.filter(desa__code__startswith=f"{KABUPATEN}.").count() <= 6 * 200
    assert sum(Posyandu.objects.values_list("target_balita", flat=True)) == 10_000
    assert min(Posyandu.objects.values_list("target_balita", flat=True)) >= 1
    per_desa = Counter(Posyandu.objects.values_list("desa__code", flat=True))
    assert (min(per_desa.values()), max(per_desa.values()), len(per_desa)) == (3, 6, 200)
    assert Puskesmas.objects.count() == 18
    # One puskesmas per kecamatan, two in the three largest.
    assert (
        sorted(Counter(Puskesmas.objects.values_list("kecamatan__code", flat=True)).values())
        == [1] * 12 + [2] * 3
    )
    assert list(OPD.objects.filter(is_leading_sector=True).values_list("code", flat=True)) == ["BAPPEDA"]
    assert OPD.objects.count() == 14
    lokus = Counter(DesaLokus.objects.values_list("year", flat=True))
    assert len(lokus) == 2
    assert all(20 <= count <= 30 for count in lokus.values())


def test_it_states_the_orders_of_magnitude_of_both_scales() -> None:
    small, large = demo.SCALES["small"], demo.SCALES["large"]
    assert (small.kecamatan_count, small.desa_total, small.posyandu_per_desa, small.children_total) == (
        15,
        200,
        (3, 6),
        10_000,
    )
    assert (large.kecamatan_count, large.desa_total, large.posyandu_per_desa, large.children_total) == (
        20,
        250,
        (5, 9),
        120_000,
    )


def test_it_gives_every_desa_a_puskesmas_of_its_own_kecamatan() -> None:
    seed()
    desa = Region.objects.filter(level__in=["desa", "kelurahan"], code__startswith=f"{KABUPATEN}.")
    assert desa.count() == 200
    assert desa.filter(puskesmas__isnull=True).count() == 0
    assert [
        code
        for code, kecamatan in desa.values_list("parent__code", "puskesmas__kecamatan__code")
        if code != kecamatan
    ] == []


def test_it_generates_only_valid_codes() -> None:
    seed()
    regions = Region.objects.filter(code__startswith=KABUPATEN).values_list("code", "level", "parent__code")
    errors = [(code, check_region_code(code, Level(level), parent)) for code, level, parent in regions]
    assert [(code, error) for code, error in errors if error is not None] == []
    local = [
        *((code, Level.PUSKESMAS) for code in Puskesmas.objects.values_list("code", flat=True)),
        *((code, Level.POSYANDU) for code in Posyandu.objects.values_list("code", flat=True)),
    ]
    assert [code for code, level in local if check_region_code(code, level) is not None] == []


def test_it_prints_a_working_login_for_every_role() -> None:
    passwords = printed_passwords(seed())
    assert sorted(passwords) == sorted(demo.DEMO_USERNAMES + demo.PROVINCE_USERNAMES)
    users = User.objects.in_bulk(list(passwords), field_name="username")
    assert {users[name].role for name in passwords} == set(Role.values)
    assert [name for name, user in users.items() if user.is_superuser] == []
    assert [name for name, user in users.items() if user.is_staff] == ["bappeda"]
    for username, password in passwords.items():
        validate_password(password, users[username])
        response = Client().post("/masuk/", {"username": username, "password": password})
        assert (username, response.status_code) == (username, 302)


def test_it_prints_a_working_api_token() -> None:
    output = seed()
    token = Token.objects.get(user__username="api_dinkes")
    assert f"Token API api_dinkes: {token.key}" in output
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/regions/").status_code == 200


def test_it_puts_the_kader_in_the_area_of_the_puskesmas_officer() -> None:
    seed()
    kader = User.objects.get(username="kader")
    assert kader.posyandu.desa.puskesmas_id == User.objects.get(username="puskesmas").puskesmas_id
    assert User.objects.get(username="kpm").desa_id == kader.posyandu.desa_id


def test_it_changes_nothing_when_run_again() -> None:
    first_output = seed()
    before = dump()
    hashes = dict(User.objects.values_list("username", "password"))
    output = seed()
    assert "sudah ada" in output
    assert dump() == before
    assert dict(User.objects.values_list("username", "password")) == hashes
    assert printed_passwords(output) == printed_passwords(first_output)


def test_it_restores_the_printed_password_and_token_when_run_again() -> None:
    passwords = printed_passwords(seed())
    kader = User.objects.get(username="kader")
    kader.set_password("diganti-oleh-pengguna")
    kader.is_active = False
    kader.save()
    Token.objects.filter(user__username="api_dinkes").delete()
    seed()
    response = Client().post("/masuk/", {"username": "kader", "password": passwords["kader"]})
    assert response.status_code == 302
    assert Token.objects.get(user__username="api_dinkes").key == demo.demo_token(seed=2026)


def test_it_deletes_the_district_and_seeds_it_again_on_reset() -> None:
    seed()
    before = dump()
    desa = Region.objects.get(code=f"{KABUPATEN}.02.2001")
    extra = Posyandu.objects.create(desa=desa, code="P99", name="Tambahan")
    User.objects.create_user(username="kader_tambahan", password="x" * 12, role=Role.KADER, posyandu=extra)
    output = seed("--reset", "--scale", "small")
    assert "Kabupaten demo lama dihapus." in output
    assert dump() == before
    assert User.objects.filter(username="kader_tambahan").exists() is False
    assert Region.objects.filter(code="35").count() == 1


def test_it_refuses_a_demo_username_taken_outside_the_demo_and_saves_nothing() -> None:
    User.objects.create_user(username="kader", password="x" * 12)
    with pytest.raises(
        CommandError, match=r"Nama pengguna demo sudah dipakai di luar kabupaten demo: kader\."
    ):
        seed()
    assert Region.objects.count() == 0
    assert list(User.objects.values_list("username", flat=True)) == ["kader"]


def test_it_runs_steps_of_other_apps_after_the_backbone_without_changing_its_output(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed()
    without_step = dump()
    posyandu = Posyandu.objects.count()
    monkeypatch.setattr(demo, "_STEPS", dict(demo._STEPS))
    monkeypatch.setattr(demo, "_CLEANUPS", dict(demo._CLEANUPS))
    seen: list[tuple[str, int, int]] = []

    @demo.demo_step(100, "contoh")
    def step(*, rng_seed: int, scale: demo.DemoScale, district: demo.DemoDistrict, out: Any) -> None:
        seen.append(
            (district.kabupaten.code, len(district.posyandu), demo.step_rng(rng_seed, "contoh").randint(0, 9))
        )
        district.count("Contoh", 3)

    cleaned: list[str] = []

    @demo.demo_cleanup(100, "contoh")
    def cleanup(*, kabupaten: Region, out: Any) -> None:
        # Runs before the backbone's cleanup: the kabupaten's posyandu still exist.
        cleaned.append(f"{kabupaten.code}:{Posyandu.objects.filter(desa__code__startswith='35.60.').count()}")

    output = seed("--reset")
    assert cleaned == [f"35.60:{posyandu}"]
    assert seen == [("35.60", posyandu, demo.step_rng(2026, "contoh").randint(0, 9))]
    assert "Contoh" in output
    assert dump() == without_step
    assert [name for _order, name in demo.registered_steps()] == [
        "wilayah",
        "opd",
        "lokus",
        "pengguna",
        "contoh",
    ]
