"""All tables: users and roles (Flask-Security-Too), images, comments, likes,
picks, reports, the audit log, operation runs and albums."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_security.models import fsqla_v3 as fsqla
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym, validates

from gallery.extensions import db
from gallery.skeletons import skeleton

fsqla.FsModels.set_db_info(db, user_table_name="user", role_table_name="role")


def utcnow() -> dt.datetime:
    """Naive UTC now: every timestamp in the database is UTC without tzinfo."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    """Today's date in UTC (picks and every other per-day rule use UTC days)."""
    return utcnow().date()


# Image.status values
VISIBLE = "visible"
HIDDEN = "hidden"
PENDING = "pending"  # crawled, waiting for a moderator
REJECTED = "rejected"  # crawled and turned down (purged later like hidden)
IMAGE_STATUSES = (VISIBLE, HIDDEN, PENDING, REJECTED)

# Image.source values
SOURCE_UPLOAD = "upload"
SOURCE_CRAWL = "crawl"
SOURCE_SEED = "seed"
SOURCE_IMPORT = "import"


class Role(db.Model, fsqla.FsRoleMixin):
    """A named set of permissions (see gallery.roles)."""

    __tablename__ = "role"


class User(db.Model, fsqla.FsUserMixin):
    """A member account; Flask-Security-Too owns most of the columns."""

    __tablename__ = "user"

    # Stamped by the app's clock (UTC), not the database server's local NOW().
    create_datetime = Column(DateTime, nullable=False, server_default=func.now(), default=utcnow)
    update_datetime = Column(
        DateTime, nullable=False, server_default=func.now(), default=utcnow, onupdate=utcnow
    )
    created_at = synonym("create_datetime")
    # look-alike usernames share a skeleton; registration refuses a second one
    username_skeleton = Column(String(255), index=True, nullable=True)
    images: Mapped[list[Image]] = relationship(
        back_populates="author", lazy="dynamic", foreign_keys="Image.user_id"
    )

    @validates("username")
    def _keep_skeleton(self, key: str, username: str | None) -> str | None:
        self.username_skeleton = skeleton(username) if username else None
        return username

    # the profile the member edits on the account page
    display_name: Mapped[str | None] = mapped_column(String(64))
    bio: Mapped[str | None] = mapped_column(String(500))
    avatar_key: Mapped[str | None] = mapped_column(String(128))  # storage prefix of the avatar

    @property
    def handle(self) -> str:
        """The stable name of the account (audit log, messages): its username."""
        return self.username or self.email.split("@", 1)[0]

    @property
    def shown_name(self) -> str:
        """The display name the member chose, else the username."""
        return self.display_name or self.handle

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Image(db.Model):
    """One uploaded, crawled or seeded image and its stored variants."""

    __tablename__ = "image"
    __table_args__ = (
        Index("ix_image_feed", "status", "created_at", "id"),
        Index("ix_image_profile", "user_id", "status", "created_at", "id"),
        # one copy of the same content per member: a second concurrent upload fails here
        Index("ix_image_user_sha", "user_id", "sha256", unique=True),
        Index("ix_image_status_hidden", "status", "hidden_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=False)
    caption: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=VISIBLE)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    hidden_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    # stored content
    storage_key: Mapped[str] = mapped_column(String(128), unique=True)
    format: Mapped[str] = mapped_column(String(8))  # jpeg, png, gif, webp
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer, default=0)
    placeholder: Mapped[str] = mapped_column(String(120), default="#cccccc")

    # counters (views are buffered in Redis and flushed in batches)
    views: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    shop_clicks: Mapped[int] = mapped_column(Integer, default=0)
    hot_score: Mapped[float] = mapped_column(Float, default=0.0, index=True)

    # shop link ("buy it here")
    shop_url: Mapped[str | None] = mapped_column(String(2048))
    shop_title: Mapped[str | None] = mapped_column(String(200))

    # provenance
    source: Mapped[str] = mapped_column(String(16), default=SOURCE_UPLOAD)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    source_url_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    source_page_url: Mapped[str | None] = mapped_column(String(2048))
    licence: Mapped[str | None] = mapped_column(String(255))
    credit: Mapped[str | None] = mapped_column(String(255))

    author: Mapped[User] = relationship(back_populates="images", foreign_keys=[user_id])

    @property
    def is_public(self) -> bool:
        return self.status == VISIBLE

    def __repr__(self) -> str:
        return f"<Image {self.id} {self.status}>"


class Comment(db.Model):
    """A plain-text comment on an image."""

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_image", "image_id", "status", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("image.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=VISIBLE)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    hidden_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    author: Mapped[User] = relationship()
    image: Mapped[Image] = relationship()


