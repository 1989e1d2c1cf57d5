"""API limits the fake AWS enforces like AWS does: user data over 16 KB, a role's maximum session outside IAM's range.

"User data is limited to 16 KB, in raw form, before it is base64-encoded" (EC2 User Guide, "Work with instance
user data"). CreateLaunchTemplate(Version) and RunInstances refuse more with "InvalidUserData.Malformed: User
data is limited to 16384 bytes" (seen in terraform-aws-github-runner#3700; terraform-provider-aws PR #49234
checks the base64-decoded length). The launch template's ``userData`` and an instance's ``userDataBase64`` are
base64; an instance's ``userData`` is the text itself (the provider encodes it).
"""

from __future__ import annotations

import base64
import binascii

USER_DATA_LIMIT = 16_384
# type -> (input, is it base64?)
_USER_DATA_INPUTS = {
    "aws:ec2/launchTemplate:LaunchTemplate": (("userData", True),),
    "aws:ec2/instance:Instance": (("userData", False), ("userDataBase64", True)),
}


class InvalidUserData(Exception):
    """What EC2 answers for user data it cannot take."""


def user_data_size(value: str, is_base64: bool) -> int:
    if not is_base64:
        return len(value.encode())
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise InvalidUserData(f"InvalidUserData.Malformed: user data is not valid base64 ({exc})") from exc


def checked_user_data(type_token: str, handler):
    """Wraps a fake resource handler with EC2's user-data size check."""
    inputs_to_check = _USER_DATA_INPUTS[type_token]

    def check(fake, name: str, inputs: dict):
        for key, is_base64 in inputs_to_check:
            value = inputs.get(key)
            if isinstance(value, str) and value:
                size = user_data_size(value, is_base64)
                if size > USER_DATA_LIMIT:
                    raise InvalidUserData(f"InvalidUserData.Malformed: User data is limited to {USER_DATA_LIMIT} "
                                          f"bytes ({name!r} has {size:,} bytes before base64)")
        return handler(fake, name, inputs)
    return check


# "MaxSessionDuration: Minimum value of 3600. Maximum value of 43200." (IAM API reference, CreateRole)
MAX_SESSION_SECONDS = (3_600, 43_200)


class IamValidationError(Exception):
    """What IAM answers for a parameter outside its range."""


def check_max_session_duration(name: str, inputs: dict) -> None:
    duration = inputs.get("maxSessionDuration")
    low, high = MAX_SESSION_SECONDS
    if duration is not None and not low <= int(duration) <= high:
        raise IamValidationError(f"ValidationError: 1 validation error detected: Value '{duration}' at "
                                 f"'maxSessionDuration' ({name!r}) failed to satisfy constraint: Member must have "
                                 f"value between {low} and {high}")
