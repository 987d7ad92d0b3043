"""The material library's part of JSON API v1.

- ``GET /api/v1/materials``: what the caller may have (``?t=<registration token>`` adds what
  that person may have; an organiser's token adds every material they manage), with the
  library's search and filters, newest first, paginated.
- ``GET /api/v1/materials/<id>``: one of them (404 as for one that does not exist).
- ``POST /api/v1/materials`` (organiser token): JSON with a ``url``, or multipart/form-data
  with a ``file`` part and the same fields as text parts → 201.
- ``PATCH`` and ``DELETE /api/v1/materials/<id>``: its organisers.

The rules are in materials.services (the same as the HTML pages'); the downloads are
``GET /materials/<id>/download`` (materials/views.py).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request
from flask_babel import lazy_gettext as _l

from core.errors import ValidationError
from core.operations import Reply, describe_path_parameter, operation, page_fields, reply
from core.urls import external_url
from events.queries import get_managed_event
from materials import distribution as distribution_service
from materials import queries, schemas, services
from materials.audience import Viewer, viewer
from materials.content import translations_out
from materials.models import Distribution, Material

bp = Blueprint("materials_api", __name__, url_prefix="/api/v1")

describe_path_parameter(
    "material_id", "The material's id.", type="integer", minimum=1, maximum=2**31 - 1
)

_LIST_ARGS = ("t", "q", "category", "language", "target_group", "event", "per_page", "lang")


def material_out(material: Material, token: str | None = None) -> schemas.Material:
    file = material.current_file if not material.url else None
    args = {"t": token} if token else {}
    return schemas.Material(
        id=material.id,
        title=material.title,
        description=material.description or "",
        category=material.category,
        language=material.language,
        languages=material.languages,
        target_groups=material.target_groups,
        tags=material.tags,
        events=[e.slug for e in material.events],
        translations=translations_out(material),
        audience=schemas.Audience(
            kind=material.audience,
            events=[e.slug for e in material.audience_events],
            target_groups=material.audience_groups,
        ),
        url=material.url,
        file=schemas.FileVersion(
            name=file.display_name,
            size=file.size,
            content_type=file.content_type,
            version=file.version,
        )
        if file
        else None,
        download_url=external_url("materials.download", material_id=material.id, **args),
        created_at=material.created_at,
        updated_at=material.updated_at,
    )


def _upload() -> services.Upload | None:
    file = request.files.get("file")
    if file is None:
        return None
    return services.Upload(file.stream, file.filename or "")


def _service_data(body: dict[str, Any]) -> dict[str, Any]:
    """A multipart body's session ids arrive as text."""
    data = {k: v for k, v in body.items() if k != "file"}
    sessions = data.get("sessions")
    if isinstance(sessions, list) and all(isinstance(s, str) for s in sessions):
        if not all(s.isdigit() and len(s) < 10 for s in sessions):
            raise ValidationError({"sessions": _l("Must be a list of session ids.")})
        data["sessions"] = [int(s) for s in sessions]
    return data


def _managed(material_id: int) -> Material:
    """A material the token's organiser may see (404 otherwise); changing it needs more."""
    return queries.get_material(material_id, Viewer(g.organiser))


_MATERIAL = Reply("The material.", schemas.Material)
_NOT_YOURS = Reply("The token's organiser does not manage this material.")
_NO_SUCH = Reply("No such material, or one the caller may not have.")


@bp.get("/materials")
@operation(
    "listMaterials",
    tags=["materials"],
    summary="The materials the caller may have, newest first.",
    auth="optional",
    query=schemas.MaterialListQuery,
    responses={200: Reply("One page of materials.", schemas.MaterialList)},
)
def list_materials(query: schemas.MaterialListQuery) -> Response:
    who = viewer(g.organiser, query.t)
    event = queries.event_by_slug(query.event) if query.event else None
    filters = queries.Filters(
        q=query.q or "",
        category=query.category or "",
        language=query.language or "",
        target_group=query.target_group or "",
        event=event.id if event else (-1 if query.event else None),
    )
    pagination = queries.library(who, filters, query.page, query.per_page)
    token = query.t if who.registrations else None
    return reply(
        schemas.MaterialList(
            materials=[material_out(m, token) for m in pagination.items],
            **page_fields(pagination, "materials_api.list_materials", _LIST_ARGS, query.per_page),
        )
    )


