"""`dhr bench`: how far the engine is from the floor beneath it.

Each metric lives in its own module and returns MetricResult rows: a figure, the baseline measured
in the same run on the same database, and their ratio, all medians over repeated rounds after a
warm-up. Timings on a shared machine are noisy; the ratios are what to compare between runs.
"""
