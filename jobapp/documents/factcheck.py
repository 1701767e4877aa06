"""The fabrication check for generated CVs: every employer, job title, school and date the CV names must
be in the person's resume. Deterministic (regular expressions and word lists, no model) and conservative:
it reports what it can tell is new, and stays quiet when unsure, so a finding is worth reading.

How names are compared. Both texts are normalised: accents, case, punctuation and dashes are ignored,
"&" reads "and", "Sr"/"Jr"/"Mgr" read "Senior"/"Junior"/"Manager", "Vice President" reads "VP". A CV
name passes when its words appear in that order anywhere in the resume; an employer's legal suffix
(Inc, LLC, Ltd, Corp, GmbH…) is ignored, so "Acme" and "Acme Corp" match "ACME Corporation".

How the CV is read. Sections are told apart by their headings (a Markdown heading, a wholly bold line
or a short all-caps line naming Experience/Employment/Career…, Education/Qualifications…, or anything
else: Skills, Summary, Projects…). A line is cut into segments at "—", "–", "|", "·", "•", " - ", " / ",
" @ ", ", ", ";" and "(…)", after its dates are taken out.
- Job titles: a segment of one to seven words, without figures, in Title Case (or any case when the line
  is a heading or bold), containing a job word (Engineer, Developer, Manager, Director, Lead, Head,
  Analyst, Designer, Consultant, Intern, VP, CTO…), or the "X" of "X at Y".
- Employers: the segment right after a title that opens a line ("Senior Engineer — Acme Corp (2019–2022)",
  "Senior Engineer at Acme Corp"), or right before a title in second place ("**Acme Corp**, Senior
  Engineer"); in an experience section also a heading or bold line without a title when it carries a date
  or the next line names a title ("### Acme", then "**Senior Engineer** · 2019–2022"), and the first
  segment of the line right after a title-only line. "Remote", "Freelance", "Self-employed"… are skipped.
- Schools: in an education section, the run of capitalised words around University/College/Institute/
  School/Academy/Polytechnic/Hochschule/Universität/École…, or (no such word) the first segment that is
  not a degree on a line with a degree (B.Sc., MSc, MBA, PhD, Bachelor…) or on a heading or bold line; elsewhere only
  on a line that names both a degree and such a school word.
- Dates: everywhere in the CV. Years 1950–2099, month + year ("Jan 2020", "January, 2020", "01/2020"),
  ranges joined by a dash, "to", "until" or "through", short ranges ("2019–20") and open ends ("Present",
  "Current", "Now", "Today", "since 2019"). A year alone counts only where it reads as a date: not followed
  by a lower-case word, a figure, "%" or "+" ("2000 users" is not a date; "in 2019 we" is missed too).
  A CV date passes when the resume has it at least as precisely: "2019" passes against "Mar 2019", but
  "Mar 2019" needs a March 2019 in the resume. A range needs its start among the resume's range starts and
  its end among the resume's range ends; an open range ("2019 – Present") needs an open range with that
  start in the resume.

Blind spots (known, accepted for a check that must not cry wolf):
- Prose is not read for names: a summary or bullet saying "ex-Google engineer" or "worked with Stanford"
  is not checked; nor are "Label: value" lines ("Company: Acme"), nor lists of items without a date or bold.
- A name found anywhere in the resume passes, whatever its role there: a title held at another employer,
  a school named in a bullet, a company in the summary. Only the resume's skills sections (Skills,
  Technologies, Tools, Languages…) do not back employers and titles, so "Google Cloud" as a skill does
  not make "Google" an employer. A shorter title passes inside a longer one ("Engineer" inside "Senior
  Engineer"): the check finds additions, not re-assignments.
- Titles outside the job-word list ("Scrum Master", "Barista"), titles in sentence case on plain lines,
  and employers in layouts other than the above are not found. A company whose name holds a job word
  ("Design Partners Ltd" does not; "The Consultant Group" does) is checked as a title.
- Dates are compared with the resume's dates as a whole, not per employer: a real range set against the
  wrong employer passes. A closed range stitched from the start of one resume range and the end of another
  passes (so that a CV may merge two roles at one employer); an open range may not, so merging "2019–2020"
  and "2020–Present" into "2019–Present" is reported. Dates in other languages (but "heute"), ISO
  "2020-01" months and two-digit years ("'19") are not read.
- Degrees and fields of study are not checked, only the school's name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

FindingKind = Literal["employer", "title", "school", "date"]


@dataclass(frozen=True)
class Finding:
    """Something the CV names that the resume does not."""

    kind: FindingKind
    text: str  # as written in the CV
    message: str


def check_cv(cv_markdown: str, resume_markdown: str) -> list[Finding]:
    """Employers, titles, schools and dates in the CV that are not in the resume, in CV order."""
    resume = _Resume(resume_markdown)
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()

    def report(kind: FindingKind, text: str, present: bool) -> None:
        key = (kind, _norm(text))
        if present or key in seen or not key[1]:
            return
        seen.add(key)
        findings.append(Finding(kind, text, f"'{text}' is named in the CV but not in your resume"))

    lines = _read(cv_markdown)
    for index, line in enumerate(lines):
        for date in line.dates:
            report("date", date.text, resume.has_date(date))
        for kind, text in _names(lines, index):
            report(kind, text, resume.has_name(kind, text))
    return findings


# --- Normalising ---------------------------------------------------------------------------------------

_ABBREVIATIONS = {"sr": "senior", "snr": "senior", "jr": "junior", "mgr": "manager", "asst": "assistant"}
_ABBREVIATIONS |= {"assoc": "associate", "univ": "university", "cofounder": "co founder", "dept": "department"}
_LEGAL = {
    "inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "gmbh", "ag",
    "sa", "sarl", "sas", "bv", "nv", "plc", "pty", "llp", "lp", "se", "kg", "oy", "ab", "srl", "spa", "pvt",
}  # fmt: skip


def _norm(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[.'’`´]", "", text).replace("&", " and ")
    words = [_ABBREVIATIONS.get(word, word) for word in re.sub(r"[\W_]+", " ", text).split()]
    return " ".join(words).replace("vice president", "vp")


def _employer_key(text: str) -> str:
    words = _norm(text).removeprefix("the ").split()
    while len(words) > 1 and words[-1] in _LEGAL:
        words.pop()
    return " ".join(words)


# --- Dates ---------------------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"(?:19[5-9]\d|20\d\d)"
_POINT = rf"(?:{_MONTH},?\s+{_YEAR}|(?:0?[1-9]|1[0-2])[/.]{_YEAR}|{_YEAR})"
_OPEN = r"(?i:present|current(?:ly)?|now|today|ongoing|date|heute)\b"
_DASH = r"[-‐‑‒–—―−~]"
_DATE = re.compile(
    rf"(?<![\w$€£#])(?<!\d\s)(?:"
    rf"(?P<since>(?i:since)\s+{_POINT})"
    rf"|(?P<start>{_POINT})\s*(?:{_DASH}|\s(?i:to|until|till|through|thru)\s)\s*"
    rf"(?:(?P<end>{_POINT}|{_OPEN})|(?P<short>\d\d)(?!\d))"
    rf"|(?P<single>{_POINT})"
    rf")(?![\w%+])"
)
# A year alone is not a date when a lower-case word, a figure or a unit follows ("2000 users").
_NOT_A_DATE_AFTER = re.compile(r"\s*(?:[a-z%+]|\d)")

Point = tuple[int, int | None]  # (year, month or None)
OPEN_END: Point = (9999, None)


@dataclass(frozen=True)
class _Date:
    text: str
    start: Point
    end: Point | None = None  # None: a single date, not a range


def _point(text: str) -> Point:
    year = int(re.search(r"\d{4}", text).group())  # type: ignore[union-attr]
    name = re.match(r"[A-Za-z]{3}", text)
    if name:
        return year, _MONTHS[name.group().lower()]
    numeric = re.match(r"(\d{1,2})[/.]", text)
    return year, int(numeric.group(1)) if numeric else None


def _dates(text: str) -> list[_Date]:
    found = []
    for match in _DATE.finditer(text):
        shown = match.group().strip()
        if match["since"]:
            found.append(_Date(shown, _point(match["since"][5:].strip()), OPEN_END))
        elif match["start"]:
            start = _point(match["start"])
            if match["end"]:
                end = _point(match["end"]) if re.search(r"\d{4}", match["end"]) else OPEN_END
                found.append(_Date(shown, start, end))
            elif int(match["short"]) > start[0] % 100:  # "2019–20"
                found.append(_Date(shown, start, (start[0] // 100 * 100 + int(match["short"]), None)))
            else:  # "2020-01" and the like: only the year is read
                found.append(_Date(match["start"], start))
        elif not (_NOT_A_DATE_AFTER.match(text, match.end()) and re.fullmatch(r"\d{4}", match["single"])):
            found.append(_Date(shown, _point(match["single"])))
    return found


def _covers(have: Point, want: Point) -> bool:
    return have[0] == want[0] and (want[1] is None or have[1] == want[1])


# --- The resume ------------------------------------------------------------------------------------------


class _Resume:
    def __init__(self, markdown: str) -> None:
        self.text = f" {_norm(markdown)} "
        # Employers and titles must appear outside the skills lists ("Google Cloud" is no employer).
        self.roles_text = f" {_norm(_without_skills(markdown))} "
        self.ranges: list[tuple[Point, Point]] = []
        self.points: list[Point] = []
        for line in markdown.splitlines():
            for date in _dates(_strip_urls(_plain(line))):
                self.points.append(date.start)
                if date.end is not None:
                    self.ranges.append((date.start, date.end))
                    if date.end != OPEN_END:
                        self.points.append(date.end)
        # Any year-like number in the resume backs a bare year in the CV (leniency on the resume's side).
        self.years = {int(year) for year in re.findall(rf"(?<!\d){_YEAR}(?!\d)", markdown)}

    def has_name(self, kind: FindingKind, text: str) -> bool:
        key = _employer_key(text) if kind == "employer" else _norm(text)
        return not key or f" {key} " in (self.text if kind == "school" else self.roles_text)

    def has_date(self, date: _Date) -> bool:
        if date.end is None:
            return any(_covers(have, date.start) for have in self.points) or (
                date.start[1] is None and date.start[0] in self.years
            )
        if date.end == OPEN_END:  # "still there" must be said by the resume for that very start
            return any(_covers(start, date.start) and end == OPEN_END for start, end in self.ranges)
        # A closed range may span several resume ranges (two roles at one employer, merged).
        return any(_covers(start, date.start) for start, _ in self.ranges) and any(
            _covers(end, date.end) for _, end in self.ranges
        )


_SKILLS = re.compile(r"\b(skills?|technologies|tools|stack|expertise|competencies|languages|interests)\b")


def _without_skills(markdown: str) -> str:
    """The resume without its skills sections. One ends at the next section heading, or at any heading
    of its level or above (a bold or all-caps section line counts as level 7)."""
    kept: list[str] = []
    skills_level: int | None = None
    for raw in markdown.splitlines():
        heading = _HEADING.match(raw)
        body = heading.group(2) if heading else raw.strip()
        level = len(heading.group(1)) if heading else 7
        line = _Line(_plain(body), heading=level if heading else 0, bold=bool(_BOLD_LEAD.match(body)))
        section = _section_of(line)
        if skills_level is not None and (section is not None or (heading and level <= skills_level)):
            skills_level = None
        if section is not None and _SKILLS.search(_norm(line.text)):
            skills_level = level
        if skills_level is None:
            kept.append(raw)
    return "\n".join(kept)


# --- Reading the CV --------------------------------------------------------------------------------------

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_BOLD_LEAD = re.compile(r"^(\*\*|__)(.+?)\1")
_LABEL = re.compile(r"^[^:|—–]{1,40}:\s")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")

_EXPERIENCE = re.compile(
    r"\b(experience|employment|work|career|positions?|professional|volunteer(ing)?|internships?|jobs?)\b"
)
_EDUCATION = re.compile(r"\b(education|academic|qualifications?|degrees?|studies|schooling)\b")
_OTHER_SECTION = re.compile(
    r"\b(skills?|summary|profile|about|projects?|publications?|certifications?|certificates?|awards?|"
    r"honou?rs|languages?|interests|hobbies|contact|references|tools|technologies|achievements|objective|"
    r"expertise|competencies|strengths|courses|training|activities|personal|overview|highlights|stack)\b"
)


@dataclass
class _Line:
    text: str  # Markdown taken off
    heading: int = 0
    item: bool = False
    bold: bool = False  # the line opens with bold text (or is a heading: equally "strong")
    label: bool = False  # "Skills: Python, Go"
    section: str = "top"  # "top" (before any section), "experience", "education" or "other"
    section_heading: bool = False
    dates: list[_Date] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)


def _strip_urls(text: str) -> str:
    return _URL.sub(" ", text)


def _plain(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links and images → their text
    text = re.sub(r"<[^>]*>", " ", text)  # raw HTML
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>])", r"\1", text)
    text = re.sub(r"\*+|(?<!\w)_+|_+(?!\w)|`+", "", text)
    return " ".join(text.split())


def _read(markdown: str) -> list[_Line]:
    lines: list[_Line] = []
    section = "top"
    fence = False
    for raw in markdown.replace("\r\n", "\n").split("\n"):
        if re.match(r"^\s{0,3}(```|~~~)", raw):
            fence = not fence
            continue
        if fence or not raw.strip():
            if not fence:
                lines.append(_Line(""))
            continue
        line = _Line("")
        body = raw.strip()
        if heading := _HEADING.match(raw):
            line.heading, body = len(heading.group(1)), heading.group(2)
        elif item := _ITEM.match(raw):
            line.item, body = True, item.group(1)
        line.bold = bool(line.heading) or bool(_BOLD_LEAD.match(body))
        line.text = _plain(body)
        line.label = bool(_LABEL.match(line.text)) and not line.heading
        kind = _section_of(line)
        if kind:
            section, line.section_heading = kind, True
        line.section = section
        without_urls = _strip_urls(line.text)
        line.dates = _dates(without_urls)
        line.segments = _segments(without_urls)
        lines.append(line)
    return lines


def _section_of(line: _Line) -> str | None:
    """The section a line opens, if it is a section heading (heading, wholly bold or all-caps line)."""
    text = line.text.rstrip(":").strip()
    if not text or line.item or len(text.split()) > 4 or _DATE.search(text) or re.search(r"[|·•—–,]", text):
        return None
    if not (line.heading or line.bold or (text.isupper() and len(text) > 3)):
        return None
    if _title_like(text, strong=True):
        return None
    key = _norm(text)
    # Education before the rest ("Education & Training"), the rest before experience ("Professional Summary").
    for name, pattern in (("education", _EDUCATION), ("other", _OTHER_SECTION), ("experience", _EXPERIENCE)):
        if pattern.search(key):
            return name
    return None


_SPLIT = re.compile(r"\s*[|·•—–;]\s*|\s+[-/@]\s+|,\s+")
_PLACEHOLDER = "\x00"


def _segments(text: str) -> list[str]:
    """The line's parts without its dates: main parts first, then what stood in brackets."""
    text = _DATE.sub(_PLACEHOLDER, text)
    inner = re.findall(r"\(([^()]*)\)", text)
    text = re.sub(r"\([^()]*\)", " ", text)
    parts: list[str] = []
    for chunk in [text, *inner]:
        for piece in _SPLIT.split(chunk):
            piece = piece.replace(_PLACEHOLDER, " ").strip(" \t,;:-–—")
            piece = " ".join(piece.split())
            if not piece:
                continue
            if parts and _norm(piece) in _LEGAL:  # "Acme, Inc."
                parts[-1] = f"{parts[-1]}, {piece}"
                continue
            at = re.match(r"^(.+?)\s+(?:at|@)\s+(\S.*)$", piece)
            if at and _title_like(at.group(1), strong=True):
                parts.extend([at.group(1), at.group(2)])
            else:
                parts.append(piece)
    return parts


