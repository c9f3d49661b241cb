"""Accent-insensitive similar-name search for customers/duplicates.

`bot_api_fold(text)` = lower(unaccent(text)), declared IMMUTABLE (unaccent itself is only
STABLE because its dictionary could change) so that it can be indexed, with the
dictionary named explicitly so the result does not depend on search_path. The GIN trigram
index on bot_api_fold(partners_partner.name) keeps the `%` similarity search fast at
100 000 partners. Reversing the migration (removing the plugin) drops both again.
"""

from django.db import migrations

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION bot_api_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$;
"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS bot_api_fold(text);"

CREATE_INDEX = """
CREATE INDEX IF NOT EXISTS botapi_partner_name_fold_trgm
ON partners_partner USING gin (bot_api_fold(name) gin_trgm_ops);
"""
DROP_INDEX = "DROP INDEX IF EXISTS botapi_partner_name_fold_trgm;"


class Migration(migrations.Migration):

    dependencies = [
        ("support_bot_api", "0001_initial"),
        ("partners", "0001_initial"),
    ]

    operations = [
        # Kept on reverse: another app may use unaccent too.
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS unaccent;", migrations.RunSQL.noop),
        migrations.RunSQL(CREATE_FUNCTION, DROP_FUNCTION),
        migrations.RunSQL(CREATE_INDEX, DROP_INDEX),
    ]
