"""The LLM fit rubric: weighted 1–5 dimensions with evidence and gaps, and a recommendation.

The model answers in JSON; `parse` validates it against the schema. A first invalid answer gets one
repair request (`repair_request`), a second one fails the task with a readable message.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from jobapp.llm import Request

# Dimension key → (label shown to people, weight). Weights sum to 1.
DIMENSIONS: dict[str, tuple[str, float]] = {
    "skills": ("Skills match", 0.40),
    "seniority": ("Seniority", 0.20),
    "compensation": ("Compensation", 0.15),
    "location": ("Location / remote", 0.15),
    "red_flags": ("Red flags (5 = none)", 0.10),
}


class DimensionScore(BaseModel):
    score: int = Field(ge=1, le=5)
    evidence: str = Field(min_length=1, max_length=2000)
    gaps: str = Field(default="", max_length=2000)


class Rubric(BaseModel):
    dimensions: dict[str, DimensionScore]
    recommendation: Literal["apply", "consider", "skip"]
    summary: str = Field(min_length=1, max_length=4000)

    def weighted(self) -> float:
        """The weighted score on the 1–5 scale."""
        return sum(self.dimensions[key].score * weight for key, (_, weight) in DIMENSIONS.items())

    def percent(self) -> int:
        """The weighted score as 0–100, comparable with the keyword coverage score."""
        return round((self.weighted() - 1) / 4 * 100)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "label": label, "weight": weight, **self.dimensions[key].model_dump()}
            for key, (label, weight) in DIMENSIONS.items()
        ]


class RubricError(ValueError):
    """The model's answer is not a valid rubric; the message says what is wrong."""


SCHEMA_HINT = json.dumps(
    {
        "dimensions": {key: {"score": "1-5", "evidence": "…", "gaps": "…"} for key in DIMENSIONS},
        "recommendation": "apply | consider | skip",
        "summary": "two or three sentences",
    },
    indent=2,
)

SYSTEM = (
    "You assess how well a candidate fits a job posting, honestly and concretely. Score each dimension from "
    "1 (poor) to 5 (excellent), citing evidence from the resume and the posting and naming gaps. For red_flags, "
    "5 means no red flags in the posting. Answer with one JSON object only, no prose, exactly in this shape:\n"
    + SCHEMA_HINT
)


def request(*, posting: str, resume: str, matched: list[str], missing: list[str]) -> Request:
    prompt = (
        f"Job posting:\n{posting}\n\nCandidate resume:\n{resume}\n\n"
        f"Keyword check (for reference): covered {', '.join(matched) or 'none'}; "
        f"not found {', '.join(missing) or 'none'}."
    )
    return Request(purpose="evaluation-rubric", system=SYSTEM, prompt=prompt, max_tokens=1500)


def repair_request(original: Request, answer: str, error: str) -> Request:
    prompt = (
        f"{original.prompt}\n\nYour previous answer was not valid: {error}\n\nPrevious answer:\n{answer[:6000]}\n\n"
        "Reply again with the corrected JSON object only."
    )
    return Request(purpose=original.purpose, system=original.system, prompt=prompt, max_tokens=original.max_tokens)


def _json_object(text: str) -> Any:
    """The JSON object in a model's answer, tolerating code fences and text around it."""
    stripped = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    start, end = stripped.find("{"), stripped.rfind("}")
    if start < 0 or end <= start:
        raise RubricError("the answer contains no JSON object")
    try:
        return json.loads(stripped[start : end + 1])
    except json.JSONDecodeError as error:
        raise RubricError(f"the JSON does not parse ({error.msg} at line {error.lineno})") from None


def parse(text: str) -> Rubric:
    data = _json_object(text)
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RubricError(f"{where}: {first['msg']}") from None
    if missing := [key for key in DIMENSIONS if key not in rubric.dimensions]:
        raise RubricError(f"dimensions missing: {', '.join(missing)}")
    return rubric
