"""Complaint cases built through the real services in `world.inspection` (梁平区): one batch, a case led
by the township (with its complainant), one led by the department, one led by the department with the
township cooperating."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.urls import NoReverseMatch, include, path, reverse

from zhenggai.complaints.models import HandoverBatch
from zhenggai.complaints.services import complaint_create
from zhenggai.config import urls as project_urls

HANDED_OVER = dt.date(2025, 6, 3)  # a Tuesday
TOWN_COMPLAINANT = {"name": "张三丰", "contact": "13812345678", "id_number": "50022819800101123X"}
DEPT_COMPLAINANT = {"name": "李四光", "contact": "13987654321"}

# Used as ROOT_URLCONF by `complaint_urls` while the project's urls do not include the complaint pages yet.
urlpatterns = [path("", include("zhenggai.complaints.urls")), *project_urls.urlpatterns]


@pytest.fixture
def complaint_urls(settings):
    try:
        reverse("complaint_list")
    except NoReverseMatch:
        settings.ROOT_URLCONF = __name__


def make_batch(world, number: int = 1, handed_over: dt.date = HANDED_OVER, reply_days: int = 10) -> HandoverBatch:
    return HandoverBatch.objects.create(inspection=world.inspection, number=number, handed_over=handed_over,
                                        reply_days=reply_days)


def make_complaint(world, batch, number: str, summary: str, **data):
    values = {"acceptance_number": number, "summary": summary, "region": world.district, **data}
    return complaint_create(actor=world.users.office, batch=batch, data=values)


@pytest.fixture
def cw(world, django_capture_on_commit_callbacks):
    """The complaint world: `batch` and the cases `town`, `dept`, `coop`."""
    batch = make_batch(world)
    with django_capture_on_commit_callbacks(execute=True):
        town = make_complaint(world, batch, "D3CQ202506030001★", "双桂街道某某化工厂夜间排放刺鼻气味",
                              pollution_types=["air"], lead_unit=world.town, complainant=TOWN_COMPLAINANT)
        dept = make_complaint(world, batch, "X3CQ202506030002", "城区某小区餐饮油烟扰民，噪声大",
                              pollution_types=["air", "noise"], lead_unit=world.dept, complainant=DEPT_COMPLAINANT)
        coop = make_complaint(world, batch, "D3CQ202506030003", "工业园区某砖厂粉尘无组织排放",
                              pollution_types=["air"], lead_unit=world.dept, cooperating_units=[world.town])
    return SimpleNamespace(batch=batch, town=town, dept=dept, coop=coop, world=world, users=world.users)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client
    return as_user
