"""Generated master data: customers, the product catalogue and its price lists."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsync.demo_erp.identifiers import personal_fiscal_code, random_vat_number
from erpsync.demo_erp.names import (
    CITIES,
    FEMALE_FIRST_NAMES,
    LEGAL_FORMS,
    MALE_FIRST_NAMES,
    PRODUCT_GROUPS,
    STREET_KINDS,
    STREETS,
    SURNAMES,
    TRADES,
    City,
)
from erpsync.demo_erp.timeline import days_before, iso, moment_on

Record = dict[str, Any]

CENT = Decimal("0.01")
_LIST_DISCOUNTS = {1: Decimal("1"), 2: Decimal("0.85"), 3: Decimal("0.90")}


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def _phone(rng: random.Random, city: City) -> str:
    if rng.random() < 0.3:
        return f"3{rng.randint(20, 49)} {rng.randrange(10**7):07d}"
    digits = 10 - len(city.phone_prefix)
    return f"{city.phone_prefix} {rng.randrange(10**digits):0{digits}d}"


def _address(rng: random.Random) -> str:
    return f"{rng.choice(STREET_KINDS)} {rng.choice(STREETS)} {rng.randint(1, 180)}"


def _owner(rng: random.Random, surname: str, city: City) -> tuple[str, str]:
    """A sole trader's first name and codice fiscale."""
    female = rng.random() < 0.4
    first = rng.choice(FEMALE_FIRST_NAMES if female else MALE_FIRST_NAMES)
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    code = personal_fiscal_code(
        surname, first, born, female=female, cadastral_code=city.cadastral_code
    )
    return first, code


def generate_customers(
    rng: random.Random, count: int, agent_codes: Sequence[str], anchor: datetime
) -> list[Record]:
    customers: list[Record] = []
    domains: set[str] = set()
    for n in range(1, count + 1):
        city = rng.choice(CITIES)
        surname = rng.choice(SURNAMES)
        trade = rng.choice(TRADES)
        vat_number = random_vat_number(rng)
        if rng.random() < 0.8:
            name = f"{trade} {surname} {rng.choice(LEGAL_FORMS)}"
            fiscal_code = vat_number
        else:
            first, fiscal_code = _owner(rng, surname, city)
            name = f"{trade} {surname} di {first} {surname}"
        domain = _slug(f"{trade}{surname}")
        if domain in domains:
            domain = f"{domain}{_slug(city.name)}{n}"
        domains.add(domain)
        customers.append(
            {
                "code": f"C{n:06d}",
                "name": name,
                "vat_number": vat_number,
                "fiscal_code": fiscal_code,
                "address": _address(rng),
                "postcode": city.postcode,
                "city": city.name,
                "province": city.province,
                "phone": _phone(rng, city),
                "email": f"info@{domain}.it",
                "pec": f"{domain}@pec.it",
                "agent_code": rng.choice(agent_codes),
                "updated_at": iso(moment_on(days_before(anchor, rng, 730), rng, anchor)),
            }
        )
    return customers


def _vat_rate(rng: random.Random) -> str:
    roll = rng.random()
    return "22" if roll < 0.9 else "10" if roll < 0.98 else "4"


def generate_products(rng: random.Random, count: int, anchor: datetime) -> list[Record]:
    groups = sorted(PRODUCT_GROUPS)
    products: list[Record] = []
    for n in range(1, count + 1):
        group = rng.choice(groups)
        articles, sizes, finishes = PRODUCT_GROUPS[group]
        package_size = rng.choice((1, 1, 1, 6, 10, 12, 25, 50, 100))
        bulk = package_size > 1 and rng.random() < 0.5
        products.append(
            {
                "code": f"P{n:05d}",
                "description": f"{rng.choice(articles)} {rng.choice(sizes)} {rng.choice(finishes)}",
                "group": group,
                "package_size": package_size,
                "min_qty": package_size if bulk else 1,
                "multiple_qty": package_size if bulk else 1,
                "vat_rate": _vat_rate(rng),
                "updated_at": iso(moment_on(days_before(anchor, rng, 900), rng, anchor)),
            }
        )
    return products


def _list_factor(list_no: int) -> Decimal:
    return _LIST_DISCOUNTS.get(list_no, Decimal(100 - 2 * list_no) / 100)


def generate_prices(
    rng: random.Random, count: int, products: Sequence[Record], anchor: datetime
) -> list[Record]:
    """Price-list rows: every product in list L01 first, then L02, L03 and so on.

    L03 is the promotional list: its rows are valid for a limited window.
    """
    if not products:
        return []
    base = {p["code"]: Decimal(rng.randint(20, 15000)) / 100 for p in products}
    prices: list[Record] = []
    for i in range(count):
        product = products[i % len(products)]
        list_no = i // len(products) + 1
        list_code = f"L{list_no:02d}"
        valid_from = days_before(anchor, rng, 400)
        valid_to = valid_from + timedelta(days=rng.randint(30, 90)) if list_no == 3 else None
        unit_price = (base[product["code"]] * _list_factor(list_no)).quantize(CENT)
        prices.append(
            {
                "id": f"{list_code}-{product['code']}",
                "product_code": product["code"],
                "list_code": list_code,
                "unit_price": str(max(unit_price, CENT)),
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat() if valid_to else None,
                "updated_at": iso(moment_on(valid_from, rng, anchor)),
            }
        )
    return prices
