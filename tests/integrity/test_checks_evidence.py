"""Evidence checks: duplicate files, near-duplicate photos, capture times and places; the perceptual hash
stored at upload and the hashing functions."""

from __future__ import annotations

import io
import random
from decimal import Decimal

import pytest
from bench.integrity import edited_photo, jpeg, near, scene
from PIL import Image

from zhenggai.evidence.models import Evidence
from zhenggai.integrity.checks import Scope
from zhenggai.integrity.photos import (
    colour_hash,
    distance_km,
    hamming,
    hash_image,
    near_pairs,
    perceptual_hash,
)
from zhenggai.rectification.models import Task

from .support import at, dispatch_round, keys, photo, report, run, upload

PLACE = (30.672, 107.801)


# ── hashing


def test_hash_survives_edits_and_tells_different_pictures_apart():
    rnd = random.Random(3)
    original = jpeg(scene(1))
    base = perceptual_hash(io.BytesIO(original))
    assert len(base) == 16 and int(base, 16) >= 0
    for how in ("reencode", "resize", "crop", "stamp", "bright", "crop+reencode"):
        copy = edited_photo(original, how, rnd)
        assert hamming(base, perceptual_hash(io.BytesIO(copy))) <= 14, how
        assert (colour_hash(io.BytesIO(original)) ^ colour_hash(io.BytesIO(copy))).bit_count() <= 42, how
    others = [perceptual_hash(io.BytesIO(jpeg(scene(seed)))) for seed in range(2, 12)]
    assert min(hamming(base, other) for other in others) > 14
    assert perceptual_hash(io.BytesIO(b"%PDF-1.4 not an image")) == ""


def test_near_pairs_finds_every_close_pair_without_comparing_all():
    rnd = random.Random(5)
    values = [rnd.getrandbits(64) for _ in range(300)]
    hashes = [(i, f"{v:016x}") for i, v in enumerate(values)]
    hashes.append((1000, f"{values[7] ^ 0b1011:016x}"))  # 3 bits from #7
    hashes.append((1001, f"{values[9] ^ (0xFF << 20):016x}"))  # 8 bits from #9
    found = {(a, b): d for a, b, d in near_pairs(hashes, 10)}
    brute = {(a, b): hamming(x, y) for (a, x) in hashes for (b, y) in hashes if a < b and hamming(x, y) <= 10}
    assert {tuple(sorted(k)) for k in found} == set(brute)
    assert brute[(7, 1000)] == 3 and brute[(9, 1001)] == 8


def test_distance_in_km():
    assert distance_km(30.0, 107.0, 30.0, 107.0) == 0
    assert 110 < distance_km(30.0, 107.0, 31.0, 107.0) < 112
    assert 9.5 < distance_km(*PLACE, *near(PLACE, 10, random.Random(1))) < 10.5


def test_upload_stores_the_perceptual_hash_of_photos_only(world):
    data = photo(1)
    evidence = upload(world.users.staff, data, task=world.t_dept)
    assert evidence.phash == hash_image(Image.open(io.BytesIO(data)))
    pdf = upload(world.users.staff, b"%PDF-1.4\n%%EOF\n", task=world.t_dept, name="方案.pdf", category="policy",
                 content_type="application/pdf")
    assert pdf.phash == ""


# ── duplicate_file


def test_the_same_file_backing_another_task_is_flagged_on_the_later_upload(world):
    data = photo(2)
    first = upload(world.users.staff, data, task=world.t_dept, uploaded=at(2025, 5, 1))
    copy = upload(world.users.staff2, data, task=world.t_town, uploaded=at(2025, 6, 1))
    findings = run("duplicate_file")
    assert [f.key for f in findings] == [f"evidence:{copy.pk}"]
    finding = findings[0]
    assert finding.task_id == world.t_town.pk and finding.subject == copy
    assert finding.evidence["other_evidence_id"] == first.pk and finding.evidence["relation"] == "other_task"
    assert finding.evidence["sha256"] == copy.sha256
    assert "完全相同" in finding.reason and "2025年5月1日" in finding.reason
    # a run for the first task only has nothing to say about it; a run for the second finds it
    assert keys("duplicate_file", Scope(task_ids=frozenset({world.t_dept.pk}), complaint_ids=frozenset())) == set()
    assert keys("duplicate_file", Scope(task_ids=frozenset({world.t_town.pk}), complaint_ids=frozenset())) == {
        f"evidence:{copy.pk}"}


