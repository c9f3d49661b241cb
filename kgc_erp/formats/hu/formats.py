"""Hungarian formats of the KGC admin (FORMAT_MODULE_PATH), over Django's own `hu`.

Month names come from Django's Hungarian catalogue in lower case ("december 6."), as
Hungarian writes them; the admin's date drill-down upper-cases the first letter itself,
which templates/admin/date_hierarchy.html undoes. Amounts are grouped by three with a
non-breaking space ("18 000 Ft"), so a number never breaks across lines.
"""

DATE_FORMAT = "Y. F j."
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y. F j. H:i"
YEAR_MONTH_FORMAT = "Y. F"
MONTH_DAY_FORMAT = "F j."
SHORT_DATE_FORMAT = "Y.m.d."
SHORT_DATETIME_FORMAT = "Y.m.d. H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = [
    "%Y.%m.%d.",  # '2026.12.06.'
    "%Y. %m. %d.",  # '2026. 12. 06.'
    "%Y-%m-%d",  # '2026-12-06' (what the admin's date picker sends)
]
TIME_INPUT_FORMATS = [
    "%H:%M:%S",
    "%H:%M",
]
DATETIME_INPUT_FORMATS = [
    "%Y.%m.%d. %H:%M:%S",
    "%Y.%m.%d. %H:%M:%S.%f",
    "%Y.%m.%d. %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\u00a0"  # non-breaking space
NUMBER_GROUPING = 3
