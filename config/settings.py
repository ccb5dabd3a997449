"""Settings read from the environment.

Nothing set: SQLite under var/ and Celery tasks run in-process (eager). `DATABASE_URL` switches to
PostgreSQL, `CELERY_BROKER_URL` (or `REDIS_URL`) to Redis and real workers. Malformed values stop
start-up with a message naming the variable. `.env.example` documents every variable.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from config.env import (
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_str,
    env_time,
    env_url,
    env_url_list,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))


def _secret_key() -> str:
    """The key from DJANGO_SECRET_KEY, else one generated once and kept in var/ (never in the repo)."""
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        if len(key) < 50 or len(set(key)) < 5:
            raise ImproperlyConfigured(
                "DJANGO_SECRET_KEY must be at least 50 characters with 5 distinct ones"
            )
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _pii_key(variable: str, filename: str) -> str:
    """A 32-byte key (urlsafe base64) from the environment, else generated once into var/ (never the repo)."""
    value = env_str(variable)
    if not value:
        path = VAR_DIR / filename
        if not path.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
            path.chmod(0o600)
        value = path.read_text().strip()
    for key in value.split(","):
        try:
            raw = base64.urlsafe_b64decode(key.strip().encode())
        except ValueError as exc:
            raise ImproperlyConfigured(f"{variable} must be urlsafe base64 keys of 32 bytes") from exc
        if len(raw) != 32:
            raise ImproperlyConfigured(f"{variable} must be urlsafe base64 keys of 32 bytes")
    return value


# NIK at rest: AES-GCM with the first key (older keys, after a comma, still decrypt) and an HMAC
# key for exact look-up. Losing these keys loses every NIK: back them up apart from the database.
PII_ENCRYPTION_KEYS = [
    key.strip() for key in _pii_key("PII_ENCRYPTION_KEYS", "pii_encryption_key").split(",")
]
PII_HASH_KEY = _pii_key("PII_HASH_KEY", "pii_hash_key").split(",")[0].strip()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Behind a TLS-terminating proxy in production (docker-compose sets DJANGO_HTTPS=true).
HTTPS = env_bool("DJANGO_HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_SECONDS", 8 * 3600, minimum=300)


def _csp_hash(source: str) -> str:
    """The CSP source expression allowing exactly this inline text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# Content-Security-Policy (django-csp): scripts and styles only as files from our own origin, so that
# injected markup can run nothing. Data for scripts travels in json_script blocks or data- attributes.
# img-src allows data: for the SVG icons inside pico's and Swagger UI's style sheets. Report-only mode
# lets an operator try a changed policy on a live site; violations then go to the report URI if set.
_csp = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # django-simple-history's admin history list has one style attribute: that exact value is
        # allowed by its hash, no other (browsers without style-src-attr drop it: cosmetic only).
        "style-src-attr": [UNSAFE_HASHES, _csp_hash("border-top: 0")],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": env_url("DJANGO_CSP_REPORT_URI", schemes={"http", "https"}),
    }
}
if env_bool("DJANGO_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
else:
    CONTENT_SECURITY_POLICY = _csp

INSTALLED_APPS = [
    "config.admin.LimitedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "axes",
    "csp",
    "convergence",
    "children",
    "interventions",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed below WhiteNoise, which serves static files pre-compressed itself. Django adds
    # random padding against BREACH (the pages carry CSRF tokens).
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Chooses primary or replica reads per request; pins a writer to the primary (no-op without replicas).
    "convergence.db_router.ReplicaReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "convergence.context_processors.navigation",
            ],
        },
    },
]

