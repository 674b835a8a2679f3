"""The demo's integrity review: honest photos and progress texts for the closed loop, a handful of planted
anomalies that the checks find, and the office's review of some of them.

Honest: each task's photos are its own pictures (different scenes, with a capture time after the task
existed and before the upload); each unit's progress text is its own, composed per task, unit and month
from a pool of plain sentences, so that no two read alike.

Planted (in the Liangping plan), so that a visitor sees the feature:
- task 23's after-photo is the very file uploaded for task 21 (another unit) — 重复使用的佐证文件;
- task 25's public notice lasts 5 working days instead of 10 — 公示期不足;
- the 区财政局's report on task 6 repeats last month's text word for word — 进展描述雷同;
- the 区水利局's next steps on task 27 announce that every farm along the river is shut (一律关停) — “一刀切”.
After loading, every check runs over everything as the system actor; the office then confirms the
blanket shutdown and dismisses one flag with its reason, leaving the others for the visitor to review.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from .data_liangping import PLAN as LIANGPING_PLAN

DUPLICATE_PHOTO = (23, 21)  # (task whose after-photo copies…, …the after-photo of this task)
SHORT_NOTICE = (25, 5)  # (task, working days of its notice)
REPEATED_TEXT = (6, "区财政局")  # (task, unit) whose report repeats last month's
BLANKET = (27, "区水利局", "下一步对沿河两岸的养殖户一律关停，待岸线整治全部完成后再研究恢复（示例）。")

# a scene per photo: the colours of its parts (sky, ground, structure) — varied so that no two look alike
_PALETTES = [
    ((135, 170, 205), (96, 120, 72), (150, 150, 150)), ((190, 200, 210), (120, 100, 80), (80, 90, 110)),
    ((110, 150, 190), (70, 110, 60), (170, 160, 140)), ((200, 190, 170), (140, 130, 100), (60, 80, 60)),
    ((160, 190, 220), (90, 90, 90), (180, 120, 90)), ((120, 130, 150), (110, 140, 90), (200, 200, 190)),
]

# plain sentences of progress reports (our own words) with slots, combined per task, unit and month
_SENTENCES = [
    "本月召开{who}参加的专题推进会，逐项明确{what}整改的责任人和完成时限。",
    "组织技术人员对{place}的{what}开展现场复核，形成问题清单并建立销号台账。",
    "完成{place}{what}的排查摸底，已整改完毕的点位由{who}拍照留档。",
    "会同{who}对{place}开展联合检查，发现的问题当场交办并跟踪督促。",
    "委托{who}对{place}开展监测，最近一次结果已报送备案。",
    "落实{what}整改资金，资金拨付进度与{place}工程进度相匹配。",
    "编制{what}实施方案并经{who}审定，按月调度工程节点。",
    "针对{place}群众反映的问题入户走访，征求{who}意见后调整了施工时段。",
    "建立{what}长效管护机制，明确{who}日常巡查频次和经费来源。",
    "对照验收标准自查{what}资料，补齐了{place}缺失的会议记录和检测报告。",
    "{who}已在{place}进场作业，{what}主体工程过半，质量安全检查未发现问题。",
    "印发工作提示函，要求{who}每周报送{what}推进情况。",
    "结合汛期特点加密{place}巡查，雨后对{what}逐一复查。",
    "邀请{who}参与{place}现场评议，评议意见已纳入下一步工作。",
    "面向{who}开展{what}业务培训，讲解整改标准和常见问题。",
    "对{place}前期整改效果开展回访，个别反弹的{what}已重新纳入清单。",
    "完成{what}设备采购招标，合同约定由{who}负责安装调试。",
    "与{who}签订目标责任书，将{place}整改成效纳入年度考核。",
    "通过政务公开栏公开{place}{what}整改进展，接受群众监督。",
    "对照整改目标梳理{what}差距，{place}剩余工作已排出倒计时清单。",
    "完善{what}在线监管平台数据接入，{place}关键点位实现实时监控。",
    "组织{who}对{what}技术方案进行论证，采纳了优化工艺的建议。",
    "对{place}历史遗留的{what}问题分类施策，能立即解决的已解决。",
    "督促{who}落实主体责任，{place}自行整改情况已现场核实。",
]
_PLACES = ["城区片区", "沿河一线", "重点企业", "场镇周边", "村社点位", "园区道路", "湖库周边", "施工工地",
           "老旧小区", "农贸市场", "水源保护区", "主干道两侧", "河道上游", "工业园区西区", "城郊结合部", "景区周边"]
_WHO = ["区生态环境局", "属地镇街", "第三方检测机构", "施工单位", "村（社区）两委", "分管领导", "行业专家",
        "区人大代表", "网格员", "企业负责人", "监理单位", "区级部门联络员"]
_WHAT = ["管网", "处理设施", "管理台账", "排水口", "围挡喷淋", "收集点", "渗滤液系统", "在线监测设备", "岸线",
         "边坡", "堆场", "油烟净化器", "粪污设施", "中转站"]
_NEXT = [
    "下月完成剩余点位整改并组织自查验收。", "继续跟踪监测数据，确保稳定达标。", "做好长效管护，防止问题反弹。",
    "按序时进度推进工程建设，月底前完成阶段目标。", "完善佐证资料，适时申请验收销号。",
]


def _liangping(task: Any) -> bool:
    return bool(task.plan.title == LIANGPING_PLAN["title"])


def _is(unit: Any, name: str) -> bool:
    return name in (unit.name, unit.short_name)


def _scene(seed: int, category: str) -> bytes:
    """A photo of its own: a scene drawn from `seed`, with an EXIF capture time a few days before today."""
    from PIL import ExifTags, Image, ImageDraw

    rng = random.Random(f"{seed}:{category}")
    sky, ground, thing = _PALETTES[rng.randrange(len(_PALETTES))]
    image = Image.new("RGB", (320, 240), sky)
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(70, 170)
    draw.rectangle([(0, horizon), (320, 240)], fill=ground)
    for _i in range(rng.randint(4, 9)):
        x, y = rng.randint(0, 280), rng.randint(20, 200)
        w, h = rng.randint(20, 110), rng.randint(15, 90)
        shade = tuple(max(0, min(255, c + rng.randint(-60, 60))) for c in thing)
        if rng.random() < 0.5:
            draw.rectangle([(x, y), (x + w, y + h)], fill=shade)
        else:
            draw.ellipse([(x, y), (x + w, y + h)], fill=shade)
    for _i in range(rng.randint(2, 6)):
        draw.line([(rng.randint(0, 320), rng.randint(0, 240)), (rng.randint(0, 320), rng.randint(0, 240))],
                  fill=tuple(rng.randint(0, 255) for _c in range(3)), width=rng.randint(2, 6))
    taken = dt.datetime.combine(timezone.localdate() - dt.timedelta(days=3 + seed % 5),
                                dt.time(8 + seed % 9, (seed * 7) % 60))
    exif = Image.Exif()
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: taken.strftime("%Y:%m:%d %H:%M:%S")}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80, exif=exif)
    return buffer.getvalue()


def demo_photo(task: Any, category: str) -> SimpleUploadedFile:
    """The before or after photo of a task in the closed loop (`category` before_photo / after_photo)."""
    label = "整改前" if category == "before_photo" else "整改后"
    seed = task.pk
    copy, source = DUPLICATE_PHOTO
    if category == "after_photo" and task.number == copy and _liangping(task):
        seed = task.plan.tasks.get(number=source).pk  # the planted copy: the same file as the source's
    return SimpleUploadedFile(f"任务{task.number}-{label}.jpg", _scene(seed, category), content_type="image/jpeg")


def report_text(task: Any, unit: Any, month: dt.date, percent: int) -> tuple[str, str]:
    """(description, next steps) of `unit`'s report on `task` for the round of `month`."""
    planted_copy = task.number == REPEATED_TEXT[0] and _is(unit, REPEATED_TEXT[1]) and _liangping(task)
    key = f"{task.pk}:{unit.pk}" if planted_copy else f"{task.pk}:{unit.pk}:{month:%Y-%m}"
    rng = random.Random(key)
    body = "".join(s.format(place=rng.choice(_PLACES), who=rng.choice(_WHO), what=rng.choice(_WHAT))
                   for s in rng.sample(_SENTENCES, 4))
    description = f"{unit.short_name or unit.name}：{body}目前累计完成{percent}%（示例）。"
    next_steps = rng.choice(_NEXT)
    number, name, phrase = BLANKET
    if task.number == number and _is(unit, name) and _liangping(task):
        next_steps = phrase
    return description, next_steps


