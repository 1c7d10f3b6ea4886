#!/usr/bin/env python3
"""Cold public pages, before and after a change, in one run: the same database served by gunicorn
(``gunicorn.conf.py`` of each tree) from two or more code trees, interleaved.

For each page and round: one publication through the write layer in another process
(``scripts/bench.py --change``), then the first request to each server in turn (the order
alternates between rounds). Prints the median CPU time the serving workers used for it (steadier
than the wall time on a shared machine) and the wall time.

    git archive <commit> | tar -x -C /tmp/before       # the tree to compare with (no worktree)
    (cd /tmp/before && ../path/to/.venv/bin/flask --app wsgi translate compile)
    .venv/bin/python scripts/bench.py --skip-csv --skip-demo   # builds build/bench/big.db
    .venv/bin/python scripts/bench_cold.py build/bench/big.db before=/tmp/before after=.

Not a test; see docs/benchmarks.md. Rounds: ``--rounds`` (default 5).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench  # noqa: E402


def start(label: str, tree: Path, url: str) -> tuple[subprocess.Popen, str, list[int]]:
    port = bench.free_port()
    log = open(bench.OUT / f"cold-{label}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(bench.BIN / "gunicorn"), "--config", str(tree / "gunicorn.conf.py"), "--chdir",
         str(tree), "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "wsgi:app"],
        cwd=tree, env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-only"},
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            bench.get(base + "/healthz")
            break
        except OSError:
            time.sleep(0.2)
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
    return proc, base, [int(p) for p in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("trees", nargs="+", metavar="LABEL=TREE")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = f"sqlite:///{args.database.resolve()}"
    paths = bench.pages_for(url)
    bench.OUT.mkdir(parents=True, exist_ok=True)
    servers, procs = {}, []
    try:
        for item in args.trees:
            label, tree = item.split("=", 1)
            proc, base, workers = start(label, Path(tree).resolve(), url)
            procs.append(proc)
            servers[label] = (base, workers)
            for path in paths.values():  # every worker has served every page once or more
                for _ in range(4):
                    bench.get(base + path)
        iso3 = paths["country"].rsplit("/", 1)[-1]
        cpu = {(label, name): [] for label in servers for name in paths}
        wall = {(label, name): [] for label in servers for name in paths}
        for round_ in range(args.rounds):
            for name, path in paths.items():
                bench.change(url, iso3)
                order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
                for label in order:
                    base, workers = servers[label]
                    used = bench.cpu_seconds(workers)
                    t0 = time.perf_counter()
                    status, _headers, _body = bench.get(base + path)
                    wall[(label, name)].append((time.perf_counter() - t0) * 1000)
                    cpu[(label, name)].append((bench.cpu_seconds(workers) - used) * 1000)
                    if status != 200:
                        raise SystemExit(f"{label} {path}: {status}")
        print(f"# cold pages, {args.rounds} rounds, {bench.load_average()}\n")
        print("| page | " + " | ".join(f"{s} CPU ms | {s} wall ms" for s in servers) + " |")
        print("|---|" + "---:|---:|" * len(servers))
        for name in paths:
            cells = [f"{statistics.median(cpu[(s, name)]):.0f} | "
                     f"{statistics.median(wall[(s, name)]):.0f}" for s in servers]  # fmt: skip
            print(f"| {name} | " + " | ".join(cells) + " |")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)


if __name__ == "__main__":
    main()
