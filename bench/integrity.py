"""Measured quality of the integrity checks: plant known anomalies into a demo-scale dataset and print,
per check, how many were planted and found, with precision and recall.

    make bench-integrity                       # SQLite in a temporary folder
    DATABASE_URL=postgres://…/zg_x make bench-integrity   # an empty PostgreSQL database
    .venv/bin/python bench/integrity.py --tasks 160 --planted 20 --seed 7

What it does: migrates, loads the demo through the real loader, then `Generator` adds a second plan in
the demo's district with honest activity — tasks with a place, monthly rounds of progress reports written
in varied words, photos with capture time and GPS uploaded through the real evidence service (so EXIF and
perceptual hashes are read as in production), acceptance applications, public notices counted on the
working-day calendar, complaint cases — and plants anomalies of every kind among them: exact and edited
copies of photos (re-encoded, resized, cropped, stamped), impossible capture times and places, copied
report texts with changed figures and reordered sentences, 100% jumps, stale applications, bursts before
deadlines, short notices over holidays, unfounded conclusions, repeats of closed cases, blanket-shutdown
wording. Next to each kind it plants realistic near-misses that must not be flagged. Every check then
runs over everything.

Scoring: a finding about an object the generator made is a true positive when it was planted for that
check, else a false positive. Findings about the demo's own records are counted apart ("demo"): the
demo reuses one generated picture for many tasks and writes templated reports, which the checks rightly
report, but nothing there was planted.

`Generator` is importable: tests/integrity/test_planted.py runs it at a small scale on a small base.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SITE_BOX = ((30.55, 30.80), (107.60, 107.95))  # the district, roughly (Liangping)
KINDS = ("evidence", "report", "application", "notice", "complaint", "measure", "task")


# ─────────────────────────────────────────────── pictures

def scene(seed: int, size: tuple[int, int] = (320, 240), shot: int = 0) -> Any:
    """A photo-like outdoor picture: sky, horizon, buildings with windows, trees, a river or road, grain.
    `shot` > 0: the same place photographed again another day (camera moved, light changed)."""
    from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size)
    d = ImageDraw.Draw(img)
    top = (rnd.randint(60, 140), rnd.randint(110, 180), rnd.randint(180, 250))
    bottom = (rnd.randint(170, 230), rnd.randint(190, 235), rnd.randint(210, 250))
    horizon = int(h * rnd.uniform(0.3, 0.6))
    for y in range(horizon):
        t = y / max(1, horizon - 1)
        d.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    d.rectangle([0, horizon, w, h], fill=(rnd.randint(60, 140), rnd.randint(80, 150), rnd.randint(40, 100)))
    if rnd.random() < 0.6:
        x0 = rnd.randint(0, w)
        colour = (rnd.randint(60, 120), rnd.randint(90, 140), rnd.randint(110, 160))
        d.polygon([(x0 - w // 30, horizon), (x0 + w // 30, horizon), (rnd.randint(w // 2, w), h),
                   (rnd.randint(0, w // 2), h)], fill=colour)
    moved = random.Random(seed * 7919 + shot)
    shift = moved.choice((-1, 1)) * moved.randint(w // 8, w // 4) if shot else 0
    for _ in range(rnd.randint(3, 9)):
        bw, bh = rnd.randint(w // 20, w // 4), rnd.randint(h // 15, int(horizon * 0.9) + h // 15)
        x = rnd.randint(-w // 30, w) + shift + (moved.randint(-w // 40, w // 40) if shot else 0)
        colour = tuple(rnd.randint(80, 230) for _ in range(3))
        d.rectangle([x, horizon - bh, x + bw, horizon + rnd.randint(0, h // 25)], fill=colour)
        for wy in range(horizon - bh + 4, horizon - 3, max(6, h // 26)):
            for wx in range(x + 3, x + bw - 5, max(5, w // 40)):
                d.rectangle([wx, wy, wx + max(2, w // 90), wy + max(3, h // 55)],
                            fill=tuple(max(0, c - 60) for c in colour))
    for _ in range(rnd.randint(2, 12)):
        x = rnd.randint(0, w) + shift + (moved.randint(-w // 30, w // 30) if shot else 0)
        y = rnd.randint(horizon, h)
        r = rnd.randint(w // 60, w // 12)
        d.ellipse([x - r, y - 2 * r, x + r, y], fill=(rnd.randint(20, 70), rnd.randint(80, 140), rnd.randint(20, 60)))
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    img = Image.blend(img, Image.effect_noise(size, 18).convert("RGB"), 0.08)
    if shot:
        img = ImageEnhance.Brightness(img).enhance(moved.uniform(0.75, 1.25))
    return img


def exif_for(captured: dt.datetime | None, gps: tuple[float, float] | None) -> Any:
    """EXIF as a phone writes it: DateTimeOriginal with its offset (local time) and the GPS position."""
    from PIL import ExifTags, Image

    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    if captured is not None:
        local = captured.astimezone(dt.timezone(dt.timedelta(hours=8)))
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = local.strftime("%Y:%m:%d %H:%M:%S")
        sub[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    if gps is not None:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        for (ref_tag, value_tag), value, refs in (
            ((ExifTags.GPS.GPSLatitudeRef, ExifTags.GPS.GPSLatitude), gps[0], "NS"),
            ((ExifTags.GPS.GPSLongitudeRef, ExifTags.GPS.GPSLongitude), gps[1], "EW"),
        ):
            degrees = abs(value)
            whole = int(degrees)
            minutes = int((degrees - whole) * 60)
            seconds = round(((degrees - whole) * 60 - minutes) * 60, 3)
            info[ref_tag] = refs[0] if value >= 0 else refs[1]
            info[value_tag] = (float(whole), float(minutes), seconds)
    return exif


def jpeg(image: Any, *, captured: dt.datetime | None = None, gps: tuple[float, float] | None = None,
         quality: int = 85, exif: Any = None) -> bytes:
    buffer = io.BytesIO()
    if exif is None and (captured is not None or gps is not None):
        exif = exif_for(captured, gps)
    image.save(buffer, "JPEG", quality=quality, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def edited_photo(data: bytes, how: str, rnd: random.Random) -> bytes:
    """The same picture changed the way reused photos are: re-encoded, resized, cropped a few per cent,
    stamped with a date, brightened — or two of these. The EXIF goes along (as phone editors keep it)."""
    from PIL import Image, ImageDraw, ImageEnhance

    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    image = image.convert("RGB")
    w, h = image.size
    steps = how.split("+")
    for step in steps:
        if step == "resize":
            factor = rnd.uniform(0.5, 0.85)
            image = image.resize((int(w * factor), int(h * factor)))
        elif step == "crop":
            cut = rnd.uniform(0.02, 0.04)
            image = image.crop((int(w * cut), int(h * cut), int(w * (1 - cut)), int(h * (1 - cut))))
        elif step == "stamp":
            ImageDraw.Draw(image).text((6, image.size[1] - 16), f"2025-0{rnd.randint(4, 9)}-1{rnd.randint(0, 9)}",
                                       fill=(255, 230, 0))
        elif step == "bright":
            image = ImageEnhance.Brightness(image).enhance(rnd.uniform(1.08, 1.2))
    return jpeg(image, quality=rnd.randint(45, 75) if "reencode" in steps else 80, exif=exif)


def near(place: tuple[float, float], km: float, rnd: random.Random) -> tuple[float, float]:
    """A point `km` away from `place` in a random direction."""
    angle = rnd.uniform(0, 2 * math.pi)
    lat = place[0] + km * math.cos(angle) / 111.0
    lon = place[1] + km * math.sin(angle) / (111.0 * math.cos(math.radians(place[0])))
    return round(lat, 6), round(lon, 6)


# ─────────────────────────────────────────────── texts

VILLAGES = ["新桥村", "龙滩村", "石马村", "柏林村", "金竹村", "双河村", "桂香社区", "皂角村", "花园村", "红旗村",
            "凉水村", "龙门村", "仁和村", "宝胜村", "竹山村", "复兴村", "胜利社区", "明月村", "和林村", "荫平村"]
TOWNS = ["双桂街道", "梁山街道", "聚奎镇", "屏锦镇", "礼让镇", "云龙镇", "合兴街道", "仁贤街道", "袁驿镇", "福禄镇"]
RIVERS = ["龙溪河", "波漩河", "汝溪河", "新盛河", "普里河", "黄金河", "高桥河", "铁门河"]
TOPICS: dict[str, dict[str, list[str]]] = {
    "water": {
        "work": ["完成{site}截污管网改造{n}公里", "新建{site}污水提升泵站{k}座", "对{site}沿线{k}处排污口逐一溯源并完成封堵",
                 "完成{site}雨污混错接点位排查{n}处并整改{k}处", "{site}生活污水处理站完成提标改造设备安装",
                 "组织第三方对{site}管网开展闭水试验", "清理{site}河道淤泥约{n}立方米", "在{site}布设水质自动监测点{k}个"],
        "state": ["出水化学需氧量稳定在{n}毫克每升以下", "断面水质由劣五类提升至四类", "汛期溢流次数较去年同期减少{n}次",
                  "周边群众反映的黑臭现象已基本消除", "管网收集率提高到{n}%"],
    },
    "air": {
        "work": ["对{site}周边{k}家企业挥发性有机物治理设施开展执法检查", "督促{site}餐饮店安装油烟净化器{k}台",
                 "在{site}施工工地落实围挡、喷淋和车辆冲洗", "对{site}渣土运输车辆开展夜间联合执法{k}次",
                 "{site}工业园区完成涂装线废气收集改造", "更换{site}锅炉低氮燃烧器{k}台", "在{site}设置扬尘在线监测点{k}个"],
        "state": ["细颗粒物浓度同比下降{n}%", "周边群众油烟投诉明显减少", "工地扬尘监测数据达标率{n}%",
                  "企业废气排放浓度监测全部达标", "重点路段降尘量下降{n}%"],
    },
    "waste": {
        "work": ["清运{site}历史堆存建筑垃圾{n}吨", "完成{site}危险废物贮存间规范化改造", "为{site}配置分类垃圾桶{k}组",
                 "{site}垃圾转运站完成渗滤液收集池防渗改造", "建立{site}危险废物转移联单台账", "在{site}设置大件垃圾临时堆放点{k}处",
                 "对{site}非法倾倒点位开展巡查{k}次"],
        "state": ["垃圾分类覆盖率达到{n}%", "危险废物台账记录完整可查", "非法倾倒点位未再出现反弹",
                  "渗滤液全部收集处理不外排", "转运站周边异味投诉减少{n}件"],
    },
    "ecology": {
        "work": ["拆除{site}保护区内违规建筑{n}平方米", "对{site}废弃矿山完成覆土复绿{n}亩", "在{site}补植乡土树种{n}株",
                 "清理{site}岸线违规堆场{k}处", "完成{site}生态修复工程初步设计审查", "对{site}种养殖户开展退出补偿谈判{k}户"],
        "state": ["复绿区域植被覆盖度达到{n}%", "岸线生态功能逐步恢复", "保护区内违建已全部拆除到位",
                  "修复区域水土流失得到控制", "群众对修复效果满意度{n}%"],
    },
}
OPENERS = ["本月", "本期", "调度期内", "截至目前", "按照整改方案要求", "{unit}牵头"]
CONNECT = ["同时", "此外", "另外", "与此同时", "并"]
PLANS = ["下一步将加快剩余工程施工，确保按期完成。", "下一步将持续开展巡查，巩固整改成效。",
         "下一步将组织阶段性验收，及时查漏补缺。", "下一步将完善长效管护机制，防止问题反弹。",
         "下一步将加强与相关部门协调，解决资金和用地问题。", "下一步将强化执法监管，对违法行为依法查处。"]
BOILERPLATE = "各项工作按序时进度有序推进。"


# each writer (unit) has habits: the words it prefers for the same things
SYNONYMS = {"完成": ["完成", "实施完成", "全面完成", "已完成"], "开展": ["开展", "组织", "进行"],
            "督促": ["督促", "要求", "推动"], "新建": ["新建", "建成", "新修"], "清理": ["清理", "清除", "集中清理"],
            "补植": ["补植", "栽植", "补种"], "设置": ["设置", "布设", "增设"], "排查": ["排查", "摸排", "全面摸排"],
            "拆除": ["拆除", "依法拆除", "拆掉"], "配置": ["配置", "配备", "投放"], "建立": ["建立", "建成", "完善"],
            "清运": ["清运", "转运", "清理外运"], "对": ["对", "针对", "就"], "逐一": ["逐一", "逐个", "一一"],
            "组织": ["组织", "委托", "邀请"], "提高到": ["提高到", "提升至", "达到"], "已基本": ["已基本", "基本", "总体"],
            "下降": ["下降", "降低", "减少"], "安装": ["安装", "加装", "配装"], "改造": ["改造", "整治", "升级改造"]}
_SYNONYM_RE = re.compile("|".join(sorted(SYNONYMS, key=len, reverse=True)))


def writer_style(seed: int) -> dict[str, str]:
    """The words one writer uses."""
    rnd = random.Random(seed)
    return {key: rnd.choice(values) for key, values in SYNONYMS.items()}


def _fill(template: str, rnd: random.Random, site: str, unit: str) -> str:
    return template.format(site=site, unit=unit, n=rnd.randint(2, 95), k=rnd.randint(2, 18))


def honest_report(rnd: random.Random, topic: str, sites: list[str], unit: str, *, style: dict[str, str] | None = None,
                  avoid: Iterable[str] = ()) -> str:
    """A progress description as a unit writes it, in its own words: what was done this month at the task's
    sites (other work than last month's, `avoid`), what changed, sometimes a boilerplate sentence."""
    text, _works = honest_report_with_works(rnd, topic, sites, unit, style=style, avoid=avoid)
    return text


def honest_report_with_works(rnd: random.Random, topic: str, sites: list[str], unit: str, *,
                             style: dict[str, str] | None = None, avoid: Iterable[str] = ()) -> tuple[str, list[str]]:
    pools = TOPICS[topic]
    fresh = [w for w in pools["work"] if w not in set(avoid)]
    works = rnd.sample(fresh if len(fresh) >= 3 else pools["work"], k=rnd.randint(2, 3))
    parts = [_fill(rnd.choice(OPENERS), rnd, rnd.choice(sites), unit) + "，" + _fill(works[0], rnd, rnd.choice(sites), unit)]
    for work in works[1:]:
        parts.append(rnd.choice(CONNECT) + _fill(work, rnd, rnd.choice(sites), unit))
    text = "；".join(parts) + "。" + _fill(rnd.choice(pools["state"]), rnd, rnd.choice(sites), unit) + "。"
    if rnd.random() < 0.5:
        text += BOILERPLATE
    if style:
        text = _SYNONYM_RE.sub(lambda m: style[m.group(0)], text)
    return text, works


def edited_copy(text: str, rnd: random.Random) -> str:
    """A lightly edited copy: new figures, a word or two changed, sentences in another order, maybe a
    sentence added — what a copied report looks like."""
    import re

    text = re.sub(r"\d+", lambda m: str(int(m.group()) + rnd.randint(1, 9)), text)
    sentences = [s for s in re.split(r"(?<=[。；])", text) if s]
    if len(sentences) > 1 and rnd.random() < 0.6:
        rnd.shuffle(sentences)
    text = "".join(sentences)
    for old, new in (("本月", "本期"), ("完成", "完成了"), ("开展", "组织开展"), ("同时", "此外"), ("督促", "要求")):
        if old in text and rnd.random() < 0.5:
            text = text.replace(old, new, 1)
    if rnd.random() < 0.4:
        text += rnd.choice(["相关工作正在推进。", "整改资料已归档。"])
    return text


COMPLAINT_TYPES: dict[str, dict[str, list[str]]] = {
    "fumes": {"who": ["一家火锅店", "一家烧烤店", "楼下餐馆", "一家农家乐", "夜市摊点"],
              "what": ["油烟直排进住户窗户", "油烟没有经过净化直接排放", "排烟管道紧贴居民楼", "每天傍晚油烟呛人"],
              "more": ["晚上经营到凌晨，噪声也很大", "厨房污水直接倒进雨水沟", "多次向社区反映未解决", "老人小孩被熏得不敢开窗"]},
    "dust": {"who": ["一处建筑工地", "一家搅拌站", "一家石材加工厂", "道路施工现场", "一处采石场"],
             "what": ["扬尘很大，周边房屋落满灰尘", "渣土车不覆盖沿路撒漏", "夜间施工噪声扰民", "粉尘飘进附近学校"],
             "more": ["雨天路面全是泥浆", "没有围挡和喷淋设施", "附近庄稼叶片上全是灰", "施工许可时间外仍在作业"]},
    "sewage": {"who": ["一家养猪场", "一家屠宰场", "一家洗砂场", "小区化粪池", "一家豆制品作坊"],
               "what": ["废水直排进河沟", "粪污横流臭味很重", "排出的污水发黑发臭", "雨天偷排污水"],
               "more": ["河里鱼虾死了不少", "下游村民不敢用水灌溉", "晚上偷偷排放白天看不到", "排污口藏在草丛里"]},
    "noise": {"who": ["一家木材加工厂", "一处KTV", "一家汽修店", "一家冷库", "一处广场舞点"],
              "what": ["机器轰鸣声昼夜不停", "深夜噪声严重影响休息", "设备运行噪声很大", "音响声音震耳"],
              "more": ["周边住户长期失眠", "多次报警处理后又反弹", "离居民楼不到二十米", "周末从早到晚不停"]},
    "waste": {"who": ["有人", "一家装修公司", "一处废品收购站", "一家塑料厂", "一家修理厂"],
              "what": ["在河边倾倒建筑垃圾", "露天焚烧塑料垃圾", "乱堆乱放废旧电池", "把废机油倒在空地上"],
              "more": ["黑烟刺鼻", "垃圾越堆越高", "下雨后污水流进农田", "已经持续好几个月"]},
}


ROADS = ["梁山大道", "人民路", "西环路", "滨河路", "双桂大道", "公园路", "迎宾路", "红旗路", "工业大道", "学府路"]
WHERE = ["靠近{road}", "在{road}边上", "{road}路口附近", "{road}{n}号旁", "{n}组", "村委会对面", "小学后面", "河坝旁边"]
ASKS = ["希望尽快处理", "要求依法查处", "请求相关部门督促整改", "希望还群众安宁", "请环保部门来看看", "盼早日解决",
        "要求关停整改", "希望公开处理结果"]


def complaint_summary(rnd: random.Random, town: str, village: str, kind: str) -> str:
    """A complaint as a caller words it: the place in their own terms, the source, the nuisance, more
    detail, what they ask for."""
    pool = COMPLAINT_TYPES[kind]
    where = rnd.choice(WHERE).format(road=rnd.choice(ROADS), n=rnd.randint(1, 99))
    time_words = rnd.choice(["近来", "长期以来", "今年以来", "最近一个月", "每到夏天", "这半年", "一到晚上", ""])
    parts = [f"{town}{village}{where}{rnd.choice(pool['who'])}{time_words}{rnd.choice(pool['what'])}"]
    parts += rnd.sample(pool["more"], k=rnd.randint(1, 2))
    parts.append(rnd.choice(ASKS))
    return "，".join(parts) + "。"


BLANKET = ["对辖区内{x}一律停产整顿", "{x}全部关停", "对{x}统统关停", "沿河{x}全面停业整改", "对{x}一律予以关闭",
           "对{x}实行一刀切关停", "{x}一律 停產", "对“{x}”一律立即关停取缔", "辖区内{x}一律停止生产", "对{x}采取一刀切的办法全部关停",
           "{x}一律断电", "对不达标的{x}统统清退", "对{x}全部实施停产", "{x}一律责令停产整顿"]
BLANKET_WHO = ["养殖场", "砖厂", "涉气企业", "餐饮店", "散乱污企业", "小作坊", "石材加工厂", "洗砂场", "养殖户"]
NOT_BLANKET = ["严禁“一刀切”，对{x}分类施策、依法整治", "防止“一刀切”，保障{x}正常生产经营", "坚持依法依规，不搞一刀切",
               "依法关停{k}家无证{x}", "对{k}家超标排放的{x}全部停产整治", "关停取缔{k}家非法{x}",
               "全面排查{x}环保设施运行情况", "停产整治的{x}全部完成验收", "杜绝简单化、“一刀切”的做法",
               "对违规设置的{x}全部清退", "全部关闭阀门后进行管道试压", "村民要求关停{x}，经核查依法责令整改"]


# ─────────────────────────────────────────────── ground truth and scoring

@dataclass
class Truth:
    """What was planted for each check (finding keys) and what the base held before planting."""

    expected: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    near_misses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    base_max: dict[str, int] = field(default_factory=dict)

    def plant(self, check: str, key: str) -> None:
        self.expected[check].add(key)

    def is_base(self, key: str) -> bool:
        kind, _sep, ident = key.partition(":")
        return ident.isdigit() and int(ident) <= self.base_max.get(kind, 0)


@dataclass
class Row:
    check: str
    planted: int
    found: int
    true_positives: int
    near_misses: int
    demo: int
    seconds: float

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.planted if self.planted else 1.0


def base_max_ids() -> dict[str, int]:
    from django.db.models import Max

    from zhenggai.complaints.models import Complaint
    from zhenggai.evidence.models import Evidence
    from zhenggai.rectification.models import (
        AcceptanceApplication,
        Measure,
        ProgressReport,
        PublicNotice,
        Task,
    )

    models = {"evidence": Evidence, "report": ProgressReport, "application": AcceptanceApplication,
              "notice": PublicNotice, "complaint": Complaint, "measure": Measure, "task": Task}
    return {kind: model.objects.aggregate(m=Max("id"))["m"] or 0 for kind, model in models.items()}


def score(truth: Truth, *, codes: Iterable[str] | None = None) -> list[Row]:
    """Run every check over everything and compare with what was planted."""
    from zhenggai.integrity.checks import Scope, load_all

    rows = []
    for code, check in sorted(load_all().items()):
        if codes is not None and code not in codes:
            continue
        started = time.perf_counter()
        findings = list(check(Scope()))
        seconds = time.perf_counter() - started
        keys = {f.key for f in findings}
        base = {k for k in keys if truth.is_base(k)}
        made = keys - base
        expected = truth.expected.get(code, set())
        rows.append(Row(code, len(expected), len(made), len(made & expected), truth.near_misses.get(code, 0),
                        len(base), seconds))
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| check | planted | near-misses | found | true positives | precision | recall | demo's own | seconds |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.check} | {r.planted} | {r.near_misses} | {r.found} | {r.true_positives} | "
                     f"{r.precision:.2f} | {r.recall:.2f} | {r.demo} | {r.seconds:.2f} |")
    return "\n".join(lines)


