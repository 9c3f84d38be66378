"""Words and numbers the synthetic marketplace is made of: labels, regions, names, rhythms.

Everything here is plain data. The label tuples fix the integer codes the generator uses
internally (an account's fraud types are bits, an order's label is a small integer) and the
words the ground truth files print for them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from linkguard.schema import FLAG_CODES

__all__ = [
    "ACCOUNT_STATUSES",
    "AREA_CODES",
    "CARD_BINS",
    "DISPOSABLE_DOMAINS",
    "EMAIL_DOMAINS",
    "EMAIL_DOMAIN_WEIGHTS",
    "EXPECTED_CODES",
    "FIRST_NAMES",
    "FRAUD_TYPES",
    "HONEST_STRUCTURES",
    "HOUR_WEIGHTS",
    "ID_KINDS",
    "IP_FIRST_OCTETS",
    "KIND_SPELLINGS",
    "LAST_NAMES",
    "ORDER_LABELS",
    "REALISTIC_ONLY",
    "REGIONS",
    "REGION_WEIGHTS",
    "SELLER_LABELS",
    "STATUS_CODE",
    "STREETS",
    "STREET_SUFFIXES",
    "Region",
    "bit",
]

# --- ground-truth vocabularies (their order fixes the internal integer codes) -------------

#: Planted fraud kinds, one bit each in an account's ``fraud`` mask.
FRAUD_TYPES = (
    "brushing_ring",
    "hijacked_ring",
    "self_dealing",
    "multi_account",
    "circular",
    "defaulted",
    "linked_to_defaulted",
    "concentrated",
    "farm_ring",
    "recruited_ring",
)
#: Honest look-alikes of fraud, one bit each in an account's ``structure`` mask.
HONEST_STRUCTURES = (
    "household",
    "public_wifi",
    "office",
    "flash_sale",
    "wholesale",
    "loyal_club",
    "popular_shop",
    "workplace_wifi",
    "fan_community",
    "promotion",
    "new_user_campaign",
)
#: Fraud types, honest structures and seller labels planted only at ``--difficulty realistic``.
REALISTIC_ONLY = (
    "farm_ring",
    "recruited_ring",
    "workplace_wifi",
    "fan_community",
    "promotion",
    "new_user_campaign",
)
#: Flag codes (contract section 3) a perfect detector raises, one bit each.
EXPECTED_CODES = FLAG_CODES
#: Order labels; code 0 is a plain order and is not written to ``truth/orders.csv``.
ORDER_LABELS = ("", "brushing", "camouflage", "self_dealing", "circular", "concentrated")
#: One label per seller in ``truth/sellers.csv``; earlier fraud labels win over later ones.
SELLER_LABELS = (
    "honest",
    "popular_shop",
    "flash_sale",
    "wholesale",
    "loyal_club",
    "office",
    "brushing",
    "self_dealing",
    "circular",
    "concentrated",
    "workplace_wifi",
    "fan_community",
    "promotion",
    "new_user_campaign",
)
ACCOUNT_STATUSES = ("active", "frozen", "defaulted", "blacklisted")
#: Account status words to the int8 codes the generator stores.
STATUS_CODE = {name: i for i, name in enumerate(ACCOUNT_STATUSES)}
#: Identifier kinds in the order the generator indexes them.
ID_KINDS = ("device", "ip", "phone", "card", "email", "address", "payment_account", "id_number")

#: How exports in the wild spell each kind; every spelling lower-cases to a known alias.
KIND_SPELLINGS: dict[str, tuple[str, ...]] = {
    "device": ("Device_ID", "deviceId", "IMEI"),
    "ip": ("ip_address", "IP", "IP_Addr"),
    "phone": ("Phone_Number", "mobile", "Tel"),
    "card": ("card_number", "Credit_Card", "Bank_Card"),
    "email": ("E-mail", "Email", "email_address"),
    "address": ("shipping_address", "Addr", "ADDRESS"),
    "payment_account": ("Payment-Account", "paymentAccount", "Alipay"),
    "id_number": ("national_id", "ID-Number", "IdNumber"),
}


def bit(names: tuple[str, ...], name: str) -> int:
    """The bit of ``name`` in a mask over ``names``.

    Examples
    --------
    >>> bit(FRAUD_TYPES, "self_dealing")
    4
    """
    return 1 << names.index(name)


# --- regions: where accounts live, their clock and their cities ---------------------------


class Region(NamedTuple):
    """A region code, its UTC offset (hours) and cities as ``(city, state, zip3)``."""

    code: str
    utc_offset: int
    cities: tuple[tuple[str, str, str], ...]


REGIONS = (
    Region(
        "US-CA",
        -8,
        (
            ("Los Angeles", "CA", "900"),
            ("San Jose", "CA", "951"),
            ("San Diego", "CA", "921"),
            ("Sacramento", "CA", "958"),
        ),
    ),
    Region(
        "US-WA", -8, (("Seattle", "WA", "981"), ("Tacoma", "WA", "984"), ("Spokane", "WA", "992"))
    ),
    Region("US-AZ", -7, (("Phoenix", "AZ", "850"), ("Tucson", "AZ", "857"))),
    Region(
        "US-TX",
        -6,
        (
            ("Houston", "TX", "770"),
            ("Austin", "TX", "787"),
            ("Dallas", "TX", "752"),
            ("San Antonio", "TX", "782"),
        ),
    ),
    Region("US-IL", -6, (("Chicago", "IL", "606"), ("Springfield", "IL", "627"))),
    Region(
        "US-NY",
        -5,
        (("New York", "NY", "100"), ("Brooklyn", "NY", "112"), ("Buffalo", "NY", "142")),
    ),
    Region("US-FL", -5, (("Miami", "FL", "331"), ("Orlando", "FL", "328"), ("Tampa", "FL", "336"))),
    Region("US-GA", -5, (("Atlanta", "GA", "303"), ("Savannah", "GA", "314"))),
)
REGION_WEIGHTS: npt.NDArray[np.float64] = np.array([0.22, 0.07, 0.06, 0.17, 0.10, 0.18, 0.13, 0.07])

#: Orders by local hour: quiet at night, a lunchtime bump, the peak after dinner.
HOUR_WEIGHTS: npt.NDArray[np.float64] = np.array(
    [
        2.0,
        1.1,
        0.6,
        0.4,
        0.4,
        0.6,
        1.2,
        2.0,
        3.0,
        3.6,
        4.0,
        4.6,
        5.2,
        4.9,
        4.5,
        4.4,
        4.7,
        5.4,
        6.6,
        8.2,
        9.1,
        8.6,
        6.2,
        3.9,
    ]
)

# --- raw-looking personal data -------------------------------------------------------------

FIRST_NAMES = (
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "chris",
    "karen",
    "daniel",
    "lisa",
    "matthew",
    "nancy",
    "anthony",
    "betty",
    "mark",
    "sandra",
    "donald",
    "ashley",
    "steven",
    "kimberly",
    "andrew",
    "emily",
    "paul",
    "donna",
    "joshua",
    "michelle",
    "kevin",
    "carol",
    "brian",
    "amanda",
    "george",
    "melissa",
    "timothy",
    "deborah",
    "ronald",
    "stephanie",
    "jason",
    "rebecca",
    "edward",
    "laura",
    "jeffrey",
    "sharon",
    "ryan",
    "cynthia",
    "jacob",
    "kathleen",
    "gary",
    "amy",
    "nicholas",
    "angela",
    "eric",
    "shirley",
)
LAST_NAMES = (
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "gomez",
    "phillips",
    "evans",
    "turner",
    "diaz",
    "parker",
    "cruz",
    "edwards",
    "collins",
    "reyes",
    "stewart",
    "morris",
    "morales",
    "murphy",
    "cook",
)
EMAIL_DOMAINS = (
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "hotmail.com",
    "aol.com",
    "proton.me",
    "comcast.net",
)
EMAIL_DOMAIN_WEIGHTS: npt.NDArray[np.float64] = np.array(
    [0.46, 0.15, 0.12, 0.12, 0.07, 0.03, 0.03, 0.02]
)
DISPOSABLE_DOMAINS = (
    "yopmail.com",
    "guerrillamail.com",
    "10minutemail.net",
    "mailinator.com",
    "tempmail.dev",
)
STREETS = (
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Park",
    "Main",
    "Walnut",
    "Sunset",
    "Lincoln",
    "Jackson",
    "Church",
    "Highland",
    "Mill",
    "River",
    "Spring",
    "Willow",
    "Chestnut",
    "Franklin",
    "Meadow",
    "Forest",
    "Ridge",
    "Valley",
    "Madison",
    "Jefferson",
    "Cherry",
    "Birch",
    "Dogwood",
    "Magnolia",
    "Center",
    "Union",
    "Broad",
    "Adams",
    "Prospect",
    "Grove",
    "Laurel",
    "Harbor",
    "Bay",
    "Orchard",
    "Liberty",
    "Market",
    "Summit",
    "Fairview",
    "Woodland",
    "Cypress",
    "Aspen",
    "Poplar",
    "Hickory",
    "Juniper",
    "Canyon",
    "Mesa",
    "Vista",
    "Pleasant",
    "Garden",
    "Commerce",
    "Industrial",
    "College",
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Ct", "Way")
#: Area codes of the phone numbers (not tied to the account's region: people move).
AREA_CODES = (
    "212",
    "213",
    "214",
    "206",
    "210",
    "305",
    "310",
    "312",
    "313",
    "404",
    "407",
    "408",
    "415",
    "425",
    "469",
    "480",
    "503",
    "510",
    "512",
    "520",
    "602",
    "619",
    "626",
    "646",
    "650",
    "702",
    "713",
    "714",
    "718",
    "720",
    "737",
    "754",
    "773",
    "786",
    "813",
    "818",
    "832",
    "847",
    "858",
    "909",
    "916",
    "917",
    "925",
    "929",
    "949",
    "954",
    "971",
    "972",
)
#: First octets of public IPv4 blocks (no private, loopback or multicast ranges).
IP_FIRST_OCTETS = (
    24,
    45,
    47,
    50,
    63,
    64,
    66,
    67,
    68,
    69,
    70,
    71,
    72,
    73,
    74,
    75,
    76,
    96,
    97,
    98,
    99,
    104,
    107,
    108,
    136,
    162,
    166,
    173,
    174,
    184,
    185,
    198,
    204,
    208,
)
#: Issuer prefixes (first six digits) of the card numbers.
CARD_BINS = ("453201", "455673", "492913", "476173", "516732", "542418", "552433", "601100")
