"""The bench report: targets from `eval/bench_targets.toml` beside what was measured, as JSON and Markdown."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from .measure import STAGES


def figures(report: dict) -> dict:
    """The report plus the figures derived from it that targets name: `http_ratio` and `scale_1m`."""
    derived: dict[str, Any] = {}
    http = report.get("http", {}).get("connections", {})
    if "1" in http and "plain_encode" in report:
        derived["http_ratio"] = round(http["1"]["p50_ms"]["median"] / report["plain_encode"]["p50_ms"], 3)
    biggest = max(report.get("scale", []), key=lambda p: p["chunks"], default=None)
    if biggest and biggest["chunks"] >= 1_000_000:
        derived["scale_1m"] = biggest
    return {**report, **derived}


def lookup(data: dict, path: str) -> Any:
    """The value at a dotted path, or None where any step is missing."""
    for step in path.split("."):
        if not isinstance(data, dict) or step not in data:
            return None
        data = data[step]
    return data


def targets(report: dict, targets_path: Path) -> list[dict]:
    """Each target beside what was measured; `met` is None where the figure was not measured."""
    data = figures(report)
    rows = []
    for t in tomllib.loads(targets_path.read_text(encoding="utf-8"))["target"]:
        measured = lookup(data, t["figure"])
        limit = t["limit"]
        met = None if measured is None else (measured >= limit if t.get("at_least") else measured <= limit)
        rows.append({"target": t["name"], "measured": measured, "limit": limit, "met": met})
    return rows


def markdown(report: dict) -> str:
    """The report as the tables README shows."""
    q, lines = report["query"], []
    m = report["machine"]
    lines += [f"Machine: {m['cpus']} CPUs, {m['platform']}, GPU: {m['gpu'] or 'none'}; query backend "
              f"`{q['backend']}`. Medians over repeated runs, [min–max] in brackets.", ""]
    lines += ["| target | measured | limit | met |", "|---|---|---|---|"]
    for t in report["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {t['limit']} | {_yes(t['met'])} |")
    lines += ["", "Query path in process (ms):", "", "| stage | p50 | p95 | p99 |", "|---|---|---|---|"]
    for name in ("total", *STAGES):
        cells = [_cell(q[name][f"p{p}_ms"]) for p in (50, 95, 99)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(f"| cached answer | {q['cached_total']['p50_ms']} | | {q['cached_total']['p99_ms']} |")
    lines += ["", f"Plain `SentenceTransformer.encode()` of one question: p50 {report['plain_encode']['p50_ms']} ms."]
    bt = report["batching"]
    lines += [f"Query encoder, ms per question: {_cell(bt['alone_ms_per_question'])} one at a time, "
              f"{_cell(bt['batched_ms_per_question'])} in a batch of {bt['batch']}."]
    http = report["http"]
    if "skipped" in http:
        lines += ["", f"HTTP: {http['skipped']}."]
    else:
        lines += ["", f"HTTP `POST /ask` on loopback, wrk, distinct questions, {http['seconds_per_run']} s per run:", "",
                  "| connections | requests/s | p50 ms | p99 ms | errors / requests |", "|---|---|---|---|---|"]
        for c, r in http["connections"].items():
            lines.append(f"| {c} | {_cell(r['rps'])} | {_cell(r['p50_ms'])} | {_cell(r['p99_ms'])} | "
                         f"{r['errors']} / {r['requests']} |")
        lines += ["", f"Server RSS: {http['rss_mb_after_start']} MB after start, {http['rss_mb_after_load']} MB "
                      "after the load."]
    b, e, c = report["build"], report["embedding"], report["cold_start"]
    lines += ["", f"Build: `rag build` of the corpus {_cell(b['wall_s'])} s. Embedding throughput on "
                  f"{e['chunks']} synthetic chunks of up to {e['tokens_per_chunk']} tokens ({e['device']}): "
                  f"{e['chunks_per_s']} chunks/s (per batch {_cell(e['per_batch_chunks_per_s'])}).",
              f"Cold start: `rag ask` {_cell(c['ask_s'])} s; `import rag.cli` {_cell(c['import_s'])} s."]
    if "incremental" in report:
        lines += ["", incremental_line(report["incremental"])]
    lines += ["", "Scale curve (synthetic unit vectors, 384 dimensions, decaying spectrum; 200 fresh queries; "
                  "one search thread):", "",
              "| chunks | index | nprobe | build s | search p50 ms | p99 ms | recall@10 | index MB | RSS MB |",
              "|---|---|---|---|---|---|---|---|---|"]
    for p in report["scale"]:
        lines.append(f"| {p['chunks']:,} | {p['index']} | {p['nprobe'] or '–'} | {p['build_s']} | "
                     f"{p['search_p50_ms']} | {p['search_p99_ms']} | {p['recall_at_10']} | {p['index_mb']} | "
                     f"{p['rss_mb']} |")
    if report.get("scale_server"):
        lines += scale_server_lines(report["scale_server"])
    return "\n".join(lines) + "\n"


def scale_server_lines(rows: dict) -> list[str]:
    from .scale import SCALE_HEADER, scale_row

    return ["", "The whole server over a synthetic index (`rag bench --scale N`): sequential HTTP requests, distinct "
                "questions; recall@10 of the dense index as served against exact search; RSS after the requests:", "",
            SCALE_HEADER, *(scale_row(r) for _, r in sorted(rows.items(), key=lambda kv: int(kv[0])))]


def write_scale(row: dict, out: Path) -> None:
    """Add a `--scale` row to the report in `out`, replacing one of the same size; the Markdown is rewritten
    when the report holds the other parts too."""
    path = out / "bench.json"
    report = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    report.setdefault("scale_server", {})[str(row["chunks"])] = row
    out.mkdir(parents=True, exist_ok=True)
    if "query" in report and "targets" in report:
        write_bench(report, out)
    else:
        path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def incremental_line(r: dict) -> str:
    full, again = r["full"], r["one_changed"]
    return (f"Incremental rebuild ({r['chunks']:,} synthetic chunks in {r['documents']} documents, {r['device']}): "
            f"a full build embeds {full['embedded']:,} texts in {full['embedding_s']} s ({full['wall_s']} s in all); "
            f"after one document changed, the rebuild reuses {again['reused']:,} of {again['vectors']:,} vectors "
            f"and embeds {again['embedded']:,} in {again['embedding_s']} s ({again['wall_s']} s in all): "
            f"{100 * r['embedding_ratio']:.2f}% of the full embedding time, {100 * r['wall_ratio']:.1f}% of its "
            "wall time.")


def _cell(s: dict) -> str:
    return f"{s['median']} [{s['min']}–{s['max']}]" if s["runs"] > 1 else f"{s['median']}"


def _yes(met: bool | None) -> str:
    return "–" if met is None else ("yes" if met else "**no**")


def write_bench(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "bench.md").write_text(markdown(report), encoding="utf-8")


