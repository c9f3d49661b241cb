"""Sandbox servers: stateful, strict simulators of the external systems KGC integrates with."""