def test_the_same_units_file_reused_for_a_new_round_is_flagged_but_not_a_second_upload_of_the_same_round(world):
    data = photo(3)
    first = upload(world.users.staff, data, task=world.t_dept, uploaded=at(2025, 4, 3))
    again_same_round = upload(world.users.staff, data, task=world.t_dept, uploaded=at(2025, 4, 4))
    april, may = dispatch_round(world, at(2025, 4, 1).date()), dispatch_round(world, at(2025, 5, 1).date())
    report(april, world.t_dept, world.dept, world.users.staff, "四月进展", evidence=[first, again_same_round])
    assert keys("duplicate_file") == set()  # the same unit's file for the same task and round: no reuse
    reused = upload(world.users.staff, data, task=world.t_dept, uploaded=at(2025, 5, 5))
    report(may, world.t_dept, world.dept, world.users.staff, "五月进展", evidence=[reused])
    findings = run("duplicate_file")
    assert [(f.key, f.evidence["relation"]) for f in findings] == [(f"evidence:{reused.pk}", "other_round")]


def test_different_files_are_not_duplicates(world):
    upload(world.users.staff, photo(4), task=world.t_dept)
    upload(world.users.staff2, photo(5), task=world.t_town)
    assert run("duplicate_file") == []


# ── near_duplicate_photo


def test_an_edited_copy_of_another_units_photo_is_flagged(world):
    original = photo(6)
    first = upload(world.users.staff, original, task=world.t_dept, uploaded=at(2025, 5, 1))
    copy = upload(world.users.staff2, edited_photo(original, "crop+reencode", random.Random(1)), task=world.t_town,
                  uploaded=at(2025, 6, 1))
    findings = run("near_duplicate_photo")
    assert [f.key for f in findings] == [f"evidence:{copy.pk}"]
    facts = findings[0].evidence
    assert facts["other_evidence_id"] == first.pk
    assert facts["hamming_distance"] == hamming(first.phash, copy.phash) <= 14
    assert "几乎相同" in findings[0].reason


def test_photos_of_other_places_and_a_units_own_retake_are_not_near_duplicates(world):
    original = photo(7)
    upload(world.users.staff, original, task=world.t_dept, uploaded=at(2025, 5, 1))
    upload(world.users.staff2, photo(8), task=world.t_town, uploaded=at(2025, 6, 1))
    # the same place photographed again by the same unit for the same task
    upload(world.users.staff, jpeg(scene(7, shot=1)), task=world.t_dept, uploaded=at(2025, 6, 2))
    # an edited copy within the same unit's evidence of the same task is its own business
    upload(world.users.staff, edited_photo(original, "resize", random.Random(2)), task=world.t_dept)
    assert run("near_duplicate_photo") == []


def test_identical_files_are_left_to_the_duplicate_check(world):
    data = photo(9)
    upload(world.users.staff, data, task=world.t_dept, uploaded=at(2025, 5, 1))
    upload(world.users.staff2, data, task=world.t_town, uploaded=at(2025, 6, 1))
    assert run("near_duplicate_photo") == []


# ── photo_time


