"""`tfx.dsl.io.fileio`: file operations on any filesystem TensorFlow knows."""

from headrace.tfx.fileio import (
    copy,
    exists,
    glob,
    isdir,
    listdir,
    makedirs,
    mkdir,
    open,
    remove,
    rename,
    rmtree,
    walk,
)
from headrace.tfx.unsupported import module_getattr

__all__ = [
    "copy",
    "exists",
    "glob",
    "isdir",
    "listdir",
    "makedirs",
    "mkdir",
    "open",
    "remove",
    "rename",
    "rmtree",
    "walk",
]

__getattr__ = module_getattr("dsl.io.fileio", ())
