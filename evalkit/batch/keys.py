"""Incremental runs: the key that says whether a report is out of date.

A report is re-rendered only when its key differs from the one recorded for it in
``manifest.json`` (or its file is missing or no longer has the recorded sha256, or its
last attempt failed). The key is the sha256 of a JSON object holding exactly:

* ``kind`` and the report's notebook ``parameters`` other than the campaign path
  (``pilot_id``, ``district`` or ``std_code``) — which report it is;
* ``notebook``: the sha256 of the report notebook file (``null`` for the index page);
* ``inputs``: the sha256 of every input file of the campaign — the campaign file, the
  scheme, the questionnaire and every data table — because every page compares with the
  whole campaign (city means, ranks, entropy weights);
* ``evalkit``: the evalkit version and
  :func:`~evalkit.report.provenance.code_fingerprint` (a digest of evalkit's own code,
  templates and stylesheet), so a code change re-renders everything;
* ``packages``: Python's and the key packages' versions
  (:func:`~evalkit.report.provenance.package_versions`).

Not covered: where the campaign file or the report directory is (moving them does not
make reports stale), the time, and anything else outside these files — e.g. a different
system font for the HTML text, which the page leaves to the reader's browser anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from evalkit.report.provenance import code_fingerprint, evalkit_version, package_versions


def job_key(kind: str, parameters: Mapping[str, str], notebook_sha256: str | None,
            inputs: Mapping[str, str]) -> str:
    """The key of one report (see the module docstring for exactly what it covers).

    Parameters
    ----------
    kind : {"pilot", "district", "standard", "index"}
    parameters : mapping
        The report's own parameters, without the campaign path.
    notebook_sha256 : str or None
        sha256 of the report notebook; None for the index page.
    inputs : mapping
        sha256 of every campaign input file by role (:meth:`Campaign.input_hashes`).
    """
    facts = {
        "kind": kind,
        "parameters": dict(parameters),
        "notebook": notebook_sha256,
        "inputs": dict(inputs),
        "evalkit": {"version": evalkit_version(), "code": code_fingerprint()},
        "packages": package_versions(),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
