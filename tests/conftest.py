from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from zhenggai.accounts.models import Organization, Region, Role

from . import factories as f

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = os.environ.get("ZHENGGAI_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _calendar_cache():
    from zhenggai.core import workdays

    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def _event_hook_cache():
    """Each test starts without cached event-hook rules: a rolled-back hook of an earlier test must not be
    seen, and query counts must not depend on when the per-process cache last expired."""
    from zhenggai.notifications.event_hooks import clear_rule_cache

    clear_rule_cache()
    yield
    clear_rule_cache()


@pytest.fixture
def world(db):
    """A small district: the office, two departments (one accepting), a township with a sub-unit,
    an unrelated department, one user per role, and an inspection with a plan and three tasks."""
    city = f.region("重庆市", level=Region.Level.CITY)
    district = f.region("梁平区", parent=city)
    other_district = f.region("垫江县", parent=city)
    gov = f.org("梁平区人民政府", region=district, kind=Organization.Kind.GOVERNMENT)
    office_org = f.org("区督察整改办", region=district, kind=Organization.Kind.OFFICE, parent=gov)
    dept = f.org("区住房城乡建委", region=district, parent=gov, short_name="区住建委")
    acceptor_org = f.org("区生态环境局", region=district, parent=gov)
    town = f.org("双桂街道", region=district, kind=Organization.Kind.TOWNSHIP, parent=gov)
    town_sub = f.org("双桂街道环保所", region=district, kind=Organization.Kind.OTHER, parent=town)
    unrelated = f.org("区文化旅游委", region=district, parent=gov)
    other_office = f.org("垫江县督察整改办", region=other_district, kind=Organization.Kind.OFFICE)
    users = SimpleNamespace(
        office=f.user("office", organization=office_org, roles=[Role.OFFICE]),
        staff=f.user("staff", organization=dept, roles=[Role.UNIT_STAFF]),
        head=f.user("head", organization=dept, roles=[Role.UNIT_HEAD]),
        staff2=f.user("staff2", organization=town, roles=[Role.UNIT_STAFF]),
        head2=f.user("head2", organization=town, roles=[Role.UNIT_HEAD]),
        acceptor=f.user("acceptor", organization=acceptor_org, roles=[Role.ACCEPTOR]),
        leader=f.user("leader", organization=gov, roles=[Role.LEADER]),
        discipline=f.user("discipline", organization=gov, roles=[Role.DISCIPLINE]),
        admin=f.user("admin", organization=office_org, roles=[Role.ADMIN]),
        unrelated=f.user("unrelated", organization=unrelated, roles=[Role.UNIT_STAFF, Role.UNIT_HEAD]),
        sub=f.user("sub", organization=town_sub, roles=[Role.UNIT_STAFF]),
        other_office=f.user("other_office", organization=other_office, roles=[Role.OFFICE]),
    )
    insp = f.inspection(target_region=district, title="重庆市第八生态环境保护督察组督察梁平区")
    plan = f.plan(inspection=insp)
    t_dept = f.task(actor=users.office, plan=plan, number=1, units=[dept], acceptance_unit=acceptor_org)
    t_town = f.task(actor=users.office, plan=plan, number=2, units=[town], acceptance_unit=dept,
                    title="农村生活污水处理设施闲置")
    t_sub = f.task(actor=users.office, plan=plan, number=3, units=[town_sub], title="餐饮油烟扰民")
    other_insp = f.inspection(target_region=other_district, title="垫江县督察")
    other_plan = f.plan(inspection=other_insp, title="垫江县整改方案")
    t_other = f.task(actor=users.other_office, plan=other_plan, number=1, units=[other_office], title="垫江县任务")
    return SimpleNamespace(
        city=city, district=district, other_district=other_district, gov=gov, office_org=office_org, dept=dept,
        acceptor_org=acceptor_org, town=town, town_sub=town_sub, unrelated=unrelated, users=users,
        inspection=insp, plan=plan, t_dept=t_dept, t_town=t_town, t_sub=t_sub, t_other=t_other,
        other_plan=other_plan,
    )


# Chromium through Playwright, one browser for the whole session (browser tests of every app share it).

@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see .ci/run)")
    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # a phone
    pg = context.new_page()
    pg.set_default_timeout(30000)
    yield pg
    context.close()