# ─────────────────────────────────────────────── the generator

def aware(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


class Generator:
    """Honest activity with planted anomalies and near-misses, in `region` for `units` (organizations of
    that region). `tasks` honest tasks, `planted` anomalies of each kind."""

    INSPECTION_START = dt.date(2024, 11, 18)
    ROUND_MONTHS = (dt.date(2025, 4, 1), dt.date(2025, 5, 1), dt.date(2025, 6, 1), dt.date(2025, 7, 1))

    def __init__(self, *, region: Any, units: list[Any], seed: int = 7, tasks: int = 60, planted: int = 10,
                 photo_size: tuple[int, int] = (320, 240), say: Callable[[str], Any] | None = None) -> None:
        self.region = region
        self.units = units
        self.rnd = random.Random(seed)
        self.seed = seed
        self.honest_tasks = tasks
        self.n = planted
        self.photo_size = photo_size
        self.say = say or (lambda _m: None)
        self.truth = Truth()
        self.photo_seed = seed * 100_000
        self.uploaded: list[tuple[int, dt.datetime]] = []
        self.complaint_counter = 0

    # ── set-up

    def run(self) -> Truth:
        from zhenggai.integrity.triggers import paused

        self.truth.base_max = base_max_ids()
        with paused():
            self.setup()
            self.say("tasks…")
            self.make_tasks()
            self.say("rounds, reports and photos…")
            self.make_rounds()
            self.say("applications and notices…")
            self.make_applications()
            self.make_notices()
            self.say("complaints…")
            self.make_complaints()
            self.finish_uploads()
        return self.truth

    def setup(self) -> None:
        from zhenggai.accounts.models import Region, Role, User, UserRole
        from zhenggai.core.actors import system_actor
        from zhenggai.inspections.models import Inspection, Plan

        self.actor = system_actor()
        self.staff: dict[int, Any] = {}
        for index, unit in enumerate(self.units):
            user, created = User.objects.get_or_create(username=f"bench-integrity-{self.seed}-{index}",
                                                       defaults={"organization": unit})
            if created:
                UserRole.objects.create(user=user, role=Role.UNIT_HEAD)
            self.staff[unit.pk] = user
        self.inspection = Inspection.objects.create(
            title=f"核查基准督察（{self.seed}）", target_region=self.region, level=Inspection.Level.MUNICIPAL,
            kind=Inspection.Kind.ROUTINE, start_date=self.INSPECTION_START, end_date=dt.date(2024, 12, 2),
            feedback_date=dt.date(2025, 3, 3))
        self.plan = Plan.objects.create(inspection=self.inspection, title=f"核查基准整改方案（{self.seed}）",
                                        goals=[{"title": "目标", "text": "按期完成整改"}])
        self.townships = list(Region.objects.filter(parent=self.region)[:8]) or [self.region]

    # ── tasks

    def new_task(self, *, number: int, units: list[Any], topic: str, deadline: dt.date, located: bool = True,
                 measures: list[str] | None = None) -> Any:
        from decimal import Decimal

        from zhenggai.rectification.models import Measure, Task

        rnd = self.rnd
        place = (round(rnd.uniform(*SITE_BOX[0]), 6), round(rnd.uniform(*SITE_BOX[1]), 6)) if located else None
        sites = [rnd.choice(TOWNS) + rnd.choice(VILLAGES), rnd.choice(RIVERS) + rnd.choice(["上游段", "城区段", "下游段"])]
        texts = measures or [_fill(w, rnd, rnd.choice(sites), "") + "。" for w in rnd.sample(TOPICS[topic]["work"], 2)]
        # written directly (the task services' events and search text are not what is measured here)
        task = Task.objects.create(
            plan=self.plan, number=number, region=self.region, status="in_progress", lead_unit=units[0],
            title=f"{sites[0]}{rnd.choice(['问题整改不到位', '环境问题突出', '群众反映强烈'])}（{topic}）",
            goal="按期完成整改，群众满意。", deadline=deadline, due_year=deadline.year,
            deadline_text=f"{deadline.year}年{deadline.month}月{deadline.day}日",
            location_lat=Decimal(str(place[0])) if place else None,
            location_lon=Decimal(str(place[1])) if place else None)
        task.implementing_units.set(units)
        for i, text in enumerate(texts):
            Measure.objects.create(task=task, number=i + 1, text=text, deadline=deadline).units.set(units)
        task.bench = {"topic": topic, "sites": sites, "place": place}  # type: ignore[attr-defined]
        return task

    def make_tasks(self) -> None:
        rnd = self.rnd
        self.tasks: list[Any] = []
        number = 0
        for i in range(self.honest_tasks):
            number += 1
            units = [self.units[i % len(self.units)]]
            if rnd.random() < 0.3:
                units.append(self.units[(i + 3) % len(self.units)])
            deadline = dt.date(2025, 9, 1) + dt.timedelta(days=rnd.randint(0, 120))
            measures = None
            if i < self.n:  # measures with blanket wording (planted) or near-miss wording
                who = rnd.choice(BLANKET_WHO)
                measures = [rnd.choice(BLANKET).format(x=who) + "。", "加强日常巡查。"]
            elif i < 2 * self.n:
                measures = [rnd.choice(NOT_BLANKET).format(x=rnd.choice(BLANKET_WHO), k=rnd.randint(2, 9)) + "。"]
                self.truth.near_misses["blanket_shutdown"] += 1
            task = self.new_task(number=number, units=units, topic=rnd.choice(list(TOPICS)), deadline=deadline,
                                 located=rnd.random() < 0.85, measures=measures)
            if i < self.n:
                first = task.measures.order_by("number").first()
                self.truth.plant("blanket_shutdown", f"measure:{first.pk}")
            self.tasks.append(task)
        self.next_number = number

    # ── photos

    def photo(self, task: Any, unit: Any, *, category: str, uploaded: dt.datetime, captured: Any = "auto",
              gps: Any = "auto", data: bytes | None = None, complaint: Any = None, name: str = "") -> Any:
        """Store one photo as an upload is stored — its content inspected by the evidence code (type, EXIF
        capture time and GPS, thumbnail, perceptual hash) and the file saved through the storage — and date
        its upload."""
        from django.core.files.base import ContentFile
        from django.core.files.uploadedfile import SimpleUploadedFile

        from zhenggai.evidence.files import inspect_upload
        from zhenggai.evidence.models import Evidence

        rnd = self.rnd
        if data is None:
            self.photo_seed += 1
            if captured == "auto":
                captured = uploaded - dt.timedelta(hours=rnd.randint(1, 60))
            if gps == "auto":
                place = task.bench["place"] if task is not None else None
                gps = near(place, rnd.uniform(0.05, 1.8), rnd) if place else None
            data = jpeg(scene(self.photo_seed, self.photo_size), captured=captured, gps=gps)
        upload = SimpleUploadedFile(name or f"现场照片{self.photo_seed}.jpg", data, content_type="image/jpeg")
        item = inspect_upload(upload)
        actor = self.staff[unit.pk] if unit is not None else self.actor
        evidence = Evidence(task=task, complaint=complaint, organization=actor.organization, uploaded_by=actor,
                            category=category, original_name=item.original_name,
                            content_type=item.file_type.content_type, size=item.size, sha256=item.sha256,
                            captured_at=item.captured_at, gps_lat=item.gps_lat, gps_lon=item.gps_lon, phash=item.phash)
        evidence.file.save(item.storage_name(), item.file, save=False)
        if item.thumbnail:
            evidence.thumbnail.save("thumb.jpg", ContentFile(item.thumbnail), save=False)
        evidence.save()
        self.uploaded.append((evidence.pk, uploaded))
        evidence.bench_bytes = data  # type: ignore[attr-defined]
        evidence.bench_seed = self.photo_seed  # type: ignore[attr-defined]
        evidence.bench_uploaded = uploaded  # type: ignore[attr-defined]
        return evidence

    def finish_uploads(self) -> None:
        from zhenggai.evidence.models import Evidence

        for pk, moment in self.uploaded:
            Evidence.objects.filter(pk=pk).update(uploaded_at=moment)

    # ── rounds and reports

    def make_rounds(self) -> None:
        from zhenggai.core.workdays import add_working_days
        from zhenggai.rectification.models import DispatchRound

        rnd = self.rnd
        self.rounds = []
        for month in self.ROUND_MONTHS:
            due = add_working_days(month, 5)
            round_ = DispatchRound.objects.create(title=f"{month.year}年{month.month}月调度（基准）", region=self.region,
                                                  plan=self.plan, period_start=month, due_date=due,
                                                  status=DispatchRound.Status.CLOSED, opened_by=self.actor)
            round_.tasks.set(self.tasks)
            self.rounds.append(round_)
        # which (task, unit) series carry which planted anomaly or near-miss
        series = [(task, unit) for task in self.tasks for unit in task.implementing_units.all()]
        rnd.shuffle(series)
        single = [s for s in series if s[0].implementing_units.count() == 1]
        roles: dict[tuple[int, int], str] = {}
        for role, pool in (("jump", single), ("jump_ok", single), ("jump_small", single), ("copy_previous", series),
                           ("copy_other", series)):
            for task, unit in pool:
                if sum(1 for r in roles.values() if r == role) >= self.n:
                    break
                if (task.pk, unit.pk) not in roles:
                    roles[(task.pk, unit.pk)] = role
        self.roles = roles
        self.works: dict[tuple[int, int], list[str]] = {}
        self.reports: dict[tuple[int, int], list[Any]] = defaultdict(list)
        self.last_photos: dict[tuple[int, int], list[Any]] = defaultdict(list)
        for index, round_ in enumerate(self.rounds):
            sent_base = aware(round_.due_date, 9) - dt.timedelta(days=3)
            for task, unit in sorted(series, key=lambda s: (s[0].pk, s[1].pk)):
                role = roles.get((task.pk, unit.pk), "")
                self.report(task, unit, round_, index, role, sent_base + dt.timedelta(hours=rnd.randint(0, 70)))
        self.plant_photo_anomalies()

    def report(self, task: Any, unit: Any, round_: Any, index: int, role: str, sent: dt.datetime) -> Any:
        from zhenggai.rectification.models import ProgressReport

        rnd = self.rnd
        key = (task.pk, unit.pk)
        history = self.reports[key]
        previous = history[-1] if history else None
        last = index == len(self.rounds) - 1
        percent = min(60 if role == "jump" else 90, (previous.percent if previous else 0) + rnd.randint(12, 25))
        photos: list[Any] = []
        description, works = honest_report_with_works(
            rnd, task.bench["topic"], task.bench["sites"], unit.short_name or unit.name,
            style=writer_style(self.seed * 1000 + unit.pk), avoid=self.works.get(key, ()))
        self.works[key] = works
        if role == "jump" and last:
            percent = 100  # planted: 100% with nothing new uploaded since the previous report
        elif role == "jump_small" and last:
            percent, photos = 100, []  # near-miss below: the previous report was at 85%
        elif role == "jump_ok" and last:
            percent = 100
        if role == "jump_small" and index == len(self.rounds) - 2:
            percent = 85
        if not (role in ("jump", "jump_small") and last):
            categories = ["before_photo"] if index == 0 else []
            categories += ["after_photo"] * rnd.randint(1, 2)
            for category in categories:
                photos.append(self.photo(task, unit, category=category,
                                         uploaded=sent - dt.timedelta(hours=rnd.randint(2, 60))))
        copied = False
        if role == "copy_previous" and previous is not None and last:
            description, copied = edited_copy(previous.description, rnd), True
        if role == "copy_other" and last:
            others = [items[-1] for (_t, u), items in self.reports.items()
                      if u != unit.pk and items and items[-1].round_id == round_.pk]
            if others:
                source = rnd.choice(others)
                description, copied = edited_copy(source.description, rnd), True
                sent = max(sent, source.submitted_at + dt.timedelta(hours=1))
        report = ProgressReport.objects.create(
            round=round_, task=task, unit=unit, status=ProgressReport.Status.APPROVED,
            stage="done" if percent == 100 else "advancing", description=description, percent=percent,
            next_steps=rnd.choice(PLANS), drafted_by=self.staff[unit.pk], approved_by=self.staff[unit.pk],
            submitted_at=sent, approved_at=sent + dt.timedelta(hours=2))
        report.evidence.set(photos)
        history.append(report)
        if photos:
            self.last_photos[key] = photos
        if role == "jump" and last:
            self.truth.plant("percent_jump", f"report:{report.pk}")
        if role in ("jump_ok", "jump_small") and last:
            self.truth.near_misses["percent_jump"] += 1
        if copied:
            self.truth.plant("repeated_text", f"report:{report.pk}")
        elif previous is not None:  # the same task and unit a month later, in new words
            self.truth.near_misses["repeated_text"] += 1
        return report

    def plant_photo_anomalies(self) -> None:
        """Photos reused, edited, dated or placed wrongly, added to the last round's reports."""
        from zhenggai.evidence.models import Evidence
        from zhenggai.integrity.checks.evidence import photo_km
        from zhenggai.integrity.photos import distance_km

        rnd = self.rnd
        last_round = self.rounds[-1]
        pairs = [(k, v) for k, v in self.last_photos.items() if v and self.roles.get(k) not in ("jump", "jump_small")]
        rnd.shuffle(pairs)
        by_task = {t.pk: t for t in self.tasks}
        units = {u.pk: u for u in self.units}
        sources = [p for _k, photos in pairs for p in photos]

        def attach(task: Any, unit: Any, evidence: Any) -> None:
            report = next((r for r in self.reports[(task.pk, unit.pk)] if r.round_id == last_round.pk), None)
            if report is not None:
                report.evidence.add(evidence)

        def label_location(evidence: Any, task: Any, gps: tuple[float, float] | None) -> None:
            place = task.bench["place"]
            if gps and place and distance_km(gps[0], gps[1], place[0], place[1]) > photo_km():
                self.truth.plant("photo_location", f"evidence:{evidence.pk}")

        def gps_of(evidence: Any) -> tuple[float, float] | None:
            row = Evidence.objects.filter(pk=evidence.pk).values_list("gps_lat", "gps_lon").first()
            return (float(row[0]), float(row[1])) if row and row[0] is not None else None

        targets = iter(pairs * 3)
        # exact copies of another task's photo (and one unit's photo reused by another unit, or by the same
        # unit for a later round)
        for i in range(self.n):
            (task_id, unit_id), _photos = next(targets)
            task, unit = by_task[task_id], units[unit_id]
            source = rnd.choice([s for s in sources if s.task_id != task.pk])
            when = aware(last_round.due_date, 8) + dt.timedelta(days=2, hours=i)
            if i % 5 == 4:  # the same unit's first-round photo uploaded again as new
                first = next((p for p in self.reports[(task.pk, unit.pk)][0].evidence.all()), None)
                if first is None:
                    continue
                source = first
                source.bench_bytes = first.file.open("rb").read()
                first.file.close()
            copy = self.photo(task, unit, category="after_photo", uploaded=when, data=source.bench_bytes)
            attach(task, unit, copy)
            self.truth.plant("duplicate_file", f"evidence:{copy.pk}")
            label_location(copy, task, gps_of(copy))
        # edited copies of another unit's photo
        edits = ["reencode", "resize", "crop", "stamp", "bright", "resize+stamp", "crop+reencode", "bright+resize"]
        for i in range(self.n):
            (task_id, unit_id), _photos = next(targets)
            task, unit = by_task[task_id], units[unit_id]
            source = rnd.choice([s for s in sources if s.task_id != task.pk and s.organization_id != unit.pk])
            data = edited_photo(source.bench_bytes, edits[i % len(edits)], rnd)
            copy = self.photo(task, unit, category="after_photo", data=data,
                              uploaded=aware(last_round.due_date, 8) + dt.timedelta(days=3, hours=i))
            attach(task, unit, copy)
            self.truth.plant("near_duplicate_photo", f"evidence:{copy.pk}")
            label_location(copy, task, gps_of(copy))
        # near-misses: the same place photographed again for the same task (another day, camera moved)
        for i in range(self.n):
            (task_id, unit_id), photos = next(targets)
            task, unit = by_task[task_id], units[unit_id]
            again = scene(photos[0].bench_seed, self.photo_size, shot=1 + i)
            when = aware(last_round.due_date, 8) + dt.timedelta(days=4, hours=i)
            copy = self.photo(task, unit, category="after_photo", uploaded=when,
                              data=jpeg(again, captured=when - dt.timedelta(hours=3),
                                        gps=near(task.bench["place"], 0.3, rnd) if task.bench["place"] else None))
            attach(task, unit, copy)
            self.truth.near_misses["near_duplicate_photo"] += 1
            self.truth.near_misses["duplicate_file"] += 1
        # capture times: an old photo, a camera clock far ahead, no EXIF at all
        for i in range(self.n):
            (task_id, unit_id), _photos = next(targets)
            task, unit = by_task[task_id], units[unit_id]
            when = aware(last_round.due_date, 8) + dt.timedelta(days=5, hours=i)
            gps = near(task.bench["place"], 0.5, rnd) if task.bench["place"] else None
            captured: dt.datetime | None
            if i % 3 == 0:
                captured = aware(self.INSPECTION_START - dt.timedelta(days=rnd.randint(90, 700)), 15)
            elif i % 3 == 1:
                captured = when + dt.timedelta(days=rnd.randint(20, 400))
            else:
                captured = None
            self.photo_seed += 1
            data = jpeg(scene(self.photo_seed, self.photo_size), captured=captured, gps=gps)
            copy = self.photo(task, unit, category="after_photo", uploaded=when, data=data)
            attach(task, unit, copy)
            self.truth.plant("photo_time", f"evidence:{copy.pk}")
        # near-misses: a before-photo older than the task, a clock a few hours ahead, an "other" picture
        # without EXIF
        for i in range(self.n):
            (task_id, unit_id), _photos = next(targets)
            task, unit = by_task[task_id], units[unit_id]
            when = aware(last_round.due_date, 8) + dt.timedelta(days=6, hours=i)
            category, captured = (("before_photo", aware(self.INSPECTION_START - dt.timedelta(days=200), 9)),
                                  ("after_photo", when + dt.timedelta(hours=rnd.randint(2, 20))),
                                  ("other", None))[i % 3]
            self.photo_seed += 1
            data = jpeg(scene(self.photo_seed, self.photo_size), captured=captured,
                        gps=near(task.bench["place"], 0.4, rnd) if task.bench["place"] else None)
            attach(task, unit, self.photo(task, unit, category=category, uploaded=when, data=data))
            self.truth.near_misses["photo_time"] += 1
        # places: far from the site; near-misses a few km away
        located = [(k, v) for k, v in pairs if by_task[k[0]].bench["place"]]
        places = iter(located * 3)
        for i in range(2 * self.n):
            (task_id, unit_id), _photos = next(places)
            task, unit = by_task[task_id], units[unit_id]
            far = i < self.n
            km = rnd.uniform(8, 40) if far else rnd.uniform(1.5, 4.0)
            when = aware(last_round.due_date, 8) + dt.timedelta(days=7, hours=i)
            evidence = self.photo(task, unit, category=rnd.choice(["after_photo", "before_photo"]), uploaded=when,
                                  gps=near(task.bench["place"], km, rnd))
            attach(task, unit, evidence)
            if far:
                self.truth.plant("photo_location", f"evidence:{evidence.pk}")
            else:
                self.truth.near_misses["photo_location"] += 1

    # ── applications

    def application(self, task: Any, unit: Any, applied: dt.datetime, evidence: list[Any]) -> Any:
        from zhenggai.rectification.models import AcceptanceApplication, Task

        application = AcceptanceApplication.objects.create(
            task=task, unit=unit, applied_by=self.staff[unit.pk], statement="已完成整改，申请验收销号。",
            self_check={key: True for key, _label in AcceptanceApplication.CRITERIA})
        AcceptanceApplication.objects.filter(pk=application.pk).update(applied_at=applied)
        application.applied_at = applied
        application.evidence.set(evidence)
        Task.objects.filter(pk=task.pk).update(status="acceptance_requested")
        return application

    def make_applications(self) -> None:
        rnd = self.rnd
        self.applications: list[Any] = []
        candidates = [t for t in self.tasks if t.implementing_units.count() == 1]
        rnd.shuffle(candidates)
        for i, task in enumerate(candidates[: 3 * self.n]):
            unit = task.implementing_units.get()
            last_sent = max(r.submitted_at for r in self.reports[(task.pk, unit.pk)])
            applied = last_sent + dt.timedelta(days=rnd.randint(5, 30))
            if i < self.n:  # planted: only photos uploaded before the last report
                old = list(self.reports[(task.pk, unit.pk)][0].evidence.all())
                application = self.application(task, unit, applied, old)
                self.truth.plant("application_without_new_evidence", f"application:{application.pk}")
            else:  # honest, or a near-miss with old photos and one new
                new = self.photo(task, unit, category="after_photo", uploaded=applied - dt.timedelta(days=1))
                old = list(self.reports[(task.pk, unit.pk)][0].evidence.all()) if i >= 2 * self.n else []
                application = self.application(task, unit, applied, [new, *old])
                self.truth.near_misses["application_without_new_evidence"] += 1
            self.applications.append(application)
        self.make_bursts()

    def make_bursts(self) -> None:
        """Bursts of applications just before the deadlines by one unit (planted), and near-misses: two
        last-minute ones, a week of early ones, last-minute ones of different units."""
        rnd = self.rnd
        burst_size = 3 if self.n < 12 else 4
        groups = max(1, self.n // burst_size)
        unit_cycle = iter(self.units * 10)
        day0 = dt.date(2025, 10, 20)

        def tasks_for(unit: Any, deadlines: list[dt.date], topic: str = "water") -> list[Any]:
            made = []
            for deadline in deadlines:
                self.next_number += 1
                made.append(self.new_task(number=self.next_number, units=[unit], topic=topic, deadline=deadline))
            return made

        def apply_all(unit: Any, tasks: list[Any], days: list[dt.date]) -> list[Any]:
            out = []
            for task, day in zip(tasks, days, strict=True):
                new = self.photo(task, unit, category="after_photo", uploaded=aware(day, 8))
                out.append(self.application(task, unit, aware(day, 15), [new]))
            return out

        for g in range(groups):
            unit = next(unit_cycle)
            start = day0 + dt.timedelta(days=20 * g)
            days = [start + dt.timedelta(days=rnd.randint(0, 4)) for _ in range(burst_size)]
            deadlines = [d + dt.timedelta(days=rnd.randint(0, 6)) for d in days]
            for application in apply_all(unit, tasks_for(unit, deadlines), days):
                self.truth.plant("deadline_burst", f"application:{application.pk}")
        near_units = [next(unit_cycle) for _ in range(5)]
        start = day0 + dt.timedelta(days=20 * groups + 10)
        # two last-minute applications by one unit
        days = [start, start + dt.timedelta(days=2)]
        apply_all(near_units[0], tasks_for(near_units[0], [d + dt.timedelta(days=3) for d in days]), days)
        # four applications in a week, well before their deadlines
        days = [start + dt.timedelta(days=i) for i in range(4)]
        apply_all(near_units[1], tasks_for(near_units[1], [d + dt.timedelta(days=60) for d in days]), days)
        # three other units, one last-minute application each, in the same week
        for offset, unit in enumerate(near_units[2:]):
            day = start + dt.timedelta(days=offset + 1)
            apply_all(unit, tasks_for(unit, [day + dt.timedelta(days=2)]), [day])
        self.truth.near_misses["deadline_burst"] += 3

    # ── notices

    def make_notices(self) -> None:
        from zhenggai.core.workdays import add_working_days
        from zhenggai.rectification.models import PublicNotice

        rnd = self.rnd
        starts_holiday = [dt.date(2025, 9, 29), dt.date(2025, 9, 30), dt.date(2025, 9, 26), dt.date(2026, 2, 12),
                          dt.date(2026, 2, 13), dt.date(2025, 4, 30), dt.date(2025, 12, 30)]
        apps = list(self.applications)
        needed = 3 * self.n
        while len(apps) < needed:  # more tasks to give notices to
            self.next_number += 1
            task = self.new_task(number=self.next_number, units=[self.units[len(apps) % len(self.units)]],
                                 topic="air", deadline=dt.date(2025, 12, 31))
            unit = task.implementing_units.get()
            new = self.photo(task, unit, category="after_photo", uploaded=aware(dt.date(2025, 8, 1), 9))
            apps.append(self.application(task, unit, aware(dt.date(2025, 8, 2), 10), [new]))
        for i, application in enumerate(apps[:needed]):
            kind = "planted" if i < self.n else ("holiday_ok" if i < 2 * self.n else "plain")
            start = rnd.choice(starts_holiday) if kind != "plain" else dt.date(2025, 8, 4) + dt.timedelta(
                days=rnd.randint(0, 40))
            declared, end = 10, add_working_days(start, 10)
            if kind == "planted":
                style = i % 3
                if style == 0:
                    end = start + dt.timedelta(days=13)  # "10 working days" written as two calendar weeks
                elif style == 1:
                    end = start + dt.timedelta(days=9)  # ten calendar days
                else:
                    declared = rnd.choice([5, 7])
                    end = add_working_days(start, declared)
            notice = PublicNotice.objects.create(
                task=application.task, application=application, start_date=start, working_days=declared,
                end_date=end, summary=application.task.title, result="整改完成。", status=PublicNotice.Status.ENDED)
            if kind == "planted":
                self.truth.plant("short_notice", f"notice:{notice.pk}")
            else:
                self.truth.near_misses["short_notice"] += 1

    # ── complaints

    def complaint(self, *, summary: str, region: Any, received: dt.date, status: str = "done",
                  truth: str = "true", done: dt.date | None = None, repeat_of: Any = None, rebound_of: Any = None,
                  handling: str = "已责令整改，问题已解决。") -> Any:
        from zhenggai.complaints.models import Complaint, HandoverBatch

        self.complaint_counter += 1
        handed_over = received + dt.timedelta(days=2)
        if handed_over not in self.batches:
            self.batches[handed_over] = HandoverBatch.objects.create(inspection=self.inspection,
                                                                     number=len(self.batches) + 1,
                                                                     handed_over=handed_over)
        return Complaint.objects.create(
            batch=self.batches[handed_over], inspection=self.inspection, sequence=self.complaint_counter,
            acceptance_number=f"X{self.seed}BENCH{self.complaint_counter:05d}", summary=summary, region=region,
            received_date=received, reply_deadline=received + dt.timedelta(days=10), status=status,
            review_status="approved" if status == "done" else "draft", truthfulness=truth,
            investigation="经现场核查，" + ("问题属实。" if truth != "false" else "未发现反映的问题。"),
            handling=handling, done_at=done if status == "done" else None, repeat_of=repeat_of,
            rebound_of=rebound_of, lead_unit=self.rnd.choice(self.units))

    def make_complaints(self) -> None:
        rnd = self.rnd
        self.batches: dict[dt.date, Any] = {}
        kinds = list(COMPLAINT_TYPES)
        closed = []
        # honest closed cases, each with a site photo
        for i in range(max(2 * self.n, self.honest_tasks // 2)):
            region = self.townships[i % len(self.townships)]
            received = dt.date(2024, 11, 20) + dt.timedelta(days=rnd.randint(0, 10))
            truth = rnd.choice(["true", "true", "mostly_true", "partly_true", "false"])
            c = self.complaint(summary=complaint_summary(rnd, region.name, rnd.choice(VILLAGES), rnd.choice(kinds)),
                               region=region, received=received, truth=truth,
                               done=received + dt.timedelta(days=rnd.randint(5, 25)))
            if truth == "false" or rnd.random() < 0.5:
                self.photo(None, None, category="other", complaint=c, gps=None,
                           uploaded=aware(c.done_at, 11), captured=aware(c.done_at, 9))
                if truth == "false":
                    self.truth.near_misses["unfounded_without_evidence"] += 1
            closed.append(c)
        # planted: 不属实 without any evidence
        for i in range(self.n):
            region = self.townships[i % len(self.townships)]
            received = dt.date(2025, 3, 10) + dt.timedelta(days=rnd.randint(0, 60))
            c = self.complaint(summary=complaint_summary(rnd, region.name, rnd.choice(VILLAGES), rnd.choice(kinds)),
                               region=region, received=received, truth="false",
                               done=received + dt.timedelta(days=12))
            self.truth.plant("unfounded_without_evidence", f"complaint:{c.pk}")
        # near-miss: 属实 / 部分属实 without evidence
        for i in range(self.n):
            region = self.townships[i % len(self.townships)]
            received = dt.date(2025, 3, 10) + dt.timedelta(days=rnd.randint(0, 60))
            self.complaint(summary=complaint_summary(rnd, region.name, rnd.choice(VILLAGES), rnd.choice(kinds)),
                           region=region, received=received, truth=rnd.choice(["true", "partly_true"]),
                           done=received + dt.timedelta(days=12))
            self.truth.near_misses["unfounded_without_evidence"] += 1
        # planted: repeats of closed cases, linked or nearly the same words
        for i in range(self.n):
            original = closed[i]
            received = original.done_at + dt.timedelta(days=rnd.randint(20, 200))
            linked = i % 2 == 0
            summary = (complaint_summary(rnd, original.region.name, rnd.choice(VILLAGES), rnd.choice(kinds))
                       if linked else edited_copy(original.summary, rnd))
            c = self.complaint(summary=summary, region=original.region, received=received, status="investigating",
                               truth="", repeat_of=original if linked else None, handling="")
            self.truth.plant("repeat_of_closed", f"complaint:{c.pk}")
        # near-misses: a repeat of a case still open, a repeat received before the original closed, the
        # same kind of problem elsewhere in the same township, a rebound recorded by a look-back
        for i in range(self.n):
            original = closed[self.n + i]
            style = i % 4
            if style == 0:
                still_open = self.complaint(summary=complaint_summary(rnd, original.region.name, rnd.choice(VILLAGES),
                                                                      rnd.choice(kinds)),
                                            region=original.region, received=dt.date(2025, 5, 1),
                                            status="investigating", truth="", handling="")
                self.complaint(summary=complaint_summary(rnd, original.region.name, rnd.choice(VILLAGES),
                                                         rnd.choice(kinds)),
                               region=original.region, received=dt.date(2025, 6, 1), status="investigating",
                               truth="", repeat_of=still_open, handling="")
            elif style == 1:
                self.complaint(summary=edited_copy(original.summary, rnd), region=original.region,
                               received=original.done_at - dt.timedelta(days=3), status="done", truth="true",
                               done=original.done_at + dt.timedelta(days=5), repeat_of=original)
            elif style == 2:
                self.complaint(summary=complaint_summary(rnd, original.region.name, rnd.choice(VILLAGES),
                                                         rnd.choice(kinds)),
                               region=original.region, received=original.done_at + dt.timedelta(days=60),
                               status="investigating", truth="", handling="")
            else:
                self.complaint(summary=edited_copy(original.summary, rnd), region=original.region,
                               received=original.done_at + dt.timedelta(days=90), status="investigating",
                               truth="", rebound_of=original, handling="")
            self.truth.near_misses["repeat_of_closed"] += 1
        # handling texts: blanket wording planted, near-misses of lawful and rejecting wording
        for i in range(2 * self.n):
            region = self.townships[i % len(self.townships)]
            planted = i < self.n
            who = rnd.choice(BLANKET_WHO)
            text = (rnd.choice(BLANKET) if planted else rnd.choice(NOT_BLANKET)).format(x=who, k=rnd.randint(2, 9))
            c = self.complaint(summary=complaint_summary(rnd, region.name, rnd.choice(VILLAGES), rnd.choice(kinds)),
                               region=region, received=dt.date(2025, 4, 1) + dt.timedelta(days=i), status="done",
                               done=dt.date(2025, 4, 20) + dt.timedelta(days=i),
                               handling=f"经调查核实，{text}，并建立长效监管机制。")
            self.photo(None, None, category="other", complaint=c, gps=None, uploaded=aware(c.done_at, 11),
                       captured=aware(c.done_at, 9))
            if planted:
                self.truth.plant("blanket_shutdown", f"complaint:{c.pk}")
            else:
                self.truth.near_misses["blanket_shutdown"] += 1


# ─────────────────────────────────────────────── small base (tests) and the command

def small_base(seed: int = 7) -> tuple[Any, list[Any]]:
    """A district with townships and ten units: enough for the generator without the demo."""
    from zhenggai.accounts.models import Organization, Region

    district = Region.objects.create(code=f"B{seed:05d}", name="基准区", level=Region.Level.DISTRICT)
    for index, town in enumerate(TOWNS[:6]):
        Region.objects.create(code=f"B{seed:05d}{index:02d}", name=town, level=Region.Level.TOWNSHIP, parent=district)
    gov = Organization.objects.create(name="基准区人民政府", region=district, kind=Organization.Kind.GOVERNMENT)
    names = ["区住房城乡建委", "区生态环境局", "区城市管理局", "区农业农村委", "区水利局", "区交通局", *TOWNS[:4]]
    units = [Organization.objects.create(name=name, region=district, parent=gov,
                                         kind=Organization.Kind.TOWNSHIP if name in TOWNS else Organization.Kind.DEPARTMENT)
             for name in names]
    return district, units


def demo_base() -> tuple[Any, list[Any]]:
    """The demo's district and its departments and townships (load the demo first)."""
    from zhenggai.accounts.models import Organization
    from zhenggai.inspections.models import Inspection

    inspection = Inspection.objects.filter(title__contains="梁平区").order_by("id").first()
    if inspection is None:
        raise SystemExit("the demo is not loaded")
    region = inspection.target_region
    units = list(Organization.objects.filter(region=region, kind__in=[Organization.Kind.DEPARTMENT,
                                                                      Organization.Kind.TOWNSHIP],
                                             is_active=True).order_by("id")[:24])
    return region, units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=160, help="honest tasks added to the demo (default 160)")
    parser.add_argument("--planted", type=int, default=20, help="anomalies planted per kind (default 20)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="zhenggai-bench-integrity-")
    os.environ.setdefault("ZHENGGAI_DATA_DIR", tmp)
    os.environ.setdefault("ZHENGGAI_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    print("loading the demo…", flush=True)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    region, units = demo_base()
    print(f"demo loaded in {time.perf_counter() - started:.0f} s; generating…", flush=True)
    started = time.perf_counter()
    generator = Generator(region=region, units=units, seed=args.seed, tasks=args.tasks, planted=args.planted,
                          photo_size=(480, 360), say=lambda m: print("  " + m, flush=True))
    truth = generator.run()
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    from zhenggai.complaints.models import Complaint
    from zhenggai.evidence.models import Evidence
    from zhenggai.rectification.models import AcceptanceApplication, ProgressReport, PublicNotice, Task

    sizes = {"tasks": Task.objects.count(), "reports": ProgressReport.objects.count(),
             "evidence files": Evidence.objects.count(), "applications": AcceptanceApplication.objects.count(),
             "notices": PublicNotice.objects.count(), "complaints": Complaint.objects.count()}
    rows = score(truth)
    print()
    print(f"database: {connection.vendor}; dataset: " + ", ".join(f"{v} {k}" for k, v in sizes.items()))
    print(table(rows))
    weak = [r.check for r in rows if r.recall < 0.9 or r.precision < 0.8]
    print("\nall checks meet recall ≥ 0.9 and precision ≥ 0.8" if not weak else f"\nbelow the floors: {weak}")


if __name__ == "__main__":
    main()
