"""Settings for the test suite (loaded by tests/conftest.py)."""

ENV_NAME = "testing"
TESTING = True
SECRET_KEY = "testing-secret-key"
SECURITY_PASSWORD_SALT = "testing-salt"
SECURITY_PASSWORD_HASH = "plaintext"  # argon2 is slow; production uses argon2
SECURITY_PASSWORD_SCHEMES = ["argon2", "plaintext"]
SECURITY_DEPRECATED_PASSWORD_SCHEMES = []
# The e-mail hash inside confirmation and reset tokens: Flask-Security's sha256_crypt runs in
# pure Python here (passlib has no C backend for it), half a second of CPU per token.
SECURITY_HASHING_SCHEMES = ["hex_md5"]
SECURITY_DEPRECATED_HASHING_SCHEMES = []
MAIL_BACKEND = "locmem"
SERVER_NAME = "localhost"
# The admin tests log staff in with a password only; tests/test_two_factor.py and the
# browser tests turn the two-factor requirement on.
ADMIN_REQUIRES_TWO_FACTOR = False
REDIS_EMBEDDED = "memory"  # one stand-in per app; real Redis via GALLERY_TEST_REDIS_URL
JOBS_MODE = "sync"  # jobs run at once; tests/test_jobs_worker.py runs real workers
