"""Load the demo data: agencies, lists and memoranda from the seeds, and generated subjects.

Idempotent: a second run adds nothing. `--subjects 1000000` builds the benchmark dataset.

Demo data creates staff accounts with a published password, so it loads only with DEBUG=true
or an explicit `--demo` (which prints a warning); the production compose profile never runs it.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry import demo as registry_demo


class Command(BaseCommand):
    help = "Load demo data (idempotent). --subjects N scales the registry for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Load demo data even with DEBUG=false (demo accounts, published password)",
        )
        parser.add_argument("--subjects", type=int, default=3000)
        parser.add_argument(
            "--relations",
            type=int,
            default=2000,
            help="How many organisations get roles, licences and penalties",
        )

    def handle(self, *args, subjects, relations, demo=False, **options):
        if not settings.DEBUG and not demo:
            raise CommandError(
                "Refusing to load demo data with DEBUG=false: it creates staff accounts with a "
                "published password. Use --demo for a demonstration system."
            )
        if demo:
            self.stderr.write(
                "WARNING: loading DEMO data: a superuser and staff accounts with the published "
                "password. Never do this on a production system."
            )
        started = time.monotonic()
        log = self.stdout.write
        agencies = registry_demo.seed_agencies()
        items = registry_demo.seed_catalogue(agencies)
        registry_demo.seed_users(agencies)
        added = registry_demo.seed_subjects(subjects, log=log)
        registry_demo.seed_relations(agencies, items, limit=relations)
        for hook in self.app_hooks():
            hook(agencies=agencies, log=log)
        elapsed = time.monotonic() - started
        log(f"[demo] {len(agencies)} agencies, {added} new subjects in {elapsed:.1f}s")

    def app_hooks(self):
        """The lists and sanctions apps add their demo data after the registry's."""
        hooks = []
        try:
            from blacklists import demo as lists_demo

            hooks.append(lists_demo.seed)
        except ImportError:
            pass
        try:
            from sanctions import demo as sanctions_demo

            hooks.append(sanctions_demo.seed)
        except ImportError:
            pass
        try:
            from filings import demo as filings_demo

            hooks.append(filings_demo.seed)
        except ImportError:
            pass
        return hooks
