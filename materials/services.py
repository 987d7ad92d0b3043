"""The material library's rules: adding, changing and removing materials and their files, and
recording a download. The HTML pages and the JSON API call these same functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.db import db
from core.errors import Forbidden, ValidationError
from core.models import Organiser
from events.models import bump_version
from events.queries import can_manage
from materials import filetypes, search
from materials.audience import Viewer, may_manage
from materials.models import (
    LABEL_KINDS,
    Material,
    MaterialDownload,
    MaterialFile,
    MaterialLabel,
)
from materials.names import display_name
from materials.parsing import ParsedMaterial, parse_material
from materials.storage import store


@dataclass
class Upload:
    """A file as it arrived: its bytes and the name the sender gave (never a path here)."""

    stream: IO[bytes]
    filename: str


def _check_events(organiser: Organiser, parsed: ParsedMaterial) -> None:
    """An organiser attaches materials to, and opens them to the people of, their own events."""
    for key, events in (("events", parsed.events), ("audience.events", parsed.audience_events)):
        for event in events or []:
            if not can_manage(organiser, event):
                raise ValidationError({key: _l("You do not organise %(slug)s.", slug=event.slug)})


def _texts(material: Material) -> dict[str, str]:
    """Each language's title, description and tags, for the search."""
    tags = " ".join(material.tags)
    texts = {material.language: f"{material.title} {material.description} {tags}"}
    for lang, fields in (material.translations or {}).items():
        extra = f"{fields.get('title', '')} {fields.get('description', '')} {tags}"
        texts[lang] = f"{texts.get(lang, '')} {extra}".strip()
    return texts


def _apply(material: Material, parsed: ParsedMaterial) -> set[int]:
    """Set what was parsed; the ids of the events whose pages change."""
    touched = {e.id for e in material.events}
    for key, value in parsed.values.items():
        setattr(material, key, value)
    for kind in LABEL_KINDS:
        if parsed.labels is not None and kind in parsed.labels:
            material.labels = [lb for lb in material.labels if lb.kind != kind] + [
                MaterialLabel(kind=kind, value=v) for v in parsed.labels[kind]
            ]
    if parsed.events is not None:
        material.events = parsed.events
    if parsed.sessions is not None:
        material.sessions = parsed.sessions
    if parsed.audience_events is not None:
        material.audience_events = parsed.audience_events
    material.search_text, material.search_stems = search.documents(_texts(material))
    return touched | {e.id for e in material.events}


def _bump(event_ids: set[int]) -> None:
    """The event pages that list materials show the change from the commit on."""
    for event_id in event_ids:
        bump_version(event_id)


def create_material(
    organiser: Organiser, data: Mapping[str, Any], upload: Upload | None = None
) -> Material:
    """A new material with its first file (upload) or its link (data["url"]), never both."""
    parsed = parse_material(data)
    if upload is None and not parsed.values.get("url"):
        raise ValidationError({"file": _l("Choose a file to upload, or give a web address.")})
    if upload is not None and parsed.values.get("url"):
        raise ValidationError({"url": _l("Give a file or a web address, not both.")})
    _check_events(organiser, parsed)
    material = Material(created_by=organiser, translations={}, labels=[])
    try:
        db.session.add(material)
        touched = _apply(material, parsed)
        if upload is not None:
            _add_file(material, organiser, upload)
        db.session.flush()
        _bump(touched)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return material


def require_manage(organiser: Organiser, material: Material) -> None:
    if not may_manage(material, organiser):
        raise Forbidden(_l("You do not have permission to do that."))


def update_material(
    organiser: Organiser,
    material: Material,
    data: Mapping[str, Any],
    upload: Upload | None = None,
) -> Material:
    """Change the fields given; a new file becomes the current version, the earlier ones kept."""
    require_manage(organiser, material)
    parsed = parse_material(data, material)
    _check_events(organiser, parsed)
    if upload is not None:
        parsed.values["url"] = None
    elif parsed.values.get("url") is None and "url" in parsed.values and not material.files:
        raise ValidationError({"url": _l("Choose a file to upload, or give a web address.")})
    try:
        touched = _apply(material, parsed)
        if upload is not None:  # a link given instead leaves the versions as history
            _add_file(material, organiser, upload)
        db.session.flush()
        _bump(touched)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return material


def delete_material(organiser: Organiser, material: Material) -> None:
    """Remove the material; a stored file no other version uses is removed after the commit."""
    require_manage(organiser, material)
    hashes = {f.content_hash for f in material.files}
    touched = {e.id for e in material.events}
    db.session.delete(material)
    db.session.flush()
    _bump(touched)
    db.session.commit()
    still_used = set(
        db.session.scalars(
            sa.select(MaterialFile.content_hash).where(MaterialFile.content_hash.in_(hashes))
        )
    )
    for content_hash in hashes - still_used:
        store().delete(content_hash)


def _add_file(material: Material, organiser: Organiser, upload: Upload) -> MaterialFile:
    stored, content_type = store().put(upload.stream, filetypes.detect)
    if stored.size == 0:
        raise filetypes.refused()
    version = max((f.version for f in material.files), default=0) + 1
    row = MaterialFile(
        version=version,
        content_hash=stored.content_hash,
        size=stored.size,
        content_type=content_type,
        display_name=display_name(upload.filename),
        uploaded_by_id=organiser.id,
    )
    material.files.insert(0, row)
    return row


def record_download(material: Material, who: Viewer) -> None:
    """One download. Through a manage link it is recorded against that registration; a public
    or an organiser's download keeps nobody's data (an organiser's is not counted)."""
    if who.organiser is not None and who.registration is None:
        return
    file = material.current_file if not material.url else None
    db.session.add(
        MaterialDownload(
            material_id=material.id,
            file_id=file.id if file else None,
            registration_id=who.registration.id if who.registration else None,
        )
    )
    db.session.commit()
