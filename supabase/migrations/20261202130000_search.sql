-- Search documents: one weighted tsvector per searchable memory, concept and derived artifact,
-- the full-text half of GET /v1/search (api.search_candidates, 20261202130000).
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
  perform private.put_search_document(
    'memory', new.memory_id, new.user_id, new.app_id, new.created_at, new.expires_at,
    private.search_vector(new.title, new.content, private.tags_as_text(new.tags)));
  return null;
end;
$$;
comment on function private.index_memory_for_search() is
  'Trigger: keeps the memory''s search document (title A, content B, tags C) in step with the row.';
revoke all on function private.index_memory_for_search() from public, anon, authenticated;

-- Only columns the document holds: decay, access counting and the like never re-index. New
-- and deleted memories get theirs written and removed once per statement
-- (memories_search_documents_added and _removed, 20261209130000): a document written or removed
-- per row was a statement per row, each moving the person's counts.
drop trigger if exists memories_search_document on public.memories;
create trigger memories_search_document
  after update of user_id, app_id, title, content, tags, created_at, expires_at
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

create or replace function private.search_terms(query text, out words text[], out lexemes text[])
language plpgsql immutable parallel safe
set search_path = ''
as $$
begin
  select coalesce(array_agg(t.word order by t.ord), '{}'), coalesce(array_agg(t.lexeme order by t.ord), '{}')
    into words, lexemes
  from (
    select distinct on (l.lexeme) w.word, l.lexeme, w.ord
    from regexp_split_to_table(lower(coalesce(query, '')), '[^[:alnum:]]+') with ordinality as w (word, ord)
    cross join lateral unnest(tsvector_to_array(to_tsvector('english'::regconfig, w.word))) as l (lexeme)
    where w.word <> ''
    order by l.lexeme, w.ord
  ) as t;
end;
$$;
comment on function private.search_terms(text) is
  'A search query''s words that carry meaning and their English lexemes (letters and digits only), in query order.';
revoke all on function private.search_terms(text) from public, anon;
grant execute on function private.search_terms(text) to authenticated, service_role;

create or replace function private.search_text_hits(
  query text,
  entity_types text[],
  app uuid,
  created_after timestamptz,
  created_before timestamptz,
  max_hits integer,
  memory_filter jsonb default null
)
returns table (entity_type text, entity_id uuid, text_rank real, text_strength real, matched_terms text[])
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
declare
  me uuid := auth.uid();
  cap integer := least(greatest(coalesce(max_hits, 0), 0), 200);
  terms record;
  n_docs bigint;
  dfs integer[];
  idfs double precision[];
  match_tsq tsquery;
  any_common tsquery;  -- only common words: any of them, when no document has them all
  newest integer;      -- only common words: rank the newest matches only
