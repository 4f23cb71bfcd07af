"""Errors of bad input: a config value or a graph file, each said on one line."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """An invalid configuration value; the message is one line: ``key=value: what is allowed``."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}={value!r}: {allowed}")

    def __reduce__(self):
        # rebuilt from its fields (subclasses' included), so that it crosses process
        # boundaries: an error that cannot be unpickled breaks a whole pool of workers
        return _restore_error, (type(self), self.key, self.value, self.allowed,
                                dict(self.__dict__))


def _restore_error(cls: type, key: str, value: Any, allowed: str,
                   state: dict[str, Any]) -> ConfigError:
    error = ConfigError.__new__(cls)
    ConfigError.__init__(error, key, value, allowed)
    error.__dict__.update(state)
    return error


class GraphFileError(ValueError):
    """A graph file that cannot be used; the message is one line naming the file.

    Attributes:
        path: the file as given.
        line: the 1-based line number the problem is on, or None.
    """

    def __init__(self, path: str, problem: str, *, line: int | None = None) -> None:
        self.path, self.line, self.problem = path, line, problem
        where = f": line {line}" if line is not None else ""
        super().__init__(f"graph file '{path}'{where} {problem}".replace("\n", " "))

    def __reduce__(self):
        # like ConfigError: rebuilt from its fields when it crosses a process boundary
        return _restore_graph_error, (type(self), self.path, self.problem, self.line)


def _restore_graph_error(cls: type, path: str, problem: str, line: int | None) -> Exception:
    return cls(path, problem, line=line)
