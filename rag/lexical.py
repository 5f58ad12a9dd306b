"""BM25 over chunk passages (bm25s), with scores normalised to the best match the query could get."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np


# Letters two words must share at the start to count as forms of one word.
PREFIX = 5
# A word at least this common in English (Zipf scale: about once in 3 million words) is a word, not a slip of the
# keyboard: "sprain" or "tyre" missing from the corpus is a question about something else, "tabelt" is a typo.
TYPO_ZIPF = 2.5
# A word rarer than this in English (about once in 3 million words) is a specialist's (a drug's name, a
# condition's), not everyday wording a page may put otherwise ("glue", "money back"): when the corpus never uses it,
# the question is most likely about something else. Fixed here, not a setting: the scorer was fitted with it.
SPECIALIST_ZIPF = 3.5
# What trials compare a treatment with, in the words pages use for it. They are one thing in different words: asked
# whether it beats a placebo, a page of sham treatments answers, and a page naming no comparison answers whether it
# works at all. None names what a question is about, however rare in English ("placebo").
TRIAL_CONTROLS = ("placebo", "sham", "dummy")
# A word at least this common in English (about once in 100,000 words) is one a slip of the keyboard was likely
# aiming at: "shoud" is "should" mistyped, not a word the corpus lacks.
COMMON_ZIPF = 4.0
# Shorter words are too close to too many others ("dog", "hip") for a one-letter change to be a typo.
TYPO_MIN_LETTERS = 4
# Contractions typed without their apostrophe. With it, "don't" splits into stop words; without it, "dont" or "im"
# would be the rarest word of a lay question and look like a subject the corpus lacks.
BARE_CONTRACTIONS = ("im", "ive", "id", "youre", "youve", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt",
                     "werent", "hasnt", "havent", "hadnt", "cant", "couldnt", "shouldnt", "wouldnt", "wont", "whats",
                     "thats", "theres", "lets",
                     # Likewise chat that asks nothing: "is it ok to ...", typed "OK", would be a name the corpus lacks.
                     "ok", "okay")
# Our per-token arrays, saved beside bm25s's own files so that they are mapped at load, not recomputed.
CEILING, DOC_FREQ = "token_ceiling.npy", "doc_freq.npy"


# How bm25s splits text into words (two word characters or more), so each word lines up with its term.
_WORD = re.compile(r"(?u)\b\w\w+\b")
_DIGIT = re.compile(r"\d")
# How questions are typed in a hurry ("a 30 yr old", "how long b4 i give up", "4 wks", "wat do ppl say"): each
# stands for one everyday word, which the pages write out. "u" and "r" only in lower case, where they are words.
_CHAT = {"yr": "year", "yrs": "years", "hr": "hour", "hrs": "hours", "mins": "minutes", "wk": "week", "wks": "weeks",
         "mth": "month", "mths": "months", "b4": "before", "ppl": "people", "wat": "what", "wot": "what",
         "pls": "please", "plz": "please", "ur": "your", "thru": "through", "tho": "though", "coz": "because",
         "cuz": "because", "abt": "about", "smth": "something", "2day": "today", "gonna": "going to",
         "wanna": "want to", "dunno": "don't know", "w/": "with", "w/o": "without", "shud": "should",
         "shld": "should", "wud": "would", "wld": "would", "cld": "could", "b/c": "because", "bcos": "because",
         "tmrw": "tomorrow", "rly": "really", "sth": "something"}
_CHAT_LOWER = {"u": "you", "r": "are"}
_CHAT_WORD = re.compile(r"(?<![\w/])(?:(?i:" + "|".join(sorted(map(re.escape, _CHAT), key=len, reverse=True))
                        + r")|" + "|".join(_CHAT_LOWER) + r")(?![\w/])")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _english() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    return get_frequency_dict("en")


def zipf(word: str) -> float:
    """How common a lower-case word is in English, on the Zipf scale (log10 of uses per billion words)."""
    frequency = _english().get(word, 0.0)
    return float(np.log10(frequency) + 9.0) if frequency > 0 else 0.0


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Affixes that make a rare word of a common one: "disputing", "unanswered", "re-ran" are everyday English.
_POSSESSIVE = re.compile(r"['’]s?$")
_PREFIXES = ("un", "dis", "non", "in", "im", "re")
_SUFFIXES = ("ing", "ed", "es", "s", "ly", "ity", "ness", "y", "er", "ers", "ation", "ment", "ful", "less")
# A consonant doubled before a suffix: "swapped", "gassy", "shopper" are "swap", "gas", "shop".
_DOUBLED = re.compile(r"([b-df-hj-np-tv-z])\1$")
# A final y turned i before a suffix: "cherries", "sleepiness", "saltier" are "cherry", "sleepy", "salty".
_Y_BEFORE_SUFFIX = re.compile(r"(?<=[b-df-hj-np-tv-z])i$")


def specialist(word: str) -> bool:
    """Whether a lower-case word is a specialist's (a drug's name, a condition's): rare in English, no slip of the
    keyboard for a common word, and no common word with an affix ("disputing", "unanswered"). A hyphenated word is
    one when one of its parts is ("acmeprofen-induced", not "re-ran"); a possessive is its noun ("columnist's")."""
    word = _POSSESSIVE.sub("", word)
    if "-" in word:
        return any(specialist(part) for part in word.split("-") if part)
    if _trial_control(word):
        return False
    return zipf(word) < SPECIALIST_ZIPF and not slip_of_common_word(word) and not _compound(word) and not any(
        zipf(form) >= SPECIALIST_ZIPF or _compound(form) for form in _relatives(word))


# A part of a compound this common in English (about once in 30,000 words) is an everyday word: "bankroll",
# "brainwave", "handout" are everyday, "acmeprofen" is not.
COMPOUND_ZIPF = 4.5
# Bound forms that make specialists' words of everyday ones: "antibody", "transdermal", "hyperactive".
_BOUND = ("anti", "auto", "hyper", "hypo", "inter", "intra", "micro", "multi", "poly", "post", "pre", "pro", "semi",
          "sub", "super", "trans", "ultra")


def _compound(word: str) -> bool:
    """Whether a word is two everyday words run together, the first no bound form: "sunburn", "outlay"."""
    return any(word[:i] not in _BOUND and zipf(word[:i]) >= COMPOUND_ZIPF and zipf(word[i:]) >= COMPOUND_ZIPF
               for i in range(3, len(word) - 2))


def plain_chat(text: str) -> str:
    """The text with chat spellings written out: "is it ok for a 30 yr old" asks about a "30 year old". In
    capitals they are abbreviations of something else ("HR 0.8" is a hazard ratio)."""
    def written_out(m: re.Match[str]) -> str:
        word = m.group()
        return _CHAT_LOWER.get(word) or (word if word.isupper() else _CHAT[word.lower()])
    return _CHAT_WORD.sub(written_out, text)


def common_abbreviation(word: str) -> bool:
    """Whether a word is written in capitals and, in lower case, common in English: "IV", "NHS", not "CGRP"."""
    letters = word.strip(".,;:!?\"'()")
    return len(letters) > 1 and letters.isupper() and letters.isalpha() and zipf(letters.lower()) >= COMMON_ZIPF


def _relatives(word: str) -> set[str]:
    """The word's other forms ("exaggerating": exaggerated; "unfavourable": favourable; "gassy": gas;
    "discolouration": colour; "cherries": cherry) and spellings ("instalments": installments), any of which, being
    everyday, makes it everyday."""
    stems = {word} | {word[len(p):] for p in _PREFIXES if word.startswith(p)}
    bases = {base for stem in stems for s in _SUFFIXES if stem.endswith(s) and len(stem) > len(s) + 2
             for cut in (stem[:-len(s)],)
             for base in (cut, cut + "e", _DOUBLED.sub(r"\1", cut), _Y_BEFORE_SUFFIX.sub("y", cut))}
    forms = bases | {base + s for base in bases for s in ("ed", "s", "ing")} | (stems - {word})
    return (forms | {variant for form in forms | {word} for variant in other_spellings(form)}) - {word}


# British and American spellings of one word ("favourable" and "favorable", "instalments" and "installments",
# "apnoea" and "apnea", "centre" and "center"), which wordfreq counts apart and a corpus may hold in only one. The
# rules fit whole words and stemmed terms ("centr") alike.
_SPELLINGS = ((re.compile(r"our(?=s?$|able|ite|ed|ing)"), ("or",)), (re.compile(r"(?<=[a-z])or(?=s?$)"), ("our",)),
              (re.compile(r"is(?=e[sd]?$|ing$|ation|$)"), ("iz",)),
              (re.compile(r"iz(?=e[sd]?$|ing$|ation|$)"), ("is",)),
              (re.compile(r"(?<=[aeiou])l(?=ment)"), ("ll",)), (re.compile(r"(?<=[aeiou])ll(?=ing$|ed$|er$)"), ("l",)),
              (re.compile(r"(?<=[a-z])(?=e)|^(?=e)"), ("a", "o")), (re.compile(r"[ao](?=e)"), ("",)),
              (re.compile(r"(?<=[a-z])ter(?=s?$)"), ("tr", "tre")), (re.compile(r"(?<=[a-z])tre?(?=s?$)"), ("ter",)))


def other_spellings(term: str) -> set[str]:
    """The word or term spelt each other way, one change at a time."""
    found = set()
    for pattern, replacements in _SPELLINGS:
        for m in pattern.finditer(term):
            found |= {term[:m.start()] + r + term[m.end():] for r in replacements}
    return found - {term}


def slip_of_common_word(word: str) -> bool:
    """Whether a lower-case word is one slip of the keyboard (a letter dropped, added, changed, or two swapped)
    from a common English word: "shoud", "wierd", "wat"."""
    return bool(common_words_a_slip_from(word))


def misspelt(word: str) -> tuple[str, ...]:
    """The common English words a lower-case word may be a slip of the keyboard for, commonest first: those one
    slip from it that keep its first letter (changed there, it is most often another word: "croup" is no "group"),
    when English rarely writes it and it is no form of a word English uses ("repot")."""
    if not _may_be_slip(word, word) or _english_forms(word):
        return ()
    return tuple(c for c in common_words_a_slip_from(word) if c[:1] == word[:1])


def _trial_control(word: str) -> bool:
    """Whether a lower-case word names a trial's control, in any form ("placebos", "dummies")."""
    return terms_of(word) in _control_terms()


