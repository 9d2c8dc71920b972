-- Database-triggered webhooks (design decision 4), the database half: a trigger on every table
-- another store mirrors writes each change to private.outbox (20261123121200_outbox.sql) in the
-- same transaction, in Supabase webhook shape, and wakes the dispatcher with NOTIFY.

-- The source row an event is about (its primary key as text), so the dispatcher can deliver one
-- row's changes strictly in order: a later change waits while an earlier one is still pending.
alter table private.outbox add column if not exists row_key text;
comment on column private.outbox.row_key is
  'Primary key of the changed row, as text; changes to one row are delivered in outbox_id order.';

create index if not exists outbox_pending_row_idx on private.outbox (table_name, row_key, outbox_id)
  where status = 'pending';

-- The outbox trigger (20261202170000_lifecycle.sql) with one more branch: the decay
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
  -- An erasure's batches (private.erase_rows_batch): the person's stores were emptied first and
  -- private.erasures turns away any later delivery of theirs, so a delete has nothing to tell.
  if tg_op = 'DELETE' and v_by_server and current_setting('dotline.deletes_to', true) = 'erased' then
    return null;
  end if;
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
  'queues deletes made under dotline.deletes_to = removals in private.lifecycle_removals, drops '
  'those made under dotline.deletes_to = erased (an erasure''s batches), and '
  'notes importance-only memory updates under dotline.updates_to = importance_changes instead.';
revoke all on function private.enqueue_change() from public, anon, authenticated;

-- On Supabase, pg_net can post the change at once (fire and forget) so the mirrors need not wait
-- for the next sweep; the outbox row stays pending and is delivered anyway (handlers are
-- idempotent). Without pg_net, or without a configured URL and secret, this does nothing.
create or replace function private.nudge_webhook(payload jsonb) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text := nullif(current_setting('dotline.webhook_url', true), '');
  v_secret text;
begin
  if v_url is null or not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net') then
    return;
  end if;
  if to_regclass('vault.decrypted_secrets') is not null then
    execute 'select decrypted_secret from vault.decrypted_secrets where name = $1'
      into v_secret using 'dotline_webhook_secret';
  end if;
  if v_secret is null then
    return;
  end if;
  execute 'select net.http_post(url := $1, body := $2, headers := $3)'
    using v_url, payload,
          jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_secret);
end;
$$;
comment on function private.nudge_webhook(jsonb) is
  'Posts a change straight to the webhook through pg_net when installed and configured; else a no-op.';
revoke all on function private.nudge_webhook(jsonb) from public, anon, authenticated;

-- Attach to every table the graph, the vector index or the cache mirrors.
do $$
declare
  v_table record;
begin
  for v_table in
    select * from (values
      ('memories', 'memory_id'), ('concepts', 'concept_id'), ('messages', 'message_id'),
      ('conversations', 'conversation_id'), ('cards', 'card_id'), ('growth_events', 'event_id'),
      ('derived_artifacts', 'artifact_id'), ('knowledge_entries', 'knowledge_entry_id'),
      ('profiles', 'user_id')
    ) as t (table_name, key_column)
  loop
    execute format('drop trigger if exists %I on public.%I', v_table.table_name || '_to_outbox', v_table.table_name);
    execute format(
      'create trigger %I after insert or update or delete on public.%I '
      'for each row execute function private.enqueue_change(%L)',
      v_table.table_name || '_to_outbox', v_table.table_name, v_table.key_column
    );
  end loop;
end;
$$;

