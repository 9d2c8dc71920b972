-- Messages: one table for every seed's chat turns (2dots1line conversation_messages, Hugo
-- messages). A person writes their own turns; assistant turns and their AI metadata (model,
-- confidence, tokens, timings, LLM call record) are written by the server only.

create table if not exists public.messages (
  message_id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null,
  user_id uuid not null default auth.uid(),
  role text not null,
  content text not null,
  model text,
  confidence_score numeric(3, 2),
  intimacy_code_reference text,
  generation_time_ms integer,
  tokens_used integer,
  llm_call_metadata jsonb,
  media_ids uuid[] not null default '{}',
  referenced_entities jsonb not null default '[]'::jsonb,
  metadata jsonb not null default '{}'::jsonb,
  -- clock_timestamp, not now(): turns written in one transaction still get their order.
  created_at timestamptz not null default clock_timestamp(),
  constraint messages_conversation_fk foreign key (conversation_id, user_id)
    references public.conversations (conversation_id, user_id) on delete cascade,
  constraint messages_role_valid check (role in ('user', 'assistant', 'system')),
  constraint messages_content_not_blank check (btrim(content) <> ''),
  constraint messages_model_not_blank check (model is null or btrim(model) <> ''),
  constraint messages_confidence_score_range check (confidence_score is null or confidence_score between 0 and 1),
  constraint messages_generation_time_ms_nonnegative check (generation_time_ms is null or generation_time_ms >= 0),
  constraint messages_tokens_used_nonnegative check (tokens_used is null or tokens_used >= 0),
  constraint messages_assistant_tokens_positive check (role <> 'assistant' or tokens_used is null or tokens_used > 0),
  constraint messages_llm_call_metadata_object check (llm_call_metadata is null or jsonb_typeof(llm_call_metadata) = 'object'),
  constraint messages_referenced_entities_objects check (private.is_array_of_objects(referenced_entities)),
  constraint messages_metadata_object check (jsonb_typeof(metadata) = 'object')
);
comment on table public.messages is
  'Chat turns of every seed (V7/V9.7/V11 conversation_messages, Hugo messages); AI metadata is server-written.';
comment on column public.messages.user_id is
  'The conversation''s owner, copied so the policies need no join; the composite FK keeps it equal.';
comment on column public.messages.created_at is 'V9.7/V11 conversation_messages.timestamp.';

alter table public.messages enable row level security;

create index if not exists messages_user_created_idx on public.messages (user_id, created_at desc);
create index if not exists messages_conversation_created_idx on public.messages (conversation_id, created_at);
create index if not exists messages_role_idx on public.messages (role);

-- Keeps conversations.message_count and last_message_at current; those columns are not client
-- writable, hence security definer.
create or replace function private.count_conversation_messages() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    update public.conversations
    set message_count = message_count + 1,
        last_message_at = greatest(coalesce(last_message_at, new.created_at), new.created_at)
    where conversation_id = new.conversation_id;
    return new;
  end if;
  update public.conversations
  set message_count = greatest(message_count - 1, 0)
  where conversation_id = old.conversation_id;
  return old;
end;
$$;
comment on function private.count_conversation_messages() is
  'Trigger: maintains conversations.message_count and last_message_at as messages come and go.';
revoke all on function private.count_conversation_messages() from public, anon, authenticated;

drop trigger if exists messages_count on public.messages;
create trigger messages_count
  after insert or delete on public.messages
  for each row execute function private.count_conversation_messages();

revoke all on table public.messages from anon, authenticated;
grant select, delete on table public.messages to authenticated;
grant insert (message_id, conversation_id, user_id, role, content, media_ids, referenced_entities, metadata)
  on table public.messages to authenticated;
grant all on table public.messages to service_role;

drop policy if exists "Messages are readable by their owner" on public.messages;
create policy "Messages are readable by their owner" on public.messages
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A person writes only their own turns; the assistant's come from the server.
drop policy if exists "Messages are written by their owner as the user role" on public.messages;
create policy "Messages are written by their owner as the user role" on public.messages
  for insert to authenticated
  with check (user_id = (select auth.uid()) and role = 'user');

drop policy if exists "Messages are deletable by their owner" on public.messages;
create policy "Messages are deletable by their owner" on public.messages
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- How the chat service, running as the user, stores the coach's reply with its AI metadata:
-- only into a conversation the caller owns.
create or replace function private.record_assistant_message(
  conversation_id uuid,
  content text,
  model text default null,
  confidence_score numeric default null,
  tokens_used integer default null,
  generation_time_ms integer default null,
  llm_call_metadata jsonb default null,
  intimacy_code_reference text default null,
  referenced_entities jsonb default '[]'::jsonb
) returns public.messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  owner uuid;
  saved public.messages;
begin
  select c.user_id into owner
  from public.conversations c
  where c.conversation_id = record_assistant_message.conversation_id;
  -- A signed-in caller must own the conversation; the server without claims (service_role,
  -- jobs) may write to any.
  if owner is null
     or (owner is distinct from auth.uid()
         and (auth.uid() is not null or current_setting('role') = 'authenticated')) then
    raise exception 'conversation % not found', record_assistant_message.conversation_id
      using errcode = 'no_data_found';
  end if;
  insert into public.messages (conversation_id, user_id, role, content, model, confidence_score,
                               tokens_used, generation_time_ms, llm_call_metadata,
                               intimacy_code_reference, referenced_entities)
  values (record_assistant_message.conversation_id, owner, 'assistant', record_assistant_message.content,
          record_assistant_message.model, record_assistant_message.confidence_score,
          record_assistant_message.tokens_used, record_assistant_message.generation_time_ms,
          record_assistant_message.llm_call_metadata, record_assistant_message.intimacy_code_reference,
          record_assistant_message.referenced_entities)
  returning * into saved;
  return saved;
end;
$$;
comment on function private.record_assistant_message(uuid, text, text, numeric, integer, integer, jsonb, text, jsonb) is
  'Stores an assistant turn with its AI metadata in a conversation the caller owns (service_role: any).';
revoke all on function private.record_assistant_message(uuid, text, text, numeric, integer, integer, jsonb, text, jsonb)
  from public, anon;
grant execute on function private.record_assistant_message(uuid, text, text, numeric, integer, integer, jsonb, text, jsonb)
  to authenticated, service_role;
