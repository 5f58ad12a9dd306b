from rag import stance, stance_layer
from rag.features import QUESTION_FEATURES


def test_every_table_reads_the_same_topics():
    """A topic added to the sentence cues must be one a question can ask about, in formal and in lay words, and
    one the stance layer and the question model have a place for."""
    assert stance.TOPICS == ("efficacy", "safety", "evidence")
    assert set(stance._QUESTION_TOPICS) == set(stance._LAY_TOPICS) == set(stance.TOPICS)
    assert stance_layer.TOPICS is stance.TOPICS
    assert QUESTION_FEATURES[-3:] == ("asks_efficacy", "asks_safety", "asks_evidence")  # as the scorer was fitted
