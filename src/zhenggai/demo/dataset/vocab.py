"""Names and texts of generated data: region and unit names in the style of the demo, and texts taken
from the demo's sample tasks and complaint cases (`demo.data_tasks`, `demo.data_complaints`), moved to
the generated district and township. All people, places and companies are invented."""

from __future__ import annotations

import random
import re
from functools import lru_cache

from zhenggai.core.search import segment
from zhenggai.demo import data_liangping, data_orgs
from zhenggai.demo.data_complaints import CASES
from zhenggai.demo.data_tasks import TASKS

FIRST = "青松江北南东西安平云丰石龙凤金玉宁永长临高新华清白桃荣潼綦璧铜黔涪渝溪兴合万开忠垫彭酉秀巫奉"
SECOND = "山江川溪峰阳林水城桥源河口坪湖谷州岭滩坝塘湾沱岩"
TOWN_FIRST = "上下大小东西南北中新老黄白红青石沙马牛龙凤虎鹤桂梅竹柏松杨柳花金银铜铁高长永安福寿仁义礼和"
TOWN_SECOND = "山河溪坝坪场桥湾塘口岭关寨庙滩沟垭田林家洞池庄源台"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蒋蔡余杜叶程魏苏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玲飞鹏辉晓雪琳宇浩婷欣雨倩俊斌帆"

# the demo's departments, by the short form used in tasks ("区生态环境局"); the park committee is
# renamed after the district
DEPARTMENTS: list[tuple[str, str]] = [
    (name, short) for name, short in data_orgs.DEPARTMENTS if not name.startswith("梁平")
] + [("工业园区管委会", "工业园区管委会")]
# departments that accept tasks (验收单位)
ACCEPTING = ("区生态环境局", "区住房城乡建委", "区水利局", "区农业农村委", "区规划自然资源局", "区城市管理局",
             "区林业局")
DISCIPLINE_DEPT = "区纪委监委"

MEASURE_AREAS = data_liangping.MEASURE_AREAS
PLAN = data_liangping.PLAN
MEETINGS = data_liangping.MEETINGS
TASK_TEMPLATES = TASKS
CASE_TEMPLATES = CASES

GENERIC_MEASURES = (
    "建立问题整改台账，明确责任人和完成时限，每月调度推进情况。",
    "开展全面排查，形成问题清单，逐项制定整治方案。",
    "完善日常巡查和执法检查机制，发现问题及时交办、限期整改。",
    "加强资金保障，将整改项目纳入年度投资计划。",
    "组织开展整改“回头看”，防止问题反弹。",
    "建立长效管护机制，明确运行维护单位和经费来源。",
)
LEADER_TITLES = ("区政府副区长", "区委常委、常务副区长", "区委常委、区委宣传部部长", "区政府副区长")
REPORT_TEXTS = (
    "已完成现场排查，形成问题清单{n}项，正在制定整治方案。",
    "已整改完成{n}处点位，剩余点位正在按计划推进。",
    "整治工程已完成总工程量的{p}%，施工单位正在加紧推进。",
    "已组织第三方开展监测，监测结果达标，正在完善长效管护机制。",
    "已召开专题会议研究部署，落实责任人和完成时限，本月完成{n}项具体工作。",
    "本月督促相关企业完成整改{n}家，立案查处{m}家。",
)
NEXT_STEPS = (
    "继续加快工程进度，确保按期完成。",
    "开展整改效果评估，准备验收资料。",
    "加强日常巡查，防止问题反弹。",
    "督促施工单位增加人员设备投入。",
)
CHECK_FINDINGS = (
    "现场核查，整改措施落实到位，问题已解决，相关台账资料齐全。",
    "经现场查看和资料核查，整改目标已实现，长效机制已建立。",
)
RETURN_REASONS = (
    "佐证材料不足，请补充整改前后对比照片和监测报告。",
    "现场核查发现仍有部分点位未整改到位，请继续整改。",
)
REPORT_RETURN_REASONS = ("进度描述过于笼统，请写明本月完成的具体工作。", "请补充完成比例的依据。")


def distinct_names(rng: random.Random, count: int, first: str, second: str, suffix: str,
                   taken: set[str]) -> list[str]:
    """`count` names first+second+suffix not in `taken` (added to it)."""
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(first) + rng.choice(second) + suffix
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def township_names(rng: random.Random, count: int) -> list[str]:
    """A district's streets (街道, the first quarter), towns (镇) and a few townships (乡)."""
    taken: set[str] = set()
    streets = max(1, count // 4)
    townships = max(0, count // 10)
    names = distinct_names(rng, streets, TOWN_FIRST, TOWN_SECOND, "街道", taken)
    names += distinct_names(rng, count - streets - townships, TOWN_FIRST, TOWN_SECOND, "镇", taken)
    names += distinct_names(rng, townships, TOWN_FIRST, TOWN_SECOND, "乡", taken)
    return names


def person(rng: random.Random) -> tuple[str, str]:
    """(family name, given name)."""
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES), given


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def id_number(rng: random.Random, code: str) -> str:
    year, month, day = rng.randrange(1950, 2000), rng.randrange(1, 13), rng.randrange(1, 29)
    return f"{code[:6]}{year}{month:02d}{day:02d}{rng.randrange(1000):03d}{rng.choice('0123456789X')}"


_LIANGPING = re.compile("梁平区|梁平")


def relocate(text: str, district: str, township: str, demo_township: str = "") -> str:
    """A demo text moved to another district and township."""
    if demo_township:
        text = text.replace(demo_township, township)
    return _LIANGPING.sub(lambda m: district if m.group(0) == "梁平区" else district[:-1], text)


@lru_cache(maxsize=200_000)
def words(text: str) -> tuple[str, ...]:
    """The search words of one text (jieba, as `core.search.segment`), cached: generated texts repeat."""
    return tuple(segment(text))


def search_text(*parts: str | tuple[str, ...]) -> str:
    """What `core.search.search_document` stores, segmenting each part on its own (parts repeat). A part
    may be words already (`moved_words`)."""
    found: dict[str, None] = {}
    for part in parts:
        if part:
            for word in (part if isinstance(part, tuple) else words(part)):
                found[word] = None
    return " ".join(found)


@lru_cache(maxsize=20_000)
def moved_words(template: str, district: str, township: str, demo_township: str = "") -> tuple[str, ...]:
    """The words of `relocate(template, district, township, demo_township)` without segmenting each moved
    text: the template's words with the demo's places swapped for the new ones."""
    kept = tuple(w for w in words(template) if "梁平" not in w and not (demo_township and demo_township in w))
    return kept + words(township) + words(district)