_database_url = env_url("DATABASE_URL", schemes={"postgres", "postgresql", "sqlite"})
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            "OPTIONS": {
                "timeout": 20,
                # WAL: pages keep reading while a background job (an import being applied) writes, and
                # a commit appends to the log instead of rewriting the file; synchronous=NORMAL syncs
                # at checkpoints only (a power cut may lose the last commits, never corrupt the file).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASES["default"].setdefault("TEST", {})

# Streaming replicas of DATABASE_URL (comma-separated). Dashboards, public pages, the API's GETs and
# exports read from one of them (convergence.db_router); writes, migrations, sign-in and whatever a
# request must read back after writing stay on the primary. The test suite points them at its own
# database (MIRROR), so tests see one database whatever is configured here.
_replica_urls = env_url_list("DATABASE_REPLICA_URL", schemes={"postgres", "postgresql"})
if _replica_urls and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL to name the PostgreSQL primary")
REPLICA_DATABASES = [f"replica_{number}" for number in range(1, len(_replica_urls) + 1)]
for _alias, _url in zip(REPLICA_DATABASES, _replica_urls, strict=True):
    DATABASES[_alias] = {
        **dj_database_url.parse(_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)),
        "TEST": {"MIRROR": "default"},
    }
if REPLICA_DATABASES:
    DATABASE_ROUTERS = ["convergence.db_router.ReplicaRouter"]
# After a write (or a write refused as stale, 412) the writer's session or API token reads the
# primary for this many seconds, so the page or list it opens next shows what it just wrote, however
# far the replicas lag. Kept in the default cache (Redis: shared by every worker).
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "convergence.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins lock the account (username + address) for a while.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The same client address as the rate limits below (X-Forwarded-For believed only from TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "convergence.ratelimit.client_address"

