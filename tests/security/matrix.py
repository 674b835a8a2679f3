"""The permission policy as one table of data (issue 8): role × object kind × action × relation → allowed.

`tests/security/test_permission_matrix.py` drives every cell through the staff pages, the API and the admin;
`docs/security.md` shows the same table (`markdown()`), and a test keeps the two equal.

Relations: where the object lies as seen from the user.
- `own`: of the user's own unit — for region-wide roles (office, leader, discipline, admin): located in
  the user's own region;
- `sub`: of a sub-unit of the user's unit, located in a sub-region of the user's region;
- `unrelated`: of a unit unrelated to the user's, in the user's own region;
- `other_region`: of a unit in another region (a neighbouring district).
A unit role's user sits in the unit; the object of `own` names that unit as implementing, lead and
acceptance unit (tasks), lead unit (complaints), or scores it (assessments).
"""

from __future__ import annotations

ROLES = ("office", "unit_staff", "unit_head", "acceptor", "leader", "discipline", "admin", "public")
RELATIONS = ("own", "sub", "unrelated", "other_region")

# Who reaches the Django admin at all (`is_staff` is given to the system administrators only).
ADMIN_SITE_ROLES = frozenset({"admin"})

ROLE_LABELS = {
    "office": "督察整改办 office", "unit_staff": "经办人 unit_staff", "unit_head": "负责人 unit_head",
    "acceptor": "验收单位 acceptor", "leader": "领导 leader", "discipline": "纪检监察 discipline",
    "admin": "系统管理员 admin", "public": "公众 (not signed in)",
}

# (kind, action) → what the action is, in words for the documentation.
ACTIONS: dict[tuple[str, str], str] = {
    ("task", "view"): "open the task",
    ("task", "list"): "find it in the task list",
    ("task", "export"): "find it in the exported task list (xlsx)",
    ("task", "edit"): "edit the task",
    ("task", "start"): "start (未启动 → 整改中)",
    ("task", "apply"): "apply for acceptance",
    ("task", "pass"): "pass acceptance",
    ("task", "return"): "return acceptance",
    ("task", "close"): "close (销号) after the notice",
    ("report", "view"): "read a submitted progress report",
    ("report", "write"): "draft the unit's progress report",
    ("report", "submit"): "submit a draft report",
    ("report", "approve"): "approve a submitted report",
    ("report", "return"): "return a submitted report",
    ("evidence", "view"): "read and download an evidence file",
    ("evidence", "upload"): "upload evidence to the task",
    ("notice", "view"): "read the public notice (staff side)",
    ("notice", "list"): "find it among the running notices",
    ("notice", "answer"): "answer an objection",
    ("complaint", "view"): "open the complaint",
    ("complaint", "list"): "find it in the complaint list",
    ("complaint", "export"): "find it in the exported complaint list (xlsx)",
    ("complaint", "complainant"): "see the complainant's identity",
    ("complaint", "assign"): "assign (交办) the case",
    ("complaint", "handle"): "record the handling",
    ("complaint", "submit"): "submit the result for review",
    ("complaint", "approve"): "approve the result",
    ("assessment", "view"): "read the assessment and its ranking",
    ("assessment", "export"): "download the ranking",
    ("assessment", "unit_items"): "read a unit's deductions and bonuses",
    ("assessment", "ruleset_edit"): "edit the rule set",
    ("assessment", "compute"): "compute the scores",
    ("user", "view"): "open the user account",
    ("user", "list"): "find it in the user list",
    ("user", "edit"): "edit the user account",
}

NONE = "...."
_TASK_READERS = {"office": "YYY.", "unit_staff": "YY..", "unit_head": "YY..", "acceptor": "YY..",
                 "leader": "YYY.", "discipline": "YYY."}
_COMPLAINT_READERS = _TASK_READERS
_ASSESSMENT_READERS = {"office": "YYY.", "unit_staff": "Y.Y.", "unit_head": "Y.Y.", "acceptor": "Y.Y.",
                       "leader": "YYY.", "discipline": "YYY."}

