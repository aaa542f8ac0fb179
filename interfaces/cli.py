"""The `starledger` command."""

from __future__ import annotations

import argparse
import getpass
import hashlib
import logging
import os
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, TextIO
from uuid import UUID

from application.queries.integrity import holds_checkpoint, parse_checkpoint
from infra.wiring import VARIABLES, System, build_system, load_settings
from interfaces.heap import settle_heap
from interfaces.logs import configure_logging
from interfaces.progress import Advance, progress_bars


def _env_help() -> str:
    lines = ["environment (default):"]
    lines += [f"  {name:30} {default or '(empty)':12} {meaning}" for name, (default, meaning) in VARIABLES.items()]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="starledger",
        description="StarLedger 星级台账: event-sourced evaluation, inspection and credit records of social organizations.",
        epilog=_env_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # long jobs show progress bars on stderr when it is a terminal
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("--quiet", "-q", action="store_true", help="no progress bars")

    serve = sub.add_parser("serve", help="serve the web pages and the API, with the scheduler in-process")
    serve.add_argument("--host", help="listen address (default: $STARLEDGER_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default: $STARLEDGER_PORT or 8000)")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="seed the demo data first into an empty store (a demo store is served as it is; any other is refused)",
    )
    serve.add_argument("--no-scheduler", action="store_true", help="do not run the scheduler in this process")
    serve.add_argument(
        "--workers",
        type=int,
        help="server processes sharing the port (default: $STARLEDGER_WORKERS or 1; one per core serves the most); "
        "the scheduler then runs once, in the supervising process",
    )

    sub.add_parser(
        "demo",
        help="seed the demo organizations and users into an empty store (a second run changes nothing; a store with other data is refused)",
    )
    sub.add_parser("scheduler", help="run only the scheduled jobs (for a separate scheduler process)")

    sweep = sub.add_parser(
        "sweep",
        parents=[quiet],
        help="record missed inspections and apply the credit rules as of a date (idempotent)",
        description="What the scheduler runs daily: organizations without a submitted report after a campaign's "
        "deadline are recorded as missed (with the rule set's consequences), then credit listings are escalated "
        "or removed where their periods are over. Running it twice for the same date changes nothing.",
    )
    sweep.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the date (default: today, Asia/Shanghai)")

    subsidies = sub.add_parser("subsidies", help="grant a year's subsidies (资金扶持) and print the report per district")
    subsidies_actions = subsidies.add_subparsers(dest="action", required=True)
    grant = subsidies_actions.add_parser(
        "grant",
        parents=[quiet],
        help="grant every subsidy the rule sets give for a year (idempotent)",
        description="Each organization's entitlements are computed from its history by the rule set governing it "
        "(start-up, yearly assessment award, hub award, grade award; none after a recent penalty). Each is granted "
        "once per period, so a second run grants nothing twice.",
    )
    grant.add_argument("year", type=int, help="the year, e.g. 2025")
    grant.add_argument("--division", default="", metavar="PREFIX", help="only this locality (2, 4 or 6 digit division prefix)")
    report = subsidies_actions.add_parser("report", help="print a year's subsidies per district and rule (CSV on stdout)")
    report.add_argument("year", type=int)

    reminders = sub.add_parser("reminders", help="plan, issue and deliver reminders").add_subparsers(dest="action", required=True)
    plan = reminders.add_parser("plan", help="print what would be issued as of a date (changes nothing)")
    plan.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the date (default: today)")
    run_ = reminders.add_parser("run", help="issue the reminders due as of a date and deliver what is pending")
    run_.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the date (default: today)")

    verify = sub.add_parser(
        "verify",
        parents=[quiet],
        help="recompute the integrity chain over the whole log; exit 1 naming the first event that does not match",
    )
    verify.add_argument("--checkpoint", action="store_true", help="then record the head as a checkpoint")
    verify.add_argument(
        "--checkpoints", action="store_true", help="print the recorded checkpoints (position, link, time) as JSON Lines"
    )
    verify.add_argument(
        "--against",
        metavar="CHECKPOINT",
        help="a checkpoint kept earlier (POSITION:HASH, or a JSON line from --checkpoints or the public page): "
        "also check that the log still holds it, i.e. has only been appended to since",
    )

    export = sub.add_parser(
        "export", parents=[quiet], help="write the event log (or one aggregate's stream) as JSON Lines with the chain's links"
    )
    export.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")
    export.add_argument("--aggregate", type=UUID, help="only this aggregate's events")
    import_ = sub.add_parser("import", parents=[quiet], help="load a whole-log export into an empty store, checking every link")
    import_.add_argument("file", help="the .jsonl export ('-' for standard input)")
    sub.add_parser("replay", parents=[quiet], help="rebuild every read model from the event log (after an import), with progress")
    register_file = sub.add_parser(
        "import-register",
        parents=[quiet],
        help="register the organizations of a spreadsheet (.xlsx or UTF-8 CSV with Chinese headers); idempotent",
        description="Each row is checked (credit code and its check character, duplicates in the file or the register, "
        "division, type, date); good rows are registered with the file and row as their basis. A row already in the "
        "register creates nothing, so the same file can be run again. Exit 1 when a row has a problem.",
    )
    register_file.add_argument("file", nargs="?", help="the spreadsheet")
    register_file.add_argument("--dry-run", action="store_true", help="list every row's problem and write nothing")
    register_file.add_argument("--template", metavar="OUT.xlsx", help="write the import template (headers and an example row)")

    spot = sub.add_parser(
        "spot-checks",
        help="rerun and verify the random inspections' draws (双随机一公开抽查)",
        description="A draw is published with its seed and the SHA-256 of its candidate list (GET "
        "/api/public/spot-check-draws/ID and its /candidates). The selection is a pure function of the two: each "
        "organization ranked by SHA-256(seed:organization:ID), the lowest ceil(ratio x n) of each group drawn, each "
        "team the conflict-free inspectors ranked lowest by SHA-256(seed:ORGANIZATION:INSPECTOR). These commands "
        "rerun it, so anyone can check that nobody chose the organizations or the inspectors.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    spot_verify = spot.add_parser(
        "verify",
        help="rerun a recorded draw from its seed and candidate list; exit 1 unless the hash and the selection match",
    )
    spot_verify.add_argument("draw_id", type=UUID, metavar="DRAW_ID", help="the draw's id (in its public page's address)")
    redraw = spot.add_parser(
        "redraw",
        help="rerun a draw from a seed and a candidate-list file; print the selection and whether it matches the recorded one",
        description="Reads the candidate list as published (the exact bytes of /api/public/spot-check-draws/ID/candidates), "
        "prints its SHA-256 and the selection the seed gives, then compares them with the draw recorded for the list's "
        "year and division (exit 0: it matches, 1: it does not). With --offline no database is needed: compare the "
        "printed hash and selection with the published ones yourself.",
    )
    redraw.add_argument("--seed", required=True, help="the published seed (hexadecimal)")
    redraw.add_argument(
        "--candidates", required=True, metavar="FILE", help="the published candidate list (JSON; '-' for standard input)"
    )
    redraw.add_argument("--offline", action="store_true", help="only print the hash and the selection; do not open the store")
    spot_export = spot.add_parser("candidates", help="write a recorded draw's candidate list, the exact bytes hashed")
    spot_export.add_argument("draw_id", type=UUID, metavar="DRAW_ID")
    spot_export.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")

    audit = sub.add_parser("audit", help="auditors' checks").add_subparsers(dest="action", required=True)
    audit.add_parser("recompute", help="recompute every evaluation result from its events; exit 1 on any mismatch")

    users = sub.add_parser("users", help="manage user accounts").add_subparsers(dest="action", required=True)
    users.add_parser("list", help="list users with their roles")
    add = users.add_parser("add", help="add a user (password from --password-stdin or a prompt)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "registrar", "chair", "evaluator", "organization", "auditor"])
    add.add_argument("--display-name")
    add.add_argument("--organization-id", type=UUID, help="required for --role organization")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    contact = users.add_parser("contact", help="where a user gets reminders (the in-app inbox always)")
    contact.add_argument("username")
    contact.add_argument("--email", help="email address (needs STARLEDGER_SMTP_HOST)")
    contact.add_argument("--webhook", metavar="URL", help="receives signed JSON POSTs")
    contact.add_argument("--channels", default="inbox,email,webhook", help="comma-separated: inbox,email,webhook")
    pw = users.add_parser("set-password", help="set a user's password and end their sessions")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")

    projections = sub.add_parser("projections", help="read models").add_subparsers(dest="action", required=True)
    projections.add_parser(
        "rebuild",
        parents=[quiet],
        help="rebuild every read model (register, cases, compliance) from the whole event log, with progress",
    )
    projections.add_parser("status", help="show how far each read model has processed the log")
    return parser


def _password(args: Any) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("the passwords differ")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides: dict[str, Any] = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "no_scheduler", False):
        overrides["scheduler"] = False
    if getattr(args, "workers", None):
        overrides["workers"] = max(1, args.workers)
    settings = load_settings(**overrides)
    configure_logging(settings.log_level)
    return _run(args, settings)


