"""Print where the platform is served, the demo logins and one demo API token."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from knox.models import AuthToken

from registry.demo import DEMO_PASSWORD
from registry.models import Agency, User


class Command(BaseCommand):
    help = "Print URLs, demo logins and a fresh demo API token"

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url, **options):
        w = self.stdout.write
        w("")
        w("National credit information sharing platform")
        w(f"  Portal:    {base_url}/")
        w(f"  Admin:     {base_url}/admin/")
        w(f"  API:       {base_url}/api/v1/   docs: {base_url}/api/docs/")
        w(f"  Demo logins (password '{DEMO_PASSWORD}'):")
        w("    admin (superuser: the platform operator)")
        staff = (
            User.objects.filter(is_staff=True, is_system=False, is_superuser=False)
            .select_related("agency")
            .order_by("agency__short_name", "role", "username")
        )
        for user in staff:
            w(f"    {user.username} ({user.get_role_display()}, {user.agency})")
        agency = Agency.objects.filter(short_name__in=["海关总署", "民航局"]).first() or (
            Agency.objects.filter(is_registration_authority=True).first()
        )
        if agency:
            user, _ = User.objects.get_or_create(
                username=f"api-demo-{agency.subject.identifier}",
                defaults={"agency": agency, "role": User.Role.CLERK, "is_system": True},
            )
            _instance, token = AuthToken.objects.create(user=user)
            w(f"  Demo API token for {agency} ({agency.subject.identifier}):")
            w(f"    curl -H 'Authorization: Token {token}' {base_url}/api/v1/subjects/")
        w("")
        call_command("check", verbosity=0)
