"""The dashboard in headless Chromium: it goes live, and shows requests as they flow.

A real ``labweb --lab`` on 127.0.0.1, the Debian ``chromium`` and ``chromedriver``
(installed by ``.ci/run``) driven by Selenium. A screenshot is taken while requests
flow; set ``LABWEB_SCREENSHOT=path.png`` to keep it (docs/img/lab-dashboard.png was
taken so).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_process import LABWEB, ROOT, ServerProcess, get

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(
        shutil.which("chromium") is None or shutil.which("chromedriver") is None,
        reason="chromium and chromedriver are not installed",
    ),
]

WAIT_SECONDS = 30
# The machine may have no network: without these Chromium waits on lookups and updates.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not download
    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


def drive_requests(port: int, count: int, stop: threading.Event) -> None:
    """Requests the page should show, a few dozen a second, while it is open."""
    for number in range(count):
        if stop.is_set():
            return
        get(port, f"/browse/{number}")
        time.sleep(0.03)


def test_the_dashboard_shows_requests_live_in_chromium(browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver: object = browser
    server = ServerProcess(LABWEB, "--app", "examples.hello:app", "--lab", cwd=ROOT)
    stop = threading.Event()
    traffic = threading.Thread(target=drive_requests, args=(server.port, 60, stop), daemon=True)
    try:
        driver.get(f"http://127.0.0.1:{server.port}/_lab")  # type: ignore[attr-defined]
        wait = WebDriverWait(driver, WAIT_SECONDS)
        text = driver.find_element  # type: ignore[attr-defined]
        wait.until(lambda _: text(By.ID, "feed-status").text == "live")
        traffic.start()
        wait.until(lambda _: int(text(By.ID, "requests").text) >= 20)
        shot = Path(os.environ.get("LABWEB_SCREENSHOT") or tmp_path / "lab-dashboard.png")
        assert driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
        traffic.join(WAIT_SECONDS)
        newest = (By.CSS_SELECTOR, "#exchanges tbody tr")
        wait.until(lambda _: "GET /browse/59 200" in text(*newest).text)
        # 60 answers from the app, 3 for the page and its files, the feed's 101:
        responses = text(By.ID, "responses").text
        assert "200: 63" in responses and "101: 1" in responses, responses
        rows = text(By.ID, "exchanges").find_elements(*newest)
        assert len(rows) == 60  # the dashboard's own requests are hidden by default
        rows[0].click()
        wait.until(lambda _: "GET /browse/59 HTTP/1.1\\r\\n" in text(By.ID, "raw-in").text)
        assert "Hello, world!" in text(By.ID, "raw-out").text
    finally:
        stop.set()
        server.kill()
