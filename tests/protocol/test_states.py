"""The state tables, walked: every listed step moves as written, every other one raises."""

from __future__ import annotations

import itertools

import pytest

from twisted_wsgi_lab.engine.states import (
    CONNECTION_TRANSITIONS,
    RESPONSE_TRANSITIONS,
    ConnectionState,
    ResponseState,
    ResponseStateError,
    advance,
)

RESPONSE_ACTIONS = sorted({action for _, action in RESPONSE_TRANSITIONS})
CONNECTION_ACTIONS = sorted({action for _, action in CONNECTION_TRANSITIONS})


@pytest.mark.parametrize(
    ("table", "states", "actions"),
    [
        (RESPONSE_TRANSITIONS, list(ResponseState), RESPONSE_ACTIONS),
        (CONNECTION_TRANSITIONS, list(ConnectionState), CONNECTION_ACTIONS),
    ],
    ids=["response", "connection"],
)
def test_every_pair_moves_as_the_table_says_or_raises(table, states, actions):
    for state, action in itertools.product(states, actions):
        if (state, action) in table:
            assert advance(table, state, action) is table[state, action]
        else:
            with pytest.raises(ResponseStateError, match=action):
                advance(table, state, action)


def test_a_finished_response_takes_no_more_bytes():
    assert (ResponseState.DONE, "write") not in RESPONSE_TRANSITIONS
    assert (ResponseState.DONE, "start") not in RESPONSE_TRANSITIONS


def test_a_closed_connection_never_comes_back():
    leaving_closed = [a for (s, a) in CONNECTION_TRANSITIONS if s is ConnectionState.CLOSED]
    assert leaving_closed == ["lost"]
    assert CONNECTION_TRANSITIONS[ConnectionState.CLOSED, "lost"] is ConnectionState.CLOSED


def test_every_state_can_be_reached_from_the_first():
    for table, first in (
        (RESPONSE_TRANSITIONS, ResponseState.IDLE),
        (CONNECTION_TRANSITIONS, ConnectionState.OPEN),
    ):
        seen = {first}
        frontier = [first]
        while frontier:
            state = frontier.pop()
            for (source, _), target in table.items():
                if source is state and target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert seen == set(type(first))
