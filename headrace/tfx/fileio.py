"""TFX's `tfx.dsl.io.fileio`: file operations on every filesystem TensorFlow's gfile knows
(local, gs://, s3:// with its plugin), as TFX's own were. TensorFlow loads on first use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _gfile() -> Any:
    import tensorflow as tf

    return tf.io.gfile


def open(path: str, mode: str = "r") -> Any:
    return _gfile().GFile(path, mode)


def copy(src: str, dst: str, overwrite: bool = False) -> None:
    _gfile().copy(src, dst, overwrite=overwrite)


def exists(path: str) -> bool:
    return bool(_gfile().exists(path))


def glob(pattern: str) -> list[str]:
    return list(_gfile().glob(pattern))


def isdir(path: str) -> bool:
    return bool(_gfile().isdir(path))


def listdir(path: str) -> list[str]:
    return list(_gfile().listdir(path))


def makedirs(path: str) -> None:
    _gfile().makedirs(path)


def mkdir(path: str) -> None:
    _gfile().mkdir(path)


def remove(path: str) -> None:
    _gfile().remove(path)


def rename(src: str, dst: str, overwrite: bool = False) -> None:
    _gfile().rename(src, dst, overwrite=overwrite)


def rmtree(path: str) -> None:
    _gfile().rmtree(path)


def walk(top: str) -> Iterator[tuple[str, list[str], list[str]]]:
    yield from _gfile().walk(top)
