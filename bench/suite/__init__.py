"""The benchmark suite behind `make bench` (see bench/run.py and docs/performance.md).

Modules: `database` prepares a PostgreSQL database at a scale, `pages` times pages and API calls in
process, `throughput` loads the portal under gunicorn, `jobs` times the import, the export, the daily
warning job and the bulletin, `report` prints and writes the table. Benchmarks print figures; they never
fail on a missed target.
"""
