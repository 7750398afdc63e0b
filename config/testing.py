"""Settings for the test suite (loaded by tests/conftest.py)."""

ENV_NAME = "testing"
TESTING = True
SECRET_KEY = "testing-secret-key"
SECURITY_PASSWORD_SALT = "testing-salt"
SECURITY_PASSWORD_HASH = "plaintext"  # argon2 is slow; production uses argon2
SECURITY_PASSWORD_SCHEMES = ["argon2", "plaintext"]
SECURITY_DEPRECATED_PASSWORD_SCHEMES = []
MAIL_BACKEND = "locmem"
SERVER_NAME = "localhost"
