"""flask surveys totals [--fix]: the kept sums of numeric answers recounted from the answers."""

import click

from surveys.totals import rebuild, recount


@click.group("surveys")
def surveys_command() -> None:
    """Surveys: the kept sums the impact report reads."""


@surveys_command.command("totals")
@click.option("--fix", is_flag=True, help="Replace the kept sums by the recount.")
def totals_command(fix: bool) -> None:
    """Recount the numeric answers per question, event and kind of organisation and name each
    kept sum that differs. Exits with 1 when any did (also with --fix, which then mends them)."""
    differences = recount()
    if not differences:
        click.echo("Every kept sum equals the recount.")
        return
    for d in differences:
        click.echo(
            f"question {d.question_id}, event {d.event_id}, {d.organisation_kind}: kept "
            f"{d.kept[0]} answers summing {d.kept[1]}, "
            f"counted {d.counted[0]} summing {d.counted[1]}"
        )
    if fix:
        rebuild()
    click.echo(f"{'Corrected' if fix else 'Found'} {len(differences)} wrong sums.")
    click.get_current_context().exit(1)
