"""The one error ExampleGen raises for bad input or configuration.

The core error hierarchy will adopt this class later; until then it stands alone.
"""


class ExampleGenError(ValueError):
    """Bad input data or configuration: the message names the file, the line and the fix."""
