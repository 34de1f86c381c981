"""The Flask app factory: the composition root of the web process."""

from __future__ import annotations

from typing import Any

from flask import Flask, redirect, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, UnsupportedMediaType
from werkzeug.middleware.proxy_fix import ProxyFix

from schemas import ProblemSchema
from service.application import LedgerApplication
from service.bootstrap import open_ledger, open_replica
from service.config import Settings
from service.reads.access import AccessDirectory, follow_grants
from service.reads.past_answers import PastAnswers
from service.reads.projector import NAME
from service.reads.replica import ReadReplica
from service.reads.view_cache import ViewCache
from service.reads.view_feed import ViewFeed
from service.store.database import StoreUrl
from service.web import pages
from service.web.auth import AccessControl, oidc_verifier
from service.web.docs import ErrorResponses, docs
from service.web.fast_reads import FastViewReads
from service.web.json_body import StrictJSONProvider, StrictRequest
from service.web.problems import http_exception_problem, register_problem_handlers
from service.web.read_fallback import fall_back_to_the_store
from service.web.request_log import RequestLog, access_log
from service.web.request_metrics import instrument
from service.web.response_headers import ResponseHeaders
from service.web.store_patience import StorePatience

MAX_BODY_BYTES = 1024 * 1024
# Where `/` leads.
HOME = "/app/"  # the pages (API 1.2: `/` leads there)


class ProblemApi(Api):  # type: ignore[misc]
    """flask-smorest's Api, answering its HTTP errors as RFC 9457 problems (and documenting
    them so: each operation lists its own, service.web.docs.ErrorResponses)."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Any:
        return http_exception_problem(error)


def create_app(settings: Settings | None = None,
               application: LedgerApplication | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask("grantledger")
    app.json = StrictJSONProvider(app)
    app.request_class = StrictRequest
    app.config.update(
        GRANTLEDGER_SETTINGS=settings,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        API_TITLE="Grantledger",
        API_VERSION="1.2",  # the HTTP contract's version (API.md)
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Event-sourced grant-compliance ledger for OP PIK projects."},
            "components": {"securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
            "servers": [{"url": ".", "description": "this service, wherever it is mounted"}],
        },
    )
    application = application or open_ledger(settings, migrating=settings.migrate,
                                             checking=settings.migrate)
    app.extensions["grantledger"] = application
    cache, feed = _view_cache(settings, application)
    app.extensions["grantledger_views"] = cache
    replica = _read_replica(settings, application, feed)
    app.extensions["grantledger_replica"] = replica
    if replica is not None:
        fall_back_to_the_store(app, replica)
    app.extensions["grantledger_past_answers"] = PastAnswers()
    app.extensions["grantledger_access"] = _access_control(settings, application)
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [ErrorResponses(app)]})
    app.register_blueprint(docs)  # /docs: Swagger UI, served offline
    app.add_url_rule("/", "home", _home)
    register_problem_handlers(app)
    instrument(app)
    app.before_request(_require_json_commands)
    for blueprint in _blueprints():
        api.register_blueprint(blueprint)
    if settings.uses_postgres:  # only there is the view cache kept current (NOTIFY)
        app.wsgi_app = FastViewReads(app)  # type: ignore[method-assign]
    app.wsgi_app = ResponseHeaders(app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = StorePatience(app.wsgi_app,  # type: ignore[method-assign]
                                 application.store_patience)
    pages.install(app)  # /app/: pages for people, a client of the API below the access log
    log = access_log(settings.access_log)
    if log is not None:
        application.on_close(log.close)
    app.wsgi_app = RequestLog(app.wsgi_app, log)  # type: ignore[method-assign]
    if settings.proxy_hops:
        # The client's address, scheme, host and path prefix as the proxies in front saw
        # them, so that Location headers and the docs' URLs are right behind TLS termination;
        # forwarded headers are believed from that many proxies only, and ignored without.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    return app


def _view_cache(settings: Settings,
                application: LedgerApplication) -> tuple[ViewCache, ViewFeed | None]:
    """The process's cache of the hot projects' views; kept current by NOTIFY on PostgreSQL,
    and never used on SQLite (which cannot push), where reads go to the database. The feed
    LISTENs and reads the views on the store itself, also with a read replica (a standby
    refuses LISTEN, and the store holds what each announcement announces)."""
    cache = ViewCache(settings.view_cache_mb << 20, load=application.queries.current_view)
    application.on_written(cache.wrote)
    if not settings.uses_postgres:
        return cache, None
    feed = ViewFeed(application, cache, NAME)
    application.on_close(feed.listener.start().stop)
    return cache, feed


def _read_replica(settings: Settings, application: LedgerApplication,
                  feed: ViewFeed | None) -> ReadReplica | None:
    """The read replica (GRANTLEDGER_READ_DATABASE_URL), if one is configured: its reads
    follow the feed's fence (service.reads.replica)."""
    if settings.read_database_url is None or feed is None:
        return None
    patience = StoreUrl(settings.read_database_url).connect_timeout()
    replica = ReadReplica(application, lambda: open_replica(settings), feed, patience).start()
    application.on_close(replica.close)
    return replica


def _home() -> Any:
    """`/` leads to the pages (service.web.pages), whose footer leads to the API's documentation."""
    return redirect(f"{request.script_root}{HOME}", code=302)


def _access_control(settings: Settings, application: LedgerApplication) -> AccessControl:
    """The tokens, the OIDC verifier and the process's directory of grants, kept current by
    NOTIFY on PostgreSQL (on SQLite every request reads the grants)."""
    directory = AccessDirectory(application.queries)
    if settings.uses_postgres:
        listener = follow_grants(directory, application).start()
        application.on_close(listener.stop)
    return AccessControl(settings.tokens, oidc_verifier(settings), directory)


def _require_json_commands() -> None:
    # A POST to a path that has no POST is its 404 or 405, whatever its body; pages take forms.
    if request.routing_exception is not None or request.blueprint == "pages":
        return
    if request.method == "POST" and not request.is_json:
        raise UnsupportedMediaType("commands take a JSON body (Content-Type: application/json)")


def _blueprints() -> list[Any]:
    from service.web.api import (
        access,
        audit,
        budget,
        calendar,
        claims,
        events,
        expenses,
        health,
        metrics,
        projects,
        reports,
        schedule,
        templates,
        views,
    )

    return [projects.blp, expenses.blp, schedule.blp, budget.blp, claims.blp, reports.blp,
            views.blp, calendar.blp, events.blp, audit.blp, health.blp, metrics.blp,
            templates.blp, access.blp]
