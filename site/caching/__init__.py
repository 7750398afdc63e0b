"""Caching: the Redis client (real or the in-process stand-in), cached values
behind a circuit breaker with single flight, and visitor page caching.
"""
