"""Scenarios: the plan of a run, step by step (contracts/runner.py lists the steps in order).

Each step is a generator over the run's state (contracts/state.py): it yields the cases to send and
receives their answers, and tells the judge what it did not send and why (``NotSent``). It decides
its next case from what the record shows; it never judges (tests/engine/test_scenarios.py pins it).
Helpers shared by several steps live in ``common``.
"""
