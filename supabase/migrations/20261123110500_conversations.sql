-- Conversations: one table for every seed's chat sessions (2dots1line V7/V9.7/V11 conversations,
-- Hugo conversations). app_id is set for coaching chats and null for the companion's own.

create table if not exists public.conversations (
  conversation_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  app_id uuid,
  session_id uuid,
  title text,
  status text not null default 'active',
  importance_score double precision,
  context_summary text,
  source_card_id uuid,
  message_count integer not null default 0,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  started_at timestamptz not null default now(),
  last_message_at timestamptz,
  ended_at timestamptz,
  closed_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint conversations_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint conversations_app_fk foreign key (app_id) references public.apps (app_id),
  -- Lets messages and memories reference (conversation_id, user_id), so nothing links across users.
  constraint conversations_id_user_unique unique (conversation_id, user_id),
  constraint conversations_session_id_unique_per_user unique (user_id, session_id),
  constraint conversations_session_id_uuid_v4 check (
    session_id is null
    or session_id::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
  ),
  constraint conversations_title_length check (title is null or char_length(title) between 1 and 255),
  constraint conversations_status_valid check (status in ('active', 'ended', 'processing', 'processed', 'closed')),
  constraint conversations_closed_has_closed_at check (status <> 'closed' or closed_at is not null),
  constraint conversations_message_count_nonnegative check (message_count >= 0),
  constraint conversations_metadata_object check (jsonb_typeof(metadata) = 'object'),
  constraint conversations_closed_after_created check (closed_at is null or closed_at >= created_at),
  constraint conversations_ended_after_started check (ended_at is null or ended_at >= started_at),
  constraint conversations_last_message_after_created check (last_message_at is null or last_message_at >= created_at)
);
comment on table public.conversations is
  'Chat sessions of every seed (2dots1line V7/V9.7/V11, Hugo); app_id set for coaching chats.';
comment on column public.conversations.session_id is
  'Client-generated UUIDv4 (seed 004): re-sending a create with the same session_id finds the same conversation.';
comment on column public.conversations.source_card_id is
  'The card that started the conversation (V9.7); its foreign key to cards is added with the cards table.';
comment on column public.conversations.message_count is 'Maintained by trigger on messages.';

alter table public.conversations enable row level security;

-- conversations_session_id_unique_per_user (user_id, session_id) also serves user_id lookups.
create index if not exists conversations_user_status_idx on public.conversations (user_id, status);
create index if not exists conversations_user_app_recent_idx
  on public.conversations (user_id, app_id, last_message_at desc nulls last);
create index if not exists conversations_app_idx on public.conversations (app_id);
create index if not exists conversations_source_card_idx on public.conversations (source_card_id)
  where source_card_id is not null;
-- The archive job walks closed conversations in key order.
create index if not exists conversations_closed_idx on public.conversations (conversation_id)
  where closed_at is not null;
-- The inactivity-close job walks open coaching conversations in key order.
create index if not exists conversations_open_coaching_idx on public.conversations (conversation_id)
  where app_id is not null and closed_at is null;

drop trigger if exists conversations_set_updated_at on public.conversations;
create trigger conversations_set_updated_at
  before update on public.conversations
  for each row execute function private.set_updated_at();

-- importance_score, context_summary, message_count and last_message_at are the server's
-- (ingestion and the message trigger); a person opens, titles, ends and closes a conversation.
revoke all on table public.conversations from anon, authenticated;
grant select, delete on table public.conversations to authenticated;
grant insert (conversation_id, user_id, app_id, session_id, title, status, source_card_id, metadata,
              started_at, ended_at, closed_at)
  on table public.conversations to authenticated;
grant update (title, status, metadata, ended_at, closed_at) on table public.conversations to authenticated;
grant all on table public.conversations to service_role;

drop policy if exists "Conversations are readable by their owner" on public.conversations;
create policy "Conversations are readable by their owner" on public.conversations
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Conversations are created by their owner" on public.conversations;
create policy "Conversations are created by their owner" on public.conversations
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Conversations are editable by their owner" on public.conversations;
create policy "Conversations are editable by their owner" on public.conversations
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists "Conversations are deletable by their owner" on public.conversations;
create policy "Conversations are deletable by their owner" on public.conversations
  for delete to authenticated
  using (user_id = (select auth.uid()));
