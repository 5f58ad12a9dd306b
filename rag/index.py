"""The loaded index: document, chunk and sentence records, vectors and BM25, verified against the manifest."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import store
from .corpus import Document, document_paths
from .dense import load_dense
from .embed import normalised
from .errors import IndexDamagedError, IndexMissingError, IndexStaleError
from .lexical import Lexicon, load_lexicon
from .term_vectors import TermVectors
from .records import ChunkRecord, Records, SentenceRecord, read_records
from .settings import Settings

__all__ = ["ChunkRecord", "Index", "SentenceRecord", "load_index"]

# The letters a word of a question and a word describing a source must share before their endings are compared.
_ROOT = 4
# Who makes a thing is named after it: a "columnist" writes a "column", a "blogger" a "blog". A shared start
# alone is not enough: "rheumatoid" names no "rheumatologist", "contentious" no "content farm".
_MAKER = ("", "s", "ist", "ists", "er", "ers", "ger", "gers")
# A word in capitals, perhaps in the plural: "FAQ", "FAQs", "FAQ's".
_INITIALISM = re.compile(r"([A-Z]{2,})(?:['’]?s)?")


def plain_words(text: str) -> list[str]:
    """The words of a text as written, lowercased."""
    return re.findall(r"\w+", text.lower())


def _names(question_term: str, describing: str) -> bool:
    short, long = sorted((question_term, describing), key=len)
    return long.startswith(short) and long[len(short):] in _MAKER


def _opens_with_author(document: Document, opening: str) -> bool:
    """Whether a sentence opens with the page's author ("By Dr Jo Acme, podiatrist at ...", "Jo Acme is a
    consultant ..."): a byline. One that only mentions the author ("At Acme Opticians, our lenses ...") says what
    the page sells, not who wrote it."""
    author = (document.author or "").split(",")[0].strip()
    return bool(author) and re.sub(r"^[\W_]*(?:by\s+)?", "", opening, flags=re.I).startswith(author)


@dataclass
class Index:
    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: Records[ChunkRecord]
    sentences: Records[SentenceRecord]
    sentence_vectors: np.ndarray
    dense: Any  # faiss.Index
    lexicon: Lexicon
    term_vectors: TermVectors
    doc_of_chunk: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        doc_ids = sorted(self.documents)
        position = {d: i for i, d in enumerate(doc_ids)}
        self._doc_order = doc_ids
        self._doc_tiers = [self.documents[d].evidence_tier for d in doc_ids]
        self._terms: dict[int, frozenset[str]] = {}
        self._chunk_terms: dict[int, frozenset[str]] = {}
        self._document_terms: dict[str, frozenset[str]] = {}
        self._section_terms: dict[str, frozenset[str]] = {}
        self._nearby: dict[int, tuple[tuple[int, ...], frozenset[str]]] = {}
        self._heading: dict[int, int | None] = {}
        self._byline: dict[str, int | None] = {}
        self._spans: dict[str, tuple[int, int]] | None = None
        self._page_means: dict[str, np.ndarray] = {}
        self.doc_of_chunk = self._doc_positions(self.chunks, position)

    @staticmethod
    def _doc_positions(records: Records, position: dict[str, int]) -> np.ndarray:
        """Each record's document as its place in sorted order, from the codes column without a loop."""
        codes, values = records.codes("doc_id")
        places = np.array([position[d] for d in values], dtype=np.int32)
        return places[codes] if len(codes) else np.empty(0, dtype=np.int32)

    def chunk_text(self, chunk: ChunkRecord) -> str:
        return self.documents[chunk.doc_id].text[chunk.char_start:chunk.char_end]

    def sentence_text(self, i: int) -> str:
        s = self.sentences[i]
        return self.documents[s.doc_id].text[s.char_start:s.char_end]

    def _span_of(self, doc_id: str) -> tuple[int, int]:
        """Where a document's sentences start and end: they are stored together and in order."""
        if self._spans is None:
            codes, values = self.sentences.codes("doc_id")
            found, firsts, counts = np.unique(codes, return_index=True, return_counts=True)
            self._spans = {values[c]: (int(i), int(i + n))
                           for c, i, n in zip(found.tolist(), firsts.tolist(), counts.tolist())}
        return self._spans.get(doc_id, (len(self.sentences), len(self.sentences)))

    def centrality(self, i: int) -> float:
        """Sentence i's cosine with the mean direction of its page's sentences: near 1 for the page's gist. Each
        page's mean is taken once, on first use, so a large index pays only for the pages questions reach."""
        doc_id = self.sentences[i].doc_id
        mean = self._page_means.get(doc_id)
        if mean is None:
            start, end = self._span_of(doc_id)
            total = np.asarray(self.sentence_vectors[start:end], dtype=np.float64).sum(axis=0)
            mean = self._page_means[doc_id] = normalised(total)
        return float(self.sentence_vectors[i] @ mean)

    def sentences_of(self, chunks: Iterable[int]) -> set[int]:
        """The sentences of these chunks, headings included."""
        return {s for c in chunks for s in range(self.chunks[c].first, self.chunks[c].last)}

    def sentences_within(self, doc_id: str, start: int, end: int) -> list[int]:
        """The sentences lying inside a span of one document, in reading order."""
        found = []
        for i in range(*self._span_of(doc_id)):
            if self.sentences[i].char_start >= end:
                break
            if self.sentences[i].char_start >= start and self.sentences[i].char_end <= end:
                found.append(i)
        return found

    def sentence_terms(self, i: int) -> frozenset[str]:
        """BM25 terms of sentence i, computed once per sentence on first use."""
        terms = self._terms.get(i)
        if terms is None:
            terms = self._terms[i] = frozenset(self.lexicon.terms(self.sentence_text(i)))
        return terms

    def section_terms(self, i: int) -> frozenset[str]:
        """BM25 terms of the heading sentence i sits under (cached per heading)."""
        section = self.sentences[i].section
        terms = self._section_terms.get(section)
        if terms is None:
            terms = self._section_terms[section] = frozenset(self.lexicon.terms(section)) if section else frozenset()
        return terms

    def heading(self, i: int) -> int | None:
        """The heading sentence that sentence i sits under, if any (cached)."""
        if i in self._heading:
            return self._heading[i]
        s = self.sentences[i]
        found, n = None, i - 1
        while s.section and n >= 0 and self.sentences[n].doc_id == s.doc_id:
            if self.sentences[n].kind == "heading":
                found = n
                break
            n -= 1
        self._heading[i] = found
        return found

    def nearby(self, i: int) -> tuple[tuple[int, ...], frozenset[str]]:
        """The non-heading sentences next to sentence i in its document, and i's terms with theirs (cached)."""
        found = self._nearby.get(i)
        if found is None:
            doc = self.sentences[i].doc_id
            near = tuple(n for n in (i - 1, i + 1) if 0 <= n < len(self.sentences)
                         and self.sentences[n].doc_id == doc and self.sentences[n].kind != "heading")
            found = self._nearby[i] = (near, self.sentence_terms(i).union(*(self.sentence_terms(n) for n in near)))
        return found

    def chunk_terms(self, i: int) -> frozenset[str]:
        """BM25 terms of chunk i's text, computed once per chunk on first use."""
        terms = self._chunk_terms.get(i)
        if terms is None:
            terms = self._chunk_terms[i] = frozenset(self.lexicon.terms(self.chunk_text(self.chunks[i])))
        return terms

    def document_terms(self, doc_id: str) -> frozenset[str]:
        """BM25 terms of a whole document, computed once per document on first use."""
        terms = self._document_terms.get(doc_id)
        if terms is None:
            chunks = np.flatnonzero(self.doc_of_chunk == self._doc_order.index(doc_id)).tolist()
            terms = self._document_terms[doc_id] = frozenset().union(*(self.chunk_terms(c) for c in chunks))
        return terms

    @cached_property
    def metadata_terms(self) -> frozenset[str]:
        """The terms of every document's title, kind, publisher and author: names a question may use ("the Acme
        Ledger column") that no passage repeats."""
        return frozenset(self._metadata_holders)

    def metadata_documents(self, term: str) -> set[str]:
        """The documents whose title, kind, publisher or author holds the term."""
        return self._metadata_holders.get(term, set())

    def heads_section(self, word: str) -> bool:
        """Whether a word in capitals ("FAQ", "FAQs") is the initials of one of the pages' headings ("Frequently
        asked questions"): a question names the section, which no passage calls so."""
        letters = _INITIALISM.fullmatch(word.strip(".,;:!?\"'()"))
        return letters is not None and letters.group(1).lower() in self._heading_initials

    @cached_property
    def _heading_initials(self) -> frozenset[str]:
        return frozenset("".join(w[0] for w in words).lower() for section in {s.section for s in self.sentences}
                         if section for words in [re.findall(r"[A-Za-z]+", section)] if len(words) > 1)

    @cached_property
    def _metadata_holders(self) -> dict[str, set[str]]:
        """Each term of the documents' titles, kinds, publishers and authors, with the documents it describes."""
        return self._terms_of(lambda d: (d.title, d.source_type, d.publisher, d.author))

    @cached_property
    def _title_holders(self) -> dict[str, set[str]]:
        return self._terms_of(lambda d: (d.title,))

    @cached_property
    def _publisher_holders(self) -> dict[str, set[str]]:
        return self._terms_of(lambda d: (d.publisher,))

    def _terms_of(self, fields: Callable[[Document], tuple[str | None, ...]]) -> dict[str, set[str]]:
        """Each term of the documents' `fields`, with the documents holding it (as `_words_of`, by term)."""
        holders: dict[str, set[str]] = {}
        for d in self.documents.values():
            for t in self.lexicon.terms(" ".join(filter(None, fields(d)))):
                holders.setdefault(t, set()).add(d.id)
        return holders

    @cached_property
    def titles(self) -> str:
        """Every document's title, lower-cased, in one text: to ask whether a word is in some title as written."""
        return " ".join(d.title.lower() for d in self.documents.values())

    def titled_documents(self, terms: Iterable[str]) -> set[str]:
        """Documents whose title holds every one of `terms` ("The Flow Restore Programme | Vireo Clinic" for the
        terms of "Vireo Flow Restore")."""
        return self._holding_all(self._title_holders, terms)

    def published_documents(self, terms: Iterable[str]) -> set[str]:
        """Documents whose publisher's name holds every one of `terms`."""
        return self._holding_all(self._publisher_holders, terms)

    def _holding_all(self, holders: dict[str, set[str]], terms: Iterable[str]) -> set[str]:
        found: set[str] = set(self.documents)
        for t in terms:
            found &= holders.get(t, set())
        return found

    def named_documents(self, terms: list[str], limit: int = 64) -> set[str]:
        """Documents a question points at by name: those holding one of its terms that no other document holds
        ("the clinic's blog", "the 2019 trial"). Terms in more than `limit` passages are no one's name."""
        named = set()
        for t in dict.fromkeys(terms):
            passages = self.lexicon.passages(t)
            if not 0 < len(passages) <= limit:
                continue
            # A publisher's name is its review's too, though only a column that cites the review repeats it.
            docs = {self._doc_order[int(d)] for d in np.unique(self.doc_of_chunk[passages])}
            if len(docs | self.metadata_documents(t)) == 1:
                named |= docs
        return named

    def phrase_documents(self, phrase: str, limit: int = 64) -> set[str]:
        """Documents whose text holds `phrase` as written ("Pain Medicine", "Journal of Acme Research"): looked for
        only in the passages holding all its terms, at most `limit` of them."""
        terms = self.lexicon.terms(phrase)
        if not terms:
            return set()
        held = self.lexicon.passages(terms[0])
        for t in terms[1:]:
            held = np.intersect1d(held, self.lexicon.passages(t))
        if len(held) > limit:
            return set()
        return {self.chunks[int(c)].doc_id for c in held if phrase in self.chunk_text(self.chunks[int(c)])}

    def described_documents(self, words: list[str], limit: int = 64, definite: frozenset[str] = frozenset(),
                            determined: frozenset[str] | None = None) -> set[str]:
        """Documents a question points at by what they are: the one document whose kind, publisher or author holds
        one of its `words` ("the leaflet", "the columnist"), where no other document's text uses that word. A word
        in more than `limit` passages is too common to single a source out, and checking it would cost a corpus
        scan. A `definite` word ("the urologist", "the sleep physician") points at its one holder whatever other
        pages say: a clinic's "physician-formulated" does not make the physician's column any less the one asked
        about. A word of a page's kind names it only where it stands in a phrase "the" or a possessive opens
        (`determined`; every word when None): "the marketing page", not "is that just marketing hype?"; a publisher
        or author needs no article. Words are compared as written, lowercased: stemmed, the "urologist" would be a
        "urology" clinic."""
        found = set()
        for w in dict.fromkeys(words):
            if w in definite:
                holders = self._holders(self._described, w) or self._introduced(w)
                found |= holders if len(holders) == 1 else set()
                continue
            holders = self._holders(self._described if determined is None or w in determined else self._publishers, w)
            if len(holders) != 1:
                continue
            passages = self._passages_using(w)
            if len(passages) > limit:
                continue
            doc = next(iter(holders))
            elsewhere = {self._doc_order[int(p)] for p in np.unique(self.doc_of_chunk[passages])}
            if elsewhere <= {doc}:
                found.add(doc)
        return found

    def kind_documents(self, words: list[str]) -> set[str]:
        """The pages whose kind holds one of `words`, where those pages are all of one tier: "the review" is the
        review's plain summary and its statistics page alike."""
        found = set()
        for w in dict.fromkeys(words):
            holders = self._holders(self._kinds, w)
            if len({self.documents[d].evidence_tier for d in holders}) == 1:
                found |= holders
        return found

    @cached_property
    def _described(self) -> dict[str, dict[str, set[str]]]:
        """The words of the documents' kinds, publishers and authors (those the lexicon keeps), by their first
        letters, with the documents each describes."""
        return self._words_of(lambda d: (d.source_type, d.publisher, d.author))

    @cached_property
    def kind_heads(self) -> frozenset[str]:
        """The terms of the last words of the documents' kinds ("review", "leaflet", "column"): what a page is, not
        what it is about."""
        return frozenset(t for d in self.documents.values() for w in plain_words(d.source_type)[-1:]
                         for t in self.lexicon.terms(w))

    @cached_property
    def _publishers(self) -> dict[str, dict[str, set[str]]]:
        return self._words_of(lambda d: (d.publisher, d.author))

    def _introduced(self, word: str) -> set[str]:
        """The pages that say what they are outside their kind: by the byline they open with ("By Dr Jo Acme,
        podiatrist at ..."), or by their id ("acme-urologist-column") where fewer than half the documents use the
        word (one most pages use, "the tape", is what they are all about)."""
        by_id = self._holders(self._ids, word)
        return self._holders(self._bylines, word) | (by_id if by_id and self.distinguishing(word) else set())

    def byline(self, doc_id: str) -> int | None:
        """A document's first sentence to open with its author ("By Dr Jo Acme, podiatrist at ...", "Jo Acme is a
        consultant ..."), at its head or its foot: who wrote it, and as what. Found once per document: a page
        without one is read to its end."""
        if doc_id not in self._byline:
            self._byline[doc_id] = next((i for i in range(*self._span_of(doc_id)) if self.sentences[i].kind != "heading"
                                         and _opens_with_author(self.documents[doc_id], self.sentence_text(i))), None)
        return self._byline[doc_id]

    @cached_property
    def _bylines(self) -> dict[str, dict[str, set[str]]]:
        return self._words_of(lambda d: (self.sentence_text(b) if (b := self.byline(d.id)) is not None else "",))

    @cached_property
    def _ids(self) -> dict[str, dict[str, set[str]]]:
        return self._words_of(lambda d: (d.id.replace("-", " "),))

    def distinguishing(self, word: str) -> bool:
        """Whether fewer than half the documents use the word: what they are all about names none of them."""
        return 2 * len(np.unique(self.doc_of_chunk[self._passages_using(word)])) < len(self.documents)

    def _passages_using(self, word: str) -> np.ndarray:
        return np.concatenate([self.lexicon.passages(t) for t in self.lexicon.terms(word)] or [np.zeros(0, int)])

    @staticmethod
    def _holders(words: dict[str, dict[str, set[str]]], w: str) -> set[str]:
        return {d for word, docs in words.get(w[:_ROOT], {}).items() if _names(w, word) for d in docs}

    @cached_property
    def _kinds(self) -> dict[str, dict[str, set[str]]]:
        return self._words_of(lambda d: (d.source_type,))

    def _words_of(self, fields: Callable[[Document], tuple[str | None, ...]]) -> dict[str, dict[str, set[str]]]:
        words: dict[str, dict[str, set[str]]] = {}
        for d in self.documents.values():
            for w in plain_words(" ".join(filter(None, fields(d)))):
                if self.lexicon.terms(w):
                    words.setdefault(w[:_ROOT], {}).setdefault(w, set()).add(d.id)
        return words

    def tiers_of(self, chunks: list[int]) -> list[str]:
        """The evidence tier of each chunk's document, through document positions: building a chunk's record to
        read its document costs more than the rest of weighing a hundred candidates."""
        return [self._doc_tiers[p] for p in self.doc_of_chunk[chunks].tolist()]

    def chunk_mask(self, doc_ids: list[str] | None) -> np.ndarray | None:
        """Boolean mask over chunks restricted to doc_ids, or None for all."""
        if not doc_ids:
            return None
        wanted = [self._doc_order.index(d) for d in doc_ids]
        return np.isin(self.doc_of_chunk, wanted)


