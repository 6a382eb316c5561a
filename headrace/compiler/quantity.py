"""Kubernetes quantities ("500m", "2Gi", "1.5") parsed exactly, so requests and limits compare."""

from __future__ import annotations

import re
from decimal import Decimal

from headrace.errors import DefinitionError

_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?")
_SCALE = {
    None: Decimal(1), "m": Decimal("0.001"),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12, "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40, "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}


def parse_quantity(text: str, what: str = "quantity") -> Decimal:
    """The value of a quantity; raises DefinitionError naming `what` if it is not one."""
    match = _QUANTITY.fullmatch(str(text))
    if not match:
        raise DefinitionError(
            f"{what}={text!r} is not a Kubernetes quantity; write it like '500m', '2', "
            f"'512Mi' or '4Gi'."
        )
    return Decimal(match.group(1)) * _SCALE[match.group(2)]


def format_bytes(value: Decimal) -> str:
    """A number of bytes as the shortest exact quantity ('512Mi', '1Gi', '1500M'); a fraction of
    a byte is rounded up (a limit may grow, never shrink, by rounding)."""
    whole = int(value.to_integral_value(rounding="ROUND_CEILING"))
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki", "E", "P", "T", "G", "M", "k"):
        scale = int(_SCALE[suffix])
        if whole >= scale and whole % scale == 0:
            return f"{whole // scale}{suffix}"
    return str(whole)