# Addresses (or CIDR networks) of the reverse proxies in front of the application. X-Forwarded-For is
# believed only when the request comes from one of them; otherwise anyone could pick their own address.
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES", [])
# Rate limits, counted in the default cache (Redis in production: one count for every gunicorn worker
# and host; the embedded default runs one process, where local memory is enough).
# NIK/KK look-ups per user, pages and API together. A kader or a puskesmas officer checking a family at
# a time needs a few look-ups an hour; 60 leaves room for a desk session, while a script walking through
# NIKs gets 60 tries an hour instead of 200 a second. Lists and imports do not count.
NIK_LOOKUP_RATE = env_rate("NIK_LOOKUP_RATE", "60/hour")
# API token requests per client address (the token endpoint checks passwords).
TOKEN_RATE = env_rate("TOKEN_RATE", "20/min")
# Failed logins per client address across usernames (pages, admin and API token). Loose: a whole
# puskesmas of kader may share one mobile carrier address; the per-account lock-out above is the tight one.
LOGIN_FAILURE_ADDRESS_RATE = env_rate("LOGIN_FAILURE_ADDRESS_RATE", "30/10min")

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REDIS_URL = env_url("REDIS_URL", schemes={"redis", "rediss"})
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", schemes={"redis", "rediss", "amqp"}) or REDIS_URL
CELERY_RESULT_BACKEND = env_url("CELERY_RESULT_BACKEND", schemes={"redis", "rediss"}) or REDIS_URL
# Without a broker the tasks run in-process, so the embedded default needs no worker.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
# Without a broker, jobs whose page shows their progress (imports) run in a thread of the serving
# process, so the request that queued them answers at once (convergence.jobs).
JOBS_IN_THREAD = env_bool("JOBS_IN_THREAD", CELERY_TASK_ALWAYS_EAGER)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it ends: a worker that dies mid-way leaves it unacknowledged, and Redis
# hands it to another worker once the visibility timeout has passed (longer than any task runs).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Each kind of work has its own queue, so a province can run its prevalence (or import) workers on
# other hosts: `celery -A config worker -Q prevalence`. A worker started without -Q takes every queue.
# The prefix keeps installations that share a broker apart.
CELERY_QUEUE_PREFIX = env_str("CELERY_QUEUE_PREFIX", "")
CELERY_WORK_QUEUES = {
    kind: CELERY_QUEUE_PREFIX + kind for kind in ("imports", "prevalence", "quality", "nightly")
}
CELERY_TASK_QUEUES = [Queue(name) for name in (*CELERY_WORK_QUEUES.values(), CELERY_TASK_DEFAULT_QUEUE)]
CELERY_TASK_ROUTES = {
    "children.import_check": {"queue": CELERY_WORK_QUEUES["imports"]},
    "children.import_apply": {"queue": CELERY_WORK_QUEUES["imports"]},
    "interventions.delivery_import_check": {"queue": CELERY_WORK_QUEUES["imports"]},
    "interventions.delivery_import_apply": {"queue": CELERY_WORK_QUEUES["imports"]},
    # The per-kecamatan chunks and the refresh after new measurements.
    "reports.prevalence_refresh": {"queue": CELERY_WORK_QUEUES["prevalence"]},
    "reports.prevalence_recompute_chunk": {"queue": CELERY_WORK_QUEUES["prevalence"]},
    "children.duplicates_scan": {"queue": CELERY_WORK_QUEUES["quality"]},
    # Beat's light jobs; prevalence_recompute_all only queues the chunks.
    "reports.prevalence_recompute_all": {"queue": CELERY_WORK_QUEUES["nightly"]},
    "convergence.housekeeping": {"queue": CELERY_WORK_QUEUES["nightly"]},
    "children.import_files_expire": {"queue": CELERY_WORK_QUEUES["nightly"]},
    "interventions.delivery_import_files_expire": {"queue": CELERY_WORK_QUEUES["nightly"]},
    "interventions.pmt_finish_due": {"queue": CELERY_WORK_QUEUES["nightly"]},
    "interventions.pmt_submissions_expire": {"queue": CELERY_WORK_QUEUES["nightly"]},
    "children.measurement_partitions_ahead": {"queue": CELERY_WORK_QUEUES["nightly"]},
}
# Uploaded registers (sealed at rest) are deleted this many days after upload, applied or not.
IMPORT_FILE_RETENTION_DAYS = env_int("IMPORT_FILE_RETENTION_DAYS", 30, minimum=0)
# Limits on uploaded registers, checked before any parser reads them (convergence.uploads). A
# kabupaten's yearly e-PPGBM export (~100,000 rows) is 15-25 MB as .xlsx, about 150 MB unpacked, 40
# columns; the defaults leave room for that and refuse decompression bombs and absurd sheets.
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1024)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 500 * 1024 * 1024, minimum=1024)
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 100, minimum=2)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 1_000_000, minimum=1)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 200, minimum=10)
IMPORT_MAX_CELL_CHARS = env_int("IMPORT_MAX_CELL_CHARS", 10_000, minimum=255)
# The rectangle an .xlsx sheet spans (rows x columns): the reader allocates 32 bytes for each of its
# cells, filled or not, so 10,000,000 cells is ~320 MB (250,000 rows of 40 columns; larger as .csv).
IMPORT_MAX_SHEET_CELLS = env_int("IMPORT_MAX_SHEET_CELLS", 10_000_000, minimum=1000)
# Row issues (rejections, duplicates, warnings) stored per import; the rest are counted.
IMPORT_MAX_ISSUES_STORED = env_int("IMPORT_MAX_ISSUES_STORED", 1000, minimum=1)
# Recent months the nightly prevalence recompute rewrites; not a bound on what is summarised.
PREVALENCE_MONTHS = env_int("PREVALENCE_MONTHS", 60, minimum=1)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only: the file uploads (imports, evidence) set their own multipart parsers.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "convergence.api.listing.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "convergence.api.filtering.Filtering",
        "convergence.api.listing.Ordering",
        "convergence.api.listing.UpdatedSince",
    ],
    # Runs for every API view before authentication: unknown query parameters answer 400.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "convergence.api.listing.KnownParametersNegotiation",
    "DEFAULT_SCHEMA_CLASS": "convergence.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "convergence.api.errors.exception_handler",
}
# The site's address as API clients reach it (the schema's `servers`); unset = relative to the schema.
API_SERVER_URL = (env_url("API_SERVER_URL", schemes={"http", "https"}) or "/").rstrip("/") or "/"
SPECTACULAR_SETTINGS = {
    "TITLE": "Konvergensi Stunting API",
    "DESCRIPTION": "REST API of the district stunting convergence application. Every list is scoped to "
    "the caller's organisation unit and role.",
    "VERSION": "1",
    # 3.1: a nullable reference is `oneOf: [ref, {type: null}]`, plain JSON Schema for strict validators.
    "OAS_VERSION": "3.1.0",
    "SERVERS": [{"url": API_SERVER_URL}],
    # Generated in English whatever the request's language: one schema, stable names (convergence.api.schema).
    "DEFAULT_GENERATOR_CLASS": "convergence.api.schema.SchemaGenerator",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge image from validator.swagger.io: the policy allows no other origin, and the schema stays here.
    # The operations fold under their tag and the schemas stay hidden: opened whole, the page runs past
    # 10,000 px before the reader has chosen anything.
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "validatorUrl": None,
        "docExpansion": "none",
        "defaultModelsExpandDepth": -1,
    },
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "convergence.api.schema.postprocess_unused_components",
    ],
    # The duplicate queue's record kinds are the delivery subjects' (child, person, family): one name.
    "ENUM_NAME_OVERRIDES": {
        "SubjectKindEnum": "interventions.models.SubjectKind",
        "FollowUpStatusEnum": "convergence.models.FollowUp.Status",
    },
}


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_nik": {"()": "config.logging.RedactNIKFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_nik"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}


