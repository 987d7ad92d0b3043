"""flask seats check [--fix]: the kept seat counts recounted from the registrations."""

import click

import participants.demo  # noqa: F401 (it adds the demo's registrations to flask demo-data)
from participants.seats import fix_counts, recount


@click.group("seats")
def seats_command() -> None:
    """The seats taken, kept on the event, its target groups and sessions."""


@seats_command.command("check")
@click.option("--fix", is_flag=True, help="Set every wrong count to the recount.")
def check_command(fix: bool) -> None:
    """Recount the confirmed seats of every event, target group and session from the
    registrations and name each kept count that differs. Exits with 1 when any did (also with
    --fix, which corrects them under each event's lock)."""
    differences = recount()
    if fix and differences:
        differences = fix_counts(d.event_id for d in differences)
    if not differences:
        click.echo("Every kept seat count equals the recount.")
        return
    by_event: dict[str, list[str]] = {}
    for d in differences:
        by_event.setdefault(d.slug, []).append(f"{d.what} kept {d.kept}, counted {d.counted}")
    for slug, lines in by_event.items():
        click.echo(f"{slug}: " + "; ".join(lines))
    verb = "Corrected" if fix else "Found"
    click.echo(f"{verb} {len(differences)} wrong counts in {len(by_event)} events.")
    click.get_current_context().exit(1)
