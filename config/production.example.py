"""Production settings: copy to /etc/gallery/production.py and set GALLERY_CONFIG.

Secrets never live in this file: SECRET_KEY and SECURITY_PASSWORD_SALT must come
from the environment (GALLERY_SECRET_KEY, GALLERY_SECURITY_PASSWORD_SALT); the
app refuses to start without them.
"""

ENV_NAME = "production"
SQLALCHEMY_DATABASE_URI = "mysql+pymysql://gallery@127.0.0.1/gallery?charset=utf8mb4"
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 3600, "pool_size": 10}
REDIS_URL = "redis://127.0.0.1:6379/0"

STORAGE_BACKEND = "qiniu"
QINIU_BUCKET = "gallery-media"
QINIU_DOMAIN = "https://img.example.com"
# QINIU_ACCESS_KEY / QINIU_SECRET_KEY: from the environment (GALLERY_QINIU_...).

MAIL_BACKEND = "smtp"
MAIL_SERVER = "smtp.example.com"
MAIL_PORT = 587
MAIL_USE_TLS = True

PROXY_FIX_HOPS = 1  # nginx in front (config/nginx.conf), which sets X-Forwarded-* itself
SERVER_NAME = "gallery.example.com"  # mailed links and absolute URLs use this host only
TRUSTED_HOSTS = ["gallery.example.com"]
HSTS_SECONDS = 31536000
SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
PREFERRED_URL_SCHEME = "https"
# Two-factor keys are stored encrypted with SECURITY_TOTP_SECRETS; without it they are
# derived from SECRET_KEY. Set GALLERY_SECURITY_TOTP_SECRETS='{"1": "<random>"}' so
# that rotating SECRET_KEY keeps every member's two-factor set-up.
SECURITY_TWO_FACTOR_VALIDITY_COOKIE = {"httponly": True, "secure": True, "samesite": "Strict"}