def load_index(settings: Settings, check_corpus: bool = True) -> Index:
    """Load `index/current`, verifying checksums and, unless told not to, that corpus and settings still match."""
    folder = settings.index_dir / store.CURRENT
    manifest_path = folder / store.MANIFEST
    if not manifest_path.is_file():
        raise IndexMissingError(f"no index in {settings.index_dir}/ (run `rag build`)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = dict(manifest["files"])
    except (ValueError, KeyError, TypeError):
        raise IndexDamagedError(f"{manifest_path} is unreadable (rebuild with `rag build`)") from None
    if manifest.get("format") == store.FORMAT and manifest.get("manifest_sha256") != store.manifest_digest(manifest):
        raise IndexDamagedError(f"{manifest_path} fails its checksum (rebuild with `rag build`)")
    if manifest.get("format") != store.FORMAT:
        raise IndexStaleError(f"index format {manifest.get('format')} is not {store.FORMAT} (rebuild with `rag build`)")
    store.verify_files(folder, files)
    if check_corpus:
        ensure_fresh(manifest, settings)
    try:
        documents = {d["id"]: Document(**d) for d in json.loads((folder / store.DOCUMENTS).read_text("utf-8"))}
        chunks = read_records(folder / store.CHUNKS, ChunkRecord)
        sentences = read_records(folder / store.SENTENCES, SentenceRecord)
        dense = load_dense(folder / store.DENSE, folder / store.DENSE_VECTORS, manifest["dense_index"])
        # Mapped, not read: pages come in as the sentences they hold are scored.
        sentence_vectors = np.load(folder / store.SENTENCE_VECTORS, mmap_mode="r")
        lexicon = load_lexicon(folder / store.LEXICAL)
        term_vectors = TermVectors.load(folder)
    except Exception as err:  # a file that passed its checksum but still will not parse is damage too
        raise IndexDamagedError(f"index in {folder} cannot be read ({err.__class__.__name__}: {err})") from None
    if dense.ntotal != len(chunks) or len(sentence_vectors) != len(sentences):
        raise IndexDamagedError(f"index in {folder} has mismatched counts (rebuild with `rag build`)")
    return Index(folder.resolve(), manifest, documents, chunks, sentences, sentence_vectors, dense, lexicon,
                 term_vectors)


def stale_reasons(manifest: dict, settings: Settings) -> list[str]:
    """Why an index no longer matches the corpus folder and settings; empty when it does."""
    reasons = []
    # A synthetic index (`rag bench --scale`) was made by no model or chunking; it matches only an empty corpus.
    if "synthetic" not in manifest and manifest.get("identity") != settings.index_identity():
        reasons.append("built with other model or chunking settings")
    current = {p.name: store.sha256(p) for p in document_paths(settings.corpus_dir)}
    built = manifest.get("corpus", {})
    for name in sorted(set(current) | set(built)):
        if name not in built:
            reasons.append(f"{name} was added")
        elif name not in current:
            reasons.append(f"{name} was removed")
        elif current[name] != built[name]:
            reasons.append(f"{name} changed")
    return reasons


def ensure_fresh(manifest: dict, settings: Settings) -> None:
    reasons = stale_reasons(manifest, settings)
    if reasons:
        raise IndexStaleError(f"index is stale: {'; '.join(reasons)} (rebuild with `rag build`)")
