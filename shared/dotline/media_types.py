"""The content types media uploads accept, the kind each is, and how each is recognised from the
object's first bytes (declared types are claims; the bytes decide)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

SNIFF_BYTES = 64  # every signature below is decided within the first 64 bytes


class MediaKind(StrEnum):
    """What `media_items.type` holds."""

    image = "image"
    audio = "audio"
    document = "document"


def _iso_brand(*brands: bytes) -> Callable[[bytes], bool]:
    """ISO base media files (HEIC, M4A): `ftyp` at offset 4, then the major brand."""
    return lambda head: head[4:8] == b"ftyp" and head[8:12] in brands


def _riff(form: bytes) -> Callable[[bytes], bool]:
    return lambda head: head[:4] == b"RIFF" and head[8:12] == form


def _mpeg_audio(head: bytes) -> bool:
    # An ID3 tag, or an MPEG audio frame sync (11 set bits) with a valid layer.
    return head[:3] == b"ID3" or (
        len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 in (0xE2, 0xE4, 0xE6)
    )


def _plain_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the end of the sample is fine
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


# content type -> (kind, signature test); the order is the order sniff() tries them.
ACCEPTED: dict[str, tuple[MediaKind, Callable[[bytes], bool]]] = {
    "image/jpeg": (MediaKind.image, lambda h: h[:3] == b"\xff\xd8\xff"),
    "image/png": (MediaKind.image, lambda h: h[:8] == b"\x89PNG\r\n\x1a\n"),
    "image/gif": (MediaKind.image, lambda h: h[:6] in (b"GIF87a", b"GIF89a")),
    "image/webp": (MediaKind.image, _riff(b"WEBP")),
    "image/heic": (MediaKind.image, _iso_brand(b"heic", b"heix", b"heim", b"heis", b"mif1")),
    "audio/mp4": (MediaKind.audio, _iso_brand(b"M4A ", b"M4B ")),
    "audio/wav": (MediaKind.audio, _riff(b"WAVE")),
    "audio/ogg": (MediaKind.audio, lambda h: h[:4] == b"OggS"),
    "audio/webm": (MediaKind.audio, lambda h: h[:4] == b"\x1a\x45\xdf\xa3"),
    "audio/mpeg": (MediaKind.audio, _mpeg_audio),
    "application/pdf": (MediaKind.document, lambda h: h[:5] == b"%PDF-"),
    "text/plain": (MediaKind.document, _plain_text),
}


def kind_of(content_type: str) -> MediaKind:
    """The kind of an accepted content type (KeyError for any other)."""
    return ACCEPTED[content_type][0]


def sniff(head: bytes) -> str | None:
    """The accepted content type the leading bytes show, or None when they show none of them."""
    return next((name for name, (_, matches) in ACCEPTED.items() if matches(head)), None)
