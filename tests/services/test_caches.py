"""The per-process caches keep a bound: a web worker or Celery process that serves many
complaints and outlives many deploys holds the recent ones, not everything it ever read."""

from __future__ import annotations

from services import engine, processes
from services.recent import Recent
from tests import journeys as j


def _workflows(count: int) -> list[tuple[tuple[int, str], object, int]]:
    """(cache key, workflow, saved state's size) of `count` complaints filed just now."""
    found = []
    for n in range(count):
        instance = j.file(email=f"cached{n}@example.org").instance
        wf = engine.load_workflow(processes.specs_of(instance.process_version), instance.state)
        found.append(((instance.id, instance.version_token), wf, len(instance.state)))
    return found


def test_the_workflow_cache_keeps_the_latest_within_its_budget(app_context):
    saved = _workflows(4)
    largest = max(size for _key, _wf, size in saved)
    cache = engine.WorkflowCache(size=10, budget=2 * largest + largest // 2)
    for key, wf, size in saved:
        cache.put(key, wf, size)
    assert len(cache) == 2  # two states fit in the budget: the two kept last
    assert [cache.take(key) is wf for key, wf, _size in saved] == [False, False, True, True]
    assert len(cache) == 0
    # Taken out, they no longer count: two more fit again.
    for key, wf, size in saved[:2]:
        cache.put(key, wf, size)
    assert [cache.take(key) is wf for key, wf, _size in saved[:2]] == [True, True]


def test_the_workflow_cache_keeps_at_most_its_size(app_context):
    saved = _workflows(3)
    cache = engine.WorkflowCache(size=2)
    for key, wf, size in saved:
        cache.put(key, wf, size)
    assert [cache.take(key) is wf for key, wf, _size in saved] == [False, True, True]
    # A workflow larger than the whole budget is not kept at all.
    key, wf, size = saved[0]
    cache = engine.WorkflowCache(budget=size - 1)
    cache.put(key, wf, size)
    assert cache.take(key) is None


def test_recent_keeps_the_entries_used_last():
    recent: Recent[str, int] = Recent(2)
    recent["a"], recent["b"] = 1, 2
    assert recent.get("a") == 1  # now the most recent
    recent["c"] = 3
    assert (recent.get("a"), recent.get("b"), recent.get("c"), len(recent)) == (1, None, 3, 2)
    recent.clear()
    assert recent.get("a") is None and "c" not in recent
