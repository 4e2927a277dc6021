"""core/batch.py: the cyclic collector off for a batch, a pass per item, workers with theirs."""

from __future__ import annotations

import gc
import weakref

from pda_excel.core.batch import batch_gc
from pda_excel.round.isolation import run_contained


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def _collector_on(_task: object) -> bool:
    return gc.isenabled()


def test_off_inside_and_as_it_was_after() -> None:
    assert gc.isenabled()
    before = Node()
    with batch_gc():
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0  # `before` and everything else that existed
        assert not any(o is before for o in gc.get_objects())
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert any(o is before for o in gc.get_objects())
    gc.disable()
    try:
        with batch_gc():
            pass
        assert not gc.isenabled()  # left off, as it was
    finally:
        gc.enable()


def test_the_pass_per_item_frees_the_items_cycles() -> None:
    with batch_gc() as item_done:
        node = Node()
        gone = weakref.ref(node)
        del node
        for _ in range(5000):  # allocations that would start young passes if the collector ran
            Node()
        assert gone() is not None  # off: the cycle waits
        item_done()
        assert gone() is None


def test_a_worker_forked_inside_collects_its_garbage() -> None:
    with batch_gc():
        assert run_contained(_collector_on, [1, 2], jobs=2) == [True, True]


def test_batches_that_overlap_restore_the_collector_when_the_last_ends() -> None:
    """Two batches in two threads of one server, the first ending first: the collector stays
    off until the second ends, then is on again (not left off by the second's own record)."""
    first, second = batch_gc(), batch_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled() and gc.get_freeze_count() > 0
    second.__exit__(None, None, None)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_what_the_batch_keeps_leaves_the_young_generations_when_it_ends() -> None:
    """Survivors go to the oldest generation (the young passes after a batch would walk all
    of them again); a cycle the batch dropped is still freed by a full pass."""
    with batch_gc():
        kept = [Node() for _ in range(1000)]
        dropped = Node()
        gone = weakref.ref(dropped)
        del dropped
    young = {id(o) for o in gc.get_objects(generation=0)} | {
        id(o) for o in gc.get_objects(generation=1)
    }
    assert not any(id(n) in young for n in kept)
    assert any(o is kept[0] for o in gc.get_objects(generation=2))
    assert gone() is not None
    gc.collect()
    assert gone() is None
