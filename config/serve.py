"""Settings of `make serve`: the production shape on one machine (scripts/stack.py).

nginx in front (PROXY_FIX_HOPS = 1), MariaDB, Redis, local media served by nginx,
mails written as files into the run folder (so the tests can read the links). The
database URL, Redis URL, SERVER_NAME and instance folder come from the environment
that scripts/stack.py sets (GALLERY_…). It stays a development config (demo data,
generated secrets), so never use it for a real site: see production.example.py.
"""

PROXY_FIX_HOPS = 1
TRUSTED_HOSTS = ["127.0.0.1", "localhost"]
STORAGE_BACKEND = "local"
# After a Redis failure each worker skips Redis this long; sessions live in Redis, so a
# short period lets members log in again soon after Redis is back.
REDIS_BREAKER_SECONDS = 3
MAIL_BACKEND = "file"
# A stopped database must fail a request fast (then 503 + Retry-After), not hang it.
SQLALCHEMY_ENGINE_OPTIONS = {
    "pool_pre_ping": True,
    "pool_recycle": 3600,
    "pool_size": 5,
    "pool_timeout": 2,
    "connect_args": {"connect_timeout": 2, "read_timeout": 10, "write_timeout": 10},
}
