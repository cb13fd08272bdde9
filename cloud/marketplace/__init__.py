"""Open marketplace: flexibility contracts between a prosumer (pseudonymous) and an aggregator.

Lifecycle in ``states``, versioned terms in ``terms``, pluggable pre/post hooks in ``hooks``,
storage and optimistic concurrency in ``service``, REST in ``api``.
"""