def _run(args: Any, settings: Any) -> int:
    from domain.errors import DomainError

    if args.command == "serve":
        return _serve(args, settings)
    if args.command == "import-register" and (args.template or not args.file):
        return _register_template(args)
    if args.command == "spot-checks" and args.action == "redraw" and args.offline:  # anyone's rerun: no store
        try:
            return _spot_checks(args, None)
        except DomainError as e:
            print(f"error: {e.message_en} / {e.message_zh}", file=sys.stderr)
            return 2
    system = build_system(settings)
    settle_heap()
    try:
        if args.command == "demo":
            from application.demo import seed_demo

            if not seed_demo(system):
                print("demo data is there already; nothing changed")
        elif args.command == "scheduler":
            from interfaces.scheduler import run_standalone

            run_standalone(system)
        elif args.command == "sweep":
            _sweep(args, system)
        elif args.command == "reminders":
            _reminders(args, system)
        elif args.command == "subsidies":
            _subsidies(args, system)
        elif args.command == "verify":
            return _verify(args, system)
        elif args.command in ("export", "import"):
            return _transfer(args, system)
        elif args.command == "import-register":
            return _import_register(args, system)
        elif args.command == "replay":
            _projections(argparse.Namespace(action="rebuild", quiet=args.quiet), system)
        elif args.command == "audit":
            return _audit(system)
        elif args.command == "spot-checks":
            return _spot_checks(args, system)
        elif args.command == "users":
            _users(args, system)
        elif args.command == "projections":
            _projections(args, system)
        return 0
    except DomainError as e:
        print(f"error: {e.message_en} / {e.message_zh}", file=sys.stderr)
        return 2
    finally:
        system.close()


