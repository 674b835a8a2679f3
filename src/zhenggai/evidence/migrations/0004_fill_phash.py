"""Perceptual hashes for the images stored before the hash existed (the near-duplicate photo check).
Files that are missing or no longer decode keep a blank hash."""

from django.db import migrations


def fill(apps, schema_editor):
    from zhenggai.integrity.photos import perceptual_hash

    Evidence = apps.get_model("evidence", "Evidence")
    rows = Evidence.objects.filter(phash="", content_type__startswith="image/").only("id", "file")
    changed = []
    for row in rows.iterator(chunk_size=500):
        try:
            with row.file.open("rb") as handle:
                row.phash = perceptual_hash(handle)
        except (OSError, ValueError):
            continue
        if row.phash:
            changed.append(row)
        if len(changed) >= 500:
            Evidence.objects.bulk_update(changed, ["phash"])
            changed = []
    Evidence.objects.bulk_update(changed, ["phash"])


class Migration(migrations.Migration):
    dependencies = [("evidence", "0003_evidence_phash")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
