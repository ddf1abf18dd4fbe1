"""Settings every test shares."""

import os
import sys

import pytest


@pytest.fixture(autouse=True, scope="session")
def _probe_cache(tmp_path_factory):
    """Probe results are cached per user (app.probe.client.probe_cache_dir): the tests use a
    fresh folder of their own, so every probe test really runs the worker once per session and
    no result leaks between runs of the suite or into the user's cache."""
    folder = tmp_path_factory.mktemp("probe-cache")
    old = os.environ.get("TRAINDOC_CACHE")
    os.environ["TRAINDOC_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("TRAINDOC_CACHE", None)
    else:
        os.environ["TRAINDOC_CACHE"] = old


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item):
    """A test outside the GUI ones must not leave a QApplication behind: the GUI tests would
    all run on its platform (a report chart's offscreen app made the screenshots skip Xvfb)."""
    if item.get_closest_marker("gui") is not None or "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        pytest.fail(f"{item.nodeid} created a QApplication in the suite's process: the GUI tests "
                    "would run on its platform; move it to tests/gui (marked gui) or a subprocess",
                    pytrace=False)
