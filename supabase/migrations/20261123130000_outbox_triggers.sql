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

-- The one trigger function. TG_ARGV[0] names the table's primary-key column.
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
  'Trigger: writes the change to private.outbox (Supabase webhook shape) and notifies dotline_outbox.';
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