@bp.get("/materials/<int:material_id>")
@operation(
    "getMaterial",
    tags=["materials"],
    summary="One material (with ?t= as the registration may have it).",
    auth="optional",
    query=schemas.MaterialQuery,
    responses={200: _MATERIAL, 404: _NO_SUCH},
)
def get_material(material_id: int, query: schemas.MaterialQuery) -> Response:
    who = viewer(g.organiser, query.t)
    material = queries.get_material(material_id, who)
    return reply(material_out(material, query.t if who.registrations else None))


@bp.post("/materials")
@operation(
    "createMaterial",
    tags=["materials"],
    summary="Add a material: JSON with a `url`, or multipart/form-data with a `file`.",
    auth="token",
    body=schemas.MaterialCreate,
    form=schemas.MaterialUpload,
    responses={
        201: Reply("Created.", schemas.Material, {"Location": "The material's API URL."}),
        422: Reply(
            "Some fields need correcting, or the file is not of a kind accepted (PDF, DOCX, "
            "XLSX, PPTX, ODT, ODS, ODP, text, CSV, PNG, JPEG)."
        ),
    },
)
def create_material(body: dict[str, Any]) -> Response:
    material = services.create_material(g.organiser, _service_data(body), _upload())
    location = external_url("materials_api.get_material", material_id=material.id)
    return reply(material_out(material), 201, {"Location": location})


@bp.patch("/materials/<int:material_id>")
@operation(
    "updateMaterial",
    tags=["materials"],
    summary="Change the fields given; a new file (multipart) becomes the current version.",
    auth="token",
    body=schemas.MaterialUpdate,
    form=schemas.MaterialUpload,
    responses={200: _MATERIAL, 403: _NOT_YOURS, 404: _NO_SUCH},
)
def update_material(material_id: int, body: dict[str, Any]) -> Response:
    material = _managed(material_id)
    upload = _upload()
    if upload is not None and not upload.filename:
        upload.filename = material.current_file.display_name if material.current_file else ""
    services.update_material(g.organiser, material, _service_data(body), upload)
    return reply(material_out(material))


@bp.delete("/materials/<int:material_id>")
@operation(
    "deleteMaterial",
    tags=["materials"],
    summary="Remove the material and, when no other uses it, its stored file.",
    auth="token",
    responses={200: Reply("Removed.", schemas.Deleted), 403: _NOT_YOURS, 404: _NO_SUCH},
)
def delete_material(material_id: int) -> Response:
    material = _managed(material_id)
    services.delete_material(g.organiser, material)
    return reply(schemas.Deleted(id=material_id, deleted=True))


# --- distributions ---------------------------------------------------------------------------


def distribution_out(distribution: Distribution) -> schemas.Distribution:
    done = distribution_service.progress(distribution)
    return schemas.Distribution(
        id=distribution.id,
        event=distribution.event.slug,
        materials=[m.id for m in distribution.materials],
        audience=schemas.DistributionAudience(
            kind=distribution.audience, target_groups=distribution.target_groups or []
        ),
        send_at=distribution.send_at,
        status=distribution.status,
        queued=done.queued,
        total=done.total,
        finished_at=distribution.finished_at,
    )


_EVENT_NOT_YOURS = Reply("Not an organiser of this event.")


@bp.post("/events/<slug>/distributions")
@operation(
    "createDistribution",
    tags=["materials"],
    summary="Send materials to the event's attendees or registrants (all, or of target "
    "groups) by email, each with their own links: now, at `send_at`, or when the event ends.",
    auth="token",
    body=schemas.DistributionCreate,
    responses={
        201: Reply("Scheduled.", schemas.Distribution),
        403: _EVENT_NOT_YOURS,
        404: "No such event.",
    },
)
def create_distribution(slug: str, body: dict[str, Any]) -> Response:
    event = get_managed_event(g.organiser, slug)
    distribution = distribution_service.create_distribution(g.organiser, event, body)
    return reply(distribution_out(distribution), 201)


@bp.get("/events/<slug>/distributions")
@operation(
    "listDistributions",
    tags=["materials"],
    summary="The event's distributions, newest first, with their progress.",
    auth="token",
    responses={
        200: Reply("The distributions.", schemas.DistributionList),
        403: _EVENT_NOT_YOURS,
        404: "No such event.",
    },
)
def list_distributions(slug: str) -> Response:
    event = get_managed_event(g.organiser, slug)
    items = distribution_service.event_distributions(event)
    return reply(schemas.DistributionList(distributions=[distribution_out(d) for d in items]))
