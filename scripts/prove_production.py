#!/usr/bin/env python3
"""Prove the tracker holds in production shape: two gunicorn instances on one PostgreSQL.

Starts a throwaway PostgreSQL on loopback (as scripts/test-postgres does; needs root), migrates it,
loads the demo data, creates staff accounts, and serves the app twice with gunicorn.conf.py on two
loopback ports. Then, through both instances at once:

  throttle     20 simultaneous wrong passwords for one account, 30 from one address: no more
               checks than the limits (5 and 20), the rest 429
  edits        several people save the same milestone from the same version: one lands, the
               others get 409; the title, version and history agree
  edit-delete  one person edits a milestone while another deletes it: one lands, the other gets
               409 or 404, never a 500
  checklist    the whole-checklist form saved at once, on the same row and on different rows:
               every row's change lands or is refused with 409, none lost or applied twice
  import       one previewed milestones file confirmed four times at once: applied once
  outage       PostgreSQL stopped while both serve: pages, exports, the API, saves and sign-in
               answer 503 with Retry-After; started again: 200 and 303 again, same processes
  soak         mixed reads and writes for --seconds on loopback: zero 5xx, zero errors in the
               logs, every landed write in the history

Every request goes to 127.0.0.1 only, every loop is bounded in count and time, and everything
started is stopped at the end. Prints one line per check and closes with "N passed, N failed";
exits 1 if any check failed.

    .venv/bin/python scripts/prove_production.py                  # everything, 15 s soak (CI)
    .venv/bin/python scripts/prove_production.py --only soak --seconds 60    # make soak
    .venv/bin/python scripts/prove_production.py --database sqlite # two instances, one SQLite file

With ``--database sqlite`` (the default when not root) the outage check is skipped.
"""

import argparse
import contextlib
import csv
import html.parser
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "proof password, long enough"
SECRET = "proof-secret-key-shared-by-both-instances"
HTTP_TIMEOUT = 60
CHECKS = ("throttle", "edits", "edit-delete", "checklist", "import", "outage", "soak")


# --- the database -------------------------------------------------------------------------------


