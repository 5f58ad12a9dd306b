"""The `rag` commands that measure: eval, fit and bench. Argument parsing stays in `rag.cli`."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import RagError
from .settings import Settings


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluation.report import check, stance_table, table, verifier_table, write_report
    from .evaluation.suite import run_suite
    from .evaluation.gold import suite_verification
    from .evaluation.verification import run_verification

    report = run_suite(settings, args.suite, args.cache, say=say)
    labelled = args.verification or suite_verification(args.suite)
    if labelled:
        say("eval: verifier of generated sentences…")
        report["verification"] = run_verification(settings, args.suite, args.cache, labelled)
    write_report(report, args.out)
    for problem in report["skipped"]:
        print(f"warning: {problem}", file=sys.stderr)
    print(table(report))
    if report["stance"]:
        print(stance_table(report["stance"]))
    if report.get("verification"):
        print(verifier_table(report["verification"]))
    print(f"report in {args.out}/latest.md")
    if args.check:
        failures = check(report, args.thresholds)
        for f in failures:
            print(f"gate: {f}", file=sys.stderr)
        if failures:
            return 1
        print("gate: passed")
    return 0


def cmd_fit(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluation.suite import collect_all, fit_all, open_corpora
    from .scorer import PACKAGED, save_scorer

    opened = open_corpora(settings, args.suite, args.cache, say)
    scorer = fit_all(collect_all(opened.engines, opened.golds), opened.labels)
    out = args.out or PACKAGED
    save_scorer(scorer, out)
    print(f"scorer fitted on {', '.join(scorer.fitted_on)} written to {out}; abstains below P(answered) "
          f"{scorer.threshold:.3f}")
    return 0


def say(line: str) -> None:
    """A progress line, on stderr so that stdout carries only the result."""
    print(line, file=sys.stderr, flush=True)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from .bench import QUICK, BenchPlan, run_bench
    from .bench.report import markdown, targets, write_bench
    from .evaluation.gold import load_gold

    if args.scale is not None:
        return _bench_scale(args, settings)
    if not args.gold.is_file():
        raise RagError(f"gold file {args.gold} does not exist")
    questions = [q.question for q in load_gold(args.gold)[0]]
    if not questions:
        raise RagError(f"{args.gold}: no valid questions")
    only = {p.strip() for p in args.only.split(",") if p.strip()} if args.only else None
    previous_path = args.out / "bench.json"
    previous = json.loads(previous_path.read_text()) if only and previous_path.is_file() else None
    try:
        report = run_bench(settings, questions, QUICK if args.quick else BenchPlan(), only, previous,
                           say=say)
    except ValueError as err:
        raise RagError(str(err)) from None
    report["targets"] = targets(report, args.targets)
    write_bench(report, args.out)
    print(markdown(report))
    print(f"report in {args.out}/bench.md")
    return 0


def _bench_scale(args: argparse.Namespace, settings: Settings) -> int:
    from .bench.report import write_scale
    from .bench.scale import SCALE_HEADER, scale_row, scale_server

    if args.scale < 1:
        raise RagError("--scale must be a positive number of chunks")
    row = scale_server(settings, args.scale, args.scale_dir,
                       say=say)
    write_scale(row, args.out)
    print(SCALE_HEADER)
    print(scale_row(row))
    print(f"row added to {args.out}/bench.json")
    return 0
