"""Local infrastructure for `make run` and `make test`: embedded PostgreSQL, Redis, sandboxes.

Nothing here is imported by the ERP itself; it only prepares the processes around it.
"""