# --- Names -----------------------------------------------------------------------------------------------

_TITLE_WORDS = {
    "engineer", "developer", "programmer", "architect", "manager", "director", "lead", "head", "chief",
    "officer", "president", "vp", "svp", "evp", "avp", "founder", "owner", "partner", "principal", "analyst",
    "scientist", "researcher", "designer", "consultant", "specialist", "administrator", "coordinator",
    "associate", "assistant", "intern", "trainee", "apprentice", "technician", "accountant", "auditor",
    "editor", "writer", "copywriter", "journalist", "teacher", "lecturer", "professor", "instructor", "tutor",
    "nurse", "physician", "counsel", "attorney", "lawyer", "paralegal", "recruiter", "representative",
    "advisor", "adviser", "strategist", "marketer", "producer", "planner", "supervisor", "executive", "cto",
    "ceo", "cfo", "coo", "cio", "cpo", "cmo", "ciso", "sre", "fellow", "postdoc", "operator", "agent",
    "clerk", "secretary", "pharmacist", "therapist", "economist", "statistician", "librarian", "curator",
    "translator", "photographer", "illustrator", "animator", "contractor", "freelancer", "volunteer",
    "mentor", "evangelist", "advocate", "steward", "superintendent", "foreman", "controller", "treasurer",
}  # fmt: skip
_SMALL_WORDS = {"of", "and", "&", "for", "the", "in", "to", "de", "la", "du", "des", "a", "an", "on", "at", "/"}
_LEVEL = re.compile(r"^(?:I{1,3}|IV|V|L\d{1,2}|E\d{1,2})$")
_NOT_EMPLOYERS = {
    "remote", "hybrid", "onsite", "on site", "worldwide", "freelance", "self employed", "contract",
    "full time", "part time", "various", "confidential",
}  # fmt: skip

