"""python manage.py subject_invite <identifier> <email>

Issue a one-time activation link (72 hours, single use) binding an account to the subject
with this USCC or resident ID, for its registered contact. Prints the link and e-mails it
through Django's e-mail backend. Run by the registration authority or the platform operator.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from my import services
from registry import selectors as registry_selectors
from registry.models import Subject


class Command(BaseCommand):
    help = "Issue a one-time activation link for a subject's registered contact."

    def add_arguments(self, parser):
        parser.add_argument("identifier", help="USCC or resident ID of the subject")
        parser.add_argument("email", help="the subject's registered contact address")
        parser.add_argument(
            "--issued-by", default="operator", help="who issues it (recorded in the audit)"
        )

    def handle(self, *args, identifier, email, issued_by, **options):
        code = registry_selectors.normalised_identifier(identifier)
        subject = Subject.objects.filter(identifier=code).first() if code else None
        if subject is None:
            raise CommandError("No subject has this identifier.")
        try:
            invitation, link = services.invitation_issue(
                subject=subject, email=email, issued_by=f"command:{issued_by}"
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Activation link for {subject.name} ({subject.masked_identifier}),")
        self.stdout.write(f"valid until {invitation.expires_at:%Y-%m-%d %H:%M %Z}, used once:")
        self.stdout.write(link)
