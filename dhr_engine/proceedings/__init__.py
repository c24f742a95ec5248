"""Parallel proceedings (criminal trial, inquest, IOPC, other): record, pause the review, conclude, resume."""
