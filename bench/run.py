"""The benchmark suite: one table of server times, query counts, main-query times, portal throughput,
import, export, the daily warning job and the monthly bulletin, each against its target.

    make bench SCALE=district            # or: .venv/bin/python bench/run.py --scale district
    .venv/bin/python bench/run.py --scale province --from-database zg_dataset_big --reuse

The dataset is generated into its own PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/zg_bench_<scale>), or copied from --from-database, or reused with
--reuse. Pages and throughput run on that database; the steps that write (import, export's plan, the
warning job, the bulletin) run on a scratch copy that is dropped at the end. The table is printed and
written as Markdown and JSON under --output (default var/bench/). Figures only: a missed target is
reported, never an error. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.suite import database  # noqa: E402
from bench.suite.report import Report, text_table, write  # noqa: E402

STEPS = ("pages", "throughput", "jobs")


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def run_suite(report: Report, *, env: dict[str, str], jobs_env: dict[str, str] | None, work: Path, rounds: int,
              steps: Iterable[str] = STEPS, users: int = 50, seconds: int = 20, import_rows: int = 10_000,
              export_rows: int = 100_000, only: str = "", log: Callable[[str], None] = print) -> Report:
    """Run the steps on the database Django is connected to (pages, in this process; throughput, in
    gunicorn with `env`) and on the one in `jobs_env` (the writing steps, in child processes; the same
    database when `jobs_env` is None). Django must be set up."""
    from django.db import connections

    steps = set(steps)
    portal_path = ""
    if "pages" in steps or "throughput" in steps:
        from bench.suite.pages import choose_subjects, run_pages

        subjects = choose_subjects()
        portal_path = f"/portal/plans/{subjects.public_plan.pk}/"
    if "pages" in steps:
        log(f"pages ({rounds} rounds each):")
        run_pages(report, rounds=rounds, only=only, log=log)
    connections.close_all()
    if "throughput" in steps:
        from bench.suite.throughput import run_throughput

        log(f"throughput ({users} clients, {seconds} s per path):")
        run_throughput(report, env, work, portal_path=portal_path, users=users, seconds=seconds, log=log)
    if "jobs" in steps:
        from bench.suite.jobs import run_jobs

        log("jobs:")
        run_jobs(report, jobs_env or env, work, import_rows=import_rows, export_rows=export_rows, log=log)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="district", help="district, city, province (generate-dataset) or demo")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL database of the benchmark (default: DATABASE_URL, else zg_bench_<scale>); "
                             "a database that holds data is only replaced with --replace")
    parser.add_argument("--replace", action="store_true", help="replace the database even when it holds data")
    parser.add_argument("--reuse", action="store_true", help="keep the database when it already holds tasks")
    parser.add_argument("--from-database", default="", help="copy this database instead of generating one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per page (after warm-up)")
    parser.add_argument("--steps", default=",".join(STEPS), help="which steps: pages,throughput,jobs")
    parser.add_argument("--users", type=int, default=50, help="concurrent clients of the throughput step")
    parser.add_argument("--seconds", type=int, default=20, help="seconds of load per path")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--only", default="", help="pages step: only the pages whose name contains this text")
    parser.add_argument("--output", default="var/bench", help="folder for the Markdown and JSON table")
    args = parser.parse_args(argv)
    url = args.database_url if args.database_url.startswith(("postgres://", "postgresql://")) else (
        database.default_url(args.scale))
    owned = database.db_name(url).startswith("zg_bench")
    if not (args.reuse or args.replace or owned) and database.exists(url) and database.task_count(url) > 0:
        parser.error(f"{database.db_name(url)} holds data: add --reuse to benchmark it as it is, or --replace")
    output = Path(args.output).resolve()
    work = output / "work"
    work.mkdir(parents=True, exist_ok=True)
    env = database.environment()
    env["DATABASE_URL"] = url
    env.setdefault("ZHENGGAI_DATA_DIR", str(output / "data"))
    os.environ.update(env)

    started = time.perf_counter()
    log = print
    log(f"benchmark at scale {args.scale} on {database.db_name(url)}; {_load()}")
    report = Report(scale=args.scale, engine="postgresql")
    report.info.update(database.prepare(scale=args.scale, url=url, reuse=args.reuse,
                                        template=args.from_database or None, seed=args.seed, env=env, log=log))
    database.zhenggai(["collectstatic", "--noinput", "-v0"], env)
    report.info["database"] = database.db_name(url)
    report.info["tasks"] = f"{database.task_count(url):,}"
    report.info["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    report.info["load before"] = _load()
    report.info["date"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    report.info["postgresql"] = _server_version(url)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.config.settings")
    import django

    django.setup()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    scratch = database.with_name(url, database.db_name(url) + "_scratch")
    jobs_env = None
    try:
        if "jobs" in steps:
            # A copy for the steps that write; the copy needs the source without connections.
            from django.db import connections

            connections.close_all()
            database.create(scratch, template=database.db_name(url))
            jobs_env = {**env, "DATABASE_URL": scratch}
        run_suite(report, env=env, jobs_env=jobs_env, work=work, rounds=args.rounds, steps=steps, users=args.users,
                  seconds=args.seconds, import_rows=args.import_rows, export_rows=args.export_rows,
                  only=args.only, log=log)
    finally:
        if jobs_env is not None:
            database.drop(scratch)
    report.info["load after"] = _load()
    report.info["duration"] = f"{time.perf_counter() - started:.0f} s"
    log("")
    log(text_table(report))
    md, js = write(report, output)
    log(f"\nwritten to {md} and {js}")
    return 0


def _server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]


if __name__ == "__main__":
    sys.exit(main())
