"""Progress reports of long calls (read_csv, select): off by default.

A call that takes ``progress=`` accepts

- ``False`` / ``None`` (default): nothing is reported;
- ``True``: a tqdm bar per phase when tqdm is installed, else one updating line on stderr;
- a callable ``f(phase: str, done: int, total: int)``: called as each phase advances. Within a
  phase ``done`` never decreases and its last call has ``done == total``; the units depend on the
  phase ("reading": bytes of the file; "rows", "reasons", "selecting", "result": nominees).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
from typing import Any, Callable, Union

#: The callable form of ``progress=``: ``f(phase, done, total)``.
ProgressCallback = Callable[[str, int, int], None]
#: What ``progress=`` accepts.
ProgressArg = Union[bool, None, ProgressCallback]

#: Phases measured in bytes (shown with a byte unit).
_BYTE_PHASES = frozenset({"reading"})


class _StderrLine:
    """One line on stderr per phase, rewritten in place (``\\r``) at most every 0.2 s, ended
    with the count and the elapsed time."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._phase = ""
        self._t0 = 0.0
        self._last = 0.0
        self._start = time.monotonic()

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase != self._phase:
            self._phase, self._t0, self._last = phase, now, 0.0
        finished = done >= total
        if not finished and now - self._last < 0.2:
            return
        self._last = now
        pct = 100 if total <= 0 else int(100 * done / total)
        unit = "MB" if phase in _BYTE_PHASES else ""
        if unit:
            amount = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB"
        else:
            amount = f"{done:,} of {total:,}"
        line = f"{self._label} {phase}: {pct:3d}% ({amount}) {now - self._t0:.1f} s"
        sys.stderr.write("\r" + line + ("\n" if finished else ""))
        sys.stderr.flush()


class _Tqdm:
    """A tqdm bar per phase: a widget in Jupyter when ipywidgets is installed, text elsewhere."""

    def __init__(self, label: str) -> None:
        # tqdm.auto gives a Jupyter widget, which needs ipywidgets; else the text bar.
        auto = importlib.util.find_spec("ipywidgets") is not None
        module = importlib.import_module("tqdm.auto" if auto else "tqdm")
        self._tqdm: Any = module.tqdm
        self._label = label
        self._phase = ""
        self._bar: Any = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self._phase or self._bar is None:
            if self._bar is not None:
                self._bar.close()
            self._phase = phase
            byte = phase in _BYTE_PHASES
            self._bar = self._tqdm(
                total=total,
                desc=f"{self._label} {phase}",
                unit="B" if byte else " nominees",
                unit_scale=byte,
                leave=True,
                mininterval=0.2,
            )
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()
            self._bar = None


def reporter(progress: ProgressArg, label: str) -> ProgressCallback | None:
    """The callback for a ``progress=`` argument (None when progress is off)."""
    if progress is None or progress is False:
        return None
    if progress is True:
        try:
            return _Tqdm(label)
        except ImportError:
            return _StderrLine(label)
    if callable(progress):
        return progress
    raise TypeError(
        f"progress must be True, False or a callable f(phase, done, total), "
        f"not {type(progress).__name__}"
    )
