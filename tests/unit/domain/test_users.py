"""Users: names, roles and what each may see. (``erpsync.domain.users``)"""

from __future__ import annotations

import pytest

from erpsync.domain.users import Role, User, valid_user_name
from erpsync.errors import InvalidUserError


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Mario.Rossi", "mario.rossi"), ("  agente ", "agente"), ("a1", "a1"), ("x_y-z", "x_y-z")],
)
def test_user_names_are_normalised(name: str, expected: str) -> None:
    assert valid_user_name(name) == expected


@pytest.mark.parametrize("name", ["", "a", "-abc", "mario rossi", "maría", "a" * 65, "x/y"])
def test_bad_user_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidUserError):
        valid_user_name(name)


def test_an_agent_sees_their_agent_code_an_admin_everything() -> None:
    assert User(1, "anna", Role.AGENT, "A01").agent_scope == "A01"
    assert User(2, "capo", Role.ADMIN, "A01").agent_scope is None
    assert User(3, "capo", Role.ADMIN).is_admin


def test_an_agent_without_an_agent_code_sees_nothing_rather_than_everything() -> None:
    assert User(4, "nuovo", Role.AGENT).agent_scope == ""
