"""Hungarian alphabetical order in PostgreSQL without ICU or OS locales.

The embedded PostgreSQL 18 is built without ICU and machines rarely have the hu_HU libc
locale, so `CREATE COLLATION ... (provider = icu, locale = 'hu-HU')` is not available
everywhere we run. Instead an IMMUTABLE SQL function (created by the tenants app's
migration 0003) turns a name into a key whose byte order ("C" collation) is the
Hungarian dictionary order:

- accented vowels sort with their base letter: á=a, é=e, í=i, ó=o, ú=u (Ábel < Balázs);
- ö/ő come after o and ü/ű after u (they are letters of their own);
- the double letters cs, dz, dzs, gy, ly, ny, sz, ty, zs come after their first letter
  (Czakó < Csaba < Dénes), written as the letter plus "{", which sorts after "z".

Orderings and indexes both use `hungarian_order("name")`, so a sorted, paginated list is
an index scan. Ties (Balázs / Balazs) fall back to the next ordering column (the id).
"""

from __future__ import annotations

from django.db.models import F, Func, TextField
from django.db.models.functions import Collate

SORT_KEY_FUNCTION = "kgc_hu_sort_key"

# Kept in sync by hand with the copy in kgc_erp/tenants/migrations/0003 (migrations are
# frozen history and must not import this module).
CREATE_SORT_KEY_FUNCTION = """
CREATE OR REPLACE FUNCTION kgc_hu_sort_key(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT translate(
    replace(replace(replace(replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(
        lower(translate(value, 'ÁÉÍÓÖŐÚÜŰ', 'áéíóöőúüű') COLLATE "C"),
        'dzs', 'd{{'), 'dz', 'd{'), 'cs', 'c{'), 'gy', 'g{'), 'ly', 'l{'),
        'ny', 'n{'), 'sz', 's{'), 'ty', 't{'), 'zs', 'z{'),
        'ö', 'o{'), 'ő', 'o{'), 'ü', 'u{'), 'ű', 'u{'),
    'áéíóú', 'aeiou'
) COLLATE "C"
$$
"""
DROP_SORT_KEY_FUNCTION = "DROP FUNCTION IF EXISTS kgc_hu_sort_key(text)"


class HungarianSortKey(Func):
    function = SORT_KEY_FUNCTION
    output_field = TextField()


def hungarian_order(field: str) -> Collate:
    """The expression to order (and index) `field` by in Hungarian alphabetical order."""
    return Collate(HungarianSortKey(F(field)), "C")
