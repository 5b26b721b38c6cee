"""Fault modes: the reference server, made to deviate on purpose, one realistic deviation each.

    videos-contract mock --fault seconds-integer --fault nulls-omitted
    create_app(MockConfig(faults={"seconds-integer"}))

A contract suite is worth the deviations it catches and the false alarms it avoids. Each entry of
``CATALOGUE`` is either a **fault** (a deviation a real server has or could easily have; ``breaks``
names the clauses a correct suite must fail) or a **clean variant** (a legitimate difference the
suite must accept: ``breaks`` is empty). ``tests/test_detection.py`` runs the suite against every
entry; ``benchmarks/detection.py`` prints the table; ``docs/faults.md`` documents them.

A fault is data: a name, a one-line summary, where it comes from, the clauses it breaks, and a few
small hooks. The server's normal code never asks which fault is active; it calls the hook points
of a ``FaultSet`` (which are no-ops when no fault is active). Hooks see a ``FaultContext`` (rules,
key, clock, jobs, renderers), never the server; they live in one module per group of hook kinds
(the last column):

======= ================================================= ================================= ============
hook    called                                            used for                          module
======= ================================================= ================================= ============
spec    on a copy of the spec document, at start          enums, limits, defaults, required spec_edits
rules   on the Rules built from that spec                 unknown parameters                spec_edits
body    on a create body, before validation               extra refusals, crashes, coercion creates
params  on validated create params                        length counting, crashes          creates
image   instead of the reference-image check              skipped or wrong checks           creates
new_id  for each new job                                  id formats, reused ids            jobs
setup   on each new job                                   duration, failure                 jobs
state   on each (status, progress) derived from the clock timelines that misbehave          jobs
startup once, when the server is built                    videos that exist before the run  jobs
video   on every Video rendered                           field shapes and values           videos
around  around one operation's handler                    status codes, bodies, hangs       operations
error   on every error answer (4xx/5xx with the envelope) error shapes, content types       error_shapes
asgi    around the whole app                              auth, rate limits, slowness       transport
======= ================================================= ================================= ============
"""

from contracts.mock.faults.base import RATE_LIMIT_EVERY, Fault, FaultContext, FaultSet, UnknownFault, View
from contracts.mock.faults.catalogue import CATALOGUE, FAULTS, VARIANTS, check_names, describe, fault_set

__all__ = ["CATALOGUE", "FAULTS", "RATE_LIMIT_EVERY", "VARIANTS", "Fault", "FaultContext", "FaultSet", "UnknownFault",
           "View", "check_names", "describe", "fault_set"]
