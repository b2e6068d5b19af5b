from app.memnn.text import PAD_ID, UNK_ID, Vocabulary, split_sentences, tokenize


def test_tokenize_lowercases_and_drops_punctuation():
    assert tokenize("Where is the Milk now?") == ["where", "is", "the", "milk", "now"]


def test_comma_joined_answers_stay_one_token():
    assert tokenize("apple,football") == ["apple,football"]
    assert tokenize("n,w") == ["n,w"]
    assert tokenize("the apple, the ball") == ["the", "apple", "the", "ball"]


def test_split_sentences_keeps_every_sentence():
    text = "Joe went to the kitchen. Fred went to the kitchen!  Joe picked up the milk? Done"
    assert split_sentences(text) == [
        "Joe went to the kitchen.",
        "Fred went to the kitchen!",
        "Joe picked up the milk?",
        "Done",
    ]
    assert split_sentences("   ") == []


def test_vocabulary_reserves_padding_and_unknown():
    vocabulary = Vocabulary(["milk", "kitchen", "milk"])
    assert len(vocabulary) == 4
    assert vocabulary.id("<pad>") == PAD_ID and vocabulary.id("<unk>") == UNK_ID
    assert vocabulary.encode(["milk", "zanele"]) == [2, UNK_ID]
    assert vocabulary.decode([2, 3]) == ["milk", "kitchen"]


def test_answer_parts_split_comma_joined_words():
    from app.memnn.text import answer_parts

    vocabulary = Vocabulary(["apple", "football", "apple,football", "n,w"])
    table = answer_parts(vocabulary, 3)
    assert table[vocabulary.id("apple,football")] == [vocabulary.id("apple"), vocabulary.id("football"), PAD_ID]
    assert table[vocabulary.id("apple")] == [vocabulary.id("apple"), PAD_ID, PAD_ID]
    assert table[vocabulary.id("n,w")] == [vocabulary.id("n,w"), PAD_ID, PAD_ID]  # parts unknown: one part


def test_contractions_become_the_words_they_stand_for():
    assert tokenize("Where's Joe?") == ["where", "is", "joe"]
    assert tokenize("Who's got it? It isn't here, they're out, I can't") == [
        "who", "is", "got", "it", "it", "is", "not", "here", "they", "are", "out", "i", "can", "not",
    ]  # fmt: skip
    assert tokenize("Joe\u2019s milk") == ["joe", "'s", "milk"]  # a possessive stays its own token
    assert tokenize("Doesn't Mary have it?") == ["does", "not", "mary", "have", "it"]


def test_o_clock_is_one_word():
    assert tokenize("At 10 o'clock Rosa left.") == ["at", "10", "o'clock", "rosa", "left"]


def test_hyphenated_names_stay_whole_and_come_back_as_written():
    from app.memnn.text import surface_form

    assert tokenize("Frodo journeyed to Mount-Doom. Bilbo: Grey-havens!") == [
        "frodo", "journeyed", "to", "mount-doom", "bilbo", "grey-havens",
    ]  # fmt: skip
    texts = ["Bilbo travelled to the Grey-havens.", "Frodo journeyed to Mount-Doom."]
    assert surface_form("mount-doom", texts) == "Mount-Doom" and surface_form("grey-havens", texts) == "Grey-havens"
    assert surface_form("shire", texts) is None
