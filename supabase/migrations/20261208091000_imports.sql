-- Bulk import of history (issue 19): POST /v1/imports stores a past transcript (sessions of
-- turns, each with its own time and speaker) or a batch of memories (each with its occurred_at)
-- in one transaction, with the original times; GET /v1/imports/{id} reports how far ingestion
-- got. An imported session becomes an ended conversation, so the ingestion function's claim
-- (private.claim_conversations_for_ingestion) takes it on its next run, as any other.
--
-- One row per import, owned by the person: readable by them only; written only through
-- private.record_import (security definer: imported turns keep their own created_at and may be
-- the assistant's, which a person may not write directly). A repeated import id stores nothing
-- and answers the first import; the same id with other content is a conflict.

create table if not exists public.imports (
  import_id uuid not null,
  user_id uuid not null default auth.uid(),
  kind text not null,
  request_hash text not null,
  conversation_ids uuid[] not null default '{}',
  session_count integer not null default 0,
  turn_count integer not null default 0,
  memory_count integer not null default 0,
  received_at timestamptz not null default now(),
  constraint imports_pkey primary key (user_id, import_id),
  constraint imports_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint imports_kind_valid check (kind in ('transcript', 'memories')),
  constraint imports_request_hash_length check (char_length(request_hash) between 1 and 128),
  constraint imports_counts_nonnegative check (session_count >= 0 and turn_count >= 0 and memory_count >= 0)
);
comment on table public.imports is
  'Bulk imports of history (POST /v1/imports): what each stored; progress is read from its conversations.';
comment on column public.imports.import_id is
  'The client''s import_id, else derived from its Idempotency-Key, else from the content: a repeat answers the first.';
comment on column public.imports.conversation_ids is 'The conversations the import''s sessions became, in order.';

alter table public.imports enable row level security;

revoke all on table public.imports from anon, authenticated;
grant select on table public.imports to authenticated;
grant all on table public.imports to service_role;

drop policy if exists "Imports are readable by their owner" on public.imports;
create policy "Imports are readable by their owner" on public.imports
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Stores one import as the caller (auth.uid()), whole or not at all. p_document is what the API
-- validated: {"sessions": [{"conversation_id", "title", "started_at", "ended_at", "metadata",
-- "turns": [{"role", "content", "created_at", "metadata"}]}]} or {"memories": [{"memory_id",
-- "title", "content", "occurred_at", "memory_type", "tags"}]}. Every session becomes an ended
-- conversation created, started and ended at its own times, every turn a message at its own
-- time, every memory a memory with its occurred_at. A known import id stores nothing and
-- returns the first import (replayed), conflicting when its content hash differs.
create or replace function private.record_import(
  p_import_id uuid,
  p_kind text,
  p_request_hash text,
  p_document jsonb
) returns table (
  import_id uuid,
  kind text,
  received_at timestamptz,
  replayed boolean,
  conflicting boolean
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_first public.imports;
  v_sessions integer := 0;
  v_turns integer := 0;
  v_memories integer := 0;
begin
  if v_user is null then
    raise exception 'record_import needs an authenticated caller' using errcode = '42501';
  end if;
  if p_kind not in ('transcript', 'memories') then
    raise exception 'unknown import kind %', p_kind using errcode = '22023';
  end if;
  insert into public.imports as i (import_id, user_id, kind, request_hash)
  values (p_import_id, v_user, p_kind, p_request_hash)
  on conflict on constraint imports_pkey do nothing;
  if not found then
    select * into v_first from public.imports i where i.user_id = v_user and i.import_id = p_import_id;
    return query select v_first.import_id, v_first.kind, v_first.received_at, true,
                        v_first.request_hash <> p_request_hash;
    return;
  end if;

  if p_kind = 'transcript' then
    insert into public.conversations (conversation_id, user_id, title, status, metadata, created_at,
                                      started_at, ended_at)
    select s.conversation_id, v_user, s.title, 'ended',
           coalesce(s.metadata, '{}'::jsonb) || jsonb_build_object('import_id', p_import_id),
           s.started_at, s.started_at, s.ended_at
      from jsonb_to_recordset(p_document -> 'sessions') as s(
             conversation_id uuid, title text, started_at timestamptz, ended_at timestamptz,
             metadata jsonb);
    get diagnostics v_sessions = row_count;
    insert into public.messages (conversation_id, user_id, role, content, metadata, created_at)
    select (s ->> 'conversation_id')::uuid, v_user, t.role, t.content,
           coalesce(t.metadata, '{}'::jsonb), t.created_at
      from jsonb_array_elements(p_document -> 'sessions') as s
      cross join lateral jsonb_to_recordset(s -> 'turns') as t(
             role text, content text, created_at timestamptz, metadata jsonb);
    get diagnostics v_turns = row_count;
  else
    insert into public.memories (memory_id, user_id, memory_type, title, content, occurred_at,
                                 creation_ts, tags, attributes)
    select m.memory_id, v_user, coalesce(m.memory_type, 'memory'), m.title, m.content,
           m.occurred_at, m.occurred_at, coalesce(m.tags, '{}'),
           jsonb_build_object('import_id', p_import_id)
      from jsonb_to_recordset(p_document -> 'memories') as m(
             memory_id uuid, memory_type text, title text, content text, occurred_at timestamptz,
             tags text[]);
    get diagnostics v_memories = row_count;
  end if;

  update public.imports i
  set conversation_ids = coalesce(array(
        select (s ->> 'conversation_id')::uuid
        from jsonb_array_elements(coalesce(p_document -> 'sessions', '[]'::jsonb)) with ordinality as e(s, n)
        order by n), '{}'),
      session_count = v_sessions, turn_count = v_turns, memory_count = v_memories
  where i.user_id = v_user and i.import_id = p_import_id
  returning * into v_first;
  return query select v_first.import_id, v_first.kind, v_first.received_at, false, false;
end;
$$;
comment on function private.record_import(uuid, text, text, jsonb) is
  'Stores the caller''s import (sessions as ended conversations with their messages, or memories) with the original times, in one transaction; a known import id stores nothing and returns the first (conflicting when its content differs).';
revoke all on function private.record_import(uuid, text, text, jsonb) from public, anon;
grant execute on function private.record_import(uuid, text, text, jsonb) to authenticated;

-- The caller's import with how far ingestion got over its conversations: how many exist still,
-- how many are processed, being processed, or given up on (ingestion's bookkeeping is private,
-- hence security definer; only the caller's own import is ever read). No row: not theirs.
create or replace function private.import_progress(p_import_id uuid)
returns table (
  import_id uuid,
  kind text,
  received_at timestamptz,
  session_count integer,
  turn_count integer,
  memory_count integer,
  conversations integer,
  processed integer,
  processing integer,
  failed integer,
  finished_at timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  select i.import_id, i.kind, i.received_at, i.session_count, i.turn_count, i.memory_count,
         count(c.conversation_id)::integer,
         count(*) filter (where c.status = 'processed')::integer,
         count(*) filter (where c.status = 'processing' and g.gave_up_at is null)::integer,
         count(*) filter (where c.status <> 'processed' and g.gave_up_at is not null)::integer,
         max(g.finished_at)
  from public.imports i
  left join public.conversations c
    on c.conversation_id = any(i.conversation_ids) and c.user_id = i.user_id
  left join private.conversation_ingestions g on g.conversation_id = c.conversation_id
  where i.user_id = auth.uid() and i.import_id = p_import_id
  group by i.user_id, i.import_id
$$;
comment on function private.import_progress(uuid) is
  'The caller''s import with its conversations'' ingestion counts (processed, processing, given up); no row when it is not theirs.';
revoke all on function private.import_progress(uuid) from public, anon;
grant execute on function private.import_progress(uuid) to authenticated;
