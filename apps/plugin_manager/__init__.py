"""Plugin manager: plugin registry, run-time on/off state, health, and the event bus."""
