"""English text once seen in the Hungarian admin; none of it may appear again.

One list, for the server-side page tests (tests/core/test_admin_english.py) and for a
later browser suite. Matching is case-sensitive: these are labels as the admin shows them.
"""

ENGLISH_LEFTOVERS: tuple[str, ...] = (
    # unfold's login page and chrome
    "Welcome back to",
    "Return to site",
    "Forgotten your password or username?",
    "Type to search",
    "Search apps and models",
    "All applications",
    # unfold's lists and forms
    "Select value",
    "Select action",
    "No results found",
    "Reset filters",
    "This page yielded into no results",
    "Apply Filters",
    "Select all rows",
    # django-celery-beat: the section, its models and the periodic task's field labels
    "Periodic Tasks",
    "Periodic tasks",
    "Clocked",
    "Crontabs",
    "Intervals",
    "Solar events",
    "Task (registered)",
    "Task (custom)",
    "Interval Schedule",
    "Crontab Schedule",
    "Solar Schedule",
    "Clocked Schedule",
    "Positional Arguments",
    "Keyword Arguments",
    "Execution Options",
    "One-off Task",
    "Start Datetime",
    "Expires Datetime",
    "Last Run Datetime",
    "Total Run Count",
    "Scheduler",
    "Crontab translation",
    "Task Name",
    "Human readable",
    # cron-descriptor's English descriptions of crontabs ("At 03:40 AM")
    "At 0",
    "At 1",
    "At 2",
    # Hungarian words in English order or plural after a number
    "Törlés partner",
    "perc-ként",
)
