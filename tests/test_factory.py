from pathlib import Path

import pytest

from tracker import create_app
from tracker.config import ConfigError, database_url


def test_testing_config_is_applied(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret-key"


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_uses_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    app.extensions["engine"].dispose()


def test_development_key_is_generated_once(monkeypatch, tmp_path):
    from tracker.config import secret_key

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TRACKER_ENV", raising=False)
    first = secret_key(tmp_path)
    assert len(first) == 64
    assert secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_default_database_is_the_instance_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = database_url()
    assert url.startswith("sqlite:///")
    assert Path(url.removeprefix("sqlite:///")).parts[-2:] == ("instance", "tracker.db")


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ],
)
def test_postgres_urls_use_psycopg3(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url() == expected


def test_proxy_headers_are_trusted_only_when_configured(monkeypatch, app_config):
    app = create_app({**app_config, "TRACKER_PROXIES": 1})
    seen = {}

    @app.get("/_probe")
    def probe():
        from flask import request

        seen.update(addr=request.remote_addr, scheme=request.scheme)
        return ""

    app.test_client().get("/_probe", headers={"X-Forwarded-For": "203.0.113.7",
                                              "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.7", "scheme": "https"}
    app.extensions["engine"].dispose()


def test_bad_proxy_count_is_a_config_error(monkeypatch):
    monkeypatch.setenv("TRACKER_PROXIES", "lots")
    with pytest.raises(ConfigError, match="TRACKER_PROXIES"):
        create_app()


def test_throttle_settings_come_from_the_environment(monkeypatch, tmp_path):
    from tracker.config import from_environment

    monkeypatch.setenv("LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("LOGIN_WINDOW_SECONDS", "60")
    config = from_environment(tmp_path)
    assert config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 3
    assert config["LOGIN_WINDOW_SECONDS"] == 60
    assert "LOGIN_MAX_FAILURES_PER_ADDRESS" not in config  # the app's default applies
    monkeypatch.setenv("LOGIN_WINDOW_SECONDS", "-5")
    with pytest.raises(ConfigError, match="LOGIN_WINDOW_SECONDS"):
        from_environment(tmp_path)


def test_templates_are_compiled_once_per_process_and_again_when_they_change(app):
    """Every app of a process shares its compiled templates (the suite makes one app per test):
    a second environment renders without compiling, an edited template is compiled again, and
    an environment with other extensions never takes another's code."""
    from jinja2 import DictLoader, Environment

    from tracker.web.compiled import COMPILED, CompiledTemplates

    cache, compiled = CompiledTemplates(), []

    class Counting(Environment):
        def compile(self, source, name=None, *args, **kwargs):
            compiled.append(name)
            return super().compile(source, name, *args, **kwargs)

    loader = DictLoader({"t.html": "{{ x }}!"})
    assert Counting(loader=loader, bytecode_cache=cache).get_template("t.html").render(x=1) == "1!"
    assert Counting(loader=loader, bytecode_cache=cache).get_template("t.html").render(x=2) == "2!"
    assert compiled == ["t.html"]
    loader.mapping["t.html"] = "{{ x }}?"
    assert Counting(loader=loader, bytecode_cache=cache).get_template("t.html").render(x=3) == "3?"
    assert compiled == ["t.html", "t.html"]
    Counting(loader=loader, bytecode_cache=cache, extensions=["jinja2.ext.do"]).get_template("t.html")
    assert len(compiled) == 3
    assert app.jinja_env.bytecode_cache is COMPILED
