#!/usr/bin/env python3
"""``make bench``: how fast the tracker serves, next to references measured in the same run.

Builds two data sets in ``build/bench/`` (the demo data, and a synthetic one: 200 countries,
40 provisions, 20 instruments and 15 milestones per country, with links), serves each with the
production gunicorn configuration (``gunicorn.conf.py``) on loopback, and prints side by side:

- each public page warm (req/s, p50, p99 with wrk) next to the same gunicorn serving the very same
  bytes (``scripts/bench_reference.py``), in rounds taken in turns, the median ratio and the
  ratio of each side's best round;
- each page cold: the first request after a change written through the write layer;
- a 304 (If-None-Match) next to an empty-body answer;
- bytes per page, and queries per page (in process) on both data sets;
- every CSV export with at least ``MIN_ROWS`` rows in the data set (``--exports`` picks some), at
  8,000 coverage rows (the 200-country set) and 1,000,000 (250 countries x 4,000 provisions, 4
  instruments and no milestones per country; ``--skip-large`` skips it): seconds and CPU seconds of
  the first download after a publication (by a worker that has served the export before), of a
  new worker's first and of a repeat download, the worker's peak RSS, next to the sqlite3 CLI
  writing the same rows as CSV (the tracker's file imported into a table of the same SQLite file)
  and Datasette streaming that table (installed into ``build/bench/datasette-venv`` on first use).
  Each export is timed in ``--csv-rounds`` rounds (tracker, CLI, Datasette, then the other way
  round), every tracker round on a new worker warmed by one request to an export that reads no
  replica (checklist.csv, or countries.csv for checklist.csv: imports and catalogues); the medians
  and the median ratios are printed. Publishing stores each country's rows of the exports written
  a country at a time (``publication_pieces``); they are deleted before the first round, whose new
  worker writes them from a replica of the publications and stores them: its download is printed
  apart, as what the first worker after a deployment pays once.

    make bench                       # everything (the exports at a million rows take minutes)
    BENCH_SECONDS=2 make bench       # shorter wrk runs
    .venv/bin/python scripts/bench.py --skip-csv --skip-demo
    .venv/bin/python scripts/bench.py --skip-pages --exports coverage,coverage_links --skip-large

Not a test: figures depend on the machine and on what else runs on it; ratios are taken within one
run so both sides see the same machine. Record a run in docs/benchmarks.md with the command.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_reference import name_for  # noqa: E402

OUT = ROOT / "build" / "bench"
PY = sys.executable
BIN = Path(PY).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- data sets ---------------------------------------------------------------------------------


def wait_until_answering(url: str, seconds: float, what: str) -> None:
    """Return once ``url`` answers (any HTTP status: the same-bytes reference has no /healthz);
    exit when it has not within ``seconds``."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start")


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def build_demo(path: Path) -> str:
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate(url)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "demo", "load"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return url


