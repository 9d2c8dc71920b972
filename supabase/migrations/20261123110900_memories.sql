-- Memories: one table for the companion's memory units (V7/V9.7/V11 memory_units) and the
-- coach's user memories (Hugo user_memories). Importance decays when a memory goes unused and
-- a memory may expire; both are the server's to set (see 20261123118000_memory_jobs.sql).

create table if not exists public.memories (
  memory_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  app_id uuid,
  source_conversation_id uuid,
  memory_type text not null default 'memory',
  title text,
  content text not null,
  importance numeric(3, 2) not null default 0.50,
  decay_rate numeric(3, 2) not null default 0.05,
  sentiment_score double precision,
  creation_ts timestamptz not null default now(),
  occurred_at timestamptz,
  location jsonb,
  people jsonb not null default '[]'::jsonb,
  emotions jsonb not null default '[]'::jsonb,
  media_urls text[] not null default '{}',
  attributes jsonb not null default '{}'::jsonb,
  tags text[] not null default '{}',
  access_count integer not null default 0,
  last_accessed_at timestamptz,
  last_decayed_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint memories_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint memories_app_fk foreign key (app_id) references public.apps (app_id),
  constraint memories_id_user_unique unique (memory_id, user_id),
  constraint memories_source_conversation_fk foreign key (source_conversation_id, user_id)
    references public.conversations (conversation_id, user_id) on delete set null (source_conversation_id),
  constraint memories_memory_type_length check (char_length(memory_type) between 1 and 64),
  constraint memories_coaching_memory_type_valid check (
    app_id is null or memory_type in ('conversation_context', 'user_preference', 'milestone', 'insight')
  ),
  constraint memories_title_length check (title is null or char_length(btrim(title)) between 1 and 255),
  constraint memories_title_required_outside_coaching check (app_id is not null or title is not null),
  constraint memories_content_not_blank check (btrim(content) <> ''),
  constraint memories_importance_range check (importance between 0 and 1),
  constraint memories_decay_rate_range check (decay_rate between 0 and 1),
  constraint memories_sentiment_score_range check (sentiment_score is null or sentiment_score between -1 and 1),
  constraint memories_location_object check (location is null or jsonb_typeof(location) = 'object'),
  constraint memories_people_objects check (private.is_array_of_objects(people)),
  constraint memories_emotions_objects check (private.is_array_of_objects(emotions)),
  constraint memories_attributes_object check (jsonb_typeof(attributes) = 'object'),
  constraint memories_access_count_nonnegative check (access_count >= 0),
  constraint memories_expires_after_created check (expires_at is null or expires_at > created_at)
);
comment on table public.memories is
  'Memories of every seed: V7/V9.7/V11 memory_units and Hugo user_memories (app_id set), with decay and expiry.';
comment on column public.memories.creation_ts is 'When the memory was authored at its source (V9.7/V11 creation_ts).';
comment on column public.memories.created_at is 'When dotline stored it (V9.7/V11 ingestion_ts, V7 and Hugo created_at).';
comment on column public.memories.updated_at is
  'Last change to what the memory says (V9.7/V11 last_modified_ts, V7 updated_at); decay and access do not count.';
comment on column public.memories.importance is
  'Hugo importance / V9.7 importance_score, 0-1; lowered by decay_rate a day once unused for 30 days.';
comment on column public.memories.last_decayed_at is
  'When decay last lowered importance: decay applies at most once a day, however often the job runs.';

alter table public.memories enable row level security;

create index if not exists memories_user_created_idx on public.memories (user_id, created_at desc);
create index if not exists memories_user_app_type_idx on public.memories (user_id, app_id, memory_type);
create index if not exists memories_user_importance_idx on public.memories (user_id, importance desc);
create index if not exists memories_tags_idx on public.memories using gin (tags);
create index if not exists memories_source_conversation_idx on public.memories (source_conversation_id)
  where source_conversation_id is not null;
create index if not exists memories_app_idx on public.memories (app_id) where app_id is not null;
create index if not exists memories_expires_idx on public.memories (expires_at) where expires_at is not null;

