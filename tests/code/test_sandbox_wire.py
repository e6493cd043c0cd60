"""Tagged plain data (wire.py) and message framing (protocol.py): exact, strict, bounded."""

from __future__ import annotations

import math
from collections import Counter, OrderedDict, namedtuple
from decimal import Decimal
from fractions import Fraction

import pytest

from score_envs.code.sandbox import protocol, wire


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(2**200),
        1.5,
        -0.0,
        math.inf,
        complex(1, -2),
        "",
        "h\u00e9llo \ud800",  # a lone surrogate survives
        b"\x00\xff",
        [1, [2, (3, {4: "x"})]],
        {"a": {1, 2}, (1, 2): frozenset({"z"})},
        Fraction(1, 3),
        Decimal("1.50"),
    ],
)
def test_plain_values_round_trip_exactly(value):
    back = wire.decode(protocol.parse_single_message(protocol.dumps(wire.encode(value))))
    assert back == value
    assert type(back) is type(value)


def test_nan_round_trips_as_nan():
    assert math.isnan(wire.decode(wire.encode(math.nan)))


def test_bool_and_int_keep_their_types():
    assert wire.decode(wire.encode([True, 1])) == [True, 1]
    assert [type(x) for x in wire.decode(wire.encode([True, 1]))] == [bool, int]


def test_subclasses_arrive_as_their_base_type_without_their_methods():
    class Rigged(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    pair = namedtuple("Pair", "a b")
    back = wire.decode(wire.encode([Rigged(5), pair(1, 2), Counter("aab"), OrderedDict(x=1)]))
    assert back == [5, (1, 2), {"a": 2, "b": 1}, {"x": 1}]
    assert [type(x) for x in back] == [int, tuple, dict, dict]
    assert back[0] != 6


def test_rigged_iteration_of_a_list_subclass_is_not_used():
    class Rigged(list):
        def __iter__(self):
            return iter([99])

    assert wire.decode(wire.encode(Rigged([1, 2]))) == [1, 2]


def test_generator_arrives_consumed_and_equal_to_nothing():
    back = wire.decode(wire.encode(i * i for i in range(3)))
    assert isinstance(back, wire.ConsumedIterable)
    assert list(back) == [0, 1, 4]
    assert back != [0, 1, 4]


def test_unknown_object_is_opaque_equal_to_nothing_and_has_no_truth_value():
    class Thing:
        def __eq__(self, other):
            return True

    back = wire.decode(wire.encode(Thing()))
    assert isinstance(back, wire.Opaque)
    assert back != back.text
    with pytest.raises(TypeError):
        bool(back)


def test_cycles_and_too_deep_nesting_are_refused():
    loop: list = []
    loop.append(loop)
    with pytest.raises(wire.TooLarge):
        wire.encode(loop)


def test_too_many_values_are_refused():
    with pytest.raises(wire.TooLarge):
        wire.Encoder(max_nodes=100).encode(list(range(200)))


def test_huge_int_is_refused():
    with pytest.raises(wire.TooLarge):
        wire.encode(1 << 200_000)


@pytest.mark.parametrize(
    "tree",
    [
        ["i", "0x1f"],
        ["i", 5],
        ["f", "one"],
        ["b", 1],
        ["s", 5],
        ["l", "abc"],
        ["S", [["l", []]]],  # unhashable set item
        ["d", [[["l", []], ["n"]]]],  # unhashable key
        ["d", [["s", "a"]]],
        ["q", ["i", "1"], ["i", "0"]],
        ["zz"],
        "n",
        [],
        ["n", 1],
    ],
)
def test_malformed_trees_are_rejected(tree):
    with pytest.raises(wire.WireError):
        wire.decode(tree)


def test_deeply_nested_tree_is_rejected():
    tree: list = ["n"]
    for _ in range(wire.MAX_DEPTH + 5):
        tree = ["l", [tree]]
    with pytest.raises(wire.WireError):
        wire.decode(tree)


def test_framing_rejects_truncated_and_trailing_bytes():
    frame = protocol.dumps({"a": 1})
    with pytest.raises(protocol.ProtocolError, match="truncated"):
        protocol.parse_single_message(frame[:-1])
    with pytest.raises(protocol.ProtocolError, match="unexpected bytes"):
        protocol.parse_single_message(frame + frame)
    with pytest.raises(protocol.ProtocolError, match="no message"):
        protocol.parse_single_message(b"")


def test_framing_rejects_invalid_json():
    body = b"{not json"
    with pytest.raises(protocol.ProtocolError, match="malformed"):
        protocol.parse_single_message(len(body).to_bytes(4, "big") + body)


def test_jobs_round_trip_as_marshal_data_and_bad_ones_are_refused():
    import os

    code = compile("f(1)", "<test>", "eval")
    job = {"program": "x = 1\n", "probes": [code], "limits": {"cpu_time_s": 3}, "stages": 0}
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, protocol.dumps_job(job))
        assert protocol.read_job(read_end, 1 << 20) == job
        os.write(write_end, len(b"\x00junk").to_bytes(4, "big") + b"\x00junk")
        with pytest.raises(protocol.ProtocolError, match="malformed job"):
            protocol.read_job(read_end, 1 << 20)
        os.write(write_end, protocol.dumps_job(job))
        with pytest.raises(protocol.ProtocolError, match="exceeds the limit"):
            protocol.read_job(read_end, 10)
    finally:
        os.close(read_end)
        os.close(write_end)
