"""imaging.render: checks by content, normalisation and variants (no app needed)."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from typing import cast

import pytest
from PIL import Image

from gallery.errors import TooLarge, UploadRejected
from gallery.media import imaging
from tests.support import sample_images as samples


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_jpeg_gets_three_variants_within_their_bounds() -> None:
    rendered = imaging.render(samples.jpeg((3000, 2000)))
    assert (rendered.format, rendered.extension, rendered.content_type) == (
        "jpeg",
        "jpg",
        "image/jpeg",
    )
    assert (rendered.width, rendered.height) == (3000, 2000)
    assert opened(rendered.files["original"]).size == (3000, 2000)
    assert opened(rendered.files["medium"]).size == (1080, 720)
    assert opened(rendered.files["thumb"]).size == (320, 213)
    assert rendered.sha256 == hashlib.sha256(rendered.files["original"]).hexdigest()
    assert rendered.byte_size == len(rendered.files["original"])


def test_small_image_is_never_enlarged() -> None:
    rendered = imaging.render(samples.png((200, 100)))
    assert {opened(f).size for f in rendered.files.values()} == {(200, 100)}


def test_orientation_6_is_applied_and_every_variant_is_clean() -> None:
    rendered = imaging.render(samples.jpeg_exif_gps((600, 400)))
    assert (rendered.width, rendered.height) == (400, 600)  # rotated to portrait
    for variant, data in rendered.files.items():
        assert samples.has_metadata(data) == [], variant
    original = opened(rendered.files["original"])
    # the red mark stored top-left ends top-right after a 90° clockwise rotation
    red, green, blue = samples.rgb_at(original, (original.width - 10, 10))
    assert red > 200 and green < 60 and blue < 60


def test_script_in_comment_and_trailing_html_come_out_clean() -> None:
    rendered = imaging.render(samples.jpeg_with_script_comment())
    for data in rendered.files.values():
        assert b"script" not in data and b"<html" not in data
        assert data.endswith(b"\xff\xd9")


def test_animated_gif_stays_animated_in_every_variant() -> None:
    rendered = imaging.render(samples.animated_gif(frames=4, size=(1600, 800)))
    assert rendered.format == "gif"
    for variant, data in rendered.files.items():
        image = opened(data)
        assert image.n_frames == 4, variant
        assert samples.has_metadata(data) == [], variant
    assert opened(rendered.files["thumb"]).size == (320, 160)


def test_cmyk_jpeg_becomes_rgb() -> None:
    rendered = imaging.render(samples.cmyk_jpeg())
    assert {opened(f).mode for f in rendered.files.values()} == {"RGB"}


def test_16_bit_png_is_scaled_not_clipped() -> None:
    rendered = imaging.render(samples.png_16bit())
    image = opened(rendered.files["original"])
    assert image.mode == "L"
    low, high = cast("tuple[int, int]", image.getextrema())  # one band: (min, max)
    assert low < 10 and 240 < high  # a ramp, not all white


def test_same_bytes_give_same_hash() -> None:
    data = samples.webp()
    assert imaging.render(data).sha256 == imaging.render(data).sha256


def test_placeholder_is_a_blurhash() -> None:
    placeholder = imaging.render(samples.jpeg()).placeholder
    assert 6 <= len(placeholder) <= 120 and not placeholder.startswith("#")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (samples.svg, "SVG"),
        (samples.html, "HTML"),
        (samples.pdf, "PDF"),
        (samples.bmp, "BMP"),
        (samples.tiff, "TIFF"),
        (samples.php_named_jpg, "PHP"),
        (samples.gif_php_polyglot, "not a supported image"),
        (samples.truncated_jpeg, "truncated or corrupt"),
        (samples.truncated_png, "truncated or corrupt"),
        (samples.corrupt_jpeg, "truncated or corrupt"),
        (lambda: b"", "empty"),
    ],
)
def test_refused_with_what_is_accepted(make: Callable[[], bytes], message: str) -> None:
    with pytest.raises(UploadRejected) as caught:
        imaging.render(make())
    text = str(caught.value.message)
    assert message in text
    assert "JPEG, PNG, GIF or WebP" in text


def test_pixel_bomb_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    data = samples.png_bomb()
    assert len(data) < 13 * 1024
    decoded = []
    monkeypatch.setattr(imaging, "decode_all", lambda image: decoded.append(image))
    started = time.perf_counter()
    with pytest.raises(TooLarge) as caught:
        imaging.render(data)
    assert time.perf_counter() - started < 0.5
    assert decoded == []
    assert caught.value.code == "too_many_pixels"
    assert "too many pixels" in str(caught.value.message)
    assert "40 megapixels" in str(caught.value.message)


def test_pixel_limit_names_the_size() -> None:
    with pytest.raises(TooLarge, match=r"\(800×600\); the limit is 0.4 megapixels"):
        imaging.render(samples.jpeg((800, 600)), imaging.Limits(max_pixels=400_000))


def test_byte_limit() -> None:
    with pytest.raises(TooLarge, match="limit of 10 KB"):
        imaging.render(samples.jpeg((800, 600)), imaging.Limits(max_bytes=10 * 1024))


def test_frame_limit() -> None:
    with pytest.raises(TooLarge, match="5 frames; the limit is 3"):
        imaging.render(samples.animated_gif(frames=5), imaging.Limits(max_frames=3))


def test_animated_webp_stays_animated() -> None:
    rendered = imaging.render(samples.animated_webp(frames=3))
    assert rendered.format == "webp"
    assert {opened(f).n_frames for f in rendered.files.values()} == {3}


def test_palette_png_keeps_its_transparency() -> None:
    rendered = imaging.render(samples.palette_png_with_transparency())
    original = opened(rendered.files["original"])
    assert original.mode == "P" and original.info.get("transparency") == 0
    assert opened(rendered.files["thumb"]).mode == "RGBA"


def test_draft_decoded_variants_are_turned_like_the_original() -> None:
    rendered = imaging.render(samples.jpeg_exif_gps((3000, 2000)))
    assert (rendered.width, rendered.height) == (2000, 3000)
    medium = opened(rendered.files["medium"])
    assert medium.size == (720, 1080)
    assert opened(rendered.files["thumb"]).size == (213, 320)
    red, green, blue = samples.rgb_at(medium, (medium.width - 3, 3))
    assert red > 200 and green < 60 and blue < 60
