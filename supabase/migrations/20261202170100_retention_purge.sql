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
