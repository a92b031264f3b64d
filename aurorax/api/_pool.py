"""The searches' own bounded thread pool: searches never take the threads that answer reads.

A search can take seconds of DuckDB and numpy; reads of data sources and availability take
milliseconds. Sharing one pool let 70 slow anonymous searches make ``GET /data_sources`` wait a
minute. Searches (synchronous and asynchronous) therefore run here, at most ``workers`` at once
with at most ``queue`` waiting; beyond that a search is refused at once with HTTP 429 and a
``Retry-After`` estimated from how long recent searches took.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from ._errors import APIError

__all__ = ["SearchPool", "BusyError"]


class BusyError(APIError):
    """Too many searches are queued or running (HTTP 429, with ``Retry-After``)."""

    status = 429
    error_code = "ToManyRequests"  # AuroraX's spelling

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SearchPool:
    """``workers`` threads for searches and a queue of at most ``queue`` waiting ones.

    Parameters
    ----------
    workers
        Searches running at once.
    queue
        Searches waiting for a thread; one more is refused with :class:`BusyError`.
    """

    def __init__(self, workers: int = 2, queue: int = 16) -> None:
        self.workers = workers
        self.queue = queue
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="aurorax-search")
        self._lock = threading.Lock()
        self._outstanding = 0
        self._mean_s = 1.0  # running mean of recent search durations (exponential, 1/8)

    @property
    def outstanding(self) -> int:
        """Searches queued or running now."""
        return self._outstanding

    def retry_after_s(self) -> int:
        """Seconds until a thread is likely free: the queue ahead at the recent mean time."""
        ahead = max(1, self._outstanding - self.workers + 1)
        return int(min(600, max(1, math.ceil(self._mean_s * ahead / self.workers))))

    def submit(self, func, *args) -> Future:
        """Run ``func(*args)`` on a search thread, or raise :class:`BusyError` if the queue is
        full."""
        with self._lock:
            if self._outstanding >= self.workers + self.queue:
                wait = self.retry_after_s()
                raise BusyError(
                    f"the server is busy: {self._outstanding} searches are running or queued "
                    f"(at most {self.workers} running and {self.queue} waiting); "
                    f"retry in about {wait} s",
                    wait,
                )
            self._outstanding += 1
        try:
            future = self._executor.submit(self._timed, func, args)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(lambda _: self._release())  # also when cancelled in the queue
        return future

    def _release(self) -> None:
        with self._lock:
            self._outstanding -= 1

    def _timed(self, func, args):
        started = time.perf_counter()
        try:
            return func(*args)
        finally:
            took = time.perf_counter() - started
            with self._lock:
                self._mean_s += (took - self._mean_s) / 8.0

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
