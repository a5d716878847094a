"""The audit web page: a token's tree and timeline, now or as of a past instant.

Server-rendered (Jinja templates under ``web/templates/ui``), behind a login with a token whose
policies grant ``read`` with ``sudo`` on ``sys/ledger/history/...`` (as root does): the same
ACL decision as the ``sys/ledger/history`` API, taken again on every page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response

from tokenledger.application.audit import DEFAULT_PAGE
from tokenledger.application.formats import go_time
from tokenledger.application.token_service import POLICY_DENIED, Access
from tokenledger.domain.caller import Caller
from tokenledger.domain.clock import from_epoch_us, to_epoch_us
from tokenledger.domain.errors import InvalidRequest, PermissionDenied
from tokenledger.domain.namespaces import parse_namespace
from tokenledger.projections.audit_tree import AuditTree
from tokenledger.projections.ui_logouts import SessionLogouts
from tokenledger.web.activity_ui import PageParts, add_activity_pages
from tokenledger.web.fields import count_parameter
from tokenledger.web.openapi_schemas import UILoginSchema
from tokenledger.web.routes import PAGE, Answer, Doc, Route, RoutedBlueprint
from tokenledger.web.ui_reports import report_routes
from tokenledger.web.ui_session import (
    ACCESSOR,
    LOGIN_US,
    NAMESPACE,
    SEALED,
    SESSION_ID,
    CookieOnlySessionInterface,
    TokenSeal,
    cross_site_refusal,
    flask_secret,
    new_session_id,
)
from tokenledger.web.ui_tree import local_input_value, parse_as_of, timeline_of, tree_of
from tokenledger.wiring.activity import activity_service, search_service
from tokenledger.wiring.bootstrap import HMAC_KEY_NAME, Runtime

HISTORY_PATH = "sys/ledger/history/accessor"

BAD_TOKEN = ("Permission denied: this token is unknown, expired, revoked or used up, "
             "or may not be used from this address.")
NOT_AUDITOR = ("This token may not read the audit: its policies must grant read with sudo on "
               "{path} (as root does){where}.")
AUDIT_PATHS = "sys/ledger/history/*"
SESSION_ENDED = "Your session's token is no longer valid: log in again."
CROSS_SITE = ("This form was not sent from the audit page itself ({why}), so it is refused: "
              "open the audit page at {home} and send it from there.")

_SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _LoginNeeded(Exception):
    """No session, or its token no longer authenticates."""


class _NotAllowed(Exception):
    """The session's token may not read ``path`` in the namespace asked for."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def create_ui_blueprint(runtime: Runtime) -> Blueprint:
    """Mount it at ``/ui``."""
    blueprint = RoutedBlueprint("audit_ui", __name__, template_folder="templates")
    store_key = runtime.read_models.ensure_key(HMAC_KEY_NAME)  # the page's keys derive from it
    seal = TokenSeal(store_key)
    tree = AuditTree(runtime.read_models)
    logouts = SessionLogouts(runtime.read_models)

    @blueprint.record_once
    def configure_sessions(state: BlueprintSetupState) -> None:
        app = state.app
        if app.secret_key is None:
            app.secret_key = flask_secret(store_key)
        if isinstance(app, Flask) and type(app.session_interface) is SecureCookieSessionInterface:
            app.session_interface = CookieOnlySessionInterface()
        app.config["SESSION_COOKIE_HTTPONLY"] = True
        if app.config.get("SESSION_COOKIE_SAMESITE") is None:
            app.config["SESSION_COOKIE_SAMESITE"] = "Strict"

    @blueprint.before_request
    def refuse_cross_site() -> Response | None:
        """Login CSRF and its kind: every state-changing request must come from the page itself."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        why = cross_site_refusal(request)
        if why is None:
            return None
        home = request.host_url.rstrip("/") + url_for("audit_ui.index")
        return make_response(render_template("ui/message.html", namespace="", me="", title="Refused",
                                             message=CROSS_SITE.format(why=why, home=home)), 403)

    @blueprint.after_request
    def harden(response: Response) -> Response:
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @contextmanager
    def authorised(namespace: str, path: str) -> Iterator[Caller]:
        """The session's caller, allowed to read ``path`` with sudo in ``namespace``; the use of
        a limited token is settled afterwards, as the API does."""
        token = seal.open(session.get(SEALED))
        if token is None or not session_is_live():
            raise _LoginNeeded()
        access = Access(path, "read", namespace)
        try:
            caller = runtime.service.authenticate(token, request.remote_addr or "", access)
        except PermissionDenied as denied:
            if str(denied) == POLICY_DENIED:
                raise _NotAllowed(path) from None
            raise _LoginNeeded() from None
        try:
            if not caller.is_sudo:
                raise _NotAllowed(path)
            yield caller
        finally:
            runtime.service.settle(caller)
        runtime.service.record_use(caller, access)

    def session_ends() -> datetime | None:
        """When this session ends (its login plus the session lifetime), None if it has no id."""
        login_us = session.get(LOGIN_US)
        if not isinstance(session.get(SESSION_ID), str) or not isinstance(login_us, int):
            return None
        return from_epoch_us(login_us) + current_app.permanent_session_lifetime

    def session_is_live() -> bool:
        ends = session_ends()
        return ends is not None and runtime.clock.now() < ends and not logouts.ended(session[SESSION_ID])

    def page_namespace() -> str:
        if "namespace" in request.args:
            return parse_namespace(request.args["namespace"])
        namespace = session.get(NAMESPACE, "")
        return namespace if isinstance(namespace, str) else ""

    def common(namespace: str, **values: Any) -> dict[str, Any]:
        return {"namespace": namespace, "me": session.get(ACCESSOR, ""), **values}

    @blueprint.errorhandler(_LoginNeeded)
    def login_needed(_: _LoginNeeded) -> Response:
        if SEALED in session:
            session.clear()
            flash(SESSION_ENDED)
        return redirect(url_for("audit_ui.login", next=request.full_path.rstrip("?")))

    @blueprint.errorhandler(_NotAllowed)
    def not_allowed(refused: _NotAllowed) -> Response:
        namespace = page_namespace_or_root()
        where = f" in namespace {namespace}" if namespace else ""
        path = AUDIT_PATHS if refused.path.startswith("sys/ledger/history/") else refused.path
        return make_response(render_template("ui/message.html", **common(
            namespace, title="Not allowed", message=NOT_AUDITOR.format(path=path, where=where))), 403)

    @blueprint.errorhandler(InvalidRequest)
    def invalid(error: InvalidRequest) -> Response:
        return make_response(render_template("ui/message.html", **common(
            page_namespace_or_root(), title="Bad request", message=str(error))), 400)

    def page_namespace_or_root() -> str:
        try:
            return page_namespace()
        except InvalidRequest:
            return ""

    def safe_next(target: str | None) -> str | None:
        """Only a page of this UI itself, never another site."""
        home = url_for("audit_ui.index")
        if target and target.startswith(home) and not target.startswith("//") and "\\" not in target:
            return target
        return None

    def login() -> Response:
        return make_response(render_template("ui/login.html", next=safe_next(request.args.get("next")),
                                             namespace=session.get(NAMESPACE, ""), error=None))

    def log_in() -> Response:
        token = request.form.get("token", "").strip()
        next_page = safe_next(request.form.get("next"))

        def refused(message: str, status: int) -> Response:
            page = render_template("ui/login.html", next=next_page,
                                   namespace=request.form.get("namespace", ""), error=message)
            return make_response(page, status)

        try:
            namespace = parse_namespace(request.form.get("namespace", ""))
        except InvalidRequest as error:
            return refused(str(error), 400)
        where = f" in namespace {namespace}" if namespace else ""
        try:
            caller = runtime.service.authenticate(token, request.remote_addr or "",
                                                  Access(HISTORY_PATH, "read", namespace))
        except PermissionDenied as denied:
            return refused(NOT_AUDITOR.format(path=AUDIT_PATHS, where=where) if str(denied) == POLICY_DENIED
                           else BAD_TOKEN, 403)
        try:
            if not caller.is_sudo:
                return refused(NOT_AUDITOR.format(path=AUDIT_PATHS, where=where), 403)
        finally:
            runtime.service.settle(caller)
        session.clear()
        session[SEALED] = seal.seal(token)
        session[SESSION_ID] = new_session_id()
        session[LOGIN_US] = to_epoch_us(runtime.clock.now())
        session[ACCESSOR] = caller.view.accessor
        session[NAMESPACE] = namespace
        return redirect(next_page or url_for("audit_ui.index"))

    def log_out() -> Response:
        ends = session_ends()
        if ends is not None:  # every copy of the cookie is refused from now on
            logouts.record(session[SESSION_ID], until=ends, now=runtime.clock.now())
        session.clear()
        flash("Logged out.")
        return redirect(url_for("audit_ui.login"))

    def index() -> Response:
        namespace = page_namespace()
        with authorised(namespace, HISTORY_PATH):
            accessor = request.args.get("accessor", "").strip()
            as_of = request.args.get("as_of", "").strip()
            if accessor:
                return redirect(url_for("audit_ui.token_page", accessor=accessor, as_of=as_of or None,
                                        namespace=namespace or None))
            return make_response(render_template("ui/search.html", **common(namespace, accessor="",
                                                                             as_of_value=as_of)))

    def token_page(accessor: str) -> Response:
        namespace = page_namespace()
        with authorised(namespace, f"{HISTORY_PATH}/{accessor}"):
            instant = parse_as_of(request.args.get("as_of", ""))
            if instant is not None:
                runtime.audit.check_instant(instant)
            record = tree.record(namespace, accessor)
            if record is None:
                message = f"No token ever held the accessor {accessor}" + (
                    f" in namespace {namespace}." if namespace else ".")
                page = render_template("ui/search.html", **common(
                    namespace, accessor=accessor, as_of_value=local_input_value(instant), error=message))
                return make_response(page, 404)
            try:
                then = runtime.audit.token_as_of(namespace, accessor, instant or runtime.clock.now())
            except InvalidRequest:
                then = None  # it did not exist yet at the instant
            family = tree.family(record, instant)
            root = tree_of(family, instant, focus_exists=then is not None,
                           focus_status=then.status if then else None)
            after = request.args.get("after", "")
            first = count_parameter(after, "after", 2**62) if after else 0
            history = runtime.audit.history(namespace, accessor, first, DEFAULT_PAGE)
            page = render_template(
                "ui/token.html", **common(
                    namespace, accessor=accessor, record=record, then=then, instant=instant,
                    instant_text=go_time(instant), as_of_value=local_input_value(instant),
                    root=root, family=family, timeline=timeline_of(history.items, instant),
                    history=history, go_time=go_time))
            return make_response(page)

    blueprint.add_routes(report_routes(runtime, authorised, common, page_namespace))
    blueprint.add_routes((
        Route(("/login",), ("GET",), login, _ui(
            "The audit UI's login form", (Answer(200, kind=PAGE, description="the form"), _NUL),
            query=("ui_next",))),
        Route(("/login",), ("POST",), log_in, _ui(
            "Log in to the audit UI with a token that may read sys/ledger/history with sudo",
            (Answer(302, kind=PAGE, description="logged in: to `next`, or the search page"),
             Answer(400, kind=PAGE, description="an invalid namespace"),
             Answer(403, kind=PAGE, description="a token refused, or not an auditor's")),
            form=UILoginSchema)),
        Route(("/logout",), ("POST",), log_out, _ui(
            "Log out of the audit UI", (Answer(302, kind=PAGE, description="to the login page"), _NUL))),
        Route(("/",), ("GET",), index, _ui(
            "The audit UI's search page",
            (Answer(200, kind=PAGE, description="the search form"),
             Answer(302, kind=PAGE, description="with `accessor`: to that token's page"), _TO_LOGIN,
             Answer(400, kind=PAGE, description="an invalid namespace"),
             Answer(403, kind=PAGE, description="the session's token may not read the audit there")),
            query=("ui_accessor", "ui_as_of", "ui_namespace"))),
        Route(("/tokens/<accessor>",), ("GET",), token_page, _ui(
            "A token's tree and timeline in the audit UI, now or as of an instant",
            (Answer(200, kind=PAGE, description="the token's page"), _TO_LOGIN,
             Answer(400, kind=PAGE, description="an invalid namespace or instant"),
             Answer(403, kind=PAGE, description="the session's token may not read the audit there"),
             Answer(404, kind=PAGE, description="no token ever held the accessor")),
            query=("ui_as_of", "ui_namespace", "ui_after"))),
    ))
    add_activity_pages(blueprint, activity_service(runtime), search_service(runtime),
                       PageParts(authorised, common, page_namespace))
    return blueprint


_TO_LOGIN = Answer(302, kind=PAGE, description="no session, or its token no longer works: to the login page")
_NUL = Answer(400, kind=PAGE, description="a NUL character in the request (refused before any page)")


def _ui(summary: str, answers: tuple[Answer, ...], **details: Any) -> Doc:
    """A page of the audit UI: HTML, behind its session cookie (without one, to its login)."""
    return Doc(summary, answers, tag="ui", security=("UISession",), anonymous_too=True, vault_parameters=False,
               errors=(500,), **details)