def _nightly(task: str, variable: str, default: str) -> dict[str, object]:
    """A beat entry at a fixed local time (CELERY_TIMEZONE) read from `variable`, written HH:MM."""
    hour, minute = env_time(variable, default)
    # Expires before the next run is due, so a backlog after an outage never runs the job twice.
    return {"task": task, "schedule": crontab(hour=hour, minute=minute), "options": {"expires": 3600}}


# Fixed local times, staggered so the heavy jobs (duplicates scan, prevalence) never overlap; the
# light expiries sit between them.
CELERY_BEAT_SCHEDULE = {
    "housekeeping-nightly": _nightly("convergence.housekeeping", "BEAT_HOUSEKEEPING_AT", "01:00"),
    # Uploaded registers hold NIKs and names: kept only for their retention period.
    "import-files-expire-nightly": _nightly(
        "children.import_files_expire", "BEAT_IMPORT_FILES_EXPIRE_AT", "01:15"
    ),
    # So do the OPD delivery sheets.
    "delivery-import-files-expire-nightly": _nightly(
        "interventions.delivery_import_files_expire", "BEAT_DELIVERY_IMPORT_FILES_EXPIRE_AT", "01:20"
    ),
    # PMT form tokens and Idempotency-Keys guard against repeats for a month (interventions.submissions).
    "pmt-submissions-expire-nightly": _nightly(
        "interventions.pmt_submissions_expire", "BEAT_PMT_SUBMISSIONS_EXPIRE_AT", "01:25"
    ),
    # Imports and manual entry queue their own pairs; the nightly scan catches what they could not see.
    "duplicates-nightly": _nightly("children.duplicates_scan", "BEAT_DUPLICATES_SCAN_AT", "01:30"),
    # Measurements refresh their own months on commit; the nightly run catches what they could not
    # see (registrations, bulk loads, ageing out of the 0-59-month window).
    "prevalence-nightly": _nightly("reports.prevalence_recompute_all", "BEAT_PREVALENCE_AT", "02:00"),
    # PMT episodes past their planned last day are closed (unspent reservation back to the lines).
    "pmt-finish-nightly": _nightly("interventions.pmt_finish_due", "BEAT_PMT_FINISH_AT", "03:00"),
    # Next year's measurement partitions (PostgreSQL) exist long before its first weighing.
    "measurement-partitions-nightly": _nightly(
        "children.measurement_partitions_ahead", "BEAT_MEASUREMENT_PARTITIONS_AT", "00:45"
    ),
}
