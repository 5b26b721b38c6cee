"""The grader's backlog: what waits in the forwarding process while the grader is behind is bounded in
number and in bytes; what is not graded is said in one line."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from contracts.proxy import grader
from contracts.proxy.grader import Backlog, ungraded


@dataclass
class Exchange:
    size: int

    def kept_bytes(self) -> int:
        return self.size


def test_the_backlog_admits_up_to_its_count_and_frees_what_was_graded(monkeypatch):
    monkeypatch.setattr(grader, "MAX_PENDING", 3)
    backlog = Backlog()
    assert [backlog.admit(Exchange(10), graded=0) for _ in range(4)] == [True, True, True, False]
    assert backlog.admit(Exchange(10), graded=2)  # two graded meanwhile: room for two more
    assert backlog.admit(Exchange(10), graded=2)
    assert not backlog.admit(Exchange(10), graded=2)
    assert backlog.not_graded == 2 and backlog.handed == 5


def test_the_backlog_admits_up_to_its_bytes(monkeypatch):
    monkeypatch.setattr(grader, "MAX_PENDING_BYTES", 100)
    backlog = Backlog()
    assert backlog.admit(Exchange(60), graded=0)
    assert not backlog.admit(Exchange(60), graded=0)  # 120 bytes would wait
    assert backlog.admit(Exchange(40), graded=0)
    assert backlog.admit(Exchange(60), graded=1)  # the first 60 graded: 100 bytes wait
    assert backlog.not_graded == 1


@pytest.mark.parametrize(("behind", "failed", "error", "said"), [
    (0, 0, None, None),
    (7, 0, None, "exchanges forwarded but not graded: 7 while the grader was too far behind"),
    (0, 2, "GET /v1/videos: KeyError: 'x'", "exchanges forwarded but not graded: 2 the grader could not take, a defect "
                                              "of the kit (the first: GET /v1/videos: KeyError: 'x')"),
    (1, 1, "E", "exchanges forwarded but not graded: 1 while the grader was too far behind; 1 the grader could not "
                "take, a defect of the kit (the first: E)"),
], ids=["all-graded", "behind", "failed", "both"])
def test_what_was_not_graded_is_one_line(behind, failed, error, said):
    assert ungraded(behind, failed, error) == said