def _spot_checks(args: Any, system: System | None) -> int:
    """Rerun a draw: from the store (verify), or from a seed and a published candidate list (redraw)."""
    from application.errors import NotFound
    from domain.spot_check import CandidateList, SpotCheckDraw, select

    recorded: SpotCheckDraw | None

    if args.action == "candidates":
        assert system is not None
        body = system.spot_checks.draw_record(args.draw_id).candidates.canonical()
        if args.output == "-":
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
        else:
            with open(args.output, "wb") as f:
                f.write(body)
        return 0
    if args.action == "verify":
        assert system is not None
        recorded = system.spot_checks.draw_record(args.draw_id)
        seed, candidates, given_hash = recorded.seed, recorded.candidates, recorded.candidates.sha256()
        print(
            f"draw {recorded.id}: {recorded.year}, division {recorded.division_prefix}, recorded {recorded.created_on.isoformat()}"
        )
    else:
        raw = sys.stdin.buffer.read() if args.candidates == "-" else open(args.candidates, "rb").read()  # noqa: SIM115
        candidates, seed = CandidateList.parse(raw), args.seed.strip().lower()
        given_hash = hashlib.sha256(raw).hexdigest()
        print(f"candidate list {args.candidates}")
        if given_hash != candidates.sha256():
            print(f"  note: the file is not in the canonical encoding; its content hashes to {candidates.sha256()}")
        try:
            recorded = system.spot_checks.draw_of(candidates.year, candidates.division_prefix) if system else None
        except NotFound:
            recorded = None
    selection = select(seed, candidates)
    print(f"  sha256: {given_hash}")
    print(
        f"  {candidates.year}, division {candidates.division_prefix}, rule set {candidates.rule_set}: "
        f"{len(candidates.organizations)} organizations, {len(candidates.inspectors)} inspectors, "
        f"{candidates.inspectors_per_check} per check"
    )
    print(f"seed: {seed}")
    names = system.register_view.names([s.organization_id for s in selection]) if system else {}
    print(f"selection ({len(selection)}):")
    for s in selection:
        print(
            f"  {s.organization_id}  {s.group:<11} inspectors {', '.join(str(i) for i in s.inspector_ids)}  {names.get(s.organization_id, '')}"
        )
    if system is None:
        return 0
    if recorded is None:
        print(f"no draw is recorded for {candidates.year}, division {candidates.division_prefix}: result DIFFERS / 不一致")
        return 1
    checks = {
        "seed": seed == recorded.seed,
        "candidate list hash": given_hash == recorded.candidates_sha256,
        "selection": selection == recorded.selection,
    }
    for what, same in checks.items():
        print(f"{what}: {'matches' if same else 'DIFFERS from'} the recorded draw {recorded.id}")
    if all(checks.values()):
        print("result: MATCH / 一致")
        return 0
    print("result: DIFFERS / 不一致")
    return 1


