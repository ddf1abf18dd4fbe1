"""Settings every test shares."""

import os

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
