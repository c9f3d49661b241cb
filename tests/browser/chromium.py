"""Headless Debian Chromium driven by Playwright, and a page that records console errors.

Playwright's own browser download fails here, so it drives the system's Chromium
(`executable_path`). Every launch gets a fresh temporary profile from Playwright itself
(passing --user-data-dir to `launch()` is refused; it is how Playwright already works).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright

# Headless in a container as root: no sandbox, no GPU, and nothing that phones home
# (component updates, sync, QUIC probes) and could log errors or slow the start.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
# Generous for a CI machine shared by several runs (a page of the admin can take seconds
# there); waiting is only ever that long when something is missing anyway.
DEFAULT_TIMEOUT_MS = 30_000


def launch(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
    )


@dataclass
class ConsoleLog:
    """Console errors and uncaught exceptions of a page, as `type: text` lines."""

    errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console.error: {message.text} ({message.location})")

    def on_page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error}")

    def attach(self, page: Page) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)