_SCHOOL_WORDS = {
    "university", "universitat", "universitaet", "universite", "universidad", "universidade", "universita",
    "college", "institute", "institut", "instituto", "istituto", "school", "academy", "akademie",
    "polytechnic", "politecnico", "polytechnique", "hochschule", "fachhochschule", "conservatory",
    "conservatoire", "seminary", "ecole", "escuela",
}  # fmt: skip
_SCHOOL_LINKS = {"of", "the", "and", "&", "de", "di", "du", "des", "la", "le", "fur", "for", "der", "del"}
_DEGREE = re.compile(
    r"(?<![\w.])(?:B\.?\s?(?:A\.?\s?Sc|Sc|S|A|E|Eng|Ed|Com|Tech|Des|Arch|BA|FA|CS|SE)\.?|"
    r"M\.?\s?(?:A\.?\s?Sc|Sc|S|A|Eng|Ed|Phil|Res|Tech|Des|Arch|FA|PH|PA)\.?|MBA|"
    r"Ph\.?\s?D\.?|D\.?Phil|Ed\.?D|J\.?D\.?|LL\.?[BM]\.?|Bachelor(?:'s)?|Master(?:'s)?|Doctor(?:ate)?|"
    r"Diplom(?:a)?|Associate(?:'s)? (?:of|degree)|Licen[cs]e|Licenciatura|Abitur|A-?Levels?|GCSEs?|HND|BTEC)"
    r"(?![\w])"
)


