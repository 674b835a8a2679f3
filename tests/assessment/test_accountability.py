"""Accountability cases: the discipline body records them (from a proposal of the escalation ladder or
by hand), the office and leaders read them, everybody else is refused; every change is an event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from zhenggai.assessment.models import AccountabilityCase, Measure
from zhenggai.assessment.selectors import open_proposals
from zhenggai.assessment.services import CaseData, accountability_case_save
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.models import Event
from zhenggai.rectification.models import SupervisionNotice
from zhenggai.rectification.supervision import escalation_run

D = dt.date


@pytest.fixture
def talk(scenario):
    """Task A is red: the ladder drafts a 督办函 and a 约谈建议."""
    escalation_run(on=D(2025, 12, 1))
    return SupervisionNotice.objects.get(task=scenario.a, kind=SupervisionNotice.Kind.TALK)


def test_discipline_records_a_case_from_a_talk_proposal(client, scenario, talk):
    w = scenario.world
    client.force_login(w.users.discipline)
    listing = client.get(reverse("accountability_list")).content.decode()
    [proposal] = open_proposals(w.users.discipline)
    assert proposal.kind == "talk" and proposal.task == scenario.a
    assert f"?proposal={proposal.event.pk}" in listing
    form = client.get(reverse("accountability_create") + f"?proposal={proposal.event.pk}")
    html = form.content.decode()
    assert form.status_code == 200 and "来源：约谈建议" in html and "约谈单位主要负责人" in html
    response = client.post(reverse("accountability_create"), {
        "proposal": proposal.event.pk, "title": "第10项整改任务逾期未完成，约谈单位主要负责人", "date": "2025-12-02",
        "measures": [Measure.TALK, Measure.WRITTEN_REVIEW], "people": "王某某，区住房城乡建委主任\n李某，副主任",
        "tasks": [scenario.a.pk], "complaints": [scenario.k1.pk], "description": "逾期未完成整改",
    })
    assert response.status_code == 302
    case = AccountabilityCase.objects.get()
    assert case.proposal_event == proposal.event and case.region == w.district
    assert [(p.name, p.post) for p in case.people.all()] == [("王某某", "区住房城乡建委主任"), ("李某", "副主任")]
    assert case.measures == [Measure.TALK, Measure.WRITTEN_REVIEW]
    assert list(case.tasks.all()) == [scenario.a] and list(case.complaints.all()) == [scenario.k1]
    event = Event.objects.get(object_type="accountabilitycase", object_id=str(case.pk))
    assert event.verb == "accountability.created" and event.actor == w.users.discipline
    assert event.data["after"]["people"] == [["王某某", "区住房城乡建委主任"], ["李某", "副主任"]]
    assert open_proposals(w.users.discipline) == []  # answered
    detail = client.get(reverse("accountability_detail", args=[case.pk])).content.decode()
    assert "王某某" in detail and "约谈、责令书面检查" in detail
    # editing records the changes
    response = client.post(reverse("accountability_edit", args=[case.pk]), {
        "title": case.title, "date": "2025-12-02", "measures": [Measure.TALK, Measure.LEAD_TRANSFER],
        "people": "王某某，区住房城乡建委主任", "lead_transferred_to": "区纪委监委第二审查调查室",
        "tasks": [scenario.a.pk],
    })
    assert response.status_code == 302
    updated = Event.objects.get(object_type="accountabilitycase", object_id=str(case.pk), verb="accountability.updated")
    assert set(updated.data["changes"]) == {"measures", "people", "lead_transferred_to", "complaints", "description"}
    case.refresh_from_db()
    assert case.proposal_event == proposal.event  # kept


def test_others_are_refused(client, scenario, talk):
    w = scenario.world
    case = accountability_case_save(actor=w.users.discipline, data=CaseData(
        title="通报批评", date=D(2025, 12, 2), measures=[Measure.CIRCULATED], people=[("张某", "科长")]))
    for user in (w.users.office, w.users.leader):
        client.force_login(user)
        assert client.get(reverse("accountability_list")).status_code == 200
        assert client.get(reverse("accountability_detail", args=[case.pk])).status_code == 200
        assert client.get(reverse("accountability_create")).status_code == 403
        assert client.get(reverse("accountability_edit", args=[case.pk])).status_code == 403
        assert 'data-testid="case-create"' not in client.get(reverse("accountability_list")).content.decode()
    for user in (w.users.head, w.users.staff2, w.users.acceptor):
        client.force_login(user)
        assert client.get(reverse("accountability_list")).status_code == 403
        assert client.get(reverse("accountability_detail", args=[case.pk])).status_code == 404
        assert client.post(reverse("accountability_create"), {"title": "x"}).status_code == 403
    client.force_login(w.users.other_office)
    assert client.get(reverse("accountability_detail", args=[case.pk])).status_code == 404
    assert "通报批评" not in client.get(reverse("accountability_list")).content.decode()
    with pytest.raises(PermissionDenied):
        accountability_case_save(actor=w.users.office, data=CaseData(
            title="x", date=D(2025, 12, 2), measures=[Measure.TALK], people=[("张某", "")]))
    assert AccountabilityCase.objects.count() == 1


def test_case_rules(scenario):
    w = scenario.world
    base = {"title": "移送线索", "date": D(2025, 12, 2), "people": [("张某", "")]}
    with pytest.raises(ValidationFailed) as no_measure:
        accountability_case_save(actor=w.users.discipline, data=CaseData(**base))
    assert no_measure.value.field == "measures"
    with pytest.raises(ValidationFailed) as no_body:
        accountability_case_save(actor=w.users.discipline, data=CaseData(**base, measures=[Measure.LEAD_TRANSFER]))
    assert no_body.value.field == "lead_transferred_to"
    with pytest.raises(ValidationFailed) as foreign:
        accountability_case_save(actor=w.users.discipline, data=CaseData(
            **base, measures=[Measure.TALK], tasks=[w.t_other]))
    assert foreign.value.field == "tasks"
    assert not AccountabilityCase.objects.exists()
