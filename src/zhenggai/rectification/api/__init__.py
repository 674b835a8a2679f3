"""API routes of the rectification app: tasks and their transitions (`tasks`), dispatch rounds and
progress reports (`rounds`). Wired into the NinjaAPI by `zhenggai.api.urls`."""

from ninja import Router

from . import rounds, tasks

router = Router()
router.add_router("", tasks.router)
router.add_router("", rounds.router)
