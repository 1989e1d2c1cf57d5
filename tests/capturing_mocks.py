"""A component under test alone: the fake AWS that also keeps what each resource was declared with."""

import pulumi
import pytest

from preflight.fake_aws import FakeAws


class CapturingFakeAws(FakeAws):
    def __init__(self, region: str = "us-east-1"):
        super().__init__(region)
        self.inputs: dict[str, dict] = {}  # resource name -> its inputs
        self.types: list[str] = []  # resource types, in registration order
        self.recorded: list[tuple[str, str, dict]] = []  # (type, name, inputs), in registration order

    def new_resource(self, args):
        self.inputs[args.name] = dict(args.inputs)
        self.types.append(args.typ)
        self.recorded.append((args.typ, args.name, dict(args.inputs)))
        return super().new_resource(args)


@pytest.fixture
def capture() -> CapturingFakeAws:
    mocks = CapturingFakeAws()
    pulumi.runtime.set_mocks(mocks, project="rustfs-aws", stack="dev", preview=False)
    return mocks


@pytest.fixture
def program_monitors(monkeypatch) -> list:
    """Every recording monitor the program runs of this test create, to see what got declared before a failure."""
    from preflight import runner

    monitors = []

    class Capturing(runner.RecordingMonitor):
        def __init__(self, mocks, on_record=None):
            super().__init__(mocks, on_record)
            monitors.append(self)

    monkeypatch.setattr(runner, "RecordingMonitor", Capturing)
    return monitors
