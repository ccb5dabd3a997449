"""Pages travel compressed (a phone on a weak signal downloads a fraction), with the favicon linked."""

import gzip

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_pages_are_gzip_compressed_when_the_browser_accepts_it(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    page = gzip.decompress(response.content).decode()
    assert 'rel="icon"' in page
    assert "favicon.svg" in page


@pytest.mark.django_db
def test_pages_are_plain_for_a_client_without_gzip(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert b"favicon.svg" in response.content
