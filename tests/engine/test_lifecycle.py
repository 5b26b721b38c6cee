"""The schedule of the polls: how long to wait between polls, which jobs are followed, when a job
is done."""

from __future__ import annotations

import pytest

from contracts.lifecycle import DEFAULT_POLL_SECONDS, MIN_POLL_SECONDS, Schedule, poll_after
from tests.engine.helpers import ENDED, ERROR, response, video


@pytest.mark.parametrize(
    "header, seconds",
    [
        pytest.param(None, DEFAULT_POLL_SECONDS, id="absent-the-sdk-default"),
        pytest.param("250", 0.25, id="milliseconds"),
        pytest.param("0", MIN_POLL_SECONDS, id="zero-floored"),
        pytest.param("soon", DEFAULT_POLL_SECONDS, id="not-a-number"),
    ],
)
def test_poll_after_honours_the_header(header, seconds):
    headers = {"openai-poll-after-ms": header} if header is not None else {}
    assert poll_after(response(200, {}, headers=headers)) == seconds


def test_a_job_is_followed_from_its_create_answer_once():
    schedule = Schedule()
    schedule.follow({"id": "video_1", "status": "queued"})
    schedule.follow({"id": "video_1", "status": "in_progress"})  # the same job again: still one track
    assert [(t.video_id, t.done) for t in schedule.tracks] == [("video_1", False)]


def test_a_job_that_is_already_over_is_done_at_once():
    schedule = Schedule()
    schedule.follow({"id": "video_2", "status": "completed"})
    assert schedule.tracks[0].done and schedule.pending() == []


def test_an_answer_without_an_id_is_not_followed():
    schedule = Schedule()
    schedule.follow({"status": "queued"})
    assert schedule.tracks == []


def test_a_job_over_by_its_first_poll_is_retrieved_once_more():
    """A short job can end before its first poll on a loaded machine; one more retrieve still lets
    retrieve-stable be judged on it."""
    schedule = Schedule()
    schedule.follow({"id": "video_3", "status": "queued"})
    track = schedule.tracks[0]
    schedule.poll_case(track)
    schedule.polled(track, response(200, {**ENDED, "id": "video_3"}))
    assert not track.done
    schedule.poll_case(track)
    schedule.polled(track, response(200, {**ENDED, "id": "video_3"}))
    assert track.done


def test_a_job_not_retrievable_yet_is_polled_again_and_one_that_vanished_is_done():
    schedule = Schedule()
    schedule.follow({"id": "video_4", "status": "queued"})
    track = schedule.tracks[0]
    schedule.polled(track, response(404, ERROR))  # a lagging store: not retrievable yet
    assert not track.done
    schedule.polled(track, response(200, video(id="video_4", status="in_progress")))
    schedule.polled(track, response(404, ERROR))  # retrievable, then gone: followed no further
    assert track.done


def test_polls_are_named_for_what_they_are():
    schedule = Schedule()
    schedule.follow({"id": "video_5", "status": "queued"})
    first, second = schedule.poll_case(schedule.tracks[0]), schedule.poll_case(schedule.tracks[0])
    assert (first.name, second.name, first.purpose) == ("retrieve right after create", "poll video_5", "poll")
