"""Answering over a bank of any size with the model's weights as lookup tables: what G stores of a
statement (``encode``), a bank and its word index (``bank``), one question's scan (``scan``), and the
answer with its evidence (``answer``); the tables (``o_tables``, ``r_tables``, ``sentence_tables``)
equal the dense model to float rounding (``tests/memnn/test_scan.py``)."""
