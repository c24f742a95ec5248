"""Agency returns: scoping replies, IMRs, chronologies, short reports and action-plan progress.

- kinds.py: the kinds of return, their deadline keys and request letters;
- access.py: who may see and act on which request (agency users: their own agency only);
- service.py: request, acknowledge, submit (a new version), sign off, accept, ask for changes,
  withdraw, chase; each one transaction with an audit event on the case;
- attachments.py: Word and PDF files checked on content, stored by SHA-256;
- chronology.py / chronology_input.py: structured chronology entries from a form, pasted text,
  CSV or XLSX, all rows or none;
- merged.py / export.py: the chair's merged multi-agency chronology and its Word and CSV export;
- compare.py: what changed between two versions.
"""
