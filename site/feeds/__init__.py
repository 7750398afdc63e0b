"""Feeds: keyset cursors, the latest and profile feeds, cards, the decaying hot
score, daily picks and buffered view counts. CLI: flask hot / picks / cache / views.
"""
