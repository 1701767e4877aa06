"""How a posting is put together: what it requires, what it would like, what it says is not needed.

A posting is read line by line. Headings ("Requirements", "Nice to have", "About us") set the level of
the lines under them; an inline label ("Bonus: Go") sets it for its own line. Each line is cut into
clauses (at ";", sentence ends and ", but"), and inside a clause:

- cues change the level of the skills they point at: "ideally Go", "Kafka is a plus", "(nice to have)";
  negations drop them: "Java is not required", "no Rust needed", "you don't need Scala";
- a list joined by "or" or "/" is one ask that any option satisfies ("Tableau or Looker", "JS/TS",
  "one of Python, Go, Java"); "X or similar" is satisfied by any skill of X's category;
- "5+ years of Python" is recorded with its skill, "5+ years of experience" without one.

Lines under no heading count as required unless the posting has a requirements section of its own;
then they count as preferred (mentioned, not asked for). Duties ("What you'll do") count as required.
Company, benefits and application sections are not read for skills.

Known limits: cues are English only; a cue is applied to the list right before or right after it,
so a long sentence mixing several lists can put a skill at the wrong level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import pairwise

from jobapp.skills._vocabulary import Mention, Vocabulary, pattern


class Level(StrEnum):
    REQUIRED = "required"  # asked for
    PREFERRED = "preferred"  # nice to have
    NEUTRAL = "neutral"  # under no heading, or an unknown one: decided once the whole posting is read
    DUTIES = "duties"  # what the job does day to day: read as required
    CONTEXT = "context"  # about the company, benefits, how to apply: not read for skills
    EXCLUDED = "excluded"  # said to be not needed


# Heading text → the level of the lines under it. Checked in order; the first that matches wins.
HEADINGS: list[tuple[Level, re.Pattern[str]]] = [
    (
        Level.EXCLUDED,
        re.compile(r"\b(not required|what you don'?t need|you don'?t need|no need)\b", re.I),
    ),
    (
        Level.PREFERRED,
        re.compile(
            r"\b(nice[- ]to[- ]haves?|good[- ]to[- ]haves?|bonus(es| points)?|pluses|plus|preferred|desirable|"
            r"desired|ideally|extra (credit|points)|even better|it'?s a plus|would be great|optional|"
            r"stand out|standout)\b",
            re.I,
        ),
    ),
    (
        Level.CONTEXT,
        re.compile(
            r"\b(about (us|the company|the team|[A-Z]\w+)|who we are|our (mission|story|values|culture)|benefits|"
            r"perks|what we offer|we offer|why (join|work)|compensation|salary|pay|how to apply|application process|"
            r"equal opportunit|diversity|life at|interview process|hiring process|location|working here)\b",
            re.I,
        ),
    ),
    (
        Level.REQUIRED,
        re.compile(
            r"\b(requirements?|required|must[- ]haves?|qualifications?|what you('ll| will)? bring|"
            r"what we('re| are)? looking for|who you are|you have|you should have|about you|your profile|"
            r"skills|experience|we expect|essentials?|what you need|you'?ll need|must)\b",
            re.I,
        ),
    ),
    (
        Level.DUTIES,
        re.compile(
            r"\b(responsibilities|what you('ll| will) do|your role|the role|in this role|day[- ]to[- ]day|"
            r"your (impact|mission)|what you('ll| will) work on)\b",
            re.I,
        ),
    ),
]

BULLET = re.compile(r"^\s*(?:[-*•·◦▪‣]|\d{1,2}[.)])\s+")
# A label at the start of a line that applies to the rest of it: "Nice to have: Go, Rust".
LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z '’/-]{1,40}?)\s*[:–—]\s+(?P<rest>\S.*)$")

# Cues inside a clause. Each applies to the list of skills right before it when it follows one
# ("Kafka is a plus"), otherwise to the skills after it ("ideally Kafka").
PREFERENCE = re.compile(
    r"\b(?:ideally|preferably|optionally|bonus(?: points)?|extra (?:credit|points)|even better|"
    r"nice[- ]to[- ]haves?|good[- ]to[- ]haves?|(?:(?:is|are|would be|will be|as) )?(?:a|an) "
    r"(?:big |huge |definite |real |strong )?(?:plus|advantage|bonus)\b|\(plus\)|prefer(?:red)?|desir(?:ed|able)|"
    r"optional|helpful|beneficial|(?:highly )?(?:valued|appreciated)|would be (?:great|nice|useful))\b",
    re.I,
)
PREFIX_ONLY = re.compile(r"^(?:ideally|preferably|optionally|even better|extra|prefer\b)", re.I)
NEGATION = re.compile(
    r"\b(?:(?:is|are) )?not (?:required|necessary|needed|mandatory|a must|a requirement|expected|essential)\b|"
    r"\bnot needed\b|\bunnecessary\b|"
    r"\b(?:you )?(?:do not|don'?t|won'?t|will not|doesn'?t|does not) (?:need|have to|require|expect)"
    r"(?: to (?:know|have|be|use))?\b|\bno need (?:for|to know)\b|"
    r"\bdon'?t worry if you (?:haven'?t|have not|don'?t)(?: (?:used|worked with|touched))?\b",
    re.I,
)
# "no Rust needed", "no prior Kafka experience required": the skills between "no" and the verb.
NO_NEEDED = re.compile(
    r"\bno\s+(?:prior\s+|previous\s+)?(?P<span>[^.;]{1,80}?)\s+(?:experience\s+|knowledge\s+)?(?:is\s+|are\s+)?"
    r"(?:needed|required|necessary)\b",
    re.I,
)
REQUIRED_CUE = re.compile(r"\b(?:required|a must|mandatory|essential|must[- ]haves?|must)\b", re.I)
ANY_OF = re.compile(
    r"(?:\b(?:one|any|at least one)(?: or more)? of\b[^,;]*|\beither|\bsuch as|\be\.g\.?,?|\bfor example,?|"
    r"\bfor instance,?|\blike|\bsimilar to)\s*[:(]?\s*$",
    re.I,
)
SIMILAR = re.compile(
    r"^\s*\)?\s*,?\s*(?:or|and/or)\s+(?:a\s+|an\s+|any\s+|some\s+)?(?:other\s+|another\s+)?"
    r"(?:similar|equivalent|comparable|related|alternative|other|another)\b"
    # …and the noun it qualifies: "or similar message broker" names no skill of its own.
    r"(?:\s+(?!and\b|or\b)[\w/-]+){0,3}",
    re.I,
)
OR_GAP = re.compile(r"[\s,(]*(?:\bor\b|\band/or\b|/|\|)[\s)]*", re.I)
AND_GAP = re.compile(r"[\s,()]*(?:\band\b|&|\bas well as\b)?[\s,()]*", re.I)
CLAUSE_END = re.compile(
    r";|(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)[.!?](?=\s+[\"'(A-Z])|,?\s+(?:but|while|whereas)\s+", re.I
)

NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15,
}  # fmt: skip
YEARS = re.compile(
    r"(?:at least |minimum (?:of )?|over |more than )?"
    r"(?P<n>\d{1,2}|" + "|".join(NUMBERS) + r")\s*(?:\+|plus)?\s*(?:(?:-|–|to)\s*\d{1,2}\s*)?(?:\+\s*)?"
    r"(?:or more\s+)?(?:years?|yrs?)\b"
    # Years of experience, not "founded 10 years ago".
    r"(?=['’]?s?\s*(?:of\b|experience|in\b|with\b|working|building|writing|professional|hands|commercial|"
    r"industry|relevant|production|\)|,|;|\.|$))",
    re.I,
)
YEARS_BEFORE_SKILL = re.compile(r"^\s*(?:['’]s?\s*)?(?:of\s+)?[^.;,]{0,60}$", re.I)

SENIORITY: list[tuple[str, re.Pattern[str]]] = [
    ("principal", re.compile(r"\bprincipal\b", re.I)),
    ("staff", re.compile(r"\bstaff\b", re.I)),
    ("lead", re.compile(r"\b(?:lead|head of|engineering manager|manager|director)\b", re.I)),
    ("senior", re.compile(r"\b(?:senior|sr\.?|snr)(?=\W|$)", re.I)),
    ("mid", re.compile(r"\b(?:mid[- ]?level|mid[- ]senior|intermediate|mid)\b", re.I)),
    (
        "junior",
        re.compile(r"\b(?:junior|jr\.?|entry[- ]level|graduate|new grad|intern(?:ship)?|trainee)(?=\W|$)", re.I),
    ),
]
SENIORITY_IN_TEXT = re.compile(
    r"\b(?:(?:we(?:'re| are) (?:looking for|hiring|seeking)|hiring|seeking|as|join us as) an?|an? experienced)\s+"
    r"(?P<level>senior|junior|staff|principal|lead|mid[- ]level|entry[- ]level)\b|"
    r"\b(?P<tier>senior|junior|mid|entry)[- ]level\b",
    re.I,
)
DATE_RANGE = re.compile(
    r"\b(?P<start>(?:19|20)\d\d)\s*(?:–|—|-|to)\s*(?P<end>(?:19|20)\d\d|present|now|current|today)\b", re.I
)


@dataclass(frozen=True)
class Ask:
    """One thing a posting asks for; any of its options satisfies it."""

    options: tuple[str, ...]  # skill names from the vocabulary, or terms found outside it
    level: Level  # REQUIRED or PREFERRED
    similar: bool = False  # "Kafka or similar": any skill of the same category satisfies it too
    known: bool = True  # False: a term outside the vocabulary (see jobapp.skills._phrases)

    @property
    def label(self) -> str:
        """How people read it: "Tableau or Looker", "Kafka (or similar)"."""
        text = spoken_list(list(self.options), "or")
        return f"{text} (or similar)" if self.similar else text


@dataclass(frozen=True)
class YearsAsked:
    years: int
    skill: str = ""  # empty: years of experience in general

    @property
    def label(self) -> str:
        return f"{self.years}+ years" + (f" of {self.skill}" if self.skill else " of experience")


@dataclass
class Posting:
    """What a posting asks for, as read by `read_posting`."""

    asks: list[Ask] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)  # skills it says are not needed
    years: list[YearsAsked] = field(default_factory=list)
    seniority: str = ""  # junior | mid | senior | staff | principal | lead, or "" when it does not say


def spoken_list(items: list[str], conjunction: str = "and") -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(items) <= 2:
        return f" {conjunction} ".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def heading_level(text: str) -> Level | None:
    """The level a heading sets, or None when `text` reads like no heading we know."""
    for level, phrases in HEADINGS:
        if phrases.search(text):
            return level
    return None


def _heading(line: str) -> str | None:
    """The text of a heading line ("## Requirements", "**Nice to have:**", "What you'll bring:"), else None."""
    stripped = line.strip()
    marked = stripped.startswith("#") or (stripped.startswith(("**", "__")) and stripped.endswith(("**", "__", ":")))
    text = re.sub(r"^[#*_\s]+|[*_\s]+$", "", stripped)
    text = BULLET.sub("", text).rstrip(":").strip(" *_")
    if not text or len(text) > 70 or text.endswith((".", ",", ";")):
        return None
    if marked or stripped.rstrip("*_ ").endswith(":"):
        return text
    # An unmarked short line ("Requirements", "Nice to have") is a heading only when it is mostly a
    # phrase we know: "Experience with Kubernetes" is a requirement, not a heading.
    if len(text.split()) <= 6 and not BULLET.match(stripped) and not re.search(r"[:,]", text):
        for _, phrases in HEADINGS:
            if (match := phrases.search(text)) and len(match.group()) >= 0.6 * len(text):
                return text
    return None


def _clauses(line: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for match in CLAUSE_END.finditer(line):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(line)))
    return [(a, b) for a, b in bounds if b > a]


@dataclass
class _Item:
    """A mention inside one clause while its level is being worked out."""

    mention: Mention
    known: bool
    negated: bool = False
    preferred: bool = False
    required: bool = False


def _chains(items: list[_Item], text: str) -> list[list[int]]:
    """Runs of items joined only by list separators (",", "and", "or", "/"), as index lists."""
    chains: list[list[int]] = []
    for index, item in enumerate(items):
        if index and _list_gap(text[items[index - 1].mention.end : item.mention.start]):
            chains[-1].append(index)
        else:
            chains.append([index])
    return chains


def _list_gap(gap: str) -> bool:
    return bool(OR_GAP.fullmatch(gap) or AND_GAP.fullmatch(gap))


def _groups(items: list[_Item], chain: list[int], text: str, before: str, vocabulary: Vocabulary) -> list[list[int]]:
    """A chain cut into asks: "A and B" is two asks, "A or B" and "one of A, B, C" one each.

    "A, B or C" is one ask when A, B and C are of one kind ("Python, Go or Java"); otherwise the "or"
    joins only its neighbours ("Python, Airflow, Tableau or Looker" asks for three things).
    """
    if len(chain) == 1:
        return [chain]
    if ANY_OF.search(before) or SIMILAR.match(text[items[chain[-1]].mention.end :]):
        return [chain]  # "one of A, B, C"; "A, B, or similar"
    parts: list[list[int]] = [[chain[0]]]
    joined: list[list[bool]] = [[]]  # per part: is each gap an "or"?
    for previous, current in pairwise(chain):
        gap = text[items[previous].mention.end : items[current].mention.start]
        if re.search(r"\band\b|&|as well as", gap, re.I) and not OR_GAP.fullmatch(gap):
            parts.append([current])
            joined.append([])
        else:
            parts[-1].append(current)
            joined[-1].append(bool(OR_GAP.fullmatch(gap)))
    groups: list[list[int]] = []
    for part, ors in zip(parts, joined, strict=True):
        if not any(ors):
            groups.extend([i] for i in part)
            continue
        kinds = {vocabulary[items[i].mention.skill].category if items[i].known else None for i in part}
        if len(kinds) == 1 and None not in kinds:
            groups.append(part)
            continue
        groups.append([part[0]])
        for index, is_or in zip(part[1:], ors, strict=True):
            if is_or:
                groups[-1].append(index)
            else:
                groups.append([index])
    return groups


def _apply_cues(items: list[_Item], text: str, chains: list[list[int]]) -> None:
    """Mark items negated, preferred or explicitly required by the cues around them."""
    negations = [(m.start(), m.end()) for m in NEGATION.finditer(text)]
    for match in NO_NEEDED.finditer(text):
        for item in items:
            if match.start("span") <= item.mention.start < match.end("span"):
                item.negated = True

    def mark(cue_start: int, cue_end: int, attribute: str, cue: str) -> None:
        before = [c for c in chains if items[c[-1]].mention.end <= cue_start]
        if before and not PREFIX_ONLY.match(cue):
            chain = before[-1]
            gap = text[items[chain[-1]].mention.end : cue_start]
            if len(gap) <= 30 and not re.search(r"[,;]\s*\w+\s+\w+", gap):
                targets = chain
                if re.match(r"\s*is\b", gap + cue, re.I):
                    targets = [chain[-1]]  # "…, Kafka is a plus": the last one only
                for index in targets:
                    setattr(items[index], attribute, True)
                return
        for item in items:
            if item.mention.start >= cue_end:
                setattr(item, attribute, True)

    for start, end in negations:
        mark(start, end, "negated", text[start:end])
    for match in PREFERENCE.finditer(text):
        if not any(a <= match.start() < b for a, b in negations):
            mark(match.start(), match.end(), "preferred", match.group())
    for match in REQUIRED_CUE.finditer(text):
        if not any(a <= match.start() < b for a, b in negations):
            mark(match.start(), match.end(), "required", match.group())


def _read_clause(
    text: str, level: Level, mentions: list[tuple[Mention, bool]], posting: Posting, vocabulary: Vocabulary
) -> list[Ask]:
    items = [_Item(m, known) for m, known in mentions]
    if not items:
        _read_years(text, items, posting)
        return []
    chains = _chains(items, text)
    _apply_cues(items, text, chains)
    asks: list[Ask] = []
    previous_end = 0
    swallowed = -1  # items up to here are the noun of an "or similar …"
    for chain in chains:
        before = text[previous_end : items[chain[0]].mention.start]
        previous_end = items[chain[-1]].mention.end
        for group in _groups(items, chain, text, before, vocabulary):
            members = [items[i] for i in group if items[i].mention.start >= swallowed]
            posting.excluded.update(m.mention.skill for m in members if m.negated)
            members = [m for m in members if not m.negated]
            if not members:
                continue
            if any(m.preferred for m in members):
                ask_level = Level.PREFERRED
            elif any(m.required for m in members) and level == Level.NEUTRAL:
                ask_level = Level.REQUIRED
            else:
                ask_level = level
            after = text[members[-1].mention.end :]
            similar_to = SIMILAR.match(after)
            similar = similar_to is not None and all(m.known for m in members)
            if similar_to is not None:
                swallowed = members[-1].mention.end + similar_to.end()
            options = tuple(dict.fromkeys(m.mention.skill for m in members))
            asks.append(Ask(options, ask_level, similar, all(m.known for m in members)))
    _read_years(text, items, posting)
    return asks


def _read_years(text: str, items: list[_Item], posting: Posting) -> None:
    for match in YEARS.finditer(text):
        raw = match.group("n").lower()
        years = int(raw) if raw.isdigit() else NUMBERS[raw]
        skill = ""
        after = [i for i in items if i.known and i.mention.start >= match.end()]
        before = [i for i in items if i.known and i.mention.end <= match.start()]
        if after and YEARS_BEFORE_SKILL.match(text[match.end() : after[0].mention.start]):
            between = text[match.end() : after[0].mention.start]
            if "year" not in between.lower():
                skill = after[0].mention.skill
        elif before and re.fullmatch(r"[\s:(,–-]{0,4}", text[before[-1].mention.end : match.start()]):
            skill = before[-1].mention.skill  # "Python (5+ years)"
        posting.years.append(YearsAsked(years, skill))


def sections(text: str, title: str = "") -> tuple[list[tuple[str, Level]], bool]:
    """Each line of content (bullets and inline labels removed) with the level its section or label
    gives it, the title first; and whether the posting has a requirements section of its own."""
    has_requirements = False
    lines: list[tuple[str, Level]] = [(title, Level.REQUIRED)] if title.strip() else []
    section = Level.NEUTRAL
    for line in text.splitlines():
        if not line.strip():
            continue
        heading = _heading(line)
        if heading is not None:
            known = heading_level(heading)
            if known is not None:
                section = known
                has_requirements = has_requirements or known == Level.REQUIRED
                continue
            if line.lstrip().startswith("#") or line.rstrip(" *_").endswith(":"):
                section = Level.NEUTRAL  # "## The team", "Tech stack:": a section we do not know
        content = BULLET.sub("", line).strip()
        level = section
        if (label := LABEL.match(content)) and (labelled := heading_level(label.group("label"))) is not None:
            level, content = labelled, label.group("rest")
            has_requirements = has_requirements or labelled == Level.REQUIRED
        lines.append((content, level))
    return lines, has_requirements


def read_posting(
    text: str, vocabulary: Vocabulary, *, title: str = "", company: str = "", extra_terms: tuple[str, ...] = ()
) -> Posting:
    """What `text` asks for. `extra_terms` are terms outside the vocabulary worth reading as skills;
    the company's own name is never one, even when it is also a skill's ("Kafka Labs")."""
    posting = Posting()
    raw: list[Ask] = []
    term_patterns = [(term, re.compile(pattern(term), re.I)) for term in extra_terms]
    own_name = re.compile(re.escape(company.strip()), re.I) if company.strip() else None
    lines, has_requirements = sections(text, title)
    for content, level in lines:
        if level == Level.CONTEXT:
            continue
        found = [(m, True) for m in vocabulary.find(content)]
        for term, regex in term_patterns:
            for match in regex.finditer(content):
                if not any(m.start < match.end() and match.start() < m.end for m, _ in found):
                    found.append((Mention(term, match.start(), match.end(), match.group()), False))
        if own_name is not None:
            names = [(m.start(), m.end()) for m in own_name.finditer(content)]
            found = [(m, known) for m, known in found if not any(a <= m.start < b for a, b in names)]
        found.sort(key=lambda pair: pair[0].start)
        for start, end in _clauses(content):
            inside = [
                (Mention(m.skill, m.start - start, m.end - start, m.text), known)
                for m, known in found
                if start <= m.start and m.end <= end
            ]
            clause_level = level
            # A label can also start a later sentence of the line: "Bonus: Go. Must have: Rust."
            if (label := LABEL.match(content[start:end].strip())) and (labelled := heading_level(label["label"])):
                clause_level = labelled
            if clause_level == Level.CONTEXT:
                continue
            asks = _read_clause(content[start:end], clause_level, inside, posting, vocabulary)
            if clause_level == Level.EXCLUDED:
                posting.excluded.update(o for ask in asks for o in ask.options)
                continue
            raw.extend(asks)

    levels = {Level.NEUTRAL: Level.PREFERRED if has_requirements else Level.REQUIRED, Level.DUTIES: Level.REQUIRED}
    resolved = [Ask(a.options, levels.get(a.level, a.level), a.similar, a.known) for a in raw]
    posting.asks = _merge(resolved, posting.excluded)
    posting.years = _merge_years(posting.years)
    posting.seniority = seniority(title, text, posting.years)
    return posting


def _merge(asks: list[Ask], excluded: set[str]) -> list[Ask]:
    """One ask per option set at its highest level; asks another one already covers are dropped."""
    merged: dict[tuple[str, ...], Ask] = {}
    for ask in asks:
        options = tuple(o for o in ask.options if o not in excluded)
        if not options:
            continue
        key = tuple(sorted(options))
        current = merged.get(key)
        if current is None:
            merged[key] = Ask(options, ask.level, ask.similar, ask.known)
        elif ask.level == Level.REQUIRED and current.level != Level.REQUIRED:
            merged[key] = Ask(current.options, Level.REQUIRED, current.similar and ask.similar, current.known)
    singles = {a.options[0]: a.level for a in merged.values() if len(a.options) == 1}
    out = []
    for ask in merged.values():
        if len(ask.options) > 1 and any(
            singles.get(o) == Level.REQUIRED or singles.get(o) == ask.level for o in ask.options
        ):
            continue  # "Python" is asked for on its own: "Python or Go" adds nothing
        out.append(ask)
    return out


def _merge_years(years: list[YearsAsked]) -> list[YearsAsked]:
    best: dict[str, int] = {}
    for asked in years:
        best[asked.skill] = max(best.get(asked.skill, 0), asked.years)
    return [YearsAsked(n, skill) for skill, n in best.items()]


def seniority(title: str, text: str, years: list[YearsAsked]) -> str:
    """The level the posting hires at: from the title, else the text, else the years it asks for."""
    for level, phrases in SENIORITY:
        if phrases.search(title):
            return level
    if match := SENIORITY_IN_TEXT.search(text):
        word = re.sub(r"[- ]level$", "", (match.group("level") or match.group("tier")).lower())
        return {"entry": "junior"}.get(word, word)
    most = max((y.years for y in years), default=None)
    if most is None:
        return ""
    return "senior" if most >= 5 else "mid" if most >= 2 else "junior"


def resume_years(resume: str, today: date | None = None) -> int | None:
    """Years of work the resume's date ranges cover, overlaps counted once; None when it has none."""
    this_year = (today or date.today()).year
    spans = []
    for match in DATE_RANGE.finditer(resume):
        start = int(match.group("start"))
        end_text = match.group("end").lower()
        end = this_year if not end_text.isdigit() else int(end_text)
        if start <= end <= this_year:
            spans.append((start, end))
    if not spans:
        return None
    total, current_start, current_end = 0, None, None
    for start, end in sorted(spans):
        if current_end is None or start > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_start is not None and current_end is not None:
        total += current_end - current_start
    return total
