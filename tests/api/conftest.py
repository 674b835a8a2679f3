from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from zhenggai.api.services import api_token_create


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


def token_for(user, **kwargs) -> str:
    _token, secret = api_token_create(user=user, name=kwargs.pop("name", "测试"), **kwargs)
    return secret


class ApiClient:
    """A test client that sends a Bearer token and JSON bodies."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str, data=None, **headers):
        return self.client.get(path, data, headers={**self.headers, **headers})

    def post(self, path: str, body=None, **headers):
        return self.client.post(path, body if body is not None else {}, content_type="application/json",
                                headers={**self.headers, **headers})

    def patch(self, path: str, body=None, **headers):
        return self.client.patch(path, body if body is not None else {}, content_type="application/json",
                                 headers={**self.headers, **headers})


@pytest.fixture
def api(world):
    """api.office, api.staff… : one token client per user of the world."""

    class Clients:
        def __getattr__(self, name: str) -> ApiClient:
            client = ApiClient(token_for(getattr(world.users, name)))
            setattr(self, name, client)
            return client

    return Clients()