begin
  terms := private.search_terms(query);
  if me is null or cap = 0 or cardinality(terms.lexemes) = 0 then
    return;
  end if;
  select c.documents into n_docs from private.search_document_counts c where c.user_id = me;
  if coalesce(n_docs, 0) = 0 then
    return;
  end if;
  -- Each word's documents, as kept (20261210100000), not counted.
  select array_agg(coalesce(t.documents, 0) order by x.ord) into dfs
  from unnest(terms.lexemes) with ordinality as x (lexeme, ord)
  left join private.search_term_counts t on t.user_id = me and t.lexeme = x.lexeme;
  idfs := array(select ln(1 + (n_docs - x.df + 0.5) / (x.df + 0.5))
                from unnest(dfs) with ordinality as x (df, ord) order by x.ord);
  -- Lexemes are letters and digits only (the words were split on everything else), so quoting
  -- them is safe; a cast, unlike to_tsquery, does not stem them a second time.
  select string_agg('''' || x.lexeme || '''', ' | ')::tsquery into match_tsq
  from unnest(terms.lexemes, dfs) as x (lexeme, df)
  where x.df > 0 and x.df <= greatest(20, n_docs * 0.05);
  if match_tsq is null then
    -- Only common words: the documents with all of them, else (none has them all) with any.
    select string_agg('''' || x.lexeme || '''', ' & ')::tsquery,
           case when count(*) > 1 then string_agg('''' || x.lexeme || '''', ' | ')::tsquery end
      into match_tsq, any_common
    from unnest(terms.lexemes, dfs) as x (lexeme, df) where x.df > 0;
    newest := cap * 4;
  end if;
  if match_tsq is null then
    return;  -- no query word occurs in any of the caller's documents
  end if;
  loop
    return query
    select h.entity_type, h.entity_id, h.rank,
           least(1, m.idf / ln(1 + (n_docs - 0.5) / 1.5))::real, m.words
    from (
      select d.entity_type, d.entity_id, d.search_vector, ts_rank_cd(d.search_vector, match_tsq) as rank
      from (
        -- Planned for the actual values (plan_cache_mode): without newest, the ordering and the
        -- limit fold away; with it, the newest matches come off search_documents_user_created_idx
        -- (only common words: ranking reads each match's vector, so only the newest cap * 4).
        select d.entity_type, d.entity_id, d.search_vector
        from public.search_documents d
        where d.user_id = me
          and d.search_vector @@ match_tsq
          and (entity_types is null or d.entity_type = any (entity_types))
          and (d.expires_at is null or d.expires_at > now())
          and (app is null or d.app_id = app)
          and (created_after is null or d.created_at > created_after)
          and (created_before is null or d.created_at < created_before)
          and (memory_filter is null or d.entity_type <> 'memory' or exists (
                select from public.memories m
                where m.memory_id = d.entity_id and private.memory_passes(memory_filter, m)))
        order by case when newest is not null then d.created_at end desc
        limit newest
      ) as d
      order by rank desc, d.entity_id
      limit cap
    ) as h
    cross join lateral (
      select coalesce(sum(q.idf), 0) as idf, array_agg(q.word order by q.ord) as words
      from unnest(terms.words, terms.lexemes, idfs) with ordinality as q (word, lexeme, idf, ord)
      where q.lexeme = any (tsvector_to_array(h.search_vector))
    ) as m;
    exit when found or any_common is null;
    match_tsq := any_common;
    any_common := null;
  end loop;
end;
$$;
comment on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer, jsonb) is
  'The caller''s (auth.uid()) full-text hits: ids, ts_rank_cd, idf strength (0-1, df from private.search_term_counts) and matched words; rare words match, words in over 5% of the documents only weigh in (a query of common words only: documents with all of them, else any, the newest 4 x max_hits ranked); with memory_filter, only the memories meeting it (private.memory_passes). Security definer so the GIN index serves @@ and the term counts are read; ids only, api.search_candidates re-reads rows under RLS.';
revoke all on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer, jsonb)
  from public, anon;
grant execute on function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer, jsonb)
  to authenticated, service_role;

-- private.search_text_hits plans each statement for its actual query words and caller. With the
-- generic plans PL/pgSQL switches to after five calls, the planner cannot see how selective a
-- tsquery parameter is and prefers the btree on user_id (20261202130000) for the word counts and
-- the ranking, filtering every one of the caller's documents: 22 ms at 10k documents, against
-- 3 ms with custom plans (planning costs well under a millisecond).
alter function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer, jsonb)
  set plan_cache_mode = force_custom_plan;

