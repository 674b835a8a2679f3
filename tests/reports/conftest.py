from __future__ import annotations

import pytest


@pytest.fixture
def office_client(client, world):
    client.force_login(world.users.office)
    return client
