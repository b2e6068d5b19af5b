"""The default model on stories people write, over REST: the README's own story, the Memory Networks
paper's figure as the paper prints it, and a fact 1,000 statements back among other people's doings."""

import pytest

from ..conftest import MILK_STORY

# Weston, Chopra & Bordes (2014), Fig. 2: the unseen-words demo, posted as the paper writes it
LORD_OF_THE_RINGS = [
    "Bilbo travelled to the cave.",
    "Gollum dropped the ring there.",
    "Bilbo took the ring.",
    "Bilbo went back to the Shire.",
    "Bilbo left the ring there.",
    "Frodo got the ring.",
    "Frodo journeyed to Mount-Doom.",
    "Frodo dropped the ring there.",
    "Sauron died.",
    "Frodo went back to the Shire.",
    "Bilbo travelled to the Grey-havens.",
    "The End.",
]


def _answer(client, bank: str, question: str) -> dict:
    response = client.post("/ask", json={"bank": bank, "question": question})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_readme_story_answers_where_joe_is_and_where_the_milk_is(client):
    client.post("/memories", json={"bank": "readme", "statements": MILK_STORY}).raise_for_status()
    joe = _answer(client, "readme", "Where is Joe?")
    assert joe["answer"] == "bathroom" and [e["position"] for e in joe["evidence"]] == [5]
    milk = _answer(client, "readme", "Where is the milk now?")
    assert milk["answer"] == "office" and {e["position"] for e in milk["evidence"]} == {3, 4}


@pytest.mark.parametrize(
    ("question", "answer"),
    [("Where is the ring?", "Mount-Doom"), ("Where is Bilbo now?", "Grey-havens"), ("Where is Frodo now?", "Shire")],
)
def test_the_papers_lord_of_the_rings_figure(client, question, answer):
    client.post("/memories", json={"bank": "lotr", "statements": LORD_OF_THE_RINGS}).raise_for_status()
    assert _answer(client, "lotr", question)["answer"] == answer


def test_a_fact_a_thousand_statements_back_among_other_peoples_doings(client):
    people = ["Amara", "Bruno", "Chen", "Dalia", "Emil", "Freya", "Hugo", "Ines"]
    places = ["kitchen", "garden", "office", "hallway", "cellar", "attic", "porch", "garage"]
    filler = [f"{people[k % 8]} went to the {places[(k * 3 + k // 8) % 8]}." for k in range(1200)]
    statements = ["Zanele picked up the lantern.", "Zanele travelled to the observatory.", *filler]
    for first in range(0, len(statements), 1000):
        batch = {"bank": "long", "statements": statements[first : first + 1000]}
        client.post("/memories", json=batch).raise_for_status()
    where = _answer(client, "long", "Where is Zanele?")
    assert where["answer"] == "observatory" and [e["position"] for e in where["evidence"]] == [1]
    lantern = _answer(client, "long", "Where is the lantern?")
    assert lantern["answer"] == "observatory" and {e["position"] for e in lantern["evidence"]} == {0, 1}
