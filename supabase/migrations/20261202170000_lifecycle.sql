-- Bulk deletes reach the graph, the vectors and the cache through a compact queue, not the
-- outbox. A retention purge of a million rows would otherwise write a million outbox rows, each
-- delivered as its own signed webhook call, burying every person's live changes behind it.
--
-- A statement that runs with `dotline.deletes_to = 'removals'` (the retention and expiry batch
-- functions carry it as a function setting; erasure sets it in its transaction) has each DELETE
-- of a mirrored row written to private.lifecycle_removals instead, in the same transaction.
-- The retention function (functions/retention, shared/dotline/services/lifecycle_removals.py)
-- drains the queue in batches: removes each row from the stores (idempotent), records a
-- tombstone in private.mirrored_rows so a late outbox delivery of an older change cannot bring
-- it back, and deletes the queue rows. A drain killed half-way leaves its rows queued; the next
-- run removes them again, to the same effect. Inserts and updates always go to the outbox.
create table if not exists private.lifecycle_removals (
  removal_id bigint generated always as identity primary key,
  table_name text not null,
  row_key text not null,
  user_id uuid,
  version bigint not null,
  queued_at timestamptz not null default now(),
  constraint lifecycle_removals_table_name_length check (char_length(table_name) between 1 and 63),
  constraint lifecycle_removals_row_key_length check (char_length(row_key) between 1 and 128)
);
comment on table private.lifecycle_removals is
  'Rows a bulk delete removed from Postgres, queued for removal from graph, vectors and cache.';
comment on column private.lifecycle_removals.version is
  'Drawn from the outbox id sequence, so the tombstone orders after every change the outbox carried.';

alter table private.lifecycle_removals enable row level security;

-- The drain takes one owner's removals together, so each store gets one call per owner, not
-- one per row (a purge deletes in key order, which interleaves every owner).
create index if not exists lifecycle_removals_user_idx on private.lifecycle_removals (user_id, removal_id);
revoke all on table private.lifecycle_removals from public, anon, authenticated;
grant all on table private.lifecycle_removals to service_role;

-- The pg_cron expiry and archive jobs (20261123118000_memory_jobs.sql) are bulk deletes too.
alter function private.expire_memories_batch(integer) set dotline.deletes_to = 'removals';
alter function private.archive_old_conversations_batch(integer, uuid) set dotline.deletes_to = 'removals';