-- updated_at moves only when what the memory says changes (not on access, decay or unlinking).
drop trigger if exists memories_set_updated_at on public.memories;
create trigger memories_set_updated_at
  before update of memory_type, title, content, creation_ts, occurred_at, location, people, emotions,
                   media_urls, attributes, tags, app_id, expires_at
  on public.memories
  for each row execute function private.set_updated_at();

-- Seed 004: a coaching memory expires "based on user retention settings". When the writer gives
-- no expires_at, a coaching memory lives for the owner's data_retention_days; the companion's own
-- memories (app_id null) do not expire by default.
create or replace function private.default_memory_expiry() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.expires_at is null and new.app_id is not null then
    select new.created_at + make_interval(days => p.data_retention_days)
      into new.expires_at
    from public.profiles p
    where p.user_id = new.user_id;
  end if;
  return new;
end;
$$;
comment on function private.default_memory_expiry() is
  'Trigger: a coaching memory without expires_at expires after its owner''s data_retention_days.';
revoke all on function private.default_memory_expiry() from public, anon, authenticated;

drop trigger if exists memories_default_expiry on public.memories;
create trigger memories_default_expiry
  before insert on public.memories
  for each row execute function private.default_memory_expiry();

-- Importance, decay, sentiment and access bookkeeping are the server's; a person writes what
-- the memory says and when it should expire.
revoke all on table public.memories from anon, authenticated;
grant select, delete on table public.memories to authenticated;
grant insert (memory_id, user_id, app_id, source_conversation_id, memory_type, title, content, creation_ts,
              occurred_at, location, people, emotions, media_urls, attributes, tags, expires_at)
  on table public.memories to authenticated;
grant update (app_id, source_conversation_id, memory_type, title, content, creation_ts, occurred_at, location,
              people, emotions, media_urls, attributes, tags, expires_at)
  on table public.memories to authenticated;
grant all on table public.memories to service_role;

drop policy if exists "Memories are readable by their owner" on public.memories;
create policy "Memories are readable by their owner" on public.memories
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Memories are created by their owner" on public.memories;
create policy "Memories are created by their owner" on public.memories
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Memories are editable by their owner" on public.memories;
create policy "Memories are editable by their owner" on public.memories
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists "Memories are deletable by their owner" on public.memories;
create policy "Memories are deletable by their owner" on public.memories
  for delete to authenticated
  using (user_id = (select auth.uid()));

-- Using a memory (retrieval into a chat, opening it) resets its decay clock. The columns are not
-- client-writable, hence security definer; it touches only the caller's memories.
create or replace function private.record_memory_access(memory_ids uuid[]) returns integer
language sql
security definer
set search_path = ''
as $$
  with touched as (
    update public.memories m
    set access_count = m.access_count + 1,
        last_accessed_at = now()
    where m.memory_id = any (memory_ids)
      and (m.user_id = auth.uid() or (auth.uid() is null and current_setting('role') <> 'authenticated'))
    returning 1
  )
  select count(*)::integer from touched
$$;
comment on function private.record_memory_access(uuid[]) is
  'Counts an access to each of the caller''s given memories and stamps last_accessed_at; returns how many.';
revoke all on function private.record_memory_access(uuid[]) from public, anon;
grant execute on function private.record_memory_access(uuid[]) to authenticated, service_role;

-- Memories a newer one replaces (ingestion): when a person says something that
-- contradicts what an earlier memory holds ("I live in Paris", later "I moved to Berlin"), the
-- earlier memory is not deleted (it was true then) but marked invalid from the moment the newer
-- one was said, and points at it. Both columns are the server's (ingestion); the client grants on
-- public.memories name their columns, so neither is writable by a person.
alter table public.memories add column if not exists invalid_at timestamptz;
alter table public.memories add column if not exists superseded_by uuid;
comment on column public.memories.invalid_at is
  'When a newer memory (superseded_by) replaced what this one says; null while it holds.';
comment on column public.memories.superseded_by is
  'The newer memory that contradicts and replaces this one (set by ingestion).';

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'memories_superseded_by_fk') then
    alter table public.memories
      add constraint memories_superseded_by_fk foreign key (superseded_by, user_id)
      references public.memories (memory_id, user_id) on delete set null (superseded_by);
  end if;
end
$$;

create index if not exists memories_superseded_by_idx on public.memories (superseded_by)
  where superseded_by is not null;
