-- Knowledge entries edited by admins: deactivated (kept, but searched by nobody) and versioned (a
-- counter that moves with every change of what the entry says), and knowledge searched by meaning
-- as well as by words: the entry's embedding lives in the vector store (catalogue tenant), named
-- by vector_store_id once indexed, and private.knowledge_near re-reads what the index found.

alter table public.knowledge_entries
  add column if not exists is_active boolean not null default true,
  add column if not exists version integer not null default 1;

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'knowledge_entries_version_positive') then
    alter table public.knowledge_entries
      add constraint knowledge_entries_version_positive check (version >= 1);
  end if;
end;
$$;

comment on column public.knowledge_entries.is_active is
  'False once an admin deactivated the entry: no search returns it; admins still read it.';
comment on column public.knowledge_entries.version is
  'Starts at 1 and moves by one with each change of title, content, category, tags, section or metadata (private.bump_knowledge_entry_version).';
comment on column public.knowledge_entries.vector_store_id is
  'The entry''s item in the vector store (the catalogue tenant), set by the mirror once it is embedded; null until then.';

grant update (is_active) on table public.knowledge_entries to authenticated;

-- A version is what the entry says; activation and indexing leave it alone.
create or replace function private.bump_knowledge_entry_version() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (new.title, new.content, new.category, new.tags, new.section_number, new.metadata)
     is distinct from (old.title, old.content, old.category, old.tags, old.section_number, old.metadata) then
    new.version := old.version + 1;
  else
    new.version := old.version;
  end if;
  return new;
end;
$$;
comment on function private.bump_knowledge_entry_version() is
  'Trigger: knowledge_entries.version + 1 when the entry''s text, category, tags, section or metadata change; otherwise unchanged.';
revoke all on function private.bump_knowledge_entry_version() from public, anon, authenticated;

drop trigger if exists knowledge_entries_bump_version on public.knowledge_entries;
create trigger knowledge_entries_bump_version
  before update on public.knowledge_entries
  for each row execute function private.bump_knowledge_entry_version();

-- Deactivated entries leave every signed-in reader's view but an admin's.
drop policy if exists "Active knowledge entries are readable by signed-in users" on public.knowledge_entries;
create policy "Active knowledge entries are readable by signed-in users" on public.knowledge_entries
  for select to authenticated
  using (
    (select private.has_admin_claim())
    or (
      is_active
      and exists (
        select from public.knowledge_bases kb
        where kb.knowledge_base_id = knowledge_entries.knowledge_base_id and kb.is_active
      )
    )
  );

-- The vector channel's half: which of the entries the index found near a query are active
-- entries of the app's active knowledge bases, with their similarity as relevance.
create or replace function private.knowledge_near(app text, near_ids uuid[], near_scores real[])
returns table (
  knowledge_entry_id uuid,
  knowledge_base_id uuid,
  knowledge_base_slug text,
  title text,
  content text,
  category text,
  tags text[],
  relevance real
)
language sql
stable
security invoker
set search_path = ''
as $$
  select ke.knowledge_entry_id, ke.knowledge_base_id, kb.slug, ke.title, ke.content, ke.category,
         ke.tags, near.score
  from unnest(near_ids, near_scores) as near (entry_id, score)
  join public.knowledge_entries ke on ke.knowledge_entry_id = near.entry_id and ke.is_active
  join public.knowledge_bases kb on kb.knowledge_base_id = ke.knowledge_base_id and kb.is_active
  join public.app_knowledge_bases akb on akb.knowledge_base_id = kb.knowledge_base_id
  join public.apps a on a.app_id = akb.app_id
  where (a.slug = app or a.app_id::text = lower(app)) and a.is_active
$$;
comment on function private.knowledge_near(text, uuid[], real[]) is
  'The entries the vector index found near a query (ids with their similarity), kept when they are active entries of the app''s active knowledge bases. Security invoker.';
revoke all on function private.knowledge_near(text, uuid[], real[]) from public, anon;
grant execute on function private.knowledge_near(text, uuid[], real[]) to authenticated, service_role;

-- GET /v1/apps/{app}/knowledge: words and meaning together. Each channel's relevance is divided
-- by its best, and the two add up (an entry both found ranks above one found by either); the
-- best max_results are counted as accessed and returned as one jsonb array, best first, each
-- hit naming the channels that found it.
create or replace function api.knowledge_hits_by_meaning(
  query text, app text, max_results integer, near_ids uuid[], near_scores real[]
)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  hits jsonb;
begin
  with text_hits as (
    select * from private.knowledge_matches(query, app, 100)
  ),
  vector_hits as (
    select * from private.knowledge_near(app, near_ids, near_scores)
  ),
  scored as (
    select coalesce(t.knowledge_entry_id, v.knowledge_entry_id) as knowledge_entry_id,
           coalesce(t.knowledge_base_id, v.knowledge_base_id) as knowledge_base_id,
           coalesce(t.knowledge_base_slug, v.knowledge_base_slug) as knowledge_base_slug,
           coalesce(t.title, v.title) as title, coalesce(t.content, v.content) as content,
           coalesce(t.category, v.category) as category, coalesce(t.tags, v.tags) as tags,
           (coalesce(t.relevance / nullif(max(t.relevance) over (), 0), 0)
            + coalesce(v.relevance / nullif(max(v.relevance) over (), 0), 0))::real as relevance,
           array_remove(array[case when t.knowledge_entry_id is not null then 'text' end,
                              case when v.knowledge_entry_id is not null then 'vector' end], null) as channels
    from text_hits t
    full join vector_hits v on v.knowledge_entry_id = t.knowledge_entry_id
  ),
  best as (
    select * from scored order by relevance desc, title, knowledge_entry_id
    limit greatest(least(max_results, 100), 0)
  )
  select coalesce(jsonb_agg(to_jsonb(best) order by best.relevance desc, best.title, best.knowledge_entry_id),
                  '[]'::jsonb)
  into hits
  from best;
  if jsonb_array_length(hits) > 0 then
    perform private.record_knowledge_access(
      array(select (h ->> 'knowledge_entry_id')::uuid from jsonb_array_elements(hits) h)
    );
  end if;
  return hits;
end;
$$;
comment on function api.knowledge_hits_by_meaning(text, text, integer, uuid[], real[]) is
  'An app''s knowledge best matching a query by words (private.knowledge_matches) and by meaning (the vector index''s near_ids and their near_scores, re-read by private.knowledge_near): relevance is each channel''s score over its best, summed; at most max_results (100), best first, each with its channels; counts each returned entry''s access. Security invoker.';
revoke all on function api.knowledge_hits_by_meaning(text, text, integer, uuid[], real[]) from public, anon;
grant execute on function api.knowledge_hits_by_meaning(text, text, integer, uuid[], real[]) to authenticated, service_role;
