"""How long a practice keeps a client's treatment record after the client asked for erasure.

A client may ask for their data to be erased (GDPR Art. 17), but the right does not reach data a
practice must keep to meet a legal obligation (Art. 17(3)(b)): a tattooist's or SMP studio's
record of who was treated, when, with which pigment and lot, and their consent. The period is
the practice's to set (it depends on where it works); this module holds the default and the
date arithmetic. Standard library only.
"""

from __future__ import annotations

from datetime import date

# Default retention, in years after the last treatment. Source: UK councils' licence and
# registration conditions for tattooing and semi-permanent skin colouring (made under the Local
# Government (Miscellaneous Provisions) Act 1982 and local licensing schemes) commonly ask for
# client records, consent included, to be kept for at least three years; rules elsewhere in
# Europe range from two to ten years. Three is a floor, not legal advice: the README tells the
# practice to set its own legal period (limits.TREATMENT_RECORD_RETENTION_YEARS bounds it).
DEFAULT_RETENTION_YEARS = 3


def add_years(day: date, years: int) -> date:
    """``day`` moved ``years`` calendar years on; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year that has none
        return day.replace(year=day.year + years, day=28)


def retained_until(last_treated_on: date, years: int) -> date:
    """The first day on which a record whose last treatment was ``last_treated_on`` may go.

    Retention counts from the last treatment, not from the erasure request: the duty is to keep
    the record of a treatment for so long after it, whenever the client asks.
    """
    return add_years(last_treated_on, years)
