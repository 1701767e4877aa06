"""The vocabulary of skills (vocabulary.toml) and the matcher that finds them in text.

Every name and alias becomes one regular-expression alternative. Separators inside a name are optional
("CI/CD" also matches "CI CD" and "CICD"; "Node.js" matches "NodeJS"), a trailing plural is accepted
("REST APIs"), and alternatives are tried longest first, so "React Native" wins over "React" and
"Objective-C" over "C". Aliases listed as `exact` keep their case ("Go" the language, not "go" the verb).

Known limits: a skill named like a person ("Julia", "Ruby") matches that person's name too, and a
capitalised English word at the start of a sentence can match an `exact` alias ("Spark joy").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.toml")
KEYS = {"name", "category", "aliases", "exact", "implies", "not_in"}

# A name never starts or ends inside a longer token: "Java" is not found in "JavaScript", "C" not in "C#".
_BEFORE = r"(?<![A-Za-z0-9_+#&])"
_AFTER = r"(?![A-Za-z0-9_+#&]|\.[A-Za-z0-9])"
# One-letter names ("C", "R") are also not initials ("C. Smith") or possessives.
_AFTER_LETTER = r"(?![A-Za-z0-9_+#&.']|/[A-Za-z]{2})"
_SEPARATORS = re.compile(r"([\s\-/._]+)")
# Where a name can start: the first character of a token (or the dot of ".NET").
_STARTS = re.compile(r"(?<![A-Za-z0-9_+#&])[A-Za-z0-9.]")


class VocabularyError(ValueError):
    """The vocabulary file is not valid; the message names the skill and what is wrong."""


@dataclass(frozen=True)
class Skill:
    """One skill of the vocabulary."""

    name: str  # how people read it: "PostgreSQL"
    category: str
    aliases: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    implies: tuple[str, ...] = ()
    not_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mention:
    """A skill found in a text, with where."""

    skill: str  # the skill's name
    start: int
    end: int
    text: str  # as written: "Postgres"


def key(text: str) -> str:
    """The form two spellings of one name share: lower case, no separators ("Node.js" → "nodejs")."""
    return _SEPARATORS.sub("", text.lower())


def pattern(alias: str) -> str:
    """The regular expression for one name: separators optional, a plural allowed."""
    alias = alias.strip()
    # A leading separator is part of the name (".NET"); separators between words are optional.
    lead = alias[: len(alias) - len(alias.lstrip(" -/._"))]
    parts = _SEPARATORS.split(alias[len(lead) :])
    out = [re.escape(lead)]
    for index, part in enumerate(parts):
        out.append(r"[\s\-/._]?" if index % 2 else re.escape(part))
    last = parts[-1]
    if last.isalpha() and len(last) >= 2:
        out.append("(?:s|es)?")
    after = _AFTER_LETTER if len(alias) == 1 else _AFTER
    return _BEFORE + "".join(out) + after


@dataclass
class Vocabulary:
    """The skills, and one compiled matcher over all their names."""

    skills: dict[str, Skill]
    _by_key: dict[str, str] = field(default_factory=dict)
    # One matcher per first letter: trying a thousand alternatives only where a name can start, and
    # only those starting with that letter, is what keeps a long posting fast.
    _matchers: dict[str, re.Pattern[str]] = field(default_factory=dict)
    _not_in: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        alternatives: list[tuple[str, str]] = []
        for skill in self.skills.values():
            names = [(skill.name, skill.name not in skill.exact)]
            names += [(alias, True) for alias in skill.aliases] + [(alias, False) for alias in skill.exact]
            for name, fold_case in names:
                owner = self._by_key.setdefault(key(name), skill.name)
                if owner != skill.name:
                    raise VocabularyError(f"{skill.name}: the name {name!r} already belongs to {owner}")
                regex = pattern(name)
                alternatives.append((name, f"(?i:{regex})" if fold_case else regex))
            if skill.not_in:
                self._not_in[skill.name] = re.compile("|".join(re.escape(p) for p in skill.not_in), re.IGNORECASE)
            for implied in skill.implies:
                if implied not in self.skills:
                    raise VocabularyError(f"{skill.name}: implies {implied!r}, which is not in the vocabulary")
        alternatives.sort(key=lambda pair: -len(pair[0]))
        buckets: dict[str, list[str]] = {}
        for name, regex in alternatives:
            buckets.setdefault(name.lstrip()[0].lower(), []).append(regex)
        self._matchers = {first: re.compile("|".join(regexes)) for first, regexes in buckets.items()}

    def __contains__(self, name: str) -> bool:
        return name in self.skills

    def __getitem__(self, name: str) -> Skill:
        return self.skills[name]

    def name_of(self, written: str) -> str | None:
        """The skill a name or alias belongs to, as written ("postgres" → "PostgreSQL"); None if unknown."""
        found = key(written)
        for candidate in (found, found[:-2] if found.endswith("es") else "", found[:-1] if found.endswith("s") else ""):
            if candidate and candidate in self._by_key:
                return self._by_key[candidate]
        return None

    def find(self, text: str) -> Iterator[Mention]:
        """Every skill mentioned in `text`, in order, longest name first where names overlap."""
        after = 0
        for start in _STARTS.finditer(text):
            matcher = self._matchers.get(text[start.start()].lower())
            if start.start() < after or matcher is None:
                continue
            match = matcher.match(text, start.start())
            if match is None:
                continue
            skill = self.name_of(match.group())
            if skill is None or self._excluded(skill, text, match.start(), match.end()):
                continue
            after = match.end()
            yield Mention(skill, match.start(), match.end(), match.group())

    def _excluded(self, skill: str, text: str, start: int, end: int) -> bool:
        """Inside a phrase that only looks like the skill ("Series C", "go-to-market")."""
        phrases = self._not_in.get(skill)
        if phrases is None:
            return False
        window_start = max(0, start - 30)
        return any(
            m.start() + window_start <= start and end <= m.end() + window_start
            for m in phrases.finditer(text[window_start : end + 30])
        )

    def closure(self, names: set[str]) -> dict[str, str]:
        """Each skill shown by `names`, directly or by implication, mapped to the named skill showing it."""
        shown: dict[str, str] = {}
        for name in sorted(names):
            stack = [name]
            while stack:
                current = stack.pop()
                if current in shown:
                    continue
                shown[current] = name
                stack.extend(self.skills[current].implies)
        # A skill named in the text is its own evidence, even when another one implies it too.
        return shown | {name: name for name in names}

    def peers(self, name: str) -> set[str]:
        """Skills of the same category ("Kafka or similar" is satisfied by RabbitMQ)."""
        category = self.skills[name].category
        return {s.name for s in self.skills.values() if s.category == category}


def _strings(skill: str, data: dict[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise VocabularyError(f"{skill}: {name} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_vocabulary(text: str, source: str = "vocabulary") -> Vocabulary:
    """A vocabulary from TOML text; every mistake is reported with the skill it is in."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise VocabularyError(f"{source} is not valid TOML: {error}") from None
    entries = data.get("skill")
    if not isinstance(entries, list) or not entries:
        raise VocabularyError(f"{source} has no [[skill]] tables")
    skills: dict[str, Skill] = {}
    for number, entry in enumerate(entries, 1):
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise VocabularyError(f"{source}: skill #{number} has no name")
        if unknown := set(entry) - KEYS:
            raise VocabularyError(f"{name}: unknown keys {', '.join(sorted(unknown))} (allowed: {', '.join(KEYS)})")
        category = entry.get("category")
        if not isinstance(category, str) or not category.strip():
            raise VocabularyError(f"{name}: category must be a non-empty string")
        if name in skills:
            raise VocabularyError(f"{name}: listed twice")
        skills[name] = Skill(
            name=name.strip(),
            category=category.strip(),
            aliases=_strings(name, entry, "aliases"),
            exact=_strings(name, entry, "exact"),
            implies=_strings(name, entry, "implies"),
            not_in=_strings(name, entry, "not_in"),
        )
    return Vocabulary(skills)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The vocabulary shipped with jobapp (read once per process)."""
    return parse_vocabulary(VOCABULARY_FILE.read_text(encoding="utf-8"), VOCABULARY_FILE.name)
