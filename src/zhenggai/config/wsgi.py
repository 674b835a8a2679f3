import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.config.settings")
from zhenggai.config.settings import refuse_insecure_production  # noqa: E402

refuse_insecure_production()
application = get_wsgi_application()
