"""Running the solution notebooks with nbval: any output on stderr fails the cell.

``--nbval-lax`` checks that cells run, not what they print; a warning (e.g. a
library deprecation) would pass unseen. This hook turns a cell's stderr output
into a failure that shows the text. The notebooks' checks record no progress
(``COURSEWORK_PROGRESS=off``), so running them leaves the user's own untouched.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("COURSEWORK_PROGRESS", "off")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not report.passed:
        return
    outputs = getattr(item, "test_outputs", None) or []
    errors = [
        out.get("text", "")
        for out in outputs
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]
    if errors:
        report.outcome = "failed"
        report.longrepr = f"{item.name} wrote to stderr:\n" + "".join(errors)
