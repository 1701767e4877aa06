"""The work kinds through the real engine, the real SDKs and fake model servers on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from fake_llm import CLAUDE, MODEL, VALID_KEY, FakeAnthropic, FakeOpenAI
from sqlmodel import Session, select
from test_engine import fast, wait_status

from jobapp.db import writer
from jobapp.models import Document, Job, JobStatus, Profile
from jobapp.preferences import save_llm_config
from jobapp.tasks import Runner, TaskManager
from jobapp.work import HANDLERS, request_cover_letter, request_cv, request_evaluation
from jobapp.work.rubric import DIMENSIONS

RESUME = "# Ada\n- Built Python services on PostgreSQL at Lumen (2019–2023)\n- Ran Kubernetes on AWS"
RUBRIC = {
    "dimensions": {
        key: {"score": score, "evidence": f"evidence for {key}", "gaps": ""}
        for key, score in zip(DIMENSIONS, (5, 4, 3, 4, 5), strict=True)
    },
    "recommendation": "apply",
    "summary": "Python and PostgreSQL match; compensation unknown.",
}


def host(server) -> str:
    return server.base_url.split("://", 1)[1].split("/", 1)[0]


def setup(engine, kind: str, base_url: str, model: str) -> int:
    with Session(writer(engine)) as s:
        save_llm_config(s, {"kind": kind, "base_url": base_url, "model": model}, api_key=VALID_KEY)
        s.add(Profile(name="Ada", resume=RESUME))
        job = Job(title="Backend Engineer", company="Acme", description="Python, PostgreSQL, Go.")
        s.add(job)
        s.commit()
        return job.id


@pytest.fixture
async def runner(engine):
    manager = TaskManager(engine)
    running = Runner(manager, HANDLERS, fast())
    await running.start()
    yield manager
    await running.stop()


def chunks(text: str, size: int = 40) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
async def test_evaluation_scores_the_rubric_through_structured_output(engine, runner, vendor):
    server_class, model = (FakeOpenAI, MODEL) if vendor == "openai" else (FakeAnthropic, CLAUDE)
    with server_class() as server:
        server.json_answer = RUBRIC
        job_id = setup(engine, vendor, server.base_url, model)
        task = await wait_status(runner, request_evaluation(runner, job_id).task_id, "completed", "failed")
        body = server.requests[-1].body
    assert len(server.requests) == 1  # the schema was accepted and the answer valid: no repair
    if vendor == "openai":
        assert body["response_format"]["json_schema"]["strict"] is True
    else:
        assert body["tool_choice"] == {"type": "tool", "name": body["tools"][0]["name"]}
    # The model got the skill check as evidence.
    prompt = body["messages"][-1]["content"]
    assert 'Found in the resume: Python ("Built Python services on PostgreSQL at Lumen (2019–2023)")' in prompt
    assert "Required, not found: Go" in prompt
    assert task["status"] == "completed", task["error"]
    with Session(engine) as s:
        job = s.get(Job, job_id)
    assert job.status == JobStatus.EVALUATED
    weighted = 5 * 0.4 + 4 * 0.2 + 3 * 0.15 + 4 * 0.15 + 5 * 0.1
    assert job.fit_score == round((weighted - 1) / 4 * 100)
    assert job.evaluation["recommendation"] == "apply"
    assert [row["key"] for row in job.evaluation["rubric"]] == list(DIMENSIONS)
    assert job.evaluation["required_missing"] == ["Go"] and job.evaluation["missing"] == ["Go"]
    assert job.evaluation["matched"] == ["Python", "PostgreSQL"]
    assert job.evaluation["keyword_score"] == 67
    assert job.evaluation["model"] == model
    assert task["usage"]["input_tokens"] > 0 and task["usage"]["output_tokens"] > 0
    assert task["usage"]["price"] == "unknown price"  # the fake models have no list price
    assert task["model"] == model
    assert task["provider"] == ("Anthropic" if vendor == "anthropic" else f"OpenAI-compatible server ({host(server)})")


async def test_a_server_without_structured_output_gets_plain_json_and_is_not_asked_again(engine, runner):
    with FakeOpenAI() as server:
        server.structured = False
        server.pieces = chunks("Here it is:\n```json\n" + json.dumps(RUBRIC) + "\n```")
        job_id = setup(engine, "openai", server.base_url, MODEL)
        task = await wait_status(runner, request_evaluation(runner, job_id).task_id, "completed", "failed")
        bodies = [seen.body for seen in server.requests]
    assert task["status"] == "completed", task["error"]
    assert ["response_format" in body for body in bodies] == [True, False]
    with Session(engine) as s:
        assert s.get(Job, job_id).evaluation["recommendation"] == "apply"


async def test_an_invalid_answer_is_repaired_once(engine, runner):
    with FakeOpenAI() as server:
        server.json_answer = RUBRIC
        server.answer("invalid-json", "ok")
        job_id = setup(engine, "openai", server.base_url, MODEL)
        task = await wait_status(runner, request_evaluation(runner, job_id).task_id, "completed", "failed")
        repair = server.requests[-1].body
    assert task["status"] == "completed", task["error"]
    assert "was not valid" in repair["messages"][-1]["content"]
    assert repair["response_format"]["type"] == "json_schema"  # the repair asks for the schema too
    assert any("Repairing" in stage["label"] for stage in runner.task(task["id"])["stages"])


async def test_invalid_twice_fails_with_a_readable_message(engine, runner):
    with FakeOpenAI() as server:
        server.answer("invalid-json", "invalid-json")
        job_id = setup(engine, "openai", server.base_url, MODEL)
        task = await wait_status(runner, request_evaluation(runner, job_id).task_id, "completed", "failed")
    assert task["status"] == "failed"
    assert "did not return a valid evaluation, even after one repair request" in task["error"]
    with Session(engine) as s:
        assert s.get(Job, job_id).status == JobStatus.PENDING  # nothing half-written


async def test_cover_letter_streams_from_anthropic_into_a_version(engine, runner):
    with FakeAnthropic() as server:
        job_id = setup(engine, "anthropic", server.base_url, CLAUDE)
        enqueued = request_cover_letter(runner, job_id, tone="formal", length="short")
        task = await wait_status(runner, enqueued.task_id, "completed", "failed")
        system = server.requests[-1].body["system"]
    assert task["status"] == "completed", task["error"]
    assert "Tone: formal" in (system if isinstance(system, str) else json.dumps(system))
    with Session(engine) as s:
        doc = s.exec(select(Document).where(Document.job_id == job_id)).one()
    assert doc.content == "".join(server.pieces)
    assert (doc.version, doc.provider, doc.model) == (1, "Anthropic", CLAUDE)
    assert doc.options == {"tone": "formal", "length": "short"}


async def test_changing_the_model_changes_the_dedupe_fingerprint(engine, runner):
    with FakeOpenAI() as server:
        job_id = setup(engine, "openai", server.base_url, MODEL)
        server.answer("slow")
        first = request_evaluation(runner, job_id)
        with Session(writer(engine)) as s:
            save_llm_config(s, {"kind": "openai", "base_url": server.base_url, "model": "other-model"})
        second = request_evaluation(runner, job_id)
        assert second.created and second.task_id != first.task_id
        runner.cancel(first.task_id)
        runner.cancel(second.task_id)


async def test_a_cv_that_invents_an_employer_carries_a_warning(engine, runner):
    invented = (
        "# Ada\n\n## Experience\n\n### Google — Staff Engineer (2018–2023)\n"
        "- Built Python services on PostgreSQL\n\n### Lumen — Senior Engineer (2019–2023)\n- Ran Kubernetes on AWS\n"
    )
    with FakeOpenAI() as server:
        server.pieces = chunks(invented)
        job_id = setup(engine, "openai", server.base_url, MODEL)
        enqueued = request_cv(runner, job_id, emphasis="technical", length="one page")
        task = await wait_status(runner, enqueued.task_id, "completed", "failed")
    assert task["status"] == "completed", task["error"]
    with Session(engine) as s:
        doc = s.exec(select(Document).where(Document.job_id == job_id, Document.kind == "cv")).one()
    named = {warning["text"] for warning in doc.warnings}
    assert "Google" in named
    assert any("named in the CV but not in your resume" in warning["message"] for warning in doc.warnings)
    assert "Lumen" not in named


async def test_the_offline_drafter_writes_its_verdict_from_the_skill_check(engine, runner):
    with Session(writer(engine)) as s:
        s.add(Profile(name="Ada", resume=RESUME))
        job = Job(
            title="Senior Backend Engineer",
            company="Acme",
            description="Requirements:\n- 5+ years of Python\n- Postgres and k8s\n- Kafka\n\nNice to have: Go",
        )
        s.add(job)
        s.commit()
        job_id = job.id
    task = await wait_status(runner, request_evaluation(runner, job_id).task_id, "completed", "failed")
    assert task["status"] == "completed", task["error"]
    with Session(engine) as s:
        evaluation = s.get(Job, job_id).evaluation
    assert evaluation["required_missing"] == ["Kafka"] and evaluation["preferred_missing"] == ["Go"]
    assert evaluation["matched"] == ["Python", "PostgreSQL", "Kubernetes"]
    assert evaluation["matched_evidence"][1] == {
        "skill": "PostgreSQL",
        "line": "Built Python services on PostgreSQL at Lumen (2019–2023)",
    }
    assert evaluation["asks"] == "senior · 5+ years of Python"
    assert evaluation["rubric"] == [] and evaluation["provider"] == "offline drafter"
    assert "Required but not in your resume: Kafka." in evaluation["summary"]
