-- Search documents: one weighted tsvector per searchable memory, concept and derived artifact,
-- the full-text half of GET /v1/search (api.search_candidates, 20261202130100).
--
-- Why a table of its own and not a generated column on each source table: a stored column would
-- travel in every outbox payload (to_jsonb(new)) and in memory_history.old_values, which the
-- history route hands back to people. Triggers keep a document exactly for each searchable row:
-- every memory (expiry is checked at query time, so a memory past expires_at but not yet purged
-- never matches), every active concept (merged and archived ones are left out) and every derived
-- artifact. Ranking needs the stored vector: computing to_tsvector per matching row at query
-- time measured 350 ms for 10k matches against 17 ms with the vector stored.

-- btree_gin lets one GIN index hold (user_id, search_vector), so a query's terms are looked up
-- within the caller's documents instead of across every user's.
create extension if not exists btree_gin with schema extensions;

-- One weighting for every document: A for what names the thing, B for what it says, C for the
-- rest (tags, narratives).
create or replace function private.search_vector(named text, said text, other text) returns tsvector
language sql immutable parallel safe
set search_path = ''
as $$
  select setweight(to_tsvector('english'::regconfig, coalesce(named, '')), 'A')
      || setweight(to_tsvector('english'::regconfig, coalesce(said, '')), 'B')
      || setweight(to_tsvector('english'::regconfig, coalesce(other, '')), 'C')
$$;
comment on function private.search_vector(text, text, text) is
  'The weighted tsvector of a search document: name/title A, content/description B, tags/narrative C.';
revoke all on function private.search_vector(text, text, text) from public, anon;
grant execute on function private.search_vector(text, text, text) to authenticated, service_role;

create table if not exists public.search_documents (
  entity_type text not null,
  entity_id uuid not null,
  user_id uuid not null,
  app_id uuid,
  created_at timestamptz not null,
  expires_at timestamptz,
  search_vector tsvector not null,
  indexed_at timestamptz not null default now(),
  constraint search_documents_pkey primary key (entity_type, entity_id),
  constraint search_documents_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint search_documents_entity_type_valid check (entity_type in ('memory', 'concept', 'artifact'))
);
comment on table public.search_documents is
  'The full-text index of a person''s memories, active concepts and derived artifacts; trigger-maintained, read by api.search_candidates.';
comment on column public.search_documents.created_at is 'The source row''s created_at (the search''s date filters).';
comment on column public.search_documents.expires_at is 'A memory''s expires_at: past it, the document never matches.';

alter table public.search_documents enable row level security;

create index if not exists search_documents_user_vector_idx
  on public.search_documents using gin (user_id, search_vector);

revoke all on table public.search_documents from anon, authenticated;
grant select on table public.search_documents to authenticated;
grant all on table public.search_documents to service_role;

drop policy if exists "Search documents are readable by their owner" on public.search_documents;
create policy "Search documents are readable by their owner" on public.search_documents
  for select to authenticated
  using (user_id = (select auth.uid()));


-- Writes (or replaces) one document; the triggers below call it. Security definer: nobody but
-- these triggers writes search_documents.
create or replace function private.put_search_document(
  p_entity_type text, p_entity_id uuid, p_user_id uuid, p_app_id uuid, p_created_at timestamptz,
  p_expires_at timestamptz, p_vector tsvector
) returns void
language sql
security definer
set search_path = ''
as $$
  insert into public.search_documents (entity_type, entity_id, user_id, app_id, created_at, expires_at, search_vector)
  values (p_entity_type, p_entity_id, p_user_id, p_app_id, p_created_at, p_expires_at, p_vector)
  on conflict (entity_type, entity_id) do update
  set user_id = excluded.user_id, app_id = excluded.app_id, created_at = excluded.created_at,
      expires_at = excluded.expires_at, search_vector = excluded.search_vector, indexed_at = now()
$$;
comment on function private.put_search_document(text, uuid, uuid, uuid, timestamptz, timestamptz, tsvector) is
  'Upserts one search document (called by the search-document triggers only).';
revoke all on function private.put_search_document(text, uuid, uuid, uuid, timestamptz, timestamptz, tsvector)
  from public, anon, authenticated;

create or replace function private.index_memory_for_search() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    delete from public.search_documents where entity_type = 'memory' and entity_id = old.memory_id;
    return null;
  end if;
  perform private.put_search_document(
    'memory', new.memory_id, new.user_id, new.app_id, new.created_at, new.expires_at,
    private.search_vector(new.title, new.content, private.tags_as_text(new.tags)));
  return null;
end;
$$;
comment on function private.index_memory_for_search() is
  'Trigger: keeps the memory''s search document (title A, content B, tags C) in step with the row.';
revoke all on function private.index_memory_for_search() from public, anon, authenticated;

-- Only columns the document holds: decay, access counting and the like never re-index.
drop trigger if exists memories_search_document on public.memories;
create trigger memories_search_document
  after insert or delete or update of user_id, app_id, title, content, tags, created_at, expires_at
  on public.memories
  for each row execute function private.index_memory_for_search();

create or replace function private.index_concept_for_search() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    delete from public.search_documents where entity_type = 'concept' and entity_id = old.concept_id;
  elsif new.status = 'active' then
    perform private.put_search_document(
      'concept', new.concept_id, new.user_id, null, new.created_at, null,
      private.search_vector(new.name, new.description, null));
  else
    delete from public.search_documents where entity_type = 'concept' and entity_id = new.concept_id;
  end if;
  return null;
end;
$$;
comment on function private.index_concept_for_search() is
  'Trigger: an active concept has a search document (name A, description B); merged or archived ones do not.';
revoke all on function private.index_concept_for_search() from public, anon, authenticated;

drop trigger if exists concepts_search_document on public.concepts;
create trigger concepts_search_document
  after insert or delete or update of user_id, name, description, status, created_at
  on public.concepts
  for each row execute function private.index_concept_for_search();

create or replace function private.index_artifact_for_search() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    delete from public.search_documents where entity_type = 'artifact' and entity_id = old.artifact_id;
    return null;
  end if;
  perform private.put_search_document(
    'artifact', new.artifact_id, new.user_id, null, new.created_at, null,
    private.search_vector(new.title, new.description, new.content_narrative));
  return null;
end;
$$;
comment on function private.index_artifact_for_search() is
  'Trigger: keeps the derived artifact''s search document (title A, description B, narrative C) in step.';
revoke all on function private.index_artifact_for_search() from public, anon, authenticated;

drop trigger if exists derived_artifacts_search_document on public.derived_artifacts;
create trigger derived_artifacts_search_document
  after insert or delete or update of user_id, title, description, content_narrative, created_at
  on public.derived_artifacts
  for each row execute function private.index_artifact_for_search();


-- Rows written before this migration.
insert into public.search_documents (entity_type, entity_id, user_id, app_id, created_at, expires_at, search_vector)
select 'memory', m.memory_id, m.user_id, m.app_id, m.created_at, m.expires_at,
       private.search_vector(m.title, m.content, private.tags_as_text(m.tags))
from public.memories m
union all
select 'concept', c.concept_id, c.user_id, null, c.created_at, null, private.search_vector(c.name, c.description, null)
from public.concepts c where c.status = 'active'
union all
select 'artifact', a.artifact_id, a.user_id, null, a.created_at, null,
       private.search_vector(a.title, a.description, a.content_narrative)
from public.derived_artifacts a
on conflict (entity_type, entity_id) do nothing;
