from __future__ import annotations

from django.test import Client

from convergence.models import User
from tests.factories import PASSWORD, DistrictFixture


def test_it_shows_a_translated_error_for_a_wrong_password(district: DistrictFixture) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="id").post(
        "/masuk/", {"username": "kader_mawar", "password": "salah"}
    )
    assert response.status_code == 200
    assert "dan sandi yang benar" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_it_signs_in_and_lands_on_the_home_page_of_the_role(district: DistrictFixture) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    response = client.post("/masuk/", {"username": "kader_mawar", "password": PASSWORD}, follow=True)
    # A kader's home is today's work at her posyandu.
    assert response.redirect_chain == [("/", 302), ("/kader/", 302)]
    page = response.content.decode()
    assert "Kerja hari ini" in page
    assert "Posyandu Mawar" in page


def test_it_locks_the_account_after_repeated_failures(district: DistrictFixture) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    for _ in range(5):
        client.post("/masuk/", {"username": "kader_mawar", "password": "salah"})
    response = client.post("/masuk/", {"username": "kader_mawar", "password": PASSWORD})
    assert response.status_code == 429
    assert "Akun terkunci sementara" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Lock-out is per username and address: another account still signs in.
    other = Client().post("/masuk/", {"username": "bupati", "password": PASSWORD})
    assert other.status_code == 302


def test_it_sends_anonymous_visitors_to_the_login_page(db: None) -> None:
    response = Client().get("/wilayah/")
    assert (response.status_code, response.url) == (302, "/masuk/?next=/wilayah/")


def test_it_shows_a_user_without_a_role_that_access_is_not_set_up(district: DistrictFixture) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(User.objects.get(username="tanpa_peran"))
    assert client.get("/wilayah/").status_code == 403
    assert "belum terikat ke unit kerja" in client.get("/").content.decode()
