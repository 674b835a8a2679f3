"""API routes of organizations, users and the caller's own API tokens (/api/v1/organizations…,
/api/v1/users…, /api/v1/account/tokens…). They parse input and call the same policies and services as the
staff pages ("单位", "用户", "接口令牌"); the rules live there."""


import datetime as dt
from typing import Any, Literal

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.models import ApiToken
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, RegionRef, Text, UnitRef, id_path, unit_ref
from zhenggai.api.services import MAX_EXPIRES_DAYS, api_token_create, api_token_revoke, api_tokens_for_user
from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.rectification.models import Task

from .models import Organization, Region, Role, User
from .policies import MANAGE, get_for_user, scope_for, task_party_q, user_can, user_has_role
from .services import organization_save, user_save

router = Router(tags=["单位与用户"])

KindValue = Literal["government", "office", "department", "township", "inspection_group", "other"]
RoleValue = Literal["office", "unit_staff", "unit_head", "acceptor", "leader", "discipline", "admin"]
assert set(KindValue.__args__) == set(Organization.Kind.values)  # type: ignore[attr-defined]
assert set(RoleValue.__args__) == set(Role.values)  # type: ignore[attr-defined]


# --- organizations -----------------------------------------------------------------------------------


class AccountOrganizationOut(Schema):
    """单位。"""

    id: int = Field(..., description="单位编号")
    name: str = Field(..., description="名称")
    short_name: str = Field(..., description="简称")
    kind: str = Field(..., description="类型：government 人民政府、office 督察整改办、department 部门、"
                                        "township 乡镇/街道、inspection_group 督察组、other 其他")
    parent: UnitRef | None = Field(None, description="上级单位")
    region: RegionRef = Field(..., description="行政区域")
    sort_order: int = Field(..., description="排序")
    is_active: bool = Field(..., description="是否启用")
    user_count: int = Field(0, description="用户数")


class AccountUserBrief(Schema):
    """单位的用户（引用）。"""

    id: int = Field(..., description="用户编号")
    username: str = Field(..., description="用户名")
    name: str = Field(..., description="姓名")
    roles: list[str] = Field(..., description="角色代码")


class AccountOrganizationDetailOut(AccountOrganizationOut):
    """单位详情：下级单位、在职用户和当前用户可见的相关任务数。"""

    children: list[UnitRef] = Field(..., description="下级单位")
    users: list[AccountUserBrief] = Field(..., description="在职用户（当前用户可见的）")
    task_count: int = Field(..., description="本单位（含下级）参与、当前用户可见的任务数")
    can_manage: bool = Field(..., description="当前用户能否修改本单位")


class AccountOrganizationWrite(Schema):
    name: Text | None = Field(None, min_length=1, max_length=100, description="名称")
    short_name: Text | None = Field(None, max_length=50, description="简称")
    kind: KindValue | None = Field(None, description="类型")
    parent: Id | None = Field(None, description="上级单位编号（可见单位之一）；null 表示无上级")
    region: Id | None = Field(None, description="行政区域编号（须在本行政区域内）")
    sort_order: int | None = Field(None, ge=0, le=2_147_483_647, description="排序")
    is_active: bool | None = Field(None, description="是否启用")


class AccountOrganizationCreateIn(AccountOrganizationWrite):
    """新建单位（系统管理员；督察整改办也可）。"""

    name: Text = Field(..., min_length=1, max_length=100, description="名称")
    kind: KindValue = Field(..., description="类型")
    region: Id = Field(..., description="行政区域编号（须在本行政区域内）")


class AccountOrganizationPatchIn(AccountOrganizationWrite):
    """修改单位：只写需要修改的字段。"""


class AccountOrganizationQuery(Schema):
    kind: KindValue | None = Field(None, description="只列该类型的单位")
    q: Text | None = Field(None, max_length=100, description="按名称或简称查找")


def _org_out(org: Organization, user_count: int | None = None) -> dict[str, Any]:
    return {
        "id": org.pk, "name": org.name, "short_name": org.short_name, "kind": org.kind,
        "parent": unit_ref(org.parent), "region": {"id": org.region_id, "name": org.region.name},
        "sort_order": org.sort_order, "is_active": org.is_active,
        "user_count": getattr(org, "user_count", user_count or 0),
    }


def _user_brief(u: User) -> dict[str, Any]:
    return {"id": u.pk, "username": u.username, "name": u.get_full_name() or u.username,
            "roles": sorted(r.role for r in u.roles.all())}


