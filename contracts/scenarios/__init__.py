"""Scenarios: the requests of a run, in order, each evaluating the clauses it can decide.

Each module exposes ``run(ctx, state)``; ``state`` carries what later scenarios need (the jobs
created, the one that completed...). The order matters: valid creates first (they give the jobs
that the lifecycle follows), invalid ones after, generated ones last.
"""
