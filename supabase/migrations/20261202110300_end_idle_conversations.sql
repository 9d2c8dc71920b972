-- Idle companion conversations end by themselves ("when a conversation ends, or goes
-- idle 30 minutes"): an active companion conversation (app_id null) without a message for
-- 30 minutes is ended as of its last message, which queues it for ingestion. Coaching chats keep
-- seed 004's lifecycle (active until closed, 30 days idle) and end only when a person ends them.
-- pg_cron runs it every 5 minutes through private.run_job; by hand:
--   select private.end_idle_conversations();

-- The job scans only active companion conversations, by when they last moved.
create index if not exists conversations_active_companion_idx
  on public.conversations ((coalesce(last_message_at, started_at)))
  where status = 'active' and app_id is null;

create or replace function private.end_idle_conversations(
  p_idle interval default interval '30 minutes',
  p_batch_size integer default 1000,
  p_max_batches integer default 20
) returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_ended bigint := 0;
  v_batch integer;
  v_batches integer := 0;
begin
  loop
    exit when v_batches >= p_max_batches;
    with idle as (
      select c.conversation_id
      from public.conversations c
      where c.status = 'active' and c.app_id is null
        and coalesce(c.last_message_at, c.started_at) < now() - p_idle
      order by coalesce(c.last_message_at, c.started_at)
      limit p_batch_size
      for update skip locked
    )
    update public.conversations c
    set status = 'ended',
        ended_at = greatest(c.started_at, coalesce(c.last_message_at, c.started_at))
    from idle
    where c.conversation_id = idle.conversation_id;
    get diagnostics v_batch = row_count;
    v_ended := v_ended + v_batch;
    v_batches := v_batches + 1;
    exit when v_batch < p_batch_size;
  end loop;
  return jsonb_build_object('conversations_ended', v_ended);
end;
$$;
comment on function private.end_idle_conversations(interval, integer, integer) is
  'Job: ends active companion conversations idle for p_idle (default 30 minutes) as of their last message; returns how many.';
revoke all on function private.end_idle_conversations(interval, integer, integer) from public, anon, authenticated;
grant execute on function private.end_idle_conversations(interval, integer, integer) to service_role;

create extension if not exists pg_cron;
select cron.schedule(
  'end-idle-conversations', '*/5 * * * *',
  $$select private.run_job('end-idle-conversations', 'select private.end_idle_conversations()')$$
);
