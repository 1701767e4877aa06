"""Skills a posting asks for and a resume shows: the deterministic half of every evaluation.

`analyze(posting, resume)` reads the posting's structure (required and preferred sections, inline
cues, alternatives, negations, years, seniority), finds skills with the vocabulary in vocabulary.toml
(aliases, spellings, word forms) plus product-like names outside it, and matches the resume against
them with the line that shows each match. It runs with or without a model and gives the same answer
every time; the LLM rubric, the offline drafter and the job page all read its result.
"""

from jobapp.skills._fit import Fit, Met, analyze, resume_skills
from jobapp.skills._posting import Ask, Level, YearsAsked, read_posting, spoken_list
from jobapp.skills._vocabulary import Mention, Skill, Vocabulary, VocabularyError, parse_vocabulary, vocabulary

__all__ = [
    "Ask",
    "Fit",
    "Level",
    "Mention",
    "Met",
    "Skill",
    "Vocabulary",
    "VocabularyError",
    "YearsAsked",
    "analyze",
    "parse_vocabulary",
    "read_posting",
    "resume_skills",
    "spoken_list",
    "vocabulary",
]