def _users(args: Any, system: System) -> None:
    if args.action == "list":
        for u in system.accounts.users():
            print(f"{u.username:16} {u.role:13} {u.display_name}  {u.organization_id or ''}")
    elif args.action == "add":
        user = system.accounts.add_user(args.username, _password(args), args.role, args.display_name, args.organization_id)
        print(f"added {user.username} ({user.role}) id {user.id}")
    elif args.action == "contact":
        found = system.accounts.store.user_by_name(args.username)
        if found is None:
            raise SystemExit(f"no user {args.username}")
        channels = [c.strip() for c in args.channels.split(",") if c.strip()]
        unknown = set(channels) - {"inbox", "email", "webhook"}
        if unknown:
            raise SystemExit(f"unknown channel(s): {', '.join(sorted(unknown))}")
        system.reminders.set_contact(found.id, args.email, args.webhook, channels)
        print(f"{args.username} gets reminders by {', '.join(channels)}")
    elif args.action == "set-password":
        system.accounts.set_password(args.username, _password(args))
        print(f"password of {args.username} changed; their sessions ended")


def _projections(args: Any, system: System) -> None:
    if args.action == "status":
        head = system.store.recorder.max_notification_id() or 0
        for projection in system.projections:
            print(f"{projection.name}: position {projection.position()} of {head}")
        return
    rebuilt = []
    with progress_bars(args.quiet) as bars:
        for projection in system.projections:
            with system.sweep_lock.rebuilding(projection.name):  # not two at once (infra/locks.py)
                started = time.monotonic()
                count = projection.rebuild(progress=bars(f"rebuilding {projection.name}"))
            rebuilt.append(f"{projection.name} rebuilt: {count} events applied in {time.monotonic() - started:.1f}s")
    for line in rebuilt:
        print(line)


def _register_template(args: Any) -> int:
    from pathlib import Path

    from interfaces.common.spreadsheets import template_bytes

    if not args.template:
        print("starledger import-register: give the spreadsheet, or --template OUT.xlsx for the template", file=sys.stderr)
        return 2
    Path(args.template).write_bytes(template_bytes())
    print(f"template written: {args.template} (fill one organization per row under the Chinese headers)")
    return 0


