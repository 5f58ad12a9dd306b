"""`rag` command line: argument parsing and output only; the work happens in the engine and index modules."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from .cli_measure import cmd_bench, cmd_eval, cmd_fit, say
from .errors import RagError
from .settings import Settings, load_settings

if TYPE_CHECKING:
    from .engine import Engine
    from .generate import Generated

DISCLAIMER = "Quoted from the documents in the corpus; not medical advice."


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        return args.run(args, settings)
    except RagError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Evidence-weighted answers quoted from the corpus.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    build = sub.add_parser("build", help="build the index from corpus/ (atomic: the old index stays until done)")
    build.add_argument("--full", action="store_true",
                       help="embed every text again instead of reusing the published index's vectors")
    build.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                       help="embed on a Ray cluster: the one at ADDRESS (HOST:PORT), or a local one started for "
                            "the build")
    build.set_defaults(run=cmd_build)
    add = sub.add_parser("add", help="check documents, copy them into corpus/ and rebuild (all or nothing)")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE.md", help="named <id>.md, with front matter")
    add.set_defaults(run=cmd_add)
    remove = sub.add_parser("remove", help="take documents out of corpus/ by id and rebuild (all or nothing)")
    remove.add_argument("doc_ids", nargs="+", metavar="ID")
    remove.set_defaults(run=cmd_remove)
    ask = sub.add_parser("ask", help="answer a question with verbatim, cited quotes")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer object as JSON")
    ask.add_argument("-k", "--top-k", type=int, default=None, help="passages to draw sentences from")
    ask.add_argument("--doc", action="append", dest="doc_ids", metavar="ID", help="only use this document (repeatable)")
    ask.add_argument("--generate", action="store_true",
                     help="have the language model at RAG_LLM_URL write the answer; sentences its cited quotes "
                          "do not support are left out")
    ask.set_defaults(run=cmd_ask)
    search = sub.add_parser("search", help="ranked passages with their score breakdown")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=None, help="number of passages (default 8)")
    search.add_argument("--doc", action="append", dest="doc_ids", metavar="ID", help="only search this document")
    search.add_argument("--json", action="store_true", help="print the hits as JSON")
    search.set_defaults(run=cmd_search)
    ev = sub.add_parser("eval", help="score every corpus of the suite, each with a scorer fitted on the others")
    ev.add_argument("--suite", type=Path, default=Path("eval/suite.toml"), help="the corpora and their gold sets")
    ev.add_argument("--out", type=Path, default=Path(".eval/reports"),
                    help="where latest.json/.md/.png go (eval/reports holds the committed copy)")
    ev.add_argument("--cache", type=Path, default=Path(".eval/indexes"), help="where each corpus's index is built")
    ev.add_argument("--check", action="store_true", help="exit non-zero below eval/thresholds.toml")
    ev.add_argument("--thresholds", type=Path, default=Path("eval/thresholds.toml"))
    ev.add_argument("--verification", type=Path, default=None,
                    help="labelled generated sentences the verifier is scored on (default: the suite's own)")
    ev.set_defaults(run=cmd_eval)
    fit = sub.add_parser("fit", help="fit the sentence and answerability scorer on every corpus of the suite")
    fit.add_argument("--suite", type=Path, default=Path("eval/suite.toml"))
    fit.add_argument("--cache", type=Path, default=Path(".eval/indexes"))
    fit.add_argument("--out", type=Path, default=None, help="where to write it (default: the one the package ships)")
    fit.set_defaults(run=cmd_fit)
    bench = sub.add_parser("bench", help="measure cold start, build, query path, HTTP load and scale; write a report")
    bench.add_argument("--gold", type=Path, default=Path("eval/gold.jsonl"), help="questions to ask")
    bench.add_argument("--out", type=Path, default=Path("eval/reports"), help="where bench.json and bench.md go")
    bench.add_argument("--targets", type=Path, default=Path("eval/bench_targets.toml"),
                       help="the limits each figure is compared with")
    bench.add_argument("--quick", action="store_true", help="one short run of each part, small sizes (a smoke test)")
    bench.add_argument("--only", metavar="PARTS",
                       help="comma-separated parts to rerun, keeping the others' figures from the last report "
                            "(build, cold_start, embedding, query, plain_encode, batching, http, scale, incremental)")
    bench.add_argument("--scale", type=int, metavar="N",
                       help="only this: build a synthetic index of N chunks, serve it and measure /search and /ask "
                            "over HTTP, recall, memory, readiness and size; the row joins the report")
    bench.add_argument("--scale-dir", type=Path, default=None,
                       help="where to build the --scale index and leave it (default: a temporary folder, removed)")
    bench.set_defaults(run=cmd_bench)
    serve = sub.add_parser("serve", help="run the HTTP service (builds the index first if missing or stale)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)
    mcp = sub.add_parser("mcp", help="serve ask, search, context and get_document to an LLM agent as MCP tools over "
                                     "stdin/stdout")
    mcp.set_defaults(run=cmd_mcp)
    return parser


def progress_bar(description: str):
    """A tqdm bar on stderr driven by (done, total) callbacks."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=description, unit="text", file=sys.stderr)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from .build import build_index
    from .embed import TorchEncoder

    encoder = TorchEncoder(settings.model)
    if args.ray is None:
        _report_build(build_index(settings, encoder, progress_bar("embedding"), full=args.full))
        return 0
    from .distributed import RayEmbedder, ray_cluster

    if not args.ray:  # it takes a few seconds; connecting is quick, and a refusal is then the only line
        say("ray: starting a local cluster…")
    with ray_cluster(args.ray or None) as where:
        embedder = RayEmbedder(settings.model)
        say(f"ray: on {where}, {embedder.describe()}")
        path = build_index(settings, encoder, progress_bar("embedding on Ray"), full=args.full, embedder=embedder)
    _report_build(path)
    return 0


