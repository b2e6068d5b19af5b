"""The Memory Network (Weston, Chopra & Bordes 2014): torch and numpy only; it never imports the web layer.

The map, in reading order:

- ``text.py``       I's tokens: the tokenizer, the sentence splitter, the vocabulary.
- ``features.py``   I's features: word ids and match ids, position bins, the hop features of O
                    (exact match, mention ranks, relation to each slot, age), declared once in
                    ``HopFeatureLayout`` for the model and the serving tables alike.
- ``model.py``      the paper's modules: the sentence encoders (the 3 roles of Φ), s_O with its
                    learned STOP, s_R, their context inputs (``ContextLayout``), and inference
                    (O's hops, then R).
- ``search.py``     O's beam search over hop sequences (beam 1 is the paper's greedy argmax).
- ``checkpoint.py`` one file of weights, vocabulary, config and metadata; its content hash is
                    the model version.
- ``training/``     bAbI (``babi.py``), renamed stories (``renamed.py``), the margin ranking loss and
                    training loop (``train.py``), per-task evaluation (``evaluate.py``), and
                    ``world/``: the simulated world of Memory Networks §5.2, a story generator for
                    training and testing, and the paper's Table 3 (``memnn world``).
- ``serving/``      the same O and R over a bank of any size, as table lookups and one matrix
                    product per hop (``scan.py``, whose docstring says why that is exact).

Glossary:

- *statement* / *memory*: one sentence written to a bank, at the write position after the last (G).
- *word id*: a token's vocabulary id (``UNK_ID`` for a word the vocabulary lacks); it selects
  an embedding. *match id*: what exact-match features compare: the word id for known words,
  and for each distinct unseen word an id of its own above the vocabulary.
- *slot*: a place in a hop's context: the question, o_{h-1} or o_{h-2}. A *fact* is a memory
  chosen at an earlier hop.
- *hop*: one step of O, choosing one memory (or STOP) given the question and the facts so far.
- *candidate* (Φy) and *support* (Φx): a memory's two embeddings, as the memory being scored
  and as the input of a later hop.
- *head*: a memory's first ``match_len`` match ids, the ones the hop features compare.
- *mention*: a memory holding a slot's word; the ``near_mentions`` nearest a slot on each side
  are *near* memories, whose features are computed exactly. Every other memory is *far*: its
  features are the same for every far memory of a *stretch* (the run between two facts), so one
  matrix product scores them all (the *far score*).
- *postings*: the memories holding one word, in the bank's word index.
"""