@lru_cache(maxsize=1)
def _control_terms() -> frozenset[tuple[str, ...]]:
    return frozenset(terms_of(control) for control in TRIAL_CONTROLS)


def _may_be_slip(word: str, term: str) -> bool:
    """Whether a word as typed, with its term, can be a slip: long enough, rare in English, and no number ("2018"
    is another year than the corpus's "2016", not a typo of it)."""
    return len(term) >= TYPO_MIN_LETTERS and zipf(word) < TYPO_ZIPF and not _DIGIT.search(term)


def _english_forms(word: str) -> list[str]:
    """The word's other forms that English uses: "gummies", "repot", "wilting" are those words, not slips."""
    return [f for f in _relatives(word) if zipf(f) >= TYPO_ZIPF]


@lru_cache(maxsize=4_096)
def common_words_a_slip_from(word: str) -> tuple[str, ...]:
    """The common English words one slip of the keyboard from a lower-case word, commonest first."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    dropped = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changed = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    added = {a + c + b for a, b in splits for c in _LETTERS}
    found = [e for e in (dropped | swapped | changed | added) - {word} if zipf(e) >= COMMON_ZIPF]
    return tuple(sorted(found, key=lambda e: (-zipf(e), e)))


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, Snowball-stemmed tokens; the same for passages and queries."""
    import bm25s
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    # The longer list drops question words ("what", "where", "does") that would otherwise match headings.
    return bm25s.tokenize(texts, stopwords=[*STOPWORDS_EN_PLUS, *BARE_CONTRACTIONS], stemmer=_stemmer(),
                          return_ids=False, show_progress=False)


