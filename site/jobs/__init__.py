"""Operator work: operation runs with live progress and their records, demo
seeding, and the flask seed / crawl / import commands.
"""
