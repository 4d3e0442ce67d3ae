"""``PriceLadder``: lowest key first, first in first out within a key, prefix by bisection."""

from __future__ import annotations

from oms.venue.ladder import PriceLadder


def filled(entries: list[tuple[int, int]]) -> PriceLadder[int]:
    ladder: PriceLadder[int] = PriceLadder()
    for key, item in entries:
        ladder.add(key, item, item)
    return ladder


def test_through_yields_keys_up_to_the_limit_lowest_first_then_in_arrival_order():
    ladder = filled([(5, 1), (3, 2), (5, 3), (9, 4), (3, 5)])
    assert list(ladder.through(5)) == [2, 5, 1, 3]
    assert list(ladder.through(2)) == []
    assert list(ladder.through(100)) == [2, 5, 1, 3, 4]


def test_removing_the_last_item_of_a_key_drops_the_key():
    ladder = filled([(5, 1), (3, 2)])
    ladder.remove(3, 2)
    assert list(ladder.through(4)) == []
    assert list(ladder.through(5)) == [1]
    ladder.remove(5, 1)
    assert not ladder


def test_items_may_be_removed_while_iterating():
    ladder = filled([(1, 1), (1, 2), (2, 3)])
    seen = []
    for item in ladder.through(2):
        seen.append(item)
        ladder.remove(1 if item < 3 else 2, item)
    assert seen == [1, 2, 3]
    assert not ladder


def test_a_re_added_item_goes_to_the_back_of_its_key():
    ladder = filled([(1, 1), (1, 2)])
    ladder.remove(1, 1)
    ladder.add(1, 1, 1)
    assert list(ladder.through(1)) == [2, 1]
