# Reuse the sanctions scene and the real worker fixture.
from tests.sanctions.conftest import celery_worker_process, scene  # noqa: F401
