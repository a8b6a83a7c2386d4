"""Create a system user of an agency with a role and print its API token."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from knox.models import AuthToken

from registry import identifiers
from registry.models import Agency, User


class Command(BaseCommand):
    help = "issue_token <agency identifier> [--role clerk|reviewer|admin]: print a new API token"

    def add_arguments(self, parser):
        parser.add_argument("agency", help="The agency's unified social credit code")
        parser.add_argument("--role", choices=[r.value for r in User.Role], default="clerk")
        parser.add_argument("--name", help="Username of the system user (default: derived)")

    @transaction.atomic
    def handle(self, *args, agency, role, name=None, **options):
        try:
            code = identifiers.validate_uscc(agency)
        except identifiers.IdentifierError as exc:
            raise CommandError(f"agency identifier: {exc.message}") from exc
        found = Agency.objects.filter(subject__identifier=code).select_related("subject").first()
        if found is None:
            raise CommandError(f"No agency with identifier {code}.")
        username = name or f"api-{code}-{role}"
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"agency": found, "role": role, "is_system": True, "is_staff": False},
        )
        if not created and (user.agency_id != found.pk or user.role != role):
            raise CommandError(f"User {username} exists for another agency or role.")
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        _instance, token = AuthToken.objects.create(user=user)
        self.stdout.write(token)
