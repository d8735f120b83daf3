"""A small repository written by the tests: a package with a stub method, its helpers elsewhere, and tests."""

from __future__ import annotations

from pathlib import Path

FILES = {
    "shop/__init__.py": '"""A tiny shop."""\n',
    "shop/money.py": '''"""Money as integer cents."""


def to_cents(amount: float) -> int:
    """Convert an amount in units to integer cents.

    >>> to_cents(1.5)
    150
    """
    return round(amount * 100)


def format_cents(cents: int) -> str:
    """Format cents as a price: ``1234`` becomes ``'12.34'``."""
    return f"{cents // 100}.{cents % 100:02d}"


def _rounding_mode() -> str:
    return "half-even"
''',
    "shop/cart.py": '''"""A shopping cart."""

import functools

from shop.money import format_cents, to_cents


class Cart:
    """Items with a unit price and a quantity."""

    def __init__(self) -> None:
        self.items: list[tuple[str, int, int]] = []

    def add(self, name: str, price: float, qty: int = 1) -> None:
        """Add `qty` units of `name` at `price` (in units)."""
        self.items.append((name, to_cents(price), qty))

    def total_cents(self) -> int:
        """The cart's total in cents.

        >>> c = Cart()
        >>> c.add("apple", 1.5, 2)
        >>> c.total_cents()
        300
        """
        raise NotImplementedError

    def describe(self) -> str:
        return f"{len(self.items)} items, {format_cents(self.total_cents())}"


@functools.lru_cache(maxsize=None)
def bulk_discount(qty: int) -> float:
    """Discount rate for a quantity.

    >>> bulk_discount(10)
    0.1
    >>> bulk_discount(1)
    0.0
    """
    ...


def receipt(cart: Cart) -> str:
    def line(item: tuple[str, int, int]) -> str:
        """One receipt line: ``name x qty``."""
        pass

    return "\\n".join(line(i) for i in cart.items)


def checkout(cart: Cart) -> str:
    """Describe the cart and apply the bulk discount."""
    return cart.describe() + f" (discount {bulk_discount(len(cart.items))})"
''',
    "tests/test_shop.py": """from shop.cart import Cart
from shop.money import format_cents


def test_add_keeps_items():
    c = Cart()
    c.add("a", 1.0)
    assert c.items == [("a", 100, 1)]


def test_describe_empty():
    assert Cart().describe() == "0 items, 0.00"


def test_format_cents():
    assert format_cents(1234) == "12.34"
""",
    "tests/test_cart.py": """from shop.cart import Cart


def test_total():
    c = Cart()
    c.add("a", 2.0, 3)
    c.add("b", 0.5)
    assert c.total_cents() == 650
""",
}


def write_repo(root: Path) -> Path:
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root