class Like(db.Model):
    """One member likes one image (at most once)."""

    __tablename__ = "like"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    image_id: Mapped[int] = mapped_column(
        ForeignKey("image.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Pick(db.Model):
    """An image picked for a date, scheduled by a moderator or chosen automatically."""

    __tablename__ = "pick"
    __table_args__ = (
        UniqueConstraint("date", "image_id", name="uq_pick_date_image"),
        Index("ix_pick_date", "date", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer, default=0)
    image_id: Mapped[int] = mapped_column(ForeignKey("image.id", ondelete="CASCADE"))
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    image: Mapped[Image] = relationship()
    scheduled_by: Mapped[User | None] = relationship()


# Report.status values
REPORT_OPEN = "open"
REPORT_RESOLVED = "resolved"
REPORT_DISMISSED = "dismissed"
REPORT_REASONS = ("spam", "nudity", "violence", "harassment", "copyright", "other")


class Report(db.Model):
    """A member's report on an image or a comment; never hides anything by itself."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("reporter_id", "target_type", "target_id", name="uq_report_once"),
        Index("ix_report_target", "status", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    target_type: Mapped[str] = mapped_column(String(16))  # image | comment
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=REPORT_OPEN)
    resolution: Mapped[str | None] = mapped_column(String(255))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class AuditLog(db.Model):
    """Who did what to which target, when, with the state before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_name: Mapped[str] = mapped_column(String(255), default="")
    origin: Mapped[str] = mapped_column(String(16), default="admin")  # admin|page|api|cli|job
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()


class OperationRun(db.Model):
    """One run of an operator command (seed, crawl, import, purge) and its counts."""

    __tablename__ = "operation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    args: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DailyViews(db.Model):
    """Views counted per UTC day (added at each flush of the buffered counters)."""

    __tablename__ = "daily_views"

    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(db.Model):
    """A member's named token for scripts; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


# --- discovery: tags, the search index, follows, notifications ----------------


def exact_string(length: int) -> String:
    """A string compared byte for byte on MariaDB too (its default collation folds
    accents and case, so 'café' and 'cafe' would collide in a unique index)."""
    return String(length).with_variant(
        mysql.VARCHAR(length, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
    )


class Tag(db.Model):
    """A #tag used in captions (stored case-folded)."""

    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(exact_string(64), unique=True)
    # a moderator may keep a tag out of the trending list (its page stays)
    hidden_from_trending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ImageTag(db.Model):
    """An image carries a tag; created_at copies the image's, for the tag page's keyset."""

    __tablename__ = "image_tag"
    __table_args__ = (Index("ix_image_tag_feed", "tag_id", "created_at", "image_id"),)

    image_id: Mapped[int] = mapped_column(
        ForeignKey("image.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SearchTerm(db.Model):
    """The search index: one row per (word or CJK n-gram, image). Latin words are
    case-folded whole words; CJK runs give their single characters and bigrams, so a
    2-character Chinese word is one exact term on SQLite and MariaDB alike."""

    __tablename__ = "search_term"
    __table_args__ = (
        Index("ix_search_term_rank", "term", "weight", "image_id"),
        Index("ix_search_term_image", "image_id"),
    )

    term: Mapped[str] = mapped_column(exact_string(64), primary_key=True)
    image_id: Mapped[int] = mapped_column(
        ForeignKey("image.id", ondelete="CASCADE"), primary_key=True
    )
    weight: Mapped[int] = mapped_column(Integer, default=1)  # 2: a tag, 1: caption text


class Follow(db.Model):
    """A member follows another member."""

    __tablename__ = "follow"
    __table_args__ = (Index("ix_follow_followed", "followed_id", "follower_id"),)

    follower_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# Notification.kind values
NOTIFY_LIKE = "like"
NOTIFY_COMMENT = "comment"
NOTIFY_FOLLOW = "follow"
NOTIFY_PICK = "pick"
NOTIFY_HIDDEN = "hidden"


class Notification(db.Model):
    """Something that happened to a member's work. Likes of one image group into one
    unread row ("alice and 3 others liked your image")."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_inbox", "user_id", "created_at", "id"),
        Index("ix_notification_group", "user_id", "kind", "image_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    actor_ids: Mapped[list[int] | None] = mapped_column(JSON)  # every actor of a group
    actor_count: Mapped[int] = mapped_column(Integer, default=1)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("image.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    image: Mapped[Image | None] = relationship()
    comment: Mapped[Comment | None] = relationship()


# Album.visibility values
ALBUM_PUBLIC = "public"  # listed on the profile
ALBUM_UNLISTED = "unlisted"  # reachable by its link only
ALBUM_VISIBILITIES = (ALBUM_PUBLIC, ALBUM_UNLISTED)


class Album(db.Model):
    """A member's ordered selection of images, with a title, a description and a cover."""

    __tablename__ = "album"
    __table_args__ = (Index("ix_album_owner", "user_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str | None] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=ALBUM_PUBLIC)
    cover_image_id: Mapped[int | None] = mapped_column(ForeignKey("image.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship()
    cover: Mapped[Image | None] = relationship()


class AlbumImage(db.Model):
    """One image at one position of an album (keyset pages seek on position, image_id)."""

    __tablename__ = "album_image"
    __table_args__ = (Index("ix_album_image_position", "album_id", "position", "image_id"),)

    album_id: Mapped[int] = mapped_column(
        ForeignKey("album.id", ondelete="CASCADE"), primary_key=True
    )
    image_id: Mapped[int] = mapped_column(
        ForeignKey("image.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