# A question is tokenised by several steps (retrieval, its names, the documents it points at), and bm25s's
# tokeniser costs a tenth of a millisecond a call: each text once.
@lru_cache(maxsize=65_536)
def terms_of(text: str) -> tuple[str, ...]:
    return tuple(tokenize([text])[0])


@dataclass
class Lexicon:
    bm25: Any  # bm25s.BM25
    # For each vocabulary token, its highest score in any passage: the ceiling a query term can reach.
    token_ceiling: np.ndarray
    # For each vocabulary token, the number of passages holding it.
    doc_freq: np.ndarray

    def terms(self, query: str) -> list[str]:
        return list(terms_of(query))

    def query_terms(self, query: str) -> list[str]:
        """The query's terms in the corpus's spelling, with slips of the keyboard mended ("a sore thraot" asks about
        a "throat")."""
        terms = [self.respelt(t) for t in self.terms(query)]
        if all(self.resembles(t) for t in terms):
            return terms
        words = _WORD.findall(query)
        # A capitalised word after the first is a name ("StrapRight"): it is what the user asked about, not a slip.
        return [m for i, (word, stems) in enumerate(zip(words, tokenize(words)))
                for m in (stems if i and word[:1].isupper() else self.mended_word(word.lower(), stems))]

    def mended_word(self, word: str, stems: list[str]) -> list[str]:
        """The terms of a word as typed, a slip of the keyboard mended. A slip of a common English word is that
        word when the corpus holds it or it is a stop word ("condtion": condition, "shoud": should), whose stem
        may be nothing like the slip's ("condtion", not "condit"). Other slips are mended term by term, against
        the corpus's own words. A trial's control the corpus does not name is the one it names most ("placebo":
        sham), or no term when it names none."""
        if stems and not any(self.resembles(self.respelt(t)) for t in stems):
            if _trial_control(word):
                return self._most_used(TRIAL_CONTROLS) or []
            held = self._most_used(misspelt(word))
            if held is not None:
                return held
        return [self.mended(word, self.respelt(t)) for t in stems]

    def _most_used(self, words: tuple[str, ...]) -> list[str] | None:
        """The terms of whichever of these words the corpus uses most, of those whose terms it holds; a stop word
        (no terms) first, as the commonest words are ("slep": sleep, though English writes "step" more). None when
        it holds none of them."""
        held = [terms for word in words for terms in ([self.respelt(t) for t in terms_of(word)],)
                if all(map(self.known, terms))]
        return min(held, key=lambda terms: -max(map(self._df, terms)) if terms else -np.inf) if held else None

    def mended(self, word: str, term: str) -> str:
        """The commonest corpus term one edit from `term` (two for long ones) when `word` is a typo: a word the
        corpus holds in no form and English rarely uses. Otherwise `term` as it is."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        if self.resembles(term) or not _may_be_slip(word, term):
            return term
        # Another form of a word English uses is that word, not a slip of the keys: the corpus's own form of it
        # where it holds one ("unstretched": stretch), else the term as it is. Not through "-less", which says the
        # opposite ("footless" asks about no foot).
        forms = _english_forms(word)
        if forms:
            return term if word.endswith("less") else self._commonest(
                [t for f in forms for t in terms_of(f)], term)
        found = process.extract(term, self._vocabulary, scorer=OSA.distance, score_cutoff=1 + (len(term) >= 8),
                                limit=None)
        # A slip keeps the word's first letter: changed there, it is most often another word the corpus lacks
        # ("croup" is no "group", "underactive" no "interact").
        found = [f for f in found if f[0][:1] == term[:1]]
        return max(found, key=lambda f: (-f[1], self.doc_freq[f[2]]))[0] if found else term

    def matches(self, terms: list[str], mask: np.ndarray | None = None) -> "Matches":
        """The passages (within `mask`) that hold a query term, with their BM25 scores.

        Only the query terms' postings are read and summed, so a query over millions of passages costs in
        proportion to how often its words occur, not to the size of the corpus. Terms are added in query order,
        a repeated term twice, as bm25s does: the scores are bm25s's to the last bit.
        """
        data, indices, indptr = self._csc
        ids = np.asarray(self._ids(terms), dtype=np.int64)
        postings = int((indptr[ids + 1] - indptr[ids]).sum()) if len(ids) else 0
        held, values = np.empty(postings, dtype=np.int64), np.empty(postings, dtype=np.float32)
        count = _merge_postings(data, indices, indptr, ids, held, values)
        held, values = held[:count], values[:count]
        if mask is not None:
            held, values = held[mask[held]], values[mask[held]]
        return Matches(held, values)

    def scores_at(self, terms: list[str], passages: list[int]) -> np.ndarray:
        """BM25 of the given passages, summed as `matches` sums them, by binary search in each term's postings
        (bm25s keeps each term's passage ids sorted)."""
        data, _, indptr = self._csc
        wanted = np.asarray(passages, dtype=np.int64)
        total = np.zeros(len(wanted), dtype=np.float32)
        for t in self._ids(terms):
            docs = self._passages(t)
            at = np.minimum(np.searchsorted(docs, wanted), max(len(docs) - 1, 0))
            found = (docs[at] == wanted) if len(docs) else np.zeros(len(wanted), dtype=bool)
            total[found] += data[indptr[t] + at[found]]
        return total

    def passages(self, term: str) -> np.ndarray:
        """The passages holding the term, in order (empty for a term the corpus lacks)."""
        i = self._id(term)
        return self._passages(i) if i is not None else np.empty(0, dtype=np.int32)

    @property
    def _csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """bm25s's score matrix, term by term: scores, passage ids, and where each term's run starts."""
        scores = self.bm25.scores
        return scores["data"], scores["indices"], scores["indptr"]

    def _passages(self, i: int) -> np.ndarray:
        _, indices, indptr = self._csc
        return indices[indptr[i]:indptr[i + 1]]

    def _id(self, term: str) -> int | None:
        # bm25s keeps a placeholder "" in its vocabulary beyond the scored tokens.
        i = self.bm25.vocab_dict.get(term)
        return i if i is not None and i < len(self.doc_freq) else None

    def _ids(self, terms: list[str]) -> list[int]:
        return [i for i in map(self._id, terms) if i is not None]

    def idf(self, terms: list[str]) -> np.ndarray:
        """Inverse passage frequency of each term (BM25's form); a term the corpus never uses gets the highest."""
        n = max(int(self.bm25.scores["num_docs"]), 1)
        df = np.array([self._df(t) for t in terms], dtype=np.float64)
        return np.log(1 + (n - df + 0.5) / (df + 0.5))

    def _df(self, term: str) -> int:
        i = self._id(term)
        return int(self.doc_freq[i]) if i is not None else 0

    def known(self, term: str) -> bool:
        return self._df(term) > 0

    def resembles(self, term: str) -> bool:
        """Whether the corpus holds the term or a word that starts the same way: a typo ("medicin", "arthr") or
        another form of a known word is not a new subject."""
        return (self.known(term) or (len(term) >= PREFIX and term[:PREFIX] in self._prefixes)
                or self.respelt(term) != term)

    def respelt(self, term: str) -> str:
        """The corpus's own spelling of a term it holds only spelt the other way ("apnea": "apnoea"), else the
        term itself."""
        if len(term) < TYPO_MIN_LETTERS or self.known(term):
            return term
        return self._commonest(other_spellings(term), term)

    def _commonest(self, terms: Iterable[str], otherwise: str) -> str:
        """Of `terms`, the one the corpus holds in the most passages; `otherwise` when it holds none."""
        held = [t for t in terms if self.known(t)]
        return max(held, key=self._df) if held else otherwise

    @cached_property
    def _prefixes(self) -> frozenset[str]:
        return frozenset(t[:PREFIX] for t, i in self.bm25.vocab_dict.items()
                         if len(t) >= PREFIX and i < len(self.doc_freq) and self.doc_freq[i] > 0)

    @cached_property
    def _vocabulary(self) -> list[str]:
        """The scored vocabulary in id order, so a position in it is a term id."""
        terms = [""] * len(self.doc_freq)
        for t, i in self.bm25.vocab_dict.items():
            if i < len(terms):
                terms[i] = t
        return terms

    @cached_property
    def _median_ceiling(self) -> float:
        return float(np.median(self.token_ceiling))

    def ceiling(self, terms: list[str]) -> float:
        """The score a passage would get by matching every term as well as the best passage does.

        Terms the corpus has never seen count at the median ceiling, so a question about things the corpus
        never mentions cannot reach a high normalised score through its one or two familiar words.
        """
        if not terms or not len(self.token_ceiling):
            return 0.0
        vocab = self.bm25.vocab_dict
        unseen = self._median_ceiling
        return float(sum(self.token_ceiling[vocab[t]] if t in vocab else unseen for t in terms))


def _merge_postings(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, ids: np.ndarray, held: np.ndarray,
                    values: np.ndarray) -> int:
    """Merge the postings of `ids` (each sorted by passage) into `held` passages, in passage order, and their
    summed scores in `values`; returns how many passages hold a term."""
    return int(_compiled_merge()(data, indices, indptr, ids, held, values))


@lru_cache(maxsize=1)
def _compiled_merge() -> Any:
    import numba

    # A k-way merge reads each posting list forwards once, where summing into a corpus-sized array would jump
    # about memory; compiled, because a Python or numpy loop costs ten times more per posting. Without the GIL,
    # threads answering at once merge in parallel.
    @numba.njit(cache=True, nogil=True)
    def run(data, indices, indptr, ids, held, values):
        at, end = indptr[ids], indptr[ids + 1]
        count = 0
        while True:
            low = -1
            for k in range(len(ids)):
                if at[k] < end[k] and (low < 0 or indices[at[k]] < low):
                    low = indices[at[k]]
            if low < 0:
                return count
            total = np.float32(0)
            for k in range(len(ids)):  # in query order, a repeated term twice: bm25s's sum to the last bit
                if at[k] < end[k] and indices[at[k]] == low:
                    total += data[at[k]]
                    at[k] += 1
            held[count], values[count] = low, total
            count += 1

    return run


@dataclass(frozen=True)
class Matches:
    """Passages holding at least one query term, each once, and their (positive) BM25 scores."""
    ids: np.ndarray
    values: np.ndarray

    def top(self, depth: int) -> list[int]:
        """Ids of the `depth` best, best first, ties in id order: a partial selection, then a sort of the few
        tied with or above the cut, so the order is exactly that of a full stable sort of all passages."""
        ids, values = self.ids, self.values
        if len(ids) > depth:
            cut = np.partition(values, len(values) - depth)[len(values) - depth]
            ids, values = ids[values >= cut], values[values >= cut]
        return [int(i) for i in ids[np.lexsort((ids, -values))][:depth]]


def build_lexicon(passages: list[str]) -> Lexicon:
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index(tokenize(passages), show_progress=False)
    return Lexicon(bm25, _token_ceiling(bm25), _doc_freq(bm25))


def build_lexicon_from_ids(token_ids: list[list[int]], vocabulary: dict[str, int]) -> Lexicon:
    """BM25 over passages given as token ids into `vocabulary` (stemmed terms), skipping tokenisation: how a
    synthetic index of millions of passages is built."""
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index((token_ids, vocabulary), show_progress=False)
    return Lexicon(bm25, _token_ceiling(bm25), _doc_freq(bm25))


def _doc_freq(bm25: Any) -> np.ndarray:
    return np.diff(bm25.scores["indptr"]).astype(np.int64)


def _token_ceiling(bm25: Any) -> np.ndarray:
    data, indptr = bm25.scores["data"], bm25.scores["indptr"]
    ceiling = np.zeros(len(indptr) - 1, dtype=np.float32)
    held = indptr[1:] > indptr[:-1]
    if held.any():
        # Each held token's scores run from its start to the next held token's: the empty ones between add none.
        ceiling[held] = np.maximum.reduceat(np.asarray(data, dtype=np.float32), indptr[:-1][held])
    return ceiling


def save_lexicon(lexicon: Lexicon, folder: Path) -> None:
    lexicon.bm25.save(str(folder), show_progress=False)
    np.save(folder / CEILING, lexicon.token_ceiling)
    np.save(folder / DOC_FREQ, lexicon.doc_freq)


def load_lexicon(folder: Path) -> Lexicon:
    """Mapped from disk: a large index costs pages only where queries touch it."""
    import bm25s

    bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
    return Lexicon(bm25, np.load(folder / CEILING, mmap_mode="r"), np.load(folder / DOC_FREQ, mmap_mode="r"))
