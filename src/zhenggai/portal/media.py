"""The plan's QR code (SVG, PNG, printable A4 poster) and the public before/after photos.

The QR code encodes the absolute URL of the plan's portal page (`caching.absolute_url`: the configured
ZHENGGAI_SITE_URL, else the request's host) — what the plan's press release means by "scan the QR code
to view the plan". Photos are re-encoded as JPEG without their metadata (no EXIF: no GPS position, no
camera serial) and served with `X-Content-Type-Options: nosniff` under a neutral file name.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control

from . import selectors
from .caching import MAX_AGE, absolute_url, public_page, render_page

PHOTO_MAX_SIDE = 1600
PHOTO_SECONDS = 7 * 24 * 3600


def plan_url(request: HttpRequest, pk: int) -> str:
    return absolute_url(request, reverse("portal:plan_detail", args=[pk]))


def _qr(request: HttpRequest, pk: int) -> tuple[Any, str]:
    plan = selectors.public_plan(pk)
    if plan is None:
        raise Http404
    url = plan_url(request, pk)
    return segno.make(url, error="m", micro=False), url


@public_page()
def plan_qr_svg(request: HttpRequest, pk: int) -> HttpResponse:
    code, url = _qr(request, pk)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=8, border=4, xmldecl=True, title=url, svgclass=None, lineclass=None)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="plan-{pk}-qr.svg"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@public_page()
def plan_qr_png(request: HttpRequest, pk: int) -> HttpResponse:
    code, _url = _qr(request, pk)
    out = io.BytesIO()
    code.save(out, kind="png", scale=10, border=4)
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="plan-{pk}-qr.png"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@public_page()
def plan_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable A4 page: the plan's title, the QR code and a short text."""
    plan = selectors.public_plan(pk)
    if plan is None:
        raise Http404
    return render_page("portal/plan_poster.html", {"plan": plan, "url": plan_url(request, pk),
                                                   "figures": selectors.task_figures(plan.tasks.all())})


# ----------------------------------------------------------------------------------------- photos


def _reencoded(evidence: Any, max_side: int) -> bytes:
    from PIL import Image, ImageOps

    with evidence.file.storage.open(evidence.file.name, "rb") as handle:
        image: Image.Image = Image.open(handle)
        image = ImageOps.exif_transpose(image) or image  # keep the orientation, drop the metadata
        image.thumbnail((max_side, max_side))
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def photo(request: HttpRequest, pk: int, size: str = "full") -> HttpResponseBase:
    """A public before/after photo (404 for anything else). ETag: the file's SHA-256 and the size."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    evidence = selectors.public_photo_queryset().filter(pk=pk).first()
    if evidence is None or not evidence.file:
        raise Http404
    etag = f'"{evidence.sha256[:32]}-{size}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is None:
        key = f"portal:photo:{evidence.sha256}:{size}"
        content = cache.get(key)
        if content is None:
            try:
                content = _reencoded(evidence, 480 if size == "thumb" else PHOTO_MAX_SIDE)
            except (OSError, ValueError) as exc:  # missing or unreadable file
                raise Http404 from exc
            cache.set(key, content, PHOTO_SECONDS)
        response: HttpResponseBase = HttpResponse(content, content_type="image/jpeg")
        response["Content-Disposition"] = f'inline; filename="photo-{evidence.pk}.jpg"'
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    else:
        response = not_modified
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def photo_thumb(request: HttpRequest, pk: int) -> HttpResponseBase:
    return photo(request, pk, size="thumb")
