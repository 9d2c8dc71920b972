-- Memory sources: the statements a memory stands for. A person who says the same thing in three
-- conversations has one memory with three sources (count, first and last seen), not three
-- near-identical memories. Ingestion writes a source for every memory it creates and, when a
-- statement repeats one of the person's live and current memories of the same type (same words
-- once case, accents, punctuation and spacing are normalised: `private.statement_key`), adds a
-- source to that memory instead of a new memory. A merge and its undoing are steps of the
-- memory's history (operation MERGE, UNMERGE); `private.unmerge_memory_source` splits a merged
-- statement back out into a memory of its own.

-- The normalised form of a statement, hashed: what two sayings of it have in common. Immutable,
-- so the index below serves the lookup; one btree probe whatever the size of the corpus.
create or replace function private.statement_key(statement text) returns text
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select encode(sha256(convert_to(
    btrim(regexp_replace(lower(normalize(statement, NFKC)), '[^[:alnum:]]+', ' ', 'g')), 'UTF8')), 'hex')
$$;
comment on function private.statement_key(text) is
  'A statement''s dedup key: sha256 of it lower-cased, NFKC-normalised, punctuation and spacing collapsed.';
revoke all on function private.statement_key(text) from public, anon, authenticated;
grant execute on function private.statement_key(text) to service_role;

create table if not exists public.memory_sources (
  memory_source_id bigint generated always as identity primary key,
  memory_id uuid not null,
  user_id uuid not null,
  conversation_id uuid,
  message_id uuid not null,
  said_at timestamptz not null,
  title text,
  content text not null,
  statement_key text not null,
  merged_at timestamptz,
  created_at timestamptz not null default now(),
  constraint memory_sources_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint memory_sources_memory_fk foreign key (memory_id, user_id)
    references public.memories (memory_id, user_id) on delete cascade,
  constraint memory_sources_conversation_fk foreign key (conversation_id, user_id)
    references public.conversations (conversation_id, user_id) on delete set null (conversation_id),
  constraint memory_sources_one_per_message unique (user_id, message_id),
  constraint memory_sources_content_not_blank check (btrim(content) <> '')
);
comment on table public.memory_sources is
  'The statements (conversation turns) each ingested memory stands for: its evidence; written by ingestion only.';
comment on column public.memory_sources.merged_at is
  'When this statement was merged into an existing memory; null for the statement the memory was written from.';
comment on column public.memory_sources.statement_key is 'private.statement_key(content): the dedup lookup key.';

alter table public.memory_sources enable row level security;

create index if not exists memory_sources_statement_idx on public.memory_sources (user_id, statement_key);
create index if not exists memory_sources_memory_idx on public.memory_sources (memory_id, said_at);
create index if not exists memory_sources_conversation_idx on public.memory_sources (conversation_id)
  where conversation_id is not null;

revoke all on table public.memory_sources from anon, authenticated;
revoke all on sequence public.memory_sources_memory_source_id_seq from anon, authenticated;
grant select on table public.memory_sources to authenticated;
grant all on table public.memory_sources to service_role;

drop policy if exists "Memory sources are readable by their owner" on public.memory_sources;
create policy "Memory sources are readable by their owner" on public.memory_sources
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A merge and an unmerge are steps of the memory's history beside its edits.
alter table public.memory_history drop constraint if exists memory_history_operation_valid;
alter table public.memory_history add constraint memory_history_operation_valid
  check (operation in ('UPDATE', 'DELETE', 'MERGE', 'UNMERGE'));

-- Where an ingested statement goes: the memory an earlier run placed it in; else a live, current
-- memory of the person's of the same type saying the same (the statement becomes one more source
-- of it, and a MERGE step of its history); else null, and the caller writes `p_memory_id` and its
-- source. A per-person transaction lock serialises two ingestions of one person from here to
-- their commit, so neither creates a second copy nor loses a source.
create or replace function private.place_statement(
  p_user_id uuid, p_memory_id uuid, p_memory_type text, p_conversation_id uuid, p_message_id uuid,
  p_said_at timestamptz, p_title text, p_content text
) returns uuid
language plpgsql
set search_path = ''
as $$
declare
  v_key text := private.statement_key(p_content);
  v_target uuid;
  v_source public.memory_sources;
