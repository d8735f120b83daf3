def digit_sum(n: int) -> int:
    """Return the sum of the decimal digits of n (the sign is ignored).

    >>> digit_sum(1234)
    10
    >>> digit_sum(-56)
    11
    >>> digit_sum(0)
    0
    """
