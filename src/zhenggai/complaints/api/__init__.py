"""API routes of complaint cases (/api/v1/complaints…): the cases and their handling (`cases`), batches,
statistics and publication (`batches`). Wired into the NinjaAPI by `zhenggai.api.urls`."""

from ninja import Router

from . import batches, cases, imports, lookback

router = Router()
router.add_router("", imports.router)  # first: /complaints/import before /complaints/{complaint_id}
router.add_router("", batches.router)  # first: /complaints/statistics before /complaints/{complaint_id}
router.add_router("", cases.router)
router.add_router("", lookback.router)
