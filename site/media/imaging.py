"""Image checks by content, normalisation (orientation, sRGB, no metadata) and variants.

Everything is decided from the bytes, never from a file name or a Content-Type.
Every stored file, the original included, is re-encoded from pixels, so no
EXIF/GPS, XMP, ICC profile, comment or trailing byte of the upload survives.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import blurhash
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from gallery.errors import TooLarge, UploadRejected
from gallery.formats import human_size

# Pillow format name -> our format name, file extension, content type
FORMATS: dict[str, tuple[str, str, str]] = {
    "JPEG": ("jpeg", "jpg", "image/jpeg"),
    "PNG": ("png", "png", "image/png"),
    "GIF": ("gif", "gif", "image/gif"),
    "WEBP": ("webp", "webp", "image/webp"),
}
EXTENSIONS = {ext: content_type for _, ext, content_type in FORMATS.values()}
ACCEPTED = "JPEG, PNG, GIF or WebP"

# Longest side of each resized variant; the original keeps its size.
VARIANT_BOUNDS: dict[str, int] = {"medium": 1080, "thumb": 320}
VARIANTS = ("thumb", "medium", "original")

JPEG_QUALITY = 88
WEBP_QUALITY = 85
REDUCING_GAP = 2.0

# Leading bytes of formats people try to upload, to name them in the refusal.
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", _l("a PDF document")),
    (b"BM", _l("a BMP image")),
    (b"II*\x00", _l("a TIFF image")),
    (b"MM\x00*", _l("a TIFF image")),
    (b"<?php", _l("a PHP script")),
    (b"<svg", _l("an SVG drawing")),
    (b"<?xml", _l("an XML or SVG document")),
    (b"<!doctype html", _l("an HTML page")),
    (b"<html", _l("an HTML page")),
    (b"PK\x03\x04", _l("a ZIP archive")),
    (b"\x00\x00\x00\x0cjP", _l("a JPEG 2000 image")),
)


@dataclass
class Limits:
    """What an upload may be; built from the app config by uploads.limits()."""

    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_frames: int = 300
    max_animation_pixels: int = 100_000_000


@dataclass
class Rendered:
    """The normalised image: one encoded file per variant, plus what the row needs."""

    format: str
    extension: str
    content_type: str
    width: int
    height: int
    sha256: str
    placeholder: str
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def byte_size(self) -> int:
        return len(self.files["original"])


def reject(detail: str = "") -> UploadRejected:
    """A 415 that says what was wrong and what is accepted."""
    if detail:
        return UploadRejected(
            _("%(reason)s Accepted formats: %(formats)s.", reason=detail, formats=ACCEPTED)
        )
    return UploadRejected(_("Accepted formats: %(formats)s.", formats=ACCEPTED))


def describe_unknown(data: bytes) -> str:
    """Name a refused file's kind from its first bytes, for the message."""
    head = data[:64].lstrip().lower()
    if b"<svg" in data[:1024].lower():
        return _("This file is an SVG drawing, not a supported image.")
    for magic, name in _KNOWN_OTHERS:
        if head.startswith(magic.lower()):
            return _("This file is %(kind)s, not a supported image.", kind=name)
    return _("This file is not a supported image.")


def open_image(data: bytes, limits: Limits) -> Image.Image:
    """Open by content, only as one of FORMATS, refusing bombs before any decoding."""
    if not data:
        raise reject(_("The file is empty."))
    if len(data) > limits.max_bytes:
        raise too_large_bytes(limits)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except UnidentifiedImageError:
            raise reject(describe_unknown(data)) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels(limits) from None
        except (OSError, SyntaxError, ValueError) as error:
            raise reject(_("The image could not be read (%(error)s).", error=error)) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise reject(_("The image has no pixels."))
    if width * height > limits.max_pixels:
        raise too_many_pixels(limits, width, height)
    frames = getattr(image, "n_frames", 1)
    if frames > limits.max_frames:
        raise TooLarge(
            _(
                "The animation has %(frames)s frames; the limit is %(limit)s.",
                frames=frames,
                limit=limits.max_frames,
            ),
            code="too_many_frames",
        )
    if frames * width * height > limits.max_animation_pixels:
        raise TooLarge(
            _(
                "The animation is too big (%(frames)s frames of %(width)s×%(height)s); "
                "the limit is %(limit)s megapixels over all frames.",
                frames=frames,
                width=width,
                height=height,
                limit=limits.max_animation_pixels // 1_000_000,
            ),
            code="too_many_pixels",
        )
    return image


