"""The material library's pages: the library (/materials), downloads, and the organisers' pages
to add and change materials. The event page and a person's manage page get their lists through
the template helpers registered here (events and participants know nothing of materials)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.errors import ValidationError
from core.guard import allow_uploads
from core.pages import csrf_failed, current_organiser, put_errors
from events.models import LANGUAGES, TARGET_GROUPS, Event
from events.queries import organiser_events
from materials import queries, services
from materials.audience import Viewer, viewer
from materials.content import template_helpers
from materials.event_list import MaterialRecord, public_event_materials
from materials.forms import MaterialForm
from materials.labels import template_labels
from materials.models import CATEGORIES, Material
from materials.storage import store

bp = Blueprint("materials", __name__)
bp.context_processor(template_labels)

FILTERS = ("q", "category", "language", "target_group", "event")


def _viewer() -> Viewer:
    organiser = current_user if current_user.is_authenticated else None
    return viewer(organiser, request.args.get("t"))


def event_materials(event: Any) -> list[MaterialRecord]:
    """The event page's list: public materials only (the page is the same for every visitor
    and cached; a person finds the rest on their manage page). Read once per page, in one
    statement (materials/event_list.py)."""
    cache = g.setdefault("event_materials", {})
    if event.id not in cache:
        cache[event.id] = public_event_materials(event)
    return cache[event.id]


def session_materials(event: Any, session: Any) -> list[MaterialRecord]:
    """The event's public materials that belong to this session (a workshop's slides)."""
    return [m for m in event_materials(event) if session.id in m.session_ids]


def person_materials(registration: Any) -> list[Material]:
    """What the manage page /r/<token> lists for this person."""
    return queries.person_materials(Viewer(None, [registration]))


@bp.app_context_processor
def _material_helpers() -> dict[str, Any]:
    return {
        "event_materials": event_materials,
        "session_materials": session_materials,
        "person_materials": person_materials,
        **template_helpers(),
        **template_labels(),
    }


def _filters() -> tuple[queries.Filters, Event | None]:
    args = request.args
    event = None
    if args.get("event"):
        event = queries.event_by_slug(args["event"])
    return (
        queries.Filters(
            q=args.get("q", "")[:200],
            category=args.get("category") if args.get("category") in CATEGORIES else "",
            language=args.get("language") if args.get("language") in LANGUAGES else "",
            target_group=(
                args.get("target_group") if args.get("target_group") in TARGET_GROUPS else ""
            ),
            event=event.id if event else (-1 if args.get("event") else None),
        ),
        event,
    )


@bp.get("/materials")
def library() -> ResponseReturnValue:
    filters, event = _filters()
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    who = _viewer()
    pagination = queries.library(who, filters, page_number)
    kept = {k: request.args[k] for k in (*FILTERS, "t") if request.args.get(k)}
    return render_template(
        "materials/library.html",
        materials=pagination.items,
        pagination=pagination,
        filters=filters,
        kept=kept,
        events=queries.events_with_materials(),
        chosen_event=event,
        token=request.args.get("t") or None,
    )


@bp.get("/materials/<int:material_id>/download")
def download(material_id: int) -> ResponseReturnValue:
    """The current file (or the link), or 404 for a material the caller may not have."""
    who = _viewer()
    material = queries.get_material(material_id, who)
    file = material.current_file
    if not material.url and (file is None or not store().exists(file.content_hash)):
        abort(404)
    services.record_download(material, who)
    if material.url:
        return redirect(material.url)
    response = send_file(
        store().path(file.content_hash),
        mimetype=file.content_type,
        as_attachment=True,
        download_name=file.display_name,
        conditional=True,
        etag=file.content_hash,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- organisers ---------------------------------------------------------------------------------


def _form_page(form: MaterialForm, material: Material | None, status: int = 200, general=None):
    return (
        render_template(
            "materials/edit.html", form=form, material=material, general_errors=general or []
        ),
        status,
    )


def _upload() -> services.Upload | None:
    file = request.files.get("file")
    if file is None or not file.filename:
        return None
    return services.Upload(file.stream, file.filename)


def _save(material: Material | None) -> ResponseReturnValue:
    organiser = current_organiser()
    form = MaterialForm()
    form.set_events(organiser_events(organiser))
    if material is not None and request.method == "GET":
        form.fill(material)
    if request.method == "GET":
        return _form_page(form, material)
    if not form.validate():
        return _form_page(form, material, 400, csrf_failed(form))
    data = form.as_service_data()
    try:
        if material is None:
            material = services.create_material(organiser, data, _upload())
        else:
            services.update_material(organiser, material, data, _upload())
    except ValidationError as err:
        names = {
            "audience.kind": "audience",
            "audience.events": "audience_events",
            "audience.target_groups": "audience_groups",
        }
        names |= {f"translations.{lang}.{f}": f"{f}_{lang}" for lang in LANGUAGES
                  for f in ("title", "description")}  # fmt: skip
        return _form_page(form, material, 422, put_errors(form, err.fields, names))
    flash(_("The material is saved."), "success")
    return redirect(url_for("materials.manage_list"))


@bp.get("/manage/materials")
@login_required
def manage_list() -> ResponseReturnValue:
    who = Viewer(current_organiser())
    return render_template(
        "materials/manage.html",
        materials=queries.managed(who.organiser),
        events=organiser_events(who.organiser),
    )


@bp.route("/manage/materials/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    return _save(None)


@bp.route("/manage/materials/<int:material_id>", methods=["GET", "POST"])
@login_required
def edit(material_id: int) -> ResponseReturnValue:
    material = queries.managed_material(current_organiser(), material_id)
    return _save(material)


@bp.post("/manage/materials/<int:material_id>/delete")
@login_required
def delete(material_id: int) -> ResponseReturnValue:
    material = queries.managed_material(current_organiser(), material_id)
    services.delete_material(current_organiser(), material)
    flash(_("The material is removed."), "success")
    return redirect(url_for("materials.manage_list"))


def init_app(app: Any) -> None:
    allow_uploads("materials.new", "materials.edit", "materials_api.create_material",
                  "materials_api.update_material")  # fmt: skip
    app.register_blueprint(bp)
