-- Catalogue access: the `api` schema for server-side hot paths, the admin-claim test that guards
-- every catalogue write (apps, personality schemas, knowledge), and small check helpers the
-- following migrations share.

-- Hot-path functions the dotline services call as the signed-in user (security invoker, so RLS
-- applies). Not listed in the Data API's exposed schemas: mobile apps cannot reach it directly.
create schema if not exists api;
comment on schema api is
  'Hot-path SQL functions dotline services call as the user; not exposed through the Data API.';
revoke all on schema api from public, anon;
grant usage on schema api to authenticated, service_role;

-- One rule for "may edit the catalogue": the verified token carries app_metadata.role = admin.
-- app_metadata is writable only through Supabase Auth's admin API, never by the user.
create or replace function private.has_admin_claim() returns boolean
language sql stable
set search_path = ''
as $$
  select coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false)
$$;
comment on function private.has_admin_claim() is
  'Policy helper: true when the request token''s app_metadata.role is admin (catalogue editors).';
revoke all on function private.has_admin_claim() from public, anon;
grant execute on function private.has_admin_claim() to authenticated, service_role;

-- Check helper: X.Y.Z, each part a non-negative integer without leading zeros.
create or replace function private.is_semantic_version(version text) returns boolean
language sql immutable
set search_path = ''
as $$
  select version ~ '^(0|[1-9][0-9]*)[.](0|[1-9][0-9]*)[.](0|[1-9][0-9]*)$'
$$;
comment on function private.is_semantic_version(text) is
  'Check helper: is version a semantic version X.Y.Z (seed 004 validation rule).';
revoke all on function private.is_semantic_version(text) from public, anon;
grant execute on function private.is_semantic_version(text) to authenticated, service_role;

-- Check helper: a lowercase identifier with single underscores (apps.slug, knowledge_bases.slug).
create or replace function private.is_snake_case_slug(slug text) returns boolean
language sql immutable
set search_path = ''
as $$
  select slug ~ '^[a-z][a-z0-9]*(_[a-z0-9]+)*$' and char_length(slug) <= 64
$$;
comment on function private.is_snake_case_slug(text) is
  'Check helper: lowercase letters, digits and single underscores, at most 64 characters.';
revoke all on function private.is_snake_case_slug(text) from public, anon;
grant execute on function private.is_snake_case_slug(text) to authenticated, service_role;

-- Check helper: no element repeats (check constraints cannot hold subqueries).
create or replace function private.has_no_duplicates(items text[]) returns boolean
language sql immutable
set search_path = ''
as $$
  select cardinality(items) = (select count(distinct item) from unnest(items) as item)
$$;
comment on function private.has_no_duplicates(text[]) is
  'Check helper: true when the array holds no element twice (nulls not allowed either).';
revoke all on function private.has_no_duplicates(text[]) from public, anon;
grant execute on function private.has_no_duplicates(text[]) to authenticated, service_role;

-- Check helper: a JSON array whose elements are all objects (seed JSONB[] columns).
create or replace function private.is_array_of_objects(items jsonb) returns boolean
language sql immutable
set search_path = ''
as $$
  select jsonb_typeof(items) = 'array'
     and not exists (
       select from jsonb_array_elements(items) as element where jsonb_typeof(element) <> 'object'
     )
$$;
comment on function private.is_array_of_objects(jsonb) is
  'Check helper: items is a JSON array of objects (replaces the seeds'' JSONB[] columns).';
revoke all on function private.is_array_of_objects(jsonb) from public, anon;
grant execute on function private.is_array_of_objects(jsonb) to authenticated, service_role;