def too_large_bytes(limits: Limits) -> TooLarge:
    return TooLarge(
        _("The file is larger than the limit of %(size)s.", size=human_size(limits.max_bytes)),
        limit_bytes=limits.max_bytes,
    )


def too_many_pixels(limits: Limits, width: int = 0, height: int = 0) -> TooLarge:
    limit = f"{limits.max_pixels / 1_000_000:g}"
    if width:
        message = _(
            "The image has too many pixels (%(width)s×%(height)s); "
            "the limit is %(limit)s megapixels.",
            width=width,
            height=height,
            limit=limit,
        )
    else:
        message = _(
            "The image has too many pixels; the limit is %(limit)s megapixels.", limit=limit
        )
    return TooLarge(
        message,
        code="too_many_pixels",
        limit_pixels=limits.max_pixels,
    )


def decode_all(image: Image.Image) -> None:
    """Decode every frame so that truncated and corrupt files fail here."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            for frame in ImageSequence.Iterator(image):
                frame.load()
            image.seek(0)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise reject(f"The image is truncated or corrupt ({error}).") from None


def to_srgb(image: Image.Image) -> Image.Image:
    """Convert from an embedded ICC profile to sRGB; plain mode conversion otherwise."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            target = ImageCms.createProfile("sRGB")
            out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            if image.mode == "L":
                out_mode = "L"
                target = None  # grey stays grey; the profile is dropped
            if target is not None:
                converted = ImageCms.profileToProfile(image, source, target, outputMode=out_mode)
                if converted is not None:
                    image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile is dropped; pixels are converted plainly below
    return image


