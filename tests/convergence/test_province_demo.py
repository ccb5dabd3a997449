"""`seed_demo` seeds the province's users, its target path and last year's grades given by its Bappeda."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from convergence import demo
from convergence.actions import ASSESSMENT_INDICATORS
from convergence.models import AssessmentGrade, Role, User
from reports.models import ProvincialTarget

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--scale", "tiny", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def passwords(output: str) -> dict[str, str]:
    return {
        line.split()[0]: line.split()[-1]
        for line in output.splitlines()
        if line.split()[:1] and line.split()[0] in demo.PROVINCE_USERNAMES
    }


def test_it_seeds_the_province_users_its_path_and_last_year_s_grades() -> None:
    output = seed("--kabupaten", "2")
    users = {user.username: user for user in User.objects.filter(username__in=demo.PROVINCE_USERNAMES)}
    assert {
        name: (user.role, user.provinsi.code if user.provinsi else None) for name, user in users.items()
    } == {
        "bappeda_provinsi": (Role.BAPPEDA_PROVINSI, "35"),
        "nasional": (Role.NASIONAL, None),
    }
    printed = passwords(output)
    assert sorted(printed) == ["bappeda_provinsi", "nasional"]
    for username, password in printed.items():
        response = Client().post("/masuk/", {"username": username, "password": password})
        assert (username, response.status_code) == (username, 302)
    path = list(
        ProvincialTarget.objects.order_by("year").values_list(
            "provinsi__code", "year", "updated_by__username"
        )
    )
    assert [row[1] for row in path] == [2024, 2025, 2026, 2027, 2028]
    assert {(row[0], row[2]) for row in path} == {("35", "bappeda_provinsi")}
    last_year = timezone.localdate().year - 1
    graded = AssessmentGrade.objects.values_list("kabupaten__code", "year", "indicator_code")
    assert sorted(graded) == sorted(
        (code, last_year, indicator.code)
        for code in ("35.60", "35.61")
        for indicator in ASSESSMENT_INDICATORS
    )


def test_reset_seeds_the_province_users_again_and_a_rerun_repairs_their_logins() -> None:
    first = passwords(seed())
    User.objects.filter(username="nasional").update(is_active=False, password="!")
    assert passwords(seed()) == first
    assert User.objects.get(username="nasional").check_password(first["nasional"]) is True
    assert passwords(seed("--reset")) == first
    assert User.objects.filter(username__in=demo.PROVINCE_USERNAMES).count() == 2
    assert ProvincialTarget.objects.count() == 5
