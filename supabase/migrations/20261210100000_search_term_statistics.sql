-- The full-text channel at 100k memories (issue 20).
--
-- 1. Per-person term statistics. private.search_text_hits counted each query word's documents
--    (its df, for the idf and to tell rare words from common ones) at every search: a bitmap scan
--    over every match, 5 ms for a word in 8k of 100k documents, once per word. Each person's
--    document frequencies are now kept beside their document count (private.search_term_counts,
--    moved by the same statement triggers), so a search reads them with a few index probes.
--    Each trigger takes the person's count row before any of their term rows (an insert or a
--    delete moves it, an update locks it), so two writers of one person's documents queue on
--    that row and never lock term rows in opposite orders.
--
-- 2. A query of common words only ranks the newest 4 x max_hits of its matches, but had to read
--    every match to find the newest (8k documents at 100k). The person's documents are now
--    indexed by creation time, with their vectors (search_documents_user_created_idx, which
--    serves user_id lookups too and replaces search_documents_user_idx), so that case walks back
--    from the newest document and stops at 4 x max_hits matches, without reading the table.
--    The 5% that makes a word common stays: at 100k, ranking every match of a word in 1.7% of
--    the documents (bitmap scan) took as long as walking the index for its newest 200 (3.6 and
--    4.3 ms median); for a word in 7.8%, 14.2 ms against 1.4 ms.
--
-- The ranking stays ts_rank_cd: BM25 over the same statistics (k1 1.2, b 0.75) ranked the
-- long-conversation benchmark's tune split lower (recall@10 58.9 against 59.6,
-- docs/measurements.md).

-- No writer may slip between the triggers and the backfill below.
lock table public.search_documents in share row exclusive mode;

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

-- Only updates: a person deleted with their documents (the auth.users cascade) has no rows left
-- to write, and must not get any.
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

-- A rewritten document (a memory's new content) moves the counts of the words it gained or lost.
create or replace function private.count_changed_search_documents() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- The owners' count rows first, as the insert and delete triggers take them.
  perform from private.search_document_counts c
   where c.user_id in (select n.user_id from fresh n union select o.user_id from stale o)
   order by c.user_id
   for no key update;
  -- Words lost move their rows down (a check on the proposed row would refuse an insert of a
  -- negative count before its conflict), words new to the person get rows.
  with delta as (
    select x.user_id, x.lexeme, sum(x.delta)::integer as delta
    from (select n.user_id, l.lexeme, 1 as delta
          from fresh n cross join lateral unnest(tsvector_to_array(n.search_vector)) as l (lexeme)
          union all
          select o.user_id, l.lexeme, -1
          from stale o cross join lateral unnest(tsvector_to_array(o.search_vector)) as l (lexeme)) as x
    group by x.user_id, x.lexeme
    having sum(x.delta) <> 0
  ),
  moved as (
    update private.search_term_counts t
       set documents = greatest(t.documents + d.delta, 0)
      from delta d
     where t.user_id = d.user_id and t.lexeme = d.lexeme
    returning t.user_id, t.lexeme
  )
  insert into private.search_term_counts as t (user_id, lexeme, documents)
  select d.user_id, d.lexeme, d.delta from delta d
  where d.delta > 0
    and not exists (select from moved m where m.user_id = d.user_id and m.lexeme = d.lexeme)
  order by d.user_id, d.lexeme
  on conflict (user_id, lexeme) do update set documents = t.documents + excluded.documents;
  return null;
end;
$$;
comment on function private.count_changed_search_documents() is
  'Moves the term counts of a statement''s rewritten search documents (words gained or lost).';
revoke all on function private.count_changed_search_documents() from public, anon, authenticated;

drop trigger if exists search_documents_count_changed on public.search_documents;
create trigger search_documents_count_changed
  after update on public.search_documents
  referencing old table as stale new table as fresh
  for each statement execute function private.count_changed_search_documents();

insert into private.search_term_counts (user_id, lexeme, documents)
select d.user_id, l.lexeme, count(*)
from public.search_documents d cross join lateral unnest(tsvector_to_array(d.search_vector)) as l (lexeme)
group by d.user_id, l.lexeme
on conflict (user_id, lexeme) do update set documents = excluded.documents;

-- Covering: the newest matches of common words are found from the index alone (an index-only scan
-- testing each entry's vector), not from a heap page per document (at 100k, 2.8k documents walked
-- for 200 matches: 71 pages and 1.1 ms, against 2,784 pages and 4.3 ms with a plain index).
-- It holds a second copy of the vectors (19 MB at 100k, the table's size).
create index if not exists search_documents_user_created_idx
  on public.search_documents (user_id, created_at desc)
  include (entity_type, entity_id, expires_at, app_id, search_vector);
drop index if exists public.search_documents_user_idx;

-- The text hits read the kept term counts, and find the newest matches through the new index.
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
