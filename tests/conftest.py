from __future__ import annotations

import pytest
from django.conf import settings

from tests.factories import DistrictFixture, build_district


def pytest_configure(config: pytest.Config) -> None:
    # Tests render templates without running collectstatic first: no manifest, files served from finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Hashing passwords at full strength would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def district(db: None) -> DistrictFixture:
    """Two kecamatan with desa, puskesmas, posyandu, two OPD, a user per role, and a second kabupaten."""
    return build_district()
