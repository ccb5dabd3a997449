"""Settings come from the environment; malformed values stop start-up with a clear message."""

from __future__ import annotations

import datetime
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.schedules import crontab
from django.conf import settings
from gunicorn.config import Config
from gunicorn.glogging import Logger

ROOT = Path(__file__).resolve().parents[2]
CLEARED = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "REDIS_URL",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_HTTPS",
    "DJANGO_ALLOWED_HOSTS",
)
PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG, s.CACHES['default']['BACKEND'])"
)


def run_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in CLEARED}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_it_defaults_to_sqlite_and_in_process_tasks_with_debug_off(tmp_path: Path) -> None:
    result = run_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "False",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
    # The generated key stays in VAR_DIR, never in the repository.
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_it_switches_to_postgresql_and_redis(tmp_path: Path) -> None:
    result = run_settings(
        tmp_path,
        DATABASE_URL="postgres://app@db.internal:5432/stunting",
        REDIS_URL="redis://cache.internal:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "False",
        "django.core.cache.backends.redis.RedisCache",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/db"}, "DATABASE_URL must start with one of"),
        ({"DATABASE_URL": "postgres://db.internal:port/x"}, "DATABASE_URL has an invalid port"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL must start with one of"),
        ({"CELERY_BROKER_URL": "localhost:6379"}, "CELERY_BROKER_URL must start with one of"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be one of true/false/1/0/yes/no, got 'maybe'"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY must be at least 50 characters"),
        ({"DJANGO_HSTS_SECONDS": "a year"}, "DJANGO_HSTS_SECONDS must be an integer, got 'a year'"),
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT must be at least 1, got 0"),
        ({"BEAT_PREVALENCE_AT": "2am"}, "BEAT_PREVALENCE_AT must be a time of day written HH:MM"),
        ({"BEAT_PMT_FINISH_AT": "24:00"}, "BEAT_PMT_FINISH_AT must be a time of day written HH:MM"),
        (
            {"DATABASE_URL": "postgres://app@db.internal/x", "DATABASE_REPLICA_URL": "mysql://r.internal/x"},
            "DATABASE_REPLICA_URL must start with one of postgres://, postgresql://",
        ),
        (
            {
                "DATABASE_URL": "postgres://app@db.internal/x",
                "DATABASE_REPLICA_URL": "postgres://r1.internal/x,postgres://r2.internal:port/x",
            },
            "DATABASE_REPLICA_URL (URL 2) has an invalid port",
        ),
        (
            {"DATABASE_REPLICA_URL": "postgres://r1.internal/x"},
            "DATABASE_REPLICA_URL needs DATABASE_URL to name the PostgreSQL primary",
        ),
        ({"REPLICA_PIN_SECONDS": "0"}, "REPLICA_PIN_SECONDS must be at least 1, got 0"),
    ],
)
def test_it_refuses_malformed_values_at_start_up(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = run_settings(tmp_path, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


BEAT_PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "e = s.CELERY_BEAT_SCHEDULE['prevalence-nightly']['schedule']; "
    "print(type(e).__name__, sorted(e.hour), sorted(e.minute), s.CELERY_TIMEZONE)"
)


def test_it_runs_every_nightly_job_at_its_own_fixed_local_time() -> None:
    times = {
        name: (entry["task"], sorted(entry["schedule"].hour), sorted(entry["schedule"].minute))
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    }
    assert times == {
        "housekeeping-nightly": ("convergence.housekeeping", [1], [0]),
        "import-files-expire-nightly": ("children.import_files_expire", [1], [15]),
        "delivery-import-files-expire-nightly": ("interventions.delivery_import_files_expire", [1], [20]),
        "pmt-submissions-expire-nightly": ("interventions.pmt_submissions_expire", [1], [25]),
        "duplicates-nightly": ("children.duplicates_scan", [1], [30]),
        "prevalence-nightly": ("reports.prevalence_recompute_all", [2], [0]),
        "pmt-finish-nightly": ("interventions.pmt_finish_due", [3], [0]),
        "measurement-partitions-nightly": ("children.measurement_partitions_ahead", [0], [45]),
    }
    assert {type(entry["schedule"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()} == {crontab}
    assert settings.CELERY_TIMEZONE == "Asia/Jakarta"


def test_it_reads_each_nightly_time_from_the_environment(tmp_path: Path) -> None:
    clean = {key: value for key, value in os.environ.items() if key not in CLEARED}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path)})
    clean["BEAT_PREVALENCE_AT"] = "4:05"
    result = subprocess.run(
        [sys.executable, "-c", BEAT_PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["crontab", "[4]", "[5]", "Asia/Jakarta"]


def test_every_nightly_time_is_documented_in_the_example_environment() -> None:
    documented = (ROOT / ".env.example").read_text()
    variables = {
        "BEAT_HOUSEKEEPING_AT=01:00",
        "BEAT_IMPORT_FILES_EXPIRE_AT=01:15",
        "BEAT_DELIVERY_IMPORT_FILES_EXPIRE_AT=01:20",
        "BEAT_PMT_SUBMISSIONS_EXPIRE_AT=01:25",
        "BEAT_DUPLICATES_SCAN_AT=01:30",
        "BEAT_PREVALENCE_AT=02:00",
        "BEAT_PMT_FINISH_AT=03:00",
        "BEAT_MEASUREMENT_PARTITIONS_AT=00:45",
    }
    assert {line for line in documented.splitlines() if line.startswith("BEAT_")} == variables


def test_every_variable_the_settings_read_is_documented_in_the_example_environment() -> None:
    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'(?:env_\w+|_pii_key)\(\s*"([A-Z][A-Z0-9_]+)"', source))
    read |= set(re.findall(r'_nightly\([^)]*?"([A-Z][A-Z0-9_]+)"', source))
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    assert {"DATABASE_URL", "DATABASE_REPLICA_URL", "REPLICA_PIN_SECONDS", "BEAT_PMT_FINISH_AT"} <= read
    assert read - documented == set()


