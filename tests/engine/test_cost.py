"""JobCost: what a run cost the target's GPU, read from the answers the run received."""

from __future__ import annotations

from tests.engine.helpers import COMPLETED, NOW, case, response, video

from contracts.cases import Case
from contracts.cost import JobCost


def list_case() -> Case:
    return Case(name="list", method="GET", path="/videos", operation=("GET", "/videos"))


NOTHING = {"jobs_created": 0, "jobs_followed": 0, "generation_seconds": 0, "jobs_deleted_unfinished": 0,
           "jobs_from_invalid_creates": 0, "generated_not_sent": 0}


def test_nothing_created_costs_nothing():
    assert JobCost().as_dict() == NOTHING


def test_generation_seconds_of_the_run_s_own_completed_jobs():
    cost = JobCost(created=["video_123", "video_b"])
    cost.observe(case(), response(200, COMPLETED))  # 5 s
    cost.observe(case(), response(200, COMPLETED))  # seen twice, counted once
    other = {**COMPLETED, "id": "video_of_someone_else", "completed_at": NOW + 50}
    mine = {**COMPLETED, "id": "video_b", "completed_at": NOW + 7}
    cost.observe(list_case(), response(200, {"object": "list", "data": [other, mine]}))
    cost.job_followed("video_123")
    assert cost.as_dict() == {**NOTHING, "jobs_created": 2, "jobs_followed": 1, "generation_seconds": 12}


def test_deleted_before_seen_finished():
    cost = JobCost(created=["video_123", "video_done"])
    cost.observe(case(), response(200, video(status="in_progress", progress=40)))
    cost.observe(case(), response(200, {**COMPLETED, "id": "video_done"}))
    deletion = {"id": "video_123", "object": "video.deleted", "deleted": True}
    cost.observe(case("DELETE"), response(200, deletion))
    done = Case(name="delete", method="DELETE", path="/videos/video_done", operation=("DELETE", "/videos/{video_id}"))
    cost.observe(done, response(200, {**deletion, "id": "video_done"}))
    assert cost.as_dict()["jobs_deleted_unfinished"] == 1


def test_refused_deletes_and_error_answers_cost_nothing():
    cost = JobCost(created=["video_123"])
    cost.observe(case(), response(200, video(status="queued")))
    cost.observe(case("DELETE"), response(401, {"error": {"message": "no key"}}))
    cost.observe(case(), response(200, raw=b"not json"))
    cost.observe(case(), response(transport_error="timed out"))
    assert cost.as_dict()["jobs_deleted_unfinished"] == 0


def test_a_terminal_status_is_not_undone_by_a_later_answer():
    cost = JobCost(created=["video_123"])
    cost.observe(case(), response(200, COMPLETED))
    cost.observe(case(), response(200, video(status="in_progress")))  # a server that goes back
    cost.observe(case("DELETE"), response(200, {"id": "video_123", "object": "video.deleted", "deleted": True}))
    assert cost.as_dict()["jobs_deleted_unfinished"] == 0


def test_an_invalid_create_wrongly_accepted_is_counted():
    cost = JobCost(created=["video_123"])
    invalid = Case(name="create json: empty prompt", method="POST", path="/videos", operation=("POST", "/videos"),
                   clause="create.prompt.empty-rejected", expect="rejected")
    cost.observe(invalid, response(200, video()))
    cost.observe(invalid, response(400, {"error": {"message": "empty"}}))
    assert cost.as_dict()["jobs_from_invalid_creates"] == 1
