"""tools/certificates_due.py: the early-renewal rule of pulumi-tls, read from exported states."""

from __future__ import annotations

import datetime
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("certificates_due", ROOT / "tools" / "certificates_due.py")
due = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(due)

NODE = "tls:index/locallySignedCert:LocallySignedCert"
NOW = datetime.datetime.now(datetime.UTC)


def cert(name: str, ends_in: datetime.timedelta, early_hours: int | None = 1440, **outputs) -> dict:
    inputs = {"validityPeriodHours": 17520} | ({"earlyRenewalHours": early_hours} if early_hours is not None else {})
    return {"urn": f"urn:pulumi:prod::rustfs-aws::tls:index/locallySignedCert:LocallySignedCert::{name}",
            "type": NODE, "inputs": inputs, "outputs": {"validityEndTime": (NOW + ends_in).isoformat(), **outputs}}


def state(*resources: dict) -> dict:
    return {"version": 3, "deployment": {"resources": list(resources)}}


@pytest.mark.parametrize(("ends_in", "early", "is_due"), [
    (datetime.timedelta(days=61), 1440, False),
    (datetime.timedelta(days=59), 1440, True),  # inside the 60-day window
    (datetime.timedelta(days=-1), 1440, True),  # expired
    (datetime.timedelta(days=1), None, False),  # no early renewal: due only at expiry
    (datetime.timedelta(days=-1), None, True),
])
def test_due_from_the_end_of_validity_minus_the_early_renewal_hours(ends_in, early, is_due):
    [found] = due.certificates(state(cert("c", ends_in, early)))
    assert found["due"] is is_due


def test_ready_for_renewal_in_a_refreshed_state_counts_and_deleted_resources_do_not():
    found = due.certificates(state(cert("a", datetime.timedelta(days=400), readyForRenewal=True),
                                   {**cert("b", datetime.timedelta(days=1)), "delete": True}))
    assert [(c["urn"].rsplit("::", 1)[-1], c["due"]) for c in found] == [("a", True)]


def test_offsets_and_nanoseconds_of_the_providers_timestamps_are_read():
    resource = cert("c", datetime.timedelta(days=400))
    resource["outputs"]["validityEndTime"] = "2027-03-01T12:00:00.123456789+02:00"  # Go time.MarshalText
    [found] = due.certificates(state(resource))
    assert found["renewFrom"] == "2026-12-31T10:00:00.123456+00:00"


def test_a_document_that_is_not_an_export_or_lacks_the_end_time_is_an_error():
    with pytest.raises(due.StateError):
        due.certificates({"resources": []})
    broken = cert("c", datetime.timedelta(days=1))
    del broken["outputs"]["validityEndTime"]
    with pytest.raises(due.StateError, match="no validityEndTime"):
        due.certificates(state(broken))


def test_main_prints_due_stacks_and_urns_and_fails_on_an_unreadable_state(monkeypatch, capsys):
    states = {"dev": state(cert("d", datetime.timedelta(days=400))), "prod": state(cert("p", datetime.timedelta(1)))}
    monkeypatch.setattr(due, "export", lambda stack: states[stack])
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert due.main(["dev", "prod"]) == 0
    assert json.loads(capsys.readouterr().out) == ["prod"]
    assert due.main(["--urns", "prod"]) == 0
    assert capsys.readouterr().out.strip().endswith("::p")

    def broken(stack):
        raise due.StateError("pulumi stack export --stack prod failed: no such stack")

    monkeypatch.setattr(due, "export", broken)
    assert due.main(["prod"]) == 1
    assert "no such stack" in capsys.readouterr().err


def test_a_due_ca_is_reported_but_never_targeted(monkeypatch, capsys):
    ca = {**cert("ca", datetime.timedelta(days=-1), None), "type": due.CA_CERTIFICATE}
    monkeypatch.setattr(due, "export", lambda stack: state(ca, cert("n", datetime.timedelta(days=400))))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert due.main(["prod"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == [] and "the CA" in out.err and "coordinated restart" in out.err
    assert due.main(["--urns", "prod"]) == 0
    assert capsys.readouterr().out.strip() == ""