def _report_build(path: Path) -> None:
    """Counts and reuse of the build just made, from its own manifest (`current` may have moved on since)."""
    from .build import reuse_summary
    from .store import MANIFEST

    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    counts = manifest["counts"]
    print(f"built {path.name}: {counts['documents']} documents, {counts['chunks']} chunks, "
          f"{counts['sentences']} sentences; {reuse_summary(manifest)}")


def _incremental_build(settings: Settings):
    """The build that publishes a corpus change: incremental, in this process, under the change's lock."""
    from .build import build_index
    from .embed import TorchEncoder

    return lambda: build_index(settings, TorchEncoder(settings.model), progress_bar("embedding"), holding_lock=True)


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from .changes import add_documents
    from .corpus import check_size
    from .errors import CorpusError

    files = []
    for path in args.files:
        if not path.is_file():
            raise CorpusError(path, "no such file")
        check_size(path, path.stat().st_size)  # before reading it whole
        files.append((str(path), path.read_bytes()))
    change = add_documents(settings, files, _incremental_build(settings))
    for doc in change.added:
        print(f"{'replaced' if doc.id in change.replaced else 'added'} {doc.id}: {doc.title}")
    _report_build(change.build)
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from .changes import remove_documents

    change = remove_documents(settings, args.doc_ids, _incremental_build(settings))
    print(f"removed {', '.join(change.removed)}")
    _report_build(change.build)
    return 0


def _engine(settings: Settings):
    from .engine import Engine
    from .errors import IndexMissingError, IndexStaleError, without_advice
    from .index import load_index

    try:
        return Engine.over(load_index(settings), settings)
    except (IndexMissingError, IndexStaleError) as err:
        # A rebuild takes a while; said before it starts, so a wait is never silent.
        print(f"{without_advice(err)}; building it now, before answering (this takes a while)", file=sys.stderr,
              flush=True)
    return Engine.open(settings, build_if_needed=True, progress=progress_bar("building index"))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from .engine import check_k, check_question
    from .errors import QueryError
    from .generate import Generated

    check_question(args.question, "question", settings.answer)
    check_k(args.top_k, "--top-k", settings.retrieval)
    if args.generate and not settings.llm.enabled:
        raise QueryError("--generate", "needs a language model: set RAG_LLM_URL (and RAG_LLM_MODEL)")
    engine = _engine(settings)
    if args.generate:
        made = _generated(engine, args)
    else:
        made = Generated(engine.ask(args.question, args.top_k, args.doc_ids), "extractive")
    answer = made.answer
    if args.json:
        # As POST /ask gives it: a generate request adds how the answer was made.
        made_by = {"mode": made.mode, "fallback_reason": made.fallback_reason,
                   "verification": asdict(made.verification) if made.verification else None}
        print(json.dumps({**answer.to_dict(), **(made_by if args.generate else {})}, ensure_ascii=False, indent=2))
        return 0
    print(textwrap.fill(answer.answer, 100))
    for c in answer.citations:
        print(f"  [{c.n}] {c.title} ({c.evidence_tier}; {c.doc_id} {c.char_start}-{c.char_end})")
    if made.verification and made.verification.dropped:
        print(f"left out, unsupported by the quotes they cite: {len(made.verification.dropped)} sentence(s)")
    if made.fallback_reason:
        print(f"quoted, not generated: {made.fallback_reason}")
    print(f"confidence {answer.confidence:.2f}. {DISCLAIMER}")
    return 0


def _generated(engine: Engine, args: argparse.Namespace) -> Generated:
    import anyio

    from .generate import Generator
    from .llm import Llm

    async def answer() -> Generated:
        llm = Llm(engine.settings.llm)
        try:
            generator = Generator(engine, llm, lambda work: anyio.to_thread.run_sync(work))
            return await generator.answer(args.question, args.top_k, args.doc_ids)
        finally:
            await llm.close()

    return anyio.run(answer)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from .engine import check_k, check_question

    check_question(args.query, "query", settings.answer)
    check_k(args.k, "-k", settings.retrieval)
    engine = _engine(settings)
    passages = engine.passages(engine.search(args.query, args.k, args.doc_ids))
    if args.json:
        print(json.dumps([asdict(p) for p in passages], ensure_ascii=False, indent=2))
        return 0
    for p in passages:
        print(f"{p.rank:2d}. {p.chunk_id}  final={p.final:.3f} (dense {p.dense:.3f}, bm25 {p.bm25:.2f}, "
              f"fused {p.fused:.3f}, weight {p.weight:.2f})")
        print(textwrap.indent(textwrap.shorten(p.text, 200), "    "))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .serve import serve

    serve(settings, args.host, args.port)
    return 0


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from contextlib import redirect_stdout

    from .serve.tools import serve_stdio

    # stdout is the protocol's channel: anything printed while the index loads (or builds) goes to stderr.
    with redirect_stdout(sys.stderr):
        engine = _engine(settings)
    serve_stdio(engine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
