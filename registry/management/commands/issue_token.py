"""Print a new API token: for an agency's system user, or a personal one for a named person.

    issue_token <agency USCC> [--role clerk|reviewer|admin] [--name USER] [--rotate]
    issue_token <agency USCC> --person USERNAME [--rotate]

A system user's token is shared by an agency's system: it may read, draft, submit and notify,
but approvals, publications and decisions need a named person (issue 10), who gets a personal
token with --person. --rotate revokes every earlier token of that user in the same
transaction, so a re-issued token never leaves the old one valid.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from knox.models import AuthToken

from registry import identifiers
from registry.models import Agency, User


class Command(BaseCommand):
    help = (
        "issue_token <agency identifier> [--role clerk|reviewer|admin] [--person USER] "
        "[--rotate]: print a new API token"
    )

    def add_arguments(self, parser):
        parser.add_argument("agency", help="The agency's unified social credit code")
        parser.add_argument("--role", choices=[r.value for r in User.Role], default="clerk")
        parser.add_argument("--name", help="Username of the system user (default: derived)")
        parser.add_argument(
            "--person",
            help="Issue a personal token to this named staff member of the agency instead",
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Revoke every earlier token of the user (rotation)",
        )

    @transaction.atomic
    def handle(self, *args, agency, role, name=None, person=None, rotate=False, **options):
        try:
            code = identifiers.validate_uscc(agency)
        except identifiers.IdentifierError as exc:
            raise CommandError(f"agency identifier: {exc.message}") from exc
        found = Agency.objects.filter(subject__identifier=code).select_related("subject").first()
        if found is None:
            raise CommandError(f"No agency with identifier {code}.")
        if person:
            user = User.objects.filter(username=person, is_system=False, is_active=True).first()
            if user is None or user.agency_id != found.pk:
                raise CommandError(f"No active named person {person} in agency {code}.")
        else:
            username = name or f"api-{code}-{role}"
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"agency": found, "role": role, "is_system": True, "is_staff": False},
            )
            if not created and (user.agency_id != found.pk or user.role != role):
                raise CommandError(f"User {username} exists for another agency or role.")
            if not created and not user.is_system:
                raise CommandError(f"User {username} is a named person: use --person.")
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
        revoked = 0
        if rotate:
            revoked, _ = AuthToken.objects.filter(user=user).delete()
        _instance, token = AuthToken.objects.create(user=user)
        if rotate:
            self.stderr.write(f"revoked {revoked} earlier token(s) of {user.username}")
        self.stdout.write(token)