-- Per-person retention (profiles.data_retention_days) over conversations, messages, memories and
-- behaviour events, as batch functions the retention function (functions/retention) calls, one
-- transaction per batch. The fixed rules stay where they are: expiry and the 90-day archive of
-- closed conversations (20261123118000_memory_jobs.sql, pg_cron), behaviour events after 2 years
-- and closed suggestions after 1 year (20261123121500_maintenance_jobs.sql, pg_cron).
--
-- A batch walks the table's primary key from after_key, like the decay job: the next
-- batch_size keys in key order, then the rows among them older than their owner's retention,
-- row-locked with skip locked (never waiting on a person's open transaction), then deleted.
-- One call is one bounded statement; a run is one pass. A run killed half-way and started
-- again re-walks from the start and finds the rows it already deleted gone: nothing is done
-- twice. Deletes go to private.lifecycle_removals (20261202170000), not the outbox.
-- With p_user_id the walk covers that person's rows only (through their user_id index).
-- The age each table's retention is measured by, and its key: one place for the batch and the
-- preview. A conversation's age is its last activity, so a live chat is never cut off.
create or replace function private.retention_rule(p_table text, out key_column text, out age_expression text)
language sql immutable parallel safe
set search_path = ''
as $$
  select r.key_column, r.age_expression
  from (values
    ('conversations', 'conversation_id', 'coalesce(t.last_message_at, t.created_at)'),
    ('messages', 'message_id', 't.created_at'),
    ('memories', 'memory_id', 't.created_at'),
    ('behaviour_events', 'event_id', 't.created_at')
  ) as r (table_name, key_column, age_expression)
  where r.table_name = p_table
$$;
comment on function private.retention_rule(text) is
  'Key column and age expression (over alias t) of a table under per-person retention; null row: no rule.';
revoke all on function private.retention_rule(text) from public, anon, authenticated;
grant execute on function private.retention_rule(text) to service_role;

create or replace function private.purge_past_retention_batch(
  p_table text,
  p_batch_size integer default 1000,
  p_after_key uuid default null,
  p_user_id uuid default null
) returns table (processed integer, last_key uuid)
language plpgsql
security definer
set search_path = ''
set dotline.deletes_to = 'removals'
set dotline.skip_memory_history = 'on'
as $$
declare
  v_rule record;
begin
  select * into v_rule from private.retention_rule(p_table);
  if v_rule.key_column is null then
    raise exception 'no retention rule for table %', p_table using errcode = '22023';
  end if;
  -- Dynamic SQL is planned per call (a custom plan), which the keyset walk needs.
  return query execute format($sql$
    with keys as (
      select t.%1$I as key
      from public.%2$I t
      where t.%1$I > coalesce($1, '00000000-0000-0000-0000-000000000000'::uuid)
        and ($2::uuid is null or t.user_id = $2)
      order by t.%1$I
      limit $3
    ),
    batch as (
      select t.%1$I as key
      from public.%2$I t
      join keys k on k.key = t.%1$I
      join public.profiles p on p.user_id = t.user_id
      where %3$s < now() - make_interval(days => p.data_retention_days)
      for update of t skip locked
    ),
    gone as (
      delete from public.%2$I t using batch b
      where t.%1$I = b.key
      returning t.user_id, t.%1$I as key
    ),
    forgotten as (
      delete from public.memory_history h using gone g
      where %2$L = 'memories' and h.memory_id = g.key
    )
    select (select count(*)::integer from gone),
           (select k.key from keys k order by k.key desc limit 1)
  $sql$, v_rule.key_column, p_table, v_rule.age_expression)
  using p_after_key, p_user_id, p_batch_size;
end;
$$;
comment on function private.purge_past_retention_batch(text, integer, uuid, uuid) is
  'One retention batch over a table: the next batch_size keys after p_after_key (of p_user_id, or '
  'everyone); deletes those older than their owner''s data_retention_days. Returns rows deleted '
  'and the last key scanned (null: done).';
revoke all on function private.purge_past_retention_batch(text, integer, uuid, uuid) from public, anon, authenticated;
grant execute on function private.purge_past_retention_batch(text, integer, uuid, uuid) to service_role;

-- What a retention run would change, counted and changed nothing (the CLI's --dry-run).
create or replace function private.preview_retention(p_user_id uuid default null) returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_table text;
  v_rule record;
  v_count bigint;
  v_counts jsonb := '{}'::jsonb;
begin
  foreach v_table in array array['conversations', 'messages', 'memories', 'behaviour_events'] loop
    select * into v_rule from private.retention_rule(v_table);
    execute format($sql$
      select count(*) from public.%1$I t join public.profiles p on p.user_id = t.user_id
      where ($1::uuid is null or t.user_id = $1)
        and %2$s < now() - make_interval(days => p.data_retention_days)
    $sql$, v_table, v_rule.age_expression) into v_count using p_user_id;
    v_counts := v_counts || jsonb_build_object(v_table || '_past_retention', v_count);
  end loop;
  return v_counts || jsonb_build_object(
    'expired_memories', (select count(*) from public.memories m
                         where m.expires_at <= now() and (p_user_id is null or m.user_id = p_user_id)),
    'closed_conversations_to_archive', (
      select count(*) from public.conversations c join public.profiles p on p.user_id = c.user_id
      where c.closed_at < now() - make_interval(days => private.closed_conversation_retention_days(p.data_retention_days))
        and (p_user_id is null or c.user_id = p_user_id)),
    'queued_store_removals', (select count(*) from private.lifecycle_removals r
                              where p_user_id is null or r.user_id = p_user_id),
    -- pg_cron's own retention jobs (20261123121500_maintenance_jobs.sql), for the full picture.
    'behaviour_events_past_2_years', (
      select count(*) from public.behaviour_events b
      where b.created_at < now() - interval '2 years' and (p_user_id is null or b.user_id = p_user_id)),
    'closed_suggestions_past_1_year', (
      select count(*) from public.suggestions s
      where s.created_at < now() - interval '1 year' and (s.is_acted_upon or s.is_dismissed)
        and (p_user_id is null or s.user_id = p_user_id))
  );
end;
$$;
comment on function private.preview_retention(uuid) is
  'Counts what retention would remove (per-person rules, expiry, archive, queued store removals, and '
  'pg_cron''s 2-year behaviour-event and 1-year suggestion purges), changing nothing.';
revoke all on function private.preview_retention(uuid) from public, anon, authenticated;
grant execute on function private.preview_retention(uuid) to service_role;

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

-- The notes are the server's bookkeeping, not a person's data (as the removal queue is not).
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
    and not (n.nspname = 'private' and c.relname in ('erasures', 'lifecycle_removals', 'importance_changes'))
  order by 1, 2
$$;
comment on function private.user_owned_tables() is
  'Tables (not partitions) with a user_id column in public, private, graph and vectors: what a person owns.';
revoke all on function private.user_owned_tables() from public, anon, authenticated;
grant execute on function private.user_owned_tables() to service_role;

-- A person's rows across every table they own (private.user_owned_tables(), from the catalogue):
-- counted, for erasure's verification, and read out as JSON, for GET /v1/me/export. Security
-- definer because they read tables service_role has no grant on (auth.users, partitions); both
-- only ever read, and only the named person's rows. Service role only.
-- Per table, how many rows the person still has (tables with none left out); auth.users too.
create or replace function private.count_user_rows(p_user_id uuid) returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_table record;
  v_count bigint;
  v_counts jsonb := '{}'::jsonb;
begin
  for v_table in select * from private.user_owned_tables() loop
    execute format('select count(*) from %I.%I where user_id = $1', v_table.schema_name, v_table.table_name)
      into v_count using p_user_id;
    if v_count > 0 then
      v_counts := v_counts || jsonb_build_object(v_table.schema_name || '.' || v_table.table_name, v_count);
    end if;
  end loop;
  if exists (select 1 from auth.users u where u.id = p_user_id) then
    v_counts := v_counts || jsonb_build_object('auth.users', 1);
  end if;
  return v_counts;
end;
$$;
comment on function private.count_user_rows(uuid) is
  'Erasure probe: per owned table (and auth.users), how many rows of the person remain; {} when none.';
revoke all on function private.count_user_rows(uuid) from public, anon, authenticated;
grant execute on function private.count_user_rows(uuid) to service_role;

-- The person's rows of one owned table as JSON objects, without stored vectors (bytea, and no
-- use to a person), in a stable order. Refuses a table that is not one a person owns.
create or replace function private.export_user_rows(p_user_id uuid, p_schema text, p_table text)
returns setof jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from private.user_owned_tables() o
                 where o.schema_name = p_schema and o.table_name = p_table) then
    raise exception 'not a table a person owns: %.%', p_schema, p_table using errcode = '22023';
  end if;
  return query execute format(
    'select to_jsonb(t) - ''vector'' from %I.%I t where t.user_id = $1 order by 1', p_schema, p_table
  ) using p_user_id;