begin
  perform pg_advisory_xact_lock(hashtextextended('memory_statements:' || p_user_id::text, 0));
  select s.memory_id into v_target from public.memory_sources s
  where s.user_id = p_user_id and s.message_id = p_message_id;
  if found then
    return v_target;
  end if;
  select m.memory_id into v_target
  from public.memory_sources s
  join public.memories m on m.memory_id = s.memory_id and m.user_id = s.user_id
  where s.user_id = p_user_id and s.statement_key = v_key and m.memory_id <> p_memory_id
    and m.memory_type = p_memory_type and m.invalid_at is null
    and (m.expires_at is null or m.expires_at > now())
  order by m.creation_ts, m.memory_id
  limit 1;
  if v_target is null then
    return null;
  end if;
  insert into public.memory_sources
    (memory_id, user_id, conversation_id, message_id, said_at, title, content, statement_key, merged_at)
  values (v_target, p_user_id, p_conversation_id, p_message_id, p_said_at, p_title, p_content, v_key, now())
  returning * into v_source;
  insert into public.memory_history (memory_id, user_id, operation, old_values, changed_columns, changed_by)
  values (v_target, p_user_id, 'MERGE', to_jsonb(v_source), '{evidence}', auth.uid());
  return v_target;
end;
$$;
comment on function private.place_statement(uuid, uuid, text, uuid, uuid, timestamptz, text, text) is
  'Ingestion: the memory a statement joins as one more source (recorded as a MERGE), or null for a new one.';
revoke all on function private.place_statement(uuid, uuid, text, uuid, uuid, timestamptz, text, text)
  from public, anon, authenticated;
grant execute on function private.place_statement(uuid, uuid, text, uuid, uuid, timestamptz, text, text)
  to service_role;

-- Undo a merge: the caller's merged statement becomes a memory of its own again (its words, its
-- conversation, its time; the rest as the memory it was merged into), the source moves with it,
-- and the memory it leaves records an UNMERGE step. Security definer: sources and history are
-- not client-writable; it acts on the caller's rows only. Returns the outcome and the new id.
create or replace function private.unmerge_memory_source(p_memory_id uuid, p_source_id bigint)
returns table (outcome text, memory_id uuid)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_source public.memory_sources;
  v_new uuid := gen_random_uuid();
begin
  select s.* into v_source from public.memory_sources s
  join public.memories m on m.memory_id = s.memory_id and m.user_id = s.user_id
  where s.memory_source_id = p_source_id and s.memory_id = p_memory_id and s.user_id = auth.uid()
    and (m.expires_at is null or m.expires_at > now())
  for update of s;
  if not found then
    return query select 'not_found'::text, null::uuid;
    return;
  end if;
  if v_source.merged_at is null then
    return query select 'original'::text, null::uuid;
    return;
  end if;
  insert into public.memories
    (memory_id, user_id, app_id, source_conversation_id, memory_type, title, content, importance,
     decay_rate, sentiment_score, creation_ts, occurred_at, location, people, emotions, tags, attributes,
     expires_at)
  select v_new, m.user_id, m.app_id, v_source.conversation_id, m.memory_type,
         coalesce(v_source.title, m.title), v_source.content, m.importance, m.decay_rate,
         m.sentiment_score, v_source.said_at, v_source.said_at, m.location, m.people, m.emotions,
         m.tags,
         m.attributes - 'contradicts' || jsonb_build_object('ingestion', jsonb_build_object(
           'conversation_id', v_source.conversation_id, 'message_id', v_source.message_id),
           'unmerged_from', m.memory_id),
         m.expires_at
  from public.memories m where m.memory_id = p_memory_id;
  update public.memory_sources s set memory_id = v_new, merged_at = null
  where s.memory_source_id = p_source_id;
  insert into public.memory_history (memory_id, user_id, operation, old_values, changed_columns, changed_by)
  values (p_memory_id, v_source.user_id, 'UNMERGE',
          to_jsonb(v_source) || jsonb_build_object('split_into', v_new), '{evidence}', auth.uid());
  return query select 'split'::text, v_new;
end;
$$;
comment on function private.unmerge_memory_source(uuid, bigint) is
  'Splits a merged statement (a source) of the caller''s memory back out into its own memory; records UNMERGE.';
revoke all on function private.unmerge_memory_source(uuid, bigint) from public, anon;
grant execute on function private.unmerge_memory_source(uuid, bigint) to authenticated, service_role;

-- Memories ingested before sources existed: the statement each was written from.
insert into public.memory_sources
  (memory_id, user_id, conversation_id, message_id, said_at, title, content, statement_key)
select m.memory_id, m.user_id, m.source_conversation_id,
       (m.attributes -> 'ingestion' ->> 'message_id')::uuid, m.creation_ts, m.title, m.content,
       private.statement_key(m.content)
from public.memories m
where m.attributes -> 'ingestion' ? 'message_id'
on conflict do nothing;
