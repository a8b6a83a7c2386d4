from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from opendata import export


class Command(BaseCommand):
    help = "Write a new open data version (CSV + JSON Lines, manifest, delta, index.json)."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="Directory (default: settings.OPEN_DATA_ROOT).")

    def handle(self, *args, out=None, **options):
        try:
            manifest = export.build_version(out=Path(out) if out else None)
        except export.ExportBusy as exc:
            raise CommandError(str(exc)) from exc
        rows = {f["dataset"]: f["rows"] for f in manifest["files"] if f["format"] == "jsonl"}
        self.stdout.write(
            f"version {manifest['version']} (previous {manifest['previous']}): "
            + ", ".join(f"{k} {v}" for k, v in rows.items())
            + f"; delta {manifest['delta']['rows']} operations"
        )
