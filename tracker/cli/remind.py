"""`tracker remind`: the reminder ladder's mail of the day (催办), meant for cron.

    tracker remind send [--dry-run] [-j JURISDICTION] [--plan KEY]
"""

from __future__ import annotations

import click

from . import language, options
from .context import App, echo, pass_app
from ..errors import TrackerError
from ..i18n import N_, _, ngettext


@language.group()
def remind() -> None:
    """Reminders that escalate: before a deadline, on the day, while overdue, then to the coordinator."""


@remind.command()
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing, record nothing.")
@options.jurisdiction(help=N_("Only this jurisdiction's units."))
@options.plan(help=N_("Only this plan's tasks."))
@click.option("--feed-url", envvar="TRACKER_FEED_URL", default="http://127.0.0.1:8080", show_default=True,
              help="Where `tracker feed serve` is reached from outside (the reminders name the unit's feed).")
@pass_app
def send(app: App, dry_run: bool, jurisdiction: str | None, plan_key: str | None, feed_url: str) -> None:
    """Mail what is due today on each plan's reminder ladder (SMTP settings: TRACKER_SMTP_*).
    Each reminder is recorded, so a second run the same day sends nothing."""
    from ..digest.mail import FALLBACK_SENDER, SmtpSettings
    from ..digest.reminders import deliver, prepare, rung_label

    if not feed_url.startswith(("http://", "https://")):
        raise TrackerError(_("--feed-url must start with http:// or https://, not {url}").format(url=feed_url))
    settings = SmtpSettings.from_env()
    if not dry_run:
        settings.require_server()
    with app.db.reading() as session:
        batch = prepare(session, settings.sender or FALLBACK_SENDER, feed_url, jurisdiction=jurisdiction,
                        plan_key=plan_key)
    outcomes = deliver(app.db, batch, settings, dry_run=dry_run)
    if dry_run:
        echo(_("(dry run: nothing sent, nothing recorded)"))
    said = {"sent": _("sent"), "would_send": _("would send"), "failed": _("failed"),
            "no_recipients": _("no liaison with an email address, skipped")}
    counts: dict[str, int] = {}
    for outcome in outcomes:
        notice = outcome.notice
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
        kind = _("urgent") if notice.escalated else _("reminder")
        line = _("{jurisdiction} {unit} ({kind}): {result}").format(
            jurisdiction=notice.jurisdiction, unit=notice.unit, kind=kind, result=said[outcome.result])
        if outcome.detail:
            line += " → " + outcome.detail
        echo(line, err=outcome.result == "failed")
        for item in notice.items:
            echo("  " + _("{plan} {key} {title}: {rung}").format(
                plan=item.assignment.plan_key, key=item.assignment.task_key, title=item.assignment.title,
                rung=rung_label(item.rung)))
    if not outcomes:
        echo(_("no reminders are due today"))
    else:
        echo(_("; ").join(ngettext("{result}: {n}", "{result}: {n}", n).format(result=said[k], n=n)
                                for k, n in counts.items()))
    failed = [o for o in outcomes if o.result == "failed"]
    if failed:
        raise TrackerError(ngettext("{n} reminder was not sent; run the same command again to retry it",
                                    "{n} reminders were not sent; run the same command again to retry them",
                                    len(failed)).format(n=len(failed)))
