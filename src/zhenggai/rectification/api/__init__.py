"""API routes of the rectification app: tasks and their transitions (`tasks`), dispatch rounds and
progress reports (`rounds`), supervision notices and the warning board (`supervision`), acceptance
details, objections and look-backs (`acceptance`). Wired into the NinjaAPI by `zhenggai.api.urls`."""

from ninja import Router

from . import acceptance, rounds, supervision, tasks

router = Router()
router.add_router("", tasks.router)
router.add_router("", rounds.router)
router.add_router("", supervision.router)
router.add_router("", acceptance.router)
