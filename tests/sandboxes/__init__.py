"""Tests for the sandbox servers (real HTTP against running simulators)."""
