"""Statutory correspondence: the letter catalogue, rendering and the letter register."""
