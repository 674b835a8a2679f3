"""Stage 1: the region tree, the organization tree and the people (with their roles).

Root region (a province, or a city) → cities (province scale) → districts (区) → streets and towns. Each
level has its government and its inspection-rectification office; a district also has the demo's
departments and one unit per township. People: the offices, a leader, a discipline officer and an
administrator per district; unit staff and a unit head in every department and township; an acceptor
in each department that accepts tasks. Everyone shares one password (the demo's)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.hashers import make_password

from zhenggai.accounts.models import Organization, Region, Role
from zhenggai.demo import DEMO_PASSWORD

from . import vocab
from .bulk import aware
from .context import Actor, Context, District, Org

GROUP_NAMES = (
    ("中央第一生态环境保护督察组", "central"), ("中央第三生态环境保护督察组", "central"),
    ("{root}第一生态环境保护督察组", "provincial"), ("{root}第二生态环境保护督察组", "provincial"),
    ("{root}第三生态环境保护督察组", "provincial"), ("{root}第五生态环境保护督察组", "provincial"),
    ("{root}第六生态环境保护督察组", "provincial"), ("{root}第八生态环境保护督察组", "provincial"),
)
CN_NUMBERS = "一二三四五六七八九十"


class _Tree:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.joined = aware(dt.date(2024, 1, 2), 9)
        self.taken_names: set[str] = set()
        self.user_seq = 0

    def region(self, *, code: str, name: str, level: str, parent_path: str, parent_id: int | None) -> tuple[int, str]:
        table = self.ctx.table(Region._meta.label)
        pk = table.allocate()
        path = f"{parent_path}{pk}/"
        self.ctx.add(Region._meta.label, id=pk, path=path, code=code, name=name, level=level, parent_id=parent_id)
        return pk, path

    def org(self, *, name: str, short: str, kind: str, region_id: int, parent: Org | None, order: int) -> Org:
        table = self.ctx.table(Organization._meta.label)
        pk = table.allocate()
        path = f"{parent.path if parent else '/'}{pk}/"
        self.ctx.add(Organization._meta.label, id=pk, path=path, name=name, short_name=short, kind=kind,
                     parent_id=parent.id if parent else None, region_id=region_id, sort_order=order,
                     is_active=True)
        return Org(pk, name, short, kind, path, region_id)

    def user(self, username: str, org: Org, roles: tuple[str, ...], title: str) -> Actor:
        last, first = vocab.person(self.ctx.rng)
        pk = self.ctx.add(
            "accounts.User", username=username, password=self.ctx.password, last_name=last, first_name=first,
            is_superuser=False, is_staff=False, is_active=True, date_joined=self.joined, organization_id=org.id,
            title=title, email="", phone=vocab.mobile(self.ctx.rng),
        )
        for role in roles:
            self.ctx.add("accounts.UserRole", user_id=pk, role=role)
        return (pk, f"{last}{first}")

    def level_offices(self, name: str, region_id: int, order: int) -> tuple[Org, Org]:
        gov = self.org(name=f"{name}人民政府", short=f"{name[-1]}政府", kind=Organization.Kind.GOVERNMENT,
                       region_id=region_id, parent=None, order=order)
        office = self.org(name=f"{name}生态环境保护督察整改工作领导小组办公室", short=f"{name[-1]}督察整改办",
                          kind=Organization.Kind.OFFICE, region_id=region_id, parent=gov, order=order + 1)
        return gov, office


def build_tree(ctx: Context) -> None:
    rng = ctx.rng
    scale = ctx.scale
    ctx.password = make_password(DEMO_PASSWORD)
    tree = _Tree(ctx)
    taken: set[str] = set()
    root_level = scale.levels[0]
    root_suffix = "省" if root_level == "province" else "市"
    root_name = vocab.distinct_names(rng, 1, vocab.FIRST, vocab.SECOND, root_suffix, taken)[0]
    ctx.province_code = "Q" + "ABCDEFGHJKLMNPRSTWXYZ"[rng.randrange(21)]
    root_code = "990000" if root_level == "province" else "990100"
    root_id, root_path = tree.region(code=root_code, name=root_name, level=root_level, parent_path="/",
                                     parent_id=None)
    ctx.root_region_id = root_id
    root_gov, root_office = tree.level_offices(root_name, root_id, 1)
    office_user = tree.user("office", root_office, (Role.OFFICE,), "督察整改办专职副主任")
    tree.user("leader", root_gov, (Role.LEADER,), "分管生态环境工作负责同志")
    tree.user("admin", root_office, (Role.ADMIN,), "信息化管理员")
    ctx.accounts += [("office", str(Role.OFFICE.label), root_office.name), ("leader", str(Role.LEADER.label), root_gov.name)]
    del office_user
    for number, (pattern, level) in enumerate(GROUP_NAMES, start=1):
        name = pattern.format(root=root_name[:-1])
        group = tree.org(name=name, short="", kind=Organization.Kind.INSPECTION_GROUP, region_id=root_id,
                         parent=None, order=900 + number)
        ctx.groups.append((group.id, name, level))

    parents: list[tuple[int, str, str]] = []  # (region id, path, code prefix) of the districts' parents
    if scale.cities:
        city_names = vocab.distinct_names(rng, scale.cities, vocab.FIRST, vocab.SECOND, "市", taken)
        for c, name in enumerate(city_names, start=1):
            region_id, path = tree.region(code=f"99{c:02d}00", name=name, level=Region.Level.CITY,
                                          parent_path=root_path, parent_id=root_id)
            gov, office = tree.level_offices(name, region_id, 10 * c)
            tree.user(f"office-c{c}", office, (Role.OFFICE,), "督察整改办副主任")
            parents.append((region_id, path, f"99{c:02d}"))
    else:
        parents.append((root_id, root_path, root_code[:4]))

    district_names = vocab.distinct_names(rng, scale.districts, vocab.FIRST, vocab.SECOND, "区", taken)
    per_parent = -(-scale.districts // len(parents))
    for index, name in enumerate(district_names, start=1):
        parent_id, parent_path, prefix = parents[(index - 1) // per_parent]
        code = f"{prefix}{(index - 1) % per_parent + 1:02d}"
        ctx.districts.append(_district(ctx, tree, index, name, code, parent_id, parent_path))


def _district(ctx: Context, tree: _Tree, index: int, name: str, code: str, parent_id: int,
              parent_path: str) -> District:
    rng = ctx.rng
    region_id, path = tree.region(code=code, name=name, level=Region.Level.DISTRICT, parent_path=parent_path,
                                  parent_id=parent_id)
    township_regions = []
    for t, town in enumerate(vocab.township_names(rng, ctx.scale.townships), start=1):
        town_id, _town_path = tree.region(code=f"{code}{t:03d}000", name=town, level=Region.Level.TOWNSHIP,
                                          parent_path=path, parent_id=region_id)
        township_regions.append((town_id, town))
    order = iter(range(10, 100_000, 10))
    gov = tree.org(name=f"{name}人民政府", short="区政府", kind=Organization.Kind.GOVERNMENT, region_id=region_id,
                   parent=None, order=next(order))
    office = tree.org(name=f"{name}生态环境保护督察整改工作领导小组办公室", short="区督察整改办",
                      kind=Organization.Kind.OFFICE, region_id=region_id, parent=gov, order=next(order))
    wanted = vocab.DEPARTMENTS
    if ctx.scale.departments:
        keep = set(vocab.ACCEPTING) | {vocab.DISCIPLINE_DEPT}
        wanted = [d for d in wanted if d[0] in keep][: ctx.scale.departments]
    departments: dict[str, Org] = {}
    for dept_name, dept_short in wanted:
        full = f"{name[:-1]}{dept_name}" if dept_name.startswith("工业园区") else f"{name}{dept_name[1:]}"
        short = dept_short if dept_short and dept_short != dept_name else dept_name
        org = tree.org(name=full, short=short, kind=Organization.Kind.DEPARTMENT, region_id=region_id, parent=gov,
                       order=next(order))
        departments[dept_name] = org
        if short != dept_name:
            departments.setdefault(short, org)
    townships = [
        tree.org(name=town, short="", kind=Organization.Kind.TOWNSHIP, region_id=town_id, parent=gov,
                 order=next(order))
        for town_id, town in township_regions
    ]
    office_users = [
        tree.user(f"office{index}", office, (Role.OFFICE,), "区督察整改办专职副主任"),
        tree.user(f"office{index}b", office, (Role.OFFICE,), "区督察整改办综合科科员"),
    ]
    tree.user(f"admin{index}", office, (Role.ADMIN,), "区督察整改办信息化管理员")
    tree.user(f"leader{index}", gov, (Role.LEADER,), "区政府分管生态环境工作负责同志")
    discipline_org = departments.get(vocab.DISCIPLINE_DEPT, gov)
    tree.user(f"discipline{index}", discipline_org, (Role.DISCIPLINE,), "纪检监察室主任")
    units = list(dict.fromkeys(departments.values()))
    accepting = []
    for j, org in enumerate(units, start=1):
        org.staff.append(tree.user(f"staff{index}-{j}", org, (Role.UNIT_STAFF,), f"{org.label}科员"))
        if rng.random() < 0.4:
            org.staff.append(tree.user(f"staff{index}-{j}b", org, (Role.UNIT_STAFF,), f"{org.label}干部"))
        org.heads.append(tree.user(f"head{index}-{j}", org, (Role.UNIT_HEAD,), f"{org.label}副职负责人"))
        if any(org is departments.get(a) for a in vocab.ACCEPTING):
            org.acceptors.append(tree.user(f"acceptor{index}-{j}", org, (Role.ACCEPTOR,), f"{org.label}科长"))
            accepting.append(org)
    for k, org in enumerate(townships, start=1):
        org.staff.append(tree.user(f"staff{index}-t{k}", org, (Role.UNIT_STAFF,), f"{org.name}生态环境保护办公室干部"))
        org.heads.append(tree.user(f"head{index}-t{k}", org, (Role.UNIT_HEAD,), f"{org.name}党委委员、副职"))
    if index == 1:
        env = departments.get("区生态环境局") or accepting[0]
        first_dept = units[0]
        ctx.accounts += [
            (f"office{index}", str(Role.OFFICE.label), office.name),
            (f"leader{index}", str(Role.LEADER.label), gov.name),
            (f"staff{index}-1", str(Role.UNIT_STAFF.label), first_dept.name),
            (f"head{index}-1", str(Role.UNIT_HEAD.label), first_dept.name),
            (f"staff{index}-t1", str(Role.UNIT_STAFF.label), townships[0].name),
            (f"acceptor{index}-{units.index(env) + 1}", str(Role.ACCEPTOR.label), env.name),
        ]
    centre = (29.0 + rng.random() * 2, 106.0 + rng.random() * 3)
    return District(index, region_id, name, code, path, gov, office, departments, townships, township_regions,
                    office_users, centre, accepting=accepting)
