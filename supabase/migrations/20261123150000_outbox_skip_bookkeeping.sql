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
--                  every api.search_knowledge). Neither the graph, the vectors nor the cache
--                  hold knowledge entries today; their content changes still enqueue.
--   conversations  message_count, last_message_at (private.count_conversation_messages).
--                  Conversations are no graph or vector entity and publish on no channel; the
--                  cache drops only the owner's daily stats, and the message insert or delete
--                  that moved the counters enqueues its own change in the same transaction,
--                  for the same owner (messages_conversation_fk pins user_id), which drops that
--                  same key. Status, title, closing and the rest still enqueue.
-- A new column is mirrored by default: only the columns named here are ignored.

-- The one trigger function. TG_ARGV[0] names the table's primary-key column; TG_ARGV[1:] the
-- columns an update may change without an outbox row.
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
  'skips updates that change only the columns named after the key column in its arguments.';
revoke all on function private.enqueue_change() from public, anon, authenticated;

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
      ('knowledge_entries', 'knowledge_entry_id', array['updated_at', 'access_count', 'last_accessed_at']),
      ('profiles', 'user_id', array['updated_at'])
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
