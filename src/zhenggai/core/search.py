"""Chinese full-text search: jieba segments text into words stored beside the record; queries are
segmented the same way. PostgreSQL matches with full-text search (`simple` configuration on the
segmented text); SQLite requires every word of the query to occur."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TypeVar

from django.db import connection
from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)
_WORD = re.compile(r"\w", re.UNICODE)


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=65536)
def _block_words(block: str) -> tuple[str, ...]:
    return tuple(_jieba().lcut_for_search(block))


def segment(text: str) -> list[str]:
    """Words of `text` (search-engine mode, so that 污水处理厂 also yields 污水 and 处理).

    jieba cuts each run of Chinese characters and letters (its `re_han_default` blocks) on its own, so
    cutting block by block gives the same words; the blocks' words are cached, because the texts of an
    import or a dataset repeat most of their phrases (unit names, standard measures)."""
    jieba = _jieba()
    words = [w for block in jieba.re_han_default.split(text or "") if block for w in _block_words(block)]
    return [w.strip().lower() for w in words if w.strip() and _WORD.search(w)]


def search_document(*parts: str) -> str:
    return " ".join(dict.fromkeys(segment(" ".join(p for p in parts if p))))


def query_words(query: str) -> list[str]:
    words = [w for w in _jieba().lcut((query or "").strip()) if w.strip() and _WORD.search(w)]
    return [w.strip().lower() for w in words]


def search_filter(queryset: QuerySet[M], query: str, field: str = "search_text") -> QuerySet[M]:
    words = query_words(query)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        search_query = SearchQuery(" & ".join(_pg_quote(w) for w in words), config="simple", search_type="raw")
        return queryset.annotate(_search=SearchVector(field, config="simple")).filter(_search=search_query)  # type: ignore[return-value]
    condition = Q()
    for word in words:
        condition &= Q(**{f"{field}__contains": word})
    return queryset.filter(condition)


def _pg_quote(word: str) -> str:
    return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"
