"""The local server's image processing: the documented subset of Cloud Infinite's rules, done
with Pillow (QR codes with zxing-cpp). Synchronous and pure (bytes in, bytes out): the handlers
run it in a worker thread. Install with ``pip install cos-async[image]``; without Pillow, every
processing request answers 501 ``NotImplemented`` saying so.

What is emulated (anything else answers 501 ``NotImplemented``, a malformed rule 400
``InvalidArgument``; never a silent pass-through):

* ``imageMogr2``: ``thumbnail`` (``!<p>p``, ``!<p>px``, ``!x<p>p``, ``<W>x``, ``x<H>``,
  ``<W>x<H>``, ``!<W>x<H>r``, ``<W>x<H>!``, ``<N>@``), ``cut``, ``crop`` (with ``gravity``),
  ``rotate``, ``auto-orient``, ``format`` (jpg, yjpeg, png, webp, bmp, gif, and avif where Pillow
  has it), ``quality`` / ``rquality`` / ``lquality``, ``strip``;
* ``imageView2``: modes 1 and 2 with ``w``/``h``, ``format``, ``q``;
* ``QRcode/cover/<0|1>`` (zxing-cpp), ``?ci-process=QRcode``, ``?ci-process=qrcode-generate``;
* ``watermark/3`` and ``watermark/4`` (blind watermarks) with this module's own stand-in
  algorithm (:func:`embed_mark`; the real service's differs): the payload (a text, or the mark
  image as 32x32 bits) is written by quantisation-index modulation of the mean luminance of
  8x8 blocks, repeated over the image, and read back by majority vote;
* pipelines (``rule|rule``); ``?imageInfo``, ``?exif``, ``?imageAve``.

Inputs are hostile: at most :data:`MAX_INPUT_BYTES`, :data:`MAX_PIXELS` pixels and 30,000
pixels a side (checked from the header, before anything is decoded); outputs at most 9,999
pixels a side (COS's limit) and :data:`MAX_PIXELS` pixels.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_PIXELS",
    "Decoded",
    "ImagingError",
    "Output",
    "Rule",
    "average_color",
    "decode",
    "embed_mark",
    "encode",
    "exif_json",
    "generate_code",
    "image_info_json",
    "missing",
    "original_info",
    "parse_rule",
    "read_mark",
    "recognize_codes",
    "run",
]

#: the largest input processed (COS: 32 MB)
MAX_INPUT_BYTES = 32 * 1024 * 1024
#: the most pixels of an input or an output (a bound on memory: 4 bytes a pixel)
MAX_PIXELS = 36_000_000
#: COS: an input's side is at most 30,000 pixels, an output's 9,999
MAX_INPUT_SIDE = 30000
MAX_OUTPUT_SIDE = 9999
#: the largest encoded output
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
#: images processed at once (each holds up to MAX_PIXELS * 4 bytes)
_SLOTS = threading.BoundedSemaphore(2)

#: rule format -> (Pillow format, MIME type, the format COS reports)
FORMATS = {
    "jpg": ("JPEG", "image/jpeg", "jpg"),
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "yjpeg": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
    "webp": ("WEBP", "image/webp", "webp"),
    "bmp": ("BMP", "image/bmp", "bmp"),
    "gif": ("GIF", "image/gif", "gif"),
    "avif": ("AVIF", "image/avif", "avif"),
}
_BY_PILLOW = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "BMP": "bmp",
    "GIF": "gif",
    "AVIF": "avif",
}
_GRAVITY = {
    "northwest": (0.0, 0.0),
    "north": (0.5, 0.0),
    "northeast": (1.0, 0.0),
    "west": (0.0, 0.5),
    "center": (0.5, 0.5),
    "east": (1.0, 0.5),
    "southwest": (0.0, 1.0),
    "south": (0.5, 1.0),
    "southeast": (1.0, 1.0),
}
#: libjpeg's standard luminance quantisation table (quality 50), to estimate a JPEG's quality
_STD_LUMA_SUM = sum(
    (16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57,
     69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64,
     81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99)
)  # fmt: skip


class ImagingError(Exception):
    """Answered as the COS error ``status`` / ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _bad(message: str) -> ImagingError:
    return ImagingError(400, "InvalidArgument", message)


