-- Per-app progress kept by the pipeline (Hugo `user_progress`): each coaching
-- conversation, message and memory counts toward the person's progress in its app, in the same
-- transaction as the row, so the totals are exact under retries and concurrent writers. Totals
-- count what happened: deleting a message later does not take the activity back. Milestones are
-- appended once each as the totals cross their thresholds.

-- The milestones a set of totals has reached, in threshold order.
create or replace function private.progress_milestones(
  p_conversations integer, p_messages integer, p_memories integer
) returns text[]
language sql
immutable
set search_path = ''
as $$
  select coalesce(array_agg(m.name order by m.ord), '{}')
  from (values
    (1, 'first_conversation', p_conversations >= 1),
    (2, 'ten_conversations', p_conversations >= 10),
    (3, 'fifty_conversations', p_conversations >= 50),
    (4, 'first_memory', p_memories >= 1),
    (5, 'ten_memories', p_memories >= 10),
    (6, 'hundred_messages', p_messages >= 100),
    (7, 'thousand_messages', p_messages >= 1000)
  ) as m(ord, name, reached)
  where m.reached
$$;
comment on function private.progress_milestones(integer, integer, integer) is
  'Milestone names reached by a person''s conversation, message and memory totals in one app.';
revoke all on function private.progress_milestones(integer, integer, integer) from public, anon, authenticated;

-- Adds to a person's totals in one app (creating the row on first activity) and appends the
-- milestones newly reached, keeping the ones already there first and never repeating one.
-- progress_data.memories holds the memory count (the seed's row has no column for it).
create or replace function private.count_app_progress(
  p_user_id uuid, p_app_id uuid, p_conversations integer, p_messages integer, p_memories integer
) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_progress public.user_progress;
  v_memories integer;
begin
  insert into public.user_progress as up (user_id, app_id, total_conversations, total_messages, progress_data)
  values (p_user_id, p_app_id, p_conversations, p_messages, jsonb_build_object('memories', p_memories))
  on conflict (user_id, app_id) do update
    set total_conversations = up.total_conversations + p_conversations,
        total_messages = up.total_messages + p_messages,
        progress_data = up.progress_data || jsonb_build_object(
          'memories', coalesce((up.progress_data ->> 'memories')::integer, 0) + p_memories)
  returning * into v_progress;
  v_memories := coalesce((v_progress.progress_data ->> 'memories')::integer, 0);
  update public.user_progress
  set milestones_reached = milestones_reached || array(
        select m from unnest(private.progress_milestones(
          v_progress.total_conversations, v_progress.total_messages, v_memories)) as m
        where m <> all (milestones_reached))
  where user_progress_id = v_progress.user_progress_id
    and not private.progress_milestones(
          v_progress.total_conversations, v_progress.total_messages, v_memories)
        <@ milestones_reached;
end;
$$;
comment on function private.count_app_progress(uuid, uuid, integer, integer, integer) is
  'Adds activity to a person''s progress in one app and appends newly reached milestones once.';
revoke all on function private.count_app_progress(uuid, uuid, integer, integer, integer)
  from public, anon, authenticated;

-- Trigger on conversations, messages and memories (insert only): counts coaching activity.
create or replace function private.count_progress_activity() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_app_id uuid;
begin
  if tg_table_name = 'messages' then
    select c.app_id into v_app_id from public.conversations c
    where c.conversation_id = new.conversation_id;
  else
    v_app_id := new.app_id;
  end if;
  if v_app_id is null then
    return null;  -- the companion's own activity belongs to no app
  end if;
  perform private.count_app_progress(
    new.user_id, v_app_id,
    (tg_table_name = 'conversations')::integer,
    (tg_table_name = 'messages')::integer,
    (tg_table_name = 'memories')::integer);
  return null;
end;
$$;
comment on function private.count_progress_activity() is
  'Trigger: counts a new coaching conversation, message or memory toward the person''s app progress.';
revoke all on function private.count_progress_activity() from public, anon, authenticated;

drop trigger if exists conversations_count_progress on public.conversations;
create trigger conversations_count_progress
  after insert on public.conversations
  for each row execute function private.count_progress_activity();

drop trigger if exists messages_count_progress on public.messages;
create trigger messages_count_progress
  after insert on public.messages
  for each row execute function private.count_progress_activity();

drop trigger if exists memories_count_progress on public.memories;
create trigger memories_count_progress
  after insert on public.memories
  for each row execute function private.count_progress_activity();
