"""``matrix_transpose``: transpose a matrix given as nested lists (nested lists)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from score_envs.code.families.base import CodeFamily, EdgeCase


def _matrix(rng: random.Random, rows: int, columns: int) -> list[list[int]]:
    return [[rng.randint(0, 9) for _ in range(columns)] for _ in range(rows)]


class MatrixTranspose(CodeFamily):
    """Transposition; the traps are non-square shapes, lists of tuples, the empty matrix."""

    name = "matrix_transpose"
    category = "list"
    function_name = "matrix_transpose"
    signature = "def matrix_transpose(matrix: list[list[int]]) -> list[list[int]]:"
    specification = """
    Return the transpose of `matrix`, a list of rows of equal length: row i of the result is
    column i of `matrix`.

    The matrix need not be square. The result is a list of lists (not tuples). The empty
    matrix [] gives []. `matrix` is not modified.
"""
    reference = """
def matrix_transpose(matrix):
    if not matrix:
        return []
    return [[row[i] for row in matrix] for i in range(len(matrix[0]))]
"""
    bugs = (
        # zip(*matrix) gives tuples.
        """
def matrix_transpose(matrix):
    return list(zip(*matrix))
""",
        # Assumes a square matrix.
        """
def matrix_transpose(matrix):
    n = len(matrix)
    return [[matrix[j][i] for j in range(n)] for i in range(n)]
""",
        # Rotates instead of transposing.
        """
def matrix_transpose(matrix):
    return [list(column) for column in zip(*matrix[::-1])]
""",
        # Crashes on the empty matrix.
        """
def matrix_transpose(matrix):
    return [[row[i] for row in matrix] for i in range(len(matrix[0]))]
""",
    )
    size_unit = "rows or columns"
    size_limits = (3, 4, 5, 6, 8)
    example_size = 3

    def input_size(self, args: tuple[Any, ...]) -> int:
        """The larger of the row and column counts."""
        return max(len(args[0]), max((len(row) for row in args[0]), default=0))

    def random_args(self, rng: random.Random, size: int) -> tuple[Any, ...]:
        """A matrix of 2..``size`` rows and 2..``size`` columns, usually not square."""
        rows, columns = rng.randint(2, size), rng.randint(2, size)
        return (_matrix(rng, rows, columns),)

    def edge_cases(self, rng: random.Random) -> Sequence[EdgeCase]:
        """One row, one column, one element, the empty matrix."""
        return (
            EdgeCase("single row", 2, (_matrix(rng, 1, 3),)),
            EdgeCase("single column", 3, (_matrix(rng, 3, 1),)),
            EdgeCase("single element", 4, (_matrix(rng, 1, 1),)),
            EdgeCase("empty matrix", 5, ([],)),
        )
