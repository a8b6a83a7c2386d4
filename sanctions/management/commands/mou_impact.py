"""Dry run: what a memorandum would impose and lift on a date, before it takes effect."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from sanctions import propagation
from sanctions.models import Memorandum


class Command(BaseCommand):
    help = "mou_impact <memorandum key, id or document number> [--on YYYY-MM-DD]"

    def add_arguments(self, parser):
        parser.add_argument("memorandum")
        parser.add_argument("--on", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args, memorandum, on, **options):
        query = Q(key=memorandum) | Q(document_number=memorandum)
        if memorandum.isdigit():
            query |= Q(pk=int(memorandum))
        found = Memorandum.objects.filter(query).first()
        if found is None:
            raise CommandError(f"No memorandum {memorandum!r}.")
        on = on or max(found.effective_from, datetime.date.today())  # noqa: DTZ011
        result = propagation.impact(found.pk, on=on, assume_in_effect=False)
        self.stdout.write(f"{found} on {on:%Y-%m-%d}:")
        self.stdout.write(
            f"  would impose {result['create']} sanctions on {result['create_subjects']} subjects"
        )
        self.stdout.write(
            f"  would lift {result['lift']} sanctions on {result['lift_subjects']} subjects"
        )
