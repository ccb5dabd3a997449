from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    # Jobs run inside the test's request and transaction; tests of the threaded dispatch turn it on.
    settings.JOBS_IN_THREAD = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """On PostgreSQL the per-visit tables are partitioned by year (children.partitions). Tests write rows
    of many years directly (factories, Measurement.objects.create), past the services that make a year's
    partition: the test database gets those years once, as an installation gets them from its history
    and the yearly job. Tests of on-demand creation drop a year inside their own transaction."""
    from django.utils import timezone

    from children.partitions import ensure_partitions, partitioned_tables

    with django_db_blocker.unblock():
        for spec in partitioned_tables():
            ensure_partitions(spec, range(2000, timezone.localdate().year + 2))


@pytest.fixture
def district(db: None) -> DistrictFixture:
    """Two kecamatan with desa, puskesmas, posyandu, two OPD, a user per role, and a second kabupaten."""
    return build_district()


@pytest.fixture(autouse=True)
def celery_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in the test's process (and transaction), also when CI points Celery at Redis.

    Tests marked `worker` exercise a real worker process over the broker and keep the real setting.
    """
    from config.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    # The app reads Django settings under the CELERY_ namespace: the key must be set under that name.
    previous = app.conf.CELERY_TASK_ALWAYS_EAGER
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    try:
        yield
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER = previous


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """A request with Accept-Language leaves its language active in the thread: each test starts in the
    default language whatever the test before it asked for."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Pages cache some live figures (the dashboards' ledgers); every test starts from its own data."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
