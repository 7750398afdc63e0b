"""Accounts: Flask-Security-Too set-up, login by e-mail or username, and the
registration form. Two-factor, API tokens and session handling belong here too.
"""
