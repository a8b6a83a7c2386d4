"""Settings, read from the environment with safe defaults for local use.

Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL;
`manage.py check --deploy` then reports nothing.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# The fallback key is for local development only; production must set SECRET_KEY.
SECRET_KEY = env(
    "SECRET_KEY", default="dev-only-insecure-key-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "import_export",
    "scs",
    "registry",
    "blacklists",
    "sanctions",
    "publicity",
    # Above everything they read; nothing imports them.
    "opendata",
    "notifications",
    "rating",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # ETag/304, X-RateLimit-* and Deprecation/Sunset headers on /api/.
    "scs.middleware.ApiHeadersMiddleware",
]

ROOT_URLCONF = "scs.urls"
WSGI_APPLICATION = "scs.wsgi.application"
AUTH_USER_MODEL = "registry.User"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/scs"),
}
# Our backend creates every database (test ones too) with a UTF-8 LC_CTYPE.
DATABASES["default"]["ENGINE"] = "scs.db"
# Persistent connections: a new PostgreSQL connection per request costs more than the query.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="scs"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "media/"

# --- Security: strict whenever DEBUG is off -------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["scs.api.IsAgencyUser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "scs.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "scs.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["scs.api.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("API_RATE", default="6000/min"),
        "screening": env("API_SCREENING_RATE", default="120/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Deprecation/Sunset headers for API paths being retired, e.g.
# [{"prefix": "/api/v1/screenings/", "deprecation": "2027-01-01", "sunset": "2027-07-01",
#   "link": "https://…/docs/api-v2-migration"}] (dates in UTC; RFC 9745 and RFC 8594).
API_DEPRECATIONS = env.json("API_DEPRECATIONS", default=[])
REST_KNOX = {
    # Agency systems run unattended: tokens live a year and are rotated by issue_token.
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=365)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "National Credit Information Sharing Platform API",
    "DESCRIPTION": (
        "Registry of subjects, agency lists with due process, and the joint sanctions each "
        "agency must enforce. Authenticate with `Authorization: Token <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set used in several serializers.
    "ENUM_NAME_OVERRIDES": {
        "SubjectKindEnum": "registry.models.SubjectKind",
        "ListKindEnum": "blacklists.models.ListKind",
        "NoticeChannelEnum": "blacklists.models.NoticeChannel",
        "RoleKindEnum": "registry.models.RoleKind",
    },
}

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs, all declared here. Each is idempotent, so a missed or doubled beat is harmless.
CELERY_BEAT_SCHEDULE = {
    # Lists: publish entries whose objection window lapsed, expire entries past their end,
    # flag overdue objections and repairs.
    "lists-daily-clock": {"task": "blacklists.tasks.run_list_clock", "schedule": 300.0},
    # Lists: flag subjects for the derived "big data alert" watch list (a reviewer decides).
    "lists-watch-candidates": {
        "task": "blacklists.tasks.detect_watch_candidates",
        "schedule": crontab(minute=5, hour=2),
    },
    # Sanctions: re-enqueue outbox events a lost message or a Redis outage left pending.
    "sanctions-outbox-sweep": {"task": "sanctions.tasks.sweep_outbox", "schedule": 30.0},
    # Open data: a new version (files, manifest, delta) every night.
    "opendata-nightly-export": {
        "task": "opendata.tasks.export_open_data",
        "schedule": crontab(minute=30, hour=1),
    },
    # Notifications: read new sanction events, list outbox events and penalties into the
    # change log and the webhook outbox.
    "notifications-collect": {"task": "notifications.tasks.collect_changes", "schedule": 30.0},
    # Notifications: deliver due webhook requests (retries with backoff, lapsed leases).
    "notifications-deliver": {"task": "notifications.tasks.deliver_webhooks", "schedule": 15.0},
    # Rating: recompute ratings of enterprises whose inputs changed (the change log).
    "rating-recompute-changed": {"task": "rating.tasks.recompute_changed", "schedule": 60.0},
    # Rating: ratings whose inputs left force overnight, or under an older rule set.
    "rating-recompute-stale": {
        "task": "rating.tasks.recompute_stale",
        "schedule": crontab(minute=45, hour=0),
    },
    # Sanctions: recompute expected sanctions and repair drift.
    "sanctions-reconcile": {
        "task": "sanctions.tasks.reconcile",
        "schedule": crontab(minute=17, hour=3),
    },
}

# The lists app writes an outbox row with every start or end of legal effect and nudges this
# task after commit; the sweep above catches whatever the nudge misses.
LIST_OUTBOX_CONSUMER_TASK = "sanctions.tasks.process_outbox_event"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- Open data (docs/OPEN_DATA.md) ---------------------------------------------------------
OPEN_DATA_ROOT = env.path("OPEN_DATA_ROOT", default=str(BASE_DIR / "var" / "open-data"))
OPEN_DATA_KEEP_VERSIONS = env.int("OPEN_DATA_KEEP_VERSIONS", default=90)

# Portal uploads (objection / repair evidence).
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# --- Monitoring sets and webhooks (docs/NOTIFICATIONS.md) -----------------------------------
MONITORING_SET_MAX_SUBJECTS = env.int("MONITORING_SET_MAX_SUBJECTS", default=100_000)
# The change collector re-reads source rows younger than this (late commits).
NOTIFICATIONS_SETTLE_SECONDS = env.int("NOTIFICATIONS_SETTLE_SECONDS", default=120)
# SSRF guard: private/loopback targets only where the operator allows (tests, closed networks).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=120)
WEBHOOK_BACKOFF_BASE_SECONDS = env.float("WEBHOOK_BACKOFF_BASE_SECONDS", default=30.0)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600.0)
WEBHOOK_RETRY_FOR_SECONDS = env.int("WEBHOOK_RETRY_FOR_SECONDS", default=24 * 3600)
WEBHOOK_PAUSE_AFTER_SECONDS = env.int("WEBHOOK_PAUSE_AFTER_SECONDS", default=24 * 3600)