# (kind, action) → {role: four marks, one per relation in RELATIONS order; "Y" allowed, "." refused}.
# Roles left out are refused everywhere.
POLICY: dict[tuple[str, str], dict[str, str]] = {
    # Tasks: region-wide roles read their region's tree of regions; unit roles the tasks their unit or a
    # sub-unit is party to (DOMAIN §8). Only the office writes tasks; transitions per DOMAIN §3.
    ("task", "view"): _TASK_READERS,
    ("task", "list"): _TASK_READERS,
    ("task", "export"): _TASK_READERS,
    ("task", "edit"): {"office": "YYY."},
    ("task", "start"): {"unit_staff": "YY..", "unit_head": "YY.."},
    ("task", "apply"): {"unit_head": "YY.."},
    ("task", "pass"): {"acceptor": "YY.."},
    ("task", "return"): {"acceptor": "YY.."},
    ("task", "close"): {"office": "YYY."},
    # Progress reports before approval belong to the unit and the office; leaders and discipline read
    # approved reports only (on the task page).
    ("report", "view"): {"office": "YYY.", "unit_staff": "YY..", "unit_head": "YY..", "acceptor": "YY.."},
    ("report", "write"): {"unit_staff": "YY..", "unit_head": "YY.."},
    ("report", "submit"): {"unit_staff": "YY..", "unit_head": "YY.."},
    ("report", "approve"): {"unit_head": "YY.."},
    ("report", "return"): {"unit_head": "YY.."},
    # Evidence is read with its task; uploaded by the units party to it and the office.
    ("evidence", "view"): _TASK_READERS,
    ("evidence", "upload"): {"office": "YYY.", "unit_staff": "YY..", "unit_head": "YY..", "acceptor": "YY.."},
    # The public notice is read with its task (the portal shows its public part to anyone).
    ("notice", "view"): _TASK_READERS,
    ("notice", "list"): _TASK_READERS,
    ("notice", "answer"): {"office": "YYY."},
    # Complaints: region-wide roles those of inspections of their region; units those they lead.
    # The complainant's identity: the office only (DOMAIN §4).
    ("complaint", "view"): _COMPLAINT_READERS,
    ("complaint", "list"): _COMPLAINT_READERS,
    ("complaint", "export"): _COMPLAINT_READERS,
    ("complaint", "complainant"): {"office": "YYY."},
    ("complaint", "assign"): {"office": "YYY."},
    ("complaint", "handle"): {"office": "YYY.", "unit_staff": "YY..", "unit_head": "YY.."},
    ("complaint", "submit"): {"office": "YYY.", "unit_head": "YY.."},
    ("complaint", "approve"): {"office": "YYY."},
    # Assessments: unit roles read the ranking of the regions their unit lies in, and the items of their
    # own unit (and sub-units) only; the office keeps the rule sets and computes.
    ("assessment", "view"): _ASSESSMENT_READERS,
    ("assessment", "export"): _ASSESSMENT_READERS,
    ("assessment", "unit_items"): {"office": "YYY.", "unit_staff": "Y...", "unit_head": "Y...", "acceptor": "Y...",
                                   "leader": "YYY.", "discipline": "YYY."},
    ("assessment", "ruleset_edit"): {"office": "YYY."},
    ("assessment", "compute"): {"office": "YYY."},
    # User accounts: the system administrator of the region (DOMAIN §8).
    ("user", "view"): {"admin": "YYY."},
    ("user", "list"): {"admin": "YYY."},
    ("user", "edit"): {"admin": "YYY."},
}

KINDS = tuple(dict.fromkeys(kind for kind, _action in POLICY))


def allowed(role: str, kind: str, action: str, relation: str) -> bool:
    marks = POLICY[(kind, action)].get(role, NONE)
    return marks[RELATIONS.index(relation)] == "Y"


def check_table() -> None:
    """The table is well formed: known roles, four marks each, every action described."""
    assert set(POLICY) == set(ACTIONS), set(POLICY) ^ set(ACTIONS)
    for key, row in POLICY.items():
        for role, marks in row.items():
            assert role in ROLES, (key, role)
            assert len(marks) == len(RELATIONS) and set(marks) <= {"Y", "."}, (key, role, marks)


_MARK = {"Y": "✓", ".": "·"}
_SHORT = {"office": "office", "unit_staff": "staff", "unit_head": "head", "acceptor": "acceptor",
          "leader": "leader", "discipline": "discipline", "admin": "admin", "public": "public"}


def markdown() -> str:
    """The table as Markdown for docs/security.md: one row per (kind, action), one column per role, each
    cell four marks for own / sub / unrelated / other region (✓ allowed, · refused)."""
    check_table()
    head = "| object | action | " + " | ".join(_SHORT[r] for r in ROLES) + " |"
    rule = "|---|---|" + "---|" * len(ROLES)
    lines = [head, rule]
    for (kind, action), row in POLICY.items():
        cells = ["".join(_MARK[m] for m in row.get(role, NONE)) for role in ROLES]
        lines.append(f"| {kind} | {action}: {ACTIONS[(kind, action)]} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Admin site (`/admin/`): reached by " + ", ".join(sorted(ADMIN_SITE_ROLES))
                 + " only; there, each object is shown exactly when the table's `view` row allows it.")
    return "\n".join(lines) + "\n"
