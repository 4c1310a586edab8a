"""Turning uploaded bytes into a clean photo: only real images pass, and what is kept is new.

An upload is trusted for nothing. Its kind is read from its first bytes (JPEG, PNG, WebP, HEIC),
never from its name or declared type; its size in bytes is checked before Pillow sees it and its
size in pixels (from the header) before a pixel is decoded, so a decompression bomb is refused
unopened. What is stored is a fresh JPEG encoded from the decoded pixels: orientation applied
first, colours converted to sRGB, and nothing else of the upload carried over (no EXIF, GPS,
XMP, comments or trailing bytes, so a polyglot's script is not in the stored file).

No database and no Flask here: ``accept`` takes bytes and limits and returns bytes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

try:  # HEIC (iPhone photos): decoded by libheif through pillow-heif, when it is installed.
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False)
    HEIC_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a dependency; kept optional on purpose
    HEIC_SUPPORTED = False

JPEG_QUALITY = 88
THUMB_QUALITY = 82
CONTENT_TYPE = "image/jpeg"
EXTENSION = ".jpg"
# Pillow's own guard, set to the default limit: every decode here also checks the configured one.
DEFAULT_MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS

# ISO BMFF brands of HEIF images coded with HEVC (what phones write). AVIF's brands are not
# here: pillow-heif's build decodes HEVC only.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})
ACCEPTED_KINDS = ("JPEG", "PNG", "WebP", "HEIC") if HEIC_SUPPORTED else ("JPEG", "PNG", "WebP")


class NotAnImage(ValueError):
    """The upload is refused. ``str(error)`` tells the person what to do about it."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    thumb_px: int = 480


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo and its thumbnail, both JPEG, with nothing of the upload but pixels."""

    image: bytes
    thumb: bytes
    width: int
    height: int
    source_kind: str  # what the upload was: JPEG, PNG, WebP or HEIC

    content_type: str = CONTENT_TYPE


def sniff(head: bytes) -> str | None:
    """The image kind that ``head`` (the first bytes of a file) starts with, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if HEIC_SUPPORTED and len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return "HEIC"
    return None


# The Pillow plugin that may open each kind: nothing else is tried on the bytes.
_PLUGIN = {"JPEG": "JPEG", "PNG": "PNG", "WebP": "WEBP", "HEIC": "HEIF"}


def kinds_text() -> str:
    return ", ".join(ACCEPTED_KINDS[:-1]) + " or " + ACCEPTED_KINDS[-1]


def accept(data: bytes, limits: Limits) -> CleanPhoto:
    """``data`` checked, decoded and re-encoded, or ``NotAnImage`` saying why not."""
    if not data:
        raise NotAnImage("The file is empty. Choose a photo.")
    if len(data) > limits.max_bytes:
        # (A stream is read only one byte past the limit, so its full size is not known.)
        raise NotAnImage(
            f"The file is larger than {_megabytes(limits.max_bytes)}, the most a photo may be. "
            "Send a smaller one (a phone's photo at its usual size is well under)."
        )
    kind = sniff(data[:16])
    if kind is None:
        raise NotAnImage(f"This file is not a photo. Send a {kinds_text()} image.")
    if Image.MAX_IMAGE_PIXELS is not None and limits.max_pixels > Image.MAX_IMAGE_PIXELS:
        # A configured limit above the default: Pillow's own guard must not refuse below it.
        Image.MAX_IMAGE_PIXELS = limits.max_pixels
    with warnings.catch_warnings():
        # Pillow warns (and does not refuse) between MAX_IMAGE_PIXELS and twice that.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[_PLUGIN[kind]]) as opened:
                width, height = opened.size  # from the header: nothing decoded yet
                if width < 1 or height < 1 or width * height > limits.max_pixels:
                    raise NotAnImage(
                        f"The photo is {width:,} × {height:,} pixels; up to "
                        f"{limits.max_pixels / 1e6:.0f} megapixels are accepted. Send a "
                        "smaller one."
                    )
                opened.seek(0)  # the first frame of an animation
                picture = _to_srgb(ImageOps.exif_transpose(opened))
        except NotAnImage:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise NotAnImage(
                f"The photo is too large in pixels; up to {limits.max_pixels / 1e6:.0f} "
                "megapixels are accepted."
            ) from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
            raise NotAnImage(
                f"This {kind} file is damaged or incomplete and cannot be read. Send the "
                "photo again, or another one."
            ) from exc
    image = _jpeg(picture, JPEG_QUALITY)
    thumbnail = picture.copy()
    thumbnail.thumbnail((limits.thumb_px, limits.thumb_px), Image.Resampling.LANCZOS)
    return CleanPhoto(
        image=image,
        thumb=_jpeg(thumbnail, THUMB_QUALITY),
        width=picture.width,
        height=picture.height,
        source_kind=kind,
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Decoded pixels as an RGB image in sRGB, with no metadata attached.

    An embedded ICC profile is applied (a phone's Display P3 photo keeps its colours) and then
    dropped, since the stored file is sRGB; a profile that cannot be read is ignored. Transparency
    is flattened onto white; 16-bit greys are scaled to 8 bits rather than clipped.
    """
    image.load()
    profile = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        scale = 1 / 256 if image.mode != "I" or image.getextrema()[1] > 255 else 1
        image = image.convert("I").point(lambda value: value * scale).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    if profile and image.mode in ("RGB", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            image = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: the pixels as they are
    if image.mode != "RGB":
        image = image.convert("RGB")
    # A new image from the pixels alone: no info dict, EXIF, XMP or comment carries over.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    return clean


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB"