class Postgres:
    """A private PostgreSQL cluster in a temporary directory, on 127.0.0.1 only."""

    def __init__(self, port: int):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="pgproof."))
        shutil.chown(self.dir, "postgres", "postgres")
        self.dir.chmod(0o700)
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        self.bin = bins[-1]
        self.url = f"postgresql+psycopg://app:app@127.0.0.1:{port}/appdb"

    def _run(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def create(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.dir / "data"),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.start()
        self._run(
            str(self.bin / "psql"),
            "-h",
            str(self.dir),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            "CREATE ROLE app LOGIN PASSWORD 'app'",
            "-c",
            "CREATE DATABASE appdb OWNER app",
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
            "-c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"
        )

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def install_postgres() -> None:
    if list(Path("/usr/lib/postgresql").glob("*/bin")):
        return
    print("Installing PostgreSQL from Debian's packages...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


# --- the app instances --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Instance:
    """One gunicorn serving wsgi:app with gunicorn.conf.py on a loopback port."""

    def __init__(self, name: str, env: dict, workdir: Path):
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = workdir / f"{name}.log"
        self.pidfile = workdir / f"{name}.pid"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--config",
                    "gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--pid",
                    str(self.pidfile),
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def boots(self) -> int:
        return self.log.read_text().count("Booting worker")

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", "replace")


def prepare_database(env: dict) -> None:
    flask = [str(BIN / "flask"), "--app", "wsgi"]

    def run(*args, stdin=None):
        done = subprocess.run(
            [*flask, *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            text=True,
            capture_output=True,
        )
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")

    run("translate", "compile")
    run("db", "upgrade")
    run("demo", "load")
    for email, role, country in STAFF:
        extra = ["--country", country] if country else []
        run(
            "users",
            "create",
            email,
            "--role",
            role,
            *extra,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )


STAFF = (
    ("admin@proof.example", "admin", None),
    ("editor.zmb@proof.example", "editor", "ZMB"),
)


# --- an HTTP client that fills in forms ---------------------------------------------------------


class FormParser(html.parser.HTMLParser):
    """Every form on a page: its action and the name/value pairs a browser would send."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select, self._select_first, self._select_chosen = a["name"], None, False
        elif tag == "option" and self._select:
            value = a.get("value")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._select_chosen:
                fields.append((self._select, value or ""))
                self._select_chosen = True
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            if not self._select_chosen:
                self._form["fields"].append((self._select, self._select_first or ""))
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            text = "".join(self._text)
            self._form["fields"].append(
                (self._textarea, text[1:] if text.startswith("\n") else text)
            )
            self._textarea = None


def forms_of(page: str) -> list[dict]:
    parser = FormParser()
    parser.feed(page)
    return parser.forms


class Client:
    """One browser: its own cookie jar (valid on both instances: they share SECRET_KEY)."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, timeout=HTTP_TIMEOUT, allow_redirects=False, **kw)

    def post(self, path: str, data, **kw) -> requests.Response:
        return self.http.post(
            self.base + path, data=data, timeout=HTTP_TIMEOUT, allow_redirects=False, **kw
        )

    def form(self, path: str, containing: str) -> list[tuple[str, str]]:
        """The fields of the form on ``path`` that has a field named ``containing``."""
        response = self.get(path)
        if response.status_code != 200:
            raise AssertionError(f"GET {path}: {response.status_code}")
        for form in forms_of(response.text):
            if any(name == containing for name, _ in form["fields"]):
                return form["fields"]
        raise AssertionError(f"GET {path}: no form with a field {containing!r}")

    def csrf(self, path: str = "/en/login") -> str:
        return dict(self.form(path, "csrf_token"))["csrf_token"]

    def sign_in(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.post(
            "/en/login", {"csrf_token": self.csrf(), "email": email, "password": password}
        )

    def on(self, base: str) -> "Client":
        """The same browser talking to another instance."""
        other = Client(base)
        other.http = self.http
        return other


def replace(fields, **values) -> list[tuple[str, str]]:
    out = [(name, values.get(name, value)) for name, value in fields]
    out += [(name, value) for name, value in values.items() if name not in dict(fields)]
    return out


def at_once(jobs: list, timeout: float = 120) -> list:
    """Run every job in its own thread, released at the same instant; their results in order."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=30)
        try:
            return job()
        except requests.RequestException as exc:
            return exc

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs, timeout=timeout))


def status(result) -> int | str:
    return result.status_code if isinstance(result, requests.Response) else type(result).__name__


# --- checks -------------------------------------------------------------------------------------


class Proof:
    def __init__(self, instances: list[Instance], db_url: str, pg: Postgres | None):
        self.instances = instances
        self.bases = [i.base for i in instances]
        self.engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
        self.pg = pg
        self.passed = self.failed = 0
        self.zmb = self.scalar("SELECT id FROM country WHERE iso3 = 'ZMB'")

    # helpers

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    def execute(self, sql: str, **params) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.text(sql), params)

    def report(self, name: str, ok: bool, detail: str) -> None:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)

    def staff(self, email: str, n: int) -> list[Client]:
        """``n`` signed-in browsers of one person, alternating between the instances."""
        clients = []
        for i in range(n):
            client = Client(self.bases[i % 2])
            response = client.sign_in(email)
            if response.status_code != 303:
                raise AssertionError(f"sign-in of {email}: {response.status_code}")
            clients.append(client)
        return clients

    def milestone(self, title: str) -> int:
        """A new ZMB milestone, created through the app; its id."""
        editor = self.staff("editor.zmb@proof.example", 1)[0]
        fields = editor.form("/en/manage/countries/ZMB/milestones/new", "title")
        fields = replace(
            fields,
            title=title,
            kind="validation_workshop",
            status="planned",
            planned_on="2026-06-01",
        )
        response = editor.post("/en/manage/countries/ZMB/milestones/new", fields)
        assert response.status_code == 303, response.status_code
        return self.scalar("SELECT max(id) FROM milestone WHERE title = :t", t=title)

    def history_count(self, entity: str, entity_id: int, action: str) -> int:
        return self.scalar(
            "SELECT count(*) FROM change_record WHERE entity = :e AND entity_id = :i "
            "AND action = :a",
            e=entity,
            i=entity_id,
            a=action,
        )

    def last_after(self, entity: str, entity_id: int) -> dict:
        value = self.scalar(
            "SELECT after FROM change_record WHERE entity = :e AND entity_id = :i "
            "ORDER BY id DESC LIMIT 1",
            e=entity,
            i=entity_id,
        )
        return json.loads(value) if isinstance(value, str) else (value or {})

    # throttle

    def check_throttle(self) -> None:
        for label, emails, limit in (
            ("one account", ["admin@proof.example"] * 20, 5),
            ("one address", [f"nobody{i}@proof.example" for i in range(30)], 20),
        ):
            self.execute("DELETE FROM login_attempt")
            clients = [Client(self.bases[i % 2]) for i in range(len(emails))]
            tokens = [c.csrf() for c in clients]
            results = at_once(
                [
                    (
                        lambda c=c, t=t, e=e: c.post(
                            "/en/login",
                            {"csrf_token": t, "email": e, "password": "a wrong password"},
                        )
                    )
                    for c, t, e in zip(clients, tokens, emails, strict=True)
                ]
            )
            counts = Counter(status(r) for r in results)
            checked = counts[422]
            # A refused attempt counts until it is answered, so a burst can be held back a little
            # early, never late; once it is over, what is left of the budget, then 429.
            later = []
            for i in range(limit - checked + 1):
                email = emails[0] if label == "one account" else f"later{i}@proof.example"
                client = clients[i % len(clients)]
                response = client.post(
                    "/en/login",
                    {
                        "csrf_token": tokens[i % len(tokens)],
                        "email": email,
                        "password": "a wrong password",
                    },
                )
                later.append(response.status_code)
            ok = (
                1 <= checked <= limit
                and counts[429] == len(emails) - checked
                and later == [422] * (limit - checked) + [429]
            )
            self.report(
                f"throttle, {len(emails)} at once for {label}",
                ok,
                f"{checked} checked (limit {limit}), {counts[429]} answered 429; afterwards "
                f"{later.count(422)} more checked, then 429"
                + ("" if ok else f"; all statuses {dict(counts)}, then {later}"),
            )
        self.execute("DELETE FROM login_attempt")

    # edits of the same record

    def check_edits(self, rounds: int = 6, people: int = 4) -> None:
        ms = self.milestone("Proof: concurrent edits")
        clients = self.staff("editor.zmb@proof.example", people // 2)
        clients += self.staff("admin@proof.example", people - people // 2)
        problems, landed_total = [], 0
        for r in range(rounds):
            version = self.scalar("SELECT version FROM milestone WHERE id = :i", i=ms)
            updates = self.history_count("milestone", ms, "update")
            path = f"/en/manage/milestones/{ms}/edit"
            forms = [c.form(path, "title") for c in clients]
            titles = [f"Proof edit {r}.{i}" for i in range(people)]
            results = at_once(
                [
                    (lambda c=c, f=f, t=t, path=path: c.post(path, replace(f, title=t)))
                    for c, f, t in zip(clients, forms, titles, strict=True)
                ]
            )
            statuses = [status(x) for x in results]
            winners = [t for t, s in zip(titles, statuses, strict=True) if s == 303]
            landed_total += len(winners)
            title, new_version = self.rows(
                "SELECT title, version FROM milestone WHERE id = :i", i=ms
            )[0]
            if sorted(statuses) != [303] + [409] * (people - 1):
                problems.append(f"round {r}: statuses {statuses}")
            elif winners != [title]:
                problems.append(f"round {r}: {winners} landed but the title is {title!r}")
            elif new_version != version + 1:
                problems.append(f"round {r}: version {version} -> {new_version}")
            elif self.history_count("milestone", ms, "update") != updates + 1:
                problems.append(f"round {r}: history has not exactly one more update")
            elif self.last_after("milestone", ms).get("title") != title:
                problems.append(f"round {r}: the last change record does not show {title!r}")
        self.report(
            f"edits, {people} people saving one milestone at once, {rounds} rounds",
            not problems,
            "; ".join(problems[:3])
            or f"{landed_total} landed (one a round), the rest "
            "409; title, version and history agree",
        )

    def check_edit_delete(self, rounds: int = 5) -> None:
        problems, outcomes = [], Counter()
        editor = self.staff("editor.zmb@proof.example", 1)[0]
        admin = self.staff("admin@proof.example", 2)[1]  # on the other instance
        for r in range(rounds):
            ms = self.milestone(f"Proof: edit or delete {r}")
            edit_path, delete_path = (
                f"/en/manage/milestones/{ms}/edit",
                f"/en/manage/milestones/{ms}/delete",
            )
            edit_form = editor.form(edit_path, "title")
            delete_form = admin.form(delete_path, "version")
            edit_data = replace(edit_form, title=f"Edited {r}")
            results = at_once(
                [
                    lambda p=edit_path, d=edit_data: editor.post(p, d),
                    lambda p=delete_path, d=delete_form: admin.post(p, d),
                ]
            )
            edited, deleted = (status(x) for x in results)
            outcomes[(edited, deleted)] += 1
            exists = self.scalar("SELECT count(*) FROM milestone WHERE id = :i", i=ms) == 1
            deletes = self.history_count("milestone", ms, "delete")
            updates = self.history_count("milestone", ms, "update")
            if (edited, deleted) == (303, 409):
                ok = exists and updates == 1 and deletes == 0
            elif deleted == 303 and edited in (404, 409):
                ok = not exists and deletes == 1 and updates == 0
            else:
                ok = False
            if not ok:
                problems.append(
                    f"round {r}: edit {edited}, delete {deleted}, exists {exists}, "
                    f"{updates} update and {deletes} delete records"
                )
        self.report(
            f"edit-delete, one edit and one delete of a milestone at once, {rounds} rounds",
            not problems,
            "; ".join(problems[:3])
            or ", ".join(f"edit {e}/delete {d} x{n}" for (e, d), n in sorted(outcomes.items())),
        )

    # the whole-checklist form

    def coverage_rows(self) -> list[tuple[int, int]]:
        """(provision id, coverage id) of ZMB's judged rows on the current checklist."""
        return [
            tuple(r)
            for r in self.rows(
                "SELECT c.provision_id, c.id FROM coverage c JOIN provision p ON p.id = c.provision_id "
                "JOIN checklist_version v ON v.id = p.checklist_id "
                "WHERE c.country_id = :z AND v.is_current AND NOT p.retired ORDER BY p.position",
                z=self.zmb,
            )
        ]

    def check_checklist(self, people: int = 4) -> None:
        rows = self.coverage_rows()
        clients = self.staff("editor.zmb@proof.example", people)
        path = "/en/manage/countries/ZMB"
        problems, landed = [], 0
        plans = [("same row", [rows[0]] * people) for _ in range(3)]
        plans += [("different rows", rows[1 + k * people : 1 + (k + 1) * people]) for k in range(2)]
        for n, (label, targets) in enumerate(plans):
            before = {
                cid: (
                    self.scalar("SELECT evidence FROM coverage WHERE id = :i", i=cid),
                    self.history_count("coverage", cid, "update"),
                )
                for _, cid in targets
            }
            forms = [
                c.form(path, f"p{pid}-evidence")
                for c, (pid, _) in zip(clients, targets, strict=True)
            ]
            texts = [f"Proof evidence {n}.{i}" for i in range(people)]
            results = at_once(
                [
                    (
                        lambda c=c, f=f, pid=pid, t=t: c.post(
                            path, replace(f, **{f"p{pid}-evidence": t})
                        )
                    )
                    for c, f, (pid, _), t in zip(clients, forms, targets, texts, strict=True)
                ]
            )
            statuses = [status(x) for x in results]
            if any(s not in (303, 409) for s in statuses):
                problems.append(f"{label} {n}: statuses {statuses}")
                continue
            for cid in {cid for _, cid in targets}:
                mine = [
                    (t, s)
                    for (_, c2), t, s in zip(targets, texts, statuses, strict=True)
                    if c2 == cid
                ]
                won = [t for t, s in mine if s == 303]
                evidence = self.scalar("SELECT evidence FROM coverage WHERE id = :i", i=cid)
                updates = self.history_count("coverage", cid, "update")
                expected_evidence = won[0] if len(won) == 1 else before[cid][0]
                if len(won) > 1:
                    problems.append(f"{label} {n}: {len(won)} saves of one row landed")
                elif label == "same row" and not won:
                    problems.append(f"{label} {n}: no save landed")
                elif evidence != expected_evidence:
                    problems.append(
                        f"{label} {n}: row {cid} shows {evidence!r}, expected {expected_evidence!r}"
                    )
                elif updates != before[cid][1] + len(won):
                    problems.append(
                        f"{label} {n}: row {cid} has {updates - before[cid][1]} new "
                        f"update records for {len(won)} landed saves"
                    )
            landed += statuses.count(303)
        self.report(
            f"checklist, {people} people saving the whole-checklist form at once "
            "(3 rounds on one row, 2 on different rows)",
            not problems,
            "; ".join(problems[:3])
            or f"{landed} saves landed, the others 409; every "
            "row shows its landed change and one history record for it",
        )

    # the import

    def check_import(self, rounds: int = 4, people: int = 4) -> None:
        clients = self.staff("editor.zmb@proof.example", people)
        header = clients[0].get("/exports/milestones.csv?country=ZMB").text.splitlines()[0]
        columns = next(csv.reader([header]))
        problems, applied = [], Counter()
        for r in range(rounds):
            title = f"Proof: imported {r} {random.randrange(10**6)}"
            row = {
                "country_iso3": "ZMB",
                "kind": "stakeholder_consultation",
                "title": title,
                "planned_on": "2026-09-01",
                "status": "planned",
                "nature": "project",
            }
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerow([row.get(c, "") for c in columns])
            data = buffer.getvalue().encode()
            upload = clients[0].form("/en/manage/import", "kind")
            preview = clients[0].post(
                "/en/manage/import",
                replace(upload, kind="milestones", country="ZMB"),
                files={"file": ("proof.csv", data, "text/csv")},
            )
            token = next(
                (
                    dict(f["fields"]).get("token")
                    for f in forms_of(preview.text)
                    if "token" in dict(f["fields"])
                ),
                None,
            )
            if preview.status_code != 200 or not token:
                problems.append(f"round {r}: preview {preview.status_code}, no token")
                continue
            csrfs = [c.csrf("/en/manage/import") for c in clients]
            results = at_once(
                [
                    (
                        lambda c=c, t=t, token=token: c.post(
                            "/en/manage/import/confirm", {"csrf_token": t, "token": token}
                        )
                    )
                    for c, t in zip(clients, csrfs, strict=True)
                ]
            )
            statuses = sorted(status(x) for x in results)
            copies = self.scalar("SELECT count(*) FROM milestone WHERE title = :t", t=title)
            applied[copies] += 1
            if statuses != [303] + [409] * (people - 1) or copies != 1:
                problems.append(f"round {r}: statuses {statuses}, {copies} copies")
        self.report(
            f"import, one preview confirmed {people} times at once, {rounds} rounds",
            not problems,
            "; ".join(problems[:3]) or "applied once each round, the other confirms 409",
        )

    # the outage

    def check_outage(self) -> None:
        if self.pg is None:
            print("skip  outage: needs PostgreSQL (run as root)", flush=True)
            return
        milestones = [self.milestone(f"Proof: outage {k}") for k in range(2)]
        editors = self.staff("editor.zmb@proof.example", 2)
        visitors = [Client(b) for b in self.bases]
        login_tokens = [v.csrf() for v in visitors]
        forms = [
            e.form(f"/en/manage/milestones/{m}/edit", "title")
            for e, m in zip(editors, milestones, strict=True)
        ]
        masters = [i.process.pid for i in self.instances]
        boots = [i.boots() for i in self.instances]
        reads = ("/en/", "/fr/countries/ZMB", "/exports/coverage.csv", "/api/v1/countries")

        def probe(expect_down: bool) -> list[str]:
            bad = []
            for k, (editor, visitor) in enumerate(zip(editors, visitors, strict=True)):
                for path in reads:
                    r = visitor.get(path)
                    if expect_down and (r.status_code != 503 or "Retry-After" not in r.headers):
                        bad.append(f"{path} {r.status_code}")
                    elif not expect_down and r.status_code != 200:
                        bad.append(f"{path} {r.status_code}")
                    if (
                        path.startswith("/api/")
                        and expect_down
                        and not r.headers.get("Content-Type", "").startswith("application/json")
                    ):
                        bad.append(f"{path} not JSON")
                edit_path = f"/en/manage/milestones/{milestones[k]}/edit"
                save = editor.post(edit_path, replace(forms[k], title=f"Outage {expect_down} {k}"))
                login = visitor.post(
                    "/en/login",
                    {
                        "csrf_token": login_tokens[k],
                        "email": "admin@proof.example",
                        "password": PASSWORD,
                    },
                )
                for label, r in (("save", save), ("sign-in", login)):
                    if r.status_code != (503 if expect_down else 303):
                        bad.append(f"{label} {r.status_code}")
            return bad

        self.pg.stop()
        try:
            down = probe(expect_down=True)
        finally:
            self.pg.start()
        deadline, healthy = time.monotonic() + 30, False
        while time.monotonic() < deadline and not healthy:
            healthy = all(
                requests.get(b + "/healthz", timeout=10).status_code == 200 for b in self.bases
            )
            time.sleep(0.2 if not healthy else 0)
        up = probe(expect_down=False) if healthy else ["/healthz not 200 within 30 s"]
        same = (
            [i.process.pid for i in self.instances] == masters
            and all(i.process.poll() is None for i in self.instances)
            and [i.boots() for i in self.instances] == boots
        )
        self.report(
            "outage, PostgreSQL stopped while both instances serve",
            not down,
            "; ".join(down[:5])
            or "pages, export, API, save and sign-in all 503 with Retry-After on both instances",
        )
        self.report(
            "outage, PostgreSQL started again",
            not up and same,
            "; ".join(up[:5])
            or (
                "200 and 303 again, "
                + ("same processes, no worker restarted" if same else "BUT processes changed")
            ),
        )

    # the soak

    def check_soak(self, seconds: float) -> None:
        readers, writers = 3, 3
        rows = self.coverage_rows()
        targets = [self.milestone(f"Proof: soak {i}") for i in range(writers)]
        instrument = self.scalar("SELECT min(id) FROM instrument WHERE country_id = :z", z=self.zmb)
        read_paths = [
            "/en/",
            "/fr/",
            "/ar/countries/ZMB",
            "/en/countries/RWA",
            "/en/checklist",
            "/en/methodology",
            f"/en/instruments/{instrument}",
            "/exports/coverage.csv?country=ZMB",
            "/exports/milestones.csv",
            "/api/v1/countries",
            "/api/v1/countries/ZMB",
            "/api/v1/checklist",
            "/exports/datapackage.json",
            "/healthz",
        ]
        before_ms = {
            m: (
                self.scalar("SELECT version FROM milestone WHERE id = :i", i=m),
                self.history_count("milestone", m, "update"),
            )
            for m in targets
        }
        before_cov = {cid: self.history_count("coverage", cid, "update") for _, cid in rows}
        offsets = [i.log_size() for i in self.instances]
        counts: Counter = Counter()
        landed_ms: Counter = Counter()
        landed_cov: Counter = Counter()
        created: Counter = Counter()
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds
        editors = self.staff("editor.zmb@proof.example", writers)

        def note(kind: str, code) -> None:
            with lock:
                counts[(kind, code)] += 1

        def reader(k: int) -> None:
            client, rng = Client(self.bases[k % 2]), random.Random(k)
            while time.monotonic() < stop_at:
                path = rng.choice(read_paths)
                note("read", client.on(self.bases[rng.randrange(2)]).get(path).status_code)

        def writer(k: int) -> None:
            rng, editor, n = random.Random(100 + k), editors[k], 0
            while time.monotonic() < stop_at:
                n += 1
                here = editor.on(self.bases[rng.randrange(2)])
                choice = rng.random()
                if choice < 0.45:
                    ms = rng.choice(targets)  # shared between writers: some 409s expected
                    path = f"/en/manage/milestones/{ms}/edit"
                    response = here.post(
                        path, replace(here.form(path, "title"), title=f"Soak {k}.{n}")
                    )
                    if response.status_code == 303:
                        with lock:
                            landed_ms[ms] += 1
                    note("edit", response.status_code)
                elif choice < 0.85:
                    pid, cid = rng.choice(rows)
                    path = "/en/manage/countries/ZMB"
                    fields = replace(
                        here.form(path, f"p{pid}-evidence"),
                        **{f"p{pid}-evidence": f"Soak evidence {k}.{n}"},
                    )
                    response = here.post(path, fields)
                    if response.status_code == 303:
                        with lock:
                            landed_cov[cid] += 1
                    note("checklist", response.status_code)
                else:
                    path = "/en/manage/countries/ZMB/milestones/new"
                    fields = replace(
                        here.form(path, "title"),
                        title=f"Soak new {k}.{n}",
                        kind="capacity_building",
                        status="planned",
                        planned_on="2026-10-01",
                    )
                    response = here.post(path, fields)
                    if response.status_code == 303:
                        with lock:
                            created[f"Soak new {k}.{n}"] += 1
                    note("create", response.status_code)

        errors: list[str] = []
        with ThreadPoolExecutor(readers + writers) as pool:
            futures = [pool.submit(reader, k) for k in range(readers)]
            futures += [pool.submit(writer, k) for k in range(writers)]
            for future in futures:
                try:
                    future.result(timeout=seconds + 120)
                except Exception as exc:  # a connection error or an assertion in a form
                    errors.append(f"{type(exc).__name__}: {exc}")

        total = sum(counts.values())
        five = sum(n for (_, code), n in counts.items() if code >= 500)
        unexpected = {
            f"{kind} {code}": n
            for (kind, code), n in counts.items()
            if code
            not in {"read": (200,), "edit": (303, 409), "checklist": (303, 409), "create": (303,)}[
                kind
            ]
        }
        summary = ", ".join(f"{kind} {code}: {n}" for (kind, code), n in sorted(counts.items()))
        print(
            f"      soak: {total} requests in {seconds:.0f} s through 2 instances "
            f"({total / seconds:.0f}/s): {summary}",
            flush=True,
        )
        self.report(
            "soak, zero 5xx",
            five == 0 and not unexpected and not errors,
            f"{five} answers 5xx"
            + (f"; unexpected {unexpected}" if unexpected else "")
            + (f"; client errors {errors[:2]}" if errors else ""),
        )

        log_text = "".join(i.log_since(o) for i, o in zip(self.instances, offsets, strict=True))
        bad_lines = [
            line
            for line in log_text.splitlines()
            if re.search(r"\[(ERROR|CRITICAL)\]|Traceback|WORKER TIMEOUT", line)
        ]
        warnings = sum(1 for line in log_text.splitlines() if "WARNING" in line)
        self.report(
            "soak, zero errors in the logs",
            not bad_lines,
            (f"{len(bad_lines)} error lines, first: {bad_lines[0][:200]}" if bad_lines else "none")
            + f"; {warnings} warnings",
        )

        lost = []
        for m, (version, updates) in before_ms.items():
            now_version = self.scalar("SELECT version FROM milestone WHERE id = :i", i=m)
            now_updates = self.history_count("milestone", m, "update")
            if not (now_version - version == now_updates - updates == landed_ms[m]):
                lost.append(
                    f"milestone {m}: {landed_ms[m]} landed, version +{now_version - version}, "
                    f"history +{now_updates - updates}"
                )
        for cid, updates in before_cov.items():
            if self.history_count("coverage", cid, "update") - updates != landed_cov[cid]:
                lost.append(
                    f"coverage {cid}: {landed_cov[cid]} landed, history "
                    f"+{self.history_count('coverage', cid, 'update') - updates}"
                )
        for title, n in created.items():
            copies = self.scalar("SELECT count(*) FROM milestone WHERE title = :t", t=title)
            if copies != n:
                lost.append(f"{title!r}: created {n}, stored {copies}")
        self.report(
            "soak, every landed write stored once and in the history",
            not lost,
            "; ".join(lost[:3])
            or f"{sum(landed_ms.values())} milestone edits, "
            f"{sum(landed_cov.values())} checklist saves, {sum(created.values())} new "
            "milestones: versions and history agree",
        )


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("auto", "postgres", "sqlite"), default="auto")
    parser.add_argument("--seconds", type=float, default=15, help="length of the soak (max 600)")
    parser.add_argument(
        "--only", action="append", choices=CHECKS, help="run only these checks (repeatable)"
    )
    parser.add_argument("--pgport", type=int, default=int(os.environ.get("PGPORT", "54331")))
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the gunicorn logs here")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600")
    checks = args.only or list(CHECKS)
    is_root = os.geteuid() == 0
    database = args.database
    if database == "auto":
        database = "postgres" if is_root else "sqlite"
    if database == "postgres" and not is_root:
        print(
            "prove_production: PostgreSQL needs root (to install and start it); use "
            "--database sqlite"
        )
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="proof."))
    pg = proof = None
    instances: list[Instance] = []
    try:
        if database == "postgres":
            install_postgres()
            pg = Postgres(args.pgport)
            pg.create()
            url = pg.url
        else:
            url = f"sqlite:///{workdir / 'tracker.db'}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET,
            "TRACKER_ENV": "development",
            "PYTHONUNBUFFERED": "1",
        }
        for name in (
            "LOGIN_MAX_FAILURES_PER_ACCOUNT",
            "LOGIN_MAX_FAILURES_PER_ADDRESS",
            "LOGIN_WINDOW_SECONDS",
        ):
            env.pop(name, None)
        t0 = time.monotonic()
        prepare_database(env)
        instances = [Instance(name, env, workdir) for name in ("first", "second")]
        for instance in instances:
            instance.start()
        print(
            f"Two gunicorn instances ({instances[0].base}, {instances[1].base}) on "
            f"{'PostgreSQL' if pg else 'one SQLite file'}, ready in "
            f"{time.monotonic() - t0:.1f} s",
            flush=True,
        )
        proof = Proof(instances, url, pg)
        for check in checks:
            started = time.monotonic()
            try:
                if check == "soak":
                    proof.check_soak(args.seconds)
                else:
                    getattr(proof, "check_" + check.replace("-", "_"))()
            except Exception as exc:  # a check that cannot even run is a failed check
                proof.report(check, False, f"could not run: {type(exc).__name__}: {exc}")
            print(f"      ({check}: {time.monotonic() - started:.1f} s)", flush=True)
        proof.engine.dispose()
    finally:
        for instance in instances:
            instance.stop()
        if args.keep_logs:
            target = Path(args.keep_logs)
            target.mkdir(parents=True, exist_ok=True)
            for instance in instances:
                shutil.copy(instance.log, target / instance.log.name)
        if pg is not None:
            pg.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    if proof is None:
        print("proof: 0 passed, 1 failed (the instances could not be set up)")
        return 1
    print(f"proof: {proof.passed} passed, {proof.failed} failed")
    return 1 if proof.failed else 0


if __name__ == "__main__":
    sys.exit(main())
