"""The surveys feature's blueprints, for create_app: the pages and the JSON API."""

from __future__ import annotations

from flask import Blueprint


def page_blueprints() -> list[Blueprint]:
    from surveys.impact_views import bp as impact
    from surveys.invitation_views import bp as invitations
    from surveys.manage_views import bp as manage
    from surveys.results_views import bp as results
    from surveys.views import bp as answering

    return [answering, invitations, manage, results, impact]


def api_blueprints() -> list[Blueprint]:
    from surveys.api import bp as surveys
    from surveys.impact_api import bp as impact
    from surveys.results_api import bp as results

    return [surveys, results, impact]