create or replace function api.search_candidates(
  query text,
  entity_types text[] default null,
  app uuid default null,
  created_after timestamptz default null,
  created_before timestamptz default null,
  max_text_hits integer default 50,
  memory_filter jsonb default null
)
returns table (
  entity_type text,
  entity_id uuid,
  title text,
  body text,
  app_id uuid,
  importance double precision,
  created_at timestamptz,
  updated_at timestamptz,
  text_rank real,
  text_strength real,
  matched_terms text[],
  superseded_by uuid,
  invalid_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := auth.uid();
  wanted text[] := coalesce(entity_types, array['memory', 'concept', 'artifact', 'knowledge']);
  cap integer := least(greatest(coalesce(max_text_hits, 0), 0), 200);
  terms record;
  any_word text := '';
begin
  if me is null then
    return;  -- nobody signed in: nothing is theirs
  end if;
  terms := private.search_terms(query);
  if cap > 0 then
    any_word := array_to_string(array(select x from unnest(terms.words) as x where x <> 'or'), ' or ');
  end if;

  return query
  with text_hits as (
    select h.entity_type, h.entity_id, h.text_rank, h.text_strength, h.matched_terms
    from private.search_text_hits(query, wanted, app, created_after, created_before, cap,
                                   memory_filter) as h
  ),
  wanted_ids as (
    select array(select distinct h.entity_id from text_hits h) as all_ids
  ),
  rows as (
    select r.entity_type as kind, r.entity_id as id, r.title, r.body, r.app_id, r.importance,
           r.created_at, r.updated_at, r.superseded_by, r.invalid_at
    from wanted_ids w
    cross join lateral api.search_rows(w.all_ids, wanted, app, created_after, created_before,
                                       memory_filter) as r
  ),
  apps as (
    select a.app_id from private.apps_of(me) as a (app_id) where app is null or a.app_id = app
  ),
  knowledge as (
    select distinct on (k.knowledge_entry_id)
           k.knowledge_entry_id, k.title, k.content, a.app_id, k.relevance, e.created_at, e.updated_at,
           e.search_vector
    from apps a
    cross join lateral private.knowledge_matches(any_word, a.app_id::text, cap) as k
    join public.knowledge_entries e on e.knowledge_entry_id = k.knowledge_entry_id
    where 'knowledge' = any (wanted) and any_word <> '' and memory_filter is null
      and (created_after is null or e.created_at > created_after)
      and (created_before is null or e.created_at < created_before)
    order by k.knowledge_entry_id, k.relevance desc
  )
  select r.kind, r.id, r.title, r.body, r.app_id, r.importance, r.created_at, r.updated_at,
         h.text_rank, h.text_strength, h.matched_terms, r.superseded_by, r.invalid_at
  from rows r
  left join text_hits h on h.entity_type = r.kind and h.entity_id = r.id
  union all
  -- Knowledge is not the caller's to count words in: its strength is the share of query words
  -- it contains.
  select 'knowledge', k.knowledge_entry_id, k.title, left(k.content, 2000), k.app_id, null,
         k.created_at, k.updated_at, k.relevance,
         (cardinality(m.words)::real / greatest(cardinality(terms.words), 1))::real, m.words,
         null, null
  from knowledge k
  cross join lateral (
    select array(select q.word from unnest(terms.words, terms.lexemes) as q (word, lexeme)
                 where q.lexeme = any (tsvector_to_array(k.search_vector))) as words
  ) as m;
end;
$$;
comment on function api.search_candidates(text, text[], uuid, timestamptz, timestamptz, integer, jsonb) is
  'GET /v1/search''s Postgres half, read-only: full-text candidates (private.search_text_hits), the caller''s app knowledge (private.knowledge_matches; the service counts the shown hits with api.record_search_knowledge_access), and the live rows behind those hits (api.search_rows; the service re-reads what the vector index or the graph found with it directly); all filtered by types, app, created range and memory_filter (private.memory_passes: memories meeting it; knowledge is left out; concepts and artifacts stay, as graph seeds the service then drops); a memory a newer one replaced carries superseded_by and invalid_at (20261123110900). Security invoker.';
revoke all on function api.search_candidates(text, text[], uuid, timestamptz, timestamptz, integer, jsonb)
  from public, anon;
grant execute on function api.search_candidates(text, text[], uuid, timestamptz, timestamptz, integer, jsonb)
  to authenticated, service_role;

-- A plain btree on search_documents (user_id): private.search_text_hits counts the caller's
-- documents on every search (the N of its idf), and the GIN index can only answer that with a
-- bitmap heap scan of every one of them (2.5 ms at 10k documents); this one answers it from
-- the index alone (an index-only scan, the table's visibility map permitting).
create index if not exists search_documents_user_idx on public.search_documents (user_id);

-- api.search_rows: the live rows behind ids that the vector index or the graph found, for
-- GET /v1/search's re-read. The re-read used api.search_candidates with an empty query, whose
-- plan carries the text and knowledge halves it then skips: 2 to 5 ms for 60 ids at 10k
-- memories, against 0.5 ms for the rows alone. api.search_candidates now reads its rows through
-- it too, so what "live" means (not expired, active concepts, the filters) is written once.
-- Security invoker: row-level security decides what is the caller's.
create or replace function api.search_rows(
  entity_ids uuid[],
  entity_types text[] default null,
  app uuid default null,
  created_after timestamptz default null,
  created_before timestamptz default null,
  memory_filter jsonb default null
)
returns table (
  entity_type text,
  entity_id uuid,
  title text,
  body text,
  app_id uuid,
  importance double precision,
  created_at timestamptz,
  updated_at timestamptz,
  superseded_by uuid,
  invalid_at timestamptz
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  wanted text[] := coalesce(entity_types, array['memory', 'concept', 'artifact']);
  ids uuid[] := coalesce(entity_ids, '{}');
begin
  if auth.uid() is null or cardinality(ids) = 0 then
    return;
  end if;
  return query
  select 'memory'::text, m.memory_id, coalesce(m.title, left(m.content, 80)),
         left(m.content, 2000), m.app_id, m.importance::double precision,
         m.created_at, m.updated_at, m.superseded_by, m.invalid_at
  from public.memories m
  where 'memory' = any (wanted) and m.memory_id = any (ids)
    and (m.expires_at is null or m.expires_at > now())
    and (app is null or m.app_id = app)
    and (created_after is null or m.created_at > created_after)
    and (created_before is null or m.created_at < created_before)
    and (memory_filter is null or private.memory_passes(memory_filter, m))
  union all
  select 'concept', c.concept_id, c.name, left(coalesce(c.description, c.name), 2000), null,
         c.salience::double precision, c.created_at, c.updated_at, null, null
  from public.concepts c
  where 'concept' = any (wanted) and app is null and c.concept_id = any (ids)
    and c.status = 'active'
    and (created_after is null or c.created_at > created_after)
    and (created_before is null or c.created_at < created_before)
  union all
  select 'artifact', a.artifact_id, a.title,
         left(concat_ws(E'\n\n', a.description, a.content_narrative), 2000), null, null,
         a.created_at, a.updated_at, null, null
  from public.derived_artifacts a
  where 'artifact' = any (wanted) and app is null and a.artifact_id = any (ids)
    and (created_after is null or a.created_at > created_after)
    and (created_before is null or a.created_at < created_before);
end;
$$;
comment on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz, jsonb) is
  'The caller''s live memories, active concepts and artifacts among entity_ids, within the filters (types, app, created range; memory_filter applies to memories): search''s re-read of what the vector index and the graph found. Security invoker.';
revoke all on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz, jsonb) from public, anon;
grant execute on function api.search_rows(uuid[], text[], uuid, timestamptz, timestamptz, jsonb)
  to authenticated, service_role;

-- The full-text channel's cost at 10k documents (search p95 within 20 ms at 10k
-- memories). Two changes to private.search_text_hits; otherwise it is as 20261202130000 and
-- 20261202130000 made it.
--
-- 1. A kept count of each person's documents. The idf of every word and the 5% cut-off for
--    common ones need the number of the caller's documents on every query; counting them was an
--    index-only scan over all of them, about 1 ms at 10k. Statement-level triggers with
--    transition tables keep the count instead, and the query reads one row. An insert locks the
--    person's count row until its transaction ends, so two transactions adding documents for the
--    same person take turns at that row; several people's rows are taken in user_id order, so
--    two writers cannot deadlock on them. A person's count row goes with them (the auth.users
--    cascade). Measured: inserting 5,000 memories in one statement took 10 to 20% longer (each
--    memory's document is its own statement, so its own count update); a conversation's
--    ingestion writes tens. The btree of 20261202130000, which served the count, stays: the
--    auth.users cascade and the retention purge find a person's documents through it.
--
-- 2. A query whose words are all common (each in over 5% of the caller's documents: "the day in
--    the park") matched any of them and ranked every match: thousands of documents at 10k, each
--    vector read for ts_rank_cd, 5 to 15 ms. Such a query now matches the documents that have
--    all of its common words (any of them only when none has all), and ranks the newest
--    4 x max_hits of those. A common word carries little: such hits are weak (their strength is
--    the words' low idf); the vector channel and recency do the ranking. bench_retrieval.py
--    measured the same recall (hybrid 0.597 / 0.664 at 5 / 10, against 0.594 / 0.664 before).
--    Queries with a rare word are unchanged.
create table if not exists private.search_document_counts (
  user_id uuid primary key references auth.users (id) on delete cascade,
  documents bigint not null default 0,
  constraint search_document_counts_not_negative check (documents >= 0)
);
comment on table private.search_document_counts is
  'How many search documents each person has (kept by triggers on public.search_documents; read by private.search_text_hits).';
revoke all on table private.search_document_counts from public, anon, authenticated;
grant select on table private.search_document_counts to service_role;

-- Each person's document frequency per lexeme, moved by the same triggers (issue 20, at 100k:
-- 20261210100000_search_term_statistics.sql says why).
create table if not exists private.search_term_counts (
  user_id uuid not null references auth.users (id) on delete cascade,
  lexeme text not null,
  documents integer not null,
  constraint search_term_counts_pkey primary key (user_id, lexeme),
  constraint search_term_counts_not_negative check (documents >= 0)
);
alter table private.search_term_counts enable row level security;
comment on table private.search_term_counts is
  'How many of each person''s search documents hold each lexeme (kept by the triggers on public.search_documents, read by private.search_text_hits). A lexeme whose documents are gone stays at 0.';
revoke all on table private.search_term_counts from public, anon, authenticated;
grant select on table private.search_term_counts to service_role;

create or replace function private.count_added_search_documents() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.search_document_counts as c (user_id, documents)
  select a.user_id, count(*) from added a group by a.user_id order by a.user_id
  on conflict (user_id) do update set documents = c.documents + excluded.documents;
  insert into private.search_term_counts as t (user_id, lexeme, documents)
  select a.user_id, l.lexeme, count(*)
  from added a cross join lateral unnest(tsvector_to_array(a.search_vector)) as l (lexeme)
  group by a.user_id, l.lexeme order by a.user_id, l.lexeme
  on conflict (user_id, lexeme) do update set documents = t.documents + excluded.documents;
  return null;
end;
$$;
comment on function private.count_added_search_documents() is
  'Adds a statement''s new search documents to their owners'' counts and term counts.';
revoke all on function private.count_added_search_documents() from public, anon, authenticated;

-- Only an update: a person deleted with their documents (the auth.users cascade) has no count
-- row left to write, and must not get one.
create or replace function private.count_removed_search_documents() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update private.search_document_counts c
     set documents = greatest(c.documents - r.removed, 0)
    from (select o.user_id, count(*) as removed
          from gone o group by o.user_id order by o.user_id) as r
   where c.user_id = r.user_id;
  update private.search_term_counts t
     set documents = greatest(t.documents - r.removed, 0)
    from (select o.user_id, l.lexeme, count(*) as removed
          from gone o cross join lateral unnest(tsvector_to_array(o.search_vector)) as l (lexeme)
          group by o.user_id, l.lexeme order by o.user_id, l.lexeme) as r
   where t.user_id = r.user_id and t.lexeme = r.lexeme;
  return null;
end;
$$;
comment on function private.count_removed_search_documents() is
  'Takes a statement''s deleted search documents off their owners'' counts and term counts.';
revoke all on function private.count_removed_search_documents() from public, anon, authenticated;

-- No writer may slip between the triggers and the count below.
lock table public.search_documents in share row exclusive mode;

drop trigger if exists search_documents_count_added on public.search_documents;
create trigger search_documents_count_added
  after insert on public.search_documents
  referencing new table as added
  for each statement execute function private.count_added_search_documents();

drop trigger if exists search_documents_count_removed on public.search_documents;
create trigger search_documents_count_removed
  after delete on public.search_documents
  referencing old table as gone
  for each statement execute function private.count_removed_search_documents();

insert into private.search_document_counts (user_id, documents)
select d.user_id, count(*) from public.search_documents d group by d.user_id
on conflict (user_id) do update set documents = excluded.documents;

-- GET /v1/search counts an access for the knowledge it shows, not for every entry it weighed.
--
-- api.search_candidates ran the app knowledge through api.search_knowledge, which counts an
-- access to each entry it returns: every knowledge candidate a search weighed was counted, also
-- the ones ranked off the page. And because it wrote, the statement had to wait for the request's
-- rate-limit verdict before it could commit (dotline.admission): one more round trip, and at 10k
-- memories up to 5 ms more at p95, on every search, knowledge or not.
--
-- Now api.search_candidates only reads (stable; the service sends it read-only), through
-- private.knowledge_matches, the query api.search_knowledge runs; and the service counts the
-- knowledge hits of the page it returns with api.record_search_knowledge_access, which counts only
-- entries of the caller's apps. api.search_knowledge (the knowledge route, the chat context)
-- counts what it returns, as before.
-- The apps whose knowledge a person's search reaches: those they have progress or a conversation in.
create or replace function private.apps_of(person uuid)
returns setof uuid
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query
  select p.app_id from public.user_progress p where p.user_id = person
  union
  select c.app_id from public.conversations c where c.user_id = person and c.app_id is not null;
end;
$$;
comment on function private.apps_of(uuid) is
  'The apps a person has progress or a conversation in: whose knowledge their search reaches. Security invoker.';
revoke all on function private.apps_of(uuid) from public, anon;
grant execute on function private.apps_of(uuid) to authenticated, service_role;

-- api.search_knowledge's query, counting nothing.
create or replace function private.knowledge_matches(query text, app text, max_results integer default 5)
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
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  tsq tsquery := websearch_to_tsquery('english'::regconfig, coalesce(query, ''));
begin
  if numnode(tsq) = 0 or max_results is null or max_results < 1 then
    return;  -- empty or stop-word-only query: nothing to rank
  end if;
  return query
  select ke.knowledge_entry_id, ke.knowledge_base_id, kb.slug, ke.title, ke.content, ke.category, ke.tags,
         ts_rank(ke.search_vector, tsq)
  from public.apps a
  join public.app_knowledge_bases akb on akb.app_id = a.app_id
  join public.knowledge_bases kb on kb.knowledge_base_id = akb.knowledge_base_id and kb.is_active
  join public.knowledge_entries ke on ke.knowledge_base_id = kb.knowledge_base_id and ke.is_active
  where (a.slug = app or a.app_id::text = lower(app))
    and a.is_active
    and ke.search_vector @@ tsq
  order by 8 desc, ke.title, ke.knowledge_entry_id
  limit least(max_results, 100);
end;
$$;
comment on function private.knowledge_matches(text, text, integer) is
  'api.search_knowledge without the access counting: full-text matches (websearch syntax, ts_rank) over an app''s active knowledge bases, best first, at most 100. Security invoker.';
revoke all on function private.knowledge_matches(text, text, integer) from public, anon;
grant execute on function private.knowledge_matches(text, text, integer) to authenticated, service_role;

-- The knowledge a search showed: counted once each, if it is of the caller's apps.
create or replace function api.record_search_knowledge_access(entry_ids uuid[])
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  reachable uuid[];
begin
  if auth.uid() is null or coalesce(cardinality(entry_ids), 0) = 0 then
    return 0;
  end if;
  select array_agg(distinct ke.knowledge_entry_id) into reachable
  from private.apps_of(auth.uid()) as mine (app_id)
  join public.apps a on a.app_id = mine.app_id and a.is_active
  join public.app_knowledge_bases akb on akb.app_id = a.app_id
  join public.knowledge_bases kb on kb.knowledge_base_id = akb.knowledge_base_id and kb.is_active
  join public.knowledge_entries ke on ke.knowledge_base_id = kb.knowledge_base_id
  where ke.knowledge_entry_id = any (entry_ids);
  if reachable is null then
    return 0;
  end if;
  perform private.record_knowledge_access(reachable);
  return cardinality(reachable);
end;
$$;
comment on function api.record_search_knowledge_access(uuid[]) is
  'Counts one access to each given knowledge entry a search showed, only those of the caller''s apps (private.apps_of); returns how many were counted. Security invoker.';
revoke all on function api.record_search_knowledge_access(uuid[]) from public, anon;
grant execute on function api.record_search_knowledge_access(uuid[]) to authenticated, service_role;