def test_capture_times_that_cannot_be_right_are_flagged(world):
    old = upload(world.users.staff, photo(10, captured=at(2023, 6, 1)), task=world.t_dept, uploaded=at(2025, 6, 1))
    ahead = upload(world.users.staff, photo(11, captured=at(2026, 3, 1)), task=world.t_dept,
                   uploaded=at(2025, 6, 1))
    missing = upload(world.users.staff, photo(12), task=world.t_dept, uploaded=at(2025, 6, 1))
    findings = {f.key: f for f in run("photo_time")}
    assert set(findings) == {f"evidence:{old.pk}", f"evidence:{ahead.pk}", f"evidence:{missing.pk}"}
    assert findings[f"evidence:{old.pk}"].evidence["rule"] == "before_task"
    assert "2023年6月1日" in findings[f"evidence:{old.pk}"].reason
    assert findings[f"evidence:{ahead.pk}"].evidence["rule"] == "after_upload"
    assert findings[f"evidence:{missing.pk}"].evidence["rule"] == "missing"


def test_plausible_capture_times_are_not_flagged(world):
    # a before-photo older than the task, an after-photo taken the day before its upload, an after-photo a
    # few hours "ahead" (a camera clock in another time zone), a picture of another category without EXIF
    upload(world.users.staff, photo(13, captured=at(2023, 6, 1)), task=world.t_dept, category="before_photo")
    upload(world.users.staff, photo(14, captured=at(2025, 5, 31)), task=world.t_dept, uploaded=at(2025, 6, 1))
    upload(world.users.staff, photo(15, captured=at(2025, 6, 1, 18)), task=world.t_dept, uploaded=at(2025, 6, 1))
    upload(world.users.staff, photo(16), task=world.t_dept, category="other")
    assert run("photo_time") == []


# ── photo_location


def test_a_photo_taken_far_from_the_tasks_place_is_flagged(world):
    Task.objects.filter(pk=world.t_dept.pk).update(location_lat=Decimal("30.672000"), location_lon=Decimal("107.801000"))
    far = upload(world.users.staff, photo(17, gps=near(PLACE, 20, random.Random(1))), task=world.t_dept)
    close = upload(world.users.staff, photo(18, gps=near(PLACE, 1.2, random.Random(2))), task=world.t_dept)
    findings = run("photo_location")
    assert [f.key for f in findings] == [f"evidence:{far.pk}"]
    assert 19.5 < findings[0].evidence["distance_km"] < 20.5
    assert "公里" in findings[0].reason
    assert close.pk not in {f.subject.pk for f in findings}


def test_no_place_or_no_gps_means_nothing_to_compare(world, settings):
    upload(world.users.staff, photo(19, gps=near(PLACE, 30, random.Random(3))), task=world.t_dept)  # no place
    Task.objects.filter(pk=world.t_town.pk).update(location_lat=Decimal("30.672000"),
                                                   location_lon=Decimal("107.801000"))
    upload(world.users.staff2, photo(20), task=world.t_town)  # no GPS in the photo
    assert run("photo_location") == []
    # the distance is a setting
    Task.objects.filter(pk=world.t_dept.pk).update(location_lat=Decimal("30.672000"),
                                                   location_lon=Decimal("107.801000"))
    settings.ZHENGGAI_INTEGRITY_PHOTO_KM = 50
    assert run("photo_location") == []


def test_checks_read_in_bulk(world, django_assert_max_num_queries):
    for seed in range(21, 31):
        data = photo(seed, captured=at(2023, 1, 1))
        upload(world.users.staff, data, task=world.t_dept)
        upload(world.users.staff2, data, task=world.t_town)
    assert Evidence.objects.count() == 20
    with django_assert_max_num_queries(8):
        assert len(run("duplicate_file")) == 10
    with django_assert_max_num_queries(8):
        assert len(run("photo_time")) == 20


@pytest.mark.parametrize("code", ["duplicate_file", "near_duplicate_photo", "photo_time", "photo_location"])
def test_an_empty_scope_reads_nothing(world, code, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert run(code, Scope(task_ids=frozenset(), complaint_ids=frozenset())) == []
