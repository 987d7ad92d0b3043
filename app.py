"""The application factory: configuration, extensions, blueprints, commands, error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from core import (
    charts,
    chrome,
    errors,
    guard,
    health,
    i18n,
    logs,
    mail_render,
    page_cache,
    security,
    statements,
    urls,
)
from core.cookie_session import CookieSessions
from core.db import db, include_name, install_sqlite_recipe
from core.extensions import babel, csrf, limiter, login_manager, mail, migrate
from core.pg_liveness import install_postgresql_liveness
from core.settings import load_config


def files_root() -> Path:
    """Where templates/, static/, translations/ and migrations/ are: motesplats_files/ beside
    this module when it was installed from a wheel (setup.py puts them there), else this
    module's own folder (a checkout, or an editable install of one)."""
    here = Path(__file__).resolve().parent
    installed = here / "motesplats_files"
    return installed if installed.is_dir() else here


def create_app(config: dict[str, Any] | None = None) -> Flask:
    # Flask finds templates/ and static/ under root_path, Flask-Babel translations/, and
    # Flask-Migrate is pointed at migrations/ there below.
    app = Flask(__name__, root_path=str(files_root()), instance_relative_config=True)
    load_config(app, config)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            install_sqlite_recipe(db.engine, app.config["SQLITE_WAL_CHECKPOINT_PAGES"])
        elif db.engine.dialect.driver == "psycopg":
            install_postgresql_liveness(db.engine)
    migrate.init_app(
        app,
        db,
        directory=str(app.root_path + "/migrations"),
        compare_type=True,
        render_as_batch=True,
        include_name=include_name,
    )
    app.session_interface = CookieSessions()
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=i18n.select_locale)
    mail.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    mail_render.init_app(app)
    errors.init_app(app)
    page_cache.init_app(app)  # inside ProxyFix (security), which then sees requests first
    security.init_app(app)
    guard.init_app(app)
    urls.init_app(app)
    chrome.init_app(app)
    charts.init_app(app)
    statements.init_app(app)  # only with BENCH_COUNT_STATEMENTS=1 (bench/run.py)
    health.init_app(app)  # /healthz, let through the Host check for a load balancer
    logs.init_app(app)  # last of the middleware: it sees each request first (its id, its line)

    import events.models  # noqa: F401  (every table known to Alembic and create_all)
    import events.session_views  # noqa: F401  (the agenda's pages, on events_manage)
    import materials.demo  # noqa: F401  (listens to demo_events_created)
    import materials.models  # noqa: F401
    import outreach.models  # noqa: F401
    import outreach.reach  # noqa: F401  (listens to organisations_merged)
    import participants.event_changes  # noqa: F401  (listens to events' signals)
    import participants.models  # noqa: F401
    import privacy.models  # noqa: F401
    import surveys.adoption  # noqa: F401  (keeps the adoption answers' counts as they are flushed)
    import surveys.models  # noqa: F401
    import surveys.organisations  # noqa: F401  (listens to organisations_merged)
    import surveys.stages  # noqa: F401  (keeps the registrations' stages as rows are flushed)
    from core.account_views import bp as accounts_bp
    from core.audit_views import bp as audit_bp
    from core.cli import register_commands
    from core.outbox_views import bp as outbox_bp
    from core.password_reset_views import bp as password_reset_bp
    from core.two_factor_views import bp as two_factor_bp
    from core.views import bp as core_bp
    from events.api import bp as events_api
    from events.calendar_views import bp as calendar_bp
    from events.duplicate_views import bp as events_duplicate
    from events.manage_views import manage_bp as events_manage
    from events.views import bp as events_bp
    from materials.api import bp as materials_api
    from materials.distribution_views import bp as distribution_pages
    from participants.api import bp as participants_api
    from participants.checkin_views import checkin_bp as participants_checkin
    from participants.mailing_views import bp as participants_mailings
    from participants.manage_views import manage_bp as participants_manage
    from participants.organisation_views import bp as organisation_pages
    from participants.print_views import bp as participants_print
    from participants.registration_views import bp as registration_pages
    from participants.views import bp as participants_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(password_reset_bp)
    app.register_blueprint(two_factor_bp)
    app.register_blueprint(outbox_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(events_manage)
    app.register_blueprint(events_duplicate)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(participants_bp)
    app.register_blueprint(participants_manage)
    app.register_blueprint(participants_mailings)
    app.register_blueprint(participants_checkin)
    app.register_blueprint(registration_pages)
    app.register_blueprint(participants_print)
    app.register_blueprint(organisation_pages)
    from surveys.api import bp as surveys_api
    from surveys.impact_api import bp as impact_api
    from surveys.impact_views import bp as impact_pages
    from surveys.invitation_views import bp as survey_invitations
    from surveys.manage_views import bp as surveys_manage
    from surveys.results_api import bp as survey_results_api
    from surveys.results_views import bp as survey_results
    from surveys.views import bp as survey_answering

    for page in (survey_answering, survey_invitations, surveys_manage, survey_results,
                 impact_pages):  # fmt: skip
        app.register_blueprint(page)
    from outreach.api import bp as outreach_api
    from outreach.invitation_views import bp as outreach_invitations
    from outreach.views import bp as outreach_campaigns

    app.register_blueprint(outreach_campaigns)
    app.register_blueprint(outreach_invitations)  # also answers participants' hooks
    from privacy.views import bp as privacy_pages

    app.register_blueprint(privacy_pages)
    import privacy.emails  # noqa: F401  (the erasure request's mail kinds, for the worker)
    from privacy.person_views import admin_bp as erasure_requests
    from privacy.person_views import bp as person_privacy

    app.register_blueprint(person_privacy)  # /r/<token>/data.json and /erase
    app.register_blueprint(erasure_requests)
    from core.openapi import bp as openapi_bp

    apis = (events_api, participants_api, materials_api, surveys_api, survey_results_api,
            impact_api, outreach_api, openapi_bp)  # fmt: skip
    for api in apis:
        csrf.exempt(api)
        app.register_blueprint(api)

    from materials.views import init_app as materials_pages

    materials_pages(app)
    app.register_blueprint(distribution_pages)
    import materials.emails  # noqa: F401  (the distribution's mail kind, for the worker)
    from core.worker import register_due_work
    from materials.distribution import send_due_distributions

    register_due_work(send_due_distributions)  # the worker queues due distributions each round
    import surveys.emails  # noqa: F401  (the survey mail kinds, for the worker)
    from surveys.invitations import send_due_invitations

    register_due_work(send_due_invitations)  # and due survey invitations and reminders
    from participants.mailings import send_due_mailings

    register_due_work(send_due_mailings)  # and organisers' scheduled messages to registrants
    from participants.reminders import send_due_reminders

    register_due_work(send_due_reminders)  # and the day-before reminders of events
    import outreach.emails  # noqa: F401  (the campaign's mail kind, for the worker)
    from outreach.campaigns import send_due_campaigns

    register_due_work(send_due_campaigns)  # and campaigns' invitations, a batch at a time
    from participants.printouts import build_due_printouts

    register_due_work(build_due_printouts)  # a large printout takes a while
    from privacy.purge import run_daily_purge

    register_due_work(run_daily_purge)  # last: the retention purge, once a day

    import surveys.demo  # noqa: F401  (answers the demo's registrants)
    from events.cli import demo_data_command
    from participants.cli import seats_command
    from privacy.cli import privacy_command
    from surveys.cli import surveys_command

    register_commands(app)
    from core.backup_cli import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(privacy_command)
    app.cli.add_command(seats_command)
    app.cli.add_command(surveys_command)
    return app
