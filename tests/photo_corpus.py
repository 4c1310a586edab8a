"""Uploads for the photo tests, made here rather than committed as binaries: real images (with
GPS EXIF, rotated, HEIC, PNG with transparency) and a hostile corpus (an HTML ".jpg", an SVG
with a script, a PHP polyglot, a zero-byte file, 50 MB, a 20,000 × 20,000 PNG under 1 MB)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

PHP = b"<?php system($_GET['c']); ?>"
SCRIPT = b"<script>alert(document.cookie)</script>"


def jpeg(width: int = 64, height: int = 48, colour=(180, 120, 90), **save) -> bytes:
    """A real JPEG: left half ``colour``, right half blue, so orientation can be told."""
    image = Image.new("RGB", (width, height), colour)
    image.paste((20, 40, 200), (width // 2, 0, width, height))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF holds a camera, a GPS position and an orientation of 6 (rotate 90°)."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0112] = 6  # Orientation: the camera was turned; displayed it is taller than wide
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (51.0, 30.0, 26.0)
    gps[3] = "W"
    gps[4] = (0.0, 7.0, 39.0)
    return jpeg(80, 40, exif=exif.tobytes())


def png(width: int = 40, height: int = 30, mode: str = "RGBA") -> bytes:
    image = Image.new(mode, (width, height), (10, 200, 10, 128) if mode == "RGBA" else 128)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def webp(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 90, 200)).save(out, format="WEBP", quality=80)
    return out.getvalue()


def heic(width: int = 64, height: int = 48) -> bytes:
    """A real HEIC, encoded by libheif's HEVC encoder (pillow-heif)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="HEIF", quality=80)
    return out.getvalue()


def php_polyglot() -> bytes:
    """A valid JPEG carrying PHP in a comment segment (after SOI) and again after its end."""
    real = jpeg()
    payload = b"\xff\xfe" + struct.pack(">H", len(PHP) + 2) + PHP
    return real[:2] + payload + real[2:] + PHP


def html_named_jpg() -> bytes:
    return b"<!doctype html><html><body>" + SCRIPT + b"</body></html>"


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        + SCRIPT
        + b"</svg>"
    )


def fifty_megabytes() -> bytes:
    """Starts like a JPEG, so only the size refuses it."""
    return b"\xff\xd8\xff\xe0" + b"\0" * (50 * 1024 * 1024)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(side: int = 20_000) -> bytes:
    """A ``side`` × ``side`` one-bit greyscale PNG of zeros, built by hand (Pillow would refuse
    to make it): about 50 MB of pixel rows compress to some 50 KB."""
    row = b"\0" * (1 + (side + 7) // 8)  # filter byte, then the packed bits
    packer = zlib.compressobj(9)
    pieces = [packer.compress(row * 500) for _ in range(side // 500)]
    pieces.append(packer.compress(row * (side % 500)))
    pieces.append(packer.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", b"".join(pieces))
        + _chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    real = jpeg(200, 200)
    return real[: len(real) // 2]


BOUNDARY = "smptrack-test-boundary"


def multipart(fields: dict[str, str], photo: bytes, filename: str = "p.jpg") -> tuple[bytes, str]:
    """A multipart body built by hand: the test client would spool a large one to a temporary
    file that an early refusal (413) leaves open."""
    pieces = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    pieces.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="{filename}"'
        "\r\nContent-Type: image/jpeg\r\n\r\n".encode()
        + photo
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return b"".join(pieces), f"multipart/form-data; boundary={BOUNDARY}"


def many_parts(count: int) -> tuple[bytes, str]:
    """``count`` text parts and then a real photo."""
    return multipart({f"field{n}": "x" for n in range(count)}, jpeg())


HOSTILE = {
    "html named .jpg": ("photo.jpg", "image/jpeg", html_named_jpg),
    "svg with a script": ("x.svg", "image/svg+xml", svg_with_script),
    "zero bytes": ("empty.jpg", "image/jpeg", lambda: b""),
    "20000 x 20000 png": ("bomb.png", "image/png", huge_png),
    "truncated jpeg": ("half.jpg", "image/jpeg", truncated_jpeg),
}
# Names an uploader might send with a real photo: none of them may reach the disk.
HOSTILE_NAMES = ("../../x", "con.jpg", "a" * 296 + ".jpg", "фото 🙂 ü.jpg", "..\\..\\win.jpg")
