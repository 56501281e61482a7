"""Random draws shared by the generators: a weighted choice per row, names of
people and companies, and sequential ids (``R001``, ``C00001``...).
"""

from __future__ import annotations

import numpy as np

_FIRST = (
    "Alex",
    "Maria",
    "James",
    "Priya",
    "Daniel",
    "Sofia",
    "Michael",
    "Aisha",
    "David",
    "Elena",
    "Chris",
    "Hannah",
    "Marcus",
    "Julia",
    "Kevin",
    "Laura",
    "Omar",
    "Grace",
    "Ryan",
    "Nina",
    "Victor",
    "Chloe",
    "Samuel",
    "Maya",
    "Lucas",
    "Emma",
    "Tomas",
    "Olivia",
    "Ethan",
    "Zoe",
    "Adrian",
    "Isabel",
    "Noah",
    "Leah",
    "Felix",
    "Ruth",
    "Ivan",
    "Clara",
    "Jonah",
    "Alice",
    "Hugo",
    "Dana",
    "Miles",
    "Irene",
    "Oscar",
    "Vera",
    "Paul",
    "Nadia",
    "Simon",
    "Tara",
)
_LAST = (
    "Garcia",
    "Chen",
    "Novak",
    "Okafor",
    "Lindqvist",
    "Patel",
    "Rossi",
    "Kim",
    "Dubois",
    "Murphy",
    "Schneider",
    "Silva",
    "Walsh",
    "Ivanova",
    "Haddad",
    "Moreau",
    "Tanaka",
    "Brennan",
    "Kowalski",
    "Nguyen",
    "Fischer",
    "Costa",
    "Reyes",
    "Whitfield",
    "Andersen",
    "Bauer",
    "Ortiz",
    "Price",
    "Sato",
    "Keller",
    "Ward",
    "Lopez",
    "Nakamura",
    "Foster",
    "Berg",
    "Hughes",
    "Santos",
    "Vogel",
    "Grant",
    "Yilmaz",
    "Hale",
    "Mendes",
    "Stone",
    "Park",
    "Ellis",
    "Romero",
    "Quinn",
)
_CO_A = (
    "Harbor",
    "Summit",
    "Granite",
    "Blue Oak",
    "Maple",
    "Northstar",
    "Riverside",
    "Ironwood",
    "Bright",
    "Cedar",
    "Pioneer",
    "Keystone",
    "Silverline",
    "Redwood",
    "Lakeshore",
    "Beacon",
    "Evergreen",
    "Falcon",
    "Hillcrest",
    "Meridian",
    "Orchard",
    "Prairie",
    "Sterling",
    "Union",
)
_CO_B = (
    "Logistics",
    "Dental",
    "Legal",
    "Studio",
    "Consulting",
    "Foods",
    "Labs",
    "Realty",
    "Engineering",
    "Clinic",
    "Media",
    "Works",
    "Partners",
    "Systems",
    "Supply",
    "Design",
)
_CO_C = ("Inc", "LLC", "Co", "Group", "Ltd")


def ids(prefix: str, n: int, width: int | None = None) -> list[str]:
    width = width or max(4, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def choice_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of ``weights`` (rows need not be normalised)."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return (cum < u[:, None]).sum(axis=1).clip(0, weights.shape[1] - 1)


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    f = rng.integers(0, len(_FIRST), n)
    la = rng.integers(0, len(_LAST), n)
    return [f"{_FIRST[a]} {_LAST[b]}" for a, b in zip(f, la, strict=True)]


def company_names(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, len(_CO_A), n)
    b = rng.integers(0, len(_CO_B), n)
    c = rng.integers(0, len(_CO_C), n)
    return [f"{_CO_A[i]} {_CO_B[j]} {_CO_C[k]}" for i, j, k in zip(a, b, c, strict=True)]
