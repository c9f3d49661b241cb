"""The test infrastructure plugin: the real processes the tests run against and the
per-test state around them. Registered once, by ``pytest_plugins`` in tests/conftest.py.

The scope rule
--------------
1. Processes are session-scoped and shared: one private redis-server (`private_broker`),
   one Celery worker on it (`celery_worker`), one of each sandbox server. Each starts with
   the first test that asks for it and stops when the session ends.
2. Per-test state is reset by function-scoped fixtures, autouse where it applies: where
   this process's Celery app publishes (`celery_on_private_broker`), the event bus's
   settings and per-process caches (`fast_eventbus`), the cache (`_isolated_cache`).
3. A test that damages a process (kills a worker, stops a redis-server) uses a private one
   of its own from a factory (`redis_factory`, `worker_factory`), never the shared one.

Modules, one job each: `processes` (start and stop redis-server and Celery workers by
PID), `broker` (the private broker and pointing Celery at it), `eventbus` (the fast
event-bus settings), `workers` (the shared worker and the factory), `waiting`
(`wait_for`), `targets` (a recording HTTP target). The shared folder beside the
repository is found by `devstack.shared_folder`, the project's one resolver.
"""

# In dependency order: a plugin module imported by another before its own registration
# would escape pytest's assertion rewriting.
PLUGINS = [
    "tests.infrastructure.waiting",
    "tests.infrastructure.broker",
    "tests.infrastructure.eventbus",
    "tests.infrastructure.workers",
]
