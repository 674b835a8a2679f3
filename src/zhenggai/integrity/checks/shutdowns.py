"""Check on texts that announce blanket shutdowns (一刀切): 一律停产, 全部关停, 统统关闭, 全面停业… in
measures, task texts, progress reports and complaint handling, for the office to review.

Rules (`blanket_phrases`):
- a quantifier of totality (一律、统统、通通、一概、全部、全面、所有、一并、全都) followed, with at most three
  filler words between (予以、立即、责令、实行、暂时、依法…), by a shutdown verb (停产、停业、关停、关闭、停工、
  取缔、封停、断电、停止生产/营业/经营/施工…); or the word 一刀切 itself used as a method (一刀切关停、搞一刀切);
- spaces, quotation marks and brackets are ignored and a few traditional characters are read as simplified,
  so that "一律 停产"、“一刀切”、一律停產 are found too;
- a phrase does not count when its clause (the text between two punctuation marks) rejects it — a
  negation or warning before it (严禁、防止、不搞、杜绝、避免、反对、纠正、不存在…) or a judgement after it
  (问题、现象、倾向、是错误的、不可取、予以纠正…) — as in "严禁一刀切" or "防止'一刀切'";
- closing valves, sluices or outfalls (全部关闭阀门) is engineering, not a shutdown;
- with a weak quantifier (全部、全面、所有、一并、全都) a count of named sites in the clause before it (对 5 家
  超标企业全部停产整治) marks a targeted measure, not a blanket one; so does an illegal target (违法、违规、
  无证、未批先建… — 违规占用岸线的设施全部清退 is enforcement).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.complaints.models import Complaint
from zhenggai.rectification.models import Measure, ProgressReport, Task

from .base import Finding, Scope, register
from .common import fetch, nothing_in_scope, scoped, short

STRONG = "一律|统统|通通|一概|一刀切式?"
WEAK = "全部|全面|所有|一并|全都"
FILLER = "(?:予以|一律|立即|马上|即行|责令|实行|实施|进行|采取|暂时|暂|先行|先|都|均|要|必须|强制|坚决|依法|限期|集中|一次性)"
VERB = ("(?:停产|停业|关停|关闭|停工|取缔|封停|封存|查封|断电|断水|关门|歇业|清退|停运|停用|拆除|"
        "停止(?:生产|营业|经营|施工|作业|运营|排放|使用))")
PHRASE_RE = re.compile(rf"(?P<quant>{STRONG}|{WEAK}){FILLER}{{0,3}}{VERB}|(?P<knife>一刀切)")
CLAUSE_RE = re.compile(r"[^。；;！!？?\n，,：:]+")
IGNORED_RE = re.compile(r"[\s“”‘’\"'「」『』《》〈〉()（）【】\[\]]+")
TRADITIONAL = str.maketrans("產業關閉停統團斷運門律麵車", "产业关闭停统团断运门律面车")
NEGATION_BEFORE = re.compile(
    "严禁|禁止|防止|杜绝|避免|不搞|不得|不准|不要|不能|不宜|不允许|不可|不应|反对|严防|切忌|不采取|不简单|"
    "纠正|防范|拒绝|而非|而不是|不是|不再|并非|不存在|没有|未出现|未发生|谨防|警惕|克服|摒弃|力戒|严查|查处|整治"
)
NEGATION_AFTER = re.compile("问题|现象|倾向|是错误|不可取|要不得|不允许|杜绝|避免|纠正|制止|叫停|行为")
# closing a valve, a sluice or an outfall is engineering, not shutting a business down
OBJECT_AFTER = re.compile("阀|闸|排污口|排口|排放口|雨水口|管道|管网|通道|取水口|井盖|窗")
COUNT_RE = re.compile(r"\d+\s*(?:家|户|个|处|座|台|条|间|个体户|企业)|[一二三四五六七八九十两]+(?:家|户|处|座|台)")
ILLEGAL_RE = re.compile("违法|违规|非法|无证|无照|违建|私搭乱建|未批先建|未经审批|未办理环评")
KNIFE_USE = re.compile("(?:搞|实行|采取|实施|进行|一律)一刀切|一刀切式?(?:关停|停产|停业|关闭|取缔|拆除|清退|处理|整治|管理)")


@dataclass(frozen=True)
class Phrase:
    phrase: str
    clause: str


def _clean(text: str) -> str:
    return IGNORED_RE.sub("", (text or "").translate(TRADITIONAL))


def blanket_phrases(text: str) -> list[Phrase]:
    """The phrases of `text` that announce a blanket shutdown (see the module's rules)."""
    found: list[Phrase] = []
    for clause_match in CLAUSE_RE.finditer(_clean(text)):
        clause = clause_match.group(0)
        for match in PHRASE_RE.finditer(clause):
            before, after = clause[:match.start()], clause[match.end():]
            if NEGATION_BEFORE.search(before) or NEGATION_AFTER.search(after[:8]) or OBJECT_AFTER.match(after):
                continue
            if match.group("knife") and not KNIFE_USE.search(clause):
                continue  # the word alone, neither used as a method nor rejected: a mention
            if match.group("quant") in WEAK.split("|") and COUNT_RE.search(before):
                continue  # a count of named sites: a targeted measure
            if ILLEGAL_RE.search(before):
                continue  # closing what is illegal (违法、无证…) is enforcement, not a blanket shutdown
            found.append(Phrase(match.group(0), clause))
            break
    return found


def _texts(scope: Scope) -> Iterator[tuple[str, str, int, int | None, int | None, str]]:
    """(kind, field, id, task id, complaint id, text) of every text the check reads, in bulk. Only rows
    that mention a shutdown word are fetched."""
    words = ("停", "关", "闭", "關", "閉", "取缔", "一刀切", "封", "断电", "清退", "拆除", "歇业")

    def any_word(field: str) -> Q:
        condition = Q()
        for word in words:
            condition |= Q(**{f"{field}__contains": word})
        return condition

    if not (scope.task_ids is not None and not scope.task_ids):
        for pk, task_id, text in scoped(Measure.objects.filter(any_word("text")), scope).values_list(
                "id", "task_id", "text").iterator(chunk_size=2000):
            yield "measure", "text", pk, task_id, None, text
        tasks = scoped(Task.objects.filter(any_word("title") | any_word("goal") | any_word("remarks")), scope,
                       task_field="id")
        for pk, title, goal, remarks in tasks.values_list("id", "title", "goal", "remarks").iterator(chunk_size=2000):
            for field, text in (("title", title), ("goal", goal), ("remarks", remarks)):
                yield "task", field, pk, pk, None, text
        reports = scoped(ProgressReport.objects.filter(
            any_word("description") | any_word("next_steps"), status__in=(ProgressReport.Status.SUBMITTED,
                                                                         ProgressReport.Status.APPROVED)), scope)
        for pk, task_id, description, next_steps in reports.values_list(
                "id", "task_id", "description", "next_steps").iterator(chunk_size=2000):
            yield "report", "description", pk, task_id, None, description
            yield "report", "next_steps", pk, task_id, None, next_steps
    if not (scope.complaint_ids is not None and not scope.complaint_ids):
        complaints = scoped(Complaint.objects.filter(any_word("handling") | any_word("handling_goal")), scope,
                            task_field=None, complaint_field="id")
        for pk, handling, goal in complaints.values_list("id", "handling", "handling_goal").iterator(chunk_size=2000):
            yield "complaint", "handling", pk, None, pk, handling
            yield "complaint", "handling_goal", pk, None, pk, goal


FIELD_LABELS = {
    ("measure", "text"): gettext_lazy("整改措施"),
    ("task", "title"): gettext_lazy("存在问题"),
    ("task", "goal"): gettext_lazy("整改目标"),
    ("task", "remarks"): gettext_lazy("备注"),
    ("report", "description"): gettext_lazy("整改进度描述"),
    ("report", "next_steps"): gettext_lazy("下一步计划"),
    ("complaint", "handling"): gettext_lazy("处理和整改情况"),
    ("complaint", "handling_goal"): gettext_lazy("办结目标"),
}
MODELS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "measure": (Measure, ("task",)), "task": (Task, ()), "report": (ProgressReport, ("task", "unit")),
    "complaint": (Complaint, ()),
}