def notice_rule(task: Any) -> Any:
    """Around the acceptance pass of a task: the planted short notice gets fewer working days."""
    number, days = SHORT_NOTICE
    if task.number == number and _liangping(task):
        return override_settings(ZHENGGAI_NOTICE_WORKING_DAYS=days)
    return nullcontext()


def review_integrity_demo(*, actor: Any, say: Callable[[str], None]) -> dict[str, int]:
    """Run every check over everything, then let the office review two flags: confirm the blanket
    shutdown, dismiss one repeated file with its reason. Returns the counts per check. Call it last: the
    checks the loading's own changes would queue after the commit are dropped, this run covers them."""
    from zhenggai.accounts.models import Role, User
    from zhenggai.integrity.checks import Scope
    from zhenggai.integrity.models import IntegrityFlag
    from zhenggai.integrity.services import integrity_flag_confirm, integrity_flag_dismiss, integrity_run
    from zhenggai.integrity.triggers import discard_pending

    say("真实性核查：运行全部核查项……")
    integrity_run(scope=Scope(), actor=actor)
    office = User.objects.filter(roles__role=Role.OFFICE, is_active=True).order_by("pk").first() or actor
    shutdown = IntegrityFlag.objects.filter(check_code="blanket_shutdown").order_by("pk").first()
    if shutdown is not None:
        integrity_flag_confirm(actor=office, flag=shutdown,
                               reason="经电话核实，该单位确拟对沿河养殖户不分达标与否一律关停，已要求立即纠正（示例）。")
    other = (IntegrityFlag.objects.filter(check_code="duplicate_file", complaint__isnull=False).order_by("pk").first()
             or IntegrityFlag.objects.filter(check_code="duplicate_file").order_by("-pk").first())
    if other is not None:
        integrity_flag_dismiss(actor=office, flag=other,
                               reason="两件信访件系同一地点的同一问题，现场核查照片共用一张属实，不属于造假（示例）。")
    discard_pending()
    counts: dict[str, int] = {}
    for code in IntegrityFlag.objects.values_list("check_code", flat=True):
        counts[code] = counts.get(code, 0) + 1
    return counts
