"""A simulated world to train and test on (Memory Networks §5.2): people, places and objects, events
written as statements, and questions with their answers and supporting facts.

- ``lexicon.py``   who and what the world holds, and the ways each event and question is said;
- ``simulator.py`` the world's state and events, and the narrator that writes them;
- ``events.py``    what happens next: one statement of up to three events (or none), a writer per kind;
- ``questions.py`` each kind of question, answered from the world's history;
- ``times.py``     stories told by the clock or the calendar, in any order;
- ``stories.py``   story styles: the world users describe, long histories, the training mix;
- ``table3.py``    the paper's settings and its Table 3, reproduced (``memnn world table3``).
"""
