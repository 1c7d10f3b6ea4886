"""The e-waste regulation tracker: application factory."""

from pathlib import Path

from flask import Flask

from tracker import config as config_module


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config -> database -> i18n -> blueprints -> errors -> CLI."""
    app = Flask(__name__, instance_relative_config=True)
    from tracker.web.compiled import COMPILED

    # templates compiled once per process, whatever the number of apps (``tracker.web.compiled``)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": COMPILED}
    if test_config is None:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config.from_mapping(config_module.from_environment(Path(app.instance_path)))
    else:
        # As flaskr does: the test's settings instead of the environment's (an exported
        # TRACKER_ENV, DATABASE_URL or SECRET_KEY never reaches a test app), and nothing is
        # written to the instance folder.
        app.config.from_mapping(config_module.defaults())
        app.config.from_mapping(test_config)
    app.json.sort_keys = False
    if app.config.get("PAGE_CACHE_ENTRIES"):
        from tracker.web.pagecache import PageCache

        # Inside ProxyFix: the cache keys on the scheme and host the proxy reports.
        app.wsgi_app = PageCache(app, app.wsgi_app, max_entries=app.config["PAGE_CACHE_ENTRIES"])
    if app.config.get("TRACKER_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRACKER_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from tracker import db, i18n

    db.init_app(app)
    i18n.init_app(app)

    from tracker import web

    web.init_app(app)

    from tracker.web import errors

    errors.init_app(app)

    from tracker import cli

    cli.init_app(app)
    return app
