"""The real browser the front-end test drives: Debian's headless Chromium, through
Playwright for Python (a dev dependency; its own browser downloads are never used).

Where Chromium (or Playwright) is missing the test is skipped, saying which; with
FOLLOWUP_REQUIRE_BROWSER=1 (as CI sets) that is a failure instead.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER_VARIABLE = "FOLLOWUP_REQUIRE_BROWSER"


def missing_browser() -> str | None:
    """Why the browser cannot be driven here, or None when it can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (a dev dependency: make lint installs it)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Chromium's path, once it is known it can be driven; else a skip, or the failure
    FOLLOWUP_REQUIRE_BROWSER=1 asks for."""
    reason = missing_browser()
    if reason is None:
        return CHROMIUM
    if os.environ.get(REQUIRE_BROWSER_VARIABLE) == "1":
        pytest.fail(f"{reason}; {REQUIRE_BROWSER_VARIABLE}=1 requires it", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """Headless Chromium, launched once for the run's browser tests."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # Without Chromium's sandbox: it cannot start as root (as CI runs) with it. The
        # pages it loads here are the test's own.
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, chromium_sandbox=False
        )
        try:
            yield launched
        finally:
            await launched.close()
