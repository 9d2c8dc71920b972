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

-- The outbox trigger (20261202170000_lifecycle_removals.sql) with one more branch: the decay
-- note. Everything else is as before.
create or replace function private.enqueue_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_record jsonb := case when tg_op = 'DELETE' then null else to_jsonb(new) end;
  v_old_record jsonb := case when tg_op = 'INSERT' then null else to_jsonb(old) end;
  v_payload jsonb;
  v_outbox_id bigint;
  v_by_server boolean := current_setting('role', true) is distinct from 'authenticated';
begin
  if tg_op = 'DELETE' and v_by_server and current_setting('dotline.deletes_to', true) = 'removals' then
    insert into private.lifecycle_removals (table_name, row_key, user_id, version)
    values (
      tg_table_name, v_old_record ->> tg_argv[0], (v_old_record ->> 'user_id')::uuid,
      nextval(pg_catalog.pg_get_serial_sequence('private.outbox', 'outbox_id'))
    );
    return null;
  end if;
  if tg_op = 'UPDATE' and tg_table_name = 'memories' and v_by_server
     and current_setting('dotline.updates_to', true) = 'importance_changes'
     and v_record - tg_argv[1:] - 'importance' = v_old_record - tg_argv[1:] - 'importance' then
    insert into private.importance_changes (memory_id, user_id)
    values ((v_record ->> tg_argv[0])::uuid, (v_record ->> 'user_id')::uuid)
    on conflict (memory_id) do update set noted_at = excluded.noted_at;
    return null;
  end if;
  if tg_op = 'UPDATE' and v_record - tg_argv[1:] = v_old_record - tg_argv[1:] then
    return null;  -- only bookkeeping moved: nothing a mirror holds changed
  end if;
  v_payload := jsonb_build_object(
    'type', tg_op, 'table', tg_table_name, 'schema', tg_table_schema,
    'record', v_record, 'old_record', v_old_record
  );
  insert into private.outbox (topic, event_type, schema_name, table_name, row_key, payload)
  values (
    tg_table_schema || '.' || tg_table_name, tg_op, tg_table_schema, tg_table_name,
    coalesce(v_record, v_old_record) ->> tg_argv[0], v_payload
  )
  returning outbox_id into v_outbox_id;
  -- Delivered only on commit; the payload is just the id (NOTIFY payloads are capped at 8 kB).
  perform pg_notify('dotline_outbox', v_outbox_id::text);
  perform private.nudge_webhook(v_payload || jsonb_build_object('outbox_id', v_outbox_id));
  return null;
end;
$$;
comment on function private.enqueue_change() is
  'Trigger: writes the change to private.outbox (Supabase webhook shape) and notifies dotline_outbox; '
  'skips updates that change only the columns named after the key column in its arguments; '
  'queues deletes made under dotline.deletes_to = removals in private.lifecycle_removals and '
  'notes importance-only memory updates under dotline.updates_to = importance_changes instead.';
revoke all on function private.enqueue_change() from public, anon, authenticated;

alter function private.decay_memory_importance_batch(integer, uuid) set dotline.updates_to = 'importance_changes';

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
