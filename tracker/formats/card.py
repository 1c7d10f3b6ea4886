"""A country's social card: the PNG image that social sites show beside a shared link (Open Graph).

Pure: plain values in, PNG bytes out (Pillow; no database, no request). 1200 x 630 pixels, the
size the large link previews use. The text is drawn in the font Pillow ships (Latin script only),
so the card is always in English, with the figures as numbers and bars that need no words.
"""

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
PRIMARY = (11, 83, 148)
PRIMARY_DARK = (7, 55, 99)
TEXT = (27, 27, 27)
MUTED = (85, 85, 85)
TRACK = (225, 229, 234)
BAR_COLOURS = {"in_force": (11, 83, 148), "with_drafts": (47, 106, 168), "implementation": (30, 107, 52)}
# The marks beside what the figures rest on: white words on a tag (WCAG AA against white text).
MARK_COLOURS = {"provisional": (138, 70, 0), "example": (85, 85, 85)}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int):
    """The largest font, from ``size`` down, in which ``text`` fits ``width`` pixels."""
    while size > 24:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return font
        size -= 4
    return _font(size)


def social_card(
    site: str,
    country: str,
    figures: Sequence[tuple[str, str, float | None, str]],
    footer: str,
    basis: str | None = None,
    marks: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The card as PNG bytes. ``figures``: (kind, label, value 0..1 or None, value as text);
    ``basis``: what they rest on ("16 of 39 provisions assessed"), drawn under the country's
    name with ``marks`` beside it, each (kind, words) as a tag ("Provisional assessment")."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 96), fill=PRIMARY)
    draw.rectangle((0, 96, WIDTH, 104), fill=PRIMARY_DARK)
    draw.text((64, 30), site, font=_font(36), fill="white")
    draw.text((64, 124), country, font=_fit(draw, country, 64, WIDTH - 128), fill=TEXT)
    x, line_font = 64, _font(30)
    if basis:
        draw.text((x, 206), basis, font=line_font, fill=TEXT)
        x += round(draw.textlength(basis, font=line_font)) + 24
    for kind, words in marks:
        width = round(draw.textlength(words, font=line_font))
        draw.rounded_rectangle((x, 200, x + width + 24, 246), radius=6, fill=MARK_COLOURS[kind])
        draw.text((x + 12, 206), words, font=line_font, fill="white")
        x += width + 24 + 16
    top = 270
    label_font, value_font = _font(32), _font(44)
    for kind, label, value, shown in figures:
        draw.text((64, top), label, font=label_font, fill=MUTED)
        draw.text((WIDTH - 64, top - 8), shown, font=value_font, fill=TEXT, anchor="ra")
        bar_top = top + 48
        draw.rectangle((64, bar_top, WIDTH - 64, bar_top + 20), fill=TRACK)
        if value:
            end = 64 + round((WIDTH - 128) * max(0.0, min(1.0, value)))
            draw.rectangle((64, bar_top, end, bar_top + 20), fill=BAR_COLOURS.get(kind, PRIMARY))
        top += 96
    draw.text((64, HEIGHT - 56), footer, font=_font(26), fill=MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
