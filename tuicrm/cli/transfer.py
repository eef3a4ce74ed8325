"""`tuicrm import FILE` and `tuicrm export WHAT -o FILE` — for scripts: never waits for input.

import: exit 0 when the import ran (rejected rows are listed, not fatal), 2 when nothing could be
imported (unreadable file, no usable rows, bad options). Progress with rows/s goes to stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from tuicrm.cli.common import EXIT_ERROR, EXIT_OK, cli_errors, command, fail
from tuicrm.i18n import _


def _progress_printer(enabled: bool):
    start = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        if not enabled:
            return
        now = time.perf_counter()
        if now - last[0] < 0.5 and done != total:
            return
        last[0] = now
        rate = done / max(now - start, 1e-6)
        of = f"/{total}" if total else ""
        click.echo("\r" + _("{done}{of} rows, {rate} rows/s").format(done=done, of=of, rate=int(rate)) + "   ", err=True, nl=False)

    return progress


def print_prepared(p) -> None:
    from tuicrm.transfer.mapping import field_label

    where = p.path.name + (f" [{p.sheet}]" if p.sheet else "")
    extra = f", {p.encoding}, '{p.delimiter}'" if p.encoding else ""
    click.echo(_("{file}: header on row {row}, read with {engine}{extra}").format(file=where, row=p.header_row, engine=p.engine, extra=extra))
    if p.preset:
        click.echo(_("layout: {preset}").format(preset=p.preset))
    for i, (h, code) in enumerate(zip(p.headers, p.mapping)):
        sample = " | ".join(p.samples[i][:3]) if i < len(p.samples) else ""
        click.echo(f"  {i + 1:>2}. {(h or '#' + str(i + 1))[:28]:<28} → {field_label(code)[:26]:<26} {sample[:60]}")


def print_report(rep, limit: int = 20) -> None:
    head = _("Dry run (nothing written)") if rep.dry_run else _("Import #{id}").format(id=rep.batch_id)
    click.echo(f"{head}: {Path(rep.filename).name}, " + _("policy {policy}").format(policy=rep.policy))
    click.echo(_("rows {rows}: created {created}, merged {merged}, unchanged {unchanged}, skipped {skipped}, rejected {rejected}").format(
        rows=rep.rows_total, created=rep.created, merged=rep.merged, unchanged=rep.unchanged, skipped=rep.skipped, rejected=rep.rejected))
    click.echo(_("cards: persons +{pc} (merged {pm}), companies +{cc} (merged {cm}), deals +{dc}; phones kept unparsed: {pf}").format(
        pc=rep.persons_created, pm=rep.persons_merged, cc=rep.companies_created, cm=rep.companies_merged, dc=rep.deals_created,
        pf=rep.phones_flagged))
    shown = 0
    for kind in ("rejected", "ambiguous", "conflict", "warning"):
        items = [p for p in rep.problems if p.kind == kind]
        if not items:
            continue
        total = rep.problem_counts.get(kind, len(items))
        click.echo(_("{kind} ({n}):").format(kind=_(kind), n=total))
        for p in items[: max(3, limit - shown)]:
            click.echo("  " + _("row {row}: {message}").format(row=p.row, message=p.message))
            shown += 1
        if total > len(items[: max(3, limit - shown)]):
            click.echo("  …")
    if rep.rejected_file:
        click.echo(_("rejected rows with reasons: {path}").format(path=rep.rejected_file))
    click.echo(_("{seconds:.1f} s, {rate} rows/s").format(seconds=rep.seconds, rate=int(rep.rows_total / max(rep.seconds, 1e-6))))


def register(main: click.Group) -> None:
    @command(main, "import")
    @click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Show the mapping and what would happen; write nothing.")
    @click.option("--preset", default=None, help="Column layout: amocrm, kommo, bitrix24, 1c, outlook, outlook-ru, google or a saved one.")
    @click.option("--map", "map_text", default=None, help='Fix columns: "Column=field,Other=field" (field "" ignores a column; #3 = third column).')
    @click.option("--save-preset", default=None, help="Save the mapping used under this name.")
    @click.option("--sheet", default=None, help="Sheet name (default: the first).")
    @click.option("--policy", type=click.Choice(["merge", "skip", "create"]), default="merge", show_default=True,
                  help="What to do with a row that matches a card already in the base.")
    @click.option("--rejected", "rejected_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
                  help="Where to write the rejected rows (default: FILE.rejected.xlsx next to the file).")
    @click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
    @click.option("--undo", "undo_id", type=int, default=None, help="Undo import BATCH: delete what it created, revert what it merged.")
    @click.option("--list", "list_batches", is_flag=True, help="List past imports.")
    @click.option("--engine", type=click.Choice(["calamine", "openpyxl"]), default=None, hidden=True)
    @click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
    def import_cmd(obj, file, dry_run, preset, map_text, save_preset, sheet, policy, rejected_path, yes, undo_id,
                   list_batches, engine, quiet) -> None:
        """Import persons, companies and deals from an .xlsx/.csv file, merging with cards already in the base."""
        with cli_errors():
            session = obj.session()
            actor = session.actor
            if list_batches:
                from tuicrm.transfer.importer import list_batches as lb

                for b in lb():
                    when = b.started_at.strftime("%Y-%m-%d %H:%M") if b.started_at else ""
                    click.echo(f"#{b.id:<5} {when}  {b.status:<7} {b.filename[:40]:<40} " + _(
                        "rows {rows}: created {created}, merged {merged}, skipped {skipped}, rejected {rejected}").format(
                        rows=b.rows_total, created=b.created, merged=b.merged, skipped=b.skipped, rejected=b.rejected))
                sys.exit(EXIT_OK)
            if undo_id is not None:
                from tuicrm.transfer.undo import undo_batch

                if not yes and sys.stdin.isatty() and not click.confirm(_("Undo import #{id}?").format(id=undo_id)):
                    sys.exit(EXIT_ERROR)
                u = undo_batch(actor, undo_id)
                click.echo(_("import #{id} undone: deleted {p} persons, {c} companies, {d} deals; reverted {r} merged cards").format(
                    id=undo_id, p=u.persons_deleted, c=u.companies_deleted, d=u.deals_deleted, r=u.cards_reverted))
                for k in u.kept:
                    click.echo("  " + k)
                sys.exit(EXIT_OK)
            if file is None:
                fail(_("give a FILE to import (or --list / --undo BATCH)"))
            from tuicrm.transfer import exporter, importer, presets

            prepared = importer.prepare(file, sheet=sheet, preset=preset, map_text=map_text, engine=engine)
            if dry_run or (not yes and sys.stdin.isatty()):
                print_prepared(prepared)
            if not dry_run and not yes and sys.stdin.isatty():
                if not click.confirm(_("Import with this mapping?"), default=True):
                    sys.exit(EXIT_ERROR)
            show = not quiet and not dry_run
            rep = importer.run_import(actor, file, mapping=prepared.mapping, preset=prepared.preset, sheet=prepared.sheet,
                                      policy=policy, region=session.settings.phone_region, dry_run=dry_run,
                                      progress=_progress_printer(show), engine=engine)
            if show:
                click.echo("", err=True)
            if save_preset:
                presets.save(save_preset, prepared.headers, prepared.mapping)
                click.echo(_("preset {name!r} saved").format(name=save_preset))
            if rep.rejected_rows and not dry_run:
                target = rejected_path or file.with_name(file.stem + ".rejected.xlsx")
                try:
                    exporter.write_rejected(target, rep.headers, rep.rejected_rows)
                    rep.rejected_file = str(target)
                except OSError as exc:
                    click.echo(_("could not write the rejected rows: {error}").format(error=exc.strerror or exc), err=True)
            print_report(rep)
        sys.exit(EXIT_OK if rep.imported_anything else EXIT_ERROR)

    @command(main, "export")
    @click.argument("what", type=click.Choice(["persons", "companies", "deals", "activities"]))
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.xlsx or FILE.csv")
    @click.option("--archived", is_flag=True, help="Include archived records.")
    def export_cmd(obj, what, output, archived) -> None:
        """Export persons, companies, deals or activities to .xlsx (or .csv)."""
        with cli_errors():
            from tuicrm.transfer.exporter import export_entity

            session = obj.session(must_exist=True)
            n = export_entity(session.actor, what, output, include_archived=archived)
            click.echo(_("{n} rows written to {path}").format(n=n, path=output))
        sys.exit(EXIT_OK)
