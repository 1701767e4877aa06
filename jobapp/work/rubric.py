"""The LLM fit rubric: weighted 1–5 dimensions with evidence and gaps, and a recommendation.

The request carries the `Rubric` model as its answer schema, so providers with structured output have
the server enforce it (every dimension named, scores 1–5). The answer is validated here either way:
`parse` checks it, a first invalid answer gets one repair request (`repair_request`, the path servers
without structured output rely on), a second one fails the task with a readable message.

The prompt gives the model the skill check of jobapp.skills as evidence: required and preferred skills
found (with the resume line that shows each) and not found, years and seniority asked for.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, create_model, field_validator, model_validator

from jobapp.llm import Request
from jobapp.skills import Fit

# Dimension key → (label shown to people, weight). Weights sum to 1.
DIMENSIONS: dict[str, tuple[str, float]] = {
    "skills": ("Skills match", 0.40),
    "seniority": ("Seniority", 0.20),
    "compensation": ("Compensation", 0.15),
    "location": ("Location / remote", 0.15),
    "red_flags": ("Red flags (5 = none)", 0.10),
}


class DimensionScore(BaseModel):
    score: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    evidence: str = Field(description="What in the resume and the posting supports the score")
    gaps: str = Field(description="What is missing or unclear; an empty string when nothing is")

    @model_validator(mode="before")
    @classmethod
    def _gaps_may_be_left_out(cls, data: Any) -> Any:
        # Answers written without structured output often drop an empty field.
        return {"gaps": "", **data} if isinstance(data, dict) else data

    # Lengths are checked here, not in the schema: strict structured output accepts no string lengths.
    @field_validator("evidence")
    @classmethod
    def _evidence(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("evidence must not be empty")
        if len(value) > 2000:
            raise ValueError("evidence must be at most 2000 characters")
        return value

    @field_validator("gaps")
    @classmethod
    def _gaps(cls, value: str) -> str:
        if len(value) > 2000:
            raise ValueError("gaps must be at most 2000 characters")
        return value


# One field per dimension, so the schema a provider enforces names every one of them.
Dimensions = create_model(  # type: ignore[call-overload]
    "Dimensions",
    **{key: (DimensionScore, Field(description=label)) for key, (label, _) in DIMENSIONS.items()},
)


class Rubric(BaseModel):
    """The fit of a candidate to a job posting, scored on weighted dimensions."""

    dimensions: Dimensions  # type: ignore[valid-type]
    recommendation: Literal["apply", "consider", "skip"]
    summary: str = Field(description="Two or three sentences")

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("summary must not be empty")
        if len(value) > 4000:
            raise ValueError("summary must be at most 4000 characters")
        return value

    def score(self, key: str) -> DimensionScore:
        return getattr(self.dimensions, key)

    def weighted(self) -> float:
        """The weighted score on the 1–5 scale."""
        return sum(self.score(key).score * weight for key, (_, weight) in DIMENSIONS.items())

    def percent(self) -> int:
        """The weighted score as 0–100, comparable with the skill coverage score."""
        return round((self.weighted() - 1) / 4 * 100)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "label": label, "weight": weight, **self.score(key).model_dump()}
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


def skill_check(fit: Fit) -> str:
    """The deterministic skill check, written as evidence for the model."""
    lines = ["Skill check (automatic, for reference; judge for yourself):"]
    found = "; ".join(f'{e["skill"]} ("{e["line"]}")' for e in fit.evidence)
    lines.append(f"- Found in the resume: {found or 'none'}")
    lines.append(f"- Required, not found: {', '.join(fit.required_missing) or 'none'}")
    lines.append(f"- Nice to have, not found: {', '.join(fit.preferred_missing) or 'none'}")
    if fit.seniority or fit.years:
        lines.append(f"- The posting asks for: {fit.asks_label()}")
    if fit.resume_years is not None:
        lines.append(f"- The resume's dates cover about {fit.resume_years} years of work")
    return "\n".join(lines)


def request(*, posting: str, resume: str, fit: Fit) -> Request:
    prompt = f"Job posting:\n{posting}\n\nCandidate resume:\n{resume}\n\n{skill_check(fit)}"
    return Request(purpose="evaluation-rubric", system=SYSTEM, prompt=prompt, max_tokens=1500, answer_schema=Rubric)


def repair_request(original: Request, answer: str, error: str) -> Request:
    prompt = (
        f"{original.prompt}\n\nYour previous answer was not valid: {error}\n\nPrevious answer:\n{answer[:6000]}\n\n"
        "Reply again with the corrected JSON object only."
    )
    return Request(
        purpose=original.purpose,
        system=original.system,
        prompt=prompt,
        max_tokens=original.max_tokens,
        answer_schema=original.answer_schema,
    )


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
        return Rubric.model_validate(data)
    except ValidationError as error:
        problems = error.errors()
        missing = [p["loc"][1] for p in problems if p["type"] == "missing" and p["loc"][:1] == ("dimensions",)]
        if missing and all(len(p["loc"]) == 2 for p in problems if p["type"] == "missing"):
            raise RubricError(f"dimensions missing: {', '.join(str(m) for m in missing)}") from None
        first = problems[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RubricError(f"{where}: {first['msg']}") from None