def _import_register(args: Any, system: System) -> int:
    from pathlib import Path

    from application.context import system_context
    from interfaces.common.spreadsheets import read_register

    path = Path(args.file)
    if not path.is_file():
        print(f"starledger import-register: no such file: {path}", file=sys.stderr)
        return 2
    rows = read_register(path.read_bytes(), path.name)
    ctx = system_context("cli-import-register", str(system.ids.new_id()))
    with progress_bars(args.quiet) as bars:
        report = system.register_import.import_rows(
            ctx,
            rows.rows,
            path.name,
            dry_run=args.dry_run,
            progress=bars("checking" if args.dry_run else "importing"),
            total=rows.total,
        )
    for p in report.problems:
        print(f"row {p.row}{' ' + p.column if p.column else ''}: {p.zh} / {p.en}")
    for row in report.already:
        print(f"row {row} 统一社会信用代码: 已在登记名册中,跳过 / already in the register: skipped")
    print(
        f"{report.rows} row(s): {'would create' if args.dry_run else 'created'} {report.created}, "
        f"already in the register {len(report.already)}, with problems {len({p.row for p in report.problems})}"
    )
    return 0 if report.ok else 1


def _sweep(args: Any, system: System) -> None:
    from application.context import system_context
    from application.sweep import sweep

    as_of = args.as_of or system.store.today()
    ctx = system_context("cli-sweep", str(system.ids.new_id()))
    with progress_bars(args.quiet) as bars:
        done = sweep(
            system.organizations, system.inspections, system.credit, ctx, as_of, progress=bars, planning=system.reminders.planning
        )
    inspections, credit = done["inspections"], done["credit"]
    print(
        f"sweep as of {as_of}: {inspections['campaigns']} campaign deadline(s), {inspections['missed']} missed, "
        f"{inspections['exempt']} exempt; credit: {', '.join(f'{k} {v}' for k, v in credit.items()) or 'no change'}; "
        f"grades expired: {done.get('grades', {}).get('expired', 0)}"
    )


def _subsidies(args: Any, system: System) -> None:
    from application.context import system_context
    from application.exports import SafeWriter

    if args.action == "grant":
        ctx = system_context("cli-subsidies", str(system.ids.new_id()))
        with progress_bars(args.quiet) as bars:
            done = system.subsidies.grant_year(ctx, args.year, args.division, progress=bars(f"subsidies {args.year}"))
        print(
            f"subsidies {done.year}: {done.organizations} organization(s) checked, {done.granted} granted "
            f"(CNY {done.amount}), {done.already_granted} granted before"
        )
        return
    writer = SafeWriter(sys.stdout)
    writer.writerow(["district", "rule", "grants", "amount_cny"])
    for line in system.funding_view.subsidy_report(args.year):
        writer.writerow([line.district, line.rule_key, line.grants, line.amount])


def _reminders(args: Any, system: System) -> None:
    from application.context import system_context
    from interfaces.scheduler import deliverer_name

    as_of = args.as_of or system.store.today()
    if args.action == "plan":
        plans = system.reminders.plan(as_of)
        print(f"{'kind':20} {'offset':8} {'due on':10}  {'recipient':48} text")
        for p in plans:
            print(f"{p.kind:20} {p.offset:8} {p.due_on}  {p.recipient:48} {p.text_zh}")
        print(f"{len(plans)} reminder(s) as of {as_of}")
        return
    ctx = system_context("cli-reminders", str(system.ids.new_id()))
    issued = system.reminders.issue(ctx, as_of)
    delivered = system.reminders.deliver_due(ctx, deliverer=deliverer_name("cli"), limit=None)
    print(
        f"reminders as of {as_of}: {issued['issued']} issued, {issued['already_issued']} already issued; "
        f"deliveries: {delivered['delivered']} delivered, {delivered['failed']} to retry, "
        f"{delivered['dead_lettered']} dead-lettered, {delivered['cancelled']} cancelled (task done)"
    )


