"""Good and bad upload files, made with Pillow in the tests (no binary fixtures)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageCms

GPS_LATITUDE = (48.0, 51.0, 29.0)
METADATA_MARKERS = (b"Exif", b"GPS", b"<script", b"<?php", b"xpacket", b"ICC_PROFILE", b"secret")


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def gradient(size: tuple[int, int] = (640, 480), mode: str = "RGB") -> Image.Image:
    """A non-flat picture (flat ones compress to nothing and hide resampling bugs)."""
    width, height = size
    red = Image.linear_gradient("L").resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.new("L", size, 90)
    image = Image.merge("RGB", (red, green, blue))
    return image.convert(mode) if mode != "RGB" else image


def jpeg(size: tuple[int, int] = (640, 480), **options: Any) -> bytes:
    return encode(gradient(size), "JPEG", quality=90, **options)


def png(size: tuple[int, int] = (320, 200), mode: str = "RGBA") -> bytes:
    return encode(gradient(size, mode), "PNG")


def webp(size: tuple[int, int] = (400, 300)) -> bytes:
    return encode(gradient(size), "WEBP", quality=80)


def exif_with_gps(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SecretCam"  # Make
    exif[0x9286] = "secret user comment"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.0)
    return exif


def jpeg_exif_gps(size: tuple[int, int] = (600, 400)) -> bytes:
    """A landscape-stored JPEG whose EXIF says 'rotate 90° clockwise' (6), with GPS."""
    image = gradient(size)
    image.paste((255, 0, 0), (0, 0, 60, 60))  # red mark top-left of the stored pixels
    return encode(
        image,
        "JPEG",
        quality=92,
        exif=exif_with_gps(6),
        comment=b"secret camera comment",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        xmp=b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta>secret</x:xmpmeta>',
    )


def jpeg_with_script_comment() -> bytes:
    """HTML in a COM segment and appended after the end-of-image marker."""
    data = jpeg((300, 200), comment=b"<script>alert(1)</script>")
    return data + b"<html><script>alert(2)</script></html>"


def php_named_jpg() -> bytes:
    return b"<?php echo system($_GET['c']); ?>\n"


def gif_php_polyglot() -> bytes:
    """Starts like a GIF, continues as a PHP script: not a decodable image."""
    return b"GIF89a<?php system($_GET['c']); ?>" + b"\x00" * 40


def animated_gif(frames: int = 4, size: tuple[int, int] = (120, 80)) -> bytes:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]
    images = [Image.new("RGB", size, colours[i % len(colours)]) for i in range(frames)]
    return encode(
        images[0],
        "GIF",
        save_all=True,
        append_images=images[1:],
        duration=80,
        loop=0,
        comment=b"secret gif comment",
    )


def cmyk_jpeg(size: tuple[int, int] = (300, 200)) -> bytes:
    return encode(gradient(size).convert("CMYK"), "JPEG", quality=90)


def png_16bit(size: tuple[int, int] = (256, 64)) -> bytes:
    image = Image.new("I;16", size)
    image.putdata([(x * 256) + 128 for _y in range(size[1]) for x in range(size[0])])
    return encode(image, "PNG")


def png_bomb() -> bytes:
    """About 11 KiB that declares 10000×10000 pixels."""
    return encode(Image.new("1", (10000, 10000), 0), "PNG", optimize=True)


def truncated_jpeg() -> bytes:
    data = jpeg((800, 600))
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = png((400, 400), "RGB")
    return data[: len(data) - 200]


def corrupt_jpeg() -> bytes:
    data = bytearray(jpeg((400, 300)))
    for i in range(600, len(data) - 10, 7):
        data[i] = 0xFF
    return bytes(data)


def svg() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script></svg>"
    )


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def pdf() -> bytes:
    return encode(gradient((100, 100)), "PDF")


def bmp() -> bytes:
    return encode(gradient((100, 100)), "BMP")


def tiff() -> bytes:
    return encode(gradient((100, 100)), "TIFF")


def rgb_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    """One pixel's (red, green, blue)."""
    pixel = image.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def has_metadata(data: bytes) -> list[str]:
    """The metadata markers found in a stored file (expected: none)."""
    found = [marker.decode() for marker in METADATA_MARKERS if marker in data]
    image = Image.open(io.BytesIO(data))
    for key in ("exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp"):
        if image.info.get(key):
            found.append(f"info[{key}]")
    if image.format == "JPEG" and not data.endswith(b"\xff\xd9"):
        found.append("bytes after the end of image")
    if image.getexif():
        found.append("exif tags")
    return found


def animated_webp(frames: int = 3, size: tuple[int, int] = (200, 100)) -> bytes:
    images = [gradient(size).rotate(i * 30) for i in range(frames)]
    return encode(images[0], "WEBP", save_all=True, append_images=images[1:], duration=100, loop=0)


def palette_png_with_transparency(size: tuple[int, int] = (300, 200)) -> bytes:
    image = gradient(size).convert("P", palette=Image.Palette.ADAPTIVE)
    return encode(image, "PNG", transparency=0)
