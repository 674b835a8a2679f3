"""The scales of `zhenggai generate-dataset`, as data.

Counts are targets: tasks, inspections, complaints and regions are met exactly; measures, progress
reports, evidence and events follow from the generated histories (monthly rounds over the tasks' open
months, files where a real unit would attach one, one event per change) and land near the ratios of
the province figures: 3 measures, about 10 progress reports and 10 evidence records per task.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    levels: tuple[str, ...]  # region levels above the districts, from the root down ("province", "city")
    cities: int  # regions between the root and the districts (0: the districts hang under the root)
    districts: int  # 区县: each with its government, office, departments, townships and people
    townships: int  # per district
    inspections: int
    tasks: int
    complaints: int
    departments: int = 0  # per district; 0: all of the demo's departments


SCALES: dict[str, Scale] = {
    # for tests: one small district, finishing in seconds
    "tiny": Scale("tiny", ("city",), 0, 1, 4, 2, 40, 60, departments=10),
    "district": Scale("district", ("city",), 0, 1, 20, 8, 2_500, 12_500),
    "city": Scale("city", ("city",), 0, 10, 20, 100, 25_000, 125_000),
    "province": Scale("province", ("province", "city"), 4, 40, 20, 400, 100_000, 500_000),
}

PUBLIC_SCALES = ("district", "city", "province")
