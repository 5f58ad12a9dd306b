"""Load with live reindexing: wrk drives POST /ask on a real server while the corpus changes under it and
/admin/reindex rebuilds again and again. A checker asks alongside and verifies every quote it gets.

    python tests/soak.py --seconds 120 --connections 32

Passes when no request fails, every checked citation is the exact text at its span in the document it names,
every reindex succeeds, and the server's memory after the load is within 10% of what it was after warm-up.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from rag.testing import Server, run_wrk, wrk_script
from rag.corpus import parse_document
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ["Does ketamine relieve chronic pain?", "Is ketamine safe for long-term use?",
             "What did the systematic review conclude?", "How is ketamine given for neuropathic pain?",
             "When is the soak clinic open?", "What are the side effects of ketamine?"]
SETTLE_S = 5.0
# Added and removed between rebuilds, so answers switch between indexes that hold it and ones that do not.
TRANSIENT = """---
id: soak-note
title: Soak clinic note
source_type: test note
evidence_tier: unsourced
author: null
publisher: null
published: null
url: null
---
The soak clinic is open on Tuesdays and Thursdays. It offers ketamine infusions for chronic pain.
"""


@dataclass
class SoakReport:
    seconds: float
    connections: int
    requests: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    reindexes: int = 0
    reindex_failures: list[str] = field(default_factory=list)
    answers_checked: int = 0
    citations_checked: int = 0
    inconsistent: list[str] = field(default_factory=list)
    rss_mb_after_warmup: float = 0.0
    rss_mb_after_load: float = 0.0

    @property
    def rss_growth(self) -> float:
        return self.rss_mb_after_load / self.rss_mb_after_warmup - 1

    @property
    def passed(self) -> bool:
        return (self.errors == 0 and not self.inconsistent and not self.reindex_failures and self.reindexes > 0
                and self.answers_checked > 0 and self.rss_growth < 0.10)


class Churn:
    """Toggles the transient document and reindexes until told to stop."""

    def __init__(self, server: Server, corpus: Path, token: str, report: SoakReport) -> None:
        self.server, self.corpus, self.report = server, corpus, report
        self.auth = {"Authorization": f"Bearer {token}"}
        self.stop = threading.Event()

    def cycle(self) -> None:
        note = self.corpus / "soak-note.md"
        if note.exists():
            note.unlink()
        else:
            note.write_text(TRANSIENT, encoding="utf-8")
        with httpx.Client(base_url=self.server.url, headers=self.auth, timeout=120) as client:
            if client.post("/admin/reindex").status_code != 202:
                self.report.reindex_failures.append("reindex was not accepted")
                return
            while (state := client.get("/admin/reindex").json())["state"] == "running":
                time.sleep(0.2)
        self.report.reindexes += 1
        if state["state"] != "succeeded":
            self.report.reindex_failures.append(state.get("error") or state["state"])

    def run(self) -> None:
        while not self.stop.is_set():
            self.cycle()


class Checker:
    """Asks while the index changes and checks each quote against the document text it claims to come from."""

    def __init__(self, server: Server, texts: dict[str, str], report: SoakReport) -> None:
        self.server, self.texts, self.report = server, texts, report
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.server.url, timeout=30) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                question = f"{QUESTIONS[n % len(QUESTIONS)]} ({n})"
                r = client.post("/ask", json={"question": question})
                if r.status_code != 200:
                    self.report.inconsistent.append(f"{question!r}: HTTP {r.status_code}")
                    continue
                self.report.answers_checked += 1
                for c in r.json()["citations"]:
                    self.report.citations_checked += 1
                    text = self.texts.get(c["doc_id"], "")
                    if text[c["char_start"]:c["char_end"]] != c["quote"]:
                        self.report.inconsistent.append(f"{question!r}: [{c['n']}] {c['doc_id']} "
                                                        f"{c['char_start']}-{c['char_end']} is not its quote")


def soak(seconds: float, connections: int, workdir: Path) -> SoakReport:
    shutil.copytree(ROOT / "corpus", workdir / "corpus")
    settings = Settings(corpus_dir=workdir / "corpus", index_dir=workdir / "index")
    token = secrets.token_urlsafe(16)
    report = SoakReport(seconds, connections)
    with Server(settings, {"RAG_ADMIN_TOKEN": token}) as server:
        documents = httpx.get(server.url + "/documents").json()
        texts = {d["id"]: httpx.get(f"{server.url}/documents/{d['id']}").json()["text"] for d in documents}
        texts["soak-note"] = parse_document("soak-note.md", TRANSIENT.encode(), settings.retrieval.tiers).text
        script = workdir / "ask.lua"
        script.write_text(wrk_script(QUESTIONS))
        churn, checker = Churn(server, settings.corpus_dir, token, report), Checker(server, texts, report)
        # Warm-up: the first reindex loads the model that builds use; memory is measured after it.
        churn.cycle()
        churn.cycle()
        run_wrk(server.url, script, connections, 5)
        report.rss_mb_after_warmup = round(server.rss_mb(), 1)
        report.reindexes, report.reindex_failures = 0, []
        workers = [threading.Thread(target=w.run, daemon=True) for w in (churn, checker)]
        for w in workers:
            w.start()
        load = run_wrk(server.url, script, connections, seconds)
        churn.stop.set()
        checker.stop.set()
        for w in workers:
            w.join(timeout=180)
        # The last reindex may have swapped a moment ago; the server frees the old index shortly after.
        time.sleep(SETTLE_S)
        report.rss_mb_after_load = round(server.rss_mb(), 1)
    report.requests, report.errors = load["requests"], load["errors"]
    report.p50_ms, report.p99_ms = round(load["p50_ms"], 2), round(load["p99_ms"], 2)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        report = soak(args.seconds, args.connections, Path(scratch))
    figures = {**asdict(report), "rss_growth_pct": round(report.rss_growth * 100, 1), "passed": report.passed}
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