REPLICA_PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.REPLICA_DATABASES, s.DATABASE_ROUTERS, s.REPLICA_PIN_SECONDS, "
    "[(a, d['HOST'], d['PORT'], d['NAME'], d['TEST']['MIRROR']) for a, d in s.DATABASES.items()])"
)


def test_it_adds_a_database_per_replica_url_mirrored_in_tests_and_a_router(tmp_path: Path) -> None:
    clean = {key: value for key, value in os.environ.items() if key not in CLEARED}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://app@db.internal:5432/stunting",
            "DATABASE_REPLICA_URL": "postgres://app@replica1.internal:5432/stunting, postgres://app@replica2.internal/stunting",
            "REPLICA_PIN_SECONDS": "5",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", REPLICA_PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "['replica_1', 'replica_2'] ['convergence.db_router.ReplicaRouter'] 5 "
        "[('default', 'db.internal', 5432, 'stunting', None), "
        "('replica_1', 'replica1.internal', 5432, 'stunting', 'default'), "
        "('replica_2', 'replica2.internal', '', 'stunting', 'default')]"
    )


def test_it_has_no_replica_and_no_router_when_none_is_configured(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", REPLICA_PROBE.replace("s.DATABASE_ROUTERS", "s.DATABASE_ROUTERS == []")],
        cwd=ROOT,
        env={
            **{key: value for key, value in os.environ.items() if key not in CLEARED},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[] True 10 [('default', ")


def test_it_passes_the_deployment_checklist_with_production_settings(tmp_path: Path) -> None:
    clean = {key: value for key, value in os.environ.items() if key not in CLEARED}
    clean.update(
        {
            "VAR_DIR": str(tmp_path),
            "DJANGO_SECRET_KEY": "k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789-_",
            "DJANGO_HTTPS": "true",
            "DJANGO_ALLOWED_HOSTS": "stunting.example.go.id",
            "REDIS_URL": "redis://cache.internal:6379/0",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_it_warns_at_deployment_when_rate_limits_would_count_per_process(tmp_path: Path) -> None:
    clean = {key: value for key, value in os.environ.items() if key not in CLEARED}
    clean.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--tag", "security", "--deploy"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "?: (convergence.W001) The default cache is local to each process" in result.stderr + result.stdout


def test_the_production_access_log_never_writes_a_query_string_or_a_referrer() -> None:
    config = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    nik_url = "/anak/?q=3510011003240001"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": nik_url,
        "PATH_INFO": "/anak/",
        "QUERY_STRING": "q=3510011003240001",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.5",
        "HTTP_REFERER": f"https://stunting.example.go.id{nik_url}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="302 Found", headers=[], sent=0)
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    atoms = Logger(config).atoms_wrapper_class(
        Logger(config).atoms(response, request, environ, datetime.timedelta(microseconds=1500))
    )
    line = config.access_log_format % atoms
    assert line.split(" [")[0] == "10.0.0.5 - -"
    assert line.split("] ", 1)[1] == '"GET /anak/ HTTP/1.1" 302 0 0.001500 "Mozilla/5.0"'
    # Both production entry points use that file.
    assert "--config gunicorn.conf.py" in (ROOT / "docker-compose.yml").read_text()
    assert '"--config", "gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