end;
$$;
comment on function private.export_user_rows(uuid, text, text) is
  'Export: the person''s rows of one owned table as JSON (stored vectors left out).';
revoke all on function private.export_user_rows(uuid, text, text) from public, anon, authenticated;
grant execute on function private.export_user_rows(uuid, text, text) to service_role;

-- Decay reaches the vector index and the graph by a batched re-sync, not one outbox delivery per
-- memory. Measured before this: every decayed memory wrote an outbox row, and each delivery
-- re-embedded the memory's text to change one number; a million memories past 30 days unused
-- meant a million deliveries a day queued in front of everyone's live changes.
--
-- An UPDATE of a memory under `dotline.updates_to = 'importance_changes'` (the decay batch
-- function carries it as a function setting) that changes only importance and bookkeeping is
-- noted in private.importance_changes (one row per memory, however often it decays) instead of
-- the outbox. The retention function (shared/dotline/services/importance_sync.py) reads the
-- current importance of the noted memories, sets it on their vector items and graph nodes owner
-- by owner, and clears the notes it applied. Any other change to a memory still goes through
-- the outbox, carrying importance with it.
create table if not exists private.importance_changes (
  memory_id uuid primary key,
  user_id uuid not null,
  noted_at timestamptz not null default clock_timestamp()
);
comment on table private.importance_changes is
  'Memories whose importance changed by decay since the last re-sync of the vector index and graph.';

alter table private.importance_changes enable row level security;
create index if not exists importance_changes_user_idx on private.importance_changes (user_id, memory_id);
revoke all on table private.importance_changes from public, anon, authenticated;
grant all on table private.importance_changes to service_role;

alter function private.decay_memory_importance_batch(integer, uuid) set dotline.updates_to = 'importance_changes';

