"""Write the suite's evaluation report (JSON, Markdown, chart) and check it against the quality gate."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

TABLE_METRICS = ["hit@1", "hit@5", "mrr", "ndcg@10", "key_recall", "all_keys", "citation_precision",
                 "lead_source", "verbatim", "abstain_precision", "abstain_recall", "abstain_accuracy",
                 "near_miss_abstained", "latency_p50_ms", "latency_p95_ms"]
CHART_METRICS = ["hit@5", "key_recall", "all_keys", "lead_source", "abstain_accuracy", "near_miss_abstained"]


def table(report: dict) -> str:
    """Markdown table: one row per metric, one column per held-out corpus, then the worst of them."""
    names = list(report["corpora"])
    lines = ["| metric | " + " | ".join(names) + " | worst |", "|---|" + "---|" * (len(names) + 1)]
    for metric in TABLE_METRICS:
        cells = [report["corpora"][n]["held_out"][metric] for n in names] + [report["headline"]["worst"][metric]]
        fmt = "{:.1f}" if metric.startswith("latency") else "{:.3f}"
        lines.append(f"| {metric} | " + " | ".join(fmt.format(c) for c in cells) + " |")
    return "\n".join(lines)


def stance_table(stance: dict) -> str:
    lines = ["| polarity | labelled | precision | recall |", "|---|---|---|---|"]
    for name in ("supports", "doubts", "neutral"):
        s = stance[name]
        lines.append(f"| {name} | {s['labelled']} | {s['precision']:.3f} | {s['recall']:.3f} |")
    if "elsewhere" in stance:  # reports written before it was counted lack it
        lines += ["", f"The stance layer took {stance['elsewhere']} stances on a topic other than the one a sentence "
                      "is labelled on."]
    return "\n".join(lines)


def verifier_table(verification: dict) -> str:
    """Precision and recall of "supported", each corpus with thresholds fitted on the others."""
    lines = ["| verifier (held out) | cases | precision | recall | thresholds |", "|---|---|---|---|---|"]
    for name, h in verification["held_out"].items():
        fitted = ", ".join(f"{k} {v}" for k, v in h["thresholds"].items())
        lines.append(f"| {name} | {h['cases']} | {h['precision']:.3f} | {h['recall']:.3f} | {fitted} |")
    o = verification["overall"]
    lines.append(f"| all | {verification['cases']} | {o['precision']:.3f} | {o['recall']:.3f} | |")
    return "\n".join(lines)


def write_report(report: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md = ["# Evaluation report", "",
          "Each corpus is scored with a scorer fitted on the other corpora only (leave-one-corpus-out); the last "
          "column is the worst corpus.", "", table(report), ""]
    for name, r in report["corpora"].items():
        md.append(f"- **{name}**: {r['questions']} questions over {r['documents']} documents; scorer fitted on "
                  f"{', '.join(r['fitted_on'])}; abstention below P(answered) {r['threshold']:.3f}.")
    if report.get("stance"):
        md += ["", f"## Stance on {report['stance']['sentences']} labelled sentences (all corpora)", "",
               stance_table(report["stance"])]
    if report.get("verification"):
        v = report["verification"]
        md += ["", f"## Verifier of generated sentences on {v['cases']} labelled cases", "", verifier_table(v), "",
               f"Thresholds fitted on all corpora: {v['fitted_on_all']['thresholds']}.", "",
               f"### Unsupported sentences it let through ({len(v['false_positives'])})", ""]
        md += [f"- ({f['corpus']}, {f['kind']}) {f['sentence']}" for f in v["false_positives"]]
        md += ["", f"### Supported sentences it held back ({len(v['false_negatives'])})", ""]
        md += [f"- ({f['corpus']}, {f['kind']}) {f['sentence']} — {f['reason']}" for f in v["false_negatives"]]
    if report["skipped"]:
        md += ["", "## Skipped lines", *[f"- {p}" for p in report["skipped"]]]
    for name, r in report["corpora"].items():
        md += ["", f"## Failures on {name} ({len(r['failures'])})", ""]
        md += [f"- **{f['id']}** ({f['kind'] or 'unlabelled'}) {f['question']} — {'; '.join(f['problems'])} "
               f"(confidence {f['confidence']}, cited {', '.join(f['cited']) or 'nothing'})" for f in r["failures"]]
    (out / "latest.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    _chart(report, out / "latest.png")


def _chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(report["corpora"])
    x = np.arange(len(CHART_METRICS))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(10, 4.6), dpi=110)
    for i, name in enumerate(names):
        values = [report["corpora"][name]["held_out"][m] for m in CHART_METRICS]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=f"{name} (held out)")
    ax.set_xticks(x, CHART_METRICS, fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Leave-one-corpus-out evaluation")
    # Outside the axes, so it never covers a bar.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def check(report: dict, thresholds_path: Path) -> list[str]:
    """Gate failures: each corpus's held-out metric below its minimum (a corpus table overrides [minimums]), stance
    precision or recall of a polarity below [stance.POLARITY], more of the stance layer's stances on a topic other
    than the labelled one than [stance_layer] allows, and the verifier's held-out figures below [verifier]."""
    gates = tomllib.loads(thresholds_path.read_text(encoding="utf-8"))
    problems = []
    for name, r in report["corpora"].items():
        minimums = {**gates.get("minimums", {}), **gates.get("corpus", {}).get(name, {})}
        held = r["held_out"]
        problems += [f"{name}: {k} = {held[k]:.3f} is below the minimum {v}" for k, v in minimums.items()
                     if held[k] < v]
    for polarity, minimums in gates.get("stance", {}).items():
        scored = (report.get("stance") or {}).get(polarity, {})
        problems += [f"stance: {polarity} {k} = {scored[k]:.3f} is below the minimum {v}"
                     for k, v in minimums.items() if scored.get(k, 0.0) < v]
    most = gates.get("stance_layer", {}).get("elsewhere")
    elsewhere = (report.get("stance") or {}).get("elsewhere", 0)
    if most is not None and elsewhere > most:
        problems.append(f"stance: the layer took {elsewhere} stances on a topic other than the labelled one, more than "
                        f"the most allowed, {most}")
    verification = report.get("verification")
    if verification:
        overall = verification["overall"]
        problems += [f"verifier: {k} = {overall[k]:.3f} is below the minimum {v}"
                     for k, v in gates.get("verifier", {}).items() if overall[k] < v]
    return problems
