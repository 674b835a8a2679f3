"""The review: every (status, transition, role) triple, each transition's happy path with its event,
refusals (wrong state, wrong role, other region → hidden), the accountability case made from a flag and
the assessment item a confirmed flag becomes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhenggai.assessment.models import AccountabilityCase, Measure
from zhenggai.assessment.services import RuleData, assessment_compute, assessment_create, rule_set_create
from zhenggai.core.actors import system_actor
from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.models import Event
from zhenggai.integrity.checks import Scope
from zhenggai.integrity.models import IntegrityFlag
from zhenggai.integrity.policies import available_transitions
from zhenggai.integrity.services import (
    CaseInput,
    FlagTransitionRefused,
    integrity_flag_confirm,
    integrity_flag_dismiss,
    integrity_flag_reopen,
    integrity_flag_to_accountability,
    integrity_run,
)

from .conftest import PROBE

pytestmark = pytest.mark.django_db


def flag_for(probe, subject, reason="照片与另一任务的照片相同") -> IntegrityFlag:
    key = probe.report(subject, reason)
    integrity_run(scope=Scope(), checks=[PROBE], actor=system_actor())
    return IntegrityFlag.objects.get(check_code=PROBE, key=key)


def case_input(**extra) -> CaseInput:
    values = {"title": "第2项任务佐证照片造假", "date": dt.date(2025, 6, 30), "measures": [Measure.CIRCULATED],
              "people": [("张某", "双桂街道副主任")]}
    return CaseInput(**{**values, **extra})


# status → role → the transitions that role may take (office of the region decides; discipline refers)
EXPECTED = {
    "open": {"office": ["confirm", "dismiss"], "discipline": [], "leader": [], "other_office": [], "staff2": [],
             "head2": [], "admin": []},
    "dismissed": {"office": ["reopen"], "discipline": [], "leader": [], "other_office": [], "staff2": [],
                  "head2": [], "admin": []},
    "confirmed": {"office": [], "discipline": ["to_accountability"], "leader": [], "other_office": [],
                  "staff2": [], "head2": [], "admin": []},
}


@pytest.mark.parametrize("status", list(EXPECTED))
def test_available_transitions_for_every_status_and_role(world, probe, status):
    flag = flag_for(probe, world.t_town)
    IntegrityFlag.objects.filter(pk=flag.pk).update(status=status)
    flag.refresh_from_db()
    for role, expected in EXPECTED[status].items():
        assert available_transitions(flag, getattr(world.users, role)) == expected, (status, role)
    assert available_transitions(flag, system_actor()) == [n for n in ("confirm", "dismiss", "reopen",
                                                                       "to_accountability")
                                                           if n in {"open": ("confirm", "dismiss"),
                                                                    "dismissed": ("reopen",),
                                                                    "confirmed": ("to_accountability",)}[status]]


def test_office_confirms_an_open_flag_with_an_event_naming_the_units(world, probe):
    flag = flag_for(probe, world.t_town)
    integrity_flag_confirm(actor=world.users.office, flag=flag, reason="现场核查属实")
    flag.refresh_from_db()
    assert (flag.status, flag.decided_by, flag.decision_reason) == ("confirmed", world.users.office, "现场核查属实")
    event = Event.objects.get(verb="integrity.confirmed")
    assert event.chain.key == f"integrityflag:{flag.pk}" and event.actor == world.users.office
    assert event.data["units"] == [world.town.pk] and event.data["task"] == world.t_town.pk
    assert event.data["changes"] == {"status": ["open", "confirmed"]}


def test_the_unit_a_flag_names_is_the_one_it_counts_against(world, probe):
    from zhenggai.evidence.models import Evidence

    evidence = Evidence.objects.create(task=world.t_dept, organization=world.acceptor_org,
                                       uploaded_by=world.users.acceptor, category="after_photo", file="x.jpg",
                                       original_name="x.jpg", content_type="image/jpeg", size=1, sha256="0" * 64)
    flag = flag_for(probe, evidence)
    assert (flag.task, flag.unit, flag.subject_kind) == (world.t_dept, world.acceptor_org, "evidence")
    integrity_flag_confirm(actor=world.users.office, flag=flag)
    assert Event.objects.get(verb="integrity.confirmed").data["units"] == [world.acceptor_org.pk]


def test_office_dismisses_with_a_reason_and_reopens(world, probe):
    flag = flag_for(probe, world.t_town)
    with pytest.raises(ValidationFailed) as refused:
        integrity_flag_dismiss(actor=world.users.office, flag=flag, reason="  ")
    assert refused.value.field == "reason"
    integrity_flag_dismiss(actor=world.users.office, flag=flag, reason="同一处设施的整改前后照片")
    flag.refresh_from_db()
    assert flag.status == "dismissed" and flag.decided_at is not None
    with pytest.raises(ValidationFailed):
        integrity_flag_reopen(actor=world.users.office, flag=flag, reason="")
    integrity_flag_reopen(actor=world.users.office, flag=flag, reason="群众反映照片造假，重新核查")
    flag.refresh_from_db()
    assert (flag.status, flag.decided_by, flag.decision_reason) == ("open", None, "")
    assert list(Event.objects.filter(object_type="integrityflag", object_id=str(flag.pk)).order_by("seq")
                .values_list("verb", flat=True)) == ["integrity.flagged", "integrity.dismissed", "integrity.reopened"]


def test_wrong_state_is_refused(world, probe):
    flag = flag_for(probe, world.t_town)
    integrity_flag_confirm(actor=world.users.office, flag=flag)
    for service in (integrity_flag_confirm, integrity_flag_dismiss, integrity_flag_reopen):
        with pytest.raises(FlagTransitionRefused):
            service(actor=world.users.office, flag=flag, reason="再次")
    open_flag = flag_for(probe, world.t_dept)
    with pytest.raises(FlagTransitionRefused):
        integrity_flag_to_accountability(actor=world.users.discipline, flag=open_flag, case=case_input())


def test_wrong_role_is_refused_and_hidden_flags_are_not_found(world, probe):
    flag = flag_for(probe, world.t_town)
    for user in (world.users.discipline, world.users.leader):  # they read the flag, but may not decide
        with pytest.raises(PermissionDenied):
            integrity_flag_dismiss(actor=user, flag=flag, reason="不是问题")
    for user in (world.users.other_office, world.users.staff2, world.users.head2, world.users.admin):
        with pytest.raises(NotFound):
            integrity_flag_confirm(actor=user, flag=flag, reason="")
    assert IntegrityFlag.objects.get(pk=flag.pk).status == "open"
    assert not Event.objects.filter(verb__in=["integrity.confirmed", "integrity.dismissed"]).exists()


def test_discipline_turns_a_confirmed_flag_into_an_accountability_case(world, probe):
    flag = flag_for(probe, world.t_town)
    integrity_flag_confirm(actor=world.users.office, flag=flag, reason="确认")
    with pytest.raises(PermissionDenied):  # the case is the discipline body's to record
        integrity_flag_to_accountability(actor=world.users.office, flag=flag, case=case_input())
    with pytest.raises(ValidationFailed):  # the assessment app's own validation
        integrity_flag_to_accountability(actor=world.users.discipline, flag=flag, case=case_input(people=[]))
    integrity_flag_to_accountability(actor=world.users.discipline, flag=flag, case=case_input())
    flag.refresh_from_db()
    case = AccountabilityCase.objects.get()
    assert flag.accountability_case == case and flag.status == "confirmed"
    assert list(case.tasks.all()) == [world.t_town] and case.region == world.district
    assert case.recorded_by == world.users.discipline
    assert case.proposal_event == Event.objects.get(verb="integrity.confirmed")
    assert Event.objects.filter(verb="accountability.created", object_id=str(case.pk)).exists()
    assert Event.objects.get(verb="integrity.to_accountability").data["case"] == case.pk
    with pytest.raises(FlagTransitionRefused):  # one case per flag
        integrity_flag_to_accountability(actor=world.users.discipline, flag=flag, case=case_input())


def test_a_confirmed_flag_counts_in_assessment_when_the_rule_set_says_so(world, probe):
    flag = flag_for(probe, world.t_town)
    other = flag_for(probe, world.t_dept)
    integrity_flag_confirm(actor=world.users.office, flag=flag, reason="照片系网络下载")
    integrity_flag_dismiss(actor=world.users.office, flag=other, reason="核实无误")
    year = dt.date.today().year
    without = rule_set_create(actor=world.users.office, region=world.district, name="默认")
    assert "integrity_confirmed" not in set(without.rules.values_list("kind", flat=True))  # not in the starting set
    rules = [RuleData(kind="integrity_confirmed", label="真实性核查确认问题", points=Decimal("-2"))]
    with_rule = rule_set_create(actor=world.users.office, region=world.district, name="含真实性核查", rules=rules)
    counted = {}
    for rule_set in (without, with_rule):
        assessment = assessment_create(actor=world.users.office, region=world.district, title=rule_set.name,
                                       period_kind="year", start=dt.date(year, 1, 1), end=dt.date(year, 12, 31),
                                       rule_set=rule_set)
        assessment_compute(assessment=assessment, actor=world.users.office)
        counted[rule_set.name] = list(assessment.items.filter(rule_kind="integrity_confirmed"))
    assert counted["默认"] == []
    [item] = counted["含真实性核查"]
    assert (item.unit, item.points, item.task) == (world.town, Decimal("-2"), world.t_town)
    assert item.event == Event.objects.get(verb="integrity.confirmed") and "照片系网络下载" in item.reason
    assert "真实性核查" in item.reason
