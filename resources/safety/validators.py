"""Checks that turn a regex candidate into a finding: checksums, number plans, address ranges, calendar dates.

A pattern finds what looks like a card, IBAN, phone number or IP address; these reject the look-alikes (order
numbers, SKUs, versions, timestamps) that share the shape but not the structure.
"""

import ipaddress
import math
import re
from datetime import date

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
# Issuer prefixes: Visa, Mastercard (51-55, 2221-2720), Amex, Diners, Discover, UnionPay, JCB.
_IIN = re.compile(r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[68])|6(?:011|5|4[4-9]|2)|35)")
# Regions whose national formats are tried for numbers written without a country code.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "IE", "PT", "PL", "SE", "DK", "NO",
                 "FI", "AU")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def card_ok(digits: str) -> bool:
    """13-19 digits, a known issuer prefix and a valid Luhn check digit."""
    return 13 <= len(digits) <= 19 and bool(_IIN.match(digits)) and luhn_ok(digits)


def iban_ok(compact: str) -> bool:
    """ISO 13616: the country's length and mod-97 of the rearranged number equal to 1."""
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def phone_ok(raw: str, loose: bool = False) -> bool:
    """A number valid in libphonenumber's plan: with its country code, or in one of `PHONE_REGIONS`' national
    formats. `loose` also accepts numbers that are only possible (fictional 555 and drama ranges)."""
    import phonenumbers

    number = re.sub(r"^\s*(?:00|011)\s*", "+", raw)
    regions = (None,) if number.startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed) or (loose and phonenumbers.is_possible_number(parsed)):
            return True
    return False


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN ranges: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def ip_ok(candidate: str) -> bool:
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return address.version == 4 or (any(ch.isdigit() for ch in candidate) and ("::" in candidate or
                                                                             candidate.count(":") == 7))


def plausible_birth_year(year: str) -> bool:
    y = int(year) if len(year) == 4 else 1900 + int(year)
    return 1900 <= y <= date.today().year


def entropy(s: str) -> float:
    counts = {ch: s.count(ch) for ch in set(s)}
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())
