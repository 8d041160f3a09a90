"""A missing authentication answers "conditions of use not satisfied" (6985), the status word the
vendor's OS uses for every refusal, instead of "security status not satisfied" (6982): a terminal
that reacts to 6982 by authenticating never does."""

from __future__ import annotations

from ._base import RewritingCard


class AuthMissingAs6985(RewritingCard):
    mutant_name = "auth-missing-6985"
    description = "answers 6985 instead of 6982 when a file's access condition is not satisfied"
    defect_class = "status word family"
    catches = ("CARD-FILE-005", "CARD-FILE-010", "CARD-APDU-011")

    def rewrite(self, apdu: bytes, response: bytes) -> bytes:
        return response[:-2] + b"\x69\x85" if response[-2:] == b"\x69\x82" else response


MUTANT = AuthMissingAs6985
