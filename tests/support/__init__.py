"""Helpers shared by the tests: tests import them from here, never from conftest or from
another test module.

- environment: the chosen backends (SQLite or MariaDB, stand-in or real Redis), the test
  config, the frozen clock, require_service()
- factories: users, image rows, comments
- auth: CSRF tokens, logging in (through the form or straight into the session), JSON clients
- feeds: many images at once, statement counting, reading card ids from JSON and HTML
- sample_images: good and bad upload files made with Pillow
- qiniu_emulator: a local Kodo emulator the real qiniu SDK talks to
- crawl_site: a small website for the crawler tests
- live: the e2e live server and browser helpers
- mail: an SMTP server (aiosmtpd) on a free port and the settings that point the app at it
- accounts: registering, field errors, the outbox, logged in or not
- two_factor: codes computed from a key, staff with a fixed key, login with a code
"""
