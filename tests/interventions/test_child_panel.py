"""The child page lists the interventions the child and its family received, scoped like deliveries."""

from __future__ import annotations

import pytest
from django.test import Client

from convergence.models import User
from tests.interventions.conftest import Village


def _page(username: str, child_pk: int) -> str:
    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.get(f"/anak/{child_pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("username", "shows_mpasi", "shows_air"),
    [("bappeda", True, True), ("kader_mawar", True, True), ("pupr", False, True), ("dinkes", True, False)],
)
def test_the_child_page_lists_the_deliveries_the_user_may_see(
    delivered: Village, username: str, shows_mpasi: bool, shows_air: bool
) -> None:
    html = _page(username, delivered.children["ayu"].pk)
    assert "Penyaluran intervensi (anak dan keluarganya)" in html
    assert ("Intervensi MPASI" in html) is shows_mpasi
    assert ("Intervensi AIR" in html) is shows_air
