"""Shared fixtures: one real index, built once per session from a copy of the real corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.embed import Encoder
from rag.engine import Engine
from rag.index import build_index, load_index
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return Encoder(Settings().model).load()


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """A folder holding corpus/ (a copy of the real one) and index/ (built from it)."""
    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(CORPUS, root / "corpus")
    return root


@pytest.fixture(scope="session")
def settings(workspace: Path) -> Settings:
    return Settings(corpus_dir=workspace / "corpus", index_dir=workspace / "index")


@pytest.fixture(scope="session")
def engine(settings: Settings, encoder: Encoder) -> Engine:
    build_index(settings, encoder)
    return Engine.over(load_index(settings), settings, encoder)


def copy_corpus(tmp_path: Path) -> Settings:
    """Settings over a private copy of the corpus, for tests that change files."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
