"""The Hungarian sort key function that name orderings and indexes use.

See kgc_erp/hungarian/collation.py for why (no ICU in the embedded PostgreSQL) and how.
A frozen copy of its SQL: migrations must not import application code.
"""

from django.db import migrations

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


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0002_headquarters_tenant"),
    ]

    operations = [
        migrations.RunSQL(CREATE_SORT_KEY_FUNCTION, reverse_sql=DROP_SORT_KEY_FUNCTION),
    ]