def _title_like(segment: str, strong: bool = False) -> bool:
    words = segment.split()
    if not 1 <= len(words) <= 7 or not words[0][:1].isupper():
        return False
    for word in words:
        if any(c.isdigit() for c in word) and not _LEVEL.match(word):
            return False
    if not set(_norm(segment).split()) & _TITLE_WORDS:
        return False
    if strong:
        return True
    significant = [w for w in words if w.lower() not in _SMALL_WORDS]
    return all(w[0].isupper() or not w[0].isalpha() for w in significant)


def _next_line(lines: list[_Line], index: int) -> _Line | None:
    for line in lines[index + 1 :]:
        if line.text:
            return line
    return None


def _names(lines: list[_Line], index: int) -> list[tuple[FindingKind, str]]:
    line = lines[index]
    if not line.text or line.label or line.section_heading:
        return []
    names: list[tuple[FindingKind, str]] = []
    if line.section == "education":
        names.extend(("school", school) for school in _schools(line, in_education=True))
        return names
    names.extend(("school", school) for school in _schools(line, in_education=False))
    if line.section == "other":
        return names
    return names + _roles(lines, index)


def _roles(lines: list[_Line], index: int) -> list[tuple[FindingKind, str]]:
    line = lines[index]
    segments = line.segments
    if not segments:
        return []
    prose = len(line.text.split()) > 20 or (line.text.endswith(".") and len(line.text.split()) > 8)
    if prose or (line.item and not (line.dates or line.bold)):
        return []
    titles = [segment for segment in segments if _title_like(segment, line.bold)]
    names: list[tuple[FindingKind, str]] = []
    if line.section == "top" and not (titles and line.dates and len(segments) > len(titles)):
        return []  # before any section heading only a full role line counts: title, employer and date
    if titles:
        names.extend(("title", title) for title in titles)
        employer = None
        if segments[0] in titles and len(segments) > 1 and segments[1] not in titles:
            employer = segments[1]
        elif len(segments) > 1 and segments[1] in titles and segments[0] not in titles:
            employer = segments[0]
        if employer and _employer_like(employer):
            names.append(("employer", employer))
        return names
    if line.section != "experience":
        return []
    previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].text), None)
    after_title_only = (
        previous is not None
        and not previous.item
        and previous.segments
        and all(_title_like(s, previous.bold) for s in previous.segments)
    )
    following = _next_line(lines, index)
    title_follows = following is not None and any(_title_like(s, following.bold) for s in following.segments)
    if (
        (after_title_only and not line.item) or ((line.heading or line.bold) and (line.dates or title_follows))
    ) and _employer_like(segments[0]):
        names.append(("employer", segments[0]))
    return names


