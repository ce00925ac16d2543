-- auditql warehouse, version 3 (continued): auditql.activity_object_keys as one expression, so PostgreSQL
-- inlines it into the settlement statements instead of running a SQL-function executor per activity row
-- (a 5000-event batch spent most of its settlement time there). Same results as 003_attribution.sql's
-- version: the object name split on commas, quotes and backticks removed, lower-cased, a bare name
-- qualified with the event's database when it has one.
CREATE OR REPLACE FUNCTION auditql.activity_object_keys(object_name text, database_name text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_remove(string_to_array(
    CASE WHEN database_name IS NULL
      THEN btrim(regexp_replace(lower(translate(object_name, '"`', '')), '\s*,\s*', ',', 'g'))
      ELSE regexp_replace(btrim(regexp_replace(lower(translate(object_name, '"`', '')), '\s*,\s*', ',', 'g')),
                          '(^|,)([^,.]+)(?=,|$)', '\1' || replace(lower(database_name), '\', '\\') || '.\2', 'g')
    END, ','), ''), '{}')
$$;
