"""Section 10 of ``bench.py``: how long a step of the explorer takes to appear in a browser.

``mindshare explore n=N`` is started on a free loopback port and driven by Playwright in
Debian's Chromium (``/usr/bin/chromium``), as ``tests/test_explore.py`` does. Timed: the page's
first load (until the status line shows day 0), then, ``STEPS`` times, the wall time from a
click on Step to the status line showing the next day (the step, both images drawn on the
server and shown in the page); reported are the median and the largest. The status line's own
figures (the model's step and the server's drawing, in ms) are kept for the last step. There is
no peer: no diffusion library ships a browser view of a run.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
STEPS = 10
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _one(n: int, browser: Any) -> dict[str, Any]:
    port = _free_port()
    mindshare = Path(sys.executable).with_name("mindshare")
    t0 = time.perf_counter()
    server = subprocess.Popen([mindshare, "explore", "--port", str(port), f"n={n}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"mindshare explore n={n} exited") from None
                time.sleep(0.1)
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_text("Day 0 of").wait_for(timeout=300_000)
        loaded = time.perf_counter() - t0
        times = []
        for day in range(1, STEPS + 1):
            t1 = time.perf_counter()
            page.get_by_role("button", name="Step").click()
            page.wait_for_function(
                "d => { const s = document.querySelector('.mindshare-status');"
                " return s && s.innerText.startsWith('Day ' + d + ' of'); }",
                arg=day, timeout=120_000)
            times.append(time.perf_counter() - t1)
        status = page.locator(".mindshare-status").inner_text()
        page.close()
    finally:
        server.terminate()
        server.wait(30)
    return {"n": n, "start_to_page_s": round(loaded, 2),
            "step_to_screen_median_s": round(statistics.median(times), 3),
            "step_to_screen_max_s": round(max(times), 3), "steps": STEPS,
            "last_status": status}


def bench_explore(log: Callable[[str], None], *, quick: bool = False) -> dict[str, Any]:
    """The explorer at N = 10^4 and 10^5 (10^4 only when ``quick``)."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for n in ([10_000] if quick else [10_000, 100_000]):
                row = _one(n, browser)
                log(f"  explore n={n:,}: page in {row['start_to_page_s']} s, a step on screen "
                    f"in {row['step_to_screen_median_s']} s (median of {STEPS}; max "
                    f"{row['step_to_screen_max_s']} s); {row['last_status']}")
                out.append(row)
        finally:
            browser.close()
    return {"rows": out}
