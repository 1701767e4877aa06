"""Document utilities: resume import (PDF, DOCX, Markdown, text → Markdown), downloads of generated
documents (Markdown → PDF, DOCX, .md) and the fabrication check of generated CVs against the resume.

Pure functions over bytes and strings, free of Reflex and of the database, so that pages, task kinds and
the API can all call them. Failures a person can fix raise ValueError with a message meant for them.
"""

from jobapp.documents.export import to_docx, to_markdown_file, to_pdf
from jobapp.documents.factcheck import Finding, FindingKind, check_cv
from jobapp.documents.importer import MAX_IMPORT_BYTES, import_resume

__all__ = [
    "MAX_IMPORT_BYTES",
    "Finding",
    "FindingKind",
    "check_cv",
    "import_resume",
    "to_docx",
    "to_markdown_file",
    "to_pdf",
]
