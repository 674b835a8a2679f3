from django.db import migrations


def seed(apps, schema_editor):
    from zhenggai.core.workdays import seed_from_chinesecalendar

    seed_from_chinesecalendar(apps.get_model("core", "WorkCalendar"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