def _org_detail(user: Any, org: Organization) -> dict[str, Any]:
    tasks = scope_for(user, Task.objects.all()).filter(task_party_q(org.path)).distinct()
    users = scope_for(user, org.users.filter(is_active=True).prefetch_related("roles")).order_by("username")
    return {
        **_org_out(org, org.users.count()),
        "children": [unit_ref(c) for c in org.children.order_by("sort_order", "id")],
        "users": [_user_brief(u) for u in users],
        "task_count": tasks.count(),
        "can_manage": user_can(user, MANAGE, org),
    }


def _raise_model_errors(obj: Any, exclude: list[str]) -> None:
    """The model's own validation (field rules, uniqueness), as the page's ModelForm runs it."""
    try:
        obj.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(" ".join(messages), field=None if field == "__all__" else field) from exc


def _fold_organization(user: Any, org: Organization, payload: AccountOrganizationWrite) -> Organization:
    sent = payload.model_fields_set
    for name in ("name", "kind", "sort_order", "is_active"):
        if name in sent and getattr(payload, name) is not None:
            setattr(org, name, getattr(payload, name))
    if "short_name" in sent:
        org.short_name = payload.short_name or ""
    if "parent" in sent:
        parent = None
        if payload.parent:
            parent = scope_for(user, Organization.objects.filter(pk=payload.parent)).first()
            if parent is None:
                raise ValidationFailed(_("上级单位不存在或不可选。"), field="parent")
        org.parent = parent
    if "region" in sent and payload.region is not None:
        region = Region.objects.filter(pk=payload.region).first()
        if region is None:
            raise ValidationFailed(_("行政区域不存在。"), field="region")
        org.region = region
    _raise_model_errors(org, exclude=["path", "depth"])
    return org


@router.get("/organizations", response={200: list[AccountOrganizationOut], **READ_ERRORS}, summary="单位清单")
@paginate(Pages)
def organization_list(request: ApiRequest, filters: Query[AccountOrganizationQuery]) -> Any:
    """当前用户所在地区的单位目录，按层级排序；可按类型和名称筛选（与“单位”页面相同）。"""
    orgs = scope_for(request.auth, Organization.objects.select_related("region", "parent"))
    if filters.kind:
        orgs = orgs.filter(kind=filters.kind)
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        orgs = orgs.filter(Q(name__contains=q) | Q(short_name__contains=q))
    return _Rows(orgs.annotate(user_count=Count("users", distinct=True)).order_by("path", "id"), _org_out)


@router.get("/organizations/{organization_id}", response={200: AccountOrganizationDetailOut, **READ_ERRORS},
            summary="单位详情")
def organization_detail(request: ApiRequest, organization_id: int = id_path("单位编号")) -> Any:
    org = get_for_user(request.auth, Organization.objects.select_related("region", "parent"), pk=organization_id)
    return _org_detail(request.auth, org)


@router.post("/organizations", response={201: AccountOrganizationDetailOut, **ERROR_RESPONSES}, summary="新建单位")
def organization_create(request: ApiRequest, payload: AccountOrganizationCreateIn) -> Any:
    """系统管理员（或督察整改办）在本行政区域内新建单位。"""
    if not user_can(request.auth, MANAGE, Organization):
        raise PermissionDenied()
    org = organization_save(actor=request.auth, organization=_fold_organization(request.auth, Organization(), payload))
    return Status(201, _org_detail(request.auth, Organization.objects.select_related("region", "parent").get(pk=org.pk)))


@router.patch("/organizations/{organization_id}", response={200: AccountOrganizationDetailOut, **ERROR_RESPONSES},
              summary="修改单位")
def organization_patch(request: ApiRequest, payload: AccountOrganizationPatchIn,
                       organization_id: int = id_path("单位编号")) -> Any:
    org = get_for_user(request.auth, Organization.objects.select_related("region", "parent"), pk=organization_id)
    if not user_can(request.auth, MANAGE, org):
        raise PermissionDenied()
    org = organization_save(actor=request.auth, organization=_fold_organization(request.auth, org, payload))
    return _org_detail(request.auth, Organization.objects.select_related("region", "parent").get(pk=org.pk))


# --- users --------------------------------------------------------------------------------------------


class AccountUserOut(Schema):
    """用户。"""

    id: int = Field(..., description="用户编号")
    username: str = Field(..., description="用户名")
    last_name: str = Field(..., description="姓")
    first_name: str = Field(..., description="名")
    email: str = Field(..., description="邮箱")
    phone: str = Field(..., description="电话")
    title: str = Field(..., description="职务")
    organization: UnitRef | None = Field(None, description="所属单位")
    roles: list[str] = Field(..., description="角色代码：office 督察整改办、unit_staff 责任单位经办人、unit_head 责任单位负责人、"
                                              "acceptor 验收单位、leader 领导、discipline 纪检监察、admin 系统管理员")
    is_active: bool = Field(..., description="是否启用")
    last_login: dt.datetime | None = Field(None, description="最近登录")


