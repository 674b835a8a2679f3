"""The portal's tests: the demo loaded once per module (rolled back afterwards), its evidence files in one
media folder that every test of the package uses, and an empty cache before each test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from .. import factories as f


@pytest.fixture(scope="session")
def portal_media(tmp_path_factory):
    return tmp_path_factory.mktemp("portal-media")


@pytest.fixture(autouse=True)
def _media_root(settings, portal_media):
    """Overrides the suite's per-test media folder: the module's demo photos must stay readable."""
    settings.MEDIA_ROOT = portal_media


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup, django_db_blocker, portal_media):
    """The demo (with its internal markers), loaded once for the module in a transaction rolled back
    afterwards."""
    from zhenggai.demo.loader import load_demo

    with f.rolled_back(django_db_blocker, media_root=portal_media):
        yield load_demo()


@pytest.fixture
def demo(loaded_demo, db):
    return loaded_demo
