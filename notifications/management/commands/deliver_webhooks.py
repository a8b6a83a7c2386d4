import time

from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    help = "Collect new changes and deliver due webhook requests (what the Celery tasks run)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, once=False, interval=5.0, **options):
        while True:
            collected = services.changes_collect_all()
            delivered = services.deliver_due()
            if once:
                self.stdout.write(f"collected {collected} changes, attempted {delivered}")
                return
            time.sleep(interval)
