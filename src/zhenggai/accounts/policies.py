"""The scoping policy: one place answers "may this user do X to this object?" (`user_can`) and
"which objects may they see?" (`scope_for`).

Rules (DOMAIN §8):
- `office`, `leader` and `discipline` see everything located in their organization's region and its
  sub-regions; only `office` writes inspections, plans and tasks there.
- unit roles (`unit_staff`, `unit_head`, `acceptor`) see a task when their organization or one of
  its sub-units is party to it: implementing, lead, cooperating or acceptance unit (or responsible
  for one of its measures); they see the inspections and plans of those tasks.
- `admin` manages users and organizations of its region; it sees no tasks. The office may add and
  edit organizations of its region too (creating units during an import).
- superusers and the system actor (jobs, commands) see and do everything.
Hidden and missing objects are indistinguishable: views answer 404 for both.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from .models import REGION_WIDE_ROLES, UNIT_ROLES, Organization, Region, Role, User

M = TypeVar("M", bound=Model)

VIEW = "view"
CHANGE = "change"
CREATE = "create"
DELETE = "delete"
IMPORT = "import"
MANAGE = "manage"


def user_has_role(user: Any, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(set(user.role_codes) & set(roles))


def is_system_actor(user: Any) -> bool:
    """The system actor (jobs, commands, the demo loader) may do everything; it cannot sign in."""
    from zhenggai.core.actors import SYSTEM_USERNAME

    return bool(getattr(user, "pk", None)) and getattr(user, "username", None) == SYSTEM_USERNAME and not user.has_usable_password()


def user_region(user: Any) -> Region | None:
    org = getattr(user, "organization", None)
    return org.region if org is not None else None


def _region_prefix(user: Any) -> str | None:
    region = user_region(user)
    return region.path if region is not None else None


def _org_prefix(user: Any) -> str | None:
    org = getattr(user, "organization", None)
    return org.path if org is not None else None


def is_region_wide(user: Any) -> bool:
    return user_has_role(user, *REGION_WIDE_ROLES)


def party_task_ids(org_path: str) -> QuerySet[Any]:
    """Ids of the tasks to which the organization at `org_path` (or a sub-unit) is party: implementing,
    lead, cooperating or acceptance unit, or responsible for one of the task's measures.

    One id query per relation, combined with UNION: each reads its own index (the link tables by
    organization, the task's unit columns), where joining the five relations with OR in one query made
    the database build their product for every task."""
    from zhenggai.rectification.models import Measure, Task

    units = Organization.objects.filter(path__startswith=org_path).order_by().values("pk")
    implementing = Task.implementing_units.through.objects.filter(organization_id__in=units).values("task_id")
    cooperating = Task.cooperating_units.through.objects.filter(organization_id__in=units).values("task_id")
    lead = Task.objects.filter(lead_unit_id__in=units).order_by().values("pk")
    accepting = Task.objects.filter(acceptance_unit_id__in=units).order_by().values("pk")
    measures = Measure.units.through.objects.filter(organization_id__in=units).values("measure__task_id")
    return implementing.order_by().union(cooperating.order_by(), lead, accepting, measures.order_by())


def task_party_loaded(task: Any, org_path: str) -> bool | None:
    """Is the organization at `org_path` (or a sub-unit) party to `task`, judged from the units already
    loaded with the instance (the task page prefetches them all)? None when they are not loaded."""
    loaded = getattr(task, "_prefetched_objects_cache", {})
    if not {"implementing_units", "cooperating_units", "measures"} <= loaded.keys():
        return None
    measures = list(loaded["measures"])
    if any("units" not in getattr(m, "_prefetched_objects_cache", {}) for m in measures):
        return None
    units = [*loaded["implementing_units"], *loaded["cooperating_units"], task.lead_unit, task.acceptance_unit,
             *(unit for measure in measures for unit in measure.units.all())]
    return any(unit is not None and unit.path.startswith(org_path) for unit in units)


def task_party_q(org_path: str, prefix: str = "") -> Q:
    """Tasks to which the organization at `org_path` (or a sub-unit) is party (see `party_task_ids`)."""
    return Q(**{f"{prefix}pk__in": party_task_ids(org_path)})


def scope_for(user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """The part of `queryset` that `user` may read. Every read of domain data starts here."""
    from zhenggai.inspections.models import Inspection, Meeting, Plan
    from zhenggai.rectification.models import Measure, Milestone, Task

    model = queryset.model
    if is_system_actor(user):
        return queryset
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    region_path = _region_prefix(user)
    org_path = _org_prefix(user)
    region_wide = is_region_wide(user)
    unit = user_has_role(user, *UNIT_ROLES)

    if model is Organization:
        # The directory of units is known to every signed-in user of the same region tree.
        if region_path is None:
            return queryset.none()
        top = region_path.split("/")[1]
        return queryset.filter(region__path__startswith=f"/{top}/")
    if model is Region:
        return queryset
    if model is User:
        if user_has_role(user, Role.ADMIN, Role.OFFICE) and region_path:
            return queryset.filter(organization__region__path__startswith=region_path)
        if org_path:
            return queryset.filter(organization__path__startswith=org_path)
        return queryset.filter(pk=user.pk)

    if model is Task:
        conditions = Q(pk__in=[])
        if region_wide and region_path:
            conditions |= Q(region__path__startswith=region_path)
        if unit and org_path:
            conditions |= Q(pk__in=party_task_ids(org_path))
        return queryset.filter(conditions)
    if model._meta.label in ("complaints.Complaint", "complaints.HandoverBatch", "complaints.Complainant",
                             "complaints.ComplaintLookBack"):
        return _complaint_scope(user, queryset, region_path, org_path, region_wide, unit)
    if model._meta.label == "evidence.Evidence":
        from zhenggai.complaints.models import Complaint

        return queryset.filter(Q(task__in=scope_for(user, Task.objects.all()))
                               | Q(complaint__in=scope_for(user, Complaint.objects.all())))
    if model in (Measure, Milestone) or model in _task_child_models():
        return queryset.filter(task__in=scope_for(user, Task.objects.all()))
    if model._meta.label in ("rectification.Objection", "rectification.AcceptanceReview"):
        via = "notice__task__in" if model._meta.model_name == "objection" else "application__task__in"
        return queryset.filter(**{via: scope_for(user, Task.objects.all())})
    if model in (Inspection, Plan, Meeting):
        field = {Inspection: "", Plan: "inspection__", Meeting: "inspection__"}[model]
        conditions = Q(pk__in=[])
        if region_wide and region_path:
            conditions |= Q(**{f"{field}target_region__path__startswith": region_path})
        if unit and org_path:
            # ids of the party tasks' plans (inspections, meetings), not a join through every task
            party = party_task_ids(org_path)
            if model is Meeting:
                ids = Meeting.tasks.through.objects.filter(task_id__in=party).values("meeting_id")
            else:
                column = "plan_id" if model is Plan else "plan__inspection_id"
                ids = Task.objects.filter(pk__in=party).order_by().values(column)
            conditions |= Q(pk__in=ids)
        return queryset.filter(conditions).distinct()
    return queryset.none()


def complaint_party_q(org_path: str, prefix: str = "") -> Q:
    """Complaints the organization at `org_path` (or a sub-unit) handles, as lead or cooperating unit."""
    return Q(**{f"{prefix}lead_unit__path__startswith": org_path}) | Q(
        **{f"{prefix}cooperating_units__path__startswith": org_path}
    )


def _complaint_scope(user: Any, queryset: QuerySet[M], region_path: str | None, org_path: str | None,
                     region_wide: bool, unit: bool) -> QuerySet[M]:
    """Complaints: region-wide roles see those of inspections of their region; handling units those they
    lead or cooperate on. The complainant is visible to the office only."""
    from zhenggai.complaints.models import Complaint

    model_name = queryset.model._meta.model_name
    if model_name == "complainant":
        if user_has_role(user, Role.OFFICE) and region_path:
            return queryset.filter(complaint__inspection__target_region__path__startswith=region_path)
        return queryset.none()
    conditions = Q(pk__in=[])
    if region_wide and region_path:
        conditions |= Q(inspection__target_region__path__startswith=region_path)
    if unit and org_path:
        conditions |= Q(pk__in=Complaint.objects.filter(complaint_party_q(org_path)).values("pk"))
    complaints = Complaint.objects.filter(conditions)
    if model_name == "complaint":
        return queryset.filter(pk__in=complaints.values("pk"))
    if model_name == "handoverbatch":
        return queryset.filter(pk__in=complaints.values("batch_id"))
    return queryset.filter(complaint__in=complaints.values("pk"))


def _task_child_models() -> tuple[type[Model], ...]:
    """Records that belong to one task and are visible exactly when the task is."""
    from zhenggai.rectification.models import (
        AcceptanceApplication,
        LookBack,
        ProgressReport,
        PublicNotice,
        SupervisionNotice,
    )

    return (ProgressReport, SupervisionNotice, AcceptanceApplication, PublicNotice, LookBack)


def user_can(user: Any, action: str, obj: Any) -> bool:
    """May `user` perform `action` on `obj`? `obj` may be a model instance or, for `create`, a model class
    or a parent object (e.g. a Plan for creating tasks in it)."""
    from zhenggai.inspections.models import Inspection, Meeting, Plan
    from zhenggai.rectification.models import Task

    if is_system_actor(user):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    model = obj if isinstance(obj, type) else type(obj)
    instance = None if isinstance(obj, type) else obj

    if action == VIEW:
        if instance is None:
            return False
        return scope_for(user, model._default_manager.filter(pk=instance.pk)).exists()  # type: ignore[attr-defined]

    if model in (Organization, User):
        # the office may add units (e.g. while importing a plan's tasks); only `admin` manages users
        managers = (Role.ADMIN, Role.OFFICE) if model is Organization else (Role.ADMIN,)
        if not user_has_role(user, *managers):
            return False
        if instance is None:
            return True
        region = instance.region if model is Organization else getattr(instance.organization, "region", None)
        return _in_user_region(user, region)

    if model in (Inspection, Plan, Task, Meeting):
        if not user_has_role(user, Role.OFFICE):
            return False
        if instance is None:
            return True
        region = {
            Inspection: lambda o: o.target_region,
            Plan: lambda o: o.inspection.target_region,
            Meeting: lambda o: o.inspection.target_region,
            Task: lambda o: o.region,
        }[model](instance)
        return _in_user_region(user, region)
    return False


def _in_user_region(user: Any, region: Region | None) -> bool:
    prefix = _region_prefix(user)
    return bool(prefix and region is not None and region.path.startswith(prefix))


READ_BY = "_zg_read_through_scope_by"


def get_for_user(user: Any, queryset: QuerySet[M], **lookup: Any) -> M:
    """One object the user may read, or NotFound — the same for hidden and for missing objects. The
    instance remembers that it was read through `user`'s scope (see `was_read_by`)."""
    from zhenggai.core.errors import NotFound

    try:
        obj = scope_for(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist as exc:  # type: ignore[attr-defined]
        raise NotFound() from exc
    setattr(obj, READ_BY, getattr(user, "pk", None))
    return obj


def was_read_by(user: Any, obj: Any) -> bool:
    """Was this very instance read through `user`'s scope (`get_for_user`)? Answered without a query:
    the panels of one page ask again about the object the page has just read. A later request reads
    the object again, so the answer lives as long as the instance (one request)."""
    pk = getattr(user, "pk", None)
    return pk is not None and getattr(obj, READ_BY, None) == pk


def task_visible(user: Any, task: Any) -> bool:
    """May `user` read `task`? One query, or none when the instance was read through the user's scope."""
    from zhenggai.rectification.models import Task

    return was_read_by(user, task) or scope_for(user, Task.objects.filter(pk=task.pk)).exists()
