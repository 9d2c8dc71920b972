-- Erasure requests (DELETE /v1/me, shared/dotline/services/erasure.py): one row per person who
-- asked to be erased, kept until every store is verified clean. A step that fails (the graph
-- down, the Auth admin API timing out) leaves the request pending; the retention function
-- retries pending requests until each verifies clean. The row holds no personal data: the
-- person's id (which no longer names anyone once erased), the per-store counts of what went,
-- and the last error. No foreign key: the auth user it names is meant to disappear.

create table if not exists private.erasures (
  user_id uuid primary key,
  status text not null default 'pending',
  requested_at timestamptz not null default now(),
  attempts integer not null default 0,
  last_attempt_at timestamptz,
  verified_at timestamptz,
  removed jsonb not null default '{}'::jsonb,
  remaining jsonb not null default '{}'::jsonb,
  last_error text,
  constraint erasures_status_valid check (status in ('pending', 'verified')),
  constraint erasures_verified_at_iff_verified check ((status = 'verified') = (verified_at is not null)),
  constraint erasures_attempts_nonnegative check (attempts >= 0),
  constraint erasures_removed_object check (jsonb_typeof(removed) = 'object'),
  constraint erasures_remaining_object check (jsonb_typeof(remaining) = 'object')
);
comment on table private.erasures is
  'Erasure requests: pending until every store (auth, Postgres, graph, vectors, cache, media) verifies clean.';
comment on column private.erasures.removed is 'Per store, how many items the attempts removed in all.';
comment on column private.erasures.remaining is 'Per store, what the last verification still found (empty when clean).';

alter table private.erasures enable row level security;

-- The retry sweep's query: pending requests, oldest attempt first.
create index if not exists erasures_pending_idx on private.erasures (last_attempt_at nulls first)
  where status = 'pending';

revoke all on table private.erasures from public, anon, authenticated;
grant all on table private.erasures to service_role;

-- Every table holding rows owned by a person (a user_id column) in the schemas dotline writes,
-- read from the catalogue so a new table is never missed by erasure's probe or the export.
-- Partitions are left out: their parent covers them.
create or replace function private.user_owned_tables()
returns table (schema_name text, table_name text)
language sql
stable
security definer
set search_path = ''
as $$
  select n.nspname::text, c.relname::text
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped
  where c.relkind in ('r', 'p')
    and not c.relispartition
    and n.nspname in ('public', 'private', 'graph', 'vectors')
    and not (n.nspname = 'private' and c.relname in ('erasures', 'lifecycle_removals'))
  order by 1, 2
$$;
comment on function private.user_owned_tables() is
  'Tables (not partitions) with a user_id column in public, private, graph and vectors: what a person owns.';
revoke all on function private.user_owned_tables() from public, anon, authenticated;
grant execute on function private.user_owned_tables() to service_role;