def build_synthetic(
    path: Path, countries: int, provisions: int, instruments: int, milestones: int
) -> str:
    """A migrated SQLite file with bulk-inserted rows: every country judges every other provision
    (the rest stay not assessed), each judged provision links one or two instruments."""
    import sqlalchemy as sa

    from tracker.codes import (
        Extent,
        GemIndicator,
        Implementation,
        InstrumentStatus,
        InstrumentType,
        Level,
        MilestoneKind,
        MilestoneStatus,
    )
    from tracker.models import (
        Category,
        CategoryName,
        ChecklistVersion,
        Country,
        Coverage,
        CoverageLink,
        Instrument,
        Milestone,
        Provision,
        ProvisionText,
    )

    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate(url)
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:

        def insert(model, rows):
            if rows:
                conn.execute(sa.insert(model.__table__), rows)

        insert(ChecklistVersion, [{"id": 1, "code": "B.1", "title": "Bench", "is_current": True}])
        cats = 8
        insert(
            Category,
            [
                {"id": c, "checklist_id": 1, "code": f"C{c}", "position": c}
                for c in range(1, cats + 1)
            ],
        )
        insert(
            CategoryName,
            [
                {"category_id": c, "locale": "en", "name": f"Category {c}"}
                for c in range(1, cats + 1)
            ],
        )
        gems = list(GemIndicator)
        insert(
            Provision,
            [
                {
                    "id": p,
                    "checklist_id": 1,
                    "category_id": 1 + (p - 1) % cats,
                    "code": f"P-{p:04d}",
                    "level": Level.CORE if p % 2 else Level.RECOMMENDED,
                    "position": p,
                    "gem_indicator": gems[p - 1] if p <= len(gems) else None,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in range(1, provisions + 1)
            ],
        )
        insert(
            ProvisionText,
            [
                {
                    "provision_id": p,
                    "locale": "en",
                    "title": f"Provision {p} on the collection and treatment of e-waste",
                    "guidance": "Fully addressed when the law sets a binding duty with a deadline.",
                }
                for p in range(1, provisions + 1)
            ],
        )
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        statuses = [
            InstrumentStatus.IN_FORCE,
            InstrumentStatus.DRAFTING,
            InstrumentStatus.ADOPTED,
            InstrumentStatus.PUBLIC_CONSULTATION,
        ]
        coverage_id = link_id = 0
        for c in range(countries):
            cid = c + 1
            pair = letters[c // 26 % 26] + letters[c % 26]
            insert(
                Country,
                [
                    {
                        "id": cid,
                        "iso3": "Q" + pair,
                        "iso2": pair,
                        "languages": "en",
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            first = c * instruments + 1
            insert(
                Instrument,
                [
                    {
                        "id": first + k,
                        "country_id": cid,
                        "type": InstrumentType.REGULATION,
                        "title": f"Environmental Management (E-Waste) Regulation {k} of country {cid}",
                        "title_lang": "en",
                        "status": statuses[k % len(statuses)],
                        "year": 2000 + k,
                        "summary": "A synthetic instrument for the benchmark.",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for k in range(instruments)
                ],
            )
            cov_rows, link_rows = [], []
            for p in range(1, provisions + 1, 2):
                coverage_id += 1
                cov_rows.append(
                    {
                        "id": coverage_id,
                        "country_id": cid,
                        "provision_id": p,
                        "applicable": True,
                        "implementation": list(Implementation)[p % 4],
                        "evidence": "Section 12 sets the duty; no regulation makes it operational yet.",
                        "is_example": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                # one or two links, in turns over the judged provisions (p itself is always odd)
                for k in range(1 + (p // 2) % 2):
                    link_id += 1
                    link_rows.append(
                        {
                            "id": link_id,
                            "coverage_id": coverage_id,
                            "instrument_id": first + (p + k) % instruments,
                            "extent": Extent.FULL if (p + k) % 3 == 0 else Extent.PARTIAL,
                            "articles": f"s. {p}; s. {p + 1}",
                        }
                    )
            insert(Coverage, cov_rows)
            insert(CoverageLink, link_rows)
            insert(
                Milestone,
                [
                    {
                        "country_id": cid,
                        "kind": MilestoneKind.VALIDATION_WORKSHOP,
                        "title": f"Validation workshop {m}",
                        "planned_on": date(2024, 1 + m % 12, 1 + m),
                        "status": MilestoneStatus.DONE if m % 2 else MilestoneStatus.PLANNED,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for m in range(milestones)
                ],
            )
    publish_all(url)
    engine.dispose()
    return url


def _app(url: str, cache: bool = True):
    from tracker import create_app

    config = {"SECRET_KEY": "bench", "DATABASE_URL": url}
    if not cache:
        config["PAGE_CACHE_ENTRIES"] = 0
    return create_app(config)


def publish_all(url: str) -> None:
    """Publish every country once, where this version of the tracker has publications."""
    try:
        from tracker.write import review  # noqa: F401
    except ImportError:
        return
    subprocess.run([PY, __file__, "--publish", url], cwd=ROOT, check=True, env={**os.environ})


def change(url: str, iso3: str) -> None:
    """One change through the write layer (a publication where the tracker has them), in another
    process, as another instance would make it."""
    subprocess.run([PY, __file__, "--change", url, iso3], cwd=ROOT, check=True)


def _do_change(url: str, iso3: str) -> None:
    from sqlmodel import Session, select

    from tracker import write
    from tracker.models import Country
    from tracker.write import changes

    try:
        from tracker.write import review
    except ImportError:  # a version of the tracker before publications
        review = None
    app = _app(url)
    actor = changes.Actor(email="benchmark")
    with Session(app.extensions["engine"]) as dbs:
        country = dbs.exec(select(Country).where(Country.iso3 == iso3)).one()
        with write.transaction(dbs):
            languages = "en fr" if country.languages == "en" else "en"
            changes.update(
                dbs, country, actor, {"languages": languages}, expected_version=country.version
            )
        if review is not None:
            with write.transaction(dbs):
                review.publish(dbs, country, actor, "Benchmark: one more publication")
    app.extensions["engine"].dispose()


# --- servers -----------------------------------------------------------------------------------


class Server:
    def __init__(self, target: str, env: dict, name: str):
        self.port = free_port()
        self.pidfile = OUT / f"{name}.pid"
        self.pidfile.unlink(missing_ok=True)
        self.log = open(OUT / f"{name}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "/dev/null",
                "--pid",
                str(self.pidfile),
                "--pythonpath",
                str(ROOT / "scripts"),
                target,
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        wait_until_answering(self.base + "/healthz", 30, f"{name}; see {OUT / (name + '.log')}")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def get(url: str, headers: dict | None = None, timeout: int = 60) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, seconds: int, headers: dict | None = None) -> dict:
    args = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    for key, value in (headers or {}).items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run(
        ["timeout", str(seconds + 20), *args, url], capture_output=True, text=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "bad": int(bad.group(1)) if bad else 0}


ROUNDS = 4


def ab(app_url: str, ref_url: str, seconds: int, headers: dict | None = None) -> dict:
    """Rounds of the tracker and the reference, back to back, in turns (A B, B A, A B, B A: a
    drift of the machine's load weighs on both sides alike); each round gives a ratio, and the
    median ratio is the result (a shared machine's bursts spoil one round, not the figure).
    req/s and latencies are the medians of each side.

    Also the ratio of each side's best round (its highest req/s): a burst of other work only
    ever slows a round down, so each side's best round is the nearest to its speed on a quiet
    machine. When bursts spoil two rounds of four (as on a shared machine they do), the median
    ratio falls with them and the best rounds' ratio does not; when the two agree, the machine
    was quiet."""
    runs = {"app": [], "ref": []}
    ratios = []
    wrk(app_url, 1, headers)  # warm up: every worker and thread has served the page once
    wrk(ref_url, 1)
    for turn in range(ROUNDS):
        if turn % 2:
            ref = wrk(ref_url, seconds)
            app = wrk(app_url, seconds, headers)
        else:
            app = wrk(app_url, seconds, headers)
            ref = wrk(ref_url, seconds)
        runs["app"].append(app)
        runs["ref"].append(ref)
        ratios.append(app["rps"] / ref["rps"])
    app = {k: statistics.median(r[k] for r in runs["app"]) for k in ("rps", "p50", "p99", "bad")}
    ref = {k: statistics.median(r[k] for r in runs["ref"]) for k in ("rps", "p50", "p99")}
    return {
        "app": app, "ref": ref, "ratio": statistics.median(ratios),
        "spread": (min(ratios), max(ratios)),
        "best": max(r["rps"] for r in runs["app"]) / max(r["rps"] for r in runs["ref"]),
    }  # fmt: skip


# --- measurements ------------------------------------------------------------------------------


def pages_for(url: str) -> dict[str, str]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        iso3 = conn.execute(sa.text("SELECT iso3 FROM country ORDER BY id LIMIT 1")).scalar()
        code = conn.execute(
            sa.text(
                "SELECT p.code FROM provision p JOIN checklist_version v ON v.id = p.checklist_id "
                "WHERE v.is_current ORDER BY p.position LIMIT 1"
            )
        ).scalar()
    engine.dispose()
    return {
        "overview": "/en/",
        "country": f"/en/countries/{iso3}",
        "checklist": "/en/checklist",
        "provision": f"/en/checklist/{code}",
    }


def queries_per_page(url: str, paths: dict[str, str]) -> dict[str, int]:
    import sqlalchemy as sa

    app = _app(url, cache=False)  # the queries of a render (a kept page costs one read)
    engine = app.extensions["engine"]
    counts = {}
    client = app.test_client()
    for name, path in paths.items():
        client.get(path)  # warm whatever is cached per process
        seen: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany, seen=seen):
            seen.append(statement)

        sa.event.listen(engine, "before_cursor_execute", listener)
        client.get(path)
        sa.event.remove(engine, "before_cursor_execute", listener)
        counts[name] = len(seen)
    engine.dispose()
    return counts


def measure_pages(label: str, url: str, seconds: int) -> list[dict]:
    paths = pages_for(url)
    bytes_dir = OUT / f"bytes-{label}"
    shutil.rmtree(bytes_dir, ignore_errors=True)
    bytes_dir.mkdir(parents=True)
    app = Server("wsgi:app", {"DATABASE_URL": url, "SECRET_KEY": "bench-only"}, f"app-{label}")
    results = []
    try:
        bodies = {}
        for name, path in paths.items():
            status, headers, body = get(app.base + path)
            if status != 200:
                raise SystemExit(f"{path}: {status}")
            (bytes_dir / name_for(path)).write_bytes(body)
            bodies[name] = (headers, body)
        ref = Server("bench_reference:app", {"BENCH_BYTES_DIR": str(bytes_dir)}, f"ref-{label}")
        try:
            for name, path in paths.items():
                headers, body = bodies[name]
                warm = ab(app.base + path, ref.base + path, seconds)
                cold = []
                iso3 = path.rsplit("/", 1)[-1] if name == "country" else None
                for _ in range(3):
                    change(url, iso3 or pages_for(url)["country"].rsplit("/", 1)[-1])
                    t0 = time.perf_counter()
                    get(app.base + path)
                    cold.append((time.perf_counter() - t0) * 1000)
                results.append(
                    {
                        "page": name,
                        "path": path,
                        "bytes": len(body),
                        "warm": warm,
                        "cold_ms": statistics.median(cold),
                    }
                )
            # a 304 against an empty body
            path = paths["country"]
            status, headers, _ = get(app.base + path)
            etag = headers.get("ETag")
            if etag:
                not_modified = ab(
                    app.base + path, ref.base + "/__empty", seconds, {"If-None-Match": etag}
                )
                results.append(
                    {
                        "page": "304 country",
                        "path": path,
                        "bytes": 0,
                        "warm": not_modified,
                        "cold_ms": None,
                    }
                )
        finally:
            ref.stop()
    finally:
        app.stop()
    queries = queries_per_page(url, paths)
    for row in results:
        row["queries"] = queries.get(row["page"])
    return results


def print_pages(label: str, results: list[dict]) -> None:
    print(f"\n## Public pages, {label}\n")
    print(
        "| page | bytes | queries to render | req/s | p50 ms | p99 ms | same bytes req/s | ratio "
        "| ratios, lowest and highest round | best rounds' ratio | cold ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in results:
        w = r["warm"]
        cold = f"{r['cold_ms']:.0f}" if r["cold_ms"] is not None else "–"
        print(
            f"| {r['page']} | {r['bytes']:,} | {r['queries'] if r['queries'] is not None else '–'} "
            f"| {w['app']['rps']:,.0f} | {w['app']['p50']:.1f} | {w['app']['p99']:.1f} "
            f"| {w['ref']['rps']:,.0f} | **{w['ratio']:.3f}** "
            f"| {w['spread'][0]:.2f}–{w['spread'][1]:.2f} | {w['best']:.3f} | {cold} |"
        )


def datasette_bin() -> Path:
    venv = OUT / "datasette-venv"
    exe = venv / "bin" / "datasette"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "datasette"],
            check=True,
            stderr=subprocess.DEVNULL,
        )
    return exe


def _peak_rss(pids: list[int], stop: threading.Event, out: list[float]) -> None:
    peak = 0.0
    while not stop.is_set():
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except OSError:
                pass
        stop.wait(0.05)
    out.append(peak)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def timed_download(url: str, pids: list[int], keep: Path | None = None) -> tuple[float, int, float]:
    """Seconds, bytes and the processes' peak RSS (MB) of one download; ``keep`` writes the body
    to that file as it arrives (the client's work, not the server's)."""
    stop = threading.Event()
    peak: list[float] = []
    watcher = threading.Thread(target=_peak_rss, args=(pids, stop, peak))
    watcher.start()
    sink = open(keep, "wb") if keep else None  # noqa: SIM115
    t0 = time.perf_counter()
    size = 0
    try:
        with urllib.request.urlopen(url, timeout=1800) as response:
            if response.status != 200:
                raise SystemExit(f"{url}: {response.status}")
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if sink:
                    sink.write(chunk)
    finally:
        elapsed = time.perf_counter() - t0
        if sink:
            sink.close()
        stop.set()
        watcher.join()
    return elapsed, size, peak[0]


def _watch(pids: list[int]) -> tuple[threading.Event, list[float], threading.Thread]:
    stop = threading.Event()
    peak: list[float] = []
    watcher = threading.Thread(target=_peak_rss, args=(pids, stop, peak))
    watcher.start()
    return stop, peak, watcher


# Every CSV export (tracker/web/exports.py), and the rows its data set holds for it, counted in the
# source tables before anything is timed: an export of fewer than MIN_ROWS rows is named, not timed.
EXPORTS = {
    "countries": "SELECT count(*) FROM country",
    "checklist": "SELECT count(*) FROM provision",
    "instruments": "SELECT count(*) FROM instrument",
    "coverage": "SELECT (SELECT count(*) FROM country) * (SELECT count(*) FROM provision)",
    "milestones": "SELECT count(*) FROM milestone",
    "monitor_values": "SELECT count(*) FROM monitor_value",
    "coverage_links": "SELECT count(*) FROM coverage_link",
    "text_translations": "SELECT count(*) FROM text_translation",
}
MIN_ROWS = 100
CSV_ROUNDS = 3


def sqlite(path: Path, sql: str) -> str:
    return subprocess.run(
        ["sqlite3", str(path), sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def _table(name: str) -> str:
    return f"bench_{name}_csv"


def _tracker_round(label: str, url: str, name: str, keep: Path | None, iso3: str) -> dict:
    """One export from a fresh worker: started, warmed by one request to an export that reads no
    replica (imports, catalogues; timed as ``warm_s``), then three downloads: the first in the new
    worker (which copies the rows stored with the publications, and builds a replica only for
    what nobody stored), a repeat (sent from memory where the file is kept), and the first after a publication
    of country ``iso3`` made in another process (as another instance would make it: the worker has
    served this export before, but nothing it kept can answer; what a reader meets after every
    publication)."""
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-only", "WEB_CONCURRENCY": "1"}
    app = Server("wsgi:app", env, f"csv-{label}")
    try:
        warm = "countries" if name == "checklist" else "checklist"
        started = time.perf_counter()
        status, _headers, _body = get(f"{app.base}/exports/{warm}.csv", timeout=900)
        warmed = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"{warm}.csv: {status}")
        pids = app.worker_pids()
        export = f"{app.base}/exports/{name}.csv"

        def download(sink: Path | None = None) -> tuple[float, float, int, float]:
            cpu = cpu_seconds(pids)
            elapsed, size, rss = timed_download(export, pids, sink)
            return elapsed, cpu_seconds(pids) - cpu, size, rss

        first, cpu, size, rss = download()
        repeat, repeat_cpu, repeat_size, repeat_rss = download(keep)
        change(url, iso3)
        after, after_cpu, after_size, after_rss = download()
        # the floor: one request that reads nothing (/healthz), from the same client, same worker
        floor = statistics.median(timed_download(f"{app.base}/healthz", pids)[0] for _ in range(5))
    finally:
        app.stop()
    return {"s": first, "cpu": cpu, "rss": max(rss, repeat_rss, after_rss), "bytes": size,
            "repeat_s": repeat, "repeat_cpu": repeat_cpu, "repeat_bytes": repeat_size,
            "after_s": after, "after_cpu": after_cpu, "after_bytes": after_size,
            "warm_s": warmed, "floor_s": floor}  # fmt: skip


def _cli_round(path: Path, name: str) -> dict:
    """The sqlite3 CLI writing the imported table as CSV (to /dev/null)."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        proc = subprocess.Popen(
            ["sqlite3", "-csv", "-header", str(path), f"SELECT * FROM {_table(name)}"],
            stdout=sink,
        )
        stop, peak, watcher = _watch([proc.pid])
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = status
        stop.set()
        watcher.join()
    return {"s": time.perf_counter() - t0, "cpu": usage.ru_utime + usage.ru_stime, "rss": peak[0]}


class Datasette:
    """Datasette serving the data set's file (with the imported tables), on loopback."""

    def __init__(self, label: str, path: Path):
        self.path = path
        port = free_port()
        self.log = open(OUT / f"datasette-{label}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(datasette_bin()), "serve", str(path), "--host", "127.0.0.1", "--port", str(port),
             "--setting", "sql_time_limit_ms", "1800000"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{port}"
        wait_until_answering(self.base + "/-/versions.json", 60, f"Datasette; see {self.log.name}")

    def round(self, name: str) -> dict:
        pids = [self.proc.pid]
        cpu = cpu_seconds(pids)
        url = f"{self.base}/{self.path.stem}/{_table(name)}.csv?_stream=on&_size=max"
        elapsed, size, rss = timed_download(url, pids)
        return {"s": elapsed, "cpu": cpu_seconds(pids) - cpu, "rss": rss, "bytes": size}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)
        self.log.close()


def measure_csv(label: str, path: Path, url: str, names: list[str], rounds: int) -> dict:
    """Each export of ``names`` from the tracker, and the same rows (its file imported into a
    table of the same SQLite file) from the sqlite3 CLI and Datasette, in ``rounds`` rounds taken
    in turns (tracker, CLI, Datasette; then Datasette, CLI, tracker...): each round gives the
    ratios, and the medians are printed. Every tracker round starts a new worker, so no export
    meets a worker that an earlier export (or round) grew or filled with its kept files."""
    counts = {name: int(sqlite(path, EXPORTS[name])) for name in names}
    # published again in each tracker round
    iso3 = sqlite(path, "SELECT iso3 FROM country ORDER BY id LIMIT 1")
    measured = [name for name in names if counts[name] >= MIN_ROWS]
    runs: dict[str, dict[str, list[dict]]] = {n: {"app": [], "cli": [], "ds": []} for n in measured}
    rows: dict[str, int] = {}
    try:
        tables = sqlite(path, ".tables").split()
        stored, shared = "publication_pieces" in tables, "shared_pieces" in tables
        for name in measured:  # round 0's tracker download gives the file to import
            copy = OUT / f"{name}-{label}.csv"
            if stored:  # the first worker after a deployment: none of the rows stored is on its basis
                sqlite(path, f"DELETE FROM publication_pieces WHERE export = '{name}'")
            if shared:  # checklist.csv's rows, and the project's timeline of milestones.csv
                sqlite(path, f"DELETE FROM shared_pieces WHERE export = '{name}'")
            runs[name]["app"].append(_tracker_round(label, url, name, copy, iso3))
            sqlite(path, f"DROP TABLE IF EXISTS {_table(name)}")
            sqlite(path, f".import --csv {copy} {_table(name)}")
            copy.unlink()
            rows[name] = int(sqlite(path, f"SELECT count(*) FROM {_table(name)}"))
            runs[name]["cli"].append(_cli_round(path, name))
        ds = Datasette(label, path)
        try:
            for name in measured:
                runs[name]["ds"].append(ds.round(name))
            for turn in range(1, rounds):
                for name in measured:
                    if turn % 2:
                        runs[name]["ds"].append(ds.round(name))
                        runs[name]["cli"].append(_cli_round(path, name))
                        runs[name]["app"].append(_tracker_round(label, url, name, None, iso3))
                    else:
                        runs[name]["app"].append(_tracker_round(label, url, name, None, iso3))
                        runs[name]["cli"].append(_cli_round(path, name))
                        runs[name]["ds"].append(ds.round(name))
        finally:
            ds.stop()
    finally:
        for name in measured:
            sqlite(path, f"DROP TABLE IF EXISTS {_table(name)}")
    return {"counts": counts, "rows": rows, "runs": runs}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _ratios(runs: dict[str, list[dict]], side: str, key: str, app_key: str) -> float:
    """The median over rounds of the reference's figure over the tracker's (higher is faster)."""
    return statistics.median(
        ref[key] / max(app[app_key], 0.001)
        for app, ref in zip(runs["app"], runs[side], strict=True)
    )


def print_csv(label: str, result: dict, rounds: int) -> None:
    counts, rows, runs = result["counts"], result["rows"], result["runs"]
    print(f"\n## CSV exports, {label} (medians of {rounds} rounds)\n")
    print(
        "Seconds (CPU seconds). *After a publication*: the first download of the export after one "
        "country is published again in another process, by a worker that has served it before "
        "(what a reader meets after every publication); *new worker*: the first request for it in "
        "a new worker; *repeat*: the next one, sent from memory where the file is kept.\n"
    )
    print(
        "| export | rows | MB | after a publication | new worker | repeat | peak RSS MB "
        "| sqlite3 CLI | Datasette | of the CLI: after a publication (CPU) | new worker "
        "| × Datasette: after a publication (CPU) | new worker |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def both(runs: list[dict], prefix: str = "") -> str:
        return f"{_median(runs, prefix + 's'):.3f} ({_median(runs, prefix + 'cpu'):.3f})"

    for name, r in runs.items():
        app, cli, ds = r["app"], r["cli"], r["ds"]
        print(
            f"| {name}.csv | {rows[name]:,} | {app[0]['bytes'] / 1e6:.1f} "
            f"| {both(app, 'after_')} | {both(app)} | {both(app, 'repeat_')} "
            f"| {max(a['rss'] for a in app):.0f} | {both(cli)} | {both(ds)} "
            f"| **{_ratios(r, 'cli', 's', 'after_s'):.2f}** "
            f"({_ratios(r, 'cli', 'cpu', 'after_cpu'):.2f}) "
            f"| {_ratios(r, 'cli', 's', 's'):.2f} ({_ratios(r, 'cli', 'cpu', 'cpu'):.2f}) "
            f"| **{_ratios(r, 'ds', 's', 'after_s'):.1f}×** "
            f"({_ratios(r, 'ds', 'cpu', 'after_cpu'):.1f}×) "
            f"| {_ratios(r, 'ds', 's', 's'):.1f}× ({_ratios(r, 'ds', 'cpu', 'cpu'):.1f}×) |"
        )
    print("\nRepeat download (the same worker's second request) against the same references:")
    for name, r in runs.items():
        print(
            f"- {name}.csv: {_ratios(r, 'cli', 's', 'repeat_s'):.2f} of the CLI "
            f"(CPU {_ratios(r, 'cli', 'cpu', 'repeat_cpu'):.2f}), "
            f"{_ratios(r, 'ds', 's', 'repeat_s'):.1f}× Datasette "
            f"(CPU {_ratios(r, 'ds', 'cpu', 'repeat_cpu'):.1f}×)"
        )
    print("\nThe first round's new worker, before any worker stored rows with the publications "
          "(the first download after a deployment; in the medians above as one round of "
          f"{len(next(iter(runs.values()))['app']) if runs else 0}):")
    for name, r in runs.items():
        first = r["app"][0]
        print(f"- {name}.csv: {first['s']:.3f} s (CPU {first['cpu']:.3f}), peak RSS "
              f"{first['rss']:.0f} MB (the round's three downloads)")
    warm = [a["warm_s"] for r in runs.values() for a in r["app"] if "warm_s" in a]
    if warm:
        print(
            f"\nA new worker's first request (checklist.csv, or countries.csv: no replica): "
            f"median {statistics.median(warm):.2f} s, "
            f"{min(warm):.2f} to {max(warm):.2f} s over {len(warm)} workers."
        )
    floors = [a["floor_s"] for r in runs.values() for a in r["app"] if "floor_s" in a]
    if floors:
        floor = statistics.median(floors)
        print(
            f"\nThe floor of one download from this client: /healthz (no query, 32 bytes) in "
            f"the same workers, median {floor * 1000:.1f} ms ({min(floors) * 1000:.1f} to "
            f"{max(floors) * 1000:.1f}); 5× Datasette is under that floor for an export whose "
            f"Datasette download takes less than {5 * floor * 1000:.0f} ms."
        )
    odd = []
    for name, r in runs.items():
        # a round's first and repeat download read the same publications (the publication between
        # rounds may change a country's row, as the change it publishes toggles its languages)
        if any(a["bytes"] != a["repeat_bytes"] for a in r["app"]):
            sizes = sorted({(a["bytes"], a["repeat_bytes"]) for a in r["app"]})
            odd.append(f"{name}.csv: a first and a repeat download differ in size: {sizes}")
        if rows.get(name) != counts[name] and name != "checklist":
            odd.append(f"{name}.csv has {rows[name]:,} rows, its tables {counts[name]:,}")
    skipped = [f"{n}.csv ({c} rows)" for n, c in counts.items() if c < MIN_ROWS]
    if skipped:
        print(f"\nNot timed, fewer than {MIN_ROWS} rows in this data set: {', '.join(skipped)}.")
    for line in odd:
        print(f"\nNote: {line}.")


def main() -> None:
    global ROUNDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "4")))
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS,
        help="rounds of tracker and reference per page; the median ratio is given",
    )  # fmt: skip
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument(
        "--large",
        nargs=2,
        type=int,
        default=[250, 4000],
        metavar=("COUNTRIES", "PROVISIONS"),
        help="the large coverage.csv data set (default 250 x 4000 = 1,000,000 rows)",
    )
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument(
        "--exports", default=",".join(EXPORTS), metavar="NAME,...",
        help="the CSV exports to measure (default: every one with at least "
        f"{MIN_ROWS} rows in the data set)",
    )  # fmt: skip
    parser.add_argument(
        "--csv-rounds", type=int, default=CSV_ROUNDS,
        help="rounds of tracker, sqlite3 CLI and Datasette per export; medians are given",
    )  # fmt: skip
    parser.add_argument("--skip-large", action="store_true", help="no 1,000,000-row data set")
    parser.add_argument("--skip-small", action="store_true", help="no 8,000-row data set")
    parser.add_argument("--change", nargs=2, metavar=("URL", "ISO3"), help=argparse.SUPPRESS)
    parser.add_argument("--publish", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    ROUNDS = args.rounds
    if args.change:
        _do_change(*args.change)
        return
    if args.publish:
        _do_publish(args.publish)
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y --no-install-recommends wrk")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / ".gitignore").write_text("*\n")
    print(
        f"# make bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"wrk -t2 -c8 -d{args.seconds}s x {ROUNDS} rounds, gunicorn.conf.py, {load_average()}"
    )
    if not args.skip_pages:
        if not args.skip_demo:
            demo = build_demo(OUT / "demo.db")
            print_pages("demo data", measure_pages("demo", demo, args.seconds))
        t0 = time.perf_counter()
        big = build_synthetic(OUT / "big.db", args.countries, 40, 20, 15)
        print(f"\n(built {args.countries} countries in {time.perf_counter() - t0:.0f} s)")
        print_pages(f"{args.countries} countries", measure_pages("big", big, args.seconds))
    if not args.skip_csv:
        names = [n.strip().removesuffix(".csv") for n in args.exports.split(",") if n.strip()]
        unknown = sorted(set(names) - set(EXPORTS))
        if unknown:
            raise SystemExit(f"unknown exports: {', '.join(unknown)} (known: {', '.join(EXPORTS)})")
        rounds = args.csv_rounds
        small = OUT / "big.db"
        if not args.skip_small:
            if not small.exists() or args.skip_pages:
                build_synthetic(small, args.countries, 40, 20, 15)
            print_csv(
                f"{args.countries * 40:,} coverage rows ({args.countries} countries × 40 provisions)",
                measure_csv("8k", small, f"sqlite:///{small}", names, rounds),
                rounds,
            )
            print(f"\n({datetime.now(UTC):%H:%M} UTC, {load_average()})")
        if not args.skip_large:
            t0 = time.perf_counter()
            large = OUT / "million.db"
            countries, provisions = args.large
            build_synthetic(large, countries, provisions, 4, 0)
            print(
                f"\n(built {countries * provisions:,} coverage rows in {time.perf_counter() - t0:.0f} s)"
            )
            print_csv(
                f"{countries * provisions:,} coverage rows ({countries} × {provisions:,})",
                measure_csv("1m", large, f"sqlite:///{large}", names, rounds),
                rounds,
            )
    print(f"\n(finished {datetime.now(UTC):%H:%M} UTC, {load_average()})")


def load_average() -> str:
    """The machine's load average (1, 5 and 15 minutes): a shared machine's figures need it."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f}"


def _do_publish(url: str) -> None:
    """Publish every country's working copy, as an administrator would (the public side serves
    publications only, where the tracker has them)."""
    from sqlmodel import Session, select

    from tracker import write
    from tracker.models import Country
    from tracker.write import changes, review

    app = _app(url)
    with Session(app.extensions["engine"]) as dbs:
        with write.transaction(dbs):
            for country in dbs.exec(select(Country).order_by(Country.id)).all():
                review.publish(dbs, country, changes.Actor(email="benchmark"), "Benchmark")
    app.extensions["engine"].dispose()


if __name__ == "__main__":
    main()
