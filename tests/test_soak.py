"""The short soak: a real server under wrk while the corpus changes and the index is rebuilt under it."""

import shutil

import pytest

from soak import soak


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None, reason="no wrk here: install Debian's wrk package to run the soak")
def test_short_soak_under_live_reindexing_loses_nothing(tmp_path):
    report = soak(seconds=10, connections=8, workdir=tmp_path)
    assert report.requests > 100 and report.errors == 0
    assert report.reindexes >= 1 and not report.reindex_failures
    assert report.answers_checked > 10 and report.citations_checked > 10 and not report.inconsistent
    assert report.rss_growth < 0.10, (report.rss_mb_after_warmup, report.rss_mb_after_load)
