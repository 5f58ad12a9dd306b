from rag.engine import Engine


def test_repeated_question_is_answered_from_the_cache(engine):
    engine.clear_cache()
    first, laps = {}, {}
    a = engine.ask("Is ketamine addictive?", timings=first)
    b = engine.ask("Is ketamine addictive?", timings=laps)
    assert b is a
    assert {"encode", "dense", "bm25", "fusion", "compose"} <= set(first)
    assert set(laps) == {"cache"}


def test_cache_keys_include_top_k_and_documents(engine):
    engine.clear_cache()
    whole = engine.ask("Is ketamine addictive?")
    narrowed = engine.ask("Is ketamine addictive?", doc_ids=["nmda-review-2025"])
    assert narrowed is not whole
    assert {c.doc_id for c in narrowed.citations} <= {"nmda-review-2025"}
    assert engine.ask("Is ketamine addictive?", top_k=2) is not whole


def test_a_new_engine_starts_with_an_empty_cache(engine):
    answer = engine.ask("How is ketamine given?")
    fresh = Engine(engine.index, engine.encoder, engine.settings)
    laps = {}
    again = fresh.ask("How is ketamine given?", timings=laps)
    assert "cache" not in laps and again == answer


def test_cache_can_be_turned_off(engine):
    off = Engine(engine.index, engine.encoder, engine.settings.with_(cache_size=0))
    assert off.ask("How is ketamine given?") is not off.ask("How is ketamine given?")


def test_chat_spellings_are_read_written_out_and_the_question_is_kept_as_asked(engine):
    typed = "how many hrs does a ketamine infusion take, is it ok for a 30 yr old"
    written = "how many hours does a ketamine infusion take, is it ok for a 30 year old"
    assert engine.query(typed).terms == engine.query(written).terms
    answer, plain = engine.ask(typed), engine.ask(written)
    assert answer.question == typed
    assert (answer.answer, answer.confidence) == (plain.answer, plain.confidence)
