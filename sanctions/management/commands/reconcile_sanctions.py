"""Recompute expected sanctions, print the drift, and with --fix repair it."""

from django.core.management.base import BaseCommand

from sanctions import services


class Command(BaseCommand):
    help = "Compare sanctions with entries in force × memoranda in effect; --fix repairs drift."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Impose missing and lift extra")

    def handle(self, *args, fix, **options):
        found = services.reconcile(fix=fix)
        w = self.stdout.write
        w(f"missing: {found.missing}")
        for entry_id, measure_id, target_id in found.missing_sample:
            w(f"  missing entry={entry_id} measure={measure_id} target={target_id}")
        w(f"extra: {found.extra}")
        for entry_id, measure_id, target_id, reason in found.extra_sample:
            w(f"  extra entry={entry_id} measure={measure_id} target={target_id} ({reason})")
        if fix and found.total:
            after = services.reconcile(fix=False)
            w(f"fixed; drift now: missing {after.missing}, extra {after.extra}")