-- The outbox trigger (20261123130000_outbox_triggers.sql) skips updates that change only
-- bookkeeping columns no mirror holds. Measured before this: decaying 100k memories wrote 100k
-- outbox rows, every api.search_knowledge call one per hit (access counts), every message one
-- for its conversation's counters, every memory read one (access tracking). Inserts and
-- deletes always enqueue; an update enqueues when anything but its table's ignored columns
-- changed. The payload is unchanged: record and old_record still carry every column.
--
-- What the webhook mirrors (shared/dotline/services/mirrored_entities.py, mirrored_cache.py),
-- and so what each table ignores (trigger arguments after the key column):
--   every table    updated_at: a stamp of some other change, never a change of its own.
--   memories       access_count, last_accessed_at (private.record_memory_access) and
--                  last_decayed_at (the decay clock). Not importance: the graph node and the
--                  vector item's importance mirror it, so a decay still enqueues.
--   knowledge_entries  access_count, last_accessed_at (private.record_knowledge_access, called by
--                  every api.search_knowledge) and vector_store_id (written by the mirror once
--                  the entry is embedded: its own echo). Content and activation still enqueue.
--   conversations  message_count, last_message_at (private.count_conversation_messages).
--                  Conversations are no graph or vector entity and publish on no channel; the
--                  cache drops only the owner's daily stats, and the message insert or delete
--                  that moved the counters enqueues its own change in the same transaction,
--                  for the same owner (messages_conversation_fk pins user_id), which drops that
--                  same key. Status, title, closing and the rest still enqueue.
-- A new column is mirrored by default: only the columns named here are ignored.
-- Re-attach with each table's ignored columns (same trigger names, same events).
do $$
declare
  v_table record;
begin
  for v_table in
    select * from (values
      ('memories', 'memory_id', array['updated_at', 'access_count', 'last_accessed_at', 'last_decayed_at']),
      ('concepts', 'concept_id', array['updated_at']),
      ('messages', 'message_id', array['updated_at']),
      ('conversations', 'conversation_id', array['updated_at', 'message_count', 'last_message_at']),
      ('cards', 'card_id', array['updated_at']),
      ('growth_events', 'event_id', array['updated_at']),
      ('derived_artifacts', 'artifact_id', array['updated_at']),
      ('knowledge_entries', 'knowledge_entry_id', array['updated_at', 'access_count', 'last_accessed_at', 'vector_store_id']),
      ('profiles', 'user_id', array['updated_at', 'last_active_at', 'last_login_at', 'next_conversation_context_package', 'knowledge_graph_schema'])
    ) as t (table_name, key_column, ignored)
  loop
    execute format('drop trigger if exists %I on public.%I', v_table.table_name || '_to_outbox', v_table.table_name);
    execute format(
      'create trigger %I after insert or update or delete on public.%I '
      'for each row execute function private.enqueue_change(%s)',
      v_table.table_name || '_to_outbox', v_table.table_name,
      (select string_agg(quote_literal(a), ', ') from unnest(v_table.key_column || v_table.ignored) as a)
    );
  end loop;
end;
$$;

-- A change posted in Supabase's own database-webhook shape carries no outbox id. The webhook
-- orders every change by its outbox id, so it finds the outbox row holding that very change
-- (shared/dotline/services/mirroring.py, placed_in_outbox): by table and row, whatever the row's
-- status, newest first, then by payload. The index serves that lookup; the pending-only index
-- of 20261123130000_outbox_triggers.sql cannot, once the change was delivered.
create index if not exists outbox_row_changes_idx on private.outbox (table_name, row_key, outbox_id);
comment on index private.outbox_row_changes_idx is
  'Every change of one source row, newest last: the webhook places a Supabase-shaped change by it.';

-- Reflections reach the pipeline: a journal reflection earns growth for the entities it
-- is about (`journal_reflection` in the growth configuration), computed by the webhook from the
-- configured deltas, so a new reflection goes through the outbox like the other mirrored rows.
-- Only inserts: growth is earned by writing a reflection; editing or deleting it takes none back.
drop trigger if exists reflections_to_outbox on public.reflections;
create trigger reflections_to_outbox
  after insert on public.reflections
  for each row execute function private.enqueue_change('reflection_id', 'updated_at');
comment on trigger reflections_to_outbox on public.reflections is
  'New reflections go to the outbox: the webhook records the growth they earn.';
