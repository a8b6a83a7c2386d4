"""The evidence store for objections and repair applications (issue 9 §3).

- Files live under settings.EVIDENCE_ROOT, outside MEDIA_ROOT and any URL, under random names
  (no tracking number, no original file name).
- Only what can be verified whole is accepted: images are decoded completely with Pillow and
  stored re-encoded (so nothing hidden in chunks or after the image end survives: PNG/HTML
  polyglots die here); PDFs must start with `%PDF-`, parse with pypdf in strict mode, have no
  data after the last `%%EOF`, and carry no JavaScript, launch actions or embedded files.
  Anything else is refused.
- Files are served by `publicity.views.evidence` only to the owning agency's staff and the
  filer, as attachments, and every access is logged.
"""

from __future__ import annotations

import io
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

IMAGE_FORMATS = {"PNG": ".png", "JPEG": ".jpg"}
MAX_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded
# PDF features that run code or carry other files: never accepted as evidence.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|SubmitForm)\b")
# Markup a browser would render if it sniffed the file: a polyglot, refused outright.
_MARKUP = re.compile(rb"<\s*(html|script|body|iframe|svg|!doctype|\?xml|meta|object|embed)", re.I)


def _trailing_after_image(data: bytes, kind: str) -> bool:
    if kind == "PNG":
        end = data.rfind(b"IEND")
        return end < 0 or bool(data[end + 8 :])  # IEND + its 4-byte CRC ends the file
    if kind == "JPEG":
        end = data.rfind(b"\xff\xd9")
        return end < 0 or bool(data[end + 2 :].strip(b"\x00"))
    return True


class PrivateFileStorage(FileSystemStorage):
    """A file system storage with no URL at all (FileSystemStorage would fall back to
    MEDIA_URL)."""

    def url(self, name):
        raise ValueError("Evidence has no public URL: it is served by publicity.views.evidence.")


class _EvidenceStorage(LazyObject):
    def _setup(self):
        self._wrapped = PrivateFileStorage(location=settings.EVIDENCE_ROOT)


evidence_storage = _EvidenceStorage()


def get_evidence_storage():
    """The storage of evidence FileFields (callable, so settings are read at run time)."""
    return evidence_storage


def random_name(instance, filename: str) -> str:
    """`<random>.<ext>`: the tracking number and the uploader's file name stay out of it."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f"{uuid.uuid4().hex}{suffix}"


def _refuse(message, code: str) -> ValidationError:
    return ValidationError({"evidence": ValidationError(message, code=code)})


def _verify_image(data: bytes) -> tuple[bytes, str]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(_("The image is too large."), "too_large")
            image.load()  # decode every pixel
            out = io.BytesIO()
            if kind == "JPEG":
                image.convert("RGB").save(out, format="JPEG", quality=92)
            else:
                image.save(out, format="PNG")
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _refuse(_("Evidence must be a PDF, JPEG or PNG file."), "file_type") from None
    if kind not in IMAGE_FORMATS:
        raise _refuse(_("Evidence must be a PDF, JPEG or PNG file."), "file_type")
    if _trailing_after_image(data, kind):
        raise _refuse(_("The image has data after its end; it is refused."), "file_type")
    return out.getvalue(), IMAGE_FORMATS[kind]


def _verify_pdf(data: bytes) -> tuple[bytes, str]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.startswith(b"%PDF-"):
        raise _refuse(_("Evidence must be a PDF, JPEG or PNG file."), "file_type")
    end = data.rfind(b"%%EOF")
    if end < 0 or data[end + 5 :].strip():
        raise _refuse(_("The PDF has data after its end; it is refused."), "file_type")
    if _PDF_ACTIVE.search(data):
        raise _refuse(_("PDFs with scripts, actions or attachments are refused."), "file_type")
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        if len(reader.pages) == 0:
            raise _refuse(_("The PDF has no pages."), "file_type")
        for page in reader.pages:
            page.get_contents()  # parse every page's content streams
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise _refuse(_("The PDF could not be read; it is refused."), "file_type") from None
    return data, ".pdf"


def evidence_prepare(upload) -> ContentFile:
    """Verify an uploaded file whole; return what is stored (re-encoded images, checked
    PDFs) under a neutral name. Raises ValidationError({"evidence": ...}) naming the fault."""
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _refuse(
            _("The file is too large (at most %(limit)s).") % {"limit": filesizeformat(limit)},
            "too_large",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(
            _("The file is too large (at most %(limit)s).") % {"limit": filesizeformat(limit)},
            "too_large",
        )
    if _MARKUP.search(data):
        raise _refuse(_("The file contains web page markup; it is refused."), "file_type")
    if data.startswith(b"%PDF-"):
        stored, suffix = _verify_pdf(data)
    else:
        stored, suffix = _verify_image(data)
    return ContentFile(stored, name=f"evidence{suffix}")


def max_request_bytes() -> int:
    """A portal submission may carry one evidence file plus its form fields."""
    return settings.EVIDENCE_MAX_BYTES + 256 * 1024


class LimitedUploadHandler(FileUploadHandler):
    """Stops reading a multipart body as soon as it passes the limit, whatever its
    Content-Length said (chunked or lying clients)."""

    def __init__(self, request=None):
        super().__init__(request)
        self.seen = 0

    def receive_data_chunk(self, raw_data, start):
        self.seen += len(raw_data)
        if self.seen > max_request_bytes():
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None