def normalise_mode(image: Image.Image, fmt: str) -> Image.Image:
    """Bring any decoded mode into one the output format stores well."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scale to 8 bits instead of clipping everything to white.
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif mode == "CMYK":
        image = image.convert("RGB")
    elif mode not in ("1", "L", "LA", "P", "PA", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in mode else "RGB")
    if fmt == "jpeg" and image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return image


def prepare(image: Image.Image, fmt: str) -> Image.Image:
    """Orientation applied, colours in sRGB, a supported mode, and no metadata left."""
    kept = {k: image.info[k] for k in ("transparency", "duration", "loop") if k in image.info}
    image.load()
    ImageOps.exif_transpose(image, in_place=True)  # no full-size copy when nothing turns
    image = to_srgb(image)
    image = normalise_mode(image, fmt)
    image.info = {k: v for k, v in kept.items() if k != "transparency" or image.mode in ("P", "L")}
    return image


def encode(frames: list[Image.Image], fmt: str, durations: list[int], loop: int) -> bytes:
    """Encode one still image or an animation, passing no metadata to the encoder."""
    out = io.BytesIO()
    first = frames[0]
    options: dict[str, object] = {}
    if fmt == "jpeg":
        options = {"quality": JPEG_QUALITY, "optimize": True, "progressive": True}
    elif fmt == "png":
        options = {"optimize": False, "compress_level": 6}
    elif fmt == "webp":
        options = {"quality": WEBP_QUALITY, "method": 4}
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:], duration=durations, loop=loop)
    elif fmt == "gif" and "transparency" in first.info:
        options["transparency"] = first.info["transparency"]
    elif fmt == "png" and "transparency" in first.info:
        options["transparency"] = first.info["transparency"]
    first.save(out, format=fmt.upper(), **options)
    return out.getvalue()


def fit(image: Image.Image, bound: int) -> Image.Image:
    """Shrink to fit a bound×bound box (never enlarge), via reduce() first."""
    if image.mode in ("P", "PA", "1"):
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    else:
        image = image.copy()
    image.thumbnail((bound, bound), Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def frames_of(image: Image.Image, fmt: str) -> Iterator[tuple[Image.Image, int]]:
    """Each frame prepared, with its duration in milliseconds."""
    for frame in ImageSequence.Iterator(image):
        duration = int(frame.info.get("duration", 100) or 100)
        yield prepare(frame.copy(), fmt), duration


def render(data: bytes, limits: Limits | None = None) -> Rendered:
    """Check the bytes and make every variant; raises UploadRejected or TooLarge."""
    limits = limits or Limits()
    image = open_image(data, limits)
    fmt, extension, content_type = FORMATS[image.format or ""]
    decode_all(image)
    animated = getattr(image, "n_frames", 1) > 1
    if animated:
        files, size = render_animation(image, fmt)
    else:
        files, size = render_still(data, image, fmt, limits)
    width, height = size
    return Rendered(
        format=fmt,
        extension=extension,
        content_type=content_type,
        width=width,
        height=height,
        sha256=hashlib.sha256(files["original"]).hexdigest(),
        placeholder=placeholder(files["thumb"]),
        files=files,
    )


def render_still(
    data: bytes, image: Image.Image, fmt: str, limits: Limits
) -> tuple[dict[str, bytes], tuple[int, int]]:
    """Full-size original, then the resized variants from a second, cheaper decode."""
    full = prepare(image, fmt)
    size = full.size
    files = {"original": encode([full], fmt, [], 0)}
    del full
    image.close()
    files.update(render_variants(data, fmt, limits))
    return files, size


def render_variants(data: bytes, fmt: str, limits: Limits) -> dict[str, bytes]:
    """Medium from a draft-scaled decode (JPEG), shrunk with reduce() first; thumb from medium."""
    source = open_image(data, limits)
    if fmt == "jpeg":
        # Let the JPEG decoder scale by 1/2, 1/4 or 1/8 while decoding (DCT scaling).
        source.draft(source.mode, (VARIANT_BOUNDS["medium"],) * 2)
    medium = fit(prepare(source, fmt), VARIANT_BOUNDS["medium"])
    source.close()
    thumb = fit(medium, VARIANT_BOUNDS["thumb"])
    return {"medium": encode([medium], fmt, [], 0), "thumb": encode([thumb], fmt, [], 0)}


def render_animation(image: Image.Image, fmt: str) -> tuple[dict[str, bytes], tuple[int, int]]:
    """Animations stay animated in every variant."""
    loop = int(image.info.get("loop", 0) or 0)
    originals: list[Image.Image] = []
    durations: list[int] = []
    for frame, duration in frames_of(image, fmt):
        originals.append(frame)
        durations.append(duration)
    files = {"original": encode(originals, fmt, durations, loop)}
    size = originals[0].size
    for name, bound in VARIANT_BOUNDS.items():
        files[name] = encode([fit(f, bound) for f in originals], fmt, durations, loop)
    return files, size


def placeholder(thumb_bytes: bytes) -> str:
    """A blurhash of the thumb; its average colour if blurhash fails."""
    with Image.open(io.BytesIO(thumb_bytes)) as thumb:
        small = thumb.convert("RGB")
        small.thumbnail((64, 64))
        try:
            with warnings.catch_warnings():
                # blurhash-python still calls Image.getdata(), deprecated in Pillow 13
                warnings.simplefilter("ignore", DeprecationWarning)
                return str(blurhash.encode(small, 4, 3))
        except Exception:  # noqa: BLE001 - a placeholder is never worth a failed upload
            red, green, blue = small.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
            return f"#{red:02x}{green:02x}{blue:02x}"


# --- avatars: one square still image, same checks and normalisation --------------------------

AVATAR_BOUNDS: dict[str, int] = {"original": 512, "medium": 256, "thumb": 96}


def render_avatar(data: bytes, limits: Limits | None = None) -> Rendered:
    """A square JPEG avatar in every variant: checked and normalised like an upload
    (orientation, sRGB, no metadata), the first frame of an animation, centre-cropped."""
    limits = limits or Limits()
    image = open_image(data, limits)
    decode_all(image)
    image.seek(0)
    still = prepare(image.copy(), "png")
    if still.mode not in ("RGB", "L"):
        rgba = still.convert("RGBA")
        still = Image.new("RGB", rgba.size, (255, 255, 255))
        still.paste(rgba, mask=rgba.getchannel("A"))
    still = still.convert("RGB")
    side = min(still.size)
    files = {
        name: encode(
            [ImageOps.fit(still, (min(side, bound),) * 2, Image.Resampling.LANCZOS)],
            "jpeg",
            [],
            0,
        )
        for name, bound in AVATAR_BOUNDS.items()
    }
    size = min(side, AVATAR_BOUNDS["original"])
    return Rendered(
        format="jpeg",
        extension="jpg",
        content_type="image/jpeg",
        width=size,
        height=size,
        sha256=hashlib.sha256(files["original"]).hexdigest(),
        placeholder=placeholder(files["thumb"]),
        files=files,
    )
