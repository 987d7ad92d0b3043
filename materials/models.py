"""A material of the library (a good example, a model, slides…), its file versions, who may
have it, what it belongs to, and who took it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow
from core.models import Organiser
from events.models import Event, Session

CATEGORIES = ("good_example", "model", "template", "guide", "presentation", "report", "other")
AUDIENCES = ("public", "registrants", "attendees", "organisers")
# What a MaterialLabel row says about its material.
LABEL_KINDS = ("language", "target_group", "audience_group", "tag")

material_event = sa.Table(
    "material_event",  # the events a material belongs to (shown on their pages)
    db.metadata,
    sa.Column("material_id", sa.ForeignKey("material.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("event_id", sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_material_event_event_id", "event_id"),
)

material_session = sa.Table(
    "material_session",  # the sessions it belongs to (a workshop's slides)
    db.metadata,
    sa.Column("material_id", sa.ForeignKey("material.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "session_id", sa.ForeignKey("event_session.id", ondelete="CASCADE"), primary_key=True
    ),
)

material_audience_event = sa.Table(
    "material_audience_event",  # registrants or attendees of which events may have it
    db.metadata,
    sa.Column("material_id", sa.ForeignKey("material.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("event_id", sa.ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_material_audience_event_event_id", "event_id"),
)


class Material(db.Model):
    __tablename__ = "material"
    __table_args__ = (
        sa.CheckConstraint(
            "category IN ('good_example', 'model', 'template', 'guide', 'presentation', "
            "'report', 'other')",
            name="category",
        ),
        sa.CheckConstraint(
            "audience IN ('public', 'registrants', 'attendees', 'organisers')", name="audience"
        ),
        sa.Index("ix_material_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))  # in `language`
    description: Mapped[str] = mapped_column(sa.Text, default="")  # plain text, in `language`
    language: Mapped[str] = mapped_column(sa.String(2), default="sv")  # of title/description
    # The title and description in the other languages, as Event.translations.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    category: Mapped[str] = mapped_column(sa.String(20))
    # An external link instead of a file (http or https only); None when it has files.
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    # Who may have it (materials/audience.py); for registrants and attendees the events are in
    # material_audience_event and the narrowing target groups in labels (audience_group).
    audience: Mapped[str] = mapped_column(sa.String(12), default="public")
    # Words of every language's title, description and tags, each stemmed in that language
    # (materials/search.py): the SQLite search. " stem stem … " with spaces at both ends.
    search_stems: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The same texts per language {"sv": "…", "fi": "…"}: PostgreSQL's full-text search.
    search_text: Mapped[dict] = mapped_column(sa.JSON, default=dict, server_default="{}")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by: Mapped[Organiser | None] = relationship()
    files: Mapped[list[MaterialFile]] = relationship(
        back_populates="material",
        cascade="all, delete-orphan",
        order_by="MaterialFile.version.desc()",
    )
    labels: Mapped[list[MaterialLabel]] = relationship(
        cascade="all, delete-orphan", order_by="(MaterialLabel.kind, MaterialLabel.value)"
    )
    events: Mapped[list[Event]] = relationship(secondary=material_event, order_by=Event.starts_at)
    sessions: Mapped[list[Session]] = relationship(secondary=material_session)
    audience_events: Mapped[list[Event]] = relationship(secondary=material_audience_event)

    def values(self, kind: str) -> list[str]:
        return [label.value for label in self.labels if label.kind == kind]

    @property
    def languages(self) -> list[str]:  # the languages it is written in
        return self.values("language")

    @property
    def target_groups(self) -> list[str]:  # whom it is for (a filter, not a permission)
        return self.values("target_group")

    @property
    def audience_groups(self) -> list[str]:  # the audience narrowed to these; [] all
        return self.values("audience_group")

    @property
    def tags(self) -> list[str]:
        return self.values("tag")

    @property
    def current_file(self) -> MaterialFile | None:
        """The newest version: what people get."""
        return self.files[0] if self.files else None


class MaterialLabel(db.Model):
    """One language, target group, audience group or tag of a material."""

    __tablename__ = "material_label"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('language', 'target_group', 'audience_group', 'tag')", name="kind"
        ),
        sa.Index("ix_material_label_kind_value", "kind", "value"),
    )

    material_id: Mapped[int] = mapped_column(
        sa.ForeignKey("material.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(60), primary_key=True)


class MaterialFile(db.Model):
    """One uploaded version; the stored bytes are named by their hash (materials/storage.py)."""

    __tablename__ = "material_file"
    __table_args__ = (
        sa.UniqueConstraint("material_id", "version", name="uq_material_file_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("material.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()  # 1, 2, …: the highest is the current one
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)  # sha256 hex
    size: Mapped[int] = mapped_column(sa.BigInteger)  # bytes
    content_type: Mapped[str] = mapped_column(sa.String(120))  # as found from the content
    display_name: Mapped[str] = mapped_column(sa.String(200))  # sanitised (materials/names.py)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    material: Mapped[Material] = relationship(back_populates="files")


class MaterialDownload(db.Model):
    """One download or opened link. A public one keeps no personal data (registration None);
    one through a manage link is recorded against that registration."""

    __tablename__ = "material_download"
    __table_args__ = (sa.Index("ix_material_download_material", "material_id", "downloaded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("material.id", ondelete="CASCADE"))
    file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("material_file.id", ondelete="SET NULL")
    )
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    downloaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


DISTRIBUTION_AUDIENCES = ("attendees", "registrants")
DISTRIBUTION_STATUSES = ("scheduled", "sending", "done")

distribution_material = sa.Table(
    "distribution_material",
    db.metadata,
    sa.Column(
        "distribution_id", sa.ForeignKey("distribution.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("material_id", sa.ForeignKey("material.id", ondelete="CASCADE"), primary_key=True),
)


class Distribution(db.Model):
    """Materials sent to an event's people through the outbox, at send_at (materials/
    distribution.py). Resumable: who has been reached is in DistributionRecipient."""

    __tablename__ = "distribution"
    __table_args__ = (
        sa.CheckConstraint("audience IN ('attendees', 'registrants')", name="audience"),
        sa.CheckConstraint("status IN ('scheduled', 'sending', 'done')", name="status"),
        sa.Index("ix_distribution_due", "status", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(sa.String(12))  # attendees or all registrants
    target_groups: Mapped[list] = mapped_column(sa.JSON, default=list)  # [] every group
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)  # "when the event ends": ends_at
    status: Mapped[str] = mapped_column(sa.String(10), default="scheduled")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organiser.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    materials: Mapped[list[Material]] = relationship(secondary=distribution_material)


class DistributionRecipient(db.Model):
    """A person a distribution has reached: its message is in the outbox. The unique pair is
    the proof that nobody gets it twice, whatever stops and starts."""

    __tablename__ = "distribution_recipient"
    __table_args__ = (
        sa.UniqueConstraint("distribution_id", "registration_id", name="uq_distribution_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        sa.ForeignKey("distribution.id", ondelete="CASCADE")
    )
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE")
    )
    outbox_message_id: Mapped[int | None] = mapped_column()  # the queued message
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
