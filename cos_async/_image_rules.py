"""Image processing rules (Cloud Infinite, as COS documents it): typed builders of the rule
strings and of the ``Pic-Operations`` header. Pure: no I/O. Every class is a frozen attrs class
checked when it is built (:class:`InvalidArgument` names the bad value).

A rule is an :class:`ImageRule`; ``str(rule)`` is its COS text::

    ImageMogr2(thumbnail=Thumbnail(width=200), format="webp", quality=80)
        -> "imageMogr2/thumbnail/200x/format/webp/quality/80"
    ImageMogr2(format="avif") | QRCodeRecognition()     # a pipeline: "...|QRcode/cover/0"
    RawRule("imageMogr2/blur/8x5")                      # any rule the builders do not spell

Rules are used three ways:

* on upload and on stored images, in a :class:`PicOperations` (``Pic-Operations`` header):
  ``PicOperations([PicRule("thumb.webp", rule)], is_pic_info=True)``;
* on download, in the query string (:func:`processing_query`), signed like any parameter.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

from ._errors import InvalidArgument
from ._validate import check_bucket

__all__ = [
    "ADVANCED_COMPRESSION_FORMATS",
    "GRAVITIES",
    "IMAGE_FORMATS",
    "BlindWatermark",
    "Crop",
    "Cut",
    "ExtractBlindWatermark",
    "ImageMogr2",
    "ImageRule",
    "ImageView2",
    "ImageWatermark",
    "PicOperations",
    "PicRule",
    "Pipeline",
    "QRCodeRecognition",
    "RawRule",
    "TextWatermark",
    "Thumbnail",
    "as_rule",
    "processing_query",
    "url_safe_b64",
]

#: formats ``imageMogr2/format`` converts to (COS's list, with the advanced-compression ones)
IMAGE_FORMATS = ("jpg", "bmp", "gif", "png", "webp", "yjpeg", "heif", "tpg", "avif")
#: the high-compression formats of "advanced compression" (``imageMogr2/format/<f>``)
ADVANCED_COMPRESSION_FORMATS = ("avif", "heif", "tpg")
#: the 3x3 grid positions of crops and watermarks
GRAVITIES = (
    "northwest",
    "north",
    "northeast",
    "west",
    "center",
    "east",
    "southwest",
    "south",
    "southeast",
)
#: COS: the width and height of an output image cannot exceed 9,999 pixels
MAX_OUTPUT_SIDE = 9999
#: COS: at most 5 rules in one ``Pic-Operations``
MAX_PIC_RULES = 5
#: the longest rule text accepted (a header or a query parameter stays reasonable)
MAX_RULE_LENGTH = 4096
_RULE_TEXT = re.compile(r"[!-~]+")  # visible ASCII, no spaces (percent-encode anything else)
_TEXT_MARK = re.compile(r"[A-Za-z0-9]{1,64}")


def url_safe_b64(text: str) -> str:
    """URL-safe base64 of ``text`` (UTF-8), as COS wants image URLs and texts in rules."""
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


def _int_in(name: str, value: object, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidArgument(f"{name} must be an integer {low}..{high}, got {value!r}")
    return value


def _opt_int(name: str, low: int, high: int) -> Any:
    def check(_inst: Any, _attr: Any, value: object) -> None:
        if value is not None:
            _int_in(name, value, low, high)

    return check


def _check_gravity(_inst: Any, attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in GRAVITIES:
        raise InvalidArgument(f"{attr.name} must be one of {', '.join(GRAVITIES)}, got {value!r}")


def _check_format(_inst: Any, _attr: Any, value: object) -> None:
    if value is not None and value not in IMAGE_FORMATS:
        raise InvalidArgument(f"format must be one of {', '.join(IMAGE_FORMATS)}, got {value!r}")


def _check_http_url(_inst: Any, attr: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if (
        not isinstance(value, str)
        or not value.startswith("http://")
        or any(c.isspace() for c in value)
    ):
        raise InvalidArgument(
            f"{attr.name} must be an http:// URL of an object in the same bucket (COS refuses "
            f"https:// and CDN domains here), got {value!r}"
        )


class ImageRule:
    """A processing rule. ``str(rule)`` is its COS text; ``rule | other`` chains rules into a
    :class:`Pipeline` (applied left to right)."""

    def render(self) -> str:
        """The rule as COS spells it."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()

    def __or__(self, other: ImageRule | str) -> Pipeline:
        return Pipeline((*_steps(self), *_steps(as_rule(other))))