def _verify(args: Any, system: System) -> int:
    import json

    if args.checkpoints:
        for c in system.integrity.checkpoints():
            print(json.dumps({"position": c.position, "hash": c.hash, "at": c.at.isoformat()}))
        return 0
    kept = None
    if args.against:
        try:
            kept = parse_checkpoint(args.against)
        except ValueError as e:
            print(f"starledger verify: --against: {e}", file=sys.stderr)
            return 2
    with progress_bars(args.quiet) as bars:
        result = system.integrity.verify(progress=bars("verifying"))
    if kept is not None:
        problem = holds_checkpoint(result, *kept, system.integrity.link_at(kept[0]))
        if problem:
            print(f"NOT OK against checkpoint #{kept[0]}: {problem}", file=sys.stderr)
            return 1
        print(f"ok: the log holds checkpoint #{kept[0]} {kept[1][:16]}…, so it has only been appended to since")
    if not result.ok:
        print(f"NOT OK after {result.checked} events: {result.problem}", file=sys.stderr)
        return 1
    print(
        f"ok: {result.checked} events, head #{result.head_position} {result.head_hash}; {result.documents} documents' bytes hashed again"
    )
    if args.checkpoint:
        c = system.integrity.checkpoint(system.clock.now())
        print(f"checkpoint recorded: #{c.position} {c.hash} at {c.at.isoformat()}")
    return 0


def _transfer(args: Any, system: System) -> int:
    from infra.wiring import ImportRefused, export_log, import_log

    if args.command == "export":
        out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")  # noqa: SIM115
        try:
            with progress_bars(args.quiet) as bars:
                count = export_log(system.integrity, out, args.aggregate, bars("exporting"))
        finally:
            if out is not sys.stdout:
                out.close()
        print(f"exported {count} events", file=sys.stderr)
        return 0
    source = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    try:
        with progress_bars(args.quiet) as bars:
            count = import_log(system.integrity, _lines_read(source, bars("importing (bytes)")))
    except ImportRefused as e:
        print(f"import refused: {e}", file=sys.stderr)
        return 2
    finally:
        if source is not sys.stdin:
            source.close()
    print(f"imported {count} events; run `starledger replay` to rebuild the read models")
    return 0


def _lines_read(source: TextIO, advance: Advance) -> Iterator[str]:
    """The file's lines, reporting how many of its bytes are read (a pipe has no size: no bar)."""
    found = os.fstat(source.fileno())
    size = found.st_size if stat.S_ISREG(found.st_mode) else 0
    for number, line in enumerate(source):
        if size and number % 1000 == 0:
            advance(source.buffer.tell(), size)  # the bytes the text layer has taken in: read ahead a little
        yield line
    if size:
        advance(size, size)


def _audit(system: System) -> int:
    from application.explanations import recheck_all

    checks = recheck_all(system.evaluations, [c.id for c in system.cases.cases()])
    for c in checks:
        print(
            f"{'ok      ' if c.matches else 'MISMATCH'} {c.evaluation_id} {c.stage:16} stored {c.stored:>12}  recomputed {c.recomputed}"
        )
    mismatches = sum(not c.matches for c in checks)
    print(f"{len(checks)} result(s) recomputed, {mismatches} mismatch(es)")
    return 1 if mismatches else 0


def _serve(args: Any, settings: Any) -> int:
    import uvicorn

    from interfaces.app import create_app
    from interfaces.common.proxies import SERVER_OPTIONS
    from interfaces.scheduler import build_scheduler

    system = build_system(settings)
    if args.demo:
        from application.demo import DemoRefused, seed_demo

        try:
            seed_demo(system, logging.getLogger("starledger").info)
        except DemoRefused as e:
            system.close()
            print(f"serve --demo refused: {e.message_en}\n{e.message_zh}", file=sys.stderr)
            return 2
    print(f"StarLedger on http://{settings.host}:{settings.port}/  (API docs: /schema, health: /health)", flush=True)
    if settings.workers > 1:
        return _serve_workers(system, settings)
    app = create_app(system, build_scheduler)
    settle_heap()
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, **SERVER_OPTIONS)
    finally:
        system.close()
    return 0


def _serve_workers(system: System, settings: Any) -> int:
    """Several server processes (interfaces/workers.py); this one supervises them and runs the
    scheduler. The workers read their settings from the environment, as this process did."""
    from interfaces.common.proxies import SERVER_OPTIONS
    from interfaces.scheduler import start_in_background
    from interfaces.workers import serve_workers

    settle_heap()  # the sweeps run in this process
    scheduler = start_in_background(system)
    try:
        serve_workers(settings.host, settings.port, settings.workers, settings.log_level, SERVER_OPTIONS)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        system.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
