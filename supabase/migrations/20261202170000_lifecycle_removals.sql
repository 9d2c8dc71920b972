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

-- The outbox trigger (last defined in 20261123150000_outbox_skip_bookkeeping.sql), unchanged but
-- for the first branch: a DELETE under `dotline.deletes_to = 'removals'`, by anyone but a
-- signed-in person, is queued for the lifecycle drain instead of the outbox.
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
begin
  if tg_op = 'DELETE'
     and current_setting('dotline.deletes_to', true) = 'removals'
     and current_setting('role', true) is distinct from 'authenticated' then
    insert into private.lifecycle_removals (table_name, row_key, user_id, version)
    values (
      tg_table_name, v_old_record ->> tg_argv[0], (v_old_record ->> 'user_id')::uuid,
      nextval(pg_catalog.pg_get_serial_sequence('private.outbox', 'outbox_id'))
    );
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
  'queues deletes made under dotline.deletes_to = removals in private.lifecycle_removals instead.';
revoke all on function private.enqueue_change() from public, anon, authenticated;

-- The pg_cron expiry and archive jobs (20261123118000_memory_jobs.sql) are bulk deletes too.
alter function private.expire_memories_batch(integer) set dotline.deletes_to = 'removals';
alter function private.archive_old_conversations_batch(integer, uuid) set dotline.deletes_to = 'removals';