class AccountUserWrite(Schema):
    username: Text | None = Field(None, min_length=1, max_length=150, description="用户名")
    last_name: Text | None = Field(None, max_length=150, description="姓")
    first_name: Text | None = Field(None, max_length=150, description="名")
    email: Text | None = Field(None, max_length=254, description="邮箱")
    phone: Text | None = Field(None, max_length=30, description="电话")
    title: Text | None = Field(None, max_length=60, description="职务")
    organization: Id | None = Field(None, description="所属单位编号（本行政区域内）")
    roles: list[RoleValue] | None = Field(None, min_length=1, max_length=7, description="角色（整体替换，至少一个）")
    password: Text | None = Field(None, max_length=128, description="新密码：至少 10 位，不能全是数字；不填则不修改")
    is_active: bool | None = Field(None, description="是否启用")


class AccountUserCreateIn(AccountUserWrite):
    """新建用户（系统管理员）。不设密码的新用户在设置密码前不能登录。"""

    username: Text = Field(..., min_length=1, max_length=150, description="用户名")
    organization: Id = Field(..., description="所属单位编号（本行政区域内）")
    roles: list[RoleValue] = Field(..., min_length=1, max_length=7, description="角色（至少一个）")


class AccountUserPatchIn(AccountUserWrite):
    """修改用户（系统管理员）：只写需要修改的字段。"""


class AccountUserQuery(Schema):
    q: Text | None = Field(None, max_length=100, description="按用户名、姓名或单位名称查找")
    role: RoleValue | None = Field(None, description="只列有该角色的用户")


def _require_user_admin(user: Any) -> None:
    """As the "用户" pages: only the system administrator (or a superuser) manages users."""
    if not (user.is_superuser or user_has_role(user, Role.ADMIN)):
        raise PermissionDenied()


def _user_out(u: User) -> dict[str, Any]:
    return {
        "id": u.pk, "username": u.username, "last_name": u.last_name, "first_name": u.first_name,
        "email": u.email, "phone": u.phone, "title": u.title, "organization": unit_ref(u.organization),
        "roles": sorted(r.role for r in u.roles.all()), "is_active": u.is_active, "last_login": u.last_login,
    }


def _users(user: Any) -> QuerySet[User]:
    return scope_for(user, User.objects.select_related("organization").prefetch_related("roles"))


def _fold_user(actor: Any, edited: User, payload: AccountUserWrite) -> User:
    sent = payload.model_fields_set
    if "username" in sent and payload.username is not None:
        edited.username = payload.username
    for name in ("last_name", "first_name", "email", "phone", "title"):
        if name in sent:
            setattr(edited, name, getattr(payload, name) or "")
    if "is_active" in sent and payload.is_active is not None:
        edited.is_active = payload.is_active
    if "organization" in sent and payload.organization is not None:
        org = scope_for(actor, Organization.objects.filter(pk=payload.organization)).first()
        if org is None:
            raise ValidationFailed(_("所属单位不存在或不可选。"), field="organization")
        edited.organization = org
    _raise_model_errors(edited, exclude=["password", "last_login", "date_joined"])
    if payload.password:
        try:
            password_validation.validate_password(payload.password, edited)
        except DjangoValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), field="password") from exc
    return edited


@router.get("/users", response={200: list[AccountUserOut], **READ_ERRORS}, summary="用户清单")
@paginate(Pages)
def user_list(request: ApiRequest, filters: Query[AccountUserQuery]) -> Any:
    """系统管理员：本行政区域的用户，按单位和用户名排序；可按关键词和角色筛选（与“用户”页面相同）。"""
    _require_user_admin(request.auth)
    users = _users(request.auth).exclude(username="system")
    if filters.q and filters.q.strip():
        q = filters.q.strip()
        users = users.filter(Q(username__icontains=q) | Q(last_name__contains=q) | Q(first_name__contains=q)
                             | Q(organization__name__contains=q))
    if filters.role:
        users = users.filter(roles__role=filters.role)
    return _Rows(users.order_by("organization__path", "username"), _user_out)


@router.get("/users/{user_id}", response={200: AccountUserOut, **READ_ERRORS}, summary="用户详情")
def user_detail(request: ApiRequest, user_id: int = id_path("用户编号")) -> Any:
    _require_user_admin(request.auth)
    return _user_out(get_for_user(request.auth, _users(request.auth), pk=user_id))


