"""flask surveys totals [--fix]: what the impact report keeps (the sums of numeric answers,
the registrations' stages, the counts of the adoption question's answers) recounted from the
rows they come from."""

import click

from surveys import adoption, stages
from surveys.totals import rebuild, recount


def _named(flags: tuple[bool, ...]) -> str:
    return ", ".join(f for f, on in zip(stages.FLAGS, flags, strict=True) if on) or "none"


@click.group("surveys")
def surveys_command() -> None:
    """Surveys: the kept sums and stages the impact report reads."""


@surveys_command.command("totals")
@click.option("--fix", is_flag=True, help="Replace the kept sums and stages by the recount.")
def totals_command(fix: bool) -> None:
    """Recount the numeric answers per question, event and kind of organisation, and the
    stages of each registration (downloaded, invited, answered, adopted), and the answers to
    the adoption question per event and group, and name each kept one that differs. Exits
    with 1 when any did (also with --fix, which then mends them)."""
    differences = recount()
    wrong_stages = stages.recount()
    wrong_adoption = adoption.recount()
    if not differences and not wrong_stages and not wrong_adoption:
        click.echo("Every kept sum equals the recount.")
        return
    for d in differences:
        click.echo(
            f"question {d.question_id}, event {d.event_id}, {d.organisation_kind}: kept "
            f"{d.kept[0]} answers summing {d.kept[1]}, "
            f"counted {d.counted[0]} summing {d.counted[1]}"
        )
    for s in wrong_stages:
        click.echo(
            f"registration {s.registration_id}: kept {_named(s.kept)}, counted {_named(s.counted)}"
        )
    for a in wrong_adoption:
        question, event, group, kind, country = a.key
        click.echo(
            f"adoption question {question}, event {event}, {group}, {kind}, {country}: kept "
            f"{a.kept[0]} responses ({a.kept[1]} yes), "
            f"counted {a.counted[0]} ({a.counted[1]} yes)"
        )
    if fix:
        rebuild()
        stages.rebuild()
        adoption.rebuild()
    done = "Corrected" if fix else "Found"
    if differences:
        click.echo(f"{done} {len(differences)} wrong sums.")
    if wrong_stages:
        click.echo(f"{done} {len(wrong_stages)} registrations with wrong stages.")
    if wrong_adoption:
        click.echo(f"{done} {len(wrong_adoption)} wrong counts of adoption answers.")
    click.get_current_context().exit(1)
