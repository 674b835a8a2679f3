"""The monthly dispatch bulletin: figures of the hand-built scene, the job, the PDF and the DOCX."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest

from zhenggai.reports.bulletin import bulletin_context, parse_month
from zhenggai.reports.models import Bulletin

from .conftest import D, assert_cjk_font_embedded, pdf_text


def test_figures_of_the_scene(scene):
    w = scene.world
    b = bulletin_context(region=w.district, month="2025-03", number=3)
    assert b.title == "梁平区生态环境保护督察整改调度通报（2025年第3期）"
    assert b.as_of == D(2025, 3, 20)  # the running month: figures as of today
    s = b.summary
    assert (s.tasks, s.done, s.in_progress, s.red, s.yellow) == (6, 1, 5, 1, 2)
    assert (s.complaints, s.complaints_done) == (2, 1)
    assert [(r.label, r.total, r.done, r.rate) for r in b.by_year] == [("2025年", 5, 1, "20.0%"), ("2026年", 1, 0, "0.0%")]
    assert [(r.rank, r.unit, r.total, r.done, r.rate, r.overdue) for r in b.ranking] == [
        (1, "区住房城乡建委", 2, 1, "50.0%", 1),
        (2, "双桂街道", 2, 0, "0.0%", 0),
        (2, "双桂街道环保所", 2, 0, "0.0%", 0),
    ]
    assert [(r.number, r.units, r.deadline, r.days) for r in b.red] == [(4, "区住房城乡建委", "2025年3月10日", 10)]
    assert [(r.number, r.days) for r in b.yellow] == [(5, 5), (3, 286)]  # by deadline; days left
    assert b.rounds == ["2025年3月调度"]
    assert [(r.unit, r.late, r.missing, r.tasks) for r in b.reporters] == [
        ("双桂街道环保所", 0, 1, "3"), ("双桂街道", 1, 0, "2")]
    assert b.assessment is None
    assert "已完成销号1项，完成率16.7%" in b.lead


def test_other_months_and_regions(scene):
    w = scene.world
    february = bulletin_context(region=w.district, month=dt.date(2025, 2, 14))
    assert february.rounds == [] and february.reporters == []
    assert february.as_of == D(2025, 3, 20)  # generated weeks later: today's state, dated today
    on_the_first = bulletin_context(region=w.district, month="2025-02", on=D(2025, 3, 1))
    assert on_the_first.as_of == D(2025, 2, 28)  # the schedule's bulletin is dated the month's last day
    other = bulletin_context(region=w.other_district, month="2025-03")
    assert other.summary.tasks == 1 and other.ranking[0].unit == "垫江县督察整改办"


@pytest.mark.parametrize("text", ["2025-13", "25-03", "2025/03", ""])
def test_month_must_be_yyyy_mm(text):
    from zhenggai.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        parse_month(text)


def _docx(data: bytes):
    import docx

    return docx.Document(io.BytesIO(data))


def _table_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_request_queues_the_job_which_stores_both_files(scene, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage
    from django_q.models import OrmQ

    from zhenggai.core.models import Event
    from zhenggai.reports.tasks import bulletin_generate, bulletin_request

    w = scene.world
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = bulletin_request(actor=scene.users.office, region=w.district, month="2025-03")
    assert (bulletin.status, bulletin.number, bulletin.month) == (Bulletin.Status.QUEUED, 1, D(2025, 3, 1))
    # queued once for the worker (the test runs the job itself); the integrity checks may queue their own job
    queued = [q.func() for q in OrmQ.objects.all()]
    assert queued.count("zhenggai.reports.tasks.bulletin_generate") == 1, queued
    assert Event.objects.filter(verb="bulletin.requested", object_id=str(bulletin.pk)).exists()

    assert bulletin_generate(bulletin.pk) == Bulletin.Status.DONE
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.DONE and bulletin.generated_at and not bulletin.error
    assert default_storage.exists(bulletin.pdf.name) and default_storage.exists(bulletin.docx.name)

    pdf = bulletin.pdf.read()
    text = pdf_text(pdf)
    for heading in ("调度通报", "梁平区生态环境保护督察整改调度通报（2025年第1期）", "一、总体情况", "二、分年度完成情况",
                    "三、责任单位完成情况排名", "四、红灯任务清单", "五、黄牌任务清单", "六、逾期报送和未报送单位"):
        assert heading in text, heading
    assert "考核排名" not in text  # no assessment rows were given
    assert "截至2025年3月20日，梁平区共有整改任务6项，已完成销号1项，完成率16.7%" in text
    assert "正在推进5项，其中红灯1项、黄牌2项。信访举报件共2件，已办结1件。" in text
    assert "建筑工地扬尘管控不到位" in text and "2025年3月10日" in text  # the red list
    assert "区住房城乡建委" in text and "50.0%" in text  # the ranking
    assert "双桂街道环保所" in text and "2025年3月调度" in text  # the missing reporter
    assert_cjk_font_embedded(pdf)

    document = _docx(bulletin.docx.read())
    paragraphs = [p.text for p in document.paragraphs]
    assert "梁平区生态环境保护督察整改调度通报（2025年第1期）" in paragraphs
    assert {"一、总体情况", "三、责任单位完成情况排名", "六、逾期报送和未报送单位"} <= set(paragraphs)
    rows = _table_rows(document.tables[0])
    assert rows[0][:3] == ["整改任务（项）", "已完成销号", "正在推进"] and rows[1][:5] == ["6", "1", "5", "16.7%", "1"]
    ranking = _table_rows(document.tables[2])
    assert ranking[1] == ["1", "区住房城乡建委", "2", "1", "50.0%", "1"]
    from docx.oxml.ns import qn

    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "宋体"
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    header_row = document.tables[0].rows[0]._tr
    assert header_row.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page in Word

    # asking again re-renders the same issue
    with django_capture_on_commit_callbacks(execute=True):
        again = bulletin_request(actor=scene.users.office, region=w.district, month="2025-03")
    assert again.pk == bulletin.pk and again.number == 1 and again.status == Bulletin.Status.QUEUED


def test_docx_shows_the_assessment_when_rows_are_given(scene):
    from zhenggai.reports.bulletin_docx import bulletin_docx_bytes

    rows = [SimpleNamespace(rank=1, unit_name="区生态环境局", score=99.5),
            SimpleNamespace(rank=2, unit_name="双桂街道", score=96)]
    data = bulletin_context(region=scene.world.district, month="2025-03", assessment_rows=rows)
    document = _docx(bulletin_docx_bytes(data))
    assert "七、考核排名" in [p.text for p in document.paragraphs]
    assert _table_rows(document.tables[-1]) == [["排名", "单位", "得分"], ["1", "区生态环境局", "99.5"],
                                                ["2", "双桂街道", "96"]]


def test_numbers_count_per_region_and_year(world, django_capture_on_commit_callbacks):
    from zhenggai.reports.tasks import bulletin_request

    with django_capture_on_commit_callbacks(execute=True):
        feb = bulletin_request(actor=world.users.office, region=world.district, month="2025-02")
        mar = bulletin_request(actor=world.users.office, region=world.district, month="2025-03")
        jan26 = bulletin_request(actor=world.users.office, region=world.district, month="2026-01")
        other = bulletin_request(actor=world.users.other_office, region=world.other_district, month="2025-03")
    assert (feb.number, mar.number, jan26.number, other.number) == (1, 2, 1, 1)
    assert jan26.title == "梁平区生态环境保护督察整改调度通报（2026年第1期）"


@pytest.mark.parametrize("who", ["leader", "discipline", "head", "acceptor", "admin", "other_office"])
def test_only_the_office_of_the_region_may_request(world, who):
    from zhenggai.core.errors import PermissionDenied
    from zhenggai.reports.tasks import bulletin_request

    with pytest.raises(PermissionDenied):
        bulletin_request(actor=getattr(world.users, who), region=world.district, month="2025-03")
    assert not Bulletin.objects.exists()


def test_a_failing_render_marks_the_bulletin_failed(world, django_capture_on_commit_callbacks, settings):
    from zhenggai.reports.tasks import bulletin_generate, bulletin_request

    with django_capture_on_commit_callbacks(execute=True):
        bulletin = bulletin_request(actor=world.users.office, region=world.district, month="2025-03")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [], "APP_DIRS": False,
                           "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "loaders": []}}]
    assert bulletin_generate(bulletin.pk) == Bulletin.Status.FAILED
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.FAILED and "bulletin_pdf.html" in bulletin.error and not bulletin.pdf


def test_schedule_monthly_on_the_first_and_job_requests_last_month(world, django_capture_on_commit_callbacks):
    import time_machine
    from django_q.models import Schedule

    from zhenggai.reports.tasks import monthly_bulletins, register_schedules

    with time_machine.travel(dt.datetime(2025, 4, 15, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        (schedule,) = register_schedules()
        register_schedules()
    assert Schedule.objects.filter(name="monthly-bulletins").count() == 1
    assert schedule.schedule_type == Schedule.MONTHLY and schedule.func == "zhenggai.reports.tasks.monthly_bulletins"
    from django.utils import timezone

    run = timezone.localtime(schedule.next_run)
    assert (run.year, run.month, run.day, run.hour, run.minute) == (2025, 5, 1, 7, 30)

    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_bulletins(on=D(2025, 5, 1)) == 2  # 梁平区 and 垫江县 each have an office and tasks
        assert monthly_bulletins(on=D(2025, 5, 1)) == 0  # idempotent
    assert set(Bulletin.objects.values_list("region__name", "month")) == {("梁平区", D(2025, 4, 1)),
                                                                          ("垫江县", D(2025, 4, 1))}


def test_the_worker_registers_the_bulletin_schedule(db):
    from django_q.models import Schedule

    from zhenggai.core.schedules import register_all

    assert "zhenggai.reports.tasks" in register_all()
    assert Schedule.objects.filter(name="monthly-bulletins", schedule_type=Schedule.MONTHLY).exists()


def test_the_figures_take_a_fixed_number_of_queries(scene, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories as f

    w = scene.world
    with CaptureQueriesContext(connection) as before:
        bulletin_context(region=w.district, month="2025-03")
    for number in range(7, 12):  # more tasks, more units, more red ones
        unit = f.org(f"测试镇{number}", region=w.district, kind="township", parent=w.gov)
        f.task(actor=w.users.office, plan=w.plan, number=number, units=[unit], deadline=D(2025, 3, 1))
    with django_assert_num_queries(len(before.captured_queries)):
        data = bulletin_context(region=w.district, month="2025-03")
    assert data.summary.tasks == 11 and len(data.red) == 6 and len(data.ranking) == 8


def test_the_job_adds_the_ranking_of_the_region_s_latest_assessment(scene):
    from zhenggai.assessment.selectors import ranking_rows
    from zhenggai.assessment.services import assessment_compute, assessment_create, rule_set_create
    from zhenggai.reports.tasks import bulletin_generate

    w, office = scene.world, scene.users.office
    rules = rule_set_create(actor=office, region=w.district, name="2025年度考核细则")
    assessment = assessment_create(actor=office, region=w.district, title="2025年第一季度考核", period_kind="quarter",
                                   start=D(2025, 1, 1), end=D(2025, 3, 31), rule_set=rules)
    assessment_compute(assessment=assessment, actor=office, on=D(2025, 3, 20))
    rows = ranking_rows(assessment=assessment)
    assert rows, "the scene's warnings and late reports give the units scores"
    bulletin = Bulletin.objects.create(region=w.district, month=D(2025, 3, 1), number=1, requested_by=office)
    assert bulletin_generate(bulletin.pk, on=D(2025, 3, 20)) == Bulletin.Status.DONE
    bulletin.refresh_from_db()
    text = pdf_text(bulletin.pdf.read())
    assert "考核排名" in text
    assert rows[0].unit_name in text and f"{rows[0].score}" in text


def test_long_lists_are_cut_with_a_note_in_both_files(scene, monkeypatch):
    """At city or province scale the lists would run to hundreds of pages: each is cut to its most urgent
    rows, the ranking to its two ends, and both files say how many rows are left out."""
    from zhenggai.reports import bulletin as module
    from zhenggai.reports.bulletin_docx import bulletin_docx_bytes

    monkeypatch.setattr(module, "LIST_LIMIT", 1)
    monkeypatch.setattr(module, "RANKING_ENDS", 1)
    monkeypatch.setattr(module, "NUMBERS_LIMIT", 1)
    b = bulletin_context(region=scene.world.district, month="2025-03", number=3)
    assert (b.summary.red, b.summary.yellow) == (1, 2)  # the summary still counts everything
    assert [(r.number, r.days) for r in b.yellow] == [(5, 5)] and b.yellow_more == 1
    assert len(b.red) == 1 and b.red_more == 0
    assert [r.unit for r in b.reporters] == ["双桂街道环保所"] and b.reporters_more == 1
    assert b.ranking_gap == 1
    assert [r.unit for r in b.ranking_head] == ["区住房城乡建委"]
    assert [r.unit for r in b.ranking_tail] == ["双桂街道环保所"]

    text = pdf_text(module.bulletin_pdf_bytes(b))
    flat = "".join(text.split())
    assert "另有黄牌任务1项未列出" in flat and "另有红灯任务" not in flat
    assert "中间1个单位从略" in flat and "另有1个单位的逾期或未报送情况未列出" in flat
    assert "双桂街道环保所" in flat and "双桂街道\n" not in text

    document = _docx(bulletin_docx_bytes(b))
    paragraphs = "".join("".join(p.text.split()) for p in document.paragraphs)
    assert "另有黄牌任务1项未列出" in paragraphs and "另有1个单位的逾期或未报送情况未列出" in paragraphs
    ranking = _table_rows(document.tables[2])
    assert [row[1] for row in ranking[1:]] == ["区住房城乡建委", "……（中间 1 个单位从略）", "双桂街道环保所"]


def test_many_task_numbers_of_one_reporter_are_cut(scene, monkeypatch):
    from zhenggai.reports import bulletin as module

    monkeypatch.setattr(module, "NUMBERS_LIMIT", 0)
    b = bulletin_context(region=scene.world.district, month="2025-03", number=3)
    assert [r.tasks for r in b.reporters] == ["等1项", "等1项"]
