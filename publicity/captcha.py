"""A self-hosted CAPTCHA for the objection and repair forms (issue 10): no third-party
service, no script. After `settings.PORTAL_CAPTCHA_AFTER` (default 3) submissions from one
client address in a day, the form asks for the digits of a distorted image drawn here with
Pillow. The answer travels only as a salted hash inside a signed, 10-minute token, and a
solved token is spent (cannot be replayed) while Redis answers.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import secrets
import unicodedata

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from scs import ratelimit
from scs.cache import cache_get, cache_set
from scs.security import client_ip

SALT = "publicity.captcha"
MAX_AGE = 600
DAY = 86400


def _threshold() -> int:
    return getattr(settings, "PORTAL_CAPTCHA_AFTER", 3)


def _key(request) -> str:
    return f"portal:submitted:{client_ip(request)}"


def required(request) -> bool:
    """True once this client has filed the allowed number of submissions today."""
    return ratelimit.peek(_key(request), DAY) >= _threshold()


def count_submission(request) -> None:
    ratelimit.hit(_key(request), 10**9, DAY)


def _digest(answer: str, nonce: str) -> str:
    return hashlib.sha256(f"{nonce}:{answer}:{settings.SECRET_KEY}".encode()).hexdigest()


def _image(text: str) -> str:
    rng = random.SystemRandom()
    width, height = 180, 60
    img = Image.new("RGB", (width, height), (250, 250, 245))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=34)
    for i, ch in enumerate(text):
        glyph = Image.new("RGBA", (40, 50), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((6, 4), ch, font=font, fill=(30, 40, 90, 255))
        glyph = glyph.rotate(rng.uniform(-28, 28), resample=Image.BICUBIC, expand=True)
        img.paste(glyph, (8 + i * 33 + rng.randint(-3, 3), rng.randint(0, 8)), glyph)
    for _line in range(6):
        points = [(rng.randint(0, width), rng.randint(0, height)) for _end in range(2)]
        draw.line(points, fill=(rng.randint(60, 160),) * 3, width=2)
    for _dot in range(250):
        draw.point((rng.randint(0, width - 1), rng.randint(0, height - 1)), fill=(90, 90, 90))
    img = img.filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def challenge() -> tuple[str, str]:
    """(signed token, PNG data URI) for a new 5-digit challenge."""
    answer = "".join(secrets.choice("23456789") for _ in range(5))
    nonce = secrets.token_hex(8)
    token = signing.dumps({"n": nonce, "d": _digest(answer, nonce)}, salt=SALT)
    return token, _image(answer)


def verify(token: str, answer: str) -> bool:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return False
    typed = "".join(unicodedata.normalize("NFKC", answer or "").split())
    if not secrets.compare_digest(_digest(typed, data["n"]), data["d"]):
        return False
    spent = f"captcha:spent:{data['n']}"
    if cache_get(spent):
        return False
    cache_set(spent, 1, MAX_AGE)
    return True


class CaptchaWidget(forms.TextInput):
    """A fresh challenge each time the form is shown: the picture, its signed token, and the
    text box (never pre-filled)."""

    def render(self, name, value, attrs=None, renderer=None):
        token, image = challenge()
        box = super().render(name, "", attrs, renderer)
        return format_html(
            '<img class="captcha" src="{}" width="180" height="60" alt="{}">'
            '<input type="hidden" name="captcha_token" value="{}">{}',
            image,
            _("Five digits, distorted"),
            token,
            box,
        )


class CaptchaField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Type the digits in the picture"),
            max_length=10,
            widget=CaptchaWidget(attrs={"autocomplete": "off", "inputmode": "numeric"}),
            **kwargs,
        )


def protect(form: forms.Form, request) -> None:
    """Add the CAPTCHA field to `form` when this client needs one; checked in form.clean."""
    if not required(request):
        return
    form.fields["captcha"] = CaptchaField()
    original_clean = form.clean

    def clean():
        cleaned = original_clean()
        token = request.POST.get("captcha_token", "")
        if "captcha" in form.fields and not verify(token, form.data.get("captcha", "")):
            form.add_error("captcha", ValidationError(_("The digits do not match; try again.")))
        return cleaned

    form.clean = clean
