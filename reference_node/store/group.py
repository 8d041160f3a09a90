"""Group commit: many callers' small write transactions share one commit (one fsync).

A caller hands over a unit of work (a function of a cursor) and waits on its own future; the
committer thread takes every unit that arrived while the previous commit was on its way to the
disk, runs them one after the other in ONE transaction, commits, and only then resolves the futures.
So "acknowledged = durable" holds exactly as with one transaction per call, and under load one
fsync serves a whole batch (usage reports, dynamic-code decrements).

Contract of a unit: it may raise ``EhcError`` only before it has written anything (the error is
that caller's answer; the batch goes on). Any other exception (a constraint, a lost connection)
aborts the transaction: the batch is rolled back and each unit is retried in its own transaction,
so one bad unit cannot fail the others.

When the committer is idle (nothing queued, no transaction in progress) a caller runs its unit
itself, in its own transaction on its own thread: no hand-over to the committer thread and back
(issue #14: ~35 µs of CPU per dynamic-code verification, two thread switches). Whoever holds the
store meanwhile (that caller or the committer) makes the others queue, so under load one commit
still serves a whole batch.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import nullcontext
from typing import Any, TypeVar

from ehc.errors import EhcError
from reference_node.errors import STORE_ERROR
from reference_node.observability import log
from reference_node.store.db import Cursor, Database

LOG = logging.getLogger("reference_node")
T = TypeVar("T")
Work = Callable[[Cursor], Any]


class _Unit:
    __slots__ = ("work", "durable", "future")

    def __init__(self, work: Work, durable: bool) -> None:
        self.work = work
        self.durable = durable
        self.future: Future = Future()


class GroupCommitter:
    """One committer thread per node process and database."""

    def __init__(self, db: Database, max_batch: int = 512, name: str = "group-commit") -> None:
        self._db = db
        self._max = max_batch
        self._queue: deque[_Unit] = deque()
        self._wake = threading.Condition(threading.Lock())
        self._stopped = False
        self._busy = False  # a transaction of this committer is in progress (its thread or a caller's)
        self.batches = 0  # commits made (tests and the benchmark read batches vs units)
        self.units = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def run(self, work: Callable[[Cursor], T], *, durable: bool = True, timeout_ms: int | None = None) -> T:
        """Run ``work`` in a shared transaction; return its result once that transaction has
        committed (durably unless ``durable`` is False: then a power loss may lose it, a process
        crash may not). Waits at most ``timeout_ms`` (default: the store's request wait) plus the
        commit; past it the caller gets NODE_STORE_ERROR and a unit not yet started is dropped."""
        with self._wake:
            if self._stopped:
                raise EhcError(STORE_ERROR, "the node is shutting down")
            inline = not self._busy and not self._queue
            if inline:
                self._busy = True
            else:
                unit = _Unit(work, durable)
                self._queue.append(unit)
                self._wake.notify()
        if inline:
            return self._run_inline(work, durable, timeout_ms)
        wait = (timeout_ms if timeout_ms is not None else self._db._wait_ms()) / 1000.0
        try:
            return unit.future.result(timeout=wait)
        except FutureTimeout:
            # cancel() succeeds only if the committer has not taken the unit yet; once taken, its
            # outcome is the commit's: wait for it (bounded by the committer's own lock wait)
            if unit.future.cancel():
                raise EhcError(STORE_ERROR, "the store is busy (group commit queue)") from None
            return unit.future.result()

    def _run_inline(self, work: Callable[[Cursor], T], durable: bool, timeout_ms: int | None) -> T:
        """One unit in the caller's thread and transaction (the committer was idle); the same
        outcomes as ``_commit_one``: the unit's EhcError, or NODE_STORE_ERROR. A lock is waited
        for at most ``timeout_ms`` (default: this thread's request wait)."""
        try:
            budget = self._db.wait_budget(timeout_ms) if timeout_ms is not None else nullcontext()
            with budget, self._db.transaction(relaxed=not durable) as cur:
                value = work(cur)
            self.batches += 1
            self.units += 1
            return value
        except EhcError:
            raise
        except Exception as exc:  # noqa: BLE001 - as a batch's unit would: a store error
            raise _as_store_error(exc) from exc
        finally:
            with self._wake:
                self._busy = False
                if self._queue or self._stopped:
                    self._wake.notify_all()  # what queued meanwhile is the committer's

    def _take(self) -> list[_Unit] | None:
        with self._wake:
            while (not self._queue or self._busy) and not self._stopped:
                self._wake.wait()
            while self._busy:  # stopping: let a caller's transaction end first
                self._wake.wait()
            if not self._queue:
                return None
            self._busy = True
            batch: list[_Unit] = []
            while self._queue and len(batch) < self._max:
                batch.append(self._queue.popleft())
        return [u for u in batch if u.future.set_running_or_notify_cancel()]

    def _run(self) -> None:
        # the committer waits for a lock as long as a request would (not the background 30 s):
        # its callers are waiting for it
        while True:
            batch = self._take()
            if batch is None:
                return
            try:
                if batch:
                    self._commit(batch)
            finally:
                with self._wake:
                    self._busy = False

    def _commit(self, batch: list[_Unit]) -> None:
        durable = any(u.durable for u in batch)
        results: list[tuple[bool, Any]] = []
        try:
            with self._db.transaction(relaxed=not durable) as cur:
                for u in batch:
                    try:
                        results.append((True, u.work(cur)))
                    except EhcError as err:
                        results.append((False, err))
        except Exception as exc:  # noqa: BLE001 - the batch failed as a whole: isolate the culprit
            if len(batch) == 1 or _unavailable(exc):
                # a locked or unreachable store fails every unit alike: no retry one by one
                for u in batch:
                    u.future.set_exception(_as_store_error(exc))
                return
            log(LOG, logging.WARNING, "group commit failed; retrying units one by one",
                error=type(exc).__name__, units=len(batch))  # fmt: skip
            for u in batch:
                self._commit_one(u)
            return
        # committed: only now is any unit's result an acknowledgement
        self.batches += 1
        self.units += len(batch)
        for u, (ok, value) in zip(batch, results, strict=True):
            if ok:
                u.future.set_result(value)
            else:
                u.future.set_exception(value)

    def _commit_one(self, u: _Unit) -> None:
        try:
            with self._db.transaction(relaxed=not u.durable) as cur:
                try:
                    value = u.work(cur)
                except EhcError as err:
                    value = err
            self.batches += 1
            self.units += 1
        except Exception as exc:  # noqa: BLE001
            u.future.set_exception(_as_store_error(exc))
            return
        if isinstance(value, EhcError):
            u.future.set_exception(value)
        else:
            u.future.set_result(value)

    def close(self) -> None:
        """Commit what is queued, then stop the thread (after a caller's own transaction ends)."""
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        self._thread.join(timeout=30)


def _unavailable(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, EhcError) else exc
    if cause is None:
        return isinstance(exc, EhcError)
    if isinstance(cause, sqlite3.OperationalError):
        return True
    try:
        import psycopg

        return isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError)
    except ImportError:  # pragma: no cover
        return False


def _as_store_error(exc: BaseException) -> BaseException:
    if isinstance(exc, EhcError):
        return exc
    err = EhcError(STORE_ERROR, type(exc).__name__)
    err.__cause__ = exc
    return err


_ATTACH = threading.Lock()


def committer_of(node: Any) -> GroupCommitter:
    """The node's group committer, created on first use (attached to the node object, so every
    service of one process shares it). Stopped by ``close_committer`` or at process exit: a daemon
    thread with an empty queue holds nothing that is not committed."""
    gc = node.__dict__.get("_group_committer")
    if gc is None:
        with _ATTACH:
            gc = node.__dict__.get("_group_committer")
            if gc is None:
                gc = node.__dict__["_group_committer"] = GroupCommitter(node.db)
    return gc


def close_committer(node: Any) -> None:
    gc = node.__dict__.pop("_group_committer", None)
    if gc is not None:
        gc.close()