def _steps(rule: ImageRule) -> tuple[ImageRule, ...]:
    return rule.rules if isinstance(rule, Pipeline) else (rule,)


def _check_raw(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not _RULE_TEXT.fullmatch(value):
        raise InvalidArgument(
            f"a rule is visible ASCII without spaces (percent-encode the rest), got {value!r}"
        )
    if len(value) > MAX_RULE_LENGTH:
        raise InvalidArgument(f"a rule is at most {MAX_RULE_LENGTH} characters, got {len(value)}")


@attrs.frozen
class RawRule(ImageRule):
    """A rule written out by hand (``"imageMogr2/blur/8x5"``, ``"style/thumb"``): the escape
    hatch for what the builders do not spell. Checked only for being one line of visible ASCII."""

    rule: str = attrs.field(validator=_check_raw)

    def render(self) -> str:
        return self.rule


def as_rule(rule: ImageRule | str) -> ImageRule:
    """``rule`` as an :class:`ImageRule` (a string becomes a :class:`RawRule`)."""
    if isinstance(rule, ImageRule):
        return rule
    if isinstance(rule, str):
        return RawRule(rule)
    raise InvalidArgument(f"a rule is an ImageRule or its text, got {type(rule).__name__}")


def _to_rules(rules: Iterable[ImageRule | str]) -> tuple[ImageRule, ...]:
    if isinstance(rules, str | ImageRule):
        raise InvalidArgument("Pipeline takes a sequence of rules")
    return tuple(as_rule(r) for r in rules)


@attrs.frozen
class Pipeline(ImageRule):
    """Rules applied one after the other (COS's pipeline operator ``|``); ``a | b`` builds one."""

    rules: tuple[ImageRule, ...] = attrs.field(converter=_to_rules)

    def __attrs_post_init__(self) -> None:
        if len(self.rules) < 2:
            raise InvalidArgument(f"a pipeline chains 2 or more rules, got {len(self.rules)}")

    def render(self) -> str:
        text = "|".join(r.render() for r in self.rules)
        _check_raw(self, None, text)
        return text


# --- imageMogr2 ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Thumbnail:
    """``imageMogr2/thumbnail``: scaling. Build it with one of:

    * ``Thumbnail(width=200)`` / ``Thumbnail(height=100)`` / ``Thumbnail(width=200, height=100)``:
      proportional, to fit within the box (``200x``, ``x100``, ``200x100``);
    * ``Thumbnail(width=200, height=100, mode="fill")``: proportional, to cover the box
      (``!200x100r``); ``mode="exact"``: exactly that size, distorting (``200x100!``);
    * ``Thumbnail(percent=50)``: both sides scaled by a percentage (``!50p``);
    * ``Thumbnail(max_pixels=100_000)``: proportional, to at most that many pixels (``100000@``).
    """

    width: int | None = attrs.field(default=None, validator=_opt_int("width", 1, MAX_OUTPUT_SIDE))
    height: int | None = attrs.field(default=None, validator=_opt_int("height", 1, MAX_OUTPUT_SIDE))
    mode: Literal["fit", "fill", "exact"] = "fit"
    percent: int | None = attrs.field(default=None, validator=_opt_int("percent", 1, 1000))
    max_pixels: int | None = attrs.field(
        default=None, validator=_opt_int("max_pixels", 1, MAX_OUTPUT_SIDE * MAX_OUTPUT_SIDE)
    )

    def __attrs_post_init__(self) -> None:
        if self.mode not in ("fit", "fill", "exact"):
            raise InvalidArgument(f"mode must be 'fit', 'fill' or 'exact', got {self.mode!r}")
        box = self.width is not None or self.height is not None
        ways = [box, self.percent is not None, self.max_pixels is not None]
        if sum(ways) != 1:
            raise InvalidArgument(
                "a Thumbnail takes width and/or height, or percent, or max_pixels (one of them)"
            )
        if self.mode != "fit" and (self.width is None or self.height is None):
            raise InvalidArgument(f"mode={self.mode!r} needs both width and height")

    def spec(self) -> str:
        if self.percent is not None:
            return f"!{self.percent}p"
        if self.max_pixels is not None:
            return f"{self.max_pixels}@"
        w = "" if self.width is None else str(self.width)
        h = "" if self.height is None else str(self.height)
        if self.mode == "fill":
            return f"!{w}x{h}r"
        if self.mode == "exact":
            return f"{w}x{h}!"
        return f"{w}x{h}"


@attrs.frozen(kw_only=True)
class Cut:
    """``imageMogr2/cut``: the ``width`` x ``height`` region whose top left corner is at
    (``x``, ``y``)."""

    width: int = attrs.field(validator=_opt_int("width", 1, MAX_OUTPUT_SIDE))
    height: int = attrs.field(validator=_opt_int("height", 1, MAX_OUTPUT_SIDE))
    x: int = attrs.field(default=0, validator=_opt_int("x", 0, 30000))
    y: int = attrs.field(default=0, validator=_opt_int("y", 0, 30000))

    def spec(self) -> str:
        return f"{self.width}x{self.height}x{self.x}x{self.y}"


@attrs.frozen(kw_only=True)
class Crop:
    """``imageMogr2/crop``: keep ``width`` x ``height`` (either may be omitted: the whole side)
    at ``gravity`` of the 3x3 grid (default: the top left, as COS does)."""

    width: int | None = attrs.field(default=None, validator=_opt_int("width", 1, MAX_OUTPUT_SIDE))
    height: int | None = attrs.field(default=None, validator=_opt_int("height", 1, MAX_OUTPUT_SIDE))
    gravity: str | None = attrs.field(default=None, validator=_check_gravity)

    def __attrs_post_init__(self) -> None:
        if self.width is None and self.height is None:
            raise InvalidArgument("a Crop needs a width, a height or both")

    def spec(self) -> str:
        w = "" if self.width is None else str(self.width)
        h = "" if self.height is None else str(self.height)
        text = f"{w}x{h}"
        return text if self.gravity is None else f"{text}/gravity/{self.gravity}"


_QUALITY_OPS = {
    "absolute": "quality",
    "force": "quality",
    "relative": "rquality",
    "lowest": "lquality",
}


@attrs.frozen(kw_only=True)
class ImageMogr2(ImageRule):
    """Basic processing (``imageMogr2``), its operations written in this order: ``auto_orient``
    (by the EXIF orientation), ``thumbnail``, ``cut``, ``crop``, ``rotate`` (degrees clockwise),
    ``format`` (one of :data:`IMAGE_FORMATS`; ``avif``, ``heif`` and ``tpg`` are advanced
    compression), ``quality`` (1..100, for JPG and WEBP: with ``quality_mode`` ``"absolute"`` the
    lower of it and the input's, ``"force"`` exactly it, ``"relative"`` a percentage of the
    input's, ``"lowest"`` at least it), ``strip`` (drop metadata such as EXIF). For another order,
    chain rules: ``ImageMogr2(rotate=90) | ImageMogr2(thumbnail=...)``."""

    auto_orient: bool = False
    thumbnail: Thumbnail | None = None
    cut: Cut | None = None
    crop: Crop | None = None
    rotate: int | None = attrs.field(default=None, validator=_opt_int("rotate", 0, 360))
    format: str | None = attrs.field(default=None, validator=_check_format)
    quality: int | None = attrs.field(default=None, validator=_opt_int("quality", 1, 100))
    quality_mode: Literal["absolute", "force", "relative", "lowest"] = "absolute"
    strip: bool = False

    def __attrs_post_init__(self) -> None:
        for name, cls in (("thumbnail", Thumbnail), ("cut", Cut), ("crop", Crop)):
            value = getattr(self, name)
            if value is not None and not isinstance(value, cls):
                raise InvalidArgument(f"{name} must be a {cls.__name__}, got {value!r}")
        for name in ("auto_orient", "strip"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidArgument(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.quality_mode not in _QUALITY_OPS:
            raise InvalidArgument(
                f"quality_mode must be one of {', '.join(_QUALITY_OPS)}, got {self.quality_mode!r}"
            )
        if not self.render().partition("/")[2]:
            raise InvalidArgument("an ImageMogr2 rule needs at least one operation")

    def render(self) -> str:
        parts = ["imageMogr2"]
        if self.auto_orient:
            parts.append("auto-orient")
        if self.thumbnail is not None:
            parts.append(f"thumbnail/{self.thumbnail.spec()}")
        if self.cut is not None:
            parts.append(f"cut/{self.cut.spec()}")
        if self.crop is not None:
            parts.append(f"crop/{self.crop.spec()}")
        if self.rotate is not None:
            parts.append(f"rotate/{self.rotate}")
        if self.format is not None:
            parts.append(f"format/{self.format}")
        if self.quality is not None:
            bang = "!" if self.quality_mode == "force" else ""
            parts.append(f"{_QUALITY_OPS[self.quality_mode]}/{self.quality}{bang}")
        if self.strip:
            parts.append("strip")
        return "/".join(parts)


@attrs.frozen(kw_only=True)
class ImageView2(ImageRule):
    """Quick thumbnails (``imageView2``): ``mode`` 0..5 with ``width``/``height`` (mode 1: cover
    the box then crop its centre; mode 2: fit within it; see the COS docs for the others),
    ``format`` and ``quality``. ``ImageView2(format="png")`` only converts."""

    mode: int | None = attrs.field(default=None, validator=_opt_int("mode", 0, 5))
    width: int | None = attrs.field(default=None, validator=_opt_int("width", 1, MAX_OUTPUT_SIDE))
    height: int | None = attrs.field(default=None, validator=_opt_int("height", 1, MAX_OUTPUT_SIDE))
    format: str | None = attrs.field(default=None, validator=_check_format)
    quality: int | None = attrs.field(default=None, validator=_opt_int("quality", 1, 100))

    def __attrs_post_init__(self) -> None:
        sized = self.width is not None or self.height is not None
        if self.mode is not None and not sized:
            raise InvalidArgument(f"imageView2 mode {self.mode} needs a width or a height")
        if sized and self.mode is None:
            raise InvalidArgument("imageView2 width/height need a mode (0..5)")
        if not sized and self.format is None and self.quality is None:
            raise InvalidArgument("an ImageView2 rule needs a mode and size, a format or a quality")

    def render(self) -> str:
        parts = ["imageView2"]
        if self.mode is not None:
            parts.append(str(self.mode))
        for name, value in (("w", self.width), ("h", self.height), ("format", self.format)):
            if value is not None:
                parts.append(f"{name}/{value}")
        if self.quality is not None:
            parts.append(f"q/{self.quality}")
        return "/".join(parts)


# --- QR codes and watermarks --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class QRCodeRecognition(ImageRule):
    """``QRcode/cover/<0|1>`` (in :class:`PicOperations`): recognise the QR codes of the image;
    ``cover=True`` also pixelates them in the result image."""

    cover: bool = False

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.cover, bool):
            raise InvalidArgument(f"cover must be True or False, got {self.cover!r}")

    def render(self) -> str:
        return f"QRcode/cover/{int(self.cover)}"


def _position(gravity: str | None, dx: int | None, dy: int | None) -> list[str]:
    parts = []
    if gravity is not None:
        parts.append(f"gravity/{gravity}")
    if dx is not None:
        parts.append(f"dx/{dx}")
    if dy is not None:
        parts.append(f"dy/{dy}")
    return parts


@attrs.frozen(kw_only=True)
class ImageWatermark(ImageRule):
    """``watermark/1``: an image watermark. ``image_url`` is the ``http://`` URL of an object of
    the same bucket; ``gravity``, ``dx``, ``dy`` place it; ``dissolve`` (1..100) is its opacity."""

    image_url: str = attrs.field(validator=_check_http_url)
    gravity: str | None = attrs.field(default=None, validator=_check_gravity)
    dx: int | None = attrs.field(default=None, validator=_opt_int("dx", 0, MAX_OUTPUT_SIDE))
    dy: int | None = attrs.field(default=None, validator=_opt_int("dy", 0, MAX_OUTPUT_SIDE))
    dissolve: int | None = attrs.field(default=None, validator=_opt_int("dissolve", 1, 100))

    def render(self) -> str:
        parts = ["watermark/1", f"image/{url_safe_b64(self.image_url)}"]
        parts += _position(self.gravity, self.dx, self.dy)
        if self.dissolve is not None:
            parts.append(f"dissolve/{self.dissolve}")
        return "/".join(parts)


_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


def _check_color(_inst: Any, _attr: Any, value: object) -> None:
    if value is not None and (not isinstance(value, str) or not _COLOR.fullmatch(value)):
        raise InvalidArgument(f"fill must be a colour like '#3D3D3D', got {value!r}")


def _check_text(name: str, pattern: re.Pattern[str] | None = None) -> Any:
    def check(_inst: Any, _attr: Any, value: object) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value or (pattern and not pattern.fullmatch(value)):
            hint = " of 1..64 letters and digits (what COS accepts)" if pattern else ""
            raise InvalidArgument(f"{name} must be a non-empty string{hint}, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class TextWatermark(ImageRule):
    """``watermark/2``: a visible text watermark (``font`` a COS font name such as
    ``"tahoma.ttf"``, ``font_size`` in points, ``fill`` ``"#RRGGBB"``, ``dissolve`` 1..100)."""

    text: str = attrs.field(validator=_check_text("text"))
    font: str | None = attrs.field(default=None, validator=_check_text("font"))
    font_size: int | None = attrs.field(default=None, validator=_opt_int("font_size", 1, 1000))
    fill: str | None = attrs.field(default=None, validator=_check_color)
    dissolve: int | None = attrs.field(default=None, validator=_opt_int("dissolve", 1, 100))
    gravity: str | None = attrs.field(default=None, validator=_check_gravity)
    dx: int | None = attrs.field(default=None, validator=_opt_int("dx", 0, MAX_OUTPUT_SIDE))
    dy: int | None = attrs.field(default=None, validator=_opt_int("dy", 0, MAX_OUTPUT_SIDE))

    def render(self) -> str:
        parts = ["watermark/2", f"text/{url_safe_b64(self.text)}"]
        if self.font is not None:
            parts.append(f"font/{url_safe_b64(self.font)}")
        if self.font_size is not None:
            parts.append(f"fontsize/{self.font_size}")
        if self.fill is not None:
            parts.append(f"fill/{url_safe_b64(self.fill)}")
        if self.dissolve is not None:
            parts.append(f"dissolve/{self.dissolve}")
        parts += _position(self.gravity, self.dx, self.dy)
        return "/".join(parts)


def _blind_parts(kind: int, image_url: str | None, text: str | None, what: str) -> list[str]:
    _int_in(f"{what} type", kind, 1, 3)
    if kind in (1, 2):
        if image_url is None or text is not None:
            raise InvalidArgument(f"{what} type {kind} (an image) takes image_url, not text")
        return [f"type/{kind}", f"image/{url_safe_b64(image_url)}"]
    if text is None or image_url is not None:
        raise InvalidArgument(f"{what} type 3 (a text) takes text, not image_url")
    return [f"type/{kind}", f"text/{url_safe_b64(text)}"]


@attrs.frozen(kw_only=True)
class BlindWatermark(ImageRule):
    """``watermark/3``: an invisible ("blind") watermark. ``type`` 1 (semi-blind: extracting it
    needs the original image) and 2 (blind) embed the image at ``image_url`` (an ``http://`` URL
    of the same bucket; COS wants a white mark on black, at most 1/8 of the image's sides);
    ``type`` 3 embeds ``text`` (letters and digits). ``level`` 1..3 is the strength."""

    type: Literal[1, 2, 3]
    image_url: str | None = attrs.field(default=None, validator=_check_http_url)
    text: str | None = attrs.field(default=None, validator=_check_text("text", _TEXT_MARK))
    level: int | None = attrs.field(default=None, validator=_opt_int("level", 1, 3))

    def __attrs_post_init__(self) -> None:
        _blind_parts(self.type, self.image_url, self.text, "a blind watermark's")

    def render(self) -> str:
        parts = ["watermark/3", *_blind_parts(self.type, self.image_url, self.text, "")]
        if self.level is not None:
            parts.append(f"level/{self.level}")
        return "/".join(parts)


@attrs.frozen(kw_only=True)
class ExtractBlindWatermark(ImageRule):
    """``watermark/4``: extract a blind watermark (in :class:`PicOperations`). ``type`` 1 takes
    the *original* image's ``image_url``, 2 the watermark image's, 3 the ``text`` to look for;
    the result carries ``watermark_status`` (how well it matched, 0..100)."""

    type: Literal[1, 2, 3]
    image_url: str | None = attrs.field(default=None, validator=_check_http_url)
    text: str | None = attrs.field(default=None, validator=_check_text("text", _TEXT_MARK))

    def __attrs_post_init__(self) -> None:
        _blind_parts(self.type, self.image_url, self.text, "a blind watermark extraction's")

    def render(self) -> str:
        return "/".join(["watermark/4", *_blind_parts(self.type, self.image_url, self.text, "")])


# --- Pic-Operations -----------------------------------------------------------------------


def _check_fileid(_inst: Any, _attr: Any, value: Any) -> None:
    if (
        not isinstance(value, str)
        or not value.strip("/")
        or len(value.encode("utf-8")) > 850
        or any(ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise InvalidArgument(
            "fileid must be the processed object's key (relative to the input's directory, or "
            f"absolute with a leading '/'), 1..850 bytes without control characters, got {value!r}"
        )


def _check_rule_bucket(_inst: Any, _attr: Any, value: object) -> None:
    if value is not None:
        check_bucket(value)


@attrs.frozen
class PicRule:
    """One rule of :class:`PicOperations`: process with ``rule`` and store the result as
    ``fileid`` (relative to the input's directory; a leading ``/`` makes it absolute), in
    ``bucket`` (default: the input's)."""

    fileid: str = attrs.field(validator=_check_fileid)
    rule: ImageRule = attrs.field(converter=as_rule)
    bucket: str | None = attrs.field(default=None, kw_only=True, validator=_check_rule_bucket)

    def to_json(self) -> dict[str, str]:
        doc = {"fileid": self.fileid, "rule": self.rule.render()}
        if self.bucket is not None:
            doc["bucket"] = self.bucket
        return doc


def _to_pic_rules(rules: Iterable[PicRule]) -> tuple[PicRule, ...]:
    if isinstance(rules, PicRule | str) or not isinstance(rules, Iterable):
        raise InvalidArgument(f"rules must be a sequence of PicRule, got {rules!r}")
    out = tuple(rules)
    for rule in out:
        if not isinstance(rule, PicRule):
            raise InvalidArgument(f"rules must hold PicRule items, got {rule!r}")
    if len(out) > MAX_PIC_RULES:
        raise InvalidArgument(f"COS takes at most {MAX_PIC_RULES} rules, got {len(out)}")
    return out


@attrs.frozen
class PicOperations:
    """The ``Pic-Operations`` header: up to 5 :class:`PicRule`, each storing one processed
    image; ``is_pic_info`` asks for the input image's information (``original.image_info``)."""

    rules: tuple[PicRule, ...] = attrs.field(converter=_to_pic_rules)
    is_pic_info: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.is_pic_info, bool):
            raise InvalidArgument(f"is_pic_info must be True or False, got {self.is_pic_info!r}")

    def to_json(self) -> str:
        """The header value: compact JSON (ASCII, so that it travels as a header)."""
        doc: dict[str, Any] = {"is_pic_info": int(self.is_pic_info)}
        doc["rules"] = [r.to_json() for r in self.rules]
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=True)

    def header(self) -> dict[str, str]:
        return {"Pic-Operations": self.to_json()}

    @classmethod
    def from_json(cls, text: str) -> PicOperations:
        """Parse a ``Pic-Operations`` JSON text (as the official SDK's ``PicOperations=``
        takes it), checked like a built one."""
        try:
            doc = json.loads(text) if isinstance(text, str) and len(text) <= 64 * 1024 else None
        except ValueError as exc:
            raise InvalidArgument(f"Pic-Operations is not JSON: {exc}") from None
        if not isinstance(doc, Mapping) or not isinstance(doc.get("rules", []), list):
            raise InvalidArgument(
                f'Pic-Operations must be {{"is_pic_info": 0|1, "rules": [...]}}, got {text!r:.200}'
            )
        info = doc.get("is_pic_info", 0)
        if info not in (0, 1):
            raise InvalidArgument(f"is_pic_info must be 0 or 1, got {info!r}")
        rules = []
        for item in doc.get("rules", []):
            if not isinstance(item, Mapping) or set(item) - {"fileid", "rule", "bucket"}:
                raise InvalidArgument(f"a rule is {{fileid, rule[, bucket]}}, got {item!r:.200}")
            fileid, rule = item.get("fileid"), item.get("rule")
            if not isinstance(fileid, str) or not isinstance(rule, str):
                raise InvalidArgument(f"a rule's fileid and rule are strings, got {item!r:.200}")
            rules.append(PicRule(fileid, rule, bucket=item.get("bucket")))
        return cls(rules, is_pic_info=bool(info))


def processing_query(rule: ImageRule | str) -> dict[str, str | None]:
    """The query parameter of a processing rule on download (``?imageMogr2/...``: a name
    without value, signed like any parameter)."""
    return {as_rule(rule).render(): None}