@register(
    "blanket_shutdown", gettext_lazy("“一刀切”式关停表述"),
    triggers=("task.created", "task.updated", "report.submitted", "report.approved", "complaint.handled",
              "complaint.imported", "complaint.created"),
    description=gettext_lazy("整改措施、任务内容、进展报告或信访件处理情况中出现“一律停产”“全部关停”“统统关闭”"
                             "“全面停业”“一刀切”等一刀切式关停表述，提交人工复核；“严禁一刀切”“防止‘一刀切’”等"
                             "反对一刀切的表述和针对具体点位的依法关停不在此列。"),
)
def blanket_shutdown(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope, tasks=True, complaints=True):
        return
    hits: dict[tuple[str, int], tuple[str, int | None, int | None, Phrase]] = {}
    for kind, field, pk, task_id, complaint_id, text in _texts(scope):
        if (kind, pk) in hits or not text:
            continue
        phrases = blanket_phrases(text)
        if phrases:
            hits[(kind, pk)] = (field, task_id, complaint_id, phrases[0])
    subjects: dict[tuple[str, int], Any] = {}
    for kind, (model, related) in MODELS.items():
        for pk, row in fetch(model, (p for k, p in hits if k == kind), *related).items():
            subjects[(kind, pk)] = row
    for (kind, pk), (field, task_id, complaint_id, phrase) in sorted(hits.items()):
        reason = _("%(field)s中有“%(phrase)s”的表述（“%(clause)s”），疑似“一刀切”式关停，请核实是否依法、"
                   "是否区分情况。") % {"field": FIELD_LABELS[(kind, field)], "phrase": phrase.phrase,
                                  "clause": short(phrase.clause, 60)}
        yield Finding(check="blanket_shutdown", key=f"{kind}:{pk}", reason=reason, subject=subjects[(kind, pk)],
                      task_id=task_id, complaint_id=complaint_id,
                      evidence={"kind": kind, "id": pk, "field": field, "phrase": phrase.phrase,
                                "excerpt": short(phrase.clause, 120), "task_id": task_id,
                                "complaint_id": complaint_id})