def _unsupported(what: str) -> ImagingError:
    return ImagingError(
        501,
        "NotImplemented",
        f"the local COS server does not emulate {what} (see docs/image-processing.md for the "
        "rules it emulates)",
    )


def missing(qr: bool = False) -> str | None:
    """Why processing cannot run here (a package is not installed), or ``None``."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return "image processing on the local COS server needs Pillow: pip install cos-async[image]"
    if qr:
        try:
            import zxingcpp  # noqa: F401
        except ImportError:
            return "QR codes on the local COS server need zxing-cpp: pip install cos-async[image]"
    return None


# --- rules ------------------------------------------------------------------------------------


@attrs.frozen
class Step:
    """One operation: its name and arguments."""

    op: str
    args: tuple[Any, ...] = ()


@attrs.frozen
class Rule:
    """A parsed rule: the steps to apply in order; ``qrcode`` (cover or not) for a QR code
    recognition; ``mark`` for a blind watermark ``(3|4, type, payload, level)``."""

    steps: tuple[Step, ...] = ()
    qrcode: bool | None = None
    mark: tuple[int, int, str, int] | None = None


_NUM = r"(\d{1,6})"
_THUMB = [
    (re.compile(rf"!{_NUM}p"), "scale"),
    (re.compile(rf"!{_NUM}px"), "wscale"),
    (re.compile(rf"!x{_NUM}p"), "hscale"),
    (re.compile(rf"{_NUM}x"), "width"),
    (re.compile(rf"x{_NUM}"), "height"),
    (re.compile(rf"{_NUM}x{_NUM}"), "fit"),
    (re.compile(rf"!{_NUM}x{_NUM}r"), "fill"),
    (re.compile(rf"{_NUM}x{_NUM}!"), "exact"),
    (re.compile(rf"{_NUM}@"), "pixels"),
]


def _b64text(value: str, what: str) -> str:
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise _bad(f"{what} is not URL-safe base64: {value[:60]!r}") from None


def _int(text: str, what: str, low: int, high: int) -> int:
    if not text.isdigit() or len(text) > 9 or not low <= int(text) <= high:
        raise _bad(f"{what} must be {low}..{high}, got {text[:40]!r}")
    return int(text)


def _pairs(parts: list[str], what: str) -> Iterator[tuple[str, str]]:
    if len(parts) % 2:
        raise _bad(f"{what}: every parameter takes a value: {'/'.join(parts)[:200]!r}")
    for i in range(0, len(parts), 2):
        yield parts[i], parts[i + 1]


def _mogr2(parts: list[str]) -> list[Step]:
    steps: list[Step] = []
    i = 0
    while i < len(parts):
        name = parts[i]
        if name in ("strip", "auto-orient"):
            steps.append(Step(name))
            i += 1
            continue
        if i + 1 >= len(parts):
            raise _bad(f"imageMogr2/{name} needs a value")
        value = parts[i + 1]
        i += 2
        if name == "thumbnail":
            for pattern, kind in _THUMB:
                m = pattern.fullmatch(value)
                if m is not None:
                    steps.append(Step("thumbnail", (kind, *(int(g) for g in m.groups()))))
                    break
            else:
                if value[-1:] in "<>":
                    raise _unsupported(f"imageMogr2/thumbnail/{value} (only-shrink/enlarge)")
                raise _bad(f"imageMogr2/thumbnail/{value[:60]}: not a thumbnail size")
        elif name == "cut":
            m = re.fullmatch(rf"{_NUM}x{_NUM}x{_NUM}x{_NUM}", value)
            if m is None:
                raise _bad(f"imageMogr2/cut/{value[:60]}: expected <w>x<h>x<x>x<y>")
            steps.append(Step("cut", tuple(int(g) for g in m.groups())))
        elif name == "crop":
            m = re.fullmatch(r"(\d{1,6})?x(\d{1,6})?", value)
            if m is None or not any(m.groups()):
                raise _bad(f"imageMogr2/crop/{value[:60]}: expected <w>x<h>")
            gravity = "northwest"
            if i + 1 < len(parts) and parts[i] == "gravity":
                gravity = parts[i + 1]
                if gravity not in _GRAVITY:
                    raise _bad(f"gravity {gravity[:40]!r} is none of {', '.join(_GRAVITY)}")
                i += 2
            w, h = (int(g) if g else None for g in m.groups())
            steps.append(Step("crop", (w, h, gravity)))
        elif name == "rotate":
            steps.append(Step("rotate", (_int(value, "rotate", 0, 360),)))
        elif name == "format":
            steps.append(Step("format", (_format(value),)))
        elif name in ("quality", "rquality", "lquality"):
            force = name == "quality" and value.endswith("!")
            q = _int(value.rstrip("!"), name, 0, 100)
            steps.append(Step("quality", ("force" if force else name, q)))
        else:
            raise _unsupported(f"imageMogr2/{name}")
    if not steps:
        raise _bad("imageMogr2 without an operation")
    return steps


def _format(value: str) -> str:
    if value in ("heif", "tpg", "svgc"):
        raise _unsupported(f"the {value} format (advanced compression; avif is emulated)")
    if value not in FORMATS:
        raise _bad(f"unknown format {value[:40]!r}")
    if value == "avif":
        from PIL import features

        if not features.check("avif"):
            raise _unsupported("avif here (this Pillow was built without AVIF)")
    return value


def _view2(parts: list[str]) -> list[Step]:
    steps: list[Step] = []
    mode = None
    if parts and parts[0].isdigit():
        mode = _int(parts[0], "imageView2 mode", 0, 5)
        parts = parts[1:]
    size: dict[str, int] = {}
    for name, value in _pairs(parts, "imageView2"):
        if name in ("w", "h"):
            size[name] = _int(value, f"imageView2 {name}", 1, MAX_OUTPUT_SIDE)
        elif name == "format":
            steps.append(Step("format", (_format(value),)))
        elif name == "q":
            steps.append(Step("quality", ("force", _int(value, "imageView2 q", 1, 100))))
        else:
            raise _unsupported(f"imageView2/{name}")
    if mode is not None:
        if mode not in (1, 2):
            raise _unsupported(f"imageView2 mode {mode} (modes 1 and 2 are emulated)")
        if not size:
            raise _bad(f"imageView2 mode {mode} needs w or h")
        w = size.get("w") or size["h"]
        h = size.get("h") or size["w"]
        steps.insert(0, Step("thumbnail", ("fill" if mode == 1 else "fit", w, h)))
        if mode == 1:
            steps.insert(1, Step("crop", (w, h, "center")))
    elif size:
        raise _bad("imageView2 w/h need a mode")
    if not steps:
        raise _bad("imageView2 without an operation")
    return steps


def _watermark(parts: list[str]) -> Rule:
    if not parts or parts[0] not in ("3", "4"):
        head = parts[0] if parts else ""
        raise _unsupported(f"watermark/{head[:10]} (blind watermarks, 3 and 4, are emulated)")
    action = int(parts[0])
    fields = dict(_pairs(parts[1:], "watermark"))
    unknown = set(fields) - {"type", "image", "text", "level"}
    if unknown:
        raise _unsupported(f"watermark/{action} with {', '.join(sorted(unknown))}")
    kind = _int(fields.get("type", ""), "watermark type", 1, 3)
    level = _int(fields.get("level", "2"), "watermark level", 1, 3)
    if kind == 3:
        if "text" not in fields or "image" in fields:
            raise _bad("a text blind watermark (type 3) takes text/<base64>")
        payload = _b64text(fields["text"], "text")
        if not re.fullmatch(r"[A-Za-z0-9]{1,64}", payload):
            raise _bad("a text blind watermark is 1..64 letters and digits")
    else:
        if "image" not in fields or "text" in fields:
            raise _bad(f"an image blind watermark (type {kind}) takes image/<base64 URL>")
        payload = _b64text(fields["image"], "image")
    return Rule(mark=(action, kind, payload, level))


def parse_rule(text: str) -> list[Rule]:
    """The rules of a rule text (a pipeline is ``a|b``): 400 when malformed, 501 when outside
    the emulated subset."""
    if not text or len(text) > 4096:
        raise _bad("a rule is 1..4096 characters")
    rules: list[Rule] = []
    for piece in text.split("|"):
        parts = piece.split("/")
        while parts and parts[-1] == "":
            parts.pop()  # "imageMogr2/thumbnail/200x/" ends with a slash in COS's samples
        if not parts or "" in parts:
            raise _bad(f"malformed rule {piece[:100]!r}")
        head, rest = parts[0], parts[1:]
        if head == "imageMogr2":
            rules.append(Rule(steps=tuple(_mogr2(rest))))
        elif head == "imageView2":
            rules.append(Rule(steps=tuple(_view2(rest))))
        elif head == "QRcode":
            fields = dict(_pairs(rest, "QRcode"))
            if set(fields) - {"cover"}:
                raise _unsupported(f"QRcode with {', '.join(sorted(set(fields) - {'cover'}))}")
            rules.append(Rule(qrcode=_int(fields.get("cover", "0"), "cover", 0, 1) == 1))
        elif head == "watermark":
            rules.append(_watermark(rest))
        else:
            raise _unsupported(f"the rule {head[:40]!r}")
    if len(rules) > 8:
        raise _bad("a pipeline of more than 8 rules")
    return rules


# --- decoding and encoding ------------------------------------------------------------------


@attrs.define
class Decoded:
    """A decoded input: the image, its format (Pillow's name), its estimated quality, EXIF."""

    image: Image
    format: str
    quality: int | None
    exif: bytes | None
    orientation: int


def decode(data: bytes) -> Decoded:
    """Decode an input image, refusing what is too large before decoding it."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_INPUT_BYTES:
        raise ImagingError(400, "InvalidArgument", f"the image is over {MAX_INPUT_BYTES} bytes")
    try:
        img = Image.open(io.BytesIO(data), formats=list(set(_BY_PILLOW) - {"AVIF"}) + _avif())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bad(f"the image is over {MAX_PIXELS} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise _bad(f"the object is not an image this server decodes: {exc}") from None
    w, h = img.size
    if w > MAX_INPUT_SIDE or h > MAX_INPUT_SIDE or w * h > MAX_PIXELS:
        raise _bad(f"the image is {w}x{h}: at most {MAX_INPUT_SIDE} a side and {MAX_PIXELS} pixels")
    fmt = img.format or "PNG"
    quality = _jpeg_quality(img)
    exif = img.info.get("exif")
    try:
        orientation = int(img.getexif().get(0x0112, 0) or 0)
        img.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise _bad(f"the image is damaged: {exc}") from None
    return Decoded(image=img, format=fmt, quality=quality, exif=exif, orientation=orientation)


def _avif() -> list[str]:
    from PIL import features

    return ["AVIF"] if features.check("avif") else []


def _jpeg_quality(img: Any) -> int | None:
    tables = getattr(img, "quantization", None)
    if not tables or 0 not in tables:
        return None
    scale = sum(tables[0]) * 100 / _STD_LUMA_SUM
    quality = (200 - scale) / 2 if scale <= 100 else 5000 / scale
    return int(max(1, min(100, round(quality))))


@attrs.frozen
class Output:
    """An encoded result: bytes, MIME type, COS format name, size in pixels, quality."""

    data: bytes
    content_type: str
    format: str
    width: int
    height: int
    quality: int | None


def encode(img: Image, fmt: str, quality: int | None, exif: bytes | None, *, strip: bool) -> Output:
    """Encode ``img`` as ``fmt`` (a rule format name)."""
    pillow, mime, name = FORMATS[fmt]
    options: dict[str, Any] = {}
    if pillow in ("JPEG", "WEBP", "AVIF"):
        options["quality"] = quality if quality is not None else 90
    if exif and not strip and pillow in ("JPEG", "WEBP", "PNG"):
        options["exif"] = exif
    out = img
    if pillow in ("JPEG", "BMP") and out.mode not in ("RGB", "L"):
        out = _flatten(out)
    elif pillow == "GIF" and out.mode not in ("P", "L"):
        from PIL import Image as PILImage

        out = out.convert("P", palette=PILImage.Palette.ADAPTIVE)
    buf = io.BytesIO()
    out.save(buf, pillow, **options)
    data = buf.getvalue()
    if len(data) > MAX_OUTPUT_BYTES:
        raise _bad(f"the result is over {MAX_OUTPUT_BYTES} bytes")
    q = options.get("quality")
    return Output(data, mime, name, img.width, img.height, q if q is not None else quality)


def _flatten(img: Image) -> Image:
    from PIL import Image as PILImage

    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        back = PILImage.new("RGB", rgba.size, (255, 255, 255))
        back.paste(rgba, mask=rgba.getchannel("A"))
        return back
    return img.convert("RGB")


def _check_size(w: float, h: float) -> tuple[int, int]:
    width, height = max(1, round(w)), max(1, round(h))
    if width > MAX_OUTPUT_SIDE or height > MAX_OUTPUT_SIDE or width * height > MAX_PIXELS:
        raise _bad(f"the result would be {width}x{height}: at most {MAX_OUTPUT_SIDE} pixels a side")
    return width, height


def _thumbnail_size(kind: str, args: tuple[int, ...], w: int, h: int) -> tuple[int, int]:
    if kind in ("scale", "wscale", "hscale"):
        p = args[0]
        if not 1 <= p <= 1000:
            raise _bad(f"a thumbnail scale is 1..1000 percent, got {p}")
        return _check_size(
            w * p / 100 if kind != "hscale" else w, h * p / 100 if kind != "wscale" else h
        )
    if kind == "width":
        return _check_size(args[0], h * args[0] / w)
    if kind == "height":
        return _check_size(w * args[0] / h, args[0])
    if kind == "pixels":
        ratio = (args[0] / (w * h)) ** 0.5
        return _check_size(w * ratio, h * ratio)
    tw, th = args
    if tw < 1 or th < 1:
        raise _bad("a thumbnail's sides are at least 1 pixel")
    if kind == "exact":
        return _check_size(tw, th)
    ratio = (min if kind == "fit" else max)(tw / w, th / h)
    return _check_size(w * ratio, h * ratio)


@attrs.define
class _State:
    img: Image
    fmt: str
    quality: int | None
    strip: bool = False


def _apply(state: _State, step: Step, input_quality: int | None) -> None:
    from PIL import Image, ImageOps

    img = state.img
    if step.op == "thumbnail":
        size = _thumbnail_size(step.args[0], step.args[1:], img.width, img.height)
        state.img = img.resize(size, Image.Resampling.LANCZOS)
    elif step.op == "cut":
        cw, ch, x, y = step.args
        if x >= img.width or y >= img.height or cw < 1 or ch < 1:
            raise _bad(f"cut {cw}x{ch} at {x},{y} is outside the {img.width}x{img.height} image")
        state.img = img.crop((x, y, min(img.width, x + cw), min(img.height, y + ch)))
    elif step.op == "crop":
        cw, ch, gravity = step.args
        cw = min(cw or img.width, img.width)
        ch = min(ch or img.height, img.height)
        fx, fy = _GRAVITY[gravity]
        x, y = round((img.width - cw) * fx), round((img.height - ch) * fy)
        state.img = img.crop((x, y, x + cw, y + ch))
    elif step.op == "rotate":
        deg = step.args[0] % 360
        exact = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                 270: Image.Transpose.ROTATE_90}  # fmt: skip
        if deg in exact:
            state.img = img.transpose(exact[deg])
        elif deg:
            fill: Any = (0, 0, 0, 0) if img.mode == "RGBA" else "white"
            src = img if img.mode in ("RGB", "RGBA", "L") else img.convert("RGBA")
            rotated = src.rotate(-deg, expand=True, fillcolor=fill)
            _check_size(rotated.width, rotated.height)
            state.img = rotated
    elif step.op == "auto-orient":
        state.img = ImageOps.exif_transpose(img)
    elif step.op == "format":
        state.fmt = step.args[0]
    elif step.op == "quality":
        mode, q = step.args
        base = input_quality if input_quality is not None else 100
        if mode == "force":
            state.quality = q
        elif mode == "quality":
            state.quality = min(q, base)
        elif mode == "rquality":
            state.quality = max(1, base * q // 100)
        else:
            state.quality = max(q, base)
    elif step.op == "strip":
        state.strip = True


def run(
    data: bytes,
    rules: list[Rule],
    *,
    fetch: Callable[[str], bytes] | None = None,
    default_format: str | None = None,
) -> tuple[Output, Decoded, dict[str, Any]]:
    """Process ``data`` by ``rules``: the encoded result, the decoded input, and what the rules
    found (``qrcodes``: the codes recognised; ``watermark_status``; ``mark``: the extracted
    watermark replaces the output). ``fetch`` reads an object by URL (blind watermarks)."""
    with _SLOTS:
        decoded = decode(data)
        fmt = default_format or _BY_PILLOW.get(decoded.format, "png")
        state = _State(decoded.image, fmt, decoded.quality)
        found: dict[str, Any] = {}
        for rule in rules:
            for step in rule.steps:
                _apply(state, step, decoded.quality)
            if rule.qrcode is not None:
                codes = recognize_codes(state.img)
                found["qrcodes"] = codes
                if rule.qrcode:
                    state.img = _pixelate(state.img, codes)
            if rule.mark is not None:
                _blind(state, rule.mark, fetch, found)
        return (
            encode(state.img, state.fmt, state.quality, decoded.exif, strip=state.strip),
            decoded,
            found,
        )


# --- QR codes ---------------------------------------------------------------------------------


def recognize_codes(img: Image, bar_type: int = 0) -> list[tuple[str, list[tuple[int, int]]]]:
    """The codes in ``img``: ``(text, corners)``; ``bar_type`` 1: QR codes only, 2: barcodes
    only, 0: both."""
    reason = missing(qr=True)
    if reason is not None:
        raise ImagingError(501, "NotImplemented", reason)
    import zxingcpp

    found = []
    for code in zxingcpp.read_barcodes(img.convert("L"))[:16]:
        is_qr = "QR" in str(code.format)
        if (bar_type == 1 and not is_qr) or (bar_type == 2 and is_qr):
            continue
        pos = code.position
        corners = [pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left]
        found.append((code.text, [(p.x, p.y) for p in corners]))
    return found


def _pixelate(img: Image, codes: list[tuple[str, list[tuple[int, int]]]]) -> Image:
    from PIL import Image as PILImage

    out = img.copy()
    for _text, points in codes:
        xs = [max(0, min(img.width, x)) for x, _ in points]
        ys = [max(0, min(img.height, y)) for _, y in points]
        box = (min(xs), min(ys), max(xs), max(ys))
        if box[2] - box[0] < 2 or box[3] - box[1] < 2:
            continue
        region = out.crop(box)
        small = region.resize(
            (max(1, region.width // 12), max(1, region.height // 12)), PILImage.Resampling.BOX
        )
        out.paste(small.resize(region.size, PILImage.Resampling.NEAREST), box)
    return out


def generate_code(content: str, width: int, barcode: bool) -> bytes:
    """A PNG of a QR code (or a Code 128 barcode) of ``content``, ``width`` pixels wide."""
    reason = missing(qr=True)
    if reason is not None:
        raise ImagingError(501, "NotImplemented", reason)
    import zxingcpp
    from PIL import Image

    fmt = zxingcpp.BarcodeFormat.Code128 if barcode else zxingcpp.BarcodeFormat.QRCode
    try:
        code = zxingcpp.create_barcode(content, fmt)
        view = memoryview(code.to_image(scale=1, add_quiet_zones=True))  # type: ignore[arg-type]
    except (ValueError, RuntimeError) as exc:
        raise _bad(f"cannot encode that content: {exc}") from None
    shape = view.shape or (0, 0)
    h, w = shape[0], shape[1]
    img = Image.frombytes("L", (w, h), view.tobytes())
    if barcode:
        img = img.resize((w, max(1, w // 4)), Image.Resampling.NEAREST)
        h = img.height
    height = max(1, round(h * width / w))
    _check_size(width, height)
    img = img.resize((width, height), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


# --- blind watermarks (our stand-in algorithm) -------------------------------------------------

_BLOCK = 8
_MARK_SIDE = 32
_STEPS = {1: 12.0, 2: 16.0, 3: 24.0}


def _payload_text(text: str) -> list[int]:
    raw = text.encode("utf-8")
    framed = bytes([len(raw)]) + raw + hashlib.sha1(raw).digest()[:2]
    return [(b >> (7 - i)) & 1 for b in framed for i in range(8)]


def _payload_mark(data: bytes) -> list[int]:
    mark = decode(data).image.convert("L").resize((_MARK_SIDE, _MARK_SIDE))
    return [1 if v >= 128 else 0 for v in mark.tobytes()]


def _block_means(img: Image) -> tuple[int, int, bytes]:
    """The mean luminance of each whole 8x8 block (a box-filtered downscale), in raster order."""
    from PIL import Image as PILImage

    bx, by = img.width // _BLOCK, img.height // _BLOCK
    if not bx or not by:
        return bx, by, b""
    luma = img.convert("L").crop((0, 0, bx * _BLOCK, by * _BLOCK))
    return bx, by, luma.resize((bx, by), PILImage.Resampling.BOX).tobytes()


def embed_mark(img: Image, bits: list[int], level: int = 2) -> Image:
    """Write ``bits`` into ``img``: each 8x8 block's mean luminance is moved to the nearest
    point of the lattice of its bit (multiples of the step for 0, half-way between for 1; the
    step is 12, 16 or 24 by ``level``), the bits repeated over the blocks in raster order."""
    from PIL import Image as PILImage
    from PIL import ImageChops

    bx, by, means = _block_means(img)
    if bx * by < len(bits):
        raise _bad(
            f"the image ({img.width}x{img.height}) is too small for this blind watermark: "
            f"{len(bits)} blocks of 8x8 pixels needed"
        )
    step = _STEPS[level]
    up, down = bytearray(bx * by), bytearray(bx * by)
    for n, mean in enumerate(means):
        offset = step / 2 if bits[n % len(bits)] else 0.0
        delta = round(round((mean - offset) / step) * step + offset - mean)
        if delta > 0:
            up[n] = delta
        else:
            down[n] = -delta
    size = (bx * _BLOCK, by * _BLOCK)

    def layer(values: bytearray) -> Image:
        small = PILImage.frombytes("L", (bx, by), bytes(values))
        big = PILImage.new("L", img.size, 0)
        big.paste(small.resize(size, PILImage.Resampling.NEAREST), (0, 0))
        return PILImage.merge("RGB", (big, big, big))

    alpha = img.getchannel("A") if img.mode in ("RGBA", "LA") else None
    out = ImageChops.subtract(ImageChops.add(img.convert("RGB"), layer(up)), layer(down))
    if alpha is not None:
        out.putalpha(alpha)
    return out


def read_mark(img: Image, nbits: int, level: int = 2) -> list[int]:
    """The bits :func:`embed_mark` wrote (a majority vote over the repetitions)."""
    _bx, _by, means = _block_means(img)
    step = _STEPS[level]
    votes = [0] * nbits
    for n, mean in enumerate(means):
        phase = (mean % step) / step  # near 0 (or 1): a bit 0; near 0.5: a bit 1
        votes[n % nbits] += 1 if 0.25 <= phase < 0.75 else -1
    return [1 if v > 0 else 0 for v in votes]


def _text_of(bits: list[int]) -> str | None:
    data = bytes(
        sum(bit << (7 - i) for i, bit in enumerate(bits[k : k + 8])) for k in range(0, len(bits), 8)
    )
    n = data[0] if data else 0
    raw, check = data[1 : 1 + n], data[1 + n : 3 + n]
    if len(raw) != n or hashlib.sha1(raw).digest()[:2] != check:
        return None
    return raw.decode("utf-8", "replace")


def _blind(
    state: _State,
    mark: tuple[int, int, str, int],
    fetch: Callable[[str], bytes] | None,
    found: dict[str, Any],
) -> None:
    action, kind, payload, level = mark
    from PIL import Image

    if kind == 3:
        bits = _payload_text(payload)
    else:
        if fetch is None:
            raise _bad("an image blind watermark needs the watermark image")
        data = fetch(payload)
        if action == 3:
            mark_size = Image.open(io.BytesIO(data)).size
            if mark_size[0] * 8 > state.img.width or mark_size[1] * 8 > state.img.height:
                raise _bad(
                    f"the watermark image ({mark_size[0]}x{mark_size[1]}) is larger than 1/8 of "
                    f"the image ({state.img.width}x{state.img.height}), which COS refuses"
                )
        bits = _payload_mark(data) if action == 3 or kind == 2 else []
    if action == 3:
        state.img = embed_mark(state.img, bits, level)
        return
    # extraction does not know the strength it was embedded with: each is tried, best kept
    if kind == 3:
        best = 0
        for step in (2, 1, 3):
            got = read_mark(state.img, len(bits), step)
            text = _text_of(got)
            if text is not None:  # a text was read: the one looked for, or another
                best = 100 if text == payload else 0
                break
            best = max(best, sum(a == b for a, b in zip(got, bits, strict=True)) * 100 // len(bits))
        found["watermark_status"] = best
        return
    reads = [read_mark(state.img, _MARK_SIDE * _MARK_SIDE, step) for step in (2, 1, 3)]
    got = reads[0]
    if kind == 2:
        scores = [sum(a == b for a, b in zip(r, bits, strict=True)) for r in reads]
        got = reads[scores.index(max(scores))]
        found["watermark_status"] = max(scores) * 100 // len(bits)
    extracted = Image.frombytes("L", (_MARK_SIDE, _MARK_SIDE), bytes(255 * b for b in got))
    state.img = extracted.resize((_MARK_SIDE * 4, _MARK_SIDE * 4), Image.Resampling.NEAREST)
    state.fmt = "png"


# --- image queries ----------------------------------------------------------------------------


def image_info_json(data: bytes) -> bytes:
    """``?imageInfo``: format, width, height, size, md5, frame_count (strings, as COS sends)."""
    with _SLOTS:
        decoded = decode(data)
        frames = getattr(decoded.image, "n_frames", 1)
        doc = {
            "format": decoded.format.lower(),
            "width": str(decoded.image.width),
            "height": str(decoded.image.height),
            "size": str(len(data)),
            "md5": hashlib.md5(data).hexdigest(),
            "frame_count": str(frames),
            "photo_rgb": _average(decoded.image),
        }
        return json.dumps(doc).encode()


def _average(img: Image) -> str:
    from PIL import Image as PILImage

    r, g, b = img.convert("RGB").resize((1, 1), PILImage.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return f"0x{r:02x}{g:02x}{b:02x}"


def original_info(data: bytes) -> dict[str, str]:
    """The ``<ImageInfo>`` of an ``UploadResult``'s ``OriginalInfo``."""
    with _SLOTS:
        decoded = decode(data)
        return {
            "Format": decoded.format,
            "Width": str(decoded.image.width),
            "Height": str(decoded.image.height),
            "Quality": str(decoded.quality if decoded.quality is not None else 100),
            "Ave": _average(decoded.image),
            "Orientation": str(decoded.orientation),
        }


def average_color(data: bytes) -> bytes:
    """``?imageAve``: ``{"RGB": "0x483519"}``."""
    with _SLOTS:
        return json.dumps({"RGB": _average(decode(data).image)}).encode()


def exif_json(data: bytes) -> bytes:
    """``?exif``: ``{"Tag": {"val": "..."}}``, or ``{"error": "no exif data"}``."""
    from PIL import ExifTags

    with _SLOTS:
        exif = decode(data).image.getexif()
        doc: dict[str, Any] = {}
        for tag, value in list(exif.items())[:256]:
            name = ExifTags.TAGS.get(tag, str(tag))
            if isinstance(value, bytes):
                value = value[:256].decode("latin-1")
            doc[name] = {"val": str(value)[:1024]}
        if not doc:
            doc = {"error": "no exif data"}
        return json.dumps(doc).encode()
