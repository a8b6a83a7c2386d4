"""`python manage.py access_log <identifier> [--limit N]`: who consulted a subject, for operations.

Reading the log is itself a consultation of the subject: the command logs one row too.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from sharing import selectors, services
from sharing.models import Channel, Outcome


class Command(BaseCommand):
    help = "Print the access log of one subject (newest first)."

    def add_arguments(self, parser):
        parser.add_argument("identifier")
        parser.add_argument("--limit", type=int, default=200)

    def handle(self, *args, identifier: str, limit: int, **options):
        subject = selectors.subject_by_identifier(identifier)
        if subject is None:
            raise CommandError("No subject with this identifier.")
        rows = list(selectors.consultations_of_subject(subject)[:limit])
        for row in rows:
            agency = row.agency.subject.name if row.agency else "-"
            items = ",".join(str(i.get("item") or i.get("record") or i) for i in row.items)
            self.stdout.write(
                f"{row.at:%Y-%m-%d %H:%M:%S}\t{row.username}\t{agency}\t{row.channel}\t"
                f"{row.purpose or '-'}\t{row.reference or '-'}\t{row.outcome}\t{items}"
            )
        self.stdout.write(f"{len(rows)} consultation(s) of {subject.name}.")
        services.consultation_log(
            user=None,
            channel=Channel.COMMAND,
            subject=subject,
            outcome=Outcome.RETURNED if rows else Outcome.EMPTY,
            reference="manage.py access_log",
        )