@router.post("/users", response={201: AccountUserOut, **ERROR_RESPONSES}, summary="新建用户")
def user_create(request: ApiRequest, payload: AccountUserCreateIn) -> Any:
    _require_user_admin(request.auth)
    edited = _fold_user(request.auth, User(), payload)
    edited = user_save(actor=request.auth, user=edited, roles=payload.roles, password=payload.password or None)
    return Status(201, _user_out(_users(request.auth).get(pk=edited.pk)))


@router.patch("/users/{user_id}", response={200: AccountUserOut, **ERROR_RESPONSES}, summary="修改用户")
def user_patch(request: ApiRequest, payload: AccountUserPatchIn, user_id: int = id_path("用户编号")) -> Any:
    _require_user_admin(request.auth)
    edited = get_for_user(request.auth, User.objects.all(), pk=user_id)
    roles = payload.roles if payload.roles is not None else sorted(edited.role_codes)
    edited = user_save(actor=request.auth, user=_fold_user(request.auth, edited, payload), roles=roles,
                       password=payload.password or None)
    return _user_out(_users(request.auth).get(pk=edited.pk))


# --- the caller's own API tokens ---------------------------------------------------------------------


class AccountTokenOut(Schema):
    """接口令牌（不含密钥：密钥只在创建时显示一次）。"""

    id: int = Field(..., description="令牌编号")
    name: str = Field(..., description="名称（用途）")
    prefix: str = Field(..., description="密钥前缀，用于辨认")
    created_at: dt.datetime = Field(..., description="创建时间")
    expires_at: dt.datetime | None = Field(None, description="过期时间；null 表示长期有效")
    last_used_at: dt.datetime | None = Field(None, description="最近使用时间")
    revoked_at: dt.datetime | None = Field(None, description="吊销时间")
    active: bool = Field(..., description="是否有效（未吊销、未过期）")


class AccountTokenCreatedOut(AccountTokenOut):
    """新建的接口令牌，含密钥——只此一次，请妥善保存。"""

    secret: str = Field(..., description="密钥（只显示这一次）：请求头 Authorization: Bearer <密钥>")


class AccountTokenCreateIn(Schema):
    """新建个人接口令牌。"""

    name: Text = Field(..., min_length=1, max_length=100, description="名称（用途），如：区大数据平台对接")
    expires_days: int | None = Field(None, ge=1, le=MAX_EXPIRES_DAYS, description="有效期（天）；不填表示长期有效")


def _token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk, "name": token.name, "prefix": token.prefix, "created_at": token.created_at,
        "expires_at": token.expires_at, "last_used_at": token.last_used_at, "revoked_at": token.revoked_at,
        "active": bool(token.is_active),
    }


@router.get("/account/tokens", response={200: list[AccountTokenOut], **READ_ERRORS}, summary="我的接口令牌")
@paginate(Pages)
def token_list(request: ApiRequest) -> Any:
    """当前用户自己的接口令牌，从新到旧（不含密钥）。"""
    return [_token_out(t) for t in api_tokens_for_user(request.auth)]


@router.post("/account/tokens", response={201: AccountTokenCreatedOut, **ERROR_RESPONSES}, summary="新建接口令牌")
def token_create(request: ApiRequest, response: HttpResponse, payload: AccountTokenCreateIn) -> Any:
    """新建一个以当前用户身份工作的令牌；答复中的密钥只出现这一次。"""
    token, secret = api_token_create(user=request.auth, name=payload.name, expires_days=payload.expires_days)
    response["Cache-Control"] = "no-store"  # the secret must not stay in any cache
    return Status(201, {**_token_out(token), "secret": secret})


@router.post("/account/tokens/{token_id}/revoke", response={200: AccountTokenOut, **ERROR_RESPONSES},
             summary="吊销接口令牌")
def token_revoke(request: ApiRequest, token_id: int = id_path("令牌编号")) -> Any:
    """立即吊销自己的一个令牌；别人的令牌与不存在的一样答复 404。再次吊销不改变什么。"""
    token = ApiToken.objects.filter(pk=token_id, user_id=request.auth.pk or 0).first()
    if token is None:
        raise NotFound()
    return _token_out(api_token_revoke(actor=request.auth, token=token))


class _Rows:
    """A queryset the paginator slices, each row turned into the route's output dict."""

    def __init__(self, queryset: Any, out: Any) -> None:
        self.queryset, self.out = queryset, out

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [self.out(row) for row in self.queryset[item]]
