"""Write the evaluation report (JSON, Markdown, bar chart) and check it against the quality gate."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from .evaluate import ABLATIONS, DEFAULT

TABLE_METRICS = ["hit@1", "hit@5", "mrr", "ndcg@10", "key_recall", "all_keys", "citation_precision",
                 "lead_source", "verbatim", "abstain_precision", "abstain_recall", "abstain_accuracy",
                 "latency_p50_ms", "latency_p95_ms"]
CHART_METRICS = ["hit@5", "mrr", "key_recall", "lead_source", "abstain_accuracy"]


def table(report: dict) -> str:
    """Markdown table: one row per metric, one column per ablation (held-out folds)."""
    names = list(ABLATIONS)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric in TABLE_METRICS:
        cells = [report["ablations"][n]["held_out"][metric] for n in names]
        fmt = "{:.1f}" if metric.startswith("latency") else "{:.3f}"
        lines.append(f"| {metric} | " + " | ".join(fmt.format(c) for c in cells) + " |")
    return "\n".join(lines)


def write_report(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    failures = report.get("failures", [])
    md = ["# Evaluation report\n", f"{report['questions']} questions from `{Path(report['gold']).name}`; "
          f"metrics on held-out folds ({len(report['ablations'][DEFAULT]['fold_thresholds'])}-fold cross-validation "
          f"of the abstention threshold). Chosen threshold: {report['min_confidence']:.3f}.\n", table(report), ""]
    if report["skipped"]:
        md += ["## Skipped lines", *[f"- {p}" for p in report["skipped"]], ""]
    md += [f"## Failures of `{DEFAULT}` ({len(failures)})", ""]
    md += [f"- **{f['id']}** {f['question']} — {'; '.join(f['problems'])} (confidence {f['confidence']}, "
           f"cited {', '.join(f['cited']) or 'nothing'})" for f in failures]
    (out / "latest.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    _chart(report, out / "latest.png")


def _chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(ABLATIONS)
    x = np.arange(len(CHART_METRICS))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    for i, name in enumerate(names):
        values = [report["ablations"][name]["held_out"][m] for m in CHART_METRICS]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=name)
    ax.set_xticks(x, CHART_METRICS)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("held-out score")
    ax.set_title(f"Ablations over {report['questions']} gold questions")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def check(report: dict, thresholds_path: Path) -> list[str]:
    """Gate failures: each held-out metric of the default configuration below its minimum."""
    minimums = tomllib.loads(thresholds_path.read_text(encoding="utf-8"))["minimums"]
    held = report["ablations"][DEFAULT]["held_out"]
    return [f"{k} = {held[k]:.3f} is below the minimum {v}" for k, v in minimums.items() if held[k] < v]
