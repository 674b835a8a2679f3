"""`zhenggai generate-dataset`: reproducible synthetic data at district, city and province scale.

Everything is written through the real models' tables and constraints (in bulk: COPY on PostgreSQL,
batched inserts on SQLite) with the events the services would have written, hash-chained as
`core.events.event_record` chains them, so that `zhenggai verify-audit` passes on generated data. The
same scale, seed and reference date give the same data. See `generate.generate` for the stages and
`scales.SCALES` for the sizes.
"""

from __future__ import annotations

from .generate import DEFAULT_AS_OF, DatabaseNotEmpty, Summary, database_holds_data, generate, print_summary
from .scales import PUBLIC_SCALES, SCALES, Scale

__all__ = ["DEFAULT_AS_OF", "PUBLIC_SCALES", "SCALES", "DatabaseNotEmpty", "Scale", "Summary",
           "database_holds_data", "generate", "print_summary"]
