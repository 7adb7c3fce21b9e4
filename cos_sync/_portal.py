"""The private event loop that runs cos_sync's coroutines.

One daemon thread runs one asyncio loop for every ``CosClient`` of the process. It starts with the
first client and stops when the last one closes. A call hops onto it as a bare task that releases
a lock the caller waits on as its coroutine returns (on the 2-core CI machine 25-80 µs by its load,
a fifth to a third less than ``asyncio.run_coroutine_threadsafe``'s chained futures, itself half
an anyio blocking portal's hop; the facade targets at least 85% of the async rate on small
objects) and adds what a plain hop lacks:

* Ctrl-C (any exception while waiting) cancels the coroutine and waits, bounded, for its cleanup
  (an aborted multipart upload, a kept checkpoint) before re-raising;
* callbacks (progress) are queued and run on the *calling* thread while it waits;
* an async iteration runs inside one task, feeding the caller through a bounded queue, and is
  closed in that task when the caller stops early;
* after ``fork()`` the child starts a fresh loop thread: nothing of the parent's is reused;
* calling from the loop thread itself raises instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import os
import queue
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Generator
from typing import Any, TypeVar, cast

__all__ = ["LoopThread", "acquire", "current", "keep_forever", "release"]

T = TypeVar("T")

#: how long an interrupted call waits for its coroutine's cleanup before re-raising
CANCEL_GRACE = 30.0
#: the most items a batched iteration (a listing) hands over at once
MAX_BATCH = 1000
_POLL = 0.05


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="cos-sync-loop", daemon=True)
        self.thread.start()
        self._ready.wait()
        self.users = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = asyncio.all_tasks(self.loop)
                for t in pending:
                    t.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()

    @property
    def on_loop_thread(self) -> bool:
        return threading.get_ident() == self.thread.ident

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.on_loop_thread:
            self.thread.join(timeout=30)

    # --- running coroutines -----------------------------------------------------------------

    def run(
        self,
        make: Callable[[], Coroutine[Any, Any, T]],
        callbacks: queue.SimpleQueue[Callable[[], object]] | None = None,
    ) -> T:
        """Run ``make()`` on the loop and wait; callbacks queued meanwhile run on this thread."""
        if self.on_loop_thread:
            raise RuntimeError(
                "cos_sync was called from its own event loop thread (e.g. inside a callback run "
                "there); use cos_async in async code"
            )
        # A bare task that releases a lock the caller waits on, rather than
        # run_coroutine_threadsafe's chained futures: the hop is the facade's whole cost on small
        # objects. The coroutine itself releases the lock as it returns, one loop iteration
        # before a done-callback could (see benchmarks/sync_facade.py for the hop's cost); the
        # done-callback still releases it for a task cancelled before its first step.
        done = threading.Lock()  # held until the coroutine has finished
        done.acquire()
        tasks: list[asyncio.Task[None]] = []
        outcome: list[tuple[bool, Any]] = []  # (True, value) or (False, exception)

        async def runner() -> None:
            try:
                outcome.append((True, await make()))
            except BaseException as exc:  # all of it goes to the caller
                outcome.append((False, exc))
                if isinstance(exc, asyncio.CancelledError):
                    raise  # the task stays cancelled (the loop's shutdown waits for it)
            finally:
                done.release()

        def finished(task: asyncio.Task[None]) -> None:
            if not outcome:  # cancelled before it started: runner's finally never ran
                outcome.append((False, asyncio.CancelledError()))
                done.release()

        def start() -> None:
            task = self.loop.create_task(runner())
            tasks.append(task)
            task.add_done_callback(finished)

        self.loop.call_soon_threadsafe(start)
        try:
            while not done.acquire(timeout=_POLL):
                if callbacks is not None:
                    _drain(callbacks)
                if not self.thread.is_alive():
                    raise RuntimeError("cos_sync's event loop thread stopped during the call")
            if callbacks is not None:
                _drain(callbacks)
            ok, value = outcome[0]
            if ok:
                return cast("T", value)
            if isinstance(value, asyncio.CancelledError):
                # cancelled on the loop (its shutdown), not by this thread
                raise concurrent.futures.CancelledError() from None
            raise value
        except BaseException:
            # Ctrl-C, or a callback raised: cancel the coroutine and let its cleanup finish
            # (a task cancelled before its first step finishes too: ``start`` runs first)
            if not outcome:
                with contextlib.suppress(RuntimeError):  # the loop is closed
                    self.loop.call_soon_threadsafe(_cancel_all, tasks)
                done.acquire(timeout=CANCEL_GRACE)
            raise

    def iterate(
        self, agen: AsyncIterator[T], buffer: int = 4, *, batched: bool = False
    ) -> Generator[T, None, None]:
        """Drive a whole async iteration in one task; yield its items on this thread.
        ``batched``: hand items over in batches (see :meth:`_iterate_batched`)."""
        if self.on_loop_thread:
            raise RuntimeError("cos_sync was called from its own event loop thread")
        if batched:
            # one page waits for the caller while the next is gathered (and the listing
            # requests the one after while parsing): a caller that stops early has cost at
            # most 4 pages past the one in hand (tests/sync/test_facade.py)
            return self._iterate_batched(agen, 1)
        return self._iterate(agen, buffer)

    def _iterate_batched(self, agen: AsyncIterator[T], buffer: int) -> Generator[T, None, None]:
        """An iteration of small items (listings) handed over a batch at a time: the items the
        async iterator produces without waiting (a page's entries) go over together, when the
        producing task next waits (a callback scheduled with ``call_soon`` runs then) or when
        :data:`MAX_BATCH` have gathered. One hop per page instead of one per item. At most
        ``buffer`` batches wait for the consumer; the producer waits while they are full."""
        batches: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=buffer)
        stop = threading.Event()
        loop = self.loop
        pending: list[T] = []
        state = {"scheduled": False, "blocked": False}
        room = asyncio.Event()

        def hand_over() -> bool:
            """Put what is pending into the queue (on the loop); False while it is full."""
            if not pending:
                return True
            try:
                batches.put_nowait(("items", pending[:]))
            except queue.Full:
                # flagged before the second try: a consumer taking a batch after it failed
                # sees the flag and calls on_room
                state["blocked"] = True
                try:
                    batches.put_nowait(("items", pending[:]))
                except queue.Full:
                    return False
            pending.clear()
            return True

        def flush() -> None:  # the producer is waiting (or its step ended)
            state["scheduled"] = False
            hand_over()

        def on_room() -> None:  # the consumer took a batch from a full queue
            state["blocked"] = False
            hand_over()
            room.set()

        async def settle() -> bool:
            """Wait until what is pending was handed over (False: the consumer stopped)."""
            while True:
                room.clear()
                if hand_over():
                    return not stop.is_set()
                if stop.is_set():
                    return False
                await room.wait()

        async def put(item: tuple[str, Any]) -> None:
            while not stop.is_set():
                room.clear()
                try:
                    batches.put_nowait(item)
                    return
                except queue.Full:
                    state["blocked"] = True
                    with contextlib.suppress(queue.Full):
                        batches.put_nowait(item)
                        return
                    await room.wait()

        async def producer() -> None:
            try:
                async for item in agen:
                    pending.append(item)
                    if len(pending) >= MAX_BATCH or state["blocked"]:
                        if not await settle():  # backpressure: nothing more while full
                            break
                    elif not state["scheduled"]:
                        state["scheduled"] = True
                        loop.call_soon(flush)
                if await settle():
                    await put(("end", None))
            except BaseException as exc:
                if await settle():
                    await put(("error", exc))
                if isinstance(exc, asyncio.CancelledError):
                    raise
            finally:
                aclose = getattr(agen, "aclose", None)
                if aclose is not None:
                    await aclose()

        fut = asyncio.run_coroutine_threadsafe(producer(), loop)
        try:
            while True:
                try:
                    kind, value = batches.get(timeout=_POLL)
                except queue.Empty:
                    if fut.done() and batches.empty():
                        exc = fut.exception()
                        if exc is not None:
                            raise exc from None
                        return
                    if state["blocked"]:  # a safety net: the producer waits for room
                        with contextlib.suppress(RuntimeError):
                            loop.call_soon_threadsafe(on_room)
                    continue
                if state["blocked"]:
                    with contextlib.suppress(RuntimeError):  # the loop is closed
                        loop.call_soon_threadsafe(on_room)
                if kind == "items":
                    yield from value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            stop.set()
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(room.set)
            if not fut.done():
                fut.cancel()
            with contextlib.suppress(BaseException):
                fut.result(timeout=CANCEL_GRACE)

    def _iterate(self, agen: AsyncIterator[T], buffer: int) -> Generator[T, None, None]:
        items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=buffer)
        stop = threading.Event()
        # A full queue is waited for on the loop (woken by the consumer), never by parking an
        # executor thread: those are shared with file I/O (to_thread), which the consumer may
        # need in order to make room; parked threads used to deadlock ~cpu+4 busy listings.
        room = asyncio.Event()
        waiting = [False]

        async def offer(item: tuple[str, Any]) -> bool:
            while not stop.is_set():
                with contextlib.suppress(queue.Full):
                    items.put_nowait(item)
                    return True
                room.clear()
                waiting[0] = True  # before the second try: a consumer taking an item now wakes us
                try:
                    items.put_nowait(item)
                    return True
                except queue.Full:
                    await room.wait()
                finally:
                    waiting[0] = False
            return False

        async def producer() -> None:
            try:
                async for item in agen:
                    if not await offer(("item", item)):
                        break
            except BaseException as exc:
                await offer(("error", exc))
                if isinstance(exc, asyncio.CancelledError):
                    raise
                return
            finally:
                aclose = getattr(agen, "aclose", None)
                if aclose is not None:
                    await aclose()
            await offer(("end", None))

        fut = asyncio.run_coroutine_threadsafe(producer(), self.loop)
        try:
            while True:
                try:
                    kind, value = items.get(timeout=_POLL)
                except queue.Empty:
                    if fut.done() and items.empty():
                        exc = fut.exception()
                        if exc is not None:
                            raise exc from None
                        return
                    continue
                if waiting[0]:
                    with contextlib.suppress(RuntimeError):  # the loop is closed
                        self.loop.call_soon_threadsafe(room.set)
                if kind == "item":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            stop.set()
            if not fut.done():
                fut.cancel()
            # the iteration's own outcome was already reported to the caller
            with contextlib.suppress(BaseException):
                fut.result(timeout=CANCEL_GRACE)


def _cancel_all(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()


def _drain(callbacks: queue.SimpleQueue[Callable[[], object]]) -> None:
    while True:
        try:
            cb = callbacks.get_nowait()
        except queue.Empty:
            return
        cb()


# --- the process-wide loop thread, reference-counted ------------------------------------------

_lock = threading.Lock()
_current: LoopThread | None = None


def acquire() -> LoopThread:
    """The shared loop thread (started if needed), counted as used once more."""
    global _current
    with _lock:
        if _current is None or _current.loop.is_closed():
            _current = LoopThread()
        _current.users += 1
        return _current


def release(lt: LoopThread) -> None:
    """One user less; the last one stops the thread."""
    global _current
    with _lock:
        lt.users -= 1
        if lt.users > 0:
            return
        if _current is lt:
            _current = None
    lt.stop()


def current() -> LoopThread | None:
    return _current


#: what a forked child inherited from its parent and must never finalize (see keep_forever)
_INHERITED: list[object] = []


def keep_forever(obj: object) -> None:
    """Keep ``obj`` alive until the process ends, finalizers never run (in a forked child).

    The parent's event loop, its connections and its connection pool are copies in a forked
    child, and their finalizers would act on the parent's state: closing a pooled asyncio
    connection deregisters its socket from the epoll instance, which parent and child share, so
    the parent stops hearing its answers (a child's exit hung its parent this way). So they are
    leaked on purpose: on CPython an extra reference nobody holds keeps even the cyclic
    collector at shutdown from freeing them; elsewhere a module-level list keeps them."""
    _INHERITED.append(obj)
    if sys.implementation.name == "cpython":
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))


def _after_fork_in_child() -> None:
    # The parent's loop thread does not exist in the child; never touch it again.
    global _current, _lock
    _lock = threading.Lock()
    if _current is not None:
        keep_forever(_current)
    _current = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