def _employer_like(segment: str) -> bool:
    return (
        bool(segment)
        and not segment[0].islower()
        and len(segment.split()) <= 8
        and _norm(segment) not in _NOT_EMPLOYERS
        and not _DEGREE.search(segment)
    )


def _schools(line: _Line, in_education: bool) -> list[str]:
    degree = bool(_DEGREE.search(line.text))
    if not in_education and not degree:
        return []
    found = [name for segment in line.segments if (name := _school_name(segment))]
    if found or not in_education:
        return found
    if degree or line.bold:
        for segment in line.segments:
            if not _DEGREE.search(segment) and segment[0].isupper() and not _title_like(segment):
                return [segment]
    return []


def _school_name(segment: str) -> str | None:
    """The capitalised run of words around a school word: "Technische Universität München"."""
    words = segment.split()
    keys = [_norm(word) for word in words]
    at = next((i for i, key in enumerate(keys) if key in _SCHOOL_WORDS), None)
    if at is None:
        return None

    def part_of_name(i: int) -> bool:
        word = words[i]
        if _DEGREE.fullmatch(word.strip(",")):
            return False
        return word[:1].isupper() or keys[i] in _SCHOOL_LINKS

    start = at
    while start > 0 and part_of_name(start - 1):
        start -= 1
    end = at + 1
    while end < len(words) and part_of_name(end):
        end += 1
    while start < at and keys[start] in _SCHOOL_LINKS:
        start += 1
    while end > at + 1 and keys[end - 1] in _SCHOOL_LINKS:
        end -= 1
    return " ".join(words[start:end])
