"""The browser the tests and benches drive: Debian's Chromium, with the flags it needs here
(no sandbox as root, no GPU, nothing fetched in the background)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
