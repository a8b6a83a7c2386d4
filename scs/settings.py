"""Settings, read from the environment with safe defaults for local use.

Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, PORTAL_BASE_URL, DATABASE_URL and
REDIS_URL; `manage.py check --deploy` then reports nothing. With DEBUG=false the platform
fails closed (issue 9 §4): it refuses to start without SECRET_KEY (and never with a key
committed to this repository), ALLOWED_HOSTS or PORTAL_BASE_URL.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# Keys that were ever committed to this repository: usable only with DEBUG on (local work).
COMMITTED_SECRET_KEYS = frozenset(
    {"dev-only-insecure-key-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d"}
)
_DEV_SECRET_KEY = next(iter(COMMITTED_SECRET_KEYS))
_DEV_HOSTS = ["127.0.0.1", "localhost", "testserver"]
_DEV_PORTAL_BASE_URL = "http://127.0.0.1:8000"


def _required_in_production(name: str, why: str) -> str:
    value = env.str(name, default="").strip()
    if not DEBUG and not value:
        raise ImproperlyConfigured(f"DEBUG is false: set {name} ({why}); refusing to start.")
    return value


SECRET_KEY = _required_in_production("SECRET_KEY", "a long random key, never a committed one")
if not DEBUG and (SECRET_KEY in COMMITTED_SECRET_KEYS or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DEBUG is false: SECRET_KEY is a key committed to the repository or shorter than 32 "
        "characters; generate a new one. Refusing to start."
    )
SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
ALLOWED_HOSTS = [
    h.strip()
    for h in _required_in_production("ALLOWED_HOSTS", "the host names this site answers to").split(
        ","
    )
    if h.strip()
] or _DEV_HOSTS
# The portal's public address, printed on every PDF report as its verification address.
PORTAL_BASE_URL = (
    _required_in_production("PORTAL_BASE_URL", "the portal's public https address")
    or _DEV_PORTAL_BASE_URL
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "scs.apps.PlatformAdminConfig",
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "scs",
    "registry",
    "blacklists",
    "sanctions",
    "filings",
    "publicity",
    "sharing",
    # The special credit report and issued reports: read by both portal-side apps.
    "reports",
    # Above everything they read; nothing imports them.
    "opendata",
    "notifications",
    "rating",
    "my",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "scs.security.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CSRF (which reads POST bodies): refuses oversized evidence uploads unread.
    "publicity.middleware.EvidenceBodyLimit",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "scs.security.StaffSessionMiddleware",
    "scs.security.InputHygieneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # ETag/304, X-RateLimit-* and Deprecation/Sunset headers on /api/.
    "scs.middleware.ApiHeadersMiddleware",
    # Last, as django-axes requires: answers a locked-out sign-in attempt.
    "axes.middleware.AxesMiddleware",
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
# A database that refuses or never answers must cost seconds, not minutes (issue 10): the
# connect timeout bounds a black-holed server; the statement timeout (set for web processes
# by scs/wsgi.py, 0 = none for commands and workers, which run long batches) bounds a query.
DB_STATEMENT_TIMEOUT_MS = env.int("DB_STATEMENT_TIMEOUT_MS", default=0)
DATABASES["default"].setdefault("OPTIONS", {}).update(
    {
        "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=3),
        "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
        # A connection whose server vanished is noticed by TCP within ~10 s, not 2 hours.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
    }
)
# Seconds a client is asked to wait when the database is unavailable (503 Retry-After).
DB_UNAVAILABLE_RETRY_AFTER = env.int("DB_UNAVAILABLE_RETRY_AFTER", default=30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="scs"),
        # Fail fast when Redis is down or black-holed: callers degrade (scs.cache).
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}

# django-axes first: it refuses a locked account or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

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
# Files no URL may serve (consent evidence): read only through views that check permission.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))

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

# --- Staff sign-in (issue 10) -------------------------------------------------------------
# Lockout per account and per address (either one locks), reset by a successful sign-in.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "scs.security.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "scs.security.lockout_response"
AXES_VERBOSE = False
# Proxies whose X-Forwarded-For is believed (CIDRs); empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# TOTP second factor: required for these roles (and superusers), offered to the others.
STAFF_OTP_REQUIRED_ROLES = ("reviewer", "admin")
OTP_TOTP_ISSUER = "SCS"
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
STAFF_SESSION_ABSOLUTE_SECONDS = env.int("STAFF_SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = STAFF_SESSION_ABSOLUTE_SECONDS

# Content-Security-Policy: our own origin only; no inline script or style anywhere we serve.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "scs.api.AgencyTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["scs.api.IsAgencyUser"],
    "DEFAULT_FILTER_BACKENDS": ["scs.api.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "scs.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "scs.api.exception_handler",
    # JSON only (the contract's one body type); file uploads name MultiPartParser themselves.
    "DEFAULT_PARSER_CLASSES": ["scs.api.SafeJSONParser"],
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
    # The API's contract authenticates by token only (scs.api.AgencyTokenScheme).
    "AUTHENTICATION_WHITELIST": ["scs.api.AgencyTokenAuthentication"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scs.api.document_error_responses",
        "scs.api.fill_vocabularies",
        "registry.api.decision_date_window",
        "scs.api.document_input_rules",
        "blacklists.api.list_entry_variants",
        "sharing.api.collection.credit_record_variants",
    ],
    # One name per choice set used in several serializers.
    "ENUM_NAME_OVERRIDES": {
        "SubjectKindEnum": "registry.models.SubjectKind",
        "ListKindEnum": "blacklists.models.ListKind",
        "NoticeChannelEnum": "blacklists.models.NoticeChannel",
        "RoleKindEnum": "registry.models.RoleKind",
        "ImportJobStatusEnum": "blacklists.models.ImportJobStatus",
        "SubjectStatusEnum": "registry.models.Subject.Status",
    },
}

# A global cap per API scope, over all callers together (besides each token's own rate).
API_GLOBAL_RATES = {
    "token": env("API_GLOBAL_RATE", default="60000/min"),
    "screening": env("API_GLOBAL_SCREENING_RATE", default="2400/min"),
}
# Bulk import files are capped while streamed (rows: blacklists.importing.MAX_ROWS).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# JSON request limits (issue 10): screening 10 000 identifiers is ~300 kB.
API_MAX_JSON_BYTES = env.int("API_MAX_JSON_BYTES", default=2 * 1024 * 1024)
API_MAX_JSON_DEPTH = 32
# Every CSV/XLSX export neutralises spreadsheet formulae (see scs/spreadsheets.py).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# Celery's Django fixup closes every database connection before and after each task unless
# this is set (it then closes them every 2 × this many tasks); scs/celery.py applies Django's
# own CONN_MAX_AGE and health checks around tasks instead, as for requests.
CELERY_DB_REUSE_MAX = 1_000_000
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
    # Registry: flag penalty-record repair applications past their 10 working days.
    "registry-record-repairs-overdue": {
        "task": "registry.tasks.flag_overdue_record_repairs",
        "schedule": crontab(minute=20, hour=1),
    },
    # Sharing: flag unusual consultations of the previous day to agency administrators.
    "sharing-usage-scan": {
        "task": "sharing.tasks.flag_unusual_use",
        "schedule": crontab(minute=40, hour=1),
    },
    # Lists: re-send import jobs a lost message left queued, re-queue those a dead worker held.
    "lists-import-jobs-sweep": {
        "task": "blacklists.import_jobs.sweep_import_jobs",
        "schedule": 60.0,
    },
    # Sanctions: re-enqueue outbox events a lost message or a Redis outage left pending.
    "sanctions-outbox-sweep": {"task": "sanctions.tasks.sweep_outbox", "schedule": 30.0},
    # Sharing: credit-record corrections, withdrawals and repairs a lost nudge left
    # undelivered to the agencies holding copies.
    "sharing-record-changes-sweep": {
        "task": "sharing.tasks.sweep_record_changes",
        "schedule": 30.0,
    },
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
    # Partitioned append-only tables (scs.partitioning): next months' partitions, strays out
    # of the default partitions, retention.
    "partitions-maintain": {
        "task": "scs.tasks.maintain_partitions",
        "schedule": crontab(minute=50, hour=3),
    },
    # Sanctions: recompute expected sanctions and repair drift.
    "sanctions-reconcile": {
        "task": "sanctions.tasks.reconcile",
        "schedule": crontab(minute=17, hour=3),
    },
}

# Retention of the partitioned append-only tables, in days; unset keeps for ever
# (scs.partitioning, docs/SCALING.md "Partitioned tables"). Lower bounds are enforced.
PARTITION_RETENTION = {
    # The access log: at least 5 years (issue 12; 征信业管理条例 第十八条), 5 × 365 + 2 days.
    "access_log": env.int("RETENTION_ACCESS_LOG_DAYS", default=5 * 365 + 2),
    # The registry's audit trail: the longest publicity in the sources (7 years, Jiangsu,
    # 000) plus the limit of administrative litigation over it (3 years): 10 years.
    "audit_events": env.int("RETENTION_AUDIT_EVENTS_DAYS", default=10 * 365 + 3),
    # The agencies' feed: kept, because `?as_of=` and a reader starting from cursor 0 rely on
    # every event of a sanction still in force; a number of days drops whole id ranges whose
    # newest event is older.
    "feed_events": env.int("RETENTION_FEED_EVENTS_DAYS", default=None),
}

# The lists app writes an outbox row with every start or end of legal effect and nudges this
# task after commit; the sweep above catches whatever the nudge misses.
LIST_OUTBOX_CONSUMER_TASK = "sanctions.tasks.process_outbox_event"
# The registry writes a change row with every correction, withdrawal and repair of a credit
# record and nudges this task after commit (the sweep above catches what the nudge misses).
CREDIT_RECORD_CHANGE_CONSUMER_TASK = "sharing.tasks.deliver_record_change"
# What publishing an entry would impose (the admin's confirmation); lists do not import sanctions.
LIST_PUBLICATION_IMPACT = "sanctions.propagation.entry_impact"
# Outbox events applied per transaction by the sanctions consumer (set-based imposition); a
# clerk's single entry waits behind at most one such batch of a bulk load.
SANCTIONS_OUTBOX_BATCH = env.int("SANCTIONS_OUTBOX_BATCH", default=100)
# A bulk load's backlog chain grows its batches towards this duration (seconds) and at most to
# this many events (sanctions.services.outbox_next_batch_size).
SANCTIONS_OUTBOX_BATCH_SECONDS = env.float("SANCTIONS_OUTBOX_BATCH_SECONDS", default=0.3)
SANCTIONS_OUTBOX_BATCH_MAX = env.int("SANCTIONS_OUTBOX_BATCH_MAX", default=2000)
# The backlog chain's task runs batches back to back for up to this long before it hands the
# chain back to the queue (a broker round trip and a new task per batch cost ≈10-20 ms each
# on a loaded machine; between two batches the feed lock goes to any waiting nudge first).
SANCTIONS_OUTBOX_TASK_SECONDS = env.float("SANCTIONS_OUTBOX_TASK_SECONDS", default=2.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler masks resident IDs (scs.checks reports one that does not).
    "filters": {"mask_resident_ids": {"()": "scs.logging.MaskResidentIds"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_resident_ids"]}},
    # Replace Django's own handlers (its console and mail_admins), which would not mask.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# Portal uploads (objection / repair evidence): outside MEDIA_ROOT and any URL.
EVIDENCE_ROOT = env.path("EVIDENCE_ROOT", default=str(BASE_DIR / "var" / "evidence"))
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Open data (docs/OPEN_DATA.md) ---------------------------------------------------------
OPEN_DATA_ROOT = env.path("OPEN_DATA_ROOT", default=str(BASE_DIR / "var" / "open-data"))
OPEN_DATA_KEEP_VERSIONS = env.int("OPEN_DATA_KEEP_VERSIONS", default=90)


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

# The subject's window (/my/): its own sign-in, separate from the admin's.
MY_LOGIN_URL = "/my/sign-in/"
MY_LOCKOUT_FAILURES = env.int("MY_LOCKOUT_FAILURES", default=5)  # in a row, per account
MY_LOCKOUT_MINUTES = env.int("MY_LOCKOUT_MINUTES", default=15)
MY_SESSION_IDLE_SECONDS = env.int("MY_SESSION_IDLE_SECONDS", default=30 * 60)
MY_SESSION_MAX_SECONDS = env.int("MY_SESSION_MAX_SECONDS", default=8 * 3600)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@credit.example")
