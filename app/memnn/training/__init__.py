"""Fitting a model: the bAbI reader, renamed stories, the margin ranking loss and its loop, evaluation."""
