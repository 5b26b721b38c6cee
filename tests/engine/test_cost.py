"""What a run cost the target's GPU, read from the record of its answers."""

from __future__ import annotations

from contracts.cost import job_cost
from contracts.rules import CREATE, DELETE
from tests.engine.helpers import ENDED, ERROR, NOW, Harness, case, response, video

NOTHING = {"jobs_created": 0, "jobs_followed": 0, "generation_seconds": 0, "jobs_deleted_unfinished": 0,
           "jobs_from_invalid_creates": 0, "generated_not_sent": 0}
DELETED = {"object": "video.deleted", "deleted": True}


def test_nothing_created_costs_nothing():
    assert job_cost(Harness().history, followed=set()) == NOTHING


def test_generation_seconds_of_the_run_s_own_completed_jobs():
    h = Harness()
    h.created("video_a")
    h.created("video_b")
    h.polled("video_a", **ENDED)  # 5 s
    h.polled("video_a", **ENDED)  # seen twice, counted once
    mine = {**ENDED, "id": "video_b", "completed_at": NOW + 7}
    other = {**ENDED, "id": "video_of_someone_else", "completed_at": NOW + 50}
    h.check(response(200, {"object": "list", "data": [other, mine], "first_id": "x", "last_id": "y",
                           "has_more": False}), case("GET", "/videos"))
    assert job_cost(h.history, followed={"video_a"}) == {**NOTHING, "jobs_created": 2, "jobs_followed": 1,
                                                          "generation_seconds": 12}


def test_deleted_before_seen_finished():
    h = Harness()
    h.created("video_123")
    h.created("video_done")
    h.polled("video_done", **ENDED)
    for video_id in ("video_123", "video_done"):
        h.check(response(200, {**DELETED, "id": video_id}), case(*DELETE, video_id))
    assert job_cost(h.history, followed=set())["jobs_deleted_unfinished"] == 1


def test_refused_deletes_cost_nothing():
    h = Harness()
    h.created()
    h.check(response(401, ERROR), case(*DELETE))
    h.check(response(transport_error="timed out"), case(*DELETE))
    assert job_cost(h.history, followed=set())["jobs_deleted_unfinished"] == 0


def test_a_terminal_status_is_not_undone_by_a_later_answer():
    h = Harness()
    h.created()
    h.polled(**ENDED)
    h.polled(status="in_progress")  # a server that goes back
    h.check(response(200, {**DELETED, "id": "video_123"}), case(*DELETE))
    assert job_cost(h.history, followed=set())["jobs_deleted_unfinished"] == 0


def test_an_invalid_create_wrongly_accepted_is_counted():
    h = Harness()
    invalid = case(*CREATE, clause="create.prompt.empty-rejected", expect="rejected")
    h.check(response(200, video()), invalid)
    h.check(response(400, ERROR), invalid)
    assert job_cost(h.history, followed=set())["jobs_from_invalid_creates"] == 1
